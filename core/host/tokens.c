/* Named API tokens (see tokens.h). */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "host/tokens.h"
#include "store/audit.h"

/* ---- names ---------------------------------------------------------------------------- */

/* 1 when s is valid UTF-8 (no overlong forms, surrogates or code points over U+10FFFF) */
static int utf8_ok(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int n = c < 0x80             ? 0
                : (c & 0xe0) == 0xc0 ? 1
                : (c & 0xf0) == 0xe0 ? 2
                : (c & 0xf8) == 0xf0 ? 3
                                     : -1;
        if (n < 0 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
            return 0;
        unsigned cp = n == 0 ? c : c & (0x3fu >> n);
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        s += n + 1;
    }
    return 1;
}

const char *levy_tokens_name_rule(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return "the name is empty: give the person or system the token is for (e.g. Alice)";
    if (n > LEVY_TOKEN_NAME_MAX)
        return "the name is longer than 64 bytes";
    if (name[0] == ' ' || name[n - 1] == ' ')
        return "the name starts or ends with a space";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return "the name holds a control character";
        if (c == '/' || c == '%')
            return "the name holds '/' or '%'";
    }
    if (!utf8_ok((const unsigned char *)name))
        return "the name is not valid UTF-8";
    return NULL;
}

/* ---- lookup --------------------------------------------------------------------------- */

/* The hex SHA-256 of a named token's text into hex (65 bytes); -1 when tok cannot be one. */
static int token_hash_hex(const char *tok, size_t len, char hex[2 * LEVY_SHA256_LEN + 1])
{
    size_t pl = strlen(LEVY_NAMED_TOKEN_PREFIX);
    if (len != LEVY_NAMED_TOKEN_LEN || strncmp(tok, LEVY_NAMED_TOKEN_PREFIX, pl) != 0)
        return -1;
    uint8_t h[LEVY_SHA256_LEN];
    if (levy_crypto_sha256(tok, len, h, NULL) != LEVY_OK)
        return -1;
    levy_crypto_hex(h, sizeof h, hex);
    return 0;
}

/* A row's role; a word this binary does not know (a newer one's) grants the least: read-only. */
static int role_of(const char *word)
{
    int r = levy_role_parse(word);
    return r < 0 ? LEVY_ROLE_READ_ONLY : r;
}

static void now_iso(char *at, size_t cap) { levy_time_iso(levy_clock_now_ms(), at, cap); }

/* last_used_at, to the minute and at most once a minute: a read-mostly check stays a read */
static void touch(levy_store *st, int64_t id, const char *last)
{
    char at[32];
    now_iso(at, sizeof at);
    /* the stamps are fixed-width UTC (YYYY-MM-DDTHH:MM:SSZ): same minute = same first 16 */
    if (last && strlen(last) >= 16 && strncmp(last, at, 16) == 0)
        return;
    if (levy_store_in_transaction(st))
        return;
    levy_err e;
    levy_err_clear(&e);
    levy_stmt *s = levy_store_prepare_cached(
        st, "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND revoked_at IS NULL", &e);
    if (!s)
        return;
    levy_stmt_quiet(s);
    levy_stmt_bind_text(s, 1, at, -1);
    levy_stmt_bind_int64(s, 2, id);
    levy_stmt_step(s, &e); /* a failure costs the stamp only: the token still works */
    levy_store_release(st, s);
}

int levy_tokens_find(levy_store *st, const char *tok, size_t len, int64_t *id, char *name,
                     size_t ncap, int *role)
{
    char hex[2 * LEVY_SHA256_LEN + 1];
    if (!st || !tok || token_hash_hex(tok, len, hex) != 0)
        return 0;
    levy_err e;
    levy_err_clear(&e);
    levy_stmt *s =
        levy_store_prepare_cached(st,
                                  "SELECT id, name, hash, last_used_at, role FROM api_tokens "
                                  "WHERE hash = ? AND revoked_at IS NULL",
                                  &e);
    if (!s)
        return 0;
    levy_stmt_bind_text(s, 1, hex, (long)(2 * LEVY_SHA256_LEN));
    int ok = 0;
    char last[32] = "";
    if (levy_stmt_step(s, &e) == LEVY_STMT_ROW) {
        const char *hh = levy_stmt_column_text(s, 2);
        /* the index found it; the comparison that decides is constant-time all the same */
        ok = hh && strlen(hh) == 2 * LEVY_SHA256_LEN &&
             CRYPTO_memcmp(hh, hex, 2 * LEVY_SHA256_LEN) == 0;
        if (ok) {
            *id = levy_stmt_column_int64(s, 0);
            const char *nm = levy_stmt_column_text(s, 1);
            snprintf(name, ncap, "%s", nm ? nm : "");
            const char *lu = levy_stmt_column_text(s, 3);
            snprintf(last, sizeof last, "%s", lu ? lu : "");
            if (role)
                *role = role_of(levy_stmt_column_text(s, 4));
        }
    }
    levy_store_release(st, s);
    OPENSSL_cleanse(hex, sizeof hex);
    if (ok)
        touch(st, *id, last[0] ? last : NULL);
    return ok;
}

