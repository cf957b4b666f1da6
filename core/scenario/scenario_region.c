/*
 * scenario_region.c - region codes: which exist, named groups, and
 * whether a block reaches anyone.
 *
 * A region is an ISO 3166-1 alpha-2 country code ("US"), optionally with
 * an ISO 3166-2 subdivision ("US-CA": the country part is checked against
 * the table, the subdivision part only by its form, since the 5,000-odd
 * subdivision codes change every year).  A code that is not in the table
 * is an error: "XX" and "QQ" are not countries, and a block of a code no
 * request can carry would silently deny nothing.  "UK" and "EL", which the
 * EU itself writes for the United Kingdom and Greece, get "did you mean
 * GB / GR".  "ZZ" (user-assigned in ISO 3166) is tollgate's "unknown
 * region" and "XK" (user-assigned, used by the EU and the IMF for Kosovo)
 * is accepted too.
 *
 * Where a list of regions is written (policy.regions.blocked, the
 * block_region and unblock_region events) a group name stands for its
 * members: EU and EEA (membership below, with its date).  A population's
 * own region must be one country, so a group there is an error.
 *
 * A block that matches no population's region (a code nobody sends from,
 * or "US" while the populations send from "US-CA") denies nothing: a
 * warning, located at the code as written.
 */
#include "core/scenario/scenario_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ISO 3166-1 alpha-2, the 249 officially assigned codes, sorted.  Source:
 * the ISO 3166 Maintenance Agency's list as published in Debian's
 * iso-codes 4.15 (/usr/share/iso-codes/json/iso_3166-1.json), which this
 * table was checked against code by code. */
static const char iso3166_alpha2[][3] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT",
    "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI",
    "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
    "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS",
    "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW",
    "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
    "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};
_Static_assert(sizeof(iso3166_alpha2) / sizeof(iso3166_alpha2[0]) == 249,
               "ISO 3166-1 has 249 officially assigned alpha-2 codes");

/* User-assigned codes tollgate accepts besides the table. */
static const char *const extra_codes[] = { "ZZ", "XK", NULL };

/* Codes people write for a country whose ISO code differs. */
static const struct {
    const char *written, *iso, *why;
} aliases[] = {
    { "UK", "GB", "the United Kingdom's ISO 3166 code is GB" },
    { "EL", "GR", "Greece's ISO 3166 code is GR (EL is the EU's)" },
};

/* Named groups, members sorted.  EU: the 27 member states since the
 * United Kingdom left on 2020-02-01; EEA: the EU plus Iceland,
 * Liechtenstein and Norway (same date).  Changes of membership change
 * these lists, so the date is part of what docs/scenario-format.md says. */
static const struct scn_region_group {
    const char *name, *what;
    const char *members[31];
} groups[] = {
    { "EU",
      "the European Union's 27 member states (since 2020-02-01)",
      { "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
        "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT",
        "NL", "PL", "PT", "RO", "SE", "SI", "SK", NULL } },
    { "EEA",
      "the European Economic Area: the EU plus IS, LI and NO (since "
      "2020-02-01)",
      { "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
        "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT",
        "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK", NULL } },
};

static int cmp_code(const void *key, const void *elem)
{
    return strncmp(key, elem, 2);
}

bool scn_region_country_ok(const char *cc)
{
    for (int i = 0; extra_codes[i]; i++)
        if (strncmp(cc, extra_codes[i], 2) == 0)
            return true;
    return bsearch(cc, iso3166_alpha2,
                   sizeof(iso3166_alpha2) / sizeof(iso3166_alpha2[0]),
                   sizeof(iso3166_alpha2[0]), cmp_code) != NULL;
}

const char *scn_region_alias(const char *code, const char **why)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(code, aliases[i].written) == 0) {
            if (why)
                *why = aliases[i].why;
            return aliases[i].iso;
        }
    return NULL;
}

/* The group named s (exact, upper case), or NULL. */
static const struct scn_region_group *group_of(const char *s)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (strcmp(s, groups[i].name) == 0)
            return &groups[i];
    return NULL;
}

bool scn_region_is_group(const char *s, const char **what)
{
    const struct scn_region_group *g = group_of(s);
    if (g && what)
        *what = g->what;
    return g != NULL;
}

/* Appends r to the list unless it is there. */
static void push_unique(struct scn_region_list *l, int r)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i] == r)
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->n++] = r;
}

void scn_region_list_add(struct scn_ctx *c, const struct ynode *v,
                         struct scn_region_list *l,
                         int (*one)(struct scn_ctx *, const struct ynode *))
{
    const struct scn_region_group *g =
        v && v->kind == YN_SCALAR ? group_of(v->str) : NULL;
    if (g == NULL) {
        int r = one(c, v);
        if (r >= 0)
            push_unique(l, r);
        return;
    }
    size_t before = l->n;
    bool found = false;
    for (int i = 0; g->members[i]; i++) {
        int r = c->names_fixed ? scn_region_index(c->sc, g->members[i])
                               : scn_region_intern(c, v, g->members[i]);
        if (r >= 0)
            push_unique(l, r);
        found = found || r >= 0;
    }
    if (c->names_fixed && !found && l->n == before)
        scn_err(c, v, NULL,
                "none of the %s countries is a region of this scenario",
                g->name);
}

