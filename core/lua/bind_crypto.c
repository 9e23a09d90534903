/* levy.crypto (docs/plugins.md §3) over core/crypto/crypto.h. Context: load, request. */
#include <string.h>

#include "crypto/crypto.h"
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

static const luaL_Reg crypto_funcs[] = {{"hmac_sha256", l_hmac_sha256},
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
