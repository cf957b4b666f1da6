#!/usr/bin/env bash
# The library scenario outage-thundering-herd shows the herd its header
# describes, and each retry_after kind changes it as docs/client-model.md
# says.  The outage ends at 345 s; "overloaded" only happens after it.
#   openai (the scenario's default) and honor: the retries of every
#     request denied during the outage arrive at the same instant, so at
#     least 95% of the run's overloaded answers fall in the 5-s interval
#     that starts at 345 s, and the scenario's expect: passes (--check);
#   honor_jitter: the same retries spread over [345 s, 345 s + hint], so
#     that interval holds less than half of them;
#   ignore: the sdk clients give up during the outage (0.5 s and 1 s
#     backoffs), so they get fewer than 100 overloaded answers.
# Sim only (virtual time): about a second of CPU per run.
source "$(dirname "$0")/run_common.sh"

scn="$SRC/scenarios/outage-thundering-herd.yaml"

# share DIR: overloaded in the interval starting at 345 s / all overloaded
share() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "overloaded") c = i; next }
           { all += $c; if ($1 == 345) at += $c }
           END { if (all == 0) print 0; else printf "%.3f\n", at / all }' \
    "$1/timeseries.csv"
}
sdk_overloaded() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1] + "/summary.json"))
print(d["populations"]["sdk"]["denied_by_reason"]["overloaded"])' "$1"
}

"$TG" sim "$scn" -q --check -o "$WORK/openai" >"$WORK/check.txt" ||
  fail "the scenario's expect: should pass (exit $?): $(cat "$WORK/check.txt")"
for kind in honor honor_jitter ignore; do
  "$TG" sim "$scn" -q -o "$WORK/$kind" \
    --set "accounts.sdk.client.retry.retry_after=$kind" >/dev/null ||
    fail "sim with retry_after=$kind exited $?"
done

for kind in openai honor; do
  s=$(share "$WORK/$kind")
  awk -v s="$s" 'BEGIN { exit !(s >= 0.95) }' ||
    fail "$kind: only $s of overloaded at the outage's end, want >= 0.95"
  [ "$(sdk_overloaded "$WORK/$kind")" -gt 1000 ] ||
    fail "$kind: sdk overloaded $(sdk_overloaded "$WORK/$kind"), want > 1000"
done
s=$(share "$WORK/honor_jitter")
awk -v s="$s" 'BEGIN { exit !(s < 0.5) }' ||
  fail "honor_jitter: $s of overloaded at the outage's end, want < 0.5"
[ "$(sdk_overloaded "$WORK/ignore")" -lt 100 ] ||
  fail "ignore: sdk overloaded $(sdk_overloaded "$WORK/ignore"), want < 100"
echo "ok: the herd comes with openai and honor, not with honor_jitter or ignore"
