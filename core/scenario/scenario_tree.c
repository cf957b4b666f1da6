/*
 * scenario_tree.c - YAML text to a located generic tree (overrides and
 * ${env:} substitution on that tree are in scenario_override.c).
 *
 * libyaml's event parser feeds a stack of open collections.  The input
 * limits of scenario.h are enforced as the events arrive (nesting depth,
 * items per collection, total nodes, scalar bytes), so a hostile file is
 * stopped before it costs memory: aliases are expanded by copying, which
 * is what makes a "billion laughs" file hit SCN_MAX_NODES quickly instead
 * of exhausting memory.  YAML 1.1 merge keys ("<<: *base") are applied
 * when their mapping closes; explicit keys win over merged ones.
 *
 * Plain "", "~" and "null" become YN_NULL nodes.  Nothing here knows the
 * scenario schema: unknown keys and wrong types are found later by the
 * converters, which is also where override-made nodes get their errors
 * (they carry the override's index instead of a file location).
 */
#include "core/scenario/scenario_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* An anchor owns a deep copy of its node, taken when the node is complete.
 * The tree may later free or rewrite the original (merge keys move pairs
 * out of their source, a non-scalar key is replaced, the fragments of a
 * flow scalar split at a comma are joined and freed), so pointing at it
 * would let an alias copy freed memory. */
struct anchor {
    char *name;
    struct ynode *node; /* owned; charged to the node and byte budgets */
};

struct frame {
    struct ynode *node;
    struct ynode *key; /* maps: the key waiting for its value */
    char *anchor;      /* registered when the collection closes */
    bool flow;         /* [ ] or { } style */
};

struct builder {
    struct scn_ctx *c;
    struct ytree *t;
    struct frame stack[SCN_MAX_DEPTH + 1];
    int depth;
    struct anchor *anchors;        /* hash table by name (open addressing) */
    size_t n_anchors, cap_anchors; /* cap: 0 or a power of two */
    int rc;
    int docs;
    int ovr; /* override index given to every node; -1: file */
};

void scn_node_free(struct ynode *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            scn_node_free(n->keys[i]);
        scn_node_free(n->vals[i]);
    }
    free(n->keys);
    free(n->vals);
    free(n->str);
    free(n->raw);
    free(n);
}

void scn_tree_fini(struct ytree *t)
{
    if (t == NULL)
        return;
    scn_node_free(t->root);
    t->root = NULL;
}

const struct ynode *scn_map_get(const struct ynode *map, const char *key)
{
    if (map == NULL || map->kind != YN_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->vals[i]->kind == YN_NULL ? NULL : map->vals[i];
    return NULL;
}

static struct scn_loc mark_loc(const yaml_mark_t *m)
{
    struct scn_loc l = { (int)m->line + 1, (int)m->column + 1 };
    return l;
}

/* A new node, or NULL (and ERR_TOOBIG) when the budget is spent. */
static struct ynode *node_new(struct builder *b, enum ynode_kind kind,
                              struct scn_loc loc)
{
    if (b->t->n_nodes >= SCN_MAX_NODES) {
        if (b->rc != ERR_TOOBIG) {
            struct ynode at = { .loc = loc, .ovr = b->ovr };
            scn_err_toobig(b->c, &at, NULL,
                           "more than %d YAML nodes (aliases included)",
                           SCN_MAX_NODES);
        }
        b->rc = ERR_TOOBIG;
        return NULL;
    }
    b->t->n_nodes++;
    struct ynode *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->loc = loc;
    n->ovr = b->ovr;
    return n;
}

static bool budget_bytes(struct builder *b, size_t len, struct scn_loc loc)
{
    b->t->n_bytes += len;
    if (len <= SCN_MAX_SCALAR_LEN && b->t->n_bytes <= SCN_MAX_SCALAR_BYTES)
        return true;
    struct ynode at = { .loc = loc, .ovr = b->ovr };
    scn_err_toobig(b->c, &at, NULL,
                   len > SCN_MAX_SCALAR_LEN
                       ? "a value longer than %d bytes"
                       : "more than %d bytes of values (aliases included)",
                   len > SCN_MAX_SCALAR_LEN ? SCN_MAX_SCALAR_LEN
                                            : SCN_MAX_SCALAR_BYTES);
    b->rc = ERR_TOOBIG;
    return false;
}

void scn_node_push(struct ynode *parent, struct ynode *key, struct ynode *val)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 4;
        parent->vals =
            xrealloc(parent->vals, parent->cap * sizeof(*parent->vals));
        if (parent->kind == YN_MAP)
            parent->keys =
                xrealloc(parent->keys, parent->cap * sizeof(*parent->keys));
    }
    if (parent->kind == YN_MAP)
        parent->keys[parent->n] = key;
    else
        val->item = true;
    parent->vals[parent->n++] = val;
}

