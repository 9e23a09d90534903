/* Generation build, file hashing, route matching and refcounting (see gen.h). */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>

#include "crypto/crypto.h"
#include "file.h"
#include "gen.h"
#include "hlog.h"
#include "lctx.h"
#include "modules.h"
#include "sandbox.h"

static _Atomic int live_gens; /* generations are built on a reload thread */

void levy_gen_errors_add(levy_gen_errors *e, const char *file, int line, const char *msg)
{
    if (e->n == e->cap) {
        int cap = e->cap ? e->cap * 2 : 8;
        levy_err *v = realloc(e->v, (size_t)cap * sizeof *v);
        if (!v)
            return;
        e->v = v;
        e->cap = cap;
    }
    levy_err *x = &e->v[e->n++];
    memset(x, 0, sizeof *x);
    x->rc = LEVY_EINVAL;
    snprintf(x->code, sizeof x->code, "load_failed");
    snprintf(x->source, sizeof x->source, "%s", file ? file : "");
    x->line = line;
    snprintf(x->message, sizeof x->message, "%s", msg ? msg : "");
}

void levy_gen_errors_free(levy_gen_errors *e)
{
    free(e->v);
    memset(e, 0, sizeof *e);
}

/* ---- file tree ---------------------------------------------------------------------- */

typedef struct strvec {
    char **v;
    int n, cap;
} strvec;

static int sv_push(strvec *s, const char *x)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    if (!(s->v[s->n] = strdup(x)))
        return -1;
    s->n++;
    return 0;
}

static void sv_free(strvec *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect_file(void *ud, const char *path, const char *rel, const struct stat *st)
{
    (void)path;
    if (!S_ISREG(st->st_mode))
        return LEVY_OK;
    return sv_push(ud, rel) ? LEVY_ENOMEM : LEVY_OK;
}

/* Collects the regular files below root (eight folder levels at most) as paths relative to
 * it. A missing root is an empty tree; -1 (errno) when a folder cannot be listed. */
static int walk(const char *root, strvec *out)
{
    int rc = levy_dir_walk(root, 8, collect_file, out, NULL);
    return rc == LEVY_OK || rc == LEVY_ENOTFOUND ? 0 : -1;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    uint8_t md[LEVY_SHA256_LEN];
    if (levy_crypto_sha256(data, n, md, NULL) != LEVY_OK)
        memset(md, 0, sizeof md); /* cannot fail; a zero hash would only reload */
    levy_crypto_hex(md, sizeof md, out);
}

/* Lists and hashes every file of both trees. files gets "plugins/..."/"scripts/..." paths. */
static int hash_tree(const char *plugins_dir, const char *scripts_dir, levy_gen_file **files_out,
                     int *nfiles_out, char tree[65], levy_err *err)
{
    strvec pf = {0}, sf = {0};
    levy_gen_file *files = NULL;
    int nfiles = 0, rc = LEVY_OK;
    levy_sha256_ctx md;
    levy_sha256_init(&md);
    if (walk(plugins_dir, &pf) || walk(scripts_dir, &sf)) {
        rc = levy_err_set(err, LEVY_EIO, "io", "cannot list plugins/scripts: %s", strerror(errno));
        goto done;
    }
    if (pf.n)
        qsort(pf.v, (size_t)pf.n, sizeof *pf.v, cmp_str);
    if (sf.n)
        qsort(sf.v, (size_t)sf.n, sizeof *sf.v, cmp_str);
    files = calloc((size_t)(pf.n + sf.n) + 1, sizeof *files);
    if (!files) {
        rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        goto done;
    }
    for (int t = 0; t < 2; t++) {
        strvec *s = t ? &sf : &pf;
        const char *root = t ? scripts_dir : plugins_dir;
        for (int i = 0; i < s->n; i++) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", root, s->v[i]);
            size_t len = 0;
            char *data = NULL;
            if (levy_file_read(full, 0, &data, &len, NULL) != LEVY_OK)
                continue;
            levy_gen_file *f = &files[nfiles++];
            size_t plen = strlen(s->v[i]) + 9;
            f->path = malloc(plen);
            if (f->path)
                snprintf(f->path, plen, "%s/%s", t ? "scripts" : "plugins", s->v[i]);
            f->is_rule = t;
            sha256_hex(data, len, f->sha256);
            free(data);
            if (f->path)
                levy_sha256_update(&md, f->path, strlen(f->path) + 1);
            levy_sha256_update(&md, f->sha256, 64);
        }
    }
    uint8_t out[LEVY_SHA256_LEN];
    levy_sha256_final(&md, out);
    levy_crypto_hex(out, sizeof out, tree);
done:
    sv_free(&pf);
    sv_free(&sf);
    if (rc != LEVY_OK || !files_out) {
        for (int i = 0; i < nfiles; i++)
            free(files[i].path);
        free(files);
        files = NULL;
        nfiles = 0;
    }
    if (files_out) {
        *files_out = files;
        *nfiles_out = nfiles;
    }
    return rc;
}

