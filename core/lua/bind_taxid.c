/* levy.taxid: the tax id check of core/tax/taxid.c for rules and plugins (docs/rules.md
 * "Tax ids"). Pure: no capability, no I/O, so rules may require it (sandbox.lua
 * RULE_MODULES) beside levy.money and levy.json.
 *
 *   local taxid = require "levy.taxid"
 *   local r = taxid.check("DE", "DE 136 695 976")
 *   -- r = { status = "valid", valid = true, country = "DE", normalized = "136695976",
 *   --       scheme = "EU VAT (DE USt-IdNr)", checksum = true, eu = true }
 *   taxid.same_country("EL", "GR") --> true
 *
 * Whether an id makes the customer a business for reverse charge is decided in C only
 * (core/tax/calc.c levy_tax_id_usable -> levy_taxid_usable), not here.
 * status is "valid", "invalid_format", "invalid_checksum" or "unknown_country"; `detail`
 * says why a number is invalid, or that it was checked for its format only. */
#include <lauxlib.h>
#include <lua.h>

#include "tax/taxid.h"

int luaopen_levy_taxid(lua_State *L);

static void push_result(lua_State *L, int st, const levy_taxid_result *r)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, levy_taxid_status_name(st));
    lua_setfield(L, -2, "status");
    lua_pushboolean(L, st == LEVY_TAXID_VALID);
    lua_setfield(L, -2, "valid");
    if (r->country[0]) {
        lua_pushstring(L, r->country);
        lua_setfield(L, -2, "country");
    }
    if (r->normalized[0]) {
        lua_pushstring(L, r->normalized);
        lua_setfield(L, -2, "normalized");
    }
    if (r->scheme) {
        lua_pushstring(L, r->scheme);
        lua_setfield(L, -2, "scheme");
    }
    lua_pushboolean(L, r->checksum);
    lua_setfield(L, -2, "checksum");
    lua_pushboolean(L, r->eu);
    lua_setfield(L, -2, "eu");
    if (r->detail) {
        lua_pushstring(L, r->detail);
        lua_setfield(L, -2, "detail");
    }
}

/* check(country, id) -> result table. country may be nil (the id's prefix decides). */
static int l_check(lua_State *L)
{
    const char *country = luaL_optstring(L, 1, NULL);
    const char *id = luaL_checkstring(L, 2);
    levy_taxid_result r;
    int st = levy_taxid_check(country, id, &r);
    push_result(L, st, &r);
    return 1;
}

/* same_country(id_country, destination) -> boolean (EL = GR, MC takes FR, IM takes GB). */
static int l_same_country(lua_State *L)
{
    lua_pushboolean(
        L, levy_taxid_same_country(luaL_optstring(L, 1, NULL), luaL_optstring(L, 2, NULL)));
    return 1;
}

int luaopen_levy_taxid(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"check", l_check},
        {"same_country", l_same_country},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
