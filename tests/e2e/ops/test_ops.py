#!/usr/bin/env python3
"""Ops end-to-end tests (issue 10): backup/restore, upgrades from the v1 schema, the OpenAPI
document against real responses, the Debian package.

usage: test_ops.py LEVY_BINARY SOURCE_DIR CASE     CASE: backup | upgrade | openapi | package
python3 stdlib only (plus python3-yaml for the openapi case). Ports 18950-18999."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
from opslib import check, Client, wait_for  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
TOKEN = "ops-e2e-token-0123456789abcdef"
MASTER_KEY = "b3BzLWUyZS1tYXN0ZXIta2V5LTMyLWJ5dGVzLW9rISE="  # fixed test key (32 bytes)


def table_digest(path):
    """{table: (rows, sha256 of every row in a stable order)} of a SQLite file."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    out = {}
    try:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                  "AND name NOT LIKE 'sqlite_%' "
                                  "AND name <> 'levy_backup_files' ORDER BY name"):
            ncols = len(db.execute('SELECT * FROM "%s" LIMIT 0' % name).description)
            order = ",".join(str(i + 1) for i in range(ncols))
            h = hashlib.sha256()
            n = 0
            for row in db.execute('SELECT * FROM "%s" ORDER BY %s' % (name, order)):
                h.update(repr(row).encode())
                n += 1
            out[name] = (n, h.hexdigest())
    finally:
        db.close()
    return out


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
    e.update(env or {})
    return subprocess.run([LEVY] + list(args), capture_output=True, text=True, env=e, timeout=120)


