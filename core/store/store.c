/* SQLite store: open, pragmas, error mapping, transactions, statement cache. See store.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store.h"

#define CACHE_SIZE 64
#define BUSY_COOL_MS 1000 /* after a spent busy budget, no new wait for this long */
#define PROBE_EVERY_MS 1000
#define SIBLING_MAX_MS 2000 /* the longest wait for the writer thread's transaction */

struct levy_store {
    sqlite3 *db;
    char *path;
    int depth;
    unsigned tick;
    int state;                  /* LEVY_STORE_STATE_* of the last failure (OK after a commit) */
    int busy_budget_ms;         /* 0: SQLite's 5 s busy timeout; else the shared wait budget */
    int64_t busy_deadline;      /* monotonic ms: end of the current busy wait window (0 = none) */
    int64_t last_probe;         /* monotonic ms of the last levy_store_probe write */
    _Atomic int64_t *wait_mark; /* levy_store_set_wait_mark */
    _Atomic int *sibling;       /* levy_store_set_sibling: 1 while it holds the write lock */
    int64_t sibling_since;      /* monotonic ms: the current wait for the sibling began */
    int quiet;                  /* levy_store_set_quiet: no state log lines */
    _Atomic int *holding;       /* levy_store_set_holding: 1 while a transaction is open */
    struct {
        char *sql;
        sqlite3_stmt *stmt;
        unsigned used;
        int busy;
    } cache[CACHE_SIZE];
};

sqlite3 *levy_store_db(levy_store *st) { return st->db; }
const char *levy_store_path(levy_store *st) { return st->path; }
int levy_store_depth(levy_store *st) { return st->depth; }

static void note_state(levy_store *st, int state, const char *msg);
static int state_of(int rc);

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t levy_store_mono_ms(void) { return mono_ms(); }

void levy_store_set_wait_mark(levy_store *st, _Atomic int64_t *mark) { st->wait_mark = mark; }

void levy_store_set_sibling(levy_store *st, _Atomic int *in_tx) { st->sibling = in_tx; }

void levy_store_set_quiet(levy_store *st, int quiet) { st->quiet = quiet; }

void levy_store_set_holding(levy_store *st, _Atomic int *flag) { st->holding = flag; }

/* The outermost transaction began or ended (levy_store_set_holding). */
static void set_holding(levy_store *st, int on)
{
    if (st->holding)
        atomic_store(st->holding, on);
}

void levy_store_note_failure(levy_store *st, int sqlite_rc, const char *msg)
{
    int state = state_of(sqlite_rc);
    if (st && state != LEVY_STORE_STATE_OK)
        note_state(st, state, msg);
}

void levy_store_note_ok(levy_store *st)
{
    if (st && st->state != LEVY_STORE_STATE_OK)
        note_state(st, LEVY_STORE_STATE_OK, "");
}

static const char *const STATE_NAMES[] = {"ok", "busy", "disk_full", "io_error", "corrupt"};

const char *levy_store_state_name(int state)
{
    return state >= 0 && state <= LEVY_STORE_STATE_CORRUPT ? STATE_NAMES[state] : "io_error";
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
static void note_state(levy_store *st, int state, const char *msg)
{
    if (!st || state == st->state || st->state == LEVY_STORE_STATE_CORRUPT)
        return;
    int was = st->state;
    st->state = state;
    if (st->quiet)
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
    if (state != LEVY_STORE_STATE_OK)
        note_state(st, state, msg);
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
    default:
        return levy_err_set(err, LEVY_EINVAL, "sql", "%s", msg);
    }
}

int levy_store_exec(levy_store *st, const char *sql, levy_err *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? LEVY_OK : levy_store_rc(st, rc, err);
}

