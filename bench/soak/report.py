#!/usr/bin/env python3
"""bench/soak/report.py - the report of one soak (bench/soak/run.sh).

    python3 bench/soak/report.py DIR [--rate R] [--slope-max KB] [--fd-slack N]

Reads DIR/samples.csv (one row per sample: t_s, load1, then rss_kb, fds,
threads, cpu_s of serve and of run), DIR/run/summary.json and
DIR/serve/summary.json, and prints per process:

- resident memory at the first and last sample (with --seconds: the last
  one within run's sending window) and its maximum: VmRSS,
  and its two parts RssAnon (heap, stacks: what a leak grows) and RssFile
  (pages of the binary and shared libraries, which the kernel may drop and
  read back at any time, so VmRSS can fall when nothing was freed);
- the least-squares slope of each over the second half of the run
  (samples at or after half the last sample's time: the first half is
  warm-up, in which connections open, caches and allocator arenas fill),
  in KB per minute, and that slope per attempt (bytes/request);
- open fds: the first half's maximum, the second half's min and max, the
  last sample;
- threads and CPU seconds;

then run's own results and a verdict.  Memory of a process is "flat" when
its RssAnon slope is below --slope-max KB/min; "bounded" when RssAnon rises
faster but VmData (the private memory mapped: heap arenas, mmapped blocks)
does not: the resident part grows inside memory allocated earlier, pages
of zeroed buffers such as dense histograms touched for the first time,
and cannot pass VmData; "GROWING" when both rise (memory keeps being
allocated).  fds are flat when the second half's highest count is at most
the first half's highest plus --fd-slack (a leak of descriptors keeps
raising the maximum; connections opening and closing move within it).
The verdict passes when no process is GROWING in memory or fds.  Exit status 0 pass, 1 fail, 2 unreadable input.
"""
import argparse
import csv
import json
import os
import sys


def slope_per_min(ts, ys):
    """Least-squares slope of ys over ts (seconds), per minute."""
    n = len(ts)
    if n < 2:
        return float("nan")
    mt = sum(ts) / n
    my = sum(ys) / n
    sxx = sum((t - mt) ** 2 for t in ts)
    sxy = sum((t - mt) * (y - my) for t, y in zip(ts, ys))
    return 60.0 * sxy / sxx if sxx > 0 else float("nan")


def varint_len(v):
    n = 1
    while v >= 0x80:
        v >>= 7
        n += 1
    return n


def series_growth(tgh):
    """KB per minute that a recorder's time series adds by design, from a
    histograms.tgh: each finished interval keeps its latency buckets packed
    (a varint index delta and a varint count per non-zero bucket, one
    allocation per interval), so memory grows by that much per interval
    until the scenario's duration is covered.  Returns (KB/min, mean
    non-zero buckets per interval, interval seconds) or None."""
    try:
        with open(tgh) as f:
            iv_ns, sizes, buckets = None, [], []
            for line in f:
                w = line.split()
                if w and w[0] == "interval_ns":
                    iv_ns = int(w[1])
                elif w and w[0] == "iv" and "|" in w:
                    b = w[w.index("|") + 1:]
                    n = int(b[0])
                    size = 0
                    for pair in b[1:1 + n]:
                        d, c = pair.split(":")
                        size += varint_len(int(d)) + varint_len(int(c))
                    sizes.append(size + 16)  # + malloc chunk header, rounding
                    buckets.append(n)
    except OSError:
        return None
    if not iv_ns or len(sizes) < 3:
        return None
    # the first and the last interval are partial
    sizes, buckets = sizes[1:-1], buckets[1:-1]
    per_iv = sum(sizes) / len(sizes)
    return (per_iv / 1024 * 60e9 / iv_ns, sum(buckets) / len(buckets), iv_ns / 1e9)


def load_samples(path):
    with open(path, newline="") as f:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
    if len(rows) < 4:
        raise ValueError(f"{path}: {len(rows)} samples, need at least 4")
    return rows


