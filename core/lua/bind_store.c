/* levy.store (docs/plugins.md §3) over core/store/store.h, on either engine (SQLite or
 * PostgreSQL: the store's levy_stmt API; no sqlite3 type here).
 * Context: request; load may run read-only statements (levy_stmt_readonly).
 * Values: integer ↔ INTEGER, string ↔ TEXT (BLOB columns come back as strings), nil /
 * json.null → NULL, boolean → 0/1; a float parameter raises. A REAL column (never written by
 * levy; PostgreSQL: a numeric that is not an integer) is returned as its decimal text so no
 * float reaches Lua. exec returns (changes, last insert rowid); the rowid is 0 on PostgreSQL
 * (use RETURNING).
 * Errors: a busy or unreachable store (LEVY_EBUSY: SQLite's BUSY/LOCKED, PostgreSQL's lock
 * timeouts, serialization failures and lost connections) and I/O-class errors raise the API
 * error 503 "unavailable" (Retry-After: 1); other SQL errors raise a plain error; try_exec
 * returns nil, msg, code ("constraint", "busy", "unavailable", "io", "sql"). */
#include <ctype.h>
#include <string.h>

#include "lctx.h"
#include "vm.h"
#include "store/store.h"

int luaopen_levy_store(lua_State *L);

#define STMT_MT "levy.Stmt"
#define ARRAY_MT_KEY "levy.json.array_mt"

typedef struct lstmt {
    levy_stmt *stmt; /* NULL when closed */
    levy_store *st;
} lstmt;

static levy_store *get_store(lua_State *L)
{
    levy_store *st = levy_lua_host(L, LEVY_HOST_STORE);
    if (!st)
        luaL_error(L, "levy.store: no store is open");
    return st;
}

static int ctx_kind(lua_State *L)
{
    levy_lctx *c = levy_lua_ctx(L);
    return c ? c->kind : LEVY_CTX_LOAD;
}

/* Raises for a failed store call (rc, err from it; never returns). */
static int raise_sql(lua_State *L, int rc, const levy_err *err, const char *what)
{
    if (rc == LEVY_EBUSY || rc == LEVY_EIO)
        return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
    return luaL_error(L, "%s: %s", what, err->message);
}

/* Checks the parameters first, so nothing is held when it raises. */
static void check_params(lua_State *L, int first, int last, const char *fname)
{
    for (int i = first; i <= last; i++) {
        int t = lua_type(L, i);
        if (t == LUA_TNUMBER)
            levy_lua_no_float(L, i, fname);
        else if (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, i) == NULL)
            continue;
        else if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TBOOLEAN && t != LUA_TNUMBER)
            luaL_error(L, "%s: parameter %d: cannot bind a %s", fname, i - first + 1,
                       luaL_typename(L, i));
    }
}

static int bind_params(lua_State *L, levy_stmt *s, int first, int last)
{
    int n = last - first + 1;
    if (n != levy_stmt_param_count(s))
        return 1; /* a count mismatch: the LEVY_E* codes are negative */
    for (int i = 0; i < n; i++) {
        int idx = first + i, src = LEVY_OK;
        switch (lua_type(L, idx)) {
        case LUA_TNUMBER:
            src = levy_stmt_bind_int64(s, i + 1, (int64_t)lua_tointeger(L, idx));
            break;
        case LUA_TBOOLEAN:
            src = levy_stmt_bind_int64(s, i + 1, lua_toboolean(L, idx));
            break;
        case LUA_TSTRING: {
            size_t len;
            const char *v = lua_tolstring(L, idx, &len);
            src = levy_stmt_bind_text(s, i + 1, v, (long)len);
            break;
        }
        default:
            src = levy_stmt_bind_null(s, i + 1);
            break;
        }
        if (src != LEVY_OK)
            return src;
    }
    return LEVY_OK;
}

