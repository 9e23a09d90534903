#ifndef LEVY_MODULES_H
#define LEVY_MODULES_H
/* The one list of modules a generation can `require` (like Lua's linit.c): levy.* bindings
 * and cjson.safe. Kept in core/lua/modules.c; add a row when a bind_*.c lands. */
#include <lua.h>

typedef struct levy_module {
    const char *name;
    lua_CFunction open;
} levy_module;

extern const levy_module levy_modules[];
/** The opener for `name`, or NULL. */
lua_CFunction levy_modules_find(const char *name);

/* Openers of the base bindings (core/lua/bind_*.c). */
int luaopen_levy_json(lua_State *L);
int luaopen_levy_money(lua_State *L);
int luaopen_levy_crypto(lua_State *L);
int luaopen_levy_store(lua_State *L);
/** Finalizes every statement the state's levy.store still holds open (they belong to the
 * store's connection, which only its own thread may touch): a generation's state can then be
 * closed on another thread (levy_gen_unref with the reaper on). */
void levy_lua_store_close_all(lua_State *L);
int luaopen_levy_jobs(lua_State *L);
int luaopen_levy_log(lua_State *L);
int luaopen_levy_time(lua_State *L);

/* The tax engine's binding (core/lua/bind_tax.c) and the tax id check (bind_taxid.c). */
int luaopen_levy_tax(lua_State *L);
int luaopen_levy_taxid(lua_State *L);

/* Openers implemented by the host (core/lua/bind_*.c). */
int luaopen_levy_http(lua_State *L);
int luaopen_levy_metrics(lua_State *L);
int luaopen_levy_config(lua_State *L);
int luaopen_levy_tax(lua_State *L);
int luaopen_levy_files(lua_State *L); /* bind_files.c (issue 20: certificates) */

#endif
