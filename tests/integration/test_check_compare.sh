#!/bin/bash
# test_check_compare.sh - `tollgate check` and `tollgate compare` on real
# `tollgate sim` results: verdict lines and counts, exit statuses (0 pass,
# 1 fail, 2 usage/invalid, 3 I/O), the JUnit report's structure and
# escaping, sim --check, and compare's tolerance and CSV output.
#
# Usage: bash test_check_compare.sh TOLLGATE_BINARY SOURCE_DIR
# Every simulation is 20 simulated minutes of a 50-account scenario (well
# under a second each).
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
TMP=$(mktemp -d)
trap '[ -n "${TG_KEEP:-}" ] || rm -rf "$TMP"' EXIT
FAILS=0

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}

# expect_rc WANT DESCRIPTION COMMAND... : runs, keeps stdout/stderr in
# $TMP/out and $TMP/err.
expect_rc() {
    local want=$1 what=$2
    shift 2
    timeout 120 "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$what: exit $rc, want $want"
        sed 's/^/    out: /' "$TMP/out" | head -20
        sed 's/^/    err: /' "$TMP/err" | head -20
    fi
}

expect_grep() {
    local what=$1 pattern=$2 file=$3
    grep -qE -- "$pattern" "$file" || fail "$what: no line matching '$pattern' in $(basename "$file")"
}

# A small scenario: a free tier with a rate limit, a short burst, an
# outage and a maintenance window.  EXPECT is replaced per test.
scenario() {
    cat <<EOF
name: $1
seed: 42
duration: 20m
interval: 10s
policy:
  tiers:
    free:
      limits:
        - { name: rpm, requests: $2, per: 1m }
      credit: { grant: 0.05 }
  models:
    mini:
      input: 0.15/1M
      output: 0.60/1M
      service:
        first_token: lognormal(300ms, 0.5)
        per_token: 8ms
  capacity: { servers: 64, queue: 128, queue_timeout: 5s }
  network:
    rtt: lognormal(40ms, 0.3)
accounts:
  - name: hobbyists
    count: 50
    tier: free
    invalid_key: 0.5%
    tokens:
      prompt: lognormal(400, 1.0)
      completion: lognormal(150, 0.8)
    traffic:
      phases:
        - { for: 5m, rate: 10/s }
        - { for: 2m, rate: 40/s }
        - { for: 13m, rate: 10/s }
    client:
      timeout: 30s
      retry: { max: 2, backoff: exponential, base: 500ms, cap: 20s, jitter: full }
events:
  - { at: 10m, outage: { for: 3m } }
  - { at: 15m, maintenance: { for: 1m } }
expect:
EOF
    shift 2
    for rule in "$@"; do
        printf '  - "%s"\n' "$rule"
    done
}

# ---- check: all rules pass ---------------------------------------------------
scenario pass-case 20 "denied(outage) > 0" "denied < 90%" "goodput > 1/s" \
    "count(ok) > 100" "p99(ok) < 1h" "retry_amplification < 10" \
    >"$TMP/pass.yaml"
expect_rc 0 "sim pass-case" "$BIN" sim "$TMP/pass.yaml" -o "$TMP/pass" -q
expect_rc 0 "check all pass" "$BIN" check "$TMP/pass"
expect_grep "check all pass" '^6 passed, 0 failed$' "$TMP/out"
[ "$(grep -c '^PASS ' "$TMP/out")" -eq 6 ] || fail "check all pass: want 6 PASS lines"
expect_grep "check shows units" '^PASS +denied\(outage\) > 0 +measured [0-9.]+%$' "$TMP/out"
expect_grep "check shows units" '^PASS +goodput > 1/s +measured [0-9.]+/s$' "$TMP/out"
expect_grep "check shows units" '^PASS +p99\(ok\) < 1h +measured [0-9.]+(ms|s)$' "$TMP/out"

# ---- check: some rules fail, JUnit report -----------------------------------
scenario fail-case 20 "denied(rate_limit) < 0.01%" "denied(outage) > 0" \
    "p99(ok) < 1ms" "p99(account_banned) < 1s" >"$TMP/fail.yaml"
