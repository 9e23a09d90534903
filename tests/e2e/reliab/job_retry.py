#!/usr/bin/env python3
"""Issue 20 (jobs20): a background job that gave up (state dead) can be retried through the API.

Usage: job_retry.py LEVY_BINARY SOURCE_DIR [BASE_PORT=31400]

levy serve + levy sim, connected and quiet. Jobs as the runner leaves them after their last
try are written into the store (SQLite beside the running levy, or PostgreSQL through psql
when run by tests/pg/run_on_pg.py): Rillet sweeps of the connection that died of a 503. Checks:
  * POST /admin/jobs/{id}/retry: 404 for an unknown id, 409 for a job that is not dead (a done
    one), 405 for GET (Allow: POST), 401 without the token, each with {"error":{code,message}};
  * a dead sweep retried: 200 naming it as the queued job; in the store it is queued with
    0 attempts and the error it died of kept ("retried by hand after 8 attempts: ..."); the
    runner then runs it to done (the work happened) and GET /admin/generation no longer counts it;
  * a dead job whose (kind, key) has a job queued meanwhile: the queued one carries the work
    (superseded), the dead one is done;
  * POST /admin/jobs/retry?kind=...: only that kind's dead jobs; POST /admin/jobs/retry: every
    dead job of the last 7 days, none older; an unknown parameter is 422; afterwards
    /admin/generation dead_jobs.total is 0 and the retried sweeps ran to done.
"""
import json
import sys
import time

import common
import harness
from common import check

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 31400
DAY_MS = 86400 * 1000


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-jobretry-", BASE_PORT, invoices=6)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def put_job(env, jid, kind, key, payload, state, updated_ms, attempts=8, error="Rillet answered 503",
            run_at=None):
    now = int(time.time() * 1000)
    c = harness.store(env.levy_dir, readonly=False)
    try:
        c.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, "
                  "created_at, updated_at, last_error) VALUES (?, ?, ?, ?, ?, ?, 8, ?, ?, ?, ?)",
                  (jid, kind, key, json.dumps(payload), state, attempts, now - DAY_MS if run_at is None else run_at,
                   updated_ms - 60000,
                   updated_ms, error))
        if not harness.PG_URL:
            c.commit()
    finally:
        c.close()


def job(env, jid):
    c = harness.store(env.levy_dir)
    try:
        return c.execute("SELECT state, attempts, last_error FROM jobs WHERE id = ?", (jid,)).fetchone()
    finally:
        c.close()


def dead_total(env):
    st, g, _, _ = env.L("GET", "/admin/generation")
    return g["dead_jobs"]["total"] if st == 200 else None


def is_error(js, code):
    return isinstance(js, dict) and isinstance(js.get("error"), dict) and js["error"].get("code") == code \
        and bool(js["error"].get("message"))


