#!/usr/bin/env bash
# ctest-labels: threaded serve
# test_serve_reasons.sh - `tollgate serve` answers every reason a request
# can trigger with the status, error body and headers of docs/reasons.md, driven
# by plain curl on 127.0.0.1, including events injected through
# POST /tollgate/events, the admin endpoints, and the results written on
# SIGTERM.  Scenario: tests/integration/serve/reasons.yaml (one population
# per reason; account ids are listed in its header).
#
# Usage: bash test_serve_reasons.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

serve_start "$SRC/tests/integration/serve/reasons.yaml" --stop-after 120s

CHAT='{"model":"mini","max_tokens":10,"messages":[{"role":"user","content":"hello world"}]}'

# --- ok -------------------------------------------------------------------
chat "$(key 9)" "$CHAT"
check "ok: 200" status_is 200
check "ok: chat.completion" body_has '"object":"chat.completion"'
check "ok: usage = charged" body_has '"prompt_tokens":3,"completion_tokens":10,"total_tokens":13'
check "ok: x-ratelimit-limit-requests" hdr_has 'x-ratelimit-limit-requests: 1000'
check "ok: x-ratelimit-remaining-requests" hdr_has 'x-ratelimit-remaining-requests: 999'
check "ok: no retry-after" not hdr_has 'retry-after:'
check "ok: x-request-id" hdr_match '^x-request-id: req_[0-9]+$'
check "ok: no Anthropic family on an OpenAI route" not hdr_match '^anthropic-'

# --- rate_limit (rpm 1) ------------------------------------------------------
chat "$(key 0)" "$CHAT"
check "rate_limit: first ok" status_is 200
chat "$(key 0)" "$CHAT"
deny rate_limit 429 rate_limit_exceeded retry
check "rate_limit: type requests" body_has '"type":"requests"'
check "rate_limit: remaining 0" hdr_has 'x-ratelimit-remaining-requests: 0'
check "rate_limit: reset like 59.9s" hdr_match 'x-ratelimit-reset-requests: [0-9.]*s'
check "rate_limit: retry-after 60" hdr_has 'retry-after: 60'

# --- token_limit (tpm 100; 3 + 200 tokens) ---------------------------------
chat "$(key 1)" '{"model":"mini","max_tokens":200,"messages":[{"role":"user","content":"hello world"}]}'
# 203 tokens never fit a limit of 100: no wait would help, so no
# retry-after (serve sends one only when the model knows the wait)
deny token_limit 429 rate_limit_exceeded
check "token_limit: type tokens" body_has '"type":"tokens"'
# answered as OpenAI answers a request above the limit itself: no "try
# again in 0ms", the limit and what was asked
check "token_limit: too large, limit and request named" \
    body_has 'Request too large for mini on tpm: Limit 100, Requested 203.'
check "token_limit: no wait offered" not body_has 'try again'
post /v1/messages "$(key 1)" '{"model":"mini","max_tokens":200,"messages":[{"role":"user","content":"hello world"}]}'
check "anthropic too large: 429" status_is 429
check "anthropic too large: rate_limit_error" body_has '"type":"rate_limit_error"'
check "anthropic too large: asks to reduce, no later try" \
    body_has 'Please reduce the prompt length or the maximum tokens requested."'
check "anthropic too large: no retry-after" not hdr_match '^retry-after:'
# no capacity block: unlimited servers, said so a script can read
admin_get /tollgate/state
check "state: unlimited servers" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["servers"] is None and s["servers_unlimited"] is True else 1)' "$WORK/body"

# --- credit: grant, prepaid, usage cap (first request overdraws) ------------
for acct in 2 3 4; do
    chat "$(key $acct)" "$CHAT"
    check "credit account $acct: first ok" status_is 200
done
chat "$(key 2)" "$CHAT"
deny free_tier_exhausted 429 insufficient_quota
check "free_tier_exhausted: message" body_has 'free tier'
chat "$(key 3)" "$CHAT"
deny credits_exhausted 429 insufficient_quota
check "credits_exhausted: message" body_has 'credit balance'
chat "$(key 4)" "$CHAT"
deny usage_cap 429 insufficient_quota
check "usage_cap: message" body_has 'monthly usage limit'

# --- concurrency_limit (1 in flight, 1.5 s service) and suspension ---------
SLOW='{"model":"slow","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
K5=$(key 5)
curl -s -m 10 -o "$WORK/slow_body" -w '%{http_code} %{time_total}' \
    "$URL/v1/chat/completions" -H "Authorization: Bearer $K5" \
    -d "$SLOW" >"$WORK/slow_out" &