expect_rc 0 "sim fail-case" "$BIN" sim "$TMP/fail.yaml" -o "$TMP/fail" -q
expect_rc 1 "check with failures" "$BIN" check "$TMP/fail" --junit "$TMP/j.xml"
expect_grep "check fail counts" '^1 passed, 3 failed$' "$TMP/out"
expect_grep "check fail line" '^FAIL +denied\(rate_limit\) < 0.01% +measured [0-9.]+%' "$TMP/out"
expect_grep "check no samples" '^FAIL +p99\(account_banned\) < 1s +measured no samples' "$TMP/out"
[ -s "$TMP/j.xml" ] || fail "junit file not written"
if command -v python3 >/dev/null; then
    python3 - "$TMP/j.xml" >"$TMP/py" 2>&1 <<'EOF' || { fail "junit structure"; cat "$TMP/py"; }
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
assert root.get("tests") == "4" and root.get("failures") == "3", root.attrib
(suite,) = root.findall("testsuite")
assert suite.get("tests") == "4" and suite.get("failures") == "3", suite.attrib
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["denied(rate_limit) < 0.01%",
    "denied(outage) > 0", "p99(ok) < 1ms", "p99(account_banned) < 1s"], cases
assert all(c.get("classname") == "fail-case" for c in cases)
failed = [c for c in cases if c.find("failure") is not None]
assert len(failed) == 3
for c in failed:
    m = c.find("failure").get("message")
    assert m.startswith("measured ") and "expected " + c.get("name") in m, m
EOF
elif command -v xmllint >/dev/null; then
    xmllint --noout "$TMP/j.xml" || fail "junit not well-formed"
fi
expect_grep "junit classname" 'classname="fail-case"' "$TMP/j.xml"
expect_grep "junit escaping" 'name="p99\(ok\) &lt; 1ms"' "$TMP/j.xml"

# sim --check runs the same evaluation.
expect_rc 1 "sim --check failing" "$BIN" sim "$TMP/fail.yaml" -o "$TMP/fail2" -q --check
expect_grep "sim --check output" '^1 passed, 3 failed$' "$TMP/out"
expect_rc 0 "sim --check passing" "$BIN" sim "$TMP/pass.yaml" -o "$TMP/pass2" -q --check

# ---- check: usage, invalid input, I/O -------------------------------------------
expect_rc 2 "check without DIR" "$BIN" check
expect_rc 2 "check --junit without FILE" "$BIN" check "$TMP/pass" --junit
expect_rc 2 "check two dirs" "$BIN" check "$TMP/pass" "$TMP/fail"
expect_rc 0 "check --help" "$BIN" check --help
expect_grep "check --help" 'Usage: tollgate check DIR' "$TMP/out"
expect_rc 3 "check missing dir" "$BIN" check "$TMP/nonexistent"
expect_rc 3 "check unwritable junit" "$BIN" check "$TMP/pass" --junit "$TMP/no/such/dir/j.xml"
cp -r "$TMP/pass" "$TMP/garbage"
echo '{"requests": [1, 2' >"$TMP/garbage/summary.json"
expect_rc 2 "check malformed summary" "$BIN" check "$TMP/garbage"
cp -r "$TMP/pass" "$TMP/badrule"
sed -i 's/denied < 90%/denied < 90 percent/' "$TMP/badrule/scenario.yaml"
expect_rc 2 "check invalid rule" "$BIN" check "$TMP/badrule"
expect_grep "rule error has line:col" 'scenario.yaml:[0-9]+:[0-9]+: .*unexpected space in threshold' "$TMP/err"

# ---- compare -----------------------------------------------------------------
expect_rc 0 "compare identical" "$BIN" compare "$TMP/pass" "$TMP/pass2" -o "$TMP/cmp"
expect_grep "compare identical" '^[0-9]+ within tolerance, 0 outside$' "$TMP/out"
expect_grep "compare zero reasons in one line" '^  \([0-9]+ other reasons: 0 in both\)$' "$TMP/out"
expect_grep "compare both levels" '^  requests: outcome share' "$TMP/out"
expect_grep "compare ratios" '^  retry amplification ' "$TMP/out"
[ -s "$TMP/cmp/compare.csv" ] || fail "compare.csv not written where -o says"
[ ! -e "$TMP/pass2/compare.csv" ] && [ ! -e "$TMP/pass/compare.csv" ] ||
    fail "compare wrote into an input directory"
expect_grep "compare.csv header" '^kind,name,a,b,diff,rel_diff_pct,allowed,within$' "$TMP/cmp/compare.csv"
expect_grep "compare.csv rate row" '^rate,denied,' "$TMP/cmp/compare.csv"
expect_grep "compare.csv latency row" '^latency,ok p99,' "$TMP/cmp/compare.csv"
expect_grep "compare.csv request row" '^request_rate,requests denied,' "$TMP/cmp/compare.csv"
expect_grep "compare.csv request latency" '^request_latency,requests all p99,' "$TMP/cmp/compare.csv"
expect_rc 2 "compare -o into an input" "$BIN" compare "$TMP/pass" "$TMP/pass2" -o "$TMP/pass2"
expect_grep "compare -o input message" 'is one of the compared directories' "$TMP/err"

