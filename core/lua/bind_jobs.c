/* levy.jobs (docs/plugins.md §3) over core/store/jobs.h. Context: request (retry / dead
 * build plain marker tables and work anywhere). */
#include <string.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "lctx.h"
#include "store/jobs.h"

int luaopen_levy_jobs(lua_State *L);
int luaopen_levy_json(lua_State *L);

#define CTX LEVY_CTX_REQUEST

static levy_store *get_store(lua_State *L)
{
    levy_store *st = levy_lua_host(L, LEVY_HOST_STORE);
    if (!st)
        luaL_error(L, "levy.jobs: no store is open");
    return st;
}

static int raise_err(lua_State *L, const levy_err *err, const char *fname)
{
    if (err->rc == LEVY_EBUSY || err->rc == LEVY_EIO)
        return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
    return luaL_error(L, "%s: %s", fname, err->message);
}

/* The cached statement for sql on the store; raises (as raise_err) when it cannot be made. */
static levy_stmt *prepare(lua_State *L, levy_store *st, const char *sql, const char *fname)
{
    levy_err err = {0};
    levy_stmt *s = levy_store_prepare_cached(st, sql, &err);
    if (!s)
        raise_err(L, &err, fname);
    return s;
}

/* Calls json.<fn>(value at idx) from the module table in upvalue 1; leaves 1 result. */
static void json_call(lua_State *L, const char *fn, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getfield(L, lua_upvalueindex(1), fn);
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
}

static int l_enqueue(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.jobs.enqueue", CTX);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "kind");         /* 2 */
    lua_getfield(L, 1, "key");          /* 3 */
    lua_getfield(L, 1, "payload");      /* 4 */
    lua_getfield(L, 1, "delay_ms");     /* 5 */
    lua_getfield(L, 1, "max_attempts"); /* 6 */
    lua_getfield(L, 1, "skip_backoff"); /* 7 */
    lua_getfield(L, 1, "keep_payload"); /* 8 */
    if (lua_type(L, 2) != LUA_TSTRING)
        luaL_error(L, "levy.jobs.enqueue: kind (a string) is required");
    const char *kind = lua_tostring(L, 2);
    const char *key = NULL;
    if (!lua_isnil(L, 3)) {
        if (lua_type(L, 3) == LUA_TNUMBER)
            levy_lua_no_float(L, 3, "levy.jobs.enqueue: key");
        key = luaL_tolstring(L, 3, NULL);
        lua_replace(L, 3);
    }
    const char *payload = "{}";
    if (lua_istable(L, 4)) {
        json_call(L, "encode", 4);
        lua_replace(L, 4);
        payload = lua_tostring(L, 4);
    } else if (lua_type(L, 4) == LUA_TSTRING) {
        payload = lua_tostring(L, 4); /* raw JSON text, validated by levy_jobs_enqueue */
    } else if (!lua_isnil(L, 4)) {
        luaL_error(L, "levy.jobs.enqueue: payload must be a table or JSON text");
    }
    levy_lua_no_float(L, 5, "levy.jobs.enqueue: delay_ms");
    levy_lua_no_float(L, 6, "levy.jobs.enqueue: max_attempts");
    lua_Integer delay = luaL_optinteger(L, 5, 0);
    lua_Integer max_attempts = luaL_optinteger(L, 6, 0);
    if (delay < 0)
        delay = 0;
    levy_store *st = get_store(L);
    char id[LEVY_JOB_ID_MAX];
    levy_err err = {0};
    int flags = (lua_toboolean(L, 7) ? LEVY_JOB_SKIP_BACKOFF : 0) |
                (lua_toboolean(L, 8) ? LEVY_JOB_KEEP_PAYLOAD : 0);
    if (levy_jobs_enqueue_flags(st, kind, key, payload, levy_clock_now_ms() + (int64_t)delay,
                                (int)max_attempts, flags, id, &err) != LEVY_OK)
        return raise_err(L, &err, "levy.jobs.enqueue");
    lua_pushstring(L, id);
    return 1;
}

