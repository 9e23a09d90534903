/* The fast webhook path (issue 21, docs/architecture.md §3 step 1): a route that declares
 * `fast` (gen.h levy_route_fast, docs/plugins.md "Fast webhook intake") is answered here
 * without entering Lua when the delivery is the common case: every header present once and
 * well-formed, the connection known with its signing token opening under the master key and
 * nothing for the plugin's health bookkeeping to do (the declared lookup's `fast` column),
 * the signature verified over the raw body, and the timestamp inside the window. Then a
 * duplicate is answered from that one read, and a first delivery becomes the declared write
 * unit, handed to the store's writer thread; the answer goes out once its group is durable.
 * Anything else (a refusal to count and explain, a first delivery, a health state to clear,
 * no writer thread: PostgreSQL, LEVY_STORE_WRITER=0) goes to the route's Lua handler, which
 * reads the same declaration and the same checks (core/crypto/hook.c), so the two paths
 * store and answer alike. The opened signing keys stay in this file's memory (never in a Lua
 * state, never reachable from rules), remembered per connection with the sealed bytes they
 * came from: a rotated, erased or re-sealed token has new bytes and misses. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "crypto/hook.h"
#include "hlog.h"
#include "host/host.h"
#include "http/server.h"
#include "json_scan.h"
#include "metrics.h"
#include "store/jobs.h"
#include "store/store.h"
#include "store/writer.h"

/* ---- the opened keys, per connection ----------------------------------------------------- */

#define KEY_SLOTS 64
typedef struct key_slot {
    char *id;     /* the connection id */
    char *sealed; /* the sealed token's stored text */
    levy_hook_keys keys;
    int hit; /* the key that verified last */
    uint64_t used;
} key_slot;
static key_slot slots[KEY_SLOTS];
static uint64_t slot_clock;

static void slot_clear(key_slot *s)
{
    free(s->id);
    free(s->sealed);
    memset(&s->keys, 0, sizeof s->keys);
    memset(s, 0, sizeof *s);
}

/* The keys of connection id whose token is sealed as `sealed` (AAD aad), opened once per
 * sealed text; NULL when it does not open (the Lua path answers that case). */
static key_slot *keys_for(const char *id, const char *sealed, size_t sl, const char *aad, size_t al)
{
    key_slot *victim = &slots[0];
    for (int i = 0; i < KEY_SLOTS; i++) {
        key_slot *s = &slots[i];
        if (s->id && strcmp(s->id, id) == 0) {
            if (strlen(s->sealed) == sl && memcmp(s->sealed, sealed, sl) == 0) {
                s->used = ++slot_clock;
                return s;
            }
            victim = s; /* a new seal of this connection's token: replace */
            break;
        }
        if (!s->id || s->used < victim->used)
            victim = s;
    }
    const uint8_t *mk = levy_crypto_master_key();
    if (!mk || sl > 8192)
        return NULL;
    uint8_t raw[6200], pt[6200];
    size_t rl = 0, pl = 0;
    if (levy_b64_decode(sealed, sl, 0, raw, &rl, NULL) != LEVY_OK || rl < LEVY_SEAL_OVERHEAD ||
        levy_crypto_open(mk, raw, rl, aad, al, pt, &pl, NULL) != LEVY_OK)
        return NULL;
    levy_hook_keys k;
    int ok = levy_hook_keys_derive((const char *)pt, pl, &k) == 0;
    memset(pt, 0, sizeof pt);
    if (!ok)
        return NULL;
    slot_clear(victim);
    victim->id = strdup(id);
    victim->sealed = strndup(sealed, sl);
    if (!victim->id || !victim->sealed) {
        slot_clear(victim);
        memset(&k, 0, sizeof k);
        return NULL;
    }
    victim->keys = k;
    memset(&k, 0, sizeof k);
    victim->used = ++slot_clock;
    return victim;
}

/* ---- the delivery ------------------------------------------------------------------------ */

typedef struct pending {
    struct evhttp_request *req;
    levy_host *h;
    levy_gen *gen; /* holds the declaration (answers, metric, route) until the answer */
    const levy_route *route;
    int used;
} pending;

static void count(const levy_route_fast *f, const char *result)
{
    const char *labels[] = {"result", result, NULL};
    levy_metrics_inc(f->metric, labels, 1, NULL);
}

static void answer(struct evhttp_request *req, const levy_route *r, const char *body)
{
    char id[40];
    levy_call_request_id(id, sizeof id);
    evhttp_add_header(evhttp_request_get_output_headers(req), "X-Request-Id", id);
    struct evbuffer *b = evbuffer_new();
    if (b) /* copied: the generation that holds body may be freed before the bytes are sent */
        evbuffer_add(b, body, strlen(body));
    levy_http_reply(req, 200, "application/json", b);
    if (b)
        evbuffer_free(b);
    levy_http_count(r->path, 200);
}

