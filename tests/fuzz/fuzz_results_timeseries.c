/*
 * fuzz_results_timeseries.c - the timeseries.csv reader.
 *
 * The input is written to a temporary file and read with
 * results_read_timeseries.  Properties: a failure says why; a success
 * returns one row per non-empty line after the header.
 */
#include "fuzz_common.h"

#include "core/results/results.h"

static struct fuzz_file in_file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_put(&in_file, data, size);
    struct results_ts_row *rows = NULL;
    size_t n = 0;
    char err[256] = "";
    int rc = results_read_timeseries(path, &rows, &n, err, sizeof(err));
    if (rc != ERR_OK && err[0] == '\0')
        fuzz_fail("read failed (%s) with no message", err_str(rc));
    if (rc == ERR_OK && memchr(data, '\0', size) == NULL) {
        size_t lines = 0;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n' && i + 1 < size;
        if (n != lines)
            fuzz_fail("%zu rows from %zu lines after the header", n, lines);
    }
    free(rows);
    return 0;
}
