#!/usr/bin/env python3
"""Connection health: a wrong signing token (issue 17, "What was seen" 1).

The bug: step 5 of the wizard said "Connected." to any token; every delivery then got 401;
Rillet disabled the webhook after its retries; levy still showed `connected`, logged nothing,
and only /metrics counted `invalid_signature`. The only way out was disconnect and a new
webhook URL.

Here a user pastes a wrong token. Right after, the connection's `health` is `awaiting_webhook`
(not connected: levy cannot check a token before a delivery arrives); once Rillet's deliveries
are refused it is `webhook_failing` with the count and times, one WARN line a minute (never
the token or the signature), the gauge levy_connection_health{state="webhook_failing"} 1.
The user pastes the right token in place (POST …/webhook-secret on the connected
connection): same webhook URL, the old token no longer verifies, the next deliveries are
verified and the state is `connected`.

Usage: health_token.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20400]
"""
import base64
import os
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20400
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}


def health(env):
    st, c, _, _ = env.L("GET", "/v1/connections/" + env.cid)
    return (c or {}).get("health") or {}


def metric(env, state):
    st, _, text, _ = common.req("GET", env.levy_url + "/metrics", headers={"Authorization": "Bearer " + env.token})
    for ln in (text or "").splitlines():
        if ln.startswith("levy_connection_health{") and ('connection="%s"' % env.cid) in ln and \
                ('state="%s"' % state) in ln:
            return ln.rsplit(" ", 1)[-1]
    return None


def refused_lines(env):
    log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 7)
    return [ln for ln in log.splitlines() if "webhook delivery refused: the signature does not match" in ln]


def poke(env, inv_id, sent):
    """An UPDATED delivery from the simulator (sent-status changes the invoice)."""
    st, _, text, _ = env.S("PUT", "/invoices/%s/sent-status" % inv_id, {"sent": sent})
    return st in (200, 204)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-token-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        wrong = base64.b64encode(b"not-the-webhook-token-" + uuid.uuid4().hex.encode()).decode()
        env.connect(regions=("US-CA", "US-NY"), events=EVENTS, paste_token=wrong)
        first = env.after_secret or {}
        check("webhook-secret answers status connected (CONTRACT §2.3)", first.get("status") == "connected", first)
        check("…but health is awaiting_webhook, not connected: no delivery verified the token yet",
              (first.get("health") or {}).get("state") == "awaiting_webhook", first.get("health"))
        url_before = env.webhook_url

        invs = env.L("GET", "/v1/invoices?limit=10")[1]["data"]
        inv_id = invs[0]["id"]
        poke(env, inv_id, True)
        poke(env, inv_id, False)
        h = common.wait_for(lambda: (lambda x: x if x.get("state") == "webhook_failing" and x.get("count", 0) >= 2
                                     else None)(health(env)), 60, 0.5)
        if not check("wrong token: health webhook_failing within a minute, with the count", h, health(env)):
            return
        check("health: since, detail, one sentence, one action (replace_signing_token, POST …/webhook-secret)",
              h.get("since") and h.get("detail") and h.get("sentence") and
              (h.get("action") or {}).get("code") == "replace_signing_token" and
              (h.get("action") or {}).get("path") == "/v1/connections/%s/webhook-secret" % env.cid, h)
        st, lst, _, _ = env.L("GET", "/v1/connections")
        same = [c for c in (lst or {}).get("data", []) if c["id"] == env.cid]
        check("GET /v1/connections shows the same health", same and same[0].get("health", {}).get("state") ==
              "webhook_failing", same)
        check("/metrics: levy_connection_health{state=webhook_failing} 1, connected 0",
              metric(env, "webhook_failing") == "1" and metric(env, "connected") == "0",
              (metric(env, "webhook_failing"), metric(env, "connected")))

        # WARN once per connection per minute, without the token or the signature
        db = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"))
        r = db.execute("SELECT sig_fail_count, sig_fail_first_at, sig_fail_last_at FROM connections WHERE id = ?",
                       (env.cid,)).fetchone()
        db.close()
        lines = refused_lines(env)
        t0 = time.mktime(time.strptime(r[1], "%Y-%m-%dT%H:%M:%SZ"))
        t1 = time.mktime(time.strptime(r[2], "%Y-%m-%dT%H:%M:%SZ"))
        allowed = int((t1 - t0) // 60) + 1
        check("%d refused deliveries, %d WARN line(s) (at most one a minute)" % (r[0], len(lines)),
              r[0] >= 2 and 1 <= len(lines) <= allowed and all("WARN" in ln.upper() for ln in lines), lines)
        log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 7)
        sigs = []
        st, dl, _, _ = env.S("GET", "/_sim/deliveries?limit=50")
        for d in (dl or {}).get("deliveries", (dl or {}).get("data", [])) or []:
            if d.get("signature"):
                sigs.append(d["signature"])
        check("the log holds neither token nor any signature",
              wrong not in log and env.signing_token not in log and not any(s in log for s in sigs), "")

        # in-place repair: the right token, same URL
        st, con, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid,
                                 {"signing_token": env.signing_token})
        check("POST webhook-secret on the connected connection -> 200, same webhook URL",
              st == 200 and con["webhook_url"] == url_before and con["status"] == "connected", text[:300])
        check("after the new token the failures are gone (awaiting the next verified delivery)",
              con.get("health", {}).get("state") in ("awaiting_webhook", "connected"), con.get("health"))
        # the old (wrong) token no longer verifies anything
        body = b'"00000000-0000-4000-8000-000000000000"'
        wid = str(uuid.uuid4())
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        st, _, _, _ = common.req("POST", url_before, raw=body, headers={
            "X-Rillet-Signature": common.sign(wrong, ts, wid, "INVOICE", "DELETED", body),
            "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": "INVOICE", "X-Rillet-Event": "DELETED"})
        check("a delivery signed with the replaced token -> 401", st == 401, st)
        poke(env, inv_id, True)
        h = common.wait_for(lambda: (lambda x: x if x.get("state") == "connected" else None)(health(env)), 60, 0.5)
        check("deliveries are verified again: health connected", h, health(env))
        st, c, _, _ = env.L("GET", "/v1/connections/" + env.cid)
        check("last_webhook_at is set (a verified delivery)", c.get("last_webhook_at"), c)
        check("/metrics: connected 1, webhook_failing 0",
              metric(env, "connected") == "1" and metric(env, "webhook_failing") == "0",
              (metric(env, "connected"), metric(env, "webhook_failing")))
        got = common.wait_for(lambda: (lambda d: d if d and d.get("sent_at") else None)(
            env.L("GET", "/v1/invoices/" + inv_id)[1]), 30, 0.5)
        check("the delivery was applied: levy holds the invoice as sent", got, "")
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
