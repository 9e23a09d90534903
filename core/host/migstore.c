/* levy migrate-store: a SQLite data dir onto PostgreSQL (see migstore.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "file.h"
#include "host/migstore.h"
#include "host/rotate.h"
#include "store/store.h"

#define BATCH_ROWS 200

typedef struct mtable {
    char name[128];
    char **cols; /* target columns, quoted, in the target's order */
    char **srcx; /* the source expression of each (the column, or rowid) */
    int *ident;  /* 1: an identity/serial column (setval after the copy) */
    int ncols;
    int files; /* 1: the files table, filled from DIR/files/ (levy.files), not from levy.db */
    long long src_rows, dst_rows;
    uint8_t src_sum[LEVY_SHA256_LEN], dst_sum[LEVY_SHA256_LEN];
} mtable;

static void free_tables(mtable *t, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < t[i].ncols; k++) {
            free(t[i].cols[k]);
            free(t[i].srcx[k]);
        }
        free(t[i].cols);
        free(t[i].srcx);
        free(t[i].ident);
    }
    free(t);
}

/* identifiers levy's migrations use: lower-case letters, digits, '_' */
static int plain_ident(const char *s)
{
    if (!s || !*s || strlen(s) >= 120)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int cmp_digest(const void *a, const void *b) { return memcmp(a, b, LEVY_SHA256_LEN); }

/* Count and checksum of table t on st (src: the source's expressions): SHA-256 over the
 * sorted SHA-256 of each row, a row being, per column, 'N' for NULL or 'V' + 8-byte length +
 * the column's text. */
static int checksum(levy_store *st, mtable *t, int src, long long *rows,
                    uint8_t sum[LEVY_SHA256_LEN], levy_err *err)
{
    size_t cap = 256;
    for (int k = 0; k < t->ncols; k++)
        cap += strlen(src ? t->srcx[k] : t->cols[k]) + 2;
    char *sql = malloc(cap + strlen(t->name));
    if (!sql)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    strcpy(sql, "SELECT ");
    for (int k = 0; k < t->ncols; k++) {
        if (k)
            strcat(sql, ", ");
        strcat(sql, src ? t->srcx[k] : t->cols[k]);
    }
    strcat(sql, " FROM \"");
    strcat(sql, t->name);
    strcat(sql, "\"");
    levy_stmt *s = NULL;
    int rc = levy_store_prepare(st, sql, &s, NULL, err);
    free(sql);
    if (rc)
        return rc;
    uint8_t *digests = NULL;
    size_t n = 0, ncap = 0, bcap = 0;
    unsigned char *buf = NULL;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        size_t len = 0;
        for (int k = 0; k < t->ncols; k++) {
            const char *v = levy_stmt_column_text(s, k);
            size_t vl = v ? levy_stmt_column_bytes(s, k) : 0;
            if (len + vl + 9 > bcap) {
                bcap = (len + vl + 9) * 2;
                unsigned char *nb = realloc(buf, bcap);
                if (!nb) {
                    rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                    goto done;
                }
                buf = nb;
            }
            if (!v) {
                buf[len++] = 'N';
                continue;
            }
            buf[len++] = 'V';
            for (int b = 7; b >= 0; b--)
                buf[len++] = (unsigned char)((uint64_t)vl >> (8 * b));
            memcpy(buf + len, v, vl);
            len += vl;
        }
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 256;
            uint8_t *nd = realloc(digests, ncap * LEVY_SHA256_LEN);
            if (!nd) {
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                goto done;
            }
            digests = nd;
        }
        if ((rc = levy_crypto_sha256(buf ? buf : (unsigned char *)"", len,
                                     digests + n * LEVY_SHA256_LEN, err)) != LEVY_OK)
            goto done;
        n++;
    }
    if (rc != LEVY_OK)
        goto done;
    if (n)
        qsort(digests, n, LEVY_SHA256_LEN, cmp_digest);
    rc = levy_crypto_sha256(digests ? digests : (uint8_t *)"", n * LEVY_SHA256_LEN, sum, err);
    *rows = (long long)n;
done:
    levy_stmt_finalize(s);
    free(digests);
    free(buf);
    return rc;
}

