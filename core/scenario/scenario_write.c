/*
 * scenario_write.c - a struct scenario back to YAML, every default
 * spelled out.
 *
 * This is what `tollgate validate --explain` prints and what a results
 * directory keeps as scenario.yaml, so it has two jobs: show a reader what
 * the omitted keys meant, and read back to an equal scenario (the unit
 * tests check that on every file of scenarios/).  Values go through the
 * units.c formatters, which round-trip exactly; free text is always
 * double-quoted with escapes.  Block style throughout, except for short
 * lists of names and weight maps.  Optional sections whose has_* flag is
 * false are left out, because writing them would switch them on.
 *
 * Free text that used ${env:NAME} is written as it was written, reference
 * and all (sc->env_texts), never with the value the environment gave it:
 * a header "Authorization: Bearer ${env:API_KEY}" must not leave its key
 * in a results directory.  Reading the output back in the same
 * environment gives the same values.
 */
#include "core/scenario/scenario.h"

#include <string.h>

#include "core/base/reason.h"
#include "core/base/units.h"

/* Length of the UTF-8 sequence at p and its code point in *cp; 1 and the
 * byte itself when p does not start a valid sequence (the parser only
 * hands out valid UTF-8, so that is a fallback, not a case). */
static int utf8_at(const unsigned char *p, unsigned *cp)
{
    int n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 1;
    unsigned v = n == 1 ? p[0] : p[0] & (0x7fu >> n);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *cp = p[0];
            return 1;
        }
        v = v << 6 | (p[i] & 0x3fu);
    }
    *cp = v;
    return n;
}

/* YAML double-quoted scalar.  What YAML does not allow in a stream (C0
 * and C1 controls, DEL, U+FFFE, U+FFFF), what it would fold as a line
 * break (NEL, U+2028, U+2029) and the byte-order mark are escaped, so any
 * value read from YAML or from --set reads back as the same bytes. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp;
        int n = utf8_at(p, &cp);
        switch (cp) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
                fprintf(f, "\\x%02x", cp);
            else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
                     cp == 0xfffe || cp == 0xffff)
                fprintf(f, "\\u%04x", cp);
            else
                fwrite(p, 1, (size_t)n, f);
        }
        p += n;
    }
    fputc('"', f);
}

/* A name as a plain scalar unless plain would read as null. */
static void put_name(FILE *f, const char *s)
{
    if (strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0 || strcmp(s, "~") == 0)
        put_quoted(f, s);
    else
        fputs(s, f);
}

static void kv(FILE *f, int indent, const char *key, const char *val)
{
    fprintf(f, "%*s%s: %s\n", indent, "", key, val);
}

static void kv_dur(FILE *f, int indent, const char *key, int64_t ns)
{
    char b[48];
    kv(f, indent, key, units_fmt_duration(b, sizeof(b), ns));
}

static void kv_int(FILE *f, int indent, const char *key, int64_t v)
{
    fprintf(f, "%*s%s: %lld\n", indent, "", key, (long long)v);
}

static void kv_money(FILE *f, int indent, const char *key, int64_t pusd)
{
    char b[48];
    kv(f, indent, key, units_fmt_money(b, sizeof(b), pusd));
}

static void kv_frac(FILE *f, int indent, const char *key, double v)
{
    char b[48];
    kv(f, indent, key, units_fmt_fraction(b, sizeof(b), v));
}

static void kv_dist(FILE *f, int indent, const char *key, const struct dist *d,
                    bool is_duration)
{
    char b[128];
    kv(f, indent, key, units_fmt_dist(b, sizeof(b), d, is_duration));
}

/* ---- policy ----------------------------------------------------------------
 */

static void write_limit(FILE *f, const struct scn_limit *l)
{
    static const char *const amount[] = { "requests", "tokens", "concurrent" };
    static const char *const scopes[] = { "account", "key", "source",
                                          "global" };
    fprintf(f, "        - name: ");
    put_name(f, l->name);
    fputc('\n', f);
    kv_int(f, 10, amount[l->kind], l->amount);
    if (l->kind != LIMIT_CONCURRENT) {
        kv_dur(f, 10, "per", l->per_ns);
        kv(f, 10, "algorithm", scn_algo_name(l->algorithm));
        if (l->algorithm == LIM_TOKEN_BUCKET ||
            l->algorithm == LIM_LEAKY_BUCKET)
            kv_int(f, 10, "burst", l->burst);
        if (l->algorithm == LIM_LEAKY_BUCKET && l->delays)
            kv_int(f, 10, "delay", l->delay);
    }
    kv(f, 10, "count_denied", l->count_denied ? "true" : "false");
    kv(f, 10, "scope", scopes[l->scope]);
}

