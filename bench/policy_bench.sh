#!/bin/bash
# Builds bench/policy_bench.c against the policy sources with the project's
# release flags and runs it: ns per decision (decide + complete).
# Usage: bash bench/policy_bench.sh [CASE [N [PASSES]]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${POLICY_BENCH_BIN:-${TMPDIR:-/tmp}/tollgate_policy_bench}
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -DNDEBUG -I"$root" -o "$out" \
    "$root/bench/policy_bench.c" "$root/core/policy.c" \
    "$root/core/policy_events.c" "$root/core/policy_account.c" \
    "$root/core/limiter.c" "$root/core/rng.c" \
    "$root/core/err.c" "$root/core/reason.c" -lm
"$out" "$@"
