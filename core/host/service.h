#ifndef LEVY_HOST_SERVICE_H
#define LEVY_HOST_SERVICE_H
/* levy as a systemd service (docs/operations.md, "systemd"): the sd_notify protocol through
 * levy's own sender (levy_service_notify; READY=1 once listening with generation 1 loaded, WATCHDOG=1 from the event
 * loop at half of WATCHDOG_USEC, RELOADING=1 / READY=1 around every reload, STATUS= lines,
 * STOPPING=1) and `levy reload`, the unit's ExecReload: POST /admin/reload on the running
 * levy and exit 0 only when the reload took. Every notify call is a no-op when
 * NOTIFY_SOCKET is unset (not under systemd). */
#include <stdint.h>

#include "config.h"

struct event_base;
typedef struct levy_reload_report levy_reload_report;

/** READY=1 + STATUS=<status>; starts the watchdog timer on base when systemd asked for one
 * (WatchdogSec=, seen as WATCHDOG_USEC/WATCHDOG_PID). */
void levy_service_ready(struct event_base *base, const char *status);
/** Under systemd (NOTIFY_SOCKET set): a migration the store applies (p, the store's migration
 * observer's argument; host/starting.c registers the observer and calls this) sends a
 * STATUS= line before and after it and, before it, EXTEND_TIMEOUT_USEC= (15 min), so a long
 * upgrade is not killed by the unit's start timeout. Without NOTIFY_SOCKET: nothing. */
struct levy_migration_progress;
void levy_service_migration_status(const struct levy_migration_progress *p);
/** RELOADING=1 (+ MONOTONIC_USEC) and a STATUS= line: a reload build starts. */
void levy_service_reloading(void);
/** READY=1 + STATUS= naming the reload's outcome (the generation live, or the first error of
 * a rejected build and the generation still serving). */
void levy_service_reloaded(const levy_reload_report *r);
/** STOPPING=1 + STATUS=: draining. */
void levy_service_stopping(int calls);
/** sd_notify(3)'s protocol without libsystemd: msg as one datagram to $NOTIFY_SOCKET (a path
 * or "@abstract"). 1 sent, 0 when NOTIFY_SOCKET is unset, a negative errno when it fails. */
int levy_service_notify(const char *msg);
/** sd_watchdog_enabled(3): 1 and *usec = WATCHDOG_USEC when it is set (> 0) and WATCHDOG_PID
 * is unset or this process; else 0 and *usec = 0. */
int levy_service_watchdog_usec(uint64_t *usec);
/** Stops the watchdog timer (before the loop is freed). */
void levy_service_close(void);

/** `levy reload`: asks the levy listening on cfg->listen (0.0.0.0 / :: -> loopback) to
 * reload, with the API token of cfg (flag, env, file) or DATA_DIR/api-token, and prints the
 * outcome. 0 reloaded or unchanged; 1 rejected (the errors are printed) or no answer. */
int levy_service_reload_cli(levy_config *cfg);

/** `levy fx import FILE`: sends the ECB reference-rate file FILE (eurofxref-hist.csv) to the
 * levy serving on cfg->listen (POST /v1/reports/fx-rates, the same token as levy reload) and
 * waits while levy checks a large one. 0 ready; 1 refused (the reason printed) or no answer. */
int levy_service_fx_cli(levy_config *cfg, const char *file);

/** `levy recount`: asks the levy serving on cfg->listen to recount every kept table from the
 * documents (POST /v1/store/recount, the same token as levy reload), prints each phase as it
 * starts and the outcome in words. 0 finished (fixed or not); 1 failed or no answer. */
int levy_service_recount_cli(levy_config *cfg);

#endif
