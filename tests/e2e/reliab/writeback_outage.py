#!/usr/bin/env python3
"""No write-back given up because Rillet was down (issue 20/18 reliability; reliab_give_up's
flake in a loaded CI: a fourth invoice, not one of the three it dates back, ended `failed`).

Usage: writeback_outage.py LEVY_BINARY SOURCE_DIR [BASE_PORT=41000] [OUTAGE_S=90]

A proxy in front of the simulator answers every `POST .../taxes` with 503 while reads pass
(the books period, customers, documents): a POST-only outage. Each successful read used to
close the key's circuit breaker, so the next POSTs' 503s were counted as write attempts of the
documents that made them (writeback.lua MAX_WRITE_ATTEMPTS), and a long enough outage gave up
on documents that were not old. Checks, over an outage of OUTAGE_S seconds with several
write-backs queued:
  * reads went through during the outage (the circuit-closing reads happened);
  * no invoice became `failed` and none says it gave up;
  * after the outage every queued write-back is written, exactly once at the simulator.
The outage's length is the scenario, not an assertion: on a slower machine fewer retries happen
in it, and the test can only pass more easily, never fail because of the machine.
"""
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 41000
OUTAGE_S = int(sys.argv[4]) if len(sys.argv) > 4 else 90
TAXES = re.compile(r"^/(invoices|credit-memos)/([^/?]+)/taxes")


class Proxy:
    """Forwards to the simulator; while `down`, POST .../taxes gets 503 without reaching it
    (counted per document), and the reads that pass meanwhile are counted."""

    def __init__(self, port, upstream_port):
        self.lock = threading.Lock()
        self.down = True
        self.refused = {}
        self.reads_while_down = 0
        proxy = self

        def handle_any(h):
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n) if n else None
            m = TAXES.match(h.path)
            with proxy.lock:
                down = proxy.down
                if down and h.command == "POST" and m:
                    proxy.refused[m.group(2)] = proxy.refused.get(m.group(2), 0) + 1
                elif down and h.command == "GET":
                    proxy.reads_while_down += 1
            if down and h.command == "POST" and m:
                status, rh, data = 503, [("Content-Type", "application/problem+json")], \
                    b'{"title":"Service Unavailable","status":503,"detail":"maintenance"}'
            else:
                status, rh, data = common.proxy_forward(h, upstream_port, body)
            common.proxy_reply(h, status, rh, data)

        self.srv = common.serve_proxy(port, handle_any)

    def refusals(self):
        with self.lock:
            return dict(self.refused)

    def set_down(self, down):
        with self.lock:
            self.down = down

    def close(self):
        self.srv.shutdown()


def main():
    proxy, env = common.proxied_env(LEVY, SRC, "levy-reliab-wboutage-", BASE_PORT, Proxy, invoices=16)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        regions, _ = common.us_regions(env)
        env.connect(regions=regions)
        db = "file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db")

        def pending_writebacks():
            ids = common.queued_writebacks(db)
            return ids if len(ids) >= 3 and sum(proxy.refusals().values()) >= 3 else None
        ids = common.wait_for(pending_writebacks, 60, 0.3)
        if not check("write-backs wait behind the POST-only outage (%d invoices, %d POSTs refused)"
                     % (len(ids or []), sum(proxy.refusals().values())), ids):
            return
        # the outage goes on; a failed invoice ends it early (that is the bug)
        end = time.monotonic() + OUTAGE_S
        failed = []
        while time.monotonic() < end and not failed:
            time.sleep(1)
            failed = common.invoices(env, "failed")
        ref = proxy.refusals()
        print("# outage: %d POSTs refused (%s per invoice), %d reads passed"
              % (sum(ref.values()), sorted(ref.values(), reverse=True)[:10], proxy.reads_while_down), flush=True)
        check("reads went through during the outage (%d)" % proxy.reads_while_down, proxy.reads_while_down > 0)
        check("no invoice failed during the outage (Rillet was down, not refusing them)", not failed,
              [(d["id"], d.get("last_error"), ref.get(d["id"])) for d in failed][:3])
        gave_up = [d["id"] for d in common.invoices(env) if "gave up" in (d.get("last_error") or "")]
        check("no invoice says it gave up", not gave_up, gave_up[:5])
        calculated = {d["id"] for d in common.invoices(env, "calculated")}
        check("the queued write-backs still wait (calculated)", set(ids) <= calculated,
              sorted(set(ids) - calculated)[:5])

        proxy.set_down(False)

        def all_written():
            s = {d["id"]: d["tax_status"] for d in common.invoices(env)}
            return s if all(s.get(i) == "written" for i in ids) else None
        done = common.wait_for(all_written, 180, 0.5)
        check("after the outage every queued write-back is written", done,
              [(i, s) for i, s in ({d["id"]: d["tax_status"] for d in common.invoices(env)}).items()
               if i in ids and s != "written"][:5])
        bad = [(i, w) for i, w in ((i, common.sim_tax_writes(env, i)) for i in ids) if w != 1]
        check("each of them applied exactly once at the simulator", not bad, bad[:5])
        check("levy and the simulator settle", common.wait_quiet(env),
              (common.levy_busy(env), common.sim_pending(env)))
        check("no invoice failed in the end", not common.invoices(env, "failed"),
              [(d["id"], d.get("last_error")) for d in common.invoices(env, "failed")][:3])
    except Exception:  # noqa: BLE001 -- a crash is a failure, with its traceback
        import traceback
        check("the test ran to its end", False, traceback.format_exc())
    finally:
        proxy.close()
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
