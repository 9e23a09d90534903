"""The one end-to-end harness of levy's tests (python3 stdlib only).

Everything a test needs to run `levy sim` and `levy serve` on loopback: a free port, the
command lines, start / wait for health / stop / kill -9, the HTTP client, polling, the
simulator's API key, the CONTRACT §2.7 webhook signature, log tails, and the
check()/summary() pair that prints "N passed, N failed". The suites' own modules
(tests/e2e/reliab/common.py, tests/e2e/ops/opslib.py) and the single-file tests build on it;
a test imports it with

    sys.path.insert(0, <path of tests/e2e>)
    import harness
"""
import atexit
import base64
import decimal
import glob
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

passed = 0
failed = 0


def check(name, cond, info=""):
    """Prints "ok   - name" or "FAIL - name: info" (info cut to E2E_INFO characters, 800) and
    counts it; returns cond."""
    global passed, failed
    if cond:
        passed += 1
        print("ok   - " + name, flush=True)
    else:
        failed += 1
        cut = int(os.environ.get("E2E_INFO", "800"))
        print("FAIL - " + name + (": " + str(info)[:cut] if info != "" else ""), flush=True)
    return cond


def summary():
    """Prints "N passed, N failed"; returns the exit status (1 when anything failed)."""
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


def count_crash():
    """Prints the traceback of the exception being handled and counts it as a failure (a
    crash is a failure, not a pass)."""
    global failed
    import traceback
    traceback.print_exc()
    failed += 1


def run_main(main):
    """A test script's entry point: runs main(), counts an exception as a failure (with its
    traceback), prints the summary and exits 1 if anything failed."""
    try:
        main()
    except Exception:
        count_crash()
    sys.exit(summary())


class OutOfTime(Exception):
    """Raised in the main thread when a test's time (LEVY_TEST_TIMEOUT) is nearly up."""


def _out_of_time(signum, frame):
    import traceback
    signal.alarm(5)  # again in 5 s, should something swallow this one (an `except Exception`)
    where = " <- ".join("%s:%d %s" % (os.path.basename(f.filename), f.lineno, f.name)
                        for f in reversed(traceback.extract_stack(frame)[-4:]))
    raise OutOfTime("the test's %s s (ctest TIMEOUT) are nearly up; stopped in %s so the test "
                    "reports and stops levy / sim before ctest kills it"
                    % (os.environ.get("LEVY_TEST_TIMEOUT"), where))


def _arm_deadline():
    """LEVY_TEST_TIMEOUT (ctest's TIMEOUT, set by tests/reliab.cmake's levy_reliab_test): 20 s
    before it, SIGALRM raises OutOfTime in the main thread, so a test stuck in a wait fails
    with a traceback, its summary and its processes stopped, instead of being killed by ctest
    with nothing said."""
    try:
        limit = int(os.environ.get("LEVY_TEST_TIMEOUT", "0"))
    except ValueError:
        return
    if limit > 0 and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _out_of_time)
        signal.alarm(max(limit - 20, limit // 2))


def free_port(start, span=40):
    """The first port from start (span of them) that binds on 127.0.0.1."""
    for p in range(start, start + span):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            pass
        finally:
            s.close()
    raise RuntimeError("no free port in %d..%d" % (start, start + span - 1))


def any_port():
    """A port the system picks as free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def req(method, url, body=None, headers=None, raw=None, timeout=30):
    """One HTTP request -> (status, json-or-None, text, headers); status 0 (text: the error)
    when nothing answered."""
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


def wait_for(fn, timeout=60, interval=0.3):
    """Polls fn until it returns something true (returned) or timeout seconds pass (the last
    value is returned)."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    return last


def sign(token, ts, wid, entity, event, body):
    """CONTRACT §2.7 signature (Base64 key when the token is Base64, else its text)."""
    try:
        key = base64.b64decode(token, validate=True) or token.encode()
    except Exception:
        key = token.encode()
    msg = (ts + "." + wid + "." + entity + "." + event + ".").encode() + body
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


# -- levy's store, read and written by a test: SQLite or PostgreSQL

PG_URL = os.environ.get("LEVY_DATABASE_URL", "")  # tests/pg/run_on_pg.py: levy's store is PostgreSQL
PG_DBS = {}  # data dir (absolute) -> its own database's URL, when a test gave it one (reliab Env)


def pg_bin(name):
    """The path of a PostgreSQL client program (psql, pg_dump): PATH, else Debian's bindir."""
    return shutil.which(name) or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))[-1:]), name)


