/* Test-only LD_PRELOAD shim for io_fault_http.py (never linked into levy): fails the write
 * or fsync system calls on levy's store files while a control file says so, to reach the
 * SQLITE_FULL / SQLITE_IOERR paths of a running, unmodified levy binary.
 *   LEVY_FAULT_CTL=<file>  content: "" (off) | "enospc" (writes fail ENOSPC -> SQLITE_FULL)
 *                                   | "eio" (writes fail EIO) | "fsync" (fsync fails EIO)
 *   LEVY_FAULT_MATCH=<substring of the path>  default "levy.db" (the db and its -wal;
 *                                             the -shm is mmapped and unaffected). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int mode(void)
{
    const char *ctl = getenv("LEVY_FAULT_CTL");
    if (!ctl)
        return 0;
    static ssize_t (*rd)(int, void *, size_t);
    if (!rd)
        rd = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    int fd = open(ctl, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char b[16] = {0};
    ssize_t n = rd(fd, b, sizeof b - 1);
    close(fd);
    if (n <= 0)
        return 0;
    if (strncmp(b, "enospc", 6) == 0)
        return 1;
    if (strncmp(b, "eio", 3) == 0)
        return 2;
    if (strncmp(b, "fsync", 5) == 0)
        return 3;
    return 0;
}

static int targeted(int fd)
{
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    const char *m = getenv("LEVY_FAULT_MATCH");
    return strstr(path, m ? m : "levy.db") != NULL && strstr(path, "-shm") == NULL;
}

#define WRAP_WRITE(name, sig, args, types)                                                         \
    ssize_t name sig                                                                               \
    {                                                                                              \
        static ssize_t(*real) types;                                                               \
        if (!real)                                                                                 \
            real = (ssize_t(*) types)dlsym(RTLD_NEXT, #name);                                      \
        int m = mode();                                                                            \
        if ((m == 1 || m == 2) && targeted(fd)) {                                                  \
            errno = m == 1 ? ENOSPC : EIO;                                                         \
            return -1;                                                                             \
        }                                                                                          \
        return real args;                                                                          \
    }

WRAP_WRITE(pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o),
           (int, const void *, size_t, off_t))
WRAP_WRITE(pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o),
           (int, const void *, size_t, off_t))
WRAP_WRITE(write, (int fd, const void *b, size_t n), (fd, b, n), (int, const void *, size_t))

#define WRAP_SYNC(name)                                                                            \
    int name(int fd)                                                                               \
    {                                                                                              \
        static int (*real)(int);                                                                   \
        if (!real)                                                                                 \
            real = (int (*)(int))dlsym(RTLD_NEXT, #name);                                          \
        if (mode() == 3 && targeted(fd)) {                                                         \
            errno = EIO;                                                                           \
            return -1;                                                                             \
        }                                                                                          \
        return real(fd);                                                                           \
    }

WRAP_SYNC(fsync)
WRAP_SYNC(fdatasync)