int levy_tokens_live(levy_store *st, int64_t id, char *name, size_t ncap, int *role)
{
    if (!st)
        return 0;
    levy_err e;
    levy_err_clear(&e);
    levy_stmt *s = levy_store_prepare_cached(
        st, "SELECT name, role FROM api_tokens WHERE id = ? AND revoked_at IS NULL", &e);
    if (!s)
        return 0;
    levy_stmt_bind_int64(s, 1, id);
    int ok = levy_stmt_step(s, &e) == LEVY_STMT_ROW;
    if (ok && name) {
        const char *nm = levy_stmt_column_text(s, 0);
        snprintf(name, ncap, "%s", nm ? nm : "");
    }
    if (ok && role)
        *role = role_of(levy_stmt_column_text(s, 1));
    levy_store_release(st, s);
    return ok;
}

/* ---- create / revoke / list ----------------------------------------------------------- */

static void put_str(levy_buf *b, const char *s)
{
    if (s)
        levy_json_escape(b, s, strlen(s));
    else
        levy_buf_puts(b, "null");
}

/* {"field":{"before":B,"after":A}} for the audit row */
static char *one_change(const char *field, const char *before, const char *after)
{
    levy_buf b = {0};
    levy_buf_puts(&b, "{");
    put_str(&b, field);
    levy_buf_puts(&b, ":{\"before\":");
    put_str(&b, before);
    levy_buf_puts(&b, ",\"after\":");
    put_str(&b, after);
    levy_buf_puts(&b, "}}");
    if (b.oom) {
        levy_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* {"f1":{"before":B1,"after":A1},"f2":{...}} (f1 < f2: the canonical order) */
static char *two_changes(const char *f1, const char *b1, const char *a1, const char *f2,
                         const char *b2, const char *a2)
{
    char *x = one_change(f1, b1, a1), *y = one_change(f2, b2, a2);
    char *out = NULL;
    if (x && y) {
        levy_buf b = {0};
        levy_buf_put(&b, x, strlen(x) - 1); /* without its closing brace */
        levy_buf_puts(&b, ",");
        levy_buf_puts(&b, y + 1); /* without its opening brace */
        out = b.oom ? NULL : b.data;
        if (!out)
            levy_buf_free(&b);
    }
    free(x);
    free(y);
    return out;
}

static int live_id_of(levy_store *st, const char *name, int64_t *id, levy_err *err)
{
    levy_stmt *s = levy_store_prepare_cached(
        st, "SELECT id FROM api_tokens WHERE name = ? AND revoked_at IS NULL", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, name, -1);
    int rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW)
        *id = levy_stmt_column_int64(s, 0);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc == LEVY_OK ? LEVY_ENOTFOUND : rc;
}

static void label_of(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s's token", name);
}

int levy_tokens_create(levy_store *st, const char *name, int role, const char *actor_kind,
                       const char *actor, int64_t by_token, const char *request_id, char *tok,
                       size_t cap, levy_buf *row, levy_err *err)
{
    if (role != LEVY_ROLE_FULL && role != LEVY_ROLE_READ_ONLY && role != LEVY_ROLE_ADMIN)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "role must be admin, full or read_only");
    int read_only = role == LEVY_ROLE_READ_ONLY;
    const char *why = levy_tokens_name_rule(name);
    if (why)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "%s", why);
    if (cap <= LEVY_NAMED_TOKEN_LEN)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "token buffer too small");
    uint8_t raw[32];
    if (levy_crypto_random(raw, sizeof raw, err) != LEVY_OK)
        return LEVY_EINTERNAL;
    size_t pl = strlen(LEVY_NAMED_TOKEN_PREFIX);
    memcpy(tok, LEVY_NAMED_TOKEN_PREFIX, pl);
    levy_b64_encode(raw, sizeof raw, LEVY_B64_URL | LEVY_B64_NOPAD, tok + pl);
    OPENSSL_cleanse(raw, sizeof raw);
    char hex[2 * LEVY_SHA256_LEN + 1];
    if (token_hash_hex(tok, strlen(tok), hex) != 0)
        return levy_err_set(err, LEVY_EINTERNAL, "crypto", "sha256 failed");
    char at[32], label[LEVY_TOKEN_NAME_MAX + 16];
    now_iso(at, sizeof at);
    label_of(name, label, sizeof label);
    int64_t existing = 0;
    int rc = levy_store_begin(st, err);
    if (rc != LEVY_OK)
        goto fail;
    rc = live_id_of(st, name, &existing, err);
    if (rc == LEVY_OK) {
        rc = levy_err_set(err, LEVY_ECONFLICT, "conflict",
                          "a token named \"%s\" exists: revoke it first, or pick another name",
                          name);
    } else if (rc == LEVY_ENOTFOUND) {
        levy_err_clear(err);
        levy_stmt *s = levy_store_prepare_cached(
            st,
            "INSERT INTO api_tokens(name, hash, created_at, created_by, read_only, role, "
            "created_by_token) VALUES (?, ?, ?, ?, ?, ?, ?)",
            err);
        rc = s ? LEVY_OK : (err ? err->rc : LEVY_EINTERNAL);
        if (s) {
            levy_stmt_bind_text(s, 1, name, -1);
            levy_stmt_bind_text(s, 2, hex, -1);
            levy_stmt_bind_text(s, 3, at, -1);
            levy_stmt_bind_text(s, 4, actor, -1);
            levy_stmt_bind_int64(s, 5, read_only ? 1 : 0);
            levy_stmt_bind_text(s, 6, levy_role_name(role), -1);
            if (by_token > 0)
                levy_stmt_bind_int64(s, 7, by_token);
            else
                levy_stmt_bind_null(s, 7);
            rc = levy_stmt_step(s, err);
            rc = rc == LEVY_STMT_ROW ? LEVY_OK : rc;
            levy_store_release(st, s);
        }
        if (rc == LEVY_OK) {
            /* the role audited beside the state (tokens23): who may manage tokens is seen */
            char *ch = two_changes("role", NULL, levy_role_name(role), "state", NULL,
                                   read_only ? "active (read-only)" : "active");
            rc = ch ? levy_audit_insert(st, actor_kind, actor, "token.created", "token", name,
                                        label, ch, request_id, err)
                    : levy_err_set(err, LEVY_EINTERNAL, "oom", "out of memory");
            free(ch);
        }
    }
    if (rc == LEVY_OK)
        rc = levy_store_commit(st, err);
    else
        levy_store_rollback(st, NULL);
    if (rc == LEVY_OK && row) {
        levy_buf_puts(row, "{\"name\":");
        put_str(row, name);
        levy_buf_puts(row, ",\"created_at\":");
        put_str(row, at);
        levy_buf_puts(row, ",\"created_by\":");
        put_str(row, actor);
        levy_buf_puts(row, ",\"last_used_at\":null,\"read_only\":");
        levy_buf_puts(row, read_only ? "true" : "false");
        levy_buf_puts(row, ",\"role\":\"");
        levy_buf_puts(row, levy_role_name(role));
        levy_buf_puts(row, "\"}");
    }
