#!/usr/bin/env bash
# run and sim refuse bad inputs and outputs at once, and never echo
# secrets:
#  - a keys file that is a device (/dev/zero) or has an over-long line:
#    exit 2 within a second, the message names the file and the limit;
#  - an -o DIR that cannot be written (/proc/nonexistent/x, a path under
#    a regular file): exit 3 before anything runs, the message names the
#    path; a run that fails later leaves no directory behind;
#  - credentials in the target URL (user:password@, api_key=) are masked
#    on stderr, in generator.json and in the results' scenario.yaml
#    (header values: tests/unit/test_loadgen.c).
# Bounded: a few 1 s runs against faultsrv on 127.0.0.1.
source "$(dirname "$0")/run_common.sh"

scenario() { # name [live lines...] -> $WORK/NAME.yaml
  local name=$1
  shift
  {
    echo "name: hard-$name"
    echo "duration: 1s"
    echo "accounts:"
    echo "  - name: c"
    echo "    count: 2"
    echo "    traffic: { arrival: uniform, phases: [ { for: 1s, rate: 10/s } ] }"
    echo "live:"
    echo "  connections: 4"
    echo "  threads: 1"
    for l in "$@"; do echo "  $l"; done
  } >"$WORK/$name.yaml"
}

# expect_fail WANT_RC NAME CMD...: CMD must exit WANT_RC within 5 s.
expect_fail() {
  local want=$1 name=$2 rc t0 t1
  shift 2
  t0=$(date +%s%N)
  set +e
  timeout 20 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  set -e
  t1=$(date +%s%N)
  [ "$rc" = "$want" ] || { cat "$WORK/$name.err"; fail "$name: exit $rc, want $want"; }
  [ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "$name: took $(((t1 - t0) / 1000000)) ms"
  echo "$name: exit $rc in $(((t1 - t0) / 1000000)) ms: $(head -1 "$WORK/$name.err")"
}

start_faultsrv ok
T=http://127.0.0.1:$FAULT_PORT

# ---- keys files ----------------------------------------------------------
scenario zero "keys: { file: /dev/zero }"
expect_fail 2 keys-zero "$TG" run "$WORK/zero.yaml" --target "$T" -q -o "$WORK/o1"
grep -q "keys file /dev/zero: not a regular file or a pipe" "$WORK/keys-zero.err" ||
  fail "keys-zero: message"
python3 -c "print('k0'); print('#' + 'x' * 5000); print('k1')" >"$WORK/long.keys"
scenario long "keys: { file: $WORK/long.keys }"
expect_fail 2 keys-long "$TG" run "$WORK/long.yaml" --target "$T" -q -o "$WORK/o2"
grep -q "keys file $WORK/long.keys: line 2: longer than 4096 bytes (KEYS_MAX_LINE)" \
  "$WORK/keys-long.err" || fail "keys-long: message"

# ---- -o DIR ----------------------------------------------------------------
scenario plain
for d in /proc/nonexistent/x /proc/version/x; do
  expect_fail 3 "sim-o-${d//\//_}" "$TG" sim "$WORK/plain.yaml" -q -o "$d"
  grep -q "tollgate sim: cannot write results to $d: " "$WORK/sim-o-${d//\//_}.err" ||
    fail "sim -o $d: message"
  expect_fail 3 "run-o-${d//\//_}" "$TG" run "$WORK/plain.yaml" --target "$T" -q -o "$d"
  grep -q "tollgate run: cannot write results to $d: " "$WORK/run-o-${d//\//_}.err" ||
    fail "run -o $d: message"
  # serve refuses before it listens (else it would find out at exit)
  expect_fail 3 "serve-o-${d//\//_}" "$TG" serve "$WORK/plain.yaml" \
    --listen 127.0.0.1:0 --stop-after 5s -q -o "$d"
  grep -q "tollgate serve: cannot write results to $d: " \
    "$WORK/serve-o-${d//\//_}.err" || fail "serve -o $d: message"
done
touch "$WORK/afile"
expect_fail 3 run-o-file "$TG" run "$WORK/plain.yaml" --target "$T" -q -o "$WORK/afile/x"
grep -q "$WORK/afile: cannot create the directory: Not a directory" "$WORK/run-o-file.err" ||
  fail "run -o under a file: message"
# The check leaves nothing behind when the run fails later (unreachable).
expect_fail 3 run-o-later "$TG" run "$WORK/plain.yaml" --target "http://127.0.0.1:$(free_port)" \
  -q -o "$WORK/new/deep/dir"
grep -q unreachable "$WORK/run-o-later.err" || fail "run-o-later: not the target's error"
[ ! -e "$WORK/new" ] || fail "the -o check left $WORK/new behind"

# ---- credentials -------------------------------------------------------------
TC="http://alice:s3cretpw@127.0.0.1:$FAULT_PORT"
"$TG" run "$WORK/plain.yaml" --target "$TC" -q -o "$WORK/cred" \
  >"$WORK/cred.out" 2>"$WORK/cred.err" || { cat "$WORK/cred.err"; fail "cred: run failed"; }
[ "$(js "$WORK/cred/generator.json" 'd["target"]')" = "http://alice:***@127.0.0.1:$FAULT_PORT" ] ||
  fail "cred: generator.json target not masked"
scenario credlive "target: '$TC'"
"$TG" run "$WORK/credlive.yaml" -q -o "$WORK/credlive" \
  >"$WORK/credlive.out" 2>"$WORK/credlive.err" || fail "credlive: run failed"
grep -q "target: \"http://alice:\*\*\*@127.0.0.1:$FAULT_PORT\"" "$WORK/credlive/scenario.yaml" ||
  fail "credlive: scenario.yaml target not masked"
P=$(free_port)
expect_fail 3 cred-down "$TG" run "$WORK/plain.yaml" -q -o "$WORK/o3" \
  --target "http://bob:hunter2@127.0.0.1:$P/?api_key=sk-live-zzz&token=tkn9"
grep -q "target http://bob:\*\*\*@127.0.0.1:$P/?api_key=\*\*\*&token=\*\*\* unreachable" \
  "$WORK/cred-down.err" || fail "cred-down: message"
for s in s3cretpw hunter2 sk-live-zzz tkn9; do
  ! grep -rq -- "$s" "$WORK"/*.err "$WORK"/*.out "$WORK/cred" "$WORK/credlive" ||
    fail "secret '$s' was printed or written"
done
echo "PASS test_run_hardening"
