#!/usr/bin/env bash
# run vs nginx answering OpenAI-style error bodies by path: each
# population (one account each, path /err/${account}) hits one canned
# answer, and every one of its attempts must land on the expected reason;
# the totals must add up (attempts == ok + sum of reasons).  Also checks
# the rate-limit header gauge and that no key reaches the results.
source "$(dirname "$0")/run_common.sh"

PORT=$(free_port)
oai() { # status code type message
  printf "location = /err/%s { add_header x-ratelimit-remaining-requests 7 always; return %s '{\"error\":{\"message\":\"%s\",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}}'; }\n" \
    "$1" "$2" "$5" "$4" "$3"
}
LOCS=$(
  oai 0 429 rate_limit_exceeded requests "Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1."
  oai 1 429 rate_limit_exceeded tokens "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000."
  oai 2 429 insufficient_quota insufficient_quota "You exceeded your current quota, please check your plan and billing details."
  oai 3 401 invalid_api_key invalid_request_error "Incorrect API key provided: tg-1***."
  oai 4 403 unsupported_country_region_territory request_forbidden "Country, region, or territory not supported"
  oai 5 503 server_is_overloaded server_error "The server is overloaded."
  oai 6 500 server_error server_error "The server had an error while processing your request."
  oai 7 404 model_not_found invalid_request_error "The model gpt-9 does not exist or you do not have access to it."
  oai 8 400 content_policy_violation invalid_request_error "Your request was rejected as a result of our safety system."
  echo "location = /err/9 { return 200 '{\"id\":\"chatcmpl-1\",\"choices\":[]}'; }"
)
start_nginx "$PORT" "
  server {
    listen 127.0.0.1:$PORT;
    $LOCS
  }"

WANT=(rate_limit token_limit credits_exhausted invalid_key region_blocked
      overloaded server_error feature_suspended policy_violation ok)
{
  echo "name: nginx-error-bodies"
  echo "duration: 2s"
  echo "interval: 500ms"
  echo "accounts:"
  for i in $(seq 0 9); do
    echo "  - { name: p$i, count: 1, traffic: { arrival: uniform, phases: [ { for: 2s, rate: 20/s } ] } }"
  done
  echo "live:"
  echo "  target: http://127.0.0.1:$PORT"
  echo "  request: { method: POST, path: '/err/\${account}' }"
  echo "  connections: 8"
  echo "  threads: 2"
} >"$WORK/errors.yaml"

"$TG" run "$WORK/errors.yaml" -o "$WORK/run" -q >"$WORK/run.out"
S=$WORK/run/summary.json
python3 - "$S" "${WANT[@]}" <<'PY' || fail "classification"
import json, sys
d = json.load(open(sys.argv[1]))
want = sys.argv[2:]
bad = 0
for i, reason in enumerate(want):
    p = d["populations"][f"p{i}"]
    att = p["requests"]["attempts"]
    got = p["requests"]["ok"] if reason == "ok" else p["denied_by_reason"].get(reason, 0)
    print(f"p{i}: {got}/{att} {reason}")
    bad += att != 40 or got != att
total = d["requests"]["attempts"]
summed = d["requests"]["ok"] + sum(d["denied_by_reason"].values())
print(f"attempts {total}, ok + reasons {summed}")
sys.exit(1 if bad or total != summed or total != 400 else 0)
PY
# x-ratelimit-remaining-requests: 7 was sent by every location but /err/9:
# the gauge (summed over the two workers) is positive.
python3 - "$WORK/run/timeseries.csv" <<'PY' || fail "rate-limit gauge not captured"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if all(float(r["rl_remaining_requests"]) >= 7 for r in rows) else 1)
PY
! grep -rq "tg-[0-9]*-[0-9a-f]\{16\}" "$WORK/run" || fail "a key leaked into the results"
echo "PASS test_run_errors"
