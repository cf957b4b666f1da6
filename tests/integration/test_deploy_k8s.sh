#!/usr/bin/env bash
# ctest-labels: deploy
# deploy/k8s without a cluster: the manifests pass yamllint and the
# structural checks of k8s_pod.py (Indexed Job, completions = parallelism
# = TG_SHARDS, env references, ConfigMap keys, volumes, one RWX claim);
# the Containerfile copies files that exist, makes the project's .deb and
# installs it;
# then each pod of the shards Job is run locally by the container's
# entrypoint with the environment Kubernetes would set (JOB_COMPLETION_INDEX
# 0..3, the ConfigMap values, $(VAR) expanded, mount paths mapped to temp
# directories) against a `tollgate serve` on 127.0.0.1; every shard writes
# shard-I labelled I/4, the gather pod merges and checks (exit 0) and the
# merged counts per reason equal an unsharded run exactly (deterministic
# policy).  The re-run manifest replaces shard 1 alone (TG_SHARD_INDEX);
# gather refuses a missing, killed (.partial), incomplete or mislabelled
# shard (exit 3); the entrypoint outside an Indexed Job is a usage error.  Bounded:
# about 15 s.
source "$(dirname "$0")/run_common.sh"
command -v yamllint >/dev/null ||
  fail "yamllint is not installed (scripts/setup.sh --test installs it)"
python3 -c 'import yaml' 2>/dev/null ||
  fail "python3-yaml is not installed (scripts/setup.sh --test installs it)"

