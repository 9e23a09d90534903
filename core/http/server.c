/* HTTP server (server.h): evhttp setup, the request gate, the canonical target, static
 * files, reply helpers, connection limits. Routes, auth and Lua are the host's: each request
 * that passes the checks here goes to its dispatch callback (core/host/routes.c).
 *
 * Request target: canonical origin-form only (levy_http_target_check); the one path it
 * yields is handed to the host for auth, routing and static files. The request gate (a callback on each connection's input buffer,
 * ahead of evhttp's parser) refuses malformed heads and bodies over the route's cap before
 * the body is read, with a JSON answer written to the socket. Slow clients: evhttp
 * read/write timeouts plus a whole-request deadline (headers + body) per connection. The
 * listener pauses at the connection limit and on accept() failures (EMFILE). See
 * docs/host.md "Requests". */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h> /* major, minor: the request's HTTP version */
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hlog.h"
#include "http/gate.h"
#include "http/server.h"
#include "json_scan.h"
#include "metrics.h"

/* The request gate: a callback on the socket bufferevent's input buffer sees every byte as
 * it is read, before evhttp parses it (evbuffer callbacks run inside the read, evhttp's read
 * callback after it). It follows the framing of every request on the connection (head,
 * Content-Length or chunked body, next head) with a parser stricter than evhttp's, so that
 * what it accepts evhttp reads the same way. What evhttp 2.1 would accept loosely or only
 * after buffering the body is refused here, before the body is read: a malformed head
 * (obs-fold, a header name with SP/HTAB or empty, a non-canonical target, conflicting
 * framing) -> 400, a Content-Length (or a running chunked total) over the route's cap ->
 * 413. The JSON answer is written straight to the socket, the write side shut down, and
 * every further byte discarded until the client closes (TLS: closed without an answer). */
typedef struct guard {
    struct evhttp_request *req; /* being handled, or NULL */
    struct bufferevent *bev;
    time_t deadline; /* 0 = not waiting for a request */
    int nodelay;     /* TCP_NODELAY set on the socket */
    int served;      /* requests answered on this connection */
    int closecb;     /* evhttp's close callback set on the connection */
    int tls;         /* bev is TLS: a gate refusal closes without an answer */
    int refused;     /* the gate refused a request: input is discarded */
    int webhook;     /* the request being gated is for a /webhooks/ route */
    uint64_t held;   /* body bytes of this request read and not yet released */
    levy_gate gate;
    struct evbuffer_cb_entry *gate_cb; /* on bev's input buffer */
    struct event *timer;
    struct levy_server *srv;
    struct guard *prev, *next; /* every guard, for levy_server_free */
} guard;

/* The guards by bufferevent, for the per-request lookups (guard_release): open addressing with
 * linear probing, at most 3/4 full, backward-shift deletion (no tombstones). A lookup costs the
 * same with 17,000 idle keep-alive connections held as with none; it used to walk the list of
 * every open connection on each request, twice (issue 21). */
typedef struct {
    guard **slot;
    size_t cap; /* 0 or a power of two */
    size_t n;
} guard_map;

enum { PAUSE_LIMIT = 1, PAUSE_FD = 2, PAUSE_HOLD = 4 };

struct levy_server {
    const levy_config *cfg;
    levy_server_ops ops; /* the host's dispatch and route body caps */
    int stopping;        /* stopped accepting: requests on open connections get 503 */
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    SSL_CTX *ssl;
    guard *guards;
    guard_map by_bev;
    int busy; /* connections whose request is being handled (g->req set) */
    int port;
    int nconns;      /* connections alive (one guard each) */
    int max_conns;   /* accept no more than this many at once */
    int paused;      /* PAUSE_* bits: the listener is disabled */
    int fd_episode;  /* accept() is failing (EMFILE...) since the last success */
    long fd_retries; /* paused retries in this episode */
    time_t fd_last_fail;
    int limit_episode;         /* the connection limit was hit and not yet left by 10 % */
    struct event *resume;      /* re-enables the listener after an accept() failure */
    struct event *trim;        /* hands freed request memory back to the OS after a burst */
    uint64_t freed_since_trim; /* request body bytes released (answered or gone) since the
                                * last trim: memory a trim can give back */
    uint64_t held;             /* request body bytes read, across connections, until answered */
    uint64_t budget;           /* ... at most this many (LEVY_HTTP_BODY_BUDGET) */
    struct levy_server *next_srv;
};

static struct levy_server *g_servers; /* the listener's error callback gets the evhttp */

/* ---- small helpers -------------------------------------------------------------------- */