SLOW_PID=$!
sleep 0.3
chat "$K5" "$SLOW"
deny concurrency_limit 429 rate_limit_exceeded retry
check "concurrency_limit: message" body_has 'concurrent'
wait $SLOW_PID
read -r slow_status slow_time <"$WORK/slow_out"
check "slow request: 200 after its service time" test "$slow_status" = 200
check "slow request: waited >= 1.4 s (got $slow_time)" \
    awk -v t="$slow_time" 'BEGIN { exit !(t >= 1.4 && t < 5) }'

# --- moderation: violation, then suspension ----------------------------------
chat "$(key 6)" '{"model":"mini","messages":[{"role":"user","content":"x [tollgate:violation]"}]}'
deny policy_violation 400 content_policy_violation
chat "$(key 6)" "$CHAT"
deny account_suspended 403 account_suspended

# --- abuse_throttle (factor 2 x rpm 1 = 2 requests per minute) ----------------
chat "$(key 7)" "$CHAT"
check "abuse: first ok" status_is 200
chat "$(key 7)" "$CHAT"
check "abuse: second is rate limited" body_has 'rate_limit_exceeded'
chat "$(key 7)" "$CHAT"
deny abuse_throttle 429 slow_down retry

# --- account_inactive (idle 200d, expires after 180d) ------------------------
chat "$(key 8)" "$CHAT"
deny account_inactive 403 account_inactive

# --- region_blocked (CN, case-insensitive header) ----------------------------
chat "$(key 10)" "$CHAT" -H 'X-Client-Region: CN'
deny region_blocked 403 unsupported_country_region_territory
chat "$(key 10)" "$CHAT" -H 'X-Client-Region: cn'
deny "region_blocked lower-case" 403 unsupported_country_region_territory
chat "$(key 10)" "$CHAT" -H 'X-Client-Region: US'
check "region US: ok" status_is 200

# --- invalid_key, then unauthorized_lockout of that source ------------------
chat "tg-invalid-0000000000000000" "$CHAT" -H 'X-Client-Source: 777'
deny invalid_key 401 invalid_api_key
chat_nokey "$CHAT"
deny "invalid_key (no key)" 401 invalid_api_key
chat "tg-1-0000000000000000" "$CHAT" -H 'X-Client-Source: 777'
deny "invalid_key (wrong hash)" 401 invalid_api_key
chat "$(key 11)" "$CHAT" -H 'X-Client-Source: 777'
deny unauthorized_lockout 403 access_denied
# answers without limits or retry hints are built once per reason and
# dialect and shared: the same bytes each time, per dialect, whatever the
# body (the key is checked before the body matters)
chat "tg-invalid-0000000000000000" "$CHAT" -H 'X-Client-Source: 778'
cp "$WORK/body" "$WORK/body1"
chat "tg-invalid-0000000000000000" '{"model":' -H 'X-Client-Source: 779'
deny "invalid_key again (malformed body)" 401 invalid_api_key
check "invalid_key again: same body" cmp -s "$WORK/body" "$WORK/body1"
check "invalid_key again: content type" hdr_has 'Content-Type: application/json'
check "invalid_key again: date" hdr_match '^Date: [A-Z][a-z]{2}, [0-9]{2} '
post /v1/messages "tg-invalid-0000000000000000" "$CHAT" -H 'X-Client-Source: 780'
check "anthropic invalid_key: 401" status_is 401
check "anthropic invalid_key: its own body" \
    body_has '{"type":"error","error":{"type":"authentication_error"'

# --- bad_request ------------------------------------------------------------------
chat "$(key 12)" '{"model":"mini","messages":[{"role":'
deny "bad_request (malformed JSON)" 400 invalid_request_error
chat "$(key 12)" '{"model":"nope","messages":[]}'
deny "bad_request (unknown model)" 400 invalid_request_error
check "bad_request: names the model" body_has "Model 'nope'"
chat "$(key 12)" '{"model":"mini"}'
deny "bad_request (no messages)" 400 invalid_request_error
chat "$(key 12)" '{"model":"mini","messages":[{"role":"user","content":"[tollgate:bad_request]"}]}'
deny "bad_request (marker)" 400 invalid_request_error
head -c 1100000 /dev/zero | tr '\0' 'a' >"$WORK/big"
STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
    "$URL/v1/chat/completions" -H "Authorization: Bearer $(key 12)" \
    --data-binary @"$WORK/big")
