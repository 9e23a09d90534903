/* R4 simulated power loss and R5 I/O faults, driven through levy's own store code.
 *
 * A test-only SQLite VFS shim ("powerloss") wraps the default VFS and is registered as the
 * default, so levy_store_open() uses it unchanged. The shim keeps every xWrite in memory
 * (a per-file list of unsynced writes, overlaid on reads) until xSync, which flushes them in
 * order to the real file: the real file is the "disk", and what is on it is what survived.
 * The real fsync is skipped (the real file stands for the platter; this also keeps the test
 * fast). At the armed crash point (the Nth write or sync since arming) the shim "loses
 * power": each unsynced write is independently kept, dropped or torn (a 512-byte-aligned
 * prefix kept), and the kept ones reach the disk in a random order; from then on every
 * write, sync, truncate and delete fails (the process is dead), the store is closed and
 * reopened and checked.
 *
 * Workload ("acknowledged after commit"): rows inserted into the rillet plugin's real inbox
 * table (its migration applied), one transaction each via levy_store_begin/commit; a row
 * counts as acknowledged only when levy_store_commit returned LEVY_OK.
 *   * synchronous=FULL (levy's setting): 0 acknowledged rows lost over >= 1,000 crash points,
 *     PRAGMA integrity_check = ok after each recovery, and no commit reported success after
 *     the power was gone.
 *   * negative control, synchronous=NORMAL: the same harness must detect a lost
 *     acknowledged row (proves the harness can see a loss).
 *   * I/O faults: the Nth write (or sync) returns SQLITE_FULL or SQLITE_IOERR once; the
 *     store call returns LEVY_EIO (never LEVY_OK for a failed commit), the failed row is not
 *     stored, the next transaction succeeds, nothing acknowledged is lost, integrity ok.
 *   * issue 21, each row processed right after in a replayable transaction
 *     (levy_store_begin_replayable, rillet's process_inbox): nothing acknowledged lost, a
 *     mark followed by an acknowledged commit never lost, marks after the last one may be.
 * Under valgrind (LEVY_UNDER_VALGRIND) the crash-point counts are smaller. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "harness.h"
#include "levy.h"
#include "store/store.h"

/* ------------------------------------------------------------------ the shim */

typedef struct pl_write {
    sqlite3_int64 off;
    int len;
    unsigned char *data;
} pl_write;

typedef struct pl_file {
    sqlite3_file base;
    struct pl_file *next; /* list of open files */
    pl_write *pend;
    int npend, cap;
    sqlite3_file *real; /* points just past this struct */
} pl_file;

static sqlite3_vfs *g_real;
static sqlite3_vfs g_vfs;
static pl_file *g_open;
static unsigned long g_ops;      /* writes + syncs since arming */
static unsigned long g_crash_at; /* 0 = no crash armed */
static int g_crashed;
static unsigned long g_fault_at; /* 0 = no fault armed; one-shot */
static int g_fault_rc;
static int g_fault_on_sync;
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static int real_write(pl_file *f, const void *buf, int len, sqlite3_int64 off)
{
    return f->real->pMethods->xWrite(f->real, buf, len, off);
}

static void drop_pending(pl_file *f)
{
    for (int i = 0; i < f->npend; i++)
        free(f->pend[i].data);
    f->npend = 0;
}

static int flush_pending(pl_file *f)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < f->npend && rc == SQLITE_OK; i++)
        rc = real_write(f, f->pend[i].data, f->pend[i].len, f->pend[i].off);
    drop_pending(f);
    return rc;
}

/* Power loss: each unsynced write kept (1/2), dropped (3/8) or torn (1/8), kept ones written
 * in a random order (overlapping writes may land out of order). */