/* ---- writing a list back ------------------------------------------------ */

/* The number of members of g when r[0..n) starts with all of them in
 * the group's order (what expanding the group gives), else 0. */
static size_t group_run(const struct scenario *sc,
                        const struct scn_region_group *g, const int *r,
                        size_t n)
{
    size_t m = 0;
    for (; g->members[m]; m++)
        if (m >= n || strcmp(sc->regions[r[m]], g->members[m]) != 0)
            return 0;
    return m;
}

void scn_region_list_write(FILE *f, const struct scenario *sc, const int *r,
                           size_t n)
{
    /* A group's countries, listed together in its order (as the group
     * expanded), are written as the group, the larger first (EEA contains
     * EU), so a written scenario reads like the one given and validates
     * again without a warning per country.  Everything stays in place, so
     * the region codes are interned in the same order when it is read
     * back. */
    size_t ng = sizeof(groups) / sizeof(groups[0]);
    fputc('[', f);
    for (size_t i = 0, k = 0; i < n; k++) {
        size_t run = 0, gi = ng;
        while (run == 0 && gi-- > 0)
            run = group_run(sc, &groups[gi], r + i, n - i);
        fprintf(f, "%s%s", k ? ", " : "",
                run ? groups[gi].name : sc->regions[r[i]]);
        i += run ? run : 1;
    }
    fputc(']', f);
}

/* ---- does a block reach anyone? ----------------------------------------- */

/* Whether some population sends from region r (weight > 0). */
static bool sent_from(const struct scenario *sc, int r)
{
    for (size_t p = 0; p < sc->n_pops; p++) {
        const struct scn_weights *w = &sc->pops[p].regions;
        for (size_t i = 0; i < w->n; i++) {
            double prev = i ? w->cum[i - 1] : 0.0;
            if (w->index[i] == r && w->cum[i] > prev)
                return true;
        }
    }
    return false;
}

/* A population region that is a subdivision of code ("US-CA" of "US"), or
 * NULL. */
static const char *subdivision_of(const struct scenario *sc, const char *code)
{
    size_t n = strlen(code);
    for (size_t p = 0; p < sc->n_pops; p++) {
        const struct scn_weights *w = &sc->pops[p].regions;
        for (size_t i = 0; i < w->n; i++) {
            const char *s = sc->regions[w->index[i]];
            if (strncmp(s, code, n) == 0 && s[n] == '-')
                return s;
        }
    }
    return NULL;
}

/* Warns when the region item v (a code or a group) reaches no
 * population. */
static void check_item(struct scn_ctx *c, const struct ynode *v)
{
    const struct scenario *sc = c->sc;
    if (v == NULL || v->kind != YN_SCALAR)
        return;
    const struct scn_region_group *g = group_of(v->str);
    if (g != NULL) {
        for (int i = 0; g->members[i]; i++)
            if (sent_from(sc, scn_region_index(sc, g->members[i])))
                return;
        scn_warn(c, v, NULL,
                 "no population sends from any %s country, so this denies "
                 "nothing",
                 g->name);
        return;
    }
    int r = scn_region_index(sc, v->str);
    if (r < 0 || sent_from(sc, r))
        return; /* an invalid code is an error already */
    const char *sub = subdivision_of(sc, v->str);
    if (sub != NULL)
        scn_warn(c, v, NULL,
                 "no population sends from %s itself, so this denies "
                 "nothing (a code matches exactly: %s is not blocked by %s; "
                 "name the subdivisions)",
                 v->str, sub, v->str);
    else
        scn_warn(c, v, NULL,
                 "no population sends from %s, so this denies nothing", v->str);
}

/* Each item of a list (or a single scalar) of region codes. */
static void check_list(struct scn_ctx *c, const struct ynode *l,
                       const char *key)
{
    if (l == NULL)
        return;
    size_t mark = scn_path_key(c, key);
    if (l->kind == YN_SEQ) {
        for (size_t i = 0; i < l->n; i++) {
            size_t m = scn_path_index(c, i);
            check_item(c, l->vals[i]);
            scn_path_pop(c, m);
        }
    } else {
        check_item(c, l);
    }
    scn_path_pop(c, mark);
}

void scn_check_region_reach(struct scn_ctx *c, const struct ynode *root)
{
    if (c->rc != ERR_OK)
        return; /* the list is only meaningful for a valid scenario */
    const struct ynode *pol = scn_map_get(root, "policy");
    const struct ynode *reg = pol ? scn_map_get(pol, "regions") : NULL;
    if (reg != NULL) {
        size_t m = scn_path_key(c, "policy.regions");
        check_list(c, scn_map_get(reg, "blocked"), "blocked");
        scn_path_pop(c, m);
    }
    const struct ynode *ev = scn_map_get(root, "events");
    for (size_t i = 0; ev && ev->kind == YN_SEQ && i < ev->n; i++) {
        size_t m = scn_path_key(c, "events");
        size_t m2 = scn_path_index(c, i);
        check_list(c, scn_map_get(ev->vals[i], "block_region"), "block_region");
        scn_path_pop(c, m2);
        scn_path_pop(c, m);
    }
}
