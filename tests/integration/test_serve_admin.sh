#!/usr/bin/env bash
# ctest-labels: serve
# test_serve_admin.sh - who may use serve's admin routes.  Without an
# admin token, GET /tollgate/key is off (403) and the other admin routes
# answer loopback peers as before; with one (TOLLGATE_ADMIN_TOKEN or
# --admin-token), the key route and POST /tollgate/events want
# "Authorization: Bearer <token>" (401 without it or with a wrong one;
# x-api-key does not count), while /tollgate/state and /tollgate/metrics
# stay readable.  serve's log never shows the token, the admin
# Authorization values tried or the API keys of requests.
#
# Usage: bash test_serve_admin.sh TOLLGATE_BINARY REPO_ROOT
set -u
TG=${1:?tollgate binary}
SRC=${2:?repo root}
. "$SRC/tests/integration/serve/lib.bash"

SCN=$SRC/tests/integration/serve/reasons.yaml
CHAT='{"model":"mini","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
req() { # PATH [CURL ARGS...]: STATUS and $WORK/body
    local path=$1
    shift
    STATUS=$(curl -s -m 5 -o "$WORK/body" -w '%{http_code}' "$@" "$URL$path")
}

# --- no token: the key route is off -----------------------------------------
saved=$ADMIN_TOKEN
ADMIN_TOKEN= # lib.bash passes an empty TOLLGATE_ADMIN_TOKEN: no token
serve_start "$SCN" --stop-after 60s
req "/tollgate/key?account=1"
check "no token: key route 403" status_is 403
check "no token: key route says how to turn it on" body_has '--admin-token'
check "no token: no key in the answer" not body_has '"key"'
req /tollgate/state
check "no token: state 200" status_is 200
req /tollgate/events -d '{"maintenance":{"for":"1s"}}'
check "no token: loopback may inject (200)" status_is 200
serve_stop
ADMIN_TOKEN=$saved

# --- a token from the environment ---------------------------------------------
serve_start "$SCN" --stop-after 60s
check "startup line: token set, not shown" grep -q 'admin token set' "$WORK/log"
req "/tollgate/key?account=1"
check "token: key without Authorization 401" status_is 401
check "token: 401 code" body_has '"code":"invalid_admin_token"'
req "/tollgate/key?account=1" -H "Authorization: Bearer wrong-$ADMIN_TOKEN"
check "token: key with a wrong token 401" status_is 401
req "/tollgate/key?account=1" -H "Authorization: Bearer ${ADMIN_TOKEN%?}"
check "token: key with a prefix of the token 401" status_is 401
req "/tollgate/key?account=1" -H "x-api-key: $ADMIN_TOKEN"
check "token: x-api-key does not count (401)" status_is 401
req "/tollgate/key?account=1" -H "Authorization: Bearer $ADMIN_TOKEN"
check "token: key with the token 200" status_is 200
K=$(sed -n 's/.*"key":"\([^"]*\)".*/\1/p' "$WORK/body")
check "token: a key (got '$K')" test -n "$K"
req /tollgate/events -d '{"maintenance":{"for":"1s"}}'
check "token: inject without it 401" status_is 401
req /tollgate/events -d '{"maintenance":{"for":"1s"}}' \
    -H "Authorization: Bearer nope"
check "token: inject with a wrong one 401" status_is 401
inject '{"maintenance":{"for":"1s"}}'
check "token: inject with it 200" status_is 200
req /tollgate/state
check "token: state stays readable (200)" status_is 200
req /tollgate/metrics
check "token: metrics stay readable (200)" status_is 200
chat "$K" "$CHAT"
chat "${K}x" "$CHAT"
serve_stop
for secret in "$ADMIN_TOKEN" "wrong-$ADMIN_TOKEN" nope "$K"; do
    check "log does not show '$secret'" not grep -qF -- "$secret" "$WORK/log"
done

# --- a token on the command line ----------------------------------------------
ADMIN_TOKEN=
serve_start "$SCN" --admin-token cli-token --stop-after 60s
req "/tollgate/key?account=1" -H "Authorization: Bearer cli-token"
check "--admin-token: key with it 200" status_is 200
req "/tollgate/key?account=1"
check "--admin-token: key without it 401" status_is 401
serve_stop
check "--admin-token: log does not show it" not grep -qF cli-token "$WORK/log"
check "--admin-token: no --admin-any warning" not grep -q warning "$WORK/log"
serve_start "$SCN" --admin-any --stop-after 60s
serve_stop
check "--admin-any without a token: a warning" \
    grep -q 'warning: --admin-any without an admin token' "$WORK/log"
"$TG" serve "$SCN" --admin-token "" >"$WORK/err" 2>&1
check "--admin-token '': usage error (exit $?)" test $? = 2
finish