static void lose_power(void)
{
    for (pl_file *f = g_open; f; f = f->next) {
        int n = f->npend;
        int *order = malloc(sizeof(int) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++)
            order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)(rnd() % (uint64_t)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int k = 0; k < n; k++) {
            pl_write *w = &f->pend[order[k]];
            unsigned r = (unsigned)(rnd() % 8);
            if (r < 4)
                real_write(f, w->data, w->len, w->off);
            else if (r == 4 && w->len > 512) /* torn: a 512-byte-aligned prefix only */
                real_write(f, w->data, 512 * (int)(1 + rnd() % (uint64_t)((w->len - 1) / 512)),
                           w->off);
        }
        free(order);
        drop_pending(f);
    }
    g_crashed = 1;
}

/* Counts one write or sync; returns an error code when this op is the crash or fault. */
static int tick(int is_sync)
{
    if (g_crashed)
        return is_sync ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_WRITE;
    g_ops++;
    if (g_crash_at && g_ops == g_crash_at) {
        lose_power();
        return is_sync ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_WRITE;
    }
    if (g_fault_at && g_ops == g_fault_at && is_sync == g_fault_on_sync) {
        g_fault_at = 0;
        return g_fault_rc;
    }
    if (g_fault_at && g_ops >= g_fault_at)
        g_fault_at = g_ops + 1; /* the fault kind (write/sync) did not come up yet: next op */
    return SQLITE_OK;
}

static sqlite3_int64 logical_size(pl_file *f, sqlite3_int64 real_size)
{
    sqlite3_int64 sz = real_size;
    for (int i = 0; i < f->npend; i++)
        if (f->pend[i].off + f->pend[i].len > sz)
            sz = f->pend[i].off + f->pend[i].len;
    return sz;
}

static int pl_close(sqlite3_file *pf)
{
    pl_file *f = (pl_file *)pf;
    /* a clean close keeps what was written (the OS still has it): flush. After a crash the
     * pending list was already resolved by lose_power(). */
    if (!g_crashed)
        flush_pending(f);
    drop_pending(f);
    free(f->pend);
    for (pl_file **pp = &g_open; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    return f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
}

static int pl_read(sqlite3_file *pf, void *buf, int amt, sqlite3_int64 off)
{
    pl_file *f = (pl_file *)pf;
    sqlite3_int64 rsz = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &rsz);
    if (rc != SQLITE_OK)
        return rc;
    rc = f->real->pMethods->xRead(f->real, buf, amt, off);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
        return rc;
    for (int i = 0; i < f->npend; i++) {
        pl_write *w = &f->pend[i];
        sqlite3_int64 lo = w->off > off ? w->off : off;
        sqlite3_int64 hi = (w->off + w->len) < (off + amt) ? (w->off + w->len) : (off + amt);
        if (lo < hi)
            memcpy((unsigned char *)buf + (lo - off), w->data + (lo - w->off), (size_t)(hi - lo));
    }
    sqlite3_int64 lsz = logical_size(f, rsz);
    if (off + amt <= lsz)
        return SQLITE_OK;
    if (off < lsz) /* bytes past the logical end are zero */
        memset((unsigned char *)buf + (lsz - off), 0, (size_t)(off + amt - lsz));
    else
        memset(buf, 0, (size_t)amt);
    return SQLITE_IOERR_SHORT_READ;
}

static int pl_write_m(sqlite3_file *pf, const void *buf, int amt, sqlite3_int64 off)
{
    pl_file *f = (pl_file *)pf;
    int rc = tick(0);
    if (rc != SQLITE_OK)
        return rc;
    if (f->npend == f->cap) {
        int nc = f->cap ? f->cap * 2 : 16;
        pl_write *p = realloc(f->pend, sizeof *p * (size_t)nc);
        if (!p)
            return SQLITE_NOMEM;
        f->pend = p;
        f->cap = nc;
    }
    unsigned char *d = malloc((size_t)amt);
    if (!d)
        return SQLITE_NOMEM;
    memcpy(d, buf, (size_t)amt);
    f->pend[f->npend++] = (pl_write){off, amt, d};
    return SQLITE_OK;
}