/* the one JSON string escaper (levy_json_escape: valid UTF-8 out, every control escaped) */
void levy_http_json_str(struct evbuffer *b, const char *s)
{
    levy_buf t = {0};
    levy_json_escape(&t, s, strlen(s));
    if (t.oom)
        evbuffer_add(b, "\"\"", 2); /* still valid JSON */
    else
        evbuffer_add(b, t.data, t.len);
    levy_buf_free(&t);
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

void levy_http_count(const char *route, int status)
{
    char st[8];
    if (status >= 100 && status <= 999) { /* every answer's counter: no snprintf */
        st[0] = (char)('0' + status / 100);
        st[1] = (char)('0' + status / 10 % 10);
        st[2] = (char)('0' + status % 10);
        st[3] = '\0';
    } else {
        snprintf(st, sizeof st, "%d", status);
    }
    /* the last (route, status) counted and its series: a run of answers of one route and
     * status (most of them) is counted without the label string, its hash and the lookup */
    static struct {
        char route[128];
        int status;
        levy_metrics_ref ref;
    } last;
    const char *labels[] = {"route", route, "status", st, NULL};
    if (last.status == status && strcmp(last.route, route) == 0) {
        levy_metrics_inc_ref(&last.ref, "levy_http_requests_total", labels, 1, NULL);
        return;
    }
    last.ref.epoch = 0;
    last.status = 0;
    if (levy_metrics_inc_ref(&last.ref, "levy_http_requests_total", labels, 1, NULL) == LEVY_OK &&
        strlen(route) < sizeof last.route) {
        memcpy(last.route, route, strlen(route) + 1);
        last.status = status;
    }
}

/* An answer's head as evhttp writes it (libevent 2.1 http.c, evhttp_make_header and
 * evhttp_make_header_response): one evbuffer_add_printf per line, "HTTP/%d.%d %d %s\r\n" for
 * the status line and "%s: %s\r\n" for each header, which is glibc's vfprintf at ~1,100
 * instructions a line, ~11k of a POST /v1/calculate (issue 21). This definition is the one
 * libevent_extra's calls reach (they go through its PLT, and the executable's definition comes
 * first in the dynamic linker's search): those two formats are written with memcpy, and every
 * other format, or a line longer than the stack buffer, goes to libevent's own
 * evbuffer_add_vprintf; the bytes and the return value (bytes added, -1 on failure) are the same
 * either way (test_http_head: printf_same). A NULL string is "(null)", as glibc prints it. */
static size_t put_str(char *o, const char *s, size_t cap)
{
    if (!s)
        s = "(null)";
    size_t n = strlen(s);
    if (n > cap)
        return (size_t)-1;
    memcpy(o, s, n);
    return n;
}

static size_t put_int(char *o, int v)
{
    char t[12];
    size_t n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do
        t[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    size_t k = 0;
    if (v < 0)
        o[k++] = '-';
    while (n)
        o[k++] = t[--n];
    return k;
}

int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
    static const char HEADER[] = "%s: %s\r\n", STATUS[] = "HTTP/%d.%d %d %s\r\n";
    char line[512];
    size_t n = (size_t)-1;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    if (fmt[0] == '%' && strcmp(fmt, HEADER) == 0) {
        const char *k = va_arg(ap, const char *), *v = va_arg(ap, const char *);
        size_t a = put_str(line, k, sizeof line - 4), b = (size_t)-1;
        if (a != (size_t)-1)
            b = put_str(line + a + 2, v, sizeof line - 4 - a);
        if (b != (size_t)-1) {
            memcpy(line + a, ": ", 2);
            memcpy(line + a + 2 + b, "\r\n", 2);
            n = a + b + 4;
        }
    } else if (fmt[0] == 'H' && strcmp(fmt, STATUS) == 0) {
        int major = va_arg(ap, int), minor = va_arg(ap, int), code = va_arg(ap, int);
        const char *reason = va_arg(ap, const char *);
        size_t k = 0;
        memcpy(line, "HTTP/", 5);
        k = 5;
        k += put_int(line + k, major);
        line[k++] = '.';
        k += put_int(line + k, minor);
        line[k++] = ' ';
        k += put_int(line + k, code);
        line[k++] = ' ';
        size_t r = put_str(line + k, reason, sizeof line - k - 2);
        if (r != (size_t)-1) {
            memcpy(line + k + r, "\r\n", 2);
            n = k + r + 2;
        }
    }
    int out;
    if (n != (size_t)-1)
        out = evbuffer_add(buf, line, n) == 0 ? (int)n : -1;
    else
        out = evbuffer_add_vprintf(buf, fmt, again);
    va_end(again);
    va_end(ap);
    return out;
}

/* Sends status with body (takes a copy). */
void levy_http_reply(struct evhttp_request *req, int status, const char *ctype,
                     struct evbuffer *body)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    /* every answer: no MIME sniffing, no framing (clickjacking), no Referer to elsewhere;
     * JSON is data, never a document: it may load nothing. One pass over the headers the
     * handler set says which of these it set itself (those are kept as they are). */
    static const char *const H[][2] = {{"X-Content-Type-Options", "nosniff"},
                                       {"X-Frame-Options", "DENY"},
                                       {"Referrer-Policy", "no-referrer"}};
    int has[3] = {0, 0, 0}, has_csp = 0, has_date = 0;
    const char *ct = NULL;
    for (struct evkeyval *kv = oh->tqh_first; kv; kv = kv->next.tqe_next) {
        if (!ct && evutil_ascii_strcasecmp(kv->key, "Content-Type") == 0)
            ct = kv->value;
        else if (evutil_ascii_strcasecmp(kv->key, "Content-Security-Policy") == 0)
            has_csp = 1;
        else if (evutil_ascii_strcasecmp(kv->key, "Date") == 0)
            has_date = 1;
        else
            for (size_t i = 0; i < sizeof H / sizeof H[0]; i++)
                if (evutil_ascii_strcasecmp(kv->key, H[i][0]) == 0)
                    has[i] = 1;
    }
    if (ctype && !ct) {
        evhttp_add_header(oh, "Content-Type", ctype);
        ct = ctype;
    }
    for (size_t i = 0; i < sizeof H / sizeof H[0]; i++)
        if (!has[i])
            evhttp_add_header(oh, H[i][0], H[i][1]);
    if (ct && strncmp(ct, "application/json", 16) == 0 && !has_csp)
        evhttp_add_header(oh, "Content-Security-Policy",
                          "default-src 'none'; frame-ancestors 'none'");
    /* the Date evhttp writes on an HTTP/1.1 answer (evhttp_maybe_add_date_header: its own
     * evutil_date_rfc1123), formatted once a second instead of once per answer; HTTP/1.0
     * answers keep having none, as evhttp sends them */
    static time_t date_at = (time_t)-1;
    static char date[64];
    time_t now = time(NULL);
    if (now != date_at) {
        struct tm tm;
        if (gmtime_r(&now, &tm) && evutil_date_rfc1123(date, sizeof date, &tm) > 0)
            date_at = now;
        else
            date_at = (time_t)-1;
    }
    if (!has_date && date_at != (time_t)-1 && req->major == 1 && req->minor >= 1)
        evhttp_add_header(oh, "Date", date);
    evhttp_send_reply(req, status, reason(status), body);
}

