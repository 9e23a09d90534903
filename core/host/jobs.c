/* Job runner and schedules on the event loop (see host.h). Jobs come from the durable queue
 * (core/store/jobs.h); each runs jobs[kind].run(job) of the current generation in a request
 * coroutine, so it may yield on outbound HTTP. Outcomes: normal return = done; a
 * levy.jobs.retry/dead marker; an error = retry with full-jitter backoff until max_attempts
 * (then dead). Per-kind concurrency limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <lauxlib.h>
#include <openssl/rand.h>

#include "hlog.h"
#include "host/host.h"
#include "lua/sandbox.h"

#include "store/jobs.h"

/* ---- schedules ------------------------------------------------------------------------ */

typedef struct sched_entry {
    levy_host *h;
    struct event *timer;
    int index; /* 1-based in the generation's schedule list */
    int running;
    int every_ms;
    char name[96];
    char plugin[64];
    struct levy_schedules *set;
    /* failing since the last success: the first failure is logged at ERROR, then at most one
     * line a minute (SCHED_ERR_EVERY_MS, with the count of the ones not logged) until the task
     * succeeds again (an INFO line). A database outage otherwise logs every task every tick. */
    long failures;  /* consecutive failed runs */
    long unlogged;  /* failed runs since the last ERROR line */
    int64_t err_at; /* monotonic ms of the last ERROR line */
} sched_entry;

#define SCHED_ERR_EVERY_MS 60000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One set per generation's schedule list; referenced by the host (until stopped) and by
 * each running task, so a reload during a task frees it when the task ends. */
typedef struct levy_schedules {
    sched_entry *v;
    int n;
    int refs;
} sched_set;

static void set_unref(sched_set *s)
{
    if (--s->refs == 0) {
        free(s->v);
        free(s);
    }
}

static void sched_done(levy_call *call, int status, int nres)
{
    (void)nres;
    sched_entry *e = call->ud;
    if (status != LUA_OK) {
        int64_t now = mono_ms();
        e->failures++;
        if (e->failures == 1 || now - e->err_at >= SCHED_ERR_EVERY_MS) {
            char what[200];
            if (e->failures == 1)
                snprintf(what, sizeof what, "schedule %s", e->name);
            else
                snprintf(what, sizeof what,
                         "schedule %s (still failing: %ld failed run(s) in a row, %ld not logged "
                         "since the last line)",
                         e->name, e->failures, e->unlogged);
            levy_call_log_error(call, what);
            e->err_at = now;
            e->unlogged = 0;
        } else {
            e->unlogged++;
        }
    } else if (e->failures) {
        hlog_src(HLOG_INFO, e->plugin[0] ? e->plugin : "core",
                 "schedule %s succeeds again after %ld failed run(s)", e->name, e->failures);
        e->failures = e->unlogged = 0;
    }
    e->running = 0;
    set_unref(e->set);
}

/* Pushes the generation's schedule list ({every_ms, name, plugin, run}...); its state, or NULL
 * (nothing pushed) when the list cannot be built. */
static lua_State *push_schedules(levy_gen *g)
{
    lua_State *L = levy_vm_state(g->vm);
    levy_sandbox_push_api(L, "schedules");
    return levy_vm_pcall(g->vm, 0, 1, NULL) == LEVY_OK ? L : NULL;
}

static void on_sched(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sched_entry *e = arg;
    levy_host *h = e->h;
    if (h->stopping || e->running || !h->current)
        return;
    levy_gen *g = h->current;
    lua_State *L = push_schedules(g);
    if (!L)
        return;
    lua_rawgeti(L, -1, e->index);
    levy_call *c = levy_call_new(h, g, LEVY_CALL_SCHEDULE, e->plugin, sched_done, e);
    if (!c) {
        lua_pop(L, 2);
        return;
    }
    lua_getfield(L, -1, "run");
    lua_xmove(L, c->co, 1);
    lua_pop(L, 2);
    e->running = 1;
    e->set->refs++;
    levy_call_resume(c, 0);
}

