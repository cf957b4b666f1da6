#!/bin/bash
# test_install.sh - `cmake --install` gives a tree that works on its own,
# wherever it is moved.  Installs the build into a temporary prefix, moves
# the prefix elsewhere, and from an empty directory, with no
# TOLLGATE_PLOTS/TOLLGATE_DATADIR set:
#   - the layout is there: bin/tollgate, share/tollgate/{plots,scenarios},
#     both man pages, bash and zsh completion, share/doc/tollgate;
#   - `tollgate --version` prints the project version and the revision
#     the build wrote;
#   - sim of the installed free-tier-exhaustion scenario, then plot, which
#     must find the moved share/tollgate/plots through /proc/self/exe;
#   - with that plots folder taken away, plot fails (exit 3, "not found"):
#     so it was the installed scripts that drew, not the source tree's;
#   - TOLLGATE_DATADIR points plot at another copy, and a wrong one is an
#     error (exit 3) that names it;
#   - `man -M PREFIX/share/man tollgate` and tollgate-scenario render;
#   - the installed bash completion completes commands and options.
# And packaging/revision.cmake picks its revision in the documented order
# (given, git HEAD, a `git archive` tarball's, "unknown").
#
# Usage: bash test_install.sh TOLLGATE_BINARY SOURCE_DIR
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
BUILD=$(dirname "$BIN")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
unset TOLLGATE_PLOTS TOLLGATE_DATADIR

if ! cmake --install "$BUILD" --prefix "$TMP/stage" >"$TMP/install.log" 2>&1; then
    cat "$TMP/install.log"
    echo "FAIL: cmake --install $BUILD"
    exit 1
fi
mkdir -p "$TMP/else/where"
mv "$TMP/stage" "$TMP/else/where/prefix"
P=$TMP/else/where/prefix
for f in bin/tollgate share/tollgate/plots/denials.gp \
    share/tollgate/plots/common.gp share/tollgate/plots/palette.gp \
    share/tollgate/scenarios/free-tier-exhaustion.yaml \
    share/tollgate/scenarios/kitchen-sink.yaml \
    share/man/man1/tollgate.1.gz share/man/man5/tollgate-scenario.5.gz \
    share/bash-completion/completions/tollgate \
    share/zsh/vendor-completions/_tollgate \
    share/doc/tollgate/LICENSE; do
    [ -s "$P/$f" ] || fail "installed tree lacks $f"
