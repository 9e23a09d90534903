"""Shared helpers for the reliability tests (python3 stdlib only).

Starts `levy sim` and `levy serve`, walks the connect flow of CONTRACT §2.3 (the same steps as
tests/e2e/connector/test_connector.py), signs webhooks as in CONTRACT §2.7, and offers a
check()/summary() pair that prints "N passed, N failed".
"""
import contextlib
import http.client
import json
import http.server
import re
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402  (tests/e2e/harness.py: the one e2e harness)
from harness import (check, summary, run_main, free_port, req, sign, start, stop, kill9,  # noqa: E402,F401
                     tail, sim_cmd, levy_cmd, sim_api_key, exchange)


class _Counts(types.ModuleType):
    """common.passed / common.failed are the harness's counters (scripts read them, and a
    script's own crash handler does common.failed += 1)."""
    passed = property(lambda self: harness.passed, lambda self, v: setattr(harness, "passed", v))
    failed = property(lambda self: harness.failed, lambda self, v: setattr(harness, "failed", v))


sys.modules[__name__].__class__ = _Counts


def not_collected_all(env, js, frm, to, region=None, period=False):
    """The whole calculated-not-collected list of a report answer (js: GET /v1/reports/liability's
    or /v1/reports/filing's JSON, which carry its first page and not_collected_next_cursor): the
    first page, then the rest a page at a time from GET /v1/reports/not-collected. The paged rows
    carry their filing `period`, the liability report's do not: dropped unless period=True."""
    rows = list((js or {}).get("not_collected") or [])
    cursor = (js or {}).get("not_collected_next_cursor")
    pages = 0
    while cursor and pages < 1000:
        q = "from=%s&to=%s%s&limit=500&cursor=%s" % (frm, to, "&region=" + region if region else "", cursor)
        st, pg, text, _ = env.L("GET", "/v1/reports/not-collected?" + q, timeout=120)
        if st != 200:
            raise RuntimeError("not-collected page: %s %s" % (st, text[:300]))
        rows += [r if period else {k: v for k, v in r.items() if k != "period"} for r in pg["data"]]
        cursor, pages = pg.get("next_cursor"), pages + 1
    return rows


def wait_for(fn, timeout=60, interval=0.2):
    return harness.wait_for(fn, timeout, interval)


# Job kinds that carry a document from a delivery or a request to its write-back. The
# scheduled ones (sweep, reconcile) are left out: they are queued for their next run at all times.
FLOW_JOBS = ("rillet.process_inbox", "rillet.calculate", "rillet.writeback", "rillet.customers_remap",
             "rillet.bulk", "rillet.import")


def levy_busy(env):
    """The flow jobs levy has queued or running (from /metrics' levy_jobs gauge, read from the
    jobs table on every scrape), as {"kind/state": n}; None when /metrics does not answer."""
    st, _, text, _ = env.L("GET", "/metrics")
    if st != 200:
        return None
    busy = {}
    for line in text.splitlines():
        m = re.match(r'levy_jobs\{kind="([^"]+)",state="(queued|running)"\} (\d+)', line)
        if m and m.group(1) in FLOW_JOBS and int(m.group(3)) > 0:
            busy[m.group(1) + "/" + m.group(2)] = int(m.group(3))
    return busy


def sim_pending(env):
    """Webhook deliveries the simulator has yet to make (or is retrying)."""
    st, js, _, _ = req("GET", env.sim_url + "/_sim/deliveries?state=pending&limit=1000")
    return None if st != 200 else len(js.get("deliveries", []))


def sim_key_stats(env):
    """The simulator's count of the API requests of env's key (GET /_sim/requests): requests,
    rate_limited (answered 429) and max_in_window (the most in any rolling 60 s)."""
    st, js, text, _ = env.S("GET", "/_sim/requests")
    if st != 200:
        raise RuntimeError("/_sim/requests: %s %s" % (st, text))
    hint = env.key[-4:]
    return next((k for k in js["keys"] if k["key_hint"].endswith(hint)), {"requests": 0, "rate_limited": 0,
                                                                          "max_in_window": 0})


