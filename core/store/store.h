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
 * Error mapping of SQLite result codes (store.c):
 *   BUSY/LOCKED → LEVY_EBUSY "busy"; IOERR/FULL/CANTOPEN/CORRUPT/NOTADB/READONLY → LEVY_EIO
 *   "io"; CONSTRAINT → LEVY_ECONFLICT "constraint"; NOMEM → LEVY_ENOMEM; else LEVY_EINVAL
 *   "sql". */
#include <stdatomic.h>
#include <stdint.h>

#include "levy.h"

/* Engines. SQLite (a path) is the default and the fast path; PostgreSQL (a URL
 * postgres://… or postgresql://…, libpq: core/store/pg.c) lets several levy processes share one
 * database. Both sit behind the same API: statements (levy_stmt), transactions, exec, the
 * error mapping. On PostgreSQL, statements keep SQLite's `?` / `?NNN` placeholders (rewritten
 * to $n outside string literals, identifiers and comments); integer columns come back as
 * integers (int2/4/8, bool as 0/1, an integral numeric such as sum(bigint)), NULL as NULL,
 * everything else as text; a statement inside a transaction runs under its own savepoint, so
 * a failed statement (a constraint caught by try_exec) leaves the transaction usable, as on
 * SQLite; a lost connection is re-established at the next call outside a transaction.
 * Errors: SQLSTATE 40001/40P01/55P03/57014/53xxx/08xxx/57P0x → LEVY_EBUSY (503 +
 * Retry-After), 23xxx → LEVY_ECONFLICT "constraint", the rest LEVY_EINVAL "sql". */
#define LEVY_STORE_SQLITE 0
#define LEVY_STORE_POSTGRES 1

typedef struct levy_store levy_store;
typedef struct levy_stmt levy_stmt;

#define LEVY_STORE_READONLY 1   /* open read-only; no migrations applied (check only) */
#define LEVY_STORE_NO_MIGRATE 2 /* do not apply the core migrations */

/* 1 when path names a PostgreSQL database (postgres:// or postgresql://). */
int levy_store_is_url(const char *path);
/* The libpq connection string of a PostgreSQL URL with every parameter it sets except the
 * password ("host=db port=5432 user=levy dbname=levy sslmode=verify-full"; values quoted as
 * libpq wants), for the pg_dump / pg_restore commands levy prints. LEVY_EINVAL when libpq
 * cannot parse the URL, LEVY_ENOMEM, LEVY_EINVAL when out is too small, LEVY_EIO when libpq
 * cannot be loaded (store/pq_dl.h). */
int levy_store_pg_conninfo(const char *url, char *out, size_t cap);
/* "postgres://user:***@host/db": the URL with its password masked (malloc'd; NULL: out of
 * memory). */
char *levy_store_redact_url(const char *url);
/* Opens (creating if needed, unless READONLY) the database at path (":memory:" allowed for
 * tests; a postgres:// URL opens the PostgreSQL engine) and applies the core migrations
 * unless READONLY or NO_MIGRATE (core/store/migrate.c: the migrations call the store, never
 * the other way). *out = NULL on error. */
int levy_store_open(levy_store **out, const char *path, int flags, levy_err *err);
/* Opens and configures the database only (WAL, synchronous=FULL, busy timeout, foreign keys;
 * core/store/store.c): levy_store_open without the migrations. *out = NULL on error. */
int levy_store_connect(levy_store **out, const char *path, int flags, levy_err *err);
/* Closes (finalizes cached statements). NULL is a no-op. */
void levy_store_close(levy_store *st);
/* LEVY_STORE_SQLITE or LEVY_STORE_POSTGRES. */
int levy_store_engine(levy_store *st);
/* The SQLite handle, for the SQLite-only modules (core/host/rotate.c, backup.c); NULL on
 * PostgreSQL. */
struct sqlite3 *levy_store_db(levy_store *st);
/* The path, or the URL with its password replaced by "***" (safe to log). */
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
#define LEVY_STORE_STATE_UNREACHABLE 5 /* PostgreSQL: the server cannot be reached */
int levy_store_state(levy_store *st);
/* "ok", "busy", "disk_full", "io_error", "corrupt", "unreachable". */
const char *levy_store_state_name(int state);
/* When the state is BUSY, FULL or IOERR and no transaction is open: tries a one-row write
 * (meta 'store_probe'; at most once a second) so the state clears without traffic once the
 * cause is gone. Returns the state after it. */