/* Deep copy for an alias, charged to the budget; NULL when it runs out. */
static struct ynode *node_copy(struct builder *b, const struct ynode *src,
                               int depth)
{
    if (depth > SCN_MAX_DEPTH) {
        if (b->rc != ERR_TOOBIG)
            scn_err_toobig(b->c, src, NULL, "nesting deeper than %d levels",
                           SCN_MAX_DEPTH);
        b->rc = ERR_TOOBIG;
        return NULL;
    }
    struct ynode *n = node_new(b, src->kind, src->loc);
    if (n == NULL)
        return NULL;
    n->ovr = src->ovr;
    n->quoted = src->quoted;
    if (src->str) {
        if (!budget_bytes(b, strlen(src->str), src->loc)) {
            scn_node_free(n);
            return NULL;
        }
        n->str = xstrdup(src->str);
    }
    for (size_t i = 0; i < src->n; i++) {
        struct ynode *k = NULL;
        if (src->kind == YN_MAP) {
            k = node_copy(b, src->keys[i], depth + 1);
            if (k == NULL) {
                scn_node_free(n);
                return NULL;
            }
        }
        struct ynode *v = node_copy(b, src->vals[i], depth + 1);
        if (v == NULL) {
            scn_node_free(k);
            scn_node_free(n);
            return NULL;
        }
        scn_node_push(n, k, v);
    }
    return n;
}

static bool is_merge_key(const struct ynode *k)
{
    return !k->quoted && strcmp(k->str, "<<") == 0;
}

/* The keys of one mapping as an open-addressing hash set, so the
 * duplicate check and merge keys cost time linear in the keys (pairwise
 * checks took seconds of CPU on files under the size limit). */
struct keyset {
    const char **slot; /* borrowed key strings; NULL: empty */
    size_t mask;       /* capacity - 1, a power of two minus one */
};

static void keyset_init(struct keyset *ks, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    ks->slot = xcalloc(cap, sizeof(*ks->slot));
    ks->mask = cap - 1;
}

/* Adds key; false when it was already there. */
static bool keyset_add(struct keyset *ks, const char *key)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    for (size_t i = (size_t)h & ks->mask;; i = (i + 1) & ks->mask) {
        if (ks->slot[i] == NULL) {
            ks->slot[i] = key;
            return true;
        }
        if (strcmp(ks->slot[i], key) == 0)
            return false;
    }
}

/* Moves src's pairs that out does not have yet (not in ks) into out. */
static void merge_from(struct builder *b, struct ynode *out, struct ynode *src,
                       struct keyset *ks)
{
    if (src->kind != YN_MAP) {
        scn_err(b->c, src, NULL,
                "a merge key '<<' needs a mapping or a list of mappings");
        b->rc = b->rc ? b->rc : ERR_INVAL;
        return;
    }
    for (size_t i = 0; i < src->n && b->rc != ERR_TOOBIG; i++) {
        if (!keyset_add(ks, src->keys[i]->str))
            continue;
        if (out->n >= SCN_MAX_LIST) {
            scn_err_toobig(b->c, src->keys[i], NULL,
                           "more than %d items in one mapping after merging "
                           "'<<'",
                           SCN_MAX_LIST);
            b->rc = ERR_TOOBIG;
            return;
        }
        scn_node_push(out, src->keys[i], src->vals[i]);
        src->keys[i] = NULL;
        src->vals[i] = NULL;
    }
}

/* The keys a merge of map could bring in, for sizing its key set. */
static size_t merge_candidates(const struct ynode *map)
{
    size_t n = map->n;
    for (size_t i = 0; i < map->n; i++) {
        const struct ynode *v = map->vals[i];
        if (!is_merge_key(map->keys[i]))
            continue;
        n += v->kind == YN_MAP ? v->n : 0;
        for (size_t j = 0; v->kind == YN_SEQ && j < v->n; j++)
            n += v->vals[j]->kind == YN_MAP ? v->vals[j]->n : 0;
    }
    return n;
}

