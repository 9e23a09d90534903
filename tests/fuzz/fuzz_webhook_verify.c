/* libFuzzer target: the webhook verification path (CONTRACT §2.7) as levy runs it:
 * plugins/rillet/webhook.lua (signature-header splitting, Base64 of each candidate, key
 * derivation from the signing token) over the real levy.crypto and levy.json bindings.
 *
 * Input: token \n signature-header \n X-Rillet-Id \n body (missing parts are empty).
 * Properties: verify() never raises; it returns a boolean; a correct signature (HMAC with
 * the token's text bytes, computed here with OpenSSL) placed after the fuzzed header's
 * candidates (when fewer than 10) is accepted; the fuzzed header alone is accepted only if
 * it contains that correct signature or one made with the Base64-decoded key (checked by
 * recomputing both here). deleted_id() never raises.
 * Header formats (issue 15 #13), on the X-Rillet-Id line taken also as a timestamp and as
 * the start of a signed string: parse_timestamp() never raises and agrees with a reference
 * parser written here (strict RFC 3339 grammar, calendar ranges, timegm) on acceptance and
 * on the millisecond value; check() never raises; and the signed string
 * `line "." body` has at most one split into timestamp . id . entity . event . body that
 * check() accepts (no signature can be re-used under other header values). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lctx.h"
#include "time_stubs.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

int luaopen_levy_crypto(lua_State *L);
int luaopen_levy_money(lua_State *L);
int luaopen_levy_json(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;

static void init(void)
{
    L = luaL_newstate();
    /* the intake runs in an HTTP handler: request context (no context = no capability) */
    static levy_lctx request_ctx;
    request_ctx.kind = LEVY_CTX_REQUEST;
    levy_lua_set_ctx(L, &request_ctx);
    luaL_openlibs(L);
    luaL_requiref(L, "levy.crypto", luaopen_levy_crypto, 0);
    luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
    luaL_requiref(L, "levy.time", luaopen_levy_time, 0); /* parse_timestamp's calendar */
    luaL_requiref(L, "levy.money", luaopen_levy_money, 0);
    lua_pop(L, 4);
    const char *src = getenv("LEVY_SOURCE");
    char path[2400];
    /* levy.util: the host's helper module, pure Lua over levy.* (runtime/util.lua); its
     * levy.http is only for util.fail, which raises the error table the host would */
    snprintf(path, sizeof path,
             "package.path = '%.1000s/plugins/rillet/?.lua'\n"
             "package.preload['levy.http'] = function() return { error = function(s, c, m)\n"
             "  error({ status = s, code = c, message = m }, 0) end } end\n"
             "package.preload['levy.util'] = function() return "
             "dofile('%.1000s/core/lua/runtime/util.lua') end\n",
             src ? src : ".", src ? src : ".");
    if (luaL_dostring(L, path) || luaL_dostring(L, "W = require 'webhook'")) {
        fprintf(stderr, "init: %s\n", lua_tostring(L, -1));
        abort();
    }
}

