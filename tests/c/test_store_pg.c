/* The PostgreSQL store engine (core/store/pg.c) against a real throwaway cluster
 * (tests/pg/cluster.sh; skipped when no PostgreSQL server binaries are installed): value
 * types, placeholders, transactions with a failed statement inside, migrations from
 * migrations/postgres/, job claims across two connections (SKIP LOCKED, the lease), an
 * unreachable server and its return, the URL's password kept out of the store's name, a
 * store.durable unit (core/store/writer.h) run on the caller's connection, and the writer
 * thread's group commit on its own connection (one writer, and two racing on the same ids).
 * Ports 24940-24949 (run in `unshare -n`). */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "gen.h"
#include "harness.h"
#include "host/host.h"
#include "log.h"
#include "store/jobs.h"
#include "store/store.h"
#include "store/writer.h"
#include "core_migrations.h"
#include "writer_units.h"
#include <string.h>

#include <event2/event.h>

static char dir[64], url[600], password[64];
static int have_pg = -1;

static int port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int cluster(const char *cmd, int port)
{
    char line[256];
    /* the cluster's watchdog follows this process (LEVY_PG_OWNER), not popen's shell, which
     * exits at once: it would stop the cluster as soon as it started */
    snprintf(line, sizeof line, "LEVY_PG_OWNER=%d sh tests/pg/cluster.sh %s %s/c %d 2>&1",
             (int)getpid(), cmd, dir, port);
    if (port < 0)
        snprintf(line, sizeof line, "LEVY_PG_OWNER=%d sh tests/pg/cluster.sh %s %s/c 2>&1",
                 (int)getpid(), cmd, dir);
    FILE *p = popen(line, "r");
    if (!p)
        return -1;
    char out[512] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int rc = pclose(p);
    if (rc == 0 && strcmp(cmd, "start") == 0) {
        out[strcspn(out, "\n")] = 0;
        /* A generous connect_timeout (the URL's wins over levy's 5 s): under valgrind on a
         * loaded machine the client's SCRAM exchange alone can take seconds, and a CI run beside
         * a CPU hog failed open_pg with "timeout expired". A stopped server is still refused at
         * once (t_unreachable), so no test waits on this. */
        snprintf(url, sizeof url, "%s?connect_timeout=120", out);
    } else if (rc != 0) {
        fprintf(stderr, "cluster.sh %s: %s\n", cmd, out);
    }
    return rc;
}

static int the_port;

static void stop_cluster(void)
{
    cluster("stop", -1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

/* 1: a cluster runs (url set); 0: no PostgreSQL here (the tests pass as skipped). */
static int pg(void)
{
    if (have_pg >= 0)
        return have_pg;
    have_pg = 0;
    if (system("command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb "
               ">/dev/null 2>&1") != 0) {
        fprintf(stderr, "skip: no PostgreSQL server binaries (Debian package postgresql)\n");
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/levy-pgtest-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    for (int port = 24940; port < 24950 && !have_pg; port++) {
        if (!port_free(port))
            continue;
        if (cluster("start", port) == 0) {
            have_pg = 1;
            the_port = port;
        }
    }
    if (!have_pg) {
        fprintf(stderr, "no cluster could start on ports 24940-24949\n");
        abort();
    }
    char pf[128];
    snprintf(pf, sizeof pf, "%s/c/password", dir);
    FILE *f = fopen(pf, "r");
    if (!f || !fgets(password, sizeof password, f))
        abort();
    fclose(f);
    password[strcspn(password, "\n")] = 0;
    atexit(stop_cluster);
    return 1;
}

static levy_store *open_pg(void)
{
    levy_store *st = NULL;
    levy_err e = {0};
    if (levy_store_open(&st, url, 0, &e) != LEVY_OK) {
        fprintf(stderr, "open: %s\n", e.message);
        return NULL;
    }
    return st;
}

static void t_values(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_stmt *s = NULL;
    levy_err e = {0};
    CHECK(st != NULL);
    CHECK_EQ_INT(levy_store_engine(st), LEVY_STORE_POSTGRES);
    CHECK(strstr(levy_store_path(st), ":***@") != NULL);
    CHECK(strstr(levy_store_path(st), password) == NULL);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS t; CREATE TABLE t(id BIGINT PRIMARY KEY, "
                                 "s TEXT, b BOOLEAN, n NUMERIC)",
                                 &e),
                 LEVY_OK);
    s = levy_store_prepare_cached(st, "INSERT INTO t(id, s, b, n) VALUES (?, ?, ?, ?)", &e);
    CHECK(s != NULL);
    CHECK_EQ_INT(levy_stmt_param_count(s), 4);
    CHECK_EQ_INT(levy_stmt_readonly(s), 0);
    levy_stmt_bind_int64(s, 1, 1);
    levy_stmt_bind_text(s, 2, "it's ?", -1);
    levy_stmt_bind_int64(s, 3, 1);
    levy_stmt_bind_text(s, 4, "1.50", -1);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_changes(st), 1);
    levy_stmt_reset(s);
    levy_stmt_bind_int64(s, 1, 2);
    levy_stmt_bind_null(s, 2);
    levy_stmt_bind_int64(s, 3, 0);
    levy_stmt_bind_text(s, 4, "7", -1);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_store_release(st, s);
    /* placeholders inside literals stay; numbered ones map; types as docs/plugins.md says */
    s = levy_store_prepare_cached(st,
                                  "SELECT sum(id) AS total, '?' AS q, max(s) AS s, bool_or(b) AS "
                                  "b, min(n) AS one, max(n) AS seven, NULL AS z FROM t WHERE id "
                                  "<= ?2 AND id >= ?1",
                                  &e);
    CHECK(s != NULL);
    CHECK_EQ_INT(levy_stmt_param_count(s), 2);
    CHECK_EQ_INT(levy_stmt_readonly(s), 1);
    levy_stmt_bind_int64(s, 1, 1);
    levy_stmt_bind_int64(s, 2, 2);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_STR(levy_stmt_column_name(s, 0), "total");
    CHECK_EQ_INT(levy_stmt_column_type(s, 0), LEVY_COL_INT); /* numeric sum of bigints */
    CHECK_EQ_INT(levy_stmt_column_int64(s, 0), 3);
    CHECK_EQ_STR(levy_stmt_column_text(s, 1), "?");
    CHECK_EQ_STR(levy_stmt_column_text(s, 2), "it's ?");
    CHECK_EQ_INT(levy_stmt_column_type(s, 3), LEVY_COL_INT); /* boolean → 1/0 */
    CHECK_EQ_INT(levy_stmt_column_int64(s, 3), 1);
    CHECK_EQ_INT(levy_stmt_column_type(s, 4), LEVY_COL_TEXT); /* never a float */
    CHECK_EQ_STR(levy_stmt_column_text(s, 4), "1.50");
    CHECK_EQ_INT(levy_stmt_column_type(s, 5), LEVY_COL_INT);
    CHECK_EQ_INT(levy_stmt_column_type(s, 6), LEVY_COL_NULL);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_store_release(st, s);
    /* a parameter whose type only its value tells (SQLSTATE 42P18, sent again typed) */
    s = levy_store_prepare_cached(st, "SELECT count(*) FROM t WHERE ? IS NULL OR s = ?1", &e);
    CHECK(s != NULL);
    levy_stmt_bind_null(s, 1);
    int r42 = levy_stmt_step(s, &e);
    if (r42 != LEVY_STMT_ROW)
        fprintf(stderr, "%s\n", e.message);
    CHECK_EQ_INT(r42, LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_int64(s, 0), 2);
    levy_store_release(st, s);
    s = levy_store_prepare_cached(
        st, "WITH x AS (DELETE FROM t WHERE id = 99 RETURNING id) SELECT count(*) FROM x", &e);
    CHECK(s != NULL);
    CHECK_EQ_INT(levy_stmt_readonly(s), 0);
    levy_store_release(st, s);
    s = NULL;
    CHECK(levy_store_prepare_cached(st, "SELECT 1; SELECT 2", &e) == NULL);
    CHECK_EQ_STR(e.code, "sql");
    CHECK_EQ_INT(levy_store_exec(st, "SELEC 1", &e), LEVY_EINVAL);
    CHECK_EQ_STR(e.code, "sql");
end:
    levy_store_close(st);
}

static void t_transactions(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_stmt *s = NULL;
    levy_err e = {0};
    CHECK(st != NULL);
    CHECK_EQ_INT(
        levy_store_exec(st, "DROP TABLE IF EXISTS u; CREATE TABLE u(id BIGINT PRIMARY KEY)", &e),
        LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    s = levy_store_prepare_cached(st, "INSERT INTO u(id) VALUES (?)", &e);
    CHECK(s != NULL);
    levy_stmt_bind_int64(s, 1, 1);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_stmt_reset(s);
    /* issue 22: a statement inside a transaction, its own savepoint included, is one round
     * trip (SAVEPOINT, statement and RELEASE pipelined), not three */
    int64_t trips = levy_store_round_trips(st);
    levy_stmt_bind_int64(s, 1, 10);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_round_trips(st) - trips, 1);
    CHECK_EQ_INT(levy_store_changes(st), 1);
    levy_stmt_reset(s);
    trips = levy_store_round_trips(st);
    levy_stmt_bind_int64(s, 1, 1); /* a duplicate: the statement fails, the transaction lives */
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_ECONFLICT);
    CHECK_EQ_STR(e.code, "constraint");
    /* the statement, then the rollback to its savepoint */
    CHECK_EQ_INT(levy_store_round_trips(st) - trips, 2);
    levy_stmt_reset(s);
    levy_stmt_bind_int64(s, 1, 2);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_stmt_reset(s);
    /* a failed statement (a type error) inside the transaction leaves it usable as well */
    {
        levy_stmt *q = levy_store_prepare_cached(st, "SELECT 1 / (count(*) - count(*)) FROM u", &e);
        CHECK(q != NULL);
        CHECK_EQ_INT(levy_stmt_step(q, &e), LEVY_EINVAL);
        levy_store_release(st, q);
    }
    levy_stmt_bind_int64(s, 1, 11);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_stmt_reset(s);
    {
        /* 42P18 inside a transaction: sent again typed under a fresh savepoint */
        levy_stmt *q = levy_store_prepare_cached(st, "SELECT count(*) FROM u WHERE ? IS NULL", &e);
        CHECK(q != NULL);
        levy_stmt_bind_null(q, 1);
        CHECK_EQ_INT(levy_stmt_step(q, &e), LEVY_STMT_ROW);
        CHECK_EQ_INT(levy_stmt_column_int64(q, 0), 4);
        levy_store_release(st, q);
    }
    levy_stmt_bind_int64(s, 1, 12);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_OK);
    levy_store_release(st, s);
    s = NULL;
    /* nested: a savepoint rolled back keeps the outer work */
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO u(id) VALUES (3)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_rollback(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_depth(st), 1);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_depth(st), 0);
    s = levy_store_prepare_cached(st, "SELECT count(*), sum(id) FROM u", &e);
    CHECK(s != NULL);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_int64(s, 0), 5);
    CHECK_EQ_INT(levy_stmt_column_int64(s, 1), 36);
