# common.gp - setup shared by the tollgate chart scripts (loaded by each).
#
# Variables a caller may set with -e (tollgate plot sets them all):
#   dir     results directory (required)
#   outdir  where charts go; default dir/plots (must exist)
#   fmt     png (default) or svg
#   name    scenario name for titles; default: the directory
# Defines: ts, evf (input paths), iv (interval, s), tdiv and tunit (time
# axis scale), xt(t) (interval start -> axis value at its midpoint),
# term_cmd(w, h), out_path(base), the palette (palette.gp), latency tics
# (set_lat_tics), and events drawn as shaded labelled spans (draw_events).
# Needs gnuplot >= 5.2 (arrays, exists(), value()).

if (!exists("dir")) {
    exit error "set the results directory: gnuplot -e \"dir='results/x'\" SCRIPT"
}
if (!exists("outdir")) { outdir = dir . "/plots" }
if (!exists("fmt")) { fmt = "png" }
if (!exists("name")) { name = dir }
if (fmt ne "png" && fmt ne "svg") { exit error "fmt must be png or svg" }

# The directory of the running script, so palette.gp is found from any cwd.
_p = ARG0
_i = strlen(_p)
while (_i > 0 && _p[_i:_i] ne "/") { _i = _i - 1 }
pdir = (_i > 0) ? _p[1:_i] : "./"
load pdir . "palette.gp"

fexists(f) = system("[ -r '" . f . "' ] && echo 1 || echo 0") + 0

set datafile separator comma
set datafile columnheaders
set datafile missing NaN

ts = dir . "/timeseries.csv"
evf = dir . "/events.csv"

term_cmd(w, h) = (fmt eq "svg") ? \
    sprintf("set terminal svg size %d,%d dynamic noenhanced font 'DejaVu Sans,12' background '#ffffff'", w, h) : \
    sprintf("set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,11' background '#ffffff'", w, h)
out_path(base) = outdir . "/" . base . "." . fmt

# ---- time axis ------------------------------------------------------------
# t_s is the interval start; points sit at the interval midpoint.  The unit
# is chosen so that the axis shows small round numbers.
iv = 1
t_end = 1
if (fexists(ts)) {
    STATS_records = 0; STATS_max = 0; STATS_sum = 0
    stats ts using 1 nooutput
    n_rows = STATS_records
    t_last = STATS_max
    if (n_rows >= 2) {
        STATS_records = 0; STATS_max = 0; STATS_sum = 0
        stats ts using 1 every ::1::1 nooutput
        iv = STATS_min
    }
    t_end = t_last + iv
}
if (t_end <= 900) { tdiv = 1; tunit = "s" } else { \
    if (t_end <= 3 * 3600) { tdiv = 60; tunit = "min" } else { \
        if (t_end <= 3 * 86400) { tdiv = 3600; tunit = "h" } else { \
            tdiv = 86400; tunit = "days" } } }
xt(t) = (t + iv / 2.0) / tdiv
set xrange [0:t_end / tdiv]
set xlabel sprintf("time since start (%s)", tunit)

# ---- events ---------------------------------------------------------------
# events.csv rows become rectangles (spans) or dashed lines (instants) in
# the colour of the reason they cause, labelled at the top of the panel.
# Spans and labels are objects, so they work in any panel and on any axes.
n_ev = 0
if (fexists(evf)) {
    # rows after the header (stats would warn on a header-only file)
    n_ev = int(system("grep -c . '" . evf . "'")) - 1
}
# The label is the rest of the line after the third comma, read with a
# separator that never occurs (tab): gnuplot's CSV reader splits quoted
# commas and returns stale text for an empty last field, so it is parsed
# here instead, and a CSV-quoted label loses its outer quotes.
_after(s, n) = (n <= 0 || strstrt(s, ",") == 0) ? s : \
    _after(s[strstrt(s, ",") + 1:], n - 1)
