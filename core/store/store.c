/* SQLite store: open, pragmas, error mapping, transactions, statement cache. See store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define CACHE_SIZE 64

struct levy_store {
    sqlite3 *db;
    char *path;
    int depth;
    unsigned tick;
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

int levy_store_rc(levy_store *st, int rc, levy_err *err)
{
    const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
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

int levy_store_open(levy_store **out, const char *path, int flags, levy_err *err)
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
    if (!(flags & LEVY_STORE_READONLY) &&
        (rc = levy_store_exec(st, "PRAGMA journal_mode=WAL", err)) != LEVY_OK)
        goto fail;
    if ((rc = levy_store_exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err)) !=
        LEVY_OK)
        goto fail;
    if (!(flags & (LEVY_STORE_READONLY | LEVY_STORE_NO_MIGRATE)) &&
        (rc = levy_store_migrate_core(st, err)) != LEVY_OK)
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
    if (rc == LEVY_OK)
        st->depth++;
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
    if (st->depth == 0 && sqlite3_get_autocommit(st->db))
        return LEVY_OK; /* already rolled back by SQLite (e.g. after SQLITE_FULL) */
    return levy_store_exec(st, sql, err);
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
