#!/usr/bin/env bash
# ctest-labels: deploy
# Sharded runs across real network hops: network namespaces made here and
# joined by veth pairs through a router namespace (addresses 10.231.x.y,
# which exist only inside these namespaces), `tollgate serve` in one, a
# `run` shard in each of two others, everything routed (ip_forward) through
# the router:
#   (a) deterministic policy (a per-account limit that does not refill
#       within the run, invalid keys): the merged two shards equal an
#       unsharded run exactly, per reason;
#   (b) a round trip of RTT_MS injected on the path - with `tc qdisc netem`
#       when the kernel has it, else by a delaying TCP relay
#       (delay_relay.py) in the router namespace - shows in the measured
#       attempt latency: median ok latency within [RTT, RTT + 15 ms] and
#       RTT +- 15 ms above the undelayed one;
#   (c) `tollgate sim` with network.rtt = RTT in the scenario agrees with
#       the live merged result within 2 percentage points per reason
#       (Poisson arrivals, a token bucket: timing matters), and its median
#       ok latency is within 15 ms of the live one.
# Namespaces, relay, servers and shards are removed on any exit.  Skips
# (77) only without root or `ip netns`.  Bounded: about 25 s.
RTT_MS=40
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: test_deploy_netns needs root to create network namespaces"
  exit 77
fi
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
  echo "SKIP: 'ip netns' is not available (Debian: apt-get install iproute2)"
  exit 77
fi
source "$(dirname "$0")/run_common.sh"

NS_R=tg-r-$$ NS_S=tg-s-$$ NS_0=tg-c0-$$ NS_1=tg-c1-$$
netns_down() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for n in "$NS_0" "$NS_1" "$NS_S" "$NS_R"; do
    ip netns del "$n" 2>/dev/null || true
  done
}
trap 'netns_down; [ -n "${TG_KEEP:-}" ] || cleanup' EXIT

# link NS SUBNET: a veth from the router to NS, router .1, NS .2 (/24).
link() {
  ip netns add "$1"
  ip -n "$NS_R" link add "r-$2" type veth peer name eth0 netns "$1"
  ip -n "$NS_R" addr add "10.231.$2.1/24" dev "r-$2"
  ip -n "$NS_R" link set "r-$2" up
  ip -n "$1" addr add "10.231.$2.2/24" dev eth0
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
  ip -n "$1" route add default via "10.231.$2.1"
}
ip netns add "$NS_R" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$NS_R" link set lo up
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
link "$NS_S" 3
link "$NS_0" 1
link "$NS_1" 2
SRV=10.231.3.2

# nsx NS CMD...: run CMD in namespace NS.
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }
# wait_tcp NS HOST PORT: until HOST:PORT accepts, seen from NS (5 s).
wait_tcp() {
  for _ in $(seq 1 100); do
    nsx "$1" python3 -c "import socket,sys; socket.create_connection(('$2', $3), 0.2)" \
      2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on $2:$3 (seen from $1)"
}
serve_up() { # SCENARIO PORT: a fresh serve in the server namespace
  nsx "$NS_S" "$TG" serve "$1" --listen "$SRV:$2" --no-results -q \
    --stop-after 60s >>"$WORK/serve.log" 2>&1 &
  PIDS+=($!)
  wait_tcp "$NS_0" "$SRV" "$2"
}
# shards SCENARIO OUT URL0 URL1: shard 0 from NS_0, shard 1 from NS_1, one
# --start-at, then merge into OUT.
shards() {
  local start
  start=$(python3 -c 'import time; print(f"{time.time() + 3:.3f}")')
  nsx "$NS_0" "$TG" run "$1" --target "$3" --shard 0/2 --start-at "$start" -q \
    -o "$2.s0" >"$2.s0.log" 2>&1 &
  local p0=$!
  nsx "$NS_1" "$TG" run "$1" --target "$4" --shard 1/2 --start-at "$start" -q \
    -o "$2.s1" >"$2.s1.log" 2>&1 &
  local p1=$!
  wait "$p0" || { cat "$2.s0.log"; fail "shard 0 of $2"; }
  wait "$p1" || { cat "$2.s1.log"; fail "shard 1 of $2"; }
  "$TG" merge -q -o "$2" "$2.s0" "$2.s1" || fail "merge $2"
}

# (a) deterministic policy, routed hops, no delay.
cat >"$WORK/det.yaml" <<'YAML'
name: netns-det
seed: 21
duration: 3s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rph, requests: 6, per: 1h } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
accounts:
  - name: users
    count: 12
    tier: free
    invalid_key: 10%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: uniform, phases: [ { for: 3s, rate: 120/s } ] }
