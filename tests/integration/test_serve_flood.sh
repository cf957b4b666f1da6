#!/usr/bin/env bash
# ctest-labels: serve
# test_serve_flood.sh - `tollgate serve` under a connection flood for
# 20 s: 2,000 idle connections (each one the server closes is replaced at
# once) and 1,100 slowloris connections (a request line, then one header
# line every 2 s, which keeps libmicrohttpd's idle timeout from ever
# firing), with serve started under the usual soft descriptor limit of
# 1024.  Checks that serve raised its descriptor limit and says so, that
# a normal request is answered within 1 s at several points during the
# flood, that the slowloris connections are closed by the whole-request
# deadline (--request-timeout 6s) although they keep sending, and that
# serve answers normally afterwards.  Before serve had a deadline and
# raised its limit, the first requests during such a flood waited 7-10 s
# and the slowloris connections stayed open.
# The flooder (serve/flood.py) uses 127.0.0.2 and 127.0.0.3 as sources, so
# the per-address cap never applies to this script's own requests.
#
# Usage: bash test_serve_flood.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

ulimit -Sn 1024 # the common default: serve must raise it itself

cat >"$WORK/flood.yaml" <<'EOF2'
name: serve-flood
duration: 10m
policy:
  tiers:
    plain: {}
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
accounts:
  - { name: users, count: 10, tier: plain, traffic: { phases: [ { for: 10m, rate: 1/s } ] } }
EOF2
serve_start "$WORK/flood.yaml" --request-timeout 6s --stop-after 60s
CHAT='{"model":"mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
K=$(key 1)
check "startup line names the descriptor limit" \
    grep -Eq 'descriptors: [0-9]+ \(soft limit raised from 1024\)' "$WORK/log"

# probe NAME: one request on a fresh connection; 200 within 1 s
probe() {
    local out
    out=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{time_total}' \
        -H "Authorization: Bearer $K" -d "$CHAT" "$URL/v1/chat/completions")
    echo "probe $1: $out"
    STATUS=${out%% *}
    check "$1: 200 (got '$out')" status_is 200
    check "$1: answered within 1 s (got '$out')" \
        awk -v t="${out#* }" 'BEGIN { exit !(t < 1.0) }'
}

probe "before the flood"
python3 "$SRC/tests/integration/serve/flood.py" "$PORT" 2000 1100 2 20 \
    "$WORK/flood.json" &
FLOOD=$!
last=0
for t in 2 4 8 12 16; do
    sleep $((t - last))
    last=$t
    probe "flood t=${t}s"
done
wait $FLOOD
cat "$WORK/flood.json"
echo
fj() { python3 -c "import json; print(json.load(open('$WORK/flood.json'))['$1'])"; }
check "flood: 2000 idle connections accepted (got $(fj idle_open))" \
    test "$(fj idle_open)" -ge 1900
check "flood: 1100 slowloris connections accepted (got $(fj slow_open))" \
    test "$(fj slow_open)" -ge 1000
check "slowloris closed by the 6 s deadline ($(fj slow_closed) of $(fj slow_open))" \
    test "$(fj slow_closed)" -ge "$(fj slow_open)"
check "slowloris closed after 6-7.5 s (median $(fj slow_close_s) s)" \
    awk -v t="$(fj slow_close_s)" 'BEGIN { exit !(t >= 5.9 && t < 7.5) }'
probe "after the flood"
serve_stop
check "stop: exit status 0" test "$SERVE_STATUS" = 0

# --- a cap far below the flood: the longest-waiting connections make room,
# and each flooding address gets at most its share ---------------------------
serve_start "$WORK/flood.yaml" --max-connections 300 --max-per-client 200 \
    --stop-after 60s
K=$(key 1)
check "startup line names the caps" \
    grep -q 'at most 300 connections, 200 per client address' "$WORK/log"
python3 "$SRC/tests/integration/serve/flood.py" "$PORT" 1000 1000 2 6 \
    "$WORK/flood.json" &
FLOOD=$!
for t in 2 4; do
    sleep 2
    probe "capped flood t=${t}s"
done
wait $FLOOD
cat "$WORK/flood.json"
echo
serve_stop
check "capped: stop: exit status 0" test "$SERVE_STATUS" = 0

# --- a cap the descriptors cannot hold: a usage error naming the limit -------
# (serve raises its soft limit to at most 2^20, below the 1,250,064 needed)
"$TG" serve "$WORK/flood.yaml" --max-connections 1000000 --no-results \
    --stop-after 2s >"$WORK/err" 2>&1
check "cap beyond the descriptors: exit 2 (got $?)" test $? = 2
check "cap beyond the descriptors: says what it needs" \
    grep -q 'needs a descriptor limit of 1250064' "$WORK/err"
finish