void levy_http_error(struct evhttp_request *req, const char *route, int status, const char *code,
                     const char *message)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "{\"error\":{\"code\":");
    levy_http_json_str(b, code);
    evbuffer_add_printf(b, ",\"message\":");
    levy_http_json_str(b, message);
    evbuffer_add_printf(b, "}}");
    if (status == 401)
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer");
    if (status == 503)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
    levy_http_reply(req, status, "application/json", b);
    evbuffer_free(b);
    levy_http_count(route, status);
}

static const char *method_name(struct evhttp_request *req)
{
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_TRACE:
        return "TRACE";
    case EVHTTP_REQ_CONNECT:
        return "CONNECT";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "UNKNOWN";
    }
}

/* ---- static files --------------------------------------------------------------------- */

static const char *ctype_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } T[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
            if (strcasecmp(dot, T[i].ext) == 0)
                return T[i].type;
    return "application/octet-stream";
}

/* 1 when served (or answered), 0 when no such file. */
int levy_http_static(struct evhttp_request *req, const char *web_dir, const char *path, int head)
{
    size_t dlen = 0;
    char *dec = evhttp_uridecode(path, 0, &dlen);
    if (!dec)
        return 0;
    int rc = 0;
    if (strlen(dec) != dlen || strstr(dec, "..") || strchr(dec, '\\') || dec[0] != '/')
        goto done;
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s%s", web_dir, strcmp(dec, "/") == 0 ? "/index.html" : dec);
    char root[PATH_MAX], real[PATH_MAX];
    if (!realpath(web_dir, root) || !realpath(want, real))
        goto done;
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || real[rl] != '/')
        goto done;
    struct stat st;
    if (stat(real, &st) != 0)
        goto done;
    if (S_ISDIR(st.st_mode)) {
        strncat(real, "/index.html", sizeof real - strlen(real) - 1);
        if (stat(real, &st) != 0)
            goto done;
    }
    if (!S_ISREG(st.st_mode))
        goto done;
    int fd = open(real, O_RDONLY);
    if (fd < 0)
        goto done;
    struct evbuffer *b = evbuffer_new();
    if (!head && st.st_size > 0)
        evbuffer_add_file(b, fd, 0, st.st_size);
    else
        close(fd);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    evhttp_add_header(oh, "Cache-Control", "no-cache");
    /* the UI loads only its own files: no inline script or style, no other origin, no
     * plugins, not framed; the favicon is a data: URL */
    evhttp_add_header(
        oh, "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'");
    levy_http_reply(req, 200, ctype_of(real), b);
    evbuffer_free(b);
    levy_http_count("static", 200);
    rc = 1;
done:
    free(dec);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static void guard_release(struct levy_server *s, struct evhttp_request *req);

/* RFC 9112 §6.3: several Content-Length fields with different values make the framing
 * invalid; the server must answer 400 and close. evhttp frames by the first one, so a body
 * that a proxy in front framed by another could leave bytes that evhttp would read as a
 * second request on the kept-alive connection (request smuggling). Returns 0 when invalid. */
