#!/usr/bin/env python3
"""Issue 20: the EU One-Stop-Shop view in EUR (GET /v1/reports/oss?period=2026-Q3).

Usage: oss_report.py LEVY_BINARY SOURCE_DIR [BASE_PORT=25500]

Two connections to the simulator's two subsidiaries (USD and EUR), region EU subscribed, a
SaaS subscription sold to consumers (no VAT id) in Germany and France, dated in 2026-Q3:
  EUR 1000.00 -> DE, USD 333.33 -> DE, USD 250.00 -> FR, EUR 100.00 -> FR, and a USD credit
  memo of 33.33 -> DE.
Asserts:
 1. before any ECB file is imported the report answers 422 fx_rate_missing naming USD and
    2026-09-30 (never a guess); a file that ends before the quarter's last day answers the same;
 2. a malformed rate file is refused (422 naming the line), nothing stored;
 3. with the ECB file imported (30 Sep absent: the rate is the next publication, 1 Oct), the
    lines per member state and rate equal the hand-computed EUR figures below (exact sums per
    currency converted once, half away from zero to the cent), the documents counted, and
    the rate and its date per currency; CSV agrees with JSON.
No timing assertion: every wait polls for a state.
"""
import csv
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402
import harness  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 25500

BERLIN = {"line1": "Unter den Linden 1", "city": "Berlin", "state": "BE", "zip_code": "10117", "country": "DE"}
PARIS = {"line1": "1 Rue de Rivoli", "city": "Paris", "state": "IDF", "zip_code": "75001", "country": "FR"}
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED"], "CUSTOMER": ["DELETED"]}
DAY = "2026-08-14"

# The ECB layout (eurofxref-hist.csv): trailing comma, newest first, N/A for no value; no row
# for Wednesday 30 September (as on a TARGET holiday) so the next publication (1 Oct) applies.
ECB = ("Date,USD,JPY,BGN,CYP,GBP,\n"
       "2026-10-02,1.1702,171.30,N/A,N/A,0.86411,\n"
       "2026-10-01,1.1657,170.95,N/A,N/A,0.86083,\n"
       "2026-09-29,1.1600,170.10,N/A,N/A,0.86000,\n")
ECB_OLD = ("Date,USD,JPY,\n"
           "2026-09-29,1.1600,170.10,\n")

# Hand-computed (USD at 1.1657 per EUR, published 2026-10-01):
#   DE 19 %: EUR taxable 1000.00, VAT 190.00; USD taxable 333.33 - 33.33 = 300.00, VAT
#            63.33 - 6.33 = 57.00 -> 300.00 / 1.1657 = 257.356096... -> 257.36;
#            57.00 / 1.1657 = 48.897657... -> 48.90; line: 1257.36 / 238.90, 3 documents
#   FR 20 %: EUR taxable 100.00, VAT 20.00; USD 250.00 / 1.1657 = 214.463412... -> 214.46,
#            VAT 50.00 / 1.1657 = 42.892682... -> 42.89; line: 314.46 / 62.89, 2 documents
EXPECTED = {
    ("DE", "19.00"): {"taxable_amount": "1257.36", "vat": "238.90", "documents": 3, "invoices": 2, "credit_memos": 1,
                      "by": {"EUR": ("1000.00", "190.00", "1000.00", "190.00"),
                             "USD": ("300.00", "57.00", "257.36", "48.90")}},
    ("FR", "20.00"): {"taxable_amount": "314.46", "vat": "62.89", "documents": 2, "invoices": 2, "credit_memos": 0,
                      "by": {"EUR": ("100.00", "20.00", "100.00", "20.00"),
                             "USD": ("250.00", "50.00", "214.46", "42.89")}},
}


