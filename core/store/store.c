/* The store: open, pragmas, error mapping, transactions, statement cache, and the statement
 * API over the two engines (SQLite here, PostgreSQL in pg.c). See store.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_engine.h"

#define CACHE_SIZE LEVY_STORE_CACHE_SIZE
#define BUSY_COOL_MS 1000 /* after a spent busy budget, no new wait for this long */
#define PROBE_EVERY_MS 1000
#define SIBLING_MAX_MS 2000 /* the longest wait for the writer thread's transaction */

struct sqlite3 *levy_store_db(levy_store *st) { return st->db; }
const char *levy_store_path(levy_store *st) { return st->path; }
int levy_store_depth(levy_store *st) { return st->depth; }
int levy_store_engine(levy_store *st) { return st->engine; }
#define PG(st) ((st)->engine == LEVY_STORE_POSTGRES)

int levy_store_is_url(const char *path)
{
    return path &&
           (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const STATE_NAMES[] = {"ok",       "busy",    "disk_full",
                                          "io_error", "corrupt", "unreachable"};

int64_t levy_store_mono_ms(void) { return mono_ms(); }

void levy_store_set_wait_mark(levy_store *st, _Atomic int64_t *mark) { st->wait_mark = mark; }

void levy_store_set_sibling(levy_store *st, _Atomic int *in_tx) { st->sibling = in_tx; }

void levy_store_set_log_quiet(levy_store *st, int quiet) { st->log_quiet = quiet; }

void levy_store_set_holding(levy_store *st, _Atomic int *flag) { st->holding = flag; }

void levy_store_set_checkpointer(levy_store *st, int (*ask)(void *ud, int frames), void *ud)
{
    st->ckpt_ask = ask;
    st->ckpt_ud = ud;
}

/* The outermost transaction began or ended (levy_store_set_holding). */
static void set_holding(levy_store *st, int on)
{
    if (st->holding)
        atomic_store(st->holding, on);
}

void levy_store_note_failure(levy_store *st, int state, const char *msg)
{
    if (st && state != LEVY_STORE_STATE_OK)
        levy_store_note_state(st, state, msg);
}

void levy_store_note_ok(levy_store *st)
{
    if (st && st->state != LEVY_STORE_STATE_OK)
        levy_store_note_state(st, LEVY_STORE_STATE_OK, "");
}

int levy_store_last_failure(levy_store *st, int *code)
{
    if (code)
        *code = st->fail_code;
    return st->fail_state;
}

const char *levy_store_state_name(int state)
{
    return state >= 0 && state <= LEVY_STORE_STATE_UNREACHABLE ? STATE_NAMES[state] : "io_error";
}

int levy_store_state(levy_store *st) { return st ? st->state : LEVY_STORE_STATE_OK; }

/* The state a failed SQLite call puts the store in (OK: the failure says nothing about it). */
static int state_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return LEVY_STORE_STATE_BUSY;
    case SQLITE_FULL:
        return LEVY_STORE_STATE_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return LEVY_STORE_STATE_CORRUPT;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
        return LEVY_STORE_STATE_IOERR;
    default:
        return LEVY_STORE_STATE_OK;
    }
}

/* One log line per episode: when the state changes, not per failed request. A corrupt store
 * stays corrupt (only a restart, which runs quick_check, clears it). */
void levy_store_note_state(levy_store *st, int state, const char *msg)
{
    if (st && st->quiet)
        return;
    if (!st || state == st->state || st->state == LEVY_STORE_STATE_CORRUPT)
        return;
    int was = st->state;
    st->state = state;
    if (st->log_quiet)
        return;
    switch (state) {
    case LEVY_STORE_STATE_OK:
        levy_log(LEVY_LOG_WARN, "store", "store %s: writes succeed again (was %s)", st->path,
                 levy_store_state_name(was));
        break;
    case LEVY_STORE_STATE_BUSY:
        levy_log(LEVY_LOG_WARN, "store",
                 "store %s busy: another process holds its write lock "
                 "(%s); requests that write answer 503 + Retry-After until it is released",
                 st->path, msg);
        break;
    case LEVY_STORE_STATE_FULL:
        levy_log(LEVY_LOG_ERROR, "store",
                 "store %s: disk full (%s); requests that write "
                 "answer 503 + Retry-After until space is freed",
                 st->path, msg);
        break;
    case LEVY_STORE_STATE_UNREACHABLE:
        levy_log(LEVY_LOG_ERROR, "store",
                 "store %s cannot be reached (%s); requests that use it answer 503 + "
                 "Retry-After and /healthz 503 until it answers again",
                 st->path, msg);
        break;
    case LEVY_STORE_STATE_CORRUPT:
        levy_log(LEVY_LOG_ERROR, "store",
                 "store %s is corrupt (%s): stop levy and restore it "
                 "from a backup (levy restore, docs/operations.md)",
                 st->path, msg);
        break;
    default:
        levy_log(LEVY_LOG_ERROR, "store",
                 "store %s: I/O error (%s); requests that write "
                 "answer 503 + Retry-After until writes succeed again",
                 st->path, msg);
    }
}

