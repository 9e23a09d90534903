/* Open-loop (fixed-rate) HTTP load generator for bench/run.sh and bench/soak.sh.
 *
 * wrk is closed-loop: a connection sends its next request only after the previous answer, so a
 * server stall also stalls the load and the stall's victims are never counted (coordinated
 * omission, perf-anchors §5.1). Here request k has an INTENDED send time t0 + k / rate, fixed
 * before the run; its latency is measured from that intended time to the end of its response,
 * whether it waited in our queue for a free connection or not. Requests go out over a pool of
 * keep-alive connections (libevent evhttp client); when every connection is busy they queue.
 *
 * usage: openloop -p PORT -r RATE -d SECONDS [-H HOST] [-c CONNS] [-w WARMUP_S] [-t TIMEOUT_S]
 *                 [-i INTERVAL_S] [-T TRACE_FILE] FILE[:WEIGHT]...
 * FILE holds raw HTTP/1.1 requests separated by a line "\0\n" (bench/gen_webhooks.py format;
 * bench/mkreq.py writes the others). Files are interleaved by WEIGHT (default 1); each file is
 * cycled through in order. Requests intended during the first WARMUP_S seconds are sent but
 * not counted. With -i, one line per interval goes to stderr (for the soak). With -T, each
 * counted request's intended send time (CLOCK_MONOTONIC seconds, the clock of Python's
 * time.monotonic()) and latency in µs go to TRACE_FILE, one line each (bench/reloadtail.sh).
 * Prints one line of key=value to stdout. Exit status 0 if every counted request got a 2xx.
 *
 * Build: cc -O2 -o openloop bench/openloop.c -levent */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    enum evhttp_cmd_type method;
    char *uri;
    char **hname, **hval;
    int nh;
    const char *body;
    size_t blen;
} raw_req;

typedef struct {
    raw_req *r;
    size_t n, next;
    char *buf;
} req_file;

typedef struct conn {
    struct evhttp_connection *evcon;
    int busy;
    double intended;
    int counted;
} conn;

