/*
 * scenario.h - the parsed, validated, immutable scenario.
 *
 * scn_parse_file() reads a YAML scenario (libyaml), applies --set
 * overrides and ${env:NAME} substitution, fills every default documented
 * in docs/scenario-format.md, resolves names (tiers, models, populations,
 * regions, limits) into indices, and validates the whole.  The result is
 * read-only from then on: threads share it without locks.  Every value is
 * stored in its base unit (int64 ns, pico-dollars, per-second doubles,
 * fractions).
 *
 * Errors are collected, not stopped at: every problem in the file is
 * reported as "file:line:col: key: message" through struct scn_diags.
 */
#ifndef TOLLGATE_SCENARIO_H
#define TOLLGATE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base/dist.h"
#include "core/base/err.h"
#include "core/scenario/expect.h"

/* Input limits: a hostile file cannot make the parser exhaust memory. */
#define SCN_MAX_FILE_BYTES (4 * 1024 * 1024)
#define SCN_MAX_DEPTH      16
#define SCN_MAX_LIST       4096 /* items in any one list or map */
#define SCN_MAX_NAME       64   /* bytes in a name or region code */
#define SCN_MAX_DIAGS      200  /* errors kept; the rest are counted */

/*
 * Limits on what a valid scenario may ask the engines for.  Each bounds
 * memory that grows with a number the user writes, and each is checked
 * once, here, at validation (with a located error saying how to fit), so
 * `validate`, sim, run and serve agree on every one; the engines' own
 * checks (record.h, policy.h) use these same constants and only guard
 * their API.  Overrides (--set, --duration) are validated like the file.
 */
/* Accounts summed over populations: ~130 bytes each in the policy, plus
 * 24 per limit of their tier. */
#define SCN_MAX_ACCOUNTS 10000000
/* Closed-loop users summed over populations: each holds a request. */
#define SCN_MAX_USERS 1000000
/* Populations: each keeps two latency histograms (~440 KB) and one more
 * per outcome it sees (~220 KB). */
#define SCN_MAX_POPS 256
/* Limits in one tier: a limiter state per account and limit. */
#define SCN_MAX_LIMITS 32
/* Limiter states: the policy keeps one (24 bytes) per account for every
 * limit of the tier with the most limits, so accounts x that number is
 * bounded (80M states: 1.9 GB once every account has been active). */
#define SCN_MAX_LIMIT_STATES 80000000
/* Models: a revoke_permission event keeps a bit per account and model. */
#define SCN_MAX_MODELS 256
/* Distinct region codes named anywhere (ZZ included): serve looks a
 * subdivision code up among them on every request. */
#define SCN_MAX_REGIONS 4096
/* Time-series rows, ceil(duration / interval): ~330 bytes each plus the
 * interval's latency histogram. */
#define SCN_MAX_INTERVALS 200000
/* Event occurrences over the duration, summed over events (every: exact,
 * random: duration / mtbf): each is an events.csv row and a policy
 * update. */
#define SCN_MAX_OCCURRENCES 100000
/* A traffic event multiplies rates by at most this; and the product of a
 * population's factors above 1 times its highest phase rate stays within
 * the 1e9/s a phase may ask for. */
#define SCN_MAX_TRAFFIC_FACTOR 1000
/* Accounts visited by events over the duration: a ban, suspend,
 * revoke_keys, billing_failure or revoke_permission occurrence walks its
 * population (every account when it names none), a set_limit occurrence
 * every account, and a lasting one walks them again when it ends.  About
 * 7 ns a visit in sim; serve and run do the same work on the real clock. */
#define SCN_MAX_ACCOUNT_VISITS 1000000000LL
/* live: what run's load generator can hold: worker threads (each with its
 * own recorder), connections, request headers (one more slot is kept for
 * the region header). */
#define SCN_MAX_THREADS     256
#define SCN_MAX_CONNECTIONS 100000
#define SCN_MAX_HEADERS     63
/* run: every worker thread keeps its own recorder (histograms, a row per
 * interval, histograms per population), so threads x recorder is bounded
 * too (scn_run_recorder_bytes; run checks --threads against it). */
#define SCN_MAX_RUN_RECORDER_BYTES (2LL * 1024 * 1024 * 1024)

