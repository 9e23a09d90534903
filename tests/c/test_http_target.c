/* The request-target check (issue 15 finding 1): one canonical origin-form path is the only
 * string used for authorization, routing and static files; everything else is refused.
 * The route table: a route without `auth` is not open, `max_body` reaches the C side.
 * The request gate (findings 4, 14): what it refuses, and that the verdict does not depend
 * on how the bytes are split into reads. */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "gen.h"
#include "harness.h"
#include "config.h"
#include "host/host.h"
#include "http/gate.h"
#include "http/server.h"

static void t_canonical(void)
{
    static const struct {
        const char *target, *path, *query;
    } ok[] = {
        {"/", "/", NULL},
        {"/healthz", "/healthz", NULL},
        {"/v1/reports/liability?from=2026-01-01&to=2026-12-31&format=csv", "/v1/reports/liability",
         "from=2026-01-01&to=2026-12-31&format=csv"},
        {"/v1/invoices/inv%20x", "/v1/invoices/inv%20x", NULL},
        {"/js/core.js", "/js/core.js", NULL},
        {"/a/...b/.c", "/a/...b/.c", NULL},                              /* not dot segments */
        {"/v1/x?url=http://a//b/../c", "/v1/x", "url=http://a//b/../c"}, /* the query is data */
    };
    char path[256];
    const char *q = NULL;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *why = levy_http_target_check(ok[i].target, path, sizeof path, &q);
        if (why)
            fprintf(stderr, "  %s: %s\n", ok[i].target, why);
        CHECK(why == NULL);
        CHECK_EQ_STR(path, ok[i].path);
        CHECK((q == NULL) == (ok[i].query == NULL));
        if (q)
            CHECK_EQ_STR(q, ok[i].query);
    }
end:;
}

static void t_refused(void)
{
    static const char *const bad[] = {
        "v1/reports/exposure",                       /* no leading '/' */
        "http://x//v1/reports/liability?format=csv", /* absolute-form */
        "http://x/v1/reports/exposure",
        "x:443", /* authority-form */
        "*",     /* asterisk-form */
        "",
        "//v1/reports/exposure", /* empty segments */
        "/v1//reports/exposure",
        "/v1/reports/exposure/", /* trailing '/' */
        "/v1%2Freports/exposure",
        "/v1%2freports", /* encoded '/' */
        "/v1%5Creports",
        "/v1/a%00b",
        "/v1/a%0a", /* encoded '\\', NUL, LF */
        "/./v1/reports/exposure",
        "/x/../v1/reports/exposure",
        "/v1/reports/..",
        "/%2e/v1",
        "/%2E%2e/v1",
        "/.%2E/v1",
        "/v1/.",
        "/v1/a b",
        "/v1/\x7f",
        "/v1/\xc3\xa9", /* raw SP, DEL, non-ASCII */
        "/v1/a%zz",
        "/v1/a%4",
        "/v1/a%", /* malformed percent-encoding */
        "/v1/x#frag",
    };
    char path[256];
    const char *q = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = levy_http_target_check(bad[i], path, sizeof path, &q);
        if (!why)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK(why != NULL);
    }
    CHECK(levy_http_target_check(NULL, path, sizeof path, &q) != NULL);
    /* a trailing '/' is an unknown path (CONTRACT §2.1: 404 not_found), the rest 400 */
    const char *code = NULL;
    CHECK(levy_http_target_status(levy_http_target_check("/v1/regions/", path, sizeof path, &q),
                                  &code) == 404);
    CHECK_EQ_STR(code, "not_found");
    CHECK(levy_http_target_status(levy_http_target_check("/v1//regions", path, sizeof path, &q),
                                  &code) == 400);
    CHECK_EQ_STR(code, "bad_request");
    /* too long for the caller's buffer: refused, not cut */
    CHECK(levy_http_target_check("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", path, 16, &q) !=
          NULL);
end:;
}

