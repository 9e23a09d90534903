/* host/auth.c (issue 15, findings 12 and 15): the API token rule, one-time sign-in codes
 * (single use, expiry, stored as SHA-256), browser sessions and POST/DELETE /v1/session
 * without HTTP. The bug story: a 127+ character token was cut silently and a 1-character
 * one accepted; the web UI was opened with the API token in the URL (browser history). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "host/auth.h"
#include "host/tokens.h"
#include "config.h"
#include "store/audit.h"
#include "store/store.h"

static void t_token_rule(void)
{
    static const struct {
        const char *tok;
        int ok;
    } T[] = {
        {"", 0},
        {"x", 0},
        {"0123456789abcde", 0},
        {"0123456789abcdef", 1},
        {"aaaaaaaaaaaaaaaaaaaaaaaa", 0},
        {"has space 0123456789", 0},
        {"tab\there-0123456789", 0},
        {"non-ascii-\xc3\xa9-0123456789", 0},
        {"Tok3n-with/all+base64=chars~!", 1},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const char *why = levy_auth_token_rule(T[i].tok, strlen(T[i].tok));
        if ((why == NULL) != T[i].ok)
            fprintf(stderr, "  token %zu: %s\n", i, why ? why : "accepted");
        CHECK((why == NULL) == T[i].ok);
    }
    char big[LEVY_TOKEN_MAX + 2];
    for (size_t i = 0; i < sizeof big - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof big - 1] = '\0';
    CHECK(levy_auth_token_rule(big, LEVY_TOKEN_MAX) == NULL);
    CHECK(levy_auth_token_rule(big, LEVY_TOKEN_MAX + 1) != NULL);
end:;
}

static char dir[64];

static void mk_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/levy-test-auth-XXXXXX");
    if (!mkdtemp(dir))
        dir[0] = '\0';
}

static void rm_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        fprintf(stderr, "  cannot remove %s\n", dir);
}

static void t_signin_codes(void)
{
    char code[LEVY_SIGNIN_CODE_LEN + 1], code2[LEVY_SIGNIN_CODE_LEN + 1], path[256], hex[65];
    uint8_t h[LEVY_SHA256_LEN];
    levy_err e;
    levy_err_clear(&e);
    mk_dir();
    CHECK(dir[0]);
    CHECK_EQ_INT(levy_auth_signin_new(dir, 60, code, sizeof code, &e), LEVY_OK);
    CHECK_EQ_INT(strlen(code), LEVY_SIGNIN_CODE_LEN);
    /* stored under its SHA-256, 0600, the code itself nowhere */
    CHECK_EQ_INT(levy_crypto_sha256(code, strlen(code), h, NULL), LEVY_OK);
    levy_crypto_hex(h, sizeof h, hex);
    snprintf(path, sizeof path, "%s/signin/%s", dir, hex);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf(path, sizeof path, "%s/signin", dir);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700);
    /* wrong shape, wrong code, then the right one once */
    CHECK_EQ_INT(levy_auth_signin_take(dir, "short", 5), 0);
    CHECK_EQ_INT(levy_auth_signin_take(dir, "../../../../etc/passwd", 22), 0);
    CHECK_EQ_INT(levy_auth_signin_take(dir, "AAAAAAAAAAAAAAAAAAAAAA", 22), 0);
    CHECK_EQ_INT(levy_auth_signin_take(dir, code, strlen(code)), 1);
    CHECK_EQ_INT(levy_auth_signin_take(dir, code, strlen(code)), 0);
    /* an expired code is refused and swept */
    CHECK_EQ_INT(levy_auth_signin_new(dir, -1, code2, sizeof code2, &e), LEVY_OK);
    CHECK_EQ_INT(levy_auth_signin_take(dir, code2, strlen(code2)), 0);
    /* one never taken is swept when the next code is made; a live one stays */
    CHECK_EQ_INT(levy_auth_signin_new(dir, -1, code2, sizeof code2, &e), LEVY_OK);
    CHECK_EQ_INT(levy_crypto_sha256(code2, strlen(code2), h, NULL), LEVY_OK);
    levy_crypto_hex(h, sizeof h, hex);
    snprintf(path, sizeof path, "%s/signin/%s", dir, hex);
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(levy_auth_signin_new(dir, 60, code, sizeof code, &e), LEVY_OK);
    CHECK(stat(path, &st) != 0);
    CHECK_EQ_INT(levy_crypto_sha256(code, strlen(code), h, NULL), LEVY_OK);
    levy_crypto_hex(h, sizeof h, hex);
    snprintf(path, sizeof path, "%s/signin/%s", dir, hex);
    CHECK(stat(path, &st) == 0);
