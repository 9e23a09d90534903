#!/usr/bin/env python3
"""Issue 22: `levy rotate-master-key` on a PostgreSQL store shared by two replicas.

A throwaway cluster (tests/pg/cluster.sh), the simulator, replicas a and b on one database,
each with its own data dir holding the same master.key (no LEVY_MASTER_KEY):
  1. connect through a (the Rillet API key and the webhook signing token sealed in
     rillet's connections table);
  2. rotate with a serving its data dir -> refused ("stop every replica"), nothing changed;
  3. a stopped, b still serving -> refused, nothing changed; b's URL sets its own
     application_name ("other"), which hides it from pg_stat_activity's application_name=levy,
     so the refusal comes from b's heartbeat row in the replicas table and names replica b;
  3b. a wrong current key in a's data dir -> refused (the database's fingerprint), nothing changed;
  3c. a sealed value that does not open -> refused naming its row, nothing changed (rolled back);
  3d. killed before its commit (LEVY_TEST_ROTATE_CRASH=before_commit) -> the database unchanged;
  4. both stopped -> exit 0, both sealed values re-sealed (their text changed), meta's key
     fingerprint replaced, master.key.prev kept;
  5. b with the old key refuses to start (fingerprint); with the new key copied it starts;
  6. the re-sealed secrets work: a new invoice in the simulator, delivered by its signed
     webhook to a, gets its tax written once (the API key opened);
  7. a rotation interrupted after its commit (LEVY_TEST_ROTATE_CRASH=after_commit) leaves
     master.key.new; the next start of a completes it (renamed, logged) and serves.
Issue 18 (the secrets must survive every interruption; "a and b serve" below means both start
and a new invoice's signed webhook gets its tax written once, so both secrets open):
  8. a COMMIT reported failed although the server committed (LEVY_TEST_ROTATE_CRASH=
     commit_lost): master.key.new kept, the next start of a renames it; a and b serve;
  9. the same, then another rotation: it settles that one first, then rotates from it;
 10. killed after its commit, then another rotation: the same; a and b serve;
 11. killed before its commit, then another rotation: the uncommitted key removed first;
 12. killed after its commit, then a rotation killed before its own: the next start keeps
     the first one's key, removes the second's; a and b serve;
 13. LEVY_MASTER_KEY mode, a COMMIT reported failed: the new key still printed; the old one
     refused at start (the database's fingerprint); a and b serve with the printed one.
No timing assertions: every wait polls a state.
Usage: pg_rotate.py LEVY SRC BASE_PORT (ports BASE..BASE+19)."""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, start, stop, tail, wait_for, levy_cmd  # noqa: E402



