#!/usr/bin/env bash
# bench/sim/profile.sh - where the simulator's instructions go, per
# simulated attempt (callgrind: deterministic, unaffected by the other
# processes on a shared machine, unlike CPU time).
#
# Runs `tollgate sim` on the reference scenario for DURATION of simulated
# time (default 2m) under valgrind --tool=callgrind and prints the
# instructions of the whole run divided by the attempts simulated,
# grouped by where they are spent (self cost by source file), plus the
# fixed costs (setup, results writing) separately.  The interval is pinned
# to 10 s (pass INTERVAL to change it), so that the per-interval work
# (gauges, freezing interval histograms) weighs per attempt about as much
# as in a 1 h run at its default 5 s interval.
#
# Usage: bench/sim/profile.sh [TOLLGATE] [DURATION] [INTERVAL]
#   TOLLGATE: a binary, or a build directory holding one (default
#   build-sp, a Release build with -g).
set -euo pipefail
cd "$(dirname "$0")/../.."
tg=${1:-build-sp}
[[ -d $tg ]] && tg=$tg/tollgate
dur=${2:-2m}
ivl=${3:-10s}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
    "$tg" sim bench/sim/reference.yaml -q -o "$out/res" \
    --duration "$dur" --set "interval=$ivl" 2>"$out/vg.txt" >/dev/null
n=$(grep -o '"attempts": *[0-9]*' "$out/res/summary.json" | head -1 | grep -o '[0-9]*$')
callgrind_annotate --auto=no --inclusive=yes "$out/cg.out" >"$out/incl.txt" 2>/dev/null
callgrind_annotate --auto=no --threshold=100 "$out/cg.out" >"$out/self.txt" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$out/self.txt")
incl() { # FUNCTION: inclusive instructions of the first match
    awk -v f="$1" 'index($0, ":" f " ") {gsub(",", "", $1); print $1; exit}' "$out/incl.txt"
}
echo "attempts $n, instructions $total: $(awk -v t="$total" -v n="$n" 'BEGIN {printf "%.0f", t / n}') per attempt"
for f in sim_run results_write_all summary_from_record scn_parse_file \
    sim_gauges_on_sample traffic_next policy_decide policy_complete \
    rec_attempt evq_pop evq_push capacity_service_ns capacity_service_ns_zig; do
    v=$(incl "$f")
    [[ -n $v ]] && awk -v f="$f" -v v="$v" -v n="$n" \
        'BEGIN {printf "  incl %-22s %8.1f per attempt\n", f, v / n}'
done
echo "self cost by group, per attempt:"
awk -v n="$n" '
    /^ *[0-9,]+ +\(/ && !/PROGRAM TOTALS/ {
        v = $1; gsub(",", "", v)
        w = $0
        g = "other"
        if (w ~ /libm\.so|\/math\//) g = "libm"
        else if (w ~ /stdio|libio|_itoa|printf|strchr|memset|memmove|memcpy|mempcpy|libc\.so/) g = "libc (stdio, mem*)"
        else if (w ~ /sim\/evq/) g = "sim/evq"
        else if (w ~ /sim\/sim/) g = "sim engine"
        else if (w ~ /core\/traffic|core\/rng|core\/dist|core\/zig|rng\.h/) g = "traffic+rng+dist"
        else if (w ~ /core\/policy|core\/limiter/) g = "policy+limiter"
        else if (w ~ /core\/record|core\/hist/) g = "recorder+hist"
        else if (w ~ /core\/capacity|core\/client/) g = "capacity+client"
        else if (w ~ /core\/results|core\/summary|core\/json/) g = "results writers"
        else if (w ~ /core\/scenario|yaml/) g = "scenario parse"
        s[g] += v
    }
    END { for (g in s) printf "  %8.1f  %s\n", s[g] / n, g }' "$out/self.txt" | sort -rn
