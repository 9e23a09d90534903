/* levy backup / levy restore: SQLite online backup API (see backup.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "file.h"
#include "crypto/crypto.h"
#include "host/backup.h"
#include "store/pq_dl.h"
#include "store/store.h"

#define BUSY_MS 10000
#define SEG_MAX 64 /* as levy.files (core/lua/bind_files.c): [A-Za-z0-9_-], 1..64 bytes */
#define FILES_TABLE "levy_backup_files"

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

/* A folder or file name levy.files can have written: [A-Za-z0-9_-], 1..SEG_MAX bytes (so a
 * temporary "<name>.tmp.<pid>" of an upload in progress is not one). */
static int seg_ok(const char *s, size_t n)
{
    if (n < 1 || n > SEG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* "dir/name" with both parts seg_ok: the only shape a backup's file path may have (a restore
 * never writes outside DATA_DIR/files/). */
static int rel_ok(const char *rel)
{
    const char *slash = strchr(rel, '/');
    return slash && seg_ok(rel, (size_t)(slash - rel)) && seg_ok(slash + 1, strlen(slash + 1));
}

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[2 * LEVY_SHA256_LEN + 1],
                      levy_err *err)
{
    uint8_t d[LEVY_SHA256_LEN];
    int rc = levy_crypto_sha256(data, len, d, err);
    if (rc == LEVY_OK)
        hex_of(d, sizeof d, out);
    return rc;
}

/* Reads path into the backup as rel (INSERT OR IGNORE: a name already in wins); 0 when the
 * file is gone. */
static int add_one(sqlite3 *dst, sqlite3_stmt *ins, const char *path, const char *rel, int *n,
                   levy_err *err)
{
    char *buf = NULL, hex[2 * LEVY_SHA256_LEN + 1];
    size_t len = 0;
    int rc = levy_file_read(path, 0, &buf, &len, err);
    if (rc == LEVY_ENOTFOUND) { /* removed since the listing: the .removed pass finds it */
        levy_err_clear(err);
        return LEVY_OK;
    }
    if (rc != LEVY_OK)
        return rc;
    if ((rc = sha256_hex(buf, len, hex, err)) == LEVY_OK) {
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, rel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)len);
        sqlite3_bind_text(ins, 3, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob64(ins, 4, buf, len, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = db_err(dst, SQLITE_ERROR, "insert " FILES_TABLE, err);
        else
            *n += sqlite3_changes(dst) > 0;
    }
    free(buf);
    return rc;
}

/* One walk of add_tree: the statement, the ctime bound, the count, the first failure (the
 * walk goes on but does nothing after it). */
typedef struct tree_walk {
    sqlite3 *dst;
    sqlite3_stmt *ins;
    time_t since;
    int *n, rc;
    levy_err *err;
    const char *dir; /* the <dir> of the folder being walked */
} tree_walk;

static uint64_t add_file_entry(void *ud, const char *path, const struct stat *sb)
{
    tree_walk *w = ud;
    const char *name = strrchr(path, '/') + 1;
    char rel[2 * (SEG_MAX + 1) + 2];
    if (w->rc != LEVY_OK || !seg_ok(name, strlen(name)) || !S_ISREG(sb->st_mode) ||
        (w->since && sb->st_ctime < w->since) ||
        snprintf(rel, sizeof rel, "%s/%s", w->dir, name) >= (int)sizeof rel)
        return 0;
    w->rc = add_one(w->dst, w->ins, path, rel, w->n, w->err);
    return 0;
}

static uint64_t add_folder_entry(void *ud, const char *folder, const struct stat *sb)
{
    tree_walk *w = ud;
    const char *name = strrchr(folder, '/') + 1;
    if (w->rc != LEVY_OK || !seg_ok(name, strlen(name)) || !S_ISDIR(sb->st_mode))
        return 0;
    w->dir = name;
    levy_dir_each(folder, 1, add_file_entry, w);
    if (errno != 0 && w->rc == LEVY_OK)
        w->rc = levy_err_set(w->err, LEVY_EIO, "io", "cannot read %s: %s", folder, strerror(errno));
    return 0;
}

