/*
 * cmd_report.c - `tollgate report DIR`: the summary of a results
 * directory again, as text, Markdown, JSON or an HTML page.
 *
 * Reads DIR/summary.json (what sim, run, merge and replications all
 * write) and prints it through core/results/headline, so the numbers and
 * their layout are those the engine printed when it ran.  --by adds the
 * table per population or per reason.  --html FILE (or --format html, to
 * stdout) writes the self-contained page of cli/report_html.c, which also
 * reads the warnings, the charts and scenario.yaml.  Exit: 0, 2 usage or
 * unreadable input, 3 I/O failure or a chart not drawn.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/report_html.h"
#include "core/results/headline.h"
#include "core/results/results.h"
#include "core/stats/summary.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate report DIR [--format text|markdown|json|html] "
            "[--by population|reason]...\n"
            "       tollgate report DIR --html FILE\n\n"
            "Prints the summary of a results directory (DIR/summary.json) at "
            "both levels:\n"
            "  requests (what your callers see): each logical request once, "
            "by its final\n"
            "    outcome, latency end to end (retries, backoff and "
            "retry-after waits in);\n"
            "  attempts (what the API sees): every try, retries included.\n"
            "then retry amplification and goodput.\n\n"
            "  --format FMT   text (default, for terminals), markdown (for "
            "pull requests),\n"
            "                 json (for scripts) or html (the page of "
            "--html, on stdout)\n"
            "  --by WHAT      add a table: population (one row per "
            "population, both\n"
            "                 levels) or reason (every final outcome and "
            "denial reason);\n"
            "                 repeat or write population,reason for both\n"
            "  --html FILE    write one self-contained HTML page to FILE: "
            "both levels, the\n"
            "                 population and reason tables, the warnings, "
            "the charts of\n"
            "                 `tollgate plot` as inline SVG (needs gnuplot) "
            "and the scenario;\n"
            "                 nothing in it loads from the network (a CI "
            "artifact)\n"
            "  -h, --help     this help\n\n"
            "Examples:\n"
            "  tollgate sim scenarios/region-block.yaml -q -o results/rb\n"
            "  tollgate report results/rb --by population\n"
            "  tollgate report results/rb --format markdown --by reason >> "
            "$GITHUB_STEP_SUMMARY\n"
            "  tollgate report results/rb --format json | jq "
            ".requests.denial_rate\n"
            "  tollgate report results/rb --html rb.html\n\n"
            "Exit status: 0 printed, 2 usage or unreadable results, 3 I/O "
            "error or a chart\nthat could not be drawn (the page is still "
            "written and names it).\n");
}

enum { OPT_FORMAT = 256, OPT_BY, OPT_HTML };

static const struct option longopts[] = {
    { "format", required_argument, NULL, OPT_FORMAT },
    { "html", required_argument, NULL, OPT_HTML },
    { "by", required_argument, NULL, OPT_BY },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

struct report_opts {
    const char *dir;
    const char *html; /* --html FILE; NULL: stdout */
    enum headline_format format;
    unsigned sections;
};

static int parse_format(struct args *a, enum headline_format *f)
{
    static const char *const names[] = { "text", "markdown", "json", "html",
                                         NULL };
    static const enum headline_format fmts[] = { HL_TEXT, HL_MARKDOWN, HL_JSON,
                                                 HL_HTML };
    for (int k = 0; names[k] != NULL; k++)
        if (strcmp(a->arg, names[k]) == 0) {
            *f = fmts[k];
            return CLI_CONTINUE;
        }
    const char *near = args_suggest(a->arg, names);
    return near ? args_fail(a, "unknown --format '%s'; did you mean '%s'?",
                            a->arg, near)
                : args_fail(a,
                            "unknown --format '%s': text, markdown, json or "
                            "html",
                            a->arg);
}

