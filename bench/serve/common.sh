# bench/serve/common.sh - sourced by run.sh and callgrind.sh: the request
# both benchmarks send, and the steps they share around a started serve.
# Expects WORK (a scratch directory) to be set by the caller.

# serve's key route wants an admin token: every serve the benchmarks
# start inherits this one (fetch_keys sends it).
export TOLLGATE_ADMIN_TOKEN=${TOLLGATE_ADMIN_TOKEN:-bench-$$-$RANDOM$RANDOM}

# The chat request every benchmark round sends (wrk, and curl probes).
BODY='{"model":"mini","max_tokens":16,"messages":[{"role":"user","content":"Say hello to the benchmark, please."}]}'

# serve_port LOG TRIES DELAY: prints the port serve announced in LOG,
# polling TRIES times DELAY seconds apart; fails with the log when none.
serve_port() {
    local port=
    for _ in $(seq "$2"); do
        port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$1" 2>/dev/null || true)
        [ -n "$port" ] && break
        sleep "$3"
    done
    [ -n "$port" ] || { cat "$1" >&2; return 1; }
    echo "$port"
}

# fetch_keys PORT: the API keys of accounts 0..999 from serve's admin
# endpoint into $WORK/keys.txt, one per line.
fetch_keys() {
    local urls=() i
    for i in $(seq 0 999); do
        urls+=("http://127.0.0.1:$1/tollgate/key?account=$i")
    done
    curl -s -H "Authorization: Bearer $TOLLGATE_ADMIN_TOKEN" "${urls[@]}" | sed 's/}/}\n/g' |
        sed -n 's/.*"key":"\([^"]*\)".*/\1/p' >"$WORK/keys.txt"
    [ "$(wc -l <"$WORK/keys.txt")" = 1000 ] || { echo "keys?" >&2; return 1; }
}

# write_wrk_script [SUFFIX]: $WORK/bench.lua, which sends BODY with the
# keys of $WORK/keys.txt round robin (SUFFIX appended to each key: "x"
# makes every one invalid).
write_wrk_script() {
    cat >"$WORK/bench.lua" <<LUA
local keys = {}
for line in io.lines("$WORK/keys.txt") do keys[#keys + 1] = line end
local body = '$BODY'
local reqs = {}
for i, k in ipairs(keys) do
  reqs[i] = wrk.format("POST", "/v1/chat/completions",
    { ["Host"] = "127.0.0.1",
      ["Authorization"] = "Bearer " .. k .. "${1:-}",
      ["Content-Type"] = "application/json",
      ["X-Client-Region"] = "US" }, body)
end
local n = 0
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
LUA
}