static void push_row(lua_State *L, levy_stmt *s)
{
    int n = levy_stmt_column_count(s);
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        switch (levy_stmt_column_type(s, i)) {
        case LEVY_COL_INT:
            lua_pushinteger(L, (lua_Integer)levy_stmt_column_int64(s, i));
            break;
        case LEVY_COL_NULL:
            continue;
        default: { /* TEXT, BLOB, and REAL (SQLite) / numeric (PostgreSQL) as its text form */
            const char *t = levy_stmt_column_text(s, i);
            lua_pushlstring(L, t ? t : "", levy_stmt_column_bytes(s, i));
        }
        }
        lua_setfield(L, -2, levy_stmt_column_name(s, i));
    }
}

static void set_array_mt(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY) == LUA_TTABLE)
        lua_setmetatable(L, -2);
    else
        lua_pop(L, 1);
}

/* ---------------------------------------------------------------- table ownership */

/* A plugin reaches another plugin's data through its exports, never its tables
 * (docs/plugins.md §1, "tables"). The plugin is the one whose file called levy.store (its
 * chunk name, "@plugins/<name>/<file>.lua", mapped by the loader in levy.chunk_plugin; C
 * functions and chunks made with load are their caller's); the
 * tables are the ones SQLite's authorizer reports while preparing the statement
 * (levy_store_tables_of; on PostgreSQL the declared tables the SQL text names: pg_tables) (reads,
 * inserts, updates, deletes; not those a trigger touches). A statement's verdict is cached
 * per calling file and SQL text in the generation (levy.table_check), so the extra prepare
 * happens once per statement text. Code that is no plugin's (rules, specs' own files, the
 * host) is not checked. Installing the authorizer marks the connection's prepared statements
 * expired in SQLite's advisory way (a running one runs to completion; the others are
 * re-prepared at their next step): a cost of the first use of each statement text only. */
#define TABLE_CHECK_MAX 32
#define TABLE_CHECK_ENTRIES 4096

typedef struct table_set {
    int n;
    int overflow;
    char name[TABLE_CHECK_MAX][64];
} table_set;

static void collect_table(void *ud, const char *name)
{
    table_set *ts = ud;
    for (int i = 0; i < ts->n; i++)
        if (strcmp(ts->name[i], name) == 0)
            return;
    if (ts->n == TABLE_CHECK_MAX || strlen(name) >= sizeof ts->name[0]) {
        ts->overflow = 1;
        return;
    }
    strcpy(ts->name[ts->n++], name);
}

/* PostgreSQL has no authorizer: every identifier of the SQL text (outside literals and
 * comments; unquoted ones folded to lower case, as the server does) that names a declared
 * table is one the statement uses. A column named like another plugin's table would be
 * refused too: tables carry their plugin's prefix, so none is. */