static void push_outcome(lua_State *L, const char *action)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, action);
    lua_setfield(L, -2, "action");
    luaL_setmetatable(L, LEVY_JOB_OUTCOME_MT);
}

/* backoff_ms(attempt, base_ms, max_ms) -> ms: the runner's own full-jitter backoff
 * (levy_jobs_backoff_ms), for a handler that picks its own retry delay. Any context. */
static int l_backoff_ms(lua_State *L)
{
    levy_lua_no_float(L, 1, "levy.jobs.backoff_ms: attempt");
    levy_lua_no_float(L, 2, "levy.jobs.backoff_ms: base_ms");
    levy_lua_no_float(L, 3, "levy.jobs.backoff_ms: max_ms");
    lua_Integer attempt = luaL_checkinteger(L, 1);
    lua_Integer base = luaL_checkinteger(L, 2), max = luaL_checkinteger(L, 3);
    luaL_argcheck(L, base >= 0 && base <= max, 2, "0 <= base_ms <= max_ms");
    luaL_argcheck(L, max <= INT64_C(86400000) * 365, 3, "at most a year");
    uint64_t rnd = 0;
    levy_err err;
    if (levy_crypto_random(&rnd, sizeof rnd, &err) != LEVY_OK)
        return luaL_error(L, "levy.jobs.backoff_ms: %s", err.message);
    int a = attempt < 0 ? 0 : attempt > 1000 ? 1000 : (int)attempt;
    lua_pushinteger(L, levy_jobs_backoff_ms(a, base, max, rnd));
    return 1;
}

static int l_retry(lua_State *L)
{
    levy_lua_no_float(L, 1, "levy.jobs.retry: delay_ms");
    int has_delay = !lua_isnoneornil(L, 1);
    lua_Integer delay = luaL_optinteger(L, 1, 0);
    const char *why = luaL_optstring(L, 2, NULL);
    push_outcome(L, "retry");
    if (has_delay) {
        lua_pushinteger(L, delay < 0 ? 0 : delay);
        lua_setfield(L, -2, "delay_ms");
    }
    if (why) {
        lua_pushstring(L, why);
        lua_setfield(L, -2, "why");
    }
    lua_pushboolean(L, !has_delay);
    lua_setfield(L, -2, "count");
    return 1;
}

static int l_dead(lua_State *L)
{
    const char *why = luaL_optstring(L, 1, NULL);
    push_outcome(L, "dead");
    if (why) {
        lua_pushstring(L, why);
        lua_setfield(L, -2, "why");
    }
    return 1;
}

static int l_stats(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.jobs.stats", CTX);
    levy_store *st = get_store(L);
    levy_err err = {0};
    levy_stmt *s = prepare(L, st, "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state",
                           "levy.jobs.stats");
    lua_newtable(L);
    int src;
    while ((src = levy_stmt_step(s, &err)) == LEVY_STMT_ROW) {
        const char *kind = levy_stmt_column_text(s, 0);
        if (lua_getfield(L, -1, kind) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 4);
            static const char *states[] = {"queued", "running", "done", "dead"};
            for (int i = 0; i < 4; i++) {
                lua_pushinteger(L, 0);
                lua_setfield(L, -2, states[i]);
            }
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, kind);
        }
        lua_pushinteger(L, (lua_Integer)levy_stmt_column_int64(s, 2));
        lua_setfield(L, -2, levy_stmt_column_text(s, 1));
        lua_pop(L, 1);
    }
    levy_store_release(st, s);
    if (src != LEVY_OK) {
        return raise_err(L, &err, "levy.jobs.stats");
    }
    return 1;
}

