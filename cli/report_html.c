/*
 * report_html.c - the HTML report: one file a CI system can attach and
 * anyone can open, with nothing fetched from anywhere.
 *
 * The page is assembled from what the other commands already produce, so
 * it cannot disagree with them:
 *  - the tables are headline_write(HL_HTML), the rows `tollgate report`
 *    prints in a terminal;
 *  - the charts are `tollgate plot --format svg` (plot_draw_charts, the
 *    same gnuplot scripts), drawn into a private temporary directory and
 *    copied into the page as inline <svg>.  gnuplot gives every chart the
 *    same element ids (gpPt0, textbox, ...), which must be unique in one
 *    document, so each chart's ids and references to them get a prefix
 *    ("denials-");
 *  - warnings are summary.json's "warnings" strings, shown first; a file
 *    without the member shows none;
 *  - the scenario is scenario.yaml as the run wrote it, in a <details>.
 * Self-contained means: inline CSS only, no script, no URL the browser
 * would fetch (the SVG namespace names are identifiers, not requests).
 * Everything read from a file is escaped (headline_html_escape), except
 * the SVG, which gnuplot writes as XML with its text escaped.
 */
#include "cli/report_html.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/plot.h"
#include "core/base/err.h"
#include "core/base/json.h"
#include "core/results/headline.h"
#include "core/results/results.h"
#include "core/stats/summary.h"

#define PATH_LEN       4096
#define MAX_CHARTS     8
#define MAX_FILE_BYTES (8u * 1024 * 1024) /* a larger input is cut, noted */

static const char css[] =
    ":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg2:#f6f8fa;"
    "--warn:#9a6700;--warnbg:#fff8c5}\n"
    "body{margin:0 auto;max-width:1240px;padding:24px 32px;color:var(--fg);"
    "font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"DejaVu Sans\",sans-serif}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 "
    "10px;padding-bottom:4px;border-bottom:1px solid var(--line)}\n"
    ".meta{color:var(--muted);margin:0}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;"
    "margin:4px 0 8px}\n"
    "th,td{padding:5px 12px;border-bottom:1px solid var(--line);"
    "text-align:right;white-space:nowrap}\n"
    "th[scope=row],td.l,th.l,thead th:first-child{text-align:left}\n"
    "td.l{white-space:normal;min-width:14em}\n"
    "thead th{background:var(--bg2);font-weight:600}\n"
    "thead th.grp{text-align:center;font-weight:500;color:var(--muted);"
    "border-bottom:2px solid var(--line)}\n"
    "tbody tr:hover{background:var(--bg2)}\n"
    "code{font:13px ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
    ".notes{color:var(--muted);margin:6px 0;padding-left:20px}\n"
    ".warnings{border:1px solid var(--warn);background:var(--warnbg);"
    "border-radius:6px;padding:4px 16px;margin-top:20px}\n"
    ".warnings h2{border:0;color:var(--warn);margin:8px 0}\n"
    ".warnings li{font:13px ui-monospace,\"DejaVu Sans Mono\",monospace;"
    "overflow-wrap:anywhere}\n"
    "figure{margin:0 0 24px}figcaption{color:var(--muted);margin:4px 0}\n"
    "figure svg{display:block;width:100%;height:auto;border:1px solid "
    "var(--line);border-radius:6px}\n"
    ".missing{color:var(--warn)}\n"
    "details{border:1px solid var(--line);border-radius:6px;padding:8px "
    "12px}summary{cursor:pointer}\n"
    "pre{overflow:auto;background:var(--bg2);padding:12px;font:13px/1.4 "
    "ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
    "footer{color:var(--muted);margin-top:32px;font-size:13px}\n";

struct chart {
    char name[32];
    char path[PATH_LEN];
};

struct charts {
    struct chart c[MAX_CHARTS];
    size_t n;
};

