#!/usr/bin/env bash
# test_corpus.sh - every file of the malformed-scenario corpus is rejected
# with a located error.
#
#   bash tests/malformed/test_corpus.sh <tollgate-binary> <repo-root>
#
# Each tests/malformed/*.yaml starts with "# expect-line: N" and may have
# "# expect-msg: text" on a following line (and "# expect-absent: text",
# which stderr must not contain: a secret it must not echo).  For each file `tollgate
# validate` must exit 2 (not crash: any exit >= 128 fails the test), and
# its stderr must name "<file>:N:" and contain the message text.  A file
# starting with "# expect-ok" is a hostile-looking input that is valid:
# validate must exit 0.  The corpus must hold at least 30 files, so an
# emptied directory fails too.
set -u
bin=${1:?usage: test_corpus.sh TOLLGATE REPO_ROOT}
root=${2:?usage: test_corpus.sh TOLLGATE REPO_ROOT}
dir="$root/tests/malformed"
failed=0
count=0

fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

for f in "$dir"/*.yaml; do
    [ -e "$f" ] || continue
    count=$((count + 1))
    name=$(basename "$f")
    if [ "$(head -n 1 "$f")" = "# expect-ok" ]; then
        err=$(cd "$dir" && "$bin" validate "$name" 2>&1 >/dev/null)
        rc=$?
        [ "$rc" -eq 0 ] || {
            fail "$name: exit $rc, expected 0 (valid)"
            printf '%s\n' "$err" | head -n 5
        }
        continue
    fi
    line=$(sed -n '1s/^# expect-line: *\([0-9][0-9]*\) *$/\1/p' "$f")
    msg=$(sed -n '2,5s/^# expect-msg: *//p' "$f" | head -n 1)
    absent=$(sed -n '2,5s/^# expect-absent: *//p' "$f" | head -n 1)
    if [ -z "$line" ]; then
        fail "$name: first line must be '# expect-line: N'"
        continue
    fi
    err=$(cd "$dir" && "$bin" validate "$name" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -ge 128 ]; then
        fail "$name: tollgate crashed (exit $rc)"
        printf '%s\n' "$err" | head -n 20
        continue
    fi
    if [ "$rc" -ne 2 ]; then
        fail "$name: exit $rc, expected 2"
        continue
    fi
    if ! printf '%s\n' "$err" | grep -qF -- "$name:$line:"; then
        fail "$name: no diagnostic at line $line; got:"
        printf '%s\n' "$err" | head -n 5
        continue
    fi
    if [ -n "$msg" ] && ! printf '%s\n' "$err" | grep -qF -- "$msg"; then
        fail "$name: stderr lacks '$msg'; got:"
        printf '%s\n' "$err" | head -n 5
    fi
    if [ -n "$absent" ] && printf '%s\n' "$err" | grep -qF -- "$absent"; then
        fail "$name: stderr shows '$absent'"
    fi
done

if [ "$count" -lt 30 ]; then
    fail "only $count corpus files in $dir (at least 30 expected)"
fi
echo "$count malformed scenarios checked, $failed failed"
[ "$failed" -eq 0 ]