static void write_tier(FILE *f, const struct scenario *sc,
                       const struct scn_tier *t)
{
    fprintf(f, "    ");
    put_name(f, t->name);
    fprintf(f, ":\n");
    if (t->n_limits == 0)
        fprintf(f, "      limits: []\n");
    else
        fprintf(f, "      limits:\n");
    for (size_t i = 0; i < t->n_limits; i++)
        write_limit(f, &t->limits[i]);
    if (t->has_credit) {
        fprintf(f, "      credit:\n");
        kv_money(f, 8, "grant", t->grant_pusd);
        kv_dur(f, 8, "expires", t->grant_expires_ns);
        kv_money(f, 8, "prepaid", t->prepaid_pusd);
    }
    if (t->has_usage_cap) {
        fprintf(f, "      usage_cap:\n");
        kv_money(f, 8, "monthly", t->usage_cap_monthly_pusd);
    }
    if (t->upgrade_to >= 0) {
        fprintf(f, "      upgrade:\n        to: ");
        put_name(f, sc->policy.tiers[t->upgrade_to].name);
        fputc('\n', f);
        kv_money(f, 8, "spend", t->upgrade_spend_pusd);
        kv_dur(f, 8, "after", t->upgrade_after_ns);
    }
}

static void write_model(FILE *f, const struct scn_model *m)
{
    char b[64];
    fprintf(f, "    ");
    put_name(f, m->name);
    fprintf(f, ":\n");
    kv(f, 6, "input", units_fmt_price(b, sizeof(b), m->input_pusd_per_token));
    kv(f, 6, "output", units_fmt_price(b, sizeof(b), m->output_pusd_per_token));
    fprintf(f, "      service:\n");
    kv_dist(f, 8, "first_token", &m->first_token, true);
    kv_dist(f, 8, "per_token", &m->per_token, true);
}

static void write_region_list(FILE *f, const struct scenario *sc, const int *r,
                              size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? ", " : "", sc->regions[r[i]]);
    fputc(']', f);
}

static void write_guards(FILE *f, const struct scn_policy *p)
{
    if (p->has_moderation) {
        fprintf(f, "  moderation:\n");
        kv_int(f, 4, "suspend_after", p->mod_suspend_after);
        kv_int(f, 4, "ban_after", p->mod_ban_after);
        kv_dur(f, 4, "window", p->mod_window_ns);
        kv_dur(f, 4, "suspend_for", p->mod_suspend_for_ns);
    }
    if (p->has_abuse) {
        char b[48];
        fprintf(f, "  abuse:\n");
        kv(f, 4, "factor", units_fmt_number(b, sizeof(b), p->abuse_factor));
        kv_dur(f, 4, "window", p->abuse_window_ns);
        kv_dur(f, 4, "block_for", p->abuse_block_for_ns);
    }
    if (p->has_lockout) {
        fprintf(f, "  lockout:\n");
        kv_int(f, 4, "failures", p->lockout_failures);
        kv_dur(f, 4, "window", p->lockout_window_ns);
        kv_dur(f, 4, "block_for", p->lockout_block_for_ns);
    }
    if (p->has_inactivity) {
        fprintf(f, "  inactivity:\n");
        kv_dur(f, 4, "expire_after", p->inactivity_expire_after_ns);
    }
    if (p->has_capacity) {
        fprintf(f, "  capacity:\n");
        kv_int(f, 4, "servers", p->cap_servers);
        kv_int(f, 4, "queue", p->cap_queue);
        kv_dur(f, 4, "queue_timeout", p->cap_queue_timeout_ns);
    }
    fprintf(f, "  errors:\n");
    kv_frac(f, 4, "server_error", p->server_error);
    fprintf(f, "  network:\n");
    kv_dist(f, 4, "rtt", &p->net_rtt, true);
    kv_frac(f, 4, "failure", p->net_failure);
}

