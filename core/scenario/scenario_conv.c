/*
 * scenario_conv.c - typed access to the YAML tree for the converters.
 *
 * Each getter looks one key up in a mapping node, converts its scalar with
 * the units.c parser of the right type and reports what is wrong at the
 * value's location, naming what was expected ("expected a duration such
 * as 250ms, 90s, 10m or 2h, got '5'").  An absent key leaves the caller's
 * default untouched, so defaults are written once, next to the struct
 * they fill.  Also: mapping key checks with "did you mean", names, region
 * codes and categorical weights.
 */
#include "core/scenario/scenario_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/units.h"

/* A short description of a node for "got ..." messages. */
static const char *describe(const struct ynode *n, char *buf, size_t len)
{
    switch (n->kind) {
    case YN_NULL: return "nothing";
    case YN_MAP: return "a mapping";
    case YN_SEQ: return "a list";
    case YN_SCALAR: break;
    }
    if (strlen(n->str) > 40)
        snprintf(buf, len, "'%.37s...'", n->str);
    else
        snprintf(buf, len, "'%s'", n->str);
    return buf;
}

char *scn_join(char *buf, size_t len, const char *const *names)
{
    if (len > 0)
        buf[0] = '\0';
    for (size_t j = 0; names[j] && len > 0; j++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", j ? ", " : "", names[j]);
    }
    return buf;
}

bool scn_check_map(struct scn_ctx *c, const struct ynode *n,
                   const char *const *allowed)
{
    char buf[64];
    if (n != NULL && n->kind == YN_NULL && n->item) {
        char list[512];
        scn_join(list, sizeof(list), allowed);
        scn_err(c, n, NULL,
                "empty list item: remove the '-' or give it a mapping "
                "(keys: %s)",
                list);
        return false;
    }
    if (n == NULL || n->kind == YN_NULL)
        return true;
    if (n->kind != YN_MAP) {
        scn_err(c, n, NULL, "expected a mapping (key: value), got %s",
                describe(n, buf, sizeof(buf)));
        return false;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->str;
        bool known = false;
        for (size_t j = 0; allowed[j] && !known; j++)
            known = strcmp(k, allowed[j]) == 0;
        if (known)
            continue;
        const char *near = scn_suggest(k, allowed);
        if (near) {
            scn_err(c, n->keys[i], k, "unknown key '%s'; did you mean '%s'?", k,
                    near);
            continue;
        }
        char list[512];
        scn_join(list, sizeof(list), allowed);
        scn_err(c, n->keys[i], k, "unknown key '%s' (expected one of: %s)", k,
                list);
    }
    return true;
}

const char *scn_scalar(struct scn_ctx *c, const struct ynode *n,
                       const char *what)
{
    char buf[64];
    if (n->kind == YN_SCALAR)
        return n->str;
    scn_err(c, n, NULL, "expected %s, got %s", what,
            describe(n, buf, sizeof(buf)));
    return NULL;
}

/* The value of key, or NULL; reports a missing required key. */
static const struct ynode *lookup(struct scn_ctx *c, const struct ynode *map,
                                  const char *key, int flags)
{
    const struct ynode *v = scn_map_get(map, key);
    if (v == NULL && (flags & SCN_REQ))
        scn_err(c, map, key, "missing required key '%s'", key);
    return v;
}

/* Shared shape of the getters: look up, enter the key, get the text. */
#define GETTER_BEGIN(what)                                                     \
    const struct ynode *v = lookup(c, map, key, flags);                        \
    if (v == NULL)                                                             \
        return false;                                                          \
    size_t mark = scn_path_key(c, key);                                        \
    bool ok = false;                                                           \
    const char *s = scn_scalar(c, v, what);                                    \
    if (s != NULL) {
#define GETTER_END                                                             \
    }                                                                          \
    scn_path_pop(c, mark);                                                     \
    return ok;

#define DUR_WHAT "a duration such as 250ms, 90s, 10m or 2h"

