#!/usr/bin/env python3
"""pg_schema (issue 22): the PostgreSQL migrations build the same schema as the SQLite ones.

usage: pg_schema.py LEVY SRC PORT

1. Every folder with SQLite migrations (core/store/migrations, plugins/*/migrations) has a
   postgres/ twin holding exactly the same file names (same versions and names on both engines).
2. A throwaway cluster (tests/pg/cluster.sh, on 127.0.0.1:PORT) gets the core's then every
   plugin's postgres migrations applied in order with psql, each file in one transaction.
3. `levy serve` and `levy sim` migrate a fresh SQLite data dir each (the shipped plugins).
4. Per table: the same tables; the same columns in the same order, with the same type class
   (INTEGER ↔ bigint, TEXT ↔ text, BLOB ↔ bytea), NOT NULL, default and primary key; the same
   named indexes (columns, UNIQUE, partial or not), UNIQUE constraints (columns), number of
   CHECK constraints and trigger names. A PostgreSQL
   table may have one column more, `rowid` (an identity column standing for SQLite's implicit
   rowid, which statements use), and only where the SQLite table has a rowid.

Exits 77 (ctest SKIP) only when the PostgreSQL server binaries are absent.
"""
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
from harness import check, start, stop, wait_for, req  # noqa: E402


def pg_bin():
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "initdb"), os.X_OK):
            return d
    w = shutil.which("initdb")
    return os.path.dirname(w) if w else None


def migration_dirs(src):
    """(owner, sqlite dir) for the core and every plugin that has SQLite migrations."""
    out = [("core", os.path.join(src, "core/store/migrations"))]
    for d in sorted(glob.glob(os.path.join(src, "plugins/*/migrations"))):
        if glob.glob(os.path.join(d, "*.sql")):
            out.append((os.path.basename(os.path.dirname(d)), d))
    return out


def sql_files(d):
    return sorted(f for f in os.listdir(d) if re.match(r"^\d{4,9}_.+\.sql$", f)) if os.path.isdir(d) else []


# ---- the SQLite side ------------------------------------------------------------------------

def sqlite_schema(path, only=None):
    """{table: {"cols": [(name, type, notnull, default, pk)], "rowid": bool,
                "indexes": {name: (cols, unique, partial)}, "triggers": set}}"""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    out = {}
    for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        if only is not None and name not in only:
            continue
        cols = []
        for _cid, cname, ctype, notnull, dflt, pk in db.execute("PRAGMA table_info(%s)" % name):
            cols.append((cname, ctype.upper(), bool(notnull), dflt, pk))
        pkcols = [c for c in cols if c[4]]
        # SQLite lets a non-INTEGER primary key column hold NULL unless declared NOT NULL;
        # PostgreSQL's PRIMARY KEY implies NOT NULL: a primary key column counts as NOT NULL
        cols = [(c[0], c[1], c[2] or bool(c[4]), c[3], c[4]) for c in cols]
        idx, uniq = {}, set()
        for _seq, iname, unique, origin, partial in db.execute("PRAGMA index_list(%s)" % name):
            if origin == "u":          # a UNIQUE constraint: compared as the constraint's columns
                uniq.add(tuple(r[2] for r in db.execute("PRAGMA index_info(%s)" % iname)))
            if origin != "c":          # pk / unique constraint autoindexes are the columns' own
                continue
            icols = [r[2] for r in db.execute("PRAGMA index_info(%s)" % iname)]
            idx[iname] = (icols, bool(unique), bool(partial))
        trig = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                         "AND tbl_name = ?", (name,))}
        without_rowid = bool(re.search(r"WITHOUT\s+ROWID\s*$", sql.strip(), re.I))
        # CHECK constraints: how many the table's CREATE TABLE (and its columns) declares
        checks = len(re.findall(r"\bCHECK\s*\(", sql, re.I))
        out[name] = {"cols": cols, "rowid": not without_rowid, "indexes": idx, "triggers": trig,
                     "unique": uniq, "checks": checks,
                     "pk": [c[0] for c in sorted(pkcols, key=lambda c: c[4])]}
    db.close()
    return out


