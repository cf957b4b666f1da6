#!/usr/bin/env python3
"""gen_trace.py - a synthetic request trace for `traffic: { trace: }`.

    scripts/gen_trace.py LINES OUT.csv [--seconds S] [--accounts N] [--seed K]
                         [--jsonl] [--start ISO]

Writes LINES requests over S seconds (default 3600) as CSV
(timestamp,account_id,model,prompt_tokens,completion_tokens) or, with
--jsonl, JSON lines with the same members.  Times are ISO 8601 UTC with
milliseconds from --start (default 2026-05-01T09:00:00Z), in order: a
Poisson process whose rate doubles for the middle tenth of the window (a
burst).  Callers are "acct-<i>" for i < N (default 50) with Zipf-like
weights 1/(i+1), so a few callers send most requests; models "chat"
(80%) and "large"; tokens lognormal around 300 prompt / 100 completion.
Deterministic for a seed.  Streams its output: any LINES fits in memory.
"""
import argparse
import datetime
import math
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines", type=int)
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=3600.0)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jsonl", action="store_true")
    ap.add_argument("--start", default="2026-05-01T09:00:00Z")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    start = datetime.datetime.strptime(a.start, "%Y-%m-%dT%H:%M:%SZ")
    weights = [1.0 / (i + 1) for i in range(a.accounts)]
    cum, s = [], 0.0
    for w in weights:
        s += w
        cum.append(s)
    # rate: base over the window, x2 in the burst [0.45, 0.55)
    base = a.lines / (a.seconds * 1.1)
    out = sys.stdout if a.out == "-" else open(a.out, "w", buffering=1 << 20)
    if not a.jsonl:
        out.write("timestamp,account_id,model,prompt_tokens,completion_tokens\n")
    t = 0.0
    for _ in range(a.lines):
        burst = 0.45 * a.seconds <= t < 0.55 * a.seconds
        t += rnd.expovariate(base * (2 if burst else 1))
        t = min(t, a.seconds)
        ts = start + datetime.timedelta(milliseconds=int(t * 1000))
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000)
        u = rnd.random() * s
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < u:
                lo = mid + 1
            else:
                hi = mid
        acct = "acct-%d" % lo
        model = "chat" if rnd.random() < 0.8 else "large"
        pt = int(round(300 * math.exp(0.8 * rnd.gauss(0, 1))))
        ct = int(round(100 * math.exp(0.6 * rnd.gauss(0, 1))))
        if a.jsonl:
            out.write('{"timestamp": "%s", "account_id": "%s", "model": "%s", '
                      '"prompt_tokens": %d, "completion_tokens": %d}\n'
                      % (stamp, acct, model, pt, ct))
        else:
            out.write("%s,%s,%s,%d,%d\n" % (stamp, acct, model, pt, ct))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
