#!/usr/bin/env bash
# run against nginx over TLS with HTTP/2 (a throwaway self-signed
# certificate): certificate verification is on by default, so the start
# probe fails and run exits 3; with --insecure every request succeeds,
# over HTTP/2 (multiplexed: at most a few connections per worker however
# many are allowed).  Bounded: 2 s on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"
command -v openssl >/dev/null || fail "openssl not installed"

PORT=$(free_port)
mkdir -p "$WORK/www"
echo '{"ok":true}' >"$WORK/www/ok.json"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
start_nginx "$PORT" "
  server {
    listen 127.0.0.1:$PORT ssl http2;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    root $WORK/www;
    location = /v1/ok { try_files /ok.json =404; }
  }"

cat >"$WORK/tls.yaml" <<YAML
name: tls-h2
duration: 2s
interval: 500ms
accounts:
  - name: c
    count: 10
    traffic: { arrival: poisson, phases: [ { for: 2s, rate: 200/s } ] }
live:
  target: https://127.0.0.1:$PORT
  request: { method: GET, path: /v1/ok }
  connections: 32
  threads: 2
YAML

set +e
"$TG" run "$WORK/tls.yaml" -o "$WORK/strict" -q >/dev/null 2>"$WORK/strict.err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "self-signed certificate accepted without --insecure (exit $rc)"
grep -qi "certificate" "$WORK/strict.err" || fail "no certificate message: $(cat "$WORK/strict.err")"

"$TG" run "$WORK/tls.yaml" --insecure -o "$WORK/run" -q >/dev/null
python3 - "$WORK/run/summary.json" "$WORK/run/generator.json" <<'PY' || fail "TLS/HTTP2 run"
import json, sys
s, g = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
r = s["requests"]
print(f"ok {r['ok']}/{r['attempts']}, http2 {g['http2_responses']}, connections {g['connections_opened_peak']}")
sys.exit(0 if r["ok"] == r["attempts"] == g["http2_responses"] > 300
         and g["connections_opened_peak"] <= 8 else 1)
PY
echo "PASS test_run_tls"