def connected_levy(tmp):
    """sim + levy serve with three subscribed regions, connected and imported."""
    sim, sim_url, key = opslib.start_sim(LEVY, tmp, SRC)
    data = os.path.join(tmp, "levy")
    lv, url = opslib.start_levy(LEVY, data, TOKEN, sim_url, os.path.join(tmp, "levy.log"), SRC,
                                env={"LEVY_MASTER_KEY": MASTER_KEY})
    api = Client(url, {"Authorization": "Bearer " + TOKEN})
    for code in ("US-CA", "US-NY", "US-TX"):
        api("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
    cid, signing = opslib.connect(api, sim_url, key)
    return sim, lv, api, data, cid, signing, sim_url, key


# ---- backup / restore ------------------------------------------------------------------

def case_backup(tmp):
    sim, lv, api, data, cid, _, _, _ = connected_levy(tmp)
    procs = [lv, sim]
    try:
        st, js, _, _ = api("GET", "/v1/invoices?limit=500")
        ninv = len(js["data"])
        check("fixture has invoices", ninv > 0, ninv)
        # writes keep going while the backup runs
        stop = threading.Event()
        writes = [0]

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                s, _, _, _ = opslib.req("PUT", api.url + "/v1/settings",
                                        {"sweep_interval_minutes": 15 + i % 7},
                                        {"Authorization": "Bearer " + TOKEN})
                if s == 200:
                    writes[0] += 1
        t = threading.Thread(target=writer)
        t.start()
        bfile = os.path.join(tmp, "b1.db")
        try:
            for _ in range(3):
                r = run("backup", bfile, "--data-dir", data)
                if r.returncode != 0:
                    break
        finally:
            stop.set()
            t.join()
        check("levy backup while serving and writing -> 0", r.returncode == 0, r.stdout + r.stderr)
        check("writes went on during the backup", writes[0] > 0, writes[0])
        check("backup says integrity ok", "integrity ok" in r.stdout, r.stdout)
        check("backup file is 0600", os.stat(bfile).st_mode & 0o777 == 0o600, oct(os.stat(bfile).st_mode))
        check("backup is one self-contained file (no -wal beside it)",
              not os.path.exists(bfile + "-wal"), os.listdir(tmp))
        db = sqlite3.connect(bfile)
        check("backup passes integrity_check", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
        db.close()
        # a backup of the live store while idle equals the store itself
        lv.stop()
        procs.remove(lv)
        bfile2 = os.path.join(tmp, "b2.db")
        r = run("backup", bfile2, "--data-dir", data)
        check("levy backup of a stopped data dir -> 0", r.returncode == 0, r.stderr)
        live = table_digest(os.path.join(data, "levy.db"))
        check("backup == data dir (row counts + content hash per table)",
              table_digest(bfile2) == live, "")
        # restore into a new data dir
        new = os.path.join(tmp, "restored")
        r = run("restore", bfile2, "--data-dir", new)
        check("levy restore into a new data dir -> 0", r.returncode == 0, r.stdout + r.stderr)
        restored = table_digest(os.path.join(new, "levy.db"))
        check("restored == original: same tables", sorted(restored) == sorted(live),
              (sorted(restored), sorted(live)))
        for name in sorted(live):
            check("restored table %s: %d rows, same content" % (name, live[name][0]),
                  restored.get(name) == live[name], (restored.get(name), live[name]))
        check("restored data dir is 0700", os.stat(new).st_mode & 0o777 == 0o700)
        db = sqlite3.connect(os.path.join(new, "levy.db"))
        check("restored db is in WAL mode", db.execute("PRAGMA journal_mode").fetchone()[0] == "wal")
        db.close()
        # refuse to overwrite, unless --force
        r = run("restore", bfile, "--data-dir", new)
        check("restore over an existing db -> 1 without --force",
              r.returncode == 1 and "--force" in r.stderr, (r.returncode, r.stderr))
        check("refused restore changed nothing", table_digest(os.path.join(new, "levy.db")) == live)
        r = run("restore", bfile, "--data-dir", new, "--force")
        check("restore --force -> 0", r.returncode == 0, r.stderr)
        check("forced restore holds the first backup",
              table_digest(os.path.join(new, "levy.db")) == table_digest(bfile))
        # bad inputs
        bad = os.path.join(tmp, "bad.db")
        with open(bfile2, "rb") as f:
            blob = bytearray(f.read())
        for off in range(4096 * 2, min(len(blob), 4096 * 6)):
            blob[off] ^= 0x5A
        with open(bad, "wb") as f:
            f.write(blob)
        r = run("restore", bad, "--data-dir", os.path.join(tmp, "r-bad"))
        check("restore of a corrupted file -> 1", r.returncode == 1, (r.returncode, r.stderr))
        check("nothing restored from a corrupted file",
              not os.path.exists(os.path.join(tmp, "r-bad", "levy.db")))
        other = os.path.join(tmp, "other.db")
        sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
        r = run("restore", other, "--data-dir", os.path.join(tmp, "r-other"))
        check("restore of a non-levy db -> 1", r.returncode == 1 and "not a levy database" in r.stderr,
              r.stderr)
        r = run("backup", os.path.join(tmp, "x.db"), "--data-dir", os.path.join(tmp, "nothing"))
        check("backup of a missing data dir -> 1", r.returncode == 1, r.stderr)
        r = run("backup")
        check("backup without FILE -> 2 (usage)", r.returncode == 2, r.stderr)
        r = run("restore", "--help")
        check("restore --help -> 0", r.returncode == 0 and "restore FILE" in r.stdout)
        # the restored data dir serves: same invoices, secrets open (a signed webhook passes)
        shutil.copy(os.path.join(data, "api-token"), os.path.join(new, "api-token")) \
            if os.path.exists(os.path.join(data, "api-token")) else None
        lv2, url2 = opslib.start_levy(LEVY, new, TOKEN, None, os.path.join(tmp, "levy2.log"), SRC,
                                      env={"LEVY_MASTER_KEY": MASTER_KEY})
        procs.append(lv2)
        api2 = Client(url2, {"Authorization": "Bearer " + TOKEN})
        st, js, _, _ = api2("GET", "/v1/invoices?limit=500")
        check("restored levy serves the same invoices", st == 200 and len(js["data"]) == ninv,
              (st, js and len(js["data"]), ninv))
        st, con, text, _ = api2("GET", "/v1/connections/" + cid)
        check("restored levy keeps the connection", st == 200 and con["status"] == "connected", text)
    finally:
        for p in procs:
            p.stop()


# ---- upgrades from the first schema version --------------------------------------------------

FIXTURE = "tests/fixtures/datadir-v1"   # .sql (dump of levy.db) + .json (keys to open it)
KEEP = ("invoices", "credit_memos", "customers", "products", "history", "calculations",
        "regions", "regions_audit", "settings", "schema_migrations")


def migration_files():
    """{(plugin, version): sha256} of the migration files in this tree (core: embedded)."""
    import glob
    import re
    out = {}
    for path in glob.glob(os.path.join(SRC, "core/store/migrations/*.sql")) + \
            glob.glob(os.path.join(SRC, "plugins/*/migrations/*.sql")):
        m = re.match(r"(\d+)_", os.path.basename(path))
        parts = os.path.relpath(path, SRC).split(os.sep)
        plugin = "core" if parts[0] == "core" else parts[1]
        with open(path, "rb") as f:
            out[(plugin, int(m.group(1)))] = hashlib.sha256(f.read()).hexdigest()
    return out


def case_make_fixture(tmp):
    """Writes tests/fixtures/datadir-v1.{sql,json} from a real run (connect, taxes, webhooks).
    Run once per schema epoch; the committed dump is what older installs look like."""
    import json
    sim, lv, api, data, cid, signing, sim_url, key = connected_levy(tmp)
    try:
        st, js, _, _ = api("GET", "/v1/regions")
        for r in js["data"]:
            if r["code"].startswith("US-"):
                api("PUT", "/v1/regions/" + r["code"], {"subscribed": True, "tax_calculation": True})
        st, js, _, _ = api("GET", "/v1/invoices?limit=500")
        for d in js["data"]:
            api("POST", "/v1/invoices/%s/recalculate" % d["id"])
        wait_for(lambda: all(d["tax_status"] not in ("pending",) for d in
                             api("GET", "/v1/invoices?limit=500")[1]["data"]) and
                 any(d["tax_status"] == "written" for d in api("GET", "/v1/invoices?limit=500")[1]["data"]), 120)
        api("PUT", "/v1/customers/" + api("GET", "/v1/customers?limit=1")[1]["data"][0]["id"],
            {"exempt": True, "exempt_regions": ["US-CA"], "exemption_certificate": "CERT-V1"})
    finally:
        lv.stop()
        sim.stop()
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dump = "\n".join(db.iterdump()) + "\n"
    db.close()
    head = ("-- levy data dir, first schema version (every migration at 0001): a real run of\n"
            "-- levy serve + levy sim (connect flow, import, taxes, write-backs, webhooks).\n"
            "-- Generated by tests/e2e/ops/test_ops.py make-fixture; restore with sqlite3.\n"
            "-- Sealed secrets open with the master key in datadir-v1.json (a test key).\n")
    os.makedirs(os.path.join(SRC, "tests/fixtures"), exist_ok=True)
    with open(os.path.join(SRC, FIXTURE + ".sql"), "w") as f:
        f.write(head + dump)
    with open(os.path.join(SRC, FIXTURE + ".json"), "w") as f:
        json.dump({"master_key": MASTER_KEY, "api_token": TOKEN, "connection_id": cid,
                   "signing_token": signing}, f, indent=1)
        f.write("\n")
    print("wrote %s.sql and .json" % FIXTURE)


def rows_of(db, table, cols):
    q = 'SELECT %s FROM "%s"' % (",".join('"%s"' % c for c in cols), table)
    return sorted(repr(r) for r in db.execute(q))


def case_upgrade(tmp):
    import json
    with open(os.path.join(SRC, FIXTURE + ".json")) as f:
        fx = json.load(f)
    data = os.path.join(tmp, "data")
    os.makedirs(data, mode=0o700)
    dbp = os.path.join(data, "levy.db")
    db = sqlite3.connect(dbp)
    with open(os.path.join(SRC, FIXTURE + ".sql")) as f:
        db.executescript(f.read())
    db.commit()
    # what v1 holds, per table: its columns and rows
    v1 = {}
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"):
        cols = [r[1] for r in db.execute('PRAGMA table_info("%s")' % t)]
        v1[t] = (cols, rows_of(db, t, cols))
    applied = {(p, v): h for p, v, h in db.execute("SELECT plugin, version, sha256 FROM schema_migrations")}
    db.close()
    check("fixture holds documents, history and a connection",
          all(len(v1.get(t, ([], []))[1]) > 0 for t in ("invoices", "history", "connections", "customers")),
          {t: len(v1[t][1]) for t in v1})
    # append-only: every migration v1 applied is still there, byte for byte
    files = migration_files()
    for (plugin, ver), h in sorted(applied.items()):
        check("migration %s/%04d is unchanged since v1 (append-only)" % (plugin, ver),
              files.get((plugin, ver)) == h, (files.get((plugin, ver)), h))
    lv, url = opslib.start_levy(LEVY, data, fx["api_token"], "http://127.0.0.1:9", os.path.join(tmp, "levy.log"),
                                SRC, env={"LEVY_MASTER_KEY": fx["master_key"]})
    try:
        api = Client(url, {"Authorization": "Bearer " + fx["api_token"]})
        st, js, _, _ = api("GET", "/healthz")
        check("the newer levy opens the v1 data dir", st == 200 and js["status"] == "ok", js)
        st, js, _, _ = api("GET", "/v1/invoices?limit=500")
        check("every v1 invoice is served", st == 200 and len(js["data"]) == len(v1["invoices"][1]),
              (st, js and len(js["data"]), len(v1["invoices"][1])))
        written = [d for d in js["data"] if d["tax_status"] == "written"]
        check("written v1 invoices keep their tax", written and all(d["levy_tax"] for d in written))
        if written:
            st, d, _, _ = api("GET", "/v1/invoices/" + written[0]["id"])
            check("a written invoice keeps its history", st == 200 and len(d["history"]) >= 2, d and d.get("history"))
        st, con, text, _ = api("GET", "/v1/connections/" + fx["connection_id"])
        check("the v1 connection is kept", st == 200 and con["status"] == "connected", text[:300])
        # the sealed signing token still opens: a delivery signed with it is accepted
        body = b'{"id":"v1-vendor"}'
        # X-Rillet-Id a UUID, X-Rillet-Timestamp an RFC 3339 time within the window (issue 15 #13)
        h = {"X-Rillet-Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "X-Rillet-Id": str(uuid.uuid4()),
             "X-Rillet-Entity": "VENDOR", "X-Rillet-Event": "CREATED"}
        h["X-Rillet-Signature"] = opslib.sign(fx["signing_token"], h["X-Rillet-Timestamp"], h["X-Rillet-Id"],
                                              "VENDOR", "CREATED", body)
        st, js, text, _ = opslib.req("POST", url + "/webhooks/rillet/" + fx["connection_id"], raw=body, headers=h)
        check("the v1 sealed signing token still verifies a webhook", st == 200 and js.get("received"), text)
        h["X-Rillet-Id"] = str(uuid.uuid4())
        h["X-Rillet-Signature"] = opslib.sign("not-the-token", h["X-Rillet-Timestamp"], h["X-Rillet-Id"],
                                              "VENDOR", "CREATED", body)
        st, _, _, _ = opslib.req("POST", url + "/webhooks/rillet/" + fx["connection_id"], raw=body, headers=h)
        check("(and a wrong token does not)", st == 401, st)
    finally:
        check("levy stops cleanly", lv.stop() == 0)
    db = sqlite3.connect(dbp)
    try:
        now = {(p, v) for p, v in db.execute("SELECT plugin, version FROM schema_migrations")}
        serve_files = {k for k in files if k[0] != "sim"}   # the simulator's own store only
        check("every serve migration in the tree is applied after the upgrade", serve_files <= now,
              sorted(serve_files - now))
        print("  (migrations applied by the upgrade: %s)" % sorted(now - set(applied)))
        for t in KEEP:
            if t not in v1:
                continue
            cols, rows = v1[t]
            after = rows_of(db, t, cols)
            missing = [r for r in rows if r not in after]
            check("table %s keeps all %d v1 rows" % (t, len(rows)), not missing, missing[:3])
        # secrets: sealed columns byte-identical (the master key did not change)
        before = {r for r in v1["connections"][1]}
        cols = v1["connections"][0]
        idx = [cols.index(c) for c in ("id", "api_key_sealed", "signing_token_sealed", "api_key_hint")]
        b = sorted(tuple(eval(r)[i] for i in idx) for r in before)  # noqa: S307 (our own repr)
        a = sorted(db.execute("SELECT id, api_key_sealed, signing_token_sealed, api_key_hint FROM connections"))
        check("sealed secrets are kept byte for byte", b == [tuple(x) for x in a])
        check("the upgraded store passes integrity_check",
              db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
    finally:
        db.close()
    # a future schema: the same tree plus a 0002 migration, applied in place at start
    plugins = os.path.join(tmp, "plugins")
    shutil.copytree(os.path.join(SRC, "plugins"), plugins)
    # the next number after the shipped rillet migrations (the tree itself grows new ones)
    nums = [int(n[:4]) for n in os.listdir(os.path.join(plugins, "rillet/migrations")) if n[:4].isdigit()]
    probe_v = max(nums) + 1
    with open(os.path.join(plugins, "rillet/migrations/%04d_upgrade_probe.sql" % probe_v), "w") as f:
        f.write("ALTER TABLE invoices ADD COLUMN upgrade_probe TEXT NOT NULL DEFAULT 'v2';\n"
                "CREATE INDEX invoices_upgrade_probe ON invoices (upgrade_probe);\n")
    lv = opslib.Proc([LEVY, "serve", "--listen", "127.0.0.1:%d" % opslib.free_port(), "--data-dir", data,
                      "--api-token", fx["api_token"], "--rillet-url", "http://127.0.0.1:9",
                      "--plugins", plugins, "--scripts", os.path.join(SRC, "scripts")],
                     os.path.join(tmp, "levy2.log"), {"LEVY_MASTER_KEY": fx["master_key"]})
    ok = wait_for(lambda: "listening on" in lv.log() or lv.p.poll() is not None, 60)
    check("levy with a new migration starts on the upgraded dir", ok and lv.p.poll() is None, lv.log()[-1500:])
    check("and stops cleanly", lv.stop() == 0)
    db = sqlite3.connect(dbp)
    try:
        check("the new migration recorded in schema_migrations",
              db.execute("SELECT count(*) FROM schema_migrations WHERE plugin='rillet' AND version=?", (probe_v,))
              .fetchone()[0] == 1)
        cols, rows = v1["invoices"]
        check("0002 altered invoices in place, every v1 row kept",
              rows_of(db, "invoices", cols) == rows and
              {r[0] for r in db.execute("SELECT upgrade_probe FROM invoices")} == {"v2"})
        for t in ("history", "customers", "products"):
            check("after 0002, %s keeps every v1 row" % t, rows_of(db, t, v1[t][0]) == v1[t][1])
    finally:
        db.close()
    # issue 20 #5: a store that lost a middle record of schema_migrations (here rillet's
    # second-newest, while the newest is recorded) is refused with the plugin and the file
    # named; before, levy started without applying it or saying so (only records above the
    # highest were looked at)
    db = sqlite3.connect(dbp)
    mid_v = probe_v - 2
    saved = db.execute("SELECT plugin, version, name, sha256, applied_at FROM schema_migrations "
                       "WHERE plugin='rillet' AND version=?", (mid_v,)).fetchone()
    db.execute("DELETE FROM schema_migrations WHERE plugin='rillet' AND version=?", (mid_v,))
    db.commit()
    db.close()
    r = subprocess.run([LEVY, "serve", "--listen", "127.0.0.1:%d" % opslib.free_port(), "--data-dir", data,
                        "--api-token", fx["api_token"], "--plugins", plugins,
                        "--scripts", os.path.join(SRC, "scripts")],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "LEVY_MASTER_KEY": fx["master_key"]})
    out = r.stdout + r.stderr
    check("levy refuses to start on a store missing rillet's record %04d (0 < it < the newest)" % mid_v,
          r.returncode != 0 and "not recorded as applied" in out and "rillet" in out
          and saved is not None and saved[2] in out, out[-800:])
    db = sqlite3.connect(dbp)
    check("... and records nothing (the missing record stays missing)",
          db.execute("SELECT count(*) FROM schema_migrations WHERE plugin='rillet' AND version=?",
                     (mid_v,)).fetchone()[0] == 0)
    db.execute("INSERT INTO schema_migrations(plugin, version, name, sha256, applied_at) VALUES (?,?,?,?,?)",
               saved)
    db.commit()
    db.close()
    # an edited v1 migration is refused (append-only is enforced, not just tested here)
    with open(os.path.join(plugins, "rillet/migrations/0001_rillet.sql"), "a") as f:
        f.write("\n-- edited after release\n")
    r = subprocess.run([LEVY, "serve", "--listen", "127.0.0.1:%d" % opslib.free_port(), "--data-dir", data,
                        "--api-token", fx["api_token"], "--plugins", plugins,
                        "--scripts", os.path.join(SRC, "scripts")],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "LEVY_MASTER_KEY": fx["master_key"]})
    check("levy refuses to start when an applied migration was edited",
          r.returncode != 0 and "migration" in (r.stdout + r.stderr).lower(), r.stderr[-600:])


# ---- OpenAPI document against real responses ---------------------------------------------

def code_routes():
    """(method, path) of every route the product declares: C routes and the api, rillet and
    admin and reports plugins (sim is the simulator's own API)."""
    import re
    out = set()
    with open(os.path.join(SRC, "core/host/routes.c")) as f:
        text = f.read()
    table = text[text.index("CROUTES[] = {"):]
    table = table[:table.index("};")]
    for m, p in re.findall(r'\{"([A-Z]+)", "([^"]+)"', table):
        out.add((m, p))
    for plugin in ("api", "rillet", "admin", "reports"):
        with open(os.path.join(SRC, "plugins", plugin, "handler.lua")) as f:
            for m, p in re.findall(r'method\s*=\s*"([A-Z]+)",\s*path\s*=\s*"([^"]+)"', f.read()):
                out.add((m, p))
    return out


def case_openapi(tmp):
    import json
    import yaml
    import oas
    with open(os.path.join(SRC, "docs/openapi.yaml")) as f:
        raw = f.read()
    doc = yaml.safe_load(raw)
    check("openapi 3.1", str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi"))

    # a key twice in one mapping: PyYAML keeps the last silently, a strict reader (and an
    # OpenAPI validator) refuses the document; the first value is lost either way
    dups = []

    class StrictLoader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = {}
        for k, _ in node.value:
            key = loader.construct_object(k, deep=deep)
            if key in seen:
                dups.append("%r at line %d (first at line %d)" % (key, k.start_mark.line + 1, seen[key]))
            seen[key] = k.start_mark.line + 1
        return yaml.SafeLoader.construct_mapping(loader, node, deep)
    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load(raw, Loader=StrictLoader)
    check("openapi.yaml has no key twice in a mapping", not dups, dups)
    spec = oas.Spec(doc)
    documented = {(m, t) for _, t, m, _ in spec.ops}
    for m, p in sorted(code_routes()):
        check("route %s %s is documented" % (m, p), (m, p) in documented)
    contract = [("GET", "/healthz"), ("GET", "/metrics"), ("POST", "/admin/reload"),
                ("GET", "/admin/generation"), ("POST", "/v1/connections"), ("GET", "/v1/connections"),
                ("GET", "/v1/connections/{id}"), ("POST", "/v1/connections/{id}/subsidiary"),
                ("POST", "/v1/connections/{id}/webhook-secret"), ("POST", "/v1/connections/{id}/sync"),
                ("DELETE", "/v1/connections/{id}"), ("GET", "/v1/regions"), ("PUT", "/v1/regions/{code}"),
                ("GET", "/v1/tax-codes"), ("GET", "/v1/products"), ("GET", "/v1/products/{id}"),
                ("PUT", "/v1/products/{id}"), ("GET", "/v1/settings"), ("PUT", "/v1/settings"),
                ("GET", "/v1/customers"), ("GET", "/v1/customers/{id}"), ("PUT", "/v1/customers/{id}"),
                ("POST", "/v1/calculate"), ("POST", "/tax_api/calculate_tax"), ("GET", "/v1/invoices"),
                ("GET", "/v1/invoices/{id}"), ("POST", "/v1/invoices/{id}/recalculate"),
                ("GET", "/v1/credit-memos"), ("GET", "/v1/credit-memos/{id}"),
                ("GET", "/v1/reports/liability"), ("GET", "/v1/reports/exposure"),
                ("POST", "/webhooks/rillet/{connection_id}")]
    for m, p in contract:
        check("CONTRACT §2 %s %s is documented" % (m, p), (m, p) in documented)
    # unknown keywords anywhere in components.schemas are errors of the checker itself
    for name, sch in doc["components"]["schemas"].items():
        errs = [e for e in spec.validate(sch, None) if "outside the checked subset" in e]
        check("schema %s uses only checked keywords" % name, not errs, errs)

    sim, sim_url, key = opslib.start_sim(LEVY, tmp, SRC)
    data = os.path.join(tmp, "levy")
    lv, url = opslib.start_levy(LEVY, data, TOKEN, sim_url, os.path.join(tmp, "levy.log"), SRC,
                                env={"LEVY_MASTER_KEY": MASTER_KEY})
    try:
        api = Client(url, {"Authorization": "Bearer " + TOKEN})
        anon = Client(url, {})
        st, _, text, rh = anon("GET", "/openapi.yaml")
        check("GET /openapi.yaml without auth -> 200, the file itself", st == 200 and text == raw,
              (st, len(text), len(raw)))
        check("/openapi.yaml content type is YAML", "yaml" in rh.get("Content-Type", ""), rh)
        anon("GET", "/healthz")
        anon("GET", "/v1/regions")                       # 401
        api("GET", "/metrics")
        api("GET", "/admin/generation")
        api("GET", "/admin/rates")                       # issue 19: tables in use, staleness
        api("POST", "/admin/reload")
        # issue 20 (jobs20): jobs that gave up retried (of a kind no plugin runs: they stay queued)
        import sqlite3
        import time as _t
        db = sqlite3.connect(os.path.join(data, "levy.db"), timeout=10)
        for jid in ("job_opsretryaaaaaaaaaaaaaaaaa", "job_opsretrybbbbbbbbbbbbbbbbb"):
            now = int(_t.time() * 1000)
            db.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, "
                       "created_at, updated_at, last_error) VALUES (?, 'ops.test', NULL, '{}', 'dead', 3, 3, "
                       "?, ?, ?, 'boom')", (jid, now, now, now))
        db.commit()
        db.close()
        api("POST", "/admin/jobs/job_opsretryaaaaaaaaaaaaaaaaa/retry")
        api("POST", "/admin/jobs/job_opsretryaaaaaaaaaaaaaaaaa/retry")   # 409: queued now
        api("POST", "/admin/jobs/job_nosuchjob/retry")                   # 404
        api("POST", "/admin/jobs/retry?kind=ops.test")
        api("GET", "/v1/no-such-thing")                  # 404
        api("DELETE", "/v1/regions")                     # 405
        api("POST", "/v1/calculate", raw="{not json")    # 400
        api("POST", "/v1/connections", {"provider": "rillet", "api_key": "rk_wrong_0000"})  # 422
        api("POST", "/v1/connections", {"provider": "rillet"})                              # 422
        api("GET", "/v1/regions")
        api("GET", "/v1/regions/US-CA")
        st, js, _, _ = api("GET", "/v1/regions")
        for r in js["data"]:
            if r["code"].startswith("US-") and r["code"] != "US-OR":
                api("PUT", "/v1/regions/" + r["code"], {"subscribed": True, "tax_calculation": True})
        api("PUT", "/v1/regions/US-OR", {"subscribed": True, "tax_calculation": True,
                                         "registration_number": "OR-1", "effective_from": "2026-01-01"})
        api("PUT", "/v1/regions/ZZ-ZZ", {"subscribed": True})  # 404
        api("PUT", "/v1/regions/US-WA", {"subscribed": "yes"})  # 422
        api("GET", "/v1/tax-codes")
        api("GET", "/v1/settings")
        api("PUT", "/v1/settings", {"rounding": "line", "sweep_interval_minutes": 15,
                                    "seller_address": {"line1": "1 Congress Ave", "city": "Austin",
                                                       "state": "TX", "zip_code": "78701",
                                                       "country": "US"}})
        api("PUT", "/v1/settings", {"colour": "blue"})   # 422
        cid, signing = opslib.connect(api, sim_url, key)
        st, js, _, _ = api("GET", "/v1/products?limit=2")
        pid = js["data"][0]["id"]
        api("GET", "/v1/products?limit=500")
        api("GET", "/v1/products?limit=2&cursor=" + (js["next_cursor"] or ""))
        api("GET", "/v1/products/" + pid)
        api("PUT", "/v1/products/" + pid, {"tax_code": "saas"})
        api("PUT", "/v1/products/" + pid, {"tax_code": "no_such_code"})   # 422
        api("GET", "/v1/products/no-such-product")                         # 404
        st, js, _, _ = api("GET", "/v1/customers?limit=3")
        cust = js["data"][0]["id"]
        api("GET", "/v1/customers/" + cust)
        api("PUT", "/v1/customers/" + cust, {"exempt": True, "exempt_regions": ["US-CA"],
                                             "exemption_certificate": "CERT-1",
                                             "exemption_expires": "2027-12-31"})
        api("PUT", "/v1/customers/" + cust, {"exempt": "maybe"})          # 422
        # issue 19: the optional online tax id check, against a local VIES stub (a port the OS
        # picks: a fixed one in the ephemeral range can be taken by any outgoing connection)
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Vies(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = json.dumps({"isValid": True, "requestDate": "2026-03-01T10:00:00.000Z",
                                   "userError": "VALID", "name": "X", "address": "Y"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        vies = ThreadingHTTPServer(("127.0.0.1", 0), Vies)
        threading.Thread(target=vies.serve_forever, daemon=True).start()
        api("POST", "/v1/customers/%s/tax_id/verify" % cust, {})          # 409 (off)
        api("PUT", "/v1/settings", {"tax_id_online": {"enabled": True, "vies_url": "http://127.0.0.1:%d" % vies.server_address[1]}})
        api("PUT", "/v1/customers/" + cust, {"tax_id": "DE136695976"})
        api("POST", "/v1/customers/%s/tax_id/verify" % cust, {})
        api("GET", "/v1/customers/" + cust)
        api("PUT", "/v1/settings", {"tax_id_online": None})
        api("PUT", "/v1/customers/" + cust, {"tax_id": None})
        vies.shutdown()
        # issue 20: exemption certificates (the body is the file; details in the query)
        cq = "number=OPS-1&reason=sst_g&regions=US-CA&issued=2026-01-01&expires=2026-12-31&filename=ops.pdf"
        cbase = "/v1/customers/%s/exemption-certificates" % cust
        st, cert, _, _ = api("POST", cbase + "?" + cq, raw=b"%PDF-1.4\nops test\n%%EOF\n",
                             headers={"Content-Type": "application/pdf"})
        api("POST", cbase + "?" + cq, raw=b"MZ not a pdf", headers={"Content-Type": "application/pdf"})  # 415
        api("POST", cbase + "?number=X&reason=bribery&regions=ZZ-ZZ", raw=b"%PDF-1.4\n")              # 422
        api("GET", cbase)
        api("GET", cbase + "/" + cert["id"])
        api("GET", cbase + "/" + cert["id"] + "/file")
        api("GET", "/v1/exemption-certificates?expiring_within_days=30")
        api("GET", "/v1/exemption-certificates?expiring_within_days=-1")                               # 422
        api("DELETE", cbase + "/" + cert["id"])
        api("GET", cbase + "/cert_000000000000000000000000")                                            # 404
        ca = {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}
        api("POST", "/v1/calculate", {"currency": "USD", "date": "2026-03-01", "ship_to": ca,
                                      "lines": [{"id": "1", "amount": "100.00"},
                                                {"id": "2", "amount": "50.00", "tax_code": "saas",
                                                 "discount": "5.00", "quantity": "2"},
                                                {"id": "3", "amount": "10.00", "tax_inclusive": True}]})
        api("POST", "/v1/calculate", {"currency": "USD", "ship_to": {"state": "AK", "zip_code": "99501",
                                                                     "country": "US"},
                                      "lines": [{"id": "1", "amount": "10.00"}]})   # not_collecting
        api("POST", "/v1/calculate", {"currency": "USD", "ship_to": {"state": "OR", "zip_code": "97201",
                                                                     "country": "US"},
                                      "lines": [{"id": "1", "amount": "10.00"}]})   # no_tax_in_region
        api("POST", "/v1/calculate", {"currency": "USD", "ship_to": {"state": "CA", "zip_code": "00000",
                                                                     "country": "US"},
                                      "lines": [{"id": "1", "amount": "10.00"}]})   # address_unresolved
        api("POST", "/v1/calculate", {"currency": "USD", "lines": [{"id": "1", "amount": "x"}]})  # 422
        api("POST", "/v1/calculate", ["not", "an", "object"])                         # 400
        anon("POST", "/tax_api/calculate_tax",
             {"currency": "usd", "customer_address": {"address1": "2000 Main St", "city": "Irvine",
                                                      "state": "CA", "postal_code": "92614", "country": "US"},
              "line_items": [{"id": "l1", "amount": 10000, "product_id": pid}]},
             headers={"X-API-KEY": TOKEN})
        anon("POST", "/tax_api/calculate_tax", {"currency": "usd"}, headers={"X-API-KEY": TOKEN})
        anon("POST", "/tax_api/calculate_tax", {"currency": "usd"}, headers={"X-API-KEY": "wrong"})
        # the Sphere endpoint's scoped key and the web UI's sessions (issue 15)
        api("GET", "/v1/sphere-api-key")
        st, js, _, _ = api("POST", "/v1/sphere-api-key")
        skey = js["api_key"] if st == 201 else "none"
        anon("POST", "/tax_api/calculate_tax",
             {"currency": "usd", "customer_address": {"address1": "2000 Main St", "city": "Irvine",
                                                      "state": "CA", "postal_code": "92614", "country": "US"},
              "line_items": [{"id": "l1", "amount": 10000}]}, headers={"X-API-KEY": skey})
        api("GET", "/v1/sphere-api-key")
        api("DELETE", "/v1/sphere-api-key")
        # named API tokens (issue 20, tokens22): created, listed, refused twice, revoked
        st, js, _, _ = api("POST", "/v1/tokens", {"name": "Ops Alice"})
        ntok = js["token"] if st == 201 else "none"
        api("POST", "/v1/tokens", {"name": "Ops Alice"})                        # 409
        api("POST", "/v1/tokens", {"name": ""})                                 # 422
        api("GET", "/v1/tokens")
        st, _, _, _ = anon("GET", "/v1/regions", headers={"Authorization": "Bearer " + ntok})
        check("a named token opens /v1", st == 200, st)
        # tokens23: a full token may not make tokens (403 admin_required), opens the Sphere
        # endpoint; the audit log's people
        anon("POST", "/v1/tokens", {"name": "Ops Eve"}, headers={"Authorization": "Bearer " + ntok})
        # admin23: who am I; the Sphere key is an admin's (403 admin_required to a full token)
        st, js, _, _ = anon("GET", "/v1/me", headers={"Authorization": "Bearer " + ntok})
        check("GET /v1/me of a full token: role full, may not touch secrets",
              st == 200 and js.get("role") == "full" and js.get("may", {}).get("secrets") is False, js)
        api("GET", "/v1/me")
        anon("GET", "/v1/me")                                                   # 401
        st, js, _, _ = anon("POST", "/v1/sphere-api-key", headers={"Authorization": "Bearer " + ntok})
        check("a full token creating the Sphere key: 403 admin_required",
              st == 403 and (js or {}).get("error", {}).get("code") == "admin_required", js)
        anon("POST", "/tax_api/calculate_tax",
             {"currency": "usd", "customer_address": {"address1": "2000 Main St", "city": "Irvine",
                                                      "state": "CA", "postal_code": "92614", "country": "US"},
              "line_items": [{"id": "l1", "amount": 10000}]}, headers={"X-API-KEY": ntok})
        api("GET", "/v1/audit/people")
        api("DELETE", "/v1/tokens/Ops%20Alice")
        api("DELETE", "/v1/tokens/Ops%20Alice")                                 # 404
        r = subprocess.run([LEVY, "signin", "--data-dir", data], capture_output=True, text=True, timeout=30)
        code = r.stdout.split("#signin=")[1].split()[0] if "#signin=" in r.stdout else "none"
        st, js, _, _ = anon("POST", "/v1/session", {"code": code})
        anon("POST", "/v1/session", {"code": code})                              # 401 (used)
        anon("POST", "/v1/session", {"code": code, "extra": 1})                  # 422
        anon("POST", "/v1/session", {"api_token": TOKEN})
        sess = {"Authorization": "Bearer " + (js or {}).get("session_token", "none")}
        st, _, _, _ = anon("GET", "/v1/regions", headers=sess)
        check("a browser session opens /v1", st == 200, st)
        anon("DELETE", "/v1/session", headers=sess)
        st, js, _, _ = api("GET", "/v1/invoices?limit=500")
        invs = js["data"]
        api("GET", "/v1/invoices?limit=1")
        api("GET", "/v1/invoices?tax_status=written")
        api("GET", "/v1/invoices?limit=0")              # 422
        for d in invs[:4]:
            api("GET", "/v1/invoices/" + d["id"])
        written = [d for d in invs if d["tax_status"] in ("written", "calculated")]
        check("some invoices were taxed (the test sees real taxes)", written, [d["tax_status"] for d in invs])
        for d in written[:2]:
            api("GET", "/v1/invoices/" + d["id"])
        api("POST", "/v1/invoices/%s/recalculate" % invs[0]["id"])
        api("GET", "/v1/invoices/no-such-invoice")
        st, js, _, _ = api("GET", "/v1/credit-memos")
        for d in js["data"][:2]:
            api("GET", "/v1/credit-memos/" + d["id"])
            api("POST", "/v1/credit-memos/%s/recalculate" % d["id"])
        st, js, _, _ = api("GET", "/v1/reports/liability?from=2026-01-01&to=2026-12-31")
        check("liability report has rows (taxes were written)", st == 200 and js["data"], js)
        api("GET", "/v1/reports/liability?from=2026-01-01&to=2026-12-31&region=US-CA")
        st, _, text, rh = api("GET", "/v1/reports/liability?from=2026-01-01&to=2026-12-31&format=csv")
        check("liability CSV", st == 200 and "text/csv" in rh.get("Content-Type", "") and
              text.startswith("region,jurisdiction,level,type,currency,taxable,tax"), text[:120])
        api("GET", "/v1/reports/liability?from=2026-02-01&to=2026-01-01")   # 422
        api("GET", "/v1/reports/exposure")
        # issue 20: the filing-ready report, its drill-down and the filing frequencies
        api("PUT", "/v1/reports/filing-frequencies/US-CA", {"frequency": "month"})
        api("PUT", "/v1/reports/filing-frequencies/US-CA", {"frequency": "weekly"})  # 422
        api("GET", "/v1/reports/filing-frequencies")
        api("GET", "/v1/reports/filing?from=2026-01-01&to=2026-12-31")
        api("GET", "/v1/reports/filing?from=2026-01-01&to=2026-12-31&format=csv")
        api("GET", "/v1/reports/filing?from=2026-01-01&to=2026-12-31&frequency=weekly")  # 422
        api("GET", "/v1/reports/filing/documents?from=2026-01-01&to=2026-12-31&region=US-CA")
        # reportperf II: the documents export as a job, its progress and its parts
        st, x, _, _ = api("POST", "/v1/reports/filing/exports", {"from": "2026-01-01", "to": "2026-12-31"})
        api("POST", "/v1/reports/filing/exports", {"from": "2026-01-01", "to": "2026-12-31", "format": "x"})  # 422
        api("GET", "/v1/reports/filing/exports")
        if st == 202:
            wait_for(lambda: api("GET", "/v1/reports/filing/exports/" + x["id"])[1].get("state") == "done", 60)
            api("GET", "/v1/reports/filing/exports/" + x["id"] + "/parts/1")
        # the filing summary's kept sums: state, a check, a rebuild
        api("GET", "/v1/reports/not-collected?from=2026-01-01&to=2026-12-31&limit=5")
        api("GET", "/v1/reports/not-collected?from=2026-01-01&to=2026-12-31&limit=0")  # 422
        api("GET", "/v1/reports/filing/sums")
        api("POST", "/v1/reports/filing/sums/check")
        api("POST", "/v1/reports/filing/sums/rebuild")
        # "recount kept sums" (issue 20 operations): started, and its state
        api("POST", "/v1/store/recount")
        api("GET", "/v1/store/recount")
        # issue 20: the EU OSS view in EUR and the ECB rate files it converts with
        ecb = ("Date,USD,JPY,GBP,CAD,AUD,CHF,SEK,NZD,SGD,\n" +
               "".join("%s,1.0850,160.10,0.85210,1.4700,1.6500,0.9500,11.2000,1.7900,1.4500,\n" % d
                       for d in ("2026-12-31", "2026-09-30", "2026-06-30", "2026-03-31")))
        st, fx, _, _ = api("POST", "/v1/reports/fx-rates", raw=ecb, headers={"Content-Type": "text/csv"})
        api("POST", "/v1/reports/fx-rates", raw="Date,USD,\n2026-03-31,x,\n", headers={"Content-Type": "text/csv"})  # 422
        api("GET", "/v1/reports/fx-rates")
        api("GET", "/v1/reports/fx-rates/%s" % ((fx or {}).get("id") or 0))
        api("GET", "/v1/reports/oss?period=2026-Q1")
        api("GET", "/v1/reports/oss?period=2026-Q1&format=csv")
        api("GET", "/v1/reports/oss?period=2026-13")  # 422
        # issue 20: the lists' search, filters, sort, total and CSV
        api("GET", "/v1/invoices?q=INV&from=2026-01-01&to=2026-12-31&sort=-date&limit=5")
        api("GET", "/v1/invoices?format=csv")
        api("GET", "/v1/credit-memos?sort=number&limit=5")
        api("GET", "/v1/invoices?sort=amount")                           # 422
        api("GET", "/v1/products?q=a&tax_code_source=default")
        api("GET", "/v1/products?format=csv")
        api("GET", "/v1/customers?q=in&limit=5")
        api("GET", "/v1/customers?format=csv")
        api("GET", "/v1/reports/exposure?as_of=2026-06-30")
        # issue 20: physical presence, marketplace flags, drill-down (plugins/reports/exposure.lua)
        st, pres, _, _ = api("POST", "/v1/reports/presence", {"region": "US-NV", "kind": "office", "from": "2026-01-05"})
        api("POST", "/v1/reports/presence", {"region": "Nevada", "kind": "office", "from": "2026-01-05"})  # 422
        api("GET", "/v1/reports/presence")
        api("PUT", "/v1/reports/marketplace/customers/" + invs[0].get("customer_id", "c1"), {"marketplace": True})
        api("PUT", "/v1/reports/marketplace/invoices/" + invs[0]["id"], {"marketplace": False})
        api("PUT", "/v1/reports/marketplace/credit-memos/cm-x", {"marketplace": None})
        api("GET", "/v1/reports/marketplace")
        api("GET", "/v1/reports/exposure/US-NV/documents")
        api("GET", "/v1/reports/exposure/US-CA/documents?as_of=2026-06-30")
        api("GET", "/v1/reports/exposure/US-ZZ/documents")  # 404
        api("DELETE", "/v1/reports/presence/%d" % pres["id"])
        # issue 20 (audit20): the audit log of the changes above, its filters, CSV and a 422
        api("GET", "/v1/audit?limit=5")
        api("GET", "/v1/audit?action=presence.&object_kind=region&object_id=US-NV")
        api("GET", "/v1/audit?format=csv")
        api("GET", "/v1/audit?from=2026-02-30")  # 422
        # webhook intake
        hook = "/webhooks/rillet/" + cid
        body = json.dumps({"id": "v1", "name": "a vendor"}).encode()
        hdr = {"X-Rillet-Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "X-Rillet-Id": str(uuid.uuid4()), "X-Rillet-Entity": "VENDOR", "X-Rillet-Event": "CREATED"}
        good = dict(hdr, **{"X-Rillet-Signature": opslib.sign(signing, hdr["X-Rillet-Timestamp"],
                                                              hdr["X-Rillet-Id"], "VENDOR", "CREATED", body)})
        anon("POST", hook, raw=body, headers=hdr)                                             # 400
        anon("POST", hook, raw=body, headers=dict(hdr, **{"X-Rillet-Signature": "AAAA"}))     # 401
        st, js, _, _ = anon("POST", hook, raw=body, headers=good)
        check("signed webhook -> 200 received", st == 200 and js == {"received": True, "duplicate": False}, js)
        st, js, _, _ = anon("POST", hook, raw=body, headers=good)
        check("repeated webhook -> duplicate", st == 200 and js.get("duplicate") is True, js)
        anon("POST", "/webhooks/rillet/con_nosuch", raw=body, headers=good)                  # 404
        api("GET", "/v1/connections")
        api("POST", "/v1/connections/%s/sync" % cid)
        api("POST", "/v1/connections/%s/reconcile" % cid)
        api("GET", "/v1/reconciliation?connection_id=" + cid)
        api("GET", "/v1/reconciliation?limit=0")                                              # 422
        st, js, text, _ = api("PATCH", "/v1/connections/" + cid, {"manual_tax": "respect_manual",
                                                                  "tax_documents_from": "2026-01-01"})
        check("PATCH connection scope -> 200", st == 200 and js["tax_scope"]["tax_documents_from"] == "2026-01-01", text[:200])
        # a change re-checks the connection's documents in a bulk run (GET /v1/bulk/{id})
        st, js, text, _ = api("PATCH", "/v1/connections/" + cid, {"tax_partially_credited": True})
        run_id = ((js or {}).get("requeue") or {}).get("id") if st == 200 else None
        check("PATCH connection scope change -> 200 with a bulk run", st == 200 and run_id, text[:200])
        if run_id:
            api("GET", "/v1/bulk/" + run_id)
        api("PATCH", "/v1/connections/" + cid, {"tax_partially_credited": False})
        api("GET", "/v1/bulk")
        api("GET", "/v1/bulk?state=sometimes")                                                 # 422
        api("GET", "/v1/bulk/bulk_nosuch")                                                     # 404
        api("PATCH", "/v1/connections/" + cid, {"manual_tax": "sometimes"})                  # 422
        api("PATCH", "/v1/connections/" + cid, {"tax_documents_from": "2026-02-30"})          # 422
        api("GET", "/v1/invoices?reason=outside_window")
        st, js, text, _ = api("POST", "/v1/connections/%s/backfill" % cid, {"from": "2025-01-01", "to": "2025-12-31"})
        check("backfill preview -> 200", st == 200 and js.get("status") == "preview", text[:200])
        api("POST", "/v1/connections/%s/backfill?confirm=true" % cid, {"from": "2025-01-01", "to": "2025-12-31"})
        api("POST", "/v1/connections/%s/backfill" % cid, {"from": "2025-12-31", "to": "2025-01-01"})  # 422
        api("GET", "/v1/connections/%s/backfill" % cid)
        # issue 17: the connection's own regions and settings (legal entities)
        api("GET", "/v1/connections/%s/regions" % cid)
        api("GET", "/v1/connections/%s/regions/US-OR" % cid)
        api("PUT", "/v1/connections/%s/regions/US-OR" % cid, {"subscribed": False})
        api("PUT", "/v1/connections/%s/regions/US-OR" % cid, {"subscribed": "no"})           # 422
        api("DELETE", "/v1/connections/%s/regions/US-OR" % cid)
        api("GET", "/v1/connections/con_nosuch/regions/US-OR")                               # 404
        api("GET", "/v1/connections/%s/settings" % cid)
        api("PUT", "/v1/connections/%s/settings" % cid, {"rounding": "document"})
        api("PUT", "/v1/connections/%s/settings" % cid, {"rounding": None})
        api("PUT", "/v1/connections/%s/settings" % cid, {"colour": "blue"})                  # 422
        api("POST", "/v1/calculate?connection_id=" + cid, {"currency": "USD", "ship_to": {"country": "US",
            "state": "OR", "zip_code": "97201"}, "lines": [{"id": "1", "amount": "10.00"}]})
        # a preview as a job (?async=true): 202 previewing, then GET .../previews/{id}
        st, js, text, _ = api("POST", "/v1/connections/%s/backfill?async=true" % cid, {"from": "2025-01-01", "to": "2025-12-31"})
        check("backfill preview ?async=true -> 202 previewing", st == 202 and js.get("status") == "previewing", text[:200])
        if st == 202:
            api("GET", "/v1/connections/%s/backfill/previews/%s" % (cid, js["id"]))
            api("GET", "/v1/bulk/" + js["id"])                                               # kind backfill_preview
            api("GET", "/v1/bulk")
        api("GET", "/v1/connections/%s/backfill/previews/bfp_nosuch" % cid)                   # 404
        # in-place repair (issue 17): the same key again, a refused key, a re-run of the import
        st, js, text, _ = api("POST", "/v1/connections/%s/api-key" % cid, {"api_key": key})
        check("POST api-key -> 200 with health", st == 200 and js.get("health", {}).get("state"), text[:200])
        api("POST", "/v1/connections/%s/api-key" % cid, {"api_key": "rk_wrong_0000"})       # 422
        st, js, text, _ = api("POST", "/v1/connections/%s/import" % cid)
        check("POST import -> 202", st == 202 and js.get("status") == "queued", text[:200])
        api("GET", "/v1/connections/con_nosuch")                                              # 404
        api("DELETE", "/v1/connections/" + cid)
        api("GET", "/v1/connections/" + cid)
        # validate everything seen
        hit = set()
        seen = api.seen + anon.seen
        bad = 0
        for method, path, st, js, text, rh in seen:
            tmpl, op = spec.find(method, path)
            what = "%s %s -> %s" % (method, path.split("?")[0], st)
            if op is None and st in (404, 405):
                # no operation for an unknown path or method: the common error shape applies
                errs = spec.validate({"$ref": "#/components/schemas/Error"}, js)
                if not check_quiet(not errs, "%s: breaks the Error schema: %s" % (what, errs)):
                    bad += 1
                continue
            if not check_quiet(op is not None, "undocumented operation: " + what):
                bad += 1
                continue
            found, media = spec.response_schema(op, st)
            if not check_quiet(found, "status not documented: %s (operation %s %s)" % (what, method, tmpl)):
                bad += 1
                continue
            if 200 <= st < 300:
                hit.add((method, tmpl))
            if st == 204 or not media:
                if not check_quiet(text == "", "%s: documented without a body, got %r" % (what, text[:80])):
                    bad += 1
                continue
            ctype = next((v for k, v in rh.items() if k.lower() == "content-type"), "")
            ctype = ctype.split(";")[0].strip().lower()
            if not check_quiet(ctype in media, "%s: Content-Type %r not documented (%s)" %
                               (what, ctype, sorted(media))):
                bad += 1
                continue
            if ctype == "application/json":
                if js is None and text:
                    check_quiet(False, "%s: body is not JSON: %r" % (what, text[:120]))
                    bad += 1
                    continue
                errs = spec.validate(media["application/json"], js)
                if not check_quiet(not errs, "%s: body breaks the schema: %s" % (what, errs[:5])):
                    bad += 1
        check("%d real responses validated against docs/openapi.yaml" % len(seen), bad == 0, bad)
        statuses = {st for _, _, st, _, _, _ in seen}
        for want in (200, 201, 202, 204, 400, 401, 404, 405, 422):
            check("the run saw a %d" % want, want in statuses, sorted(statuses))
        for m, t in sorted(documented):
            check("documented %s %s answered 2xx in the run" % (m, t), (m, t) in hit)
    finally:
        lv.stop()
        sim.stop()


# ---- Debian package ------------------------------------------------------------------------

CONTRACT_ENV = ["LEVY_LISTEN", "LEVY_DATA_DIR", "LEVY_PLUGINS", "LEVY_SCRIPTS", "LEVY_PUBLIC_URL",
                "LEVY_API_TOKEN", "LEVY_MASTER_KEY", "LEVY_RILLET_URL", "LEVY_WATCH",
                "LEVY_LOG_FORMAT", "LEVY_TLS_CERT", "LEVY_TLS_KEY"]


def build_packages(tmp):
    """cpack -G DEB on this build dir -> {"levy": deb, "levy-sim": deb, "levy-dbgsym": ddeb}, or
    None (a failed check says why)."""
    import time
    build = os.path.dirname(LEVY)
    conf = os.path.join(build, "CPackConfig.cmake")
    if not check("build dir has CPackConfig.cmake", os.path.exists(conf), conf):
        return None
    t0 = time.time()
    out = os.path.join(tmp, "pkg")
    r = subprocess.run([os.environ.get("LEVY_CPACK", "cpack"), "-G", "DEB", "--config", conf, "-B", out],
                       capture_output=True, text=True, timeout=300)
    files = sorted(f for f in os.listdir(out) if f.endswith((".deb", ".ddeb"))) if os.path.isdir(out) else []
    names = {f.split("_")[0]: os.path.join(out, f) for f in files}
    if not check("cpack -G DEB builds levy, levy-sim (.deb) and levy-dbgsym (.ddeb)",
                 r.returncode == 0 and sorted(names) == ["levy", "levy-dbgsym", "levy-sim"]
                 and names["levy-dbgsym"].endswith(".ddeb") and len(files) == 3,
                 (files, r.stdout[-2000:] + r.stderr[-2000:])):
        return None
    print("  (cpack took %.1f s)" % (time.time() - t0))
    return names


def case_package(tmp):
    import re
    pkgs = build_packages(tmp)
    if not pkgs:
        return
    deb = pkgs["levy"]
    info = subprocess.run(["dpkg-deb", "-f", deb], capture_output=True, text=True).stdout
    check("package name levy", re.search(r"^Package: levy$", info, re.M), info)
    dep = re.search(r"^Depends: (.*)$", info, re.M)
    dep = dep.group(1) if dep else ""
    # libcurl4 and libpq5 are dlopened on first use (core/http/curl_dl.h, core/store/pq_dl.h):
    # dpkg-shlibdeps cannot see them, CMakeLists.txt names them
    for want in ("adduser", "liblua5.4", "libsqlite3", "libssl3", "libevent", "libcurl4 (>= 7.85.0)",
                 "libpq5 (>= 14)", "lua-cjson"):
        check("Depends names %s" % want, want in dep, dep)
    desc = subprocess.run(["dpkg-deb", "-f", deb, "Description"], capture_output=True, text=True).stdout
    check("levy has an extended description (several lines)", len(desc.strip().splitlines()) >= 5, desc)
    check("levy Suggests levy-sim", re.search(r"^Suggests: .*levy-sim", info, re.M), info)
    sim_info = subprocess.run(["dpkg-deb", "-f", pkgs["levy-sim"]], capture_output=True, text=True).stdout
    check("levy-sim is Architecture: all and Depends: levy (= this version)",
          re.search(r"^Architecture: all$", sim_info, re.M) and
          re.search(r"^Depends: levy \(= [0-9][^)]*\)$", sim_info, re.M), sim_info)
    dbg_info = subprocess.run(["dpkg-deb", "-f", pkgs["levy-dbgsym"]], capture_output=True, text=True).stdout
    check("levy-dbgsym Depends: levy (= this version)",
          re.search(r"^Depends: levy \(= [0-9][^)]*\)$", dbg_info, re.M), dbg_info)
    ctl = os.path.join(tmp, "control")
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
    with open(os.path.join(ctl, "conffiles")) as f:
        check("/etc/levy/levy.env is a conffile", "/etc/levy/levy.env" in f.read().split())
    with open(os.path.join(ctl, "postinst")) as f:
        post = f.read()
    check("postinst creates the levy system user", "adduser --system" in post and " levy" in post)
    check("postinst scripts are executable",
          all(os.access(os.path.join(ctl, n), os.X_OK) for n in ("postinst", "prerm", "postrm")))
    for n in ("postinst", "prerm", "postrm"):
        r = subprocess.run(["sh", "-n", os.path.join(ctl, n)], capture_output=True, text=True)
        check("%s is valid sh" % n, r.returncode == 0, r.stderr)
        with open(os.path.join(ctl, n)) as f:
            raw = [ln.strip() for ln in f if re.match(r"\s*systemctl\b", ln)]
        check("%s calls systemctl only for daemon-reload (deb-systemd-helper/-invoke otherwise)" % n,
              all("daemon-reload" in ln for ln in raw), raw)
    check("postinst enables with deb-systemd-helper and starts with deb-systemd-invoke",
          "deb-systemd-helper enable 'levy.service'" in post and "deb-systemd-invoke $_dh_action" in post, post)
    with open(os.path.join(ctl, "prerm")) as f:
        check("prerm stops with deb-systemd-invoke", "deb-systemd-invoke stop 'levy.service'" in f.read())
    with open(os.path.join(ctl, "postrm")) as f:
        check("postrm masks/purges with deb-systemd-helper", "deb-systemd-helper purge 'levy.service'" in f.read())
    root = os.path.join(tmp, "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
    for path in ("usr/bin/levy", "usr/share/levy/plugins/api/handler.lua",
                 "usr/share/levy/plugins/rillet/mapping.lua", "usr/share/levy/plugins/admin/handler.lua",
                 "usr/share/levy/scripts/us/ca.lua", "usr/share/levy/scripts/eu/vat.lua",
                 "usr/share/levy/data/intl/national.csv", "usr/share/levy/web/index.html",
                 "usr/share/levy/docs/openapi.yaml", "usr/share/doc/levy/operations.md",
                 "usr/lib/systemd/system/levy.service", "etc/levy/levy.env",
                 "usr/share/man/man1/levy.1.gz", "usr/share/doc/levy/copyright",
                 "usr/share/doc/levy/changelog.gz", "usr/share/doc/levy/README.data.md"):
        check("package holds /" + path, os.path.isfile(os.path.join(root, path)))
    check("the levy package has no simulator (plugins/sim is levy-sim's)",
          not os.path.exists(os.path.join(root, "usr/share/levy/plugins/sim")))
    ftype = subprocess.run(["file", "-b", os.path.join(root, "usr/bin/levy")], capture_output=True, text=True).stdout
    check("/usr/bin/levy is stripped", ", stripped" in ftype, ftype)
    dbg = subprocess.run(["dpkg-deb", "-c", pkgs["levy-dbgsym"]], capture_output=True, text=True).stdout
    bid = re.search(r"BuildID\[sha1\]=([0-9a-f]+)", ftype)
    check("levy-dbgsym holds the debug file of /usr/bin/levy's build id",
          bid and "usr/lib/debug/.build-id/%s/%s.debug" % (bid.group(1)[:2], bid.group(1)[2:]) in dbg, (ftype, dbg))
    with open(os.path.join(root, "usr/share/doc/levy/copyright")) as f:
        cright = f.read()
    check("copyright is machine-readable (DEP-5)",
          cright.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"))
    for src in ("data/us/avalara-zip5-2025-12/*", "data/us/cdtfa-2026-01/*", "data/us/sst-2026q2/*",
                "data/intl/ibericode-vat-rates.json"):
        check("copyright has a Files: paragraph for %s" % src, "\nFiles: %s\n" % src in cright)
    # every third-party table of data/README.md is covered by a Files: pattern of the copyright
    import fnmatch
    pats = re.findall(r"^Files: (.*)$", cright, re.M)
    third = []
    for dp, _, fs in os.walk(os.path.join(SRC, "data")):
        for fn in fs:
            rel = os.path.relpath(os.path.join(dp, fn), SRC)
            if not re.match(r"data/(ca/rates|intl/national|intl/foreign-seller-thresholds|us/overlays|us/economic-nexus)\.csv$|data/README\.md$", rel):
                third.append(rel)
    uncovered = [t for t in third if not any(fnmatch.fnmatch(t, p) for ps in pats for p in ps.split() if p != "*")]
    check("every third-party file under data/ has its own copyright paragraph", not uncovered, uncovered)
    man = subprocess.run(["sh", "-c", "gzip -dc '%s' | MANWIDTH=100 man -l - 2>&1" %
                          os.path.join(root, "usr/share/man/man1/levy.1.gz")],
                         capture_output=True, text=True).stdout
    ver = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True).stdout.strip()
    check("levy(1) names the package's version (levy %s)" % ver, ver and ("levy " + ver) in man, man[-300:])
    usage = run("--help").stdout
    cmds = re.findall(r"^  ([a-z][a-z-]+)(?: |$)", usage.split("\nflags")[0], re.M)
    flags = set(re.findall(r"(--[a-z][a-z-]+)", usage))
    check("levy --help lists the commands (test self-check)", "serve" in cmds and "reload" in cmds, cmds)
    for c in cmds:
        check("levy(1) describes the command %s" % c, re.search(r"^\s+%s\b" % re.escape(c), man, re.M), c)
    for fl in sorted(flags):
        check("levy(1) describes the flag %s" % fl, fl in man, fl)
    check("/usr/bin/levy is executable", os.access(os.path.join(root, "usr/bin/levy"), os.X_OK))
    check("levy.env is not world-readable (may hold secrets)",
          re.search(r"^-rw-r----- \S+ +\d+ [^\n]* \./etc/levy/levy\.env$", listing, re.M), listing[:300])
    with open(os.path.join(root, "usr/lib/systemd/system/levy.service")) as f:
        unit = f.read()
    for line in ("User=levy", "ProtectSystem=strict", "StateDirectory=levy", "NoNewPrivileges=yes",
                 "ExecReload=/usr/bin/levy reload", "Restart=on-failure", "Type=notify",
                 "WatchdogSec=", "NotifyAccess=main",
                 "EnvironmentFile=-/etc/levy/levy.env", "Environment=LEVY_DATA_DIR=/var/lib/levy",
                 "ExecStart=/usr/bin/levy serve"):
        check("levy.service has %s" % line, re.search(r"^" + re.escape(line), unit, re.M))
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                            os.path.join(root, "usr/lib/systemd/system/levy.service")],
                           capture_output=True, text=True)
        msgs = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()
                and "/usr/bin/levy is not executable" not in ln]  # the package is not installed here
        check("systemd-analyze verify levy.service: no complaints", not msgs, msgs)
    with open(os.path.join(root, "etc/levy/levy.env")) as f:
        env = f.read()
    usage = run("--help").stdout
    names = set(CONTRACT_ENV) | set(re.findall(r"\[(LEVY_[A-Z_]+)", usage)) | \
        set(re.findall(r"(LEVY_[A-Z_]+)", usage.split("flags")[1] if "flags" in usage else ""))
    for name in sorted(names):
        check("levy.env documents %s (commented)" % name, re.search(r"^#%s=" % name, env, re.M))
    check("levy.env sets nothing by default",
          not [ln for ln in env.splitlines() if ln.strip() and not ln.startswith("#")])
    # the extracted binary finds its own share dir (<exe>/../share/levy): prove it with a
    # broken rule that only the extracted tree has
    exe = os.path.join(root, "usr/bin/levy")
    env0 = {"HOME": tmp, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([exe, "check"], capture_output=True, text=True, cwd=tmp, env=env0, timeout=120)
    check("extracted levy check -> 0 without flags", r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:])
    check("levy check loaded the installed plugins and rules",
          "plugins/rillet/handler.lua" in r.stdout and "scripts/us/ca.lua" in r.stdout, r.stdout[-500:])
    broken = os.path.join(root, "usr/share/levy/scripts/zz")
    os.makedirs(broken)
    with open(os.path.join(broken, "broken.lua"), "w") as f:
        f.write("return {  -- a syntax error only the extracted tree has\n")
    r = subprocess.run([exe, "check"], capture_output=True, text=True, cwd=tmp, env=env0, timeout=120)
    check("extracted levy check reads /usr/share/levy/scripts (a broken rule there fails it)",
          r.returncode == 1 and "broken.lua" in (r.stdout + r.stderr), r.stdout[-800:] + r.stderr[-800:])
    shutil.rmtree(broken)
    # and serves: web UI, openapi, a calculation that needs scripts + rate data
    port = opslib.free_port()
    data = os.path.join(tmp, "var-lib-levy")
    p = opslib.Proc([exe, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data],
                    os.path.join(tmp, "levy.log"), env0)
    url = "http://127.0.0.1:%d" % port
    try:
        up = wait_for(lambda: p.p.poll() is not None or opslib.req("GET", url + "/healthz")[0] == 200, 60)
        if not check("extracted levy serve starts without flags", up and p.p.poll() is None, p.log()[-2000:]):
            return
        tok_path = os.path.join(data, "api-token")
        check("API token generated into the data dir (0600)",
              os.path.exists(tok_path) and os.stat(tok_path).st_mode & 0o777 == 0o600)
        check("master key generated into the data dir (0600)",
              os.stat(os.path.join(data, "master.key")).st_mode & 0o777 == 0o600)
        with open(tok_path) as f:
            tok = f.read().strip()
        api = Client(url, {"Authorization": "Bearer " + tok})
        st, _, text, _ = api("GET", "/")
        check("serves the installed web UI", st == 200 and "<html" in text.lower(), (st, text[:200]))
        with open(os.path.join(root, "usr/share/levy/docs/openapi.yaml")) as f:
            check("serves the installed openapi.yaml", api("GET", "/openapi.yaml")[2] == f.read())
        st, _, text, _ = api("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True})
        check("installed rules know US-CA", st == 200, text)
        st, js, text, _ = api("POST", "/v1/calculate", {
            "currency": "USD", "date": "2026-03-01",
            "ship_to": {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614",
                        "country": "US"},
            "lines": [{"id": "1", "amount": "100.00"}]})
        check("a calculation with the installed rules and rate data", st == 200 and js["total_tax"] == "7.75",
              text[:500])
        st, js, text, _ = api("GET", "/admin/generation")
        check("generation lists the installed files", st == 200 and
              any(f["path"].endswith("scripts/us/ca.lua") for f in js["files"]), text[:300])
    finally:
        check("extracted levy stops cleanly on SIGTERM", p.stop() == 0)
    # the production package alone: levy sim / levy demo name the levy-sim package
    for cmd in ("sim", "demo"):
        r = subprocess.run([exe, cmd, "--data-dir", os.path.join(tmp, "d-" + cmd)], capture_output=True,
                           text=True, cwd=tmp, env=env0, timeout=60)
        check("extracted levy %s without levy-sim: exit 1 naming levy-sim" % cmd,
              r.returncode == 1 and "levy-sim" in r.stderr, (r.returncode, r.stderr[-500:]))
    subprocess.run(["dpkg-deb", "-x", pkgs["levy-sim"], root], check=True)
    r = subprocess.run([exe, "check"], capture_output=True, text=True, cwd=tmp, env=env0, timeout=120)
    check("with levy-sim unpacked, levy check loads plugins/sim from it",
          r.returncode == 0 and "plugins/sim/handler.lua" in r.stdout, r.stdout[-800:] + r.stderr[-500:])


INSTALL_SETUP = r"""
set -e
R="$1"; shift
mount -t tmpfs tmpfs "$R"
mkdir -p "$R/upper" "$R/work" "$R/root"
mount -t overlay overlay -o lowerdir=/,upperdir="$R/upper",workdir="$R/work" "$R/root"
mount -t proc proc "$R/root/proc"
mount --rbind /dev "$R/root/dev"
mount -t tmpfs tmpfs "$R/root/tmp"
mount -t tmpfs tmpfs "$R/root/run"
mkdir -p "$R/root/tmp/pkg"
cp "$@" "$R/root/tmp/pkg/"
exec chroot "$R/root" python3 /tmp/pkg/install_inner.py /tmp/pkg "$PORT"
"""


def case_install(tmp):
    """dpkg -i / upgrade / -r / -P of the packages on a real dpkg, in a chroot on a throw-away
    overlay of / in a private mount namespace (needs root and mount namespaces, as CI's unshare
    -n; exit 77 = skipped otherwise): tests/e2e/ops/install_inner.py says what it checks."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("chroot"):
        print("SKIP: needs root, unshare and chroot")
        sys.exit(77)
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt && umount /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: no mount namespace here: %s" % probe.stderr.strip())
        sys.exit(77)
    pkgs = build_packages(tmp)
    if not pkgs:
        return
    root = os.path.join(tmp, "ov")
    os.makedirs(root)
    port = opslib.free_port()
    here = os.path.dirname(os.path.abspath(__file__))
    # unshare, sh and chroot exec one another: install_inner.py is this process's child and
    # gets SIGTERM when this test dies, even by SIGKILL; levy, its child as the levy user, gets
    # SIGKILL when install_inner.py dies (harness.as_user); the overlay goes with the mount
    # namespace, the folder under tmp with this process (main: opslib.harness.tmpdir)
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", INSTALL_SETUP, "sh", root,
                        pkgs["levy"], pkgs["levy-sim"], os.path.join(here, "install_inner.py"),
                        os.path.join(os.path.dirname(here), "harness.py")],
                       capture_output=True, text=True, timeout=600, env=dict(os.environ, PORT=str(port)),
                       preexec_fn=opslib.harness.pdeathsig_preexec())
    print(r.stdout.rstrip())
    check("the packages' life cycle in the chroot (install_inner.py) passed", r.returncode == 0,
          r.stderr[-3000:])


def case_lintian(tmp):
    """lintian (Debian's package checker) on the three packages: no tag at all, E/W/I and
    pedantic, but the overrides shipped in core/dist/*.lintian-overrides, each preceded by a
    comment that justifies it."""
    import re
    pkgs = build_packages(tmp)
    if not pkgs:
        return
    for name in ("levy", "levy-sim"):
        path = os.path.join(SRC, "core/dist/%s.lintian-overrides" % name)
        if not os.path.exists(path):  # nothing to override: no file shipped (CMakeLists.txt)
            continue
        with open(path) as f:
            lines = f.read().splitlines()
        for i, ln in enumerate(lines):
            if ln.strip() and not ln.startswith("#"):
                check("override '%s' of %s is justified by the comment above it" % (ln, name),
                      i > 0 and lines[i - 1].startswith("#") and lines[i - 1].strip() != "#", lines[max(0, i - 2):i + 1])
    # lintian cannot tell, without the source package, whether the dbgsym doc symlink points into
    # a package of the same source; the check below proves it (Depends: levy (= version)).
    suppress = "cannot-check-whether-usr-share-doc-symlink-points-to-foreign-package"
    dbg = subprocess.run(["dpkg-deb", "-f", pkgs["levy-dbgsym"], "Depends", "Version"], capture_output=True,
                         text=True).stdout
    ver = re.search(r"^Version: (\S+)", dbg, re.M)
    check("levy-dbgsym's doc symlink target levy is the same build (Depends: levy (= its version))",
          ver and "levy (= %s)" % ver.group(1) in dbg, dbg)
    r = subprocess.run(["lintian", "--display-info", "--pedantic", "--show-overrides", "--suppress-tags", suppress,
                        pkgs["levy"], pkgs["levy-sim"], pkgs["levy-dbgsym"]],
                       capture_output=True, text=True, timeout=600)
    tags = [ln for ln in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", ln)]
    overridden = [ln for ln in r.stdout.splitlines() if ln.startswith("O: ")]
    print("  lintian: %d tag(s), %d overridden" % (len(tags), len(overridden)))
    for ln in overridden:
        print("   " + ln)
    check("lintian ran (exit 0 or 2)", r.returncode in (0, 2), r.stderr[-1500:])
    check("lintian finds nothing (E/W/I/P) on levy, levy-sim, levy-dbgsym", not tags, tags)
    check("every shipped override is used (no stale override)",
          not [t for t in tags if "unused-override" in t or "mismatched-override" in t], tags)


def check_quiet(cond, what):
    if not cond:
        check(what, False)
    return cond


CASES = {"backup": case_backup, "openapi": case_openapi, "package": case_package, "lintian": case_lintian,
         "install": case_install,
         "upgrade": case_upgrade, "make-fixture": case_make_fixture}


def main():
    case = sys.argv[3] if len(sys.argv) > 3 else "backup"
    tmp = opslib.harness.tmpdir(prefix="levy-ops-%s-" % case)  # removed even if this test is killed
    try:
        CASES[case](tmp)
    except Exception as e:  # a crash is a failure, with its logs
        import traceback
        traceback.print_exc()
        check("case %s ran to the end" % case, False, e)
    if opslib.FAILS:
        for name in ("levy.log", "sim.log", "levy2.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    print("---- %s (tail) ----\n%s" % (name, f.read()[-4000:].decode(errors="replace")))
        print("%d failed" % len(opslib.FAILS))
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("all ok")


if __name__ == "__main__":
    main()
