/*
 * test_serve_kept.c - the success response a connection keeps
 * (serve/serve_kept.h), through a real libmicrohttpd daemon on 127.0.0.1
 * and one keep-alive connection: every answer must be byte for byte what
 * a fresh response would say (the body serve_reply_success formats, the
 * Date of its second, the x-ratelimit values in the documented order),
 * whether the kept response was reused in place or replaced.  Each row
 * states which of the two it expects and why.
 *
 * Threads: the daemon's thread only calls serve_kept_answer and notes
 * whether the kept response survived; the test thread sends, reads and
 * asserts (cmocka is not thread-safe).  The client waits for each answer
 * before sending the next request, so the two never touch the state at
 * the same time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/serve_kept.h"

#define NS SERVE_RL_NOT_SENT

struct kept_case {
    const char *name;
    enum serve_route route;
    uint64_t id;
    const char *model;
    int64_t prompt, completion, now_s;
    int64_t rl[SERVE_RL_ID]; /* rate-limit values, SERVE_RL_* order */
    bool reused;             /* the kept response answers again */
};

/* Run in this order on one connection. */
/* clang-format off */
static const struct kept_case cases[] = {
    /* nothing kept yet */
    { "first success: a new response", SERVE_ROUTE_CHAT, 1, "mini", 10, 20,
      1000, { 60, 40000, 1000, 2000, 59, 39970 }, false },
    /* same second, route and model, numbers of the same lengths: digits
     * rewritten in place; the remaining counts and the id changed */
    { "same shape: rewritten in place", SERVE_ROUTE_CHAT, 2, "mini", 30, 40,
      1000, { 60, 40000, 1000, 2000, 58, 39900 }, true },
    /* a reset moved: it and every header after it are replaced */
    { "a reset changed: headers replaced", SERVE_ROUTE_CHAT, 3, "mini", 30,
      40, 1000, { 60, 40000, 999, 1999, 57, 39830 }, true },
    /* id 10 is one digit longer: the body length changes */
    { "longer number: a new response", SERVE_ROUTE_CHAT, 10, "mini", 30, 40,
      1000, { 60, 40000, 999, 1999, 56, 39760 }, false },
    /* the next second: the kept Date is stale */
    { "next second: a new response", SERVE_ROUTE_CHAT, 11, "mini", 30, 40,
      1001, { 60, 40000, 999, 1999, 55, 39690 }, false },
    /* another model of the same length: formatted over the same bytes */
    { "other model, same length: reused", SERVE_ROUTE_CHAT, 12, "maxi", 30,
      40, 1001, { 60, 40000, 999, 1999, 54, 39620 }, true },
    /* the token limit went away: its headers are no longer sent */
    { "token headers dropped", SERVE_ROUTE_CHAT, 13, "maxi", 30, 40, 1001,
      { 60, NS, 999, NS, 53, NS }, true },
    /* Anthropic's message body has another length, and Anthropic's
     * header family (resets as RFC 3339 times) */
    { "other route: a new response", SERVE_ROUTE_MESSAGES, 14, "maxi", 30, 40,
      1001, { 60, 40000, 999, 1999, 52, 39550 }, false },
    /* same second and shape: reused, Anthropic names kept in order */
    { "anthropic: rewritten in place", SERVE_ROUTE_MESSAGES, 15, "maxi", 30,
      40, 1001, { 60, 40000, 998, 1998, 51, 39480 }, true },
    /* back to the OpenAI family: other names, a new response */
    { "dialect change: a new response", SERVE_ROUTE_CHAT, 16, "maxi", 30, 40,
      1001, { 60, 40000, 998, 1998, 50, 39410 }, false },
};
/* clang-format on */
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

/* A row's header values: its limits, and its id, dialect and second. */
static struct serve_rl_vals vals_of(const struct kept_case *c)
{
    struct serve_rl_vals a;
    memcpy(a.v, c->rl, sizeof(c->rl));
    a.v[SERVE_RL_ID] = (int64_t)c->id;
    a.dialect = serve_reply_dialect(c->route);
    a.now_s = c->now_s;
    return a;
}