K8S=$SRC/deploy/k8s
yamllint -c "$K8S/.yamllint" \
  "$K8S"/*.yaml || fail "yamllint"
python3 "$SRC/tests/integration/k8s_pod.py" check "$K8S" || fail "manifest checks"

# The container recipe, without building it (no container engine needed):
# two Debian 12 stages, every file it copies exists, the build stage
# installs the build packages of scripts/setup.sh (gnuplot aside: no plots
# are made in the image) and `file` (CPack's .deb generator), builds the
# `package` target, and the runtime stage installs that .deb with apt
# (whose dependencies tests/package/test_deb.sh checks).
CF=$K8S/Containerfile
grep -q '^FROM debian:12 AS build' "$CF" && grep -q '^FROM debian:12-slim' "$CF" ||
  fail "Containerfile: not the two Debian 12 stages"
while read -r -a words; do
  for ((k = 1; k < ${#words[@]} - 1; k++)); do
    [ -e "$SRC/${words[$k]}" ] || fail "Containerfile copies a missing ${words[$k]}"
  done
done < <(grep '^COPY ' "$CF" | grep -v -- '--from=')
build_stage=$(sed -n '/^FROM debian:12 AS build/,/^FROM /p' "$CF" | tr -s ' \\\t' '\n')
runtime_stage=$(sed -n '/^FROM debian:12-slim/,$p' "$CF" | tr -s ' \\\t' '\n')
for pkg in $(sed -n '/^pkgs=(/,/)/p' "$SRC/scripts/setup.sh" | tr -d '()' | sed 's/pkgs=//') file; do
  [ "$pkg" = gnuplot-nox ] && continue
  grep -qx "$pkg" <<<"$build_stage" || fail "Containerfile build stage lacks $pkg"
done
grep -qx -- '--target' <<<"$build_stage" && grep -qx package <<<"$build_stage" ||
  fail "Containerfile: the build stage does not make the .deb"
grep -qx '/tmp/deb/tollgate_\*.deb' <<<"$runtime_stage" ||
  fail "Containerfile: the runtime stage does not install the .deb"

mkdir -p "$WORK/cm" "$WORK/pv"
cat >"$WORK/cm/scenario.yaml" <<'YAML'
name: k8s-shards
seed: 3
duration: 2s
interval: 500ms
policy:
  tiers:
    free: { limits: [ { name: rph, requests: 5, per: 1h } ] }
  models:
    mini: { input: 0.15/1M, output: 0.60/1M }
accounts:
  - name: users
    count: 10
    tier: free
    invalid_key: 10%
    tokens: { prompt: 20, completion: 10 }
    traffic: { arrival: uniform, phases: [ { for: 2s, rate: 100/s } ] }
live:
  connections: 4
  threads: 1
expect:
  - count(rate_limit) > 0
YAML

serve_up() { # a fresh serve of the scenario; sets URL
  local port
  port=$(free_port)
  "$TG" serve "$WORK/cm/scenario.yaml" --listen "127.0.0.1:$port" \
    --no-results -q --stop-after 60s >"$WORK/serve.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  URL=http://127.0.0.1:$port
}

export TG
MOUNTS="{\"/results\": \"$WORK/pv\", \"/etc/tollgate\": \"$WORK/cm\"}"
pod() { # MANIFEST INDEX START_AT
  python3 "$SRC/tests/integration/k8s_pod.py" run "$K8S/$1" "$2" \
    "{\"TG_RUN\": \"run1\", \"TG_START_AT\": \"$3\", \"TG_TARGET\": \"$URL\"}" \
    "$MOUNTS" "$K8S/entrypoint.sh"
}

serve_up
START=$(($(date +%s) + 5))
pids=()
for i in 0 1 2 3; do
  pod shards-job.yaml "$i" "$START" >"$WORK/pod$i.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2 3; do
  wait "${pids[$i]}" || { cat "$WORK/pod$i.log"; fail "pod $i failed"; }
  grep -q "\"shard\": \"$i/4\"" "$WORK/pv/run1/shard-$i/generator.json" ||
    fail "shard-$i is not labelled $i/4"
done
pod gather-job.yaml - "$START" >"$WORK/gather.log" 2>&1 ||
  { cat "$WORK/gather.log"; fail "gather pod failed"; }
cat "$WORK/gather.log"
stop_last

serve_up
"$TG" run "$WORK/cm/scenario.yaml" --target "$URL" -q -o "$WORK/one" >/dev/null ||
  fail "unsharded run"
stop_last
python3 - "$WORK" <<'PY' || fail "merged vs unsharded"
import json, sys
w = sys.argv[1]
m = json.load(open(f"{w}/pv/run1/merged/summary.json"))
one = json.load(open(f"{w}/one/summary.json"))
print(f"merged {m['requests']} {m['denied_by_reason']['rate_limit']} rate_limit; "
      f"unsharded {one['requests']} {one['denied_by_reason']['rate_limit']}")
same = m["requests"] == one["requests"] and m["denied_by_reason"] == one["denied_by_reason"]
sys.exit(0 if same and one["requests"]["attempts"] == 200
         and one["denied_by_reason"]["rate_limit"] > 0
         and one["denied_by_reason"]["invalid_key"] > 0 else 1)
PY

# Re-run shard 1 alone (shard-rerun-job.yaml sets TG_SHARD_INDEX=1).
rm -rf "$WORK/pv/run1/shard-1"
pod gather-job.yaml - "$START" >"$WORK/gather2.log" 2>&1 && fail "gather without shard 1 passed"
grep -q "shard 1/4: missing" "$WORK/gather2.log" || { cat "$WORK/gather2.log"; fail "no missing-shard message"; }
serve_up
pod shard-rerun-job.yaml - "$(($(date +%s) + 4))" >"$WORK/rerun.log" 2>&1 ||
  { cat "$WORK/rerun.log"; fail "re-run pod failed"; }
stop_last
grep -q '"shard": "1/4"' "$WORK/pv/run1/shard-1/generator.json" || fail "re-run is not shard 1/4"
pod gather-job.yaml - "$START" >"$WORK/gather3.log" 2>&1 ||
  { cat "$WORK/gather3.log"; fail "gather after the re-run"; }

# What gather refuses (exit 3, naming the shard, nothing merged): a shard
# killed outright (only its .partial directory), one stopped early
# ("complete": false), one holding another shard's results.
R=$WORK/pv/run1
gather_refuses() { # WHY: gather must exit 3 and print WHY
  rm -rf "$R/merged"
  set +e
  pod gather-job.yaml - "$START" >"$WORK/refuse.log" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 3 ] && grep -q "$1" "$WORK/refuse.log" && [ ! -e "$R/merged" ] ||
    { cat "$WORK/refuse.log"; fail "gather: exit $rc, want 3 and '$1'"; }
}
mv "$R/shard-2" "$R/.shard-2.partial"
gather_refuses "shard 2/4: killed while running"
mv "$R/.shard-2.partial" "$R/shard-2"
sed -i 's/"complete": true/"complete": false/' "$R/shard-2/summary.json"
gather_refuses "shard 2/4: incomplete"
sed -i 's/"complete": false/"complete": true/' "$R/shard-2/summary.json"
mv "$R/shard-3" "$WORK/shard-3.saved"
cp -r "$R/shard-0" "$R/shard-3"
gather_refuses "shard 3/4: labelled shard 0/4, want 3/4"
rm -rf "$R/shard-3"
mv "$WORK/shard-3.saved" "$R/shard-3"
pod gather-job.yaml - "$START" >"$WORK/gather4.log" 2>&1 ||
  { cat "$WORK/gather4.log"; fail "gather with every shard restored"; }

# Outside an Indexed Job the entrypoint says so (exit 2).
set +e
env -i PATH="$PATH" TG="$TG" "$K8S/entrypoint.sh" shard >"$WORK/noidx.log" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "JOB_COMPLETION_INDEX" "$WORK/noidx.log" || fail "no-index: exit $rc"
echo "PASS test_deploy_k8s"