def wait_quiet(env, timeout=120):
    """Waits until nothing is in flight between the simulator and levy: no delivery pending at
    the simulator, no flow job queued or running in levy, and still none at the simulator after
    that (levy's write-back makes Rillet send UPDATED). A state poll instead of a fixed sleep
    before a check that "nothing more happened": a fixed sleep passes too early on a loaded
    machine. Returns True when quiet, False at the timeout."""
    def quiet():
        if sim_pending(env) != 0:
            return False
        if levy_busy(env) != {}:
            return False
        return sim_pending(env) == 0 and levy_busy(env) == {}
    return bool(wait_for(quiet, timeout, 0.3))


def serve_tree(levy, tmp, plugins, scripts, port_base, token):
    """levy serve (no simulator) on a plugins/scripts tree of the test's own, data in tmp/data.
    Returns (process, url, auth headers, log path, data dir, up: /healthz answered 200)."""
    data = os.path.join(tmp, "data")
    port = free_port(port_base, 50)
    url = "http://127.0.0.1:%d" % port
    auth = {"Authorization": "Bearer " + token}
    log = os.path.join(tmp, "levy.log")
    p = start([levy, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data, "--plugins", plugins,
               "--scripts", scripts, "--api-token", token], log)
    up = wait_for(lambda: p.poll() is None and req("GET", url + "/healthz", timeout=2)[0] == 200, 60, 0.1)
    return p, url, auth, log, data, up