int levy_store_rc(levy_store *st, int rc, levy_err *err)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    int state = state_of(rc);
    int prim = rc & 0xff;
    if (st && prim != SQLITE_OK && prim != SQLITE_DONE && prim != SQLITE_ROW) {
        st->fail_state = state; /* levy_store_last_failure */
        st->fail_code = rc;
    }
    if (state != LEVY_STORE_STATE_OK)
        levy_store_note_state(st, state, msg);
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return LEVY_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return levy_err_set(err, LEVY_EBUSY, "busy", "store busy: %s", msg);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
        return levy_err_set(err, LEVY_EIO, "io", "store I/O error: %s", msg);
    case SQLITE_CONSTRAINT:
        return levy_err_set(err, LEVY_ECONFLICT, "constraint", "%s", msg);
    case SQLITE_NOMEM:
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    case SQLITE_INTERRUPT:
        return levy_err_set(err, LEVY_EINVAL, "interrupted", "%s", msg);
    default:
        return levy_err_set(err, LEVY_EINVAL, "sql", "%s", msg);
    }
}

int levy_store_exec(levy_store *st, const char *sql, levy_err *err)
{
    if (PG(st))
        return levy_pg_exec(st, sql, err);
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? LEVY_OK : levy_store_rc(st, rc, err);
}

/* After every commit in WAL mode (the write lock is released): a write succeeded, so the
 * store is usable again. Replaces SQLite's auto-checkpoint hook, so it does its work too, or
 * hands it to the checkpointer (levy_store_set_checkpointer). */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
    levy_store *st = ud;
    if (frames >= 1000 && !(st->ckpt_ask && st->ckpt_ask(st->ckpt_ud, frames)))
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    st->busy_deadline = 0;
    levy_store_note_state(st, LEVY_STORE_STATE_OK, "");
    return SQLITE_OK;
}

/* Every wait for a lock on this connection draws on one window of busy_budget_ms: once it is
 * spent, further waits give up at once for BUSY_COOL_MS, so a request (or a loop turn) that
 * runs several statements against a held lock waits budget ms in total, not per statement. */
static int busy_handler(void *ud, int count)
{
    levy_store *st = ud;
    int64_t now = mono_ms();
    if (st->wait_mark)
        atomic_store(st->wait_mark, now);
    /* the lock is this process's own writer thread's (a group commit: short, bounded): wait
     * for it without spending the budget, which is for locks other processes hold */
    if (st->sibling && atomic_load(st->sibling)) {
        if (count == 0 || st->sibling_since == 0)
            st->sibling_since = now;
        if (now - st->sibling_since < SIBLING_MAX_MS) {
            struct timespec ts1 = {0, LEVY_STORE_SIBLING_STEP_US * 1000L};
            nanosleep(&ts1, NULL);
            return 1;
        }
    }
    if (st->sibling_since) {
        /* the sibling let go (or its wait ran out) and someone else holds the lock now: the
         * budget's window starts here, not at this wait's first call, which was the
         * sibling's (a window never opened would give up at once) */
        st->sibling_since = 0;
        st->busy_deadline = now + st->busy_budget_ms;
    } else if (count == 0 && (st->busy_deadline == 0 || now > st->busy_deadline + BUSY_COOL_MS)) {
        st->busy_deadline = now + st->busy_budget_ms;
    }
    int64_t left = st->busy_deadline - now;
    if (left <= 0)
        return 0;
    int64_t step = count < 3 ? 1 << count : 5; /* ms */
    struct timespec ts = {0, (long)((step < left ? step : left) * 1000000)};
    nanosleep(&ts, NULL);
    return 1;
}

void levy_store_set_busy_budget(levy_store *st, int ms)
{
    st->busy_budget_ms = ms;
    st->busy_deadline = 0;
    if (PG(st)) { /* PostgreSQL: a row lock another process holds is waited for as long */
        levy_pg_set_lock_timeout(st, ms, NULL);
        return;
    }
    if (ms > 0)
        sqlite3_busy_handler(st->db, busy_handler, st);
    else
        sqlite3_busy_timeout(st->db, 5000);
}

