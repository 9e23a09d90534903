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
 * Neither touches DATA_DIR/master.key or DATA_DIR/api-token: the backup holds sealed secrets
 * only, and the master key must be kept (and restored) separately. */
#include "levy.h"

/** Writes a consistent copy of DATA_DIR/levy.db to file. *pages = pages copied. */
int levy_backup_run(const char *data_dir, const char *file, int *pages, levy_err *err);
/** Restores file into DATA_DIR/levy.db (creating DATA_DIR 0700). force: replace an
 * existing database. */
int levy_backup_restore(const char *data_dir, const char *file, int force, int *pages,
                        levy_err *err);

#endif
