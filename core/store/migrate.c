/* Numbered SQL migrations for the core (embedded) and for plugins (a directory).
 * See store.h for the rules. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "crypto/crypto.h"
#include "file.h"
#include "embedded.h"
#include "store.h"

#define CORE_PREFIX "core/store/migrations/"
#define PG_DIR "postgres" /* the PostgreSQL files of a migrations directory */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " plugin TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (plugin, version))";

static levy_migration_observer observer;
static void *observer_ud;

void levy_store_set_migration_observer(levy_migration_observer fn, void *ud)
{
    observer = fn;
    observer_ud = ud;
}

/* the tables that grow with the store: a migration naming one may take minutes at 1M rows */
int levy_migration_is_heavy(const char *sql, size_t len)
{
    static const char *const big[] = {"invoices", "credit_memos", "calculations"};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        size_t bl = strlen(big[k]);
        for (size_t i = 0; i + bl <= len; i++) {
            if (memcmp(sql + i, big[k], bl) != 0)
                continue;
            /* a whole word: not rillet_calc_heads' "calculation_id" nor "old_invoices_x" */
            char before = i ? sql[i - 1] : ' ', after = i + bl < len ? sql[i + bl] : ' ';
            int word = !(before == '_' || (before >= 'a' && before <= 'z')) &&
                       !(after == '_' || (after >= 'a' && after <= 'z'));
            if (word)
                return 1;
        }
    }
    return 0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* NNNN_name.sql → version (>0), or -1 when the name does not follow the pattern. */
static long migration_version(const char *name)
{
    size_t n = strlen(name), d = 0;
    while (name[d] >= '0' && name[d] <= '9')
        d++;
    if (d < 4 || d > 9 || name[d] != '_' || n < d + 5 || strcmp(name + n - 4, ".sql") != 0)
        return -1;
    return strtol(name, NULL, 10);
}

typedef struct mfile {
    const levy_migration_file *f;
    long version;
} mfile;

static int cmp_mfile(const void *a, const void *b)
{
    long x = ((const mfile *)a)->version, y = ((const mfile *)b)->version;
    return x < y ? -1 : x > y;
}

static void sha_hex(const char *data, size_t len, char out[65])
{
    uint8_t d[LEVY_SHA256_LEN];
    if (levy_crypto_sha256(data, len, d, NULL) != LEVY_OK)
        memset(d, 0, sizeof d);
    levy_crypto_hex(d, sizeof d, out);
}

int levy_store_schema_version(levy_store *st, const char *plugin, int *version, levy_err *err)
{
    levy_stmt *s = NULL;
    int rc = levy_store_exec(st, schema_sql, err);
    if (rc)
        return rc;
    if ((rc = levy_store_prepare(
             st, "SELECT coalesce(max(version),0) FROM schema_migrations WHERE plugin=?", &s, NULL,
             err)) != LEVY_OK)
        return rc;
    levy_stmt_bind_text(s, 1, plugin, -1);
    rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW) {
        *version = (int)levy_stmt_column_int64(s, 0);
        rc = LEVY_OK;
    }
    levy_stmt_finalize(s);
    return rc;
}

/* Applies files, or with pending != NULL only checks them (no lock, no write: a read-only
 * connection will do) and sets *pending to the number not yet applied. */
