#!/usr/bin/env bash
# bench/sweep/run.sh - does `tollgate sweep` use two cores?  And how fast
# is trace replay next to synthetic arrivals?
#
# 1. Builds tollgate in Release (build-bench/).
# 2. Sweep throughput: the same sweep (bench/sweep/mmcc.yaml, 4 server
#    counts x 4 replications = 16 independent runs) with --jobs 1 pinned
#    to one core (taskset -c 0) and --jobs 2 pinned to two (taskset -c
#    0,1), alternating, RUNS pairs.  Prints wall and CPU (user + sys) time
#    of each, the median wall-time speedup (target >= 1.8x) and the CPU
#    overhead of the threads (CPU time of --jobs 2 / --jobs 1), and checks
#    that both wrote byte-identical directories.  Output goes to /dev/shm
#    so that the result files' fsyncs do not weigh in.
# 3. Trace replay next to synthetic arrivals, and its memory on a
#    10M-line trace: bench/sweep/trace.sh.
# The machine is shared: a speedup needs the second core to be idle, so
# the load average is printed with every pair; quote the pairs measured
# at low load.
#
# Usage: bench/sweep/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
build=build-bench
out=$(mktemp -d /dev/shm/tollgate-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target tollgate >/dev/null
tg=$PWD/$build/tollgate

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# sweep_run JOBS CPUS DIR: prints "wall_s cpu_s"
sweep_run() {
    rm -rf "$3"
    /usr/bin/time -f "%e %U %S" -o "$out/time.txt" taskset -c "$2" \
        "$tg" sweep bench/sweep/mmcc.yaml --vary policy.capacity.servers=8..14:2 \
        --replications 4 --jobs "$1" -q -o "$3"
    awk '{print $1, $2 + $3}' "$out/time.txt"
}

echo "== sweep: 16 runs (4 points x 4 replications), --jobs 1 on cpu 0 vs --jobs 2 on cpus 0,1"
speedups=()
overheads=()
for ((i = 1; i <= runs; i++)); do
    read -r w1 c1 < <(sweep_run 1 0 "$out/j1")
    read -r w2 c2 < <(sweep_run 2 0,1 "$out/j2")
    diff -r "$out/j1" "$out/j2" >/dev/null || { echo "FAIL: --jobs 2 output differs"; exit 1; }
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v i="$i" -v w1="$w1" -v c1="$c1" -v w2="$w2" -v c2="$c2" -v l="$load" 'BEGIN {
        printf "pair %d: jobs 1 wall %6.2f s cpu %6.2f s | jobs 2 wall %6.2f s cpu %6.2f s | speedup %.2fx  cpu ratio %.3f  (load %s)\n",
               i, w1, c1, w2, c2, w1 / w2, c2 / c1, l }'
    speedups+=("$(awk -v a="$w1" -v b="$w2" 'BEGIN {print a / b}')")
    overheads+=("$(awk -v a="$c1" -v b="$c2" 'BEGIN {print b / a}')")
done
printf '%s\n' "${speedups[@]}" | median | awk '{printf "median wall-time speedup on 2 cores: %.2fx (target >= 1.8x)\n", $1}'
printf '%s\n' "${overheads[@]}" | median | awk '{printf "median CPU time ratio (jobs 2 / jobs 1): %.3f\n", $1}'
echo "outputs byte-identical in every pair"

TG=$tg OUT=$out bash bench/sweep/trace.sh