struct scn_loc {
    int line, col; /* 1-based; 0 when the value came from a default */
};

/* ---- diagnostics -------------------------------------------------------- */

struct scn_diag {
    struct scn_loc loc;
    char *key;     /* dotted path, e.g. "policy.tiers.free.limits[0].per" */
    char *message; /* what is wrong and what was expected */
};

struct scn_diags {
    char *file; /* file name as given */
    struct scn_diag *items;
    size_t n, cap;
    size_t dropped; /* errors beyond SCN_MAX_DIAGS, counted only */
};

void scn_diags_init(struct scn_diags *d, const char *file);
void scn_diags_fini(struct scn_diags *d);
/* Writes each diagnostic as "file:line:col: error: key: message\n". */
void scn_diags_print(const struct scn_diags *d, FILE *out);
/* The diagnostics as one line, "file:line:col: key: message; ..." (for an
 * error answer), into buf (len bytes, truncated to fit, terminated when
 * len > 0); returns buf. */
char *scn_diags_fmt(char *buf, size_t len, const struct scn_diags *d);

/* ---- policy ------------------------------------------------------------- */

enum lim_algo {
    LIM_TOKEN_BUCKET = 0, /* default; identical to GCRA */
    LIM_LEAKY_BUCKET,     /* nginx limit_req, exactly */
    LIM_FIXED_WINDOW,
    LIM_SLIDING_WINDOW, /* exact log */
    LIM_SLIDING_COUNTER /* Cloudflare-style two-window estimate */
};

enum limit_kind {
    LIMIT_REQUESTS = 0, /* rate_limit */
    LIMIT_TOKENS,       /* token_limit: prompt + max completion tokens */
    LIMIT_CONCURRENT    /* concurrency_limit: requests in flight */
};

enum limit_scope {
    SCOPE_ACCOUNT = 0,
    SCOPE_KEY,    /* same as account unless keys are rotated */
    SCOPE_SOURCE, /* the client's source address */
    SCOPE_GLOBAL  /* one limiter for everybody */
};

struct scn_limit {
    char name[SCN_MAX_NAME]; /* "rpm", "tpm", "parallel" */
    enum limit_kind kind;
    enum lim_algo algorithm;
    int64_t amount;    /* requests or tokens per window; concurrent slots */
    int64_t per_ns;    /* window; 0 for LIMIT_CONCURRENT */
    int64_t burst;     /* token bucket capacity (default amount); leaky
                          bucket: nginx burst (default 0) */
    bool delays;       /* leaky bucket: excess requests within the burst
                          are delayed (nginx limit_req without nodelay);
                          false (default): answered at once (nodelay) */
    int64_t delay;     /* with delays: nginx delay=N, excess requests
                          admitted at once before the rest is delayed
                          (0: plain limit_req without nodelay) */
    bool count_denied; /* requests this limit rejects still consume it */
    enum limit_scope scope;
    struct scn_loc loc;
};

struct scn_tier {
    char name[SCN_MAX_NAME];
    struct scn_limit *limits;
    size_t n_limits;
    /* credit: grant is free-tier money (free_tier_exhausted), prepaid is
     * paid money (credits_exhausted); the grant is spent first.  has_credit
     * false means unlimited. */
    bool has_credit;
    int64_t grant_pusd;
    int64_t grant_expires_ns; /* 0: never; else after account creation */
    int64_t prepaid_pusd;
    bool has_usage_cap;
    int64_t usage_cap_monthly_pusd; /* spend per 30-day month */
    int upgrade_to;                 /* tier index, -1: none */
    int64_t upgrade_spend_pusd;     /* cumulative spend that promotes */
    int64_t upgrade_after_ns;       /* minimum account age that promotes */
    struct scn_loc loc;
};

struct scn_model {
    char name[SCN_MAX_NAME];
    int64_t input_pusd_per_token;
    int64_t output_pusd_per_token;
    struct dist first_token; /* ns; default const 0 */
    struct dist per_token;   /* ns per completion token; default const 0 */
    struct scn_loc loc;
};

