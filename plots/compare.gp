# compare.gp - two results side by side (A = before / sim, B = after /
# live): denial rate per reason, then latency percentiles, A as solid bars
# and B hatched, with A's tolerance window drawn as a whisker on B.  Rows
# outside the tolerance are marked.
#
#   tollgate compare results/a results/b      (writes results/b/compare.csv)
#   gnuplot -e "dir='results/b'" plots/compare.gp
#
# Reads dir/compare.csv by column name (kind,name,a,b,diff,rel_diff_pct,
# allowed,within; rates in percent, latency in ms).  The chart shows the
# attempt level: the "rate" rows, then the "latency" rows that follow
# them; the request-level and ratio rows after those are in the table
# (tollgate compare prints them) and the file, not in this chart.
# Writes OUTDIR/compare.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("compare.gp")] . "common.gp")

cf = dir . "/compare.csv"
if (!fexists(cf)) { exit error "no compare.csv in " . dir . ": run tollgate compare A " . dir }
set datafile commentschars "#"
if (!exists("label_a")) { label_a = "A" }
if (!exists("label_b")) { label_b = "B" }

rgb_int(c) = ("0x" . c[2:]) + 0
is_rate = 'strcol("kind") eq "rate"'
is_lat = 'strcol("kind") eq "latency"'
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_rate ? 1 : 0) nooutput
n_rate = int(STATS_sum)
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_lat ? 1 : 0) nooutput
n_lat = int(STATS_sum)
n_all = n_rate + n_lat
# "outside" marks, only when there are any (an all-NaN element warns).
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_rate && column("within") == 0 ? 1 : 0) nooutput
n_out_rate = int(STATS_sum)
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_lat && column("within") == 0 ? 1 : 0) nooutput
n_out_lat = int(STATS_sum)
out_mark = 'cf using ($0):(%s && column("within") == 0 ? @ab_max : NaN):("outside") with labels offset 0, 1 font ",10" tc rgb c_denied notitle, '
out_rate = n_out_rate > 0 ? sprintf(out_mark, "@is_rate") : ""
out_lat = n_out_lat > 0 ? sprintf(out_mark, "@is_lat") : ""
rate_label(n) = n eq "denied" ? "all denials" : n
rate_color(n) = rgb_int(n[1:6] eq "denied" ? c_denied : reason_color(n))
lat_color(n) = rgb_int(n[1:2] eq "ok" ? c_ok : c_all)

eval term_cmd(1200, 650)
set output out_path("compare")
set multiplot layout 1, 2 title sprintf("%s: %s vs %s", name, label_a, label_b) font ",14"
set style fill solid 0.85 border -1
set boxwidth 0.38
set xtics rotate by 35 right nomirror font ",10"
set grid ytics
unset xlabel
set key outside bottom center horizontal samplen 2 width 1 font ",10"

# Left: denial rates.
set title "denial rate per reason (% of attempts)" font ",12"
set ylabel "% of attempts"
set xrange [-0.6:(n_rate > 0 ? n_rate : 1) - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
if (n_rate == 0) { set label 1 "no denials on either side" at graph 0.5, graph 0.5 center }
ab_max = '(column("a") > column("b") ? column("a") : column("b"))'
plot cf using ($0 - 0.2):(@is_rate ? column("a") : NaN):(rate_color(strcol("name"))):xtic(rate_label(strcol("name"))) \
        with boxes lc rgb variable fs solid 0.85 notitle, \
     cf using ($0 + 0.2):(@is_rate ? column("b") : NaN):(rate_color(strcol("name"))) \
        with boxes lc rgb variable fs pattern 4 border notitle, \
     cf using ($0 + 0.2):(@is_rate ? column("a") : NaN):(column("a") - column("allowed")):(column("a") + column("allowed")) \
        with yerrorbars pt -1 lw 1.5 lc rgb "#000000" title "A ± allowed", \
     @out_rate \
     NaN with boxes fs solid 0.85 lc rgb "#777777" title label_a . " (solid)", \
     NaN with boxes fs pattern 4 lc rgb "#777777" title label_b . " (hatched)"

# Right: latency percentiles, log scale.
unset label 1
set title "latency percentiles" font ",12"
set ylabel "latency"
set xrange [n_rate - 0.6:n_all - 0.4]
set logscale y
eval set_lat_tics
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_lat ? (column("a") < column("b") ? column("a") : column("b")) : NaN) nooutput
lo = STATS_records > 0 ? STATS_min : 1
STATS_records = 0; STATS_max = 0; STATS_sum = 0
stats cf using (@is_lat ? @ab_max + column("allowed") : NaN) nooutput
hi = STATS_records > 0 ? STATS_max : 1000
eval lat_range(lo, hi)
set offsets 0, 0, 0, 0
if (n_lat == 0) { set label 1 "no latency samples" at graph 0.5, graph 0.5 center }
plot cf using ($0 - 0.2):(@is_lat ? column("a") : NaN):(lat_color(strcol("name"))):xtic(@is_lat ? strcol("name") : "") \
        with boxes lc rgb variable fs solid 0.85 notitle, \
     cf using ($0 + 0.2):(@is_lat ? column("b") : NaN):(lat_color(strcol("name"))) \
        with boxes lc rgb variable fs pattern 4 border notitle, \
     cf using ($0 + 0.2):(@is_lat ? column("a") : NaN):(column("a") - column("allowed")):(column("a") + column("allowed")) \
        with yerrorbars pt -1 lw 1.5 lc rgb "#000000" title "A ± allowed", \
     @out_lat \
     NaN with boxes fs solid 0.85 lc rgb c_all title "all attempts", \
     NaN with boxes fs solid 0.85 lc rgb c_ok title "ok"
unset multiplot
