# latency.gp - latency percentiles of each interval over time (p50, p90,
# p99, max), log scale, at both levels; events shaded.
#
#   gnuplot -e "dir='results/free-tier-exhaustion-sim'" plots/latency.gp
#
# Reads timeseries.csv by column name.  Top: attempts (p50_ms .. max_ms:
# every attempt completed in the interval, ok and denied alike, from its
# own intended send, so queueing shows).  Bottom: requests end to end
# (req_p50_ms .. req_max_ms: every request that got its final answer in
# the interval, from its first intended send, so backoff and retry-after
# waits show).  Both panels share one axis.  Intervals without samples
# are gaps.  Writes OUTDIR/latency.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("latency.gp")] . "common.gp")

# Intervals without samples are gaps; values under the histograms' 1 us
# resolution (0 ms) are drawn at 1 us so that the log axis can show them.
pos(c) = column("attempts") <= 0 ? NaN : (column(c) > 0.001 ? column(c) : 0.001)
pos_req(c) = column("req_max_ms") <= 0 ? NaN : \
    (column(c) > 0.001 ? column(c) : 0.001)

eval term_cmd(1200, 800)
set output out_path("latency")
set multiplot title sprintf("%s: latency per interval", name) font ",14"
set lmargin at screen 0.08
set rmargin at screen 0.84
set ylabel "latency"
set logscale y
eval set_lat_tics
set grid mytics lc rgb "#f0f0f0" lt 1
set key at screen 0.86, screen 0.92 left top vertical Left reverse \
    samplen 2 spacing 1.1
# One range for both panels, so that their heights compare.
STATS_records = 0
stats ts using (pos("p50_ms")) nooutput
lo = STATS_records > 0 ? STATS_min : 1
STATS_records = 0
stats ts using (pos_req("req_p50_ms")) nooutput
lo = STATS_records > 0 && STATS_min < lo ? STATS_min : lo
STATS_records = 0
stats ts using (pos("max_ms")) nooutput
hi = STATS_records > 0 ? STATS_max : 1000
STATS_records = 0
stats ts using (pos_req("req_max_ms")) nooutput
hi = STATS_records > 0 && STATS_max > hi ? STATS_max : hi
eval lat_range(lo, hi)

eval draw_events
set tmargin at screen 0.92
set bmargin at screen 0.52
set format x ""
unset xlabel
set label 3 "attempts (what the API sees): each try, from its own send" \
    at graph 0, graph 1.04 left front font ",10" tc rgb "#333333"
plot ts using (xt($1)):(pos("max_ms")) with lines lw 1 lc rgb "#bdbdbd" \
        title "max", \
     ts using (xt($1)):(pos("p99_ms")) with lines lw 2 lc rgb "#b71c1c" \
        title "p99", \
     ts using (xt($1)):(pos("p90_ms")) with lines lw 2 lc rgb "#ef6c00" \
        title "p90", \
     ts using (xt($1)):(pos("p50_ms")) with lines lw 2 lc rgb "#1565c0" \
        title "p50"

unset label
ev_labels = 0
eval draw_events
set tmargin at screen 0.46
set bmargin at screen 0.08
set format x "% h"
set xlabel sprintf("time since start (%s); requests counted when they " . \
    "got their final answer", tunit)
unset key
set label 4 "requests (what your callers see): end to end, retries and " . \
    "waits included" at graph 0, graph 1.04 left front font ",10" \
    tc rgb "#333333"
plot ts using (xt($1)):(pos_req("req_max_ms")) with lines lw 1 \
        lc rgb "#bdbdbd" notitle, \
     ts using (xt($1)):(pos_req("req_p99_ms")) with lines lw 2 \
        lc rgb "#b71c1c" notitle, \
     ts using (xt($1)):(pos_req("req_p90_ms")) with lines lw 2 \
        lc rgb "#ef6c00" notitle, \
     ts using (xt($1)):(pos_req("req_p50_ms")) with lines lw 2 \
        lc rgb "#1565c0" notitle
unset multiplot
