#!/usr/bin/env bash
# ctest-labels: serve
# test_serve_agree.sh - one model, two clocks: `tollgate sim` and
# `tollgate run` against the embedded `tollgate serve` give the same
# denial rate for every reason (within 1 percentage point: the request
# streams are identical, only real-time jitter at limiter refills and at
# the outage's edges can move a request), and serve's own server-side
# results count the same outcomes as the client saw; and all three list
# the same event occurrences (events.csv), random ones included.
# Scenarios: tests/integration/serve/agree.yaml (exact up to jitter) and
# agree_capacity.yaml (statistical), and agree_keyed.yaml (the same draws
# request by request), 20 s of traffic each.
#
# Usage: bash test_serve_agree.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"
SCN=$SRC/tests/integration/serve/agree.yaml

# Prints "id count" for attempts and every reason of a summary.json (the
# top-level block: the first "denied_by_reason" in the file).
counts() {
    awk '
        /"attempts":/ && !a { gsub(/[^0-9]/, "", $2); print "attempts", $2; a = 1 }
        /"ok":/ && !o && a { gsub(/[^0-9]/, "", $2); print "ok", $2; o = 1 }
        /"denied_by_reason"/ && !done { inb = 1; next }
        inb && /}/ { inb = 0; done = 1 }
        inb { gsub(/[":,]/, " "); print $1, $2 }
    ' "$1"
}

# Compares two count lists as rates of attempts; TOL in percentage points.
agree() { # NAME FILE_A FILE_B TOL
    local name=$1 a=$2 b=$3 tol=$4
    counts "$a" >"$WORK/a"
    counts "$b" >"$WORK/b"
    local na nb
    na=$(awk '$1 == "attempts" { print $2 }' "$WORK/a")
    nb=$(awk '$1 == "attempts" { print $2 }' "$WORK/b")
    check "$name: attempts ($na vs $nb)" \
        awk -v x="$na" -v y="$nb" 'BEGIN { exit !(x > 500 && y > 500 && (x - y) ^ 2 <= (0.01 * x) ^ 2) }'
    join "$WORK/a" "$WORK/b" | while read -r id ca cb; do
        [ "$id" = attempts ] && continue
        if awk -v a="$ca" -v b="$cb" -v na="$na" -v nb="$nb" -v t="$tol" \
            'BEGIN { d = 100 * (a / na - b / nb); exit !(d <= t && d >= -t) }'; then
            echo pass
        else
            echo "FAIL: $name: $id $ca/$na vs $cb/$nb (more than $tol points)"
        fi
    done >"$WORK/res"
    while read -r line; do
        if [ "$line" = pass ]; then
            PASSES=$((PASSES + 1))
        else
            FAILS=$((FAILS + 1))
            echo "$line"
        fi
    done <"$WORK/res"
}

"$TG" sim "$SCN" -o "$WORK/sim" -q >"$WORK/sim.log" 2>&1
SIM_STATUS=$?
check "sim ran (status $SIM_STATUS)" test -s "$WORK/sim/summary.json" -a "$SIM_STATUS" = 0
"$TG" run "$SCN" -o "$WORK/run" -q >"$WORK/run.log" 2>&1
RUN_STATUS=$?
check "run against the embedded serve ran (status $RUN_STATUS)" \
    test -s "$WORK/run/summary.json" -a "$RUN_STATUS" = 0
[ "$RUN_STATUS" = 0 ] || cat "$WORK/run.log"
check "serve's results written beside run's" \
    test -s "$WORK/run/serve/summary.json"
for r in ok rate_limit outage invalid_key region_blocked unauthorized_lockout \
    policy_violation bad_request; do
    check "sim has $r" grep -Eq "\"$r\": [1-9]" "$WORK/sim/summary.json"
done
agree "sim vs run" "$WORK/sim/summary.json" "$WORK/run/summary.json" 1
# One timeline in every engine: run predicts exactly what sim simulated,
# random occurrences included, and serve played the same occurrences on
# the real clock (each start a timer's lateness after sim's).
check "events.csv: run's prediction equals sim's" \
    cmp "$WORK/sim/events.csv" "$WORK/run/events.csv"
check "events.csv: serve played sim's occurrences (within 0.2 s)" \
    python3 - "$WORK/sim/events.csv" "$WORK/run/serve/events.csv" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
ok = len(a) == len(b) and len(a) >= 3 and all(
    x["kind"] == y["kind"] and x["label"] == y["label"]
    and abs(float(x["start_s"]) - float(y["start_s"])) < 0.2
    for x, y in zip(a, b))
if not ok:
    print("sim:", a, "serve:", b)
sys.exit(0 if ok else 1)
PY
agree "run (client) vs serve (server)" "$WORK/run/summary.json" \
    "$WORK/run/serve/summary.json" 0.5
check "serve mode" grep -q '"mode": "serve"' "$WORK/run/serve/summary.json"

# The capacity model agrees statistically: service times and server errors
# are drawn from other streams live, so overloaded and server_error differ
# by chance only.  Over 8 sim seeds overloaded is 25-29% (sd ~1.3 points),
# so two realizations differ by more than 5 points with p < 1%.
SCN=$SRC/tests/integration/serve/agree_capacity.yaml
"$TG" sim "$SCN" -o "$WORK/csim" -q >"$WORK/csim.log" 2>&1
check "capacity: sim ran" test -s "$WORK/csim/summary.json"
"$TG" run "$SCN" -o "$WORK/crun" -q >"$WORK/crun.log" 2>&1
RUN_STATUS=$?
check "capacity: run ran (status $RUN_STATUS)" \
    test -s "$WORK/crun/summary.json" -a "$RUN_STATUS" = 0
for r in ok overloaded server_error; do
    check "capacity: sim has $r" grep -Eq "\"$r\": [1-9]" "$WORK/csim/summary.json"
done
agree "capacity: sim vs run" "$WORK/csim/summary.json" \
    "$WORK/crun/summary.json" 5

# Keyed draws: service time and server_error of every attempt come from
# the attempt's own stream (seed, request, attempt), and run tells its
# embedded serve which attempt it sends, so both engines draw the same
# numbers request by request.  Per population, server_error agrees within
# 0.3 points and every other outcome within 2 points (timeouts sit at a
# real-time boundary that a loaded machine moves: 1.3 points seen with
# the whole suite running on two cores).  Before the keyed draws (draws in the order the
# engine asked; simultaneous requests of the two populations reach serve
# in the threads' order) the per-population server_error gaps were
# 1.24 and 1.77 points, all reasons up to 1.77 (seed 11).
SCN=$SRC/tests/integration/serve/agree_keyed.yaml
"$TG" sim "$SCN" -o "$WORK/ksim" -q >"$WORK/ksim.log" 2>&1
check "keyed: sim ran" test -s "$WORK/ksim/summary.json"
"$TG" run "$SCN" -o "$WORK/krun" -q >"$WORK/krun.log" 2>&1
RUN_STATUS=$?
check "keyed: run ran (status $RUN_STATUS)" \
    test -s "$WORK/krun/summary.json" -a "$RUN_STATUS" = 0
check "keyed: per population, server_error within 0.3 points, the rest within 2" \
    python3 - "$WORK/ksim/summary.json" "$WORK/krun/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
bad = []
for name in ("patient", "hasty"):
    pa, pb = a["populations"][name], b["populations"][name]
    na, nb = pa["requests"]["attempts"], pb["requests"]["attempts"]
    if na < 1500 or nb < 1500:
        bad.append("%s: too few attempts %d %d" % (name, na, nb))
        continue
    counts = lambda p: dict(p["denied_by_reason"], ok=p["requests"]["ok"])
    ca, cb = counts(pa), counts(pb)
    if ca["server_error"] < 100:
        bad.append("%s: no server errors to compare" % name)
    for r in ca:
        gap = 100 * abs(ca[r] / na - cb[r] / nb)
        tol = 0.3 if r == "server_error" else 2.0
        if gap > tol:
            bad.append("%s %s: %d/%d vs %d/%d (%.2f points)"
                       % (name, r, ca[r], na, cb[r], nb, gap))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

finish
