#!/usr/bin/env bash
# ctest-labels: threaded serve
# test_serve_capacity.sh - the capacity model and the time-driven reasons
# of `tollgate serve`: service time without a blocked thread, queue
# timeout and full queue (overloaded, 503 / Anthropic 529), a scheduled
# maintenance window from second 0, server_error after it, and the
# graceful stop answering a request still in service.
# Scenarios: tests/integration/serve/{capacity,errors}.yaml.
#
# Usage: bash test_serve_capacity.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

CHAT='{"model":"mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'

bg_chat() { # NAME KEY PATH: runs in the background, writes $WORK/NAME.{out,body}
    curl -s -m 10 -o "$WORK/$1.body" -w '%{http_code} %{time_total}' \
        "$URL$3" -H "x-api-key: $2" -d "$CHAT" >"$WORK/$1.out" &
}

# --- capacity: 1 server, queue 1, queue timeout 300 ms, service 1 s ---------
serve_start "$SRC/tests/integration/serve/capacity.yaml" --stop-after 60s
K0=$(key 0)
K1=$(key 1)
K2=$(key 2)
K3=$(key 3)
bg_chat a "$K0" /v1/chat/completions
A=$!
sleep 0.1
bg_chat b "$K1" /v1/chat/completions # queued, expires after 300 ms
B=$!
sleep 0.1
chat "$K2" "$CHAT" # queue full
deny "queue full" 503 server_is_overloaded # no known wait: no retry-after
post /v1/messages "$K3" '{"model":"mini","max_tokens":5,"messages":[]}'
check "anthropic overloaded: 529" status_is 529
check "anthropic overloaded: type" body_has '"type":"overloaded_error"'
wait $B
read -r st t <"$WORK/b.out"
check "queue timeout: 503" test "$st" = 503
check "queue timeout: overloaded" grep -q server_is_overloaded "$WORK/b.body"
check "queue timeout: after ~300 ms (got $t)" \
    awk -v t="$t" 'BEGIN { exit !(t >= 0.25 && t < 0.9) }'
admin_get /tollgate/metrics
check "metrics: one in flight" body_match '^tollgate_in_flight 1$'
check "metrics: one busy server" body_match '^tollgate_busy_servers 1$'
admin_get /tollgate/state
check "state: one server, not unlimited" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["servers"] == 1 and s["servers_unlimited"] is False else 1)' "$WORK/body"
wait $A
read -r st t <"$WORK/a.out"
check "served: 200" test "$st" = 200
check "served: after its 1 s service time (got $t)" \
    awk -v t="$t" 'BEGIN { exit !(t >= 0.95 && t < 3) }'

# A graceful stop while a request is in service must answer it (503, not
# recorded) instead of leaving the client hanging.
bg_chat c "$K0" /v1/chat/completions
C=$!
sleep 0.2
serve_stop
wait $C
read -r st t <"$WORK/c.out"
check "stop answers a request in service: 503" test "$st" = 503
check "stop: no wait offered (no 'try again in 0ms')" \
    not grep -q 'try again' "$WORK/c.body"
check "stop: quickly (got $t s)" awk -v t="$t" 'BEGIN { exit !(t < 0.9) }'
check "stop: exit status 0" test "$SERVE_STATUS" = 0
check "results: overloaded counted" \
    grep -Eq '"overloaded": 3' "$WORK/out/summary.json"
check "results: ok counted" grep -Eq '"ok": 1' "$WORK/out/summary.json"

# --- maintenance 0..1.5 s, then server_error 100% -----------------------------
rm -rf "$WORK/out"
serve_start "$SRC/tests/integration/serve/errors.yaml" --stop-after 60s
chat "$(key 0)" "$CHAT"
deny maintenance 503 service_unavailable retry
check "maintenance: message" body_has 'maintenance'
for _ in $(seq 40); do
    chat "$(key 1)" "$CHAT"
    [ "$STATUS" != 503 ] && break
    sleep 0.1
done
deny server_error 500 server_error # no known wait: no retry-after
admin_get /tollgate/state
check "state: maintenance listed, ended" \
    body_match '"kind":"maintenance","label":"","start_s":([0-9.]+e-[0-9]+|0(\.0[0-9]*)?),"end_s":1.5[0-9]*,"active":false'
serve_stop
check "events.csv: maintenance row" \
    grep -Eq '^([0-9.]+e-[0-9]+|0(\.0[0-9]*)?),1\.5[0-9]*,maintenance,' "$WORK/out/events.csv"

# --- timeline: every 500 ms maintenance (100 ms), random outages --------------
rm -rf "$WORK/out"
serve_start "$SRC/tests/integration/serve/timeline.yaml" --stop-after 2200ms
wait "$SERVE_PID"
check "timeline: stopped by itself, status 0" test $? = 0
SERVE_PID=
ev=$WORK/out/events.csv
n_maint=$(grep -c ',maintenance,' "$ev")
n_out=$(grep -c ',outage,random' "$ev")
check "timeline: 4 or 5 maintenance windows in 2.2 s (got $n_maint)" \
    test "$n_maint" -ge 4 -a "$n_maint" -le 5
check "timeline: random outages happened (got $n_out)" test "$n_out" -ge 2
# A row starts when its timer fired and ends when it was due (due + 100 ms:
# lateness never accumulates), so a late timer shortens that window a bit.
check "timeline: maintenance every 500 ms, 100 ms long" awk -F, '
    $3 == "maintenance" { if (n > 0 && ($1 - prev < 0.45 || $1 - prev > 0.55)) bad = 1
                          if ($2 - $1 < 0.09 || $2 - $1 > 0.101) bad = 1
                          prev = $1; n++ }
    END { exit bad || n < 4 }' "$ev"
check "timeline: gauges in the time series" \
    test "$(wc -l <"$WORK/out/timeseries.csv")" -ge 4

finish
