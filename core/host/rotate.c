/* levy rotate-master-key and the start-up recovery of an interrupted rotation (rotate.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <openssl/crypto.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "file.h"
#include "host/genreg.h"
#include "host/rotate.h"
#include "lua/sandbox.h"
#include "store/audit.h"
#include "store/store.h"

#define KEY_TEXT_CAP 128

/* ---- small file helpers --------------------------------------------------------------- */

static int path_in(char *out, size_t cap, const char *dir, const char *name, levy_err *err)
{
    if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "data dir path too long");
    return LEVY_OK;
}

static int fsync_dir(const char *dir, levy_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return levy_err_set(err, LEVY_EIO, "io", "cannot fsync %s: %s", dir, strerror(e));
    }
    close(fd);
    return LEVY_OK;
}

/* Reads a key file: Base64 of exactly 32 bytes (trailing whitespace ignored). */
static int read_key_file(const char *path, uint8_t key[LEVY_KEY_LEN], levy_err *err)
{
    char text[KEY_TEXT_CAP];
    uint8_t raw[KEY_TEXT_CAP];
    size_t n = 0, m = 0;
    int rc = levy_file_read_into(path, text, sizeof text, &n, err);
    if (rc == LEVY_EINVAL) /* longer than any key: not the Base64 of 32 bytes */
        return levy_err_set(err, LEVY_EINVAL, "bad_master_key",
                            "%s must be the Base64 of exactly 32 bytes", path);
    if (rc != LEVY_OK)
        return rc;
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
                 text[n - 1] == '\t'))
        n--;
    text[n] = 0;
    if (n > 64 || levy_b64_decode(text, n, 0, raw, &m, NULL) != LEVY_OK || m != LEVY_KEY_LEN)
        rc = levy_err_set(err, LEVY_EINVAL, "bad_master_key",
                          "%s must be the Base64 of exactly 32 bytes", path);
    else
        memcpy(key, raw, LEVY_KEY_LEN);
    OPENSSL_cleanse(text, sizeof text);
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
}

/* Writes the Base64 of key + "\n" to path (created or truncated, mode 0600, fsync). */
static int write_key_file(const char *path, const uint8_t key[LEVY_KEY_LEN], levy_err *err)
{
    char text[KEY_TEXT_CAP];
    size_t n = levy_b64_encode(key, LEVY_KEY_LEN, 0, text);
    text[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    OPENSSL_cleanse(text, sizeof text);
    if (!ok) {
        unlink(path);
        return levy_err_set(err, LEVY_EIO, "io", "cannot write %s: %s", path, strerror(e));
    }
    return LEVY_OK;
}

int levy_rotate_fingerprint(const uint8_t key[LEVY_KEY_LEN], char out[LEVY_ROTATE_FP_LEN + 1],
                            levy_err *err)
{
    uint8_t d[LEVY_SHA256_LEN];
    char hex[2 * LEVY_SHA256_LEN + 1];
    int rc = levy_crypto_sha256(key, LEVY_KEY_LEN, d, err);
    if (rc)
        return rc;
    levy_crypto_hex(d, sizeof d, hex);
    memcpy(out, hex, LEVY_ROTATE_FP_LEN);
    out[LEVY_ROTATE_FP_LEN] = 0;
    return LEVY_OK;
}

/* The PID written in DATA_DIR/levy.lock by the process that holds it (0 when unknown). */
static long lock_holder(int fd)
{
    char b[32];
    ssize_t n = pread(fd, b, sizeof b - 1, 0);
    if (n <= 0)
        return 0;
    b[n] = 0;
    long pid = strtol(b, NULL, 10);
    return pid > 0 ? pid : 0;
}

static int lock_file(const char *data_dir, int op, int *fd_out, levy_err *err)
{
    char path[PATH_MAX];
    int rc = path_in(path, sizeof path, data_dir, "levy.lock", err);
    if (rc)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return levy_err_set(err, LEVY_EIO, "io", "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, op | LOCK_NB) != 0) {
        int e = errno;
        long pid = e == EWOULDBLOCK ? lock_holder(fd) : 0;
        close(fd);
        if (e == EWOULDBLOCK) {
            if (pid)
                return levy_err_set(err, LEVY_ECONFLICT, "busy", "data dir %s in use by PID %ld",
                                    data_dir, pid);
            return levy_err_set(err, LEVY_ECONFLICT, "busy", "data dir %s in use (%s is locked)",
                                data_dir, path);
        }
        return levy_err_set(err, LEVY_EIO, "io", "cannot lock %s: %s", path, strerror(e));
    }
    if (op == LOCK_EX) { /* name the holder for the one that is refused */
        char b[32];
        int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || pwrite(fd, b, (size_t)n, 0) != n) {
            /* the lock holds without the PID; the refusal then names the file */
        }
    }
    *fd_out = fd;
    return LEVY_OK;
}

int levy_datadir_lock(const char *data_dir, int *fd, levy_err *err)
{
    return lock_file(data_dir, LOCK_EX, fd, err);
}

int levy_rotate_serve_lock(const char *data_dir, int *fd, levy_err *err)
{
    int rc = lock_file(data_dir, LOCK_EX, fd, err);
    if (rc == LEVY_ECONFLICT) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return levy_err_set(err, LEVY_ECONFLICT, "busy",
                            "%s (another levy serve, or a "
                            "rotate-master-key or restore); not starting",
                            why);
    }
    return rc;
}

/* ---- the store, on either engine ------------------------------------------------------ */

static int is_pg(levy_store *st) { return levy_store_engine(st) == LEVY_STORE_POSTGRES; }