/* Applies "<<" entries of a closed mapping. */
static void apply_merges(struct builder *b, struct ynode *map)
{
    bool any = false;
    for (size_t i = 0; i < map->n; i++)
        any = any || is_merge_key(map->keys[i]);
    if (!any)
        return;
    struct keyset ks;
    keyset_init(&ks, merge_candidates(map));
    struct ynode out = { .kind = YN_MAP };
    struct ynode *merges = NULL;
    for (size_t i = 0; i < map->n; i++) {
        if (is_merge_key(map->keys[i])) {
            scn_node_free(map->keys[i]);
            map->keys[i] = NULL;
            continue;
        }
        keyset_add(&ks, map->keys[i]->str);
        scn_node_push(&out, map->keys[i], map->vals[i]);
        map->vals[i] = NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        merges = map->vals[i];
        if (merges == NULL)
            continue;
        if (merges->kind == YN_SEQ)
            for (size_t j = 0; j < merges->n; j++)
                merge_from(b, &out, merges->vals[j], &ks);
        else
            merge_from(b, &out, merges, &ks);
        scn_node_free(merges);
        map->vals[i] = NULL;
    }
    free(ks.slot);
    free(map->keys);
    free(map->vals);
    map->keys = out.keys;
    map->vals = out.vals;
    map->n = out.n;
    map->cap = out.cap;
}

/* Attaches a finished node to the open collection (or makes it the
 * root).  Takes ownership of n. */
static void attach(struct builder *b, struct ynode *n)
{
    if (b->depth == 0) {
        b->t->root = n;
        return;
    }
    struct frame *f = &b->stack[b->depth - 1];
    struct ynode *p = f->node;
    if (p->kind == YN_MAP && f->key == NULL) {
        if (n->kind != YN_SCALAR) {
            struct scn_loc loc = n->loc;
            scn_err(b->c, n, NULL, "a mapping key must be a plain name");
            b->rc = b->rc ? b->rc : ERR_INVAL;
            scn_node_free(n);
            n = node_new(b, YN_SCALAR, loc);
            if (n == NULL)
                return;
            n->str = xstrdup("?");
        }
        f->key = n;
        return;
    }
    if (p->n >= SCN_MAX_LIST) {
        if (b->rc != ERR_TOOBIG)
            scn_err_toobig(b->c, n, NULL,
                           "more than %d items in one list or mapping",
                           SCN_MAX_LIST);
        b->rc = ERR_TOOBIG;
        scn_node_free(n);
        scn_node_free(f->key);
        f->key = NULL;
        return;
    }
    scn_node_push(p, f->key, n);
    f->key = NULL;
}

bool scn_is_null_text(const char *s)
{
    return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static void on_scalar(struct builder *b, const yaml_event_t *e)
{
    struct scn_loc loc = mark_loc(&e->start_mark);
    const char *v = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    bool quoted = e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (!budget_bytes(b, len, loc))
        return;
    bool null = !quoted && scn_is_null_text(v);
    struct ynode *n = node_new(b, null ? YN_NULL : YN_SCALAR, loc);
    if (n == NULL)
        return;
    n->quoted = quoted;
    n->str = xstrndup(v, len);
    if (strlen(n->str) != len) {
        scn_err(b->c, n, NULL, "a value contains a NUL character");
        b->rc = b->rc ? b->rc : ERR_INVAL;
    }
    if (null) {
        free(n->str);
        n->str = NULL;
    }
    attach(b, n);
}

/* The slot of name in the anchor table (cap_anchors > 0): the anchor, or
 * the empty slot where it would go.  A table, not a list: a file may hold
 * tens of thousands of anchors and aliases, and scanning a list for each
 * alias took 28 s of CPU on a 1.2 MB file. */
static struct anchor *anchor_slot(struct builder *b, const char *name)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    size_t mask = b->cap_anchors - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
        if (b->anchors[i].name == NULL || strcmp(b->anchors[i].name, name) == 0)
            return &b->anchors[i];
}

/* Doubles the table (kept at most half full). */
static void anchors_grow(struct builder *b)
{
    struct anchor *old = b->anchors;
    size_t old_cap = b->cap_anchors;
    b->cap_anchors = old_cap ? old_cap * 2 : 16;
    b->anchors = xcalloc(b->cap_anchors, sizeof(*b->anchors));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name != NULL)
            *anchor_slot(b, old[i].name) = old[i];
    free(old);
}

