/* The request gate: follows the framing of every request on a connection (head, then a
 * Content-Length or chunked body, then the next head) over the bytes as they are read, with
 * a parser stricter than evhttp's, and says when a request must be refused before evhttp
 * reads it (docs/host.md "The request gate"). Pure: no I/O; the server feeds it from a
 * callback on the connection's input buffer and writes the answer. Also the canonical
 * request-target check shared with the dispatcher. Fuzzed by tests/fuzz/fuzz_http_gate.c. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/gate.h"

#define GATE_MAX_HEAD LEVY_GATE_MAX_HEAD
#define GATE_MAX_TRAILER LEVY_GATE_MAX_TRAILER
enum {
    G_HEAD = LEVY_GATE_HEAD,
    G_BODY,
    G_CHUNK_SIZE,
    G_CHUNK_DATA,
    G_CHUNK_CRLF,
    G_TRAILER,
    G_DEAD
};

static void gate_fail(levy_gate *g, int status, const char *code, const char *message)
{
    if (g->state == G_DEAD)
        return;
    g->state = G_DEAD;
    g->status = status;
    g->code = code;
    snprintf(g->message, sizeof g->message, "%s", message);
    free(g->hbuf);
    g->hbuf = NULL;
    g->hlen = g->hcap = 0;
}

void levy_gate_init(levy_gate *g, const levy_gate_ops *ops, void *ud)
{
    memset(g, 0, sizeof *g);
    g->state = G_HEAD;
    g->ops = ops;
    g->ud = ud;
}

void levy_gate_free(levy_gate *g)
{
    free(g->hbuf);
    g->hbuf = NULL;
    g->hlen = g->hcap = 0;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The request target must be in canonical origin-form (RFC 9112 §3.2.1), so that the one
 * string used for authorization, route matching and static files cannot be read two ways:
 * starts with '/', no empty segment ("//", or a trailing '/' other than the root), no dot
 * segment ("." or "..", also percent-encoded), only visible ASCII, every '%' followed by two
 * hex digits, no encoded '/', '\\', NUL or control character, no fragment. Absolute-form
 * ("http://x/v1/..."), authority-form and asterisk-form are refused. On success path
 * receives the path part (raw, still percent-encoded) and *query the text after '?' (or
 * NULL). Returns NULL when canonical, else why not. */
const char levy_http_trailing_slash[] =
    "no such path: a request path does not end with '/' (ask for it without the '/')";

int levy_http_target_status(const char *why, const char **code)
{
    int nf = why == levy_http_trailing_slash;
    *code = nf ? "not_found" : "bad_request";
    return nf ? 404 : 400;
}

const char *levy_http_target_check(const char *raw, char *path, size_t cap, const char **query)
{
    *query = NULL;
    if (!raw || raw[0] != '/')
        return "request target must be a path starting with '/' (origin-form)";
    size_t n = strcspn(raw, "?");
    if (n >= cap)
        return "request target is too long";
    for (size_t i = 0; raw[i]; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c <= 0x20 || c >= 0x7f || c == '#')
            return "request target has a character that must be percent-encoded";
        if (c == '%') {
            int hi = hexval((unsigned char)raw[i + 1]),
                lo = hi < 0 ? -1 : hexval((unsigned char)raw[i + 2]);
            if (hi < 0 || lo < 0)
                return "request target has a malformed percent-encoding";
            int d = hi * 16 + lo;
            if (i < n && (d == '/' || d == '\\' || d < 0x20 || d == 0x7f))
                return "request path has an encoded '/', '\\' or control character";
        }
    }
    memcpy(path, raw, n);
    path[n] = '\0';
    if (raw[n] == '?')
        *query = raw + n + 1;
    if (n == 1)
        return NULL;
    if (path[n - 1] == '/')
        return levy_http_trailing_slash;
    for (const char *seg = path + 1;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0)
            return "request path has an empty segment ('//')";
        /* ".", "..", "%2e", "%2E.", ... : a segment that decodes to dots only */
        size_t dots = 0, j = 0;
        while (j < len) {
            if (seg[j] == '.') {
                dots++;
                j++;
            } else if (seg[j] == '%' && j + 2 < len && seg[j + 1] == '2' &&
                       (seg[j + 2] == 'e' || seg[j + 2] == 'E')) {
                dots++;
                j += 3;
            } else {
                break;
            }
        }
        if (j == len && dots <= 2)
            return "request path has a dot segment ('.' or '..')";
        if (!end)
            break;
        seg = end + 1;
    }
    return NULL;
}

