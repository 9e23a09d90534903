/* The store's writer thread (core/store/writer.h, issue 21): units commit in groups, a
 * failing unit fails alone, stop_if_none ends a unit, a job step enqueues, a stop drains the
 * queue, and a write lock held by another connection fails the unit with LEVY_EBUSY instead
 * of hanging. No timing is asserted: completions are waited for by polling the pipe. */
#include <poll.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "store/audit.h"
#include "store/jobs.h"
#include "store/store.h"
#include "store/writer.h"
#include "writer_units.h"

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/levy-writer-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/levy.db", dir);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static int64_t one_int(levy_store *st, const char *sql)
{
    levy_stmt *s = NULL;
    int64_t v = -1;
    if (levy_store_prepare(st, sql, &s, NULL, NULL) == LEVY_OK &&
        levy_stmt_step(s, NULL) == LEVY_STMT_ROW)
        v = levy_stmt_column_int64(s, 0);
    levy_stmt_finalize(s);
    return v;
}

/* A unit inserting (id, v) into t; v NULL when v_null. */
static levy_wunit *insert_unit(int64_t id, int v_null)
{
    levy_wunit *u = levy_wunit_new(1);
    u->steps[0].kind = LEVY_WSTEP_SQL;
    u->steps[0].sql = strdup("INSERT INTO t(id, v) VALUES (?, ?)");
    u->steps[0].nparams = 2;
    u->steps[0].params = calloc(2, sizeof(levy_wparam));
    u->steps[0].params[0].type = LEVY_WPARAM_INT;
    u->steps[0].params[0].i = id;
    if (!v_null)
        levy_wparam_text(&u->steps[0].params[1], "x", 1);
    u->done = on_done;
    return u;
}

static levy_store *open_main(void)
{
    levy_store *st = NULL;
    levy_err err = {0};
    if (levy_store_open(&st, path, 0, &err) != LEVY_OK)
        return NULL;
    if (levy_store_exec(st, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)", &err))
        return NULL;
    return st;
}

static void t_group_isolation(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_writer_start(&w, path, 250, &err), LEVY_OK);
    /* 200 units, every 10th one fails (NOT NULL): only those fail */
    for (int i = 1; i <= 200; i++)
        CHECK_EQ_INT(levy_writer_submit(w, insert_unit(i, i % 10 == 0), &err), LEVY_OK);
    wait_done(w, 200);
    int failed = 0;
    for (int i = 0; i < ndone; i++) {
        levy_wunit *u = done_units[i];
        int64_t id = u->steps[0].params[0].i;
        if (id % 10 == 0) {
            CHECK_EQ_INT(u->rc, LEVY_ECONFLICT);
            failed++;
        } else {
            CHECK_EQ_INT(u->rc, LEVY_OK);
            CHECK_EQ_INT(u->steps[0].changes, 1);
        }
    }
    CHECK_EQ_INT(failed, 20);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 180);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t WHERE id % 10 = 0"), 0);
    uint64_t units, groups;
    levy_writer_counts(w, &units, &groups);
    CHECK(groups >= 1 && groups <= units); /* how many groups depends on the scheduler */
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

