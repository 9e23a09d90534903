"""levy rotate-master-key end to end (issue 10): a levy connected to `levy sim` is stopped,
its master key rotated, and restarted: the connection still works under the new key.
Also: rotating while levy serves fails, a tampered sealed value aborts with nothing changed,
a crash after the commit (before the key file rename) is completed by the next start, a
crash before the commit is discarded and a rotation rolled back after writing its key files
leaves master.key.prev as it was, a wrong current key is refused with nothing changed, a
rotation run after one interrupted past its commit completes that one first, a COMMIT that
reports a failure although it committed keeps master.key.new for the next start or rotation
(issue 18; in LEVY_MASTER_KEY mode the new key is still printed), LEVY_MASTER_KEY
mode, and the loader rejects a
malformed `sealed` declaration. python3 stdlib (+ `cryptography` when installed, to prove
the old key no longer opens the stored values).
usage: test_rotate.py LEVY SRC   (ports: LEVY_OPS_PORT_BASE, default 19300)"""
import base64
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import uuid

os.environ.setdefault("LEVY_OPS_PORT_BASE", "19300")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ops"))
import opslib  # noqa: E402
from opslib import Client, check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
TOKEN = "rotate-test-token-0123456789abcdef"
PASSED = [0]


def ok(name, cond, info=""):
    if check(name, cond, info):
        PASSED[0] += 1
    return cond


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
    e.update(env or {})
    return subprocess.run([LEVY] + list(args), capture_output=True, text=True, env=e, timeout=120)


def rotate(data, *extra, env=None):
    return run("rotate-master-key", "--data-dir", data, "--plugins", os.path.join(SRC, "plugins"),
               "--scripts", os.path.join(SRC, "scripts"), *extra, env=env)


def read(path):
    with open(path) as f:
        return f.read().strip()


def sealed_rows(data):
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    try:
        return db.execute("SELECT id, api_key_sealed, signing_token_sealed FROM connections "
                          "ORDER BY id").fetchall()
    finally:
        db.close()


def set_sealed(data, cid, col, value):
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    try:
        db.execute("UPDATE connections SET %s = ? WHERE id = ?" % col, (value, cid))
        db.commit()
    finally:
        db.close()


def try_open(key_b64, blob_b64, aad):
    """-> plaintext bytes, None when it does not open, or False without `cryptography`."""
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        return False
    raw = base64.b64decode(blob_b64)
    try:
        return AESGCM(base64.b64decode(key_b64)).decrypt(raw[1:13], raw[13:], aad.encode())
    except Exception:
        return None


def webhook(url, cid, signing, wid):
    body = b'{"id":"rotate-vendor"}'
    h = {"X-Rillet-Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "X-Rillet-Id": wid,
         "X-Rillet-Entity": "VENDOR", "X-Rillet-Event": "CREATED"}
    h["X-Rillet-Signature"] = opslib.sign(signing, h["X-Rillet-Timestamp"], wid, "VENDOR", "CREATED", body)
    st, js, text, _ = opslib.req("POST", url + "/webhooks/rillet/" + cid, raw=body, headers=h)
    return st, js, text


