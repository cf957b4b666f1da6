#!/bin/bash
# test_report_html.sh - `tollgate report DIR --html FILE` writes one
# self-contained page, checked as a file and in a real headless browser.
#
# As a file: the numbers are the terminal report's; user text from
# summary.json and scenario.yaml (a hostile scenario name, population name,
# warnings, a scenario comment closing </pre>) arrives escaped; every
# chart of `tollgate plot` is inline SVG with ids unique on the page; no
# <script>, no <link>, no src= and no URL but the SVG namespace names;
# --format html writes the same page to stdout; warnings show only when
# summary.json has them; a chart that cannot be drawn leaves a page that
# says so and exit 3; bad usage exits 2 and a file that cannot be written
# exits 3 leaving nothing behind.
#
# In Debian's chromium (headless, driven over the DevTools protocol by
# report_html.py): the page makes no network request and logs nothing
# (console, exceptions, the browser's own errors) -- a control page with a
# console error and a remote image must trip both detectors -- every
# chart is laid out, and a screenshot shows the charts: its share of
# coloured pixels (the charts' lines and areas; the page's CSS is grey) is
# well above that of the same page whose charts could not be drawn.  The
# browser's traffic can only reach a refusing proxy on 127.0.0.1.  The
# page and its screenshot are kept in $REPORT_HTML_ARTIFACTS when set.
#
# Usage: bash test_report_html.sh TOLLGATE_BINARY SOURCE_DIR
# Skips (exit 0, SKIP line) when gnuplot is not installed; skips only the
# browser part, saying so, when chromium is not.
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
TMP=$(mktemp -d)
PROXY_PID=
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
export TMPDIR=$TMP
FAILS=0
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
HELPER="$SRC/tests/integration/report_html.py"

if ! command -v gnuplot >/dev/null; then
    echo "SKIP: gnuplot is not installed (Debian/Ubuntu: apt-get install gnuplot-nox)"
    exit 0
fi
export TOLLGATE_PLOTS="$SRC/plots"

# ---- results: one run with several populations, retries and reasons ----
R="$TMP/ks"
timeout 120 "$BIN" sim "$SRC/scenarios/kitchen-sink.yaml" -q --duration 10m \
    -o "$R" >/dev/null 2>&1 || { echo "FAIL: sim"; exit 1; }
cp -r "$R" "$TMP/plain"
# The 10m run drops the kitchen sink's later events, with a warning each;
# "plain" is the same result without warnings.
python3 - "$TMP/plain/summary.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d['warnings'] = []
json.dump(d, open(p, 'w'), indent=2)
PY
# Hostile user text where summary.json and scenario.yaml carry names.
python3 - "$R/summary.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d['scenario'] = 'ks <script>alert(1)</script> & "q"'
d['populations'] = {('<img src=x onerror=alert(2)>' if k == 'hobbyists'
                     else k): v for k, v in d['populations'].items()}
d['warnings'] = ["ks.yaml:31:11: events[2] at 40m <b>never</b> happens",
                 "--duration: shortened & 'quoted'"]
json.dump(d, open(p, 'w'), indent=1)
PY
printf '# </pre><script>alert(3)</script>\n' >>"$R/scenario.yaml"

H="$TMP/report.html"
timeout 120 "$BIN" report "$R" --html "$H" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || { fail "report --html exited $rc"; sed 's/^/    /' "$TMP/err"; }
[ -s "$H" ] || { echo "FAIL: no $H"; exit 1; }
[ -s "$TMP/out" ] && fail "report --html printed on stdout"
# (gnuplot's own warnings pass through; whether a chart draws without any
# is test_plot's business)
grep -q '^tollgate' "$TMP/err" && { fail "report --html complained"; sed 's/^/    /' "$TMP/err"; }

has() { grep -qF -- "$1" "$H" || fail "page lacks: $1"; }
hasnt() { grep -qiE -- "$1" "$H" && fail "page has: $1 ($(grep -oiE -- "$1" "$H" | head -1))"; }

# The numbers are the terminal's: the requests row of the text report.
"$BIN" report "$R" >"$TMP/text"
line=$(grep -E '^  requests \(what your callers see\): ' "$TMP/text")
[[ $line =~ :\ ([0-9]+),\ ok\ ([0-9]+),\ denied\ ([0-9]+)\ \(([0-9.]+%)\) ]] ||
    fail "cannot read the text report: $line"
