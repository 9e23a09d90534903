/* The serve loop: startup order, signals, reload, watch, graceful stop (see host.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <lauxlib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "file.h"
#include "host/auth.h"
#include "host/genreg.h"
#include "hlog.h"
#include "host/host.h"
#include "host/service.h"
#include "host/starting.h"
#include "metrics.h"
#include "removed.h"
#include "host/rotate.h"
#include "store/writer.h"
#include "http/client.h"
#include "http/server.h"
#include "lua/sandbox.h"
#include "tax/tax.h"

#include "store/store.h"
#include "store/jobs.h"

/* ---- data dir and token --------------------------------------------------------------- */

/* API token: flag/env value (checked by config.c), else DATA_DIR/api-token (created 0600 on
 * first start), which must follow the same rule (host/auth.h). */
static int load_token(levy_config *c, int *created, levy_err *err)
{
    char tok[sizeof c->api_token];
    int rc = levy_crypto_token_load(c->data_dir, c->api_token[0] ? c->api_token : NULL, tok,
                                    sizeof tok, created, err);
    if (rc == LEVY_OK) {
        const char *rule = levy_auth_token_rule(tok, strlen(tok));
        if (rule && !c->api_token_from)
            rc = levy_err_set(err, LEVY_EINVAL, "invalid",
                              "the API token in %s/api-token %s (16-512 printable ASCII "
                              "characters, no spaces, not one character repeated)",
                              c->data_dir, rule);
        else
            snprintf(c->api_token, sizeof c->api_token, "%s", tok);
    }
    OPENSSL_cleanse(tok, sizeof tok);
    return rc;
}

/* The default replica id (no --replica-id / LEVY_REPLICA_ID): hostname:ID, ID 8 hex chars
 * kept in DATA_DIR/replica-id (created on first start, under the data dir's lock). It stays
 * the same across restarts of the process serving this data dir, so on PostgreSQL a levy
 * killed and started again takes its previous life's running jobs back at once
 * (levy_jobs_requeue_running) instead of leaving them leased for LEVY_JOB_LEASE_MS (10 minutes of
 * stalled write-backs after every crash of a single levy, with hostname:pid); and it is
 * unique among replicas, which each have a data dir of their own. A file that cannot be read
 * or written: hostname:pid, as before (logged). On SQLite (keep 0: one process owns the
 * store and requeues every running job at start) the id only names the process: hostname:pid,
 * and no file. */
static int default_replica_id(levy_config *cfg, int keep)
{
    char hn[64] = "", path[PATH_MAX], id[17] = "";
    gethostname(hn, sizeof hn - 1);
    const char *host = hn[0] ? hn : "levy";
    for (char *c = hn; *c; c++)
        if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\'')
            *c = '-';
    if (!keep) { /* SQLite (one process owns the store): the id only names the process */
        snprintf(cfg->replica_id, sizeof cfg->replica_id, "%s:%ld", host, (long)getpid());
        return 0;
    }
    snprintf(path, sizeof path, "%s/replica-id", cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(id, sizeof id, f))
            id[strcspn(id, "\r\n")] = 0;
        fclose(f);
        if (strlen(id) != 8 || strspn(id, "0123456789abcdef") != 8)
            id[0] = 0;
    }
    if (!id[0]) {
        unsigned char r[4];
        levy_err e = {0};
        int fd = -1;
        if (levy_crypto_random(r, sizeof r, &e) == LEVY_OK)
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            snprintf(id, sizeof id, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
            char line[16];
            int n = snprintf(line, sizeof line, "%s\n", id);
            if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
                id[0] = 0;
            close(fd);
        }
    }
    if (id[0]) {
        snprintf(cfg->replica_id, sizeof cfg->replica_id, "%s:%s", host, id);
        return 1;
    }
    hlog(HLOG_WARN, "cannot keep a replica id in %s (%s): this life's replica id is hostname:pid",
         path, strerror(errno));
    snprintf(cfg->replica_id, sizeof cfg->replica_id, "%s:%ld", host, (long)getpid());
    return 0;
}

static int64_t job_lease_ms; /* LEVY_JOB_LEASE_MS (0: the default), for a rename */
static int genreg_on(levy_host *h);

/* Another live process serves under this replica id (levy_genreg_clash: a data dir copied
 * with its DATA_DIR/replica-id, the same --replica-id given twice): the two would heartbeat
 * as one and requeue each other's running jobs. This process takes a new id — hostname:new
 * random, written to DATA_DIR/replica-id when the id was kept there (the copy becomes a
 * replica of its own for good); else the given id with a random suffix, for this life only —
 * and says so at WARN, in GET /admin/generation (replica_clash) and on the Rules page. The
 * jobs running here under the old id move to the new one at the runner's next poll (one
 * transaction, fresh leases): left under the old id, their leases were no longer renewed and
 * another replica claimed them again while they still ran here. */
