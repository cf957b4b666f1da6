/*
 * wake_cost.c - what one sleep and wake-up costs the sleeping thread on
 * this machine, the unit behind an open-loop generator's CPU per request
 * (and the target server's): each cycle blocks in epoll and is woken
 *
 *   timer  by its own timeout (epoll_pwait2, GAP_US, timer slack 1 ns):
 *          how a generator waits for the next send time;
 *   event  by another thread writing an eventfd every GAP_US (the writer
 *          spins between writes, so it sits on the other CPU): how a
 *          response wakes the generator;
 * and, for scale, one poll(2) on an eventfd with timeout 0 (a system call
 * that does not sleep).
 *
 *   wake_cost [GAP_US] [CYCLES]        (defaults 50 and 20000)
 *
 * Prints CPU time of the sleeping thread per cycle (CLOCK_THREAD_CPUTIME_ID)
 * and wall time per cycle (the overshoot past GAP_US is wake-up latency).
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static int efd;
static int64_t gap_ns;
static volatile int stop;

static int64_t ns_of(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *writer(void *arg)
{
    (void)arg;
    uint64_t one = 1;
    while (!stop) {
        int64_t t0 = ns_of(CLOCK_MONOTONIC);
        while (ns_of(CLOCK_MONOTONIC) - t0 < gap_ns)
            ;
        if (write(efd, &one, sizeof(one)) != sizeof(one))
            return NULL;
    }
    return NULL;
}

static void report(const char *what, int64_t cpu, int64_t wall, int n)
{
    printf("%-7s %8.2f us CPU per cycle  %8.1f us wall per cycle\n", what,
           (double)cpu / n / 1e3, (double)wall / n / 1e3);
}

int main(int argc, char **argv)
{
    gap_ns = (argc > 1 ? atol(argv[1]) : 50) * 1000L;
    int n = argc > 2 ? atoi(argv[2]) : 20000;
    if (gap_ns <= 0 || n <= 0)
        return 2;
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int ep = epoll_create1(0);
    efd = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = efd };
    if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0)
        return 3;
    struct timespec gap = { 0, (long)gap_ns };
    int64_t c0 = ns_of(CLOCK_THREAD_CPUTIME_ID), w0 = ns_of(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++)
        epoll_pwait2(ep, &ev, 1, &gap, NULL);
    report("timer", ns_of(CLOCK_THREAD_CPUTIME_ID) - c0,
           ns_of(CLOCK_MONOTONIC) - w0, n);
    pthread_t t;
    if (pthread_create(&t, NULL, writer, NULL) != 0)
        return 3;
    c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    w0 = ns_of(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
        uint64_t v;
        epoll_wait(ep, &ev, 1, -1);
        if (read(efd, &v, sizeof(v)) < 0)
            i--; /* a spurious wake-up: not a cycle */
    }
    report("event", ns_of(CLOCK_THREAD_CPUTIME_ID) - c0,
           ns_of(CLOCK_MONOTONIC) - w0, n);
    stop = 1;
    pthread_join(t, NULL);
    struct pollfd p = { .fd = efd, .events = POLLIN };
    c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
    w0 = ns_of(CLOCK_MONOTONIC);
    for (int i = 0; i < 10 * n; i++)
        poll(&p, 1, 0);
    report("poll(0)", ns_of(CLOCK_THREAD_CPUTIME_ID) - c0,
           ns_of(CLOCK_MONOTONIC) - w0, 10 * n);
    return 0;
}
