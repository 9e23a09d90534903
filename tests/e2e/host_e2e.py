#!/usr/bin/env python3
"""End-to-end tests of the levy host on loopback: CLI exit codes, auth, error shapes, body
cap, slow clients, reload under load, kill -9 durability, graceful SIGTERM.

usage: host_e2e.py LEVY_BINARY SOURCE_DIR [case...]
Ports 18150-18199 (host helper's range) unless LEVY_E2E_PORT_BASE is set."""
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
PORT_BASE = int(os.environ.get("LEVY_E2E_PORT_BASE", "18150"))
_port = [PORT_BASE]
FAILS = []


def next_port():
    """The next free port above the last one handed out (from LEVY_E2E_PORT_BASE + 1)."""
    _port[0] = harness.free_port(_port[0] + 1, 1000)
    return _port[0]


def wait_until(fn, timeout=60, interval=0.05):
    """Polls fn until it returns a true value (returned) or the generous timeout passes (the
    last value returned): tests wait for states, not for fixed intervals (issue 18)."""
    return harness.wait_for(fn, timeout, interval)


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("  FAIL:", what, flush=True)
    return cond


EXAMPLE = os.path.join(SRC, "tests", "fixtures", "plugins", "example")

# e2e_host_pg (tests/pg/run_on_pg.py sets LEVY_DATABASE_URL): the store is PostgreSQL. A fresh
# data dir is a fresh store on SQLite, so each data dir gets a database of its own here (levy is
# started with its URL) and the cases read the store through harness.PgCon (psql) instead of
# levy.db.
PG = harness.PG_URL
_dbs = {}


def db_url(ddir):
    """PostgreSQL: the URL of data dir ddir's own database (created on first use)."""
    import urllib.parse
    ddir = os.path.abspath(ddir)
    if not _dbs:  # the first data dir gets the cluster's own database (run_on_pg checks it)
        _dbs[ddir] = PG
    if ddir not in _dbs:
        name = "host_%d" % (len(_dbs) + 1)
        harness.PgCon().execute("CREATE DATABASE " + name)
        u = urllib.parse.urlsplit(PG)
        _dbs[ddir] = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))
    return _dbs[ddir]


def store(ddir):
    """A connection to data dir ddir's store: sqlite3 on levy.db, or PgCon on its database."""
    if PG:
        return harness.PgCon(db_url(ddir))
    import sqlite3
    return sqlite3.connect(os.path.join(ddir, "levy.db"), timeout=10)


def has_table(db, name):
    if PG:
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    else:
        q = "SELECT count(*) FROM sqlite_master WHERE name = ?"
    return db.execute(q, (name,)).fetchone()[0]


def insert_rows(db, head, rows):
    """One INSERT of many rows (head: 'INSERT INTO t(a, b) VALUES'; rows: tuples of
    parameters): one statement on either engine, not one psql per row."""
    for i in range(0, len(rows), 500):
        part = rows[i:i + 500]
        one = "(" + ", ".join("?" * len(part[0])) + ")"
        db.execute(head + " " + ", ".join([one] * len(part)), tuple(v for r in part for v in r))


def plugins_with_example(tmp):
    """The shipped plugins plus the test-only example plugin (kept out of plugins/ so a
    production `levy serve` never exposes its deliberate failure routes)."""
    d = os.path.join(tmp, "plugins")
    os.makedirs(tmp, exist_ok=True)
    shutil.copytree(os.path.join(SRC, "plugins"), d)
    shutil.copytree(EXAMPLE, os.path.join(d, "example"))
    return d


