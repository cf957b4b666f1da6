/*
 * plan.h - which part of a distributed run this process does, and when:
 * the values of `run --shard` and `run --start-at` (README "Commands";
 * docs/architecture.md).  Pure functions: the caller passes the environment and
 * the clocks in, so that everything here is testable.
 */
#ifndef TOLLGATE_PLAN_H
#define TOLLGATE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/*
 * Parses a --start-at TIME into ns since the Unix epoch (UTC):
 *   - Unix epoch seconds, digits with an optional fraction of up to 9
 *     digits ("1764237600", "1764237600.25");
 *   - an RFC 3339 timestamp: YYYY-MM-DD, 'T' (or 't' or one space),
 *     hh:mm:ss, an optional fraction of up to 9 digits, then 'Z' (or 'z')
 *     or an offset +hh:mm / -hh:mm, which is subtracted to give UTC.
 * Nothing may follow.  Leap seconds (ss = 60) are refused.  ERR_INVAL
 * with a reason in err (err_len bytes) when s is neither.
 */
int lg_plan_start_at(const char *s, int64_t *epoch_ns, char *err,
                     size_t err_len) WARN_UNUSED;

/*
 * Parses --shard "I/N" (0 <= I < N) or "auto/N", where I comes from the
 * first of these that is set and not empty: job_index (Kubernetes Indexed
 * Job: JOB_COMPLETION_INDEX), slurm_array (a Slurm job array task:
 * SLURM_ARRAY_TASK_ID; an array written --array=0-(N-1)), slurm_procid
 * (the task rank of a Slurm step: SLURM_PROCID, for srun -n N); the caller
 * passes the environment values (NULL when unset).  *src names where I
 * came from.  ERR_INVAL with a reason in err otherwise (malformed, I out
 * of range, auto without any variable).
 */
int lg_plan_shard(const char *s, const char *job_index, const char *slurm_array,
                  const char *slurm_procid, int *i, int *n, const char **src,
                  char *err, size_t err_len) WARN_UNUSED;

/* The largest shard count accepted. */
#define LG_PLAN_MAX_SHARDS 1000000

#endif
