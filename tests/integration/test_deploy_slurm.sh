#!/usr/bin/env bash
# ctest-labels: deploy
# deploy/slurm on a real one-node Slurm cluster (Debian's slurmctld, slurmd
# and munge, configured under a temporary directory, 127.0.0.1 only):
#   A. submit.sh runs a scenario as a 2-task job array against a `tollgate
#      serve`, the dependent gather job merges and checks: the pipeline
#      exits 0 (check's status), the merged result has exactly the counts
#      per reason of an unsharded run of the same scenario and seed (the
#      policy is deterministic: a per-account limit that does not refill
#      within the run, invalid keys, a blocked region), its histograms are
#      the exact bucket-by-bucket sum of the shards' (tgh_sum.py), and each
#      shard's own start record (start-skew.tsv, from generator.json) is
#      within 100 ms of the agreed --start-at.
#   B. the same with an expect: rule that fails: the pipeline exits 1.
#   C. shard 1 cancelled (scancel, SIGTERM) while it runs: the pipeline
#      exits 3 and says which shard is missing; nothing is merged.  Then
#      submit.sh -i 1 re-runs that shard alone and the pipeline passes.
# A, B and C run at once.  Skips (exit 77) only without root or when the
# Slurm packages are not installed (scripts/setup.sh --test installs them).
# Bounded: about a minute.
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: test_deploy_slurm needs root (slurmd runs jobs as their user)"
  exit 77
fi
for c in slurmctld slurmd munged sbatch squeue scancel sinfo; do
  if ! command -v "$c" >/dev/null; then
    echo "SKIP: $c is not installed (Debian: apt-get install slurmctld" \
      "slurmd slurm-client munge; scripts/setup.sh --test does it)"
    exit 77
  fi
done
source "$(dirname "$0")/run_common.sh"
source "$(dirname "$0")/slurm_cluster.bash"
SUBMITS=()
# stop_submits: the submit.sh pipelines still waiting, and their sbatch.
stop_submits() {
  for p in "${SUBMITS[@]:-}"; do
    [ -n "$p" ] || continue
    pkill -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
}
trap 'stop_submits; slurm_down; [ -n "${TG_KEEP:-}" ] || cleanup' EXIT

write_scenario() { # FILE RULE
  cat >"$1" <<YAML
name: slurm-shards
seed: 11
duration: 3s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rph, requests: 6, per: 1h } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
  regions: { blocked: [CN] }
accounts:
  - name: users
    count: 12
    tier: free
    regions: { US: 0.7, CN: 0.3 }
    invalid_key: 10%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 120/s } ] }
live:
  connections: 8
  threads: 2
expect:
  - count(rate_limit) > 0
  - $2
YAML
}
write_scenario "$WORK/pass.yaml" "p99(ok) < 10s"
write_scenario "$WORK/fail.yaml" "denied < 1%"

serve_up() { # NAME SCENARIO: a fresh serve; sets URL
  local port
  port=$(free_port)
  "$TG" serve "$2" --listen "127.0.0.1:$port" --no-results -q \
    --stop-after 90s >"$WORK/$1.serve.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  URL=http://127.0.0.1:$port
}

slurm_up 16
echo "one-node cluster up: $(timeout 5 sinfo -h -o '%N %c CPUs %T')"
export TG
DEPLOY=$SRC/deploy/slurm
declare -A RC URLS
for p in A B C; do
  scn=$WORK/pass.yaml
  [ "$p" = B ] && scn=$WORK/fail.yaml
  serve_up "$p" "$scn"
  URLS[$p]=$URL
  timeout 150 "$DEPLOY/submit.sh" -n 2 -l 6 -t "$URL" -r "$WORK/$p" -w "$scn" \
    >"$WORK/$p.out" 2>&1 &
  RC[$p]=$!
  SUBMITS+=($!)
done

# C: cancel task 1 of its array one second into its 3 s schedule.
cjob=""
for _ in $(seq 1 100); do
  cjob=$(sed -n 's/.* as array job \([0-9]*\), start at.*/\1/p' "$WORK/C.out" 2>/dev/null || true)
  cstart=$(sed -n 's/.* as array job [0-9]*, start at \(.*\)$/\1/p' "$WORK/C.out" 2>/dev/null || true)
  [ -n "$cjob" ] && break
  sleep 0.1
