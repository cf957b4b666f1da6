#!/bin/bash
# test_plot_library.sh - `tollgate plot` runs warning-free on every library
# scenario at several durations: nothing on stderr (no gnuplot warning such
# as "All points out of range", no "nan" in a note), every chart written.
# Also a replicated result (its title names the seed it shows), a run
# whose latencies are all 0 ms, and a comparison of two such runs.  Bounded: short
# simulations, about a minute in all.
# Usage: test_plot_library.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=$1
ROOT=$2
W=$(mktemp -d /tmp/tollgate-plotlib-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v gnuplot >/dev/null || fail "gnuplot is not installed (scripts/setup.sh installs it)"

plot_clean() { # DIR WHAT
    "$TG" plot "$1" >"$W/out" 2>"$W/err" || { cat "$W/err"; fail "$2: plot exited $?"; }
    [ ! -s "$W/err" ] || { cat "$W/err"; fail "$2: plot printed on stderr"; }
    for c in denials latency spectrum headroom; do
        [ -s "$1/plots/$c.png" ] || fail "$2: no $c.png"
    done
}

n=0
for f in "$ROOT"/scenarios/*.yaml; do
    b=$(basename "$f" .yaml)
    for d in 10m 1h default; do
        o="$W/$b-$d"
        if [ "$d" = default ]; then set -- ; else set -- --duration "$d"; fi
        "$TG" sim "$f" -q "$@" -o "$o" 2>"$W/simerr" || { cat "$W/simerr"; fail "$b $d: sim"; }
        plot_clean "$o" "$b $d"
        n=$((n + 1))
    done
done

# replications: the charts show the first seed and say so
"$TG" sim "$ROOT/scenarios/flash-crowd.yaml" -q --duration 10m --replications 2 -o "$W/rep" || fail "replications"
"$TG" plot "$W/rep" --format svg >/dev/null 2>"$W/err" || fail "plot svg"
[ ! -s "$W/err" ] || { cat "$W/err"; fail "replications: plot printed on stderr"; }
grep -q "(seed [0-9]*, the first of 2 replications)" "$W/rep/plots/denials.svg" || fail "replicated chart does not name its seed"

# a comparison where nothing is denied and every latency is 0 ms
cat >"$W/zero.yaml" <<'YAML'
name: zero
duration: 20s
accounts:
  - name: users
    count: 2
    traffic: { phases: [ { for: 20s, rate: 5/s } ] }
YAML
"$TG" sim "$W/zero.yaml" -q -o "$W/za" || fail "sim za"
"$TG" sim "$W/zero.yaml" -q --seed 2 -o "$W/zb" || fail "sim zb"
plot_clean "$W/za" "every latency 0 ms"
"$TG" compare "$W/za" "$W/zb" -o "$W/cmp" >/dev/null
[ $? -le 1 ] || fail "compare" # 1: some row outside its tolerance
"$TG" plot "$W/cmp" >/dev/null 2>"$W/err" || { cat "$W/err"; fail "plot of a comparison"; }
[ ! -s "$W/err" ] || { cat "$W/err"; fail "compare chart printed on stderr"; }
[ -s "$W/cmp/plots/compare.png" ] || fail "no compare.png"
echo "PASS test_plot_library ($n results)"