static void pg_tables(lua_State *L, const char *sql, table_set *ts)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.table_owner") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    char id[64];
    for (const char *p = sql; *p;) {
        size_t n = 0;
        int quoted = 0;
        if (*p == '\'' || (*p == '-' && p[1] == '-') || (*p == '/' && p[1] == '*')) {
            const char *e = *p == '\'' ? "'" : *p == '-' ? "\n" : "*/";
            p = strstr(p + (*p == '\'' ? 1 : 2), e);
            if (!p)
                break;
            p += strlen(e);
            continue;
        }
        if (*p == '"') {
            quoted = 1;
            for (p++; *p && *p != '"'; p++)
                if (n + 1 < sizeof id)
                    id[n++] = *p;
            if (*p)
                p++;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            for (; isalnum((unsigned char)*p) || *p == '_' || *p == '$'; p++)
                if (n + 1 < sizeof id)
                    id[n++] = (char)tolower((unsigned char)*p);
        } else {
            p++;
            continue;
        }
        id[n] = 0;
        (void)quoted;
        if (lua_getfield(L, -1, id) == LUA_TSTRING) {
            int seen = 0;
            for (int i = 0; i < ts->n; i++)
                seen |= strcmp(ts->name[i], id) == 0;
            if (!seen && ts->n < TABLE_CHECK_MAX)
                strcpy(ts->name[ts->n++], id);
            else if (!seen)
                ts->overflow = 1;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* [-0, +1, m] Pushes the verdict for (plugin, sql): true, or the error message. */
static void table_verdict(lua_State *L, levy_store *st, const char *plugin, const char *sql)
{
    table_set ts = {0};
    int rc = levy_store_tables_of(st, sql, collect_table, &ts);
    if (rc == LEVY_EINVAL) { /* the real prepare reports the error; decide again next time */
        lua_pushnil(L);
        return;
    }
    if (rc != LEVY_OK) /* PostgreSQL: no authorizer */
        pg_tables(L, sql, &ts);
    if (ts.overflow) { /* no statement of levy's comes near: refuse what cannot be checked */
        lua_pushfstring(L,
                        "plugin '%s': a statement using more than %d tables (or a table name "
                        "of 64 bytes or more) cannot be checked for table ownership",
                        plugin, TABLE_CHECK_MAX);
        return;
    }
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.table_owner") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        return;
    }
    for (int i = 0; i < ts.n; i++) {
        if (lua_getfield(L, -1, ts.name[i]) != LUA_TSTRING) {
            lua_pop(L, 1);
            continue;
        }
        const char *owner = lua_tostring(L, -1);
        if (strcmp(owner, plugin) != 0) {
            if (strcmp(owner, "core") == 0)
                lua_pushfstring(L,
                                "plugin '%s' may not use table '%s' of the core (use the "
                                "levy.* module that owns it)",
                                plugin, ts.name[i]);
            else
                lua_pushfstring(L,
                                "plugin '%s' may not use table '%s' of plugin '%s' (use "
                                "plugin '%s''s exports)",
                                plugin, ts.name[i], owner, owner);
            lua_replace(L, -3); /* owners, owner, msg -> msg, owner */
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
}

/* [-0, +0, v] Raises when the plugin that called levy.store uses another's table in the SQL
 * text at stack index 1. The cache is keyed by the chunk's source text (its address: a file's
 * chunks live as long as the generation, and no other chunk is named "@...") and the SQL
 * string itself, so a cached verdict costs no string copy. */
static void check_tables(lua_State *L, levy_store *st, const char *fname)
{
    const char *sql = lua_tostring(L, 1);
    lua_Debug ar;
    /* the nearest function from a file: pcall(store.exec, ...) and a chunk made with load
     * (never named "@...", sandbox.lua) are the calls of the file that made them */
    for (int level = 1;; level++) {
        if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "S", &ar))
            return;
        if (ar.what[0] != 'C' && ar.source[0] == '@')
            break;
    }
    const char *file = ar.source + 1, *slash = strrchr(file, '/');
    if (!slash)
        return;
    int top = lua_gettop(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.table_check") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "levy.table_check");
    }
    lua_pushlightuserdata(L, (void *)ar.source);
    if (lua_rawget(L, -2) != LUA_TTABLE) { /* check, cache[source] */
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushlightuserdata(L, (void *)ar.source);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    lua_pushvalue(L, 1);
    int t = lua_rawget(L, -2);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        /* SQL built per call (IN lists) would grow the cache: start over past a bound */
        lua_rawgeti(L, -2, 1);
        lua_Integer n = lua_tointeger(L, -1) + 1;
        lua_pop(L, 1);
        lua_pushinteger(L, n);
        lua_rawseti(L, -3, 1);
        if (n > TABLE_CHECK_ENTRIES) {
            lua_pushnil(L);
            lua_setfield(L, LUA_REGISTRYINDEX, "levy.table_check");
        }
        if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.chunk_plugin") != LUA_TTABLE) {
            lua_settop(L, top);
            return;
        }
        lua_pushlstring(L, file, (size_t)(slash - file));
        const char *plugin = lua_rawget(L, -2) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (plugin)
            table_verdict(L, st, plugin, sql);
        else
            lua_pushboolean(L, 1);
        if (lua_isnil(L, -1)) {
            lua_settop(L, top);
            return;
        }
        lua_replace(L, -3); /* check, bysql, verdict, chunk_plugin -> verdict in place */
        lua_pop(L, 1);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
        t = lua_type(L, -1);
    }
    if (t == LUA_TSTRING) {
        const char *msg = lua_tostring(L, -1);
        luaL_error(L, "%s: %s", fname, msg);
    }
    lua_settop(L, top);
}

