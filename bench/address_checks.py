#!/usr/bin/env python3
"""The address-level check set (issue 19): combined rates published by state tax departments
for named places, with their sources, run through `levy calc`.

Each row of tests/fixtures/address-checks.csv is (state, city, zip, date, expected combined
rate in percent, the jurisdiction the source names, source, source URL, source date, note).
The expected rate comes from the state's own publication (a DOR rate table or rate-change
notice), never from levy's ZIP table. For every row this script asks `levy calc` for a
10,000.00 USD taxable line shipped to (city, state, zip) on that date and compares the
combined rate levy charged with the published one.

Prints the pass rate, per state, and every miss (levy's rate, the expected one, the ZIP
table's name for the ZIP, the note: e.g. the special district that covers only part of the
ZIP; rates_stale when the answer said its table is older than the date). Exit status: 1
when the set is malformed or levy failed to answer a row (crash, no JSON, no rate and no
error code); a miss is a finding, not a failure (the figure moves with each
data update: bench/README.md records it).

Usage: address_checks.py LEVY SOURCE_DIR [CSV] [--data-dir DIR] [--json OUT] [--check-only]
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from decimal import Decimal

COLUMNS = ["state", "city", "zip", "date", "expected_rate_pct", "jurisdiction", "source",
           "source_url", "source_date", "note"]
AMOUNT = Decimal("10000.00")


def load(path):
    """The rows, or a list of problems (file:line: what)."""
    problems, rows = [], []
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd, None)
        if header != COLUMNS:
            return [], ["%s:1: header must be %s" % (path, ",".join(COLUMNS))]
        seen = set()
        for n, rec in enumerate(rd, start=2):
            if not rec or rec[0].startswith("#"):
                continue
            if len(rec) != len(COLUMNS):
                problems.append("%s:%d: %d columns, want %d" % (path, n, len(rec), len(COLUMNS)))
                continue
            r = dict(zip(COLUMNS, rec))
            r["line"] = n
            bad = []
            if not re.fullmatch(r"[A-Z]{2}", r["state"]):
                bad.append("state")
            if not r["city"].strip():
                bad.append("city")
            if not re.fullmatch(r"\d{5}(-\d{4})?", r["zip"]):
                bad.append("zip")
            if not re.fullmatch(r"20\d\d-[01]\d-[0-3]\d", r["date"]):
                bad.append("date")
            if not re.fullmatch(r"\d{1,2}(\.\d{1,4})?", r["expected_rate_pct"]) or \
                    not Decimal("0") < Decimal(r["expected_rate_pct"]) < Decimal("20"):
                bad.append("expected_rate_pct")
            if not r["source"].strip() or not r["jurisdiction"].strip():
                bad.append("source/jurisdiction")
            if not re.fullmatch(r"https?://\S+", r["source_url"]):
                bad.append("source_url")
            if not re.fullmatch(r"20\d\d-[01]\d-[0-3]\d", r["source_date"]):
                bad.append("source_date")
            key = (r["state"], r["city"].upper(), r["zip"], r["date"], r["jurisdiction"].upper())
            if key in seen:
                bad.append("duplicate row")
            seen.add(key)
            if bad:
                problems.append("%s:%d: bad %s" % (path, n, ", ".join(bad)))
            else:
                rows.append(r)
    return rows, problems


def ask_all(levy, src, data_dir, rows, tmp):
    """levy's answers to every row, in order, from one `levy calc --lines` (one load of the rules
    and rate tables for the whole set)."""
    bodies = []
    for r in rows:
        bodies.append({"currency": "USD", "date": r["date"],
                       "ship_to": {"line1": "1 Main St", "city": r["city"], "state": r["state"],
                                   "zip_code": r["zip"], "country": "US"},
                       "lines": [{"id": "1", "amount": str(AMOUNT), "tax_code": "general"}]})
    p = os.path.join(tmp, "requests.jsonl")
    with open(p, "w") as f:
        for b in bodies:
            f.write(json.dumps(b) + "\n")
    cmd = [levy, "calc", "--lines", "--all-regions", "--data-dir", data_dir, "--plugins",
           os.path.join(src, "plugins"), "--scripts", os.path.join(src, "scripts"), p]
    pr = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = pr.stdout.splitlines()
    out = []
    for n in range(len(rows)):
        try:
            out.append(json.loads(lines[n]))
        except (ValueError, IndexError):
            out.append({"_failed": "exit %d: %s" % (pr.returncode, (pr.stdout[-200:] + pr.stderr)[-300:])})
    return out


def find_key(obj, key):
    """The first value of key anywhere in a JSON value (the answer's resolution fields)."""
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            x = find_key(v, key)
            if x is not None:
                return x
    elif isinstance(obj, list):
        for v in obj:
            x = find_key(v, key)
            if x is not None:
                return x
    return None


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = dict((argv[i], argv[i + 1]) for i in range(1, len(argv) - 1)
                if argv[i] in ("--data-dir", "--json"))
    args = [a for a in args if a not in opts.values()]
    if len(args) < 2:
        print(__doc__)
        return 2
    levy, src = os.path.abspath(args[0]), os.path.abspath(args[1])
    path = args[2] if len(args) > 2 else os.path.join(src, "tests/fixtures/address-checks.csv")
    rows, problems = load(path)
    for p in problems:
        print("MALFORMED " + p)
    states = Counter(r["state"] for r in rows)
    print("%d rows, %d states (%s), %d distinct sources" % (
        len(rows), len(states), " ".join("%s:%d" % kv for kv in sorted(states.items())),
        len(set(r["source_url"] for r in rows))))
    if problems or not rows:
        return 1
    if "--check-only" in argv:
        return 0
    tmp = tempfile.mkdtemp(prefix="levy-address-checks-")
    data_dir = opts.get("--data-dir") or os.path.join(tmp, "data")
    failed, results = 0, []
    per = defaultdict(lambda: [0, 0])
    for r, ans in zip(rows, ask_all(levy, src, data_dir, rows, tmp)):
        res = {"line": r["line"], "state": r["state"], "city": r["city"], "zip": r["zip"],
               "date": r["date"], "expected": r["expected_rate_pct"], "note": r["note"]}
        if "_failed" in ans:
            failed += 1
            res["outcome"] = "no answer: " + ans["_failed"]
        elif "error" in ans:
            code = ans["error"].get("code") if isinstance(ans["error"], dict) else None
            if not code:
                failed += 1
            res["outcome"] = "error %s" % code
            res["levy"] = None
        elif "total_tax" not in ans:
            failed += 1
            res["outcome"] = "no total_tax in the answer"
        else:
            rate = (Decimal(ans["total_tax"]) * 100 / AMOUNT).normalize()
            res["levy"] = format(rate, "f")
            res["rates_source"] = ans.get("rules", {}).get("rates_source")
            res["resolution"] = find_key(ans, "resolution")
            res["ambiguous_zip"] = find_key(ans, "ambiguous_zip") is not None
            res["rates_stale"] = ans.get("rates_stale") is not None
            ok = rate == Decimal(r["expected_rate_pct"])
            res["outcome"] = "pass" if ok else "miss"
        per[r["state"]][0] += res["outcome"] == "pass"
        per[r["state"]][1] += 1
        results.append(res)
    npass = sum(1 for x in results if x["outcome"] == "pass")
    print("pass rate: %d/%d = %.1f %%" % (npass, len(results), 100.0 * npass / len(results)))
    print("per state: " + " ".join("%s %d/%d" % (s, p, n) for s, (p, n) in sorted(per.items())))
    for x in results:
        if x["outcome"] != "pass":
            print("MISS line %d %s %s %s %s: levy %s%% (%s%s%s), published %s%%%s" % (
                x["line"], x["state"], x["city"], x["zip"], x["date"], x.get("levy"),
                x["outcome"], ", ambiguous_zip" if x.get("ambiguous_zip") else "",
                ", rates_stale" if x.get("rates_stale") else "",
                x["expected"], " -- " + x["note"] if x["note"] else ""))
    if "--json" in opts:
        with open(opts["--json"], "w") as f:
            json.dump(results, f, indent=1)
    if failed:
        print("FAILED: levy did not answer %d rows" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
