#!/usr/bin/env python3
"""pg_prepare (issue 22): does the SQL levy's plugins really send prepare on PostgreSQL?

usage: pg_prepare.py SRC PORT CAPTURE_LOG...
       pg_prepare.py --run LEVY SHIM SRC PORT     (ctest pg_prepare: the workload is the
                                                    plugins' specs, `levy test plugins`, and
                                                    the reliab scripts of WORKLOAD)

CAPTURE_LOG: files written by tests/pg/sql_capture.c (LD_PRELOAD, SQL_CAPTURE_LOG=FILE) while
levy ran, e.g.
    cc -shared -fPIC -o /tmp/sqlcap.so tests/pg/sql_capture.c -ldl
    SQL_CAPTURE_LOG=/tmp/cap.log LD_PRELOAD=/tmp/sqlcap.so build/levy test plugins
Every distinct statement (DDL, PRAGMA, EXPLAIN, transaction control and SQLite's own catalogue left
out) has its `?` / `?NNN` parameters turned into `$n` and is PREPAREd with psql on a cluster
that has every postgres/ migration applied (as pg_schema does). Prints each statement that
does not prepare with PostgreSQL's error and the tables it names (so the owner), and exits 1
when there is one that tests/pg/sqlite_only.txt does not list (a known SQLite-only statement:
a fragment of its text, a tab, why it stays). Core statements (only core tables) and SQLite's
catalogue (sqlite_*, pragma_*) are listed apart and do not fail it: the engine owns them.
Parameters are untyped, as PostgreSQL infers them from their use; a
statement that fails only with "could not determine data type of parameter" is listed apart:
it prepares when the engine sends the parameter's type.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg_schema  # noqa: E402

# the end-to-end scripts (tests/e2e/reliab/SCRIPT.py LEVY SRC BASE_PORT) run under the capture
WORKLOAD = ("health_token", "list_csv", "liability_collected", "exposure", "filing_report", "oss_report")
# a script added later runs on its own port range (the first four: port + 20 + 16 * i)
WORKLOAD_PORT = {"filing_report": 25760, "oss_report": 32220}

SKIP = re.compile(r"^\s*(CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|END|SAVEPOINT|RELEASE|"
                  r"ANALYZE|VACUUM|REINDEX|ATTACH|DETACH|EXPLAIN)\b", re.I)


def to_dollar(sql):
    """`?` → `$1, $2, ...` (`?NNN` → `$NNN`) outside literals, identifiers and comments."""
    out, i, n, k = [], 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                out.append("$" + sql[i + 1:j])
            else:
                k += 1
                out.append("$%d" % k)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_comments(s):
    s = s.strip()
    while s.startswith("--"):
        nl = s.find("\n")
        s = "" if nl < 0 else s[nl + 1:].strip()
    return s


def to_dollar_masked(sql):
    """sql with string literals blanked (so a ';' inside one is not a statement's end)."""
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def norm(sql):
    return " ".join(strip_comments(sql).rstrip(";").split())


def migration_statements(src):
    """The normalised statements of every SQLite migration file (pg_schema checks those)."""
    out = set()
    for _owner, d in pg_schema.migration_dirs(src):
        for f in pg_schema.sql_files(d):
            text = open(os.path.join(d, f), encoding="utf-8").read()
            text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
            for part in text.split(";"):
                if part.strip():
                    out.add(norm(part))
    return out


BINDS = {}   # statement text (stripped) → {parameter index: {types levy bound}}


def statements(paths, skip=frozenset()):
    seen = []
    have = set()
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            for s in f.read().split("\x1e"):
                if s.startswith("\x02"):        # a bound parameter: \x02TYPE\x1fINDEX\x1fSQL
                    typ, idx, sql = s[1:].split("\x1f", 2)
                    key = strip_comments(sql).rstrip(";").strip()
                    BINDS.setdefault(key, {}).setdefault(int(idx), set()).add(typ)
                    continue
                s = strip_comments(s).rstrip(";").strip()
                # a migration file's text (sqlite3_exec prepares it statement by statement,
                # the rest of the file each time) is pg_schema's business
                if not s or SKIP.match(s) or ";" in to_dollar_masked(s) or s in have or \
                        re.search(r"\bsqlite_(master|schema|temp_master)\b", s):
                    continue
                have.add(s)
                if norm(s) not in skip:
                    seen.append(s)
    return seen


def tables_named(sql, owner_of):
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    return sorted("%s(%s)" % (t, owner_of[t]) for t in words if t in owner_of)


def known_list(src):
    out = []
    path = os.path.join(src, "tests/pg/sqlite_only.txt")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.strip() and not line.startswith("#") and "\t" in line:
                frag, why = line.rstrip("\n").split("\t", 1)
                out.append((frag, why))
    return out


def main():
    args = sys.argv[1:]
    bindir = pg_schema.pg_bin()
    if not bindir:
        print("SKIP: no PostgreSQL binaries")
        return 77
    tmp = tempfile.mkdtemp(prefix="levy-pg-prepare-")
    if args and args[0] == "--run":
        levy, shim, src, port = args[1], args[2], os.path.abspath(args[3]), int(args[4])
        logs = [os.path.join(tmp, "capture.log")]
        r = subprocess.run([levy, "test", os.path.join(src, "plugins"), "--scripts", os.path.join(src, "scripts")],
                           env=dict(os.environ, SQL_CAPTURE_LOG=logs[0], LD_PRELOAD=shim),
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not os.path.exists(logs[0]):
            print(r.stdout[-4000:], r.stderr[-4000:])
            print("FAIL - levy test plugins under the SQL capture")
            return 1
        # and a few short end-to-end runs (levy serve + levy sim) for the paths specs do not
        # reach: webhooks, write-backs, health, lists, the reports (ports from port + 20)
        for i, script in enumerate(WORKLOAD):
            r = subprocess.run([sys.executable, os.path.join(src, "tests/e2e/reliab", script + ".py"), levy, src,
                                str(WORKLOAD_PORT.get(script, port + 20 + 16 * i))],
                               env=dict(os.environ, SQL_CAPTURE_LOG=logs[0], LD_PRELOAD=shim),
                               capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print(r.stdout[-4000:], r.stderr[-4000:])
                print("FAIL - %s under the SQL capture" % script)
                return 1
    else:
        src, port, logs = os.path.abspath(args[0]), int(args[1]), args[2:]
    cluster = os.path.join(src, "tests/pg/cluster.sh")
    env = dict(os.environ, PG_BIN=bindir)
    bad, untyped, typed, ok = [], [], [], 0
    try:
        r = subprocess.run(["sh", cluster, "start", os.path.join(tmp, "pg"), str(port)],
                           capture_output=True, text=True, env=env, timeout=180)
        if r.returncode != 0:
            print(r.stderr)
            return 1
        pg = pg_schema.PG(bindir, r.stdout.strip().splitlines()[-1])
        owner_of = {}
        for owner, d in pg_schema.migration_dirs(src):
            before = {x[0] for x in pg.query("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'public'")}
            for f in pg_schema.sql_files(os.path.join(d, "postgres")):
                res = pg.run(["-1", "-f", os.path.join(d, "postgres", f)])
                if res.returncode != 0:
                    print("migration %s/%s: %s" % (owner, f, res.stderr))
                    return 1
            for t in {x[0] for x in pg.query("SELECT table_name FROM information_schema.tables "
                                             "WHERE table_schema = 'public'")} - before:
                owner_of[t] = owner
        owner_of["schema_migrations"] = "core"   # the migration runner's own table
        for s in statements(logs, migration_statements(src)):
            q = to_dollar(s)
            res = pg.run(["-At", "-c", "PREPARE levy_stmt AS " + q + ";\n"
                          "SELECT parameter_types FROM pg_prepared_statements WHERE name = 'levy_stmt'"])
            if res.returncode == 0:
                ok += 1
                pg_types = res.stdout.strip().strip("{}").split(",") if res.stdout.strip() not in ("", "{}") else []
                for idx, bound in sorted(BINDS.get(s, {}).items()):
                    want = pg_types[idx - 1] if 0 < idx <= len(pg_types) else "?"
                    fits = {"bigint": {"integer", "boolean", "null"}, "integer": {"integer", "boolean", "null"},
                            "text": {"text", "null"}, "boolean": {"null"}}.get(want, set())
                    odd = sorted(bound - fits)
                    if odd:
                        typed.append((s, idx, want, odd, tables_named(s, owner_of)))
                continue
            err = res.stderr.strip().splitlines()[0] if res.stderr.strip() else "?"
            err = re.sub(r"^psql:.*?ERROR:\s*", "", err)
            (untyped if "could not determine data type of parameter" in err else bad).append(
                (s, err, tables_named(s, owner_of)))
    finally:
        subprocess.run(["sh", cluster, "stop", os.path.join(tmp, "pg")], capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)
    known = known_list(src)
    unknown = 0
    for title, rows in (("does not prepare on PostgreSQL", bad),
                        ("prepares only with typed parameters", untyped)):
        for s, err, tabs in rows:
            why = next((w for f, w in known if f in s), None)
            if why:
                kind = "known SQLite-only: " + why
            elif re.search(r"\b(sqlite_\w+|pragma_\w+)", s):
                kind = "SQLite catalogue (engine)"
            elif tabs and all(t.endswith("(core)") for t in tabs):
                kind = "core (engine)"
            else:
                kind = "PLUGIN"
                if title == "does not prepare on PostgreSQL":
                    unknown += 1
            print("---- %s [%s] %s\n%s\n  => %s" % (title, ", ".join(tabs) or "no table", kind, s, err))
    # informational: a parameter PostgreSQL infers as one type while levy binds another (how the
    # engine sends parameters decides whether that works: untyped text converts, typed does not)
    for s, idx, want, odd, tabs in typed:
        print("---- parameter $%d: PostgreSQL infers %s, levy binds %s [%s]\n%s" % (
            idx, want, "/".join(odd), ", ".join(tabs) or "no table", s))
    print("%d parameter(s) bound with another type than PostgreSQL infers" % len(typed))
    print("%d statements prepare, %d do not (%d neither core nor listed in tests/pg/sqlite_only.txt), "
          "%d need typed parameters" % (ok, len(bad), unknown, len(untyped)))
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
