/* The host's side of HTTP: what core/http/server.c hands each request to (its dispatch
 * callback, levy_server_ops). Auth from the matched route, the C routes (/healthz,
 * /openapi.yaml, /metrics, /admin/reload, /admin/generation, /v1/session), the Lua routes of
 * the current generation (a call per request; the reply rendered from what the handler
 * returned or raised), route body caps for the gate, then static files. docs/host.md
 * "Requests". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <lauxlib.h>
#include <openssl/crypto.h>

#include "clock.h"
#include "config.h"
#include "json_scan.h"
#include "hlog.h"
#include "host/auth.h"
#include "host/genreg.h"
#include "host/refusals.h"
#include "host/host.h"
#include "host/starting.h"
#include "host/tokens.h"
#include "json_doc.h"
#include "store/writer.h"
#include "http/server.h"
#include "lua/sandbox.h"
#include "metrics.h"
#include "store/audit.h"
#include "store/jobs.h"
#include "store/store.h"
#include "json_scan.h"
#include "tax/info.h"
#include "tax/rates.h"

/* ---- helpers -------------------------------------------------------------------------- */

static int has_prefix_seg(const char *path, const char *pre)
{
    size_t n = strlen(pre);
    return strncmp(path, pre, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The request dispatch() is handling and its bearer, read once: an API request asked for it
 * three times (read-only check, token check, the audit's actor), each a scan of the headers by
 * evhttp_find_header (~500 instructions; issue 21). Set and cleared around one synchronous
 * dispatch (a later request may be allocated at the same address); the input headers do not
 * change while it runs. Who that bearer is (levy_auth_who: a memset of the answer and the
 * API token's constant-time compare, ~270 instructions) is worked out once too: the read-only
 * check, the token check and the actor asked it three times; none of them changes what it
 * answers, and they all run before the route itself. */
static struct {
    struct evhttp_request *req;
    const char *t;
    size_t n;
    int who_done, who_ok;
    levy_auth_whois who;
} bearer_memo;

static const char *bearer_read(struct evhttp_request *req, size_t *n)
{
    const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!a || strncasecmp(a, "Bearer ", 7) != 0)
        return NULL;
    const char *t = a + 7;
    while (*t == ' ')
        t++;
    *n = strlen(t);
    while (*n && t[*n - 1] == ' ')
        (*n)--;
    return t;
}

/* The token of an `Authorization: Bearer <token>` header (surrounding spaces trimmed) and
 * its length in *n; NULL when there is none. Points into the request's headers. */
static const char *bearer_of(struct evhttp_request *req, size_t *n)
{
    if (req == bearer_memo.req) {
        *n = bearer_memo.n;
        return bearer_memo.t;
    }
    return bearer_read(req, n);
}

/* Who the request's bearer is (levy_auth_who, its answer in *who; 0 and a zeroed *who for
 * none), once per dispatch (bearer_memo). */
static int bearer_who(levy_host *h, struct evhttp_request *req, levy_auth_whois *tmp,
                      const levy_auth_whois **who)
{
    if (req == bearer_memo.req) {
        if (!bearer_memo.who_done) {
            bearer_memo.who_ok =
                levy_auth_who(h->cfg, h->store, bearer_memo.t, bearer_memo.n, &bearer_memo.who);
            bearer_memo.who_done = 1;
        }
        *who = &bearer_memo.who;
        return bearer_memo.who_ok;
    }
    size_t n = 0;
    const char *t = bearer_read(req, &n);
    *who = tmp;
    return levy_auth_who(h->cfg, h->store, t, n, tmp);
}

/* The API token, a browser session or a named token (host/auth.c, host/tokens.c) as Bearer. */
static int token_ok(levy_host *h, struct evhttp_request *req)
{
    levy_auth_whois tmp;
    const levy_auth_whois *who;
    return bearer_who(h, req, &tmp, &who);
}

/* A read-only named token (or a UI session opened with one) as Bearer: it may only GET / HEAD
 * (and sign out); levy_auth_who answers who it is (the API token first: no store read). */
static int read_only_bearer(levy_host *h, struct evhttp_request *req)
{
    levy_auth_whois tmp;
    const levy_auth_whois *who;
    return bearer_who(h, req, &tmp, &who) && who->read_only;
}

/* GET /metrics also opens with the read-only metrics token (--metrics-token,
 * LEVY_METRICS_TOKEN[_FILE]), which opens nothing else: a scraper needs no admin token. */
#define CROUTE_AUTH_METRICS 3

static int metrics_token_ok(levy_host *h, struct evhttp_request *req)
{
    size_t n = 0, m = strlen(h->cfg->metrics_token);
    const char *t = bearer_of(req, &n);
    return t && m && n == m && CRYPTO_memcmp(t, h->cfg->metrics_token, m) == 0;
}

/* ---- C routes ------------------------------------------------------------------------- */

/* 200 {"status":"ok",...,"store":"ok"}; 503 {"status":"degraded",...,"store":STATE} while the
 * last store failure stands (busy, disk_full, io_error, corrupt). Reads only; a degraded store
 * is probed with one small write at most once a second (bounded by the busy budget), so the
 * answer turns ok once the cause is gone even without traffic. */
static void r_healthz(levy_host *h, struct evhttp_request *req)
{
    int state = 0;
    const char *sname = "ok";
    if (h->store) {
        levy_err e;
        if (levy_store_ping(h->store, &e) != LEVY_OK &&
            levy_store_state(h->store) == LEVY_STORE_STATE_OK)
            state = LEVY_STORE_STATE_IOERR;
        else
            state = levy_store_probe(h->store);
        sname = levy_store_state_name(state);
    }
    int ok = state == 0;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b,
                        "{\"status\":\"%s\",\"version\":\"%s\",\"generation\":%llu,"
                        "\"store\":\"%s\",\"engine\":\"%s\",\"replica\":\"%s\"}",
                        ok ? "ok" : "degraded", LEVY_VERSION,
                        (unsigned long long)(h->current ? h->current->id : 0), sname,
                        h->store && levy_store_engine(h->store) == LEVY_STORE_POSTGRES ? "postgres"
                                                                                       : "sqlite",
                        h->cfg->replica_id);
    if (!ok)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    levy_http_reply(req, ok ? 200 : 503, "application/json", b);
    evbuffer_free(b);
    levy_http_count("/healthz", ok ? 200 : 503);
}

static void set_jobs_gauge(void *ud, const char *kind, const char *state, int64_t n)
{
    (void)ud;
    const char *labels[] = {"kind", kind, "state", state, NULL};
    levy_metrics_set("levy_jobs", labels, n, NULL);
}

static void set_jobs_age(void *ud, const char *kind, const char *state, int64_t age_ms)
{
    (void)ud;
    (void)state;
    const char *labels[] = {"kind", kind, NULL};
    levy_metrics_set("levy_jobs_oldest_queued_age_seconds", labels, age_ms / 1000, NULL);
}

/* The families the core publishes (the plugins describe theirs: levy.metrics.describe), with
 * their HELP text; levy_build_info is set here once. Called by levy serve before it listens. */
void levy_host_metrics_describe(void)
{
    static const struct {
        const char *name;
        levy_metric_type type;
        const char *help;
    } core[] = {
        {"levy_build_info", LEVY_METRIC_GAUGE,
         "Always 1; the labels name the levy version and the commit it was built from."},
        {"levy_http_requests_total", LEVY_METRIC_COUNTER,
         "HTTP requests answered, by route template and status code."},
        {"levy_access_refused_total", LEVY_METRIC_COUNTER,
         "Requests refused 403 admin_required (a non-admin at what only an admin may do), by "
         "route; every one is counted, while the audit log collapses repeats (access.refused)."},
        {"levy_http_accept_paused_total", LEVY_METRIC_COUNTER,
         "Times levy paused accepting connections, by reason (connection_limit, accept_error)."},
        {"levy_webhook_deliveries_total", LEVY_METRIC_COUNTER,
         "Webhook deliveries received, by result (accepted, duplicate, ignored, "
         "invalid_signature, missing_header, invalid_header, stale_timestamp, "
         "unknown_connection, unavailable, too_large)."},
        {"levy_jobs", LEVY_METRIC_GAUGE,
         "Jobs in the queue table, by kind and state (queued, running, done, dead)."},
        {"levy_jobs_oldest_queued_age_seconds", LEVY_METRIC_GAUGE,
         "Age of the oldest queued job of each kind, in seconds since it was created."},
        {"levy_rule_generation", LEVY_METRIC_GAUGE,
         "Number of the rule and plugin generation serving requests."},
        {"levy_reloads_total", LEVY_METRIC_COUNTER,
         "Reloads that swapped a new generation in since levy started."},
        {"levy_reload_failures_total", LEVY_METRIC_COUNTER,
         "Reloads rejected since levy started (the previous generation kept serving)."},
        {"levy_lua_memory_bytes", LEVY_METRIC_GAUGE,
         "Lua heap of the serving generation, in bytes."},
        {"levy_sqlite_memory_bytes", LEVY_METRIC_GAUGE,
         "Memory SQLite holds in this process (page caches, schemas, statements), in bytes."},
        {"levy_rates_stale_tables", LEVY_METRIC_GAUGE,
         "Rate tables in use past their stale date (levy rates update)."},
        {"levy_rates_update_failed", LEVY_METRIC_GAUGE,
         "Sources that failed in the last levy rates update (their vintage in use stays)."},
        {"levy_store_writer_units_total", LEVY_METRIC_COUNTER,
         "Write units (store.durable: e.g. one webhook delivery) the writer thread committed."},
        {"levy_store_writer_groups_total", LEVY_METRIC_COUNTER,
         "Transactions (one WAL fsync each) the writer thread committed them in; units / "
         "groups is the mean group size."},
        {"levy_store_checkpoints_total", LEVY_METRIC_COUNTER,
         "WAL checkpoints (PASSIVE) the writer's checkpointer thread ran for commits that left "
         "1,000 WAL frames or more (SQLite)."},
        {"levy_webhook_fast_path_total", LEVY_METRIC_COUNTER,
         "Deliveries to a route with a fast path (the Rillet webhook) by the path that answered: "
         "c (verified, deduplicated and stored without entering Lua) or lua (everything the C "
         "path leaves to the plugin: refusals, a connection's first delivery, health to clear, "
         "PostgreSQL)."},
        {"levy_store_round_trips_total", LEVY_METRIC_COUNTER,
         "Requests the serving store connection waited for the database's answer to "
         "(PostgreSQL: network round trips; 0 on SQLite)."},
    };
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
        levy_metrics_describe(core[i].name, core[i].type, core[i].help, NULL);
    const char *build[] = {"version", LEVY_VERSION, "commit", levy_build_commit(), NULL};
    levy_metrics_set("levy_build_info", build, 1, NULL);
    levy_metrics_inc("levy_reloads_total", NULL, 0, NULL);
    levy_metrics_inc("levy_reload_failures_total", NULL, 0, NULL);
}

/* DATA_DIR/rates-update.json (written by levy rates update) when it is one well-formed
 * JSON value (strings closed, brackets balanced, nothing after it); NULL otherwise. */
static char *read_update_status(const levy_host *h)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.4000s/rates-update.json", h->cfg->data_dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = malloc(65537);
    size_t n = text ? fread(text, 1, 65536, f) : 0;
    int more = text && fgetc(f) != EOF;
    fclose(f);
    if (!text || more || n == 0) {
        free(text);
        return NULL;
    }
    text[n] = 0;
    int depth = 0, in_str = 0, ok = text[0] == '{', closed = 0;
    for (size_t i = 0; i < n && ok; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            else if ((unsigned char)c < 0x20)
                ok = 0;
        } else if (closed) {
            ok = c == '\n' || c == ' ' || c == '\r';
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            closed = --depth == 0;
            ok = depth >= 0;
        }
    }
    if (!ok || !closed || in_str) {
        free(text);
        return NULL;
    }
    return text;
}

/* Failed sources of the last levy rates update ("failed":N of rates-update.json), -1 when
 * there is none or it cannot be read. */