int levy_gen_tree_hash(const char *plugins_dir, const char *scripts_dir, char out[65],
                       levy_err *err)
{
    return hash_tree(plugins_dir, scripts_dir, NULL, NULL, out, err);
}

int levy_gen_list_files(const char *plugins_dir, const char *scripts_dir, levy_gen_file **files,
                        int *n, levy_err *err)
{
    char tree[65];
    return hash_tree(plugins_dir, scripts_dir, files, n, tree, err);
}

void levy_gen_files_free(levy_gen_file *files, int n)
{
    for (int i = 0; i < n; i++)
        free(files[i].path);
    free(files);
}

/* ---- generation ----------------------------------------------------------------------- */

static void fast_free(levy_route_fast *f)
{
    if (!f)
        return;
    char **strs[] = {&f->param,           &f->h_sig,   &f->h_ts,   &f->h_id,
                     &f->h_entity,        &f->h_event, &f->lookup, &f->answer_duplicate,
                     &f->answer_received, &f->metric};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    for (int i = 0; i < f->nused; i++)
        free(f->used[i]);
    for (int i = 0; i < f->nsteps; i++) {
        free(f->steps[i].sql);
        free(f->steps[i].job_kind);
        free(f->steps[i].job_payload_field);
    }
    free(f);
}

static void gen_free(levy_gen *g)
{
    if (!g)
        return;
    levy_vm_free(g->vm);
    for (int i = 0; i < g->nroutes; i++) {
        free(g->routes[i].path);
        for (int j = 0; j < g->routes[i].nsegs; j++)
            free(g->routes[i].segs[j]);
        free(g->routes[i].segs);
        free(g->routes[i].plugin);
        fast_free(g->routes[i].fast);
    }
    free(g->routes);
    free(g->ridx);
    for (int i = 0; i < g->nfiles; i++)
        free(g->files[i].path);
    free(g->files);
    for (int i = 0; i < g->njobs; i++) {
        free(g->jobs[i].kind);
        free(g->jobs[i].plugin);
    }
    free(g->jobs);
    /* after the state: its finalizers may still read the rate tables (the set's count is
     * atomic, host.c rates_set_unref) */
    if (g->release)
        g->release(g->release_ud);
    free(g);
    live_gens--;
}

/* gen_free, then the memory handed back: once per generation freed after serving. */
static void gen_free_trim(levy_gen *g)
{
    gen_free(g);
    /* A generation is megabytes of small Lua objects (and its rule tables) freed at once,
     * in the middle of the heap, under the one that replaced it: glibc keeps such pages
     * until a trim, so every reload left RSS ~6-11 MB higher than before it (issue 21
     * soak: 25 -> 36 MB in ten reloads, flat after). Handed back here, once per reload. */
    malloc_trim(0);
}

/* ---- the reaper (issue 21, B4) ---------------------------------------------------------
 * Freeing a replaced generation was the largest thing a reload left on the event loop:
 * lua_close walks and frees every object of its state (2-10 ms for 166 rule files), then the
 * unmap of its 64 MB pool region and malloc_trim's ~190 madvise calls (0.4-35 ms under load,
 * bench/README.md h-reload23). With the reaper on, the owner's (the loop's) last unref does
 * there only what must stay there: it finalizes the state's levy.store statements (they belong
 * to the loop's NOMUTEX connection) and queues the generation. One long-lived thread frees the
 * queue in order. Nothing else of the state is reachable once its count is 0: the host's
 * pointers and every call hold a reference; the remaining finalizers (bind_json, bind_tax,
 * sandbox, vm) only free memory, and scripts cannot set a __gc (runtime/sandbox.lua); the
 * release callback drops the rate set's atomic count. The queue's atomics order the hand-over. It
 * runs at nice 19: nothing waits for it but memory, and on a core shared with the loop (levy
 * pinned to one CPU) a request that arrives preempts it at once. The earlier attempt (h-reload21,
 * b19bdb6) made a thread per generation and joined the previous one on the loop. */
