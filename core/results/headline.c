/*
 * headline.c - the two-level summary in text, Markdown, HTML and JSON.
 *
 * Data flow: a summary is first reduced to two "level" rows (struct lvl:
 * counts, share, confidence half-width, latency, top reasons), one per
 * level, and per population to the same rows; each format then only lays
 * rows out.  So a number cannot differ between the terminal, a pull
 * request, the HTML report and a script: they read the same row.
 *
 * Shares: at the request level of the requests that ended (ok + denied +
 * lost), at the attempt level of the attempts.  Top reasons are the three
 * largest denial counts of the level, ties broken by reason order.
 */
#include "core/results/headline.h"

#include <inttypes.h>
#include <string.h>

#include "core/base/json.h"
#include "core/base/reason.h"

#define TOP_REASONS 3

/* One level of one scope (the whole run or a population). */
struct lvl {
    const char *title;         /* "requests (what your callers see)" */
    const char *key;           /* "requests" / "attempts" (JSON) */
    bool known;                /* false: results predate this level */
    int64_t total, ok, denied; /* requests that ended / attempts */
    int64_t lost;              /* requests only */
    double share, ci;          /* denied / total; ci < 0: none */
    const int64_t *by_reason;  /* [REASON_COUNT], [0] unused */
    const struct summary_lat *all, *ok_lat;
    int top[TOP_REASONS]; /* reason ids, -1 past the last */
};

static double frac(int64_t n, int64_t d)
{
    return d > 0 ? (double)n / (double)d : 0.0;
}

static void pick_top(struct lvl *l)
{
    bool used[REASON_COUNT] = { false };
    for (int k = 0; k < TOP_REASONS; k++) {
        int best = -1;
        for (int r = 1; r < REASON_COUNT; r++)
            if (!used[r] && l->by_reason[r] > 0 &&
                (best < 0 || l->by_reason[r] > l->by_reason[best]))
                best = r;
        l->top[k] = best;
        if (best >= 0)
            used[best] = true;
    }
}

static void lvl_requests(struct lvl *l, const struct summary *s,
                         const struct summary_pop *p)
{
    const struct summary_rq *q = p ? &p->rq : &s->rq;
    *l =
        (struct lvl){ .title = "requests (what your callers see)",
                      .key = "requests",
                      .known = s->has_rq,
                      .total = q->requests,
                      .ok = q->ok,
                      .denied = q->denied,
                      .lost = q->lost,
                      .share = frac(q->denied, q->requests),
                      .ci = !p && s->has_ci95 ? s->ci95.rq_denial_rate : -1,
                      .by_reason = p ? p->final_by_reason : s->final_by_outcome,
                      .all = &q->lat_all,
                      .ok_lat = &q->lat_ok };
    pick_top(l);
}

static void lvl_attempts(struct lvl *l, const struct summary *s,
                         const struct summary_pop *p)
{
    const struct summary_req *q = p ? &p->requests : &s->requests;
    *l = (struct lvl){ .title = "attempts (what the API sees)",
                       .key = "attempts",
                       .known = true,
                       .total = q->attempts,
                       .ok = q->ok,
                       .denied = q->denied,
                       .share = frac(q->denied, q->attempts),
                       .ci = !p && s->has_ci95 ? s->ci95.denial_rate : -1,
                       .by_reason =
                           p ? p->denied_by_reason : s->denied_by_reason,
                       .all = p ? &p->lat_all : &s->lat_all,
                       .ok_lat = p ? &p->lat_ok : &s->lat_ok };
    pick_top(l);
}

void headline_fmt_ms(char *buf, size_t len, double ms)
{
    if (ms >= 600e3)
        snprintf(buf, len, "%.3gm", ms / 60e3);
    else if (ms >= 1000)
        snprintf(buf, len, "%.3gs", ms / 1000);
    else if (ms >= 1)
        snprintf(buf, len, "%.3gms", ms);
    else
        snprintf(buf, len, "%.3gus", ms * 1000);
}

/* "69.66%" or "69.66% +-0.31" with a confidence half-width. */
static void fmt_share(char *buf, size_t len, double share, double ci)
{
    if (ci >= 0)
        snprintf(buf, len, "%.2f%% +-%.2f", 100 * share, 100 * ci);
    else
        snprintf(buf, len, "%.2f%%", 100 * share);
}

unsigned headline_default_sections(const struct summary *s)
{
    return HL_LEVELS | (s->n_pops > 1 ? HL_POPS : 0u);
}