static void t_stop_if_none_and_job(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_writer_start(&w, path, 250, &err), LEVY_OK);
    for (int round = 0; round < 2; round++) {
        levy_wunit *u = levy_wunit_new(3);
        u->steps[0].kind = LEVY_WSTEP_SQL;
        u->steps[0].sql = strdup("INSERT INTO t(id, v) VALUES (7, 'a') ON CONFLICT DO NOTHING");
        u->steps[0].flags = LEVY_WSTEP_STOP_IF_NONE;
        u->steps[1].kind = LEVY_WSTEP_SQL;
        u->steps[1].sql = strdup("UPDATE t SET v = v || 'b' WHERE id = 7");
        u->steps[2].kind = LEVY_WSTEP_JOB;
        u->steps[2].job_kind = strdup("test.kind");
        u->steps[2].job_key = strdup("k1");
        u->steps[2].job_payload = strdup("{\"n\":1}");
        u->done = on_done;
        CHECK_EQ_INT(levy_writer_submit(w, u, &err), LEVY_OK);
        wait_done(w, round + 1);
    }
    CHECK_EQ_INT(done_units[0]->rc, LEVY_OK);
    CHECK_EQ_INT(done_units[0]->stopped, 0);
    CHECK_EQ_INT(done_units[0]->jobs, 1);
    CHECK(strncmp(done_units[0]->steps[2].job_id, "job_", 4) == 0);
    CHECK_EQ_INT(done_units[1]->rc, LEVY_OK);
    CHECK_EQ_INT(done_units[1]->stopped, 1); /* the row was there: the rest was skipped */
    CHECK_EQ_INT(done_units[1]->steps[1].ran, 0);
    CHECK_EQ_INT(one_int(st, "SELECT length(v) FROM t WHERE id = 7"), 2); /* "ab", once */
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM jobs WHERE kind = 'test.kind'"), 1);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* levy_writer_stop right after submitting: every queued unit is committed and completed. */
static void t_stop_drains(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_writer_start(&w, path, 250, &err), LEVY_OK);
    for (int i = 1; i <= 300; i++)
        CHECK_EQ_INT(levy_writer_submit(w, insert_unit(i, 0), &err), LEVY_OK);
    levy_writer_stop(w);
    w = NULL;
    CHECK_EQ_INT(ndone, 300);
    for (int i = 0; i < ndone; i++)
        CHECK_EQ_INT(done_units[i]->rc, LEVY_OK);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 300);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* Another connection (as another process would) holds BEGIN IMMEDIATE: the unit fails with
 * LEVY_EBUSY once the group's budget is spent (not after SQLite's 5 s, not never), and the
 * next unit commits once the lock is released. */
static void t_busy(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *other = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_store_connect(&other, path, 0, &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&w, path, 50, &err), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(other, "BEGIN IMMEDIATE", &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, insert_unit(1, 0), &err), LEVY_OK);
    wait_done(w, 1);
    CHECK_EQ_INT(done_units[0]->rc, LEVY_EBUSY);
    CHECK_EQ_INT(done_units[0]->state, LEVY_STORE_STATE_BUSY);
    CHECK_EQ_INT(done_units[0]->code & 0xff, SQLITE_BUSY);
    CHECK_EQ_INT(levy_store_exec(other, "ROLLBACK", &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, insert_unit(2, 0), &err), LEVY_OK);
    wait_done(w, 2);
    CHECK_EQ_INT(done_units[1]->rc, LEVY_OK);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 1);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(other);
    levy_store_close(st);
    teardown();
}

/* A unit's failure carries what it says about the store, not what an earlier one said: after
 * a busy group, a unit failing for a reason of its own (a job kind too long) has the state
 * OK, so the loop's store is not marked busy again for it. */
static void t_failure_state_fresh(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *other = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_store_connect(&other, path, 0, &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&w, path, 50, &err), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(other, "BEGIN IMMEDIATE", &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, insert_unit(1, 0), &err), LEVY_OK);
    wait_done(w, 1);
    CHECK_EQ_INT(done_units[0]->state, LEVY_STORE_STATE_BUSY);
    CHECK_EQ_INT(levy_store_exec(other, "ROLLBACK", &err), LEVY_OK);
    levy_wunit *u = levy_wunit_new(1);
    char kind[200];
    memset(kind, 'k', sizeof kind - 1);
    kind[sizeof kind - 1] = 0;
    u->steps[0].kind = LEVY_WSTEP_JOB;
    u->steps[0].job_kind = strdup(kind);
    u->done = on_done;
    CHECK_EQ_INT(levy_writer_submit(w, u, &err), LEVY_OK);
    wait_done(w, 2);
    CHECK_EQ_INT(done_units[1]->rc, LEVY_EINVAL);
    CHECK_EQ_INT(done_units[1]->state, LEVY_STORE_STATE_OK);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(other);
    levy_store_close(st);
    teardown();
}

