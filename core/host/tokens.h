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
 *   transaction; the table is the core's: no plugin may read it (sandbox.lua CORE_TABLES);
 * - a token has a role (core migration 0010, brief tokens23): admin, full or read_only; only
 *   an admin (the API token, a UI session of it or of a sign-in code, an admin token or its
 *   sessions) may create or revoke tokens (core/host/routes.c), so a leaked full token cannot
 *   make tokens that outlive its revocation; each token records the named token that made
 *   it (created_by_token), and revoking one answers the tokens it made.
 *
 * Never includes lua.h or event2. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "host/auth.h" /* LEVY_ROLE_* */
#include "json_scan.h"
#include "levy.h"
#include "store/store.h"

#define LEVY_NAMED_TOKEN_PREFIX "lvt_"
#define LEVY_NAMED_TOKEN_LEN 47     /* "lvt_" + 43 base64url characters */
#define LEVY_TOKEN_NAME_MAX 64      /* bytes of UTF-8 */
#define LEVY_TOKEN_TOUCH_EVERY_S 60 /* last_used_at is written at most this often */
#define LEVY_PEOPLE_MAX 500         /* persons listed by levy_tokens_people_json */

/** NULL when name is a valid token name (1..64 bytes of UTF-8, no control characters, no
 * '/' or '%', no spaces at either end), else a sentence saying what is wrong. */
const char *levy_tokens_name_rule(const char *name);

/** The live named token tok: 1 found (id, name and role (LEVY_ROLE_*) set; last_used_at refreshed when older
 * than LEVY_TOKEN_TOUCH_EVERY_S, unless a transaction is open), 0 not a live named token
 * (or st NULL, or the store failed: refused, never let in). Constant-time on the hash. */
int levy_tokens_find(levy_store *st, const char *tok, size_t len, int64_t *id, char *name,
                     size_t ncap, int *role);

/** 1 when the token of id is live (not revoked), with its name (name may be NULL) and role;
 * else 0. A role word this binary does not know reads as read-only (the least). */
int levy_tokens_live(levy_store *st, int64_t id, char *name, size_t ncap, int *role);

/** Creates a token named name with role (LEVY_ROLE_*; read-only: it, and the UI sessions
 * opened with it, may only GET / HEAD: levy answers any other method 403 read_only) in one
 * transaction with its audit row (role and state; actor_kind / actor: who asked; by_token: the
 * named token that asked, itself or through a UI session, else 0; request_id may be NULL).
 * The caller decides whether the asker may (an admin: routes.c; the CLI: the data dir's
 * holder). Writes the token into tok (cap > LEVY_NAMED_TOKEN_LEN) and its row as JSON
 * {"name","created_at","created_by","last_used_at":null,"read_only","role"} into row.
 * @return LEVY_OK, LEVY_EINVAL (bad name or role, err says why), LEVY_ECONFLICT (a live token
 * has that name), or the store's error. */
int levy_tokens_create(levy_store *st, const char *name, int role, const char *actor_kind,
                       const char *actor, int64_t by_token, const char *request_id, char *tok,
                       size_t cap, levy_buf *row, levy_err *err);

/** Revokes the live token named name, with its audit row, in one transaction; *id set.
 * answer (may be NULL): {"name","revoked_at","revoked_by","created_tokens":[{"name",
 * "created_at","role","revoked_at"}],"secrets_set":[{"secret","object_kind","object_id",
 * "label","set_at","action"}]}: the tokens it made (itself or through its UI sessions),
 * oldest first, for the admin to review (the live ones: revoked_at null), and the secrets it
 * set that are still in use (the Sphere key, a connection's Rillet API key or signing token;
 * from the audit log, at most 100), to replace.
 * @return LEVY_OK, LEVY_ENOTFOUND (no live token of that name) or the store's error. */
int levy_tokens_revoke(levy_store *st, const char *name, const char *actor_kind, const char *actor,
                       const char *request_id, int64_t *id, levy_buf *answer, levy_err *err);

/** levy_tokens_revoke, and with with_created also the live tokens it made (created_by_token),
 * in the same transaction, each with its own token.revoked audit row (changes revoked_with:
 * this token's name) (issue 20: DELETE /v1/tokens/{name}?cascade=tokens, levy token revoke
 * NAME --with-created). The answer adds "revoked_with_it": [names]; *also (malloc'd, the
 * caller frees; may be NULL) receives their ids, *nalso how many, to end their UI sessions.
 * Secrets it set are listed, never changed. */
int levy_tokens_revoke_with_created(levy_store *st, const char *name, int with_created,
                                    const char *actor_kind, const char *actor,
                                    const char *request_id, int64_t *id, int64_t **also,
                                    size_t *nalso, levy_buf *answer, levy_err *err);

/** The live tokens, oldest first, as JSON {"tokens":[{"name","created_at","created_by",
 * "last_used_at","read_only","role"}...]} into out. @return LEVY_OK or the store's error. */
int levy_tokens_list_json(levy_store *st, levy_buf *out, levy_err *err);

/** The people of the audit log (GET /v1/audit/people, the Activity page's Person picker): every
 * distinct audit_log.person (a skip scan of its index: one probe per person, at most
 * LEVY_PEOPLE_MAX) and every live token's name, by name, as JSON {"people":[{"name","state":
 * "live"|"revoked","role": the live token's role or null}],"truncated":bool} into out.
 * "revoked": no live token has the name (its rows stay reachable with ?person=). */
int levy_tokens_people_json(levy_store *st, levy_buf *out, levy_err *err);

/** `levy token create --name NAME | list | revoke NAME`: exit code 0 ok, 1 failed (the store
 * cannot be opened, no such token, name taken), 2 usage. */
int levy_tokens_cli(const levy_config *cfg);

#endif
