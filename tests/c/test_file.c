/* core/base/file.c: the one whole-file reader (issue 18 "one of each": it replaced seven copies,
 * some of which took a read error — e.g. a directory — for an empty file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"

static char dir[] = "/tmp/levy_test_file_XXXXXX";

static void put(const char *name, const char *data, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void t_read(void)
{
    char path[256], *out = NULL;
    size_t len = 99;
    levy_err err;
    put("a.txt", "hello\n", 6, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 6);
    CHECK_EQ_STR(out, "hello\n");
    free(out);
    out = NULL;
    put("empty", "", 0, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_STR(out, "");
end:
    free(out);
}

/* larger than the first buffer, with NUL bytes inside: every byte comes back */
static void t_large(void)
{
    size_t n = 200000;
    char path[256], *data = malloc(n), *out = NULL;
    size_t len = 0;
    CHECK(data != NULL);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 31 % 251);
    put("big.bin", data, n, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, NULL), LEVY_OK);
    CHECK_EQ_INT(len, n);
    CHECK(memcmp(out, data, n) == 0);
    CHECK_EQ_INT(out[n], 0);
end:
    free(out);
    free(data);
}

static void t_limits(void)
{
    char path[256], *out = NULL;
    size_t len = 0;
    levy_err err;
    put("ten", "0123456789", 10, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 10, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 10);
    free(out);
    out = NULL;
    CHECK_EQ_INT(levy_file_read(path, 9, &out, &len, &err), LEVY_EINVAL);
    CHECK_EQ_STR(err.code, "too_large");
    CHECK(out == NULL);
    CHECK(strstr(err.message, "larger than 9 bytes") != NULL);
end:
    free(out);
}

static void t_errors(void)
{
    char path[256], *out = (char *)1;
    size_t len = 0;
    levy_err err;
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_ENOTFOUND);
    CHECK_EQ_STR(err.code, "not_found");
    CHECK(out == NULL);
    CHECK(strstr(err.message, path) != NULL);
    /* a directory opens but does not read: an error, not an empty file (gen.c, import.c,
     * calc.c and the sandbox's read_file used to return "" for it) */
    out = (char *)1;
    CHECK_EQ_INT(levy_file_read(dir, 0, &out, &len, &err), LEVY_EIO);
    CHECK_EQ_STR(err.code, "io_error");
    CHECK(out == NULL);
    CHECK(levy_file_read(dir, 0, &out, &len, NULL) == LEVY_EIO); /* err may be NULL */
end:;
}

static void t_into(void)
{
    char path[256], buf[8];
    size_t len = 0;
    levy_err err;
    put("seven", "1234567", 7, path, sizeof path);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 7);
    CHECK_EQ_STR(buf, "1234567");
    put("eight", "12345678", 8, path, sizeof path);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_EINVAL);
    CHECK_EQ_STR(err.code, "too_large");
    CHECK_EQ_INT(len, 0);
    for (size_t i = 0; i < sizeof buf; i++)
        CHECK_EQ_INT(buf[i], 0); /* nothing of a secret that did not fit is left behind */
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_ENOTFOUND);
    CHECK_EQ_INT(levy_file_read_into(dir, buf, sizeof buf, &len, &err), LEVY_EIO);
end:;
}

/* levy_dir_each: each entry not starting with '.', as "dir/name" with its stat; lstat when
 * nofollow; 0 for a folder that cannot be opened; the results summed */
static uint64_t count_entry(void *ud, const char *path, const struct stat *st)
{
    int *kinds = ud;
    const char *name = strrchr(path, '/') + 1;
    if (strncmp(path, dir, strlen(dir)) != 0 || name[-1] != '/')
        kinds[3]++;
    if (S_ISREG(st->st_mode))
        kinds[0]++;
    else if (S_ISDIR(st->st_mode))
        kinds[1]++;
    else if (S_ISLNK(st->st_mode))
        kinds[2]++;
    return 10;
}

