/* levy as a systemd service: sd_notify readiness, watchdog, reload and stop notifications,
 * and `levy reload` (the unit's ExecReload). See service.h and docs/operations.md. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "hlog.h"
#include "host/host.h"
#include "host/service.h"
#include "store/store.h"
#include "http/curl_dl.h"

/* ---- sd_notify -------------------------------------------------------------------------- */

/* The protocol of sd_notify(3) ("NOTES"): one datagram of newline-separated assignments to the
 * AF_UNIX socket $NOTIFY_SOCKET names (a path, or '@' + an abstract name), written here rather
 * than linking libsystemd for it, which maps libgcrypt, libgpg-error, libzstd, liblzma, liblz4
 * and libcap besides (about 0.8 MB resident in every levy; issue 21). */
int levy_service_notify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    if (path[0] != '/' && path[0] != '@')
        return -EAFNOSUPPORT; /* vsock: addresses are for VMs, not a unit on the host */
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return -E2BIG;
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    size_t len = strlen(msg);
    ssize_t w = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    int rc = w < 0 ? -errno : (size_t)w == len ? 1 : -EIO;
    close(fd);
    return rc;
}

static int notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int notifyf(const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return levy_service_notify(msg);
}

int levy_service_watchdog_usec(uint64_t *usec)
{
    *usec = 0;
    const char *pid = getenv("WATCHDOG_PID"), *us = getenv("WATCHDOG_USEC");
    char *end;
    if (pid && *pid) {
        errno = 0;
        unsigned long long p = strtoull(pid, &end, 10);
        if (errno || *end || p != (unsigned long long)getpid())
            return 0; /* meant for another process (or unreadable) */
    }
    if (!us || !*us || *us == '-')
        return 0;
    errno = 0;
    unsigned long long v = strtoull(us, &end, 10);
    if (errno || *end || v == 0)
        return 0;
    *usec = v;
    return 1;
}

static struct event *watchdog_ev;

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    levy_service_notify("WATCHDOG=1");
}

void levy_service_ready(struct event_base *base, const char *status)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    int rc = notifyf("READY=1\nSTATUS=%s", status);
    if (rc < 0)
        hlog(HLOG_WARN, "systemd: sd_notify READY=1 failed: %s", strerror(-rc));
    uint64_t usec = 0;
    /* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process */
    if (levy_service_watchdog_usec(&usec) > 0 && usec > 0 && !watchdog_ev) {
        watchdog_ev = event_new(base, -1, EV_PERSIST, on_watchdog, NULL);
        uint64_t half = usec / 2;
        struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
        if (watchdog_ev && event_add(watchdog_ev, &tv) == 0) {
            levy_service_notify("WATCHDOG=1");
            hlog(HLOG_INFO, "systemd: watchdog every %llu ms (WatchdogSec=%llu ms)",
                 (unsigned long long)(half / 1000), (unsigned long long)(usec / 1000));
        }
    }
}

/* Migrations (store.h levy_migration_progress): each one's start and end as STATUS=, and
 * before each an EXTEND_TIMEOUT_USEC= of MIGRATION_EXTEND_S, so systemd's start timeout
 * (TimeoutStartSec, 90 s by default) does not kill the first start after an upgrade while a
 * long migration runs (57-103 s at 1M documents); a migration that runs longer than that is
 * stuck or on a store far beyond what levy was measured on. */
#define MIGRATION_EXTEND_S 900
void levy_service_migration_status(const levy_migration_progress *p)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    if (!p->done)
        notifyf("EXTEND_TIMEOUT_USEC=%llu\nSTATUS=%s store: applying %s migration %s (%d of "
                "%d)%s",
                (unsigned long long)MIGRATION_EXTEND_S * 1000000ULL,
                p->upgrade ? "upgrading the" : "creating the", p->plugin, p->name, p->index,
                p->count, p->heavy ? ", may take a while on a large store" : "");
    else
        notifyf("STATUS=%s store: applied %s migration %s (%d of %d) in %.1f s",
                p->upgrade ? "upgrading the" : "creating the", p->plugin, p->name, p->index,
                p->count, p->seconds);
}