/* The target's columns of t (information_schema, in order), each paired with the source's. */
static int pair_columns(levy_store *src, levy_store *dst, mtable *t, levy_err *err)
{
    levy_stmt *s = NULL, *q = NULL;
    int rc = levy_store_prepare(dst,
                                "SELECT column_name, (is_identity = 'YES' OR column_default LIKE "
                                "'nextval(%') FROM information_schema.columns WHERE table_schema "
                                "= current_schema() AND table_name = ? ORDER BY ordinal_position",
                                &s, NULL, err);
    if (rc)
        return rc;
    if ((rc = levy_store_prepare(src, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?",
                                 &q, NULL, err)) != LEVY_OK) {
        levy_stmt_finalize(s);
        return rc;
    }
    levy_stmt_bind_text(s, 1, t->name, -1);
    int cap = 0;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        const char *c = levy_stmt_column_text(s, 0);
        if (!plain_ident(c)) {
            rc = levy_err_set(err, LEVY_EINVAL, "schema", "table %s: unexpected column name %s",
                              t->name, c ? c : "(null)");
            break;
        }
        levy_stmt_reset(q);
        levy_stmt_bind_text(q, 1, t->name, -1);
        levy_stmt_bind_text(q, 2, c, -1);
        if ((rc = levy_stmt_step(q, err)) != LEVY_STMT_ROW)
            break;
        int in_src = levy_stmt_column_int64(q, 0) > 0;
        if (!in_src && strcmp(c, "rowid") != 0) {
            rc = levy_err_set(err, LEVY_EINVAL, "schema",
                              "table %s: column %s is in the PostgreSQL schema but not in the "
                              "SQLite one (migrations of another levy version?)",
                              t->name, c);
            break;
        }
        if (t->ncols == cap) {
            cap = cap ? cap * 2 : 16;
            char **nc = realloc(t->cols, (size_t)cap * sizeof *nc);
            if (nc)
                t->cols = nc;
            char **nx = realloc(t->srcx, (size_t)cap * sizeof *nx);
            if (nx)
                t->srcx = nx;
            int *ni = realloc(t->ident, (size_t)cap * sizeof *ni);
            if (ni)
                t->ident = ni;
            if (!nc || !nx || !ni) {
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                break;
            }
        }
        char qc[130];
        snprintf(qc, sizeof qc, "\"%s\"", c);
        t->cols[t->ncols] = strdup(qc);
        t->srcx[t->ncols] = strdup(in_src ? qc : "rowid");
        t->ident[t->ncols] = levy_stmt_column_int64(s, 1) != 0;
        t->ncols++;
        rc = LEVY_OK;
    }
    levy_stmt_finalize(s);
    levy_stmt_finalize(q);
    if (rc == LEVY_OK && t->ncols == 0)
        rc = levy_err_set(err, LEVY_EINVAL, "schema",
                          "table %s is in the SQLite store but not in the PostgreSQL one", t->name);
    if (rc == LEVY_OK) { /* every source column must have its target */
        char sql[256], n[16];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info(?)");
        if ((rc = levy_store_query_text(src, sql, t->name, n, sizeof n, err)) == LEVY_OK) {
            int in_rowid = 0;
            for (int k = 0; k < t->ncols; k++)
                in_rowid += strcmp(t->srcx[k], "rowid") == 0;
            if (atoi(n) != t->ncols - in_rowid)
                rc = levy_err_set(err, LEVY_EINVAL, "schema",
                                  "table %s: the SQLite table has %s columns, the PostgreSQL one "
                                  "%d (migrations of another levy version?)",
                                  t->name, n, t->ncols - in_rowid);
        }
    }
    return rc;
}

/* ALTER TABLE ... DISABLE or ENABLE TRIGGER USER on every table of the copy. */
static int set_triggers(levy_store *dst, const mtable *tabs, int ntab, const char *how,
                        levy_err *err)
{
    for (int i = 0; i < ntab; i++) {
        char q[200];
        snprintf(q, sizeof q, "ALTER TABLE \"%s\" %s TRIGGER USER", tabs[i].name, how);
        int rc = levy_store_exec(dst, q, err);
        if (rc != LEVY_OK)
            return rc;
    }
    return LEVY_OK;
}