/* What each chart shows, for its caption (docs/charts.md has more). */
static const char *caption(const char *chart)
{
    static const char *const caps[][2] = {
        { "denials", "Denials by reason over time (stacked), offered and ok "
                     "rates, events; the lower panel counts requests by final "
                     "outcome where they started" },
        { "latency", "Latency percentiles per interval (log scale), attempts "
                     "and requests end to end" },
        { "spectrum", "Latency by percentile for all, ok and denied attempts" },
        { "headroom", "Credit left, rate-limit headroom, in flight and "
                      "queued" },
        { "compare", "A against B per reason and percentile" },
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        if (strcmp(caps[i][0], chart) == 0)
            return caps[i][1];
    return "";
}

static void collect(void *ctx, const char *chart, const char *path)
{
    struct charts *cs = ctx;
    if (cs->n == MAX_CHARTS)
        return;
    struct chart *c = &cs->c[cs->n++];
    snprintf(c->name, sizeof(c->name), "%s", chart);
    snprintf(c->path, sizeof(c->path), "%s", path);
}

/*
 * Reads a whole file into a NUL-terminated heap buffer of at most
 * MAX_FILE_BYTES (*cut set when there was more).  Returns NULL when the
 * file cannot be opened or read.
 */
static char *slurp(const char *path, size_t *len, bool *cut)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size >= 0 &&
                         (uintmax_t)st.st_size < MAX_FILE_BYTES
                     ? (size_t)st.st_size
                     : MAX_FILE_BYTES;
    char *buf = xmalloc(cap + 1);
    *len = fread(buf, 1, cap, f);
    *cut = *len == cap && fgetc(f) != EOF; /* grown or too large */
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* ---- sections -------------------------------------------------------- */

static void head(FILE *out, const char *dir, const struct summary *s)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
          "charset=\"utf-8\">\n<meta name=\"viewport\" "
          "content=\"width=device-width, initial-scale=1\">\n<title>tollgate "
          "report: ",
          out);
    headline_html_escape(out, s->scenario);
    fprintf(out,
            "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
            "<h1>tollgate report: ",
            css);
    headline_html_escape(out, s->scenario);
    fputs("</h1>\n<p class=\"meta\">", out);
    headline_html_escape(out, s->mode);
    fprintf(out, " &middot; seed %llu &middot; %.1f s &middot; %s",
            (unsigned long long)s->seed, s->duration_s,
            s->complete ? "complete" : "<b>incomplete</b>");
    if (s->replications > 1)
        fprintf(out,
                " &middot; %d replications (&plusmn; 95%% confidence "
                "half-widths)",
                s->replications);
    fputs(" &middot; <code>", out);
    headline_html_escape(out, dir);
    fputs("</code></p>\n</header>\n", out);
}

/* summary.json's "warnings": strings, shown as written.  Absent: nothing. */
static void warnings(FILE *out, const char *dir)
{
    char path[PATH_LEN];
    size_t len;
    bool cut;
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_SUMMARY);
    char *text = slurp(path, &len, &cut);
    if (!text)
        return;
    size_t max_nodes = len + 1; /* every value takes at least a byte */
    struct json_node *nodes = xmalloc(max_nodes * sizeof(*nodes));
    struct json_doc d = { 0 };
    int w = -1;
    if (!cut && json_parse(&d, text, len, nodes, max_nodes, 0, 0) == ERR_OK)
        w = json_get(&d, 0, "warnings");
    if (json_type(&d, w) == JSON_ARRAY && json_len(&d, w) > 0) {
        fprintf(out,
                "<section class=\"warnings\">\n<h2>Warnings (%zu): this "
                "result differs from what was written</h2>\n<ul>\n",
                json_len(&d, w));
        char line[4096];
        for (int i = json_child(&d, w); i >= 0; i = json_next(&d, i)) {
            fputs("<li>", out);
            if (json_str_copy(&d, i, line, sizeof(line), NULL) == ERR_INVAL)
                snprintf(line, sizeof(line), "(not a string)");
            headline_html_escape(out, line);
            fputs("</li>\n", out);
        }
        fputs("</ul>\n</section>\n", out);
    }
    free(nodes);
    free(text);
}

/* Whether text[at] starts an attribute name: after white space (or, for
 * href, the ':' of xlink:href), so "grid='" is not an id. */
static bool attr_start(const char *text, size_t at, bool colon_ok)
{
    if (at == 0)
        return false;
    char c = text[at - 1];
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           (colon_ok && c == ':');
}

/* Copies text to out with every id="x", href="#x" and url(#x) (either
 * quote) given the prefix pfx, so that several charts can share a page. */
