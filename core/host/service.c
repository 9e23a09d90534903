/* levy as a systemd service: sd_notify readiness, watchdog, reload and stop notifications,
 * and `levy reload` (the unit's ExecReload). See service.h and docs/operations.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "hlog.h"
#include "host/host.h"
#include "host/service.h"

/* ---- sd_notify -------------------------------------------------------------------------- */

static struct event *watchdog_ev;

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    sd_notify(0, "WATCHDOG=1");
}

void levy_service_ready(struct event_base *base, const char *status)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    int rc = sd_notifyf(0, "READY=1\nSTATUS=%s", status);
    if (rc < 0)
        hlog(HLOG_WARN, "systemd: sd_notify READY=1 failed: %s", strerror(-rc));
    uint64_t usec = 0;
    /* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0 && !watchdog_ev) {
        watchdog_ev = event_new(base, -1, EV_PERSIST, on_watchdog, NULL);
        uint64_t half = usec / 2;
        struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
        if (watchdog_ev && event_add(watchdog_ev, &tv) == 0) {
            sd_notify(0, "WATCHDOG=1");
            hlog(HLOG_INFO, "systemd: watchdog every %llu ms (WatchdogSec=%llu ms)",
                 (unsigned long long)(half / 1000), (unsigned long long)(usec / 1000));
        }
    }
}

void levy_service_reloading(void)
{
    if (!getenv("NOTIFY_SOCKET"))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* MONOTONIC_USEC: systemd >= 253 (Type=notify-reload) wants it with RELOADING=1 */
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading plugins and rules",
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
        sd_notifyf(0,
                   "READY=1\nSTATUS=reload rejected (%d error(s), first %s:%d: %s); generation "
                   "%llu still serving",
                   r->errors.n, file, line, m, gen);
    } else {
        sd_notifyf(0, "READY=1\nSTATUS=serving, generation %llu (reload: %s)", gen, r->status);
    }
}

void levy_service_stopping(int calls)
{
    if (getenv("NOTIFY_SOCKET"))
        sd_notifyf(0, "STOPPING=1\nSTATUS=stopping: draining %d in-flight calls", calls);
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

/* The token from flag/env/file (config.c) or DATA_DIR/api-token (never created here). */
static int reload_token(levy_config *cfg, char *tok, size_t cap)
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
                "levy reload: no API token: %s: %s (give --data-dir of the running levy, or "
                "--api-token-file)\n",
                path, strerror(errno));
        return -1;
    }
    size_t n = fread(tok, 1, cap - 1, f);
    fclose(f);
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
        n--;
    tok[n] = '\0';
    if (!n) {
        fprintf(stderr, "levy reload: %s is empty\n", path);
        return -1;
    }
    return 0;
}

int levy_service_reload_cli(levy_config *cfg)
{
    char tok[sizeof cfg->api_token];
    if (reload_token(cfg, tok, sizeof tok) != 0)
        return 1;
    /* a wildcard listen address is reached on loopback */
    const char *host = cfg->host;
    int v6 = strchr(host, ':') != NULL;
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    int tls = cfg->tls_cert[0] != '\0';
    char url[400], auth[600];
    snprintf(url, sizeof url, "%s://%s%s%s:%d/admin/reload", tls ? "https" : "http", v6 ? "[" : "",
             host, v6 ? "]" : "", cfg->port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    OPENSSL_cleanse(tok, sizeof tok);
    CURL *c = curl_easy_init();
    if (!c) {
        fprintf(stderr, "levy reload: cannot start libcurl\n");
        return 1;
    }
    struct curl_slist *hdr = curl_slist_append(NULL, auth);
    OPENSSL_cleanse(auth, sizeof auth);
    body *b = calloc(1, sizeof *b);
    if (!b || !hdr) {
        curl_easy_cleanup(c);
        curl_slist_free_all(hdr);
        free(b);
        return 1;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a reload builds every plugin and rule and runs the self-tests: seconds on a busy box;
     * systemd's TimeoutSec bounds ExecReload anyway */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    if (tls) {
        /* our own certificate is the trust anchor (curl allows a partial chain); the name is
         * not checked: we connect to the address levy listens on, not to its public name */
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->tls_cert);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    int rc = 1;
    if (cr != CURLE_OK) {
        fprintf(stderr, "levy reload: %s: %s (is levy serving on %s?)\n", url,
                curl_easy_strerror(cr), cfg->listen);
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
