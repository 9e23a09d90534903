#ifndef LEVY_HOST_H
#define LEVY_HOST_H
/* The running process: configuration, event loop, current generation, store, outbound HTTP
 * client, HTTP server, job runner and schedules; reload and graceful stop. */
#include <stdint.h>

#include <lua.h>

#include "config.h"
#include "levy.h"
#include "lua/gen.h"
#include "lua/lctx.h"
#include "lua/vm.h"

struct event_base;
struct event;
typedef struct levy_server levy_server;
typedef struct levy_http_client levy_http_client;
typedef struct levy_host levy_host;

/* A Lua call on a generation: a coroutine with its context and budget. Created by
 * levy_call_new, driven by levy_call_resume (which may return with the coroutine parked on
 * outbound HTTP or a timer: ctx.waiting, ctx.resume), finished through the `finish` callback, then freed by the host. */
typedef enum {
    LEVY_CALL_HTTP = 1,
    LEVY_CALL_JOB,
    LEVY_CALL_SCHEDULE,
    LEVY_CALL_START,
    LEVY_CALL_CALC
} levy_call_kind;

typedef struct levy_call levy_call;
/* status: LUA_OK (results on co: nres values) or an error status (error value on top of co).
 * The callback must not free the call. */
typedef void (*levy_call_finish_fn)(levy_call *call, int status, int nres);

struct levy_call {
    levy_budget budget; /* first member: vm.h contract */
    levy_lctx ctx;
    levy_host *host;
    levy_gen *gen;
    lua_State *co;
    int co_ref;
    levy_call_kind kind;
    levy_call_finish_fn finish;
    void *ud;
    char id[40];
    int64_t started_ms;
    char plugin[64];
    levy_call *prev, *next;
};

/** Creates a call on gen (takes a generation reference). The function and arguments are
 * then pushed on call->co by the caller. NULL on OOM. */
levy_call *levy_call_new(levy_host *h, levy_gen *gen, levy_call_kind kind, const char *plugin,
                         levy_call_finish_fn finish, void *ud);
/** Resumes (or starts) the coroutine with nargs values on its stack. When it finishes
 * (ok or error) `finish` runs and the call is freed. */
void levy_call_resume(levy_call *call, int nargs);
/** A helper thread of L's state anchored in the registry under *ref (luaL_unref it when
 * done); NULL when the state is out of memory. Never raises. */
lua_State *levy_aux_thread(lua_State *L, int *ref);
/** A request id (X-Request-Id) from the calls' sequence, for a request answered without a call
 * (the fast webhook path, host/fasthook.c). */
void levy_call_request_id(char *out, size_t cap);
/** The fast webhook path of a route that declares one (host/fasthook.c, gen.h
 * levy_route_fast): 1 when req was answered or handed to the writer, 0 when the route's Lua
 * handler must take it (anything the C path does not decide). */
struct evhttp_request;
int levy_fasthook_try(levy_host *h, struct evhttp_request *req, const levy_route_match *m);
/** Deliveries to fast routes so far: answered in C, and left to Lua. */
void levy_fasthook_counts(uint64_t *c, uint64_t *lua);
/** Ends a call that could not start, with the error value on top of co (finish sees an
 * error status), and frees it. */
void levy_call_fail(levy_call *call);
/** Pushes a traceback of a failed call's error on co and logs it (request id, plugin). */
void levy_call_log_error(levy_call *call, const char *what);
/** The text of the error value at idx of co: a string as is; an API error table as
 * "STATUS code: message" (raw reads); else "(error object is a T value)". Returns either a
 * string owned by co or buf. */
const char *levy_call_error_text(lua_State *co, int idx, char *buf, size_t cap);

typedef struct levy_reload_report {
    const char *status; /* "reloaded", "unchanged", "rejected" */
    uint64_t generation;
    levy_gen_errors errors;
    int selftests;
} levy_reload_report;

