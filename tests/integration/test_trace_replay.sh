#!/bin/bash
# ctest-labels: threaded
# test_trace_replay.sh - `traffic: { trace: }` end to end:
#   - sim offers exactly the file's requests in every interval (the
#     `offered` column of timeseries.csv against counts made here from the
#     file with python3), with speed and start applied;
#   - the same trace as CSV and as JSON lines gives identical results;
#   - skipped lines are reported on stderr and in trace.txt, by reason
#     and first line;
#   - `run` (embedded serve on 127.0.0.1, a 6 s trace) sends exactly the
#     file's requests;
#   - scenario errors: a missing file, trace with phases or arrival:, a
#     traffic: event on a trace population.
# Usage: test_trace_replay.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-trace-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { # expect_rc WANT CMD...
    local want=$1; shift
    "$@" >"$W/out" 2>"$W/err"; local rc=$?
    [ "$rc" = "$want" ] || { cat "$W/out" "$W/err"; fail "'$*' exited $rc, want $want"; }
}

python3 "$ROOT/scripts/gen_trace.py" 3000 "$W/t.csv" --seconds 1200 --accounts 30 --seed 3
python3 "$ROOT/scripts/gen_trace.py" 3000 "$W/t.jsonl" --seconds 1200 --accounts 30 --seed 3 --jsonl
scenario() { # FILE TRACE [EXTRA]: no limits, no faults: one attempt per request
    cat >"$1" <<YAML
name: replay
seed: 1
duration: 10m
interval: 30s
policy:
  models:
    chat: { input: 0/1M, output: 0/1M, service: { first_token: 50ms, per_token: 0ms } }
    large: { input: 0/1M, output: 0/1M, service: { first_token: 50ms, per_token: 0ms } }
accounts:
  - name: r
    count: 30
    models: { chat: 1 }
    traffic:
      trace: { file: $2, start: 60s, speed: 2 ${3:-} }
YAML
}
scenario "$W/csv.yaml" t.csv
scenario "$W/jsonl.yaml" t.jsonl
expect_rc 0 "$TG" sim "$W/csv.yaml" -q -o "$W/csv"
grep -q "r: 3000 lines" "$W/err" || { cat "$W/err"; fail "no trace report"; }
[ -s "$W/csv/trace.txt" ] || fail "no trace.txt"
python3 - "$W/t.csv" "$W/csv/timeseries.csv" <<'PY' || fail "offered per interval differs from the file"
import csv, datetime, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ts = [datetime.datetime.strptime(r["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ") for r in rows]
origin = ts[0]
want = {}
for t in ts:  # replay time = (trace time - origin - 60 s) / 2, within 10 min
    s = ((t - origin).total_seconds() - 60) / 2
    if 0 <= s < 600:
        want[int(s // 30)] = want.get(int(s // 30), 0) + 1
got = {int(float(r["t_s"])) // 30: int(r["offered"]) for r in csv.DictReader(open(sys.argv[2]))}
for k in range(20):
    assert got.get(k, 0) == want.get(k, 0), (k, got.get(k), want.get(k))
print("offered per 30 s interval matches the file:", [want.get(k, 0) for k in range(20)])
PY
expect_rc 0 "$TG" sim "$W/jsonl.yaml" -q -o "$W/jsonl"
for f in summary.json timeseries.csv latency.hgrm; do
    cmp -s "$W/csv/$f" "$W/jsonl/$f" || fail "CSV and JSON lines differ in $f"
done

# skipped lines are reported by reason with their first line
# (after line 3, at its time: a line without a time, a short line, an
# unknown model; then one earlier than its predecessor)
t3=$(sed -n 3p "$W/t.csv" | cut -d, -f1)
{ head -3 "$W/t.csv"; echo "noon,acct-1,chat,1,1"; echo "$t3,acct-1"
  echo "$t3,acct-1,gpt-9,1,1"; echo "2026-05-01T08:00:00.000Z,acct-2,chat,1,1"
  sed -n '4,$p' "$W/t.csv"; } >"$W/bad.csv"
scenario "$W/bad.yaml" bad.csv
expect_rc 0 "$TG" sim "$W/bad.yaml" -q -o "$W/bad"
for want in "3004 lines, 2856 requests" "skipped 1 no_time (first at line 4)" \
    "skipped 1 malformed (first at line 5)" "skipped 1 unknown_model (first at line 6)" \
    "skipped 1 out_of_order (first at line 7)"; do
    grep -qF "$want" "$W/err" || { cat "$W/err"; fail "report lacks '$want'"; }
    grep -qF "$want" "$W/bad/trace.txt" || fail "trace.txt lacks '$want'"
done

# run: the embedded serve on loopback gets exactly the trace's requests
python3 "$ROOT/scripts/gen_trace.py" 60 "$W/short.csv" --seconds 5 --accounts 5 --seed 9
cat >"$W/run.yaml" <<YAML
name: replay-run
duration: 6s
policy:
  models:
    chat: { input: 0/1M, output: 0/1M, service: { first_token: 10ms, per_token: 0ms } }
    large: { input: 0/1M, output: 0/1M, service: { first_token: 10ms, per_token: 0ms } }
accounts:
  - name: r
    count: 5
    models: { chat: 1 }
    traffic:
      trace: { file: short.csv }
YAML
expect_rc 0 timeout 60 "$TG" run "$W/run.yaml" -q -o "$W/run"
grep -q '"unique": 60,' "$W/run/summary.json" || { grep -m3 unique "$W/run/summary.json"; fail "run did not send the 60 requests"; }
grep -q "r: 60 lines, 60 requests" "$W/run/trace.txt" || fail "run's trace.txt"

# scenario errors, located
scenario "$W/missing.yaml" nope.csv
expect_rc 2 "$TG" validate "$W/missing.yaml"
grep -q "accounts\[0\].traffic.trace.file: cannot read the trace" "$W/err" || { cat "$W/err"; fail "missing file"; }
scenario "$W/both.yaml" t.csv ", scale: 0"
expect_rc 2 "$TG" validate "$W/both.yaml"
sed 's/    traffic:/    traffic:\n      arrival: uniform/' "$W/csv.yaml" >"$W/arr.yaml"
expect_rc 2 "$TG" validate "$W/arr.yaml"
grep -q "brings its own arrival times" "$W/err" || { cat "$W/err"; fail "trace + arrival"; }
cat "$W/csv.yaml" - >"$W/ev.yaml" <<'YAML'
events:
  - { at: 1m, traffic: { factor: 2, for: 1m } }
YAML
expect_rc 2 "$TG" validate "$W/ev.yaml"
grep -q "replays a trace at its recorded times" "$W/err" || { cat "$W/err"; fail "traffic event on a trace"; }
echo PASS
