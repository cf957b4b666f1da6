/*
 * serve_scn.h - serve's private view of the scenario: room for injected
 * events (POST /tollgate/events, parsed against this copy by core's
 * scn_parse_events) and every two-letter region code.
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

#include "core/base/err.h"
#include "core/scenario/scenario.h"

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

/* Moves ev (from scn_parse_events on s->sc) into the next spare slot and
 * returns that slot (now owned by s, regions included), or NULL when no
 * spare slot is left. */
const struct scn_event *serve_scn_commit(struct serve_scn *s,
                                         const struct scn_event *ev);

#endif
