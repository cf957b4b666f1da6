/*
 * plot_sweep.c - the charts of a sweep directory: one per metric column
 * of sweep.csv, drawn by plots/sweep.gp.
 *
 * The header row of sweep.csv names everything the script needs: column
 * 3 is the first varied KEY (the x axis), and after "complete" come the
 * metrics, each followed by its "_ci95" column.  A metric's unit (for the
 * axis label, and percent for fractions) is found by parsing its name as
 * sweep.h does, so the chart agrees with the table.  Chart files are
 * named sweep-<metric> with every character other than a letter, digit,
 * '-' or '_' made '_' ("denied(overloaded)" -> sweep-denied_overloaded_).
 */
#include "cli/plot.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "core/base/json.h"
#include "core/results/results.h"

#define HEADER_MAX 8192
#define VARS_MAX   16384

bool plot_is_sweep(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/sweep.csv", dir);
    return access(p, R_OK) == 0;
}

/* Reads the header row of dir/sweep.csv into buf (newline removed). */
static bool read_header(const char *dir, char *buf, size_t len)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/sweep.csv", dir);
    FILE *f = fopen(p, "r");
    if (f == NULL)
        return false;
    bool ok = fgets(buf, (int)len, f) != NULL && strchr(buf, '\n') != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

/* The scenario name of dir/sweep.json into name ("" when unreadable). */
static void scenario_name(const char *dir, char *name, size_t len)
{
    char p[4096], *text = NULL;
    size_t n = 0;
    name[0] = '\0';
    snprintf(p, sizeof(p), "%.4000s/sweep.json", dir);
    if (results_slurp(p, 64u << 20, &text, &n) != ERR_OK)
        return;
    size_t max_nodes = n / 2 + 16;
    struct json_node *nodes = xcalloc(max_nodes, sizeof(*nodes));
    struct json_doc d;
    if (json_parse(&d, text, n, nodes, max_nodes, 64u << 20, 0) == ERR_OK &&
        json_str_copy(&d, json_get(&d, 0, "scenario"), name, len, NULL) !=
            ERR_OK)
        name[0] = '\0';
    free(nodes);
    free(text);
}

static void file_name(const char *metric, char *out, size_t len)
{
    size_t n = 0;
    for (; *metric && n + 1 < len; metric++)
        out[n++] =
            isalnum((unsigned char)*metric) || *metric == '-' || *metric == '_'
                ? *metric
                : '_';
    out[n] = '\0';
}

static int draw_metric(const char *script, const char *base_vars,
                       const char *metric, const char *outdir, const char *fmt)
{
    struct sweep_metric m;
    char err[256], file[160], vars[VARS_MAX], out[4200];
    if (sweep_metric_parse(metric, &m, err, sizeof(err)) != ERR_OK)
        return EXIT_OK; /* not a metric column: nothing to draw */
    file_name(metric, file, sizeof(file));
    snprintf(vars, sizeof(vars), "%s", base_vars);
    plot_add_var(vars, sizeof(vars), "metric", metric);
    plot_add_var(vars, sizeof(vars), "unit", sweep_metric_unit(&m));
    plot_add_var(vars, sizeof(vars), "file", file);
    snprintf(out, sizeof(out), "%.4000s/sweep-%s.%s", outdir, file, fmt);
    remove(out);
    int st = plot_run_gnuplot(script, vars);
    if (st != 0 || access(out, R_OK) != 0) {
        fprintf(stderr, "tollgate plot: sweep chart of %s failed\n", metric);
        return EXIT_RUNTIME;
    }
    printf("%s\n", out);
    fflush(stdout);
    return EXIT_OK;
}

int plot_sweep(const char *scripts, const char *dir, const char *outdir,
               const char *fmt)
{
    char header[HEADER_MAX], out_buf[4096], script[4200];
    static char vars[VARS_MAX];
    if (!read_header(dir, header, sizeof(header))) {
        fprintf(stderr, "tollgate plot: cannot read %s/sweep.csv\n", dir);
        return EXIT_RUNTIME;
    }
    if (outdir == NULL) {
        snprintf(out_buf, sizeof(out_buf), "%.4000s/plots", dir);
        outdir = out_buf;
    }
    if (results_mkdir(outdir) != ERR_OK) {
        fprintf(stderr, "tollgate plot: cannot create %s: %s\n", outdir,
                strerror(errno));
        return EXIT_RUNTIME;
    }
    snprintf(script, sizeof(script), "%.4000s/sweep.gp", scripts);
    /* columns: point,dir,KEY...,x,...,complete,M,M_ci95,... */
    char *cols[256];
    size_t n = 0;
    for (char *c = strtok(header, ","); c && n < 256; c = strtok(NULL, ","))
        cols[n++] = c;
    vars[0] = '\0';
    plot_add_var(vars, sizeof(vars), "dir", dir);
    plot_add_var(vars, sizeof(vars), "outdir", outdir);
    plot_add_var(vars, sizeof(vars), "fmt", fmt);
    char name[256];
    scenario_name(dir, name, sizeof(name));
    if (name[0] != '\0')
        plot_add_var(vars, sizeof(vars), "name", name);
    plot_add_var(vars, sizeof(vars), "xkey", n > 2 ? cols[2] : "parameter");
    size_t k = 0;
    while (k < n && strcmp(cols[k], "complete") != 0)
        k++;
    int rc = EXIT_OK;
    for (k++; k < n; k += 2)
        if (draw_metric(script, vars, cols[k], outdir, fmt) != EXIT_OK)
            rc = EXIT_RUNTIME;
    return rc;
}
