/* levy.money (docs/plugins.md §3): thin shim over core/base/money.h. */
#include <string.h>

#include "lctx.h"
#include "money.h"

int luaopen_levy_money(lua_State *L);

static int check_exp(lua_State *L, int idx)
{
    const char *cur = luaL_checkstring(L, idx);
    int e = levy_money_exponent(cur);
    if (e < 0)
        luaL_error(L, "unknown currency '%s'", cur);
    return e;
}

/* An amount argument: a decimal string (parsed at exp) or integer minor units. Floats raise.
 * Returns 0 on success, or pushes the fail triple and returns 3. */
static int get_amount(lua_State *L, int idx, int exp, const char *fname, int64_t *out)
{
    levy_lua_no_float(L, idx, fname);
    if (lua_type(L, idx) == LUA_TNUMBER) {
        *out = (int64_t)lua_tointeger(L, idx);
        return 0;
    }
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_typeerror(L, idx, "decimal string or integer");
    levy_err err = {0};
    if (levy_money_parse_exp(lua_tostring(L, idx), exp, out, &err) != LEVY_OK)
        return levy_lua_fail(L, "bad_decimal", err.message);
    return 0;
}

static int push_minor(lua_State *L, int64_t v, int exp)
{
    char buf[LEVY_MONEY_BUFSZ];
    levy_money_format_exp(v, exp, buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int l_parse(lua_State *L)
{
    levy_lua_no_float(L, 1, "money.parse");
    const char *s = luaL_checkstring(L, 1);
    if (lua_type(L, 1) != LUA_TSTRING)
        luaL_typeerror(L, 1, "string");
    int exp = check_exp(L, 2);
    int64_t v;
    levy_err err = {0};
    if (levy_money_parse_exp(s, exp, &v, &err) != LEVY_OK)
        return levy_lua_fail(L, "bad_decimal", err.message);
    lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

static int l_format(lua_State *L)
{
    levy_lua_no_float(L, 1, "money.format");
    lua_Integer v = luaL_checkinteger(L, 1);
    return push_minor(L, (int64_t)v, check_exp(L, 2));
}

static int l_exponent(lua_State *L)
{
    int e = levy_money_exponent(luaL_checkstring(L, 1));
    if (e < 0)
        luaL_pushfail(L);
    else
        lua_pushinteger(L, e);
    return 1;
}

static int addsub(lua_State *L, int sub)
{
    const char *fname = sub ? "money.sub" : "money.add";
    int exp = check_exp(L, 3);
    int64_t a, b, r;
    int n;
    if ((n = get_amount(L, 1, exp, fname, &a)) || (n = get_amount(L, 2, exp, fname, &b)))
        return n;
    levy_err err = {0};
    if ((sub ? levy_money_sub(a, b, &r, &err) : levy_money_add(a, b, &r, &err)) != LEVY_OK)
        return levy_lua_fail(L, "overflow", err.message);
    return push_minor(L, r, exp);
}

static int l_add(lua_State *L) { return addsub(L, 0); }
static int l_sub(lua_State *L) { return addsub(L, 1); }

static int l_cmp(lua_State *L)
{
    levy_lua_no_float(L, 1, "money.cmp");
    levy_lua_no_float(L, 2, "money.cmp");
    const char *a = luaL_checkstring(L, 1), *b = luaL_checkstring(L, 2);
    int out;
    levy_err err = {0};
    if (levy_decimal_cmp(a, b, &out, &err) != LEVY_OK)
        return luaL_error(L, "money.cmp: '%s' / '%s': not decimal strings", a, b);
    lua_pushinteger(L, out);
    return 1;
}

static int l_is_decimal(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING) {
        lua_pushboolean(L, 0);
        return 1;
    }
    int max = (int)luaL_optinteger(L, 2, -1);
    lua_pushboolean(L, levy_decimal_valid(lua_tostring(L, 1), max));
    return 1;
}

static int l_percent_of(lua_State *L)
{
    int exp = check_exp(L, 3);
    int64_t amount, r;
    int n;
    if ((n = get_amount(L, 1, exp, "money.percent_of", &amount)))
        return n;
    levy_lua_no_float(L, 2, "money.percent_of");
    levy_decimal pct;
    levy_err err = {0};
    if (lua_type(L, 2) == LUA_TNUMBER) {
        pct.unscaled = (int64_t)lua_tointeger(L, 2);
        pct.scale = 0;
    } else if (levy_decimal_parse(luaL_checkstring(L, 2), 18, &pct, &err) != LEVY_OK) {
        return levy_lua_fail(L, "bad_decimal", err.message);
    }
    int mode = levy_round_parse(luaL_optstring(L, 4, NULL));
    if (mode < 0)
        return luaL_error(L, "money.percent_of: unknown rounding mode '%s'", lua_tostring(L, 4));
    if (levy_money_percent_of(amount, &pct, (levy_round)mode, &r, &err) != LEVY_OK)
        return levy_lua_fail(L, err.code, err.message);
    return push_minor(L, r, exp);
}

static const luaL_Reg money_funcs[] = {{"parse", l_parse},
                                       {"format", l_format},
                                       {"exponent", l_exponent},
                                       {"add", l_add},
                                       {"sub", l_sub},
                                       {"cmp", l_cmp},
                                       {"is_decimal", l_is_decimal},
                                       {"percent_of", l_percent_of},
                                       {NULL, NULL}};

int luaopen_levy_money(lua_State *L)
{
    luaL_newlib(L, money_funcs);
    return 1;
}
