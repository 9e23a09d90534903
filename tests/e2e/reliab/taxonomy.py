#!/usr/bin/env python3
"""Issue 19, "Product taxonomy": the ten tax codes of CONTRACT 2.4 grow to 43, each new code
naming one of the ten as its parent (core/tax/codes.c, the one list). Before, levy knew ten
codes: every new code was a 422, and a state's law for custom software, information services
or data processing could not be said.

Against the real simulator (MA NY TX WA subscribed), checked here:
  1. GET /v1/tax-codes: at least 40 codes; the ten of CONTRACT 2.4 with parent null; every
     other code's parent is one of the ten; docs/rules.md section 2a lists exactly the same
     (code, name, parent) rows (no second list).
  2. POST /v1/calculate, where the cited law makes a new code differ from its parent:
     MA custom software exempt (830 CMR 64H.1.3) while prewritten software is taxable; NY
     information services taxable (Tax Law 1105(c)(1)) while professional services are not;
     TX data processing taxable on 80 % (Tax Code 151.351, 34 TAC 3.330) while professional
     services are exempt; WA a prerecorded course is a digital automated service, taxable on
     2025-09-30 when live training was not, and custom software exempt on 2025-09-30,
     taxable from 2025-10-01 (ESSB 5814); a gift card in WA and TX and streaming in WA have
     cited rows (taxonomy II). None of these carries a fallback note.
  3. A code a state has no row for (NY iaas_paas) answers as its parent (saas, 8.88) and says
     so: notes [{code taxability_fallback, region US-NY, tax_code iaas_paas, parent saas}].
  4. The ten old codes answer exactly as before in TX 78701 (amounts, reasons, no notes).
  5. The Rillet mapping: a product created in Rillet named "Custom software build" is imported
     with tax code custom_software (source mapping); a calculation naming it in MA is exempt;
     PUT /v1/products/{id} accepts another new code (data_processing) and refuses an unknown
     one (422).

usage: taxonomy.py LEVY SRC BASE_PORT
"""
import os
import re
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23400
OLD = ["general", "saas", "software_download", "digital_goods", "professional_services", "training",
       "shipping", "clothing", "food_grocery", "exempt"]
