/* levy.files: whole files a plugin keeps in the data dir (issue 20: exemption certificates),
 * under <data_dir>/files/<dir>/<name> only. dir and name are [A-Za-z0-9_-], 1..64 bytes, so
 * no path leaves that folder (not the store, keys, tokens or sign-in codes next to it).
 *
 *   files.put(dir, name, data) -> true | raises
 *       Durable before it returns: written to a temporary file, fsync'd, renamed over the name
 *       and the folder fsync'd. A caller records the file in the store only after put returned,
 *       so a crash leaves at most an unlisted file, never a row without its file.
 *   files.get(dir, name[, max]) -> data | nil (no such file) | raises (other I/O error)
 *   files.remove(dir, name) -> true (removed) | false (there was none) | raises
 *       Moved to <data_dir>/files/.removed/<dir>/<name>, kept there a day (then erased by a
 *       later remove or the host's hourly timer, core/base/removed.h): a `levy backup` running meanwhile still finds the file of a row its database
 *       snapshot holds (the row is deleted first, then the file removed). Never listed or got.
 *   files.list(dir) -> { {name, mtime}, ... } (seconds since the epoch; {} without the folder)
 *
 * On PostgreSQL (issue 22) the same API keeps the bodies in the database instead: the core
 * table files(dir, name, data bytea, size, mtime), so that every replica sharing the database
 * reads what any of them put. put is one INSERT ... ON CONFLICT (durable once it returns:
 * committed, or part of the caller's transaction when one is open), get / list read the table,
 * remove deletes the row (no trash folder: `levy backup` does not run on PostgreSQL, pg_dump
 * takes a consistent snapshot). The bytes travel hex-encoded (the engine binds text), so NUL
 * bytes survive. SQLite keeps the files on disk as above and leaves the table empty;
 * `levy migrate-store` copies the data dir's files into it (core/host/migstore.c).
 *
 * Not for rule scripts (sandbox.lua RULE_MODULES). */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "crypto/crypto.h"
#include "file.h"
#include "lctx.h"
#include "modules.h"
#include "removed.h"
#include "store/store.h"

#define SEG_MAX 64

static const char *seg(lua_State *L, int i, const char *what)
{
    size_t n = 0;
    const char *s = luaL_checklstring(L, i, &n);
    if (n == 0 || n > SEG_MAX)
        luaL_error(L, "levy.files: %s must be 1..%d bytes", what, SEG_MAX);
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            luaL_error(L, "levy.files: %s may hold only A-Z a-z 0-9 _ -", what);
    }
    return s;
}

