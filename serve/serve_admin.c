/*
 * serve_admin.c - formats the admin endpoints' bodies from a snapshot.
 *
 * Output goes through open_memstream, so bodies of any size are built in
 * one pass; the JSON goes through core/base/json's writer (escaping, number
 * formatting).  Prometheus histogram buckets are cumulative (le="x" counts
 * every observation <= x), as the exposition format requires.
 *
 * Nothing here locks or reads a clock: the snapshot carries everything.
 */
#include "serve/serve_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/json.h"

static const double bucket_le[SERVE_ADMIN_N_BUCKETS] = SERVE_ADMIN_BUCKETS;

void serve_admin_lat_add(struct serve_admin_lat *l, int64_t ns)
{
    double s = (double)ns / 1e9;
    int i = 0;
    while (i < SERVE_ADMIN_N_BUCKETS && s > bucket_le[i])
        i++;
    l->bucket[i]++;
    l->sum_s += s;
    l->count++;
}

void serve_admin_snap_fini(struct serve_admin_snap *s)
{
    free(s->blocked);
    free(s->limits);
    free(s->events);
    s->blocked = NULL;
    s->limits = NULL;
    s->events = NULL;
}

static char *finish_stream(FILE *f, char **buf, size_t *len)
{
    if (fclose(f) != 0) {
        free(*buf);
        *buf = xstrdup("");
        *len = 0;
    }
    return *buf;
}

/* ---- metrics ------------------------------------------------------------- */

