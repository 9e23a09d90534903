#!/usr/bin/env python3
"""Issue 15, finding 15 (token handling). The bug story: a token over 127 characters was cut
at 127 without a word (an API client sending the configured token then got 401); a
1-character token was accepted; --api-token showed in `ps` with no alternative; and the first
start printed the generated token to stdout, which under systemd is the journal.

Now: 16..512 printable ASCII characters without spaces, not one character repeated, else exit
2 naming the flag or variable; --api-token-file / LEVY_API_TOKEN_FILE; the value of
--api-token is blanked in the process's command line; the first start prints where the token
is and a one-time sign-in link, never the token.

usage: api_token.py LEVY SRC BASE_PORT
"""
import os
import random
import stat
import string
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, wait_for  # noqa: E402

LEVY, SRC, BASE = sys.argv[1], sys.argv[2], int(sys.argv[3])
PLUGINS, SCRIPTS = os.path.join(SRC, "plugins"), os.path.join(SRC, "scripts")
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}


def serve(tmp, name, args, env=None, port=None):
    port = port or common.free_port(BASE)
    data = os.path.join(tmp, name)
    log = os.path.join(tmp, name + ".log")
    p = common.start(common.levy_cmd(LEVY, port, data, None, src=SRC, extra=args), log, env, mode="wb",
                     keep_levy_env=False)
    url = "http://127.0.0.1:%d" % port
    up = common.harness.wait_up(levy_url=url, timeout=60, interval=0.1, proc=p)
    return p, url, data, log, bool(up) and p.poll() is None


def refused(tmp, name, args, env, must_name):
    """levy serve must exit 2 at once, with a message naming must_name."""
    e = dict(CLEAN)
    e.update(env or {})
    r = run_serve(["--data-dir", os.path.join(tmp, name)] + args, e)
    ok = r.returncode == 2 and must_name in r.stderr and "16-512" in r.stderr
    return check("%s: exit 2 naming %s" % (name, must_name), ok, (r.returncode, r.stderr[-300:], r.stdout[-200:]))


def run_serve(args, env):
    """levy serve with args; a levy still running after 30 s (it accepted what it should
    refuse) is stopped and reported as returncode None."""
    p = subprocess.Popen([LEVY, "serve", "--listen", "127.0.0.1:%d" % common.free_port(BASE),
                          "--plugins", PLUGINS, "--scripts", SCRIPTS] + args, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=common.harness.pdeathsig_preexec())
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        common.stop(p)
        out, err = p.communicate()
        return subprocess.CompletedProcess(p.args, None, out, "still running after 30 s: " + err)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def bearer(url, tok, path="/v1/regions"):
    return req("GET", url + path, headers={"Authorization": "Bearer " + tok}, timeout=10)[0]


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-token-")
    rnd = random.Random(15)
    alphabet = string.ascii_letters + string.digits + "-_.~+/="
    long_tok = "".join(rnd.choice(alphabet) for _ in range(200))
    procs = []
    try:
        # 1. a 200-character token works in full (it used to be cut at 127: 401)
        p, url, _, log, up = serve(tmp, "long", ["--api-token", long_tok])
        procs.append(p)
        check("200-char token: levy starts", up, common.tail(log))
        if up:
            check("200-char token: the API accepts the whole token", bearer(url, long_tok) == 200,
                  bearer(url, long_tok))
            check("200-char token: its first 127 characters are refused", bearer(url, long_tok[:127]) == 401)
        common.stop(p)

        # 2. too short, too long, weak or with spaces: exit 2 naming where it came from
        refused(tmp, "one-char", ["--api-token", "x"], None, "--api-token")
        refused(tmp, "short-env", [], {"LEVY_API_TOKEN": "short-token-15ch"[:15]}, "LEVY_API_TOKEN")
        refused(tmp, "too-long", ["--api-token", "a1" * 300], None, "--api-token")
        refused(tmp, "repeated", ["--api-token", "z" * 40], None, "--api-token")
        refused(tmp, "space", ["--api-token", "has a space in the token"], None, "--api-token")
        bad_file = os.path.join(tmp, "bad-token")
        with open(bad_file, "w") as f:
            f.write("tiny\n")
        refused(tmp, "short-file", ["--api-token-file", bad_file], None, "--api-token-file")
        refused(tmp, "short-env-file", [], {"LEVY_API_TOKEN_FILE": bad_file}, "LEVY_API_TOKEN_FILE")
        # a DATA_DIR/api-token an operator wrote by hand follows the same rule
        hand = os.path.join(tmp, "hand")
        os.makedirs(hand, mode=0o700)
        with open(os.path.join(hand, "api-token"), "w") as f:
            f.write("abc\n")
        r = run_serve(["--data-dir", hand], CLEAN)
        check("a 3-char DATA_DIR/api-token is refused with the rule", r.returncode not in (0, None) and "api-token" in r.stderr
              and "at least 16" in r.stderr, (r.returncode, r.stderr[-300:]))

        # 3. --api-token-file and LEVY_API_TOKEN_FILE (a trailing newline is not part of it)
        good = "file-token-" + "".join(rnd.choice(string.ascii_letters) for _ in range(30))
        tf = os.path.join(tmp, "token-file")
        with open(tf, "w") as f:
            f.write(good + "\n")
        os.chmod(tf, 0o600)
        for name, args, env in (("flag-file", ["--api-token-file", tf], None),
                                ("env-file", [], {"LEVY_API_TOKEN_FILE": tf})):
            p, url, _, log, up = serve(tmp, name, args, env)
            procs.append(p)
            check("%s: levy starts" % name, up, common.tail(log))
            if up:
                check("%s: the file's token opens the API" % name, bearer(url, good) == 200)
                check("%s: a wrong token does not" % name, bearer(url, good[:-1] + "#") == 401)
            common.stop(p)

        # 4. --api-token's value does not stay in the command line (ps)
        inline = "inline-token-" + "".join(rnd.choice(string.ascii_letters) for _ in range(24))
        p, url, _, log, up = serve(tmp, "ps", ["--api-token", inline])
        procs.append(p)
        if check("ps case: levy starts", up, common.tail(log)):
            with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                cmd = f.read().decode(errors="replace")
            check("--api-token's value is not in /proc/PID/cmdline", inline not in cmd, cmd.replace("\0", " "))
            check("... and the token still works", bearer(url, inline) == 200)
        common.stop(p)

        # 5. the first start does not print the generated token (stdout = the journal)
        p, url, data, log, up = serve(tmp, "first", [])
        procs.append(p)
        if check("first start: levy starts", up, common.tail(log)):
            tok = open(os.path.join(data, "api-token")).read().strip()
            out = wait_for(lambda: "#signin=" in common.tail(log, 20000) and common.tail(log, 20000), 30)
            out = out or common.tail(log, 20000)
            check("first start: the generated token follows the rule", len(tok) >= 16)
            check("first start: stdout/stderr do not contain the token", tok not in out, out[-600:])
            check("first start: says where the token is", os.path.join(data, "api-token") in out, out[-600:])
            check("first start: prints a one-time sign-in link", "#signin=" in out, out[-600:])
            check("api-token is 0600", stat.S_IMODE(os.stat(os.path.join(data, "api-token")).st_mode) == 0o600)
            check("the generated token opens the API", bearer(url, tok) == 200)
        common.stop(p)
    finally:
        for p in procs:
            common.stop(p)
        if not os.environ.get("RELIAB_KEEP"):
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
