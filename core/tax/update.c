/* `levy rates update [SOURCES_FILE]`: fetch the current official rate files from configured
 * URLs (or copy them from a local mirror directory), verify them (SHA-256 where configured,
 * the importer's own validation, the expected format, a minimum row count), keep each as a
 * dated vintage under DATA_DIR/rates-vintages/<UTC time>/, and install the verified ones as
 * the vintage in use (DATA_DIR/rates/<key>/, the same place `levy rates import` writes). A
 * file that fails any check installs nothing: the vintage in use stays. The outcome of the
 * run is written to DATA_DIR/rates-update.json, which a running levy shows (GET
 * /admin/rates, the Regions page) and counts (levy_rates_update_failed). A running levy
 * serves the new vintage after a reload (SIGHUP, POST /admin/reload), no restart.
 *
 * SOURCES_FILE (default DATA_DIR/rates-sources.conf), one source a line, '#' comments:
 *   source URL|PATH [format=F] [sha256=HEX] [sha256_url=URL] [min_rows=N]
 *   mirror DIR       every .csv/.json in DIR; DIR/SHA256SUMS (sha256sum format) is checked
 *                    for each file it lists
 * F: avalara, cdtfa, sst, sst-boundary, ibericode, ca, national, overlay (as the importer
 * detects it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "file.h"
#include "http/curl_dl.h"
#include "json_scan.h"
#include "rates-internal.h"

#define MAX_SOURCES 256
#define MAX_FETCH (256u << 20)

typedef struct upd_src {
    char url[1024];
    char format[16];
    char sha[65];
    char sha_url[1024];
    long min_rows;
} upd_src;

typedef struct upd_result {
    const char *status; /* "installed", "unchanged", "failed" */
    char error[512];
    char key[32], vintage[16], sha[65];
    long rows;
} upd_result;

static const char *const KIND_NAMES[] = {
    "unknown",  "avalara", "cdtfa",        "sst",      "ibericode", "ca",
    "national", "overlay", "sst-boundary", "wa-rates", "wa-zip4"}; /* indexed by RT_* */

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    levy_buf *b = ud;
    size_t n = sz * nm;
    if (b->len + n + 1 > MAX_FETCH)
        return 0;
    levy_buf_put(b, d, n);
    if (b->oom)
        return 0;
    return n;
}