def main():
    levy, src, base = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-pgrotate-")
    cdir = os.path.join(tmp, "cluster")
    env = common.Env(levy, src, tmp, base + 1, base + 2, invoices=2)
    reps = {}
    try:
        url = common.pg_cluster_start(cluster, cdir, base)

        def sql(q):
            return common.pg_rows(url, q)

        def launch(rid, expect_up=True, extra_env=None):
            port = base + 2 + (0 if rid == "a" else 1)
            d = os.path.join(tmp, rid)
            log = os.path.join(tmp, rid + ".log")
            # b names itself to PostgreSQL as "other": the rotation must still see it
            rurl = url + ("&" if "?" in url else "?") + "application_name=other" if rid == "b" else url
            p = start(levy_cmd(levy, port, d, env.token, env.sim_url, src, extra=["--replica-id", rid]), log,
                      dict({"LEVY_DATABASE_URL": rurl}, **(extra_env or {})), keep_levy_env=False)
            reps[rid] = {"port": port, "proc": p, "log": log, "dir": d}
            if not expect_up:
                return wait_for(lambda: p.poll() is not None, 60)
            return wait_for(lambda: p.poll() is None and
                            req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[0] == 200, 60)

        def rotate(extra_env=None, args=()):
            e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
            e.update({"LEVY_DATABASE_URL": url}, **(extra_env or {}))
            return subprocess.run([levy, "rotate-master-key", "--data-dir", os.path.join(tmp, "a"),
                                   "--plugins", os.path.join(src, "plugins")] + list(args),
                                  capture_output=True, text=True, timeout=120, env=e)

        def sealed():
            return sql("SELECT api_key_sealed, signing_token_sealed FROM connections ORDER BY id")

        def fingerprint():
            return sql("SELECT value FROM meta WHERE key = 'master_key_fingerprint'")

        check("simulator up", env.start_sim())
        if not check("replica a serves on the database", launch("a"), tail(os.path.join(tmp, "a.log"))):
            return
        os.makedirs(os.path.join(tmp, "b"), mode=0o700)
        shutil.copy(os.path.join(tmp, "a", "master.key"), os.path.join(tmp, "b", "master.key"))
        os.chmod(os.path.join(tmp, "b", "master.key"), 0o600)
        if not check("replica b serves with the same key file", launch("b"), tail(os.path.join(tmp, "b.log"))):
            return
        env.connect(events={"INVOICE": ["CREATED"]})  # through a: the webhook URL is a's
        before, fp0 = sealed(), fingerprint()
        check("the connection's secrets are sealed in the database", before and all(v for v in before[0]), before)

        # 2. a serving its data dir
        r = rotate()
        check("rotate while a serves its data dir: refused", r.returncode == 1 and "stop every replica" in r.stderr,
              (r.returncode, r.stdout, r.stderr))
        # 3. b still connected
        stop(reps["a"]["proc"])
        r = rotate()
        check("b connects as application_name=other",
              sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'other'")[0][0] != "0")
        check("rotate while b serves the database under application_name=other: refused, naming replica b "
              "from its heartbeat row", r.returncode == 1 and "replica b (last seen" in r.stderr,
              (r.returncode, r.stdout, r.stderr))
        check("nothing changed by the refusals", sealed() == before and fingerprint() == fp0)
        # 4. all stopped
        stop(reps["b"]["proc"])
        old_key = open(os.path.join(tmp, "a", "master.key")).read()
        keyp = os.path.join(tmp, "a", "master.key")
        # 3b. a wrong current key: refused by the database's fingerprint, nothing changed
        with open(keyp, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        r = rotate()
        check("rotate with a wrong current key: refused (the database records another key's "
              "fingerprint), nothing changed",
              r.returncode == 1 and "rotate with that key" in r.stderr and sealed() == before
              and fingerprint() == fp0 and not os.path.exists(keyp + ".new")
              and not os.path.exists(keyp + ".prev"), (r.returncode, r.stdout, r.stderr))
        with open(keyp, "w") as f:
            f.write(old_key)
        # 3c. a sealed value that does not open: the transaction rolls back, nothing changed
        cid = sql("SELECT id FROM connections ORDER BY id")[0][0]
        raw = bytearray(base64.b64decode(before[0][1]))
        raw[-1] ^= 1
        sql("UPDATE connections SET signing_token_sealed = '%s' WHERE id = '%s'"
            % (base64.b64encode(bytes(raw)).decode(), cid))
        tampered = sealed()
        r = rotate()
        check("a sealed value that does not open aborts the rotation, naming its row; nothing changed",
              r.returncode == 1 and "connections.signing_token_sealed" in r.stderr and cid in r.stderr
              and sealed() == tampered and fingerprint() == fp0 and not os.path.exists(keyp + ".new")
              and open(keyp).read() == old_key, (r.returncode, r.stdout, r.stderr))
        sql("UPDATE connections SET signing_token_sealed = '%s' WHERE id = '%s'" % (before[0][1], cid))
        # 3d. killed before its commit: the database unchanged, master.key unchanged
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "before_commit"})
        check("a rotation killed before its commit changes nothing in the database",
              r.returncode == 3 and sealed() == before and fingerprint() == fp0
              and open(keyp).read() == old_key, (r.returncode, r.stdout, r.stderr))
        r = rotate()
        check("rotate with every replica stopped: exit 0, both secrets re-sealed",
              r.returncode == 0 and "master key rotated" in r.stdout
              and "re-sealed 1 value(s) of connections.api_key_sealed" in r.stdout
              and "re-sealed 1 value(s) of connections.signing_token_sealed" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        after = sealed()
        check("the sealed texts changed, the fingerprint too",
              after and after[0][0] != before[0][0] and after[0][1] != before[0][1] and fingerprint() != fp0,
              (before, after))
        check("the new key in a's master.key, the old one kept as master.key.prev",
              open(os.path.join(tmp, "a", "master.key")).read() != old_key
              and open(os.path.join(tmp, "a", "master.key.prev")).read() == old_key)
        # 5. b's old key is refused; the new one works
        check("b with the old key refuses to start (exit 1, the key does not match)",
              launch("b", expect_up=False) and reps["b"]["proc"].returncode == 1
              and "does not match" in tail(reps["b"]["log"], 4000), tail(reps["b"]["log"], 2000))
        shutil.copy(os.path.join(tmp, "a", "master.key"), os.path.join(tmp, "b", "master.key"))
        check("b with the new key starts", launch("b"), tail(reps["b"]["log"], 2000))
        check("a starts on the rotated database", launch("a"), tail(reps["a"]["log"], 2000))

        # 6. the secrets open: a signed webhook is verified, the tax written with the API key
        def new_invoice(n):
            st, page, text, _ = env.S("GET", "/invoices?limit=1")
            lst = (page or {}).get("data") or (page or {}).get("invoices") or []
            st, tpl, text, _ = env.S("GET", "/invoices/" + lst[0]["id"])
            item = tpl["items"][0]
            st, inv, text, _ = env.S("POST", "/invoices", {
                "customer_id": tpl["customer_id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
                "items": [{"description": "after rotation %d" % n,
                           "price": {"product_id": item["product_id"], "quantity": 1,
                                     "amount_per_unit": {"amount": "%d.00" % (200 + n), "currency": "USD"}}}]})
            return inv["id"] if st == 200 and inv else None

        def writes(iid):
            st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            return td.get("tax_writes", 0) if st == 200 and td else 0
        def deliveries():
            return env.S("GET", "/_sim/deliveries?limit=5")[2][:1500]
        iid = new_invoice(1)
        check("after the rotation a signed webhook is verified and the tax written once",
              iid and wait_for(lambda: writes(iid) == 1, 90) and writes(iid) == 1, (iid, deliveries()))

        # 7. interrupted after the commit: completed at the next start
        stop(reps["a"]["proc"])
        stop(reps["b"]["proc"])
        fp1 = fingerprint()
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        newp = os.path.join(tmp, "a", "master.key.new")
        check("a rotation killed after its commit leaves master.key.new",
              r.returncode == 3 and os.path.exists(newp) and fingerprint() != fp1, (r.returncode, r.stderr))
        new_key = open(newp).read() if os.path.exists(newp) else ""
        check("a's next start completes it", launch("a") and not os.path.exists(newp)
              and open(os.path.join(tmp, "a", "master.key")).read() == new_key
              and "completed an interrupted master key rotation" in tail(reps["a"]["log"], 20000),
              tail(reps["a"]["log"], 2000))
        iid = new_invoice(2)
        check("and serves with it: the next webhook's tax written once",
              iid and wait_for(lambda: writes(iid) == 1, 90) and writes(iid) == 1, (iid, deliveries()))

        # issue 18: every ordering of an interrupted rotation, and a COMMIT that reports a
        # failure although the server committed (LEVY_TEST_ROTATE_CRASH=commit_lost: what a
        # connection lost after COMMIT was sent looks like to the client)
        def key_of(rid, name="master.key"):
            p = os.path.join(tmp, rid, name)
            return open(p).read() if os.path.exists(p) else None

        def fp_of(key_text):  # meta's master_key_fingerprint of a key file's text
            return hashlib.sha256(base64.b64decode(key_text.strip())).hexdigest()[:16]

        def log_size(rid):
            return os.path.getsize(reps[rid]["log"]) if rid in reps and os.path.exists(reps[rid]["log"]) else 0

        def log_since(rid, off):
            with open(reps[rid]["log"], "rb") as f:
                f.seek(off)
                return f.read().decode(errors="replace")

        def both_serve(label, n, env_key=None):
            """a, then b with a's key (or both with LEVY_MASTER_KEY env_key), serve; a new
            invoice's webhook verified and its tax written once: both secrets open."""
            e = {"LEVY_MASTER_KEY": env_key} if env_key else None
            up_a = launch("a", extra_env=e)
            if not env_key:
                shutil.copy(keyp, os.path.join(tmp, "b", "master.key"))
            up_b = up_a and launch("b", extra_env=e)
            iid = up_b and new_invoice(n)
            check(label + ": a and b serve; a new invoice's signed webhook is verified and its tax "
                  "written once (the API key and the signing token open)",
                  iid and wait_for(lambda: writes(iid) == 1, 90) and writes(iid) == 1,
                  (up_a, up_b, iid, deliveries(), tail(reps["a"]["log"], 1500)))
            stop(reps["a"]["proc"])
            stop(reps["b"]["proc"])

        def settled(label, r, prev):
            check(label + ": exit 0, master.key a new key, master.key.prev the settled one, no "
                  "master.key.new, the database records master.key's fingerprint",
                  r.returncode == 0 and "master key rotated" in r.stdout
                  and key_of("a") not in (prev, None) and key_of("a", "master.key.prev") == prev
                  and not os.path.exists(newp) and fingerprint() == [[fp_of(key_of("a"))]],
                  (r.returncode, r.stdout, r.stderr, fingerprint()))

        stop(reps["a"]["proc"])
        stop(reps["b"]["proc"])
        # 8. a COMMIT reported failed, then a start: master.key.new kept, renamed by the start
        k0, fp2 = key_of("a"), fingerprint()
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "commit_lost"})
        k1 = key_of("a", "master.key.new")
        check("8. a COMMIT reported failed although committed: exit 1, master.key.new kept, the operator "
              "told what the next start does", r.returncode == 1
              and "PostgreSQL may have committed it" in r.stderr and "master.key.new is kept" in r.stderr
              and "the next levy start on this data dir" in r.stderr and k1
              and fingerprint() == [[fp_of(k1)]] != fp2 and key_of("a") == k0
              and k1.strip() not in r.stdout + r.stderr, (r.returncode, r.stdout, r.stderr))
        off = log_size("a")
        check("8. a's next start completes it (master.key.new -> master.key)",
              launch("a") and not os.path.exists(newp) and key_of("a") == k1
              and "completed an interrupted master key rotation" in log_since("a", off),
              tail(reps["a"]["log"], 2000))
        stop(reps["a"]["proc"])
        both_serve("8. after a COMMIT reported failed", 3)
        # 9. a COMMIT reported failed, then another rotation: it settles that one first
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "commit_lost"})
        k2 = key_of("a", "master.key.new")
        check("9. a COMMIT reported failed again: exit 1, master.key.new kept",
              r.returncode == 1 and k2 and fingerprint() == [[fp_of(k2)]], (r.returncode, r.stderr))
        r = rotate()
        check("9. the next rotation says it completed the interrupted one",
              "completed an interrupted master key rotation" in r.stderr, (r.returncode, r.stderr))
        settled("9. then rotates from it", r, k2)
        # 10. killed after its commit, then another rotation (no start between)
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        k3 = key_of("a", "master.key.new")
        check("10. killed after its commit: exit 3, master.key.new left, the database on its key",
              r.returncode == 3 and k3 and fingerprint() == [[fp_of(k3)]], (r.returncode, r.stderr))
        r = rotate()
        check("10. the next rotation completes the interrupted one instead of refusing the old master.key",
              "completed an interrupted master key rotation" in r.stderr, (r.returncode, r.stdout, r.stderr))
        settled("10. then rotates from it", r, k3)
        both_serve("10. after a rotation that resumed one killed past its commit", 4)
        # 11. killed before its commit, then another rotation: the uncommitted key removed
        k4, fp4, prev4 = key_of("a"), fingerprint(), key_of("a", "master.key.prev")
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "before_commit"})
        check("11. killed before its commit: exit 3, master.key.new left, the database unchanged",
              r.returncode == 3 and os.path.exists(newp) and fingerprint() == fp4, (r.returncode, r.stderr))
        check("11. master.key.prev not replaced before the commit (the new one waits in master.key.prev.new)",
              prev4 and key_of("a", "master.key.prev") == prev4 and key_of("a", "master.key.prev.new") == k4)
        r = rotate()
        check("11. the next rotation removes the uncommitted master.key.new",
              "removed master.key.new of a master key rotation that never committed" in r.stderr,
              (r.returncode, r.stderr))
        settled("11. then rotates from master.key", r, k4)
        # 12. killed after its commit, then a rotation killed before its own: the next start
        # keeps the first one's key (the second rotation had settled it) and drops the second's
        r = rotate({"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        k5 = key_of("a", "master.key.new")
        r2 = rotate({"LEVY_TEST_ROTATE_CRASH": "before_commit"})
        check("12. after_commit then before_commit: the second settled the first (master.key its key), "
              "its own master.key.new uncommitted",
              r.returncode == 3 and r2.returncode == 3 and k5 and key_of("a") == k5
              and key_of("a", "master.key.new") not in (None, k5) and fingerprint() == [[fp_of(k5)]],
              (r.returncode, r2.returncode, r2.stderr))
        off = log_size("a")
        check("12. the next start removes the uncommitted master.key.new and keeps master.key",
              launch("a") and not os.path.exists(newp) and key_of("a") == k5
              and "never committed" in log_since("a", off), tail(reps["a"]["log"], 2000))
        stop(reps["a"]["proc"])
        both_serve("12. after both", 5)
        # 13. LEVY_MASTER_KEY mode: the new key exists only in the process; a COMMIT reported
        # failed must still print it
        cur = key_of("a").strip()
        r = rotate({"LEVY_MASTER_KEY": cur, "LEVY_TEST_ROTATE_CRASH": "commit_lost"}, ["--yes-env"])
        m = re.search(r"^([A-Za-z0-9+/]{43}=)$", r.stdout, re.M)
        check("13. env mode, a COMMIT reported failed: exit 1, the new key printed once, no key file",
              r.returncode == 1 and m and m.group(1) != cur and r.stdout.count(m.group(1)) == 1
              and m.group(1) not in r.stderr and "put the printed key in LEVY_MASTER_KEY of every replica" in r.stderr
              and not os.path.exists(newp) and fingerprint() == [[fp_of(m.group(1))]] if m else False,
              (r.returncode, r.stdout, r.stderr))
        if m:
            off = log_size("a")
            check("13. a start with the previous LEVY_MASTER_KEY is refused naming the database's fingerprint",
                  launch("a", expect_up=False, extra_env={"LEVY_MASTER_KEY": cur})
                  and reps["a"]["proc"].returncode == 1 and fp_of(m.group(1)) in log_since("a", off),
                  tail(reps["a"]["log"], 2000))
            both_serve("13. with the printed key in LEVY_MASTER_KEY", 6, env_key=m.group(1))
    finally:
        for r in reps.values():
            stop(r["proc"])
        env.close()
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True, timeout=120)
        if common.failed:
            for rid, r in reps.items():
                print("--- %s log" % rid)
                print(tail(r["log"], 3000))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    sys.exit(common.summary())
