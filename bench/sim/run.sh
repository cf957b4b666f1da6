#!/usr/bin/env bash
# bench/sim/run.sh - how fast is `tollgate sim`, and how does it compare
# with SimPy on the same queue?
#
# 1. Builds tollgate in Release (build-bench/, not the default build).
# 2. Runs the reference scenario (bench/sim/reference.yaml: 10k accounts,
#    rate + token limits, credit, a capacity queue, retries) for 1 h and
#    4 h of simulated time under /usr/bin/time -v: simulated attempts per
#    second of CPU time (user + sys: one core, whatever else the shared
#    machine runs) and of wall time, and peak RSS, which must not grow
#    with the 4x longer run (memory follows accounts, not requests).
# 3. Runs the same M/M/10 (bench/sim/mmc.yaml) in tollgate and in Debian's
#    python3-simpy (bench/sim/mmc_simpy.py), alternating, and prints the
#    median customers per CPU second of each and their ratio.
# 4. The event queue alone in the hold model (bench/sim/evq_bench.c).
# Medians of RUNS runs (default 3).  The machine is shared: quote ratios
# measured in one run, not absolute figures across runs.
#
# Usage: bench/sim/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
build=build-bench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target tollgate >/dev/null
tg=$build/tollgate

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
attempts_of() { grep -o '"attempts": *[0-9]*' "$1/summary.json" | head -1 | grep -o '[0-9]*$'; }

# run_sim DIR SCENARIO [ARGS...]: prints "attempts cpu_s wall_s rss_kb"
run_sim() {
    local dir=$out/$1 scn=$2
    shift 2
    /usr/bin/time -v "$tg" sim "$scn" -q -o "$dir" "$@" 2>"$out/time.txt" >/dev/null
    awk -v n="$(attempts_of "$dir")" -F': ' '
        /User time/ {cpu += $2} /System time/ {cpu += $2}
        /Elapsed \(wall clock\)/ {k = split($2, p, ":"); for (i = 1; i <= k; i++) wall = wall * 60 + p[i]}
        /Maximum resident set size/ {rss = $2}
        END {print n, cpu, wall, rss}' "$out/time.txt"
}

echo "== reference scenario (10k accounts, limits, credit, capacity queue, retries)"
for d in 1h 4h; do
    cpu_rates=()
    n_runs=$runs
    [[ $d == 4h ]] && n_runs=1
    for ((i = 1; i <= n_runs; i++)); do
        read -r n cpu wall rss < <(run_sim ref bench/sim/reference.yaml --duration "$d")
        awk -v d="$d" -v i="$i" -v n="$n" -v c="$cpu" -v w="$wall" -v r="$rss" 'BEGIN {
            printf "reference %-3s run %d: %10d attempts  cpu %6.2f s (%5.2f M/s)  wall %6.2f s (%5.2f M/s)  peak RSS %5.1f MB\n",
                   d, i, n, c, n / c / 1e6, w, n / w / 1e6, r / 1024 }'
        cpu_rates+=("$(awk -v n="$n" -v c="$cpu" 'BEGIN {print n / c}')")
    done
    printf '%s\n' "${cpu_rates[@]}" | median |
        awk -v d="$d" '{printf "reference %s: median %.2f M simulated requests per CPU second\n", d, $1 / 1e6}'
done

echo "== M/M/10 at 8 Erlang: tollgate vs SimPy 2.3 (python3-simpy), alternating"
tg_rates=()
py_rates=()
for ((i = 1; i <= runs; i++)); do
    read -r n cpu wall rss < <(run_sim mmc bench/sim/mmc.yaml)
    mean=$(awk '/"latency_ms"/ {l = 1} l && /"ok": \{/ {o = 1} o && /"mean"/ {gsub(/[^0-9.e+-]/, "", $2); print $2 / 1000; exit}' "$out/mmc/summary.json")
    awk -v i="$i" -v n="$n" -v c="$cpu" -v w="$wall" -v m="$mean" 'BEGIN {
        printf "tollgate run %d: %d customers  cpu %.2f s (%.0f/s)  wall %.2f s  mean_T=%.4f\n", i, n, c, n / c, w, m }'
    tg_rates+=("$(awk -v n="$n" -v c="$cpu" 'BEGIN {print n / c}')")
    line=$(/usr/bin/python3 bench/sim/mmc_simpy.py 10 8 1 20000 "$i")
    echo "simpy    run $i: $line"
    py_rates+=("$(sed 's/.*per_cpu_s=\([0-9.]*\).*/\1/' <<<"$line")")
done
t=$(printf '%s\n' "${tg_rates[@]}" | median)
p=$(printf '%s\n' "${py_rates[@]}" | median)
awk -v t="$t" -v p="$p" 'BEGIN {
    printf "M/M/10 medians per CPU second: tollgate %.0f, SimPy %.0f customers: %.1fx\n", t, p, t / p }'

echo "== event queue alone (hold model)"
cc -O2 -DNDEBUG -std=c11 -D_POSIX_C_SOURCE=200809L -I. bench/sim/evq_bench.c \
    sim/evq.c core/base/rng.c core/base/err.c -lm -o "$out/evq_bench"
"$out/evq_bench"
