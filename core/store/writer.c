/* The writer thread: group commit of write units. See writer.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "jobs.h"
#include "log.h"
#include "writer.h"

#define GROUP_MAX 512  /* units per transaction: bounds the time the write lock is held */
#define LOOP_TURN_MS 3 /* the gap left after a commit while the loop's connection waits */
/* PostgreSQL: every unit, and every statement in it, is a subtransaction with an xid of its
 * own (a unit of the intake: its SAVEPOINT, the INSERT's and the UPDATE's, so up to 3). Past
 * 64 of them in one transaction the backend's subtransaction cache overflows, and while the
 * group is open every other backend's snapshot has to look in pg_subtrans: CPU on the server
 * for every replica. 16 units stay under that bound (and keep a group short: the row locks it
 * takes are held until its COMMIT), at the price of more commits when more are waiting. */
#define GROUP_MAX_PG 16
/* PostgreSQL: how long a group waits for a row lock another replica's group holds (the
 * connection's queued process_inbox job, an inbox row of the same delivery): that group
 * commits within milliseconds, so waiting is the normal case, not a reason to answer 503 */
#define PG_LOCK_WAIT_MS 2000
/* SQLite: past this many WAL frames (~40 MB of 4 KB pages) a commit checkpoints on its own
 * connection again, as without the checkpointer. The WAL restarts from its beginning only
 * when a write begins after a checkpoint copied every frame; a checkpointer that keeps
 * running beside a stream of groups may keep missing that moment, and the WAL would grow.
 * The committing connection's own checkpoint (no other write can be under way then) copies
 * everything, so the next group restarts the WAL: the bound. */
#define CKPT_INLINE_FRAMES 10000

struct levy_writer {
    levy_store *st;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    levy_wunit *q_head, *q_tail;       /* queued */
    levy_wunit *done_head, *done_tail; /* complete, for levy_writer_complete */
    int stopping;
    int busy_ms;
    int pg;        /* PostgreSQL (no shared write lock: no busy window, no turn for the loop) */
    int group_max; /* GROUP_MAX or GROUP_MAX_PG */
    int pipe[2];
    _Atomic int64_t loop_wait; /* levy_store_set_wait_mark of the loop's store */
    _Atomic int in_tx;         /* levy_store_set_sibling of the loop's store */
    _Atomic int loop_tx;       /* the loop's store has a transaction open (set_holding) */
    _Atomic uint64_t units, groups;
    _Atomic int64_t trips; /* levy_store_round_trips of its connection, after each group */
    /* SQLite: the checkpointer thread (levy_store_set_checkpointer), its own connection */
    levy_store *ck;
    pthread_t ck_th;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    _Atomic int ck_want; /* a commit left >= 1,000 frames: run a PASSIVE checkpoint */
    int ck_stop, ck_started;
    _Atomic uint64_t checkpoints;
    levy_store *watched; /* levy_writer_watch_store's: its checkpointer unset on stop */
};

levy_wunit *levy_wunit_new(int nsteps)
{
    levy_wunit *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    if (nsteps > 0 && !(u->steps = calloc((size_t)nsteps, sizeof *u->steps))) {
        free(u);
        return NULL;
    }
    u->nsteps = nsteps;
    return u;
}

void levy_wunit_free(levy_wunit *u)
{
    if (!u)
        return;
    for (int i = 0; i < u->nsteps; i++) {
        levy_wstep *s = &u->steps[i];
        for (int k = 0; k < s->nparams; k++)
            free(s->params[k].s);
        free(s->params);
        free(s->sql);
        free(s->job_kind);
        free(s->job_key);
        free(s->job_payload);
    }
    free(u->steps);
    free(u);
}

int levy_wparam_text(levy_wparam *p, const char *s, size_t len)
{
    p->type = LEVY_WPARAM_TEXT;
    p->len = len;
    if (!(p->s = malloc(len + 1)))
        return LEVY_ENOMEM;
    memcpy(p->s, s, len);
    p->s[len] = 0;
    return LEVY_OK;
}

/* ------------------------------------------------------------------ the thread's work */

static void fail_unit(levy_wunit *u, int rc, int state, int code, const levy_err *err)
{
    u->rc = rc ? rc : LEVY_EINTERNAL;
    u->state = state;
    u->code = code;
    if (err)
        u->err = *err;
}