/* Copies t's rows from src into dst (in dst's open transaction), then sets its sequences. */
static int copy_table(levy_store *src, levy_store *dst, mtable *t, levy_err *err)
{
    char del[200];
    snprintf(del, sizeof del, "DELETE FROM \"%s\"", t->name);
    int rc = levy_store_exec(dst, del, err);
    if (rc)
        return rc;
    size_t cap = 256 + strlen(t->name);
    for (int k = 0; k < t->ncols; k++)
        cap += strlen(t->srcx[k]) + strlen(t->cols[k]) + 4;
    char *sel = malloc(cap), *head = malloc(cap);
    /* per row "(" + "?" + ", ?" per column + ")" + ", " */
    char *ins = malloc(cap + (size_t)BATCH_ROWS * ((size_t)t->ncols * 3 + 6));
    levy_stmt *s = NULL, *w = NULL;
    if (!sel || !head || !ins) {
        rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        goto done;
    }
    strcpy(sel, "SELECT ");
    snprintf(head, cap, "INSERT INTO \"%s\" (", t->name);
    for (int k = 0; k < t->ncols; k++) {
        strcat(sel, k ? ", " : "");
        strcat(sel, t->srcx[k]);
        strcat(head, k ? ", " : "");
        strcat(head, t->cols[k]);
    }
    strcat(sel, " FROM \"");
    strcat(sel, t->name);
    strcat(sel, "\"");
    strcat(head, ") OVERRIDING SYSTEM VALUE VALUES ");
    if ((rc = levy_store_prepare(src, sel, &s, NULL, err)) != LEVY_OK)
        goto done;
    int more = 1;
    int batch_stmt_rows = 0;
    while (more) {
        /* read up to BATCH_ROWS rows, binding them into one INSERT */
        int nrows = 0;
        /* the statement for a full batch is prepared once and reused; the last, shorter batch
         * gets its own */
        char **vals = NULL;
        int *types = NULL;
        size_t *lens = NULL;
        size_t nv = (size_t)BATCH_ROWS * (size_t)t->ncols;
        vals = calloc(nv, sizeof *vals);
        types = calloc(nv, sizeof *types);
        lens = calloc(nv, sizeof *lens);
        if (!vals || !types || !lens) {
            free(vals);
            free(types);
            free(lens);
            rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            goto done;
        }
        while (nrows < BATCH_ROWS) {
            rc = levy_stmt_step(s, err);
            if (rc != LEVY_STMT_ROW) {
                more = 0;
                break;
            }
            for (int k = 0; k < t->ncols; k++) {
                size_t i = (size_t)nrows * (size_t)t->ncols + (size_t)k;
                types[i] = levy_stmt_column_type(s, k);
                const char *v = levy_stmt_column_text(s, k);
                if (v) {
                    lens[i] = levy_stmt_column_bytes(s, k);
                    vals[i] = malloc(lens[i] + 1);
                    if (vals[i]) {
                        memcpy(vals[i], v, lens[i]);
                        vals[i][lens[i]] = 0;
                    }
                } else
                    types[i] = LEVY_COL_NULL;
            }
            nrows++;
            rc = LEVY_OK;
        }
        if (rc == LEVY_OK && nrows > 0) {
            if (!w || batch_stmt_rows != nrows) {
                levy_stmt_finalize(w);
                w = NULL;
                strcpy(ins, head);
                for (int r = 0; r < nrows; r++) {
                    strcat(ins, r ? ", (" : "(");
                    for (int k = 0; k < t->ncols; k++)
                        strcat(ins, k ? ", ?" : "?");
                    strcat(ins, ")");
                }
                rc = levy_store_prepare(dst, ins, &w, NULL, err);
                batch_stmt_rows = nrows;
            } else
                levy_stmt_reset(w);
            for (int i = 0; rc == LEVY_OK && i < nrows * t->ncols; i++) {
                if (types[i] == LEVY_COL_NULL)
                    levy_stmt_bind_null(w, i + 1);
                else if (types[i] == LEVY_COL_INT)
                    levy_stmt_bind_int64(w, i + 1, strtoll(vals[i], NULL, 10));
                else if (!vals[i])
                    rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                else
                    levy_stmt_bind_text(w, i + 1, vals[i], (long)lens[i]);
            }
            if (rc == LEVY_OK)
                rc = levy_stmt_step(w, err);
        }
        for (size_t i = 0; i < nv; i++)
            free(vals[i]);
        free(vals);
        free(types);
        free(lens);
        if (rc != LEVY_OK)
            goto done;
    }
    for (int k = 0; k < t->ncols; k++) {
        if (!t->ident[k])
            continue;
        char q[600];
        /* cols[k] is "name" quoted; pg_get_serial_sequence takes the bare column name */
        char bare[128];
        snprintf(bare, sizeof bare, "%.*s", (int)strlen(t->cols[k]) - 2, t->cols[k] + 1);
        snprintf(q, sizeof q,
                 "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), m) FROM (SELECT "
                 "max(%s) AS m FROM \"%s\") x WHERE m IS NOT NULL",
                 t->name, bare, t->cols[k], t->name);
        char out[64];
        if ((rc = levy_store_query_text(dst, q, NULL, out, sizeof out, err)) != LEVY_OK)
            goto done;
    }
    rc = LEVY_OK;
done:
    levy_stmt_finalize(s);
    levy_stmt_finalize(w);
    free(sel);
    free(head);
    free(ins);
    return rc;
}

