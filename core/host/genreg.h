#ifndef LEVY_HOST_GENREG_H
#define LEVY_HOST_GENREG_H
/* Generations across replicas (issue 22). Hot reload is per replica: during a rollout the
 * replicas sharing one database may serve different plugins, scripts or rate vintages. Each
 * generation gets an identity that means the same on every replica -- a content hash of its
 * files' tree hash and the rate vintages it was built on -- and a store-issued order `seq`
 * (core migration 0004, table `generations`): higher is newer. Calculations record both, so
 * a write-back of an older generation's result loses to a newer one's (plugins/rillet).
 * Each replica keeps a heartbeat row (table `replicas`) naming what it serves; GET
 * /admin/generation lists the live ones, so an operator sees a mixed-generation window.
 *
 * Ordering rule of seq: new content gets max + 1. Known content keeps its seq when it is the
 * newest (the second replica catching up, a restart on the same files). Otherwise a reload --
 * an operator's act -- or a start makes it the newest (max + 1: a rollback, a downgrade),
 * except a start while another live replica serves newer content: that replica was restarted
 * on older files in the middle of a rollout and is not "newer". Every replica serving a content
 * re-reads its seq on each heartbeat (another replica may have moved it up). */
#include <stdint.h>

#include "levy.h"
#include "lua/gen.h"
#include "store/store.h"
#include "tax/rates.h"

/* A heartbeat every LEVY_GENREG_BEAT_S seconds; a replica not seen for LEVY_GENREG_LIVE_S is
 * not listed as live. */
#define LEVY_GENREG_BEAT_S 5
#define LEVY_GENREG_LIVE_S 20

/** Sets g->content_hash from g->tree_hash and the rate vintages of rates (may be NULL). */
void levy_genreg_hash(levy_gen *g, const levy_rates *rates);

/** The rate vintages of rates as "source vintage rows" lines (caller frees). */
char *levy_genreg_rates_text(const levy_rates *rates);

/** Sets g->seq from the store (see the ordering rule above); reload: g replaces a live
 * generation of this process. Retries a concurrent replica's clash on seq. */
int levy_genreg_register(levy_store *st, levy_gen *g, const levy_rates *rates, int reload,
                         const char *replica, levy_err *err);

/** Re-reads g's seq (another replica may have made its content the newest since). */
int levy_genreg_refresh(levy_store *st, levy_gen *g, levy_err *err);

/** Writes this replica's heartbeat row (what it serves, now_ms as last seen, nonce: this
 * process life's random tag; on PostgreSQL also the server session writing it). */
int levy_genreg_beat(levy_store *st, const char *replica, const char *nonce, const levy_gen *g,
                     int64_t started_ms, int64_t now_ms, levy_err *err);

/** Another live process uses this replica id (a data dir copied with its DATA_DIR/replica-id,
 * the same --replica-id twice): 1 when replica's heartbeat row carries a nonce that is not
 * ours and either we have beaten before (beaten: only a live process can have written it
 * since) or, before our first beat, the PostgreSQL session that wrote it is still connected
 * (a previous life of this replica, killed, has no session left: not a clash). 0 when not;
 * -LEVY_E* on a store error. */
int levy_genreg_clash(levy_store *st, const char *replica, const char *nonce, int beaten,
                      levy_err *err);

/** Deletes this replica's heartbeat row (a graceful stop) if nonce wrote it last. */
int levy_genreg_forget(levy_store *st, const char *replica, const char *nonce, levy_err *err);

/* One live replica's row. */
typedef struct levy_genreg_replica {
    char id[128];
    uint64_t generation;
    char hash[65];
    int64_t seq; /* 0: not registered */
    int64_t loaded_at_ms, started_ms, last_seen_ms;
    char version[32];
} levy_genreg_replica;

/** The replicas seen since now_ms - LEVY_GENREG_LIVE_S, by id (caller frees *out). */
int levy_genreg_live(levy_store *st, int64_t now_ms, levy_genreg_replica **out, int *n,
                     levy_err *err);

#endif
