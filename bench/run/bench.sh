#!/usr/bin/env bash
# bench/run/bench.sh - tollgate run vs wrk (and hey) against one loopback
# nginx (1 worker, static 60-byte JSON, keep-alive).  Reproducible:
#   bench/run/bench.sh [BUILD_DIR] [ROUNDS] [SECONDS]
#   MODE=lag bench/run/bench.sh build-lg2 3 5      # one part only
# MODE (default all) picks the parts:
#  cpu    saturation: req/s and client CPU per request (user+sys of the
#         client process from /usr/bin/time, divided by the requests it
#         completed), wrk / tollgate / bare libcurl / hey alternating in a
#         round, same connections; tollgate runs a closed loop (users =
#         connections, think 0); "libcurl" is bench/run/curl_floor.c, a bare
#         libcurl loop doing the same number of requests: the floor of any
#         libcurl-based client; plus system calls per request (strace -c);
#  limit  open-loop accuracy: limit_req rate=100r/s burst=20 nodelay at
#         1000 req/s for 10 s; theory (docs/validation.md) floor(21 + 100 * 9.999) =
#         1020 accepted of 10000, i.e. 89.80% rejected;
#  floor  first what one sleep/wake-up costs here (bench/run/wake_cost.c),
#         then open-loop floors: per round, at each of LAG_RATES, `tollgate run`
#         (1 thread), bench/run/open_floor.c's bare libcurl loop and its
#         "raw" loop (libcurl connects; requests written and responses read
#         with curl_easy_send/recv, no HTTP layer), same LAG_CONNS
#         connections, one after another: CPU per request (user, system),
#         send lag p50/p99/p999, load;
#  lag    send lag of uniform open loops at LAG_RATES (5k 10k 20k req/s)
#         with LAG_THREADS worker threads and LAG_CONNS connections, under
#         LAG_CONDS conditions: plain; pinned (nginx on CPU 0, tollgate on
#         CPU 1, taskset); nice (tollgate and the nginx worker at nice -10,
#         and, with autogroup scheduling (/proc/sys/kernel/
#         sched_autogroup_enabled), this session's autogroup at nice -10:
#         nice alone only orders processes of one session, and another
#         user's jobs run in other sessions; root only).  Every
#         row carries the conditions it was measured under: 1-minute load
#         average at the start, CPU (in cores) that other processes used
#         during the run, and steal time (the hypervisor) in percent.
# Loopback only, bounded; needs nginx, wrk, hey, strace
# (scripts/setup.sh --test).
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-3}
SECS=${3:-5}
MODE=${MODE:-all}
CONNS=${CONNS:-50}
LAG_RATES=${LAG_RATES:-5000 10000 20000}
LAG_THREADS=${LAG_THREADS:-1 2}
LAG_CONNS=${LAG_CONNS:-100}
LAG_CONDS=${LAG_CONDS:-plain pinned nice}
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
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
URL=http://127.0.0.1:$PORT

scenario() { # name duration traffic-block path connections
  cat >"$W/$1.yaml" <<YAML
name: bench-$1
duration: $2
interval: 1s
accounts:
  - name: c
    count: 50
    traffic: $3
live:
  target: $URL
  request: { method: GET, path: $4, headers: [ "Accept: */*" ] }
  region_header: ""
  connections: ${5:-$CONNS}
  threads: 1
YAML
}

cpu() { awk '{printf "%.3f", $1 + $2}' "$1"; }
want() { [ "$MODE" = all ] || [[ " $MODE " == *" $1 "* ]]; }

part_cpu() {
  scenario sat "${SECS}s" "{ arrival: closed, users: $CONNS, think: 0s }" /v1/ok
  # The bare libcurl loop (bench/run/curl_floor.c): what any libcurl client
  # costs per request on this machine, the floor under tollgate's figure.
  cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 bench/run/curl_floor.c -lcurl -o "$W/curl_floor"
  echo "== saturation, $CONNS connections, 1 client thread, ${SECS}s each (load $(cut -d' ' -f1-3 /proc/loadavg))"
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
  if command -v strace >/dev/null; then
    echo "== system calls per request (strace -f -c, 20000 requests each)"
    scenario sys 60s "{ arrival: closed, users: $CONNS, think: 0s }" /v1/ok
    strace -f -c -o "$W/s.tg" "$TG" run "$W/sys.yaml" -o "$W/sys" -q --max-requests 20000 >/dev/null
    strace -f -c -o "$W/s.wrk" wrk -t1 -c"$CONNS" -d2s "$URL/v1/ok" >"$W/wrk.out"
    nw=$(awk '/requests in/ {print $1}' "$W/wrk.out")
    for f in tg:20000 wrk:$nw; do
      awk -v who="${f%%:*}" -v n="${f##*:}" '$4 ~ /^[0-9]+$/ && $NF != "total" {
          if ($4 / n >= 0.01) printf "%-9s %-14s %6.2f/req\n", who, $NF, $4 / n }' "$W/s.${f%%:*}"
    done
  fi
}

