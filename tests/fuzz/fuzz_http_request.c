/* libFuzzer target: raw bytes from a client through the real levy HTTP server path, in process:
 * evhttp (libevent 2.1 parser, framing, body limits) + core/http/server.c (request callback,
 * framing checks, auth, C routes, Lua route dispatch into a real generation, static files,
 * error JSON) over a host set up as `levy serve` sets it up (core/host/host.c): a temp data
 * dir with its store and master key, the shipped plugins (admin, api, reports, rillet) and
 * rules (scripts/), data/ rate tables, web/. Whatever guards server.c, gen.c or the sandbox
 * gain are exercised as they are: nothing of the server is copied here.
 *
 * Set up once (LLVMFuzzerInitialize): the server listens on 127.0.0.1:0 (a free port). Per
 * input: a TCP client connects, writes the input, and once the server is quiet half-closes
 * (so evhttp sees where the input ends); the loop runs until the server closes the
 * connection (bounded: 25 s).
 *
 * Properties checked on what came back:
 *  (a) no response carries data of a protected route unless the input holds the API token:
 *      markers of GET /admin/generation, GET /metrics, the shipped reports (exposure JSON,
 *      liability CSV; chosen so that no public file of web/ or openapi.yaml holds them) and
 *      of a canary plugin added to the real plugins whose routes are protected in every way a
 *      route can be (auth = "token" under /v1 and elsewhere, no auth under /v1 and elsewhere:
 *      issue 15 finding 1 says protection is the default for every route but auth = "none");
 *      its auth = "none" route is the control that must stay reachable;
 *  (b) no more responses than requests that could be complete: at most one per blank line
 *      in the input (LF LF or LF CR LF), plus one error reply to a broken one;
 *  (c) a first request whose header section has a field name with SP/HTAB (or before the
 *      colon: "Content-Length : 5"), an empty name or an obs-fold line is refused (400, or
 *      evhttp's own 413/414/431/501/505, or a close without reply) and gets at most one
 *      reply (issue 15 finding 14: 400 and close); the same for a NUL in a header line
 *      (evhttp ends the header section at a line that starts with NUL);
 *  (d) no crash, no leak, no undefined behaviour (ASan with stack-use-after-return, UBSan,
 *      LSan); the canary keeps a coroutine made while the generation was built and resumes
 *      it from GET /fuzz/kept, whose context must not point into the finished build.
 * LEVY_FUZZ_SKIP=authz,framing,nul,count,kept (environment) turns (a) / (c) / (c) for NUL /
 * (b) / the kept coroutine route off, to look for other failures on code that still has issue
 * 15 findings 1 / 14 / the NUL line / evhttp's two replies to "CONNECT x HTTP/4.1" (seed
 * connect_http4_two_replies) / the dangling load context of a kept coroutine.
 *
 * Seeds: tests/fuzz/seeds/fuzz_http_request/ (origin-form and non-origin-form targets,
 * absolute-form, "v1/...", "//v1", %2F, chunked bodies, "Content-Length : 5", obs-fold,
 * huge Content-Length, pipelined requests). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "crypto/crypto.h"
#include "config.h"
#include "host/host.h"
#include "host/rotate.h"
#include "http/client.h"
#include "http/server.h"
#include "log.h"
#include "store/store.h"
#include "tax/tax.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* stack-use-after-return: a context pointer into a finished C frame kept by a Lua thread */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "fuzz-token-3b7e1c9a52d04f68a1e2"

static levy_host H;
static levy_config CFG;
static int port;
static int skip_authz, skip_framing, skip_nul, skip_count;
static int dump; /* LEVY_FUZZ_DUMP=1: print every exchange (to replay a seed or a crash) */
static char tmpdir[PATH_MAX];

static const char *const MARKERS[] = {
    "\"tree_sha256\":\"",     /* GET /admin/generation (C route, token) */
    "# TYPE levy_",           /* GET /metrics (C route, token) */
    "\"sales_threshold\":\"", /* GET /v1/reports/exposure (plugins/reports, no auth field) */
    "\r\n\r\nregion,jurisdiction,level,", /* GET /v1/reports/liability?format=csv (same) */
    "FUZZ-CANARY-V1-TOKEN",               /* canary: auth = "token" under /v1 */
    "FUZZ-CANARY-V1-DEFAULT",             /* canary: no auth under /v1 */
    "FUZZ-CANARY-TOKEN",                  /* canary: auth = "token" outside /v1 */
    "FUZZ-CANARY-DEFAULT",                /* canary: no auth outside /v1 (default: required) */
    "FUZZ-CANARY-ADMIN",                  /* canary: no auth under /admin */
};

