/*
 * serve_kept.c - the success response a connection keeps (see the header
 * for what is reused when, and why it is safe).
 */
#include "serve/serve_kept.h"

#include <string.h>

#include "core/base/err.h"

void serve_kept_init(struct serve_kept *k)
{
    k->r = NULL;
    k->body_len = 0;
    k->route = SERVE_ROUTE_NONE;
}

void serve_kept_free(struct serve_kept *k)
{
    if (k->r != NULL)
        MHD_destroy_response(k->r);
    serve_kept_init(k);
}

/* A success body that does not fit SERVE_KEPT_BODY: a response of its
 * own, n bytes long. */
static enum MHD_Result answer_alone(struct MHD_Connection *conn,
                                    const struct serve_reply_ok *ok, size_t n,
                                    const struct serve_rl_vals *a)
{
    struct serve_rl_text h;
    serve_rl_format(&h, a, 0);
    char *big = xmalloc(n + 1);
    serve_reply_success(big, n + 1, ok);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, big, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result res =
        MHD_queue_response(conn, 200, serve_rl_response(r, &h));
    MHD_destroy_response(r);
    return res;
}

/* Replaces the headers of k->r whose values differ from a, and those
 * after them (removed and added again, so that the order stays). */
static void update_hdrs(struct serve_kept *k, const struct serve_rl_vals *a)
{
    int from = 0;
    while (from < SERVE_RL_COUNT && k->vals.v[from] == a->v[from])
        from++;
    if (from == SERVE_RL_COUNT)
        return;
    for (int i = from; i < SERVE_RL_COUNT; i++)
        if (k->vals.v[i] != SERVE_RL_NOT_SENT)
            MHD_del_response_header(k->r, serve_rl_names[k->hdrs.dialect][i],
                                    k->hdrs.v[i]);
    k->vals = *a;
    serve_rl_format(&k->hdrs, a, from);
    serve_rl_add(k->r, &k->hdrs, from);
}

/* Rewrites the numbers of the kept body in place when ok's body differs
 * from it in them only (same route, model and number lengths) and the
 * kept response's Date is still current. */
static bool rewrite_nums(struct serve_kept *k, const struct serve_reply_ok *ok,
                         int64_t now_s, const struct serve_rl_vals *a)
{
    if (k->r == NULL || now_s != k->date_s || ok->route != k->route ||
        a->dialect != k->vals.dialect || strcmp(ok->model, k->model) != 0)
        return false;
    struct serve_reply_nums u;
    serve_reply_ok_nums(ok, &u);
    if (u.n != k->nums.n)
        return false;
    for (size_t i = 0; i < u.n; i++)
        if (u.len[i] != k->nums.len[i])
            return false;
    for (size_t i = 0; i < u.n; i++)
        memcpy(k->body + k->nums.at[i], u.text[i], u.len[i]);
    return true;
}

/* Formats ok's body into k->body; returns its length (>= SERVE_KEPT_BODY:
 * it did not fit, and k->body holds nothing usable). */
static size_t format_body(struct serve_kept *k, const struct serve_reply_ok *ok)
{
    size_t n = serve_reply_success_nums(k->body, sizeof(k->body), ok, &k->nums);
    k->route = SERVE_ROUTE_NONE;
    if (n >= sizeof(k->body))
        return n;
    size_t m = strlen(ok->model);
    if (m >= sizeof(k->model))
        return n; /* never: a request's model has the same size */
    memcpy(k->model, ok->model, m + 1);
    k->route = ok->route;
    return n;
}

/* A new kept response for the n bytes in k->body, dated now_s. */
static enum MHD_Result queue_new(struct serve_kept *k,
                                 struct MHD_Connection *conn, size_t n,
                                 int64_t now_s, const struct serve_rl_vals *a)
{
    k->r = MHD_create_response_from_buffer(n, k->body, MHD_RESPMEM_PERSISTENT);
    k->body_len = n;
    k->date_s = now_s;
    if (now_s >= 0) {
        char date[SERVE_REPLY_DATE_LEN + 1];
        serve_reply_http_date(date, now_s);
        MHD_add_response_header(k->r, "Date", date);
    }
    k->vals = *a;
    serve_rl_format(&k->hdrs, a, 0);
    serve_rl_response(k->r, &k->hdrs);
    return MHD_queue_response(conn, 200, k->r);
}

enum MHD_Result serve_kept_answer(struct serve_kept *k,
                                  struct MHD_Connection *conn,
                                  const struct serve_reply_ok *ok,
                                  int64_t now_s, const struct serve_rl_vals *a)
{
    if (!rewrite_nums(k, ok, now_s, a)) {
        size_t n = format_body(k, ok);
        if (n >= sizeof(k->body))
            return answer_alone(conn, ok, n, a);
        if (k->r != NULL && (n != k->body_len || now_s != k->date_s ||
                             a->dialect != k->vals.dialect)) {
            MHD_destroy_response(k->r);
            k->r = NULL;
        }
        if (k->r == NULL)
            return queue_new(k, conn, n, now_s, a);
    }
    update_hdrs(k, a);
    return MHD_queue_response(conn, 200, k->r);
}