fail:
    OPENSSL_cleanse(hex, sizeof hex);
    if (rc != LEVY_OK)
        OPENSSL_cleanse(tok, cap);
    return rc;
}

/* The tokens that token id made (created_by_token), oldest first, as a JSON array into out:
 * [{"name","created_at","role","revoked_at"}]; the live ones are those to review. */
static int made_by_json(levy_store *st, int64_t id, levy_buf *out, levy_err *err)
{
    levy_stmt *s = levy_store_prepare_cached(st,
                                             "SELECT name, created_at, role, revoked_at FROM "
                                             "api_tokens WHERE created_by_token = ? ORDER BY id",
                                             err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, id);
    static const char *const K[] = {"name", "created_at", "role", "revoked_at"};
    levy_buf_puts(out, "[");
    int rc, n = 0;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        levy_buf_puts(out, n++ ? ",{" : "{");
        for (int i = 0; i < 4; i++) {
            levy_buf_puts(out, i ? ",\"" : "\"");
            levy_buf_puts(out, K[i]);
            levy_buf_puts(out, "\":");
            put_str(out, levy_stmt_column_text(s, i));
        }
        levy_buf_puts(out, "}");
    }
    levy_store_release(st, s);
    levy_buf_puts(out, "]");
    return rc;
}

/* The audit log's actions that set a secret which outlives the token that set it (ro23), each
 * with the secret it sets (1 the Sphere key, 2 a connection's Rillet API key, 3 its webhook
 * signing token), and the actions that end such a secret (the key deleted, the connection
 * deleted). A CASE of it maps an action to its secret, 0 for any other. */
