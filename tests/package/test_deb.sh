#!/bin/bash
# test_deb.sh - the Debian package on a machine that has only the package:
# build the .deb with CPack, install it with apt (which must pull its
# dependencies: libcurl, libmicrohttpd, libyaml, gnuplot), then, with the
# source tree hidden, read `man tollgate`, and run the README's main job
# (sim + plot of free-tier-exhaustion) with /usr/bin/tollgate on the
# scenario from /usr/share/tollgate; finally remove the package and check
# nothing of it is left.
#
# It installs into the system, so it is not part of ctest: scripts/test.sh
# (CI) runs it.  Needs root; refuses to touch a tollgate package that was
# already installed.  The source tree is hidden by mounting an empty tmpfs
# over it in a private mount namespace (unshare -m); where that is not
# allowed the job still runs from an empty directory with a clean
# environment, and the test says so.
#
# Usage: bash tests/package/test_deb.sh BUILD_DIR [SOURCE_DIR]
set -u
BUILD=$(cd "$1" && pwd)
SRC=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
TMP=$(mktemp -d)
FAILS=0
fail() {
    echo "FAIL: $*"
    FAILS=$((FAILS + 1))
}
cleanup() {
    if [ "${INSTALLED:-0}" = 1 ] && dpkg-query -W tollgate >/dev/null 2>&1; then
        apt-get remove -y -qq tollgate >/dev/null 2>&1
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
    echo "SKIP test_deb: needs root to install a package"
    exit 0
fi
if dpkg-query -W -f='${Status}' tollgate 2>/dev/null | grep -q 'ok installed'; then
    echo "FAIL test_deb: a tollgate package is already installed; not touching it"
    exit 1
fi

echo "-- cpack -G DEB"
rm -f "$BUILD"/tollgate_*.deb
(cd "$BUILD" && cpack -G DEB >"$TMP/cpack.log" 2>&1) || {
    cat "$TMP/cpack.log"
    echo "FAIL test_deb: cpack"
    exit 1
}
deb=$(ls "$BUILD"/tollgate_*.deb)
echo "   $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"
depends=$(dpkg-deb -f "$deb" Depends)
echo "   Depends: $depends"
for d in libcurl4 libmicrohttpd12 libyaml-0-2 gnuplot; do
    grep -q "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
# Every dependency names a package apt can install (on a machine without
# them, these are what `apt-get install ./tollgate_*.deb` pulls).
for d in $(tr ',' '\n' <<<"$depends" | sed 's/|.*//; s/(.*//'); do
    apt-cache policy "$d" 2>/dev/null | grep -q 'Candidate: [^(]' ||
        fail "dependency $d has no installation candidate"
done

echo "-- apt-get install ./$(basename "$deb")"
cp "$deb" "$TMP/"
INSTALLED=1
if ! (cd "$TMP" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "./$(basename "$deb")" >"$TMP/apt.log" 2>&1); then
    cat "$TMP/apt.log"
    echo "FAIL test_deb: apt-get install"
    exit 1
fi
[ -s /usr/share/doc/tollgate/copyright ] || fail "no /usr/share/doc/tollgate/copyright"
[ "$(command -v tollgate)" = /usr/bin/tollgate ] ||
    fail "tollgate on PATH is $(command -v tollgate), not /usr/bin/tollgate"

# The user's session: empty home, empty directory, a clean environment,
# and (where allowed) the source and build trees not there at all.
mkdir -p "$TMP/home/work"
cat >"$TMP/job.sh" <<'JOB'
set -eu
cd "$HOME/work"
tollgate --version
MANWIDTH=80 MANPAGER=cat man --warnings tollgate >man.txt 2>man.err
grep -q '^SYNOPSIS' man.txt
grep -q 'tollgate sim scenario' man.txt
[ ! -s man.err ] || { cat man.err; exit 1; }
MANWIDTH=80 MANPAGER=cat man tollgate-scenario | grep -q '^DESCRIPTION'
cp /usr/share/tollgate/scenarios/free-tier-exhaustion.yaml .
tollgate sim free-tier-exhaustion.yaml
tollgate plot results/free-tier-exhaustion-sim
ls results/free-tier-exhaustion-sim/plots
JOB
hide=""
if unshare -m true 2>/dev/null; then
    hide="mount -t tmpfs none '$SRC' && "
    case $BUILD in "$SRC"/*) ;; *) hide="$hide mount -t tmpfs none '$BUILD' && " ;; esac
    hide="$hide [ -z \"\$(ls -A '$SRC')\" ] && "
    run=(unshare -m sh -c "$hide exec bash '$TMP/job.sh'")
    echo "-- the README's job, source tree hidden (tmpfs over $SRC)"
else
    run=(bash "$TMP/job.sh")
    echo "-- the README's job from an empty directory (unshare -m not" \
        "allowed here, so the source tree stays on disk, unused)"
fi
if ! env -i PATH=/usr/bin:/bin HOME="$TMP/home" LANG=C.UTF-8 \
    "${run[@]}" >"$TMP/job.log" 2>&1; then
    fail "the job failed:"
    sed 's/^/    /' "$TMP/job.log"
else
    sed 's/^/   /' "$TMP/job.log"
fi
for c in denials latency spectrum headroom; do
    f=$TMP/home/work/results/free-tier-exhaustion-sim/plots/$c.png
    [ -s "$f" ] || fail "no $c.png"
done

echo "-- apt-get remove tollgate"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq tollgate >"$TMP/rm.log" 2>&1 ||
    fail "apt-get remove: $(cat "$TMP/rm.log")"
INSTALLED=0
for p in /usr/bin/tollgate /usr/share/tollgate /usr/share/man/man1/tollgate.1.gz \
    /usr/share/bash-completion/completions/tollgate; do
    [ ! -e "$p" ] || fail "$p is left after removal"
done

if [ "$FAILS" -gt 0 ]; then
    echo "FAIL test_deb: $FAILS failures"
    exit 1
fi
echo "PASS test_deb: built, installed with its dependencies, used without the source tree, removed"
