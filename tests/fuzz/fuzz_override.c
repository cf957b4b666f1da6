/*
 * fuzz_override.c - --set KEY=VALUE overrides on a fixed valid scenario.
 *
 * The input holds one override per line, split at the first '=' as the
 * command line does (lines without '=' are skipped; at most
 * MAX_OVERRIDES are used).  They are applied to the base scenario
 * (fuzz_scn.h).  Parsing must not crash or leak; when it succeeds, the
 * overridden scenario must survive the write-back round trip.
 */
#include "fuzz_scn.h"

#define MAX_OVERRIDES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t base_len;
    const char *base = fuzz_base_text(&base_len);
    char *text = fuzz_dup_str(data, size);
    struct scn_override ovr[MAX_OVERRIDES];
    size_t n = 0;
    for (char *line = text; line && n < MAX_OVERRIDES;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *eq = strchr(line, '=');
        if (eq && eq != line) { /* the CLI refuses an empty key */
            *eq = '\0';
            ovr[n++] = (struct scn_override){ line, eq + 1 };
        }
        line = nl ? nl + 1 : NULL;
    }
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "kitchen-sink.yaml");
    int rc =
        scn_parse_buffer("kitchen-sink.yaml", base, base_len, ovr, n, &sc, &d);
    if (rc == ERR_OK)
        fuzz_round_trip(sc);
    else if (d.n == 0 && d.dropped == 0)
        fuzz_fail("parse failed (%s) with no diagnostic", err_str(rc));
    scn_free(sc);
    scn_diags_fini(&d);
    free(text);
    return 0;
}