static _Atomic(levy_gen *) reap_in; /* pushed by the owner's unref, newest first */
static sem_t reap_sem;              /* one post per push, and one to stop */
static _Atomic uint64_t queued, reaped;
static _Atomic int reap_stop;
static int reap_started;
static pthread_t reap_th, reap_owner;
static _Atomic int reaper_on; /* read by any thread's unref; the owner writes it */

static void *reaper_main(void *arg)
{
    (void)arg;
    /* cannot fail upward; levy.service's SystemCallFilter= allows setpriority (host.c) */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    for (;;) {
        while (sem_wait(&reap_sem) != 0 && errno == EINTR)
            ;
        int stop = reap_stop; /* read first: every push made before the stop is seen below */
        levy_gen *l = atomic_exchange(&reap_in, NULL), *order = NULL;
        if (!l && stop)
            break;
        while (l) { /* oldest first */
            levy_gen *n = l->reap_next;
            l->reap_next = order;
            order = l;
            l = n;
        }
        while (order) {
            levy_gen *n = order->reap_next;
            gen_free_trim(order);
            reaped++;
            order = n;
        }
    }
    return NULL;
}

void levy_gen_reaper(int on)
{
    if (on) {
        if (reaper_on)
            return;
        reap_stop = 0;
        /* a thread that cannot be made leaves the frees in place, as before */
        reap_started = sem_init(&reap_sem, 0, 0) == 0 &&
                       pthread_create(&reap_th, NULL, reaper_main, NULL) == 0;
        reap_owner = pthread_self();
        reaper_on = reap_started;
        return;
    }
    reaper_on = 0;
    if (!reap_started)
        return;
    reap_stop = 1;
    sem_post(&reap_sem);
    pthread_join(reap_th, NULL); /* it empties the queue first */
    sem_destroy(&reap_sem);
    reap_started = 0;
}

void levy_gen_reap_wait(void)
{
    /* for tests and the owner's stop only: the loop never waits for the reaper */
    while (reaped != queued) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

uint64_t levy_gen_reaped_count(void) { return reaped; }

void levy_gen_ref(levy_gen *g) { g->refs++; }

void levy_gen_unref(levy_gen *g)
{
    if (!g || --g->refs != 0)
        return;
    hlog(HLOG_DEBUG, "generation %llu freed", (unsigned long long)g->id);
    if (reaper_on && pthread_equal(pthread_self(), reap_owner)) {
        levy_lua_store_close_all(levy_vm_state(g->vm));
        /* no lock the loop could wait on: a push, and a post that wakes the reaper */
        g->reap_next = atomic_load(&reap_in);
        while (!atomic_compare_exchange_weak(&reap_in, &g->reap_next, g))
            ;
        queued++;
        sem_post(&reap_sem);
        return;
    }
    gen_free_trim(g);
}

int levy_gen_live_count(void) { return live_gens; }

/* Adds the error at the top of the main stack (after a failed pcall it is in err). */
static void add_err(levy_gen_errors *errs, const char *file, const levy_err *e)
{
    levy_gen_errors_add(errs, e->source[0] ? e->source : file, e->line, e->message);
}

static int split_route(levy_route *r, const char *path)
{
    int n = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            n++;
    r->segs = calloc((size_t)n + 1, sizeof *r->segs);
    if (!r->segs)
        return -1;
    char *copy = strdup(path);
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save))
        r->segs[r->nsegs++] = strdup(t);
    free(copy);
    return 0;
}

/* ---- a route's fast path (gen.h levy_route_fast) -------------------------------------- */

/* The string field k of the table at t (copied), or NULL (with *bad set) when it is not a
 * non-empty string. */
static char *fast_str(lua_State *L, int t, const char *k, const char **bad)
{
    lua_getfield(L, t, k);
    char *v =
        lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) ? strdup(lua_tostring(L, -1)) : NULL;
    lua_pop(L, 1);
    if (!v && !*bad)
        *bad = k;
    return v;
}