/* Registers name for a deep copy of n (the copy counts against the node
 * budget like an alias would, so nested anchors cannot multiply memory).
 * A later anchor of the same name replaces the earlier one (YAML). */
static void add_anchor(struct builder *b, const char *name,
                       const struct ynode *n)
{
    struct ynode *copy = node_copy(b, n, 0);
    if (copy == NULL)
        return;
    if (2 * (b->n_anchors + 1) > b->cap_anchors)
        anchors_grow(b);
    struct anchor *a = anchor_slot(b, name);
    if (a->name == NULL) {
        a->name = xstrdup(name);
        b->n_anchors++;
    }
    scn_node_free(a->node);
    a->node = copy;
}

static void on_alias(struct builder *b, const yaml_event_t *e)
{
    const char *name = (const char *)e->data.alias.anchor;
    const struct ynode *src = NULL;
    if (b->cap_anchors > 0)
        src = anchor_slot(b, name)->node;
    struct scn_loc loc = mark_loc(&e->start_mark);
    if (src == NULL) {
        struct ynode at = { .loc = loc, .ovr = b->ovr };
        scn_err(b->c, &at, NULL, "alias '*%s' names no earlier anchor", name);
        b->rc = b->rc ? b->rc : ERR_INVAL;
        struct ynode *n = node_new(b, YN_NULL, loc);
        if (n)
            attach(b, n);
        return;
    }
    struct ynode *n = node_copy(b, src, b->depth);
    if (n)
        attach(b, n);
}

static void on_open(struct builder *b, const yaml_event_t *e,
                    enum ynode_kind kind)
{
    struct scn_loc loc = mark_loc(&e->start_mark);
    if (b->depth >= SCN_MAX_DEPTH) {
        struct ynode at = { .loc = loc, .ovr = b->ovr };
        scn_err_toobig(b->c, &at, NULL, "nesting deeper than %d levels",
                       SCN_MAX_DEPTH);
        b->rc = ERR_TOOBIG;
        return;
    }
    struct ynode *n = node_new(b, kind, loc);
    if (n == NULL)
        return;
    const yaml_char_t *anchor = kind == YN_MAP ? e->data.mapping_start.anchor
                                               : e->data.sequence_start.anchor;
    struct frame *f = &b->stack[b->depth++];
    f->node = n;
    f->key = NULL;
    f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
    f->flow = kind == YN_MAP
                  ? e->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                  : e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
}

static int paren_balance(const char *s)
{
    int d = 0;
    for (; *s; s++)
        d += (*s == '(') - (*s == ')');
    return d;
}

/* Appends ", frag" to the scalar v. */
static void join_fragment(struct ynode *v, const char *frag)
{
    size_t a = strlen(v->str), b = strlen(frag);
    v->str = xrealloc(v->str, a + b + 3);
    memcpy(v->str + a, ", ", 2);
    memcpy(v->str + a + 2, frag, b + 1);
}

/*
 * In a flow collection YAML splits "lognormal(300ms, 0.5)" at the comma:
 * a map gets the value "lognormal(300ms" and a key "0.5)" without a value,
 * a list gets two items.  The scenario format writes distributions exactly like
 * that inside { }, so the pieces of a plain scalar with an open '(' are
 * joined back until the parentheses balance.
 */
static void rejoin_flow(struct ynode *n)
{
    size_t w = 0;
    for (size_t i = 0; i < n->n; i++) {
        struct ynode *v = n->vals[i];
        if (n->kind == YN_MAP)
            n->keys[w] = n->keys[i];
        n->vals[w++] = v;
        if (v->kind != YN_SCALAR || v->quoted)
            continue;
        int bal = paren_balance(v->str);
        while (bal > 0 && i + 1 < n->n) {
            struct ynode *k = n->kind == YN_MAP ? n->keys[i + 1] : NULL;
            struct ynode *next = n->vals[i + 1];
            struct ynode *frag = k ? k : next;
            if (frag->kind != YN_SCALAR || frag->quoted ||
                (k && next->kind != YN_NULL))
                break;
            join_fragment(v, frag->str);
            bal += paren_balance(frag->str);
            scn_node_free(k);
            scn_node_free(next);
            i++;
        }
    }
    n->n = w;
}