static int pl_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
    pl_file *f = (pl_file *)pf;
    if (g_crashed)
        return SQLITE_IOERR_TRUNCATE;
    /* modelled conservatively as ordered after the earlier writes: flush them, truncate */
    int rc = flush_pending(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int pl_sync(sqlite3_file *pf, int flags)
{
    (void)flags;
    pl_file *f = (pl_file *)pf;
    int rc = tick(1);
    if (rc != SQLITE_OK)
        return rc;
    return flush_pending(f); /* the real fsync is skipped: the real file is the disk */
}

static int pl_size(sqlite3_file *pf, sqlite3_int64 *out)
{
    pl_file *f = (pl_file *)pf;
    sqlite3_int64 rsz = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &rsz);
    if (rc == SQLITE_OK)
        *out = logical_size(f, rsz);
    return rc;
}

#define PASS(name, sig, call)                                                                      \
    static int name sig                                                                            \
    {                                                                                              \
        pl_file *f = (pl_file *)pf;                                                                \
        return f->real->pMethods->call;                                                            \
    }
PASS(pl_lock, (sqlite3_file * pf, int l), xLock(f->real, l))
PASS(pl_unlock, (sqlite3_file * pf, int l), xUnlock(f->real, l))
PASS(pl_check, (sqlite3_file * pf, int *o), xCheckReservedLock(f->real, o))
PASS(pl_sector, (sqlite3_file * pf), xSectorSize(f->real))
PASS(pl_dev, (sqlite3_file * pf), xDeviceCharacteristics(f->real))
PASS(pl_shmmap, (sqlite3_file * pf, int pg, int sz, int ext, void volatile **pp),
     xShmMap(f->real, pg, sz, ext, pp))
PASS(pl_shmlock, (sqlite3_file * pf, int o, int n, int fl), xShmLock(f->real, o, n, fl))
PASS(pl_shmunmap, (sqlite3_file * pf, int del), xShmUnmap(f->real, del))

static int pl_fcntl(sqlite3_file *pf, int op, void *arg)
{
    pl_file *f = (pl_file *)pf;
    if (op == SQLITE_FCNTL_MMAP_SIZE) /* reads must go through the overlay: no mmap */
        return SQLITE_NOTFOUND;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static void pl_shmbarrier(sqlite3_file *pf)
{
    pl_file *f = (pl_file *)pf;
    f->real->pMethods->xShmBarrier(f->real);
}

static const sqlite3_io_methods PL_IO = {
    2,          pl_close,      pl_read,     pl_write_m, pl_truncate, pl_sync, pl_size,
    pl_lock,    pl_unlock,     pl_check,    pl_fcntl,   pl_sector,   pl_dev,  pl_shmmap,
    pl_shmlock, pl_shmbarrier, pl_shmunmap, NULL,       NULL};

static int pl_open(sqlite3_vfs *v, const char *name, sqlite3_file *pf, int flags, int *out)
{
    (void)v;
    pl_file *f = (pl_file *)pf;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)f + sizeof(pl_file));
    int rc = g_real->xOpen(g_real, name, f->real, flags, out);
    if (rc != SQLITE_OK || !f->real->pMethods) {
        f->base.pMethods = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    f->base.pMethods = &PL_IO;
    f->next = g_open;
    g_open = f;
    return SQLITE_OK;
}

static int pl_delete(sqlite3_vfs *v, const char *name, int dirsync)
{
    (void)v;
    if (g_crashed)
        return SQLITE_IOERR_DELETE;
    return g_real->xDelete(g_real, name, dirsync);
}