class Env:
    """One simulator + one levy (restartable), connected."""

    def __init__(self, levy_bin, src, tmp, sim_port, levy_port, invoices=6, rillet_url=None):
        self.levy_bin, self.src, self.tmp = levy_bin, src, tmp
        self.sim_dir, self.levy_dir = os.path.join(tmp, "sim"), os.path.join(tmp, "levy")
        self.sim_port, self.levy_port = sim_port, levy_port
        self.sim_url = "http://127.0.0.1:%d" % sim_port
        self.levy_url = "http://127.0.0.1:%d" % levy_port
        # no simulator (sim_port 0): a Rillet URL levy accepts (port 0 is refused at start since
        # the CLI checks URLs) that nothing listens on (the discard port)
        self.rillet_url = rillet_url or (self.sim_url if sim_port else "http://127.0.0.1:9")
        self.token = "reliab-token-" + uuid.uuid4().hex[:12]
        self.invoices = invoices
        self.sim = None
        self.levy = None
        self.key = None
        self.cid = None
        self.signing_token = None
        self.webhook_url = None
        self.starts = 0
        self.levy_env = {}       # extra environment for levy serve (e.g. LD_PRELOAD in tests)
        # PostgreSQL (tests/pg/run_on_pg.py): a fresh data dir is a fresh store on SQLite, so
        # each Env gets a database of its own (the first the cluster's, which run_on_pg checks);
        # two Envs of one script on one database saw each other's documents and write-backs
        # (start_levy passes it: scripts replace levy_env)
        self.pg_url = pg_database_for(self.levy_dir) if harness.PG_URL else ""

    # -- processes
    def start_sim(self):
        self.sim = start(sim_cmd(self.levy_bin, self.sim_port, self.sim_dir, self.src, 1, self.invoices),
                         os.path.join(self.tmp, "sim.log"))
        ok = wait_for(lambda: req("GET", self.sim_url + "/health", timeout=2)[0] == 200, 30)
        if ok:
            self.key = req("GET", self.sim_url + "/_sim/info")[1]["api_key"]
        return ok

    def start_levy(self, timeout=30):
        lenv = dict(self.levy_env)
        if self.pg_url:
            lenv.setdefault("LEVY_DATABASE_URL", self.pg_url)
        self.levy = start(levy_cmd(self.levy_bin, self.levy_port, self.levy_dir, self.token, self.rillet_url,
                                   self.src), os.path.join(self.tmp, "levy.log"), lenv)
        self.starts += 1
        return wait_for(lambda: self.levy.poll() is None and
                        req("GET", self.levy_url + "/healthz", timeout=2)[0] == 200, timeout, 0.05)

    def kill_levy(self):
        kill9(self.levy)

    def close(self):
        stop(self.levy)
        stop(self.sim)

    # -- APIs
    def L(self, method, path, body=None, timeout=30):
        return req(method, self.levy_url + path, body, {"Authorization": "Bearer " + self.token},
                   timeout=timeout)

    def S(self, method, path, body=None):
        return req(method, self.sim_url + path, body,
                   {"Authorization": "Bearer " + self.key, "X-Rillet-API-Version": "4"})

    def connect(self, regions=("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-FL", "US-CO"),
                events=None, tax_from="2026-01-01", currency="USD",
                paste_token=None, api_key=None):
        """CONTRACT §2.3: subscribe regions, connect, pick a USD subsidiary, create the webhook in
        the simulator (events: by default one levy does not use, so only the test's own
        deliveries reach levy), hand levy the signing token, wait for the import."""
        for code in regions:
            st, _, text, _ = self.L("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
            if st != 200:
                raise RuntimeError("subscribe %s: %s %s" % (code, st, text))
        # the simulator's documents are dated from 2026-01-01 (a connection's default is the day
        # it is made: docs/connector.md "Scope"); events: by default one levy does not use;
        # paste_token: what the user pastes into levy (a wrong token in the health tests)
        c = harness.connect_steps(self.L, self.S, api_key or self.key, events or {"CUSTOMER": ["DELETED"]},
                                  tax_from, currency, paste_token)
        self.cid, self.sub, self.webhook_url = c.cid, c.sub, c.webhook_url
        self.signing_token, self.hook_id = c.hook["signing_token"], c.hook.get("id")
        self.after_secret = c.after_secret
        if c.secret_status != 200:
            raise RuntimeError("secret: %s %s" % (c.secret_status, c.secret_text))

        def import_done():
            s, c, _, _ = self.L("GET", "/v1/connections/" + self.cid)
            return c if s == 200 and c["import"]["state"] in ("done", "failed") else None
        # generous: a 3,000-invoice import beside other heavy tests took over 120 s once in CI;
        # the wait ends as soon as the import is done
        con = wait_for(import_done, 600, 0.3)
        if not con or con["import"]["state"] != "done":
            raise RuntimeError("import did not finish: %s" % (con,))
        return con

    # -- documents made in the simulator, as a user makes them in Rillet
    def saas_product(self, seller=None):
        """The seller address (when given) and the first product, its tax code set to saas;
        None (checked) when there is none."""
        if seller:
            st, _, text, _ = self.L("PUT", "/v1/settings", {"seller_address": seller})
            check("seller address set", st == 200, text[:300])
        st, prods, text, _ = self.L("GET", "/v1/products?limit=100")
        prod = next(iter((prods or {}).get("data", [])), None)
        if not check("a product to sell", prod, text[:300]):
            return None
        st, _, text, _ = self.L("PUT", "/v1/products/" + prod["id"], {"tax_code": "saas"})
        check("its tax code: saas", st == 200, text[:300])
        return prod

    def sim_customer(self, name, address, refs=None):
        """A customer created in Rillet, once levy stored it (levy's view; None, checked)."""
        body = {"name": name, "address": address}
        if refs:
            body["external_references"] = refs
        st, cu, text, _ = self.S("POST", "/customers", body)
        if not check("customer %s created in Rillet" % name, st == 200 and cu, text[:300]):
            return None
        got = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(
            self.L("GET", "/v1/customers/" + cu["id"])), 60)
        check("levy stored customer %s" % name, got, got)
        return got

    def sim_invoice(self, cu, prod, date="2026-06-01", amount="100.00"):
        """An invoice of one line of prod created in Rillet for customer cu: its id (None, checked)."""
        st, inv, text, _ = self.S("POST", "/invoices", {
            "customer_id": cu["id"], "subsidiary_id": self.sub["id"], "invoice_date": date,
            "items": [{"description": "subscription", "price": {
                "product_id": prod["id"], "quantity": 1,
                "amount_per_unit": {"amount": amount, "currency": "USD"}}}]})
        check("invoice for %s created in Rillet" % cu["name"], st == 200 and inv, text[:300])
        return inv and inv["id"]

    def written(self, iid, tax, rillet=True, timeout=120):
        """(levy's invoice, True) once written back with total tax `tax` (and, rillet: Rillet's
        taxed amount is that tax); else (its state, False)."""
        def done():
            s, d, _, _ = self.L("GET", "/v1/invoices/" + iid)
            if s != 200 or d.get("levy_tax") != tax or d.get("tax_status") != "written":
                return None
            if not rillet:
                return d
            s2, si, _, _ = self.S("GET", "/invoices/" + iid)
            amt = ((si or {}).get("taxed_amount") or {}).get("amount") if s2 == 200 else None
            return d if amt is not None and float(amt) == float(tax) else None
        r = wait_for(done, timeout)
        if r:
            return r, True
        s, d, _, _ = self.L("GET", "/v1/invoices/" + iid)
        return {k: (d or {}).get(k) for k in ("levy_tax", "tax_status", "reason", "last_error")}, False

    def deliver(self, body, wid, entity="INVOICE", event="CREATED", timeout=10):
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        h = {"X-Rillet-Signature": sign(self.signing_token, ts, wid, entity, event, body),
             "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": entity,
             "X-Rillet-Event": event}
        return req("POST", self.webhook_url, headers=h, raw=body, timeout=timeout)

    def fast_schedule(self):
        """levy's schedule ticks every second (--schedule-tick 1, via LEVY_SCHEDULE_TICK_S) instead
        of every minute: a test then waits for the state a tick brings, not for a clock."""
        self.levy_env["LEVY_SCHEDULE_TICK_S"] = "1"

    def live_exec(self, sql, *args):
        """One write to levy's store while levy runs (WAL: a second writer waits for the lock);
        for moving a recorded time back, so that an interval "has passed" without waiting for
        it. Returns the number of rows changed."""
        c = sqlite3.connect(os.path.join(self.levy_dir, "levy.db"), timeout=20)
        try:
            with c:
                return c.execute(sql, args).rowcount
        finally:
            c.close()

    def db(self):
        """Opens levy's store (levy must be stopped: this runs WAL recovery like a restart). On
        PostgreSQL (tests/pg/run_on_pg.py: LEVY_DATABASE_URL set) the database through psql
        (harness.PgCon: rows are tuples, read by position)."""
        if harness.PG_URL:
            return harness.PgCon(self.pg_url)
        c = sqlite3.connect(os.path.join(self.levy_dir, "levy.db"), timeout=10)
        c.row_factory = sqlite3.Row
        return c


