#!/usr/bin/env bash
# ctest-labels: threaded serve
# test_serve_robust.sh - `tollgate serve` under hostile or heavy clients:
# 300 requests waiting at once on two HTTP threads (suspended, not
# blocked), slow clients closed by the idle timeout, oversized headers,
# garbage instead of HTTP, and the server still answering afterwards.
# Scenario: tests/integration/serve/robust.yaml (1 s service time).
#
# Usage: bash test_serve_robust.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

serve_start "$SRC/tests/integration/serve/robust.yaml" --timeout 1s \
    --threads 2 --stop-after 60s
CHAT='{"model":"mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'

# --- 300 concurrent waiting requests, 2 threads ----------------------------
K=$(key 1)
args=()
for i in $(seq 300); do
    args+=(-o /dev/null "$URL/v1/chat/completions?n=$i")
done
start=$(date +%s.%N)
curl -s -m 20 --parallel --parallel-immediate --parallel-max 300 -H "Authorization: Bearer $K" \
    -d "$CHAT" -w '%{http_code}\n' "${args[@]}" >"$WORK/par" &
PAR=$!
waiting=0
for _ in $(seq 8); do # the most seen waiting at once while they are served
    sleep 0.1
    admin_get /tollgate/metrics
    w=$(awk '/^tollgate_in_flight / { print $2 }' "$WORK/body")
    [ "${w:-0}" -gt "$waiting" ] && waiting=$w
done
wait $PAR
end=$(date +%s.%N)
ok=$(grep -c '^200$' "$WORK/par")
check "300 parallel: all 200 (got $ok)" test "$ok" = 300
check "300 parallel: many waiting at once (saw $waiting)" \
    test "${waiting:-0}" -ge 100
check "300 parallel: done in < 6 s, not 300 x 1 s / 2 threads" \
    awk -v a="$start" -v b="$end" 'BEGIN { exit !(b - a < 6) }'

# --- a slow client is closed by the 1 s timeout ------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' >&3
s0=$(date +%s.%N)
timeout 5 cat <&3 >/dev/null
s1=$(date +%s.%N)
exec 3<&-
check "slow client closed after ~1 s" \
    awk -v a="$s0" -v b="$s1" 'BEGIN { exit !(b - a >= 0.5 && b - a < 4) }'

# --- oversized headers, garbage -------------------------------------------------
# 8 KiB of connection memory: 6 KB of headers still fit, 40 KB do not
six=$(head -c 6000 /dev/zero | tr '\0' 'a')
chat "$(key 3)" "$CHAT" -H "X-Six: $six"
check "6 KB header: still answered (got $STATUS)" status_is 200
big=$(head -c 40000 /dev/zero | tr '\0' 'a')
STATUS=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/v1/models" \
    -H "X-Big: $big")
check "40 KB header: refused with 4xx (got $STATUS)" \
    test "${STATUS:0:1}" = 4
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'garbage\r\n\r\n' >&3
reply=$(timeout 5 head -c 12 <&3)
rc=$?
exec 3<&-
# libmicrohttpd either answers 400 or just closes (request line without
# a version); what matters is that it does not hang or crash.
check "garbage: 400 or closed (got '$reply', rc $rc)" \
    test "$rc" = 0 -a \( -z "$reply" -o "$reply" = 'HTTP/1.1 400' \)

# --- still alive ----------------------------------------------------------------
chat "$(key 2)" "$CHAT"
check "still answering: 200" status_is 200
serve_stop
check "stop: exit status 0" test "$SERVE_STATUS" = 0
check "results: 302 ok" grep -Eq '"ok": 302' "$WORK/out/summary.json"

finish