part_limit() {
  scenario limit 10s "{ arrival: uniform, phases: [ { for: 10s, rate: 1000/s } ] }" /v1/limited
  echo "== open-loop accuracy: limit_req 100r/s burst 20, 1000 req/s for 10 s (theory 89.80%)"
  sleep 1 # a fresh limit_req state for the one key (refills in 0.21 s)
  "$TG" run "$W/limit.yaml" -o "$W/limit" -q >/dev/null
  python3 - "$W/limit/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
a, rl = s["requests"]["attempts"], s["denied_by_reason"]["rate_limit"]
lag = s["schedule_lag_ms"]
print(f"tollgate: {rl}/{a} = {100*rl/a:.2f}% rejected; send lag p50 {lag['p50']} ms p99 {lag['p99']} ms")
PY
}

# busy_jiffies: "busy steal" jiffies summed over all CPUs (/proc/stat).
busy_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8, $9}' /proc/stat; }
# proc_jiffies PID: utime+stime of a process and its threads.
proc_jiffies() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

lag_run() { # cond threads rate
  local cond=$1 t=$2 rate=$3 pre=() la b0 s0 n0 b1 s1 n1 tgj hz
  sed "s#rate: 20000/s#rate: $rate/s#" "$W/lag.yaml" >"$W/lag-r.yaml"
  case $cond in
  pinned) pre=(taskset -c 1) ;;
  nice) pre=(nice -n -10) ;;
  esac
  [ "$cond" = pinned ] && taskset -p -c 0 "$NGINX_WORKER" >/dev/null
  if [ "$cond" = nice ]; then
    renice -n -10 -p "$NGINX_WORKER" >/dev/null
    [ -w /proc/self/autogroup ] && echo -10 >/proc/self/autogroup
  fi
  la=$(cut -d' ' -f1 /proc/loadavg)
  read -r b0 s0 < <(busy_jiffies)
  n0=$(proc_jiffies "$NGINX_WORKER")
  /usr/bin/time -f "%U %S %e" -o "$W/t.lag" "${pre[@]}" "$TG" run "$W/lag-r.yaml" -o "$W/lag" -q \
    --threads "$t" >/dev/null 2>&1 || true
  read -r b1 s1 < <(busy_jiffies)
  n1=$(proc_jiffies "$NGINX_WORKER")
  [ "$cond" = pinned ] && taskset -p -c "0-$(($(nproc) - 1))" "$NGINX_WORKER" >/dev/null
  if [ "$cond" = nice ]; then
    renice -n 0 -p "$NGINX_WORKER" >/dev/null
    [ -w /proc/self/autogroup ] && echo 0 >/proc/self/autogroup
  fi
  hz=$(getconf CLK_TCK)
  tgj=$(awk -v hz="$hz" '{printf "%d", ($1 + $2) * hz}' "$W/t.lag")
  python3 - "$W/lag/summary.json" "$W/lag/generator.json" "$cond" "$t" "$rate" "$la" \
    "$((b1 - b0))" "$((s1 - s0))" "$((n1 - n0))" "$tgj" "$hz" "$(awk '{print $3}' "$W/t.lag")" <<'PY'
import json, sys
s, g = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
cond, t, rate, la = sys.argv[3:7]
busy, steal, ngx, tg, hz = (int(x) for x in sys.argv[7:12])
wall = float(sys.argv[12])  # the whole run: start-up, window, drain
lag, dur = s["schedule_lag_ms"], s["duration_s"]
other = max(0.0, (busy - ngx - tg) / hz / wall)
print(f"{cond:<7} {t:>2} {rate:>6} {s['requests']['attempts']/dur:>9.0f} "
      f"{lag['p50']:>7.3f} {lag['p99']:>8.3f} {lag['p999']:>8.3f} {lag['max']:>8.3f} "
      f"{g['connections_opened_peak']:>5}/{g['waited_for_connection']:<6} "
      f"{str(g['kept_up']):<5} {g['worker_cpu_wait_ms']:>8.0f} {la:>5} {other:>6.2f} "
      f"{100*steal/hz/wall/2:>6.1f}")
