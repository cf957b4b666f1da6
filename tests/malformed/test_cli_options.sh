#!/usr/bin/env bash
# test_cli_options.sh - one option convention for every subcommand.
#
#   bash tests/malformed/test_cli_options.sh <tollgate-binary> <repo-root>
#
# For each subcommand: --opt=VALUE does what --opt VALUE does (same
# output or the same error); an unknown option exits 2 naming the nearest
# long option; a missing value exits 2 naming the option; `tollgate help
# CMD` prints what `CMD --help` prints; --help shows an example.  Then:
# an unknown subcommand suggests the nearest, Ctrl-C stops sim with
# partial results, and the README's "Commands" block names exactly the
# options of each --help synopsis.
set -u
bin=${1:?usage: test_cli_options.sh TOLLGATE REPO_ROOT}
root=${2:?usage: test_cli_options.sh TOLLGATE REPO_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
S="$root/scenarios/free-tier-exhaustion.yaml"

fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

# run_to NAME -- CMD...: output to $tmp/NAME.out/.err, status to .rc
run_to() {
    local name=$1
    shift 2
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
}

# same WHAT A B: runs A and B (output, error text and status must agree)
same() {
    local what=$1
    if ! cmp -s "$tmp/$2.out" "$tmp/$3.out" ||
        ! cmp -s "$tmp/$2.err" "$tmp/$3.err" ||
        ! cmp -s "$tmp/$2.rc" "$tmp/$3.rc"; then
        fail "$what: --opt=VALUE and --opt VALUE differ"
        diff "$tmp/$2.err" "$tmp/$3.err" | head -5
    fi
}

# expect_usage CMD WANT_TEXT ARGS...: exit 2 and WANT_TEXT on stderr
expect_usage() {
    local cmd=$1 want=$2
    shift 2
    "$bin" "$cmd" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
    local rc=$?
    [ "$rc" -eq 2 ] || fail "$cmd $*: exit $rc, expected 2"
    grep -qF -- "$want" "$tmp/u.err" ||
        fail "$cmd $*: stderr lacks \"$want\": $(head -n 1 "$tmp/u.err")"
}

# A small results directory for the commands that read one.
"$bin" sim "$S" --duration 10m -q -o "$tmp/res" || fail "sim for inputs"

# ---- --opt=VALUE == --opt VALUE ---------------------------------------------
run_to sim1 -- "$bin" sim "$S" --duration=10m -q -o "$tmp/s1"
run_to sim2 -- "$bin" sim "$S" --duration 10m -q --output="$tmp/s2"
same "sim --duration" sim1 sim2
cmp -s "$tmp/s1/timeseries.csv" "$tmp/s2/timeseries.csv" ||
    fail "sim --duration=10m and --duration 10m simulate differently"
cmp -s "$tmp/s1/timeseries.csv" "$tmp/res/timeseries.csv" ||
    fail "sim --output=DIR and -o DIR differ"

run_to run1 -- "$bin" run "$S" --threads=0
run_to run2 -- "$bin" run "$S" --threads 0
same "run --threads" run1 run2
grep -q "threads wants" "$tmp/run1.err" || fail "run --threads=0 not checked"
run_to run3 -- "$bin" run "$S" --output=/proc/tollgate-no -q
run_to run4 -- "$bin" run "$S" --output /proc/tollgate-no -q
same "run --output" run3 run4
[ "$(cat "$tmp/run3.rc")" -eq 3 ] || fail "run --output=unwritable: not 3"

run_to serve1 -- "$bin" serve "$S" --threads=0
run_to serve2 -- "$bin" serve "$S" --threads 0
same "serve --threads" serve1 serve2
grep -q "threads wants" "$tmp/serve1.err" || fail "serve --threads=0 not checked"

run_to plot1 -- "$bin" plot "$tmp/res" --format=bmp
run_to plot2 -- "$bin" plot "$tmp/res" --format bmp
same "plot --format" plot1 plot2
[ "$(cat "$tmp/plot1.rc")" -eq 2 ] || fail "plot --format=bmp: not 2"

run_to check1 -- "$bin" check "$tmp/res" --junit="$tmp/j.xml"
mv "$tmp/j.xml" "$tmp/j1.xml" 2>/dev/null || fail "check --junit=FILE wrote nothing"
run_to check2 -- "$bin" check "$tmp/res" --junit "$tmp/j.xml"
same "check --junit" check1 check2
cmp -s "$tmp/j.xml" "$tmp/j1.xml" || fail "check --junit reports differ"

run_to cmp1 -- "$bin" compare "$tmp/res" "$tmp/s1" --tolerance=0% --csv=-
run_to cmp2 -- "$bin" compare "$tmp/res" "$tmp/s1" --tolerance 0% --csv -
same "compare --tolerance" cmp1 cmp2
grep -q "^rate,denied," "$tmp/cmp1.out" || fail "compare --csv=- wrote no CSV"

run_to merge1 -- "$bin" merge --output="$tmp/m1" "$tmp/res" -q
run_to merge2 -- "$bin" merge --output "$tmp/m2" "$tmp/res" -q
same "merge --output" merge1 merge2
cmp -s "$tmp/m1/timeseries.csv" "$tmp/m2/timeseries.csv" ||
    fail "merge --output=DIR and --output DIR differ"

run_to val1 -- "$bin" validate --explain "$S" --set=accounts[0].count=77
run_to val2 -- "$bin" validate --explain "$S" --set accounts[0].count=77
same "validate --set" val1 val2
grep -q '^    count: 77$' "$tmp/val1.out" || fail "validate --set= not applied"

run_to rea1 -- "$bin" reasons --json
run_to rea2 -- "$bin" reasons --js # a unique abbreviation
same "reasons --json" rea1 rea2

# ---- unknown option: exit 2 and the nearest one -----------------------------
expect_usage sim "unknown option '--sed'; did you mean '--seed'?" "$S" --sed 1
expect_usage run "unknown option '--threds'; did you mean '--threads'?" \
    "$S" --threds 2
expect_usage serve "unknown option '--lisen'; did you mean '--listen'?" \
    "$S" --lisen 127.0.0.1:0
expect_usage plot "unknown option '--formt'; did you mean '--format'?" \
    "$tmp/res" --formt svg
expect_usage check "unknown option '--junt'; did you mean '--junit'?" \
    "$tmp/res" --junt x
expect_usage compare \
    "unknown option '--tolerence'; did you mean '--tolerance'?" \
    "$tmp/res" "$tmp/res" --tolerence 1%
expect_usage merge "unknown option '--chek'; did you mean '--check'?" \
    -o "$tmp/m3" "$tmp/res" --chek
expect_usage validate \
    "unknown option '--explian'; did you mean '--explain'?" "$S" --explian
expect_usage reasons "unknown option '--jsn'; did you mean '--json'?" --jsn
expect_usage sim "unknown option '-x'" "$S" -x
expect_usage sim "option '--s' is ambiguous: --seed, --set" "$S" --s 1
expect_usage sim "option '--quiet' takes no value" "$S" --quiet=yes

# ---- missing value: exit 2 naming the option --------------------------------
expect_usage sim "option '--seed' needs a value" "$S" --seed
expect_usage sim "option '-o' (--output) needs a value" "$S" -o
expect_usage run "option '--target' needs a value" "$S" --target
expect_usage serve "option '--listen' needs a value" "$S" --listen
expect_usage plot "option '--format' needs a value" "$tmp/res" --format
expect_usage check "option '--junit' needs a value" "$tmp/res" --junit
expect_usage compare "option '--csv' needs a value" "$tmp/res" "$tmp/res" \
    --csv
expect_usage merge "option '--output' needs a value" "$tmp/res" --output
expect_usage validate "option '--set' needs a value" "$S" --set
# (reasons has no option that takes a value)

# ---- help CMD == CMD --help; every --help has an example --------------------
for cmd in sim run serve plot check compare merge validate reasons; do
    "$bin" "$cmd" --help >"$tmp/h1" 2>&1
    rc1=$?
    "$bin" help "$cmd" >"$tmp/h2" 2>&1
    rc2=$?
    [ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] ||
        fail "$cmd --help / help $cmd: exit $rc1 / $rc2"
    cmp -s "$tmp/h1" "$tmp/h2" || fail "help $cmd differs from $cmd --help"
    grep -q "^Example" "$tmp/h1" || fail "$cmd --help has no example"
    grep -q "^  tollgate $cmd " "$tmp/h1" ||
        fail "$cmd --help example does not run $cmd"
done
"$bin" help >"$tmp/h" 2>&1 || fail "tollgate help: exit $?"
grep -q "^Commands:" "$tmp/h" || fail "tollgate help: no command list"

# ---- unknown subcommand ------------------------------------------------------
for pair in simulate:sim valdate:validate chek:check merg:merge; do
    "$bin" "${pair%%:*}" >"$tmp/o" 2>"$tmp/e"
    rc=$?
    [ "$rc" -eq 2 ] || fail "tollgate ${pair%%:*}: exit $rc, expected 2"
    grep -qF "unknown command '${pair%%:*}'; did you mean '${pair##*:}'?" \
        "$tmp/e" || fail "tollgate ${pair%%:*}: $(head -n 1 "$tmp/e")"
done
"$bin" help simulate >/dev/null 2>"$tmp/e"
[ $? -eq 2 ] && grep -q "did you mean 'sim'" "$tmp/e" ||
    fail "tollgate help simulate: no suggestion"

# ---- Ctrl-C: sim stops, writes results marked incomplete, exits 130 --------
# 1000 replications take about a minute; SIGINT after one second stops
# the one running and writes what ran (run's and serve's Ctrl-C are
# covered by the integration tests).  130 = 128 + SIGINT, so a CI job
# does not pass on a partial result; --accept-incomplete makes it 0.
"$bin" sim "$S" --replications 1000 -q -o "$tmp/sig" 2>"$tmp/sig.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "sim after SIGINT: exit $rc, expected 130"
"$bin" sim "$S" --replications 1000 -q -o "$tmp/sig2" --accept-incomplete 2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || fail "sim --accept-incomplete after SIGTERM: exit $rc, expected 0"
"$bin" check "$tmp/sig2" >"$tmp/chk.out"
rc=$?
[ "$rc" -eq 1 ] && grep -q "^FAIL  results complete" "$tmp/chk.out" ||
    fail "check of incomplete results: exit $rc, expected 1 with a FAIL line"
"$bin" check "$tmp/sig2" --accept-incomplete >"$tmp/chk.out"
grep -q "^PASS  results complete" "$tmp/chk.out" || fail "check --accept-incomplete"

grep -q "interrupted at" "$tmp/sig.err" || fail "sim after SIGINT: no note"
grep -q '"complete": false' "$tmp/sig/summary.json" ||
    fail "sim after SIGINT: summary not marked incomplete"

# ---- README "Commands" and each --help synopsis name the same options --------
readme="$tmp/readme"
sed -n '/^## Commands/,/^## /p' "$root/README.md" >"$readme"
opts_of() { # the options of a synopsis on stdin, sorted
    grep -oE -- '(^|[[ ])--?[a-z][a-z0-9-]*' | tr -d '[ ' | sort -u
}
for cmd in sim run serve plot check compare merge validate reasons; do
    "$bin" "$cmd" --help | sed -n '/^Usage/,/^$/p' | opts_of >"$tmp/help.opts"
    awk -v c="tollgate $cmd " 'index($0, c) == 1 { on = 1; print; next }
         on && /^ / { print; next } { on = 0 }' "$readme" |
        opts_of >"$tmp/readme.opts"
    [ -s "$tmp/readme.opts" ] || [ "$cmd" = reasons ] ||
        fail "README Commands: no line for $cmd"
    cmp -s "$tmp/help.opts" "$tmp/readme.opts" ||
        fail "README Commands and $cmd --help disagree: $(diff \
            "$tmp/help.opts" "$tmp/readme.opts" | grep '^[<>]' | tr '\n' ' ')"
done

if [ "$failed" -gt 0 ]; then
    echo "$failed failure(s)"
    exit 1
fi
echo "cli options: ok"
