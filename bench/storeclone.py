#!/usr/bin/env python3
"""bench/storegrowth.sh helper: grow a levy store by cloning its documents in SQL (levy stopped).
usage: storeclone.py DATA_DIR TARGET_DOCS
The store holds a real import (invoices and credit memos from `levy sim`, calculated and
written back). Each copy k re-inserts the base documents and every row that hangs off them
(calculations, the report rows rillet_calc_*, rillet_filing_docs, the kept not-collected
candidates rillet_nc_docs and collected documents rillet_liab_docs, write-backs, history, the
inbox and its seen ids) with ids suffixed '~k', through levy's own schema, so the indexes, the
row sizes and the report paths are the real ones. The kept filing sums (rillet_filing_sums) are
additive: each copy adds the base's sums once, so the filing summary stays equal to the
documents (GET /v1/reports/filing/sums/check can verify it). The base is kept in bench_clone_*
tables of the store (a bench store, not one to serve from), so a later run with a larger
target clones the same rows, not what the measurements added in between.
Prints: base documents, copies made, documents now, seconds."""
import sqlite3, sys, time

ddir, target = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(ddir + "/levy.db", isolation_level=None, timeout=60)
db.execute("PRAGMA synchronous=OFF")
db.execute("PRAGMA cache_size=-65536")

# table -> (columns rewritten with the copy's suffix, columns left out (autoincrement ids),
#           the WHERE that picks the base rows)
BASE = "NOT LIKE '%~%'"  # the first run's base: what is not a copy
TABLES = {
    "invoices": ({"id", "number", "calculation_id"}, set(), "id " + BASE),
    "credit_memos": ({"id", "number", "calculation_id", "applied_invoice_id"}, set(), "id " + BASE),
    "calculations": ({"id", "doc_id"}, set(), "id " + BASE),
    "rillet_calc_heads": ({"calculation_id"}, set(), "calculation_id " + BASE),
    "rillet_calc_sales": ({"calculation_id"}, set(), "calculation_id " + BASE),
    "rillet_calc_taxes": ({"calculation_id"}, set(), "calculation_id " + BASE),
    "rillet_filing_docs": ({"doc_id", "calculation_id"}, set(), "doc_id " + BASE),
    "rillet_nc_docs": ({"doc_id"}, set(), "doc_id " + BASE),
    "rillet_liab_docs": ({"doc_id", "calculation_id"}, set(), "doc_id " + BASE),
    "writebacks": ({"doc_id", "calculation_id", "idempotency_key"}, {"id"}, "doc_id " + BASE),
    "history": ({"doc_id", "calculation_id"}, {"id"}, "doc_id " + BASE),
    "inbox": ({"delivery_id"}, {"id"}, "delivery_id " + BASE),
    "inbox_seen": ({"delivery_id"}, set(), "delivery_id " + BASE),
}
SUMMED = ["docs", "n", "sale", "taxable", "tax", "tax_null", "bad"]


def one(sql, *a):
    return db.execute(sql, a).fetchone()[0]


# The first run keeps the base (the real import) in bench_clone_* tables of the store: later
# runs clone those rows, not what the measurements added since (new deliveries, invoices).
first = not one("SELECT count(*) FROM sqlite_master WHERE name = 'bench_clone_state'")
t0 = time.time()
db.execute("BEGIN")
stmts = {}
# a store from before rillet migration 0020 has no rillet_nc_docs / rillet_liab_docs
TABLES = {t: v for t, v in TABLES.items() if one("SELECT count(*) FROM sqlite_master WHERE name = ?", t)}
for t, (rw, skip, where) in TABLES.items():
    cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % t)]
    keep = [c for c in cols if c not in skip]
    sel = ", ".join("CASE WHEN %s IS NULL THEN NULL ELSE %s || ?1 END" % (c, c) if c in rw else c for c in keep)
    if first:
        db.execute("CREATE TABLE bench_clone_%s AS SELECT %s FROM %s WHERE %s" % (t, ", ".join(keep), t, where))
    stmts[t] = "INSERT INTO %s (%s) SELECT %s FROM bench_clone_%s" % (t, ", ".join(keep), sel, t)
if first:
    db.execute("CREATE TABLE bench_clone_sums AS SELECT k, %s FROM rillet_filing_sums" % ", ".join(SUMMED))
    db.execute("CREATE TABLE bench_clone_state (copies INTEGER NOT NULL)")
    db.execute("INSERT INTO bench_clone_state VALUES (0)")
db.execute("COMMIT")
base = one("SELECT count(*) FROM bench_clone_invoices") + one("SELECT count(*) FROM bench_clone_credit_memos")
copies_now = one("SELECT copies FROM bench_clone_state")
want = max(copies_now, -(-target // base) - 1)  # copies needed for >= target documents
db.execute("BEGIN")
for k in range(copies_now + 1, want + 1):
    for t, sql in stmts.items():
        db.execute(sql, ("~%d" % k,))
    if k % 10 == 0:
        db.execute("UPDATE bench_clone_state SET copies = ?", (k,))
        db.execute("COMMIT")
        print("copy %d of %d: %.0f s" % (k, want, time.time() - t0), file=sys.stderr)
        db.execute("BEGIN")
# each copy adds the base's kept sums once
add = want - copies_now
if add:
    db.execute("UPDATE rillet_filing_sums SET " + ", ".join(
        "%s = %s + ? * (SELECT b.%s FROM bench_clone_sums b WHERE b.k = rillet_filing_sums.k)" % (c, c, c) for c in SUMMED)
        + " WHERE k IN (SELECT k FROM bench_clone_sums)", (add,) * len(SUMMED))
db.execute("UPDATE bench_clone_state SET copies = ?", (want,))
db.execute("COMMIT")
# The tables levy keeps by triggers (connection counts, calculation flags, exposure day sums)
# follow these copies; the not-collected sums kept per month (rillet migration 0023) do not:
# levy's writers move a month's generation (nc_docs.bump), these copies bypass them. Recount
# them from the documents once levy serves this store again: `levy recount` (POST
# /v1/store/recount; bench/storegrowth.sh runs it after each clone), which sums every memo row
# of a month again and says what it fixed.
print("storeclone: the store was written behind levy's back: run `levy recount` once levy serves it", file=sys.stderr)
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
now = one("SELECT count(*) FROM invoices") + one("SELECT count(*) FROM credit_memos")
print(base, want, now, "%.1f" % (time.time() - t0))
