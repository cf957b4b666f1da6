/*
 * junit.c - JUnit XML writer.
 *
 * The schema CI tools accept is loose; this writes the common core of it:
 * <testsuites tests failures> / <testsuite name tests failures errors
 * skipped time> / <testcase name classname time> with an optional
 * <failure message type="threshold">body</failure>.  Output is UTF-8 as
 * given (bytes >= 0x80 are copied through), escaped the same way for
 * attributes and text so one function serves both.  It does not validate
 * UTF-8 and never allocates; failures of the FILE are detected once at the
 * end through ferror(), which is sticky.
 */
#include "core/base/junit.h"

void junit_escape(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        case '\n': fputs("&#10;", out); break;
        case '\r': fputs("&#13;", out); break;
        case '\t': fputs("&#9;", out); break;
        default:
            /* XML 1.0 has no way to carry other C0 controls or DEL. */
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
        }
    }
}

static void write_case(FILE *out, const struct junit_case *c)
{
    fputs("    <testcase name=\"", out);
    junit_escape(out, c->name);
    fputs("\" classname=\"", out);
    junit_escape(out, c->classname);
    fprintf(out, "\" time=\"%.3f\"", c->time_s);
    if (!c->failure) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n      <failure message=\"", out);
    junit_escape(out, c->failure);
    fputs("\" type=\"threshold\">", out);
    junit_escape(out, c->detail ? c->detail : c->failure);
    fputs("</failure>\n    </testcase>\n", out);
}

int junit_write(FILE *out, const char *suite, const struct junit_case *cases,
                size_t n)
{
    size_t failures = 0;
    double time_s = 0;
    for (size_t i = 0; i < n; i++) {
        failures += cases[i].failure != NULL;
        time_s += cases[i].time_s;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", n, failures);
    fputs("  <testsuite name=\"", out);
    junit_escape(out, suite);
    fprintf(out,
            "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
            "time=\"%.3f\">\n",
            n, failures, time_s);
    for (size_t i = 0; i < n; i++)
        write_case(out, &cases[i]);
    fputs("  </testsuite>\n</testsuites>\n", out);
    if (fflush(out) != 0 || ferror(out))
        return ERR_IO;
    return ERR_OK;
}
