#include "removed.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"

/* one folder of .removed: its regular files older than the keep time */
static int purge_folder(const char *trash, int64_t now_s)
{
    DIR *d = opendir(trash);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    char path[4096 + 300];
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(path, sizeof path, "%s/%s", trash, e->d_name) >= (int)sizeof path ||
            lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (now_s - (int64_t)st.st_ctime > LEVY_FILES_REMOVED_KEEP_S && unlink(path) == 0)
            n++;
    }
    closedir(d);
    return n;
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
    DIR *d = opendir(base);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(trash, sizeof trash, "%s/%s", base, e->d_name) >= (int)sizeof trash ||
            lstat(trash, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        n += purge_folder(trash, now_s);
    }
    closedir(d);
    return n;
}