int levy_store_quick_check(levy_store *st, char *detail, size_t cap, levy_err *err)
{
    sqlite3_stmt *s = NULL;
    detail[0] = 0;
    if (PG(st))
        return LEVY_OK; /* the server checks its own pages */
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(5)", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return levy_store_rc(st, rc, err);
    size_t used = 0;
    int bad = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        if (v && strcmp(v, "ok") == 0)
            continue;
        bad = 1;
        if (used + 3 < cap)
            used +=
                (size_t)snprintf(detail + used, cap - used, "%s%s", used ? "; " : "", v ? v : "?");
        if (used >= cap)
            used = cap - 1;
    }
    sqlite3_finalize(s);
    for (char *p = detail; *p; p++) /* one line for the log and stderr */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (rc != SQLITE_DONE) {
        if (!detail[0])
            snprintf(detail, cap, "%s", sqlite3_errmsg(st->db));
        int r = levy_store_rc(st, rc, err);
        return r == LEVY_EBUSY ? r : levy_err_set(err, LEVY_EIO, "corrupt", "%s", detail);
    }
    if (bad) {
        levy_store_note_state(st, LEVY_STORE_STATE_CORRUPT, detail);
        return levy_err_set(err, LEVY_EIO, "corrupt", "%s", detail);
    }
    return LEVY_OK;
}

int levy_store_ping(levy_store *st, levy_err *err)
{
    if (PG(st))
        return levy_pg_ping(st, err);
    return levy_store_exec(st, "SELECT 1 FROM sqlite_master LIMIT 1", err);
}

int levy_store_probe(levy_store *st)
{
    if (PG(st)) /* a write probe is a ping there: the state is reachability */
        return st->state == LEVY_STORE_STATE_OK ? st->state
                                                : (levy_store_ping(st, NULL), st->state);
    if (st->state == LEVY_STORE_STATE_OK || st->state == LEVY_STORE_STATE_CORRUPT || st->depth > 0)
        return st->state;
    int64_t now = mono_ms();
    if (st->last_probe && now - st->last_probe < PROBE_EVERY_MS)
        return st->state;
    st->last_probe = now;
    int rc = sqlite3_exec(st->db,
                          "INSERT INTO meta(key, value) VALUES ('store_probe', "
                          "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ON CONFLICT(key) DO UPDATE "
                          "SET value = excluded.value",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        levy_store_rc(st, rc, NULL);
    return st->state;
}

int levy_store_connect(levy_store **out, const char *path, int flags, levy_err *err)
{
    int rc;
    *out = NULL;
    levy_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = levy_store_is_url(path) ? levy_pg_redact_url(path) : strdup(path))) {
        free(st);
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    }
    if (levy_store_is_url(path)) {
        st->engine = LEVY_STORE_POSTGRES;
        if ((rc = levy_pg_connect(st, path, (flags & LEVY_STORE_READONLY) != 0, err)) != LEVY_OK)
            goto fail;
        *out = st;
        return LEVY_OK;
    }
    int oflags = (flags & LEVY_STORE_READONLY) ? SQLITE_OPEN_READONLY
                                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rc = levy_err_set(err, LEVY_EIO, "io", "cannot open store %s: %s", path,
                          st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, 5000);
    sqlite3_wal_hook(st->db, wal_hook, st);
    if (!(flags & LEVY_STORE_READONLY) &&
        (rc = levy_store_exec(st, "PRAGMA journal_mode=WAL", err)) != LEVY_OK)
        goto fail;
    if ((rc = levy_store_exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err)) !=
        LEVY_OK)
        goto fail;
    *out = st;
    return LEVY_OK;
fail:
    levy_store_close(st);
    return rc;
}

void levy_store_close(levy_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < CACHE_SIZE; i++) {
        levy_stmt_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
    }
    for (int i = 0; i < LEVY_STORE_TXN_STMTS; i++) {
        sqlite3_finalize(st->txn_open[i]);
        sqlite3_finalize(st->txn_close[i]);
    }
    sqlite3_finalize(st->sync_normal);
    sqlite3_finalize(st->sync_full);
    sqlite3_finalize(st->data_version);
    if (st->db)
        sqlite3_close_v2(st->db);
    if (st->pg)
        levy_pg_close(st);
    free(st->path);
    free(st);
}

