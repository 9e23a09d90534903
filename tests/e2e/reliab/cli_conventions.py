#!/usr/bin/env python3
"""Issue 20, "Operations by the conventions", the command line:

  * `levy <command> --help` prints that command's own usage and flags on stdout, exit 0, for
    every command `levy --help` lists (`levy sim --help` names --seed, --invoices, --data-dir;
    a flag another command takes is not listed);
  * a wrong flag (unknown, or another command's) prints ONE line on stderr naming it and
    "see levy <command> --help", exit 2; an unknown command ONE line naming it and "see levy
    --help", exit 2 (it printed the whole usage);
  * URLs and addresses are checked at start: `--public-url ftp:/x`, a Rillet URL without a
    scheme, a listen address with a bad port or a host name that does not resolve are refused
    (exit 2, one line naming the flag or variable, nothing created); a good https public URL
    starts;
  * `levy sim` without --data-dir says on stderr that it keeps its data in ./levy-sim-data in
    the current directory;
  * `levy demo` removes its temporary data dirs on Ctrl-C (SIGINT) and on SIGTERM, and keeps
    them with --keep.

Usage: cli_conventions.py LEVY_BINARY SOURCE_DIR [BASE_PORT=23640]
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23640
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}


def run(*args, env=None, cwd=None, timeout=30):
    try:
        return subprocess.run([LEVY, *args], capture_output=True, text=True, timeout=timeout,
                              env=dict(CLEAN, **(env or {})), cwd=cwd)
    except subprocess.TimeoutExpired as e:  # e.g. a levy serve that took a bad URL and serves
        return subprocess.CompletedProcess(e.cmd, "still running after %d s" % timeout, "", "")


# flags each command's help must name (its own), and one it must not (another command's)
OWN = {
    "serve": (["--listen", "--data-dir", "--public-url", "--metrics-token", "--webhook-max-body"], "--seed"),
    "sim": (["--seed", "--invoices", "--data-dir", "--listen", "--no-rate-limit"], "--webhook-max-body"),
    "demo": (["--auto", "--keep"], "--seed"),
    "calc": (["--all-regions", "--data-dir", "--lines"], "--seed"),
    "check": (["--plugins", "--scripts"], "--all-regions"),
    "restore": (["--force", "--data-dir"], "--seed"),
    "backup": (["--data-dir"], "--force"),
    "rotate-master-key": (["--new-key-file", "--yes-env", "--data-dir"], "--seed"),
    "signin": (["--data-dir", "--public-url"], "--seed"),
    "rates": (["--data-dir"], "--seed"),
    "test": (["--plugins"], "--seed"),
    "version": ([], "--data-dir"),
    "token": (["--name", "--read-only", "--data-dir", "--database"], "--seed"),
    "recount": (["--listen", "--data-dir", "--api-token-file", "--tls-cert"], "--seed"),
    "reload": (["--listen", "--data-dir", "--api-token-file", "--tls-cert"], "--seed"),
    "fx": (["--listen", "--data-dir", "--api-token-file"], "--seed"),
    "migrate-store": (["--from", "--to", "--plugins"], "--seed"),
}


def case_help():
    r = run("--help")
    check("levy --help -> 0, usage on stdout", r.returncode == 0 and r.stdout.startswith("usage: levy"), r.stderr)
    cmds = re.findall(r"^  ([a-z][a-z-]+)\s", r.stdout.split("commands:", 1)[-1].split("\n\n", 1)[0], re.M)
    check("levy --help lists every command", set(OWN) <= set(cmds), cmds)
    for cmd in cmds:
        r = run(cmd, "--help")
        own, other = OWN.get(cmd, ([], None))
        check("levy %s --help -> 0, its own usage on stdout" % cmd,
              r.returncode == 0 and r.stdout.startswith("usage: levy %s" % cmd) and not r.stderr,
              (r.returncode, r.stdout[:200], r.stderr[:200]))
        missing = [f for f in own if not re.search(r"(^|\s)%s\b" % re.escape(f), r.stdout)]
        check("levy %s --help names %s" % (cmd, ", ".join(own) or "no flag"), not missing, missing)
        if other:
            check("levy %s --help does not list %s (another command's flag)" % (cmd, other),
                  not re.search(r"^\s+%s\b" % re.escape(other), r.stdout, re.M), r.stdout)
        r2 = run(cmd, "-h")
        check("levy %s -h = --help" % cmd, r2.returncode == 0 and r2.stdout == r.stdout, r2.stdout[:100])


def one_line_usage_error(r, cmd, *needles):
    lines = r.stderr.strip().splitlines()
    return (r.returncode == 2 and len(lines) == 1 and "see levy %s --help" % cmd in lines[0] and
            all(n in lines[0] for n in needles) and not r.stdout)


def case_bad_flags():
    for cmd, (own, other) in OWN.items():
        r = run(cmd, "--no-such-flag")
        check("levy %s --no-such-flag -> one line, 'see levy %s --help', exit 2" % (cmd, cmd),
              one_line_usage_error(r, cmd, "--no-such-flag"), (r.returncode, r.stderr))
        if other:
            args = [other, "1"] if other in ("--seed", "--webhook-max-body") else [other]
            r = run(cmd, *args)
            check("levy %s %s (another command's flag) -> exit 2, one line" % (cmd, other),
                  one_line_usage_error(r, cmd, other), (r.returncode, r.stderr))
    r = run("sim", "--seed")
    check("levy sim --seed without a value -> exit 2, one line", one_line_usage_error(r, "sim", "--seed"), r.stderr)
    r = run("sim", "--invoices", "many")
    check("levy sim --invoices many -> exit 2, one line", one_line_usage_error(r, "sim", "--invoices"), r.stderr)
    # wrong arguments (not flags) are usage errors too: one line, exit 2 (levy rates printed a
    # two-line usage without the pointer to --help; migrate-store without --to no pointer)
    for args, needle in ((("rates",), "import FILE"), (("rates", "frob"), "import FILE"),
                         (("rates", "import"), "import FILE"), (("rates", "update", "a", "b"), "SOURCES_FILE"),
                         (("token", "frob"), "create, list or revoke"), (("fx", "export", "x"), "import FILE"),
                         (("backup",), "FILE"), (("reload", "extra"), "extra"), (("recount", "extra"), "extra"),
                         (("migrate-store",), "--to")):
        r = run(*args)
        check("levy %s -> one line naming the problem, 'see levy %s --help', exit 2" % (" ".join(args), args[0]),
              one_line_usage_error(r, args[0], needle), (r.returncode, r.stderr))
    r = run("frobnicate")
    lines = r.stderr.strip().splitlines()
    check("an unknown command -> exit 2, one line naming it and 'see levy --help'",
          r.returncode == 2 and len(lines) == 1 and "unknown command 'frobnicate'" in lines[0] and
          "see levy --help" in lines[0] and not r.stdout, (r.returncode, r.stderr[:300]))


def case_addresses():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-cli-")
    try:
        data = os.path.join(tmp, "d")
        bad = [
            (["--public-url", "ftp:/x"], {}, "--public-url", "ftp:/x"),
            (["--public-url", "https://"], {}, "--public-url", "https://"),
            (["--public-url", "http://levy.example.com:99999"], {}, "--public-url", "99999"),
            (["--public-url", "https://user@levy.example.com"], {}, "--public-url", "user@"),
            (["--public-url", "https://levy example.com"], {}, "--public-url", "levy example"),
            ([], {"LEVY_PUBLIC_URL": "levy.example.com"}, "LEVY_PUBLIC_URL", "levy.example.com"),
            (["--rillet-url", "localhost:8081"], {}, "--rillet-url", "localhost:8081"),
            ([], {"LEVY_RILLET_URL": "file:///etc/passwd"}, "LEVY_RILLET_URL", "file:"),
            (["--listen", "127.0.0.1:99999"], {}, "--listen", "99999"),
            (["--listen", "127.0.0.1"], {}, "--listen", "127.0.0.1"),
            (["--listen", ":8080"], {}, "--listen", ":8080"),
            (["--listen", "127.0.0.1:80x"], {}, "--listen", "80x"),
            ([], {"LEVY_LISTEN": "[::1:8080"}, "LEVY_LISTEN", "[::1:8080"),
            # an address that is all digits and dots must be an IPv4 address, one in brackets an
            # IPv6 address (they reached getaddrinfo and exited 1 after creating the data dir)
            (["--listen", "999.1.1.1:8080"], {}, "--listen", "999.1.1.1"),
            (["--listen", "127.0.0:8080"], {}, "--listen", "127.0.0"),
            (["--listen", "[::g1]:8080"], {}, "--listen", "::g1"),
            (["--metrics-listen", "300.0.0.1:9464"], {}, "--metrics-listen", "300.0.0.1"),
            # a host name that does not resolve (.invalid never does, RFC 6761): it reached the
            # bind and exited 1 after creating the data dir and its master key
            (["--listen", "no-such-host.invalid:8080"], {}, "--listen", "no-such-host.invalid"),
            ([], {"LEVY_LISTEN": "no-such-host.invalid:8080"}, "LEVY_LISTEN", "no-such-host.invalid"),
            (["--metrics-listen", "no-such-host.invalid:9464"], {}, "--metrics-listen", "no-such-host.invalid"),
        ]
        # a port of this test's range, so that a levy that takes a bad value serves there
        own = ["--listen", "127.0.0.1:%d" % (BASE_PORT + 10)]
        for args, env, name, shown in bad:
            listen = [] if "--listen" in args or "LEVY_LISTEN" in env else own
            r = run("serve", "--data-dir", data, *listen, *args, env=env, timeout=15)
            check("levy serve %s %s -> refused at start: exit 2, one line naming %s" % (args, env, name),
                  one_line_usage_error(r, "serve", name, shown), (r.returncode, r.stderr[:300]))
        check("nothing was created for a refused start", not os.path.exists(data), os.listdir(tmp))
        r = run("signin", "--data-dir", data, "--public-url", "ftp:/x")
        check("levy signin --public-url ftp:/x -> exit 2", one_line_usage_error(r, "signin", "--public-url"),
              r.stderr)
        # good ones start
        port = common.free_port(BASE_PORT)
        url = "http://127.0.0.1:%d" % port
        p = common.start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data,
                          "--public-url", "https://levy.example.com:8443/tax", "--rillet-url",
                          "http://[::1]:9/", "--api-token", "cli-conventions-token-1"],
                         os.path.join(tmp, "serve.log"))
        try:
            up = common.wait_for(lambda: p.poll() is None and common.req("GET", url + "/healthz", timeout=2)[0] == 200,
                                 60, 0.1)
            check("https://host:port/path public URL and an [IPv6] Rillet URL: levy starts", up,
                  common.tail(os.path.join(tmp, "serve.log")))
        finally:
            common.stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def case_sim_data_dir():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-cli-sim-")
    port = common.free_port(BASE_PORT + 5)
    log = os.path.join(tmp, "sim.err")
    with open(log, "w") as err:
        p = subprocess.Popen([LEVY, "sim", "--listen", "127.0.0.1:%d" % port, "--plugins", os.path.join(SRC, "plugins")],
                             cwd=tmp, stdout=subprocess.DEVNULL, stderr=err, env=CLEAN,
                             preexec_fn=common.harness.pdeathsig_preexec())
    try:
        up = common.wait_for(lambda: common.req("GET", "http://127.0.0.1:%d/health" % port, timeout=2)[0] == 200, 60)
        check("levy sim starts without --data-dir", up, common.tail(log))
        with open(log) as f:
            text = f.read()
        check("levy sim says it keeps its data in ./levy-sim-data in the current directory",
              "levy sim: data dir ./levy-sim-data in the current directory " + tmp in text and
              "--data-dir" in text, text[:400])
        check("... and that is where it is", os.path.isdir(os.path.join(tmp, "levy-sim-data")), os.listdir(tmp))
    finally:
        common.stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def demo(sig, keep):
    """levy demo [--keep] until its banner, then sig; -> (exit code, data dir, its stderr)"""
    args = [LEVY, "demo", "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts")]
    if keep:
        args.append("--keep")
    err = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, env=CLEAN,
                         preexec_fn=common.harness.pdeathsig_preexec())
    data = None
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            m = re.match(r"data:\s+(\S+)", line)
            if m:
                data = m.group(1)
                break
        existed = bool(data) and os.path.isdir(os.path.join(data, "levy")) and os.path.isdir(os.path.join(data, "sim"))
        p.send_signal(sig)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "still running 60 s after the signal"
        err.seek(0)
        return rc, data, existed, err.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()


def case_demo():
    for sig, name in ((signal.SIGINT, "Ctrl-C (SIGINT)"), (signal.SIGTERM, "SIGTERM")):
        rc, data, existed, err = demo(sig, keep=False)
        check("levy demo printed its data dir, which held levy/ and sim/", data and existed, (data, err[-400:]))
        check("levy demo on %s -> exit 0" % name, rc == 0, (rc, err[-400:]))
        check("levy demo on %s removed its data dir %s" % (name, data), data and not os.path.exists(data),
              err[-400:])
    rc, data, existed, err = demo(signal.SIGINT, keep=True)
    try:
        check("levy demo --keep on Ctrl-C -> exit 0, the data dir kept and named",
              rc == 0 and data and os.path.isdir(os.path.join(data, "levy")) and data in err, (rc, data, err[-300:]))
    finally:
        if data and data.startswith("/tmp/levy-demo-"):
            shutil.rmtree(data, ignore_errors=True)


def case_calc_lines():
    """levy calc --lines: one answer line per non-blank request line, in order, from one load of
    the rules; a bad line answers its error on its own line and makes the exit 1, the lines
    after it are still answered."""
    good = ('{"currency":"USD","date":"2026-03-01","ship_to":{"country":"US","state":"TX",'
            '"zip_code":"78701","city":"Austin","line1":"1 Main St"},'
            '"lines":[{"id":"1","amount":"100.00","tax_code":"general"}]}')
    eu = ('{"currency":"EUR","date":"2026-03-01","ship_to":{"country":"DE","zip_code":"10115",'
          '"city":"Berlin","line1":"1 Str"},"lines":[{"id":"1","amount":"100.00","tax_code":"general"}]}')
    tmp = tempfile.mkdtemp(prefix="levy-cli-lines-")
    try:
        data = os.path.join(tmp, "data")
        src = ["--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts"),
               "--data", os.path.join(SRC, "data"), "--data-dir", data]
        r = subprocess.run([LEVY, "calc", "--lines", "--all-regions", *src], capture_output=True, text=True,
                           timeout=120, env=CLEAN, input=good + "\n\n" + eu + "\r\n")
        out = r.stdout.splitlines()
        check("levy calc --lines: two requests (a blank line between) -> exit 0, two answer lines",
              r.returncode == 0 and len(out) == 2, (r.returncode, r.stdout[:300], r.stderr[-300:]))
        if len(out) == 2:
            a, b = json.loads(out[0]), json.loads(out[1])
            check("... in order: Texas 8.25 % then Germany's 19 %",
                  a.get("total_tax") == "8.25" and b.get("total_tax") == "19.00", (a.get("total_tax"), b.get("total_tax")))
        r = subprocess.run([LEVY, "calc", "--lines", "--all-regions", *src], capture_output=True, text=True,
                           timeout=120, env=CLEAN, input=good + "\n" + '{"lines":5}' + "\n" + eu + "\n")
        out = r.stdout.splitlines()
        errs = [json.loads(x).get("error", {}).get("code") for x in out] if len(out) == 3 else []
        check("levy calc --lines with an invalid second line -> exit 1, three lines, the second its error",
              r.returncode == 1 and errs[:1] == [None] and errs[1:2] == ["validation_failed"] and errs[2:] == [None],
              (r.returncode, r.stdout[:400]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    case_calc_lines()
    case_help()
    case_bad_flags()
    case_addresses()
    case_sim_data_dir()
    case_demo()


if __name__ == "__main__":
    common.run_main(main)