int levy_store_probe(levy_store *st);
/* Checks the store answers a read now (/healthz): SQLite reads its schema; PostgreSQL runs
 * SELECT 1 (reconnecting first when the connection was lost), and a failure sets the state
 * UNREACHABLE, a success clears it. Returns LEVY_OK or the failure. */
int levy_store_ping(levy_store *st, levy_err *err);
/* PRAGMA quick_check (PostgreSQL: LEVY_OK, the server checks its own pages): LEVY_OK, or LEVY_EIO "corrupt" with SQLite's first findings in detail
 * (and the state CORRUPT); LEVY_EBUSY when it cannot read. */
int levy_store_quick_check(levy_store *st, char *detail, size_t cap, levy_err *err);
/* Bounds the time this connection waits for another process's lock: every wait draws on one
 * window of ms milliseconds; once spent, waits give up at once (SQLITE_BUSY → LEVY_EBUSY)
 * for a second, so a caller running several statements waits about ms in total. A commit
 * opens a new window. ms <= 0: SQLite's plain 5 s busy timeout (the default). PostgreSQL:
 * lock_timeout = ms per statement (default 5 s), so a row lock held by another process
 * holds the loop no longer than SQLite's budget would. */
void levy_store_set_busy_budget(levy_store *st, int ms);
/* Group commit (core/store/writer.h): SQLite only, where the writer thread's connection and
 * the loop's share the database's one write lock; on PostgreSQL these hooks are never set
 * (no writer runs there) and do nothing.
 * Each wait of this connection for a lock (under a busy budget) stores the monotonic ms of
 * the wait in *mark, atomically: another thread (the writer, writer.h) reads it to leave this
 * connection a turn. NULL: none. */
void levy_store_set_wait_mark(levy_store *st, _Atomic int64_t *mark);
/* *in_tx is 1 while another connection of this process (the writer thread) holds the write
 * lock: this connection's waits for it do not spend the busy budget (they are bounded at
 * 2 s), so only a lock held by another process answers 503 within the budget. NULL: none. */
void levy_store_set_sibling(levy_store *st, _Atomic int *in_tx);
/* The step of such a wait for the sibling: a commit of the writer's group ends within a
 * millisecond or two, and the loop (or the writer) takes the lock this soon after it. */
#define LEVY_STORE_SIBLING_STEP_US 250
/* *flag is set to 1 while this connection has a transaction open (levy_store_begin at depth
 * 0 succeeded: BEGIN IMMEDIATE holds the write lock) and to 0 when it ends: what another
 * connection of this process passes to levy_store_set_sibling. NULL: none. */
void levy_store_set_holding(levy_store *st, _Atomic int *flag);
/* SQLite: once a commit leaves the WAL at 1,000 frames or more, ask(ud, frames) is called
 * (on the committing thread, after the commit); when it returns 1 this connection does not
 * run the PASSIVE checkpoint itself: the writer's checkpointer thread (writer.h) runs it on
 * a connection of its own, so no answer waits for pages being copied into the database
 * file. 0, or no ask (NULL): the committing connection checkpoints (SQLite's auto-checkpoint,
 * as without a writer). */
void levy_store_set_checkpointer(levy_store *st, int (*ask)(void *ud, int frames), void *ud);
/* No log lines for state changes of this connection (the writer thread's: its failures are
 * noted on the loop's connection, which logs them once). Unlike levy_stmt_quiet, the state
 * itself is still kept. */
void levy_store_set_log_quiet(levy_store *st, int quiet);
/* What the last failed call on this connection implied about the store: the
 * LEVY_STORE_STATE_* (OK when it said nothing about the store: a constraint, bad SQL), and in
 * *code (when not NULL) the engine's code of it (SQLite's extended result code; 0 on
 * PostgreSQL). Cleared by levy_store_begin, so after a failure inside a transaction or
 * savepoint it is that failure's, never an older one's (a failure that was not the store's,
 * such as a job kind too long, leaves OK). For a connection whose failures another one
 * reports (the writer's, levy_store_note_failure). */
