/* Jobs with an injected clock: enqueue/dedupe, claim order, retry/done/dead, requeue at
 * start, next_run_at, backoff bounds, notify hook. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "store/jobs.h"

static int64_t fake_now = 1000000;
static int64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}
static int notified;
static void on_notify(void *ud) { (*(int *)ud)++; }

static levy_store *open_store(void)
{
    levy_store *st = NULL;
    levy_clock_set(fake_clock, NULL);
    fake_now = 1000000;
    if (levy_store_open(&st, ":memory:", 0, NULL) != LEVY_OK)
        abort();
    return st;
}

static const char *job_state(levy_store *st, const char *id, int *attempts)
{
    static char buf[16];
    sqlite3_stmt *s;
    buf[0] = 0;
    sqlite3_prepare_v2(levy_store_db(st), "SELECT state, attempts FROM jobs WHERE id=?", -1, &s,
                       NULL);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(buf, sizeof buf, "%s", sqlite3_column_text(s, 0));
        if (attempts)
            *attempts = sqlite3_column_int(s, 1);
    }
    sqlite3_finalize(s);
    return buf;
}

static void t_enqueue_dedupe(void)
{
    levy_store *st = open_store();
    char a[LEVY_JOB_ID_MAX], b[LEVY_JOB_ID_MAX], c[LEVY_JOB_ID_MAX];
    levy_job out[4];
    int n = 0;
    levy_err e = {0};
    notified = 0;
    levy_jobs_set_notify(on_notify, &notified);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "doc1", "{\"v\":1}", fake_now + 500, 0, a, &e),
                 LEVY_OK);
    CHECK(strncmp(a, "job_", 4) == 0 && strlen(a) == 28);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "doc1", "{\"v\":2}", fake_now + 100, 0, b, &e),
                 LEVY_OK);
    CHECK_EQ_STR(a, b);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "doc1", "{\"v\":3}", fake_now + 900, 0, b, &e),
                 LEVY_OK);
    CHECK_EQ_STR(a, b);
    CHECK_EQ_INT(notified, 3);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", NULL, NULL, fake_now, 0, c, &e), LEVY_OK);
    CHECK(strcmp(a, c) != 0);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "x", "{bad json", fake_now, 0, c, &e), LEVY_EINVAL);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "", "x", "{}", fake_now, 0, c, &e), LEVY_EINVAL);
    int64_t next = 0;
    CHECK_EQ_INT(levy_jobs_next_run_at(st, &next, &e), LEVY_OK);
    CHECK_EQ_INT(next, fake_now);
    fake_now += 100;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2); /* keyless one (run_at now-100) then doc1 (earliest run_at kept = +100) */
    CHECK_EQ_STR(out[0].id, c);
    CHECK(out[0].key == NULL);
    CHECK_EQ_STR(out[1].id, a);
    CHECK_EQ_STR(out[1].payload, "{\"v\":3}");
    CHECK_EQ_STR(out[1].key, "doc1");
    CHECK_EQ_INT(out[1].attempts, 1);
    /* while doc1 runs, a new doc1 enqueue makes a new queued job */
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "doc1", "{\"v\":4}", fake_now, 0, b, &e), LEVY_OK);
    CHECK(strcmp(a, b) != 0);
    /* retrying the running one collides with the queued successor: superseded */
    CHECK_EQ_INT(levy_jobs_retry(st, a, fake_now + 10, "boom", 1, &e), LEVY_OK);
    CHECK_EQ_STR(job_state(st, a, NULL), "done");
    CHECK_EQ_STR(job_state(st, b, NULL), "queued");
    CHECK_EQ_INT(levy_jobs_done(st, c, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_done(st, c, &e), LEVY_ENOTFOUND);
end:
    levy_jobs_free(out, n);
    levy_jobs_set_notify(NULL, NULL);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

/* A claim by kind behind a backlog of another kind: only that kind, in (run_at, created_at)
 * order (ties on run_at by creation), and served by the (kind, state, run_at, created_at)
 * index without a sort (the claim used to walk every queued job of every kind). */
static void t_claim_kind_behind_backlog(void)
{
    levy_store *st = open_store();
    char id[4][LEVY_JOB_ID_MAX], other[LEVY_JOB_ID_MAX];
    levy_job out[8];
    int n = 0;
    levy_err e = {0};
    sqlite3_stmt *q = NULL;
    for (int i = 0; i < 300; i++) {
        CHECK_EQ_INT(levy_jobs_enqueue(st, "calc", NULL, "{}", fake_now + i % 7, 0, other, &e),
                     LEVY_OK);
        fake_now += 1;
    }
    int64_t at[4] = {50, 20, 50, 10}, base = fake_now + 5000; /* due after every calc */
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(levy_jobs_enqueue(st, "wb", NULL, "{}", base + at[i], 0, id[i], &e), LEVY_OK);
        fake_now += 1;
    }
    CHECK_EQ_INT(levy_jobs_claim(st, "wb", fake_now + 100000, 8, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_STR(out[0].id, id[3]);
    CHECK_EQ_STR(out[1].id, id[1]);
    CHECK_EQ_STR(out[2].id, id[0]); /* same run_at as id[2], created first */
    CHECK_EQ_STR(out[3].id, id[2]);
    for (int i = 0; i < n; i++)
        CHECK_EQ_STR(out[i].kind, "wb");
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(sqlite3_prepare_v2(levy_store_db(st),
                                    "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE kind=?2 AND "
                                    "state='queued' AND run_at<=?1 ORDER BY run_at, created_at, "
                                    "rowid LIMIT ?3",
                                    -1, &q, NULL),
                 SQLITE_OK);
    int uses_index = 0, sorts = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(q, 3);
        if (d && strstr(d, "jobs_kind_state_run_at"))
            uses_index = 1;
        if (d && strstr(d, "TEMP B-TREE"))
            sorts = 1;
    }
    CHECK(uses_index && !sorts);
end:
    sqlite3_finalize(q);
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static void t_claim_order_and_due(void)
{
    levy_store *st = open_store();
    char id[5][LEVY_JOB_ID_MAX];
    levy_job out[8];
    int n = 0;
    levy_err e = {0};
    int64_t at[5] = {300, 100, 200, 5000, 100};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(levy_jobs_enqueue(st, i == 4 ? "other" : "k", NULL, "{}", fake_now + at[i], 0,
                                       id[i], &e),
                     LEVY_OK);
        fake_now += 1; /* distinct created_at */
    }
    fake_now = 1000000;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now + 250, 8, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(out[0].id, id[1]);
    CHECK_EQ_STR(out[1].id, id[2]);
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now + 10000, 1, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].id, id[4]); /* other kind, run_at 100 */
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now + 10000, 8, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(out[0].id, id[0]);
    CHECK_EQ_STR(out[1].id, id[3]);
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now + 10000, 8, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 0);
    int64_t next;
    CHECK_EQ_INT(levy_jobs_next_run_at(st, &next, &e), LEVY_ENOTFOUND);
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static void t_retry_dead_after_max(void)
{
    levy_store *st = open_store();
    char id[LEVY_JOB_ID_MAX];
    levy_job out[1];
    int n = 0, attempts = 0, runs = 0;
    levy_err e = {0};
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "x", "{}", fake_now, 3, id, &e), LEVY_OK);
    /* the runner's policy: failure with attempts >= max → dead, else retry with backoff */
    for (;;) {
        CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now, 1, out, &n, &e), LEVY_OK);
        if (n == 0)
            break;
        runs++;
        CHECK_EQ_INT(out[0].attempts, runs);
        if (out[0].attempts >= out[0].max_attempts)
            CHECK_EQ_INT(levy_jobs_dead(st, id, "failed 3 times", &e), LEVY_OK);
        else
            CHECK_EQ_INT(levy_jobs_retry(st, id, fake_now + 1000, "err", 1, &e), LEVY_OK);
        levy_jobs_free(out, n);
        n = 0;
        fake_now += 1000;
    }
    CHECK_EQ_INT(runs, 3);
    CHECK_EQ_STR(job_state(st, id, &attempts), "dead");
    CHECK_EQ_INT(attempts, 3);
    /* a not-counted retry (Retry-After) keeps attempts */
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "y", "{}", fake_now, 2, id, &e), LEVY_OK);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now, 1, out, &n, &e), LEVY_OK);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_INT(out[0].attempts, 1);
        levy_jobs_free(out, n);
        n = 0;
        CHECK_EQ_INT(levy_jobs_retry(st, id, fake_now + 5, "429", 0, &e), LEVY_OK);
        fake_now += 5;
    }
    CHECK_EQ_INT(levy_jobs_dead(st, id, "x", &e), LEVY_ENOTFOUND); /* queued, not running */
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static void t_requeue_running(void)
{
    levy_store *st = open_store();
    char a[LEVY_JOB_ID_MAX], b[LEVY_JOB_ID_MAX], c[LEVY_JOB_ID_MAX];
    levy_job out[4];
    int n = 0, cnt = 0;
    levy_err e = {0};
    levy_jobs_enqueue(st, "k", "one", "{}", fake_now, 0, a, &e);
    levy_jobs_enqueue(st, "k", "two", "{}", fake_now, 0, b, &e);
    CHECK_EQ_INT(levy_jobs_claim(st, NULL, fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2);
    levy_jobs_free(out, n);
    n = 0;
    levy_jobs_enqueue(st, "k", "two", "{\"new\":1}", fake_now + 50, 0, c, &e); /* successor */
    fake_now += 1000; /* "crash" and restart */
    CHECK_EQ_INT(levy_jobs_requeue_running(st, &cnt, &e), LEVY_OK);
    CHECK_EQ_INT(cnt, 2);
    CHECK_EQ_STR(job_state(st, a, NULL), "queued");
    CHECK_EQ_STR(job_state(st, b, NULL), "done"); /* superseded by c */
    CHECK_EQ_STR(job_state(st, c, NULL), "queued");
    CHECK_EQ_INT(levy_jobs_requeue_running(st, &cnt, &e), LEVY_OK);
    CHECK_EQ_INT(cnt, 0);
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static int64_t job_run_at(levy_store *st, const char *id)
{
    int64_t v = -1;
    sqlite3_stmt *s;
    sqlite3_prepare_v2(levy_store_db(st), "SELECT run_at FROM jobs WHERE id=?", -1, &s, NULL);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Issue 21: a keyed job backing off (its runner's retry set run_at) is not pulled forward by
 * new work of the same key: N enqueues leave its run_at and attempts alone and it runs once at
 * its back-off with the newest payload. A job merely scheduled is still pulled forward, and an
 * enqueue while the job runs queues one successor that runs right after a success or, after
 * a failure, inherits the failure's back-off and attempts. */
static void t_backoff_not_defeated(void)
{
    levy_store *st = open_store();
    char a[LEVY_JOB_ID_MAX], b[LEVY_JOB_ID_MAX], c[LEVY_JOB_ID_MAX];
    levy_job out[4];
    int n = 0, att = -1;
    levy_err e = {0};
    /* merely scheduled: an enqueue for now pulls it forward */
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "s", "{}", fake_now + 60000, 0, c, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "s", "{}", fake_now, 0, b, &e), LEVY_OK);
    CHECK_EQ_STR(b, c);
    CHECK_EQ_INT(job_run_at(st, c), fake_now);
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(levy_jobs_done(st, c, &e), LEVY_OK);
    levy_jobs_free(out, n);
    n = 0;
    /* the job fails twice and backs off */
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", "{\"v\":0}", fake_now, 0, a, &e), LEVY_OK);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_STR(out[0].id, a);
        CHECK_EQ_INT(levy_jobs_retry(st, a, fake_now + 30000, "unreachable", 1, &e), LEVY_OK);
        levy_jobs_free(out, n);
        n = 0;
        fake_now += 30000;
    }
    fake_now -= 29000; /* 1 s into the second back-off */
    int64_t backoff = job_run_at(st, a);
    CHECK_EQ_INT(backoff, fake_now + 29000);
    /* N deliveries during the back-off: same job, run_at and attempts untouched */
    for (int i = 1; i <= 20; i++) {
        char p[32];
        snprintf(p, sizeof p, "{\"v\":%d}", i);
        CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", p, fake_now, 0, b, &e), LEVY_OK);
        CHECK_EQ_STR(b, a);
    }
    CHECK_EQ_INT(job_run_at(st, a), backoff);
    CHECK_EQ_STR(job_state(st, a, &att), "queued");
    CHECK_EQ_INT(att, 2);
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 0); /* not due: the deliveries did not re-run it */
    /* a user's explicit "now" (Sync now) may pull it forward: attempts kept */
    CHECK_EQ_INT(levy_jobs_enqueue_flags(st, "k", "inbox", "{\"v\":20}", fake_now + 1000, 0,
                                         LEVY_JOB_SKIP_BACKOFF, b, &e),
                 LEVY_OK);
    CHECK_EQ_STR(b, a);
    CHECK_EQ_INT(job_run_at(st, a), fake_now + 1000);
    CHECK_EQ_STR(job_state(st, a, &att), "queued");
    CHECK_EQ_INT(att, 2);
    backoff = fake_now + 1000;
    /* a not-counted retry (Retry-After style) is a back-off as well */
    fake_now = backoff;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(out[0].attempts, 3);
    CHECK_EQ_STR(out[0].payload, "{\"v\":20}"); /* the newest work is carried */
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_retry(st, a, fake_now + 5000, "429", 0, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", "{}", fake_now, 0, b, &e), LEVY_OK);
    CHECK_EQ_STR(b, a);
    CHECK_EQ_INT(job_run_at(st, a), fake_now + 5000);
    CHECK_EQ_STR(job_state(st, a, &att), "queued");
    CHECK_EQ_INT(att, 2);
    /* while it runs (and fails again), a delivery queues a successor: it inherits the
     * failure's back-off and attempts instead of re-running the failing job at once */
    fake_now += 5000;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", "{\"v\":21}", fake_now, 0, b, &e), LEVY_OK);
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(levy_jobs_retry(st, a, fake_now + 40000, "unreachable", 1, &e), LEVY_OK);
    CHECK_EQ_STR(job_state(st, a, NULL), "done"); /* superseded by b */
    CHECK_EQ_STR(job_state(st, b, &att), "queued");
    CHECK_EQ_INT(att, 3);
    CHECK_EQ_INT(job_run_at(st, b), fake_now + 40000);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", "{\"v\":22}", fake_now, 0, c, &e), LEVY_OK);
    CHECK_EQ_STR(c, b);
    CHECK_EQ_INT(job_run_at(st, b), fake_now + 40000);
    /* Rillet answers again: the job runs at its back-off, succeeds; a delivery during that
     * run queues a successor due at once (no delivery waits for a sweep) */
    fake_now += 40000;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].payload, "{\"v\":22}");
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "inbox", "{\"v\":23}", fake_now, 0, c, &e), LEVY_OK);
    CHECK(strcmp(c, b) != 0);
    CHECK_EQ_INT(levy_jobs_done(st, b, &e), LEVY_OK);
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 4, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].id, c);
    CHECK_EQ_INT(out[0].attempts, 1);
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