/* After every commit in WAL mode (the write lock is released): a write succeeded, so the
 * store is usable again. Replaces SQLite's auto-checkpoint hook, so it does its work too. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
    levy_store *st = ud;
    if (frames >= 1000)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    st->busy_deadline = 0;
    note_state(st, LEVY_STORE_STATE_OK, "");
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
            struct timespec ts1 = {0, 1000000};
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
    if (ms > 0)
        sqlite3_busy_handler(st->db, busy_handler, st);
    else
        sqlite3_busy_timeout(st->db, 5000);
}

int levy_store_quick_check(levy_store *st, char *detail, size_t cap, levy_err *err)
{
    sqlite3_stmt *s = NULL;
    detail[0] = 0;
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
        note_state(st, LEVY_STORE_STATE_CORRUPT, detail);
        return levy_err_set(err, LEVY_EIO, "corrupt", "%s", detail);
    }
    return LEVY_OK;
}

int levy_store_probe(levy_store *st)
{
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
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
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
        sqlite3_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
    }
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

int levy_store_begin(levy_store *st, levy_err *err)
{
    char sql[48];
    if (st->depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT levy_%d", st->depth);
    int rc = levy_store_exec(st, sql, err);
    if (rc == LEVY_OK && st->depth++ == 0)
        set_holding(st, 1); /* BEGIN IMMEDIATE: the write lock is held */
    return rc;
}

int levy_store_commit(levy_store *st, levy_err *err)
{
    char sql[48];
    if (st->depth <= 0)
        return levy_err_set(err, LEVY_EINVAL, "sql", "commit without a transaction");
    if (st->depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE levy_%d", st->depth - 1);
    int rc = levy_store_exec(st, sql, err);
    if (rc == LEVY_OK)
        st->depth--;
    else if (st->depth == 1 && sqlite3_get_autocommit(st->db))
        st->depth = 0; /* SQLite rolled back on its own */
    if (st->depth == 0)
        set_holding(st, 0);
    return rc;
}

int levy_store_rollback(levy_store *st, levy_err *err)
{
    char sql[80];
    if (st->depth <= 0)
        return levy_err_set(err, LEVY_EINVAL, "sql", "rollback without a transaction");
    if (st->depth == 1)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO levy_%d; RELEASE levy_%d", st->depth - 1,
                 st->depth - 1);
    st->depth--;
    if (st->depth == 0 && sqlite3_get_autocommit(st->db)) {
        set_holding(st, 0);
        return LEVY_OK; /* already rolled back by SQLite (e.g. after SQLITE_FULL) */
    }
    int rc = levy_store_exec(st, sql, err);
    if (st->depth == 0)
        set_holding(st, 0);
    return rc;
}

sqlite3_stmt *levy_store_prepare_cached(levy_store *st, const char *sql, levy_err *err)
{
    int free_slot = -1, lru = -1;
    for (int i = 0; i < CACHE_SIZE; i++) {
        if (st->cache[i].sql && !st->cache[i].busy && strcmp(st->cache[i].sql, sql) == 0) {
            st->cache[i].busy = 1;
            st->cache[i].used = ++st->tick;
            sqlite3_reset(st->cache[i].stmt);
            sqlite3_clear_bindings(st->cache[i].stmt);
            return st->cache[i].stmt;
        }
        if (!st->cache[i].sql) {
            if (free_slot < 0)
                free_slot = i;
        } else if (!st->cache[i].busy && (lru < 0 || st->cache[i].used < st->cache[lru].used)) {
            lru = i;
        }
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        levy_store_rc(st, rc, err);
        return NULL;
    }
    int slot = free_slot >= 0 ? free_slot : lru;
    char *copy = slot >= 0 ? strdup(sql) : NULL;
    if (!copy) { /* cache full of busy statements (or OOM): hand out an uncached one */
        sqlite3_finalize(stmt);
        levy_err_set(err, LEVY_ENOMEM, "nomem", "statement cache exhausted");
        return NULL;
    }
    if (st->cache[slot].sql) {
        sqlite3_finalize(st->cache[slot].stmt);
        free(st->cache[slot].sql);
    }
    st->cache[slot].sql = copy;
    st->cache[slot].stmt = stmt;
    st->cache[slot].busy = 1;
    st->cache[slot].used = ++st->tick;
    return stmt;
}

void levy_store_release(levy_store *st, sqlite3_stmt *stmt)
{
    if (!stmt)
        return;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (int i = 0; i < CACHE_SIZE; i++)
        if (st->cache[i].stmt == stmt) {
            st->cache[i].busy = 0;
            return;
        }
}
