/* Generations across replicas (core/host/genreg.c, issue 22) on one SQLite store: the content
 * hash, the store-issued order seq (kept at start for known content, the newest at a reload,
 * a rollback by reload newer again) and the heartbeat rows. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "host/genreg.h"
#include "store/store.h"

static char dir[64];

/* A VFS over the default one that counts xSync calls (fsync / fdatasync of any file of the
 * store): registered as the default, so the store's connection opens through it. */
typedef struct {
    sqlite3_file base;
    sqlite3_file *real; /* placed right after this struct */
} sync_file;
static sqlite3_vfs sync_vfs, *real_vfs;
static sqlite3_io_methods sync_io;
static int nsyncs;

static int sf_close(sqlite3_file *f)
{
    return ((sync_file *)f)->real->pMethods->xClose(((sync_file *)f)->real);
}
static int sf_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xRead(r, b, n, o);
}
static int sf_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xWrite(r, b, n, o);
}
static int sf_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xTruncate(r, n);
}
static int sf_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    nsyncs++;
    return r->pMethods->xSync(r, flags);
}
static int sf_size(sqlite3_file *f, sqlite3_int64 *n)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xFileSize(r, n);
}
static int sf_lock(sqlite3_file *f, int l)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xLock(r, l);
}
static int sf_unlock(sqlite3_file *f, int l)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xUnlock(r, l);
}
static int sf_check(sqlite3_file *f, int *out)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xCheckReservedLock(r, out);
}
static int sf_fcntl(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xFileControl(r, op, arg);
}
static int sf_sector(sqlite3_file *f)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xSectorSize(r);
}
static int sf_dev(sqlite3_file *f)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xDeviceCharacteristics(r);
}
static int sf_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **p)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xShmMap(r, pg, sz, ext, p);
}
static int sf_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xShmLock(r, off, n, flags);
}
static void sf_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    r->pMethods->xShmBarrier(r);
}
static int sf_shm_unmap(sqlite3_file *f, int del)
{
    sqlite3_file *r = ((sync_file *)f)->real;
    return r->pMethods->xShmUnmap(r, del);
}

static int sv_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)v;
    sync_file *sf = (sync_file *)f;
    sf->real = (sqlite3_file *)(sf + 1);
    int rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out);
    sf->base.pMethods = rc == SQLITE_OK ? &sync_io : NULL;
    return rc;
}

