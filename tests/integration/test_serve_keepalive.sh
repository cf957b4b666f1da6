#!/usr/bin/env bash
# ctest-labels: threaded serve
# test_serve_keepalive.sh - answers on one keep-alive connection.  serve
# keeps a connection's last success response and reuses it for the next
# success of the same body length, replacing the body bytes and the
# x-ratelimit values that changed; this checks, request after request on
# a single connection, that every answer carries its own values: the same
# account twice (remaining falls), accounts of tiers with other limit
# kinds (headers appear and disappear), a body of another length, a
# denial in between, an answer after a suspension (1 s service, so the
# Date the kept response carries changes), and the exact header block,
# Date and Content-Length of each.
# Scenario: written below (limits per day, so that nothing refills
# during the test; a slow model).
#
# Usage: bash test_serve_keepalive.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

# accounts: req 0-3, tok 4, both 5, one 6, none 7
cat >"$WORK/keepalive.yaml" <<'EOF2'
name: serve-keepalive
duration: 1h
policy:
  tiers:
    req: { limits: [ { name: rpd, requests: 1000, per: 1d } ] }
    tok: { limits: [ { name: tpd, tokens: 100, per: 1d } ] }
    both:
      limits:
        - { name: rpd, requests: 1000, per: 1d }
        - { name: tpd, tokens: 100000, per: 1d }
    one: { limits: [ { name: rpd, requests: 1, per: 1d } ] }
    none: {}
  models:
    mini: { input: 1.00/1M, output: 1.00/1M }
    slow: { input: 1.00/1M, output: 1.00/1M, service: { first_token: 1s } }
accounts:
  - { name: req, count: 4, tier: req, models: { mini: 1 }, traffic: { phases: [ { for: 1h, rate: 1/m } ] } }
  - { name: tok, count: 1, tier: tok, models: { mini: 1 }, traffic: { phases: [ { for: 1h, rate: 1/m } ] } }
  - { name: both, count: 1, tier: both, models: { mini: 1 }, traffic: { phases: [ { for: 1h, rate: 1/m } ] } }
  - { name: one, count: 1, tier: one, models: { mini: 1 }, traffic: { phases: [ { for: 1h, rate: 1/m } ] } }
  - { name: none, count: 1, tier: none, models: { mini: 1 }, traffic: { phases: [ { for: 1h, rate: 1/m } ] } }
EOF2
serve_start "$WORK/keepalive.yaml" --stop-after 60s

chat_body() { # MAX_TOKENS MODEL
    printf '{"model":"%s","max_tokens":%s,"messages":[{"role":"user","content":"hello world"}]}' \
        "$2" "$1"
}

# One curl, one connection: transfer i writes $WORK/h$i and $WORK/b$i.
# Each step: ACCOUNT MAX_TOKENS MODEL.
steps=(
    "0 10 mini"  # 1 requests headers only
    "1 10 mini"  # 2 another account, the same values
    "0 10 mini"  # 3 the first again: remaining 998
    "4 10 mini"  # 4 tokens headers only
    "4 20 mini"  # 5 same body length, other usage, tokens fall
    "5 10 mini"  # 6 both kinds
    "5 10 mini"  # 7 both fall
    "0 5 mini"   # 8 a shorter body (completion 5, total 8)
    "6 10 mini"  # 9 one a day: ok, remaining 0
    "6 10 mini"  # 10 rate_limit, with retry-after
    "0 10 mini"  # 11 a success after the denial
    "7 5 slow"   # 12 no limits: no x-ratelimit; suspended 1 s, then answered
    "2 10 mini"  # 13 after the suspension
)
args=()
i=0
for st in "${steps[@]}"; do
    read -r acct mt model <<<"$st"
    i=$((i + 1))
    [ $i -gt 1 ] && args+=(--next)
    args+=(-s -m 10 -D "$WORK/h$i" -o "$WORK/b$i" -w '%{http_code} %{num_connects}\n'
        -H "Authorization: Bearer $(key "$acct")"
        -H 'Content-Type: application/json'
        -d "$(chat_body "$mt" "$model")" "$URL/v1/chat/completions")
done
T0=$(date -u +%s)
curl "${args[@]}" >"$WORK/codes"
T1=$(date -u +%s)

codes=$(awk '{ printf "%s ", $1 }' "$WORK/codes")
check "statuses (got $codes)" \
    test "$codes" = "200 200 200 200 200 200 200 200 200 429 200 200 200 "
connects=$(awk '{ n += $2 } END { print n }' "$WORK/codes")
check "one connection for all (got $connects connects)" test "$connects" = 1

# The x-ratelimit block of answer $1, in order, on one line.
rl() { tr -d '\r' <"$WORK/h$1" | grep -i '^x-ratelimit-' | tr '\n' ' '; }
want_rl() { # N REGEX (of the whole block)
    local got
    got=$(rl "$1")
    check "answer $1: x-ratelimit headers (got '$got')" \
        grep -qE "^$2\$" <<<"$got"
}
lr='x-ratelimit-limit-requests: '
lt='x-ratelimit-limit-tokens: '
rr='x-ratelimit-reset-requests: [0-9hm.]+s '
rt='x-ratelimit-reset-tokens: [0-9hm.]+s '
mr='x-ratelimit-remaining-requests: '
mt='x-ratelimit-remaining-tokens: '
want_rl 1 "${lr}1000 $rr${mr}999 "
want_rl 2 "${lr}1000 $rr${mr}999 "
want_rl 3 "${lr}1000 $rr${mr}998 "
want_rl 4 "${lt}100 $rt${mt}87 "
want_rl 5 "${lt}100 $rt${mt}64 "
want_rl 6 "${lr}1000 ${lt}100000 $rr$rt${mr}999 ${mt}99987 "
want_rl 7 "${lr}1000 ${lt}100000 $rr$rt${mr}998 ${mt}99974 "
want_rl 8 "${lr}1000 $rr${mr}997 "
want_rl 9 "${lr}1 $rr${mr}0 "
want_rl 10 "${lr}1 $rr${mr}0 "
want_rl 11 "${lr}1000 $rr${mr}996 "
want_rl 12 ""
want_rl 13 "${lr}1000 $rr${mr}999 "

