/*
 * open_floor.c - the open-loop floor of a load generator on this machine:
 * one thread sends GET requests at a uniform RATE over N keep-alive
 * connections for SECONDS and measures send lag (actual - intended send
 * time) and CPU per request, with the same loop as `tollgate run` (epoll,
 * ns timeouts, timer slack 1 ns, each request sent as soon as it is due,
 * lag read from a fresh clock) and none of its bookkeeping.  Two engines:
 *
 *   curl  the bare libcurl multi/socket_action loop, tuned like tollgate
 *         (parsed URL, no proxy lookups, no CA copies, no DNS pruning,
 *         kept fd registrations, a 0 ms timer run right after each add):
 *         what any client built on libcurl's HTTP layer costs;
 *   raw   libcurl only connects (CURLOPT_CONNECT_ONLY); requests are a
 *         prebuilt byte string written with curl_easy_send and responses
 *         read with curl_easy_recv and parsed here (status line,
 *         Content-Length; nothing else is supported): what the same
 *         socket work costs without libcurl's per-transfer HTTP machinery.
 *
 *   open_floor curl|raw URL CONNECTIONS RATE SECONDS
 *
 * Prints requests, CPU us per request (user, system), lag p50/p99/p999
 * in ms and the sends that waited for a free connection.  Loopback
 * benchmarks only; not a client (no chunked bodies, no timeouts).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>

#include "curl_epoll.h"

#define MAX_CONNS 1024

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int epoll_wait_ns(struct epoll_event *ev, int max, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    struct timespec ts = { ns / 1000000000LL, ns % 1000000000LL };
    return epoll_pwait2(epfd, ev, max, &ts, NULL);
}

/* ---- curl engine --------------------------------------------------------- */

/* ---- raw engine ------------------------------------------------------------
 */

struct raw_conn {
    CURL *e;
    int fd;
    size_t got; /* response bytes buffered */
    char buf[4096];
};

/* Bytes of the complete response at the start of c->buf, 0 if incomplete. */
static size_t raw_complete(const struct raw_conn *c)
{
    const char *end = NULL;
    for (size_t i = 3; i < c->got && !end; i++)
        if (memcmp(c->buf + i - 3, "\r\n\r\n", 4) == 0)
            end = c->buf + i + 1;
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->buf), len = 0;
    for (const char *p = c->buf; p < end; p = strchr(p, '\n') + 1)
        if (strncasecmp(p, "content-length:", 15) == 0)
            len = strtoul(p + 15, NULL, 10);
    return c->got >= head + len ? head + len : 0;
}

/* ---- the loop
 * ---------------------------------------------------------------- */

struct run {
    int raw, conns;
    double rate;
    int64_t dur, n, sent, done, waits;
    int64_t quantum; /* shortest sleep, ns (OPEN_FLOOR_QUANTUM_US) */
    int64_t *lag;
    int free_ix[MAX_CONNS], n_free;
};

static void send_one(struct run *r, CURLM *m, CURL **easy, struct raw_conn *rc,
                     const char *req, size_t req_len, int64_t intended)
{
    int i = r->free_ix[--r->n_free];
    int64_t now = now_ns();
    r->lag[r->sent++] = now - intended;
    if (r->raw) {
        size_t n = 0;
        if (curl_easy_send(rc[i].e, req, req_len, &n) != CURLE_OK ||
            n != req_len) {
            fprintf(stderr, "send failed\n");
            exit(3);
        }
        return;
    }
    int running;
    curl_multi_add_handle(m, easy[i]);
    curl_deadline = INT64_MAX;
    curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
}

static void raw_event(struct run *r, struct raw_conn *c, int ix)
{
    for (;;) {
        size_t n = 0;
        CURLcode rc =
            curl_easy_recv(c->e, c->buf + c->got, sizeof(c->buf) - c->got, &n);
        if (rc == CURLE_AGAIN)
            return;
        if (rc != CURLE_OK || n == 0) {
            fprintf(stderr, "recv failed (%d)\n", (int)rc);
            exit(3);
        }
        c->got += n;
        size_t full = raw_complete(c);
        if (full) {
            memmove(c->buf, c->buf + full, c->got - full);
            c->got -= full;
            r->done++;
            r->free_ix[r->n_free++] = ix;
            if (c->got == 0)
                return; /* epoll reports anything further */
        }
    }
}

static void curl_harvest(struct run *r, CURLM *m, CURL **easy)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        long ix = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&ix);
        if (msg->data.result != CURLE_OK) {
            fprintf(stderr, "transfer failed (%d)\n", (int)msg->data.result);
            exit(3);
        }
        curl_multi_remove_handle(m, easy[ix]);
        r->done++;
        r->free_ix[r->n_free++] = (int)ix;
    }
}

