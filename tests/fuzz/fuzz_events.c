/*
 * fuzz_events.c - the body of serve's POST /tollgate/events.
 *
 * serve hands the body to scn_parse_events() against its private copy of
 * the scenario (serve/serve_scn.h: spare event slots, every two-letter
 * region code) and commits what it returns into that copy.  This target
 * does the same with the base scenario (fuzz_scn.h) and a batch of 64
 * events, as serve_model_inject does.  Properties: a failure returns no
 * events and says why; a success returns events whose names
 * all resolved to indices inside the scenario, and every event can be
 * labelled and committed.
 */
#include "fuzz_scn.h"

#include "serve/serve.h"
#include "serve/serve_scn.h"

#define BATCH 64

static struct scenario *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    size_t len;
    const char *text = fuzz_base_text(&len);
    struct scn_diags d;
    scn_diags_init(&d, FUZZ_BASE_SCENARIO);
    if (scn_parse_buffer(FUZZ_BASE_SCENARIO, text, len, NULL, 0, &base, &d) !=
        ERR_OK) {
        scn_diags_print(&d, stderr);
        abort();
    }
    scn_diags_fini(&d);
    return 0;
}

static void check_event(const struct scenario *sc, const struct scn_event *e)
{
    if (e->population < -1 || e->population >= (int)sc->n_pops)
        fuzz_fail("population index %d of %zu", e->population, sc->n_pops);
    if (e->model < -1 || e->model >= (int)sc->policy.n_models)
        fuzz_fail("model index %d of %zu", e->model, sc->policy.n_models);
    if (e->kind == EV_SET_LIMIT &&
        (e->tier < 0 || e->tier >= (int)sc->policy.n_tiers || e->limit < 0 ||
         (size_t)e->limit >= sc->policy.tiers[e->tier].n_limits))
        fuzz_fail("set_limit tier %d limit %d out of range", e->tier, e->limit);
    for (size_t i = 0; i < e->n_regions; i++)
        if (e->regions[i] < 0 || (size_t)e->regions[i] >= sc->n_regions)
            fuzz_fail("region index %d of %zu", e->regions[i], sc->n_regions);
    if (e->timing != EVT_ONCE)
        fuzz_fail("an injected event with a timing (%d)", (int)e->timing);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_exact(data, size);
    struct serve_scn s;
    serve_scn_init(&s, base);
    struct scn_event evs[BATCH];
    size_t n = 99;
    struct scn_diags d;
    scn_diags_init(&d, "body");
    int rc = scn_parse_events(&s.sc, text, size, evs, BATCH, &n, &d);
    if (rc != ERR_OK) {
        if (n != 0)
            fuzz_fail("failed (%s) but returned %zu events", err_str(rc), n);
        if (d.n == 0 && d.dropped == 0)
            fuzz_fail("failed (%s) with no diagnostic", err_str(rc));
        char msg[512];
        scn_diags_fmt(msg, sizeof(msg), &d);
    } else if (n > BATCH) {
        fuzz_fail("succeeded with %zu events", n);
    }
    for (size_t i = 0; i < n; i++) {
        check_event(&s.sc, &evs[i]);
        char label[128];
        scn_event_label(&s.sc, &evs[i], label, sizeof(label));
        free(evs[i].regions);
    }
    scn_diags_fini(&d);
    serve_scn_fini(&s);
    free(text);
    return 0;
}
