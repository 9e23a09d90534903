"""Issue 22: hot reload is per replica -- generations across two replicas on one PostgreSQL.

On replica_rig.py: a throwaway cluster, the simulator, two `levy serve` replicas r1 and r2
sharing the database and the master key, each with its own data dir, and the rig's proxy that
is the one URL levy publishes, here forwarding to the replica the test makes active (the other one is
stopped with SIGSTOP at the time, so which replica runs a job is decided, not raced).
  - GET /admin/generation: both replicas serve one content (same hash, seq 1), each lists both;
  - r1 alone takes a newer Texas rate (`levy rates import` into its data dir, POST
    /admin/reload): its hash changes, seq 2; both replicas' GET /admin/generation show the
    mixed window (`mixed`, each replica's hash and seq);
  - r2 restarted on its older files mid-rollout keeps seq 1 (not "newer");
  - an Austin invoice, calculated by r1 (r2 stopped): Rillet holds the newer 8.5 % tax;
  - r1 stopped, r2 (still on the older generation) asked to recalculate the invoice: its
    calculation is recorded with its generation, its write-back recorded as superseded,
    nothing sent to Rillet (the simulator counts one tax write; the document keeps r1's tax);
  - the invoice changes while r1 is stopped: r2's calculation of it waits (nothing stored, nothing
    written) until r1, continued, calculates and writes the new content on the newer rate; while
    it waits the document's last_error says so, r2 logs one WARN line and counts one document in
    levy_documents_waiting_generation_total however often the job retries;
  - r2 reloads onto the same content: it gets seq 2 too (not a newer one), the window closes;
  - a replica stopped gracefully leaves the list.
No timing assertions: every wait polls a state.
Usage: replicas_generation.py LEVY SRC BASE_PORT (ports BASE..BASE+9)."""
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, stop, tail, wait_for  # noqa: E402
from replica_rig import Rig  # noqa: E402

