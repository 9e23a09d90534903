/* Test tool (issue 22, tests/pg/pg_prepare.py): an LD_PRELOAD library that appends the text of
 * every statement SQLite prepares to the file named by SQL_CAPTURE_LOG, one record per
 * statement ended by '\x1e', and for every parameter bound (sqlite3_bind_int64 / int / text64 /
 * null, what levy.store uses) a record "\x02" TYPE "\x1f" INDEX "\x1f" SQL '\x1e' (TYPE: integer,
 * boolean, text, null), so the checker can compare the types levy sends with the ones
 * PostgreSQL infers. levy runs unchanged; the SQL its plugins really send (built by
 * concatenation at run time) is then checked against the PostgreSQL schema. Not part of levy. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*prep_v2_fn)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
typedef int (*prep_v3_fn)(sqlite3 *, const char *, int, unsigned int, sqlite3_stmt **,
                          const char **);

/* The real function: the next definition, or libsqlite3's own when the library was loaded
 * RTLD_LOCAL (Python's _sqlite3 module) and so is not in the global scope. */
static void *real_fn(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        void *h = dlopen("libsqlite3.so.0", RTLD_LAZY | RTLD_NOLOAD);
        if (!h)
            h = dlopen("libsqlite3.so.0", RTLD_LAZY);
        if (h)
            f = dlsym(h, name);
    }
    return f;
}

static void capture_pre(const char *pre, const char *sql, int n)
{
    const char *path = getenv("SQL_CAPTURE_LOG");
    if (!path || !sql)
        return;
    size_t len = n < 0 ? strlen(sql) : strnlen(sql, (size_t)n), pl = strlen(pre);
    char *buf = malloc(pl + len + 1);
    if (!buf)
        return;
    memcpy(buf, pre, pl);
    memcpy(buf + pl, sql, len);
    len += pl;
    buf[len] = '\x1e';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, buf, len + 1); /* one write: O_APPEND keeps records whole */
        (void)w;
        close(fd);
    }
    free(buf);
}

static void capture(const char *sql, int n) { capture_pre("", sql, n); }

static void capture_bind(sqlite3_stmt *st, const char *type, int idx)
{
    char pre[64];
    snprintf(pre, sizeof pre, "\x02%s\x1f%d\x1f", type, idx);
    capture_pre(pre, sqlite3_sql(st), -1);
}

typedef int (*bind_i64_fn)(sqlite3_stmt *, int, sqlite3_int64);
typedef int (*bind_int_fn)(sqlite3_stmt *, int, int);
typedef int (*bind_null_fn)(sqlite3_stmt *, int);
typedef int (*bind_text64_fn)(sqlite3_stmt *, int, const char *, sqlite3_uint64, void (*)(void *),
                              unsigned char);

int sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v)
{
    static bind_i64_fn real;
    if (!real)
        real = (bind_i64_fn)real_fn("sqlite3_bind_int64");
    capture_bind(st, "integer", i);
    return real(st, i, v);
}

int sqlite3_bind_int(sqlite3_stmt *st, int i, int v)
{
    static bind_int_fn real;
    if (!real)
        real = (bind_int_fn)real_fn("sqlite3_bind_int");
    capture_bind(st, "boolean", i); /* levy.store binds a Lua boolean so, an integer with int64 */
    return real(st, i, v);
}

int sqlite3_bind_null(sqlite3_stmt *st, int i)
{
    static bind_null_fn real;
    if (!real)
        real = (bind_null_fn)real_fn("sqlite3_bind_null");
    capture_bind(st, "null", i);
    return real(st, i);
}

int sqlite3_bind_text64(sqlite3_stmt *st, int i, const char *v, sqlite3_uint64 n, void (*d)(void *),
                        unsigned char enc)
{
    static bind_text64_fn real;
    if (!real)
        real = (bind_text64_fn)real_fn("sqlite3_bind_text64");
    capture_bind(st, "text", i);
    return real(st, i, v, n, d, enc);
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **st, const char **tail)
{
    static prep_v2_fn real;
    if (!real)
        real = (prep_v2_fn)real_fn("sqlite3_prepare_v2");
    capture(sql, n);
    return real(db, sql, n, st, tail);
}

int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags, sqlite3_stmt **st,
                       const char **tail)
{
    static prep_v3_fn real;
    if (!real)
        real = (prep_v3_fn)real_fn("sqlite3_prepare_v3");
    capture(sql, n);
    return real(db, sql, n, flags, st, tail);
}