def connect_second(env, currency):
    st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                          "tax_documents_from": "2026-01-01"})
    if st != 201:
        raise RuntimeError("connect: %s %s" % (st, text))
    cid = con["id"]
    sub = next(s for s in con["subsidiaries"] if s.get("currency") == currency)
    st, con, text, _ = env.L("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
    if st != 200:
        raise RuntimeError("subsidiary: %s %s" % (st, text))
    st, hook, text, _ = env.S("POST", "/_sim/webhooks", {"name": "levy-" + currency, "url": con["webhook_url"],
                                                         "events": EVENTS, "enabled": True})
    if st not in (200, 201):
        raise RuntimeError("sim webhook: %s %s" % (st, text))
    st, con, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % cid,
                             {"signing_token": hook["signing_token"]})
    if st != 200:
        raise RuntimeError("secret: %s %s" % (st, text))
    con = common.wait_for(lambda: (lambda s, c: c if s == 200 and c["import"]["state"] in ("done", "failed")
                                   else None)(*env.L("GET", "/v1/connections/" + cid)[:2]), 300, 0.3)
    if not con or con["import"]["state"] != "done":
        raise RuntimeError("import did not finish: %s" % (con,))
    return cid, sub


def history():
    """A file of the ECB history's size and layout: 7,000 weekdays back from 2026-09-25 (before
    the quarter's end, so the small file's 1 Oct rate still decides), 41 currencies."""
    import datetime
    cur = ("USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,HUF,LTL,LVL,MTL,PLN,ROL,RON,SEK,SIT,SKK,CHF,ISK,NOK,HRK,RUB,TRL,TRY,"
           "AUD,BRL,CAD,CNY,HKD,IDR,ILS,INR,KRW,MXN,MYR,NZD,PHP,SGD,THB,ZAR").split(",")
    out, d, i = ["Date," + ",".join(cur) + ","], datetime.date(2026, 9, 25), 0
    while len(out) <= 7000:
        if d.weekday() < 5:
            i += 1
            out.append(d.isoformat() + "," + ",".join("N/A" if (i + k) % 7 == 0 else "%d.%04d" % (1 + k, i % 9973)
                                                      for k in range(len(cur))) + ",")
        d -= datetime.timedelta(days=1)
    return "\n".join(out) + "\n", 6543


