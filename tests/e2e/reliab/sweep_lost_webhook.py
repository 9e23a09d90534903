#!/usr/bin/env python3
"""Issue 16, case 1: the sweep repairs a lost webhook.

The simulator delivers invoice webhooks to levy. The delivery of an edit of invoice X is
dropped (simulator fault `drop`); then invoice Y is edited and its delivery arrives, so levy
applies Y and writes Y's tax back (both move the newest `updated_at` levy holds past X's
edit). `POST /v1/connections/{id}/sync` must still list X: the sweep's `updated.gt` is the
start of the last complete pull minus an overlap, not the newest `updated_at` levy stored.
Checked: levy holds X's new content, Rillet holds the tax levy calculated for it on every
line and in total, and levy says `written`. On the old watermark X stayed `written` with the
old tax while Rillet held the new quantities with 0.00 tax.

Then the sweep watermark itself (store read-only while levy runs): levy talks to Rillet
through a test proxy that answers 503 to every credit-memo request while armed. A sweep that
cannot finish its credit memos leaves their watermark where it was (the invoices of the same
sweep completed and moved theirs); once Rillet answers again the sweep completes and stores
the start time it had fixed in its checkpoint, minus the 300 s overlap.

Usage: sweep_lost_webhook.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19950]
"""
import json
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19950

EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}


class Proxy:
    """Forwards levy's requests to the simulator; while `block_memos` is set, answers 503 to
    every request for credit memos (a sweep then cannot complete)."""

    def __init__(self, port, upstream_port):
        self.block_memos = threading.Event()
        proxy = self

        def handle_any(h):
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n) if n else None
            if proxy.block_memos.is_set() and h.path.startswith("/credit-memos"):
                common.proxy_reply(h, 503, [("Content-Type", "application/problem+json")],
                                   b'{"type":"https://rillet.io/unavailable","title":"Service Unavailable","status":503}')
                return
            status, rh, data = common.proxy_forward(h, upstream_port, body)
            common.proxy_reply(h, status, rh, data)

        self.srv = common.serve_proxy(port, handle_any)


def bump(q):
    return (q + 1) if isinstance(q, int) else str(int(float(q)) + 1)


def edit(env, iid, first_qty=None):
    """Full-replace update of an invoice in the simulator: first line's quantity + 1 (line
    ids kept, no tax: Rillet's PUT replaces the lines, their tax goes to 0)."""
    st, inv, text, _ = env.S("GET", "/invoices/" + iid)
    items = []
    for i, it in enumerate(inv["items"]):
        q = it["quantity"]
        if i == 0:
            q = bump(q) if first_qty is None else first_qty
        items.append({"id": it["id"], "description": it.get("description") or "item",
                      "price": {"product_id": it["product_id"], "quantity": q,
                                "amount_per_unit": it["gross_rate"]}})
    st, new, text, _ = env.S("PUT", "/invoices/" + iid, {"items": items, "invoice_date": inv["invoice_date"]})
    return st, new, text


def right_in_rillet(env, iid, qty):
    """Rillet holds X with quantity qty on its first line and the tax levy calculated for
    that content, and levy says written."""
    s, si, _, _ = env.S("GET", "/invoices/" + iid)
    s2, d, _, _ = env.L("GET", "/v1/invoices/" + iid)
    if s != 200 or s2 != 200:
        return None
    if str(si["items"][0]["quantity"]) != str(qty):
        return None
    levy_lines = {ln["id"]: ln for ln in d.get("lines", [])}
    if str(levy_lines.get(si["items"][0]["id"], {}).get("quantity")) != str(qty):
        return None  # levy has not seen the new content
    for it in si["items"]:
        ln = levy_lines.get(it["id"])
        if not ln or ln.get("tax") is None or ln["tax"] != it["taxed_amount"]["amount"]:
            return None
    if d["tax_status"] != "written" or d["levy_tax"] != si["taxed_amount"]["amount"]:
        return None
    return (si, d)