static int framing_ok(struct evhttp_request *req)
{
    const struct evkeyvalq *hs = evhttp_request_get_input_headers(req);
    const char *first = NULL;
    for (const struct evkeyval *kv = hs ? TAILQ_FIRST(hs) : NULL; kv; kv = TAILQ_NEXT(kv, next)) {
        if (evutil_ascii_strcasecmp(kv->key, "Content-Length") != 0)
            continue;
        if (!first)
            first = kv->value;
        else if (strcmp(first, kv->value) != 0)
            return 0;
    }
    return 1;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct levy_server *s = arg;
    guard_release(s, req);
    const char *method = method_name(req);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    if (s->stopping) {
        evhttp_add_header(oh, "Connection", "close");
        levy_http_error(req, "unmatched", 503, "unavailable", "server is shutting down");
        return;
    }
    if (!framing_ok(req)) {
        evhttp_add_header(oh, "Connection", "close");
        levy_http_error(req, "unmatched", 400, "bad_request", "conflicting Content-Length headers");
        return;
    }
    /* One canonical path for authorization, routing and static files (finding: a prefix test
     * on the raw target let "v1/..." and "http://x//v1/..." through without a token). */
    char path[8192];
    const char *query = NULL;
    const char *why =
        levy_http_target_check(evhttp_request_get_uri(req), path, sizeof path, &query);
    if (why) {
        const char *code;
        int st = levy_http_target_status(why, &code);
        evhttp_add_header(oh, "Connection", "close");
        levy_http_error(req, "unmatched", st, code, why);
        return;
    }
    s->ops.dispatch(s->ops.ud, req, method, path, query);
}

/* ---- the request gate (core/http/gate.c) ----------------------------------------------- */

/* A route's body cap, for the gate: asked of the host (levy_server_ops.body_cap). */
static uint64_t gate_cap(void *ud, const char *method, const char *path)
{
    guard *g = ud;
    int webhook = 0;
    uint64_t cap = g->srv->ops.body_cap(g->srv->ops.ud, method, path, &webhook);
    g->webhook = webhook;
    return cap;
}

#define LEVY_TRIM_AFTER ((uint64_t)8 * 1024 * 1024)
/* What one closed connection hands back beside its body: evhttp's connection and request,
 * the bufferevent and its two evbuffers, the guard and its gate (about 2.7 KB each measured
 * with 2,000 idle and slow clients, bench/connpeak.py). Counted toward the trim so that a
 * burst of connections (thousands of idle or slow clients, then gone) gives its memory back
 * too: before, a trim followed only released bodies, and levy kept ~7 MB after 2,000 clients
 * had come and gone (issue 21). */
#define LEVY_TRIM_PER_CONN ((uint64_t)8192)

static void trim_soon(struct levy_server *s, uint64_t freed)
{
    s->freed_since_trim += freed;
    if (s->freed_since_trim > LEVY_TRIM_AFTER && s->trim && !evtimer_pending(s->trim, NULL)) {
        struct timeval tv = {1, 0};
        evtimer_add(s->trim, &tv);
    }
}

/* The request's body bytes leave the budget (answered, or the connection is gone). Once more
 * than 8 MiB of bodies were released since the last trim, a trim a second later hands their
 * memory back to the OS. Counted at release, not when read: a trim while other large bodies
 * were still in flight used to count those as handed back, and nothing trimmed after they
 * ended (reliab_http_limits, clients finishing in two groups). */
static void gate_release(guard *g)
{
    struct levy_server *s = g->srv;
    s->held -= g->held < s->held ? g->held : s->held;
    uint64_t freed = g->held;
    g->held = 0;
    trim_soon(s, freed);
}

/* k more body bytes are in memory for g's request; 0, or -1 when that would take every
 * connection's bodies together over the budget (the gate then refuses with 503). */
static int gate_hold(void *ud, size_t k)
{
    guard *g = ud;
    struct levy_server *s = g->srv;
    if (s->held + k > s->budget) {
        static time_t last;
        time_t now = time(NULL);
        if (now - last >= 10) {
            hlog(HLOG_WARN,
                 "request bodies in memory would exceed LEVY_HTTP_BODY_BUDGET (%llu bytes): "
                 "answering 503 to the requests that would",
                 (unsigned long long)s->budget);
            last = now;
        }
        return -1;
    }
    s->held += k;
    g->held += k;
    return 0;
}

static const levy_gate_ops GATE_OPS = {gate_cap, gate_hold};

/* Answers the gate's refusal on the socket under evhttp (which has not got this request
 * whole, so it has nothing to answer) and shuts the write side; the input is discarded
 * from now on, until the client closes. */