static const char CANARY[] =
    "-- fuzz_http_request: routes whose replies must never reach a client without the token\n"
    "local function reply(marker)\n"
    "  return function(req) return 200, { canary = marker, params = req.params } end\n"
    "end\n"
    "-- a coroutine made while the generation is built, resumed by a request: its context\n"
    "-- must be the request's (or none), never the build's\n"
    "local kept = coroutine.wrap(function()\n"
    "  while true do coroutine.yield(select(2, pcall(require('levy.time').now_ms))) end\n"
    "end)\n"
    "return { name = 'fuzzcanary', version = '1', routes = {\n"
    "  { method = 'GET', path = '/v1/fuzz/token', auth = 'token', handler = "
    "reply('FUZZ-CANARY-V1-TOKEN') },\n"
    "  { method = 'POST', path = '/v1/fuzz/token', auth = 'token', handler = "
    "reply('FUZZ-CANARY-V1-TOKEN') },\n"
    "  { method = 'GET', path = '/v1/fuzz/default/{id}', handler = reply('FUZZ-CANARY-V1-DEFAULT') "
    "},\n"
    "  { method = 'GET', path = '/fuzz/token', auth = 'token', handler = "
    "reply('FUZZ-CANARY-TOKEN') },\n"
    "  { method = 'GET', path = '/fuzz/default', handler = reply('FUZZ-CANARY-DEFAULT') },\n"
    "  { method = 'PUT', path = '/admin/fuzz', handler = reply('FUZZ-CANARY-ADMIN') },\n"
    "  KEPT_ROUTE\n"
    "  { method = 'GET', path = '/fuzz/open', auth = 'none',\n"
    "    handler = function(req) return 200, { open = 'FUZZ-OPEN' } end },\n"
    "} }\n";

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_http_request: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write", path);
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz_http_request: could not remove %s\n", tmpdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *src = getenv("LEVY_SOURCE");
    if (!src)
        src = "."; /* run_reliab_fuzz.sh sets LEVY_SOURCE */
    const char *sk = getenv("LEVY_FUZZ_SKIP");
    skip_authz = sk && strstr(sk, "authz");
    skip_framing = sk && strstr(sk, "framing");
    skip_nul = sk && strstr(sk, "nul");
    skip_count = sk && strstr(sk, "count");
    dump = getenv("LEVY_FUZZ_DUMP") != NULL;
    signal(SIGPIPE, SIG_IGN);
    levy_log_set_level(LEVY_LOG_OFF);
    snprintf(tmpdir, sizeof tmpdir, "%s/levy-fuzz-http-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        die("mkdtemp", strerror(errno));
    atexit(rm_tmp);
    /* plugins: the shipped ones the serve role loads, plus the canary */
    char p[PATH_MAX + 200], t[PATH_MAX + 200];
    snprintf(p, sizeof p, "%s/plugins", tmpdir);
    mkdir(p, 0700);
    static const char *const shipped[] = {"admin", "api", "reports", "rillet"};
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        snprintf(t, sizeof t, "%s/plugins/%s", src, shipped[i]);
        snprintf(p, sizeof p, "%s/plugins/%s", tmpdir, shipped[i]);
        if (symlink(t, p) != 0)
            die("symlink", strerror(errno));
    }
    snprintf(p, sizeof p, "%s/plugins/fuzzcanary", tmpdir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/plugins/fuzzcanary/handler.lua", tmpdir);
    {
        /* GET /fuzz/kept resumes the load-time coroutine; LEVY_FUZZ_SKIP=kept leaves it out */
        static const char route[] = "{ method = 'GET', path = '/fuzz/kept', auth = 'none',"
                                    " handler = function(req) return 200, { kept = kept() } end },";
        char text[sizeof CANARY + sizeof route];
        const char *at = strstr(CANARY, "KEPT_ROUTE");
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - CANARY), CANARY,
                 sk && strstr(sk, "kept") ? "" : route, at + strlen("KEPT_ROUTE"));
        put_file(p, text);
    }
    char a_data[PATH_MAX + 20], a_plug[PATH_MAX + 20], a_scr[PATH_MAX + 20], a_root[PATH_MAX + 20],
        a_web[PATH_MAX + 20];
    snprintf(a_data, sizeof a_data, "%s/data", tmpdir);
    snprintf(a_plug, sizeof a_plug, "%s/plugins", tmpdir);
    snprintf(a_scr, sizeof a_scr, "%s/scripts", src);
    snprintf(a_root, sizeof a_root, "%s/data", src);
    snprintf(a_web, sizeof a_web, "%s/web", src);
    static char a_tok[] = TOKEN; /* writable: levy_config_parse blanks the value (ps) */
    char *args[] = {"--listen", "127.0.0.1:0", "--data-dir",  a_data,   "--plugins",
                    a_plug,     "--scripts",   a_scr,         "--data", a_root,
                    "--web",    a_web,         "--api-token", a_tok,    NULL};
    if (levy_config_parse(&CFG, "serve", (int)(sizeof args / sizeof args[0]) - 1, args) != 0)
        die("levy_config_parse", NULL);
    mkdir(a_data, 0700);
    /* the order of levy_host_serve: loop, client, store, generation 1, master key, server */
    levy_host *h = &H;
    h->cfg = &CFG;
    h->watch_fd = -1;
    h->reload_async = levy_host_reload_async;
    levy_err err;
    levy_err_clear(&err);
    h->base = levy_host_event_base_new();
    if (!h->base || levy_http_client_new(&h->client, h->base, &err) != LEVY_OK)
        die("event loop / client", err.message);
    char db[PATH_MAX + 40];
    snprintf(db, sizeof db, "%s/levy.db", a_data);
    levy_store *st = NULL;
    if (levy_store_open(&st, db, 0, &err) != LEVY_OK)
        die("store", err.message);
    h->store = st;
    levy_gen_errors errs = {0};
    int nself = 0;
    if (levy_host_build(h, 1, &h->current, &errs, &nself, &err) != LEVY_OK) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s:%d: %s\n", errs.v[i].source, errs.v[i].line, errs.v[i].message);
        die("generation 1", err.message);
    }
    levy_gen_errors_free(&errs);
    uint8_t key[LEVY_KEY_LEN];
    char note[2048];
    if (levy_rotate_verify_key(h->cfg->data_dir, h->store, h->current, key, note, sizeof note,
                               &err) != LEVY_OK)
        die("master key", note[0] ? note : err.message);
    levy_crypto_set_master_key(key);
    levy_store_set_busy_budget(st, 50);
    if (levy_host_listen(h, &err) != LEVY_OK)
        die("server", err.message);
    port = levy_server_port(h->server);
    h->started = 1;
    fprintf(stderr,
            "fuzz_http_request: levy serving generation 1 (%d plugins, %d rules) on 127.0.0.1:%d, "
            "data in %s\n",
            h->current->nplugins, h->current->nrules, port, tmpdir);
    return 0;
}

