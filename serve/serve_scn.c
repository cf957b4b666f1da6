/*
 * serve_scn.c - the scenario copy serve decides with, and region lookup.
 *
 * The copy shares every array of the original except regions (own
 * table: original codes, then the two-letter codes the original lacks).
 * Indices of the original are preserved, so populations, blocked regions
 * and events of the scenario mean what they meant.
 *
 * Injected events are parsed by core (scn_parse_events) against the copy,
 * so that any two-letter region code resolves to its slot here.  Nothing
 * is applied here: the model hands them to its world (world_inject).
 */
#include "serve/serve_scn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void serve_scn_init(struct serve_scn *s, const struct scenario *orig)
{
    memset(s, 0, sizeof(*s));
    s->sc = *orig;
    init_regions(s, orig);
}

void serve_scn_fini(struct serve_scn *s)
{
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