# A tighter rate limit changes the denial mix far beyond 2 points.
scenario pass-case 5 "denied < 100%" >"$TMP/tight.yaml"
expect_rc 0 "sim tight" "$BIN" sim "$TMP/tight.yaml" -o "$TMP/tight" -q
expect_rc 1 "compare different" "$BIN" compare "$TMP/pass" "$TMP/tight"
expect_grep "compare marks outside" '^  rate_limit .*OUTSIDE$' "$TMP/out"
expect_rc 0 "compare with loose tolerances" "$BIN" compare "$TMP/pass" \
    "$TMP/tight" --tolerance 100% --latency-tolerance 100000% \
    --ratio-tolerance 100000% --csv "$TMP/c.csv"
# Regression mode: the tighter limit is worse than the baseline (fails);
# the baseline is better than the tighter limit (passes).
expect_rc 1 "compare --regression worse" "$BIN" compare "$TMP/pass" "$TMP/tight" --regression
expect_grep "compare --regression says so" '^regression \(only worse than A fails\)' "$TMP/out"
# Baseline tight, candidate loose: far fewer rate_limit denials (better,
# within however large) but more credit exhaustion and overload (worse).
expect_rc 1 "compare --regression mixed" "$BIN" compare "$TMP/tight" "$TMP/pass" --regression
expect_grep "regression: better is within" '^  rate_limit .*-[0-9.]+pp  within$' "$TMP/out"
expect_grep "regression: worse is outside" '^  overloaded .*\+[0-9.]+pp  OUTSIDE$' "$TMP/out"
# Incomplete results and a lagging generator are not evidence by default.
cp -r "$TMP/pass2" "$TMP/partial"
sed -i 's/"complete": true/"complete": false/' "$TMP/partial/summary.json"
expect_rc 1 "compare incomplete" "$BIN" compare "$TMP/pass" "$TMP/partial"
expect_grep "compare incomplete says why" '^NOT ACCEPTED: B .* is incomplete' "$TMP/out"
expect_rc 0 "compare --accept-incomplete" "$BIN" compare "$TMP/pass" "$TMP/partial" --accept-incomplete
cp -r "$TMP/pass2" "$TMP/lagged"
python3 - "$TMP/lagged/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["generator"] = {"kept_up": False, "dropped_requests": 3, "shards": 1}
json.dump(d, open(sys.argv[1], "w"))
PY
expect_rc 1 "compare lagging generator" "$BIN" compare "$TMP/lagged" "$TMP/pass"
expect_grep "compare lag says why" '^NOT ACCEPTED: A .* did not keep up' "$TMP/out"
expect_rc 0 "compare --accept-generator-lag" "$BIN" compare "$TMP/lagged" "$TMP/pass" --accept-generator-lag
[ -s "$TMP/c.csv" ] || fail "compare --csv FILE not written"
expect_rc 1 "compare --csv -" "$BIN" compare "$TMP/pass" "$TMP/tight" --csv -
expect_grep "compare --csv - on stdout" '^kind,name,a,b' "$TMP/out"
expect_grep "compare --csv - table on stderr" 'outside$' "$TMP/err"

# Replications: both sides carry ci95; a different seed is within.
expect_rc 0 "sim replications A" "$BIN" sim "$TMP/pass.yaml" -o "$TMP/repa" -q --replications 4
expect_rc 0 "sim replications B" "$BIN" sim "$TMP/pass.yaml" -o "$TMP/repb" -q --replications 4 --seed 1234
expect_rc 0 "compare replications" "$BIN" compare "$TMP/repa" "$TMP/repb" --tolerance 5% --latency-tolerance 25%
expect_grep "compare replications header" 'replications\)$' "$TMP/out"

expect_rc 2 "compare one dir" "$BIN" compare "$TMP/pass"
expect_rc 2 "compare three dirs" "$BIN" compare "$TMP/pass" "$TMP/pass2" "$TMP/fail"
expect_rc 2 "compare bad tolerance" "$BIN" compare "$TMP/pass" "$TMP/pass2" --tolerance lots
expect_rc 2 "compare option without value" "$BIN" compare "$TMP/pass" "$TMP/pass2" --tolerance
expect_rc 3 "compare missing dir" "$BIN" compare "$TMP/pass" "$TMP/nonexistent"
expect_rc 0 "compare --help" "$BIN" compare --help

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "ok: check and compare"
