#ifndef LEVY_WRITER_H
#define LEVY_WRITER_H
/* The store's writer thread (issue 21, group commit): one thread with its own connection to
 * the store takes write units from a queue and commits them in groups: one BEGIN IMMEDIATE,
 * each unit inside its own SAVEPOINT, one COMMIT (one WAL fsync with synchronous=FULL) for
 * every unit that was waiting when the group began. A unit is complete only once its group's
 * COMMIT returned, i.e. once it is durable.
 *
 * Failure isolation: a unit whose step fails is rolled back to its savepoint and fails alone
 * (its neighbours in the group commit); a failed BEGIN or COMMIT (busy, disk full, I/O) fails
 * every unit of the group, since none of them is durable. When a step's error made SQLite
 * roll back the whole transaction (SQLITE_FULL, some I/O errors), the units of the group
 * before it fail too, and the units after it run in a new group.
 *
 * Completion: the writer never calls back into the submitter's thread. Completed units are
 * put on a done list and one byte is written to a pipe (levy_writer_fd) when that list goes
 * from empty to non-empty; the submitter's loop watches the pipe and calls
 * levy_writer_complete, which runs each unit's `done` callback on the loop's thread, in
 * submission order.
 *
 * Sharing the lock with the loop's own connection (levy_writer_watch_store): the loop still
 * writes through its own connection (jobs, handlers' store.exec). Its waits for the writer's
 * transaction do not spend its busy budget, which is meant for locks of other processes
 * (levy_store_set_sibling: bounded at 2 s), and the writer waits the same way for a
 * transaction the loop's connection holds (levy_store_set_holding); and since a writer under constant load would hold
 * the lock almost all the time, the loop's store marks its waits (levy_store_set_wait_mark)
 * and the writer leaves a 3 ms gap after a commit while the loop has waited recently.
 *
 * Stop: levy_writer_stop refuses new units, lets the thread finish every queued unit (a
 * drain: nothing accepted is dropped), joins it, runs the remaining completions and frees.
 *
 * Engines: both. On SQLite the group is worth one WAL fsync per group, and the writer's
 * connection shares the database's one write lock with the loop's (the sibling waits above).
 * On PostgreSQL (issue 22) the writer has its own libpq connection: a group is one BEGIN, a
 * SAVEPOINT per unit, one COMMIT (synchronous_commit: durable when it returns), so the loop
 * no longer waits on a unit's round trips and many deliveries share one commit. There is no
 * database-wide lock to share (levy_writer_watch_store does nothing); a group waits up to 2 s
 * (the connection's lock_timeout, not per group) for a row lock another replica's group holds
 * (the queued process_inbox job row, the same delivery's inbox row), and at most 16 units go
 * in one group (GROUP_MAX_PG: each unit is a subtransaction). On both engines a job step with a
 * key is not enqueued inside its unit but once per (kind, key) for the whole group just before
 * its COMMIT (the unit's job_id is filled then): on SQLite the group's later upserts of the same
 * queued job changed nothing but its updated_at and cost ~70 k instructions each; on PostgreSQL
 * the group holds the queued job's row lock for one statement, not for the whole group. There,
 * a SQL step marked LEVY_WSTEP_DEFER likewise (the
 * intake's last_webhook_at of the connection row). Deduplication across replicas is
 * still the inbox's unique constraint: the second replica's INSERT waits for the first's
 * group and then changes no row. Units run on the caller's connection with levy_wunit_run
 * where no writer runs (levy test, levy check, the calc role, LEVY_STORE_WRITER=0): units and
 * steps go through the engine-neutral statement API (store.h), so they mean the same on both
 * engines. */
#include <stdint.h>

#include "levy.h"
#include "store.h"

typedef struct levy_writer levy_writer;

/* A bound parameter: the value is copied into the unit (the writer runs later, elsewhere). */
enum { LEVY_WPARAM_NULL = 0, LEVY_WPARAM_INT, LEVY_WPARAM_TEXT };
typedef struct levy_wparam {
    int type;
    int64_t i;
    char *s; /* TEXT: malloc'd, len bytes (+ NUL) */
    size_t len;
} levy_wparam;

/* One step of a unit: a SQL statement with parameters, or a job to enqueue. */
enum { LEVY_WSTEP_SQL = 1, LEVY_WSTEP_JOB };
#define LEVY_WSTEP_STOP_IF_NONE 1 /* the statement changed no row: the unit ends here (the */
                                  /* steps before it commit, the rest are skipped) */