/* Adds every file under folder top (top/<dir>/<name>, both names as levy.files writes them)
 * as <dir>/<name>; since > 0: only those whose ctime is at or after it (the .removed folder:
 * files removed since the backup began). A folder that cannot be read fails the backup; no
 * top folder is none to add. */
static int add_tree(sqlite3 *dst, sqlite3_stmt *ins, const char *top, time_t since, int *n,
                    levy_err *err)
{
    tree_walk w = {dst, ins, since, n, LEVY_OK, err, ""};
    levy_dir_each(top, 0, add_folder_entry, &w);
    if (errno != 0 && errno != ENOENT && w.rc == LEVY_OK)
        w.rc = levy_err_set(err, LEVY_EIO, "io", "cannot read %s: %s", top, strerror(errno));
    return w.rc;
}

/* Adds every file DATA_DIR/files/<dir>/<name> to the backup's FILES_TABLE with its size and
 * SHA-256, in one transaction, after the database copy: every file a copied row names was
 * durable before its row committed, so it is either still there or was removed since the
 * backup began (the row deleted first, then the file) and sits in files/.removed/ (levy.files
 * moves it there and keeps it a day), which is read next, for files whose removal (ctime) is
 * at or after `began` (a second early: ctime and time() round differently). A file written
 * or removed meanwhile whose row the copy does not hold is in too, and harmless (a file
 * without its row is never listed). */