end:
    rm_dir();
}

static void t_sessions(void)
{
    char tok[96], tok2[96];
    int64_t exp = 0;
    levy_err e;
    levy_err_clear(&e);
    levy_auth_session_reset();
    /* the expiry is the creation time + the TTL: bracketed by the clock read before and
     * after the call, so however long the call takes (no "within 5 s" assumption) */
    int64_t before = (int64_t)time(NULL);
    CHECK_EQ_INT(levy_auth_session_new(tok, sizeof tok, &exp, &e), LEVY_OK);
    int64_t after = (int64_t)time(NULL);
    CHECK(strncmp(tok, LEVY_SESSION_PREFIX, 4) == 0 && strlen(tok) == 47);
    CHECK(exp >= before + LEVY_SESSION_TTL_S && exp <= after + LEVY_SESSION_TTL_S);
    CHECK_EQ_INT(levy_auth_session_ok(tok, strlen(tok)), 1);
    CHECK_EQ_INT(levy_auth_session_ok(tok, strlen(tok) - 1), 0);
    CHECK_EQ_INT(levy_auth_session_ok("lvs_", 4), 0);
    CHECK_EQ_INT(levy_auth_session_ok("", 0), 0);
    /* the bearer check: the API token, or a session */
    levy_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.api_token, sizeof c.api_token, "the-api-token-0123456789");
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, NULL, c.api_token, strlen(c.api_token)), 1);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, NULL, c.api_token, strlen(c.api_token) - 1), 0);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, NULL, tok, strlen(tok)), 1);
    c.api_token[0] = '\0';
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, NULL, "", 0), 0);
    /* more sessions than slots: the oldest goes, the newest stays */
    for (int i = 0; i < LEVY_SESSION_MAX; i++)
        CHECK_EQ_INT(levy_auth_session_new(tok2, sizeof tok2, &exp, &e), LEVY_OK);
    CHECK_EQ_INT(levy_auth_session_ok(tok2, strlen(tok2)), 1);
    levy_auth_session_end(tok2, strlen(tok2));
    CHECK_EQ_INT(levy_auth_session_ok(tok2, strlen(tok2)), 0);
end:
    levy_auth_session_reset();
}

/* The audit log's actor (issue 20): who a bearer is, never the bearer itself. A session is
 * named by its SHA-256's first 4 bytes in hex; an unknown or ended token is no one. */
static void t_actor(void)
{
    char tok[96], kind[32], label[48], want[48];
    int64_t exp = 0;
    levy_err e;
    levy_err_clear(&e);
    levy_auth_session_reset();
    levy_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.api_token, sizeof c.api_token, "the-api-token-0123456789");
    levy_auth_actor(&c, NULL, c.api_token, strlen(c.api_token), kind, sizeof kind, label,
                    sizeof label);
    CHECK_EQ_STR(kind, "api_token");
    CHECK_EQ_STR(label, "API token");
    /* cut to the room given, as snprintf cuts; no room: nothing written */
    char k4[4], l1[1] = {'x'}, l0[1] = {'y'};
    levy_auth_actor(&c, NULL, c.api_token, strlen(c.api_token), k4, sizeof k4, l1, sizeof l1);
    CHECK_EQ_STR(k4, "api");
    CHECK_EQ_STR(l1, "");
    levy_auth_actor(&c, NULL, c.api_token, strlen(c.api_token), k4, sizeof k4, l0, 0);
    CHECK(l0[0] == 'y');
    CHECK_EQ_INT(levy_auth_session_new(tok, sizeof tok, &exp, &e), LEVY_OK);
    levy_auth_actor(&c, NULL, tok, strlen(tok), kind, sizeof kind, label, sizeof label);
    uint8_t h[LEVY_SHA256_LEN];
    CHECK_EQ_INT(levy_crypto_sha256(tok, strlen(tok), h, &e), LEVY_OK);
    snprintf(want, sizeof want, "UI session %02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
    CHECK_EQ_STR(kind, "ui_session");
    CHECK_EQ_STR(label, want);
    CHECK(strstr(label, tok + 4) == NULL);
    /* a wrong token, a prefix of the API token, no token, an ended session: no one */
    levy_auth_actor(&c, NULL, "lvs_nosuchsession", 17, kind, sizeof kind, label, sizeof label);
    CHECK_EQ_STR(kind, "");
    levy_auth_actor(&c, NULL, c.api_token, strlen(c.api_token) - 1, kind, sizeof kind, label,
                    sizeof label);
    CHECK_EQ_STR(kind, "");
    levy_auth_actor(&c, NULL, NULL, 0, kind, sizeof kind, label, sizeof label);
    CHECK_EQ_STR(label, "");
    levy_auth_session_end(tok, strlen(tok));
    levy_auth_actor(&c, NULL, tok, strlen(tok), kind, sizeof kind, label, sizeof label);
    CHECK_EQ_STR(kind, "");
end:
    levy_auth_session_reset();
}

