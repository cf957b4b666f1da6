#!/usr/bin/env bash
# Long validation runs of `tollgate sim` against exact results
# (docs/validation.md), with tolerances far tighter than the unit
# tests can afford in one second.  Every expected value is computed here
# from its formula (awk), never pasted.  Label: slow.
#
#   Erlang B      M/M/10/10 at 8 Erlang: blocking E_B(10, 8)
#   M/M/1         rho = 0.8: mean response T = 1 / (mu - lambda) = 5 s
#   Erlang C      M/M/10 at 8 Erlang: T = C / (c mu - lambda) + 1 / mu
#   M/M/c/K       c = 2, K = 6, lambda = 3: blocking p_K
#   token bucket  Poisson lambda through a bucket of B tokens refilled at r:
#                 P_loss = (1 + (rho-1) G(tau)) / (1 + rho G(tau))
#   limit_req     nginx rate=100r/s burst=20 at a steady 1000/s for 10 s:
#                 accepted = burst + 1 + r t (89.8% rejected)
#
# Usage: test_sim_queues.sh TOLLGATE REPO_ROOT
set -euo pipefail
tg=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
pass=0

num() { # FILE KEY: first integer value of "KEY": in a summary.json
    grep -o "\"$2\": *[0-9.e+-]*" "$1" | head -1 | sed 's/.*: *//'
}
ok_mean_ms() { # FILE: latency_ms.ok.mean
    awk '/"latency_ms"/ {l = 1} l && /"ok": \{/ {o = 1}
         o && /"mean"/ {gsub(/[^0-9.e+-]/, "", $2); print $2; exit}' "$1"
}
check() { # NAME MEASURED WANT TOL
    if awk -v m="$2" -v w="$3" -v t="$4" 'BEGIN {exit !(m - w <= t && w - m <= t)}'; then
        printf 'PASS  %-44s measured %.6g  theory %.6g  (+-%g)\n' "$1" "$2" "$3" "$4"
        pass=$((pass + 1))
    else
        printf 'FAIL  %-44s measured %.6g  theory %.6g  (+-%g)\n' "$1" "$2" "$3" "$4"
        fail=$((fail + 1))
    fi
}
scenario() { # NAME SERVERS QUEUE RATE SERVICE DURATION [LIMITS [ARRIVAL [WARMUP]]]
    cat >"$tmp/$1.yaml" <<YAML
name: $1
seed: 7
duration: $6
warmup: ${9:-10m}
policy:
  tiers:
    t:
      limits: ${7:-[]}
  models:
    m: { input: 0/1M, output: 0/1M, service: { first_token: "$5", per_token: 0ms } }
$( [[ $2 != none ]] && echo "  capacity: { servers: $2, queue: $3, queue_timeout: 0s }" )
accounts:
  - name: p
    count: 1
    tier: t
    traffic:
      arrival: ${8:-poisson}
      phases:
        - { for: $6, rate: $4 }
    client:
      timeout: 7d
YAML
    "$tg" sim "$tmp/$1.yaml" -q -o "$tmp/$1"
}
frac() { # DIR REASON: denied(reason) / attempts
    awk -v a="$(num "$1/summary.json" attempts)" \
        -v d="$(num "$1/summary.json" "$2")" 'BEGIN {print d / a}'
}

# Erlang B: B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1}).
erlang_b='function eb(c, a,   b, k) { b = 1; for (k = 1; k <= c; k++) b = a * b / (k + a * b); return b }'

scenario erlang-b 10 0 8/s "exp(1s)" 5d
check "Erlang B E_B(10, 8) blocking" "$(frac "$tmp/erlang-b" overloaded)" \
    "$(awk "$erlang_b"' BEGIN {printf "%.8f", eb(10, 8)}')" 0.002

scenario mm1 1 1000000 0.8/s "exp(1s)" 30d
check "M/M/1 rho=0.8 mean response (s)" \
    "$(awk -v m="$(ok_mean_ms "$tmp/mm1/summary.json")" 'BEGIN {print m / 1000}')" \
    "$(awk 'BEGIN {print 1 / (1 - 0.8)}')" 0.15

scenario erlang-c 10 1000000 8/s "exp(1s)" 10d
check "Erlang C M/M/10 at 8 Erlang mean response (s)" \
    "$(awk -v m="$(ok_mean_ms "$tmp/erlang-c/summary.json")" 'BEGIN {print m / 1000}')" \
    "$(awk "$erlang_b"' BEGIN {c = 10; a = 8; b = eb(c, a); C = c * b / (c - a * (1 - b));
                              printf "%.8f", C / (c - a) + 1}')" 0.01

scenario mmck 2 4 3/s "exp(1s)" 10d
check "M/M/2/6 lambda=3 blocking p_K" "$(frac "$tmp/mmck" overloaded)" \
    "$(awk 'BEGIN {t = 1; s = 1; for (n = 1; n <= 6; n++) {t *= 3 / (n < 2 ? n : 2); s += t}
                   printf "%.8f", t / s}')" 0.002

# Token bucket loss under Poisson arrivals (docs/validation.md), r = 1/s.
tb_loss='function tbl(lam, r, B,   rho, D, tau, G, k, x) {
    rho = lam / r; D = 1 / r; tau = (B - 1) / r; G = 0
    for (k = 0; k <= int(tau / D); k++) { x = lam * (tau - k * D)
        G += (k % 2 ? -1 : 1) * x ^ k / fact(k) * exp(x) }
    return (1 + (rho - 1) * G) / (1 + rho * G) }
  function fact(n,   f) { f = 1; while (n > 1) f *= n--; return f }'
for row in "1.5 10" "0.8 5"; do
    set -- $row
    name=tb-$1-$2
    scenario "$name" none 0 "$1/s" 0ms 10d \
        "[ { name: rps, requests: 1, per: 1s, burst: $2 } ]"
    check "token bucket lambda=$1 r=1 B=$2 loss" "$(frac "$tmp/$name" rate_limit)" \
        "$(awk "$tb_loss"' BEGIN {printf "%.8f", tbl('"$1"', 1, '"$2"')}')" 0.002
done

# nginx limit_req rate=100r/s burst=20 at a steady 1000/s for 10 s: the
# first burst + 1 pass, then r per second: accepted = b + 1 + r t.
scenario nginx none 0 1000/s 0ms 10s \
    "[ { name: zone, requests: 100, per: 1s, algorithm: leaky_bucket, burst: 20 } ]" \
    uniform 0s
check "limit_req 100r/s b20 at 1000/s, 10 s, rejected" \
    "$(frac "$tmp/nginx" rate_limit)" \
    "$(awk 'BEGIN {print 1 - (20 + 1 + 100 * 10) / (1000 * 10)}')" 0.0002

echo "$pass passed, $fail failed"
((fail == 0))