enum { MODE_EXEC, MODE_ROW, MODE_ROWS };

/* SQLite's own VM runs outside Lua's hook: a recursive CTE or a huge join would hold the loop
 * for as long as it likes. Every SQL_PROGRESS_OPS SQLite VM steps are charged to the calling
 * thread's budget as that many Lua instructions; once a limit trips, the handler interrupts
 * the statement (it cannot raise inside SQLite) and the caller raises the budget error. */
#define SQL_PROGRESS_OPS 1000
static int progress_cb(void *ud) { return levy_vm_account(ud, SQL_PROGRESS_OPS) != 0; }

static int budget_step(lua_State *L, levy_stmt *s, levy_err *err)
{
    return levy_stmt_step_progress(s, SQL_PROGRESS_OPS, progress_cb, L, err);
}

/* [-0, +0, v] After a statement was interrupted: raise the budget error when the budget
 * tripped (nothing else interrupts levy's statements). */
static void raise_if_budget(lua_State *L, int src, const levy_err *err)
{
    if (src != LEVY_OK && src != LEVY_STMT_ROW && strcmp(err->code, "interrupted") == 0)
        levy_vm_charge(L, 0);
}

/* Runs a prepared statement with params [first, last] and pushes the results for mode.
 * try: on failure push nil, msg, code and return 3 (else raise). The statement is reset
 * before anything can raise. */
static int run(lua_State *L, levy_store *st, levy_stmt *s, int first, int last, int mode, int try,
               int cached, const char *fname)
{
    levy_err err = {0};
    if (ctx_kind(L) != LEVY_CTX_REQUEST && !levy_stmt_readonly(s)) {
        levy_stmt_reset(s);
        if (cached)
            levy_store_release(st, s);
        return luaL_error(L, "%s: writes are not available in the '%s' context", fname,
                          levy_ctx_name(ctx_kind(L)));
    }
    int src = bind_params(L, s, first, last);
    if (src == 1) {
        int want = levy_stmt_param_count(s);
        levy_stmt_reset(s);
        if (cached)
            levy_store_release(st, s);
        return luaL_error(L, "%s: %d parameter(s) expected, %d given", fname, want,
                          last - first + 1);
    }
    if (src != LEVY_OK)
        levy_err_set(&err, src, "sql", "cannot bind a parameter");
    int nrows = 0;
    if (mode == MODE_ROWS) {
        lua_newtable(L);
        set_array_mt(L);
    }
    if (src == LEVY_OK) {
        while ((src = budget_step(L, s, &err)) == LEVY_STMT_ROW) {
            if (mode == MODE_ROW) {
                if (nrows++ == 0)
                    push_row(L, s);
                break;
            }
            if (mode == MODE_ROWS) {
                push_row(L, s);
                lua_rawseti(L, -2, ++nrows);
            }
        }
    }
    levy_stmt_reset(s);
    if (cached)
        levy_store_release(st, s);
    if (src != LEVY_OK && src != LEVY_STMT_ROW) {
        raise_if_budget(L, src, &err);
        if (try)
            return levy_lua_fail(L, err.code, err.message);
        return raise_sql(L, src, &err, fname);
    }
    if (mode == MODE_EXEC) {
        lua_pushinteger(L, (lua_Integer)levy_store_changes(st));
        lua_pushinteger(L, (lua_Integer)levy_store_last_insert_rowid(st));
        return 2;
    }
    if (mode == MODE_ROW && nrows == 0)
        lua_pushnil(L);
    return 1;
}