class Levy:
    def __init__(self, plugins=None, env=None, data=None, args=(), scripts=None):
        self.tmp = tempfile.mkdtemp(prefix="levy-e2e-")
        self.data = data or os.path.join(self.tmp, "data")
        self.plugins = plugins or plugins_with_example(self.tmp)
        self.scripts = scripts or os.path.join(self.tmp, "scripts")
        os.makedirs(self.scripts, exist_ok=True)
        self.port = next_port()
        e = dict(os.environ)
        e.pop("LEVY_API_TOKEN", None)
        if PG:
            e["LEVY_DATABASE_URL"] = db_url(self.data)
        e.update(env or {})
        self.log = open(os.path.join(self.tmp, "stderr.log"), "w+")
        self.proc = subprocess.Popen(
            [LEVY, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data,
             "--plugins", self.plugins, "--scripts", self.scripts, "--web", os.path.join(SRC, "web"),
             *args], stdout=subprocess.PIPE, stderr=self.log, env=e, text=True,
            preexec_fn=harness.pdeathsig_preexec())  # dies with the test, even by SIGKILL
        self.wait_up()
        with open(os.path.join(self.data, "api-token")) as f:
            self.token = f.read().strip()

    def wait_up(self):
        if not harness.wait_up(levy_url=f"http://127.0.0.1:{self.port}", timeout=60, interval=0.05, proc=self.proc):
            if self.proc.poll() is not None:
                raise RuntimeError("levy exited: " + self.stderr())
            raise RuntimeError("levy did not come up")

    def stderr(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def req(self, method, path, body=None, headers=None, token=True, timeout=10):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + (self.token if token is True else token)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            js = json.loads(data) if data else None
        except ValueError:
            js = None
        return r.status, js, data, r

    def stop(self, sig=signal.SIGTERM, timeout=10):
        harness.stop(self.proc, timeout, sig)
        return self.proc.returncode

    def close(self):
        self.stop(signal.SIGKILL)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def err_shape(js, code):
    return isinstance(js, dict) and isinstance(js.get("error"), dict) and js["error"].get("code") == code \
        and isinstance(js["error"].get("message"), str)


def case_cli():
    def run(*a, stdin=None):
        p = subprocess.run([LEVY, *a], capture_output=True, text=True, timeout=30, input=stdin)
        return p.returncode, p.stdout, p.stderr
    rc, out, _ = run("--help")
    check(rc == 0 and "usage" in out, "levy --help exits 0 with usage on stdout")
    for sub in ("serve", "check", "calc", "sim", "demo", "version"):
        rc, out, _ = run(sub, "--help")
        check(rc == 0 and "usage" in out, f"levy {sub} --help exits 0")
    rc, _, err = run("frobnicate")
    check(rc == 2 and "usage" in err, "unknown subcommand -> usage on stderr, exit 2")
    rc, _, err = run("serve", "--no-such-flag")
    check(rc == 2 and "usage" in err, "unknown flag -> usage on stderr, exit 2")
    rc, _, err = run()
    check(rc == 2, "no subcommand -> exit 2")
    # One whole-file reader (core/base/file.c): a path that opens but cannot be read (a directory)
    # is an error naming the path, not an empty request (issue 18: read_input took it for "").
    tmp = tempfile.mkdtemp(prefix="levy-e2e-cli-")
    try:
        rc, out, err = run("calc", "--data-dir", os.path.join(tmp, "data"), tmp)
        check(rc == 2 and f"cannot read {tmp}" in err and not out,
              "levy calc DIR -> 'cannot read DIR', exit 2")
        # One ISO 4217 table (core/base/money.c): a code levy.money knows (XCG, new in 2025) is
        # taxed by levy calc at its exponent, not refused as unknown.
        req = os.path.join(tmp, "xcg.json")
        with open(req, "w") as f:
            json.dump({"currency": "XCG", "date": "2026-06-01",
                       "ship_to": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                                   "zip_code": "78701", "country": "US"},
                       "lines": [{"id": "1", "amount": "1000.5", "tax_code": "general"}]}, f)
        rc, out, err = run("calc", "--data-dir", os.path.join(tmp, "data"), "--plugins",
                           os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts"), req)
        res = json.loads(out) if rc == 0 else None
        check(res is not None and res["currency"] == "XCG" and res["lines"][0]["amount"] == "1000.50",
              "levy calc taxes XCG with 2 decimals (the levy.money exponent)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rc, out, _ = run("version")
    check(rc == 0 and out.startswith("levy ") and "Lua" in out and "SQLite" in out and "OpenSSL" in out
          and "libevent" in out and "libcurl" in out, "levy version lists the libraries")


def case_check():
    tmp = tempfile.mkdtemp(prefix="levy-e2e-check-")
    try:
        plugins = os.path.join(tmp, "plugins")
        shutil.copytree(os.path.join(SRC, "tests", "fixtures", "plugins", "example"), os.path.join(plugins, "example"))
        scripts = os.path.join(tmp, "scripts")
        os.makedirs(scripts)
        p = subprocess.run([LEVY, "check", "--plugins", plugins, "--scripts", scripts],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and "plugins/example/handler.lua" in p.stdout, "levy check ok -> exit 0: " + p.stdout + p.stderr)
        with open(os.path.join(plugins, "example", "util.lua"), "w") as f:
            f.write("local M = {}\nreturn M +\n")
        p = subprocess.run([LEVY, "check", "--plugins", plugins, "--scripts", scripts],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 1 and "plugins/example/util.lua:3" in p.stdout, "levy check failure -> exit 1 with file:line: " + p.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_http():
    lv = Levy()
    try:
        st, js, _, _ = lv.req("GET", "/healthz", token=False)
        check(st == 200 and js["status"] == "ok" and js["generation"] == 1 and "version" in js, "healthz")
        for path in ("/v1/example/hello", "/admin/generation", "/metrics", "/v1/nothing/here"):
            st, js, _, r = lv.req("GET", path, token=False)
            check(st == 401 and err_shape(js, "unauthorized"), f"{path} without token -> 401")
            st, js, _, _ = lv.req("GET", path, token="wrong-token")
            check(st == 401 and err_shape(js, "unauthorized"), f"{path} wrong token -> 401")
        st, js, _, _ = lv.req("POST", "/admin/reload", token=False)
        check(st == 401, "reload needs the token")
        st, js, _, _ = lv.req("GET", "/v1/example/hello")
        check(st == 200 and js["hello"] == "hello, world", "lua route")
        st, js, _, _ = lv.req("GET", "/example/public/x%20y?q=1", token=False)
        check(st == 200 and js["name"] == "x y" and js["q"] == "1", "auth=none route, decoded params")
        st, js, _, _ = lv.req("GET", "/v1/example/req/a%20b?q=x+y", headers={"Accept": "application/json"})
        check(st == 200 and js == {"method": "GET", "path": "/v1/example/req/a%20b", "id": "a b", "q": "x y",
                                   "accept": "application/json", "has_json": True, "has_body": True,
                                   "nope": True, "wrote": False, "werr": True, "mt": True, "raw": True,
                                   "pairs": 0, "same_after": "GET"},
              "req: fields, params, query and headers read; read-only, no metatable, no raw fields: %s" % js)
        st, js, _, _ = lv.req("GET", "/v1/nothing/here")
        check(st == 404 and err_shape(js, "not_found"), "404 not_found")
        st, js, _, _ = lv.req("DELETE", "/v1/example/hello")
        check(st == 405 and err_shape(js, "method_not_allowed"), "405 method_not_allowed")
        st, js, _, _ = lv.req("POST", "/v1/example/echo", body="{nope", headers={"Content-Type": "application/json"})
        check(st == 400 and err_shape(js, "invalid_json"), "400 invalid_json")
        st, js, _, _ = lv.req("POST", "/v1/example/echo", body="[1,2]", headers={"Content-Type": "application/json"})
        check(st == 400 and err_shape(js, "invalid_json"), "400 invalid_json for a non-object")
        st, js, _, _ = lv.req("POST", "/v1/example/echo", body="{}", headers={"Content-Type": "text/plain"})
        check(st == 415 and err_shape(js, "unsupported_media_type"), "415 unsupported_media_type")
        big = b'{"a":"' + b"x" * (1 << 20) + b'"}'
        st, js, _, _ = lv.req("POST", "/v1/example/echo", body=big, headers={"Content-Type": "application/json"})
        check(st == 413 and err_shape(js, "payload_too_large"), "413 payload_too_large JSON")
        ok_body = b'{"a":"' + b"x" * ((1 << 20) - 100) + b'"}'
        st, js, _, _ = lv.req("POST", "/v1/example/echo", body=ok_body, headers={"Content-Type": "application/json"})
        check(st == 200, "a body just under 1 MiB is accepted")
        st, js, _, _ = lv.req("GET", "/v1/example/boom")
        check(st == 500 and err_shape(js, "internal") and "boom" not in json.dumps(js), "500 internal, generic message")
        check("boom: this is a deliberate plugin error" in lv.stderr() and "traceback" in lv.stderr(), "traceback in the log")
        st, js, _, r = lv.req("GET", "/v1/example/conflict")
        check(st == 409 and err_shape(js, "conflict") and js["error"]["details"][0]["field"] == "x"
              and r.getheader("X-Example") == "yes", "API error with details and headers")
        # the runaway handler is stopped by its budget (the log says which limit), not by the
        # client giving up: asserted on the mechanism, not "< 1 s", which a loaded machine misses
        before = len(lv.stderr())
        st, js, _, _ = lv.req("GET", "/v1/example/spin")
        said = lv.stderr()[before:]
        check(st == 500 and ("running-time budget exceeded" in said or "instruction budget exceeded" in said),
              "runaway handler aborted by its budget")
        # regression: http.error with three arguments used to render its own table as
        # `details` (a cycle) and answer 500
        st, js, _, _ = lv.req("GET", "/v1/example/things/nope")
        check(st == 404 and err_shape(js, "not_found") and "details" not in js["error"], "http.error(404, code, msg) -> 404")
        st, js, _, _ = lv.req("POST", "/v1/example/things", body={"name": ""})
        check(st == 422 and err_shape(js, "validation_failed"), "422 validation_failed")
        st, js, _, _ = lv.req("GET", f"/v1/example/fetch?url=http://127.0.0.1:{lv.port}/healthz")
        check(st == 200 and js["status"] == 200, "levy.http.request yields and resumes (self call)")
        st, js, data, r = lv.req("GET", "/", token=False)
        check(st == 200 and r.getheader("Content-Type").startswith("text/html"), "static index.html at /")
        st, js, _, _ = lv.req("GET", "/../../etc/passwd", token=False)
        check(st == 400, "no traversal (a dot segment is refused, 400)")
        st, js, _, _ = lv.req("GET", "/%2e%2e/%2e%2e/etc/passwd", token=False)
        check(st == 400, "no encoded traversal (400)")
        st, js, _, _ = lv.req("GET", "/admin/generation")
        check(st == 200 and js["generation"] == 1 and any(f["path"] == "plugins/example/handler.lua" and f["kind"] == "plugin"
              and len(f["sha256"]) == 64 for f in js["files"]) and "loaded_at" in js, "admin/generation")
        st, js, _, _ = lv.req("POST", "/admin/reload")
        check(st == 200 and js == {"status": "unchanged", "generation": 1}, "reload unchanged")
        # the 100 ms schedule has run twice: polled, not a fixed 0.35 s sleep
        def ticked():
            st, _, data, _ = lv.req("GET", "/metrics")
            t = [l for l in data.decode().splitlines() if l.startswith("levy_example_ticks_total")]
            return t if st == 200 and t and int(t[0].split()[-1]) >= 2 else None
        deadline = time.time() + 60
        while not ticked() and time.time() < deadline:
            time.sleep(0.1)
        st, _, data, r = lv.req("GET", "/metrics")
        text = data.decode()
        check('levy_example_hellos_total{who="world"}' in text, "plugin counters via levy.metrics")
        ticks = [l for l in text.splitlines() if l.startswith("levy_example_ticks_total")]
        check(ticks and int(ticks[0].split()[-1]) >= 2, f"schedule runs every_ms ({ticks})")
        check(os.stat(lv.data).st_mode & 0o777 == 0o700, "data dir is 0700")
        check(os.stat(os.path.join(lv.data, "api-token")).st_mode & 0o777 == 0o600, "api-token is 0600")
        check(st == 200 and 'levy_http_requests_total{route="/v1/example/hello",status="200"}' in text
              and "levy_rule_generation 1" in text and "levy_reloads_total" in text
              and "levy_reload_failures_total" in text, "metrics")
    finally:
        lv.close()


def case_slow_client():
    lv = Levy(env={"LEVY_HTTP_DEADLINE_S": "1"})
    try:
        s = socket.create_connection(("127.0.0.1", lv.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # The header never ends and the drip lasts 30 s, far past the 1 s deadline: a close
        # while it drips is the deadline's doing. (It was "closed within 4 s", which a loaded
        # machine can miss; a recv timeout also used to count as closed.)
        closed = False
        s.settimeout(0.1)
        try:
            for _ in range(300):  # drip a header byte every 100 ms
                s.sendall(b"X")
                try:
                    if s.recv(100) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
        except OSError:
            closed = True
        check(closed, "slowloris connection dropped at the deadline, while it dripped")
        st, js, _, _ = lv.req("GET", "/healthz", token=False)
        check(st == 200, "server still serving after dropping a slow client")
        check("sent no complete request" in lv.stderr(), "the slow client is logged")
        # an idle kept-alive connection (one request answered, nothing after) is closed at the
        # deadline too, but quietly: pools such as libcurl's keep them
        before = lv.stderr().count("sent no complete request")
        c = http.client.HTTPConnection("127.0.0.1", lv.port, timeout=5)
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        # waits for the server to close it (the deadline is 1 s); a timeout is not a close (it
        # used to count as one, after a fixed 2.5 s sleep)
        try:
            c.sock.settimeout(30)
            gone = c.sock.recv(10) == b""
        except socket.timeout:
            gone = False
        except OSError:
            gone = True
        check(gone, "an idle keep-alive connection is closed at the deadline")
        check(lv.stderr().count("sent no complete request") == before,
              "an idle keep-alive connection is not logged as a slow client")
    finally:
        lv.close()


def case_head():
    lv = Levy()
    try:
        st, _, data, r = lv.req("HEAD", "/healthz", token=False)
        check(st == 200 and data == b"", "HEAD /healthz -> 200 without a body")
        st, _, data, _ = lv.req("HEAD", "/v1/regions")
        check(st == 200 and data == b"", "HEAD on a Lua GET route -> 200 without a body")
        st, _, data, _ = lv.req("HEAD", "/v1/regions", token=False)
        check(st == 401, "HEAD on /v1 needs the token like GET")
        st, js, _, _ = lv.req("PATCH", "/healthz", token=False)
        check(st == 405 and err_shape(js, "method_not_allowed"), "other methods still 405")
    finally:
        lv.close()


def case_reload_under_load():
    tmp = tempfile.mkdtemp(prefix="levy-e2e-rl-")
    plugins = os.path.join(tmp, "plugins")
    shutil.copytree(os.path.join(SRC, "tests", "fixtures", "plugins", "example"), os.path.join(plugins, "example"))
    lv = Levy(plugins=plugins)
    stop = threading.Event()
    stats = {"ok": 0, "bad": 0, "gens": set()}

    def loop():
        c = http.client.HTTPConnection("127.0.0.1", lv.port, timeout=5)
        while not stop.is_set():
            try:
                c.request("GET", "/v1/example/hello", headers={"Authorization": "Bearer " + lv.token})
                r = c.getresponse()
                body = json.loads(r.read())
                if r.status == 200:
                    stats["ok"] += 1
                    stats["gens"].add(body["generation"])
                else:
                    stats["bad"] += 1
            except Exception:
                stats["bad"] += 1
                c = http.client.HTTPConnection("127.0.0.1", lv.port, timeout=5)
    threads = [threading.Thread(target=loop) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        util = os.path.join(plugins, "example", "util.lua")
        src = open(util).read()
        for i in range(6):
            with open(util, "w") as f:
                f.write(src.replace('"hello, "', f'"hello{i}, "'))
            st, js, _, _ = lv.req("POST", "/admin/reload")
            check(st == 200 and js["status"] == "reloaded", f"reload {i} accepted: {js}")
            time.sleep(0.1)
        with open(util, "w") as f:
            f.write("return {\n")
        st, js, _, _ = lv.req("POST", "/admin/reload")
        check(st == 422 and js["status"] == "rejected" and js["errors"][0]["file"] == "plugins/example/util.lua"
              and js["errors"][0]["line"] == 2 and js["generation"] == 7, f"broken reload rejected: {js}")
        with open(util, "w") as f:
            f.write(src)
        lv.proc.send_signal(signal.SIGHUP)
        # the SIGHUP generation is live and the clients made their 50 requests: waited for, not
        # a fixed 0.3 s that a loaded machine fills with less
        wait_until(lambda: (lv.req("GET", "/healthz", token=False)[1] or {}).get("generation") == 8)
        wait_until(lambda: stats["ok"] > 50)
        stop.set()
        for t in threads:
            t.join()
        st, js, _, _ = lv.req("GET", "/healthz", token=False)
        check(js["generation"] == 8, f"SIGHUP reload -> generation 8 ({js})")
        check(stats["bad"] == 0 and stats["ok"] > 50, f"no failed request during reloads ({stats['ok']} ok, {stats['bad']} failed)")
        check(len(stats["gens"]) >= 3, f"requests saw several generations ({sorted(stats['gens'])})")
        # a new plugin migration is applied before the generation goes live; a failing one
        # rejects the reload
        mig = os.path.join(plugins, "example", "migrations")
        for d in (mig, os.path.join(mig, "postgres")) if PG else (mig,):  # PostgreSQL: its twin
            with open(os.path.join(d, "0002_extra.sql"), "w") as f:
                f.write("CREATE TABLE example_extra (id INTEGER PRIMARY KEY);\n")
        st, js, _, _ = lv.req("POST", "/admin/reload")
        db = store(lv.data)
        have = has_table(db, "example_extra")
        check(st == 200 and js["status"] == "reloaded" and have == 1, f"new migration applied on reload ({js})")
        for d in (mig, os.path.join(mig, "postgres")) if PG else (mig,):
            with open(os.path.join(d, "0003_bad.sql"), "w") as f:
                f.write("CREATE TABLE nope (;\n")
        st, js, _, _ = lv.req("POST", "/admin/reload")
        check(st == 422 and js["errors"][0]["file"].startswith("plugins/example/migrations/"), f"failing migration rejects ({js})")
    finally:
        stop.set()
        lv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def case_reload_safety():
    """R9: a reload with a syntax error, a failing self-test, an endless loop at load or a
    memory bomb is refused within 1 s naming the file; the old rules keep serving (same
    answers, no failed request) meanwhile; a good reload then goes live."""
    tmp = tempfile.mkdtemp(prefix="levy-e2e-r9-")
    scripts = os.path.join(tmp, "scripts")
    shutil.copytree(os.path.join(SRC, "scripts"), scripts)
    lv = Levy(scripts=scripts)
    stop = threading.Event()
    stats = {"ok": 0, "bad": []}
    body = json.dumps({"currency": "USD", "date": "2025-12-15",
                       "ship_to": {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"},
                       "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]})

    def loop():
        c = http.client.HTTPConnection("127.0.0.1", lv.port, timeout=10)
        while not stop.is_set():
            try:
                c.request("POST", "/v1/calculate", body=body, headers={"Authorization": "Bearer " + lv.token,
                                                                       "Content-Type": "application/json"})
                r = c.getresponse()
                js = json.loads(r.read())
                if r.status == 200 and js.get("total_tax") == "8.25":
                    stats["ok"] += 1
                else:
                    stats["bad"].append((r.status, str(js)[:120]))
            except Exception as e:  # noqa: BLE001
                stats["bad"].append(repr(e))
                c = http.client.HTTPConnection("127.0.0.1", lv.port, timeout=10)
    threads = [threading.Thread(target=loop) for _ in range(2)]
    try:
        st, _, _, _ = lv.req("PUT", "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True})
        check(st == 200, "US-TX subscribed")
        for t in threads:
            t.start()
        tx = os.path.join(scripts, "us", "tx.lua")
        orig = open(tx).read()
        bad = {
            "syntax error": orig + "\nreturn {\n",
            "failing self-test": orig.replace('total_tax = "8.25"', 'total_tax = "8.26"', 1),
            "endless loop at load": "while true do end\n" + orig,
            "memory bomb at load": "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(4096) .. i end\n" + orig,
        }
        check(bad["failing self-test"] != orig, "the self-test edit applies to tx.lua")
        gen0 = lv.req("GET", "/healthz", token=False)[1]["generation"]
        for what, text in bad.items():
            with open(tx, "w") as f:
                f.write(text)
            t0 = time.monotonic()
            st, js, _, _ = lv.req("POST", "/admin/reload", timeout=30)
            dt = time.monotonic() - t0
            errs = (js or {}).get("errors") or [{}]
            check(st == 422 and js["status"] == "rejected" and js["generation"] == gen0
                  and errs[0].get("file") == "scripts/us/tx.lua",
                  "%s: reload rejected naming scripts/us/tx.lua (%s %s)" % (what, st, str(js)[:200]))
            # R9 asks <= 1 s: how long it took is reported, not asserted (the suite must pass on a
            # loaded machine; the budget that ends the loop is CPU time, bench/ measures speed)
            print("     %s: refused in %.0f ms" % (what, dt * 1000))
            print("  reload_safety: %s refused in %.0f ms: %s" % (what, dt * 1000, errs[0].get("message", "")[:90]))
        with open(tx, "w") as f:
            f.write(orig.replace('name = "Texas"', 'name = "Texas (reloaded)"', 1))
        st, js, _, _ = lv.req("POST", "/admin/reload")
        check(st == 200 and js["status"] == "reloaded" and js["generation"] == gen0 + 1, "a good reload goes live (%s)" % js)
        wait_until(lambda: stats["ok"] > 20)   # a count of answers, not a fixed 0.3 s
        stop.set()
        for t in threads:
            t.join()
        check(not stats["bad"] and stats["ok"] > 20,
              "the old rules served throughout: %d answers of 8.25, failed %s" % (stats["ok"], stats["bad"][:3]))
    finally:
        stop.set()
        lv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def case_jobs_outcomes():
    lv = Levy()
    try:
        ids = {}
        for kind in ("flaky", "broken", "deadend"):
            st, js, _, _ = lv.req("POST", f"/v1/example/jobs/{kind}")
            check(st == 202, f"enqueue {kind}")
            ids[kind] = js["job"]
        db = store(lv.data)
        want = {"flaky": ("done", 2), "broken": ("dead", 2), "deadend": ("dead", 1)}
        got = {}
        for _ in range(60):
            got = {k: db.execute("SELECT state, attempts FROM jobs WHERE id = ?", (i,)).fetchone()
                   for k, i in ids.items()}
            if all(got[k] == want[k] for k in want):
                break
            time.sleep(0.1)
        for k in want:
            check(got[k] == want[k], f"job {k}: {got[k]} (want {want[k]})")
        st, _, data, _ = lv.req("GET", "/metrics")
        check('levy_jobs{kind="example.flaky",state="done"} 1' in data.decode(), "job queue depth by kind and state")
    finally:
        lv.close()


def case_jobs_batch():
    """Job runner pace and stop. The runner marks finished jobs done in the next poll's
    transaction and polls again at once while it finds work: a backlog of 300 jobs waiting at
    start (concurrency 2, nothing else kicks the runner) drains in seconds, not at 2 jobs per
    250 ms poll (37 s). A clean stop in the middle of a backlog flushes the deferred marks:
    no job is left running, done <=> processed, and after a restart every job ran once."""
    data = tempfile.mkdtemp(prefix="levy-e2e-jb-")
    ddir = os.path.join(data, "d")

    def backlog(prefix, n):
        db = store(ddir)
        now = int(time.time() * 1000)
        with db:
            tids = [f"{prefix}-{i}" for i in range(n)]
            insert_rows(db, "INSERT INTO example_things(id, name, processed) VALUES", [(t, "x", 0) for t in tids])
            insert_rows(db, "INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, "
                        "created_at, updated_at) VALUES",
                        [(f"job_{prefix}{i:020d}", "example.thing", t, json.dumps({"id": t}), "queued", 0, 3,
                          now, now, now) for i, t in enumerate(tids)])
        db.close()

    try:
        lv = Levy(data=ddir)  # creates the schema
        lv.close()
        n = 300
        backlog("a", n)
        lv = Levy(data=ddir)
        t0 = time.time()
        db = store(ddir)
        done = 0
        deadline = time.monotonic() + 120  # generous: the pace is reported, not asserted
        while time.monotonic() < deadline:
            done = db.execute("SELECT count(*) FROM example_things WHERE processed >= 1").fetchone()[0]
            if done == n:
                break
            time.sleep(0.025)
        took = time.time() - t0
        print(f"     backlog of {n} jobs drained in {took:.1f} s (2 jobs per 250 ms poll would take 37 s)")
        check(done == n, f"backlog of {n} jobs at start processed ({done} done in {took:.1f} s)")
        # a clean stop: the last poll's done marks are deferred to the next poll (one commit
        # per pass), so a kill -9 here leaves the last jobs 'running', the next start requeues
        # them and they run twice (at-least-once, as kill9_durable says): under CPU load that
        # window was hit 1 stop in 6, and "exactly once" below failed for a-298 and a-299
        check(lv.stop(signal.SIGTERM) == 0, "clean stop after the first backlog")
        lv.close()
        # PostgreSQL drains a backlog at a fraction of SQLite's pace (a job's claim and done mark
        # are round trips): 600 still leaves most of it queued at the stop, in far less time
        backlog("b", 600 if PG else 2000)
        lv = Levy(data=ddir)
        for _ in range(400):
            if db.execute("SELECT count(*) FROM example_things WHERE id LIKE 'b-%' AND processed >= 1").fetchone()[0] >= 100:
                break
            time.sleep(0.005)
        check(lv.stop(signal.SIGTERM) == 0, "clean stop during a backlog")
        lv.close()
        states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        mism = db.execute("SELECT count(*) FROM jobs j JOIN example_things t ON t.id = j.key WHERE "
                          "(j.state = 'done') != (t.processed = 1)").fetchone()[0]
        check("running" not in states and mism == 0 and states.get("done", 0) > n,
              f"after a clean stop: no job running, done <=> processed ({states}, {mism} mismatched)")
        lv = Levy(data=ddir)
        for _ in range(400):
            if db.execute("SELECT count(*) FROM jobs WHERE state != 'done'").fetchone()[0] == 0:
                break
            time.sleep(0.05)
        rows = db.execute("SELECT t.id, t.processed, j.state, j.attempts FROM example_things t LEFT JOIN jobs j "
                          "ON j.key = t.id WHERE t.processed != 1 ORDER BY t.id LIMIT 10").fetchall()
        bad = db.execute("SELECT count(*) FROM example_things WHERE processed != 1").fetchone()[0]
        check(bad == 0, f"after the restart every job ran exactly once ({bad} did not: {rows})")
        lv.close()
        db.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)


def case_kill9_durable():
    data = tempfile.mkdtemp(prefix="levy-e2e-k9-")
    lv = Levy(data=os.path.join(data, "d"))
    try:
        st, js, _, _ = lv.req("POST", "/v1/example/things", body={"id": "durable-1", "name": "kept"})
        check(st == 201 and js["job"].startswith("job_"), "durable route 201")
        lv.proc.send_signal(signal.SIGKILL)  # right after the 2xx
        lv.proc.wait()
        lv2 = Levy(data=os.path.join(data, "d"))
        try:
            st, js, _, _ = lv2.req("GET", "/v1/example/things/durable-1")
            check(st == 200 and js["name"] == "kept", "row exists after kill -9")
            db = store(os.path.join(data, "d"))
            rows = db.execute("SELECT kind, state FROM jobs WHERE key = 'durable-1'").fetchall()
            check(len(rows) == 1 and rows[0][0] == "example.thing", f"job exists after kill -9 ({rows})")
            state = None
            for _ in range(100):
                st, js, _, _ = lv2.req("GET", "/v1/example/things/durable-1")
                state = db.execute("SELECT state FROM jobs WHERE key = 'durable-1'").fetchone()[0]
                if js.get("processed", 0) >= 1 and state == "done":
                    break
                time.sleep(0.1)
            # Jobs are at-least-once (ARCHITECTURE: idempotent jobs, exactly-once effects):
            # the runner may have run this job between the 2xx and the kill, its done mark
            # still deferred to the next pass, and then runs it again after the restart. The
            # example job counts its runs, so 2 is that case; exactly once after a clean
            # stop is asserted by jobs_batch.
            check(js.get("processed") in (1, 2) and state == "done",
                  "the job ran after restart and is done (runs: %s, state %s)" % (js.get("processed"), state))
            db.close()
        finally:
            lv2.close()
    finally:
        lv.close()
        shutil.rmtree(data, ignore_errors=True)


class SlowHandler(http.server.BaseHTTPRequestHandler):
    arrived = threading.Event()  # set when a slow request reaches the upstream
    release = None  # an Event: "/" answers once it is set (the test decides, not a clock)

    def do_GET(self):
        if self.path == "/big":
            n = (16 << 20) + 1024
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            chunk = b"x" * 65536
            sent = 0
            try:
                while sent < n:
                    self.wfile.write(chunk[: n - sent])
                    sent += len(chunk)
            except OSError:
                pass
            return
        if self.path == "/" and SlowHandler.release is not None:
            # only the request the test holds says "arrived": a late thread of the earlier
            # "/slow" request (its client gave up at 200 ms) set it on a loaded machine, and the
            # SIGTERM then came before levy was inside the held call
            SlowHandler.arrived.set()
            SlowHandler.release.wait(60)
        else:
            time.sleep(1.0)
        body = b'{"slow":true}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (outbound timeout case)

    def log_message(self, *a):
        pass


def case_sigterm_graceful():
    up_port = next_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", up_port), SlowHandler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    lv = Levy()
    try:
        st, js, _, _ = lv.req("GET", f"/v1/example/fetch?url=http://127.0.0.1:{up_port}/big")
        check(st == 502 and js["error"]["detail"] == "too_large", f"16 MiB response cap ({js})")
        st, js, _, _ = lv.req("GET", f"/v1/example/fetch?url=http://127.0.0.1:{up_port}/slow&timeout_ms=200")
        check(st == 502 and js["error"]["detail"] == "timeout", f"outbound timeout ({js})")
        result = {}

        def slow():
            result["r"] = lv.req("GET", f"/v1/example/fetch?url=http://127.0.0.1:{up_port}/")
        SlowHandler.arrived.clear()
        SlowHandler.release = threading.Event()
        t = threading.Thread(target=slow)
        t.start()
        # SIGTERM once levy is inside the call; the upstream holds its answer until the test
        # has seen the listener closed, so nothing here depends on how fast the box is
        check(SlowHandler.arrived.wait(30), "the slow request reached the upstream")
        lv.proc.send_signal(signal.SIGTERM)
        refused = False
        deadline = time.monotonic() + 30
        while not refused and time.monotonic() < deadline and lv.proc.poll() is None:
            try:
                lv.req("GET", "/healthz", token=False, timeout=2)
                time.sleep(0.05)
            except OSError:
                refused = True
        SlowHandler.release.set()
        t.join(60)
        rc = lv.proc.wait(60)
        SlowHandler.release = None
        if not check("r" in result and result["r"][0] == 200 and result["r"][1]["status"] == 200,
                     f"in-flight request finished during graceful stop ({result.get('r', [None])[:2]})"):
            print(lv.stderr()[-3000:])
        check(refused, "no new connections accepted while draining")
        check(rc == 0, f"SIGTERM exit code 0 (got {rc})")
    finally:
        lv.close()
        srv.shutdown()


def case_sigterm_reply_written():
    """A graceful stop writes every answer to the end before it exits. The stop ended the
    loop as soon as no call was running, and an answer still in a connection's output buffer
    went with it: a call that ended in the same loop pass as the stop poll came due (a loaded
    machine) left the client a connection closed without an answer (sigterm_graceful failed 2
    runs in 10 beside four busy loops). Made certain here with an answer larger than the
    socket buffers and a client that reads it only after the SIGTERM."""
    tmp = tempfile.mkdtemp(prefix="levy-e2e-srw-")
    web = os.path.join(tmp, "web")
    os.makedirs(web)
    size = 24 << 20
    with open(os.path.join(web, "big.bin"), "wb") as f:
        f.write(os.urandom(size))
    lv = Levy(args=("--web", web))
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(60)
        s.connect(("127.0.0.1", lv.port))
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(1024)
            if not chunk:
                break
            got += chunk
        head, _, body = got.partition(b"\r\n\r\n")
        check(head.startswith(b"HTTP/1.1 200") and b"Content-Length: %d" % size in head,
              f"a {size}-byte file answered ({head[:200]!r})")
        lv.proc.send_signal(signal.SIGTERM)
        check(wait_until(lambda: "stopping: draining" in lv.stderr(), timeout=30), "the stop began")
        n = len(body)
        while True:
            try:
                chunk = s.recv(1 << 16)
            except OSError:
                break
            if not chunk:
                break
            n += len(chunk)
        s.close()
        rc = lv.proc.wait(60)
        check(n == size, f"the answer was written to the end before the stop ({n} of {size} bytes)")
        check(rc == 0, f"SIGTERM exit code 0 (got {rc})")
    finally:
        lv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def case_tls():
    tmp = tempfile.mkdtemp(prefix="levy-e2e-tls-")
    try:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        port = next_port()
        data = os.path.join(tmp, "data")
        os.makedirs(os.path.join(tmp, "s"), exist_ok=True)
        p = subprocess.Popen([LEVY, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data, "--plugins",
                              plugins_with_example(os.path.join(tmp, "p")), "--scripts", os.path.join(tmp, "s"), "--tls-cert", cert, "--tls-key", key],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=harness.pdeathsig_preexec())
        import ssl
        ctx = ssl.create_default_context(cafile=cert)
        ok = False
        end = time.time() + 60
        while time.time() < end and p.poll() is None:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
                c.request("GET", "/healthz")
                r = c.getresponse()
                # 503 "starting"/"migrating" while the store is readied (levy listens first)
                ok = r.status == 200 and json.loads(r.read())["status"] == "ok"
                if ok:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        check(ok, "HTTPS with --tls-cert/--tls-key")
        tok = open(os.path.join(data, "api-token")).read().strip()
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        c.request("GET", f"/v1/example/fetch?url=https://127.0.0.1:{port}/healthz", headers={"Authorization": "Bearer " + tok})
        r = c.getresponse()
        js = json.loads(r.read())
        check(r.status == 502 and js["error"]["detail"] == "tls", f"outbound TLS is verified (self-signed refused: {js})")
        p.send_signal(signal.SIGTERM)
        check(p.wait(10) == 0, "TLS server stops cleanly")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def case_sandbox_http():
    """Issue 9 item 8 / R10 at request time: every escape attempt is a clean 500 (no detail
    leaked), the server stays up, the next request is fine, RSS comes back to its baseline;
    the runaway loop is stopped within ~100 ms of CPU, the 1 GB string at once."""
    lv = Levy()
    try:
        for _ in range(200):   # warm up: allocator and caches settle before the baseline
            lv.req("GET", "/v1/example/hello")
        base = rss_kb(lv.proc.pid)
        cases = ["io", "os_execute", "require_os", "require_io", "loadfile", "dofile", "bytecode", "debug",
                 "shared_string", "shared_module", "global_write", "loop", "rep", "grow", "recursion",
                 "nested_json", "nested_cjson"]
        times = {}
        for rnd in range(3):
            for c in cases:
                t0 = time.monotonic()
                st, js, data, _ = lv.req("GET", "/v1/example/abuse/" + c, timeout=30)
                times.setdefault(c, []).append((time.monotonic() - t0) * 1000)
                if rnd == 0:
                    check(st == 500 and err_shape(js, "internal") and b"escaped" not in data,
                          "abuse %s -> clean 500 internal (got %s %s)" % (c, st, data[:120]))
                st, js, _, _ = lv.req("GET", "/v1/example/hello")
                check(st == 200 and js.get("hello"), "after %s the next request is fine" % c)
        st, js, _, _ = lv.req("GET", "/v1/example/shared")
        check(st == 200 and js == {"upper": "OK", "decoded": 1}, "shared tables unchanged: %s" % js)
        loop_ms, rep_ms = min(times["loop"]), min(times["rep"])
        print("  sandbox_http: loop aborted in %.0f ms, rep(1e9) refused in %.1f ms, grow %.0f ms, "
              "nested_json %.1f ms" % (loop_ms, rep_ms, min(times["grow"]), min(times["nested_json"])))
        # the times above are reported, not asserted: the suite must pass on a loaded machine (the
        # budget is CPU time, so a runaway ends whatever the load; bench/ measures speed)
        for _ in range(200):
            lv.req("GET", "/v1/example/hello")
        after = rss_kb(lv.proc.pid)
        print("  sandbox_http: RSS %d kB before, %d kB after 3 rounds of %d cases" % (base, after, len(cases)))
        check(after <= base + 3072, "RSS back to baseline (+3 MB at most): %d -> %d kB" % (base, after))
        log = lv.stderr()
        check("/etc/passwd" not in log or "root:" not in log, "no file content in the log")
    finally:
        lv.close()


def case_idle_libraries():
    """Issue 21 (idle memory): a serving levy on SQLite that has called nothing out maps
    neither libcurl nor libpq (dlopened on first use: core/http/curl_dl.h, core/store/pq_dl.h)
    nor libsystemd (levy sends sd_notify's datagram itself), nor what they pull in."""
    lv = Levy()
    try:
        st, js, _, _ = lv.req("GET", "/healthz", token=False)
        check(st == 200 and js["status"] == "ok", "healthz")
        with open(f"/proc/{lv.proc.pid}/maps") as f:
            libs = sorted({os.path.basename(l.split()[5]) for l in f if len(l.split()) >= 6 and ".so" in l})
        for name in ("libcurl", "libpq", "libsystemd", "libgnutls", "libldap", "libgcrypt"):
            check(not any(l.startswith(name) for l in libs), f"an idle levy maps no {name}: {libs}")
        check(any(l.startswith("libsqlite3") for l in libs), f"it maps libsqlite3 (the check reads the maps): {libs}")
    finally:
        lv.close()


CASES = {
    "cli": case_cli, "idle_libraries": case_idle_libraries, "check": case_check, "http": case_http, "slow_client": case_slow_client,
    "reload_under_load": case_reload_under_load, "jobs_outcomes": case_jobs_outcomes, "jobs_batch": case_jobs_batch, "kill9_durable": case_kill9_durable,
    "sigterm_graceful": case_sigterm_graceful, "sigterm_reply_written": case_sigterm_reply_written, "tls": case_tls, "head": case_head,
    "sandbox_http": case_sandbox_http, "reload_safety": case_reload_safety,
}

if __name__ == "__main__":
    names = sys.argv[3:] or list(CASES)
    passed = failed = 0
    for n in names:
        before = len(FAILS)
        print(f"case {n}", flush=True)
        t0 = time.monotonic()
        try:
            CASES[n]()
        except Exception as e:  # a crash is a failure of the case
            FAILS.append(f"{n}: {e!r}")
            print("  ERROR:", repr(e), flush=True)
        if len(FAILS) == before:
            passed += 1
            print(f"ok   {n} ({time.monotonic() - t0:.1f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {n}", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