static int is_tchar(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

/* Validates one complete head (len bytes, ends with the blank line) and sets the body
 * state. Returns 0, or -1 after gate_reject. Deliberately stricter than evhttp: whatever
 * passes here evhttp parses the same way. */
/* Checks the request head head[0..len). partial: the head is not complete yet; only its
 * complete lines are checked (and nothing is decided about framing or the route), so that a
 * bad request line or header line is refused before evhttp, which parses line by line,
 * answers it itself (it answered "CONNECT x HTTP/4.1\r\nbad\r\n" with two 400s). */
static int gate_head(levy_gate *g, const char *head, size_t len, int partial)
{
    char line[8192 + 64];
    const char *p = head, *end = head + len;
    int first = 1, chunked = 0, ncl = 0, nte = 0, head_method = 0;
    uint64_t cl = 0;
    char method[16] = "", path[8192];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the blank line */
        if (memchr(p, '\r', n) || memchr(p, '\0', n)) {
            gate_fail(g, 400, "bad_request", "bare CR or NUL in the request head");
            return -1;
        }
        if (first) {
            first = 0;
            if (n >= sizeof line) {
                gate_fail(g, 400, "bad_request", "request line is too long");
                return -1;
            }
            memcpy(line, p, n);
            line[n] = '\0';
            char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
            if (!sp1 || !sp2 || strchr(sp2 + 1, ' ') || sp1 == line || sp2 == sp1 + 1 ||
                (strcmp(sp2 + 1, "HTTP/1.1") != 0 && strcmp(sp2 + 1, "HTTP/1.0") != 0)) {
                gate_fail(g, 400, "bad_request", "malformed request line");
                return -1;
            }
            *sp1 = *sp2 = '\0';
            static const char *const M[] = {"GET",    "POST",  "HEAD",   "PUT",
                                            "DELETE", "PATCH", "OPTIONS"};
            int ok = 0;
            for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
                ok |= strcmp(line, M[i]) == 0;
            if (!ok) {
                gate_fail(g, 405, "method_not_allowed", "method not allowed");
                return -1;
            }
            size_t ml = strlen(line); /* one of M[], at most 7 */
            memcpy(method, line, ml + 1);
            head_method = strcmp(method, "HEAD") == 0;
            const char *query;
            const char *why = levy_http_target_check(sp1 + 1, path, sizeof path, &query);
            if (why) {
                const char *code;
                int st = levy_http_target_status(why, &code);
                gate_fail(g, st, code, why);
                return -1;
            }
        } else {
            if (p[0] == ' ' || p[0] == '\t') {
                gate_fail(g, 400, "bad_request", "obsolete line folding in a header");
                return -1;
            }
            size_t k = 0;
            while (k < n && is_tchar((unsigned char)p[k]))
                k++;
            if (k == 0 || k >= n || p[k] != ':') {
                gate_fail(g, 400, "bad_request",
                          k == 0 ? "empty or invalid header name"
                                 : "header name with a space or other invalid character");
                return -1;
            }
            const char *v = p + k + 1, *ve = p + n;
            for (const char *q = v; q < ve; q++)
                if ((unsigned char)*q < 0x20 && *q != '\t') {
                    gate_fail(g, 400, "bad_request", "control character in a header value");
                    return -1;
                }
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vl = (size_t)(ve - v);
            if (k == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
                uint64_t x = 0;
                if (vl == 0 || vl > 18) {
                    gate_fail(g, 400, "bad_request", "invalid Content-Length");
                    return -1;
                }
                for (size_t i = 0; i < vl; i++) {
                    if (v[i] < '0' || v[i] > '9') {
                        gate_fail(g, 400, "bad_request", "invalid Content-Length");
                        return -1;
                    }
                    x = x * 10 + (uint64_t)(v[i] - '0');
                }
                if (ncl++ && x != cl) {
                    gate_fail(g, 400, "bad_request", "conflicting Content-Length headers");
                    return -1;
                }
                cl = x;
            } else if (k == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
                nte++;
                if (vl != 7 || strncasecmp(v, "chunked", 7) != 0 || nte > 1) {
                    gate_fail(g, 400, "bad_request",
                              "unsupported Transfer-Encoding (only one 'chunked')");
                    return -1;
                }
                chunked = 1;
            } else if (k == 6 && strncasecmp(p, "Expect", 6) == 0) {
                if (vl != 12 || strncasecmp(v, "100-continue", 12) != 0) {
                    gate_fail(g, 417, "expectation_failed",
                              "only Expect: 100-continue is supported");
                    return -1;
                }
            }
        }
        p = nl + 1;
    }
    if (partial)
        return 0;
    if (first) {
        gate_fail(g, 400, "bad_request", "empty request line");
        return -1;
    }
    if (chunked && ncl) {
        gate_fail(g, 400, "bad_request", "both Content-Length and Transfer-Encoding");
        return -1;
    }
    if (head_method && (chunked || cl)) {
        gate_fail(g, 400, "bad_request", "a HEAD request has no body");
        return -1;
    }
    /* the cap of the route this request will reach, known before any body byte is read */
    const char *rmethod = head_method ? "GET" : method;
    g->cap = g->ops->cap(g->ud, rmethod, path);
    if (cl > g->cap) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body is over the limit of %llu bytes",
                 (unsigned long long)g->cap);
        gate_fail(g, 413, "payload_too_large", msg);
        return -1;
    }
    g->body = cl;
    g->trailer = 0;
    g->heads++;
    if (chunked) {
        g->state = G_CHUNK_SIZE;
    } else if (cl) {
        g->state = G_BODY;
        g->remaining = cl;
    } else {
        g->state = G_HEAD;
    }
    return 0;
}

