# denials.gp - denials by reason over time, stacked, with offered load and
# the ok rate; events shaded.  Only reasons that occur are drawn.  Three
# panels: attempts per second (what the API sees), the share of attempts
# denied, and the share of requests finally denied (what the callers see:
# each request once, by its final outcome after every retry, counted in
# the interval in which it started, so a band lines up with the event
# that caused it).
#
#   gnuplot -e "dir='results/free-tier-exhaustion-sim'" plots/denials.gp
#
# Reads timeseries.csv by column name (counts per interval, drawn as
# requests per second) and events.csv.  Writes OUTDIR/denials.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("denials.gp")] . "common.gp")

# Reasons with at least one denial, in enum order (bottom of the stack
# first).  tollgate plot passes the list as `reasons` to save the scans.
if (!exists("reasons")) {
    reasons = ""
    do for [r in ALL_REASONS] {
        STATS_records = 0; STATS_max = 0; STATS_sum = 0
        stats ts using (column(r)) nooutput
        if (STATS_max > 0) { reasons = reasons . " " . r }
    }
}
nr = words(reasons)
rate(c) = column(c) / iv
cum(i) = (i <= 0) ? 0 : sum [_k = 1:i] column(word(reasons, _k)) / iv

share(i) = column("attempts") > 0 ? cum(i) * iv * 100.0 / column("attempts") : NaN
# The request level: final outcomes of the requests started in the
# interval (a final reason is always one of the attempt reasons above).
cum_req(i) = (i <= 0) ? 0 : sum [_k = 1:i] column("final_" . word(reasons, _k))
req_total(x) = column("final_ok") + cum_req(nr) + column("final_lost")
share_req(i) = req_total(0) > 0 ? cum_req(i) * 100.0 / req_total(0) : NaN
lost_top(x) = req_total(0) > 0 ? \
    (cum_req(nr) + column("final_lost")) * 100.0 / req_total(0) : NaN
STATS_max = 0
stats ts using (column("final_lost")) nooutput
any_lost = STATS_max > 0
# The lost layer only when there is one (an all-NaN element warns).
lost_el = any_lost ? 'ts using (xt($1)):(share_req(nr)):(lost_top(0)) ' . \
    'with filledcurves fc rgb "#9e9e9e" fs solid 0.9 noborder ' . \
    'title "lost by the load generator", ' : ''

# The key takes one column up to 20 entries, two beyond (the kitchen sink
# has all 26 reasons), and the plot narrows to make room for it.
n_key = nr + 2
key_rows = n_key <= 20 ? n_key : int(ceil(n_key / 2.0))
key_x = n_key <= 20 ? 0.82 : 0.69
width = n_key <= 20 ? 1200 : 1500

eval term_cmd(width, 900)
set output out_path("denials")
set multiplot title sprintf("%s: denials by reason", name) font ",14"
set lmargin at screen 0.08
set rmargin at screen key_x - 0.02
eval draw_events

# Top: absolute rates.  The ok line and the offered line frame the stack.
set tmargin at screen 0.93
set bmargin at screen 0.58
set ylabel "requests per second"
# A retry storm can spike far above the offered load for an interval or
# two.  The axis stops at three times the peak offered rate so that the
# rest stays readable; a clipped peak is named in a note.
STATS_max = 0
stats ts using (rate("attempts")) nooutput
peak_att = STATS_max
STATS_max = 0
stats ts using (rate("offered")) nooutput
peak_off = STATS_max
if (peak_off > 0 && peak_att > 3 * peak_off) {
    set yrange [0:3 * peak_off]
    stats ts using (rate("attempts") >= peak_att ? xt($1) : NaN) nooutput
    set label 2 sprintf("clipped: peak %.4g/s at %.4g %s", peak_att, \
        STATS_min, tunit) at graph 0, graph 1.02 left front \
        font ",9" tc rgb "#444444"
} else {
    set yrange [0:*]
}
set format x ""
unset xlabel
set key at screen key_x, screen 0.92 left top vertical Left reverse \
    samplen 2 spacing 1.0 maxrows key_rows title "denial reasons" font ",10"
if (nr == 0) {
    set label 1 "no denials" at graph 0.5, graph 0.5 center font ",16" \
        tc rgb c_ok
}
plot for [i = nr:1:-1] ts using (xt($1)):(cum(i - 1)):(cum(i)) \
        with filledcurves fc rgb reason_color(word(reasons, i)) \
        fs solid 0.9 noborder title word(reasons, i), \
     ts using (xt($1)):(rate("offered")) with lines lw 1.5 dt (6, 3) \
        lc rgb c_offered title "offered (unique)", \
     ts using (xt($1)):(rate("ok")) with lines lw 2 lc rgb c_ok title "ok"

# Middle: the same stack as a share of attempts, so the mix stays visible
# when one burst dwarfs the rest.
unset label
ev_labels = 0
eval draw_events
set tmargin at screen 0.545
set bmargin at screen 0.34
set ylabel "% of attempts\ndenied" offset 1, 0
set yrange [0:100]
set ytics 0, 25, 100
unset key
set label 3 "attempts (what the API sees): every try" at graph 0, \
    graph 1.04 left front font ",10" tc rgb "#333333"
plot for [i = nr:1:-1] ts using (xt($1)):(share(i - 1)):(share(i)) \
        with filledcurves fc rgb reason_color(word(reasons, i)) \
        fs solid 0.9 noborder notitle

# Bottom: what the callers saw.  Requests by final outcome, as a share of
# the requests that started in the interval; lost ones (run only) in grey
# on top.
set tmargin at screen 0.305
set bmargin at screen 0.08
set ylabel "% of requests\nfinally denied" offset 1, 0
set format x "% h"
set xlabel sprintf("time since start (%s); requests counted where they " . \
    "started", tunit)
unset label 3
set label 4 "requests (what your callers see): final outcome after retries" \
    at graph 0, graph 1.04 left front font ",10" tc rgb "#333333"
set key at screen key_x, screen 0.32 left top vertical Left reverse \
    samplen 2 spacing 1.0 font ",10" title ""
plot for [i = nr:1:-1] ts using (xt($1)):(share_req(i - 1)):(share_req(i)) \
        with filledcurves fc rgb reason_color(word(reasons, i)) \
        fs solid 0.9 noborder notitle, \
     @lost_el \
     NaN notitle
unset multiplot