static void gate_reject(guard *g)
{
    int status = g->gate.status;
    const char *code = g->gate.code, *message = g->gate.message;
    g->refused = 1;
    gate_release(g);
    levy_http_count("unmatched", status);
    hlog(HLOG_DEBUG, "request refused before evhttp read it: %d %s", status, message);
    if (status == 413 && g->webhook) {
        /* a delivery the sender will retry and then give up on (Rillet disables the webhook):
         * the operator must raise the cap, so say it where they look, once a minute at most */
        const char *labels[] = {"result", "too_large", NULL};
        levy_metrics_inc("levy_webhook_deliveries_total", labels, 1, NULL);
        static time_t last_warn;
        time_t now = time(NULL);
        if (now - last_warn >= 60) {
            hlog(HLOG_WARN,
                 "webhook delivery refused with 413: %s (raise --webhook-max-body / "
                 "LEVY_WEBHOOK_MAX_BODY, default 8 MiB; Rillet retries and then disables the "
                 "webhook)",
                 message);
            last_warn = now;
        }
    }
    evutil_socket_t fd = bufferevent_getfd(g->bev);
    if (fd < 0)
        return;
    if (g->tls) {
        shutdown(fd, SHUT_RDWR);
        return;
    }
    char body[512] = "", msg[1024], date[64];
    struct evbuffer *b = evbuffer_new();
    if (b) {
        evbuffer_add_printf(b, "{\"error\":{\"code\":");
        levy_http_json_str(b, code);
        evbuffer_add_printf(b, ",\"message\":");
        levy_http_json_str(b, message);
        evbuffer_add_printf(b, "}}");
        ev_ssize_t k = evbuffer_copyout(b, body, sizeof body - 1);
        body[k > 0 ? k : 0] = '\0';
        evbuffer_free(b);
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int n =
        snprintf(msg, sizeof msg,
                 "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n"
                 "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n%s\r\n%s",
                 status, reason(status), date, strlen(body),
                 status == 503 ? "Retry-After: 1\r\n" : "", body);
    if (n > 0 && (size_t)n < sizeof msg)
        (void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR); /* the client reads the answer, then EOF; evhttp frees on its close */
}

/* The input buffer's callback: runs inside the socket read, before evhttp's read callback. */
static void gate_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    guard *g = arg;
    if (!info->n_added)
        return;
    if (g->refused) {
        evbuffer_drain(buf, evbuffer_get_length(buf));
        return;
    }
    size_t len = evbuffer_get_length(buf), n = info->n_added;
    if (n > len)
        n = len;
    struct evbuffer_ptr at;
    if (evbuffer_ptr_set(buf, &at, len - n, EVBUFFER_PTR_SET) != 0)
        return;
    /* walk the new bytes in place, chain by chain */
    struct evbuffer_iovec v[8];
    size_t left = n;
    while (left) {
        int nv = evbuffer_peek(buf, (ev_ssize_t)left, &at, v, 8);
        if (nv <= 0)
            break;
        for (int i = 0; i < nv && i < 8 && left; i++) {
            size_t k = v[i].iov_len < left ? v[i].iov_len : left;
            if (levy_gate_feed(&g->gate, v[i].iov_base, k) != 0) {
                gate_reject(g);
                evbuffer_drain(buf, evbuffer_get_length(buf));
                return;
            }
            left -= k;
            evbuffer_ptr_set(buf, &at, k, EVBUFFER_PTR_ADD);
        }
    }
}

/* ---- connection limit and accept() failures ---------------------------------------------
 * Every connection holds a descriptor; SQLite, libcurl and static files need some too. The
 * listener is disabled while max_conns connections are open (new ones wait in the kernel's
 * backlog) and while accept() fails (EMFILE, ENFILE, ENOBUFS...): libevent's listener would
 * otherwise retry at once, forever (100 % CPU, a log line per try). One WARN line per
 * episode; accepting resumes when a connection closes, or on a timer after a failure. */

static void listener_set(struct levy_server *s)
{
    struct evconnlistener *l = s->sock ? evhttp_bound_socket_get_listener(s->sock) : NULL;
    if (!l)
        return;
    if (s->paused)
        evconnlistener_disable(l);
    else
        evconnlistener_enable(l);
}

static void pause_accept(struct levy_server *s, int why)
{
    if (s->paused & why)
        return;
    s->paused |= why;
    const char *labels[] = {"reason", why == PAUSE_LIMIT ? "connection_limit" : "accept_error",
                            NULL};
    levy_metrics_inc("levy_http_accept_paused_total", labels, 1, NULL);
    listener_set(s);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct levy_server *s = arg;
    s->paused &= ~PAUSE_FD;
    listener_set(s);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)l;
    int e = EVUTIL_SOCKET_ERROR();
    struct levy_server *s = g_servers;
    while (s && s->http != (struct evhttp *)arg)
        s = s->next_srv;
    if (!s)
        return;
    /* one line per episode: an episode ends when accept() has not failed for 10 s (at the
     * limit, one accept succeeds each time a descriptor frees up, then the next fails) */
    time_t now = time(NULL);
    if (!s->fd_episode || now - s->fd_last_fail >= 10) {
        struct rlimit rl = {0, 0};
        getrlimit(RLIMIT_NOFILE, &rl);
        hlog(HLOG_WARN,
             "accept() failed: %s (%d connections open, fd limit %llu); not accepting "
             "for 250 ms at a time until it succeeds again%s",
             strerror(e), s->nconns, (unsigned long long)rl.rlim_cur,
             s->fd_retries ? " (the previous episode retried)" : "");
        s->fd_retries = 0;
    }
    s->fd_episode = 1;
    s->fd_last_fail = now;
    s->fd_retries++;
    s->paused &= ~PAUSE_FD; /* count each failure */
    pause_accept(s, PAUSE_FD);
    struct timeval tv = {0, 250 * 1000};
    event_add(s->resume, &tv);
}