int main(int argc, char **argv)
{
    if (argc != 6 || (strcmp(argv[1], "curl") && strcmp(argv[1], "raw"))) {
        fprintf(stderr, "usage: open_floor curl|raw URL CONNECTIONS RATE "
                        "SECONDS\n");
        return 2;
    }
    struct run r = { .raw = strcmp(argv[1], "raw") == 0,
                     .conns = atoi(argv[3]),
                     .rate = atof(argv[4]) };
    r.dur = (int64_t)(atof(argv[5]) * 1e9);
    r.n = (int64_t)(r.rate * (double)r.dur / 1e9);
    const char *q = getenv("OPEN_FLOOR_QUANTUM_US");
    r.quantum = q ? (int64_t)(atof(q) * 1e3) : 0;
    if (r.conns < 1 || r.conns > MAX_CONNS || r.n < 1)
        return 2;
    r.lag = calloc((size_t)r.n, sizeof(*r.lag));
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *m = curl_multi_init();
    curl_epoll_init(m);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)r.conns);
    CURLU *url = curl_url();
    char *host = NULL, *path = NULL;
    if (curl_url_set(url, CURLUPART_URL, argv[2], 0) != CURLUE_OK ||
        curl_url_get(url, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(url, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        return 2;
    char *port = NULL;
    curl_url_get(url, CURLUPART_PORT, &port, 0);
    char req[1024];
    int req_len = snprintf(req, sizeof(req),
                           "GET %s HTTP/1.1\r\nHost: %s%s%s\r\nAccept: "
                           "*/*\r\n\r\n",
                           path, host, port ? ":" : "", port ? port : "");
    static CURL *easy[MAX_CONNS];
    static struct raw_conn rc[MAX_CONNS];
    for (int i = 0; i < r.conns; i++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_CURLU, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, NULL);
        curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, NULL);
        curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
        curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)(intptr_t)i);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        easy[i] = e;
        if (r.raw) {
            long fd = -1;
            curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
            if (curl_easy_perform(e) != CURLE_OK ||
                curl_easy_getinfo(e, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK)
                return 3;
            rc[i].e = e;
            rc[i].fd = (int)fd;
            struct epoll_event ee = { .events = EPOLLIN, .data.u32 = i };
            epoll_ctl(epfd, EPOLL_CTL_ADD, (int)fd, &ee);
        }
        r.free_ix[r.n_free++] = i;
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    t0 = 0;
    t0 = now_ns();
    int64_t next = 0, k = 0, gap = (int64_t)(1e9 / r.rate);
    bool starved = false;
    while (r.done < r.n) {
        int64_t now = now_ns();
        while (k < r.n && next <= now && r.n_free > 0) {
            r.waits += starved;
            starved = false;
            send_one(&r, m, easy, rc, req, (size_t)req_len, next);
            k++;
            next = k * gap;
            if (!r.raw)
                curl_harvest(&r, m, easy);
            now = now_ns();
        }
        starved = k < r.n && next <= now && r.n_free == 0;
        if (!r.raw && curl_deadline <= now) {
            curl_epoll_timeout(m);
            curl_harvest(&r, m, easy);
        }
        int64_t wake = k < r.n && r.n_free > 0 ? next : now + 20000000LL;
        if (wake < now + r.quantum)
            wake = now + r.quantum; /* batch what falls due meanwhile */
        if (!r.raw && curl_deadline < wake)
            wake = curl_deadline;
        struct epoll_event ev[64];
        int n = epoll_wait_ns(ev, 64, wake - now_ns());
        for (int i = 0; i < n; i++) {
            if (r.raw) {
                raw_event(&r, &rc[ev[i].data.u32], (int)ev[i].data.u32);
                continue;
            }
            curl_epoll_event(m, &ev[i]);
        }
        if (!r.raw && n > 0)
            curl_harvest(&r, m, easy);
    }
    getrusage(RUSAGE_SELF, &ru1);
    double us = 1e6 / (double)r.n;
    double u = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
    double s = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    qsort(r.lag, (size_t)r.n, sizeof(*r.lag), cmp_i64);
    printf("open_floor %s: %lld requests, cpu %.2f us/req (user %.2f, sys "
           "%.2f), lag ms p50 %.3f p99 %.3f p999 %.3f, waits %lld\n",
           argv[1], (long long)r.n, (u + s) * us, u * us, s * us,
           (double)r.lag[r.n / 2] / 1e6, (double)r.lag[r.n * 99 / 100] / 1e6,
           (double)r.lag[r.n * 999 / 1000] / 1e6, (long long)r.waits);
    return 0;
}