static int update_failed(const char *status)
{
    const char *p = status ? strstr(status, "\"failed\":") : NULL;
    return p ? atoi(p + 9) : -1;
}

static int32_t today_ymd(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static void refresh_gauges(levy_host *h)
{
    if (h->rates) {
        int stale = 0;
        int32_t today = today_ymd();
        for (int i = 0; i < levy_rates_ntables(h->rates); i++) {
            int32_t sa = levy_rates_table_stale_after(h->rates, i);
            stale += sa && today >= sa;
        }
        levy_metrics_set("levy_rates_stale_tables", NULL, stale, NULL);
        char *st = read_update_status(h);
        int failed = update_failed(st);
        free(st);
        if (failed >= 0)
            levy_metrics_set("levy_rates_update_failed", NULL, failed, NULL);
    }
    levy_metrics_set("levy_rule_generation", NULL, h->current ? (int64_t)h->current->id : 0, NULL);
    if (h->writer) { /* counters: add what the writer thread counted since the last render */
        static uint64_t seen_units, seen_groups;
        uint64_t units, groups;
        levy_writer_counts(h->writer, &units, &groups);
        levy_metrics_inc("levy_store_writer_units_total", NULL, (int64_t)(units - seen_units),
                         NULL);
        levy_metrics_inc("levy_store_writer_groups_total", NULL, (int64_t)(groups - seen_groups),
                         NULL);
        seen_units = units;
        seen_groups = groups;
        static uint64_t seen_ckpt;
        uint64_t ckpt = levy_writer_checkpoints(h->writer);
        levy_metrics_inc("levy_store_checkpoints_total", NULL, (int64_t)(ckpt - seen_ckpt), NULL);
        seen_ckpt = ckpt;
    }
    {
        static uint64_t seen_c, seen_lua;
        uint64_t c, lua;
        levy_fasthook_counts(&c, &lua);
        static const char *const lc[] = {"path", "c", NULL}, *const ll[] = {"path", "lua", NULL};
        levy_metrics_inc("levy_webhook_fast_path_total", lc, (int64_t)(c - seen_c), NULL);
        levy_metrics_inc("levy_webhook_fast_path_total", ll, (int64_t)(lua - seen_lua), NULL);
        seen_c = c;
        seen_lua = lua;
    }
    levy_metrics_set("levy_lua_memory_bytes", NULL,
                     h->current ? (int64_t)levy_vm_mem_used(h->current->vm) : 0, NULL);
    levy_metrics_set("levy_sqlite_memory_bytes", NULL, levy_store_sqlite_memory(), NULL);
    if (h->store) {
        static int64_t seen_trips;
        /* the loop's connection and the writer thread's (PostgreSQL) */
        int64_t trips = levy_store_round_trips(h->store) + levy_writer_round_trips(h->writer);
        if (trips < seen_trips) /* another store connection since (a reopen): counted afresh */
            seen_trips = 0;
        levy_metrics_inc("levy_store_round_trips_total", NULL, trips - seen_trips, NULL);
        seen_trips = trips;
        levy_metrics_clear("levy_jobs");
        levy_jobs_counts(h->store, set_jobs_gauge, NULL, NULL);
        levy_metrics_clear("levy_jobs_oldest_queued_age_seconds");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        levy_jobs_oldest_queued(h->store, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                                set_jobs_age, NULL, NULL);
    }
}

static void r_metrics(levy_host *h, struct evhttp_request *req)
{
    refresh_gauges(h);
    levy_http_count("/metrics", 200);
    char *text = NULL;
    size_t len = 0;
    levy_err e;
    if (levy_metrics_render(&text, &len, &e) != LEVY_OK) {
        levy_http_error(req, "/metrics", 500, "internal", "cannot render metrics");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, text, len);
    free(text);
    if (levy_metrics_render_process(&text, &len, NULL) == LEVY_OK) {
        evbuffer_add(b, text, len);
        free(text);
    }
    levy_http_reply(req, 200, "text/plain; version=0.0.4", b);
    evbuffer_free(b);
}

/* An operator's reload in flight: the request and who asked (levy_reload_ask, issue 20). */
typedef struct reload_ask {
    levy_host *h;
    struct evhttp_request *req;
    levy_reload_ask ask;
    struct evbuffer *body; /* the answer, made when the build is done */
    int status;
} reload_ask;

char *levy_host_rates_summary(levy_host *h)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return NULL;
    int nt = h->rates ? levy_rates_ntables(h->rates) : 0, shown = 0;
    for (int i = 0; i < nt; i++) {
        const levy_rates_table *t = levy_rates_table_at(h->rates, i);
        const char *src = t->source ? t->source : "?", *vin = t->vintage ? t->vintage : "?";
        int seen = 0; /* each source + vintage once (a source has a table per state) */
        for (int j = 0; j < i && !seen; j++) {
            const levy_rates_table *u = levy_rates_table_at(h->rates, j);
            seen = strcmp(u->source ? u->source : "?", src) == 0 &&
                   strcmp(u->vintage ? u->vintage : "?", vin) == 0;
        }
        if (!seen)
            evbuffer_add_printf(b, "%s%s %s", shown++ ? ", " : "", src, vin);
    }
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    if (s) {
        evbuffer_remove(b, s, n);
        s[n] = 0;
    }
    evbuffer_free(b);
    return s;
}

void levy_reload_ask_init(levy_host *h, levy_reload_ask *a, const char *kind, const char *actor)
{
    memset(a, 0, sizeof *a);
    snprintf(a->actor_kind, sizeof a->actor_kind, "%s", kind ? kind : "system");
    snprintf(a->actor, sizeof a->actor, "%s", actor ? actor : "levy");
    a->before = h->current ? (unsigned long long)h->current->id : 0;
    a->rates_before = levy_host_rates_summary(h);
}

/* The reload's audit row is durable (or failed, logged): the continuation runs. */
typedef struct audit_wait {
    levy_host *h;
    void (*then)(void *ud);
    void *ud;
} audit_wait;

static void reload_audit_done(levy_wunit *u)
{
    audit_wait *w = u->ud;
    w->h->audits_pending--;
    if (u->rc != LEVY_OK) {
        hlog(HLOG_ERROR, "reload: the audit row could not be written: %s", u->err.message);
        if (w->h->store)
            levy_store_note_failure(w->h->store, u->state, u->err.message);
    } else if (w->h->store)
        levy_store_note_ok(w->h->store);
    if (w->then)
        w->then(w->ud);
    free(w);
    levy_wunit_free(u);
}

void levy_reload_audit(levy_host *h, levy_reload_ask *a, const levy_reload_report *r,
                       void (*then)(void *ud), void *ud)
{
    char *rates_after = NULL;
    if (!r || !h->store || strcmp(r->status, "rejected") == 0 || r->generation == a->before)
        goto done;
    rates_after = levy_host_rates_summary(h);
    struct evbuffer *b = evbuffer_new();
    if (!b)
        goto done;
    evbuffer_add_printf(b, "{\"generation\":{\"after\":%llu,\"before\":%llu}",
                        (unsigned long long)r->generation, a->before);
    /* new rate tables came with it (levy rates update / import, then this reload) */
    if (a->rates_before && rates_after && strcmp(a->rates_before, rates_after) != 0) {
        evbuffer_add_printf(b, ",\"rates\":{\"after\":");
        levy_http_json_str(b, rates_after);
        evbuffer_add_printf(b, ",\"before\":");
        levy_http_json_str(b, a->rates_before);
        evbuffer_add_printf(b, "}");
    }
    evbuffer_add_printf(b, "}");
    evbuffer_add(b, "", 1);
    const char *ch = (const char *)evbuffer_pullup(b, -1);
    const char *kind = a->actor_kind[0] ? a->actor_kind : "system";
    const char *actor = a->actor[0] ? a->actor : "levy";
    /* Through the writer thread when one runs (issue 21, B4): this row's COMMIT on the loop's
     * connection waited for an fdatasync on the loop at every reload (0.3-40 ms on a busy
     * disk, every request stalled meanwhile; bench/README.md h-reload23). The continuation
     * (the operator's answer) runs once the row is durable, as before. */
    levy_wunit *u = ch && h->writer ? levy_audit_unit(kind, actor, "rules.reloaded", "generation",
                                                      NULL, "Rules and plugins", ch, NULL)
                                    : NULL;
    audit_wait *w = u ? calloc(1, sizeof *w) : NULL;
    if (w) {
        levy_err se;
        w->h = h;
        w->then = then;
        w->ud = ud;
        u->done = reload_audit_done;
        u->ud = w;
        if (levy_writer_submit(h->writer, u, &se) == LEVY_OK) {
            h->audits_pending++;
            evbuffer_free(b);
            free(rates_after);
            free(a->rates_before);
            a->rates_before = NULL;
            return;
        }
        free(w);
    }
    levy_wunit_free(u); /* no writer (or it is stopping): on the loop's connection */
    levy_err e;
    levy_err_clear(&e);
    if (!ch || levy_audit_insert(h->store, kind, actor, "rules.reloaded", "generation", NULL,
                                 "Rules and plugins", ch, NULL, &e) != LEVY_OK)
        hlog(HLOG_ERROR, "reload: the audit row could not be written: %s",
             ch ? e.message : "out of memory");
    evbuffer_free(b);
done:
    free(rates_after);
    free(a->rates_before);
    a->rates_before = NULL;
    if (then)
        then(ud);
}

static void audited_reload_done(void *ud, const levy_reload_report *r)
{
    reload_ask *a = ud;
    levy_reload_audit(a->h, &a->ask, r, free, a);
}

void levy_host_reload_audited(levy_host *h, const char *kind, const char *actor)
{
    reload_ask *a = calloc(1, sizeof *a);
    if (a) {
        a->h = h;
        levy_reload_ask_init(h, &a->ask, kind, actor);
    }
    levy_host_reload_async(h, a ? audited_reload_done : NULL, a);
}

/* The operator's answer, once the reload's audit row is durable (levy_reload_audit). */
static void reload_send(void *ud)
{
    reload_ask *a = ud;
    levy_http_reply(a->req, a->status, "application/json", a->body);
    evbuffer_free(a->body);
    levy_http_count("/admin/reload", a->status);
    free(a);
}

static void reload_reply(void *ud, const levy_reload_report *r)
{
    reload_ask *a = ud;
    struct evhttp_request *req = a->req;
    if (!r) { /* shutting down before the build finished */
        levy_reload_audit(a->h, &a->ask, r, NULL, NULL);
        free(a);
        levy_http_error(req, "/admin/reload", 503, "unavailable", "server is shutting down");
        return;
    }
    /* the report is valid during this call only: the answer is made now, sent after the row */
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "{\"status\":\"%s\",\"generation\":%llu", r->status,
                        (unsigned long long)r->generation);
    int rejected = strcmp(r->status, "rejected") == 0;
    if (rejected) {
        evbuffer_add_printf(b, ",\"errors\":[");
        for (int i = 0; i < r->errors.n; i++) {
            evbuffer_add_printf(b, "%s{\"file\":", i ? "," : "");
            levy_http_json_str(b, r->errors.v[i].source);
            evbuffer_add_printf(b, ",\"line\":%d,\"message\":", r->errors.v[i].line);
            levy_http_json_str(b, r->errors.v[i].message);
            evbuffer_add_printf(b, "}");
        }
        evbuffer_add_printf(b, "]");
    }
    evbuffer_add_printf(b, "}");
    a->body = b;
    a->status = rejected ? 422 : 200;
    levy_reload_audit(a->h, &a->ask, r, reload_send, a);
}

/* POST /admin/reload: answered when the build (on a thread) is done. */
static void r_reload(levy_host *h, struct evhttp_request *req)
{
    if (!h->reload_async) {
        levy_http_error(req, "/admin/reload", 503, "unavailable", "reload is not available");
        return;
    }
    reload_ask *a = calloc(1, sizeof *a);
    if (!a) {
        levy_http_error(req, "/admin/reload", 503, "unavailable", "out of memory");
        return;
    }
    a->h = h;
    a->req = req;
    size_t tn = 0;
    const char *tok = bearer_of(req, &tn);
    char kind[32] = "", actor[LEVY_ACTOR_MAX] = "";
    levy_auth_actor(h->cfg, h->store, tok, tn, kind, sizeof kind, actor, sizeof actor);
    levy_reload_ask_init(h, &a->ask, kind[0] ? kind : NULL, actor[0] ? actor : NULL);
    h->reload_async(h, reload_reply, a);
}

