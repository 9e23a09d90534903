#ifndef LEVY_HTTP_SERVER_H
#define LEVY_HTTP_SERVER_H
/* The HTTP server (core/http/server.c): evhttp on the host's loop, the request gate, the
 * canonical request target, connection limits, slow-client deadlines, TLS, static files and
 * the reply helpers. It knows nothing of routes, Lua or the store: every request that passes
 * its checks goes to the dispatch callback the host gives it (as evhttp_set_gencb does in
 * libevent itself), and the gate asks the host for a route's body cap. docs/host.md
 * "Requests". */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "levy.h"

struct event_base;
struct evbuffer;
struct evhttp_request;
typedef struct levy_server levy_server;

/* What the server asks of whoever owns the routes (the host, core/host/routes.c). */
typedef struct levy_server_ops {
    /* A request that passed the framing and target checks: method as sent ("HEAD" too), the
     * canonical path, the text after '?' (NULL when none). path and query are valid during
     * the call only. Must answer req, now or later (levy_http_reply / levy_http_error). */
    void (*dispatch)(void *ud, struct evhttp_request *req, const char *method, const char *path,
                     const char *query);
    /* The body cap in bytes of the route method (HEAD as GET) + canonical path will reach,
     * asked by the gate when a head is complete; *webhook = 1 when that route is a webhook
     * intake (a 413 there is logged at WARN naming --webhook-max-body). */
    uint64_t (*body_cap)(void *ud, const char *method, const char *path, int *webhook);
    void *ud;
} levy_server_ops;

/** Listens on cfg->listen (TLS when cfg->tls_cert is set) on base; cfg and ops (copied) must
 * outlive the server. *out is set even on failure (free it with levy_server_free). */
int levy_server_start(levy_server **out, struct event_base *base, const levy_config *cfg,
                      const levy_server_ops *ops, levy_err *err);
/** hold 1: the listener stays bound and listening but accepts nothing (connections wait in
 * the kernel's backlog: a short start looks like a slow first answer, not a 503); hold 0:
 * accepting again (unless paused for another reason). */
void levy_server_hold_accept(levy_server *s, int hold);
/** Stops accepting connections; requests still arriving on open ones are answered 503
 * "server is shutting down". */
void levy_server_stop_accepting(levy_server *s);
void levy_server_free(levy_server *s);
/** 1 while a request on an open connection has not been answered to the end: dispatched and
 * not answered yet, or its answer still (partly) in the connection's output buffer. A
 * graceful stop waits for it (the loop ending frees the buffer with the connection). */
int levy_server_busy(const levy_server *s);
/** The port it listens on (cfg->port 0 picks one). */
int levy_server_port(const levy_server *s);

/* ---- replies (every answer goes through these: security headers, the request counter) -- */

/** Sends status with body (copied; NULL = none) and ctype (unless the handler set one);
 * adds X-Content-Type-Options, X-Frame-Options, Referrer-Policy and, for JSON, a CSP
 * (a header the handler already set wins). Does not count the request. */
void levy_http_reply(struct evhttp_request *req, int status, const char *ctype,
                     struct evbuffer *body);
/** {"error":{"code","message"}} with status (401: WWW-Authenticate; 503: Retry-After),
 * counted under route. */
void levy_http_error(struct evhttp_request *req, const char *route, int status, const char *code,
                     const char *message);
/** levy_http_requests_total{route, status} += 1. */
void levy_http_count(const char *route, int status);
/** Appends s as a JSON string literal (levy_json_escape: ill-formed UTF-8 becomes U+FFFD). */
void levy_http_json_str(struct evbuffer *b, const char *s);
/** Serves the file path (canonical request path) under web_dir ("/" is index.html, a
 * directory its index.html; realpath must stay inside web_dir): 1 when answered, 0 when
 * there is no such file. */
int levy_http_static(struct evhttp_request *req, const char *web_dir, const char *path, int head);

#endif