static int fast_value(const char *s)
{
    static const char *names[] = {"id",     "param", "entity",     "event",          "received_at",
                                  "second", "body",  "ignored_at", "ignored_outcome"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i + 1; /* LEVY_FV_* in this order */
    return 0;
}

/* [-0, +0, m] Reads the route's `fast` table at t into *out (route i). LEVY_EINVAL with the
 * field named when it is not of the shape docs/plugins.md gives. */
static int fast_read(lua_State *L, int t, const char *path, levy_route_fast **out, levy_err *err)
{
    t = lua_absindex(L, t);
    levy_route_fast *f = calloc(1, sizeof *f);
    if (!f)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    const char *bad = NULL;
    f->param = fast_str(L, t, "param", &bad);
    f->lookup = fast_str(L, t, "lookup", &bad);
    f->metric = fast_str(L, t, "metric", &bad);
    lua_getfield(L, t, "headers");
    if (lua_istable(L, -1)) {
        int h = lua_gettop(L);
        f->h_sig = fast_str(L, h, "signature", &bad);
        f->h_ts = fast_str(L, h, "timestamp", &bad);
        f->h_id = fast_str(L, h, "id", &bad);
        f->h_entity = fast_str(L, h, "entity", &bad);
        f->h_event = fast_str(L, h, "event", &bad);
    } else if (!bad) {
        bad = "headers";
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "answers");
    if (lua_istable(L, -1)) {
        f->answer_duplicate = fast_str(L, lua_gettop(L), "duplicate", &bad);
        f->answer_received = fast_str(L, lua_gettop(L), "received", &bad);
    } else if (!bad) {
        bad = "answers";
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "max_signatures");
    f->max_signatures = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
    lua_pop(L, 1);
    if (!bad && (f->max_signatures < 1 || f->max_signatures > 16))
        bad = "max_signatures (1..16)";
    lua_getfield(L, t, "future_skew_s");
    f->future_skew_s = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    if (!bad && f->future_skew_s < 0)
        bad = "future_skew_s";
    lua_getfield(L, t, "used");
    if (lua_istable(L, -1)) {
        int n = (int)lua_rawlen(L, -1);
        for (int i = 1; i <= n && !bad; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) == LUA_TSTRING && f->nused < LEVY_FAST_MAX_USED)
                f->used[f->nused++] = strdup(lua_tostring(L, -1));
            else
                bad = "used";
            lua_pop(L, 1);
        }
    } else if (!bad) {
        bad = "used";
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "unit");
    if (lua_istable(L, -1) && !bad) {
        int u = lua_gettop(L);
        int n = (int)lua_rawlen(L, u);
        if (n < 1 || n > LEVY_FAST_MAX_STEPS)
            bad = "unit (1..4 steps)";
        for (int i = 1; i <= n && !bad; i++) {
            levy_fast_step *s = &f->steps[f->nsteps++];
            lua_rawgeti(L, u, i);
            int st = lua_gettop(L);
            lua_getfield(L, st, "when");
            const char *w = lua_tostring(L, -1);
            s->when = !w                          ? LEVY_FW_ALWAYS
                      : strcmp(w, "used") == 0    ? LEVY_FW_USED
                      : strcmp(w, "changed") == 0 ? LEVY_FW_CHANGED
                                                  : -1;
            lua_pop(L, 1);
            if (s->when < 0)
                bad = "unit[].when (\"used\" or \"changed\")";
            lua_getfield(L, st, "stop_if_none");
            s->stop_if_none = lua_toboolean(L, -1);
            lua_pop(L, 1);
            lua_getfield(L, st, "defer");
            s->defer = lua_toboolean(L, -1);
            lua_pop(L, 1);
            if (s->defer && s->stop_if_none)
                bad = "unit[] (defer with stop_if_none)";
            lua_getfield(L, st, "job");
            int job = lua_type(L, -1) == LUA_TSTRING;
            lua_pop(L, 1);
            if (job) {
                s->job_kind = fast_str(L, st, "job", &bad);
                s->job_payload_field = fast_str(L, st, "payload_field", &bad);
            } else {
                s->sql = fast_str(L, st, "sql", &bad);
                lua_getfield(L, st, "params");
                int np = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : -1;
                if (np < 0 || np > LEVY_FAST_MAX_PARAMS)
                    bad = "unit[].params";
                for (int k = 1; k <= np && !bad; k++) {
                    lua_rawgeti(L, -1, k);
                    const char *v = lua_tostring(L, -1);
                    if (!v || !(s->params[s->nparams++] = fast_value(v)))
                        bad = "unit[].params (a value name)";
                    lua_pop(L, 1);
                }
                lua_pop(L, 1);
            }
            lua_settop(L, st - 1);
        }
    } else if (!bad) {
        bad = "unit";
    }
    lua_pop(L, 1);
    if (bad) {
        fast_free(f);
        return levy_err_set(err, LEVY_EINVAL, "fast", "route %s: fast.%s is missing or malformed",
                            path, bad);
    }
    *out = f;
    return LEVY_OK;
}