static void replica_rename(levy_host *h, const char *when)
{
    levy_config *cfg = h->cfg;
    char old[sizeof cfg->replica_id], hex[9] = "";
    unsigned char r[4];
    levy_err e = {0};
    snprintf(old, sizeof old, "%s", cfg->replica_id);
    if (levy_crypto_random(r, sizeof r, &e) != LEVY_OK) {
        r[0] = (unsigned char)getpid();
        r[1] = (unsigned char)(getpid() >> 8);
        r[2] = (unsigned char)levy_clock_now_ms();
        r[3] = (unsigned char)(levy_clock_now_ms() >> 8);
    }
    snprintf(hex, sizeof hex, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    int kept = 0;
    if (h->replica_id_kept) {
        char path[PATH_MAX], hn[64] = "";
        snprintf(path, sizeof path, "%s/replica-id", cfg->data_dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char line[16];
            int n = snprintf(line, sizeof line, "%s\n", hex);
            kept = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
            close(fd);
        }
        const char *colon = strrchr(old, ':');
        snprintf(hn, sizeof hn, "%.*s", colon ? (int)(colon - old) : (int)strlen(old), old);
        snprintf(cfg->replica_id, sizeof cfg->replica_id, "%s:%s", hn, hex);
    } else {
        snprintf(cfg->replica_id, sizeof cfg->replica_id, "%.*s-%s",
                 (int)(sizeof cfg->replica_id - 10), old, hex);
    }
    snprintf(h->clash_from, sizeof h->clash_from, "%s", old);
    h->clash_at_ms = levy_clock_now_ms();
    h->beaten = 0;
    levy_jobs_set_lease(job_lease_ms, cfg->replica_id);
    levy_jobs_runner_renamed(h, old); /* its running jobs' claims move to the new id */
    hlog(HLOG_WARN,
         "replica id %s: another live levy process uses it (%s; a data dir copied from another "
         "replica, with its replica-id file, or the same --replica-id twice): this process "
         "serves as %s from now on%s",
         old, when, cfg->replica_id,
         kept                 ? " (kept in DATA_DIR/replica-id)"
         : h->replica_id_kept ? " (DATA_DIR/replica-id could not be rewritten)"
                              : "; give each replica its own --replica-id");
    if (h->starting) {
        /* on the start's thread: the loop sets its metrics once levy serves (serve_ready) */
        h->start_renamed = 1;
        return;
    }
    levy_metrics_clear("levy_replica_info");
    const char *rl[] = {"replica", cfg->replica_id, "engine",
                        levy_store_engine(h->store) == LEVY_STORE_POSTGRES ? "postgres" : "sqlite",
                        NULL};
    levy_metrics_set("levy_replica_info", rl, 1, NULL);
    levy_metrics_inc("levy_replica_id_clashes_total", NULL, 1, NULL);
}

/* At start, before this process requeues its previous life's running jobs (PostgreSQL): a
 * live process already under this id is another replica, not that previous life. */
static void replica_check_start(levy_host *h)
{
    if (!genreg_on(h) || levy_store_engine(h->store) != LEVY_STORE_POSTGRES)
        return;
    levy_err e = {0};
    int c = levy_genreg_clash(h->store, h->cfg->replica_id, h->nonce, 0, &e);
    if (c == 1)
        replica_rename(h, "its heartbeat row is written by a connected session");
    else if (c < 0)
        hlog(HLOG_DEBUG, "replica id not checked at start: %s", e.message);
}

/* First start: the token went into DATA_DIR/api-token; stdout (the journal under systemd)
 * gets where it is and a one-time sign-in link for the web UI, never the token itself. */
static void print_first_start(const levy_config *c)
{
    printf("API token saved in %s/api-token (0600); API clients send it as "
           "Authorization: Bearer\n",
           c->data_dir);
    char code[LEVY_SIGNIN_CODE_LEN + 1];
    levy_err e;
    levy_err_clear(&e);
    if (levy_auth_signin_new(c->data_dir, LEVY_SIGNIN_TTL_S, code, sizeof code, &e) == LEVY_OK) {
        size_t n = strlen(c->public_url);
        printf("Sign in: %.*s/#signin=%s (one-time, valid 15 min; a new one: levy signin "
               "--data-dir %s)\n",
               (int)(n && c->public_url[n - 1] == '/' ? n - 1 : n), c->public_url, code,
               c->data_dir);
        OPENSSL_cleanse(code, sizeof code);
    } else {
        hlog(HLOG_WARN, "no sign-in code: %s", e.message);
    }
}

/* ---- generations ---------------------------------------------------------------------- */

static int migrate_cb(void *ud, const char *plugin, const char *dir, levy_err *err)
{
    return levy_store_migrate_dir(ud, plugin, dir, err);
}

static uint64_t count_entry(void *ud, const char *path, const struct stat *st)
{
    (void)ud, (void)path, (void)st;
    return 1;
}

/* The entries of a source's folder (DATA_DIR/rates/<source>); 0 for anything else. */
static uint64_t count_source(void *ud, const char *path, const struct stat *st)
{
    (void)ud;
    return S_ISDIR(st->st_mode) ? levy_dir_each(path, 1, count_entry, NULL) : 0;
}

/* 1 when DATA_DIR/rates/<source>/ holds an imported table (levy rates import). */
static int has_imported_rates(const char *data_dir)
{
    char p[1200];
    snprintf(p, sizeof p, "%.1000s/rates", data_dir);
    return levy_dir_each(p, 0, count_source, NULL) > 0;
}

/* ---- rate index sets ---------------------------------------------------------------------
 * The rate index (data/ plus the vintages imported into DATA_DIR/rates) and, when imports
 * exist, an index of data/ alone for the rule self-tests, as one reference-counted set. Each
 * generation holds a reference to the set it was built on; a reload whose DATA_DIR/rates
 * changed (levy rates import / update wrote a new vintage) loads a new set, so a running
 * levy picks a new vintage up without a restart and the old set is freed with the last
 * generation using it. Generations are freed on the loop, failed builds on the reload
 * thread: the count is atomic. */
typedef struct levy_rates_set levy_rates_set;
struct levy_rates_set {
    _Atomic int refs;
    levy_rates *rates, *shipped;
    char stamp[17];
};

static levy_rates_set *rates_set_ref(levy_rates_set *s)
{
    if (s)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

static void rates_set_unref(void *p)
{
    levy_rates_set *s = p;
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        levy_rates_free(s->rates);
        levy_rates_free(s->shipped);
        free(s);
    }
}

static uint64_t stamp_dir(const char *dir, int depth);

static uint64_t stamp_entry(void *ud, const char *p, const struct stat *st)
{
    int depth = *(const int *)ud;
    if (S_ISDIR(st->st_mode))
        return depth < 4 ? stamp_dir(p, depth + 1) : 0;
    char e[PATH_MAX + 64];
    int n = snprintf(e, sizeof e, "%s|%lld|%lld.%09ld", p, (long long)st->st_size,
                     (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
    uint64_t hsh = 1469598103934665603ULL;
    for (int i = 0; i < n && i < (int)sizeof e; i++)
        hsh = (hsh ^ (unsigned char)e[i]) * 1099511628211ULL;
    return hsh;
}

/* Order-independent FNV-1a over (path, size, mtime) of every file under dir (depth <= 4). */
static uint64_t stamp_dir(const char *dir, int depth)
{
    return levy_dir_each(dir, 0, stamp_entry, &depth);
}

static void rates_stamp(const levy_config *cfg, char out[17])
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%.4000s/rates", cfg->data_dir);
    snprintf(out, 17, "%016llx", (unsigned long long)stamp_dir(p, 0));
}

/* 1 when this host loads rates at all (not the simulator, not without a data root). */
static int host_has_rates(const levy_host *h)
{
    return h->cfg->data_root[0] && strcmp(h->cfg->role, "sim") != 0;
}

/* 1 when DATA_DIR/rates differs from what the current rate set was loaded from. */
static int rates_changed(const levy_host *h)
{
    if (!host_has_rates(h) || !h->rates_set)
        return 0;
    char st[17];
    rates_stamp(h->cfg, st);
    return strcmp(st, h->rates_set->stamp) != 0;
}

/* Makes s the host's current set (h->rates / h->shipped_rates follow it). */
static void host_set_rates(levy_host *h, levy_rates_set *s)
{
    if (s == h->rates_set)
        return;
    levy_rates_set *old = h->rates_set;
    h->rates_set = rates_set_ref(s);
    h->rates = s ? s->rates : NULL;
    h->shipped_rates = s ? s->shipped : NULL;
    if (old && s)
        hlog(HLOG_INFO, "rates: new rate tables live (DATA_DIR/rates changed)");
    rates_set_unref(old);
}

static void host_drop_rates(levy_host *h)
{
    rates_set_unref(h->rates_set);
    h->rates_set = NULL;
    h->rates = h->shipped_rates = NULL;
}

/* Loads the rate set for DATA_DIR/rates as it is now (*out = NULL where the host has none). */
static int load_rates_set(levy_host *h, levy_rates_set **out, levy_err *err)
{
    *out = NULL;
    char st[17];
    rates_stamp(h->cfg, st);
    if (h->rates_set && strcmp(st, h->rates_set->stamp) == 0) {
        *out = rates_set_ref(h->rates_set);
        return LEVY_OK;
    }
    levy_rates_set *s = calloc(1, sizeof *s);
    if (!s)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    atomic_init(&s->refs, 1);
    memcpy(s->stamp, st, sizeof s->stamp);
    int rrc = levy_rates_open(&s->rates, h->cfg->data_root, h->cfg->data_dir, err);
    /* Self-tests pin the shipped tables' rates (golden vectors): with imported vintages
     * in DATA_DIR/rates they run on an index of data/ alone, so that a newer vintage
     * changes what levy charges without failing the rules that were right for data/. */
    if (rrc == LEVY_OK && has_imported_rates(h->cfg->data_dir))
        rrc = levy_rates_open(&s->shipped, h->cfg->data_root, NULL, err);
    if (rrc != LEVY_OK) {
        rates_set_unref(s);
        return rrc;
    }
    *out = s;
    return LEVY_OK;
}

static int build(levy_host *h, uint64_t id, levy_gen **out, levy_gen_errors *errs, int *nselftests,
                 levy_err *err, int with_migrations)
{
    /* Off the loop (with_migrations == 0) the store is withheld: its statement cache is
     * not thread-safe. The loop installs it before the generation goes live. */
    levy_gen_opts o;
    memset(&o, 0, sizeof o);
    o.plugins_dir = h->cfg->plugins_dir;
    o.scripts_dir = h->cfg->scripts_dir;
    o.role = h->cfg->role;
    o.id = id;
    o.config = h->cfg;
    o.store = with_migrations ? h->store : NULL;
    o.client = h->client;
    o.run_selftests = 1;
    /* The rate set (see above) of DATA_DIR/rates as it is now: the current one when nothing
     * changed. The simulator computes no tax and does not load it; without a data root (unit
     * tests) there are no rates. The first build makes it the host's. */
    levy_rates_set *set = NULL;
    if (host_has_rates(h)) {
        int rrc = load_rates_set(h, &set, err);
        if (rrc != LEVY_OK)
            return rrc;
        if (!h->rates_set)
            host_set_rates(h, set);
    }
    o.rates = set ? set->rates : NULL;
    o.selftest_rates = set ? set->shipped : NULL;
    if (with_migrations && h->store && strcmp(h->cfg->role, "calc") != 0) {
        o.migrate = migrate_cb;
        o.migrate_ud = h->store;
    }
    int rc = levy_gen_build(out, &o, errs, nselftests, err);
    if (rc == LEVY_OK && *out && with_migrations && h->writer)
        levy_lua_set_host(levy_vm_state((*out)->vm), LEVY_HOST_WRITER, h->writer);
    if (rc == LEVY_OK && *out && set) {
        (*out)->release = rates_set_unref;
        (*out)->release_ud = rates_set_ref(set);
    }
    rates_set_unref(set);
    return rc;
}

/* The event loop. Precise timers: libevent otherwise reads CLOCK_MONOTONIC_COARSE (a few ms
 * of granularity), and timers (levy.time.sleep, job back-off, schedules) could fire early. */
struct event_base *levy_host_event_base_new(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *b = event_base_new_with_config(cfg);
    event_config_free(cfg);
    /* Three priorities: every event gets the middle one (libevent's default, nqueues / 2), so
     * they run as they did with one; the idle collector's gets the last, and libevent runs an
     * active event of a priority only when none of a better one is active (levy_host_gc_idle). */
    if (b && event_base_priority_init(b, LEVY_HOST_PRIO_IDLE + 1) != 0) {
        event_base_free(b);
        return NULL;
    }
    return b;
}

/* The idle collector (issue 21): after a call, while the current generation's collector has
 * work (levy_vm_gc_idle_wanted), a zero timer of the lowest priority runs one small step of it
 * each time the loop has nothing else to run: a timer, so that it becomes active only when the
 * loop polls (an event activated from its own callback would run again in the same pass,
 * without a poll), and every socket, timer and deferred callback that the poll found ready
 * runs first. A request that arrives during a step waits for that step only. */
static void on_gc_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    if (!h->stopping && h->current && levy_vm_gc_idle_step(h->current->vm))
        levy_host_gc_idle(h);
}

void levy_host_gc_idle(levy_host *h)
{
    static const struct timeval zero = {0, 0};
    if (!h->base || h->stopping)
        return;
    if (!h->gc_idle_ev) {
        h->gc_idle_ev = evtimer_new(h->base, on_gc_idle, h);
        if (!h->gc_idle_ev || event_priority_set(h->gc_idle_ev, LEVY_HOST_PRIO_IDLE) != 0)
            return; /* then the automatic collector alone, as before */
    }
    if (!evtimer_pending(h->gc_idle_ev, NULL))
        evtimer_add(h->gc_idle_ev, &zero);
}

int levy_host_build(levy_host *h, uint64_t id, levy_gen **out, levy_gen_errors *errs,
                    int *nselftests, levy_err *err)
{
    return build(h, id, out, errs, nselftests, err, 1);
}

int levy_host_build_aside(levy_host *h, uint64_t id, levy_gen **out, levy_gen_errors *errs,
                          int *nselftests, levy_err *err)
{
    return build(h, id, out, errs, nselftests, err, 0);
}

/* The plugin migrations of g on st: applied (pending NULL), or only checked (pending: the
 * number of files not applied yet, summed over the plugins). A plugin's refusal is added to
 * errs naming its file; with pending, an error that is not a migration's verdict (the store
 * could not answer) is not added but returned as LEVY_EIO (the caller migrates instead). */
static int plugin_migrations(levy_host *h, levy_gen *g, levy_store *st, int *pending,
                             levy_gen_errors *errs)
{
    lua_State *L = levy_vm_state(g->vm);
    levy_sandbox_push_api(L, "plugin_names");
    if (levy_vm_pcall(g->vm, 0, 1, NULL) != LEVY_OK)
        return LEVY_EINTERNAL;
    int np = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
    int rc = LEVY_OK;
    for (int i = 1; i <= np; i++) {
        lua_rawgeti(L, -1, i);
        const char *pname = lua_tostring(L, -1);
        char mdir[PATH_MAX + 64];
        snprintf(mdir, sizeof mdir, "%s/%s/migrations", h->cfg->plugins_dir, pname);
        levy_err e;
        levy_err_clear(&e);
        int np1 = 0;
        if ((pending ? levy_store_migrate_dir_check(st, pname, mdir, &np1, &e)
                     : levy_store_migrate_dir(st, pname, mdir, &e)) != LEVY_OK) {
            if (pending && strncmp(e.code, "migration_", 10) != 0) {
                rc = LEVY_EIO;
                lua_pop(L, 1);
                break;
            }
            char rel[512];
            snprintf(rel, sizeof rel, "plugins/%s/migrations/%s", pname, e.source);
            levy_gen_errors_add(errs, rel, e.line, e.message);
            rc = LEVY_EINVAL;
        }
        if (pending)
            *pending += np1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return rc;
}

int levy_host_migrate(levy_host *h, levy_gen *g, levy_gen_errors *errs)
{
    if (!h->store || strcmp(h->cfg->role, "calc") == 0)
        return LEVY_OK;
    return plugin_migrations(h, g, h->store, NULL, errs);
}

/* Issue 21: the reload's migration check on its build thread, on a read-only connection of
 * its own (the loop's is not thread-safe): reading and hashing every migration file and
 * comparing them with schema_migrations took ~2.5 ms of the loop per reload (bench/README.md,
 * reload26/27). 1: checked, nothing to apply (the loop does nothing); -1: refused, errors in
 * errs (the same messages as levy_host_migrate's); 0: files to apply, or the check could not
 * be made (a store in memory, the connection refused): the loop migrates as before. Between
 * this check and the swap nothing of this process writes schema_migrations (one build at a
 * time; SQLite: one process per data dir); another PostgreSQL replica applying a migration
 * then is the race any replica's later migration already was. */
static int migrate_check_aside(levy_host *h, levy_gen *g, levy_gen_errors *errs)
{
    if (!h->store || strcmp(h->cfg->role, "calc") == 0)
        return 1;
    const char *path = levy_store_engine(h->store) == LEVY_STORE_POSTGRES
                           ? h->cfg->database
                           : levy_store_path(h->store);
    if (!path || !path[0] || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return 0;
    levy_store *st = NULL;
    levy_err e;
    levy_err_clear(&e);
    if (levy_store_connect(&st, path, LEVY_STORE_READONLY, &e) != LEVY_OK) {
        hlog(HLOG_DEBUG, "reload: plugin migrations checked on the loop (%s)", e.message);
        return 0;
    }
    levy_store_set_log_quiet(st, 1);
    int pending = 0;
    int rc = plugin_migrations(h, g, st, &pending, errs);
    levy_store_close(st);
    if (rc == LEVY_EINVAL)
        return -1;
    return rc == LEVY_OK && pending == 0;
}

static void on_start_done(levy_call *call, int status, int nres)
{
    if (status != LUA_OK) {
        levy_call_log_error(call, "on_start");
        return;
    }
    if (nres >= 1 && lua_type(call->co, -nres) == LUA_TSTRING) {
        fputs(lua_tostring(call->co, -nres), stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
}

static void run_on_start(levy_host *h)
{
    levy_gen *g = h->current;
    lua_State *L = levy_vm_state(g->vm);
    levy_sandbox_push_api(L, "starts");
    if (levy_vm_pcall(g->vm, 0, 1, NULL) != LEVY_OK)
        return;
    int n = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        lua_getfield(L, -1, "plugin");
        levy_call *c =
            levy_call_new(h, g, LEVY_CALL_START, lua_tostring(L, -1), on_start_done, NULL);
        lua_pop(L, 1);
        if (!c) {
            lua_pop(L, 1);
            continue;
        }
        lua_getfield(L, -1, "fn");
        lua_xmove(L, c->co, 1);
        lua_pop(L, 1);
        levy_call_resume(c, 0);
    }
    lua_pop(L, 1);
}

/* ---- generations across replicas (host/genreg.h) ------------------------------------- */

static const levy_rates *gen_rates(levy_host *h, levy_gen *g)
{
    if (g->release == rates_set_unref && g->release_ud)
        return ((levy_rates_set *)g->release_ud)->rates;
    return h->rates;
}

static int genreg_on(levy_host *h) { return h->store && strcmp(h->cfg->role, "serve") == 0; }

/* Content hash of g, and its seq from the store (reload: the reload rule) before it serves. A
 * store that cannot answer now (PostgreSQL down) leaves seq 0: the heartbeat retries. */
static void gen_register(levy_host *h, levy_gen *g, int reload)
{
    if (!g->content_hash[0])
        levy_genreg_hash(g, gen_rates(h, g));
    if (!genreg_on(h) || levy_store_depth(h->store) > 0)
        return;
    levy_err e;
    levy_err_clear(&e);
    if (levy_genreg_register(h->store, g, gen_rates(h, g), reload, h->cfg->replica_id, &e) !=
        LEVY_OK)
        hlog(HLOG_WARN,
             "generation %llu: cannot register its content in the store (%s); its "
             "calculations carry no generation order until it is (retried every %d s)",
             (unsigned long long)g->id, e.message, LEVY_GENREG_BEAT_S);
}

static void gen_beat(levy_host *h)
{
    if (!genreg_on(h) || !h->current || levy_store_depth(h->store) > 0)
        return;
    if (h->current->seq == 0)
        gen_register(h, h->current, h->current_from_reload);
    /* heartbeat rows only where replicas can share the store: a SQLite data dir has one
     * process (the data-dir lock), which GET /admin/generation lists as itself */
    if (levy_store_engine(h->store) != LEVY_STORE_POSTGRES)
        return;
    levy_err e;
    levy_err_clear(&e);
    if (levy_genreg_refresh(h->store, h->current, &e) != LEVY_OK)
        hlog(HLOG_DEBUG, "generation seq not re-read: %s", e.message);
    /* since our last beat, only a live process can have put another nonce in our row */
    if (h->beaten && levy_genreg_clash(h->store, h->cfg->replica_id, h->nonce, 1, &e) == 1)
        replica_rename(h, "it wrote this id's heartbeat since this process's last one");
    if (levy_genreg_beat(h->store, h->cfg->replica_id, h->nonce, h->current, h->serving_since_ms,
                         levy_clock_now_ms(), &e) != LEVY_OK)
        hlog(HLOG_DEBUG, "replica heartbeat not written: %s", e.message);
    else
        h->beaten = 1;
}

static void on_beat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gen_beat(arg);
}

static void start_beat(levy_host *h)
{
    h->serving_since_ms = levy_clock_now_ms();
    gen_register(h, h->current, 0);
    if (!genreg_on(h))
        return;
    gen_beat(h);
    h->beat_ev = event_new(h->base, -1, EV_PERSIST, on_beat, h);
    if (h->beat_ev) {
        struct timeval tv = {LEVY_GENREG_BEAT_S, 0};
        event_add(h->beat_ev, &tv);
    }
}

/* Makes g current (takes its reference) and restarts schedules; fills r. */
static void swap_in(levy_host *h, levy_gen *g, levy_reload_report *r)
{
    /* its identity across replicas first: no call may run on it without its seq */
    gen_register(h, g, 1);
    levy_gen *old = h->current;
    h->current = g;
    if (g->release == rates_set_unref)
        host_set_rates(h, g->release_ud);
    h->reloads++;
    levy_metrics_inc("levy_reloads_total", NULL, 1, NULL);
    r->status = "reloaded";
    r->generation = g->id;
    hlog(HLOG_INFO, "reload: generation %llu live (%d plugins, %d rules, %d self-tests)",
         (unsigned long long)g->id, g->nplugins, g->nrules, r->selftests);
    levy_schedule_stop(h);
    levy_schedule_start(h);
    levy_jobs_runner_kick(h);
    levy_gen_unref(old);
    h->current_from_reload = 1;
    gen_beat(h);
}

/* Keeps the outcome of a reload for GET /admin/generation (h->reload_*): a rejected reload
 * is shown on Home until a later one takes or finds the tree back to the serving one. */
static void note_reload(levy_host *h, const levy_reload_report *r)
{
    snprintf(h->reload_status, sizeof h->reload_status, "%s", r->status ? r->status : "");
    h->reload_at_ms = levy_clock_now_ms();
    h->reload_nerrors = r->errors.n;
    const levy_err *e = r->errors.n > 0 ? &r->errors.v[0] : NULL;
    snprintf(h->reload_file, sizeof h->reload_file, "%s", e ? e->source : "");
    snprintf(h->reload_message, sizeof h->reload_message, "%s", e ? e->message : "");
    h->reload_line = e ? e->line : 0;
}

int levy_host_reload(levy_host *h, levy_reload_report *r)
{
    memset(r, 0, sizeof *r);
    r->generation = h->current ? h->current->id : 0;
    levy_service_reloading();
    levy_err err;
    levy_err_clear(&err);
    char hash[65];
    if (h->current &&
        levy_gen_tree_hash(h->cfg->plugins_dir, h->cfg->scripts_dir, hash, &err) == LEVY_OK &&
        strcmp(hash, h->current->tree_hash) == 0 && !rates_changed(h)) {
        r->status = "unchanged";
        hlog(HLOG_INFO, "reload: unchanged (generation %llu)", (unsigned long long)r->generation);
        note_reload(h, r);
        levy_service_reloaded(r);
        return LEVY_OK;
    }
    levy_gen *g = NULL;
    int rc = levy_host_build(h, r->generation + 1, &g, &r->errors, &r->selftests, &err);
    if (rc != LEVY_OK) {
        if (r->errors.n == 0)
            levy_gen_errors_add(&r->errors, err.source[0] ? err.source : "", err.line, err.message);
        r->status = "rejected";
        h->reload_failures++;
        levy_metrics_inc("levy_reload_failures_total", NULL, 1, NULL);
        for (int i = 0; i < r->errors.n; i++)
            hlog(HLOG_WARN, "reload rejected: %s:%d: %s", r->errors.v[i].source,
                 r->errors.v[i].line, r->errors.v[i].message);
        note_reload(h, r);
        levy_service_reloaded(r);
        return rc;
    }
    swap_in(h, g, r);
    note_reload(h, r);
    levy_service_reloaded(r);
    return LEVY_OK;
}

/* ---- async reload ---------------------------------------------------------------------- */

typedef struct waiter {
    levy_reload_cb cb;
    void *ud;
    struct waiter *next;
} waiter;

typedef struct levy_reload_state {
    int pipe[2];
    struct event *ev;
    pthread_t th;
    int running;
    waiter *cur, *next; /* waiting on the running build / on the next one */
    int again;          /* a trigger without waiter arrived while running */
    /* results of the thread */
    levy_gen *gen;
    levy_gen_errors errs;
    levy_err err;
    int rc, nself;
    int unchanged;     /* the tree hashes as the current generation's: nothing built */
    int migrated;      /* the thread checked the plugin migrations: none to apply */
    char cur_hash[65]; /* the current generation's tree hash, copied for the thread */
    uint64_t id;
} reload_state;

static void notify(waiter *w, const levy_reload_report *r)
{
    while (w) {
        waiter *n = w->next;
        if (w->cb)
            w->cb(w->ud, r);
        free(w);
        w = n;
    }
}

static void *reload_thread(void *arg)
{
    levy_host *h = arg;
    reload_state *rs = h->reload;
    /* The build shares the loop's core (levy is often pinned to one): at nice 5 request
     * handling preempts it at once, and it still gets ~25 % of a saturated core (a bad rule
     * that burns its whole budget is refused in < 1 s even then: e2e_host reload_safety). */
    /* Raising nice cannot fail, but a seccomp filter can kill for it: levy.service's
     * SystemCallFilter= allows setpriority back from @resources (ctest reliab_systemd_real). */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
    /* Hashing the tree reads every file (~1.5 ms for 166 rules): done here, off the loop. */
    char hash[65];
    levy_err e;
    if (levy_gen_tree_hash(h->cfg->plugins_dir, h->cfg->scripts_dir, hash, &e) == LEVY_OK &&
        strcmp(hash, rs->cur_hash) == 0 && !rates_changed(h))
        rs->unchanged = 1;
    else
        rs->rc = levy_host_build_aside(h, rs->id, &rs->gen, &rs->errs, &rs->nself, &rs->err);
    if (!rs->unchanged && rs->rc == LEVY_OK && rs->gen) {
        int v = migrate_check_aside(h, rs->gen, &rs->errs);
        if (v < 0) { /* refused: the generation never reaches the loop */
            levy_gen_unref(rs->gen);
            rs->gen = NULL;
            rs->rc = LEVY_EINVAL;
        }
        rs->migrated = v > 0;
    }
    char b = 1;
    if (write(rs->pipe[1], &b, 1) != 1)
        abort(); /* the loop would wait forever */
    return NULL;
}

static void start_build(levy_host *h);

/* Starts the build asked for while the last one ran. */
static void start_queued(levy_host *h)
{
    reload_state *rs = h->reload;
    if ((rs->next || rs->again) && !h->stopping) {
        rs->cur = rs->next;
        rs->next = NULL;
        rs->again = 0;
        start_build(h);
    }
}

static void on_reload_done(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    levy_host *h = arg;
    reload_state *rs = h->reload;
    char b;
    if (read(fd, &b, 1) != 1)
        return;
    /* The thread is detached (start_build): its byte on the pipe is the last thing it does
     * with rs. A join here waited for the thread's exit, and a nice-5 thread behind other work
     * on the loop's core blocked the loop 7-16 ms in futex (bench/README.md, h-reload23). */
    rs->running = 0;
    levy_reload_report r;
    memset(&r, 0, sizeof r);
    if (rs->unchanged) {
        r.status = "unchanged";
        r.generation = h->current->id;
        hlog(HLOG_INFO, "reload: unchanged (generation %llu)", (unsigned long long)r.generation);
        note_reload(h, &r);
        levy_service_reloaded(&r);
        waiter *w = rs->cur;
        rs->cur = NULL;
        notify(w, &r);
        start_queued(h);
        return;
    }
    r.errors = rs->errs;
    r.selftests = rs->nself;
    r.generation = h->current->id;
    memset(&rs->errs, 0, sizeof rs->errs);
    levy_gen *g = rs->gen;
    rs->gen = NULL;
    if (g) {
        levy_lua_set_host(levy_vm_state(g->vm), LEVY_HOST_STORE, h->store);
        if (h->writer)
            levy_lua_set_host(levy_vm_state(g->vm), LEVY_HOST_WRITER, h->writer);
    }
    /* checked on the build thread (migrate_check_aside); here only when files are to be
     * applied (they are written on the loop's connection) or the thread could not check */
    if (rs->rc == LEVY_OK && g && !rs->migrated && levy_host_migrate(h, g, &r.errors) != LEVY_OK) {
        levy_gen_unref(g);
        g = NULL;
        rs->rc = LEVY_EINVAL;
    }
    if (rs->rc != LEVY_OK || !g) {
        if (r.errors.n == 0)
            levy_gen_errors_add(&r.errors, rs->err.source, rs->err.line, rs->err.message);
        r.status = "rejected";
        h->reload_failures++;
        levy_metrics_inc("levy_reload_failures_total", NULL, 1, NULL);
        for (int i = 0; i < r.errors.n; i++)
            hlog(HLOG_WARN, "reload rejected: %s:%d: %s", r.errors.v[i].source, r.errors.v[i].line,
                 r.errors.v[i].message);
    } else {
        swap_in(h, g, &r);
    }
    note_reload(h, &r);
    levy_service_reloaded(&r);
    waiter *w = rs->cur;
    rs->cur = NULL;
    notify(w, &r);
    levy_gen_errors_free(&r.errors);
    start_queued(h);
}

/* Starts a build for the waiters in rs->cur; an unchanged tree is found by the thread. */
static void start_build(levy_host *h)
{
    reload_state *rs = h->reload;
    rs->id = h->current->id + 1;
    rs->rc = LEVY_OK;
    rs->unchanged = 0;
    rs->migrated = 0;
    snprintf(rs->cur_hash, sizeof rs->cur_hash, "%s", h->current->tree_hash);
    levy_err_clear(&rs->err);
    rs->running = 1;
    levy_service_reloading();
    pthread_attr_t attr;
    int made = 0;
    if (pthread_attr_init(&attr) == 0) {
        made = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
               pthread_create(&rs->th, &attr, reload_thread, h) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!made) {
        rs->running = 0;
        levy_reload_report r;
        memset(&r, 0, sizeof r);
        r.status = "rejected";
        r.generation = h->current->id;
        levy_gen_errors_add(&r.errors, "", 0, "cannot start the reload thread");
        note_reload(h, &r);
        levy_service_reloaded(&r);
        waiter *w = rs->cur;
        rs->cur = NULL;
        notify(w, &r);
        levy_gen_errors_free(&r.errors);
    }
}

void levy_host_reload_async(levy_host *h, levy_reload_cb cb, void *ud)
{
    reload_state *rs = h->reload;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        if (!rs || pipe(rs->pipe) != 0) {
            free(rs);
            levy_reload_report r;
            levy_host_reload(h, &r); /* fall back to a build on the loop */
            if (cb)
                cb(ud, &r);
            levy_gen_errors_free(&r.errors);
            return;
        }
        fcntl(rs->pipe[0], F_SETFD, FD_CLOEXEC);
        fcntl(rs->pipe[1], F_SETFD, FD_CLOEXEC);
        rs->ev = event_new(h->base, rs->pipe[0], EV_READ | EV_PERSIST, on_reload_done, h);
        event_add(rs->ev, NULL);
        h->reload = rs;
    }
    waiter *w = NULL;
    if (cb) {
        w = calloc(1, sizeof *w);
        if (w) {
            w->cb = cb;
            w->ud = ud;
        }
    }
    if (rs->running) {
        if (w) {
            w->next = rs->next;
            rs->next = w;
        } else {
            rs->again = 1;
        }
        return;
    }
    if (w) {
        w->next = rs->cur;
        rs->cur = w;
    }
    start_build(h);
}

static int reload_busy(levy_host *h)
{
    reload_state *rs = h->reload;
    return rs && rs->running;
}

static void reload_free(levy_host *h)
{
    reload_state *rs = h->reload;
    if (!rs)
        return;
    if (rs->running) { /* a detached build: its byte on the pipe is its last use of rs */
        char b;
        while (read(rs->pipe[0], &b, 1) < 0 && errno == EINTR)
            ;
    }
    if (rs->gen)
        levy_gen_unref(rs->gen);
    levy_gen_errors_free(&rs->errs);
    notify(rs->cur, NULL);
    notify(rs->next, NULL);
    if (rs->ev)
        event_free(rs->ev);
    close(rs->pipe[0]);
    close(rs->pipe[1]);
    free(rs);
    h->reload = NULL;
}

/* ---- signals, watch, stop ------------------------------------------------------------- */

static void on_stop_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    static int ticks;
    /* an answer not yet written to the end is waited for too: the loop ending frees it with
     * its connection (a call that ended in the same loop pass as this poll came due had its
     * reply in the output buffer still, and the client saw the connection closed unanswered) */
    if ((h->calls == 0 && !levy_jobs_runner_busy(h) && !reload_busy(h) && h->audits_pending == 0 &&
         !levy_host_listen_busy(h)) ||
        ++ticks > 600) {
        if (h->calls)
            hlog(HLOG_WARN, "stop: %d calls still running after 30 s; exiting", h->calls);
        else if (levy_host_listen_busy(h))
            hlog(HLOG_WARN, "stop: answers still being written after 30 s; exiting");
        event_base_loopexit(h->base, NULL);
        return;
    }
    struct timeval tv = {0, 50000};
    evtimer_add(h->stop_timer, &tv);
}

/* levy.files.remove keeps a removed file a day for a backup in progress and erases older ones
 * when it runs again; this timer erases them when no removal follows (core/base/removed.h). */
static struct event *files_purge;
/* the scheduled rate update (see "scheduled rate updates" below) */
static struct {
    struct event *timer, *out;
    pid_t pid;
    char buf[16384];
    size_t n;
} rupd;

void levy_host_stop(levy_host *h)
{
    if (h->stopping)
        return;
    h->stopping = 1;
    hlog(HLOG_INFO, "stopping: draining %d in-flight calls", h->calls);
    levy_service_stopping(h->calls);
    levy_host_listen_stop(h);
    levy_jobs_runner_stop(h);
    levy_schedule_stop(h);
    if (h->watch_ev)
        event_del(h->watch_ev);
    if (rupd.timer)
        event_del(rupd.timer);
    if (files_purge)
        event_del(files_purge);
    h->stop_timer = evtimer_new(h->base, on_stop_poll, h);
    struct timeval tv = {0, 0};
    evtimer_add(h->stop_timer, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    levy_host *h = arg;
    if (sig == SIGHUP) {
        if (!h->stopping)
            levy_host_reload_audited(h, "system", "signal"); /* its row: issue 20 */
        return;
    }
    levy_host_stop(h);
}

struct watch_tree {
    levy_host *h;
    int depth;
};

static void add_watch_tree(levy_host *h, const char *dir, int depth);

static uint64_t add_watch_entry(void *ud, const char *path, const struct stat *st)
{
    const struct watch_tree *w = ud;
    if (S_ISDIR(st->st_mode))
        add_watch_tree(w->h, path, w->depth + 1);
    return 0;
}

/* Watches dir and its subdirectories (to depth 6) for the hot reload. */
static void add_watch_tree(levy_host *h, const char *dir, int depth)
{
    if (depth > 6)
        return;
    inotify_add_watch(h->watch_fd, dir,
                      IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                          IN_DELETE_SELF);
    struct watch_tree w = {h, depth};
    levy_dir_each(dir, 0, add_watch_entry, &w);
}

static void on_watch_debounce(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    if (h->stopping)
        return;
    /* re-add watches (new directories) and reload */
    add_watch_tree(h, h->cfg->plugins_dir, 0);
    add_watch_tree(h, h->cfg->scripts_dir, 0);
    levy_host_reload_audited(h, "system", "watch");
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    levy_host *h = arg;
    char buf[8192];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    struct timeval tv = {0, 200000}; /* editors write in bursts */
    evtimer_add(h->watch_debounce, &tv);
}

static void start_watch(levy_host *h)
{
    h->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (h->watch_fd < 0) {
        hlog(HLOG_WARN, "--watch: inotify unavailable: %s", strerror(errno));
        return;
    }
    add_watch_tree(h, h->cfg->plugins_dir, 0);
    add_watch_tree(h, h->cfg->scripts_dir, 0);
    h->watch_ev = event_new(h->base, h->watch_fd, EV_READ | EV_PERSIST, on_watch, h);
    h->watch_debounce = evtimer_new(h->base, on_watch_debounce, h);
    event_add(h->watch_ev, NULL);
}

/* ---- scheduled rate updates (--rates-update-every, off by default) ---------------------
 * levy serve runs `levy rates update --data-dir DIR` as a child process every period (its
 * own process: libcurl's global state and the loop's HTTP client stay untouched), reads its
 * output, logs the outcome (WARN on a failure: the vintage in use stays) and reloads when it
 * installed a vintage. One run at a time; the next is armed when one ends. */

static void rates_update_arm(levy_host *h)
{
    if (!rupd.timer || h->stopping)
        return;
    struct timeval tv = {h->cfg->rates_update_s, 0};
    evtimer_add(rupd.timer, &tv);
}

static void on_rates_update_out(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    levy_host *h = arg;
    char chunk[4096];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r > 0) {
        size_t k = (size_t)r;
        if (rupd.n + k >= sizeof rupd.buf) { /* keep the tail: the summary is last */
            size_t drop = rupd.n + k - (sizeof rupd.buf - 1);
            if (drop > rupd.n)
                drop = rupd.n;
            /* a forward copy by index, not an overlapping memmove (fortified, glibc's
             * __memcpy_chk: a false overlap under valgrind) */
            for (size_t i = drop; i < rupd.n; i++)
                rupd.buf[i - drop] = rupd.buf[i];
            rupd.n -= drop;
            if (k > sizeof rupd.buf - 1 - rupd.n)
                k = sizeof rupd.buf - 1 - rupd.n;
        }
        memcpy(rupd.buf + rupd.n, chunk, k);
        rupd.n += k;
        rupd.buf[rupd.n] = 0;
        return;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    event_free(rupd.out);
    rupd.out = NULL;
    close(fd);
    int st = 0;
    while (waitpid(rupd.pid, &st, 0) < 0 && errno == EINTR)
        ;
    rupd.pid = 0;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    int installed = 0;
    const char *sum = strstr(rupd.buf, "levy rates update: ");
    for (const char *p = sum; p; p = strstr(p + 1, "levy rates update: "))
        if (sscanf(p, "levy rates update: %d installed", &installed) == 1)
            break;
    /* each WARN line of the child, as levy's own WARN */
    for (char *line = rupd.buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        const char *w = strstr(line, ": WARN ");
        if (w)
            hlog(HLOG_WARN, "rates update: %s", w + 7);
        line = nl ? nl + 1 : NULL;
    }
    if (code != 0)
        hlog(HLOG_WARN, "rates update: exit %d; the rate vintages in use stay (GET /admin/rates)",
             code);
    else
        hlog(HLOG_INFO, "rates update: %d vintage(s) installed", installed);
    if (installed > 0 && h->reload_async && !h->stopping) /* its row names the schedule */
        levy_host_reload_audited(h, "system", "rates update schedule");
    rates_update_arm(h);
}

static void on_rates_update_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    if (rupd.pid || h->stopping)
        return;
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    int pfd[2];
    if (el <= 0 || pipe(pfd) != 0) {
        hlog(HLOG_WARN, "rates update: cannot start: %s", strerror(errno));
        rates_update_arm(h);
        return;
    }
    exe[el] = 0;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        char *argv[] = {exe,      "rates",           "update", "--data-dir", h->cfg->data_dir,
                        "--data", h->cfg->data_root, NULL};
        execv(exe, argv);
        _exit(127);
    }
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        hlog(HLOG_WARN, "rates update: cannot start: %s", strerror(errno));
        rates_update_arm(h);
        return;
    }
    rupd.pid = pid;
    rupd.n = 0;
    rupd.buf[0] = 0;
    evutil_make_socket_nonblocking(pfd[0]);
    evutil_make_socket_closeonexec(pfd[0]);
    rupd.out = event_new(h->base, pfd[0], EV_READ | EV_PERSIST, on_rates_update_out, h);
    event_add(rupd.out, NULL);
}

