#!/usr/bin/env python3
"""R8 write-back exactly-once effect under SIGKILL (perf-anchors §5.3 R8).

Usage: writeback_kill.py LEVY_BINARY SOURCE_DIR [CYCLES=20] [BASE_PORT=19020]

levy talks to the simulator through a recording proxy owned by this test (levy's
--rillet-url points at it). Each cycle changes an invoice at the simulator (a line quantity),
sends the signed UPDATED webhook, and arms the proxy for the next POST .../taxes:
  * "after"  (most cycles): the proxy forwards the write, the simulator applies it and answers
    200, and the proxy holds that answer back; levy is SIGKILLed while it waits, i.e. between
    Rillet's 200 and levy's record of it, the window of R8;
  * "before": the proxy holds the request itself (never reaches Rillet) and levy is killed.
levy restarts; the write-back job retries. Checked per cycle:
  * every POST .../taxes of the cycle carried the same Idempotency-Key;
  * the simulator applied the write exactly once (its tax_writes counter went up by 1, the
    retry in an "after" cycle was answered as an idempotent replay);
  * levy ends with the document written and levy_tax equal to what the simulator holds.
"""
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
CYCLES = int(sys.argv[3]) if len(sys.argv) > 3 else 20
BASE_PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 19020
WINDOW_S = 61  # levy's rate-limit window for Rillet's 60 requests / 60 s (client.lua WINDOW_MS)
TAXES = re.compile(r"^/(invoices|credit-memos)/([^/?]+)/taxes")


class Proxy:
    def __init__(self, port, upstream_port):
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.log = []            # (path, idempotency key, status, replayed, mode)
        self.sent = []           # monotonic time of every request levy sent to "Rillet"
        self.armed = None        # "before" | "after" | None
        self.held = threading.Event()
        self.release = threading.Event()
        proxy = self

        def handle_any(h):
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n) if n else None
            with proxy.lock:
                proxy.sent.append(time.monotonic())
            m = TAXES.match(h.path) if h.command == "POST" else None
            mode = None
            if m:
                with proxy.lock:
                    mode, proxy.armed = proxy.armed, None
            if mode == "before":
                with proxy.lock:
                    proxy.log.append((h.path, h.headers.get("Idempotency-Key"), None, None, mode))
                proxy.held.set()
                proxy.release.wait(30)
                h.close_connection = True
                return
            status, rh, data = common.proxy_forward(h, proxy.upstream_port, body)
            if m:
                replayed = dict((k.lower(), v) for k, v in rh).get("idempotent-replayed") == "true"
                with proxy.lock:
                    proxy.log.append((h.path, h.headers.get("Idempotency-Key"), status, replayed, mode))
            if mode == "after":
                proxy.held.set()
                proxy.release.wait(30)
            common.proxy_reply(h, status, rh, data)

        self.srv = common.serve_proxy(port, handle_any)

    def arm(self, mode):
        with self.lock:
            self.held.clear()
            self.release.clear()
            self.armed = mode

    def close(self):
        self.release.set()
        self.srv.shutdown()


