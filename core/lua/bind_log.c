/* levy.log (docs/plugins.md §3): log.debug/info/warn/error(msg, fields) over core/base/log.h.
 * The plugin name comes from the thread's levy_lctx; a request id, when the host keeps one
 * in fields.request_id, is passed like any field. Values are converted with tostring rules
 * (integers, strings, booleans; tables are written as "<table>"). */
#include "lctx.h"
#include "log.h"

int luaopen_levy_log(lua_State *L);

#define MAX_FIELDS 32

static int do_log(lua_State *L, levy_log_level level)
{
    if (level < levy_log_get_level())
        return 0;
    luaL_checkstring(L, 1);
    levy_log_field f[MAX_FIELDS];
    size_t n = 0;
    lua_settop(L, 2);
    if (!lua_isnil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_createtable(L, 2 * MAX_FIELDS, 0); /* 3: anchors k1, v1, k2, v2... */
        int m = 0;
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) == LUA_TSTRING && m < 2 * MAX_FIELDS) {
                lua_pushvalue(L, -2);
                lua_rawseti(L, 3, ++m);
                int t = lua_type(L, -1);
                if (t == LUA_TSTRING || t == LUA_TNUMBER || t == LUA_TBOOLEAN)
                    luaL_tolstring(L, -1, NULL);
                else
                    lua_pushstring(L, luaL_typename(L, -1));
                lua_rawseti(L, 3, ++m);
            }
            lua_pop(L, 1);
        }
        for (int i = 1; i + 1 <= m; i += 2) {
            lua_rawgeti(L, 3, i);
            f[n].key = lua_tostring(L, -1);
            lua_rawgeti(L, 3, i + 1);
            f[n].value = lua_tostring(L, -1);
            lua_pop(L, 2); /* the strings stay anchored in table 3 */
            n++;
        }
    }
    levy_lctx *ctx = levy_lua_ctx(L);
    levy_log_write(level, ctx && ctx->plugin ? ctx->plugin : "lua", lua_tostring(L, 1), f, n);
    return 0;
}

static int l_debug(lua_State *L) { return do_log(L, LEVY_LOG_DEBUG); }
static int l_info(lua_State *L) { return do_log(L, LEVY_LOG_INFO); }
static int l_warn(lua_State *L) { return do_log(L, LEVY_LOG_WARN); }
static int l_error(lua_State *L) { return do_log(L, LEVY_LOG_ERROR); }

static const luaL_Reg log_funcs[] = {
    {"debug", l_debug}, {"info", l_info}, {"warn", l_warn}, {"error", l_error}, {NULL, NULL}};

int luaopen_levy_log(lua_State *L)
{
    luaL_newlib(L, log_funcs);
    return 1;
}
