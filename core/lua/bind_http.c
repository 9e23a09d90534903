/* levy.http: outbound requests (yielding), API errors, token check. Thin shim over
 * core/http/client.c; see docs/plugins.md §3. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <openssl/crypto.h>

#include "config.h"
#include "gen.h"
#include "http/client.h"
#include "lctx.h"
#include "modules.h"

/* [-(2..5), +0, v] error(status, code, message[, details[, headers]]): raises an API error. */
static int l_error(lua_State *L)
{
    lua_Integer status = luaL_checkinteger(L, 1);
    luaL_argcheck(L, status >= 400 && status <= 599, 1, "status must be 400..599");
    luaL_checkstring(L, 2);
    luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    if (!lua_isnoneornil(L, 5))
        luaL_checktype(L, 5, LUA_TTABLE);
    /* Regression: called with three arguments, the error table itself sat at index 4 and
     * became its own `details`, so rendering it failed with a cycle and every
     * levy.http.error answered 500. Pin the argument slots first. */
    lua_settop(L, 5);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "code");
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "message");
    if (lua_istable(L, 4)) {
        lua_pushvalue(L, 4);
        lua_setfield(L, -2, "details");
    }
    if (lua_istable(L, 5)) {
        lua_pushvalue(L, 5);
        lua_setfield(L, -2, "headers");
    }
    luaL_newmetatable(L, LEVY_API_ERROR_MT);
    lua_setmetatable(L, -2);
    return lua_error(L);
}

/* [-(2..3), +1, m] error_body(code, message[, details]) -> {error = {...}} */
static int l_error_body(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_createtable(L, 0, 1);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "code");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "message");
    if (lua_istable(L, 3)) {
        lua_pushvalue(L, 3);
        lua_setfield(L, -2, "details");
    }
    lua_setfield(L, -2, "error");
    return 1;
}

/* [-1, +1, -] check_token(token) -> boolean (constant time). */
static int l_check_token(lua_State *L)
{
    size_t n = 0;
    const char *tok = luaL_checklstring(L, 1, &n);
    levy_config *cfg = levy_lua_host(L, LEVY_HOST_CONFIG);
    int ok = 0;
    if (cfg && cfg->api_token[0]) {
        size_t m = strlen(cfg->api_token);
        ok = (n == m) & (CRYPTO_memcmp(tok, cfg->api_token, m < n ? m : n) == 0);
    }
    lua_pushboolean(L, ok);
    return 1;
}

/* [-1, +3, m] Under lua_pcall on the main state: the results of a finished transfer. */
static int push_result(lua_State *L)
{
    const levy_http_result *res = lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (res->ok) {
        lua_pushinteger(L, res->status);
        lua_createtable(L, 0, res->nheaders);
        for (int i = 0; i < res->nheaders; i++) {
            lua_pushstring(L, res->headers[i].value);
            lua_setfield(L, -2, res->headers[i].name);
        }
        lua_pushlstring(L, res->body, res->body_len);
    } else {
        lua_pushnil(L);
        lua_pushstring(L, res->message);
        lua_pushstring(L, res->code);
    }
    return 3;
}

/* Completion of levy.http.request: builds the results on the (idle) main state under a
 * protected call, moves them to the parked coroutine and resumes it. If the generation is
 * out of memory the coroutine is resumed with no values (http.request returns nothing). */
static void on_done(void *ud, const levy_http_result *res)
{
    levy_lctx *ctx = ud;
    lua_State *co = ctx->co;
    lua_State *L = levy_vm_state(((levy_gen *)ctx->gen)->vm);
    int n = 0;
    if (lua_checkstack(L, 4) && lua_checkstack(co, 4)) {
        lua_pushcfunction(L, push_result);
        lua_pushlightuserdata(L, (void *)res);
        if (lua_pcall(L, 1, 3, 0) == LUA_OK) {
            lua_xmove(L, co, 3);
            n = 3;
        } else {
            lua_pop(L, 1);
        }
    }
    ctx->resume(ctx, n);
}

