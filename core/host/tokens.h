#ifndef LEVY_TOKENS_H
#define LEVY_TOKENS_H
/* Named API tokens (issue 20, brief tokens22): a token per person or system, so the audit
 * log names who did a change ("Alice's token") where the one configured API token
 * (CONTRACT §2.1, unchanged) cannot tell its holders apart.
 *
 * - a token is "lvt_" + 43 base64url characters (32 random bytes); the store keeps only its
 *   SHA-256 (core migration 0008, table api_tokens), looked up by that hash and compared in
 *   constant time; the token is shown once, when created, and never logged;
 * - it authenticates like the API token (core/host/auth.c levy_auth_bearer_ok) and may open
 *   a UI session (POST /v1/session {"api_token": ...}); revoking it refuses it, and every
 *   session opened with it, from the next request on (on every replica: each request reads
 *   the row);
 * - creating and revoking are audited (token.created, token.revoked) in the same
 *   transaction; the table is the core's: no plugin may read it (sandbox.lua CORE_TABLES).
 *
 * Never includes lua.h or event2. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "json_scan.h"
#include "levy.h"
#include "store/store.h"

#define LEVY_NAMED_TOKEN_PREFIX "lvt_"
#define LEVY_NAMED_TOKEN_LEN 47     /* "lvt_" + 43 base64url characters */
#define LEVY_TOKEN_NAME_MAX 64      /* bytes of UTF-8 */
#define LEVY_TOKEN_TOUCH_EVERY_S 60 /* last_used_at is written at most this often */

/** NULL when name is a valid token name (1..64 bytes of UTF-8, no control characters, no
 * '/' or '%', no spaces at either end), else a sentence saying what is wrong. */
const char *levy_tokens_name_rule(const char *name);

/** The live named token tok: 1 found (id and name set; last_used_at refreshed when older
 * than LEVY_TOKEN_TOUCH_EVERY_S, unless a transaction is open), 0 not a live named token
 * (or st NULL, or the store failed: refused, never let in). Constant-time on the hash. */
int levy_tokens_find(levy_store *st, const char *tok, size_t len, int64_t *id, char *name,
                     size_t ncap, int *read_only);

/** 1 when the token of id is live (not revoked), with its name and read_only; else 0. */
int levy_tokens_live(levy_store *st, int64_t id, char *name, size_t ncap, int *read_only);

/** Creates a token named name (read_only 1: it, and the UI sessions opened with it, may only
 * GET / HEAD: levy answers any other method 403 read_only) in one transaction with its audit row (actor_kind / actor:
 * who asked; request_id may be NULL). Writes the token into tok (cap > LEVY_NAMED_TOKEN_LEN)
 * and its row as JSON {"name","created_at","created_by","last_used_at":null,"read_only"} into row.
 * @return LEVY_OK, LEVY_EINVAL (bad name, err says why), LEVY_ECONFLICT (a live token has
 * that name), or the store's error. */
int levy_tokens_create(levy_store *st, const char *name, int read_only, const char *actor_kind,
                       const char *actor, const char *request_id, char *tok, size_t cap,
                       levy_buf *row, levy_err *err);

/** Revokes the live token named name, with its audit row, in one transaction; *id set.
 * @return LEVY_OK, LEVY_ENOTFOUND (no live token of that name) or the store's error. */
int levy_tokens_revoke(levy_store *st, const char *name, const char *actor_kind, const char *actor,
                       const char *request_id, int64_t *id, levy_err *err);

/** The live tokens, oldest first, as JSON {"tokens":[{"name","created_at","created_by",
 * "last_used_at","read_only"}...]} into out. @return LEVY_OK or the store's error. */
int levy_tokens_list_json(levy_store *st, levy_buf *out, levy_err *err);

/** `levy token create --name NAME | list | revoke NAME`: exit code 0 ok, 1 failed (the store
 * cannot be opened, no such token, name taken), 2 usage. */
int levy_tokens_cli(const levy_config *cfg);

#endif
