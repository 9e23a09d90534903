/* levy.config: the process configuration as a table (made read-only by the sandbox). */
#include <lauxlib.h>

#include "config.h"
#include "gen.h"
#include "lctx.h"
#include "modules.h"

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (v && *v)
        lua_pushstring(L, v);
    else
        lua_pushnil(L);
    lua_setfield(L, -2, k);
}

/* levy.config.generation_info() -> {id, hash, seq} of the generation the calling code runs
 * on (issue 22): hash is the content hash every replica that loaded the same plugins, scripts
 * and rate vintages shares, seq the store-issued order of that content (nil while the
 * generation is not registered in the store, e.g. `levy calc`). A call that started on an
 * older generation keeps answering that generation's identity. */
static int config_generation_info(lua_State *L)
{
    levy_lctx *ctx = levy_lua_ctx(L);
    const levy_gen *g = ctx ? ctx->gen : NULL;
    if (!g) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)g->id);
    lua_setfield(L, -2, "id");
    if (g->content_hash[0]) {
        lua_pushstring(L, g->content_hash);
        lua_setfield(L, -2, "hash");
    }
    if (g->seq > 0) {
        lua_pushinteger(L, (lua_Integer)g->seq);
        lua_setfield(L, -2, "seq");
    }
    return 1;
}

int luaopen_levy_config(lua_State *L)
{
    levy_config *c = levy_lua_host(L, LEVY_HOST_CONFIG);
    lua_createtable(L, 0, 15);
    lua_pushstring(L, LEVY_VERSION);
    lua_setfield(L, -2, "version");
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.role");
    lua_setfield(L, -2, "role");
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.generation");
    lua_setfield(L, -2, "generation");
    lua_pushcfunction(L, config_generation_info);
    lua_setfield(L, -2, "generation_info");
    if (!c)
        return 1;
    set_str(L, "listen", c->listen);
    set_str(L, "public_url", c->public_url);
    set_str(L, "rillet_url", c->rillet_url);
    lua_pushinteger(L, c->rillet_rate_limit);
    lua_setfield(L, -2, "rillet_rate_limit");
    lua_pushinteger(L, c->webhook_tolerance_s);
    lua_setfield(L, -2, "webhook_tolerance_s");
    lua_pushinteger(L, (lua_Integer)c->webhook_max_body);
    lua_setfield(L, -2, "webhook_max_body");
    lua_pushinteger(L, c->inbox_retention_days);
    lua_setfield(L, -2, "inbox_retention_days");
    lua_pushinteger(L, c->schedule_tick_s);
    lua_setfield(L, -2, "schedule_tick_s");
    lua_pushinteger(L, c->marketplace_chunk);
    lua_setfield(L, -2, "marketplace_chunk");
    set_str(L, "data_dir", c->data_dir);
    if (c->demo_auto) {
        lua_createtable(L, 0, 3);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "auto");
        set_str(L, "sim_url", c->demo_sim_url);
        set_str(L, "api_key", c->demo_api_key);
        lua_setfield(L, -2, "demo");
    }
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, c->sim_seed);
    lua_setfield(L, -2, "seed");
    lua_pushinteger(L, c->sim_invoices);
    lua_setfield(L, -2, "invoices");
    lua_pushboolean(L, c->sim_rate_limit);
    lua_setfield(L, -2, "rate_limit");
    lua_setfield(L, -2, "sim");
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, c->cli_all_regions);
    lua_setfield(L, -2, "all_regions");
    lua_setfield(L, -2, "cli");
    return 1;
}
