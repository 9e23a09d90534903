/* levy backup / levy restore: SQLite online backup API (see backup.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "host/backup.h"

#define BUSY_MS 10000

static int db_err(sqlite3 *db, int rc, const char *what, levy_err *err)
{
    return levy_err_set(err, LEVY_EIO, "io", "%s: %s", what,
                        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Runs a one-row text pragma and copies its first column into out. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t cap, levy_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", v ? (const char *)v : "");
        rc = SQLITE_OK;
    }
    int ret = rc == SQLITE_OK ? LEVY_OK : db_err(db, rc, sql, err);
    sqlite3_finalize(st);
    return ret;
}

static int integrity_ok(sqlite3 *db, const char *what, levy_err *err)
{
    char res[512];
    int rc = pragma_text(db, "PRAGMA integrity_check", res, sizeof res, err);
    if (rc)
        return rc;
    if (strcmp(res, "ok") != 0)
        return levy_err_set(err, LEVY_EIO, "corrupt", "%s fails integrity_check: %s", what, res);
    return LEVY_OK;
}

/* Copies every page of src into dst (both open). One step(-1) = one read transaction on src:
 * a consistent snapshot. Retries while a lock is held. */
static int copy_db(sqlite3 *dst, sqlite3 *src, int *pages, levy_err *err)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return db_err(dst, SQLITE_ERROR, "backup init", err);
    int rc, tries = 0;
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            sqlite3_sleep(50);
            tries++;
        }
    } while ((rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < BUSY_MS / 50);
    if (pages)
        *pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return levy_err_set(err, LEVY_EIO, "io", "backup step: %s", sqlite3_errstr(rc));
    return LEVY_OK;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *s = strrchr(out, '/');
    if (!s)
        snprintf(out, cap, ".");
    else if (s == out)
        out[1] = '\0';
    else
        *s = '\0';
}

int levy_backup_run(const char *data_dir, const char *file, int *pages, levy_err *err)
{
    char src_path[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
    sqlite3 *src = NULL, *dst = NULL;
    int rc = LEVY_OK;
    snprintf(src_path, sizeof src_path, "%s/levy.db", data_dir);
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", file, (long)getpid()) >= (int)sizeof tmp)
        return levy_err_set(err, LEVY_EINVAL, "path", "backup path too long");
    struct stat sb;
    if (stat(src_path, &sb) != 0)
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no database at %s", src_path);
    /* read-write open without CREATE: a WAL reader may need to write the -shm index */
    int src_rc = sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READWRITE, NULL);
    if (src_rc != SQLITE_OK) {
        rc = db_err(src, src_rc, src_path, err);
        goto done;
    }
    sqlite3_busy_timeout(src, BUSY_MS);
    unlink(tmp);
    int dst_rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (dst_rc != SQLITE_OK) {
        rc = db_err(dst, dst_rc, tmp, err);
        goto done;
    }
    sqlite3_busy_timeout(dst, BUSY_MS);
    chmod(tmp, 0600); /* the copy holds sealed secrets and customer data */
    if ((rc = copy_db(dst, src, pages, err)) != LEVY_OK)
        goto done;
    /* the copied header says WAL; make the backup one self-contained file */
    char mode[32];
    if ((rc = pragma_text(dst, "PRAGMA journal_mode=DELETE", mode, sizeof mode, err)) != LEVY_OK)
        goto done;
    if ((rc = integrity_ok(dst, "the backup", err)) != LEVY_OK)
        goto done;
    sqlite3_close(dst);
    dst = NULL;
    if (fsync_path(tmp, 0) != 0 || rename(tmp, file) != 0) {
        rc = levy_err_set(err, LEVY_EIO, "io", "cannot write %s: %s", file, strerror(errno));
        goto done;
    }
    dir_of(file, dir, sizeof dir);
    fsync_path(dir, 1);
done:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (rc != LEVY_OK)
        unlink(tmp);
    return rc;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int levy_backup_restore(const char *data_dir, const char *file, int force, int *pages,
                        levy_err *err)
{
    char dst_path[PATH_MAX];
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_stmt *st = NULL;
    int rc = LEVY_OK;
    if (snprintf(dst_path, sizeof dst_path, "%s/levy.db", data_dir) >= (int)sizeof dst_path)
        return levy_err_set(err, LEVY_EINVAL, "path", "data dir path too long");
    struct stat sb;
    if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode))
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no backup file %s", file);
    int src_rc = sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL);
    if (src_rc != SQLITE_OK) {
        rc = db_err(src, src_rc, file, err);
        goto done;
    }
    if ((rc = integrity_ok(src, file, err)) != LEVY_OK)
        goto done;
    /* a levy database has its migration ledger */
    if (sqlite3_prepare_v2(src, "SELECT count(*) FROM schema_migrations", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) < 1) {
        rc = levy_err_set(err, LEVY_EINVAL, "not_levy",
                          "%s is not a levy database "
                          "(no schema_migrations rows)",
                          file);
        goto done;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (stat(dst_path, &sb) == 0 && !force) {
        rc = levy_err_set(err, LEVY_ECONFLICT, "exists",
                          "%s already exists; "
                          "pass --force to replace it",
                          dst_path);
        goto done;
    }
    if (mkdir_p(data_dir, 0700) != 0) {
        rc = levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", data_dir, strerror(errno));
        goto done;
    }
    int dst_rc = sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (dst_rc != SQLITE_OK) {
        rc = db_err(dst, dst_rc, dst_path, err);
        goto done;
    }
    chmod(dst_path, 0600);
    sqlite3_busy_timeout(dst, BUSY_MS);
    if ((rc = copy_db(dst, src, pages, err)) != LEVY_OK)
        goto done;
    char mode[32];
    if ((rc = pragma_text(dst, "PRAGMA journal_mode=WAL", mode, sizeof mode, err)) != LEVY_OK)
        goto done;
    if ((rc = integrity_ok(dst, dst_path, err)) != LEVY_OK)
        goto done;
    sqlite3_close(dst);
    dst = NULL;
    fsync_path(dst_path, 0);
    fsync_path(data_dir, 1);
done:
    sqlite3_finalize(st);
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
}
