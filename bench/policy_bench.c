/*
 * policy_bench.c - ns per policy decision (decide + complete) for the
 * reference shape of the sim benchmark (docs/performance.md): 10k accounts, a
 * request and a token limit plus a concurrency limit, prepaid credit with a
 * usage cap.  Requests are generated before timing (uniform or zipf-skewed
 * accounts, tokens 50..1050), so only policy_decide + policy_complete are
 * measured.
 *
 * Build and run: bash bench/policy_bench.sh [CASE [N [PASSES]]]
 * (prints one line per case)
 *
 * Cases: "light" (per-account rate well below the limits: the OK path),
 * "denying" (rpm 30 against 60/min per account: half rate limited),
 * "headers" (light with want_headers, as serve asks), "1M accounts"
 * (light, cache-cold account records).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/model/policy.h"
#include "core/base/rng.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define USD 1000000000000LL

static struct scn_limit limits[3];
static struct scn_tier tier;
static struct scn_model model;
static struct scn_population pop;
static char regions[1][SCN_MAX_NAME] = { "ZZ" };
static struct scenario sc;

static struct scn_limit limit(enum limit_kind k, int64_t amount, int64_t per)
{
    struct scn_limit l;
    memset(&l, 0, sizeof(l));
    l.kind = k;
    l.algorithm = LIM_TOKEN_BUCKET;
    l.amount = amount;
    l.per_ns = per;
    l.burst = amount;
    return l;
}

static void build(int64_t accounts, int64_t rpm)
{
    limits[0] = limit(LIMIT_REQUESTS, rpm, MIN);
    limits[1] = limit(LIMIT_TOKENS, 200000, MIN);
    limits[2] = limit(LIMIT_CONCURRENT, 50, 0);
    memset(&tier, 0, sizeof(tier));
    tier.limits = limits;
    tier.n_limits = 3;
    tier.has_credit = true;
    tier.prepaid_pusd = 1000000 * USD;
    tier.has_usage_cap = true;
    tier.usage_cap_monthly_pusd = 1000000 * USD;
    tier.upgrade_to = -1;
    model.input_pusd_per_token = 150000;
    model.output_pusd_per_token = 600000;
    memset(&pop, 0, sizeof(pop));
    pop.count = accounts;
    memset(&sc, 0, sizeof(sc));
    sc.seed = 1;
    sc.regions = regions;
    sc.n_regions = 1;
    sc.policy.tiers = &tier;
    sc.policy.n_tiers = 1;
    sc.policy.models = &model;
    sc.policy.n_models = 1;
    sc.pops = &pop;
    sc.n_pops = 1;
    sc.n_accounts = accounts;
}

struct item {
    int64_t t_ns;
    struct policy_req rq;
};

/* n requests at total rate per_s over the accounts, zipf-ish when skew. */
static struct item *gen(size_t n, int64_t accounts, double per_s, bool skew)
{
    struct item *v = calloc(n, sizeof(*v));
    struct rng r;
    rng_init(&r, 9, 0, RNG_ARRIVALS);
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        t += -log(rng_double(&r)) / per_s;
        v[i].t_ns = (int64_t)(t * 1e9);
        int64_t a = (int64_t)rng_below(&r, (uint64_t)accounts);
        if (skew) /* a cheap heavy head: square the uniform */
            a = (int64_t)(pow(rng_double(&r), 3.0) * (double)accounts);
        v[i].rq.account = a;
        v[i].rq.source = a;
        v[i].rq.prompt_tokens = 50 + (int64_t)rng_below(&r, 500);
        v[i].rq.completion_tokens = (int64_t)rng_below(&r, 500);
    }
    return v;
}

/* CPU time of this process: on a shared machine it leaves out the time
 * the bench waited for a core (wall time would not). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t n_requests = 2000000;
static int n_passes = 5;
static const char *only; /* run just this case (argv[1]) */

static void run(const char *name, int64_t accounts, int64_t rpm, double per_s,
                bool skew, bool headers)
{
    if (only && strcmp(only, name) != 0)
        return;
    build(accounts, rpm);
    struct policy *p;
    if (policy_new(&sc, 1, &p) != ERR_OK) {
        fprintf(stderr, "policy_new failed\n");
        exit(3);
    }
    size_t n = n_requests;
    struct item *v = gen(n, accounts, per_s, skew);
    for (size_t i = 0; i < n; i++)
        v[i].rq.want_headers = headers;
    /* Best of 5 passes over the same requests, each on a fresh policy
     * (the first pass also pays for first-touch page faults). */
    size_t ok = 0;
    double el = 1e30;
    for (int pass = 0; pass < n_passes; pass++) {
        policy_free(p);
        if (policy_new(&sc, 1, &p) != ERR_OK)
            exit(3);
        ok = 0;
        double t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            struct policy_decision d;
            if (policy_decide(p, &v[i].rq, v[i].t_ns, &d) == REASON_OK) {
                ok++;
                policy_complete(p, &v[i].rq, &d.ticket, v[i].t_ns, REASON_OK,
                                v[i].rq.completion_tokens);
            }
        }
        double e = now_s() - t0;
        el = e < el ? e : el;
    }
    printf("%-12s accounts=%-8lld decisions=%zu ok=%.1f%% cpu_ns/decision=%.1f "
           "decisions/cpu_s=%.2fM\n",
           name, (long long)accounts, n, 100.0 * (double)ok / (double)n,
           el * 1e9 / (double)n, (double)n / el / 1e6);
    free(v);
    policy_free(p);
}

/* Usage: policy_bench [CASE [N [PASSES]]] */
int main(int argc, char **argv)
{
    if (argc > 1)
        only = argv[1];
    if (argc > 2)
        n_requests = (size_t)strtoull(argv[2], NULL, 10);
    if (argc > 3)
        n_passes = atoi(argv[3]);
    run("light", 10000, 500, 10000, false, false);
    run("light-skew", 10000, 500, 10000, true, false);
    run("denying", 10000, 30, 10000, false, false);
    run("headers", 10000, 500, 10000, false, true);
    run("1M accounts", 1000000, 500, 100000, false, false);
    return 0;
}
