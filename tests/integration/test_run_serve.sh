#!/usr/bin/env bash
# ctest-labels: threaded
# run without --target drives the embedded `serve` of the same scenario on
# a free loopback port; the outcome counts must match `tollgate sim` of
# the scenario (same request stream, same policy code) within 2
# percentage points per reason (requests near a limiter's refill instant
# may fall either side in real time), the server-side results must count
# the same attempts, and --check must evaluate expect: rules.  Also
# --max-requests and --shard.  Bounded: a few seconds on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

cat >"$WORK/emb.yaml" <<'YAML'
name: embedded-serve
seed: 11
duration: 3s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rps, requests: 10, per: 1s } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
  regions: { blocked: [CN] }
accounts:
  - name: users
    count: 6
    tier: free
    regions: { US: 0.8, CN: 0.2 }
    invalid_key: 10%
    violation: 5%
    bad_request: 5%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 120/s } ] }
expect:
  - denied(rate_limit) > 3%
  - count(policy_violation) > 0
  - denied(region_blocked) > 5%
YAML

"$TG" run "$WORK/emb.yaml" -o "$WORK/run" -q --check >"$WORK/run.out" ||
  { cat "$WORK/run.out"; fail "run --check failed"; }
grep -q "3 passed, 0 failed" "$WORK/run.out" || fail "--check output"
"$TG" sim "$WORK/emb.yaml" -o "$WORK/sim" >/dev/null
python3 - "$WORK/run/summary.json" "$WORK/sim/summary.json" "$WORK/run/serve/summary.json" <<'PY' || fail "run vs sim"
import json, sys
run, sim, srv = (json.load(open(p)) for p in sys.argv[1:4])
n = run["requests"]["attempts"]
bad = n != sim["requests"]["attempts"] or n != srv["requests"]["attempts"] or n != 360
for k in ["ok"] + list(run["denied_by_reason"]):
    a = run["requests"]["ok"] if k == "ok" else run["denied_by_reason"][k]
    b = sim["requests"]["ok"] if k == "ok" else sim["denied_by_reason"][k]
    if a or b:
        print(f"{k}: run {a} sim {b}")
    bad |= abs(a - b) > 0.02 * n
sys.exit(1 if bad else 0)
PY

# --max-requests stops after N logical requests, covering less time.
"$TG" run "$WORK/emb.yaml" -o "$WORK/max" -q --max-requests 50 >/dev/null
[ "$(js "$WORK/max/summary.json" 'd["requests"]["unique"]')" = 50 ] || fail "--max-requests"

# Shards 0/2 and 1/2 together send exactly the unsharded requests.
"$TG" run "$WORK/emb.yaml" -o "$WORK/s0" -q --shard 0/2 >/dev/null
"$TG" run "$WORK/emb.yaml" -o "$WORK/s1" -q --shard 1/2 >/dev/null
a=$(js "$WORK/s0/summary.json" 'd["requests"]["unique"]')
b=$(js "$WORK/s1/summary.json" 'd["requests"]["unique"]')
[ $((a + b)) = 360 ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "shards $a + $b != 360"
# A keys file (one key per account) is used by both sides; too few keys
# is a usage error (exit 2).
for i in 0 1 2 3 4 5; do echo "sk-test-key-$i"; done >"$WORK/keys.txt"
sed "s#^expect:#live: { keys: { file: $WORK/keys.txt } }\nexpect:#" "$WORK/emb.yaml" >"$WORK/keys.yaml"
"$TG" run "$WORK/keys.yaml" -o "$WORK/keys" -q >/dev/null
python3 - "$WORK/keys/summary.json" "$WORK/run/summary.json" <<'PY' || fail "keys file"
import json, sys
k, d = (json.load(open(p)) for p in sys.argv[1:3])
print(f"keys file: invalid_key {k['denied_by_reason']['invalid_key']} (deterministic keys: {d['denied_by_reason']['invalid_key']})")
sys.exit(0 if k["denied_by_reason"]["invalid_key"] == d["denied_by_reason"]["invalid_key"] else 1)
PY
! grep -rq "sk-test-key" "$WORK/keys" || fail "a key from the keys file leaked into the results"
head -3 "$WORK/keys.txt" >"$WORK/short.txt"
sed "s#keys.txt#short.txt#" "$WORK/keys.yaml" >"$WORK/short.yaml"
set +e
"$TG" run "$WORK/short.yaml" -o "$WORK/short" -q >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "short keys file: exit $rc, want 2"
echo "PASS test_run_serve"
