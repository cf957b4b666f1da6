#!/usr/bin/env bash
# bench/serve/run.sh - decisions + responses per second of `tollgate serve`
# against nginx `return 200` (one worker), measured alternately in the same
# run with the same wrk client, connections and request stream.
#
# Usage: bench/serve/run.sh [TOLLGATE] [ROUNDS] [SECONDS] [CONNECTIONS]
#   defaults: build/tollgate 5 10 50.  Environment: PIN=1 pins each server
#   to CPU 0 and wrk to CPU 1 (serve then runs one HTTP thread: THREADS=1);
#   THREADS=N sets serve's HTTP thread pool (default 2); SCN=FILE another
#   scenario (bench-delay.yaml: every answer waits 5 ms, suspended).
#
# Every request is POST /v1/chat/completions with a Bearer key of one of
# 1000 accounts (round robin) and a small JSON body, so serve runs its
# whole path for each: key lookup, JSON body parse, policy_decide (limits,
# credit), capacity, policy_complete, recorder, response body and
# x-ratelimit-* headers.  nginx answers the same requests with the same
# success body and x-ratelimit-* headers (static values) from
# `return 200` and never reads them, so both put the same bytes on the
# wire.  Both get keepalive without a request cap (nginx
# keepalive_requests raised).
#
# Reported per round: requests/s and server CPU microseconds per request
# (utime + stime of the server process from /proc; user time alone in
# parentheses), then the medians and serve/nginx ratios (of the medians,
# and the median of the rounds' ratios).  Requires wrk, nginx, curl.
# Traffic stays on 127.0.0.1.  Results are noisy on a shared 2-core
# machine: quote the ratios of one run, not absolute numbers
# (docs/performance.md).
set -eu
TG=${1:-build/tollgate}
ROUNDS=${2:-5}
SECS=${3:-10}
CONNS=${4:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/serve/common.sh
. "$HERE/common.sh"
THREADS=${THREADS:-2}
PIN=${PIN:-0}
SRV_CPU=()
CLI_CPU=()
if [ "$PIN" = 1 ]; then
    SRV_CPU=(taskset -c 0)
    CLI_CPU=(taskset -c 1)
    THREADS=${THREADS_PINNED:-1}
fi

WORK=$(mktemp -d)
SERVE_PID=
cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- tollgate serve ---------------------------------------------------------
SCN=${SCN:-$HERE/bench.yaml}
"${SRV_CPU[@]}" "$TG" serve "$SCN" --listen 127.0.0.1:0 \
    --threads "$THREADS" --no-results >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
SPORT=$(serve_port "$WORK/serve.log" 100 0.05) || exit 1
fetch_keys "$SPORT" || exit 1
OK_BODY=$(curl -s -D "$WORK/ok_headers" \
    "http://127.0.0.1:$SPORT/v1/chat/completions" \
    -H "Authorization: Bearer $(head -1 "$WORK/keys.txt")" -d "$BODY")
# nginx sends the same x-ratelimit-* headers (static values), so that both
# servers put the same bytes on the wire and the client's cost is equal.
ADD_HEADERS=$(tr -d '\r' <"$WORK/ok_headers" |
    awk -F': ' '/^x-ratelimit-/ { printf "            add_header %s \"%s\";\n", $1, $2 }')

# --- nginx, one worker, return 200 with the same body -----------------------
NPORT=
for p in $(shuf -i 20000-60000 -n 20); do
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $WORK/nginx;
    proxy_temp_path $WORK/nginx;
    fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx;
    scgi_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$p;
        location / {
            default_type application/json;
$ADD_HEADERS
            return 200 '$OK_BODY';
        }
    }
}
EOF
    if "${SRV_CPU[@]}" nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" \
        -e "$WORK/nginx/error.log" 2>/dev/null; then
        NPORT=$p
        break
    fi
done
[ -n "$NPORT" ] || { echo "nginx did not start"; exit 1; }
sleep 0.2
curl -s -D - -o /dev/null -d "$BODY" "http://127.0.0.1:$NPORT/v1/chat/completions" |
    grep -qi '^x-ratelimit-remaining-tokens' || { echo "nginx headers?"; exit 1; }
NGINX_WORKER=$(pgrep -P "$(cat "$WORK/nginx.pid")" | head -1)

write_wrk_script

cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; } # user, system

# One measurement: prints "req_per_s cpu_us_per_req user_us_per_req non2xx".
measure() { # PORT PID
    local u0 s0 u1 s1 out rps n non
    read -r u0 s0 < <(cpu_ticks "$2")
    out=$("${CLI_CPU[@]}" wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$WORK/bench.lua" \
        "http://127.0.0.1:$1/")
    read -r u1 s1 < <(cpu_ticks "$2")
    rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
    n=$(echo "$out" | awk '/requests in/ { print $1 }')
    non=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
    awk -v r="$rps" -v n="$n" -v d=$((u1 + s1 - u0 - s0)) -v u=$((u1 - u0)) \
        -v hz="$(getconf CLK_TCK)" -v x="${non:-0}" 'BEGIN {
        printf "%.0f %.1f %.1f %d\n", r, d / hz * 1e6 / n, u / hz * 1e6 / n, x }'
}

echo "# serve bench: $ROUNDS rounds x ${SECS}s, wrk -t1 -c$CONNS, serve" \
    "threads $THREADS, pin $PIN, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# round  nginx_rps nginx_us/req (user)  serve_rps serve_us/req (user)  non2xx(n/s)"
: >"$WORK/rows"
for r in $(seq "$ROUNDS"); do
    read -r nr nc nu nnon < <(measure "$NPORT" "$NGINX_WORKER")
    read -r sr scu su snon < <(measure "$SPORT" "$SERVE_PID")
    printf "%7d %10s %12s %6s %10s %12s %6s %8s/%s\n" "$r" "$nr" "$nc" "($nu)" \
        "$sr" "$scu" "($su)" "$nnon" "$snon" | tee -a "$WORK/rows"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mn=$(awk '{ print $2 }' "$WORK/rows" | median)
ms=$(awk '{ print $5 }' "$WORK/rows" | median)
cn=$(awk '{ print $3 }' "$WORK/rows" | median)
cs=$(awk '{ print $6 }' "$WORK/rows" | median)
un=$(awk '{ gsub(/[()]/, "", $4); print $4 }' "$WORK/rows" | median)
us=$(awk '{ gsub(/[()]/, "", $7); print $7 }' "$WORK/rows" | median)
rr=$(awk '{ print $5 / $2 }' "$WORK/rows" | median)
awk -v mn="$mn" -v ms="$ms" -v cn="$cn" -v cs="$cs" -v un="$un" -v us="$us" \
    -v rr="$rr" 'BEGIN {
    printf "median  nginx %.0f req/s %.1f us/req (user %.1f)   serve %.0f req/s %.1f us/req (user %.1f)\n", mn, cn, un, ms, cs, us
    printf "ratio   serve/nginx throughput %.2f (median of rounds %.2f)   serve/nginx CPU per request %.2f\n", ms / mn, rr, cs / cn
    printf "serve decisions+responses per CPU-second: %.0f\n", 1e6 / cs
}'
echo "# load at end $(cut -d' ' -f1-3 /proc/loadavg)"
