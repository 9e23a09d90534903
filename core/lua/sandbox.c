/* Sandbox construction (see sandbox.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "embedded.h"
#include "file.h"
#include "lctx.h"
#include "modules.h"
#include "pattern.h"
#include "sandbox.h"

/* Our linit list: no io, no package. debug is opened only so the prelude can keep
 * debug.getinfo for its own messages; the raw globals are unreachable from sandboxed code
 * and cleared after the prelude ran. */
static const luaL_Reg sandbox_libs[] = {
    {LUA_GNAME, luaopen_base},          {LUA_LOADLIBNAME, NULL},
    {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
    {LUA_OSLIBNAME, luaopen_os},        {LUA_STRLIBNAME, luaopen_string},
    {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_DBLIBNAME, luaopen_debug},     {NULL, NULL},
};

static int filebuf_gc(lua_State *L)
{
    char **box = lua_touserdata(L, 1);
    free(*box);
    *box = NULL;
    return 0;
}

/* [-1, +(1|3), m] read_file(path) -> contents | nil, message, code. Host-only helper. The
 * file's bytes are owned by a userdata (created empty first) until they are a Lua string, so
 * a memory error in between cannot leak them. */
static int h_read_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "levy.FileBuffer")) {
        lua_pushcfunction(L, filebuf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    size_t len = 0;
    levy_err err;
    if (levy_file_read(path, 0, box, &len, &err) != LEVY_OK)
        return levy_lua_fail(L, err.code, err.message);
    lua_pushlstring(L, *box, len);
    free(*box);
    *box = NULL;
    return 1;
}

/* [-1, +1, e] embedded(path) -> the text of a file compiled into the binary (core/embed.cmake),
 * or nil. Host-only helper: the prelude loads levy.util (core/lua/runtime/util.lua) with it. */
static int h_embedded(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    for (const levy_embedded *e = levy_embedded_files; e->path; e++) {
        if (strcmp(e->path, path) == 0) {
            lua_pushlstring(L, e->data, e->len);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

static int h_has_module(lua_State *L)
{
    lua_pushboolean(L, levy_modules_find(luaL_checkstring(L, 1)) != NULL);
    return 1;
}

/* is_body(v): v is a response body held in C (LEVY_BODY_MT, lctx.h). */
static int h_is_body(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, LEVY_BODY_MT) != NULL);
    return 1;
}

static int h_open_module(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    lua_CFunction open = levy_modules_find(name);
    if (!open)
        return luaL_error(L, "module '%s' not found", name);
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    return 1;
}

static int h_set_registry(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 2);
    lua_setfield(L, LUA_REGISTRYINDEX, lua_tostring(L, 1));
    return 0;
}

/* pool_arena(n) -> the arena before: the state's small blocks come from its pool's arena n
 * (0 or 1) from now on (vm.h levy_vm_pool_arena). */
static int h_pool_arena(lua_State *L)
{
    lua_pushinteger(L, levy_vm_pool_arena(L, (int)luaL_checkinteger(L, 1)));
    return 1;
}

/* coroutine.create that gives the new thread its creator's context and budget hook. */
static int h_co_create(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    levy_lua_check_ctx(L, "coroutine.create", LEVY_CTX_LOAD | LEVY_CTX_REQUEST);
    lua_State *NL = lua_newthread(L);
    levy_lua_set_ctx(NL, levy_lua_ctx(L));
    levy_vm_arm(NL);
    lua_pushvalue(L, 1);
    lua_xmove(L, NL, 1);
    return 1;
}

/* co_adopt(co): before a script resumes or closes one of its coroutines, the coroutine takes
 * the resumer's context and budget hook. A coroutine kept in a module table outlives the call
 * that created it; without this it would run on that call's freed context (and budget). */
static int h_co_adopt(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    if (co != L) {
        levy_lua_set_ctx(co, levy_lua_ctx(L));
        levy_vm_arm(co);
    }
    return 0;
}

static int gated_done(lua_State *L, int status, lua_KContext k)
{
    (void)status;
    (void)k;
    return lua_gettop(L);
}

/* The gated function may yield (levy.events.emit runs subscribers that make HTTP requests):
 * lua_callk with a continuation, so no C-call boundary stands between it and the handler. */
static int gated_call(lua_State *L)
{
    levy_lua_check_ctx(L, lua_tostring(L, lua_upvalueindex(2)),
                       (int)lua_tointeger(L, lua_upvalueindex(3)));
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, gated_done);
    return gated_done(L, LUA_OK, 0);
}

/* gated(fn, name, "request"|"load,request"...) -> fn checked against the context. */
static int h_gated(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_checkstring(L, 2);
    const char *kinds = luaL_checkstring(L, 3);
    int mask = 0;
    if (strstr(kinds, "load"))
        mask |= LEVY_CTX_LOAD;
    if (strstr(kinds, "request"))
        mask |= LEVY_CTX_REQUEST;
    if (strstr(kinds, "pure"))
        mask |= LEVY_CTX_PURE;
    lua_settop(L, 2);
    lua_pushinteger(L, mask);
    lua_pushcclosure(L, gated_call, 3);
    return 1;
}

