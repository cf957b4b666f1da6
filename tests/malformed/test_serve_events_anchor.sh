#!/usr/bin/env bash
# test_serve_events_anchor.sh - hostile YAML in serve's POST
# /tollgate/events is an answer, not a crash.
#
#   bash tests/malformed/test_serve_events_anchor.sh <tollgate> <repo-root>
#
# An anchor on the source of a merge key ("x: {<<: &x {for: 1s}}" then
# "outage: *x") made every command that parsed it read freed memory; serve
# died (exit 139) on the first such POST.  Now serve answers 400 with a
# located error, stays up, and applies a valid body using the same trick.
# serve listens on 127.0.0.1 only and stops by itself after 30 s.
set -u
TG=${1:?usage: test_serve_events_anchor.sh TOLLGATE REPO_ROOT}
SRC=${2:?usage: test_serve_events_anchor.sh TOLLGATE REPO_ROOT}
. "$SRC/tests/integration/serve/lib.bash"

cat >"$WORK/s.yaml" <<'YAML'
name: anchors
duration: 1h
policy:
  capacity: { servers: 4 }
accounts:
  - name: p
    count: 10
    traffic: { phases: [ { for: 1h, rate: 1/s } ] }
YAML
serve_start "$WORK/s.yaml" --stop-after 30s --no-results

# post NAME BODY: STATUS and $WORK/ev hold the answer
post() {
    STATUS=$(curl -s -m 5 -o "$WORK/ev" -w '%{http_code}' \
        -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/yaml' --data-binary "$2" \
        "$URL/tollgate/events")
}

post merge $'x: {<<: &x {for: 1s}}\noutage: *x\n'
check "merge-source anchor: 400" [ "$STATUS" = 400 ]
check "merge-source anchor: located error" grep -q '1:1: x: unknown event kind' "$WORK/ev"
post key $'? &k {a: 1}\n: 1\noutage: *k\n'
check "mapping-key anchor: 400" [ "$STATUS" = 400 ]
post fragment $'[{outage: {for: f(1s, &s 2)}}, {upgrade: {for: *s}}]'
check "flow-fragment anchor: 400" [ "$STATUS" = 400 ]
check "serve is still up" kill -0 "$SERVE_PID"
post ok '[{outage: {<<: &x {capacity: 50%}}}, {upgrade: *x}]'
check "valid anchored body: 200" [ "$STATUS" = 200 ]
check "both events applied" grep -q 'capacity 50%.*capacity 50%' "$WORK/ev"
serve_stop
check "serve exits cleanly" [ "$SERVE_STATUS" = 0 ]
finish