static int in_transaction(levy_store *st)
{
    return PG(st) ? levy_pg_in_transaction(st) : !sqlite3_get_autocommit(st->db);
}

int levy_store_in_transaction(levy_store *st) { return in_transaction(st); }

/* The pragma's value: a read transaction of its own (~3k instructions). 1, or 0 when it
 * fails. */
static int pragma_data_version(levy_store *st, int64_t *v)
{
    if (!st->data_version &&
        sqlite3_prepare_v3(st->db, "PRAGMA main.data_version", -1, SQLITE_PREPARE_PERSISTENT,
                           &st->data_version, NULL) != SQLITE_OK) {
        sqlite3_finalize(st->data_version);
        st->data_version = NULL;
        return 0;
    }
    int rc = sqlite3_step(st->data_version);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st->data_version, 0) : 0;
    sqlite3_reset(st->data_version);
    return rc == SQLITE_ROW;
}

/* One text-valued pragma into buf; 1 on a row. */
static int pragma_word(sqlite3 *db, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *s = NULL;
    int ok = 0;
    buf[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        if (t) {
            snprintf(buf, n, "%s", (const char *)t);
            ok = 1;
        }
    }
    sqlite3_finalize(s);
    return ok;
}

/* The WAL-index header from the -shm mapping, read as SQLite's readers read it (walIndexTryHdr
 * in wal.c): copy 0, a barrier, copy 1; a writer stores copy 1, a barrier, copy 0, so two
 * equal copies are one whole header. Every commit of every connection, in this process or
 * another, rewrites it (mxFrame and the running checksum of the frames grow; a WAL restart
 * draws new salts; iChange counts transactions), before its data is visible to any reader.
 * Used only in WAL mode with normal locking: in exclusive (heap-memory) mode the -shm file is
 * not the index, and a connection in rollback-journal mode has none. 1 with the 48 bytes, or
 * 0 (the caller takes the pragma). */
static int shm_header(levy_store *st, unsigned char hdr[48])
{
    if (st->shm_ok < 0)
        return 0;
    if (st->shm_ok == 0) {
        char jm[16], lm[16];
        sqlite3_file *f = NULL;
        if (!pragma_word(st->db, "PRAGMA main.journal_mode", jm, sizeof jm) ||
            strcmp(jm, "wal") != 0 ||
            !pragma_word(st->db, "PRAGMA main.locking_mode", lm, sizeof lm) ||
            strcmp(lm, "normal") != 0 ||
            sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
            !f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap) {
            st->shm_ok = -1;
            return 0;
        }
        st->shm_file = f;
        st->shm_ok = 1;
    }
    volatile void *p = NULL;
    /* region 0 of 32 KiB (WALINDEX_PGSZ), not extended: NULL when it does not exist */
    if (st->shm_file->pMethods->xShmMap(st->shm_file, 0, 32768, 0, &p) != SQLITE_OK || !p)
        return 0;
    /* 8-byte loads (the mapping is page-aligned): a copy may tear between words, never
     * inside one, and a torn copy differs from the other one */
    const volatile uint64_t *h = p;
    uint64_t w0[6], w1[6];
    for (int i = 0; i < 6; i++)
        w0[i] = h[i];
    atomic_thread_fence(memory_order_seq_cst);
    for (int i = 0; i < 6; i++)
        w1[i] = h[6 + i];
    memcpy(hdr, w0, 48);
    /* isInit (byte 12) set, and the two copies equal: else a writer is between them, or
     * the index awaits recovery, which a reader's transaction runs */
    return hdr[12] != 0 && memcmp(w0, w1, 48) == 0;
}

int levy_store_data_version(levy_store *st, int64_t *other, int64_t *own)
{
    if (!st || PG(st) || !st->db || in_transaction(st))
        return 0;
    unsigned char hdr[48];
    int64_t v = 0;
    /* the first call runs the pragma before it looks at the header: the connection has then
     * read the database, so in WAL mode it has opened the -shm mapping, and journal_mode
     * reports what it is */
    if (st->dv_src == 0 && !pragma_data_version(st, &v))
        return 0;
    if (shm_header(st, hdr)) {
        if (st->dv_src != 1 || memcmp(hdr, st->dv_hdr, sizeof hdr) != 0) {
            memcpy(st->dv_hdr, hdr, sizeof hdr);
            st->dv_src = 1;
            st->dv_seq++;
        }
    } else {
        if (!pragma_data_version(st, &v))
            return 0;
        if (st->dv_src != 2 || v != st->dv_pragma) {
            st->dv_pragma = v;
            st->dv_src = 2;
            st->dv_seq++;
        }
    }
    *other = st->dv_seq;
    *own = sqlite3_total_changes64(st->db);
    return 1;
}

