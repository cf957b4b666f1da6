#!/usr/bin/env bash
# ctest-labels: serve
# test_run_too_large.sh - a request larger than its token limit can never
# pass: serve answers it as the real APIs do (429, token limit, no wait
# offered), run classifies it as token_limit in both dialects and its
# client does not retry it, and sim's client does not either: with
# retries on, attempts equal requests everywhere (before: up to 1 + 3
# attempts per request, the retries told to "try again in 0ms").
# Scenario: tests/integration/serve/too_large.yaml, 5 s of traffic.
#
# Usage: bash test_run_too_large.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"
SCN=$SRC/tests/integration/serve/too_large.yaml

# "attempts unique token_limit" of a summary (its top-level block)
numbers() {
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["requests"]["attempts"], s["requests"]["unique"],
      s["denied_by_reason"]["token_limit"])' "$1"
}
not_retried() { # NAME DIR
    local a u t
    read -r a u t < <(numbers "$2/summary.json")
    check "$1: $u requests, all token_limit" test "$u" -gt 50 -a "$t" = "$a"
    check "$1: not retried ($a attempts for $u requests)" test "$a" = "$u"
}

"$TG" sim "$SCN" -o "$WORK/sim" -q >"$WORK/sim.log" 2>&1
check "sim ran" test -s "$WORK/sim/summary.json"
not_retried sim "$WORK/sim"

"$TG" run "$SCN" -o "$WORK/run" -q >"$WORK/run.log" 2>&1
check "run (openai dialect) ran" test -s "$WORK/run/summary.json"
not_retried "run, openai" "$WORK/run"

# The Anthropic dialect: /v1/messages, classified as Anthropic's answers.
cat "$SCN" - >"$WORK/anthropic.yaml" <<'YAML'
live:
  request:
    path: /v1/messages
    body: '{"model":"${model}","max_tokens":${completion_tokens},"messages":[{"role":"user","content":"${prompt}"}]}'
  classify: anthropic
YAML
"$TG" run "$WORK/anthropic.yaml" -o "$WORK/arun" -q >"$WORK/arun.log" 2>&1
check "run (anthropic dialect) ran" test -s "$WORK/arun/summary.json"
[ -s "$WORK/arun/summary.json" ] || cat "$WORK/arun.log"
not_retried "run, anthropic" "$WORK/arun"

finish
