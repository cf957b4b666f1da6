#!/bin/bash
# test_merge.sh - `tollgate merge` on real sim output: two shards that
# hold the same requests (copies of one result marked shard 0/2 and 1/2)
# double every count and keep every percentile; a directory given twice,
# two whole runs, a shard given twice and a missing shard are refused
# (--partial marks the last); a differing field is named; usage and error
# exit codes (2 usage / invalid input, 3 I/O); --check runs the rules.
# Usage: test_merge.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-merge-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { # expect_rc WANT CMD...
    local want=$1; shift
    "$@" >"$W/out" 2>"$W/err"; local rc=$?
    [ "$rc" = "$want" ] || { cat "$W/out" "$W/err"; fail "'$*' exited $rc, want $want"; }
}
json_num() { # json_num FILE KEY  (first occurrence, integer or float)
    grep -m1 "\"$2\":" "$1" | sed 's/.*: *\([-0-9.e+]*\).*/\1/'
}

# usage
expect_rc 2 "$TG" merge
grep -q "Usage: tollgate merge -o OUT DIR" "$W/err" || fail "usage not on stderr"
expect_rc 0 "$TG" merge --help
grep -q "exactly" "$W/out" || fail "--help does not explain"
expect_rc 2 "$TG" merge -o "$W/m" --bogus "$W/a"
expect_rc 2 "$TG" merge -o "$W/m"
expect_rc 2 "$TG" merge "$W/a"

# one real shard from the simulator
expect_rc 0 "$TG" sim "$ROOT/tests/golden/limits.yaml" --duration 2m -q -o "$W/a"
for f in summary.json timeseries.csv latency.hgrm histograms.tgh scenario.yaml; do
    [ -s "$W/a/$f" ] || fail "sim did not write $f"
done

# as_shard SRC DST I N: a copy of SRC that says it is shard I of N
as_shard() {
    cp -r "$1" "$2"
    sed -i "s/^  \"warnings\": \[\],/  \"warnings\": [],\n  \"shards\": { \"of\": $4, \"covered\": [[$3, $3]], \"partial\": false },/" "$2/summary.json"
    grep -q '"shards"' "$2/summary.json" || fail "could not mark $2 as a shard"
}
as_shard "$W/a" "$W/s0" 0 2
as_shard "$W/a" "$W/s1" 1 2

# the same run twice is refused: it would count every request twice
expect_rc 2 "$TG" merge -o "$W/m" "$W/a" "$W/a"
grep -q "is given twice" "$W/err" || fail "message for a directory twice"
cp -r "$W/a" "$W/a2"
expect_rc 2 "$TG" merge -o "$W/m" "$W/a" "$W/a2"
grep -q "shard 0 is already in the merge (the whole run here" "$W/err" || fail "two whole runs"
expect_rc 2 "$TG" merge -o "$W/m" "$W/s0" "$W/s0"
expect_rc 2 "$TG" merge -o "$W/m" "$W/s0" "$W/a"
# a shard set with a hole is refused, or marked with --partial
expect_rc 2 "$TG" merge -o "$W/m" "$W/s0"
grep -q "incomplete shard set: the inputs hold shards 0 of 2, shard 1 is missing" "$W/err" \
    || { cat "$W/err"; fail "message for a missing shard"; }
[ ! -e "$W/m" ] || fail "a refused merge wrote $W/m"
expect_rc 0 "$TG" merge -o "$W/p" --partial "$W/s1"
grep -q "warning: merge: partial result: holds shards 1 of 2" "$W/err" || fail "partial not warned"
grep -q '"partial": true' "$W/p/summary.json" || fail "partial not recorded"
grep -q '"merge: partial result' "$W/p/summary.json" || fail "partial warning not recorded"
grep -q '"complete": false' "$W/p/summary.json" || fail "a partial merge is complete"
expect_rc 1 "$TG" check "$W/p"
grep -q "tollgate check: warning: merge: partial result" "$W/err" || fail "check does not repeat the warning"
expect_rc 0 "$TG" check "$W/p" --accept-incomplete