def post_file(env, text):
    return harness.req("POST", env.levy_url + "/v1/reports/fx-rates", raw=text,
                       headers={"Authorization": "Bearer " + env.token, "Content-Type": "text/csv"})


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-oss-", BASE_PORT, invoices=4)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def run(env):
    env.connect(regions=("EU",), events=EVENTS)
    sub_us = env.sub
    _, sub_eu = connect_second(env, "EUR")
    st, prods, text, _ = env.L("GET", "/v1/products?limit=100")
    saas = next((p for p in (prods or {}).get("data", []) if p.get("tax_code") == "saas"), None)
    st, custs, text, _ = env.L("GET", "/v1/customers?limit=200")
    cust = next((c for c in (custs or {}).get("data", []) if not c.get("tax_id")), None)
    if not check("a SaaS product and a consumer customer were imported", saas and cust, text[:300]):
        return

    def invoice(sub, ship_to, currency, amount):
        st, inv, text, _ = env.S("POST", "/invoices", {
            "customer_id": cust["id"], "subsidiary_id": sub["id"], "invoice_date": DAY,
            "shipping_address": ship_to,
            "items": [{"description": "subscription", "price": {"product_id": saas["id"], "quantity": 1,
                       "amount_per_unit": {"amount": amount, "currency": currency}}}]})
        if st not in (200, 201):
            raise RuntimeError("invoice: %s %s" % (st, text))
        return inv["id"]

    ids = [invoice(sub_eu, BERLIN, "EUR", "1000.00"), invoice(sub_us, BERLIN, "USD", "333.33"),
           invoice(sub_us, PARIS, "USD", "250.00"), invoice(sub_eu, PARIS, "EUR", "100.00")]
    st, memo, text, _ = env.S("POST", "/credit-memos", {
        "customer_id": cust["id"], "subsidiary_id": sub_us["id"], "credit_memo_date": DAY, "address": BERLIN,
        "items": [{"description": "refund", "price": {"product_id": saas["id"], "quantity": 1,
                   "amount_per_unit": {"amount": "33.33", "currency": "USD"}}}]})
    check("credit memo created", st in (200, 201), text[:300])

    def written(path):
        def f():
            s, d, _, _ = env.L("GET", path)
            return d if s == 200 and d.get("tax_status") in ("written", "failed", "not_collecting") else None
        return common.wait_for(f, 120, 0.3)
    docs = [written("/v1/invoices/" + i) for i in ids] + [written("/v1/credit-memos/" + memo["id"])]
    check("every document is written to Rillet with VAT", all(d and d.get("tax_status") == "written" for d in docs),
          [(d or {}).get("tax_status") for d in docs])

    # 1. no rate imported: the missing currency and date are named, no figures
    st, js, text, _ = env.L("GET", "/v1/reports/oss?period=2026-Q3")
    err = (js or {}).get("error") or {}
    check("no ECB file: 422 fx_rate_missing naming USD and 2026-09-30",
          st == 422 and err.get("code") == "fx_rate_missing" and "USD" in err.get("message", "") and
          any(d.get("currency") == "USD" and d.get("date") == "2026-09-30" for d in err.get("details") or []),
          (st, text[:400]))
    check("no ECB file: no figures in the answer", "data" not in (js or {}), text[:200])
    # 2. bad input
    st, js, text, _ = post_file(env, "Date,USD,\n2026-10-01,1.1x,\n")
    check("malformed rate file refused (422 naming line 2)", st == 422 and "line 2" in text, (st, text[:300]))
    st, js, text, _ = post_file(env, "hello\n")
    check("a file without the ECB header refused (422)", st == 422 and "Date" in text, (st, text[:300]))
    for q in ("2026-13", "2026-Q5", ""):
        st, js, text, _ = env.L("GET", "/v1/reports/oss?period=" + q)
        check("period %r refused (422 naming period)" % q, st == 422 and "period" in text, (st, text[:200]))
    # ?format= is json or csv on every report (one check in reports/handler.lua, format_detail)
    for path in ("/v1/reports/oss?period=2026-Q3&format=xml",
                 "/v1/reports/liability?from=2026-07-01&to=2026-09-30&format=xml",
                 "/v1/reports/exposure?format=xml"):
        st, js, text, _ = env.L("GET", path)
        err = (js or {}).get("error") or {}
        check("%s refused: 422, the detail format: must be json or csv" % path,
              st == 422 and err.get("message") == "invalid query" and
              err.get("details") == [{"field": "format", "message": "must be json or csv"}], (st, text[:300]))
    # a file that ends before the quarter's last day: still missing
    st, js, text, _ = post_file(env, ECB_OLD)
    check("older ECB file imported (201)", st == 201 and js.get("last_date") == "2026-09-29", (st, text[:300]))
    st, js, text, _ = env.L("GET", "/v1/reports/oss?period=2026-Q3")
    check("a file ending on 29 Sep: still fx_rate_missing (no earlier rate used)",
          st == 422 and ((js or {}).get("error") or {}).get("code") == "fx_rate_missing", (st, text[:300]))
    # 3. the ECB file with 1 Oct
    st, js, text, _ = post_file(env, ECB)
    check("ECB file imported (201: 3 days, its currencies)", st == 201 and js.get("days") == 3 and
          js.get("currencies") == ["USD", "JPY", "BGN", "CYP", "GBP"] and js.get("last_date") == "2026-10-02",
          (st, text[:300]))
    st, js, text, _ = env.L("GET", "/v1/reports/fx-rates")
    check("two files listed, newest first", st == 200 and [f["last_date"] for f in js["data"]] ==
          ["2026-10-02", "2026-09-29"], text[:300])
    # the whole history (about 2 MB, 7,000 days, as the ECB publishes it) is checked by a job:
    # 202, then ready; the same file with one bad line far down is refused naming that line
    big, bad_line = history()
    # through the command line: levy fx import FILE sends it and waits while levy checks it
    path = os.path.join(env.tmp, "eurofxref-hist.csv")
    with open(path, "w") as f:
        f.write(big)
    cli = [LEVY, "fx", "import", path, "--listen", "127.0.0.1:%d" % env.levy_port, "--api-token", env.token]
    r = subprocess.run(cli, capture_output=True, text=True, timeout=600)
    check("levy fx import: the 7,000-day file is checked by the job and ready (exit 0)",
          r.returncode == 0 and '"state":"ready"' in r.stdout and '"days":7000' in r.stdout, (r.returncode, r.stdout[-300:],
                                                                                          r.stderr[-300:]))
    st, js, text, _ = env.L("GET", "/v1/reports/fx-rates")
    done = next((x for x in (js or {}).get("data") or [] if x.get("days") == 7000), None)
    check("ECB history file listed: ready, 7,000 days, to 2026-09-25", done and done.get("state") == "ready" and
          done.get("last_date") == "2026-09-25", text[:300])
    bad_small = os.path.join(env.tmp, "bad.csv")
    with open(bad_small, "w") as f:
        f.write("Date,USD,\n2026-10-01,1.1657,\n2026-09-30,one,\n")
    r = subprocess.run(cli[:3] + [bad_small] + cli[4:], capture_output=True, text=True, timeout=120)
    check("levy fx import of a bad file: exit 1 naming line 3", r.returncode == 1 and "line 3" in r.stderr,
          (r.returncode, r.stderr[-300:]))
    r = subprocess.run([LEVY, "fx", "import"], capture_output=True, text=True, timeout=30)
    check("levy fx import without FILE: usage, exit 2", r.returncode == 2 and "levy fx --help" in r.stderr,
          (r.returncode, r.stderr))
    lines = big.split("\n")
    lines[bad_line - 1] = lines[bad_line - 1].replace(",", ",,", 1)
    st, js, text, _ = post_file(env, "\n".join(lines))
    fid = (js or {}).get("id")
    done = common.wait_for(lambda: (lambda s, j: j if s == 200 and j.get("state") != "checking" else None)(
        *env.L("GET", "/v1/reports/fx-rates/%s" % fid)[:2]), 120, 0.3)
    check("a history file with one bad line is refused, naming line %d" % bad_line,
          st == 202 and done and done.get("state") == "refused" and ("line %d " % bad_line) in (done.get("error") or ""),
          done)
    st, rep, text, _ = env.L("GET", "/v1/reports/oss?period=2026-Q3")
    if not check("OSS report 200", st == 200 and rep, (st, text[:400])):
        return
    check("the USD rate is the next publication after 30 Sep: 1.1657 of 2026-10-01",
          rep.get("fx_rates") == [{"currency": "USD", "rate": "1.1657", "date": "2026-10-01"}], rep.get("fx_rates"))
    got = {(r["member_state"], r["rate"]): r for r in rep["data"]}
    check("lines: DE 19.00 and FR 20.00 only", sorted(got) == sorted(EXPECTED), sorted(got))
    for key, exp in EXPECTED.items():
        r = got.get(key) or {}
        check("%s %s %%: taxable %s EUR, VAT %s EUR" % (key[0], key[1], exp["taxable_amount"], exp["vat"]),
              r.get("taxable_amount") == exp["taxable_amount"] and r.get("vat") == exp["vat"], r)
        check("%s: %d documents (%d invoices, %d credit memos)" % (key[0], exp["documents"], exp["invoices"],
              exp["credit_memos"]), (r.get("documents"), r.get("invoices"), r.get("credit_memos")) ==
              (exp["documents"], exp["invoices"], exp["credit_memos"]), r)
        by = {c["currency"]: (c["taxable_amount"], c["vat"], c["taxable_amount_eur"], c["vat_eur"])
              for c in r.get("by_currency") or []}
        check("%s: per currency before and after conversion" % key[0], by == exp["by"], by)
    check("totals: taxable 1571.82 EUR, VAT 301.79 EUR, 5 documents",
          rep.get("totals") == {"taxable_amount": "1571.82", "vat": "301.79", "documents": 5}, rep.get("totals"))
    st, _, text, hdr = env.L("GET", "/v1/reports/oss?period=2026-Q3&format=csv")
    rows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
    check("CSV: one row per line and currency, equal to the JSON",
          len(rows) == 4 and all(got[(x["member_state"], x["rate"])]["vat"] == x["line_vat_eur"] for x in rows) and
          {(x["member_state"], x["currency"], x["vat_eur"]) for x in rows} ==
          {("DE", "EUR", "190.00"), ("DE", "USD", "48.90"), ("FR", "EUR", "20.00"), ("FR", "USD", "42.89")},
          (st, text[:500]))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # also when main() returned early after a failed check