_unq(s) = (strlen(s) >= 2 && s[1:1] eq "\"") ? s[2:strlen(s) - 1] : s
csv_label(line) = _unq(_after(line, 3))
if (n_ev > 0) {
    array ev_s[n_ev]; array ev_e[n_ev]; array ev_k[n_ev]; array ev_l[n_ev]
    _j = 0
    STATS_records = 0; STATS_max = 0; STATS_sum = 0
    stats evf using (_j = _j + 1, ev_s[_j] = column("start_s"), \
        ev_e[_j] = column("end_s"), ev_k[_j] = strcol("kind"), 0) nooutput
    set datafile separator "\t"
    _j = 0
    STATS_records = 0; STATS_max = 0; STATS_sum = 0
    stats evf using (_j = _j + 1, ev_l[_j] = csv_label(strcol(1)), 0) nooutput
    set datafile separator comma
}
# A block_region row is an instant in events.csv (the block is an action),
# but the block lasts: it is drawn as a span to the first later
# unblock_region row with the same label (the same regions), or to the end
# of the run, and that unblock row is not drawn again.  Labels name the
# kind and what it hit ("ban startups 20%"); events that start within
# 1.5% of the axis of an earlier one get their label set one line over, so
# simultaneous events do not print over each other.
if (n_ev > 0) {
    array ev_skip[n_ev]; array ev_off[n_ev]
    do for [_a = 1:n_ev] { ev_skip[_a] = 0; ev_off[_a] = 0 }
    do for [_a = 1:n_ev] {
        if (ev_k[_a] eq "block_region" && ev_e[_a] <= ev_s[_a]) {
            ev_e[_a] = t_end
            _found = 0
            do for [_b = _a + 1:n_ev] {
                if (!_found && ev_k[_b] eq "unblock_region" && \
                    ev_l[_b] eq ev_l[_a]) {
                    ev_e[_a] = ev_s[_b]; ev_skip[_b] = 1; _found = 1
                }
            }
        }
    }
    do for [_a = 2:n_ev] {
        do for [_b = 1:_a - 1] {
            if (!ev_skip[_a] && !ev_skip[_b] && \
                abs(ev_s[_a] - ev_s[_b]) < 0.015 * t_end) {
                ev_off[_a] = ev_off[_a] + 1
            }
        }
    }
}
ev_text(e) = ev_k[e] . (strlen(ev_l[e]) > 0 ? " " . ev_l[e] : "")
draw_events = "do for [_e = 1:n_ev] { \
    _x0 = ev_s[_e] / tdiv; _x1 = ev_e[_e] / tdiv; \
    if (ev_skip[_e]) { \
    } else { if (_x1 > _x0) { \
        set object (100 + _e) rect from first _x0, graph 0 to first _x1, graph 1 \
            behind fc rgb event_color(ev_k[_e]) fs transparent solid 0.15 noborder \
    } else { \
        set arrow (100 + _e) from first _x0, graph 0 to first _x0, graph 1 \
            nohead dt 2 lw 1.5 lc rgb event_color(ev_k[_e]) back \
    }; \
    if (ev_labels) { \
        set label (100 + _e) ev_text(_e) at first _x0, graph 0.98 rotate by 90 right \
            offset 1 + 1.9 * ev_off[_e], 0 font ',9' tc rgb '#333333' boxed front \
    } } \
}"
ev_labels = 1
clear_events = "unset object; unset arrow; unset label"

set style textbox opaque fc rgb "#ffffff" noborder margins 1, 1

# ---- latency axis -----------------------------------------------------------
# Log scale in ms with human labels.
set_lat_tics = "set ytics ('≤1us' 0.001, '10us' 0.01, '100us' 0.1, '1ms' 1, '10ms' 10, \
    '100ms' 100, '1s' 1000, '10s' 10000, '1m' 60000, '10m' 600000, \
    '1h' 3600000); set mytics 10"
# A log range around [lo, hi] ms on 1-2-5 steps, at least one decade wide
# so that the axis always carries a labelled tic.
_dec(v) = 10 ** floor(log10(v) + 1e-9)
nice_lo(v) = v <= 0 ? 0.001 : (v >= 5 * _dec(v) ? 5 : (v >= 2 * _dec(v) ? 2 : 1)) * _dec(v)
nice_hi(v) = v <= 0 ? 1000 : (v <= _dec(v) * 1.0001 ? 1 : (v <= 2 * _dec(v) ? 2 : (v <= 5 * _dec(v) ? 5 : 10))) * _dec(v)
_lo(lo, hi) = nice_lo(lo)
_hi(lo, hi) = nice_hi(hi) >= 10 * _lo(lo, hi) ? nice_hi(hi) : 10 * _lo(lo, hi)
# (Values at the 1 us floor sit a little above the axis, not on it.)
lat_range(lo, hi) = sprintf("set yrange [%g:%g]", \
    (lo <= 0.001 ? 0.0006 : 0.999 * _lo(lo, hi)), \
    1.001 * _hi(lo, hi)) . (_hi(lo, hi) / _lo(lo, hi) <= 1001 ? "; " . lat_tics_fine : "")
# Labels at 2 and 5 of each decade, for ranges of up to three decades.
lat_tics_fine = "set ytics add ('2us' 0.002, '5us' 0.005, '20us' 0.02, \
    '50us' 0.05, '200us' 0.2, '500us' 0.5, '2ms' 2, '5ms' 5, '20ms' 20, \
    '50ms' 50, '200ms' 200, '500ms' 500, '2s' 2000, '5s' 5000, '20s' 20000, \
    '30s' 30000, '2m' 120000, '5m' 300000, '20m' 1200000, '30m' 1800000)"

# ---- look -------------------------------------------------------------------
set border 3 lc rgb "#444444"
set tics nomirror out
set grid ytics lc rgb "#dddddd" lt 1
set key noenhanced
