"""levy on PostgreSQL (issue 22): a throwaway cluster (tests/pg/cluster.sh), two `levy serve`
processes on one database with the example plugin (tests/fixtures/plugins/example, whose
migrations/postgres/ twin is applied):
  - /healthz 200 naming the engine and each replica, levy_replica_info on /metrics;
  - a durable write + job through each process: every job runs exactly once (processed == 1,
    one attempt), whichever process claims it (FOR UPDATE SKIP LOCKED);
  - a running job whose lease ran out (a crashed runner) is claimed again and finished;
  - store.durable units (issue 21) commit on each process's own connection, into PostgreSQL
    (no writer thread, no SQLite file), once each, their jobs run once;
  - a third process without the master key, or with another one, refuses to start (non-zero exit, clear message);
  - /healthz 503 "unreachable" while PostgreSQL is stopped, 200 again after it restarts;
  - the URL's password never reaches a log;
  - the shipped plugins on their own database: PUT /v1/regions, POST /v1/calculate and
    `levy calc --database` reading that region (when plugins/api/migrations/postgres/ exists).
Usage: pg_store.py LEVY SRC BASE_PORT (ports BASE..BASE+9)."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check, run_main, req, start, stop, tail, wait_for  # noqa: E402


def main():
    levy, src, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-pg-")
    cdir = os.path.join(tmp, "cluster")
    procs = []
    try:
        url = subprocess.run(["sh", cluster, "start", cdir, str(base)], check=True,
                             capture_output=True, text=True).stdout.strip()
        check("cluster started", url.startswith("postgres://levy:"), url)
        password = open(os.path.join(cdir, "password")).read().strip()
        scripts = os.path.join(src, "scripts")
        plugins = os.path.join(src, "tests", "fixtures", "plugins")

        def serve(name, port, extra_env=None):
            d = os.path.join(tmp, name)
            os.makedirs(d, exist_ok=True)
            env = {"LEVY_DATABASE_URL": url, "LEVY_JOB_LEASE_MS": "2000"}
            env.update(extra_env or {})
            p = start([levy, "serve", "--data-dir", d, "--plugins", plugins, "--scripts", scripts,
                       "--listen", "127.0.0.1:%d" % port, "--replica-id", name],
                      os.path.join(tmp, name + ".log"), env=env, keep_levy_env=False)
            procs.append(p)
            return p, d

        def token(d):
            return open(os.path.join(d, "api-token")).read().strip()

        pa, da = serve("a", base + 1)
        ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/healthz" % (base + 1))[0] == 200, 60)
        check("levy a serves on PostgreSQL", ok, tail(os.path.join(tmp, "a.log")))
        st, body, _, _ = req("GET", "http://127.0.0.1:%d/healthz" % (base + 1))
        check("healthz names the engine and the replica",
              body and body.get("engine") == "postgres" and body.get("replica") == "a", body)
        # the same key for b (the fingerprint a recorded)
        key = open(os.path.join(da, "master.key")).read().strip()
        pb, db = serve("b", base + 2, {"LEVY_MASTER_KEY": key})
        ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/healthz" % (base + 2))[0] == 200, 60)
        check("levy b serves on the same database", ok, tail(os.path.join(tmp, "b.log")))
        st, _, text, _ = req("GET", "http://127.0.0.1:%d/metrics" % (base + 2),
                             headers={"Authorization": "Bearer " + token(db)})
        check("levy_replica_info on /metrics",
              'levy_replica_info{replica="b",engine="postgres"} 1' in text, text[:300])
        # issue 22: the store's round trips are counted where an operator looks
        trips = [l for l in (text or "").splitlines()
                 if l.startswith("levy_store_round_trips_total ")]
        check("levy_store_round_trips_total on /metrics, counting",
              len(trips) == 1 and int(float(trips[0].split()[1])) > 0, trips)

        # writes + jobs through both processes
        ids = []
        for i in range(30):
            port, d = (base + 1, da) if i % 2 == 0 else (base + 2, db)
            st, body, text, _ = req("POST", "http://127.0.0.1:%d/v1/example/things" % port,
                                    body={"name": "t%d" % i},
                                    headers={"Authorization": "Bearer " + token(d)})
            if st in (200, 201, 202) and body:
                ids.append(body.get("id"))
            else:
                check("POST /v1/example/things", False, "%s %s" % (st, text))
                break
        check("30 things written", len(ids) == 30, ids)

        def psql(sql):
            return subprocess.run(["psql", url, "-qAtX", "-c", sql], capture_output=True,
                                  text=True).stdout.strip()

        ok = wait_for(lambda: psql("SELECT count(*) FROM jobs WHERE kind='example.thing' AND "
                                   "state='done'") == "30", 90)
        check("every job done", ok, psql("SELECT state, count(*) FROM jobs GROUP BY state"))
        check("each thing processed exactly once",
              psql("SELECT count(*) FROM example_things WHERE processed <> 1") == "0",
              psql("SELECT id, processed FROM example_things WHERE processed <> 1"))
        check("each job ran once", psql("SELECT count(*) FROM jobs WHERE kind='example.thing' "
                                        "AND attempts <> 1") == "0",
              psql("SELECT id, attempts FROM jobs WHERE attempts <> 1"))
        by = psql("SELECT string_agg(DISTINCT claimed_by, ',' ORDER BY claimed_by) FROM jobs "
                  "WHERE kind='example.thing'")
        print("jobs claimed by: %s" % by, flush=True)

        # a crashed runner: a running job whose lease ran out is claimed again
        psql("INSERT INTO example_things(id, name, processed) VALUES ('crashed', 'c', 0)")
        now = int(time.time() * 1000)
        psql("INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, "
             "created_at, updated_at, lease_until, claimed_by) VALUES ('job_crashed', "
             "'example.thing', 'crashed', '{\"id\":\"crashed\"}', 'running', 1, 3, %d, %d, %d, "
             "%d, 'gone')" % (now, now, now, now - 1))
        ok = wait_for(lambda: psql("SELECT state || ' ' || attempts FROM jobs WHERE "
                                   "id='job_crashed'") == "done 2", 60)
        check("a job whose lease ran out is claimed again and done", ok,
              psql("SELECT state, attempts, claimed_by FROM jobs WHERE id='job_crashed'"))
        check("... and ran once more", psql("SELECT processed FROM example_things WHERE "
                                            "id='crashed'") == "1")

        # store.durable (issue 21) on PostgreSQL: the writer thread commits the units on its
        # own connection (issue 22), into PostgreSQL: each row and job there once, a repeated
        # id a no-op, and no SQLite file beside it
        for i in range(10):
            port, d = (base + 1, da) if i % 2 == 0 else (base + 2, db)
            for want in (201, 200):  # new, then a repeat (stop_if_none: nothing more)
                st, body, text, _ = req("POST", "http://127.0.0.1:%d/v1/example/durable-things"
                                        % port, body={"id": "dur%d" % i, "name": "d%d" % i},
                                        headers={"Authorization": "Bearer " + token(d)})
                if st != want or not body or body.get("new") != (want == 201):
                    check("POST /v1/example/durable-things dur%d answers %d" % (i, want), False,
                          "%s %s" % (st, text[:300]))
        check("store.durable rows are in PostgreSQL, once each",
              psql("SELECT count(*) FROM example_things WHERE id LIKE 'dur%'") == "10",
              psql("SELECT id FROM example_things WHERE id LIKE 'dur%'"))
        ok = wait_for(lambda: psql("SELECT count(*) FROM jobs WHERE kind='example.thing' AND "
                                   "key LIKE 'dur%' AND state='done' AND attempts=1") == "10", 90)
        check("... with one job each, run once", ok and psql(
            "SELECT count(*) FROM example_things WHERE id LIKE 'dur%' AND processed <> 1") == "0",
            psql("SELECT key, state, attempts FROM jobs WHERE key LIKE 'dur%'"))
        check("no SQLite store beside the PostgreSQL one",
              not any(os.path.exists(os.path.join(d, "levy.db")) for d in (da, db)),
              os.listdir(da))
        # (this asserted "no writer thread" in the log before issue 22 gave PostgreSQL one)
        def writer_units(port, d):
            st, _, text, _ = req("GET", "http://127.0.0.1:%d/metrics" % port,
                                 headers={"Authorization": "Bearer " + token(d)})
            got = [l for l in (text or "").splitlines() if l.startswith("levy_store_writer_units_total ")]
            return int(float(got[0].split()[1])) if got else -1
        units = (writer_units(base + 1, da), writer_units(base + 2, db))
        check("each process's writer thread committed its 10 store.durable units (new and repeat)",
              units == (10, 10), units)

        # no key, or another master key: refused
        def third(extra_env):
            dc = tempfile.mkdtemp(dir=tmp)
            e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
            e.update(extra_env)
            return subprocess.run([levy, "serve", "--data-dir", dc, "--plugins", plugins,
                                   "--scripts", scripts, "--listen", "127.0.0.1:%d" % (base + 3),
                                   "--database", url], capture_output=True, text=True,
                                  timeout=120, env=e)
        pc = third({})
        check("a replica without the master key refuses to start",
              pc.returncode != 0 and "master key missing" in pc.stderr
              and "records a master key" in pc.stderr, "%s %s" % (pc.returncode, pc.stderr[-600:]))
        pc2 = third({"LEVY_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()})
        check("a replica with another master key refuses to start",
              pc2.returncode != 0 and "master key does not match the PostgreSQL database"
              in pc2.stderr, "%s %s" % (pc2.returncode, pc2.stderr[-600:]))
        check("... without the password", password not in pc.stderr + pc.stdout + pc2.stderr
              + pc2.stdout)

        # PostgreSQL stopped: healthz 503; restarted: 200
        subprocess.run(["sh", cluster, "pause", cdir], check=True)
        ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/healthz" % (base + 1))[0] == 503,
                      60)
        st, body, _, hdr = req("GET", "http://127.0.0.1:%d/healthz" % (base + 1))
        check("healthz 503 while PostgreSQL is stopped", ok and body and
              body.get("store") == "unreachable", body)
        st, _, text, _ = req("GET", "http://127.0.0.1:%d/v1/example/things/%s" % (base + 1, ids[0]),
                             headers={"Authorization": "Bearer " + token(da)})
        check("a request that reads the store answers 503", st == 503, "%s %s" % (st, text))
        subprocess.run(["sh", cluster, "start", cdir, str(base)], check=True, capture_output=True)
        ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/healthz" % (base + 1))[0] == 200, 60)
        check("healthz 200 again after PostgreSQL restarts", ok)
        ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/v1/example/things/%s"
                                  % (base + 1, ids[0]),
                                  headers={"Authorization": "Bearer " + token(da)})[0] == 200, 60)
        check("requests succeed again", ok)
        # the shipped plugins on their own database: POST /v1/calculate (once every plugin
        # has its migrations/postgres/ twin, issue 22; PG_TREE=DIR: another tree with
        # plugins/ and scripts/)
        tree = os.environ.get("PG_TREE", src)
        names = ("a", "b")
        if os.path.isdir(os.path.join(tree, "plugins", "api", "migrations", "postgres")):
            psql("CREATE DATABASE levy_calc")
            url2 = url.rsplit("/", 1)[0] + "/levy_calc"
            d = os.path.join(tmp, "calc")
            os.makedirs(d)
            p = start([levy, "serve", "--data-dir", d, "--plugins", os.path.join(tree, "plugins"),
                       "--scripts", os.path.join(tree, "scripts"), "--listen",
                       "127.0.0.1:%d" % (base + 4), "--database", url2],
                      os.path.join(tmp, "calc.log"), keep_levy_env=False)
            procs.append(p)
            names = ("a", "b", "calc")
            ok = wait_for(lambda: req("GET", "http://127.0.0.1:%d/healthz" % (base + 4))[0] == 200,
                          60)
            check("levy serves the shipped plugins on PostgreSQL", ok,
                  tail(os.path.join(tmp, "calc.log")))
            auth = {"Authorization": "Bearer " + token(d)}
            st, body, text, _ = req("PUT", "http://127.0.0.1:%d/v1/regions/US-TX" % (base + 4),
                                    body={"subscribed": True, "tax_calculation": True},
                                    headers=auth)
            check("PUT /v1/regions/US-TX", st == 200, "%s %s" % (st, text[:300]))
            calc = {"currency": "USD", "date": "2025-12-15",
                    "ship_to": {"line1": "1 Congress Ave", "city": "Austin", "state": "TX",
                                "zip_code": "78701", "country": "US"},
                    "lines": [{"id": "1", "amount": "100.00", "quantity": "1",
                               "tax_code": "general"}]}
            st, body, text, _ = req("POST", "http://127.0.0.1:%d/v1/calculate" % (base + 4),
                                    body=calc, headers=auth)
            check("POST /v1/calculate on PostgreSQL", st == 200 and body
                  and body.get("total_tax") == "8.25", "%s %s" % (st, text[:400]))
            # levy calc reads the served store (the region subscribed above), read-only
            e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
            pc = subprocess.run([levy, "calc", "--data-dir", d, "--plugins",
                                 os.path.join(tree, "plugins"), "--scripts",
                                 os.path.join(tree, "scripts"), "--database", url2],
                                input=json.dumps(calc), capture_output=True, text=True,
                                timeout=120, env=e)
            out = json.loads(pc.stdout) if pc.stdout.strip().startswith("{") else {}
            check("levy calc --database reads the PostgreSQL store", pc.returncode == 0
                  and out.get("total_tax") == "8.25", "%s %s %s" % (pc.returncode,
                                                                    pc.stdout[:300],
                                                                    pc.stderr[-300:]))
        else:
            print("skip - /v1/calculate: plugins/api has no migrations/postgres/ yet", flush=True)
        for p in procs:
            stop(p)
        logs = "".join(tail(os.path.join(tmp, n + ".log"), 10 ** 7) for n in names)
        check("the password is never logged", password not in logs)
    finally:
        for p in procs:
            stop(p)
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True)
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