static void on_trim(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct levy_server *s = arg;
    s->freed_since_trim = 0;
    malloc_trim(0);
}

/* ---- slow-client guard ----------------------------------------------------------------
 * evhttp 2.1 has no new-request callback, so the guard is per connection: created in the
 * bufferevent callback (which also does TLS and the gate), holding a reference on the
 * bufferevent so it stays valid after evhttp frees it. A 1 s tick per connection: when evhttp
 * has released the bufferevent (its callbacks are cleared by bufferevent_free) the guard drops
 * its reference and goes away (at once when evhttp's close callback says so); while waiting for
 * a complete request past the deadline it shuts the socket down, which evhttp sees as EOF and
 * cleans up. Armed at accept and again after each reply (keep-alive), disarmed while a complete
 * request is being handled. */

static size_t bev_home(const struct bufferevent *bev, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)bev; /* heap pointers: mix the low bits (murmur3 fmix) */
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static void map_place(guard_map *m, guard *g)
{
    size_t i = bev_home(g->bev, m->cap);
    while (m->slot[i])
        i = (i + 1) & (m->cap - 1);
    m->slot[i] = g;
    m->n++;
}

/* 0, or -1 out of memory */
static int map_put(guard_map *m, guard *g)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        guard **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        guard **old = m->slot;
        size_t ocap = m->cap;
        m->slot = slot;
        m->cap = cap;
        m->n = 0;
        for (size_t i = 0; i < ocap; i++)
            if (old[i])
                map_place(m, old[i]);
        free(old);
    }
    map_place(m, g);
    return 0;
}

static size_t map_find(const guard_map *m, const struct bufferevent *bev)
{
    if (!m->cap)
        return SIZE_MAX;
    for (size_t i = bev_home(bev, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slot[i])
            return SIZE_MAX;
        if (m->slot[i]->bev == bev)
            return i;
    }
}

static void map_del(guard_map *m, const struct bufferevent *bev)
{
    size_t i = map_find(m, bev), mask = m->cap - 1;
    if (i == SIZE_MAX)
        return;
    /* shift back each later entry of the run that may sit at i (its home is not in (i, j]) */
    for (size_t j = (i + 1) & mask; m->slot[j]; j = (j + 1) & mask) {
        size_t k = bev_home(m->slot[j]->bev, m->cap);
        int stays = i < j ? (k > i && k <= j) : (k > i || k <= j);
        if (!stays) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i] = NULL;
    m->n--;
}

static guard *guard_of_bev(struct levy_server *s, struct bufferevent *bev)
{
    size_t i = map_find(&s->by_bev, bev);
    return i == SIZE_MAX ? NULL : s->by_bev.slot[i];
}

/* g's request being handled: set when evhttp hands it over, NULL when answered */
static void guard_set_req(guard *g, struct evhttp_request *req)
{
    g->srv->busy += (req != NULL) - (g->req != NULL);
    g->req = req;
}

static void guard_free(struct levy_server *s, guard *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else if (s->guards == g)
        s->guards = g->next;
    if (g->next)
        g->next->prev = g->prev;
    map_del(&s->by_bev, g->bev);
    guard_set_req(g, NULL);
    event_free(g->timer);
    gate_release(g);
    if (g->gate_cb)
        evbuffer_remove_cb_entry(bufferevent_get_input(g->bev), g->gate_cb);
    bufferevent_decref(g->bev);
    levy_gate_free(&g->gate);
    free(g);
    s->nconns--;
    trim_soon(s, LEVY_TRIM_PER_CONN);
    if ((s->paused & PAUSE_LIMIT) && s->nconns < s->max_conns) {
        s->paused &= ~PAUSE_LIMIT;
        listener_set(s);
    }
    if (s->limit_episode && s->nconns < s->max_conns - s->max_conns / 10 - 1) {
        s->limit_episode = 0; /* hysteresis: one line per episode, not per slot freed */
        hlog(HLOG_INFO, "%d connections open: below the limit again", s->nconns);
    }
}

static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    guard *g = arg;
    guard_free(g->srv, g);
}

static void on_guard_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    guard *g = arg;
    bufferevent_data_cb rd = NULL;
    bufferevent_getcb(g->bev, &rd, NULL, NULL, NULL);
    if (!rd && !g->closecb) {
        /* evhttp is done with this connection (one that never completed a request: evhttp
         * clears the read callback while writing too, so the others go by the close callback) */
        guard_free(g->srv, g);
        return;
    }
    if (g->deadline && time(NULL) >= g->deadline) {
        g->deadline = 0;
        evutil_socket_t sfd = bufferevent_getfd(g->bev);
        /* a kept-alive connection with nothing of a next request is just idle (clients such
         * as libcurl pools keep them): closed quietly; anything else is a slow client */
        if (g->served > 0 && evbuffer_get_length(bufferevent_get_input(g->bev)) == 0 &&
            !g->gate.hlen)
            hlog(HLOG_DEBUG, "closing an idle keep-alive connection after %d s",
                 g->srv->cfg->header_deadline_s);
        else if (!g->refused)
            hlog(HLOG_INFO, "closing a connection that sent no complete request in %d s",
                 g->srv->cfg->header_deadline_s);
        if (sfd >= 0)
            shutdown(sfd, SHUT_RDWR);
    }
}