/* The loop's own connection holds a transaction (a job committing many rows) for longer than
 * the writer's budget: the writer waits for it (its sibling), the unit commits after it. */
static void t_waits_for_loop(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    levy_store_set_busy_budget(st, 50);
    CHECK_EQ_INT(levy_writer_start(&w, path, 50, &err), LEVY_OK);
    levy_writer_watch_store(w, st);
    CHECK_EQ_INT(levy_store_begin(st, &err), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO t(id, v) VALUES (100, 'loop')", &err), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, insert_unit(1, 0), &err), LEVY_OK);
    struct timespec ts = {0, 300 * 1000000L}; /* six budgets: a unit that gave up has by now */
    nanosleep(&ts, NULL);
    CHECK_EQ_INT(levy_store_commit(st, &err), LEVY_OK);
    wait_done(w, 1);
    CHECK_EQ_INT(done_units[0]->rc, LEVY_OK);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 2);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* A unit inserting (id, 'x') into t and enqueueing the keyed job (kind, "c1"). */
static levy_wunit *job_unit(int64_t id, const char *kind)
{
    levy_wunit *u = levy_wunit_new(2);
    u->steps[0].kind = LEVY_WSTEP_SQL;
    u->steps[0].sql = strdup("INSERT INTO t(id, v) VALUES (?, 'x')");
    u->steps[0].nparams = 1;
    u->steps[0].params = calloc(1, sizeof(levy_wparam));
    u->steps[0].params[0].type = LEVY_WPARAM_INT;
    u->steps[0].params[0].i = id;
    u->steps[1].kind = LEVY_WSTEP_JOB;
    u->steps[1].job_kind = strdup(kind);
    u->steps[1].job_key = strdup("c1");
    u->steps[1].job_payload = strdup("{\"connection_id\":\"c1\"}");
    u->done = on_done;
    return u;
}

/* A group's units that enqueue the same keyed job (every delivery of a connection: its
 * process_inbox job) leave one queued job whose id every unit reports; the group enqueues it
 * once, before its COMMIT (writer.c deferred_jobs). A unit whose keyed job the enqueue would
 * refuse (a kind too long) fails alone, before the COMMIT, not its whole group. The units are
 * submitted while the loop's connection holds the write lock, so all but at most the first
 * share a group. */
static void t_keyed_job_once(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_writer_start(&w, path, 50, &err), LEVY_OK);
    levy_writer_watch_store(w, st);
    CHECK_EQ_INT(levy_store_begin(st, &err), LEVY_OK);
    char bad[200];
    memset(bad, 'k', sizeof bad - 1);
    bad[sizeof bad - 1] = 0;
    for (int i = 1; i <= 40; i++)
        CHECK_EQ_INT(levy_writer_submit(w, job_unit(i, i == 20 ? bad : "test.inbox"), &err),
                     LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &err), LEVY_OK);
    wait_done(w, 40);
    char id[LEVY_JOB_ID_MAX] = "";
    int ok = 0;
    for (int i = 0; i < ndone; i++) {
        levy_wunit *u = done_units[i];
        if (u->steps[0].params[0].i == 20) {
            CHECK_EQ_INT(u->rc, LEVY_EINVAL);
            continue;
        }
        CHECK_EQ_INT(u->rc, LEVY_OK);
        CHECK_EQ_INT(u->jobs, 1);
        CHECK(strncmp(u->steps[1].job_id, "job_", 4) == 0);
        if (!*id)
            snprintf(id, sizeof id, "%s", u->steps[1].job_id);
        CHECK(strcmp(u->steps[1].job_id, id) == 0);
        ok++;
    }
    CHECK_EQ_INT(ok, 39);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 39);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t WHERE id = 20"), 0);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM jobs WHERE kind = 'test.inbox' AND key = 'c1' "
                             "AND state = 'queued'"),
                 1);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM jobs"), 1);
    uint64_t units, groups;
    levy_writer_counts(w, &units, &groups);
    CHECK(groups <= 2);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* A unit inserting (id, a text of len bytes) into t. */
