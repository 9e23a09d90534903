/* libFuzzer target: levy.json (core/lua/bind_json.c over core/base/json_scan.c), the codec every
 * webhook body and API request goes through. Properties: decode never crashes and either
 * returns a value or fails cleanly (nil, message); a decoded value encodes; decoding that
 * encoding gives a value whose encoding is byte-identical (encode is a fixed point after one
 * round trip); nesting deeper than LEVY_JSON_MAX_DEPTH fails cleanly.
 * UTF-8 and repeated keys (issue 15 #16), with Lua's own strict utf8.len as the oracle:
 * whatever decodes was valid UTF-8 and re-encodes to valid UTF-8; the input taken as one
 * Lua string always encodes to valid UTF-8 that decodes, to the same bytes when the input was
 * valid UTF-8; a text accepted by the strict (default) decoder decodes to the same value
 * with duplicate_keys = "last"; the strict decoder fails only where lenient also fails or on
 * a "duplicate object key". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lctx.h"

int luaopen_levy_json(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;

static const char *SCRIPT =
    "local json = require 'levy.json'\n"
    "return function(s)\n"
    "  local strict_utf8 = utf8.len(s) ~= nil\n"
    "  if s:byte(1) ~= 0 then\n" /* a leading NUL marks a JSON number literal */
    "    local es = json.encode(s)\n"
    "    if not utf8.len(es) then error('encode wrote ill-formed UTF-8') end\n"
    "    local ds = json.decode(es)\n"
    "    if ds == nil and not s:find('\\0', 1, true) then error('encode of a string does not "
    "decode: ' .. es) end\n"
    "    if ds ~= nil and strict_utf8 and ds ~= s then error('valid UTF-8 string changed') end\n"
    "  end\n"
    "  local v, err = json.decode(s)\n"
    "  local lv, lerr = json.decode(s, { duplicate_keys = 'last' })\n"
    "  if v ~= nil and lv == nil then error('lenient refused what strict accepted: ' .. lerr) end\n"
    "  if v == nil and lv ~= nil and not err:find('duplicate object key', 1, true) then\n"
    "    error('strict refused for another reason than a repeated key: ' .. err) end\n"
    "  if v ~= nil and not strict_utf8 then error('decoded ill-formed UTF-8 input') end\n"
    "  if v ~= nil and json.encode(v) ~= json.encode(lv) then error('strict and lenient disagree') "
    "end\n"
    "  if v == nil then return 0 end\n"
    "  local ok, e1 = pcall(json.encode, v)\n"
    "  if not ok then return 0 end\n" /* e.g. a decoded value encode refuses: allowed, no crash */
    "  if not utf8.len(e1) then error('re-encoding wrote ill-formed UTF-8') end\n"
    "  local v2 = json.decode(e1)\n"
    "  if v2 == nil then error('encode produced undecodable JSON: ' .. e1) end\n"
    "  local e2 = json.encode(v2)\n"
    "  if e1 ~= e2 then error('round trip not stable:\\n' .. e1 .. '\\n' .. e2) end\n"
    "  return 1\n"
    "end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        L = luaL_newstate();
        levy_lua_set_ctx(L, NULL); /* as the host does: no call context = load context */
        luaL_openlibs(L);
        luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
        lua_pop(L, 1);
        if (luaL_loadstring(L, SCRIPT) || lua_pcall(L, 0, 1, 0)) {
            fprintf(stderr, "init: %s\n", lua_tostring(L, -1));
            abort();
        }
        lua_setglobal(L, "F");
    }
    if (size > 65536)
        return 0;
    lua_getglobal(L, "F");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    lua_pop(L, 1);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