struct scn_policy {
    struct scn_tier *tiers;
    size_t n_tiers;
    struct scn_model *models;
    size_t n_models;
    /* regions.blocked, as indices into scenario.regions */
    int *blocked_regions;
    size_t n_blocked_regions;

    bool has_moderation;
    int64_t mod_suspend_after; /* strikes in window that suspend; 0: never */
    int64_t mod_ban_after;     /* strikes in window that ban; 0: never */
    int64_t mod_window_ns;
    int64_t mod_suspend_for_ns;

    bool has_abuse; /* abuse_throttle when rate > factor x tier rpm */
    double abuse_factor;
    int64_t abuse_window_ns;
    int64_t abuse_block_for_ns;

    bool has_lockout; /* unauthorized_lockout after bad-key attempts */
    int64_t lockout_failures;
    int64_t lockout_window_ns;
    int64_t lockout_block_for_ns;

    bool has_inactivity;
    int64_t inactivity_expire_after_ns;

    bool has_capacity; /* false: unlimited servers, no queue */
    int64_t cap_servers;
    int64_t cap_queue;
    int64_t cap_queue_timeout_ns; /* 0: wait forever */

    double server_error; /* fraction of admitted requests */

    struct dist net_rtt; /* ns; default const 0 */
    double net_failure;  /* fraction of attempts failing client-side */
};

/* ---- accounts ------------------------------------------------------------ */

/* A normalised categorical distribution over indices (regions, models). */
struct scn_weights {
    int *index;  /* into scenario.regions or policy.models */
    double *cum; /* cumulative, last element exactly 1.0 */
    size_t n;
    double *weight; /* as written (not normalised), for scn_write */
};

enum arrival_kind { ARRIVAL_POISSON = 0, ARRIVAL_UNIFORM, ARRIVAL_CLOSED };

struct scn_phase {
    int64_t for_ns;
    double rate_from_per_s;   /* rate at phase start */
    double rate_to_per_s;     /* rate at phase end (linear ramp) */
    double diurnal_amplitude; /* 0: none; rate x (1 + a sin(2 pi t / P)) */
    int64_t diurnal_period_ns;
    struct scn_loc loc;
};

enum backoff_kind { BACKOFF_EXPONENTIAL = 0, BACKOFF_CONSTANT, BACKOFF_LINEAR };
enum jitter_kind { JITTER_FULL = 0, JITTER_EQUAL, JITTER_NONE, JITTER_QUARTER };

/* What a client does with the server's retry-after hint (client.h has the
 * formulas).  Zero is ignore, so a hand-built client ignores hints; the
 * parser's default is RETRY_AFTER_OPENAI. */
enum retry_after_kind {
    RETRY_AFTER_IGNORE = 0,   /* the jittered backoff alone */
    RETRY_AFTER_HONOR,        /* max(backoff, hint): exact, a herd */
    RETRY_AFTER_HONOR_JITTER, /* max(backoff, hint + up to hint) */
    RETRY_AFTER_OPENAI        /* hint exactly when 0 < hint <= 60s, else
                                 the backoff (the official OpenAI SDKs) */
};

struct scn_client {
    int64_t timeout_ns; /* default 60s */
    int retry_max;      /* default 0 */
    enum backoff_kind backoff;
    int64_t backoff_base_ns; /* default 500ms */
    int64_t backoff_cap_ns;  /* default 20s */
    enum jitter_kind jitter;
    enum retry_after_kind retry_after; /* default RETRY_AFTER_OPENAI */
};

/* traffic: { trace: ... }: arrivals replayed from a file (model/trace.h,
 * docs/trace-replay.md). */
struct scn_trace {
    char *path;        /* as resolved: relative paths are taken from the
                          scenario file's directory; owned */
    int format;        /* 0 auto, 1 csv, 2 jsonl (enum trace_format) */
    double speed;      /* > 0; default 1 */
    int64_t start_ns;  /* trace time skipped from its first line */
    int64_t scale;     /* copies of every request, default 1 */
    int64_t jitter_ns; /* copies after the first: uniform [0, jitter) */
};

#define SCN_MAX_TRACE_SCALE 1000

