#!/usr/bin/env python3
"""Issue 20: the filing-ready liability report on a seeded simulator organisation.

Usage: filing_report.py LEVY_BINARY SOURCE_DIR [BASE_PORT]

levy serve + levy sim (seeded: customers across US states, taxable goods and SaaS) on
loopback; before levy connects the test adds a CA credit memo applied to a CA invoice (a
credit-memo adjustment) and a CA invoice of SaaS only (no tax due: non-taxable in
California). US-CA files monthly (PUT /v1/reports/filing-frequencies/US-CA), every other
region quarterly (the default). Asserts, against sums the test makes itself:
 1. per filing period and region, tax_due == Σ taxed_amount the SIMULATOR holds on the
    documents levy counts (invoices minus credit memos), to the cent; tax_collected and
    credit_memo_tax are the invoice and credit-memo parts of it;
 2. per period and region, gross / taxable / exempt / non-taxable sales == sums over levy's
    per-document lines (GET /v1/invoices/{id}: amount, taxable_amount, taxability_reason),
    and gross == exempt + non_taxable + taxable;
 3. the jurisdictions of a row add up to its tax_due; CA periods are months, others quarters;
 4. the zero-tax SaaS invoice is counted (basis no_tax_due, non-taxable sales), never pending;
 5. drill-down: /v1/reports/filing/documents?period=&region= lists exactly the documents of
    the row (their signed tax adds up to tax_due), with inputs, rate vintage and result;
 6. CSV (format=csv and Accept: text/csv) of the summary and of the documents: the header,
    one region row per JSON row, amounts equal; the documents CSV has one row per line and
    jurisdiction;
 7. bad input: 422 naming frequency / period / region.
"""
import csv
import datetime
import io
import sys
from decimal import Decimal

import common
from common import check, wait_for

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23700

EXEMPT = {"zero_rated", "customer_exempt", "reverse_charge"}
NON_TAXABLE = {"product_exempt", "no_tax_in_region", "out_of_scope", "not_collecting"}


