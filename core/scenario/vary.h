/*
 * vary.h - the values of one swept scenario parameter (`sweep --vary`).
 *
 * Syntax of one axis, KEY=VALUES:
 *   KEY      a `--set` path (policy.capacity.servers, accounts[0].count)
 *   VALUES   comma-separated items, expanded in order; an item is
 *     a value          48, 250ms, 50/s, 5%, gold   (used as written)
 *     LO..HI:STEP      a linear range, both ends included when the steps
 *                      land on them: 32..96:16 -> 32 48 64 80 96
 *     LO..HI:xF        a geometric range, factor F > 1:
 *                      1..1000:x10 -> 1 10 100 1000
 *   In a range LO, HI and STEP are numbers that may carry one unit
 *   suffix, the same on all of them (100ms..500ms:100ms, 10/s..40/s:10/s,
 *   1%..5%:1%); the values are written back with that suffix, as
 *   integers when LO and STEP (or F) are, else with up to 10 significant
 *   digits.  So `5..20:5,40,80` is 5 10 15 20 40 80.
 * A value may not contain a comma (a YAML flow list cannot be swept).
 * The scenario parser checks each value when the point is loaded; this
 * module only expands the text.
 */
#ifndef TOLLGATE_VARY_H
#define TOLLGATE_VARY_H

#include <stddef.h>

#include "core/base/err.h"

#define VARY_MAX_VALUES 1000 /* values of one axis */
#define VARY_VALUE_LEN  64   /* bytes of one value, NUL included */
#define VARY_KEY_LEN    256  /* bytes of KEY, NUL included */

struct vary_axis {
    char key[VARY_KEY_LEN];
    char (*values)[VARY_VALUE_LEN]; /* n of them; owned */
    double *x;                      /* each value's leading number (the
                                       chart's axis), NaN when it has none */
    size_t n;
};

/*
 * Parses "KEY=VALUES" into out (caller's storage; vary_axis_fini after
 * ERR_OK).  Errors (ERR_PARSE, with a message naming the offending item
 * and what was expected in err, always NUL-terminated): no '=' or an
 * empty KEY, an empty item, a malformed range (ends or step not numbers,
 * different units, a step <= 0 or a factor <= 1, HI < LO); ERR_TOOBIG
 * when the values would be more than VARY_MAX_VALUES or one longer than
 * VARY_VALUE_LEN - 1, or KEY longer than VARY_KEY_LEN - 1.
 */
int vary_parse(const char *spec, struct vary_axis *out, char *err,
               size_t err_len) WARN_UNUSED;

/* Releases the arrays; a may be NULL or zeroed. */
void vary_axis_fini(struct vary_axis *a);

#endif