def tax_writes(env, inv_id):
    st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % inv_id)
    return td["tax_writes"] if st == 200 else None


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-wb-")
    sim_port = common.free_port(BASE_PORT)
    proxy_port = common.free_port(sim_port + 1)
    levy_port = common.free_port(proxy_port + 1)
    proxy = Proxy(proxy_port, sim_port)
    env = common.Env(LEVY, SRC, tmp, sim_port, levy_port, invoices=8,
                     rillet_url="http://127.0.0.1:%d" % proxy_port)
    t0 = time.time()
    rnd = random.Random(int(os.environ.get("RELIAB_SEED", "0")) or None)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        env.connect()
        # candidates: unpaid invoices of the subsidiary shipping to a subscribed US state
        st, js, _, _ = env.S("GET", "/invoices?limit=100&subsidiary_id=" + env.sub["id"])
        subscribed = {"CA", "NY", "TX", "WA", "IL", "FL", "CO"}
        cands = []
        for inv in js.get("invoices") or []:
            a = inv.get("shipping_address") or inv.get("customer_address") or {}
            if inv.get("status") in ("UNPAID", "DRAFT", None) and a.get("country") == "US" and a.get("state") in subscribed:
                cands.append(inv["id"])
        if not check("an unpaid invoice in a subscribed state exists", cands, js and [(i.get("status"), (i.get("shipping_address") or {}).get("state")) for i in js.get("invoices") or []]):
            return
        # let the import's own write-backs finish first
        def quiet(inv_id):
            s, d, _, _ = env.L("GET", "/v1/invoices/" + inv_id)
            return s == 200 and d["tax_status"] in ("written", "calculated", "not_collecting", "failed") and \
                (d["tax_status"] != "calculated" or d["levy_tax"] == d["rillet_taxed_amount"])
        common.wait_for(lambda: all(quiet(i) for i in cands), 60, 0.5)
        # keep the invoices that carry tax: one more unit must change the tax (a line that is
        # exempt in its state, e.g. SaaS in CA, gives 0.00 before and after and no write-back)
        def taxed(inv_id):
            s, d, _, _ = env.L("GET", "/v1/invoices/" + inv_id)
            return s == 200 and d["tax_status"] == "written" and d["levy_tax"] not in (None, "0", "0.00")
        cands = [i for i in cands if taxed(i)]
        if not check("an invoice with tax written back by the import exists", cands):
            return

        problems, modes = [], {"before": 0, "after": 0}
        replays = 0
        for cycle in range(CYCLES):
            inv_id = cands[cycle % len(cands)]
            st, inv, text, _ = env.S("GET", "/invoices/" + inv_id)
            if st != 200:
                problems.append((cycle, "sim get", st, text[:200]))
                break
            items = []
            for i, it in enumerate(inv["items"]):
                q = it["quantity"]
                if i == 0:  # one more unit on the first line: the tax changes every cycle
                    q = (q + 1) if isinstance(q, int) else str(int(float(q)) + 1)
                items.append({"id": it["id"], "description": it.get("description") or "item",
                              "price": {"product_id": it["product_id"], "quantity": q,
                                        "amount_per_unit": it["gross_rate"]}})
            st, upd, text, _ = env.S("PUT", "/invoices/" + inv_id, {"items": items, "invoice_date": inv["invoice_date"]})
            if st != 200:
                problems.append((cycle, "sim update", st, text[:300]))
                break
            before = tax_writes(env, inv_id)
            with proxy.lock:
                mark = len(proxy.log)
            mode = "after" if rnd.random() < 0.75 else "before"
            modes[mode] += 1
            proxy.arm(mode)
            st, js, text, _ = env.deliver(json.dumps(upd).encode(), str(uuid.uuid4()), "INVOICE", "UPDATED")
            if st != 200:
                problems.append((cycle, "deliver", st, text[:200]))
                break
            # Each cycle costs Rillet 2-3 requests (the write, its retry after the restart and, for
            # a replayed answer, the GET that verifies it) and the cycles come faster than Rillet's
            # 60 requests per rolling 60 s: after ~17 cycles levy's rate limiter (kept in the
            # store, so it survives kill -9, as Rillet's own count does) holds the write-back
            # until the oldest request leaves the window, at most 61 s. That wait is right;
            # anything longer (a backoff or a circuit after restarts) is a stall and fails here.
            if not proxy.held.wait(WINDOW_S + 30):
                s, d, _, _ = env.L("GET", "/v1/invoices/" + inv_id)
                problems.append((cycle, "no write-back reached the proxy within one rate-limit window + 30 s",
                                 d and (d.get("tax_status"), d.get("last_error")),
                                 common.tail(os.path.join(tmp, "levy.log"), 1500)))
                break
            env.kill_levy()
            proxy.release.set()
            if not env.start_levy():
                problems.append((cycle, "restart failed", common.tail(os.path.join(tmp, "levy.log"))))
                break

            def done():
                s, d, _, _ = env.L("GET", "/v1/invoices/" + inv_id)
                s2, si, _, _ = env.S("GET", "/invoices/" + inv_id)
                if s != 200 or s2 != 200:
                    return None
                if d["tax_status"] == "written" and d["levy_tax"] == si["taxed_amount"]["amount"] and \
                        d["rillet_taxed_amount"] == si["taxed_amount"]["amount"]:
                    return (d, si)
                return None
            res = common.wait_for(done, 60, 0.2)
            after = tax_writes(env, inv_id)
            with proxy.lock:
                mine = [e for e in proxy.log[mark:] if e[0].startswith("/invoices/%s/" % inv_id)]
            keys = set(e[1] for e in mine)
            applied = [e for e in mine if e[2] == 200 and not e[3]]
            replays += len([e for e in mine if e[3]])
            if not res:
                s, d, _, _ = env.L("GET", "/v1/invoices/" + inv_id)
                problems.append((cycle, mode, "not written after restart", d and (d["tax_status"], d["last_error"]), mine))
            elif len(keys) != 1 or None in keys:
                problems.append((cycle, mode, "Idempotency-Keys differ", mine))
            elif after != (before or 0) + 1 or len(applied) != 1:
                problems.append((cycle, mode, "applied %s times (tax_writes %s -> %s)" % (len(applied), before, after), mine))
            elif mode == "after" and len(mine) > 1 and not all(e[3] for e in mine[1:]):
                problems.append((cycle, mode, "retry after an applied write was not a replay", mine))
        print("cycles=%d modes=%s replays-seen=%d taxes-posts=%d elapsed=%.1fs" % (
            CYCLES, modes, replays, len(proxy.log), time.time() - t0), flush=True)
        check("%d kill cycles: same Idempotency-Key on every retry, the simulator applied each write exactly once, "
              "levy ends written" % CYCLES, not problems, problems[:3])
        with proxy.lock:
            sent = sorted(proxy.sent)
        busiest = max([sum(1 for u in sent[i:] if u - t < 60) for i, t in enumerate(sent)] or [0])
        check("levy never sent Rillet more than 60 requests in 60 s across the restarts (busiest: %d)" % busiest,
              busiest <= 60, busiest)
        check("the kill hit the window after Rillet's 200 and the retry was an idempotent replay (seen %d times)" % replays,
              replays > 0 or modes["after"] == 0, modes)
        env.kill_levy()
        c = env.db()
        try:
            inv = common.store_invariants(c)
        finally:
            c.close()
        check("store invariants after the last kill", not inv, inv)
    finally:
        env.close()
        proxy.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log")))
        if not os.environ.get("RELIAB_KEEP"): shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