/* *yes = 1 when the table exists (SQLite: sqlite_master; PostgreSQL: the current schema). */
static int table_exists(levy_store *st, const char *table, int *yes, levy_err *err)
{
    levy_stmt *s = NULL;
    int rc = levy_store_prepare(st,
                                is_pg(st) ? "SELECT 1 FROM information_schema.tables WHERE "
                                            "table_schema = current_schema() AND table_name = ?"
                                          : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                            "name = ?",
                                &s, NULL, err);
    if (rc)
        return rc;
    levy_stmt_bind_text(s, 1, table, -1);
    rc = levy_stmt_step(s, err);
    *yes = rc == LEVY_STMT_ROW;
    levy_stmt_finalize(s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}

/* meta's master_key_fingerprint into out ("" when none). */
static int meta_fingerprint(levy_store *store, char out[LEVY_ROTATE_FP_LEN + 1], levy_err *err)
{
    return levy_store_query_text(store,
                                 "SELECT value FROM meta WHERE key = 'master_key_fingerprint'",
                                 NULL, out, LEVY_ROTATE_FP_LEN + 1, err);
}

/* Records fp as meta's master_key_fingerprint: replace = 1 over any recorded one, 0 only
 * when none is (a replica racing another to record its key: the caller re-reads). */
static int set_fingerprint(levy_store *store, const char *fp, int replace, levy_err *err)
{
    levy_stmt *s = NULL;
    int rc = levy_store_prepare(store,
                                replace ? "INSERT INTO meta(key, value) VALUES "
                                          "('master_key_fingerprint', ?) ON CONFLICT(key) DO "
                                          "UPDATE SET value = excluded.value"
                                        : "INSERT INTO meta(key, value) VALUES "
                                          "('master_key_fingerprint', ?) ON CONFLICT(key) DO "
                                          "NOTHING",
                                &s, NULL, err);
    if (rc)
        return rc;
    levy_stmt_bind_text(s, 1, fp, -1);
    rc = levy_stmt_step(s, err);
    levy_stmt_finalize(s);
    return rc;
}

/* meta's master_key_fingerprint of DATA_DIR/levy.db, read-only, into out ("" when there is
 * no database or no meta table yet: nothing was ever rotated). */
static int stored_fingerprint(const char *db_path, char out[LEVY_ROTATE_FP_LEN + 1], levy_err *err)
{
    levy_store *st = NULL;
    int rc, yes = 0;
    out[0] = 0;
    if (access(db_path, F_OK) != 0)
        return LEVY_OK;
    if ((rc = levy_store_connect(&st, db_path, LEVY_STORE_READONLY, err)) == LEVY_OK &&
        (rc = table_exists(st, "meta", &yes, err)) == LEVY_OK && yes)
        rc = meta_fingerprint(st, out, err);
    levy_store_close(st);
    return rc;
}

/* 1 when the key file at path is readable and has fingerprint fp. */
static int current_key_is(const char *path, const char *fp)
{
    uint8_t key[LEVY_KEY_LEN];
    char have[LEVY_ROTATE_FP_LEN + 1];
    levy_err e;
    levy_err_clear(&e);
    int same = read_key_file(path, key, &e) == LEVY_OK &&
               levy_rotate_fingerprint(key, have, &e) == LEVY_OK && strcmp(have, fp) == 0;
    OPENSSL_cleanse(key, sizeof key);
    return same;
}

/* A rotation interrupted between its commit and the renames of master.key.prev.new and
 * master.key.new: fp_db, the fingerprint the database records, says whether master.key.new is
 * the key it seals with (master.key.prev.new, the key it replaced, renamed over
 * master.key.prev, then master.key.new over master.key) or one that never committed (both
 * removed, master.key.prev left as it was; a torn write of master.key.new too, but only while
 * master.key is the key the database records: else both are kept, refused). A
 * master.key.prev.new without master.key.new never reached its commit (it is written first,
 * and renamed first after the commit): removed. *what gets done's note or the removal's. Both
 * engines: levy_rotate_recover (SQLite, every start and every rotation), the PostgreSQL
 * start-up check and the PostgreSQL rotation. */
static int settle_new_key(const char *dir, const char *fp_db, const char *done, const char **what,
                          levy_err *err)
{
    char newp[PATH_MAX], keyp[PATH_MAX], prevp[PATH_MAX], prevnewp[PATH_MAX],
        fp_new[LEVY_ROTATE_FP_LEN + 1];
    uint8_t key[LEVY_KEY_LEN];
    int rc;
    if ((rc = path_in(newp, sizeof newp, dir, "master.key.new", err)) ||
        (rc = path_in(keyp, sizeof keyp, dir, "master.key", err)) ||
        (rc = path_in(prevp, sizeof prevp, dir, "master.key.prev", err)) ||
        (rc = path_in(prevnewp, sizeof prevnewp, dir, "master.key.prev.new", err)))
        return rc;
    if (access(newp, F_OK) != 0) {
        if (access(prevnewp, F_OK) != 0)
            return LEVY_OK;
        if (unlink(prevnewp) != 0)
            return levy_err_set(err, LEVY_EIO, "io", "cannot remove %s: %s", prevnewp,
                                strerror(errno));
        *what = "removed master.key.prev.new of a master key rotation that never committed";
        return fsync_dir(dir, err);
    }
    rc = read_key_file(newp, key, err);
    if (rc == LEVY_OK)
        rc = levy_rotate_fingerprint(key, fp_new, err);
    OPENSSL_cleanse(key, sizeof key);
    if (rc == LEVY_EINVAL) { /* torn write before the commit: it was never used */
        fp_new[0] = 0;
        rc = LEVY_OK;
    }
    if (rc)
        return rc;
    if (fp_new[0] && strcmp(fp_new, fp_db) == 0) {
        /* committed: the key it replaced becomes master.key.prev only now (a rotation that
         * rolled back must not have replaced it) */
        if (access(prevnewp, F_OK) == 0 && rename(prevnewp, prevp) != 0)
            return levy_err_set(err, LEVY_EIO, "io", "cannot rename %s to %s: %s", prevnewp, prevp,
                                strerror(errno));
        if (rename(newp, keyp) != 0)
            return levy_err_set(err, LEVY_EIO, "io", "cannot rename %s to %s: %s", newp, keyp,
                                strerror(errno));
        *what = done;
    } else if (!fp_new[0] && fp_db[0] && !current_key_is(keyp, fp_db)) {
        /* an unreadable master.key.new while the database seals with a key master.key is not:
         * it may be the key it seals with (a file damaged after the rotation committed). Kept
         * for the operator; removing it would lose the last copy */
        return levy_err_set(err, LEVY_ECONFLICT, "key_unknown",
                            "master.key.new is unreadable and master.key is not the key the "
                            "database seals with (fingerprint %s): master.key.new is kept (it may "
                            "hold that key); restore that key before starting levy (data dir %s)",
                            fp_db, dir);
    } else {
        if (unlink(newp) != 0)
            return levy_err_set(err, LEVY_EIO, "io", "cannot remove %s: %s", newp, strerror(errno));
        if (unlink(prevnewp) != 0 && errno != ENOENT)
            return levy_err_set(err, LEVY_EIO, "io", "cannot remove %s: %s", prevnewp,
                                strerror(errno));
        *what = "removed master.key.new of a master key rotation that never committed";
    }
    return fsync_dir(dir, err);
}

/* 1 when an interrupted rotation left a file for settle_new_key in dir (path errors: 0, the
 * caller's own path_in reports them). */
static int rotation_leftover(const char *dir)
{
    char p[PATH_MAX];
    levy_err e;
    levy_err_clear(&e);
    return (path_in(p, sizeof p, dir, "master.key.new", &e) == LEVY_OK && access(p, F_OK) == 0) ||
           (path_in(p, sizeof p, dir, "master.key.prev.new", &e) == LEVY_OK &&
            access(p, F_OK) == 0);
}

int levy_rotate_recover(const char *data_dir, const char **what, levy_err *err)
{
    char dbp[PATH_MAX], fp_db[LEVY_ROTATE_FP_LEN + 1];
    const char *note = "";
    int rc;
    if (what)
        *what = "";
    const char *env = getenv("LEVY_MASTER_KEY");
    if (env && *env)
        return LEVY_OK;
    if ((rc = path_in(dbp, sizeof dbp, data_dir, "levy.db", err)))
        return rc;
    if (!rotation_leftover(data_dir))
        return LEVY_OK;
    if ((rc = stored_fingerprint(dbp, fp_db, err)) != LEVY_OK ||
        (rc = settle_new_key(data_dir, fp_db,
                             "completed an interrupted master key rotation (master.key.new -> "
                             "master.key)",
                             &note, err)) != LEVY_OK)
        return rc;
    if (what)
        *what = note;
    return LEVY_OK;
}

/* ---- the declarations ----------------------------------------------------------------- */

typedef struct sealed_col {
    char plugin[64], table[128], key[128], column[128], field[128];
    long count;
} sealed_col;

static int copy_field(lua_State *L, const char *name, char *dst, size_t cap)
{
    lua_getfield(L, -1, name);
    const char *v = lua_tostring(L, -1);
    int ok = v && strlen(v) < cap;
    if (ok)
        memcpy(dst, v, strlen(v) + 1);
    lua_pop(L, 1);
    return ok;
}

/* Copies H.sealed() of generation g (the columns plugins declare as sealed). */
static int copy_sealed(levy_gen *g, sealed_col **out, int *n, levy_err *err)
{
    *out = NULL;
    *n = 0;
    lua_State *L = levy_vm_state(g->vm);
    levy_sandbox_push_api(L, "sealed");
    int rc = levy_vm_pcall(g->vm, 0, 1, err);
    if (rc != LEVY_OK)
        return rc;
    int cnt = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
    sealed_col *v = calloc((size_t)cnt + 1, sizeof *v);
    if (!v) {
        lua_pop(L, 1);
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    }
    for (int i = 1; i <= cnt; i++) {
        lua_rawgeti(L, -1, i);
        sealed_col *c = &v[i - 1];
        int ok = copy_field(L, "plugin", c->plugin, sizeof c->plugin) &&
                 copy_field(L, "table", c->table, sizeof c->table) &&
                 copy_field(L, "key", c->key, sizeof c->key) &&
                 copy_field(L, "column", c->column, sizeof c->column) &&
                 copy_field(L, "field", c->field, sizeof c->field);
        lua_pop(L, 1);
        if (!ok) {
            free(v);
            lua_pop(L, 1);
            return levy_err_set(err, LEVY_EINVAL, "invalid", "sealed declaration %d is too long",
                                i);
        }
    }
    lua_pop(L, 1);
    *out = v;
    *n = cnt;
    return LEVY_OK;
}

typedef struct sealed_list {
    sealed_col *cols;
    int n;
} sealed_list;

static int copy_sealed_visit(levy_gen *g, void *ud, levy_err *err)
{
    sealed_list *l = ud;
    return copy_sealed(g, &l->cols, &l->n, err);
}

/* H.sealed() of a check-role generation (no store, no migrations) the host builds. */
static int load_declarations(levy_config *cfg, levy_rotate_build_fn build, sealed_col **out, int *n,
                             levy_err *err)
{
    sealed_list l = {NULL, 0};
    int rc = build(cfg, copy_sealed_visit, &l, err);
    if (rc != LEVY_OK) {
        free(l.cols);
        l.cols = NULL;
        l.n = 0;
    }
    *out = l.cols;
    *n = l.n;
    return rc;
}

/* ---- the re-seal transaction ---------------------------------------------------------- */

/* Re-seals one value: Base64 text sealed under old -> Base64 text sealed under new (*out,
 * malloc'd). new_key NULL: only opens it (the start-up check: does the key open it). */
static int reseal_one(const uint8_t old_key[LEVY_KEY_LEN], const uint8_t *new_key, const char *b64,
                      size_t len, const char *aad, char **out, levy_err *err)
{
    uint8_t *raw = malloc(levy_b64_decoded_max(len) + 1);
    uint8_t *pt = NULL, *sealed = NULL;
    char *text = NULL;
    size_t raw_len = 0, pt_len = 0, pt_cap = 0;
    int rc;
    if (!raw)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    if (levy_b64_decode(b64, len, 0, raw, &raw_len, NULL) != LEVY_OK ||
        raw_len < LEVY_SEAL_OVERHEAD) {
        rc = levy_err_set(err, LEVY_ECRYPTO, "bad_ciphertext", "not a sealed value");
        goto done;
    }
    size_t n = raw_len - LEVY_SEAL_OVERHEAD;
    pt_cap = n + 1;
    pt = malloc(pt_cap);
    sealed = malloc(n + LEVY_SEAL_OVERHEAD);
    text = malloc(levy_b64_encoded_len(n + LEVY_SEAL_OVERHEAD, 0) + 1);
    if (!pt || !sealed || !text) {
        rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        goto done;
    }
    if ((rc = levy_crypto_open(old_key, raw, raw_len, aad, strlen(aad), pt, &pt_len, err)) ||
        !new_key || (rc = levy_crypto_seal(new_key, pt, pt_len, aad, strlen(aad), sealed, err)))
        goto done;
    levy_b64_encode(sealed, pt_len + LEVY_SEAL_OVERHEAD, 0, text);
    *out = text;
    text = NULL;
done:
    if (pt) {
        OPENSSL_cleanse(pt, pt_cap);
        free(pt);
    }
    free(raw);
    free(sealed);
    free(text);
    return rc;
}

/* Re-seals every non-NULL value of one declared column (inside the open transaction). A row
 * is found again for its update by its own reference: SQLite's rowid, or on PostgreSQL,
 * which has none, the declared key (the table's primary key), its rows locked as read. */
static int reseal_column(levy_store *st, sealed_col *c, const uint8_t old_key[LEVY_KEY_LEN],
                         const uint8_t new_key[LEVY_KEY_LEN], levy_err *err)
{
    char sql[800]; /* five identifiers of up to 127 bytes (sealed_col) */
    levy_stmt *sel = NULL, *upd = NULL;
    int rc = LEVY_OK, exists = 0;
    if ((rc = table_exists(st, c->table, &exists, err)) != LEVY_OK || !exists)
        return rc; /* the plugin's migrations never ran here: nothing is sealed */
    /* identifiers were validated by the generation loader (^[%a_][%w_]*$) */
    if (is_pg(st))
        snprintf(sql, sizeof sql,
                 "SELECT \"%s\", \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL ORDER BY 1 "
                 "FOR UPDATE",
                 c->key, c->key, c->column, c->table, c->column);
    else
        snprintf(sql, sizeof sql,
                 "SELECT rowid, \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL", c->key,
                 c->column, c->table, c->column);
    if ((rc = levy_store_prepare(st, sql, &sel, NULL, err)) != LEVY_OK) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return levy_err_set(err, LEVY_EINVAL, "invalid",
                            "plugin %s declares sealed column %s.%s (key %s): %s", c->plugin,
                            c->table, c->column, c->key, why);
    }
    snprintf(sql, sizeof sql, "UPDATE \"%s\" SET \"%s\" = ? WHERE \"%s\" = ?", c->table, c->column,
             is_pg(st) ? c->key : "rowid");
    if ((rc = levy_store_prepare(st, sql, &upd, NULL, err)) != LEVY_OK)
        goto done;
    while ((rc = levy_stmt_step(sel, err)) == LEVY_STMT_ROW) {
        /* the types before any text form: a conversion leaves a column's type undefined */
        int ref_int = levy_stmt_column_type(sel, 0) == LEVY_COL_INT;
        int64_t ref_i = ref_int ? levy_stmt_column_int64(sel, 0) : 0;
        int text = levy_stmt_column_type(sel, 2) == LEVY_COL_TEXT;
        const char *ref = levy_stmt_column_text(sel, 0);
        const char *id = levy_stmt_column_text(sel, 1);
        char aad[512], *fresh = NULL;
        if (!id) {
            rc = levy_err_set(err, LEVY_EINVAL, "invalid", "%s row %s has a NULL %s", c->table,
                              ref ? ref : "?", c->key);
            goto done;
        }
        if (snprintf(aad, sizeof aad, "%s:%s", id, c->field) >= (int)sizeof aad) {
            rc = levy_err_set(err, LEVY_EINVAL, "invalid", "%s.%s is too long", c->table, c->key);
            goto done;
        }
        if (!text)
            rc = levy_err_set(err, LEVY_ECRYPTO, "bad_ciphertext", "not text");
        else
            rc = reseal_one(old_key, new_key, levy_stmt_column_text(sel, 2),
                            levy_stmt_column_bytes(sel, 2), aad, &fresh, err);
        if (rc != LEVY_OK) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            rc = levy_err_set(err, rc, "bad_ciphertext",
                              "cannot open %s.%s of the row with %s = '%s' under the current "
                              "master key (%s); nothing was changed",
                              c->table, c->column, c->key, id, why);
            goto done;
        }
        levy_stmt_reset(upd);
        levy_stmt_bind_text(upd, 1, fresh, -1);
        if (ref_int)
            levy_stmt_bind_int64(upd, 2, ref_i);
        else
            levy_stmt_bind_text(upd, 2, ref, -1);
        rc = levy_stmt_step(upd, err);
        free(fresh);
        if (rc != LEVY_OK)
            goto done;
        c->count++;
    }
