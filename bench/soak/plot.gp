# bench/soak/plot.gp - resident memory and open fds of serve and run over a
# soak (bench/soak/run.sh writes DIR/samples.csv and calls this).
#
#   gnuplot -e "dir='results/soak-20261207T060000Z'" bench/soak/plot.gp
#
# Optional: fmt (png or svg), out (default DIR/soak.FMT).  Top panel:
# resident memory of each process, RssAnon (heap and stacks, solid) and VmRSS
# (dashed: RssAnon plus file-backed pages); bottom panel: open file
# descriptors.  The first half
# (warm-up, left out of the slope) is shaded; samples are read by column
# name.  The look follows plots/common.gp.

if (!exists("dir")) {
    exit error "set the soak directory: gnuplot -e \"dir='results/soak-...'\" bench/soak/plot.gp"
}
if (!exists("fmt")) { fmt = "png" }
if (fmt ne "png" && fmt ne "svg") { exit error "fmt must be png or svg" }
if (!exists("out")) { out = dir . "/soak." . fmt }
f = dir . "/samples.csv"

set datafile separator comma
set datafile columnheaders

STATS_records = 0
stats f using 1 nooutput
t_end = STATS_max
if (t_end <= 900) { tdiv = 1; tunit = "s" } else { tdiv = 60; tunit = "min" }

c_serve = "#1565c0"
c_run = "#ef6c00"

if (fmt eq "svg") {
    set terminal svg size 1200,700 dynamic noenhanced font 'DejaVu Sans,12' background '#ffffff'
} else {
    set terminal pngcairo size 1200,700 noenhanced font 'DejaVu Sans,11' background '#ffffff'
}
set output out
set border 3 lc rgb "#444444"
set tics nomirror out
set grid ytics lc rgb "#dddddd" lt 1
set key noenhanced outside right top vertical Left reverse samplen 2 spacing 1.1
set xrange [0:t_end / tdiv]
# the same plot width in both panels, whatever their keys need
set lmargin at screen 0.07
set rmargin at screen 0.80
set object 1 rect from first 0, graph 0 to first t_end / 2 / tdiv, graph 1 \
    behind fc rgb "#eeeeee" fs solid 1.0 noborder
set label 1 "warm-up (not in the slope)" at first t_end / 4 / tdiv, graph 0.95 \
    center font ",9" tc rgb "#666666" front

set multiplot layout 2, 1 title "soak: serve and run over time" font ",14"
set ylabel "resident memory (MB)"
set format x ""
unset xlabel
set yrange [0:*]
plot f using ($1 / tdiv):(column("serve_rss_kb") / 1024) with lines \
        lw 1 dt 2 lc rgb c_serve title "serve VmRSS", \
     f using ($1 / tdiv):(column("serve_anon_kb") / 1024) with linespoints \
        pt 7 ps 0.4 lw 2 lc rgb c_serve title "serve RssAnon", \
     f using ($1 / tdiv):(column("run_rss_kb") / 1024) with lines \
        lw 1 dt 2 lc rgb c_run title "run VmRSS", \
     f using ($1 / tdiv):(column("run_anon_kb") / 1024) with linespoints \
        pt 7 ps 0.4 lw 2 lc rgb c_run title "run RssAnon"
unset label 1
set ylabel "open fds"
set format x "%g"
set xlabel sprintf("time since run started (%s)", tunit)
plot f using ($1 / tdiv):(column("serve_fds")) with steps lw 2 lc rgb c_serve \
        title "serve", \
     f using ($1 / tdiv):(column("run_fds")) with steps lw 2 lc rgb c_run \
        title "run"
unset multiplot