PY
}

part_lag() {
  scenario lag "${SECS}s" "{ arrival: uniform, phases: [ { for: ${SECS}s, rate: 20000/s } ] }" /v1/ok "$LAG_CONNS"
  echo "== send lag, uniform open loop for ${SECS}s, $LAG_CONNS connections, $(nproc) CPUs"
  echo "   (conns/waits: connections opened / sends that waited for one; cpuwait: ms"
  echo "    the worker threads were runnable without a CPU; load: 1-min load average"
  echo "    at start; other: CPU cores used by other processes during the run;"
  echo "    steal: % of CPU time taken by the hypervisor)"
  printf "%-7s %2s %6s %9s %7s %8s %8s %8s %12s %-5s %8s %5s %6s %6s\n" cond thr rate "achieved" \
    "p50 ms" "p99 ms" "p999 ms" "max ms" "conns/waits" kept "cpuwait" load other steal%
  for r in $(seq 1 "$ROUNDS"); do
    for rate in $LAG_RATES; do
      for t in $LAG_THREADS; do
        for cond in $LAG_CONDS; do
          if [ "$cond" = nice ] && [ "$(id -u)" != 0 ]; then continue; fi
          lag_run "$cond" "$t" "$rate"
        done
      done
    done
  done
}

part_floor() {
  cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 bench/run/open_floor.c -lcurl -o "$W/open_floor"
  cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 bench/run/wake_cost.c -lpthread -o "$W/wake_cost"
  echo "== one sleep and wake-up, CPU of the sleeping thread (bench/run/wake_cost.c; load $(cut -d' ' -f1 /proc/loadavg))"
  "$W/wake_cost" 50 20000
  scenario floor "${SECS}s" "{ arrival: uniform, phases: [ { for: ${SECS}s, rate: 20000/s } ] }" /v1/ok "$LAG_CONNS"
  echo "== open-loop floors, uniform for ${SECS}s, $LAG_CONNS connections, 1 thread"
  printf "%-6s %-9s %6s %9s %7s %7s %8s %8s %8s %5s\n" round client rate "cpu us" user sys "p50 ms" "p99 ms" "p999 ms" load
  for r in $(seq 1 "$ROUNDS"); do
    for rate in $LAG_RATES; do
      local la n u s
      sed "s#rate: 20000/s#rate: $rate/s#" "$W/floor.yaml" >"$W/floor-r.yaml"
      la=$(cut -d' ' -f1 /proc/loadavg)
      /usr/bin/time -f "%U %S" -o "$W/t.fl" "$TG" run "$W/floor-r.yaml" -o "$W/floor" -q >/dev/null 2>&1 || true
      read -r u s <"$W/t.fl"
      python3 - "$W/floor/summary.json" "$r" "$rate" "$u" "$s" "$la" <<'PY'
import json, sys
S = json.load(open(sys.argv[1]))
r, rate, u, s, la = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
n, lag = S["requests"]["attempts"], S["schedule_lag_ms"]
print(f"{r:<6} {'tollgate':<9} {rate:>6} {1e6*(u+s)/n:9.2f} {1e6*u/n:7.2f} {1e6*s/n:7.2f} "
      f"{lag['p50']:8.3f} {lag['p99']:8.3f} {lag['p999']:8.3f} {la:>5}")
PY
      for e in curl raw; do
        la=$(cut -d' ' -f1 /proc/loadavg)
        "$W/open_floor" "$e" "$URL/v1/ok" "$LAG_CONNS" "$rate" "$SECS" |
          awk -v r="$r" -v e="$e" -v rate="$rate" -v la="$la" '{
            gsub(/[(),]/, " "); for (i = 1; i <= NF; i++) v[$i] = $(i + 1)
            printf "%-6s %-9s %6s %9.2f %7.2f %7.2f %8.3f %8.3f %8.3f %5s\n", r, e, rate,
              v["cpu"], v["user"], v["sys"], v["p50"], v["p99"], v["p999"], la }'
      done
    done
  done
}

want cpu && part_cpu
want floor && part_floor
want limit && part_limit
want lag && part_lag
exit 0