static void start_rates_update(levy_host *h)
{
    if (h->cfg->rates_update_s <= 0 || !host_has_rates(h))
        return;
    rupd.timer = evtimer_new(h->base, on_rates_update_timer, h);
    hlog(HLOG_INFO, "rates update: every %d s (levy rates update, DATA_DIR/rates-sources.conf)",
         h->cfg->rates_update_s);
    rates_update_arm(h);
}

/* ---- removed files --------------------------------------------------------------------- */

static void on_files_purge(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    int n = levy_files_purge_removed(h->cfg->data_dir, NULL);
    if (n > 0)
        hlog(HLOG_INFO, "files: erased %d removed file(s) kept for more than %d s", n,
             LEVY_FILES_REMOVED_KEEP_S);
}

static void start_files_purge(levy_host *h)
{
    if (strcmp(h->cfg->role, "calc") == 0 || !h->cfg->data_dir[0])
        return;
    files_purge = event_new(h->base, -1, EV_PERSIST, on_files_purge, h);
    if (!files_purge)
        return;
    struct timeval tv = {LEVY_FILES_PURGE_EVERY_S, 0};
    event_add(files_purge, &tv);
    on_files_purge(-1, 0, h); /* and once at the start: a restart does not wait an hour */
}

/* ---- serve ---------------------------------------------------------------------------- */

