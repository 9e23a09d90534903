#include <string.h>

#include "lctx.h"

void levy_lua_set_ctx(lua_State *L, levy_lctx *ctx)
{
    memcpy(lua_getextraspace(L), &ctx, sizeof ctx);
}

levy_lctx *levy_lua_ctx(lua_State *L)
{
    levy_lctx *ctx;
    memcpy(&ctx, lua_getextraspace(L), sizeof ctx);
    return ctx;
}

const char *levy_ctx_name(int kind)
{
    switch (kind) {
    case LEVY_CTX_LOAD:
        return "load";
    case LEVY_CTX_REQUEST:
        return "request";
    case LEVY_CTX_PURE:
        return "pure";
    case 0:
        return "none";
    default:
        return "unknown";
    }
}

void levy_lua_check_ctx(lua_State *L, const char *fname, int allowed)
{
    levy_lctx *ctx = levy_lua_ctx(L);
    /* No context grants nothing: only the host's explicit LOAD/REQUEST/PURE open a gated
     * function (a thread left without one - the main state after a build, a finalizer run
     * while no call is active - must not fall back to load's store reads and crypto). */
    int kind = ctx ? ctx->kind : 0;
    if (!(kind & allowed))
        luaL_error(L, "%s is not available in the '%s' context", fname, levy_ctx_name(kind));
}

void *levy_lua_host(lua_State *L, const char *key)
{
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    void *p = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return p;
}

void levy_lua_set_host(lua_State *L, const char *key, void *p)
{
    lua_pushlightuserdata(L, p);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

int levy_lua_fail(lua_State *L, const char *code, const char *msg)
{
    luaL_pushfail(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, code);
    return 3;
}

void levy_lua_no_float(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER && !lua_isinteger(L, idx))
        luaL_error(L,
                   "%s: floats are not accepted for money or rates; use a decimal string "
                   "or an integer",
                   what);
}

int levy_lua_api_error(lua_State *L, int status, const char *code, const char *message,
                       int retry_after)
{
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    if (retry_after >= 0) {
        lua_createtable(L, 0, 1);
        lua_pushfstring(L, "%d", retry_after);
        lua_setfield(L, -2, "Retry-After");
        lua_setfield(L, -2, "headers");
    }
    luaL_newmetatable(L, LEVY_API_ERROR_MT);
    lua_setmetatable(L, -2);
    return lua_error(L);
}

int levy_lua_is_api_error(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return 0;
    luaL_getmetatable(L, LEVY_API_ERROR_MT);
    int eq = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return eq;
}
