/*
 * serve_answer.c - serve's answers: a decided API request (a success in
 * the connection's kept response, a shared fixed denial, or an error with
 * its rate-limit and retry headers), GET /v1/models, the admin routes and
 * their access check, and plain errors that are not policy decisions.
 *
 * Everything here queues a response on the request's connection and
 * returns libmicrohttpd's result; nothing blocks or takes the model lock
 * except through serve_model's own calls (metrics, state, inject).
 */
#include "serve/serve_answer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/serve_rlhdr.h"

/* ---- responses ----------------------------------------------------------- */

/* Queues r and drops the caller's reference. */
static enum MHD_Result queue_and_drop(struct MHD_Connection *c, unsigned status,
                                      struct MHD_Response *r)
{
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status,
                                 struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Type", "application/json");
    return queue_and_drop(c, status, r);
}

static struct MHD_Response *copy_response(const char *body, size_t len)
{
    return MHD_create_response_from_buffer(len, (void *)body,
                                           MHD_RESPMEM_MUST_COPY);
}

static struct MHD_Response *take_response(char *body, size_t len)
{
    return MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
}

/* A plain error that is not a policy decision (404, 405, 403, 413). */
enum MHD_Result serve_answer_plain_error(struct MHD_Connection *c,
                                         unsigned status, const char *code,
                                         const char *msg)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"error\":{\"message\":\"%s\",\"type\":"
                     "\"invalid_request_error\",\"param\":null,\"code\":"
                     "\"%s\"}}",
                     msg, code);
    size_t len = n < 0                      ? 0
                 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1
                                            : (size_t)n;
    return send_body(c, status, copy_response(buf, len));
}

static void add_i64_header(struct MHD_Response *r, const char *name, int64_t v)
{
    char buf[24];
    serve_reply_i64(buf, v);
    MHD_add_response_header(r, name, buf);
}

/* retry-after and retry-after-ms when the model knows the wait (a
 * limit's refill, a timed event's end); none when it does not (overload,
 * server errors, open-ended or random events): the client then backs off
 * on its own, exactly as the simulator's client does without a hint. */
static void add_retry_headers(struct MHD_Response *r, int64_t retry_ns)
{
    if (retry_ns <= 0)
        return;
    add_i64_header(r, "retry-after", serve_reply_retry_after_s(retry_ns));
    add_i64_header(r, "retry-after-ms", (retry_ns + 999999) / 1000000);
}

/* A success in a response of its own, with the IETF draft fields too
 * (live.ietf_ratelimit): RateLimit changes with every answer, so the
 * kept response's partial update does not apply. */
static enum MHD_Result answer_ok_fresh(struct sreq *q,
                                       const struct serve_reply_ok *ok,
                                       const struct serve_rl_vals *a)
{
    size_t n = serve_reply_success(NULL, 0, ok);
    char *body = xmalloc(n + 1);
    serve_reply_success(body, n + 1, ok);
    struct serve_rl_text h;
    serve_rl_format(&h, a, 0);
    struct MHD_Response *r = serve_rl_response(take_response(body, n), &h);
    serve_rl_ietf(r, q->s->sc, &q->call.dec);
    return queue_and_drop(q->conn, 200, r);
}

/* A success, in the connection's kept response (serve_kept.h). */
static enum MHD_Result answer_ok(struct sreq *q)
{
    int64_t now_s = (int64_t)time(NULL);
    struct serve_reply_ok ok = {
        .route = q->route,
        .id =
            atomic_fetch_add_explicit(&q->s->next_id, 1, memory_order_relaxed),
        .created_s = now_s,
        .model = q->model,
        .prompt_tokens = q->call.rq.prompt_tokens,
        .completion_tokens = q->call.rq.completion_tokens,
    };
    struct serve_rl_vals a;
    serve_rl_vals_of(&a, &q->call.dec, serve_reply_dialect(q->route), now_s,
                     (int64_t)ok.id);
    if (q->s->sc->live.ietf_ratelimit)
        return answer_ok_fresh(q, &ok, &a);
    return serve_kept_answer(&conn_state(q->conn)->kept, q->conn, &ok, now_s,
                             &a);
}