static int migrate_files(levy_store *st, const char *plugin, const levy_migration_file *files,
                         size_t n, int *pending, levy_err *err)
{
    levy_stmt *sel = NULL, *ins = NULL;
    mfile *ms = NULL;
    int rc, src;
    if (levy_store_depth(st) != 0)
        return levy_err_set(err, LEVY_EINVAL, "migration_failed",
                            "migrations cannot run inside a transaction");
    /* two processes starting on one PostgreSQL database: one migrates, the other waits */
    if (!pending && (rc = levy_store_lock_migrations(st, 1, err)) != LEVY_OK)
        return rc;
    if (!pending && (rc = levy_store_exec(st, schema_sql, err)) != LEVY_OK)
        goto done;
    ms = calloc(n ? n : 1, sizeof *ms);
    if (!ms) {
        rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ms[i].f = &files[i];
        ms[i].version = migration_version(files[i].name);
        if (ms[i].version <= 0) {
            rc = levy_err_set(err, LEVY_EINVAL, "migration_name",
                              "%s: %s: migration files are named NNNN_name.sql", plugin,
                              files[i].name);
            goto done;
        }
    }
    qsort(ms, n, sizeof *ms, cmp_mfile);
    for (size_t i = 0; i < n; i++)
        if (ms[i].version != (long)i + 1) {
            rc = levy_err_set(err, LEVY_EINVAL, "migration_gap",
                              "%s: %s: expected migration number %zu (numbers start at 1, no "
                              "gaps or duplicates)",
                              plugin, ms[i].f->name, i + 1);
            goto done;
        }
    /* Every applied version must still exist unchanged. */
    if ((rc = levy_store_prepare(st,
                                 "SELECT version, name, sha256 FROM schema_migrations "
                                 "WHERE plugin=? ORDER BY version",
                                 &sel, NULL, err)) != LEVY_OK)
        goto done;
    levy_stmt_bind_text(sel, 1, plugin, -1);
    long applied = 0;
    while ((src = levy_stmt_step(sel, err)) == LEVY_STMT_ROW) {
        long v = (long)levy_stmt_column_int64(sel, 0);
        const char *name = levy_stmt_column_text(sel, 1);
        const char *sha = levy_stmt_column_text(sel, 2);
        if (v < 1 || (size_t)v > n) {
            rc = levy_err_set(err, LEVY_EINVAL, "migration_missing",
                              "%s: applied migration %ld (%s) has no file any more", plugin, v,
                              name ? name : "?");
            goto done;
        }
        /* The records are 1..applied with none missing (issue 20 #5): a store whose
         * schema_migrations lost a middle record (rillet 0027 gone, 0028 and 0029 recorded)
         * was accepted, and since only the versions above the highest record are applied,
         * that migration was neither run nor mentioned. Whether its changes are in the store
         * cannot be told from here (a lost record, a restore mixing two backups, a hand edit),
         * and running it twice is not safe in general (an ALTER TABLE ADD COLUMN fails, an
         * INSERT doubles), so levy refuses to start and names it. */
        if (v != applied + 1) {
            const char *fname = ms[applied].f->name;
            rc = levy_err_set(err, LEVY_EINVAL, "migration_unrecorded",
                              "%s: migration %s is not recorded as applied in schema_migrations, "
                              "but %s migration %ld (%s) is: the record was lost or removed; "
                              "levy does not guess whether its changes are in the store "
                              "(restore the backup taken before, or see docs/operations.md "
                              "\"Upgrades\")",
                              plugin, fname, plugin, v, name ? name : "?");
            if (err)
                snprintf(err->source, sizeof err->source, "%s", fname);
            goto done;
        }
        char hex[65];
        sha_hex(ms[v - 1].f->sql, ms[v - 1].f->len, hex);
        if (!sha || strcmp(sha, hex) != 0) {
            rc = levy_err_set(err, LEVY_EINVAL, "migration_changed",
                              "%s: %s was changed after it was applied (migrations are "
                              "append-only)",
                              plugin, ms[v - 1].f->name);
            if (err)
                snprintf(err->source, sizeof err->source, "%s", ms[v - 1].f->name);
            goto done;
        }
        applied = v;
    }
    if (src != LEVY_OK) {
        rc = src;
        goto done;
    }
    if (pending) {
        *pending = (int)(n - (size_t)applied);
        rc = LEVY_OK;
        goto done;
    }
    if ((rc = levy_store_prepare(st,
                                 "INSERT INTO schema_migrations(plugin, version, name, sha256, "
                                 "applied_at) VALUES (?,?,?,?,?)",
                                 &ins, NULL, err)) != LEVY_OK)
        goto done;
    for (size_t i = (size_t)applied; i < n; i++) {
        const levy_migration_file *f = ms[i].f;
        char hex[65], now[LEVY_TIME_BUFSZ];
        levy_migration_progress pr = {.plugin = plugin,
                                      .name = f->name,
                                      .index = (int)(i - (size_t)applied) + 1,
                                      .count = (int)(n - (size_t)applied),
                                      .upgrade = applied > 0,
                                      .heavy = levy_migration_is_heavy(f->sql, f->len)};
        /* an upgrade says what it runs before it runs it: a long one is the start's silence */
        levy_log(pr.upgrade ? LEVY_LOG_INFO : LEVY_LOG_DEBUG, "store",
                 "applying %s migration %s (%d of %d)%s", plugin, f->name, pr.index, pr.count,
                 pr.heavy ? ": it reads every document, which may take a while on a large store "
                            "(levy answers 503 until the migrations are done)"
                          : "");
        if (observer)
            observer(observer_ud, &pr);
        double t0 = mono_s();
        sha_hex(f->sql, f->len, hex);
        levy_time_iso_ms(levy_clock_now_ms(), now, sizeof now);
        if ((rc = levy_store_begin(st, err)) != LEVY_OK)
            goto done;
        char *sql = malloc(f->len + 1);
        if (!sql) {
            levy_store_rollback(st, NULL);
            rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            goto done;
        }
        memcpy(sql, f->sql, f->len);
        sql[f->len] = 0;
        levy_err e2;
        levy_err_clear(&e2);
        src = levy_store_exec(st, sql, &e2);
        free(sql);
        if (src != LEVY_OK) {
            levy_store_rollback(st, NULL);
            rc = levy_err_set(err, src == LEVY_EBUSY ? LEVY_EBUSY : LEVY_EINVAL, "migration_failed",
                              "%s: %s: %s", plugin, f->name, e2.message);
            if (err)
                snprintf(err->source, sizeof err->source, "%s", f->name);
            goto done;
        }
        levy_stmt_reset(ins);
        levy_stmt_bind_text(ins, 1, plugin, -1);
        levy_stmt_bind_int64(ins, 2, ms[i].version);
        levy_stmt_bind_text(ins, 3, f->name, -1);
        levy_stmt_bind_text(ins, 4, hex, -1);
        levy_stmt_bind_text(ins, 5, now, -1);
        src = levy_stmt_step(ins, err);
        if (src != LEVY_OK) {
            rc = src == LEVY_STMT_ROW ? LEVY_OK : src;
            levy_store_rollback(st, NULL);
            if (rc == LEVY_OK)
                rc = levy_err_set(err, LEVY_EINTERNAL, "internal", "INSERT returned a row");
            goto done;
        }
        if ((rc = levy_store_commit(st, err)) != LEVY_OK) {
            if (levy_store_depth(st))
                levy_store_rollback(st, NULL);
            goto done;
        }
        pr.done = 1;
        pr.seconds = mono_s() - t0;
        levy_log(pr.upgrade ? LEVY_LOG_INFO : LEVY_LOG_DEBUG, "store",
                 "applied %s migration %s in %.1f s", plugin, f->name, pr.seconds);
        if (observer)
            observer(observer_ud, &pr);
    }
    rc = LEVY_OK;
done:
    levy_stmt_finalize(sel);
    levy_stmt_finalize(ins);
    free(ms);
    if (!pending)
        levy_store_lock_migrations(st, 0, NULL);
    return rc;
}

