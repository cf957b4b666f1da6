#!/usr/bin/env bash
# ctest-labels: threaded
# Every unique request of a run ends in exactly one final outcome, also
# when the generator loses requests, and the totals say so:
#   sum(final_outcome) == requests.unique,
#   requests.attempts == ok + sum(denied_by_reason),
#   generator.sent == attempts + abandoned_in_flight,
#   final_outcome.not_sent == generator.dropped_requests.
# Cases (faultsrv on 127.0.0.1):
#  - a target that never answers, 30 s client timeout, --drain 300ms:
#    every request is abandoned_in_flight, "complete": false, and the
#    terminal output says so;
#  - a rate far above what --connections carry (hanging target, 2
#    connections, 200/s, one retry): most requests not_sent, kept_up
#    false;
#  - the same as two shards, merged: the merged totals add up too.
# Bounded: four runs of about 1.5 s.
source "$(dirname "$0")/run_common.sh"

scenario() { # name rate/s duration timeout retries connections -> $WORK/NAME.yaml
  cat >"$WORK/$1.yaml" <<YAML
name: acct-$1
duration: $3
interval: 250ms
accounts:
  - name: c
    count: 8
    traffic: { arrival: uniform, phases: [ { for: $3, rate: $2/s } ] }
    client: { timeout: $4, retry: { max: $5, backoff: constant, base: 10ms, jitter: none } }
live:
  connections: $6
  threads: 2
YAML
}

# sums DIR LABEL: the identities above; prints the counts.
sums() {
  python3 - "$1/summary.json" "$2" <<'PY' || fail "$2: totals do not add up"
import json, sys
d, label = json.load(open(sys.argv[1])), sys.argv[2]
r, g, f = d["requests"], d["generator"], d["final_outcome"]
finals = sum(f.values())
print(f"{label}: unique {r['unique']} finals {finals} attempts {r['attempts']} "
      f"sent {g['sent']} not_sent {f['not_sent']} abandoned {f['abandoned_in_flight']} "
      f"complete {d['complete']} kept_up {g['kept_up']}")
ok = (finals == r["unique"] > 0
      and r["attempts"] == r["ok"] + sum(d["denied_by_reason"].values())
      and g["sent"] == r["attempts"] + g["abandoned_in_flight"]
      and f["abandoned_in_flight"] == g["abandoned_in_flight"]
      and f["not_sent"] == g["dropped_requests"])
sys.exit(0 if ok else 1)
PY
}

start_faultsrv hang
T=http://127.0.0.1:$FAULT_PORT

# ---- never answers, tiny drain --------------------------------------------
scenario silent 10 500ms 30s 0 8
"$TG" run "$WORK/silent.yaml" --target "$T" --drain 300ms -o "$WORK/silent" -q \
  >"$WORK/silent.out" 2>"$WORK/silent.err" || { cat "$WORK/silent.err"; fail "silent: run failed"; }
sums "$WORK/silent" silent
python3 - "$WORK/silent/summary.json" <<'PY' || fail "silent: not all abandoned / complete"
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if (d["requests"]["unique"] == 5 == d["final_outcome"]["abandoned_in_flight"]
               and d["requests"]["attempts"] == 0 and d["complete"] is False) else 1)
PY
grep -q "(incomplete: answers missing)" "$WORK/silent.out" || fail "silent: stdout does not say incomplete"
grep -q "requests (what your callers see): 5, ok 0, denied 0 (0.00%), lost 5 (100.00%)" \
  "$WORK/silent.out" || fail "silent: stdout has no request counts"
grep -q "lost by the load generator: 0 not_sent, 5 abandoned_in_flight" \
  "$WORK/silent.out" || fail "silent: stdout has no lost counts"
grep -q "5 requests were still in flight when the run ended" "$WORK/silent.err" ||
  fail "silent: no warning"
grep -q '"drain_s": 0.300' "$WORK/silent/generator.json" || fail "silent: drain_s"

# ---- far above what the connections carry ---------------------------------
scenario flood 200 1s 300ms 1 2
"$TG" run "$WORK/flood.yaml" --target "$T" -o "$WORK/flood" -q \
  >"$WORK/flood.out" 2>"$WORK/flood.err" || { cat "$WORK/flood.err"; fail "flood: run failed"; }
sums "$WORK/flood" flood
python3 - "$WORK/flood/summary.json" <<'PY' || fail "flood: not flagged"
import json, sys
d = json.load(open(sys.argv[1]))
f, g = d["final_outcome"], d["generator"]
sys.exit(0 if (d["requests"]["unique"] == 200 and f["not_sent"] > 100
               and g["kept_up"] is False) else 1)
PY
grep -q "requests not sent" "$WORK/flood.err" || fail "flood: no warning"
grep -q "requests never got one (all 2 busy)" "$WORK/flood.err" || fail "flood: no cause"
grep -q "not_sent" "$WORK/flood.out" || fail "flood: stdout has no count"

# ---- the same as two shards, merged -----------------------------------------
for i in 0 1; do
  "$TG" run "$WORK/flood.yaml" --target "$T" --shard "$i/2" -o "$WORK/shard$i" -q \
    >/dev/null 2>&1 || fail "shard $i: run failed"
  sums "$WORK/shard$i" "shard $i"
done
"$TG" merge -o "$WORK/merged" "$WORK/shard0" "$WORK/shard1" >/dev/null || fail "merge failed"
sums "$WORK/merged" merged
python3 - "$WORK/shard0/summary.json" "$WORK/shard1/summary.json" "$WORK/merged/summary.json" <<'PY' || fail "merged counts are not the shards' sums"
import json, sys
a, b, m = (json.load(open(p)) for p in sys.argv[1:])
keys = ["not_sent", "abandoned_in_flight"]
ok = all(m["final_outcome"][k] == a["final_outcome"][k] + b["final_outcome"][k] for k in keys)
ok = ok and m["requests"]["unique"] == a["requests"]["unique"] + b["requests"]["unique"] == 200
sys.exit(0 if ok else 1)
PY
echo "PASS test_run_accounting"
