#!/usr/bin/env bash
# ctest-labels: threaded
# The request level (what the callers see) beside the attempt level (what
# the API sees), in sim, run against the embedded serve, replications,
# merge, report and check.  Hand-computed expectations:
#
#  1. An outage from 0 to 30 s; 10 requests arrive at 0, 0.1, ... 0.9 s
#     (uniform), are told "retry after 30 s - t", honour it exactly and
#     succeed at 30 s with a 20 ms service time.  End to end each waited
#     30.02 - t s: 29.12 .. 30.02 s, p50 (5th of 10) = 29.52 s; each made
#     2 attempts; attempts took at most 20 ms.  Every request is ok, half
#     of the attempts were denied.
#  2. sim and run (embedded serve, same seed) of a rate-limited scenario
#     with retries agree on the request-level shares within the tolerance
#     used for attempts (2 points per outcome); final outcomes add up to
#     the unique requests on both sides.
#  3. Shards merged: request-level counts add exactly.
# Bounded: about 15 s of real traffic on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

# ---- 1. the worked retry-after wait ----------------------------------------
cat >"$WORK/wait.yaml" <<'YAML'
name: retry-after-wait
duration: 2m
seed: 7
interval: 1s
policy:
  models:
    m: { service: { first_token: 20ms } }
accounts:
  - name: callers
    count: 10
    traffic: { arrival: uniform, phases: [ { for: 1s, rate: 10/s } ] }
    client:
      retry: { max: 3, base: 100ms, cap: 1s, jitter: none, retry_after: honor }
events:
  - { at: 0s, outage: { for: 30s } }
expect:
  - "requests.denied < 1%"
  - "requests.p50 > 29s"
  - "requests.p50 < 30s"
  - "attempts.denied(outage) >= 50%"
  - "attempts.p99 < 100ms"
YAML
"$TG" sim "$WORK/wait.yaml" -o "$WORK/wait" --check >"$WORK/wait.out" ||
  { cat "$WORK/wait.out"; fail "wait: sim --check"; }
grep -q "requests (what your callers see): 10, ok 10, denied 0 (0.00%)" "$WORK/wait.out" ||
  fail "wait: request headline"
grep -q "attempts (what the API sees): 20, ok 10, denied 10 (50.00%)" "$WORK/wait.out" ||
  fail "wait: attempt headline"
python3 - "$WORK/wait/summary.json" <<'PY' || fail "wait: worked values"
import json, sys
d = json.load(open(sys.argv[1]))
rl = d["request_level"]
lat = rl["latency_ms"]["all"]
def near(x, want):  # the histogram's precision: 0.1%
    return abs(x - want) <= 0.001 * want + 0.001
checks = {
    "requests": rl["requests"] == 10 == d["requests"]["unique"],
    "ok": rl["ok"] == 10 and rl["denied"] == 0 and rl["lost"] == 0,
    "p50 29.52 s": near(lat["p50"], 29520),
    "max 30.02 s": near(lat["max"], 30020),
    "min wait 29.12 s": lat["count"] == 10,
    "attempts per request 2": rl["attempts_per_request"]["mean"] == 2
                              and rl["attempts_per_request"]["max"] == 2,
    "attempt max 20 ms": near(d["latency_ms"]["all"]["max"], 20),
    "finals add up": sum(d["final_outcome"].values()) == d["requests"]["unique"],
    "all settled by their answer": rl["ended_by"]["answer"] == 10,
}
for k, v in checks.items():
    print(("ok  " if v else "BAD ") + k)
sys.exit(0 if all(checks.values()) else 1)
PY

# ---- 2. sim vs run at both levels ------------------------------------------
cat >"$WORK/retry.yaml" <<'YAML'
name: retries-both-levels
seed: 5
duration: 4s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rps, requests: 8, per: 1s } ] }
accounts:
  - name: users
    count: 4
    tier: free
    traffic: { arrival: uniform, phases: [ { for: 4s, rate: 60/s } ] }
    client:
      timeout: 5s
      retry: { max: 2, base: 200ms, cap: 1s, jitter: full, retry_after: ignore }
expect:
  - "requests.denied(rate_limit) > 0"
  - "population(users).requests.denied < 100%"
YAML
"$TG" sim "$WORK/retry.yaml" -o "$WORK/rsim" -q
"$TG" run "$WORK/retry.yaml" -o "$WORK/rrun" -q --drain 3s >/dev/null
python3 - "$WORK/rsim/summary.json" "$WORK/rrun/summary.json" <<'PY' || fail "sim vs run at both levels"
import json, sys
sim, run = (json.load(open(p)) for p in sys.argv[1:3])
bad = False
for side, d in (("sim", sim), ("run", run)):
    fin = sum(d["final_outcome"].values())
    print(f"{side}: unique {d['requests']['unique']} finals {fin} "
          f"attempts {d['requests']['attempts']}")
    bad |= fin != d["requests"]["unique"] or d["request_level"]["requests"] != fin