done:
    levy_stmt_finalize(sel);
    levy_stmt_finalize(upd);
    return rc;
}

/* ---- the start-up key check ----------------------------------------------------------- */

typedef struct sealed_scan {
    long rows;           /* non-NULL sealed values in all declared columns */
    char where[400];     /* "connections.api_key_sealed (1), ..." */
    char sample_at[400]; /* "connections.api_key_sealed of the row with id = 'x'" */
    char aad[512];
    char *sample; /* one sealed value (Base64), malloc'd */
} sealed_scan;

static int scan_sealed(levy_store *st, sealed_col *cols, int n, sealed_scan *sc, levy_err *err)
{
    for (int i = 0; i < n; i++) {
        sealed_col *c = &cols[i];
        int exists = 0, rc;
        if ((rc = table_exists(st, c->table, &exists, err)) != LEVY_OK)
            return rc;
        if (!exists)
            continue;
        char sql[600];
        levy_stmt *s = NULL;
        snprintf(sql, sizeof sql, "SELECT \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL",
                 c->key, c->column, c->table, c->column);
        if ((rc = levy_store_prepare(st, sql, &s, NULL, err)) != LEVY_OK)
            return rc;
        long k = 0;
        while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
            k++;
            int text = levy_stmt_column_type(s, 1) == LEVY_COL_TEXT;
            const char *id = levy_stmt_column_text(s, 0);
            if (!sc->sample && id && text) {
                snprintf(sc->aad, sizeof sc->aad, "%.370s:%.127s", id, c->field);
                snprintf(sc->sample_at, sizeof sc->sample_at,
                         "%.100s.%.100s of the row with %.80s = '%.80s'", c->table, c->column,
                         c->key, id);
                sc->sample = strdup(levy_stmt_column_text(s, 1));
            }
        }
        levy_stmt_finalize(s);
        if (rc != LEVY_OK)
            return rc;
        if (k) {
            size_t u = strlen(sc->where);
            if (u + 230 < sizeof sc->where)
                snprintf(sc->where + u, sizeof sc->where - u, "%s%.100s.%.100s (%ld)",
                         u ? ", " : "", c->table, c->column, k);
            sc->rows += k;
        }
    }
    return LEVY_OK;
}

