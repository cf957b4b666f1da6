#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, docs/fuzzing.md) into
# build-fuzz/ with clang and ASan+UBSan, replays the regression inputs of
# tests/fuzz/regress/<target>/, then fuzzes each target for SECONDS on its
# checked-in corpus, one target at a time.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#     SECONDS_PER_TARGET  default 60; 0 replays regress files and the
#                         checked-in corpus only (no fuzzing)
#     TARGET              classify, events, json, ... (default: all)
# Environment: FUZZ_BUILD (build dir, default build-fuzz), FUZZ_WORK
# (scratch dir for new corpus entries and crashes, default
# $FUZZ_BUILD/work; never inside git), FUZZ_ARGS (extra libFuzzer flags).
# Exit status 1 when any target crashed, leaked, timed out, ran out of
# memory or failed a property; each such input is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
case $secs in '' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac
build=${FUZZ_BUILD:-build-fuzz}
work=${FUZZ_WORK:-$build/work}

all=$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
targets=${*:-$all}
for t in $targets; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || {
        echo "fuzz: no target '$t' (targets: $(echo $all))" >&2
        exit 2
    }
done

# Longest input each target is given: room for the largest seed, small
# enough that every execution stays fast.
max_len() {
    case $1 in
    scenario | results_summary) echo 16384 ;;
    results_tgh | classify) echo 8192 ;;
    json | serve_req | results_timeseries) echo 4096 ;;
    *) echo 2048 ;;
    esac
}

echo "== fuzz: building $build (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTOLLGATE_FUZZ=ON -DSANITIZE=address,undefined >/dev/null
cmake --build "$build" -j2 --target fuzz >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
report=()

for t in $targets; do
    bin=$build/tests/fuzz/fuzz_$t
    seeds=tests/fuzz/corpus/$t
    crashes=$work/crashes/$t
    mkdir -p "$work/corpus/$t" "$crashes" "$seeds"
    common=(-rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$t")"
            -artifact_prefix="$crashes/")
    [ -f "tests/fuzz/$t.dict" ] && common+=(-dict="tests/fuzz/$t.dict")

    # Regression inputs: each must run clean.
    for f in tests/fuzz/regress/"$t"/*; do
        [ -f "$f" ] || continue
        if ! "$bin" "${common[@]}" "$f" >"$work/$t.regress.log" 2>&1; then
            echo "FAIL fuzz $t: regression input $f"
            grep -E "ERROR:|SUMMARY:|property failed|runtime error" \
                "$work/$t.regress.log" | head -5
            failed+=("$t:$f")
        fi
    done

    log=$work/$t.log
    if [ "$secs" -eq 0 ]; then
        args=(-runs=0 "$seeds")
    else
        args=(-max_total_time="$secs" -print_final_stats=1 "$work/corpus/$t" "$seeds")
    fi
    echo "== fuzz: $t (${secs}s)"
    ls "$crashes" >"$work/$t.crashes.before"
    start=$SECONDS
    rc=0
    # shellcheck disable=SC2086
    "$bin" "${common[@]}" ${FUZZ_ARGS:-} "${args[@]}" >"$log" 2>&1 || rc=$?
    # Fork mode (-fork=N -ignore_crashes=1) keeps going after a crash and
    # exits 0, so new files in the crash directory count as failures too.
    new=$(ls "$crashes" | comm -13 "$work/$t.crashes.before" -)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    line=$(printf '%-20s %5ss  execs %-10s %s' "$t" "$((SECONDS - start))" "${execs:--}" "$cov")
    if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
        echo "FAIL fuzz $t (exit $rc; log: $log)"
        grep -E "ERROR:|SUMMARY:|property failed|runtime error|^    #[0-9] " "$log" |
            head -12
        for f in $new; do
            failed+=("$t:$crashes/$f")
        done
        [ -n "$new" ] || failed+=("$t:(no input saved)")
        line="$line  FAILED: $(echo $new)"
    fi
    report+=("$line")
done

echo "== fuzz: summary (scratch corpus and crashes in $work)"
printf '%s\n' "${report[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} failure(s):"
    printf '  %s\n' "${failed[@]}"
    echo "reproduce: $build/tests/fuzz/fuzz_TARGET FILE; see docs/fuzzing.md"
    exit 1
fi