static void guard_arm(guard *g)
{
    g->deadline = time(NULL) + g->srv->cfg->header_deadline_s;
    guard_set_req(g, NULL);
}

/* evhttp calls this before it frees the request and, on Connection: close, the connection
 * (whose close callback frees g): g is alive here. A connection freed with its request
 * unanswered does not call it. */
static void on_req_complete(struct evhttp_request *req, void *arg)
{
    guard *g = arg;
    if (g->req != req)
        return;
    g->served++;
    gate_release(g);
    guard_arm(g);
}

static void guard_release(struct levy_server *s, struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    guard *g = conn ? guard_of_bev(s, evhttp_connection_get_bufferevent(conn)) : NULL;
    if (!g)
        return;
    g->deadline = 0;
    guard_set_req(g, req);
    if (!g->closecb) {
        /* freed with the connection, not up to a tick later: the descriptor and the
         * connection-limit slot come back at once */
        evhttp_connection_set_closecb(conn, on_conn_close, g);
        g->closecb = 1;
    }
    if (!g->nodelay) {
        /* evhttp writes headers and body as separate chunks; with Nagle on, a body that
         * follows headers waits for the client's delayed ACK (40 ms on Linux) once a reply
         * spans more than one segment (bench: 100-line calculation 1,052 -> 3,946 req/s). */
        evutil_socket_t fd = bufferevent_getfd(g->bev);
        int one = 1;
        if (fd >= 0)
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        g->nodelay = 1;
    }
    evhttp_request_set_on_complete_cb(req, on_req_complete, g);
}

/* ---- TLS ------------------------------------------------------------------------------ */