static void iso_ms(int64_t ms, char out[40])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Jobs that exhausted their retries (state dead) in the last LEVY_DEAD_JOBS_DAYS days, for
 * GET /admin/generation `dead_jobs`: how many, by kind, and the latest few with their last
 * error (what went wrong); Home lists them under Needs attention, the Rules page shows them. */
#define LEVY_DEAD_JOBS_DAYS 7
#define LEVY_DEAD_JOBS_LIST 10
static void dead_jobs_json(levy_host *h, struct evbuffer *b, int64_t now)
{
    evbuffer_add_printf(b, ",\"dead_jobs\":");
    if (!h->store) {
        evbuffer_add_printf(b, "null");
        return;
    }
    levy_err e;
    levy_err_clear(&e);
    int64_t since = now - (int64_t)LEVY_DEAD_JOBS_DAYS * 86400000;
    levy_stmt *s = levy_store_prepare_cached(
        h->store,
        "SELECT id, kind, attempts, updated_at, last_error FROM jobs WHERE state = 'dead' AND "
        "updated_at >= ?1 ORDER BY updated_at DESC, id",
        &e);
    if (!s) {
        evbuffer_add_printf(b, "{\"error\":");
        levy_http_json_str(b, e.message);
        evbuffer_add_printf(b, "}");
        return;
    }
    levy_stmt_bind_int64(s, 1, since);
    int n = 0, rc;
    evbuffer_add_printf(b, "{\"days\":%d,\"latest\":[", LEVY_DEAD_JOBS_DAYS);
    while ((rc = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
        if (n < LEVY_DEAD_JOBS_LIST) {
            const char *id = levy_stmt_column_text(s, 0), *kind = levy_stmt_column_text(s, 1);
            const char *why = levy_stmt_column_text(s, 4);
            char at[40];
            iso_ms(levy_stmt_column_int64(s, 3), at);
            evbuffer_add_printf(b, "%s{\"id\":", n ? "," : "");
            levy_http_json_str(b, id ? id : "");
            evbuffer_add_printf(b, ",\"kind\":");
            levy_http_json_str(b, kind ? kind : "");
            evbuffer_add_printf(b, ",\"attempts\":%lld,\"died_at\":\"%s\",\"last_error\":",
                                (long long)levy_stmt_column_int64(s, 2), at);
            if (why)
                levy_http_json_str(b, why);
            else
                evbuffer_add_printf(b, "null");
            evbuffer_add_printf(b, "}");
        }
        n++;
    }
    levy_store_release(h->store, s);
    evbuffer_add_printf(b, "],\"total\":%d", n);
    if (rc != LEVY_OK) {
        evbuffer_add_printf(b, ",\"error\":");
        levy_http_json_str(b, e.message);
    }
    evbuffer_add_printf(b, "}");
}

/* The audit row of an operator's retry (issue 20), in the retry's transaction: who (the
 * bearer's actor, never the token), what. */
static int audit_retry(levy_host *h, struct evhttp_request *req, const char *action,
                       const char *object_kind, const char *object_id, const char *label,
                       const char *changes, levy_err *e)
{
    char kind[32], actor[LEVY_ACTOR_MAX];
    size_t tn = 0;
    const char *tok = bearer_of(req, &tn);
    levy_auth_actor(h->cfg, h->store, tok, tn, kind, sizeof kind, actor, sizeof actor);
    return levy_audit_insert(h->store, kind[0] ? kind : "system", actor[0] ? actor : "levy", action,
                             object_kind, object_id, label, changes, NULL, e);
}

/* {"state":{"before":"dead","after":AFTER}} or {"retried":{"before":null,"after":N}} */
static char *retry_changes(const char *after_state, int n)
{
    levy_buf b = {0};
    if (after_state) {
        levy_buf_puts(&b, "{\"state\":{\"before\":\"dead\",\"after\":");
        levy_json_escape(&b, after_state, strlen(after_state));
        levy_buf_puts(&b, "}}");
    } else {
        char num[64];
        snprintf(num, sizeof num, "{\"retried\":{\"before\":null,\"after\":%d}}", n);
        levy_buf_puts(&b, num);
    }
    if (b.oom) {
        levy_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* POST /admin/jobs/{id}/retry: a job that gave up (state dead) queued again now with fresh
 * attempts (jobs.h levy_jobs_revive). 200 {"id","queued":<the job carrying the work>,
 * "superseded":bool}; 404 no such job; 409 not dead. Logged (INFO) as an operator's action. */
static void r_job_retry(levy_host *h, struct evhttp_request *req, const char *id)
{
    const char *route = "/admin/jobs/{id}/retry";
    if (!h->store) {
        levy_http_error(req, route, 503, "unavailable", "no store");
        return;
    }
    levy_err e;
    levy_err_clear(&e);
    char queued[LEVY_JOB_ID_MAX];
    /* the retry and its audit row commit together (levy_jobs_revive's own level nests) */
    int row_refused = 0;
    int rc = levy_store_begin(h->store, &e);
    if (rc == LEVY_OK)
        rc = levy_jobs_revive(h->store, id, queued, &e);
    if (rc == LEVY_OK) {
        char after[LEVY_JOB_ID_MAX + 40], label[LEVY_JOB_ID_MAX + 8];
        if (strcmp(queued, id) != 0)
            snprintf(after, sizeof after, "done (superseded by %s)", queued);
        else
            snprintf(after, sizeof after, "queued");
        snprintf(label, sizeof label, "Job %s", id);
        char *ch = retry_changes(after, 0);
        rc = ch ? audit_retry(h, req, "jobs.retried", "job", id, label, ch, &e)
                : levy_err_set(&e, LEVY_EINTERNAL, "oom", "out of memory");
        free(ch);
        if (rc != LEVY_OK) { /* the row refused (a constraint too): the store's fault, not a 409 */
            rc = LEVY_EIO;
            row_refused = 1;
        }
    }
    if (rc == LEVY_OK)
        rc = levy_store_commit(h->store, &e);
    else
        levy_store_rollback(h->store, NULL);
    if (rc == LEVY_ENOTFOUND) {
        levy_http_error(req, route, 404, "not_found", e.message);
        return;
    }
    if (rc == LEVY_ECONFLICT) {
        levy_http_error(req, route, 409, "conflict", e.message);
        return;
    }
    if (rc != LEVY_OK) {
        hlog(HLOG_ERROR, "job retry %.40s: %s", id, e.message);
        levy_http_error(req, route, 503, "unavailable",
                        row_refused ? LEVY_AUDIT_REFUSED : "the store could not be written");
        return;
    }
    int sup = strcmp(queued, id) != 0;
    if (sup)
        hlog(HLOG_INFO, "job %.40s retried by an operator: %s already queued carries its work", id,
             queued);
    else
        hlog(HLOG_INFO, "job %.40s retried by an operator: queued again with fresh attempts", id);
    levy_jobs_notify();
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "{\"id\":");
    levy_http_json_str(b, id);
    evbuffer_add_printf(b, ",\"queued\":");
    levy_http_json_str(b, queued);
    evbuffer_add_printf(b, ",\"superseded\":%s}", sup ? "true" : "false");
    levy_http_reply(req, 200, "application/json", b);
    evbuffer_free(b);
    levy_http_count(route, 200);
}

/* POST /admin/jobs/retry[?kind=K]: every job that gave up in the last LEVY_DEAD_JOBS_DAYS days
 * (the ones GET /admin/generation counts), of kind K if given, retried as above in one
 * transaction. 200 {"retried":n,"days":7,"kind":K|null}; 422 for another query parameter or
 * an empty / over-long kind. */
static void r_jobs_retry_all(levy_host *h, struct evhttp_request *req, const char *query)
{
    const char *route = "/admin/jobs/retry";
    if (!h->store) {
        levy_http_error(req, route, 503, "unavailable", "no store");
        return;
    }
    char *kind = NULL;
    for (const char *p = query ? query : ""; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            if (n < 5 || strncmp(p, "kind=", 5) != 0) {
                free(kind);
                levy_http_error(req, route, 422, "invalid_parameter",
                                "unknown query parameter: only kind is taken");
                return;
            }
            char *raw = strndup(p + 5, n - 5);
            free(kind);
            kind = raw ? evhttp_uridecode(raw, 1, NULL) : NULL;
            free(raw);
            if (!kind || !kind[0] || strlen(kind) >= LEVY_JOB_KIND_MAX) {
                free(kind);
                levy_http_error(req, route, 422, "invalid_parameter",
                                "kind must be a job kind (1 to 127 bytes)");
                return;
            }
        }
        p += n;
        if (*p == '&')
            p++;
    }
    levy_err e;
    levy_err_clear(&e);
    int n = 0, row_refused = 0;
    int64_t since = levy_clock_now_ms() - (int64_t)LEVY_DEAD_JOBS_DAYS * 86400000;
    int rc = levy_store_begin(h->store, &e);
    if (rc == LEVY_OK)
        rc = levy_jobs_revive_all(h->store, kind, since, &n, &e);
    if (rc == LEVY_OK && n > 0) {
        char label[LEVY_JOB_KIND_MAX + 48];
        snprintf(label, sizeof label, "Jobs that gave up%s%s", kind ? " of kind " : "",
                 kind ? kind : "");
        char *ch = retry_changes(NULL, n);
        rc = ch ? audit_retry(h, req, "jobs.retried_all", "jobs", kind, label, ch, &e)
                : levy_err_set(&e, LEVY_EINTERNAL, "oom", "out of memory");
        free(ch);
        if (rc != LEVY_OK) {
            rc = LEVY_EIO;
            row_refused = 1;
        }
    }
    if (rc == LEVY_OK)
        rc = levy_store_commit(h->store, &e);
    else
        levy_store_rollback(h->store, NULL);
    if (rc != LEVY_OK) {
        hlog(HLOG_ERROR, "jobs retry: %s", e.message);
        free(kind);
        levy_http_error(req, route, rc == LEVY_ECONFLICT ? 409 : 503,
                        rc == LEVY_ECONFLICT ? "conflict" : "unavailable",
                        rc == LEVY_ECONFLICT ? e.message
                        : row_refused        ? LEVY_AUDIT_REFUSED
                                             : "the store could not be written");
        return;
    }
    hlog(HLOG_INFO, "%d job%s that gave up retried by an operator%s%s", n, n == 1 ? "" : "s",
         kind ? ", kind " : "", kind ? kind : "");
    if (n > 0)
        levy_jobs_notify();
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "{\"retried\":%d,\"days\":%d,\"kind\":", n, LEVY_DEAD_JOBS_DAYS);
    if (kind)
        levy_http_json_str(b, kind);
    else
        evbuffer_add_printf(b, "null");
    evbuffer_add_printf(b, "}");
    free(kind);
    levy_http_reply(req, 200, "application/json", b);
    evbuffer_free(b);
    levy_http_count(route, 200);
}

/* The retry paths: 1 for /admin/jobs/retry, 2 for /admin/jobs/{id}/retry (id copied out),
 * 0 for any other path. */
static int job_retry_path(const char *path, char id[LEVY_JOB_ID_MAX])
{
    static const char pre[] = "/admin/jobs/", suf[] = "/retry";
    if (strncmp(path, pre, sizeof pre - 1) != 0)
        return 0;
    const char *rest = path + sizeof pre - 1;
    if (strcmp(rest, "retry") == 0)
        return 1;
    size_t n = strlen(rest), sl = sizeof suf - 1;
    if (n <= sl || strcmp(rest + n - sl, suf) != 0)
        return 0;
    n -= sl;
    if (n >= LEVY_JOB_ID_MAX || memchr(rest, '/', n))
        return 0;
    memcpy(id, rest, n);
    id[n] = '\0';
    return 2;
}