/* ---- text ----------------------------------------------------------------
 */

/* How requests ended and how many attempts each took, when there is
 * anything to say: one line each between open and close (text and HTML
 * show the same words). */
static void request_notes(FILE *out, const struct summary *s,
                          const struct lvl *rq, const char *open,
                          const char *close)
{
    int64_t gave_up = s->rq.ended[REC_END_RETRIES],
            cut = s->rq.ended[REC_END_RUN_ENDED];
    if (rq->known && gave_up + cut > 0)
        fprintf(out,
                "%sended: %.2f%% by their answer, %.2f%% with retries "
                "exhausted, %.2f%% at the run's end%s",
                open, 100 * frac(s->rq.ended[REC_END_ANSWER], rq->total),
                100 * frac(gave_up, rq->total), 100 * frac(cut, rq->total),
                close);
    if (rq->known && s->tries.max > 0)
        fprintf(out,
                "%sattempts per request: mean %.2f  p99 %" PRId64
                "  max %" PRId64 "%s",
                open, s->tries.mean, s->tries.p99, s->tries.max, close);
}

static void text_level(FILE *out, const struct lvl *l, bool end_to_end)
{
    char sh[48], a[16], b[16], c[16], d[16], e[16];
    if (!l->known) {
        fprintf(out,
                "  %s: not recorded (results written before "
                "request-level records)\n",
                l->title);
        return;
    }
    fmt_share(sh, sizeof(sh), l->share, l->ci);
    fprintf(out, "  %s: %" PRId64 ", ok %" PRId64 ", denied %" PRId64 " (%s)",
            l->title, l->total, l->ok, l->denied, sh);
    if (l->lost > 0)
        fprintf(out, ", lost %" PRId64 " (%.2f%%)", l->lost,
                100 * frac(l->lost, l->total));
    fputc('\n', out);
    if (l->top[0] >= 0) {
        fputs("    top reasons:", out);
        for (int k = 0; k < TOP_REASONS && l->top[k] >= 0; k++)
            fprintf(out, "%s %s %.2f%%", k ? "," : "", reason_id(l->top[k]),
                    100 * frac(l->by_reason[l->top[k]], l->total));
        fputc('\n', out);
    }
    if (l->all->count > 0) {
        headline_fmt_ms(a, sizeof(a), l->all->p50);
        headline_fmt_ms(b, sizeof(b), l->all->p90);
        headline_fmt_ms(c, sizeof(c), l->all->p99);
        fprintf(out, "    latency%s: p50 %s  p90 %s  p99 %s",
                end_to_end ? " end to end" : "", a, b, c);
        if (l->ok_lat->count > 0) {
            headline_fmt_ms(d, sizeof(d), l->ok_lat->p50);
            headline_fmt_ms(e, sizeof(e), l->ok_lat->p99);
            fprintf(out, ";  ok: p50 %s  p99 %s", d, e);
        }
        fputc('\n', out);
    }
}

static void text_levels(FILE *out, const struct summary *s)
{
    struct lvl rq, at;
    lvl_requests(&rq, s, NULL);
    lvl_attempts(&at, s, NULL);
    text_level(out, &rq, true);
    request_notes(out, s, &rq, "    ", "\n");
    text_level(out, &at, false);
    fprintf(out,
            "  retry amplification %.2f attempts per request, goodput "
            "%.4g ok/s\n",
            s->retry_amplification, s->goodput_per_s);
}

/* One population's row: both levels and its latencies ("-" without
 * samples), shared by the text and HTML tables. */
struct pop_row {
    struct lvl rq, at;
    char p50[16], p99[16], at_p99[16]; /* requests' p50 and p99; attempts' */
};

static void pop_row(struct pop_row *r, const struct summary *s, size_t p)
{
    lvl_requests(&r->rq, s, &s->pops[p]);
    lvl_attempts(&r->at, s, &s->pops[p]);
    snprintf(r->p50, sizeof(r->p50), "-");
    snprintf(r->p99, sizeof(r->p99), "-");
    snprintf(r->at_p99, sizeof(r->at_p99), "-");
    if (r->rq.all->count > 0) {
        headline_fmt_ms(r->p50, sizeof(r->p50), r->rq.all->p50);
        headline_fmt_ms(r->p99, sizeof(r->p99), r->rq.all->p99);
    }
    if (r->at.all->count > 0)
        headline_fmt_ms(r->at_p99, sizeof(r->at_p99), r->at.all->p99);
}

