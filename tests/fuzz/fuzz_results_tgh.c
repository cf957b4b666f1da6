/*
 * fuzz_results_tgh.c - the histograms.tgh reader.
 *
 * The input is written to a temporary file and read with
 * results_read_tgh.  Property: a recorder that reads writes back
 * (results_fwrite_tgh) to a file that reads again and then writes
 * identically, the format's promise of a lossless round trip.
 */
#include "fuzz_common.h"

#include "core/stats/record.h"
#include "core/results/results.h"

static struct fuzz_file in_file, again_file;

static char *write_tgh(const struct rec *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = fuzz_ms_open(&buf, len);
    int rc = results_fwrite_tgh(f, r);
    fuzz_ms_close(f);
    if (rc != ERR_OK)
        fuzz_fail("results_fwrite_tgh: %s", err_str(rc));
    return buf;
}

static void round_trip(const struct rec *a)
{
    size_t len, len2;
    char *out = write_tgh(a, &len);
    const char *path = fuzz_file_put(&again_file, (const uint8_t *)out, len);
    struct rec *b = NULL;
    char err[256] = "";
    int rc = results_read_tgh(path, &b, err, sizeof(err));
    if (rc != ERR_OK) {
        fprintf(stderr, "--- written:\n%.4000s---\n", out);
        fuzz_fail("the written histograms.tgh does not read back: %s", err);
    }
    char *out2 = write_tgh(b, &len2);
    if (len != len2 || memcmp(out, out2, len) != 0)
        fuzz_fail("writing the re-read recorder gives other text (%zu, %zu "
                  "bytes)",
                  len, len2);
    free(out2);
    rec_free(b);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_put(&in_file, data, size);
    struct rec *r = NULL;
    char err[256] = "";
    int rc = results_read_tgh(path, &r, err, sizeof(err));
    if (rc == ERR_OK)
        round_trip(r);
    else if (err[0] == '\0')
        fuzz_fail("read failed (%s) with no message", err_str(rc));
    rec_free(r);
    return 0;
}
