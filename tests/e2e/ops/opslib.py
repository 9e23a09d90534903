"""Shared helpers of the ops end-to-end tests (python3 stdlib only): processes, HTTP, the
Rillet connect flow against `levy sim`. Ports: LEVY_OPS_PORT_BASE (default 18950)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402  (tests/e2e/harness.py: the one e2e harness)
from harness import req, sign, wait_for  # noqa: E402,F401

PORT_BASE = int(os.environ.get("LEVY_OPS_PORT_BASE", "18950"))
_next = [PORT_BASE]
FAILS = []


def check(name, cond, info=""):
    if not harness.check(name, cond, info):
        FAILS.append(name)
    return cond


def free_port():
    """The next free port of this case's range (each call moves past the one it returns)."""
    top = PORT_BASE + 49
    p = harness.free_port(_next[0], max(top - _next[0], 0))
    _next[0] = p + 1
    return p


class Proc:
    """A levy process whose log is its own file; without the caller's LEVY_* variables
    (but LEVY_OPS_PORT_BASE) plus env."""

    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        e = {"LEVY_OPS_PORT_BASE": os.environ["LEVY_OPS_PORT_BASE"]} if "LEVY_OPS_PORT_BASE" in os.environ else {}
        e.update(env or {})
        self.p = harness.start(args, log_path, e, mode="wb", keep_levy_env=False)

    def stop(self):
        harness.stop(self.p, timeout=15)
        return self.p.returncode

    def log(self):
        return harness.tail(self.log_path, 1 << 62)


class Client:
    def __init__(self, url, headers):
        self.url, self.headers = url, headers
        self.seen = []   # (method, path template hint, status, json, text, headers)

    def __call__(self, method, path, body=None, raw=None, headers=None):
        h = dict(self.headers)
        h.update(headers or {})
        st, js, text, rh = req(method, self.url + path, body, h, raw)
        self.seen.append((method, path, st, js, text, rh))
        return st, js, text, rh


def start_sim(levy, tmp, src, seed=7, invoices=30):
    port = free_port()
    p = Proc(harness.sim_cmd(levy, port, os.path.join(tmp, "sim"), src, seed, invoices), os.path.join(tmp, "sim.log"))
    url = "http://127.0.0.1:%d" % port
    if not harness.wait_up(sim_url=url):
        raise RuntimeError("levy sim did not start:\n" + p.log()[-3000:])
    wait_for(lambda: harness.logged_sim_key(p.log_path), 10)
    return p, url, harness.sim_api_key(p.log_path, seed)


def start_levy(levy, data_dir, token, rillet_url, log_path, src=None, env=None, extra=()):
    port = free_port()
    p = Proc(harness.levy_cmd(levy, port, data_dir, token, rillet_url, src, extra), log_path, env)
    url = "http://127.0.0.1:%d" % port
    if not harness.wait_up(levy_url=url, timeout=60, proc=p.p) or p.p.poll() is not None:
        raise RuntimeError("levy serve did not start:\n" + p.log()[-3000:])
    return p, url


def connect(levy, sim_url, key):
    """Runs the CONTRACT 2.3 connect flow; returns (connection id, signing token)."""
    sim = Client(sim_url, {"Authorization": "Bearer " + key, "X-Rillet-API-Version": "4"})
    events = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CUSTOMER": ["CREATED", "UPDATED", "DELETED"]}
    c = harness.connect_steps(levy, sim, key, events)
    if c.secret_status != 200:
        raise RuntimeError("webhook-secret: %s %s" % (c.secret_status, c.secret_text))
    cid, token = c.cid, c.hook["signing_token"]

    def settled():
        s, c, _, _ = levy("GET", "/v1/connections/" + cid)
        if s != 200 or c["import"]["state"] not in ("done", "failed"):
            return None
        s, js, _, _ = levy("GET", "/v1/invoices?limit=500")
        if s != 200 or any(d["tax_status"] == "pending" for d in js["data"]):
            return None
        return c
    c = wait_for(settled, 180, 0.5)
    if not c or c["import"]["state"] != "done":
        raise RuntimeError("import did not finish: %s" % c)
    return cid, token