void levy_service_reloading(void)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* MONOTONIC_USEC: systemd >= 253 (Type=notify-reload) wants it with RELOADING=1 */
    notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading plugins and rules",
            (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void levy_service_reloaded(const levy_reload_report *r)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    unsigned long long gen = (unsigned long long)r->generation;
    if (strcmp(r->status, "rejected") == 0) {
        const char *file = r->errors.n ? r->errors.v[0].source : "";
        const char *msg = r->errors.n ? r->errors.v[0].message : "";
        int line = r->errors.n ? r->errors.v[0].line : 0;
        /* one STATUS line: newlines of a message would start new fields */
        char m[300];
        snprintf(m, sizeof m, "%s", msg);
        for (char *p = m; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        notifyf("READY=1\nSTATUS=reload rejected (%d error(s), first %s:%d: %s); generation "
                "%llu still serving",
                r->errors.n, file, line, m, gen);
    } else {
        notifyf("READY=1\nSTATUS=serving, generation %llu (reload: %s)", gen, r->status);
    }
}

void levy_service_stopping(int calls)
{
    if (getenv("NOTIFY_SOCKET"))
        notifyf("STOPPING=1\nSTATUS=stopping: draining %d in-flight calls", calls);
}

void levy_service_close(void)
{
    if (watchdog_ev)
        event_free(watchdog_ev);
    watchdog_ev = NULL;
}

/* ---- levy reload ------------------------------------------------------------------------ */

typedef struct {
    char buf[65536];
    size_t n;
} body;

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
    body *b = ud;
    size_t n = sz * nm, room = sizeof b->buf - 1 - b->n;
    memcpy(b->buf + b->n, p, n < room ? n : room);
    b->n += n < room ? n : room;
    b->buf[b->n] = '\0';
    return n;
}

/* The token from flag/env/file (config.c) or DATA_DIR/api-token (never created here). `who`
 * names the command in messages ("levy reload"). */
static int serving_token(levy_config *cfg, const char *who, char *tok, size_t cap)
{
    if (cfg->api_token[0]) {
        snprintf(tok, cap, "%s", cfg->api_token);
        return 0;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/api-token", cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr,
                "%s: no API token: %s: %s (give --data-dir of the running levy, or "
                "--api-token-file)\n",
                who, path, strerror(errno));
        return -1;
    }
    size_t n = fread(tok, 1, cap - 1, f);
    fclose(f);
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
        n--;
    tok[n] = '\0';
    if (!n) {
        fprintf(stderr, "%s: %s is empty\n", who, path);
        return -1;
    }
    return 0;
}

/* One request to the levy serving on cfg->listen (a wildcard address is reached on loopback;
 * with --tls-cert over HTTPS, our own certificate the trust anchor): method path, the body
 * data/len (data NULL: none) as ctype, the answer into b and *status. url: the URL asked (for
 * messages). Returns the transport's CURLcode (CURLE_OK when levy answered), or -1 when the
 * token or libcurl is missing (already said). */