/* PRAGMA quick_check of the whole store: 0, or 1 (said on stderr) when it is damaged or cannot
 * be checked. */
static int quick_check_now(levy_host *h, const char *dbpath)
{
    char detail[600];
    levy_err e;
    levy_err_clear(&e);
    int64_t t0 = levy_store_mono_ms();
    int rc = levy_store_quick_check(h->store, detail, sizeof detail, &e);
    if (rc == LEVY_OK)
        hlog(HLOG_DEBUG, "store: PRAGMA quick_check of %s: ok, %lld ms", dbpath,
             (long long)(levy_store_mono_ms() - t0));
    if (rc == LEVY_EIO) {
        fprintf(stderr,
                "levy: the store %s is damaged (PRAGMA quick_check: %s); not starting. "
                "Stop anything else using it, then restore the last good backup: levy restore "
                "FILE --data-dir %s --force (docs/operations.md, start-up checks)\n",
                dbpath, detail, h->cfg->data_dir);
        return 1;
    }
    if (rc != LEVY_OK) {
        fprintf(stderr, "levy: cannot check the store %s: %s\n", dbpath, e.message);
        return 1;
    }
    return 0;
}

/* PRAGMA quick_check (refuse a damaged store; one over LEVY_STORE_CHECK_START_MB is checked
 * while levy serves instead, *deferred = 1: host/storecheck.c, started by the loop), and
 * *busy_ms: the loop's bounded wait for locks of other processes, LEVY_STORE_BUSY_MS (default
 * 50 ms) shared by all statements of a loop turn (store.h), so a held lock costs a request a
 * 503 + Retry-After, never seconds of the loop. The start itself (migrations, requeue) keeps
 * SQLite's 5 s timeout. The start's thread. */
