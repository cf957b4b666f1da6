#!/usr/bin/env bash
# test_layers.sh - core's five libraries depend only downwards:
#   base -> scenario -> stats -> model -> results
# and sim, loadgen, serve use core but never each other.  For every
# library, each symbol it uses but does not define must be defined by a
# library below it (or come from outside the project: libc, libyaml...).
# The link of the tollgate binary enforces most of this already (static
# libraries are searched in layer order); this test names the file and
# symbol that breaks the order, and also catches a call that a lucky link
# order would hide.  Label: lint.
# Usage: test_layers.sh TOLLGATE REPO_ROOT  (the libraries are next to
# the binary)
set -euo pipefail
bin=$1
dir=$(dirname "$bin")
order=(base scenario stats model results)
engines=(sim loadgen serve)

defined() { # LIB: the global symbols it defines
    nm --defined-only -g "$dir/libtollgate_$1.a" 2>/dev/null |
        awk 'NF == 3 { print $3 }' | sort -u
}
undefined() { # LIB: "object symbol" for every symbol it uses undefined
    nm -A -u "$dir/libtollgate_$1.a" 2>/dev/null |
        awk '{ split($1, p, ":"); print p[2], $NF }' | sort -u
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
all_libs=("${order[@]}" "${engines[@]}")
for l in "${all_libs[@]}"; do
    [ -f "$dir/libtollgate_$l.a" ] || { echo "FAIL: no $dir/libtollgate_$l.a"; exit 1; }
    defined "$l" >"$tmp/def.$l"
done
cat "$tmp"/def.* | sort -u >"$tmp/project"

fail=0
check() { # LIB ALLOWED...: LIB's undefined project symbols must be in ALLOWED
    local lib=$1
    shift
    local allowed=$tmp/allowed.$lib
    : >"$allowed"
    for a in "$lib" "$@"; do cat "$tmp/def.$a" >>"$allowed"; done
    sort -u -o "$allowed" "$allowed"
    undefined "$lib" | while read -r obj sym; do
        grep -qxF "$sym" "$tmp/project" || continue  # libc, libyaml, ...
        grep -qxF "$sym" "$allowed" && continue
        owner=$(grep -lxF "$sym" "$tmp"/def.* | sed 's/.*def\.//' | head -1)
        echo "FAIL: $lib/$obj uses $sym of $owner, which is not below it"
    done >>"$tmp/bad"
}
: >"$tmp/bad"
below=()
for l in "${order[@]}"; do
    check "$l" "${below[@]}"
    below+=("$l")
done
for e in "${engines[@]}"; do
    check "$e" "${order[@]}"
done
if [ -s "$tmp/bad" ]; then
    cat "$tmp/bad"
    echo "FAIL test_layers: $(wc -l <"$tmp/bad") calls against the layer order"
    exit 1
fi
echo "PASS test_layers: ${order[*]} depend downwards only; ${engines[*]} only on core"
