/* The answers of levy while its start runs on a thread (starting.h; host.c start_main). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "host/service.h"
#include "host/starting.h"
#include "http/server.h"
#include "store/store.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static levy_start_view state; /* under mu: written by the start's thread, read by the loop */
static uint64_t answered;     /* the loop's only */

static void on_migration(void *ud, const levy_migration_progress *p)
{
    (void)ud;
    pthread_mutex_lock(&mu);
    if (state.phase != LEVY_START_FAILED) {
        state.has_migration = 1;
        snprintf(state.plugin, sizeof state.plugin, "%s", p->plugin);
        snprintf(state.step, sizeof state.step, "%s", p->name);
        state.index = p->index;
        state.total = p->count;
        state.done = p->done ? p->index : p->index - 1;
        /* between two migrations (the next plugin's load) levy is starting, not migrating */
        state.phase = p->done ? LEVY_START_STARTING : LEVY_START_MIGRATING;
        if (p->done)
            state.has_migration = 0;
    }
    pthread_mutex_unlock(&mu);
    levy_service_migration_status(p); /* systemd: STATUS=, EXTEND_TIMEOUT_USEC= */
}

void levy_start_begin(void)
{
    pthread_mutex_lock(&mu);
    memset(&state, 0, sizeof state);
    pthread_mutex_unlock(&mu);
    answered = 0;
    levy_store_set_migration_observer(on_migration, NULL);
}

void levy_start_view_get(levy_start_view *v)
{
    pthread_mutex_lock(&mu);
    *v = state;
    pthread_mutex_unlock(&mu);
}

void levy_start_fail(const char *code)
{
    pthread_mutex_lock(&mu);
    /* a migration that began and did not end is the one that failed: it stays named */
    state.phase = LEVY_START_FAILED;
    snprintf(state.error, sizeof state.error, "%s", code && *code ? code : "start_failed");
    pthread_mutex_unlock(&mu);
}

static const char *phase_name(levy_start_phase p)
{
    return p == LEVY_START_MIGRATING ? "migrating" : p == LEVY_START_FAILED ? "failed" : "starting";
}

static void put_int(levy_buf *b, int n)
{
    char s[16];
    snprintf(s, sizeof s, "%d", n);
    levy_buf_puts(b, s);
}

void levy_start_health_json(const levy_start_view *v, levy_buf *out)
{
    levy_buf_puts(out, "{\"status\":\"");
    levy_buf_puts(out, phase_name(v->phase));
    levy_buf_puts(out, "\",\"version\":");
    levy_json_escape(out, LEVY_VERSION, strlen(LEVY_VERSION));
    if (v->phase == LEVY_START_FAILED) {
        levy_buf_puts(out, ",\"error\":");
        levy_json_escape(out, v->error, strlen(v->error));
    }
    if (v->has_migration) {
        levy_buf_puts(out, ",\"migration\":{\"plugin\":");
        levy_json_escape(out, v->plugin, strlen(v->plugin));
        levy_buf_puts(out, ",\"step\":");
        levy_json_escape(out, v->step, strlen(v->step));
        levy_buf_puts(out, ",\"done\":");
        put_int(out, v->done);
        levy_buf_puts(out, ",\"total\":");
        put_int(out, v->total);
        levy_buf_putc(out, '}');
    }
    levy_buf_putc(out, '}');
}

void levy_start_message(const levy_start_view *v, char *out, size_t cap)
{
    if (v->phase == LEVY_START_FAILED)
        snprintf(out, cap, "levy could not start (%s%s%s%s) and is stopping; see its log", v->error,
                 v->has_migration ? ": " : "", v->has_migration ? v->plugin : "",
                 v->has_migration ? " migration" : "");
    else if (v->phase == LEVY_START_MIGRATING)
        snprintf(out, cap, "levy is applying store migrations (%d of %d); retry shortly", v->index,
                 v->total);
    else
        snprintf(out, cap,
                 "levy is starting (opening the store, loading plugins and rules); "
                 "retry shortly");
}

int levy_start_retry_after(const levy_start_view *v)
{
    /* a migration may take minutes on a large store; the rest of a start takes seconds */
    return v->phase == LEVY_START_MIGRATING ? 5 : 1;
}

static const char PAGE[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta http-equiv=\"refresh\" content=\"%d\"><title>levy is starting</title></head>"
    "<body><h1>levy is starting</h1><p>%s</p><p>This page reloads by itself.</p></body></html>";

void levy_start_answer(struct evhttp_request *req, const char *method, const char *path)
{
    levy_start_view v;
    levy_start_view_get(&v);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    char ra[16], msg[300];
    snprintf(ra, sizeof ra, "%d", levy_start_retry_after(&v));
    evhttp_add_header(oh, "Retry-After", ra);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    levy_start_message(&v, msg, sizeof msg);
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    struct evbuffer *b = evbuffer_new();
    answered++;
    if (!b) {
        levy_http_reply(req, 503, NULL, NULL);
        return;
    }
    if (get && strcmp(path, "/healthz") == 0) {
        levy_buf j = {0};
        levy_start_health_json(&v, &j);
        if (!j.oom)
            evbuffer_add(b, j.data, j.len);
        levy_buf_free(&j);
        levy_http_reply(req, 503, "application/json", b);
    } else if (get && (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)) {
        /* the web UI's page: a person opening levy during an upgrade reads why it waits */
        char what[96];
        if (v.phase == LEVY_START_MIGRATING)
            snprintf(what, sizeof what, "Applying store migrations (%d of %d).", v.index, v.total);
        else
            snprintf(what, sizeof what, "%s",
                     v.phase == LEVY_START_FAILED
                         ? "The start failed; see levy's log."
                         : "Opening the store, loading plugins and rules.");
        evbuffer_add_printf(b, PAGE, levy_start_retry_after(&v) * 2, what);
        evhttp_add_header(oh, "Content-Security-Policy", "default-src 'none'");
        levy_http_reply(req, 503, "text/html; charset=utf-8", b);
    } else {
        evbuffer_add_printf(b, "{\"error\":{\"code\":\"%s\",\"message\":",
                            v.phase == LEVY_START_FAILED ? "start_failed" : "starting");
        levy_http_json_str(b, msg);
        evbuffer_add_printf(b, "}}");
        levy_http_reply(req, 503, "application/json", b);
    }
    evbuffer_free(b);
}

uint64_t levy_start_answered(void) { return answered; }