static void t_session_request(void)
{
    char out[512], code[LEVY_SIGNIN_CODE_LEN + 1], body[600];
    levy_config c;
    levy_err e;
    levy_err_clear(&e);
    memset(&c, 0, sizeof c);
    mk_dir();
    CHECK(dir[0]);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", dir);
    snprintf(c.api_token, sizeof c.api_token, "the-api-token-0123456789");
    const char *J = "application/json";
    static const struct {
        const char *body;
        int status;
    } BAD[] = {
        {"", 400},
        {"[1]", 400},
        {"{", 400},
        {"{}", 422},
        {"{\"code\":1}", 422},
        {"{\"other\":\"x\"}", 422},
        {"{\"code\":\"x\",\"api_token\":\"y\"}", 422},
        {"{\"code\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", 401},
        {"{\"api_token\":\"nope\"}", 401},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        int st = levy_auth_session_request(&c, NULL, 0, J, BAD[i].body, strlen(BAD[i].body), NULL,
                                           out, sizeof out);
        if (st != BAD[i].status)
            fprintf(stderr, "  body %s: %d %s\n", BAD[i].body, st, out);
        CHECK_EQ_INT(st, BAD[i].status);
        CHECK(strstr(out, "\"error\"") != NULL);
    }
    CHECK_EQ_INT(
        levy_auth_session_request(&c, NULL, 0, "text/plain", "{}", 2, NULL, out, sizeof out), 415);
    CHECK_EQ_INT(levy_auth_signin_new(dir, 60, code, sizeof code, &e), LEVY_OK);
    snprintf(body, sizeof body, " { \"code\" : \"%s\" } ", code);
    CHECK_EQ_INT(
        levy_auth_session_request(&c, NULL, 0, J, body, strlen(body), NULL, out, sizeof out), 201);
    CHECK(strstr(out, "\"session_token\":\"lvs_") != NULL);
    CHECK(strstr(out, c.api_token) == NULL);
    CHECK_EQ_INT(
        levy_auth_session_request(&c, NULL, 0, J, body, strlen(body), NULL, out, sizeof out), 401);
    snprintf(body, sizeof body, "{\"api_token\":\"%s\"}", c.api_token);
    CHECK_EQ_INT(
        levy_auth_session_request(&c, NULL, 0, J, body, strlen(body), NULL, out, sizeof out), 201);
    /* DELETE ends the session given as Bearer */
    char tok[96];
    const char *p = strstr(out, "lvs_");
    CHECK(p != NULL);
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(p, "\""), p);
    CHECK_EQ_INT(levy_auth_session_ok(tok, strlen(tok)), 1);
    CHECK_EQ_INT(levy_auth_session_request(&c, NULL, 1, NULL, "", 0, NULL, out, sizeof out), 401);
    CHECK_EQ_INT(levy_auth_session_request(&c, NULL, 1, NULL, "", 0, tok, out, sizeof out), 204);
    CHECK_EQ_INT(levy_auth_session_ok(tok, strlen(tok)), 0);
end:
    levy_auth_session_reset();
    rm_dir();
}

/* Named API tokens (issue 20, tokens22) over a real SQLite store: the name rule; created, found
 * by its hash only, named in the actor, opening a session that ends with it; revoked, it and
 * its session are no one; a live name cannot be taken twice; the store keeps no token text. */
