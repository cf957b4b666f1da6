/*
 * serve_scn.h - serve's private view of the scenario: every two-letter
 * region code.
 *
 * The policy sizes its region bitmap by the scenario's regions at
 * policy_new.  serve therefore decides with a shallow copy of the
 * scenario whose regions table has every code "AA".."ZZ" appended, so
 * that any country in X-Client-Region can be blocked at run time.
 * Injected events (POST /tollgate/events) are parsed against this copy by
 * core's scn_parse_events and handed to the world (world_inject), whose
 * timeline owns them: neither scenario is edited.  The original stays
 * untouched (results' scenario.yaml is written from it).
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
    int code_index[SERVE_SCN_CODES]; /* region index of each code */
};

/* Builds s (caller's storage) from orig (borrowed for the names and
 * arrays the copy shares; it must outlive s). */
void serve_scn_init(struct serve_scn *s, const struct scenario *orig);

/* Frees what s owns (its region table). */
void serve_scn_fini(struct serve_scn *s);

/* Region index of code[0..len): two letters (any case) map through the
 * code table, other codes by exact search; unknown or empty: 0 ("ZZ",
 * the scenario's unknown region). */
int serve_scn_region(const struct serve_scn *s, const char *code, size_t len);

#endif