/* "population", "reason" or a comma list of them. */
static int parse_by(struct args *a, unsigned *sections)
{
    static const char *const names[] = { "population", "reason", NULL };
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", a->arg);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
         w = strtok_r(NULL, ",", &save)) {
        if (strcmp(w, "population") == 0 || strcmp(w, "populations") == 0)
            *sections |= HL_POPS;
        else if (strcmp(w, "reason") == 0 || strcmp(w, "reasons") == 0)
            *sections |= HL_REASONS;
        else {
            const char *near = args_suggest(w, names);
            return near ? args_fail(a, "unknown --by '%s'; did you mean '%s'?",
                                    w, near)
                        : args_fail(a,
                                    "unknown --by '%s': population or "
                                    "reason",
                                    w);
        }
    }
    return CLI_CONTINUE;
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
    struct args a;
    args_init(&a, "report", argc, argv, "h", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int st = CLI_CONTINUE;
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case OPT_FORMAT: st = parse_format(&a, &o->format); break;
        case OPT_BY: st = parse_by(&a, &o->sections); break;
        case OPT_HTML: o->html = a.arg; break;
        case ARGS_OPERAND:
            if (o->dir != NULL)
                return args_fail(&a, "one results directory only ('%s')",
                                 a.arg);
            o->dir = a.arg;
            break;
        default: return EXIT_USAGE; /* ARGS_ERROR: reported */
        }
        if (st != CLI_CONTINUE)
            return st;
    }
    if (o->dir == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->html != NULL && o->format != HL_TEXT && o->format != HL_HTML)
        return args_fail(&a,
                         "--html writes HTML; it does not go with "
                         "--format %s",
                         o->format == HL_JSON ? "json" : "markdown");
    if (o->html != NULL)
        o->format = HL_HTML;
    return CLI_CONTINUE;
}

/* The first line of a text report: what the results are. */
static void title(const struct summary *s)
{
    printf("tollgate report: %s, %s, seed %llu, %.1f s%s", s->scenario, s->mode,
           (unsigned long long)s->seed, s->duration_s,
           s->complete ? "" : " (incomplete)");
    if (s->replications > 1)
        printf(", %d replications (+- 95%% confidence half-widths)",
               s->replications);
    putchar('\n');
}

/* Mode for a new file: 0666 less the umask (mkstemp makes it 0600). */
static mode_t file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/*
 * The HTML page, with every table (a CI reader cannot ask for more), to
 * stdout or to o->html through a temporary sibling renamed into place, so
 * FILE is the old page or the whole new one.  A chart that could not be
 * drawn still leaves a page (which names the gap) and exits 3.
 */
static int write_html(const struct report_opts *o, const struct summary *s)
{
    unsigned sections = HL_LEVELS | HL_POPS | HL_REASONS;
    bool charts_ok = false;
    if (o->html == NULL) {
        int e = report_html_write(stdout, o->dir, s, sections, &charts_ok);
        if (e != ERR_OK || fflush(stdout) != 0)
            return EXIT_RUNTIME;
        return charts_ok ? EXIT_OK : EXIT_RUNTIME;
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", o->html);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "tollgate report: cannot write %s: %s\n", o->html,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
            remove(tmp);
        }
        return EXIT_RUNTIME;
    }
    int e = fchmod(fd, file_mode()) == 0 ? ERR_OK : ERR_IO;
    if (e == ERR_OK)
        e = report_html_write(f, o->dir, s, sections, &charts_ok);
    if (fclose(f) != 0 || e != ERR_OK || rename(tmp, o->html) != 0) {
        fprintf(stderr, "tollgate report: cannot write %s: %s\n", o->html,
                strerror(errno));
        remove(tmp);
        return EXIT_RUNTIME;
    }
    if (!charts_ok) {
        fprintf(stderr, "tollgate report: %s written without every chart\n",
                o->html);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    struct report_opts o = { .dir = NULL, .format = HL_TEXT };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_CONTINUE)
        return status;
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/%s", o.dir, RESULTS_SUMMARY);
    struct summary s;
    summary_init(&s);
    int e = results_read_summary(path, &s, err, sizeof(err));
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate report: %s\n", err);
        return EXIT_USAGE;
    }
    unsigned sections = HL_LEVELS | o.sections;
    if (o.format == HL_HTML) {
        status = write_html(&o, &s);
        summary_fini(&s);
        return status;
    }
    if (o.format == HL_TEXT)
        title(&s);
    else if (o.format == HL_MARKDOWN)
        printf("### tollgate: %s (%s)%s\n\n", s.scenario, s.mode,
               s.complete ? "" : " (incomplete)");
    status = headline_write(stdout, &s, o.format, sections) == ERR_OK &&
                     fflush(stdout) == 0
                 ? EXIT_OK
                 : EXIT_RUNTIME;
    summary_fini(&s);
    return status;
}