static const luaL_Reg host_helpers[] = {
    {"read_file", h_read_file},
    {"embedded", h_embedded},
    {"has_module", h_has_module},
    {"is_body", h_is_body},
    {"open_module", h_open_module},
    {"set_registry", h_set_registry},
    {"pool_arena", h_pool_arena},
    {"co_create", h_co_create},
    {"co_adopt", h_co_adopt},
    {"gated", h_gated},
    {"str_find", levy_pattern_find},
    {"str_match", levy_pattern_match},
    {"str_gmatch", levy_pattern_gmatch},
    {"str_gsub", levy_pattern_gsub},
    {NULL, NULL},
};

static const char *const removed_globals[] = {"dofile",         "loadfile", "load", "require",
                                              "collectgarbage", "debug",    "os",   "print",
                                              "rawset",         NULL};

/* [-0, +1, e] Loads an embedded runtime file as a chunk. */
static void load_embedded(lua_State *L, const char *path)
{
    const levy_embedded *e;
    for (e = levy_embedded_files; e->path; e++)
        if (strcmp(e->path, path) == 0)
            break;
    if (!e->path)
        luaL_error(L, "embedded %s missing", path);
    char chunk[128];
    snprintf(chunk, sizeof chunk, "@%s", path);
    if (luaL_loadbufferx(L, e->data, e->len, chunk, "t") != LUA_OK)
        lua_error(L);
}

/* type(v): the base library's, the name pushed from the closure's upvalues (issue 21,
 * calc22). luaB_type pushes lua_typename with lua_pushstring, which finds the string again by
 * luaS_new: a cache by address that the host's many lua_getfield / lua_setfield names keep
 * evicting, then a hash and a lookup -- ~480 instructions a call, ~8 calls a calculation. */
static int fast_type(lua_State *L)
{
    int t = lua_type(L, 1);
    luaL_argcheck(L, t != LUA_TNONE, 1, "value expected");
    lua_pushvalue(L, lua_upvalueindex(t + 1));
    return 1;
}

/* [-0, +0, e] Runs on the main state under pcall (pmain pattern). */
static int sandbox_main(lua_State *L)
{
    for (const luaL_Reg *lib = sandbox_libs; lib->name; lib++) {
        if (!lib->func)
            continue;
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    /* before the prelude takes its copy of the globals */
    lua_pushglobaltable(L);
    for (int t = LUA_TNIL; t < LUA_NUMTYPES; t++)
        lua_pushstring(L, lua_typename(L, t));
    lua_pushcclosure(L, fast_type, LUA_NUMTYPES);
    lua_setfield(L, -2, "type");
    lua_pop(L, 1);
    /* Drop the loaded-modules table entries: nothing sandboxed reaches them anyway. */
    load_embedded(L, "core/lua/runtime/sandbox.lua");
    luaL_newlib(L, host_helpers);
    lua_pushvalue(L, -1);
    lua_insert(L, -3); /* helpers, prelude, helpers */
    lua_call(L, 1, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, LEVY_SANDBOX_API);
    /* `levy test` (core/host/spec.c): the spec runner and its stubs, installed before any
     * plugin loads; it keeps what it needs of the full library (load, debug.traceback). */
    lua_getfield(L, LUA_REGISTRYINDEX, LEVY_SPEC_FLAG);
    int spec = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (spec) {
        load_embedded(L, "core/lua/runtime/spec.lua");
        lua_insert(L, -3); /* spec, helpers, H */
        lua_insert(L, -2); /* spec, H, helpers */
        lua_call(L, 2, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, LEVY_SPEC_API);
    } else {
        lua_pop(L, 2);
    }
    lua_pushglobaltable(L);
    for (const char *const *g = removed_globals; *g; g++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *g);
    }
    lua_pop(L, 1);
    return 0;
}

int levy_sandbox_open(levy_vm *vm, levy_err *err)
{
    lua_State *L = levy_vm_state(vm);
    lua_pushcfunction(L, sandbox_main);
    return levy_vm_pcall(vm, 0, 0, err);
}

/* [-0, +1, -] Pushes registry[table][name], or nil when there is no such table. */
static void push_registry_field(lua_State *L, const char *table, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, table);
    if (lua_istable(L, -1))
        lua_getfield(L, -1, name);
    else
        lua_pushnil(L);
    lua_remove(L, -2);
}

void levy_sandbox_push_api(lua_State *L, const char *name)
{
    push_registry_field(L, LEVY_SANDBOX_API, name);
}

/* registry keys (by address) of the request object's two shared parts, taken from the sandbox
 * API once per state */
static const char req_fields_mt_key = 0, req_ro_key = 0;

static void push_api_kept(lua_State *L, const void *key, const char *name)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    levy_sandbox_push_api(L, name);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

void levy_sandbox_make_req(lua_State *L)
{
    /* what H.make_req (core/lua/runtime/sandbox.lua) does, without a Lua call (issue 21):
     * setmetatable(fields, REQ_FIELDS_MT); setmetatable({}, {__index = fields, __newindex =
     * REQ_RO, __metatable = false}) */
    push_api_kept(L, &req_fields_mt_key, "req_fields_mt");
    lua_setmetatable(L, -2);
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    push_api_kept(L, &req_ro_key, "req_ro");
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

void levy_sandbox_push_spec(lua_State *L, const char *name)
{
    push_registry_field(L, LEVY_SPEC_API, name);
}