/* Fails u with rc and what the store's last failure implied (levy_store_last_failure). */
static void fail_unit_store(levy_store *st, levy_wunit *u, int rc, const levy_err *err)
{
    int code = 0;
    int state = levy_store_last_failure(st, &code);
    fail_unit(u, rc, state, code, err);
}

/* Runs one SQL step (the statement API: either engine). LEVY_OK, or the failure with err
 * set. */
static int run_sql(levy_store *st, levy_wstep *s, levy_err *err)
{
    levy_stmt *stmt = levy_store_prepare_cached(st, s->sql, err);
    if (!stmt)
        return err->rc ? err->rc : LEVY_EINTERNAL;
    int np = levy_stmt_param_count(stmt);
    if (s->nparams != np) {
        levy_store_release(st, stmt);
        return levy_err_set(err, LEVY_EINVAL, "sql", "%d parameter(s) expected, %d given", np,
                            s->nparams);
    }
    int rc = LEVY_OK;
    for (int k = 0; k < s->nparams && rc == LEVY_OK; k++) {
        levy_wparam *p = &s->params[k];
        if (p->type == LEVY_WPARAM_INT)
            rc = levy_stmt_bind_int64(stmt, k + 1, p->i);
        else if (p->type == LEVY_WPARAM_TEXT)
            rc = levy_stmt_bind_text(stmt, k + 1, p->s, (long)p->len);
        else
            rc = levy_stmt_bind_null(stmt, k + 1);
    }
    if (rc != LEVY_OK)
        levy_err_set(err, rc, "sql", "cannot bind a parameter");
    while (rc == LEVY_OK && (rc = levy_stmt_step(stmt, err)) == LEVY_STMT_ROW)
        rc = LEVY_OK;
    if (rc == LEVY_OK) {
        s->changes = levy_store_changes(st);
        s->rowid = levy_store_last_insert_rowid(st);
    }
    levy_store_release(st, stmt);
    return rc;
}

/* defer: DEFER_JOBS, a JOB step with a key, or DEFER_SQL, a SQL step marked LEVY_WSTEP_DEFER,
 * does not run here but is marked (ran = 2) for the group to run once just before its COMMIT
 * (run_group: deferred_jobs on both engines, deferred_sql on PostgreSQL) */
#define DEFER_SQL 1
#define DEFER_JOBS 2
static int unit_run(levy_store *st, levy_wunit *u, int defer);

int levy_wunit_run(levy_store *st, levy_wunit *u) { return unit_run(st, u, 0); }

static int unit_run(levy_store *st, levy_wunit *u, int defer)
{
    levy_err err;
    levy_err_clear(&err);
    int depth = levy_store_depth(st); /* 0 alone; in a group (or a transaction): a SAVEPOINT */
    int rc = levy_store_begin(st, &err);
    if (rc != LEVY_OK) {
        fail_unit_store(st, u, rc, &err);
        return u->rc;
    }
    for (int i = 0; i < u->nsteps && rc == LEVY_OK; i++) {
        levy_wstep *s = &u->steps[i];
        if (s->kind == LEVY_WSTEP_SQL && (defer & DEFER_SQL) && (s->flags & LEVY_WSTEP_DEFER)) {
            s->ran = 2; /* the group runs it (deferred_sql) */
        } else if (s->kind == LEVY_WSTEP_SQL) {
            if ((rc = run_sql(st, s, &err)) != LEVY_OK)
                break;
            s->ran = 1;
            if ((s->flags & LEVY_WSTEP_STOP_IF_NONE) && s->changes == 0) {
                u->stopped = i + 1;
                break;
            }
        } else if ((defer & DEFER_JOBS) && s->job_key) {
            /* what the enqueue would refuse fails this unit here, not the group later */
            if ((rc = levy_jobs_check(s->job_kind, s->job_payload, &err)) != LEVY_OK)
                break;
            s->ran = 2; /* the group enqueues it (deferred_jobs) */
        } else {
            rc = levy_jobs_enqueue_quiet(st, s->job_kind, s->job_key, s->job_payload, s->job_run_at,
                                         s->job_max_attempts, s->job_id, &err);
            if (rc != LEVY_OK)
                break;
            s->ran = 1;
            u->jobs++;
        }
    }
    if (rc != LEVY_OK) {
        fail_unit_store(st, u, rc, &err);
        levy_store_rollback(st, NULL);
        return u->rc;
    }
    if ((rc = levy_store_commit(st, &err)) != LEVY_OK) { /* RELEASE (COMMIT when alone) */
        fail_unit_store(st, u, rc, &err);
        if (levy_store_depth(st) > depth) /* still open: end this unit's level */
            levy_store_rollback(st, NULL);
        return u->rc;
    }
    return LEVY_OK;
}