done
[ -n "$cjob" ] || { cat "$WORK/C.out"; fail "C: no array job id"; }
kill_at=$(($(date -u -d "$cstart" +%s) + 1))
state=""
while [ "$(date +%s)" -lt "$kill_at" ]; do
  sleep 0.1
done
state=$(timeout 5 squeue -h -j "${cjob}_1" -o '%T' 2>/dev/null || true)
[ "$state" = RUNNING ] || fail "C: task 1 is not running at start + 1 s (state '$state')"
timeout 5 scancel "${cjob}_1"

for p in A B C; do
  set +e
  wait "${RC[$p]}"
  RC[$p]=$?
  set -e
  echo "== pipeline $p exit ${RC[$p]}"
  cat "$WORK/$p.out"
done
for p in A B C; do
  echo "== $p job logs"
  cat "$WORK/$p"/*.out 2>/dev/null || true
done
[ "${RC[A]}" = 0 ] || fail "A: pipeline exit ${RC[A]}, want 0 (all rules pass)"
[ "${RC[B]}" = 1 ] || fail "B: pipeline exit ${RC[B]}, want 1 (a rule fails)"
[ "${RC[C]}" = 3 ] || fail "C: pipeline exit ${RC[C]}, want 3 (shard missing)"
grep -q "shard 1/2: .*\(failed\|killed\|missing\)" "$WORK"/C/tollgate-gather-*.out ||
  fail "C: the gather job did not name shard 1"
[ ! -e "$WORK/C/merged" ] || fail "C: a merged result was written"
[ -d "$WORK/C/shard-0" ] || fail "C: shard 0 should have finished"
grep -q '<failure' "$WORK/B/merged/junit.xml" || fail "B: junit.xml has no failure"

# C, continued: re-run shard 1 alone into the same results; the pipeline
# now passes and the merged result has both shards' requests.
timeout 120 "$DEPLOY/submit.sh" -n 2 -i 1 -l 5 -t "${URLS[C]}" -r "$WORK/C" -w \
  "$WORK/pass.yaml" >"$WORK/C2.out" 2>&1 || { cat "$WORK/C2.out"; fail "C: re-run of shard 1"; }
grep -q '"attempts": 360,' "$WORK/C/merged/summary.json" || fail "C: merged after the re-run"
[ ! -e "$WORK/C/shard-1.failed" ] || fail "C: the failed shard's leftovers stayed"

# A against an unsharded run of the same scenario and seed.
serve_up one "$WORK/pass.yaml"
"$TG" run "$WORK/pass.yaml" --target "$URL" -q -o "$WORK/one" >/dev/null ||
  fail "unsharded run"
python3 "$SRC/tests/integration/tgh_sum.py" "$WORK/A/merged" "$WORK/A/shard-0" \
  "$WORK/A/shard-1" || fail "A: merged histograms are not the shards' sum"
python3 - "$WORK" <<'PY' || fail "A: merged vs unsharded"
import json, sys
w = sys.argv[1]
m = json.load(open(f"{w}/A/merged/summary.json"))
one = json.load(open(f"{w}/one/summary.json"))
bad = m["requests"] != one["requests"]
print(f"requests: merged {m['requests']} unsharded {one['requests']}")
for k, v in one["denied_by_reason"].items():
    if v or m["denied_by_reason"][k]:
        print(f"  {k}: merged {m['denied_by_reason'][k]} unsharded {v}")
    bad |= m["denied_by_reason"][k] != v
for k in ("rate_limit", "invalid_key", "region_blocked"):
    bad |= one["denied_by_reason"][k] == 0
bad |= one["requests"]["attempts"] != 360
rows = [l.split("\t") for l in open(f"{w}/A/merged/start-skew.tsv")][1:]
for r in rows:
    print(f"shard {r[0]}: t0 {float(r[2]):+.3f} ms from --start-at, "
          f"schedule lag p50 {r[3]} max {r[5].strip()} ms")
bad |= len(rows) != 2 or any(abs(float(r[2])) > 100 for r in rows)
sys.exit(1 if bad else 0)
PY
echo "PASS test_deploy_slurm"