static void t_dir_each(void)
{
    char top[300], p[400];
    snprintf(top, sizeof top, "%s/walk", dir);
    CHECK_EQ_INT(mkdir(top, 0700), 0);
    const char *files[] = {"a", "b", ".hidden"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(files); i++) {
        snprintf(p, sizeof p, "%s/%s", top, files[i]);
        FILE *f = fopen(p, "w");
        CHECK(f != NULL);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/sub", top);
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/link", top);
    CHECK_EQ_INT(symlink("a", p), 0);
    int kinds[4] = {0};
    CHECK_EQ_INT(levy_dir_each(top, 0, count_entry, kinds), 40); /* a, b, sub, link: not .hidden */
    CHECK_EQ_INT(kinds[0], 3);                                   /* the link followed: a file */
    CHECK_EQ_INT(kinds[1], 1);
    CHECK_EQ_INT(kinds[3], 0);
    memset(kinds, 0, sizeof kinds);
    CHECK_EQ_INT(levy_dir_each(top, 1, count_entry, kinds), 40);
    CHECK_EQ_INT(kinds[0], 2);
    CHECK_EQ_INT(kinds[2], 1); /* nofollow: the link as a link */
    snprintf(p, sizeof p, "%s/missing", top);
    CHECK_EQ_INT(levy_dir_each(p, 0, count_entry, kinds), 0);
    /* errno tells a folder that cannot be read from an empty one (backup, levy.files.list):
     * the reason when it cannot be opened, 0 after a walk whatever it was before */
    CHECK_EQ_INT(errno, ENOENT);
    snprintf(p, sizeof p, "%s/a", top);
    CHECK_EQ_INT(levy_dir_each(p, 0, count_entry, kinds), 0);
    CHECK_EQ_INT(errno, ENOTDIR);
    errno = EINVAL;
    snprintf(p, sizeof p, "%s/sub", top);
    CHECK_EQ_INT(levy_dir_each(p, 0, count_entry, kinds), 0);
    CHECK_EQ_INT(errno, 0);
    errno = EINVAL;
    CHECK_EQ_INT(levy_dir_each(top, 0, count_entry, kinds), 40);
    CHECK_EQ_INT(errno, 0);
end:;
}

static void touch(const char *top, const char *rel)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", top, rel);
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
}