end:
    levy_store_release(st, s);
    levy_store_close(st);
}

static int64_t pg_int(levy_store *st, const char *sql);

/* levy_store_begin_replayable on PostgreSQL (issue 21): its transaction commits
 * asynchronously (synchronous_commit off inside it), the session's setting is back after it;
 * nested in a transaction it is a savepoint that changes nothing. */
static void t_replayable(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_err e = {0};
    char v[32];
    CHECK(st != NULL);
    CHECK_EQ_INT(
        levy_store_exec(st, "DROP TABLE IF EXISTS r; CREATE TABLE r(id BIGINT PRIMARY KEY)", &e),
        LEVY_OK);
    /* the test cluster runs with synchronous_commit off (tests/pg/cluster.sh): levy's
     * production setting is the server's default, on */
    CHECK_EQ_INT(levy_store_exec(st, "SET synchronous_commit = on", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_query_text(st, "SHOW synchronous_commit", NULL, v, sizeof v, &e),
                 LEVY_OK);
    CHECK_EQ_STR(v, "on");
    CHECK_EQ_INT(levy_store_begin_replayable(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO r VALUES (1)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_query_text(st, "SHOW synchronous_commit", NULL, v, sizeof v, &e),
                 LEVY_OK);
    CHECK_EQ_STR(v, "off");
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_query_text(st, "SHOW synchronous_commit", NULL, v, sizeof v, &e),
                 LEVY_OK);
    CHECK_EQ_STR(v, "on");
    CHECK_EQ_INT(levy_store_query_text(st, "SELECT count(*) FROM r", NULL, v, sizeof v, &e),
                 LEVY_OK);
    CHECK_EQ_STR(v, "1");
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin_replayable(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_query_text(st, "SHOW synchronous_commit", NULL, v, sizeof v, &e),
                 LEVY_OK);
    CHECK_EQ_STR(v, "on");
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
end:
    levy_store_close(st);
}

/* Transaction levels on PostgreSQL go to the server with the first statement inside them, in
 * its round trip (pg.c levy_pg_begin): BEGIN + a statement is one round trip (two before), a
 * unit's SAVEPOINT + its first statement one, a transaction or savepoint closed before any
 * statement ran none at all; a failure in the pipeline is still the statement's, and the
 * transaction stays usable. */
static void t_lazy_levels(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_err e = {0};
    CHECK(st != NULL);
    CHECK_EQ_INT(
        levy_store_exec(st, "DROP TABLE IF EXISTS z; CREATE TABLE z(id BIGINT PRIMARY KEY)", &e),
        LEVY_OK);
    int64_t t0 = levy_store_round_trips(st);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK(levy_store_in_transaction(st));
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_round_trips(st) - t0, 0); /* nothing ran: nothing sent */
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);  /* BEGIN */
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);  /* SAVEPOINT levy_1 */
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO z VALUES (1)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_round_trips(st) - t0, 1); /* BEGIN, SAVEPOINT and the INSERT */
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK); /* a savepoint whose statement fails */
    {
        levy_stmt *s = levy_store_prepare_cached(st, "INSERT INTO z VALUES (?)", &e);
        CHECK(s != NULL);
        levy_stmt_bind_int64(s, 1, 1);
        CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_ECONFLICT);
        levy_store_release(st, s);
    }
    CHECK_EQ_INT(levy_store_rollback(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK); /* rolled back before it ran: nothing */
    CHECK_EQ_INT(levy_store_rollback(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO z VALUES (2)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_depth(st), 0);
    CHECK(!levy_store_in_transaction(st));
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM z"), 2);
end:
    levy_store_close(st);
}

/* The first column of the one row of sql, with ?1 bound to v (NULL: unbound), run through
 * the store's statement cache as the plugins' statements are; -1 on a failure (e says). */
static int64_t cached_int(levy_store *st, const char *sql, const char *v, levy_err *e)
{
    levy_stmt *s = levy_store_prepare_cached(st, sql, e);
    int64_t r = -1;
    if (!s)
        return -1;
    if (v)
        levy_stmt_bind_text(s, 1, v, -1);
    if (levy_stmt_step(s, e) == LEVY_STMT_ROW)
        r = levy_stmt_column_int64(s, 0);
    levy_store_release(st, s);
    return r;
}

#define PREPARED(st)                                                                               \
    pg_int(st, "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%pq_t%' "        \
               "AND statement NOT LIKE '%pg_prepared%'")

/* A statement is prepared on its connection the first time (in that round trip) and runs
 * prepared afterwards, outside and inside transactions; an untyped parameter the server
 * cannot infer is sent typed at once the second time (one round trip, not a failure, a
 * rollback and a retry); a table altered under a prepared statement ("cached plan must not
 * change result type") or its statements DEALLOCATEd by someone else: prepared again, the
 * answer right; at most PCACHE_MAX (128) per connection; a new connection starts with none. */
static void t_prepared(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg(), *b = open_pg();
    levy_err e = {0};
    levy_stmt *s = NULL;
    CHECK(st && b);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS pq_t; CREATE TABLE pq_t(a BIGINT); "
                                 "INSERT INTO pq_t VALUES (1), (2), (3)",
                                 &e),
                 LEVY_OK);
    const char *q = "SELECT count(*) FROM pq_t WHERE a >= ?";
    int64_t t0 = levy_store_round_trips(st);
    CHECK_EQ_INT(cached_int(st, q, "2", &e), 2);
    CHECK_EQ_INT(levy_store_round_trips(st) - t0, 1); /* prepared in the same round trip */
    CHECK_EQ_INT(cached_int(st, q, "3", &e), 1);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(cached_int(st, q, "1", &e), 3); /* inside a transaction: the same one */
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(PREPARED(st), 1);
    CHECK_EQ_INT(PREPARED(b), 0); /* the connection's own */

    /* an untyped parameter: the second time it is sent typed at once */
    const char *u = "SELECT CASE WHEN ? IS NULL THEN 7 ELSE 8 END /* pq_t */";
    CHECK_EQ_INT(cached_int(st, u, NULL, &e), 7);
    t0 = levy_store_round_trips(st);
    CHECK_EQ_INT(cached_int(st, u, "x", &e), 8);
    CHECK_EQ_INT(levy_store_round_trips(st) - t0, 1);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(cached_int(st, u, NULL, &e), 7);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO pq_t VALUES (4)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM pq_t"), 4);

    /* a migration changes what `*` means under a prepared statement */
    const char *star = "SELECT * FROM pq_t WHERE a = ?";
    CHECK_EQ_INT(levy_store_prepare(st, star, &s, NULL, &e), LEVY_OK);
    levy_stmt_bind_int64(s, 1, 4);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_count(s), 1);
    levy_stmt_finalize(s);
    s = NULL;
    CHECK_EQ_INT(levy_store_exec(b, "ALTER TABLE pq_t ADD COLUMN b TEXT DEFAULT 'x'", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_prepare(st, star, &s, NULL, &e), LEVY_OK);
    levy_stmt_bind_int64(s, 1, 4);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_count(s), 2);
    CHECK_EQ_STR(levy_stmt_column_text(s, 1), "x");
    levy_stmt_finalize(s);
    s = NULL;
    /* ... and again inside a transaction: the statement's savepoint takes the failure back */
    CHECK_EQ_INT(levy_store_exec(b, "ALTER TABLE pq_t ADD COLUMN c BIGINT DEFAULT 9", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO pq_t(a) VALUES (5)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_prepare(st, star, &s, NULL, &e), LEVY_OK);
    levy_stmt_bind_int64(s, 1, 5);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_count(s), 3);
    CHECK_EQ_INT(levy_stmt_column_int64(s, 2), 9);
    levy_stmt_finalize(s);
    s = NULL;
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(pg_int(b, "SELECT count(*) FROM pq_t WHERE a = 5"), 1);
    /* the stale statement was DEALLOCATEd (once the connection was idle): the live ones stay */
    CHECK_EQ_INT(cached_int(st, q, "5", &e), 1);
    CHECK_EQ_INT(PREPARED(st), 4); /* q, u typed, the count of pq_t, star (its newest form) */

    /* every statement of the connection DEALLOCATEd behind the cache's back */
    CHECK_EQ_INT(levy_store_exec(st, "DEALLOCATE ALL", &e), LEVY_OK);
    CHECK_EQ_INT(cached_int(st, q, "1", &e), 5);
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "DEALLOCATE ALL", &e), LEVY_OK);
    CHECK_EQ_INT(cached_int(st, q, "2", &e), 4);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);

    /* bounded: 200 distinct statements leave at most 128 prepared */
    for (int i = 0; i < 200; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT %d + count(*) FROM pq_t WHERE a > ?", i);
        CHECK_EQ_INT(cached_int(st, sql, "100", &e), i);
    }
    int64_t n = pg_int(st, "SELECT count(*) FROM pg_prepared_statements");
    CHECK(n > 100 && n <= 128);
    CHECK_EQ_INT(cached_int(st, q, "1", &e), 5);

    /* a new connection (the server restarted, the backend was ended): none of them */
    {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
                 (long long)pg_int(st, "SELECT pg_backend_pid()"));
        CHECK_EQ_INT(levy_store_exec(b, sql, &e), LEVY_OK);
    }
    int64_t r = -1;
    for (int i = 0; i < 300 && r != 5; i++) { /* fails until it has connected again */
        r = cached_int(st, q, "1", &e);
        if (r != 5)
            usleep(50000);
    }
    CHECK_EQ_INT(r, 5);
    CHECK_EQ_INT(PREPARED(st), 1);
