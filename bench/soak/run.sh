#!/usr/bin/env bash
# bench/soak/run.sh - soak test: `tollgate run` drives a separately started
# `tollgate serve` at a steady rate on 127.0.0.1 for SECONDS, while both
# processes' memory (VmRSS, RssAnon, RssFile, VmData), open file descriptors,
# threads and CPU time are sampled into a CSV; then bench/soak/report.py
# says whether either grew (bench/soak/README.md: how to read it).
#
# Usage: bash bench/soak/run.sh [SECONDS] [RATE]
#   defaults: 600 s at 600 requests/s (offered; retries come on top).
# Environment:
#   TG=PATH          tollgate binary (default build-rel/tollgate, else
#                    build/tollgate)
#   SCN=FILE         scenario (default bench/soak/soak.yaml; its first
#                    population's first phase gets the rate)
#   EVERY=S          seconds between samples (default 5)
#   SET="K=V ..."    more --set overrides for both processes (no spaces
#                    inside one), e.g. SET=interval=60s
#   OUT=DIR          where everything goes (default results/soak-<UTC time>)
#   SLOPE_MAX=KB     verdict threshold, RssAnon (and VmData) growth in KB
#                    per minute over the second half of the run (default 64)
#   FD_SLACK=N       verdict: the second half may exceed the first half's
#                    highest fd count by N (default 2)
#   SERVE_THREADS=N  serve's HTTP threads (default 2)
#   RUN_THREADS=N, RUN_CONNS=N   run's worker threads and connections
#                    (default: the scenario's live: values, 2 and 64)
#   TOLLGATE_ADMIN_TOKEN=T   passed to serve in its environment and sent
#                    with the key fetch as "$ADMIN_HEADER T" (default
#                    header "Authorization: Bearer"), for a serve whose
#                    admin routes want a token
#   PLOT=0           no chart (default: soak.png when gnuplot is there)
#
# OUT holds samples.csv (t_s, load1, then per process rss_kb (VmRSS),
# anon_kb (RssAnon), file_kb (RssFile), data_kb (VmData), fds, threads,
# cpu_s), serve.log, run.log, serve/ and run/ (both results directories),
# report.txt and soak.png.  Exit status: 0 verdict pass, 1 verdict fail
# (memory or fds growing), 3 serve or run failed.  Traffic stays on 127.0.0.1
# and is bounded by SECONDS.
set -eu
SECS=${1:-600}
RATE=${2:-600}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ -z "${TG:-}" ]; then
    TG=$ROOT/build-rel/tollgate
    [ -x "$TG" ] || TG=$ROOT/build/tollgate
fi
SCN=${SCN:-$HERE/soak.yaml}
EVERY=${EVERY:-5}
OUT=${OUT:-$ROOT/results/soak-$(date -u +%Y%m%dT%H%M%SZ)}
SLOPE_MAX=${SLOPE_MAX:-64}
FD_SLACK=${FD_SLACK:-2}
SERVE_THREADS=${SERVE_THREADS:-2}
ADMIN_HEADER=${ADMIN_HEADER:-Authorization: Bearer}
case $SECS in '' | *[!0-9]*) echo "SECONDS must be a whole number, not '$SECS'" >&2; exit 2 ;; esac
case $RATE in '' | *[!0-9.]*) echo "RATE must be requests per second, not '$RATE'" >&2; exit 2 ;; esac
[ "$SECS" -ge 20 ] || { echo "SECONDS must be at least 20 (two halves of samples)" >&2; exit 2; }
[ -x "$TG" ] || { echo "no tollgate binary at $TG (set TG=)" >&2; exit 2; }

mkdir -p "$OUT"
# shellcheck source=bench/serve/common.sh
. "$ROOT/bench/serve/common.sh" # BODY, serve_port

# Both processes read the same scenario with the same overrides: the rate,
# a duration that covers the soak (serve's clock runs from its start, a few
# seconds before run's) and, for soaks under two minutes, a time-series
# interval that fits in run's --duration.
SETS=(--set "accounts[0].traffic.phases[0].rate=$RATE/s"
    --set "duration=$((SECS + 60))s")
[ "$SECS" -ge 120 ] || SETS+=(--set "interval=$((SECS / 4))s")
for kv in ${SET:-}; do SETS+=(--set "$kv"); done