static int sql_call(lua_State *L, int mode, int try, const char *fname)
{
    levy_lua_check_ctx(L, fname,
                       mode == MODE_EXEC ? LEVY_CTX_REQUEST : LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    const char *sql = luaL_checkstring(L, 1);
    int top = lua_gettop(L);
    check_params(L, 2, top, fname);
    levy_store *st = get_store(L);
    check_tables(L, st, fname);
    levy_err err = {0};
    levy_stmt *s = levy_store_prepare_cached(st, sql, &err);
    if (!s) {
        if (try && (err.rc == LEVY_EBUSY || err.rc == LEVY_EIO))
            return levy_lua_fail(L, err.code, err.message);
        if (err.rc == LEVY_EBUSY || err.rc == LEVY_EIO)
            return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable",
                                      1);
        return luaL_error(L, "%s: %s", fname, err.message);
    }
    /* run() resets and releases the cached statement before anything can raise (only an
     * out-of-memory error while pushing rows could skip it: the slot then stays busy and the
     * cache prepares another statement for that SQL). */
    return run(L, st, s, 2, top, mode, try, 1, fname);
}

static int l_exec(lua_State *L) { return sql_call(L, MODE_EXEC, 0, "levy.store.exec"); }
static int l_try_exec(lua_State *L) { return sql_call(L, MODE_EXEC, 1, "levy.store.try_exec"); }
static int l_row(lua_State *L) { return sql_call(L, MODE_ROW, 0, "levy.store.row"); }
static int l_rows(lua_State *L) { return sql_call(L, MODE_ROWS, 0, "levy.store.rows"); }

/* ---------------------------------------------------------------- Stmt */

static lstmt *check_stmt(lua_State *L, int idx)
{
    lstmt *p = luaL_checkudata(L, idx, STMT_MT);
    if (!p->stmt)
        luaL_error(L, "levy.store: statement is closed");
    return p;
}

static int stmt_gc(lua_State *L)
{
    lstmt *p = luaL_checkudata(L, 1, STMT_MT);
    if (p->stmt) {
        levy_stmt_finalize(p->stmt);
        p->stmt = NULL;
    }
    return 0;
}

