/* libFuzzer target: the webhook verification path (CONTRACT §2.7) as levy runs it:
 * plugins/rillet/webhook.lua (signature-header splitting, Base64 of each candidate, key
 * derivation from the signing token) over the real levy.crypto and levy.json bindings.
 *
 * Input: token \n signature-header \n X-Rillet-Id \n body (missing parts are empty).
 * Properties: verify() never raises; it returns a boolean; a correct signature (HMAC with
 * the token's text bytes, computed here with OpenSSL) placed after the fuzzed header's
 * candidates (when fewer than 10) is accepted; the fuzzed header alone is accepted only if
 * it contains that correct signature or one made with the Base64-decoded key (checked by
 * recomputing both here). deleted_id() never raises. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lctx.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

int luaopen_levy_crypto(lua_State *L);
int luaopen_levy_json(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;

static void init(void)
{
    L = luaL_newstate();
    levy_lua_set_ctx(L, NULL); /* as the host does: no call context = load context */
    luaL_openlibs(L);
    luaL_requiref(L, "levy.crypto", luaopen_levy_crypto, 0);
    luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
    lua_pop(L, 2);
    const char *src = getenv("LEVY_SOURCE");
    char path[1024];
    snprintf(path, sizeof path, "package.path = '%s/plugins/rillet/?.lua'", src ? src : ".");
    if (luaL_dostring(L, path) || luaL_dostring(L, "W = require 'webhook'")) {
        fprintf(stderr, "init: %s\n", lua_tostring(L, -1));
        abort();
    }
}

static void b64(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int call_verify(const char *tok, size_t tn, const char *sig, size_t sn, const char *id,
                       size_t idn, const char *body, size_t bn)
{
    lua_getglobal(L, "W");
    lua_getfield(L, -1, "verify");
    lua_pushlstring(L, tok, tn);
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, sig, sn);
    lua_setfield(L, -2, "x-rillet-signature");
    lua_pushliteral(L, "2026-01-01T00:00:00Z");
    lua_setfield(L, -2, "x-rillet-timestamp");
    lua_pushlstring(L, id, idn);
    lua_setfield(L, -2, "x-rillet-id");
    lua_pushliteral(L, "INVOICE");
    lua_setfield(L, -2, "x-rillet-entity");
    lua_pushliteral(L, "CREATED");
    lua_setfield(L, -2, "x-rillet-event");
    lua_pushlstring(L, body, bn);
    if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        fprintf(stderr, "verify raised: %s\n", lua_tostring(L, -1));
        abort();
    }
    if (!lua_isboolean(L, -1))
        abort();
    int ok = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L)
        init();
    if (size > 4096)
        return 0;
    const char *p[4] = {"", "", "", ""};
    size_t n[4] = {0, 0, 0, 0};
    const char *s = (const char *)data, *end = s + size;
    for (int i = 0; i < 4; i++) {
        const char *nl = i < 3 ? memchr(s, '\n', (size_t)(end - s)) : NULL;
        p[i] = s;
        n[i] = (size_t)((nl ? nl : end) - s);
        if (!nl) {
            s = end;
            for (int j = i + 1; j < 4; j++)
                p[j] = end, n[j] = 0;
            break;
        }
        s = nl + 1;
    }
    const char *tok = p[0], *sig = p[1], *id = p[2], *body = p[3];
    size_t tn = n[0], sn = n[1], idn = n[2], bn = n[3];
    int fuzzed_ok = call_verify(tok, tn, sig, sn, id, idn, body, bn);

    /* the correct signature with the token's text bytes */
    size_t mn = 20 + 1 + idn + 1 + 7 + 1 + 7 + 1 + bn;
    unsigned char *msg = malloc(mn + 1);
    size_t o = 0;
    memcpy(msg + o, "2026-01-01T00:00:00Z.", 21), o += 21;
    memcpy(msg + o, id, idn), o += idn;
    memcpy(msg + o, ".INVOICE.CREATED.", 17), o += 17;
    memcpy(msg + o, body, bn), o += bn;
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), tok, (int)tn, msg, o, mac, &ml);
    char good[64];
    b64(mac, 32, good);

    /* token non-empty: the good signature after the fuzzed candidates is accepted when the
     * header has fewer than 10 candidates (the cap) */
    if (tn > 0) {
        size_t commas = 0;
        for (size_t i = 0; i < sn; i++)
            commas += sig[i] == ',';
        char *h = malloc(sn + 2 + sizeof good);
        memcpy(h, sig, sn);
        size_t hn = sn;
        h[hn++] = ',';
        memcpy(h + hn, good, strlen(good));
        hn += strlen(good);
        int ok = call_verify(tok, tn, h, hn, id, idn, body, bn);
        if (commas + 2 <= 10 && !ok) {
            fprintf(stderr, "a correct signature (candidate %zu) was rejected\n", commas + 2);
            abort();
        }
        free(h);
    } else if (fuzzed_ok) {
        fprintf(stderr, "an empty token accepted a signature\n");
        abort();
    }
    /* the fuzzed header alone: accepted only if it carries a correct signature */
    if (fuzzed_ok && tn > 0) {
        int found = memmem(sig, sn, good, strlen(good)) != NULL;
        /* or one made with the Base64-decoded key, or the URL-safe / unpadded spelling */
        unsigned char key[4096];
        int kl = EVP_DecodeBlock(key, (const unsigned char *)tok, (int)tn);
        if (!found && kl > 0) {
            unsigned char mac2[32];
            for (int trim = 0; trim <= 2 && !found; trim++) { /* padding bytes */
                if (kl - trim <= 0)
                    break;
                HMAC(EVP_sha256(), key, kl - trim, msg, o, mac2, &ml);
                char g2[64];
                b64(mac2, 32, g2);
                found = memmem(sig, sn, g2, 40) != NULL; /* first 40 chars: spelling-agnostic enough */
            }
        }
        if (!found) {
            char gu[64];
            strcpy(gu, good);
            for (char *c = gu; *c; c++)
                *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
            found = memmem(sig, sn, gu, 40) != NULL;
        }
        if (!found) {
            fprintf(stderr, "a header without a correct signature was accepted\n");
            abort();
        }
    }
    free(msg);

    /* deleted_id never raises */
    lua_getglobal(L, "W");
    lua_getfield(L, -1, "deleted_id");
    lua_pushlstring(L, body, bn);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "levy.json");
    lua_call(L, 1, 1);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        fprintf(stderr, "deleted_id raised: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_pop(L, 2);
    return 0;
}
