#ifndef LEVY_FILE_H
#define LEVY_FILE_H
/* Whole-file reading: the one place levy reads a file (or stdin) into memory. Every loader —
 * plugins and rule scripts, migrations, rate and nexus tables, `levy calc` input, key and
 * token files — goes through these two functions.
 *
 * Errors (err may be NULL):
 *   LEVY_ENOTFOUND "not_found"  the file does not exist ("<path>: No such file or directory")
 *   LEVY_EIO       "io_error"   cannot open or read ("<path>: <strerror>")
 *   LEVY_EINVAL    "too_large"  more than max (or cap - 1) bytes ("<path> is larger than N bytes")
 *   LEVY_ENOMEM    "out_of_memory" */
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "levy.h"

/* Reads all of path into a malloc'd buffer, NUL-terminated (the NUL is not counted in *len;
 * the data may hold NUL bytes of its own). max = the largest size accepted in bytes, 0 = no
 * limit. path NULL or "-" reads standard input (named "stdin" in messages). On error *out is
 * NULL. The caller frees *out. */
int levy_file_read(const char *path, size_t max, char **out, size_t *len, levy_err *err);

/* Reads all of path into the caller's buf (for small files such as keys and tokens, which
 * must not be copied to the heap): at most cap - 1 bytes, NUL-terminated; a longer file is
 * "too_large" and leaves buf zeroed. cap >= 1. */
int levy_file_read_into(const char *path, char *buf, size_t cap, size_t *len, levy_err *err);

/* The one whole-file writer: data written aside to tmp (NULL: "<path>.tmp.<pid>"; created
 * with mode, less the umask), fsync'd, then renamed over path, so a reader sees the old file
 * or the whole new one, never a part. On failure tmp is removed and path is untouched:
 * LEVY_EIO "io" "cannot create <tmp>: <strerror>" or "cannot write <path>: <strerror>". The
 * folder itself is not fsync'd (the caller knows which folders a rename must survive in). */
int levy_file_write(const char *path, const char *tmp, const void *data, size_t len, mode_t mode,
                    levy_err *err);

/* Creates path and its missing parents with mode (an existing folder is fine). 0 ok, -1 with
 * errno set (ENAMETOOLONG when path does not fit PATH_MAX). */
int levy_mkdir_p(const char *path, mode_t mode);

/* The one folder walk: calls fn(ud, path, st) for each entry of dir whose name does not start
 * with '.', path being "dir/name" and st its stat (lstat when nofollow: a link is reported as
 * a link, not followed). An entry whose path does not fit PATH_MAX or that cannot be stat'ed
 * is passed over. Returns the sum of fn's results (unsigned, wrapping); 0 when dir cannot be
 * opened, errno then saying why (ENOENT: no such folder), and errno 0 after a walk, so a
 * caller that must tell a folder it cannot read from an empty one (levy backup, levy.files
 * list) reads errno after the call. fn may unlink the entry it is given. */
typedef uint64_t (*levy_dir_fn)(void *ud, const char *path, const struct stat *st);
uint64_t levy_dir_each(const char *dir, int nofollow, levy_dir_fn fn, void *ud);

/* The one sorted listing: the names of dir's entries that do not start with '.', in strcmp
 * (byte, not locale) order, that keep accepts (NULL: every entry). keep(ud, path, name, st):
 * path "dir/name", st its stat (followed) or NULL when it cannot be stat'ed; 1 keeps the
 * entry. With keep, an entry whose path does not fit PATH_MAX is passed over; without keep
 * nothing is stat'ed. On success *out is a
 * NULL-terminated malloc'd array of *n malloc'd names (free with levy_dir_list_free) and 0
 * is returned; -1 with errno (opendir's or readdir's: ENOENT no such folder, ENOTDIR,
 * EACCES...; ENOMEM) and *out NULL, *n 0 otherwise. Used where the order matters (plugin
 * load order, migrations, spec files, levy.files' checksum). */
typedef int (*levy_dir_keep_fn)(void *ud, const char *path, const char *name,
                                const struct stat *st);
int levy_dir_list(const char *dir, levy_dir_keep_fn keep, void *ud, char ***out, size_t *n);
void levy_dir_list_free(char **names);

/* The one recursive walk, over levy_dir_list's order: each folder's entries sorted by
 * strcmp, a sub-folder walked where its name sorts (depth first), at most max_depth folder
 * levels below dir (deeper folders are passed over). fn(ud, path, rel, st) is called for every
 * entry that is not a folder: path "dir/rel", rel the path below dir ("a/b.lua"), st its stat
 * (followed); an entry that cannot be stat'ed or whose path does not fit PATH_MAX is passed
 * over, as is a sub-folder that vanished (ENOENT) before it was opened. fn returns LEVY_OK to
 * go on; anything else stops the walk and is returned. Errors (err may be NULL; errno keeps
 * the cause): dir itself missing LEVY_ENOTFOUND "not_found"; a folder that cannot be listed
 * LEVY_EIO "io_error" "<folder>: <strerror>"; LEVY_ENOMEM "out_of_memory". Used by the
 * generation's file list (plugins/, scripts/) and the rate tables (data/, DATA_DIR/rates). */
typedef int (*levy_walk_fn)(void *ud, const char *path, const char *rel, const struct stat *st);
int levy_dir_walk(const char *dir, int max_depth, levy_walk_fn fn, void *ud, levy_err *err);

#endif