/* A transaction-control statement (BEGIN IMMEDIATE, COMMIT, SAVEPOINT/RELEASE levy_<depth>):
 * on SQLite the depth's statement is prepared once and stepped again at each use (same locks,
 * busy handler and result codes as sqlite3_exec of the text, without parsing it every time);
 * deeper levels than the cache and PostgreSQL run the text. */
static int txn_exec(levy_store *st, struct sqlite3_stmt **slot, const char *sql, levy_err *err)
{
    if (PG(st) || !slot)
        return levy_store_exec(st, sql, err);
    if (!*slot &&
        sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        sqlite3_finalize(*slot);
        *slot = NULL;
        return levy_store_exec(st, sql, err);
    }
    int rc = sqlite3_step(*slot);
    int out = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? LEVY_OK : levy_store_rc(st, rc, err);
    sqlite3_reset(*slot);
    return out;
}

/* The connection back at synchronous=FULL after a replayable transaction (its level ended).
 * When that fails the flag stays, and the next levy_store_begin tries again before it opens
 * anything: no transaction of its own ever commits at NORMAL. */
static int sync_restore(levy_store *st, levy_err *err)
{
    if (!st->sync_lazy)
        return LEVY_OK;
    int rc = txn_exec(st, &st->sync_full, "PRAGMA synchronous=FULL", err);
    if (rc == LEVY_OK)
        st->sync_lazy = 0;
    return rc;
}

static int begin_level(levy_store *st, levy_err *err);

int levy_store_begin(levy_store *st, levy_err *err)
{
    if (st->depth == 0 && st->sync_lazy) {
        int rc = sync_restore(st, err);
        if (rc != LEVY_OK)
            return rc;
    }
    return begin_level(st, err);
}

int levy_store_begin_replayable(levy_store *st, levy_err *err)
{
    if (st->depth > 0)
        return levy_store_begin(st, err);
    if (PG(st)) { /* an asynchronous commit; SET LOCAL ends with the transaction */
        int rc = levy_store_begin(st, err);
        if (rc == LEVY_OK &&
            (rc = levy_store_exec(st, "SET LOCAL synchronous_commit = off", err)) != LEVY_OK)
            levy_store_rollback(st, NULL);
        if (rc == LEVY_OK)
            st->replayable++;
        return rc;
    }
    int rc = txn_exec(st, &st->sync_normal, "PRAGMA synchronous=NORMAL", err);
    if (rc != LEVY_OK)
        return rc;
    st->sync_lazy = 1;
    rc = begin_level(st, err);
    if (rc != LEVY_OK)
        sync_restore(st, NULL);
    else
        st->replayable++;
    return rc;
}

static int begin_level(levy_store *st, levy_err *err)
{
    char sql[48];
    st->fail_state = LEVY_STORE_STATE_OK; /* levy_store_last_failure: this level's own */
    st->fail_code = 0;
    if (st->depth == 0)
        snprintf(sql, sizeof sql, PG(st) ? "BEGIN" : "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT levy_%d", st->depth);
    /* PostgreSQL: sent ahead of the next statement, in its round trip (pg.c levy_pg_begin) */
    int rc = PG(st)
                 ? levy_pg_begin(st, sql, err)
                 : txn_exec(st, st->depth < LEVY_STORE_TXN_STMTS ? &st->txn_open[st->depth] : NULL,
                            sql, err);
    if (rc == LEVY_OK && st->depth++ == 0) {
        set_holding(st, 1); /* BEGIN IMMEDIATE: the write lock is held */
        st->transactions++;
    }
    return rc;
}

/* A PostgreSQL level that was never sent (levy_pg_end: its BEGIN or SAVEPOINT waits for the
 * level's first statement) ends without a word to the server, whether committed or rolled
 * back. 1 when so (the level is ended), 0 when it must be ended on the engine. */
static int end_unsent_level(levy_store *st)
{
    if (!PG(st) || !levy_pg_end(st))
        return 0;
    st->depth--;
    if (st->depth == 0)
        set_holding(st, 0);
    return 1;
}

