/*
 * generator.c - generator.json's writer (see generator.h).
 *
 * A fixed layout of one object, numbers as the other results files write
 * them (seconds %.6f for the epoch and %.3f for durations, milliseconds
 * %.3f for lags and %.1f for CPU time), so that runs diff cleanly.  Shards
 * are not merged here: each shard keeps its own file.
 */
#include "loadgen/generator.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/json.h"

/* A CPU time in ms, or -1 when unknown (negative ns), as documented:
 * -1 ns divided would print as "-0.0". */
static double cpu_ms(int64_t ns)
{
    return ns < 0 ? -1.0 : (double)ns / 1e6;
}

int lg_generator_write(void *ctx, FILE *out)
{
    const struct lg_generator *g = ctx;
    const struct lg_stats *st = g->st;
    size_t len = strlen(g->target);
    char *target = xmalloc(6 * len + 1); /* 6 bytes per byte at most */
    if (json_escape(target, 6 * len + 1, g->target, len) == (size_t)-1)
        target[0] = '\0';
    fprintf(out,
            "{\n  \"target\": \"%s\",\n"
            "  \"shard\": \"%d/%d\", \"start_epoch_s\": %.6f,\n"
            "  \"threads\": %d, \"connections\": %d,\n"
            "  \"connections_opened_peak\": %" PRId64
            ", \"http2_responses\": %" PRId64 ",\n"
            "  \"sent\": %" PRId64 ", \"dropped_no_connection\": %" PRId64
            ", \"dropped_at_drain_end\": %" PRId64
            ", \"waited_for_connection\": %" PRId64
            ",\n  \"aborted_in_flight\": %" PRId64
            ", \"retries_unsent\": %" PRId64 ", \"drain_s\": %.3f,\n"
            "  \"schedule_lag_ms\": { \"p50\": %.3f, \"p99\": %.3f, "
            "\"max\": %.3f },\n  \"worker_cpu_ms\": %.1f, "
            "\"worker_cpu_wait_ms\": %.1f,\n"
            "  \"kept_up\": %s, \"stopped\": %s\n}\n",
            target, g->shard_i, g->shard_n, g->start_epoch_s, g->threads,
            g->connections, st->connections_used, st->http2_responses, st->sent,
            st->dropped - st->dropped_drain, st->dropped_drain, st->conn_waits,
            st->aborted, st->retries_unsent, (double)st->drain_ns / 1e9,
            (double)st->lag_p50_ns / 1e6, (double)st->lag_p99_ns / 1e6,
            (double)st->lag_max_ns / 1e6, cpu_ms(st->cpu_ns),
            cpu_ms(st->cpu_wait_ns), st->kept_up ? "true" : "false",
            st->stopped ? "true" : "false");
    free(target);
    return ferror(out) ? ERR_IO : ERR_OK;
}
