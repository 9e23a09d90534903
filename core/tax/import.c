/* `levy rates import FILE...`: validate a rate table, store it as DATA_DIR/rates/<key>/<name>
 * (replacing the same source's older vintage), and report rows read / rows changed against
 * the table it replaces (the previous import, else the shipped file of the same source). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "rates-internal.h"

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits text into lines (CR stripped, blank lines dropped), sorted. */
static char **lines_of(char *text, size_t *n)
{
    size_t cap = 1024;
    char **v = malloc(cap * sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r')
            p[--l] = 0;
        if (l) {
            if (*n == cap) {
                char **nv = realloc(v, cap * 2 * sizeof *v);
                if (!nv) {
                    free(v);
                    return NULL;
                }
                v = nv;
                cap *= 2;
            }
            v[(*n)++] = p;
        }
        p = nl ? nl + 1 : NULL;
    }
    qsort(v, *n, sizeof *v, line_cmp);
    return v;
}

/* Rows of `neu` not present identically in `old` (a JSON file counts lines too); the header
 * line of a CSV with one is not a row. */
static long rows_changed(char *neu, char *old, int header)
{
    size_t nn = 0, no = 0;
    if (header) {
        char *nl = strchr(neu, '\n');
        neu = nl ? nl + 1 : neu + strlen(neu);
        if (old) {
            nl = strchr(old, '\n');
            old = nl ? nl + 1 : old + strlen(old);
        }
    }
    char **vn = lines_of(neu, &nn);
    char **vo = old ? lines_of(old, &no) : NULL;
    long changed = 0;
    for (size_t i = 0; vn && i < nn; i++)
        if (!vo || !bsearch(&vn[i], vo, no, sizeof *vo, line_cmp))
            changed++;
    free(vn);
    free(vo);
    return changed;
}

/* Avalara: compares by (state, ZIP) whatever the column order: rows new or with any rate
 * or name different from the current table. */
static long zip_rows_changed(const levy_rates *neu, const char *old_path, char *old_text)
{
    levy_rates *o;
    rates_file_info info;
    levy_err err;
    long changed = (long)neu->nzips;
    if (levy_rates_load_copy(old_path, old_text, &o, &info, &err) == LEVY_OK) {
        levy_rates_finish(o);
        changed = 0;
        for (size_t i = 0; i < neu->nzips; i++) {
            const zip_row *z = &neu->zips[i];
            const zip_row *m = NULL;
            size_t lo = 0, hi = o->nzips;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                const zip_row *y = &o->zips[mid];
                if (y->zip < z->zip || (y->zip == z->zip && memcmp(y->st, z->st, 2) < 0))
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < o->nzips && o->zips[lo].zip == z->zip && memcmp(o->zips[lo].st, z->st, 2) == 0)
                m = &o->zips[lo];
            if (!m || m->combined != z->combined || m->state != z->state ||
                m->county != z->county || m->city != z->city || m->special != z->special ||
                strcmp(neu->pool + z->name, o->pool + m->name) != 0)
                changed++;
        }
    }
    levy_rates_free(o);
    return changed;
}

struct find_current {
    const char *key;
    char *out;
    size_t cap;
    int depth, found;
};

static int find_current(const char *dir, const char *key, char *out, size_t cap, int depth);

/* One entry of find_current's walk: a folder (to depth 3) or a .csv / .json table file. */
static uint64_t find_current_entry(void *ud, const char *path, const struct stat *st)
{
    struct find_current *f = ud;
    if (f->found)
        return 0;
    if (S_ISDIR(st->st_mode)) {
        if (f->depth < 3)
            f->found = find_current(path, f->key, f->out, f->cap, f->depth + 1);
        return 0;
    }
    size_t l = strlen(path);
    if (!((l > 4 && strcmp(path + l - 4, ".csv") == 0) ||
          (l > 5 && strcmp(path + l - 5, ".json") == 0)))
        return 0;
    size_t len;
    char *text = NULL;
    if (levy_file_read(path, 0, &text, &len, NULL) != LEVY_OK)
        return 0;
    levy_rates *r = levy_rates_new();
    rates_file_info info;
    levy_err err;
    if (r && levy_rates_load_text(r, path, text, &info, &err) == LEVY_OK &&
        strcmp(info.key, f->key) == 0) {
        snprintf(f->out, f->cap, "%s", path);
        f->found = 1;
    }
    levy_rates_free(r);
    free(text);
    return 0;
}