int levy_store_last_failure(levy_store *st, int *code);
/* Notes a failure another connection of this process met (state: LEVY_STORE_STATE_*, as
 * levy_store_last_failure gave it; msg: its message) as this store's state, logging the
 * change as the store's own failures are. OK: nothing. */
void levy_store_note_failure(levy_store *st, int state, const char *msg);
/* Sets the state back to OK (a write succeeded on another connection), logging the change. */
void levy_store_note_ok(levy_store *st);
/* 1 while the engine has a transaction open on this connection (it may have ended one on its
 * own: SQLite rolls back after SQLITE_FULL and some I/O errors, PostgreSQL when the
 * connection is lost, while levy_store_depth still counts it). */
int levy_store_in_transaction(levy_store *st);
/* Whether the database may have changed, without reading a table (issue 21: the api plugin's
 * calculation cache checks its stamp only when this moved). SQLite, outside a transaction:
 * 1 with *other = a counter that moves when any connection, in this process or another,
 * committed (it may also move when none did: after this connection's own commits, a
 * checkpoint's restart of the WAL) — the WAL-index header in the -shm mapping compared with
 * the last call's, ~100 instructions; PRAGMA data_version (a read transaction, ~3k) on the
 * first call, outside WAL mode, with exclusive locking or while a writer is between the
 * header's two copies — and *own = sqlite3_total_changes64 (rows this connection's statements
 * changed, triggers included, committed or not); when neither moved since an earlier call,
 * no committed row of the main database differs. 0 (nothing set) inside a transaction, on
 * PostgreSQL (no such counter: another replica's commit is seen only by reading) or when the
 * pragma fails: the caller reads. */
int levy_store_data_version(levy_store *st, int64_t *other, int64_t *own);
/* Monotonic milliseconds (CLOCK_MONOTONIC), the clock of the busy budget and wait marks. */
int64_t levy_store_mono_ms(void);

/* Maps a SQLite result code to a LEVY_E* code and fills err with sqlite3_errmsg (the SQLite
 * engine's mapping; store.c). */
int levy_store_rc(levy_store *st, int sqlite_rc, levy_err *err);

/* Runs SQL text (one or more statements, no parameters). */
int levy_store_exec(levy_store *st, const char *sql, levy_err *err);

/* Transactions. begin uses BEGIN IMMEDIATE at depth 0, SAVEPOINT levy_N when nested;
 * commit / rollback end the innermost level (a failed commit too: rolled back, its error
 * returned). depth() is the current nesting (0 = none). */
int levy_store_begin(levy_store *st, levy_err *err);
/* A transaction whose effect can be derived again from rows already durable, and is when it
 * is lost (issue 21: a webhook delivery's processing, re-run from its inbox row, which the
 * writer committed durably before the delivery was answered). At depth 0 on SQLite its
 * COMMIT does not wait for the disk (synchronous=NORMAL for that transaction; the connection
 * is FULL again when it ends): a kill -9 loses nothing (WAL mode: the frames are in the
 * file), a power loss may lose it and any such transactions after the last commit that
 * waited (the next FULL commit of any connection syncs the WAL, earlier frames included). The
 * caller must make its effect and the mark that it ran commit together, so that a lost one is
 * run again. On PostgreSQL it is an asynchronous commit (SET LOCAL synchronous_commit = off:
 * the COMMIT returns before the server flushes its WAL; a server crash may lose it, and a
 * later synchronous commit's flush covers it). Nested it is levy_store_begin. */
int levy_store_begin_replayable(levy_store *st, levy_err *err);
int levy_store_commit(levy_store *st, levy_err *err);
int levy_store_rollback(levy_store *st, levy_err *err);
int levy_store_depth(levy_store *st);

/* Prepared statement cache keyed by SQL text (bounded, LRU-ish). The returned statement is
 * reset and has cleared bindings; do NOT finalize it; call levy_store_release() when done
 * (resets it). Returns NULL with err set on a prepare error. */
