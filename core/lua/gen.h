#ifndef LEVY_GEN_H
#define LEVY_GEN_H
/* Generations: a sandboxed VM loaded from plugins/ and scripts/ with its route table, job
 * kinds and file list. Built aside (levy_gen_build), validated, self-tested, then made
 * current by the host; reference-counted so in-flight calls finish on the generation they
 * started on and the last user frees it. */
#include <stdint.h>

#include "levy.h"
#include "vm.h"

/* A route without `auth` needs the API token like auth = "token": only an explicit
 * auth = "none" is open (the webhook intake, /healthz, the simulator). */
/* auth = "admin" (admin23): a token route only an admin's credential may call (the host answers
 * anyone else 403 admin_required, audited, before the route runs): what would outlive a
 * non-admin token's revocation (a Sphere key, a Rillet connection's secrets). */
enum { LEVY_AUTH_DEFAULT = 0, LEVY_AUTH_TOKEN = 1, LEVY_AUTH_NONE = 2, LEVY_AUTH_ADMIN = 3 };
/* levy_gen_match's *path_known: which kinds of route have the path with another method */
enum { LEVY_PATH_KNOWN_PROTECTED = 1, LEVY_PATH_KNOWN_OPEN = 2 };

/* A route's fast path (issue 21, core/host/fasthook.c): a signed-webhook intake the host may
 * answer in C, declared by the plugin as data (the route's `fast` table, docs/plugins.md
 * "Fast webhook intake"); what the C path cannot decide goes to the route's Lua handler. */
enum {                          /* the values a step's parameter names */
       LEVY_FV_ID = 1,          /* the id header, verbatim */
       LEVY_FV_PARAM,           /* the route's capture `param` */
       LEVY_FV_ENTITY,          /* the entity header, upper-case, '-' -> '_' */
       LEVY_FV_EVENT,           /* the event header, likewise */
       LEVY_FV_RECEIVED_AT,     /* now, ISO 8601 UTC with milliseconds */
       LEVY_FV_SECOND,          /* now, ISO 8601 UTC to the second */
       LEVY_FV_BODY,            /* the raw body */
       LEVY_FV_IGNORED_AT,      /* now (ms) when the entity is not `used`, else NULL */
       LEVY_FV_IGNORED_OUTCOME, /* "ignored" when the entity is not `used`, else NULL */
};
enum { LEVY_FW_ALWAYS = 0, LEVY_FW_USED, LEVY_FW_CHANGED }; /* a step's `when` */
#define LEVY_FAST_MAX_STEPS 4
#define LEVY_FAST_MAX_PARAMS 16
#define LEVY_FAST_MAX_USED 16
typedef struct levy_fast_step {
    char *sql; /* SQL step; NULL for a job step */
    int nparams, params[LEVY_FAST_MAX_PARAMS];
    int stop_if_none, when;
    int defer;                          /* LEVY_WSTEP_DEFER (store.durable's `defer`) */
    char *job_kind, *job_payload_field; /* job step: payload {"<field>": param}, key = param */
} levy_fast_step;
typedef struct levy_route_fast {
    char *param;                                    /* capture holding the connection id */
    char *h_sig, *h_ts, *h_id, *h_entity, *h_event; /* header names, lower case */
    int max_signatures;
    int64_t future_skew_s;
    char *lookup; /* ?1 param, ?2 id -> sealed token, its AAD, last second, fast, seen */
    char *used[LEVY_FAST_MAX_USED];
    int nused;
    levy_fast_step steps[LEVY_FAST_MAX_STEPS];
    int nsteps;
    char *answer_duplicate, *answer_received, *metric;
} levy_route_fast;

typedef struct levy_route {
    char method[8];
    char *path;  /* pattern as written: "/v1/things/{id}" */
    char **segs; /* segments; "{name}" = capture */
    int nsegs;
    int auth;        /* LEVY_AUTH_* */
    size_t max_body; /* request body cap in bytes; 0 = the host's default (1 MiB) */
    char *plugin;
    int index;             /* 1-based index in the prelude's route list */
    levy_route_fast *fast; /* NULL: Lua only */
    int read_only_ok;      /* a read-only token may call it (read_only_ok = true: an export, a
                            * calculation; it changes no tax data, settings or secrets) */
} levy_route;

typedef struct levy_gen_file {
    char *path; /* "plugins/x/handler.lua", "scripts/us/tx.lua" */
    char sha256[65];
    int is_rule;
} levy_gen_file;

typedef struct levy_job_kind {
    char *kind;
    char *plugin;
    int max_attempts, concurrency;
    int64_t base_delay_ms, max_delay_ms;
} levy_job_kind;