static struct MHD_Response *error_response(struct sreq *q, unsigned *status)
{
    enum serve_dialect dia = serve_reply_dialect(q->route);
    struct serve_reply_denial d = {
        .reason = q->call.outcome,
        .dialect = dia,
        .limit_name = q->call.limit_name,
        .limit = q->call.limit_amount,
        .retry_ns = q->call.retry_ns,
        .model = q->model_unknown ? q->model : NULL,
        .too_large = q->call.too_large,
        .requested = q->call.requested,
        .req_model = q->model,
    };
    char buf[1024];
    size_t n = serve_reply_error(buf, sizeof(buf), &d);
    *status = (unsigned)serve_reply_status(d.reason, dia);
    if (n >= sizeof(buf))
        n = sizeof(buf) - 1; /* messages are short; never reached */
    return copy_response(buf, n);
}

/* A denial whose answer depends on its reason and dialect only. */
static bool fixed_denial(const struct sreq *q)
{
    const struct serve_call *c = &q->call;
    return c->outcome != REASON_OK && !reason_retryable(c->outcome) &&
           !c->dec.req.present && !c->dec.tok.present &&
           c->limit_name == NULL && !q->model_unknown;
}

/* Queues the shared answer of a fixed denial, built by the first request
 * that needs it (a racing builder's copy is dropped). */
static enum MHD_Result answer_fixed(struct sreq *q)
{
    enum serve_dialect dia = serve_reply_dialect(q->route);
    _Atomic(struct MHD_Response *) *slot = &q->s->fixed[q->call.outcome][dia];
    struct MHD_Response *r = atomic_load_explicit(slot, memory_order_acquire);
    unsigned status = (unsigned)serve_reply_status(q->call.outcome, dia);
    if (r == NULL) {
        struct MHD_Response *mine = error_response(q, &status);
        MHD_add_response_header(mine, "Content-Type", "application/json");
        if (atomic_compare_exchange_strong_explicit(
                slot, &r, mine, memory_order_acq_rel, memory_order_acquire))
            r = mine;
        else
            MHD_destroy_response(mine); /* r: the one that won */
    }
    return MHD_queue_response(q->conn, status, r);
}

/* Answers a decided API request. */
enum MHD_Result serve_answer_api(struct sreq *q)
{
    if (q->call.outcome == REASON_OK)
        return answer_ok(q);
    if (fixed_denial(q))
        return answer_fixed(q);
    unsigned status = 200;
    struct serve_rl_vals a;
    struct serve_rl_text h;
    int64_t id = (int64_t)atomic_fetch_add_explicit(&q->s->next_id, 1,
                                                    memory_order_relaxed);
    serve_rl_vals_of(&a, &q->call.dec, serve_reply_dialect(q->route),
                     (int64_t)time(NULL), id);
    serve_rl_format(&h, &a, 0);
    struct MHD_Response *r = serve_rl_response(error_response(q, &status), &h);
    if (q->s->sc->live.ietf_ratelimit)
        serve_rl_ietf(r, q->s->sc, &q->call.dec);
    if (reason_retryable(q->call.outcome))
        add_retry_headers(r, q->call.retry_ns);
    return queue_and_drop(q->conn, status, r);
}

/* GET /v1/models: needs a valid key, is not a policy decision. */
enum MHD_Result serve_answer_models(struct serve *s, struct sreq *q)
{
    size_t key_len = 0;
    const char *key = serve_hdr_key(&q->hdr, &key_len);
    if (key == NULL || serve_keys_lookup(&s->keys, key, key_len) < 0) {
        q->call.outcome = REASON_INVALID_KEY;
        q->call.retry_ns = -1;
        unsigned status = 401;
        return send_body(q->conn, status, error_response(q, &status));
    }
    char buf[4096];
    const char *const *names = (const char *const *)s->model_names;
    size_t n = serve_reply_models(buf, sizeof(buf), names, s->n_models);
    if (n < sizeof(buf))
        return send_body(q->conn, 200, copy_response(buf, n));
    char *big = xmalloc(n + 1);
    serve_reply_models(big, n + 1, names, s->n_models);
    return send_body(q->conn, 200, take_response(big, n));
}