def process_stats(rows, who, half):
    first = [r for r in rows if r["t_s"] < half]
    second = [r for r in rows if r["t_s"] >= half]
    t2 = [r["t_s"] for r in second]
    out = {}
    for m in ("rss", "anon", "file", "data"):
        if f"{who}_{m}_kb" not in rows[0]:
            continue
        v = [r[f"{who}_{m}_kb"] for r in rows]
        out[m] = {"start": v[0], "end": v[-1], "max": max(v),
                  "slope": slope_per_min(t2, [r[f"{who}_{m}_kb"] for r in second])}
    fds2 = [int(r[who + "_fds"]) for r in second]
    out.update({
        "fds_first_max": max(int(r[who + "_fds"]) for r in first),
        "fds_min": min(fds2),
        "fds_max": max(fds2),
        "fds_end": int(rows[-1][who + "_fds"]),
        "threads": int(rows[-1][who + "_threads"]),
        "cpu_s": rows[-1][who + "_cpu_s"] - rows[0][who + "_cpu_s"],
    })
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--rate", default="?", help="offered rate, for the header")
    ap.add_argument("--slope-max", type=float, default=64.0)
    ap.add_argument("--fd-slack", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=0,
                    help="run's sending window: later samples (run draining "
                    "and writing its results) are left out of the slopes")
    a = ap.parse_args()
    try:
        rows = load_samples(os.path.join(a.dir, "samples.csv"))
        with open(os.path.join(a.dir, "run", "summary.json")) as f:
            run = json.load(f)
        serve = None
        sp = os.path.join(a.dir, "serve", "summary.json")
        if os.path.exists(sp):
            with open(sp) as f:
                serve = json.load(f)
    except (OSError, ValueError, KeyError) as e:
        print(f"report: {e}", file=sys.stderr)
        return 2

    if a.seconds > 0:
        sending = [r for r in rows if r["t_s"] <= a.seconds]
        if len(sending) >= 4:
            rows = sending
    t_end = rows[-1]["t_s"]
    half = t_end / 2
    loads = [r["load1"] for r in rows]
    meta = os.path.join(a.dir, "meta.txt")
    if os.path.exists(meta):
        with open(meta) as f:
            sys.stdout.write(f.read())
    print(f"# {len(rows)} samples over {t_end:.0f} s; second half from "
          f"{half:.0f} s ({sum(r['t_s'] >= half for r in rows)} samples); "
          f"load average (1 min) {loads[0]:.2f} at start, "
          f"{sum(loads) / len(loads):.2f} mean, {max(loads):.2f} max")

    req = run["requests"]
    per_min = req["attempts"] / run["duration_s"] * 60 if run["duration_s"] else 0
    stats = {w: process_stats(rows, w, half) for w in ("serve", "run")}
    print("memory KB  start    end    max  slope/min (2nd half)  bytes/request")
    for w, s in stats.items():
        for m, label in (("rss", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"),
                         ("data", "VmData")):
            if m not in s:
                continue
            v = s[m]
            bpr = v["slope"] * 1024 / per_min if per_min else float("nan")
            print(f"{w + ' ' + label:<15} {v['start']:>7.0f} {v['end']:>7.0f} "
                  f"{v['max']:>7.0f} {v['slope']:>+11.1f} KB {bpr:>+12.3f}")
    print("fds        1st-half-max  2nd-half min..max  end   threads  cpu_s  cpu_us/request")
    for w, s in stats.items():
        us = s["cpu_s"] * 1e6 / req["attempts"] if req["attempts"] else float("nan")
        print(f"{w:<10} {s['fds_first_max']:>12d} {s['fds_min']:>11d}..{s['fds_max']:<4d}"
              f" {s['fds_end']:>4d} {s['threads']:>9d} {s['cpu_s']:>6.1f} {us:>15.1f}")

    gen = run.get("generator", {})
    lat = run["latency_ms"]["all"]
    lag = run.get("schedule_lag_ms", {})
    reasons = sorted(((n, r) for r, n in run["denied_by_reason"].items() if n),
                     reverse=True)
    print(f"run: {req['attempts']} attempts ({req['unique']} unique, retry "
          f"amplification {run['retry_amplification']:.3f}) over "
          f"{run['duration_s']:.0f} s = {req['attempts'] / run['duration_s']:.1f}"
          f"/s (offered {a.rate}/s + retries), ok {req['ok']}, denied "
          f"{req['denied']} ({100 * run['denial_rate']:.2f}%), transport errors "
          f"{run.get('transport_errors', 0)}")
    print("  denied by reason: " + ", ".join(
        f"{r} {100 * n / req['attempts']:.2f}%" for n, r in reasons))
    print(f"  latency ms (from intended send): p50 {lat['p50']}  p90 {lat['p90']}  "
          f"p99 {lat['p99']}  p999 {lat['p999']}  max {lat['max']}")
    if lag:
        print(f"  schedule lag ms: p50 {lag['p50']}  p99 {lag['p99']}  max {lag['max']}")
    print(f"  kept_up {str(gen.get('kept_up')).lower()}  complete "
          f"{str(run.get('complete')).lower()}  connections peak "
          f"{gen.get('connections_peak')} of {gen.get('connections')}  dropped "
          f"{gen.get('dropped_requests')}")
    if serve:
        sreq = serve["requests"]
        print(f"serve: {sreq['attempts']} decisions recorded (run + 1 probe), "
              f"ok {sreq['ok']}, denied {100 * serve['denial_rate']:.2f}%")

    for w in ("serve", "run"):
        g = series_growth(os.path.join(a.dir, w, "histograms.tgh"))
        if g:
            note = ("exact: one recorder" if w == "serve" else
                    f"at least: each of run's {gen.get('threads', '?')} worker "
                    "threads keeps its own series, merged at the end")
            print(f"time series of {w}: {g[1]:.0f} non-zero latency buckets per "
                  f"{g[2]:g} s interval, kept packed: {g[0]:+.1f} KB/min by "
                  f"design ({note})")

    parts = []
    ok = True
    for w, s in stats.items():
        anon = s["anon"]["slope"]
        data = s["data"]["slope"] if "data" in s else float("inf")
        if anon < a.slope_max:
            mem = "flat"
        elif data < a.slope_max:
            mem = "bounded"  # resident grows inside memory mapped earlier
        else:
            mem = "GROWING"
        fd_ok = s["fds_max"] <= s["fds_first_max"] + a.fd_slack
        ok = ok and mem != "GROWING" and fd_ok
        parts.append(f"{w} memory {mem} (RssAnon {anon:+.1f}, VmData {data:+.1f} "
                     f"KB/min; limit {a.slope_max:g}), fds {s['fds_min']}..{s['fds_max']} "
                     f"({'flat' if fd_ok else 'GROWING'}: first half max "
                     f"{s['fds_first_max']} + {a.fd_slack})")
    print(("verdict: PASS  " if ok else "verdict: FAIL  ") + "; ".join(parts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
