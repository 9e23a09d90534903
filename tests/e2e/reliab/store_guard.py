#!/usr/bin/env python3
"""Start-up guards of the data dir (issue 15, findings 8, 9, 11) and the webhook answer for a
secret that does not open.

Usage: store_guard.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19750]

- 11: a second `levy serve` on the data dir of a running one exits 1 naming the first one's
  PID (it used to serve too and requeue the first one's running jobs); `levy restore` is
  refused the same way; `levy calc` still reads the data dir beside it (CONTRACT §1).
- 8: a connection's signing token that does not open under the master key answers a webhook
  503 + Retry-After (not 404: Rillet disables a webhook that answers 404). A data dir with
  sealed secrets and its master.key missing, or LEVY_MASTER_KEY not the original key, or (a
  data dir from before the fingerprint) a master.key that does not open a stored secret:
  levy exits 1 naming the problem and the fix, and makes no new key. With the original key
  it starts and records the key's fingerprint.
- 10: a job (max_attempts 1) whose store write meets another process's write lock is
  retried once the lock is gone, not counted as a failed attempt (it used to die).
- 9: a job that fails with an API error (a table) logs and stores "STATUS code: message",
  never "(error object is a table value)"; a levy.db with a damaged page is refused at start
  (PRAGMA quick_check) with a message naming the file and `levy restore`.
"""
import base64
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19750

GUARD_PLUGIN = '''
local http = require "levy.http"
local jobs = require "levy.jobs"
local store = require "levy.store"
local time = require "levy.time"
return {
  name = "guardjob",
  version = "0.1.0",
  routes = {
    { method = "POST", path = "/v1/guard/write", handler = function(req)
      return 200, { id = jobs.enqueue { kind = "guardjob.write", payload = {} } }
    end },
  },
  jobs = {
    ["guardjob.fail"] = { run = function(job)
      http.error(409, "guard_marker", "job-error-marker-7f3")
    end, max_attempts = 1 },
    -- one attempt only: a busy store must not count as one
    ["guardjob.write"] = { run = function(job)
      store.exec("INSERT INTO guard_t(phase) VALUES (1)")
      time.sleep(2000)
      store.exec("INSERT INTO guard_t(phase) VALUES (2)")
    end, max_attempts = 1 },
  },
  on_start = function() jobs.enqueue { kind = "guardjob.fail", key = "once", payload = {} } end,
}
'''


def serve_args(data_dir, port, plugins=None):
    return [LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir,
            "--plugins", plugins or os.path.join(SRC, "plugins"),
            "--scripts", os.path.join(SRC, "scripts"), "--api-token", "guard-token-0123456789abcdef"]


def run_refused(args, port, env=None, timeout=90):
    """Starts a levy serve that should refuse to start: ("exit", rc, output) when it exits,
    ("served", None, output) when it answers /healthz instead (then it is stopped)."""
    e = dict(os.environ)
    for k in ("LEVY_MASTER_KEY",):
        e.pop(k, None)
    e.update(env or {})
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e,
                         start_new_session=True, preexec_fn=common.harness.pdeathsig_preexec())
    end = time.time() + timeout
    outcome = None
    while time.time() < end:
        if p.poll() is not None:
            outcome = "exit"
            break
        st, js = common.req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[:2]
        # a 503 "starting"/"migrating"/"failed" is levy answering while its start runs (issue
        # 20): not served yet, the start may still refuse
        if st == 200 or (st == 503 and (js or {}).get("status") not in ("starting", "migrating", "failed")):
            outcome = "served"
            break
        time.sleep(0.1)
    if outcome != "exit":
        common.stop(p)
    out = p.communicate()[0].decode(errors="replace")
    return outcome or "timeout", p.returncode if outcome == "exit" else None, out