static int store_startup_checks(levy_host *h, const char *dbpath, int *busy_ms, int *deferred)
{
    *deferred = 0;
    if (levy_storecheck_plan(h, dbpath, deferred) != 0)
        return 1;
    if (!*deferred && quick_check_now(h, dbpath) != 0)
        return 1;
    int ms = 50;
    const char *v = getenv("LEVY_STORE_BUSY_MS");
    if (v && *v) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (!end || *end || n < 1 || n > 5000) {
            fprintf(stderr, "levy: LEVY_STORE_BUSY_MS must be an integer 1..5000 (ms)\n");
            return 1;
        }
        ms = (int)n;
    }
    *busy_ms = ms;
    return 0;
}

/* Completions of the writer thread: the parked calls resume on the loop. */
static void on_writer_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    levy_writer_complete(h->writer);
}

/* The writer thread (writer.h) with its own connection (a second SQLite handle, or a second
 * libpq connection on PostgreSQL), unless LEVY_STORE_WRITER=0 or the calc role (then
 * store.durable commits on the loop's connection, one transaction per unit). On SQLite its
 * lock waits share the loop's busy budget: a held lock answers 503 + Retry-After as fast.
 * The start's thread starts it; its completions are watched by the loop (watch_writer). */
static int start_writer(levy_host *h, const char *dbpath, int busy_ms)
{
    const char *v = getenv("LEVY_STORE_WRITER");
    if (v && *v && strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
        fprintf(stderr, "levy: LEVY_STORE_WRITER must be 1 (default) or 0\n");
        return 1;
    }
    if ((v && strcmp(v, "0") == 0) || strcmp(h->cfg->role, "calc") == 0)
        return 0;
    levy_err e;
    levy_err_clear(&e);
    /* the writer is not the loop: it may wait longer than the loop's own budget for a lock
     * the loop's connection holds (a job's transaction), and still answers a lock held by
     * another process within a quarter of a second */
    if (levy_writer_start(&h->writer, dbpath, busy_ms > 250 ? busy_ms : 250, &e) != LEVY_OK) {
        fprintf(stderr, "levy: cannot start the store's writer: %s\n", e.message);
        return 1;
    }
    levy_writer_watch_store(h->writer, h->store);
    return 0;
}

