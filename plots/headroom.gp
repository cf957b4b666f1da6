# headroom.gp - what is left over time: credit remaining (dollars, all
# accounts), rate-limit headroom (requests and tokens remaining, summed
# over the limiters) and capacity use (requests in flight, queue length);
# events shaded.
#
#   gnuplot -e "dir='results/free-tier-exhaustion-sim'" plots/headroom.gp
#
# Reads the gauge columns of timeseries.csv by name (sampled at each
# interval's end).  A panel whose gauges are all zero says so instead of
# drawing a flat line.  Writes OUTDIR/headroom.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("headroom.gp")] . "common.gp")

peak = "STATS_max = 0; stats ts using (column(col)) nooutput; pk = STATS_max"
col = "credit_remaining_usd"
eval peak
pk_credit = pk
col = "rl_remaining_requests"
eval peak
pk_req = pk
col = "rl_remaining_tokens"
eval peak
pk_tok = pk
col = "in_flight"
eval peak
pk_fl = pk
col = "queue_len"
eval peak
pk_q = pk
xp(x) = xt(x)
# Counts read best as 350 / 2500 / 40M: engineering suffixes only when big.
count_fmt(pk) = pk >= 100000 ? "%.1s%c" : "%g"
# An empty panel: a grey note instead of a flat line at zero.
none(msg) = sprintf("set label 1 '%s' at graph 0.5, graph 0.3 center font ',13' tc rgb '#777777'; set yrange [0:1]; set ytics ('' 0)", msg)
empty_plot = "plot -1 notitle"
full_axes = "unset label 1; set ytics autofreq; set yrange [0:*]"

eval term_cmd(1200, 800)
set output out_path("headroom")
set multiplot title sprintf("%s: credit, rate-limit headroom and capacity", name) font ",14"
set lmargin at screen 0.09
set rmargin at screen 0.76
set key at screen 0.85, graph 1 left top vertical Left reverse samplen 2
set format x ""
unset xlabel
eval draw_events

# Panel 1: credit.
set tmargin at screen 0.93
set bmargin at screen 0.67
set ylabel "credit left (USD)"
eval sprintf("set format y '%s'", pk_credit < 20 ? "$%.2f" : "$%.0f")
set yrange [0:*]
if (pk_credit <= 0) {
    eval none("no credit limits (unlimited credit)")
    eval empty_plot
} else {
    plot ts using (xp($1)):(column("credit_remaining_usd")) with filledcurves \
        y1=0 fc rgb c_free_tier_exhausted fs solid 0.35 border \
        lc rgb c_credits_exhausted title "credit remaining"
}
eval full_axes

# Panel 2: rate-limit headroom; tokens on the right axis.
eval clear_events
ev_labels = 0
eval draw_events
set tmargin at screen 0.64
set bmargin at screen 0.38
# Only the gauges that move get a line; tokens take the right axis when
# both do.
if (pk_req <= 0 && pk_tok <= 0) {
    set ylabel "rate-limit headroom"
    eval none("no rate or token limits")
    eval empty_plot
}
if (pk_req > 0 && pk_tok <= 0) {
    set ylabel "requests left"
    eval sprintf("set format y '%s'", count_fmt(pk_req))
    plot ts using (xp($1)):(column("rl_remaining_requests")) with lines \
        lw 2 lc rgb c_rate_limit title "requests"
}
if (pk_req <= 0 && pk_tok > 0) {
    set ylabel "tokens left"
    eval sprintf("set format y '%s'", count_fmt(pk_tok))
    plot ts using (xp($1)):(column("rl_remaining_tokens")) with lines \
        lw 2 lc rgb c_token_limit title "tokens"
}
if (pk_req > 0 && pk_tok > 0) {
    set ylabel "requests left"
    eval sprintf("set format y '%s'", count_fmt(pk_req))
    set y2label "tokens left"
    set y2tics nomirror
    set y2range [0:*]
    eval sprintf("set format y2 '%s'", count_fmt(pk_tok))
    plot ts using (xp($1)):(column("rl_remaining_requests")) with lines \
            lw 2 lc rgb c_rate_limit title "requests", \
         ts using (xp($1)):(column("rl_remaining_tokens")) axes x1y2 \
            with lines lw 2 dt (6, 3) lc rgb c_token_limit \
            title "tokens (right axis)"
}

# Panel 3: capacity.
eval full_axes
unset y2label
unset y2tics
set tmargin at screen 0.35
set bmargin at screen 0.09
set ylabel "requests"
eval sprintf("set format y '%s'", count_fmt(pk_fl > pk_q ? pk_fl : pk_q))
set format x "% h"
set xlabel sprintf("time since start (%s)", tunit)
if (pk_fl <= 0 && pk_q <= 0) {
    eval none("nothing in flight")
    eval empty_plot
} else {
    plot ts using (xp($1)):(column("in_flight")) with lines lw 2 \
            lc rgb c_all title "in flight", \
         ts using (xp($1)):(column("queue_len")) with lines lw 2 \
            lc rgb c_overloaded title "queued"
}
unset multiplot