struct scn_population {
    char name[SCN_MAX_NAME];
    int64_t count;         /* accounts */
    int64_t first_account; /* global id of the first account */
    int tier;
    struct scn_weights regions; /* n == 1 with region "ZZ" by default */
    struct scn_weights models;
    struct dist prompt_tokens;     /* tokens; default const 0 */
    struct dist completion_tokens; /* max_tokens; default const 0 */
    int64_t idle_for_ns;
    double invalid_key;
    double violation;
    double bad_request;

    enum arrival_kind arrival;
    bool has_skew; /* zipf skew over accounts; false: uniform */
    double skew_s;
    struct scn_phase *phases; /* open loop; total may be < duration */
    bool has_trace;           /* open loop from a trace, not phases */
    struct scn_trace trace;
    size_t n_phases;
    int64_t users;     /* closed loop */
    struct dist think; /* closed loop, ns */

    struct scn_client client;
    struct scn_loc loc;
};

/* ---- events ------------------------------------------------------------- */

enum scn_event_kind {
    EV_OUTAGE = 0,
    EV_MAINTENANCE,
    EV_UPGRADE,
    EV_BAN,
    EV_SUSPEND,
    EV_REVOKE_KEYS,
    EV_BLOCK_REGION,
    EV_UNBLOCK_REGION,
    EV_SUSPEND_FEATURE,
    EV_REVOKE_PERMISSION,
    EV_BILLING_FAILURE,
    EV_SET_LIMIT,
    EV_TRAFFIC, /* offered open-loop traffic x factor while it lasts */
    EV_KIND_COUNT
};

enum scn_event_timing {
    EVT_ONCE = 0, /* at */
    EVT_EVERY,    /* every, from */
    EVT_RANDOM    /* random: mtbf, mttr */
};

struct scn_event {
    enum scn_event_kind kind;
    enum scn_event_timing timing;
    int64_t at_ns;    /* EVT_ONCE; EVT_EVERY: first occurrence ("from") */
    int64_t every_ns; /* EVT_EVERY */
    int64_t mtbf_ns;  /* EVT_RANDOM: mean time between failures (exp) */
    struct dist mttr; /* EVT_RANDOM: repair time, ns */

    int64_t for_ns;  /* outage/maintenance/upgrade/suspend/feature;
                        0: permanent where that makes sense */
    double capacity; /* outage/upgrade: fraction of capacity left while
                        it lasts; 0 = full outage (default for outage) */
    int population;  /* -1: all populations */
    double fraction; /* of the population's accounts; default 1 */
    int *regions;    /* block/unblock_region, indices */
    size_t n_regions;
    int model;      /* suspend_feature/revoke_permission; -1: all */
    int tier;       /* set_limit */
    int limit;      /* set_limit: index into that tier's limits */
    int64_t amount; /* set_limit: new requests/tokens/concurrent */
    double factor;  /* traffic: rate multiplier in [0, SCN_MAX_TRAFFIC_FACTOR]
                       over [start, start + for) (for 0: to the end) */
    struct scn_loc loc;
};

/* The defaults of an event: EV_OUTAGE, EVT_ONCE at 0, every population
 * and model (-1), fraction 1, no tier, limit or regions. */
void scn_event_init(struct scn_event *e);

/* ---- live ---------------------------------------------------------------- */

enum classify_kind { CLASSIFY_OPENAI = 0, CLASSIFY_ANTHROPIC, CLASSIFY_RULES };

struct scn_classify_rule {
    int status;   /* 0: any */
    char *type;   /* error.type to match, NULL: any */
    char *code;   /* error.code to match, NULL: any */
    char *header; /* "name: substring" to match, NULL: any */
    int reason;   /* enum reason */
    struct scn_loc loc;
};

/*
 * The variables of the live: templates (path, headers, body), as written
 * inside "${...}": key model region account prompt prompt_tokens
 * completion_tokens request_id.  This list is the one place they are
 * named: the scenario checks templates against it (with "did you mean")
 * and loadgen/template.c renders variable i + 1 of its enum tpl_var for
 * scn_tpl_vars[i].  NULL-terminated.
 */
#define SCN_TPL_N_VARS 8
extern const char *const scn_tpl_vars[SCN_TPL_N_VARS + 1];

