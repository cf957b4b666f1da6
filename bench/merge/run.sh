#!/usr/bin/env bash
# bench/merge/run.sh - is merging the shards of a long run exact, fast and
# bounded in memory?
#
# 1. Writes N shards (default 64) of a one-hour run: bench/merge/shard.yaml
#    simulated with seeds 1..N (3,600 one-second intervals, ~72k attempts
#    and ~800 KB of histograms.tgh per shard; 4.6M attempts in all).
# 2. Merges the first 8, 16, 32, ... N of them with `tollgate merge`:
#    wall time, CPU time and peak RSS of the merge process (getrusage of the
#    child), RUNS times each (default 3), medians.  Merge reads one shard at
#    a time into a second recorder, so peak memory should not grow with N.
# 3. Checks the N-shard merge against tests/integration/tgh_sum.py, an
#    independent reader: every histogram bucket, population counter and
#    interval count of the merged histograms.tgh is the sum of the shards'.
#
# Usage: bench/merge/run.sh [N [RUNS]]     (TG=path/to/tollgate to skip the
# Release build in build-bench/).  Everything stays on the local disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-64}
runs=${2:-3}
out=$(mktemp -d /tmp/tollgate-merge-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
if [ -z "${TG:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench -j2 --target tollgate >/dev/null
  TG=build-bench/tollgate
fi

echo "== writing $n shards of a one-hour run ($out)"
seq 0 $((n - 1)) | xargs -P 2 -I{} sh -c \
  "'$TG' sim bench/merge/shard.yaml --seed \$(({} + 1)) -q -o '$out/s{}'"
shards=()
for ((i = 0; i < n; i++)); do shards+=("$out/s$i"); done
du -sh "$out" | awk '{print "   " $1 " on disk"}'

# measure K: "wall_s cpu_s rss_mb" of one merge of the first K shards.
measure() {
  python3 - "$TG" "$out/m$1" "${shards[@]:0:$1}" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call([sys.argv[1], "merge", "-q", "-o"] + sys.argv[2:])
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f} {ru.ru_maxrss / 1024:.1f}")
sys.exit(rc)
PY
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

echo "== merge: shards, wall s, CPU s, peak RSS MB (medians of $runs)"
for k in 1 8 16 32 64 128 256; do
  [ "$k" -le "$n" ] || break
  rm -f "$out/t"
  for ((r = 0; r < runs; r++)); do measure "$k" >>"$out/t"; done
  printf '%6d %8.3f %8.3f %8.1f\n' "$k" "$(cut -d' ' -f1 "$out/t" | median)" \
    "$(cut -d' ' -f2 "$out/t" | median)" "$(cut -d' ' -f3 "$out/t" | median)"
done
[ "$n" -ge 64 ] || measure "$n" >/dev/null

echo "== exactness of the $n-shard merge"
python3 tests/integration/tgh_sum.py "$out/m$n" "${shards[@]}"
uptime
