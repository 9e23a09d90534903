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
 * Never includes lua.h or event2. */
#include <stddef.h>
#include <stdint.h>

#include "config.h" /* the API token rule: levy_auth_token_rule, LEVY_TOKEN_MAX */
#include "levy.h"

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

/** The bearer check of every protected route: 1 when tok is the configured API token
 * (constant time) or a live session token. */
int levy_auth_bearer_ok(const struct levy_config *cfg, const char *tok, size_t len);

/** Who a bearer is, for the audit log (issue 20): "api_token" / "API token" for the API token,
 * "ui_session" / "UI session <8 hex of the session's SHA-256>" for a browser session (the
 * hash names a session without being usable as one), else "" / "". Never the token itself.
 * kind and label: at least 32 bytes each. */
void levy_auth_actor(const struct levy_config *cfg, const char *tok, size_t len, char *kind,
                     size_t kcap, char *label, size_t lcap);

/** POST /v1/session (is_delete 0) and DELETE /v1/session (is_delete 1), without the HTTP
 * plumbing. body: the request body (JSON {"code": "..."} or {"api_token": "..."});
 * bearer: the Authorization header's token or NULL. Writes the JSON reply into out
 * (cap ≥ 256) and returns the status: 201 session created, 204 ended, 400 invalid_json,
 * 401 unauthorized, 415 unsupported_media_type, 422 validation_failed. */
int levy_auth_session_request(const struct levy_config *cfg, int is_delete, const char *ctype,
                              const char *body, size_t body_len, const char *bearer, char *out,
                              size_t cap);

/** `levy signin`: prints a fresh sign-in link for cfg->data_dir; 0 ok, 1 error. */
int levy_auth_signin_cli(const struct levy_config *cfg);

#endif