/* ---- the data dir's files (levy.files) into the files table ---------------------------- */

/* A segment levy.files accepts ([A-Za-z0-9_-], 1..64 bytes): what lies under DIR/files/ in
 * another shape (the trash folder .removed, a put's temporary file) no plugin can read. */
static int file_seg(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

typedef struct dfile {
    char dir[72], name[72]; /* file_seg names: at most 64 characters */
    long long mtime;
} dfile;

static int keep_seg(void *ud, const char *path, const char *name, const struct stat *st)
{
    (void)ud, (void)path, (void)st;
    return file_seg(name);
}

/* The files levy.files.get would find under DIR/files/ (sorted by folder, then name: each
 * listing's strcmp order; *n = 0 without the folder). */
static int list_data_files(const char *data_dir, dfile **out, int *n, levy_err *err)
{
    char top[PATH_MAX], sub[PATH_MAX], path[PATH_MAX];
    *out = NULL;
    *n = 0;
    snprintf(top, sizeof top, "%s/files", data_dir);
    char **dirs;
    size_t ndirs;
    if (levy_dir_list(top, keep_seg, NULL, &dirs, &ndirs) != 0)
        return errno == ENOMEM ? levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory")
                               : LEVY_OK; /* no file was ever put */
    int cap = 0, rc = LEVY_OK;
    for (size_t i = 0; rc == LEVY_OK && i < ndirs; i++) {
        if (snprintf(sub, sizeof sub, "%s/%s", top, dirs[i]) >= (int)sizeof sub)
            continue;
        char **names;
        size_t nnames;
        if (levy_dir_list(sub, keep_seg, NULL, &names, &nnames) != 0) {
            if (errno == ENOMEM)
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            continue; /* not a folder, or unreadable: passed over */
        }
        for (size_t k = 0; k < nnames; k++) {
            struct stat st;
            if (snprintf(path, sizeof path, "%s/%s", sub, names[k]) >= (int)sizeof path)
                continue;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                dfile *nf = realloc(*out, (size_t)cap * sizeof *nf);
                if (!nf) {
                    rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                    break;
                }
                *out = nf;
            }
            dfile *x = &(*out)[(*n)++];
            /* file_seg: at most 64 characters, so both fit with their NUL */
            memcpy(x->dir, dirs[i], strlen(dirs[i]) + 1);
            memcpy(x->name, names[k], strlen(names[k]) + 1);
            x->mtime = (long long)st.st_mtime;
        }
        levy_dir_list_free(names);
    }
    levy_dir_list_free(dirs);
    return rc;
}

/* One file's entry in the files checksum: SHA-256 of "dir/name" NUL hex(SHA-256(body)). */
static int file_digest(const char *dir, const char *name, const char *body_hex,
                       uint8_t out[LEVY_SHA256_LEN], levy_err *err)
{
    char buf[72 * 2 + 2 * LEVY_SHA256_LEN + 4];
    int n = snprintf(buf, sizeof buf, "%s/%s", dir, name);
    buf[n++] = 0;
    memcpy(buf + n, body_hex, 2 * LEVY_SHA256_LEN);
    return levy_crypto_sha256(buf, (size_t)n + 2 * LEVY_SHA256_LEN, out, err);
}

static int sum_digests(uint8_t *digests, size_t n, uint8_t sum[LEVY_SHA256_LEN], levy_err *err)
{
    if (n)
        qsort(digests, n, LEVY_SHA256_LEN, cmp_digest);
    return levy_crypto_sha256(digests ? digests : (uint8_t *)"", n * LEVY_SHA256_LEN, sum, err);
}