#define SECRET_OF(col)                                                                             \
    "CASE " col " WHEN 'sphere_api_key.created' THEN 1 WHEN 'sphere_api_key.replaced' THEN 1 "     \
    "WHEN 'connection.created' THEN 2 WHEN 'connection.key_replaced' THEN 2 "                      \
    "WHEN 'connection.connected' THEN 3 WHEN 'connection.webhook_token_replaced' THEN 3 ELSE 0 "   \
    "END"

static const char *const SECRET_NAMES[] = {"", "sphere_api_key", "rillet_api_key",
                                           "rillet_signing_token"};

/* The secrets the token named name set (the person of its audit rows, its own and its UI
 * sessions') that are still in effect: no later row set the same secret of the same object
 * again, nor ended it. Only rows after its token.created row count (a name can be given again
 * after a revocation; the token of a name is its latest creation). Read through
 * audit_log(action, id), the few rows that set a secret, at most 100, oldest first; its columns: the secret (1-3), object_kind, object_id,
 * label, set_at, action. NULL on the store's error (err set). */
static levy_stmt *secrets_set_query(levy_store *st, const char *name, levy_err *err)
{
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "SELECT " SECRET_OF(
            "a.action") ", a.object_kind, a.object_id, a.object_label, a.at, "
                        "a.action FROM audit_log a WHERE a.action IN ('sphere_api_key.created', "
                        "'sphere_api_key.replaced', 'connection.created', "
                        "'connection.key_replaced', "
                        "'connection.connected', 'connection.webhook_token_replaced') AND a.person "
                        "= ? AND "
                        "a.id > COALESCE((SELECT MAX(id) FROM audit_log WHERE object_kind = "
                        "'token' AND "
                        "object_id = ? AND action = 'token.created'), 0) AND NOT EXISTS (SELECT 1 "
                        "FROM "
                        "audit_log b WHERE b.object_kind = a.object_kind AND (b.object_id = "
                        "a.object_id OR "
                        "(b.object_id IS NULL AND a.object_id IS NULL)) AND b.id > a.id AND "
                        "(b.action IN "
                        "('sphere_api_key.deleted', 'connection.deleted') OR " SECRET_OF(
                            "b.action") " = " SECRET_OF("a.action") ")) ORDER BY a.id LIMIT 100",
        err);
    if (s) {
        levy_stmt_bind_text(s, 1, name, -1);
        levy_stmt_bind_text(s, 2, name, -1);
    }
    return s;
}

/* secrets_set_query's rows as JSON [{"secret","object_kind","object_id","label","set_at",
 * "action"}] into out. */
static int secrets_set_json(levy_store *st, const char *name, levy_buf *out, levy_err *err)
{
    levy_stmt *s = secrets_set_query(st, name, err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    static const char *const K[] = {"object_kind", "object_id", "label", "set_at", "action"};
    levy_buf_puts(out, "[");
    int rc, n = 0;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        int64_t which = levy_stmt_column_int64(s, 0);
        levy_buf_puts(out, n++ ? ",{\"secret\":" : "{\"secret\":");
        put_str(out, which >= 1 && which <= 3 ? SECRET_NAMES[which] : "unknown");
        for (int i = 0; i < 5; i++) {
            levy_buf_puts(out, ",\"");
            levy_buf_puts(out, K[i]);
            levy_buf_puts(out, "\":");
            put_str(out, levy_stmt_column_text(s, i + 1));
        }
        levy_buf_puts(out, "}");
    }
    levy_store_release(st, s);
    levy_buf_puts(out, "]");
    return rc;
}

/* One token's revocation inside the caller's transaction: the row stamped and its audit row
 * (changes: state active -> revoked, and for a token revoked with the one that made it,
 * revoked_with: that one's name). */
static int revoke_one(levy_store *st, int64_t id, const char *name, const char *at,
                      const char *actor_kind, const char *actor, const char *request_id,
                      const char *with, levy_err *err)
{
    char label[LEVY_TOKEN_NAME_MAX + 16];
    label_of(name ? name : "", label, sizeof label);
    levy_stmt *s = levy_store_prepare_cached(
        st, "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?", err);
    int rc = s ? LEVY_OK : (err ? err->rc : LEVY_EINTERNAL);
    if (s) {
        levy_stmt_bind_text(s, 1, at, -1);
        levy_stmt_bind_text(s, 2, actor, -1);
        levy_stmt_bind_int64(s, 3, id);
        rc = levy_stmt_step(s, err);
        rc = rc == LEVY_STMT_ROW ? LEVY_OK : rc;
        levy_store_release(st, s);
    }
    if (rc == LEVY_OK) {
        char *ch = with ? two_changes("state", "active", "revoked", "revoked_with", NULL, with)
                        : one_change("state", "active", "revoked");
        rc = ch ? levy_audit_insert(st, actor_kind, actor, "token.revoked", "token", name, label,
                                    ch, request_id, err)
                : levy_err_set(err, LEVY_EINTERNAL, "oom", "out of memory");
        free(ch);
    }
    return rc;
}

