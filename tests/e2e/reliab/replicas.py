"""Issue 22: several `levy serve` replicas on one PostgreSQL database behind one URL.

A throwaway cluster (tests/pg/cluster.sh), the simulator, N replicas (default 2) sharing the
database and the master key (LEVY_MASTER_KEY), each with its own --replica-id and data dir,
and a small round-robin HTTP proxy in this script that is the one URL levy publishes
(--public-url): the API, the connect flow and every webhook go through it (a replica that
refuses the connection is skipped, as a load balancer's health check would).
  - GET /healthz of each replica names its replica id;
  - the connect flow through the proxy (the simulator's webhook points at the proxy);
  - a burst of new invoices in the simulator, each delivered by the simulator's webhook
    through the proxy; `kill -9` of one replica in the middle of the burst;
  - every delivery acknowledged 2xx is in the inbox exactly once and processed;
  - every burst invoice gets its tax written exactly once (the simulator's tax_writes is 1:
    0 lost, 0 applied twice); no job dead, no job key queued twice;
  - the scheduled sweep runs on one replica per tick (one job per tick key in the jobs table).
No timing assertions: every wait polls a state.
REPLICAS_DEBUG=1 prints the unfinished jobs while the burst settles.
Usage: replicas.py LEVY SRC BASE_PORT [REPLICAS=2] (ports BASE..BASE+9)."""
import base64
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, start, stop, kill9, tail, wait_for, levy_cmd  # noqa: E402

BURST = 24


def psql_bin():
    return shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)