void levy_schedule_start(levy_host *h)
{
    if (!h->current || h->stopping || strcmp(h->cfg->role, "calc") == 0)
        return;
    lua_State *L = push_schedules(h->current);
    if (!L)
        return;
    int n = (int)lua_rawlen(L, -1);
    sched_set *s = calloc(1, sizeof *s);
    if (!s) {
        lua_pop(L, 1);
        return;
    }
    s->v = calloc((size_t)n + 1, sizeof *s->v);
    if (!s->v) {
        free(s);
        lua_pop(L, 1);
        return;
    }
    s->refs = 1;
    char list[512] = ""; /* "name every N s, ...": one INFO line, the periods in effect */
    size_t used = 0;
    for (int i = 1; i <= n; i++) {
        sched_entry *e = &s->v[s->n];
        lua_rawgeti(L, -1, i);
        lua_getfield(L, -1, "every_ms");
        lua_getfield(L, -2, "name");
        lua_getfield(L, -3, "plugin");
        e->h = h;
        e->index = i;
        e->every_ms = (int)lua_tointeger(L, -3);
        snprintf(e->name, sizeof e->name, "%s", lua_tostring(L, -2));
        snprintf(e->plugin, sizeof e->plugin, "%s", lua_tostring(L, -1));
        e->set = s;
        lua_pop(L, 4);
        e->timer = event_new(h->base, -1, EV_PERSIST, on_sched, e);
        if (!e->timer)
            continue;
        struct timeval tv = {e->every_ms / 1000, (e->every_ms % 1000) * 1000};
        event_add(e->timer, &tv);
        s->n++;
        if (used < sizeof list) {
            int w = e->every_ms % 1000
                        ? snprintf(list + used, sizeof list - used, "%s%s every %d ms",
                                   used ? ", " : "", e->name, e->every_ms)
                        : snprintf(list + used, sizeof list - used, "%s%s every %d s",
                                   used ? ", " : "", e->name, e->every_ms / 1000);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    lua_pop(L, 1);
    h->sched = s;
    if (s->n)
        hlog(HLOG_INFO, "schedules: %s", list);
}

void levy_schedule_stop(levy_host *h)
{
    sched_set *s = h->sched;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        event_free(s->v[i].timer);
    set_unref(s);
    h->sched = NULL;
}

/* ---- jobs ----------------------------------------------------------------------------- */

typedef struct kind_state {
    char kind[LEVY_JOB_KIND_MAX];
    int running;
} kind_state;

typedef struct levy_jobs_runner {
    levy_host *h;
    struct event *timer;
    kind_state *kinds;
    int nkinds, capkinds;
    int running;
    int stopped;
    int polling; /* inside poll_jobs: a kick sets repoll instead of re-arming the timer */
    int repoll;
    int64_t polls, full_polls; /* passes, and those that opened a transaction and claimed */
    int64_t renewals;          /* lease renewals sent (PostgreSQL) */
    /* Jobs that returned normally, marked done in the next poll's transaction together with
     * the next claims (one commit instead of one per job). A crash before that commit leaves
     * them running, and the start requeues them: at-least-once, as for a crash inside a job. */
    char (*done_ids)[LEVY_JOB_ID_MAX];
    int ndone, capdone;
    /* Jobs whose retry (or dead) mark could not be written because the store was busy or
     * failing: still 'running' in the store, requeued (not counted) by the next poll. */
    char (*requeue_ids)[LEVY_JOB_ID_MAX];
    int nrequeue, caprequeue;
    struct job_call *calls; /* the jobs running now (their claims: move_claims) */
    /* PostgreSQL: ids this process had before it took a new one (levy_jobs_runner_renamed);
     * the next poll moves the claims of its running jobs from them to the new id */
    char claims_from[4][128];
    int nfrom;
} runner;

typedef struct job_call {
    runner *r;
    levy_job job;
    int max_attempts;
    int64_t base_ms, max_ms;
    kind_state *ks;
    /* PostgreSQL: when its lease is next due for renewal (a quarter lease after its claim or
     * its last renewal; renew_leases) */
    int64_t renew_at;
    struct job_call *prev, *next; /* runner.calls */
} job_call;

static kind_state *kind_of(runner *r, const char *kind)
{
    for (int i = 0; i < r->nkinds; i++)
        if (strcmp(r->kinds[i].kind, kind) == 0)
            return &r->kinds[i];
    if (r->nkinds == r->capkinds) {
        int cap = r->capkinds ? r->capkinds * 2 : 16;
        kind_state *k = realloc(r->kinds, (size_t)cap * sizeof *k);
        if (!k)
            return NULL;
        r->kinds = k;
        r->capkinds = cap;
    }
    kind_state *k = &r->kinds[r->nkinds++];
    memset(k, 0, sizeof *k);
    snprintf(k->kind, sizeof k->kind, "%s", kind);
    return k;
}

static void schedule_poll(runner *r, int ms);

static int defer_done(runner *r, const char *id)
{
    if (r->ndone == r->capdone) {
        int cap = r->capdone ? r->capdone * 2 : 64;
        void *nb = realloc(r->done_ids, (size_t)cap * sizeof *r->done_ids);
        if (!nb)
            return LEVY_ENOMEM;
        r->done_ids = nb;
        r->capdone = cap;
    }
    snprintf(r->done_ids[r->ndone++], LEVY_JOB_ID_MAX, "%s", id);
    return LEVY_OK;
}

static void defer_requeue(runner *r, const char *id)
{
    if (r->nrequeue == r->caprequeue) {
        int cap = r->caprequeue ? r->caprequeue * 2 : 16;
        void *nb = realloc(r->requeue_ids, (size_t)cap * sizeof *r->requeue_ids);
        if (!nb) {
            hlog(HLOG_ERROR, "job %s: left running until the next start (out of memory)", id);
            return;
        }
        r->requeue_ids = nb;
        r->caprequeue = cap;
    }
    snprintf(r->requeue_ids[r->nrequeue++], LEVY_JOB_ID_MAX, "%s", id);
}

/* Requeues (not counted) the jobs whose transition could not be written; inside the poll's
 * transaction. The list is kept when it fails. */
static int flush_requeue(runner *r, int64_t now, levy_err *err)
{
    for (int i = 0; i < r->nrequeue; i++) {
        int rc = levy_jobs_retry(r->h->store, r->requeue_ids[i], now, "store unavailable: requeued",
                                 0, err);
        if (rc && rc != LEVY_ENOTFOUND)
            return rc;
    }
    return LEVY_OK;
}

/* Marks the deferred jobs done; joins the caller's transaction if one is open. The list is
 * kept on failure (the caller's rollback undoes the marks) and cleared by done_committed. */
static int flush_done(runner *r, levy_err *err)
{
    for (int i = 0; i < r->ndone; i++) {
        int rc = levy_jobs_done(r->h->store, r->done_ids[i], err);
        if (rc == LEVY_ENOTFOUND) /* no longer running (cannot happen while we run): skip */
            hlog(HLOG_WARN, "job %s: not running when marked done", r->done_ids[i]);
        else if (rc)
            return rc;
    }
    return LEVY_OK;
}

/* Flushes deferred done marks in their own transaction (stop). */
static void flush_done_now(runner *r)
{
    levy_err e;
    if (r->ndone == 0 || !r->h->store)
        return;
    int rc = levy_store_begin(r->h->store, &e);
    if (rc == LEVY_OK) {
        rc = flush_done(r, &e);
        if (rc == LEVY_OK)
            rc = levy_store_commit(r->h->store, &e);
        else
            levy_store_rollback(r->h->store, NULL);
    }
    if (rc)
        hlog(HLOG_ERROR, "jobs: cannot mark %d finished jobs done: %s (requeued at next start)",
             r->ndone, e.message);
    r->ndone = 0;
}

/* After a rename (levy_jobs_runner_renamed): the claims of the jobs running here, still under
 * an id this process had before, become the new id's in the poll's transaction. Kept for the
 * next poll when it fails. */
static int move_claims(runner *r, int64_t now, levy_err *err)
{
    int n = 0, moved = 0;
    for (job_call *jc = r->calls; jc; jc = jc->next)
        n++;
    char(*ids)[LEVY_JOB_ID_MAX] = n ? calloc((size_t)n, sizeof *ids) : NULL;
    if (n && !ids)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    n = 0;
    for (job_call *jc = r->calls; jc; jc = jc->next)
        snprintf(ids[n++], LEVY_JOB_ID_MAX, "%s", jc->job.id);
    const char *from[4];
    for (int i = 0; i < r->nfrom; i++)
        from[i] = r->claims_from[i];
    int rc = levy_jobs_move_claims(r->h->store, from, r->nfrom, (const char(*)[LEVY_JOB_ID_MAX])ids,
                                   n, now, &moved, err);
    free(ids);
    if (rc != LEVY_OK)
        return rc;
    if (moved > 0)
        hlog(HLOG_INFO, "jobs: %d running job(s) claimed under %s now held under %s", moved,
             r->claims_from[r->nfrom - 1], r->h->cfg->replica_id);
    r->nfrom = 0;
    return LEVY_OK;
}

/* A transition that could not be written leaves the job 'running' in the store: the next
 * poll requeues it (a busy or failing store is not the job's failure). */
static void transition_failed(runner *r, const char *id, int rc, const levy_err *e)
{
    if (rc == LEVY_OK || rc == LEVY_ENOTFOUND)
        return;
    if (levy_store_state(r->h->store) == LEVY_STORE_STATE_OK)
        hlog(HLOG_ERROR, "job %s: cannot record its outcome: %s", id, e->message);
    defer_requeue(r, id);
}

static void job_failed(job_call *jc, const char *why)
{
    runner *r = jc->r;
    levy_err e;
    levy_err_clear(&e);
    if (jc->job.attempts >= jc->max_attempts) {
        hlog(HLOG_WARN, "job %s (%s) dead after %d attempts: %s", jc->job.id, jc->job.kind,
             jc->job.attempts, why);
        transition_failed(r, jc->job.id, levy_jobs_dead(r->h->store, jc->job.id, why, &e), &e);
        return;
    }
    uint64_t rnd = 0;
    RAND_bytes((unsigned char *)&rnd, sizeof rnd);
    int64_t delay = levy_jobs_backoff_ms(jc->job.attempts, jc->base_ms, jc->max_ms, rnd);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    transition_failed(r, jc->job.id,
                      levy_jobs_retry(r->h->store, jc->job.id, now + delay, why, 1, &e), &e);
}

/* 1 when the job's error is the 503 the store raises while it is busy or failing. */
static int store_unavailable(levy_host *h, lua_State *co)
{
    if (levy_store_state(h->store) == LEVY_STORE_STATE_OK ||
        levy_store_state(h->store) == LEVY_STORE_STATE_CORRUPT || !levy_lua_is_api_error(co, -1))
        return 0;
    lua_pushstring(co, "status");
    lua_rawget(co, -2);
    int is503 = lua_isinteger(co, -1) && lua_tointeger(co, -1) == 503;
    lua_pop(co, 1);
    return is503;
}

static void job_done(levy_call *call, int status, int nres)
{
    job_call *jc = call->ud;
    runner *r = jc->r;
    levy_host *h = r->h;
    lua_State *co = call->co;
    levy_err e;
    levy_err_clear(&e);
    if (status != LUA_OK) {
        char buf[400];
        const char *msg = call->budget.tripped ? levy_budget_message(&call->budget)
                                               : levy_call_error_text(co, -1, buf, sizeof buf);
        if (!call->budget.tripped && store_unavailable(h, co)) {
            /* busy / disk full / I/O error: retried in a second, not counted as an attempt
             * (the store logs the episode once) */
            hlog(HLOG_DEBUG, "job %s (%s): %s; retried", jc->job.id, jc->job.kind, msg);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
            transition_failed(r, jc->job.id,
                              levy_jobs_retry(h->store, jc->job.id, now + 1000, msg, 0, &e), &e);
        } else {
            levy_call_log_error(call, "job");
            job_failed(jc, msg);
        }
    } else {
        int marker = 0;
        if (nres >= 1 && lua_istable(co, -nres) && lua_getmetatable(co, -nres)) {
            luaL_getmetatable(co, LEVY_JOB_OUTCOME_MT);
            marker = lua_rawequal(co, -1, -2);
            lua_pop(co, 2);
        }
        if (marker) {
            int idx = lua_absindex(co, -nres);
            lua_getfield(co, idx, "action");
            lua_getfield(co, idx, "why");
            const char *action = lua_tostring(co, -2);
            const char *why = lua_tostring(co, -1);
            if (action && strcmp(action, "dead") == 0) {
                levy_jobs_dead(h->store, jc->job.id, why ? why : "dead", &e);
            } else {
                lua_getfield(co, idx, "delay_ms");
                lua_getfield(co, idx, "count");
                if (lua_isinteger(co, -2) && !lua_toboolean(co, -1)) {
                    struct timespec ts;
                    clock_gettime(CLOCK_REALTIME, &ts);
                    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
                    levy_jobs_retry(h->store, jc->job.id, now + lua_tointeger(co, -2), why, 0, &e);
                } else {
                    job_failed(jc, why ? why : "retry");
                }
                lua_pop(co, 2);
            }
            lua_pop(co, 2);
        } else if (r->stopped || defer_done(r, jc->job.id) != LEVY_OK) {
            if (levy_jobs_done(h->store, jc->job.id, &e) != LEVY_OK)
                hlog(HLOG_ERROR, "job %s: cannot mark done: %s", jc->job.id, e.message);
        }
    }
    if (jc->ks)
        jc->ks->running--;
    r->running--;
    h->jobs_running--;
    if (jc->prev)
        jc->prev->next = jc->next;
    else
        r->calls = jc->next;
    if (jc->next)
        jc->next->prev = jc->prev;
    levy_job_free(&jc->job);
    free(jc);
    if (!r->stopped)
        schedule_poll(r, 0);
}

/* [-0, +1, -] Pushes the job table {id, kind, key, payload, attempts} on co. */
static void push_job(levy_call *call, const levy_job *j)
{
    lua_State *co = call->co;
    lua_createtable(co, 0, 5);
    lua_pushstring(co, j->id);
    lua_setfield(co, -2, "id");
    lua_pushstring(co, j->kind);
    lua_setfield(co, -2, "kind");
    if (j->key) {
        lua_pushstring(co, j->key);
        lua_setfield(co, -2, "key");
    }
    lua_pushinteger(co, j->attempts);
    lua_setfield(co, -2, "attempts");
    /* payload decoded by levy.json (or cjson.safe when levy.json is absent) */
    levy_err e;
    levy_sandbox_push_api(co, "decode");
    lua_pushstring(co, j->payload ? j->payload : "{}");
    if (levy_vm_pcall_on(co, 1, 1, &e) != LEVY_OK)
        lua_pushnil(co);
    lua_setfield(co, -2, "payload");
}

/* [-2, +2, m] Under lua_pcall on the fresh coroutine: pushes run, job. */
static int setup_job(lua_State *co)
{
    levy_call *c = lua_touserdata(co, 1);
    const levy_job *j = lua_touserdata(co, 2);
    lua_settop(co, 0);
    levy_sandbox_push_api(co, "job_run");
    lua_pushstring(co, j->kind);
    lua_call(co, 1, 1);
    push_job(c, j);
    return 2;
}

#define CLAIM_MAX 64
/* A poll that fails while the store is busy or failing is retried every 250 ms: the store
 * logged the episode once, so these lines go to DEBUG then. */
#define POLL_LEVEL(h) (levy_store_state((h)->store) == LEVY_STORE_STATE_OK ? HLOG_WARN : HLOG_DEBUG)

static void start_job(runner *r, levy_gen *g, levy_job_kind *jk, kind_state *ks, levy_job *job,
                      int64_t now, int64_t claimed_at)
{
    levy_host *h = r->h;
    levy_err e;
    job_call *jc = calloc(1, sizeof *jc);
    levy_call *c = jc ? levy_call_new(h, g, LEVY_CALL_JOB, jk->plugin, job_done, jc) : NULL;
    if (!c) {
        free(jc);
        levy_jobs_retry(h->store, job->id, now + 1000, "out of memory", 0, &e);
        levy_job_free(job);
        return;
    }
    jc->r = r;
    jc->job = *job;
    jc->max_attempts = jk->max_attempts; /* the kind's declaration wins */
    jc->base_ms = jk->base_delay_ms;
    jc->max_ms = jk->max_delay_ms;
    jc->ks = ks;
    jc->renew_at = claimed_at + levy_jobs_lease_ms() / LEVY_JOB_RENEW_FRACTION;
    jc->next = r->calls;
    if (r->calls)
        r->calls->prev = jc;
    r->calls = jc;
    ks->running++;
    r->running++;
    h->jobs_running++;
    lua_State *co = c->co;
    lua_pushcfunction(co, setup_job);
    lua_pushlightuserdata(co, c);
    lua_pushlightuserdata(co, &jc->job);
    if (lua_pcall(co, 2, 2, 0) != LUA_OK) {
        levy_call_fail(c); /* out of Lua memory: counted as a failed run */
        return;
    }
    levy_call_resume(c, 1);
}

/* The earliest renewal due among the jobs running here (INT64_MAX: none). */
static int64_t next_renewal(const runner *r)
{
    int64_t at = INT64_MAX;
    for (const job_call *jc = r->calls; jc; jc = jc->next)
        if (jc->renew_at < at)
            at = jc->renew_at;
    return at;
}

/* PostgreSQL: the leases of the jobs running here, renewed when the first of them reaches its
 * renewal window (a quarter lease after its claim or last renewal) — not on every pass. One
 * UPDATE of this process's rows in that window (levy_jobs_renew_leases), outside any
 * transaction, so the pass itself stays the idle one when nothing is due. Every job whose time
 * had come is checked again a quarter lease on: one the statement renewed still has its whole
 * lease then minus that quarter, one it left alone (its lease fresher: a claim moved after a
 * rename) at least half of it; the next check renews that one. A failure is retried at the
 * next pass (the store logs the episode). */
static void renew_leases(runner *r, int64_t now)
{
    if (next_renewal(r) > now)
        return;
    levy_err e;
    levy_host *h = r->h;
    if (levy_jobs_renew_leases(h->store, now, &e) != LEVY_OK) {
        hlog(POLL_LEVEL(h), "jobs: cannot renew the leases of running jobs: %s", e.message);
        return;
    }
    r->renewals++;
    int64_t next = now + levy_jobs_lease_ms() / LEVY_JOB_RENEW_FRACTION;
    for (job_call *jc = r->calls; jc; jc = jc->next)
        if (jc->renew_at <= now)
            jc->renew_at = next;
}

/* One pass: in ONE transaction (one fsync) mark the jobs finished since the last pass done
 * and claim due jobs of every kind up to its free concurrency; after the commit, start them.
 * Jobs that never yield finish inside start_job and are marked done by the next pass, which
 * is scheduled at once (after the loop has served whatever else is ready) while work was
 * found; an idle queue is polled every 250 ms (enqueue and job completion kick it). */
static void poll_jobs(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    runner *r = arg;
    levy_host *h = r->h;
    if (r->stopped || h->stopping || !h->current || !h->store)
        return;
    levy_gen *g = h->current;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    levy_job claimed[CLAIM_MAX];
    int kind_of_claim[CLAIM_MAX];
    int total = 0;
    levy_err e;
    r->polling = 1;
    r->repoll = 0;
    r->polls++;
    /* PostgreSQL, jobs running here: their leases when one is due for renewal (its own
     * statement; issue 22: this used to take the full pass every 250 ms while a job ran) */
    int pg = levy_store_engine(h->store) == LEVY_STORE_POSTGRES;
    if (pg && r->running > 0 && r->nfrom == 0)
        renew_leases(r, now);
    /* Idle (issue 21): nothing to mark done, requeue or move, and one indexed read says no job
     * is due: no transaction and no claims (an idle pass cost ~132k instructions, one
     * BEGIN..COMMIT and a claim per kind; on PostgreSQL each a round trip). Jobs running here
     * do not make a pass full (their leases are renewed above; on PostgreSQL the read's due
     * time includes the earliest lease end of a running job, so a dead runner's job is
     * claimed again once its lease ran out). The next pass comes when the earliest job is
     * due or a lease here is due for renewal, at most 250 ms on (other replicas and `levy`
     * commands enqueue without kicking this process). A failing read takes the full pass,
     * which reports the store's state. */
    if (r->ndone == 0 && r->nrequeue == 0 && r->nfrom == 0) {
        int64_t due = 0;
        int drc = levy_jobs_next_due(h->store, &due, &e);
        if (drc == LEVY_ENOTFOUND || (drc == LEVY_OK && due > now)) {
            int64_t wait = 250;
            if (drc == LEVY_OK && due - now < wait)
                wait = due - now;
            if (pg && r->running > 0) { /* one overdue (its renewal failed): the 250 ms */
                int64_t renew = next_renewal(r);
                if (renew > now && renew - now < wait)
                    wait = renew - now;
            }
            r->polling = 0;
            schedule_poll(r, (int)wait);
            return;
        }
    }
    r->full_polls++;
    /* SQLite (issue 21): the pass's COMMIT does not wait for the disk (store.replayable: the
     * fdatasync of one commit per pass blocked the loop, 1-8 ms on a shared disk, while
     * webhook ingest ran a process_inbox job per writer group). What a power loss may take
     * is the claims and marks after the last commit that waited (WAL frames are a log: any
     * later waiting commit, of this connection or the writer's, syncs them too), so it is
     * always a suffix, never a claim whose job then committed an effect: a lost claim leaves
     * its job queued, to be claimed again (after a power loss the process restarted: nothing
     * runs it), a lost done or requeue mark leaves it running, requeued at the start — the
     * at-least-once a crash before this commit always had. A kill -9 loses nothing (the
     * frames are in the file). PostgreSQL keeps the waiting commit: its server can crash
     * while this process lives, and a lost claim of a job running here could be claimed by
     * another replica and run twice at once. */
    if ((pg ? levy_store_begin(h->store, &e) : levy_store_begin_replayable(h->store, &e)) !=
        LEVY_OK) {
        hlog(POLL_LEVEL(h), "jobs: cannot begin: %s", e.message);
        r->polling = 0;
        schedule_poll(r, 250);
        return;
    }
    int rc = flush_done(r, &e);
    if (rc)
        hlog(POLL_LEVEL(h), "jobs: cannot mark finished jobs done: %s", e.message);
    if (rc == LEVY_OK && (rc = flush_requeue(r, now, &e)) != LEVY_OK)
        hlog(POLL_LEVEL(h), "jobs: cannot requeue jobs: %s", e.message);
    /* PostgreSQL: the jobs this process runs stay its own while it lives (their lease),
     * across a change of its replica id too */
    if (rc == LEVY_OK && r->nfrom > 0 && (rc = move_claims(r, now, &e)) != LEVY_OK)
        hlog(POLL_LEVEL(h), "jobs: cannot move the running jobs' claims to the new replica id: %s",
             e.message);
    for (int k = 0; rc == LEVY_OK && k < g->njobs && total < CLAIM_MAX; k++) {
        levy_job_kind *jk = &g->jobs[k];
        kind_state *ks = kind_of(r, jk->kind);
        if (!ks)
            continue;
        int room = jk->concurrency - ks->running;
        if (room <= 0)
            continue;
        if (room > 16)
            room = 16;
        if (room > CLAIM_MAX - total)
            room = CLAIM_MAX - total;
        int n = 0;
        /* a failed claim rolls back its own savepoint; the other kinds go on */
        if (levy_jobs_claim(h->store, jk->kind, now, room, claimed + total, &n, &e) != LEVY_OK) {
            hlog(POLL_LEVEL(h), "jobs: claim %s failed: %s", jk->kind, e.message);
            continue;
        }
        for (int i = 0; i < n; i++)
            kind_of_claim[total + i] = k;
        total += n;
    }
    if (rc == LEVY_OK)
        rc = levy_store_commit(h->store, &e);
    else
        levy_store_rollback(h->store, NULL);
    if (rc != LEVY_OK) {
        if (levy_store_depth(h->store) > 0)
            levy_store_rollback(h->store, NULL);
        hlog(POLL_LEVEL(h), "jobs: poll commit failed: %s", e.message);
        levy_jobs_free(claimed, total); /* rolled back: still queued */
        r->polling = 0;
        schedule_poll(r, 250);
        return;
    }
    r->ndone = 0;
    r->nrequeue = 0;
    /* read after the claims' COMMIT: not before the claims' own clock read, so the lease each
     * wrote (that time + the lease) is within its renewal window at claimed_at + a quarter */
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t claimed_at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (int i = 0; i < total; i++) {
        levy_job_kind *jk = &g->jobs[kind_of_claim[i]];
        kind_state *ks = kind_of(r, jk->kind);
        if (!ks) { /* cannot happen: created above */
            levy_jobs_retry(h->store, claimed[i].id, now + 1000, "out of memory", 0, &e);
            levy_job_free(&claimed[i]);
            continue;
        }
        start_job(r, g, jk, ks, &claimed[i], now, claimed_at);
    }
    r->polling = 0;
    if (r->stopped)
        return;
    schedule_poll(r, (total > 0 || r->repoll || r->ndone > 0) ? 0 : 250);
}

static void schedule_poll(runner *r, int ms)
{
    if (r->polling) { /* poll_jobs decides when it ends (a kick must not be overridden) */
        if (ms == 0)
            r->repoll = 1;
        return;
    }
    if (!r->timer)
        return;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(r->timer, &tv);
}

static void on_notify(void *ud)
{
    runner *r = ud;
    if (!r->stopped)
        schedule_poll(r, 0);
}

void levy_jobs_runner_start(levy_host *h)
{
    if (!h->store || strcmp(h->cfg->role, "calc") == 0)
        return;
    runner *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->h = h;
    r->timer = evtimer_new(h->base, poll_jobs, r);
    h->jobs = r;
    levy_jobs_set_notify(on_notify, r);
    schedule_poll(r, 0);
}

void levy_jobs_runner_kick(levy_host *h)
{
    runner *r = h->jobs;
    if (r && !r->stopped)
        schedule_poll(r, 0);
}

void levy_jobs_runner_stop(levy_host *h)
{
    runner *r = h->jobs;
    if (!r)
        return;
    r->stopped = 1;
    levy_jobs_set_notify(NULL, NULL);
    flush_done_now(r);
    if (r->timer) {
        event_free(r->timer);
        r->timer = NULL;
    }
    if (r->running == 0) {
        free(r->kinds);
        free(r->done_ids);
        free(r->requeue_ids);
        free(r);
        h->jobs = NULL;
    }
}

int levy_jobs_runner_busy(levy_host *h) { return h->jobs_running > 0; }

void levy_jobs_runner_polls(levy_host *h, int64_t *polls, int64_t *full)
{
    runner *r = h->jobs;
    *polls = r ? r->polls : 0;
    *full = r ? r->full_polls : 0;
}

int64_t levy_jobs_runner_renewals(levy_host *h)
{
    runner *r = h->jobs;
    return r ? r->renewals : 0;
}

void levy_jobs_runner_renamed(levy_host *h, const char *old_id)
{
    runner *r = h->jobs;
    if (!r || r->stopped || !old_id || !old_id[0])
        return;
    for (int i = 0; i < r->nfrom; i++)
        if (strcmp(r->claims_from[i], old_id) == 0)
            return;
    if (r->nfrom == 4) { /* four renames before one poll: the oldest goes */
        memmove(r->claims_from[0], r->claims_from[1], 3 * sizeof r->claims_from[0]);
        r->nfrom = 3;
    }
    snprintf(r->claims_from[r->nfrom++], sizeof r->claims_from[0], "%s", old_id);
    schedule_poll(r, 0);
}
