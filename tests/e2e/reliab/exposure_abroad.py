#!/usr/bin/env python3
"""Issues 19/20: registration thresholds for a FOREIGN (non-resident) seller on the Exposure
report (`international`, beside the US rows).

Usage: exposure_abroad.py LEVY_BINARY SOURCE_DIR [BASE_PORT=49900]

levy serve + levy sim on loopback. Before levy connects, the simulator gets 2025 invoices of the
USD subsidiary shipped abroad:
  * AU (A$75,000 over 12 months, consumers; data/intl/foreign-seller-thresholds.csv): USD 20,000
    at 1.5 AUD/USD (02-01), USD 50,000 WITHOUT an exchange rate (03-01), USD 20,000 at 1.6
    (05-01), USD 10,000 at 1.5 (07-01). Counting the USD 50,000 at any rate would cross on 03-01;
    it cannot be converted, so it is listed under `unconverted` and the threshold is crossed on
    07-01 (30,000 + 32,000 + 15,000 = 77,000 AUD). Also one invoice of AUD 1,000.00 stated in AUD
    through the rate the other way round (base AUD, target USD 0.625: USD 625.00 -> AUD 1,000.00)
    on 08-01.
  * NZ (NZ$60,000): USD 30,000 at 1.7 (04-01) = NZD 51,000.00: 85 % -> approaching.
  * DE (no threshold: a non-EU seller registers from the first sale): USD 100 (09-15), no rate:
    crossed on 09-15, the amount listed as unconverted.
  * CH (worldwide turnover): not measured.
The expected figures are computed here from the documents, independently of levy; the report is
read with as_of=2025-12-31. The US rows keep CONTRACT §2.6's fields.
"""
import sys
from decimal import Decimal, ROUND_HALF_UP

import common
from common import check, wait_for

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 49900
AS_OF = "2025-12-31"

ADDR = {"AU": ("Sydney", "NSW", "2000"), "NZ": ("Auckland", "AUK", "1010"), "DE": ("Berlin", "BE", "10115")}