def run(env):
    env.connect()
    check("levy and the simulator are quiet", common.wait_quiet(env, 300))
    now = int(time.time() * 1000)
    sweep = {"connection_id": env.cid}
    put_job(env, "job_jobs20deadaaaaaaaaaaaaaaa", "rillet.sweep", None, sweep, "dead", now)
    put_job(env, "job_jobs20donebbbbbbbbbbbbbbb", "rillet.sweep", None, sweep, "done", now, attempts=1, error=None)
    check("GET /admin/generation counts the dead job", dead_total(env) == 1, dead_total(env))

    st, js, text, _ = env.L("POST", "/admin/jobs/job_nosuchjobccccccccccccccccc/retry", {})
    check("an unknown id: 404 not_found", st == 404 and is_error(js, "not_found"), "%s %s" % (st, text))
    st, js, text, _ = env.L("POST", "/admin/jobs/job_jobs20donebbbbbbbbbbbbbbb/retry", {})
    check("a job that is not dead (done): 409 conflict", st == 409 and is_error(js, "conflict")
          and "done" in js["error"]["message"], "%s %s" % (st, text))
    st, js, text, hd = env.L("GET", "/admin/jobs/job_jobs20deadaaaaaaaaaaaaaaa/retry")
    check("GET: 405 method_not_allowed, Allow: POST", st == 405 and is_error(js, "method_not_allowed")
          and hd.get("Allow") == "POST", "%s %s" % (st, text))
    st, js, text, _ = harness.req("POST", env.levy_url + "/admin/jobs/job_jobs20deadaaaaaaaaaaaaaaa/retry", {}, {})
    check("without the token: 401", st == 401 and is_error(js, "unauthorized"), "%s %s" % (st, text))
    check("the refused calls left the dead job dead", (job(env, "job_jobs20deadaaaaaaaaaaaaaaa") or [None])[0] == "dead")

    st, js, text, _ = env.L("POST", "/admin/jobs/job_jobs20deadaaaaaaaaaaaaaaa/retry", {})
    check("a dead job retried: 200, queued as itself", st == 200 and js.get("queued") == "job_jobs20deadaaaaaaaaaaaaaaa"
          and js.get("superseded") is False, "%s %s" % (st, text))
    row = job(env, "job_jobs20deadaaaaaaaaaaaaaaa")
    check("in the store: queued (or already running/done), history kept in last_error",
          row and row[0] in ("queued", "running", "done")
          and (row[0] != "queued" or row[1] == 0) and row[2] and "retried by hand after 8 attempts" in row[2]
          and "Rillet answered 503" in row[2], row)
    done = common.wait_for(lambda: (job(env, "job_jobs20deadaaaaaaaaaaaaaaa") or [None])[0] == "done", 120)
    check("the runner runs the retried job to done", done, job(env, "job_jobs20deadaaaaaaaaaaaaaaa"))
    check("GET /admin/generation: nothing dead any more", dead_total(env) == 0, dead_total(env))
    st, js, text, _ = env.L("POST", "/admin/jobs/job_jobs20deadaaaaaaaaaaaaaaa/retry", {})
    check("retried again once done: 409", st == 409 and is_error(js, "conflict"), "%s %s" % (st, text))

    # a dead keyed job whose key has a queued successor: the successor carries the work
    key = "jobs20-key"
    # due in a day, so the runner does not take it before the retry
    put_job(env, "job_jobs20keyqueuedddddddddddd", "rillet.sweep", key, sweep, "queued", now, attempts=0,
            error=None, run_at=now + DAY_MS)
    put_job(env, "job_jobs20keydeadeeeeeeeeeeeee", "rillet.sweep", key, sweep, "dead", now)
    st, js, text, _ = env.L("POST", "/admin/jobs/job_jobs20keydeadeeeeeeeeeeeee/retry", {})
    check("a dead job with a queued successor: 200, superseded by it",
          st == 200 and js.get("queued") == "job_jobs20keyqueuedddddddddddd" and js.get("superseded") is True,
          "%s %s" % (st, text))
    row = job(env, "job_jobs20keydeadeeeeeeeeeeeee")
    check("the dead one is done (superseded)", row and row[0] == "done" and "superseded by job_jobs20keyqueued" in row[2], row)
    ran = common.wait_for(lambda: (job(env, "job_jobs20keyqueuedddddddddddd") or [None])[0] == "done", 120)
    check("the successor was pulled forward and ran to done", ran, job(env, "job_jobs20keyqueuedddddddddddd"))

    # retry all: by kind, then every dead job of the last 7 days (not an older one)
    put_job(env, "job_jobs20allsweepffffffffffff", "rillet.sweep", None, sweep, "dead", now)
    put_job(env, "job_jobs20allsweepgggggggggggg", "rillet.sweep", None, sweep, "dead", now - DAY_MS)
    put_job(env, "job_jobs20allnokindhhhhhhhhhhh", "jobs20.no_such_kind", None, {}, "dead", now)
    put_job(env, "job_jobs20oldiiiiiiiiiiiiiiiiii", "rillet.sweep", None, sweep, "dead", now - 8 * DAY_MS)
    check("GET /admin/generation counts 3 dead (the 8-day-old one not)", dead_total(env) == 3, dead_total(env))
    st, js, text, _ = env.L("POST", "/admin/jobs/retry?days=1", {})
    check("retry all with an unknown parameter: 422", st == 422 and is_error(js, "invalid_parameter"), "%s %s" % (st, text))
    st, js, text, _ = env.L("POST", "/admin/jobs/retry?kind=rillet.sweep", {})
    check("retry all of kind rillet.sweep: 2 retried", st == 200 and js.get("retried") == 2 and js.get("kind") == "rillet.sweep",
          "%s %s" % (st, text))
    check("the other kind's dead job is still dead", (job(env, "job_jobs20allnokindhhhhhhhhhhh") or [None])[0] == "dead")
    st, js, text, _ = env.L("POST", "/admin/jobs/retry", {})
    check("retry all: the remaining one", st == 200 and js.get("retried") == 1 and js.get("kind") is None, "%s %s" % (st, text))
    check("the 8-day-old dead job is left alone", (job(env, "job_jobs20oldiiiiiiiiiiiiiiiiii") or [None])[0] == "dead")
    both = common.wait_for(lambda: all((job(env, j) or [None])[0] == "done" for j in
                                       ("job_jobs20allsweepffffffffffff", "job_jobs20allsweepgggggggggggg")), 120)
    check("the retried sweeps ran to done", both)
    # a kind no plugin of this generation handles is queued again all the same (0 attempts): it
    # waits for a generation that runs it, as any job of that kind would
    row = job(env, "job_jobs20allnokindhhhhhhhhhhh")
    check("the other kind's job is queued with fresh attempts", row and row[0] == "queued" and row[1] == 0, row)
    check("GET /admin/generation: dead_jobs.total 0 after retry all", dead_total(env) == 0, dead_total(env))

if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # running() prints it but its exit status was lost
