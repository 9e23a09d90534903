/* API token rule, one-time sign-in codes and browser sessions (see auth.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "host/auth.h"
#include "host/tokens.h"
#include "config.h"
#include "file.h"
#include "json_scan.h"

/* ---- roles ---------------------------------------------------------------------------- */

const char *levy_role_name(int role)
{
    return role == LEVY_ROLE_ADMIN ? "admin" : role == LEVY_ROLE_READ_ONLY ? "read_only" : "full";
}

int levy_role_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "admin") == 0)
        return LEVY_ROLE_ADMIN;
    if (strcmp(s, "full") == 0)
        return LEVY_ROLE_FULL;
    if (strcmp(s, "read_only") == 0)
        return LEVY_ROLE_READ_ONLY;
    return -1;
}

/* ---- sign-in codes -------------------------------------------------------------------- */

/* DATA_DIR/signin/<hex of sha256(code)> into path; 0 ok, -1 too long. */
static int code_path(const char *data_dir, const char *code, size_t len, char *path, size_t cap)
{
    uint8_t h[LEVY_SHA256_LEN];
    char hex[2 * LEVY_SHA256_LEN + 1];
    if (levy_crypto_sha256(code, len, h, NULL) != LEVY_OK)
        return -1;
    levy_crypto_hex(h, sizeof h, hex);
    int n = snprintf(path, cap, "%s/signin/%s", data_dir, hex);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Expiry stored in a code file, or -1 when unreadable. */
static int64_t code_expiry(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *end = NULL;
    long long v = strtoll(buf, &end, 10);
    if (end == buf)
        return -1;
    return (int64_t)v;
}

static uint64_t sweep_code(void *ud, const char *path, const struct stat *st)
{
    (void)st;
    if (strlen(strrchr(path, '/') + 1) == 2 * LEVY_SHA256_LEN && code_expiry(path) < *(int64_t *)ud)
        unlink(path);
    return 0;
}

/* Removes code files whose expiry has passed (or that cannot be read). */
static void sweep_codes(const char *data_dir)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/signin", data_dir);
    int64_t now = (int64_t)time(NULL);
    levy_dir_each(dir, 1, sweep_code, &now);
}

int levy_auth_signin_new(const char *data_dir, int ttl_s, char *code, size_t cap, levy_err *err)
{
    if (cap < LEVY_SIGNIN_CODE_LEN + 1)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "sign-in code buffer too small");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/signin", data_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", dir, strerror(errno));
    chmod(dir, 0700);
    sweep_codes(data_dir);
    uint8_t raw[16];
    if (levy_crypto_random(raw, sizeof raw, err) != LEVY_OK)
        return LEVY_EINTERNAL;
    levy_b64_encode(raw, sizeof raw, LEVY_B64_URL | LEVY_B64_NOPAD, code);
    OPENSSL_cleanse(raw, sizeof raw);
    char path[PATH_MAX + 80], tmp[PATH_MAX + 100];
    if (code_path(data_dir, code, strlen(code), path, sizeof path) != 0)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "data dir path too long");
    /* written aside and renamed, so that a reader never sees a partial expiry */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", tmp, strerror(errno));
    char text[32];
    int n = snprintf(text, sizeof text, "%lld\n", (long long)time(NULL) + ttl_s);
    int ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    /* `sudo levy signin` as root: hand dir and file to the data dir's owner (the user levy
     * serve runs as), or the server could not read the code nor make the next one */
    struct stat dst;
    if (ok && geteuid() == 0 && stat(data_dir, &dst) == 0 && dst.st_uid != 0) {
        ok = chown(dir, dst.st_uid, dst.st_gid) == 0 && chown(tmp, dst.st_uid, dst.st_gid) == 0;
        saved = errno;
    }
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            saved = errno;
        unlink(tmp);
        return levy_err_set(err, LEVY_EIO, "io", "cannot write %s: %s", path, strerror(saved));
    }
    return LEVY_OK;
}