AT = {
    "MA": {"line1": "1 Main St", "city": "Boston", "state": "MA", "zip_code": "02108", "country": "US"},
    "NY": {"line1": "1 Main St", "city": "New York", "state": "NY", "zip_code": "10001", "country": "US"},
    "TX": {"line1": "1 Main St", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"},
    "WA": {"line1": "1 Main St", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"},
}


def docs_table(src):
    """The (code, name, parent) rows of docs/rules.md section 2a's table."""
    text = open(os.path.join(src, "docs", "rules.md"), encoding="utf-8").read()
    if "## 2a." not in text:
        return []
    sec = text[text.index("## 2a."):text.index("## 3.")]
    rows = []
    for m in re.finditer(r"^\| `([a-z_]+)` \| ([^|]+) \| (—|`[a-z_]+`) \|", sec, re.M):
        rows.append((m.group(1), m.group(2).strip(), None if m.group(3) == "—" else m.group(3).strip("`")))
    return rows


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-taxonomy-", BASE_PORT, invoices=2)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        # 5 (set-up): a product created in Rillet before the import
        st, prod, text, _ = env.S("POST", "/products", {
            "name": "Custom software build", "description": "Bespoke module for one customer",
            "account_code": "4100", "include_in_arr_mrr": False, "revenue_pattern": "EVEN_PERIOD",
            "status": "ACTIVE", "price": {"type": "ONE_TIME", "amount": {"amount": "5000.00", "currency": "USD"}}})
        check("simulator: product created", st == 200 and prod and prod.get("id"), text[:300])
        try:
            env.connect(regions=("US-MA", "US-NY", "US-TX", "US-WA"))
        except RuntimeError as e:
            check("connect and import", False, str(e)[:600])
            return

        # 1. the list
        st, js, text, _ = env.L("GET", "/v1/tax-codes")
        codes = js.get("data", []) if st == 200 else []
        by = {c["code"]: c for c in codes}
        check("GET /v1/tax-codes: at least 40 codes", len(codes) >= 40, "%d codes" % len(codes))
        check("the ten codes of CONTRACT 2.4 are there with parent null",
              all(c in by and by[c].get("parent") is None for c in OLD), text[:300])
        bad = [c["code"] for c in codes if c["code"] not in OLD and c.get("parent") not in OLD]
        check("every other code's parent is one of the ten", not bad, str(bad))
        check("every code has a name and a description",
              all(c.get("name") and c.get("description") for c in codes), text[:300])
        api_rows = [(c["code"], c["name"], c.get("parent")) for c in codes]
        doc_rows = docs_table(SRC)
        check("docs/rules.md section 2a lists exactly the API's codes (code, name, parent)",
              api_rows == doc_rows,
              "only in API: %s; only in docs: %s" % (sorted(set(api_rows) - set(doc_rows))[:5],
                                                      sorted(set(doc_rows) - set(api_rows))[:5]))

        def calc(state, code, date="2025-12-15", amount="100.00", product_id=None):
            line = {"id": "1", "amount": amount, "quantity": "1"}
            if code:
                line["tax_code"] = code
            if product_id:
                line["product_id"] = product_id
            st, js, text, _ = env.L("POST", "/v1/calculate", {
                "currency": "USD", "date": date, "ship_to": AT[state], "lines": [line]})
            return (js if st == 200 else {}), text

        def answer(state, code, date="2025-12-15"):
            js, text = calc(state, code, date)
            line = (js.get("lines") or [{}])[0]
            return js.get("total_tax"), line.get("taxability_reason"), js.get("notes"), text

        # 2. new codes that differ from their parent, as the cited law says
        for state, code, date, want, reason, label in [
                ("MA", "custom_software", "2025-12-15", "0.00", "product_exempt", "MA custom software: exempt"),
                ("MA", "software_download", "2025-12-15", "6.25", "standard_rated", "MA prewritten software (the parent): taxable"),
                ("NY", "information_services", "2025-12-15", "8.88", "standard_rated", "NY information services: taxable"),
                ("NY", "professional_services", "2025-12-15", "0.00", "product_exempt", "NY professional services (the parent): exempt"),
                ("TX", "data_processing", "2025-12-15", "6.60", "partially_taxable", "TX data processing: 80 % taxable"),
                ("TX", "professional_services", "2025-12-15", "0.00", "product_exempt", "TX professional services (the parent): exempt"),
                ("WA", "online_course_recorded", "2025-09-30", "10.35", "standard_rated", "WA prerecorded course on 2025-09-30: a digital automated service"),
                ("WA", "training", "2025-09-30", "0.00", "product_exempt", "WA live training (the parent) on 2025-09-30: exempt"),
                ("WA", "custom_software", "2025-09-30", "0.00", "product_exempt", "WA custom software on 2025-09-30: exempt"),
                ("WA", "custom_software", "2025-10-01", "10.35", "standard_rated", "WA custom software from 2025-10-01 (ESSB 5814): taxable"),
                # taxonomy II: cited rows where a note used to say "taxed as its parent"
                ("WA", "gift_card", "2026-03-01", "0.00", "product_exempt", "WA gift card: not taxed when sold (DOR)"),
                ("TX", "gift_card", "2026-03-01", "0.00", "product_exempt", "TX gift card: not taxed when sold (Comptroller letter)"),
                ("WA", "streaming_video", "2026-03-01", "0.00", "product_exempt", "WA streaming for a business (the default type): exempt (RCW 82.08.02087)")]:
            t, r, notes, text = answer(state, code, date)
            check(label + " (%s, %s)" % (want, reason), t == want and r == reason and notes is None, text[:500])

        # 3. no row: the parent's row, said in the answer
        t, r, notes, text = answer("NY", "iaas_paas")
        check("NY iaas_paas (no row): taxed as its parent saas (8.88)", t == "8.88", text[:400])
        check("... with the note taxability_fallback naming region, code and parent",
              notes == [{"code": "taxability_fallback", "region": "US-NY", "tax_code": "iaas_paas", "parent": "saas",
                         "message": notes[0].get("message") if notes else None}]
              and "iaas_paas" in notes[0]["message"] and "saas" in notes[0]["message"], text[:600])

        # 4. the old codes answer as before (TX 78701, 8.25 %)
        before = {"general": ("8.25", "standard_rated"), "saas": ("6.60", "partially_taxable"),
                  "software_download": ("8.25", "standard_rated"), "digital_goods": ("8.25", "standard_rated"),
                  "professional_services": ("0.00", "product_exempt"), "training": ("0.00", "product_exempt"),
                  "shipping": ("8.25", "standard_rated"), "clothing": ("8.25", "standard_rated"),
                  "food_grocery": ("0.00", "product_exempt"), "exempt": ("0.00", "product_exempt")}
        for code, (want, reason) in before.items():
            js, text = calc("TX", code)
            line = (js.get("lines") or [{}])[0]
            taxes = [(x.get("jurisdiction"), x.get("amount")) for x in line.get("taxes", [])]
            check("old code %s in TX: %s %s, no notes" % (code, want, reason),
                  js.get("total_tax") == want and line.get("taxability_reason") == reason
                  and "notes" not in js and (want == "0.00" or len(taxes) == 3), text[:400])
        st, js, text, _ = env.L("POST", "/v1/calculate", {
            "currency": "USD", "date": "2025-12-15", "ship_to": AT["TX"],
            "lines": [{"id": "1", "amount": "100.00", "tax_code": "no_such_code"}]})
        check("an unknown code is still a 422 on lines[0].tax_code", st == 422 and any(
            d.get("field") == "lines[0].tax_code" for d in (js.get("error") or {}).get("details", [])), text[:300])

        # 5. the Rillet mapping
        st, p, text, _ = env.L("GET", "/v1/products/" + prod["id"])
        check("the Rillet product 'Custom software build' is imported as custom_software (mapping)",
              st == 200 and p.get("tax_code") == "custom_software" and p.get("tax_code_source") == "mapping", text[:300])
        js, text = calc("MA", None, product_id=prod["id"])
        check("a calculation naming it in MA: exempt", js.get("total_tax") == "0.00", text[:400])
        st, p, text, _ = env.L("PUT", "/v1/products/" + prod["id"], {"tax_code": "data_processing"})
        check("PUT /v1/products/{id} accepts a new code (data_processing)",
              st == 200 and p.get("tax_code") == "data_processing" and p.get("tax_code_source") == "user", text[:300])
        js, text = calc("TX", None, product_id=prod["id"])
        check("... and a calculation naming it in TX is 80 % taxable (6.60)", js.get("total_tax") == "6.60", text[:400])
        st, _, text, _ = env.L("PUT", "/v1/products/" + prod["id"], {"tax_code": "custom_widgets"})
        check("PUT /v1/products/{id} with an unknown code: 422", st == 422, text[:300])
    except Exception:  # a step that raised must not pass as "returned early"
        check("the scenario ran without an exception", False, traceback.format_exc()[-1500:])
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
