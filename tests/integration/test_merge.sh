#!/bin/bash
# test_merge.sh - `tollgate merge` on real sim output: a directory merged
# with itself doubles every count and keeps every percentile; usage and
# error exit codes (2 usage / invalid input, 3 I/O); --check runs the rules.
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

# a merged with itself: counts double, percentiles stay
expect_rc 0 "$TG" merge -o "$W/m" "$W/a" "$W/a"
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
expect_rc 2 "$TG" merge -o "$W/x" "$W/a" "$W/other" # not shards of one run
grep -q "not a shard" "$W/err" || fail "message for mismatched shards"
touch "$W/file"
expect_rc 3 "$TG" merge -o "$W/file/sub" "$W/a"     # unwritable output

# --check evaluates the rules on the merged result (pass or fail, not error)
"$TG" merge -o "$W/c" --check "$W/a" "$W/a" >"$W/out" 2>"$W/err"
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$W/err"; fail "--check exited $rc"; }
grep -q "passed" "$W/out" || fail "--check printed no verdict count"
expect_rc 2 "$TG" merge -o "$W/c" --junit "$W/j.xml" "$W/a"
echo "PASS test_merge"
