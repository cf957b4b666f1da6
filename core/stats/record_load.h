/*
 * record_load.h - raw write access to a recorder, for the reader of the
 * lossless results file (results_tgh.c) and nothing else.
 *
 * A recorder is filled by recording (record.h); only a reader that
 * restores a saved one needs to set its intervals, histograms and totals
 * directly.  Kept out of record.h so that engines cannot reach past the
 * recording calls.  Included by record.c and results_tgh.c.
 */
#ifndef TOLLGATE_RECORD_LOAD_H
#define TOLLGATE_RECORD_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stats/hist.h"
#include "core/stats/record.h"

/* Sets interval i's stored state from a reader: counters, gauges with
 * their set flags, and its histogram (replacing the current one). */
void rec_interval_load(struct rec *r, size_t i, const struct rec_counts *c,
                       const double gauge[REC_GAUGE_COUNT],
                       const bool set[REC_GAUGE_COUNT],
                       const struct hist_sparse *lat, int64_t transport_errors);
/* Sets interval i's request-level state: final outcomes, lost requests
 * and the latency histogram of the requests completed in it. */
void rec_interval_req_load(struct rec *r, size_t i,
                           const int64_t final[REASON_COUNT],
                           const int64_t lost[REC_LOST_COUNT],
                           const struct hist_sparse *lat);
/* Mutable summary histograms and counters for the reader. */
struct hist *rec_lvl_lat_mut(struct rec *r, enum rec_level k,
                             enum reason outcome);
struct hist *rec_lvl_lat_all_mut(struct rec *r, enum rec_level k);
struct hist *rec_lvl_pop_all_mut(struct rec *r, enum rec_level k, size_t pop);
struct hist *rec_lvl_pop_ok_mut(struct rec *r, enum rec_level k, size_t pop);
struct hist *rec_tries_mut(struct rec *r);
struct hist *rec_service_mut(struct rec *r);
struct hist *rec_lag_mut(struct rec *r);
void rec_pop_counts_load(struct rec *r, size_t pop, const struct rec_counts *c);
void rec_ends_load(struct rec *r, const int64_t ends[REC_END_COUNT]);
void rec_totals_load(struct rec *r, int64_t dropped, int64_t transport_errors,
                     int64_t late, int64_t end_ns, bool complete);

#endif
