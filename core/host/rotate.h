#ifndef LEVY_ROTATE_H
#define LEVY_ROTATE_H
/* levy rotate-master-key: re-seal every secret plugins declare (`sealed` in handler.lua)
 * under a new master key, in one store transaction, then swap DATA_DIR/master.key.
 * Crash safety: the transaction stores meta('master_key_fingerprint') = the first 16 hex
 * chars of SHA-256(new key) and DATA_DIR/master.key.prev.new (the current key) and
 * master.key.new are written (fsync) before the commit and renamed over master.key.prev and
 * master.key after it, so master.key.prev changes only with a committed rotation;
 * levy_rotate_recover (every start) renames them when master.key.new's fingerprint is the
 * committed one, and deletes them otherwise (a master.key.prev.new alone too);
 * rotate-master-key does the same first, on both engines. Once COMMIT is sent,
 * rotate-master-key never removes master.key.new, even when the COMMIT reports a failure (a
 * PostgreSQL connection lost after the server committed, issue 18): the recovery decides by
 * the fingerprint.
 * On PostgreSQL (cfg->database, issue 22) the store is shared: the rotation refuses while any
 * other levy is connected to the database (pg_stat_activity, application_name "levy"), a
 * replica's heartbeat row (table replicas) was seen within LEVY_GENREG_LIVE_S, or the
 * data dir is locked, holds the migrations' advisory lock throughout, and the start-up check
 * (levy_rotate_verify_key) settles master.key.new against the database's fingerprint instead
 * of levy_rotate_recover (which reads DATA_DIR/levy.db). */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto/crypto.h"
#include "levy.h"
#include "lua/gen.h"
#include "store/store.h"

#define LEVY_ROTATE_FP_LEN 16 /* hex chars of SHA-256(key) kept in meta */

/** The fingerprint of key kept in meta('master_key_fingerprint'): the first
 * LEVY_ROTATE_FP_LEN hex chars of SHA-256(key). */
int levy_rotate_fingerprint(const uint8_t key[LEVY_KEY_LEN], char out[LEVY_ROTATE_FP_LEN + 1],
                            levy_err *err);

/* What rotation needs from the host, given as a callback so that rotate.c does not call the
 * host back (host.c calls rotate.c, never the reverse): build(cfg, visit, ud, err) builds a
 * check-role generation of cfg's plugins (no store, no migrations; load errors printed to
 * stderr), runs visit(g, ud, err) on it, frees it and returns visit's result. The host's is
 * levy_host_with_generation (host/host.h). */
typedef int (*levy_rotate_visit_fn)(levy_gen *g, void *ud, levy_err *err);
typedef int (*levy_rotate_build_fn)(levy_config *cfg, levy_rotate_visit_fn visit, void *ud,
                                    levy_err *err);

/** The `rotate-master-key` subcommand; returns the process exit code (0 ok, 1 failed). */
int levy_rotate_master_key(levy_config *cfg, levy_rotate_build_fn build);
/** Takes the exclusive lock on DATA_DIR/levy.lock for a serving process (*fd stays open for
 * the process lifetime): a second serve, a rotation or a restore on the same data dir is
 * refused (LEVY_ECONFLICT "busy", naming the holder's PID). */
int levy_rotate_serve_lock(const char *data_dir, int *fd, levy_err *err);
/** Completes or discards an interrupted rotation (see above); no-op when LEVY_MASTER_KEY is
 * set or there is neither DATA_DIR/master.key.new nor master.key.prev.new. *what (may be
 * NULL) gets a static note of what was done ("" when nothing). */
int levy_rotate_recover(const char *data_dir, const char **what, levy_err *err);

/** Takes an exclusive lock on DATA_DIR/levy.lock (*fd stays open while it is held) and
 * writes the PID into it; LEVY_ECONFLICT "busy" "data dir DIR in use by PID N" when another
 * process holds it (serve, rotate-master-key, restore). */
int levy_datadir_lock(const char *data_dir, int *fd, levy_err *err);

/** Start-up check of the master key (levy serve; the store of data_dir open and generation 1
 * built, gen, whose plugins declare what they seal). Loads the key (LEVY_MASTER_KEY or DATA_DIR/master.key);
 * creates DATA_DIR/master.key only when no sealed value is stored. Refuses when sealed values
 * exist and the key is missing (LEVY_ENOTFOUND "key_missing") or is not theirs
 * (LEVY_ECONFLICT "key_mismatch": its fingerprint differs from meta('master_key_fingerprint'),
 * or, when none is recorded yet (a data dir from before the check), one stored value does
 * not open). Records the fingerprint. note (cap bytes, 2 KiB is enough) gets what was done
 * ("" if nothing), or on a refusal the full message: what is wrong and how to fix it. */
int levy_rotate_verify_key(const char *data_dir, levy_store *store, levy_gen *gen,
                           uint8_t key[LEVY_KEY_LEN], char *note, size_t cap, levy_err *err);

#endif