static struct event_base *base;
static req_file *files;
static int nfiles;
static int *sched; /* weighted interleave of file indices */
static int nsched;
static conn *conns;
static int nconns;
static double rate, dur, warm, tmo = 10.0, ival;
static double t0;
static uint64_t k_sent; /* requests scheduled so far */
static uint64_t *queue; /* ring of request numbers waiting for a connection */
static size_t qcap, qhead, qlen;
static uint32_t *lat; /* µs, counted requests */
static size_t nlat, caplat;
static uint64_t n_ok, n_non2xx, n_err, n_inflight;
static uint64_t c_sent;           /* counted requests sent */
static uint64_t i_ok, i_bad, i_n; /* interval counters */
static uint32_t i_max;
static double i_start;
static int stopping;
static double lag_sum, lag_max; /* intended -> actual send, counted requests */
static const char *trace_path;  /* -T: each counted request's intended time and latency */
static double *sent_at;         /* intended send time (CLOCK_MONOTONIC s) of lat[i] */
static struct event *tick_ev, *ival_ev;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *m)
{
    fprintf(stderr, "openloop: %s\n", m);
    exit(2);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    size_t got;
    while ((got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    *len = n;
    return b;
}

/* Splits FILE into requests at "\0\n" and parses each request line, headers and body. */
static void load_file(req_file *rf, const char *path)
{
    size_t len;
    rf->buf = slurp(path, &len);
    if (!rf->buf) {
        fprintf(stderr, "openloop: cannot read %s\n", path);
        exit(2);
    }
    size_t cap = 64;
    rf->r = malloc(cap * sizeof *rf->r);
    char *p = rf->buf, *end = rf->buf + len;
    while (p < end) {
        char *sep = memchr(p, '\0', (size_t)(end - p));
        if (!sep)
            break;
        char *hdr_end = strstr(p, "\r\n\r\n");
        if (!hdr_end || hdr_end > sep)
            die("request without a blank line after its headers");
        raw_req q = {0};
        char *line_end = strstr(p, "\r\n");
        *line_end = '\0';
        char *sp1 = strchr(p, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2)
            die("bad request line");
        *sp1 = *sp2 = '\0';
        if (!strcmp(p, "GET"))
            q.method = EVHTTP_REQ_GET;
        else if (!strcmp(p, "POST"))
            q.method = EVHTTP_REQ_POST;
        else if (!strcmp(p, "PUT"))
            q.method = EVHTTP_REQ_PUT;
        else if (!strcmp(p, "DELETE"))
            q.method = EVHTTP_REQ_DELETE;
        else
            die("unsupported method");
        q.uri = sp1 + 1;
        q.hname = malloc(64 * sizeof(char *));
        q.hval = malloc(64 * sizeof(char *));
        char *h = line_end + 2;
        *hdr_end = '\0';
        while (h && *h) {
            char *nl = strstr(h, "\r\n");
            if (nl)
                *nl = '\0';
            char *colon = strchr(h, ':');
            if (colon && q.nh < 64) {
                *colon = '\0';
                char *v = colon + 1;
                while (*v == ' ')
                    v++;
                /* evhttp writes its own Content-Length and manages the connection */
                if (strcasecmp(h, "Content-Length") && strcasecmp(h, "Connection")) {
                    q.hname[q.nh] = h;
                    q.hval[q.nh++] = v;
                }
            }
            h = nl ? nl + 2 : NULL;
        }
        q.body = hdr_end + 4;
        q.blen = (size_t)(sep - q.body);
        if (rf->n == cap)
            rf->r = realloc(rf->r, (cap *= 2) * sizeof *rf->r);
        rf->r[rf->n++] = q;
        p = sep + 1;
        if (p < end && *p == '\n')
            p++;
    }
    if (rf->n == 0) {
        fprintf(stderr, "openloop: no requests in %s\n", path);
        exit(2);
    }
}

static void record(double intended, int counted, int code)
{
    double t = now();
    uint32_t us = (uint32_t)((t - intended) * 1e6 + 0.5);
    int ok = code >= 200 && code < 300;
    i_n++;
    if (ok)
        i_ok++;
    else
        i_bad++;
    if (us > i_max)
        i_max = us;
    if (!counted)
        return;
    if (code == 0)
        n_err++;
    else if (!ok)
        n_non2xx++;
    else
        n_ok++;
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 1 << 16;
        lat = realloc(lat, caplat * sizeof *lat);
        if (trace_path)
            sent_at = realloc(sent_at, caplat * sizeof *sent_at);
    }
    if (trace_path)
        sent_at[nlat] = intended;
    lat[nlat++] = us;
}

static void dispatch(void);

static void done_cb(struct evhttp_request *req, void *arg)
{
    conn *c = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    record(c->intended, c->counted, code);
    c->busy = 0;
    n_inflight--;
    dispatch();
    if (stopping && qlen == 0 && n_inflight == 0)
        event_base_loopexit(base, NULL);
}

static void send_on(conn *c, uint64_t k)
{
    double intended = t0 + (double)k / rate;
    int fi = sched[k % (uint64_t)nsched];
    req_file *rf = &files[fi];
    raw_req *q = &rf->r[rf->next];
    rf->next = (rf->next + 1) % rf->n;
    struct evhttp_request *req = evhttp_request_new(done_cb, c);
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    for (int i = 0; i < q->nh; i++)
        evhttp_add_header(oh, q->hname[i], q->hval[i]);
    if (q->blen)
        evbuffer_add_reference(evhttp_request_get_output_buffer(req), q->body, q->blen, NULL, NULL);
    c->busy = 1;
    c->intended = intended;
    c->counted = intended - t0 >= warm;
    if (c->counted) {
        c_sent++;
        double lag = now() - intended;
        lag_sum += lag;
        if (lag > lag_max)
            lag_max = lag;
    }
    n_inflight++;
    if (evhttp_make_request(c->evcon, req, q->method, q->uri) != 0) {
        /* evhttp frees req on failure; count it as an error now */
        c->busy = 0;
        n_inflight--;
        record(intended, c->counted, 0);
    }
}

static void dispatch(void)
{
    for (int i = 0; i < nconns && qlen > 0; i++) {
        if (conns[i].busy)
            continue;
        uint64_t k = queue[qhead];
        qhead = (qhead + 1) % qcap;
        qlen--;
        send_on(&conns[i], k);
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    double t = now();
    /* request k is due at t0 + k / rate: k = 0 .. floor((t - t0) * rate) are due now */
    uint64_t total = (uint64_t)(dur * rate);
    uint64_t due = (uint64_t)((t - t0) * rate) + 1;
    if (due > total)
        due = total;
    while (k_sent < due) {
        if (qlen == qcap) {
            /* grow the ring, unrolling it */
            uint64_t *nq = malloc(qcap * 2 * sizeof *nq);
            for (size_t i = 0; i < qlen; i++)
                nq[i] = queue[(qhead + i) % qcap];
            free(queue);
            queue = nq;
            qhead = 0;
            qcap *= 2;
        }
        queue[(qhead + qlen) % qcap] = k_sent;
        qlen++;
        k_sent++;
    }
    dispatch();
    if (k_sent < total) {
        /* sleep until the next request is due (one-shot timer, precise) */
        double wait = t0 + (double)k_sent / rate - now();
        if (wait < 0)
            wait = 0;
        struct timeval tv = {(time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6)};
        event_add(tick_ev, &tv);
        return;
    }
    if (!stopping) {
        stopping = 1;
        struct timeval tv = {(time_t)tmo, 0};
        event_base_loopexit(base, &tv); /* give the last requests TIMEOUT_S to finish */
        if (qlen == 0 && n_inflight == 0)
            event_base_loopexit(base, NULL);
    }
}

static void ival_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    double t = now();
    fprintf(stderr, "t=%.0f rps=%.0f ok=%llu bad=%llu max_us=%u queued=%zu\n", t - t0,
            (double)i_n / (t - i_start), (unsigned long long)i_ok, (unsigned long long)i_bad, i_max,
            qlen);
    i_n = i_ok = i_bad = 0;
    i_max = 0;
    i_start = t;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t pct(double p)
{
    if (!nlat)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)nlat);
    if (i >= nlat)
        i = nlat - 1;
    return lat[i];
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    int port = 0, opt;
    nconns = 50;
    while ((opt = getopt(argc, argv, "p:r:d:H:c:w:t:i:T:")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'r':
            rate = atof(optarg);
            break;
        case 'd':
            dur = atof(optarg);
            break;
        case 'H':
            host = optarg;
            break;
        case 'c':
            nconns = atoi(optarg);
            break;
        case 'w':
            warm = atof(optarg);
            break;
        case 't':
            tmo = atof(optarg);
            break;
        case 'i':
            ival = atof(optarg);
            break;
        case 'T':
            trace_path = optarg;
            break;
        default:
            die("usage: openloop -p PORT -r RATE -d SECONDS [-H HOST] [-c CONNS] [-w WARMUP_S] [-t "
                "TIMEOUT_S] [-i INTERVAL_S] [-T TRACE_FILE] FILE[:WEIGHT]...");
        }
    }
    if (port <= 0 || rate <= 0 || dur <= 0 || nconns <= 0 || optind >= argc)
        die("usage: openloop -p PORT -r RATE -d SECONDS [...] FILE[:WEIGHT]...");
    nfiles = argc - optind;
    files = calloc((size_t)nfiles, sizeof *files);
    sched = malloc(1000 * sizeof *sched);
    for (int f = 0; f < nfiles; f++) {
        char *a = argv[optind + f], *colon = strrchr(a, ':');
        int w = 1;
        if (colon) {
            *colon = '\0';
            w = atoi(colon + 1);
        }
        if (w < 1 || nsched + w > 1000)
            die("bad weight");
        load_file(&files[f], a);
        for (int i = 0; i < w; i++)
            sched[nsched++] = f;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* default 50 µs slack would delay every send */
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!base)
        die("event_base");
    conns = calloc((size_t)nconns, sizeof *conns);
    for (int i = 0; i < nconns; i++) {
        conns[i].evcon = evhttp_connection_base_new(base, NULL, host, (unsigned short)port);
        if (!conns[i].evcon)
            die("evhttp_connection_base_new");
        evhttp_connection_set_timeout(conns[i].evcon, (int)tmo);
        evhttp_connection_set_retries(conns[i].evcon, 0);
    }
    qcap = 1024;
    queue = malloc(qcap * sizeof *queue);
    t0 = now();
    i_start = t0;
    tick_ev = event_new(base, -1, 0, tick_cb, NULL);
    struct timeval tv = {0, 0};
    event_add(tick_ev, &tv);
    if (ival > 0) {
        ival_ev = event_new(base, -1, EV_PERSIST, ival_cb, NULL);
        struct timeval iv = {(time_t)ival, (suseconds_t)((ival - (double)(time_t)ival) * 1e6)};
        event_add(ival_ev, &iv);
    }
    event_base_dispatch(base);
    double elapsed = now() - t0;
    uint64_t unfinished = qlen + n_inflight; /* counted or not: report them all */
    if (trace_path) { /* before the sort: "intended_s latency_us", CLOCK_MONOTONIC, answer order */
        FILE *tf = fopen(trace_path, "w");
        if (!tf)
            die("cannot write the trace file");
        for (size_t i = 0; i < nlat; i++)
            fprintf(tf, "%.6f %u\n", sent_at[i], lat[i]);
        fclose(tf);
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    double span = dur - warm;
    printf("target_rps=%.0f duration_s=%.0f warmup_s=%.0f conns=%d counted_sent=%llu ok=%llu "
           "non2xx=%llu errors=%llu unfinished=%llu achieved_rps=%.0f p50_us=%u p90_us=%u "
           "p99_us=%u p999_us=%u max_us=%u send_lag_mean_us=%.0f send_lag_max_us=%.0f "
           "elapsed_s=%.1f\n",
           rate, dur, warm, nconns, (unsigned long long)c_sent, (unsigned long long)n_ok,
           (unsigned long long)n_non2xx, (unsigned long long)n_err, (unsigned long long)unfinished,
           span > 0 ? (double)(n_ok + n_non2xx) / span : 0.0, pct(50), pct(90), pct(99), pct(99.9),
           nlat ? lat[nlat - 1] : 0, c_sent ? lag_sum / (double)c_sent * 1e6 : 0.0, lag_max * 1e6,
           elapsed);
    return (n_non2xx || n_err || unfinished) ? 1 : 0;
}