/* Appends the chain first..last to the list *head..*tail (the queue or the done list). */
static void append(levy_wunit **head, levy_wunit **tail, levy_wunit *first, levy_wunit *last)
{
    if (*tail)
        (*tail)->next = first;
    else
        *head = first;
    *tail = last;
}

static void post_done(levy_writer *w, levy_wunit *head, levy_wunit *tail)
{
    if (!head)
        return;
    pthread_mutex_lock(&w->mu);
    int wake = w->done_head == NULL;
    append(&w->done_head, &w->done_tail, head, tail);
    pthread_mutex_unlock(&w->mu);
    if (wake) {
        char b = 1;
        ssize_t n;
        do
            n = write(w->pipe[1], &b, 1);
        while (n < 0 && errno == EINTR);
        /* EAGAIN: the pipe is full of wake-ups already; the loop drains everything anyway */
    }
}

/* The keyed job steps of a group's units, enqueued once per (kind, key) just before the
 * COMMIT. SQLite (issue 21): each delivery's upsert of its connection's one queued
 * rillet.process_inbox job was ~70 k instructions of the writer's ~180 k per INVOICE
 * delivery (the INSERT tried, the conflict on jobs_queued_key, the UPDATE of an indexed row:
 * bench/README.md "ingest — the processing's CPU"), and after the group's first the others
 * changed nothing but updated_at: the group holds the write lock from BEGIN to COMMIT, so no
 * claim can come between them. PostgreSQL: every delivery of a connection upserts that connection's one queued
 * rillet.process_inbox job: done where the unit runs, the group would hold that row's lock
 * from its first unit to its COMMIT, and the other replicas' groups (and their runners'
 * claims, which skip a locked row) would wait on it in turn — one group at a time across the
 * replicas. Enqueued last, the lock is held for one statement and the COMMIT, as when each
 * delivery committed alone. One upsert stands for the group's: the payload and max_attempts
 * of the last unit, the earliest run_at (what the upserts one after another leave). Only the
 * steps of units that succeeded are gathered. Returns LEVY_OK, or the failure (err set): the
 * group then fails as a whole, none of it being durable. */
static int deferred_jobs(levy_store *st, levy_wunit *first, levy_err *err)
{
    for (levy_wunit *u = first; u; u = u->next) {
        if (u->rc != LEVY_OK)
            continue;
        for (int i = 0; i < u->nsteps; i++) {
            levy_wstep *s = &u->steps[i];
            if (s->kind != LEVY_WSTEP_JOB || s->ran != 2)
                continue;
            /* the first deferred step of this (kind, key): enqueue for all of them */
            int64_t run_at = s->job_run_at;
            const levy_wstep *last = s;
            for (levy_wunit *v = u; v; v = v->next) {
                if (v->rc != LEVY_OK)
                    continue;
                for (int k = v == u ? i + 1 : 0; k < v->nsteps; k++) {
                    levy_wstep *t = &v->steps[k];
                    if (t->kind == LEVY_WSTEP_JOB && t->ran == 2 &&
                        strcmp(t->job_kind, s->job_kind) == 0 &&
                        strcmp(t->job_key, s->job_key) == 0) {
                        if (t->job_run_at < run_at)
                            run_at = t->job_run_at;
                        last = t;
                    }
                }
            }
            char id[LEVY_JOB_ID_MAX];
            int rc = levy_jobs_enqueue_quiet(st, s->job_kind, s->job_key, last->job_payload, run_at,
                                             last->job_max_attempts, id, err);
            if (rc != LEVY_OK)
                return rc;
            for (levy_wunit *v = u; v; v = v->next) {
                if (v->rc != LEVY_OK)
                    continue;
                for (int k = v == u ? i : 0; k < v->nsteps; k++) {
                    levy_wstep *t = &v->steps[k];
                    if (t->kind == LEVY_WSTEP_JOB && t->ran == 2 &&
                        strcmp(t->job_kind, s->job_kind) == 0 &&
                        strcmp(t->job_key, s->job_key) == 0) {
                        snprintf(t->job_id, sizeof t->job_id, "%s", id);
                        t->ran = 1;
                        v->jobs++;
                    }
                }
            }
        }
    }
    return LEVY_OK;
}