/* The loop's side of the writer: its completions' pipe. */
static int watch_writer(levy_host *h)
{
    if (!h->writer)
        return 0;
    h->writer_ev =
        event_new(h->base, levy_writer_fd(h->writer), EV_READ | EV_PERSIST, on_writer_done, h);
    if (!h->writer_ev || event_add(h->writer_ev, NULL) != 0) {
        fprintf(stderr, "levy: cannot watch the store's writer\n");
        return 1;
    }
    return 0;
}

/* The master key, checked against the sealed data of the store (rotate.h); sets it. */
static int verify_master_key(levy_host *h)
{
    uint8_t key[LEVY_KEY_LEN];
    char note[2048];
    levy_err e;
    levy_err_clear(&e);
    if (!h->store) {
        if (levy_crypto_master_key_load(h->cfg->data_dir, key, &e) != LEVY_OK) {
            fprintf(stderr, "levy: master key: %s\n", e.message);
            return 1;
        }
    } else if (levy_rotate_verify_key(h->cfg->data_dir, h->store, h->current, key, note,
                                      sizeof note, &e) != LEVY_OK) {
        fprintf(stderr, "levy: %s; not starting\n", note[0] ? note : e.message);
        return 1;
    } else if (note[0]) {
        hlog(strcmp(note, "created a new master key") == 0 ? HLOG_INFO : HLOG_WARN, "%s", note);
    }
    levy_crypto_set_master_key(key);
    memset(key, 0, sizeof key);
    return 0;
}

static void print_errors(const levy_gen_errors *e)
{
    for (int i = 0; i < e->n; i++)
        fprintf(stderr, "levy: %s:%d: %s\n", e->v[i].source, e->v[i].line, e->v[i].message);
}

/* The store's side of the start (issue 20 operations: levy answers while it runs). It runs
 * on a thread of its own while the loop answers every request 503 from host/starting.c, which
 * touches none of what this thread does: the store (opened, migrated, checked here), the
 * generation, the rate set, the master key, the metrics registry (a replica renamed here has
 * its metrics set by the loop, start_renamed). What needs the loop (the writer's event, the
 * deferred integrity check, timers, signals) is done by serve_ready once this thread ended. */
typedef struct start_job {
    levy_host *h;
    char dbpath[PATH_MAX];
    int busy_ms, deferred_check;
    int failed;    /* 1: the start failed (said on stderr); levy exits 1 */
    char code[48]; /* the failure's code (/healthz "error") */
    int nself;
    levy_gen_errors errs;
    int pipe[2]; /* the thread writes one byte when it ends */
    struct event *ev;
    pthread_t th;
    int created; /* the API token was created (first start) */
    int *joined; /* set to 0 once the thread is joined */
    struct event *fail_timer;
    struct event *hold_timer; /* ends the hold on accepting (LEVY_START_ANSWER_AFTER_MS) */
} start_job;

static int start_fail(start_job *j, const char *code)
{
    j->failed = 1;
    snprintf(j->code, sizeof j->code, "%s", code && *code ? code : "start_failed");
    return 1;
}

static int start_store(start_job *j)
{
    levy_host *h = j->h;
    levy_config *cfg = h->cfg;
    levy_err err;
    levy_err_clear(&err);
    levy_store *st = NULL;
    if (levy_store_open(&st, cfg->database[0] ? cfg->database : j->dbpath, 0, &err) != LEVY_OK) {
        if (cfg->database[0]) {
            /* never the URL itself: it may hold the password (err names the redacted one) */
            fprintf(stderr, "levy: cannot open the PostgreSQL store: %s\n", err.message);
            return start_fail(j, err.code);
        }
        fprintf(stderr, "levy: cannot open the store %s: %s\n", j->dbpath, err.message);
        if (strcmp(err.code, "io") == 0)
            fprintf(stderr,
                    "levy: if %s is damaged, restore it from a backup: levy restore "
                    "FILE --data-dir %s --force (docs/operations.md, start-up checks)\n",
                    j->dbpath, cfg->data_dir);
        return start_fail(j, err.code);
    }
    h->store = st;
    if (cfg->database[0])
        hlog(HLOG_INFO, "store: PostgreSQL %s (replica %s)", levy_store_path(st), cfg->replica_id);
    if (store_startup_checks(h, levy_store_path(st), &j->busy_ms, &j->deferred_check) != 0)
        return start_fail(j, "store_check");
    if (start_writer(h, cfg->database[0] ? cfg->database : j->dbpath, j->busy_ms) != 0)
        return start_fail(j, "store_writer");
    replica_check_start(h);
    int n = 0;
    if (levy_jobs_requeue_running(h->store, &n, &err) == LEVY_OK && n)
        hlog(HLOG_INFO, "re-queued %d job(s) left running by the previous process", n);
    if (levy_host_build(h, 1, &h->current, &j->errs, &j->nself, &err) != LEVY_OK) {
        if (j->errs.n == 0)
            fprintf(stderr, "levy: %s\n", err.message);
        print_errors(&j->errs);
        fprintf(stderr, "levy: cannot load plugins/scripts; not starting\n");
        levy_start_view v;
        levy_start_view_get(&v);
        return start_fail(j, v.phase == LEVY_START_MIGRATING ? "migration_failed" : "load_failed");
    }
    if (verify_master_key(h) != 0)
        return start_fail(j, "master_key");
    return 0;
}

