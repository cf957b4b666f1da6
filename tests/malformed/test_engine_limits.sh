#!/usr/bin/env bash
# test_engine_limits.sh - the scenario limits hold in every engine.
#
#   bash tests/malformed/test_engine_limits.sh <tollgate-binary> <repo-root>
#
# Scenarios that ask for unbounded memory (events every 2ns or with an
# mtbf of 1ns, hundreds of populations, a million time-series rows) used
# to pass `validate` and then grow sim by hundreds of MB/s.  Each must now
# be refused by validate, sim, run and serve alike: exit 2 within a few
# seconds, under a 2 GB address-space cap (not for sanitizer builds), with
# the same located error.
# --duration (an override) is validated like the file: a scenario at the
# limit goes over when its duration doubles.
set -u
bin=${1:?usage: test_engine_limits.sh TOLLGATE REPO_ROOT}
root=${2:?usage: test_engine_limits.sh TOLLGATE REPO_ROOT}
root=$(cd "$root" && pwd)
dir="$root/tests/malformed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

# refused CMD FILE: tollgate CMD FILE exits 2 naming FILE:LINE (the
# corpus file's expect-line) and its expect-msg.
refused() {
    local cmd=$1 f=$2 name line msg rc
    name=$(basename "$f")
    line=$(sed -n '1s/^# expect-line: *\([0-9][0-9]*\) *$/\1/p' "$f")
    msg=$(sed -n '2,5s/^# expect-msg: *//p' "$f" | head -n 1)
    (
        ulimit -v "$cap"
        cd "$tmp" && exec timeout 20 "$bin" "$cmd" "$f"
    ) >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 2 ]; then
        fail "$cmd $name: exit $rc, expected 2"
        head -n 3 "$tmp/err"
        return
    fi
    grep -qF -- "$name:$line:" "$tmp/err" && grep -qF -- "$msg" "$tmp/err" ||
        {
            fail "$cmd $name: no located error '$name:$line: ... $msg'"
            head -n 3 "$tmp/err"
        }
}

# The address-space cap stops a regression from eating the machine; a
# sanitizer build reserves terabytes of shadow memory and cannot run under
# it, so it runs with the timeout alone.
cap=2000000
if ! (
    ulimit -v "$cap"
    "$bin" --help >/dev/null 2>&1
    rc=$?
    exit "$rc"
) 2>/dev/null; then
    cap=unlimited
fi

n=0
for f in every-too-often random-too-often too-many-populations \
    too-many-users too-many-limits too-many-intervals \
    events-visit-too-many; do
    for cmd in validate sim run serve; do
        refused "$cmd" "$dir/$f.yaml"
        n=$((n + 1))
    done
done

# At the limit: 100000 starts of an every: event in 1h; sim runs it.
cat >"$tmp/edge.yaml" <<'YAML'
name: edge
duration: 1h
interval: 18ms
accounts:
  - name: p
    count: 10
    traffic: { phases: [ { for: 1h, rate: 1/s } ] }
events:
  - every: 36ms
    ban: { fraction: 10% }
YAML
"$bin" validate -q "$tmp/edge.yaml" || fail "edge: the limit itself is refused"
for cmd in "validate --set duration=2h" "sim --duration 2h"; do
    # shellcheck disable=SC2086 # cmd is a command and its option
    (cd "$tmp" && timeout 60 "$bin" $cmd edge.yaml) >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "$cmd: exit $rc, expected 2"
    grep -qF "edge.yaml:3:11: error: interval: interval 18ms over duration 2h" \
        "$tmp/err" || fail "$cmd: rows not re-validated"
    grep -qF "edge.yaml:9:12: error: events[0].every: every: 36ms starts this event 200000 times in 2h" \
        "$tmp/err" || fail "$cmd: occurrences not re-validated"
done
if (cd "$tmp" && timeout 60 "$bin" sim -q -o "$tmp/res" edge.yaml) \
    >"$tmp/out" 2>"$tmp/err"; then
    rows=$(($(wc -l <"$tmp/res/events.csv") - 1))
    [ "$rows" -eq 100000 ] || fail "edge sim: $rows event rows, expected 100000"
else
    fail "edge sim: exit $?"
    head -n 3 "$tmp/err"
fi

echo "engine limits: $n refusals checked, $failed failed"
[ "$failed" -eq 0 ]
