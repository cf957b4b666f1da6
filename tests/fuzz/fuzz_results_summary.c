/*
 * fuzz_results_summary.c - the summary.json reader.
 *
 * The input is parsed with results_parse_summary (exact-size buffer, as a
 * reader of a file that was not written by tollgate would see it).
 * Property: a summary that reads writes back (results_fwrite_summary) to
 * text that reads again and then writes identically.
 */
#include "fuzz_common.h"

#include "core/results/results.h"
#include "core/stats/summary.h"

static char *write_summary(const struct summary *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fuzz_ms_open(&buf, &len);
    int rc = results_fwrite_summary(f, s);
    fuzz_ms_close(f);
    if (rc != ERR_OK)
        fuzz_fail("results_fwrite_summary: %s", err_str(rc));
    return buf;
}

static void round_trip(const struct summary *a)
{
    char *out = write_summary(a);
    struct summary b;
    summary_init(&b);
    char err[256] = "";
    int rc = results_parse_summary("written", out, strlen(out), &b, err,
                                   sizeof(err));
    if (rc != ERR_OK) {
        fprintf(stderr, "--- written:\n%s---\n", out);
        fuzz_fail("the written summary does not read back: %s", err);
    }
    char *out2 = write_summary(&b);
    if (strcmp(out, out2) != 0) {
        fprintf(stderr, "--- first write:\n%s--- second write:\n%s---\n", out,
                out2);
        fuzz_fail("writing the re-read summary gives other text");
    }
    free(out2);
    summary_fini(&b);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_exact(data, size);
    struct summary s;
    summary_init(&s);
    char err[256] = "";
    int rc =
        results_parse_summary("summary.json", text, size, &s, err, sizeof(err));
    if (rc == ERR_OK)
        round_trip(&s);
    else if (err[0] == '\0')
        fuzz_fail("read failed (%s) with no message", err_str(rc));
    summary_fini(&s);
    free(text);
    return 0;
}