static int serving_request(levy_config *cfg, const char *who, const char *method, const char *path,
                           const char *data, size_t len, const char *ctype, long timeout_s, body *b,
                           long *status, char *url, size_t urlcap)
{
    char tok[sizeof cfg->api_token];
    if (serving_token(cfg, who, tok, sizeof tok) != 0)
        return -1;
    const char *host = cfg->host;
    int v6 = strchr(host, ':') != NULL;
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    int tls = cfg->tls_cert[0] != '\0';
    char auth[600], ct[120];
    snprintf(url, urlcap, "%s://%s%s%s:%d%s", tls ? "https" : "http", v6 ? "[" : "", host,
             v6 ? "]" : "", cfg->port, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    OPENSSL_cleanse(tok, sizeof tok);
    levy_err lerr = {0};
    if (levy_curl_load(&lerr) != LEVY_OK) {
        OPENSSL_cleanse(auth, sizeof auth);
        fprintf(stderr, "%s: %s\n", who, lerr.message);
        return -1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        OPENSSL_cleanse(auth, sizeof auth);
        fprintf(stderr, "%s: cannot start libcurl\n", who);
        return -1;
    }
    struct curl_slist *hdr = curl_slist_append(NULL, auth);
    OPENSSL_cleanse(auth, sizeof auth);
    if (hdr && ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        struct curl_slist *h2 = curl_slist_append(hdr, ct);
        if (!h2) {
            curl_slist_free_all(hdr);
            hdr = NULL;
        } else {
            hdr = h2;
        }
    }
    if (!hdr) {
        curl_easy_cleanup(c);
        fprintf(stderr, "%s: out of memory\n", who);
        return -1;
    }
    b->n = 0;
    b->buf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (data) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    if (tls) {
        /* our own certificate is the trust anchor (curl allows a partial chain); the name is
         * not checked: we connect to the address levy listens on, not to its public name */
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->tls_cert);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode cr = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return (int)cr;
}

int levy_service_reload_cli(levy_config *cfg)
{
    body *b = calloc(1, sizeof *b);
    if (!b)
        return 1;
    char url[400];
    long status = 0;
    /* a reload builds every plugin and rule and runs the self-tests: seconds on a busy box;
     * systemd's TimeoutSec bounds ExecReload anyway */
    int cr = serving_request(cfg, "levy reload", "POST", "/admin/reload", "", 0, NULL, 300L, b,
                             &status, url, sizeof url);
    int rc = 1;
    if (cr < 0) {
        /* said */
    } else if (cr != CURLE_OK) {
        fprintf(stderr, "levy reload: %s: %s (is levy serving on %s?)\n", url,
                curl_easy_strerror((CURLcode)cr), cfg->listen);
    } else if (status == 200) {
        printf("levy reload: %s\n", b->buf);
        rc = 0;
    } else if (status == 422) {
        fprintf(stderr, "levy reload: rejected, the previous generation keeps serving: %s\n",
                b->buf);
    } else {
        fprintf(stderr, "levy reload: %s answered %ld: %s\n", url, status, b->buf);
    }
    free(b);
    return rc;
}

/* ---- levy fx import ----------------------------------------------------------------------- */

#define FX_MAX_FILE (16u * 1024u * 1024u) /* the route's max_body (plugins/reports/handler.lua) */

/* The value of "key":"..." or "key":N in a flat JSON answer of levy's (its encoder writes no
 * spaces); "" when absent. */
static void json_field(const char *js, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    out[0] = '\0';
    if (!p || cap == 0)
        return;
    p += strlen(pat);
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < cap; p++)
            out[n++] = *p;
    } else {
        for (; *p && *p != ',' && *p != '}' && n + 1 < cap; p++)
            out[n++] = *p;
    }
    out[n] = '\0';
}