bool scn_get_duration(struct scn_ctx *c, const struct ynode *map,
                      const char *key, int flags, int64_t *out)
{
    GETTER_BEGIN(DUR_WHAT)
    int64_t ns = 0;
    double num;
    int rc = units_parse_duration(s, &ns);
    if (rc == ERR_PARSE && units_parse_number(s, &num) == ERR_OK)
        scn_err(c, v, NULL,
                "a duration needs a unit: write e.g. '%ss' or "
                "'%sms'",
                s, s);
    else if (rc == ERR_PARSE)
        scn_err(c, v, NULL, "expected " DUR_WHAT ", got '%s'", s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL, "duration '%s' is negative or too large", s);
    else if ((flags & SCN_POS) && ns == 0)
        scn_err(c, v, NULL, "must be longer than 0");
    else
        ok = true;
    if (ok)
        *out = ns;
    GETTER_END
}

bool scn_get_count(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t max, int64_t *out)
{
    GETTER_BEGIN("a whole number")
    int64_t n = 0;
    int rc = units_parse_count(s, &n);
    if (rc == ERR_PARSE)
        scn_err(c, v, NULL,
                "expected a whole number such as 500 or 10k, "
                "got '%s'",
                s);
    else if (rc == ERR_RANGE && s[strspn(s, " ")] == '-')
        scn_err(c, v, NULL, "must not be negative (got '%s')", s);
    else if (rc == ERR_RANGE || n > max)
        scn_err(c, v, NULL, "'%s' is too large (at most %" PRId64 ")", s, max);
    else if ((flags & SCN_POS) && n == 0)
        scn_err(c, v, NULL, "must be at least 1");
    else
        ok = true;
    if (ok)
        *out = n;
    GETTER_END
}

bool scn_get_money(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t *out)
{
    GETTER_BEGIN("an amount of money such as 5.00 or $5.00")
    int64_t p = 0;
    int rc = units_parse_money(s, &p);
    if (rc == ERR_PARSE)
        scn_err(c, v, NULL,
                "expected an amount of money such as 5.00 or "
                "$5.00, got '%s'",
                s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL,
                "'%s' is negative, too large or finer than "
                "a pico-dollar",
                s);
    else if ((flags & SCN_POS) && p == 0)
        scn_err(c, v, NULL, "must be more than 0");
    else
        ok = true;
    if (ok)
        *out = p;
    GETTER_END
}

bool scn_get_price(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t *out)
{
    GETTER_BEGIN("a token price such as 0.15/1M")
    int64_t p = 0;
    int rc = units_parse_price(s, &p);
    if (rc == ERR_PARSE)
        scn_err(c, v, NULL,
                "expected a token price such as 0.15/1M "
                "(dollars per million tokens), got '%s'",
                s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL, "price '%s' is negative or too large", s);
    else
        ok = true;
    if (ok)
        *out = p;
    GETTER_END
}

bool scn_get_fraction(struct scn_ctx *c, const struct ynode *map,
                      const char *key, int flags, double *out)
{
    GETTER_BEGIN("a fraction such as 5% or 0.05")
    double f = 0;
    int rc = units_parse_fraction(s, &f);
    if (rc == ERR_PARSE)
        scn_err(c, v, NULL,
                "expected a fraction such as 5%% or 0.05, "
                "got '%s'",
                s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL, "'%s' is outside 0%%..100%%", s);
    else if ((flags & SCN_POS) && f == 0)
        scn_err(c, v, NULL, "must be more than 0");
    else
        ok = true;
    if (ok)
        *out = f;
    GETTER_END
}

bool scn_get_number(struct scn_ctx *c, const struct ynode *map, const char *key,
                    int flags, double *out)
{
    GETTER_BEGIN("a number")
    double x = 0;
    int rc = units_parse_number(s, &x);
    if (rc == ERR_PARSE)
        scn_err(c, v, NULL, "expected a number, got '%s'", s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL, "'%s' is negative or too large", s);
    else if ((flags & SCN_POS) && x == 0)
        scn_err(c, v, NULL, "must be more than 0");
    else
        ok = true;
    if (ok)
        *out = x;
    GETTER_END
}

