/*
 * serve_admin.h - the bodies of the admin endpoints, from a snapshot.
 *
 * The model copies what the endpoints show into a struct serve_admin_snap
 * while it holds its lock; formatting happens afterwards, without it.
 * Both formatters are pure (tests/unit/test_serve.c checks them).
 *
 *   GET /tollgate/metrics  Prometheus text exposition format 0.0.4:
 *     tollgate_decisions_total{reason="<id>"}  counter, every outcome id
 *     tollgate_request_duration_seconds        histogram (server-side
 *                                              latency, arrival to answer)
 *     tollgate_in_flight                       gauge: requests waiting for
 *                                              service or in the queue
 *     tollgate_queue_length, tollgate_busy_servers, tollgate_capacity_factor,
 *     tollgate_uptime_seconds                  gauges
 *   GET /tollgate/state    one JSON object (see serve_admin_state).
 */
#ifndef TOLLGATE_SERVE_ADMIN_H
#define TOLLGATE_SERVE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model/policy.h"
#include "core/base/reason.h"
#include "core/scenario/scenario.h"

/* Upper bounds (seconds) of the latency histogram buckets; +Inf follows. */
#define SERVE_ADMIN_BUCKETS                                                    \
    {                                                                          \
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,    \
            10, 30, 60                                                         \
    }
#define SERVE_ADMIN_N_BUCKETS 15

/* Latency metrics: cumulative per bucket is computed when formatting. */
struct serve_admin_lat {
    int64_t bucket[SERVE_ADMIN_N_BUCKETS + 1]; /* per bucket; last: +Inf */
    double sum_s;
    int64_t count;
};

/* Adds one latency (ns) to l. */
void serve_admin_lat_add(struct serve_admin_lat *l, int64_t ns);

/* One event occurrence as /tollgate/state shows it. */
struct serve_admin_event {
    const char *kind; /* scenario kind name, static */
    char label[96];
    double start_s;
    double end_s; /* < 0: open-ended */
    bool injected;
    bool active; /* a duration kind whose end is still ahead */
};

struct serve_admin_snap {
    const struct scenario *sc; /* names (tiers, limits, regions) */
    double uptime_s;
    int64_t decisions[REASON_COUNT];
    struct serve_admin_lat lat;
    int64_t in_flight, queue_len, busy_servers;
    int64_t servers; /* configured; < 0: unlimited */
    double capacity_factor;

    /* state only (left zero for metrics) */
    bool full;
    struct policy_totals totals;
    int64_t rl_remaining_requests, rl_remaining_tokens; /* summed */
    int *blocked; /* region indices blocked now; owned by the snapshot */
    size_t n_blocked;
    struct lim_conf *limits; /* n_tiers x max_limits confs in force */
    size_t max_limits;
    struct serve_admin_event *events; /* owned by the snapshot */
    size_t n_events;
};

/* Releases what a full snapshot owns. */
void serve_admin_snap_fini(struct serve_admin_snap *s);

/* The metrics text; heap string (free()), length in *len. */
char *serve_admin_metrics(const struct serve_admin_snap *s, size_t *len);

/*
 * The state JSON; heap string (free()), length in *len:
 * {"scenario","uptime_s","accounts","credit_remaining_usd",
 *  "accounts_banned","accounts_suspended","accounts_inactive",
 *  "accounts_billing_failed","keys_revoked","sources_locked",
 *  "in_flight","queue_length","busy_servers","servers",
 *  "capacity_factor","blocked_regions":[...],
 *  "limits":{"<tier>":{"<limit>":{"kind","algorithm","amount","per_s",
 *            "burst"}}},
 *  "rl_remaining":{"requests","tokens"},
 *  "decisions":{"<id>":n,...},
 *  "events":[{"kind","label","start_s","end_s","active","injected"}]}
 */
char *serve_admin_state(const struct serve_admin_snap *s, size_t *len);

#endif