#define LEVY_WSTEP_DEFER 2        /* SQL: in a PostgreSQL writer group, run once just before the */
/* group's COMMIT (identical ones once: same SQL and parameters), */
/* not where the unit runs, so the rows it locks stay locked for */
/* one statement and the COMMIT, not for the whole group; elsewhere */
/* (SQLite, levy_wunit_run) in place. Not with STOP_IF_NONE. */
typedef struct levy_wstep {
    int kind;
    int flags;
    /* SQL */
    char *sql;
    levy_wparam *params;
    int nparams;
    /* JOB (levy_jobs_enqueue: kind, key (NULL = none), payload JSON, run_at, max_attempts) */
    char *job_kind, *job_key, *job_payload;
    int64_t job_run_at;
    int job_max_attempts;
    /* results */
    int ran;         /* 1 when the step ran */
    int64_t changes; /* SQL: levy_store_changes */
    int64_t rowid;   /* SQL: levy_store_last_insert_rowid (0 on PostgreSQL: use RETURNING) */
    char job_id[40]; /* JOB: the id */
} levy_wstep;

typedef struct levy_wunit levy_wunit;
struct levy_wunit {
    levy_wstep *steps;
    int nsteps;
    /* results: rc LEVY_OK, or the error (err; state the LEVY_STORE_STATE_* the failure
     * implies, OK when none, e.g. a constraint; code the engine's code of it, SQLite's
     * extended result code or 0 on PostgreSQL: levy_store_last_failure); stopped = 1-based
     * index of the STOP_IF_NONE step that ended the unit, or 0; jobs = number of jobs
     * enqueued */
    int rc;
    int state;
    int code;
    levy_err err;
    int stopped;
    int jobs;
    /* run on the loop's thread by levy_writer_complete (or by levy_writer_stop) */
    void (*done)(levy_wunit *u);
    void *ud;
    levy_wunit *next; /* the writer's */
};

/* A unit of n zeroed steps (calloc); NULL on OOM. Free with levy_wunit_free. */
levy_wunit *levy_wunit_new(int nsteps);
void levy_wunit_free(levy_wunit *u);
/* Copies text into a parameter (LEVY_ENOMEM on failure). */
int levy_wparam_text(levy_wparam *p, const char *s, size_t len);

/* Runs u at once on st, in the caller's thread, on either engine: inside a transaction of its
 * own (BEGIN [IMMEDIATE] ... COMMIT) or, when one is open, a savepoint of it. Fills u's
 * results (rc, err, state, code, stopped, jobs, the steps'); the notify hook of levy.jobs is
 * not called. Returns u->rc (LEVY_OK on success). What the writer thread runs for each unit
 * of a group; also the path where no writer runs (PostgreSQL, levy test, levy check,
 * LEVY_STORE_WRITER=0). */
int levy_wunit_run(levy_store *st, levy_wunit *u);

/* Opens the writer's own connection to path, a SQLite file or a PostgreSQL URL
 * (levy_store_connect: WAL, synchronous=FULL on SQLite; no migrations: the store is already
 * migrated by its opener) and starts the thread. On SQLite each group waits at most busy_ms
 * for the write lock (a fresh levy_store_set_busy_budget window per group; <= 0: SQLite's
 * 5 s), then fails with LEVY_EBUSY; on PostgreSQL a row lock is waited for up to
 * max(busy_ms, 2 s) per statement. On SQLite it also starts the checkpointer thread (a
 * third connection) that runs the WAL checkpoints the writer's commits leave (see
 * levy_store_set_checkpointer). */
int levy_writer_start(levy_writer **out, const char *path, int busy_ms, levy_err *err);
/* Queues u (u->done must be set). LEVY_EBUSY "stopping" when the writer is stopping; the unit
 * is then not taken (the caller still owns it). */
int levy_writer_submit(levy_writer *w, levy_wunit *u, levy_err *err);
/* The read end of the completion pipe: readable when levy_writer_complete has work. */
int levy_writer_fd(levy_writer *w);
/* Drains the pipe and runs the `done` callback of every completed unit (the callback owns
 * the unit and frees it). Returns the number completed. */
int levy_writer_complete(levy_writer *w);
/* Drains the queue, joins the thread, completes what is left, closes. NULL: no-op. */
void levy_writer_stop(levy_writer *w);
/* Counters for /metrics and tests: units and groups committed since the start. */
void levy_writer_counts(levy_writer *w, uint64_t *units, uint64_t *groups);
/* SQLite: PASSIVE checkpoints the checkpointer thread ran (the writer's and the watched
 * store's commits hand them over: levy_store_set_checkpointer) since the start. */
uint64_t levy_writer_checkpoints(levy_writer *w);
/* The loop's store (st) announces its lock waits to this writer (see above; SQLite only),
 * and hands its checkpoints to the writer's checkpointer (until levy_writer_stop). */
void levy_writer_watch_store(levy_writer *w, levy_store *st);
/* Tests only: when set, called on the writer thread after each unit of a group ran (before
 * the next unit, the deferred steps and the COMMIT), so a test can look at the locks an
 * open group holds without timing anything. */
extern void (*levy_writer_after_unit_hook)(levy_wunit *u);
/* Round trips the writer's connection waited for (levy_store_round_trips; 0 on SQLite), as of
 * its last group: for /metrics' levy_store_round_trips_total. */
int64_t levy_writer_round_trips(levy_writer *w);

#endif