/* <data_dir>/files[/dir[/name]] into buf; raises without a data dir. */
static void path_of(lua_State *L, char *buf, size_t cap, const char *dir, const char *name)
{
    levy_config *c = levy_lua_host(L, LEVY_HOST_CONFIG);
    if (!c || !c->data_dir[0])
        luaL_error(L, "levy.files: no data dir");
    int n = dir && name ? snprintf(buf, cap, "%s/files/%s/%s", c->data_dir, dir, name)
            : dir       ? snprintf(buf, cap, "%s/files/%s", c->data_dir, dir)
                        : snprintf(buf, cap, "%s/files", c->data_dir);
    if (n < 0 || (size_t)n >= cap)
        luaL_error(L, "levy.files: path too long");
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* ---- PostgreSQL: the files table ------------------------------------------------------- */

/* The store when it is PostgreSQL (the files live in its table), else NULL (on disk). */
static levy_store *pg_store(lua_State *L)
{
    levy_store *st = levy_lua_host(L, LEVY_HOST_STORE);
    return st && levy_store_engine(st) == LEVY_STORE_POSTGRES ? st : NULL;
}

/* Raises for a failed store call: 503 while the database is unreachable or busy (as
 * levy.store does), else the message. */
static int pg_raise(lua_State *L, int rc, const levy_err *err, const char *what)
{
    if (rc == LEVY_EBUSY || rc == LEVY_EIO)
        return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
    return luaL_error(L, "levy.files: %s: %s", what, err->message);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int pg_put(lua_State *L, levy_store *st, const char *dir, const char *name, const char *data,
                  size_t len)
{
    char *hex = malloc(2 * len + 1);
    if (!hex)
        return luaL_error(L, "levy.files: out of memory");
    levy_crypto_hex(data, len, hex);
    levy_err err;
    levy_err_clear(&err);
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "INSERT INTO files(dir, name, data, size, mtime) VALUES (?, ?, decode(?, 'hex'), ?, ?) "
        "ON CONFLICT (dir, name) DO UPDATE SET data = excluded.data, size = excluded.size, "
        "mtime = excluded.mtime",
        &err);
    int rc = s ? LEVY_OK : LEVY_EINVAL;
    if (s) {
        levy_stmt_bind_text(s, 1, dir, -1);
        levy_stmt_bind_text(s, 2, name, -1);
        levy_stmt_bind_text(s, 3, hex, (long)(2 * len));
        levy_stmt_bind_int64(s, 4, (int64_t)len);
        levy_stmt_bind_int64(s, 5, levy_clock_now_ms() / 1000);
        rc = levy_stmt_step(s, &err);
        levy_store_release(st, s);
    }
    free(hex);
    if (rc != LEVY_OK) /* plain text: the caller (certs.lua) logs it and answers 503 */
        return luaL_error(L, "levy.files: cannot store %s/%s in %s: %s", dir, name,
                          levy_store_path(st), err.message);
    lua_pushboolean(L, 1);
    return 1;
}

static int pg_get(lua_State *L, levy_store *st, const char *dir, const char *name, lua_Integer max)
{
    levy_err err;
    levy_err_clear(&err);
    /* the body only when within max, so an oversized one is never fetched */
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "SELECT size, CASE WHEN ? <= 0 OR size <= ? THEN encode(data, 'hex') END FROM files "
        "WHERE dir = ? AND name = ?",
        &err);
    if (!s)
        return pg_raise(L, LEVY_EINVAL, &err, "get");
    levy_stmt_bind_int64(s, 1, (int64_t)max);
    levy_stmt_bind_int64(s, 2, (int64_t)max);
    levy_stmt_bind_text(s, 3, dir, -1);
    levy_stmt_bind_text(s, 4, name, -1);
    int rc = levy_stmt_step(s, &err);
    if (rc == LEVY_OK) { /* no row */
        levy_store_release(st, s);
        lua_pushnil(L);
        return 1;
    }
    if (rc != LEVY_STMT_ROW) {
        levy_store_release(st, s);
        return pg_raise(L, rc, &err, "get");
    }
    int64_t size = levy_stmt_column_int64(s, 0);
    const char *hex = levy_stmt_column_text(s, 1);
    size_t hl = hex ? levy_stmt_column_bytes(s, 1) : 0;
    if (!hex || hl % 2 != 0 || (int64_t)(hl / 2) != size) {
        levy_store_release(st, s);
        if (!hex && max > 0 && size > max)
            return luaL_error(L, "levy.files: %s/%s is larger than %lld bytes", dir, name,
                              (long long)max);
        return luaL_error(L, "levy.files: %s/%s: the stored body does not match its size", dir,
                          name);
    }
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, hl / 2);
    for (size_t i = 0; i < hl / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            levy_store_release(st, s);
            return luaL_error(L, "levy.files: %s/%s: bad hex from the store", dir, name);
        }
        out[i] = (char)(hi << 4 | lo);
    }
    levy_store_release(st, s);
    luaL_pushresultsize(&b, hl / 2);
    return 1;
}

static int pg_remove(lua_State *L, levy_store *st, const char *dir, const char *name)
{
    levy_err err;
    levy_err_clear(&err);
    levy_stmt *s =
        levy_store_prepare_cached(st, "DELETE FROM files WHERE dir = ? AND name = ?", &err);
    if (!s)
        return pg_raise(L, LEVY_EINVAL, &err, "remove");
    levy_stmt_bind_text(s, 1, dir, -1);
    levy_stmt_bind_text(s, 2, name, -1);
    int rc = levy_stmt_step(s, &err);
    levy_store_release(st, s);
    if (rc != LEVY_OK)
        return pg_raise(L, rc, &err, "remove");
    lua_pushboolean(L, levy_store_changes(st) > 0);
    return 1;
}

static int pg_list(lua_State *L, levy_store *st, const char *dir)
{
    levy_err err;
    levy_err_clear(&err);
    levy_stmt *s = levy_store_prepare_cached(
        st, "SELECT name, mtime FROM files WHERE dir = ? ORDER BY name", &err);
    if (!s)
        return pg_raise(L, LEVY_EINVAL, &err, "list");
    levy_stmt_bind_text(s, 1, dir, -1);
    lua_newtable(L);
    int rc, n = 0;
    while ((rc = levy_stmt_step(s, &err)) == LEVY_STMT_ROW) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, levy_stmt_column_text(s, 0));
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, (lua_Integer)levy_stmt_column_int64(s, 1));
        lua_setfield(L, -2, "mtime");
        lua_rawseti(L, -2, ++n);
    }
    levy_store_release(st, s);
    if (rc != LEVY_OK)
        return pg_raise(L, rc, &err, "list");
    return 1;
}