static void check_duplicates(struct builder *b, const struct ynode *map)
{
    if (map->n < 2)
        return;
    struct keyset ks;
    keyset_init(&ks, map->n);
    for (size_t i = 0; i < map->n; i++)
        if (!is_merge_key(map->keys[i]) &&
            !keyset_add(&ks, map->keys[i]->str)) {
            scn_err(b->c, map->keys[i], NULL, "duplicate key '%s'",
                    map->keys[i]->str);
            b->rc = b->rc ? b->rc : ERR_INVAL;
        }
    free(ks.slot);
}

static void on_close(struct builder *b)
{
    struct frame *f = &b->stack[--b->depth];
    struct ynode *n = f->node;
    if (f->flow)
        rejoin_flow(n);
    if (n->kind == YN_MAP) {
        check_duplicates(b, n);
        apply_merges(b, n);
    }
    if (f->anchor) {
        add_anchor(b, f->anchor, n);
        free(f->anchor);
    }
    attach(b, n);
}

/* Scalars with anchors are registered after attach, from the parent. */
static void anchor_scalar(struct builder *b, const yaml_event_t *e)
{
    if (e->data.scalar.anchor == NULL || b->rc == ERR_TOOBIG)
        return;
    const struct ynode *n = b->t->root;
    if (b->depth > 0) {
        const struct ynode *p = b->stack[b->depth - 1].node;
        const struct frame *f = &b->stack[b->depth - 1];
        if (p->kind == YN_MAP && f->key != NULL)
            n = f->key; /* the scalar was a key */
        else if (p->n > 0)
            n = p->vals[p->n - 1];
        else
            return;
    }
    if (n)
        add_anchor(b, (const char *)e->data.scalar.anchor, n);
}

static void syntax_error(struct builder *b, const yaml_parser_t *p)
{
    struct ynode at = { .loc = mark_loc(&p->problem_mark), .ovr = b->ovr };
    if (p->error == YAML_MEMORY_ERROR) {
        scn_err_toobig(b->c, &at, NULL, "YAML parser ran out of memory");
        b->rc = ERR_TOOBIG;
        return;
    }
    if (p->context)
        scn_err(b->c, &at, NULL, "YAML syntax error: %s %s",
                p->problem ? p->problem : "invalid YAML", p->context);
    else
        scn_err(b->c, &at, NULL, "YAML syntax error: %s",
                p->problem ? p->problem : "invalid YAML");
    b->rc = ERR_PARSE;
}

/* One event; false ends the loop. */
static bool on_event(struct builder *b, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_STREAM_END_EVENT: return false;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->docs > 1) {
            struct ynode at = { .loc = mark_loc(&e->start_mark),
                                .ovr = b->ovr };
            scn_err(b->c, &at, NULL,
                    "a scenario file holds one YAML document; found a "
                    "second '---'");
            b->rc = ERR_PARSE;
            return false;
        }
        break;
    case YAML_SCALAR_EVENT:
        on_scalar(b, e);
        anchor_scalar(b, e);
        break;
    case YAML_ALIAS_EVENT: on_alias(b, e); break;
    case YAML_MAPPING_START_EVENT: on_open(b, e, YN_MAP); break;
    case YAML_SEQUENCE_START_EVENT: on_open(b, e, YN_SEQ); break;
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT: on_close(b); break;
    default: break;
    }
    return b->rc != ERR_TOOBIG && b->rc != ERR_PARSE;
}

int scn_tree_build(struct scn_ctx *c, const char *text, size_t len, int ovr,
                   struct ytree *t)
{
    struct builder b = { .c = c, .t = t, .ovr = ovr };
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return ERR_TOOBIG;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    for (;;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            syntax_error(&b, &p);
            break;
        }
        bool more = on_event(&b, &e);
        yaml_event_delete(&e);
        if (!more)
            break;
    }
    while (b.depth > 0) { /* stopped early: free what is still open */
        struct frame *f = &b.stack[--b.depth];
        scn_node_free(f->node);
        scn_node_free(f->key);
        free(f->anchor);
    }
    for (size_t i = 0; i < b.cap_anchors; i++) {
        free(b.anchors[i].name);
        scn_node_free(b.anchors[i].node);
    }
    free(b.anchors);
    yaml_parser_delete(&p);
    return b.rc;
}

int scn_tree_parse(struct scn_ctx *c, const char *text, size_t len,
                   struct ytree *t)
{
    memset(t, 0, sizeof(*t));
    return scn_tree_build(c, text, len, -1, t);
}