levy_stmt *levy_store_prepare_cached(levy_store *st, const char *sql, levy_err *err);
void levy_store_release(levy_store *st, levy_stmt *stmt);
/* An uncached statement (one statement; *tail, when not NULL, gets the text after it),
 * finalized by levy_stmt_finalize. */
int levy_store_prepare(levy_store *st, const char *sql, levy_stmt **out, const char **tail,
                       levy_err *err);
void levy_stmt_finalize(levy_stmt *s);
/* One statement's first column of its first row as text into out (cap bytes, cut to fit; ""
 * when no row or NULL); arg, when not NULL, bound to its one `?`. For the one-value reads of
 * the command-line tools (rotate-master-key, migrate-store). */
int levy_store_query_text(levy_store *st, const char *sql, const char *arg, char *out, size_t cap,
                          levy_err *err);

/* Parameters are numbered from 1; text is copied (len < 0: strlen). */
int levy_stmt_bind_int64(levy_stmt *s, int i, int64_t v);
int levy_stmt_bind_text(levy_stmt *s, int i, const char *v, long len);
int levy_stmt_bind_null(levy_stmt *s, int i);
/* bind_text, or bind_null when v is NULL */
int levy_stmt_bind_text_or_null(levy_stmt *s, int i, const char *v);
int levy_stmt_param_count(levy_stmt *s);
/* 1 when the statement cannot write (SQLite's own answer; PostgreSQL: SELECT/VALUES/SHOW, or
 * WITH without a data-modifying verb). */
int levy_stmt_readonly(levy_stmt *s);
const char *levy_stmt_sql(levy_stmt *s);

/* Runs the statement one row further: LEVY_STMT_ROW (a row is ready), LEVY_OK (done), or a
 * LEVY_E* code with err set and the store's state noted. code "interrupted" when a progress
 * callback stopped it (levy_stmt_step_progress). */
#define LEVY_STMT_ROW 1
int levy_stmt_step(levy_stmt *s, levy_err *err);
/* step with fn(ud) called every ops SQLite VM steps (nonzero: interrupt). PostgreSQL runs the
 * statement in the server: fn is not called (statement_timeout bounds it). */
int levy_stmt_step_progress(levy_stmt *s, int ops, int (*fn)(void *), void *ud, levy_err *err);
/* Marks s so that its failures are returned but not recorded as the store's state (a
 * /metrics scrape must not turn /healthz degraded). */
void levy_stmt_quiet(levy_stmt *s);
/* Back to before the first step, bindings cleared. */
void levy_stmt_reset(levy_stmt *s);

#define LEVY_COL_NULL 0
#define LEVY_COL_INT 1
#define LEVY_COL_TEXT 2
int levy_stmt_column_count(levy_stmt *s);
const char *levy_stmt_column_name(levy_stmt *s, int i);
int levy_stmt_column_type(levy_stmt *s, int i);
int64_t levy_stmt_column_int64(levy_stmt *s, int i);
/* text of any column (an integer's decimal form); NULL for NULL */
const char *levy_stmt_column_text(levy_stmt *s, int i);
size_t levy_stmt_column_bytes(levy_stmt *s, int i);

/* Rows changed by the last INSERT/UPDATE/DELETE on this connection. */
int64_t levy_store_changes(levy_store *st);
/* Requests this store's connection sent and waited for the server's answer to (PostgreSQL:
 * each one network round trip; a statement inside a transaction is one, its savepoint
 * included); 0 on SQLite, which answers in process. */
int64_t levy_store_round_trips(levy_store *st);
/* Top-level transactions begun on this connection (levy_store_begin at depth 0), both
 * engines: the job runner's idle poll begins none (tests/c/test_reload.c). */
int64_t levy_store_transactions(levy_store *st);
/* Of those, the ones begun replayable (levy_store_begin_replayable at depth 0): their COMMIT
 * did not wait for the disk (the job runner's claims on SQLite, tests/c/test_reload.c). */
int64_t levy_store_replayable_transactions(levy_store *st);
/** Bytes SQLite holds in this process (page caches, schemas, prepared statements of every
 *  connection: sqlite3_memory_used); 0 with nothing open. */