static int pl_access(sqlite3_vfs *v, const char *n, int f, int *o)
{
    (void)v;
    return g_real->xAccess(g_real, n, f, o);
}
static int pl_full(sqlite3_vfs *v, const char *n, int k, char *o)
{
    (void)v;
    return g_real->xFullPathname(g_real, n, k, o);
}
static int pl_rand(sqlite3_vfs *v, int n, char *o)
{
    (void)v;
    return g_real->xRandomness(g_real, n, o);
}
static int pl_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return g_real->xSleep(g_real, us);
}
static int pl_time(sqlite3_vfs *v, double *o)
{
    (void)v;
    return g_real->xCurrentTime(g_real, o);
}
static int pl_lasterr(sqlite3_vfs *v, int n, char *o)
{
    (void)v;
    return g_real->xGetLastError(g_real, n, o);
}
static int pl_time64(sqlite3_vfs *v, sqlite3_int64 *o)
{
    (void)v;
    return g_real->xCurrentTimeInt64(g_real, o);
}

static int pl_register(void)
{
    if (g_real)
        return 0;
    g_real = sqlite3_vfs_find(NULL);
    if (!g_real)
        return -1;
    memset(&g_vfs, 0, sizeof g_vfs);
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = (int)(sizeof(pl_file) + (size_t)g_real->szOsFile);
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "powerloss";
    g_vfs.xOpen = pl_open;
    g_vfs.xDelete = pl_delete;
    g_vfs.xAccess = pl_access;
    g_vfs.xFullPathname = pl_full;
    g_vfs.xRandomness = pl_rand;
    g_vfs.xSleep = pl_sleep;
    g_vfs.xCurrentTime = pl_time;
    g_vfs.xGetLastError = pl_lasterr;
    g_vfs.xCurrentTimeInt64 = pl_time64;
    return sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* ------------------------------------------------------------------ the workload */

static char g_dir[256];

static void rm_db(const char *path)
{
    char p[1024]; /* path is at most 512 bytes (callers' buffers) plus the suffix */
    unlink(path);
    snprintf(p, sizeof p, "%.1000s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%.1000s-shm", path);
    unlink(p);
}

static int open_store(levy_store **st, const char *path, const char *sync_mode)
{
    levy_err e = {0};
    if (levy_store_open(st, path, 0, &e) != LEVY_OK) {
        fprintf(stderr, "  open: %s\n", e.message);
        return -1;
    }
    if (sync_mode) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", sync_mode);
        if (levy_store_exec(*st, sql, &e) != LEVY_OK)
            return -1;
    }
    return 0;
}

/* One acknowledged-after-commit insert: 1 = acknowledged, 0 = failed (error returned). */
static int insert_row(levy_store *st, long id, levy_err *e)
{
    char did[32], body[300];
    snprintf(did, sizeof did, "dlv-%08ld", id);
    snprintf(
        body, sizeof body,
        "{\"id\":\"inv-%ld\",\"items\":[{\"id\":\"l1\",\"total_amount\":{\"amount\":\"%ld.00\","
        "\"currency\":\"USD\"}}],\"pad\":\"%0*d\"}",
        id, id % 977, (int)(id % 150), 0);
    if (levy_store_begin(st, e) != LEVY_OK)
        return 0;
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body) "
        "VALUES (?,?,?,?,?,?)",
        e);
    if (!s) {
        levy_store_rollback(st, NULL);
        return 0;
    }
    levy_stmt_bind_text(s, 1, did, -1);
    levy_stmt_bind_text(s, 2, "con_test", -1);
    levy_stmt_bind_text(s, 3, "INVOICE", -1);
    levy_stmt_bind_text(s, 4, "CREATED", -1);
    levy_stmt_bind_text(s, 5, "2026-11-24T00:00:00Z", -1);
    levy_stmt_bind_text(s, 6, body, -1);
    int rc = levy_stmt_step(s, e);
    levy_store_release(st, s);
    if (rc != LEVY_OK) {
        levy_store_rollback(st, NULL);
        return 0;
    }
    if (levy_store_commit(st, e) != LEVY_OK) {
        if (levy_store_depth(st) > 0)
            levy_store_rollback(st, NULL);
        return 0;
    }
    return 1;
}