check "body over 1 MiB: 413" status_is 413
STATUS=$(curl -s -m 10 -o "$WORK/body" -w '%{http_code}' \
    "$URL/v1/chat/completions" -H "Authorization: Bearer $(key 12)" \
    -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big")
check "chunked body over 1 MiB: 413" status_is 413

# --- dialects and other routes -------------------------------------------------
post /v1/messages "$(key 13)" '{"model":"mini","max_tokens":7,"system":"abcd","messages":[{"role":"user","content":"abcd"}]}'
check "anthropic ok: 200" status_is 200
check "anthropic ok: message" body_has '"type":"message"'
check "anthropic ok: usage" body_has '"usage":{"input_tokens":2,"output_tokens":7}'
# Anthropic's own header family: limit, remaining, and the reset as the
# RFC 3339 second it happens; request-id; no OpenAI family
check "anthropic ok: requests-limit" hdr_has 'anthropic-ratelimit-requests-limit: 1000'
check "anthropic ok: requests-remaining" \
    hdr_match '^anthropic-ratelimit-requests-remaining: [0-9]+$'
check "anthropic ok: reset as RFC 3339" \
    hdr_match '^anthropic-ratelimit-requests-reset: 20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z$'
check "anthropic ok: reset within a minute of the Date" python3 -c '
import sys, email.utils, datetime
h = dict(l.rstrip("\r\n").split(": ", 1) for l in open(sys.argv[1]) if ": " in l)
h = {k.lower(): v for k, v in h.items()}
date = email.utils.parsedate_to_datetime(h["date"])
reset = datetime.datetime.strptime(h["anthropic-ratelimit-requests-reset"],
                                   "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
sys.exit(0 if 0 <= (reset - date).total_seconds() <= 61 else 1)' "$WORK/hdr"
check "anthropic ok: request-id" hdr_match '^request-id: req_[0-9]+$'
check "anthropic ok: no x-ratelimit family" not hdr_match '^x-ratelimit-'
check "anthropic ok: no x-request-id" not hdr_match '^x-request-id:'
post /v1/messages "$(key 0)" '{"model":"mini","max_tokens":7,"messages":[]}'
check "anthropic rate_limit: 429" status_is 429
check "anthropic rate_limit: error type" body_has '{"type":"error","error":{"type":"rate_limit_error"'
check "anthropic rate_limit: remaining 0" hdr_has 'anthropic-ratelimit-requests-remaining: 0'
check "anthropic rate_limit: retry-after" hdr_match '^retry-after: [0-9]+$'
check "anthropic rate_limit: request-id" hdr_match '^request-id: req_[0-9]+$'
post /v1/completions "$(key 13)" '{"model":"mini","prompt":"12345678","max_tokens":3}'
check "completions: text_completion" body_has '"object":"text_completion"'
check "completions: usage" body_has '"prompt_tokens":2,"completion_tokens":3'
get /v1/models "$(key 13)"
check "models: list" body_has '"data":[{"id":"mini"'
check "models: slow listed" body_has '"id":"slow"'
get /v1/models ""
check "models without key: 401" status_is 401
get /v1/nothing "$(key 13)"
check "unknown URL: 404" status_is 404
get /v1/chat/completions "$(key 13)"
check "GET on a POST route: 405" status_is 405

# --- injected events -------------------------------------------------------------
inject '{"billing_failure":{"accounts":"rl"}}'
check "inject billing_failure: 200" status_is 200
check "inject: report" body_has '"applied":[{"kind":"billing_failure"'
chat "$(key 0)" "$CHAT"
deny billing 429 billing_not_active
inject '{"revoke_keys":{"accounts":"tok","fraction":"100%"}}'
chat "$(key 1)" "$CHAT"
deny revoked_key 401 invalid_api_key
check "revoked_key: message" body_has 'revoked'
inject 'ban: {accounts: grant}'
check "inject YAML: 200" status_is 200
chat "$(key 2)" "$CHAT"
deny account_banned 401 account_deactivated
inject '{"outage":{"for":"1s"}}'
chat "$(key 9)" "$CHAT"
deny outage 503 service_unavailable retry
check "outage: message" body_has 'temporarily unavailable'
sleep 1.1
chat "$(key 19)" "$CHAT"
check "after the outage: ok" status_is 200
inject '{"suspend_feature":{"model":"slow","for":"1h"}}'
chat "$(key 15)" "$SLOW"
deny feature_suspended 404 model_not_found
inject '{"revoke_permission":{"accounts":"plain","model":"slow"}}'
chat "$(key 16)" "$SLOW"
deny permission_revoked 403 permission_denied
inject '{"block_region":["BR"]}'
chat "$(key 17)" "$CHAT" -H 'X-Client-Region: BR'
deny "block_region BR" 403 unsupported_country_region_territory
inject '{"unblock_region":["BR"]}'
chat "$(key 17)" "$CHAT" -H 'X-Client-Region: BR'
check "unblock_region BR: ok" status_is 200
inject '{"set_limit":{"tier":"plain","limit":"rpm","requests":1}}'
chat "$(key 18)" "$CHAT"
chat "$(key 18)" "$CHAT"
deny "set_limit rpm 1" 429 rate_limit_exceeded retry
inject '{"upgrade":{"for":"1h"}}'
chat "$(key 19)" "$SLOW"
check "permission_revoked is checked before upgrade" body_has 'permission_denied'
chat "$(key 13)" "$CHAT"
deny upgrade 503 service_unavailable retry
check "upgrade: message" body_has 'upgrade'
inject '{"nonsense":{}}'
check "inject unknown kind: 400" status_is 400
check "inject unknown kind: says so" body_has 'unknown event kind'
inject '{"ban":{"accounts":"nobody"}}'
check "inject unknown population: 400" status_is 400
inject '{"outage":'
check "inject malformed: 400" status_is 400

# --- admin ------------------------------------------------------------------------
admin_get /tollgate/state
check "state: 200" status_is 200
check "state: accounts" body_has '"accounts":20'
check "state: banned" body_has '"accounts_banned":1'
check "state: keys revoked" body_has '"keys_revoked":1'
check "state: blocked regions" body_has '"blocked_regions":["CN"]'
check "state: injected events" body_has '"injected":true'
check "state: limits" body_has '"rl":{"rpm":{"kind":"requests","algorithm":"token_bucket","amount":1'
if command -v python3 >/dev/null; then
    check "state: valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/body"
fi
admin_get /tollgate/metrics
check "metrics: 200" status_is 200
check "metrics: content type" hdr_has 'Content-Type: text/plain; version=0.0.4'
for r in ok rate_limit token_limit free_tier_exhausted credits_exhausted \
    usage_cap concurrency_limit policy_violation account_suspended \
    abuse_throttle account_inactive region_blocked invalid_key \
    unauthorized_lockout bad_request billing revoked_key account_banned \
    feature_suspended permission_revoked outage upgrade; do
    check "metrics: $r counted" body_match "^tollgate_decisions_total{reason=\"$r\"} [1-9]"
done
sum=$(awk '/^tollgate_decisions_total/ { s += $2 } END { print s }' "$WORK/body")
cnt=$(awk '/^tollgate_request_duration_seconds_count/ { print $2 }' "$WORK/body")
inf=$(awk '/le="\+Inf"/ { print $2 }' "$WORK/body")
check "metrics: histogram count ($cnt) = decisions ($sum)" test "$cnt" = "$sum"
check "metrics: +Inf bucket = count" test "$inf" = "$cnt"
check "metrics: in-flight gauge" body_match '^tollgate_in_flight 0$'

# --- SIGTERM writes results ---------------------------------------------------
serve_stop
check "SIGTERM: exit status 0" test "$SERVE_STATUS" = 0
check "results: summary.json" test -s "$WORK/out/summary.json"
check "results: mode serve" grep -q '"mode": "serve"' "$WORK/out/summary.json"
check "results: rate_limit counted" grep -Eq '"rate_limit": [1-9]' "$WORK/out/summary.json"
check "results: events.csv has the injected outage" grep -q ',outage,' "$WORK/out/events.csv"
for f in timeseries.csv latency.hgrm histograms.tgh scenario.yaml; do
    check "results: $f" test -s "$WORK/out/$f"
done

# --- the IETF draft fields, when the scenario asks for them -------------------
{ cat "$SRC/tests/integration/serve/reasons.yaml"; echo "live: { ietf_ratelimit: true }"; } >"$WORK/ietf.yaml"
serve_start "$WORK/ietf.yaml" --stop-after 60s
chat "$(key 9)" "$CHAT"
check "ietf: ok 200" status_is 200
check "ietf: RateLimit-Policy" hdr_has 'RateLimit-Policy: "rpm";q=1000;w=60'
check "ietf: RateLimit" hdr_match '^RateLimit: "rpm";r=[0-9]+;t=[0-9]+$'
check "ietf: the dialect's family too" hdr_has 'x-ratelimit-limit-requests: 1000'
chat "$(key 0)" "$CHAT"
chat "$(key 0)" "$CHAT"
check "ietf: denial has them, 0 left" hdr_match '^RateLimit: "rpm";r=0;t=[0-9]+$'
serve_stop

finish