def flip(b64):
    """The same sealed value with one ciphertext byte changed (the GCM tag no longer matches)."""
    raw = bytearray(base64.b64decode(b64))
    raw[len(raw) // 2] ^= 0x55
    return base64.b64encode(bytes(raw)).decode()


def corrupt_a_page(path):
    """Overwrites one 4 KiB page of a table or index (found by trying pages from the middle on
    until SQLite's quick_check sees the damage); returns the page number or None."""
    with open(path, "rb") as f:
        orig = f.read()
    c = sqlite3.connect(path)
    psize = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    npages = len(orig) // psize
    order = list(range(npages // 2, npages)) + list(range(2, npages // 2))
    junk = bytes((i * 37 + 11) % 256 for i in range(psize))
    for pg in order:
        data = orig[:pg * psize] + junk + orig[(pg + 1) * psize:]
        with open(path, "wb") as f:
            f.write(data)
        c = sqlite3.connect(path)
        try:
            res = [r[0] for r in c.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError:
            res = ["error"]
        finally:
            c.close()
        if res != ["ok"]:
            return pg
    with open(path, "wb") as f:
        f.write(orig)
    return None


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-guard-")
    sim_port = common.free_port(BASE_PORT)
    levy_port = common.free_port(sim_port + 1)
    other_port = common.free_port(levy_port + 1)
    env = common.Env(LEVY, SRC, tmp, sim_port, levy_port, invoices=2)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        env.connect()
        d = env.levy_dir
        body = json.dumps({"id": str(uuid.uuid4()), "items": []}).encode()

        # ---- 11: one levy per data dir ------------------------------------------------------
        how, rc, out = run_refused(serve_args(d, other_port), other_port)
        check("second serve on the same data dir exits 1", how == "exit" and rc == 1, (how, rc, out[-600:]))
        check("... naming the data dir and the running levy's PID",
              ("data dir %s in use by PID %d" % (d, env.levy.pid)) in out, out[-600:])
        check("the first levy still serves", common.req("GET", env.levy_url + "/healthz")[0] == 200)
        bfile = os.path.join(tmp, "guard.backup")
        r = subprocess.run([LEVY, "backup", bfile, "--data-dir", d], capture_output=True, text=True, timeout=120)
        check("levy backup beside a running serve -> 0 (reads only)", r.returncode == 0, r.stderr[-400:])
        r = subprocess.run([LEVY, "restore", bfile, "--data-dir", d, "--force"], capture_output=True,
                           text=True, timeout=120)
        check("levy restore --force into the data dir of a running serve -> 1, PID named",
              r.returncode == 1 and ("in use by PID %d" % env.levy.pid) in r.stderr, (r.returncode, r.stderr[-400:]))
        calc = {"currency": "USD", "date": "2026-03-01",
                "ship_to": {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"},
                "lines": [{"id": "1", "amount": "100.00", "tax_code": "general"}]}
        r = subprocess.run([LEVY, "calc", "--data-dir", d, "--plugins", os.path.join(SRC, "plugins"),
                            "--scripts", os.path.join(SRC, "scripts")], input=json.dumps(calc),
                           capture_output=True, text=True, timeout=120)
        check("levy calc beside a running serve -> 0 (read-only)", r.returncode == 0, (r.returncode, r.stdout[-300:], r.stderr[-300:]))

        # ---- 8: a signing token that does not open -> 503 + Retry-After, never 404 -----------
        c = sqlite3.connect(os.path.join(d, "levy.db"), timeout=30)
        sealed = c.execute("SELECT signing_token_sealed FROM connections WHERE id = ?", (env.cid,)).fetchone()[0]
        c.execute("UPDATE connections SET signing_token_sealed = ? WHERE id = ?", (flip(sealed), env.cid))
        c.commit()
        a = env.deliver(body, str(uuid.uuid4()), "CUSTOMER", "UPDATED")
        check("webhook for a connection whose signing token does not open -> 503 + Retry-After",
              a[0] == 503 and a[3].get("Retry-After") and a[1] and a[1]["error"]["code"] == "unavailable",
              (a[0], a[2][:200]))
        c.execute("UPDATE connections SET signing_token_sealed = ? WHERE id = ?", (sealed, env.cid))
        c.commit()
        c.close()
        a = env.deliver(body, str(uuid.uuid4()), "CUSTOMER", "UPDATED")
        check("signing token restored -> the webhook is accepted", a[0] == 200, (a[0], a[2][:200]))

        # ---- 8: the master key at start -------------------------------------------------------
        common.stop(env.levy)
        key = os.path.join(d, "master.key")
        lost = os.path.join(tmp, "master.key.lost")
        shutil.move(key, lost)
        how, rc, out = run_refused(serve_args(d, levy_port), levy_port)
        check("master.key missing with sealed secrets -> exit 1", how == "exit" and rc == 1, (how, rc, out[-600:]))
        check("... the message names the problem and the fix",
              "master key missing" in out and key in out and "LEVY_MASTER_KEY" in out and "Restore" in out,
              out[-600:])
        check("... and no new master.key was made", not os.path.exists(key))
        shutil.copy(lost, key)
        other = base64.b64encode(os.urandom(32)).decode()
        how, rc, out = run_refused(serve_args(d, levy_port), levy_port, {"LEVY_MASTER_KEY": other})
        check("LEVY_MASTER_KEY not the original key -> exit 1", how == "exit" and rc == 1, (how, rc, out[-600:]))
        check("... 'master key does not match the sealed data in DIR/levy.db'",
              ("master key does not match the sealed data in %s/levy.db" % d) in out and other not in out,
              out[-600:])
        # a data dir from before the fingerprint: decided by opening a stored secret
        c = sqlite3.connect(os.path.join(d, "levy.db"), timeout=30)
        c.execute("DELETE FROM meta WHERE key = 'master_key_fingerprint'")
        c.commit()
        c.close()
        with open(key, "w") as f:
            f.write(other + "\n")
        how, rc, out = run_refused(serve_args(d, levy_port), levy_port)
        check("no fingerprint yet, master.key does not open the stored secrets -> exit 1",
              how == "exit" and rc == 1 and "does not open" in out, (how, rc, out[-600:]))
        shutil.copy(lost, key)
        check("with the original master.key levy starts", env.start_levy())
        c = sqlite3.connect(os.path.join(d, "levy.db"), timeout=30)
        fp = c.execute("SELECT value FROM meta WHERE key = 'master_key_fingerprint'").fetchone()
        c.close()
        check("... and records the key's fingerprint (not the key)",
              fp and len(fp[0]) == 16 and fp[0] not in open(key).read(), fp)
        a = env.deliver(body, str(uuid.uuid4()), "CUSTOMER", "UPDATED")
        check("... and accepts webhooks", a[0] == 200, (a[0], a[2][:200]))
        common.stop(env.levy)

        # ---- 9: a damaged levy.db is refused at start ---------------------------------------
        bad = os.path.join(tmp, "damaged")
        shutil.copytree(d, bad, ignore=shutil.ignore_patterns("levy.lock"))
        pg = corrupt_a_page(os.path.join(bad, "levy.db"))
        if check("a page of the copy is damaged (test setup)", pg is not None):
            how, rc, out = run_refused(serve_args(bad, levy_port), levy_port)
            check("levy.db with a damaged page -> exit 1", how == "exit" and rc == 1, (how, rc, out[-600:]))
            check("... naming the file, quick_check and levy restore",
                  os.path.join(bad, "levy.db") in out and "quick_check" in out and "levy restore" in out,
                  out[-600:])

        # ---- 9: a job's API error is logged and stored with its code and message -------------
        pdir = os.path.join(tmp, "guard-plugins", "guardjob")
        os.makedirs(pdir)
        with open(os.path.join(pdir, "handler.lua"), "w") as f:
            f.write(GUARD_PLUGIN)
        os.makedirs(os.path.join(pdir, "migrations"))
        with open(os.path.join(pdir, "migrations", "0001_guard.sql"), "w") as f:
            f.write("CREATE TABLE guard_t (phase INTEGER NOT NULL);\n")
        jdir = os.path.join(tmp, "jobs")
        jlog = os.path.join(tmp, "jobs.log")
        p = common.start(serve_args(jdir, other_port, os.path.join(tmp, "guard-plugins")), jlog)
        try:
            def dead():
                if not os.path.exists(os.path.join(jdir, "levy.db")):
                    return None
                c = sqlite3.connect(os.path.join(jdir, "levy.db"), timeout=30)
                try:
                    return c.execute("SELECT last_error FROM jobs WHERE kind = 'guardjob.fail' AND state = 'dead'").fetchone()
                except sqlite3.OperationalError:
                    return None
                finally:
                    c.close()
            row = common.wait_for(dead, 90, 0.2)
            check("the failing job is dead after its one attempt", row is not None, common.tail(jlog))
            check("... its last_error is 'STATUS code: message'",
                  row and row[0] == "409 guard_marker: job-error-marker-7f3", row)
            log = common.tail(jlog, 20000)
            check("the log shows the error's code and message",
                  "409 guard_marker: job-error-marker-7f3" in log and "error object is a table value" not in log,
                  log[-800:])

            # ---- 10: a job that meets a busy store is retried, not counted as an attempt ----
            jdb = os.path.join(jdir, "levy.db")

            def phase(n):
                c = sqlite3.connect(jdb, timeout=30)
                try:
                    return c.execute("SELECT count(*) FROM guard_t WHERE phase = ?", (n,)).fetchone()[0]
                finally:
                    c.close()
            st, js, text, _ = common.req("POST", "http://127.0.0.1:%d/v1/guard/write" % other_port, {},
                                         {"Authorization": "Bearer guard-token-0123456789abcdef"})
            check("the write job is enqueued", st == 200 and js and js.get("id"), (st, text[:200]))
            common.wait_for(lambda: phase(1) >= 1, 60, 0.02)
            lock = sqlite3.connect(jdb, timeout=30, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            if check("the job is inside its run when the lock is taken (test setup)", phase(2) == 0):
                # held well past the job's second write (2 s after its first) and past the old
                # 5 s busy timeout; the outcome does not depend on how long exactly
                time.sleep(20)
            lock.execute("ROLLBACK")
            lock.close()

            def final():
                c = sqlite3.connect(jdb, timeout=30)
                try:
                    return c.execute("SELECT state, attempts, last_error FROM jobs WHERE kind = 'guardjob.write' "
                                     "AND state IN ('done', 'dead')").fetchone()
                finally:
                    c.close()
            row = common.wait_for(final, 90, 0.2)
            check("the job that met the busy store ends done (retried, the busy attempt not counted)",
                  row and row[0] == "done" and phase(2) >= 1, (row, common.tail(jlog)[-1500:]))
        finally:
            common.stop(p)
    finally:
        env.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log")))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