int levy_service_fx_cli(levy_config *cfg, const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "levy fx import: %s: %s\n", file, strerror(errno));
        return 1;
    }
    char *data = malloc(FX_MAX_FILE + 1);
    size_t len = data ? fread(data, 1, FX_MAX_FILE + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!data || rerr || len == 0 || len > FX_MAX_FILE) {
        fprintf(stderr, "levy fx import: %s: %s\n", file,
                !data      ? "out of memory"
                : rerr     ? "read error"
                : len == 0 ? "the file is empty"
                           : "larger than 16 MiB (eurofxref-hist.csv is about 2 MB)");
        free(data);
        return 1;
    }
    body *b = calloc(1, sizeof *b);
    if (!b) {
        free(data);
        return 1;
    }
    char url[400], id[32], state[32], path[96];
    long status = 0;
    int cr = serving_request(cfg, "levy fx import", "POST", "/v1/reports/fx-rates", data, len,
                             "text/csv", 120L, b, &status, url, sizeof url);
    free(data);
    int rc = 1;
    if (cr < 0)
        goto done;
    if (cr != CURLE_OK) {
        fprintf(stderr, "levy fx import: %s: %s (is levy serving on %s?)\n", url,
                curl_easy_strerror((CURLcode)cr), cfg->listen);
        goto done;
    }
    if (status == 422) {
        fprintf(stderr, "levy fx import: %s refused: %s\n", file, b->buf);
        goto done;
    }
    if (status != 200 && status != 201 && status != 202) {
        fprintf(stderr, "levy fx import: %s answered %ld: %s\n", url, status, b->buf);
        goto done;
    }
    /* 202: a large file is checked by the job reports.fx_check; wait for its outcome */
    json_field(b->buf, "id", id, sizeof id);
    json_field(b->buf, "state", state, sizeof state);
    for (int i = 0; strcmp(state, "checking") == 0 && i < 600; i++) {
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        snprintf(path, sizeof path, "/v1/reports/fx-rates/%s", id);
        cr = serving_request(cfg, "levy fx import", "GET", path, NULL, 0, NULL, 30L, b, &status,
                             url, sizeof url);
        if (cr != CURLE_OK || status != 200) {
            fprintf(stderr, "levy fx import: %s: %s %ld: %s\n", url,
                    cr > 0 ? curl_easy_strerror((CURLcode)cr) : "answered", status, b->buf);
            goto done;
        }
        json_field(b->buf, "state", state, sizeof state);
    }
    if (strcmp(state, "ready") == 0) {
        printf("levy fx import: %s: %s\n", file, b->buf);
        rc = 0;
    } else if (strcmp(state, "refused") == 0) {
        fprintf(stderr, "levy fx import: %s refused: %s\n", file, b->buf);
    } else {
        fprintf(stderr, "levy fx import: %s still %s after 5 minutes: %s\n", file, state, b->buf);
    }
done:
    free(b);
    return rc;
}

/* ---- levy recount -------------------------------------------------------------------------- */

int levy_service_recount_cli(levy_config *cfg)
{
    body *b = calloc(1, sizeof *b);
    if (!b)
        return 1;
    char url[400], state[32], phase[64], last[64] = "", summary[4096];
    long status = 0;
    int rc = 1;
    int cr = serving_request(cfg, "levy recount", "POST", "/v1/store/recount", "", 0, NULL, 60L, b,
                             &status, url, sizeof url);
    if (cr < 0)
        goto done;
    if (cr != CURLE_OK) {
        fprintf(stderr, "levy recount: %s: %s (is levy serving on %s?)\n", url,
                curl_easy_strerror((CURLcode)cr), cfg->listen);
        goto done;
    }
    if (status != 200 && status != 202) {
        fprintf(stderr, "levy recount: %s answered %ld: %s\n", url, status, b->buf);
        goto done;
    }
    /* levy's encoder sorts keys: the answer's own "state", "phase" and "summary" come before
     * "tables" (whose examples are the documents' own fields) */
    json_field(b->buf, "state", state, sizeof state);
    /* a recount walks the whole store a chunk at a time: minutes at a million documents */
    for (int i = 0; strcmp(state, "running") == 0 && i < 24 * 3600; i++) {
        json_field(b->buf, "phase", phase, sizeof phase);
        if (phase[0] && strcmp(phase, "null") != 0 && strcmp(phase, last) != 0) {
            printf("levy recount: recounting %s\n", phase);
            fflush(stdout);
            snprintf(last, sizeof last, "%s", phase);
        }
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        cr = serving_request(cfg, "levy recount", "GET", "/v1/store/recount", NULL, 0, NULL, 30L, b,
                             &status, url, sizeof url);
        if (cr != CURLE_OK || status != 200) {
            fprintf(stderr, "levy recount: %s: %s %ld: %s\n", url,
                    cr > 0 ? curl_easy_strerror((CURLcode)cr) : "answered", status, b->buf);
            goto done;
        }
        json_field(b->buf, "state", state, sizeof state);
    }
    json_field(b->buf, "summary", summary, sizeof summary);
    if (strcmp(state, "done") == 0) {
        printf("levy recount: %s\n", summary);
        rc = 0;
    } else {
        fprintf(stderr, "levy recount: %s: %s\n", state, summary);
    }
done:
    free(b);
    return rc;
}