int levy_store_migrate_files(levy_store *st, const char *plugin, const levy_migration_file *files,
                             size_t n, levy_err *err)
{
    return migrate_files(st, plugin, files, n, NULL, err);
}

int levy_store_migrate_core(levy_store *st, levy_err *err)
{
    levy_migration_file files[64];
    /* the engine's own files: the .sql files of core/store/migrations/ for SQLite, those of
     * core/store/migrations/postgres/ for PostgreSQL (the same numbers) */
    const char *prefix =
        levy_store_engine(st) == LEVY_STORE_POSTGRES ? CORE_PREFIX PG_DIR "/" : CORE_PREFIX;
    size_t n = 0, pl = strlen(prefix);
    for (const levy_embedded *e = levy_embedded_files; e->path; e++) {
        if (strncmp(e->path, prefix, pl) != 0 || strchr(e->path + pl, '/'))
            continue;
        if (n == LEVY_ARRAY_LEN(files))
            return levy_err_set(err, LEVY_EINTERNAL, "internal", "too many core migrations");
        files[n].name = e->path + pl;
        files[n].sql = e->data;
        files[n].len = e->len;
        n++;
    }
    return levy_store_migrate_files(st, "core", files, n, err);
}

/* Opening is the store's (levy_store_connect); migrating it is this file's: the store does not
 * call its migrations back (docs/architecture.md section 1). */