OLD_ROW = "TX,78701,AUSTIN,0.082500,0.062500,0.000000,0.010000,0.010000,0"
NEW_ROW = "TX,78701,AUSTIN,0.085000,0.062500,0.000000,0.012500,0.010000,0"
AUSTIN = {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"}


class _Reps:
    """reps["r1"]: the rig's replica of that id (its current process after a restart)."""
    def __init__(self, rig):
        self.rig = rig

    def __getitem__(self, rid):
        return self.rig.rep(rid)

    def values(self):
        return list(self.rig.reps)


def main():
    levy, src, base = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    # the default schedule tick (a minute, as before this test moved onto the rig): no sweep
    # of its own in the middle of the generation steps
    rig = Rig(levy, src, base, n=2, invoices=4, levy_env={"LEVY_SCHEDULE_TICK_S": "60"})
    rig.active = "r1"  # the proxy forwards to the replica the test makes active
    env, tmp, sql, reps = rig.env, rig.tmp, rig.sql, _Reps(rig)
    try:
        if not rig.start():
            return common.summary()

        def sql_or_error(q):  # a check's query that may fail on a schema without the columns
            try:
                return sql(q)
            except RuntimeError as e:
                return [[str(e)[:300]]]

        def gen(rid):
            st, body, text, _ = req("GET", "http://127.0.0.1:%d/admin/generation" % reps[rid]["port"],
                                    headers={"Authorization": "Bearer " + env.token})
            return body if st == 200 and isinstance(body, dict) else {"status": st, "text": text[:300]}

        def listed(g):
            return {r.get("replica"): (r.get("hash"), r.get("seq")) for r in g.get("replicas") or []}

        g1, g2 = gen("r1"), gen("r2")
        check("GET /admin/generation: both replicas serve one content (same hash, seq 1)",
              g1.get("hash") and g1.get("hash") == g2.get("hash") and g1.get("seq") == 1 and g2.get("seq") == 1,
              (g1.get("hash"), g1.get("seq"), g2.get("hash"), g2.get("seq"), g1.get("status"), g1.get("text")))
        check("each replica lists both, not mixed",
              set(listed(g1)) == {"r1", "r2"} and set(listed(g2)) == {"r1", "r2"} and g1.get("mixed") is False,
              (listed(g1), listed(g2), g1.get("mixed")))
        # home20: the jobs that gave up are read from the shared store on PostgreSQL too (the
        # query's parameter and its timestamp column on this engine); none yet, no reload yet
        dj = g1.get("dead_jobs") or {}
        check("GET /admin/generation on PostgreSQL: dead_jobs read (none), last_reload null",
              dj.get("total") == 0 and dj.get("latest") == [] and "error" not in dj and g1.get("last_reload") is None,
              (dj, g1.get("last_reload")))
        old_hash = g1.get("hash")

        rig.connect()

        idle = rig.pipeline_idle
        check("the import's calculations and write-backs done", wait_for(idle, 180, 0.3))

        # r1 alone takes a newer Texas rate: a vintage imported into its data dir, reloaded
        shipped = os.path.join(src, "data/us/avalara-zip5-2025-12/TAXRATES_ZIP5_TX202512.csv")
        text = open(shipped).read()
        check("the shipped TX table has the Austin row", OLD_ROW in text)
        newer = os.path.join(tmp, "TAXRATES_ZIP5_TX202603.csv")
        with open(newer, "w") as f:
            f.write(text.replace(OLD_ROW, NEW_ROW))

        def import_into(rid):
            r = subprocess.run([levy, "rates", "import", newer, "--data-dir", reps[rid]["dir"]],
                               capture_output=True, text=True, timeout=120)
            return r.returncode == 0, r.stdout + r.stderr

        ok, out = import_into("r1")
        check("levy rates import into r1's data dir", ok, out)
        st, body, text, _ = req("POST", "http://127.0.0.1:%d/admin/reload" % reps["r1"]["port"], {},
                                {"Authorization": "Bearer " + env.token}, timeout=180)
        check("r1 reloads onto the newer rate", st == 200 and (body or {}).get("status") == "reloaded", text[:300])
        g1, g2 = gen("r1"), gen("r2")
        check("r1's content hash changes and is seq 2; r2 still serves seq 1",
              g1.get("hash") not in (None, old_hash) and g1.get("seq") == 2 and g2.get("hash") == old_hash
              and g2.get("seq") == 1, (g1.get("hash"), g1.get("seq"), g2.get("hash"), g2.get("seq")))
        check("r1's generation names the imported vintage",
              any(t.get("source") == "avalara-zip5" and t.get("vintage") == "2026-03" for t in g1.get("rates") or []),
              g1.get("rates"))

        def mixed_seen(rid):
            g = gen(rid)
            ls = listed(g)
            return g.get("mixed") is True and ls.get("r1") == (g1.get("hash"), 2) and ls.get("r2") == (old_hash, 1)
        check("both replicas show the mixed-generation window (each replica's hash and seq)",
              wait_for(lambda: mixed_seen("r1") and mixed_seen("r2"), 30, 0.3), (listed(gen("r1")), listed(gen("r2"))))

        # r2 restarted on its (older) files in the middle of the rollout, r1 live on the newer
        # content: r2 keeps seq 1, it does not become "newer"
        stop(reps["r2"]["proc"])
        rig.start_replica(1)
        g2 = gen("r2")
        check("r2 restarted mid-rollout on the older files keeps seq 1",
              g2.get("hash") == old_hash and g2.get("seq") == 1, (g2.get("hash"), g2.get("seq")))

        # an Austin customer and invoice, calculated by r1 alone
        st, cust, text, _ = env.S("POST", "/customers", {"name": "Austin Generation Co", "address": AUSTIN,
                                                         "shipping_address": AUSTIN})
        check("simulator: an Austin customer", st == 200 and cust, text[:300])
        st, page, text, _ = env.S("GET", "/invoices?limit=1")
        lst = (page or {}).get("data") or (page or {}).get("invoices") or []
        st, tpl, text, _ = env.S("GET", "/invoices/" + lst[0]["id"])
        item = tpl["items"][0]
        os.kill(reps["r2"]["proc"].pid, signal.SIGSTOP)
        rig.active = "r1"
        st, inv, text, _ = env.S("POST", "/invoices", {
            "customer_id": cust["id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
            "items": [{"description": "generation test",
                       "price": {"product_id": item["product_id"], "quantity": 1,
                                 "amount_per_unit": {"amount": "1000.00", "currency": "USD"}}}]})
        check("simulator: the Austin invoice", st == 200 and inv, text[:300])
        iid = inv["id"]

        def sim_tax():
            st, d, _, _ = env.S("GET", "/invoices/" + iid)
            ta = (d or {}).get("taxed_amount") or {}
            st2, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            return ta.get("amount") if isinstance(ta, dict) else ta, (td or {}).get("tax_writes", 0)
        check("r1 (newer generation) wrote 8.5 %: 85.00, one tax write",
              wait_for(lambda: sim_tax() == ("85.00", 1), 120, 0.3), sim_tax())
        calc1 = sql("SELECT c.id FROM invoices d JOIN calculations c ON c.id = d.calculation_id "
                    "WHERE d.id = '%s'" % iid)
        recorded = sql_or_error("SELECT generation_seq, generation_hash FROM calculations WHERE id = '%s'"
                                % (calc1[0][0] if calc1 else ""))
        check("the calculation records r1's generation (hash, seq 2)",
              recorded and recorded[0] == ["2", g1.get("hash")], recorded)

        # r2, still on the older generation, recalculates the document: recorded, never written
        os.kill(reps["r2"]["proc"].pid, signal.SIGCONT)
        os.kill(reps["r1"]["proc"].pid, signal.SIGSTOP)
        rig.active = "r2"
        st, body, text, _ = env.L("POST", "/v1/invoices/%s/recalculate" % iid, {})
        check("POST /v1/invoices/{id}/recalculate through r2", st == 202, text[:300])

        def superseded():
            return sql("SELECT w.calculation_id, c.total_tax FROM writebacks w JOIN calculations c "
                       "ON c.id = w.calculation_id WHERE w.doc_id = '%s' AND w.outcome = 'superseded'" % iid)

        def r2_done():  # r2's calculation stored and its job over (what it led to is checked below)
            return len(sql("SELECT id FROM calculations WHERE doc_id = '%s'" % iid)) >= 2 and idle()
        wait_for(lambda: superseded() or None, 60, 0.3)
        check("r2's calculation ran", wait_for(r2_done, 60, 0.3))
        got = superseded()
        seqs = sql_or_error("SELECT generation_seq FROM calculations WHERE id = '%s'" % (got[0][0] if got else ""))
        check("r2's calculation (generation seq 1, 82.50) recorded, its write-back superseded",
              got and got[0][1] == "82.50" and seqs == [["1"]],
              (got, seqs, sql("SELECT id, total_tax, created_ms FROM calculations WHERE doc_id = '%s'" % iid)))
        check("r2's queue drained (nothing left to write)", wait_for(idle, 60, 0.3))
        check("Rillet still holds the newer generation's tax, written once",
              sim_tax() == ("85.00", 1), sim_tax())
        doc = sql("SELECT d.calculation_id, d.levy_tax FROM invoices d WHERE d.id = '%s'" % iid)
        check("the document keeps r1's calculation (85.00)",
              doc and calc1 and doc[0][0] == calc1[0][0] and doc[0][1] == "85.00", doc)
        st, hist, text, _ = env.L("GET", "/v1/invoices/%s" % iid)
        entries = (hist or {}).get("history") or []
        check("the document's history says why (older generation, superseded)",
              any(e.get("outcome") == "superseded" and "older generation" in (e.get("message") or "") for e in entries),
              text[:600])

        # both running again: r1's queue drains, nothing more is written
        os.kill(reps["r1"]["proc"].pid, signal.SIGCONT)
        rig.active = "r1"
        check("both replicas settle", wait_for(idle, 60, 0.3))
        check("still one tax write of 85.00 after both replicas ran", sim_tax() == ("85.00", 1), sim_tax())
        written = sql("SELECT count(*) FROM writebacks WHERE doc_id = '%s' AND outcome = 'written'" % iid)
        check("one write-back row written for the document", written == [["1"]], written)

        # the document changes while r1 is stopped: r2 (older generation) must not decide it --
        # its calculation job waits, storing nothing, until a replica on the newer generation
        # (r1, continued) calculates and writes the new content
        os.kill(reps["r1"]["proc"].pid, signal.SIGSTOP)
        rig.active = "r2"
        st, cur, text, _ = env.S("GET", "/invoices/" + iid)
        it0 = cur["items"][0]
        st, _, text, _ = env.S("PUT", "/invoices/" + iid, {
            "invoice_date": cur["invoice_date"],
            "items": [{"id": it0["id"], "description": it0.get("description") or "item",
                       "price": {"product_id": it0["product_id"], "quantity": 1,
                                 "amount_per_unit": {"amount": "2000.00", "currency": "USD"}}}]})
        check("simulator: the invoice's amount changed to 2000.00", st == 200, text[:300])
        ncalc = len(sql("SELECT id FROM calculations WHERE doc_id = '%s'" % iid))
        st, _, text, _ = env.L("POST", "/v1/connections/%s/sync" % env.cid, {})
        check("POST /v1/connections/{id}/sync through r2", st == 202, text[:300])

        def waiting():
            r = sql("SELECT last_error FROM jobs WHERE kind = 'rillet.calculate' AND key = 'invoice:%s' "
                    "AND state = 'queued'" % iid)
            return r and "waiting for a replica on the newer generation" in (r[0][0] or "")
        check("r2's calculation of the changed document waits for the newer generation",
              wait_for(waiting, 90, 0.3),
              sql("SELECT kind, key, state, last_error FROM jobs WHERE state <> 'done'"))
        # visible while it waits (once per document, not per 5 s retry): the reason on the
        # document (API last_error, the Documents page), a WARN line, a counter in /metrics
        def run_at():
            r = sql("SELECT run_at FROM jobs WHERE kind = 'rillet.calculate' AND key = 'invoice:%s' "
                    "AND state = 'queued'" % iid)
            return int(r[0][0]) if r else None
        for n in (1, 2):
            ra = run_at()
            check("the waiting job is retried (%d)" % n,
                  wait_for(lambda: run_at() is not None and run_at() != ra, 90, 0.3), (ra, run_at()))
        st, d, text, _ = env.L("GET", "/v1/invoices/" + iid)
        check("the document's last_error says it waits for a replica on the newer rules",
              st == 200 and ((d or {}).get("last_error") or "").startswith("waiting for a replica on the newer rules")
              and "serves generation 1" in d["last_error"], text[:600])
        warns = [ln for ln in tail(reps["r2"]["log"], 200000).splitlines()
                 if "WARN" in ln and "waits for a replica on the newer rules" in ln]
        check("one WARN line for the document on r2, not one per retry", len(warns) == 1, warns)
        st, _, mtext, _ = env.L("GET", "/metrics")
        check("r2's /metrics counts one document waiting for the newer generation",
              "levy_documents_waiting_generation_total 1" in (mtext or ""),
              [ln for ln in (mtext or "").splitlines() if "waiting_generation" in ln])
        check("r2 stored no calculation of it, wrote nothing",
              len(sql("SELECT id FROM calculations WHERE doc_id = '%s'" % iid)) == ncalc and sim_tax()[1] == 1,
              (sql("SELECT id, total_tax FROM calculations WHERE doc_id = '%s'" % iid), sim_tax()))
        os.kill(reps["r2"]["proc"].pid, signal.SIGSTOP)
        os.kill(reps["r1"]["proc"].pid, signal.SIGCONT)
        rig.active = "r1"
        check("r1 (newer generation) calculates and writes the new content: 170.00, the second tax write",
              wait_for(lambda: sim_tax() == ("170.00", 2), 120, 0.3), sim_tax())
        os.kill(reps["r2"]["proc"].pid, signal.SIGCONT)
        check("both replicas settle again", wait_for(idle, 60, 0.3))
        st, d, text, _ = env.L("GET", "/v1/invoices/" + iid)
        check("the newer generation's calculation cleared the waiting reason",
              st == 200 and not (d or {}).get("last_error"), text[:600])
        check("still two tax writes after both ran", sim_tax() == ("170.00", 2), sim_tax())

        # r2 catches up: the same content keeps seq 2 (not a newer one), the window closes
        ok, out = import_into("r2")
        check("levy rates import into r2's data dir", ok, out)
        st, body, text, _ = req("POST", "http://127.0.0.1:%d/admin/reload" % reps["r2"]["port"], {},
                                {"Authorization": "Bearer " + env.token}, timeout=180)
        check("r2 reloads", st == 200 and (body or {}).get("status") == "reloaded", text[:300])
        g2 = gen("r2")
        check("r2 now serves r1's content at the same seq 2",
              g2.get("hash") == g1.get("hash") and g2.get("seq") == 2, (g2.get("hash"), g2.get("seq")))
        check("the mixed window closed", wait_for(lambda: gen("r1").get("mixed") is False, 30, 0.3),
              listed(gen("r1")))

        # a replica stopped gracefully leaves the list at once
        stop(reps["r2"]["proc"])
        check("a stopped replica leaves the list", set(listed(gen("r1"))) == {"r1"}, listed(gen("r1")))
    except Exception as e:  # noqa: BLE001
        check("no exception", False, "%r\n%s" % (e, "".join(tail(r["log"], 1500) for r in reps.values())))
    finally:
        rig.close()
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