/* One row of the reason table: an outcome (ok or a reason that occurred
 * at either level) or a way the load generator lost requests (requests
 * only: at = -1).  Every format lays out the same rows. */
struct reason_row {
    const char *id;
    int64_t rq, at;            /* counts; at < 0: not an attempt outcome */
    double rq_share, at_share; /* of requests / of attempts, fractions */
};

#define MAX_REASON_ROWS (REASON_COUNT + REC_LOST_COUNT)

static size_t reason_rows(const struct summary *s,
                          struct reason_row out[MAX_REASON_ROWS])
{
    size_t n = 0;
    for (int r = 0; r < REASON_COUNT; r++) {
        int64_t rq = s->final_by_outcome[r];
        int64_t at = r == REASON_OK ? s->requests.ok : s->denied_by_reason[r];
        if (rq == 0 && at == 0 && r != REASON_OK)
            continue;
        out[n++] =
            (struct reason_row){ reason_id(r), rq, at, frac(rq, s->rq.requests),
                                 frac(at, s->requests.attempts) };
    }
    for (int l = 0; l < REC_LOST_COUNT; l++)
        if (s->final_lost[l] > 0)
            out[n++] =
                (struct reason_row){ rec_lost_name(l), s->final_lost[l], -1,
                                     frac(s->final_lost[l], s->rq.requests),
                                     0 };
    return n;
}

static void text_pops(FILE *out, const struct summary *s)
{
    fprintf(out, "\n  %-20s %10s %8s %8s %8s | %10s %8s %8s\n", "population",
            "requests", "denied", "p50", "p99", "attempts", "denied", "p99");
    for (size_t p = 0; p < s->n_pops; p++) {
        struct pop_row r;
        pop_row(&r, s, p);
        fprintf(out,
                "  %-20.20s %10" PRId64 " %7.2f%% %8s %8s | %10" PRId64
                " %7.2f%% %8s\n",
                s->pops[p].name, r.rq.total, 100 * r.rq.share, r.p50, r.p99,
                r.at.total, 100 * r.at.share, r.at_p99);
    }
}

static void text_reasons(FILE *out, const struct summary *s)
{
    struct reason_row rows[MAX_REASON_ROWS];
    size_t n = reason_rows(s, rows);
    fprintf(out, "\n  %-24s %10s %8s | %10s %8s\n", "final outcome / reason",
            "requests", "share", "attempts", "share");
    for (size_t i = 0; i < n; i++) {
        const struct reason_row *r = &rows[i];
        if (r->at < 0)
            fprintf(out, "  %-24s %10" PRId64 " %7.2f%% | %10s %8s\n", r->id,
                    r->rq, 100 * r->rq_share, "-", "");
        else
            fprintf(out,
                    "  %-24s %10" PRId64 " %7.2f%% | %10" PRId64 " %7.2f%%\n",
                    r->id, r->rq, 100 * r->rq_share, r->at, 100 * r->at_share);
    }
}

/* ---- Markdown ------------------------------------------------------------
 */

/* "`rate_limit` 3.75%, `outage` 2.50%": the top reasons of l, each id
 * between open and close. */
static void top_reasons(FILE *out, const struct lvl *l, const char *open,
                        const char *close)
{
    for (int k = 0; k < TOP_REASONS && l->top[k] >= 0; k++)
        fprintf(out, "%s%s%s%s %.2f%%", k ? ", " : "", open,
                reason_id(l->top[k]), close,
                100 * frac(l->by_reason[l->top[k]], l->total));
}

static void md_level_row(FILE *out, const struct lvl *l)
{
    char sh[48], a[16], b[16], c[16];
    if (!l->known) {
        fprintf(out, "| %s | not recorded | | | | | | |\n", l->title);
        return;
    }
    fmt_share(sh, sizeof(sh), l->share, l->ci);
    headline_fmt_ms(a, sizeof(a), l->all->p50);
    headline_fmt_ms(b, sizeof(b), l->all->p90);
    headline_fmt_ms(c, sizeof(c), l->all->p99);
    fprintf(out, "| %s | %" PRId64 " | %" PRId64 " | %" PRId64 " | %s | ",
            l->title, l->total, l->ok, l->denied, sh);
    top_reasons(out, l, "`", "`");
    fprintf(out, " | %s | %s | %s |\n", a, b, c);
}