def main():
    levy, src, base = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-replicas-")
    cdir = os.path.join(tmp, "cluster")
    proxy_port = base + 9
    env = common.Env(levy, src, tmp, base + 1, proxy_port, invoices=4)
    reps = []
    proxy = None
    try:
        url = subprocess.run(["sh", cluster, "start", cdir, str(base)], check=True,
                             capture_output=True, text=True).stdout.strip()
        psql = psql_bin()

        def sql(q):
            r = subprocess.run([psql, url, "-qAt", "-F", "\t", "-c", q], capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError("psql: %s: %s" % (q, r.stderr))
            return [line.split("\t") for line in r.stdout.splitlines() if line]

        check("simulator up", env.start_sim())
        # a delivery a dying replica did not acknowledge is retried within a second, not after
        # Rillet's minutes (the test waits for states, this only shortens the wait)
        st, _, text, _ = env.S("POST", "/_sim/config", {"retry_attempt_ms": [300, 300],
                                                        "retry_group_ms": [500, 500, 500, 500]})
        check("simulator: short webhook retries", st == 200, text[:300])
        key = base64.b64encode(os.urandom(32)).decode()
        proxy_url = "http://127.0.0.1:%d" % proxy_port
        for i in range(n):
            rid = "r%d" % (i + 1)
            port = base + 2 + i
            d = os.path.join(tmp, rid)
            p = start(levy_cmd(levy, port, d, env.token, env.sim_url, src,
                               extra=["--replica-id", rid, "--public-url", proxy_url]),
                      os.path.join(tmp, rid + ".log"),
                      {"LEVY_DATABASE_URL": url, "LEVY_MASTER_KEY": key, "LEVY_SCHEDULE_TICK_S": "1",
                       # no request budget: the burst's write-backs would wait for the next
                       # minute's window (correct, but a wait)
                       "LEVY_RILLET_RATE_LIMIT": "0", "LEVY_JOB_LEASE_MS": "3000"}, keep_levy_env=False)
            reps.append({"id": rid, "port": port, "proc": p, "log": os.path.join(tmp, rid + ".log")})
            up = wait_for(lambda: p.poll() is None and
                          req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[0] == 200, 60)
            check("replica %s serves on the shared database" % rid, up, tail(reps[-1]["log"]))
        for r in reps:
            st, body, _, _ = req("GET", "http://127.0.0.1:%d/healthz" % r["port"])
            check("GET /healthz of %s names its replica id" % r["id"],
                  st == 200 and body and body.get("replica") == r["id"] and body.get("engine") == "postgres", body)

        # the round-robin proxy: the one URL
        rr = {"next": 0}
        lock = threading.Lock()
        served = {r["id"]: 0 for r in reps}

        def handle(h):
            length = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(length) if length else None
            with lock:
                start_at = rr["next"]
                rr["next"] = (rr["next"] + 1) % len(reps)
            for k in range(len(reps)):
                r = reps[(start_at + k) % len(reps)]
                try:
                    st, hdrs, data = common.proxy_forward(h, r["port"], body)
                except ConnectionRefusedError:
                    continue  # a dead replica: the next one
                except OSError:
                    # the replica died mid-request: the client sees 502 (not acknowledged)
                    common.proxy_reply(h, 502, [], b'{"error":{"code":"bad_gateway","message":"upstream died"}}')
                    return
                with lock:
                    served[r["id"]] += 1
                common.proxy_reply(h, st, hdrs, data)
                return
            common.proxy_reply(h, 503, [("Retry-After", "1")], b'{"error":{"code":"unavailable","message":"no replica"}}')
        proxy = common.serve_proxy(proxy_port, handle)

        env.connect(events={"INVOICE": ["CREATED"]})
        check("the connect flow went through the proxy to every replica",
              all(v > 0 for v in served.values()), served)
        check("the webhook URL levy published is the proxy's",
              env.webhook_url.startswith(proxy_url), env.webhook_url)

        # the burst: new invoices in the simulator, each delivered by its webhook via the proxy
        st, page, text, _ = env.S("GET", "/invoices?limit=1")
        lst = (page or {}).get("data") or (page or {}).get("invoices") or []
        if not check("a simulator invoice to copy", lst, text[:300]):
            return common.summary()
        st, tpl, text, _ = env.S("GET", "/invoices/" + lst[0]["id"])
        item = tpl["items"][0]
        ids = []
        for i in range(BURST):
            st, inv, text, _ = env.S("POST", "/invoices", {
                "customer_id": tpl["customer_id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
                "items": [{"description": "burst %d" % i,
                           "price": {"product_id": item["product_id"], "quantity": 1,
                                     "amount_per_unit": {"amount": "%d.00" % (100 + i), "currency": "USD"}}}]})
            if st == 200 and inv:
                ids.append(inv["id"])
            if i == BURST // 2:
                kill9(reps[0]["proc"])
        check("burst invoices created in the simulator", len(ids) == BURST, text[:300])
        check("replica %s killed (-9) in the middle of the burst" % reps[0]["id"],
              wait_for(lambda: reps[0]["proc"].poll() is not None, 10))

        def writes(iid):
            st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            return td.get("tax_writes", 0) if st == 200 and td else 0
        def dbg():
            if os.environ.get("REPLICAS_DEBUG"):
                print(sql("SELECT kind, state, attempts, last_error FROM jobs WHERE state <> 'done' ORDER BY kind"),
                      flush=True)
            return all(writes(i) >= 1 for i in ids)
        done = wait_for(dbg, 240, 2)
        w = {i: writes(i) for i in ids}
        check("every burst invoice had its tax written (0 lost)", done, w)
        # let any stray duplicate surface: the queue drains first
        wait_for(lambda: sql("SELECT count(*) FROM jobs WHERE state IN ('queued','running') "
                             "AND kind IN ('rillet.process_inbox','rillet.calculate','rillet.writeback')")[0][0] == "0",
                 120, 0.5)
        w = {i: writes(i) for i in ids}
        check("no tax write applied twice (tax_writes == 1 for every burst invoice)",
              all(v == 1 for v in w.values()), w)

        # acknowledged deliveries: in the inbox exactly once, processed
        st, dl, text, _ = env.S("GET", "/_sim/deliveries?limit=1000")
        rows = (dl or {}).get("deliveries") or []
        acked_ids = sorted({d["id"] for d in rows if d.get("state") == "delivered"})
        check("the simulator's deliveries acknowledged 2xx (one per burst invoice at least)",
              len(acked_ids) >= BURST, [(d.get("id"), d.get("state")) for d in rows][:40])
        inbox = {r[0]: (int(r[1]), r[2]) for r in sql(
            "SELECT delivery_id, count(*), bool_and(processed_at IS NOT NULL) FROM inbox GROUP BY delivery_id")}
        lost = [a for a in acked_ids if a not in inbox]
        twice = [k for k, v in inbox.items() if v[0] != 1]
        unprocessed = [a for a in acked_ids if a in inbox and inbox[a][1] != "t"]
        check("every acknowledged delivery is in the inbox (0 lost)", not lost, lost)
        check("no delivery twice in the inbox", not twice, twice)
        check("every acknowledged delivery processed", not unprocessed, unprocessed)
        dead = sql("SELECT kind, key, state FROM jobs WHERE state NOT IN ('queued','running','done')")
        check("no job dead or failed", not dead, dead)
        dupq = sql("SELECT kind, key, count(*) FROM jobs WHERE state IN ('queued','running') "
                   "GROUP BY kind, key HAVING count(*) > 1")
        check("no job key queued twice", not dupq, dupq)

        # scheduled work: every replica's schedule ticks each second and enqueues the sweep of a
        # connection whose interval has passed (last_sync_ms); the interval is made to pass by
        # moving last_sync_ms back, ROUNDS times: each time exactly one sweep runs, on one replica
        def sweeps():
            return int(sql("SELECT count(*) FROM jobs WHERE kind = 'rillet.sweep' AND state = 'done'")[0][0])

        def idle():
            return sql("SELECT count(*) FROM jobs WHERE kind = 'rillet.sweep' AND state IN ('queued','running')")[0][0] == "0"
        def rillet_requests():
            st, rq, _, _ = env.S("GET", "/_sim/requests")
            return sum(k.get("requests", 0) for k in (rq or {}).get("keys", []))
        rounds, got = 3, []
        for k in range(rounds):
            wait_for(idle, 120, 0.3)
            before = sweeps()
            req0 = rillet_requests()
            sql("UPDATE connections SET last_sync_ms = 0 WHERE id = '%s'" % env.cid)
            ran = wait_for(lambda: int(sql("SELECT last_sync_ms FROM connections WHERE id = '%s'" % env.cid)[0][0] or 0) > 0
                           and idle(), 120, 0.3)
            # a later tick that still saw the old last_sync_ms would queue a second sweep: let the
            # live replicas tick a few more times (polled on the schedule, not a sleep)
            wait_for(lambda: False, 3, 0.5)
            wait_for(idle, 120, 0.3)
            got.append((bool(ran), sweeps() - before, rillet_requests() - req0))
        check("the scheduled sweep ran once per interval across the replicas (%d intervals)" % rounds,
              all(r and d == 1 for r, d, _ in got), got)
        # a sweep longer than the schedule's tick (each Rillet request slowed to 1.5 s): the
        # ticks that fall while it runs queue a successor, which must not sweep the interval
        # again (it did: twice the Rillet requests of one sweep)
        st, _, text, _ = env.S("POST", "/_sim/faults", {"latency_ms": 1500})
        check("simulator: slow requests", st == 200, text[:200])
        wait_for(idle, 120, 0.3)
        req0 = rillet_requests()
        sql("UPDATE connections SET last_sync_ms = 0 WHERE id = '%s'" % env.cid)
        ran = wait_for(lambda: int(sql("SELECT last_sync_ms FROM connections WHERE id = '%s'" % env.cid)[0][0] or 0) > 0
                       and idle(), 180, 0.3)
        slow = rillet_requests() - req0
        env.S("DELETE", "/_sim/faults")
        one = got[-1][2]
        check("a sweep longer than the tick swept once (Rillet requests %d, one sweep %d)" % (slow, one),
              ran and 0 < slow <= one,
              sql("SELECT state, attempts, created_at, updated_at FROM jobs WHERE kind = 'rillet.sweep' "
                  "ORDER BY created_at DESC LIMIT 4"))
    except Exception as e:  # noqa: BLE001
        check("no exception", False, "%r\n%s" % (e, "".join(tail(r["log"], 1500) for r in reps)))
    finally:
        if proxy:
            proxy.shutdown()
        for r in reps:
            stop(r["proc"])
        stop(env.sim)
        if common.harness.failed:
            for r in reps:
                print("---- %s.log (tail) ----\n%s" % (r["id"], tail(r["log"], 3000)), flush=True)
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True)
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
