/* Sandbox escape table: every case is a plugin body that tries to reach something the
 * sandbox must not give, and must fail to load with the expected message. */
#include <string.h>

#include <lauxlib.h>

#include "harness.h"
#include "lctx.h"
#include "sandbox.h"
#include "vm.h"

static levy_vm *mkvm(void)
{
    levy_vm *vm = NULL;
    levy_vm_limits lim = {0, 0, 0};
    if (levy_vm_new(&vm, &lim, NULL) != LEVY_OK)
        return NULL;
    if (levy_sandbox_open(vm, NULL) != LEVY_OK) {
        levy_vm_free(vm);
        return NULL;
    }
    return vm;
}

/* Loads src as plugins/p/handler.lua; returns rc, err filled. */
static int load_plugin(levy_vm *vm, const char *src, levy_err *err)
{
    lua_State *L = levy_vm_state(vm);
    levy_sandbox_push_api(L, "load_plugin");
    lua_pushstring(L, "p");
    lua_pushstring(L, "/nonexistent/plugins/p");
    lua_pushstring(L, "plugins/p/handler.lua");
    lua_pushstring(L, src);
    lua_pushstring(L, "serve");
    levy_err_clear(err);
    int rc = levy_vm_pcall(vm, 5, 1, err);
    if (rc == LEVY_OK)
        lua_pop(L, 1);
    return rc;
}

static const struct {
    const char *src;
    const char *want; /* substring of the error */
} ESCAPES[] = {
    {"io.open('/etc/passwd')", "unknown global 'io'"},
    {"os.execute('true')", "field 'execute'"},
    {"os.getenv('HOME')", "field 'getenv'"},
    {"os.exit(1)", "field 'exit'"},
    {"require 'os'", "module 'os' not found"},
    {"require 'io'", "module 'io' not found"},
    {"require 'debug'", "module 'debug' not found"},
    {"require '../../etc/passwd'", "not found"},
    {"require 'levy.nope'", "not found"},
    {"loadfile('/etc/passwd')", "unknown global 'loadfile'"},
    {"dofile('/etc/passwd')", "unknown global 'dofile'"},
    {"string.dump(function() end)", "field 'dump'"},
    {"local s = assert(('').dump, 'no dump')", "no dump"},
    {"assert(load('\\27Lua\\84\\0'))", "binary"},
    {"assert(load('return 1', 'x', 'b'))", "only text chunks"},
    {"debug.getinfo(1)", "unknown global 'debug'"},
    {"package.loaded.os = 1", "unknown global 'package'"},
    {"collectgarbage()", "unknown global 'collectgarbage'"},
    {"print('x')", "unknown global 'print'"},
    {"rawset(string, 'x', 1)", "unknown global 'rawset'"},
    {"x = 1", "assignment to global 'x'"},
    {"local y = undefined_name", "unknown global 'undefined_name'"},
    {"string.rep = nil", "read-only table 'string'"},
    {"table.insert = nil", "read-only table 'table'"},
    {"math.pi = 3", "read-only table 'math'"},
    {"getmetatable('').__index.rep = nil", "index a boolean"},
    {"setmetatable(string, {})", "protected metatable"},
    {"local http = require 'levy.http'; http.request = nil", "read-only table 'levy.http'"},
    {"local c = require 'levy.config'; c.role = 'x'", "read-only table 'levy.config'"},
    {"os.time()", "not available in the 'load' context"},
    {"require('levy.http').request{url='http://127.0.0.1/'}", "not available in the 'load' context"},
    {"local f = load('x = 1'); f()", "assignment to global 'x'"},
    {"local f = load('return io'); f()", "unknown global 'io'"},
    {"while true do end", "budget exceeded"},
    {"local t = {} while true do t[#t + 1] = string.rep('x', 16 * 1024 * 1024) .. #t end", "memory"},
    {"return { name = 'other', version = '1' }", "plugin name must be 'p'"},
    {"return { name = 'p', version = '1', routes = { { method = 'GET', path = 'nope', handler = function() end } } }",
     "path must start with '/'"},
    {"return 42", "must return a table"},
    {NULL, NULL},
};

static void t_escapes(void)
{
    int failed = 0;
    for (int i = 0; ESCAPES[i].src; i++) {
        levy_vm *vm = mkvm();
        CHECK(vm);
        levy_err err;
        int rc = load_plugin(vm, ESCAPES[i].src, &err);
        if (rc == LEVY_OK || !strstr(err.message, ESCAPES[i].want)) {
            fprintf(stderr, "  escape #%d not blocked as expected: %s\n    got rc=%d: %s\n", i,
                    ESCAPES[i].src, rc, err.message);
            failed = 1;
        }
        levy_vm_free(vm);
    }
    CHECK(!failed);
end:;
}

static void t_valid_plugin(void)
{
    levy_vm *vm = mkvm();
    levy_err err;
    CHECK(vm);
    int rc = load_plugin(vm,
                         "local json = require 'cjson.safe'\n"
                         "local t = setmetatable({}, {__index = function() return 1 end})\n"
                         "local co = coroutine.wrap(function() coroutine.yield(1) end)\n"
                         "assert(co() == 1)\n"
                         "local f = assert(load('return 1 + 1'))\n"
                         "assert(f() == 2 and string.format('%d', 3) == '3' and t.x == 1)\n"
                         "for k in pairs(string) do assert(k ~= 'dump') end\n"
                         "return { name = 'p', version = '1', routes = {\n"
                         "  { method = 'GET', path = '/v1/p/{id}', handler = function(req) return 200, {} end } } }\n",
                         &err);
    if (rc != LEVY_OK)
        fprintf(stderr, "  %s\n", err.message);
    CHECK_EQ_INT(rc, LEVY_OK);
end:
    levy_vm_free(vm);
}

static void t_plugins_do_not_share_globals(void)
{
    /* each plugin gets its own environment: a module table modified through rawget tricks
     * is not reachable, and exports are read-only views */
    levy_vm *vm = mkvm();
    levy_err err;
    CHECK(vm);
    lua_State *L = levy_vm_state(vm);
    CHECK_EQ_INT(load_plugin(vm, "return { name = 'p', version = '1', exports = { v = 1 } }", &err), LEVY_OK);
    levy_sandbox_push_api(L, "load_plugin");
    lua_pushstring(L, "q");
    lua_pushstring(L, "/nonexistent/plugins/q");
    lua_pushstring(L, "plugins/q/handler.lua");
    lua_pushstring(L, "local p = require('levy.plugin')('p')\n"
                      "return { name = 'q', version = '1', exports = { get = function() return p.v end } }");
    lua_pushstring(L, "serve");
    CHECK_EQ_INT(levy_vm_pcall(vm, 5, 1, &err), LEVY_OK);
    lua_pop(L, 1);
end:
    levy_vm_free(vm);
}

static const levy_test tests[] = {
    {"escapes", t_escapes},
    {"valid_plugin", t_valid_plugin},
    {"plugins_do_not_share_globals", t_plugins_do_not_share_globals},
    {NULL, NULL},
};

LEVY_TEST_MAIN(tests)
