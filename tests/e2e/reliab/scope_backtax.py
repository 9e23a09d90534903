#!/usr/bin/env python3
"""No silent back-taxing and the manual tax policy (issue 16, cases 3 and 4), against the real
simulator.

Case 3: an organisation with history (an invoice dated four months before the connection, a
paid, a partially paid, a partially credited and a voided invoice, an old applied credit memo)
is connected with the defaults and a region is subscribed afterwards: none of those documents
is written, each says why (`outside_window`, `paid_before_calculation`, `credited`, `voided`),
while an invoice created after the connection is written. Then a books period is closed and the
window moved back: an invoice in the closed period is not written (`closed_period`), one after
it is. With Rillet's period endpoint failing, nothing is written and the document says so.

Case 4: an invoice carrying tax typed by hand in Rillet (10 %) is left alone
(`manual_tax_kept` with the amount); with `manual_tax: overwrite` levy writes its own tax and
the history names the tax it replaced.

Usage: scope_backtax.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19980]
"""
import datetime
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19980
IRVINE = {"line1": "1 Park Plaza", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}
ALL_EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
              "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def day(delta):
    return (TODAY + datetime.timedelta(days=delta)).isoformat()


def plugins_with_hook():
    """A copy of the plugins whose mapping.lua skips invoices issued by "stripe" (the
    should_tax hook's documented example)."""
    tmp_src = tempfile.mkdtemp(prefix="levy-reliab-scope-src-")
    shutil.copytree(os.path.join(SRC, "plugins"), os.path.join(tmp_src, "plugins"))
    os.symlink(os.path.join(SRC, "scripts"), os.path.join(tmp_src, "scripts"))
    path = os.path.join(tmp_src, "plugins", "rillet", "mapping.lua")
    text = open(path).read()
    new = text.replace("M.skip_external_reference_types = {}", "M.skip_external_reference_types = { stripe = true }")
    open(path, "w").write(new)
    return tmp_src, new != text