/* [-1, +3, v] request{method=, url=, headers=, body=, timeout_ms=} (yields)
 *   -> status, headers, body | nil, message, code */
static int l_request(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.http.request", LEVY_CTX_REQUEST);
    luaL_checktype(L, 1, LUA_TTABLE);
    levy_lctx *ctx = levy_lua_ctx(L);
    if (!ctx || !ctx->resume || ctx->co != L || !lua_isyieldable(L))
        return luaL_error(L, "levy.http.request must be called from the handler's own coroutine "
                             "(not inside coroutine.wrap/create or a metamethod)");
    levy_http_client *client = levy_lua_host(L, LEVY_HOST_CLIENT);
    if (!client)
        return luaL_error(L, "levy.http.request is not available (no event loop)");
    lua_settop(L, 1);
    lua_getfield(L, 1, "method");     /* 2 */
    lua_getfield(L, 1, "url");        /* 3 */
    lua_getfield(L, 1, "headers");    /* 4 */
    lua_getfield(L, 1, "body");       /* 5 */
    lua_getfield(L, 1, "timeout_ms"); /* 6 */
    const char *method = luaL_optstring(L, 2, "GET");
    const char *url = luaL_checkstring(L, 3);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return luaL_error(L, "levy.http.request: url must be http:// or https://");
    for (const char *p = method; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return luaL_error(L, "levy.http.request: bad method '%s'", method);
    if (!lua_isnil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    size_t blen = 0;
    const char *body = lua_isnil(L, 5) ? NULL : luaL_checklstring(L, 5, &blen);
    lua_Integer timeout = luaL_optinteger(L, 6, 15000);
    luaL_argcheck(L, timeout > 0 && timeout <= 600000, 1, "timeout_ms must be 1..600000");
    /* validation pass over headers before any allocation */
    int nh = 0;
    if (lua_istable(L, 4)) {
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "levy.http.request: headers must map strings to strings");
            const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
            if (strpbrk(k, "\r\n:") || strpbrk(v, "\r\n"))
                return luaL_error(L, "levy.http.request: bad header '%s'", k);
            nh++;
            lua_pop(L, 1);
        }
    }
    if (!lua_checkstack(L, 8))
        return luaL_error(L, "stack overflow");
    char **hdrs = calloc((size_t)nh + 1, sizeof *hdrs);
    int ok = hdrs != NULL, i = 0;
    if (ok && lua_istable(L, 4)) {
        lua_pushnil(L);
        while (lua_next(L, 4)) {
            const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
            size_t n = strlen(k) + strlen(v) + 3;
            if (ok && i < nh && (hdrs[i] = malloc(n)))
                snprintf(hdrs[i++], n, "%s: %s", k, v);
            else
                ok = 0;
            lua_pop(L, 1);
        }
    }
    levy_err err;
    levy_err_clear(&err);
    int rc = LEVY_ENOMEM;
    if (ok) {
        levy_http_request req = {.method = method,
                                 .url = url,
                                 .headers = (const char *const *)hdrs,
                                 .body = body,
                                 .body_len = blen,
                                 .timeout_ms = (long)timeout};
        rc = levy_http_client_request(client, &req, on_done, ctx, &err);
    }
    for (int k = 0; hdrs && k < nh; k++)
        free(hdrs[k]);
    free(hdrs);
    if (rc != LEVY_OK)
        return levy_lua_fail(L, "network", ok ? err.message : "out of memory");
    lua_settop(L, 0);
    ctx->waiting = 1;
    return lua_yield(L, 0);
}

static const luaL_Reg http_funcs[] = {
    {"request", l_request},         {"error", l_error}, {"error_body", l_error_body},
    {"check_token", l_check_token}, {NULL, NULL},
};

int luaopen_levy_http(lua_State *L)
{
    luaL_newmetatable(L, LEVY_API_ERROR_MT);
    lua_pop(L, 1);
    luaL_newlib(L, http_funcs);
    return 1;
}
