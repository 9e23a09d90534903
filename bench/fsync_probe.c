/* fsync cost probe: (1) raw write(2 KB)+fdatasync on one file; (2) SQLite WAL +
 * synchronous=FULL, one 2 KB INSERT per BEGIN IMMEDIATE..COMMIT (perf-anchors §1.3 row).
 * Usage: fsync_probe DIR [N]  -> one line: "fdatasync_2k_p50_us=.. fdatasync_2k_p99_us=..
 * sqlite_wal_full_commits_s=.. sqlite_wal_full_p50_us=.. sqlite_wal_full_p99_us=..";
 * DIST=1 prints each latency distribution instead (p50 p90 p99 p99.9 max, µs), one line
 * each. Each run starts from a fresh DIR/fsync.db (a second run used to fail on the ids). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* t sorted, n > 0 */
static void dist(const char *what, const double *t, int n)
{
    printf("%s n=%d p50=%.0f p90=%.0f p99=%.0f p99.9=%.0f max=%.0f\n", what, n, t[n / 2],
           t[n * 90 / 100], t[n * 99 / 100], t[n * 999 / 1000], t[n - 1]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_probe DIR [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    int d = getenv("DIST") != NULL;
    if (n < 1)
        n = 1;
    double *t = calloc((size_t)n, sizeof *t);
    char path[4096], buf[2048];
    memset(buf, 'x', sizeof buf);
    snprintf(path, sizeof path, "%s/fsync.bin", argv[1]);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0 || !t) {
        perror("open");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        double s = now_us();
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fdatasync(fd) != 0) {
            perror("write");
            return 1;
        }
        t[i] = now_us() - s;
    }
    close(fd);
    qsort(t, (size_t)n, sizeof *t, cmp);
    if (d)
        dist("write_2k_fdatasync_us", t, n);
    else
        printf("fdatasync_2k_p50_us=%.0f fdatasync_2k_p99_us=%.0f ", t[n / 2], t[n * 99 / 100]);

    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/fsync.db%s", argv[1], sfx[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/fsync.db", argv[1]);
    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE IF NOT EXISTS ev(id TEXT UNIQUE, body BLOB);",
                 0, 0, 0);
    sqlite3_prepare_v2(db, "INSERT INTO ev(id, body) VALUES (?, ?)", -1, &ins, 0);
    double start = now_us();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "ev-%d", i);
        double s = now_us();
        sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(ins, 2, buf, sizeof buf, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "%s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(ins);
        sqlite3_exec(db, "COMMIT", 0, 0, 0);
        t[i] = now_us() - s;
    }
    double total = now_us() - start;
    qsort(t, (size_t)n, sizeof *t, cmp);
    if (d)
        dist("sqlite_wal_full_commit_us", t, n);
    printf(
        "sqlite_wal_full_commits_s=%.0f sqlite_wal_full_p50_us=%.0f sqlite_wal_full_p99_us=%.0f\n",
        n / (total / 1e6), t[n / 2], t[n * 99 / 100]);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(t);
    return 0;
}
