/*
 * evq_bench.c - the event queue alone, in the classic hold model: pop the
 * earliest event, push it back at time + exp(1 s), with N events pending.
 * Prints events per second for a few N, to compare with the bare-heap
 * figures in bench/sim/README.md.  Built by bench/sim/run.sh
 * (not part of the default build).
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "core/base/rng.h"
#include "sim/evq.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    static const size_t sizes[] = { 1000, 20000, 100000, 1000000 };
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        struct rng r;
        rng_init(&r, 1, n, RNG_EVENTS);
        struct evq q;
        evq_init(&q, n);
        for (size_t i = 0; i < n; i++)
            evq_push(&q, (int64_t)(-1e9 * log(rng_double(&r))), 0, 0, i);
        const long ops = 10000000;
        double t0 = now_s();
        for (long i = 0; i < ops; i++) {
            struct evq_event ev;
            evq_pop(&q, &ev);
            evq_push(&q, ev.time_ns + (int64_t)(-1e9 * log(rng_double(&r))),
                     ev.kind, ev.arg, ev.data);
        }
        double dt = now_s() - t0;
        printf("evq hold model: %8zu pending  %6.2f M events/s (CPU time)\n", n,
               (double)ops / dt / 1e6);
        evq_fini(&q);
    }
    return 0;
}