static void t_route_table(void)
{
    char root[64], cmd[400], pd[300], sd[300], file[400];
    snprintf(root, sizeof root, "/tmp/levy-test-target-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/plugins/p %s/scripts", root, root, root);
    levy_gen *g = NULL;
    levy_gen_errors errs;
    memset(&errs, 0, sizeof errs);
    CHECK(system(cmd) == 0);
    snprintf(file, sizeof file, "%s/plugins/p/handler.lua", root);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("return { name = 'p', version = '1', routes = {\n"
          "  { method = 'GET', path = '/outside/v1', handler = function() return 200, {} end },\n"
          "  { method = 'POST', path = '/hook', auth = 'none', max_body = 4096, handler = "
          "function() return 200, {} end },\n"
          "  { method = 'GET', path = '/hook', auth = 'token', handler = function() return 200, {} "
          "end } } }\n",
          f);
    fclose(f);
    snprintf(pd, sizeof pd, "%s/plugins", root);
    snprintf(sd, sizeof sd, "%s/scripts", root);
    levy_gen_opts o;
    memset(&o, 0, sizeof o);
    o.plugins_dir = pd;
    o.scripts_dir = sd;
    o.role = "serve";
    o.id = 1;
    CHECK_EQ_INT(levy_gen_build(&g, &o, &errs, NULL, NULL), LEVY_OK);
    levy_route_match m;
    int known = 0;
    CHECK(levy_gen_match(g, "GET", "/outside/v1", &m, &known));
    CHECK(m.route->auth == LEVY_AUTH_DEFAULT); /* not "none": the server asks for the token */
    CHECK_EQ_INT((int)m.route->max_body, 0);   /* the host default */
    levy_route_match_free(&m);
    CHECK(levy_gen_match(g, "POST", "/hook", &m, &known));
    CHECK(m.route->auth == LEVY_AUTH_NONE);
    CHECK_EQ_INT((int)m.route->max_body, 4096);
    levy_route_match_free(&m);
    CHECK(!levy_gen_match(g, "PUT", "/hook", &m, &known));
    CHECK_EQ_INT(known, LEVY_PATH_KNOWN_OPEN | LEVY_PATH_KNOWN_PROTECTED);
    levy_route_match_free(&m);
    levy_gen_unref(g);
    g = NULL;
    /* max_body out of range is a load error */
    f = fopen(file, "w");
    CHECK(f != NULL);
    fputs("return { name = 'p', version = '1', routes = {\n"
          "  { method = 'POST', path = '/x', max_body = 0, handler = function() return 200, {} end "
          "} } }\n",
          f);
    fclose(f);
    levy_gen_errors_free(&errs);
    memset(&errs, 0, sizeof errs);
    CHECK(levy_gen_build(&g, &o, &errs, NULL, NULL) != LEVY_OK);
    CHECK(errs.n == 1 && strstr(errs.v[0].message, "max_body") != NULL);
end:
    if (g)
        levy_gen_unref(g);
    levy_gen_errors_free(&errs);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        return;
}

static uint64_t held_total;

static uint64_t cap_of(void *ud, const char *method, const char *path)
{
    (void)ud;
    (void)method;
    return strncmp(path, "/small", 6) == 0 ? 10 : 1024;
}

static int hold(void *ud, size_t k)
{
    (void)ud;
    if (held_total + k > 4096)
        return -1;
    held_total += k;
    return 0;
}

static const levy_gate_ops OPS = {cap_of, hold};

/* Feeds data in pieces of `step` bytes (0 = whole); returns the status (0 = accepted) and
 * the number of accepted heads in *heads. */
static int run_gate(const char *data, size_t len, size_t step, uint64_t *heads)
{
    levy_gate g;
    levy_gate_init(&g, &OPS, NULL);
    held_total = 0;
    int st = 0;
    for (size_t i = 0; i < len && !st;) {
        size_t k = step && len - i > step ? step : len - i;
        if (levy_gate_feed(&g, data + i, k) != 0)
            st = g.status;
        i += k;
    }
    *heads = g.heads;
    levy_gate_free(&g);
    return st;
}