/* ---- admin requests ------------------------------------------------------ */

/* Whether q may use its admin route (docs/serve.md, "Security"): from
 * loopback unless admin_any, and with the admin token where the route
 * needs it.  Queues the refusal otherwise. */
bool serve_answer_admin_allowed(struct serve *s, struct sreq *q)
{
    if (!s->opts.admin_any && !serve_hdr_peer_is_loopback(q->conn)) {
        serve_answer_plain_error(q->conn, MHD_HTTP_FORBIDDEN, "forbidden",
                                 "Admin endpoints answer loopback only.");
        return false;
    }
    const char *token = s->opts.admin_token;
    switch (serve_reply_admin_need(q->route, token != NULL)) {
    case SERVE_ADMIN_OPEN: return true;
    case SERVE_ADMIN_OFF:
        serve_answer_plain_error(
            q->conn, MHD_HTTP_FORBIDDEN, "key_route_off",
            "GET /tollgate/key is off: start serve with "
            "--admin-token (or TOLLGATE_ADMIN_TOKEN) and send "
            "Authorization: Bearer <token>.");
        return false;
    case SERVE_ADMIN_TOKEN:
        if (serve_reply_admin_ok(q->hdr.authorization, token))
            return true;
        serve_answer_plain_error(q->conn, MHD_HTTP_UNAUTHORIZED,
                                 "invalid_admin_token",
                                 "This admin route wants Authorization: Bearer "
                                 "<admin token>.");
        return false;
    }
    return false;
}

/* GET /tollgate/key?account=N: the key of account N, so that curl users
 * and scripts need not reimplement the key scheme. */
enum MHD_Result serve_answer_key(struct serve *s, struct sreq *q)
{
    int64_t a = serve_hdr_i64(
        MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, "account"));
    char key[KEYS_MAX_LEN + 1], buf[KEYS_MAX_LEN + 64];
    if (a < 0 || a >= s->sc->n_accounts)
        return serve_answer_plain_error(q->conn, MHD_HTTP_NOT_FOUND,
                                        "no_such_account",
                                        "account=N wants 0 <= N < accounts.");
    if (s->keys.file != NULL)
        snprintf(key, sizeof(key), "%s", s->keys.file->key[a]);
    else if (keys_for_account(a, key, sizeof(key)) == 0)
        key[0] = '\0';
    int n = snprintf(buf, sizeof(buf), "{\"account\":%lld,\"key\":\"",
                     (long long)a);
    size_t len = (size_t)n;
    len += serve_reply_escape(buf + len, sizeof(buf) - len, key);
    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\"}");
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    return send_body(q->conn, 200, copy_response(buf, len));
}

enum MHD_Result serve_answer_admin(struct serve *s, struct sreq *q)
{
    size_t len = 0;
    char *body = NULL;
    struct MHD_Response *r;
    unsigned status = 200;
    if (q->route == SERVE_ROUTE_ADMIN_METRICS) {
        body = serve_model_metrics(s->model, &len);
        r = take_response(body, len);
        MHD_add_response_header(r, "Content-Type",
                                "text/plain; version=0.0.4; charset=utf-8");
        enum MHD_Result ok = MHD_queue_response(q->conn, status, r);
        MHD_destroy_response(r);
        return ok;
    }
    if (q->route == SERVE_ROUTE_ADMIN_STATE) {
        body = serve_model_state(s->model, &len);
    } else {
        int rc = serve_model_inject(s->model, q->body, q->len, &body);
        status = rc == ERR_OK ? 200 : rc == ERR_TOOBIG ? 409 : 400;
        len = strlen(body);
    }
    return send_body(q->conn, status, take_response(body, len));
}