bool scn_get_bool(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, bool *out)
{
    static const char *const yes[] = { "true", "True", "TRUE", "yes",
                                       "Yes",  "on",   "On",   NULL };
    static const char *const no[] = { "false", "False", "FALSE", "no",
                                      "No",    "off",   "Off",   NULL };
    GETTER_BEGIN("true or false")
    for (size_t i = 0; yes[i] && !ok; i++)
        if (strcmp(s, yes[i]) == 0)
            ok = *out = true;
    for (size_t i = 0; no[i] && !ok; i++)
        if (strcmp(s, no[i]) == 0) {
            ok = true;
            *out = false;
        }
    if (!ok)
        scn_err(c, v, NULL, "expected true or false, got '%s'", s);
    GETTER_END
}

bool scn_get_dist(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, bool is_duration, struct dist *out)
{
    GETTER_BEGIN("a distribution")
    struct dist d;
    int rc = units_parse_dist(s, is_duration, &d);
    if (rc == ERR_PARSE && is_duration)
        scn_err(c, v, NULL,
                "expected a duration or a distribution of durations such "
                "as 800ms, exp(2s), lognormal(800ms, 0.5), "
                "uniform(1s, 3s); got '%s'",
                s);
    else if (rc == ERR_PARSE)
        scn_err(c, v, NULL,
                "expected a number or a distribution such as 500, "
                "lognormal(400, 1.0), uniform(100, 900), normal(500, 50); "
                "got '%s'",
                s);
    else if (rc == ERR_RANGE)
        scn_err(c, v, NULL,
                "parameters of '%s' are out of range (negative, zero mean "
                "or scale, or uniform low > high)",
                s);
    else if (d.kind == DIST_ZIPF)
        scn_err(c, v, NULL,
                "zipf describes skew over accounts "
                "(traffic.skew); it is not a value distribution");
    else
        ok = true;
    if (ok)
        *out = d;
    GETTER_END
}

bool scn_get_enum(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, const char *const *names, int *out)
{
    GETTER_BEGIN("a name")
    for (int i = 0; names[i] && !ok; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            ok = true;
        }
    if (!ok) {
        char list[256] = "";
        for (size_t j = 0; names[j]; j++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "",
                     names[j]);
        }
        const char *near = scn_suggest(s, names);
        if (near)
            scn_err(c, v, NULL,
                    "unknown value '%s'; did you mean '%s'? "
                    "(one of: %s)",
                    s, near, list);
        else
            scn_err(c, v, NULL, "unknown value '%s' (expected one of: %s)", s,
                    list);
    }
    GETTER_END
}

bool scn_get_string(struct scn_ctx *c, const struct ynode *map, const char *key,
                    int flags, size_t max_len, char **out)
{
    GETTER_BEGIN("a string")
    if (strlen(s) > max_len) {
        scn_err_toobig(c, v, NULL, "longer than %zu bytes", max_len);
    } else {
        free(*out);
        *out = xstrdup(s);
        scn_note_env(c, v, out);
        ok = true;
    }
    GETTER_END
}

void scn_note_env(struct scn_ctx *c, const struct ynode *n, char *const *field)
{
    struct scenario *sc = c->sc;
    if (n->raw == NULL || c->names_fixed)
        return;
    size_t i = 0;
    while (i < sc->n_env_texts && sc->env_texts[i].field != (const void *)field)
        i++;
    if (i == sc->n_env_texts) {
        sc->env_texts =
            xrealloc(sc->env_texts, (i + 1) * sizeof(*sc->env_texts));
        sc->n_env_texts++;
    } else {
        free(sc->env_texts[i].text);
    }
    sc->env_texts[i].field = field;
    sc->env_texts[i].text = xstrdup(n->raw);
}

bool scn_check_name(struct scn_ctx *c, const struct ynode *n, const char *s,
                    char out[SCN_MAX_NAME])
{
    size_t len = strlen(s);
    if (len >= SCN_MAX_NAME) {
        scn_err_toobig(c, n, NULL, "name '%.20s...' is longer than %d bytes", s,
                       SCN_MAX_NAME - 1);
        return false;
    }
    bool ok = len > 0 && s[0] != '.' && s[0] != '-';
    for (size_t i = 0; i < len && ok; i++)
        ok = isalnum((unsigned char)s[i]) || strchr("_.-", s[i]) != NULL;
    if (!ok) {
        scn_err(c, n, NULL,
                "'%s' is not a valid name (letters, digits, '_', '.', '-'; "
                "not starting with '.' or '-')",
                s);
        return false;
    }
    memcpy(out, s, len + 1);
    return true;
}