static void write_policy(FILE *f, const struct scenario *sc)
{
    const struct scn_policy *p = &sc->policy;
    fprintf(f, "policy:\n  tiers:\n");
    for (size_t i = 0; i < p->n_tiers; i++)
        write_tier(f, sc, &p->tiers[i]);
    fprintf(f, "  models:\n");
    for (size_t i = 0; i < p->n_models; i++)
        write_model(f, &p->models[i]);
    if (p->n_blocked_regions) {
        fprintf(f, "  regions:\n    blocked: ");
        write_region_list(f, sc, p->blocked_regions, p->n_blocked_regions);
        fputc('\n', f);
    }
    write_guards(f, p);
}

/* ---- accounts
 * ----------------------------------------------------------------- */

static void write_weights(FILE *f, const char *key, const struct scn_weights *w,
                          const char *(*name)(const struct scenario *, int),
                          const struct scenario *sc)
{
    char b[48];
    fprintf(f, "    %s: {", key);
    for (size_t i = 0; i < w->n; i++) {
        fprintf(f, "%s", i ? ", " : " ");
        put_name(f, name(sc, w->index[i]));
        fprintf(f, ": %s", units_fmt_number(b, sizeof(b), w->weight[i]));
    }
    fprintf(f, " }\n");
}

static const char *region_name(const struct scenario *sc, int i)
{
    return sc->regions[i];
}

static const char *model_name(const struct scenario *sc, int i)
{
    return sc->policy.models[i].name;
}

static void write_phase(FILE *f, const struct scn_phase *ph)
{
    char a[64], b[64];
    fprintf(f, "        - for: %s\n",
            units_fmt_duration(a, sizeof(a), ph->for_ns));
    units_fmt_rate(a, sizeof(a), ph->rate_from_per_s);
    if (ph->rate_to_per_s != ph->rate_from_per_s)
        fprintf(f, "          rate: %s..%s\n", a,
                units_fmt_rate(b, sizeof(b), ph->rate_to_per_s));
    else
        fprintf(f, "          rate: %s\n", a);
    if (ph->diurnal_amplitude > 0 ||
        ph->diurnal_period_ns != 86400 * NS_PER_S) {
        fprintf(f, "          diurnal:\n");
        kv_frac(f, 12, "amplitude", ph->diurnal_amplitude);
        kv_dur(f, 12, "period", ph->diurnal_period_ns);
    }
}

static void kv_quoted(FILE *f, int indent, const char *key, const char *s);

static void write_traffic(FILE *f, const struct scn_population *p)
{
    static const char *const arrivals[] = { "poisson", "uniform", "closed" };
    fprintf(f, "    traffic:\n");
    if (p->has_trace) {
        static const char *const formats[] = { "auto", "csv", "jsonl" };
        const struct scn_trace *t = &p->trace;
        fprintf(f, "      trace:\n");
        kv_quoted(f, 8, "file", t->path);
        kv(f, 8, "format", formats[t->format]);
        fprintf(f, "        speed: %.17g\n", t->speed);
        kv_dur(f, 8, "start", t->start_ns);
        kv_int(f, 8, "scale", t->scale);
        kv_dur(f, 8, "jitter", t->jitter_ns);
        return;
    }
    kv(f, 6, "arrival", arrivals[p->arrival]);
    if (p->has_skew) {
        char b[48];
        struct dist z = { DIST_ZIPF, p->skew_s, 0 };
        kv(f, 6, "skew", units_fmt_dist(b, sizeof(b), &z, false));
    } else {
        kv(f, 6, "skew", "uniform");
    }
    if (p->arrival == ARRIVAL_CLOSED) {
        kv_int(f, 6, "users", p->users);
        kv_dist(f, 6, "think", &p->think, true);
        return;
    }
    fprintf(f, "      phases:\n");
    for (size_t i = 0; i < p->n_phases; i++)
        write_phase(f, &p->phases[i]);
}

static void write_client(FILE *f, const struct scn_client *c)
{
    static const char *const backoffs[] = { "exponential", "constant",
                                            "linear" };
    static const char *const jitters[] = { "full", "equal", "none", "quarter" };
    static const char *const hints[] = { "ignore", "honor", "honor_jitter",
                                         "openai" };
    fprintf(f, "    client:\n");
    kv_dur(f, 6, "timeout", c->timeout_ns);
    fprintf(f, "      retry:\n");
    kv_int(f, 8, "max", c->retry_max);
    kv(f, 8, "backoff", backoffs[c->backoff]);
    kv_dur(f, 8, "base", c->backoff_base_ns);
    kv_dur(f, 8, "cap", c->backoff_cap_ns);
    kv(f, 8, "jitter", jitters[c->jitter]);
    kv(f, 8, "retry_after", hints[c->retry_after]);
}

