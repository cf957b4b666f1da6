/*
 * scenario_int.h - internals shared by the scenario_*.c files (not a public
 * interface: only core/scenario/scenario*.c include it).
 *
 * Parsing happens in three stages:
 *   1. scenario_tree.c turns YAML text into a small generic tree (struct
 *      ynode) with locations, enforcing the input limits, expanding
 *      aliases and merge keys; scenario_override.c then applies --set
 *      overrides and ${env:} substitution to the tree.
 *   2. scenario.c, scenario_policy.c, scenario_accounts.c and
 *      scenario_events.c walk the tree against the schema, converting
 *      values, filling defaults, resolving names and collecting every
 *      error into the diagnostics (struct scn_ctx).
 *   3. scenario_write.c writes a struct scenario back as YAML.
 */
#ifndef TOLLGATE_SCENARIO_INT_H
#define TOLLGATE_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/scenario/scenario.h"

/* Limits on the tree beyond those of scenario.h: a reasonable scenario has
 * a few thousand nodes; these stop alias bombs and giant flows. */
#define SCN_MAX_NODES        200000
#define SCN_MAX_SCALAR_BYTES (2 * SCN_MAX_FILE_BYTES) /* summed */
#define SCN_MAX_SCALAR_LEN   65536 /* one scalar, after ${env:} */
#define SCN_PATH_MAX         512

enum ynode_kind { YN_NULL = 0, YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
    enum ynode_kind kind;
    char *str;   /* YN_SCALAR: text (NUL-terminated); NULL otherwise */
    char *raw;   /* YN_SCALAR after ${env:} substitution: the text as written
                    (str holds the value); NULL when nothing was substituted */
    bool quoted; /* scalar was quoted: never null, never a boolean */
    bool item;   /* an item of a list (set by scn_node_push; an override's
                    value takes the flag of the node it replaces) */
    struct ynode **keys; /* YN_MAP: key scalars, parallel to vals */
    struct ynode **vals; /* YN_MAP values or YN_SEQ items */
    size_t n, cap;
    struct scn_loc loc;
    int ovr; /* index of the --set override that made it; -1: the file */
};

/* The names of the event kinds as written in scenarios, in enum
 * scn_event_kind order: one list for scn_event_kind_name, the events:
 * converter and scn_parse_events. */
#define SCN_EVENT_KIND_NAMES                                                   \
    "outage", "maintenance", "upgrade", "ban", "suspend", "revoke_keys",       \
        "block_region", "unblock_region", "suspend_feature",                   \
        "revoke_permission", "billing_failure", "set_limit", "traffic"

/* The tree and its budget. */
struct ytree {
    struct ynode *root; /* NULL for an empty document */
    size_t n_nodes;
    size_t n_bytes;
};

/* The conversion context: where we are and where errors go. */
struct scn_ctx {
    struct scn_diags *d;
    struct scenario *sc;
    const struct scn_override *ovr;
    size_t n_ovr;
    char path[SCN_PATH_MAX]; /* dotted key of the current node */
    size_t path_len;
    int rc; /* ERR_OK, ERR_INVAL or ERR_TOOBIG (the worst seen) */
    bool duration_overridden; /* duration came from --set/--duration: a
                                 shortened run, so events past its end are
                                 dropped rather than reported */
    int *region_slot;  /* hash index of sc->regions: index + 1, 0 empty */
    size_t region_cap; /* slots; 0 or a power of two (scn_ctx_fini) */
    bool regions_full; /* SCN_MAX_REGIONS was reported (once) */
    bool names_fixed;  /* converting into a scenario that already exists
                          (scn_parse_events): names and region codes are
                          looked up, never added, and sc is not written */
};

/* ---- scenario_tree.c ---- */

/* Parses text into t.  Returns ERR_OK, ERR_PARSE (YAML syntax) or
 * ERR_TOOBIG, with located diagnostics in c (ERR_INVAL: parsed, but with
 * errors such as duplicate keys). */
int scn_tree_parse(struct scn_ctx *c, const char *text, size_t len,
                   struct ytree *t);
/* The builder behind scn_tree_parse; nodes get override index ovr (-1:
 * the file).  Continues the budget already in t. */
int scn_tree_build(struct scn_ctx *c, const char *text, size_t len, int ovr,
                   struct ytree *t);
void scn_tree_fini(struct ytree *t);
void scn_node_free(struct ynode *n);
/* Appends a child (key is NULL for lists); takes ownership of both. */
void scn_node_push(struct ynode *parent, struct ynode *key, struct ynode *val);
/* Plain "", "~", "null", "Null", "NULL". */
bool scn_is_null_text(const char *s);
/* Value of key in map, or NULL when absent or null (map may be NULL or
 * not a map): an empty value means the same as leaving the key out. */
const struct ynode *scn_map_get(const struct ynode *map, const char *key);

/* ---- scenario_override.c ---- */

/* Applies the overrides of c to t; ERR_INVAL when one names no path. */
int scn_tree_override(struct scn_ctx *c, struct ytree *t);
/* Replaces ${env:NAME} and ${env:NAME:-default} in every scalar value. */
int scn_tree_env(struct scn_ctx *c, struct ytree *t);

/* ---- scenario_diag.c ---- */

/* ns rounded up to whole seconds, milliseconds or microseconds (the
 * largest unit below it), for "use at least ..." suggestions. */
int64_t scn_round_up_ns(int64_t ns);
/* Records an error at node n (NULL: no location) under the current path
 * plus sub (NULL: none). */
