/* levy.crypto (docs/plugins.md §3) over core/crypto/crypto.h. Context: load, request. */
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/hook.h"
#include "lctx.h"
#include "log.h"

int luaopen_levy_crypto(lua_State *L);

#define CTX (LEVY_CTX_LOAD | LEVY_CTX_REQUEST)

/* levy.crypto.hmac_sha256(key, message) (keyed) and levy.crypto.sha256(message): the raw
   32-byte digest. */
static int digest(lua_State *L, const char *fname, int keyed)
{
    levy_lua_check_ctx(L, fname, CTX);
    size_t kl = 0, ml;
    const char *k = keyed ? luaL_checklstring(L, 1, &kl) : NULL;
    const char *m = luaL_checklstring(L, keyed ? 2 : 1, &ml);
    uint8_t out[LEVY_SHA256_LEN];
    levy_err err = {0};
    if (keyed ? levy_crypto_hmac_sha256(k, kl, m, ml, out, &err)
              : levy_crypto_sha256(m, ml, out, &err))
        return luaL_error(L, "%s", err.message);
    lua_pushlstring(L, (const char *)out, sizeof out);
    return 1;
}

static int l_hmac_sha256(lua_State *L) { return digest(L, "levy.crypto.hmac_sha256", 1); }

static int l_sha256(lua_State *L) { return digest(L, "levy.crypto.sha256", 0); }

static int l_hex(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.hex", CTX);
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, 2 * n + 1);
    levy_crypto_hex(s, n, out);
    luaL_pushresultsize(&b, 2 * n);
    return 1;
}

static int l_equal(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.equal", CTX);
    size_t al, bl;
    const char *a = luaL_checklstring(L, 1, &al), *b = luaL_checklstring(L, 2, &bl);
    lua_pushboolean(L, levy_crypto_equal(a, al, b, bl));
    return 1;
}

static int l_b64encode(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.b64encode", CTX);
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    int flags =
        (lua_toboolean(L, 2) ? LEVY_B64_URL : 0) | (lua_toboolean(L, 3) ? LEVY_B64_NOPAD : 0);
    size_t cap = levy_b64_encoded_len(n, flags);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, cap + 1);
    size_t m = levy_b64_encode(s, n, flags, out);
    luaL_pushresultsize(&b, m);
    return 1;
}

static int l_b64decode(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.b64decode", CTX);
    size_t n, m = 0;
    const char *s = luaL_checklstring(L, 1, &n);
    int flags = lua_toboolean(L, 2) ? LEVY_B64_URL : 0;
    luaL_Buffer b;
    uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, levy_b64_decoded_max(n));
    levy_err err = {0};
    if (levy_b64_decode(s, n, flags, out, &m, &err) != LEVY_OK) {
        luaL_pushresultsize(&b, 0);
        return levy_lua_fail(L, "bad_base64", err.message);
    }
    luaL_pushresultsize(&b, m);
    return 1;
}

static int l_random(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.random", CTX);
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0 && n <= 1 << 20, 1, "0..1048576 bytes");
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, (size_t)n);
    levy_err err = {0};
    if (levy_crypto_random(out, (size_t)n, &err))
        return luaL_error(L, "%s", err.message);
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

static int l_id(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.id", CTX);
    size_t pl;
    const char *prefix = luaL_optlstring(L, 1, "", &pl);
    luaL_argcheck(L, pl <= 64, 1, "prefix too long");
    char out[64 + LEVY_ID_RANDOM_CHARS + 1];
    levy_err err = {0};
    if (levy_crypto_id(prefix, out, sizeof out, &err))
        return luaL_error(L, "%s", err.message);
    lua_pushstring(L, out);
    return 1;
}

static const uint8_t *master(lua_State *L)
{
    const uint8_t *k = levy_crypto_master_key();
    if (!k)
        luaL_error(L, "levy.crypto: the master key is not loaded");
    return k;
}

static int l_seal(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.seal", CTX);
    size_t n, al = 0;
    const char *pt = luaL_checklstring(L, 1, &n);
    const char *aad = luaL_optlstring(L, 2, "", &al);
    const uint8_t *key = master(L);
    size_t raw_len = n + LEVY_SEAL_OVERHEAD;
    uint8_t *raw = lua_newuserdatauv(L, raw_len, 0);
    levy_err err = {0};
    if (levy_crypto_seal(key, pt, n, aad, al, raw, &err))
        return luaL_error(L, "%s", err.message);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, levy_b64_encoded_len(raw_len, 0) + 1);
    size_t m = levy_b64_encode(raw, raw_len, 0, out);
    luaL_pushresultsize(&b, m);
    return 1;
}