/* Called on the loop when an asynchronous reload is done (levy_host_reload_async); the report
 * and its errors are valid during the call only; NULL when the host stopped first. */
typedef void (*levy_reload_cb)(void *ud, const levy_reload_report *r);

struct levy_host {
    levy_config *cfg;
    struct event_base *base;
    levy_gen *current;
    struct levy_store *store; /* NULL for subcommands without a store (check) */
    levy_http_client *client;
    levy_server *server;
    levy_server *metrics_server; /* --metrics-listen: GET /metrics only; NULL when not set */
    levy_config *metrics_cfg;    /* its listener's copy of cfg (address, no TLS) */
    uint64_t reloads, reload_failures;
    int stopping;
    int calls; /* live calls of any kind */
    int http_inflight;
    int audits_pending; /* reloads' audit rows on the writer (levy_reload_audit): a stop waits */
    int jobs_running;
    levy_call *call_head;
    struct event *sig_int, *sig_term, *sig_hup, *stop_timer, *jobs_timer;
    struct event *watch_ev, *watch_debounce;
    int watch_fd;
    int exit_code;
    struct levy_jobs_runner *jobs;    /* runner state (host/jobs.c), opaque */
    struct levy_schedules *sched;     /* schedule timers (host/jobs.c), opaque */
    struct levy_reload_state *reload; /* async reload state (host.c), opaque */
    int started;                      /* on_start hooks ran */
    /* Reload without blocking the loop (levy_host_reload_async, set by levy_host_serve): how
     * the routes (POST /admin/reload, host/routes.c) ask for one without calling host.c;
     * NULL where nothing may reload (the route then answers 503). */
    void (*reload_async)(levy_host *h, levy_reload_cb cb, void *ud);
    struct levy_rates_set *rates_set; /* the current rate set (host.c): a generation holds a
                                       * reference to the set it was built on */
    struct levy_rates *rates;         /* the current rate index (of rates_set) */
    struct levy_rates *shipped_rates; /* data/ only, for rule self-tests, when DATA_DIR/rates
                                       * holds imported vintages (else NULL) */
    /* The store's writer thread (core/store/writer.h; levy serve, unless LEVY_STORE_WRITER=0):
     * store.durable units are group-committed there; its completions come back on writer_ev. */
    struct levy_writer *writer;
    struct event *writer_ev;
    /* Generations across replicas (host/genreg.h): the heartbeat timer, when this process
     * started serving, and whether the current generation came from a reload (its seq is
     * issued by the reload rule when registration is retried). */
    struct event *beat_ev;
    struct event *gc_idle_ev; /* the idle collector's zero timer (levy_host_gc_idle) */
    int64_t serving_since_ms;
    int current_from_reload;
    /* One replica id, one live process (issue 22): this life's random nonce in the heartbeat
     * row; whether this process has beaten yet; whether the id is the one kept in
     * DATA_DIR/replica-id (a rename then writes the new one there); and, once another live
     * process was found under the id, the id it had and when (GET /admin/generation). */
    char nonce[33];
    int beaten;
    int replica_id_kept;
    char clash_from[128];
    int64_t clash_at_ms;
    /* The last reload's outcome in this process (GET /admin/generation `last_reload`, Home's
     * Needs attention): status "reloaded"/"unchanged"/"rejected" ("" before any reload), when,
     * how many errors and the first one (file, line, message). A later reload that takes or
     * finds nothing changed replaces a rejection. */
    char reload_status[16];
    int64_t reload_at_ms;
    int reload_nerrors;
    char reload_file[256];
    int reload_line;
    char reload_message[512];
    /* The start (host.c start_main, host/starting.h): 1 while its thread runs the store's side
     * of the start and the loop answers every request 503 "starting"; what the thread found
     * for the loop (a replica renamed: its metrics are set on the loop) */
    int starting;
    int start_renamed;
    /* access.refused rows held back per (actor, route) and minute (host/refusals.h, issue 20
     * #1; routes.c admin_refused) and the timer that writes their summaries */
    struct levy_refusals *refusals;
    struct event *refusals_ev;
};

