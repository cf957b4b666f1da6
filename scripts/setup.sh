#!/usr/bin/env bash
# Installs the Debian packages tollgate needs (idempotent; as root, or via
# sudo), then configures and builds into build/.
#   scripts/setup.sh            build only what tollgate needs to run
#   scripts/setup.sh --test     also install what the test suites use
# Extra CMake arguments can be passed in CMAKE_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config libyaml-dev libcurl4-openssl-dev
      libmicrohttpd-dev libcmocka-dev gnuplot-nox)
if [ "${1:-}" = "--test" ]; then
  # nginx: integration target; clang-format: CI style check;
  # clang + libclang-rt-14-dev: the libFuzzer targets (Debian 12 ships
  # libFuzzer in clang-14's runtime package);
  # python3-simpy, wrk, hey, apache2-utils: benchmark peers;
  # mandoc: the man page lint; file: CPack's .deb generator (it finds the
  # binaries for dpkg-shlibdeps with it); zsh: the zsh completion test;
  # slurmctld, slurmd, slurm-client, munge: the one-node Slurm cluster of
  # tests/integration/test_deploy_slurm.sh; iproute2: the network
  # namespaces of test_deploy_netns.sh; yamllint, python3-yaml: the
  # offline check of the Kubernetes manifests (test_deploy_k8s.sh);
  # chromium: the HTML report loaded in a real headless browser
  # (tests/integration/test_report_html.sh; about 110 MB to download).
  pkgs+=(nginx-light clang-format python3 curl openssl clang libclang-rt-14-dev
         mandoc file zsh slurmctld slurmd slurm-client munge iproute2 yamllint
         python3-yaml chromium)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/tollgate"
