/*
 * fuzz_scenario.c - the scenario parser and its write-back round trip.
 *
 * The input is a scenario file.  Whatever it holds, parsing must not
 * crash, leak or read outside the input (it is given without a
 * terminator).  When it parses, the round trip is a property: writing the
 * scenario (scn_write) and parsing that text must succeed, and writing the
 * second scenario must give the same text byte for byte.
 */
#include "fuzz_scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_exact(data, size);
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "fuzz.yaml");
    int rc = scn_parse_buffer("fuzz.yaml", text, size, NULL, 0, &sc, &d);
    if (rc == ERR_OK)
        fuzz_round_trip(sc);
    else if (d.n == 0 && d.dropped == 0 && rc != ERR_IO)
        fuzz_fail("parse failed (%s) with no diagnostic", err_str(rc));
    char line[256];
    scn_diags_fmt(line, sizeof(line), &d);
    scn_free(sc);
    scn_diags_fini(&d);
    free(text);
    return 0;
}