/* levy_jobs_counts: one call per (kind, state) with its count - the levy_jobs gauge of
 * /metrics, which the server computed with its own SQL before the layering (issue 18). */
typedef struct counts_seen {
    int calls;
    int64_t k_queued, k_running, other_queued;
} counts_seen;

static void on_count(void *ud, const char *kind, const char *state, int64_t n)
{
    counts_seen *c = ud;
    c->calls++;
    if (strcmp(kind, "k") == 0 && strcmp(state, "queued") == 0)
        c->k_queued = n;
    else if (strcmp(kind, "k") == 0 && strcmp(state, "running") == 0)
        c->k_running = n;
    else if (strcmp(kind, "other") == 0 && strcmp(state, "queued") == 0)
        c->other_queued = n;
}

static void t_counts(void)
{
    levy_store *st = open_store();
    char id[LEVY_JOB_ID_MAX];
    levy_job out[1];
    int n = 0;
    levy_err e = {0};
    counts_seen c = {0};
    CHECK_EQ_INT(levy_jobs_counts(st, on_count, &c, &e), LEVY_OK);
    CHECK_EQ_INT(c.calls, 0); /* an empty queue: no series */
    levy_jobs_enqueue(st, "k", "a", "{}", fake_now, 0, id, &e);
    levy_jobs_enqueue(st, "k", "b", "{}", fake_now, 0, id, &e);
    levy_jobs_enqueue(st, "k", "c", "{}", fake_now, 0, id, &e);
    levy_jobs_enqueue(st, "other", NULL, "{}", fake_now + 1000, 0, id, &e);
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 1, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(levy_jobs_counts(st, on_count, &c, &e), LEVY_OK);
    CHECK_EQ_INT(c.calls, 3);
    CHECK_EQ_INT(c.k_queued, 2);
    CHECK_EQ_INT(c.k_running, 1);
    CHECK_EQ_INT(c.other_queued, 1);
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static void t_transaction_join(void)
{
    levy_store *st = open_store();
    char id[LEVY_JOB_ID_MAX];
    levy_err e = {0};
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", NULL, "{}", fake_now, 0, id, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_rollback(st, &e), LEVY_OK);
    int64_t next;
    CHECK_EQ_INT(levy_jobs_next_run_at(st, &next, &e),
                 LEVY_ENOTFOUND); /* rolled back with caller */
end:
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static uint64_t xs = 88172645463325252ull;
static uint64_t xorshift(void)
{
    xs ^= xs << 13;
    xs ^= xs >> 7;
    xs ^= xs << 17;
    return xs;
}

static void t_backoff(void)
{
    for (int attempt = 0; attempt < 70; attempt += 3) {
        int64_t cap = attempt < 40 ? (1000LL << attempt) : INT64_MAX;
        if (cap > 3600000)
            cap = 3600000;
        int64_t lo = INT64_MAX, hi = -1;
        for (int i = 0; i < 10000; i++) {
            int64_t d = levy_jobs_backoff_ms(attempt, 1000, 3600000, xorshift());
            CHECK(d >= 0 && d <= cap);
            if (d < lo)
                lo = d;
            if (d > hi)
                hi = d;
        }
        /* full jitter: draws spread over the whole range */
        CHECK(lo < cap / 50 + 1);
        CHECK(hi > cap - cap / 50 - 1);
    }
    CHECK_EQ_INT(levy_jobs_backoff_ms(3, 1000, 3600000, 0), 0);
    CHECK_EQ_INT(levy_jobs_backoff_ms(3, 1000, 3600000, UINT64_MAX), 8000);
    CHECK_EQ_INT(levy_jobs_backoff_ms(1000, INT64_MAX / 2, INT64_MAX - 1, UINT64_MAX),
                 INT64_MAX - 1);
    CHECK_EQ_INT(levy_jobs_backoff_ms(-1, 1000, 5000, UINT64_MAX), 1000);
end:;
}

/* LEVY_JOB_KEEP_PAYLOAD (issue 22, the schedule tick vs a queued Sync now): an enqueue of a
 * queued key keeps the queued job's payload (its run_at still moves earlier); without a queued
 * job it inserts its own payload; a later plain enqueue replaces the payload as before. */
static void t_keep_payload(void)
{
    levy_store *st = open_store();
    char a[LEVY_JOB_ID_MAX], b[LEVY_JOB_ID_MAX];
    levy_job out[2];
    int n = 0;
    levy_err e = {0};
    CHECK_EQ_INT(
        levy_jobs_enqueue(st, "sw", "c1", "{\"products\":true}", fake_now + 5000, 0, a, &e),
        LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue_flags(st, "sw", "c1", "{\"asked_ms\":7}", fake_now, 0,
                                         LEVY_JOB_KEEP_PAYLOAD, b, &e),
                 LEVY_OK);
    CHECK_EQ_STR(b, a);
    CHECK_EQ_INT(job_run_at(st, a), fake_now);
    CHECK_EQ_INT(levy_jobs_claim(st, "sw", fake_now, 2, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].payload, "{\"products\":true}");
    CHECK_EQ_INT(levy_jobs_done(st, a, &e), LEVY_OK);
    levy_jobs_free(out, n);
    n = 0;
    /* nothing queued: the flag's own payload */
    CHECK_EQ_INT(levy_jobs_enqueue_flags(st, "sw", "c1", "{\"asked_ms\":8}", fake_now, 0,
                                         LEVY_JOB_KEEP_PAYLOAD, a, &e),
                 LEVY_OK);
    /* a plain enqueue still replaces it */
    CHECK_EQ_INT(levy_jobs_enqueue(st, "sw", "c1", "{\"products\":true}", fake_now, 0, b, &e),
                 LEVY_OK);
    CHECK_EQ_STR(b, a);
    CHECK_EQ_INT(levy_jobs_claim(st, "sw", fake_now, 2, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].payload, "{\"products\":true}");
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

/* Issue 21: the idle runner's one read. SQLite: the earliest queued run_at (a running job is
 * never claimed again here: requeued at the next start); nothing queued: ENOTFOUND. */
static void t_next_due(void)
{
    levy_store *st = open_store();
    levy_err e = {0};
    char id[LEVY_JOB_ID_MAX];
    levy_job out[2];
    int n = 0;
    int64_t due = -1;
    memset(out, 0, sizeof out);
    CHECK_EQ_INT(levy_jobs_next_due(st, &due, &e), LEVY_ENOTFOUND);
    CHECK_EQ_INT((int)due, -1);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k.b", NULL, "{}", 5000, 0, id, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k.a", NULL, "{}", 3000, 0, id, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_next_due(st, &due, &e), LEVY_OK);
    CHECK_EQ_INT((int)due, 3000);
    /* the earlier one running: the other is next */
    CHECK_EQ_INT(levy_jobs_claim(st, "k.a", 3000, 2, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(levy_jobs_next_due(st, &due, &e), LEVY_OK);
    CHECK_EQ_INT((int)due, 5000);
    CHECK_EQ_INT(levy_jobs_done(st, out[0].id, &e), LEVY_OK);
    CHECK_EQ_INT(levy_jobs_claim(st, "k.b", 5000, 2, out + 1, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(levy_jobs_next_due(st, &due, &e), LEVY_ENOTFOUND);
    levy_jobs_free(out + 1, 1);
end:
    levy_jobs_free(out, 1);
    levy_store_close(st);
}

/* Runs the job of (kind, key) to dead after max attempts (the runner's policy). */
static int run_to_dead(levy_store *st, const char *kind, const char *key, int max, char *id,
                       levy_err *e)
{
    levy_job out[1];
    int n = 0;
    if (levy_jobs_enqueue(st, kind, key, "{\"p\":1}", fake_now, max, id, e) != LEVY_OK)
        return -1;
    for (int i = 0; i < max; i++) {
        if (levy_jobs_claim(st, kind, fake_now, 1, out, &n, e) != LEVY_OK || n != 1)
            return -1;
        levy_jobs_free(out, n);
        if ((i + 1 < max ? levy_jobs_retry(st, id, fake_now, "boom", 1, e)
                         : levy_jobs_dead(st, id, "boom", e)) != LEVY_OK)
            return -1;
    }
    return 0;
}

static const char *job_error(levy_store *st, const char *id)
{
    static char buf[256];
    sqlite3_stmt *s;
    buf[0] = 0;
    sqlite3_prepare_v2(levy_store_db(st), "SELECT last_error FROM jobs WHERE id=?", -1, &s, NULL);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(buf, sizeof buf, "%s", sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return buf;
}

/* An operator's retry of a dead job (jobs20): queued now with fresh attempts, its error kept;
 * refused for an unknown id and a job that is not dead; a queued job of its key carries the
 * work; revive_all by kind and by the time it gave up. */
static void t_revive(void)
{
    levy_store *st = open_store();
    char a[LEVY_JOB_ID_MAX], b[LEVY_JOB_ID_MAX], q[LEVY_JOB_ID_MAX], c[LEVY_JOB_ID_MAX],
        got[LEVY_JOB_ID_MAX];
    levy_job out[1];
    int n = 0, attempts = -1, count = -1;
    levy_err e = {0};
    notified = 0;
    CHECK_EQ_INT(run_to_dead(st, "k", "a", 3, a, &e), 0);
    CHECK_EQ_STR(job_state(st, a, &attempts), "dead");
    CHECK_EQ_INT(levy_jobs_revive(st, "job_nosuch", got, &e), LEVY_ENOTFOUND);
    fake_now += 5000;
    CHECK_EQ_INT(levy_jobs_revive(st, a, got, &e), LEVY_OK);
    CHECK_EQ_STR(got, a);
    CHECK_EQ_STR(job_state(st, a, &attempts), "queued");
    CHECK_EQ_INT(attempts, 0);
    CHECK_EQ_STR(job_error(st, a), "retried by hand after 3 attempts: boom");
    CHECK_EQ_INT(levy_jobs_revive(st, a, got, &e), LEVY_ECONFLICT); /* queued, not dead */
    CHECK(strstr(e.message, "queued") != NULL);
    /* due now, with its payload, and a full set of attempts again */
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 1, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].id, a);
    CHECK_EQ_INT(out[0].attempts, 1);
    CHECK_EQ_STR(out[0].payload, "{\"p\":1}");
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_done(st, a, &e), LEVY_OK);
    /* a dead job whose key was queued again meanwhile: the queued one carries the work, pulled
     * forward to now; the dead one is done (superseded) */
    CHECK_EQ_INT(run_to_dead(st, "k", "b", 2, b, &e), 0);
    CHECK_EQ_INT(levy_jobs_enqueue(st, "k", "b", "{}", fake_now + 60000, 0, q, &e), LEVY_OK);
    CHECK(strcmp(q, b) != 0);
    CHECK_EQ_INT(levy_jobs_revive(st, b, got, &e), LEVY_OK);
    CHECK_EQ_STR(got, q);
    CHECK_EQ_STR(job_state(st, b, NULL), "done");
    CHECK(strstr(job_error(st, b), q) != NULL);
    CHECK_EQ_INT(levy_jobs_claim(st, "k", fake_now, 1, out, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(out[0].id, q);
    levy_jobs_free(out, n);
    n = 0;
    CHECK_EQ_INT(levy_jobs_done(st, q, &e), LEVY_OK);
    /* revive_all: of a kind, and only those that gave up since a time */
    CHECK_EQ_INT(run_to_dead(st, "k", "old", 1, c, &e), 0);
    fake_now += 10000;
    int64_t since = fake_now;
    CHECK_EQ_INT(run_to_dead(st, "k", "c1", 1, a, &e), 0);
    CHECK_EQ_INT(run_to_dead(st, "other", "c2", 1, b, &e), 0);
    CHECK_EQ_INT(levy_jobs_revive_all(st, "k", since, &count, &e), LEVY_OK);
    CHECK_EQ_INT(count, 1);
    CHECK_EQ_STR(job_state(st, a, NULL), "queued");
    CHECK_EQ_STR(job_state(st, b, NULL), "dead");
    CHECK_EQ_STR(job_state(st, c, NULL), "dead");
    CHECK_EQ_INT(levy_jobs_revive_all(st, NULL, since, &count, &e), LEVY_OK);
    CHECK_EQ_INT(count, 1);
    CHECK_EQ_STR(job_state(st, b, NULL), "queued");
    CHECK_EQ_STR(job_state(st, c, NULL), "dead");
    CHECK_EQ_INT(levy_jobs_revive_all(st, NULL, since, &count, &e), LEVY_OK);
    CHECK_EQ_INT(count, 0);
end:
    levy_jobs_free(out, n);
    levy_store_close(st);
    levy_clock_set(NULL, NULL);
}

static const levy_test tests[] = {{"enqueue_dedupe", t_enqueue_dedupe},
                                  {"next_due", t_next_due},
                                  {"keep_payload", t_keep_payload},
                                  {"claim_order_and_due", t_claim_order_and_due},
                                  {"claim_kind_behind_backlog", t_claim_kind_behind_backlog},
                                  {"retry_dead_after_max", t_retry_dead_after_max},
                                  {"requeue_running", t_requeue_running},
                                  {"backoff_not_defeated", t_backoff_not_defeated},
                                  {"transaction_join", t_transaction_join},
                                  {"backoff", t_backoff},
                                  {"counts", t_counts},
                                  {"revive", t_revive},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