/* On the loop (levy_writer_complete): the unit's group is durable, or it failed. */
static void unit_done(levy_wunit *u)
{
    pending *p = u->ud;
    const levy_route_fast *f = p->route->fast;
    levy_host *h = p->h;
    h->http_inflight--;
    if (u->rc == LEVY_OK) {
        if (h->store)
            levy_store_note_ok(h->store);
        if (u->jobs)
            levy_jobs_notify();
        int dup = u->stopped != 0;
        count(f, dup ? "duplicate" : p->used ? "accepted" : "ignored");
        answer(p->req, p->route, dup ? f->answer_duplicate : f->answer_received);
    } else {
        if (h->store && u->state != LEVY_STORE_STATE_OK) {
            char msg[300];
            snprintf(msg, sizeof msg, "writer thread: %s (SQLite code %d)", u->err.message,
                     u->code);
            levy_store_note_failure(h->store, u->state, msg);
        }
        if (u->rc == LEVY_EBUSY || u->rc == LEVY_EIO) {
            levy_http_error(p->req, p->route->path, 503, "unavailable",
                            "the store is temporarily unavailable");
        } else {
            hlog(HLOG_ERROR, "webhook fast path: the write failed: %s", u->err.message);
            levy_http_error(p->req, p->route->path, 500, "internal", "internal error");
        }
    }
    levy_gen_unref(p->gen);
    free(p);
    levy_wunit_free(u);
}

/* entity / event as the plugin stores them: upper case, '-' -> '_' */
static void norm(char *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    out[n] = 0;
}

typedef struct values {
    const char *v[LEVY_FV_IGNORED_OUTCOME + 1];
    size_t n[LEVY_FV_IGNORED_OUTCOME + 1];
} values;

static int fill_sql(levy_wstep *s, const levy_fast_step *fs, const values *vals)
{
    if (!(s->sql = strdup(fs->sql)))
        return LEVY_ENOMEM;
    s->kind = LEVY_WSTEP_SQL;
    s->flags =
        (fs->stop_if_none ? LEVY_WSTEP_STOP_IF_NONE : 0) | (fs->defer ? LEVY_WSTEP_DEFER : 0);
    if (fs->nparams && !(s->params = calloc((size_t)fs->nparams, sizeof *s->params)))
        return LEVY_ENOMEM;
    s->nparams = fs->nparams;
    for (int k = 0; k < fs->nparams; k++) {
        int v = fs->params[k];
        if (!vals->v[v])
            s->params[k].type = LEVY_WPARAM_NULL;
        else if (levy_wparam_text(&s->params[k], vals->v[v], vals->n[v]) != LEVY_OK)
            return LEVY_ENOMEM;
    }
    return LEVY_OK;
}

/* The unit's two timestamps of now (ms): at_s "YYYY-MM-DDTHH:MM:SSZ" (levy_time_iso) and
 * at_ms "YYYY-MM-DDTHH:MM:SS.mmmZ" (levy_time_iso_ms). The second's text is formatted once
 * per second and the milliseconds written into a copy: two snprintf calls per delivery were
 * 7 k of its ~270 k instructions. -1 outside four-digit years (the Lua path takes those).
 * The loop's thread only. */
static int stamps(int64_t now, char at_ms[25], char at_s[21])
{
    static int64_t sec = INT64_MIN;
    static char txt[40];
    int64_t q = now / 1000, r = now % 1000;
    if (r < 0)
        q--, r += 1000;
    if (q != sec) {
        sec = INT64_MIN;
        if (levy_time_iso(q * 1000, txt, sizeof txt) != 20)
            return -1;
        sec = q;
    }
    memcpy(at_s, txt, 21);
    memcpy(at_ms, txt, 19);
    at_ms[19] = '.';
    at_ms[20] = (char)('0' + r / 100);
    at_ms[21] = (char)('0' + r / 10 % 10);
    at_ms[22] = (char)('0' + r % 10);
    at_ms[23] = 'Z';
    at_ms[24] = 0;
    return 0;
}

static uint64_t n_c, n_lua; /* levy_fasthook_counts: the loop's thread only */

void levy_fasthook_counts(uint64_t *c, uint64_t *lua)
{
    *c = n_c;
    *lua = n_lua;
}

static int try_c(levy_host *h, struct evhttp_request *req, const levy_route_match *m);

