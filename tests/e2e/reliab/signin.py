#!/usr/bin/env python3
"""Issue 15, finding 12. The bug story: `levy demo` (and the README) opened the web UI with
`http://127.0.0.1:PORT/#token=<API token>`. The page removed the fragment with replaceState,
but the browser had already put the URL, token included, into its history and session files,
where it outlived the session: the long-lived API token sat on disk in the browser profile.

Now `levy demo`, the first start and `levy signin` print a one-time sign-in code (single use,
15 minutes) that the page trades at POST /v1/session for a browser session; the API token
never enters a URL. Bearer <API token> keeps working for API clients.

usage: signin.py LEVY SRC BASE_PORT
"""
import hashlib
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
from common import check, req, wait_for  # noqa: E402

LEVY, SRC, BASE = sys.argv[1], sys.argv[2], int(sys.argv[3])
PLUGINS, SCRIPTS = os.path.join(SRC, "plugins"), os.path.join(SRC, "scripts")
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
LINK = re.compile(r"http://[^\s]+/#signin=([A-Za-z0-9_-]+)")


def session(url, body, headers=None):
    return req("POST", url + "/v1/session", body, headers or {}, timeout=10)


def bearer(url, tok, method="GET", path="/v1/regions"):
    return req(method, url + path, headers={"Authorization": "Bearer " + tok}, timeout=10)[0]