/* ---- one exchange --------------------------------------------------------------------- */

typedef struct exchange {
    int fd;
    const uint8_t *in;
    size_t in_len, in_off;
    int shut;
    char *out;
    size_t out_len, out_cap;
    int done;
    struct event *rd, *wr, *deadline;
} exchange;

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    exchange *x = arg;
    x->done = 2;
    event_base_loopbreak(H.base);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    exchange *x = arg;
    while (x->in_off < x->in_len) {
        ssize_t n = send(fd, x->in + x->in_off, x->in_len - x->in_off, MSG_NOSIGNAL);
        if (n > 0) {
            x->in_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;            /* wait for room */
        x->in_off = x->in_len; /* the server closed: stop sending */
    }
    event_del(x->wr);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    exchange *x = arg;
    for (;;) {
        if (x->out_cap - x->out_len < 65536) {
            size_t cap = x->out_cap ? x->out_cap * 2 : 131072;
            char *b = realloc(x->out, cap + 1);
            if (!b)
                die("out of memory", NULL);
            x->out = b;
            x->out_cap = cap;
        }
        ssize_t n = recv(fd, x->out + x->out_len, x->out_cap - x->out_len, 0);
        if (n > 0) {
            x->out_len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        x->done = 1; /* EOF or reset: the server is done with this connection */
        event_base_loopbreak(H.base);
        return;
    }
}

/* Blank lines as evhttp reads lines (LF with an optional CR before it): "\n\n" or "\n\r\n",
 * and lines that start with NUL. Every complete request's header section ends with one. */
static size_t count_terminators(const uint8_t *d, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (d[i] != '\n')
            continue;
        /* evhttp reads header lines as C strings: a line that starts with NUL is empty to it */
        if (d[i + 1] == '\n' || d[i + 1] == '\0' ||
            (d[i + 1] == '\r' && i + 2 < n && d[i + 2] == '\n'))
            c++;
    }
    return c;
}