_pg_dbs = []


def pg_database_for(levy_dir):
    """PostgreSQL (LEVY_DATABASE_URL set by run_on_pg.py): the URL of a database for the levy
    of levy_dir: the cluster's own for the first one asked, a new database for each later one."""
    import urllib.parse
    _pg_dbs.append(levy_dir)
    if len(_pg_dbs) == 1:
        url = harness.PG_URL
    else:
        name = "reliab_%d" % len(_pg_dbs)
        harness.PgCon().execute("CREATE DATABASE " + name)
        u = urllib.parse.urlsplit(harness.PG_URL)
        url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))
    harness.PG_DBS[os.path.abspath(levy_dir)] = url  # harness.store(levy_dir) reads it there
    return url


def store_invariants(c):
    """ARCHITECTURE §3 on a stopped store: returns a list of problems (empty = fine). On
    PostgreSQL (c a harness.PgCon) the same checks but SQLite's integrity_check."""
    bad = []
    if not isinstance(c, harness.PgCon):
        ic = c.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in ic] != ["ok"]:
            bad.append(("integrity_check", [r[0] for r in ic][:5]))
    live = "state IN ('queued','running')"
    # an unprocessed delivery has a process_inbox job
    n = c.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
    if n and not c.execute("SELECT count(*) FROM jobs WHERE kind='rillet.process_inbox' AND " + live).fetchone()[0]:
        bad.append(("unprocessed inbox rows without a job", n))
    for table, dt in (("invoices", "invoice"), ("credit_memos", "credit_memo")):
        dup = c.execute("SELECT id, count(*) FROM %s GROUP BY id HAVING count(*) > 1" % table).fetchall()
        if dup:
            bad.append(("duplicate " + table, [tuple(r) for r in dup][:5]))
        # pending: a calculate job exists (or the inbox will produce one)
        rows = c.execute(("SELECT d.id FROM %s d WHERE d.deleted = 0 AND d.tax_status = 'pending' AND NOT EXISTS "
                          "(SELECT 1 FROM jobs j WHERE j.kind = 'rillet.calculate' AND j.key = ? || ':' || d.id AND j."
                          + live + ")") % table, (dt,)).fetchall()
        if rows:
            bad.append((table + " pending without a calculate job", [r[0] for r in rows][:5]))
        # calculated but differing from Rillet and unpaid: a write-back job exists
        rows = c.execute(("SELECT d.id FROM %s d WHERE d.deleted = 0 AND d.tax_status = 'calculated' "
                          "AND d.levy_tax IS DISTINCT FROM d.rillet_taxed_amount AND coalesce(d.status,'') NOT IN ('PAID') "
                          # a reason = left alone on purpose (paid, outside the window, manual tax...)
                          "AND d.reason IS NULL "
                          "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind IN ('rillet.writeback','rillet.calculate') "
                          "AND j.key = ? || ':' || d.id AND j." + live + ")") % table, (dt,)).fetchall()
        if rows:
            bad.append((table + " calculated, not written, no job", [r[0] for r in rows][:5]))
    dead = c.execute("SELECT kind, last_error FROM jobs WHERE state = 'dead'").fetchall()
    if dead:
        bad.append(("dead jobs", [tuple(r) for r in dead][:5]))
    return bad