#define LEVY_GEN_IDX_SEGS 8
typedef struct levy_gen {
    levy_vm *vm;
    uint64_t id;
    int refs; /* the host's "current" pointer counts as one */
    int64_t loaded_at_ms;
    char tree_hash[65];
    /* Identity across replicas (issue 22; core/host/genreg.c): content_hash is the sha256 of
     * tree_hash and the rate vintages the generation was built on, the same on every replica
     * that loaded the same files; seq is the store-issued order of that content (higher =
     * newer), set on the loop before the generation goes live; 0 while not registered. */
    char content_hash[65];
    int64_t seq;
    levy_route *routes;
    int nroutes;
    /* The route match's index (levy_gen_index_routes): for a path of n segments, 1 <= n <=
     * LEVY_GEN_IDX_SEGS, and the first byte b of its key segment (the second, or the only
     * one), ridx[ridx_at[k]] .. ridx[ridx_at[k + 1] - 1], k = (n - 1) * 256 + b, are the
     * indices of the routes of n segments whose key segment is a capture or starts with b, in
     * route order: the only ones the scan could match, met in the same order. NULL: every
     * route is scanned (as for a path of 0 or more than LEVY_GEN_IDX_SEGS segments). */
    int *ridx;
    int ridx_at[LEVY_GEN_IDX_SEGS * 256 + 1];
    levy_gen_file *files;
    int nfiles;
    levy_job_kind *jobs;
    int njobs;
    int nrules, nplugins;
    /* Called with release_ud when the generation is freed (set by the host after a build:
     * the rate set the generation was built on). */
    void (*release)(void *ud);
    void *release_ud;
    struct levy_gen *reap_next; /* the reaper's queue (gen.c), once no reference is left */
} levy_gen;

/* One load error: file, line (0 when unknown), message. */
typedef struct levy_gen_errors {
    levy_err *v;
    int n, cap;
} levy_gen_errors;

void levy_gen_errors_add(levy_gen_errors *e, const char *file, int line, const char *msg);
void levy_gen_errors_free(levy_gen_errors *e);

/* Host pointers installed into the registry before any module is opened. */
typedef struct levy_gen_opts {
    const char *plugins_dir;
    const char *scripts_dir;
    const char *role; /* "serve", "sim", "check", "calc" */
    uint64_t id;      /* generation number */
    levy_vm_limits limits;
    void *config;         /* levy_config * (LEVY_HOST_CONFIG) */
    void *store;          /* levy_store * or NULL */
    void *client;         /* levy_http_client * or NULL */
    void *rates;          /* levy_rates * or NULL */
    void *selftest_rates; /* levy_rates * the rule self-tests run on (NULL = rates): the
                           * shipped tables, whose rates the golden vectors pin */
    int run_selftests;
    /* Applies plugin migrations (may be NULL): called for each loaded plugin. */
    int (*migrate)(void *ud, const char *plugin, const char *dir, levy_err *err);
    void *migrate_ud;
    /* Test hook: called on the new VM before loading (may be NULL). */
    void (*prepare)(levy_vm *vm, void *ud);
    void *prepare_ud;
} levy_gen_opts;

/** Hash of every file under plugins_dir and scripts_dir (paths and contents) as hex. */
int levy_gen_tree_hash(const char *plugins_dir, const char *scripts_dir, char out[65],
                       levy_err *err);

/** Lists every file of both trees with its sha256 (caller frees with levy_gen_files_free). */
int levy_gen_list_files(const char *plugins_dir, const char *scripts_dir, levy_gen_file **files,
                        int *n, levy_err *err);
void levy_gen_files_free(levy_gen_file *files, int n);

/** Builds a generation. On failure *out = NULL, errs lists {file,line,message} and the
 * return is LEVY_EINVAL (or LEVY_ENOMEM / LEVY_EIO). *nselftests (may be NULL) counts cases. */
int levy_gen_build(levy_gen **out, const levy_gen_opts *o, levy_gen_errors *errs, int *nselftests,
                   levy_err *err);

void levy_gen_ref(levy_gen *g);
/** Drops a reference; frees the generation at zero. */
void levy_gen_unref(levy_gen *g);
/** The reaper (issue 21, B4): on (1), a generation whose last reference the calling thread
 * (the event loop) drops later has its store statements finalized there and the rest (lua_close
 * of its state, the unmap of its pool region, its tables, malloc_trim) queued to one thread of
 * its own at nice 19, so the loop spends microseconds on it, not milliseconds. An unref on any
 * other thread, or with the reaper off, frees in place. Off (0) waits for the queue and joins
 * the thread. levy_gen_reap_wait returns when every generation queued so far is freed. */
void levy_gen_reaper(int on);
void levy_gen_reap_wait(void);
/** Generations the reaper thread has freed so far. */
uint64_t levy_gen_reaped_count(void);
/** Number of live (not yet freed) generations, for drain tests. */
int levy_gen_live_count(void);

/** Matches method+path; returns the route or NULL; *path_known set when some route has
 * this path with another method (LEVY_PATH_KNOWN_* bits). caps receives up to 16 capture (name, value) pointers into
 * the route and a scratch copy of path (caller frees *scratch). */
typedef struct levy_route_match {
    const levy_route *route;
    int ncaps;
    const char *names[16];
    char *values[16];
    char *scratch; /* the path's segments (values point into it): buf, or a heap copy */
    char buf[256]; /* a path that fits (issue 21: no strdup / free per request); so a match is
                      not copied by value while its values are in use */
} levy_route_match;
/* Builds g's route match index (g->ridx) from g->routes (levy_gen_build does it after loading;
 * a hand-built generation may call it). LEVY_OK, or LEVY_ENOMEM (no index: the match scans). */
int levy_gen_index_routes(levy_gen *g);
int levy_gen_match(const levy_gen *g, const char *method, const char *path, levy_route_match *m,
                   int *path_known);
void levy_route_match_free(levy_route_match *m);

#endif
