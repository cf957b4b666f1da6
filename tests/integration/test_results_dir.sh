#!/bin/bash
# test_results_dir.sh - a results directory holds exactly one run: reusing
# -o DIR across sim, sim --replications, run (embedded serve), plot and
# merge (and a compare.csv an older compare wrote into it) leaves no file of an earlier command (generator.json,
# serve/, replications/, compare.csv, plots/); a non-empty directory that
# is not a results directory is refused and left alone; nothing is left
# beside DIR.  Bounded: one 2 s run on 127.0.0.1, short simulations.
# Usage: test_results_dir.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-resdir-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
D=$W/out/d
cat >"$W/s.yaml" <<'YAML'
name: resdir
seed: 3
duration: 2s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rps, requests: 10, per: 1s } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
accounts:
  - name: users
    count: 4
    tier: free
    traffic: { phases: [ { for: 2s, rate: 20/s } ] }
YAML
has() { [ -e "$D/$1" ] || fail "$2: $D/$1 missing"; }
hasnt() { [ ! -e "$D/$1" ] || fail "$2: stale $D/$1 survived"; }
no_siblings() {
    ls -a "$W/out" | grep -q 'tollgate-' && { ls -a "$W/out"; fail "$1: temporary left beside $D"; }
    return 0
}

"$TG" sim "$W/s.yaml" -q --replications 2 -o "$D" || fail "sim --replications"
has replications/seed-3/summary.json "sim --replications"
"$TG" sim "$W/s.yaml" -q -o "$W/b" || fail "sim b"
"$TG" compare "$W/b" "$D" -o "$W/cmp" >/dev/null; rc=$?
[ "$rc" -le 1 ] || fail "compare exited $rc"
hasnt compare.csv "compare -o elsewhere"
echo "written by an older compare" >"$D/compare.csv" # older versions wrote it here
if command -v gnuplot >/dev/null; then
    "$TG" plot "$D" >/dev/null 2>&1 # the charts are test_plot.sh's; here only that plots/ exists
    has plots plot
fi
no_siblings "sim"

"$TG" run "$W/s.yaml" -q -o "$D" >/dev/null || fail "run"
has generator.json run
has serve run # the embedded serve's own results
for f in replications compare.csv plots; do hasnt "$f" "run after sim"; done
no_siblings "run"

"$TG" sim "$W/s.yaml" -q -o "$D" || fail "sim after run"
for f in generator.json serve replications compare.csv plots; do hasnt "$f" "sim after run"; done
grep -q '"mode": "sim"' "$D/summary.json" || fail "summary.json is not the sim's"

"$TG" sim "$W/s.yaml" -q -o "$W/a" || fail "sim a"
echo "written by an older compare" >"$D/compare.csv"
"$TG" merge -q -o "$D" "$W/a" || fail "merge into a results directory"
hasnt compare.csv "merge"
no_siblings "merge"

# not a results directory: refused, untouched
mkdir -p "$W/mine"
echo keep >"$W/mine/notes.txt"
"$TG" sim "$W/s.yaml" -q -o "$W/mine" 2>"$W/err"; rc=$?
[ "$rc" = 2 ] || fail "sim into a foreign directory exited $rc, want 2"
grep -q "is not empty and is not a tollgate results directory" "$W/err" || { cat "$W/err"; fail "message"; }
[ "$(cat "$W/mine/notes.txt")" = keep ] || fail "foreign file touched"
"$TG" merge -q -o "$W/mine" "$W/a" 2>"$W/err"; rc=$?
[ "$rc" = 2 ] || fail "merge into a foreign directory exited $rc, want 2"
"$TG" sim "$W/s.yaml" -q -o "$W/out/." 2>"$W/err"; rc=$?
[ "$rc" != 0 ] || fail "-o DIR/. accepted"
# an empty directory is fine, and a trailing slash names the same one
mkdir -p "$W/empty"
"$TG" sim "$W/s.yaml" -q -o "$W/empty/" || fail "sim into an empty directory"
[ -s "$W/empty/summary.json" ] || fail "empty directory not filled"
echo "PASS test_results_dir"
