#!/usr/bin/env python3
"""Issue 20, "Lists": invoices, credit memos, customers and products searchable, filterable,
sortable, with a total count and CSV of exactly what the filters select.

Usage: list_csv.py LEVY_BINARY SOURCE_DIR [BASE_PORT]

levy serve + levy sim (seeded) on loopback, connected and quiet. For each list and several
filter sets (none; a search; a date range + region + sort; tax status; the products'
tax_code_source): `total` == the documents of every page; the CSV (?format=csv and
Accept: text/csv, byte-identical) has the header and exactly `total` rows, the same ids in
the same order as the pages; a sorted list's pages are in that order (customers and products
by name too); bad parameters are 422 naming the parameter. The reports (exposure, liability,
not collected) honour Accept: text/csv as the lists do (the ?format=csv answer, byte-identical).
"""
import csv
import io
import sys

import common
from common import check

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23720
CURSOR_R1 = "cjE"  # URL-safe Base64 of "r1": not an offset cursor ("o<n>") of a sorted list


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-listcsv-", BASE_PORT, invoices=60)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def pages(env, path, params):
    out, cursor, total = [], None, None
    while True:
        q = "".join("&%s=%s" % kv for kv in params.items() if kv[1] != "")
        st, js, text, _ = env.L("GET", "%s?limit=7%s%s" % (path, q, "&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("%s %s: %s %s" % (path, q, st, text[:300]))
        out += js["data"]
        total = js.get("total") if total is None else total
        cursor = js.get("next_cursor")
        if not cursor:
            return out, total


def run(env):
    env.connect()
    check("levy and the simulator are quiet", common.wait_quiet(env, 300))
    st, inv, _, _ = env.L("GET", "/v1/invoices?limit=500")
    docs = inv["data"]
    num = next((d.get("invoice_number") for d in docs if d.get("invoice_number")), None)
    dates = sorted(d["invoice_date"] for d in docs if d.get("invoice_date"))
    mid_from, mid_to = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    st, regs, _, _ = env.L("GET", "/v1/regions")
    cases = [
        ("/v1/invoices", {}),
        ("/v1/invoices", {"q": num[-3:] if num else "INV"}),
        ("/v1/invoices", {"from": mid_from, "to": mid_to, "sort": "-date"}),
        ("/v1/invoices", {"region": "US-CA", "sort": "number"}),
        ("/v1/invoices", {"tax_status": "written", "sort": "date"}),
        ("/v1/credit-memos", {}),
        ("/v1/credit-memos", {"sort": "-number"}),
        ("/v1/customers", {}),
        ("/v1/customers", {"q": "in"}),
        ("/v1/products", {}),
        ("/v1/products", {"q": "sub"}),
        ("/v1/products", {"tax_code_source": "default"}),
        # sortable by name (audit20: the customers and products lists had no order but the ids')
        ("/v1/customers", {"sort": "name"}),
        ("/v1/customers", {"q": "in", "sort": "-name"}),
        ("/v1/products", {"sort": "name"}),
        ("/v1/products", {"tax_code_source": "default", "sort": "-name"}),
    ]
    for path, params in cases:
        label = path + " " + (",".join("%s=%s" % kv for kv in params.items()) or "(all)")
        got, total = pages(env, path, params)
        check(label + ": total == documents of every page", total == len(got), (total, len(got)))
        q = "&".join("%s=%s" % kv for kv in params.items())
        st, _, text, hdr = env.L("GET", "%s?format=csv&%s" % (path, q))
        rows = list(csv.reader(io.StringIO(text))) if st == 200 else []
        check(label + ": CSV is text/csv with a header and exactly `total` rows",
              st == 200 and "text/csv" in hdr.get("Content-Type", "") and rows and rows[0][0] == "id" and
              len(rows) - 1 == total, (st, len(rows), total, text[:200]))
        check(label + ": CSV ids == the pages' ids, in order", [r[0] for r in rows[1:]] == [d["id"] for d in got])
        st2, _, text2, _ = common.req("GET", "%s%s?%s" % (env.levy_url, path, q), None,
                                      {"Authorization": "Bearer " + env.token, "Accept": "text/csv"})
        check(label + ": Accept: text/csv gives the same CSV", st2 == 200 and text2 == text)
        if path in ("/v1/invoices", "/v1/credit-memos") and params.get("sort"):
            key = params["sort"].lstrip("-")
            f = {"date": "invoice_date" if path == "/v1/invoices" else "credit_memo_date",
                 "number": "invoice_number" if path == "/v1/invoices" else "credit_memo_number"}[key]
            vals = [d.get(f) or "" for d in got]
            check(label + ": pages are sorted", vals == sorted(vals, reverse=params["sort"].startswith("-")), vals[:10])
        if path in ("/v1/customers", "/v1/products") and params.get("sort"):
            desc = params["sort"].startswith("-")
            keys = [((d.get("name") or "").lower(), d["id"]) for d in got]
            check(label + ": pages are in name order (ties by id), every row once",
                  keys == sorted(keys, reverse=desc) and len({d["id"] for d in got}) == len(got),
                  [k[0] for k in keys[:10]])
            st, unsorted, _, _ = env.L("GET", "%s?limit=500%s" % (path, "".join(
                "&%s=%s" % kv for kv in params.items() if kv[0] != "sort")))
            check(label + ": the same rows as unsorted", st == 200 and
                  sorted(d["id"] for d in unsorted["data"]) == sorted(d["id"] for d in got))
        if "from" in params:
            check(label + ": dates within the range", all(params["from"] <= d["invoice_date"] <= params["to"] for d in got))
        if "q" in params and path == "/v1/invoices":
            check(label + ": every hit's number holds the text", got and all(
                params["q"].lower() in (d.get("invoice_number") or "").lower() for d in got), len(got))
        if "q" in params and path in ("/v1/customers", "/v1/products"):
            check(label + ": every hit's name holds the text", got and all(
                params["q"].lower() in (d.get("name") or "").lower() for d in got), len(got))
        if "tax_code_source" in params:
            check(label + ": every product on that source", all(d["tax_code_source"] == "default" for d in got))
    # the reports too (home20): Accept: text/csv gives the ?format=csv answer; ?format=json wins
    # over the header; without either, JSON
    for path in ("/v1/reports/exposure", "/v1/reports/liability?from=2026-01-01&to=2026-12-31",
                 "/v1/reports/not-collected?from=2026-01-01&to=2026-12-31"):
        sep = "&" if "?" in path else "?"
        st, _, text, hdr = env.L("GET", path + sep + "format=csv")
        csv_hdr = {"Authorization": "Bearer " + env.token, "Accept": "text/csv"}
        st2, _, text2, hdr2 = common.req("GET", env.levy_url + path, None, csv_hdr)
        check(path + ": Accept: text/csv gives the ?format=csv answer", st == 200 and st2 == 200 and text2 == text and
              "text/csv" in hdr2.get("Content-Type", "") and text.count("\n") >= 1, (st, st2, text2[:120]))
        st3, js3, _, hdr3 = common.req("GET", env.levy_url + path + sep + "format=json", None, csv_hdr)
        check(path + ": ?format=json wins over Accept: text/csv", st3 == 200 and isinstance(js3, dict) and
              "application/json" in hdr3.get("Content-Type", ""), (st3, hdr3.get("Content-Type")))
    for path, q, field in (("/v1/invoices", "from=2026-13-01", "from"), ("/v1/invoices", "sort=amount", "sort"),
                           ("/v1/invoices", "from=2026-05-01&to=2026-04-01", "from"),
                           ("/v1/credit-memos", "format=xml", "format"), ("/v1/products", "tax_code_source=x", "tax_code_source"),
                           ("/v1/customers", "format=pdf", "format"), ("/v1/customers", "sort=id", "sort"),
                           ("/v1/products", "sort=-date", "sort"), ("/v1/customers", "sort=name&cursor=" + CURSOR_R1, "cursor")):
        st, js, text, _ = env.L("GET", "%s?%s" % (path, q))
        details = ((js or {}).get("error") or {}).get("details") or []
        check("%s?%s refused: 422 naming %s" % (path, q, field), st == 422 and any(d.get("field") == field for d in details),
              (st, text[:200]))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # running() prints it but its exit status was lost