/* The live tokens token id made (created_by_token), oldest first: their ids and names (each
 * malloc'd; *n of them) for levy_tokens_revoke_with_created. */
static int live_made_by(levy_store *st, int64_t id, int64_t **ids, char ***names, size_t *n,
                        levy_err *err)
{
    *ids = NULL;
    *names = NULL;
    *n = 0;
    levy_stmt *s = levy_store_prepare_cached(st,
                                             "SELECT id, name FROM api_tokens WHERE "
                                             "created_by_token = ? AND revoked_at IS NULL "
                                             "ORDER BY id",
                                             err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, id);
    size_t cap = 0;
    int rc;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            int64_t *ni = realloc(*ids, nc * sizeof *ni);
            if (ni)
                *ids = ni;
            char **nn = ni ? realloc(*names, nc * sizeof *nn) : NULL;
            if (nn)
                *names = nn;
            if (!ni || !nn) {
                rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
                break;
            }
            cap = nc;
        }
        char *nm = strdup(levy_stmt_column_text(s, 1) ? levy_stmt_column_text(s, 1) : "");
        if (!nm) {
            rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
            break;
        }
        (*ids)[*n] = levy_stmt_column_int64(s, 0);
        (*names)[(*n)++] = nm;
    }
    levy_store_release(st, s);
    return rc;
}

int levy_tokens_revoke(levy_store *st, const char *name, const char *actor_kind, const char *actor,
                       const char *request_id, int64_t *id, levy_buf *answer, levy_err *err)
{
    return levy_tokens_revoke_with_created(st, name, 0, actor_kind, actor, request_id, id, NULL,
                                           NULL, answer, err);
}

int levy_tokens_revoke_with_created(levy_store *st, const char *name, int with_created,
                                    const char *actor_kind, const char *actor,
                                    const char *request_id, int64_t *id, int64_t **also,
                                    size_t *nalso, levy_buf *answer, levy_err *err)
{
    char at[32];
    int64_t *ids = NULL;
    char **names = NULL;
    size_t n = 0;
    if (also)
        *also = NULL;
    if (nalso)
        *nalso = 0;
    now_iso(at, sizeof at);
    int rc = levy_store_begin(st, err);
    if (rc != LEVY_OK)
        return rc;
    rc = live_id_of(st, name, id, err);
    if (rc == LEVY_ENOTFOUND)
        levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no token named \"%s\" (levy token list)",
                     name);
    if (rc == LEVY_OK)
        rc = revoke_one(st, *id, name, at, actor_kind, actor, request_id, NULL, err);
    /* issue 20: the live tokens it made, revoked in the same act, each with its audit row */
    if (rc == LEVY_OK && with_created)
        rc = live_made_by(st, *id, &ids, &names, &n, err);
    for (size_t i = 0; rc == LEVY_OK && i < n; i++)
        rc = revoke_one(st, ids[i], names[i], at, actor_kind, actor, request_id, name, err);
    /* the answer, read in the revocation's transaction: the tokens it made, to review */
    if (rc == LEVY_OK && answer) {
        levy_buf_puts(answer, "{\"name\":");
        put_str(answer, name);
        levy_buf_puts(answer, ",\"revoked_at\":");
        put_str(answer, at);
        levy_buf_puts(answer, ",\"revoked_by\":");
        put_str(answer, actor);
        levy_buf_puts(answer, ",\"created_tokens\":");
        rc = made_by_json(st, *id, answer, err);
        if (rc == LEVY_OK) {
            levy_buf_puts(answer, ",\"revoked_with_it\":[");
            for (size_t i = 0; i < n; i++) {
                if (i)
                    levy_buf_puts(answer, ",");
                put_str(answer, names[i]);
            }
            levy_buf_puts(answer, "],\"secrets_set\":");
            rc = secrets_set_json(st, name, answer, err);
        }
        levy_buf_puts(answer, "}");
        if (rc == LEVY_OK && answer->oom)
            rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    if (rc == LEVY_OK)
        rc = levy_store_commit(st, err);
    else
        levy_store_rollback(st, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == LEVY_OK && also && nalso) {
        *also = ids;
        *nalso = n;
        ids = NULL;
    }
    free(ids);
    return rc;
}

