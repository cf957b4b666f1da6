#!/usr/bin/env python3
"""tgh_sum.py MERGED SHARD... - is MERGED/histograms.tgh the exact sum of
the shards' histograms.tgh?

An independent reader of the format in docs/results-format.md (versions
1 and 2), so that `tollgate merge` is checked by code that shares nothing
with it: every `hist` line is decoded bucket by bucket (first index, then
increases), every `popcounts`, `poplost`, `iv` and `ivreq` field is read,
and the merged file must hold exactly the per-key sums of the shards'
values.  Gauges are
summed too.  Prints one line per kind of record and exits 1 on the first
difference, naming the record and the bucket.
"""
import sys
from collections import Counter


def parse(path):
    """Returns {record key: Counter of field -> count} for one file."""
    recs = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "hist":
                # hist NAME [ID] N D:C...: N is the field before the pairs
                at = len(w) - 1 - sum(1 for x in w if ":" in x)
                recs[tuple(w[:at])] = decode(w[at:])
            elif w[0] == "popcounts":
                recs[("popcounts", w[1])] = Counter(
                    {i: int(v) for i, v in enumerate(w[2:])})
            elif w[0] == "ivreq":
                bar = w.index("|")
                c = Counter({i: int(v) for i, v in enumerate(w[2:bar])})
                c.update({("b", k): v for k, v in decode(w[bar + 1:]).items()})
                recs[("ivreq", w[1])] = c
            elif w[0] == "poplost":
                recs[("poplost", w[1])] = Counter(
                    {w[i]: int(w[i + 1]) for i in range(2, len(w) - 1, 2)})
            elif w[0] == "iv":
                bar = w.index("|")
                # OFFERED TRANSPORT_ERRORS MASK G1..G5 COUNTS...: the mask
                # of gauges set merges by OR, everything else by sum
                c = Counter({i: float(v) if "." in v or "e" in v else int(v)
                             for i, v in enumerate(w[2:bar]) if i != 2})
                c.update({("mask bit", k): 1 for k in range(8)
                          if int(w[4]) >> k & 1})
                c.update({("b", k): v for k, v in decode(w[bar + 1:]).items()})
                recs[("iv", w[1])] = c
    return recs


def decode(fields):
    n = int(fields[0])
    out, idx = Counter(), 0
    for k, p in enumerate(fields[1:1 + n]):
        d, c = (int(x) for x in p.split(":"))
        idx = d if k == 0 else idx + d
        out[idx] += c
    return out


def main():
    merged = parse(sys.argv[1] + "/histograms.tgh")
    want = {}
    for d in sys.argv[2:]:
        for k, c in parse(d + "/histograms.tgh").items():
            want.setdefault(k, Counter()).update(c)
    kinds = Counter()
    for k in sorted(set(merged) | set(want), key=str):
        a, b = merged.get(k, Counter()), want.get(k, Counter())
        b = {x: min(v, 1) if x[0] == "mask bit" else v
             for x, v in b.items() if isinstance(x, tuple)} | {
            x: v for x, v in b.items() if not isinstance(x, tuple)}
        a = {x: v for x, v in a.items() if v}
        b = {x: v for x, v in b.items() if v}
        if a != b:
            diff = sorted(x for x in set(a) | set(b) if a.get(x) != b.get(x))
            x = diff[0]
            print(f"tgh_sum: {' '.join(map(str, k))}: field/bucket {x}: "
                  f"merged {a.get(x, 0)}, shards sum {b.get(x, 0)}")
            return 1
        kinds[k[0]] += 1
    total = sum(merged.get(("hist", "all"), Counter()).values())
    print(f"tgh_sum: merged equals the sum of {len(sys.argv) - 2} shards: "
          + ", ".join(f"{n} {k} records" for k, n in sorted(kinds.items()))
          + f", {total} attempts in 'hist all'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