/** The store's integrity check at start (host/storecheck.c): a SQLite store larger than
 * LEVY_STORE_CHECK_START_MB (default 256) is checked by a thread while levy serves
 * (*deferred = 1; damage found is logged and marks the store corrupt); otherwise *deferred =
 * 0 and the caller checks it whole before serving. 0, or -1 for a malformed setting.
 * levy_storecheck_plan only decides (no thread, no event: the start's thread may ask);
 * levy_storecheck_at_start decides and, when deferred, starts the check (the loop). */
int levy_storecheck_plan(levy_host *h, const char *dbpath, int *deferred);
int levy_storecheck_at_start(levy_host *h, const char *dbpath, int *deferred);
/** Interrupts and joins the check's thread (levy stops). */
void levy_storecheck_stop(void);

/** Builds generation id for the host's role and config (store migrations and self-tests
 * included). */
int levy_host_build(levy_host *h, uint64_t id, levy_gen **out, levy_gen_errors *errs,
                    int *nselftests, levy_err *err);
/** Same without migrations (safe off the loop thread: touches no shared mutable state). */
int levy_host_build_aside(levy_host *h, uint64_t id, levy_gen **out, levy_gen_errors *errs,
                          int *nselftests, levy_err *err);
/** Applies the plugin migrations of g (loop thread). Errors are added to errs. */
int levy_host_migrate(levy_host *h, levy_gen *g, levy_gen_errors *errs);
/** Reload: build aside, validate, self-test, swap. Fills r (caller frees r->errors). */
int levy_host_reload(levy_host *h, levy_reload_report *r);
/** A new event loop with precise timers (NULL on failure). */
/* The priority of the idle collector's event (the lowest; others have 1, libevent's default). */
#define LEVY_HOST_PRIO_IDLE 2
struct event_base *levy_host_event_base_new(void);
/** Arms the idle collector: once the loop has nothing else ready, small steps of the current
 * generation's Lua collector run until its cycle ends (levy_vm_gc_idle_step). */
void levy_host_gc_idle(levy_host *h);
/** Reload without blocking the loop: the generation is built and its plugin migrations
 * checked on a thread; new migrations (if any) and the swap happen on the loop; cb(ud, report) runs on the loop when done (the report and
 * its errors are valid during the call only). Requests arriving meanwhile join the next
 * build. Returns at once. */
void levy_host_reload_async(levy_host *h, levy_reload_cb cb, void *ud);

/* The audit log (issue 20) of reloads. A reload in flight: who asked and what served then. */
typedef struct levy_reload_ask {
    char actor_kind[32], actor[112]; /* levy_auth_actor's (LEVY_ACTOR_MAX) */
    unsigned long long before;       /* the generation serving when it was asked */
    char *rates_before;              /* levy_host_rates_summary then (owned) */
} levy_reload_ask;

/** Fills a with the actor (kind "system" when kind is NULL) and the state serving now. */
void levy_reload_ask_init(levy_host *h, levy_reload_ask *a, const char *kind, const char *actor);

/** The rate tables in use in a line ("source vintage, ..."; "" without rates); malloc'd. */
char *levy_host_rates_summary(levy_host *h);

/** The row of a reload that took (rules.reloaded, with the rates' vintages before / after when
 * they changed), written once the new generation serves; frees a's strings. A swap cannot be
 * undone, so a row that cannot be written is logged (ERROR). r NULL: nothing (stopped). With
 * the store's writer thread the row is written there (off the loop) and then(ud) runs on the
 * loop once it is durable (or failed); without one (or none to write) then(ud) runs before
 * this returns. then may be NULL. */
void levy_reload_audit(levy_host *h, levy_reload_ask *a, const levy_reload_report *r,
                       void (*then)(void *ud), void *ud);

