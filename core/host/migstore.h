#ifndef LEVY_MIGSTORE_H
#define LEVY_MIGSTORE_H
/* `levy migrate-store --from DIR --to postgres://…` (issue 22): copies the SQLite store of a
 * data dir (DIR/levy.db, opened read-only, DIR locked as levy serve locks it, so a levy
 * serving DIR makes it refuse) into a PostgreSQL database.
 *
 *   1. migrates the target to the source's schema versions: the core migrations and, for
 *      every plugin the source's schema_migrations names, PLUGINS/<name>/migrations/postgres/;
 *      a version that differs afterwards (a source from another levy) is refused;
 *   2. pairs every source table (schema_migrations aside: each engine keeps its own) with the
 *      target's, column by column in the target's order (a target column `rowid` the SQLite
 *      table lacks reads SQLite's implicit rowid);
 *   3. a target whose meta table holds rows has been served or copied: when every table
 *      equals the source (count and checksum) it says "already copied" (exit 0, a re-run is
 *      safe), otherwise it is refused and nothing is written. A target with an empty meta
 *      holds at most the rows its migrations seeded; they are replaced;
 *   4. one PostgreSQL transaction: per table, batched INSERTs (OVERRIDING SYSTEM VALUE: the
 *      identity columns keep their values), then setval of each identity/serial sequence to
 *      the column's max; sealed secrets travel as the sealed text they are (same master key:
 *      a key found in LEVY_MASTER_KEY or DIR/master.key must have the fingerprint the source
 *      records);
 *   5. before COMMIT, per table: row count and checksum on both sides (SHA-256 over the
 *      sorted SHA-256 of each row's column texts, NULL marked apart from ''), computed the
 *      same way from both engines' text forms; any difference rolls back.
 *   The files of levy.files (DIR/files/<dir>/<name>, the trash folder .removed aside) go into
 *   the target's core table `files` (bodies as bytea: levy.files reads them there on
 *   PostgreSQL, core/lua/bind_files.c) in the same transaction, verified as a table: count and
 *   a checksum over each file's "dir/name" and SHA-256 (the target's hashed by the server);
 *   the source's own `files` table (empty on SQLite) is not copied.
 * The run holds the target's migration lock (levy_store_lock_migrations), so a levy serve
 * starting on it, or a second migrate-store, waits until the copy is done.
 * Prints one line per table and the total; exit 0 only when every table matches. */
#include "config.h"

/** The `migrate-store` subcommand; returns the exit code (0 copied or already copied, 1
 * refused or failed, 2 usage). */
int levy_migstore_cli(levy_config *cfg);

#endif