int levy_tokens_list_json(levy_store *st, levy_buf *out, levy_err *err)
{
    levy_stmt *s =
        levy_store_prepare_cached(st,
                                  "SELECT name, created_at, created_by, last_used_at, role FROM "
                                  "api_tokens WHERE revoked_at IS NULL ORDER BY id",
                                  err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    static const char *const K[] = {"name", "created_at", "created_by", "last_used_at"};
    levy_buf_puts(out, "{\"tokens\":[");
    int rc, n = 0;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        levy_buf_puts(out, n++ ? ",{" : "{");
        for (int i = 0; i < 4; i++) {
            levy_buf_puts(out, i ? ",\"" : "\"");
            levy_buf_puts(out, K[i]);
            levy_buf_puts(out, "\":");
            put_str(out, levy_stmt_column_text(s, i));
        }
        int role = role_of(levy_stmt_column_text(s, 4));
        levy_buf_puts(out,
                      role == LEVY_ROLE_READ_ONLY ? ",\"read_only\":true" : ",\"read_only\":false");
        levy_buf_puts(out, ",\"role\":\"");
        levy_buf_puts(out, levy_role_name(role));
        levy_buf_puts(out, "\"}");
    }
    levy_store_release(st, s);
    levy_buf_puts(out, "]}");
    if (rc == LEVY_OK && out->oom)
        rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    return rc;
}

/* ---- the people of the audit log ------------------------------------------------------ */

typedef struct person_row {
    char *name;
    int live, role; /* a live token has the name (and its role) */
} person_row;

static int person_cmp(const void *a, const void *b)
{
    return strcmp(((const person_row *)a)->name, ((const person_row *)b)->name);
}

/* adds name unless it is in v already (a live token's name that the log has too) */
static int person_add(person_row **v, int *n, int *cap, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*v)[i].name, name) == 0)
            return 0;
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        person_row *nv = realloc(*v, (size_t)nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[*n].name = strdup(name);
    if (!(*v)[*n].name)
        return -1;
    (*v)[*n].live = 0;
    (*v)[*n].role = LEVY_ROLE_FULL;
    (*n)++;
    return 0;
}