/* Two steps with the same SQL and parameters (deferred_sql runs them once). */
static int same_step(const levy_wstep *a, const levy_wstep *b)
{
    if (strcmp(a->sql, b->sql) != 0 || a->nparams != b->nparams)
        return 0;
    for (int k = 0; k < a->nparams; k++) {
        const levy_wparam *x = &a->params[k], *y = &b->params[k];
        if (x->type != y->type || (x->type == LEVY_WPARAM_INT && x->i != y->i) ||
            (x->type == LEVY_WPARAM_TEXT && (x->len != y->len || memcmp(x->s, y->s, x->len))))
            return 0;
    }
    return 1;
}

/* Orders deferred steps by SQL, then parameters: every replica's group takes the row locks
 * of its deferred steps in the same order (no deadlock between two groups that both update
 * the rows of connections A and B). */
static int step_cmp(const void *pa, const void *pb)
{
    const levy_wstep *a = *(levy_wstep *const *)pa, *b = *(levy_wstep *const *)pb;
    int c = strcmp(a->sql, b->sql);
    if (c)
        return c;
    for (int k = 0; k < a->nparams && k < b->nparams; k++) {
        const levy_wparam *x = &a->params[k], *y = &b->params[k];
        if (x->type != y->type)
            return x->type - y->type;
        if (x->type == LEVY_WPARAM_INT && x->i != y->i)
            return x->i < y->i ? -1 : 1;
        if (x->type == LEVY_WPARAM_TEXT) {
            size_t n = x->len < y->len ? x->len : y->len;
            if ((c = memcmp(x->s, y->s, n)) != 0)
                return c;
            if (x->len != y->len)
                return x->len < y->len ? -1 : 1;
        }
    }
    return a->nparams - b->nparams;
}

/* PostgreSQL: the LEVY_WSTEP_DEFER steps of a group's units that succeeded, run just before
 * the COMMIT, each distinct one (SQL and parameters) once, in a fixed order; the identical
 * ones get its results. Why: the intake's `UPDATE connections SET last_webhook_at` run inside
 * its unit held the connection's row lock from that unit to the group's COMMIT (up to 16
 * units later), so two replicas' groups for one connection ran one after the other. Such a
 * step must mean the same whenever it runs in the group (last_webhook_at only moves
 * forward: an older value never overwrites a newer). Returns LEVY_OK, or the failure (err
 * set): the group then fails as a whole. */
static int deferred_sql(levy_store *st, levy_wunit *first, levy_err *err)
{
    int n = 0;
    for (levy_wunit *u = first; u; u = u->next)
        for (int i = 0; u->rc == LEVY_OK && i < u->nsteps; i++)
            n += u->steps[i].kind == LEVY_WSTEP_SQL && u->steps[i].ran == 2;
    if (n == 0)
        return LEVY_OK;
    levy_wstep **v = malloc((size_t)n * sizeof *v);
    if (!v)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    n = 0;
    for (levy_wunit *u = first; u; u = u->next)
        for (int i = 0; u->rc == LEVY_OK && i < u->nsteps; i++)
            if (u->steps[i].kind == LEVY_WSTEP_SQL && u->steps[i].ran == 2)
                v[n++] = &u->steps[i];
    qsort(v, (size_t)n, sizeof *v, step_cmp);
    int rc = LEVY_OK;
    for (int i = 0; i < n && rc == LEVY_OK; i++) {
        if (i > 0 && same_step(v[i - 1], v[i])) {
            v[i]->changes = v[i - 1]->changes;
            v[i]->rowid = v[i - 1]->rowid;
        } else if ((rc = run_sql(st, v[i], err)) != LEVY_OK) {
            break;
        }
        v[i]->ran = 1;
    }
    free(v);
    return rc;
}

