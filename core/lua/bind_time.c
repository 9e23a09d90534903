/* levy.time (docs/plugins.md §3) over core/base/clock.h. */
#include <stdlib.h>

#include <event2/event.h>

#include "clock.h"
#include "lctx.h"
#include "vm.h"

int luaopen_levy_time(lua_State *L);

static int l_now_ms(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.now_ms", LEVY_CTX_REQUEST);
    lua_pushinteger(L, (lua_Integer)levy_clock_now_ms());
    return 1;
}

/* time.budget_used() -> integer per mille (0..1000) of the running call's budget used so far */
static int l_budget_used(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)levy_vm_budget_used_permille(L));
    return 1;
}

static int fmt(lua_State *L, int (*f)(int64_t, char *, size_t), const char *name)
{
    levy_lua_no_float(L, 1, name);
    lua_Integer ms = luaL_checkinteger(L, 1);
    char buf[LEVY_TIME_BUFSZ];
    if (f((int64_t)ms, buf, sizeof buf) < 0)
        return luaL_error(L, "%s: time out of range", name);
    lua_pushstring(L, buf);
    return 1;
}

static int l_iso(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.iso", LEVY_CTX_REQUEST);
    return fmt(L, levy_time_iso, "levy.time.iso");
}

static int l_iso_ms(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.iso_ms", LEVY_CTX_REQUEST);
    return fmt(L, levy_time_iso_ms, "levy.time.iso_ms");
}

static int l_date(lua_State *L) { return fmt(L, levy_time_date, "levy.time.date"); }

static int l_parse_iso(lua_State *L)
{
    const char *s = luaL_checkstring(L, 1);
    int64_t ms;
    levy_err err = {0};
    if (levy_time_parse_iso(s, &ms, &err) != LEVY_OK)
        return levy_lua_fail(L, "bad_time", err.message);
    lua_pushinteger(L, (lua_Integer)ms);
    return 1;
}

/* valid_date(s): the whole string (its Lua length, so "2024-01-01\0junk" is not a date) is a
 * YYYY-MM-DD calendar date. */
static int l_valid_date(lua_State *L)
{
    size_t len = 0;
    const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    int y, m, d;
    lua_pushboolean(L, s != NULL && levy_date_parse(s, len, &y, &m, &d));
    return 1;
}

/* A parked sleep: the timer owns this and frees it when it fires. */
typedef struct sleeper {
    struct event *ev;
    levy_lctx *ctx;
} sleeper;

static void on_wake(evutil_socket_t fd, short what, void *ud)
{
    (void)fd;
    (void)what;
    sleeper *s = ud;
    levy_lctx *ctx = s->ctx;
    event_free(s->ev);
    free(s);
    ctx->resume(ctx, 0);
}

/* [-1, +0, v] sleep(ms): parks the calling handler/job coroutine on an event-loop timer for
 * ms milliseconds (0..60000) while the loop keeps serving; request context only. Used by
 * the simulator's latency fault. Out of memory raises before anything is scheduled. */
static int l_sleep(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.time.sleep", LEVY_CTX_REQUEST);
    lua_Integer ms = luaL_checkinteger(L, 1);
    luaL_argcheck(L, ms >= 0 && ms <= 60000, 1, "milliseconds must be 0..60000");
    levy_lctx *ctx = levy_lua_ctx(L);
    if (!ctx || !ctx->resume || ctx->co != L || !lua_isyieldable(L) || !ctx->base)
        return luaL_error(L, "levy.time.sleep must be called from a handler or job's own "
                             "coroutine on the event loop");
    sleeper *s = malloc(sizeof *s);
    if (!s)
        return luaL_error(L, "not enough memory");
    s->ctx = ctx;
    s->ev = evtimer_new(ctx->base, on_wake, s);
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    /* timers count from the loop's cached time, taken when this iteration began: refresh it
     * so the sleep is never shorter than asked */
    event_base_update_cache_time(ctx->base);
    if (!s->ev || evtimer_add(s->ev, &tv) != 0) {
        if (s->ev)
            event_free(s->ev);
        free(s);
        return luaL_error(L, "levy.time.sleep: cannot schedule a timer");
    }
    lua_settop(L, 0);
    ctx->waiting = 1;
    return lua_yield(L, 0);
}

static const luaL_Reg time_funcs[] = {{"now_ms", l_now_ms},         {"iso", l_iso},
                                      {"sleep", l_sleep},           {"budget_used", l_budget_used},
                                      {"iso_ms", l_iso_ms},         {"date", l_date},
                                      {"format_date", l_date},      {"parse_iso", l_parse_iso},
                                      {"valid_date", l_valid_date}, {NULL, NULL}};

int luaopen_levy_time(lua_State *L)
{
    luaL_newlib(L, time_funcs);
    return 1;
}
