/* levy.metrics: counters, gauges, histograms exposed at GET /metrics (docs/plugins.md). */
#include <string.h>

#include <lauxlib.h>

#include "metrics.h"
#include "lctx.h"
#include "modules.h"

#define MAX_LABELS 16

/* [-0, +0, v] Collects the labels table at idx into out (key, value, ..., NULL). */
static LEVY_LJMP void check_labels(lua_State *L, int idx, const char *out[2 * MAX_LABELS + 1])
{
    int n = 0;
    if (!lua_isnoneornil(L, idx)) {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "metric labels must map strings to strings");
            if (n >= 2 * MAX_LABELS)
                luaL_error(L, "too many metric labels (max %d)", MAX_LABELS);
            out[n++] = lua_tostring(L, -2);
            out[n++] = lua_tostring(L, -1); /* anchored by the table */
            lua_pop(L, 1);
        }
    }
    out[n] = NULL;
}

static const char *check_name(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_argcheck(L, strncmp(name, "levy_", 5) == 0 && levy_metrics_valid_name(name), 1,
                  "metric names are levy_[a-z0-9_]*");
    return name;
}

static int finish(lua_State *L, int rc, levy_err *err)
{
    if (rc != LEVY_OK)
        return luaL_error(L, "%s", err->message);
    return 0;
}

typedef int (*update_fn)(const char *name, const char *const *labels, int64_t v, levy_err *err);

/* inc, set and observe: (name, labels, value) checked alike, then fn */
static int update(lua_State *L, const char *fname, update_fn fn, int is_counter)
{
    levy_lua_check_ctx(L, fname, LEVY_CTX_REQUEST);
    const char *name = check_name(L);
    const char *labels[2 * MAX_LABELS + 1];
    check_labels(L, 2, labels);
    lua_Integer v = is_counter ? luaL_optinteger(L, 3, 1) : luaL_checkinteger(L, 3);
    if (is_counter)
        luaL_argcheck(L, v >= 0, 3, "counters only go up");
    levy_err err;
    return finish(L, fn(name, labels, v, &err), &err);
}

/* inc(name, labels[, n]) */
static int l_inc(lua_State *L) { return update(L, "levy.metrics.inc", levy_metrics_inc, 1); }

/* set(name, labels, value) */
static int l_set(lua_State *L) { return update(L, "levy.metrics.set", levy_metrics_set, 0); }

/* observe(name, labels, value_ms): a duration in milliseconds, exposed in seconds */
static int l_observe(lua_State *L)
{
    return update(L, "levy.metrics.observe", levy_metrics_observe, 0);
}

/* describe(name, type, help): the family's # HELP text; type "counter" (name ends in _total),
 * "gauge" or "histogram" (a duration: name ends in _seconds, observe() takes milliseconds) */
static int l_describe(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.metrics.describe", LEVY_CTX_REQUEST);
    const char *name = check_name(L);
    static const char *const types[] = {"counter", "gauge", "histogram", NULL};
    int t = luaL_checkoption(L, 2, NULL, types);
    const char *help = luaL_checkstring(L, 3);
    levy_err err;
    return finish(
        L, levy_metrics_describe(name, (levy_metric_type)(LEVY_METRIC_COUNTER + t), help, &err),
        &err);
}

/* remove(name, labels) -> n: drops the series of name whose labels include all of labels
 * (a removed connection's gauges: remove(name, {connection = id})) */
static int l_remove(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.metrics.remove", LEVY_CTX_REQUEST);
    const char *name = check_name(L);
    const char *labels[2 * MAX_LABELS + 1];
    check_labels(L, 2, labels);
    levy_err err;
    int n = 0;
    if (levy_metrics_remove(name, labels, &n, &err) != LEVY_OK)
        return luaL_error(L, "%s", err.message);
    lua_pushinteger(L, n);
    return 1;
}

static const luaL_Reg metrics_funcs[] = {{"inc", l_inc},         {"set", l_set},
                                         {"observe", l_observe}, {"describe", l_describe},
                                         {"remove", l_remove},   {NULL, NULL}};

int luaopen_levy_metrics(lua_State *L)
{
    luaL_newlib(L, metrics_funcs);
    return 1;
}