/* Shared with the daemon's thread (see the top). */
static struct serve_kept kept;
static struct {
    size_t row;
    bool reused[N_CASES];
    bool answered[N_CASES];
} seen;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload;
    (void)upload_size;
    if (*con_cls == NULL) { /* headers only: answer in the next call */
        *con_cls = &kept;
        return MHD_YES;
    }
    size_t i = seen.row++;
    if (i >= N_CASES)
        return MHD_NO;
    const struct kept_case *c = &cases[i];
    struct serve_reply_ok ok = { c->route, c->id,     c->now_s,
                                 c->model, c->prompt, c->completion };
    struct MHD_Response *before = kept.r;
    struct serve_rl_vals a = vals_of(c);
    enum MHD_Result res = serve_kept_answer(&kept, conn, &ok, c->now_s, &a);
    seen.reused[i] = before != NULL && kept.r == before;
    seen.answered[i] = res == MHD_YES;
    return res;
}

/* Reads one response (headers and a Content-Length body) into buf;
 * returns its length or 0. */
static size_t read_response(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char *end = n > 0 ? strstr(buf, "\r\n\r\n") : NULL;
        if (end != NULL) {
            const char *cl = strstr(buf, "Content-Length: ");
            if (cl == NULL || cl > end)
                return 0;
            size_t want = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
            if (n >= want)
                return n;
        }
        if (n + 1 >= cap)
            return 0;
        ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);
        if (got <= 0)
            return 0;
        n += (size_t)got;
        buf[n] = '\0';
    }
}

/* The value of header name in response text resp ("" when absent). */
static void header_of(const char *resp, const char *name, char *out, size_t len)
{
    char pat[96];
    snprintf(pat, sizeof(pat), "\r\n%s: ", name);
    const char *p = strstr(resp, pat);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(pat);
    size_t n = strcspn(p, "\r");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

static void check_row(size_t i, const char *resp, size_t len)
{
    const struct kept_case *c = &cases[i];
    print_message("row: %s\n", c->name);
    assert_true(len > 0);
    assert_true(seen.answered[i]);
    assert_int_equal(seen.reused[i], c->reused);
    assert_memory_equal(resp, "HTTP/1.1 200", 12);
    /* the body a fresh response would carry */
    struct serve_reply_ok ok = { c->route, c->id,     c->now_s,
                                 c->model, c->prompt, c->completion };
    char want[SERVE_KEPT_BODY];
    size_t n = serve_reply_success(want, sizeof(want), &ok);
    const char *body = strstr(resp, "\r\n\r\n") + 4;
    assert_int_equal((size_t)(resp + len - body), n);
    assert_memory_equal(body, want, n);
    /* its Date, and each x-ratelimit header with the fresh text */
    char date[SERVE_REPLY_DATE_LEN + 1], got[64];
    serve_reply_http_date(date, c->now_s);
    header_of(resp, "Date", got, sizeof(got));
    assert_string_equal(got, date);
    struct serve_rl_text t;
    struct serve_rl_vals a = vals_of(c);
    serve_rl_format(&t, &a, 0);
    const char *const *names = serve_rl_names[a.dialect];
    const char *const *others = serve_rl_names[!a.dialect];
    const char *prev = resp;
    for (int h = 0; h < SERVE_RL_COUNT; h++) {
        header_of(resp, others[h], got, sizeof(got));
        assert_string_equal(got, ""); /* never the other family */
        header_of(resp, names[h], got, sizeof(got));
        assert_string_equal(got, t.v[h]);
        if (t.v[h][0] == '\0')
            continue;
        const char *at = strstr(resp, names[h]);
        assert_true(at > prev); /* the documented order */
        prev = at;
    }
}

static void test_kept(void **state)
{
    (void)state;
    serve_kept_init(&kept);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_request, NULL, MHD_OPTION_SOCK_ADDR,
        &(struct sockaddr_in){ .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
        MHD_OPTION_END);
    assert_non_null(d);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons(info->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    static char resp[8192];
    for (size_t i = 0; i < N_CASES; i++) {
        static const char req[] = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
        assert_int_equal(send(fd, req, sizeof(req) - 1, 0),
                         (ssize_t)sizeof(req) - 1);
        size_t len = read_response(fd, resp, sizeof(resp));
        check_row(i, resp, len);
    }
    close(fd);
    MHD_stop_daemon(d);
    serve_kept_free(&kept);
    assert_null(kept.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_kept) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
