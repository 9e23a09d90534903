"""Shared helpers of the ops end-to-end tests (python3 stdlib only): processes, HTTP, the
Rillet connect flow against `levy sim`. Ports: LEVY_OPS_PORT_BASE (default 18950)."""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

PORT_BASE = int(os.environ.get("LEVY_OPS_PORT_BASE", "18950"))
_next = [PORT_BASE]
FAILS = []


def check(name, cond, info=""):
    if cond:
        print("  ok  ", name, flush=True)
    else:
        FAILS.append(name)
        print("  FAIL", name, str(info)[:800], flush=True)
    return cond


def free_port():
    while _next[0] < PORT_BASE + 49:
        p = _next[0]
        _next[0] += 1
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            s.close()
    raise RuntimeError("no free port in %d..%d" % (PORT_BASE, PORT_BASE + 49))


def req(method, url, body=None, headers=None, raw=None, timeout=30):
    """-> (status, json-or-None, text, headers)"""
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
    except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
        return 0, None, str(e), {}
    try:
        js = json.loads(text) if text else None
    except ValueError:
        js = None
    return status, js, text, rh


def wait_for(fn, timeout=60, interval=0.3):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    return last


def sign(token, ts, wid, entity, event, body):
    """CONTRACT 2.7 signature (Base64 key when the token is Base64, else its text)."""
    try:
        key = base64.b64decode(token, validate=True) or token.encode()
    except Exception:
        key = token.encode()
    msg = (ts + "." + wid + "." + entity + "." + event + ".").encode() + body
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


class Proc:
    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        self.logf = open(log_path, "wb")
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("LEVY_") and k not in ("LEVY_OPS_PORT_BASE",):
                e.pop(k)
        e.update(env or {})
        self.p = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT, env=e,
                                  start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()
        return self.p.returncode

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


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
    p = Proc([levy, "sim", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "sim"),
              "--seed", str(seed), "--invoices", str(invoices), "--no-rate-limit",
              "--plugins", os.path.join(src, "plugins"), "--scripts", os.path.join(src, "scripts")],
             os.path.join(tmp, "sim.log"))
    url = "http://127.0.0.1:%d" % port
    if not wait_for(lambda: req("GET", url + "/health")[0] == 200, 30):
        raise RuntimeError("levy sim did not start:\n" + p.log()[-3000:])
    m = wait_for(lambda: re.search(r"(rk_[A-Za-z0-9_]+)", p.log()), 10)
    key = m.group(1) if m else "rk_demo_" + hashlib.sha256(
        ("levy-sim-demo-key:%d" % seed).encode()).hexdigest()[:32]
    return p, url, key


def start_levy(levy, data_dir, token, rillet_url, log_path, src=None, env=None, extra=()):
    port = free_port()
    args = [levy, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir,
            "--api-token", token]
    if rillet_url:
        args += ["--rillet-url", rillet_url]
    if src:
        args += ["--plugins", os.path.join(src, "plugins"), "--scripts", os.path.join(src, "scripts")]
    p = Proc(args + list(extra), log_path, env)
    url = "http://127.0.0.1:%d" % port
    if not wait_for(lambda: p.p.poll() is not None or req("GET", url + "/healthz")[0] == 200, 60) \
            or p.p.poll() is not None:
        raise RuntimeError("levy serve did not start:\n" + p.log()[-3000:])
    return p, url


def connect(levy, sim_url, key):
    """Runs the CONTRACT 2.3 connect flow; returns (connection id, signing token)."""
    sim = Client(sim_url, {"Authorization": "Bearer " + key, "X-Rillet-API-Version": "4"})
    st, con, text, _ = levy("POST", "/v1/connections", {"provider": "rillet", "api_key": key,
                                                     "tax_documents_from": "2026-01-01"})
    if st != 201:
        raise RuntimeError("connect: %s %s" % (st, text))
    cid = con["id"]
    if con["status"] == "needs_subsidiary":
        sub = next((s for s in con["subsidiaries"] if s.get("currency") == "USD"), con["subsidiaries"][0])
        st, con, text, _ = levy("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
        if st != 200:
            raise RuntimeError("subsidiary: %s %s" % (st, text))
    events = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CUSTOMER": ["CREATED", "UPDATED", "DELETED"]}
    st, hook, text, _ = sim("POST", "/_sim/webhooks", {"name": "levy", "url": con["webhook_url"],
                                                       "events": events, "enabled": True})
    if st not in (200, 201):
        raise RuntimeError("sim webhook: %s %s" % (st, text))
    token = hook["signing_token"]
    st, con, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": token})
    if st != 200:
        raise RuntimeError("webhook-secret: %s %s" % (st, text))

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