/* The processing of row id (issue 21): its processed mark in a replayable transaction
 * (levy_store_begin_replayable: synchronous=NORMAL for it), as rillet's process_inbox
 * commits a batch. 1 = committed. */
static int mark_row(levy_store *st, long id, levy_err *e)
{
    char did[32];
    snprintf(did, sizeof did, "dlv-%08ld", id);
    if (levy_store_begin_replayable(st, e) != LEVY_OK)
        return 0;
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "UPDATE inbox SET processed_at = '2026-11-24T00:00:01Z', outcome = 'x' "
        "WHERE delivery_id = ?",
        e);
    if (!s) {
        levy_store_rollback(st, NULL);
        return 0;
    }
    levy_stmt_bind_text(s, 1, did, -1);
    int rc = levy_stmt_step(s, e);
    levy_store_release(st, s);
    if (rc != LEVY_OK) {
        levy_store_rollback(st, NULL);
        return 0;
    }
    if (levy_store_commit(st, e) != LEVY_OK) {
        if (levy_store_depth(st) > 0)
            levy_store_rollback(st, NULL);
        return 0;
    }
    return 1;
}

typedef struct run_stats {
    long crash_points, acked, lost, corrupt, ack_after_crash, failed_opens;
    /* with marks: marks whose replayable commit was followed by an acknowledged (waiting)
     * commit and are gone after the crash (must be 0), and marks lost that were not */
    long marks, synced_marks_lost, marks_lost;
} run_stats;

/* The marks after a recovery: marked[i] 1 = committed replayable, 2 = and a waiting commit
 * acknowledged after it. Counts into rs; a lost mark is forgotten (as a re-run would redo it). */
static void verify_marks(levy_store *st, unsigned char *marked, long n, run_stats *rs)
{
    sqlite3 *db = levy_store_db(st);
    sqlite3_stmt *s = NULL;
    unsigned char *done = calloc((size_t)n + 2, 1);
    if (sqlite3_prepare_v2(db, "SELECT delivery_id FROM inbox WHERE processed_at IS NOT NULL", -1,
                           &s, NULL) == SQLITE_OK)
        while (sqlite3_step(s) == SQLITE_ROW) {
            long id = strtol((const char *)sqlite3_column_text(s, 0) + 4, NULL, 10);
            if (id >= 1 && id <= n)
                done[id] = 1;
        }
    sqlite3_finalize(s);
    for (long i = 1; i <= n; i++) {
        if (marked[i] && !done[i]) {
            if (marked[i] == 2)
                rs->synced_marks_lost++;
            else
                rs->marks_lost++;
            marked[i] = 0;
        }
    }
    free(done);
}

/* Checks the reopened store: every acknowledged id present, integrity ok. acked[i] != 0 for
 * acknowledged ids 1..n. Returns the number of acknowledged rows missing. */
static long verify(levy_store *st, const unsigned char *acked, long n, long *corrupt)
{
    sqlite3 *db = levy_store_db(st);
    sqlite3_stmt *s = NULL;
    unsigned char *seen = calloc((size_t)n + 2, 1);
    long lost = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        if (!r || strcmp(r, "ok") != 0) {
            (*corrupt)++;
            fprintf(stderr, "  integrity_check: %.300s\n", r ? r : "(null)");
        }
    } else {
        (*corrupt)++;
        fprintf(stderr, "  integrity_check failed to run: %s\n", sqlite3_errmsg(db));
    }
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT delivery_id FROM inbox", -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            long id = strtol((const char *)sqlite3_column_text(s, 0) + 4, NULL, 10);
            if (id >= 1 && id <= n)
                seen[id] = 1;
        }
    } else {
        (*corrupt)++;
    }
    sqlite3_finalize(s);
    for (long i = 1; i <= n; i++)
        if (acked[i] && !seen[i])
            lost++;
    free(seen);
    return lost;
}