static void md_levels(FILE *out, const struct summary *s)
{
    struct lvl rq, at;
    lvl_requests(&rq, s, NULL);
    lvl_attempts(&at, s, NULL);
    fputs("| level | total | ok | denied | denied share | top reasons | p50 "
          "| p90 | p99 |\n|---|---:|---:|---:|---:|---|---:|---:|---:|\n",
          out);
    md_level_row(out, &rq);
    md_level_row(out, &at);
    fprintf(out,
            "\nRetry amplification %.2f attempts per request; goodput "
            "%.4g ok/s.",
            s->retry_amplification, s->goodput_per_s);
    if (rq.known && rq.lost > 0)
        fprintf(out, " %" PRId64 " requests were lost by the load generator.",
                rq.lost);
    fputc('\n', out);
}

static void md_pops(FILE *out, const struct summary *s)
{
    fputs("\n| population | requests | denied | p50 | p99 | attempts | "
          "denied |\n|---|---:|---:|---:|---:|---:|---:|\n",
          out);
    for (size_t p = 0; p < s->n_pops; p++) {
        struct lvl rq, at;
        lvl_requests(&rq, s, &s->pops[p]);
        lvl_attempts(&at, s, &s->pops[p]);
        char a[16], b[16];
        headline_fmt_ms(a, sizeof(a), rq.all->p50);
        headline_fmt_ms(b, sizeof(b), rq.all->p99);
        fprintf(out,
                "| %s | %" PRId64 " | %.2f%% | %s | %s | %" PRId64
                " | %.2f%% |\n",
                s->pops[p].name, rq.total, 100 * rq.share, a, b, at.total,
                100 * at.share);
    }
}

static void md_reasons(FILE *out, const struct summary *s)
{
    struct reason_row rows[MAX_REASON_ROWS];
    size_t n = reason_rows(s, rows);
    fputs("\n| final outcome / reason | requests | share | attempts | share "
          "|\n|---|---:|---:|---:|---:|\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const struct reason_row *r = &rows[i];
        if (r->at < 0)
            fprintf(out, "| `%s` | %" PRId64 " | %.2f%% | - | - |\n", r->id,
                    r->rq, 100 * r->rq_share);
        else
            fprintf(out,
                    "| `%s` | %" PRId64 " | %.2f%% | %" PRId64 " | %.2f%% |\n",
                    r->id, r->rq, 100 * r->rq_share, r->at, 100 * r->at_share);
    }
}

/* ---- HTML ----------------------------------------------------------------
 *
 * Fragments for `tollgate report --html`: one <section> per section, each
 * row on its own line.  Numbers are right-aligned by the page's CSS (td);
 * cells holding words carry class "l".  Every string that comes from a
 * file (population names) goes through headline_html_escape; reason ids
 * and titles are ours.
 */

void headline_html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

static void html_level_row(FILE *out, const struct lvl *l)
{
    char sh[48], a[16], b[16], c[16];
    fprintf(out, "<tr><th scope=\"row\">%s</th>", l->title);
    if (!l->known) {
        fputs("<td class=\"l\" colspan=\"8\">not recorded (results written "
              "before request-level records)</td></tr>\n",
              out);
        return;
    }
    fmt_share(sh, sizeof(sh), l->share, l->ci);
    headline_fmt_ms(a, sizeof(a), l->all->p50);
    headline_fmt_ms(b, sizeof(b), l->all->p90);
    headline_fmt_ms(c, sizeof(c), l->all->p99);
    fprintf(out,
            "<td>%" PRId64 "</td><td>%" PRId64 "</td><td>%" PRId64
            "</td><td><b>%s</b></td><td class=\"l\">",
            l->total, l->ok, l->denied, sh);
    top_reasons(out, l, "<code>", "</code>");
    fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", a, b, c);
}

static void html_levels(FILE *out, const struct summary *s)
{
    struct lvl rq, at;
    lvl_requests(&rq, s, NULL);
    lvl_attempts(&at, s, NULL);
    fputs("<section class=\"levels\">\n<h2>Summary at both levels</h2>\n"
          "<table>\n<thead><tr><th>level</th><th>total</th><th>ok</th>"
          "<th>denied</th><th>denied share</th><th class=\"l\">top "
          "reasons</th><th>p50</th><th>p90</th><th>p99</th></tr></thead>\n"
          "<tbody>\n",
          out);
    html_level_row(out, &rq);
    html_level_row(out, &at);
    fputs("</tbody>\n</table>\n<ul class=\"notes\">\n", out);
    fputs("<li>Requests: each logical request once, by its final outcome; "
          "latency end to end (retries, backoff and retry-after waits "
          "in).  Attempts: every try.</li>\n",
          out);
    request_notes(out, s, &rq, "<li>", "</li>\n");
    if (rq.known && rq.lost > 0)
        fprintf(out,
                "<li>%" PRId64 " requests (%.2f%%) were lost by the load "
                "generator</li>\n",
                rq.lost, 100 * frac(rq.lost, rq.total));
    fprintf(out,
            "<li>retry amplification %.2f attempts per request, goodput "
            "%.4g ok/s</li>\n</ul>\n</section>\n",
            s->retry_amplification, s->goodput_per_s);
}