def works(tmp, data, cid, signing, sim_url, label, env=None, want_log=None):
    """Starts levy on data, checks connection + webhook + sync, stops it."""
    lv, url = opslib.start_levy(LEVY, data, TOKEN, sim_url, os.path.join(tmp, "levy2.log"), SRC, env=env)
    try:
        api = Client(url, {"Authorization": "Bearer " + TOKEN})
        st, js, text, _ = api("GET", "/v1/connections")
        con = next((c for c in (js or {}).get("data", []) if c.get("id") == cid), None)
        ok(label + ": GET /v1/connections shows it connected", st == 200 and con and con["status"] == "connected", text[:300])
        st, js, text = webhook(url, cid, signing, str(uuid.uuid4()))
        ok(label + ": a webhook signed with the original token is accepted", st == 200 and js and js.get("received"), text)
        before = con and con.get("last_sync_at")
        time.sleep(1.1)
        st, _, text, _ = api("POST", "/v1/connections/%s/sync" % cid)
        ok(label + ": sync -> 202", st == 202, text)

        def synced():
            s, c, _, _ = api("GET", "/v1/connections/" + cid)
            if s == 200 and c.get("last_sync_at") and c["last_sync_at"] != before:
                return c
            if s == 200 and c.get("status") == "error":
                return c
            return None
        c = opslib.wait_for(synced, 60, 0.3)
        ok(label + ": the sync reached the sim with the original API key (connected, last_sync_at moved)",
           c and c["status"] == "connected" and c["last_sync_at"] != before, c)
        if want_log:
            ok(label + ": start-up log says: " + want_log, want_log in lv.log(), lv.log()[-1500:])
    finally:
        lv.stop()
    logtext = open(os.path.join(tmp, "levy2.log"), "rb").read().decode(errors="replace")
    return logtext