static void t_named_tokens(void)
{
    static const struct {
        const char *name;
        int ok;
    } N[] = {
        {"Alice", 1},     {"Carol Ng", 1}, {"Jos\xc3\xa9", 1},  {"", 0},
        {" Al", 0},       {"Al ", 0},      {"a/b", 0},          {"50%", 0},
        {"tab\there", 0}, {"bad\xc3(", 0}, {"\xed\xa0\x80", 0}, /* a surrogate */
    };
    for (size_t i = 0; i < sizeof N / sizeof N[0]; i++)
        CHECK_EQ_INT(levy_tokens_name_rule(N[i].name) == NULL, N[i].ok);
    char n65[66];
    memset(n65, 'x', 65);
    n65[65] = 0;
    CHECK(levy_tokens_name_rule(n65) != NULL);
    n65[64] = 0;
    CHECK(levy_tokens_name_rule(n65) == NULL);

    levy_store *st = NULL;
    levy_err e;
    levy_err_clear(&e);
    levy_auth_session_reset();
    mk_dir();
    CHECK(dir[0]);
    char db[600];
    snprintf(db, sizeof db, "%s/levy.db", dir);
    CHECK_EQ_INT(levy_store_open(&st, db, 0, &e), LEVY_OK);
    levy_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.api_token, sizeof c.api_token, "the-api-token-0123456789");
    char tok[LEVY_NAMED_TOKEN_LEN + 1], tok2[LEVY_NAMED_TOKEN_LEN + 1], kind[32],
        label[LEVY_ACTOR_MAX];
    levy_buf row = {0};
    CHECK_EQ_INT(levy_tokens_create(st, "Alice", 0, "api_token", "API token", 0, NULL, tok,
                                    sizeof tok, &row, &e),
                 LEVY_OK);
    CHECK_EQ_INT((int)strlen(tok), LEVY_NAMED_TOKEN_LEN);
    CHECK(strncmp(tok, "lvt_", 4) == 0);
    CHECK(row.data && strstr(row.data, "\"name\":\"Alice\"") && !strstr(row.data, tok));
    levy_buf_free(&row);
    CHECK_EQ_INT(levy_tokens_create(st, "Alice", 0, "api_token", "API token", 0, NULL, tok2,
                                    sizeof tok2, NULL, &e),
                 LEVY_ECONFLICT);
    CHECK_EQ_INT(levy_tokens_create(st, "a/b", 0, "api_token", "API token", 0, NULL, tok2,
                                    sizeof tok2, NULL, &e),
                 LEVY_EINVAL);
    /* the token authenticates and is named; a one-character change of it does not */
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, tok, strlen(tok)), 1);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, NULL, tok, strlen(tok)), 0);
    levy_auth_actor(&c, st, tok, strlen(tok), kind, sizeof kind, label, sizeof label);
    CHECK_EQ_STR(kind, "named_token");
    CHECK_EQ_STR(label, "Alice's token");
    char bad[LEVY_NAMED_TOKEN_LEN + 1];
    memcpy(bad, tok, sizeof bad);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, bad, strlen(bad)), 0);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, tok, strlen(tok) - 1), 0);
    /* a UI session opened with it is "UI session of Alice <8 hex>" */
    char out[512], body[200];
    snprintf(body, sizeof body, "{\"api_token\":\"%s\"}", tok);
    CHECK_EQ_INT(levy_auth_session_request(&c, st, 0, "application/json", body, strlen(body), NULL,
                                           out, sizeof out),
                 201);
    char sess[96];
    const char *p = strstr(out, "lvs_");
    CHECK(p != NULL);
    snprintf(sess, sizeof sess, "%.*s", (int)strcspn(p, "\""), p);
    levy_auth_actor(&c, st, sess, strlen(sess), kind, sizeof kind, label, sizeof label);
    CHECK_EQ_STR(kind, "ui_session");
    CHECK(strncmp(label, "UI session of Alice ", 20) == 0 && strlen(label) == 28);
    /* the store holds the hash, never the token */
    char hexbuf[80] = "";
    CHECK_EQ_INT(levy_store_query_text(st, "SELECT hash FROM api_tokens WHERE name = ?", "Alice",
                                       hexbuf, sizeof hexbuf, &e),
                 LEVY_OK);
    uint8_t h[LEVY_SHA256_LEN];
    char want[2 * LEVY_SHA256_LEN + 1];
    CHECK_EQ_INT(levy_crypto_sha256(tok, strlen(tok), h, &e), LEVY_OK);
    levy_crypto_hex(h, sizeof h, want);
    CHECK_EQ_STR(hexbuf, want);
    /* revoked: the token and the session it opened are no one, from the next check on (also
     * when another process revoked it: the session's token row is read, not only forgotten
     * here, so the row is revoked behind the sessions' back first) */
    CHECK_EQ_INT(
        levy_store_exec(st, "UPDATE api_tokens SET revoked_at = 'x' WHERE name = 'Alice'", &e),
        LEVY_OK);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, sess, strlen(sess)), 0);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, tok, strlen(tok)), 0);
    CHECK_EQ_INT(
        levy_store_exec(st, "UPDATE api_tokens SET revoked_at = NULL WHERE name = 'Alice'", &e),
        LEVY_OK);
    int64_t id = 0;
    CHECK_EQ_INT(levy_tokens_revoke(st, "Alice", "cli", "levy token revoke", NULL, &id, NULL, &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, tok, strlen(tok)), 0);
    CHECK_EQ_INT(levy_tokens_revoke(st, "Alice", "cli", "levy token revoke", NULL, &id, NULL, &e),
                 LEVY_ENOTFOUND);
    /* the API token is untouched; the name may be given again (a new token) */
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, c.api_token, strlen(c.api_token)), 1);
    CHECK_EQ_INT(levy_tokens_create(st, "Alice", 0, "api_token", "API token", 0, NULL, tok2,
                                    sizeof tok2, NULL, &e),
                 LEVY_OK);
    CHECK(strcmp(tok, tok2) != 0);
    CHECK_EQ_INT(levy_auth_bearer_ok(&c, st, tok2, strlen(tok2)), 1);
    /* the audit rows: created twice, revoked once, never the token */
    char n[32] = "";
    CHECK_EQ_INT(levy_store_query_text(st,
                                       "SELECT count(*) FROM audit_log WHERE object_kind = 'token' "
                                       "AND object_id = ?",
                                       "Alice", n, sizeof n, &e),
                 LEVY_OK);
    CHECK_EQ_STR(n, "3");
