#!/usr/bin/env python3
"""levy answers while its start-up migrations run (issue 20, operations): it listens before it
opens the store, and a thread migrates and loads while the loop answers.
Usage: start_migrating.py LEVY_BINARY SOURCE_DIR [BASE_PORT=47600]

A test plugin (`slowmig`, in a copy of the plugins) gets a migration that takes seconds (a
recursive CTE that counts to ten million: SQLite has no sleep), applied as an upgrade of a
store that already has the plugin's first migration. From the moment levy is started:
- GET /healthz answers 503 {"status":"migrating","version",
  "migration":{"plugin":"slowmig","step":"0002_slow.sql","done":0,"total":1}} with Retry-After
  (before: nothing answered until the migrations were done, a dead process to a balancer);
- between two such answers (so, during the migration): a webhook delivery, an API request
  with the token and the web UI's page are 503 with Retry-After, the first two
  {"error":{"code":"starting","message":"levy is applying store migrations (1 of 1); retry
  shortly"}} (no delivery is acknowledged before the store is ready: Rillet retries a 503);
- then /healthz turns 200 {"status":"ok"} with generation 1, the migration is recorded, the
  log says "starting: answering 503" before "listening on", and /metrics counts the 503s
  under route="starting";
- a migration that fails (slow, then a statement on a missing table): /healthz said
  "migrating" (with that step) and, if asked in time, "failed"; levy exits 1 with the messages
  it always gave ("cannot load plugins/scripts; not starting", the statement's error), and the
  failed migration is not recorded.
No timing is asserted: each state is waited for with a generous time-out; the only
assumption is that counting to ten million takes longer than two HTTP requests.
"""
import os
import shutil
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 47600
TOKEN = "start-migrating-token-0123456789ab"

PLUGIN = 'return { name = "slowmig", version = "1", tables = { "slowmig_marks" } }\n'
FIRST = "CREATE TABLE slowmig_marks (n INTEGER NOT NULL);\n"
SLOW = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) "
        "SELECT count(*) FROM c;\nINSERT INTO slowmig_marks (n) VALUES (2);\n")
FAILING = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) "
           "SELECT count(*) FROM c;\nINSERT INTO slowmig_no_such_table (n) VALUES (3);\n")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def health(url):
    st, js, text, h = harness.req("GET", url + "/healthz", timeout=5)
    return st, js if isinstance(js, dict) else {}, h


def migrating(js, step):
    m = js.get("migration") or {}
    return js.get("status") == "migrating" and m.get("plugin") == "slowmig" and m.get("step") == step


def watch_start(p, url, step):
    """Polls /healthz from levy's start until it answers 200 or the process ends. Returns
    (answers: [(status, body)], bad: 503s without Retry-After or with another status word,
    during: the answers to the other requests sent between two "migrating" answers for step,
    or None when no two came close enough)."""
    answers, bad, during = [], [], None
    end = time.time() + 240
    while time.time() < end:
        st, js, h = health(url)
        if st:
            answers.append((st, js))
            if st == 503 and (not h.get("Retry-After") or
                              js.get("status") not in ("starting", "migrating", "failed") or
                              js.get("version") is None):
                bad.append((st, js, h.get("Retry-After")))
        if st == 200 or p.poll() is not None:
            break
        if st == 503 and during is None and migrating(js, step):
            hook = harness.req("POST", url + "/webhooks/rillet/conn_start_test", raw='{"id":"x"}',
                               headers={"X-Rillet-Signature": "t=1,v1=00"}, timeout=5)
            api = harness.req("GET", url + "/v1/regions", headers={"Authorization": "Bearer " + TOKEN},
                              timeout=5)
            page = harness.req("GET", url + "/", timeout=5)
            if migrating(health(url)[1], step):
                during = {"hook": hook, "api": api, "page": page}
            continue
        time.sleep(0.02)
    return answers, bad, during