# two shards holding the same requests: counts double, percentiles stay
expect_rc 0 "$TG" merge -o "$W/m" "$W/s0" "$W/s1"
! grep -q '"shards"' "$W/m/summary.json" || fail "a complete merge is a whole run"
grep -q "merged 2 directories into $W/m" "$W/out" || fail "no summary line"
for k in attempts unique ok denied rate_limit; do
    a=$(json_num "$W/a/summary.json" "$k"); m=$(json_num "$W/m/summary.json" "$k")
    [ "$m" = "$((2 * a))" ] || fail "$k: merged $m, want 2 x $a"
done
for k in p50 p99 p999 max denial_rate; do
    a=$(json_num "$W/a/summary.json" "$k"); m=$(json_num "$W/m/summary.json" "$k")
    [ "$m" = "$a" ] || fail "$k: merged $m, want $a"
done
# timeseries: same rows, attempts doubled, p99 equal
[ "$(wc -l < "$W/m/timeseries.csv")" = "$(wc -l < "$W/a/timeseries.csv")" ] || fail "row count"
paste -d, "$W/a/timeseries.csv" "$W/m/timeseries.csv" | awk -F, 'NR > 1 {
    n = NF / 2
    if ($(n + 3) != 2 * $3) { print "attempts row " NR; exit 1 }
    if ($(n + 34) != $34) { print "p99 row " NR; exit 1 } }' || fail "timeseries"
cmp -s "$W/a/scenario.yaml" "$W/m/scenario.yaml" || fail "scenario.yaml not copied"
# merging the merge with nothing else reproduces it byte for byte
expect_rc 0 "$TG" merge -q -o "$W/m2" "$W/m"
[ ! -s "$W/out" ] || fail "-q printed"
for f in summary.json timeseries.csv latency.hgrm histograms.tgh; do
    cmp -s "$W/m/$f" "$W/m2/$f" || fail "re-merge changed $f"
done

# errors
expect_rc 2 "$TG" merge -o "$W/a" "$W/a"            # output is an input
grep -q "also an input" "$W/err" || fail "message for output == input"
expect_rc 3 "$TG" merge -o "$W/x" "$W/missing"      # unreadable input
grep -q "$W/missing/summary.json" "$W/err" || fail "message names the file"
cp -r "$W/a" "$W/bad"
sed -i 's/^hist all /hist everything /' "$W/bad/histograms.tgh"
expect_rc 2 "$TG" merge -o "$W/x" "$W/bad"          # corrupt input
grep -q "histograms.tgh:[0-9]*: unknown histogram name" "$W/err" || fail "corrupt message"
"$TG" sim "$ROOT/tests/golden/limits.yaml" --duration 3m -q -o "$W/other" || fail "sim 3m"
as_shard "$W/other" "$W/o1" 1 2
expect_rc 2 "$TG" merge -o "$W/x" "$W/s0" "$W/o1" # not shards of one run
grep -q "not a shard of the same run: duration (3m here, 2m in $W/s0) differs" "$W/err" \
    || { cat "$W/err"; fail "message for mismatched shards"; }
"$TG" sim "$ROOT/tests/golden/limits.yaml" --duration 2m --seed 5 -q -o "$W/seed5" || fail "sim seed"
as_shard "$W/seed5" "$W/e1" 1 2
expect_rc 2 "$TG" merge -o "$W/x" "$W/s0" "$W/e1"
grep -q "seed (5 here, 11 in $W/s0) differs" "$W/err" || { cat "$W/err"; fail "seed not named"; }
touch "$W/file"
expect_rc 3 "$TG" merge -o "$W/file/sub" "$W/a"     # unwritable output

# --check evaluates the rules on the merged result (pass or fail, not error)
"$TG" merge -o "$W/c" --check "$W/s0" "$W/s1" >"$W/out" 2>"$W/err"
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$W/err"; fail "--check exited $rc"; }
grep -q "passed" "$W/out" || fail "--check printed no verdict count"
expect_rc 2 "$TG" merge -o "$W/c" --junit "$W/j.xml" "$W/a"
echo "PASS test_merge"