int64_t levy_store_sqlite_memory(void);
/* Frees the connection's unused page cache (SQLite; nothing on PostgreSQL). Called once when
 * levy serve starts: the migrations read ~600 KB of pages that an idle levy does not need (issue
 * 21, idle RSS); requests read back what they use (up to the default cache_size, 2 MB). */
void levy_store_release_memory(levy_store *st);
/* SQLite's last_insert_rowid; 0 on PostgreSQL (use RETURNING). */
int64_t levy_store_last_insert_rowid(levy_store *st);

/* Calls fn(ud, table) for each table the statement reads or writes, as SQLite's authorizer
 * reports them while preparing it (not those a trigger touches; a name may repeat).
 * LEVY_EINVAL when the SQL does not prepare; LEVY_EINTERNAL on PostgreSQL, which has no
 * authorizer (the caller looks at the text itself). Installing the authorizer marks the
 * connection's prepared statements expired in SQLite's advisory way. */
int levy_store_tables_of(levy_store *st, const char *sql, void (*fn)(void *ud, const char *table),
                         void *ud);

/* Serialises migrations between processes sharing a database (PostgreSQL: an advisory
 * lock; SQLite: nothing, its write lock does it). */
int levy_store_lock_migrations(levy_store *st, int lock, levy_err *err);

/* Applies the embedded core migrations (done by levy_store_open unless NO_MIGRATE). */
int levy_store_migrate_core(levy_store *st, levy_err *err);
/* Applies a plugin's migrations from dir (missing dir = no migrations = OK). On PostgreSQL
 * they are read from dir/postgres/ (the same numbers as the SQLite files in dir). */
int levy_store_migrate_dir(levy_store *st, const char *plugin, const char *dir, levy_err *err);
/* The same checks as levy_store_migrate_dir without applying anything (no lock, no write:
 * a read-only connection, another thread's, will do; issue 21, a reload's check off the
 * loop): the files' names and numbers, every applied version present, recorded in order and
 * unchanged (the same errors and messages). LEVY_OK with *pending = how many files are not
 * applied yet. A store without schema_migrations fails (the caller migrates instead). */
int levy_store_migrate_dir_check(levy_store *st, const char *plugin, const char *dir, int *pending,
                                 levy_err *err);
/* One migration source file (for callers with in-memory files). */
typedef struct levy_migration_file {
    const char *name; /* "0001_core.sql" */
    const char *sql;
    size_t len;
} levy_migration_file;
/* Applies files (any order; sorted here) for plugin. */
int levy_store_migrate_files(levy_store *st, const char *plugin, const levy_migration_file *files,
                             size_t n, levy_err *err);
/* Progress of the migrations being applied (issue 20 operations: the first start after an
 * upgrade of a large store ran them for 57-103 s before levy listened, with nothing said).
 * Each pending migration is logged at INFO before it starts ("applying rillet
 * 0026_us_days.sql (2 of 3)", with "may take a while on a large store" when its SQL reads
 * the document tables) and once applied ("... applied in 57.3 s"), at DEBUG on a store that had
 * none of that plugin's migrations yet (a new store). The observer, when set (the host:
 * sd_notify STATUS= and EXTEND_TIMEOUT_USEC=), is called the same two times: done 0 before,
 * done 1 after (seconds: the migration's time), with its index of count pending and whether
 * the store is being upgraded (it had earlier migrations of that plugin). One process-wide
 * observer; NULL removes it. */
typedef struct levy_migration_progress {
    const char *plugin, *name;
    int index, count; /* 1..count of this call's pending migrations */
    int upgrade;      /* the plugin had applied migrations before */
    int heavy;        /* its SQL names a document table (invoices, credit_memos, calculations) */
    int done;         /* 0 starting, 1 applied */
    double seconds;   /* done: how long it took */
} levy_migration_progress;
typedef void (*levy_migration_observer)(void *ud, const levy_migration_progress *p);
void levy_store_set_migration_observer(levy_migration_observer fn, void *ud);
/* Whether a migration's SQL reads or rewrites the document tables (the ones that grow with
 * the store): the "may take a while" note. */
int levy_migration_is_heavy(const char *sql, size_t len);
/* Highest applied version for plugin (0 = none). */
int levy_store_schema_version(levy_store *st, const char *plugin, int *version, levy_err *err);

#endif
