#!/usr/bin/env python3
"""The webhook fast path (issue 21, core/host/fasthook.c): what the C path must hold.

Once a connection has had a delivery and its health has nothing to clear, levy answers a
well-formed delivery without entering Lua: it verifies the signature over the raw body with the
keys of the sealed signing token, answers a duplicate from a read, and hands the inbox row to
the writer thread. Everything it cannot decide goes to the Lua intake. Checked here, with
levy_webhook_fast_path_total{path} telling which path answered:
  * ordinary deliveries are answered by the C path, and stored byte for byte as the Lua path
    stores them (entity/event normalised, ignored entities closed at once, last_webhook_at);
  * signature edge cases: a forged or truncated signature, a body changed after signing, a
    signature of the right key over other headers -> 401 invalid_signature (counted on the
    connection, which then goes back to the Lua path until a good delivery clears it); several
    comma-separated signatures with spaces, URL-safe Base64 -> 200; a good signature past the
    10th -> 401;
  * a stale timestamp (8 days old, 1 hour ahead) -> 401 stale_timestamp, nothing stored; a
    stored id re-sent with an aged timestamp -> 200 duplicate;
  * a Base64 signing token verifies with either of its two keys (decoded bytes and text);
    after the token is rotated (POST .../webhook-secret) a delivery signed with the old token is
    refused, the new one accepted, on the C path (its key cache follows the sealed bytes);
  * the same new delivery sent 16 times at once: one row, exactly one answer
    "duplicate": false, every answer 200;
  * a deleted connection -> 404; a repeated signed header -> the Lua path's answer.

Usage: webhook_fast.py LEVY_BINARY SOURCE_DIR [BASE_PORT=14500]
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 14500


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def sig_with(key, ts, wid, entity, event, body):
    msg = (ts + "." + wid + "." + entity + "." + event + ".").encode() + body
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def db_row(env, sql, *args):
    """One row of levy's store (read while levy runs: WAL), as a dict, or None."""
    c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=20)
    c.row_factory = sqlite3.Row
    try:
        r = c.execute(sql, args).fetchone()
        return dict(r) if r else None
    finally:
        c.close()


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-fast-", BASE_PORT, invoices=2)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA",))

        def paths():
            st, _, text, _ = env.L("GET", "/metrics")
            out = {"c": 0, "lua": 0}
            for line in text.splitlines():
                for p in out:
                    if line.startswith('levy_webhook_fast_path_total{path="%s"}' % p):
                        out[p] = int(float(line.split()[-1]))
            return out

        def send(body, wid=None, ts=None, entity="VENDOR", event="CREATED", sig=None, token=None, extra=None):
            wid = wid or str(uuid.uuid4())
            ts = ts or iso(time.time())
            s = sig if sig is not None else common.sign(token or env.signing_token, ts, wid, entity, event, body)
            h = [("X-Rillet-Signature", s), ("X-Rillet-Timestamp", ts), ("X-Rillet-Id", wid),
                 ("X-Rillet-Entity", entity), ("X-Rillet-Event", event)] + (extra or [])
            return common.req("POST", env.webhook_url, headers=dict(h), raw=body), wid

        def code(r):
            return ((r[1] or {}).get("error") or {}).get("code")

        def by_c(fn):
            """fn() answered by the C path (the C count moved, the Lua one did not)."""
            a = paths()
            r = fn()
            b = paths()
            return r, b["c"] - a["c"], b["lua"] - a["lua"]

        body = json.dumps({"id": "vendor-1", "name": "a vendor \u00e9"}).encode()
        # 1. the first delivery is the Lua path's (health: awaiting_webhook -> connected)
        (r, w1), nc, nl = by_c(lambda: send(body))
        check("the connection's first delivery -> 200, answered by the Lua intake", r[0] == 200 and nl == 1 and nc == 0,
              (r[0], r[2], nc, nl))
        # 2. the next ones by the C path, stored as the Lua path stores them
        t_before = time.time()
        (r, w2), nc, nl = by_c(lambda: send(body, entity="vendor", event="created-2"))
        t_after = time.time()
        check("a second delivery -> 200 received, answered in C", r[0] == 200 and r[1] == {"received": True, "duplicate": False}
              and nc == 1 and nl == 0, (r[0], r[2], nc, nl))
        (r, w3), nc, nl = by_c(lambda: send(b'{"id":"inv-x"}', entity="INVOICE", event="UPDATED"))
        check("a used entity (INVOICE) -> 200, answered in C", r[0] == 200 and nc == 1, (r[0], r[2], nc, nl))
        (r, _), nc, nl = by_c(lambda: send(body, wid=w2, entity="vendor", event="created-2"))
        check("the same delivery again -> 200 duplicate, answered in C from the read",
              r[0] == 200 and r[1] == {"received": True, "duplicate": True} and nc == 1, (r[0], r[2], nc, nl))
        rows = {w: db_row(env, "SELECT entity, event, body, processed_at IS NOT NULL AS closed, outcome, "
                                 "connection_id, received_at, processed_at FROM inbox WHERE delivery_id = ?", w)
                for w in (w1, w2, w3)}
        r1, r2, r3 = rows[w1], rows[w2], rows[w3]
        check("stored by C like by Lua: entity/event normalised, body byte for byte, ignored entity closed",
              r2 and r2["entity"] == "VENDOR" and r2["event"] == "CREATED_2" and r2["body"] == body.decode() and
              r2["closed"] == 1 and r2["outcome"] == "ignored" and r2["connection_id"] == env.cid and
              r1 and r1["closed"] == 1 and r1["outcome"] == "ignored", rows)
        # the C path's timestamps (fasthook.c stamps: the second's text reused, the ms written in)
        ms_re = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        lo = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_before)) + ".%03dZ" % int(t_before % 1 * 1000)
        hi = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_after + 0.001)) + ".%03dZ" % int((t_after + 0.001) % 1 * 1000)
        check("the C path's received_at / processed_at: ISO with ms, the time it was answered",
              r2 and ms_re.match(r2["received_at"] or "") and r2["processed_at"] == r2["received_at"]
              and lo <= r2["received_at"] <= hi and ms_re.match(r1["received_at"] or ""), (lo, r2, hi))
        check("a used entity is stored open, with a process_inbox job", r3 and r3["closed"] == 0 and r3["outcome"] is None
              and common.wait_for(lambda: db_row(env, "SELECT count(*) AS n FROM jobs WHERE kind = "
                                  "'rillet.process_inbox' AND key = ?", env.cid)["n"] >= 1, 30), r3)

        # 3. signature edge cases on the C path's connection
        ts = iso(time.time())
        good_wid = str(uuid.uuid4())
        good = common.sign(env.signing_token, ts, good_wid, "VENDOR", "CREATED", body)
        bad = common.sign("not the token", ts, good_wid, "VENDOR", "CREATED", body)
        (r, _), nc, nl = by_c(lambda: send(body, wid=good_wid, ts=ts, sig=bad + " , " + good.replace("+", "-").replace("/", "_")))
        check("a wrong and a URL-safe good signature, with spaces -> 200 in C", r[0] == 200 and nc == 1, (r[0], r[2], nc, nl))
        w = str(uuid.uuid4())
        g = common.sign(env.signing_token, ts, w, "VENDOR", "CREATED", body)
        (r, _), nc, nl = by_c(lambda: send(body, wid=w, ts=ts, sig=",".join([bad] * 10 + [g])))
        check("the good signature 11th of 11 -> 401 invalid_signature", r[0] == 401 and code(r) == "invalid_signature",
              (r[0], r[2]))
        check("(the refusal was the Lua intake's: counted on the connection)", nl == 1, (nc, nl))
        for label, kw in (("a forged signature", {"sig": bad}),
                          ("a truncated signature", {"sig": g[:-4]}),
                          ("the right key over another entity", {"sig": g, "entity": "CUSTOMER"}),
                          ("an empty signature list", {"sig": " , ,"})):
            (r, _) = send(body, wid=w, ts=ts, **kw)
            check("%s -> 401 invalid_signature" % label, r[0] == 401 and code(r) == "invalid_signature", (r[0], r[2]))
        (r, _) = send(body + b" ", wid=w, ts=ts, sig=g)
        check("a body changed after signing -> 401 invalid_signature", r[0] == 401 and code(r) == "invalid_signature",
              (r[0], r[2]))
        check("no refused delivery was stored", db_row(env, "SELECT count(*) AS n FROM inbox WHERE delivery_id = ?",
                                                           w)["n"] == 0)
        st, con, _, _ = env.L("GET", "/v1/connections/" + env.cid)
        check("the refusals are counted on the connection (health webhook_failing)",
              st == 200 and (con.get("health") or {}).get("state") == "webhook_failing", con and con.get("health"))
        (r, _), nc, nl = by_c(lambda: send(body))
        check("while failures are counted, a good delivery is the Lua path's, and clears them", r[0] == 200 and nl == 1,
              (r[0], r[2], nc, nl))
        st, con, _, _ = env.L("GET", "/v1/connections/" + env.cid)
        check("health back to connected", (con.get("health") or {}).get("state") == "connected", con.get("health"))
        (r, _), nc, nl = by_c(lambda: send(body))
        check("then the C path again", r[0] == 200 and nc == 1, (r[0], nc, nl))

        # 4. the window
        for label, t in (("8 days old", time.time() - 8 * 86400), ("1 hour ahead", time.time() + 3600)):
            (r, wid), nc, nl = by_c(lambda: send(body, ts=iso(t)))
            check("a correctly signed delivery %s -> 401 stale_timestamp (Lua: logged, counted)" % label,
                  r[0] == 401 and code(r) == "stale_timestamp" and nl == 1, (r[0], r[2], nc, nl))
            check("(%s: nothing stored)" % label,
                  db_row(env, "SELECT count(*) AS n FROM inbox WHERE delivery_id = ?", wid)["n"] == 0)
        (r, _), nc, nl = by_c(lambda: send(body, wid=w2, ts=iso(time.time() - 9 * 86400), entity="vendor",
                                           event="created-2"))
        check("a stored id re-sent with an aged timestamp -> 200 duplicate (in C)",
              r[0] == 200 and (r[1] or {}).get("duplicate") is True and nc == 1, (r[0], r[2], nc, nl))

        # 5. a Base64 token: both keys; then rotation
        raw = os.urandom(32)
        tok = base64.b64encode(raw).decode()
        st, _, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid, {"signing_token": tok})
        check("rotate the signing token (a Base64 token) -> 200", st == 200, (st, text[:300]))
        old = env.signing_token
        env.signing_token = tok
        send(body)  # the first after the rotation may be the Lua path's (health)
        for label, key in (("its decoded bytes", raw), ("its text", tok.encode())):
            ts, wid = iso(time.time()), str(uuid.uuid4())
            (r, _), nc, nl = by_c(lambda: send(body, wid=wid, ts=ts, sig=sig_with(key, ts, wid, "VENDOR", "CREATED", body)))
            check("a delivery signed with the new token's %s -> 200 in C" % label, r[0] == 200 and nc == 1,
                  (r[0], r[2], nc, nl))
        (r, _), nc, nl = by_c(lambda: send(body, token=old))
        check("a delivery signed with the old token after the rotation -> 401", r[0] == 401 and
              code(r) == "invalid_signature", (r[0], r[2], nc, nl))
        send(body)  # clears the failure
        tok2 = "plain text token " + uuid.uuid4().hex
        st, _, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid, {"signing_token": tok2})
        env.signing_token = tok2
        send(body)
        (r, _), nc, nl = by_c(lambda: send(body, token=tok))
        check("rotated again: the previous token's deliveries -> 401", r[0] == 401, (r[0], r[2]))
        send(body)
        (r, _), nc, nl = by_c(lambda: send(body))
        check("the current token -> 200 in C", r[0] == 200 and nc == 1, (r[0], r[2], nc, nl))

        # 6. one new delivery 16 times at once
        ts, wid = iso(time.time()), str(uuid.uuid4())
        s = common.sign(env.signing_token, ts, wid, "VENDOR", "CREATED", body)
        out, gate = [], threading.Barrier(16)

        def one():
            gate.wait()
            out.append(send(body, wid=wid, ts=ts, sig=s)[0])
        th = [threading.Thread(target=one) for _ in range(16)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        fresh = [r for r in out if r[0] == 200 and (r[1] or {}).get("duplicate") is False]
        check("16 concurrent copies: all 200", len(out) == 16 and all(r[0] == 200 for r in out),
              [(r[0], r[2][:80]) for r in out])
        check("exactly one answered duplicate:false", len(fresh) == 1, [r[2] for r in out])
        check("exactly one row", db_row(env, "SELECT count(*) AS n FROM inbox WHERE delivery_id = ?",
                                               wid)["n"] == 1)

        # 7. a repeated signed header: the Lua path decides (its request table keeps the last)
        ts, wid = iso(time.time()), str(uuid.uuid4())
        def twice():
            c = http.client.HTTPConnection("127.0.0.1", env.levy_port, timeout=30)
            c.putrequest("POST", env.webhook_url.split(str(env.levy_port), 1)[1])
            for k, v in (("X-Rillet-Signature", common.sign(env.signing_token, ts, wid, "VENDOR", "CREATED", body)),
                         ("X-Rillet-Timestamp", ts), ("X-Rillet-Id", wid), ("X-Rillet-Entity", "VENDOR"),
                         ("X-Rillet-Event", "CREATED"), ("X-Rillet-Id", wid), ("Content-Length", str(len(body)))):
                c.putheader(k, v)
            c.endheaders(body)
            resp = c.getresponse()
            out = (resp.status, resp.read())
            c.close()
            return out
        r, nc, nl = by_c(twice)
        check("(a header sent twice is the Lua path's)", nl == 1 and nc == 0, (r, nc, nl))

        # 8. a deleted connection
        st, _, text, _ = env.L("DELETE", "/v1/connections/" + env.cid)
        (r, _), nc, nl = by_c(lambda: send(body))
        check("a deleted connection -> 404", r[0] == 404, (st, text[:200], r[0], r[2]))
    finally:
        common.cleanup(env, 6000)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
