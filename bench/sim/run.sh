#!/usr/bin/env bash
# bench/sim/run.sh - how fast is `tollgate sim`, and how does it compare
# with SimPy on the same queue?
#
# 1. Builds tollgate in Release (build-bench/, not the default build).
# 2. Runs the reference scenario (bench/sim/reference.yaml: 10k accounts,
#    rate + token limits, credit, a capacity queue) under /usr/bin/time -v
#    and reports simulated attempts per wall second and peak RSS; then the
#    same scenario with 10x the duration, to show memory does not grow
#    with the number of requests.
# 3. Runs the same M/M/c (bench/sim/mmc.yaml) in tollgate and in Debian's
#    python3-simpy (bench/sim/mmc_simpy.py) in this one run, and prints
#    customers per second of each and the ratio.
# Numbers are medians of RUNS runs (default 3); the machine is shared, so
# compare ratios measured in one run, not absolute figures across runs.
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

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# jq-free reading of summary.json: the first "attempts" number.
attempts_of() { grep -o '"attempts": *[0-9]*' "$1/summary.json" | head -1 | grep -o '[0-9]*$'; }

# run_sim NAME SCENARIO [ARGS...]: prints "attempts wall_s rss_kb"
run_sim() {
    local name=$1 scn=$2; shift 2
    local dir=$out/$name
    /usr/bin/time -v "$tg" sim "$scn" -q -o "$dir" "$@" 2>"$out/time.txt" >/dev/null
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$out/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")
    echo "$(attempts_of "$dir") $wall $rss"
}

report() { # label attempts wall rss
    awk -v l="$1" -v n="$2" -v w="$3" -v r="$4" 'BEGIN {
        printf "%-34s %12d attempts %7.2f s %8.2f M/s  peak RSS %6.1f MB\n",
               l, n, w, n / w / 1e6, r / 1024 }'
}

echo "== reference scenario (10k accounts, limits, credit, capacity queue)"
for d in 1h 10h; do
    rates=()
    for ((i = 0; i < runs; i++)); do
        read -r n w r < <(run_sim ref "bench/sim/reference.yaml" --duration "$d")
        report "reference --duration $d (run $((i + 1)))" "$n" "$w" "$r"
        rates+=("$(awk -v n="$n" -v w="$w" 'BEGIN {print n / w}')")
    done
    med=$(printf '%s\n' "${rates[@]}" | median)
    awk -v m="$med" -v d="$d" 'BEGIN {printf "reference %s: median %.2f M simulated requests/s\n", d, m / 1e6}'
done

echo "== M/M/10 at 8 Erlangs: tollgate vs SimPy 2 (python3-simpy), same run"
tg_rates=()
py_rates=()
for ((i = 0; i < runs; i++)); do
    read -r n w r < <(run_sim mmc "bench/sim/mmc.yaml")
    report "tollgate M/M/10 (run $((i + 1)))" "$n" "$w" "$r"
    tg_rates+=("$(awk -v n="$n" -v w="$w" 'BEGIN {print n / w}')")
    line=$(/usr/bin/python3 bench/sim/mmc_simpy.py 10 8 1 20000 $((i + 1)))
    echo "simpy    M/M/10 (run $((i + 1))): $line"
    py_rates+=("$(sed 's/.*per_s=\([0-9.]*\).*/\1/' <<<"$line")")
done
tg=$(printf '%s\n' "${tg_rates[@]}" | median)
py=$(printf '%s\n' "${py_rates[@]}" | median)
awk -v t="$tg" -v p="$py" 'BEGIN {
    printf "M/M/10 medians: tollgate %.0f customers/s, SimPy %.0f customers/s, ratio %.1fx\n", t, p, t / p }'