int levy_auth_signin_take(const char *data_dir, const char *code, size_t len)
{
    if (len != LEVY_SIGNIN_CODE_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)code[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    char path[PATH_MAX + 80];
    if (code_path(data_dir, code, len, path, sizeof path) != 0)
        return 0;
    int64_t exp = code_expiry(path);
    if (exp < 0)
        return 0;
    /* unlink is the single-use gate: of two concurrent takers only one removes the file */
    if (unlink(path) != 0)
        return 0;
    return exp >= (int64_t)time(NULL);
}

/* ---- sessions ------------------------------------------------------------------------- */

typedef struct session {
    uint8_t hash[LEVY_SHA256_LEN];
    int64_t expires;  /* 0 = free slot */
    int64_t token_id; /* the named token it was opened with (its row must stay live), 0 none */
} session;

static session sessions[LEVY_SESSION_MAX];
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;

static int session_hash(const char *tok, size_t len, uint8_t out[LEVY_SHA256_LEN])
{
    size_t pl = strlen(LEVY_SESSION_PREFIX);
    if (len <= pl || len > 128 || strncmp(tok, LEVY_SESSION_PREFIX, pl) != 0)
        return -1;
    return levy_crypto_sha256(tok, len, out, NULL) == LEVY_OK ? 0 : -1;
}

int levy_auth_session_new(char *out, size_t cap, int64_t *expires, levy_err *err)
{
    return levy_auth_session_new_as(0, out, cap, expires, err);
}

int levy_auth_session_new_as(int64_t token_id, char *out, size_t cap, int64_t *expires,
                             levy_err *err)
{
    uint8_t raw[32];
    size_t pl = strlen(LEVY_SESSION_PREFIX);
    if (cap < pl + levy_b64_encoded_len(sizeof raw, LEVY_B64_URL | LEVY_B64_NOPAD) + 1)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "session buffer too small");
    if (levy_crypto_random(raw, sizeof raw, err) != LEVY_OK)
        return LEVY_EINTERNAL;
    memcpy(out, LEVY_SESSION_PREFIX, pl);
    levy_b64_encode(raw, sizeof raw, LEVY_B64_URL | LEVY_B64_NOPAD, out + pl);
    OPENSSL_cleanse(raw, sizeof raw);
    uint8_t h[LEVY_SHA256_LEN];
    if (session_hash(out, strlen(out), h) != 0)
        return levy_err_set(err, LEVY_EINTERNAL, "crypto", "sha256 failed");
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&sessions_mu);
    /* a free or expired slot, else the one that expires first (the oldest) */
    int pick = 0;
    for (int i = 0; i < LEVY_SESSION_MAX; i++) {
        if (sessions[i].expires < now) {
            pick = i;
            break;
        }
        if (sessions[i].expires < sessions[pick].expires)
            pick = i;
    }
    memcpy(sessions[pick].hash, h, sizeof h);
    sessions[pick].expires = now + LEVY_SESSION_TTL_S;
    sessions[pick].token_id = token_id;
    *expires = sessions[pick].expires;
    pthread_mutex_unlock(&sessions_mu);
    return LEVY_OK;
}

/* 1 when tok is a live session (its named token, if any, in *token_id; else 0). */
static int session_find(const char *tok, size_t len, int64_t *token_id)
{
    uint8_t h[LEVY_SHA256_LEN];
    if (session_hash(tok, len, h) != 0)
        return 0;
    int64_t now = (int64_t)time(NULL);
    int ok = 0;
    pthread_mutex_lock(&sessions_mu);
    for (int i = 0; i < LEVY_SESSION_MAX; i++) {
        int hit = sessions[i].expires >= now && CRYPTO_memcmp(sessions[i].hash, h, sizeof h) == 0;
        if (hit)
            *token_id = sessions[i].token_id;
        ok |= hit;
    }
    pthread_mutex_unlock(&sessions_mu);
    return ok;
}

int levy_auth_session_ok(const char *tok, size_t len)
{
    int64_t tid = 0;
    return session_find(tok, len, &tid);
}

void levy_auth_sessions_end_token(int64_t token_id)
{
    if (token_id <= 0)
        return;
    pthread_mutex_lock(&sessions_mu);
    for (int i = 0; i < LEVY_SESSION_MAX; i++)
        if (sessions[i].token_id == token_id)
            memset(&sessions[i], 0, sizeof sessions[i]);
    pthread_mutex_unlock(&sessions_mu);
}

void levy_auth_session_end(const char *tok, size_t len)
{
    uint8_t h[LEVY_SHA256_LEN];
    if (session_hash(tok, len, h) != 0)
        return;
    pthread_mutex_lock(&sessions_mu);
    for (int i = 0; i < LEVY_SESSION_MAX; i++)
        if (CRYPTO_memcmp(sessions[i].hash, h, sizeof h) == 0)
            memset(&sessions[i], 0, sizeof sessions[i]);
    pthread_mutex_unlock(&sessions_mu);
}

void levy_auth_session_reset(void)
{
    pthread_mutex_lock(&sessions_mu);
    memset(sessions, 0, sizeof sessions);
    pthread_mutex_unlock(&sessions_mu);
}

