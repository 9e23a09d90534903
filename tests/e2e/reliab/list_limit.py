#!/usr/bin/env python3
"""Regression (bug found by the kill -9 loop, fixed in plugins/rillet/handler.lua list_docs):
GET /v1/invoices?limit=500 answered 500 "instruction budget exceeded" once a connection had a
few hundred imported invoices: every listed document was re-encoded by the plugin's
canonical JSON encoder written in Lua (util.encode), which spent the request's whole Lua
instruction budget on 500 documents. CONTRACT §2.1 allows limit up to 500.

Usage: list_limit.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19090] [DOCS=600]
Delivers DOCS signed invoice webhooks, waits until they are stored, then lists them with
limit=500 and follows next_cursor: every page 200, every document listed exactly once.
"""
import copy
import json
import os
import shutil
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19090
DOCS = int(sys.argv[4]) if len(sys.argv) > 4 else 600


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-list-")
    sim_port = common.free_port(BASE_PORT)
    levy_port = common.free_port(sim_port + 1)
    env = common.Env(LEVY, SRC, tmp, sim_port, levy_port, invoices=2)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        env.connect()
        real = env.L("GET", "/v1/invoices?limit=10")[1]["data"]
        st, template, _, _ = env.S("GET", "/invoices/" + real[0]["id"])
        template["shipping_address"] = {"line1": "1 Main St", "city": "Portland", "state": "OR",
                                        "zip_code": "97201", "country": "US"}
        sent = set()
        for i in range(DOCS):
            d = copy.deepcopy(template)
            d["id"] = str(uuid.uuid4())
            for it in d.get("items") or []:
                it["id"] = str(uuid.uuid4())
            st, js, text, _ = env.deliver(json.dumps(d).encode(), str(uuid.uuid4()))
            if st != 200:
                check("delivery %d accepted" % i, False, (st, text[:200]))
                return
            sent.add(d["id"])
        n_real = len(real)

        def stored():
            st, js, _, _ = env.L("GET", "/v1/invoices?tax_status=pending&limit=1")
            c = env.L("GET", "/v1/connections/" + env.cid)[1]
            return st == 200 and not js["data"]
        common.wait_for(stored, 120, 0.5)
        seen, pages, cursor, statuses = [], 0, None, []
        while True:
            st, js, text, _ = env.L("GET", "/v1/invoices?limit=500" + ("&cursor=" + cursor if cursor else ""), timeout=60)
            statuses.append(st)
            if st != 200:
                break
            pages += 1
            seen += [d["id"] for d in js["data"]]
            cursor = js.get("next_cursor")
            if not cursor or pages > 10:
                break
        check("GET /v1/invoices?limit=500 over %d documents: every page 200 (%s)" % (DOCS + n_real, statuses),
              all(s == 200 for s in statuses), text[:300] if statuses and statuses[-1] != 200 else "")
        check("every document listed exactly once", len(seen) == len(set(seen)) and sent <= set(seen),
              (len(seen), len(set(seen)), len(sent - set(seen))))
        check("the first page holds 500", statuses[0] == 200 and pages >= 2, pages)
        # the list encodes documents exactly like the single-document view (empty objects stay
        # {}, arrays stay [], decimals stay strings)
        st, js, _, _ = env.L("GET", "/v1/invoices?limit=5")
        diffs = []
        for item in js["data"]:
            s2, det, _, _ = env.L("GET", "/v1/invoices/" + item["id"])
            diffs += [(item["id"], k) for k in item if det.get(k) != item[k] or type(det.get(k)) != type(item[k])]
        check("list items equal the single-document view", st == 200 and not diffs, diffs[:5])
    finally:
        env.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log"), 2000))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
