#!/bin/bash
# test_warnings.sh - what makes a result differ from what the user wrote is
# printed by validate, sim and run ("tollgate CMD: warning: WHERE: ...")
# and recorded in summary.json ("warnings"), the same lines for the file's
# own duration and for --duration / --set duration: events a shortened run
# never reaches (by index, kind and time), traffic phases that end before
# the run.  Every library scenario validates without a warning.  Bounded:
# one 1 s run on 127.0.0.1, short simulations.
# Usage: test_warnings.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-warn-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for f in "$ROOT"/scenarios/*.yaml; do
    "$TG" validate -q "$f" 2>"$W/err" || { cat "$W/err"; fail "$f does not validate"; }
    [ ! -s "$W/err" ] || { cat "$W/err"; fail "$f: validate printed warnings"; }
done

cat >"$W/s.yaml" <<'YAML'
name: warn
seed: 3
duration: 4s
interval: 500ms
accounts:
  - name: users
    count: 4
    traffic: { phases: [ { for: 4s, rate: 10/s } ] }
events:
  - { at: 1s, outage: { for: 500ms } }
  - { at: 3s, maintenance: { for: 500ms } }
YAML
EV="s.yaml:11:11: events\[1\]: maintenance at 3s is at or after the end of the run (duration 2s, set on the command line), so it never happens"
"$TG" validate -q "$W/s.yaml" --set duration=2s 2>"$W/err" >/dev/null || fail "validate 2s"
grep -q "^tollgate validate: warning: .*$EV" "$W/err" || { cat "$W/err"; fail "validate: event not named"; }
for how in "--duration 2s" "--set duration=2s"; do
    # shellcheck disable=SC2086
    "$TG" sim "$W/s.yaml" -q $how -o "$W/sim" 2>"$W/err" || fail "sim $how"
    grep -q "^tollgate sim: warning: .*$EV" "$W/err" || { cat "$W/err"; fail "sim $how: not printed"; }
    grep -q "\"$W/s.yaml:11:11: events\[1\]: maintenance at 3s" "$W/sim/summary.json" \
        || { grep -A3 warnings "$W/sim/summary.json"; fail "sim $how: not recorded"; }
done
# phases that stop before the end, from the file and from an override
"$TG" validate -q "$W/s.yaml" --set duration=6s 2>"$W/err" >/dev/null || fail "validate 6s"
grep -q "the phases end at 4s, before the end of the run (duration 6s, set on the command line): population 'users' sends nothing from 4s on" "$W/err" \
    || { cat "$W/err"; fail "early phases not named"; }
sed 's/^duration: 4s/duration: 6s/; s/at: 3s/at: 5s/' "$W/s.yaml" >"$W/f.yaml"
"$TG" sim "$W/f.yaml" -q -o "$W/f" 2>"$W/err" || fail "sim f"
grep -q "f.yaml:8:24: accounts\[0\].traffic.phases: the phases end at 4s, before the end of the run (duration 6s): population 'users' sends nothing from 4s on" "$W/f/summary.json" \
    || { cat "$W/err"; fail "early phases of the file not recorded"; }
# a run prints and records them too
"$TG" run "$W/s.yaml" -q --duration 2s -o "$W/run" >/dev/null 2>"$W/err" || { cat "$W/err"; fail "run"; }
grep -q "^tollgate run: warning: .*$EV" "$W/err" || { cat "$W/err"; fail "run: not printed"; }
grep -q "events\[1\]: maintenance at 3s" "$W/run/summary.json" || fail "run: not recorded"
# a result without warnings says so
"$TG" sim "$W/s.yaml" -q -o "$W/clean" 2>"$W/err" || fail "sim clean"
[ ! -s "$W/err" ] || { cat "$W/err"; fail "clean sim printed something"; }
grep -q '"warnings": \[\],' "$W/clean/summary.json" || fail "no empty warnings list"
echo "PASS test_warnings"