static struct bufferevent *new_bev(struct event_base *base, void *arg)
{
    struct levy_server *s = arg;
    struct bufferevent *bev = NULL;
    if (s->fd_episode && time(NULL) - s->fd_last_fail >= 10) {
        hlog(HLOG_INFO, "accept() works again (%ld paused retries in that episode)", s->fd_retries);
        s->fd_episode = 0;
        s->fd_retries = 0;
    }
    if (s->ssl) {
        SSL *ssl = SSL_new(s->ssl);
        if (!ssl)
            return NULL;
        bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    } else {
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!bev)
        return NULL;
    guard *g = calloc(1, sizeof *g);
    if (!g)
        return bev;
    g->srv = s;
    g->bev = bev;
    g->tls = s->ssl != NULL;
    levy_gate_init(&g->gate, &GATE_OPS, g);
    g->timer = event_new(base, -1, EV_PERSIST, on_guard_tick, g);
    if (!g->timer || map_put(&s->by_bev, g) != 0 ||
        !(g->gate_cb = evbuffer_add_cb(bufferevent_get_input(bev), gate_input_cb, g))) {
        /* out of memory: served without the guard (NULL would make evhttp build a plain
         * socket bufferevent, dropping TLS) */
        map_del(&s->by_bev, bev);
        if (g->timer)
            event_free(g->timer);
        levy_gate_free(&g->gate);
        free(g);
        return bev;
    }
    bufferevent_incref(bev);
    guard_arm(g);
    struct timeval tv = {1, 0};
    event_add(g->timer, &tv);
    g->next = s->guards;
    if (s->guards)
        s->guards->prev = g;
    s->guards = g;
    if (++s->nconns >= s->max_conns && !(s->paused & PAUSE_LIMIT)) {
        if (!s->limit_episode)
            hlog(HLOG_WARN,
                 "%d connections open (the limit, LEVY_HTTP_MAX_CONNECTIONS): not "
                 "accepting new ones while at the limit",
                 s->nconns);
        s->limit_episode = 1;
        pause_accept(s, PAUSE_LIMIT);
    }
    return bev;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

int levy_server_start(levy_server **out, struct event_base *base, const levy_config *cfg,
                      const levy_server_ops *ops, levy_err *err)
{
    struct levy_server *s = calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    s->cfg = cfg;
    s->ops = *ops;
    s->http = evhttp_new(base);
    if (!s->http)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "cannot create evhttp");
    /* the gate enforces each route's cap before the body is read; this is a backstop */
    evhttp_set_max_body_size(s->http, (ev_ssize_t)LEVY_ROUTE_MAX_BODY_CEIL);
    evhttp_set_max_headers_size(s->http, 32 * 1024);
    evhttp_set_timeout(s->http, cfg->timeout_s);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_OPTIONS);
    evhttp_set_default_content_type(s->http, "application/json");
    evhttp_set_gencb(s->http, on_request, s);
    evhttp_set_bevcb(s->http, new_bev, s);
    if (cfg->tls_cert[0]) {
        s->ssl = SSL_CTX_new(TLS_server_method());
        if (!s->ssl || SSL_CTX_use_certificate_chain_file(s->ssl, cfg->tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(s->ssl, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(s->ssl) != 1) {
            unsigned long e = ERR_get_error();
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            return levy_err_set(err, LEVY_EINVAL, "tls", "cannot load TLS certificate/key: %s",
                                buf);
        }
        SSL_CTX_set_min_proto_version(s->ssl, TLS1_2_VERSION);
    }
    s->sock = evhttp_bind_socket_with_handle(s->http, cfg->host, (ev_uint16_t)cfg->port);
    if (!s->sock)
        return levy_err_set(err, LEVY_EIO, "listen", "cannot listen on %s: %s", cfg->listen,
                            strerror(errno));
    struct rlimit rl = {0, 0};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur > 1u << 20)
        rl.rlim_cur = 1u << 20;
    /* keep a reserve of descriptors for SQLite, libcurl, static files, inotify, logs */
    long nofile = (long)rl.rlim_cur, reserve = nofile / 8 > 32 ? nofile / 8 : 32;
    s->max_conns = nofile - reserve > 1 ? (int)(nofile - reserve) : 1;
    const char *mc = getenv("LEVY_HTTP_MAX_CONNECTIONS");
    if (mc && *mc) {
        char *e = NULL;
        long v = strtol(mc, &e, 10);
        if (*e || v < 1 || v > 1000000)
            return levy_err_set(err, LEVY_EINVAL, "config",
                                "LEVY_HTTP_MAX_CONNECTIONS must be an integer 1..1000000");
        if (v > nofile - 16)
            hlog(HLOG_WARN,
                 "LEVY_HTTP_MAX_CONNECTIONS=%ld is at or above the fd limit (%ld) less "
                 "what the store and the HTTP client need: accept() will fail first",
                 v, nofile);
        s->max_conns = (int)v;
    }
    s->budget = 128u * 1024 * 1024;
    const char *bb = getenv("LEVY_HTTP_BODY_BUDGET");
    if (bb && *bb) {
        char *e = NULL;
        unsigned long long v = strtoull(bb, &e, 10);
        if (*e || v < 1024 * 1024 || v > (1ull << 40))
            return levy_err_set(
                err, LEVY_EINVAL, "config",
                "LEVY_HTTP_BODY_BUDGET must be a number of bytes, at least 1048576");
        s->budget = v;
    }
    if ((uint64_t)cfg->webhook_max_body > s->budget)
        hlog(HLOG_WARN,
             "the webhook body cap (%zu bytes, --webhook-max-body) is over the "
             "budget for all request bodies in memory (%llu bytes, docs/host.md): a delivery "
             "that large is answered 503",
             cfg->webhook_max_body, (unsigned long long)s->budget);
    s->resume = evtimer_new(base, on_resume, s);
    s->trim = evtimer_new(base, on_trim, s);
    if (!s->resume || !s->trim)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(s->sock), on_accept_error);
    s->next_srv = g_servers;
    g_servers = s;
    hlog(HLOG_DEBUG, "accepting at most %d connections at once (fd limit %ld)", s->max_conns,
         nofile);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(s->sock);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return LEVY_OK;
}

int levy_server_port(const levy_server *s) { return s ? s->port : 0; }

int levy_server_busy(const levy_server *s)
{
    /* g->req: set when evhttp hands the request over (guard_release), cleared when the last
     * byte of its answer was written (on_req_complete); the guard goes with the connection.
     * busy counts the guards with g->req set (guard_set_req). */
    return s && s->busy > 0;
}

void levy_server_hold_accept(levy_server *s, int hold)
{
    if (!s)
        return;
    if (hold)
        s->paused |= PAUSE_HOLD;
    else
        s->paused &= ~PAUSE_HOLD;
    listener_set(s);
}

void levy_server_stop_accepting(levy_server *s)
{
    if (s)
        s->stopping = 1;
    if (s && s->sock) {
        struct evhttp_bound_socket *b = s->sock;
        s->sock = NULL;
        evhttp_del_accept_socket(s->http, b);
    }
    if (s && s->resume)
        event_del(s->resume);
}

void levy_server_free(levy_server *s)
{
    if (!s)
        return;
    for (struct levy_server **pp = &g_servers; *pp; pp = &(*pp)->next_srv)
        if (*pp == s) {
            *pp = s->next_srv;
            break;
        }
    s->sock = NULL; /* freed with the evhttp */
    if (s->resume)
        event_free(s->resume);
    if (s->trim)
        event_free(s->trim);
    s->resume = s->trim = NULL;
    if (s->http)
        evhttp_free(s->http);
    while (s->guards)
        guard_free(s, s->guards);
    free(s->by_bev.slot);
    if (s->ssl)
        SSL_CTX_free(s->ssl);
    free(s);
}
