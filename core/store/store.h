#ifndef LEVY_STORE_H
#define LEVY_STORE_H
/* The durable store: one SQLite database in WAL mode with synchronous=FULL,
 * busy_timeout=5000 (levy serve: a short shared budget, levy_store_set_busy_budget),
 * foreign_keys=ON. Opening applies the core migrations embedded in the
 * binary (core/store/migrations/NNNN_name.sql). Plugins bring their own migrations
 * (plugins/<name>/migrations/NNNN_name.sql) applied with levy_store_migrate_dir.
 *
 * Migrations: files named NNNN_name.sql (4+ digits, then '_', ending ".sql"), applied in
 * number order, each in its own transaction (BEGIN IMMEDIATE ... COMMIT) together with its row
 * in schema_migrations(plugin, version, name, sha256, applied_at). Numbers must be 1, 2, 3...
 * without gaps or duplicates; an already-applied file whose sha256 changed, or an applied
 * version whose file disappeared, is an error (LEVY_EINVAL "migration_changed" /
 * "migration_gap" / "migration_missing"). A failing migration rolls back and reports
 * LEVY_EINVAL "migration_failed" with err->source = file, message = SQLite's message.
 *
 * Error mapping of SQLite result codes (levy_store_rc):
 *   BUSY/LOCKED → LEVY_EBUSY "busy"; IOERR/FULL/CANTOPEN/CORRUPT/NOTADB/READONLY → LEVY_EIO
 *   "io"; CONSTRAINT → LEVY_ECONFLICT "constraint"; NOMEM → LEVY_ENOMEM; else LEVY_EINVAL
 *   "sql". */
#include <sqlite3.h>

#include "levy.h"

typedef struct levy_store levy_store;

#define LEVY_STORE_READONLY 1   /* open read-only; no migrations applied (check only) */
#define LEVY_STORE_NO_MIGRATE 2 /* do not apply the core migrations */

/* Opens (creating if needed, unless READONLY) the database at path (":memory:" allowed for
 * tests) and applies the core migrations unless READONLY or NO_MIGRATE (core/store/migrate.c:
 * the migrations call the store, never the other way). *out = NULL on error. */
int levy_store_open(levy_store **out, const char *path, int flags, levy_err *err);
/* Opens and configures the database only (WAL, synchronous=FULL, busy timeout, foreign keys;
 * core/store/store.c): levy_store_open without the migrations. *out = NULL on error. */
int levy_store_connect(levy_store **out, const char *path, int flags, levy_err *err);
/* Closes (finalizes cached statements). NULL is a no-op. */
void levy_store_close(levy_store *st);
/* The underlying handle (for bindings and other core modules). */
sqlite3 *levy_store_db(levy_store *st);
const char *levy_store_path(levy_store *st);

/* Store state: what the last failed call said about the store, for /healthz and the log.
 * levy_store_rc sets it from the result code (BUSY/LOCKED → BUSY, FULL → FULL,
 * CORRUPT/NOTADB → CORRUPT, IOERR/CANTOPEN/READONLY/PROTOCOL → IOERR) and logs once per
 * change (WARN for busy, ERROR for the rest); any committed write sets it back to OK (WAL
 * hook), except CORRUPT, which stays until the process ends. */
#define LEVY_STORE_STATE_OK 0
#define LEVY_STORE_STATE_BUSY 1
#define LEVY_STORE_STATE_FULL 2
#define LEVY_STORE_STATE_IOERR 3
#define LEVY_STORE_STATE_CORRUPT 4
int levy_store_state(levy_store *st);
/* "ok", "busy", "disk_full", "io_error", "corrupt". */
const char *levy_store_state_name(int state);
/* When the state is BUSY, FULL or IOERR and no transaction is open: tries a one-row write
 * (meta 'store_probe'; at most once a second) so the state clears without traffic once the
 * cause is gone. Returns the state after it. */
int levy_store_probe(levy_store *st);
/* PRAGMA quick_check: LEVY_OK, or LEVY_EIO "corrupt" with SQLite's first findings in detail
 * (and the state CORRUPT); LEVY_EBUSY when it cannot read. */
