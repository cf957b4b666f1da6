#!/usr/bin/env bash
# run vs nginx limiting per API key (limit_req_zone $http_authorization,
# 5r/s, burst 0): accounts send their own keys, so a fast account is
# limited on its own while slow accounts pass.  docs/validation.md, b = 0 and
# fixed spacing: only every ceil(R/r)-th request passes, so the fast
# account (uniform 20/s) is denied 1 - 1/ceil(20/5) = 75%; the slow
# population (2 accounts, 4/s in total, never two requests closer than
# 250 ms) is never denied.  With one shared key both would be limited.
# Bounded: 3 s on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

PORT=$(free_port)
mkdir -p "$WORK/www"
echo '{"ok":true}' >"$WORK/www/ok.json"
start_nginx "$PORT" "
  limit_req_zone \$http_authorization zone=perkey:1m rate=5r/s;
  limit_req_status 429;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/www;
    location = /v1/ok { limit_req zone=perkey; try_files /ok.json =404; }
  }"

cat >"$WORK/perkey.yaml" <<YAML
name: nginx-per-key
duration: 3s
interval: 1s
accounts:
  - name: fast
    count: 1
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 20/s } ] }
  - name: slow
    count: 2
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 4/s } ] }
live:
  target: http://127.0.0.1:$PORT
  request: { method: GET, path: /v1/ok }
  connections: 8
  threads: 2
YAML

"$TG" run "$WORK/perkey.yaml" -o "$WORK/run" -q >"$WORK/run.out"
python3 - "$WORK/run/summary.json" <<'PY' || fail "per-key separation"
import json, math, sys
d = json.load(open(sys.argv[1]))
f, s = d["populations"]["fast"], d["populations"]["slow"]
fa, fd = f["requests"]["attempts"], f["denied_by_reason"]["rate_limit"]
sa, sd = s["requests"]["attempts"], s["denied_by_reason"]["rate_limit"]
want = 1 - 1 / math.ceil(20 / 5)
print(f"fast: {fd}/{fa} denied ({fd/fa:.3f}, formula {want:.3f}); slow: {sd}/{sa}")
# Tolerance: 3 of 60 requests; a send a millisecond early at the 200 ms
# boundary is denied by nginx's integer-ms arithmetic.
ok = fa == 60 and sa == 12 and sd == 0 and abs(fd - want * fa) <= 3
sys.exit(0 if ok else 1)
PY
echo "PASS test_run_perkey"