void (*levy_writer_after_unit_hook)(levy_wunit *u);

/* The group's transaction failed with rc (err): the store's failure state as it is now, the
 * transaction rolled back to the end, and every unit of the group not failed yet failed with
 * that error (none of them is durable). */
static void fail_group(levy_store *st, levy_wunit *first, int rc, const levy_err *err)
{
    int code = 0;
    int state = levy_store_last_failure(st, &code);
    while (levy_store_depth(st) > 0)
        levy_store_rollback(st, NULL);
    for (levy_wunit *u = first; u; u = u->next)
        if (u->rc == LEVY_OK)
            fail_unit(u, rc, state, code, err);
}

/* One group: units [head .. up to group_max] taken from the queue. */
static void run_group(levy_writer *w, levy_wunit *head)
{
    levy_store *st = w->st;
    while (head) {
        levy_err err;
        levy_err_clear(&err);
        levy_wunit *first = head, *last = NULL;
        if (w->busy_ms > 0 && !w->pg) /* each group waits at most busy_ms for the lock */
            levy_store_set_busy_budget(st, w->busy_ms);
        int rc = levy_store_begin(st, &err); /* BEGIN IMMEDIATE */
        if (rc != LEVY_OK) {
            int code = 0;
            int state = levy_store_last_failure(st, &code);
            levy_wunit *tail = head;
            for (levy_wunit *u = head; u; u = u->next) {
                fail_unit(u, rc, state, code, &err);
                tail = u;
            }
            atomic_store(&w->trips, levy_store_round_trips(st));
            post_done(w, head, tail);
            return;
        }
        /* it holds the write lock now (not while it waited for it: a lock another process
         * holds keeps costing the loop its short budget only) */
        atomic_store(&w->in_tx, 1);
        int broken = 0; /* the transaction was rolled back by SQLite under us */
        for (levy_wunit *u = head; u; u = u->next) {
            last = u;
            if (unit_run(st, u, w->pg ? DEFER_SQL | DEFER_JOBS : DEFER_JOBS) != LEVY_OK &&
                !levy_store_in_transaction(st)) {
                broken = 1;
                break;
            }
            if (levy_writer_after_unit_hook)
                levy_writer_after_unit_hook(u);
        }
        levy_wunit *rest = last ? last->next : NULL;
        if (last)
            last->next = NULL;
        if (!broken && ((w->pg && (rc = deferred_sql(st, first, &err)) != LEVY_OK) ||
                        (rc = deferred_jobs(st, first, &err)) != LEVY_OK)) {
            fail_group(st, first, rc, &err);
        } else if (broken) {
            /* the units before the failing one are not durable either: fail them with its
             * error; the rest run in a new transaction */
            while (levy_store_depth(st) > 0)
                levy_store_rollback(st, NULL);
            for (levy_wunit *u = first; u != last; u = u->next)
                if (u->rc == LEVY_OK)
                    fail_unit(u, last->rc, last->state, last->code, &last->err);
        } else if ((rc = levy_store_commit(st, &err)) != LEVY_OK) {
            fail_group(st, first, rc, &err); /* a failed commit has ended its level already */
        } else {
            uint64_t n = 0;
            for (levy_wunit *u = first; u; u = u->next)
                n++;
            atomic_fetch_add(&w->units, n);
            atomic_fetch_add(&w->groups, 1);
        }
        atomic_store(&w->in_tx, 0);
        atomic_store(&w->trips, levy_store_round_trips(st));
        post_done(w, first, last);
        head = rest;
    }
}