/* ---- regions ------------------------------------------------------------ */

/* The slot of code in c's region index: its region's index + 1, or the
 * empty slot (0) where it would go. */
static int *region_slot(struct scn_ctx *c, const char *code)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)code; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    size_t mask = c->region_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        int *s = &c->region_slot[i];
        if (*s == 0 || strcmp(c->sc->regions[*s - 1], code) == 0)
            return s;
    }
}

/* Rebuilds the index at twice the size (at most half full). */
static void region_index_grow(struct scn_ctx *c)
{
    free(c->region_slot);
    c->region_cap = c->region_cap ? c->region_cap * 2 : 64;
    c->region_slot = xcalloc(c->region_cap, sizeof(*c->region_slot));
    for (size_t i = 0; i < c->sc->n_regions; i++)
        *region_slot(c, c->sc->regions[i]) = (int)i + 1;
}

int scn_region_intern(struct scn_ctx *c, const struct ynode *n,
                      const char *code)
{
    struct scenario *sc = c->sc;
    if (2 * (sc->n_regions + 1) > c->region_cap)
        region_index_grow(c);
    int *s = region_slot(c, code);
    if (*s > 0)
        return *s - 1;
    if (sc->n_regions >= SCN_MAX_REGIONS) {
        if (c->regions_full)
            return -1;
        c->regions_full = true;
        scn_err_toobig(c, n, NULL,
                       "more than %d distinct region codes: name fewer "
                       "regions (ZZ, the unknown region, counts as one)",
                       SCN_MAX_REGIONS);
        return -1;
    }
    size_t k = sc->n_regions; /* capacity: the next power of two */
    if ((k & (k - 1)) == 0)
        sc->regions =
            xrealloc(sc->regions, (k ? 2 * k : 1) * sizeof(*sc->regions));
    snprintf(sc->regions[sc->n_regions], SCN_MAX_NAME, "%s", code);
    *s = (int)sc->n_regions + 1;
    return (int)sc->n_regions++;
}

void scn_ctx_fini(struct scn_ctx *c)
{
    free(c->region_slot);
    c->region_slot = NULL;
    c->region_cap = 0;
}

/* "US", "GB", "US-CA": two upper-case letters, optionally "-" and 1 to 3
 * upper-case letters or digits (ISO 3166-1 alpha-2, ISO 3166-2). */
static bool region_code_ok(const char *s)
{
    if (!isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]))
        return false;
    if (s[2] == '\0')
        return true;
    if (s[2] != '-')
        return false;
    size_t n = strlen(s + 3);
    if (n < 1 || n > 3)
        return false;
    for (size_t i = 3; s[i]; i++)
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

int scn_region(struct scn_ctx *c, const struct ynode *n)
{
    const char *s = scn_scalar(c, n, "a region code such as US");
    if (s == NULL)
        return -1;
    const char *alias, *why, *what;
    if (scn_region_is_group(s, &what)) {
        scn_err(c, n, NULL,
                "%s is a group of countries (%s); a population sends from one "
                "region: name its countries (e.g. { DE: 0.6, FR: 0.4 })",
                s, what);
        return -1;
    }
    if (region_code_ok(s) && !scn_region_country_ok(s)) {
        alias = scn_region_alias(s, &why);
        if (alias != NULL)
            scn_err(c, n, NULL,
                    "'%s' is not an ISO 3166 code; did you mean "
                    "'%s'? (%s)",
                    s, alias, why);
        else
            scn_err(c, n, NULL,
                    "'%.2s' is not an ISO 3166-1 alpha-2 country code (such "
                    "as US, IN, BR, DE; groups: EU, EEA; ZZ for unknown)",
                    s);
        return -1;
    }
    if (!region_code_ok(s)) {
        char up[8] = "";
        for (size_t i = 0; i < 7 && s[i]; i++)
            up[i] = (char)toupper((unsigned char)s[i]);
        if (region_code_ok(up))
            scn_err(c, n, NULL, "region codes are upper case: write '%s'", up);
        else
            scn_err(c, n, NULL,
                    "'%s' is not a region code (ISO 3166 such as US, IN, "
                    "BR, or US-CA)",
                    s);
        return -1;
    }
    return scn_region_intern(c, n, s);
}

