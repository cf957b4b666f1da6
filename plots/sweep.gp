# sweep.gp - one metric of a sweep against the first varied parameter:
# the mean over the replications as a line, its 95% confidence interval as
# a shaded band, one line per combination of the other varied parameters.
#
#   tollgate sweep SCENARIO --vary KEY=VALUES ... -o results/s
#   gnuplot -e "dir='results/s'; metric='denied(overloaded)'; unit='fraction'; xkey='policy.capacity.servers'" plots/sweep.gp
#
# Reads dir/sweep.csv by column name: x (the first axis as a number),
# series and series_label (the other axes), <metric> and <metric>_ci95;
# column 3 holds the first axis's values as written (tic labels).  unit
# (fraction, ms, per_s, count, ratio) picks the axis label; fractions are
# drawn in percent.  An x range over two decades or more is drawn on a log
# axis.  Writes OUTDIR/sweep-<file>.png|svg, file defaulting to "metric".

load (ARG0[1:strlen(ARG0) - strlen("sweep.gp")] . "common.gp")

sf = dir . "/sweep.csv"
if (!fexists(sf)) { exit error "no sweep.csv in " . dir . ": run tollgate sweep" }
if (!exists("metric")) { exit error "set metric='...' (a column of sweep.csv)" }
if (!exists("unit")) { unit = "" }
if (!exists("xkey")) { xkey = "parameter" }
if (!exists("file")) { file = "metric" }
ci = metric . "_ci95"
scale = unit eq "fraction" ? 100 : 1
ylab = metric . (unit eq "fraction" ? " (%)" : unit eq "ms" ? " (ms)" : \
                 unit eq "per_s" ? " (per second)" : "")

STATS_records = 0; STATS_max = 0
stats sf using (column("series")) nooutput
n_series = int(STATS_max) + 1
n_rows = STATS_records
array lab[n_series]
stats sf using (lab[int(column("series")) + 1] = strcol("series_label"), 0) nooutput
STATS_min = 0; STATS_max = 0
stats sf using (column("x")) nooutput
if (STATS_min > 0 && STATS_max >= 100 * STATS_min) { set logscale x }

of(s) = column("series") == s
lo(s) = of(s) ? scale * (column(metric) - column(ci)) : NaN
hi(s) = of(s) ? scale * (column(metric) + column(ci)) : NaN
mid(s) = of(s) ? scale * column(metric) : NaN
colour(s) = s == 0 ? "#1565c0" : s == 1 ? "#c62828" : s == 2 ? "#2e7d32" : \
            s == 3 ? "#ef6c00" : s == 4 ? "#6a1b9a" : "#616161"

eval term_cmd(1000, 600)
set output out_path("sweep-" . file)
set title sprintf("%s: %s vs %s", name, metric, xkey) font ",14"
set xlabel xkey
set xrange [*:*]
set ylabel ylab
set grid ytics lc rgb "#e0e0e0"
set yrange [0:*]
set offsets graph 0.02, graph 0.02, graph 0.05, 0
set key outside right top vertical Left reverse samplen 2
if (n_rows / n_series > 15) { set xtics autofreq }

plot for [s = 0:n_series - 1] sf using (of(s) ? column("x") : NaN):(lo(s)):(hi(s)) \
        with filledcurves fc rgb colour(s) fs transparent solid 0.18 noborder \
        title (s == 0 ? "95% CI" : ""), \
     for [s = 0:n_series - 1] sf using (of(s) ? column("x") : NaN):(mid(s)) \
        with linespoints lw 2 pt 7 ps 0.8 lc rgb colour(s) \
        title (n_series == 1 ? "mean" : lab[s + 1])
