#!/usr/bin/env python3
"""levy's real flows against the simulator with every strict reading of rillet-api.md on
(docs/rillet-assumptions.md "The simulator's strict switches"):

  - require_version: a request without X-Rillet-API-Version is refused (Rillet's docs: served
    as v1, whose schemas are not v4's); /_sim/requests must count none from levy;
  - pagination when_more: the last page of /customers, /invoices and /credit-memos carries
    no `pagination` object (optional in Rillet's schema); 150 invoices make the import read
    a page with a next_cursor and one without;
  - taxes_omitted_lines refuse: a tax write-back that does not list every line of the document
    is refused (400), so one omitted line would leave the document failed;
  - subsidiaries 1: the organisation has one subsidiary, so the connect wizard has no
    subsidiary step (CONTRACT §2.3: `needs_webhook_secret` at once, the subsidiary chosen);
  - rate_limit on, retry_after_header false: a 429 carries no Retry-After (and one is injected on the
    first write-back after the import: levy must retry it on its own backoff).

Checked on what the simulator HOLDS afterwards (its tax detail: the rates written on every
line), not on what levy says: every document levy calculated with tax is written, and on
every line of it the simulator holds exactly the tax levy computed for that line, for the
imported invoices and credit memos and for an invoice created after the import (webhook).

usage: strict_rillet.py LEVY SRC BASE_PORT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 30000
INVOICES = 150
REGIONS = ("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-NJ")
STRICT = {"rate_limit": True, "require_version": True, "pagination": "when_more", "taxes_omitted_lines": "refuse",
          "subsidiaries": 1, "retry_after_header": False}
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED"]}


def cents(amount):
    """A decimal string of 2 places as integer cents (exact; no float)."""
    neg = amount.startswith("-")
    whole, _, frac = amount.lstrip("-").partition(".")
    v = int(whole) * 100 + int((frac + "00")[:2])
    return -v if neg else v


OBSERVER = {}


def obs(env, method, path, body=None):
    """The simulator's API with the test's own key (its reads do not spend levy's key's 60
    requests a minute: the rate limit is on)."""
    if "key" not in OBSERVER:
        st, js, text, _ = common.req("POST", env.sim_url + "/_sim/api-keys", {"name": "observer"})
        if st not in (200, 201):
            raise RuntimeError("observer key: %s %s" % (st, text[:300]))
        OBSERVER["key"] = js["api_key"]
    return common.req(method, env.sim_url + path, body, {"Authorization": "Bearer " + OBSERVER["key"],
                                                         "X-Rillet-API-Version": "4"})


def sim_lines(env, kind, did):
    """{line id: (taxed cents, sum of the written rates' cents, number of rates)} as the
    simulator holds them."""
    st, d, _, _ = obs(env, "GET", "/_sim/%s/%s/tax-detail" % (kind, did))
    st2, doc, _, _ = obs(env, "GET", "/%s/%s" % (kind, did))
    if st != 200 or st2 != 200:
        return None
    taxed = {ln["id"]: cents(ln["taxed_amount"]["amount"]) for ln in doc["items"]}
    out = {}
    for ln in d["lines"]:
        rates = ln.get("tax_rates") or []
        out[ln["id"]] = (taxed.get(ln["id"]), sum(cents(r["tax_amount"]["amount"]) for r in rates), len(rates))
    return out


def levy_lines(doc):
    """{line id: cents of tax levy computed for it} from levy's document detail."""
    out = {}
    for ln in (doc.get("result") or {}).get("lines") or doc.get("lines") or []:
        out[str(ln.get("id"))] = sum(cents(t["amount"]) for t in ln.get("taxes") or [])
    return out


def holds(env, kind, doc):
    """None when the simulator holds levy's tax on every line of doc; else what differs."""
    sl = sim_lines(env, kind, doc["id"])
    if sl is None:
        return "simulator read failed"
    ll = levy_lines(doc)
    if set(ll) != set(sl):
        return {"levy lines": sorted(ll), "sim lines": sorted(sl)}
    bad = {i: (ll[i], sl[i]) for i in sl if not (sl[i][0] == sl[i][1] == ll[i] and (sl[i][2] > 0 or ll[i] == 0))}
    return bad or None


def all_docs(env, path):
    out, cursor = [], None
    while True:
        st, js, text, _ = env.L("GET", path + "?limit=100" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("%s: %s %s" % (path, st, text[:300]))
        out += js["data"]
        cursor = js.get("next_cursor")
        if not cursor:
            return out


def unsettled(env, path):
    """The documents of path without a decision yet: pending, or without a reason (a write-back
    due), or held (waiting to write)."""
    return [{k: d.get(k) for k in ("id", "status", "tax_status", "reason", "levy_tax", "rillet_taxed_amount")}
            for d in all_docs(env, path)
            if d["tax_status"] == "pending" or d.get("reason") in (None, "held")]


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-strict-", BASE_PORT, invoices=INVOICES)
    with common.running(env):
        if not check("simulator starts", env.start_sim()):
            return
        st, cfg, text, _ = common.req("POST", env.sim_url + "/_sim/config", STRICT)
        check("simulator: every strict switch on", st == 200 and all(cfg.get(k) == v for k, v in STRICT.items()), text)
        # `subsidiaries` is read when the demo data is seeded: reseed (the config is kept)
        st, info, text, _ = common.req("POST", env.sim_url + "/_sim/reset", {"seed": 1, "invoices": INVOICES})
        info = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and not r[1].get("seeding") else None)(
            common.req("GET", env.sim_url + "/_sim/info")), 120)
        if not check("simulator reseeded with one subsidiary", info and info["invoices"] == INVOICES, info):
            return
        env.key = info["api_key"]
        st, subs, text, _ = obs(env, "GET", "/subsidiaries")
        if not check("Rillet has one subsidiary", st == 200 and len(subs["subsidiaries"]) == 1, text[:300]):
            return
        only = subs["subsidiaries"][0]
        common.req("DELETE", env.sim_url + "/_sim/requests")
        if not check("levy starts", env.start_levy()):
            return

        # connect: the wizard's one-subsidiary path (no subsidiary step)
        for code in REGIONS:
            st, _, text, _ = env.L("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
            check("subscribe " + code, st == 200, text[:200])
        st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                            "tax_documents_from": "2026-01-01"})
        check("connect: 201, needs_webhook_secret at once, Rillet's one subsidiary chosen",
              st == 201 and con.get("status") == "needs_webhook_secret"
              and (con.get("subsidiary") or {}).get("id") == only["id"] and con.get("webhook_url"), text[:600])
        if st != 201:
            return
        env.cid, env.webhook_url = con["id"], con["webhook_url"]
        st, hook, text, _ = obs(env, "POST", "/_sim/webhooks", {"name": "levy", "url": env.webhook_url,
                                                            "events": EVENTS, "enabled": True})
        check("webhook created in Rillet", st in (200, 201), text[:300])
        # the first write-back after the import meets a 429 without Retry-After
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/faults", {"fail_next": 1, "status": 429,
                                                                          "path": "/taxes"})
        check("fault: one 429 without Retry-After on the next write-back", st == 200, text[:300])
        st, after, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid,
                                   {"signing_token": hook["signing_token"]})
        check("signing token pasted", st == 200, text[:300])

        def import_done():
            s, c, _, _ = env.L("GET", "/v1/connections/" + env.cid)
            return c if s == 200 and c["import"]["state"] in ("done", "failed") else None
        con = common.wait_for(import_done, 300, 0.5)
        check("import done (pages without a pagination object read as the last)",
              con and con["import"]["state"] == "done", con)
        invs = common.wait_for(lambda: len(all_docs(env, "/v1/invoices")) == INVOICES, 60, 0.5)
        check("levy imported all %d invoices (2 pages of 100)" % INVOICES, invs, len(all_docs(env, "/v1/invoices")))
        n_memos = common.req("GET", env.sim_url + "/_sim/info")[1]["credit_memos"]
        check("levy imported every credit memo (%d)" % n_memos,
              common.wait_for(lambda: len(all_docs(env, "/v1/credit-memos")) == n_memos, 60, 0.5),
              len(all_docs(env, "/v1/credit-memos")))
        # a budget of 60 requests a minute: ~40 write-backs may wait for a window to turn
        ok = common.wait_for(lambda: not unsettled(env, "/v1/invoices") and not unsettled(env, "/v1/credit-memos"),
                             400, 1)
        check("every document settles (written or nothing to write)", ok,
              (unsettled(env, "/v1/invoices") + unsettled(env, "/v1/credit-memos"))[:10])

        def check_all(label):
            written, failures = 0, []
            for path, kind in (("/v1/invoices", "invoices"), ("/v1/credit-memos", "credit-memos")):
                for d in all_docs(env, path):
                    if d["tax_status"] == "failed":
                        failures.append((d["id"], "failed"))
                        continue
                    if d["tax_status"] != "written":
                        continue
                    st, full, text, _ = env.L("GET", "%s/%s" % (path, d["id"]))
                    diff = holds(env, kind, full) if st == 200 else text[:300]
                    if diff:
                        failures.append((d["id"], diff))
                    written += 1
            check("%s: %d documents written; Rillet holds levy's tax on every line of each" % (label, written),
                  written >= 10 and not failures, failures[:5])
        check_all("after the import")

        # a document created after the import: the webhook path
        st, custs, _, _ = obs(env, "GET", "/customers?limit=100")
        ca = next((c for c in custs["customers"] if (c.get("address") or {}).get("state") == "CA"), None)
        st, prods, _, _ = obs(env, "GET", "/products?limit=100")
        goods = [p for p in prods["products"] if (p.get("external_references") or [{}])[0].get("id") == "goods"]
        if not check("a Californian customer and goods products", ca and goods, ""):
            return
        items = [{"description": "line %d" % i, "price": {"product_id": goods[i % len(goods)]["id"], "quantity": i + 1,
                  "amount_per_unit": {"amount": "19.99", "currency": "USD"}}} for i in range(4)]
        st, inv, text, _ = obs(env, "POST", "/invoices", {"customer_id": ca["id"], "invoice_date": "2026-06-01",
                                                      "items": items})
        check("invoice of 4 lines created in Rillet", st == 200 and inv, text[:300])

        def written_doc():
            s, d, _, _ = env.L("GET", "/v1/invoices/" + inv["id"])
            return d if s == 200 and d.get("tax_status") == "written" else None
        doc = common.wait_for(written_doc, 180, 0.5)
        check("the webhook's invoice is written, with tax on all 4 lines in Rillet",
              doc and holds(env, "invoices", doc) is None
              and all(v[2] > 0 for v in (sim_lines(env, "invoices", inv["id"]) or {0: (0, 0, 0)}).values()),
              (doc and holds(env, "invoices", doc), sim_lines(env, "invoices", inv["id"]),
               common.tail(os.path.join(env.tmp, "levy.log"), 3000)))
        check_all("after the webhook")

        st, reqs, text, _ = common.req("GET", env.sim_url + "/_sim/requests")
        me = next((k for k in (reqs or {}).get("keys", []) if k["key_hint"].endswith(env.key[-4:])), None)
        check("levy sent X-Rillet-API-Version on every request (none unversioned of %s)" % (me or {}).get("requests"),
              me and me["requests"] > 0 and me["unversioned"] == 0, me)
        st, faults, _, _ = common.req("GET", env.sim_url + "/_sim/faults")
        check("the injected 429 was spent (levy retried a write-back without Retry-After)",
              st == 200 and ((faults.get("fail") or {}).get("remaining", 0) == 0), faults)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
