#!/usr/bin/env bash
# ctest-labels: threaded
# Two shards of one run, started together with a common --start-at
# against one `tollgate serve`, merged with `tollgate merge`, equal an
# unsharded run against a fresh serve: exactly the same attempts (uniform
# arrivals, no retries: the workload is deterministic) and the same
# outcome per reason within 2 percentage points (per-account limits, so a
# shard sees the limits the unsharded run sees; requests near a refill
# instant may fall either side in real time).  The shard index comes from
# JOB_COMPLETION_INDEX for one shard and SLURM_PROCID for the other
# (--shard auto/2); both begin their schedule at the --start-at instant
# (generator.json start_epoch_s within 50 ms of it); a start time more
# than --start-slack (default 1s) past is refused (exit 2) unless
# --late-ok or a larger --start-slack; bad TIME
# and auto without an index variable are usage errors.  The merged
# summary's "generator" block adds the shards'.  Bounded: about 10 s on
# 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

cat >"$WORK/shards.yaml" <<'YAML'
name: shards
seed: 5
duration: 3s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rps, requests: 8, per: 1s } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
  regions: { blocked: [CN] }
accounts:
  - name: users
    count: 8
    tier: free
    regions: { US: 0.8, CN: 0.2 }
    invalid_key: 10%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 160/s } ] }
live:
  connections: 8
  threads: 2
YAML

# serve_up NAME: a fresh `tollgate serve` of the scenario; sets URL.
serve_up() {
  local port
  port=$(free_port)
  "$TG" serve "$WORK/shards.yaml" --listen "127.0.0.1:$port" --no-results -q \
    --stop-after 60s >"$WORK/$1.serve.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  URL=http://127.0.0.1:$port
}

serve_up sharded
START=$(python3 -c 'import time; print(f"{time.time() + 2:.3f}")')
JOB_COMPLETION_INDEX=0 "$TG" run "$WORK/shards.yaml" --target "$URL" -q \
  --shard auto/2 --start-at "$START" -o "$WORK/s0" >/dev/null 2>"$WORK/s0.err" &
S0=$!
SLURM_PROCID=1 "$TG" run "$WORK/shards.yaml" --target "$URL" -q \
  --shard auto/2 --start-at "$START" -o "$WORK/s1" >/dev/null 2>"$WORK/s1.err" &
S1=$!
wait "$S0" || { cat "$WORK/s0.err"; fail "shard 0 exited $?"; }
wait "$S1" || { cat "$WORK/s1.err"; fail "shard 1 exited $?"; }
# Independent of the shards' own accounts: they were launched 2 s before
# --start-at and run a 3 s schedule, so they cannot be done before
# START + 3 s unless they ignored it.
python3 -c "import sys, time; sys.exit(0 if time.time() >= $START + 3 else 1)" ||
  fail "the shards finished before --start-at + duration"
stop_last
"$TG" merge -o "$WORK/merged" "$WORK/s0" "$WORK/s1" >/dev/null || fail "merge"

serve_up single
"$TG" run "$WORK/shards.yaml" --target "$URL" -q -o "$WORK/one" >/dev/null ||
  fail "unsharded run"
stop_last

python3 - "$WORK" "$START" <<'PY' || fail "sharded vs unsharded"
import json, sys
w, start = sys.argv[1], float(sys.argv[2])
load = lambda p: json.load(open(f"{w}/{p}"))
m, one = load("merged/summary.json"), load("one/summary.json")
g0, g1 = load("s0/generator.json"), load("s1/generator.json")
bad = False
for g in (g0, g1):
    print(f"shard {g['shard']}: started {1000 * (g['start_epoch_s'] - start):+.1f} ms "
          f"from --start-at, sent {g['sent']}")
    bad |= abs(g["start_epoch_s"] - start) > 0.05
bad |= (g0["shard"], g1["shard"]) != ("0/2", "1/2")
n = one["requests"]["attempts"]
print(f"attempts: merged {m['requests']['attempts']} unsharded {n}")
bad |= m["requests"]["attempts"] != n or n != 480 or g0["sent"] == 0 or g1["sent"] == 0
for k in ["ok"] + list(one["denied_by_reason"]):
    a = m["requests"]["ok"] if k == "ok" else m["denied_by_reason"][k]
    b = one["requests"]["ok"] if k == "ok" else one["denied_by_reason"][k]
    if a or b:
        print(f"  {k}: merged {a} unsharded {b}")
    bad |= abs(a - b) > 0.02 * n
bad |= one["denied_by_reason"]["rate_limit"] == 0 or one["denied_by_reason"]["invalid_key"] == 0
gen = m["generator"]
print(f"merged generator: {gen}")
bad |= gen["shards"] != 2 or gen["sent"] != g0["sent"] + g1["sent"] or gen["threads"] != 4
sys.exit(1 if bad else 0)
PY

# Late start: refused past the slack (exit 2), --late-ok runs it, and so
# does a slack that covers it.
expect_rc() { # WANT CMD...
  local want=$1 rc
  shift
  set +e
  "$@" >/dev/null 2>"$WORK/rc.err"
  rc=$?
  set -e
  [ "$rc" = "$want" ] || { cat "$WORK/rc.err"; fail "exit $rc, want $want: $*"; }
}
PAST=$(date -u -d '-30 seconds' +%Y-%m-%dT%H:%M:%SZ)
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q -o "$WORK/late" --start-at "$PAST"
grep -q "more than the slack of 1.000 s (--start-slack)" "$WORK/rc.err" || fail "late: message"
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q -o "$WORK/late" --start-at "$PAST" --start-slack 10s
expect_rc 0 "$TG" run "$WORK/shards.yaml" -q -o "$WORK/late" --duration 1s \
  --start-at "$PAST" --late-ok
expect_rc 0 "$TG" run "$WORK/shards.yaml" -q -o "$WORK/late" --duration 1s \
  --start-at "$PAST" --start-slack 5m
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q --start-at "$PAST" --start-slack -1s
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q --start-at 2025-02-30T00:00:00Z
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q --shard auto/2
expect_rc 2 "$TG" run "$WORK/shards.yaml" -q --late-ok
JOB_COMPLETION_INDEX=2 expect_rc 2 "$TG" run "$WORK/shards.yaml" -q --shard auto/2
echo "PASS test_run_shards"