/* Room for need bytes (+ NUL) in g->hbuf, grown as the bytes come (a 1-byte slowloris costs
 * bytes, not a 32 KiB buffer). 0, or -1 out of memory. */
static int hbuf_reserve(levy_gate *g, size_t need)
{
    if (need + 1 <= g->hcap)
        return 0;
    size_t cap = g->hcap ? g->hcap : 256;
    while (cap < need + 1)
        cap *= 2;
    char *p = realloc(g->hbuf, cap);
    if (!p)
        return -1;
    g->hbuf = p;
    g->hcap = cap;
    return 0;
}

/* Collects a line of at most max bytes (without LF) into g->hbuf from p[0..n). Returns the
 * bytes consumed; *done set when the line is complete (CR stripped, NUL-terminated), -1 when
 * it is too long. */
static long gate_collect(levy_gate *g, const char *p, size_t n, size_t max, int *done)
{
    *done = 0;
    const char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) : n;
    if (g->hlen + k > max || hbuf_reserve(g, g->hlen + k + 1) != 0)
        return -1;
    memcpy(g->hbuf + g->hlen, p, k);
    g->hlen += k;
    if (!nl)
        return (long)k;
    if (g->hlen && g->hbuf[g->hlen - 1] == '\r')
        g->hlen--;
    g->hbuf[g->hlen] = '\0';
    *done = 1;
    return (long)k + 1;
}