class PgCon:
    """The few sqlite3.Connection calls the e2e tests make, on the PostgreSQL store through
    psql: execute(sql, params) with '?' parameters inlined as quoted literals, then fetchone()
    / fetchall(); every statement commits on its own. A SELECT's rows come back typed as
    sqlite3 gives them (integers as int, NULL as None, text as str; numeric as Decimal) through
    row_to_json, so a check compares the same values on both engines."""

    def __init__(self, url=None):
        self.url = url or PG_URL
        self.psql = pg_bin("psql")

    def execute(self, sql, params=()):
        def lit(v):
            if v is None:
                return "NULL"
            if isinstance(v, bool):
                return "1" if v else "0"
            if isinstance(v, int):
                return str(v)
            if isinstance(v, bytes):
                v = v.decode()
            return "'" + str(v).replace("'", "''") + "'"
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("PgCon: %d '?' for %d parameters: %s" % (len(parts) - 1, len(params), sql))
        q = parts[0] + "".join(lit(v) + rest for v, rest in zip(params, parts[1:]))
        select = q.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH")
        if select:
            q = "SELECT row_to_json(levy_e2e_row) FROM (%s) AS levy_e2e_row" % q
        r = subprocess.run([self.psql, self.url, "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", q],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (q[:200], r.stderr))
        rows = []
        if select:
            for line in r.stdout.split("\n"):
                if line:
                    rows.append(tuple(json.loads(line, parse_float=decimal.Decimal).values()))
        return _Rows(rows)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def close(self):
        pass


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):  # `for row in con.execute(...)`, as on a sqlite3 cursor
        return iter(self.rows)


def store(levy_dir, readonly=True):
    """A connection to the store of the levy serving levy_dir: its levy.db (read-only unless
    readonly is False), or PostgreSQL when the test runs there (LEVY_DATABASE_URL set). Only
    SQL both engines take. Close it when done."""
    if PG_URL:
        return PgCon(PG_DBS.get(os.path.abspath(levy_dir), PG_URL))
    path = os.path.join(levy_dir, "levy.db")
    if readonly:
        return sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    return sqlite3.connect(path, timeout=10)