end:
    levy_buf_free(&row);
    if (st)
        levy_store_close(st);
    levy_auth_session_reset();
    rm_dir();
}

/* The audit log by person (person20): the person read back from the labels
 * levy_auth_who_actor makes is the token's name exactly, also for names that look like a
 * label; other actors have none. Core migration 0009's backfill of older rows (SQL) gives the
 * same answer as levy_audit_person (C) for every label. */
static void t_audit_person(void)
{
    static const char *names[] = {
        "Alice",
        "Al",
        "Carol Ng",
        "Bob's token",
        "UI session of X 12345678",
        "é",
        "x'y",
        "0123456789012345678901234567890123456789012345678901234567890123"};
    levy_store *st = NULL;
    levy_err e;
    levy_err_clear(&e);
    char kind[32], label[LEVY_ACTOR_MAX], person[LEVY_AUDIT_PERSON_MAX];
    mk_dir();
    CHECK(dir[0]);
    char db[600];
    snprintf(db, sizeof db, "%s/levy.db", dir);
    CHECK_EQ_INT(levy_store_open(&st, db, 0, &e), LEVY_OK);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        for (int k = 0; k < 2; k++) {
            levy_auth_whois w;
            memset(&w, 0, sizeof w);
            w.kind = k ? LEVY_WHO_SESSION : LEVY_WHO_NAMED;
            w.token_id = 7;
            snprintf(w.name, sizeof w.name, "%s", names[i]);
            snprintf(w.session, sizeof w.session, "3f9a1c2e");
            levy_auth_who_actor(&w, kind, sizeof kind, label, sizeof label);
            CHECK_EQ_INT(levy_audit_person(kind, label, person, sizeof person), 1);
            CHECK_EQ_STR(person, names[i]);
            CHECK_EQ_INT(levy_audit_insert(st, kind, label, "region.updated", "region", "US-CA",
                                           NULL, "{}", NULL, &e),
                         LEVY_OK);
        }
    }
    /* no person: the configured token, its sessions (and sign-in codes'), commands, levy */
    static const char *none[][2] = {{"api_token", "API token"},
                                    {"ui_session", "UI session 3f9a1c2e"},
                                    {"cli", "levy token create --name Alice"},
                                    {"system", "levy"},
                                    {"named_token", "'s token"},
                                    {"ui_session", "UI session of  3f9a1c2e"},
                                    {"ui_session", "Alice's token"},
                                    {"named_token", "UI session of Alice 3f9a1c2e"}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        CHECK_EQ_INT(levy_audit_person(none[i][0], none[i][1], person, sizeof person), 0);
        CHECK_EQ_STR(person, "");
        CHECK_EQ_INT(levy_audit_insert(st, none[i][0], none[i][1], "region.updated", "region",
                                       "US-CA", NULL, "{}", NULL, &e),
                     LEVY_OK);
    }
    /* the backfill: the rows as they were before 0009 (no person), then the migration's text */
    char want[LEVY_AUDIT_PERSON_MAX * 24] = "", got[sizeof want] = "";
    const char *agg = "SELECT coalesce(group_concat(coalesce(person, '-'), '|'), '') FROM "
                      "(SELECT person FROM audit_log ORDER BY id)";
    CHECK_EQ_INT(levy_store_query_text(st, agg, NULL, want, sizeof want, &e), LEVY_OK);
    CHECK(strstr(want, "|Bob's token|") != NULL);
    CHECK_EQ_INT(levy_store_exec(st,
                                 "DROP INDEX audit_log_person; "
                                 "ALTER TABLE audit_log DROP COLUMN person",
                                 &e),
                 LEVY_OK);
    FILE *f = fopen("core/store/migrations/0009_audit_person.sql", "r");
    CHECK(f != NULL);
    char sql[8192];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    CHECK_EQ_INT(levy_store_exec(st, sql, &e), LEVY_OK);
    CHECK_EQ_INT(levy_store_query_text(st, agg, NULL, got, sizeof got, &e), LEVY_OK);
    CHECK_EQ_STR(got, want);
