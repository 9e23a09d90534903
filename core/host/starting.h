#ifndef LEVY_HOST_STARTING_H
#define LEVY_HOST_STARTING_H
/* The start of `levy serve` / `levy sim` while the store is not ready yet (issue 20,
 * operations): levy listens before it opens the store, and a thread (host.c, start_main) runs
 * the store's side of the start — core and plugin migrations, the integrity check, generation
 * 1 with its self-tests, the master key's check — while the loop answers every request from
 * this file: GET /healthz 503 {"status":"migrating",...} (or "starting"; "failed" once the
 * start failed, until the process exits 1), anything else 503 {"error":{"code":"starting"}},
 * both with Retry-After. Nothing here reads the store, the generation or the metrics registry
 * (the thread owns them until it ends). docs/host.md "Start-up order". */
#include <stddef.h>
#include <stdint.h>

#include "json_scan.h"

typedef enum {
    LEVY_START_STARTING = 0, /* opening the store, loading plugins and rules, self-tests */
    LEVY_START_MIGRATING,    /* a store migration is running */
    LEVY_START_FAILED        /* the start failed: levy exits 1 */
} levy_start_phase;

/* What the start is doing, as copied out of the shared state (levy_start_view_get). */
typedef struct levy_start_view {
    levy_start_phase phase;
    int has_migration; /* plugin/step name a migration (running, or the one that failed) */
    char plugin[64], step[160];
    int done, total; /* migrations of this plugin's batch applied, and pending in all */
    int index;       /* the running one: 1..total */
    char error[48];  /* FAILED: the error's code ("migration_failed", "start_failed", ...) */
} levy_start_view;

/** Resets the state to STARTING and registers the store's migration observer, which records
 * each migration here (any thread) and says it to systemd (levy_service_migration_status). */
void levy_start_begin(void);
/** The state now (any thread; a copy under the state's lock). */
void levy_start_view_get(levy_start_view *v);
/** The start failed with code (the migration running then stays named). */
void levy_start_fail(const char *code);
/** GET /healthz's body for v: {"status":"starting"|"migrating"|"failed","version":V[,
 * "error":CODE][,"migration":{"plugin","step","done","total"}]}. */
void levy_start_health_json(const levy_start_view *v, levy_buf *out);
/** The message of the 503 every other request gets ("levy is applying store migrations (N of
 * M); retry shortly", ...). */
void levy_start_message(const levy_start_view *v, char *out, size_t cap);
/** The Retry-After (seconds) of an answer during v. */
int levy_start_retry_after(const levy_start_view *v);

struct evhttp_request;
/** Answers req while levy starts (the loop; called by the host's dispatch before anything
 * else): /healthz (GET, HEAD) the state's body, "/" or "/index.html" (GET, HEAD) a small page
 * saying levy is starting, anything else the "starting" error; all 503 + Retry-After. The
 * answers are counted here and added to levy_http_requests_total{route="starting"} once
 * levy serves (levy_start_answered). */
void levy_start_answer(struct evhttp_request *req, const char *method, const char *path);
/** The requests answered by levy_start_answer so far (the loop). */
uint64_t levy_start_answered(void);

#endif