def case(tmp):
    sim, sim_url, key = opslib.start_sim(LEVY, tmp, SRC)
    data = os.path.join(tmp, "levy")
    try:
        lv, url = opslib.start_levy(LEVY, data, TOKEN, sim_url, os.path.join(tmp, "levy.log"), SRC)
        api = Client(url, {"Authorization": "Bearer " + TOKEN})
        try:
            cid, signing = opslib.connect(api, sim_url, key)
            r = rotate(data)
            ok("rotating while levy serves fails clearly",
               r.returncode == 1 and "stop the service first" in r.stderr, (r.returncode, r.stderr))
        finally:
            lv.stop()
        keyp = os.path.join(data, "master.key")
        old_key = read(keyp)
        rows0 = sealed_rows(data)
        ok("the connection has both secrets sealed", len(rows0) == 1 and rows0[0][1] and rows0[0][2], rows0)

        # a tampered sealed value aborts the rotation with nothing changed
        good = rows0[0][2]
        raw = bytearray(base64.b64decode(good))
        raw[-1] ^= 1
        set_sealed(data, cid, "signing_token_sealed", base64.b64encode(bytes(raw)).decode())
        tampered = sealed_rows(data)
        r = rotate(data)
        ok("a tampered value aborts the rotation, naming table/column/row",
           r.returncode == 1 and "connections.signing_token_sealed" in r.stderr and cid in r.stderr,
           (r.returncode, r.stderr))
        ok("(nothing changed: rows, master.key, no .new/.prev)",
           sealed_rows(data) == tampered and read(keyp) == old_key and
           not os.path.exists(keyp + ".new") and not os.path.exists(keyp + ".prev"))
        ok("(no key or plaintext in the message)", old_key not in r.stderr + r.stdout and key not in r.stderr)
        set_sealed(data, cid, "signing_token_sealed", good)

        # the rotation
        r = rotate(data)
        ok("rotate-master-key succeeds", r.returncode == 0 and "2 value(s) re-sealed" in r.stdout,
           (r.returncode, r.stdout, r.stderr))
        new_key = read(keyp)
        ok("master.key changed, 0600", new_key != old_key and len(base64.b64decode(new_key)) == 32 and
           stat.S_IMODE(os.stat(keyp).st_mode) == 0o600)
        ok("master.key.prev holds the previous key, 0600", read(keyp + ".prev") == old_key and
           stat.S_IMODE(os.stat(keyp + ".prev").st_mode) == 0o600)
        ok("no master.key.new left", not os.path.exists(keyp + ".new"))
        ok("no key in the output", old_key not in r.stdout + r.stderr and new_key not in r.stdout + r.stderr)
        # issue 20 (audit20): the audit log names the rotation (its fingerprints, never a key);
        # the refused rotation above wrote no row
        db = sqlite3.connect(os.path.join(data, "levy.db"))
        arows = db.execute("SELECT actor_kind, actor, changes FROM audit_log WHERE action = 'master_key.rotated'").fetchall()
        db.close()
        ok("one audit row master_key.rotated by levy rotate-master-key, fingerprints only",
           len(arows) == 1 and arows[0][0] == "cli" and arows[0][1] == "levy rotate-master-key"
           and '"fingerprint"' in arows[0][2] and old_key not in arows[0][2] and new_key not in arows[0][2], arows)
        rows1 = sealed_rows(data)
        ok("every sealed value changed", rows1[0][1] != rows0[0][1] and rows1[0][2] != rows0[0][2], rows1)
        o1 = try_open(old_key, rows1[0][1], cid + ":api_key")
        o2 = try_open(new_key, rows1[0][1], cid + ":api_key")
        o3 = try_open(new_key, rows1[0][2], cid + ":signing_token")
        if o1 is not False:
            ok("the old key no longer opens the stored values; the new one does (same AAD)",
               o1 is None and o2 == key.encode() and o3 == signing.encode(), (o1 is None, o2 == key.encode()))
        works(tmp, data, cid, signing, sim_url, "after rotation")

        # crash after the commit, before the rename: the next start completes it
        kf = os.path.join(tmp, "next.key")
        next_key = base64.b64encode(os.urandom(32)).decode()
        with open(kf, "w") as f:
            f.write(next_key + "\n")
        r = rotate(data, "--new-key-file", kf, env={"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        ok("crash after commit: exit 3, master.key.new written, master.key still the old one",
           r.returncode == 3 and read(keyp + ".new") == next_key and read(keyp) == new_key,
           (r.returncode, r.stderr))
        works(tmp, data, cid, signing, sim_url, "after a crash past the commit",
              want_log="completed an interrupted master key rotation")
        ok("the start renamed master.key.new over master.key",
           read(keyp) == next_key and not os.path.exists(keyp + ".new"))
        ok("(and master.key.prev is the key before it)", read(keyp + ".prev") == new_key)

        # crash before the commit: the next start discards master.key.new
        rows2 = sealed_rows(data)
        r = rotate(data, env={"LEVY_TEST_ROTATE_CRASH": "before_commit"})
        ok("crash before commit: exit 3, rows unchanged", r.returncode == 3 and sealed_rows(data) == rows2 and
           os.path.exists(keyp + ".new"), (r.returncode, r.stderr))
        ok("(master.key.prev not replaced before the commit: still the key before master.key)",
           read(keyp + ".prev") == new_key and read(keyp + ".prev.new") == next_key)
        works(tmp, data, cid, signing, sim_url, "after a crash before the commit",
              want_log="never committed")
        ok("the start removed master.key.new and kept master.key",
           read(keyp) == next_key and not os.path.exists(keyp + ".new"))
        ok("(and removed master.key.prev.new; master.key.prev still the key before master.key)",
           not os.path.exists(keyp + ".prev.new") and read(keyp + ".prev") == new_key)

        # a rotation that fails once the key files are written, before its COMMIT (rolled back):
        # master.key.prev must still hold the key from before the last completed rotation (it
        # used to be replaced by the current key before the COMMIT, losing that key)
        r = rotate(data, env={"LEVY_TEST_ROTATE_CRASH": "rollback_after_prev"})
        ok("rolled back after the key files were written: exit 1, rows and master.key unchanged",
           r.returncode == 1 and "failed before the COMMIT" in r.stderr and sealed_rows(data) == rows2 and
           read(keyp) == next_key, (r.returncode, r.stderr))
        ok("(master.key.prev still the previous key; no master.key.new or master.key.prev.new left)",
           read(keyp + ".prev") == new_key and not os.path.exists(keyp + ".new") and
           not os.path.exists(keyp + ".prev.new"), (read(keyp + ".prev") == new_key,
                                                     os.listdir(data)))

        # a wrong current key (master.key replaced): refused naming the value it cannot open,
        # nothing changed (rows, key files)
        wrong = base64.b64encode(os.urandom(32)).decode()
        prev_before = read(keyp + ".prev")
        with open(keyp, "w") as f:
            f.write(wrong + "\n")
        r = rotate(data)
        ok("rotating with a wrong current key: exit 1, names the value it cannot open",
           r.returncode == 1 and "under the current master key" in r.stderr and
           "of the row with id = '%s'" % cid in r.stderr, (r.returncode, r.stderr))
        ok("(nothing changed: rows, no .new, .prev still the key before)",
           sealed_rows(data) == rows2 and read(keyp) == wrong and not os.path.exists(keyp + ".new") and
           read(keyp + ".prev") == prev_before and wrong not in r.stderr + r.stdout)
        with open(keyp, "w") as f:
            f.write(next_key + "\n")

        # a rotation interrupted after its commit, then rotated again without a start between:
        # the second rotation first completes the first (master.key.new -> master.key), then
        # rotates from that key
        kf2 = os.path.join(tmp, "next2.key")
        key2 = base64.b64encode(os.urandom(32)).decode()
        with open(kf2, "w") as f:
            f.write(key2 + "\n")
        r = rotate(data, "--new-key-file", kf2, env={"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        ok("crash after commit again: exit 3, master.key.new left", r.returncode == 3 and
           read(keyp + ".new") == key2 and read(keyp) == next_key, (r.returncode, r.stderr))
        rows3 = sealed_rows(data)
        r = rotate(data)
        ok("the next rotation completes the interrupted one first, then rotates: exit 0",
           r.returncode == 0 and "completed an interrupted master key rotation" in r.stderr and
           "2 value(s) re-sealed" in r.stdout, (r.returncode, r.stdout, r.stderr))
        key3 = read(keyp)
        ok("(master.key is a third key, .prev the interrupted rotation's, no .new)",
           key3 not in (next_key, key2) and read(keyp + ".prev") == key2 and
           not os.path.exists(keyp + ".new"))
        rows4 = sealed_rows(data)
        ok("(the values were re-sealed from the interrupted rotation's key)",
           rows4[0][1] != rows3[0][1] and rows4[0][2] != rows3[0][2], rows4)
        if try_open(key3, rows4[0][1], cid + ":api_key") is not False:
            ok("(the new key opens them)", try_open(key3, rows4[0][1], cid + ":api_key") == key.encode()
               and try_open(key3, rows4[0][2], cid + ":signing_token") == signing.encode())
        works(tmp, data, cid, signing, sim_url, "after a resumed rotation")

        # issue 18: a COMMIT that reports a failure although the database committed (what a
        # PostgreSQL connection lost after COMMIT was sent looks like; the test hook
        # LEVY_TEST_ROTATE_CRASH=commit_lost reports a successful COMMIT as failed). The new
        # key must survive: master.key.new is kept, and the next start settles it by the
        # database's fingerprint (it used to be deleted: every secret then unreadable).
        def key_file(name):
            k = base64.b64encode(os.urandom(32)).decode()
            with open(os.path.join(tmp, name), "w") as f:
                f.write(k + "\n")
            return k, os.path.join(tmp, name)
        key4, kf4 = key_file("next4.key")
        r = rotate(data, "--new-key-file", kf4, env={"LEVY_TEST_ROTATE_CRASH": "commit_lost"})
        ok("a COMMIT reported failed: exit 1, the operator told master.key.new is kept for the next start",
           r.returncode == 1 and "COMMIT of the re-sealed secrets reported a failure" in r.stderr and
           "master.key.new is kept" in r.stderr and "the next levy start" in r.stderr and
           key4 not in r.stdout + r.stderr, (r.returncode, r.stdout, r.stderr))
        ok("(master.key.new holds the new key, master.key the one before)",
           os.path.exists(keyp + ".new") and read(keyp + ".new") == key4 and read(keyp) == key3)
        works(tmp, data, cid, signing, sim_url, "after a COMMIT reported failed",
              want_log="completed an interrupted master key rotation")
        ok("(the start renamed master.key.new over master.key)",
           read(keyp) == key4 and not os.path.exists(keyp + ".new"))
        # the same, followed by a rotation instead of a start: it settles it first
        key5, kf5 = key_file("next5.key")
        r = rotate(data, "--new-key-file", kf5, env={"LEVY_TEST_ROTATE_CRASH": "commit_lost"})
        ok("a COMMIT reported failed again: exit 1, master.key.new kept",
           r.returncode == 1 and os.path.exists(keyp + ".new") and read(keyp + ".new") == key5,
           (r.returncode, r.stderr))
        r = rotate(data)
        ok("the next rotation settles it first (completed), then rotates from it: exit 0",
           r.returncode == 0 and "completed an interrupted master key rotation" in r.stderr and
           "2 value(s) re-sealed" in r.stdout and read(keyp + ".prev") == key5 and
           read(keyp) not in (key4, key5) and not os.path.exists(keyp + ".new"),
           (r.returncode, r.stdout, r.stderr))
        works(tmp, data, cid, signing, sim_url, "after a rotation that settled a COMMIT reported failed")
        next_key = read(keyp)
        # a master.key.new damaged after its rotation committed: the database seals with the key
        # it held, master.key is not that key, so the file is the last copy — kept, start and
        # rotation refused with what to restore (it used to be removed as "never committed")
        key6, kf6 = key_file("next6.key")
        r = rotate(data, "--new-key-file", kf6, env={"LEVY_TEST_ROTATE_CRASH": "after_commit"})
        ok("crash after commit (key 6): exit 3, master.key.new written", r.returncode == 3 and
           read(keyp + ".new") == key6, (r.returncode, r.stderr))
        with open(keyp + ".new", "w") as f:
            f.write("damaged\n")
        r = rotate(data)
        ok("master.key.new unreadable while the database seals with another key than master.key: "
           "refused, the file kept, master.key unchanged",
           r.returncode == 1 and "is unreadable" in r.stderr and "kept" in r.stderr and
           read(keyp + ".new") == "damaged" and read(keyp) == next_key, (r.returncode, r.stderr))
        with open(keyp + ".new", "w") as f:
            f.write(key6 + "\n")
        works(tmp, data, cid, signing, sim_url, "after master.key.new was restored",
              want_log="completed an interrupted master key rotation")
        ok("(the start renamed the restored master.key.new over master.key)",
           read(keyp) == key6 and not os.path.exists(keyp + ".new"))
        next_key = read(keyp)
        rows2 = sealed_rows(data)

        # LEVY_MASTER_KEY mode: no files, the key printed once, --yes-env required
        r = rotate(data, env={"LEVY_MASTER_KEY": next_key})
        ok("with LEVY_MASTER_KEY set, --yes-env is required", r.returncode == 1 and "--yes-env" in r.stderr
           and sealed_rows(data) == rows2, (r.returncode, r.stderr))
        r = rotate(data, "--yes-env", env={"LEVY_MASTER_KEY": next_key})
        m = re.search(r"^([A-Za-z0-9+/]{43}=)$", r.stdout, re.M)
        ok("--yes-env rotates and prints the new key once", r.returncode == 0 and m and
           r.stdout.count(m.group(1)) == 1, (r.returncode, r.stdout, r.stderr))
        ok("(no key file written in env mode)", read(keyp) == next_key and not os.path.exists(keyp + ".new"))
        if m:
            works(tmp, data, cid, signing, sim_url, "env key", env={"LEVY_MASTER_KEY": m.group(1)})
            ok("(no key-mismatch warning with the right key)", "key_mismatch" not in open(
                os.path.join(tmp, "levy2.log")).read() and "not the one the last" not in open(
                os.path.join(tmp, "levy2.log")).read())
        # issue 18 in LEVY_MASTER_KEY mode: the new key exists only in the process, so a COMMIT
        # reported failed must still print it (it used to be dropped: the secrets lost if the
        # database had committed)
        if m:
            r = rotate(data, "--yes-env", env={"LEVY_MASTER_KEY": m.group(1),
                                               "LEVY_TEST_ROTATE_CRASH": "commit_lost"})
            m2 = re.search(r"^([A-Za-z0-9+/]{43}=)$", r.stdout, re.M)
            ok("env mode, COMMIT reported failed: exit 1, the new key printed once, how to tell which "
               "key the database needs on stderr",
               r.returncode == 1 and m2 and m2.group(1) != m.group(1) and r.stdout.count(m2.group(1)) == 1
               and "the rotation committed: put the printed key in LEVY_MASTER_KEY" in r.stderr
               and m2.group(1) not in r.stderr, (r.returncode, r.stdout, r.stderr))
            if m2:
                works(tmp, data, cid, signing, sim_url, "env key printed after a COMMIT reported failed",
                      env={"LEVY_MASTER_KEY": m2.group(1)})
                next_key, m = m.group(1), m2
        # starting with the stale env key: refused with a clear message (issue 15 finding 8; it
        # used to start with a warning, and every webhook then got 404)
        e3 = dict(os.environ)
        e3["LEVY_MASTER_KEY"] = next_key
        r3 = subprocess.run([LEVY, "serve", "--listen", "127.0.0.1:%d" % opslib.free_port(), "--data-dir", data,
                             "--api-token", TOKEN, "--rillet-url", sim_url,
                             "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts")],
                            capture_output=True, text=True, timeout=120, env=e3)
        ok("a start with the pre-rotation key is refused: exit 1, the secrets would not open",
           r3.returncode == 1 and "master key does not match the sealed data" in r3.stderr
           and next_key not in r3.stdout + r3.stderr, (r3.returncode, r3.stderr[-800:]))
    finally:
        sim.stop()

    # the loader validates `sealed`
    plugins = os.path.join(tmp, "plugins")
    shutil.copytree(os.path.join(SRC, "plugins"), plugins)
    hp = os.path.join(plugins, "rillet", "handler.lua")
    src = open(hp).read()
    bad = src.replace('{ table = "connections", key = "id",', '{ table = "connections; DROP", key = "id",')
    ok("(fixture edits the declaration)", bad != src)
    with open(hp, "w") as f:
        f.write(bad)
    r = run("check", "--plugins", plugins, "--scripts", os.path.join(SRC, "scripts"))
    ok("levy check (= reload validation) rejects a malformed sealed declaration",
       r.returncode == 1 and "sealed[1].table must be an SQL identifier" in r.stdout, r.stdout[-600:])
    with open(hp, "w") as f:
        f.write(src)
    os.makedirs(os.path.join(plugins, "dupseal"))
    with open(os.path.join(plugins, "dupseal", "handler.lua"), "w") as f:
        f.write('return { name = "dupseal", version = "1", sealed = { { table = "connections", '
                'key = "id", columns = { api_key_sealed = "api_key" } } } }\n')
    r = run("check", "--plugins", plugins, "--scripts", os.path.join(SRC, "scripts"))
    ok("a sealed column declared by two plugins is rejected",
       r.returncode == 1 and "sealed column connections.api_key_sealed is already declared" in r.stdout,
       r.stdout[-600:])


def main():
    tmp = opslib.harness.tmpdir(prefix="levy-rotate-")  # removed even if this test is killed
    try:
        case(tmp)
    except Exception as e:
        import traceback
        traceback.print_exc()
        check("ran to the end", False, e)
    failed = len(opslib.FAILS)
    if failed:
        for name in ("levy.log", "levy2.log", "sim.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                print("---- %s (tail) ----\n%s" % (name, open(p, "rb").read()[-3000:].decode(errors="replace")))
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED[0], failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