end:
    if (st)
        levy_store_close(st);
    rm_dir();
}

/* Token roles (tokens23) over a real SQLite store: the API token and its / a sign-in code's
 * sessions are admin, a named token and its sessions have the token's role; a token made by a
 * named token (or its session) records it, and revoking that token answers what it made; the
 * audit log's people list a revoked person as revoked; core migration 0010's backfill gives
 * the roles and makers of tokens made before it. */
static char *read_sql(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char sql[8192];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    return sql;
}

static void t_token_roles(void)
{
    levy_store *st = NULL;
    levy_err e;
    levy_err_clear(&e);
    levy_auth_session_reset();
    mk_dir();
    CHECK(dir[0]);
    char db[600];
    snprintf(db, sizeof db, "%s/levy.db", dir);
    CHECK_EQ_INT(levy_store_open(&st, db, 0, &e), LEVY_OK);
    levy_config c;
    memset(&c, 0, sizeof c);
    snprintf(c.api_token, sizeof c.api_token, "the-api-token-0123456789");
    levy_auth_whois w;
    CHECK_EQ_INT(levy_auth_who(&c, st, c.api_token, strlen(c.api_token), &w), 1);
    CHECK_EQ_INT(w.role, LEVY_ROLE_ADMIN);
    char sess[96];
    int64_t exp = 0;
    CHECK_EQ_INT(levy_auth_session_new(sess, sizeof sess, &exp, &e), LEVY_OK);
    CHECK_EQ_INT(levy_auth_who(&c, st, sess, strlen(sess), &w), 1);
    CHECK_EQ_INT(w.role, LEVY_ROLE_ADMIN); /* the API token's or a sign-in code's session */
    char ada[LEVY_NAMED_TOKEN_LEN + 1], fred[LEVY_NAMED_TOKEN_LEN + 1],
        rita[LEVY_NAMED_TOKEN_LEN + 1], made[LEVY_NAMED_TOKEN_LEN + 1];
    levy_buf row = {0};
    CHECK_EQ_INT(levy_tokens_create(st, "Ada", LEVY_ROLE_ADMIN, "api_token", "API token", 0, NULL,
                                    ada, sizeof ada, &row, &e),
                 LEVY_OK);
    CHECK(row.data && strstr(row.data, "\"role\":\"admin\"") &&
          strstr(row.data, "\"read_only\":false"));
    CHECK_EQ_INT(levy_tokens_create(st, "Fred", LEVY_ROLE_FULL, "api_token", "API token", 0, NULL,
                                    fred, sizeof fred, NULL, &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_tokens_create(st, "Rita", LEVY_ROLE_READ_ONLY, "api_token", "API token", 0,
                                    NULL, rita, sizeof rita, NULL, &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_tokens_create(st, "Bad", 7, "api_token", "API token", 0, NULL, made,
                                    sizeof made, NULL, &e),
                 LEVY_EINVAL);
    const struct {
        const char *tok;
        int role;
    } R[] = {{ada, LEVY_ROLE_ADMIN}, {fred, LEVY_ROLE_FULL}, {rita, LEVY_ROLE_READ_ONLY}};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(levy_auth_who(&c, st, R[i].tok, strlen(R[i].tok), &w), 1);
        CHECK_EQ_INT(w.role, R[i].role);
        CHECK_EQ_INT(w.read_only, R[i].role == LEVY_ROLE_READ_ONLY);
        /* a UI session opened with it has its role */
        char out[512], body[200];
        snprintf(body, sizeof body, "{\"api_token\":\"%s\"}", R[i].tok);
        CHECK_EQ_INT(levy_auth_session_request(&c, st, 0, "application/json", body, strlen(body),
                                               NULL, out, sizeof out),
                     201);
        const char *p = strstr(out, "lvs_");
        CHECK(p != NULL);
        snprintf(sess, sizeof sess, "%.*s", (int)strcspn(p, "\""), p);
        CHECK_EQ_INT(levy_auth_who(&c, st, sess, strlen(sess), &w), 1);
        CHECK_EQ_INT(w.role, R[i].role);
    }
    /* Ada (id 1) makes Mallory; her session (the last one above is Rita's: open Ada's) Sam */
    CHECK_EQ_INT(levy_auth_who(&c, st, ada, strlen(ada), &w), 1);
    int64_t ada_id = w.token_id;
    CHECK_EQ_INT(levy_tokens_create(st, "Mallory", LEVY_ROLE_FULL, "named_token", "Ada's token",
                                    ada_id, NULL, made, sizeof made, NULL, &e),
                 LEVY_OK);
    CHECK_EQ_INT(levy_tokens_create(st, "Sam", LEVY_ROLE_READ_ONLY, "ui_session",
                                    "UI session of Ada 01234567", ada_id, NULL, made, sizeof made,
                                    NULL, &e),
                 LEVY_OK);
    /* the audit rows name the role */
    char n[64] = "";
    CHECK_EQ_INT(levy_store_query_text(st,
                                       "SELECT changes FROM audit_log WHERE action = "
                                       "'token.created' AND object_id = ?",
                                       "Sam", n, sizeof n, &e),
                 LEVY_OK);
    CHECK(strstr(n, "\"role\":{\"after\":\"read_only\"") != NULL ||
          strstr(n, "\"role\":{\"before\":null,\"after\":\"read_only\"}") != NULL);
    levy_buf ans = {0};
    int64_t id = 0;
    CHECK_EQ_INT(levy_tokens_revoke(st, "Ada", "api_token", "API token", NULL, &id, &ans, &e),
                 LEVY_OK);
    CHECK_EQ_INT((int)id, (int)ada_id);
    CHECK(ans.data && strstr(ans.data, "\"name\":\"Ada\"") &&
          strstr(ans.data, "\"created_tokens\":[{\"name\":\"Mallory\"") &&
          strstr(ans.data, "{\"name\":\"Sam\"") && strstr(ans.data, "\"role\":\"read_only\""));
    levy_buf_free(&ans);
    CHECK_EQ_INT(levy_auth_who(&c, st, made, strlen(made), &w), 1); /* Sam's lives on */
    /* issue 20 #2: revoking with the tokens it made (?cascade=tokens, --with-created): Root
     * made Leaf1 (live) and Leaf2 (revoked before): Leaf1 is revoked in the same act with its
     * audit row naming Root; Leaf2 and Sam (Ada's) are not touched */
    {
        char root[LEVY_NAMED_TOKEN_LEN + 1], leaf1[LEVY_NAMED_TOKEN_LEN + 1];
        int64_t *also = NULL;
        size_t nalso = 9;
        CHECK_EQ_INT(levy_tokens_create(st, "Root", LEVY_ROLE_ADMIN, "api_token", "API token", 0,
                                        NULL, root, sizeof root, NULL, &e),
                     LEVY_OK);
        CHECK_EQ_INT(levy_auth_who(&c, st, root, strlen(root), &w), 1);
        int64_t root_id = w.token_id;
        CHECK_EQ_INT(levy_tokens_create(st, "Leaf1", LEVY_ROLE_FULL, "named_token", "Root's token",
                                        root_id, NULL, leaf1, sizeof leaf1, NULL, &e),
                     LEVY_OK);
        CHECK_EQ_INT(levy_auth_who(&c, st, leaf1, strlen(leaf1), &w), 1);
        int64_t leaf1_id = w.token_id;
        CHECK_EQ_INT(levy_tokens_create(st, "Leaf2", LEVY_ROLE_FULL, "named_token", "Root's token",
                                        root_id, NULL, made, sizeof made, NULL, &e),
                     LEVY_OK);
        CHECK_EQ_INT(
            levy_tokens_revoke(st, "Leaf2", "cli", "levy token revoke", NULL, &id, NULL, &e),
            LEVY_OK);
        CHECK_EQ_INT(levy_tokens_revoke_with_created(st, "Root", 1, "api_token", "API token", NULL,
                                                     &id, &also, &nalso, &ans, &e),
                     LEVY_OK);
        CHECK_EQ_INT(nalso, 1);
        CHECK(also && also[0] == leaf1_id);
        free(also);
        CHECK(ans.data && strstr(ans.data, "\"revoked_with_it\":[\"Leaf1\"]"));
        levy_buf_free(&ans);
        CHECK_EQ_INT(levy_auth_who(&c, st, leaf1, strlen(leaf1), &w), 0);
        char chg[200] = "";
        CHECK_EQ_INT(levy_store_query_text(st,
                                           "SELECT changes FROM audit_log WHERE action = "
                                           "'token.revoked' AND object_id = ?",
                                           "Leaf1", chg, sizeof chg, &e),
                     LEVY_OK);
        CHECK(strstr(chg, "\"revoked_with\":{\"before\":null,\"after\":\"Root\"}") != NULL);
        CHECK_EQ_INT(levy_store_query_text(st,
                                           "SELECT count(*) FROM audit_log WHERE action = "
                                           "'token.revoked' AND object_id = ?",
                                           "Leaf2", chg, sizeof chg, &e),
                     LEVY_OK);
        CHECK_EQ_STR(chg, "1"); /* Leaf2's own revocation only */
    }
    /* the people: Ada (revoked) is one by the token.created rows of Mallory and Sam (her
     * label's person); live tokens are listed with their roles, made changes or not */
    levy_buf ppl = {0};
    CHECK_EQ_INT(levy_tokens_people_json(st, &ppl, &e), LEVY_OK);
    CHECK(ppl.data && strstr(ppl.data, "{\"name\":\"Ada\",\"state\":\"revoked\",\"role\":null}") &&
          strstr(ppl.data, "{\"name\":\"Fred\",\"state\":\"live\",\"role\":\"full\"}") &&
          strstr(ppl.data, "{\"name\":\"Rita\",\"state\":\"live\",\"role\":\"read_only\"}") &&
          strstr(ppl.data, "\"truncated\":false"));
    /* sorted by name: Ada before Fred before Mallory */
    CHECK(ppl.data && strstr(ppl.data, "\"Ada\"") < strstr(ppl.data, "\"Fred\"") &&
          strstr(ppl.data, "\"Fred\"") < strstr(ppl.data, "\"Mallory\""));
    levy_buf_free(&ppl);

    /* 0010's backfill: api_tokens as 0008 made it, rows written by a binary before roles */
    CHECK_EQ_INT(levy_store_exec(st, "DROP TABLE api_tokens", &e), LEVY_OK);
    const char *sql = read_sql("core/store/migrations/0008_api_tokens.sql");
    CHECK(sql != NULL);
    CHECK_EQ_INT(levy_store_exec(st, sql, &e), LEVY_OK);
    CHECK_EQ_INT(
        levy_store_exec(st,
                        "INSERT INTO api_tokens(id, name, hash, read_only, created_at, created_by, "
                        "revoked_at) VALUES "
                        "(1, 'Alice', 'h1', 0, '2026-01-01T00:00:00Z', 'API token', "
                        "'2026-02-01T00:00:00Z'), "
                        "(2, 'Bob', 'h2', 1, '2026-01-02T00:00:00Z', 'Alice''s token', NULL), "
                        "(3, 'Carl', 'h3', 0, '2026-01-03T00:00:00Z', "
                        "'UI session of Alice 3f9a1c2e', NULL), "
                        "(4, 'Alice', 'h4', 0, '2026-03-01T00:00:00Z', 'API token', NULL), "
                        "(5, 'Dan', 'h5', 0, '2026-03-02T00:00:00Z', 'Alice''s token', NULL), "
                        "(6, 'Eve', 'h6', 0, '2026-03-03T00:00:00Z', 'levy token create (unix "
                        "user x)', NULL)",
                        &e),
        LEVY_OK);
    sql = read_sql("core/store/migrations/0010_token_roles.sql");
    CHECK(sql != NULL);
    CHECK_EQ_INT(levy_store_exec(st, sql, &e), LEVY_OK);
    char got[256] = "";
    CHECK_EQ_INT(levy_store_query_text(
                     st,
                     "SELECT group_concat(name || ':' || role || ':' || "
                     "coalesce(created_by_token, '-'), ' ') FROM (SELECT * FROM api_tokens ORDER "
                     "BY id) WHERE name <> ?",
                     "", got, sizeof got, &e),
                 LEVY_OK);
    /* Bob and Carl by the first Alice (live then), Dan by the second; none is admin */
    CHECK_EQ_STR(got,
                 "Alice:full:- Bob:read_only:1 Carl:full:1 Alice:full:- Dan:full:4 Eve:full:-");
end:
    levy_buf_free(&row);
    if (st)
        levy_store_close(st);
    levy_auth_session_reset();
    rm_dir();
}

static const levy_test tests[] = {{"token_rule", t_token_rule},
                                  {"signin_codes", t_signin_codes},
                                  {"sessions", t_sessions},
                                  {"session_request", t_session_request},
                                  {"actor", t_actor},
                                  {"named_tokens", t_named_tokens},
                                  {"audit_person", t_audit_person},
                                  {"token_roles", t_token_roles},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