def new_env(levy_bin, src, prefix, base_port, **kw):
    """An Env on a fresh temp dir and the first free sim/levy ports from base_port."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    sim_port = free_port(base_port)
    levy_port = free_port(sim_port + 1)
    return Env(levy_bin, src, tmp, sim_port, levy_port, **kw)


def cleanup(env, log_tail=None):
    """Stops both processes and removes the temp dir (unless RELIAB_KEEP); after a failure,
    first prints the last log_tail bytes of levy.log (when given)."""
    rc = harness.failed
    env.close()
    if rc and log_tail:
        print("---- levy.log (tail) ----\n" + tail(os.path.join(env.tmp, "levy.log"), log_tail), flush=True)
    if not os.environ.get("RELIAB_KEEP"):
        shutil.rmtree(env.tmp, ignore_errors=True)


def finish(env):
    """Stops both processes, removes the temp dir (unless RELIAB_KEEP), returns the exit code."""
    cleanup(env)
    return summary()


@contextlib.contextmanager
def running(env):
    """The body of a test on env: an exception in it is a failed check "no exception" (with
    levy's log tail), and env is finished (stopped, temp dir removed) whatever happens."""
    try:
        yield env
    except Exception as e:  # noqa: BLE001
        check("no exception", False, "%r\n%s" % (e, tail(os.path.join(env.tmp, "levy.log"))))
    finally:
        finish(env)


def refused_settings(levy, cases, prefix):
    """`levy serve` with each bad setting exits 2 and names it. cases: (extra args, extra env,
    the name the error must carry)."""
    for args, env, name in cases:
        tmp = tempfile.mkdtemp(prefix=prefix)
        try:
            p = subprocess.run([levy, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp] + args,
                               capture_output=True, text=True, timeout=10, env=dict(os.environ, **env))
            got = (p.returncode, p.stderr[:200])
        except subprocess.TimeoutExpired:
            got = ("still serving after 10 s", "")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        check("%s %s -> exit 2 naming it" % (" ".join(args), env), got[0] == 2 and name in got[1], got)


def resave(env, iid):
    """Full-replace update of a simulator invoice with the same content: Rillet's PUT drops
    the lines' tax. A line's discount is kept (as the amount off the line), so the tax inputs
    stay what they were. Returns (status, new invoice, text)."""
    st, inv, text, _ = env.S("GET", "/invoices/" + iid)
    items = []
    for it in inv["items"]:
        price = {"product_id": it["product_id"], "quantity": it["quantity"], "amount_per_unit": it["gross_rate"]}
        disc = it.get("total_discount") or {}
        if disc.get("amount") not in (None, "0", "0.00"):
            price["discount"] = {"type": "AMOUNT", "amount_off": disc}
        items.append({"id": it["id"], "description": it.get("description") or "item", "price": price})
    st, new, text, _ = env.S("PUT", "/invoices/" + iid, {"items": items, "invoice_date": inv["invoice_date"]})
    return st, new, text


def proxy_forward(h, upstream_port, body):
    """For a test proxy: sends the request of handler h (a BaseHTTPRequestHandler) with body
    to 127.0.0.1:upstream_port; returns (status, headers, data)."""
    hdrs = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
    c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
    try:
        c.request(h.command, h.path, body=body, headers=hdrs)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


def proxy_reply(h, status, headers, data):
    """For a test proxy: writes the answer on handler h (framing headers replaced); a client
    that went away closes the connection instead of raising."""
    try:
        h.send_response(status)
        for k, v in headers:
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    except OSError:
        h.close_connection = True


def serve_proxy(port, handle, queue=64):
    """Starts a threaded HTTP/1.1 server on 127.0.0.1:port for a test proxy: every request,
    whatever its method, calls handle(h) with its BaseHTTPRequestHandler. Returns the server
    (.shutdown() stops it)."""
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle_any(self):
            handle(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    srv.request_queue_size = queue
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def proxied_env(levy_bin, src, prefix, base_port, make_proxy, **kw):
    """A simulator behind a test proxy (make_proxy(port, upstream_port)) and a levy that talks
    to Rillet through it with no local request budget (LEVY_RILLET_RATE_LIMIT=0, the worst
    case). Returns (proxy, env); env.sim_url is the simulator itself."""
    sim_port = free_port(base_port)
    proxy_port = free_port(sim_port + 1)
    proxy = make_proxy(proxy_port, sim_port)
    env = new_env(levy_bin, src, prefix, proxy_port + 1, rillet_url="http://127.0.0.1:%d" % proxy_port, **kw)
    env.sim_port, env.sim_url = sim_port, "http://127.0.0.1:%d" % sim_port
    env.levy_env = {"LEVY_RILLET_RATE_LIMIT": "0"}
    return proxy, env


UNAVAILABLE = (503, [("Content-Type", "application/problem+json")],
               b'{"title":"Service Unavailable","status":503}')


class OutageProxy:
    """A proxy in front of the simulator that stands for Rillet while it is down: set_down(True)
    makes every answer `down_answer` (status, headers, body; default a 503 problem), never
    forwarded. It records every request as (down, method, path); fetches(ids) lists the GETs
    of those ids (the last path segment). make(...) gives the make_proxy of proxied_env."""

    def __init__(self, port, upstream_port, down_answer=UNAVAILABLE):
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.down = False
        self.paths = []          # (down, method, path)
        proxy = self

        def handle_any(h):
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n) if n else None
            with proxy.lock:
                down = proxy.down
                proxy.paths.append((down, h.command, h.path))
            status, rh, data = down_answer if down else proxy_forward(h, proxy.upstream_port, body)
            proxy_reply(h, status, rh, data)

        self.srv = serve_proxy(port, handle_any)

    @classmethod
    def make(cls, down_answer=UNAVAILABLE):
        return lambda port, upstream_port: cls(port, upstream_port, down_answer)

    def set_down(self, down):
        with self.lock:
            self.down = down

    def fetches(self, ids):
        with self.lock:
            return [p for d, m, p in self.paths if m == "GET" and p.split("?")[0].rsplit("/", 1)[-1] in ids]

    def close(self):
        self.srv.shutdown()


def outage_env(levy_bin, src, prefix, base_port, down_answer=UNAVAILABLE):
    """The simulator behind an OutageProxy (proxied_env, 4 invoices): (proxy, env)."""
    return proxied_env(levy_bin, src, prefix, base_port, OutageProxy.make(down_answer), invoices=4)


def outage_ready(env, min_invoices=1):
    """Starts the simulator and levy of outage_env, connects, waits for the import to settle.
    Returns (ids, db): the imported invoice ids (at least min_invoices, else a failed check and
    ids None) and a read-only SQLite URI of levy's store."""
    db = "file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db")
    if not check("simulator and levy start", env.start_sim() and env.start_levy()):
        return None, db
    env.connect()
    wait_quiet(env)
    st, js, text, _ = env.L("GET", "/v1/invoices?limit=10")
    ids = [d["id"] for d in (js or {}).get("data", [])] if st == 200 else []
    if not check("invoices imported (%d)" % len(ids), len(ids) >= min_invoices, (st, text[:200])):
        return None, db
    return ids, db


