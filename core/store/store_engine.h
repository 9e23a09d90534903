#ifndef LEVY_STORE_ENGINE_H
#define LEVY_STORE_ENGINE_H
/* Inside the store only (store.c, pg.c): the store and statement structures and the
 * PostgreSQL engine's entry points. Callers use store.h. */
#include <sqlite3.h>
#include <stdatomic.h>

#include "store.h"

#define LEVY_STORE_CACHE_SIZE 64
#define LEVY_STORE_TXN_STMTS 8

struct levy_pg;
struct levy_pgstmt;

struct levy_stmt {
    levy_store *st;
    sqlite3_stmt *lite;     /* SQLite */
    int quiet;              /* its failures are not the store's state (levy_stmt_quiet) */
    struct levy_pgstmt *pg; /* PostgreSQL */
};

struct levy_store {
    int engine;         /* LEVY_STORE_SQLITE / LEVY_STORE_POSTGRES */
    sqlite3 *db;        /* SQLite */
    struct levy_pg *pg; /* PostgreSQL */
    char *path;         /* the path, or the URL without its password */
    int depth;
    int64_t transactions; /* top-level transactions begun (levy_store_transactions) */
    int64_t replayable;   /* of those, begun replayable (levy_store_replayable_transactions) */
    int quiet;            /* while a quiet statement steps */
    unsigned tick;
    int state;             /* LEVY_STORE_STATE_* of the last failure (OK after a commit) */
    int busy_budget_ms;    /* 0: SQLite's 5 s busy timeout; else the shared wait budget */
    int64_t busy_deadline; /* monotonic ms: end of the current busy wait window (0 = none) */
    int64_t last_probe;    /* monotonic ms of the last levy_store_probe write */
    int fail_state;        /* levy_store_last_failure: the state the last failure implies */
    int fail_code;         /* ... and the engine's code (SQLite's extended result code) */
    int log_quiet;         /* levy_store_set_log_quiet: state changes are not logged */
    /* group commit (core/store/writer.h; SQLite only) */
    _Atomic int64_t *wait_mark;   /* levy_store_set_wait_mark */
    _Atomic int *sibling;         /* levy_store_set_sibling: 1 while it holds the write lock */
    int64_t sibling_since;        /* monotonic ms: the current wait for the sibling began */
    _Atomic int *holding;         /* levy_store_set_holding: 1 while a transaction is open */
    int (*ckpt_ask)(void *, int); /* levy_store_set_checkpointer */
    void *ckpt_ud;
    struct {
        char *sql;
        levy_stmt *stmt;
        unsigned used;
        int busy;
    } cache[LEVY_STORE_CACHE_SIZE];
    /* SQLite: BEGIN IMMEDIATE / COMMIT (index 0) and SAVEPOINT / RELEASE levy_<depth> (index
     * depth), prepared once: a group commit opens and releases a savepoint per unit, and
     * sqlite3_exec parsed each of those texts again (store.c txn_exec) */
    struct sqlite3_stmt *txn_open[LEVY_STORE_TXN_STMTS], *txn_close[LEVY_STORE_TXN_STMTS];
    /* levy_store_begin_replayable: PRAGMA synchronous=NORMAL / =FULL, and whether the
     * connection is at NORMAL now (set back to FULL when the level ends, or by the next begin) */
    struct sqlite3_stmt *sync_normal, *sync_full;
    int sync_lazy;
    /* SQLite: PRAGMA data_version, prepared once (levy_store_data_version) */
    struct sqlite3_stmt *data_version;
    /* levy_store_data_version's cheap check (issue 21): the WAL-index header as last seen in
     * the -shm mapping, and `dv_seq`, the `other` it reports, moved whenever the header or
     * the pragma's value differs from the last call's or the check changed source
     * (dv_src: 0 none yet, 1 header, 2 pragma); shm_file: the main database's file once
     * the connection is known to be in WAL mode with normal locking (shm_ok 1; -1 never) */
    unsigned char dv_hdr[48];
    int64_t dv_seq, dv_pragma;
    int dv_src, shm_ok;
    struct sqlite3_file *shm_file;
};

/* Records a state change (one log line per episode); store.c. */
void levy_store_note_state(levy_store *st, int state, const char *msg);

/* core/store/pg.c */
int levy_pg_connect(levy_store *st, const char *url, int readonly, levy_err *err);
void levy_pg_close(levy_store *st);
int levy_pg_exec(levy_store *st, const char *sql, levy_err *err);
int levy_pg_in_transaction(levy_store *st);
/* BEGIN / SAVEPOINT levy_<n>, kept to go ahead of the next statement in its round trip (or
 * sent with the next exec); LEVY_OK, or a reconnection's failure. */
int levy_pg_begin(levy_store *st, const char *sql, levy_err *err);
/* Closing the innermost level: 1 when it was never sent (forgotten: nothing to commit or roll
 * back), else 0 (the caller sends COMMIT / RELEASE / ROLLBACK). */
int levy_pg_end(levy_store *st);
int levy_pg_prepare(levy_store *st, const char *sql, levy_stmt *s, const char **tail,
                    levy_err *err);
void levy_pg_stmt_free(levy_stmt *s);
int levy_pg_bind(levy_stmt *s, int i, const char *v, long len, int is_int);
int levy_pg_step(levy_stmt *s, levy_err *err);
void levy_pg_reset(levy_stmt *s);
int levy_pg_param_count(levy_stmt *s);
int levy_pg_readonly(levy_stmt *s);
const char *levy_pg_sql(levy_stmt *s);
int levy_pg_column_count(levy_stmt *s);
const char *levy_pg_column_name(levy_stmt *s, int i);
int levy_pg_column_type(levy_stmt *s, int i);
const char *levy_pg_column_text(levy_stmt *s, int i);
size_t levy_pg_column_bytes(levy_stmt *s, int i);
int64_t levy_pg_changes(levy_store *st);
int64_t levy_pg_round_trips(levy_store *st);
int levy_pg_ping(levy_store *st, levy_err *err);
int levy_pg_lock_migrations(levy_store *st, int lock, levy_err *err);
int levy_pg_set_lock_timeout(levy_store *st, int ms, levy_err *err);
/* "postgres://user:***@host/db": the URL with the password masked (malloc'd). */
char *levy_pg_redact_url(const char *url);

#endif
