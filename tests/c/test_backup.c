/* levy backup / restore (core/host/backup.c): a consistent snapshot while another connection
 * holds an open write transaction, restore into a new dir, --force, bad inputs. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "host/backup.h"
#include "store/store.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof dir, "/tmp/levy-backup-XXXXXX");
    if (!mkdtemp(dir))
        abort();
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static long long one_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void t_backup_restore(void)
{
    mkdir_tmp();
    char data[128], db[160], bak[160], bak2[160], rdir[160], rdb[192];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(db, sizeof db, "%s/levy.db", data);
    snprintf(bak, sizeof bak, "%s/b.db", dir);
    snprintf(bak2, sizeof bak2, "%s/b2.db", dir);
    snprintf(rdir, sizeof rdir, "%s/restored/deep", dir);
    snprintf(rdb, sizeof rdb, "%s/levy.db", rdir);
    mkdir(data, 0700);
    levy_store *st = NULL, *writer = NULL;
    levy_err e;
    int pages = 0;
    CHECK_EQ_INT(levy_store_open(&st, db, 0, &e), LEVY_OK);
    CHECK_EQ_INT(
        levy_store_exec(st, "INSERT INTO meta(key, value) VALUES ('a', '1'), ('b', '2')", &e),
        LEVY_OK);
    /* a second connection holds an uncommitted write while the backup runs */
    CHECK_EQ_INT(levy_store_open(&writer, db, 0, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_begin(writer, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_exec(writer, "INSERT INTO meta(key, value) VALUES ('c', '3')", &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_backup_run(data, bak, &pages, NULL, &e), LEVY_OK);
    CHECK(pages > 0);
    CHECK_EQ_INT(levy_store_commit(writer, &e), LEVY_OK);
    CHECK_EQ_INT(one_int(bak, "SELECT count(*) FROM meta"), 2); /* the snapshot, not 'c' */
    CHECK_EQ_INT(one_int(bak, "SELECT count(*) FROM schema_migrations"),
                 one_int(db, "SELECT count(*) FROM schema_migrations")); /* every migration */
    struct stat sb;
    CHECK(stat(bak, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    char wal[192];
    snprintf(wal, sizeof wal, "%s-wal", bak);
    CHECK(access(wal, F_OK) != 0);
    CHECK_EQ_INT(levy_backup_run(data, bak2, NULL, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(one_int(bak2, "SELECT count(*) FROM meta"), 3);
    /* restore creates the dir, WAL mode */
    CHECK_EQ_INT(levy_backup_restore(rdir, bak, 0, &pages, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(one_int(rdb, "SELECT count(*) FROM meta"), 2);
    CHECK(stat(rdir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    {
        levy_store *r = NULL;
        CHECK_EQ_INT(levy_store_open(&r, rdb, 0, &e), LEVY_OK);
        sqlite3_stmt *s = NULL;
        int ok = sqlite3_prepare_v2(levy_store_db(r), "PRAGMA journal_mode", -1, &s, NULL) ==
                     SQLITE_OK &&
                 sqlite3_step(s) == SQLITE_ROW &&
                 strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
        sqlite3_finalize(s);
        levy_store_close(r);
        CHECK(ok);
    }
    /* refuse to replace unless forced */
    CHECK_EQ_INT(levy_backup_restore(rdir, bak2, 0, NULL, NULL, &e), LEVY_ECONFLICT);
    CHECK_EQ_INT(one_int(rdb, "SELECT count(*) FROM meta"), 2);
    CHECK_EQ_INT(levy_backup_restore(rdir, bak2, 1, NULL, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(one_int(rdb, "SELECT count(*) FROM meta"), 3);
end:
    levy_store_close(writer);
    levy_store_close(st);
    rm_tmp();
}

static void t_bad_inputs(void)
{
    mkdir_tmp();
    char p[160], nd[160];
    levy_err e;
    snprintf(nd, sizeof nd, "%s/new", dir);
    snprintf(p, sizeof p, "%s/missing.db", dir);
    CHECK_EQ_INT(levy_backup_restore(nd, p, 0, NULL, NULL, &e), LEVY_ENOTFOUND);
    CHECK_EQ_INT(levy_backup_run(nd, p, NULL, NULL, &e), LEVY_ENOTFOUND);
    snprintf(p, sizeof p, "%s/garbage.db", dir);
    FILE *f = fopen(p, "w");
    CHECK(f);
    for (int i = 0; i < 4096; i++)
        fputc(i * 7 & 0xff, f);
    fclose(f);
    CHECK(levy_backup_restore(nd, p, 0, NULL, NULL, &e) != LEVY_OK);
    snprintf(p, sizeof p, "%s/other.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    int rc = sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_EQ_INT(rc, SQLITE_OK);
    CHECK_EQ_INT(levy_backup_restore(nd, p, 0, NULL, NULL, &e), LEVY_EINVAL);
    CHECK(access(nd, F_OK) != 0); /* nothing created on refusal */
end:
    rm_tmp();
}

static void put(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

static int same(const char *path, const char *data, size_t len)
{
    char buf[256];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == len && memcmp(buf, data, len) == 0;
}

static int exec_on(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, NULL) : -1;
    sqlite3_close(db);
    return rc;
}

/* The files under DATA_DIR/files/ travel with the database: in the backup with their size and
 * SHA-256, back in place on restore; a temporary file of an upload in progress is not taken; a
 * damaged or path-escaping backup is refused before anything is written; a bare database (the
 * old format) restores with 0 files. */
static void t_files(void)
{
    mkdir_tmp();
    char data[128], db[160], f1[192], f2[192], tmpf[192], bak[160], rdir[160], rf[224];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(db, sizeof db, "%s/levy.db", data);
    snprintf(bak, sizeof bak, "%s/b.db", dir);
    snprintf(rdir, sizeof rdir, "%s/r", dir);
    mkdir(data, 0700);
    levy_store *st = NULL;
    levy_err e;
    int nfiles = -1;
    CHECK_EQ_INT(levy_store_open(&st, db, 0, &e), LEVY_OK);
    levy_store_close(st);
    char files[160], certs[176];
    snprintf(files, sizeof files, "%s/files", data);
    snprintf(certs, sizeof certs, "%s/certificates", files);
    mkdir(files, 0700);
    mkdir(certs, 0700);
    snprintf(f1, sizeof f1, "%s/cert-1", certs);
    snprintf(f2, sizeof f2, "%s/cert-2", certs);
    snprintf(tmpf, sizeof tmpf, "%s/cert-3.tmp.99", certs);
    static const char a[] = "%PDF-1.4 one\0with a NUL", b[] = "";
    put(f1, a, sizeof a);
    put(f2, b, 0);
    put(tmpf, "partial", 7);
    CHECK_EQ_INT(levy_backup_run(data, bak, NULL, &nfiles, &e), LEVY_OK);
    CHECK_EQ_INT(nfiles, 2);
    CHECK_EQ_INT(one_int(bak, "SELECT count(*) FROM levy_backup_files WHERE path IN "
                              "('certificates/cert-1', 'certificates/cert-2')"),
                 2);
    CHECK_EQ_INT(one_int(bak, "SELECT size FROM levy_backup_files WHERE path = "
                              "'certificates/cert-1'"),
                 (long long)sizeof a);
    /* restore: both files back, byte for byte; the table not kept in levy.db */
    CHECK_EQ_INT(levy_backup_restore(rdir, bak, 0, NULL, &nfiles, &e), LEVY_OK);
    CHECK_EQ_INT(nfiles, 2);
    snprintf(rf, sizeof rf, "%s/files/certificates/cert-1", rdir);
    CHECK(same(rf, a, sizeof a));
    snprintf(rf, sizeof rf, "%s/files/certificates/cert-2", rdir);
    CHECK(same(rf, b, 0));
    snprintf(rf, sizeof rf, "%s/files/certificates/cert-3.tmp.99", rdir);
    CHECK(access(rf, F_OK) != 0);
    snprintf(rf, sizeof rf, "%s/levy.db", rdir);
    CHECK_EQ_INT(one_int(rf, "SELECT count(*) FROM sqlite_schema WHERE name = "
                             "'levy_backup_files'"),
                 0);
    /* damaged bytes (same size): refused, nothing written */
    char bad[176], nd[176];
    snprintf(bad, sizeof bad, "%s/bad.db", dir);
    snprintf(nd, sizeof nd, "%s/nd", dir);
    CHECK_EQ_INT(levy_backup_run(data, bad, NULL, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(exec_on(bad, "UPDATE levy_backup_files SET data = zeroblob(size) WHERE size > 0"),
                 SQLITE_OK);
    CHECK_EQ_INT(levy_backup_restore(nd, bad, 0, NULL, NULL, &e), LEVY_EIO);
    CHECK(strstr(e.message, "SHA-256") != NULL);
    CHECK(access(nd, F_OK) != 0);
    /* a path outside files/: refused */
    CHECK_EQ_INT(levy_backup_run(data, bad, NULL, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(exec_on(bad, "UPDATE levy_backup_files SET path = '../x' WHERE size = 0"),
                 SQLITE_OK);
    CHECK_EQ_INT(levy_backup_restore(nd, bad, 0, NULL, NULL, &e), LEVY_EINVAL);
    CHECK(access(nd, F_OK) != 0);
    /* the old format: a bare database */
    CHECK_EQ_INT(levy_backup_run(data, bad, NULL, NULL, &e), LEVY_OK);
    CHECK_EQ_INT(exec_on(bad, "DROP TABLE levy_backup_files"), SQLITE_OK);
    CHECK_EQ_INT(levy_backup_restore(nd, bad, 0, NULL, &nfiles, &e), LEVY_OK);
    CHECK_EQ_INT(nfiles, 0);
end:
    rm_tmp();
}

static const levy_test tests[] = {{"backup_restore", t_backup_restore},
                                  {"bad_inputs", t_bad_inputs},
                                  {"files", t_files},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