static void *start_main(void *arg)
{
    start_job *j = arg;
    start_store(j);
    char one = 1;
    while (write(j->pipe[1], &one, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void serve_ready(levy_host *h, start_job *j);

static void on_fail_linger(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    event_base_loopbreak(h->base);
}

/* The start outlasted LEVY_START_ANSWER_AFTER_MS: accept, and answer 503 `starting` (with
 * /healthz's migration) until the store is ready. */
static void on_start_hold_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    levy_host *h = arg;
    levy_host_listen_hold(h, 0);
    hlog(HLOG_INFO,
         "levy %s (%s) still starting: answering 503 on %s://%s:%d until the store is "
         "ready",
         LEVY_VERSION, h->cfg->role, h->cfg->tls_cert[0] ? "https" : "http", h->cfg->host,
         levy_server_port(h->server));
}

/* The start's thread ended (the loop): join it, then serve, or stop with exit 1. */
static void on_start_thread_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    start_job *j = arg;
    levy_host *h = j->h;
    char b;
    while (read(j->pipe[0], &b, 1) < 0 && errno == EINTR)
        ;
    pthread_join(j->th, NULL);
    *j->joined = 0;
    h->starting = 0;
    if (j->hold_timer)
        evtimer_del(j->hold_timer);
    levy_host_listen_hold(h, 0);
    if (!j->failed && j->deferred_check) {
        /* a store over LEVY_STORE_CHECK_START_MB: its check runs beside the serving loop; a
         * thread that cannot start checks it whole now, as a smaller store was */
        int deferred = 0;
        if (levy_storecheck_at_start(h, levy_store_path(h->store), &deferred) != 0 ||
            (!deferred && quick_check_now(h, levy_store_path(h->store)) != 0))
            start_fail(j, "store_check");
    }
    if (!j->failed && watch_writer(h) != 0)
        start_fail(j, "store_writer");
    if (!j->failed) {
        serve_ready(h, j);
        return;
    }
    /* the messages are on stderr already; /healthz says "failed" to whoever asks while the
     * answers in flight go out (a fifth of a second), then levy exits 1 as it always did */
    h->starting = 1;
    levy_start_fail(j->code);
    static const struct timeval linger = {0, 200000};
    j->fail_timer = evtimer_new(h->base, on_fail_linger, h);
    if (!j->fail_timer || evtimer_add(j->fail_timer, &linger) != 0)
        event_base_loopbreak(h->base);
}

/* Listening, the store ready, generation 1 loaded: serve (the loop). */
static void serve_ready(levy_host *h, start_job *j)
{
    levy_config *cfg = h->cfg;
    if (h->store)
        levy_store_set_busy_budget(h->store, j->busy_ms);
    levy_host_metrics_describe();
    {
        levy_metrics_describe("levy_replica_info", LEVY_METRIC_GAUGE,
                              "Always 1; the labels name this levy process among those sharing "
                              "a database (--replica-id) and the store engine (sqlite, "
                              "postgres).",
                              NULL);
        const char *rl[] = {
            "replica", cfg->replica_id, "engine",
            levy_store_engine(h->store) == LEVY_STORE_POSTGRES ? "postgres" : "sqlite", NULL};
        levy_metrics_set("levy_replica_info", rl, 1, NULL);
        if (h->start_renamed)
            levy_metrics_inc("levy_replica_id_clashes_total", NULL, 1, NULL);
        /* the requests answered 503 while levy started (host/starting.c) */
        uint64_t n = levy_start_answered();
        const char *sl[] = {"route", "starting", "status", "503", NULL};
        if (n)
            levy_metrics_inc("levy_http_requests_total", sl, (int64_t)n, NULL);
    }
    int signos[3] = {SIGINT, SIGTERM, SIGHUP};
    struct event **sigs[3] = {&h->sig_int, &h->sig_term, &h->sig_hup};
    for (int i = 0; i < 3; i++) {
        *sigs[i] = evsignal_new(h->base, signos[i], on_signal, h);
        event_add(*sigs[i], NULL);
    }
    if (cfg->watch)
        start_watch(h);
    start_rates_update(h);
    start_files_purge(h);
    int port = levy_server_port(h->server);
    const char *scheme = cfg->tls_cert[0] ? "https" : "http";
    hlog(HLOG_INFO, "levy %s (%s) listening on %s://%s:%d, generation 1 (%d plugins, %d rules)",
         LEVY_VERSION, cfg->role, scheme, cfg->host, port, h->current->nplugins,
         h->current->nrules);
    printf("levy %s listening on %s://%s:%d\n", cfg->role, scheme, cfg->host, port);
    if (j->created)
        print_first_start(cfg);
    fflush(stdout);
    start_beat(h);
    levy_jobs_runner_start(h);
    levy_schedule_start(h);
    run_on_start(h);
    h->started = 1;
    {
        /* READY=1: listening, generation 1 loaded, on_start hooks ran (systemd Type=notify) */
        char st[600];
        snprintf(st, sizeof st, "serving on %s://%s:%d, generation 1 (%d plugins, %d rules)",
                 scheme, cfg->host, port, h->current->nplugins, h->current->nrules);
        levy_service_ready(h->base, st);
    }
    /* the build (rule self-tests, rate-table loading) freed a few MB that glibc would keep;
     * the pages the migrations read go first, so that the trim returns them too */
    levy_store_release_memory(h->store);
    levy_vm_collect(h->current->vm);
}

int levy_host_serve(levy_config *cfg)
{
    levy_host hs, *h = &hs;
    memset(h, 0, sizeof *h);
    h->cfg = cfg;
    h->watch_fd = -1;
    h->reload_async = levy_host_reload_async;
    int code = 1;
    levy_err err;
    levy_err_clear(&err);
    start_job job;
    memset(&job, 0, sizeof job);
    job.h = h;
    job.pipe[0] = job.pipe[1] = -1;
    int thread_started = 0;
    job.joined = &thread_started;
    levy_log_set_format(cfg->log_json ? LEVY_LOG_JSON : LEVY_LOG_TEXT);
    signal(SIGPIPE, SIG_IGN);
    if (cfg->data_dir_default) {
        /* the default data dir lies in the current directory: say so, and where */
        struct stat dst;
        int existed = stat(cfg->data_dir, &dst) == 0;
        char cwd[PATH_MAX];
        fprintf(stderr,
                "levy %s: data dir %s in the current directory %s (%s; --data-dir DIR or "
                "LEVY_DATA_DIR puts it elsewhere)\n",
                cfg->cmd, cfg->data_dir, getcwd(cwd, sizeof cwd) ? cwd : "?",
                existed ? "the default, already there" : "the default, created now");
    }
    if (levy_mkdir_p(cfg->data_dir, 0700) != 0) {
        fprintf(stderr, "levy: cannot create data dir %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    chmod(cfg->data_dir, 0700);
    int lock_fd = -1;
    if (levy_rotate_serve_lock(cfg->data_dir, &lock_fd, &err) != LEVY_OK) {
        fprintf(stderr, "levy: %s\n", err.message);
        return 1;
    }
    {
        const char *what = "";
        /* on PostgreSQL the store's fingerprint decides, once it is open
         * (levy_rotate_verify_key); DATA_DIR/levy.db is not the store there */
        if (!cfg->database[0] && levy_rotate_recover(cfg->data_dir, &what, &err) != LEVY_OK) {
            fprintf(stderr, "levy: master key: %s\n", err.message);
            close(lock_fd);
            return 1;
        }
        if (*what)
            hlog(HLOG_WARN, "%s", what);
    }
    if (load_token(cfg, &job.created, &err) != LEVY_OK) {
        fprintf(stderr, "levy: %s\n", err.message);
        close(lock_fd);
        return 1;
    }
    if (cfg->metrics_token[0] && strcmp(cfg->metrics_token, cfg->api_token) == 0) {
        fprintf(stderr,
                "levy: the metrics token (%s) is the API token of %s; give GET /metrics "
                "its own token\n",
                cfg->metrics_token_from, cfg->data_dir);
        close(lock_fd);
        return 1;
    }
    h->base = levy_host_event_base_new();
    if (!h->base || levy_http_client_new(&h->client, h->base, &err) != LEVY_OK) {
        fprintf(stderr, "levy: cannot start the event loop\n");
        goto done;
    }
    snprintf(job.dbpath, sizeof job.dbpath, "%s/levy.db", cfg->data_dir);
    if (!cfg->replica_id[0])
        h->replica_id_kept =
            default_replica_id(cfg, cfg->database[0] && strcmp(cfg->cmd, "serve") == 0);
    {
        unsigned char r[16];
        levy_err ne = {0};
        if (levy_crypto_random(r, sizeof r, &ne) == LEVY_OK)
            levy_crypto_hex(r, sizeof r, h->nonce);
        else
            snprintf(h->nonce, sizeof h->nonce, "%ld-%lld", (long)getpid(),
                     (long long)levy_clock_now_ms());
    }
    {
        const char *lease = getenv("LEVY_JOB_LEASE_MS");
        long ms = lease && *lease ? strtol(lease, NULL, 10) : 0;
        if (lease && *lease && (ms < 1000 || ms > 86400000)) {
            fprintf(stderr, "levy: LEVY_JOB_LEASE_MS must be an integer 1000..86400000 (ms)\n");
            goto done;
        }
        job_lease_ms = ms;
        levy_jobs_set_lease(ms, cfg->replica_id);
    }
    /* only `levy serve` takes --database: `levy sim` (the simulator, and levy demo's)
     * keeps its own SQLite store even when LEVY_DATABASE_URL is in the environment */
    if (strcmp(cfg->cmd, "serve") != 0)
        cfg->database[0] = 0;
    /* each migration is recorded for the answers below and said to systemd (STATUS=,
     * EXTEND_TIMEOUT_USEC=): a long upgrade */
    levy_start_begin();
    /* listen first: while the store is opened, migrated and checked and generation 1 is
     * built (a thread: start_main), every request is answered 503 (host/starting.c) */
    h->starting = 1;
    if (levy_host_listen(h, &err) != LEVY_OK) {
        fprintf(stderr, "levy: %s\n", err.message);
        goto done;
    }
    {
        /* A start that ends within LEVY_START_ANSWER_AFTER_MS (default 5000) is not seen:
         * connections wait in the backlog and are served once levy is ready, as when levy
         * listened only then (a client that connects and sends at once gets its real answer,
         * not a 503). A longer one (a migration of a large store) answers 503 `starting` and
         * /healthz says which migration runs. 0: answer at once. */
        long ms = 5000;
        const char *v = getenv("LEVY_START_ANSWER_AFTER_MS");
        if (v && *v) {
            char *end = NULL;
            ms = strtol(v, &end, 10);
            if (!end || *end || ms < 0 || ms > 600000) {
                fprintf(stderr, "levy: LEVY_START_ANSWER_AFTER_MS must be an integer 0..600000 "
                                "(ms)\n");
                goto done;
            }
        }
        if (ms == 0) {
            on_start_hold_end(-1, 0, h);
        } else {
            struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
            levy_host_listen_hold(h, 1);
            job.hold_timer = evtimer_new(h->base, on_start_hold_end, h);
            if (!job.hold_timer || evtimer_add(job.hold_timer, &tv) != 0) {
                fprintf(stderr, "levy: cannot start: timer\n");
                goto done;
            }
            hlog(HLOG_DEBUG, "levy (%s) bound to %s:%d; accepting once started, or in %ld ms",
                 cfg->role, cfg->host, levy_server_port(h->server), ms);
        }
    }
    if (pipe(job.pipe) != 0) {
        fprintf(stderr, "levy: cannot start: pipe: %s\n", strerror(errno));
        goto done;
    }
    job.ev = event_new(h->base, job.pipe[0], EV_READ, on_start_thread_done, &job);
    if (!job.ev || event_add(job.ev, NULL) != 0 ||
        pthread_create(&job.th, NULL, start_main, &job) != 0) {
        fprintf(stderr, "levy: cannot start the start-up thread\n");
        goto done;
    }
    thread_started = 1;
    levy_gen_reaper(1); /* a replaced generation is freed off the loop (gen.c) */
    event_base_dispatch(h->base);
    levy_gen_reaper(0);
    if (job.failed)
        goto done;
    if (genreg_on(h) && levy_store_engine(h->store) == LEVY_STORE_POSTGRES) {
        /* a stopped replica leaves the list of live ones at once */
        levy_err fe;
        levy_genreg_forget(h->store, h->cfg->replica_id, h->nonce, &fe);
    }
    hlog(HLOG_INFO, "stopped");
    code = 0;
done:
    if (thread_started) /* an ended loop that never heard the thread (not expected) */
        pthread_join(job.th, NULL);
    if (h->sig_int)
        event_free(h->sig_int);
    if (h->sig_term)
        event_free(h->sig_term);
    if (h->sig_hup)
        event_free(h->sig_hup);
    h->sig_int = h->sig_term = h->sig_hup = NULL;
    if (job.ev)
        event_free(job.ev);
    if (job.fail_timer)
        event_free(job.fail_timer);
    if (job.hold_timer)
        event_free(job.hold_timer);
    for (int i = 0; i < 2; i++)
        if (job.pipe[i] >= 0)
            close(job.pipe[i]);
    levy_storecheck_stop();
    /* the loop ran until every call ended (a parked one waits for its unit): what is left in
     * the queue (a stop past the drain deadline) is committed and completed here */
    levy_writer_stop(h->writer);
    h->writer = NULL;
    if (h->writer_ev)
        event_free(h->writer_ev);
    h->writer_ev = NULL;
    levy_service_close();
    if (h->beat_ev)
        event_free(h->beat_ev);
    h->beat_ev = NULL;
    if (h->gc_idle_ev)
        event_free(h->gc_idle_ev);
    h->gc_idle_ev = NULL;
    reload_free(h);
    levy_gen_errors_free(&job.errs);
    levy_schedule_stop(h);
    levy_jobs_runner_stop(h);
    levy_host_refusals_stop(h); /* the held-back refusals' summaries, while the store is open */
    levy_host_listen_free(h);
    if (h->stop_timer)
        event_free(h->stop_timer);
    if (h->watch_ev)
        event_free(h->watch_ev);
    if (h->watch_debounce)
        event_free(h->watch_debounce);
    if (h->watch_fd >= 0)
        close(h->watch_fd);
    levy_http_client_free(h->client);
    h->client = NULL;
    levy_host_release(h);
    levy_crypto_set_master_key(NULL);
    close(lock_fd);
    return code;
}

int levy_host_with_generation(levy_config *cfg, int (*visit)(levy_gen *g, void *ud, levy_err *err),
                              void *ud, levy_err *err)
{
    levy_host hs;
    memset(&hs, 0, sizeof hs);
    hs.cfg = cfg;
    levy_gen *g = NULL;
    levy_gen_errors errs = {0};
    int nself = 0, rc;
    if ((rc = levy_host_build(&hs, 1, &g, &errs, &nself, err)) != LEVY_OK) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "levy %s: %s:%d: %s\n", cfg->cmd ? cfg->cmd : "", errs.v[i].source,
                    errs.v[i].line, errs.v[i].message);
        if (errs.n)
            levy_err_set(err, rc, "invalid", "plugins/scripts do not load (see above)");
        goto done;
    }
    rc = visit(g, ud, err);
done:
    levy_gen_errors_free(&errs);
    if (g)
        levy_gen_unref(g);
    host_drop_rates(&hs);
    return rc;
}

/* What every host-running command holds until it returns: the current generation, the store,
 * the rate tables and the loop (levy serve, levy calc). Safe on a zeroed host. */
void levy_host_release(levy_host *h)
{
    reload_free(h); /* levy_host_serve freed it already; a test's asynchronous reloads */
    if (h->current)
        levy_gen_unref(h->current);
    h->current = NULL;
    levy_store_close(h->store);
    h->store = NULL;
    host_drop_rates(h);
    if (rupd.out)
        event_free(rupd.out);
    if (rupd.timer)
        event_free(rupd.timer);
    rupd.out = rupd.timer = NULL;
    if (files_purge)
        event_free(files_purge);
    files_purge = NULL;
    if (h->base)
        event_base_free(h->base);
    h->base = NULL;
}

/* ---- check ---------------------------------------------------------------------------- */

int levy_host_check(levy_config *cfg)
{
    levy_host hs, *h = &hs;
    memset(h, 0, sizeof *h);
    h->cfg = cfg;
    levy_gen_errors errs = {0};
    levy_err err;
    levy_err_clear(&err);
    levy_gen *g = NULL;
    int nself = 0;
    int rc = levy_host_build(h, 1, &g, &errs, &nself, &err);
    /* the simulator's plugin is loaded by `levy sim` only: check it in its own role too */
    char simdir[PATH_MAX + 8];
    snprintf(simdir, sizeof simdir, "%s/sim", cfg->plugins_dir);
    struct stat sst;
    if (stat(simdir, &sst) == 0 && S_ISDIR(sst.st_mode)) {
        levy_config simcfg = *cfg;
        simcfg.role = "sim";
        levy_host sh;
        memset(&sh, 0, sizeof sh);
        sh.cfg = &simcfg;
        levy_gen *sg = NULL;
        levy_err serr;
        levy_err_clear(&serr);
        if (levy_host_build(&sh, 1, &sg, &errs, NULL, &serr) != LEVY_OK) {
            if (rc == LEVY_OK)
                rc = LEVY_EINVAL;
            if (errs.n == 0)
                levy_gen_errors_add(&errs, "plugins/sim", 0, serr.message);
        }
        if (sg)
            levy_gen_unref(sg);
    }
    /* one line per file (every .lua of plugins/ and scripts/), then the summary */
    levy_gen_file *files = NULL;
    int nfiles = 0, nbad = 0;
    levy_gen_list_files(cfg->plugins_dir, cfg->scripts_dir, &files, &nfiles, NULL);
    int *used = calloc((size_t)errs.n + 1, sizeof *used);
    for (int i = 0; i < nfiles; i++) {
        const char *p = files[i].path;
        size_t pl = p ? strlen(p) : 0;
        if (pl < 4 || strcmp(p + pl - 4, ".lua") != 0)
            continue;
        int bad = 0;
        for (int k = 0; k < errs.n; k++) {
            if (strcmp(errs.v[k].source, p) == 0) {
                printf("FAIL  %s:%d: %s\n", p, errs.v[k].line, errs.v[k].message);
                bad = 1;
                if (used)
                    used[k] = 1;
            }
        }
        if (!bad)
            printf("ok    %s\n", p);
        nbad += bad;
    }
    for (int k = 0; k < errs.n; k++) /* errors about other files (migrations...) */
        if (!used || !used[k]) {
            printf("FAIL  %s:%d: %s\n", errs.v[k].source, errs.v[k].line, errs.v[k].message);
            nbad++;
        }
    free(used);
    levy_gen_files_free(files, nfiles);
    if (rc != LEVY_OK && errs.n == 0) {
        nbad++;
        printf("FAIL  %s\n", err.message);
    }
    if (g)
        printf("all good: %d plugins, %d rules, %d self-tests passed\n", g->nplugins, g->nrules,
               nself);
    else
        printf("%d file(s) failed; a reload would be rejected\n", nbad);
    levy_gen_errors_free(&errs);
    if (g)
        levy_gen_unref(g);
    host_drop_rates(h);
    return rc == LEVY_OK ? 0 : 1;
}