struct scn_live {
    char *target;   /* NULL: run starts the embedded serve */
    char *method;   /* default POST */
    char *path;     /* default /v1/chat/completions */
    char **headers; /* templates "Name: value" */
    size_t n_headers;
    char *body;          /* template */
    char *keys_file;     /* NULL: deterministic keys serve knows */
    int64_t connections; /* default 64 */
    int64_t threads;     /* default 2 */
    int64_t timeout_ns;  /* default 30s */
    char *region_header; /* default "X-Client-Region" */
    bool ietf_ratelimit; /* serve also sends the IETF draft RateLimit and
                            RateLimit-Policy fields; default false */
    enum classify_kind classify;
    struct scn_classify_rule *rules;
    size_t n_rules;
};

/* ---- the scenario -------------------------------------------------------- */

struct scenario {
    char *file; /* path it was read from */
    char name[SCN_MAX_NAME];
    char *description;
    uint64_t seed;       /* default 1 */
    int64_t duration_ns; /* > 0 */
    int64_t interval_ns; /* time-series bucket */
    int64_t warmup_ns;   /* excluded from summary statistics */

    char (*regions)[SCN_MAX_NAME]; /* every region code named anywhere;
                                      index 0 is "ZZ" (unknown) */
    size_t n_regions;

    struct scn_policy policy;
    struct scn_population *pops;
    size_t n_pops;
    int64_t n_accounts; /* summed over populations */
    struct scn_event *events;
    size_t n_events;
    bool has_live;
    struct scn_live live;
    struct expect_rule *expect;
    size_t n_expect;
    /* Strings whose text used ${env:NAME}: the field and the text as
     * written.  The engines read the field (the value); scn_write writes
     * the text, so results never hold what the environment supplied. */
    struct scn_env_text {
        const void *field; /* the char * it is for, e.g. &live.headers[0] */
        char *text;        /* "Authorization: Bearer ${env:KEY}" */
    } * env_texts;
    size_t n_env_texts;
};

/* A --set KEY=VALUE override: dotted path into the YAML tree, e.g.
 * "policy.capacity.servers=32" or "accounts.hobbyists.count=500" (list
 * items by name or by [index]). */
struct scn_override {
    const char *key;
    const char *value;
};

/*
 * Reads, overrides, validates.  On success *out is a new scenario owned by
 * the caller (scn_free).  On failure returns ERR_PARSE (syntax), ERR_INVAL
 * (validation), ERR_IO (unreadable file) or ERR_TOOBIG (input limits), and
 * the problems are in diags (which the caller initialised).  Environment
 * variables are read through getenv for ${env:NAME}.
 */
int scn_parse_file(const char *path, const struct scn_override *ovr,
                   size_t n_ovr, struct scenario **out,
                   struct scn_diags *diags) WARN_UNUSED;

/* Same from a buffer; name is used in diagnostics. */
int scn_parse_buffer(const char *name, const char *text, size_t len,
                     const struct scn_override *ovr, size_t n_ovr,
                     struct scenario **out,
                     struct scn_diags *diags) WARN_UNUSED;

void scn_free(struct scenario *sc);

/* Writes sc back as YAML with every default filled in (what
 * `validate --explain` prints and what results/scenario.yaml holds).
 * Reading the output back gives an equal scenario.  Returns ERR_IO. */
int scn_write(const struct scenario *sc, FILE *out) WARN_UNUSED;

/* Index lookups by name; -1 when absent. */
int scn_tier_index(const struct scenario *sc, const char *name);
int scn_model_index(const struct scenario *sc, const char *name);
int scn_pop_index(const struct scenario *sc, const char *name);
int scn_region_index(const struct scenario *sc, const char *code);

/* The population an account id belongs to (binary search); -1 when the
 * id is outside [0, n_accounts). */
int scn_pop_of_account(const struct scenario *sc, int64_t account);

/* Expected number of unique requests population pop offers over the
 * scenario duration (open loop: the phases' rates integrated, ramps
 * included, diurnal modulation averaged out); -1 for a closed loop, whose
 * rate depends on service times. */
double scn_pop_offered(const struct scenario *sc, size_t pop);

/* The same integral over n phases run back to back from 0 and cut at
 * duration_ns (scn_pop_offered applies it to a population's phases;
 * traffic_offered in core/model/traffic_shape.h to the phases traffic
 * events shape). */
