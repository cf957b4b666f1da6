/*
 * fuzz_scn.h - scenario helpers of the fuzz targets: the write-back round
 * trip property and the fixed base scenario (scenarios/kitchen-sink.yaml,
 * which uses every part of the format) that the --set and events targets
 * start from.
 */
#ifndef TOLLGATE_FUZZ_SCN_H
#define TOLLGATE_FUZZ_SCN_H

#include "fuzz_common.h"

#include "core/scenario/scenario.h"

#ifndef FUZZ_SRC_DIR
#define FUZZ_SRC_DIR "."
#endif
#define FUZZ_BASE_SCENARIO FUZZ_SRC_DIR "/scenarios/kitchen-sink.yaml"

static inline char *fuzz_write_scn(const struct scenario *sc, const char *what)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = fuzz_ms_open(&buf, &len);
    int rc = scn_write(sc, f);
    fuzz_ms_close(f);
    if (rc != ERR_OK)
        fuzz_fail("scn_write of the %s scenario: %s", what, err_str(rc));
    return buf;
}

/* Writes a, parses the text back and writes again: the parse must
 * succeed and both texts must be equal. */
static inline void fuzz_round_trip(const struct scenario *a)
{
    char *out = fuzz_write_scn(a, "parsed");
    size_t len = strlen(out);
    char *exact = fuzz_dup_exact((const uint8_t *)out, len);
    struct scenario *b = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "written");
    int rc = scn_parse_buffer("written", exact, len, NULL, 0, &b, &d);
    if (rc != ERR_OK) {
        scn_diags_print(&d, stderr);
        fprintf(stderr, "--- written text:\n%s---\n", out);
        fuzz_fail("the written scenario does not parse back: %s", err_str(rc));
    }
    char *out2 = fuzz_write_scn(b, "re-read");
    if (strcmp(out, out2) != 0) {
        fprintf(stderr, "--- first write:\n%s--- second write:\n%s---\n", out,
                out2);
        fuzz_fail("writing the re-read scenario gives other text");
    }
    free(out2);
    scn_free(b);
    scn_diags_fini(&d);
    free(exact);
    free(out);
}

/* The text of the base scenario (read once; never freed). */
static inline const char *fuzz_base_text(size_t *len)
{
    static char *text;
    static size_t text_len;
    if (text == NULL) {
        FILE *f = fopen(FUZZ_BASE_SCENARIO, "rb");
        if (f == NULL) {
            perror(FUZZ_BASE_SCENARIO);
            abort();
        }
        text = malloc(SCN_MAX_FILE_BYTES);
        if (text == NULL)
            abort();
        text_len = fread(text, 1, SCN_MAX_FILE_BYTES, f);
        fclose(f);
    }
    *len = text_len;
    return text;
}

#endif
