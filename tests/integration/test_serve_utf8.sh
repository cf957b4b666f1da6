#!/usr/bin/env bash
# ctest-labels: serve
# test_serve_utf8.sh - serve's answers are valid JSON in valid UTF-8
# whatever bytes a request carries: invalid UTF-8, encoded surrogates,
# overlong forms, cut sequences and code points past U+10FFFF in a model
# name (quoted back in the 400 of an unknown model, in both dialects, and
# echoed in the success body of a single-model scenario, where each
# ill-formed sequence must come back as U+FFFD and valid text unchanged),
# and in injected event bodies.  The requests are sent by
# serve/hostile.py.
#
# Usage: bash test_serve_utf8.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

serve_start "$SRC/tests/integration/serve/reasons.yaml" --stop-after 60s
python3 "$SRC/tests/integration/serve/hostile.py" "$PORT" "$(key 3)" \
    "$ADMIN_TOKEN" >"$WORK/multi" 2>&1
check "multi-model answers are valid UTF-8 JSON" test $? = 0
cat "$WORK/multi"
check "an ill-formed model name is quoted with U+FFFD" \
    grep -q "ok model 0xff 0xfe: 400 .*Model '$(printf '\xef\xbf\xbd\xef\xbf\xbd')'" \
    "$WORK/multi"
serve_stop

cat >"$WORK/single.yaml" <<'EOF2'
name: serve-utf8
duration: 10m
policy:
  tiers:
    plain: {}
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
accounts:
  - { name: users, count: 2, tier: plain, traffic: { phases: [ { for: 10m, rate: 1/s } ] } }
EOF2
serve_start "$WORK/single.yaml" --stop-after 60s
python3 "$SRC/tests/integration/serve/hostile.py" "$PORT" "$(key 1)" \
    "$ADMIN_TOKEN" single >"$WORK/single" 2>&1
check "single-model echoes are valid UTF-8 with U+FFFD" test $? = 0
cat "$WORK/single"
serve_stop
finish
