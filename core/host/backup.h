#ifndef LEVY_BACKUP_H
#define LEVY_BACKUP_H
/* `levy backup FILE` and `levy restore FILE` (docs/operations.md).
 *
 * Backup copies DATA_DIR/levy.db with SQLite's online backup API: one read transaction on the
 * source, so the copy is a consistent snapshot even while `levy serve` writes (WAL mode lets
 * the writer go on). The copy is written beside FILE, switched to a self-contained rollback
 * journal file, checked with PRAGMA integrity_check, fsync'd and renamed into place.
 *
 * Restore checks FILE (integrity_check, levy's schema_migrations table), refuses when
 * DATA_DIR/levy.db exists unless force, then copies FILE into DATA_DIR/levy.db with the same
 * API (so a forced restore over a database another process holds open is still atomic for
 * it), puts the database back in WAL mode and checks integrity again.
 *
 * Files: the backup also holds every file levy.files keeps (DATA_DIR/files/<dir>/<name>:
 * exemption certificates, issue 20) in its table levy_backup_files(path "dir/name", size,
 * sha256 hex, data), added after the database copy (so every file a copied row names is in;
 * a newer file without its row is harmless). The backup stays ONE SQLite file: integrity_check
 * covers the files too, `sqlite3` opens it, and an old backup is simply one without the
 * table. Restore checks every file's path shape, size and SHA-256 before it writes anything,
 * writes the files (temporary file, fsync, rename) before the database, and drops the table
 * from the restored levy.db.
 *
 * Neither touches DATA_DIR/master.key or DATA_DIR/api-token: the backup holds sealed secrets
 * only, and the master key must be kept (and restored) separately. */
#include "levy.h"

/** Writes a consistent copy of DATA_DIR/levy.db, with the files under DATA_DIR/files/, to
 * file. *pages = pages copied, *nfiles = files added (either may be NULL). */
int levy_backup_run(const char *data_dir, const char *file, int *pages, int *nfiles, levy_err *err);
/** Restores file into DATA_DIR/levy.db and its files into DATA_DIR/files/ (creating DATA_DIR
 * 0700). force: replace an existing database. A bare database (a backup made before files
 * were kept) restores as before. *nfiles = files restored (may be NULL). */
int levy_backup_restore(const char *data_dir, const char *file, int force, int *pages, int *nfiles,
                        levy_err *err);
/** `levy backup FILE` / `levy restore FILE` with a PostgreSQL store (url): neither applies
 * (they copy DATA_DIR/levy.db). Prints to stderr why, and the exact pg_dump (backup) or
 * pg_restore (restore) command for FILE and the URL's database: every connection parameter of
 * the URL but its password (libpq takes that from PGPASSWORD or ~/.pgpass), shell-quoted.
 * Returns the exit code, 1. */
int levy_backup_pg_refusal(const char *cmd, const char *url, const char *file);

#endif