int levy_fasthook_try(levy_host *h, struct evhttp_request *req, const levy_route_match *m)
{
    int r = try_c(h, req, m);
    if (r)
        n_c++;
    else
        n_lua++;
    return r;
}

static int try_c(levy_host *h, struct evhttp_request *req, const levy_route_match *m)
{
    const levy_route *r = m->route;
    const levy_route_fast *f = r->fast;
    if (!f || !h->writer || !h->store || h->stopping)
        return 0;
    /* the connection id: the capture, when it needs no decoding */
    const char *cid = NULL;
    size_t pl = strlen(f->param);
    for (int i = 0; i < m->ncaps; i++)
        if (strlen(m->names[i]) == pl + 2 && strncmp(m->names[i] + 1, f->param, pl) == 0)
            cid = m->values[i];
    if (!cid || strchr(cid, '%') || strlen(cid) > 128)
        return 0;
    /* the five headers, each exactly once (the Lua request table keeps the last of a repeated
     * one: such a delivery is the Lua path's) */
    const char *names[5] = {f->h_sig, f->h_ts, f->h_id, f->h_entity, f->h_event};
    const char *hv[5] = {0};
    int seen_n[5] = {0};
    struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
    for (struct evkeyval *kv = ih->tqh_first; kv; kv = kv->next.tqe_next)
        for (int i = 0; i < 5; i++)
            if (strcasecmp(kv->key, names[i]) == 0) {
                hv[i] = kv->value;
                seen_n[i]++;
            }
    size_t hl[5];
    for (int i = 0; i < 5; i++) {
        if (seen_n[i] != 1 || !hv[i][0])
            return 0;
        hl[i] = strlen(hv[i]);
    }
    int64_t ts_ms = 0;
    if (levy_hook_check(hv[1], hl[1], hv[2], hl[2], hv[3], hl[3], hv[4], hl[4], &ts_ms))
        return 0;
    /* one read: the connection's sealed token, its last second, whether the plugin's health
     * bookkeeping has nothing to do (fast), whether the id was accepted before (seen) */
    levy_err err;
    levy_err_clear(&err);
    levy_stmt *st = levy_store_prepare_cached(h->store, f->lookup, &err);
    if (!st)
        return 0;
    char sealed[8193], aad[256], last[48];
    size_t sl = 0, al = 0;
    int fast = 0, dup = 0, row = 0;
    last[0] = 0;
    if (levy_stmt_bind_text(st, 1, cid, -1) == LEVY_OK &&
        levy_stmt_bind_text(st, 2, hv[2], (long)hl[2]) == LEVY_OK &&
        levy_stmt_step(st, &err) == LEVY_STMT_ROW && levy_stmt_column_count(st) >= 5) {
        row = 1;
        const char *s = levy_stmt_column_text(st, 0);
        sl = s ? levy_stmt_column_bytes(st, 0) : 0;
        const char *a = levy_stmt_column_text(st, 1);
        al = a ? levy_stmt_column_bytes(st, 1) : 0;
        const char *l = levy_stmt_column_text(st, 2);
        size_t ll = l ? levy_stmt_column_bytes(st, 2) : 0;
        if (!s || sl >= sizeof sealed || !a || al >= sizeof aad || ll >= sizeof last) {
            row = 0;
        } else {
            memcpy(sealed, s, sl);
            sealed[sl] = 0;
            memcpy(aad, a, al);
            aad[al] = 0;
            if (l)
                memcpy(last, l, ll);
            last[ll] = 0;
            fast = levy_stmt_column_int64(st, 3) == 1;
            dup = levy_stmt_column_int64(st, 4) == 1;
        }
    }
    levy_store_release(h->store, st);
    if (!row || !fast)
        return 0;
    key_slot *ks = keys_for(cid, sealed, sl, aad, al);
    if (!ks)
        return 0;
    /* the signed bytes: timestamp "." id "." entity "." event "." body */
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t blen = evbuffer_get_length(in);
    const char *body = blen ? (const char *)evbuffer_pullup(in, -1) : "";
    size_t ml = hl[1] + hl[2] + hl[3] + hl[4] + 4 + blen;
    char *msg = malloc(ml + 1);
    if (!msg)
        return 0;
    size_t o = 0;
    for (int i = 1; i <= 4; i++) {
        memcpy(msg + o, hv[i], hl[i]);
        o += hl[i];
        msg[o++] = '.';
    }
    memcpy(msg + o, body, blen);
    const uint8_t *kp[2] = {ks->keys.key[0], ks->keys.key[1]};
    int k = levy_hook_verify(kp, ks->keys.len, ks->keys.n, &ks->hit, hv[0], hl[0],
                             f->max_signatures, msg, ml, NULL);
    free(msg);
    if (k < 0)
        return 0; /* refused: the Lua path counts it (health) and answers 401 */
    if (dup) {    /* verified and held already: answered from the read, no write */
        count(f, "duplicate");
        answer(req, r, f->answer_duplicate);
        return 1;
    }
    int64_t now = levy_clock_now_ms(), age = 0;
    if (levy_hook_fresh(ts_ms, now, h->cfg->webhook_tolerance_s, f->future_skew_s, &age) !=
        LEVY_HOOK_FRESH)
        return 0; /* stale: the Lua path logs it at WARN and answers 401 */
    /* the unit */
    char ent[LEVY_HOOK_MAX_WORD + 1], ev[LEVY_HOOK_MAX_WORD + 1], at_ms[25], at_s[21];
    if (stamps(now, at_ms, at_s) != 0)
        return 0;
    norm(ent, hv[3], hl[3]);
    norm(ev, hv[4], hl[4]);
    int used = 0;
    for (int i = 0; i < f->nused; i++)
        used |= strcmp(f->used[i], ent) == 0;
    values vals = {{0}, {0}};
    vals.v[LEVY_FV_ID] = hv[2], vals.n[LEVY_FV_ID] = hl[2];
    vals.v[LEVY_FV_PARAM] = cid, vals.n[LEVY_FV_PARAM] = strlen(cid);
    vals.v[LEVY_FV_ENTITY] = ent, vals.n[LEVY_FV_ENTITY] = hl[3];
    vals.v[LEVY_FV_EVENT] = ev, vals.n[LEVY_FV_EVENT] = hl[4];
    vals.v[LEVY_FV_RECEIVED_AT] = at_ms, vals.n[LEVY_FV_RECEIVED_AT] = strlen(at_ms);
    vals.v[LEVY_FV_SECOND] = at_s, vals.n[LEVY_FV_SECOND] = strlen(at_s);
    vals.v[LEVY_FV_BODY] = body, vals.n[LEVY_FV_BODY] = blen;
    if (!used) {
        vals.v[LEVY_FV_IGNORED_AT] = at_ms, vals.n[LEVY_FV_IGNORED_AT] = strlen(at_ms);
        vals.v[LEVY_FV_IGNORED_OUTCOME] = "ignored", vals.n[LEVY_FV_IGNORED_OUTCOME] = 7;
    }
    int changed = strcmp(last, at_s) != 0;
    int take[LEVY_FAST_MAX_STEPS], n = 0;
    for (int i = 0; i < f->nsteps; i++) {
        int w = f->steps[i].when;
        if (w == LEVY_FW_ALWAYS || (w == LEVY_FW_USED && used) || (w == LEVY_FW_CHANGED && changed))
            take[n++] = i;
    }
    levy_wunit *u = levy_wunit_new(n);
    pending *p = calloc(1, sizeof *p);
    int rc = u && p ? LEVY_OK : LEVY_ENOMEM;
    for (int j = 0; j < n && rc == LEVY_OK; j++) {
        const levy_fast_step *fs = &f->steps[take[j]];
        levy_wstep *s = &u->steps[j];
        if (fs->sql) {
            rc = fill_sql(s, fs, &vals);
            continue;
        }
        levy_buf pb = {0};
        levy_buf_putc(&pb, '{');
        levy_json_escape(&pb, fs->job_payload_field, strlen(fs->job_payload_field));
        levy_buf_putc(&pb, ':');
        levy_json_escape(&pb, cid, strlen(cid));
        levy_buf_putc(&pb, '}');
        s->kind = LEVY_WSTEP_JOB;
        s->job_kind = strdup(fs->job_kind);
        s->job_key = strdup(cid);
        s->job_payload = pb.data; /* owned by the step now */
        s->job_run_at = now;
        if (!s->job_kind || !s->job_key || !s->job_payload || pb.oom)
            rc = LEVY_ENOMEM;
    }
    if (rc == LEVY_OK) {
        p->req = req;
        p->h = h;
        p->gen = h->current;
        p->route = r;
        p->used = used;
        u->done = unit_done;
        u->ud = p;
        levy_gen_ref(p->gen);
        if (levy_writer_submit(h->writer, u, &err) != LEVY_OK) {
            levy_gen_unref(p->gen);
            rc = LEVY_EBUSY;
        }
    }
    if (rc != LEVY_OK) {
        free(p);
        levy_wunit_free(u);
        return 0; /* out of memory or the writer stopping: the Lua path answers */
    }
    h->http_inflight++;
    return 1;
}
