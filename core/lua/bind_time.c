/* levy.time (docs/plugins.md §3) over core/clock.h. */
#include "clock.h"
#include "lctx.h"

int luaopen_levy_time(lua_State *L);

static int l_now_ms(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.now_ms", LEVY_CTX_REQUEST);
    lua_pushinteger(L, (lua_Integer)levy_clock_now_ms());
    return 1;
}

static int fmt(lua_State *L, int (*f)(int64_t, char *, size_t), const char *name)
{
    levy_lua_no_float(L, 1, name);
    lua_Integer ms = luaL_checkinteger(L, 1);
    char buf[LEVY_TIME_BUFSZ];
    if (f((int64_t)ms, buf, sizeof buf) < 0)
        return luaL_error(L, "%s: time out of range", name);
    lua_pushstring(L, buf);
    return 1;
}

static int l_iso(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.iso", LEVY_CTX_REQUEST);
    return fmt(L, levy_time_iso, "levy.time.iso");
}

static int l_iso_ms(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.iso_ms", LEVY_CTX_REQUEST);
    return fmt(L, levy_time_iso_ms, "levy.time.iso_ms");
}

static int l_date(lua_State *L) { return fmt(L, levy_time_date, "levy.time.date"); }

static int l_parse_iso(lua_State *L)
{
    const char *s = luaL_checkstring(L, 1);
    int64_t ms;
    levy_err err = {0};
    if (levy_time_parse_iso(s, &ms, &err) != LEVY_OK)
        return levy_lua_fail(L, "bad_time", err.message);
    lua_pushinteger(L, (lua_Integer)ms);
    return 1;
}

static int l_valid_date(lua_State *L)
{
    int64_t days;
    lua_pushboolean(L, lua_type(L, 1) == LUA_TSTRING &&
                           levy_time_parse_date(lua_tostring(L, 1), &days, NULL) == LEVY_OK);
    return 1;
}

static const luaL_Reg time_funcs[] = {{"now_ms", l_now_ms},     {"iso", l_iso},
                                      {"iso_ms", l_iso_ms},     {"date", l_date},
                                      {"format_date", l_date},  {"parse_iso", l_parse_iso},
                                      {"valid_date", l_valid_date}, {NULL, NULL}};

int luaopen_levy_time(lua_State *L)
{
    luaL_newlib(L, time_funcs);
    return 1;
}
