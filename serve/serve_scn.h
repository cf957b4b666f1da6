/*
 * serve_scn.h - serve's private view of the scenario: room for injected
 * events and every two-letter region code, plus the parser of injected
 * events (POST /tollgate/events).
 *
 * The policy identifies an event by its index in the scenario's events
 * array and sizes its region bitmap by the scenario's regions, both at
 * policy_new.  serve therefore decides with a shallow copy of the
 * scenario whose events array has SERVE_MAX_INJECTED spare slots after
 * the scenario's own, and whose regions table has every code "AA".."ZZ"
 * appended, so that an injected event gets a stable index and any
 * country in X-Client-Region can be blocked at run time.  The original
 * scenario stays untouched (results' scenario.yaml is written from it).
 */
#ifndef TOLLGATE_SERVE_SCN_H
#define TOLLGATE_SERVE_SCN_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/scenario.h"

#define SERVE_SCN_CODES 676 /* two-letter codes AA..ZZ */

struct serve_scn {
    struct scenario sc;              /* the copy serve decides with */
    size_t n_events_orig;            /* events of the scenario itself */
    size_t n_injected;               /* spare slots used so far */
    size_t n_spare;                  /* spare slots in total */
    int code_index[SERVE_SCN_CODES]; /* region index of each code */
};

/* Builds s (caller's storage) from orig (borrowed for the names and
 * arrays the copy shares; it must outlive s) with n_spare event slots. */
void serve_scn_init(struct serve_scn *s, const struct scenario *orig,
                    size_t n_spare);

/* Frees what s owns (its arrays and injected events' region lists). */
void serve_scn_fini(struct serve_scn *s);

/* Region index of code[0..len): two letters (any case) map through the
 * code table, other codes by exact search; unknown or empty: 0 ("ZZ",
 * the scenario's unknown region). */
int serve_scn_region(const struct serve_scn *s, const char *code, size_t len);

/*
 * Parses injected events from text (JSON, or YAML flow/block style): a
 * mapping of event kinds to their parameters, or a list of such mappings,
 * e.g. {"outage":{"for":"30s","capacity":"50%"}},
 * {"ban":{"accounts":"hobbyists","fraction":"5%"}}, {"block_region":["BR"]}.
 * Parameters are those of the scenario's events (SCENARIOS.md) without
 * at/every/random.  Writes at most max events into out (timing EVT_ONCE,
 * at_ns 0; block/unblock_region get a heap regions array, which the
 * caller passes to serve_scn_commit or frees).  On error returns ERR_PARSE
 * (not YAML/JSON) or ERR_INVAL (unknown kind, bad value, unknown name) or
 * ERR_TOOBIG (more than max) with a message in err.
 */
int serve_scn_parse_events(const struct serve_scn *s, const char *text,
                           size_t len, struct scn_event *out, size_t max,
                           size_t *n, char *err, size_t err_len) WARN_UNUSED;

/* Moves ev into the next spare slot and returns that slot (now owned by
 * s), or NULL when no spare slot is left. */
const struct scn_event *serve_scn_commit(struct serve_scn *s,
                                         const struct scn_event *ev);

#endif