int levy_store_commit(levy_store *st, levy_err *err)
{
    char sql[48];
    if (st->depth <= 0)
        return levy_err_set(err, LEVY_EINVAL, "sql", "commit without a transaction");
    if (end_unsent_level(st)) /* nothing to commit */
        return LEVY_OK;
    if (st->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE levy_%d", st->depth - 1);
    int rc = txn_exec(
        st, st->depth - 1 < LEVY_STORE_TXN_STMTS ? &st->txn_close[st->depth - 1] : NULL, sql, err);
    if (rc == LEVY_OK) {
        st->depth--;
    } else if (st->depth == 1 && !in_transaction(st)) {
        st->depth = 0; /* the engine rolled back on its own */
    } else {
        /* A failed commit ends its level too (rolled back), so no caller can leave a level
         * behind: a nested unit whose RELEASE failed on a lost PostgreSQL connection (the
         * job runner's claim inside its poll) kept the depth above 0 for ever, and every
         * later statement answered "connection lost inside a transaction" instead of
         * reconnecting — a replica stayed 503 after PostgreSQL came back. The failure's
         * state is the commit's, not the rollback's. */
        int fs = st->fail_state, fc = st->fail_code;
        levy_store_rollback(st, NULL);
        st->fail_state = fs;
        st->fail_code = fc;
    }
    if (rc == LEVY_OK && st->depth == 0 && PG(st))
        levy_store_note_state(st, LEVY_STORE_STATE_OK, ""); /* SQLite: the WAL hook */
    if (st->depth == 0) {
        set_holding(st, 0);
        sync_restore(st, NULL);
    }
    return rc;
}

int levy_store_rollback(levy_store *st, levy_err *err)
{
    char sql[80];
    if (st->depth <= 0)
        return levy_err_set(err, LEVY_EINVAL, "sql", "rollback without a transaction");
    if (end_unsent_level(st)) /* nothing to roll back */
        return LEVY_OK;
    if (st->depth == 1)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO levy_%d; RELEASE levy_%d", st->depth - 1,
                 st->depth - 1);
    st->depth--;
    if (st->depth == 0 && !in_transaction(st)) {
        set_holding(st, 0);
        sync_restore(st, NULL);
        return LEVY_OK; /* already rolled back (SQLite after SQLITE_FULL; a lost connection) */
    }
    int rc = levy_store_exec(st, sql, err);
    if (st->depth == 0) {
        set_holding(st, 0);
        sync_restore(st, NULL);
    }
    return rc;
}

static levy_stmt *stmt_new(levy_store *st, const char *sql, int persistent, const char **tail,
                           levy_err *err)
{
    levy_stmt *s = calloc(1, sizeof *s);
    if (!s) {
        levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        return NULL;
    }
    s->st = st;
    if (PG(st)) {
        if (levy_pg_prepare(st, sql, s, tail, err) != LEVY_OK) {
            free(s);
            return NULL;
        }
        return s;
    }
    int rc = sqlite3_prepare_v3(st->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                                &s->lite, tail);
    if (rc != SQLITE_OK) {
        levy_store_rc(st, rc, err);
        sqlite3_finalize(s->lite);
        free(s);
        return NULL;
    }
    if (!s->lite) {
        levy_err_set(err, LEVY_EINVAL, "sql", "empty SQL");
        free(s);
        return NULL;
    }
    return s;
}

int levy_store_query_text(levy_store *st, const char *sql, const char *arg, char *out, size_t cap,
                          levy_err *err)
{
    levy_stmt *s = NULL;
    out[0] = 0;
    int rc = levy_store_prepare(st, sql, &s, NULL, err);
    if (rc)
        return rc;
    if (arg)
        levy_stmt_bind_text(s, 1, arg, -1);
    rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW) {
        const char *v = levy_stmt_column_text(s, 0);
        snprintf(out, cap, "%s", v ? v : "");
        rc = LEVY_OK;
    }
    levy_stmt_finalize(s);
    return rc;
}

int levy_store_prepare(levy_store *st, const char *sql, levy_stmt **out, const char **tail,
                       levy_err *err)
{
    *out = stmt_new(st, sql, 0, tail, err);
    return *out ? LEVY_OK : (err ? err->rc : LEVY_EINTERNAL);
}

void levy_stmt_finalize(levy_stmt *s)
{
    if (!s)
        return;
    if (s->lite)
        sqlite3_finalize(s->lite);
    if (s->pg)
        levy_pg_stmt_free(s);
    free(s);
}

void levy_stmt_reset(levy_stmt *s)
{
    if (s->lite) {
        sqlite3_reset(s->lite);
        sqlite3_clear_bindings(s->lite);
    } else {
        levy_pg_reset(s);
    }
}

