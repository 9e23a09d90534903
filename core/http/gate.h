#ifndef LEVY_HTTP_GATE_H
#define LEVY_HTTP_GATE_H
/* The request gate (core/http/gate.c): a streaming HTTP/1.1 request-framing checker that
 * runs ahead of evhttp's parser. See docs/host.md "The request gate". */
#include <stddef.h>
#include <stdint.h>

#define LEVY_GATE_MAX_HEAD (32 * 1024) /* request line + headers, bytes as received */
#define LEVY_GATE_MAX_TRAILER (8 * 1024)
enum { LEVY_GATE_HEAD = 0 }; /* waiting for (or inside) a request head */

typedef struct levy_gate_ops {
    /* the body cap of the route method (HEAD as GET) + canonical path will reach */
    uint64_t (*cap)(void *ud, const char *method, const char *path);
    /* k more body bytes are now held in memory: 0, or -1 to refuse (503) */
    int (*hold)(void *ud, size_t k);
} levy_gate_ops;

typedef struct levy_gate {
    int state;          /* LEVY_GATE_HEAD, or internal states; a refusal is final */
    uint64_t remaining; /* body / chunk bytes still to come */
    uint64_t body;      /* body bytes announced so far for this request */
    uint64_t cap;       /* this request's body cap */
    size_t trailer;     /* trailer bytes seen */
    char *hbuf;         /* the head (or a chunk line) being collected, grown as needed */
    size_t hlen, hcap;
    uint64_t heads; /* complete, accepted heads so far */
    /* the refusal, once levy_gate_feed returned -1 */
    int status;
    const char *code;
    char message[128];
    const levy_gate_ops *ops;
    void *ud;
} levy_gate;

void levy_gate_init(levy_gate *g, const levy_gate_ops *ops, void *ud);
/** Feeds the next n bytes of the connection. 0, or -1 once the request is refused (then
 * g->status / g->code / g->message say how to answer; every later call returns -1). */
int levy_gate_feed(levy_gate *g, const char *p, size_t n);
void levy_gate_free(levy_gate *g);

/** NULL when raw is a canonical origin-form request target (path in path, text after '?' in
 * *query), else the reason it is refused (400 bad_request; levy_http_target_status). */
const char *levy_http_target_check(const char *raw, char *path, size_t cap, const char **query);

/** The reason levy_http_target_check gives for a path ending in '/' (other than "/"). */
extern const char levy_http_trailing_slash[];

/** The status for a refusal reason of levy_http_target_check: 404 for a trailing '/' (no
 * route or file has one, so it is an unknown path: CONTRACT §2.1 404 not_found, as
 * "/v1/regions/" is to a client), else 400. *code gets "not_found" or "bad_request". */
int levy_http_target_status(const char *why, const char **code);

#endif