def migrate_sqlite(levy, src, tmp, role, port):
    """A data dir migrated by `levy serve` / `levy sim` (it answers /healthz or /health)."""
    d = os.path.join(tmp, role)
    os.makedirs(d)
    if role == "serve":
        args = harness.levy_cmd(levy, port, d, "pg-schema-token-0123456789", None, src)
        url = "http://127.0.0.1:%d/healthz" % port
    else:
        args = harness.sim_cmd(levy, port, d, src, 1, 1)
        url = "http://127.0.0.1:%d/health" % port
    log = os.path.join(tmp, role + ".log")
    p = start(args, log)
    ok = wait_for(lambda: p.poll() is None and req("GET", url, timeout=2)[0] == 200, 60, 0.1)
    stop(p)
    if not ok:
        print(harness.tail(log))
    check("levy %s migrated a SQLite data dir" % role, ok)
    return os.path.join(d, "levy.db")


# ---- the PostgreSQL side --------------------------------------------------------------------

class PG:
    def __init__(self, bindir, url):
        self.psql = os.path.join(bindir, "psql")
        self.url = url

    def run(self, args, stdin=None):
        return subprocess.run([self.psql, self.url, "-X", "-q", "-v", "ON_ERROR_STOP=1"] + args,
                              input=stdin, capture_output=True, text=True, timeout=120)

    def query(self, sql):
        r = self.run(["-At", "-F", "\x1f", "-c", sql])
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        return [line.split("\x1f") for line in r.stdout.splitlines()]


def pg_schema(pg):
    out = {}
    tables = [r[0] for r in pg.query("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
                                     "ORDER BY table_name")]
    for t in tables:
        out[t] = {"cols": [], "indexes": {}, "triggers": set(), "pk": [], "unique": set(), "checks": 0}
    for t, kind, cols in pg.query(
            "SELECT t.relname, c.contype, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) "
            " FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a "
            " ON a.attrelid = t.oid AND a.attnum = k.attnum) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'public' AND c.contype IN ('u', 'c')"):
        if t in out:
            if kind == "u":
                out[t]["unique"].add(tuple(cols.split(",")))
            else:
                out[t]["checks"] += 1
    for t, c, typ, nullable, dflt, ident in pg.query(
            "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '\x01'), "
            "is_identity FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"):
        if t in out:
            out[t]["cols"].append((c, typ, nullable == "NO", None if dflt == "\x01" else dflt, ident == "YES"))
    for t, c in pg.query(
            "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_schema = tc.table_schema WHERE tc.table_schema = 'public' "
            "AND tc.constraint_type = 'PRIMARY KEY' ORDER BY tc.table_name, kcu.ordinal_position"):
        out[t]["pk"].append(c)
    # indexes that no constraint owns (a constraint's index is its columns' own, as on SQLite)
    for t, iname, unique, partial, cols in pg.query(
            "SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, "
            "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord) "
            " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"):
        if t in out:
            out[t]["indexes"][iname] = (cols.split(","), unique == "t", partial == "t")
    for t, name in pg.query("SELECT DISTINCT event_object_table, trigger_name FROM information_schema.triggers "
                            "WHERE trigger_schema = 'public'"):
        if t in out:
            out[t]["triggers"].add(name)
    return out


TYPE_CLASS = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}


def norm_default(d):
    if d is None:
        return None
    d = re.sub(r"::(text|bigint|integer)$", "", d.strip())
    return d