int levy_tokens_people_json(levy_store *st, levy_buf *out, levy_err *err)
{
    person_row *v = NULL;
    int n = 0, cap = 0, truncated = 0, rc = LEVY_OK;
    char last[LEVY_TOKEN_NAME_MAX * 4 + 1] = "";
    /* the distinct persons of the log by a skip scan of the index audit_log(person, id): one
     * index probe per person, not a read of every row (a log of millions of rows by a few
     * people costs a few probes) */
    levy_stmt *s =
        levy_store_prepare_cached(st, "SELECT MIN(person) FROM audit_log WHERE person > ?", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    for (;;) {
        if (n >= LEVY_PEOPLE_MAX) {
            truncated = 1;
            break;
        }
        levy_stmt_reset(s);
        levy_stmt_bind_text(s, 1, last, -1);
        rc = levy_stmt_step(s, err);
        if (rc != LEVY_STMT_ROW)
            break;
        const char *p = levy_stmt_column_text(s, 0);
        if (!p) {
            rc = LEVY_OK;
            break;
        }
        if (strlen(p) >= sizeof last) { /* not a name levy made: stop rather than loop */
            truncated = 1;
            rc = LEVY_OK;
            break;
        }
        snprintf(last, sizeof last, "%s", p);
        if (person_add(&v, &n, &cap, last) != 0) {
            rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
            break;
        }
        rc = LEVY_OK;
    }
    levy_store_release(st, s);
    /* the live tokens (a person who has changed nothing yet), with their roles */
    if (rc == LEVY_OK) {
        s = levy_store_prepare_cached(
            st, "SELECT name, role FROM api_tokens WHERE revoked_at IS NULL ORDER BY id", err);
        rc = s ? LEVY_OK : (err ? err->rc : LEVY_EINTERNAL);
        while (s && (rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
            const char *nm = levy_stmt_column_text(s, 0);
            if (!nm || person_add(&v, &n, &cap, nm) != 0) {
                rc = nm ? levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory") : LEVY_OK;
                if (rc != LEVY_OK)
                    break;
                continue;
            }
        }
        if (s)
            levy_store_release(st, s);
        /* each name's live token, if any: the partial unique index on live names */
        for (int i = 0; rc == LEVY_OK && i < n; i++) {
            int64_t id = 0;
            rc = live_id_of(st, v[i].name, &id, err);
            if (rc == LEVY_ENOTFOUND) {
                levy_err_clear(err);
                rc = LEVY_OK;
            } else if (rc == LEVY_OK) {
                v[i].live = levy_tokens_live(st, id, NULL, 0, &v[i].role);
            }
        }
    }
    if (rc == LEVY_OK) {
        qsort(v, (size_t)n, sizeof *v, person_cmp);
        levy_buf_puts(out, "{\"people\":[");
        for (int i = 0; i < n; i++) {
            levy_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
            put_str(out, v[i].name);
            levy_buf_puts(out, v[i].live ? ",\"state\":\"live\",\"role\":\""
                                         : ",\"state\":\"revoked\",\"role\":null}");
            if (v[i].live) {
                levy_buf_puts(out, levy_role_name(v[i].role));
                levy_buf_puts(out, "\"}");
            }
        }
        levy_buf_puts(out, truncated ? "],\"truncated\":true}" : "],\"truncated\":false}");
        if (out->oom)
            rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    }
    for (int i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    return rc;
}

/* ---- levy token ----------------------------------------------------------------------- */

static const char *role_word(int role)
{
    return role == LEVY_ROLE_ADMIN ? "admin" : role == LEVY_ROLE_READ_ONLY ? "read-only" : "full";
}

/* levy token revoke: the tokens the revoked one made, to review (the live ones first said) */
static void print_made(levy_store *st, int64_t id, const char *name)
{
    levy_err e;
    levy_err_clear(&e);
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "SELECT name, role, created_at, revoked_at FROM api_tokens WHERE created_by_token = ? "
        "ORDER BY id",
        &e);
    if (!s)
        return;
    levy_stmt_bind_int64(s, 1, id);
    int n = 0;
    while (levy_stmt_step(s, &e) == LEVY_STMT_ROW) {
        const char *rv = levy_stmt_column_text(s, 3);
        if (n++ == 0)
            printf("it made these tokens; review them (levy token revoke NAME if they should "
                   "not stay):\n");
        printf("  %-24s %-9s created %s%s%s\n", levy_stmt_column_text(s, 0),
               role_word(role_of(levy_stmt_column_text(s, 1))), levy_stmt_column_text(s, 2),
               rv ? ", revoked " : ", live", rv ? rv : "");
    }
    levy_store_release(st, s);
    if (n == 0)
        printf("it made no tokens\n");
    /* ro23: the secrets it set that outlive it, to replace */
    if (!(s = secrets_set_query(st, name, &e)))
        return;
    static const char *const WORDS[] = {"", "the Sphere API key", "the Rillet API key of",
                                        "the webhook signing token of"};
    n = 0;
    while (levy_stmt_step(s, &e) == LEVY_STMT_ROW) {
        int64_t which = levy_stmt_column_int64(s, 0);
        const char *obj = levy_stmt_column_text(s, 2);
        if (n++ == 0)
            printf("it set these secrets, still in use: replace them (they outlive the token):\n");
        printf("  %s%s%s, set %s\n", which >= 1 && which <= 3 ? WORDS[which] : "a secret",
               which >= 2 && obj ? " connection " : "", which >= 2 && obj ? obj : "",
               levy_stmt_column_text(s, 4));
    }
    levy_store_release(st, s);
    if (n == 0)
        printf("it set no secret that is still in use\n");
}

#define TOKEN_USAGE                                                                                \
    "usage: levy token create --name NAME [--admin | --read-only] | list | revoke NAME "           \
    "[--with-created] [--data-dir DIR] [--database URL]\n"

int levy_tokens_cli(const levy_config *cfg)
{
    const char *sub = cfg->nargs > 0 ? cfg->args[0] : "";
    int create = strcmp(sub, "create") == 0, list = strcmp(sub, "list") == 0,
        revoke = strcmp(sub, "revoke") == 0;
    int flags = cfg->token_name[0] || cfg->token_read_only || cfg->token_admin ||
                (cfg->token_with_created && !revoke);
    if ((!create && !list && !revoke) || (create && (cfg->nargs != 1 || !cfg->token_name[0])) ||
        (list && cfg->nargs != 1) || (revoke && cfg->nargs != 2) || (!create && flags) ||
        (create && cfg->token_admin && cfg->token_read_only)) {
        fprintf(stderr, "levy token: %s; see levy token --help\n",
                cfg->token_with_created && !revoke ? "--with-created goes with revoke only"
                : create ? (cfg->nargs != 1       ? "create takes no argument besides --name NAME"
                            : !cfg->token_name[0] ? "create needs --name NAME"
                                                  : "--admin and --read-only exclude each other")
                : list   ? "list takes no argument"
                : revoke ? (cfg->nargs < 2 ? "revoke needs the token's NAME"
                                           : "revoke takes one NAME (quote a name with spaces)")
                : flags && (list || revoke) ? "--name, --admin and --read-only go with create only"
                                            : "needs create, list or revoke");
        return 2;
    }
    if (create) {
        const char *why = levy_tokens_name_rule(cfg->token_name);
        if (why) {
            fprintf(stderr, "levy token create: --name: %s\n", why);
            return 2;
        }
    }
    char dbpath[PATH_MAX];
    snprintf(dbpath, sizeof dbpath, "%s/levy.db", cfg->data_dir);
    struct stat sb;
    if (!cfg->database[0] && stat(dbpath, &sb) != 0) {
        fprintf(stderr,
                "levy token: no store at %s (start levy serve first, or pass --data-dir / "
                "--database)\n",
                dbpath);
        return 1;
    }
    levy_err e;
    levy_err_clear(&e);
    levy_store *st = NULL;
    if (levy_store_open(&st, cfg->database[0] ? cfg->database : dbpath, 0, &e) != LEVY_OK) {
        fprintf(stderr, "levy token: cannot open the store: %s\n", e.message);
        return 1;
    }
    /* the audit row's actor: the command and the Unix user who ran it */
    char actor[160];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(actor, sizeof actor, "levy token %s (unix user %s)", sub,
             pw && pw->pw_name ? pw->pw_name : "?");
    int rc = 0;
    if (list) {
        levy_stmt *s = levy_store_prepare_cached(
            st,
            "SELECT name, created_at, created_by, COALESCE(last_used_at, 'never'), role "
            "FROM api_tokens WHERE revoked_at IS NULL ORDER BY id",
            &e);
        int n = 0, src = s ? LEVY_OK : LEVY_EIO;
        while (s && (src = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
            if (n++ == 0)
                printf("%-24s %-9s %-21s %-21s %s\n", "NAME", "ACCESS", "CREATED", "LAST USED",
                       "CREATED BY");
            printf("%-24s %-9s %-21s %-21s %s\n", levy_stmt_column_text(s, 0),
                   role_word(role_of(levy_stmt_column_text(s, 4))), levy_stmt_column_text(s, 1),
                   levy_stmt_column_text(s, 3), levy_stmt_column_text(s, 2));
        }
        if (s)
            levy_store_release(st, s);
        if (src != LEVY_OK) {
            fprintf(stderr, "levy token list: %s\n", e.message);
            rc = 1;
        } else if (n == 0) {
            printf("no named tokens (levy token create --name NAME makes one)\n");
        }
    } else if (create) {
        char tok[LEVY_NAMED_TOKEN_LEN + 1];
        int role = cfg->token_admin       ? LEVY_ROLE_ADMIN
                   : cfg->token_read_only ? LEVY_ROLE_READ_ONLY
                                          : LEVY_ROLE_FULL;
        if (levy_tokens_create(st, cfg->token_name, role, "cli", actor, 0, NULL, tok, sizeof tok,
                               NULL, &e) != LEVY_OK) {
            fprintf(stderr, "levy token create: %s\n", e.message);
            rc = 1;
        } else {
            printf("%s\n", tok);
            fflush(stdout);
            fprintf(stderr,
                    "levy token create: %stoken \"%s\" created; it is shown this once (levy "
                    "keeps only its hash): use it as Authorization: Bearer\n",
                    role == LEVY_ROLE_ADMIN       ? "admin "
                    : role == LEVY_ROLE_READ_ONLY ? "read-only "
                                                  : "",
                    cfg->token_name);
            OPENSSL_cleanse(tok, sizeof tok);
        }
    } else {
        int64_t id = 0, *also = NULL;
        size_t nalso = 0;
        if (levy_tokens_revoke_with_created(st, cfg->args[1], cfg->token_with_created, "cli", actor,
                                            NULL, &id, &also, &nalso, NULL, &e) != LEVY_OK) {
            fprintf(stderr, "levy token revoke: %s\n", e.message);
            rc = 1;
        } else {
            printf("token \"%s\" revoked: it and the UI sessions opened with it are refused from "
                   "the next request on\n",
                   cfg->args[1]);
            if (cfg->token_with_created)
                printf("revoked with it (--with-created): %zu token(s) it made that were live\n",
                       nalso);
            print_made(st, id, cfg->args[1]);
        }
        free(also);
    }
    levy_store_close(st);
    return rc;
}
