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
 * Not for rule scripts (sandbox.lua RULE_MODULES). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "file.h"
#include "lctx.h"
#include "modules.h"
#include "removed.h"

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

static int f_put(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.put", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    const char *name = seg(L, 2, "name");
    size_t len = 0;
    const char *data = luaL_checklstring(L, 3, &len);
    char top[4096], folder[4096], path[4096], tmp[4200];
    path_of(L, top, sizeof top, NULL, NULL);
    path_of(L, folder, sizeof folder, dir, NULL);
    path_of(L, path, sizeof path, dir, name);
    if ((mkdir(top, 0700) != 0 && errno != EEXIST) || (mkdir(folder, 0700) != 0 && errno != EEXIST))
        return luaL_error(L, "levy.files: cannot create %s: %s", folder, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return luaL_error(L, "levy.files: cannot create %s: %s", tmp, strerror(errno));
    size_t off = 0;
    int ok = 1;
    while (ok && off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            ok = 0;
        else
            off += (size_t)w;
    }
    int e = errno;
    if (ok && fsync(fd) != 0) {
        ok = 0;
        e = errno;
    }
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        return luaL_error(L, "levy.files: cannot write %s: %s", path, strerror(e));
    }
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
    char top[4096], folder[4096], path[4096], tbase[4200], trash[4300], tpath[4400];
    path_of(L, top, sizeof top, NULL, NULL);
    path_of(L, folder, sizeof folder, dir, NULL);
    path_of(L, path, sizeof path, dir, name);
    snprintf(tbase, sizeof tbase, "%s/" LEVY_FILES_REMOVED_DIR, top);
    snprintf(trash, sizeof trash, "%s/%s", tbase, dir);
    snprintf(tpath, sizeof tpath, "%s/%s", trash, name);
    int kept = (mkdir(tbase, 0700) == 0 || errno == EEXIST) &&
               (mkdir(trash, 0700) == 0 || errno == EEXIST);
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

/* files.list(dir) -> { {name =, mtime = seconds since the epoch}, ... } of the folder's files
 * (temporary ones of a put in progress left out); {} when the folder does not exist. */
static int f_list(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.files.list", LEVY_CTX_REQUEST);
    const char *dir = seg(L, 1, "dir");
    char folder[4096], path[4096 + 300];
    path_of(L, folder, sizeof folder, dir, NULL);
    lua_newtable(L);
    DIR *d = opendir(folder);
    if (!d) {
        if (errno == ENOENT)
            return 1;
        return luaL_error(L, "levy.files: cannot read %s: %s", folder, strerror(errno));
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        lua_createtable(L, 0, 2);
        lua_pushstring(L, e->d_name);
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, (lua_Integer)st.st_mtime);
        lua_setfield(L, -2, "mtime");
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    return 1;
}

int luaopen_levy_files(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"put", f_put}, {"get", f_get}, {"remove", f_remove}, {"list", f_list}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