/* Runs `points` crash points on one database (continuing across recoveries, like a server
 * that keeps restarting). sync_mode NULL = levy's own setting. */
static int powerloss_run(const char *name, const char *sync_mode, long points, run_stats *rs,
                         int marks)
{
    char path[512];
    levy_err e = {0};
    levy_store *st = NULL;
    long cap = points * 64 + 64, next_id = 1, unsynced_from = 1;
    unsigned char *acked = calloc((size_t)cap + 2, 1);
    unsigned char *marked = calloc((size_t)cap + 2, 1);
    int ret = -1;
    memset(rs, 0, sizeof *rs);
    snprintf(path, sizeof path, "%s/%s.db", g_dir, name);
    rm_db(path);
    /* set up with levy's own settings (the schema is durable), then switch the mode */
    if (pl_register() != 0 || open_store(&st, path, NULL) != 0)
        goto done;
    char mdir[600];
    const char *src = getenv("LEVY_SOURCE");
    snprintf(mdir, sizeof mdir, "%s/plugins/rillet/migrations", src ? src : ".");
    if (levy_store_migrate_dir(st, "rillet", mdir, &e) != LEVY_OK) {
        fprintf(stderr, "  migrate: %s\n", e.message);
        goto done;
    }
    if (sync_mode) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", sync_mode);
        if (levy_store_exec(st, sql, &e) != LEVY_OK)
            goto done;
    }
    for (long p = 0; p < points; p++) {
        /* crash somewhere within the next ~40 transactions' writes and syncs */
        g_ops = 0;
        g_crash_at = 1 + rnd() % 160;
        while (next_id < cap) {
            long id = next_id++;
            int ok = insert_row(st, id, &e);
            /* a commit that returned OK is acknowledged, even when the power went during the
             * auto-checkpoint that runs after it (counted: it must survive too) */
            if (ok && g_crashed)
                rs->ack_after_crash++;
            if (ok)
                acked[id] = 1, rs->acked++;
            if (ok && marks) { /* the waiting commit synced the marks before it */
                for (long i = unsynced_from; i < id; i++)
                    if (marked[i])
                        marked[i] = 2;
                unsynced_from = id;
            }
            if (g_crashed)
                break;
            /* with marks: the row just stored is processed, in a replayable transaction */
            if (ok && marks && mark_row(st, id, &e)) {
                marked[id] = 1, rs->marks++;
                if (g_crashed)
                    break;
            }
            if (g_crashed)
                break;
        }
        rs->crash_points++;
        levy_store_close(st); /* the dead process's handles go away; writes are refused */
        st = NULL;
        g_crashed = 0;
        g_crash_at = 0;
        if (open_store(&st, path, sync_mode) != 0) {
            rs->failed_opens++;
            goto done;
        }
        rs->lost += verify(st, acked, next_id - 1, &rs->corrupt);
        if (marks)
            verify_marks(st, marked, next_id - 1, rs);
        if (rs->lost && sync_mode) /* the negative control has made its point */
            break;
        if (next_id >= cap)
            break;
    }
    ret = 0;
done:
    g_crash_at = 0;
    g_crashed = 0;
    levy_store_close(st);
    rm_db(path);
    free(acked);
    free(marked);
    return ret;
}

/* LEVY_POWERLOSS_POINTS overrides the count for long runs (tests/soak/README.md). */
static long npoints(long normal, long valgrind)
{
    const char *e = getenv("LEVY_POWERLOSS_POINTS");
    if (e && atol(e) > 0)
        return atol(e);
    return getenv("LEVY_UNDER_VALGRIND") ? valgrind : normal;
}