static void t_gate(void)
{
    static const struct {
        const char *data;
        int status;
        uint64_t heads;
    } C[] = {
        {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 0, 1},
        {"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 0, 2},
        {"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n", 0, 2},
        {"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
         "GET /b HTTP/1.1\r\n\r\n",
         0, 2},
        {"\r\nGET /a HTTP/1.1\n\n", 0, 1},
        /* finding 14 */
        {"POST /a HTTP/1.1\r\nContent-Length : 34\r\n\r\n", 400, 0},
        {"GET /a HTTP/1.1\r\nContent-Length\t: 0\r\n\r\n", 400, 0},
        {"GET /a HTTP/1.1\r\n: x\r\n\r\n", 400, 0},
        {"GET /a HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n", 400, 0},
        {"GET /a HTTP/1.1\r\nX-A: b\r\n\tc\r\n\r\n", 400, 0},
        {"GET /a HTTP/1.1\r\nX-A: b\rc\r\n\r\n", 400, 0},
        {"POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", 400, 0},
        {"POST /a HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 0},
        {"POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400, 0},
        {"POST /a HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400, 0},
        {"HEAD /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400, 0},
        {"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\n", 400,
         1},
        {"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", 400, 1},
        {"GET a HTTP/1.1\r\n\r\n", 400, 0},
        {"GET http://x//a HTTP/1.1\r\n\r\n", 400, 0},
        {"GET /a HTTP/2.0\r\n\r\n", 400, 0},
        {"GET  /a HTTP/1.1\r\n\r\n", 400, 0},
        {"TRACE /a HTTP/1.1\r\n\r\n", 405, 0},
        {"POST /a HTTP/1.1\r\nExpect: bogus\r\n\r\n", 417, 0},
        /* finding 4: caps from the head, chunked running totals, the budget */
        {"POST /small HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413, 0},
        {"POST /small HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", 0, 1},
        {"POST /small HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", 413, 1},
        {"POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, 0},
        {"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400, 1},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        size_t len = strlen(C[i].data);
        for (size_t step = 0; step <= 7; step++) {
            uint64_t heads = 0;
            int st = run_gate(C[i].data, len, step, &heads);
            if (st != C[i].status || heads != C[i].heads)
                fprintf(stderr, "  case %zu step %zu: status %d heads %llu\n", i, step, st,
                        (unsigned long long)heads);
            CHECK_EQ_INT(st, C[i].status);
            CHECK_EQ_INT((int)heads, (int)C[i].heads);
        }
    }
    /* a head over 32 KiB: 431, whatever the reads */
    {
        size_t n = LEVY_GATE_MAX_HEAD + 100;
        char *big = malloc(n + 1);
        CHECK(big != NULL);
        memcpy(big, "GET /a HTTP/1.1\r\nX: ", 20);
        memset(big + 20, 'a', n - 20);
        big[n] = '\0';
        uint64_t heads = 0;
        int st = run_gate(big, n, 1000, &heads);
        free(big);
        CHECK_EQ_INT(st, 431);
    }
    /* the budget: 4096 bytes held at most, here by one request's body */
    {
        char req[6000];
        int k = snprintf(req, sizeof req, "POST /a HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
        memset(req + k, 'b', 1000);
        uint64_t heads = 0;
        levy_gate g;
        levy_gate_init(&g, &OPS, NULL);
        held_total = 4000;
        CHECK(levy_gate_feed(&g, req, (size_t)k + 1000) == -1);
        CHECK_EQ_INT(g.status, 503);
        CHECK(levy_gate_feed(&g, "x", 1) == -1); /* final */
        levy_gate_free(&g);
        (void)heads;
    }
end:;
}

/* levy_http_json_str is the one JSON string escaper (levy_json_escape): a control character
 * escaped as JSON names it, DEL escaped, ill-formed UTF-8 replaced by U+FFFD (a body levy
 * sends is valid JSON and UTF-8), valid UTF-8 kept. */
static void t_json_str(void)
{
    struct evbuffer *b = evbuffer_new();
    char out[128] = "";
    CHECK(b != NULL);
    levy_http_json_str(b, "a\"b\\\n\b\f\x01\x7f \xc3\xa9 \xff.");
    size_t n = evbuffer_get_length(b);
    CHECK(n < sizeof out);
    evbuffer_remove(b, out, n);
    CHECK_EQ_STR(out, "\"a\\\"b\\\\\\n\\b\\f\\u0001\\u007f \xc3\xa9 \xef\xbf\xbd.\"");
end:
    if (b)
        evbuffer_free(b);
}

/* libevent's own formatting (evbuffer_add_vprintf is not replaced) of fmt with the args */
static int ref_printf(struct evbuffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
    return n;
}

/* server.c's evbuffer_add_printf (issue 21: an answer's head without vfprintf) writes what
 * libevent's formatting writes, byte for byte and with the same return value, for the two
 * formats evhttp writes a head with and any other; it is the definition the process resolves
 * the name to (so libevent_extra's calls reach it). */
static void t_head_printf(void)
{
    struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
    char big[1500];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *strs[] = {"Content-Type", "application/json", "",        "X",
                          NULL,           big + 1000,         big + 600, big + 505,
                          big + 504,      big + 503,          big + 492, big};
    const int ints[] = {0, 1, 9, 10, 200, 404, -1, -42, INT_MAX, INT_MIN, 1000000};
    const size_t ns = sizeof strs / sizeof strs[0], ni = sizeof ints / sizeof ints[0];
    int cases = 0;
    CHECK(a && b);
    CHECK(dlsym(RTLD_DEFAULT, "evbuffer_add_printf") == (void *)evbuffer_add_printf);
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            CHECK_EQ_INT(evbuffer_add_printf(a, "%s: %s\r\n", strs[i], strs[j]),
                         ref_printf(b, "%s: %s\r\n", strs[i], strs[j]));
            cases++;
        }
    for (size_t i = 0; i < ni; i++)
        for (size_t j = 0; j < ni; j++)
            for (size_t k = 0; k < ns; k++) {
                int c = ints[(i + j + k) % ni];
                CHECK_EQ_INT(
                    evbuffer_add_printf(a, "HTTP/%d.%d %d %s\r\n", ints[i], ints[j], c, strs[k]),
                    ref_printf(b, "HTTP/%d.%d %d %s\r\n", ints[i], ints[j], c, strs[k]));
                cases++;
            }
    /* other formats, and formats that only start like the two */
    CHECK_EQ_INT(evbuffer_add_printf(a, "%s %s HTTP/%d.%d\r\n", "GET", "/x", 1, 1),
                 ref_printf(b, "%s %s HTTP/%d.%d\r\n", "GET", "/x", 1, 1));
    CHECK_EQ_INT(evbuffer_add_printf(a, "%s: %s", "a", "b"), ref_printf(b, "%s: %s", "a", "b"));
    CHECK_EQ_INT(evbuffer_add_printf(a, "HTTP/%d.%d %d %s", 1, 0, 200, "OK"),
                 ref_printf(b, "HTTP/%d.%d %d %s", 1, 0, 200, "OK"));
    CHECK_EQ_INT(evbuffer_add_printf(a, "%ld-%c", 12345L, 'z'),
                 ref_printf(b, "%ld-%c", 12345L, 'z'));
    CHECK_EQ_INT(evbuffer_add_printf(a, "plain"), ref_printf(b, "plain"));
    CHECK(cases > 1000);
    size_t la = evbuffer_get_length(a), lb = evbuffer_get_length(b);
    CHECK_EQ_INT(la, lb);
    CHECK(memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), la) == 0);
end:
    if (a)
        evbuffer_free(a);
    if (b)
        evbuffer_free(b);
}

static const levy_test tests[] = {
    {"gate", t_gate},
    {"canonical", t_canonical},
    {"refused", t_refused},
    {"route_table", t_route_table},
    {"json_str", t_json_str},
    {"head_printf", t_head_printf},
    {NULL, NULL},
};

LEVY_TEST_MAIN(tests)
