"""levy under systemd's notify protocol (issue 20, Debian package): a fake NOTIFY_SOCKET (a unix
datagram socket, as systemd's) and WATCHDOG_USEC, then levy serve must send READY=1 only once it
answers (listening, generation 1 loaded), WATCHDOG=1 repeatedly, RELOADING=1 then READY=1 with a
STATUS= naming the outcome around every reload (SIGHUP and `levy reload`), and STOPPING=1 on
SIGTERM; every migration said as STATUS= (before it with EXTEND_TIMEOUT_USEC=) and, on an
upgrade, in the log at INFO with the time it took; `levy reload` (the unit's ExecReload) exits 0 on a reload that took or found nothing
changed and 1 on a rejected one. And `levy sim` / `levy demo` without the simulator plugin
(the levy package without levy-sim) say that levy-sim is needed.

usage: sd_notify.py LEVY SRC PORT_BASE
"""
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
import common  # noqa: E402
from common import check, run_main, free_port, req, start, stop, wait_for  # noqa: E402

LEVY, SRC = sys.argv[1], sys.argv[2]
PORT_BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 23800
TOKEN = "notify-token-0123456789abcdef"


class Notify:
    """The systemd side: a datagram socket collecting every message (a list of dicts)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.msgs = []
        self.lock = threading.Lock()
        self.done = False
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        while not self.done:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = {}
            for line in data.decode(errors="replace").split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    fields[k] = v
            with self.lock:
                self.msgs.append(fields)

    def since(self, n):
        with self.lock:
            return list(self.msgs[n:])

    def count(self):
        with self.lock:
            return len(self.msgs)

    def wait(self, start, pred, timeout=60):
        """The first message from index start on that pred accepts (waits for it), or None."""
        found = []

        def seen():
            for m in self.since(start):
                if pred(m):
                    found.append(m)
                    return True
            return False
        wait_for(seen, timeout, 0.05)
        return found[0] if found else None

    def close(self):
        self.done = True
        self.sock.close()


def reload_cli(url_port, *extra, token=TOKEN):
    args = [LEVY, "reload", "--listen", "127.0.0.1:%d" % url_port] + list(extra)
    if token:
        args += ["--api-token", token]
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def main():
    tmp = tempfile.mkdtemp(prefix="levy-notify-")
    p = None
    n = None
    try:
        plugins, scripts = os.path.join(tmp, "plugins"), os.path.join(tmp, "scripts")
        shutil.copytree(os.path.join(SRC, "plugins"), plugins)
        shutil.copytree(os.path.join(SRC, "scripts"), scripts)
        n = Notify(os.path.join(tmp, "notify.sock"))
        port = free_port(PORT_BASE, 50)
        url = "http://127.0.0.1:%d" % port
        log = os.path.join(tmp, "levy.log")
        env = {"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "1000000"}
        p = start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "data"),
                   "--plugins", plugins, "--scripts", scripts, "--api-token", TOKEN], log, env)

        # READY=1 once levy answers: /healthz must answer the moment READY=1 arrives
        ready = n.wait(0, lambda m: m.get("READY") == "1", 120)
        check("READY=1 received", ready is not None, n.since(0))
        if ready is None:
            return
        st = req("GET", url + "/healthz", timeout=5)[0]
        check("levy answers /healthz when READY=1 arrives (READY after listen)", st == 200, st)
        check("READY=1 carries a STATUS naming the address and generation 1",
              "serving on http://127.0.0.1:%d" % port in ready.get("STATUS", "")
              and "generation 1" in ready.get("STATUS", ""), ready)
        first = n.since(0)
        check("nothing but READY/WATCHDOG before READY=1 (no RELOADING at start)",
              not any("RELOADING" in m for m in first[:first.index(ready)]), first)
        # the migrations of a new store, each said before and after it runs, each start with an
        # extension of systemd's start timeout (issue 20 operations: a long upgrade)
        before = first[:first.index(ready)]
        mig = [m.get("STATUS", "") for m in before if "migration" in m.get("STATUS", "")]
        check("before READY=1: a STATUS per migration (creating the store: core and rillet ones)",
              any(x.startswith("creating the store: applying core migration 0001_") for x in mig) and
              any(x.startswith("creating the store: applied rillet migration 0027_recount.sql") for x in mig), mig[:4])
        check("before READY=1: EXTEND_TIMEOUT_USEC before each migration",
              sum(1 for m in before if m.get("EXTEND_TIMEOUT_USEC") == "900000000") ==
              sum(1 for x in mig if ": applying " in x) > 0, len(mig))

        # WATCHDOG=1 at half of WATCHDOG_USEC (1 s -> every 0.5 s): several of them
        mark = n.count()
        wait_for(lambda: sum(1 for m in n.since(mark) if m.get("WATCHDOG") == "1") >= 3, 60, 0.1)
        dogs = sum(1 for m in n.since(mark) if m.get("WATCHDOG") == "1")
        check("WATCHDOG=1 keeps coming from the loop (>= 3 seen)", dogs >= 3, dogs)

        def reload_round(what, do, want_status):
            mark = n.count()
            out = do()
            r1 = n.wait(mark, lambda m: m.get("RELOADING") == "1", 60)
            check("%s: RELOADING=1 (with MONOTONIC_USEC)" % what,
                  r1 is not None and r1.get("MONOTONIC_USEC", "").isdigit(), n.since(mark))
            msgs = n.since(mark)
            i = msgs.index(r1) if r1 in msgs else 0
            r2 = n.wait(mark, lambda m: m.get("READY") == "1" and m is not r1 and
                        n.since(mark).index(m) > i, 60)
            check("%s: READY=1 after RELOADING=1" % what, r2 is not None, n.since(mark))
            check("%s: STATUS says %r" % (what, want_status),
                  r2 is not None and want_status in r2.get("STATUS", ""), r2)
            return out

        # levy reload with nothing changed: exit 0, "unchanged"
        r = reload_round("levy reload, nothing changed", lambda: reload_cli(port), "reload: unchanged")
        check("levy reload (unchanged) exits 0 and prints the outcome",
              r.returncode == 0 and '"status":"unchanged"' in r.stdout, (r.returncode, r.stdout, r.stderr))

        # a changed rule: a new generation
        rule = os.path.join(scripts, "us", "ca.lua")
        with open(rule, "a") as f:
            f.write("\n-- changed by the sd_notify test\n")
        r = reload_round("levy reload, a rule changed", lambda: reload_cli(port), "generation 2 (reload: reloaded)")
        check("levy reload (reloaded) exits 0", r.returncode == 0 and '"status":"reloaded"' in r.stdout,
              (r.returncode, r.stdout, r.stderr))

        # a broken rule: rejected -> exit 1 naming the file; STATUS says rejected, gen 2 serves
        broken = os.path.join(scripts, "zz_broken.lua")
        with open(broken, "w") as f:
            f.write("return {  -- a syntax error\n")
        r = reload_round("levy reload, a broken rule", lambda: reload_cli(port), "reload rejected")
        check("levy reload (rejected) exits 1 and names the file",
              r.returncode == 1 and "zz_broken.lua" in r.stderr, (r.returncode, r.stdout, r.stderr))
        st, js, _, _ = req("GET", url + "/admin/generation", headers={"Authorization": "Bearer " + TOKEN})
        check("the previous generation keeps serving after the rejected reload",
              st == 200 and js.get("generation", js.get("id")) == 2, (st, js and {k: js[k] for k in js if k != "files"}))
        os.unlink(broken)

        # SIGHUP (ExecReload of old units, --watch): the same notifications
        reload_round("SIGHUP", lambda: p.send_signal(signal.SIGHUP), "reload: unchanged")

        # levy reload errors: wrong token, nobody listening, no token at all
        r = reload_cli(port, token="wrong-token-0123456789abcdef")
        check("levy reload with a wrong token exits 1 naming the 401",
              r.returncode == 1 and "401" in r.stderr, (r.returncode, r.stderr))
        r = reload_cli(free_port(PORT_BASE + 20, 20))
        check("levy reload with nothing listening exits 1 with a clear message",
              r.returncode == 1 and "is levy serving" in r.stderr, (r.returncode, r.stderr))
        r = reload_cli(port, "--data-dir", os.path.join(tmp, "nowhere"), token=None)
        check("levy reload without a token exits 1 naming the missing file",
              r.returncode == 1 and "nowhere/api-token" in r.stderr, (r.returncode, r.stderr))
        # the data dir's generated token file is found without a flag
        with open(os.path.join(tmp, "tok"), "w") as f:
            f.write(TOKEN + "\n")
        r = reload_cli(port, "--api-token-file", os.path.join(tmp, "tok"), token=None)
        check("levy reload --api-token-file works", r.returncode == 0, (r.returncode, r.stderr))

        # SIGTERM: STOPPING=1, then a clean exit
        mark = n.count()
        p.send_signal(signal.SIGTERM)
        s = n.wait(mark, lambda m: m.get("STOPPING") == "1", 60)
        check("STOPPING=1 on SIGTERM", s is not None, n.since(mark))
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        check("levy exits 0 after SIGTERM", rc == 0, rc)

        # an upgrade: the plugins gain a rillet migration the store has not had (as a new levy
        # brings); the start says what it applies and how long it took, in the log at INFO and
        # to systemd. (The test once removed the newest real migration from the store instead;
        # the newest is whatever the tree holds today, so a migration of the test's own, next
        # after it, is the one applied.)
        mdir = os.path.join(plugins, "rillet", "migrations")
        newest = max(int(f[:4]) for f in os.listdir(mdir) if f[:4].isdigit() and f.endswith(".sql"))
        up_name = "%04d_sd_notify_upgrade.sql" % (newest + 1)
        for d in (mdir, os.path.join(mdir, "postgres")):
            with open(os.path.join(d, up_name), "w") as f:
                f.write("-- reliab_sd_notify: the migration an upgrade applies\nSELECT 1;\n")
        mark = n.count()
        p = start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "data"),
                   "--plugins", plugins, "--scripts", scripts, "--api-token", TOKEN], log + ".2", env)
        ready = n.wait(mark, lambda m: m.get("READY") == "1", 120)
        check("upgrade: READY=1", ready is not None, n.since(mark))
        up = [m.get("STATUS", "") for m in n.since(mark) if "migration" in m.get("STATUS", "")]
        check("upgrade: STATUS says the one migration it applies, before and after",
              up[:1] == ["upgrading the store: applying rillet migration %s (1 of 1)" % up_name] and
              len(up) == 2 and up[1].startswith("upgrading the store: applied rillet migration %s "
                                                "(1 of 1) in " % up_name), up)
        with open(log + ".2", errors="replace") as f:
            text = f.read()
        check("upgrade: the log says it at INFO, with the time it took",
              "INFO  [store] applying rillet migration %s (1 of 1)" % up_name in text and
              "INFO  [store] applied rillet migration %s in " % up_name in text, text[-1500:])
        check("upgrade: a new store's migrations are not listed at INFO",
              "applying core migration" not in text, text[-1500:])
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    finally:
        stop(p)
        if n:
            n.close()
        log = os.path.join(tmp, "levy.log")
        if os.path.exists(log) and common.failed:
            with open(log, errors="replace") as f:
                print("---- levy.log (tail) ----\n" + f.read()[-3000:])
    # levy reload against a levy serving HTTPS itself (LEVY_TLS_CERT, as the unit passes it):
    # its own certificate is the trust anchor, the name (not 127.0.0.1) is not checked; another
    # certificate is refused
    certs = []
    for name in ("cert", "other"):
        key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=levy.example.com", "-days", "2", "-keyout", key, "-out", crt],
                       check=True, capture_output=True, timeout=60)
        certs.append((crt, key))
    port = free_port(PORT_BASE + 40, 10)
    p = start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "data-tls"),
               "--api-token", TOKEN, "--tls-cert", certs[0][0], "--tls-key", certs[0][1]],
              os.path.join(tmp, "levy-tls.log"))
    try:
        up = wait_for(lambda: p.poll() is None and "listening on https" in open(os.path.join(tmp, "levy-tls.log")).read(),
                      120, 0.1)
        check("levy serves HTTPS", up)
        r = reload_cli(port, "--tls-cert", certs[0][0], "--tls-key", certs[0][1])
        check("levy reload over HTTPS with the served certificate: exit 0",
              r.returncode == 0 and '"status":"unchanged"' in r.stdout, (r.returncode, r.stdout, r.stderr))
        r = reload_cli(port, "--tls-cert", certs[1][0], "--tls-key", certs[1][1])
        check("levy reload over HTTPS refuses a server whose certificate is not the configured one",
              r.returncode == 1 and "is levy serving" in r.stderr, (r.returncode, r.stderr))
    finally:
        stop(p)
    # the levy package without levy-sim: plugins/ without sim/
    nosim = os.path.join(tmp, "plugins-nosim")
    shutil.copytree(os.path.join(SRC, "plugins"), nosim, ignore=shutil.ignore_patterns("sim"))
    for cmd in ("sim", "demo"):
        r = subprocess.run([LEVY, cmd, "--plugins", nosim, "--data-dir", os.path.join(tmp, "d-" + cmd)],
                           capture_output=True, text=True, timeout=60)
        check("levy %s without plugins/sim exits 1 saying levy-sim is needed" % cmd,
              r.returncode == 1 and "levy-sim" in r.stderr, (r.returncode, r.stderr[-500:]))
    r = subprocess.run([LEVY, "check", "--plugins", nosim, "--scripts", os.path.join(SRC, "scripts")],
                       capture_output=True, text=True, timeout=120)
    check("levy check passes without plugins/sim", r.returncode == 0, r.stdout[-800:] + r.stderr[-500:])
    shutil.rmtree(tmp, ignore_errors=True)


run_main(main)