/* ---- weights ------------------------------------------------------------ */

void scn_weights_fini(struct scn_weights *w)
{
    if (w == NULL)
        return;
    free(w->index);
    free(w->cum);
    free(w->weight);
    memset(w, 0, sizeof(*w));
}

/* The weight value of one entry (a number or a percentage). */
static bool weight_of(struct scn_ctx *c, const struct ynode *v, double *out)
{
    const char *s = scn_scalar(c, v, "a weight such as 0.7 or 70%");
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    int rc = len > 0 && s[len - 1] == '%' ? units_parse_fraction(s, out)
                                          : units_parse_number(s, out);
    if (rc != ERR_OK) {
        scn_err(c, v, NULL,
                "expected a weight such as 0.7 or 70%%, got "
                "'%s'",
                s);
        return false;
    }
    return true;
}

static void weights_push(struct scn_weights *w, int index, double weight)
{
    w->index = xrealloc(w->index, (w->n + 1) * sizeof(*w->index));
    w->weight = xrealloc(w->weight, (w->n + 1) * sizeof(*w->weight));
    w->index[w->n] = index;
    w->weight[w->n] = weight;
    w->n++;
}

/* Adds one named entry; false when it is invalid (already reported). */
static bool weights_entry(struct scn_ctx *c, const struct ynode *name_node,
                          const struct ynode *val, scn_resolve_fn *resolve,
                          struct scn_weights *w)
{
    const char *name = scn_scalar(c, name_node, "a name");
    if (name == NULL)
        return false;
    size_t mark = scn_path_key(c, name);
    int idx = resolve(c, name_node, name);
    double weight = 1;
    bool ok = idx >= 0 && (val == NULL || weight_of(c, val, &weight));
    for (size_t i = 0; ok && i < w->n; i++)
        if (w->index[i] == idx) {
            scn_err(c, name_node, NULL, "'%s' is listed twice", name);
            ok = false;
        }
    if (ok)
        weights_push(w, idx, weight);
    scn_path_pop(c, mark);
    return ok;
}

bool scn_get_weights(struct scn_ctx *c, const struct ynode *map,
                     const char *key, const char *what, scn_resolve_fn *resolve,
                     struct scn_weights *w)
{
    const struct ynode *n = scn_map_get(map, key);
    if (n == NULL)
        return false;
    size_t mark = scn_path_key(c, key);
    struct scn_weights nw = { 0 };
    bool ok = true;
    if (n->kind == YN_MAP) {
        for (size_t i = 0; i < n->n; i++)
            ok = weights_entry(c, n->keys[i], n->vals[i], resolve, &nw) && ok;
    } else if (n->kind == YN_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            ok = weights_entry(c, n->vals[i], NULL, resolve, &nw) && ok;
    } else {
        ok = weights_entry(c, n, NULL, resolve, &nw);
    }
    double total = 0;
    for (size_t i = 0; i < nw.n; i++)
        total += nw.weight[i];
    if (ok && !(total > 0 && total < 1e300)) {
        scn_err(c, n, NULL, "the %s weights must add up to more than 0", what);
        ok = false;
    }
    if (ok) {
        nw.cum = xmalloc(nw.n * sizeof(*nw.cum));
        double run = 0;
        for (size_t i = 0; i < nw.n; i++) {
            run += nw.weight[i];
            nw.cum[i] = run / total;
        }
        nw.cum[nw.n - 1] = 1.0;
        scn_weights_fini(w);
        *w = nw;
    } else {
        scn_weights_fini(&nw);
    }
    scn_path_pop(c, mark);
    return ok;
}
