#ifndef LEVY_AUTH_H
#define LEVY_AUTH_H
/* Who may call levy's API (issue 15, findings 12 and 15):
 *
 * - the API token (CONTRACT §2.1): long-lived, for API clients as `Authorization: Bearer`;
 *   its shape is checked by levy_auth_token_rule (core/base/config.c) wherever it comes from;
 * - one-time sign-in codes: short-lived (15 min), single use, created by the first start,
 *   `levy demo` and `levy signin`, kept as DATA_DIR/signin/<sha256 hex of the code> (0600,
 *   content = expiry in Unix seconds) so that a CLI can add one while `levy serve` runs and
 *   the data dir never holds a usable code;
 * - browser sessions: what the web UI gets for a sign-in code (POST /v1/session); random
 *   tokens held in memory only (as SHA-256), valid 12 h or until DELETE /v1/session or a
 *   restart. The page sends one as `Authorization: Bearer` like the API token, so no cookie
 *   carries authority and a cross-site request cannot use it (no CSRF).
 *
 * - named API tokens (core/host/tokens.c, issue 20): one per person, kept as a hash in the
 *   store; they open the API and UI sessions like the API token, and the audit log names
 *   them; a session opened with one ends when it is revoked.
 *
 * Never includes lua.h or event2. */
#include <stddef.h>
#include <stdint.h>

#include "config.h" /* the API token rule: levy_auth_token_rule, LEVY_TOKEN_MAX */
#include "levy.h"
#include "store/store.h"

#define LEVY_SIGNIN_TTL_S 900          /* a sign-in code lives 15 min */
#define LEVY_SESSION_TTL_S (12 * 3600) /* a browser session lives 12 h */
#define LEVY_SESSION_MAX 64            /* live sessions; the oldest goes first */
#define LEVY_SIGNIN_CODE_LEN 22        /* 16 random bytes, base64url */
#define LEVY_SESSION_PREFIX "lvs_"

struct levy_config;

/** Creates a sign-in code valid for ttl_s seconds in data_dir (which must exist): writes
 * DATA_DIR/signin/<sha256 hex> (dir 0700, file 0600). @param code out, at least
 * LEVY_SIGNIN_CODE_LEN + 1 bytes. Also removes expired codes. @return LEVY_OK or LEVY_EIO. */
int levy_auth_signin_new(const char *data_dir, int ttl_s, char *code, size_t cap, levy_err *err);

/** Consumes a sign-in code: 1 when it existed, had not expired and this call removed it
 * (so at most one caller ever gets 1 for a code), else 0. */
int levy_auth_signin_take(const char *data_dir, const char *code, size_t len);

/** Starts a browser session: writes its token ("lvs_" + 43 base64url chars) into out
 * (cap ≥ 48) and its expiry (Unix seconds) into *expires. @return LEVY_OK or LEVY_EINTERNAL. */
int levy_auth_session_new(char *out, size_t cap, int64_t *expires, levy_err *err);
/** 1 when tok is a live session token. */
int levy_auth_session_ok(const char *tok, size_t len);
/** Ends the session tok (no-op when unknown). */
void levy_auth_session_end(const char *tok, size_t len);
/** Forgets every session (tests; shutdown). */
void levy_auth_session_reset(void);

/** Starts a browser session opened with the named token token_id (0: the API token or a
 * sign-in code); such a session lives only while that token is not revoked. */
int levy_auth_session_new_as(int64_t token_id, char *out, size_t cap, int64_t *expires,
                             levy_err *err);
/** Ends every session opened with the named token token_id (its revocation). */
void levy_auth_sessions_end_token(int64_t token_id);

/* A token's role (issue 20, tokens23; core migration 0010 api_tokens.role): what its holder may
 * do. The configured API token, a UI session opened with it or with a sign-in code (made by
 * whoever holds the data dir) are admin; a named token is what it was created as. */
#define LEVY_ROLE_FULL 0      /* everything but managing tokens */
#define LEVY_ROLE_READ_ONLY 1 /* GET / HEAD only */
#define LEVY_ROLE_ADMIN 2     /* everything, named tokens' creation and revocation too */
/** "full", "read_only", "admin" (the column's and the API's words). */
const char *levy_role_name(int role);
/** The role of a word of levy_role_name, or -1. */
int levy_role_parse(const char *s);

#define LEVY_WHO_NONE 0
#define LEVY_WHO_API_TOKEN 1 /* the configured API token */
#define LEVY_WHO_SESSION 2   /* a browser session (token_id: the named token it was opened with) */
#define LEVY_WHO_NAMED 3     /* a named API token */
/* a named token's name: LEVY_TOKEN_NAME_MAX (tokens.h) bytes */
typedef struct levy_auth_whois {
    int kind;         /* LEVY_WHO_* */
    int64_t token_id; /* the named token (NAMED, or the SESSION's), else 0 */
    char name[65];    /* its name */
    char session[9];  /* SESSION: 8 hex of the session's SHA-256 (names it, cannot open it) */
    int read_only;    /* a read-only named token (or a session opened with one): GET/HEAD only */
    int role;         /* LEVY_ROLE_*: the API token and its / sign-in codes' sessions: admin */
} levy_auth_whois;

/** Who a bearer is: 1 when tok is the configured API token (constant time), a live browser
 * session (whose named token, if any, is still live) or a live named token (looked up by its
 * hash in st; st NULL: none), with who filled; else 0. */
int levy_auth_who(const struct levy_config *cfg, levy_store *st, const char *tok, size_t len,
                  levy_auth_whois *who);
/** The bearer check of every protected route: levy_auth_who's answer. */
int levy_auth_bearer_ok(const struct levy_config *cfg, levy_store *st, const char *tok, size_t len);
/** Who, for the audit log (issue 20): "api_token" / "API token"; "named_token" /
 * "<name>'s token"; "ui_session" / "UI session <8 hex>" (sign-in code or API token) or
 * "UI session of <name> <8 hex>" (a named token's); else "" / "". Never the token itself.
 * kind: at least 32 bytes; label: at least LEVY_ACTOR_MAX. */
void levy_auth_who_actor(const levy_auth_whois *who, char *kind, size_t kcap, char *label,
                         size_t lcap);
#define LEVY_ACTOR_MAX 112
/** levy_auth_who then levy_auth_who_actor. */
void levy_auth_actor(const struct levy_config *cfg, levy_store *st, const char *tok, size_t len,
                     char *kind, size_t kcap, char *label, size_t lcap);
/** POST /v1/session (is_delete 0) and DELETE /v1/session (is_delete 1), without the HTTP
 * plumbing. body: the request body (JSON {"code": "..."} or {"api_token": "..."});
 * bearer: the Authorization header's token or NULL. Writes the JSON reply into out
 * (cap ≥ 256) and returns the status: 201 session created, 204 ended, 400 invalid_json,
 * 401 unauthorized, 415 unsupported_media_type, 422 validation_failed. */
int levy_auth_session_request(const struct levy_config *cfg, levy_store *st, int is_delete,
                              const char *ctype, const char *body, size_t body_len,
                              const char *bearer, char *out, size_t cap);

/** `levy signin`: prints a fresh sign-in link for cfg->data_dir; 0 ok, 1 error. */
int levy_auth_signin_cli(const struct levy_config *cfg);

#endif
