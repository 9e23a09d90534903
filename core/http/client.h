#ifndef LEVY_HTTP_CLIENT_H
#define LEVY_HTTP_CLIENT_H
/* Outbound HTTP: one libcurl multi handle driven by the process's libevent loop (socket and
 * timer callbacks). Requests complete through a C callback; the Lua binding (bind_http.c)
 * parks the calling coroutine and resumes it from that callback. TLS peers are verified;
 * connections are kept alive and reused by the multi handle's cache. */
#include <stddef.h>

#include "levy.h"

struct event_base;
typedef struct levy_http_client levy_http_client;

#define LEVY_HTTP_MAX_RESPONSE ((size_t)16 << 20)

typedef struct levy_http_header {
    char *name; /* lower-case */
    char *value;
} levy_http_header;

typedef struct levy_http_result {
    int ok; /* 1: a response arrived (any status) */
    long status;
    levy_http_header *headers;
    int nheaders;
    char *body; /* NUL-terminated, body_len bytes */
    size_t body_len;
    const char *code; /* when !ok: "timeout", "connect", "tls", "too_large", "resolve", "network" */
    char message[256];
} levy_http_result;

typedef struct levy_http_request {
    const char *method; /* default "GET" */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated, or NULL */
    const char *body;
    size_t body_len;
    long timeout_ms;         /* total; default 15000 */
    long connect_timeout_ms; /* default min(timeout, 5000) */
} levy_http_request;

/* Called once per request, on the loop. res is valid only during the call. */
typedef void (*levy_http_done_fn)(void *ud, const levy_http_result *res);

int levy_http_client_new(levy_http_client **out, struct event_base *base, levy_err *err);
/** Aborts pending transfers (their callbacks are NOT called) and frees the client. */
void levy_http_client_free(levy_http_client *c);
/** Starts a request. The strings in req are copied. */
int levy_http_client_request(levy_http_client *c, const levy_http_request *req,
                             levy_http_done_fn done, void *ud, levy_err *err);
/** Transfers in flight. */
int levy_http_client_active(const levy_http_client *c);
/** "libcurl/7.88.1 OpenSSL/3.0..." */
const char *levy_http_client_version(void);

#endif
