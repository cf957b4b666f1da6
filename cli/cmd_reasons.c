/*
 * cmd_reasons.c - 'tollgate reasons': prints the canonical taxonomy.
 *
 * The table is what serve answers, what run classifies into and what
 * expect: rules name; --json prints it machine-readable.
 */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>

#include "cli/args.h"
#include "core/base/reason.h"

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: tollgate reasons [--json]\n\n"
            "Lists every canonical outcome id with the HTTP status, the "
            "OpenAI-style\nerror code that serve answers with, and whether "
            "a client retries it.\nThese ids name summary.json keys, "
            "timeseries.csv columns and expect: rules.\n\n"
            "  --json       print the table as a JSON array\n"
            "  -h, --help   this help\n\n"
            "Example (the retryable reasons, for a client's retry "
            "policy):\n"
            "  tollgate reasons --json | jq -r '.[] | select(.retryable) "
            "| .id'\n\n"
            "Exit status: 0 ok, 2 usage.\n");
}

enum { OPT_JSON = 256 };

static const struct option longopts[] = { { "json", no_argument, NULL,
                                            OPT_JSON },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, bool *json)
{
    struct args a;
    args_init(&a, "reasons", argc, argv, "h", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        switch (c) {
        case 'h': print_help(stdout); return EXIT_OK;
        case OPT_JSON: *json = true; break;
        case ARGS_OPERAND:
            return args_fail(&a, "takes no arguments ('%s')", a.arg);
        default: return EXIT_USAGE; /* ARGS_ERROR: reported */
        }
    }
    return CLI_CONTINUE;
}

static void print_json(void)
{
    printf("[\n");
    for (int r = 1; r < REASON_COUNT; r++) {
        const struct reason_info *ri = reason_get((enum reason)r);
        printf("  {\"id\": \"%s\", \"http_status\": %d, \"type\": \"%s\", "
               "\"code\": \"%s\", \"anthropic_status\": %d, "
               "\"anthropic_type\": \"%s\", \"retryable\": %s}%s\n",
               ri->id, ri->http_status, ri->error_type, ri->error_code,
               ri->anthropic_status, ri->anthropic_type,
               ri->retryable ? "true" : "false",
               r + 1 < REASON_COUNT ? "," : "");
    }
    printf("]\n");
}

int cmd_reasons(int argc, char **argv)
{
    bool json = false;
    int rc = parse_args(argc, argv, &json);
    if (rc != CLI_CONTINUE)
        return rc;
    if (json) {
        print_json();
        return EXIT_OK;
    }
    printf("%-21s %-6s %-37s %-9s %s\n", "REASON", "HTTP", "ERROR CODE",
           "RETRYABLE", "MEANING");
    for (int r = 1; r < REASON_COUNT; r++) {
        const struct reason_info *ri = reason_get((enum reason)r);
        char status[8];
        if (ri->http_status)
            snprintf(status, sizeof(status), "%d", ri->http_status);
        else
            snprintf(status, sizeof(status), "-");
        printf("%-21s %-6s %-37s %-9s %s\n", ri->id, status,
               ri->error_code[0] ? ri->error_code : "-",
               ri->retryable ? "yes" : "no", ri->message);
    }
    return EXIT_OK;
}