static void t_powerloss_full(void)
{
    run_stats rs;
    long want = npoints(1000, 120);
    CHECK_EQ_INT(powerloss_run("full", NULL, want, &rs, 0), 0);
    fprintf(stderr,
            "  synchronous=FULL: %ld crash points, %ld acknowledged rows, %ld lost, %ld corrupt, "
            "%ld of them acknowledged while the crash hit the checkpoint after the commit\n",
            rs.crash_points, rs.acked, rs.lost, rs.corrupt, rs.ack_after_crash);
    CHECK_EQ_INT(rs.crash_points, want);
    CHECK(rs.acked > want); /* the workload got real work done between crashes */
    CHECK_EQ_INT(rs.lost, 0);
    CHECK_EQ_INT(rs.corrupt, 0);
end:;
}

static void t_powerloss_normal_detects_loss(void)
{
    run_stats rs;
    CHECK_EQ_INT(powerloss_run("normal", "NORMAL", npoints(1000, 300), &rs, 0), 0);
    fprintf(stderr,
            "  synchronous=NORMAL (negative control): loss detected after %ld crash points "
            "(%ld acknowledged rows lost, %ld corrupt)\n",
            rs.crash_points, rs.lost, rs.corrupt);
    CHECK(rs.lost > 0);          /* the harness sees a lost acknowledged row */
    CHECK_EQ_INT(rs.corrupt, 0); /* NORMAL loses commits but does not corrupt */
end:;
}

/* Issue 21: each acknowledged row processed right after in a replayable transaction (its
 * COMMIT does not wait for the disk), as rillet's process_inbox does. Nothing acknowledged is
 * lost, integrity holds, a mark followed by an acknowledged (waiting) commit survives; marks
 * after the last waiting commit may be lost (the control that the replayable commits did not
 * wait: with FULL none would be), which a re-run of the processing redoes. */
static void t_powerloss_replayable(void)
{
    run_stats rs;
    long want = npoints(200, 60); /* fewer than powerloss_full: the test's time-out is shared */
    CHECK_EQ_INT(powerloss_run("replayable", NULL, want, &rs, 1), 0);
    fprintf(stderr,
            "  replayable marks: %ld crash points, %ld acknowledged rows, %ld lost, %ld corrupt; "
            "%ld marks, %ld lost after a waiting commit, %ld lost before one\n",
            rs.crash_points, rs.acked, rs.lost, rs.corrupt, rs.marks, rs.synced_marks_lost,
            rs.marks_lost);
    CHECK_EQ_INT(rs.crash_points, want);
    CHECK(rs.acked > want);
    CHECK_EQ_INT(rs.lost, 0);
    CHECK_EQ_INT(rs.corrupt, 0);
    CHECK_EQ_INT(rs.synced_marks_lost, 0);
    CHECK(rs.marks_lost > 0); /* the marks' commits did not wait for the disk */
end:;
}