static int l_list(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.jobs.list", CTX);
    const char *kind = NULL, *state = NULL;
    lua_Integer limit = 100;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_getfield(L, 1, "kind");
        kind = lua_tostring(L, -1);
        lua_getfield(L, 1, "state");
        state = lua_tostring(L, -1);
        lua_getfield(L, 1, "limit");
        levy_lua_no_float(L, -1, "levy.jobs.list: limit");
        limit = luaL_optinteger(L, -1, 100);
    }
    if (limit < 1)
        limit = 1;
    if (limit > 1000)
        limit = 1000;
    levy_store *st = get_store(L);
    levy_err err = {0};
    levy_stmt *s =
        prepare(L, st,
                "SELECT id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, "
                "updated_at, last_error FROM jobs WHERE (?1 IS NULL OR kind=?1) AND (?2 IS NULL OR "
                "state=?2) ORDER BY created_at DESC, rowid DESC LIMIT ?3",
                "levy.jobs.list");
    if (kind)
        levy_stmt_bind_text(s, 1, kind, -1);
    if (state)
        levy_stmt_bind_text(s, 2, state, -1);
    levy_stmt_bind_int64(s, 3, limit);
    lua_newtable(L);
    int rows = lua_gettop(L), src, n = 0;
    while ((src = levy_stmt_step(s, &err)) == LEVY_STMT_ROW) {
        lua_createtable(L, 0, 11);
        for (int i = 0; i < levy_stmt_column_count(s); i++) {
            int t = levy_stmt_column_type(s, i);
            if (t == LEVY_COL_NULL)
                continue;
            if (t == LEVY_COL_INT)
                lua_pushinteger(L, (lua_Integer)levy_stmt_column_int64(s, i));
            else
                lua_pushstring(L, levy_stmt_column_text(s, i));
            lua_setfield(L, -2, levy_stmt_column_name(s, i));
        }
        lua_rawseti(L, rows, ++n);
    }
    levy_store_release(st, s);
    if (src != LEVY_OK) {
        return raise_err(L, &err, "levy.jobs.list");
    }
    /* decode payloads (outside the statement) */
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, rows, i);
        if (lua_getfield(L, -1, "payload") == LUA_TSTRING) {
            json_call(L, "decode", -1);
            if (!lua_isnil(L, -1))
                lua_setfield(L, -3, "payload");
            else
                lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    lua_settop(L, rows);
    return 1;
}

/* count{kind= | kinds={...}, key=, states={"queued"|"due"|"running", ...}, except=id} ->
 * the number of jobs of those kinds (and key) in any of those states ("due": queued with its
 * time come; "queued": whatever its time), not counting the job `except` (a handler asking
 * whether another run of its own key is under way). The plugins' way to ask about the queue
 * without the core's `jobs` table (docs/plugins.md, "tables"). */
