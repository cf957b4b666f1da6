/*
 * results_scenario.c - scenario.yaml of a results directory.
 *
 * Kept apart from results_write.c so that programs using the other
 * writers (tests, merge) do not pull in the scenario module: merge copies
 * the first shard's scenario.yaml byte for byte instead.  The file is the
 * scenario as scn_write() renders it (defaults filled in, overrides
 * applied), written atomically like every results file.
 */
#include "core/results.h"

#include "core/scenario.h"

static int wr_scenario(void *ctx, FILE *out)
{
    return scn_write(ctx, out);
}

int results_write_scenario(const char *dir, const struct scenario *sc)
{
    return results_write_atomic(dir, RESULTS_SCENARIO, wr_scenario, (void *)sc);
}
