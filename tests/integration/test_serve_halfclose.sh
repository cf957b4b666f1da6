#!/usr/bin/env bash
# ctest-labels: serve threaded
# test_serve_halfclose.sh - a client may half-close its connection
# (shutdown(SHUT_WR)) right after a complete request and still get the
# answer, as HTTP/1.1 allows, also while other connections keep serve
# busy and when the answer has to wait for its service time (the
# connection is suspended meanwhile).  libmicrohttpd 0.9.75 reads the
# end of the stream when it resumes such a connection and drops it, so
# serve suspends only after libmicrohttpd has stopped reading.  Requests
# are sent by serve/halfclose.py: 40 half-closed ones at once alongside
# 40 keep-alive clients, for a model answered at once, one with a 200 ms
# service time, and an unknown key (a fixed 401).  (libmicrohttpd may not
# notice the end of the stream after answering, so such a connection
# stays open until the request deadline: 2 s here.)
#
# Usage: bash test_serve_halfclose.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

cat >"$WORK/half.yaml" <<'EOF2'
name: serve-halfclose
duration: 10m
policy:
  tiers:
    plain: {}
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
    slow: { input: 0.15/1M, output: 0.60/1M, service: { first_token: 200ms } }
accounts:
  - { name: users, count: 10, tier: plain, models: { mini: 1, slow: 1 }, traffic: { phases: [ { for: 10m, rate: 1/s } ] } }
EOF2
serve_start "$WORK/half.yaml" --request-timeout 2s --stop-after 60s
K=$(key 1)
for what in "mini 200" "slow 200" "bad 401"; do
    set -- $what
    k=$K
    [ "$1" = bad ] && k=nope
    out=$(python3 "$SRC/tests/integration/serve/halfclose.py" "$PORT" "$k" \
        "${1/bad/mini}" 40)
    echo "$1: $out"
    got=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['status'].get('$2', 0))" "$out")
    check "$1: 40 half-closed requests answered $2 (got $got: $out)" test "$got" = 40
done
chat "$K" '{"model":"mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
check "still answering: 200" status_is 200
serve_stop
check "stop: exit status 0" test "$SERVE_STATUS" = 0
finish
