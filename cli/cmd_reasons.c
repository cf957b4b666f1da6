/*
 * cmd_reasons.c - 'tollgate reasons': prints the canonical taxonomy.
 *
 * The table is what serve answers, what run classifies into and what
 * expect: rules name; --json prints it machine-readable.
 */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/reason.h"

static void print_help(void)
{
    printf("Usage: tollgate reasons [--json]\n\n"
           "Lists every canonical outcome id with the HTTP status, the "
           "OpenAI-style\nerror code that serve answers with, and whether a "
           "client retries it.\nThese ids name summary.json keys, "
           "timeseries.csv columns and expect: rules.\n\n"
           "  --json   print the table as a JSON array\n");
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
    if (argc > 1 && strcmp(argv[1], "--json") == 0) {
        print_json();
        return EXIT_OK;
    }
    if (argc > 1) {
        bool help =
            strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        if (!help)
            fprintf(stderr, "tollgate reasons: unknown option '%s'\n", argv[1]);
        print_help();
        return help ? EXIT_OK : EXIT_USAGE;
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