static int f_put(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.put", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    const char *name = seg(L, 2, "name");
    size_t len = 0;
    const char *data = luaL_checklstring(L, 3, &len);
    levy_store *pst = pg_store(L);
    if (pst)
        return pg_put(L, pst, dir, name, data, len);
    char top[4096], folder[4096], path[4096];
    path_of(L, top, sizeof top, NULL, NULL);
    path_of(L, folder, sizeof folder, dir, NULL);
    path_of(L, path, sizeof path, dir, name);
    if (levy_mkdir_p(folder, 0700) != 0)
        return luaL_error(L, "levy.files: cannot create %s: %s", folder, strerror(errno));
    levy_err err;
    levy_err_clear(&err);
    if (levy_file_write(path, NULL, data, len, 0600, &err) != LEVY_OK)
        return luaL_error(L, "levy.files: %s", err.message);
    if (fsync_dir(folder) != 0 || fsync_dir(top) != 0)
        return luaL_error(L, "levy.files: cannot sync %s: %s", folder, strerror(errno));
    lua_pushboolean(L, 1);
    return 1;
}

static int f_get(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.get", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    const char *name = seg(L, 2, "name");
    lua_Integer max = luaL_optinteger(L, 3, 0);
    levy_store *pst = pg_store(L);
    if (pst)
        return pg_get(L, pst, dir, name, max);
    char path[4096];
    path_of(L, path, sizeof path, dir, name);
    char *buf = NULL;
    size_t len = 0;
    levy_err err;
    levy_err_clear(&err);
    int rc = levy_file_read(path, max > 0 ? (size_t)max : 0, &buf, &len, &err);
    if (rc == LEVY_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc != LEVY_OK)
        return luaL_error(L, "levy.files: %s", err.message);
    lua_pushlstring(L, buf, len);
    free(buf);
    return 1;
}

static int f_remove(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.remove", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    const char *name = seg(L, 2, "name");
    levy_store *pst = pg_store(L);
    if (pst)
        return pg_remove(L, pst, dir, name);
    char top[4096], folder[4096], path[4096], tbase[4200], trash[4300], tpath[4400];
    path_of(L, top, sizeof top, NULL, NULL);
    path_of(L, folder, sizeof folder, dir, NULL);
    path_of(L, path, sizeof path, dir, name);
    snprintf(tbase, sizeof tbase, "%s/" LEVY_FILES_REMOVED_DIR, top);
    snprintf(trash, sizeof trash, "%s/%s", tbase, dir);
    snprintf(tpath, sizeof tpath, "%s/%s", trash, name);
    int kept = levy_mkdir_p(trash, 0700) == 0;
    /* rename keeps the bytes for a backup in progress (its ctime says when); without the
     * folder (cannot be made) the file is unlinked as before */
    if (kept ? rename(path, tpath) != 0 : unlink(path) != 0) {
        if (errno == ENOENT) {
            lua_pushboolean(L, 0);
            return 1;
        }
        return luaL_error(L, "levy.files: cannot remove %s: %s", path, strerror(errno));
    }
    fsync_dir(folder);
    if (kept) {
        fsync_dir(trash);
        levy_config *c = levy_lua_host(L, LEVY_HOST_CONFIG);
        levy_files_purge_removed(c->data_dir, dir);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* One entry of f_list's folder: a file (not a temporary one of a put in progress) as
 * {name =, mtime =} at the end of the table on top of the stack. */
static uint64_t list_entry(void *ud, const char *path, const struct stat *st)
{
    lua_State *L = ud;
    const char *name = strrchr(path, '/') + 1;
    if (strstr(name, ".tmp.") || !S_ISREG(st->st_mode))
        return 0;
    lua_createtable(L, 0, 2);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)st->st_mtime);
    lua_setfield(L, -2, "mtime");
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 1;
}

/* files.list(dir) -> { {name =, mtime = seconds since the epoch}, ... } of the folder's files
 * (temporary ones of a put in progress left out); {} when the folder does not exist. */
static int f_list(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.list", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    levy_store *pst = pg_store(L);
    if (pst)
        return pg_list(L, pst, dir);
    char folder[4096];
    path_of(L, folder, sizeof folder, dir, NULL);
    lua_newtable(L);
    levy_dir_each(folder, 0, list_entry, L);
    if (errno != 0 && errno != ENOENT)
        return luaL_error(L, "levy.files: cannot read %s: %s", folder, strerror(errno));
    return 1;
}

int luaopen_levy_files(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"put", f_put}, {"get", f_get}, {"remove", f_remove}, {"list", f_list}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