/* The last reload's outcome in this process (host.c note_reload): null before any. */
static void last_reload_json(levy_host *h, struct evbuffer *b)
{
    evbuffer_add_printf(b, ",\"last_reload\":");
    if (!h->reload_status[0]) {
        evbuffer_add_printf(b, "null");
        return;
    }
    char at[40];
    iso_ms(h->reload_at_ms, at);
    evbuffer_add_printf(b, "{\"status\":\"%s\",\"at\":\"%s\",\"errors\":%d", h->reload_status, at,
                        h->reload_nerrors);
    if (h->reload_nerrors > 0) {
        evbuffer_add_printf(b, ",\"file\":");
        levy_http_json_str(b, h->reload_file);
        evbuffer_add_printf(b, ",\"line\":%d,\"message\":", h->reload_line);
        levy_http_json_str(b, h->reload_message);
    }
    evbuffer_add_printf(b, "}");
}

/* GET /admin/generation: this replica's generation (its number here, the content hash every
 * replica loading the same files and rate vintages shares, the store-issued order seq, when
 * it was loaded, the rate vintages, the files) and every live replica's, from their
 * heartbeat rows (host/genreg.h): `mixed` is true while they serve different contents. */
static void r_generation(levy_host *h, struct evhttp_request *req)
{
    levy_gen *g = h->current;
    struct evbuffer *b = evbuffer_new();
    char iso[40] = "";
    iso_ms(g->loaded_at_ms, iso);
    evbuffer_add_printf(b, "{\"generation\":%llu,\"replica\":", (unsigned long long)g->id);
    levy_http_json_str(b, h->cfg->replica_id);
    evbuffer_add_printf(b, ",\"hash\":\"%s\",\"seq\":", g->content_hash);
    if (g->seq > 0)
        evbuffer_add_printf(b, "%lld", (long long)g->seq);
    else
        evbuffer_add_printf(b, "null");
    evbuffer_add_printf(b,
                        ",\"loaded_at\":\"%s\",\"loaded_at_ms\":%lld,\"tree_sha256\":\"%s\","
                        "\"rules\":%d,\"plugins\":%d,\"rates\":[",
                        iso, (long long)g->loaded_at_ms, g->tree_hash, g->nrules, g->nplugins);
    int nt = h->rates ? levy_rates_ntables(h->rates) : 0;
    for (int i = 0; i < nt; i++) {
        const levy_rates_table *t = levy_rates_table_at(h->rates, i);
        evbuffer_add_printf(b, "%s{\"source\":", i ? "," : "");
        levy_http_json_str(b, t->source ? t->source : "");
        evbuffer_add_printf(b, ",\"vintage\":");
        levy_http_json_str(b, t->vintage ? t->vintage : "");
        evbuffer_add_printf(b, ",\"rows\":%ld}", t->rows);
    }
    evbuffer_add_printf(b, "],\"files\":[");
    for (int i = 0; i < g->nfiles; i++) {
        evbuffer_add_printf(b, "%s{\"path\":", i ? "," : "");
        levy_http_json_str(b, g->files[i].path ? g->files[i].path : "");
        evbuffer_add_printf(b, ",\"sha256\":\"%s\",\"kind\":\"%s\"}", g->files[i].sha256,
                            g->files[i].is_rule ? "rule" : "plugin");
    }
    evbuffer_add_printf(b, "]");
    /* the replicas: what each serves, from the store (this one answers for itself when the
     * store cannot: replicas_error says why the list is short) */
    levy_genreg_replica *reps = NULL;
    int nreps = 0;
    levy_err e;
    levy_err_clear(&e);
    int64_t now = levy_clock_now_ms();
    int lrc = h->store && strcmp(h->cfg->role, "serve") == 0
                  ? levy_genreg_live(h->store, now, &reps, &nreps, &e)
                  : LEVY_OK;
    int self_listed = 0, mixed = 0;
    evbuffer_add_printf(b, ",\"replicas\":[");
    for (int i = 0; i < nreps; i++) {
        const levy_genreg_replica *r = &reps[i];
        int self = strcmp(r->id, h->cfg->replica_id) == 0;
        self_listed |= self;
        /* this replica's own row may lag its reload by a beat: it answers what it serves */
        const char *hash = self ? g->content_hash : r->hash;
        int64_t seq = self ? g->seq : r->seq;
        if (strcmp(hash, g->content_hash) != 0)
            mixed = 1;
        char la[40], ls[40];
        iso_ms(self ? g->loaded_at_ms : r->loaded_at_ms, la);
        iso_ms(r->last_seen_ms, ls);
        evbuffer_add_printf(b, "%s{\"replica\":", i ? "," : "");
        levy_http_json_str(b, r->id);
        evbuffer_add_printf(
            b, ",\"self\":%s,\"generation\":%llu,\"hash\":\"%s\",\"seq\":", self ? "true" : "false",
            (unsigned long long)(self ? g->id : r->generation), hash);
        if (seq > 0)
            evbuffer_add_printf(b, "%lld", (long long)seq);
        else
            evbuffer_add_printf(b, "null");
        evbuffer_add_printf(b, ",\"loaded_at\":\"%s\",\"last_seen\":\"%s\",\"version\":", la, ls);
        levy_http_json_str(b, r->version);
        evbuffer_add_printf(b, "}");
    }
    if (!self_listed) {
        evbuffer_add_printf(b, "%s{\"replica\":", nreps ? "," : "");
        levy_http_json_str(b, h->cfg->replica_id);
        evbuffer_add_printf(b, ",\"self\":true,\"generation\":%llu,\"hash\":\"%s\",\"seq\":",
                            (unsigned long long)g->id, g->content_hash);
        if (g->seq > 0)
            evbuffer_add_printf(b, "%lld", (long long)g->seq);
        else
            evbuffer_add_printf(b, "null");
        evbuffer_add_printf(b, ",\"loaded_at\":\"%s\",\"last_seen\":null,\"version\":\"%s\"}", iso,
                            LEVY_VERSION);
    }
    evbuffer_add_printf(b, "],\"mixed\":%s", mixed ? "true" : "false");
    /* another live process was found under this replica's id: this one took a new id */
    evbuffer_add_printf(b, ",\"replica_clash\":");
    if (h->clash_from[0]) {
        char at[40];
        iso_ms(h->clash_at_ms, at);
        evbuffer_add_printf(b, "{\"replica\":");
        levy_http_json_str(b, h->clash_from);
        evbuffer_add_printf(b, ",\"renamed_to\":");
        levy_http_json_str(b, h->cfg->replica_id);
        evbuffer_add_printf(b, ",\"detected_at\":\"%s\"}", at);
    } else {
        evbuffer_add_printf(b, "null");
    }
    last_reload_json(h, b);
    dead_jobs_json(h, b, now);
    if (lrc != LEVY_OK) {
        evbuffer_add_printf(b, ",\"replicas_error\":");
        levy_http_json_str(b, e.message);
    }
    evbuffer_add_printf(b, "}");
    free(reps);
    levy_http_reply(req, 200, "application/json", b);
    evbuffer_free(b);
    levy_http_count("/admin/generation", 200);
}

/* GET /admin/rates: the rate tables in use (source, vintage, file, rows, the regions of its
 * ZIP rows, when it goes stale) and the outcome of the last levy rates update. A table's
 * source, vintage, path and rows are levy.tax.rates_info's members, written by its writer
 * (core/tax/info.c) in this route's order; the route adds where the table came from, its
 * regions and staleness. */
typedef struct rates_doc {
    const levy_host *h;
    int32_t today;
} rates_doc;