end:
    levy_stmt_finalize(s);
    levy_store_close(st);
    levy_store_close(b);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static void t_migrations(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_err e = {0};
    int v = 0;
    char md[128], p[192];
    snprintf(md, sizeof md, "%s/mig", dir);
    mkdir(md, 0700);
    snprintf(p, sizeof p, "%s/postgres", md);
    mkdir(p, 0700);
    /* the SQLite file is not PostgreSQL's (AUTOINCREMENT): only postgres/ is read */
    snprintf(p, sizeof p, "%s/0001_x.sql", md);
    write_file(p, "CREATE TABLE x_t(id INTEGER PRIMARY KEY AUTOINCREMENT);");
    snprintf(p, sizeof p, "%s/postgres/0001_x.sql", md);
    write_file(p, "CREATE TABLE x_t(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY);");
    CHECK(st != NULL);
    CHECK_EQ_INT(levy_store_schema_version(st, "core", &v, &e), LEVY_OK);
    CHECK_EQ_INT(v, core_migrations());
    CHECK_EQ_INT(levy_store_migrate_dir(st, "x", md, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_schema_version(st, "x", &v, &e), LEVY_OK);
    CHECK_EQ_INT(v, 1);
    CHECK_EQ_INT(levy_store_migrate_dir(st, "x", md, &e), LEVY_OK); /* again: nothing */
    snprintf(p, sizeof p, "%s/postgres/0002_bad.sql", md);
    write_file(p, "CREATE TABLE y_t(id INTEGER PRIMARY KEY AUTOINCREMENT);");
    CHECK_EQ_INT(levy_store_migrate_dir(st, "x", md, &e), LEVY_EINVAL);
    CHECK_EQ_STR(e.code, "migration_failed");
    CHECK_EQ_INT(levy_store_depth(st), 0);
    CHECK_EQ_INT(levy_store_schema_version(st, "x", &v, &e), LEVY_OK);
    CHECK_EQ_INT(v, 1);
end:
    levy_store_close(st);
}

static void t_jobs_two_connections(void)
{
    if (!pg())
        return;
    levy_store *a = open_pg(), *b = open_pg();
    levy_err e = {0};
    levy_job ja[4], jb[4];
    int na = 0, nb = 0;
    char id[LEVY_JOB_ID_MAX];
    CHECK(a && b);
    levy_jobs_set_lease(60000, "a");
    CHECK_EQ_INT(levy_jobs_enqueue(a, "t.kind", NULL, "{}", 0, 3, id, &e), LEVY_OK);
    /* a holds the row (its claim's transaction still open): b skips it, does not wait */
    CHECK_EQ_INT(levy_store_begin(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_claim(a, "t.kind", 1000, 4, ja, &na, &e), LEVY_OK);
    CHECK_EQ_INT(na, 1);
    CHECK_EQ_INT(levy_jobs_claim(b, "t.kind", 1000, 4, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 0);
    CHECK_EQ_INT(levy_store_commit(a, &e), LEVY_OK);
    /* running under a's lease: not b's */
    CHECK_EQ_INT(levy_jobs_claim(b, "t.kind", 2000, 4, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 0);
    /* a lives: it renews its lease, so past the first lease b still does not claim it */
    int64_t t0 = levy_clock_now_ms();
    CHECK_EQ_INT(levy_jobs_renew_leases(a, t0 + 50000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_claim(b, "t.kind", t0 + 70000, 4, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 0);
    /* the idle runner's read (issue 21): nothing queued, so the next due time is the running
     * job's lease end, when a claim takes it again */
    {
        int64_t due = 0;
        CHECK_EQ_INT(levy_jobs_next_due(b, &due, &e), LEVY_OK);
        CHECK_EQ_INT((long long)due, (long long)(t0 + 110000));
    }
    /* a died: past the lease b claims it again */
    levy_jobs_set_lease(60000, "b");
    CHECK_EQ_INT(levy_jobs_claim(b, "t.kind", t0 + 120000, 4, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 1);
    CHECK_EQ_STR(jb[0].id, id);
    CHECK_EQ_INT(jb[0].attempts, 2);
    CHECK_EQ_INT(levy_jobs_done(b, id, &e), LEVY_OK);
    /* requeue at start leaves another process's running jobs alone */
    CHECK_EQ_INT(levy_jobs_enqueue(a, "t.kind", NULL, "{}", 0, 3, id, &e), LEVY_OK);
    levy_jobs_free(ja, na);
    na = 0;
    levy_jobs_set_lease(60000, "a");
    CHECK_EQ_INT(levy_jobs_claim(a, "t.kind", levy_clock_now_ms(), 4, ja, &na, &e), LEVY_OK);
    CHECK_EQ_INT(na, 1);
    levy_jobs_set_lease(60000, "b");
    int n = -1;
    CHECK_EQ_INT(levy_jobs_requeue_running(b, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 0);
    /* ... but takes back those of its own previous life (the same replica id) */
    levy_jobs_set_lease(60000, "a");
    CHECK_EQ_INT(levy_jobs_requeue_running(b, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
end:
    levy_jobs_free(ja, na);
    levy_jobs_free(jb, nb);
    levy_store_close(a);
    levy_store_close(b);
}

/* A process renamed (a replica id clash): levy_jobs_move_claims moves the claims of the jobs
 * it runs from its old id to the new one with a fresh lease, in one transaction; a job of
 * the old id it does not run, one another process claimed, one no longer running: left
 * alone. Without the move the old claim is no longer renewed and another process claims it
 * again while it still runs. */
static void t_jobs_move_claims(void)
{
    if (!pg())
        return;
    levy_store *a = open_pg(), *b = open_pg();
    levy_err e = {0};
    levy_job ja[4], jb[4];
    int na = 0, nb = 0, moved = -1;
    char id[4][LEVY_JOB_ID_MAX];
    CHECK(a && b);
    CHECK_EQ_INT(levy_store_exec(a, "DELETE FROM jobs WHERE kind = 'm.kind'", &e), LEVY_OK);
    int64_t t0 = levy_clock_now_ms();
    levy_jobs_set_lease(60000, "old");
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(levy_jobs_enqueue(a, "m.kind", NULL, "{}", 0, 3, id[i], &e), LEVY_OK);
        CHECK_EQ_INT(levy_jobs_claim(a, "m.kind", t0, 1, &ja[na], &nb, &e), LEVY_OK);
        CHECK_EQ_INT(nb, 1);
        na++;
    }
    nb = 0;
    CHECK_EQ_INT(levy_jobs_done(a, ja[2].id, &e), LEVY_OK); /* no longer running */
    levy_jobs_set_lease(60000, "other");                    /* another process's claim */
    CHECK_EQ_INT(levy_jobs_enqueue(b, "m.kind", NULL, "{}", 0, 3, id[3], &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_claim(b, "m.kind", t0, 1, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 1);
    /* renamed to "new": it runs ja[0], ja[2] (done since) and the other's job id (as if) */
    levy_jobs_set_lease(60000, "new");
    const char *from[] = {"older", "old"};
    char run[3][LEVY_JOB_ID_MAX];
    snprintf(run[0], sizeof run[0], "%s", ja[0].id);
    snprintf(run[1], sizeof run[1], "%s", ja[2].id);
    snprintf(run[2], sizeof run[2], "%s", jb[0].id);
    CHECK_EQ_INT(levy_jobs_move_claims(a, from, 2, (const char(*)[LEVY_JOB_ID_MAX])run, 3,
                                       t0 + 100000, &moved, &e),
                 LEVY_OK);
    CHECK_EQ_INT(moved, 1);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM jobs WHERE id = '%s' AND claimed_by = 'new' AND lease_until = "
             "%lld",
             ja[0].id, (long long)(t0 + 160000));
    CHECK_EQ_INT(pg_int(a, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE id = '%s' AND claimed_by = 'old'",
             ja[1].id); /* not among the running ones: stays */
    CHECK_EQ_INT(pg_int(a, sql), 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE id = '%s' AND claimed_by = 'other'",
             jb[0].id);
    CHECK_EQ_INT(pg_int(a, sql), 1);
    /* past the old lease, another process claims only the job the renamed one does not run */
    levy_jobs_free(jb, nb);
    nb = 0;
    levy_jobs_set_lease(60000, "b");
    CHECK_EQ_INT(levy_jobs_claim(b, "m.kind", t0 + 120000, 4, jb, &nb, &e), LEVY_OK);
    CHECK_EQ_INT(nb, 2); /* ja[1] (old, not renewed) and the other's (its lease ran out too) */
    for (int i = 0; i < nb; i++)
        CHECK(strcmp(jb[i].id, ja[0].id) != 0);
end:
    levy_jobs_free(ja, na);
    levy_jobs_free(jb, nb);
    levy_store_close(a);
    levy_store_close(b);
}

/* Issue 22: the job runner on PostgreSQL with a job running. Its lease is renewed by one
 * statement when it reaches its renewal window (a quarter lease on), not by a full pass: while
 * the job runs and nothing is due, the runner's passes take no transaction and claim nothing
 * (before, every pass with a job running here was full — BEGIN, a claim per kind, COMMIT —
 * four times a second). The job sleeps 2.5 leases: another connection's claim past the first
 * lease does not take it, and it ends done with one attempt (not run twice). Counts and
 * states, no timing: the waits are for the runner's states. */
static void t_runner_lease(void)
{
    if (!pg())
        return;
    char root[128], p[256];
    snprintf(root, sizeof root, "%s/rl", dir);
    mkdir(root, 0700);
    snprintf(p, sizeof p, "%s/scripts", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/plugins", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/plugins/l", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/plugins/l/handler.lua", root);
    write_file(p, "local t = require 'levy.time'\n"
                  "return { name = 'l', version = '1', jobs = { ['l.job'] = {\n"
                  "  run = function(job) t.sleep(5000) end, concurrency = 1 } } }\n");
    levy_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.role = "serve";
    snprintf(cfg.plugins_dir, sizeof cfg.plugins_dir, "%s/plugins", root);
    snprintf(cfg.scripts_dir, sizeof cfg.scripts_dir, "%s/scripts", root);
    levy_host h;
    memset(&h, 0, sizeof h);
    h.cfg = &cfg;
    levy_gen_errors errs = {0};
    levy_err e = {0};
    levy_store *b = NULL;
    levy_job jb[4];
    int nb = 0, checked = 0;
    char id[LEVY_JOB_ID_MAX];
    int64_t polls0 = 0, full0 = 0, polls1 = 0, full1 = 0, t0 = 0, t1 = 0;
    const int64_t lease = 2000;
    CHECK_EQ_INT(levy_host_build(&h, 1, &h.current, &errs, NULL, NULL), LEVY_OK);
    CHECK_EQ_INT(h.current->njobs, 1);
    h.store = open_pg();
    b = open_pg();
    CHECK(h.store && b);
    h.base = event_base_new();
    CHECK(h.base != NULL);
    /* the cases above leave running jobs of other kinds whose leases ran out: due (for a claim
     * by kind) on every pass, they would make each pass full whatever this runner does */
    CHECK_EQ_INT(levy_store_exec(b, "DELETE FROM jobs", &e), LEVY_OK);
    levy_jobs_set_lease(lease, "runner");
    CHECK_EQ_INT(levy_jobs_enqueue(b, "l.job", NULL, "{}", 0, 3, id, &e), LEVY_OK);
    levy_jobs_runner_start(&h);
    CHECK(h.jobs != NULL);
    for (int i = 0; i < 400 && !levy_jobs_runner_busy(&h); i++)
        event_base_loop(h.base, EVLOOP_ONCE);
    CHECK(levy_jobs_runner_busy(&h));
    t0 = levy_clock_now_ms();
    levy_jobs_runner_polls(&h, &polls0, &full0);
    /* the job sleeps 5 s: passes come at most 250 ms apart, so ~20 while it runs */
    for (int i = 0; i < 4000 && levy_jobs_runner_busy(&h); i++) {
        event_base_loop(h.base, EVLOOP_ONCE);
        if (!checked && levy_clock_now_ms() > t0 + lease + lease / 4 && levy_jobs_runner_busy(&h)) {
            /* past its first lease: still this runner's (renewed), another claim skips it */
            CHECK_EQ_INT(levy_jobs_claim(b, "l.job", levy_clock_now_ms(), 4, jb, &nb, &e), LEVY_OK);
            CHECK_EQ_INT(nb, 0);
            checked = 1;
        }
    }
    CHECK(!levy_jobs_runner_busy(&h));
    t1 = levy_clock_now_ms();
    levy_jobs_runner_polls(&h, &polls1, &full1);
    CHECK(checked);
    /* the runner passed while the job ran, and none of those passes was full */
    CHECK(polls1 - polls0 >= 4);
    CHECK_EQ_INT(full1 - full0, 0);
    /* renewed at least twice (5 s against a 2 s lease), at most once per quarter lease */
    int64_t renewals = levy_jobs_runner_renewals(&h);
    CHECK(renewals >= 2);
    CHECK(renewals <= (t1 - t0) / (lease / LEVY_JOB_RENEW_FRACTION) + 1);
    /* the next pass marks it done: one attempt */
    for (int i = 0; i < 400 && full1 == full0; i++) {
        event_base_loop(h.base, EVLOOP_ONCE);
        levy_jobs_runner_polls(&h, &polls1, &full1);
    }
    {
        levy_stmt *s = NULL;
        CHECK_EQ_INT(
            levy_store_prepare(b, "SELECT state, attempts FROM jobs WHERE id = ?", &s, NULL, &e),
            LEVY_OK);
        levy_stmt_bind_text(s, 1, id, -1);
        int src = levy_stmt_step(s, &e);
        int ok = src == LEVY_STMT_ROW && strcmp(levy_stmt_column_text(s, 0), "done") == 0 &&
                 levy_stmt_column_int64(s, 1) == 1;
        if (!ok)
            fprintf(stderr, "  job: %s, attempts %lld\n",
                    src == LEVY_STMT_ROW ? levy_stmt_column_text(s, 0) : "(none)",
                    src == LEVY_STMT_ROW ? (long long)levy_stmt_column_int64(s, 1) : -1LL);
        levy_stmt_finalize(s);
        CHECK(ok);
    }
end:
    levy_jobs_free(jb, nb);
    levy_jobs_runner_stop(&h);
    levy_jobs_set_lease(0, "levy");
    levy_gen_errors_free(&errs);
    if (h.current)
        levy_gen_unref(h.current);
    if (h.store)
        levy_store_close(h.store);
    levy_store_close(b);
    if (h.base)
        event_base_free(h.base);
}

static void t_unreachable(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_err e = {0};
    levy_stmt *s = NULL;
    CHECK(st != NULL);
    CHECK_EQ_INT(levy_store_ping(st, &e), LEVY_OK);
    CHECK_EQ_INT(cluster("pause", -1), 0);
    CHECK_EQ_INT(levy_store_ping(st, &e), LEVY_EBUSY);
    CHECK_EQ_STR(e.code, "unavailable");
    CHECK(strstr(e.message, password) == NULL);
    CHECK_EQ_STR(levy_store_state_name(levy_store_state(st)), "unreachable");
    s = levy_store_prepare_cached(st, "SELECT 1", &e);
    CHECK(s != NULL);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_EBUSY); /* a request answers 503 */
    levy_store_release(st, s);
    s = NULL;
    CHECK_EQ_INT(cluster("start", the_port), 0);
    /* reconnected (an attempt at most once a second: poll) */
    int pr = LEVY_EBUSY;
    for (int i = 0; i < 300 && pr != LEVY_OK; i++) {
        pr = levy_store_ping(st, &e);
        if (pr != LEVY_OK)
            usleep(100000);
    }
    CHECK_EQ_INT(pr, LEVY_OK);
    CHECK_EQ_STR(levy_store_state_name(levy_store_state(st)), "ok");
end:
    levy_store_release(st, s);
    levy_store_close(st);
}

/* The connection lost between a nested level's SAVEPOINT and its RELEASE (the job runner's
 * claim inside its poll when PostgreSQL stops): the failed commits end their levels, the
 * depth returns to 0 and the next statement reconnects. Before, the failed RELEASE left the
 * level open: depth stayed above 0 and every statement answered "connection lost inside a
 * transaction" for ever (a replica 503 after PostgreSQL was back: reliab_pg_restart). */
static void t_lost_in_savepoint(void)
{
    if (!pg())
        return;
    levy_store *a = open_pg(), *b = open_pg();
    levy_stmt *s = NULL;
    levy_err e = {0};
    char pid[32] = "";
    CHECK(a && b);
    CHECK_EQ_INT(levy_store_prepare(a, "SELECT pg_backend_pid()", &s, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    snprintf(pid, sizeof pid, "%s", levy_stmt_column_text(s, 0));
    levy_stmt_finalize(s);
    s = NULL;
    CHECK_EQ_INT(levy_store_begin(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_depth(a), 2);
    /* the levels go to the server with the first statement inside them (pg.c levy_pg_begin) */
    CHECK_EQ_INT(levy_store_exec(a, "SELECT 1", &e), LEVY_OK);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    CHECK_EQ_INT(levy_store_exec(b, sql, &e), LEVY_OK);
    /* the backend is gone (it ends asynchronously): poll */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", pid);
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        CHECK_EQ_INT(levy_store_prepare(b, sql, &s, NULL, &e), LEVY_OK);
        CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
        gone = levy_stmt_column_int64(s, 0) == 0;
        levy_stmt_finalize(s);
        s = NULL;
        if (!gone)
            usleep(50000);
    }
    CHECK(gone);
    CHECK_EQ_INT(levy_store_commit(a, &e), LEVY_EBUSY); /* RELEASE: the connection is lost */
    CHECK_EQ_INT(levy_store_depth(a), 1);               /* ... and the level ended */
    CHECK_EQ_INT(levy_store_commit(a, &e), LEVY_EBUSY);
    CHECK_EQ_INT(levy_store_depth(a), 0);
    int pr = LEVY_EBUSY;
    for (int i = 0; i < 300 && pr != LEVY_OK; i++) {
        pr = levy_store_ping(a, &e);
        if (pr != LEVY_OK)
            usleep(100000);
    }
    CHECK_EQ_INT(pr, LEVY_OK); /* reconnected */
    CHECK_EQ_STR(levy_store_state_name(levy_store_state(a)), "ok");
end:
    levy_stmt_finalize(s);
    levy_store_close(a);
    levy_store_close(b);
}

static void t_lock_budget(void)
{
    if (!pg())
        return;
    levy_store *a = open_pg(), *b = open_pg();
    levy_stmt *s = NULL;
    levy_err e = {0};
    CHECK(a && b);
    CHECK_EQ_INT(levy_store_exec(a,
                                 "DROP TABLE IF EXISTS w; CREATE TABLE w(id BIGINT PRIMARY KEY, "
                                 "n BIGINT); INSERT INTO w VALUES (1, 0)",
                                 &e),
                 LEVY_OK);
    levy_store_set_busy_budget(b, 50);
    CHECK_EQ_INT(levy_store_prepare(b, "SHOW lock_timeout", &s, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_STR(levy_stmt_column_text(s, 0), "50ms"); /* the budget, not the 5 s default */
    levy_stmt_finalize(s);
    s = NULL;
    CHECK_EQ_INT(levy_store_begin(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(a, "UPDATE w SET n = n + 1 WHERE id = 1", &e), LEVY_OK);
    /* a holds the row: b gives up after its budget (lock_timeout), busy, not an error */
    CHECK_EQ_INT(levy_store_exec(b, "UPDATE w SET n = n + 1 WHERE id = 1", &e), LEVY_EBUSY);
    CHECK_EQ_STR(e.code, "busy");
    CHECK_EQ_INT(levy_store_commit(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(b, "UPDATE w SET n = n + 1 WHERE id = 1", &e), LEVY_OK);
end:
    levy_stmt_finalize(s);
    if (a && levy_store_depth(a))
        levy_store_rollback(a, NULL);
    levy_store_close(a);
    levy_store_close(b);
}

/* A store.durable unit: INSERT (stop_if_none), UPDATE, a job. */
static levy_wunit *pg_unit(int64_t id, const char *v)
{
    levy_wunit *u = levy_wunit_new(3);
    u->steps[0].kind = LEVY_WSTEP_SQL;
    u->steps[0].sql = strdup("INSERT INTO d(id, v) VALUES (?, ?) ON CONFLICT DO NOTHING");
    u->steps[0].flags = LEVY_WSTEP_STOP_IF_NONE;
    u->steps[0].nparams = 2;
    u->steps[0].params = calloc(2, sizeof(levy_wparam));
    u->steps[0].params[0].type = LEVY_WPARAM_INT;
    u->steps[0].params[0].i = id;
    if (v)
        levy_wparam_text(&u->steps[0].params[1], v, strlen(v));
    u->steps[1].kind = LEVY_WSTEP_SQL;
    u->steps[1].sql = strdup("UPDATE d SET n = n + 1 WHERE id = ?");
    u->steps[1].nparams = 1;
    u->steps[1].params = calloc(1, sizeof(levy_wparam));
    u->steps[1].params[0].type = LEVY_WPARAM_INT;
    u->steps[1].params[0].i = id;
    u->steps[2].kind = LEVY_WSTEP_JOB;
    u->steps[2].job_kind = strdup("test.durable");
    u->steps[2].job_payload = strdup("{}");
    return u;
}

static int64_t pg_int(levy_store *st, const char *sql)
{
    levy_stmt *s = NULL;
    int64_t v = -1;
    if (levy_store_prepare(st, sql, &s, NULL, NULL) == LEVY_OK &&
        levy_stmt_step(s, NULL) == LEVY_STMT_ROW)
        v = levy_stmt_column_int64(s, 0);
    levy_stmt_finalize(s);
    return v;
}

/* store.durable on PostgreSQL where no writer thread runs (levy test, the calc role,
 * LEVY_STORE_WRITER=0): the unit runs on the caller's connection through the statement API
 * with the same results as on SQLite: stop_if_none, a job, a failing step rolls back its unit
 * alone (inside an open transaction too), a lock held elsewhere fails it busy. */
static void t_durable_unit(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg(), *other = open_pg();
    levy_err e = {0};
    levy_wunit *u1 = NULL, *u2 = NULL, *bad = NULL, *in_tx = NULL, *busy = NULL;
    CHECK(st && other);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS d; CREATE TABLE d(id BIGINT PRIMARY KEY, "
                                 "v TEXT NOT NULL, n BIGINT NOT NULL DEFAULT 0); DELETE FROM jobs "
                                 "WHERE kind = 'test.durable'",
                                 &e),
                 LEVY_OK);
    u1 = pg_unit(1, "a");
    CHECK_EQ_INT(levy_wunit_run(st, u1), LEVY_OK);
    CHECK_EQ_INT(u1->stopped, 0);
    CHECK_EQ_INT(u1->jobs, 1);
    CHECK_EQ_INT(u1->steps[0].changes, 1);
    CHECK_EQ_INT(u1->steps[1].changes, 1);
    CHECK(strncmp(u1->steps[2].job_id, "job_", 4) == 0);
    CHECK_EQ_INT(levy_store_depth(st), 0);
    u2 = pg_unit(1, "a"); /* the row is there: the unit ends at step 1, nothing else runs */
    CHECK_EQ_INT(levy_wunit_run(st, u2), LEVY_OK);
    CHECK_EQ_INT(u2->stopped, 1);
    CHECK_EQ_INT(u2->steps[1].ran, 0);
    CHECK_EQ_INT(u2->jobs, 0);
    CHECK_EQ_INT(pg_int(other, "SELECT n FROM d WHERE id = 1"), 1);
    CHECK_EQ_INT(pg_int(other, "SELECT count(*) FROM jobs WHERE kind = 'test.durable'"), 1);
    bad = pg_unit(2, NULL); /* v NULL: NOT NULL fails the unit, which leaves nothing */
    CHECK_EQ_INT(levy_wunit_run(st, bad), LEVY_ECONFLICT);
    CHECK_EQ_INT(bad->state, LEVY_STORE_STATE_OK);
    CHECK_EQ_INT(levy_store_depth(st), 0);
    CHECK_EQ_INT(pg_int(other, "SELECT count(*) FROM d"), 1);
    /* inside an open transaction: a savepoint; a failed unit leaves the outer work usable */
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "INSERT INTO d(id, v) VALUES (10, 'outer')", &e), LEVY_OK);
    levy_wunit_free(bad);
    bad = pg_unit(11, NULL);
    CHECK_EQ_INT(levy_wunit_run(st, bad), LEVY_ECONFLICT);
    CHECK_EQ_INT(levy_store_depth(st), 1);
    in_tx = pg_unit(12, "b");
    CHECK_EQ_INT(levy_wunit_run(st, in_tx), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK_EQ_INT(pg_int(other, "SELECT count(*) FROM d WHERE id IN (10, 12)"), 2);
    CHECK_EQ_INT(pg_int(other, "SELECT count(*) FROM d WHERE id = 11"), 0);
    /* another process holds the row: busy within the budget, the store's state says so */
    levy_store_set_busy_budget(st, 50);
    CHECK_EQ_INT(levy_store_begin(other, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(other, "UPDATE d SET n = n + 1 WHERE id = 1", &e), LEVY_OK);
    busy = pg_unit(1, "a");
    busy->steps[0].flags = 0; /* go on to the UPDATE of the held row */
    CHECK_EQ_INT(levy_wunit_run(st, busy), LEVY_EBUSY);
    CHECK_EQ_INT(busy->state, LEVY_STORE_STATE_BUSY);
    CHECK_EQ_INT(levy_store_depth(st), 0);
    CHECK_EQ_INT(levy_store_commit(other, &e), LEVY_OK);
    CHECK_EQ_INT(pg_int(other, "SELECT n FROM d WHERE id = 1"), 2);
end:
    levy_wunit_free(u1);
    levy_wunit_free(u2);
    levy_wunit_free(bad);
    levy_wunit_free(in_tx);
    levy_wunit_free(busy);
    if (other && levy_store_depth(other))
        levy_store_rollback(other, NULL);
    levy_store_close(other);
    levy_store_close(st);
}

/* The writer thread on PostgreSQL (issue 22): its own libpq connection commits units in
 * groups — many units, fewer COMMITs, each unit durable (seen from another connection) when
 * it completes; a failing unit fails alone and its neighbours in the group commit; a job step
 * enqueues once per key; the writer's round trips are counted (levy_writer_round_trips, for
 * /metrics). On main levy_writer_start refused a PostgreSQL URL. */
static void t_writer_groups(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_writer *w = NULL;
    levy_err e = {0};
    enum { N = 200 };
    CHECK(st);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS d; CREATE TABLE d(id BIGINT PRIMARY KEY, "
                                 "v TEXT NOT NULL, n BIGINT NOT NULL DEFAULT 0); DELETE FROM jobs "
                                 "WHERE kind = 'test.durable'",
                                 &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&w, url, 250, &e), LEVY_OK);
    CHECK(w != NULL);
    levy_writer_watch_store(w, st); /* nothing to share on PostgreSQL: a no-op */
    int64_t xact0 = pg_int(st, "SELECT xact_commit FROM pg_stat_database "
                               "WHERE datname = current_database()");
    for (int i = 0; i < N; i++) {
        levy_wunit *u = pg_unit(i + 1, i == 57 ? NULL : "w"); /* 57: NOT NULL fails it */
        u->steps[2].job_key = strdup("k");                    /* one queued job for all */
        u->done = on_done;
        CHECK_EQ_INT(levy_writer_submit(w, u, &e), LEVY_OK);
    }
    wait_done(w, N);
    uint64_t units = 0, groups = 0;
    levy_writer_counts(w, &units, &groups);
    CHECK_EQ_INT((int)units, N);      /* each group's units, the failed one included */
    CHECK(groups >= 1 && groups < N); /* fewer commits than units: they were grouped */
    CHECK(levy_writer_round_trips(w) > 0);
    int failed = 0;
    for (int i = 0; i < ndone; i++) {
        levy_wunit *u = done_units[i];
        if (u->rc != LEVY_OK) {
            failed++;
            CHECK_EQ_INT(u->rc, LEVY_ECONFLICT);
            CHECK_EQ_INT(u->state, LEVY_STORE_STATE_OK);
            CHECK_EQ_INT((int)u->steps[0].params[0].i, 58);
        } else {
            CHECK_EQ_INT(u->jobs, 1);
            CHECK(strncmp(u->steps[2].job_id, "job_", 4) == 0);
        }
    }
    CHECK_EQ_INT(failed, 1);
    /* durable before completion: another connection sees every row but the failed one */
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM d"), N - 1);
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM d WHERE n = 1"), N - 1);
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM jobs WHERE kind = 'test.durable'"), 1);
    int64_t xact1 = pg_int(st, "SELECT xact_commit FROM pg_stat_database "
                               "WHERE datname = current_database()");
    CHECK(xact1 - xact0 < N); /* the stats are per backend, flushed late: a bound, not a count */
end:
    levy_writer_stop(w);
    free_done();
    levy_store_close(st);
}

/* Two writers (two replicas) deliver the same ids at once: each row is inserted once (the
 * unique key; the second's INSERT waits for the first's group, then changes nothing and ends
 * its unit), every unit completes, none fails. */
static void t_writer_two_replicas(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_writer *a = NULL, *b = NULL;
    levy_err e = {0};
    enum { N = 120 };
    CHECK(st);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS d; CREATE TABLE d(id BIGINT PRIMARY KEY, "
                                 "v TEXT NOT NULL, n BIGINT NOT NULL DEFAULT 0); DELETE FROM jobs "
                                 "WHERE kind = 'test.durable'",
                                 &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&a, url, 250, &e), LEVY_OK);
    CHECK_EQ_INT(levy_writer_start(&b, url, 250, &e), LEVY_OK);
    /* each id twice on each writer, in the same increasing order on both (opposite orders
     * could deadlock two groups: PostgreSQL then fails one unit busy, a 503 Rillet retries) */
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 2; k++) {
            levy_wunit *u = pg_unit(i / 2 + 1, k ? "b" : "a");
            u->done = on_done;
            CHECK_EQ_INT(levy_writer_submit(k ? b : a, u, &e), LEVY_OK);
        }
    }
    while (ndone < 2 * N) {
        struct pollfd p[2] = {{levy_writer_fd(a), POLLIN, 0}, {levy_writer_fd(b), POLLIN, 0}};
        poll(p, 2, 1000);
        levy_writer_complete(a);
        levy_writer_complete(b);
    }
    int inserted = 0;
    for (int i = 0; i < ndone; i++) {
        CHECK_EQ_INT(done_units[i]->rc, LEVY_OK);
        inserted += done_units[i]->stopped == 0;
    }
    CHECK_EQ_INT(inserted, N / 2);
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM d"), N / 2);
    CHECK_EQ_INT(pg_int(st, "SELECT max(n) FROM d"), 1);
end:
    levy_writer_stop(a);
    levy_writer_stop(b);
    free_done();
    levy_store_close(st);
}

/* ---- a deferred step (LEVY_WSTEP_DEFER): the row lock is not held across the group ---- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_in, gate_open;
static int gate_mark, probe_mark; /* u->ud of the gate unit, of the unit after which we look */
static levy_store *probe_st;
static int probe_rc = -100;
static int64_t probe_rows = -1;

/* On the writer thread, after each unit of a group. The gate unit's group waits until the
 * test has queued the next units (so they form one group); after the probe unit, another
 * connection tries to lock the connection row without waiting. */
static void after_unit(levy_wunit *u)
{
    if (u->ud == &gate_mark) {
        pthread_mutex_lock(&gate_mu);
        gate_in = 1;
        pthread_cond_broadcast(&gate_cv);
        while (!gate_open)
            pthread_cond_wait(&gate_cv, &gate_mu);
        pthread_mutex_unlock(&gate_mu);
    } else if (u->ud == &probe_mark) {
        levy_stmt *s = NULL;
        levy_err e = {0};
        probe_rc = levy_store_prepare(
            probe_st, "SELECT count(*) FROM (SELECT id FROM pq_c WHERE id = 1 FOR UPDATE NOWAIT) q",
            &s, NULL, &e);
        if (probe_rc == LEVY_OK && (probe_rc = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
            probe_rows = levy_stmt_column_int64(s, 0);
            probe_rc = LEVY_OK;
        }
        levy_stmt_finalize(s);
    }
}

/* A unit: INSERT INTO pq_d(id), then the deferred, forward-only UPDATE of pq_c's row 1. */
static levy_wunit *deferred_unit(int64_t id, const char *second, void *ud)
{
    levy_wunit *u = levy_wunit_new(second ? 2 : 1);
    u->done = on_done;
    u->ud = ud;
    u->steps[0].kind = LEVY_WSTEP_SQL;
    u->steps[0].sql = strdup("INSERT INTO pq_d(id) VALUES (?)");
    u->steps[0].nparams = 1;
    u->steps[0].params = calloc(1, sizeof(levy_wparam));
    u->steps[0].params[0].type = LEVY_WPARAM_INT;
    u->steps[0].params[0].i = id;
    if (second) {
        u->steps[1].kind = LEVY_WSTEP_SQL;
        u->steps[1].sql = strdup("UPDATE pq_c SET last = ?1 WHERE id = ?2 AND (last IS NULL OR "
                                 "last < ?1)");
        u->steps[1].flags = LEVY_WSTEP_DEFER;
        u->steps[1].nparams = 2;
        u->steps[1].params = calloc(2, sizeof(levy_wparam));
        levy_wparam_text(&u->steps[1].params[0], second, strlen(second));
        u->steps[1].params[1].type = LEVY_WPARAM_INT;
        u->steps[1].params[1].i = 1;
    }
    return u;
}

/* Issue 22: a SQL step marked LEVY_WSTEP_DEFER (the intake's last_webhook_at) runs once per
 * group just before its COMMIT on PostgreSQL: while the group is still open after the unit
 * that carries it, another connection locks that row at once (FOR UPDATE NOWAIT; before,
 * the group held it from the unit to its COMMIT, so the replicas' groups of one connection
 * ran one at a time). Identical deferred steps of a group run once; an older second after a
 * newer one changes nothing. No timing: the test hook holds the group open. */
static void t_writer_deferred(void)
{
    if (!pg())
        return;
    levy_store *st = open_pg();
    levy_writer *w = NULL;
    levy_err e = {0};
    probe_st = open_pg();
    CHECK(st && probe_st);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP TABLE IF EXISTS pq_c; DROP TABLE IF EXISTS pq_d; "
                                 "CREATE TABLE pq_c(id BIGINT PRIMARY KEY, last TEXT); "
                                 "CREATE TABLE pq_d(id BIGINT PRIMARY KEY); "
                                 "INSERT INTO pq_c VALUES (1, '2026-12-07T10:00:04Z')",
                                 &e),
                 LEVY_OK);
    levy_writer_after_unit_hook = after_unit;
    CHECK_EQ_INT(levy_writer_start(&w, url, 250, &e), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, deferred_unit(1, NULL, &gate_mark), &e), LEVY_OK);
    pthread_mutex_lock(&gate_mu);
    while (!gate_in)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    /* queued while the gate's group is open: the next group takes all four */
    levy_wunit *x = deferred_unit(2, "2026-12-07T10:00:05Z", &probe_mark);
    levy_wunit *y = deferred_unit(3, "2026-12-07T10:00:03Z", NULL);
    levy_wunit *z = deferred_unit(4, "2026-12-07T10:00:05Z", NULL);
    levy_wunit *last = deferred_unit(5, NULL, NULL);
    CHECK_EQ_INT(levy_writer_submit(w, x, &e), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, y, &e), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, z, &e), LEVY_OK);
    CHECK_EQ_INT(levy_writer_submit(w, last, &e), LEVY_OK);
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    wait_done(w, 5);
    uint64_t units = 0, groups = 0;
    levy_writer_counts(w, &units, &groups);
    CHECK_EQ_INT((int)groups, 2);
    for (int i = 0; i < ndone; i++)
        CHECK_EQ_INT(done_units[i]->rc, LEVY_OK);
    /* while the group was open after x's unit, the row was not locked */
    CHECK_EQ_INT(probe_rc, LEVY_OK);
    CHECK_EQ_INT(probe_rows, 1);
    CHECK_EQ_INT(x->steps[1].ran, 1);
    CHECK_EQ_INT(x->steps[1].changes, 1);
    CHECK_EQ_INT(z->steps[1].ran, 1);
    CHECK_EQ_INT(z->steps[1].changes, 1); /* x's statement, run once for both */
    CHECK_EQ_INT(y->steps[1].ran, 1);
    CHECK_EQ_INT(y->steps[1].changes, 0); /* older than the stored 10:00:04: nothing */
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM pq_c WHERE last = '2026-12-07T10:00:05Z'"), 1);
    CHECK_EQ_INT(pg_int(st, "SELECT count(*) FROM pq_d"), 5);
end:
    pthread_mutex_lock(&gate_mu); /* (a failed check above must not leave the writer waiting) */
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    levy_writer_stop(w);
    levy_writer_after_unit_hook = NULL;
    free_done();
    levy_store_close(probe_st);
    levy_store_close(st);
}

static void t_bad_url(void)
{
    levy_store *st = NULL;
    levy_err e = {0};
    /* nothing listens on port 1: a clear error naming the server, never the password */
    char *line = NULL;
    CHECK_EQ_INT(
        levy_store_open(&st, "postgres://u:sekrit-pw-1@127.0.0.1:1/db?sslmode=disable", 0, &e),
        LEVY_EBUSY);
    CHECK(st == NULL);
    CHECK(strstr(e.message, "sekrit") == NULL);
    CHECK(strstr(e.message, "postgres://u:***@127.0.0.1:1/db?sslmode=disable") != NULL);
    /* and the logger masks it wherever a line carries it */
    line = levy_log_redact("plugin said: sekrit-pw-1", 0);
    CHECK(line && strstr(line, "sekrit-pw-1") == NULL);
end:
    free(line);
    levy_log_clear_secrets();
    levy_store_close(st);
}

static int64_t count_of(levy_store *st, const char *sql)
{
    levy_stmt *s = NULL;
    levy_err e = {0};
    int64_t v = -1;
    if (levy_store_prepare(st, sql, &s, NULL, &e) != LEVY_OK)
        return -1;
    if (levy_stmt_step(s, &e) == LEVY_STMT_ROW)
        v = levy_stmt_column_int64(s, 0);
    levy_stmt_finalize(s);
    return v;
}

typedef struct racer {
    levy_store *st;
    char id[LEVY_JOB_ID_MAX];
    int rc;
    levy_err e;
} racer;

static void *race_enqueue(void *arg)
{
    racer *r = arg;
    r->rc = levy_jobs_enqueue(r->st, "t.race", "k1", "{\"from\":\"b\"}", 0, 3, r->id, &r->e);
    return NULL;
}

/* Issue 22: two processes enqueue the same keyed job at once. a's insert is not committed
 * yet when b enqueues: b waits on the unique index and then updates a's row (one statement,
 * INSERT … ON CONFLICT), instead of reading "none queued", inserting as well and failing on
 * the index when a commits. Exactly one queued row, one id, both calls succeed. */
static void t_jobs_keyed_race(void)
{
    if (!pg())
        return;
    levy_store *a = open_pg(), *b = open_pg(), *watch = open_pg();
    levy_err e = {0};
    char id[LEVY_JOB_ID_MAX];
    racer r = {0};
    int started = 0, waited = 0;
    pthread_t th;
    CHECK(a && b && watch);
    r.st = b;
    CHECK_EQ_INT(levy_store_begin(a, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue(a, "t.race", "k1", "{\"from\":\"a\"}", 0, 3, id, &e), LEVY_OK);
    CHECK_EQ_INT(pthread_create(&th, NULL, race_enqueue, &r), 0);
    started = 1;
    /* poll until b waits for a's row lock (no fixed sleep decides the outcome) */
    for (int i = 0; i < 6000 && !waited; i++) {
        waited = count_of(watch, "SELECT count(*) FROM pg_stat_activity WHERE "
                                 "wait_event_type = 'Lock' AND query LIKE '%jobs%'") > 0;
        if (!waited) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    CHECK(waited);
    CHECK_EQ_INT(levy_store_commit(a, &e), LEVY_OK);
    pthread_join(th, NULL);
    started = 0;
    if (r.rc != LEVY_OK)
        fprintf(stderr, "b: %s\n", r.e.message);
    CHECK_EQ_INT(r.rc, LEVY_OK);
    CHECK_EQ_STR(r.id, id);
    CHECK_EQ_INT(count_of(watch, "SELECT count(*) FROM jobs WHERE kind = 't.race'"), 1);
    CHECK_EQ_INT(count_of(watch, "SELECT count(*) FROM jobs WHERE kind = 't.race' AND "
                                 "payload LIKE '%\"b\"%'"),
                 1);
end:
    if (started) {
        levy_store_rollback(a, NULL);
        pthread_join(th, NULL);
    }
    levy_store_close(a);
    levy_store_close(b);
    levy_store_close(watch);
}

/* A statement with thousands of `?` (levy migrate-store's batched INSERTs): each becomes
 * `$NNNN`, longer than the `?, ` it replaces; the rewrite wrote past its buffer from the
 * 1000th placeholder on (heap corruption; valgrind_test_store_pg and the sanitizer build see
 * it). The statement must prepare, bind and answer. */
static void t_many_placeholders(void)
{
    if (!pg())
        return;
    enum { N = 5000 };
    levy_store *st = open_pg();
    levy_stmt *s = NULL;
    levy_err e = {0};
    char *sql = malloc(64 + (size_t)N * 3);
    CHECK(st != NULL);
    CHECK(sql != NULL);
    strcpy(sql, "SELECT 4999 IN (");
    char *w = sql + strlen(sql);
    for (int i = 0; i < N; i++) {
        memcpy(w, i ? ", ?" : "?", i ? 3 : 1);
        w += i ? 3 : 1;
    }
    strcpy(w, ")");
    CHECK_EQ_INT(levy_store_prepare(st, sql, &s, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(levy_stmt_param_count(s), N);
    for (int i = 0; i < N; i++)
        levy_stmt_bind_int64(s, i + 1, i);
    CHECK_EQ_INT(levy_stmt_step(s, &e), LEVY_STMT_ROW);
    CHECK_EQ_INT(levy_stmt_column_int64(s, 0), 1);
end:
    free(sql);
    levy_stmt_finalize(s);
    levy_store_close(st);
}

/* levy_store_pg_conninfo (the --dbname of the pg_dump / pg_restore commands levy backup and
 * restore print on PostgreSQL): every parameter of the URL except the password, as libpq
 * reads it (a value with a space or quote quoted and escaped); not a URL: LEVY_EINVAL. No
 * server needed. */
static void t_conninfo(void)
{
    char out[512];
    CHECK_EQ_INT(levy_store_pg_conninfo("postgres://levy:s3cr%40t@db.internal:5433/levy?sslmode="
                                        "verify-full&application_name=a%20b'c",
                                        out, sizeof out),
                 LEVY_OK);
    CHECK_EQ_STR(out, "user=levy dbname=levy host=db.internal port=5433 application_name='a "
                      "b\\'c' sslmode=verify-full");
    CHECK(strstr(out, "s3cr") == NULL);
    CHECK_EQ_INT(
        levy_store_pg_conninfo("postgresql://u@/d?host=/run/pg&password=pw", out, sizeof out),
        LEVY_OK);
    CHECK_EQ_STR(out, "user=u dbname=d host=/run/pg");
    CHECK_EQ_INT(levy_store_pg_conninfo("postgres://h/d?nosuchparam=1", out, sizeof out),
                 LEVY_EINVAL);
    char tiny[8];
    CHECK_EQ_INT(levy_store_pg_conninfo("postgres://levy@db/levy", tiny, sizeof tiny), LEVY_EINVAL);
end:;
}

static const levy_test tests[] = {{"values", t_values},
                                  {"many_placeholders", t_many_placeholders},
                                  {"transactions", t_transactions},
                                  {"lazy_levels", t_lazy_levels},
                                  {"replayable", t_replayable},
                                  {"prepared", t_prepared},
                                  {"migrations", t_migrations},
                                  {"jobs_two_connections", t_jobs_two_connections},
                                  {"jobs_keyed_race", t_jobs_keyed_race},
                                  {"jobs_move_claims", t_jobs_move_claims},
                                  {"runner_lease", t_runner_lease},
                                  {"unreachable", t_unreachable},
                                  {"lost_in_savepoint", t_lost_in_savepoint},
                                  {"lock_budget", t_lock_budget},
                                  {"bad_url", t_bad_url},
                                  {"durable_unit", t_durable_unit},
                                  {"writer_groups", t_writer_groups},
                                  {"writer_two_replicas", t_writer_two_replicas},
                                  {"writer_deferred", t_writer_deferred},
                                  {"conninfo", t_conninfo},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