int levy_gate_feed(levy_gate *g, const char *p, size_t n)
{
    while (n) {
        int done = 0;
        long used;
        switch (g->state) {
        case G_DEAD:
            return -1;
        case G_HEAD: {
            if (g->hlen == 0) { /* a CRLF between requests is tolerated (RFC 9112 §2.2) */
                while (n && (*p == '\r' || *p == '\n')) {
                    p++;
                    n--;
                }
                if (!n)
                    return 0;
            }
            size_t room = GATE_MAX_HEAD - g->hlen, k = n < room ? n : room;
            if (hbuf_reserve(g, g->hlen + k) != 0) {
                gate_fail(g, 503, "unavailable", "out of memory");
                return -1;
            }
            size_t from = g->hlen > 2 ? g->hlen - 2 : 0, old = g->hlen;
            memcpy(g->hbuf + g->hlen, p, k);
            g->hlen += k;
            size_t end = 0;
            for (size_t i = from; i < g->hlen; i++) {
                if (g->hbuf[i] != '\n')
                    continue;
                if (i + 1 < g->hlen && g->hbuf[i + 1] == '\n') {
                    end = i + 2;
                    break;
                }
                if (i + 2 < g->hlen && g->hbuf[i + 1] == '\r' && g->hbuf[i + 2] == '\n') {
                    end = i + 3;
                    break;
                }
            }
            if (!end) {
                if (g->hlen >= GATE_MAX_HEAD) {
                    gate_fail(g, 431, "headers_too_large", "request head is over 32 KiB");
                    return -1;
                }
                if (memchr(g->hbuf + old, '\n', k) && gate_head(g, g->hbuf, g->hlen, 1) != 0)
                    return -1;
                return 0;
            }
            size_t used_new = end - old;
            if (gate_head(g, g->hbuf, end, 0) != 0)
                return -1;
            free(g->hbuf);
            g->hbuf = NULL;
            g->hlen = g->hcap = 0;
            p += used_new;
            n -= used_new;
            break;
        }
        case G_BODY:
        case G_CHUNK_DATA: {
            size_t k = n < g->remaining ? n : (size_t)g->remaining;
            if (k && g->ops->hold(g->ud, k) != 0) {
                gate_fail(g, 503, "unavailable",
                          "too many request bodies in flight; retry shortly");
                return -1;
            }
            g->remaining -= k;
            p += k;
            n -= k;
            if (!g->remaining)
                g->state = g->state == G_BODY ? G_HEAD : G_CHUNK_CRLF;
            break;
        }
        case G_CHUNK_SIZE:
            used = gate_collect(g, p, n, 32, &done);
            if (used < 0) {
                gate_fail(g, 400, "bad_request", "malformed chunk size");
                return -1;
            }
            p += used;
            n -= (size_t)used;
            if (done) {
                uint64_t x = 0;
                int bad = g->hlen == 0 || g->hlen > 15;
                for (size_t i = 0; !bad && i < g->hlen; i++) {
                    int d = hexval((unsigned char)g->hbuf[i]);
                    bad = d < 0;
                    x = x * 16 + (uint64_t)(d < 0 ? 0 : d);
                }
                g->hlen = 0;
                if (bad) {
                    gate_fail(g, 400, "bad_request", "malformed chunk size");
                    return -1;
                }
                if (x > g->cap || g->body + x > g->cap) {
                    char msg[96];
                    snprintf(msg, sizeof msg, "request body is over the limit of %llu bytes",
                             (unsigned long long)g->cap);
                    gate_fail(g, 413, "payload_too_large", msg);
                    return -1;
                }
                g->body += x;
                g->remaining = x;
                g->state = x ? G_CHUNK_DATA : G_TRAILER;
            }
            break;
        case G_CHUNK_CRLF:
            used = gate_collect(g, p, n, 1, &done);
            if (used < 0 || (done && g->hlen != 0)) {
                gate_fail(g, 400, "bad_request", "chunk data not followed by CRLF");
                return -1;
            }
            p += used;
            n -= (size_t)used;
            if (done) {
                g->hlen = 0;
                g->state = G_CHUNK_SIZE;
            }
            break;
        case G_TRAILER:
            used = gate_collect(g, p, n, GATE_MAX_TRAILER, &done);
            if (used < 0 || (g->trailer += (size_t)used) > GATE_MAX_TRAILER) {
                gate_fail(g, 431, "headers_too_large", "chunked trailer is over 8 KiB");
                return -1;
            }
            p += used;
            n -= (size_t)used;
            if (done) {
                size_t k = 0;
                while (k < g->hlen && is_tchar((unsigned char)g->hbuf[k]))
                    k++;
                if (g->hlen && (k == 0 || k >= g->hlen || g->hbuf[k] != ':')) {
                    gate_fail(g, 400, "bad_request", "malformed trailer field");
                    return -1;
                }
                if (!g->hlen) {
                    free(g->hbuf);
                    g->hbuf = NULL;
                    g->hcap = 0;
                    g->state = G_HEAD;
                }
                g->hlen = 0;
            }
            break;
        }
    }
    return 0;
}