def store_dump(levy_dir):
    """Every byte of levy's store that a secrets grep must cover: the data dir's files on
    SQLite (database, WAL and the rest), plus a pg_dump of the database on PostgreSQL.
    [(name, bytes)]."""
    out = []
    for root, _, files in os.walk(levy_dir):
        for fn in files:
            with open(os.path.join(root, fn), "rb") as f:
                out.append((fn, f.read()))
    if PG_URL:
        r = subprocess.run([pg_bin("pg_dump"), "--no-owner", "-d", PG_URL], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("pg_dump: %s" % r.stderr.decode(errors="replace"))
        out.append(("pg_dump", r.stdout))
    return out


# -- processes

def sim_cmd(levy, port, data_dir, src, seed=1, invoices=None, no_rate_limit=True):
    """The command line of `levy sim` on 127.0.0.1:port (invoices None: its default)."""
    args = [levy, "sim", "--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir, "--seed", str(seed)]
    if invoices is not None:
        args += ["--invoices", str(invoices)]
    if no_rate_limit:
        args.append("--no-rate-limit")
    return args + ["--plugins", os.path.join(src, "plugins"), "--scripts", os.path.join(src, "scripts")]


def levy_cmd(levy, port, data_dir, token, rillet_url=None, src=None, extra=(), scripts=None):
    """The command line of `levy serve` on 127.0.0.1:port (src: the checkout whose plugins/
    and scripts/ it loads; None: levy's own defaults; scripts: another rules folder; token
    None: no --api-token)."""
    args = [levy, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir]
    if src:
        args += ["--plugins", os.path.join(src, "plugins"), "--scripts", scripts or os.path.join(src, "scripts")]
    if rillet_url:
        args += ["--rillet-url", rillet_url]
    return args + (["--api-token", token] if token else []) + list(extra)


_children = []  # every process start() made: stopped at exit (_stop_children)


def _prctl():
    """libc's prctl through ctypes (Linux), else None."""
    global _PRCTL
    try:
        return _PRCTL
    except NameError:
        pass
    _PRCTL = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            pass
    return _PRCTL


def die_with_parent(sig=signal.SIGTERM):
    """Asks Linux to send this process sig when its parent dies (PR_SET_PDEATHSIG), and sends
    it at once when the parent is already gone. For a process whose parent may die by SIGKILL
    (ctest's timeout, a killed node), where no finally or atexit runs. False when not Linux."""
    prctl, parent = _prctl(), os.getppid()
    if prctl is None or prctl(1, int(sig), 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
        return False
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)
    return True


def pdeathsig_preexec(sig=signal.SIGTERM):
    """A preexec_fn for Popen: the child gets sig when the thread that started it (this
    process's) dies, whatever kills it; if this process is already gone, at once. Resolves
    prctl before the fork so the child only makes the call."""
    prctl, parent = _prctl(), os.getpid()
    if prctl is None:
        return None

    def preexec():
        prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)
    return preexec


def as_user(user, group, cmd):
    """cmd exec'ed as user:group through setpriv (util-linux), as systemd runs a unit's
    User=/Group=: no parent process in between, the environment as given. With a parent-death
    signal (SIGKILL) that setpriv sets after the change of user: Linux clears one set before it
    (so a preexec_fn's would not survive), and a test killed by SIGKILL would leave cmd running
    as that user."""
    return ["setpriv", "--reuid", str(user), "--regid", str(group), "--init-groups", "--pdeathsig", "KILL",
            "--"] + list(cmd)


_REAPER = ("import os, shutil, sys, time\n"
           "try:\n"
           "    os.read(0, 1)\n"  # EOF once the test that made the folder has ended
           "except OSError:\n"
           "    pass\n"
           "end = time.monotonic() + 60\n"  # its children may still be writing logs into it
           "while os.path.lexists(sys.argv[1]) and time.monotonic() < end:\n"
           "    shutil.rmtree(sys.argv[1], ignore_errors=True)\n"
           "    time.sleep(0.5)\n")
_reaper_pipes = []  # write ends, held until this process ends


def tmpdir(prefix="levy-test-"):
    """tempfile.mkdtemp(prefix=prefix), removed when this process ends however it ends, even
    by SIGKILL (ctest's timeout), where no finally or atexit runs: a reaper process in a
    session of its own (a signal to the test's group does not reach it) reads a pipe whose
    write end only this process holds (not inherited by its children) and deletes the folder
    at its EOF. The test may still remove the folder itself; a left-over reaper costs nothing."""
    d = tempfile.mkdtemp(prefix=prefix)
    r, w = os.pipe()
    subprocess.Popen([sys.executable, "-c", _REAPER, d], stdin=r, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, cwd="/")
    os.close(r)
    _reaper_pipes.append(w)
    return d


def _stop_children():
    """atexit: a test that ends without stopping its levy / sim (an exception, sys.exit in
    the middle) must not leave them holding ports: SIGTERM to all, then SIGKILL after 10 s."""
    live = [p for p in _children if p.poll() is None]
    for p in live:
        try:
            p.terminate()
        except OSError:
            pass
    end = time.time() + 10
    for p in live:
        try:
            p.wait(timeout=max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


atexit.register(_stop_children)


def start(args, log_path, env=None, mode="ab", keep_levy_env=True):
    """Starts args in a session of its own, stdout and stderr to log_path; env is added to
    this process's environment (keep_levy_env False: without the caller's LEVY_* variables).
    The child gets SIGTERM when this process dies, even by SIGKILL (ctest's timeout): Linux's
    parent-death signal, set for the thread that calls start(), so call it from the main
    thread (or one that outlives the child); the rest are stopped at exit (atexit)."""
    logf = open(log_path, mode)
    e = dict(os.environ)
    if not keep_levy_env:
        for k in [k for k in e if k.startswith("LEVY_")]:
            e.pop(k)
    e.update(env or {})
    try:
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=e, start_new_session=True,
                             preexec_fn=pdeathsig_preexec(signal.SIGTERM))
    finally:
        logf.close()
    _children[:] = [c for c in _children if c.poll() is None] + [p]
    return p


def stop(p, timeout=10, sig=signal.SIGTERM):
    """sig (SIGTERM), then SIGKILL after timeout seconds."""
    if p and p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def kill9(p):
    if p and p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    if p:
        p.wait()


def healthy(url, path="/healthz", timeout=2):
    return req("GET", url + path, timeout=timeout)[0] == 200


def wait_up(sim_url=None, levy_url=None, timeout=30, interval=0.3, proc=None):
    """Waits until the simulator answers /health and levy /healthz (either may be None);
    gives up early when proc (levy's process) has exited. True when both are up."""
    def up():
        if proc is not None and proc.poll() is not None:
            return None
        return (sim_url is None or healthy(sim_url, "/health")) and (levy_url is None or healthy(levy_url))
    return bool(wait_for(up, timeout, interval))


def logged_sim_key(log_path):
    """The API key `levy sim` printed in its log, or None (not yet, or no log)."""
    try:
        with open(log_path, "rb") as f:
            m = re.search(rb"(rk_[A-Za-z0-9_]+)", f.read())
        return m.group(1).decode() if m else None
    except OSError:
        return None


def sim_api_key(log_path, seed):
    """The API key `levy sim` printed in its log (else its demo key for seed)."""
    return logged_sim_key(log_path) or \
        "rk_demo_" + hashlib.sha256(("levy-sim-demo-key:%d" % seed).encode()).hexdigest()[:32]


def tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


def print_logs(tmp, names, n=5000):
    """Prints the tail of each log in tmp that exists (after a failure)."""
    for name in names:
        path = os.path.join(tmp, name)
        if os.path.exists(path):
            print("---- %s (tail) ----\n%s" % (name, tail(path, n)), flush=True)


def exchange(port, data, timeout=15, after=None, chunks=(), until=None):
    """Raw HTTP on 127.0.0.1:port: sends data and then each of chunks (then `after` once the
    first answer bytes are in, if given); reads until EOF, timeout, or until(bytes so far) is
    true; returns (the bytes received, closed_by_server)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf, closed = b"", False
    try:
        try:
            s.sendall(data)
            for c in chunks:
                s.sendall(c)
        except OSError:
            pass
        end = time.time() + timeout
        while time.time() < end:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not b:
                closed = True
                break
            buf += b
            if after is not None:
                try:
                    s.sendall(after)
                except OSError:
                    pass
                after = None
            if until is not None and until(buf):
                break
    finally:
        s.close()
    return buf, closed


class Levy:
    """levy's API as the bearer of token: levy(method, path, body) -> req()'s tuple."""

    def __init__(self, url, token):
        self.url, self.token = url, token

    def __call__(self, method, path, body=None, timeout=30):
        return req(method, self.url + path, body, {"Authorization": "Bearer " + self.token}, timeout=timeout)


class Sim:
    """The simulator's Rillet API with key: sim(method, path, body) -> req()'s tuple."""

    def __init__(self, url, key):
        self.url, self.key = url, key

    def __call__(self, method, path, body=None):
        return req(method, self.url + path, body,
                   {"Authorization": "Bearer " + self.key, "X-Rillet-API-Version": "4"})


# -- the connect flow (CONTRACT §2.3)

class Connected:
    """What connect_steps() leaves: the connection id, the chosen subsidiary, levy's webhook
    URL, the simulator's webhook (hook: its id and signing_token) and levy's answer to the
    pasted signing token (secret_status, after_secret, secret_text)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def connect_steps(levy, sim, api_key, events, tax_from="2026-01-01", currency="USD", paste_token=None):
    """CONTRACT §2.3 up to the signing token: POST /v1/connections with api_key (documents
    from tax_from; None: the connection's default, the day it is made), pick the subsidiary
    in currency when levy asks for one, create the simulator's webhook to levy for events and
    paste its signing token (or paste_token) into levy. levy and sim are callables
    (method, path, body) -> req()'s tuple. Raises RuntimeError when a step before the paste
    fails; the paste's answer is returned for the caller to judge."""
    body = {"provider": "rillet", "api_key": api_key}
    if tax_from:
        body["tax_documents_from"] = tax_from
    st, con, text, _ = levy("POST", "/v1/connections", body)
    if st != 201:
        raise RuntimeError("connect: %s %s" % (st, text))
    cid = con["id"]
    subs = con.get("subsidiaries") or []
    sub = next((s for s in subs if s.get("currency") == currency), subs[0] if subs else None)
    if con["status"] == "needs_subsidiary":
        st, con, text, _ = levy("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
        if st != 200:
            raise RuntimeError("subsidiary: %s %s" % (st, text))
    st, hook, text, _ = sim("POST", "/_sim/webhooks", {"name": "levy", "url": con["webhook_url"],
                                                       "events": events, "enabled": True})
    if st not in (200, 201):
        raise RuntimeError("sim webhook: %s %s" % (st, text))
    st, after, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid,
                              {"signing_token": paste_token or hook["signing_token"]})
    return Connected(cid=cid, sub=sub, webhook_url=con["webhook_url"], hook=hook,
                     secret_status=st, after_secret=after, secret_text=text)


# -- command line: the same harness for tests in other languages (tests/browser/ui.test.js)

def serve_pair(argv):
    """`harness.py pair LEVY SRC TMP TOKEN [--seed N] [--invoices N] [--scripts DIR] [--public-url]
    [--port-base N]`: starts `levy sim` (TMP/sim-data, log TMP/sim.log) and `levy serve`
    (TMP/data, log TMP/levy.log, Rillet = that simulator; --public-url: its own URL), waits
    for both, prints one JSON line {sim_url, levy_url, sim_log, levy_log, sim_pid, levy_pid}
    (or {error, ...} and exit 1), then holds them until SIGTERM / SIGINT, stdin closes or the
    parent dies (the parent-death signal is SIGTERM), and stops both; also when that happens
    while they are still starting.

    The signal handlers only note the signal (no lock: a threading.Event set from a handler
    can deadlock the main thread that holds the Event's lock when the signal lands); the main
    thread polls that note, stdin (select, EOF = the parent closed it or died) and the two
    processes, every 0.2 s."""
    import argparse
    stopping = []
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda signum, _f: stopping.append(signum))
    die_with_parent(signal.SIGTERM)
    ap = argparse.ArgumentParser(prog="harness.py pair")
    ap.add_argument("levy")
    ap.add_argument("src")
    ap.add_argument("tmp")
    ap.add_argument("token")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--invoices", type=int)
    ap.add_argument("--scripts")
    ap.add_argument("--public-url", action="store_true")
    ap.add_argument("--port-base", type=int, default=0, help="first port to try (0: ports the system picks)")
    a = ap.parse_args(argv)
    try:
        stdin = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        stdin = None

    def stdin_closed():
        if stdin is None:
            return False
        try:
            if not select.select([stdin], [], [], 0)[0]:
                return False
            return os.read(stdin, 4096) == b""
        except OSError:
            return True

    def told_to_stop():
        return bool(stopping) or stdin_closed()

    sim_port = free_port(a.port_base) if a.port_base else any_port()
    levy_port = free_port(sim_port + 1) if a.port_base else any_port()
    sim_url, levy_url = "http://127.0.0.1:%d" % sim_port, "http://127.0.0.1:%d" % levy_port
    logs = {"sim_log": os.path.join(a.tmp, "sim.log"), "levy_log": os.path.join(a.tmp, "levy.log")}
    sim = levy = None
    try:
        sim = start(sim_cmd(a.levy, sim_port, os.path.join(a.tmp, "sim-data"), a.src, a.seed, a.invoices),
                    logs["sim_log"], mode="wb")
        levy = start(levy_cmd(a.levy, levy_port, os.path.join(a.tmp, "data"), a.token, sim_url, a.src,
                              ["--public-url", levy_url] if a.public_url else [], a.scripts),
                     logs["levy_log"], mode="wb")
        end = time.time() + 60
        up = False
        while not up and time.time() < end and not told_to_stop():
            if sim.poll() is not None or levy.poll() is not None:
                break
            up = healthy(sim_url, "/health") and healthy(levy_url)
            if not up:
                time.sleep(0.1)
        try:
            if not up:
                print(json.dumps(dict(logs, error="levy sim or levy serve did not come up" +
                                      (" (told to stop)" if stopping else ""),
                                      sim_exit=sim.poll(), levy_exit=levy.poll())), flush=True)
                return 1
            print(json.dumps(dict(logs, sim_url=sim_url, levy_url=levy_url, sim_pid=sim.pid,
                                  levy_pid=levy.pid)), flush=True)
        except OSError:  # stdout closed: the parent is gone
            return 1
        while not told_to_stop():
            if sim.poll() is not None or levy.poll() is not None:
                return 1
            if stdin is None:
                time.sleep(0.2)
            else:
                select.select([stdin], [], [], 0.2)
        return 0
    finally:
        for p in (levy, sim):
            if p is not None and p.poll() is None:
                p.terminate()
        stop(levy)
        stop(sim)


if __name__ != "__main__":
    _arm_deadline()

if __name__ == "__main__":
    if sys.argv[1:2] == ["pair"]:
        sys.exit(serve_pair(sys.argv[2:]))
    print("usage: harness.py pair LEVY SRC TMP TOKEN [options] (or import it)", file=sys.stderr)
    sys.exit(2)
