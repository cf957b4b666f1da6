#!/bin/bash
# test_plot.sh - `tollgate plot` draws non-empty PNG and SVG charts from
# real `tollgate sim` results: for a built-in scenario with events, and for
# every scenario in scenarios/ (each simulated for 10 minutes at most).
# Also: the compare chart, the palette covering every reason column, the
# scripts run by hand, and the exit statuses (2 usage, 3 gnuplot missing
# with a hint naming gnuplot-nox, 3 not a results directory).
#
# Usage: bash test_plot.sh TOLLGATE_BINARY SOURCE_DIR
# Skips (exit 0 with a SKIP line) only when gnuplot is not installed.
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
CHARTS="denials latency spectrum headroom"

fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}

if ! command -v gnuplot >/dev/null; then
    echo "SKIP: gnuplot is not installed (Debian/Ubuntu: apt-get install gnuplot-nox)"
    exit 0
fi
export TOLLGATE_PLOTS="$SRC/plots"

# check_charts DIR FORMAT: every chart exists, is non-empty and is a real
# PNG (magic bytes) or well-formed SVG.
check_charts() {
    local dir=$1 fmt=$2 c f
    for c in $CHARTS; do
        f="$dir/plots/$c.$fmt"
        if [ ! -s "$f" ]; then
            fail "$f missing or empty"
            continue
        fi
        if [ "$fmt" = png ]; then
            [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
                fail "$f is not a PNG"
        elif command -v xmllint >/dev/null; then
            xmllint --noout "$f" 2>/dev/null || fail "$f is not well-formed XML"
        else
            grep -q '</svg>' "$f" || fail "$f has no </svg>"
        fi
    done
}

# plot_both DIR: png and svg, each bounded in time; the printed paths
# must be the files.
plot_both() {
    local dir=$1 fmt
    for fmt in png svg; do
        if ! timeout 120 "$BIN" plot "$dir" --format "$fmt" >"$TMP/out" 2>"$TMP/err"; then
            fail "plot $dir --format $fmt failed"
            sed 's/^/    /' "$TMP/err" | head -20
            continue
        fi
        grep -q "^$dir/plots/denials.$fmt\$" "$TMP/out" || fail "plot did not print $dir/plots/denials.$fmt"
        check_charts "$dir" "$fmt"
    done
}

# ---- a scenario with every chart feature: denials, events, credit -----------
cat >"$TMP/demo.yaml" <<'EOF'
name: plot-demo
seed: 7
duration: 20m
interval: 10s
policy:
  tiers:
    free:
      limits:
        - { name: rpm, requests: 20, per: 1m }
        - { name: tpm, tokens: 40000, per: 1m }
      credit: { grant: 0.05 }
  models:
    mini:
      input: 0.15/1M
      output: 0.60/1M
      service:
        first_token: lognormal(300ms, 0.5)
        per_token: 8ms
  capacity: { servers: 64, queue: 128, queue_timeout: 5s }
accounts:
  - name: hobbyists
    count: 50
    tier: free
    invalid_key: 0.5%
    tokens:
      prompt: lognormal(400, 1.0)
      completion: lognormal(150, 0.8)
    traffic:
      phases:
        - { for: 5m, rate: 10/s }
        - { for: 2m, rate: 40/s }
        - { for: 13m, rate: 10/s }
    client:
      timeout: 30s
      retry: { max: 2, backoff: exponential, base: 500ms, cap: 20s, jitter: full }
events:
  - { at: 10m, outage: { for: 3m } }
  - { at: 15m, maintenance: { for: 1m } }
EOF
timeout 60 "$BIN" sim "$TMP/demo.yaml" -o "$TMP/demo" -q || fail "sim demo"
plot_both "$TMP/demo"
for f in latency_ok.hgrm latency_denied.hgrm; do
    [ -s "$TMP/demo/plots/$f" ] || fail "plot did not write $f from histograms.tgh"
done

# Compare chart: tollgate compare -o CMP writes CMP/compare.csv, plot CMP
# draws the comparison alone.
timeout 60 "$BIN" sim "$TMP/demo.yaml" -o "$TMP/demo2" -q --seed 8 || fail "sim demo2"
timeout 60 "$BIN" compare "$TMP/demo" "$TMP/demo2" -o "$TMP/cmp" >/dev/null || true
timeout 120 "$BIN" plot "$TMP/cmp" >"$TMP/out" 2>"$TMP/err" || fail "plot of a comparison"
[ -s "$TMP/cmp/plots/compare.png" ] || fail "compare.png not drawn"
[ "$(wc -l <"$TMP/out")" = 1 ] || fail "plot of a comparison drew more than the comparison"

# -o elsewhere.
timeout 120 "$BIN" plot "$TMP/demo" -o "$TMP/elsewhere" >/dev/null 2>&1 || fail "plot -o"
[ -s "$TMP/elsewhere/denials.png" ] || fail "plot -o did not write there"

# The scripts run by hand from the source tree, writing into DIR/plots.
rm -f "$TMP/demo/plots/denials.png"
(cd "$SRC" && timeout 60 gnuplot -e "dir='$TMP/demo'" plots/denials.gp) 2>"$TMP/err" ||
    fail "gnuplot plots/denials.gp by hand: $(head -3 "$TMP/err")"
[ -s "$TMP/demo/plots/denials.png" ] || fail "by-hand run wrote no denials.png"

# One fixed colour per reason: palette.gp names every reason column.
header=$(head -1 "$TMP/demo/timeseries.csv")
reasons=$(echo "$header" | cut -d, -f6-31 | tr , ' ')
[ "$(echo "$reasons" | wc -w)" -eq 26 ] || fail "expected 26 reason columns in timeseries.csv"
for r in $reasons; do
    grep -q "^c_$r *= \"#[0-9a-f]\{6\}\"" "$SRC/plots/palette.gp" || fail "palette.gp has no colour for $r"
done
dups=$(grep -o '^c_[a-z_]* *= "#[0-9a-f]*"' "$SRC/plots/palette.gp" | sed 's/.*"\(#.*\)"/\1/' | sort | uniq -d)
[ -z "$dups" ] || fail "palette.gp reuses colours: $dups"

# ---- every library scenario, briefly ------------------------------------------
# 10 simulated minutes each; a scenario whose events start later is
# invalid at that length (validation refuses events after the end), and
# is simulated at its own duration instead, still bounded by timeout.
n=0
for scn in "$SRC"/scenarios/*.yaml; do
    [ -e "$scn" ] || continue
    name=$(basename "$scn" .yaml)
    out="$TMP/lib-$name"
    timeout 120 "$BIN" sim "$scn" -o "$out" -q --duration 10m --set interval=5s \
        >"$TMP/simout" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q 'is not before the end of the scenario' "$TMP/simout"; then
        timeout 300 "$BIN" sim "$scn" -o "$out" -q >"$TMP/simout" 2>&1
        rc=$?
    fi
    if [ $rc -ne 0 ] || [ ! -s "$out/timeseries.csv" ]; then
        fail "sim $name (exit $rc): $(head -3 "$TMP/simout")"
        continue
    fi
    plot_both "$out"
    n=$((n + 1))
done
echo "plotted $n library scenario(s)"

# ---- exit statuses ---------------------------------------------------------------
timeout 10 "$BIN" plot >/dev/null 2>&1
[ $? -eq 2 ] || fail "plot without DIR: want exit 2"
timeout 10 "$BIN" plot "$TMP/demo" --format jpg >/dev/null 2>&1
[ $? -eq 2 ] || fail "plot --format jpg: want exit 2"
timeout 10 "$BIN" plot "$TMP/nonexistent" >/dev/null 2>"$TMP/err"
[ $? -eq 3 ] || fail "plot of a missing dir: want exit 3"
mkdir -p "$TMP/nogp"
timeout 10 env PATH="$TMP/nogp" "$BIN" plot "$TMP/demo" >/dev/null 2>"$TMP/err"
[ $? -eq 3 ] || fail "plot without gnuplot: want exit 3"
grep -q 'gnuplot-nox' "$TMP/err" || fail "no gnuplot-nox hint when gnuplot is missing"

if [ "$FAILS" -ne 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "ok: plot"
