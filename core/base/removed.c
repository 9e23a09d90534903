#include "removed.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "file.h"

/* one regular file of a .removed folder: erased when removed over the keep time ago */
static uint64_t purge_file(void *ud, const char *path, const struct stat *st)
{
    int64_t now_s = *(const int64_t *)ud;
    return S_ISREG(st->st_mode) && now_s - (int64_t)st->st_ctime > LEVY_FILES_REMOVED_KEEP_S &&
           unlink(path) == 0;
}

/* one folder of .removed: its regular files older than the keep time */
static int purge_folder(const char *trash, int64_t now_s)
{
    return (int)levy_dir_each(trash, 1, purge_file, &now_s);
}

static uint64_t purge_entry(void *ud, const char *path, const struct stat *st)
{
    return S_ISDIR(st->st_mode) ? (uint64_t)purge_folder(path, *(const int64_t *)ud) : 0;
}

int levy_files_purge_removed(const char *data_dir, const char *dir)
{
    char base[4096], trash[4096 + 300];
    if (snprintf(base, sizeof base, "%s/files/" LEVY_FILES_REMOVED_DIR, data_dir) >=
        (int)sizeof base)
        return 0;
    int64_t now_s = levy_clock_now_ms() / 1000;
    if (dir) {
        snprintf(trash, sizeof trash, "%s/%s", base, dir);
        return purge_folder(trash, now_s);
    }
    return (int)levy_dir_each(base, 1, purge_entry, &now_s);
}