/* PostgreSQL: every levy process sharing the database must hold the same master key (each
 * opens what the others sealed). The first one to start records its key's fingerprint in
 * meta; a process whose key has another fingerprint, or has no key while one is recorded,
 * refuses to start. */
static int verify_key_shared(const char *dir, levy_store *store, uint8_t key[LEVY_KEY_LEN],
                             char *note, size_t cap, levy_err *err)
{
    const char *env = getenv("LEVY_MASTER_KEY");
    int use_env = env && *env, rc;
    char keyp[PATH_MAX], fp[LEVY_ROTATE_FP_LEN + 1], stored[LEVY_ROTATE_FP_LEN + 1];
    if ((rc = path_in(keyp, sizeof keyp, dir, "master.key", err)))
        return rc;
    if ((rc = meta_fingerprint(store, stored, err)) != LEVY_OK)
        return rc;
    /* a rotate-master-key interrupted between its commit and the rename of master.key.new:
     * the database's fingerprint says whether the new key is the one it seals with */
    if (!use_env && rotation_leftover(dir)) {
        const char *what = "";
        if ((rc = settle_new_key(dir, stored,
                                 "completed an interrupted master key rotation (master.key.new "
                                 "-> master.key: the database seals with it)",
                                 &what, err)) != LEVY_OK)
            return rc;
        snprintf(note, cap, "%s", what);
    }
    int have_key = use_env || access(keyp, F_OK) == 0;
    if (!have_key && stored[0]) {
        snprintf(note, cap,
                 "master key missing: %s does not exist and LEVY_MASTER_KEY is unset, but the "
                 "PostgreSQL database %s records a master key (fingerprint %s) that the other "
                 "levy processes sharing it seal with. Copy that key to %s or set "
                 "LEVY_MASTER_KEY (docs/operations.md, PostgreSQL)",
                 keyp, levy_store_path(store), stored, keyp);
        return levy_err_set(err, LEVY_ENOTFOUND, "key_missing", "master key missing");
    }
    if ((rc = levy_crypto_master_key_load(dir, key, err)) != LEVY_OK)
        return rc;
    if (!have_key)
        snprintf(note, cap, "created a new master key");
    if ((rc = levy_rotate_fingerprint(key, fp, err)) != LEVY_OK)
        goto fail;
    if (!stored[0]) { /* the first process: record it (another may race: re-read) */
        if ((rc = set_fingerprint(store, fp, 0, err)) != LEVY_OK ||
            (rc = meta_fingerprint(store, stored, err)) != LEVY_OK)
            goto fail;
    }
    if (strcmp(stored, fp) != 0) {
        snprintf(note, cap,
                 "master key does not match the PostgreSQL database %s: the key from %s has "
                 "fingerprint %s, the database records %s (the key of the levy processes "
                 "sharing it). Give every levy process the same key (docs/operations.md, "
                 "PostgreSQL)",
                 levy_store_path(store), use_env ? "LEVY_MASTER_KEY" : keyp, fp, stored);
        rc = levy_err_set(err, LEVY_ECONFLICT, "key_mismatch", "master key does not match");
        goto fail;
    }
    return LEVY_OK;
fail:
    OPENSSL_cleanse(key, LEVY_KEY_LEN);
    return rc;
}

