#!/usr/bin/env bash
# Runs every test tollgate has: formatting, the unit/golden/malformed/
# integration/lint/install suites on a normal build (asserts on), the Debian
# package built, installed, used and removed on this machine
# (tests/package/test_deb.sh), the unit, malformed, golden and serve suites
# under AddressSanitizer+UBSan, the threaded tests under ThreadSanitizer,
# and the libFuzzer targets: their regression inputs, then FUZZ_SECONDS
# (default 15; 0: regression inputs and corpus replay only) of fuzzing each.
# Installs what it needs first (scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

echo "== format check (clang-format)"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find core sim loadgen serve cli tests bench -name '*.[ch]')
clang-format --dry-run -Werror $files

echo "== tests (RelWithDebInfo)"
ctest --test-dir build --output-on-failure -j2

echo "== Debian package: build, apt-get install, man + sim + plot without the source tree, remove"
if [ "$(id -u)" -eq 0 ]; then
  bash tests/package/test_deb.sh build
elif command -v sudo >/dev/null; then
  sudo bash tests/package/test_deb.sh build
else
  echo "SKIP: the package test needs root or sudo"
fi

echo "== unit + malformed + golden + serve tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j2 -L 'unit|malformed|golden|serve'

echo "== threaded tests under ThreadSanitizer"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=thread >/dev/null
cmake --build build-tsan -j"$(nproc)" >/dev/null
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -L 'threaded' --no-tests=ignore

echo "== fuzz targets (libFuzzer, ASan+UBSan): regression inputs, corpus, ${FUZZ_SECONDS:-15} s each"
scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
echo "== all tests passed"