def period(date, freq):
    y, m = int(date[:4]), int(date[5:7])
    if freq == "month":
        return "%04d-%02d" % (y, m)
    if freq == "quarter":
        return "%04d-Q%d" % (y, (m - 1) // 3 + 1)
    return "%04d" % y


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-filing-", BASE_PORT, invoices=60)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def listed(env, path, key):
    out, cursor = [], None
    while True:
        st, js, text, _ = env.S("GET", "%s?limit=100%s" % (path, "&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("sim list %s: %s %s" % (path, st, text[:200]))
        out += js[key]
        cursor = (js.get("pagination") or {}).get("next_cursor")
        if not cursor:
            return out


def run(env):
    wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 120, 0.3)
    st, js, _, _ = env.S("GET", "/subsidiaries")
    usd = next((s for s in (js or {}).get("subsidiaries") or [] if s.get("currency") == "USD"), None)
    st, js, _, _ = env.S("GET", "/products?limit=100")
    prods = (js or {}).get("products") or []
    router = next((p["id"] for p in prods if p.get("name") == "Edge router"), None)
    saas = next((p["id"] for p in prods if p.get("name") == "Platform subscription"), None)
    st, js, _, _ = env.S("GET", "/customers?limit=10")
    customer = ((js or {}).get("customers") or [{}])[0].get("id")
    if not check("seeded simulator: USD subsidiary, products, a customer", usd and router and saas and customer):
        return
    today = datetime.datetime.now(datetime.timezone.utc).date()
    ca = {"line1": "100 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}

    def invoice(product, amount, date):
        st, js, text, _ = env.S("POST", "/invoices", {
            "customer_id": customer, "subsidiary_id": usd["id"], "invoice_date": date.isoformat(),
            "shipping_address": ca, "items": [{"description": "x", "price": {
                "product_id": product, "quantity": 1, "amount_per_unit": {"amount": amount, "currency": "USD"}}}]})
        if st not in (200, 201):
            raise RuntimeError("sim invoice: %s %s" % (st, text[:300]))
        return js
    day = max(datetime.date(today.year, 1, 2), today - datetime.timedelta(days=3))
    inv = invoice(router, "1000.00", day)
    zero = invoice(saas, "499.00", day)
    st, memo, text, _ = env.S("POST", "/credit-memos", {
        "customer_id": customer, "subsidiary_id": usd["id"], "credit_memo_date": day.isoformat(), "address": ca,
        "items": [{"description": "refund", "price": {"product_id": router, "quantity": 1,
                   "amount_per_unit": {"amount": "200.00", "currency": "USD"}}}]})
    check("credit memo created", st in (200, 201), text)

    # filing frequency: validation, then US-CA monthly
    st, js, text, _ = env.L("PUT", "/v1/reports/filing-frequencies/US-CA", {"frequency": "weekly"})
    check("frequency weekly refused (422 naming frequency)", st == 422 and "frequency" in text, (st, text))
    st, js, text, _ = env.L("PUT", "/v1/reports/filing-frequencies/california", {"frequency": "month"})
    check("region 'california' refused (422 naming region)", st == 422 and "region" in text, (st, text))
    st, js, text, _ = env.L("PUT", "/v1/reports/filing-frequencies/US-CA", {"frequency": "month"})
    check("US-CA files monthly", st == 200 and js == {"region": "US-CA", "frequency": "month"}, (st, text))
    st, js, text, _ = env.L("GET", "/v1/reports/filing-frequencies")
    check("frequencies listed with the default", st == 200 and js.get("default") == "quarter" and
          js.get("data") == [{"region": "US-CA", "frequency": "month"}], (st, text))

    env.connect()
    check("levy and the simulator are quiet", common.wait_quiet(env, 300))

    frm, to = "%d-01-01" % today.year, today.isoformat()
    for q, field in (("&frequency=weekly", "frequency"), ("&period=Q1", "period"), ("&region=ca", "region")):
        st, js, text, _ = env.L("GET", "/v1/reports/filing?from=%s&to=%s%s" % (frm, to, q))
        check("filing query %s refused (422 naming %s)" % (q, field), st == 422 and field in text, (st, text))
        st, js, text, _ = env.L("GET", "/v1/reports/filing/documents?from=%s&to=%s%s" % (frm, to, q))
        check("documents query %s refused (422)" % q, st == 422 and field in text, (st, text))

    st, rep, text, _ = env.L("GET", "/v1/reports/filing?from=%s&to=%s" % (frm, to))
    if not check("filing report 200", st == 200 and rep, text[:300]):
        return

    # ---- the test's own sums: Rillet's taxed_amount per document, levy's lines per document
    sim_inv = {x["id"]: x for x in listed(env, "/invoices", "invoices")}
    sim_cm = {x["id"]: x for x in listed(env, "/credit-memos", "credit_memos")}

    sim_cust = {x["id"]: x for x in listed(env, "/customers", "customers")}

    def region_of(kind, x):
        """Rillet's ship-to: the document's address, else its customer's (a credit memo
        applied to an invoice: the invoice's)."""
        for a in x.get("applications") or []:
            if a.get("invoice_id") in sim_inv:
                return region_of("invoice", sim_inv[a["invoice_id"]])
        c = sim_cust.get(x.get("customer_id")) or {}
        a = x.get("shipping_address" if kind == "invoice" else "address") or c.get("shipping_address") or \
            c.get("address") or {}
        return "%s-%s" % (a.get("country"), a.get("state")) if a.get("country") == "US" else a.get("country")

    nc_ids = {(r["type"], r["id"]) for r in common.not_collected_all(env, rep, frm, to)}
    mine = {}   # (period, region) -> sums
    counted = {}
    for kind, path, docs, date_f in (("invoice", "invoices", sim_inv, "invoice_date"),
                                     ("credit_memo", "credit-memos", sim_cm, "credit_memo_date")):
        for i, x in docs.items():
            if not (frm <= x[date_f] <= to) or x.get("subsidiary_id") != usd["id"]:
                continue
            st, d, text, _ = env.L("GET", "/v1/%s/%s" % (path, i))
            if st != 200 or not d.get("calculation_id"):
                continue
            levy_tax = Decimal(d.get("levy_tax") or "0")
            if not (d["tax_status"] in ("written", "drift") or (levy_tax == 0 and (kind, i) not in nc_ids)):
                continue
            region = region_of(kind, x)
            key = (period(x[date_f], "month" if region == "US-CA" else "quarter"), region)
            counted[(kind, i)] = key
            s = mine.setdefault(key, {k: Decimal(0) for k in ("tax_due", "tax_collected", "credit_memo_tax", "gross",
                                                              "taxable", "exempt", "non_taxable", "n_inv", "n_cm")})
            sign = 1 if kind == "invoice" else -1
            held = Decimal(x["taxed_amount"]["amount"])
            s["tax_due"] += sign * held
            if sign > 0:
                s["tax_collected"] += held
                s["n_inv"] += 1
                for ln in d["lines"]:
                    amt = Decimal(ln["amount"] or "0")
                    s["gross"] += amt
                    r = ln["taxability_reason"]
                    if r in EXEMPT:
                        s["exempt"] += amt
                    elif r in NON_TAXABLE:
                        s["non_taxable"] += amt
                    else:
                        t = Decimal(ln["taxable_amount"] or "0")
                        s["taxable"] += t
                        s["non_taxable"] += amt - t
            else:
                s["credit_memo_tax"] -= held
                s["n_cm"] += 1
    rows = {(r["period"], r["region"]): r for r in rep["data"] if r["currency"] == "USD"}
    check("the report has a row for every (period, region) the test counts, and no other",
          set(rows) - {k for k, r in rows.items() if r["invoices"] == 0 and r["credit_memos"] == 0} == set(mine),
          (sorted(rows), sorted(mine)))
    check("seeded data spans several regions and periods", len(mine) >= 3, sorted(mine))
    for key, s in sorted(mine.items()):
        r = rows.get(key) or {}
        label = "%s %s" % key
        check(label + ": tax_due == Σ taxed_amount Rillet holds (invoices - credit memos)",
              r and Decimal(r["tax_due"]) == s["tax_due"], (r.get("tax_due"), s["tax_due"]))
        check(label + ": tax_collected and credit_memo_tax", r and Decimal(r["tax_collected"]) == s["tax_collected"] and
              Decimal(r["credit_memo_tax"]) == s["credit_memo_tax"], (r, s))
        check(label + ": counts", r and r["invoices"] == s["n_inv"] and r["credit_memos"] == s["n_cm"], (r, s))
        check(label + ": gross, taxable, exempt, non-taxable sales == Σ levy's lines",
              r and Decimal(r["gross_sales"]) == s["gross"] and Decimal(r["taxable_sales"]) == s["taxable"] and
              Decimal(r["exempt_sales"]) == s["exempt"] and Decimal(r["non_taxable_sales"]) == s["non_taxable"],
              (r, s))
        check(label + ": gross == exempt + non-taxable + taxable", r and Decimal(r["gross_sales"]) ==
              Decimal(r["exempt_sales"]) + Decimal(r["non_taxable_sales"]) + Decimal(r["taxable_sales"]), r)
        jsum = sum((Decimal(j["tax_due"]) for j in r.get("jurisdictions") or []), Decimal(0))
        check(label + ": its jurisdictions add up to tax_due", r and jsum == Decimal(r["tax_due"]), (jsum, r))
        check(label + ": frequency", r and r["frequency"] == ("month" if key[1] == "US-CA" else "quarter"), r)
    t = (rep.get("totals") or {}).get("USD") or {}
    check("USD total tax_due == Σ of the test's sums", t and Decimal(t["tax_due"]) ==
          sum((s["tax_due"] for s in mine.values()), Decimal(0)), t)
    check("every amount is a decimal string", all(isinstance(r[k], str) for r in rep["data"]
          for k in ("gross_sales", "tax_due", "taxable_sales")))

    # ---- the added CA documents
    key = counted.get(("invoice", zero["id"]))
    check("the SaaS-only CA invoice counts (no tax due, not pending)", key is not None, counted.get(("invoice", zero["id"])))
    check("the written CA invoice and the credit memo count", ("invoice", inv["id"]) in counted and
          ("credit_memo", memo["id"]) in counted)
    ca_key = counted.get(("invoice", inv["id"]))
    ca = rows.get(ca_key) or {}
    check("CA row has a credit-memo adjustment (< 0) and non-taxable (SaaS) sales",
          ca and Decimal(ca["credit_memo_tax"]) < 0 and Decimal(ca["non_taxable_sales"]) >= Decimal("499.00"), ca)

    # ---- drill-down
    for key in sorted(mine):
        r = rows[key]
        st, dd, text, _ = env.L("GET", "/v1/reports/filing/documents?from=%s&to=%s&region=%s&period=%s" %
                                (frm, to, key[1], key[0]))
        if not check("drill-down %s %s: 200" % key, st == 200 and dd, text[:300]):
            continue
        ids = {(x["type"], x["id"]) for x in dd["data"]}
        want = {k for k, v in counted.items() if v == key}
        check("drill-down %s %s: exactly the row's documents" % key, ids == want and dd["total"] == len(want),
              (sorted(ids - want), sorted(want - ids)))
        check("drill-down %s %s: Σ tax == tax_due" % key,
              sum((Decimal(x["tax"]) for x in dd["data"]), Decimal(0)) == Decimal(r["tax_due"]))
        check("drill-down %s %s: inputs, rate vintage and result on each" % key, all(
            x["inputs"] and x["inputs"].get("ship_to") and x["rates_source"] and x["result"].get("lines") is not None
            and x["calculation_id"] for x in dd["data"]), dd["data"][:1])
    zdoc = None
    if ca_key:
        st, dd, _, _ = env.L("GET", "/v1/reports/filing/documents?from=%s&to=%s&region=US-CA&period=%s" %
                             (frm, to, ca_key[0]))
        zdoc = next((x for x in (dd or {}).get("data") or [] if x["id"] == zero["id"]), None)
    check("SaaS invoice in the drill-down: basis no_tax_due, tax 0.00, non-taxable 499.00",
          zdoc and zdoc["basis"] == "no_tax_due" and zdoc["tax"] == "0.00" and zdoc["non_taxable_sales"] == "499.00",
          zdoc)

    # ---- CSV: summary (both ways of asking) and documents
    st, _, text, hdr = env.L("GET", "/v1/reports/filing?from=%s&to=%s&format=csv" % (frm, to))
    crows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
    header = text.split("\r\n", 1)[0] if st == 200 else ""
    check("summary CSV: 200 with its header", st == 200 and header.startswith("row,period,period_start") and
          "tax_due" in header and "authority_code" in header, header)
    reg = [c for c in crows if c["row"] == "region"]
    check("summary CSV: one region row per JSON row, amounts equal",
          [(c["period"], c["region"], c["currency"], c["tax_due"], c["gross_sales"]) for c in reg] ==
          [(r["period"], r["region"], r["currency"], r["tax_due"], r["gross_sales"]) for r in rep["data"]],
          (reg[:2], rep["data"][:2]))
    check("summary CSV: one jurisdiction row per JSON jurisdiction",
          len([c for c in crows if c["row"] == "jurisdiction"]) == sum(len(r["jurisdictions"]) for r in rep["data"]))
    st2, _, text2, _ = common.req("GET", env.levy_url + "/v1/reports/filing?from=%s&to=%s" % (frm, to), None,
                                  {"Authorization": "Bearer " + env.token, "Accept": "text/csv"})
    check("Accept: text/csv gives the same CSV", st2 == 200 and text2 == text, (st2, text2[:200]))
    if ca_key:
        st, dd, _, _ = env.L("GET", "/v1/reports/filing/documents?from=%s&to=%s&region=US-CA&period=%s" %
                             (frm, to, ca_key[0]))
        st, _, text, _ = env.L("GET", "/v1/reports/filing/documents?from=%s&to=%s&region=US-CA&period=%s&format=csv" %
                               (frm, to, ca_key[0]))
        drows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
        want = sum(max(1, len(ln.get("taxes") or [])) for x in dd["data"] for ln in x["result"]["lines"])
        check("documents CSV: one row per line and jurisdiction", st == 200 and len(drows) == want and
              {r["id"] for r in drows} == {x["id"] for x in dd["data"]}, (st, len(drows), want))
        check("documents CSV: Σ tax == the row's tax_due", sum((Decimal(r["tax"] or "0") for r in drows), Decimal(0)) ==
              Decimal(rows[ca_key]["tax_due"]))
        check("documents CSV: rate vintage and ship-to on each row", drows and all(
            r["rates_source"] and r["ship_to_state"] == "CA" for r in drows), drows[:1])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # running() prints it but its exit status was lost
