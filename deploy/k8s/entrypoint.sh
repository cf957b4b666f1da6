#!/usr/bin/env bash
# entrypoint.sh - the container's entrypoint (deploy/k8s/Containerfile).
#
#   shard    run one shard: the index is TG_SHARD_INDEX when set (a re-run
#            of one shard), else JOB_COMPLETION_INDEX, which Kubernetes sets
#            in every pod of an Indexed Job (completionMode: Indexed) to
#            0..completions-1; TG_SHARDS must equal the Job's completions.
#            Then deploy/bin/tollgate-shard (TG_SCENARIO, TG_START_AT,
#            TG_RESULTS, TG_TARGET, TG_RUN_ARGS).
#   gather   merge shards 0..TG_SHARDS-1 and check: deploy/bin/tollgate-gather.
#   ...      anything else is passed to tollgate (`serve s.yaml`, `sim ...`).
#
# Exit status: that of the step, so the pod (and the Job) fails when it does.
set -euo pipefail
TG=${TG:-tollgate}
export TG
here=$(dirname "$0")
step() { # NAME: the deploy script: beside this one (the image), in
  # ../bin (the repository) or on PATH
  if [ -x "$here/$1" ]; then
    echo "$here/$1"
  elif [ -x "$here/../bin/$1" ]; then
    echo "$here/../bin/$1"
  else
    command -v "$1"
  fi
}
case "${1:-}" in
shard)
  i=${TG_SHARD_INDEX:-${JOB_COMPLETION_INDEX:-}}
  if [ -z "$i" ]; then
    echo "tollgate-entrypoint: shard: no JOB_COMPLETION_INDEX (run it in an" \
      "Indexed Job) and no TG_SHARD_INDEX" >&2
    exit 2
  fi
  exec "$(step tollgate-shard)" "$i"
  ;;
gather) exec "$(step tollgate-gather)" ;;
*) exec "$TG" "$@" ;;
esac
