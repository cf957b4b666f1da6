/*
 * generator.h - generator.json, the load generator's account of one run
 * (or shard): what it sent, what it could not send and why, how late it
 * was, how busy its threads were.
 *
 * The format is documented in docs/results-format.md ("generator.json");
 * `tollgate run` hands this writer to results_write_atomic.  Unlike
 * summary.json it covers warm-up too.
 */
#ifndef TOLLGATE_GENERATOR_H
#define TOLLGATE_GENERATOR_H

#include <stdio.h>

#include "core/base/err.h"
#include "loadgen/loadgen.h"

/* What generator.json says about one run.  Borrows everything. */
struct lg_generator {
    const struct lg_stats *st; /* from lg_join */
    const char *target;        /* as shown: credentials already masked */
    int threads, connections;  /* as used */
    int shard_i, shard_n;      /* 0/1 when not sharded */
    double start_epoch_s;      /* wall-clock time of t = 0, Unix seconds */
};

/* Writes g as generator.json's object (JSON-escaping the target) to out.
 * Returns ERR_IO when out has an error.  The signature is that of a
 * results_write_atomic writer: ctx is a const struct lg_generator *. */
int lg_generator_write(void *ctx, FILE *out) WARN_UNUSED;

#endif
