#!/usr/bin/env bash
# Golden tests of `tollgate sim`: every tests/golden/<name>.yaml is
# simulated with its own seed; the time series must equal <name>.csv byte
# for byte, and a second run must reproduce every results file byte for
# byte (determinism: same scenario + seed = same output).
#
# Usage: test_golden.sh TOLLGATE REPO_ROOT
# To regenerate after an intended change (its own reviewed commit):
#   UPDATE_GOLDEN=1 bash tests/golden/test_golden.sh build/tollgate .
set -euo pipefail
tg=$1
root=$2
dir=$root/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
n=0
for yaml in "$dir"/*.yaml; do
    name=$(basename "$yaml" .yaml)
    n=$((n + 1))
    "$tg" sim "$yaml" -q -o "$tmp/$name-a"
    "$tg" sim "$yaml" -q -o "$tmp/$name-b"
    for f in summary.json timeseries.csv latency.hgrm histograms.tgh \
             events.csv scenario.yaml; do
        if ! cmp -s "$tmp/$name-a/$f" "$tmp/$name-b/$f"; then
            echo "FAIL $name: $f differs between two identical runs"
            diff "$tmp/$name-a/$f" "$tmp/$name-b/$f" | head -5
            fail=$((fail + 1))
        fi
    done
    if [[ ${UPDATE_GOLDEN:-0} == 1 ]]; then
        cp "$tmp/$name-a/timeseries.csv" "$dir/$name.csv"
        echo "updated $dir/$name.csv"
    elif ! diff -u "$dir/$name.csv" "$tmp/$name-a/timeseries.csv" \
            >"$tmp/$name.diff"; then
        echo "FAIL $name: timeseries.csv differs from $name.csv"
        head -20 "$tmp/$name.diff"
        fail=$((fail + 1))
    else
        echo "ok   $name"
    fi
done
if ((n == 0)); then
    echo "FAIL: no golden scenarios in $dir"
    exit 1
fi
echo "golden: $n scenarios, $fail failures"
((fail == 0))