/* Finds the current file of source key under dir (recursively); writes its path. */
static int find_current(const char *dir, const char *key, char *out, size_t cap, int depth)
{
    struct find_current f = {key, out, cap, depth, 0};
    levy_dir_each(dir, 0, find_current_entry, &f);
    return f.found;
}

/* Removes an older vintage of the source (ud: the name of the one just written, kept). */
static uint64_t remove_other_vintage(void *ud, const char *path, const struct stat *st)
{
    (void)st;
    if (strcmp(strrchr(path, '/') + 1, (const char *)ud) != 0)
        unlink(path);
    return 0;
}

int levy_rates_install(const char *file, const char *data_root, const char *data_dir)
{
    size_t len;
    char *text = NULL, *copy = NULL, *old = NULL;
    levy_rates *r = NULL;
    int rc = 1;
    levy_err ferr;
    if (levy_file_read(file, 0, &text, &len, &ferr) != LEVY_OK) {
        fprintf(stderr, "levy rates import: %s\n", ferr.message);
        goto done;
    }
    rates_file_info info;
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_load_copy(file, text, &r, &info, &err) != LEVY_OK) {
        fprintf(stderr, "levy rates import: %s\n", err.message);
        goto done;
    }
    levy_rates_finish(r);
    char keydir[1024], cur[1024] = "";
    snprintf(keydir, sizeof keydir, "%s/rates/%s", data_dir, info.key);
    if (!find_current(keydir, info.key, cur, sizeof cur, 0) && data_root)
        find_current(data_root, info.key, cur, sizeof cur, 0);
    size_t olen;
    if (cur[0] && levy_file_read(cur, 0, &old, &olen, NULL) != LEVY_OK)
        old = NULL;
    /* rows_changed splits its text in place: a copy, text is written below */
    copy = malloc(len + 1);
    if (!copy) {
        fprintf(stderr, "levy rates import: out of memory\n");
        goto done;
    }
    memcpy(copy, text, len + 1);
    long changed;
    if (info.kind == RT_AVALARA && old)
        changed = zip_rows_changed(r, cur, old);
    else
        changed = rows_changed(copy, old,
                               info.kind != RT_SST && info.kind != RT_SST_BOUNDARY &&
                                   info.kind != RT_IBERICODE);
    /* write the new vintage atomically first, then remove the older vintage(s) of this
     * source: a failed write leaves the vintage in use in place */
    if (levy_mkdir_p(keydir, 0700) != 0) {
        fprintf(stderr, "levy rates import: %s: %s\n", keydir, strerror(errno));
        goto done;
    }
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char dst[2048], tmp[2100];
    snprintf(dst, sizeof dst, "%s/%s", keydir, base);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", keydir, base);
    levy_err werr;
    levy_err_clear(&werr);
    if (levy_file_write(dst, tmp, text, len, 0666, &werr) != LEVY_OK) {
        fprintf(stderr, "levy rates import: %s\n", werr.message);
        goto done;
    }
    levy_dir_each(keydir, 1, remove_other_vintage, (void *)base);
    printf("%s: %s %s -> %s: %ld rows read, %ld rows changed%s%s\n", file,
           levy_rates_table_at(r, info.table)->source, info.vintage, dst, info.rows, changed,
           cur[0] ? " vs " : " (new source)", cur[0] ? cur : "");
    rc = 0;
done:
    free(text);
    free(copy);
    free(old);
    levy_rates_free(r);
    return rc;
}

int levy_rates_cli_import(int nfiles, char **files, const char *data_root, const char *data_dir)
{
    if (nfiles <= 0) {
        fprintf(stderr, "usage: levy rates import FILE...\n");
        return 1;
    }
    if (!data_dir) {
        fprintf(stderr, "levy rates import: no data dir\n");
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < nfiles; i++)
        rc |= levy_rates_install(files[i], data_root, data_dir) != 0;
    if (rc == 0)
        fprintf(stderr, "levy rates import: a running levy serves the imported tables after a "
                        "reload (systemctl reload levy, or POST /admin/reload); no restart\n");
    return rc ? 1 : 0;
}
