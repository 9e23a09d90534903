#!/usr/bin/env python3
"""End-to-end test of the Rillet connector: levy serve + levy sim on loopback.

Usage: test_connector.py LEVY_BINARY SOURCE_DIR
Walks the connect flow of CONTRACT §2.3 step by step, then webhooks (§2.7), tax and
write-back (§3), failures, recalculate, disconnect and a secrets grep of the data dir.
Prints "N passed, N failed"; exit status 1 on any failure.
"""
import base64
import copy
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, free_port, req, wait_for, sign, start, stop, sim_cmd, levy_cmd  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(os.environ.get("CONNECTOR_E2E_PORT", "18620"))
TOKEN = "e2e-connector-token-" + uuid.uuid4().hex[:8]
SEED = 1
# the simulator's demo documents are dated from 2026-01-01: tax them all (a connection's
# default is the day it is made, docs/connector.md "Scope")
SIM_DOCUMENTS_FROM = "2026-01-01"

Levy = harness.Levy


class Sim(harness.Sim):
    def list_all(self, path, key, params=""):
        out, cursor = [], None
        for _ in range(1000):
            q = "?limit=100" + params + ("&cursor=" + cursor if cursor else "")
            st, js, text, _ = self("GET", path + q)
            if st == 429:
                time.sleep(2)
                continue
            if st != 200:
                raise RuntimeError("sim list %s: %s %s" % (path, st, text[:200]))
            out.extend(js.get(key) or [])
            cursor = (js.get("pagination") or {}).get("next_cursor")
            if not cursor:
                return out
        return out


def main():
    tmp = tempfile.mkdtemp(prefix="levy-e2e-connector-")
    sim_dir, levy_dir = os.path.join(tmp, "sim"), os.path.join(tmp, "levy")
    sim_port = free_port(BASE_PORT)
    levy_port = free_port(sim_port + 1)
    sim_url = "http://127.0.0.1:%d" % sim_port
    levy_url = "http://127.0.0.1:%d" % levy_port
    procs = []
    try:
        sp = start(sim_cmd(LEVY, sim_port, sim_dir, SRC, SEED, no_rate_limit=False), os.path.join(tmp, "sim.log"))
        procs.append(sp)
        lp = start(levy_cmd(LEVY, levy_port, levy_dir, TOKEN, sim_url, SRC), os.path.join(tmp, "levy.log"))
        procs.append(lp)
        up = harness.wait_up(sim_url, levy_url)
        if not check("levy and the simulator start", up):
            return
        run(tmp, sim_url, levy_url, levy_dir)
        for p in reversed(procs):
            stop(p)
        run_restart(tmp)
    finally:
        for p in reversed(procs):
            stop(p)
        if harness.failed:
            harness.print_logs(tmp, ("levy.log", "sim.log", "levy-r3.log"), 6000)
        shutil.rmtree(tmp, ignore_errors=True)


def sim_api_key(tmp):
    return harness.sim_api_key(os.path.join(tmp, "sim.log"), SEED)


def us_state_of(d):
    a = d.get("shipping_address") or d.get("customer_address") or {}
    return a.get("state") if a.get("country") == "US" else None


def bump_quantity(sim, inv_id):
    """PUT the invoice back with the first taxed line's quantity + 1 (a real tax change)."""
    s, cur_inv, _, _ = sim("GET", "/invoices/" + inv_id)
    items, bumped = [], False
    for it in cur_inv["items"]:
        q = it["quantity"]
        if not bumped and it["taxed_amount"]["amount"] not in ("0.00", "0"):
            q, bumped = q + 1, True
        item = {"id": it["id"], "description": it["description"],
                "price": {"product_id": it["product_id"], "quantity": q, "amount_per_unit": it["gross_rate"]}}
        if it.get("total_discount", {}).get("amount") not in (None, "0.00", "0"):
            item["price"]["discount"] = {"type": "AMOUNT", "amount_off": it["total_discount"]}
        items.append(item)
    put = {"invoice_date": cur_inv["invoice_date"], "due_date": cur_inv["due_date"], "items": items}
    for k in ("address", "customer_address", "shipping_address", "memo", "purchase_order_number"):
        if cur_inv.get(k) is not None:
            put[k] = cur_inv[k]
    st, js, text, _ = sim("PUT", "/invoices/" + inv_id, put)
    return st == 200 and bumped, text, cur_inv["taxed_amount"]["amount"]


