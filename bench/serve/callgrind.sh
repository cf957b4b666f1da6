#!/usr/bin/env bash
# bench/serve/callgrind.sh - instructions per request of `tollgate serve`,
# a deterministic complement to run.sh's CPU microseconds (which move with
# the machine's load).
#
# Usage: bench/serve/callgrind.sh [TOLLGATE] [SECONDS] [CONNECTIONS]
#   defaults: build/tollgate 10 10.  Environment: THREADS (default 1),
#   SCN=FILE (default bench.yaml), KEEP=DIR keeps the callgrind output
#   there (for callgrind_annotate), BADKEY=1 appends a byte to every key
#   (every request is then an invalid_key denial, 401).
#
# Starts serve under valgrind --tool=callgrind, warms it up with the same
# wrk stream as run.sh (POST /v1/chat/completions, 1000 accounts' keys
# round robin), zeroes the counters, runs wrk again for SECONDS, dumps and
# prints the instructions (Ir) of every serve thread divided by the
# requests wrk completed.  Start-up and key fetching are excluded.  Needs
# valgrind, wrk, curl; traffic stays on 127.0.0.1.
set -eu
TG=${1:-build/tollgate}
SECS=${2:-10}
CONNS=${3:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/serve/common.sh
. "$HERE/common.sh"
THREADS=${THREADS:-1}
SCN=${SCN:-$HERE/bench.yaml}
WORK=$(mktemp -d)
VG_PID=
cleanup() {
    [ -n "$VG_PID" ] && kill "$VG_PID" 2>/dev/null
    wait 2>/dev/null
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP" && cp "$WORK"/cg.out* "$KEEP"/ 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
    "$TG" serve "$SCN" --listen 127.0.0.1:0 --threads "$THREADS" \
    --no-results >"$WORK/serve.log" 2>&1 &
VG_PID=$!
SPORT=$(serve_port "$WORK/serve.log" 600 0.1) || exit 1
fetch_keys "$SPORT" || exit 1
SUFFIX=
[ "${BADKEY:-0}" = 1 ] && SUFFIX=x
write_wrk_script "$SUFFIX"
run_wrk() {
    wrk -t1 -c"$CONNS" -d"$1s" -s "$WORK/bench.lua" "http://127.0.0.1:$SPORT/"
}
run_wrk 2 >/dev/null
callgrind_control -z "$VG_PID" >/dev/null 2>&1
out=$(run_wrk "$SECS")
callgrind_control -d "$VG_PID" >/dev/null 2>&1
n=$(echo "$out" | awk '/requests in/ { print $1 }')
non=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
# inclusive Ir of the whole dump, of the timer thread (time-driven work:
# gauges, events; inflated per request by valgrind's slowness) and of
# memset (libmicrohttpd clears its connection pool per request; callgrind
# counts a rep-stos clear per byte, so it weighs far more than in time)
callgrind_annotate --inclusive=yes --threshold=100 "$WORK"/cg.out.* \
    2>/dev/null >"$WORK/incl.txt"
ir_of() {
    awk -v pat="$1" 'index($0, pat) { x = $1; gsub(",", "", x); print x; exit }' \
        "$WORK/incl.txt"
}
ir=$(ir_of "PROGRAM TOTALS")
tm=$(ir_of "timer_main")
ms=$(ir_of "__memset_avx2")
awk -v ir="$ir" -v tm="${tm:-0}" -v ms="${ms:-0}" -v n="$n" -v x="${non:-0}" 'BEGIN {
    printf "requests %d (non-2xx %d)  Ir/request: all %.0f  timer thread %.0f  memset %.0f  HTTP threads without memset %.0f\n",
        n, x, ir / n, tm / n, ms / n, (ir - tm - ms) / n }'
