# latency.gp - latency percentiles of each interval over time (p50, p90,
# p99, max), log scale; events shaded.
#
#   gnuplot -e "dir='results/free-tier-exhaustion-sim'" plots/latency.gp
#
# Reads timeseries.csv by column name (p50_ms p90_ms p99_ms max_ms: every
# attempt completed in the interval, ok and denied alike; latency from the
# intended send time, so queueing and retries' back-off show).  Intervals
# without attempts are gaps.  Writes OUTDIR/latency.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("latency.gp")] . "common.gp")

# Intervals without attempts are gaps; values under the histograms' 1 us
# resolution (0 ms) are drawn at 1 us so that the log axis can show them.
pos(c) = column("attempts") <= 0 ? NaN : (column(c) > 0.001 ? column(c) : 0.001)

eval term_cmd(1200, 600)
set output out_path("latency")
set title sprintf("%s: latency per interval (all attempts)", name) font ",14"
set ylabel "latency"
set logscale y
eval set_lat_tics
set grid mytics lc rgb "#f0f0f0" lt 1
set key outside right top vertical Left reverse samplen 2 spacing 1.1
eval draw_events
STATS_records = 0
stats ts using (pos("p50_ms")) nooutput
lo = STATS_records > 0 ? STATS_min : 1
STATS_records = 0
stats ts using (pos("max_ms")) nooutput
hi = STATS_records > 0 ? STATS_max : 1000
eval lat_range(lo, hi)

plot ts using (xt($1)):(pos("max_ms")) with lines lw 1 lc rgb "#bdbdbd" \
        title "max", \
     ts using (xt($1)):(pos("p99_ms")) with lines lw 2 lc rgb "#b71c1c" \
        title "p99", \
     ts using (xt($1)):(pos("p90_ms")) with lines lw 2 lc rgb "#ef6c00" \
        title "p90", \
     ts using (xt($1)):(pos("p50_ms")) with lines lw 2 lc rgb "#1565c0" \
        title "p50"