/* Reference: YYYY-MM-DD[Tt]hh:mm:ss(.d{1,9})?([Zz]|[+-]hh:mm), real ranges, no leap second. */
static int dig(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

static int ref_ts(const char *s, size_t n, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 1;
    if (n < 20 || n > 40)
        return 0;
    if (!dig(s, 4, &y) || s[4] != '-' || !dig(s + 5, 2, &mo) || s[7] != '-' || !dig(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't') || !dig(s + 11, 2, &h) || s[13] != ':' ||
        !dig(s + 14, 2, &mi) || s[16] != ':' || !dig(s + 17, 2, &sec))
        return 0;
    size_t i = 19;
    if (s[i] == '.') {
        size_t k = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (k < 3)
                frac = frac * 10 + (s[i] - '0');
            k++, i++;
        }
        if (k == 0 || k > 9)
            return 0;
        for (; k < 3; k++)
            frac *= 10;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
        /* UTC */
    } else if (i < n && (s[i] == '+' || s[i] == '-') && i + 6 == n && dig(s + i + 1, 2, &oh) &&
               s[i + 3] == ':' && dig(s + i + 4, 2, &om)) {
        sign = s[i] == '-' ? -1 : 1;
        if (oh > 23 || om > 59)
            return 0;
    } else {
        return 0;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm);
    *ms = (t - (int64_t)sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return 1;
}

/* W.check{ts, id, entity, event}: 1 accepted, 0 refused; aborts when it raises. */
static int call_check(const char *ts, size_t tn, const char *id, size_t idn, const char *en,
                      size_t enn, const char *ev, size_t evn)
{
    lua_getglobal(L, "W");
    lua_getfield(L, -1, "check");
    lua_createtable(L, 0, 5);
    lua_pushlstring(L, ts, tn);
    lua_setfield(L, -2, "x-rillet-timestamp");
    lua_pushlstring(L, id, idn);
    lua_setfield(L, -2, "x-rillet-id");
    lua_pushlstring(L, en, enn);
    lua_setfield(L, -2, "x-rillet-entity");
    lua_pushlstring(L, ev, evn);
    lua_setfield(L, -2, "x-rillet-event");
    lua_pushliteral(L, "x");
    lua_setfield(L, -2, "x-rillet-signature");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "check raised: %s\n", lua_tostring(L, -1));
        abort();
    }
    int ok = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return ok;
}

static void header_properties(const char *line, size_t ln, const char *body, size_t bn)
{
    /* parse_timestamp agrees with the reference */
    lua_getglobal(L, "W");
    lua_getfield(L, -1, "parse_timestamp");
    lua_pushlstring(L, line, ln);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "parse_timestamp raised: %s\n", lua_tostring(L, -1));
        abort();
    }
    int64_t want = 0;
    int ref = ref_ts(line, ln, &want);
    int got = lua_isinteger(L, -1);
    if (got != ref || (got && lua_tointeger(L, -1) != want)) {
        fprintf(stderr, "parse_timestamp('%.*s'): levy %s %lld, reference %s %lld\n", (int)ln, line,
                got ? "accepts" : "refuses", got ? (long long)lua_tointeger(L, -1) : 0LL,
                ref ? "accepts" : "refuses", (long long)want);
        abort();
    }
    if (!got && !lua_isnil(L, -1))
        abort();
    lua_pop(L, 2);
    /* at most one accepted split of line "." body */
    size_t sn = ln + 1 + bn;
    char *sig = malloc(sn + 1);
    memcpy(sig, line, ln);
    sig[ln] = '.';
    memcpy(sig + ln + 1, body, bn);
    size_t dots[12], nd = 0;
    for (size_t i = 0; i < sn && nd < 12; i++)
        if (sig[i] == '.')
            dots[nd++] = i;
    int accepted = 0;
    size_t first[4] = {0};
    for (size_t a = 0; a < nd; a++)
        for (size_t b = a + 1; b < nd; b++)
            for (size_t c = b + 1; c < nd; c++)
                for (size_t e = c + 1; e < nd; e++) {
                    size_t p[4] = {dots[a], dots[b], dots[c], dots[e]};
                    if (p[0] == 0 || p[1] == p[0] + 1 || p[2] == p[1] + 1 || p[3] == p[2] + 1)
                        continue; /* an empty header is refused earlier (missing_header) */
                    if (!call_check(sig, p[0], sig + p[0] + 1, p[1] - p[0] - 1, sig + p[1] + 1,
                                    p[2] - p[1] - 1, sig + p[2] + 1, p[3] - p[2] - 1))
                        continue;
                    if (accepted++) {
                        fprintf(stderr,
                                "two splits of one signed string pass the header checks: "
                                "dots at %zu,%zu,%zu,%zu and %zu,%zu,%zu,%zu\n",
                                first[0], first[1], first[2], first[3], p[0], p[1], p[2], p[3]);
                        abort();
                    }
                    memcpy(first, p, sizeof p);
                }
    free(sig);
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
                found =
                    memmem(sig, sn, g2, 40) != NULL; /* first 40 chars: spelling-agnostic enough */
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

    header_properties(id, idn, body, bn);

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