int levy_store_quick_check(levy_store *st, char *detail, size_t cap, levy_err *err);
/* Bounds the time this connection waits for another process's lock: every wait draws on one
 * window of ms milliseconds; once spent, waits give up at once (SQLITE_BUSY → LEVY_EBUSY)
 * for a second, so a caller running several statements waits about ms in total. A commit
 * opens a new window. ms <= 0: SQLite's plain 5 s busy timeout (the default). */
void levy_store_set_busy_budget(levy_store *st, int ms);
/* Each wait of this connection for a lock (under a busy budget) stores the monotonic ms of
 * the wait in *mark, atomically: another thread (the writer, writer.h) reads it to leave this
 * connection a turn. NULL: none. */
void levy_store_set_wait_mark(levy_store *st, _Atomic int64_t *mark);
/* *in_tx is 1 while another connection of this process (the writer thread) holds the write
 * lock: this connection's waits for it do not spend the busy budget (they are bounded at
 * 2 s), so only a lock held by another process answers 503 within the budget. NULL: none. */
void levy_store_set_sibling(levy_store *st, _Atomic int *in_tx);
/* *flag is set to 1 while this connection has a transaction open (levy_store_begin at depth
 * 0 succeeded: BEGIN IMMEDIATE holds the write lock) and to 0 when it ends: what another
 * connection of this process passes to levy_store_set_sibling. NULL: none. */
void levy_store_set_holding(levy_store *st, _Atomic int *flag);
/* No log lines for state changes of this connection (the writer thread's: its failures are
 * noted on the loop's connection, which logs them once). */
void levy_store_set_quiet(levy_store *st, int quiet);
/* Notes a failure another connection of this process met (sqlite_rc, its message) as this
 * store's state, logging the change as levy_store_rc would. */
void levy_store_note_failure(levy_store *st, int sqlite_rc, const char *msg);
/* Sets the state back to OK (a write succeeded on another connection), logging the change. */
void levy_store_note_ok(levy_store *st);
/* Monotonic milliseconds (CLOCK_MONOTONIC), the clock of the busy budget and wait marks. */
int64_t levy_store_mono_ms(void);

/* Maps a SQLite result code to a LEVY_E* code and fills err with sqlite3_errmsg. */
int levy_store_rc(levy_store *st, int sqlite_rc, levy_err *err);

/* Runs SQL text (one or more statements, no parameters). */
int levy_store_exec(levy_store *st, const char *sql, levy_err *err);

/* Transactions. begin uses BEGIN IMMEDIATE at depth 0, SAVEPOINT levy_N when nested;
 * commit / rollback end the innermost level. depth() is the current nesting (0 = none). */
int levy_store_begin(levy_store *st, levy_err *err);
int levy_store_commit(levy_store *st, levy_err *err);
int levy_store_rollback(levy_store *st, levy_err *err);
int levy_store_depth(levy_store *st);

/* Prepared statement cache keyed by SQL text (bounded, LRU-ish). The returned statement is
 * reset and has cleared bindings; do NOT finalize it; call levy_store_release() when done
 * (resets it). Returns NULL with err set on a prepare error. */
sqlite3_stmt *levy_store_prepare_cached(levy_store *st, const char *sql, levy_err *err);
void levy_store_release(levy_store *st, sqlite3_stmt *stmt);

/* Applies the embedded core migrations (done by levy_store_open unless NO_MIGRATE). */
int levy_store_migrate_core(levy_store *st, levy_err *err);
/* Applies a plugin's migrations from dir (missing dir = no migrations = OK). */
int levy_store_migrate_dir(levy_store *st, const char *plugin, const char *dir, levy_err *err);
/* One migration source file (for callers with in-memory files). */
typedef struct levy_migration_file {
    const char *name; /* "0001_core.sql" */
    const char *sql;
    size_t len;
} levy_migration_file;
/* Applies files (any order; sorted here) for plugin. */
int levy_store_migrate_files(levy_store *st, const char *plugin, const levy_migration_file *files,
                             size_t n, levy_err *err);
/* Highest applied version for plugin (0 = none). */
int levy_store_schema_version(levy_store *st, const char *plugin, int *version, levy_err *err);

#endif
