#!/usr/bin/env bash
# bench/run/bench.sh - tollgate run vs wrk (and hey) against one loopback
# nginx (1 worker, static 60-byte JSON, keep-alive).  Reproducible:
#   bench/run/bench.sh [BUILD_DIR] [ROUNDS] [SECONDS]
# Reports, per round (tools alternate within a round, same connections):
#  1. saturation: req/s and client CPU per request (user+sys of the client
#     process from /usr/bin/time, divided by the requests it completed);
#     tollgate runs a closed loop (users = connections, think 0); the
#     "libcurl" row is bench/run/curl_floor.c, a bare libcurl loop doing the
#     same number of requests: the floor of any libcurl-based client;
#  2. open-loop accuracy: limit_req rate=100r/s burst=20 nodelay at
#     1000 req/s for 10 s; theory (ORACLES.md) floor(21 + 100 * 9.999) =
#     1020 accepted of 10000, i.e. 89.80% rejected;
#  3. schedule lag percentiles of an open loop at 20k req/s.
# Loopback only, bounded; needs nginx, wrk, hey (scripts/setup.sh --test).
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-3}
SECS=${3:-5}
CONNS=${CONNS:-50}
cd "$(dirname "$0")/../.."
TG=$PWD/$BUILD/tollgate
W=$(mktemp -d /tmp/tg-bench.XXXXXX)
chmod 755 "$W"
NGINX_PID=
trap '[ -n "$NGINX_PID" ] && kill $NGINX_PID 2>/dev/null; rm -rf "$W"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$W/www" "$W/logs" "$W/tmp"
printf '{"id":"chatcmpl-bench","object":"chat.completion","ok":true}\n' >"$W/www/ok.json"
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
cat >"$W/nginx.conf" <<CONF
$USER_LINE
worker_processes 1; daemon off; pid $W/nginx.pid; error_log $W/logs/error.log crit;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 10000000; default_type application/json;
  client_body_temp_path $W/tmp/b; proxy_temp_path $W/tmp/p; fastcgi_temp_path $W/tmp/f;
  uwsgi_temp_path $W/tmp/u; scgi_temp_path $W/tmp/s;
  limit_req_zone \$binary_remote_addr zone=one:1m rate=100r/s;
  limit_req_status 429;
  server {
    listen 127.0.0.1:$PORT; root $W/www;
    location = /v1/ok { try_files /ok.json =404; }
    location = /v1/limited { limit_req zone=one burst=20 nodelay; try_files /ok.json =404; }
  }
}
CONF
nginx -p "$W" -c "$W/nginx.conf" -e "$W/logs/error.log" &
NGINX_PID=$!
sleep 0.5
URL=http://127.0.0.1:$PORT

scenario() { # name duration traffic-block
  cat >"$W/$1.yaml" <<YAML
name: bench-$1
duration: $2
interval: 1s
accounts:
  - name: c
    count: $CONNS
    traffic: $3
live:
  target: $URL
  request: { method: GET, path: $4, headers: [ "Accept: */*" ] }
  region_header: ""
  connections: $CONNS
  threads: 1
YAML
}
scenario sat "${SECS}s" "{ arrival: closed, users: $CONNS, think: 0s }" /v1/ok
scenario limit 10s "{ arrival: uniform, phases: [ { for: 10s, rate: 1000/s } ] }" /v1/limited
scenario lag "${SECS}s" "{ arrival: uniform, phases: [ { for: ${SECS}s, rate: 20000/s } ] }" /v1/ok

cpu() { awk '{printf "%.3f", $1 + $2}' "$1"; }

# The bare libcurl loop (bench/run/curl_floor.c): what any libcurl client
# costs per request on this machine, the floor under tollgate's figure.
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 bench/run/curl_floor.c -lcurl -o "$W/curl_floor"

echo "== saturation, $CONNS connections, 1 client thread, ${SECS}s each"
printf "%-6s %-9s %10s %14s\n" round client "req/s" "cpu us/req"
for r in $(seq 1 "$ROUNDS"); do
  /usr/bin/time -f "%U %S" -o "$W/t.wrk" wrk -t1 -c"$CONNS" -d"${SECS}s" "$URL/v1/ok" >"$W/wrk.out"
  n=$(awk '/requests in/ {print $1}' "$W/wrk.out")
  c=$(cpu "$W/t.wrk")
  printf "%-6s %-9s %10.0f %14.2f\n" "$r" wrk "$(echo "$n / $SECS" | bc -l)" "$(echo "$c * 1000000 / $n" | bc -l)"
  /usr/bin/time -f "%U %S" -o "$W/t.tg" "$TG" run "$W/sat.yaml" -o "$W/sat" -q >/dev/null
  n=$(python3 -c "import json; print(json.load(open('$W/sat/summary.json'))['requests']['ok'])")
  c=$(cpu "$W/t.tg")
  printf "%-6s %-9s %10.0f %14.2f\n" "$r" tollgate "$(echo "$n / $SECS" | bc -l)" "$(echo "$c * 1000000 / $n" | bc -l)"
  "$W/curl_floor" "$URL/v1/ok" "$CONNS" "$n" | awk -v r="$r" '{printf "%-6s %-9s %10s %14.2f\n", r, "libcurl", "-", $(NF-4)}'
  if command -v hey >/dev/null; then
    /usr/bin/time -f "%U %S" -o "$W/t.hey" hey -c "$CONNS" -z "${SECS}s" "$URL/v1/ok" >"$W/hey.out"
    n=$(awk '/\[200\]/ {print $2}' "$W/hey.out")
    c=$(cpu "$W/t.hey")
    printf "%-6s %-9s %10.0f %14.2f\n" "$r" hey "$(echo "$n / $SECS" | bc -l)" "$(echo "$c * 1000000 / $n" | bc -l)"
  fi
done

echo "== open-loop accuracy: limit_req 100r/s burst 20, 1000 req/s for 10 s (theory 89.80%)"
sleep 1 # a fresh limit_req state for the one key (refills in 0.21 s)
"$TG" run "$W/limit.yaml" -o "$W/limit" -q >/dev/null
python3 - "$W/limit/summary.json" "$W/limit/generator.json" <<'PY'
import json, sys
s, g = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a, rl = s["requests"]["attempts"], s["denied_by_reason"]["rate_limit"]
lag = g["schedule_lag_ms"]
print(f"tollgate: {rl}/{a} = {100*rl/a:.2f}% rejected; send lag p50 {lag['p50']} ms p99 {lag['p99']} ms")
PY

echo "== schedule lag, open loop (uniform) for ${SECS}s, $CONNS connections, 2 threads"
for rate in 5000 10000 20000; do
  sed "s#rate: 20000/s#rate: $rate/s#" "$W/lag.yaml" >"$W/lag-$rate.yaml"
  "$TG" run "$W/lag-$rate.yaml" -o "$W/lag-$rate" -q --threads 2 >/dev/null 2>&1 || true
  python3 - "$rate" "$W/lag-$rate/summary.json" "$W/lag-$rate/generator.json" <<'PY'
import json, sys
s, g = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
lag = g["schedule_lag_ms"]
print(f"{sys.argv[1]:>6}/s: sent {g['sent']}, ok {s['requests']['ok']}, dropped {g['dropped_no_connection']}; "
      f"lag ms p50 {lag['p50']} p99 {lag['p99']} max {lag['max']}; kept_up {g['kept_up']}")
PY
done
