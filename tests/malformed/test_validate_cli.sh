#!/usr/bin/env bash
# test_validate_cli.sh - `tollgate validate` end to end.
#
#   bash tests/malformed/test_validate_cli.sh <tollgate-binary> <repo-root>
#
# Every file of scenarios/ validates (exit 0) and its --explain output
# validates again and is a fixpoint (explain of the explained file is the
# same text).  --set changes what is explained and a --set naming nothing
# is an error naming the override; -q is silent; --help teaches with an
# example; an unreadable file, a usage error and an invalid file exit 2;
# nothing ever crashes.
set -u
bin=${1:?usage: test_validate_cli.sh TOLLGATE REPO_ROOT}
root=${2:?usage: test_validate_cli.sh TOLLGATE REPO_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

# expect_rc WANT DESCRIPTION -- runs the rest, output to $tmp/out, $tmp/err
expect_rc() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$what: exit $rc, expected $want"
        head -n 5 "$tmp/err"
        return 1
    fi
    return 0
}

n=0
for f in "$root"/scenarios/*.yaml; do
    n=$((n + 1))
    name=$(basename "$f" .yaml)
    expect_rc 0 "validate $name" -- "$bin" validate "$f" || continue
    grep -q "valid" "$tmp/out" || fail "$name: no summary printed"
    expect_rc 0 "explain $name" -- "$bin" validate --explain "$f" || continue
    cp "$tmp/out" "$tmp/$name.1.yaml"
    expect_rc 0 "re-explain $name" -- "$bin" validate --explain \
        "$tmp/$name.1.yaml" || continue
    cmp -s "$tmp/out" "$tmp/$name.1.yaml" ||
        fail "$name: --explain is not a fixpoint"
done
[ "$n" -ge 11 ] || fail "only $n scenarios in $root/scenarios"

ks="$root/scenarios/capacity-planning.yaml"
if expect_rc 0 "--set" -- "$bin" validate --explain \
    --set policy.capacity.servers=48 --set=accounts[0].count=77 "$ks"; then
    grep -q '^    servers: 48$' "$tmp/out" || fail "--set servers not applied"
    grep -q '^    count: 77$' "$tmp/out" || fail "--set count not applied"
fi
if expect_rc 2 "--set to nothing" -- "$bin" validate \
    --set accounts.nobody.count=3 "$ks"; then
    grep -qF -- "--set accounts.nobody.count=3" "$tmp/err" ||
        fail "bad --set: the error does not name the override"
fi
expect_rc 2 "--set without =" -- "$bin" validate --set servers "$ks"
expect_rc 0 "-q" -- "$bin" validate -q "$ks" &&
    { [ -s "$tmp/out" ] && fail "-q printed something"; }
if expect_rc 0 "--help" -- "$bin" validate --help; then
    grep -q "Example" "$tmp/out" || fail "--help has no example"
    grep -q -- "--explain" "$tmp/out" || fail "--help does not list --explain"
fi
expect_rc 2 "no argument" -- "$bin" validate
expect_rc 2 "unknown option" -- "$bin" validate --frobnicate "$ks"
if expect_rc 2 "missing file" -- "$bin" validate "$tmp/none.yaml"; then
    grep -q "none.yaml: error: cannot read the file" "$tmp/err" ||
        fail "missing file: no clear message"
fi
printf 'name: x\nduration: 1h\n' >"$tmp/bad.yaml"
if expect_rc 2 "invalid file" -- "$bin" validate "$tmp/bad.yaml"; then
    grep -q "bad.yaml:1:1: error: accounts: missing required key" \
        "$tmp/err" || fail "invalid file: diagnostic not located"
    grep -q "1 error" "$tmp/err" || fail "invalid file: no error count"
fi

# An anchor on a merge key's source, inside a --set value: the merge
# empties the anchored mapping before the alias copies it (this crashed).
if expect_rc 0 "--set with an anchored merge source" -- "$bin" validate \
    --explain --set 'events=[{at: 1m, outage: {<<: &x {for: 1s}}},
    {at: 2m, outage: *x}]' "$ks"; then
    [ "$(grep -c '^      for: 1s$' "$tmp/out")" -eq 2 ] ||
        fail "--set anchor: the alias did not copy { for: 1s }"
fi
expect_rc 2 "--set with an anchored mapping key" -- "$bin" validate \
    --set 'description={ ? &k { a: 1 } : 1, x: *k }' "$ks" &&
    { grep -q "a mapping key must be a plain name" "$tmp/err" ||
        fail "--set anchored key: no diagnostic"; }

# --explain output gets pasted into tickets: credentials in live.target
# are masked, the rest of the URL is kept.
printf 'name: t\nduration: 10s\naccounts:\n  - { name: a, count: 1, traffic: { phases: [ { for: 10s, rate: 1/s } ] } }\nlive:\n  target: "http://user:hunter2@127.0.0.1:9/v1?api_key=sk-123"\n' \
    >"$tmp/cred.yaml"
if expect_rc 0 "--explain with credentials in the target" -- "$bin" validate \
    --explain "$tmp/cred.yaml"; then
    grep -q 'target: "http://user:\*\*\*@127.0.0.1:9/v1?api_key=\*\*\*"' \
        "$tmp/out" || fail "--explain: target not masked"
    ! grep -Eq 'hunter2|sk-123' "$tmp/out" || fail "--explain: a secret shown"
fi

echo "validate CLI: $n scenarios, $failed failures"
[ "$failed" -eq 0 ]
