/* Test-only LD_PRELOAD shim for backup_files.py (never linked into levy): holds the first
 * opendir() of a path ending in LEVY_PAUSE_MATCH until the test says go, so that the test can
 * act at a known point of an unmodified levy binary (`levy backup`: after its database copy,
 * before it reads the files).
 *   LEVY_PAUSE_MATCH=<path suffix>  e.g. "/files"
 *   LEVY_PAUSE_AT=<file>            created when the call is held
 *   LEVY_PAUSE_GO=<file>            the call goes on once this file exists (120 s at most) */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

DIR *opendir(const char *name)
{
    static DIR *(*real)(const char *);
    static int held;
    if (!real)
        real = (DIR * (*)(const char *)) dlsym(RTLD_NEXT, "opendir");
    const char *m = getenv("LEVY_PAUSE_MATCH"), *at = getenv("LEVY_PAUSE_AT"),
               *go = getenv("LEVY_PAUSE_GO");
    size_t n = name ? strlen(name) : 0, k = m ? strlen(m) : 0;
    if (!held && m && at && go && k && n >= k && strcmp(name + n - k, m) == 0) {
        held = 1;
        int fd = open(at, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        struct timespec ts = {0, 20 * 1000 * 1000};
        for (int i = 0; i < 6000 && access(go, F_OK) != 0; i++)
            nanosleep(&ts, NULL);
    }
    return real(name);
}
