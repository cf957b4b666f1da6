# lib.bash - helpers for the serve integration tests (sourced, not run).
#
# serve_start SCENARIO [ARGS...]  starts `tollgate serve` on a free
#     127.0.0.1 port (URL is set), killed on exit by a trap, with the
#     admin token $ADMIN_TOKEN (through TOLLGATE_ADMIN_TOKEN; key, inject
#     and admin_get send it);
# chat KEY BODY [CURL ARGS...]    POST /v1/chat/completions; STATUS is the
#     HTTP status, $WORK/body and $WORK/hdr the body and headers;
# check NAME COMMAND...           counts a pass or prints a failure;
# deny NAME STATUS CODE [retry]   the usual checks of a denial;
# serve_stop                      SIGTERM, SERVE_STATUS, and a check that
#     the log has no sanitizer report;
# finish                          prints "N passed, N failed" and exits.
# Requires TG (the binary) to be set by the caller.

WORK=$(mktemp -d)
ADMIN_TOKEN=test-$$-$RANDOM$RANDOM
SERVE_PID=
SERVE_STATUS=
PASSES=0
FAILS=0

cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

serve_start() {
    # a fresh log: the child truncates it only after the fork, and reading
    # a previous server's port from it would be a race
    rm -f "$WORK/log"
    TOLLGATE_ADMIN_TOKEN=$ADMIN_TOKEN "$TG" serve "$@" --listen 127.0.0.1:0 \
        -o "$WORK/out" >"$WORK/log" 2>&1 &
    SERVE_PID=$!
    PORT=
    for _ in $(seq 200); do
        PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' \
            "$WORK/log" 2>/dev/null)
        [ -n "$PORT" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$PORT" ]; then
        echo "FAIL: tollgate serve did not start:"
        cat "$WORK/log"
        exit 1
    fi
    URL=http://127.0.0.1:$PORT
}

serve_stop() {
    kill -TERM "$SERVE_PID"
    wait "$SERVE_PID"
    SERVE_STATUS=$?
    SERVE_PID=
    sanitizer_clean
}

# sanitizer_clean: a check that serve's log holds no sanitizer report (a
# sanitized build reports on stderr; the tests then fail here even when
# they do not look at the exit status).
sanitizer_clean() {
    local re='ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|ThreadSanitizer'
    check "serve log: no sanitizer report" not grep -qE "$re" "$WORK/log"
    grep -qE "$re" "$WORK/log" && grep -A40 -m1 -E "$re" "$WORK/log"
    return 0
}

key() {
    curl -s -m 5 -H "Authorization: Bearer $ADMIN_TOKEN" \
        "$URL/tollgate/key?account=$1" |
        sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}

post() { # PATH KEY BODY [CURL ARGS...]
    local path=$1 k=$2 body=$3
    shift 3
    STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
        "$URL$path" -H "Authorization: Bearer $k" \
        -H 'Content-Type: application/json' -d "$body" "$@")
}

chat() { # KEY BODY [CURL ARGS...]
    local k=$1 body=$2
    shift 2
    post /v1/chat/completions "$k" "$body" "$@"
}

chat_nokey() {
    STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
        "$URL/v1/chat/completions" -d "$1")
}

get() { # PATH KEY
    local auth=()
    [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
    STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
        "${auth[@]}" "$URL$1")
}

admin_get() {
    STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
        -H "Authorization: Bearer $ADMIN_TOKEN" "$URL$1")
}

inject() {
    STATUS=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' \
        -H "Authorization: Bearer $ADMIN_TOKEN" "$URL/tollgate/events" -d "$1")
}

status_is() { [ "$STATUS" = "$1" ]; }
body_has() { grep -qF -- "$1" "$WORK/body"; }
body_match() { grep -qE -- "$1" "$WORK/body"; }
hdr_has() { tr -d '\r' <"$WORK/hdr" | grep -qiF -- "$1"; }
hdr_match() { tr -d '\r' <"$WORK/hdr" | grep -qiE -- "$1"; }
not() { ! "$@"; }

check() {
    local name=$1
    shift
    if "$@"; then
        PASSES=$((PASSES + 1))
    else
        FAILS=$((FAILS + 1))
        echo "FAIL: $name"
        echo "  status=${STATUS:-} body=$(head -c 300 "$WORK/body" 2>/dev/null)"
    fi
}

deny() { # NAME STATUS CODE [retry]
    check "$1: status $2" status_is "$2"
    check "$1: code $3" body_has "\"code\":\"$3\""
    check "$1: param null" body_has '"param":null'
    if [ "${4:-}" = retry ]; then
        check "$1: retry-after" hdr_match '^retry-after: [0-9]+$'
    else
        check "$1: no retry-after" not hdr_match '^retry-after:'
    fi
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" = 0 ]
    exit $?
}