def main():
    tmp = harness.tmpdir("levy-start-migrating-")
    port = harness.free_port(BASE_PORT)
    url = "http://127.0.0.1:%d" % port
    plugins, data = os.path.join(tmp, "plugins"), os.path.join(tmp, "data")
    shutil.copytree(os.path.join(SRC, "plugins"), plugins)
    write(os.path.join(plugins, "slowmig", "handler.lua"), PLUGIN)
    write(os.path.join(plugins, "slowmig", "migrations", "0001_marks.sql"), FIRST)
    cmd = [LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data, "--plugins", plugins,
           "--scripts", os.path.join(SRC, "scripts"), "--api-token", TOKEN]

    # a store with the plugin's first migration (test setup)
    log0 = os.path.join(tmp, "first.log")
    p = harness.start(cmd, log0)
    up = harness.wait_up(levy_url=url, timeout=180, proc=p)
    check("a store with slowmig's first migration (test setup)", up, harness.tail(log0))
    harness.stop(p)
    if not up:
        return

    # ---- an upgrade with a slow migration: levy answers meanwhile --------------------------
    write(os.path.join(plugins, "slowmig", "migrations", "0002_slow.sql"), SLOW)
    log = os.path.join(tmp, "upgrade.log")
    p = harness.start(cmd, log, env={"LEVY_START_ANSWER_AFTER_MS": "0"})
    answers, bad, during = watch_start(p, url, "0002_slow.sql")
    seen = [js for st, js in answers if st == 503 and migrating(js, "0002_slow.sql")]
    check("during the slow migration /healthz answers 503 migrating, naming plugin and step",
          bool(seen), ([a for a in answers][:6], harness.tail(log)))
    check("... with the CONTRACT's version and the progress: done 0 of total 1",
          bool(seen) and seen[0].get("version") and seen[0]["migration"].get("done") == 0 and
          seen[0]["migration"].get("total") == 1, seen[:1])
    check("every 503 while starting has Retry-After and a status of starting/migrating/failed",
          not bad, bad[:3])
    check("other requests were sent between two 'migrating' answers (the migration outlasted them)",
          during is not None, answers[:6])
    if during:
        st, js, text, h = during["hook"]
        err = (js or {}).get("error") or {}
        check("a webhook delivery during the migration: 503 starting + Retry-After (not acknowledged)",
              st == 503 and err.get("code") == "starting" and h.get("Retry-After"), (st, text[:300], h))
        check("... its message says the migrations are being applied, N of M",
              err.get("message") == "levy is applying store migrations (1 of 1); retry shortly", err)
        st, js, text, h = during["api"]
        check("an API request with the token during the migration: 503 starting + Retry-After",
              st == 503 and ((js or {}).get("error") or {}).get("code") == "starting" and
              h.get("Retry-After"), (st, text[:300]))
        st, js, text, h = during["page"]
        check("the web UI's page during the migration: 503, says levy is starting",
              st == 503 and "levy is starting" in text and "Applying store migrations" in text and
              h.get("Retry-After"), (st, text[:300]))
    last = answers[-1] if answers else (0, {})
    check("then /healthz turns 200 ok with generation 1",
          last[0] == 200 and last[1].get("status") == "ok" and last[1].get("generation") == 1,
          (last, harness.tail(log)))
    text = harness.tail(log, 200000)
    i, j = text.find("starting: answering 503 on http://127.0.0.1:%d" % port), text.find("listening on")
    check("the log says levy answers 503 while starting, before 'listening on'", 0 <= i < j, text[-1500:])
    check("... and logs the upgrade's migration at INFO, before and after",
          "INFO  [store] applying slowmig migration 0002_slow.sql (1 of 1)" in text and
          "INFO  [store] applied slowmig migration 0002_slow.sql in " in text, text[-1500:])
    st, _, mtext, _ = harness.req("GET", url + "/metrics", headers={"Authorization": "Bearer " + TOKEN})
    n503 = sum(1 for s, _ in answers if s == 503) + (3 if during else 0)
    line = [ln for ln in mtext.splitlines()
            if ln.startswith('levy_http_requests_total{route="starting",status="503"}')]
    check("/metrics counts the answers given while starting (route=\"starting\")",
          st == 200 and line and int(line[0].split()[-1]) >= n503, (line, n503))
    harness.stop(p)
    check("... and levy stops cleanly", p.returncode == 0, p.returncode)
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    try:
        rec = db.execute("SELECT count(*) FROM schema_migrations WHERE plugin='slowmig' AND version=2").fetchone()[0]
        marks = db.execute("SELECT n FROM slowmig_marks").fetchall()
    finally:
        db.close()
    check("the slow migration is recorded and its write is there", rec == 1 and marks == [(2,)], (rec, marks))

    # ---- a start shorter than LEVY_START_ANSWER_AFTER_MS: connections wait, never a 503 ----
    # (the default hold, 5 s, made long here so the slow migration is surely inside it): a
    # client that connects while levy starts and sends at once gets its real answer
    write(os.path.join(plugins, "slowmig", "migrations", "0003_held.sql"), SLOW.replace("(2)", "(3)"))
    log = os.path.join(tmp, "held.log")
    p = harness.start(cmd, log, env={"LEVY_START_ANSWER_AFTER_MS": "600000"})
    first = (0, None, "", {})
    end = time.time() + 240
    while time.time() < end and p.poll() is None:
        first = harness.req("GET", url + "/healthz", timeout=240)
        if first[0]:
            break
        time.sleep(0.02)
    check("a request sent while levy starts (within the hold) gets the ready answer: 200 ok, not 503",
          first[0] == 200 and (first[1] or {}).get("status") == "ok", (first[:3], harness.tail(log)))
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    try:
        rec = db.execute("SELECT count(*) FROM schema_migrations WHERE plugin='slowmig' AND version=3").fetchone()[0]
    finally:
        db.close()
    check("... and the slow migration ran in that start", rec == 1, rec)
    text = harness.tail(log, 200000)
    check("... the log does not say levy answered 503", "answering 503" not in text, text[-1500:])
    harness.stop(p)

    # ---- a migration that fails: /healthz says so, levy exits 1 as before ------------------
    write(os.path.join(plugins, "slowmig", "migrations", "0004_fail.sql"), FAILING)
    log = os.path.join(tmp, "fail.log")
    p = harness.start(cmd, log, env={"LEVY_START_ANSWER_AFTER_MS": "0"})
    answers, bad, _ = watch_start(p, url, "0004_fail.sql")
    try:
        rc = p.wait(timeout=120)
    except Exception:
        rc = None
    seen = [js for st, js in answers if st == 503 and migrating(js, "0004_fail.sql")]
    check("a failing migration: /healthz said migrating with its step first", bool(seen),
          (answers[:6], harness.tail(log)))
    failed = [js for st, js in answers if st == 503 and js.get("status") == "failed"]
    check("... any 'failed' answer names the error and the migration",
          all(js.get("error") == "migration_failed" and (js.get("migration") or {}).get("step") == "0004_fail.sql"
              for js in failed), failed[:2])
    check("... never 200", not any(st == 200 for st, _ in answers), answers[-3:])
    check("... every 503 has Retry-After and a status of starting/migrating/failed", not bad, bad[:3])
    text = harness.tail(log, 200000)
    check("... levy exits 1", rc == 1, (rc, text[-1500:]))
    check("... with the messages it always gave (the statement's error, 'not starting')",
          "slowmig: 0004_fail.sql: no such table: slowmig_no_such_table" in text and
          "levy: cannot load plugins/scripts; not starting" in text, text[-1500:])
    db = sqlite3.connect(os.path.join(data, "levy.db"))
    try:
        rec = db.execute("SELECT count(*) FROM schema_migrations WHERE plugin='slowmig' AND version=4").fetchone()[0]
    finally:
        db.close()
    check("... and the failed migration is not recorded (rolled back)", rec == 0, rec)
    print("(failed answers seen: %d of %d)" % (len(failed), len(answers)))


if __name__ == "__main__":
    harness.run_main(main)
