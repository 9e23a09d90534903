/* The store's integrity check at start (issue 20): PRAGMA quick_check reads every page of
 * levy.db, so a start waited for it in proportion to the store: 2-4 s at 100,000 documents
 * (1 GB), 77-100 s at 1M (10 GB) before levy answered anything (bench/README.md "Drill-down,
 * lists, connections and start at 100k and 1M"). A store up to LEVY_STORE_CHECK_START_MB
 * (default 256) is still checked whole before levy serves, and refused when damaged (exit 1,
 * docs/operations.md "Start-up checks"); a larger one is checked by a thread of its own, on a
 * read-only connection of its own, while levy serves: damage found there is logged with the
 * same words and marks the store corrupt (GET /healthz 503 "store":"corrupt", until a
 * restart), as a damaged page a request meets does. So a start reads at most that many MB
 * for the check, whatever the store's size. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <sqlite3.h>
#include "hlog.h"
#include "host/host.h"
#include "store/store.h"

#define CHECK_START_MB_DEFAULT 256

static struct {
    levy_host *h;
    pthread_t th;
    int running; /* the thread was started (joined on stop) */
    int pipe[2];
    struct event *ev;
    char path[4096];
    char data_dir[4096];
    levy_store *st;       /* the thread's own connection */
    _Atomic int stopping; /* levy stops: the thread's check is interrupted */
    _Atomic int done;     /* the thread has finished its check */
    pthread_mutex_t mu;   /* guards st against the interrupt */
    int rc;
    char detail[600];
    int64_t started_ms, took_ms; /* took_ms: the check's own time, set by the thread */
    long long mb;
} chk = {.pipe = {-1, -1}, .mu = PTHREAD_MUTEX_INITIALIZER};

/* LEVY_STORE_CHECK_START_MB: 0..1048576; -1 when malformed */
static long start_limit_mb(void)
{
    const char *v = getenv("LEVY_STORE_CHECK_START_MB");
    if (!v || !*v)
        return CHECK_START_MB_DEFAULT;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !end || *end || n < 0 || n > 1048576)
        return -1;
    return n;
}

static void *check_main(void *arg)
{
    (void)arg;
    levy_err e;
    levy_err_clear(&e);
    levy_store *st = NULL;
    int rc = levy_store_connect(&st, chk.path, LEVY_STORE_READONLY, &e);
    if (rc == LEVY_OK) {
        pthread_mutex_lock(&chk.mu);
        chk.st = st;
        pthread_mutex_unlock(&chk.mu);
        if (!atomic_load(&chk.stopping))
            rc = levy_store_quick_check(st, chk.detail, sizeof chk.detail, &e);
        pthread_mutex_lock(&chk.mu);
        chk.st = NULL;
        pthread_mutex_unlock(&chk.mu);
        levy_store_close(st);
    } else {
        snprintf(chk.detail, sizeof chk.detail, "%s", e.message);
    }
    if (rc != LEVY_OK && rc != LEVY_EIO && !chk.detail[0])
        snprintf(chk.detail, sizeof chk.detail, "%s", e.message);
    chk.rc = rc;
    chk.took_ms = levy_store_mono_ms() - chk.started_ms;
    atomic_store(&chk.done, 1);
    char b = 1;
    ssize_t n = write(chk.pipe[1], &b, 1);
    (void)n;
    return NULL;
}

/* The thread's outcome, on the loop. */
static void on_check_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    char b;
    ssize_t n = read(fd, &b, 1);
    (void)n;
    int64_t took = chk.took_ms;
    if (atomic_load(&chk.stopping))
        return;
    if (chk.rc == LEVY_OK) {
        hlog(HLOG_INFO,
             "store: %s is intact (PRAGMA quick_check of %lld MB, %lld ms, while serving)",
             chk.path, chk.mb, (long long)took);
    } else if (chk.rc == LEVY_EIO) {
        hlog(HLOG_ERROR,
             "store: the store %s is damaged (PRAGMA quick_check: %s); levy keeps serving what it "
             "can read and reports the store corrupt (/healthz). Stop levy and anything else "
             "using it, then restore the last good backup: levy restore FILE --data-dir %s "
             "--force (docs/operations.md, start-up checks)",
             chk.path, chk.detail, chk.data_dir);
        levy_store_note_failure(chk.h->store, LEVY_STORE_STATE_CORRUPT, chk.detail);
    } else {
        /* busy or cannot open: not a finding about the pages; said, not counted as damage */
        hlog(HLOG_WARN, "store: the check of %s while serving did not finish: %s", chk.path,
             chk.detail);
    }
}