static int write_rates_tables(levy_tax_out *o, void *arg)
{
    static const char *const shared[] = {"source", "vintage", "path", "rows"};
    const rates_doc *d = arg;
    const levy_rates *rates = d->h->rates;
    const char *data_dir = d->h->cfg->data_dir;
    int bad = 0, n = rates ? levy_rates_ntables(rates) : 0;
    o->open(o, 1, n);
    for (int i = 0; i < n; i++) {
        o->open(o, 0, 8);
        bad |= levy_tax_rates_table_members_write(o, rates, i, shared, 4, 1);
        const levy_rates_table *t = levy_rates_table_at(rates, i);
        o->key(o, "imported", 0);
        o->boolean(o, data_dir[0] && strncmp(t->path, data_dir, strlen(data_dir)) == 0);
        o->key(o, "regions", 0);
        char regs[64 * 6 + 1];
        levy_rates_table_regions(rates, i, regs, sizeof regs);
        o->open(o, 1, 0);
        for (char *p = regs, *e; *p; p = *e ? e + 1 : e) {
            e = strchr(p, ',');
            if (!e)
                e = p + strlen(p);
            bad |= o->str(o, p, (size_t)(e - p));
        }
        o->close(o, 1);
        int32_t sa = levy_rates_table_stale_after(rates, i);
        char date[16];
        o->key(o, "stale_after", 0);
        if (sa) {
            snprintf(date, sizeof date, "%04d-%02d-%02d", sa / 10000, sa / 100 % 100, sa % 100);
            bad |= o->str(o, date, LEVY_TAX_CSTR);
        } else {
            o->null(o);
        }
        o->key(o, "stale", 0);
        o->boolean(o, sa && d->today >= sa);
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad ? -1 : 0;
}

static void r_rates(levy_host *h, struct evhttp_request *req)
{
    rates_doc d = {h, today_ymd()};
    levy_buf tables = {0};
    if (levy_tax_json_write(&tables, write_rates_tables, &d) != 0) {
        levy_buf_free(&tables);
        levy_http_error(req, "/admin/rates", 500, "internal", "cannot write the rate tables");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    char *st = read_update_status(h);
    evbuffer_add_printf(b, "{\"tables\":");
    evbuffer_add(b, tables.data, tables.len);
    evbuffer_add_printf(b, ",\"update\":%s}", st ? st : "null");
    free(st);
    levy_buf_free(&tables);
    levy_http_reply(req, 200, "application/json", b);
    evbuffer_free(b);
    levy_http_count("/admin/rates", 200);
}

/* GET /openapi.yaml: docs/openapi.yaml from the installed share dir (<exe>/../share/levy/docs)
 * or the source tree, the same lookup as plugins/ and scripts/. No auth: it describes the
 * API, it holds no data. */
static void r_openapi(levy_host *h, struct evhttp_request *req)
{
    (void)h;
    char dir[1024], path[1100];
    levy_config_default_dir("docs", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/openapi.yaml", dir);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        levy_http_error(req, "/openapi.yaml", 404, "not_found", "openapi.yaml is not installed");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (st.st_size > 0)
        evbuffer_add_file(b, fd, 0, st.st_size); /* takes fd */
    else
        close(fd);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-cache");
    levy_http_reply(req, 200, "application/yaml; charset=utf-8", b);
    evbuffer_free(b);
    levy_http_count("/openapi.yaml", 200);
}

/* ---- named API tokens (issue 20; host/tokens.c) --------------------------------------- */

/* The requester's audit actor (never the token itself); *by: the named token asking (itself or
 * through a UI session), else 0; *role: its LEVY_ROLE_* (-1: no one). */
static void actor_of(levy_host *h, struct evhttp_request *req, char kind[32],
                     char actor[LEVY_ACTOR_MAX], int64_t *by, int *role)
{
    size_t tn = 0;
    const char *tok = bearer_of(req, &tn);
    levy_auth_whois who;
    int ok = tok && levy_auth_who(h->cfg, h->store, tok, tn, &who);
    if (!ok)
        memset(&who, 0, sizeof who);
    levy_auth_who_actor(&who, kind, 32, actor, LEVY_ACTOR_MAX);
    *by = ok ? who.token_id : 0;
    *role = ok ? who.role : -1;
    if (!kind[0]) {
        snprintf(kind, 32, "%s", "system");
        snprintf(actor, LEVY_ACTOR_MAX, "%s", "levy");
    }
}

/* The access.refused row of a refusal (own) or of a summary of n held back (issue 20 #1):
 * object "route", id the method and route, label the action in words (a summary's says how
 * many and when), changes {"role":{after}} and, for a summary, {"refusals":{after: n}}. */
static void audit_refusal(levy_host *h, const char *kind, const char *actor, const char *obj,
                          const char *what, const char *rn, const levy_refusal_summary *sum)
{
    if (!h->store)
        return;
    levy_buf ch = {0};
    char label[320];
    levy_buf_puts(&ch, "{\"role\":{\"before\":null,\"after\":");
    levy_json_escape(&ch, rn, strlen(rn));
    levy_buf_puts(&ch, "}");
    if (sum) {
        char a[32], b[32];
        levy_time_iso(sum->first_ms, a, sizeof a);
        levy_time_iso(sum->last_ms, b, sizeof b);
        char num[64];
        snprintf(num, sizeof num, ",\"refusals\":{\"before\":null,\"after\":%lld}",
                 (long long)sum->count);
        levy_buf_puts(&ch, num);
        snprintf(label, sizeof label, "%s, %lld more times from %s to %s", what,
                 (long long)sum->count, a, b);
    } else {
        snprintf(label, sizeof label, "%s", what);
    }
    levy_buf_puts(&ch, "}");
    levy_err e;
    levy_err_clear(&e);
    if (ch.oom || levy_audit_insert(h->store, kind, actor, "access.refused", "route", obj, label,
                                    ch.data, NULL, &e) != LEVY_OK)
        hlog(HLOG_ERROR, "audit of a refused %s by %s: %s", obj, actor,
             ch.oom ? "out of memory" : e.message);
    levy_buf_free(&ch);
}

/* Writes the summaries of the refusals held back whose minute has ended (every one when
 * all: levy stops), then re-arms the timer for the next one. */
static void refusals_flush(levy_host *h, int all)
{
    levy_refusal_summary due[8];
    size_t n;
    if (!h->refusals)
        return;
    do {
        n = levy_refusals_due(h->refusals, all ? -1 : levy_clock_now_ms(), due, 8);
        for (size_t i = 0; i < n; i++)
            audit_refusal(h, due[i].kind, due[i].actor, due[i].route, due[i].what, due[i].role,
                          &due[i]);
    } while (n == 8);
    int64_t next = levy_refusals_next_due(h->refusals);
    if (all || next < 0 || !h->refusals_ev)
        return;
    int64_t wait = next - levy_clock_now_ms();
    struct timeval tv = {.tv_sec = wait > 0 ? wait / 1000 : 0,
                         .tv_usec = wait > 0 ? (wait % 1000) * 1000 : 0};
    evtimer_add(h->refusals_ev, &tv);
}

static void refusals_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    refusals_flush(arg, 0);
}

void levy_host_refusals_stop(levy_host *h)
{
    refusals_flush(h, 1);
    if (h->refusals_ev)
        event_free(h->refusals_ev);
    h->refusals_ev = NULL;
    free(h->refusals);
    h->refusals = NULL;
}

/* What only an admin may do (tokens23, admin23): create and revoke named tokens, create or
 * rotate the Sphere key, set or re-enter a Rillet connection's API key or webhook signing token
 * (the Lua routes with auth = "admin"). An admin is the API token, a UI session opened with it or
 * a sign-in code, an admin token or its sessions. Anyone else is answered 403 admin_required and
 * the refusal is audited (access.refused: who, which route; never a credential), so what a
 * leaked full token could do ends with its revocation, and its attempts are on the Activity
 * page. A script hammering the route does not fill the log (issue 20 #1): per (actor, route),
 * the first LEVY_REFUSALS_SHOWN refusals of a minute get a row each, the later ones one summary
 * row with their count when the minute ends (or levy stops; host/refusals.h), and every one is
 * counted in levy_access_refused_total{route}. what: the action in words for the message
 * ("create or revoke tokens"). 1 refused. */
static int admin_refused(levy_host *h, struct evhttp_request *req, const char *method,
                         const char *route, const char *what)
{
    char kind[32], actor[LEVY_ACTOR_MAX];
    int64_t by = 0;
    int role = -1;
    actor_of(h, req, kind, actor, &by, &role);
    if (role == LEVY_ROLE_ADMIN)
        return 0;
    char obj[160];
    snprintf(obj, sizeof obj, "%s %s", method, route);
    const char *rn = role >= 0 ? levy_role_name(role) : "none";
    const char *labels[] = {"route", obj, NULL};
    levy_metrics_inc("levy_access_refused_total", labels, 1, NULL);
    int own = 1;
    if (!h->refusals)
        h->refusals = calloc(1, sizeof *h->refusals);
    if (h->refusals) {
        if (!h->refusals_ev && h->base)
            h->refusals_ev = evtimer_new(h->base, refusals_timer_cb, h);
        refusals_flush(h, 0); /* an ended minute's summary before this refusal's row */
        own = levy_refusals_note(h->refusals, levy_clock_now_ms(), kind, actor, obj, what, rn);
        if (!own && h->refusals_ev && !evtimer_pending(h->refusals_ev, NULL))
            refusals_flush(h, 0); /* arms the timer for this minute's end */
    }
    if (own)
        audit_refusal(h, kind, actor, obj, what, rn, NULL);
    hlog(HLOG_WARN, "%s %s refused to %s (%s): admin only%s", method, route, actor, rn,
         own ? "" : " (counted; audited in the minute's summary)");
    char msg[320];
    snprintf(msg, sizeof msg,
             "only an admin may %s: the API token, a browser session opened with it or a sign-in "
             "code, or a token created as admin (role \"admin\")",
             what);
    levy_http_error(req, route, 403, "admin_required", msg);
    return 1;
}

/* 200 with the JSON in *b (freed), Cache-Control: no-store: the answers about who a bearer
 * is and about tokens. */
static void reply_nostore(struct evhttp_request *req, const char *route, levy_buf *b)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, b->data, b->len);
    levy_buf_free(b);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    levy_http_reply(req, 200, "application/json", out);
    evbuffer_free(out);
    levy_http_count(route, 200);
}

/* GET /v1/tokens and GET /v1/audit/people: 200 with what list() writes, 503 when the store
 * cannot be read. */
static void reply_store_list(levy_host *h, struct evhttp_request *req, const char *route,
                             int (*list)(levy_store *, levy_buf *, levy_err *))
{
    if (!h->store) {
        levy_http_error(req, route, 503, "unavailable", "no store");
        return;
    }
    levy_err e;
    levy_err_clear(&e);
    levy_buf b = {0};
    if (list(h->store, &b, &e) != LEVY_OK) {
        levy_buf_free(&b);
        levy_http_error(req, route, 503, "unavailable", "the store could not be read");
        return;
    }
    reply_nostore(req, route, &b);
}

/* GET /v1/me → 200 {kind, actor, person, role, read_only, may: {change, export, calculate,
 * secrets, manage_tokens}}: who this request is (admin23), for the UI to show only what its role may
 * do. kind "api_token" | "named_token" | "ui_session"; actor the audit log's label ("Alice's
 * token", "UI session of Alice 1a2b3c4d", "API token"); person the named token's name or null.
 * Never a token, its hash, or anything a credential can be made from. */
static void r_me(levy_host *h, struct evhttp_request *req)
{
    const char *route = "/v1/me";
    size_t tn = 0;
    const char *tok = bearer_of(req, &tn);
    levy_auth_whois who;
    if (!tok || !levy_auth_who(h->cfg, h->store, tok, tn, &who)) {
        levy_http_error(req, route, 401, "unauthorized", "missing or wrong API token");
        return;
    }
    char kind[32], actor[LEVY_ACTOR_MAX];
    levy_auth_who_actor(&who, kind, sizeof kind, actor, sizeof actor);
    int admin = who.role == LEVY_ROLE_ADMIN;
    levy_buf b = {0};
    levy_buf_puts(&b, "{\"kind\":");
    levy_json_escape(&b, kind, strlen(kind));
    levy_buf_puts(&b, ",\"actor\":");
    levy_json_escape(&b, actor, strlen(actor));
    levy_buf_puts(&b, ",\"person\":");
    if (who.token_id)
        levy_json_escape(&b, who.name, strlen(who.name));
    else
        levy_buf_puts(&b, "null");
    levy_buf_puts(&b, ",\"role\":");
    const char *rn = levy_role_name(who.role);
    levy_json_escape(&b, rn, strlen(rn));
    levy_buf_puts(&b, who.read_only ? ",\"read_only\":true" : ",\"read_only\":false");
    levy_buf_puts(&b, who.read_only ? ",\"may\":{\"change\":false" : ",\"may\":{\"change\":true");
    /* every role may export the documents and calculate (read_only_ok routes, roexport24) */
    levy_buf_puts(&b, ",\"export\":true,\"calculate\":true");
    levy_buf_puts(&b, admin ? ",\"secrets\":true,\"manage_tokens\":true}}"
                            : ",\"secrets\":false,\"manage_tokens\":false}}");
    if (b.oom) {
        levy_buf_free(&b);
        levy_http_error(req, route, 503, "unavailable", "out of memory");
        return;
    }
    reply_nostore(req, route, &b);
}

/* GET /v1/tokens → 200 {"tokens":[{name, created_at, created_by, last_used_at, read_only,
 * role}]} (live ones, oldest first; never a token nor its hash). */
static void r_tokens_list(levy_host *h, struct evhttp_request *req)
{
    reply_store_list(h, req, "/v1/tokens", levy_tokens_list_json);
}

/* POST /v1/tokens {"name": NAME, "role": "admin"|"full"|"read_only"} → 201 {name, token,
 * created_at, created_by, last_used_at, read_only, role}: the token is in this answer only.
 * 403 admin_required (not an admin), 400 invalid_json, 415, 422 validation_failed (the name's
 * rule, a bad role), 409 conflict (a live token has the name), 503 (store; or the audit row
 * refused). "read_only": true is the older spelling of "role": "read_only". */
