/*
 * scenario_override.c - --set overrides and ${env:NAME} substitution, both
 * applied to the YAML tree before it is converted.
 *
 * An override walks its dotted path through the tree (maps by key, lists
 * by [index], by a number, or by an item's name:), creating missing map
 * entries, and replaces the node at the end.  Nodes it makes carry the
 * override's index instead of a file location, so an error in them (an
 * unknown key created by a typo, a bad value) names the --set, and a path
 * that cannot exist (no such list item, indexing a scalar) is reported
 * right here.  ${env:} is expanded in scalar values only (never in keys),
 * once: the inserted text is not scanned again.
 */
#include "core/scenario/scenario_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- --set overrides ---------------------------------------------------- */

/* True when s is well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF).  YAML text is checked by libyaml; a --set plain
 * value and an environment variable are not, and a scenario must be
 * writable back as YAML. */
static bool utf8_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80                 ? 1
                : *p >= 0xc2 && *p < 0xe0 ? 2
                : *p >= 0xe0 && *p < 0xf0 ? 3
                : *p >= 0xf0 && *p < 0xf5 ? 4
                                          : 0;
        if (n == 0)
            return false;
        unsigned cp = n == 1 ? *p : *p & (0x7fu >> n);
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3fu);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        p += n;
    }
    return true;
}

/* Every node of the subtree is marked as made by override i. */
static void mark_ovr(struct ynode *n, int i)
{
    n->ovr = i;
    n->loc.line = n->loc.col = 0;
    for (size_t j = 0; j < n->n; j++) {
        if (n->keys)
            mark_ovr(n->keys[j], i);
        mark_ovr(n->vals[j], i);
    }
}

/* The value of override i as a node: a flow collection when it starts with
 * '[' or '{', else a plain scalar. */
static struct ynode *ovr_value(struct scn_ctx *c, struct ytree *t, int i)
{
    const char *v = c->ovr[i].value;
    struct ynode *n;
    if (v[0] == '[' || v[0] == '{') {
        struct ytree sub = { NULL, t->n_nodes, t->n_bytes };
        if (scn_tree_build(c, v, strlen(v), i, &sub) != ERR_OK ||
            sub.root == NULL) {
            scn_tree_fini(&sub);
            return NULL;
        }
        t->n_nodes = sub.n_nodes;
        t->n_bytes = sub.n_bytes;
        n = sub.root;
    } else {
        if (!utf8_text(v)) {
            scn_err(c, NULL, NULL,
                    "--set %s=...: the value is not UTF-8 text (it must be "
                    "writable back as YAML)",
                    c->ovr[i].key);
            return NULL;
        }
        n = xcalloc(1, sizeof(*n));
        n->kind = scn_is_null_text(v) ? YN_NULL : YN_SCALAR;
        n->str = n->kind == YN_SCALAR ? xstrdup(v) : NULL;
    }
    mark_ovr(n, i);
    return n;
}

/* Splits "a.b[2].c" into the next segment: name (may be empty when the
 * segment is only an index) and index (-1 when none).  Returns the rest,
 * or NULL on a syntax error. */
static const char *next_seg(const char *s, char *name, size_t name_len,
                            long *index)
{
    size_t n = strcspn(s, ".[");
    if (n >= name_len)
        return NULL;
    memcpy(name, s, n);
    name[n] = '\0';
    s += n;
    *index = -1;
    if (*s == '[') {
        char *end;
        *index = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end != ']' || *index < 0)
            return NULL;
        s = end + 1;
        if (*s == '[') /* one index per segment is enough */
            return NULL;
    }
    if (*s == '.')
        s++;
    else if (*s != '\0')
        return NULL;
    return s;
}

/* The item name of seq nearest to name ("did you mean"), or NULL; the
 * candidate list holds at most SUGGEST_ITEMS names. */