def main():
    proxy, env = common.proxied_env(LEVY, SRC, "levy-reliab-lostwh-", BASE_PORT, Proxy, invoices=12)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(events=EVENTS)

        def written_pair():
            s, js, _, _ = env.L("GET", "/v1/invoices?limit=100")
            if s != 200:
                return None
            w = [d for d in js["data"] if d["tax_status"] == "written" and d["levy_tax"] not in ("0", "0.00")]
            return w if len(w) >= 3 else None
        w = common.wait_for(written_pair, 90, 0.5)
        if not check("the import wrote tax onto three invoices", w, ""):
            return
        x, y = w[0]["id"], w[1]["id"]
        # let the write-backs' own UPDATED deliveries settle
        common.wait_for(lambda: not any(d["state"] == "pending" for d in
                                        env.S("GET", "/_sim/deliveries?limit=200")[1]["deliveries"]), 60, 0.3)

        # 1. X's delivery is lost
        st, _, text, _ = env.S("POST", "/_sim/faults", {"drop": 1})
        check("drop fault armed", st == 200, text)
        x_old = env.L("GET", "/v1/invoices/" + x)[1]
        st, xinv, text = edit(env, x)
        check("X edited in the simulator (full replace: its tax is now 0.00)", st == 200 and
              xinv["taxed_amount"]["amount"] in ("0", "0.00"), text[:300])
        dl = env.S("GET", "/_sim/deliveries?entity_id=" + x + "&limit=5")[1]["deliveries"]
        check("X's UPDATED delivery was dropped", dl and dl[0]["state"] == "dropped", dl[:1])
        xqty = xinv["items"][0]["quantity"]

        # 2. Y's edit is delivered, levy applies it and writes Y's tax (newest updated_at)
        st, yinv, text = edit(env, y)
        res = common.wait_for(lambda: right_in_rillet(env, y, yinv["items"][0]["quantity"]), 60, 0.3)
        check("Y's edit arrived by webhook and levy wrote Y's tax", res, env.L("GET", "/v1/invoices/" + y)[1])
        d = env.L("GET", "/v1/invoices/" + x)[1]
        check("levy does not know X's edit yet (still its old tax)", d["levy_tax"] == x_old["levy_tax"], d)

        # 3. the sweep finds X
        st, _, text, _ = env.L("POST", "/v1/connections/%s/sync" % env.cid)
        check("POST /v1/connections/{id}/sync -> 202", st == 202, text)
        res = common.wait_for(lambda: right_in_rillet(env, x, xqty), 90, 0.5)
        check("the sweep found X: Rillet holds the tax levy calculated for X's new content, levy says written",
              res, (env.S("GET", "/invoices/" + x)[1].get("taxed_amount"), env.L("GET", "/v1/invoices/" + x)[1]))
        if res:
            check("X's tax changed with its content (was %s)" % x_old["levy_tax"],
                  res[1]["levy_tax"] not in ("0", "0.00", x_old["levy_tax"]), res[1]["levy_tax"])
        # the watermark: per entity, the completed sweep's start minus the 300 s overlap
        def ro(sql, *args):
            try:
                c = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db"), uri=True, timeout=5)
                c.row_factory = sqlite3.Row
                rows = [dict(r) for r in c.execute(sql, args)]
                c.close()
                return rows
            except sqlite3.Error:
                return None

        def sweep_done():
            # the sweep set the watermark of every entity it pulls (customers too since issue
            # 17: a wait for exactly two entities never ended and ran into its 60 s timeout)
            # and left no checkpoint
            marks = ro("SELECT entity FROM sync_watermarks WHERE connection_id = ? AND source = 'sweep'", env.cid)
            cps = ro("SELECT 1 FROM sync_checkpoints WHERE connection_id = ? AND entity LIKE 'sweep:%'", env.cid)
            return marks is not None and cps == [] and \
                {"customers", "invoices", "credit_memos"} <= {r["entity"] for r in marks}
        check("the sweep completed: customers, invoices and credit memos swept, no checkpoint left",
              common.wait_for(sweep_done, 60, 0.3), ro("SELECT * FROM sync_watermarks WHERE connection_id = ?", env.cid))

        # a sweep held up (credit memos answered 503: the circuit opens, the sweep waits) keeps
        # the old credit-memo watermark until it completes, then stores the start it had fixed
        before = {r["entity"]: r for r in ro("SELECT * FROM sync_watermarks WHERE connection_id = ?", env.cid) or []}
        proxy.block_memos.set()
        env.L("POST", "/v1/connections/%s/sync" % env.cid)
        cp = common.wait_for(lambda: (ro("SELECT * FROM sync_checkpoints WHERE connection_id = ? AND entity = "
                                         "'sweep:credit_memos'", env.cid) or None), 60, 0.3)
        check("the sweep reached credit memos (its checkpoint holds updated.gt and its start)",
              cp and cp[0]["extra"], cp)
        # (the circuit is the API key's bucket, "key_" + a digest, since issue 17: one connection here)
        common.wait_for(lambda: ro("SELECT 1 FROM rillet_rate WHERE bucket LIKE 'key_%' AND fail_streak >= 3"), 60, 0.3)
        mid = {r["entity"]: r for r in ro("SELECT * FROM sync_watermarks WHERE connection_id = ?", env.cid) or []}
        check("while it cannot complete, the credit-memo watermark does not move",
              mid.get("credit_memos") == before.get("credit_memos"), (before, mid))
        check("the invoices of the same sweep completed: their watermark moved",
              mid.get("invoices", {}).get("pull_started_ms", 0) > before.get("invoices", {}).get("pull_started_ms", 0),
              (before, mid))
        proxy.block_memos.clear()
        started = json.loads(cp[0]["extra"])["started_ms"] if cp and cp[0]["extra"] else None
        moved = common.wait_for(lambda: ro("SELECT * FROM sync_watermarks WHERE connection_id = ? AND entity = "
                                           "'credit_memos' AND pull_started_ms = ?", env.cid, started), 120, 0.5)
        check("once Rillet answers again the sweep completes and stores the start it had fixed", moved,
              ro("SELECT * FROM sync_watermarks WHERE connection_id = ?", env.cid))
        common.stop(env.levy)
        c = env.db()
        rows = {r["entity"]: dict(r) for r in c.execute("SELECT * FROM sync_watermarks WHERE connection_id = ?",
                                                         (env.cid,))}
        cps = c.execute("SELECT count(*) FROM sync_checkpoints WHERE entity LIKE 'sweep:%'").fetchone()[0]
        c.close()
        # issue 17: customers are swept with their own watermark too
        check("sync_watermarks: customers, invoices and credit_memos set by the completed sweep, start - 300 s",
              set(rows) == {"customers", "invoices", "credit_memos"} and
              all(r["source"] == "sweep" and r["watermark_ms"] == r["pull_started_ms"] - 300000 for r in rows.values()),
              rows)
        check("no sweep checkpoint left behind", cps == 0, cps)
    finally:
        proxy.srv.shutdown()
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