static lstmt *new_stmt(lua_State *L, const char *sql, const char *fname)
{
    levy_store *st = get_store(L);
    check_tables(L, st, fname);
    lstmt *p = lua_newuserdatauv(L, sizeof *p, 0); /* closed state first */
    p->stmt = NULL;
    p->st = st;
    luaL_setmetatable(L, STMT_MT);
    const char *tail = NULL;
    levy_err err = {0};
    int src = levy_store_prepare(st, sql, &p->stmt, &tail, &err);
    if (src != LEVY_OK)
        raise_sql(L, src, &err, fname);
    while (tail &&
           (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail)
        luaL_error(L, "%s: one statement per call", fname);
    return p;
}

static int l_prepare(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.prepare", LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    new_stmt(L, luaL_checkstring(L, 1), "levy.store.prepare");
    return 1;
}

static int stmt_call(lua_State *L, int mode, const char *fname)
{
    lstmt *p = check_stmt(L, 1);
    levy_lua_check_ctx(L, fname,
                       mode == MODE_EXEC ? LEVY_CTX_REQUEST : LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    int top = lua_gettop(L);
    check_params(L, 2, top, fname);
    return run(L, p->st, p->stmt, 2, top, mode, 0, 0, fname);
}

static int stmt_exec(lua_State *L) { return stmt_call(L, MODE_EXEC, "Stmt:exec"); }
static int stmt_row(lua_State *L) { return stmt_call(L, MODE_ROW, "Stmt:row"); }
static int stmt_rows(lua_State *L) { return stmt_call(L, MODE_ROWS, "Stmt:rows"); }

static int stmt_tostring(lua_State *L)
{
    lstmt *p = luaL_checkudata(L, 1, STMT_MT);
    lua_pushfstring(L, "levy.Stmt (%s)", p->stmt ? levy_stmt_sql(p->stmt) : "closed");
    return 1;
}

/* query iterator: upvalue 1 = the Stmt userdata */
static int query_next(lua_State *L)
{
    lstmt *p = luaL_checkudata(L, lua_upvalueindex(1), STMT_MT);
    if (!p->stmt)
        return 0;
    levy_err err = {0};
    int src = budget_step(L, p->stmt, &err);
    if (src == LEVY_STMT_ROW) {
        push_row(L, p->stmt);
        return 1;
    }
    levy_stmt_finalize(p->stmt);
    p->stmt = NULL;
    raise_if_budget(L, src, &err);
    if (src != LEVY_OK)
        return raise_sql(L, src, &err, "levy.store.query");
    return 0;
}

static int l_query(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.query", LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    const char *sql = luaL_checkstring(L, 1);
    int top = lua_gettop(L);
    check_params(L, 2, top, "levy.store.query");
    lstmt *p = new_stmt(L, sql, "levy.store.query");
    int ud = lua_gettop(L);
    if (ctx_kind(L) != LEVY_CTX_REQUEST && !levy_stmt_readonly(p->stmt))
        return luaL_error(L, "levy.store.query: writes are not available in the '%s' context",
                          levy_ctx_name(ctx_kind(L)));
    int src = bind_params(L, p->stmt, 2, top);
    if (src == 1)
        return luaL_error(L, "levy.store.query: %d parameter(s) expected, %d given",
                          levy_stmt_param_count(p->stmt), top - 1);
    if (src != LEVY_OK) {
        levy_err err = {0};
        levy_err_set(&err, src, "sql", "cannot bind a parameter");
        return raise_sql(L, src, &err, "levy.store.query");
    }
    lua_pushvalue(L, ud);
    lua_pushcclosure(L, query_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, ud); /* to-be-closed value of the generic for */
    return 4;
}

/* ---------------------------------------------------------------- transaction */

static int l_transaction(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.transaction", LEVY_CTX_REQUEST);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    levy_store *st = get_store(L);
    levy_err err = {0};
    int rc = levy_store_begin(st, &err);
    if (rc == LEVY_EBUSY || rc == LEVY_EIO)
        return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
    if (rc)
        return luaL_error(L, "levy.store.transaction: %s", err.message);
    int base = 1;
    int nargs = lua_gettop(L) - 1;
    if (lua_pcall(L, nargs, LUA_MULTRET, 0) != LUA_OK) {
        levy_store_rollback(st, NULL);
        return lua_error(L);
    }
    rc = levy_store_commit(st, &err);
    if (rc) {
        if (levy_store_depth(st) > 0)
            levy_store_rollback(st, NULL);
        if (rc == LEVY_EBUSY || rc == LEVY_EIO)
            return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable",
                                      1);
        return luaL_error(L, "levy.store.transaction: commit failed: %s", err.message);
    }
    return lua_gettop(L) - base + 1;
}

static const luaL_Reg store_funcs[] = {{"exec", l_exec},
                                       {"try_exec", l_try_exec},
                                       {"row", l_row},
                                       {"rows", l_rows},
                                       {"query", l_query},
                                       {"prepare", l_prepare},
                                       {"transaction", l_transaction},
                                       {NULL, NULL}};

static const luaL_Reg stmt_methods[] = {
    {"exec", stmt_exec}, {"row", stmt_row}, {"rows", stmt_rows}, {"close", stmt_gc}, {NULL, NULL}};

static const luaL_Reg stmt_meta[] = {{"__gc", stmt_gc},
                                     {"__close", stmt_gc},
                                     {"__tostring", stmt_tostring},
                                     {"__index", NULL},
                                     {NULL, NULL}};

int luaopen_levy_store(lua_State *L)
{
    if (luaL_newmetatable(L, STMT_MT)) {
        luaL_setfuncs(L, stmt_meta, 0);
        luaL_newlib(L, stmt_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_newlib(L, store_funcs);
    return 1;
}
