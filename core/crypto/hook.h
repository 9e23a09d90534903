#ifndef LEVY_HOOK_H
#define LEVY_HOOK_H
/* Signed webhooks (issue 21): the one implementation of the signed headers' grammar, the
 * freshness window and the signature check. The Lua intake reaches them through levy.crypto
 * (webhook_check, webhook_fresh, webhook_verify: core/lua/bind_crypto.c), the host's fast path
 * (core/host/fasthook.c) directly, so both decide the same way.
 *
 * Signed bytes (CONTRACT §2.7): timestamp "." id "." entity "." event "." raw_body, header
 * values verbatim; signature = Base64(HMAC-SHA256(key, signed bytes)); the signature header
 * carries up to max_sigs comma-separated signatures (each trimmed, standard or URL-safe
 * Base64), any match accepts. */
#include <stddef.h>
#include <stdint.h>

#define LEVY_HOOK_MAX_WORD 64
#define LEVY_HOOK_MAX_KEY 4096 /* the longest signing token the connector takes */

/* Checks the headers that form the signed string, before any secret is used: the id a UUID
 * (8-4-4-4-12 hex digits), the timestamp an RFC 3339 date-time (YYYY-MM-DD "T" hh:mm:ss
 * ["." 1-9 digits] ("Z" | ±hh:mm); "t", "z" allowed; real calendar and clock ranges), entity
 * and event words of letters, digits, '_' or '-' (at most 64). With no '.' in the id, entity
 * and event, and the timestamp's grammar, the signed string splits one way only, so a
 * signature cannot be re-used under other header values. NULL when fine (*ts_ms = the
 * timestamp in ms since the epoch), else the message for the 400 answer. */
const char *levy_hook_check(const char *ts, size_t tl, const char *id, size_t il, const char *ent,
                            size_t el, const char *ev, size_t evl, int64_t *ts_ms);
/* The RFC 3339 timestamp alone: 1 and *ms when it parses, else 0. */
int levy_hook_timestamp(const char *s, size_t n, int64_t *ms);

/* Freshness: 0 fine, 1 older than tolerance_s, 2 more than future_s ahead; *age_s = the age
 * in whole seconds (floor; negative = ahead of now). tolerance_s <= 0: not checked. */
enum { LEVY_HOOK_FRESH = 0, LEVY_HOOK_OLD = 1, LEVY_HOOK_FUTURE = 2 };
int levy_hook_fresh(int64_t ts_ms, int64_t now_ms, int64_t tolerance_s, int64_t future_s,
                    int64_t *age_s);

/* The candidate HMAC keys of a signing token: its Base64-decoded bytes when the token is
 * valid (standard) Base64 of at least one byte, then the token's text bytes. */
typedef struct levy_hook_keys {
    int n;
    size_t len[2];
    uint8_t key[2][LEVY_HOOK_MAX_KEY];
} levy_hook_keys;
/* 0, or -1 when the token is empty or longer than LEVY_HOOK_MAX_KEY. */
int levy_hook_keys_derive(const char *token, size_t n, levy_hook_keys *out);

/* Verifies the signature header sig against HMAC(key, msg) for the keys (constant-time
 * compare of every candidate with each key's HMAC). *hit (may be NULL) names the key that
 * verified last time and is tried first; when it verifies, the other key's HMAC is not
 * computed; a refusal computes every key's (*nhmac, may be NULL: how many were). Returns the 0-based index of the key that
 * verified (and sets *hit), or -1. */
int levy_hook_verify(const uint8_t *const *keys, const size_t *key_lens, int nkeys, int *hit,
                     const char *sig, size_t sl, int max_sigs, const void *msg, size_t msg_len,
                     int *nhmac);

#endif