def outage_main(levy_bin, src, prefix, base_port, body, min_invoices=1, down_answer=UNAVAILABLE):
    """The Rillet-outage rig of the inbox tests (inbox_backoff, inbox_outage): outage_env,
    outage_ready, then body(proxy, env, ids, db) with Rillet still up (the body takes it down
    with proxy.set_down(True)); an exception is a failed check with levy's log; the proxy and
    env are closed at the end."""
    proxy, env = outage_env(levy_bin, src, prefix, base_port, down_answer)
    try:
        ids, db = outage_ready(env, min_invoices)
        if ids:
            body(proxy, env, ids, db)
    except Exception as e:  # noqa: BLE001
        check("no exception", False, "%r\n%s" % (e, tail(os.path.join(env.tmp, "levy.log"))))
    finally:
        proxy.close()
        cleanup(env, 4000)


def store_one(db, sql, *args):
    """The first row of a read of levy's store (db: outage_env's read-only URI)."""
    c = sqlite3.connect(db, uri=True, timeout=10)
    try:
        return c.execute(sql, args).fetchone()
    finally:
        c.close()



def invoices(env, status=None):
    """levy's invoices (the first 500), optionally of one tax_status."""
    st, js, text, _ = env.L("GET", "/v1/invoices?limit=500" + ("&tax_status=" + status if status else ""))
    if st != 200:
        raise RuntimeError("list: %s %s" % (st, text[:200]))
    return js["data"]


