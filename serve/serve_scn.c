/*
 * serve_scn.c - the scenario copy serve decides with, region lookup, and
 * the parser of injected events.
 *
 * The copy shares every array of the original except events (own array:
 * original events, then spare slots) and regions (own table: original
 * codes, then the two-letter codes the original lacks).  Indices of the
 * original are preserved, so populations, blocked regions and events of
 * the scenario mean what they meant.
 *
 * Injected events are parsed with libyaml (JSON is valid YAML flow
 * style) into a tiny tree, then interpreted with core/units' parsers.
 * The input is bounded (SERVE_SCN_MAX_NODES nodes, depth 8); anchors and
 * aliases are refused.  Nothing is applied here: the model commits the
 * parsed events into spare slots and starts them under its lock.
 */
#include "serve/serve_scn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/units.h"

#define MAX_NODES 512
#define MAX_DEPTH 8

/* ---- the copy ------------------------------------------------------------ */

static int code_slot(const char *code, size_t len)
{
    if (len != 2)
        return -1;
    int a = code[0] | 0x20, b = code[1] | 0x20; /* lower-case letters */
    if (a < 'a' || a > 'z' || b < 'a' || b > 'z')
        return -1;
    return (a - 'a') * 26 + (b - 'a');
}

static void init_regions(struct serve_scn *s, const struct scenario *orig)
{
    size_t n = orig->n_regions;
    s->sc.regions = xcalloc(n + SERVE_SCN_CODES, sizeof(*s->sc.regions));
    memcpy(s->sc.regions, orig->regions, n * sizeof(*s->sc.regions));
    for (int i = 0; i < SERVE_SCN_CODES; i++)
        s->code_index[i] = -1;
    for (size_t r = 0; r < n; r++) {
        int k = code_slot(orig->regions[r], strlen(orig->regions[r]));
        if (k >= 0 && s->code_index[k] < 0)
            s->code_index[k] = (int)r;
    }
    for (int k = 0; k < SERVE_SCN_CODES; k++) {
        if (s->code_index[k] >= 0)
            continue;
        snprintf(s->sc.regions[n], SCN_MAX_NAME, "%c%c", 'A' + k / 26,
                 'A' + k % 26);
        s->code_index[k] = (int)n++;
    }
    s->sc.n_regions = n;
}

void serve_scn_init(struct serve_scn *s, const struct scenario *orig,
                    size_t n_spare)
{
    memset(s, 0, sizeof(*s));
    s->sc = *orig;
    s->n_events_orig = orig->n_events;
    s->n_spare = n_spare;
    s->sc.n_events = orig->n_events + n_spare;
    s->sc.events = xcalloc(s->sc.n_events, sizeof(*s->sc.events));
    if (orig->n_events > 0)
        memcpy(s->sc.events, orig->events,
               orig->n_events * sizeof(*s->sc.events));
    for (size_t i = orig->n_events; i < s->sc.n_events; i++) {
        struct scn_event *e = &s->sc.events[i];
        e->kind = EV_MAINTENANCE; /* never started until committed */
        e->at_ns = INT64_MAX;
        e->population = e->model = e->tier = e->limit = -1;
        e->fraction = 1;
    }
    init_regions(s, orig);
}

void serve_scn_fini(struct serve_scn *s)
{
    if (s->sc.events != NULL)
        for (size_t i = 0; i < s->n_injected; i++)
            free(s->sc.events[s->n_events_orig + i].regions);
    free(s->sc.events);
    free(s->sc.regions);
    memset(s, 0, sizeof(*s));
}

int serve_scn_region(const struct serve_scn *s, const char *code, size_t len)
{
    int k = code_slot(code, len);
    if (k >= 0)
        return s->code_index[k];
    for (size_t r = 0; r < s->sc.n_regions && len > 0; r++)
        if (strlen(s->sc.regions[r]) == len &&
            memcmp(s->sc.regions[r], code, len) == 0)
            return (int)r;
    return 0;
}