#define SUGGEST_ITEMS 256
static const char *near_item(const struct ynode *seq, const char *name)
{
    const char *names[SUGGEST_ITEMS + 1];
    size_t k = 0;
    for (size_t i = 0; i < seq->n && k < SUGGEST_ITEMS; i++) {
        const struct ynode *v = scn_map_get(seq->vals[i], "name");
        if (v && v->kind == YN_SCALAR)
            names[k++] = v->str;
    }
    names[k] = NULL;
    return scn_suggest(name, names);
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* In a list, the item whose name: is name; -1 if none. */
static long item_named(const struct ynode *seq, const char *name)
{
    for (size_t i = 0; i < seq->n; i++) {
        const struct ynode *v = scn_map_get(seq->vals[i], "name");
        if (v && v->kind == YN_SCALAR && strcmp(v->str, name) == 0)
            return (long)i;
    }
    return -1;
}

/* Steps into child name of *slot, creating map entries as needed. */
static struct ynode **step_name(struct scn_ctx *c, struct ynode **slot,
                                const char *name, int i, const char *done)
{
    struct ynode *n = *slot;
    if (n->kind == YN_NULL) {
        n->kind = YN_MAP;
        n->ovr = i;
    }
    if (n->kind == YN_MAP) {
        for (size_t j = 0; j < n->n; j++)
            if (strcmp(n->keys[j]->str, name) == 0)
                return &n->vals[j];
        struct ynode *k = xcalloc(1, sizeof(*k));
        struct ynode *v = xcalloc(1, sizeof(*v));
        k->kind = YN_SCALAR;
        k->str = xstrdup(name);
        k->ovr = v->ovr = i;
        v->kind = YN_NULL;
        scn_node_push(n, k, v);
        return &n->vals[n->n - 1];
    }
    if (n->kind == YN_SEQ) {
        long idx =
            all_digits(name) ? strtol(name, NULL, 10) : item_named(n, name);
        if (idx >= 0 && (size_t)idx < n->n)
            return &n->vals[idx];
        const char *near = all_digits(name) ? NULL : near_item(n, name);
        scn_err(c, NULL, NULL, "--set %s=%s: '%s' has no item named '%s'%s%s%s",
                c->ovr[i].key, c->ovr[i].value, done[0] ? done : "(top)", name,
                near ? "; did you mean '" : "", near ? near : "",
                near ? "'?" : "");
        return NULL;
    }
    scn_err(c, NULL, NULL, "--set %s=%s: '%s' is a single value, not a map",
            c->ovr[i].key, c->ovr[i].value, done);
    return NULL;
}

static struct ynode **step_index(struct scn_ctx *c, struct ynode **slot,
                                 long idx, int i, const char *done)
{
    struct ynode *n = *slot;
    if (n->kind == YN_SEQ && (size_t)idx < n->n)
        return &n->vals[idx];
    if (n->kind == YN_SEQ)
        scn_err(c, NULL, NULL,
                "--set %s=%s: '%s' has %zu items, so [%ld] does not exist",
                c->ovr[i].key, c->ovr[i].value, done, n->n, idx);
    else
        scn_err(c, NULL, NULL, "--set %s=%s: '%s' is not a list", c->ovr[i].key,
                c->ovr[i].value, done);
    return NULL;
}

static int apply_one(struct scn_ctx *c, struct ytree *t, int i)
{
    const char *key = c->ovr[i].key;
    if (t->root == NULL) {
        t->root = xcalloc(1, sizeof(*t->root));
        t->root->kind = YN_MAP;
    }
    struct ynode **slot = &t->root;
    char done[SCN_PATH_MAX] = "";
    const char *s = key;
    int segs = 0;
    while (*s) {
        char name[SCN_MAX_NAME * 2];
        long idx;
        const char *rest = next_seg(s, name, sizeof(name), &idx);
        if (rest == NULL || ++segs > SCN_MAX_DEPTH ||
            (name[0] == '\0' && idx < 0)) {
            scn_err(c, NULL, NULL,
                    "--set %s=%s: expected a dotted path such as "
                    "policy.capacity.servers or accounts[0].count",
                    key, c->ovr[i].value);
            return ERR_INVAL;
        }
        if (name[0] != '\0')
            slot = step_name(c, slot, name, i, done);
        if (slot && idx >= 0)
            slot = step_index(c, slot, idx, i, done);
        if (slot == NULL)
            return ERR_INVAL;
        size_t used = strlen(done), seg = (size_t)(rest - s);
        if (seg > 0 && s[seg - 1] == '.')
            seg--;
        snprintf(done + used, sizeof(done) - used, "%s%.*s",
                 used && name[0] ? "." : "", (int)seg, s);
        s = rest;
    }
    struct ynode *v = ovr_value(c, t, i);
    if (v == NULL)
        return ERR_INVAL;
    v->item = (*slot)->item;
    scn_node_free(*slot);
    *slot = v;
    return ERR_OK;
}

int scn_tree_override(struct scn_ctx *c, struct ytree *t)
{
    int rc = ERR_OK;
    for (size_t i = 0; i < c->n_ovr; i++) {
        if (c->ovr[i].key == NULL || c->ovr[i].key[0] == '\0') {
            scn_err(c, NULL, NULL, "--set needs KEY=VALUE");
            rc = ERR_INVAL;
            continue;
        }
        if (apply_one(c, t, (int)i) != ERR_OK)
            rc = ERR_INVAL;
    }
    if (rc != ERR_OK)
        c->rc = c->rc ? c->rc : rc;
    return rc;
}

/* ---- ${env:NAME} ----------------------------------------------------------
 */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Substitutes in one scalar; false (reported) on an error. */
static bool env_scalar(struct scn_ctx *c, struct ynode *n)
{
    if (strstr(n->str, "${env:") == NULL)
        return true;
    struct sbuf out = { 0 };
    const char *s = n->str;
    bool ok = true;
    for (;;) {
        const char *p = strstr(s, "${env:");
        if (p == NULL)
            break;
        sb_add(&out, s, (size_t)(p - s));
        const char *name = p + 6, *end = strchr(name, '}');
        size_t nlen = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
                                   "mnopqrstuvwxyz0123456789_");
        const char *after = name + nlen;
        bool has_def = after[0] == ':' && after[1] == '-';
        if (end == NULL || nlen == 0 || nlen > 255 ||
            isdigit((unsigned char)name[0]) || (!has_def && after != end)) {
            scn_err(c, n, NULL,
                    "malformed ${env:...}: expected ${env:NAME} or "
                    "${env:NAME:-default}");
            ok = false;
            break;
        }
        char var[256];
        snprintf(var, sizeof(var), "%.*s", (int)nlen, name);
        const char *val = getenv(var);
        if (val == NULL && !has_def) {
            scn_err(c, n, NULL,
                    "environment variable %s is not set (write "
                    "${env:%s:-default} to give a fallback)",
                    var, var);
            ok = false;
            break;
        }
        if (val != NULL)
            sb_add(&out, val, strlen(val));
        else
            sb_add(&out, after + 2, (size_t)(end - after - 2));
        s = end + 1;
        if (out.n > SCN_MAX_SCALAR_LEN) {
            scn_err_toobig(c, n, NULL,
                           "value longer than %d bytes after ${env:} "
                           "substitution",
                           SCN_MAX_SCALAR_LEN);
            ok = false;
            break;
        }
    }
    if (ok) {
        sb_add(&out, s, strlen(s));
        if (!utf8_text(out.p)) {
            scn_err(c, n, NULL,
                    "after ${env:} substitution the value is not UTF-8 "
                    "text: check the variables it names");
            free(out.p);
            return false;
        }
        free(n->raw);
        n->raw = n->str; /* kept for scn_write: never the value */
        n->str = out.p;
    } else {
        free(out.p);
    }
    return ok;
}

static bool env_walk(struct scn_ctx *c, struct ynode *n)
{
    bool ok = true;
    if (n->kind == YN_SCALAR)
        ok = env_scalar(c, n);
    for (size_t i = 0; i < n->n; i++)
        ok = env_walk(c, n->vals[i]) && ok;
    return ok;
}

int scn_tree_env(struct scn_ctx *c, struct ytree *t)
{
    if (t->root == NULL || env_walk(c, t->root))
        return ERR_OK;
    c->rc = c->rc ? c->rc : ERR_INVAL;
    return ERR_INVAL;
}