has "<td>${BASH_REMATCH[1]}</td><td>${BASH_REMATCH[2]}</td><td>${BASH_REMATCH[3]}</td><td><b>${BASH_REMATCH[4]}</b></td>"
amp=$(grep -oE 'retry amplification [0-9.]+ attempts per request, goodput [0-9.e+]+ ok/s' "$TMP/text")
[ -n "$amp" ] && has "$amp"
# Every section: both levels, populations, reasons, warnings, scenario.
for s in 'class="levels"' 'class="pops"' 'class="reasons"' \
    'class="warnings"' 'class="charts"' '<details>'; do
    has "$s"
done
# User text arrives escaped and nowhere as markup.
has '<h1>tollgate report: ks &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;</h1>'
has '<th scope="row">&lt;img src=x onerror=alert(2)&gt;</th>'
has '<li>ks.yaml:31:11: events[2] at 40m &lt;b&gt;never&lt;/b&gt; happens</li>'
has "<li>--duration: shortened &amp; &#39;quoted&#39;</li>"
has '# &lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;'
# Self-contained: no script, stylesheet link, src= or URL a browser would
# fetch (the SVG namespace names are identifiers, not requests).
hasnt '<script|<link|<iframe|<img|<object|<embed|@import'
hasnt '<[a-z][^>]*[[:space:]](src|srcset|action|poster)='
grep -oE '(https?|ftp)://[^"'"'"' )>]*' "$H" | sort -u >"$TMP/urls"
grep -vxE 'http://www\.w3\.org/(2000/svg|1999/xlink)' "$TMP/urls" >"$TMP/bad" &&
    fail "URLs in the page: $(tr '\n' ' ' <"$TMP/bad")"
grep -oE "url\\([^#)][^)]*\\)" "$H" | head -1 | grep -q . && fail "a url() that is not #local"
# One inline SVG per chart, each id once on the page, no XML prolog.
n_svg=$(grep -c '<svg' "$H")
n_charts=$(timeout 120 "$BIN" plot "$R" --format svg -o "$TMP/plots" | wc -l)
[ "$n_svg" -eq "$n_charts" ] && [ "$n_svg" -ge 4 ] ||
    fail "$n_svg inline SVGs, tollgate plot draws $n_charts"
grep -q '<?xml' "$H" && fail "an XML prolog inside the page"
dup=$(grep -oE "id=[\"'][^\"']+[\"']" "$H" | sort | uniq -d | head -3 | tr '\n' ' ')
[ -z "$dup" ] || fail "ids used twice: $dup"
for c in denials latency spectrum headroom; do
    has "<figure id=\"chart-$c\">"
done
grep -qE "href=[\"']#denials-gpPt" "$H" || fail "chart references not prefixed"

# --format html is the same page on stdout; no warnings without them.
"$BIN" report "$R" --format html >"$TMP/stdout.html" || fail "--format html"
cmp -s "$H" "$TMP/stdout.html" || fail "--format html differs from --html FILE"
"$BIN" report "$TMP/plain" --html "$TMP/plain.html" || fail "report plain"
grep -q 'class="warnings"' "$TMP/plain.html" && fail "warnings shown without any"

# A chart that cannot be drawn: the page says so, exit 3.
mkdir -p "$TMP/noplots"
TOLLGATE_PLOTS="$TMP/noplots" "$BIN" report "$TMP/plain" --html "$TMP/nocharts.html" 2>"$TMP/err"
rc=$?
[ $rc -eq 3 ] || fail "no chart scripts: exit $rc, want 3"
grep -q 'class="missing"' "$TMP/nocharts.html" || fail "no-chart page does not say so"
grep -q 'written without every chart' "$TMP/err" || fail "no-chart stderr: $(cat "$TMP/err")"

# Usage 2; an unwritable file 3, with nothing left behind.
"$BIN" report "$R" --html "$TMP/x.html" --format json 2>/dev/null
[ $? -eq 2 ] || fail "--html with --format json: want exit 2"
"$BIN" report "$TMP/none" --html "$TMP/x.html" 2>/dev/null
[ $? -eq 2 ] || fail "missing results: want exit 2"
mkdir "$TMP/ro" && chmod 555 "$TMP/ro"
if [ ! -w "$TMP/ro" ]; then
    "$BIN" report "$R" --html "$TMP/ro/r.html" 2>/dev/null
    [ $? -eq 3 ] || fail "unwritable: want exit 3"