const struct scn_event *serve_scn_commit(struct serve_scn *s,
                                         const struct scn_event *ev)
{
    if (s->n_injected >= s->n_spare)
        return NULL;
    struct scn_event *slot = &s->sc.events[s->n_events_orig + s->n_injected];
    *slot = *ev;
    s->n_injected++;
    return slot;
}

/* ---- a small YAML tree --------------------------------------------------- */

enum yk { Y_SCALAR, Y_MAP, Y_SEQ };

struct yn {
    enum yk kind;
    char *str;       /* scalar text */
    struct yn **kid; /* map: key, value, key, value...; seq: items */
    size_t n;
};

struct ytree {
    struct yn *stack[MAX_DEPTH + 1];
    int depth;
    struct yn *root;
    size_t nodes;
};

static void yn_free(struct yn *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++)
        yn_free(n->kid[i]);
    free(n->kid);
    free(n->str);
    free(n);
}

static bool yn_add(struct ytree *t, struct yn *n)
{
    if (++t->nodes > MAX_NODES) {
        yn_free(n);
        return false;
    }
    if (t->depth == 0) {
        if (t->root != NULL) {
            yn_free(n);
            return false; /* a second document */
        }
        t->root = n;
        return true;
    }
    struct yn *p = t->stack[t->depth - 1];
    p->kid = xrealloc(p->kid, (p->n + 1) * sizeof(*p->kid));
    p->kid[p->n++] = n;
    return true;
}

/* Handles one libyaml event; false on a limit or an unsupported node. */
static bool on_event(struct ytree *t, const yaml_event_t *e)
{
    struct yn *n;
    switch (e->type) {
    case YAML_SCALAR_EVENT:
        n = xcalloc(1, sizeof(*n));
        n->kind = Y_SCALAR;
        n->str =
            xstrndup((const char *)e->data.scalar.value, e->data.scalar.length);
        return yn_add(t, n);
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        if (t->depth >= MAX_DEPTH)
            return false;
        n = xcalloc(1, sizeof(*n));
        n->kind = e->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
        if (!yn_add(t, n))
            return false;
        t->stack[t->depth++] = n;
        return true;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: t->depth--; return true;
    case YAML_ALIAS_EVENT: return false;
    default: return true;
    }
}

static int parse_tree(const char *text, size_t len, struct yn **out)
{
    yaml_parser_t p;
    struct ytree t = { .depth = 0 };
    int rc = ERR_OK;
    if (!yaml_parser_initialize(&p))
        return ERR_PARSE;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            rc = ERR_PARSE;
            break;
        }
        bool end = e.type == YAML_STREAM_END_EVENT;
        bool ok = on_event(&t, &e);
        yaml_event_delete(&e);
        if (!ok) {
            rc = t.nodes > MAX_NODES ? ERR_TOOBIG : ERR_PARSE;
            break;
        }
        if (end)
            break;
    }
    yaml_parser_delete(&p);
    if (rc != ERR_OK || t.root == NULL) {
        yn_free(t.root);
        return rc != ERR_OK ? rc : ERR_PARSE;
    }
    *out = t.root;
    return ERR_OK;
}

static const struct yn *yn_get(const struct yn *map, const char *key)
{
    if (map == NULL || map->kind != Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->kid[i]->kind == Y_SCALAR && strcmp(map->kid[i]->str, key) == 0)
            return map->kid[i + 1];
    return NULL;
}

/* ---- interpretation ------------------------------------------------------ */

struct ictx {
    const struct serve_scn *s;
    char *err;
    size_t err_len;
};

static int fail(struct ictx *c, int rc, const char *what, const char *key)
{
    snprintf(c->err, c->err_len, "%s%s%s", key ? key : "", key ? ": " : "",
             what);
    return rc;
}

static const char *scalar(const struct yn *v)
{
    return v != NULL && v->kind == Y_SCALAR ? v->str : NULL;
}