/* Status lines as evhttp writes them: "HTTP/1.x NNN " at the start of the stream or right
 * after the previous response (bodies are JSON, whose strings cannot hold a raw CR LF, or
 * files of web/); counted where "HTTP/1." is followed by a status and a reason and CR LF. */
static size_t count_responses(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i + 13 <= n; i++) {
        if (memcmp(s + i, "HTTP/1.", 7) != 0 || (s[i + 7] != '0' && s[i + 7] != '1') ||
            s[i + 8] != ' ')
            continue;
        if (!(s[i + 9] >= '1' && s[i + 9] <= '5' && s[i + 10] >= '0' && s[i + 10] <= '9' &&
              s[i + 11] >= '0' && s[i + 11] <= '9' && s[i + 12] == ' '))
            continue;
        const char *eol = memchr(s + i + 13, '\r', n - i - 13);
        if (!eol || eol + 1 >= s + n || eol[1] != '\n' || eol - (s + i) > 64)
            continue;
        c++;
    }
    return c;
}

/* The first request's header section (lines after the request line, up to the first empty
 * line): 1 when a field line has an empty name or SP/HTAB in the name or before the colon,
 * or is an obs-fold line (RFC 9112 §5.1, §5.2): such a request must be refused and the
 * connection closed after at most one reply (issue 15 finding 14); 2 when a line holds a NUL
 * (RFC 9110 §5.5: reject; evhttp reads lines as C strings, so a line that starts with NUL
 * ends its header section there and the rest is read as the next request); 0 when clean or
 * not complete. */
static int bad_first_header_section(const uint8_t *d, size_t n)
{
    if (n == 0 || d[0] == '\r' || d[0] == '\n')
        return 0;
    const uint8_t *end = d + n;
    const uint8_t *p = memchr(d, '\n', n); /* end of the request line */
    if (!p)
        return 0;
    int bad = 0;
    for (p++; p < end;) {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return 0; /* incomplete */
        size_t len = (size_t)(eol - p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len == 0)
            return bad;
        if (memchr(p, '\0', len))
            return 2;
        if (!bad) {
            if (p[0] == ' ' || p[0] == '\t')
                bad = 1; /* obs-fold */
            const uint8_t *colon = memchr(p, ':', len);
            if (colon) {
                if (colon == p)
                    bad = 1; /* empty name */
                for (const uint8_t *q = p; q < colon; q++)
                    if (*q == ' ' || *q == '\t')
                        bad = 1; /* SP/HTAB in the name or before the colon */
            }
        }
        p = eol + 1;
    }
    return 0;
}

