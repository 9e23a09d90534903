#ifndef LEVY_LCTX_H
#define LEVY_LCTX_H
/* Shared glue for every core/lua/bind_*.c: execution contexts, host pointers and the
 * failure convention. Each Lua thread (state or coroutine) carries a `levy_lctx *` in its
 * extraspace (lua_getextraspace); a new coroutine inherits its creator's pointer, and the
 * host sets a fresh one for each request / job coroutine.
 *
 * Bindings are installed as `package.preload`-style loaders by the sandbox (core/lua):
 *   int luaopen_levy_<mod>(lua_State *L)   for <mod> in json money crypto store jobs tax
 *                                           http log time metrics
 * and read host objects (store, config...) with levy_lua_host(L, LEVY_HOST_STORE). */
#include <lua.h>
#include <lauxlib.h>

#include "levy.h"

enum levy_ctx_kind {
    LEVY_CTX_LOAD = 1,    /* plugin / rule body while a generation is built */
    LEVY_CTX_REQUEST = 2, /* HTTP handler, job, schedule: may yield and use the store */
    LEVY_CTX_PURE = 4     /* tax rule evaluation: no I/O, no clock, no randomness */
};
#define LEVY_CTX_ANY (LEVY_CTX_LOAD | LEVY_CTX_REQUEST | LEVY_CTX_PURE)

struct event_base;

/* Per-thread execution context. Owned by whoever created the thread (the host). */
typedef struct levy_lctx levy_lctx;
struct levy_lctx {
    int kind;           /* one LEVY_CTX_* */
    void *gen;          /* struct levy_gen * the call runs on */
    void *call;         /* the host's call (request/job coroutine), or NULL; opaque here */
    const char *plugin; /* plugin or rule file name, for logs */
    /* Parking (levy.http.request, levy.time.sleep): a binding may suspend the call's own
     * coroutine until an event on the loop. The host fills these for a call's coroutine
     * (core/host/call.c) and leaves them zero elsewhere (then nothing may park). The binding
     * sets `waiting` just before it yields; when its event comes it pushes nargs values on
     * `co` and calls resume(ctx, nargs), which runs the call on (and may free it). */
    lua_State *co;           /* the call's own coroutine: the only thread that may park */
    struct event_base *base; /* the loop the call runs on */
    int waiting;             /* parked (set by the binding, cleared by resume) */
    void (*resume)(levy_lctx *ctx, int nargs);
};

/* Host objects reachable from bindings (stored as light userdata in the registry under
 * "levy.host.<name>" by the host before any binding is opened). */
#define LEVY_HOST_STORE "levy.host.store"   /* levy_store *   */
#define LEVY_HOST_CONFIG "levy.host.config" /* levy_config *  */
#define LEVY_HOST_CLIENT "levy.host.client" /* levy_http_client * */
#define LEVY_HOST_RATES "levy.host.rates"   /* levy_rates * (current rate index) */
#define LEVY_HOST_WRITER "levy.host.writer" /* levy_writer * (levy serve; else none) */

/* [-0, +0, -] Sets / gets the context pointer of thread L (NULL when none). */
void levy_lua_set_ctx(lua_State *L, levy_lctx *ctx);
levy_lctx *levy_lua_ctx(lua_State *L);
/* Name of a context kind: "load", "request", "pure" ("none" for 0: no context). */
const char *levy_ctx_name(int kind);

/* [-0, +0, v] Raises "<fname> is not available in the '<ctx>' context" unless the current
 * context kind is in `allowed` (a bitmask). A thread without a context (NULL) has no
 * capability at all: every gated function raises ("... in the 'none' context"); the host
 * sets LOAD / REQUEST / PURE explicitly wherever Lua may use one. */
LEVY_LJMP void levy_lua_check_ctx(lua_State *L, const char *fname, int allowed);

/* [-0, +0, -] Host pointer stored under key (see LEVY_HOST_*), or NULL. */
void *levy_lua_host(lua_State *L, const char *key);
/* [-0, +0, -] Stores a host pointer under key. */
void levy_lua_set_host(lua_State *L, const char *key, void *p);

/* [-0, +3, -] Pushes fail (nil), msg, code; returns 3. For expected runtime failures. */
int levy_lua_fail(lua_State *L, const char *code, const char *msg);

/* [-0, +0, v] Raises if the value at idx is a float (money and rates never cross as floats). */
LEVY_LJMP void levy_lua_no_float(lua_State *L, int idx, const char *what);

/* API errors: a table {status=, code=, message=, details=?, headers=?} with the metatable
 * registered as LEVY_API_ERROR_MT. Raised by levy.http.error and by bindings (a busy store
 * raises 503 "unavailable" with Retry-After: 1); rendered by the host as the contract's
 * {"error":{"code","message","details"}} with that status. */
#define LEVY_API_ERROR_MT "levy.ApiError"
/* [-0, +0, v] Raises an API error. retry_after < 0: no Retry-After header. */
LEVY_LJMP int levy_lua_api_error(lua_State *L, int status, const char *code, const char *message,
                                 int retry_after);
/* [-0, +0, -] True if the value at idx is an API error table. */
int levy_lua_is_api_error(lua_State *L, int idx);

/* A response body held in C (issue 21): a full userdata of this metatable over a levy_buf
 * (core/base/json_scan.h; its __gc frees the bytes). levy.tax.calculate returns one for
 * opts.encode = "body"; a handler may return it as its body and the host sends its bytes
 * without making a Lua string of them (core/host/routes.c lua_reply, core/host/calc.c). */
#define LEVY_BODY_MT "levy.body"

/* [-0, +1, m] Pushes the metatable luaL_newmetatable registered as tname (nil when there is
 * none yet; returns 0 then), kept in a registry slot under key's address once found: no
 * interning of tname per call as luaL_getmetatable / luaL_setmetatable / luaL_testudata do
 * (issue 21: a few hundred instructions each when lua_getfield's by-address string cache
 * misses, ~6 per POST /v1/calculate). key: a static object of the caller's. */
static inline int levy_lua_push_mt(lua_State *L, const void *key, const char *tname)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) == LUA_TTABLE)
        return 1;
    lua_pop(L, 1);
    if (luaL_getmetatable(L, tname) != LUA_TTABLE)
        return 0;
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
    return 1;
}

/* [-0, +0, m] luaL_testudata(L, ud, tname) through levy_lua_push_mt's slot. */
static inline void *levy_lua_testudata(lua_State *L, int ud, const void *key, const char *tname)
{
    void *p = lua_touserdata(L, ud);
    if (!p || !lua_getmetatable(L, ud))
        return NULL;
    levy_lua_push_mt(L, key, tname);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? p : NULL;
}

#endif