static levy_wunit *big_unit(int64_t id, size_t len)
{
    levy_wunit *u = insert_unit(id, 1);
    char *v = malloc(len);
    memset(v, 'x', len);
    levy_wparam_text(&u->steps[0].params[1], v, len);
    free(v);
    return u;
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Waits (up to ~20 s: the test's own bound, no timing asserted) until the checkpointer has
 * run more than `than` checkpoints. */
static uint64_t wait_checkpoints(levy_writer *w, uint64_t than)
{
    for (int i = 0; i < 2000 && levy_writer_checkpoints(w) <= than; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return levy_writer_checkpoints(w);
}

/* The checkpoints of the writer's commits, and of the watched (loop's) connection's, run on
 * the checkpointer thread, not inside the committing connection's COMMIT: the pages reach
 * the database file although neither committing connection checkpointed. */
static void t_checkpointer(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_writer_start(&w, path, 250, &err), LEVY_OK);
    levy_writer_watch_store(w, st);
    long before = file_size(path);
    /* 300 units of 16 KB: ~1,200 WAL frames of 4 KB, past the 1,000 that ask for one */
    for (int i = 1; i <= 300; i++)
        CHECK_EQ_INT(levy_writer_submit(w, big_unit(i, 16384), &err), LEVY_OK);
    wait_done(w, 300);
    for (int i = 0; i < ndone; i++)
        CHECK_EQ_INT(done_units[i]->rc, LEVY_OK);
    uint64_t n = wait_checkpoints(w, 0);
    CHECK(n >= 1);
    /* PASSIVE copied committed pages into the database file (nothing reads an older snapshot) */
    CHECK(file_size(path) > before + 1000000);
    /* the loop's own transaction (a job's) crossing the mark hands its checkpoint over too */
    levy_store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", &err); /* an empty WAL to start */
    CHECK_EQ_INT(levy_store_begin(st, &err), LEVY_OK);
    for (int i = 1000; i < 1300; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "INSERT INTO t(id, v) VALUES (%d, printf('%%16384s', ''))", i);
        CHECK_EQ_INT(levy_store_exec(st, sql, &err), LEVY_OK);
    }
    CHECK_EQ_INT(levy_store_commit(st, &err), LEVY_OK);
    CHECK(wait_checkpoints(w, n) > n);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 600);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* Without a writer (levy test, levy check): the same unit runs on the caller's connection. */
static void t_run_here(void)
{
    setup();
    levy_store *st = open_main();
    levy_wunit *ok = insert_unit(1, 0), *bad = insert_unit(2, 1);
    CHECK(st);
    CHECK_EQ_INT(levy_wunit_run(st, ok), LEVY_OK);
    CHECK_EQ_INT(ok->rc, LEVY_OK);
    CHECK_EQ_INT(levy_wunit_run(st, bad), LEVY_ECONFLICT);
    CHECK_EQ_INT(bad->rc, LEVY_ECONFLICT);
    CHECK_EQ_INT(bad->state, LEVY_STORE_STATE_OK); /* a constraint says nothing of the store */
    CHECK_EQ_INT(levy_store_depth(st), 0);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 1);
end:
    levy_wunit_free(ok);
    levy_wunit_free(bad);
    levy_store_close(st);
    teardown();
}

/* levy_audit_unit (a reload's audit row, written by the writer off the loop: h-reload23) is
 * the row levy_audit_insert writes: the same columns, the person read from the actor label,
 * NULL where no value was given; the writer thread commits it. */