static void report(const char *what, const uint8_t *in, size_t in_len, const exchange *x)
{
    fprintf(stderr, "fuzz_http_request: %s\n--- input (%zu bytes) ---\n", what, in_len);
    fwrite(in, 1, in_len < 4096 ? in_len : 4096, stderr);
    fprintf(stderr, "\n--- output (%zu bytes) ---\n", x->out_len);
    fwrite(x->out, 1, x->out_len < 8192 ? x->out_len : 8192, stderr);
    fprintf(stderr, "\n---\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket", strerror(errno));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS)
        die("connect", strerror(errno));
    exchange x;
    memset(&x, 0, sizeof x);
    x.fd = fd;
    x.in = data;
    x.in_len = size;
    x.rd = event_new(H.base, fd, EV_READ | EV_PERSIST, on_readable, &x);
    x.wr = event_new(H.base, fd, EV_WRITE | EV_PERSIST, on_writable, &x);
    x.deadline = evtimer_new(H.base, on_deadline, &x);
    struct timeval tv = {25, 0};
    event_add(x.rd, NULL);
    event_add(x.wr, NULL);
    event_add(x.deadline, &tv);
    /* Pipelined requests: evhttp 2.1 stops reading a connection whose client half-closed
     * once the current reply is out, so the end of the input is signalled only when the
     * server has gone quiet (all input sent, nothing more arriving over several loop turns:
     * what it could parse has been answered; what is left is an incomplete request). */
    for (int quiet = 0; !x.done && quiet < 8;) {
        size_t before = x.out_len;
        event_base_loop(H.base, EVLOOP_NONBLOCK);
        quiet = x.out_len == before && x.in_off == x.in_len ? quiet + 1 : 0;
    }
    if (!x.done) {
        shutdown(fd, SHUT_WR);
        x.shut = 1;
    }
    while (!x.done)
        event_base_loop(H.base, EVLOOP_ONCE);
    event_free(x.rd);
    event_free(x.wr);
    event_free(x.deadline);
    close(fd);
    /* let the server see the close and release the connection */
    for (int i = 0; i < 4; i++)
        event_base_loop(H.base, EVLOOP_NONBLOCK);

    if (x.out)
        x.out[x.out_len] = '\0';
    if (dump)
        report("exchange", data, size, &x);
    int has_token = memmem(data, size, TOKEN, sizeof TOKEN - 1) != NULL;
    if (!skip_authz && !has_token && x.out_len) {
        for (size_t i = 0; i < sizeof MARKERS / sizeof MARKERS[0]; i++)
            if (memmem(x.out, x.out_len, MARKERS[i], strlen(MARKERS[i])) &&
                !memmem(data, size, MARKERS[i], strlen(MARKERS[i]))) { /* not an echo */
                char what[160];
                snprintf(what, sizeof what,
                         "protected data (\"%s\") answered to a request without the API token",
                         MARKERS[i]);
                report(what, data, size, &x);
                abort();
            }
    }
    size_t nresp = count_responses(x.out ? x.out : "", x.out_len);
    size_t nreq = count_terminators(data, size) + 1;
    if (nresp > nreq && !skip_count) {
        char what[160];
        snprintf(what, sizeof what, "%zu responses to at most %zu requests", nresp, nreq);
        report(what, data, size, &x);
        abort();
    }
    int bad = bad_first_header_section(data, size);
    if ((bad == 1 && !skip_framing) || (bad == 2 && !skip_nul)) {
        /* a refusal: 400, or what evhttp answers before levy sees the request (too large,
         * URI too long, header fields too large, method not implemented, bad version) */
        int st = x.out_len >= 12 && memcmp(x.out, "HTTP/1.", 7) == 0 ? atoi(x.out + 9) : 0;
        /* 405 / 417: the gate refused the request line or an Expect before the bad field */
        int refused = st == 0 || st == 400 || st == 405 || st == 413 || st == 414 || st == 417 ||
                      st == 431 || st == 501 || st == 505;
        /* the gate checks the request line before the fields after it: a target ending in '/'
         * is refused there with 404 (levy_http_target_status) before the bad field is read */
        static const char slash404[] = "a request path does not end with '/'";
        if (st == 404 && memmem(x.out, x.out_len, slash404, sizeof slash404 - 1))
            refused = 1;
        if (!refused || nresp > 1) {
            report(bad == 1 ? "a request with a malformed field line (SP/HTAB in or after a field "
                              "name, empty name, obs-fold) was not refused, or the connection "
                              "kept reading"
                            : "a request with a NUL in a header line was not refused, or the "
                              "connection kept reading",
                   data, size, &x);
            abort();
        }
    }
    /* only a request with the token can start something long (POST /admin/reload builds a
     * whole generation); anything else must be answered or closed long before */
    if (x.done == 2 && !has_token) {
        report("the server neither answered nor closed the connection in 25 s", data, size, &x);
        abort();
    }
    free(x.out);
    return 0;
}