/* Count and checksum of the data dir's files (read from disk). */
static int files_checksum_src(const char *data_dir, const dfile *f, int n, long long *rows,
                              uint8_t sum[LEVY_SHA256_LEN], levy_err *err)
{
    uint8_t *digests = calloc((size_t)n + 1, LEVY_SHA256_LEN);
    if (!digests)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    int rc = LEVY_OK;
    for (int i = 0; rc == LEVY_OK && i < n; i++) {
        char path[PATH_MAX], *body = NULL, hex[2 * LEVY_SHA256_LEN + 1];
        uint8_t h[LEVY_SHA256_LEN];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/files/%s/%s", data_dir, f[i].dir, f[i].name);
        if ((rc = levy_file_read(path, 0, &body, &len, err)) != LEVY_OK)
            break;
        rc = levy_crypto_sha256(body, len, h, err);
        free(body);
        if (rc == LEVY_OK) {
            levy_crypto_hex(h, sizeof h, hex);
            rc = file_digest(f[i].dir, f[i].name, hex, digests + (size_t)i * LEVY_SHA256_LEN, err);
        }
    }
    if (rc == LEVY_OK)
        rc = sum_digests(digests, (size_t)n, sum, err);
    *rows = n;
    free(digests);
    return rc;
}

/* Count and checksum of the target's files table (the server hashes each body). */
static int files_checksum_dst(levy_store *dst, long long *rows, uint8_t sum[LEVY_SHA256_LEN],
                              levy_err *err)
{
    levy_stmt *s = NULL;
    int rc = levy_store_prepare(dst, "SELECT dir, name, encode(sha256(data), 'hex') FROM files", &s,
                                NULL, err);
    if (rc)
        return rc;
    uint8_t *digests = NULL;
    size_t n = 0, cap = 0;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        const char *d = levy_stmt_column_text(s, 0), *nm = levy_stmt_column_text(s, 1),
                   *hx = levy_stmt_column_text(s, 2);
        if (!d || !nm || !hx || strlen(d) > 64 || strlen(nm) > 64 ||
            strlen(hx) != 2 * LEVY_SHA256_LEN) {
            rc = levy_err_set(err, LEVY_EINVAL, "schema", "unexpected row in the files table");
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint8_t *nd = realloc(digests, cap * LEVY_SHA256_LEN);
            if (!nd) {
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                break;
            }
            digests = nd;
        }
        if ((rc = file_digest(d, nm, hx, digests + n * LEVY_SHA256_LEN, err)) != LEVY_OK)
            break;
        n++;
        rc = LEVY_OK;
    }
    levy_stmt_finalize(s);
    if (rc == LEVY_OK)
        rc = sum_digests(digests, n, sum, err);
    *rows = (long long)n;
    free(digests);
    return rc;
}

/* Writes every data dir file into the target's files table (its open transaction). */
static int copy_files(const char *data_dir, levy_store *dst, const dfile *f, int n, levy_err *err)
{
    int rc = levy_store_exec(dst, "DELETE FROM files", err);
    levy_stmt *w = NULL;
    if (rc == LEVY_OK)
        rc = levy_store_prepare(dst,
                                "INSERT INTO files(dir, name, data, size, mtime) VALUES (?, ?, "
                                "decode(?, 'hex'), ?, ?)",
                                &w, NULL, err);
    for (int i = 0; rc == LEVY_OK && i < n; i++) {
        char path[PATH_MAX], *body = NULL, *hex = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/files/%s/%s", data_dir, f[i].dir, f[i].name);
        if ((rc = levy_file_read(path, 0, &body, &len, err)) != LEVY_OK)
            break;
        hex = malloc(2 * len + 1);
        if (!hex) {
            free(body);
            rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            break;
        }
        levy_crypto_hex(body, len, hex);
        free(body);
        levy_stmt_reset(w);
        levy_stmt_bind_text(w, 1, f[i].dir, -1);
        levy_stmt_bind_text(w, 2, f[i].name, -1);
        levy_stmt_bind_text(w, 3, hex, (long)(2 * len));
        levy_stmt_bind_int64(w, 4, (int64_t)len);
        levy_stmt_bind_int64(w, 5, (int64_t)f[i].mtime);
        rc = levy_stmt_step(w, err);
        free(hex);
    }
    levy_stmt_finalize(w);
    return rc;
}

