/* Whole-file reading and writing, the folder walks and the sorted listing, mkdir -p. See
 * file.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

static int open_fail(const char *name, levy_err *err)
{
    int e = errno;
    return levy_err_set(err, e == ENOENT ? LEVY_ENOTFOUND : LEVY_EIO,
                        e == ENOENT ? "not_found" : "io_error", "%s: %s", name, strerror(e));
}

/* read() until cap bytes or end of file; EINTR retried. Returns the count, or -1 (errno). */
static ssize_t read_full(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

int levy_file_read(const char *path, size_t max, char **out, size_t *len, levy_err *err)
{
    int is_stdin = !path || strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    *out = NULL;
    *len = 0;
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_fail(name, err);
    int rc = LEVY_OK;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            if (max && cap > max) {
                rc = levy_err_set(err, LEVY_EINVAL, "too_large", "%s is larger than %zu bytes",
                                  name, max);
                goto done;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            if (max && ncap > max + 1)
                ncap = max + 1; /* one byte more than max tells "too large" from "exactly max" */
            char *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (!nb) {
                rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory reading %s",
                                  name);
                goto done;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read_full(fd, buf + n, cap - n);
        if (r < 0) {
            rc = levy_err_set(err, LEVY_EIO, "io_error", "%s: %s", name, strerror(errno));
            goto done;
        }
        n += (size_t)r;
        if (n < cap)
            break;
    }
    if (max && n > max) {
        rc = levy_err_set(err, LEVY_EINVAL, "too_large", "%s is larger than %zu bytes", name, max);
        goto done;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    if (!is_stdin)
        close(fd);
    return rc;
}

int levy_file_read_into(const char *path, char *buf, size_t cap, size_t *len, levy_err *err)
{
    *len = 0;
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return open_fail(path, err);
    /* one byte more than fits tells a file of exactly cap - 1 bytes from a longer one */
    char extra;
    ssize_t r = read_full(fd, buf, cap - 1);
    ssize_t more = r == (ssize_t)(cap - 1) ? read_full(fd, &extra, 1) : 0;
    int e = errno;
    close(fd);
    if (r < 0 || more < 0) {
        memset(buf, 0, cap);
        return levy_err_set(err, LEVY_EIO, "io_error", "%s: %s", path, strerror(e));
    }
    if (more > 0) {
        memset(buf, 0, cap);
        return levy_err_set(err, LEVY_EINVAL, "too_large", "%s is larger than %zu bytes", path,
                            cap - 1);
    }
    buf[r] = '\0';
    *len = (size_t)r;
    return LEVY_OK;
}

uint64_t levy_dir_each(const char *dir, int nofollow, levy_dir_fn fn, void *ud)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* errno: opendir's */
    uint64_t sum = 0;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            (nofollow ? lstat(path, &st) : stat(path, &st)) != 0)
            continue;
        sum += fn(ud, path, &st);
    }
    closedir(d);
    errno = 0; /* walked: not a stat's or fn's leftover */
    return sum;
}

/* One listed entry: its name, and its stat when asked for and it could be taken. */
typedef struct dir_ent {
    char *name;
    int has_st;
    struct stat st;
} dir_ent;

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const dir_ent *)a)->name, ((const dir_ent *)b)->name);
}

static void ents_free(dir_ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

/* The entries of dir not starting with '.', stat'ed (followed) when with_st, that keep
 * accepts, sorted by strcmp. 0, or -1 with errno. */
static int dir_read(const char *dir, int with_st, levy_dir_keep_fn keep, void *ud, dir_ent **out,
                    size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1; /* errno: opendir's */
    dir_ent *v = NULL;
    size_t cnt = 0, cap = 0;
    int e = 0;
    char path[PATH_MAX];
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            e = errno; /* 0: the end */
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        dir_ent x = {0};
        if (with_st || keep) {
            if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
                continue; /* cannot be named: passed over, as levy_dir_each does */
            x.has_st = stat(path, &x.st) == 0;
            if (keep && !keep(ud, path, de->d_name, x.has_st ? &x.st : NULL))
                continue;
        }
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            dir_ent *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = ENOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        if (!(x.name = strdup(de->d_name))) {
            e = ENOMEM;
            break;
        }
        v[cnt++] = x;
    }
    closedir(d);
    if (e) {
        ents_free(v, cnt);
        errno = e;
        return -1;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_ent);
    *out = v;
    *n = cnt;
    errno = 0;
    return 0;
}

int levy_dir_list(const char *dir, levy_dir_keep_fn keep, void *ud, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    dir_ent *v;
    size_t cnt;
    if (dir_read(dir, 0, keep, ud, &v, &cnt) != 0)
        return -1;
    char **names = malloc((cnt + 1) * sizeof *names);
    if (!names) {
        ents_free(v, cnt);
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < cnt; i++)
        names[i] = v[i].name; /* handed over */
    names[cnt] = NULL;
    free(v);
    *out = names;
    *n = cnt;
    return 0;
}

void levy_dir_list_free(char **names)
{
    if (!names)
        return;
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}

/* levy_dir_walk below root: the folder root/rel ("" for root itself), depth levels down. */
static int walk_from(const char *root, const char *rel, int depth, int max_depth, levy_walk_fn fn,
                     void *ud, levy_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof dir)
        return LEVY_OK; /* does not fit: passed over, as an entry would be */
    dir_ent *v;
    size_t n;
    if (dir_read(dir, 1, NULL, NULL, &v, &n) != 0) {
        int e = errno;
        if (e == ENOENT && depth > 0) {
            errno = 0;
            return LEVY_OK; /* vanished since its folder was listed */
        }
        if (e == ENOMEM)
            return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        levy_err_set(err, e == ENOENT ? LEVY_ENOTFOUND : LEVY_EIO,
                     e == ENOENT ? "not_found" : "io_error", "%s: %s", dir, strerror(e));
        errno = e;
        return e == ENOENT ? LEVY_ENOTFOUND : LEVY_EIO;
    }
    int rc = LEVY_OK;
    for (size_t i = 0; i < n && rc == LEVY_OK; i++) {
        if (!v[i].has_st ||
            snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", v[i].name) >=
                (int)sizeof sub ||
            snprintf(path, sizeof path, "%s/%s", root, sub) >= (int)sizeof path)
            continue;
        if (S_ISDIR(v[i].st.st_mode)) {
            if (depth < max_depth)
                rc = walk_from(root, sub, depth + 1, max_depth, fn, ud, err);
        } else {
            rc = fn(ud, path, sub, &v[i].st);
        }
    }
    ents_free(v, n);
    return rc;
}

int levy_dir_walk(const char *dir, int max_depth, levy_walk_fn fn, void *ud, levy_err *err)
{
    return walk_from(dir, "", 0, max_depth, fn, ud, err);
}

int levy_mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, mode) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, mode) != 0 && errno != EEXIST ? -1 : 0;
}

int levy_file_write(const char *path, const char *tmp, const void *data, size_t len, mode_t mode,
                    levy_err *err)
{
    char own[PATH_MAX + 32];
    if (!tmp) {
        if (snprintf(own, sizeof own, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof own)
            return levy_err_set(err, LEVY_EINVAL, "io", "%s: path too long", path);
        tmp = own;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", tmp, strerror(errno));
    size_t off = 0;
    int ok = 1, e = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ok = 0;
            e = w < 0 ? errno : EIO;
        } else {
            off += (size_t)w;
        }
    }
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
        return levy_err_set(err, LEVY_EIO, "io", "cannot write %s: %s", path, strerror(e));
    }
    return LEVY_OK;
}
