#!/bin/bash
# Builds bench/policy_bench.c against the policy sources with the project's
# release flags and runs it: ns per decision (decide + complete).
# Usage: bash bench/policy_bench.sh [CASE [N [PASSES]]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${POLICY_BENCH_BIN:-${TMPDIR:-/tmp}/tollgate_policy_bench}
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -DNDEBUG -I"$root" -o "$out" \
    "$root/bench/policy_bench.c" "$root/core/model/policy.c" \
    "$root/core/model/policy_events.c" "$root/core/model/policy_account.c" \
    "$root/core/model/limiter.c" "$root/core/base/rng.c" \
    "$root/core/base/err.c" "$root/core/base/reason.c" -lm
"$out" "$@"