static void r_tokens_create(levy_host *h, struct evhttp_request *req)
{
    const char *route = "/v1/tokens";
    if (!h->store) {
        levy_http_error(req, route, 503, "unavailable", "no store");
        return;
    }
    if (admin_refused(h, req, "POST", route, "create or revoke tokens"))
        return;
    char kind[32], actor[LEVY_ACTOR_MAX];
    int64_t by = 0;
    int arole = -1;
    actor_of(h, req, kind, actor, &by, &arole);
    const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0) {
        levy_http_error(req, route, 415, "unsupported_media_type",
                        "the body must be application/json");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t blen = evbuffer_get_length(in);
    if (blen > 4096) {
        levy_http_error(req, route, 413, "payload_too_large", "request body is over 4 KiB");
        return;
    }
    levy_json_doc doc = {0};
    char msg[128];
    if (levy_json_doc_parse(&doc, blen ? (const char *)evbuffer_pullup(in, -1) : "", blen, msg,
                            sizeof msg) != 0 ||
        doc.nodes[0].type != LEVY_JSON_TABLE || doc.nodes[0].array) {
        levy_json_doc_free(&doc);
        levy_http_error(req, route, 400, "invalid_json", "the body is not a JSON object");
        return;
    }
    const char *name = NULL;
    const char *bad = NULL;
    int read_only = 0, role = -1;
    const levy_json_node *o = &doc.nodes[0];
    for (uint32_t i = 0; i < o->n && !bad; i++) {
        const levy_json_node *m = &doc.nodes[doc.kids[o->at + i]];
        const char *k = doc.strs + m->key;
        if (m->klen == 4 && memcmp(k, "name", 4) == 0 && m->type == LEVY_JSON_STRING)
            name = doc.strs + m->at;
        else if (m->klen == 4 && memcmp(k, "name", 4) == 0)
            bad = "name must be a string: the person or system the token is for";
        else if (m->klen == 9 && memcmp(k, "read_only", 9) == 0 && m->type == LEVY_JSON_BOOLEAN)
            read_only = m->array; /* a boolean's value */
        else if (m->klen == 9 && memcmp(k, "read_only", 9) == 0)
            bad = "read_only must be true or false";
        else if (m->klen == 4 && memcmp(k, "role", 4) == 0 && m->type == LEVY_JSON_STRING &&
                 (role = levy_role_parse(doc.strs + m->at)) >= 0)
            ;
        else if (m->klen == 4 && memcmp(k, "role", 4) == 0)
            bad = "role must be \"admin\" (may also create and revoke tokens), \"full\" or "
                  "\"read_only\"";
        else
            bad = "unknown field: send {\"name\": \"<who the token is for>\", \"role\": "
                  "\"full\"}";
    }
    if (!bad && read_only && role >= 0 && role != LEVY_ROLE_READ_ONLY)
        bad = "read_only: true contradicts role: send role alone";
    if (role < 0)
        role = read_only ? LEVY_ROLE_READ_ONLY : LEVY_ROLE_FULL;
    if (!bad && !name)
        bad = "name is missing: send {\"name\": \"<who the token is for>\"}";
    if (!bad)
        bad = levy_tokens_name_rule(name);
    if (bad) {
        levy_json_doc_free(&doc);
        levy_http_error(req, route, 422, "validation_failed", bad);
        return;
    }
    char tok[LEVY_NAMED_TOKEN_LEN + 1];
    levy_buf row = {0};
    levy_err e;
    levy_err_clear(&e);
    int rc =
        levy_tokens_create(h->store, name, role, kind, actor, by, NULL, tok, sizeof tok, &row, &e);
    if (rc == LEVY_OK) /* the name, the role and who, never the token */
        hlog(HLOG_INFO, "named token \"%.64s\" (%s) created by %s", name, levy_role_name(role),
             actor);
    levy_json_doc_free(&doc);
    if (rc != LEVY_OK) {
        levy_buf_free(&row);
        if (rc == LEVY_ECONFLICT)
            levy_http_error(req, route, 409, "conflict", e.message);
        else if (rc == LEVY_EINVAL)
            levy_http_error(req, route, 422, "validation_failed", e.message);
        else {
            hlog(HLOG_ERROR, "token create: %s", e.message);
            levy_http_error(req, route, 503, "unavailable",
                            "the token was not created: the store could not be written");
        }
        return;
    }
    struct evbuffer *out = evbuffer_new();
    /* {"token":"lvt_...","name":...,...}: the token, then the row */
    evbuffer_add_printf(out, "{\"token\":\"%s\",", tok);
    OPENSSL_cleanse(tok, sizeof tok);
    evbuffer_add(out, row.data + 1, row.len - 1);
    levy_buf_free(&row);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    levy_http_reply(req, 201, "application/json", out);
    evbuffer_free(out);
    levy_http_count(route, 201);
}

/* DELETE /v1/tokens/{name} → 200 {name, revoked_at, revoked_by, created_tokens: [{name,
 * created_at, role, revoked_at}], secrets_set: [{secret, object_kind, object_id, label, set_at,
 * action}]}: the token and every session opened with it are refused from the next request on;
 * the tokens it made are listed, to review, and the secrets it set still in use, to replace. 403 admin_required, 404 no
 * live token of that name, 503 store. */
static void r_tokens_revoke(levy_host *h, struct evhttp_request *req, const char *enc)
{
    const char *route = "/v1/tokens/{name}";
    if (!h->store) {
        levy_http_error(req, route, 503, "unavailable", "no store");
        return;
    }
    char *name = evhttp_uridecode(enc, 0, NULL);
    if (!name) {
        levy_http_error(req, route, 503, "unavailable", "out of memory");
        return;
    }
    if (admin_refused(h, req, "DELETE", route, "create or revoke tokens")) {
        free(name);
        return;
    }
    /* ?cascade=tokens (issue 20): the live tokens it made are revoked in the same act */
    int cascade = 0;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    if (q && *q) {
        struct evkeyvalq qs;
        TAILQ_INIT(&qs);
        const char *cv = NULL;
        int bad = evhttp_parse_query_str(q, &qs) != 0;
        if (!bad) {
            cv = evhttp_find_header(&qs, "cascade");
            bad = cv && strcmp(cv, "tokens") != 0;
            cascade = cv != NULL && !bad;
        }
        evhttp_clear_headers(&qs);
        if (bad) {
            free(name);
            levy_http_error(req, route, 422, "validation_failed",
                            "cascade: the only value is \"tokens\" (revoke the live tokens it "
                            "made too)");
            return;
        }
    }
    char kind[32], actor[LEVY_ACTOR_MAX];
    int64_t by = 0;
    int arole = -1;
    actor_of(h, req, kind, actor, &by, &arole);
    levy_err e;
    levy_err_clear(&e);
    int64_t id = 0, *also = NULL;
    size_t nalso = 0;
    levy_buf ans = {0};
    int rc = levy_tokens_revoke_with_created(h->store, name, cascade, kind, actor, NULL, &id, &also,
                                             &nalso, &ans, &e);
    if (rc == LEVY_OK) {
        if (cascade)
            hlog(HLOG_INFO,
                 "named token \"%.64s\" revoked by %s with the %zu live token(s) it made", name,
                 actor, nalso);
        else
            hlog(HLOG_INFO, "named token \"%.64s\" revoked by %s", name, actor);
    }
    free(name);
    if (rc == LEVY_ENOTFOUND) {
        levy_buf_free(&ans);
        levy_http_error(req, route, 404, "not_found", e.message);
        return;
    }
    if (rc != LEVY_OK) {
        levy_buf_free(&ans);
        hlog(HLOG_ERROR, "token revoke: %s", e.message);
        levy_http_error(req, route, 503, "unavailable",
                        "the token was not revoked: the store could not be written");
        return;
    }
    levy_auth_sessions_end_token(id);
    for (size_t i = 0; i < nalso; i++)
        levy_auth_sessions_end_token(also[i]);
    free(also);
    reply_nostore(req, route, &ans);
}

/* GET /v1/audit/people → 200 {"people":[{name, state: "live"|"revoked", role}],"truncated"}:
 * the Activity page's Person picker (tokens23): every person of the audit log, a revoked
 * one's too (their rows stay reachable), and every live token's name. Any token may read it. */
static void r_audit_people(levy_host *h, struct evhttp_request *req)
{
    reply_store_list(h, req, "/v1/audit/people", levy_tokens_people_json);
}

/* /v1/tokens/{name}: the name part (percent-encoded) or NULL */
static const char *token_path(const char *path)
{
    static const char pre[] = "/v1/tokens/";
    if (strncmp(path, pre, sizeof pre - 1) != 0)
        return NULL;
    const char *rest = path + sizeof pre - 1;
    return *rest && !strchr(rest, '/') ? rest : NULL;
}

/* POST /v1/session (no Bearer needed: the JSON body carries a one-time sign-in code or the
 * API token) → 201 {session_token, expires_at, expires_in}; DELETE /v1/session (Bearer: the
 * session) → 204. Browser sessions of the web UI, host/auth.c (issue 15, finding 12). */
static void r_session(levy_host *h, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t blen = evbuffer_get_length(in);
    if (blen > 4096) {
        levy_http_error(req, "/v1/session", 413, "payload_too_large", "request body is over 4 KiB");
        return;
    }
    char bearer[LEVY_TOKEN_MAX + 1];
    size_t bn = 0;
    const char *t = bearer_of(req, &bn);
    if (t && bn < sizeof bearer) {
        memcpy(bearer, t, bn);
        bearer[bn] = '\0';
    } else {
        t = NULL;
    }
    char out[512];
    const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    int del = evhttp_request_get_command(req) == EVHTTP_REQ_DELETE;
    int st = levy_auth_session_request(h->cfg, h->store, del, ctype,
                                       blen ? (const char *)evbuffer_pullup(in, -1) : "", blen,
                                       t ? bearer : NULL, out, sizeof out);
    OPENSSL_cleanse(bearer, sizeof bearer);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    if (st == 401)
        evhttp_add_header(oh, "WWW-Authenticate", "Bearer");
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, out, strlen(out));
    levy_http_reply(req, st, st == 204 ? NULL : "application/json", b);
    OPENSSL_cleanse(out, sizeof out);
    evbuffer_free(b);
    levy_http_count("/v1/session", st);
}

typedef struct croute {
    const char *method, *path;
    void (*fn)(levy_host *, struct evhttp_request *);
    int auth; /* LEVY_AUTH_NONE or LEVY_AUTH_TOKEN, always explicit */
} croute;

static const croute CROUTES[] = {
    {"GET", "/healthz", r_healthz, LEVY_AUTH_NONE},
    {"GET", "/openapi.yaml", r_openapi, LEVY_AUTH_NONE},
    {"GET", "/metrics", r_metrics, CROUTE_AUTH_METRICS},
    {"POST", "/admin/reload", r_reload, LEVY_AUTH_TOKEN},
    {"GET", "/admin/generation", r_generation, LEVY_AUTH_TOKEN},
    {"GET", "/admin/rates", r_rates, LEVY_AUTH_TOKEN},
    {"POST", "/v1/session", r_session, LEVY_AUTH_NONE},
    {"DELETE", "/v1/session", r_session, LEVY_AUTH_TOKEN},
    {"GET", "/v1/tokens", r_tokens_list, LEVY_AUTH_TOKEN},
    {"POST", "/v1/tokens", r_tokens_create, LEVY_AUTH_TOKEN},
    {"GET", "/v1/audit/people", r_audit_people, LEVY_AUTH_TOKEN},
    {"GET", "/v1/me", r_me, LEVY_AUTH_TOKEN},
};

/* ---- Lua routes ----------------------------------------------------------------------- */

typedef struct http_call {
    struct evhttp_request *req;
    const char *route; /* owned by the generation (alive while the call holds it) */
} http_call;

static void free_body(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    free(arg);
}

/* levy_lua_testudata's registry slot for LEVY_BODY_MT (core/lua/lctx.h) */
static const char body_mt_key = 0;