static void t_audit_unit(void)
{
    setup();
    levy_store *st = open_main();
    levy_writer *w = NULL;
    levy_err err = {0};
    const char *ch = "{\"generation\":{\"after\":3,\"before\":2}}";
    levy_wunit *u = levy_audit_unit("named_token", "Alice's token", "rules.reloaded", "generation",
                                    NULL, "Rules and plugins", ch, NULL);
    CHECK(st && u);
    CHECK_EQ_INT(levy_writer_start(&w, path, 2000, &err), LEVY_OK);
    u->done = on_done;
    CHECK_EQ_INT(levy_writer_submit(w, u, &err), LEVY_OK);
    u = NULL;
    wait_done(w, 1);
    CHECK_EQ_INT(ndone, 1);
    CHECK_EQ_INT(done_units[0]->rc, LEVY_OK);
    CHECK_EQ_INT(levy_audit_insert(st, "named_token", "Alice's token", "rules.reloaded",
                                   "generation", NULL, "Rules and plugins", ch, NULL, &err),
                 LEVY_OK);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM audit_log"), 2);
    /* the two rows alike in every column but the id and the time */
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM (SELECT DISTINCT actor_kind, actor, action, "
                             "object_kind, object_id, object_label, changes, request_id, person "
                             "FROM audit_log)"),
                 1);
    CHECK_EQ_INT(one_int(st,
                         "SELECT count(*) FROM audit_log WHERE person = 'Alice' AND "
                         "object_id IS NULL AND request_id IS NULL AND at LIKE '____-__-__T%Z'"),
                 2);
end:
    levy_wunit_free(u);
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

/* The group's COMMIT fails (a deferred foreign key, checked only then): the unit fails with
 * the commit's error, none of its rows stay, and the writer's connection is back outside a
 * transaction, so the next unit commits. */
static void t_commit_fails(void)
{
    setup();
    levy_err err = {0};
    levy_writer *w = NULL;
    levy_store *st = open_main();
    CHECK(st);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(id "
                                 "INTEGER PRIMARY KEY, pid INTEGER REFERENCES p(id) DEFERRABLE "
                                 "INITIALLY DEFERRED)",
                                 &err),
                 LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&w, path, 250, &err), LEVY_OK);
    levy_wunit *u = levy_wunit_new(2);
    u->steps[0].kind = LEVY_WSTEP_SQL;
    u->steps[0].sql = strdup("INSERT INTO t(id, v) VALUES (1, 'x')");
    u->steps[1].kind = LEVY_WSTEP_SQL;
    u->steps[1].sql = strdup("INSERT INTO c(id, pid) VALUES (1, 99)"); /* no parent 99 */
    u->done = on_done;
    CHECK_EQ_INT(levy_writer_submit(w, u, &err), LEVY_OK);
    wait_done(w, 1);
    CHECK_EQ_INT(done_units[0]->steps[1].ran, 1); /* the step ran: the commit refused it */
    CHECK_EQ_INT(done_units[0]->rc, LEVY_ECONFLICT);
    CHECK(strstr(done_units[0]->err.message, "FOREIGN KEY") != NULL);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 0);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM c"), 0);
    CHECK_EQ_INT(levy_writer_submit(w, insert_unit(2, 0), &err), LEVY_OK);
    wait_done(w, 2);
    CHECK_EQ_INT(done_units[1]->rc, LEVY_OK);
    CHECK_EQ_INT(one_int(st, "SELECT count(*) FROM t"), 1);
end:
    free_done();
    levy_writer_stop(w);
    levy_store_close(st);
    teardown();
}

static const levy_test tests[] = {{"group_isolation", t_group_isolation},
                                  {"commit_fails", t_commit_fails},
                                  {"stop_if_none_and_job", t_stop_if_none_and_job},
                                  {"stop_drains", t_stop_drains},
                                  {"busy", t_busy},
                                  {"failure_state_fresh", t_failure_state_fresh},
                                  {"waits_for_loop", t_waits_for_loop},
                                  {"keyed_job_once", t_keyed_job_once},
                                  {"run_here", t_run_here},
                                  {"checkpointer", t_checkpointer},
                                  {"audit_unit", t_audit_unit},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
