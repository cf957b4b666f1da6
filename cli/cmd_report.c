/*
 * cmd_report.c - `tollgate report DIR`: the summary of a results
 * directory again, as text, Markdown or JSON.
 *
 * Reads DIR/summary.json only (what sim, run, merge and replications all
 * write) and prints it through core/results/headline, so the numbers and
 * their layout are those the engine printed when it ran.  --by adds the
 * table per population or per reason.  Exit: 0, 2 usage or unreadable
 * input, 3 I/O failure.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "core/results/headline.h"
#include "core/results/results.h"
#include "core/stats/summary.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate report DIR [--format text|markdown|json] "
            "[--by population|reason]...\n\n"
            "Prints the summary of a results directory (DIR/summary.json) at "
            "both levels:\n"
            "  requests (what your callers see): each logical request once, "
            "by its final\n"
            "    outcome, latency end to end (retries, backoff and "
            "retry-after waits in);\n"
            "  attempts (what the API sees): every try, retries included.\n"
            "then retry amplification and goodput.\n\n"
            "  --format FMT   text (default, for terminals), markdown (for "
            "pull requests)\n"
            "                 or json (for scripts)\n"
            "  --by WHAT      add a table: population (one row per "
            "population, both\n"
            "                 levels) or reason (every final outcome and "
            "denial reason);\n"
            "                 repeat or write population,reason for both\n"
            "  -h, --help     this help\n\n"
            "Examples:\n"
            "  tollgate sim scenarios/region-block.yaml -q -o results/rb\n"
            "  tollgate report results/rb --by population\n"
            "  tollgate report results/rb --format markdown --by reason >> "
            "$GITHUB_STEP_SUMMARY\n"
            "  tollgate report results/rb --format json | jq "
            ".requests.denial_rate\n\n"
            "Exit status: 0 printed, 2 usage or unreadable results, 3 I/O "
            "error.\n");
}

enum { OPT_FORMAT = 256, OPT_BY };

static const struct option longopts[] = {
    { "format", required_argument, NULL, OPT_FORMAT },
    { "by", required_argument, NULL, OPT_BY },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

struct report_opts {
    const char *dir;
    enum headline_format format;
    unsigned sections;
};

static int parse_format(struct args *a, enum headline_format *f)
{
    static const char *const names[] = { "text", "markdown", "json", NULL };
    for (int k = 0; names[k] != NULL; k++)
        if (strcmp(a->arg, names[k]) == 0) {
            *f = (enum headline_format)k;
            return CLI_CONTINUE;
        }
    const char *near = args_suggest(a->arg, names);
    return near ? args_fail(a, "unknown --format '%s'; did you mean '%s'?",
                            a->arg, near)
                : args_fail(a, "unknown --format '%s': text, markdown or json",
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

int cmd_report(int argc, char **argv)
{
    struct report_opts o = { NULL, HL_TEXT, 0 };
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