#define COUNT_KINDS 8
static int l_count(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.jobs.count", CTX);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    const char *kinds[COUNT_KINDS] = {0};
    int nk = 0;
    lua_getfield(L, 1, "kind");  /* 2 */
    lua_getfield(L, 1, "kinds"); /* 3 */
    if (lua_type(L, 2) == LUA_TSTRING)
        kinds[nk++] = lua_tostring(L, 2);
    else if (!lua_isnil(L, 2))
        luaL_error(L, "levy.jobs.count: kind must be a string");
    if (lua_istable(L, 3)) {
        for (lua_Integer i = 1; lua_rawgeti(L, 3, i) != LUA_TNIL; i++) {
            if (lua_type(L, -1) != LUA_TSTRING || nk == COUNT_KINDS)
                luaL_error(L, "levy.jobs.count: kinds must be at most %d strings", COUNT_KINDS);
            kinds[nk++] = lua_tostring(L, -1);
            lua_pop(L, 1); /* still referenced by the kinds table */
        }
        lua_pop(L, 1);
    } else if (!lua_isnil(L, 3)) {
        luaL_error(L, "levy.jobs.count: kinds must be an array of strings");
    }
    if (nk == 0)
        luaL_error(L, "levy.jobs.count: kind or kinds is required");
    lua_settop(L, 3);
    lua_getfield(L, 1, "key");    /* 4 */
    lua_getfield(L, 1, "except"); /* 5 */
    lua_getfield(L, 1, "states"); /* 6 */
    if (!lua_isnil(L, 4) && lua_type(L, 4) != LUA_TSTRING)
        luaL_error(L, "levy.jobs.count: key must be a string");
    if (!lua_isnil(L, 5) && lua_type(L, 5) != LUA_TSTRING)
        luaL_error(L, "levy.jobs.count: except must be a job id");
    if (!lua_istable(L, 6))
        luaL_error(
            L,
            "levy.jobs.count: states (an array of \"queued\", \"due\", \"running\") is required");
    int queued = 0, due = 0, running = 0;
    for (lua_Integer i = 1; lua_rawgeti(L, 6, i) != LUA_TNIL; i++) {
        const char *v = lua_tostring(L, -1);
        if (v && lua_type(L, -1) == LUA_TSTRING && strcmp(v, "queued") == 0)
            queued = 1;
        else if (v && lua_type(L, -1) == LUA_TSTRING && strcmp(v, "due") == 0)
            due = 1;
        else if (v && lua_type(L, -1) == LUA_TSTRING && strcmp(v, "running") == 0)
            running = 1;
        else
            luaL_error(L, "levy.jobs.count: unknown state '%s' (queued, due, running)",
                       luaL_tolstring(L, -1, NULL));
        lua_pop(L, 1);
    }
    levy_store *st = get_store(L);
    levy_err err = {0};
    levy_stmt *s = prepare(
        L, st,
        "SELECT count(*) FROM jobs WHERE kind IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "AND (?9 IS NULL OR key = ?9) AND (?10 IS NULL OR id <> ?10) "
        "AND ((?11 = 1 AND state = 'queued') OR (?12 = 1 AND state = 'queued' AND run_at <= ?14) "
        "OR (?13 = 1 AND state = 'running'))",
        "levy.jobs.count");
    for (int i = 0; i < nk; i++)
        levy_stmt_bind_text(s, i + 1, kinds[i], -1);
    if (lua_type(L, 4) == LUA_TSTRING)
        levy_stmt_bind_text(s, 9, lua_tostring(L, 4), -1);
    if (lua_type(L, 5) == LUA_TSTRING)
        levy_stmt_bind_text(s, 10, lua_tostring(L, 5), -1);
    levy_stmt_bind_int64(s, 11, queued);
    levy_stmt_bind_int64(s, 12, due);
    levy_stmt_bind_int64(s, 13, running);
    levy_stmt_bind_int64(s, 14, (int64_t)levy_clock_now_ms());
    int src = levy_stmt_step(s, &err);
    lua_Integer n = src == LEVY_STMT_ROW ? (lua_Integer)levy_stmt_column_int64(s, 0) : 0;
    levy_store_release(st, s);
    if (src != LEVY_STMT_ROW) {
        return raise_err(L, &err, "levy.jobs.count");
    }
    lua_pushinteger(L, n);
    return 1;
}

static const luaL_Reg jobs_funcs[] = {
    {"enqueue", l_enqueue}, {"retry", l_retry}, {"backoff_ms", l_backoff_ms}, {"dead", l_dead},
    {"stats", l_stats},     {"list", l_list},   {"count", l_count},           {NULL, NULL}};

int luaopen_levy_jobs(lua_State *L)
{
    luaL_newmetatable(L, LEVY_JOB_OUTCOME_MT);
    lua_pop(L, 1);
    luaL_newlibtable(L, jobs_funcs);
    luaopen_levy_json(L); /* upvalue: the json module (encode payloads, decode in list) */
    luaL_setfuncs(L, jobs_funcs, 1);
    return 1;
}
