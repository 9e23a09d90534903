#ifndef LEVY_ROTATE_H
#define LEVY_ROTATE_H
/* levy rotate-master-key: re-seal every secret plugins declare (`sealed` in handler.lua)
 * under a new master key, in one store transaction, then swap DATA_DIR/master.key.
 * Crash safety: the transaction stores meta('master_key_fingerprint') = the first 16 hex
 * chars of SHA-256(new key) and DATA_DIR/master.key.new is written (fsync) before the
 * commit; levy_rotate_recover (every start) renames master.key.new over master.key when
 * its fingerprint is the committed one, and deletes it otherwise. */
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "host/config.h"
#include "host/host.h"
#include "levy.h"

#define LEVY_ROTATE_FP_LEN 16 /* hex chars of SHA-256(key) kept in meta */

/** The `rotate-master-key` subcommand; returns the process exit code (0 ok, 1 failed). */
int levy_rotate_master_key(levy_config *cfg);
/** Takes the exclusive lock on DATA_DIR/levy.lock for a serving process (*fd stays open for
 * the process lifetime): a second serve, a rotation or a restore on the same data dir is
 * refused (LEVY_ECONFLICT "busy", naming the holder's PID). */
int levy_rotate_serve_lock(const char *data_dir, int *fd, levy_err *err);
/** Completes or discards an interrupted rotation (see above); no-op when LEVY_MASTER_KEY is
 * set or there is no DATA_DIR/master.key.new. *what (may be NULL) gets a static note of
 * what was done ("" when nothing). */
int levy_rotate_recover(const char *data_dir, const char **what, levy_err *err);

/** Takes an exclusive lock on DATA_DIR/levy.lock (*fd stays open while it is held) and
 * writes the PID into it; LEVY_ECONFLICT "busy" "data dir DIR in use by PID N" when another
 * process holds it (serve, rotate-master-key, restore). */
int levy_datadir_lock(const char *data_dir, int *fd, levy_err *err);

/** Start-up check of the master key (levy serve; h->store open and generation 1 built, whose
 * plugins declare what they seal). Loads the key (LEVY_MASTER_KEY or DATA_DIR/master.key);
 * creates DATA_DIR/master.key only when no sealed value is stored. Refuses when sealed values
 * exist and the key is missing (LEVY_ENOTFOUND "key_missing") or is not theirs
 * (LEVY_ECONFLICT "key_mismatch": its fingerprint differs from meta('master_key_fingerprint'),
 * or, when none is recorded yet (a data dir from before the check), one stored value does
 * not open). Records the fingerprint. note (cap bytes, 2 KiB is enough) gets what was done
 * ("" if nothing), or on a refusal the full message: what is wrong and how to fix it. */
int levy_rotate_verify_key(levy_host *h, uint8_t key[LEVY_KEY_LEN], char *note, size_t cap,
                           levy_err *err);

#endif