static int is_http(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* Fetches url (http/https, file://, or a local path) into *out (NUL-terminated). */
static int fetch(const char *url, char **out, size_t *len, char *err, size_t ecap)
{
    *out = NULL;
    *len = 0;
    if (!is_http(url)) {
        const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
        levy_err e;
        if (levy_file_read(path, MAX_FETCH, out, len, &e) != LEVY_OK) {
            snprintf(err, ecap, "%s", e.message);
            return -1;
        }
        return 0;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, ecap, "cannot start the HTTP client");
        return -1;
    }
    levy_buf b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "levy-rates-update");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(err, ecap, "fetch failed: %s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
        levy_buf_free(&b);
        return -1;
    }
    if (!b.data) {
        b.data = calloc(1, 1);
        if (!b.data) {
            snprintf(err, ecap, "out of memory");
            return -1;
        }
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

static void sha256_hex(const char *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int ml = 0;
    out[0] = 0;
    if (EVP_Digest(p, n, md, &ml, EVP_sha256(), NULL) != 1 || ml != 32)
        return;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The first 64-hex-digit token of a checksum file ("HEX  name" or "HEX"), lower-cased. */
static int parse_sha(const char *text, char out[65])
{
    size_t n = 0;
    for (const char *p = text; *p && n < 64; p++) {
        char ch = *p;
        if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
            out[n++] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
        else
            break;
    }
    out[n] = 0;
    return n == 64 ? 0 : -1;
}

/* The file name of url: its last path segment without query; "" if unusable. */
static void base_name(const char *url, char *out, size_t cap)
{
    const char *s = strrchr(url, '/');
    s = s ? s + 1 : url;
    size_t n = strcspn(s, "?#");
    if (n >= cap)
        n = 0;
    memcpy(out, s, n);
    out[n] = 0;
    size_t l = strlen(out);
    if (!l || out[0] == '.' ||
        !((l > 4 && strcmp(out + l - 4, ".csv") == 0) ||
          (l > 5 && strcmp(out + l - 5, ".json") == 0)))
        out[0] = 0;
}

/* Looks name up in DIR/SHA256SUMS ("HEX  name" or "HEX *name" lines); 0 and out when listed. */
static int sums_lookup(const char *dir, const char *name, char out[65])
{
    char p[1200];
    snprintf(p, sizeof p, "%.1000s/SHA256SUMS", dir);
    char *text = NULL;
    size_t len;
    if (levy_file_read(p, 16u << 20, &text, &len, NULL) != LEVY_OK)
        return -1;
    int found = -1;
    for (char *line = strtok(text, "\n"); line && found; line = strtok(NULL, "\n")) {
        char hex[65];
        if (parse_sha(line, hex) != 0)
            continue;
        char *f = line + 64;
        while (*f == ' ' || *f == '*' || *f == '\t')
            f++;
        size_t fl = strlen(f);
        if (fl && f[fl - 1] == '\r')
            f[--fl] = 0;
        if (strcmp(f, name) == 0) {
            memcpy(out, hex, 65);
            found = 0;
        }
    }
    free(text);
    return found;
}

/* The next of the *n sources read from path (a 'source' line, or one file of a 'mirror'),
 * cleared; NULL with err set when there are MAX_SOURCES already. */
static upd_src *new_source(const char *path, upd_src *v, int *n, char *err, size_t ecap)
{
    if (*n >= MAX_SOURCES) {
        snprintf(err, ecap, "%.600s: more than %d sources", path, MAX_SOURCES);
        return NULL;
    }
    upd_src *s = &v[(*n)++];
    memset(s, 0, sizeof *s);
    return s;
}

/* One 'mirror DIR' line: each rate file (.csv, .json) of the folder a source, with its
 * SHA256SUMS line when the folder has one. */
typedef struct mirror_walk {
    const char *path, *dir;
    upd_src *v;
    int *n;
    char *err;
    size_t ecap;
    int rc;
} mirror_walk;

static uint64_t add_mirror_entry(void *ud, const char *file, const struct stat *st)
{
    mirror_walk *w = ud;
    const char *name = strrchr(file, '/') + 1;
    char bn[256];
    (void)st;
    base_name(name, bn, sizeof bn);
    if (w->rc != 0 || !bn[0])
        return 0;
    upd_src *s = new_source(w->path, w->v, w->n, w->err, w->ecap);
    if (!s) {
        w->rc = -1;
        return 0;
    }
    snprintf(s->url, sizeof s->url, "%.700s/%.255s", w->dir, name);
    if (sums_lookup(w->dir, name, s->sha) != 0)
        s->sha[0] = 0;
    return 0;
}

static int parse_sources(const char *path, upd_src *v, int *n, char *err, size_t ecap)
{
    char *text = NULL;
    size_t len;
    levy_err e;
    *n = 0;
    if (levy_file_read(path, 1u << 20, &text, &len, &e) != LEVY_OK) {
        snprintf(err, ecap,
                 "%s (write one 'source URL [format=F] [sha256=HEX] "
                 "[sha256_url=URL] [min_rows=N]' or 'mirror DIR' a line)",
                 e.message);
        return -1;
    }
    int lineno = 0, rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *tok_save = NULL;
        char *verb = strtok_r(line, " \t\r", &tok_save);
        if (!verb)
            continue;
        char *arg = strtok_r(NULL, " \t\r", &tok_save);
        if (!arg) {
            snprintf(err, ecap, "%.600s:%d: '%.64s' needs a value", path, lineno, verb);
            rc = -1;
            break;
        }
        if (strcmp(verb, "mirror") == 0) {
            mirror_walk w = {path, arg, v, n, err, ecap, 0};
            levy_dir_each(arg, 0, add_mirror_entry, &w);
            if (errno != 0) {
                snprintf(err, ecap, "%.600s:%d: mirror %.600s: %s", path, lineno, arg,
                         strerror(errno));
                rc = -1;
                break;
            }
            rc = w.rc;
            continue;
        }
        if (strcmp(verb, "source") != 0) {
            snprintf(err, ecap, "%.600s:%d: unknown '%.64s' (source, mirror)", path, lineno, verb);
            rc = -1;
            break;
        }
        upd_src *s = new_source(path, v, n, err, ecap);
        if (!s) {
            rc = -1;
            break;
        }
        snprintf(s->url, sizeof s->url, "%s", arg);
        for (char *kv = strtok_r(NULL, " \t\r", &tok_save); kv && rc == 0;
             kv = strtok_r(NULL, " \t\r", &tok_save)) {
            char *eq = strchr(kv, '=');
            if (!eq) {
                snprintf(err, ecap, "%.600s:%d: '%.200s' is not key=value", path, lineno, kv);
                rc = -1;
                break;
            }
            *eq++ = 0;
            if (strcmp(kv, "format") == 0) {
                int ok = 0;
                for (size_t k = 1; k < sizeof KIND_NAMES / sizeof *KIND_NAMES; k++)
                    ok |= strcmp(eq, KIND_NAMES[k]) == 0;
                if (!ok) {
                    snprintf(err, ecap, "%.600s:%d: unknown format '%.64s'", path, lineno, eq);
                    rc = -1;
                }
                snprintf(s->format, sizeof s->format, "%s", eq);
            } else if (strcmp(kv, "sha256") == 0) {
                if (parse_sha(eq, s->sha) != 0 || eq[64]) {
                    snprintf(err, ecap, "%.600s:%d: sha256 needs 64 hex digits", path, lineno);
                    rc = -1;
                }
            } else if (strcmp(kv, "sha256_url") == 0) {
                snprintf(s->sha_url, sizeof s->sha_url, "%s", eq);
            } else if (strcmp(kv, "min_rows") == 0) {
                char *end;
                errno = 0;
                long m = strtol(eq, &end, 10);
                if (errno || *end || m < 0) {
                    snprintf(err, ecap, "%.600s:%d: min_rows needs a non-negative integer", path,
                             lineno);
                    rc = -1;
                }
                s->min_rows = m;
            } else {
                snprintf(err, ecap,
                         "%.600s:%d: unknown option '%.64s' (format, sha256, sha256_url, min_rows)",
                         path, lineno, kv);
                rc = -1;
            }
        }
    }
    free(text);
    if (rc == 0 && *n == 0) {
        snprintf(err, ecap, "%.600s: no sources", path);
        rc = -1;
    }
    return rc;
}

/* Fetches, verifies, stages and installs one source. */
static void update_one(const upd_src *s, const char *stage, const char *data_root,
                       const char *data_dir, upd_result *r)
{
    char *text = NULL, *cur = NULL;
    size_t len = 0;
    levy_rates *idx = NULL;
    r->status = "failed";
    char name[256];
    base_name(s->url, name, sizeof name);
    if (!name[0]) {
        snprintf(r->error, sizeof r->error, "the URL does not name a .csv or .json file");
        goto done;
    }
    if (fetch(s->url, &text, &len, r->error, sizeof r->error) != 0)
        goto done;
    sha256_hex(text, len, r->sha);
    char want[65] = "";
    if (s->sha[0])
        memcpy(want, s->sha, 65);
    else if (s->sha_url[0]) {
        char *st = NULL;
        size_t sl;
        char e[400];
        if (fetch(s->sha_url, &st, &sl, e, sizeof e) != 0) {
            snprintf(r->error, sizeof r->error, "checksum %.400s", e);
            goto done;
        }
        int bad = parse_sha(st, want) != 0;
        free(st);
        if (bad) {
            snprintf(r->error, sizeof r->error, "checksum file %.400s holds no SHA-256",
                     s->sha_url);
            goto done;
        }
    }
    if (want[0] && strcmp(want, r->sha) != 0) {
        snprintf(r->error, sizeof r->error, "checksum mismatch: expected sha256 %s, got %s", want,
                 r->sha);
        goto done;
    }
    rates_file_info info;
    levy_err e;
    levy_err_clear(&e);
    if (levy_rates_load_copy(name, text, &idx, &info, &e) != LEVY_OK) {
        snprintf(r->error, sizeof r->error, "%s", e.message);
        goto done;
    }
    snprintf(r->key, sizeof r->key, "%s", info.key);
    snprintf(r->vintage, sizeof r->vintage, "%s", info.vintage);
    r->rows = info.rows;
    const char *kind = info.kind > 0 && info.kind < (int)(sizeof KIND_NAMES / sizeof *KIND_NAMES)
                           ? KIND_NAMES[info.kind]
                           : "unknown";
    if (s->format[0] && strcmp(s->format, kind) != 0) {
        snprintf(r->error, sizeof r->error, "expected a %s file, got %s", s->format, kind);
        goto done;
    }
    if (info.rows <= 0 || info.rows < s->min_rows) {
        snprintf(r->error, sizeof r->error, "%ld rows, expected at least %ld", info.rows,
                 s->min_rows > 0 ? s->min_rows : 1);
        goto done;
    }
    /* the vintage in use, byte for byte: nothing to install */
    char curp[2048];
    snprintf(curp, sizeof curp, "%s/rates/%s/%s", data_dir, info.key, name);
    size_t cl;
    if (levy_file_read(curp, MAX_FETCH, &cur, &cl, NULL) == LEVY_OK && cl == len &&
        memcmp(cur, text, len) == 0) {
        r->status = "unchanged";
        goto done;
    }
    char staged[2048];
    snprintf(staged, sizeof staged, "%s/%s", stage, name);
    char staged_tmp[2100];
    levy_err werr;
    levy_err_clear(&werr);
    snprintf(staged_tmp, sizeof staged_tmp, "%s.tmp", staged);
    if (levy_mkdir_p(stage, 0700) != 0) {
        snprintf(r->error, sizeof r->error, "%.300s: %s", staged, strerror(errno));
        goto done;
    }
    if (levy_file_write(staged, staged_tmp, text, len, 0666, &werr) != LEVY_OK) {
        snprintf(r->error, sizeof r->error, "%.400s", werr.message);
        goto done;
    }
    if (levy_rates_install(staged, data_root, data_dir) != 0) {
        snprintf(r->error, sizeof r->error, "install failed (see above)");
        goto done;
    }
    r->status = "installed";
done:
    free(text);
    free(cur);
    levy_rates_free(idx);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void write_status(const char *data_dir, const char *at, const upd_src *v,
                         const upd_result *r, int n, const char *error)
{
    char path[1200], tmp[1300];
    snprintf(path, sizeof path, "%.1000s/rates-update.json", data_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "levy rates update: %s: %s\n", tmp, strerror(errno));
        return;
    }
    int failed = error != NULL;
    for (int i = 0; i < n; i++)
        failed += strcmp(r[i].status, "failed") == 0;
    fprintf(f, "{\"checked_at\":");
    json_str(f, at);
    fprintf(f, ",\"ok\":%s,\"failed\":%d", failed ? "false" : "true", failed);
    if (error) {
        fprintf(f, ",\"error\":");
        json_str(f, error);
    }
    fprintf(f, ",\"sources\":[");
    for (int i = 0; i < n; i++) {
        fprintf(f, "%s{\"source\":", i ? "," : "");
        json_str(f, v[i].url);
        fprintf(f, ",\"status\":");
        json_str(f, r[i].status);
        if (r[i].key[0]) {
            fprintf(f, ",\"key\":");
            json_str(f, r[i].key);
            fprintf(f, ",\"vintage\":");
            json_str(f, r[i].vintage);
            fprintf(f, ",\"rows\":%ld", r[i].rows);
        }
        if (r[i].sha[0]) {
            fprintf(f, ",\"sha256\":");
            json_str(f, r[i].sha);
        }
        if (r[i].error[0]) {
            fprintf(f, ",\"error\":");
            json_str(f, r[i].error);
        }
        fputc('}', f);
    }
    fprintf(f, "]}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "levy rates update: %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
}

int levy_rates_cli_update(int nargs, char **args, const char *data_root, const char *data_dir)
{
    if (!data_dir || !data_dir[0]) {
        fprintf(stderr, "levy rates update: no data dir\n");
        return 1;
    }
    if (nargs > 1) {
        fprintf(stderr, "usage: levy rates update [SOURCES_FILE] [--data-dir DIR]\n");
        return 2;
    }
    char conf[1200];
    if (nargs == 1)
        snprintf(conf, sizeof conf, "%s", args[0]);
    else
        snprintf(conf, sizeof conf, "%.1000s/rates-sources.conf", data_dir);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char at[32], stamp[32];
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    upd_src *v = calloc(MAX_SOURCES, sizeof *v);
    upd_result *r = calloc(MAX_SOURCES, sizeof *r);
    if (!v || !r) {
        free(v);
        free(r);
        fprintf(stderr, "levy rates update: out of memory\n");
        return 1;
    }
    int n = 0;
    char err[4096];
    if (levy_mkdir_p(data_dir, 0700) != 0) {
        fprintf(stderr, "levy rates update: %s: %s\n", data_dir, strerror(errno));
        free(v);
        free(r);
        return 1;
    }
    if (parse_sources(conf, v, &n, err, sizeof err) != 0) {
        fprintf(stderr, "levy rates update: WARN %s\n", err);
        write_status(data_dir, at, v, r, 0, err);
        free(v);
        free(r);
        return 1;
    }
    levy_err lerr = {0};
    if (levy_curl_load(&lerr) != LEVY_OK) {
        fprintf(stderr, "levy rates update: %s\n", lerr.message);
        write_status(data_dir, at, v, r, 0, lerr.message);
        free(v);
        free(r);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char stage[1200];
    snprintf(stage, sizeof stage, "%.1000s/rates-vintages/%s", data_dir, stamp);
    int failed = 0, installed = 0;
    for (int i = 0; i < n; i++) {
        update_one(&v[i], stage, data_root, data_dir, &r[i]);
        if (strcmp(r[i].status, "failed") == 0) {
            failed++;
            fprintf(stderr, "levy rates update: WARN %s: %s; the vintage in use stays\n", v[i].url,
                    r[i].error);
        } else {
            installed += strcmp(r[i].status, "installed") == 0;
            printf("%s: %s %s %s, %ld rows, sha256 %s\n", v[i].url, r[i].status, r[i].key,
                   r[i].vintage, r[i].rows, r[i].sha);
        }
    }
    curl_global_cleanup();
    write_status(data_dir, at, v, r, n, NULL);
    printf("levy rates update: %d installed, %d unchanged, %d failed (%s/rates-update.json)\n",
           installed, n - installed - failed, failed, data_dir);
    if (installed)
        printf("levy rates update: a running levy serves the new vintage after a reload "
               "(systemctl reload levy, or POST /admin/reload); no restart\n");
    free(v);
    free(r);
    return failed ? 1 : 0;
}
