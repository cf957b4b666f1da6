/*
 * scenario_label.c - the short human label of a scenario event.
 *
 * One label per event occurrence is written to events.csv by every mode
 * (sim's timeline, serve's timeline and its /tollgate/state document), so
 * the text is made here once: "capacity 50%", "hobbyists 5%", "BR CN",
 * "mini", "hobbyists mini", "free.rpm=1", "x2 all", with " random" appended for
 * stochastic events.  Names are cut to fixed widths so that both names of
 * a two-name label stay visible in a 96-byte row; the golden events.csv
 * files pin the exact text.
 *
 * Indices out of range (an event of another scenario) print as "?" or
 * "all" rather than reading past an array; nothing here allocates.
 */
#include "core/scenario/scenario.h"

#include <stdio.h>
#include <string.h>

static const char *pop_name(const struct scenario *sc, int pop)
{
    return pop >= 0 && (size_t)pop < sc->n_pops ? sc->pops[pop].name : "all";
}

static const char *model_name(const struct scenario *sc, int model)
{
    return model >= 0 && (size_t)model < sc->policy.n_models
               ? sc->policy.models[model].name
               : "all";
}

static void label_regions(const struct scenario *sc, const struct scn_event *ev,
                          char *buf, size_t len)
{
    size_t pos = 0;
    for (size_t i = 0; i < ev->n_regions && pos + 1 < len; i++) {
        int r = ev->regions[i];
        const char *code =
            r >= 0 && (size_t)r < sc->n_regions ? sc->regions[r] : "?";
        int n = snprintf(buf + pos, len - pos, "%s%s", i ? " " : "", code);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
}

static void label_limit(const struct scenario *sc, const struct scn_event *ev,
                        char *buf, size_t len)
{
    const char *tier = "?", *lim = "?";
    if (ev->tier >= 0 && (size_t)ev->tier < sc->policy.n_tiers) {
        const struct scn_tier *t = &sc->policy.tiers[ev->tier];
        tier = t->name;
        if (ev->limit >= 0 && (size_t)ev->limit < t->n_limits)
            lim = t->limits[ev->limit].name;
    }
    snprintf(buf, len, "%.40s.%.20s=%lld", tier, lim, (long long)ev->amount);
}

char *scn_event_label(const struct scenario *sc, const struct scn_event *ev,
                      char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    switch (ev->kind) {
    case EV_OUTAGE:
    case EV_UPGRADE:
        if (ev->capacity > 0)
            snprintf(buf, len, "capacity %g%%", 100.0 * ev->capacity);
        break;
    case EV_BAN:
    case EV_SUSPEND:
    case EV_REVOKE_KEYS:
    case EV_BILLING_FAILURE:
        snprintf(buf, len, "%s %g%%", pop_name(sc, ev->population),
                 100.0 * ev->fraction);
        break;
    case EV_BLOCK_REGION:
    case EV_UNBLOCK_REGION: label_regions(sc, ev, buf, len); break;
    case EV_SUSPEND_FEATURE:
        snprintf(buf, len, "%s", model_name(sc, ev->model));
        break;
    case EV_REVOKE_PERMISSION:
        snprintf(buf, len, "%.45s %.45s", pop_name(sc, ev->population),
                 model_name(sc, ev->model));
        break;
    case EV_SET_LIMIT: label_limit(sc, ev, buf, len); break;
    case EV_TRAFFIC:
        snprintf(buf, len, "x%g %.60s", ev->factor,
                 pop_name(sc, ev->population));
        break;
    case EV_MAINTENANCE:
    case EV_KIND_COUNT: break;
    }
    if (ev->timing == EVT_RANDOM) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "%srandom", n ? " " : "");
    }
    return buf;
}