SERVE_PID=
RUN_PID=
cleanup() {
    [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT

# --- serve --------------------------------------------------------------------
"$TG" serve "$SCN" --listen 127.0.0.1:0 --threads "$SERVE_THREADS" \
    -o "$OUT/serve" "${SETS[@]}" >"$OUT/serve.log" 2>&1 &
SERVE_PID=$!
PORT=$(serve_port "$OUT/serve.log" 100 0.05) || exit 3

# The key of account 0 from serve's admin route (with the admin token when
# one is set), then one request with it: serve must accept the keys that
# run sends before the soak means anything.
ADMIN=()
[ -n "${TOLLGATE_ADMIN_TOKEN:-}" ] && ADMIN=(-H "$ADMIN_HEADER $TOLLGATE_ADMIN_TOKEN")
KEY=$(curl -s "${ADMIN[@]}" "http://127.0.0.1:$PORT/tollgate/key?account=0" |
    sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || {
    echo "no key from /tollgate/key (an admin token needed? set TOLLGATE_ADMIN_TOKEN)" >&2
    exit 3
}
CODE=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PORT/v1/chat/completions" -H "Authorization: Bearer $KEY" \
    -H "X-Client-Region: US" -d "$BODY")
[ "$CODE" = 200 ] || { echo "probe request got HTTP $CODE, not 200" >&2; exit 3; }

# --- run, sampled -------------------------------------------------------------
RUN_OPTS=()
[ -n "${RUN_THREADS:-}" ] && RUN_OPTS+=(--threads "$RUN_THREADS")
[ -n "${RUN_CONNS:-}" ] && RUN_OPTS+=(--connections "$RUN_CONNS")
"$TG" run "$SCN" --target "http://127.0.0.1:$PORT" -o "$OUT/run" \
    --duration "${SECS}s" "${SETS[@]}" "${RUN_OPTS[@]}" >"$OUT/run.log" 2>&1 &
RUN_PID=$!

TICK=$(getconf CLK_TCK)
# sample PID: "rss_kb,anon_kb,file_kb,data_kb,fds,threads,cpu_s" of a live
# process (VmRSS, RssAnon, RssFile, VmData from /proc/PID/status), or "" once
# it is gone.
sample() {
    local st fds ut sy
    st=$(awk '/^(VmRSS|RssAnon|RssFile|VmData|Threads):/ { v[$1] = $2 }
        END { printf "%s,%s,%s,%s %s", v["VmRSS:"], v["RssAnon:"], v["RssFile:"],
            v["VmData:"], v["Threads:"] }' \
        "/proc/$1/status" 2>/dev/null) || return 0
    fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    # utime and stime: fields 14 and 15, counted after the ")" of comm
    read -r ut sy < <(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
        awk '{ print $12, $13 }') || return 0
    case $st in ,* | *,,* | *" ") return 0 ;; esac
    [ -n "$ut" ] || return 0
    awk -v m="${st% *}" -v f="$fds" -v t="${st#* }" -v c=$((ut + sy)) -v hz="$TICK" \
        'BEGIN { printf "%s,%d,%d,%.2f", m, f, t, c / hz }'
}

COLS="rss_kb anon_kb file_kb data_kb fds threads cpu_s"
echo "t_s,load1$(for p in serve run; do printf ",${p}_%s" $COLS; done)" >"$OUT/samples.csv"
echo "# soak: $SECS s at $RATE/s, samples every $EVERY s into $OUT/samples.csv," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
T0=$EPOCHREALTIME
n=0
while kill -0 "$RUN_PID" 2>/dev/null; do
    now=$EPOCHREALTIME
    s=$(sample "$SERVE_PID")
    r=$(sample "$RUN_PID")
    if [ -n "$s" ] && [ -n "$r" ]; then
        awk -v a="$now" -v b="$T0" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
            -v s="$s" -v r="$r" 'BEGIN { printf "%.1f,%s,%s,%s\n", a - b, l, s, r }' \
            >>"$OUT/samples.csv"
    fi
    n=$((n + 1))
    # sleep to the next tick of the schedule, so samples do not drift
    wait_s=$(awk -v t0="$T0" -v n="$n" -v e="$EVERY" -v now="$EPOCHREALTIME" \
        'BEGIN { w = t0 + n * e - now; printf "%.3f", (w > 0 ? w : 0) }')
    sleep "$wait_s"
done
RC=0
wait "$RUN_PID" || RC=$?
RUN_PID=
kill -TERM "$SERVE_PID"
SRC=0
wait "$SERVE_PID" || SRC=$?
SERVE_PID=
echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$RC" = 0 ] || { echo "tollgate run exited $RC:" >&2; tail -5 "$OUT/run.log" >&2; exit 3; }
[ "$SRC" = 0 ] || { echo "tollgate serve exited $SRC:" >&2; tail -5 "$OUT/serve.log" >&2; exit 3; }

{
    echo "# command: bash bench/soak/run.sh $SECS $RATE  (TG=$TG, SCN=$SCN," \
        "EVERY=$EVERY, serve threads $SERVE_THREADS)"
    echo "# $(uname -srm), $(nproc) cores"
} >"$OUT/meta.txt"
python3 "$HERE/report.py" "$OUT" --rate "$RATE" --slope-max "$SLOPE_MAX" \
    --fd-slack "$FD_SLACK" --seconds "$SECS" | tee "$OUT/report.txt"
VRC=${PIPESTATUS[0]}
if [ "${PLOT:-1}" != 0 ] && command -v gnuplot >/dev/null; then
    gnuplot -e "dir='$OUT'" "$HERE/plot.gp" && echo "chart: $OUT/soak.png"
fi
exit "$VRC"
