#!/usr/bin/env bash
# bench/sweep/trace.sh - trace replay next to synthetic arrivals, and its
# memory on a long trace.  Run by bench/sweep/run.sh (TG and OUT set), or
# alone: TG=build-bench/tollgate bash bench/sweep/trace.sh
#
# 1. Replay rate: one population of 1000 accounts sending 500 requests/s
#    for 1 h (1.8M requests), once from phases (uniform arrivals) and once
#    from a 1.8M-line CSV trace with the same times and callers (awk);
#    same policy (a token-bucket limit per account, a capacity queue).
#    Attempts per CPU second (user + sys) of each, alternating, RUNS
#    pairs; the ratio replay / synthetic (target >= 0.5).
# 2. Memory: peak RSS replaying the first 1M and all 10M lines of a
#    10M-line trace (the duration cuts the replay); flat means streaming.
set -euo pipefail
cd "$(dirname "$0")/../.."
tg=${TG:-build-bench/tollgate}
out=${OUT:-$(mktemp -d)}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/tollgate-trace-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# The same arrivals both ways: request k at k x 2 ms from caller k % 1000.
awk 'BEGIN { print "ts,account"; for (k = 0; k < 1800000; k++) printf "%.3f,c%d\n", k * 0.002, k % 1000 }' >"$work/rate.csv"
common='seed: 3
duration: 1h
policy:
  tiers: { t: { limits: [ { name: rpm, requests: 60, per: 1m } ] } }
  models: { m: { input: 0/1M, output: 0/1M, service: { first_token: exp(20ms), per_token: 0ms } } }
  capacity: { servers: 16, queue: 64, queue_timeout: 2s }'
printf 'name: synthetic\n%s\naccounts:\n  - { name: p, count: 1000, traffic: { arrival: uniform, phases: [ { for: 1h, rate: 500/s } ] } }\n' "$common" >"$work/synthetic.yaml"
printf 'name: replay\n%s\naccounts:\n  - { name: p, count: 1000, traffic: { trace: { file: rate.csv } } }\n' "$common" >"$work/replay.yaml"

run() { # SCENARIO: prints "attempts cpu_s rss_kb"
    /usr/bin/time -f "%U %S %M" -o "$work/time.txt" "$tg" sim "$1" -q -o "$work/r" "${@:2}" 2>/dev/null
    local n
    n=$(grep -o '"attempts": *[0-9]*' "$work/r/summary.json" | head -1 | grep -o '[0-9]*$')
    awk -v n="$n" '{print n, $1 + $2, $3}' "$work/time.txt"
}

echo "== trace replay vs synthetic arrivals: 1.8M requests, 1000 accounts"
ratios=()
for ((i = 1; i <= runs; i++)); do
    read -r ns cs _ < <(run "$work/synthetic.yaml")
    read -r nr cr _ < <(run "$work/replay.yaml")
    awk -v i="$i" -v ns="$ns" -v cs="$cs" -v nr="$nr" -v cr="$cr" 'BEGIN {
        printf "pair %d: synthetic %d attempts %.2f s cpu (%.2fM/s) | replay %d attempts %.2f s cpu (%.2fM/s) | ratio %.2f\n",
               i, ns, cs, ns / cs / 1e6, nr, cr, nr / cr / 1e6, (nr / cr) / (ns / cs) }'
    ratios+=("$(awk -v ns="$ns" -v cs="$cs" -v nr="$nr" -v cr="$cr" 'BEGIN {print (nr / cr) / (ns / cs)}')")
done
printf '%s\n' "${ratios[@]}" | median | awk '{printf "median replay rate / synthetic rate: %.2f (target >= 0.5)\n", $1}'

echo "== memory: a 10M-line trace (1 ms apart, 10k callers)"
awk 'BEGIN { print "ts,account"; for (k = 0; k < 10000000; k++) printf "%.3f,c%d\n", k * 0.001, k % 10000 }' >"$work/big.csv"
ls -l "$work/big.csv" | awk '{printf "trace file: %.0f MB\n", $5 / 1048576}'
printf 'name: big\nseed: 3\nduration: 3h\npolicy:\n  models: { m: { input: 0/1M, output: 0/1M, service: { first_token: 1ms, per_token: 0ms } } }\naccounts:\n  - { name: p, count: 10000, traffic: { trace: { file: big.csv } } }\n' >"$work/big.yaml"
for d in 1000s 10000s; do
    read -r n c rss < <(run "$work/big.yaml" --duration "$d")
    awk -v d="$d" -v n="$n" -v c="$c" -v r="$rss" 'BEGIN {
        printf "replay %-7s %9d requests  cpu %6.2f s  peak RSS %6.1f MB\n", d, n, c, r / 1024 }'
done
