#!/usr/bin/env python3
"""Grows a kept levy data dir (bench/reports.py --keep) K times: every invoice, credit memo,
calculation, write-back and history row copied K-1 times with its ids suffixed (_gN), dates,
customers and amounts unchanged — an organisation with K times the documents on the same days,
for timing the reports at sizes a simulator import does not reach in a session (50,000
invoices from the 10,000 store: bench/README.md). levy derives its figure rows and kept sums
from these rows when it starts on the copy (migrations and the rebuild job), as for any store.

Usage: bench/grow_store.py SRC_DIR DST_DIR K        (levy must not run on either)
"""
import os
import shutil
import sqlite3
import sys


def main():
    src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if not f.startswith("levy.db"):
            p = os.path.join(src, f)
            (shutil.copytree if os.path.isdir(p) else shutil.copy2)(p, os.path.join(dst, f))
    s = sqlite3.connect("file:%s?mode=ro" % os.path.join(src, "levy.db"), uri=True)
    d = sqlite3.connect(os.path.join(dst, "levy.db"))
    s.backup(d)
    s.close()
    d.row_factory = sqlite3.Row
    ids = set()
    for t in ("invoices", "credit_memos", "calculations"):
        ids |= {r[0] for r in d.execute("SELECT id FROM %s" % t)}
    tables = [("invoices", ()), ("credit_memos", ()), ("calculations", ()), ("writebacks", ("id",)), ("history", ("id",))]
    # the kept not-collected candidates (rillet migration 0020) are kept on write, not rebuilt
    # at start: a store that has them gets its copies' rows too
    if d.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rillet_nc_docs'").fetchone()[0]:
        tables.append(("rillet_nc_docs", ()))
    with d:
        for t, drop in tables:
            rows = [dict(r) for r in d.execute("SELECT * FROM %s" % t)]
            for g in range(2, k + 1):
                sfx = "_g%d" % g
                for r in rows:
                    o = {c: (v + sfx if isinstance(v, str) and v in ids else v) for c, v in r.items() if c not in drop}
                    if t in ("invoices", "credit_memos") and o.get("number"):
                        o["number"] = o["number"] + sfx
                    if t == "writebacks" and o.get("idempotency_key"):
                        o["idempotency_key"] = o["idempotency_key"] + sfx
                    d.execute("INSERT INTO %s (%s) VALUES (%s)" % (t, ",".join(o), ",".join("?" * len(o))),
                              list(o.values()))
    for t in ("invoices", "credit_memos", "calculations", "writebacks"):
        print(t, d.execute("SELECT count(*) FROM %s" % t).fetchone()[0])
    d.close()


if __name__ == "__main__":
    main()