/* the store's size in bytes when it is over the limit (to be checked while serving), else 0;
 * -1 for a malformed limit */
static long long over_limit(levy_host *h, const char *dbpath, long *limit)
{
    *limit = start_limit_mb();
    if (*limit < 0) {
        fprintf(stderr, "levy: LEVY_STORE_CHECK_START_MB must be an integer 0..1048576 (MB)\n");
        return -1;
    }
    if (levy_store_engine(h->store) != LEVY_STORE_SQLITE)
        return 0; /* the server checks its own pages */
    struct stat sb;
    long long bytes = stat(dbpath, &sb) == 0 ? (long long)sb.st_size : 0;
    return bytes > (long long)*limit * 1024 * 1024 ? bytes : 0;
}

int levy_storecheck_plan(levy_host *h, const char *dbpath, int *deferred)
{
    long limit;
    long long bytes = over_limit(h, dbpath, &limit);
    *deferred = bytes > 0;
    return bytes < 0 ? -1 : 0;
}

int levy_storecheck_at_start(levy_host *h, const char *dbpath, int *deferred)
{
    *deferred = 0;
    long limit;
    long long bytes = over_limit(h, dbpath, &limit);
    if (bytes < 0)
        return -1;
    if (bytes == 0)
        return 0; /* checked whole before levy serves (the caller) */
    snprintf(chk.path, sizeof chk.path, "%s", dbpath);
    snprintf(chk.data_dir, sizeof chk.data_dir, "%s", h->cfg->data_dir);
    chk.h = h;
    chk.mb = bytes >> 20;
    chk.detail[0] = 0;
    chk.rc = LEVY_OK;
    atomic_store(&chk.stopping, 0);
    atomic_store(&chk.done, 0);
    /* a thread that cannot start: the caller checks it whole, as a small store */
    if (pipe(chk.pipe) != 0)
        return 0;
    chk.ev = event_new(h->base, chk.pipe[0], EV_READ, on_check_done, NULL);
    chk.started_ms = levy_store_mono_ms();
    if (!chk.ev || event_add(chk.ev, NULL) != 0 ||
        pthread_create(&chk.th, NULL, check_main, NULL) != 0) {
        if (chk.ev)
            event_free(chk.ev);
        chk.ev = NULL;
        close(chk.pipe[0]);
        close(chk.pipe[1]);
        chk.pipe[0] = chk.pipe[1] = -1;
        return 0;
    }
    chk.running = 1;
    *deferred = 1;
    hlog(HLOG_INFO,
         "store: %s is %lld MB, over LEVY_STORE_CHECK_START_MB (%ld): PRAGMA quick_check runs "
         "while levy serves",
         dbpath, chk.mb, limit);
    return 0;
}

void levy_storecheck_stop(void)
{
    if (!chk.running)
        return;
    atomic_store(&chk.stopping, 1);
    /* again until the thread ends: an interrupt before its statement started is not kept */
    while (!atomic_load(&chk.done)) {
        pthread_mutex_lock(&chk.mu);
        if (chk.st && levy_store_db(chk.st))
            sqlite3_interrupt(levy_store_db(chk.st));
        pthread_mutex_unlock(&chk.mu);
        usleep(20000);
    }
    pthread_join(chk.th, NULL);
    chk.running = 0;
    if (chk.ev)
        event_free(chk.ev);
    chk.ev = NULL;
    for (int i = 0; i < 2; i++) {
        if (chk.pipe[i] >= 0)
            close(chk.pipe[i]);
        chk.pipe[i] = -1;
    }
}
