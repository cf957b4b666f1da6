#!/usr/bin/env bash
# run vs nginx limit_req WITHOUT nodelay (rate r, burst b; and with
# delay=d): nginx admits what fits the burst but holds each excess request
# until the bucket would have leaked it, (excess - d) / r seconds, before
# serving it.  tollgate's leaky_bucket with `delay:` models that hold, so
# sim's ok latency must match the live one (p50 and p90 within 40 ms or
# 15%: latency counts from the intended send, so a busy machine's
# schedule lag adds to it), as must the 429 share (within 1 point); run against the embedded
# serve (which holds requests the same way) must agree with sim too.
# Before `delay:`, sim said 0 ms where nginx took hundreds.  Bounded: 2 s
# of load per case on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

R=100 r=50 b=20 T=2
mkdir -p "$WORK/www"
echo '{"ok":true}' >"$WORK/www/ok.json"

# "ok_p50 ok_p90 rate_limit attempts" of a summary
nums() {
  js "$1" '"%s %s %s %s" % (d["latency_ms"]["ok"]["p50"], d["latency_ms"]["ok"]["p90"], d["denied_by_reason"]["rate_limit"], d["requests"]["attempts"])'
}
close_enough() { # WHAT A_DIR B_DIR
  python3 - "$1" "$(nums "$2/summary.json")" "$(nums "$3/summary.json")" <<'PY'
import sys
what = sys.argv[1]
a = [float(x) for x in sys.argv[2].split()]
b = [float(x) for x in sys.argv[3].split()]
ok = True
for i, name in ((0, "ok p50"), (1, "ok p90")):
    tol = max(40.0, 0.15 * max(a[i], b[i]))
    good = abs(a[i] - b[i]) <= tol
    ok &= good
    print(f"{what}: {name} {a[i]:.1f} vs {b[i]:.1f} ms (tolerance {tol:.1f})"
          + ("" if good else "  FAIL"))
sa, sb = a[2] / a[3], b[2] / b[3]
good = abs(sa - sb) <= 0.01
ok &= good
print(f"{what}: 429 share {sa:.4f} vs {sb:.4f}" + ("" if good else "  FAIL"))
sys.exit(0 if ok else 1)
PY
}

for delay in 0 10; do
  PORT=$(free_port)
  if [ "$delay" = 0 ]; then param=""; else param="delay=$delay"; fi
  start_nginx "$PORT" "
  limit_req_zone \$binary_remote_addr zone=one:1m rate=${r}r/s;
  limit_req_status 429;
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/www;
    location = /v1/limited { limit_req zone=one burst=$b $param; try_files /ok.json =404; }
  }"
  scn() { # LIVE_LINES (target and request, or none: the embedded serve)
    cat <<YAML
name: nginx-limit-req-delay
seed: 3
duration: ${T}s
interval: 500ms
policy:
  tiers:
    t: { limits: [ { name: rps, requests: $r, per: 1s, algorithm: leaky_bucket, burst: $b, delay: $delay } ] }
accounts:
  - name: one
    count: 1
    tier: t
    traffic: { arrival: uniform, phases: [ { for: ${T}s, rate: $R/s } ] }
live:
$1
  connections: 64
  threads: 1
YAML
  }
  scn "  target: http://127.0.0.1:$PORT
  request: { method: GET, path: /v1/limited }" >"$WORK/nginx$delay.yaml"
  scn "  timeout: 10s" >"$WORK/serve$delay.yaml"
  "$TG" sim "$WORK/nginx$delay.yaml" -o "$WORK/sim$delay" -q || fail "sim failed"
  "$TG" run "$WORK/nginx$delay.yaml" -o "$WORK/run$delay" -q >/dev/null ||
    fail "run against nginx failed"
  close_enough "delay=$delay: sim vs nginx" "$WORK/sim$delay" "$WORK/run$delay" ||
    fail "sim and nginx disagree (delay=$delay)"
  "$TG" run "$WORK/serve$delay.yaml" -o "$WORK/serve$delay" -q >/dev/null ||
    fail "run against the embedded serve failed"
  close_enough "delay=$delay: sim vs serve" "$WORK/sim$delay" "$WORK/serve$delay" ||
    fail "sim and serve disagree (delay=$delay)"
  p50=$(js "$WORK/sim$delay/summary.json" 'd["latency_ms"]["ok"]["p50"]')
  python3 -c "import sys; sys.exit(0 if float('$p50') > 50 else 1)" ||
    fail "sim ok p50 $p50 ms: no delay modelled (delay=$delay)"
  kill "${PIDS[-1]}" 2>/dev/null
done
echo "PASS test_run_limit_req_delay"