int levy_rotate_verify_key(const char *dir, levy_store *store, levy_gen *gen,
                           uint8_t key[LEVY_KEY_LEN], char *note, size_t cap, levy_err *err)
{
    if (levy_store_engine(store) == LEVY_STORE_POSTGRES) {
        note[0] = 0;
        return verify_key_shared(dir, store, key, note, cap, err);
    }
    const char *env = getenv("LEVY_MASTER_KEY");
    int use_env = env && *env;
    char keyp[PATH_MAX], prevp[PATH_MAX], src[PATH_MAX + 16], fp[LEVY_ROTATE_FP_LEN + 1],
        stored[LEVY_ROTATE_FP_LEN + 1];
    sealed_col *cols = NULL;
    sealed_scan sc;
    int ncols = 0, rc, have_key = 0;
    memset(&sc, 0, sizeof sc);
    note[0] = 0;
    if ((rc = path_in(keyp, sizeof keyp, dir, "master.key", err)) ||
        (rc = path_in(prevp, sizeof prevp, dir, "master.key.prev", err)))
        return rc;
    snprintf(src, sizeof src, "%s", use_env ? "LEVY_MASTER_KEY" : keyp);
    if (use_env || access(keyp, F_OK) == 0) {
        if ((rc = levy_crypto_master_key_load(dir, key, err)) != LEVY_OK)
            return rc;
        have_key = 1;
    }
    if ((rc = copy_sealed(gen, &cols, &ncols, err)) != LEVY_OK ||
        (rc = scan_sealed(store, cols, ncols, &sc, err)) != LEVY_OK ||
        (rc = meta_fingerprint(store, stored, err)) != LEVY_OK)
        goto done;
    const char *prev_hint = access(prevp, F_OK) == 0 ? " (or master.key.prev, kept by the last "
                                                       "rotate-master-key)"
                                                     : "";
    if (!have_key && sc.rows) {
        rc = levy_err_set(err, LEVY_ENOTFOUND, "key_missing", "master key missing");
        snprintf(note, cap,
                 "master key missing: %s does not "
                 "exist and LEVY_MASTER_KEY is unset, but %s/levy.db holds %ld sealed "
                 "secret(s) (%s) that only the original key opens. Restore %s from "
                 "your backup%s or set LEVY_MASTER_KEY to the original key; levy does "
                 "not make a new key over sealed data (docs/operations.md, start-up "
                 "checks)",
                 keyp, dir, sc.rows, sc.where, keyp, prev_hint);
        goto done;
    }
    if (!have_key) { /* nothing sealed: a new key loses nothing */
        if ((rc = levy_crypto_master_key_load(dir, key, err)) != LEVY_OK)
            goto done;
        snprintf(note, cap, "%s",
                 stored[0] ? "created a new master key (the previous one is "
                             "gone, but no sealed secret was stored)"
                           : "created a new master key");
    }
    if ((rc = levy_rotate_fingerprint(key, fp, err)) != LEVY_OK)
        goto done;
    if (sc.rows && stored[0] && strcmp(stored, fp) != 0) {
        rc = levy_err_set(err, LEVY_ECONFLICT, "key_mismatch", "master key does not match");
        snprintf(note, cap,
                 "master key does not match the "
                 "sealed data in %s/levy.db: the key from %s has fingerprint %s, the "
                 "%ld sealed secret(s) (%s) were sealed with %s. Restore %s%s or set "
                 "LEVY_MASTER_KEY to the original key (docs/operations.md, start-up "
                 "checks)",
                 dir, src, fp, sc.rows, sc.where, stored, keyp, prev_hint);
        goto done;
    }
    if (sc.rows && !stored[0] &&
        reseal_one(key, NULL, sc.sample ? sc.sample : "", sc.sample ? strlen(sc.sample) : 0, sc.aad,
                   NULL, NULL) != LEVY_OK) {
        rc = levy_err_set(err, LEVY_ECONFLICT, "key_mismatch", "master key does not match");
        snprintf(note, cap,
                 "master key does not match the "
                 "sealed data in %s/levy.db: the key from %s does not open %s. Restore "
                 "%s%s or set LEVY_MASTER_KEY to the original key (docs/operations.md, "
                 "start-up checks)",
                 dir, src, sc.sample_at, keyp, prev_hint);
        goto done;
    }
    if (strcmp(stored, fp) != 0) {
        if ((rc = set_fingerprint(store, fp, 1, err)) != LEVY_OK)
            goto done;
        if (!note[0] && stored[0])
            snprintf(note, cap,
                     "master key changed (fingerprint %s, was %s); no sealed secret "
                     "was stored",
                     fp, stored);
    }
    rc = LEVY_OK;
done:
    if (rc != LEVY_OK)
        OPENSSL_cleanse(key, LEVY_KEY_LEN);
    free(sc.sample);
    free(cols);
    return rc;
}

/* Test hooks, named by LEVY_TEST_ROTATE_CRASH (unset in production): "before_commit" and
 * "after_commit" kill the rotation there (exit 3); "commit_lost" reports a COMMIT that
 * succeeded as failed, as PostgreSQL's client does when the connection drops after the
 * server committed; "rollback_after_prev" fails the rotation once master.key.prev.new and
 * master.key.new are written, before the COMMIT (the transaction rolled back, exit 1), as a
 * failed fsync of the data dir there would. */
