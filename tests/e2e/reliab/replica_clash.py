"""Issue 22: two live processes under one replica id on one PostgreSQL.

A replica's data dir copied from another carries its DATA_DIR/replica-id: on main the two
processes then heartbeat as one row and the second, at its start, requeued the first's running
jobs as its own previous life's. Now each process writes a nonce of its own life (and its
server session) into its heartbeat row:
  - replica A (default id, kept in its data dir) serves; a job is running under A's id;
  - B starts on a copy of A's data dir: it finds A's row written by a connected session,
    takes a new id (written to its replica-id file), says so at WARN, in GET /admin/generation
    (`replica_clash`) — and A's running job stays A's (not requeued);
  - both replicas are listed under their own ids; A reports no clash;
  - A killed (kill -9) and started again on its own data dir right away: its previous life is
    not a twin (its session is gone): same id, no clash, and its previous life's running job
    is requeued as before;
  - while A serves, another nonce written into its row between two of its beats (as a twin
    started at the same moment would): A takes a new id at its next beat — and a job A is
    running then (a sweep held up by the simulator's latency; A's lease 2 s) moves to A's new
    id with its lease: B, running beside it, never claims it again and it runs once (before,
    its claim stayed under the old id, no longer renewed, and B ran it a second time).
No timing assertions: every wait polls a state.
Usage: replica_clash.py LEVY SRC BASE_PORT (ports BASE..BASE+4)."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, start, stop, tail, wait_for, levy_cmd, kill9  # noqa: E402



def main():
    levy, src, base = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-clash-")
    cdir = os.path.join(tmp, "cluster")
    env = common.Env(levy, src, tmp, base + 1, base + 2, invoices=1)
    procs = []
    try:
        url = common.pg_cluster_start(cluster, cdir, base)

        def sql(q):
            return common.pg_rows(url, q)

        check("simulator up", env.start_sim())
        key = base64.b64encode(os.urandom(32)).decode()
        penv = {"LEVY_DATABASE_URL": url, "LEVY_MASTER_KEY": key, "LEVY_JOB_LEASE_MS": "600000"}

        def serve(name, port, d, extra=None):
            log = os.path.join(tmp, name + ".log")
            p = start(levy_cmd(levy, port, d, env.token, env.sim_url, src), log, dict(penv, **(extra or {})),
                      keep_levy_env=False)
            procs.append((name, p, log))
            up = wait_for(lambda: p.poll() is None and
                          req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[0] == 200, 90)
            check("%s serves on the shared database" % name, up, tail(log))
            return p, log

        def healthz(port):
            st, body, text, _ = req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=5)
            return body if isinstance(body, dict) else json.loads(text or "{}")

        def generation(port):
            st, body, text, _ = req("GET", "http://127.0.0.1:%d/admin/generation" % port,
                                    headers={"Authorization": "Bearer " + env.token}, timeout=5)
            return st, (body if isinstance(body, dict) else {}), text

        da, db = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        pa, loga = serve("A", base + 2, da)
        rid_a = healthz(base + 2).get("replica")
        with open(os.path.join(da, "replica-id")) as f:
            kept = f.read().strip()
        check("A's id is the one kept in its data dir", rid_a and rid_a.endswith(":" + kept), rid_a)
        # A's heartbeat row is written (the clash check reads it)
        check("A heartbeats", wait_for(lambda: sql("SELECT count(*) FROM replicas WHERE id = '%s'" % rid_a)
                                       == [["1"]], 30))

        def job(jid):
            sql("INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, "
                "updated_at, claimed_by, lease_until) VALUES ('%s', 'test.clash', NULL, '{}', 'running', 1, 5, 0, 0, 0, "
                "'%s', 9000000000000)" % (jid, rid_a))

        job("job_clash_a")  # a job A's runner holds (its lease far in the future)
        # the operator copies A's data dir to make a second replica
        shutil.copytree(da, db, ignore=shutil.ignore_patterns("*.lock", "lock"))
        pb, logb = serve("B", base + 3, db)
        rid_b = healthz(base + 3).get("replica")
        check("B, on a copy of A's data dir, does not serve under A's id", rid_b and rid_b != rid_a,
              "%s vs %s" % (rid_b, rid_a))
        with open(os.path.join(db, "replica-id")) as f:
            kept_b = f.read().strip()
        check("B's new id is kept in its own data dir", rid_b and kept_b != kept and rid_b.endswith(":" + kept_b),
              "%s / %s" % (kept_b, rid_b))
        with open(logb) as f:
            warn = [ln for ln in f if "another live levy process uses it" in ln]
        check("B says so at WARN, naming both ids", warn and "WARN" in warn[0].upper() and rid_a in warn[0]
              and rid_b in warn[0], "".join(warn) or tail(logb))
        st, g, text = generation(base + 3)
        clash = g.get("replica_clash") or {}
        check("GET /admin/generation on B: replica_clash names A's id and B's new one",
              st == 200 and clash.get("replica") == rid_a and clash.get("renamed_to") == rid_b
              and clash.get("detected_at"), text[:600])
        check("A's running job stays A's: B did not requeue it as its own previous life's",
              sql("SELECT state, claimed_by FROM jobs WHERE id = 'job_clash_a'") == [["running", rid_a]],
              sql("SELECT state, claimed_by FROM jobs WHERE id = 'job_clash_a'"))

        def listed(port):
            st, g, _ = generation(port)
            return st == 200 and sorted(r.get("replica") for r in g.get("replicas", [])) == sorted([rid_a, rid_b])
        check("A lists both replicas under their own ids", wait_for(lambda: listed(base + 2), 30),
              generation(base + 2)[2][:600])
        st, g, text = generation(base + 2)
        check("A reports no clash", st == 200 and g.get("replica_clash", "absent") is None, text[:400])
        check("B's metrics count the clash",
              "levy_replica_id_clashes_total 1" in (req("GET", "http://127.0.0.1:%d/metrics" % (base + 3),
                                                        headers={"Authorization": "Bearer " + env.token},
                                                        timeout=5)[2] or ""))

        # A dies and comes back at once: its previous life is not a twin
        kill9(pa)
        # A's new life holds its claims for 2 s at a time (renewed every half second by its
        # runner), so a claim it stops renewing runs out within the test
        pa2, loga2 = serve("A2", base + 2, da, {"LEVY_JOB_LEASE_MS": "2000"})
        check("A restarted after kill -9 keeps its id", healthz(base + 2).get("replica") == rid_a,
              healthz(base + 2))
        st, g, text = generation(base + 2)
        check("and reports no clash", st == 200 and g.get("replica_clash", "absent") is None, text[:400])
        check("and requeues its previous life's running job, as before",
              sql("SELECT state FROM jobs WHERE id = 'job_clash_a'") == [["queued"]],
              sql("SELECT state, claimed_by FROM jobs WHERE id = 'job_clash_a'"))
        with open(loga2) as f:
            check("no clash WARN after the restart", not any("another live levy process" in ln for ln in f))

        # a job A runs across its rename: connect (through A), then, with B stopped so that A
        # claims it, a sweep the simulator holds up (each Rillet request 20 s)
        env.connect()
        stop(pb)
        st, _, text, _ = env.S("POST", "/_sim/faults", {"latency_ms": 20000})
        check("the simulator holds requests up", st == 200, text)
        st, body, text, _ = env.L("POST", "/v1/connections/%s/sync" % env.cid)
        jid = (body or {}).get("job_id") if isinstance(body, dict) else None
        check("a sweep is queued", st in (200, 202) and jid, text)

        def job_row():
            r = sql("SELECT state, claimed_by, attempts, lease_until FROM jobs WHERE id = '%s'" % jid)
            return r[0] if r else None
        check("A runs the sweep", wait_for(lambda: (job_row() or [None])[0:2] == ["running", rid_a], 60),
              job_row())
        # B back, beside it: it claims any running job whose lease ran out
        pb2, _ = serve("B2", base + 3, db)
        check("B is back under its own id", healthz(base + 3).get("replica") == rid_b, healthz(base + 3))

        # while serving: another process writes A's heartbeat row (here: psql, as a twin would)
        # between two of A's beats -> A takes a new id at its next beat
        check("A has beaten since its restart", wait_for(
            lambda: sql("SELECT count(*) FROM replicas WHERE id = '%s' AND session IS NOT NULL" % rid_a)
            == [["1"]], 30))
        sql("UPDATE replicas SET nonce = 'another-process' WHERE id = '%s'" % rid_a)
        check("A, finding another nonce in its row at its next beat, takes a new id",
              wait_for(lambda: healthz(base + 2).get("replica") not in (None, rid_a), 30), healthz(base + 2))
        rid_a3 = healthz(base + 2).get("replica")
        # the sweep's claim leaves the old id: moved to A's new one, or (before) claimed again
        # once its lease ran out, by B or by A
        check("the running sweep's claim leaves A's old id",
              wait_for(lambda: (job_row() or [None, rid_a])[1] != rid_a, 60), job_row())
        moved = job_row()
        check("it moved to A's new id, still running, never claimed again",
              moved and moved[0:3] == ["running", rid_a3, "1"], moved)
        # ... and A renews it under the new id (its lease moves on), still once
        check("A renews its lease under the new id", wait_for(
            lambda: (job_row() or [None] * 4)[3] not in (None, moved[3] if moved else None), 30), job_row())
        check("still claimed once, by A's new id", (job_row() or [None] * 3)[1:3] == [rid_a3, "1"], job_row())
        env.S("POST", "/_sim/faults", {"latency_ms": 0})
        check("the sweep ends, run once", wait_for(lambda: (job_row() or [None])[0] in ("done", "dead"), 120)
              and job_row()[0] == "done" and job_row()[2] == "1", job_row())
        st, g, text = generation(base + 2)
        check("and GET /admin/generation says so", (g.get("replica_clash") or {}).get("replica") == rid_a,
              text[:400])
    finally:
        for _, p, _ in procs:
            stop(p)
        env.close()
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True, timeout=120)
        if common.failed:
            for name, _, log in procs:
                print("--- %s log" % name)
                print(tail(log, 4000))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    sys.exit(common.summary())
