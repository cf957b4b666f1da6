/*
 * curl_epoll.h - the libcurl multi + epoll plumbing shared by the bare
 * benchmark clients (curl_floor.c, open_floor.c), the way `tollgate run`
 * drives libcurl (bench/run/README.md): fd registrations kept when
 * libcurl says CURL_POLL_REMOVE (except write interest, which would spin)
 * and dropped when an unwanted fd turns readable; libcurl's timeout kept
 * as a deadline in ns and acted on only once it has passed.  One thread,
 * one multi handle per program; header-only, as each program is compiled
 * alone by bench.sh.
 */
#ifndef BENCH_CURL_EPOLL_H
#define BENCH_CURL_EPOLL_H

#include <curl/curl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

static int epfd;                          /* the program's epoll set */
static int64_t t0;                        /* now_ns() origin */
static int64_t curl_deadline = INT64_MAX; /* libcurl's timeout, ns */
static unsigned char want[65536], reg[65536];

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec - t0;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *u, void *sp)
{
    (void)e, (void)u, (void)sp;
    if (what == CURL_POLL_REMOVE) {
        want[fd] = 0;
        if (reg[fd] & EPOLLOUT) {
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
            reg[fd] = 0;
        }
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
    curl_deadline = ms < 0 ? INT64_MAX : now_ns() + ms * 1000000LL;
    return 0;
}

static size_t sink(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)u;
    return s * n;
}

/* Sets up epfd and m's callbacks. */
static void curl_epoll_init(CURLM *m)
{
    epfd = epoll_create1(0);
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
}

/* Hands one epoll event to libcurl (or drops a kept registration that
 * libcurl no longer wants). */
static void curl_epoll_event(CURLM *m, const struct epoll_event *ev)
{
    int fd = ev->data.fd, running;
    if (!want[fd]) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
        reg[fd] = 0;
        return;
    }
    int f = (ev->events & EPOLLIN ? CURL_CSELECT_IN : 0) |
            (ev->events & EPOLLOUT ? CURL_CSELECT_OUT : 0);
    curl_multi_socket_action(m, fd, f, &running);
}

/* Runs libcurl's timeout when its deadline has passed. */
static void curl_epoll_timeout(CURLM *m)
{
    int running;
    if (curl_deadline > now_ns())
        return;
    curl_deadline = INT64_MAX;
    curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
}

#endif
