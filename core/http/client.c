/* libcurl multi on libevent (the hiperfifo pattern). libcurl is loaded at the first request
 * (core/http/curl_dl.h, issue 21: an idle levy that has called nothing out maps neither it nor
 * the libraries it pulls in), and the multi handle is made then. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http/client.h"
#include "http/curl_dl.h"
#include "json_scan.h"
#include "log.h"

struct levy_http_client {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int active;
    struct xfer *head; /* transfers in flight */
};

typedef struct xfer {
    levy_http_client *c;
    struct xfer *prev, *next;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;    /* request body copy */
    levy_buf resp; /* the response body */
    int too_large;
    levy_http_header *h;
    int nh, caph;
    levy_http_done_fn done;
    void *ud;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

typedef struct sockctx {
    struct event *ev;
    levy_http_client *c;
} sockctx;

static void check_multi(levy_http_client *c);

static void free_headers(xfer *x)
{
    for (int i = 0; i < x->nh; i++) {
        free(x->h[i].name);
        free(x->h[i].value);
    }
    x->nh = 0;
}

static void unlink_xfer(xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else if (x->c->head == x)
        x->c->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

static void xfer_free(xfer *x)
{
    if (!x)
        return;
    unlink_xfer(x);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->hdrs);
    free(x->body);
    levy_buf_free(&x->resp);
    free_headers(x);
    free(x->h);
    free(x);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (x->resp.len + n > LEVY_HTTP_MAX_RESPONSE) {
        x->too_large = 1;
        return 0;
    }
    levy_buf_put(&x->resp, ptr, n);
    if (x->resp.oom)
        return 0;
    return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    xfer *x = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        free_headers(x); /* a new response (after 100 Continue) */
        return n;
    }
    const char *colon = memchr(buf, ':', n);
    if (!colon)
        return n;
    if (x->nh == x->caph) {
        int cap = x->caph ? x->caph * 2 : 16;
        levy_http_header *h = realloc(x->h, (size_t)cap * sizeof *h);
        if (!h)
            return 0;
        x->h = h;
        x->caph = cap;
    }
    size_t nl = (size_t)(colon - buf);
    const char *v = colon + 1;
    const char *end = buf + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    char *name = strndup(buf, nl), *value = strndup(v, (size_t)(end - v));
    if (!name || !value) {
        free(name);
        free(value);
        return 0;
    }
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    x->h[x->nh].name = name;
    x->h[x->nh].value = value;
    x->nh++;
    return n;
}

static void on_event(evutil_socket_t fd, short kind, void *arg)
{
    levy_http_client *c = arg;
    int flags = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_multi(c);
}

static void on_timer(evutil_socket_t fd, short kind, void *arg)
{
    (void)fd;
    (void)kind;
    levy_http_client *c = arg;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi(c);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    levy_http_client *c = userp;
    sockctx *sc = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            event_free(sc->ev);
            free(sc);
            curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                         (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc)
            return -1;
        sc->c = c;
        curl_multi_assign(c->multi, s, sc);
    } else {
        event_free(sc->ev);
    }
    sc->ev = event_new(c->base, s, kind, on_event, c);
    if (!sc->ev)
        return -1;
    event_add(sc->ev, NULL);
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    levy_http_client *c = userp;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return 0;
}

static const char *map_code(CURLcode rc, int too_large)
{
    if (too_large)
        return "too_large";
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "resolve";
    case CURLE_COULDNT_CONNECT:
        return "connect";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return "tls";
    default:
        return "network";
    }
}

static void check_multi(levy_http_client *c)
{
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        xfer *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(c->multi, easy);
        c->active--;
        levy_http_result res;
        memset(&res, 0, sizeof res);
        if (rc == CURLE_OK) {
            res.ok = 1;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res.status);
            res.headers = x->h;
            res.nheaders = x->nh;
            res.body = x->resp.data ? x->resp.data : "";
            res.body_len = x->resp.len;
        } else {
            res.code = map_code(rc, x->too_large);
            snprintf(res.message, sizeof res.message, "%s",
                     x->too_large   ? "response larger than 16 MiB"
                     : x->errbuf[0] ? x->errbuf
                                    : curl_easy_strerror(rc));
        }
        x->done(x->ud, &res);
        xfer_free(x);
    }
}

int levy_http_client_new(levy_http_client **out, struct event_base *base, levy_err *err)
{
    *out = NULL;
    levy_http_client *c = calloc(1, sizeof *c);
    if (!c)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    c->base = base;
    c->timer = evtimer_new(base, on_timer, c);
    if (!c->timer) {
        levy_http_client_free(c);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    *out = c;
    return LEVY_OK;
}

/* The first request's: libcurl loaded and initialised, the multi handle on the loop. */
static int client_start(levy_http_client *c, levy_err *err)
{
    static int inited, said; /* the loop's thread only */
    int rc = levy_curl_load(err);
    if (rc != LEVY_OK) {
        /* the caller's error (a plugin may answer 503 without it) is said once in the log;
         * each request tries the load again, so installing the library is enough */
        if (!said++)
            levy_log(LEVY_LOG_ERROR, "core", "outbound HTTP: %s", err ? err->message : "");
        return rc;
    }
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    c->multi = curl_multi_init();
    if (!c->multi)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "cannot create curl multi handle");
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
    return LEVY_OK;
}

void levy_http_client_free(levy_http_client *c)
{
    if (!c)
        return;
    if (c->multi) {
        /* abort what is left; callbacks are not called */
        while (c->head) {
            xfer *x = c->head;
            curl_multi_remove_handle(c->multi, x->easy);
            xfer_free(x);
        }
        curl_multi_cleanup(c->multi);
    }
    if (c->timer)
        event_free(c->timer);
    free(c);
}

int levy_http_client_request(levy_http_client *c, const levy_http_request *req,
                             levy_http_done_fn done, void *ud, levy_err *err)
{
    int rc;
    if (!c->multi && (rc = client_start(c, err)) != LEVY_OK)
        return rc;
    xfer *x = calloc(1, sizeof *x);
    if (!x)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    x->c = c;
    x->done = done;
    x->ud = ud;
    x->easy = curl_easy_init();
    if (!x->easy)
        goto oom;
    CURL *e = x->easy;
    const char *method = req->method ? req->method : "GET";
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : 15000;
    long ctimeout =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : (timeout < 5000 ? timeout : 5000);
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "levy/" LEVY_VERSION);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    if (req->body) {
        x->body = malloc(req->body_len + 1);
        if (!x->body)
            goto oom;
        memcpy(x->body, req->body, req->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    x->hdrs = curl_slist_append(NULL, "Expect:");
    for (int i = 0; req->headers && req->headers[i]; i++) {
        struct curl_slist *n = curl_slist_append(x->hdrs, req->headers[i]);
        if (!n)
            goto oom;
        x->hdrs = n;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        xfer_free(x);
        return levy_err_set(err, LEVY_EINTERNAL, "internal", "curl_multi_add_handle failed");
    }
    c->active++;
    x->next = c->head;
    if (c->head)
        c->head->prev = x;
    c->head = x;
    return LEVY_OK;
oom:
    xfer_free(x);
    return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
}

int levy_http_client_active(const levy_http_client *c) { return c ? c->active : 0; }

const char *levy_http_client_version(void)
{
    return levy_curl_load(NULL) == LEVY_OK ? curl_version() : "libcurl not loadable";
}
