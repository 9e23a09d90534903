#!/usr/bin/env python3
"""Connection health: a failed import is not terminal (issue 17, "What was seen" 5).

The bug: when Rillet refused an import page with a 4xx other than 429 the import became
`failed` for good: there was no re-import, and the sweep skips connections whose import is
not `done`, so the connection stayed incomplete and unswept forever while showing `connected`.

Here Rillet answers the import's first request 400. The connection's `health` is
`import_failed` with the reason and the action POST …/import; that request resumes the
import, which finishes (`done`, every record counted once) and the health leaves
import_failed. Running it again on a finished import lists everything again without
doubling the counts.

Usage: health_import.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20440]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20440


def conn(env):
    st, c, _, _ = env.L("GET", "/v1/connections/" + env.cid)
    return c or {}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-import-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        info = env.S("GET", "/_sim/info")[1]
        st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                              "tax_documents_from": "2026-01-01"})
        if not check("connect", st == 201, text[:300]):
            return
        env.cid = con["id"]
        sub = next(s for s in con["subsidiaries"] if s["currency"] == "USD")
        st, con, text, _ = env.L("POST", "/v1/connections/%s/subsidiary" % env.cid, {"subsidiary_id": sub["id"]})
        st, hook, text, _ = env.S("POST", "/_sim/webhooks", {"name": "levy", "url": con["webhook_url"],
                                                              "events": {"CUSTOMER": ["DELETED"]}, "enabled": True})
        # Rillet refuses the import's first page with a 400 (not retryable)
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/faults", {"fail_next": 1, "status": 400})
        if not check("simulator fault: the next request -> 400", st == 200, text[:300]):
            return
        st, con, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid,
                                 {"signing_token": hook["signing_token"]})
        c = common.wait_for(lambda: (lambda x: x if x.get("import", {}).get("state") in ("failed", "done") else None)(
            conn(env)), 60, 0.3)
        if not check("the import fails on Rillet's 400", c and c["import"]["state"] == "failed", c and c.get("import")):
            return
        h = c.get("health") or {}
        check("health import_failed with the reason and the action retry_import (POST …/import)",
              h.get("state") == "import_failed" and "400" in (h.get("detail") or "") and h.get("sentence") and
              (h.get("action") or {}).get("code") == "retry_import" and
              (h.get("action") or {}).get("path") == "/v1/connections/%s/import" % env.cid, h)

        st, _, text, _ = env.L("POST", "/v1/connections/con_nope/import", {})
        check("POST import on an unknown connection -> 404", st == 404, (st, text[:200]))
        st, r, text, _ = env.L("POST", "/v1/connections/%s/import" % env.cid, {})
        check("POST import -> 202 queued, resume", st == 202 and r["status"] == "queued" and r["resume"] is True and
              r.get("job_id"), (st, text[:300]))
        c = common.wait_for(lambda: (lambda x: x if x.get("import", {}).get("state") in ("failed", "done") else None)(
            conn(env)), 90, 0.3)
        check("the import finishes: done", c and c["import"]["state"] == "done", c and c.get("import"))
        imp = c["import"]
        check("every record counted once (customers %s, invoices %s)" % (imp["customers"], imp["invoices"]),
              imp["customers"] == info["customers"] and imp["invoices"] >= 1 and not imp.get("error"), imp)
        check("health leaves import_failed", c["health"]["state"] != "import_failed", c["health"])
        st, docs, _, _ = env.L("GET", "/v1/invoices?limit=100")
        n_before = len(docs["data"])
        check("the subsidiary's invoices are in levy", n_before == imp["invoices"], (n_before, imp["invoices"]))

        # a refusal that passes (Rillet answers one request 401): key_invalid and status error,
        # then the next accepted request ends both (before, status error stayed for good)
        common.req("POST", env.sim_url + "/_sim/faults", {"fail_next": 1, "status": 401})
        env.L("POST", "/v1/connections/%s/sync" % env.cid, {})
        c = common.wait_for(lambda: (lambda x: x if x.get("health", {}).get("state") == "key_invalid" else None)(
            conn(env)), 60, 0.3)
        check("Rillet's 401 -> health key_invalid, status error", c and c["status"] == "error" and
              (c["health"].get("action") or {}).get("code") == "replace_api_key", c and (c["status"], c["health"]))
        env.L("POST", "/v1/connections/%s/sync" % env.cid, {})
        c = common.wait_for(lambda: (lambda x: x if x.get("status") == "connected" else None)(conn(env)), 60, 0.3)
        check("the next request Rillet accepts ends it: status connected, not key_invalid",
              c and c["health"]["state"] != "key_invalid" and not c.get("error"), c and (c["status"], c["health"]))

        # a finished import runs again from the start, counts are not doubled
        st, r, text, _ = env.L("POST", "/v1/connections/%s/import" % env.cid, {})
        check("POST import on a finished import -> 202, a fresh run", st == 202 and r["resume"] is False, text[:300])
        c = common.wait_for(lambda: (lambda x: x if x.get("import", {}).get("state") == "done" else None)(conn(env)),
                            90, 0.3)
        check("the re-run finishes with the same counts", c and c["import"]["customers"] == imp["customers"] and
              c["import"]["invoices"] == imp["invoices"], c and c.get("import"))
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
