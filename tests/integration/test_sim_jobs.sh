#!/bin/bash
# ctest-labels: threaded
# test_sim_jobs.sh - `sim --replications N --jobs J` gives byte-identical
# results directories for every J (the replications run on J threads and
# are combined in seed order), and so do `sweep` grids and --find
# searches; --jobs is checked; an interrupted parallel run still writes
# complete-marked-false results (exit 128 + SIGINT).  (The threads of these commands run
# under ThreadSanitizer here; test_sweep.sh's long queueing checks do
# not.)
# Usage: test_sim_jobs.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-jobs-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { # expect_rc WANT CMD...
    local want=$1; shift
    "$@" >"$W/out" 2>"$W/err"; local rc=$?
    [ "$rc" = "$want" ] || { cat "$W/out" "$W/err"; fail "'$*' exited $rc, want $want"; }
}

SC=$ROOT/scenarios/capacity-planning.yaml
for j in 1 2 3 8; do
    expect_rc 0 "$TG" sim "$SC" --duration 10m --replications 5 --jobs "$j" \
        -q -o "$W/j$j"
done
[ -f "$W/j1/replications/seed-33/summary.json" ] || fail "no per-seed summary"
grep -q '"ci95"' "$W/j1/summary.json" || fail "no ci95 in the combined summary"
for j in 2 3 8; do
    diff -r "$W/j1" "$W/j$j" >/dev/null || fail "--jobs $j differs from --jobs 1"
done
# the per-seed summaries differ from one another (the diff is not vacuous)
cmp -s "$W/j1/replications/seed-29/summary.json" \
    "$W/j1/replications/seed-30/summary.json" && fail "seeds give equal summaries"

# Ctrl-C during parallel replications: results written, marked partial
# (200 replications of 0.25 s each: a minute of work, stopped after 1 s)
"$TG" sim "$SC" --replications 200 --jobs 2 -q -o "$W/int" \
    >"$W/out" 2>"$W/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" = 130 ] || { cat "$W/err"; fail "interrupted sim exited $rc, want 130"; }
grep -q '"complete": false' "$W/int/summary.json" || fail "not marked partial"
grep -q "interrupted at" "$W/err" || fail "no interruption note"

# sweep grids and --find searches: the same bytes for --jobs 1 and 2
for j in 1 2; do
    expect_rc 0 "$TG" sweep "$SC" --vary policy.capacity.servers=60,72 \
        --duration 10m --replications 2 --jobs "$j" -q -o "$W/sw$j"
    expect_rc 0 "$TG" sweep "$SC" --find policy.capacity.servers=60..80:10 \
        --until 'denied(overloaded) < 50%' --duration 10m --replications 2 \
        --jobs "$j" -q -o "$W/fd$j"
done
diff -r "$W/sw1" "$W/sw2" >/dev/null || fail "sweep --jobs 2 differs from --jobs 1"
diff -r "$W/fd1" "$W/fd2" >/dev/null || fail "sweep --find --jobs 2 differs"

expect_rc 2 "$TG" sim "$SC" --jobs 0
grep -q -- "--jobs wants 1..256" "$W/err" || fail "--jobs 0 not explained"
expect_rc 2 "$TG" sim "$SC" --jobs many
expect_rc 0 "$TG" sim --help
grep -q -- "--jobs N" "$W/out" || fail "--help lacks --jobs"
echo PASS
