/*
 * curl_floor.c - the cheapest libcurl client this machine allows, as a
 * yardstick for `tollgate run`'s CPU per request: one thread, one multi
 * handle, curl_multi_socket_action + epoll with kept registrations and
 * expiry-only timeouts (reference/PERFORMANCE.md), N easy handles re-added
 * as soon as they finish, no bookkeeping at all; the URL handed over
 * parsed (CURLOPT_CURLU) and no proxy environment lookups, the two
 * options that cut libcurl 7.88's own per-request work (bench/run/README.md).
 *
 *   curl_floor URL CONNECTIONS REQUESTS
 *
 * Prints requests done and user+system CPU microseconds per request.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

static int epfd;
static long deadline_ms = -1;
static unsigned char want[65536], reg[65536];

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *u, void *sp)
{
    (void)e, (void)u, (void)sp;
    if (what == CURL_POLL_REMOVE) {
        want[fd] = 0;
        return 0;
    }
    unsigned ev = (what & CURL_POLL_IN ? EPOLLIN : 0) |
                  (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    want[fd] = 1;
    if (reg[fd] == ev)
        return 0;
    struct epoll_event ee = { .events = ev, .data.fd = fd };
    if (epoll_ctl(epfd, reg[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ee))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ee);
    reg[fd] = (unsigned char)ev;
    return 0;
}

static int on_timer(CURLM *m, long ms, void *u)
{
    (void)m, (void)u;
    deadline_ms = ms < 0 ? -1 : now_ms() + ms;
    return 0;
}

static size_t sink(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)u;
    return s * n;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int conns = atoi(argv[2]);
    long total = atol(argv[3]), started = 0, done = 0;
    curl_global_init(CURL_GLOBAL_ALL);
    epfd = epoll_create1(0);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
    CURLU *url = curl_url();
    if (curl_url_set(url, CURLUPART_URL, argv[1], 0) != CURLUE_OK)
        return 2;
    for (int i = 0; i < conns && started < total; i++, started++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_CURLU, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_multi_add_handle(m, e);
    }
    int running;
    while (done < total) {
        struct epoll_event ev[64];
        long wait = deadline_ms < 0 ? 100 : deadline_ms - now_ms();
        int n = epoll_wait(epfd, ev, 64, wait < 0 ? 0 : (int)wait);
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;
            if (!want[fd]) {
                epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
                reg[fd] = 0;
                continue;
            }
            int f = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0);
            curl_multi_socket_action(m, fd, f, &running);
        }
        if (deadline_ms >= 0 && now_ms() >= deadline_ms) {
            deadline_ms = -1;
            curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            CURL *e = msg->easy_handle;
            curl_multi_remove_handle(m, e);
            done++;
            if (started < total) {
                started++;
                curl_multi_add_handle(m, e);
            }
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    printf("curl_floor: %ld requests, %.2f us CPU per request\n", done,
           us / (double)done);
    return 0;
}
