"""Issue 22: N `levy serve` replicas on one throwaway PostgreSQL behind a round-robin proxy.

Shared by the replica tests (replicas_ha.py, replicas_generation.py): tests/pg/cluster.sh's cluster, the simulator,
N replicas sharing the database and the master key (LEVY_MASTER_KEY), each with its own
--replica-id and data dir, and a small round-robin HTTP proxy that is the one URL levy
publishes (--public-url): a replica that refuses the connection is skipped, as a load
balancer's health check would; one that dies mid-request answers 502 (not acknowledged).
With rig.active set to a replica id, the proxy sends everything to that replica instead (a
test that decides which replica runs what, the others stopped with SIGSTOP).
Ports BASE..BASE+9: BASE the cluster, BASE+1 the simulator, BASE+2.. the replicas, BASE+9
the proxy."""
import base64
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading

import common
from common import check, req, start, stop, kill9, tail, wait_for, levy_cmd  # noqa: F401


def psql_bin():
    return shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)


class Rig:
    def __init__(self, levy, src, base, n=2, invoices=4, levy_env=None):
        self.levy, self.src, self.base, self.n = levy, src, base, n
        self.cluster = os.path.join(src, "tests", "pg", "cluster.sh")
        self.tmp = tempfile.mkdtemp(prefix="levy-replicas-")
        self.cdir = os.path.join(self.tmp, "cluster")
        self.proxy_port = base + 9
        self.proxy_url = "http://127.0.0.1:%d" % self.proxy_port
        self.env = common.Env(levy, src, self.tmp, base + 1, self.proxy_port, invoices=invoices)
        self.key = base64.b64encode(os.urandom(32)).decode()
        self.levy_env = {"LEVY_SCHEDULE_TICK_S": "1", "LEVY_JOB_LEASE_MS": "3000",
                         # no request budget unless a test sets one: a burst's write-backs would
                         # wait for the next minute's window (correct, but a wait)
                         "LEVY_RILLET_RATE_LIMIT": "0"}
        self.levy_env.update(levy_env or {})
        self.reps = []
        self.proxy = None
        self.url = None
        self.served = {}
        self.active = None  # a replica id: the proxy forwards only to it
        self.lock = threading.Lock()

    # -- the database
    def start_cluster(self):
        self.url = subprocess.run(["sh", self.cluster, "start", self.cdir, str(self.base)], check=True,
                                  capture_output=True, text=True).stdout.strip()
        self.psql = psql_bin()
        return self.url

    def pause_cluster(self):
        """pg_ctl stop -m fast: connections end, the data stays."""
        subprocess.run(["sh", self.cluster, "pause", self.cdir], check=True, capture_output=True)

    def resume_cluster(self):
        subprocess.run(["sh", self.cluster, "start", self.cdir, str(self.base)], check=True,
                       capture_output=True)

    def sql(self, q):
        r = subprocess.run([self.psql, self.url, "-qAt", "-F", "\t", "-c", q], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql: %s: %s" % (q, r.stderr))
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    # -- the replicas
    def start_replica(self, i, extra_env=None):
        """Starts (or restarts) replica i (0-based) and waits for its /healthz."""
        rid = "r%d" % (i + 1)
        port = self.base + 2 + i
        log = os.path.join(self.tmp, rid + ".log")
        e = dict(self.levy_env, LEVY_DATABASE_URL=self.url, LEVY_MASTER_KEY=self.key)
        e.update(extra_env or {})
        p = start(levy_cmd(self.levy, port, os.path.join(self.tmp, rid), self.env.token, self.env.sim_url,
                           self.src, extra=["--replica-id", rid, "--public-url", self.proxy_url]),
                  log, e, keep_levy_env=False)
        r = {"id": rid, "port": port, "proc": p, "log": log, "dir": os.path.join(self.tmp, rid)}
        if i < len(self.reps):
            self.reps[i] = r
        else:
            self.reps.append(r)
        self.served.setdefault(rid, 0)
        up = wait_for(lambda: p.poll() is None and
                      req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[0] == 200, 60)
        check("replica %s serves on the shared database" % rid, up, tail(log))
        return up

    def restart_all(self, extra_env=None):
        for r in self.reps:
            stop(r["proc"])
        return all([self.start_replica(i, extra_env) for i in range(len(self.reps))])

    def rep(self, rid):
        """The replica dict of id rid (its current process after a restart)."""
        return next(r for r in self.reps if r["id"] == rid)

    def healthz(self, r):
        return req("GET", "http://127.0.0.1:%d/healthz" % r["port"], timeout=5)

    # -- the proxy
    def _handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        if self.active:
            try:
                st, hdrs, data = common.proxy_forward(h, self.rep(self.active)["port"], body)
            except OSError:
                common.proxy_reply(h, 502, [], b'{"error":{"code":"bad_gateway","message":"upstream"}}')
                return
            with self.lock:
                self.served[self.active] += 1
            common.proxy_reply(h, st, hdrs, data)
            return
        with self.lock:
            start_at = self.rr
            self.rr = (self.rr + 1) % len(self.reps)
        for k in range(len(self.reps)):
            r = self.reps[(start_at + k) % len(self.reps)]
            try:
                st, hdrs, data = common.proxy_forward(h, r["port"], body)
            except ConnectionRefusedError:
                continue  # a dead replica: the next one
            except OSError:
                common.proxy_reply(h, 502, [], b'{"error":{"code":"bad_gateway","message":"upstream died"}}')
                return
            with self.lock:
                self.served[r["id"]] += 1
            common.proxy_reply(h, st, hdrs, data)
            return
        common.proxy_reply(h, 503, [("Retry-After", "1")], b'{"error":{"code":"unavailable","message":"no replica"}}')

    def start(self, sim_config=None):
        """The cluster, the simulator (webhook retries shortened: a delivery a replica did not
        acknowledge is retried within a second or so, not after Rillet's minutes), N replicas,
        the proxy. Every step checked."""
        self.start_cluster()
        check("simulator up", self.env.start_sim())
        cfg = {"retry_attempt_ms": [300, 300], "retry_group_ms": [500, 500, 500, 500]}
        cfg.update(sim_config or {})
        st, _, text, _ = self.env.S("POST", "/_sim/config", cfg)
        check("simulator: short webhook retries", st == 200, text[:300])
        ok = all([self.start_replica(i) for i in range(self.n)])
        self.rr = 0
        self.proxy = common.serve_proxy(self.proxy_port, self._handle)
        return ok

    def connect(self):
        self.env.connect(events={"INVOICE": ["CREATED"]})
        check("the webhook URL levy published is the proxy's",
              self.env.webhook_url.startswith(self.proxy_url), self.env.webhook_url)

    def close(self):
        if self.proxy:
            self.proxy.shutdown()
        for r in self.reps:
            if r["proc"].poll() is None:
                os.kill(r["proc"].pid, signal.SIGCONT)  # one a test left stopped
            stop(r["proc"])
        stop(self.env.sim)
        if common.harness.failed:
            for r in self.reps:
                print("---- %s.log (tail) ----\n%s" % (r["id"], tail(r["log"], 3000)), flush=True)
        subprocess.run(["sh", self.cluster, "stop", self.cdir], capture_output=True)
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the simulator's side
    def new_invoices(self, count, label="burst", between=None):
        """count new invoices in the simulator (each delivered by its webhook through the
        proxy); between(i) runs after the i-th. Returns their ids."""
        env = self.env
        st, page, text, _ = env.S("GET", "/invoices?limit=1")
        lst = (page or {}).get("data") or (page or {}).get("invoices") or []
        if not check("a simulator invoice to copy", lst, text[:300]):
            return []
        st, tpl, text, _ = env.S("GET", "/invoices/" + lst[0]["id"])
        item = tpl["items"][0]
        ids = []
        for i in range(count):
            st, inv, text, _ = env.S("POST", "/invoices", {
                "customer_id": tpl["customer_id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
                "items": [{"description": "%s %d" % (label, i),
                           "price": {"product_id": item["product_id"], "quantity": 1,
                                     "amount_per_unit": {"amount": "%d.00" % (100 + i), "currency": "USD"}}}]})
            if st == 200 and inv:
                ids.append(inv["id"])
            else:
                check("simulator: invoice %d created" % i, False, "%s %s" % (st, text[:300]))
            if between:
                between(i)
        return ids

    def tax_detail(self, iid):
        st, td, _, _ = self.env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
        return td if st == 200 and td else {}

    def writes(self, iid):
        return self.tax_detail(iid).get("tax_writes", 0)

    def pipeline_idle(self):
        return self.sql("SELECT count(*) FROM jobs WHERE state IN ('queued','running') AND kind IN "
                        "('rillet.process_inbox','rillet.calculate','rillet.writeback')")[0][0] == "0"

    def check_exactly_once(self, ids, settle=240):
        """Every invoice's tax written (0 lost), then, the queue drained, written once (0
        twice); every delivery the simulator saw acknowledged is in the inbox once and
        processed; no job dead, no key queued twice."""
        done = wait_for(lambda: all(self.writes(i) >= 1 for i in ids), settle, 1)
        check("every invoice had its tax written (0 lost)", done, {i: self.writes(i) for i in ids})
        wait_for(self.pipeline_idle, 120, 0.5)
        w = {i: self.writes(i) for i in ids}
        check("no tax write applied twice (tax_writes == 1 for every invoice)",
              all(v == 1 for v in w.values()), w)
        st, dl, text, _ = self.env.S("GET", "/_sim/deliveries?limit=1000")
        rows = (dl or {}).get("deliveries") or []
        acked = sorted({d["id"] for d in rows if d.get("state") == "delivered"})
        check("the simulator's deliveries acknowledged 2xx (one per invoice at least)",
              len(acked) >= len(ids), [(d.get("id"), d.get("state")) for d in rows][:40])
        inbox = {r[0]: (int(r[1]), r[2]) for r in self.sql(
            "SELECT delivery_id, count(*), bool_and(processed_at IS NOT NULL) FROM inbox GROUP BY delivery_id")}
        lost = [a for a in acked if a not in inbox]
        twice = [k for k, v in inbox.items() if v[0] != 1]
        unprocessed = [a for a in acked if a in inbox and inbox[a][1] != "t"]
        check("every acknowledged delivery is in the inbox (0 lost)", not lost, lost)
        check("no delivery twice in the inbox", not twice, twice)
        check("every acknowledged delivery processed", not unprocessed, unprocessed)
        dead = self.sql("SELECT kind, key, state, last_error FROM jobs WHERE state NOT IN ('queued','running','done')")
        check("no job dead or failed", not dead, dead)
        dupq = self.sql("SELECT kind, key, count(*) FROM jobs WHERE state IN ('queued','running') "
                        "GROUP BY kind, key HAVING count(*) > 1")
        check("no job key queued twice", not dupq, dupq)
        return rows