static int test_point(const char *point)
{
    const char *v = getenv("LEVY_TEST_ROTATE_CRASH");
    return v && strcmp(v, point) == 0;
}

static void test_crash(const char *point)
{
    if (test_point(point))
        _exit(3);
}

/* ---- the command ---------------------------------------------------------------------- */

/* A COMMIT that reported a failure (issue 18). Whether the database holds the rotation is not
 * known here: PostgreSQL can commit and still lose the answer (the connection dropped after
 * COMMIT was sent); SQLite rolls back, but the answer alone does not prove it. So nothing is
 * removed: master.key.new stays for the recovery, which decides by the fingerprint the
 * database records (settle_new_key, at the next start or rotation). With LEVY_MASTER_KEY the
 * new key is nowhere else: it is printed, with how to tell which key the database needs.
 * The full account goes to stderr (longer than a levy_err); err keeps a summary. */
static int commit_failed(const char *dir, int pg, int use_env, const uint8_t new_key[LEVY_KEY_LEN],
                         const char *fp, const char *fp_old, levy_err *err)
{
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    const char *maybe = pg ? "PostgreSQL may have committed it all the same (a connection lost "
                             "after COMMIT was sent reports a failure)"
                           : "SQLite rolls back on a failed COMMIT, but the answer alone does "
                             "not prove it";
    if (use_env) {
        char text[KEY_TEXT_CAP];
        levy_b64_encode(new_key, LEVY_KEY_LEN, 0, text);
        printf("the COMMIT reported a failure, so the database may hold the rotation: keep this "
               "new key (fingerprint %s; it is shown only once):\n%s\n",
               fp, text);
        fflush(stdout);
        OPENSSL_cleanse(text, sizeof text);
        fprintf(stderr,
                "levy rotate-master-key: the COMMIT of the re-sealed secrets reported a failure "
                "(%s): %s. The new key (fingerprint %s) is printed on stdout. Start levy with the "
                "current LEVY_MASTER_KEY (fingerprint %s): if it refuses because the database "
                "records fingerprint %s, the rotation committed: put the printed key in "
                "LEVY_MASTER_KEY%s instead\n",
                why, maybe, fp, fp_old, fp, pg ? " of every replica" : "");
        return levy_err_set(err, LEVY_EIO, "commit_unknown",
                            "the rotation's COMMIT reported a failure (%s); the new key is "
                            "printed on stdout",
                            why);
    }
    fprintf(stderr,
            "levy rotate-master-key: the COMMIT of the re-sealed secrets reported a failure "
            "(%s): %s. %s/master.key.new (the new key, fingerprint %s) is kept beside "
            "master.key (the current key, fingerprint %s): the next levy start on this data dir, "
            "or the next rotate-master-key, reads the fingerprint the database records and "
            "renames master.key.new over master.key if the rotation committed (\"completed an "
            "interrupted master key rotation\"), or removes it if it did not. Do not delete or "
            "move master.key.new yourself%s\n",
            why, maybe, dir, fp, fp_old,
            pg ? "; start levy on this data dir first, then copy its master.key to every other "
                 "replica"
               : "");
    return levy_err_set(err, LEVY_EIO, "commit_unknown",
                        "the rotation's COMMIT reported a failure (%s); master.key.new is kept "
                        "for the next start or rotation to settle",
                        why);
}

/* The other levy processes connected to the store's database (levy connects with
 * application_name "levy"): their number and where from, for the refusal. */
static int pg_other_levys(levy_store *st, long *count, char *from, size_t cap, levy_err *err)
{
    char n[32];
    int rc = levy_store_query_text(
        st,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND application_name = 'levy'",
        NULL, n, sizeof n, err);
    if (rc == LEVY_OK)
        rc = levy_store_query_text(
            st,
            "SELECT coalesce(string_agg(DISTINCT coalesce(host(client_addr), 'a local "
            "socket'), ', '), '') FROM pg_stat_activity WHERE datname = "
            "current_database() AND pid <> pg_backend_pid() AND application_name = "
            "'levy'",
            NULL, from, cap, err);
    *count = atol(n);
    return rc;
}

/* The replicas whose heartbeat row (table replicas, written every LEVY_GENREG_BEAT_S by each
 * serving replica, deleted at a graceful stop) was seen within LEVY_GENREG_LIVE_S: their ids
 * and how long ago, for the refusal. This catches a replica pg_other_levys cannot see (a URL
 * setting its own application_name) or one between two reconnects. */
static int pg_live_replicas(levy_store *st, char *ids, size_t cap, levy_err *err)
{
    char sql[400];
    int64_t now = levy_clock_now_ms();
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(id || ' (last seen ' || ((%lld - last_seen_ms) / 1000) "
             "|| ' s ago)', ', ' ORDER BY id), '') FROM replicas WHERE last_seen_ms >= %lld",
             (long long)now, (long long)(now - (int64_t)LEVY_GENREG_LIVE_S * 1000));
    return levy_store_query_text(st, sql, NULL, ids, cap, err);
}

/* Opens the store for the rotation, refusing while anything else may use it; the one step
 * that differs by engine. SQLite (DATA_DIR/levy.db): the data dir's lock (held by the
 * caller) already keeps levy away; no wait for another writer's lock (the transaction's
 * BEGIN says busy at once), and freed pages overwritten (secure_delete) so the old
 * ciphertexts do not stay in them. PostgreSQL (shared by the replicas): the migrations'
 * advisory lock held throughout, so a replica starting meanwhile waits at its migrations and
 * then meets the new fingerprint; refused while another levy is connected to the database or
 * a replica's heartbeat is recent. */
static int open_for_rotation(levy_config *cfg, const char *dbp, levy_store **out, levy_err *err)
{
    char from[400];
    long others = 0;
    int rc;
    if (!cfg->database[0]) {
        if ((rc = levy_store_connect(out, dbp, LEVY_STORE_NO_MIGRATE, err)) != LEVY_OK)
            return rc;
        return levy_store_exec(*out, "PRAGMA busy_timeout=0; PRAGMA secure_delete=ON", err);
    }
    if ((rc = levy_store_connect(out, cfg->database, 0, err)) != LEVY_OK ||
        (rc = levy_store_lock_migrations(*out, 1, err)) != LEVY_OK ||
        (rc = pg_other_levys(*out, &others, from, sizeof from, err)) != LEVY_OK)
        return rc;
    if (others > 0)
        return levy_err_set(err, LEVY_ECONFLICT, "replicas_live",
                            "%ld other levy connection(s) to %s (from %s): a replica (or a levy "
                            "calc) is running. Stop every replica first: one still serving with "
                            "the old key could not open the re-sealed secrets; nothing was "
                            "changed",
                            others, levy_store_path(*out), from);
    if ((rc = pg_live_replicas(*out, from, sizeof from, err)) != LEVY_OK)
        return rc;
    if (from[0])
        return levy_err_set(err, LEVY_ECONFLICT, "replicas_live",
                            "replica %s: a heartbeat in %s within the last %d s, so it may still "
                            "serve. Stop every replica first: one still serving with the old key "
                            "could not open the re-sealed secrets (a replica killed without a "
                            "graceful stop counts as live for %d s after its last heartbeat); "
                            "nothing was changed",
                            from, levy_store_path(*out), LEVY_GENREG_LIVE_S, LEVY_GENREG_LIVE_S);
    return LEVY_OK;
}

