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

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "json_scan.h"
#include "lctx.h"
#include "modules.h"
#include "vm.h"
#include "store/jobs.h"
#include "store/store.h"
#include "store/writer.h"

int luaopen_levy_store(lua_State *L);

#define STMT_MT "levy.Stmt"
#define ARRAY_MT_KEY "levy.json.array_mt"

typedef struct lstmt {
    levy_stmt *stmt; /* NULL when closed */
    levy_store *st;
    /* the state's open statements (levy_lua_store_close_all), linked while stmt != NULL */
    struct lstmt *prev, *next, **head;
} lstmt;

static const char STMTS_KEY = 0; /* registry: a userdata holding the list's head (lstmt *) */

static lstmt **stmts_head(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &STMTS_KEY) != LUA_TUSERDATA) {
        lua_pop(L, 1);
        lstmt **h = lua_newuserdatauv(L, sizeof *h, 0);
        *h = NULL;
        lua_rawsetp(L, LUA_REGISTRYINDEX, &STMTS_KEY);
        return h;
    }
    lstmt **h = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return h;
}

static void stmt_link(lstmt **head, lstmt *p)
{
    p->head = head;
    p->prev = NULL;
    p->next = *p->head;
    if (p->next)
        p->next->prev = p;
    *p->head = p;
}

/* Finalizes p's statement (if open) and takes it off the state's list. */
static void stmt_close(lstmt *p)
{
    if (!p->stmt)
        return;
    if (p->prev)
        p->prev->next = p->next;
    else if (p->head)
        *p->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    levy_stmt_finalize(p->stmt);
    p->stmt = NULL;
}

void levy_lua_store_close_all(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &STMTS_KEY) == LUA_TUSERDATA) {
        lstmt **h = lua_touserdata(L, -1);
        while (*h)
            stmt_close(*h);
    }
    lua_pop(L, 1);
}

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
static void check_tables_at(lua_State *L, levy_store *st, int sql_idx, const char *fname)
{
    sql_idx = lua_absindex(L, sql_idx);
    const char *sql = lua_tostring(L, sql_idx);
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
    lua_pushvalue(L, sql_idx);
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
        lua_pushvalue(L, sql_idx);
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

static void check_tables(lua_State *L, levy_store *st, const char *fname)
{
    check_tables_at(L, st, 1, fname);
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

/* levy.store.data_version() -> other, own | nil: two integers that both stay the same while no
 * committed row of the store changed (levy_store_data_version: SQLite outside a transaction);
 * nil when the store cannot tell (PostgreSQL, inside a transaction): read the data instead.
 * Reads no table, so it needs no table-ownership check. */
static int l_data_version(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.data_version", LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    int64_t other = 0, own = 0;
    if (!levy_store_data_version(get_store(L), &other, &own)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)other);
    lua_pushinteger(L, (lua_Integer)own);
    return 2;
}

/* store.engine() -> "sqlite" | "postgres": for the few statements whose SQL differs (a
 * table lock, PostgreSQL's LOCK TABLE, where SQLite's BEGIN IMMEDIATE already serializes
 * every writer: plugins/rillet/recount.lua). */
static int l_engine(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.engine", LEVY_CTX_REQUEST | LEVY_CTX_LOAD);
    lua_pushstring(L,
                   levy_store_engine(get_store(L)) == LEVY_STORE_POSTGRES ? "postgres" : "sqlite");
    return 1;
}

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
    stmt_close(luaL_checkudata(L, 1, STMT_MT));
    return 0;
}

