/*
 * serve_scn.c - the scenario copy serve decides with, region lookup, and
 * the spare slots injected events are committed into.
 *
 * The copy shares every array of the original except events (own array:
 * original events, then spare slots) and regions (own table: original
 * codes, then the two-letter codes the original lacks).  Indices of the
 * original are preserved, so populations, blocked regions and events of
 * the scenario mean what they meant.
 *
 * Injected events are parsed by core (scn_parse_events) against the copy,
 * so that any two-letter region code resolves to its slot here.  Nothing
 * is applied here: the model commits the parsed events into spare slots
 * and starts them under its lock.
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
        scn_event_init(e);
        e->kind = EV_MAINTENANCE; /* never started until committed */
        e->at_ns = INT64_MAX;
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