void scn_err(struct scn_ctx *c, const struct ynode *n, const char *sub,
             const char *fmt, ...) PRINTF_LIKE(4, 5);
/* Same, and marks the result ERR_TOOBIG. */
void scn_err_toobig(struct scn_ctx *c, const struct ynode *n, const char *sub,
                    const char *fmt, ...) PRINTF_LIKE(4, 5);
/* The closest of the NULL-terminated names to s, or NULL if none is
 * close enough to suggest. */
const char *scn_suggest(const char *s, const char *const *names);
/* Path stack: push returns the mark to pop back to. */
size_t scn_path_key(struct scn_ctx *c, const char *key);
size_t scn_path_index(struct scn_ctx *c, size_t i);
void scn_path_pop(struct scn_ctx *c, size_t mark);

/* ---- scenario_conv.c: typed getters ----
 * Each looks key up in map; when absent it leaves *out alone (the caller
 * put the default there) and, with SCN_REQ, reports the missing key.  A
 * present but invalid value is reported at its location.  They return
 * true when the key was present and valid. */
enum { SCN_REQ = 1, SCN_POS = 2 /* must be > 0 */ };

/* Checks that n is a map (or null, meaning empty) and that every key is in
 * allowed (NULL-terminated); returns false when n is not a map.  A null
 * list item ("- " alone, [~]) is not an empty map but an error: every
 * list of mappings (accounts, phases, limits, events, classify rules)
 * goes through here, so none can hold an item that converts to nothing. */
bool scn_check_map(struct scn_ctx *c, const struct ynode *n,
                   const char *const *allowed);
/* names (NULL-terminated) joined by ", " into buf (truncated to fit);
 * returns buf.  For "expected one of: ..." messages. */
char *scn_join(char *buf, size_t len, const char *const *names);
/* A scalar's text, or reports "expected <what>" and returns NULL. */
const char *scn_scalar(struct scn_ctx *c, const struct ynode *n,
                       const char *what);
bool scn_get_duration(struct scn_ctx *c, const struct ynode *map,
                      const char *key, int flags, int64_t *out);
bool scn_get_count(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t max, int64_t *out);
bool scn_get_money(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t *out);
bool scn_get_price(struct scn_ctx *c, const struct ynode *map, const char *key,
                   int flags, int64_t *out);
bool scn_get_fraction(struct scn_ctx *c, const struct ynode *map,
                      const char *key, int flags, double *out);
bool scn_get_number(struct scn_ctx *c, const struct ynode *map, const char *key,
                    int flags, double *out);
bool scn_get_bool(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, bool *out);
/* A distribution; zipf only when allow_zipf. */
bool scn_get_dist(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, bool is_duration, struct dist *out);
/* One of names (NULL-terminated); *out is its index. */
bool scn_get_enum(struct scn_ctx *c, const struct ynode *map, const char *key,
                  int flags, const char *const *names, int *out);
/* A string of at most max_len bytes, xstrdup'ed into *out (freeing the
 * old value).  When the text came from ${env:}, the text as written is
 * noted for scn_write (scn_note_env). */
bool scn_get_string(struct scn_ctx *c, const struct ynode *map, const char *key,
                    int flags, size_t max_len, char **out);
/* Checks a name (tier, model, population, limit, scenario): characters
 * [A-Za-z0-9_.-], not starting with '.' or '-', shorter than SCN_MAX_NAME
 * (else ERR_TOOBIG).  Copies it into out on success. */
bool scn_check_name(struct scn_ctx *c, const struct ynode *n, const char *s,
                    char out[SCN_MAX_NAME]);
/* A region code ("US", "US-CA"); interned into sc->regions; returns the
 * index or -1 after reporting. */
int scn_region(struct scn_ctx *c, const struct ynode *n);
/* Adds code to sc->regions if new; returns its index, or -1 (reported at
 * n) when that would pass SCN_MAX_REGIONS.  Found through a hash index
 * kept in c (scn_ctx_fini frees it). */
int scn_region_intern(struct scn_ctx *c, const struct ynode *n,
                      const char *code);
/* Frees what the context holds (the region index). */
void scn_ctx_fini(struct scn_ctx *c);
/* A categorical weights value: a map {name: weight}, a list of names
 * (equal weights) or one name.  resolve maps a name to an index or -1
 * (then reports "unknown <what>").  Normalises into w. */
typedef int scn_resolve_fn(struct scn_ctx *c, const struct ynode *n,
                           const char *name);
bool scn_get_weights(struct scn_ctx *c, const struct ynode *map,
                     const char *key, const char *what, scn_resolve_fn *resolve,
                     struct scn_weights *w);
void scn_weights_fini(struct scn_weights *w);
/* Notes that the string at *field (in c->sc) came from n: when n's text
 * had ${env:} references, scn_write writes n->raw for it instead of the
 * value.  field must stay where it is for the life of the scenario. */
void scn_note_env(struct scn_ctx *c, const struct ynode *n, char *const *field);

/* ---- the section converters ---- */
void scn_conv_policy(struct scn_ctx *c, const struct ynode *n);
void scn_conv_accounts(struct scn_ctx *c, const struct ynode *n);
void scn_conv_events(struct scn_ctx *c, const struct ynode *n);
void scn_conv_live(struct scn_ctx *c, const struct ynode *n);
void scn_conv_expect(struct scn_ctx *c, const struct ynode *n);
/* Fills sc->live with its defaults (also when there is no live:). */
void scn_live_defaults(struct scn_live *l);

#endif
