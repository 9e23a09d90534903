#ifndef LEVY_ROTATE_H
#define LEVY_ROTATE_H
/* levy rotate-master-key: re-seal every secret plugins declare (`sealed` in handler.lua)
 * under a new master key, in one store transaction, then swap DATA_DIR/master.key.
 * Crash safety: the transaction stores meta('master_key_fingerprint') = the first 16 hex
 * chars of SHA-256(new key) and DATA_DIR/master.key.new is written (fsync) before the
 * commit; levy_rotate_recover (every start) renames master.key.new over master.key when
 * its fingerprint is the committed one, and deletes it otherwise. */
#include "host/config.h"
#include "levy.h"

#define LEVY_ROTATE_FP_LEN 16 /* hex chars of SHA-256(key) kept in meta */

/** The `rotate-master-key` subcommand; returns the process exit code (0 ok, 1 failed). */
int levy_rotate_master_key(levy_config *cfg);
/** Takes a shared lock on DATA_DIR/levy.lock for a serving process (*fd stays open for the
 * process lifetime). A rotation holds it exclusively: LEVY_ECONFLICT "busy" then. */
int levy_rotate_serve_lock(const char *data_dir, int *fd, levy_err *err);
/** Completes or discards an interrupted rotation (see above); no-op when LEVY_MASTER_KEY is
 * set or there is no DATA_DIR/master.key.new. *what (may be NULL) gets a static note of
 * what was done ("" when nothing). */
int levy_rotate_recover(const char *data_dir, const char **what, levy_err *err);

/** LEVY_ECONFLICT "key_mismatch" when the last rotation recorded another key's fingerprint
 * than key's (the stored secrets will not open); LEVY_OK when it matches or none is
 * recorded. */
int levy_rotate_check_key(const char *data_dir, const uint8_t *key, levy_err *err);

#endif