static int is_api_token(const levy_config *cfg, const char *tok, size_t len)
{
    if (!cfg || !cfg->api_token[0])
        return 0;
    size_t m = strlen(cfg->api_token);
    return len == m && CRYPTO_memcmp(tok, cfg->api_token, m) == 0;
}

int levy_auth_who(const levy_config *cfg, levy_store *st, const char *tok, size_t len,
                  levy_auth_whois *who)
{
    memset(who, 0, sizeof *who);
    if (!tok)
        return 0;
    if (is_api_token(cfg, tok, len)) {
        who->kind = LEVY_WHO_API_TOKEN;
        who->role = LEVY_ROLE_ADMIN;
        return 1;
    }
    int64_t tid = 0;
    if (session_find(tok, len, &tid)) {
        uint8_t h[LEVY_SHA256_LEN];
        if (session_hash(tok, len, h) != 0)
            return 0;
        snprintf(who->session, sizeof who->session, "%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
        /* a session of a named token lives only while the token does (on every replica:
         * another one's revocation is seen in the row) */
        /* a session of the API token or of a sign-in code (whoever holds the data dir made
         * it) is admin; a named token's is that token's role */
        who->role = LEVY_ROLE_ADMIN;
        if (tid && !levy_tokens_live(st, tid, who->name, sizeof who->name, &who->role)) {
            levy_auth_sessions_end_token(tid);
            memset(who, 0, sizeof *who);
            return 0;
        }
        who->read_only = who->role == LEVY_ROLE_READ_ONLY;
        who->kind = LEVY_WHO_SESSION;
        who->token_id = tid;
        return 1;
    }
    if (levy_tokens_find(st, tok, len, &who->token_id, who->name, sizeof who->name, &who->role)) {
        who->read_only = who->role == LEVY_ROLE_READ_ONLY;
        who->kind = LEVY_WHO_NAMED;
        return 1;
    }
    return 0;
}

int levy_auth_bearer_ok(const levy_config *cfg, levy_store *st, const char *tok, size_t len)
{
    levy_auth_whois who;
    return levy_auth_who(cfg, st, tok, len, &who);
}

/* snprintf(dst, cap, "%s", s) without the printf machinery (issue 21, calc22: the actor is
 * worked out on every API request; four snprintf calls were ~2.4k instructions of it). */
static void put_cut(char *dst, size_t cap, const char *s)
{
    if (!cap)
        return;
    size_t n = strlen(s);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

void levy_auth_who_actor(const levy_auth_whois *who, char *kind, size_t kcap, char *label,
                         size_t lcap)
{
    put_cut(kind, kcap, "");
    put_cut(label, lcap, "");
    switch (who->kind) {
    case LEVY_WHO_API_TOKEN:
        put_cut(kind, kcap, "api_token");
        put_cut(label, lcap, "API token");
        break;
    case LEVY_WHO_NAMED:
        put_cut(kind, kcap, "named_token");
        snprintf(label, lcap, "%s's token", who->name);
        break;
    case LEVY_WHO_SESSION:
        put_cut(kind, kcap, "ui_session");
        if (who->token_id)
            snprintf(label, lcap, "UI session of %s %s", who->name, who->session);
        else
            snprintf(label, lcap, "UI session %s", who->session);
        break;
    default:
        break;
    }
}

void levy_auth_actor(const levy_config *cfg, levy_store *st, const char *tok, size_t len,
                     char *kind, size_t kcap, char *label, size_t lcap)
{
    levy_auth_whois who;
    levy_auth_who(cfg, st, tok, len, &who);
    levy_auth_who_actor(&who, kind, kcap, label, lcap);
}

/* ---- POST / DELETE /v1/session -------------------------------------------------------- */

static int reply_error(char *out, size_t cap, int status, const char *code, const char *msg)
{
    levy_buf b = {0};
    levy_buf_puts(&b, "{\"error\":{\"code\":");
    levy_json_escape(&b, code, strlen(code));
    levy_buf_puts(&b, ",\"message\":");
    levy_json_escape(&b, msg, strlen(msg));
    levy_buf_puts(&b, "}}");
    snprintf(out, cap, "%s", b.oom || !b.data ? "{}" : b.data);
    levy_buf_free(&b);
    return status;
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Reads {"code": "..."} or {"api_token": "..."} (exactly one, nothing else) into which/val.
 * Returns 0 ok, 400 not a JSON object, 422 wrong shape (msg set). */
static int parse_body(const char *s, size_t len, int *which, levy_buf *val, const char **msg)
{
    levy_err e;
    if (levy_json_validate(s, len, 4, &e) != LEVY_OK)
        return 400;
    const char *p = skip_ws(s, s + len), *end = s + len;
    if (p >= end || *p != '{')
        return 400;
    p = skip_ws(p + 1, end);
    *which = 0;
    *msg = "send {\"code\": \"<sign-in code>\"} or {\"api_token\": \"<API token>\"}";
    while (p < end && *p != '}') {
        levy_buf key = {0};
        size_t used = 0;
        if (*p != '"' || levy_json_unescape(p, (size_t)(end - p), 1, &key, &used, &e) != LEVY_OK) {
            levy_buf_free(&key);
            return 400;
        }
        p = skip_ws(p + used, end);
        p = skip_ws(p + 1, end); /* ':' (validated) */
        int k = key.data && strcmp(key.data, "code") == 0        ? 1
                : key.data && strcmp(key.data, "api_token") == 0 ? 2
                                                                 : 0;
        levy_buf_free(&key);
        if (!k || *which || p >= end || *p != '"')
            return 422;
        if (levy_json_unescape(p, (size_t)(end - p), 1, val, &used, &e) != LEVY_OK)
            return 422;
        *which = k;
        p = skip_ws(p + used, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
    }
    return *which ? 0 : 422;
}

int levy_auth_session_request(const levy_config *cfg, levy_store *st, int is_delete,
                              const char *ctype, const char *body, size_t body_len,
                              const char *bearer, char *out, size_t cap)
{
    if (is_delete) {
        if (!bearer || !levy_auth_bearer_ok(cfg, st, bearer, strlen(bearer)))
            return reply_error(out, cap, 401, "unauthorized", "missing or wrong API token");
        levy_auth_session_end(bearer, strlen(bearer));
        out[0] = '\0';
        return 204;
    }
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0)
        return reply_error(out, cap, 415, "unsupported_media_type",
                           "the body must be application/json");
    int which = 0;
    const char *msg = "";
    levy_buf val = {0};
    int pst = parse_body(body ? body : "", body ? body_len : 0, &which, &val, &msg);
    if (pst == 400) {
        levy_buf_free(&val);
        return reply_error(out, cap, 400, "invalid_json", "the body is not a JSON object");
    }
    if (pst == 422) {
        levy_buf_free(&val);
        return reply_error(out, cap, 422, "validation_failed", msg);
    }
    const char *v = val.data ? val.data : "";
    /* {"api_token": ...}: the configured API token or a named one (the session is then that
     * token's: named in the audit log, ended when it is revoked) */
    int64_t tid = 0;
    char tname[LEVY_TOKEN_NAME_MAX + 1];
    int ok = which == 1 ? levy_auth_signin_take(cfg->data_dir, v, val.len)
                        : is_api_token(cfg, v, val.len) ||
                              levy_tokens_find(st, v, val.len, &tid, tname, sizeof tname, NULL);
    if (val.data)
        OPENSSL_cleanse(val.data, val.len);
    levy_buf_free(&val);
    if (!ok)
        return reply_error(out, cap, 401, "unauthorized",
                           which == 1 ? "the sign-in code is wrong, used or expired "
                                        "(`levy signin` makes a new one)"
                                      : "missing or wrong API token");
    char tok[96];
    int64_t exp = 0;
    levy_err e;
    levy_err_clear(&e);
    if (levy_auth_session_new_as(tid, tok, sizeof tok, &exp, &e) != LEVY_OK)
        return reply_error(out, cap, 500, "internal", "cannot create a session");
    time_t t = (time_t)exp;
    struct tm tm;
    gmtime_r(&t, &tm);
    char iso[32];
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(out, cap, "{\"session_token\":\"%s\",\"expires_at\":\"%s\",\"expires_in\":%d}", tok,
             iso, LEVY_SESSION_TTL_S);
    OPENSSL_cleanse(tok, sizeof tok);
    return 201;
}

/* ---- levy signin ---------------------------------------------------------------------- */

int levy_auth_signin_cli(const levy_config *cfg)
{
    struct stat st;
    if (stat(cfg->data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "levy signin: no data dir %s (start levy serve first, or pass --data-dir)\n",
                cfg->data_dir);
        return 1;
    }
    char code[LEVY_SIGNIN_CODE_LEN + 1];
    levy_err e;
    levy_err_clear(&e);
    if (levy_auth_signin_new(cfg->data_dir, LEVY_SIGNIN_TTL_S, code, sizeof code, &e) != LEVY_OK) {
        fprintf(stderr, "levy signin: %s\n", e.message);
        return 1;
    }
    printf("Sign in: %s/#signin=%s\n", cfg->public_url, code);
    printf("(one-time code %s, valid 15 minutes; a running levy accepts it at once)\n", code);
    fflush(stdout);
    return 0;
}