/* Checks that every key of map is one of the allowed names. */
static int check_keys(struct ictx *c, const struct yn *map,
                      const char *const *allowed)
{
    if (map == NULL || (map->kind == Y_SCALAR && map->str[0] == '\0'))
        return ERR_OK; /* "outage:" with no parameters */
    if (map->kind != Y_MAP)
        return fail(c, ERR_INVAL, "expected a mapping of parameters", NULL);
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const char *k = scalar(map->kid[i]);
        bool ok = false;
        for (size_t j = 0; k != NULL && allowed[j] != NULL; j++)
            ok = ok || strcmp(k, allowed[j]) == 0;
        if (!ok)
            return fail(c, ERR_INVAL, "unknown parameter", k ? k : "?");
    }
    return ERR_OK;
}

static int get_duration(struct ictx *c, const struct yn *map, const char *key,
                        int64_t *out)
{
    const struct yn *v = yn_get(map, key);
    if (v == NULL)
        return ERR_OK;
    if (scalar(v) == NULL || units_parse_duration(v->str, out) != ERR_OK ||
        *out < 0)
        return fail(c, ERR_INVAL, "expected a duration such as 30s", key);
    return ERR_OK;
}

static int get_fraction(struct ictx *c, const struct yn *map, const char *key,
                        double *out)
{
    const struct yn *v = yn_get(map, key);
    if (v == NULL)
        return ERR_OK;
    if (scalar(v) == NULL || units_parse_fraction(v->str, out) != ERR_OK)
        return fail(c, ERR_INVAL, "expected a fraction such as 5% or 0.05",
                    key);
    return ERR_OK;
}

static int get_name(struct ictx *c, const struct yn *map, const char *key,
                    int (*lookup)(const struct scenario *, const char *),
                    int *out)
{
    const struct yn *v = yn_get(map, key);
    if (v == NULL)
        return ERR_OK;
    const char *s = scalar(v);
    if (s != NULL && strcmp(s, "all") == 0) {
        *out = -1;
        return ERR_OK;
    }
    int i = s != NULL ? lookup(&c->s->sc, s) : -1;
    if (i < 0)
        return fail(c, ERR_INVAL, "no such name in the scenario", key);
    *out = i;
    return ERR_OK;
}

static int parse_regions(struct ictx *c, const struct yn *v,
                         struct scn_event *ev)
{
    size_t n = v == NULL ? 0 : v->kind == Y_SCALAR ? 1 : v->n;
    if (v == NULL || v->kind == Y_MAP || n == 0)
        return fail(c, ERR_INVAL, "expected a list of region codes", NULL);
    ev->regions = xcalloc(n, sizeof(*ev->regions));
    for (size_t i = 0; i < n; i++) {
        const char *code = v->kind == Y_SCALAR ? v->str : scalar(v->kid[i]);
        int r = code != NULL ? serve_scn_region(c->s, code, strlen(code)) : 0;
        if (r == 0 && (code == NULL || strcmp(code, "ZZ") != 0)) {
            free(ev->regions);
            ev->regions = NULL;
            return fail(c, ERR_INVAL, "not a region code", code ? code : "?");
        }
        ev->regions[i] = r;
    }
    ev->n_regions = n;
    return ERR_OK;
}

static int parse_set_limit(struct ictx *c, const struct yn *v,
                           struct scn_event *ev)
{
    static const char *const keys[] = { "tier",   "limit",      "requests",
                                        "tokens", "concurrent", "amount",
                                        NULL };
    int rc = check_keys(c, v, keys);
    if (rc == ERR_OK)
        rc = get_name(c, v, "tier", scn_tier_index, &ev->tier);
    if (rc != ERR_OK)
        return rc;
    const char *lim = scalar(yn_get(v, "limit"));
    if (ev->tier < 0 || lim == NULL)
        return fail(c, ERR_INVAL, "set_limit needs a tier and a limit", NULL);
    const struct scn_tier *t = &c->s->sc.policy.tiers[ev->tier];
    for (size_t i = 0; i < t->n_limits; i++)
        if (strcmp(t->limits[i].name, lim) == 0)
            ev->limit = (int)i;
    if (ev->limit < 0)
        return fail(c, ERR_INVAL, "no such limit in that tier", "limit");
    const char *amt = NULL;
    for (size_t i = 2; keys[i] != NULL && amt == NULL; i++)
        amt = scalar(yn_get(v, keys[i]));
    if (amt == NULL || units_parse_count(amt, &ev->amount) != ERR_OK)
        return fail(c, ERR_INVAL, "expected a count", "requests");
    return ERR_OK;
}