live: { connections: 8, threads: 2 }
YAML
serve_up "$WORK/det.yaml" 8081
shards "$WORK/det.yaml" "$WORK/det" "http://$SRV:8081" "http://$SRV:8081"
serve_up "$WORK/det.yaml" 8082
nsx "$NS_0" "$TG" run "$WORK/det.yaml" --target "http://$SRV:8082" -q \
  -o "$WORK/det1" >/dev/null || fail "unsharded run"
python3 - "$WORK" <<'PY' || fail "(a) merged vs unsharded"
import json, sys
w = sys.argv[1]
m, one = (json.load(open(f"{w}/{d}/summary.json")) for d in ("det", "det1"))
print(f"(a) merged {m['requests']}, unsharded {one['requests']}; "
      f"rate_limit {m['denied_by_reason']['rate_limit']} vs {one['denied_by_reason']['rate_limit']}, "
      f"invalid_key {m['denied_by_reason']['invalid_key']} vs {one['denied_by_reason']['invalid_key']}")
ok = m["requests"] == one["requests"] and m["denied_by_reason"] == one["denied_by_reason"]
ok &= one["requests"]["attempts"] == 360 and one["denied_by_reason"]["rate_limit"] > 0
sys.exit(0 if ok else 1)
PY

# (b) and (c): a timing-sensitive policy with RTT_MS injected on the path.
cat >"$WORK/rtt.yaml" <<YAML
name: netns-rtt
seed: 8
duration: 4s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: r5s, requests: 10, per: 5s } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
  network: { rtt: ${RTT_MS}ms }
accounts:
  - name: users
    count: 16
    tier: free
    invalid_key: 5%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: poisson, phases: [ { for: 4s, rate: 100/s } ] }
live: { connections: 16, threads: 2 }
YAML
serve_up "$WORK/rtt.yaml" 8083
shards "$WORK/rtt.yaml" "$WORK/base" "http://$SRV:8083" "http://$SRV:8083"
serve_up "$WORK/rtt.yaml" 8084
if nsx "$NS_R" tc qdisc add dev r-3 root netem delay "${RTT_MS}ms" 2>/dev/null; then
  echo "(b) delay: tc netem ${RTT_MS}ms on the router's link to the server"
  T0=http://$SRV:8084 T1=http://$SRV:8084
else
  echo "(b) delay: this kernel has no netem; delay_relay.py in the router namespace"
  nsx "$NS_R" python3 "$SRC/tests/integration/delay_relay.py" 0.0.0.0 9000 \
    "$SRV" 8084 "$RTT_MS" 60 >"$WORK/relay.log" 2>&1 &
  PIDS+=($!)
  wait_tcp "$NS_0" 10.231.1.1 9000
  T0=http://10.231.1.1:9000 T1=http://10.231.2.1:9000
fi
shards "$WORK/rtt.yaml" "$WORK/delayed" "$T0" "$T1"
"$TG" sim "$WORK/rtt.yaml" -q -o "$WORK/sim" || fail "sim"
python3 - "$WORK" "$RTT_MS" <<'PY' || fail "(b)/(c) delay and sim agreement"
import json, sys
w, rtt = sys.argv[1], float(sys.argv[2])
base, live, sim = (json.load(open(f"{w}/{d}/summary.json")) for d in ("base", "delayed", "sim"))
bad = False
b50, l50, s50 = (x["latency_ms"]["ok"]["p50"] for x in (base, live, sim))
print(f"(b) median ok latency: {b50:.2f} ms undelayed, {l50:.2f} ms with {rtt:.0f} ms injected")
bad |= not (rtt <= l50 <= rtt + 15) or abs((l50 - b50) - rtt) > 15
n_live, n_sim = live["requests"]["attempts"], sim["requests"]["attempts"]
print(f"(c) attempts: live {n_live}, sim {n_sim}; median ok latency sim {s50:.2f} ms")
bad |= n_live != n_sim or abs(s50 - l50) > 15
for k in ["ok"] + list(sim["denied_by_reason"]):
    a = (live["requests"]["ok"] if k == "ok" else live["denied_by_reason"][k]) / n_live
    b = (sim["requests"]["ok"] if k == "ok" else sim["denied_by_reason"][k]) / n_sim
    if a or b:
        print(f"    {k:14s} live {100 * a:6.2f}%  sim {100 * b:6.2f}%")
    bad |= abs(a - b) > 0.02
bad |= sim["denied_by_reason"]["rate_limit"] < 0.05 * n_sim
sys.exit(1 if bad else 0)
PY
echo "PASS test_deploy_netns"