def case_demo(tmp):
    """`levy demo` prints a #signin= link, no #token= and not the API token."""
    log = os.path.join(tmp, "demo.log")
    e = dict(CLEAN, TMPDIR=tmp)
    with open(log, "wb") as lf:
        p = subprocess.Popen([LEVY, "demo"], stdout=lf, stderr=subprocess.STDOUT, env=e,
                             start_new_session=True, preexec_fn=common.harness.pdeathsig_preexec())
    try:
        out = wait_for(lambda: "data:" in common.tail(log, 20000) and common.tail(log, 20000), 90, 0.2)
        out = out or common.tail(log, 20000)
        m = LINK.search(out)
        check("levy demo prints a one-time #signin= link", m, out[-1500:])
        check("levy demo prints no #token= URL", "#token=" not in out, out[-1500:])
        dm = re.search(r"data:\s+(\S+)", out)
        tokfile = os.path.join(dm.group(1), "levy", "api-token") if dm else ""
        tok = open(tokfile).read().strip() if tokfile and os.path.exists(tokfile) else ""
        check("demo: levy's API token exists", len(tok) >= 16, tokfile)
        check("demo: its output does not contain the API token", tok and tok not in out, out[-800:])
        if m:
            base = m.group(0).split("/#signin=")[0]
            st, js, text, _ = session(base, {"code": m.group(1)})
            js = js or {}
            check("demo: the printed code signs in (201 + session)", st == 201 and (js or {}).get("session_token", "")
                  .startswith("lvs_"), (st, text))
            if st == 201:
                check("demo: the session opens the API", bearer(base, js["session_token"]) == 200)
            st, _, text, _ = session(base, {"code": m.group(1)})
            check("demo: the code works once only", st == 401, (st, text))
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        dm = re.search(r"data:\s+(/tmp/levy-demo-\S+)", common.tail(log, 20000))
        if dm and not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(dm.group(1), ignore_errors=True)


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-signin-")
    port = common.free_port(BASE)
    url = "http://127.0.0.1:%d" % port
    data = os.path.join(tmp, "levy")
    log = os.path.join(tmp, "levy.log")
    p = common.start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data,
                      "--plugins", PLUGINS, "--scripts", SCRIPTS], log, None)
    try:
        up = wait_for(lambda: p.poll() is None and req("GET", url + "/healthz", timeout=2)[0] == 200, 60, 0.1)
        if not check("levy serve starts on a fresh data dir", up, common.tail(log)):
            return common.summary()
        tok = open(os.path.join(data, "api-token")).read().strip()
        out = wait_for(lambda: LINK.search(common.tail(log, 20000)), 30) and common.tail(log, 20000)
        m = LINK.search(out or "")
        check("first start prints a sign-in link", m, common.tail(log))
        check("API clients: Bearer <API token> works as before", bearer(url, tok) == 200)

        # the code is single use and yields a session that acts like the token
        code = m.group(1) if m else "x"
        st, js, text, rh = session(url, {"code": code})
        ok = check("POST /v1/session {code} -> 201 session", st == 201 and (js or {}).get("session_token", "")
                   .startswith("lvs_") and js.get("expires_in") == 43200, (st, text))
        check("the session answer is not cached", "no-store" in rh.get("Cache-Control", ""), rh)
        sess = js["session_token"] if ok else "lvs_none"
        check("the session is not the API token", sess != tok)
        check("session opens /v1", bearer(url, sess) == 200)
        check("session opens /admin", bearer(url, sess, path="/admin/generation") == 200)
        st, _, text, _ = session(url, {"code": code})
        check("the same code again -> 401", st == 401, (st, text))
        check("a wrong code -> 401", session(url, {"code": "A" * 22})[0] == 401)
        check("a code in a wrong shape -> 401", session(url, {"code": "../../api-token"})[0] == 401)
        st, _, text, _ = req("POST", url + "/v1/session", raw=b'{"code":"x"}', headers={"Content-Type": "text/plain"})
        check("not JSON content type -> 415", st == 415, (st, text))
        check("unknown field -> 422", session(url, {"code": code, "x": 1})[0] == 422)
        check("not an object -> 400", req("POST", url + "/v1/session", raw=b'[1]')[0] == 400)
        check("the session endpoint takes no Bearer as proof: a body is needed",
              session(url, {}, {"Authorization": "Bearer " + tok})[0] == 422)
        # the API token itself can be traded (the sign-in form accepts a pasted token)
        st, js2, _, _ = session(url, {"api_token": tok})
        sess2 = (js2 or {}).get("session_token") or "lvs_none"
        check("POST /v1/session {api_token} -> 201", st == 201 and sess2 != sess)
        check("a wrong api_token -> 401", session(url, {"api_token": tok[:-1] + "#"})[0] == 401)
        # sign out ends that session only
        check("DELETE /v1/session -> 204", bearer(url, sess, "DELETE", "/v1/session") == 204)
        check("the ended session -> 401", bearer(url, sess) == 401)
        check("the other session still works", bearer(url, sess2) == 200)
        check("a forged session token -> 401", bearer(url, "lvs_" + "A" * 43) == 401)

        # levy signin: a new code while levy runs, printed with the public URL
        r = subprocess.run([LEVY, "signin", "--data-dir", data, "--public-url", url], env=CLEAN,
                           capture_output=True, text=True, timeout=30)
        m2 = LINK.search(r.stdout)
        check("levy signin prints a link", r.returncode == 0 and m2 and m2.group(0).startswith(url + "/#signin="),
              (r.returncode, r.stdout, r.stderr))
        check("levy signin does not print the API token", tok not in r.stdout + r.stderr)
        if m2:
            check("the new code signs in", session(url, {"code": m2.group(1)})[0] == 201)
        # the data dir never holds a usable code: only its SHA-256 names a file
        r = subprocess.run([LEVY, "signin", "--data-dir", data], env=CLEAN, capture_output=True, text=True, timeout=30)
        m3 = LINK.search(r.stdout)
        sdir = os.path.join(data, "signin")
        names = os.listdir(sdir) if os.path.isdir(sdir) else []
        check("levy signin works a second time", m3, r.stdout + r.stderr)
        if m3:
            h = hashlib.sha256(m3.group(1).encode()).hexdigest()
            check("codes are stored as their SHA-256 only", h in names and not any(m3.group(1) in n for n in names),
                  names)
            fp = os.path.join(data, "signin", h)
            check("code file is 0600", os.stat(fp).st_mode & 0o777 == 0o600)
            # an expired code is refused (its stored expiry moved into the past)
            with open(fp, "w") as f:
                f.write("%d\n" % (int(time.time()) - 1))
            check("an expired code -> 401", session(url, {"code": m3.group(1)})[0] == 401)
        r = subprocess.run([LEVY, "signin", "--data-dir", os.path.join(tmp, "nope")], env=CLEAN,
                           capture_output=True, text=True, timeout=30)
        check("levy signin on a missing data dir -> exit 1 with a message", r.returncode == 1 and "data dir" in r.stderr,
              (r.returncode, r.stderr))
        # the log never carries the token
        check("the log does not contain the API token", tok not in common.tail(log, 200000))
    finally:
        common.stop(p)
    case_demo(tmp)
    if not os.environ.get("RELIAB_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