static void lua_reply(levy_call *call, int status, int nres)
{
    http_call *hc = call->ud;
    struct evhttp_request *req = hc->req;
    levy_host *h = call->host;
    lua_State *co = call->co;
    h->http_inflight--;
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Request-Id", call->id);
    if (status != LUA_OK) {
        if (levy_lua_is_api_error(co, -1)) {
            lua_State *L = co;
            /* render on a fresh thread: co is dead after an error */
            lua_State *M = levy_vm_state(call->gen->vm);
            int tref = LUA_NOREF;
            lua_State *T = levy_aux_thread(M, &tref);
            if (!T) {
                levy_http_error(req, hc->route, 500, "internal", "internal error");
                free(hc);
                return;
            }
            levy_lua_set_ctx(T, &call->ctx);
            levy_sandbox_push_api(T, "render_api_error");
            lua_xmove(L, T, 1);
            levy_err e;
            if (levy_vm_pcall_on(T, 1, 3, &e) == LEVY_OK) {
                int st = (int)lua_tointeger(T, -3);
                if (st < 400 || st > 599)
                    st = 500;
                struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
                if (lua_istable(T, -1)) {
                    lua_pushnil(T);
                    while (lua_next(T, -2)) {
                        if (lua_type(T, -2) == LUA_TSTRING && lua_type(T, -1) == LUA_TSTRING)
                            evhttp_add_header(oh, lua_tostring(T, -2), lua_tostring(T, -1));
                        lua_pop(T, 1);
                    }
                }
                size_t n = 0;
                const char *s = lua_tolstring(T, -2, &n);
                struct evbuffer *b = evbuffer_new();
                evbuffer_add(b, s, n);
                levy_http_reply(req, st, "application/json", b);
                evbuffer_free(b);
                levy_http_count(hc->route, st);
            } else {
                hlog_src(HLOG_ERROR, call->plugin, "request %s: cannot render API error: %s",
                         call->id, e.message);
                levy_http_error(req, hc->route, 500, "internal", "internal error");
            }
            levy_lua_set_ctx(T, NULL);
            luaL_unref(M, LUA_REGISTRYINDEX, tref);
        } else {
            levy_call_log_error(call, "request");
            levy_http_error(req, hc->route, 500, "internal", "internal error");
        }
        free(hc);
        return;
    }
    /* results: status, body[, headers] */
    int base = lua_gettop(co) - nres + 1;
    int st = nres >= 1 && lua_isinteger(co, base) ? (int)lua_tointeger(co, base) : 0;
    if (st < 100 || st > 599) {
        hlog_src(HLOG_ERROR, call->plugin, "request %s: handler returned no valid status",
                 call->id);
        levy_http_error(req, hc->route, 500, "internal", "internal error");
        free(hc);
        return;
    }
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    if (nres >= 3 && lua_istable(co, base + 2)) {
        lua_pushnil(co);
        while (lua_next(co, base + 2)) {
            if (lua_type(co, -2) == LUA_TSTRING &&
                (lua_type(co, -1) == LUA_TSTRING || lua_type(co, -1) == LUA_TNUMBER)) {
                const char *k = lua_tostring(co, -2);
                const char *v = lua_tostring(co, -1);
                if (!strpbrk(k, "\r\n:") && !strpbrk(v, "\r\n"))
                    evhttp_add_header(oh, k, v);
            }
            lua_pop(co, 1);
        }
    }
    /* encode the body on the finished coroutine (reusable after a normal return); a string or
     * a body held in C is what render_body would return as it is: no Lua call for those */
    levy_err e;
    if (nres >= 2 && (lua_type(co, base + 1) == LUA_TSTRING ||
                      levy_lua_testudata(co, base + 1, &body_mt_key, LEVY_BODY_MT))) {
        lua_pushvalue(co, base + 1);
    } else {
        levy_sandbox_push_api(co, "render_body");
        if (nres >= 2)
            lua_pushvalue(co, base + 1);
        else
            lua_pushnil(co);
        if (levy_vm_pcall_on(co, 1, 1, &e) != LEVY_OK) {
            hlog_src(HLOG_ERROR, call->plugin, "request %s: cannot encode response: %s", call->id,
                     e.message);
            levy_http_error(req, hc->route, 500, "internal", "internal error");
            free(hc);
            return;
        }
    }
    size_t n = 0;
    struct evbuffer *b = evbuffer_new();
    levy_buf *cb = levy_lua_testudata(co, -1, &body_mt_key, LEVY_BODY_MT);
    if (cb) { /* a body held in C (lctx.h): its bytes go to the reply without a copy */
        n = cb->len;
        if (st != 204 && st != 304 && n) {
            if (evbuffer_add_reference(b, cb->data, n, free_body, cb->data) == 0)
                memset(cb, 0, sizeof *cb); /* the evbuffer frees the bytes now */
            else
                evbuffer_add(b, cb->data, n);
        }
    } else {
        const char *s = lua_tolstring(co, -1, &n);
        if (st != 204 && st != 304)
            evbuffer_add(b, s, n);
    }
    levy_http_reply(req, st, (n || st == 200) ? "application/json" : NULL, b);
    evbuffer_free(b);
    levy_http_count(hc->route, st);
    free(hc);
}

typedef struct req_setup {
    struct evhttp_request *req;
    const char *method, *path, *query, *id;
    levy_route_match *m;
    const char *actor_kind, *actor; /* levy_auth_actor's: who is asking ("" for none) */
    const char *key_role;           /* an open route's X-API-KEY: the role of the API token or named
                           * token it holds (tokens23: the Sphere drop-in), else NULL */
} req_setup;

/* [-0, +0, m] Sets the query's pairs into the table on top: "a=1&b=x+y" -> a="1", b="x y" (the
 * value percent- and plus-decoded, the key as written, the last of a repeated key wins, as
 * libevent's parser gives them). Unlike evhttp_parse_query_str, which drops the whole query
 * when one pair is empty or has no '=' ("?a=1&&b=2" lost every filter and cursor, so a client
 * paging that way read page 1 forever), an empty pair is skipped and a key without '=' is
 * the empty string. */
static void push_query(lua_State *co, const char *query)
{
    for (const char *p = query; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kl = eq ? (size_t)(eq - p) : n;
        if (kl > 0) {
            lua_pushlstring(co, p, kl); /* key */
            char *v = NULL;
            if (eq) {
                char *raw = strndup(eq + 1, n - kl - 1);
                v = raw ? evhttp_uridecode(raw, 1, NULL) : NULL;
                free(raw);
                if (!v)
                    luaL_error(co, "out of memory");
            }
            lua_pushstring(co, v ? v : "");
            free(v);
            lua_settable(co, -3);
        }
        p += n;
        if (*p == '&')
            p++;
    }
}

/* [-0, +1, m] Pushes the request fields table. */
static void push_req_fields(lua_State *co, struct evhttp_request *req, const char *method,
                            const char *path, const char *query, levy_route_match *m,
                            const char *id, const char *actor_kind, const char *actor,
                            const char *key_role)
{
    lua_createtable(co, 0, 12);
    if (actor_kind[0]) { /* the audit log's actor (levy.audit): never the token itself */
        lua_pushstring(co, actor_kind);
        lua_setfield(co, -2, "actor_kind");
        lua_pushstring(co, actor);
        lua_setfield(co, -2, "actor");
    }
    if (key_role) {
        lua_pushstring(co, key_role);
        lua_setfield(co, -2, "key_role");
    }
    lua_pushstring(co, method);
    lua_setfield(co, -2, "method");
    lua_pushstring(co, path);
    lua_setfield(co, -2, "path");
    lua_pushstring(co, id);
    lua_setfield(co, -2, "id");
    lua_createtable(co, 0, m->ncaps);
    for (int i = 0; i < m->ncaps; i++) {
        const char *nm = m->names[i]; /* "{id}" */
        char *v = evhttp_uridecode(m->values[i], 0, NULL);
        lua_pushlstring(co, nm + 1, strlen(nm) - 2);
        lua_pushstring(co, v ? v : m->values[i]);
        lua_settable(co, -3);
        free(v);
    }
    lua_setfield(co, -2, "params");
    lua_newtable(co);
    if (query)
        push_query(co, query);
    lua_setfield(co, -2, "query");
    struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
    int nh = 0; /* the table made at its size: no rehash per header */
    for (struct evkeyval *kv = ih->tqh_first; kv; kv = kv->next.tqe_next)
        nh++;
    lua_createtable(co, 0, nh);
    for (struct evkeyval *kv = ih->tqh_first; kv; kv = kv->next.tqe_next) {
        char name[128];
        size_t i = 0;
        for (; kv->key[i] && i < sizeof name - 1; i++)
            name[i] = (char)tolower((unsigned char)kv->key[i]);
        name[i] = '\0';
        lua_pushstring(co, kv->value);
        lua_setfield(co, -2, name);
    }
    lua_setfield(co, -2, "headers");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t blen = evbuffer_get_length(in);
    lua_pushlstring(co, blen ? (const char *)evbuffer_pullup(in, -1) : "", blen);
    lua_setfield(co, -2, "body");
    char *addr = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn)
        evhttp_connection_get_peer(conn, &addr, &port);
    lua_pushstring(co, addr ? addr : "");
    lua_setfield(co, -2, "remote");
}

/* [-1, +1, m] Under lua_pcall on the fresh coroutine: builds req = make_req(fields) (in C:
 * levy_sandbox_make_req). */
static int setup_req(lua_State *co)
{
    req_setup *rs = lua_touserdata(co, 1);
    lua_pop(co, 1);
    push_req_fields(co, rs->req, rs->method, rs->path, rs->query, rs->m, rs->id, rs->actor_kind,
                    rs->actor, rs->key_role);
    levy_sandbox_make_req(co);
    return 1;
}

