#!/usr/bin/env bash
# ctest-labels: threaded
# A traffic event shapes the request stream identically in sim and run.
# "steady" sends uniform 40/s (deterministic) tripled over [1s, 3s);
# "random" sends Poisson 30/s; everyone doubles over [2s, 3s).  Offered
# requests per 1-s interval, unique requests per population and the
# events.csv rows must be the same in `sim` and in `run` against the
# embedded serve, and steady's counts are the hand-worked ones: 40, 120,
# 240 (40 x 3 x 2), 40, so 440 in all.  Bounded: 4 s of loopback traffic
# at under 300 requests per second.
source "$(dirname "$0")/run_common.sh"

cat >"$WORK/traffic.yaml" <<'YAML'
name: traffic-event
seed: 3
duration: 4s
interval: 1s
accounts:
  - name: steady
    count: 20
    traffic: { arrival: uniform, phases: [ { for: 4s, rate: 40/s } ] }
  - name: random
    count: 20
    traffic: { phases: [ { for: 4s, rate: 30/s } ] }
events:
  - { at: 1s, traffic: { factor: 3, for: 2s, accounts: steady } }
  - { at: 2s, traffic: { factor: 2, for: 1s } }
live:
  connections: 16
  threads: 2
YAML

"$TG" sim "$WORK/traffic.yaml" -q -o "$WORK/sim" >/dev/null ||
  fail "sim exited $?"
"$TG" run "$WORK/traffic.yaml" -q -o "$WORK/run" >/dev/null ||
  fail "run exited $?"

# offered per interval (column "offered" by name)
offered() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "offered") c = i; next }
           { printf "%s ", $c }' "$1/timeseries.csv"
}
s=$(offered "$WORK/sim")
r=$(offered "$WORK/run")
[ "$s" = "$r" ] || fail "offered per interval: sim [$s], run [$r]"

unique() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/summary.json"))
print(d["populations"][sys.argv[2]]["requests"]["unique"])' "$1" "$2"
}
[ "$(unique "$WORK/sim" steady)" = 440 ] ||
  fail "sim steady unique $(unique "$WORK/sim" steady), want 440"
[ "$(unique "$WORK/run" steady)" = 440 ] ||
  fail "run steady unique $(unique "$WORK/run" steady), want 440"
[ "$(unique "$WORK/sim" random)" = "$(unique "$WORK/run" random)" ] ||
  fail "random unique differs between sim and run"

want='start_s,end_s,kind,label
1,3,traffic,x3 steady
2,3,traffic,x2 all'
for m in sim run; do
  got=$(cat "$WORK/$m/events.csv")
  [ "$got" = "$want" ] || fail "$m events.csv: $got"
done

# Without the events the steady population sends 160 (40 per second).
sed '/^events:/,/^live:/{/^live:/!d}' "$WORK/traffic.yaml" >"$WORK/plain.yaml"
"$TG" sim "$WORK/plain.yaml" -q -o "$WORK/plain" >/dev/null ||
  fail "plain sim exited $?"
[ "$(unique "$WORK/plain" steady)" = 160 ] ||
  fail "plain steady unique $(unique "$WORK/plain" steady), want 160"
echo "ok: traffic events shape sim and run alike"