static lstmt *new_stmt(lua_State *L, const char *sql, const char *fname)
{
    levy_store *st = get_store(L);
    check_tables(L, st, fname);
    lstmt *p = lua_newuserdatauv(L, sizeof *p, 0); /* closed state first */
    p->stmt = NULL;
    p->st = st;
    p->prev = p->next = NULL;
    p->head = NULL;
    luaL_setmetatable(L, STMT_MT);
    lstmt **head = stmts_head(L); /* may raise (memory): before the statement exists */
    const char *tail = NULL;
    levy_err err = {0};
    int src = levy_store_prepare(st, sql, &p->stmt, &tail, &err);
    if (src != LEVY_OK)
        raise_sql(L, src, &err, fname);
    stmt_link(head, p);
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
    stmt_close(p);
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

static int transaction(lua_State *L, int replayable)
{
    levy_lua_check_ctx(L, replayable ? "levy.store.replayable" : "levy.store.transaction",
                       LEVY_CTX_REQUEST);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    levy_store *st = get_store(L);
    levy_err err = {0};
    int depth = levy_store_depth(st); /* the level this call opens is depth + 1 */
    int rc = replayable ? levy_store_begin_replayable(st, &err) : levy_store_begin(st, &err);
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
        if (levy_store_depth(st) > depth) /* (a failed commit ends its level already) */
            levy_store_rollback(st, NULL);
        if (rc == LEVY_EBUSY || rc == LEVY_EIO)
            return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable",
                                      1);
        return luaL_error(L, "levy.store.transaction: commit failed: %s", err.message);
    }
    return lua_gettop(L) - base + 1;
}

static int l_transaction(lua_State *L) { return transaction(L, 0); }

/* store.replayable(fn, ...): store.transaction for work whose effect is derived from rows
 * already durable and is derived again when lost (levy_store_begin_replayable): its COMMIT
 * does not wait for the disk (SQLite: synchronous=NORMAL for it; PostgreSQL: an asynchronous
 * commit), so the loop does not block in an fsync for it. */
static int l_replayable(lua_State *L) { return transaction(L, 1); }

/* ---------------------------------------------------------------- durable */

/* store.durable(steps) (docs/plugins.md §3): one write unit, committed by the writer thread
 * in a group with the units of other calls (core/store/writer.h); the calling coroutine is
 * parked until the group is durable. Steps:
 *   { "SQL", p1, p2, ..., stop_if_none = true?, defer = true? }  -- parameters as for
 *                                                 store.exec; defer: LEVY_WSTEP_DEFER
 *   { job = { kind = "...", key = "..."?, payload = "JSON text"?, delay_ms = n?,
 *             max_attempts = n? } }                -- levy.jobs.enqueue
 * Returns a table: [i] = {changes = n, rowid = n} (SQL) or {job_id = "job_…"} (job) for each
 * step that ran; .stopped = i when step i (stop_if_none) changed no row, which ends the unit
 * there (the steps before it commit). A failed unit changes nothing and raises: 503
 * "unavailable" + Retry-After: 1 for a busy store or an I/O-class error (the store's state
 * and log note it), else a plain error. Without a writer (levy test, levy check), inside an
 * open store.transaction, or where the caller cannot park, the unit runs at once on the
 * loop's connection with the same results. Everything is checked before anything is queued:
 * the table ownership of each statement, its parameters (prepared on the loop's connection),
 * the job fields. */
#define DURABLE_MAX_STEPS 64
#define UNIT_MT "levy.WriteUnit"

typedef struct unit_box {
    levy_wunit *u; /* owned until submitted */
} unit_box;

static int unit_gc(lua_State *L)
{
    unit_box *b = luaL_checkudata(L, 1, UNIT_MT);
    levy_wunit_free(b->u);
    b->u = NULL;
    return 0;
}

static int copy_param(lua_State *L, int idx, levy_wparam *p)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        p->type = LEVY_WPARAM_INT;
        p->i = (int64_t)lua_tointeger(L, idx);
        return LEVY_OK;
    case LUA_TBOOLEAN:
        p->type = LEVY_WPARAM_INT;
        p->i = lua_toboolean(L, idx);
        return LEVY_OK;
    case LUA_TSTRING: {
        size_t len;
        const char *v = lua_tolstring(L, idx, &len);
        return levy_wparam_text(p, v, len);
    }
    default:
        p->type = LEVY_WPARAM_NULL;
        return LEVY_OK;
    }
}

