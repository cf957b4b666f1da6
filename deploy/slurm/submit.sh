#!/usr/bin/env bash
# submit.sh - run a scenario as N Slurm array tasks, then merge and check.
#
#   deploy/slurm/submit.sh [options] SCENARIO
#
#   -n N          shards (array tasks), default 4
#   -r DIR        results directory on a filesystem every node sees
#                 (default: ./results/<scenario file name>-<UTC time>)
#   -t URL        target endpoint (default: the scenario's live.target)
#   -l SECONDS    lead time: shards start this long after submission
#                 (default 60; more than the cluster needs to start N tasks)
#   -a "ARGS"     more `tollgate run` options for every shard
#   -s "ARGS"     more sbatch options for both jobs (partition, account...)
#   -i LIST       re-run only these shards (e.g. 3 or 3,7) into the results
#                 directory of an earlier submission (-r DIR, same -n), at a
#                 new start time; the gather job then merges all N again
#   -w            wait for the gather job; exit with its status (= check's)
#
# Prints the two job ids and where results land.  The binary is `tollgate`
# on PATH unless TG names it.  Exit status with -w: that of `tollgate check`
# on the merged result (0 pass, 1 a rule fails), 3 when a shard is missing
# or incomplete, 4 when the gather job ended without running (cancelled),
# 128+N when a signal N ended it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=4 results="" target="" lead=60 run_args="" sb_args="" wait=0 only=""
usage() {
  awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"
  exit "$1"
}
while getopts "n:r:t:l:a:s:i:wh" o; do
  case $o in
  n) n=$OPTARG ;;
  r) results=$OPTARG ;;
  t) target=$OPTARG ;;
  l) lead=$OPTARG ;;
  a) run_args=$OPTARG ;;
  s) sb_args=$OPTARG ;;
  i) only=$OPTARG ;;
  w) wait=1 ;;
  h) usage 0 ;;
  *) usage 2 >&2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage 2 >&2
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: -n wants N >= 1" >&2; exit 2; }
[[ "$lead" =~ ^[0-9]+$ ]] || { echo "submit.sh: -l wants whole seconds" >&2; exit 2; }
array=0-$((n - 1))
if [ -n "$only" ]; then
  [[ "$only" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "submit.sh: -i wants shard numbers like 3,7" >&2; exit 2; }
  [ -n "$results" ] || { echo "submit.sh: -i needs -r DIR of the earlier submission" >&2; exit 2; }
  for k in ${only//,/ }; do
    [ "$k" -lt "$n" ] || { echo "submit.sh: shard $k is not below -n $n" >&2; exit 2; }
  done
  array=$only
fi
scenario=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -f "$scenario" ] || { echo "submit.sh: no scenario $1" >&2; exit 2; }
[ -n "$results" ] || results=results/$(basename "$scenario" .yaml)-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
results=$(cd "$results" && pwd)
"${TG:-tollgate}" validate "$scenario" >/dev/null

TG_DEPLOY=$(dirname "$here")
TG_START_AT=$(($(date +%s) + lead))
export TG_SCENARIO=$scenario TG_SHARDS=$n TG_RESULTS=$results TG_DEPLOY
export TG_TARGET=$target TG_RUN_ARGS=$run_args TG=${TG:-tollgate} TG_START_AT
# shellcheck disable=SC2086 # sb_args: a list of options
shards=$(sbatch --parsable $sb_args --array="$array" --export=ALL \
  --chdir="$results" "$here/shards.sbatch")
shards=${shards%%;*}
echo "submit.sh: shards $array of $n as array job $shards, start at" \
  "$(date -u -d "@$TG_START_AT" +%Y-%m-%dT%H:%M:%SZ)"
echo "submit.sh: shards in $results/shard-I, merged result in $results/merged," \
  "job logs in $results"
# shellcheck disable=SC2086 # sb_args: a list of options
gather=$(sbatch --parsable --dependency="afterany:$shards" --kill-on-invalid-dep=no \
  --export=ALL --chdir="$results" $sb_args "$here/gather.sbatch")
gather=${gather%%;*}
echo "submit.sh: gather job $gather"
[ "$wait" = 1 ] || exit 0

# -w: poll the controller every TG_POLL seconds (default 2) until the
# gather job has ended, then exit with its exit code.  (sbatch --wait
# polls with growing intervals, up to half a minute late.)  Needs the
# controller to keep ended jobs for longer than that: MinJobAge, 300 s by
# default.
trap 'echo "submit.sh: stopped waiting; the jobs go on (scancel $shards $gather)" >&2
  exit 130' INT TERM HUP
while :; do
  line=$(scontrol show job -o "$gather" 2>/dev/null || true)
  state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")
  case $state in
  PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | RESIZING | "") ;;
  *) break ;;
  esac
  [ -n "$state" ] || { echo "submit.sh: gather job $gather is unknown to the controller" >&2; exit 4; }
  sleep "${TG_POLL:-2}"
done
code=$(sed -n 's/.* ExitCode=\([0-9]*\):\([0-9]*\).*/\1 \2/p' <<<"$line")
rc=${code%% *}
[ "${code##* }" = 0 ] || rc=$((128 + ${code##* }))
if [ "$state" != COMPLETED ] && [ "$rc" = 0 ]; then
  rc=4 # cancelled or killed before it could say anything
fi
echo "submit.sh: gather job $gather $state, exit status $rc"
exit "$rc"