static void html_pops(FILE *out, const struct summary *s)
{
    fputs("<section class=\"pops\">\n<h2>By population</h2>\n<table>\n"
          "<thead><tr><th></th><th class=\"grp\" colspan=\"4\">"
          "requests (what your callers see)</th><th class=\"grp\" "
          "colspan=\"3\">attempts (what the API sees)</th></tr>\n"
          "<tr><th>population</th><th>requests</th><th>denied</th>"
          "<th>p50</th><th>p99</th><th>attempts</th><th>denied</th>"
          "<th>p99</th></tr></thead>\n<tbody>\n",
          out);
    for (size_t p = 0; p < s->n_pops; p++) {
        struct pop_row r;
        pop_row(&r, s, p);
        fputs("<tr><th scope=\"row\">", out);
        headline_html_escape(out, s->pops[p].name);
        fprintf(out,
                "</th><td>%" PRId64 "</td><td>%.2f%%</td><td>%s</td>"
                "<td>%s</td><td>%" PRId64 "</td><td>%.2f%%</td><td>%s</td>"
                "</tr>\n",
                r.rq.total, 100 * r.rq.share, r.p50, r.p99, r.at.total,
                100 * r.at.share, r.at_p99);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

static void html_reasons(FILE *out, const struct summary *s)
{
    fputs("<section class=\"reasons\">\n<h2>By final outcome and "
          "reason</h2>\n<table>\n<thead><tr><th></th><th class=\"grp\" "
          "colspan=\"2\">requests</th><th class=\"grp\" "
          "colspan=\"2\">attempts</th></tr>\n<tr><th>final outcome / "
          "reason</th><th>requests</th><th>share</th><th>attempts</th>"
          "<th>share</th></tr></thead>\n<tbody>\n",
          out);
    struct reason_row rows[MAX_REASON_ROWS];
    size_t n = reason_rows(s, rows);
    for (size_t i = 0; i < n; i++) {
        const struct reason_row *r = &rows[i];
        if (r->at < 0)
            fprintf(out,
                    "<tr><th scope=\"row\"><code>%s</code></th><td>%" PRId64
                    "</td><td>%.2f%%</td><td>-</td><td>-</td></tr>\n",
                    r->id, r->rq, 100 * r->rq_share);
        else
            fprintf(out,
                    "<tr><th scope=\"row\"><code>%s</code></th><td>%" PRId64
                    "</td><td>%.2f%%</td><td>%" PRId64
                    "</td><td>%.2f%%</td></tr>\n",
                    r->id, r->rq, 100 * r->rq_share, r->at, 100 * r->at_share);
    }
    fputs("</tbody>\n</table>\n</section>\n", out);
}

/* ---- JSON -----------------------------------------------------------------
 */

static void js_lat(struct json_w *w, const char *key,
                   const struct summary_lat *l)
{
    json_w_key(w, key);
    json_w_obj_begin(w);
    const char *names[] = { "p50", "p90", "p99", "max" };
    const double vals[] = { l->p50, l->p90, l->p99, l->max };
    json_w_key(w, "count");
    json_w_int(w, l->count);
    for (size_t i = 0; i < 4; i++) {
        json_w_key(w, names[i]);
        json_w_num(w, vals[i]);
    }
    json_w_obj_end(w);
}

static void js_level(struct json_w *w, const struct lvl *l, bool top)
{
    json_w_key(w, l->key);
    if (!l->known) {
        json_w_null(w);
        return;
    }
    json_w_obj_begin(w);
    const char *names[] = { "total", "ok", "denied", "lost" };
    const int64_t vals[] = { l->total, l->ok, l->denied, l->lost };
    for (size_t i = 0; i < 4; i++) {
        json_w_key(w, names[i]);
        json_w_int(w, vals[i]);
    }
    json_w_key(w, "denial_rate");
    json_w_num(w, l->share);
    if (l->ci >= 0) {
        json_w_key(w, "denial_rate_ci95");
        json_w_num(w, l->ci);
    }
    if (top) {
        json_w_key(w, "top_reasons");
        json_w_arr_begin(w);
        for (int k = 0; k < TOP_REASONS && l->top[k] >= 0; k++) {
            json_w_obj_begin(w);
            json_w_key(w, "reason");
            json_w_str(w, reason_id(l->top[k]));
            json_w_key(w, "count");
            json_w_int(w, l->by_reason[l->top[k]]);
            json_w_key(w, "share");
            json_w_num(w, frac(l->by_reason[l->top[k]], l->total));
            json_w_obj_end(w);
        }
        json_w_arr_end(w);
    }
    json_w_key(w, "latency_ms");
    json_w_obj_begin(w);
    js_lat(w, "all", l->all);
    js_lat(w, "ok", l->ok_lat);
    json_w_obj_end(w);
    json_w_obj_end(w);
}

static void js_pops(struct json_w *w, const struct summary *s)
{
    json_w_key(w, "populations");
    json_w_arr_begin(w);
    for (size_t p = 0; p < s->n_pops; p++) {
        struct lvl rq, at;
        lvl_requests(&rq, s, &s->pops[p]);
        lvl_attempts(&at, s, &s->pops[p]);
        json_w_obj_begin(w);
        json_w_key(w, "name");
        json_w_str(w, s->pops[p].name);
        js_level(w, &rq, true);
        js_level(w, &at, true);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
}

static void js_reasons(struct json_w *w, const struct summary *s)
{
    struct reason_row rows[MAX_REASON_ROWS];
    size_t n = reason_rows(s, rows);
    json_w_key(w, "reasons");
    json_w_arr_begin(w);
    for (size_t i = 0; i < n; i++) {
        const struct reason_row *r = &rows[i];
        json_w_obj_begin(w);
        json_w_key(w, "reason");
        json_w_str(w, r->id);
        json_w_key(w, "requests");
        json_w_int(w, r->rq);
        json_w_key(w, "requests_share");
        json_w_num(w, r->rq_share);
        if (r->at >= 0) {
            json_w_key(w, "attempts");
            json_w_int(w, r->at);
            json_w_key(w, "attempts_share");
            json_w_num(w, r->at_share);
        }
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
}

static int js_write(FILE *out, const struct summary *s, unsigned sections)
{
    struct json_w w;
    json_w_init(&w, out, true);
    json_w_obj_begin(&w);
    json_w_key(&w, "scenario");
    json_w_str(&w, s->scenario);
    json_w_key(&w, "mode");
    json_w_str(&w, s->mode);
    json_w_key(&w, "complete");
    json_w_bool(&w, s->complete);
    json_w_key(&w, "duration_s");
    json_w_num(&w, s->duration_s);
    json_w_key(&w, "replications");
    json_w_int(&w, s->replications);
    if (sections & HL_LEVELS) {
        struct lvl rq, at;
        lvl_requests(&rq, s, NULL);
        lvl_attempts(&at, s, NULL);
        js_level(&w, &rq, true);
        js_level(&w, &at, true);
        json_w_key(&w, "retry_amplification");
        json_w_num(&w, s->retry_amplification);
        json_w_key(&w, "goodput_per_s");
        json_w_num(&w, s->goodput_per_s);
    }
    if (sections & HL_POPS)
        js_pops(&w, s);
    if (sections & HL_REASONS)
        js_reasons(&w, s);
    json_w_obj_end(&w);
    return json_w_finish(&w);
}

typedef void section_fn(FILE *out, const struct summary *s);

int headline_write(FILE *out, const struct summary *s, enum headline_format f,
                   unsigned sections)
{
    if (f == HL_JSON)
        return js_write(out, s, sections);
    static const struct {
        section_fn *levels, *pops, *reasons;
    } fmts[] = {
        [HL_TEXT] = { text_levels, text_pops, text_reasons },
        [HL_MARKDOWN] = { md_levels, md_pops, md_reasons },
        [HL_HTML] = { html_levels, html_pops, html_reasons },
    };
    if (sections & HL_LEVELS)
        fmts[f].levels(out, s);
    if (sections & HL_POPS)
        fmts[f].pops(out, s);
    if (sections & HL_REASONS)
        fmts[f].reasons(out, s);
    return ferror(out) ? ERR_IO : ERR_OK;
}