static void write_pop(FILE *f, const struct scenario *sc,
                      const struct scn_population *p)
{
    fprintf(f, "  - name: ");
    put_name(f, p->name);
    fprintf(f, "\n");
    kv_int(f, 4, "count", p->count);
    fprintf(f, "    tier: ");
    put_name(f, sc->policy.tiers[p->tier].name);
    fputc('\n', f);
    write_weights(f, "regions", &p->regions, region_name, sc);
    write_weights(f, "models", &p->models, model_name, sc);
    fprintf(f, "    tokens:\n");
    kv_dist(f, 6, "prompt", &p->prompt_tokens, false);
    kv_dist(f, 6, "completion", &p->completion_tokens, false);
    kv_dur(f, 4, "idle_for", p->idle_for_ns);
    kv_frac(f, 4, "invalid_key", p->invalid_key);
    kv_frac(f, 4, "violation", p->violation);
    kv_frac(f, 4, "bad_request", p->bad_request);
    write_traffic(f, p);
    write_client(f, &p->client);
}

/* ---- events
 * -------------------------------------------------------------------- */

static void write_event_params(FILE *f, const struct scenario *sc,
                               const struct scn_event *e)
{
    const char *kind = scn_event_kind_name(e->kind);
    if (e->kind == EV_BLOCK_REGION || e->kind == EV_UNBLOCK_REGION) {
        fprintf(f, "    %s: ", kind);
        write_region_list(f, sc, e->regions, e->n_regions);
        fputc('\n', f);
        return;
    }
    fprintf(f, "    %s:\n", kind);
    bool down = e->kind == EV_OUTAGE || e->kind == EV_UPGRADE;
    bool traffic = e->kind == EV_TRAFFIC;
    bool timed = down || e->kind == EV_MAINTENANCE || e->kind == EV_SUSPEND ||
                 e->kind == EV_SUSPEND_FEATURE || traffic;
    bool acct = !down && e->kind != EV_MAINTENANCE &&
                e->kind != EV_SUSPEND_FEATURE && e->kind != EV_SET_LIMIT;
    if (timed && e->timing != EVT_RANDOM)
        kv_dur(f, 6, "for", e->for_ns);
    if (down)
        kv_frac(f, 6, "capacity", e->capacity);
    if (acct && e->population >= 0) {
        fprintf(f, "      accounts: ");
        put_name(f, sc->pops[e->population].name);
        fputc('\n', f);
    }
    if (acct && !traffic)
        kv_frac(f, 6, "fraction", e->fraction);
    if (traffic) {
        char b[48];
        kv(f, 6, "factor", units_fmt_number(b, sizeof(b), e->factor));
    }
    if ((e->kind == EV_SUSPEND_FEATURE || e->kind == EV_REVOKE_PERMISSION) &&
        e->model >= 0) {
        fprintf(f, "      model: ");
        put_name(f, sc->policy.models[e->model].name);
        fputc('\n', f);
    }
    if (e->kind == EV_SET_LIMIT) {
        static const char *const amount[] = { "requests", "tokens",
                                              "concurrent" };
        const struct scn_tier *t = &sc->policy.tiers[e->tier];
        fprintf(f, "      tier: ");
        put_name(f, t->name);
        fprintf(f, "\n      limit: ");
        put_name(f, t->limits[e->limit].name);
        fputc('\n', f);
        kv_int(f, 6, amount[t->limits[e->limit].kind], e->amount);
    }
}

static void write_event(FILE *f, const struct scenario *sc,
                        const struct scn_event *e)
{
    char b[48];
    if (e->timing == EVT_ONCE) {
        fprintf(f, "  - at: %s\n", units_fmt_duration(b, sizeof(b), e->at_ns));
    } else if (e->timing == EVT_EVERY) {
        fprintf(f, "  - every: %s\n",
                units_fmt_duration(b, sizeof(b), e->every_ns));
        kv_dur(f, 4, "from", e->at_ns);
    } else {
        fprintf(f, "  - random: %s\n", scn_event_kind_name(e->kind));
        kv_dur(f, 4, "mtbf", e->mtbf_ns);
        kv_dist(f, 4, "mttr", &e->mttr, true);
    }
    write_event_params(f, sc, e);
}

