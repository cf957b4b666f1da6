#!/usr/bin/env bash
# docs/reasons.md and `tollgate reasons --json` must not drift: the same ids
# in the same order, with the same HTTP status, OpenAI error code, Anthropic
# status and type, and retryable flag.  Label: lint.
# Usage: test_reasons_doc.sh TOLLGATE REPO_ROOT
set -euo pipefail
tg=$1
root=$2
"$tg" reasons --json | python3 -c '
import json, re, sys
doc = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows = [l for l in doc if l.startswith("| `")]
want = json.load(sys.stdin)
bad = 0
if len(rows) != len(want):
    print("FAIL: %d rows in the doc, %d reasons in the binary" % (len(rows), len(want)))
    sys.exit(1)
for line, r in zip(rows, want):
    cells = [c.strip() for c in line.strip("|").split("|")]
    st = str(r["http_status"]) if r["http_status"] else "-"
    code = "`%s`" % r["code"] if r["code"] else "-"
    an = "%d `%s`" % (r["anthropic_status"], r["anthropic_type"]) if r["anthropic_status"] else "-"
    exp = ["`%s`" % r["id"], st, code, an, "yes" if r["retryable"] else "no"]
    got = [cells[0], cells[2], cells[3], cells[4], cells[5]]
    if got != exp:
        print("FAIL: docs/reasons.md row %s: %s, binary says %s" % (cells[0], got, exp))
        bad += 1
if bad:
    sys.exit(1)
print("PASS test_reasons_doc: %d reasons agree" % len(want))
' "$root/docs/reasons.md"
