#!/usr/bin/env bash
# test_env_secret.sh - ${env:} values never reach scenario.yaml.
#
#   bash tests/malformed/test_env_secret.sh <tollgate-binary> <repo-root>
#
# A header "Authorization: Bearer ${env:MY_API_KEY}" is sent with the
# key's value, but `validate --explain` and the results' scenario.yaml of
# sim keep the reference; the written scenario validates again (same
# environment) and explains to the same text.
set -u
bin=${1:?usage: test_env_secret.sh TOLLGATE REPO_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

export MY_API_KEY=sk-tollgate-test-7f3a9c
cat >"$tmp/s.yaml" <<'YAML'
name: secret
duration: 10s
accounts:
  - name: p
    count: 1
    traffic: { phases: [ { for: 10s, rate: 1/s } ] }
live:
  request:
    headers:
      - "Authorization: Bearer ${env:MY_API_KEY}"
YAML
"$bin" validate --explain "$tmp/s.yaml" >"$tmp/explain.yaml" 2>"$tmp/err" ||
    fail "validate --explain: exit $?"
"$bin" sim -q -o "$tmp/res" "$tmp/s.yaml" >/dev/null 2>>"$tmp/err" ||
    fail "sim: exit $?"
for f in "$tmp/explain.yaml" "$tmp/res/scenario.yaml"; do
    [ -s "$f" ] || { fail "$f missing"; continue; }
    grep -qF "$MY_API_KEY" "$f" && fail "$(basename "$f") holds the secret"
    grep -qF 'Authorization: Bearer ${env:MY_API_KEY}' "$f" ||
        fail "$(basename "$f") lost the \${env:MY_API_KEY} reference"
done
grep -rqF "$MY_API_KEY" "$tmp/res" && fail "the results directory holds the secret"
"$bin" validate --explain "$tmp/res/scenario.yaml" >"$tmp/again.yaml" ||
    fail "scenario.yaml does not validate again"
cmp -s "$tmp/explain.yaml" "$tmp/again.yaml" ||
    fail "explain of scenario.yaml differs from the first explain"
cat "$tmp/err"
echo "env secret: $failed failed"
[ "$failed" -eq 0 ]