/** levy_host_reload_async for work no API request asked (SIGHUP, --watch, the rates update
 * schedule): its row names kind/actor ("system"/"signal", "system"/"watch", ...). */
void levy_host_reload_audited(levy_host *h, const char *kind, const char *actor);
/** Builds a check-role generation of cfg's plugins and rules (no store, no migrations; load
 * errors printed to stderr as "levy CMD: file:line: message"), runs visit(g, ud, err) on it,
 * frees it. Returns visit's result, or the build's error. (levy rotate-master-key learns the
 * sealed columns this way: levy_rotate_build_fn.) */
int levy_host_with_generation(levy_config *cfg, int (*visit)(levy_gen *g, void *ud, levy_err *err),
                              void *ud, levy_err *err);
/** Frees the current generation, the store, the rate tables and the loop of h (zeroed host: no-op). */
void levy_host_release(levy_host *h);
/** Graceful stop: stop accepting, drain requests and jobs, exit the loop. */
void levy_host_stop(levy_host *h);
/** Runs `levy serve` / `levy sim`. Returns the process exit code. */
int levy_host_serve(levy_config *cfg);
/** Describes the core's metric families (HELP) and sets levy_build_info (core/host/routes.c). */
void levy_host_metrics_describe(void);
/** `levy check`. Returns 0/1. */
int levy_host_check(levy_config *cfg);
/** levy test [PATH]: runs plugins' Lua specs (core/host/spec.c); exit code 0 / 1. */
int levy_host_test(levy_config *cfg);
/** `levy calc`. Returns 0/1/2. */
int levy_host_calc(levy_config *cfg);
/** `levy demo`. */
int levy_host_demo(levy_config *cfg, const char *argv0);

/* jobs runner and schedules (host/jobs.c) */
void levy_jobs_runner_start(levy_host *h);
void levy_jobs_runner_kick(levy_host *h);
void levy_jobs_runner_stop(levy_host *h);
void levy_schedule_start(levy_host *h);
void levy_schedule_stop(levy_host *h);
int levy_jobs_runner_busy(levy_host *h);
/* Passes of the job runner since its start, and those that took the store's transaction and
 * claimed (not idle: something to flush, move or claim); 0 without a runner. */
void levy_jobs_runner_polls(levy_host *h, int64_t *polls, int64_t *full);
/* PostgreSQL: the lease renewals the job runner sent (one statement each, when a lease of a
 * job running here reached its renewal window); 0 without a runner. */
int64_t levy_jobs_runner_renewals(levy_host *h);
/* The process took a new replica id (host.c replica_rename; levy_jobs_set_lease has the new
 * one): the next poll moves the claims of the jobs running here from old_id to it
 * (levy_jobs_move_claims), so their leases go on being renewed. */
void levy_jobs_runner_renamed(levy_host *h, const char *old_id);

/* HTTP (host/routes.c): starts h->server (core/http/server.h) with the host's dispatch:
 * auth, C routes, the current generation's Lua routes, route body caps, static files; and,
 * with --metrics-listen, h->metrics_server, which serves GET /metrics only (plain HTTP; the
 * metrics or API token is asked there only when a metrics token is set). */
int levy_host_listen(levy_host *h, levy_err *err);
/* Stops accepting on both listeners (graceful stop) / frees them. */
/** Accepting held (1) or resumed (0) on both listeners, bound and listening all the while
 * (the start: host.c, LEVY_START_ANSWER_AFTER_MS). */
void levy_host_listen_hold(levy_host *h, int hold);
void levy_host_listen_stop(levy_host *h);
/* 1 while an answer on either listener is not written to the end (levy_server_busy). */
int levy_host_listen_busy(levy_host *h);
void levy_host_listen_free(levy_host *h);
/** Writes the access.refused summaries still held back (host/refusals.h; levy stops, the store
 * still open) and frees their table and timer (routes.c). Safe when there are none. */
void levy_host_refusals_stop(levy_host *h);

#endif