/* [-0, +0, -] Copies the prelude's routes and job kinds into C arrays. */
static int extract(levy_gen *g, levy_err *err)
{
    lua_State *L = levy_vm_state(g->vm);
    levy_sandbox_push_api(L, "route_count");
    if (levy_vm_pcall_bg(g->vm, 0, 1, err))
        return err ? err->rc : LEVY_EINVAL;
    int n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    g->routes = calloc((size_t)n + 1, sizeof *g->routes);
    if (!g->routes)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    for (int i = 1; i <= n; i++) {
        levy_sandbox_push_api(L, "route");
        lua_pushinteger(L, i);
        if (levy_vm_pcall_bg(g->vm, 1, 6, err))
            return err ? err->rc : LEVY_EINVAL;
        levy_route *r = &g->routes[g->nroutes++];
        snprintf(r->method, sizeof r->method, "%s", lua_tostring(L, -6));
        r->path = strdup(lua_tostring(L, -5));
        const char *auth = lua_tostring(L, -4);
        r->auth = strcmp(auth, "token") == 0   ? LEVY_AUTH_TOKEN
                  : strcmp(auth, "none") == 0  ? LEVY_AUTH_NONE
                  : strcmp(auth, "admin") == 0 ? LEVY_AUTH_ADMIN
                                               : LEVY_AUTH_DEFAULT;
        r->plugin = strdup(lua_tostring(L, -3));
        r->max_body = lua_isinteger(L, -1) ? (size_t)lua_tointeger(L, -1) : 0;
        lua_pop(L, 1); /* max_body: the handler is on top again */
        r->index = i;
        /* handler functions kept in the registry table levy.routes[i] */
        lua_getfield(L, LUA_REGISTRYINDEX, "levy.routes");
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, LUA_REGISTRYINDEX, "levy.routes");
        }
        lua_pushvalue(L, -2);
        lua_rawseti(L, -2, i);
        lua_pop(L, 6);
        if (!r->path || !r->plugin || split_route(r, r->path))
            return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
        levy_sandbox_push_api(L, "route_fast");
        lua_pushinteger(L, i);
        if (levy_vm_pcall_bg(g->vm, 1, 1, err))
            return err ? err->rc : LEVY_EINVAL;
        int frc = lua_istable(L, -1) ? fast_read(L, -1, r->path, &r->fast, err) : LEVY_OK;
        lua_pop(L, 1);
        if (frc != LEVY_OK)
            return frc;
        levy_sandbox_push_api(L, "route_read_only_ok");
        lua_pushinteger(L, i);
        if (levy_vm_pcall_bg(g->vm, 1, 1, err))
            return err ? err->rc : LEVY_EINVAL;
        r->read_only_ok = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    levy_sandbox_push_api(L, "job_kinds");
    if (levy_vm_pcall_bg(g->vm, 0, 1, err))
        return err ? err->rc : LEVY_EINVAL;
    int nj = (int)lua_rawlen(L, -1);
    g->jobs = calloc((size_t)nj + 1, sizeof *g->jobs);
    if (!g->jobs) {
        lua_pop(L, 1);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    for (int i = 1; i <= nj; i++) {
        lua_rawgeti(L, -1, i);
        levy_job_kind *j = &g->jobs[g->njobs++];
        lua_getfield(L, -1, "kind");
        j->kind = strdup(lua_tostring(L, -1));
        lua_getfield(L, -2, "plugin");
        j->plugin = strdup(lua_tostring(L, -1));
        lua_getfield(L, -3, "max_attempts");
        j->max_attempts = (int)lua_tointeger(L, -1);
        lua_getfield(L, -4, "concurrency");
        j->concurrency = (int)lua_tointeger(L, -1);
        lua_getfield(L, -5, "base_delay_ms");
        j->base_delay_ms = lua_tointeger(L, -1);
        lua_getfield(L, -6, "max_delay_ms");
        j->max_delay_ms = lua_tointeger(L, -1);
        lua_pop(L, 7);
    }
    lua_pop(L, 1);
    return LEVY_OK;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int plugin_in_role(const char *name, const char *role)
{
    if (strcmp(role, "sim") == 0)
        return strcmp(name, "sim") == 0;
    return strcmp(name, "sim") != 0;
}

int levy_gen_build(levy_gen **out, const levy_gen_opts *o, levy_gen_errors *errs, int *nselftests,
                   levy_err *err)
{
    *out = NULL;
    if (nselftests)
        *nselftests = 0;
    levy_gen *g = calloc(1, sizeof *g);
    if (!g)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    live_gens++;
    g->id = o->id;
    g->refs = 1;
    int rc = hash_tree(o->plugins_dir, o->scripts_dir, &g->files, &g->nfiles, g->tree_hash, err);
    if (rc)
        goto done;
    rc = levy_vm_new(&g->vm, &o->limits, err);
    if (rc)
        goto done;
    lua_State *L = levy_vm_state(g->vm);
    if (o->prepare)
        o->prepare(g->vm, o->prepare_ud);
    levy_lua_set_host(L, LEVY_HOST_CONFIG, o->config);
    levy_lua_set_host(L, LEVY_HOST_STORE, o->store);
    levy_lua_set_host(L, LEVY_HOST_CLIENT, o->client);
    levy_lua_set_host(L, LEVY_HOST_RATES, o->rates);
    lua_pushinteger(L, (lua_Integer)o->id);
    lua_setfield(L, LUA_REGISTRYINDEX, "levy.generation");
    lua_pushstring(L, o->role);
    lua_setfield(L, LUA_REGISTRYINDEX, "levy.role");
    /* Building is start-up (or reload-thread) work, not a request: every call below runs
     * under the background budget (levy_vm_pcall_bg, 10x the base, as jobs and on_start), so
     * a plugin whose top-level chunk needs more than a request's budget still loads, and a
     * runaway one is still stopped, the error naming its file. */
    levy_lctx load_ctx = {.kind = LEVY_CTX_LOAD, .gen = g, .call = NULL, .plugin = NULL};
    levy_lua_set_ctx(L, &load_ctx);
    if ((rc = levy_sandbox_open(g->vm, err)))
        goto done;

    /* plugins, in name order (strcmp); no plugins folder: none */
    char **names = NULL;
    size_t nnames = 0;
    levy_dir_list(o->plugins_dir, NULL, NULL, &names, &nnames);
    for (size_t i = 0; i < nnames; i++) {
        char dir[4096], hpath[4200], rel[512];
        snprintf(dir, sizeof dir, "%s/%s", o->plugins_dir, names[i]);
        if (!is_dir(dir) || !plugin_in_role(names[i], o->role))
            continue;
        snprintf(hpath, sizeof hpath, "%s/handler.lua", dir);
        snprintf(rel, sizeof rel, "plugins/%s/handler.lua", names[i]);
        size_t len = 0;
        char *src = NULL;
        if (levy_file_read(hpath, 0, &src, &len, NULL) != LEVY_OK) {
            levy_gen_errors_add(errs, rel, 0, "cannot read handler.lua");
            continue;
        }
        load_ctx.plugin = names[i];
        levy_sandbox_push_api(L, "load_plugin");
        lua_pushstring(L, names[i]);
        lua_pushstring(L, dir);
        lua_pushstring(L, rel);
        lua_pushlstring(L, src, len);
        lua_pushstring(L, o->role);
        free(src);
        levy_err e;
        levy_err_clear(&e);
        if (levy_vm_pcall_bg(g->vm, 5, 1, &e)) {
            add_err(errs, rel, &e);
            continue;
        }
        if (lua_toboolean(L, -1))
            g->nplugins++;
        lua_pop(L, 1);
    }
    load_ctx.plugin = NULL;
    /* every subscription names an event its plugin declares (docs/plugins.md, "events") */
    if (errs->n == 0) {
        levy_sandbox_push_api(L, "check_events");
        levy_err e;
        levy_err_clear(&e);
        if (levy_vm_pcall_bg(g->vm, 0, 0, &e))
            add_err(errs, "plugins", &e);
    }

    /* rules: every scripts/ *.lua, in path order (not for the simulator) */
    if (strcmp(o->role, "sim") != 0) {
        for (int i = 0; i < g->nfiles; i++) {
            levy_gen_file *f = &g->files[i];
            size_t pl = f->path ? strlen(f->path) : 0;
            const char *base = strrchr(f->path ? f->path : "", '/');
            if (!f->is_rule || pl < 5 || strcmp(f->path + pl - 4, ".lua") != 0 || !base ||
                strstr(f->path, "/_"))
                continue; /* _name.lua files and _folders (scripts/_lib/) are helpers, not rules */
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", o->scripts_dir, f->path + 8);
            size_t len = 0;
            char *src = NULL;
            if (levy_file_read(full, 0, &src, &len, NULL) != LEVY_OK) {
                levy_gen_errors_add(errs, f->path, 0, "cannot read file");
                continue;
            }
            load_ctx.kind = LEVY_CTX_PURE;
            load_ctx.plugin = f->path;
            levy_sandbox_push_api(L, "load_rule");
            lua_pushstring(L, f->path);
            lua_pushlstring(L, src, len);
            free(src);
            char *slash = strrchr(full, '/');
            if (slash)
                *slash = '\0';
            lua_pushstring(L, full);
            lua_pushstring(L, o->scripts_dir); /* its _lib/: the helpers every rule may require */
            levy_err e;
            levy_err_clear(&e);
            if (levy_vm_pcall_bg(g->vm, 4, 0, &e))
                add_err(errs, f->path, &e);
            else
                g->nrules++;
            load_ctx.kind = LEVY_CTX_LOAD;
            load_ctx.plugin = NULL;
        }
    }
    levy_sandbox_push_api(L, "publish_rules");
    if (levy_vm_pcall_bg(g->vm, 0, 0, err)) {
        rc = err ? err->rc : LEVY_EINVAL;
        levy_dir_list_free(names);
        goto done;
    }

    /* migrations of the loaded plugins, then self-tests */
    if (errs->n == 0 && o->migrate) {
        levy_sandbox_push_api(L, "plugin_names");
        levy_vm_pcall_bg(g->vm, 0, 1, NULL);
        int np = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
        for (int i = 1; i <= np; i++) {
            lua_rawgeti(L, -1, i);
            const char *pname = lua_tostring(L, -1);
            char mdir[4096];
            snprintf(mdir, sizeof mdir, "%s/%s/migrations", o->plugins_dir, pname);
            levy_err e;
            levy_err_clear(&e);
            if (o->migrate(o->migrate_ud, pname, mdir, &e) != LEVY_OK) {
                char rel[512];
                snprintf(rel, sizeof rel, "plugins/%s/migrations/%s", pname, e.source);
                levy_gen_errors_add(errs, rel, e.line, e.message);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    levy_dir_list_free(names);
    if (errs->n == 0 && o->run_selftests) {
        levy_sandbox_push_api(L, "rule_regions");
        levy_vm_pcall_bg(g->vm, 0, 1, NULL);
        int nr = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
        for (int i = 1; i <= nr; i++) {
            lua_rawgeti(L, -1, i);
            levy_sandbox_push_api(L, "selftest");
            lua_insert(L, -2);
            levy_err e;
            levy_err_clear(&e);
            load_ctx.kind = LEVY_CTX_PURE;
            if (o->selftest_rates)
                levy_lua_set_host(L, LEVY_HOST_RATES, o->selftest_rates);
            int failed = levy_vm_pcall_bg(g->vm, 1, 1, &e);
            levy_lua_set_host(L, LEVY_HOST_RATES, o->rates);
            if (failed) {
                levy_gen_errors_add(errs, e.source[0] ? e.source : "scripts", e.line, e.message);
            } else {
                if (nselftests)
                    *nselftests += (int)lua_tointeger(L, -1);
                lua_pop(L, 1);
            }
            load_ctx.kind = LEVY_CTX_LOAD;
        }
        lua_pop(L, 1);
    }
    if (errs->n) {
        rc = LEVY_EINVAL;
        levy_err_set(err, rc, "rejected", "%d error(s) while loading", errs->n);
        goto done;
    }
    if ((rc = extract(g, err)))
        goto done;
    levy_gen_index_routes(g); /* without it (out of memory) the match scans every route */
    levy_sandbox_push_api(L, "done_loading");
    levy_vm_pcall_bg(g->vm, 0, 0, NULL);
    levy_lua_set_ctx(L, NULL);
    levy_vm_serving_gc(g->vm); /* a full collection, then the collector calls run under */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g->loaded_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    *out = g;
    return LEVY_OK;
done:
    if (g->vm)
        levy_lua_set_ctx(levy_vm_state(g->vm), NULL);
    gen_free(g);
    if (rc == LEVY_OK)
        rc = LEVY_EINVAL;
    return rc;
}

/* ---- matching ------------------------------------------------------------------------- */

void levy_route_match_free(levy_route_match *m)
{
    if (m->scratch != m->buf)
        free(m->scratch);
    m->scratch = NULL;
}

/* A path's key segment for the index: the second of two or more, else the first. */
static int key_seg(int n) { return n >= 2 ? 1 : 0; }

int levy_gen_index_routes(levy_gen *g)
{
    free(g->ridx);
    g->ridx = NULL;
    /* per bucket: its routes counted, then its start, then filled in route order */
    memset(g->ridx_at, 0, sizeof g->ridx_at);
    size_t total = 0;
    for (int i = 0; i < g->nroutes; i++) {
        const levy_route *r = &g->routes[i];
        if (r->nsegs < 1 || r->nsegs > LEVY_GEN_IDX_SEGS)
            continue;
        int base = (r->nsegs - 1) * 256;
        const char *a = r->segs[key_seg(r->nsegs)];
        if (a[0] == '{') {
            for (int b = 0; b < 256; b++)
                g->ridx_at[base + b]++;
            total += 256;
        } else {
            g->ridx_at[base + (unsigned char)a[0]]++;
            total++;
        }
    }
    int *ix = malloc((total ? total : 1) * sizeof *ix);
    if (!ix)
        return LEVY_ENOMEM;
    int at = 0;
    for (int k = 0; k < LEVY_GEN_IDX_SEGS * 256; k++) {
        int c = g->ridx_at[k];
        g->ridx_at[k] = at;
        at += c;
    }
    g->ridx_at[LEVY_GEN_IDX_SEGS * 256] = at;
    int fill[LEVY_GEN_IDX_SEGS * 256];
    memcpy(fill, g->ridx_at, sizeof fill);
    for (int i = 0; i < g->nroutes; i++) {
        const levy_route *r = &g->routes[i];
        if (r->nsegs < 1 || r->nsegs > LEVY_GEN_IDX_SEGS)
            continue;
        int base = (r->nsegs - 1) * 256;
        const char *a = r->segs[key_seg(r->nsegs)];
        if (a[0] == '{') {
            for (int b = 0; b < 256; b++)
                ix[fill[base + b]++] = i;
        } else {
            ix[fill[base + (unsigned char)a[0]]++] = i;
        }
    }
    g->ridx = ix;
    return LEVY_OK;
}

/* Whether route r has the path's n segments segs; with another method only notes which kind
 * of route knows the path (0), with the method fills m (1). */
static int match_route(const levy_route *r, const char *method, char **segs, int n,
                       levy_route_match *m, int *path_known)
{
    if (r->nsegs != n)
        return 0;
    /* the first bytes first: most routes of as many segments differ there (a call to
     * strcmp each was ~35 calls per request, issue 21) */
    for (int j = 0; j < n; j++) {
        const char *a = r->segs[j];
        if (a[0] != '{' && (a[0] != segs[j][0] || strcmp(a, segs[j]) != 0))
            return 0;
    }
    if (strcmp(r->method, method) != 0) {
        *path_known |= r->auth == LEVY_AUTH_NONE ? LEVY_PATH_KNOWN_OPEN : LEVY_PATH_KNOWN_PROTECTED;
        return 0;
    }
    m->route = r;
    for (int j = 0; j < n && m->ncaps < 16; j++) {
        if (r->segs[j][0] == '{') {
            m->names[m->ncaps] = r->segs[j];
            m->values[m->ncaps] = segs[j];
            m->ncaps++;
        }
    }
    return 1;
}

int levy_gen_match(const levy_gen *g, const char *method, const char *path, levy_route_match *m,
                   int *path_known)
{
    m->route = NULL;
    m->ncaps = 0;
    *path_known = 0;
    char *segs[64];
    int n = 0;
    size_t pl = strlen(path);
    if (pl < sizeof m->buf) {
        memcpy(m->buf, path, pl + 1);
        m->scratch = m->buf;
    } else if (!(m->scratch = strdup(path))) {
        return 0;
    }
    /* the non-empty segments between '/'s, as strtok_r(path, "/") gives them */
    for (char *t = m->scratch; *t && n < 64;) {
        while (*t == '/')
            t++;
        if (!*t)
            break;
        segs[n++] = t;
        while (*t && *t != '/')
            t++;
        if (*t)
            *t++ = '\0';
    }
    if (!g)
        return 0;
    if (g->ridx && n >= 1 && n <= LEVY_GEN_IDX_SEGS) {
        /* only the routes the index gives for (n, the key segment's first byte), in order
         * (issue 21: the scan of every route was ~1.0k instructions per request) */
        int k = (n - 1) * 256 + (unsigned char)segs[key_seg(n)][0];
        for (int x = g->ridx_at[k]; x < g->ridx_at[k + 1]; x++)
            if (match_route(&g->routes[g->ridx[x]], method, segs, n, m, path_known))
                return 1;
        return 0;
    }
    for (int i = 0; i < g->nroutes; i++)
        if (match_route(&g->routes[i], method, segs, n, m, path_known))
            return 1;
    return 0;
}
