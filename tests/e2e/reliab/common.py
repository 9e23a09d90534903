"""Shared helpers for the reliability tests (python3 stdlib only).

Starts `levy sim` and `levy serve`, walks the connect flow of CONTRACT §2.3 (the same steps as
tests/e2e/connector/test_connector.py), signs webhooks as in CONTRACT §2.7, and offers a
check()/summary() pair that prints "N passed, N failed".
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import re
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

passed = 0
failed = 0


def check(name, cond, info=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   - " + name, flush=True)
    else:
        failed += 1
        print("FAIL - " + name + (": " + str(info)[:800] if info != "" else ""), flush=True)
    return cond


def summary():
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


def run_main(main):
    """A test script's entry point: runs main(), counts an exception as a failure (with its
    traceback), prints the summary and exits 1 if anything failed."""
    global failed
    try:
        main()
    except Exception:
        import traceback
        traceback.print_exc()
        failed += 1
    sys.exit(summary())


def free_port(start, span=40):
    for p in range(start, start + span):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            s.close()
    raise RuntimeError("no free port from %d" % start)


def req(method, url, body=None, headers=None, raw=None, timeout=30):
    h = dict(headers or {})
    data = None
    if raw is not None:
        data = raw if isinstance(raw, bytes) else raw.encode()
        h.setdefault("Content-Type", "application/json")
    elif body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    r = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            text = resp.read().decode()
            status, rh = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        status, rh = e.code, dict(e.headers)
    except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
        return 0, None, str(e), {}
    try:
        js = json.loads(text) if text else None
    except ValueError:
        js = None
    return status, js, text, rh


def wait_for(fn, timeout=60, interval=0.2):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    return last


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


def sign(token, ts, wid, entity, event, body):
    try:
        key = base64.b64decode(token, validate=True) or token.encode()
    except Exception:
        key = token.encode()
    msg = (ts + "." + wid + "." + entity + "." + event + ".").encode() + body
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def start(args, log_path, env=None):
    logf = open(log_path, "ab")
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=e, start_new_session=True)
    logf.close()
    return p


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


def stop(p):
    if p and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def kill9(p):
    if p and p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    if p:
        p.wait()


def tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


class Env:
    """One simulator + one levy (restartable), connected."""

    def __init__(self, levy_bin, src, tmp, sim_port, levy_port, invoices=6, rillet_url=None):
        self.levy_bin, self.src, self.tmp = levy_bin, src, tmp
        self.sim_dir, self.levy_dir = os.path.join(tmp, "sim"), os.path.join(tmp, "levy")
        self.sim_port, self.levy_port = sim_port, levy_port
        self.sim_url = "http://127.0.0.1:%d" % sim_port
        self.levy_url = "http://127.0.0.1:%d" % levy_port
        self.rillet_url = rillet_url or self.sim_url
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

    # -- processes
    def start_sim(self):
        plugins, scripts = os.path.join(self.src, "plugins"), os.path.join(self.src, "scripts")
        self.sim = start([self.levy_bin, "sim", "--listen", "127.0.0.1:%d" % self.sim_port,
                          "--data-dir", self.sim_dir, "--seed", "1", "--invoices", str(self.invoices),
                          "--no-rate-limit", "--plugins", plugins, "--scripts", scripts],
                         os.path.join(self.tmp, "sim.log"))
        ok = wait_for(lambda: req("GET", self.sim_url + "/health", timeout=2)[0] == 200, 30)
        if ok:
            self.key = req("GET", self.sim_url + "/_sim/info")[1]["api_key"]
        return ok

    def start_levy(self, timeout=30):
        plugins, scripts = os.path.join(self.src, "plugins"), os.path.join(self.src, "scripts")
        self.levy = start([self.levy_bin, "serve", "--listen", "127.0.0.1:%d" % self.levy_port,
                           "--data-dir", self.levy_dir, "--plugins", plugins, "--scripts", scripts,
                           "--rillet-url", self.rillet_url, "--api-token", self.token],
                          os.path.join(self.tmp, "levy.log"), self.levy_env)
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
        # it is made: docs/connector.md "Scope")
        body = {"provider": "rillet", "api_key": api_key or self.key}
        if tax_from:
            body["tax_documents_from"] = tax_from
        st, con, text, _ = self.L("POST", "/v1/connections", body)
        if st != 201:
            raise RuntimeError("connect: %s %s" % (st, text))
        self.cid = con["id"]
        subs = con.get("subsidiaries") or []
        self.sub = next((s for s in subs if s.get("currency") == currency), subs[0])
        if con["status"] == "needs_subsidiary":
            st, con, text, _ = self.L("POST", "/v1/connections/%s/subsidiary" % self.cid,
                                      {"subsidiary_id": self.sub["id"]})
            if st != 200:
                raise RuntimeError("subsidiary: %s %s" % (st, text))
        self.webhook_url = con["webhook_url"]
        ev = events or {"CUSTOMER": ["DELETED"]}
        st, hook, text, _ = self.S("POST", "/_sim/webhooks", {"name": "levy", "url": self.webhook_url,
                                                               "events": ev, "enabled": True})
        if st not in (200, 201):
            raise RuntimeError("sim webhook: %s %s" % (st, text))
        self.signing_token = hook["signing_token"]
        self.hook_id = hook.get("id")
        # paste_token: what the user pastes into levy (a wrong token in the health tests)
        st, con, text, _ = self.L("POST", "/v1/connections/%s/webhook-secret" % self.cid,
                                  {"signing_token": paste_token or self.signing_token})
        self.after_secret = con
        if st != 200:
            raise RuntimeError("secret: %s %s" % (st, text))

        def import_done():
            s, c, _, _ = self.L("GET", "/v1/connections/" + self.cid)
            return c if s == 200 and c["import"]["state"] in ("done", "failed") else None
        con = wait_for(import_done, 120, 0.3)
        if not con or con["import"]["state"] != "done":
            raise RuntimeError("import did not finish: %s" % (con,))
        return con

    def deliver(self, body, wid, entity="INVOICE", event="CREATED", timeout=10):
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        h = {"X-Rillet-Signature": sign(self.signing_token, ts, wid, entity, event, body),
             "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": entity,
             "X-Rillet-Event": event}
        return req("POST", self.webhook_url, headers=h, raw=body, timeout=timeout)

    def db(self):
        """Opens levy's store (levy must be stopped: this runs WAL recovery like a restart)."""
        c = sqlite3.connect(os.path.join(self.levy_dir, "levy.db"), timeout=10)
        c.row_factory = sqlite3.Row
        return c


def store_invariants(c):
    """ARCHITECTURE §3 on a stopped store: returns a list of problems (empty = fine)."""
    bad = []
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
                          "AND d.levy_tax IS NOT d.rillet_taxed_amount AND coalesce(d.status,'') NOT IN ('PAID') "
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


def finish(env):
    """Stops both processes, removes the temp dir (unless RELIAB_KEEP), returns the exit code."""
    env.close()
    if not os.environ.get("RELIAB_KEEP"):
        shutil.rmtree(env.tmp, ignore_errors=True)
    return summary()


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


def us_regions(env):
    """Waits for the simulator's background seeding, then lists levy's US region codes."""
    wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
    st, js, text, _ = env.L("GET", "/v1/regions")
    return [r["code"] for r in (js or {}).get("data", []) if r.get("country") == "US"], (st, text[:200])
