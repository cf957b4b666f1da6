#!/bin/bash
# test_sweep.sh - `tollgate sweep` against queueing theory and itself:
#   - a grid over the servers of an M/M/c/c system reproduces Erlang B
#     at every point, and over an M/M/c queue Erlang C's mean response,
#     within the points' confidence intervals (widened from 95% to 99.9%:
#     t(0.9995, 4) / t(0.975, 4) = 3.10, so a correct engine fails with
#     probability 1e-3 per point; with fixed seeds the result is fixed),
#     each interval also required to be narrow;
#   - --find returns the analytic answer: the smallest c with
#     E_B(c, 8) < 2.4% is 14 (E_B(13, 8) = 3.07%, E_B(14, 8) = 1.72%);
#     --largest on the arrival rate likewise;
#   - the table and point directories are byte-identical for --jobs 1
#     and --jobs 2;
#   - usage errors exit 2, a bad value at some point names the point.
# Every expected number is computed here (python3), never pasted.
# Usage: test_sweep.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
W=$(mktemp -d /tmp/tollgate-sweep-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { # expect_rc WANT CMD...
    local want=$1; shift
    "$@" >"$W/out" 2>"$W/err"; local rc=$?
    [ "$rc" = "$want" ] || { cat "$W/out" "$W/err"; fail "'$*' exited $rc, want $want"; }
}

scenario() { # FILE QUEUE DURATION: one Poisson stream, exp(1s) service
    cat >"$1" <<YAML
name: mmc
seed: 3
duration: $3
warmup: 10m
policy:
  models:
    m: { input: 0/1M, output: 0/1M, service: { first_token: exp(1s), per_token: 0ms } }
  capacity: { servers: 10, queue: $2, queue_timeout: 0s }
accounts:
  - name: p
    count: 1
    traffic: { phases: [ { for: $3, rate: 8/s } ] }
    client: { timeout: 7d }
YAML
}
scenario "$W/mmcc.yaml" 0 12h
scenario "$W/mmc.yaml" 1000000 12h

# ---- Erlang B along the grid ----------------------------------------------
expect_rc 0 "$TG" sweep "$W/mmcc.yaml" --vary policy.capacity.servers=6..14:2 \
    --metric 'denied(overloaded)' --replications 5 -o "$W/eb" -q
python3 - "$W/eb/sweep.json" <<'PY' || fail "Erlang B grid"
import json, sys
def eb(c, a):
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b
doc = json.load(open(sys.argv[1]))
assert len(doc["points"]) == 5, doc["points"]
for p in doc["points"]:
    c = int(p["values"]["policy.capacity.servers"])
    m = p["metrics"]["denied(overloaded)"]
    want = eb(c, 8.0)
    print("c=%2d  measured %.5f +- %.5f  Erlang B %.5f" % (c, m["mean"], m["ci95"], want))
    assert p["replications"] == 5 and p["complete"]
    assert abs(m["mean"] - want) <= 3.10 * m["ci95"], c
    assert m["ci95"] < 0.1 * want, ("interval too wide", c)
PY

# ---- Erlang C mean response along the grid -------------------------------
expect_rc 0 "$TG" sweep "$W/mmc.yaml" --vary policy.capacity.servers=9..12:1 \
    --metric 'mean(ok)' --replications 5 -o "$W/ec" -q
python3 - "$W/ec/sweep.csv" <<'PY' || fail "Erlang C grid"
import csv, sys
def eb(c, a):
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 4
for r in rows:
    c, a = int(r["policy.capacity.servers"]), 8.0
    b = eb(c, a)
    C = c * b / (c - a * (1 - b))
    want_ms = 1000 * (C / (c - a) + 1)
    m, ci = float(r["mean(ok)"]), float(r["mean(ok)_ci95"])
    print("c=%2d  mean response %.1f +- %.1f ms  Erlang C %.1f ms" % (c, m, ci, want_ms))
    assert abs(m - want_ms) <= 3.10 * ci, c
    assert ci < 0.05 * want_ms, ("interval too wide", c)
    assert float(r["x"]) == c
PY

# ---- --find: the analytic answer -------------------------------------------
expect_rc 0 "$TG" sweep "$W/mmcc.yaml" --find policy.capacity.servers=1..40 \
    --until 'denied(overloaded) < 2.4%' --duration 6h -o "$W/find"
cat "$W/out"
python3 - "$W/find/find.json" <<'PY' || fail "--find answer"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["found"] and doc["answer"] == "14", doc
assert doc["confident_fail"] == "13", doc
for p in doc["probes"]:  # every verdict agrees with its interval
    lo, hi = p["mean"] - p["ci95"], p["mean"] + p["ci95"]
    want = "pass" if hi < 0.024 else "fail" if lo >= 0.024 else "unsure"
    assert p["verdict"] == want, p
PY
grep -q "smallest policy.capacity.servers where 'denied(overloaded) < 2.4%' holds" \
    "$W/out" || fail "--find does not state its answer"
[ -f "$W/find/probes/14/summary.json" ] || fail "no probe directory"

# largest arrival rate 10 servers carry with blocking < 5%: E_B(10, a) is
# increasing in a; on the grid 1..10/s the answer is the largest a with
# E_B(10, a) < 5% (6/s: 4.3%; 7/s: 7.9%)
want=$(python3 -c '
def eb(c, a):
    b = 1.0
    for k in range(1, c + 1): b = a * b / (k + a * b)
    return b
print(max(a for a in range(1, 11) if eb(10, a) < 0.05))')
expect_rc 0 "$TG" sweep "$W/mmcc.yaml" --find accounts.p.traffic.phases[0].rate=1/s..10/s:1/s \
    --largest --until 'denied(overloaded) < 5%' --duration 6h -o "$W/findl" -q
python3 - "$W/findl/find.json" "$want" <<'PY' || fail "--find --largest"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["found"] and doc["answer"] == sys.argv[2] + "/s", doc
PY
# nothing in range holds: exit 1, said so
expect_rc 1 "$TG" sweep "$W/mmcc.yaml" --find policy.capacity.servers=1..5 \
    --until 'denied(overloaded) < 1%' --duration 1h --replications 3 -o "$W/none"
grep -q "no smallest policy.capacity.servers" "$W/out" || fail "no-answer not said"

# ---- parallel = serial -------------------------------------------------------
for j in 1 2; do
    expect_rc 0 "$TG" sweep "$W/mmcc.yaml" --vary policy.capacity.servers=8,10 \
        --vary accounts.p.traffic.phases[0].rate=6/s,9/s --duration 1h \
        --replications 3 --jobs "$j" -o "$W/par$j" -q
done
diff -r "$W/par1" "$W/par2" >/dev/null || fail "--jobs 2 differs from --jobs 1"
[ "$(ls "$W/par1/points" | wc -l)" = 4 ] || fail "want 4 point directories"
head -1 "$W/par1/sweep.csv" | grep -q '^point,dir,policy.capacity.servers,accounts.p.traffic.phases\[0\].rate,x,series' \
    || fail "sweep.csv header"
# series: the second axis's value; x: the first axis's
awk -F, 'NR > 1 { print $5, $6 }' "$W/par1/sweep.csv" | tr '\n' ' ' |
    grep -q '^8 0 10 0 8 1 10 1 $' || fail "x/series columns"

# the chart of each metric (two series: the second axis's two values)
if command -v gnuplot >/dev/null; then
    expect_rc 0 "$TG" plot "$W/par1"
    for m in denied p99_ok_ goodput; do
        [ -s "$W/par1/plots/sweep-$m.png" ] || fail "no sweep-$m.png"
    done
fi

# ---- errors -------------------------------------------------------------------
expect_rc 2 "$TG" sweep "$W/mmcc.yaml"
grep -q "nothing to sweep" "$W/err" || fail "no axis not explained"
expect_rc 2 "$TG" sweep "$W/mmcc.yaml" --vary policy.capacity.servers=1..10:0
grep -q "STEP must be positive" "$W/err" || fail "bad range not explained"
expect_rc 2 "$TG" sweep "$W/mmcc.yaml" --vary policy.capacity.servers=4,x
grep -q "at point 1 (policy.capacity.servers=x)" "$W/err" || fail "bad point not named"
expect_rc 2 "$TG" sweep "$W/mmcc.yaml" --vary policy.capacity.servers=4 --metric 'p77(ok)'
expect_rc 2 "$TG" sweep "$W/mmcc.yaml" --find policy.capacity.servers=1..4
grep -q "go together" "$W/err" || fail "--find without --until"
expect_rc 2 "$TG" sweep "$W/mmcc.yaml" --find policy.capacity.servers --until 'denied < 1%'
expect_rc 0 "$TG" sweep --help
grep -q "LO..HI:xF" "$W/out" || fail "--help lacks the range syntax"
echo PASS
