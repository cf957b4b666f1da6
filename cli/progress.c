/*
 * progress.c - one redrawn status line on a terminal.
 *
 * The line is written with a leading carriage return and padded with
 * spaces to cover the previous one; it is cut to 79 columns so that a
 * standard terminal never wraps it (a wrapped line cannot be redrawn in
 * place).  Redraws are paced by CLOCK_MONOTONIC, read only here and only
 * when enabled.  Nothing is printed when the stream is not a terminal:
 * logs and CI output stay clean.
 */
#include "cli/progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/units.h"

#define LINE_MAX_COLS 79

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(struct progress *p, FILE *out, bool quiet)
{
    *p = (struct progress){ 0 };
    p->out = out;
    p->every_s = 0.25;
    p->enabled = !quiet && out != NULL && isatty(fileno(out));
    if (p->enabled) {
        hist_init(&p->scratch);
        p->last_s = mono_s();
    }
}

void progress_fini(struct progress *p)
{
    if (p == NULL)
        return;
    progress_clear(p);
    if (p->enabled)
        hist_fini(&p->scratch);
    p->enabled = false;
}

bool progress_due(struct progress *p)
{
    if (!p->enabled)
        return false;
    return mono_s() - p->last_s >= p->every_s;
}

int64_t progress_round_ns(int64_t ns)
{
    int64_t unit = ns >= 60 * 1000000000LL ? 1000000000LL
                   : ns >= 1000000000LL    ? 10000000LL
                                           : 1000000LL;
    return (ns + unit / 2) / unit * unit;
}

/* "2012/s", "1.5k/s" style compact rate. */
static void fmt_rate(char *buf, size_t len, double per_s)
{
    if (per_s >= 1e6)
        snprintf(buf, len, "%.2fM/s", per_s / 1e6);
    else if (per_s >= 1e4)
        snprintf(buf, len, "%.1fk/s", per_s / 1e3);
    else if (per_s >= 100 || per_s == 0)
        snprintf(buf, len, "%.0f/s", per_s);
    else
        snprintf(buf, len, "%.1f/s", per_s);
}

static void fmt_latency(char *buf, size_t len, double ns)
{
    if (ns < 1e6)
        snprintf(buf, len, "%.0fus", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, len, "%.1fms", ns / 1e6);
    else
        snprintf(buf, len, "%.2fs", ns / 1e9);
}

/* Appends printf-style text to line at *pos, never past cap. */
static void append(char *line, size_t cap, size_t *pos, const char *text)
{
    size_t n = strlen(text);
    if (*pos + n >= cap)
        n = cap - 1 - *pos;
    memcpy(line + *pos, text, n);
    *pos += n;
    line[*pos] = '\0';
}

static size_t build_line(char *line, size_t cap,
                         const struct progress_sample *s)
{
    char a[32], b[32], piece[96];
    size_t pos = 0;
    line[0] = '\0';
    units_fmt_duration(a, sizeof(a), progress_round_ns(s->elapsed_ns));
    units_fmt_duration(b, sizeof(b), progress_round_ns(s->total_ns));
    double pct = s->total_ns > 0
                     ? 100.0 * (double)s->elapsed_ns / (double)s->total_ns
                     : 0;
    snprintf(piece, sizeof(piece), "[%s / %s %3.0f%%]", a, b, pct);
    append(line, cap, &pos, piece);
    fmt_rate(a, sizeof(a), s->offered_per_s);
    fmt_rate(b, sizeof(b), s->ok_per_s);
    snprintf(piece, sizeof(piece), " offered %s  ok %s", a, b);
    append(line, cap, &pos, piece);
    for (int i = 0; i < s->n_top && i < PROGRESS_TOP; i++) {
        snprintf(piece, sizeof(piece), "  %s %.1f%%", reason_id(s->top[i]),
                 100.0 * s->top_share[i]);
        append(line, cap, &pos, piece);
    }
    if (s->p99_ns >= 0) {
        fmt_latency(a, sizeof(a), s->p99_ns);
        snprintf(piece, sizeof(piece), "  p99 %s", a);
        append(line, cap, &pos, piece);
    }
    return pos;
}

/* Shows line (at most LINE_MAX_COLS) over the previous one. */
static void show(struct progress *p, const char *line, int len)
{
    int pad = p->last_len > len ? p->last_len - len : 0;
    fprintf(p->out, "\r%s%*s", line, pad, "");
    fflush(p->out);
    p->last_len = len;
    p->last_s = mono_s();
}

void progress_draw(struct progress *p, const struct progress_sample *s)
{
    if (!p->enabled)
        return;
    char line[LINE_MAX_COLS + 1];
    int len = (int)build_line(line, sizeof(line), s);
    show(p, line, len);
}

void progress_draw_text(struct progress *p, const char *text)
{
    if (!p->enabled)
        return;
    char line[LINE_MAX_COLS + 1];
    size_t pos = 0;
    line[0] = '\0';
    append(line, sizeof(line), &pos, text);
    show(p, line, (int)pos);
}

void progress_clear(struct progress *p)
{
    if (!p->enabled || p->last_len == 0)
        return;
    fprintf(p->out, "\r%*s\r", p->last_len, "");
    fflush(p->out);
    p->last_len = 0;
}

/* The n most frequent denial reasons by attempts, ties by enum order. */
static void top_reasons(const struct rec_counts *c, struct progress_sample *s)
{
    int64_t attempts = 0;
    for (int r = 0; r < REASON_COUNT; r++)
        attempts += c->outcome[r];
    s->n_top = 0;
    bool used[REASON_COUNT] = { false };
    while (s->n_top < PROGRESS_TOP && attempts > 0) {
        int best = -1;
        for (int r = 1; r < REASON_COUNT; r++)
            if (!used[r] && c->outcome[r] > 0 &&
                (best < 0 || c->outcome[r] > c->outcome[best]))
                best = r;
        if (best < 0)
            break;
        used[best] = true;
        s->top[s->n_top] = (enum reason)best;
        s->top_share[s->n_top] = (double)c->outcome[best] / (double)attempts;
        s->n_top++;
    }
}

void progress_sample_rec(struct progress *p, const struct rec *r,
                         int64_t now_ns, int64_t total_ns,
                         struct progress_sample *s)
{
    *s = (struct progress_sample){ 0 };
    s->elapsed_ns = now_ns;
    s->total_ns = total_ns;
    s->p99_ns = -1;
    const struct rec_config *cfg = rec_config(r);
    size_t i = rec_interval_of(r, now_ns);
    if (i > 0)
        i--; /* the last complete interval */
    struct rec_counts ic;
    rec_interval_counts(r, i, &ic);
    double secs = (double)cfg->interval_ns / 1e9;
    s->offered_per_s = (double)ic.offered / secs;
    s->ok_per_s = (double)ic.outcome[REASON_OK] / secs;
    if (p->enabled) {
        hist_reset(&p->scratch);
        rec_interval_lat_add(r, i, &p->scratch);
        if (hist_count(&p->scratch) > 0)
            s->p99_ns = (double)hist_percentile(&p->scratch, 99);
    }
    struct rec_counts all;
    rec_counts_get(r, -1, &all);
    top_reasons(&all, s);
}
