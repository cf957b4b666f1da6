# spectrum.gp - latency by percentile (HdrHistogram style): x is
# 1/(1-p) on a log scale labelled 90%, 99%, 99.9%..., one curve each for
# all attempts, ok and denied.
#
#   gnuplot -e "dir='results/free-tier-exhaustion-sim'" plots/spectrum.gp
#
# Reads the HdrHistogram percentile-distribution files (ms): dir/
# latency.hgrm (all attempts) and, when present, OUTDIR/latency_ok.hgrm and
# OUTDIR/latency_denied.hgrm, which `tollgate plot` writes from
# histograms.tgh.  Writes OUTDIR/spectrum.png|svg.

load (ARG0[1:strlen(ARG0) - strlen("spectrum.gp")] . "common.gp")

set datafile separator whitespace
set datafile columnheaders
set datafile commentschars "#"
h_all = dir . "/latency.hgrm"
h_ok = outdir . "/latency_ok.hgrm"
h_den = outdir . "/latency_denied.hgrm"
# Column 2 is the percentile as a fraction; p = 1 (the max) has no finite
# 1/(1-p) and is drawn at x = total count, "one in N", where the curve of
# N samples ends (or at the previous x, if that is already further).
# Values under the histograms' 1 us resolution (0, e.g. denials without
# network delay) are drawn at 1 us so that a log axis can show them.
_lastx = 1
inv(p) = p < 1 ? (_lastx = 1.0 / (1.0 - p)) : \
    (column(3) > _lastx ? column(3) : _lastx)
pos(v) = v > 0.001 ? v : 0.001

eval term_cmd(1200, 600)
set output out_path("spectrum")
set title sprintf("%s: latency by percentile", name) font ",14"
set xlabel "percentile"
set ylabel "latency"
set logscale xy
set xrange [1:*]
set xtics ("0%%" 1, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 1e4, \
    "99.999%%" 1e5, "99.9999%%" 1e6, "99.99999%%" 1e7)
set grid xtics ytics lc rgb "#dddddd" lt 1
eval set_lat_tics
set key outside right top vertical Left reverse samplen 3 spacing 1.2

has_ok = fexists(h_ok)
has_den = fexists(h_den)
if (!fexists(h_all)) {
    exit error "no latency.hgrm in " . dir
}
# y range: whole decades around every curve.  (A loop over file names
# would split paths with spaces, so the three files are taken in turn.)
lo = 1e30
hi = 0
scan = "if (fexists(f)) { STATS_records = 0; \
    stats f using (pos($1)) nooutput; \
    if (STATS_records > 0) { lo = STATS_min < lo ? STATS_min : lo; \
    hi = STATS_max > hi ? STATS_max : hi } }"
f = h_all
eval scan
f = h_ok
eval scan
f = h_den
eval scan
if (hi > 0) { eval lat_range(lo, hi) }

curve = "'%s' using (inv($2)):(pos($1)) with lines lw %s lc rgb '%s' %s title '%s'"
cmd = "plot " . sprintf(curve, h_all, "2", c_all, "dt (8, 4)", "all attempts")
if (has_ok) { cmd = cmd . ", " . sprintf(curve, h_ok, "2.5", c_ok, "", "ok") }
if (has_den) {
    cmd = cmd . ", " . sprintf(curve, h_den, "2.5", c_denied, "", "denied (all reasons)")
}
eval cmd
