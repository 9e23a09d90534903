/* Test tool (issue 22, tests/pg/pg_prepare.py): an LD_PRELOAD library that appends the text of
 * every statement SQLite prepares to the file named by SQL_CAPTURE_LOG, one record per
 * statement ended by '\x1e'. levy runs unchanged; the SQL its plugins really send (built by
 * concatenation at run time) is then checked against the PostgreSQL schema. Not part of levy. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
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

static void capture(const char *sql, int n)
{
    const char *path = getenv("SQL_CAPTURE_LOG");
    if (!path || !sql)
        return;
    size_t len = n < 0 ? strlen(sql) : strnlen(sql, (size_t)n);
    char *buf = malloc(len + 1);
    if (!buf)
        return;
    memcpy(buf, sql, len);
    buf[len] = '\x1e';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t w = write(fd, buf, len + 1); /* one write: O_APPEND keeps records whole */
        (void)w;
        close(fd);
    }
    free(buf);
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