def sim_tax_writes(env, iid):
    """How many times the simulator saw levy write tax onto invoice iid (None if unknown)."""
    st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
    return td.get("tax_writes") if st == 200 and isinstance(td, dict) else None


def queued_writebacks(db):
    """The invoice ids with a live (queued or running) write-back job, sorted."""
    c = sqlite3.connect(db, uri=True, timeout=10)
    try:
        rows = c.execute("SELECT substr(key, 9) FROM jobs WHERE kind = 'rillet.writeback' AND "
                         "key LIKE 'invoice:%' AND state IN ('queued', 'running')").fetchall()
    finally:
        c.close()
    return sorted(r[0] for r in rows)

def inbox_pending(db):
    """Deliveries not processed yet in levy's inbox."""
    return store_one(db, "SELECT count(*) FROM inbox WHERE processed_at IS NULL")[0]


def thin_delivery(env, iid):
    """Delivers INVOICE UPDATED for iid with only its id (levy must fetch the invoice):
    (status, text)."""
    body = json.dumps({"id": iid}, separators=(",", ":")).encode()
    st, _, text, _ = env.deliver(body, str(uuid.uuid4()), "INVOICE", "UPDATED")
    return st, text


def us_regions(env):
    """Waits for the simulator's background seeding, then lists levy's US region codes."""
    wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
    st, js, text, _ = env.L("GET", "/v1/regions")
    return [r["code"] for r in (js or {}).get("data", []) if r.get("country") == "US"], (st, text[:200])


# -- a throwaway PostgreSQL cluster (tests/pg/cluster.sh) and psql, for the *_pg reliab tests

def pg_cluster_start(cluster_sh, cdir, port):
    """Starts (or resumes) tests/pg/cluster.sh's cluster in cdir on port; its URL."""
    return subprocess.run(["sh", cluster_sh, "start", cdir, str(port)], check=True,
                          capture_output=True, text=True, timeout=120).stdout.strip()


def pg_rows(url, q):
    """The rows of q on url through psql, each a list of text fields (NULL as "")."""
    r = subprocess.run([harness.pg_bin("psql"), url, "-qAt", "-F", "\t", "-c", q], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("psql: %s: %s" % (q, r.stderr))
    return [line.split("\t") for line in r.stdout.splitlines() if line]