/* rotate-master-key, on either engine: the data dir locked (a levy serving it refuses it);
 * the store opened (open_for_rotation); an interrupted rotation of this data dir settled
 * first by the database's fingerprint (SQLite: levy_rotate_recover, before opening; on
 * PostgreSQL settle_new_key once the store is open and no replica is live; there the
 * current key must then be the one the database records); the declared sealed columns
 * re-sealed and meta's fingerprint replaced in one transaction; master.key.prev.new (the
 * current key) and master.key.new durable (fsync) before the commit, renamed over
 * master.key.prev and master.key after it (in that order), or at the next start or rotation;
 * a rotation that rolls back removes both, master.key.prev untouched. Once COMMIT is sent
 * master.key.new is never removed here, even when the COMMIT reports a failure
 * (commit_failed). With LEVY_MASTER_KEY
 * (and --yes-env) no key file is written: the new key is printed once. */
static int rotate(levy_config *cfg, levy_rotate_build_fn build, levy_err *err)
{
    const char *dir = cfg->data_dir;
    const char *env = getenv("LEVY_MASTER_KEY");
    int use_env = env && *env, pg = cfg->database[0] != 0;
    char keyp[PATH_MAX], newp[PATH_MAX], prevp[PATH_MAX], prevnewp[PATH_MAX], dbp[PATH_MAX];
    char fp[LEVY_ROTATE_FP_LEN + 1], fp_old[LEVY_ROTATE_FP_LEN + 1], stored[LEVY_ROTATE_FP_LEN + 1];
    uint8_t old_key[LEVY_KEY_LEN], new_key[LEVY_KEY_LEN];
    sealed_col *cols = NULL;
    int ncols = 0, lock_fd = -1, rc, in_tx = 0, wrote_new = 0, wrote_prev = 0;
    levy_store *st = NULL;
    /* what the operator is told differs: one service, or every replica */
    const char *stop_all = pg ? "stop every replica first" : "stop the service first";
    memset(old_key, 0, sizeof old_key);
    memset(new_key, 0, sizeof new_key);
    if ((rc = path_in(keyp, sizeof keyp, dir, "master.key", err)) ||
        (rc = path_in(newp, sizeof newp, dir, "master.key.new", err)) ||
        (rc = path_in(prevp, sizeof prevp, dir, "master.key.prev", err)) ||
        (rc = path_in(prevnewp, sizeof prevnewp, dir, "master.key.prev.new", err)) ||
        (rc = path_in(dbp, sizeof dbp, dir, "levy.db", err)))
        return rc;
    if (use_env && !cfg->yes_env)
        return levy_err_set(err, LEVY_EINVAL, "env_key",
                            "LEVY_MASTER_KEY is set: the new key "
                            "cannot be written to %s. Re-run with --yes-env: the new key is then "
                            "printed once on stdout and you must put it in LEVY_MASTER_KEY%s "
                            "before starting %s again",
                            keyp, pg ? " of every replica" : "", pg ? "them" : "levy");
    if (!pg && access(dbp, F_OK) != 0)
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no database %s", dbp);
    if (!use_env && access(keyp, F_OK) != 0)
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found",
                            "no master key %s (and "
                            "LEVY_MASTER_KEY is unset)",
                            keyp);
    rc = lock_file(dir, LOCK_EX, &lock_fd, err);
    if (rc == LEVY_ECONFLICT) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        rc = levy_err_set(err, LEVY_ECONFLICT, "busy",
                          "%s: levy is running on it (or another "
                          "rotation is): %s",
                          why, stop_all);
        goto done;
    }
    if (rc)
        goto done;
    if (!pg) {
        const char *what = "";
        if ((rc = levy_rotate_recover(dir, &what, err)) != LEVY_OK)
            goto done;
        if (*what)
            fprintf(stderr, "levy rotate-master-key: %s\n", what);
    }
    if ((rc = open_for_rotation(cfg, dbp, &st, err)) != LEVY_OK)
        goto done;
    if (pg && !use_env && rotation_leftover(dir)) {
        /* a rotation of this data dir interrupted past its commit (or whose COMMIT reported a
         * failure): settled by the shared database's fingerprint before master.key is read, so
         * this one rotates from the key the database seals with (issue 18) */
        const char *what = "";
        if ((rc = meta_fingerprint(st, stored, err)) != LEVY_OK ||
            (rc = settle_new_key(dir, stored,
                                 "completed an interrupted master key rotation (master.key.new "
                                 "-> master.key: the database seals with it)",
                                 &what, err)) != LEVY_OK)
            goto done;
        fprintf(stderr, "levy rotate-master-key: %s\n", what);
    }
    if ((rc = levy_crypto_master_key_load(dir, old_key, err)) != LEVY_OK ||
        (rc = levy_rotate_fingerprint(old_key, fp_old, err)) != LEVY_OK)
        goto done;
    if (pg) { /* the replicas' agreement: rotate from the key they seal with */
        if ((rc = meta_fingerprint(st, stored, err)) != LEVY_OK)
            goto done;
        if (stored[0] && strcmp(stored, fp_old) != 0) {
            rc = levy_err_set(err, LEVY_ECONFLICT, "key_mismatch",
                              "the master key from %s has fingerprint %s, but %s records %s (the "
                              "key the replicas seal with): rotate with that key; nothing was "
                              "changed",
                              use_env ? "LEVY_MASTER_KEY" : keyp, fp_old, levy_store_path(st),
                              stored);
            goto done;
        }
    }
    if ((rc = load_declarations(cfg, build, &cols, &ncols, err)) != LEVY_OK)
        goto done;
    if (cfg->new_key_file[0]) {
        if ((rc = read_key_file(cfg->new_key_file, new_key, err)) != LEVY_OK)
            goto done;
    } else if ((rc = levy_crypto_random(new_key, sizeof new_key, err)) != LEVY_OK) {
        goto done;
    }
    if (levy_crypto_equal(old_key, sizeof old_key, new_key, sizeof new_key)) {
        rc = levy_err_set(err, LEVY_EINVAL, "same_key", "the new key is the current key");
        goto done;
    }
    if ((rc = levy_rotate_fingerprint(new_key, fp, err)) != LEVY_OK)
        goto done;
    if ((rc = levy_store_begin(st, err)) != LEVY_OK) {
        if (!pg)
            rc = levy_err_set(err, LEVY_EBUSY, "busy",
                              "the store %s is busy: stop levy (and any "
                              "other writer) first",
                              dbp);
        goto done;
    }
    in_tx = 1;
    for (int i = 0; i < ncols; i++)
        if ((rc = reseal_column(st, &cols[i], old_key, new_key, err)) != LEVY_OK)
            goto done;
    if ((rc = set_fingerprint(st, fp, 1, err)) != LEVY_OK)
        goto done;
    /* the audit log's row (issue 20), in the rotation's transaction: who (this command), the
     * fingerprints (never a key); a store not migrated to core 0007 yet has no log to write */
    int has_log = 0;
    if ((rc = table_exists(st, "audit_log", &has_log, err)) != LEVY_OK)
        goto done;
    if (has_log) {
        char ch[160];
        snprintf(ch, sizeof ch, "{\"fingerprint\":{\"after\":\"%s\",\"before\":\"%s\"}}", fp,
                 fp_old);
        if ((rc = levy_audit_insert(st, "cli", "levy rotate-master-key", "master_key.rotated",
                                    "master_key", NULL, "Master key", ch, NULL, err)) != LEVY_OK)
            goto done;
    }
    if (!use_env) {
        /* the current key (master.key.prev once committed) and the new one are durable before
         * the commit, beside the files they replace: master.key.prev is replaced only once the
         * COMMIT succeeded, so a rotation that rolls back leaves it holding the key it held */
        if ((rc = write_key_file(prevnewp, old_key, err)) != LEVY_OK)
            goto done;
        wrote_prev = 1;
        if ((rc = write_key_file(newp, new_key, err)) != LEVY_OK)
            goto done;
        wrote_new = 1;
        if ((rc = fsync_dir(dir, err)) != LEVY_OK)
            goto done;
    }
    if (test_point("rollback_after_prev")) {
        rc = levy_err_set(err, LEVY_EIO, "io", "failed before the COMMIT (LEVY_TEST_ROTATE_CRASH)");
        goto done;
    }
    test_crash("before_commit");
    in_tx = 0; /* a failed commit ends the transaction too (rolled back) */
    /* The point of no return: once COMMIT is sent, master.key.new may be the only copy of the
     * key the database seals with, whatever the answer says (PostgreSQL: a connection lost
     * after the server committed reports a failure). It is never removed from here on; the
     * recovery (the next start, or the next rotation) renames or removes it by the
     * fingerprint the database records (settle_new_key). */
    wrote_new = wrote_prev = 0;
    rc = levy_store_commit(st, err);
    if (rc == LEVY_OK && test_point("commit_lost"))
        rc = levy_err_set(err, LEVY_EIO, "io", "connection lost (LEVY_TEST_ROTATE_CRASH)");
    if (rc != LEVY_OK) {
        rc = commit_failed(dir, pg, use_env, new_key, fp, fp_old, err);
        goto done;
    }
    test_crash("after_commit");
    if (!use_env) {
        /* master.key.prev first: a crash between the renames leaves master.key.new, which the
         * recovery renames (a master.key.prev.new alone is one that never committed) */
        if (rename(prevnewp, prevp) != 0) {
            rc = levy_err_set(err, LEVY_EIO, "io",
                              "the secrets are re-sealed but %s could not "
                              "be renamed to %s (%s); the next levy start or "
                              "rotate-master-key completes it: keep %s and %s",
                              prevnewp, prevp, strerror(errno), prevnewp, newp);
            goto done;
        }
        if (rename(newp, keyp) != 0) {
            rc = levy_err_set(err, LEVY_EIO, "io",
                              "the secrets are re-sealed but %s could not "
                              "be renamed to %s (%s); the next levy start or "
                              "rotate-master-key completes it: keep %s",
                              newp, keyp, strerror(errno), newp);
            goto done;
        }
        if ((rc = fsync_dir(dir, err)) != LEVY_OK) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            rc = levy_err_set(err, rc, "io",
                              "the secrets are re-sealed and master.key holds the new key, but "
                              "the rename may not be durable (%s): after a crash the next "
                              "start completes it again from master.key.new",
                              why);
            goto done;
        }
    }
    if (!pg) /* the old ciphertexts out of the WAL too */
        levy_store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
    long total = 0;
    for (int i = 0; i < ncols; i++) {
        printf("re-sealed %ld value(s) of %s.%s (plugin %s)\n", cols[i].count, cols[i].table,
               cols[i].column, cols[i].plugin);
        total += cols[i].count;
    }
    if (pg)
        printf("master key rotated on %s: %ld value(s) re-sealed, key fingerprint %s\n",
               levy_store_path(st), total, fp);
    else
        printf("master key rotated: %ld value(s) re-sealed, key fingerprint %s\n", total, fp);
    if (use_env) {
        char text[KEY_TEXT_CAP];
        levy_b64_encode(new_key, sizeof new_key, 0, text);
        printf("LEVY_MASTER_KEY is set: replace its value with this new key %s (it is shown "
               "only once; the old key no longer opens the secrets):\n%s\n",
               pg ? "on every replica before starting them" : "before starting levy", text);
        OPENSSL_cleanse(text, sizeof text);
    } else if (pg) {
        printf("new key in %s; the previous key is kept in %s for recovery. Copy %s to every "
               "other replica's data dir (or its LEVY_MASTER_KEY) before starting it: a replica "
               "with the old key refuses to start (fingerprint check). Once they run fine, "
               "delete %s (shred -u)\n",
               keyp, prevp, keyp, prevp);
    } else {
        printf("new key in %s; the previous key is kept in %s for recovery: once levy runs "
               "fine, delete it (shred -u %s)\n",
               keyp, prevp, prevp);
    }
    fflush(stdout);
done:
    if (in_tx) {
        levy_err e2;
        levy_err_clear(&e2);
        levy_store_rollback(st, &e2);
    }
    if (wrote_new)
        unlink(newp);
    if (wrote_prev)
        unlink(prevnewp);
    levy_store_close(st);
    if (lock_fd >= 0)
        close(lock_fd);
    free(cols);
    OPENSSL_cleanse(old_key, sizeof old_key);
    OPENSSL_cleanse(new_key, sizeof new_key);
    return rc;
}

int levy_rotate_master_key(levy_config *cfg, levy_rotate_build_fn build)
{
    levy_err err;
    levy_err_clear(&err);
    if (rotate(cfg, build, &err) != LEVY_OK) {
        fprintf(stderr, "levy rotate-master-key: %s\n", err.message);
        return 1;
    }
    return 0;
}