static void *writer_main(void *arg)
{
    levy_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->q_head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->q_head) { /* stopping, and nothing left */
            pthread_mutex_unlock(&w->mu);
            break;
        }
        levy_wunit *head = w->q_head, *u = head;
        for (int n = 1; n < w->group_max && u->next; n++)
            u = u->next;
        w->q_head = u->next;
        if (!w->q_head)
            w->q_tail = NULL;
        u->next = NULL;
        pthread_mutex_unlock(&w->mu);
        run_group(w, head);
        /* the loop's own connection waited for the lock recently: leave it a turn before the
         * next BEGIN IMMEDIATE, until its transaction holds the lock (loop_tx; the BEGIN then
         * waits for its COMMIT as for a sibling's) or it is no longer waiting (its busy
         * handler marks every retry, LEVY_STORE_SIBLING_STEP_US apart: no mark for 2 ms means
         * it got the lock and is done, or gave up), at most LOOP_TURN_MS. A fixed 3 ms sleep
         * here followed 363 of 497 groups in two 3 s INVOICE ingest runs (the loop's
         * process_inbox batches): the writer idled ~18 % of the run. */
        int64_t waited = atomic_load(&w->loop_wait);
        if (waited && !w->pg && levy_store_mono_ms() - waited < 20) {
            int64_t end = levy_store_mono_ms() + LOOP_TURN_MS;
            struct timespec ts = {0, 100000};
            while (!atomic_load(&w->loop_tx) && levy_store_mono_ms() < end &&
                   levy_store_mono_ms() - atomic_load(&w->loop_wait) < 2)
                nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ the checkpointer */

/* SQLite's auto-checkpoint ran inside the COMMIT of the connection whose commit crossed
 * 1,000 WAL frames: the writer thread copied ~4 MB into the database file and fsynced it
 * (3-20 ms on the shared machine) before it posted that group's answers, and the units
 * queued meanwhile waited too: the ingest's p99. A PASSIVE checkpoint needs no write lock
 * and runs beside the writer's next groups, so it gets a thread and a connection of its own;
 * durability does not depend on it (a commit is durable once its WAL frames are synced). */
static int ckpt_ask(void *ud, int frames)
{
    levy_writer *w = ud;
    if (frames >= CKPT_INLINE_FRAMES)
        return 0; /* the committing connection copies it all: the WAL restarts (the bound) */
    if (!atomic_exchange(&w->ck_want, 1)) {
        pthread_mutex_lock(&w->ck_mu);
        pthread_cond_signal(&w->ck_cv);
        pthread_mutex_unlock(&w->ck_mu);
    }
    return 1;
}

static void *ckpt_main(void *arg)
{
    levy_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->ck_mu);
        while (!atomic_load(&w->ck_want) && !w->ck_stop)
            pthread_cond_wait(&w->ck_cv, &w->ck_mu);
        int stop = w->ck_stop;
        pthread_mutex_unlock(&w->ck_mu);
        if (stop)
            break;
        atomic_store(&w->ck_want, 0);
        /* PASSIVE: copies what no reader still needs, never waits, never blocks a writer;
         * SQLITE_BUSY (another checkpoint is running: levy backup's) is the next ask's */
        sqlite3_wal_checkpoint_v2(levy_store_db(w->ck), "main", SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
        atomic_fetch_add(&w->checkpoints, 1);
    }
    return NULL;
}

/* Starts the checkpointer (SQLite). LEVY_OK, or the failure with err set. */
static int ckpt_start(levy_writer *w, const char *path, levy_err *err)
{
    int rc = levy_store_connect(&w->ck, path, 0, err);
    if (rc != LEVY_OK)
        return rc;
    levy_store_set_log_quiet(w->ck, 1);
    pthread_mutex_init(&w->ck_mu, NULL);
    pthread_cond_init(&w->ck_cv, NULL);
    if (pthread_create(&w->ck_th, NULL, ckpt_main, w) != 0) {
        pthread_mutex_destroy(&w->ck_mu);
        pthread_cond_destroy(&w->ck_cv);
        levy_store_close(w->ck);
        w->ck = NULL;
        return levy_err_set(err, LEVY_EINTERNAL, "thread", "cannot start the checkpointer");
    }
    w->ck_started = 1;
    levy_store_set_checkpointer(w->st, ckpt_ask, w);
    return LEVY_OK;
}

/* Ends the checkpointer (after the writer thread: no more asks from it). */
static void ckpt_stop(levy_writer *w)
{
    if (w->watched)
        levy_store_set_checkpointer(w->watched, NULL, NULL);
    if (!w->ck_started)
        return;
    levy_store_set_checkpointer(w->st, NULL, NULL);
    pthread_mutex_lock(&w->ck_mu);
    w->ck_stop = 1;
    pthread_cond_signal(&w->ck_cv);
    pthread_mutex_unlock(&w->ck_mu);
    pthread_join(w->ck_th, NULL);
    pthread_mutex_destroy(&w->ck_mu);
    pthread_cond_destroy(&w->ck_cv);
    levy_store_close(w->ck);
    w->ck = NULL;
    w->ck_started = 0;
}

