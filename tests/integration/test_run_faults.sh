#!/usr/bin/env bash
# ctest-labels: threaded
# run survives a misbehaving server (tests/integration/faultsrv.c) and
# classifies each misbehaviour: reset -> network, hang -> timeout,
# garbage -> server_error, close mid-response -> network, an SSE error
# after 200 -> overloaded, a slow drip within the timeout -> ok, a 16 MiB
# body -> ok with bounded memory, too few connections for a hanging
# server -> dropped requests and "generator": {"kept_up": false}.  Every run's totals add up (attempts ==
# ok + sum of reasons == offered, no retries here).  Also: exit 3 when
# the target is unreachable at start, and SIGINT ends a run early with
# complete results marked complete=false.  Threaded (label `threaded`:
# run it under TSan too).  Bounded: about 15 s in all, 127.0.0.1 only.
source "$(dirname "$0")/run_common.sh"

scenario() { # name rate/s duration timeout -> $WORK/NAME.yaml
  cat >"$WORK/$1.yaml" <<YAML
name: fault-$1
duration: $3
interval: 250ms
accounts:
  - name: c
    count: 4
    traffic: { arrival: uniform, phases: [ { for: $3, rate: $2/s } ] }
    client: { timeout: $4 }
live:
  request: { method: POST, path: /v1/chat/completions }
  connections: 32
  threads: 2
YAML
}

# check MODE WANT_REASON RATE DURATION TIMEOUT [MAX_RSS_KB]
check() {
  local mode=$1 want=$2 out=$WORK/res-$1
  scenario "$mode" "$3" "$4" "$5"
  start_faultsrv "$mode"
  maxrss_run "$WORK/$mode.rss" \
    "$TG" run "$WORK/$mode.yaml" --target "http://127.0.0.1:$FAULT_PORT" \
    -o "$out" -q >"$WORK/$mode.out" 2>"$WORK/$mode.err" ||
    { cat "$WORK/$mode.err"; fail "$mode: run failed"; }
  stop_last
  python3 - "$out/summary.json" "$want" "$mode" <<'PY' || fail "$mode"
import json, sys
d = json.load(open(sys.argv[1]))
want, mode = sys.argv[2], sys.argv[3]
r = d["requests"]
summed = r["ok"] + sum(d["denied_by_reason"].values())
got = r["ok"] if want == "ok" else d["denied_by_reason"][want]
print(f"{mode}: {got}/{r['attempts']} {want}; unique {r['unique']}")
sys.exit(0 if r["attempts"] > 0 and got == r["attempts"] == summed == r["unique"] else 1)
PY
  local rss
  rss=$(tail -1 "$WORK/$mode.rss")
  echo "$mode: max RSS ${rss} KB"
  [ -z "${6:-}" ] || [ "$rss" -le "$6" ] || fail "$mode: RSS $rss KB > $6 KB"
}

check reset network 40 500ms 1s
check hang timeout 40 500ms 300ms
check garbage server_error 40 500ms 1s
check midclose network 40 500ms 1s
check sse_error overloaded 40 500ms 1s
check drip ok 20 500ms 3s
# 5/s x 16 MiB: bodies are read and discarded past 64 KiB per request.
check oversized ok 5 1s 10s 120000

# Too few connections for a hanging server: requests wait for one and
# those that wait past their timeout are dropped; summary.json says the
# generator did not keep up (not only generator.json and stderr).
scenario late 40 500ms 300ms
sed -i 's/connections: 32/connections: 2/' "$WORK/late.yaml"
start_faultsrv hang
"$TG" run "$WORK/late.yaml" --target "http://127.0.0.1:$FAULT_PORT" \
  -o "$WORK/late" -q >/dev/null 2>"$WORK/late.err" || fail "late: run failed"
stop_last
grep -q "could not keep up" "$WORK/late.err" || fail "late: no warning"
grep -q "waited for a connection" "$WORK/late.err" || fail "late: no cause"
python3 - "$WORK/late/summary.json" "$WORK/late/generator.json" <<'PY' || fail "late: summary"
import json, sys
d, g = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
gen, r = d["generator"], d["requests"]
print(f"late: {gen}; unique {r['unique']} attempts {r['attempts']}")
ok = (gen["kept_up"] is False and gen["dropped_requests"] > 0
      and gen["dropped_requests"]
          == g["dropped_no_connection"] + g["dropped_at_drain_end"]
      and d["final_outcome"]["not_sent"] == gen["dropped_requests"]
      and gen["waited_for_connection"] > 0 and gen["connections"] == 2
      and gen["sent"] == r["attempts"] == r["denied"]
      and r["unique"] == r["attempts"] + gen["dropped_requests"] == 20)
sys.exit(0 if ok else 1)
PY

# Unreachable at start: exit status 3, no results.
scenario down 10 1s 1s
PORT=$(free_port)
set +e
"$TG" run "$WORK/down.yaml" --target "http://127.0.0.1:$PORT" -o "$WORK/down" -q \
  >/dev/null 2>"$WORK/down.err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "unreachable target: exit $rc, want 3"
grep -q unreachable "$WORK/down.err" || fail "no 'unreachable' message"

# SIGINT after ~1 s of a 30 s run: clean stop, complete=false, totals add
# up (requests in flight at the stop end as abandoned_in_flight).
scenario sigint 50 30s 1s
start_faultsrv ok
"$TG" run "$WORK/sigint.yaml" --target "http://127.0.0.1:$FAULT_PORT" \
  -o "$WORK/sigint" -q >"$WORK/sigint.out" 2>"$WORK/sigint.err" &
RUN=$!
sleep 1.2
kill -INT "$RUN"
set +e
wait "$RUN"
rc=$?
set -e
[ "$rc" = 130 ] || fail "run exited $rc after SIGINT, want 130 (128 + SIGINT)"
python3 - "$WORK/sigint/summary.json" <<'PY' || fail "SIGINT results"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["requests"]
summed = r["ok"] + sum(d["denied_by_reason"].values())
finals = sum(d["final_outcome"].values())
print(f"sigint: complete={d['complete']} attempts={r['attempts']} duration_s={d['duration_s']} "
      f"unique={r['unique']} finals={finals}")
sys.exit(0 if (not d["complete"] and r["attempts"] == summed > 20 and d["duration_s"] < 5
               and finals == r["unique"]) else 1)
PY
for f in summary.json timeseries.csv latency.hgrm histograms.tgh scenario.yaml events.csv; do
  [ -s "$WORK/sigint/$f" ] || fail "SIGINT: $f missing"
done
echo "PASS test_run_faults"