static void prefix_ids(FILE *out, const char *text, const char *pfx)
{
    static const struct {
        const char *s;
        bool attr, colon_ok;
    } marks[] = { { "id='", true, false },
                  { "id=\"", true, false },
                  { "href='#", true, true },
                  { "href=\"#", true, true },
                  { "url(#", false, false } };
    while (*text) {
        size_t best = strlen(text), mlen = 0;
        bool ours = false;
        for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
            const char *m = strstr(text, marks[k].s);
            if (m && (size_t)(m - text) < best) {
                best = (size_t)(m - text);
                mlen = strlen(marks[k].s);
                ours =
                    !marks[k].attr || attr_start(text, best, marks[k].colon_ok);
            }
        }
        fwrite(text, 1, best + mlen, out);
        text += best + mlen;
        if (mlen && ours)
            fprintf(out, "%s-", pfx);
    }
}

/* One chart: its SVG from the <svg element on (the XML prolog is not
 * HTML), or a note when the file cannot be read. */
static bool chart(FILE *out, const struct chart *c)
{
    size_t len;
    bool cut;
    char *svg = slurp(c->path, &len, &cut);
    const char *start = svg ? strstr(svg, "<svg") : NULL;
    fprintf(out,
            "<figure id=\"chart-%s\">\n<figcaption><b>%s</b>: %s"
            "</figcaption>\n",
            c->name, c->name, caption(c->name));
    bool ok = start && !cut;
    if (ok)
        prefix_ids(out, start, c->name);
    else
        fprintf(out,
                "<p class=\"missing\">This chart could not be read "
                "(%s).</p>\n",
                cut ? "larger than 8 MiB" : "not an SVG file");
    fputs("</figure>\n", out);
    free(svg);
    return ok;
}

static bool charts(FILE *out, const struct charts *cs, bool drawn)
{
    bool ok = drawn;
    fputs("<section class=\"charts\">\n<h2>Charts</h2>\n", out);
    if (!drawn)
        fputs("<p class=\"missing\">Not every chart could be drawn: "
              "<code>tollgate report</code> said why on stderr (gnuplot "
              "missing or failing).</p>\n",
              out);
    for (size_t i = 0; i < cs->n; i++)
        ok = chart(out, &cs->c[i]) && ok;
    fputs("</section>\n", out);
    return ok;
}

static void scenario(FILE *out, const char *dir)
{
    char path[PATH_LEN];
    size_t len;
    bool cut;
    snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
    char *text = slurp(path, &len, &cut);
    fputs("<section class=\"scenario\">\n<h2>Scenario</h2>\n", out);
    if (!text) {
        fputs("<p>This results directory has no scenario.yaml.</p>\n", out);
    } else {
        size_t lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        fprintf(out,
                "<details>\n<summary>scenario.yaml as the run used it, "
                "defaults filled in (%zu lines%s)</summary>\n<pre>",
                lines, cut ? ", cut at 8 MiB" : "");
        headline_html_escape(out, text);
        fputs("</pre>\n</details>\n", out);
    }
    fputs("</section>\n", out);
    free(text);
}

/* ---- temporary chart directory ---------------------------------------- */

/* Removes the files of dir (which has no subdirectories), then dir. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        char p[PATH_LEN + 256];
        for (struct dirent *e = readdir(d); e; e = readdir(d)) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%.255s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

int report_html_write(FILE *out, const char *dir, const struct summary *s,
                      unsigned sections, bool *charts_ok)
{
    char tmp[PATH_LEN];
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof(tmp), "%s/tollgate-report-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "tollgate report: cannot create %s: %s\n", tmp,
                strerror(errno));
        return ERR_IO;
    }
    struct charts cs = { .n = 0 };
    bool drawn = plot_draw_charts(dir, tmp, "svg", collect, &cs) == EXIT_OK;
    head(out, dir, s);
    warnings(out, dir);
    int e = headline_write(out, s, HL_HTML, sections);
    *charts_ok = charts(out, &cs, drawn);
    scenario(out, dir);
    fputs("<footer>Written by <code>tollgate report --html</code> from "
          "summary.json, the charts of <code>tollgate plot</code> and "
          "scenario.yaml; the results are from ",
          out);
    headline_html_escape(out, s->tool);
    fputc(' ', out);
    headline_html_escape(out, s->version);
    fputs(".</footer>\n</body>\n</html>\n", out);
    remove_tree(tmp);
    return e != ERR_OK || ferror(out) ? ERR_IO : ERR_OK;
}