static void sync_vfs_install(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    sync_vfs = *real_vfs;
    sync_vfs.zName = "levy-count-syncs";
    sync_vfs.szOsFile = (int)sizeof(sync_file) + real_vfs->szOsFile;
    sync_vfs.xOpen = sv_open;
    sync_io = (sqlite3_io_methods){
        3,           sf_close,       sf_read,      sf_write, sf_truncate, sf_sync, sf_size,
        sf_lock,     sf_unlock,      sf_check,     sf_fcntl, sf_sector,   sf_dev,  sf_shm_map,
        sf_shm_lock, sf_shm_barrier, sf_shm_unmap, NULL,     NULL};
    sqlite3_vfs_register(&sync_vfs, 1);
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static levy_store *open_store(void)
{
    snprintf(dir, sizeof dir, "/tmp/levy-genreg-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char path[128];
    snprintf(path, sizeof path, "%s/levy.db", dir);
    levy_store *st = NULL;
    levy_err e;
    if (levy_store_open(&st, path, 0, &e) != LEVY_OK) {
        fprintf(stderr, "open: %s\n", e.message);
        abort();
    }
    return st;
}

/* A generation as the host has it after a build: only what genreg reads. */
static void gen_of(levy_gen *g, uint64_t id, char tree_char)
{
    memset(g, 0, sizeof *g);
    g->id = id;
    memset(g->tree_hash, tree_char, 64);
    g->tree_hash[64] = 0;
    g->loaded_at_ms = 1000 * (int64_t)id;
}

/* seq of a generation of content tree_char loaded at start (reload 0) or by a reload */
static int64_t load(levy_store *st, char tree_char, int reload, const char *replica)
{
    levy_gen g;
    gen_of(&g, 1, tree_char);
    levy_err e;
    levy_err_clear(&e);
    if (levy_genreg_register(st, &g, NULL, reload, replica, &e) != LEVY_OK) {
        fprintf(stderr, "register: %s\n", e.message);
        return -1;
    }
    return g.seq;
}

static void t_hash(void)
{
    levy_gen a, b, c;
    gen_of(&a, 1, 'a');
    gen_of(&b, 7, 'a');
    gen_of(&c, 1, 'c');
    levy_genreg_hash(&a, NULL);
    levy_genreg_hash(&b, NULL);
    levy_genreg_hash(&c, NULL);
    CHECK_EQ_INT(strlen(a.content_hash), 64);
    /* the same files on another replica (another generation number): the same identity */
    CHECK_EQ_STR(a.content_hash, b.content_hash);
    CHECK(strcmp(a.content_hash, c.content_hash) != 0);
    CHECK(strcmp(a.content_hash, a.tree_hash) != 0);
end:;
}

static void t_order(void)
{
    levy_store *st = open_store();
    levy_err e;
    levy_gen live;
    int64_t now = 0;
    /* two replicas start on content A: one seq */
    CHECK_EQ_INT(load(st, 'a', 0, "r1"), 1);
    CHECK_EQ_INT(load(st, 'a', 0, "r2"), 1);
    /* r1 reloads onto B: newer; r1 is live serving it */
    gen_of(&live, 2, 'b');
    CHECK_EQ_INT(levy_genreg_register(st, &live, NULL, 1, "r1", &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 2);
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &live, now, now, &e), LEVY_OK);
    /* r2 restarted on the old files mid-rollout, r1 live on B: A keeps its seq, not newer */
    CHECK_EQ_INT(load(st, 'a', 0, "r2"), 1);
    /* r2 reloads onto B, the newest already: the same seq */
    CHECK_EQ_INT(load(st, 'b', 1, "r2"), 2);
    /* a rollback by reload (r1 back onto A) is the newest now; r2 following gets the same */
    CHECK_EQ_INT(load(st, 'a', 1, "r1"), 3);
    CHECK_EQ_INT(load(st, 'a', 1, "r2"), 3);
    /* r1 (still heartbeating B's old seq 2) re-reads B's seq: unchanged; A's row moved */
    CHECK_EQ_INT(levy_genreg_refresh(st, &live, &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 2);
    /* new content at a start: newest */
    CHECK_EQ_INT(load(st, 'z', 0, "r3"), 4);
    /* a downgrade by restart with no live replica on newer content (one process, SQLite):
     * the operator's choice is the newest */
    CHECK_EQ_INT(levy_genreg_forget(st, "r1", "n-r1", &e), LEVY_OK);
    CHECK_EQ_INT(load(st, 'b', 0, "r1"), 5);
    /* a replica serving B since before re-reads B's seq on its heartbeat */
    CHECK_EQ_INT(levy_genreg_refresh(st, &live, &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 5);
end:
    levy_store_close(st);
    rm_tmp();
}

static void t_heartbeat(void)
{
    levy_store *st = open_store();
    levy_genreg_replica *reps = NULL;
    int n = 0;
    levy_err e;
    levy_gen g1, g2;
    gen_of(&g1, 1, 'a');
    gen_of(&g2, 3, 'b');
    int64_t now = 1800000000000;
    CHECK_EQ_INT(levy_genreg_register(st, &g1, NULL, 0, "r1", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_register(st, &g2, NULL, 1, "r2", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &g1, now - 5000, now, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r2", "n-r2", &g2, now - 5000, now - 1000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r0", "n-r0", &g1, now - 90000, now - 60000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_live(st, now, &reps, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2); /* r0 last seen a minute ago: not live */
    CHECK_EQ_STR(reps[0].id, "r1");
    CHECK_EQ_STR(reps[0].hash, g1.content_hash);
    CHECK_EQ_INT(reps[0].seq, 1);
    CHECK_EQ_STR(reps[1].id, "r2");
    CHECK_EQ_INT(reps[1].generation, 3);
    CHECK_EQ_INT(reps[1].seq, 2);
    CHECK_EQ_INT(reps[1].last_seen_ms, now - 1000);
    free(reps);
    reps = NULL;
    /* a beat updates the row in place; a graceful stop removes it */
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &g2, now - 5000, now + 1000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_forget(st, "r2", "n-r2", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_live(st, now + 1000, &reps, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(reps[0].hash, g2.content_hash);
end:
    free(reps);
    levy_store_close(st);
    rm_tmp();
}

/* Issue 21 (B4, h-reload23): a reload's registration runs on the event loop, and on SQLite its
 * COMMIT no longer waits for the disk (a replayable transaction: one fdatasync of 0.3-40 ms
 * on a busy disk, every request on the loop stalled meanwhile). The row is committed and
 * readable; the next commit that waits (any, e.g. a calculation carrying the seq) syncs the
 * WAL and the row with it; the connection is back at synchronous=FULL. */
static void t_register_no_sync(void)
{
    sync_vfs_install();
    levy_store *st = open_store();
    levy_err e;
    levy_gen g;
    gen_of(&g, 2, 'n');
    int before = nsyncs;
    CHECK_EQ_INT(levy_genreg_register(st, &g, NULL, 1, "r1", &e), LEVY_OK);
    CHECK_EQ_INT(g.seq, 1);
    CHECK_EQ_INT(nsyncs - before, 0);
    /* known content, the newest: the same seq, read back from the committed row */
    CHECK_EQ_INT(load(st, 'n', 1, "r1"), 1);
    /* a commit that waits for the disk afterwards syncs (the registration's frames with it) */
    before = nsyncs;
    CHECK_EQ_INT(levy_store_begin(st, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(st, "CREATE TABLE t_after(x)", &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_commit(st, &e), LEVY_OK);
    CHECK(nsyncs - before >= 1);
end:
    levy_store_close(st);
    rm_tmp();
}

static const levy_test tests[] = {{"hash", t_hash},
                                  {"order", t_order},
                                  {"heartbeat", t_heartbeat},
                                  {"register_no_sync", t_register_no_sync},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
