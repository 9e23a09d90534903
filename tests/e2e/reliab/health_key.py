#!/usr/bin/env python3
"""Connection health: a read-only API key (issue 17, "What was seen" 2), repaired in place.

The bug: a read-only key connected fine; every write then failed 403 document by document;
the connection still showed `connected`.

Two readings of Rillet, each a simulator switch (docs/rillet-assumptions.md "Read-only API
keys"):
  A. GET /api-key does not say whether the key is read-only, and a write to a document that
     does not exist is answered 404 before the permission is checked (read_only_check =
     after_lookup): levy's harmless write probe at connect cannot tell, so the first real
     write's 403 must turn the connection key_read_only; the documents behind it are not sent
     to Rillet one by one to be refused again.
  B. GET /api-key reports `read_only` (the simulator's default): the connection is
     key_read_only as soon as it is created (the wizard warns).
In both, POST /v1/connections/{id}/api-key with a key that can write (checked with Rillet
before it is stored; a key Rillet refuses → 422, the old key stays) ends key_read_only, and
the documents whose write was refused are written.

Usage: health_key.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20420]
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20420


def health(env, cid):
    st, c, _, _ = env.L("GET", "/v1/connections/" + cid)
    return (c or {}).get("health") or {}


def read_only_key(env):
    st, k, text, _ = common.req("POST", env.sim_url + "/_sim/api-keys", {"name": "ro", "read_only": True})
    if st not in (200, 201):
        raise RuntimeError("read-only key: %s %s" % (st, text))
    return k["api_key"]


def sim_config(env, **kw):
    st, _, text, _ = common.req("POST", env.sim_url + "/_sim/config", kw)
    return st == 200


def sim_writes_403(env):
    db = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=10)
    try:
        return db.execute("SELECT count(*) FROM writebacks WHERE http_status = 403").fetchone()[0]
    finally:
        db.close()


def written_in_sim(env, inv_id):
    st, inv, _, _ = env.S("GET", "/invoices/" + inv_id)
    amt = ((inv or {}).get("taxed_amount") or {})
    amt = amt.get("amount") if isinstance(amt, dict) else amt
    return amt not in (None, "0", "0.00")


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-key-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        write_key = env.key
        ro = read_only_key(env)

        # ---- A: Rillet does not report the scope; the probe cannot tell; the first write can
        check("simulator: /api-key without read_only, 404 before 403",
              sim_config(env, api_key_reports_read_only=False, read_only_check="after_lookup"))
        con = env.connect(regions=("US-CA", "US-NY", "US-TX", "US-WA", "US-IL"), api_key=ro)
        cid = env.cid
        check("A: the probe could not tell: not key_read_only at connect",
              (env.after_secret.get("health") or {}).get("state") != "key_read_only", env.after_secret.get("health"))
        h = common.wait_for(lambda: (lambda x: x if x.get("state") == "key_read_only" else None)(health(env, cid)), 60, 0.5)
        if not check("A: the first write's 403 -> health key_read_only", h, health(env, cid)):
            return
        check("A: one sentence and the action replace_api_key (POST …/api-key)",
              h.get("sentence") and (h.get("action") or {}).get("code") == "replace_api_key" and
              (h.get("action") or {}).get("path") == "/v1/connections/%s/api-key" % cid and h.get("since"), h)
        # let every calculation of the import reach its write-back decision
        common.wait_for(lambda: not [d for d in env.L("GET", "/v1/invoices?limit=50")[1]["data"]
                                     if d["tax_status"] == "pending"], 60, 0.5)
        st, lst, _, _ = env.L("GET", "/v1/invoices?tax_status=failed&limit=50")
        failed = (lst or {}).get("data", [])
        check("A: the refused documents are failed with a message that names the key",
              failed and all("403" in (d.get("last_error") or "") or "read-only" in (d.get("last_error") or "")
                             for d in failed), [(d["id"], d.get("last_error")) for d in failed])
        n403 = sim_writes_403(env)
        # writes already in flight when the first 403 came back are refused too (write-back
        # concurrency 8); a document levy calculates later is not sent
        check("A: at most one 403 per concurrent write-back (%d)" % n403, 1 <= n403 <= 8, n403)
        st, inv0, text, _ = env.S("GET", "/invoices/" + failed[0]["id"])
        st, prods, _, _ = env.L("GET", "/v1/products?limit=100")
        prod = next((p for p in (prods or {}).get("data", []) if p.get("tax_code") == "general"), None)
        st, new_inv, text, _ = env.S("POST", "/invoices", {
            "customer_id": inv0["customer_id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
            "shipping_address": inv0.get("shipping_address") or inv0.get("customer_address"),
            "items": [{"description": "widget", "price": {"product_id": prod["id"], "quantity": 1,
                                                         "amount_per_unit": {"amount": "500.00", "currency": "USD"}}}]})
        if not check("a new invoice in Rillet", st == 200 and new_inv, text[:300]):
            return
        env.L("POST", "/v1/connections/%s/sync" % cid, {})
        got = common.wait_for(lambda: (lambda d: d if d and d.get("tax_status") == "failed" else None)(
            env.L("GET", "/v1/invoices/" + new_inv["id"])[1]), 60, 0.5)
        check("A: an invoice calculated after key_read_only is not sent: failed, 'the API key is read-only'",
              got and "read-only" in (got.get("last_error") or ""), got and got.get("last_error"))
        check("A: …and Rillet saw no further write (%d refused 403)" % sim_writes_403(env), sim_writes_403(env) == n403,
              sim_writes_403(env))
        failed.append(got or {"id": new_inv["id"]})

        # a key Rillet refuses: 422, nothing changes
        st, _, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid, {"api_key": "rk_not_a_real_key_0000"})
        check("POST api-key with a key Rillet refuses -> 422 invalid_api_key", st == 422 and "invalid_api_key" in text,
              (st, text[:300]))
        st, c, _, _ = env.L("GET", "/v1/connections/" + cid)
        check("…the old key stays (same hint, still key_read_only)",
              c["api_key_hint"] == "\u2026" + ro[-4:] and c["health"]["state"] == "key_read_only", c["api_key_hint"])
        st, _, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid, {"api_key": write_key, "extra": 1})
        check("POST api-key with an unknown field -> 422", st == 422, (st, text[:200]))

        # repair in place
        st, c, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid, {"api_key": write_key})
        check("A: POST api-key with a key that can write -> 200, new hint, same webhook URL, not key_read_only",
              st == 200 and c["api_key_hint"] == "\u2026" + write_key[-4:] and c["webhook_url"] == env.webhook_url and
              c["health"]["state"] != "key_read_only", (st, text[:400]))
        ids = [d["id"] for d in failed]
        ok = common.wait_for(lambda: all(written_in_sim(env, i) for i in ids), 90, 0.5)
        check("A: the documents whose write was refused are written to Rillet", ok,
              [(i, written_in_sim(env, i)) for i in ids])
        st, lst, _, _ = env.L("GET", "/v1/invoices?tax_status=failed&limit=50")
        check("A: no failed documents left", not (lst or {}).get("data"), lst)
        db = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=10)
        sealed = db.execute("SELECT api_key_sealed FROM connections WHERE id = ?", (cid,)).fetchone()[0]
        db.close()
        check("the stored key is sealed (neither key in clear)", ro not in sealed and write_key not in sealed, "")
        log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 7)
        check("the log holds no key", ro not in log and write_key not in log, "")

        # ---- B: Rillet reports the scope: key_read_only at once
        st, _, _, _ = env.L("DELETE", "/v1/connections/" + cid)
        check("simulator: /api-key reports read_only", sim_config(env, api_key_reports_read_only=True,
                                                                  read_only_check="before_lookup"))
        st, c, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": ro,
                                                            "tax_documents_from": "2026-01-01"})
        check("B: POST /v1/connections with a read-only key -> 201 with health key_read_only (the wizard warns)",
              st == 201 and c["health"]["state"] == "key_read_only" and "read_only" in (c["health"].get("detail") or ""),
              (st, text[:400]))
        cid2 = c["id"]
        st, c, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid2, {"api_key": write_key})
        check("B: replaced before the setup is finished -> 200, health setup", st == 200 and
              c["health"]["state"] == "setup", (st, text[:300]))
        # the probe: GET /api-key says nothing, Rillet checks the permission first
        check("simulator: /api-key without read_only, 403 before 404",
              sim_config(env, api_key_reports_read_only=False, read_only_check="before_lookup"))
        st, c, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid2, {"api_key": ro})
        check("B: the harmless write probe finds a read-only key -> key_read_only",
              st == 200 and c["health"]["state"] == "key_read_only" and "403" in (c["health"].get("detail") or ""),
              (st, text[:400]))
        st, c, text, _ = env.L("POST", "/v1/connections/%s/api-key" % cid2, {"api_key": write_key})
        check("B: …and a key that can write passes it", st == 200 and c["health"]["state"] == "setup", (st, text[:300]))
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
