/* libFuzzer target: the Rillet side of levy that reads untrusted text, as levy runs it:
 * plugins/rillet/mapping.lua (webhook / API JSON -> ship-to, ship-from, document date,
 * product tax code, customer tax id, calculation lines) over the real levy.json decoder, and
 * plugins/rillet/client.lua's Retry-After parser over the real levy.time.
 *
 * Input: first byte 'R' -> the rest is a Retry-After header value; otherwise the input is a
 * JSON document (a Rillet invoice, credit memo, customer or product as a webhook carries it).
 * Properties: nothing raises; retry_after_ms returns nil or a non-negative integer; ship_to
 * returns nil or a table of non-empty strings with a country; line returns a table with an
 * amount (passed through as Rillet sent it: the calculation request's validation, not the
 * mapping, rejects a malformed one with 422). client.lua's other dependencies (levy.http, levy.store,
 * levy.log, levy.config) are empty stand-ins: the fuzzed functions do not use them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lctx.h"
#include "time_stubs.h"

int luaopen_levy_crypto(lua_State *L);
int luaopen_levy_json(lua_State *L);
int luaopen_levy_money(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *L;
static levy_lctx request_ctx; /* the fuzzed functions run in jobs: request context */

static const char *driver =
    "local json, mapping, client = require 'levy.json', require 'mapping', require 'client'\n"
    "local function str_table(t)\n"
    "  if t == nil then return true end\n"
    "  if type(t) ~= 'table' or type(t.country) ~= 'string' then return false end\n"
    "  for k, v in pairs(t) do if type(v) ~= 'string' or v == '' then return false end end\n"
    "  return true\n"
    "end\n"
    "return function(s)\n"
    "  if s:sub(1, 1) == 'R' then\n"
    "    local ms = client.retry_after_ms({ ['retry-after'] = s:sub(2) })\n"
    "    assert(ms == nil or (math.type(ms) == 'integer' and ms >= 0), 'retry_after_ms: ' .. "
    "tostring(ms))\n"
    "    return\n"
    "  end\n"
    "  local doc = json.decode(s)\n"
    "  if type(doc) ~= 'table' then return end\n"
    "  for _, dt in ipairs({ 'invoice', 'credit_memo' }) do\n"
    "    local cust = type(doc.customer) == 'table' and doc.customer or doc\n"
    "    assert(str_table(mapping.ship_to(dt, doc, cust)), 'ship_to')\n"
    "    assert(str_table(mapping.ship_from(dt, doc)), 'ship_from')\n"
    "    local d = mapping.doc_date(dt, doc)\n"
    "    local rd, how = mapping.line_reading(dt, doc, doc.setting)\n"
    "    assert((rd == 'net' or rd == 'gross') and type(how) == 'string', 'line_reading')\n"
    "    if type(doc.items) == 'table' then\n"
    "      for _, it in ipairs(doc.items) do\n"
    "        if type(it) == 'table' then\n"
    "          local l = mapping.line(dt, it)\n"
    "          assert(type(l) == 'table' and l.amount ~= nil, 'line')\n"
    "          l = mapping.line(dt, it, rd)\n"
    "          assert(type(l) == 'table' and l.amount ~= nil, 'line (reading)')\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  local c = mapping.product_tax_code(doc)\n"
    "  assert(c == nil or type(c) == 'string', 'product_tax_code')\n"
    "  local t = mapping.customer_tax_id(doc)\n"
    "  assert(t == nil or type(t) == 'string', 'customer_tax_id')\n"
    /* issue 17: custom fields by name and the customer_data setting, as decoded JSON */
    "  local t2, src = mapping.customer_tax_id(doc, doc.fields_by_name, doc.conf)\n"
    "  assert(t2 == nil or (type(t2) == 'string' and type(src) == 'string'), 'customer_tax_id "
    "(fields)')\n"
    "  local ex, esrc = mapping.customer_exempt(doc, doc.fields_by_name, doc.conf)\n"
    "  assert(ex == nil or (type(ex) == 'boolean' and type(esrc) == 'string'), 'customer_exempt')\n"
    /* issue 19: the customer type from a custom field */
    "  local ty, tsrc = mapping.customer_type(doc, doc.fields_by_name, doc.conf)\n"
    "  assert(ty == nil or ((ty == 'business' or ty == 'individual') and type(tsrc) == 'string'), "
    "'customer_type')\n"
    "end\n";

static void init(void)
{
    L = luaL_newstate();
    levy_lua_set_ctx(L, NULL);
    luaL_openlibs(L);
    luaL_requiref(L, "levy.crypto", luaopen_levy_crypto, 0);
    luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
    luaL_requiref(L, "levy.time", luaopen_levy_time, 0);
    luaL_requiref(L, "levy.money", luaopen_levy_money, 0);
    lua_pop(L, 4);
    const char *src = getenv("LEVY_SOURCE");
    char path[2400];
    snprintf(path, sizeof path,
             "package.path = '%.1000s/plugins/rillet/?.lua'\n"
             "for _, m in ipairs({ 'levy.http', 'levy.store', 'levy.log', 'levy.metrics' }) do\n"
             "  package.preload[m] = function() return {} end\n"
             "end\n"
             "package.preload['levy.config'] = function() return { rillet_rate_limit = 60 } end\n"
             /* levy.util: the host's helper module, pure Lua over levy.* (runtime/util.lua) */
             "package.preload['levy.util'] = function() return "
             "dofile('%.1000s/core/lua/runtime/util.lua') end\n",
             src ? src : ".", src ? src : ".");
    if (luaL_dostring(L, path) || luaL_loadstring(L, driver) || lua_pcall(L, 0, 1, 0)) {
        fprintf(stderr, "init: %s\n", lua_tostring(L, -1));
        abort();
    }
    lua_setglobal(L, "fuzz_one");
    request_ctx.kind = LEVY_CTX_REQUEST;
    levy_lua_set_ctx(L, &request_ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L)
        init();
    if (size > 8192)
        return 0;
    lua_getglobal(L, "fuzz_one");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