double scn_phases_offered(const struct scn_phase *phases, size_t n,
                          int64_t duration_ns);

/* What the validator charges for a recorder (core/stats/record.c asserts
 * at compile time that its real sizes fit): one latency histogram, one
 * time-series row, one population's counters and name. */
#define SCN_REC_HIST_BYTES (27648 * 8)
#define SCN_REC_ROW_BYTES  640
#define SCN_REC_POP_BYTES  640

/* Bytes of the recorders of a run of sc with threads worker threads, each
 * holding, for attempts and for requests, a histogram per outcome,
 * overall, two ring slots and two per population, then denied, service,
 * lag, attempts per request and one more per population, plus its rows and
 * populations (the SCN_REC_* sizes above: an upper bound); at most
 * SCN_MAX_RUN_RECORDER_BYTES for a valid scenario with its live.threads. */
int64_t scn_run_recorder_bytes(const struct scenario *sc, int64_t threads);

/* Time-series rows for duration / interval (both > 0): the intervals
 * that start before the end, ceil(duration / interval).  The recorder
 * (rec_new) and the validator both count rows with it. */
int64_t scn_interval_rows(int64_t duration_ns, int64_t interval_ns);

/* Occurrences of event ev within duration_ns (> 0) that the engines would
 * start: 1 or 0 for at:; exactly the starts from + k * every before the
 * end for every:; for random:, ceil(duration / mtbf), the expected number
 * of starts if repairs took no time (an upper bound on the mean; the drawn
 * number varies around it by about its square root). */
int64_t scn_event_occurrences(const struct scn_event *ev, int64_t duration_ns);

/* True when an occurrence of ev has an end (outage, maintenance, upgrade,
 * suspend, suspend_feature, and every random: event); the other kinds act
 * once. */
bool scn_event_lasts(const struct scn_event *ev);

/* Names of enum values as written in scenarios. */
const char *scn_algo_name(enum lim_algo a);
const char *scn_event_kind_name(enum scn_event_kind k);

/*
 * The short label of event ev of sc (the events.csv label column and
 * serve's /tollgate/state): "capacity 50%", "hobbyists 5%", "BR CN",
 * "mini", "hobbyists mini", "free.rpm=1", "" for a plain maintenance,
 * with " random" appended for random: events.  Written into buf (len
 * bytes, truncated to fit, always terminated when len > 0); returns buf.
 * Indices outside sc print as "?" (or "all" for population and model).
 */
char *scn_event_label(const struct scenario *sc, const struct scn_event *ev,
                      char *buf, size_t len);

/*
 * Parses events to start now in a scenario that is already running (the
 * body of serve's POST /tollgate/events): YAML flow or block style, or
 * JSON, holding a mapping of event kinds to their parameters or a list of
 * such mappings, e.g. {"outage": {"for": "30s", "capacity": "50%"}},
 * "ban: {accounts: hobbyists, fraction: 5%}",
 * [{"block_region": ["BR"]}, {"set_limit": {"tier": "free", "limit":
 * "rpm", "requests": 1}}].  Parameters are those of the kinds in
 * docs/scenario-format.md; timing keys (at, every, random...) are refused.
 * Names are looked up in sc, which is only read: populations, models, tiers and
 * their limits by name, regions by code in any case (a code sc does not
 * have is an error; serve's copy of the scenario has every two-letter
 * code).  No ${env:} substitution.
 *
 * Writes at most max events into out (scn_event_init defaults, loc = the
 * kind key's place in text); block/unblock_region events get a heap
 * regions array, which the caller frees or hands on.  *n is their number.
 * On error returns ERR_PARSE (not YAML), ERR_INVAL (unknown kind,
 * parameter or name, bad value, no events) or ERR_TOOBIG (more than max
 * events, input limits), sets *n to 0, frees what it allocated, and the
 * located problems ("file:line:col", file as diags was initialised with)
 * are in diags.
 */
int scn_parse_events(const struct scenario *sc, const char *text, size_t len,
                     struct scn_event *out, size_t max, size_t *n,
                     struct scn_diags *diags) WARN_UNUSED;

#endif