int levy_store_open(levy_store **out, const char *path, int flags, levy_err *err)
{
    int rc = levy_store_connect(out, path, flags, err);
    if (rc != LEVY_OK || (flags & (LEVY_STORE_READONLY | LEVY_STORE_NO_MIGRATE)))
        return rc;
    if ((rc = levy_store_migrate_core(*out, err)) != LEVY_OK) {
        levy_store_close(*out);
        *out = NULL;
    }
    return rc;
}

/* Only *.sql files are migrations; their name check comes later. */
static int keep_sql(void *ud, const char *path, const char *name, const struct stat *st)
{
    (void)ud, (void)path, (void)st;
    size_t nl = strlen(name);
    return nl >= 5 && strcmp(name + nl - 4, ".sql") == 0;
}

static int migrate_dir(levy_store *st, const char *plugin, const char *dir, int *pending,
                       levy_err *err)
{
    char pgdir[4096];
    if (levy_store_engine(st) == LEVY_STORE_POSTGRES) {
        if (strlen(dir) + sizeof PG_DIR + 1 > sizeof pgdir)
            return levy_err_set(err, LEVY_EINVAL, "io", "path too long: %.100s", dir);
        snprintf(pgdir, sizeof pgdir, "%.4000s/" PG_DIR, dir);
        dir = pgdir;
    }
    char **names;
    size_t n;
    if (levy_dir_list(dir, keep_sql, NULL, &names, &n) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return migrate_files(st, plugin, NULL, 0, pending, err);
        if (errno == ENOMEM)
            return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        return levy_err_set(err, LEVY_EIO, "io", "cannot open %s: %s", dir, strerror(errno));
    }
    levy_migration_file *files = calloc(n + 1, sizeof *files);
    size_t nf = 0;
    int rc = files ? LEVY_OK : levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    for (; rc == LEVY_OK && nf < n; nf++) {
        char path[4096 + 300];
        snprintf(path, sizeof path, "%s/%s", dir, names[nf]);
        char *data;
        size_t len;
        if ((rc = levy_file_read(path, 0, &data, &len, err)) != LEVY_OK)
            break;
        files[nf].name = names[nf];
        files[nf].sql = data;
        files[nf].len = len;
    }
    if (rc == LEVY_OK)
        rc = migrate_files(st, plugin, files, n, pending, err);
    for (size_t i = 0; i < nf; i++)
        free((char *)files[i].sql);
    free(files);
    levy_dir_list_free(names); /* the files' names */
    return rc;
}

int levy_store_migrate_dir(levy_store *st, const char *plugin, const char *dir, levy_err *err)
{
    return migrate_dir(st, plugin, dir, NULL, err);
}

int levy_store_migrate_dir_check(levy_store *st, const char *plugin, const char *dir, int *pending,
                                 levy_err *err)
{
    *pending = 0;
    return migrate_dir(st, plugin, dir, pending, err);
}