def main():
    src, hooked = plugins_with_hook()
    env = common.new_env(LEVY, src, "levy-reliab-scope-", BASE_PORT, invoices=2)
    try:
        check("mapping.lua copy skips external reference type stripe", hooked)
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        S = env.S
        st, custs, text, _ = S("GET", "/customers?limit=5")
        cust = custs["customers"][0]["id"]
        st, prods, text, _ = S("GET", "/products?limit=100")
        prod = next((p for p in prods["products"] if p["name"] == "Edge router"), None)  # tangible goods
        if not check("a tangible product (taxable in CA)", prod, text[:300]):
            return
        st, subs, _, _ = S("GET", "/subsidiaries")
        sub = next(s for s in subs["subsidiaries"] if s["currency"] == "USD")

        def invoice(date, amount="1000.00", refs=None):
            st, inv, text, _ = S("POST", "/invoices", {
                "customer_id": cust, "subsidiary_id": sub["id"], "invoice_date": date,
                "shipping_address": IRVINE, "external_references": refs or [],
                "items": [{"description": "widget", "price": {"product_id": prod["id"], "quantity": 1,
                                                             "amount_per_unit": {"amount": amount, "currency": "USD"}}}]})
            if st != 200:
                raise RuntimeError("invoice: %s %s" % (st, text))
            return inv

        def pay(inv, amount):
            st, _, text, _ = S("POST", "/invoices/%s/payments" % inv["id"], {
                "amount": {"amount": amount, "currency": "USD"}, "date": day(0), "account_code": "1010"})
            if st != 200:
                raise RuntimeError("payment: %s %s" % (st, text))

        # -- history before the connection
        old = invoice(day(-120))
        older = invoice(day(-30))
        paid = invoice(day(0))
        pay(paid, paid["amount_due"]["amount"])
        part_paid = invoice(day(0))
        pay(part_paid, "100.00")
        part_credited = invoice(day(0))
        st, cm, text, _ = S("POST", "/credit-memos", {
            "customer_id": cust, "subsidiary_id": sub["id"], "credit_memo_date": day(-100), "address": IRVINE,
            "items": [{"description": "credit", "price": {"product_id": prod["id"], "quantity": 1,
                                                          "amount_per_unit": {"amount": "50.00", "currency": "USD"}}}]})
        check("old credit memo created", st == 200, text[:200])
        st, _, text, _ = S("POST", "/credit-memos/%s/applications" % cm["id"], {"applications": [
            {"invoice_id": part_credited["id"], "amount": {"amount": "50.00", "currency": "USD"},
             "application_date": day(0)}]})
        check("old credit memo applied", st == 200, text[:200])
        voided = invoice(day(0))
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/invoices/%s/void" % voided["id"], {})
        check("simulator voids an invoice", st == 200, text[:200])
        manual = invoice(day(0))
        st, mj, text, _ = common.req("POST", env.sim_url + "/_sim/invoices/%s/manual-tax" % manual["id"],
                                     {"percentage": "10"})
        check("simulator takes tax typed by hand (10 %)", st == 200 and mj["taxed_amount"]["amount"] == "100.00",
              text[:300])
        statuses = {}
        for name, inv in (("paid", paid), ("part_paid", part_paid), ("part_credited", part_credited),
                          ("voided", voided)):
            statuses[name] = S("GET", "/invoices/" + inv["id"])[1]["status"]
        check("simulator states: PAID, PARTIALLY_PAID, PARTIALLY_CREDITED, VOIDED",
              statuses == {"paid": "PAID", "part_paid": "PARTIALLY_PAID", "part_credited": "PARTIALLY_CREDITED",
                           "voided": "VOIDED"}, statuses)

        # -- connect with the defaults (no region yet), then subscribe CA
        con = env.connect(regions=(), events=ALL_EVENTS, tax_from=None)
        scope = con.get("tax_scope") or {}
        check("tax_documents_from defaults to the connection's day",
              scope.get("tax_documents_from") in (day(0), day(-1)), scope)
        check("defaults: partially paid / credited off, respect_manual",
              scope.get("tax_partially_paid") is False and scope.get("tax_partially_credited") is False
              and scope.get("manual_tax") == "respect_manual", scope)
        st, _, text, _ = env.L("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True})
        check("US-CA subscribed after the import", st == 200, text[:200])

        def doc(kind, id_):
            st, d, _, _ = env.L("GET", "/v1/%s/%s" % (kind, id_))
            return d if st == 200 else None

        def settled(kind, id_):
            def f():
                d = doc(kind, id_)
                return d if d and d["tax_status"] != "pending" and (
                    d.get("reason") or d["tax_status"] in ("written", "failed", "not_collecting")) else None
            return common.wait_for(f, 60, 0.3)

        new = invoice(day(0))  # after the connection: CREATED webhook
        d = settled("invoices", new["id"])
        check("a new invoice dated after the connection is written",
              d and d["tax_status"] == "written" and d.get("reason") == "written"
              and S("GET", "/invoices/" + new["id"])[1]["taxed_amount"]["amount"] == d["levy_tax"] != "0.00",
              d and (d["tax_status"], d.get("reason"), d["levy_tax"]))

        other = invoice(day(0), refs=[{"type": "stripe", "id": "in_1Abc"}])  # issued and taxed by Stripe
        d = settled("invoices", other["id"])
        td = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % other["id"])[1]
        check("mapping.should_tax false: not written, reason skipped_by_mapping naming the system",
              d and d.get("reason") == "skipped_by_mapping" and "stripe" in (d.get("reason_detail") or "")
              and td["tax_writes"] == 0, d and (d["tax_status"], d.get("reason"), d.get("reason_detail"), td["tax_writes"]))

        expect = [("invoices", old, "outside_window"), ("invoices", older, "outside_window"),
                  ("invoices", paid, "paid_before_calculation"),
                  ("invoices", part_paid, "paid_before_calculation"), ("invoices", part_credited, "credited"),
                  ("invoices", voided, "voided"), ("invoices", manual, "manual_tax_kept"),
                  ("credit-memos", cm, "outside_window")]
        for kind, obj, reason in expect:
            d = settled(kind, obj["id"])
            # a PAID invoice is never re-taxed: calculated once at the import, before CA was
            # subscribed, it keeps that result (not_collecting)
            ok_reasons = (reason, "not_collecting") if obj is paid else (reason,)
            check("%s %s: not written, reason %s" % (kind, obj["id"][:8], reason),
                  d and d.get("reason") in ok_reasons and d["written_at"] is None
                  and d["tax_status"] in ("calculated", "not_collecting"),
                  d and (d["tax_status"], d.get("reason"), d.get("reason_detail"), d["status"]))
        st, td, _, _ = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % old["id"])
        d = doc("invoices", old["id"])
        # issue 20: the reason names the switch as the Integrations page does, not its field
        for obj, words in ((part_paid, "Also tax partially paid invoices"), (part_credited, "Also tax partially credited invoices")):
            pd = doc("invoices", obj["id"])
            detail = (pd or {}).get("reason_detail") or ""
            check("the reason names the switch %r in words" % words, words in detail and "tax_partially" not in detail, detail)
        check("outside_window names the date levy taxes from",
              d and scope.get("tax_documents_from", "?") in (d.get("reason_detail") or ""), d and d.get("reason_detail"))
        d = doc("invoices", manual["id"])
        check("manual_tax_kept carries the amount typed in Rillet (100.00)", d and d.get("reason_detail") == "100.00",
              d and d.get("reason_detail"))
        st, js, _, _ = env.L("GET", "/v1/invoices?reason=outside_window&limit=100")
        check("GET /v1/invoices?reason= filters by reason",
              st == 200 and js["data"] and all(x["reason"] == "outside_window" for x in js["data"]), js)
        untouched = []
        for kind, obj, _ in expect:
            path = "/_sim/%s/%s/tax-detail" % (kind, obj["id"])
            st, td, _, _ = common.req("GET", env.sim_url + path)
            if st != 200 or td["tax_writes"] != 0:
                untouched.append((obj["id"], st, td.get("tax_writes") if td else None))
        check("Rillet: no tax write on any of them", not untouched, untouched)
        m = S("GET", "/invoices/" + manual["id"])[1]
        check("Rillet still holds the tax typed by hand", m["taxed_amount"]["amount"] == "100.00", m["taxed_amount"])

        # -- close the books through day -60 and move the window back: old (day -120) is in the
        #    closed period, older (day -30) is not
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/books", {"close_through": day(-60)})
        check("simulator closes a books period", st == 200, text[:200])
        st, con2, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"tax_documents_from": day(-150)})
        check("PATCH tax_documents_from -> 200 and re-evaluates documents",
              st == 200 and con2["tax_scope"]["tax_documents_from"] == day(-150) and con2["queued"] >= 2, text[:300])
        d_older = common.wait_for(lambda: (lambda d: d if d and d.get("reason") == "written" else None)(
            doc("invoices", older["id"])), 60, 0.3)
        check("an invoice after the closed period, inside the moved window, is written", d_older,
              doc("invoices", older["id"]))
        d_old = common.wait_for(lambda: (lambda d: d if d and d.get("reason") == "closed_period" else None)(
            doc("invoices", old["id"])), 60, 0.3)
        check("an invoice in the closed period is not written (closed_period)",
              d_old and day(-60) in d_old.get("reason_detail"), doc("invoices", old["id"]))
        st, td, _, _ = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % old["id"])
        check("Rillet: no tax write in the closed period", td["tax_writes"] == 0, td)
        st, js, _, _ = env.L("GET", "/v1/connections/" + env.cid)
        check("the connection shows the closed period", js["tax_scope"]["books"]["closed_through"] == day(-60),
              js.get("tax_scope"))
        for kind, obj, reason in expect[2:7]:
            d = doc(kind, obj["id"])
            check("still not written after the window moved: %s" % reason,
                  d and d.get("reason") in ((reason, "not_collecting") if obj is paid else (reason,))
                  and d["written_at"] is None, d and (d.get("reason"), d.get("reason_detail")))

        # -- case 4: overwrite policy replaces the tax typed by hand and says what it replaced
        st, con3, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"manual_tax": "overwrite"})
        check("PATCH manual_tax overwrite -> 200", st == 200 and con3["tax_scope"]["manual_tax"] == "overwrite",
              text[:300])
        d = common.wait_for(lambda: (lambda d: d if d and d.get("reason") == "written" else None)(
            doc("invoices", manual["id"])), 60, 0.3)
        sm = S("GET", "/invoices/" + manual["id"])[1]
        check("overwrite: levy's tax written over the manual 10 %",
              d and sm["taxed_amount"]["amount"] == d["levy_tax"] != "100.00", (d and d["levy_tax"], sm["taxed_amount"]))
        hist = [h["message"] for h in (d or {}).get("history", []) if h["kind"] == "writeback" and h["outcome"] == "written"]
        check("overwrite: the history names the previous tax (100.00)", any("100.00" in (m or "") for m in hist), hist)

        # -- Rillet's period endpoint fails: nothing written, the document says why
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/books", {"fail": 503})
        common.stop(env.levy)
        c = env.db()
        c.execute("UPDATE connections SET closed_checked_ms = NULL")  # forget the cached period
        c.commit()
        c.close()
        check("levy restarts", env.start_levy())
        late = invoice(day(0))
        d = common.wait_for(lambda: (lambda d: d if d and d.get("reason") == "held" else None)(
            doc("invoices", late["id"])), 60, 0.3)
        check("period endpoint failing: the write is held and the document says why",
              d and "closed books period" in (d.get("reason_detail") or "") and d["written_at"] is None,
              doc("invoices", late["id"]))
        st, td, _, _ = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % late["id"])
        check("Rillet: nothing written while the period is unknown", td["tax_writes"] == 0, td)
        st, js, _, _ = env.L("GET", "/v1/connections/" + env.cid)
        check("the connection shows the period error", js["tax_scope"]["books"]["error"], js.get("tax_scope"))
        common.req("POST", env.sim_url + "/_sim/books", {"fail": 0})
        d = common.wait_for(lambda: (lambda d: d if d and d.get("reason") == "written" else None)(
            doc("invoices", late["id"])), 120, 0.5)
        check("once Rillet answers again the held write goes through", d, doc("invoices", late["id"]))
    except Exception as e:  # a crash is a failure, not a pass
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    finally:
        shutil.rmtree(src, ignore_errors=True)
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