levy_stmt *levy_store_prepare_cached(levy_store *st, const char *sql, levy_err *err)
{
    int free_slot = -1, lru = -1;
    for (int i = 0; i < CACHE_SIZE; i++) {
        if (st->cache[i].sql && !st->cache[i].busy && strcmp(st->cache[i].sql, sql) == 0) {
            st->cache[i].busy = 1;
            st->cache[i].used = ++st->tick;
            levy_stmt_reset(st->cache[i].stmt);
            return st->cache[i].stmt;
        }
        if (!st->cache[i].sql) {
            if (free_slot < 0)
                free_slot = i;
        } else if (!st->cache[i].busy && (lru < 0 || st->cache[i].used < st->cache[lru].used)) {
            lru = i;
        }
    }
    levy_stmt *stmt = stmt_new(st, sql, 1, NULL, err);
    if (!stmt)
        return NULL;
    int slot = free_slot >= 0 ? free_slot : lru;
    char *copy = slot >= 0 ? strdup(sql) : NULL;
    if (!copy) { /* cache full of busy statements (or OOM): hand out an uncached one */
        levy_stmt_finalize(stmt);
        levy_err_set(err, LEVY_ENOMEM, "nomem", "statement cache exhausted");
        return NULL;
    }
    if (st->cache[slot].sql) {
        levy_stmt_finalize(st->cache[slot].stmt);
        free(st->cache[slot].sql);
    }
    st->cache[slot].sql = copy;
    st->cache[slot].stmt = stmt;
    st->cache[slot].busy = 1;
    st->cache[slot].used = ++st->tick;
    return stmt;
}

void levy_store_release(levy_store *st, levy_stmt *stmt)
{
    if (!stmt)
        return;
    levy_stmt_reset(stmt);
    for (int i = 0; i < CACHE_SIZE; i++)
        if (st->cache[i].stmt == stmt) {
            st->cache[i].busy = 0;
            return;
        }
}

/* ---- the statement API ------------------------------------------------------------------ */

static int lite_bind_rc(levy_stmt *s, int rc)
{
    /* an index past the statement's parameters is ignored, as SQLite's callers relied on */
    return rc == SQLITE_OK || rc == SQLITE_RANGE ? LEVY_OK : levy_store_rc(s->st, rc, NULL);
}

int levy_stmt_bind_int64(levy_stmt *s, int i, int64_t v)
{
    if (s->lite)
        return lite_bind_rc(s, sqlite3_bind_int64(s->lite, i, (sqlite3_int64)v));
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return levy_pg_bind(s, i, buf, -1, 1);
}

int levy_stmt_bind_text(levy_stmt *s, int i, const char *v, long len)
{
    if (s->lite)
        return lite_bind_rc(s, sqlite3_bind_text64(s->lite, i, v,
                                                   len < 0 ? strlen(v) : (sqlite3_uint64)len,
                                                   SQLITE_TRANSIENT, SQLITE_UTF8));
    return levy_pg_bind(s, i, v, len, 0);
}

int levy_stmt_bind_null(levy_stmt *s, int i)
{
    if (s->lite)
        return lite_bind_rc(s, sqlite3_bind_null(s->lite, i));
    return levy_pg_bind(s, i, NULL, 0, 0);
}

int levy_stmt_bind_text_or_null(levy_stmt *s, int i, const char *v)
{
    return v ? levy_stmt_bind_text(s, i, v, -1) : levy_stmt_bind_null(s, i);
}

int levy_stmt_param_count(levy_stmt *s)
{
    return s->lite ? sqlite3_bind_parameter_count(s->lite) : levy_pg_param_count(s);
}

int levy_stmt_readonly(levy_stmt *s)
{
    return s->lite ? sqlite3_stmt_readonly(s->lite) : levy_pg_readonly(s);
}

const char *levy_stmt_sql(levy_stmt *s) { return s->lite ? sqlite3_sql(s->lite) : levy_pg_sql(s); }

static int step(levy_stmt *s, levy_err *err)
{
    if (!s->lite)
        return levy_pg_step(s, err);
    int rc = sqlite3_step(s->lite);
    if (rc == SQLITE_ROW)
        return LEVY_STMT_ROW;
    if (rc == SQLITE_DONE)
        return LEVY_OK;
    return levy_store_rc(s->st, rc, err);
}

int levy_stmt_step(levy_stmt *s, levy_err *err)
{
    s->st->quiet = s->quiet;
    int rc = step(s, err);
    s->st->quiet = 0;
    return rc;
}

void levy_stmt_quiet(levy_stmt *s) { s->quiet = 1; }