static int parse_params(struct ictx *c, const struct yn *v,
                        struct scn_event *ev)
{
    static const char *const keys[] = { "for",      "capacity", "accounts",
                                        "fraction", "model",    NULL };
    int rc = check_keys(c, v, keys);
    if (rc == ERR_OK)
        rc = get_duration(c, v, "for", &ev->for_ns);
    if (rc == ERR_OK)
        rc = get_fraction(c, v, "capacity", &ev->capacity);
    if (rc == ERR_OK)
        rc = get_fraction(c, v, "fraction", &ev->fraction);
    if (rc == ERR_OK)
        rc = get_name(c, v, "accounts", scn_pop_index, &ev->population);
    if (rc == ERR_OK)
        rc = get_name(c, v, "model", scn_model_index, &ev->model);
    return rc;
}

static int parse_one(struct ictx *c, const char *kind, const struct yn *v,
                     struct scn_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->timing = EVT_ONCE;
    ev->population = ev->model = ev->tier = ev->limit = -1;
    ev->fraction = 1;
    int k = 0;
    while (k < EV_KIND_COUNT &&
           strcmp(scn_event_kind_name((enum scn_event_kind)k), kind) != 0)
        k++;
    if (k == EV_KIND_COUNT)
        return fail(c, ERR_INVAL, "unknown event kind", kind);
    ev->kind = (enum scn_event_kind)k;
    switch (ev->kind) {
    case EV_BLOCK_REGION:
    case EV_UNBLOCK_REGION: return parse_regions(c, v, ev);
    case EV_SET_LIMIT: return parse_set_limit(c, v, ev);
    default: return parse_params(c, v, ev);
    }
}

static int parse_map(struct ictx *c, const struct yn *map,
                     struct scn_event *out, size_t max, size_t *n)
{
    if (map->kind != Y_MAP || map->n == 0)
        return fail(c, ERR_INVAL, "expected {kind: {parameters}}", NULL);
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const char *kind = scalar(map->kid[i]);
        if (*n >= max)
            return fail(c, ERR_TOOBIG, "too many events", NULL);
        if (kind == NULL)
            return fail(c, ERR_INVAL, "event kind must be a name", NULL);
        int rc = parse_one(c, kind, map->kid[i + 1], &out[*n]);
        if (rc != ERR_OK)
            return rc;
        (*n)++;
    }
    return ERR_OK;
}

int serve_scn_parse_events(const struct serve_scn *s, const char *text,
                           size_t len, struct scn_event *out, size_t max,
                           size_t *n, char *err, size_t err_len)
{
    struct ictx c = { s, err, err_len };
    struct yn *root = NULL;
    *n = 0;
    int rc = parse_tree(text, len, &root);
    if (rc != ERR_OK)
        return fail(&c, rc, "not a JSON or YAML document of events", NULL);
    if (root->kind == Y_SEQ) {
        for (size_t i = 0; i < root->n && rc == ERR_OK; i++)
            rc = parse_map(&c, root->kid[i], out, max, n);
    } else {
        rc = parse_map(&c, root, out, max, n);
    }
    yn_free(root);
    if (rc != ERR_OK) {
        for (size_t i = 0; i < *n; i++)
            free(out[i].regions);
        *n = 0;
    }
    return rc;
}