static void summary(mtable *t, int n, const char *dst_label)
{
    printf("%-32s %10s %10s  %s\n", "table", "sqlite", dst_label, "checksum");
    for (int i = 0; i < n; i++) {
        char hex[2 * LEVY_SHA256_LEN + 1];
        levy_crypto_hex(t[i].src_sum, 8, hex);
        int same = t[i].src_rows == t[i].dst_rows &&
                   memcmp(t[i].src_sum, t[i].dst_sum, LEVY_SHA256_LEN) == 0;
        printf("%-32s %10lld %10lld  %s %s\n", t[i].files ? "files (DIR/files/)" : t[i].name,
               t[i].src_rows, t[i].dst_rows, hex, same ? "ok" : "DIFFERS");
    }
}

int levy_migstore_cli(levy_config *cfg)
{
    const char *dir = cfg->data_dir, *url = cfg->database;
    levy_err e;
    levy_err_clear(&e);
    if (!url[0] || !levy_store_is_url(url)) {
        /* a usage error: one line with the pointer to the help, as config.c's (issue 20) */
        fprintf(stderr, "levy migrate-store: --to needs a postgres:// or postgresql:// URL (the "
                        "target database); see levy migrate-store --help\n");
        return 2;
    }
    char dbp[PATH_MAX];
    if (snprintf(dbp, sizeof dbp, "%s/levy.db", dir) >= (int)sizeof dbp || access(dbp, R_OK) != 0) {
        fprintf(stderr,
                "levy migrate-store: %s/levy.db does not exist or cannot be read (--from "
                "DIR: the data dir of the levy to move)\n",
                dir);
        return 1;
    }
    int lock_fd = -1, rc, exit_code = 1, ntab = 0, began = 0;
    levy_store *src = NULL, *dst = NULL;
    mtable *tabs = NULL;
    levy_stmt *s = NULL;
    dfile *dfiles = NULL;
    int ndfiles = 0;
    if (levy_datadir_lock(dir, &lock_fd, &e) != LEVY_OK) {
        fprintf(stderr,
                "levy migrate-store: %s; stop it first (the copy must be of a store no "
                "levy writes)\n",
                e.message);
        return 1;
    }
    if ((rc = levy_store_connect(&src, dbp, LEVY_STORE_READONLY, &e)) != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: cannot open %s read-only: %s\n", dbp, e.message);
        goto out;
    }
    /* the master key: the copy keeps the sealed bytes, so the key that serves it must be the
     * one the source records */
    char fp_src[LEVY_ROTATE_FP_LEN + 1 + 8];
    if ((rc = levy_store_query_text(src,
                                    "SELECT value FROM meta WHERE key = 'master_key_fingerprint'",
                                    NULL, fp_src, sizeof fp_src, &e)) != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: %s: %s\n", dbp, e.message);
        goto out;
    }
    {
        const char *env = getenv("LEVY_MASTER_KEY");
        char keyp[PATH_MAX];
        snprintf(keyp, sizeof keyp, "%s/master.key", dir);
        int have = (env && *env) || access(keyp, F_OK) == 0;
        if (have && fp_src[0]) {
            uint8_t key[LEVY_KEY_LEN];
            char fp[LEVY_ROTATE_FP_LEN + 1];
            rc = levy_crypto_master_key_load(dir, key, &e);
            if (rc == LEVY_OK)
                rc = levy_rotate_fingerprint(key, fp, &e);
            OPENSSL_cleanse(key, sizeof key);
            if (rc != LEVY_OK) {
                fprintf(stderr, "levy migrate-store: master key: %s\n", e.message);
                goto out;
            }
            if (strcmp(fp, fp_src) != 0) {
                fprintf(stderr,
                        "levy migrate-store: the master key from %s has fingerprint %s, but %s "
                        "was sealed with the key of fingerprint %s: the copied secrets would "
                        "not open. Use the data dir's own key (unset LEVY_MASTER_KEY or set it "
                        "to that key)\n",
                        env && *env ? "LEVY_MASTER_KEY" : keyp, fp, dbp, fp_src);
                goto out;
            }
        }
    }
    if ((rc = levy_store_open(&dst, url, 0, &e)) != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: the target database: %s\n", e.message);
        goto out;
    }
    /* the migrations' advisory lock for the whole run: a levy serve starting on the target
     * waits at its migrations until the copy committed or rolled back, and a second
     * migrate-store waits, then finds "already copied" (session-level: the plugin migrations
     * below take it again, re-entrantly; closing the connection releases it) */
    if ((rc = levy_store_lock_migrations(dst, 1, &e)) != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: locking the target: %s\n", e.message);
        goto out;
    }
    /* 1. schema versions: every plugin the source has, migrated to the same version */
    if ((rc = levy_store_prepare(src,
                                 "SELECT plugin, max(version) FROM schema_migrations GROUP BY "
                                 "plugin ORDER BY plugin",
                                 &s, NULL, &e)) != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: %s is not a levy store: %s\n", dbp, e.message);
        goto out;
    }
    while ((rc = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
        const char *plugin = levy_stmt_column_text(s, 0);
        int want = (int)levy_stmt_column_int64(s, 1), have = 0;
        char pdir[PATH_MAX];
        if (!plain_ident(plugin)) {
            fprintf(stderr, "levy migrate-store: unexpected plugin name in schema_migrations\n");
            goto out;
        }
        if (strcmp(plugin, "core") != 0) {
            snprintf(pdir, sizeof pdir, "%s/%s/migrations", cfg->plugins_dir, plugin);
            if ((rc = levy_store_migrate_dir(dst, plugin, pdir, &e)) != LEVY_OK) {
                fprintf(stderr, "levy migrate-store: migrating plugin %s on the target (%s): %s\n",
                        plugin, pdir, e.message);
                goto out;
            }
        }
        if ((rc = levy_store_schema_version(dst, plugin, &have, &e)) != LEVY_OK) {
            fprintf(stderr, "levy migrate-store: %s\n", e.message);
            goto out;
        }
        if (have != want) {
            fprintf(stderr,
                    "levy migrate-store: %s schema version %d in the source, %d on the target "
                    "after migrating (--plugins %s): copy with the levy that wrote the data "
                    "dir\n",
                    plugin, want, have, cfg->plugins_dir);
            goto out;
        }
    }
    levy_stmt_finalize(s);
    s = NULL;
    if (rc != LEVY_OK) {
        fprintf(stderr, "levy migrate-store: %s\n", e.message);
        goto out;
    }
    /* 2. the tables */
    if ((rc = levy_store_prepare(src,
                                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                 "NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' AND name "
                                 "<> 'files' ORDER BY name",
                                 &s, NULL, &e)) != LEVY_OK)
        goto fail;
    int cap = 0;
    while ((rc = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
        const char *name = levy_stmt_column_text(s, 0);
        if (!plain_ident(name)) {
            rc = levy_err_set(&e, LEVY_EINVAL, "schema", "unexpected table name %s",
                              name ? name : "");
            break;
        }
        if (ntab == cap) {
            cap = cap ? cap * 2 : 32;
            mtable *nt = realloc(tabs, (size_t)cap * sizeof *nt);
            if (!nt) {
                rc = levy_err_set(&e, LEVY_ENOMEM, "nomem", "out of memory");
                break;
            }
            tabs = nt;
        }
        memset(&tabs[ntab], 0, sizeof tabs[ntab]);
        snprintf(tabs[ntab].name, sizeof tabs[ntab].name, "%s", name);
        ntab++;
        rc = LEVY_OK;
    }
    levy_stmt_finalize(s);
    s = NULL;
    if (rc != LEVY_OK)
        goto fail;
    /* the files of levy.files: on SQLite under DIR/files/, on PostgreSQL in the files table
     * (core/lua/bind_files.c), copied and verified like a table */
    if (ntab == cap) {
        mtable *nt = realloc(tabs, (size_t)(cap + 1) * sizeof *nt);
        if (!nt) {
            rc = levy_err_set(&e, LEVY_ENOMEM, "nomem", "out of memory");
            goto fail;
        }
        tabs = nt;
    }
    memset(&tabs[ntab], 0, sizeof tabs[ntab]);
    snprintf(tabs[ntab].name, sizeof tabs[ntab].name, "files");
    tabs[ntab].files = 1;
    ntab++;
    if ((rc = list_data_files(dir, &dfiles, &ndfiles, &e)) != LEVY_OK)
        goto fail;
    for (int i = 0; i < ntab; i++)
        if (!tabs[i].files && (rc = pair_columns(src, dst, &tabs[i], &e)) != LEVY_OK)
            goto fail;
    for (int i = 0; i < ntab; i++)
        if ((rc = tabs[i].files ? files_checksum_src(dir, dfiles, ndfiles, &tabs[i].src_rows,
                                                     tabs[i].src_sum, &e)
                                : checksum(src, &tabs[i], 1, &tabs[i].src_rows, tabs[i].src_sum,
                                           &e)) != LEVY_OK)
            goto fail;
    /* 3. a target that was served or copied already */
    char nmeta[32];
    if ((rc = levy_store_query_text(dst, "SELECT count(*) FROM meta", NULL, nmeta, sizeof nmeta,
                                    &e)) != LEVY_OK)
        goto fail;
    if (atoll(nmeta) > 0) {
        int same = 1;
        for (int i = 0; i < ntab; i++) {
            if ((rc = tabs[i].files
                          ? files_checksum_dst(dst, &tabs[i].dst_rows, tabs[i].dst_sum, &e)
                          : checksum(dst, &tabs[i], 0, &tabs[i].dst_rows, tabs[i].dst_sum, &e)) !=
                LEVY_OK)
                goto fail;
            same &= tabs[i].src_rows == tabs[i].dst_rows &&
                    memcmp(tabs[i].src_sum, tabs[i].dst_sum, LEVY_SHA256_LEN) == 0;
        }
        summary(tabs, ntab, "postgres");
        if (same) {
            printf("already copied: every table of %s equals %s (%d tables); nothing written\n",
                   dbp, levy_store_path(dst), ntab);
            exit_code = 0;
        } else
            fprintf(stderr,
                    "levy migrate-store: %s already holds levy data that differs from %s (the "
                    "tables marked DIFFERS); refusing to overwrite it. Give an empty database "
                    "(CREATE DATABASE ...)\n",
                    levy_store_path(dst), dbp);
        goto out;
    }
    /* 4. the copy, in one transaction; 5. verified before it commits */
    if ((rc = levy_store_begin(dst, &e)) != LEVY_OK)
        goto fail;
    began = 1;
    long long total = 0;
    int same = 1;
    /* the rows as they are: no trigger of the target (the api plugin's cache stamp) runs
     * while they are written; ALTER TABLE is transactional, so they come back at COMMIT or
     * ROLLBACK alike */
    if ((rc = set_triggers(dst, tabs, ntab, "DISABLE", &e)) != LEVY_OK)
        goto fail;
    for (int i = 0; i < ntab; i++) {
        if ((rc = tabs[i].files ? copy_files(dir, dst, dfiles, ndfiles, &e)
                                : copy_table(src, dst, &tabs[i], &e)) != LEVY_OK) {
            fprintf(stderr, "levy migrate-store: copying table %s: %s\n", tabs[i].name, e.message);
            goto out;
        }
    }
    if ((rc = set_triggers(dst, tabs, ntab, "ENABLE", &e)) != LEVY_OK)
        goto fail;
    for (int i = 0; i < ntab; i++) {
        if ((rc = tabs[i].files ? files_checksum_dst(dst, &tabs[i].dst_rows, tabs[i].dst_sum, &e)
                                : checksum(dst, &tabs[i], 0, &tabs[i].dst_rows, tabs[i].dst_sum,
                                           &e)) != LEVY_OK)
            goto fail;
        same &= tabs[i].src_rows == tabs[i].dst_rows &&
                memcmp(tabs[i].src_sum, tabs[i].dst_sum, LEVY_SHA256_LEN) == 0;
        total += tabs[i].dst_rows;
    }
    summary(tabs, ntab, "postgres");
    if (!same) {
        fprintf(stderr, "levy migrate-store: the copy differs from the source (the tables marked "
                        "DIFFERS); rolled back, nothing written\n");
        goto out;
    }
    if ((rc = levy_store_commit(dst, &e)) != LEVY_OK)
        goto fail;
    began = 0;
    printf("copied %lld rows in %d tables (the files of %s/files/ among them) from %s to %s; "
           "counts and checksums match\n",
           total, ntab, dir, dbp, levy_store_path(dst));
    if (fp_src[0])
        printf("serve it with the master key of %s (fingerprint %s): levy serve --data-dir %s "
               "--database URL, or LEVY_MASTER_KEY\n",
               dir, fp_src, dir);
    exit_code = 0;
    goto out;
fail:
    fprintf(stderr, "levy migrate-store: %s\n", e.message);
out:
    if (began) {
        levy_err e2;
        levy_err_clear(&e2);
        levy_store_rollback(dst, &e2);
    }
    levy_stmt_finalize(s);
    free(dfiles);
    if (tabs)
        free_tables(tabs, ntab);
    levy_store_close(dst);
    levy_store_close(src);
    if (lock_fd >= 0)
        close(lock_fd);
    return exit_code;
}