def addr(cc):
    city, st, z = ADDR[cc]
    return {"line1": "1 Example St", "city": city, "state": st, "zip_code": z, "country": cc}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-abroad-", BASE_PORT, invoices=0)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def run(env):
    wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
    st, js, _, _ = env.S("GET", "/subsidiaries")
    usd = next((s for s in (js or {}).get("subsidiaries") or [] if s.get("currency") == "USD"), None)
    st, js, _, _ = env.S("GET", "/customers?limit=10")
    custs = [c["id"] for c in (js or {}).get("customers") or []]
    st, js, _, _ = env.S("GET", "/products?limit=100")
    product = next((p["id"] for p in (js or {}).get("products") or [] if p.get("name") == "Edge router"), None)
    if not check("simulator has a USD subsidiary, a customer and a product", usd and custs and product,
                 (usd, custs, product)):
        return
    made = []  # (country, id, date, USD amount, fx or None)

    def invoice(cc, date, amount, fx=None):
        body = {"customer_id": custs[0], "subsidiary_id": usd["id"], "invoice_date": date,
                "shipping_address": addr(cc),
                "items": [{"description": "subscription", "price": {"product_id": product, "quantity": 1,
                           "amount_per_unit": {"amount": amount, "currency": "USD"}}}]}
        if fx:
            body["exchange_rate"] = dict(fx, date=date)
        st, js, text, _ = env.S("POST", "/invoices", body)
        if st not in (200, 201):
            raise RuntimeError("sim invoice: %s %s" % (st, text[:300]))
        made.append((cc, js["id"], date, Decimal(amount), fx))

    invoice("AU", "2025-02-01", "20000.00", {"base": "USD", "target": "AUD", "rate": "1.5"})
    invoice("AU", "2025-03-01", "50000.00")
    invoice("AU", "2025-05-01", "20000.00", {"base": "USD", "target": "AUD", "rate": "1.6"})
    invoice("AU", "2025-07-01", "10000.00", {"base": "USD", "target": "AUD", "rate": "1.5"})
    invoice("AU", "2025-08-01", "625.00", {"base": "AUD", "target": "USD", "rate": "0.625"})
    invoice("NZ", "2025-04-01", "30000.00", {"base": "USD", "target": "NZD", "rate": "1.7"})
    invoice("DE", "2025-09-15", "100.00")
    # the simulator keeps the document's exchange rate as given (what levy reads from Rillet)
    st, js, text, _ = env.S("GET", "/invoices/" + made[0][1])
    check("the simulator returns the invoice's exchange_rate",
          st == 200 and (js.get("exchange_rate") or {}).get("rate") == "1.5", text[:300])

    env.connect(regions=("US-ID",))

    def calculated():
        for (_, i, *_rest) in made:
            st, js, _, _ = env.L("GET", "/v1/invoices/" + i)
            if st != 200 or not js.get("calculation_id"):
                return None
        return True
    check("levy imported and calculated the 2025 documents", wait_for(calculated, 180, 0.5))

    # -- the independent expectation
    def conv(amount, fx, cur):
        if fx is None:
            return None
        r = Decimal(fx["rate"])
        if fx["base"] == "USD" and fx["target"] == cur:
            v = amount * r
        elif fx["base"] == cur and fx["target"] == "USD":
            v = amount / r
        else:
            return None
        return v.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def expect(cc, cur, threshold):
        rows = sorted((m for m in made if m[0] == cc), key=lambda m: m[2])
        total, crossed, unconv = Decimal(0), None, Decimal(0)
        for (_, i, date, amt, fx) in rows:
            v = conv(amt, fx, cur)
            if v is None:
                unconv += amt
                continue
            total += v  # every document here is within 12 months of the others
            if crossed is None and total >= threshold:
                crossed = date
        return total, crossed, unconv

    au_total, au_crossed, au_unconv = expect("AU", "AUD", Decimal("75000"))
    nz_total, nz_crossed, _ = expect("NZ", "NZD", Decimal("60000"))
    check("expectation: AU 78,000.00 AUD crossed on 2025-07-01, USD 50,000 not converted",
          (au_total, au_crossed, au_unconv) == (Decimal("78000.00"), "2025-07-01", Decimal("50000.00")),
          (au_total, au_crossed, au_unconv))

    st, rep, text, _ = env.L("GET", "/v1/reports/exposure?as_of=" + AS_OF)
    if not check("GET exposure -> 200 with an international array", st == 200 and isinstance(
            (rep or {}).get("international"), list), text[:400]):
        return
    intl = {r["country"]: r for r in rep["international"]}
    check("the US rows keep CONTRACT 2.6's fields", all(
        {"region", "sales", "transactions", "sales_threshold", "status"} <= set(r) for r in rep["data"]), text[:300])
    au = intl.get("AU") or {}
    check("AU: threshold 75000.00 AUD, previous_12_months, b2c",
          (au.get("threshold"), au.get("currency"), au.get("period"), au.get("scope"))
          == ("75000.00", "AUD", "previous_12_months", "b2c"), au)
    check("AU: sales %s AUD over the 12 months ending %s" % (au_total, AS_OF),
          au.get("sales") == str(au_total) and au.get("period_end") == AS_OF, au)
    check("AU: exceeded, crossed on %s (the unconverted USD 50,000 not guessed at)" % au_crossed,
          au.get("threshold_status") == "exceeded" and au.get("crossed_on") == au_crossed
          and au.get("status") == "exceeded", au)
    check("AU: unconverted lists USD 50000.00 in 1 document",
          au.get("unconverted") == [{"currency": "USD", "documents": 1, "amount": "50000.00"}], au)
    check("AU: the problem says it is not subscribed and names the currency that could not be converted",
          "not subscribed" in (au.get("problem") or "") and "USD" in (au.get("problem") or ""), au)
    nz = intl.get("NZ") or {}
    check("NZ: %s NZD, approaching (85.0 %%), not crossed" % nz_total,
          nz.get("sales") == str(nz_total) and nz.get("threshold_status") == "approaching"
          and nz.get("percent") == "85.0" and nz.get("crossed_on") is None and nz_crossed is None, nz)
    de = intl.get("DE") or {}
    check("DE: from the first sale: exceeded on 2025-09-15 though its USD amount cannot be converted",
          de.get("period") == "first_sale" and de.get("threshold_status") == "exceeded"
          and de.get("crossed_on") == "2025-09-15"
          and de.get("unconverted") == [{"currency": "USD", "documents": 1, "amount": "100.00"}], de)
    ch = intl.get("CH") or {}
    check("CH: worldwide turnover, not measured, with a note",
          ch.get("scope") == "worldwide" and ch.get("threshold_status") == "not_measured" and ch.get("note"), ch)
    fr = intl.get("MX") or {}
    check("MX: no documents -> below, not crossed", fr.get("threshold_status") == "below"
          and fr.get("crossed_on") is None and fr.get("sales") == "0.00", fr)
    check("every international row cites its source", all(len(r.get("source") or "") > 20 for r in intl.values()),
          [r.get("country") for r in intl.values() if len(r.get("source") or "") <= 20])

    # a what-if date before the crossing: AU below the threshold then
    st, rep, text, _ = env.L("GET", "/v1/reports/exposure?as_of=2025-06-30")
    au = {r["country"]: r for r in (rep or {}).get("international") or []}.get("AU") or {}
    check("as_of 2025-06-30: AU 62000.00 AUD, approaching (82.6 %), not crossed",
          au.get("sales") == "62000.00" and au.get("threshold_status") == "approaching"
          and au.get("percent") == "82.6" and au.get("crossed_on") is None, au)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