fi
"$BIN" report "$R" --html "$TMP/nodir/r.html" 2>/dev/null
[ $? -eq 3 ] || fail "missing directory: want exit 3"
left=$(ls -d "$TMP"/tollgate-report-* "$TMP"/*.tmp-* 2>/dev/null)
[ -z "$left" ] || fail "left behind: $left"

# ---- the browser -----------------------------------------------------------
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
    echo "SKIP (browser part only): chromium is not installed" \
        "(Debian: apt-get install chromium; scripts/setup.sh --test)"
    [ $FAILS -eq 0 ] && echo "PASS test_report_html (without the browser)"
    exit $((FAILS > 0))
fi
# The browser's only way out is a local proxy that refuses everything (its
# own background traffic included), and no host name resolves: nothing
# leaves the machine whatever a page asks for.
python3 "$HELPER" proxy "$TMP/port" "$TMP/proxy.log" &
PROXY_PID=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
[ -s "$TMP/port" ] || { echo "FAIL: the refusing proxy did not start"; exit 1; }
PORT=$(cat "$TMP/port")
export HOME=$TMP
# browse PAGE NAME SCALE: loads file PAGE in chromium over the DevTools
# protocol; what the page did in $TMP/NAME.txt (report_html.py browse),
# a screenshot of the whole page in $TMP/NAME.png.
browse() {
    timeout 120 python3 "$HELPER" browse "$CHROMIUM" "file://$1" \
        "$TMP/$2.png" 1280 "$3" --disable-gpu --no-sandbox --no-first-run \
        --disable-background-networking --disable-component-update \
        --disable-sync --disable-default-apps --disable-extensions \
        --user-data-dir="$TMP/profile-$2" \
        --proxy-server="http://127.0.0.1:$PORT" --proxy-bypass-list='<-loopback>' \
        --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' \
        >"$TMP/$2.txt" 2>"$TMP/$2.err" ||
        { fail "browsing $1: $(tail -3 "$TMP/$2.err")"; return 1; }
}
value() { sed -n "s/^$2 //p" "$TMP/$1.txt"; }
# What the page did that it should not: requests, console, errors.
noise() { grep -E '^(request|console|exception|log) ' "$TMP/$1.txt"; }

# Control: the detectors see a console error and a remote image.
cat >"$TMP/control.html" <<'HTML'
<!DOCTYPE html><html><body><p>control</p>
<script>console.error("control-error");</script>
<img src="http://tollgate-control.invalid/x.png"></body></html>
HTML
browse "$TMP/control.html" control 1
grep -q '^console error control-error' "$TMP/control.txt" ||
    fail "control: the console error was not seen"
grep -q '^request http://tollgate-control.invalid/x.png' "$TMP/control.txt" ||
    fail "control: the remote image request was not seen"

# The report: no request, no console message, every chart laid out.
if browse "$H" report 1; then
    noise report && fail "the page made requests or logged (above)"
    [ "$(value report svg)" = "$n_svg" ] ||
        fail "the browser shows $(value report svg) SVGs, want $n_svg"
    [ "$(value report svg-height)" -ge 300 ] ||
        fail "a chart is $(value report svg-height) px tall"
    echo "page: $(value report height) px tall, $(wc -c <"$H") bytes"
fi
if [ -n "${REPORT_HTML_ARTIFACTS:-}" ]; then
    mkdir -p "$REPORT_HTML_ARTIFACTS" &&
        cp "$H" "$TMP/report.png" "$REPORT_HTML_ARTIFACTS/"
fi

# The screenshot shows the charts: coloured pixels, at quarter scale, of
# the page with and without its charts.
browse "$TMP/plain.html" small 0.25
browse "$TMP/nocharts.html" nocharts 0.25
noise nocharts && fail "the no-chart page made requests or logged (above)"
with=$(python3 "$HELPER" colour "$TMP/small.png")
without=$(python3 "$HELPER" colour "$TMP/nocharts.png")
echo "coloured pixels: $with with charts, $without without"
awk -v a="$with" -v b="$without" 'BEGIN { exit !(a >= 0.01 && a >= 5 * b) }' ||
    fail "the screenshot does not show the charts ($with coloured vs $without)"

if [ $FAILS -gt 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "PASS test_report_html"