static int add_files(sqlite3 *dst, const char *data_dir, time_t began, int *nfiles, levy_err *err)
{
    char top[PATH_MAX];
    snprintf(top, sizeof top, "%s/files", data_dir);
    int rc = LEVY_OK, n = 0;
    sqlite3_stmt *ins = NULL;
    if (sqlite3_exec(dst,
                     "CREATE TABLE " FILES_TABLE " (path TEXT PRIMARY KEY, size INTEGER NOT "
                     "NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL); BEGIN",
                     NULL, NULL, NULL) != SQLITE_OK)
        return db_err(dst, SQLITE_ERROR, "create " FILES_TABLE, err);
    if (sqlite3_prepare_v2(dst, "INSERT OR IGNORE INTO " FILES_TABLE " VALUES (?, ?, ?, ?)", -1,
                           &ins, NULL) != SQLITE_OK) {
        rc = db_err(dst, SQLITE_ERROR, "insert " FILES_TABLE, err);
        goto done;
    }
    if ((rc = add_tree(dst, ins, top, 0, &n, err)) == LEVY_OK) {
        char trash[PATH_MAX + 16];
        snprintf(trash, sizeof trash, "%s/" LEVY_FILES_REMOVED_DIR, top);
        rc = add_tree(dst, ins, trash, began > 1 ? began - 1 : 1, &n, err);
    }
done:
    sqlite3_finalize(ins);
    if (sqlite3_exec(dst, rc == LEVY_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK &&
        rc == LEVY_OK)
        rc = db_err(dst, SQLITE_ERROR, "commit " FILES_TABLE, err);
    if (nfiles)
        *nfiles = n;
    return rc;
}

int levy_backup_run(const char *data_dir, const char *file, int *pages, int *nfiles, levy_err *err)
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
    chmod(tmp, 0600);          /* the copy holds sealed secrets and customer data */
    time_t began = time(NULL); /* files removed from now on are taken from files/.removed */
    if ((rc = copy_db(dst, src, pages, err)) != LEVY_OK)
        goto done;
    /* the copied header says WAL; make the backup one self-contained file */
    char mode[32];
    if ((rc = pragma_text(dst, "PRAGMA journal_mode=DELETE", mode, sizeof mode, err)) != LEVY_OK)
        goto done;
    /* the files after the rows: every file a copied row names is then in the backup */
    if ((rc = add_files(dst, data_dir, began, nfiles, err)) != LEVY_OK)
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

/* Whether the backup carries FILES_TABLE (a backup older than it is a bare database). */
static int has_files_table(sqlite3 *src)
{
    sqlite3_stmt *st = NULL;
    int yes =
        sqlite3_prepare_v2(
            src, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '" FILES_TABLE "'",
            -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Checks every file of the backup before anything is written: a path of the shape levy.files
 * writes, the stored size and SHA-256 equal to the bytes. */
static int check_files(sqlite3 *src, const char *file, int *nfiles, levy_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = LEVY_OK, n = 0;
    if (sqlite3_prepare_v2(src, "SELECT path, size, sha256, data FROM " FILES_TABLE, -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(src, SQLITE_ERROR, file, err);
    int step;
    while (rc == LEVY_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *rel = (const char *)sqlite3_column_text(st, 0);
        const char *want = (const char *)sqlite3_column_text(st, 2);
        const void *data = sqlite3_column_blob(st, 3);
        size_t len = (size_t)sqlite3_column_bytes(st, 3);
        char hex[2 * LEVY_SHA256_LEN + 1];
        if (!rel || !rel_ok(rel))
            rc = levy_err_set(err, LEVY_EINVAL, "corrupt", "%s names a file outside files/: %.80s",
                              file, rel ? rel : "(null)");
        else if (sqlite3_column_int64(st, 1) != (sqlite3_int64)len)
            rc = levy_err_set(err, LEVY_EIO, "corrupt",
                              "%s: files/%s has %zu bytes, the backup recorded %lld", file, rel,
                              len, (long long)sqlite3_column_int64(st, 1));
        else if ((rc = sha256_hex(data ? data : "", len, hex, err)) == LEVY_OK &&
                 (!want || strcmp(want, hex) != 0))
            rc = levy_err_set(err, LEVY_EIO, "corrupt",
                              "%s: files/%s does not match its SHA-256 (the backup is damaged)",
                              file, rel);
        n++;
    }
    if (rc == LEVY_OK && step != SQLITE_DONE)
        rc = db_err(src, step, file, err);
    sqlite3_finalize(st);
    if (nfiles)
        *nfiles = n;
    return rc;
}

/* Puts every (checked) file of the backup back under DATA_DIR/files/, replacing one of the
 * same name. Files the data dir has and the backup does not stay (no row names them). */
static int restore_files(sqlite3 *src, const char *data_dir, levy_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = LEVY_OK, step;
    char top[PATH_MAX];
    snprintf(top, sizeof top, "%s/files", data_dir);
    if (sqlite3_prepare_v2(src, "SELECT path, data FROM " FILES_TABLE " ORDER BY path", -1, &st,
                           NULL) != SQLITE_OK)
        return db_err(src, SQLITE_ERROR, "read " FILES_TABLE, err);
    while (rc == LEVY_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *rel = (const char *)sqlite3_column_text(st, 0);
        const void *data = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        char folder[PATH_MAX], path[PATH_MAX];
        const char *slash = NULL;
        if (!rel || !(slash = strchr(rel, '/')) ||
            snprintf(folder, sizeof folder, "%s/%.*s", top, (int)(slash - rel), rel) >=
                (int)sizeof folder ||
            snprintf(path, sizeof path, "%s/%s", top, rel) >= (int)sizeof path) {
            rc = levy_err_set(err, LEVY_EINVAL, "path", "data dir path too long");
            break;
        }
        if (levy_mkdir_p(folder, 0700) != 0) {
            rc = levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", folder, strerror(errno));
            break;
        }
        if ((rc = levy_file_write(path, NULL, data ? data : "", len, 0600, err)) != LEVY_OK)
            break;
        fsync_path(folder, 1);
    }
    if (rc == LEVY_OK && step != SQLITE_DONE)
        rc = db_err(src, step, "read " FILES_TABLE, err);
    sqlite3_finalize(st);
    fsync_path(top, 1);
    return rc;
}

int levy_backup_restore(const char *data_dir, const char *file, int force, int *pages, int *nfiles,
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
    int files = has_files_table(src);
    if (nfiles)
        *nfiles = 0;
    if (files && (rc = check_files(src, file, nfiles, err)) != LEVY_OK)
        goto done;
    if (stat(dst_path, &sb) == 0 && !force) {
        rc = levy_err_set(err, LEVY_ECONFLICT, "exists",
                          "%s already exists; "
                          "pass --force to replace it",
                          dst_path);
        goto done;
    }
    if (levy_mkdir_p(data_dir, 0700) != 0) {
        rc = levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", data_dir, strerror(errno));
        goto done;
    }
    /* the files before the rows: a row restored is never without its file (a file without its
     * row, if the database copy fails, is harmless) */
    if (files && (rc = restore_files(src, data_dir, err)) != LEVY_OK)
        goto done;
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
    /* the files are back in DATA_DIR/files/: the store does not keep the backup's copy */
    if (files && sqlite3_exec(dst, "DROP TABLE " FILES_TABLE, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(dst, SQLITE_ERROR, "drop " FILES_TABLE, err);
        goto done;
    }
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

/* s in single quotes for a POSIX shell (' as '\\''). */
static void shell_quote(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (cap < 3) {
        out[0] = 0;
        return;
    }
    out[o++] = '\'';
    for (; *s && o + 6 < cap; s++) {
        if (*s == '\'') {
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else
            out[o++] = *s;
    }
    out[o++] = '\'';
    out[o] = 0;
}

int levy_backup_pg_refusal(const char *cmd, const char *url, const char *file)
{
    char ci[2048], qci[4200], qfile[2 * PATH_MAX + 8];
    char *shown = NULL;
    int restore = strcmp(cmd, "restore") == 0;
    levy_err lerr = {0};
    if (levy_pq_load(&lerr) != LEVY_OK) { /* the connection parameters are libpq's reading */
        fprintf(stderr, "levy %s: %s\n", cmd, lerr.message);
        return 1;
    }
    if (levy_store_pg_conninfo(url, ci, sizeof ci) != LEVY_OK) {
        fprintf(stderr,
                "levy %s: the store is PostgreSQL (LEVY_DATABASE_URL / --database), and levy %s "
                "copies the SQLite store DATA_DIR/levy.db only; the URL does not parse as a "
                "libpq connection URL, so use PostgreSQL's own %s with your database's "
                "connection parameters (docs/operations.md, \"Backup and restore on "
                "PostgreSQL\")\n",
                cmd, cmd, restore ? "pg_restore" : "pg_dump");
        return 1;
    }
    shell_quote(ci, qci, sizeof qci);
    shell_quote(file && *file ? file : (restore ? "levy.dump" : "levy.dump"), qfile, sizeof qfile);
    shown = levy_store_redact_url(url);
    if (!restore)
        fprintf(stderr,
                "levy backup: the store is PostgreSQL (%s), and levy backup copies the SQLite "
                "store DATA_DIR/levy.db only. Back up with PostgreSQL's own tool: one consistent "
                "snapshot of every table, the certificates' files (table files) included, while "
                "the replicas keep serving:\n\n"
                "  pg_dump --format=custom --file=%s --dbname=%s\n\n"
                "The password comes from PGPASSWORD or ~/.pgpass (never from this command). Keep "
                "the master key (DATA_DIR/master.key or LEVY_MASTER_KEY) apart from the dump: it "
                "holds secrets sealed with that key. Restore with pg_restore (levy restore "
                "prints the command; docs/operations.md, \"Backup and restore on "
                "PostgreSQL\")\n",
                shown ? shown : "postgres://…", qfile, qci);
    else
        fprintf(stderr,
                "levy restore: the store is PostgreSQL (%s), and levy restore writes the SQLite "
                "store DATA_DIR/levy.db only. Restore a pg_dump backup with PostgreSQL's own "
                "tool, with every levy replica stopped first (it replaces levy's tables):\n\n"
                "  pg_restore --clean --if-exists --single-transaction --no-owner --dbname=%s "
                "%s\n\n"
                "The password comes from PGPASSWORD or ~/.pgpass (never from this command). Start "
                "the replicas with the master key the dump was sealed with (their start-up check "
                "compares its fingerprint; docs/operations.md, \"Backup and restore on "
                "PostgreSQL\")\n",
                shown ? shown : "postgres://…", qci, qfile);
    free(shown);
    return 1;
}