def compare(lite, pg, owner_of):
    for t in sorted(set(lite) | set(pg)):
        who = owner_of.get(t, "?")
        if t not in pg:
            check("%s: table %s exists on PostgreSQL" % (who, t), False)
            continue
        if t not in lite:
            check("%s: table %s (PostgreSQL) exists on SQLite" % (who, t), False)
            continue
        L, P = lite[t], pg[t]
        pcols = list(P["cols"])
        extra = [c for c in pcols if c[0] == "rowid"]
        if extra and not any(c[0] == "rowid" for c in L["cols"]):
            check("%s: %s.rowid on PostgreSQL stands for a SQLite rowid (table has one, identity)" % (who, t),
                  L["rowid"] and extra[0][4], str(extra[0]))
            pcols = [c for c in pcols if c[0] != "rowid"]
        lnames, pnames = [c[0] for c in L["cols"]], [c[0] for c in pcols]
        if not check("%s: %s has the same columns in the same order" % (who, t), lnames == pnames,
                     "sqlite %s\n      pg     %s" % (lnames, pnames)):
            continue
        bad = []
        for lc, pc in zip(L["cols"], pcols):
            name, ltype, lnn, ldef, _lpk = lc
            _n, ptype, pnn, pdef, pident = pc
            want = TYPE_CLASS.get(ltype)
            if want != ptype:
                bad.append("%s type %s vs %s" % (name, ltype, ptype))
            if lnn != pnn:
                bad.append("%s NOT NULL %s vs %s" % (name, lnn, pnn))
            if norm_default(ldef) != norm_default(pdef):
                bad.append("%s default %r vs %r" % (name, ldef, pdef))
            # an identity column must be SQLite's rowid alias (INTEGER PRIMARY KEY)
            if pident and not (ltype == "INTEGER" and L["pk"] == [name]):
                bad.append("%s is an identity on PostgreSQL but no INTEGER PRIMARY KEY on SQLite" % name)
        check("%s: %s columns agree (type, NOT NULL, default)" % (who, t), not bad, "; ".join(bad))
        check("%s: %s has the same primary key" % (who, t), L["pk"] == P["pk"], "%s vs %s" % (L["pk"], P["pk"]))
        check("%s: %s has the same indexes" % (who, t), L["indexes"] == P["indexes"],
              "sqlite %s\n      pg     %s" % (L["indexes"], P["indexes"]))
        check("%s: %s has the same UNIQUE constraints" % (who, t), L["unique"] == P["unique"],
              "sqlite %s vs pg %s" % (sorted(L["unique"]), sorted(P["unique"])))
        check("%s: %s has as many CHECK constraints" % (who, t), L["checks"] == P["checks"],
              "sqlite %d vs pg %d" % (L["checks"], P["checks"]))
        check("%s: %s has the same triggers" % (who, t), L["triggers"] == P["triggers"],
              "sqlite %s vs pg %s" % (sorted(L["triggers"]), sorted(P["triggers"])))


def main():
    levy, src, port = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3])
    bindir = pg_bin()
    if not bindir or not os.access(os.path.join(bindir, "psql"), os.X_OK):
        print("SKIP: no PostgreSQL server binaries (initdb, psql): install the Debian package "
              "postgresql or set PG_BIN")
        return 77

    # 1. a postgres/ twin of every migration folder, file for file
    dirs = migration_dirs(src)
    for owner, d in dirs:
        lite, pgf = sql_files(d), sql_files(os.path.join(d, "postgres"))
        check("%s: postgres/ migrations match the SQLite ones file for file" % owner, lite == pgf,
              "sqlite %s\n      pg     %s" % (lite, pgf))

    tmp = tempfile.mkdtemp(prefix="levy-pg-schema-")
    cluster = os.path.join(src, "tests/pg/cluster.sh")
    env = dict(os.environ, PG_BIN=bindir)
    try:
        r = subprocess.run(["sh", cluster, "start", os.path.join(tmp, "pg"), str(port)],
                           capture_output=True, text=True, env=env, timeout=180)
        if not check("a throwaway PostgreSQL cluster starts", r.returncode == 0, r.stderr):
            return harness.summary()
        pg = PG(bindir, r.stdout.strip().splitlines()[-1])

        # 2. every postgres migration, in order, each in one transaction
        owner_of = {}
        for owner, d in dirs:
            before = {row[0] for row in pg.query("SELECT table_name FROM information_schema.tables "
                                                 "WHERE table_schema = 'public'")}
            for f in sql_files(os.path.join(d, "postgres")):
                res = pg.run(["-1", "-f", os.path.join(d, "postgres", f)])
                check("%s: postgres/%s applies" % (owner, f), res.returncode == 0, res.stderr.strip())
            after = {row[0] for row in pg.query("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'public'")}
            for t in after - before:
                owner_of[t] = owner

        # 3. the SQLite schema as levy itself migrates it
        serve_db = migrate_sqlite(levy, src, tmp, "serve", port + 1)
        sim_db = migrate_sqlite(levy, src, tmp, "sim", port + 2)
        lite = sqlite_schema(serve_db)
        sim_tables = {t for t, o in owner_of.items() if o == "sim"}
        lite.update(sqlite_schema(sim_db, only=sim_tables))
        lite.pop("schema_migrations", None)     # the migration runner's own (levy_store_migrate)

        # 4. table for table
        compare(lite, pg_schema(pg), owner_of)
    finally:
        subprocess.run(["sh", cluster, "stop", os.path.join(tmp, "pg")], capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)
    return harness.summary()


if __name__ == "__main__":
    sys.exit(main())