uint64_t levy_writer_checkpoints(levy_writer *w) { return w ? atomic_load(&w->checkpoints) : 0; }

/* ------------------------------------------------------------------ the submitter's side */

/* Closes what levy_writer_start made once the thread is gone (or never started). */
static void writer_free(levy_writer *w)
{
    close(w->pipe[0]);
    close(w->pipe[1]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    levy_store_close(w->st);
    free(w);
}

int levy_writer_start(levy_writer **out, const char *path, int busy_ms, levy_err *err)
{
    *out = NULL;
    levy_writer *w = calloc(1, sizeof *w);
    if (!w)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    w->pipe[0] = w->pipe[1] = -1;
    w->pg = levy_store_is_url(path);
    w->group_max = w->pg ? GROUP_MAX_PG : GROUP_MAX;
    int rc = levy_store_connect(&w->st, path, 0, err);
    if (rc != LEVY_OK) {
        free(w);
        return rc;
    }
    w->busy_ms = busy_ms;
    levy_store_set_log_quiet(w->st, 1); /* its failures are logged once, by the loop's store */
    if (w->pg) /* the connection's lock_timeout, once (a SET per group is a round trip) */
        levy_store_set_busy_budget(w->st, busy_ms > PG_LOCK_WAIT_MS ? busy_ms : PG_LOCK_WAIT_MS);
    else if (busy_ms > 0)
        levy_store_set_busy_budget(w->st, busy_ms);
    if (pipe(w->pipe) != 0) {
        levy_store_close(w->st);
        free(w);
        return levy_err_set(err, LEVY_EIO, "io", "writer: pipe: %s", strerror(errno));
    }
    for (int i = 0; i < 2; i++) {
        fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (!w->pg && (rc = ckpt_start(w, path, err)) != LEVY_OK) {
        writer_free(w);
        return rc;
    }
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        ckpt_stop(w);
        writer_free(w);
        return levy_err_set(err, LEVY_EINTERNAL, "thread", "cannot start the writer thread");
    }
    *out = w;
    return LEVY_OK;
}

int levy_writer_submit(levy_writer *w, levy_wunit *u, levy_err *err)
{
    u->next = NULL;
    u->rc = LEVY_OK;
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        pthread_mutex_unlock(&w->mu);
        return levy_err_set(err, LEVY_EBUSY, "stopping", "the store's writer is stopping");
    }
    append(&w->q_head, &w->q_tail, u, u);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return LEVY_OK;
}

int levy_writer_fd(levy_writer *w) { return w->pipe[0]; }

int levy_writer_complete(levy_writer *w)
{
    char buf[64];
    while (read(w->pipe[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&w->mu);
    levy_wunit *u = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->mu);
    int n = 0;
    while (u) {
        levy_wunit *next = u->next;
        u->next = NULL;
        u->done(u); /* owns u from here */
        u = next;
        n++;
    }
    return n;
}

void levy_writer_stop(levy_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL); /* the thread ends once the queue is empty */
    ckpt_stop(w);
    levy_writer_complete(w);
    writer_free(w);
}

void levy_writer_counts(levy_writer *w, uint64_t *units, uint64_t *groups)
{
    *units = w ? atomic_load(&w->units) : 0;
    *groups = w ? atomic_load(&w->groups) : 0;
}

int64_t levy_writer_round_trips(levy_writer *w) { return w ? atomic_load(&w->trips) : 0; }

void levy_writer_watch_store(levy_writer *w, levy_store *st)
{
    if (w->pg) /* no database-wide write lock to share: row locks are waited for as such */
        return;
    levy_store_set_wait_mark(st, &w->loop_wait);
    /* the loop's commits (a job's) leave their checkpoints to the checkpointer as well */
    if (w->ck_started) {
        w->watched = st;
        levy_store_set_checkpointer(st, ckpt_ask, w);
    }
    levy_store_set_sibling(st, &w->in_tx);
    /* and the other way round: a job's transaction on the loop (50 deliveries processed per
     * commit, slow on a loaded machine) is waited for, not answered with 503s */
    levy_store_set_holding(st, &w->loop_tx);
    levy_store_set_sibling(w->st, &w->loop_tx);
}