/* keep for levy_dir_list: *.lua files only; counts the entries it saw without a stat */
static int keep_lua(void *ud, const char *path, const char *name, const struct stat *st)
{
    int *no_stat = ud;
    size_t n = strlen(name);
    if (strcmp(strrchr(path, '/') + 1, name) != 0)
        return 0;
    if (!st)
        (*no_stat)++;
    return st && S_ISREG(st->st_mode) && n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

/* levy_dir_list (issue 21: the sorted listing that plugin load order, migrations, spec files
 * and levy.files' checksum share): strcmp order, not the locale's (upper case before lower,
 * "10" before "9", "a-b" and "a.b" before "b"); hidden entries left out; keep sees each
 * entry's stat (NULL for a dangling link); errno-correct failures. */
static void t_dir_list(void)
{
    char top[300], p[400];
    char **names = NULL;
    size_t n = 99;
    snprintf(top, sizeof top, "%s/list", dir);
    CHECK_EQ_INT(mkdir(top, 0700), 0);
    /* an empty folder: an empty, NULL-terminated list */
    errno = EINVAL;
    CHECK_EQ_INT(levy_dir_list(top, NULL, NULL, &names, &n), 0);
    CHECK(names != NULL && names[0] == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(errno, 0);
    levy_dir_list_free(names);
    names = NULL;
    const char *made[] = {"b.lua", "a.lua",  "B.lua",       "a-b.lua", "a.b.lua",
                          "9.sql", "10.sql", ".hidden.lua", "zz"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(made); i++)
        touch(top, made[i]);
    snprintf(p, sizeof p, "%s/sub.lua", top); /* a folder: keep_lua leaves it out */
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/dangling.lua", top);
    CHECK_EQ_INT(symlink("nowhere", p), 0);
    CHECK_EQ_INT(levy_dir_list(top, NULL, NULL, &names, &n), 0);
    const char *all[] = {"10.sql", "9.sql", "B.lua",        "a-b.lua", "a.b.lua",
                         "a.lua",  "b.lua", "dangling.lua", "sub.lua", "zz"};
    CHECK_EQ_INT(n, LEVY_ARRAY_LEN(all));
    for (size_t i = 0; i < LEVY_ARRAY_LEN(all); i++)
        CHECK_EQ_STR(names[i], all[i]);
    CHECK(names[n] == NULL);
    levy_dir_list_free(names);
    names = NULL;
    int no_stat = 0;
    CHECK_EQ_INT(levy_dir_list(top, keep_lua, &no_stat, &names, &n), 0);
    const char *lua[] = {"B.lua", "a-b.lua", "a.b.lua", "a.lua", "b.lua"};
    CHECK_EQ_INT(n, LEVY_ARRAY_LEN(lua));
    for (size_t i = 0; i < LEVY_ARRAY_LEN(lua); i++)
        CHECK_EQ_STR(names[i], lua[i]);
    CHECK_EQ_INT(no_stat, 1); /* the dangling link */
    levy_dir_list_free(names);
    names = NULL;
    /* a missing folder, a file: -1, the reason in errno, nothing listed */
    snprintf(p, sizeof p, "%s/missing", top);
    CHECK_EQ_INT(levy_dir_list(p, NULL, NULL, &names, &n), -1);
    CHECK_EQ_INT(errno, ENOENT);
    CHECK(names == NULL);
    CHECK_EQ_INT(n, 0);
    snprintf(p, sizeof p, "%s/a.lua", top);
    CHECK_EQ_INT(levy_dir_list(p, keep_lua, &no_stat, &names, &n), -1);
    CHECK_EQ_INT(errno, ENOTDIR);
    CHECK(names == NULL);
    levy_dir_list_free(NULL);
end:
    levy_dir_list_free(names);
}

typedef struct walk_seen {
    char rels[16][64];
    int n, stop_at;
} walk_seen;

static int walk_entry(void *ud, const char *path, const char *rel, const struct stat *st)
{
    walk_seen *w = ud;
    char want[600];
    snprintf(want, sizeof want, "%s/walk2/%s", dir, rel);
    if (strcmp(path, want) != 0 || !st || w->n >= 16)
        return LEVY_EINTERNAL;
    snprintf(w->rels[w->n++], sizeof w->rels[0], "%s%s", rel, S_ISREG(st->st_mode) ? "" : "?");
    return w->n == w->stop_at ? LEVY_EINVAL : LEVY_OK;
}

/* levy_dir_walk (the generation's file list, the rate tables): each folder's names in strcmp
 * order, a sub-folder walked where its name sorts; every entry that is not a folder (links
 * followed), hidden ones left out; max_depth folder levels; fn can stop it; a missing root is
 * "not_found", an unlistable one "io_error" naming it. */
static void t_dir_walk(void)
{
    char top[300], p[400];
    levy_err err;
    snprintf(top, sizeof top, "%s/walk2", dir);
    const char *dirs[] = {"", "/a", "/a/y", "/deep", "/deep/1", "/deep/1/2", "/.hid"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(dirs); i++) {
        snprintf(p, sizeof p, "%s%s", top, dirs[i]);
        CHECK_EQ_INT(mkdir(p, 0700), 0);
    }
    const char *made[] = {"b.lua",         "a/z.lua",     "a/y/x.lua",     "a-b.lua",
                          ".hid/k.lua",    "deep/d0.lua", "deep/1/d1.lua", "deep/1/2/d2.lua",
                          "a/.hidden.lua", "A.csv"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(made); i++)
        touch(top, made[i]);
    snprintf(p, sizeof p, "%s/link.lua", top);
    CHECK_EQ_INT(symlink("b.lua", p), 0);
    snprintf(p, sizeof p, "%s/dangling", top);
    CHECK_EQ_INT(symlink("nowhere", p), 0);
    snprintf(p, sizeof p, "%s/fifo", top);
    CHECK_EQ_INT(mkfifo(p, 0600), 0);
    walk_seen w = {.n = 0};
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_dir_walk(top, 2, walk_entry, &w, &err), LEVY_OK);
    const char *want[] = {"A.csv",         "a/y/x.lua",   "a/z.lua", "a-b.lua", "b.lua",
                          "deep/1/d1.lua", "deep/d0.lua", "fifo?",   "link.lua"};
    CHECK_EQ_INT(w.n, LEVY_ARRAY_LEN(want));
    for (size_t i = 0; i < LEVY_ARRAY_LEN(want); i++)
        CHECK_EQ_STR(w.rels[i], want[i]);
    /* one level more reaches deep/1/2 */
    w.n = 0;
    CHECK_EQ_INT(levy_dir_walk(top, 3, walk_entry, &w, &err), LEVY_OK);
    CHECK_EQ_INT(w.n, LEVY_ARRAY_LEN(want) + 1);
    CHECK_EQ_STR(w.rels[5], "deep/1/2/d2.lua");
    /* fn stops the walk: its result is returned */
    w.n = 0;
    w.stop_at = 3;
    CHECK_EQ_INT(levy_dir_walk(top, 2, walk_entry, &w, &err), LEVY_EINVAL);
    CHECK_EQ_INT(w.n, 3);
    /* a missing root, a file for a root */
    w.n = 0;
    w.stop_at = 0;
    snprintf(p, sizeof p, "%s/missing", top);
    CHECK_EQ_INT(levy_dir_walk(p, 2, walk_entry, &w, &err), LEVY_ENOTFOUND);
    CHECK_EQ_STR(err.code, "not_found");
    CHECK_EQ_INT(errno, ENOENT);
    snprintf(p, sizeof p, "%s/b.lua", top);
    CHECK_EQ_INT(levy_dir_walk(p, 2, walk_entry, &w, &err), LEVY_EIO);
    CHECK_EQ_STR(err.code, "io_error");
    CHECK(strstr(err.message, "b.lua: Not a directory") != NULL);
    CHECK_EQ_INT(errno, ENOTDIR);
    CHECK_EQ_INT(w.n, 0);
end:;
}

/* levy_mkdir_p: parents made, an existing folder fine, a file in the way an error */
static void t_mkdir_p(void)
{
    char p[400];
    struct stat st;
    snprintf(p, sizeof p, "%s/m/n/o", dir);
    CHECK_EQ_INT(levy_mkdir_p(p, 0700), 0);
    CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_EQ_INT(st.st_mode & 0777, 0700);
    CHECK_EQ_INT(levy_mkdir_p(p, 0700), 0);
    snprintf(p, sizeof p, "%s/m/file", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fclose(f);
    snprintf(p, sizeof p, "%s/m/file/x", dir);
    CHECK_EQ_INT(levy_mkdir_p(p, 0700), -1);
end:;
}

/* levy_file_write: the whole new file or the old one, never a part; the tmp gone either way */
static void t_write(void)
{
    char p[400], t[420], *buf = NULL;
    size_t len = 0;
    levy_err err;
    levy_err_clear(&err);
    snprintf(p, sizeof p, "%s/w.txt", dir);
    CHECK_EQ_INT(levy_file_write(p, NULL, "first", 5, 0600, &err), LEVY_OK);
    CHECK_EQ_INT(levy_file_write(p, NULL, "second\0x", 8, 0600, &err), LEVY_OK);
    CHECK_EQ_INT(levy_file_read(p, 0, &buf, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 8);
    CHECK(memcmp(buf, "second\0x", 8) == 0);
    free(buf);
    buf = NULL;
    struct stat st;
    CHECK_EQ_INT(stat(p, &st), 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    snprintf(t, sizeof t, "%s.tmp.%ld", p, (long)getpid());
    CHECK(access(t, F_OK) != 0);
    /* a named tmp; an empty file */
    snprintf(t, sizeof t, "%s/.w.tmp", dir);
    CHECK_EQ_INT(levy_file_write(p, t, "", 0, 0644, &err), LEVY_OK);
    CHECK_EQ_INT(levy_file_read(p, 0, &buf, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 0);
    CHECK(access(t, F_OK) != 0);
    /* the tmp cannot be made: the old file stays */
    snprintf(t, sizeof t, "%s/missing/w.tmp", dir);
    CHECK_EQ_INT(levy_file_write(p, t, "x", 1, 0600, &err), LEVY_EIO);
    CHECK(strstr(err.message, "cannot create") != NULL);
    /* the rename fails (path is a folder): tmp removed, the folder untouched */
    snprintf(p, sizeof p, "%s/wdir", dir);
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    snprintf(t, sizeof t, "%s/wdir.tmp", dir);
    CHECK_EQ_INT(levy_file_write(p, t, "x", 1, 0600, &err), LEVY_EIO);
    CHECK(strstr(err.message, "cannot write") != NULL);
    CHECK(access(t, F_OK) != 0);
end:
    free(buf);
}

static const levy_test tests[] = {{"read", t_read},
                                  {"large", t_large},
                                  {"limits", t_limits},
                                  {"errors", t_errors},
                                  {"into", t_into},
                                  {"dir_each", t_dir_each},
                                  {"dir_list", t_dir_list},
                                  {"dir_walk", t_dir_walk},
                                  {"mkdir_p", t_mkdir_p},
                                  {"write", t_write},
                                  {NULL, NULL}};

int main(int argc, char **argv)
{
    if (!mkdtemp(dir))
        return 2;
    int rc = levy_test_run(tests, argc, argv);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