done
n_docs=$(($(ls "$SRC"/docs/*.md | wc -l) + 1)) # and the README
[ "$(ls "$P"/share/doc/tollgate/*.md | wc -l)" = "$n_docs" ] ||
    fail "share/doc/tollgate has not the $n_docs documents"
n_src=$(ls "$SRC"/scenarios/*.yaml | wc -l)
n_inst=$(ls "$P"/share/tollgate/scenarios/*.yaml | wc -l)
[ "$n_src" = "$n_inst" ] || fail "$n_inst scenarios installed, $n_src in scenarios/"

# --version: "tollgate 0.1.0 (revision <12 hex>[-dirty])" in a checkout.
want=$(sed -n 's/^project(tollgate VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
ver=$("$P/bin/tollgate" --version)
case $ver in
"tollgate $want (revision "*")") ;;
*) fail "--version printed '$ver', want 'tollgate $want (revision ...)'" ;;
esac
# It is the revision of the build (which may predate the latest commit
# when tests run without a rebuild); that one's source is checked below.
built=$(sed -n 's/.*TOLLGATE_REVISION "\(.*\)"/\1/p' "$BUILD/generated/revision.h")
[ -n "$built" ] && [ "$ver" = "tollgate $want (revision $built)" ] ||
    fail "--version '$ver' is not the build's revision '$built'"
if [ "$(git -C "$SRC" rev-parse --show-toplevel 2>/dev/null)" = "$SRC" ]; then
    head=$(git -C "$SRC" rev-parse --short=12 HEAD)
fi

# The README's job from the moved tree, from an empty directory.
mkdir "$TMP/work"
cd "$TMP/work" || exit 1
cp "$P/share/tollgate/scenarios/free-tier-exhaustion.yaml" .
if ! "$P/bin/tollgate" sim free-tier-exhaustion.yaml --duration 10m -q \
    -o res >"$TMP/sim.out" 2>&1; then
    cat "$TMP/sim.out"
    fail "installed tollgate sim failed"
fi
[ -s res/summary.json ] || fail "sim wrote no res/summary.json"
if command -v gnuplot >/dev/null; then
    if ! timeout 120 "$P/bin/tollgate" plot res >"$TMP/plot.out" 2>&1; then
        cat "$TMP/plot.out"
        fail "installed tollgate plot failed"
    fi
    for c in denials latency spectrum headroom; do
        [ -s "res/plots/$c.png" ] || fail "plot drew no res/plots/$c.png"
    done
    # Negative control: without the installed scripts nothing else is found.
    mv "$P/share/tollgate/plots" "$TMP/plots-aside"
    "$P/bin/tollgate" plot res -o "$TMP/p2" >"$TMP/plot2.out" 2>&1
    rc=$?
    [ "$rc" = 3 ] || fail "plot without installed scripts: exit $rc, want 3"
    grep -q "chart scripts not found" "$TMP/plot2.out" ||
        fail "plot without scripts says: $(cat "$TMP/plot2.out")"
    # The override: a data directory elsewhere, and a wrong one.
    mkdir -p "$TMP/alt" && mv "$TMP/plots-aside" "$TMP/alt/plots"
    TOLLGATE_DATADIR=$TMP/alt "$P/bin/tollgate" plot res --format svg \
        >"$TMP/plot3.out" 2>&1 || fail "TOLLGATE_DATADIR=$TMP/alt plot failed: $(cat "$TMP/plot3.out")"
    [ -s res/plots/denials.svg ] || fail "TOLLGATE_DATADIR plot drew no svg"
    TOLLGATE_DATADIR=$TMP/nothing "$P/bin/tollgate" plot res \
        >"$TMP/plot4.out" 2>&1
    rc=$?
    [ "$rc" = 3 ] || fail "TOLLGATE_DATADIR=nothing: exit $rc, want 3"
    grep -q "$TMP/nothing/plots" "$TMP/plot4.out" ||
        fail "a wrong TOLLGATE_DATADIR is not named: $(cat "$TMP/plot4.out")"
else
    echo "SKIP plot part: gnuplot is not installed"
fi

# Man pages from the installed tree.
for page in tollgate tollgate-scenario; do
    out=$(MANWIDTH=80 MANPAGER=cat man -M "$P/share/man" "$page" 2>&1)
    grep -q "^NAME" <<<"$out" || fail "man -M PREFIX/share/man $page: $out"
done

# The installed pages are the tree's, gzip'd.
cmp <(gzip -dc "$P/share/man/man1/tollgate.1.gz") "$SRC/man/tollgate.1" ||
    fail "installed tollgate.1.gz is not man/tollgate.1"

# Bash completion, from the installed file, against the installed binary.
comp=$(bash -c 'source "$1/share/bash-completion/completions/tollgate"
    COMP_WORDS=("$1/bin/tollgate" me); COMP_CWORD=1; _tollgate
    echo "${COMPREPLY[*]}"
    COMP_WORDS=("$1/bin/tollgate" run --max-r); COMP_CWORD=2; _tollgate
    echo "${COMPREPLY[*]}"
    COMP_WORDS=("$1/bin/tollgate" report d --format h); COMP_CWORD=4
    _tollgate; echo "${COMPREPLY[*]}"' _ "$P")
[ "$comp" = "$(printf 'merge\n--max-requests\nhtml')" ] ||
    fail "bash completion gave '$comp'"
# The zsh completion's function with zsh's completion builtins stubbed
# (they only run inside the line editor): commands, then options.
if command -v zsh >/dev/null; then
    comp=$(zsh -f -c '_call_program() { shift; eval "$@"; }
        _describe() { print -l -- ${(P)4}; }
        compadd() { print -l -- ${(P)2}; }
        source "$1/share/zsh/vendor-completions/_tollgate" 2>/dev/null
        words=("$1/bin/tollgate" me); CURRENT=2; _tollgate | grep "^merge:"
        words=("$1/bin/tollgate" run --max-r); CURRENT=3; PREFIX=--max-r
        _tollgate | grep -c -e --max-requests -e --drain' _ "$P")
    [ "$comp" = "$(printf 'merge:combine shard results exactly\n2')" ] ||
        fail "zsh completion gave '$comp'"
else
    echo "SKIP zsh completion: zsh is not installed"
fi

# revision.cmake's order: given > git > archive file > unknown.
rev() { # SRCDIR [REVISION] -> the header's revision
    cmake -DSRC="$1" -DOUT="$TMP/rev.h" -DREVISION="${2:-}" \
        -P "$SRC/packaging/revision.cmake" &&
        sed -n 's/.*TOLLGATE_REVISION "\(.*\)"/\1/p' "$TMP/rev.h"
}
mkdir -p "$TMP/tarball/packaging"
cp "$SRC/packaging/archive-revision.txt" "$TMP/tarball/packaging/"
[ "$(rev "$TMP/tarball")" = unknown ] ||
    fail "unsubstituted archive-revision.txt gives '$(rev "$TMP/tarball")'"
sed -i 's/^\$Format:%h\$$/0123abc/' "$TMP/tarball/packaging/archive-revision.txt"
[ "$(rev "$TMP/tarball")" = 0123abc ] ||
    fail "git archive's revision gives '$(rev "$TMP/tarball")'"
[ "$(rev "$TMP/tarball" given-1)" = given-1 ] ||
    fail "-DREVISION gives '$(rev "$TMP/tarball" given-1)'"
if [ -n "${head:-}" ]; then
    case $(rev "$SRC") in
    "$head" | "$head-dirty") ;;
    *) fail "revision.cmake in the checkout gives '$(rev "$SRC")', HEAD $head" ;;
    esac
fi

if [ "$FAILS" -gt 0 ]; then
    echo "FAIL test_install: $FAILS failures"
    exit 1
fi
echo "PASS test_install: installed, moved, sim + plot ran from $P"