/* R5 at the store level: one SQLITE_FULL / SQLITE_IOERR on the Nth write or sync. */
static void io_fault_run(int fault_rc, int on_sync)
{
    char path[512];
    levy_err e = {0};
    levy_store *st = NULL;
    const long rounds = npoints(300, 40), cap = rounds * 8 + 16;
    unsigned char *acked = calloc((size_t)cap + 2, 1);
    long next_id = 1, failed = 0, ok_after = 0, lost = 0, corrupt = 0, eio = 0;
    snprintf(path, sizeof path, "%s/fault.db", g_dir);
    rm_db(path);
    CHECK(pl_register() == 0 && open_store(&st, path, NULL) == 0);
    {
        char mdir[600];
        const char *src = getenv("LEVY_SOURCE");
        snprintf(mdir, sizeof mdir, "%s/plugins/rillet/migrations", src ? src : ".");
        CHECK_EQ_INT(levy_store_migrate_dir(st, "rillet", mdir, &e), LEVY_OK);
    }
    for (long r = 0; r < rounds; r++) {
        g_ops = 0;
        g_fault_rc = fault_rc;
        g_fault_on_sync = on_sync;
        g_fault_at = 1 + rnd() % 6;
        for (int k = 0; k < 4 && next_id < cap; k++) {
            long id = next_id++;
            int faulted_before = g_fault_at == 0;
            levy_err_clear(&e);
            int ok = insert_row(st, id, &e);
            if (ok) {
                acked[id] = 1;
            } else {
                failed++;
                if (e.rc == LEVY_EIO)
                    eio++;
                CHECK(!faulted_before); /* only the injected fault may fail a commit */
                /* the store recovers: the very next transaction succeeds */
                long id2 = next_id++;
                if (insert_row(st, id2, &e)) {
                    acked[id2] = 1;
                    ok_after++;
                }
            }
        }
        g_fault_at = 0;
    }
    levy_store_close(st);
    st = NULL;
    CHECK(open_store(&st, path, NULL) == 0);
    lost = verify(st, acked, next_id - 1, &corrupt);
    {
        /* a row whose commit failed must not be there: count rows vs acknowledged */
        sqlite3_stmt *s = NULL;
        long rows = -1, nacked = 0;
        for (long i = 1; i < next_id; i++)
            nacked += acked[i];
        if (sqlite3_prepare_v2(levy_store_db(st), "SELECT count(*) FROM inbox", -1, &s, NULL) ==
                SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            rows = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        fprintf(stderr,
                "  fault %s on %s: %ld rounds, %ld failed commits (%ld LEVY_EIO), %ld recovered, "
                "%ld rows = %ld acknowledged, %ld lost, %ld corrupt\n",
                sqlite3_errstr(fault_rc), on_sync ? "sync" : "write", rounds, failed, eio, ok_after,
                rows, nacked, lost, corrupt);
        CHECK_EQ_INT(rows, nacked); /* never a failed commit that stored its row anyway */
    }
    CHECK(failed > 0);         /* the fault fired */
    CHECK_EQ_INT(eio, failed); /* every failure surfaced as LEVY_EIO ("io" -> 503) */
    CHECK_EQ_INT(ok_after, failed);
    CHECK_EQ_INT(lost, 0);
    CHECK_EQ_INT(corrupt, 0);
end:
    g_fault_at = 0;
    levy_store_close(st);
    rm_db(path);
    free(acked);
}

static void t_io_fault_full_write(void) { io_fault_run(SQLITE_FULL, 0); }
static void t_io_fault_ioerr_write(void) { io_fault_run(SQLITE_IOERR_WRITE, 0); }
static void t_io_fault_ioerr_sync(void) { io_fault_run(SQLITE_IOERR_FSYNC, 1); }

static void t_setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/levy-powerloss-XXXXXX", t ? t : "/tmp");
    CHECK(mkdtemp(g_dir) != NULL);
    g_rng ^= (uint64_t)getpid() * 0x2545F4914F6CDD1Dull;
    if (getenv("LEVY_POWERLOSS_SEED"))
        g_rng = strtoull(getenv("LEVY_POWERLOSS_SEED"), NULL, 10) | 1;
    fprintf(stderr, "  seed %llu (set LEVY_POWERLOSS_SEED to replay)\n", (unsigned long long)g_rng);
end:;
}

static void t_teardown(void)
{
    rmdir(g_dir);
    sqlite3_vfs_unregister(&g_vfs);
}

static const levy_test tests[] = {
    {"setup", t_setup},
    {"powerloss_full_no_ack_lost", t_powerloss_full},
    {"powerloss_normal_detects_loss", t_powerloss_normal_detects_loss},
    {"powerloss_replayable", t_powerloss_replayable},
    {"io_fault_full_write", t_io_fault_full_write},
    {"io_fault_ioerr_write", t_io_fault_ioerr_write},
    {"io_fault_ioerr_sync", t_io_fault_ioerr_sync},
    {"teardown", t_teardown},
    {NULL, NULL}};

LEVY_TEST_MAIN(tests)
