#!/usr/bin/env python3
"""One closed-books read serves a burst of write-backs (plugins/rillet/scope.lua
`closed_through`, docs/rillet-assumptions.md "Closed books periods: one read per burst").

A document dated before this month and after the last closed period levy read lies in the
period that may close next, so levy reads GET /books/periods/last-closed before writing it.
That read used to be made once per write: a burst of write-backs (an import, a restart with
~50 due) spent the key's 60 requests a minute on it in a second. Now the writes that need a
read while one is gathering share it; the read is still sent after each of them decided to
write (month.py's guarantee).

Against the real simulator (its request log counts each kind of request: GET /_sim/requests
`by_path`), checked here:
  1. The brief's case: write-backs pile up while the books read fails (150 invoices, documents
     dated 2026-01 to 2026-10, no period closed: each write needs a read; `/_sim/books
     {"fail":500}` holds them), levy stops, the books answer again, the held write-backs are
     made due (their run_at moved to now while levy is stopped) and levy restarts: all due at
     once. At most half as many books reads as tax writes in that burst, and every held
     invoice is written. The simulator answers the books read after 1.5 s (latency fault on
     that path only), so that the burst meets a read in flight however fast or slow the
     machine is. Before the change: one read per write (reads >= writes; seen: 48 reads for
     29 writes, the rate-limited ones reading again).
  2. The guarantee: the books closed through 2026-06-30, then invoices created dated in the
     closed period (and in the open one) in a burst: none dated in the closed period is
     written (closed_period; the simulator counts no tax write on it), each in the open one is
     and Rillet holds levy's tax.

usage: books_burst.py LEVY SRC BASE_PORT
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 30020
BOOKS = "GET /books/periods/last-closed"
TAXES = "POST /invoices/{id}/taxes"
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}


def counts(env):
    st, js, text, _ = common.req("GET", env.sim_url + "/_sim/requests")
    me = next((k for k in (js or {}).get("keys", []) if k["key_hint"].endswith(env.key[-4:])), {})
    bp = me.get("by_path") or {}
    return bp.get(BOOKS, 0), bp.get(TAXES, 0)


def unsettled(env, waiting=("held",)):
    """Invoices without a decision: pending, no reason yet, or a reason in `waiting`."""
    out, cursor = [], None
    while True:
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=100" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            return ["list: %s" % st]
        out += [d["id"] for d in js["data"] if d["tax_status"] == "pending" or d.get("reason") is None
                or d.get("reason") in waiting]
        cursor = js.get("next_cursor")
        if not cursor:
            return out


def waiting(env):
    """None while an invoice is still pending (being calculated); else the calculated invoices
    whose write-back waits (no reason yet, or held)."""
    out, cursor = [], None
    while True:
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=100" + ("&cursor=" + cursor if cursor else ""))
        if st != 200 or any(d["tax_status"] == "pending" for d in js["data"]):
            return None
        out += [d["id"] for d in js["data"] if d.get("reason") in (None, "held")]
        cursor = js.get("next_cursor")
        if not cursor:
            return out


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-booksburst-", BASE_PORT, invoices=150)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        # 1. write-backs pile up while Rillet cannot say which period is closed (held, retried)
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/books", {"fail": 500})
        check("simulator: the books read answers 500", st == 200, text[:300])
        env.connect(regions=("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-NJ", "US-FL", "US-CO", "US-PA",
                             "US-OH", "US-GA", "US-NC", "US-MI", "US-AZ", "US-TN", "US-MA"), events=EVENTS)
        held = common.wait_for(lambda: (lambda w: w if w and len(w) >= 15 else None)(waiting(env)), 300, 1) or []
        check("every invoice calculated, %d write-backs waiting for the books" % len(held), len(held) >= 15,
              waiting(env))
        # 2. levy restarts with all of them due at once, and the books readable (each read
        # answered after 1.5 s, so that the burst meets a read in flight however fast or slow
        # the machine is)
        common.stop(env.levy)
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/books", {"fail": 0})
        check("simulator: the books read answers again", st == 200, text[:300])
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/faults", {"latency_ms": 1500, "latency_path": "/books"})
        check("simulator: the books read answers after 1.5 s", st == 200, text[:300])
        c = env.db()
        with c:
            due = c.execute("UPDATE jobs SET run_at = ? WHERE kind = 'rillet.writeback' AND state = 'queued'",
                            (int(time.time() * 1000),)).rowcount
        c.close()
        check("%d write-backs due at the restart" % due, due >= len(held), (due, len(held)))
        common.req("DELETE", env.sim_url + "/_sim/requests")
        if not check("levy restarts", env.start_levy()):
            return
        ok = common.wait_for(lambda: not unsettled(env, ("held",)), 300, 1)
        check("the waiting write-backs settle after the restart", ok, unsettled(env, ("held",))[:10])
        notw = [i for i in held if (env.L("GET", "/v1/invoices/" + i)[1] or {}).get("tax_status") != "written"]
        check("every one of them is written", not notw, notw[:5])
        reads, writes = counts(env)
        print("  burst: %d tax writes, %d books reads" % (writes, reads), flush=True)
        check("a burst of write-backs (%d tax writes)" % writes, writes >= len(held), (writes, len(held)))
        check("one books read serves several writes: %d reads for %d writes (at most half)" % (reads, writes),
              reads >= 1 and 2 * reads <= writes, (reads, writes))
        common.req("DELETE", env.sim_url + "/_sim/faults")

        # 3. a close, then a burst of documents in and out of the closed period
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/books", {"close_through": "2026-06-30"})
        check("books closed through 2026-06-30", st == 200, text[:300])
        st, custs, _, _ = env.S("GET", "/customers?limit=100")
        ca = next((c for c in custs["customers"] if (c.get("address") or {}).get("state") == "CA"
                   and not c.get("shipping_address")), None)
        st, prods, _, _ = env.S("GET", "/products?limit=100")
        goods = next((p for p in prods["products"] if (p.get("external_references") or [{}])[0].get("id") == "goods"), None)
        if not check("a Californian customer and a goods product", ca and goods, ""):
            return
        made = []
        for i in range(12):
            date = "2026-05-%02d" % (i + 1) if i % 2 == 0 else "2026-07-%02d" % (i + 1)
            st, inv, text, _ = env.S("POST", "/invoices", {"customer_id": ca["id"], "invoice_date": date, "items": [
                {"description": "goods", "price": {"product_id": goods["id"], "quantity": 1,
                                                   "amount_per_unit": {"amount": "100.00", "currency": "USD"}}}]})
            if check("invoice dated %s created in Rillet" % date, st == 200, text[:300]):
                made.append((inv["id"], date))

        def decided():
            out = {}
            for iid, date in made:
                st, d, _, _ = env.L("GET", "/v1/invoices/" + iid)
                if st != 200 or d.get("tax_status") not in ("written", "calculated") or not d.get("reason"):
                    return None
                out[iid] = d
            return out
        got = common.wait_for(decided, 240, 0.5) or {}
        for iid, date in made:
            d = got.get(iid) or {}
            st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            writes_on = (td or {}).get("tax_writes", 0) if st == 200 else None
            if date <= "2026-06-30":
                check("dated %s (closed period): not written (closed_period), Rillet got no tax write" % date,
                      d.get("reason") == "closed_period" and writes_on == 0, (d.get("tax_status"), d.get("reason"),
                                                                               writes_on))
            else:
                st, si, _, _ = env.S("GET", "/invoices/" + iid)
                check("dated %s (open period): written, Rillet holds levy's tax" % date,
                      d.get("tax_status") == "written" and writes_on >= 1
                      and (si.get("taxed_amount") or {}).get("amount") == d.get("levy_tax"),
                      (d.get("tax_status"), d.get("reason"), d.get("levy_tax"), si.get("taxed_amount")))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