def run(tmp, sim_url, levy_url, levy_dir):
    levy = Levy(levy_url, TOKEN)
    key = sim_api_key(tmp)
    sim = Sim(sim_url, key)

    def quiet():
        """Nothing in flight: no delivery pending at the simulator, no unprocessed inbox row and
        no flow job queued or running in levy, then still none at the simulator (levy's own
        write-back makes Rillet send UPDATED). Waited for instead of a fixed sleep before a
        "nothing more happened" check, which a loaded machine outlasts (issue 18)."""
        def sim_idle():
            st, js, _, _ = req("GET", sim_url + "/_sim/deliveries?state=pending&limit=1000")
            return st == 200 and not js.get("deliveries")
        if not sim_idle():
            return False
        db = harness.store(levy_dir)
        try:
            n = db.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
            q = db.execute("SELECT count(*) FROM jobs WHERE kind IN ('rillet.process_inbox', 'rillet.calculate', "
                           "'rillet.writeback', 'rillet.customers_remap', 'rillet.bulk', 'rillet.import') "
                           "AND state IN ('queued', 'running')").fetchone()[0]
        finally:
            db.close()
        return n == 0 and q == 0 and sim_idle()

    def settle(what):
        check("settled before checking that %s" % what, wait_for(quiet, 120, 0.3), "")
    # the simulator's rate limit (60 / rolling 60 s) stays on: levy must stay under it

    # regions: two US states subscribed, so the rest is not_collecting
    for code in ("US-CA", "US-NY"):
        st, js, text, _ = levy("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
        check("subscribe " + code, st == 200, text)

    # 1. wrong key -> 422 invalid_api_key, nothing stored
    st, js, text, _ = levy("POST", "/v1/connections", {"provider": "rillet", "api_key": "rk_wrong_0000"})
    check("wrong key -> 422 invalid_api_key", st == 422 and js and js["error"]["code"] == "invalid_api_key", text)
    st, js, text, _ = levy("GET", "/v1/connections")
    check("nothing stored after a wrong key", st == 200 and js["data"] == [], text)
    st, js, text, _ = levy("POST", "/v1/connections", {"provider": "rillet"})
    check("missing api_key -> 422 validation_failed", st == 422 and js["error"]["code"] == "validation_failed", text)

    # 1. right key
    st, con, text, _ = levy("POST", "/v1/connections", {"provider": "rillet", "api_key": key,
                                                     "tax_documents_from": SIM_DOCUMENTS_FROM})
    if not check("POST /v1/connections -> 201", st == 201 and con, text):
        return
    cid = con["id"]
    check("connection id has prefix con_", cid.startswith("con_"), cid)
    check("api_key_hint is ellipsis + last 4", con.get("api_key_hint") == "\u2026" + key[-4:], con.get("api_key_hint"))
    check("no secret in the connection", key not in text, "")
    for f in ("id", "provider", "status", "environment", "organization", "subsidiary", "webhook_url",
              "created_at", "import", "last_webhook_at", "last_sync_at", "api_key_hint", "subsidiaries"):
        check("connection has field " + f, f in con, sorted(con.keys()))
    org = con.get("organization") or {}
    check("organization fields", all(k in org for k in ("id", "trade_name", "currency", "timezone")), org)
    subs = con.get("subsidiaries") or []
    if len(subs) == 1:
        check("one subsidiary -> needs_webhook_secret", con["status"] == "needs_webhook_secret", con["status"])
        sub = subs[0]
    else:
        check("several subsidiaries -> needs_subsidiary", con["status"] == "needs_subsidiary", con["status"])
        st, js, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": "x"})
        check("secret before subsidiary -> 409 conflict", st == 409 and js["error"]["code"] == "conflict", text)
        st, js, text, _ = levy("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": str(uuid.uuid4())})
        check("unknown subsidiary -> 422", st == 422, text)
        sub = next((s for s in subs if s.get("currency") == "USD"), subs[0])
        # 2. pick subsidiary
        st, con, text, _ = levy("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
        check("subsidiary -> 200 needs_webhook_secret", st == 200 and con["status"] == "needs_webhook_secret", text)
    check("subsidiary chosen", (con.get("subsidiary") or {}).get("id") == sub["id"], con.get("subsidiary"))
    webhook_url = con.get("webhook_url")
    check("webhook_url = public url + /webhooks/rillet/{id}", webhook_url == levy_url + "/webhooks/rillet/" + cid, webhook_url)

    # 3. the user creates the webhook in Rillet (the simulator's control endpoint)
    events = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CUSTOMER": ["CREATED", "UPDATED", "DELETED"]}
    st, hook, text, _ = sim("POST", "/_sim/webhooks", {"name": "levy", "url": webhook_url, "events": events, "enabled": True})
    if not check("simulator webhook created", st in (200, 201) and hook and hook.get("signing_token"), text):
        return
    signing_token = hook["signing_token"]

    # 4. signing token -> connected, import starts
    st, con, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": signing_token})
    check("webhook-secret -> 200 connected", st == 200 and con["status"] == "connected", text)
    check("no token in the answer", signing_token not in text, "")

    def import_done():
        s, c, _, _ = levy("GET", "/v1/connections/" + cid)
        return c if s == 200 and c["import"]["state"] in ("done", "failed") else None
    con = wait_for(import_done, 180, 0.5)
    if not check("import finishes", con and con["import"]["state"] == "done", con):
        return
    imp = con["import"]
    sim_customers = sim.list_all("/customers", "customers")
    sim_products = sim.list_all("/products", "products")
    sim_invoices = sim.list_all("/invoices", "invoices", "&subsidiary_id=" + sub["id"])
    sim_memos = sim.list_all("/credit-memos", "credit_memos", "&subsidiary_id=" + sub["id"])
    check("import customers count", imp["customers"] == len(sim_customers), (imp, len(sim_customers)))
    check("import products count", imp["products"] == len(sim_products), (imp, len(sim_products)))
    check("import invoices count", imp["invoices"] == len(sim_invoices), (imp, len(sim_invoices)))
    db = harness.store(levy_dir)
    ij = db.execute("SELECT state, attempts, last_error FROM jobs WHERE kind = 'rillet.import'").fetchall()
    db.close()
    check("import went on in several runs (3 pages each), none counted as a failure",
          len(ij) == 1 and ij[0][0] == "done" and ij[0][1] == 1 and "continuing after" in (ij[0][2] or ""), ij)
    check("import credit memos count", imp["credit_memos"] == len(sim_memos), (imp, len(sim_memos)))
    check("import started_at / finished_at set", imp["started_at"] and imp["finished_at"], imp)

    # 6. taxes: wait until no document is pending and the write-backs settled
    def settled():
        s, js, _, _ = levy("GET", "/v1/invoices?limit=500")
        if s != 200:
            return None
        docs = js["data"]
        if any(d["tax_status"] in ("pending",) for d in docs):
            return None
        if any(d["tax_status"] == "calculated" and d.get("status") != "PAID" and d["levy_tax"] != d["rillet_taxed_amount"]
               for d in docs):
            return None
        return docs
    docs = wait_for(settled, 240, 1.0)
    if not check("every invoice calculated and written", docs, ""):
        s, js, _, _ = levy("GET", "/v1/invoices?limit=500")
        print([(d["id"][:8], d["tax_status"], d["levy_tax"], d["rillet_taxed_amount"], d["last_error"]) for d in js["data"]][:20])
        return
    written = [d for d in docs if d["tax_status"] == "written"]
    notcoll = [d for d in docs if d["tax_status"] == "not_collecting"]
    check("some invoices written", len(written) > 0, [d["tax_status"] for d in docs])
    check("some invoices not_collecting", len(notcoll) > 0, [d["tax_status"] for d in docs])
    check("no invoice failed", not [d for d in docs if d["tax_status"] == "failed"],
          [(d["id"], d["last_error"]) for d in docs if d["tax_status"] == "failed"])
    states = {}
    for d in written:
        addr = d.get("shipping_address") or d.get("customer_address") or {}
        states[addr.get("state")] = states.get(addr.get("state"), 0) + 1
    inv = written[0]
    st, sinv, text, _ = sim("GET", "/invoices/" + inv["id"])
    check("simulator holds levy's tax", st == 200 and sinv["taxed_amount"]["amount"] == inv["levy_tax"],
          (inv["levy_tax"], sinv and sinv.get("taxed_amount")))
    check("written invoice has nonzero tax", inv["levy_tax"] not in ("0.00", "0"), inv["levy_tax"])
    nc = notcoll[0]
    st, snc, text, _ = sim("GET", "/invoices/" + nc["id"])
    check("not_collecting invoice untouched in Rillet", st == 200 and snc["taxed_amount"]["amount"] == nc["rillet_taxed_amount"], text[:200])
    st, detail, text, _ = levy("GET", "/v1/invoices/" + inv["id"])
    check("invoice detail has lines with taxes", st == 200 and detail["lines"] and "taxes" in detail["lines"][0], text[:300])
    hist = detail.get("history") or []
    check("history: calculation then write-back", [h["kind"] for h in hist][:2] == ["calculation", "writeback"], hist)

    # 7. no loops: the write-back's UPDATED webhook reached levy and changed nothing
    wait_for(lambda: levy("GET", "/v1/connections/" + cid)[1].get("last_webhook_at"), 30)
    settle("the write-backs' UPDATED webhooks changed nothing")
    loops = []
    for d in written:
        s, det, _, _ = levy("GET", "/v1/invoices/" + d["id"])
        w = [h for h in det["history"] if h["kind"] == "writeback"]
        c = [h for h in det["history"] if h["kind"] == "calculation"]
        if len(w) != 1 or len(c) != 1:
            loops.append((d["id"], len(c), len(w)))
    check("each written invoice: exactly one calculation and one write", not loops, loops[:5])
    con = levy("GET", "/v1/connections/" + cid)[1]
    check("last_webhook_at set", con.get("last_webhook_at"), con)

    # 5. signed webhooks sent by the test
    base_doc = copy.deepcopy(sinv)
    fake = copy.deepcopy(base_doc)
    fake["id"] = str(uuid.uuid4())
    for it in fake.get("items") or []:
        it["id"] = str(uuid.uuid4())
        it["taxed_amount"] = {"amount": "0.00", "currency": it["total_amount"]["currency"]}
    fake["taxed_amount"] = {"amount": "0.00", "currency": fake["taxed_amount"]["currency"]}
    body = json.dumps(fake).encode()
    wid = str(uuid.uuid4())
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def deliver(body, wid, entity="INVOICE", event="CREATED", sig=None, drop=None, url=webhook_url):
        h = {"X-Rillet-Signature": sig or sign(signing_token, ts, wid, entity, event, body),
             "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": entity, "X-Rillet-Event": event}
        if drop:
            del h[drop]
        return req("POST", url, headers=h, raw=body)

    st, js, text, _ = deliver(body, wid)
    check("signed webhook -> 200 received, not duplicate", st == 200 and js == {"received": True, "duplicate": False}, text)
    st, js, text, _ = deliver(body, wid)
    check("repeated X-Rillet-Id -> duplicate:true", st == 200 and js == {"received": True, "duplicate": True}, text)
    st, js, text, _ = deliver(body, str(uuid.uuid4()), sig=base64.b64encode(b"x" * 32).decode())
    check("bad signature -> 401 invalid_signature", st == 401 and js["error"]["code"] == "invalid_signature", text)
    st, js, text, _ = deliver(body, str(uuid.uuid4()), drop="X-Rillet-Timestamp")
    check("missing header -> 400 missing_header", st == 400 and js["error"]["code"] == "missing_header", text)
    # lower-case entity/event with '-' and several signatures, text-bytes key variant
    wid2 = str(uuid.uuid4())
    txt_key_sig = base64.b64encode(hmac.new(signing_token.encode(),
        (ts + "." + wid2 + ".invoice.payment-updated.").encode() + body, hashlib.sha256).digest()).decode()
    st, js, text, _ = deliver(body, wid2, entity="invoice", event="payment-updated",
                              sig="bm9wZQ==, " + txt_key_sig)
    check("lower-case/hyphen entity+event, 2nd of several signatures, text-bytes key -> 200",
          st == 200 and js.get("duplicate") is False, text)
    wid3 = str(uuid.uuid4())
    st, js, text, _ = deliver(b'{"id":"x"}', wid3, entity="JOURNAL_ENTRY", event="CREATED")
    check("unknown entity acknowledged", st == 200 and js.get("received") is True, text)
    # the duplicate fast path (a read, no write) keeps the contract: a repeat with another
    # body is still a duplicate that changes nothing, and a repeat is still verified first
    other = json.dumps({"id": fake["id"], "items": [], "memo": "different"}).encode()
    st, js, text, _ = deliver(other, wid)
    check("repeated X-Rillet-Id with another body -> 200 duplicate:true",
          st == 200 and js == {"received": True, "duplicate": True}, text)
    st, js, text, _ = deliver(body, wid, sig=base64.b64encode(b"y" * 32).decode())
    check("repeated X-Rillet-Id with a bad signature -> 401", st == 401 and js["error"]["code"] == "invalid_signature", text)
    db = harness.store(levy_dir)
    stored = db.execute("SELECT count(*), max(body) FROM inbox WHERE delivery_id = ?", (wid,)).fetchone()
    db.close()
    check("duplicate stored once with the first body", stored[0] == 1 and stored[1] == body.decode(), stored[0])
    # the opened signing token is cached per connection: rotating it must take effect at once
    new_token = base64.b64encode(os.urandom(32)).decode()
    st, _, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": new_token})
    check("rotate signing token -> 200", st == 200, text)
    wid4 = str(uuid.uuid4())
    st, js, text, _ = deliver(body, wid4)
    check("after rotation: old token's signature -> 401", st == 401 and js["error"]["code"] == "invalid_signature", text)
    st, js, text, _ = deliver(body, wid4, sig=sign(new_token, ts, wid4, "INVOICE", "CREATED", body))
    check("after rotation: new token's signature -> 200", st == 200 and js == {"received": True, "duplicate": False}, text)
    st, _, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": signing_token})
    wid5 = str(uuid.uuid4())
    st5, js, text, _ = deliver(body, wid5, sig=sign(new_token, ts, wid5, "INVOICE", "CREATED", body))
    check("rotated back: the replaced token -> 401", st == 200 and st5 == 401, text)
    # a burst of deliveries: the intake queues process_inbox only when none is queued and due;
    # every delivery of the burst must still be applied
    for i in range(25):
        st, js, text, _ = deliver(json.dumps(str(uuid.uuid4())).encode(), str(uuid.uuid4()),
                                  entity="CREDIT_MEMO", event="DELETED")
        if st != 200:
            break
    check("burst of 25 deliveries -> 200", st == 200, text)

    def inbox_left():
        db = harness.store(levy_dir)
        n = db.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
        q = db.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.process_inbox' AND state IN ('queued', 'running')").fetchone()[0]
        db.close()
        return (n, q) if n == 0 else None
    left = wait_for(inbox_left, 30, 0.2)
    check("every delivery of the burst processed", left is not None and left[0] == 0, left)

    # 8. a 404 from Rillet on the write-back (the fake invoice does not exist there) -> the
    # document is deleted in Rillet: `deleted`, not `failed` (issue 16: a write that gets 404
    # marks the document deleted), with the answer in its history
    def fake_state():
        s, d, _, _ = levy("GET", "/v1/invoices/" + fake["id"])
        return d if s == 200 and d["tax_status"] in ("failed", "written", "not_collecting", "deleted") else None
    fd = wait_for(fake_state, 60, 0.5)
    check("write-back answered 404 by Rillet -> deleted", fd and fd["tax_status"] == "deleted",
          fd and (fd["tax_status"], fd["last_error"]))
    if fd:
        wb = [h for h in fd["history"] if h["kind"] == "writeback"]
        check("the 404 write-back attempt in history with HTTP status and Rillet's detail",
              wb and wb[-1]["http_status"] == 404 and "404" in (wb[-1]["message"] or ""), wb)

    # stale update ignored: an older updated_at for the written invoice
    stale = copy.deepcopy(base_doc)
    stale["updated_at"] = "2000-01-01T00:00:00Z"
    stale["shipping_address"] = {"line1": "1 Main St", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"}
    sb = json.dumps(stale).encode()
    st, js, text, _ = deliver(sb, str(uuid.uuid4()), event="UPDATED")
    check("stale update accepted", st == 200, text)
    settle("the stale update was ignored")
    s, det, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
    check("stale update ignored (no recalculation)", len([h for h in det["history"] if h["kind"] == "calculation"]) == 1, det["history"])

    # recalculate -> 202, a calculation appended, nothing written (result equals Rillet)
    st, js, text, _ = levy("POST", "/v1/invoices/%s/recalculate" % inv["id"])
    check("recalculate -> 202", st == 202, text)
    def recalced():
        s, d, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
        return d if len([h for h in d["history"] if h["kind"] == "calculation"]) >= 2 else None
    d2 = wait_for(recalced, 30)
    check("recalculate appended a calculation", d2, "")
    if d2:
        check("recalculate with unchanged result writes nothing",
              len([h for h in d2["history"] if h["kind"] == "writeback"]) == 1 and d2["tax_status"] == "written", d2["history"])

    # PAYMENT_UPDATED refreshes the status and re-taxes nothing
    n_calc = lambda d: len([h for h in d["history"] if h["kind"] == "calculation"])
    n_write = lambda d: len([h for h in d["history"] if h["kind"] == "writeback" and h["outcome"] == "written"])
    s, d0, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
    cur = sinv["total"]["currency"]
    st, js, text, _ = sim("POST", "/invoices/%s/payments" % inv["id"],
                          {"amount": {"amount": "1.00", "currency": cur}, "date": sinv["invoice_date"], "account_code": "1000"})
    if check("simulator payment created", st in (200, 201), text):
        def paid_seen():
            s2, d, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
            return d if d.get("status") == "PARTIALLY_PAID" else None
        d1 = wait_for(paid_seen, 30)
        check("PAYMENT_UPDATED refreshed the status", d1, "")
        if d1:
            settle("the payment re-taxed nothing")
            s2, d1, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
            check("payment did not re-tax", n_calc(d1) == n_calc(d0) and n_write(d1) == n_write(d0), d1["history"])

    # a real change (quantity of a taxed line) in Rillet re-taxes once
    s, d0, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
    ok_put, text, before_tax = bump_quantity(sim, inv["id"])
    if check("simulator invoice updated (quantity + 1)", ok_put, text[:300]):
        def changed():
            s2, si, _, _ = sim("GET", "/invoices/" + inv["id"])
            return si if si["taxed_amount"]["amount"] not in (before_tax, "0.00") else None
        si = wait_for(changed, 60, 1.0)
        check("line change re-taxed and written", si, before_tax)
        settle("the change was taxed once")
        s2, d2, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
        check("exactly one new calculation and one new write", n_calc(d2) == n_calc(d0) + 1 and n_write(d2) == n_write(d0) + 1,
              d2["history"])
        if si:
            check("levy_tax equals Rillet after the change", d2["levy_tax"] == si["taxed_amount"]["amount"], (d2["levy_tax"], si["taxed_amount"]))
        s, sinv, _, _ = sim("GET", "/invoices/" + inv["id"])

    # a product tax-code change re-taxes the open invoices using it
    taxed_items = [it for it in (sinv.get("items") or []) if it.get("taxed_amount", {}).get("amount") not in (None, "0.00", "0")]
    pid = (taxed_items or sinv.get("items") or [{}])[0].get("product_id")
    before = sinv["taxed_amount"]["amount"]
    st, js, text, _ = levy("PUT", "/v1/products/" + pid, {"tax_code": "exempt"})
    check("PUT /v1/products/{id} exempt -> 200", st == 200, text)
    def retaxed():
        s, si, _, _ = sim("GET", "/invoices/" + inv["id"])
        return si if s == 200 and si["taxed_amount"]["amount"] != before else None
    si = wait_for(retaxed, 90, 1.0)
    check("product tax-code change re-taxed the invoice in Rillet", si, before)
    if si:
        s, d3, _, _ = levy("GET", "/v1/invoices/" + inv["id"])
        check("levy_tax follows the re-tax", d3["levy_tax"] == si["taxed_amount"]["amount"], (d3["levy_tax"], si["taxed_amount"]))

    # a region toggled on re-taxes its not_collecting invoices; a 503 on the write is retried
    def us_state(d):
        a = d.get("shipping_address") or d.get("customer_address") or {}
        return a.get("state") if a.get("country") == "US" else None
    s, js, _, _ = levy("GET", "/v1/invoices?tax_status=not_collecting&limit=500")
    cands = [d for d in js["data"] if us_state(d) and d.get("status") in ("UNPAID", "PARTIALLY_PAID")]
    by_state = {}
    for d in cands:
        by_state.setdefault(us_state(d), []).append(d)
    target_state = None
    for code in sorted(by_state, key=lambda k: -len(by_state[k])):
        if code not in ("OR", "AK", "DE", "MT", "NH"):
            target_state = code
            break
    deleted_doc = None
    if check("a not_collecting US invoice exists for the region test", target_state, by_state.keys()):
        region_docs = by_state[target_state]
        # the write-back, not the books-period read levy makes before writing an older document
        st, js, text, _ = sim("POST", "/_sim/faults", {"fail_next": 1, "status": 503, "retry_after": 1, "path": "/taxes"})
        check("simulator fault armed", st in (200, 201), text)
        st, js, text, _ = levy("PUT", "/v1/regions/US-" + target_state, {"subscribed": True, "tax_calculation": True})
        check("PUT /v1/regions/US-%s on -> 200" % target_state, st == 200, text)
        def region_written():
            out = []
            for d in region_docs:
                s2, det, _, _ = levy("GET", "/v1/invoices/" + d["id"])
                if det["tax_status"] not in ("written", "calculated") or \
                        (det["tax_status"] == "calculated" and det["levy_tax"] != det["rillet_taxed_amount"]):
                    return None
                out.append(det)
            return out
        dets = wait_for(region_written, 60, 1.0)
        check("region toggled on -> its invoices re-taxed", dets, [(d["id"], d["tax_status"]) for d in region_docs])
        if dets:
            taxed = [d for d in dets if d["tax_status"] == "written"]
            check("re-taxed invoice written to Rillet", taxed, [(d["tax_status"], d["levy_tax"]) for d in dets])
            for d in taxed[:1]:
                s2, si2, _, _ = sim("GET", "/invoices/" + d["id"])
                check("simulator holds the re-tax", si2["taxed_amount"]["amount"] == d["levy_tax"], (si2["taxed_amount"], d["levy_tax"]))
            retried = [h for d in dets for h in d["history"] if h["kind"] == "writeback" and h["outcome"] == "retry"]
            check("a 503 write-back was retried (history)", retried and retried[0]["http_status"] == 503, [d["history"] for d in dets][:2])
            others = [d for d in by_state.get(target_state, []) if d not in region_docs]
        # untouched: invoices in other states stay not_collecting
        def uses_pid(d):
            return any(it.get("product_id") == pid for it in (sim("GET", "/invoices/" + d["id"])[1] or {}).get("items", []))
        other = next((d for st_, ds in by_state.items() if st_ != target_state for d in ds if not uses_pid(d)), None)
        if other:
            s2, det, _, _ = levy("GET", "/v1/invoices/" + other["id"])
            check("other regions untouched", det["tax_status"] == "not_collecting" and
                  len([h for h in det["history"] if h["kind"] == "calculation"]) == 1, det["history"])
            deleted_doc = other

    # DELETED webhook keeps the document, marked deleted
    if deleted_doc:
        st, js, text, _ = sim("DELETE", "/invoices/" + deleted_doc["id"])
        if check("simulator deleted an invoice", st in (200, 204), text):
            def is_deleted():
                s2, det, _, _ = levy("GET", "/v1/invoices/" + deleted_doc["id"])
                return det if s2 == 200 and det["tax_status"] == "deleted" else None
            check("DELETED webhook -> tax_status deleted, document kept", wait_for(is_deleted, 30), "")

    # a customer exemption set in levy re-taxes that customer's open invoices (to zero)
    s, js, _, _ = levy("GET", "/v1/invoices?tax_status=written&limit=500")
    ex = next((d for d in js["data"] if d.get("status") in ("UNPAID", "PARTIALLY_PAID") and d["levy_tax"] != "0.00"), None)
    if check("a written invoice with tax for the exemption test", ex, ""):
        st, js, text, _ = sim("POST", "/_sim/faults", {"fail_next": 1, "status": 429, "retry_after": 1, "path": "/taxes"})
        check("simulator 429 fault armed", st in (200, 201), text)
        st, js, text, _ = levy("PUT", "/v1/customers/" + ex["customer_id"], {"exempt": True})
        check("PUT /v1/customers/{id} exempt -> 200", st == 200, text)
        def exempted():  # poll levy, not the simulator: the armed fault hits the next API request
            s2, d, _, _ = levy("GET", "/v1/invoices/" + ex["id"])
            return d if d["tax_status"] == "written" and d["levy_tax"] == "0.00" and d["rillet_taxed_amount"] == "0.00" else None
        wait_for(exempted, 60, 0.5)
        s2, si, _, _ = sim("GET", "/invoices/" + ex["id"])
        check("customer exemption re-taxed the invoice to zero in Rillet", s2 == 200 and si["taxed_amount"]["amount"] == "0.00", si)
        s2, js, _, _ = levy("GET", "/v1/invoices?customer_id=" + ex["customer_id"] + "&limit=500")
        hist = [h for d in js["data"] for h in levy("GET", "/v1/invoices/" + d["id"])[1]["history"]]
        check("a 429 (Retry-After) on the write-back was retried", any(h["http_status"] == 429 and h["outcome"] == "retry" for h in hist),
              [(h["kind"], h["http_status"], h["outcome"]) for h in hist])
        levy("PUT", "/v1/customers/" + ex["customer_id"], {"exempt": False})

    # the sweep is the backstop for a disabled webhook: POST .../sync picks up the change
    st, js, text, _ = sim("PUT", "/_sim/webhooks/" + hook["id"], {"enabled": False})
    check("simulator webhook disabled", st == 200, text)
    s, js, _, _ = levy("GET", "/v1/invoices?tax_status=written&limit=500")
    # settled and taxed, and not of the customer un-exempted above (its invoices may still be
    # on their way back from 0.00, which leaves no taxed line to bump)
    skip_customer = ex["customer_id"] if ex else None
    other_written = [d for d in js["data"] if d["id"] != inv["id"] and d.get("status") in ("UNPAID", "PARTIALLY_PAID")
                     and d.get("customer_id") != skip_customer and d["levy_tax"] not in ("0", "0.00")
                     and d["levy_tax"] == d["rillet_taxed_amount"]]
    if check("a second written invoice exists", other_written, ""):
        w2 = other_written[0]["id"]
        before_sync = levy("GET", "/v1/connections/" + cid)[1].get("last_sync_at")
        calcs_before = len([h for h in levy("GET", "/v1/invoices/" + w2)[1]["history"] if h["kind"] == "calculation"])
        ok_put, text, before_tax = bump_quantity(sim, w2)
        if check("simulator invoice changed while the webhook is off", ok_put, text[:300]):
            time.sleep(1.5)
            s2, det, _, _ = levy("GET", "/v1/invoices/" + w2)
            check("no webhook -> levy has not seen the change yet",
                  len([h for h in det["history"] if h["kind"] == "calculation"]) == calcs_before, det["history"])
            st, js, text, _ = levy("POST", "/v1/connections/%s/sync" % cid)
            check("sync -> 202", st == 202, text)
            def swept():
                s3, si, _, _ = sim("GET", "/invoices/" + w2)
                return si if si["taxed_amount"]["amount"] != before_tax else None
            check("sweep (updated.gt) picked up the change and re-taxed it", wait_for(swept, 60, 1.0), before_tax)
            check("sync sets last_sync_at", wait_for(
                lambda: levy("GET", "/v1/connections/" + cid)[1].get("last_sync_at") not in (None, before_sync), 30), "")
    sim("PUT", "/_sim/webhooks/" + hook["id"], {"enabled": True})

    # credit memos imported and visible
    st, js, text, _ = levy("GET", "/v1/credit-memos?limit=500")
    check("GET /v1/credit-memos", st == 200 and len(js["data"]) == len(sim_memos), text[:200])

    # a credit memo applied to an invoice is taxed at the invoice's ship-to and date, even when
    # its own address lies outside every subscribed region
    s, js, _, _ = levy("GET", "/v1/invoices?tax_status=written&limit=500")
    exempted_customer = ex["customer_id"] if ex else None
    target = next((d for d in js["data"] if d.get("status") in ("UNPAID", "PARTIALLY_PAID") and us_state_of(d)
                   and us_state_of(d) != "OR" and d["levy_tax"] not in ("0.00", "0")
                   and d["customer_id"] != exempted_customer), None)
    if check("an open written US invoice to credit", target, [(d["status"], us_state_of(d)) for d in js["data"]]):
        s, ti, _, _ = sim("GET", "/invoices/" + target["id"])
        line = next(it for it in ti["items"] if it["taxed_amount"]["amount"] not in ("0.00", "0"))
        cur = ti["total"]["currency"]
        st, cm, text, _ = sim("POST", "/credit-memos", {
            "customer_id": ti["customer_id"], "subsidiary_id": ti["subsidiary_id"],
            "credit_memo_date": ti["invoice_date"],
            "address": {"line1": "1 SW Main St", "city": "Portland", "state": "OR", "zip_code": "97204", "country": "US"},
            "items": [{"description": "Credit: " + line["description"],
                       "price": {"product_id": line["product_id"], "quantity": 1,
                                 "amount_per_unit": {"amount": "10.00", "currency": cur}}}]})
        if check("simulator credit memo created", st in (200, 201), text[:300]):
            st, js, text, _ = sim("POST", "/credit-memos/%s/applications" % cm["id"], {"applications": [
                {"invoice_id": target["id"], "amount": {"amount": "10.00", "currency": cur},
                 "application_date": ti["invoice_date"]}]})
            check("simulator credit memo applied", st in (200, 201), text[:300])
            def memo_written():
                s2, m, _, _ = levy("GET", "/v1/credit-memos/" + cm["id"])
                return m if s2 == 200 and m["tax_status"] in ("written", "failed") else None
            m = wait_for(memo_written, 60, 0.5)
            check("applied credit memo taxed at the invoice's region and written", m and m["tax_status"] == "written"
                  and m["levy_tax"] not in ("0.00", "0"), m and (m["tax_status"], m["levy_tax"], m["last_error"], m["history"]))
            if m:
                s2, sm, _, _ = sim("GET", "/credit-memos/" + cm["id"])
                check("simulator credit memo holds levy's tax", sm["taxed_amount"]["amount"] == m["levy_tax"], (sm["taxed_amount"], m["levy_tax"]))
                check("credit memo amounts and taxes are positive",
                      all(not (l["tax"] or "0").startswith("-") and not l["amount"].startswith("-") for l in m["lines"]), m["lines"])

    # 10. disconnect
    st, js, text, _ = levy("DELETE", "/v1/connections/" + cid)
    check("DELETE connection -> 204", st == 204, text)
    st, js, text, _ = deliver(body, str(uuid.uuid4()))
    check("webhook after disconnect -> 404", st == 404, text)
    st, js, text, _ = levy("GET", "/v1/connections/" + cid)
    check("deleted connection -> 404", st == 404, text)
    st, js, text, _ = levy("GET", "/v1/invoices/" + inv["id"])
    check("imported data kept after disconnect", st == 200, text[:100])

    # secrets never at rest in plaintext (db + WAL + everything in the data dir; on
    # PostgreSQL also a pg_dump of the database)
    hits = []
    for fn, data in harness.store_dump(levy_dir):
        for name, secret in (("api key", key), ("signing token", signing_token)):
            if secret.encode() in data:
                hits.append((fn, name))
    check("no plaintext API key or signing token in the data dir or the database", not hits, hits)
    with open(os.path.join(tmp, "levy.log"), "rb") as f:
        logdata = f.read()
    check("no secret in levy's log", key.encode() not in logdata and signing_token.encode() not in logdata, "")


def run_restart(tmp):
    """kill -9 levy right after connecting and again while taxes are being written: after
    each restart the import completes with exact counts and every taxed invoice is
    calculated and written exactly once."""
    sim_dir, levy_dir = os.path.join(tmp, "sim-r"), os.path.join(tmp, "levy-r")
    sim_port = free_port(BASE_PORT + 10)
    levy_port = free_port(sim_port + 1)
    sim_url = "http://127.0.0.1:%d" % sim_port
    levy_url = "http://127.0.0.1:%d" % levy_port
    env = {"LEVY_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    if harness.PG_URL:
        # a store of its own, as the fresh data dir on SQLite: the first run's documents
        # (kept after its disconnect) would otherwise be counted here
        harness.PgCon().execute("CREATE DATABASE levy_restart")
        env["LEVY_DATABASE_URL"] = harness.PG_URL.rsplit("/", 1)[0] + "/levy_restart"
    levy_args = levy_cmd(LEVY, levy_port, levy_dir, TOKEN, sim_url, SRC)
    sp = start(sim_cmd(LEVY, sim_port, sim_dir, SRC, 7, 120, no_rate_limit=False), os.path.join(tmp, "sim-r.log"))
    lp = start(levy_args, os.path.join(tmp, "levy-r.log"), env)
    procs = [sp, lp]
    try:
        if not check("restart: levy and the simulator start", harness.wait_up(sim_url, levy_url)):
            return
        levy = Levy(levy_url, TOKEN)
        sim = Sim(sim_url, harness.sim_api_key(os.path.join(tmp, "sim-r.log"), 7))
        for code in ("US-CA", "US-NY", "US-TX", "US-WA", "CA", "AU", "GB", "EU"):
            levy("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
        st, con, text, _ = levy("POST", "/v1/connections", {"provider": "rillet", "api_key": sim.key,
                                                             "tax_documents_from": SIM_DOCUMENTS_FROM})
        if not check("restart: connection created", st == 201, text):
            return
        cid = con["id"]
        sub = next((s for s in con["subsidiaries"] if s["trade_name"] == con["organization"]["trade_name"]), con["subsidiaries"][0])
        if con["status"] == "needs_subsidiary":
            levy("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
        events = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
                  "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}
        st, hook, text, _ = sim("POST", "/_sim/webhooks", {"url": levy_url + "/webhooks/rillet/" + cid,
                                                          "events": events, "enabled": True})
        st, con, text, _ = levy("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": hook["signing_token"]})
        check("restart: connected", st == 200, text)
        replica = (levy("GET", "/healthz")[1] or {}).get("replica")
        lp.kill()                      # kill -9 right after the acknowledged connect
        lp.wait()
        lp = start(levy_args, os.path.join(tmp, "levy-r2.log"), env)
        procs[1] = lp
        harness.wait_up(levy_url=levy_url)
        # let some work happen, then kill -9 again in the middle of it
        wait_for(lambda: levy("GET", "/v1/invoices?tax_status=written&limit=5")[1] and
                 levy("GET", "/v1/invoices?tax_status=written&limit=5")[1]["data"], 30, 0.05)
        lp.kill()
        lp.wait()
        lp = start(levy_args, os.path.join(tmp, "levy-r3.log"), env)
        procs[1] = lp
        harness.wait_up(levy_url=levy_url)
        if harness.PG_URL:
            # PostgreSQL: the jobs the killed levy held are leased to its replica id; the same
            # id (DATA_DIR/replica-id) takes them back at once, not after LEVY_JOB_LEASE_MS
            again = (levy("GET", "/healthz")[1] or {}).get("replica")
            check("restart: levy started again under the same replica id", replica and again == replica,
                  (replica, again))

        def done():
            s2, c, _, _ = levy("GET", "/v1/connections/" + cid)
            return c if s2 == 200 and c["import"]["state"] == "done" else None
        con = wait_for(done, 120, 0.5)
        if not check("restart: import finished after two kill -9", con, ""):
            return
        sim_invoices = sim.list_all("/invoices", "invoices", "&subsidiary_id=" + sub["id"])
        check("restart: import invoice count exact (no double count)", con["import"]["invoices"] == len(sim_invoices),
              (con["import"], len(sim_invoices)))

        def settled():
            s2, js, _, _ = levy("GET", "/v1/invoices?limit=500")
            d = js["data"] if s2 == 200 else []
            if len(d) != len(sim_invoices) or any(x["tax_status"] == "pending" for x in d):
                return None
            # calculated without a reason = a write-back still to come; "held" too (Rillet's
            # closed books period could not be read yet — a busy or restarted simulator — and
            # the write-back retries); any other reason = left alone on purpose (paid /
            # partially paid / credited: docs/connector.md "Scope")
            if any(x["tax_status"] == "calculated" and x.get("reason") in (None, "held") and x.get("status") != "PAID"
                   and x["levy_tax"] != x["rillet_taxed_amount"] for x in d):
                return None
            return d
        # up to 360 s: after two kill -9 the restarted levy's write-backs each read Rillet's
        # closed books period first (404 from the simulator), which can spend the connection's
        # 60-requests-per-60-s budget at once; the rest then waits for the next window (a
        # clean-clone CI saw the last write-backs stall from 12:50:11 and the old 180 s end at
        # 12:51:09, two seconds before the window turned). The assertion is unchanged. Since
        # then the write-backs of a burst share their books reads (scope.lua fresh_closed;
        # reliab_books_burst), so the budget is no longer spent on them.
        docs = wait_for(settled, 360, 1.0)
        if not check("restart: every invoice settled", docs, ""):
            return
        time.sleep(2)
        bad = []
        simmap = {x["id"]: x for x in sim.list_all("/invoices", "invoices", "&subsidiary_id=" + sub["id"])}
        for d in docs:
            if d["tax_status"] != "written":
                continue
            s2, det, _, _ = levy("GET", "/v1/invoices/" + d["id"])
            w = [h for h in det["history"] if h["kind"] == "writeback" and h["outcome"] == "written"]
            if len(w) != 1 or simmap[d["id"]]["taxed_amount"]["amount"] != d["levy_tax"]:
                bad.append((d["id"], len(w), d["levy_tax"], simmap[d["id"]]["taxed_amount"]["amount"]))
        check("restart: each taxed invoice written exactly once and Rillet holds levy's tax", not bad, bad[:5])
        check("restart: some invoices were written", any(d["tax_status"] == "written" for d in docs), "")
        odd = [(d["id"], d.get("status"), d.get("reason")) for d in docs
               if d["tax_status"] == "calculated" and d["levy_tax"] != d["rillet_taxed_amount"]
               and d.get("reason") not in ("paid_before_calculation", "credited")]
        check("restart: every invoice levy left alone is paid or credited, with that reason", not odd, odd[:5])
    finally:
        for p in reversed(procs):
            stop(p)


if __name__ == "__main__":
    harness.run_main(main)
