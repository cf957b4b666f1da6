/*
 * results_scenario.c - scenario.yaml of a results directory.
 *
 * Kept apart from results_write.c so that programs using the other
 * writers (tests, merge) do not pull in the scenario module: merge copies
 * the first shard's scenario.yaml byte for byte instead.  The file is the
 * scenario as scn_write() renders it (defaults filled in, overrides
 * applied), written atomically like every results file, except that
 * credentials in live.target are masked (keys_redact_url): a results
 * directory is shared more widely than the scenario it came from, and
 * `validate --explain` output is pasted into tickets.
 */
#include "core/results/results.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/keys.h"
#include "core/scenario/scenario.h"

int results_fwrite_scenario(FILE *out, const struct scenario *sc)
{
    if (!sc->has_live || sc->live.target == NULL)
        return scn_write(sc, out);
    /* A shallow copy that differs in the target only: scn_write reads. */
    struct scenario masked = *sc;
    size_t n = 3 * strlen(sc->live.target) + 4; /* "***" may be longer */
    char *target = xmalloc(n);
    masked.live.target = keys_redact_url(sc->live.target, target, n);
    int rc = scn_write(&masked, out);
    free(target);
    return rc;
}

static int wr_scenario(void *ctx, FILE *out)
{
    return results_fwrite_scenario(out, ctx);
}

int results_write_scenario(const char *dir, const struct scenario *sc)
{
    return results_write_atomic(dir, RESULTS_SCENARIO, wr_scenario, (void *)sc);
}