static char *dup_str(lua_State *L, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        luaL_error(L, "not enough memory");
    return d;
}

/* [-0, +0, v] Fills step i (1-based, table at t) of u. */
static void fill_step(lua_State *L, levy_store *st, levy_wunit *u, int i, int t)
{
    const char *F = "levy.store.durable";
    levy_wstep *s = &u->steps[i - 1];
    int top = lua_gettop(L);
    if (lua_getfield(L, t, "job") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        int j = lua_gettop(L);
        lua_getfield(L, j, "kind");
        lua_getfield(L, j, "key");
        lua_getfield(L, j, "payload");
        lua_getfield(L, j, "delay_ms");
        lua_getfield(L, j, "max_attempts");
        if (lua_type(L, j + 1) != LUA_TSTRING || lua_rawlen(L, j + 1) == 0 ||
            lua_rawlen(L, j + 1) >= LEVY_JOB_KIND_MAX)
            luaL_error(L, "%s: step %d: job.kind (a string of 1..%d bytes) is required", F, i,
                       LEVY_JOB_KIND_MAX - 1);
        if (!lua_isnil(L, j + 2) && lua_type(L, j + 2) != LUA_TSTRING)
            luaL_error(L, "%s: step %d: job.key must be a string", F, i);
        if (!lua_isnil(L, j + 3) && lua_type(L, j + 3) != LUA_TSTRING)
            luaL_error(L, "%s: step %d: job.payload must be JSON text (json.encode it)", F, i);
        levy_lua_no_float(L, j + 4, F);
        levy_lua_no_float(L, j + 5, F);
        lua_Integer delay = lua_isnil(L, j + 4) ? 0 : luaL_checkinteger(L, j + 4);
        lua_Integer maxa = lua_isnil(L, j + 5) ? 0 : luaL_checkinteger(L, j + 5);
        size_t plen = 0;
        const char *payload = lua_isnil(L, j + 3) ? "{}" : lua_tolstring(L, j + 3, &plen);
        levy_err err = {0};
        if (!lua_isnil(L, j + 3) &&
            levy_json_validate(payload, plen, LEVY_JSON_MAX_DEPTH, &err) != LEVY_OK)
            luaL_error(L, "%s: step %d: job.payload: %s", F, i, err.message);
        s->kind = LEVY_WSTEP_JOB;
        s->job_kind = dup_str(L, lua_tostring(L, j + 1));
        s->job_key = dup_str(L, lua_tostring(L, j + 2));
        s->job_payload = dup_str(L, payload);
        s->job_run_at = levy_clock_now_ms() + (delay > 0 ? (int64_t)delay : 0);
        s->job_max_attempts = maxa > 0 && maxa < 1000000 ? (int)maxa : 0;
        lua_settop(L, top);
        return;
    }
    lua_pop(L, 1);
    if (lua_rawgeti(L, t, 1) != LUA_TSTRING)
        luaL_error(L, "%s: step %d: a SQL string (or job = {...}) is required", F, i);
    int sqli = lua_gettop(L);
    check_tables_at(L, st, sqli, F);
    const char *sql = lua_tostring(L, sqli);
    levy_err err = {0};
    levy_stmt *stmt = levy_store_prepare_cached(st, sql, &err);
    if (!stmt) {
        if (err.rc == LEVY_EBUSY || err.rc == LEVY_EIO)
            levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
        luaL_error(L, "%s: step %d: %s", F, i, err.message);
    }
    int np = levy_stmt_param_count(stmt);
    levy_store_release(st, stmt);
    int given = (int)lua_rawlen(L, t) - 1;
    if (given > np)
        luaL_error(L, "%s: step %d: %d parameter(s) expected, %d given", F, i, np, given);
    lua_getfield(L, t, "stop_if_none");
    s->flags = lua_toboolean(L, -1) ? LEVY_WSTEP_STOP_IF_NONE : 0;
    lua_pop(L, 1);
    lua_getfield(L, t, "defer");
    if (lua_toboolean(L, -1)) {
        if (s->flags & LEVY_WSTEP_STOP_IF_NONE)
            luaL_error(L, "%s: step %d: defer and stop_if_none cannot go together", F, i);
        s->flags |= LEVY_WSTEP_DEFER;
    }
    lua_pop(L, 1);
    s->kind = LEVY_WSTEP_SQL;
    s->sql = dup_str(L, sql);
    if (np > 0 && !(s->params = calloc((size_t)np, sizeof *s->params)))
        luaL_error(L, "not enough memory");
    s->nparams = np;
    for (int k = 0; k < np; k++) {
        int v = lua_gettop(L) + 1;
        lua_rawgeti(L, t, k + 2);
        int ty = lua_type(L, v);
        if (ty == LUA_TNUMBER)
            levy_lua_no_float(L, v, F);
        else if (ty == LUA_TLIGHTUSERDATA && lua_touserdata(L, v) == NULL)
            ;
        else if (ty != LUA_TNIL && ty != LUA_TSTRING && ty != LUA_TBOOLEAN)
            luaL_error(L, "%s: step %d: parameter %d: cannot bind a %s", F, i, k + 1,
                       luaL_typename(L, v));
        if (copy_param(L, v, &s->params[k]) != LEVY_OK)
            luaL_error(L, "not enough memory");
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

/* [-0, +1, m] The result table of a completed unit. */
static void push_unit_result(lua_State *L, const levy_wunit *u)
{
    lua_createtable(L, u->nsteps, 1);
    for (int i = 0; i < u->nsteps; i++) {
        const levy_wstep *s = &u->steps[i];
        if (!s->ran)
            continue;
        lua_createtable(L, 0, 2);
        if (s->kind == LEVY_WSTEP_JOB) {
            lua_pushstring(L, s->job_id);
            lua_setfield(L, -2, "job_id");
        } else {
            lua_pushinteger(L, (lua_Integer)s->changes);
            lua_setfield(L, -2, "changes");
            lua_pushinteger(L, (lua_Integer)s->rowid);
            lua_setfield(L, -2, "rowid");
        }
        lua_rawseti(L, -2, i + 1);
    }
    if (u->stopped) {
        lua_pushinteger(L, u->stopped);
        lua_setfield(L, -2, "stopped");
    }
}

/* [-0, +2, m] (true, result) or (false, message) for u; a busy / I/O failure the writer
 * thread met (on_writer: on its own connection) is noted on the loop's store (its state,
 * /healthz, the log: a unit run on the loop's connection noted its own) and answered as 503
 * by durable_k. */
static int push_unit_outcome(lua_State *L, levy_store *st, const levy_wunit *u, int on_writer)
{
    if (u->rc == LEVY_OK) {
        lua_pushboolean(L, 1);
        push_unit_result(L, u);
        levy_store_note_ok(st); /* a commit: the store takes writes (healthz, the log) */
        if (u->jobs)
            levy_jobs_notify();
        return 2;
    }
    if (st && on_writer && u->state != LEVY_STORE_STATE_OK) {
        /* the state and its log line, with the writer's own message */
        char msg[300];
        snprintf(msg, sizeof msg, "writer thread: %s (SQLite code %d)", u->err.message, u->code);
        levy_store_note_failure(st, u->state, msg);
    }
    if (u->rc == LEVY_EBUSY || u->rc == LEVY_EIO)
        lua_pushinteger(L, 503);
    else
        lua_pushboolean(L, 0);
    lua_pushstring(L, u->err.message[0] ? u->err.message : "the write failed");
    return 2;
}

/* Continuation (and the synchronous path's tail): values (ok|503|false, result|message). */
static int durable_k(lua_State *L, int status, lua_KContext kctx)
{
    (void)status;
    (void)kctx;
    int top = lua_gettop(L);
    if (top < 2)
        return luaL_error(L, "levy.store.durable: the outcome of the write was lost");
    if (lua_toboolean(L, top - 1) && !lua_isinteger(L, top - 1))
        return 1; /* the result table */
    if (lua_isinteger(L, top - 1))
        return levy_lua_api_error(L, 503, "unavailable", "the store is temporarily unavailable", 1);
    return luaL_error(L, "levy.store.durable: %s", lua_tostring(L, top));
}

/* Runs on the loop (levy_writer_complete): the parked call resumes with the outcome. */
static void durable_done(levy_wunit *u)
{
    levy_lctx *ctx = u->ud;
    lua_State *co = ctx->co;
    levy_store *st = levy_lua_host(co, LEVY_HOST_STORE);
    int n = 2;
    if (!lua_checkstack(co, 4)) {
        n = 0; /* cannot happen (the stack was emptied before the yield) */
    } else {
        n = push_unit_outcome(co, st, u, 1);
    }
    levy_wunit_free(u);
    ctx->resume(ctx, n);
}

static int l_durable(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.store.durable", LEVY_CTX_REQUEST);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    levy_store *st = get_store(L);
    int n = (int)lua_rawlen(L, 1);
    luaL_argcheck(L, n >= 1 && n <= DURABLE_MAX_STEPS, 1, "1..64 steps");
    unit_box *b = lua_newuserdatauv(L, sizeof *b, 0); /* 2: owns the unit until submitted */
    b->u = NULL;
    luaL_setmetatable(L, UNIT_MT);
    if (!(b->u = levy_wunit_new(n)))
        return luaL_error(L, "not enough memory");
    for (int i = 1; i <= n; i++) {
        if (lua_rawgeti(L, 1, i) != LUA_TTABLE)
            return luaL_error(L, "levy.store.durable: step %d must be a table", i);
        fill_step(L, st, b->u, i, lua_gettop(L));
        lua_pop(L, 1);
    }
    levy_writer *w = levy_lua_host(L, LEVY_HOST_WRITER);
    levy_lctx *ctx = levy_lua_ctx(L);
    int park =
        w && ctx && ctx->resume && ctx->co == L && lua_isyieldable(L) && levy_store_depth(st) == 0;
    if (park) {
        levy_wunit *u = b->u;
        u->done = durable_done;
        u->ud = ctx;
        levy_err err = {0};
        if (levy_writer_submit(w, u, &err) == LEVY_OK) {
            b->u = NULL; /* the writer's now; durable_done frees it */
            lua_settop(L, 0);
            ctx->waiting = 1;
            return lua_yieldk(L, 0, 0, durable_k);
        }
        /* the writer is stopping: run it here (the loop still has its connection) */
    }
    levy_wunit *u = b->u;
    levy_wunit_run(st, u);
    lua_settop(L, 2);
    push_unit_outcome(L, st, u, 0);
    levy_wunit_free(u);
    b->u = NULL;
    return durable_k(L, LUA_OK, 0);
}

static const luaL_Reg store_funcs[] = {{"exec", l_exec},
                                       {"durable", l_durable},
                                       {"try_exec", l_try_exec},
                                       {"row", l_row},
                                       {"rows", l_rows},
                                       {"query", l_query},
                                       {"prepare", l_prepare},
                                       {"transaction", l_transaction},
                                       {"replayable", l_replayable},
                                       {"data_version", l_data_version},
                                       {"engine", l_engine},
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
    if (luaL_newmetatable(L, UNIT_MT)) {
        lua_pushcfunction(L, unit_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, STMT_MT)) {
        luaL_setfuncs(L, stmt_meta, 0);
        luaL_newlib(L, stmt_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_newlib(L, store_funcs);
    return 1;
}