static void dispatch_lua(levy_host *h, struct evhttp_request *req, const char *method,
                         const char *path, const char *query, levy_route_match *m)
{
    levy_gen *g = h->current;
    http_call *hc = calloc(1, sizeof *hc);
    levy_call *call =
        hc ? levy_call_new(h, g, LEVY_CALL_HTTP, m->route->plugin, lua_reply, hc) : NULL;
    if (!call) {
        free(hc);
        levy_http_error(req, m->route->path, 503, "unavailable", "out of memory");
        return;
    }
    hc->req = req;
    hc->route = m->route->path;
    h->http_inflight++;
    lua_State *co = call->co;
    lua_getfield(co, LUA_REGISTRYINDEX, "levy.routes");
    lua_rawgeti(co, -1, m->route->index);
    lua_remove(co, -2);
    char actor_kind[32], actor[LEVY_ACTOR_MAX];
    levy_auth_whois tmp;
    const levy_auth_whois *who;
    bearer_who(h, req, &tmp, &who);
    levy_auth_who_actor(who, actor_kind, sizeof actor_kind, actor, sizeof actor);
    /* an open route that takes a key in X-API-KEY (the Sphere drop-in, CONTRACT §2.5): the API
     * token or a live named token there is who asks (its actor, its role in req.key_role; the
     * named token's last use stamped), as it would be as Bearer; a UI session is not a key */
    const char *key_role = NULL;
    const char *key = m->route->auth == LEVY_AUTH_NONE
                          ? evhttp_find_header(evhttp_request_get_input_headers(req), "X-API-KEY")
                          : NULL;
    levy_auth_whois kw;
    if (key && levy_auth_who(h->cfg, h->store, key, strlen(key), &kw) &&
        (kw.kind == LEVY_WHO_API_TOKEN || kw.kind == LEVY_WHO_NAMED)) {
        levy_auth_who_actor(&kw, actor_kind, sizeof actor_kind, actor, sizeof actor);
        key_role = levy_role_name(kw.role);
    }
    req_setup rs = {req, method, path, query, call->id, m, actor_kind, actor, key_role};
    lua_pushcfunction(co, setup_req);
    lua_pushlightuserdata(co, &rs);
    if (lua_pcall(co, 1, 1, 0) != LUA_OK) {
        /* out of Lua memory: finish the call with the error (500, logged) */
        call->budget.tripped = 0;
        lua_remove(co, -2); /* the handler */
        levy_call_fail(call);
        return;
    }
    levy_call_resume(call, 1);
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* A route's body cap: its max_body, else for a webhook intake (/webhooks/...) the webhook
 * cap (--webhook-max-body, 8 MiB: Rillet sends whole documents, a large usage invoice is
 * several MiB, and a 413 makes Rillet retry and then disable the webhook for every event),
 * else the host's default (1 MiB). */
static uint64_t route_cap(levy_host *h, const levy_route *r)
{
    if (r && r->max_body)
        return (uint64_t)r->max_body;
    if (r && has_prefix_seg(r->path, "/webhooks"))
        return (uint64_t)h->cfg->webhook_max_body;
    return (uint64_t)h->cfg->max_body;
}

/* A 405's Allow header (RFC 9110 §15.5.6: a 405 MUST list the methods the target takes):
 * the methods of the C routes and of the current generation's Lua routes on path; HEAD
 * wherever GET is (dispatch answers it as GET). Only asked when answering 405. */
static void add_allow(levy_host *h, struct evkeyvalq *oh, const char *path)
{
    static const char *const M[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    char allow[64] = "";
    for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
        int ok = 0;
        for (size_t j = 0; j < sizeof CROUTES / sizeof CROUTES[0] && !ok; j++)
            ok = strcmp(CROUTES[j].path, path) == 0 && strcmp(CROUTES[j].method, M[i]) == 0;
        if (!ok && h->current) {
            levy_route_match m;
            int known = 0;
            ok = levy_gen_match(h->current, M[i], path, &m, &known);
            levy_route_match_free(&m);
        }
        if (ok) {
            size_t n = strlen(allow);
            snprintf(allow + n, sizeof allow - n, "%s%s%s", n ? ", " : "", M[i],
                     i == 0 ? ", HEAD" : "");
        }
    }
    if (allow[0])
        evhttp_add_header(oh, "Allow", allow);
}

/* An auth = "admin" route's action in words, for its 403 (admin23). */
static const char *admin_what(const char *route)
{
    if (strstr(route, "sphere"))
        return "create or rotate the Sphere API key";
    if (strstr(route, "webhook-secret"))
        return "set or re-enter a Rillet webhook signing token";
    if (strstr(route, "api-key") || strcmp(route, "/v1/connections") == 0)
        return "set or re-enter a Rillet API key";
    return "do this";
}

/* Whether the Lua route of method and path says read_only_ok = true (roexport24): a write that
 * changes no tax data, settings or secrets (the documents export's job, a calculation), which
 * a read-only token may make; what it writes is attributed to the token by the route. A C
 * route never is (the gate refuses them all), nor a path a C route serves (it runs first). */
static int read_only_route_ok(levy_host *h, const char *method, const char *path)
{
    for (size_t i = 0; i < sizeof CROUTES / sizeof CROUTES[0]; i++)
        if (strcmp(CROUTES[i].path, path) == 0)
            return 0;
    char jid[LEVY_JOB_ID_MAX];
    if (job_retry_path(path, jid) || token_path(path))
        return 0;
    levy_route_match m;
    int known = 0;
    int ok = levy_gen_match(h->current, method, path, &m, &known) && m.route->read_only_ok;
    levy_route_match_free(&m);
    return ok;
}

static void dispatch_req(levy_host *h, struct evhttp_request *req, const char *method,
                         const char *path, const char *query);

/* The server's dispatch callback (levy_server_ops.dispatch): a request that passed the
 * framing and canonical-target checks of core/http/server.c. Its bearer is read once. */
static void dispatch(void *ud, struct evhttp_request *req, const char *method, const char *path,
                     const char *query)
{
    levy_host *h = ud;
    if (h->starting) {
        /* the store is being opened, migrated and checked on the start's thread: 503 with
         * what it does (host/starting.c), before any route, token or store is looked at; a
         * webhook is not acknowledged, so Rillet retries it */
        levy_start_answer(req, method, path);
        return;
    }
    size_t n = 0;
    const char *t = bearer_read(req, &n);
    bearer_memo.t = t;
    bearer_memo.n = t ? n : 0;
    bearer_memo.who_done = 0;
    bearer_memo.req = req;
    dispatch_req(h, req, method, path, query);
    bearer_memo.req = NULL;
    bearer_memo.t = NULL;
    bearer_memo.n = 0;
    bearer_memo.who_done = 0;
}

static void dispatch_req(levy_host *h, struct evhttp_request *req, const char *method,
                         const char *path, const char *query)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    int prot = has_prefix_seg(path, "/v1") || has_prefix_seg(path, "/admin");
    /* HEAD is GET without the body (RFC 9110 §9.3.2; evhttp drops the body of a HEAD reply) */
    const char *rmethod = strcmp(method, "HEAD") == 0 ? "GET" : method;
    /* a read-only token changes nothing: any method but GET / HEAD is 403 (signing out, DELETE
     * /v1/session, excepted), before any route runs, whatever the path (a Lua route outside
     * /v1 and /admin may take the token too), but for a Lua route that says read_only_ok
     * (roexport24: the documents export, the calculator: they read the books, change none) */
    if (strcmp(rmethod, "GET") != 0 &&
        !(strcmp(method, "DELETE") == 0 && strcmp(path, "/v1/session") == 0) &&
        read_only_bearer(h, req) && !read_only_route_ok(h, rmethod, path)) {
        /* counted under one label: the path may be anything */
        levy_http_error(req, "read_only", 403, "read_only",
                        "this token is read-only: it may look (GET), not change anything");
        return;
    }
    /* the job retry paths (a path parameter: not in CROUTES) */
    char jid[LEVY_JOB_ID_MAX];
    int jr = job_retry_path(path, jid);
    if (jr) {
        if (!token_ok(h, req)) {
            levy_http_error(req, jr == 1 ? "/admin/jobs/retry" : "/admin/jobs/{id}/retry", 401,
                            "unauthorized", "missing or wrong API token");
        } else if (strcmp(method, "POST") != 0) {
            evhttp_add_header(oh, "Allow", "POST");
            levy_http_error(req, jr == 1 ? "/admin/jobs/retry" : "/admin/jobs/{id}/retry", 405,
                            "method_not_allowed", "method not allowed on this path");
        } else if (jr == 1) {
            r_jobs_retry_all(h, req, query);
        } else {
            r_job_retry(h, req, jid);
        }
        return;
    }
    /* DELETE /v1/tokens/{name} (a path parameter: not in CROUTES) */
    const char *tname = token_path(path);
    if (tname) {
        if (!token_ok(h, req)) {
            levy_http_error(req, "/v1/tokens/{name}", 401, "unauthorized",
                            "missing or wrong API token");
        } else if (strcmp(method, "DELETE") != 0) {
            evhttp_add_header(oh, "Allow", "DELETE");
            levy_http_error(req, "/v1/tokens/{name}", 405, "method_not_allowed",
                            "method not allowed on this path");
        } else {
            r_tokens_revoke(h, req, tname);
        }
        return;
    }
    /* C routes: each says whether it needs the token */
    int known = 0, known_open = 0;
    for (size_t i = 0; i < sizeof CROUTES / sizeof CROUTES[0]; i++) {
        if (strcmp(CROUTES[i].path, path) != 0)
            continue;
        known = 1;
        known_open |= CROUTES[i].auth == LEVY_AUTH_NONE;
        if (strcmp(CROUTES[i].method, rmethod) != 0)
            continue;
        if (CROUTES[i].auth != LEVY_AUTH_NONE && !token_ok(h, req) &&
            !(CROUTES[i].auth == CROUTE_AUTH_METRICS && metrics_token_ok(h, req))) {
            levy_http_error(req, path, 401, "unauthorized", "missing or wrong API token");
            return;
        }
        CROUTES[i].fn(h, req);
        return;
    }
    if (known) {
        if (!known_open && !token_ok(h, req)) {
            levy_http_error(req, path, 401, "unauthorized", "missing or wrong API token");
            return;
        }
        add_allow(h, oh, path);
        levy_http_error(req, path, 405, "method_not_allowed", "method not allowed on this path");
        return;
    }
    /* Lua routes: the matched route decides; only an explicit auth = "none" is open */
    levy_route_match m;
    int path_known = 0;
    int found = levy_gen_match(h->current, rmethod, path, &m, &path_known);
    if (found) {
        if (m.route->auth != LEVY_AUTH_NONE && !token_ok(h, req)) {
            levy_http_error(req, m.route->path, 401, "unauthorized", "missing or wrong API token");
        } else if (m.route->auth == LEVY_AUTH_ADMIN &&
                   admin_refused(h, req, rmethod, m.route->path, admin_what(m.route->path))) {
            /* answered 403 admin_required (audited) */
        } else if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
                   route_cap(h, m.route)) {
            evhttp_add_header(oh, "Connection", "close");
            levy_http_error(req, m.route->path, 413, "payload_too_large",
                            "request body is over the limit");
        } else if (!(m.route->fast && levy_fasthook_try(h, req, &m))) {
            dispatch_lua(h, req, rmethod, path, query, &m);
        }
        levy_route_match_free(&m);
        return;
    }
    levy_route_match_free(&m);
    if (path_known) {
        /* 405 on a path only an open route has is answered without the token */
        if (!(path_known & LEVY_PATH_KNOWN_OPEN) && !token_ok(h, req)) {
            levy_http_error(req, "unmatched", 401, "unauthorized", "missing or wrong API token");
            return;
        }
        add_allow(h, oh, path);
        levy_http_error(req, "unmatched", 405, "method_not_allowed",
                        "method not allowed on this path");
        return;
    }
    /* unmatched: the API namespaces need the token even to learn that a path does not exist */
    if (prot && !token_ok(h, req)) {
        levy_http_error(req, "unmatched", 401, "unauthorized", "missing or wrong API token");
        return;
    }
    int get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    if (!prot && (get || head) && levy_http_static(req, h->cfg->web_dir, path, head))
        return;
    levy_http_error(req, "unmatched", 404, "not_found", "no such path");
}

/* A route's body cap, for the gate (levy_server_ops.body_cap): the route the request will
 * reach, else the default. */
static uint64_t body_cap(void *ud, const char *method, const char *path, int *webhook)
{
    levy_host *h = ud;
    if (h->starting) {
        /* no generation yet (it is being built): a webhook's cap, so that a delivery gets the
         * 503 that makes Rillet retry, not a 413 that leads it to disable the webhook */
        *webhook = has_prefix_seg(path, "/webhooks");
        return *webhook ? (uint64_t)h->cfg->webhook_max_body : (uint64_t)h->cfg->max_body;
    }
    levy_route_match m;
    int pk = 0;
    int found = levy_gen_match(h->current, method, path, &m, &pk);
    uint64_t cap = found ? route_cap(h, m.route) : (uint64_t)h->cfg->max_body;
    *webhook = found && has_prefix_seg(m.route->path, "/webhooks");
    levy_route_match_free(&m);
    return cap;
}

/* ---- the server ----------------------------------------------------------------------- */

/* The metrics listener's dispatch: GET (HEAD) /metrics and nothing else. It is meant for a
 * private address a scraper reaches (docs/operations.md): open there, unless a metrics token
 * is set, when that token (or the API token) is asked as on the public listener. */
static void metrics_dispatch(void *ud, struct evhttp_request *req, const char *method,
                             const char *path, const char *query)
{
    (void)query;
    levy_host *h = ud;
    if (h->starting && strcmp(path, "/metrics") == 0) {
        levy_start_answer(req, method, path); /* the registry is the start's thread's */
        return;
    }
    if (strcmp(path, "/metrics") != 0) {
        levy_http_error(req, "unmatched", 404, "not_found",
                        "this listener (--metrics-listen) serves GET /metrics only");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        levy_http_error(req, "/metrics", 405, "method_not_allowed",
                        "method not allowed on this path");
        return;
    }
    if (h->cfg->metrics_token[0] && !metrics_token_ok(h, req) && !token_ok(h, req)) {
        levy_http_error(req, "/metrics", 401, "unauthorized", "missing or wrong metrics token");
        return;
    }
    r_metrics(h, req);
}

static uint64_t metrics_body_cap(void *ud, const char *method, const char *path, int *webhook)
{
    (void)ud;
    (void)method;
    (void)path;
    *webhook = 0;
    return 0; /* a scrape has no body */
}

int levy_host_listen(levy_host *h, levy_err *err)
{
    const levy_server_ops ops = {dispatch, body_cap, h};
    int rc = levy_server_start(&h->server, h->base, h->cfg, &ops, err);
    if (rc != LEVY_OK || !h->cfg->metrics_listen[0])
        return rc;
    /* the server reads its address, TLS and limits from a config: a copy with the metrics
     * address, plain HTTP (a scraper on a private network) and no webhook routes */
    h->metrics_cfg = malloc(sizeof *h->metrics_cfg);
    if (!h->metrics_cfg)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    *h->metrics_cfg = *h->cfg;
    levy_config *mc = h->metrics_cfg;
    snprintf(mc->listen, sizeof mc->listen, "%s", h->cfg->metrics_listen);
    snprintf(mc->host, sizeof mc->host, "%s", h->cfg->metrics_host);
    mc->port = h->cfg->metrics_port;
    mc->tls_cert[0] = mc->tls_key[0] = '\0';
    mc->webhook_max_body = 0;
    const levy_server_ops mops = {metrics_dispatch, metrics_body_cap, h};
    rc = levy_server_start(&h->metrics_server, h->base, mc, &mops, err);
    if (rc == LEVY_OK)
        hlog(HLOG_INFO, "metrics on http://%s:%d/metrics (--metrics-listen)", mc->host,
             levy_server_port(h->metrics_server));
    return rc;
}

int levy_host_listen_busy(levy_host *h)
{
    return levy_server_busy(h->server) || levy_server_busy(h->metrics_server);
}

void levy_host_listen_hold(levy_host *h, int hold)
{
    levy_server_hold_accept(h->server, hold);
    levy_server_hold_accept(h->metrics_server, hold);
}

void levy_host_listen_stop(levy_host *h)
{
    levy_server_stop_accepting(h->server);
    levy_server_stop_accepting(h->metrics_server);
}

void levy_host_listen_free(levy_host *h)
{
    levy_server_free(h->server);
    h->server = NULL;
    levy_server_free(h->metrics_server);
    h->metrics_server = NULL;
    free(h->metrics_cfg);
    h->metrics_cfg = NULL;
}