usage() { # N PROMPT COMPLETION
    check "answer $1: usage $2 + $3" grep -qF \
        "\"usage\":{\"prompt_tokens\":$2,\"completion_tokens\":$3,\"total_tokens\":$(($2 + $3))}}" \
        "$WORK/b$1"
}
for n in 1 2 3 4 6 7 9 11 13; do
    usage "$n" 3 10
done
usage 5 3 20
usage 8 3 5
usage 12 3 5
check "answer 12: model slow" grep -qF '"model":"slow"' "$WORK/b12"
check "answer 10: rate_limit body" grep -qF '"code":"rate_limit_exceeded"' "$WORK/b10"
check "answer 10: retry-after" grep -qiE '^retry-after: [0-9]+' "$WORK/h10"
for n in 1 2 3 4 5 6 7 8 9 11 12 13; do
    check "answer $n: no retry-after" not grep -qi '^retry-after' "$WORK/h$n"
done

# every answer: Content-Length is the body's length, Content-Type once,
# one Date of this run, the header block ends where the body starts,
# ids differ
date_re='^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 2[0-9]{3} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$'
date_of() { date -u -d "$(tr -d '\r' <"$WORK/h$1" | sed -n 's/^Date: //p')" +%s; }
ids=
for n in $(seq "$i"); do
    dates=$(tr -d '\r' <"$WORK/h$n" | grep -c '^Date: ')
    check "answer $n: one Date (got $dates)" test "$dates" = 1
    check "answer $n: Date format" grep -qE "$date_re" <(tr -d '\r' <"$WORK/h$n")
    d=$(date_of "$n")
    check "answer $n: Date within the run ($d, $T0..$T1)" \
        test "$d" -ge "$T0" -a "$d" -le "$T1"
    len=$(tr -d '\r' <"$WORK/h$n" | awk -F': ' 'tolower($1) == "content-length" { print $2 }')
    size=$(wc -c <"$WORK/b$n")
    check "answer $n: Content-Length $len = body bytes $size" test "$len" = "$size"
    ct=$(grep -ci '^content-type: application/json' "$WORK/h$n")
    check "answer $n: one Content-Type (got $ct)" test "$ct" = 1
    check "answer $n: body is one JSON object" grep -qE '^\{.*\}$' "$WORK/b$n"
    ids="$ids $(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$WORK/b$n")"
done
nids=$(tr ' ' '\n' <<<"$ids" | grep -c .)
uids=$(tr ' ' '\n' <<<"$ids" | grep . | sort -u | wc -l)
check "answer 13 dated after the 1 s wait of answer 12" \
    test "$(date_of 13)" -gt "$(date_of 11)"
check "success ids all different ($nids ids, $uids distinct)" \
    test "$nids" = 12 -a "$uids" = 12

# --- many requests on one connection: remaining falls one by one ----------
K=$(key 3)
args=()
for n in $(seq 30); do
    [ "$n" -gt 1 ] && args+=(--next)
    args+=(-s -m 10 -D - -o /dev/null -H "Authorization: Bearer $K"
        -d "$(chat_body 10 mini)" "$URL/v1/chat/completions")
done
curl "${args[@]}" | tr -d '\r' |
    awk -F': ' '$1 == "x-ratelimit-remaining-requests" { printf "%s ", $2 }' \
        >"$WORK/remaining"
want=$(seq 999 -1 970 | tr '\n' ' ')
check "30 on one connection: remaining 999..970" \
    test "$(cat "$WORK/remaining")" = "$want"

# --- the same answer shape a second later: a new Date -----------------------
# by hand on one socket, so that the client can wait between requests
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
K=$(key 1)
BODY=$(chat_body 10 mini)
ask() { # NAME: sends one chat request, writes $WORK/NAME.h and $WORK/NAME.b
    local line len=0 body=
    printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "$K" "${#BODY}" "$BODY" >&3
    : >"$WORK/$1.h"
    while IFS= read -r -t 5 line <&3; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
        echo "$line" >>"$WORK/$1.h"
        case "${line,,}" in content-length:*) len=${line#*: } ;; esac
    done
    IFS= read -r -N "$len" -t 5 body <&3
    printf '%s' "$body" >"$WORK/$1.b"
}
ask early
sleep 1.1
ask late
exec 3<&-
sec() { date -u -d "$(sed -n 's/^Date: //p' "$WORK/$1.h")" +%s; }
check "a second later: one Date each" \
    test "$(grep -c '^Date: ' "$WORK/early.h")$(grep -c '^Date: ' "$WORK/late.h")" = 11
check "a second later: the Date moved ($(sec early) -> $(sec late))" \
    test "$(sec late)" -gt "$(sec early)"
check "a second later: bodies of one length (the kept response's case)" \
    test "$(wc -c <"$WORK/early.b")" = "$(wc -c <"$WORK/late.b")"
check "a second later: remaining 998 then 997" \
    test "$(sed -n 's/^x-ratelimit-remaining-requests: //p' "$WORK/early.h" "$WORK/late.h" | tr '\n' ' ')" = "998 997 "

serve_stop
check "stop: exit status 0" test "$SERVE_STATUS" = 0
finish