static int l_open(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.open", CTX);
    size_t n, al = 0, raw_len = 0, pt_len = 0;
    const char *sealed = luaL_checklstring(L, 1, &n);
    const char *aad = luaL_optlstring(L, 2, "", &al);
    const uint8_t *key = master(L);
    uint8_t *raw = lua_newuserdatauv(L, levy_b64_decoded_max(n) + 1, 0);
    if (levy_b64_decode(sealed, n, 0, raw, &raw_len, NULL) != LEVY_OK)
        return levy_lua_fail(L, "bad_ciphertext", "sealed value is not valid Base64");
    if (raw_len < LEVY_SEAL_OVERHEAD)
        return levy_lua_fail(L, "bad_ciphertext", "sealed value is too short");
    uint8_t *pt = lua_newuserdatauv(L, raw_len - LEVY_SEAL_OVERHEAD + 1, 0);
    levy_err err = {0};
    if (levy_crypto_open(key, raw, raw_len, aad, al, pt, &pt_len, &err) != LEVY_OK)
        return levy_lua_fail(L, "bad_ciphertext", err.message);
    lua_pushlstring(L, (const char *)pt, pt_len);
    memset(pt, 0, pt_len);
    if (pt_len >= 4 && !memchr(lua_tostring(L, -1), 0, pt_len))
        levy_log_add_secret(lua_tostring(L, -1));
    return 1;
}

/* ---- signed webhooks (core/crypto/hook.h): the checks the host's fast path makes too ---- */

/* webhook_check(timestamp, id, entity, event) -> timestamp ms | nil, message */
static int l_webhook_check(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.webhook_check", CTX);
    size_t tl, il, el, vl;
    const char *ts = luaL_checklstring(L, 1, &tl), *id = luaL_checklstring(L, 2, &il);
    const char *ent = luaL_checklstring(L, 3, &el), *ev = luaL_checklstring(L, 4, &vl);
    int64_t ms = 0;
    const char *why = levy_hook_check(ts, tl, id, il, ent, el, ev, vl, &ms);
    if (why) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)ms);
    return 1;
}

/* webhook_timestamp(s) -> ms | nil */
static int l_webhook_timestamp(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.webhook_timestamp", CTX);
    size_t n = 0;
    const char *s = lua_tolstring(L, 1, &n);
    int64_t ms = 0;
    if (s && levy_hook_timestamp(s, n, &ms))
        lua_pushinteger(L, (lua_Integer)ms);
    else
        lua_pushnil(L);
    return 1;
}

/* webhook_fresh(ts_ms, now_ms, tolerance_s, future_s) -> "ok" | "old" | "future", age_s */
static int l_webhook_fresh(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.webhook_fresh", CTX);
    int64_t age = 0;
    int r = levy_hook_fresh(luaL_checkinteger(L, 1), luaL_checkinteger(L, 2),
                            luaL_optinteger(L, 3, 0), luaL_checkinteger(L, 4), &age);
    lua_pushstring(L, r == LEVY_HOOK_FRESH ? "ok" : r == LEVY_HOOK_OLD ? "old" : "future");
    lua_pushinteger(L, (lua_Integer)age);
    return 2;
}

/* webhook_keys(token) -> { key, ... } (the candidate HMAC keys) | nil */
static int l_webhook_keys(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.webhook_keys", CTX);
    size_t n = 0;
    const char *t = luaL_checklstring(L, 1, &n);
    levy_hook_keys k;
    if (levy_hook_keys_derive(t, n, &k) != 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, k.n, 1);
    for (int i = 0; i < k.n; i++) {
        lua_pushlstring(L, (const char *)k.key[i], k.len[i]);
        lua_rawseti(L, -2, i + 1);
    }
    memset(&k, 0, sizeof k);
    return 1;
}

/* webhook_verify(keys, signature_header, signed_bytes, max_signatures) -> ok, hmacs computed.
 * keys.hit (1-based) is the key tried first, and is set to the key that verified. */
static int l_webhook_verify(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.crypto.webhook_verify", CTX);
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t sl, ml;
    const char *sig = luaL_checklstring(L, 2, &sl);
    const char *msg = luaL_checklstring(L, 3, &ml);
    lua_Integer max = luaL_checkinteger(L, 4);
    const uint8_t *kp[2];
    size_t kl[2];
    int n = 0;
    for (int i = 1; i <= 2; i++) {
        lua_rawgeti(L, 1, i); /* stays on the stack: the strings live while the call runs */
        if (lua_type(L, -1) != LUA_TSTRING)
            break;
        kp[n] = (const uint8_t *)lua_tolstring(L, -1, &kl[n]);
        n++;
    }
    lua_getfield(L, 1, "hit");
    int hit = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) - 1 : 0;
    int nh = 0;
    int k = levy_hook_verify(kp, kl, n, &hit, sig, sl, max < 1 ? 1 : (int)max, msg, ml, &nh);
    if (k >= 0) {
        lua_pushinteger(L, k + 1);
        lua_setfield(L, 1, "hit");
    }
    lua_pushboolean(L, k >= 0);
    lua_pushinteger(L, nh);
    return 2;
}

static const luaL_Reg crypto_funcs[] = {{"webhook_check", l_webhook_check},
                                        {"webhook_timestamp", l_webhook_timestamp},
                                        {"webhook_fresh", l_webhook_fresh},
                                        {"webhook_keys", l_webhook_keys},
                                        {"webhook_verify", l_webhook_verify},
                                        {"hmac_sha256", l_hmac_sha256},
                                        {"sha256", l_sha256},
                                        {"hex", l_hex},
                                        {"equal", l_equal},
                                        {"b64encode", l_b64encode},
                                        {"b64decode", l_b64decode},
                                        {"random", l_random},
                                        {"id", l_id},
                                        {"seal", l_seal},
                                        {"open", l_open},
                                        {NULL, NULL}};

int luaopen_levy_crypto(lua_State *L)
{
    luaL_newlib(L, crypto_funcs);
    return 1;
}