static void metric_head(FILE *f, const char *name, const char *type,
                        const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_latency(FILE *f, const struct serve_admin_lat *l)
{
    const char *n = "tollgate_request_duration_seconds";
    metric_head(f, n, "histogram",
                "Server-side latency of API requests, arrival to answer.");
    int64_t cum = 0;
    for (int i = 0; i < SERVE_ADMIN_N_BUCKETS; i++) {
        cum += l->bucket[i];
        fprintf(f, "%s_bucket{le=\"%g\"} %lld\n", n, bucket_le[i],
                (long long)cum);
    }
    cum += l->bucket[SERVE_ADMIN_N_BUCKETS];
    fprintf(f, "%s_bucket{le=\"+Inf\"} %lld\n", n, (long long)cum);
    fprintf(f, "%s_sum %.9g\n%s_count %lld\n", n, l->sum_s, n,
            (long long)l->count);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
    metric_head(f, name, "gauge", help);
    fprintf(f, "%s %.17g\n", name, v);
}

char *serve_admin_metrics(const struct serve_admin_snap *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        abort(); /* out of memory, as the x-allocators treat it */
    metric_head(f, "tollgate_decisions_total", "counter",
                "API requests answered, by outcome (ok or denial reason).");
    for (int r = 0; r < REASON_COUNT; r++)
        fprintf(f, "tollgate_decisions_total{reason=\"%s\"} %lld\n",
                reason_id((enum reason)r), (long long)s->decisions[r]);
    metrics_latency(f, &s->lat);
    gauge(f, "tollgate_in_flight",
          "API requests waiting for service or in the capacity queue.",
          (double)s->in_flight);
    gauge(f, "tollgate_queue_length", "Requests in the capacity queue.",
          (double)s->queue_len);
    gauge(f, "tollgate_busy_servers", "Servers busy with a request.",
          (double)s->busy_servers);
    gauge(f, "tollgate_capacity_factor",
          "Fraction of capacity left by active outages and upgrades.",
          s->capacity_factor);
    gauge(f, "tollgate_uptime_seconds", "Seconds since the server started.",
          s->uptime_s);
    return finish_stream(f, &buf, len);
}

/* ---- state --------------------------------------------------------------- */

static void state_limits(struct json_w *w, const struct serve_admin_snap *s)
{
    const struct scn_policy *p = &s->sc->policy;
    json_w_key(w, "limits");
    json_w_obj_begin(w);
    for (size_t t = 0; t < p->n_tiers; t++) {
        json_w_key(w, p->tiers[t].name);
        json_w_obj_begin(w);
        for (size_t i = 0; i < p->tiers[t].n_limits; i++) {
            const struct lim_conf *c = &s->limits[t * s->max_limits + i];
            static const char *const kinds[] = { "requests", "tokens",
                                                 "concurrent" };
            json_w_key(w, p->tiers[t].limits[i].name);
            json_w_obj_begin(w);
            json_w_key(w, "kind");
            json_w_str(w, kinds[c->kind]);
            json_w_key(w, "algorithm");
            json_w_str(w, scn_algo_name(c->algo));
            json_w_key(w, "amount");
            json_w_int(w, c->amount);
            json_w_key(w, "per_s");
            json_w_num(w, (double)c->per_ns / 1e9);
            json_w_key(w, "burst");
            json_w_int(w, c->burst);
            json_w_obj_end(w);
        }
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
}

static void state_events(struct json_w *w, const struct serve_admin_snap *s)
{
    json_w_key(w, "events");
    json_w_arr_begin(w);
    for (size_t i = 0; i < s->n_events; i++) {
        const struct serve_admin_event *e = &s->events[i];
        json_w_obj_begin(w);
        json_w_key(w, "kind");
        json_w_str(w, e->kind);
        json_w_key(w, "label");
        json_w_str(w, e->label);
        json_w_key(w, "start_s");
        json_w_num(w, e->start_s);
        json_w_key(w, "end_s");
        if (e->end_s < 0)
            json_w_null(w);
        else
            json_w_num(w, e->end_s);
        json_w_key(w, "active");
        json_w_bool(w, e->active);
        json_w_key(w, "injected");
        json_w_bool(w, e->injected);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
}

static void kv_int(struct json_w *w, const char *k, int64_t v)
{
    json_w_key(w, k);
    json_w_int(w, v);
}

static void state_counts(struct json_w *w, const struct serve_admin_snap *s)
{
    const struct policy_totals *t = &s->totals;
    kv_int(w, "accounts", s->sc->n_accounts);
    json_w_key(w, "credit_remaining_usd");
    json_w_num(w, (double)t->credit_pusd / 1e12);
    kv_int(w, "accounts_banned", t->accounts_banned);
    kv_int(w, "accounts_suspended", t->accounts_suspended);
    kv_int(w, "accounts_inactive", t->accounts_inactive);
    kv_int(w, "accounts_billing_failed", t->accounts_billing);
    kv_int(w, "keys_revoked", t->accounts_revoked);
    kv_int(w, "sources_locked", t->sources_locked);
    kv_int(w, "in_flight", s->in_flight);
    kv_int(w, "queue_length", s->queue_len);
    kv_int(w, "busy_servers", s->busy_servers);
    json_w_key(w, "servers"); /* null and servers_unlimited: no limit */
    if (s->servers < 0)
        json_w_null(w);
    else
        json_w_int(w, s->servers);
    json_w_key(w, "servers_unlimited");
    json_w_bool(w, s->servers < 0);
    json_w_key(w, "capacity_factor");
    json_w_num(w, s->capacity_factor);
}

static void state_tail(struct json_w *w, const struct serve_admin_snap *s)
{
    json_w_key(w, "blocked_regions");
    json_w_arr_begin(w);
    for (size_t i = 0; i < s->n_blocked; i++)
        json_w_str(w, s->sc->regions[s->blocked[i]]);
    json_w_arr_end(w);
    state_limits(w, s);
    json_w_key(w, "rl_remaining");
    json_w_obj_begin(w);
    kv_int(w, "requests", s->rl_remaining_requests);
    kv_int(w, "tokens", s->rl_remaining_tokens);
    json_w_obj_end(w);
    json_w_key(w, "decisions");
    json_w_obj_begin(w);
    for (int r = 0; r < REASON_COUNT; r++)
        kv_int(w, reason_id((enum reason)r), s->decisions[r]);
    json_w_obj_end(w);
    state_events(w, s);
}

char *serve_admin_state(const struct serve_admin_snap *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        abort();
    struct json_w w;
    json_w_init(&w, f, false);
    json_w_obj_begin(&w);
    json_w_key(&w, "scenario");
    json_w_str(&w, s->sc->name);
    json_w_key(&w, "uptime_s");
    json_w_num(&w, s->uptime_s);
    state_counts(&w, s);
    state_tail(&w, s);
    json_w_obj_end(&w);
    if (json_w_finish(&w) != ERR_OK)
        abort(); /* a memory stream fails only when memory runs out */
    return finish_stream(f, &buf, len);
}
