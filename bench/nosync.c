/* Bench only, never a way to run levy: an LD_PRELOAD library whose fsync, fdatasync and
 * syncfs return 0 at once, so a benchmark can measure what levy does with the disk's sync
 * taken out — the CPU-only ceiling of a path that commits (issue 21, bench/README.md
 * "Ingest: the disk's physics"). Nothing written this way is durable. levy has no switch of
 * its own for it on purpose (synchronous=FULL is not configurable).
 *   cc -O2 -shared -fPIC -o /tmp/nosync.so bench/nosync.c
 *   WRAP="env LD_PRELOAD=/tmp/nosync.so" bash bench/ingestlat.sh LEVY VENDOR */
#define _GNU_SOURCE
#include <unistd.h>

int fsync(int fd)
{
    (void)fd;
    return 0;
}

int fdatasync(int fd)
{
    (void)fd;
    return 0;
}

int syncfs(int fd)
{
    (void)fd;
    return 0;
}