int levy_stmt_step_progress(levy_stmt *s, int ops, int (*fn)(void *), void *ud, levy_err *err)
{
    if (!s->lite)
        return levy_pg_step(s, err);
    sqlite3_progress_handler(s->st->db, ops, fn, ud);
    int rc = levy_stmt_step(s, err);
    sqlite3_progress_handler(s->st->db, 0, NULL, NULL);
    return rc;
}

int levy_stmt_column_count(levy_stmt *s)
{
    return s->lite ? sqlite3_column_count(s->lite) : levy_pg_column_count(s);
}

const char *levy_stmt_column_name(levy_stmt *s, int i)
{
    return s->lite ? sqlite3_column_name(s->lite, i) : levy_pg_column_name(s, i);
}

int levy_stmt_column_type(levy_stmt *s, int i)
{
    if (!s->lite)
        return levy_pg_column_type(s, i);
    switch (sqlite3_column_type(s->lite, i)) {
    case SQLITE_INTEGER:
        return LEVY_COL_INT;
    case SQLITE_NULL:
        return LEVY_COL_NULL;
    default: /* TEXT, BLOB, and REAL as its text form */
        return LEVY_COL_TEXT;
    }
}

int64_t levy_stmt_column_int64(levy_stmt *s, int i)
{
    if (s->lite)
        return sqlite3_column_int64(s->lite, i);
    const char *t = levy_pg_column_text(s, i);
    if (!t)
        return 0;
    if (t[0] == 't' && !t[1])
        return 1;
    return strtoll(t, NULL, 10);
}

const char *levy_stmt_column_text(levy_stmt *s, int i)
{
    if (!s->lite)
        return levy_pg_column_text(s, i);
    if (sqlite3_column_type(s->lite, i) == SQLITE_BLOB) {
        const void *p = sqlite3_column_blob(s->lite, i);
        return p ? p : "";
    }
    return (const char *)sqlite3_column_text(s->lite, i);
}

size_t levy_stmt_column_bytes(levy_stmt *s, int i)
{
    return s->lite ? (size_t)sqlite3_column_bytes(s->lite, i) : levy_pg_column_bytes(s, i);
}

int64_t levy_store_changes(levy_store *st)
{
    return PG(st) ? levy_pg_changes(st) : sqlite3_changes64(st->db);
}

int64_t levy_store_transactions(levy_store *st) { return st->transactions; }

int64_t levy_store_replayable_transactions(levy_store *st) { return st->replayable; }

int64_t levy_store_round_trips(levy_store *st) { return PG(st) ? levy_pg_round_trips(st) : 0; }

int64_t levy_store_sqlite_memory(void) { return (int64_t)sqlite3_memory_used(); }

void levy_store_release_memory(levy_store *st)
{
    if (st && !PG(st) && st->db)
        sqlite3_db_release_memory(st->db);
}

int64_t levy_store_last_insert_rowid(levy_store *st)
{
    return PG(st) ? 0 : sqlite3_last_insert_rowid(st->db);
}

int levy_store_lock_migrations(levy_store *st, int lock, levy_err *err)
{
    return PG(st) ? levy_pg_lock_migrations(st, lock, err) : LEVY_OK;
}

/* ---- the tables a statement uses (SQLite's authorizer) ---------------------------------- */

typedef struct tables_ud {
    void (*fn)(void *, const char *);
    void *ud;
} tables_ud;

static int collect_tables(void *ud, int action, const char *a1, const char *a2, const char *db,
                          const char *inner)
{
    (void)a2;
    (void)db;
    tables_ud *t = ud;
    if (inner || !a1)
        return SQLITE_OK;
    if (action == SQLITE_READ || action == SQLITE_INSERT || action == SQLITE_UPDATE ||
        action == SQLITE_DELETE)
        t->fn(t->ud, a1);
    return SQLITE_OK;
}

int levy_store_tables_of(levy_store *st, const char *sql, void (*fn)(void *ud, const char *table),
                         void *ud)
{
    if (PG(st))
        return LEVY_EINTERNAL;
    tables_ud t = {fn, ud};
    sqlite3_stmt *tmp = NULL;
    sqlite3_set_authorizer(st->db, collect_tables, &t);
    int src = sqlite3_prepare_v2(st->db, sql, -1, &tmp, NULL);
    sqlite3_set_authorizer(st->db, NULL, NULL);
    sqlite3_finalize(tmp);
    return src == SQLITE_OK ? LEVY_OK : LEVY_EINVAL;
}