n_req = sim["request_level"]["requests"]
n_att = sim["requests"]["attempts"]
for k in ["ok", "rate_limit"]:
    a, b = sim["final_outcome"][k], run["final_outcome"][k]
    print(f"requests {k}: sim {a} run {b}")
    bad |= abs(a - b) > 0.02 * n_req
    a = sim["requests"]["ok"] if k == "ok" else sim["denied_by_reason"][k]
    b = run["requests"]["ok"] if k == "ok" else run["denied_by_reason"][k]
    print(f"attempts {k}: sim {a} run {b}")
    bad |= abs(a - b) > 0.02 * n_att
bad |= abs(sim["request_level"]["denial_rate"] - run["request_level"]["denial_rate"]) > 0.02
# why requests ended: every rate_limit final outcome spent its 2 retries
for side, d in (("sim", sim), ("run", run)):
    e = d["request_level"]["ended_by"]
    print(f"{side} ended_by {e}")
    bad |= e["answer"] + e["retries_exhausted"] + e["run_ended"] + e["lost"] != d["request_level"]["requests"]
    bad |= e["retries_exhausted"] + e["run_ended"] != d["final_outcome"]["rate_limit"]
bad |= sim["request_level"]["ended_by"]["retries_exhausted"] == 0
bad |= sim["requests"]["attempts"] <= sim["requests"]["unique"]  # retries happened
sys.exit(1 if bad else 0)
PY
"$TG" check "$WORK/rrun" --junit "$WORK/junit.xml" >"$WORK/check.out" ||
  { cat "$WORK/check.out"; fail "check of request-level rules"; }
grep -q 'population(users).requests.denied' "$WORK/junit.xml" || fail "junit lacks the rule"

# ---- 3. shards merge exactly at the request level ---------------------------
"$TG" run "$WORK/retry.yaml" -o "$WORK/s0" -q --shard 0/2 --drain 3s >/dev/null
"$TG" run "$WORK/retry.yaml" -o "$WORK/s1" -q --shard 1/2 --drain 3s >/dev/null
"$TG" merge -o "$WORK/m" "$WORK/s0" "$WORK/s1" -q
python3 - "$WORK/s0/summary.json" "$WORK/s1/summary.json" "$WORK/m/summary.json" <<'PY' || fail "merge at request level"
import json, sys
a, b, m = (json.load(open(p)) for p in sys.argv[1:4])
ok = all(m["request_level"][k] == a["request_level"][k] + b["request_level"][k]
         for k in ("requests", "ok", "denied", "lost"))
ok &= all(m["final_outcome"][k] == a["final_outcome"][k] + b["final_outcome"][k]
          for k in m["final_outcome"])
ok &= m["request_level"]["latency_ms"]["all"]["count"] == \
    a["request_level"]["latency_ms"]["all"]["count"] + b["request_level"]["latency_ms"]["all"]["count"]
sys.exit(0 if ok else 1)
PY

# ---- replications carry request-level confidence intervals -----------------
"$TG" sim "$WORK/retry.yaml" -o "$WORK/reps" -q --replications 3
js "$WORK/reps/summary.json" 'd["request_level"]["ci95"]["denial_rate"] >= 0' | grep -q True ||
  fail "replications: no request-level ci95"
"$TG" report "$WORK/reps" | grep -q "3 replications" || fail "report: replications"

# ---- report -------------------------------------------------------------------
"$TG" report "$WORK/wait" --by population,reason >"$WORK/rep.txt"
grep -q "requests (what your callers see): 10" "$WORK/rep.txt" || fail "report text"
grep -q "attempts (what the API sees): 20" "$WORK/rep.txt" || fail "report text attempts"
grep -q "^  outage  *0  *0.00% |  *10  *50.00%" "$WORK/rep.txt" || fail "report --by reason"
"$TG" report "$WORK/wait" --format markdown | grep -q "^| requests (what your callers see) | 10 | 10 | 0 | 0.00% |" ||
  fail "report markdown"
"$TG" report "$WORK/wait" --format=json --by reason >"$WORK/rep.json"
python3 - "$WORK/rep.json" <<'PY' || fail "report json"
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["requests"]["total"] == 10 and d["attempts"]["total"] == 20
ok &= d["attempts"]["top_reasons"][0]["reason"] == "outage"
ok &= any(r["reason"] == "outage" and r["attempts"] == 10 and r["requests"] == 0
          for r in d["reasons"])
sys.exit(0 if ok else 1)
PY
set +e
"$TG" report "$WORK/wait" --by popluation 2>"$WORK/err1"; rc1=$?
"$TG" report "$WORK/nothing" 2>"$WORK/err2"; rc2=$?
set -e
[ "$rc1" = 2 ] && grep -q "did you mean 'population'" "$WORK/err1" || fail "report --by typo: $rc1"
[ "$rc2" = 2 ] && grep -q "summary.json" "$WORK/err2" || fail "report missing dir: $rc2"
echo "PASS test_request_level"
