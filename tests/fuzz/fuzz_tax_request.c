/* libFuzzer: the /v1/calculate request mapper. The input is JSON decoded with lua-cjson and
 * handed to levy.tax calculate() with all regions on; any Lua error other than a clean
 * validation result, or any sanitizer report, is a finding. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lctx.h"
#include "tax/rates.h"

int luaopen_levy_tax(lua_State *L);
int luaopen_cjson(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static levy_rates *R;

static const char *driver =
    "local cjson, tax = ...\n"
    "return function(s)\n"
    "  local ok, body = pcall(cjson.decode, s)\n"
    "  if not ok then return end\n"
    "  local r, err = tax.calculate(body, {all_regions=true, rounding=(#s % 2 == 0) and 'document' or 'line'})\n"
    "  if r then assert(type(r.total_tax) == 'string') else assert(err.status == 422) end\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        levy_err err;
        if (levy_rates_open(&R, "data", NULL, &err) != LEVY_OK)
            abort();
        L = luaL_newstate();
        luaL_openlibs(L);
        levy_lua_set_ctx(L, NULL);
        levy_lua_set_host(L, LEVY_HOST_RATES, R);
        if (luaL_loadstring(L, driver) != LUA_OK)
            abort();
        luaopen_cjson(L);
        luaopen_levy_tax(L);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK)
            abort();
        lua_setglobal(L, "fuzz_one");
    }
    lua_getglobal(L, "fuzz_one");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
