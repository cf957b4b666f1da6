# Helpers shared by tests/integration/test_run_*.sh (sourced, not run).
# Every server started here listens on 127.0.0.1 only, is killed on exit,
# and every load is bounded by the scenario's duration.
set -euo pipefail

TG=${1:?usage: test_run_*.sh TOLLGATE_BINARY REPO_ROOT}
SRC=${2:?usage: test_run_*.sh TOLLGATE_BINARY REPO_ROOT}
TG=$(cd "$(dirname "$TG")" && pwd)/$(basename "$TG")
WORK=$(mktemp -d /tmp/tg-run-test.XXXXXX)
chmod 755 "$WORK"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    if [ -n "$p" ]; then
      kill "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${TG_KEEP:-}" ] && trap - EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s at most).
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on port $1"
}

# start_nginx PORT HTTP_BLOCK_BODY: nginx in the foreground (daemon off),
# one worker, everything under $WORK/nginx; static files from $WORK/www.
start_nginx() {
  command -v nginx >/dev/null || fail "nginx not installed (scripts/setup.sh --test)"
  local port=$1 body=$2 d=$WORK/nginx
  mkdir -p "$d/logs" "$d/tmp" "$WORK/www"
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;"
  cat >"$d/nginx.conf" <<CONF
$user
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_requests 1000000;
  default_type application/json;
  $body
}
CONF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" &
  PIDS+=($!)
  wait_port "$port"
}

# start_faultsrv MODE: the misbehaving server; sets FAULT_PORT.
start_faultsrv() {
  local bin
  bin=$(dirname "$TG")/tests/faultsrv
  if [ ! -x "$bin" ]; then
    bin=$WORK/faultsrv
    [ -x "$bin" ] || cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 \
      "$SRC/tests/integration/faultsrv.c" -lpthread -o "$bin"
  fi
  rm -f "$WORK/fault.port"
  "$bin" "$1" "$WORK/fault.port" 120 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    [ -s "$WORK/fault.port" ] && break
    sleep 0.05
  done
  FAULT_PORT=$(cat "$WORK/fault.port")
  wait_port "$FAULT_PORT"
}

# stop_last: kills the server started last.
stop_last() {
  local i=$((${#PIDS[@]} - 1))
  kill "${PIDS[$i]}" 2>/dev/null || true
  wait "${PIDS[$i]}" 2>/dev/null || true
  PIDS[$i]=""
}

# jq-like reader: js FILE EXPR (python expression over `d`).
js() {
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# maxrss_run KB_FILE CMD...: runs CMD, writes its peak RSS in KB to KB_FILE
# and returns its exit status (python's getrusage of the child: no
# dependency on /usr/bin/time).
maxrss_run() {
  local out=$1
  shift
  python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)
PY
}