/* ---- live, expect
 * -------------------------------------------------------------- */

static void kv_quoted(FILE *f, int indent, const char *key, const char *s)
{
    fprintf(f, "%*s%s: ", indent, "", key);
    put_quoted(f, s);
    fputc('\n', f);
}

/* The text to write for the string at *field: as written when it used
 * ${env:}, else its value. */
static const char *text_of(const struct scenario *sc, char *const *field)
{
    for (size_t i = 0; i < sc->n_env_texts; i++)
        if (sc->env_texts[i].field == (const void *)field)
            return sc->env_texts[i].text;
    return *field;
}

/* kv_quoted of the string at *field (text_of). */
static void kv_text(FILE *f, const struct scenario *sc, int indent,
                    const char *key, char *const *field)
{
    kv_quoted(f, indent, key, text_of(sc, field));
}

static void write_rules(FILE *f, const struct scenario *sc)
{
    const struct scn_live *l = &sc->live;
    fprintf(f, "  classify:\n    rules:\n");
    for (size_t i = 0; i < l->n_rules; i++) {
        const struct scn_classify_rule *r = &l->rules[i];
        fprintf(f, "      - reason: %s\n", reason_id((enum reason)r->reason));
        if (r->status)
            kv_int(f, 8, "status", r->status);
        if (r->type)
            kv_text(f, sc, 8, "type", &r->type);
        if (r->code)
            kv_text(f, sc, 8, "code", &r->code);
        if (r->header)
            kv_text(f, sc, 8, "header", &r->header);
    }
}

static void write_live(FILE *f, const struct scenario *sc)
{
    const struct scn_live *l = &sc->live;
    fprintf(f, "live:\n");
    if (l->target)
        kv_text(f, sc, 2, "target", &l->target);
    fprintf(f, "  request:\n");
    kv_text(f, sc, 4, "method", &l->method);
    kv_text(f, sc, 4, "path", &l->path);
    fprintf(f, "    headers:\n");
    for (size_t i = 0; i < l->n_headers; i++) {
        fprintf(f, "      - ");
        put_quoted(f, text_of(sc, &l->headers[i]));
        fputc('\n', f);
    }
    kv_text(f, sc, 4, "body", &l->body);
    if (l->keys_file) {
        fprintf(f, "  keys:\n");
        kv_text(f, sc, 4, "file", &l->keys_file);
    }
    kv_int(f, 2, "connections", l->connections);
    kv_int(f, 2, "threads", l->threads);
    kv_dur(f, 2, "timeout", l->timeout_ns);
    kv_text(f, sc, 2, "region_header", &l->region_header);
    if (l->ietf_ratelimit)
        kv(f, 2, "ietf_ratelimit", "true");
    if (l->classify == CLASSIFY_RULES)
        write_rules(f, sc);
    else
        kv(f, 2, "classify",
           l->classify == CLASSIFY_ANTHROPIC ? "anthropic" : "openai");
}

int scn_write(const struct scenario *sc, FILE *out)
{
    fprintf(out, "# tollgate scenario with every default filled in\n");
    fprintf(out, "name: ");
    put_name(out, sc->name);
    fputc('\n', out);
    if (sc->description)
        kv_text(out, sc, 0, "description", &sc->description);
    fprintf(out, "seed: %llu\n", (unsigned long long)sc->seed);
    kv_dur(out, 0, "duration", sc->duration_ns);
    kv_dur(out, 0, "interval", sc->interval_ns);
    kv_dur(out, 0, "warmup", sc->warmup_ns);
    write_policy(out, sc);
    fprintf(out, "accounts:\n");
    for (size_t i = 0; i < sc->n_pops; i++)
        write_pop(out, sc, &sc->pops[i]);
    if (sc->n_events) {
        fprintf(out, "events:\n");
        for (size_t i = 0; i < sc->n_events; i++)
            write_event(out, sc, &sc->events[i]);
    }
    if (sc->has_live)
        write_live(out, sc);
    if (sc->n_expect) {
        fprintf(out, "expect:\n");
        for (size_t i = 0; i < sc->n_expect; i++) {
            fprintf(out, "  - ");
            put_quoted(out, sc->expect[i].text);
            fputc('\n', out);
        }
    }
    return ferror(out) ? ERR_IO : ERR_OK;
}
