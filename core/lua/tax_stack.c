/* The Lua stack as levy_tax_in and levy_tax_out (tax_stack.h): table <-> struct glue for
 * levy.tax (core/lua/bind_tax.c). */
#include "tax_stack.h"

#include <string.h>

const char *const levy_tax_key_names[K_N] = {TAX_KEYS(KEY_NAME)};

/* ------------------------------------------------------------------ the Lua stack as reader */

#define LUA_IN_ROOM 16

/* Before a push: the stack checked once per LUA_IN_ROOM pushes, not at each. */
static inline void lin_room(levy_lua_in *li)
{
    if (--li->room <= 0) {
        luaL_checkstack(li->L, LUA_IN_ROOM + 2, "levy.tax: rule taxability nested too deep");
        li->room = LUA_IN_ROOM;
    }
}

static inline int lin_type(levy_tax_in *in)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    switch (lua_type(L, -1)) {
    case LUA_TNIL:
        return LEVY_IN_NIL;
    case LUA_TSTRING:
        return LEVY_IN_STRING;
    case LUA_TNUMBER:
        return LEVY_IN_NUMBER;
    case LUA_TTABLE:
        return LEVY_IN_TABLE;
    case LUA_TBOOLEAN:
        return LEVY_IN_BOOLEAN;
    case LUA_TFUNCTION:
        return LEVY_IN_FUNCTION;
    case LUA_TLIGHTUSERDATA: /* json.null */
        return lua_touserdata(L, -1) == NULL ? LEVY_IN_NULL : LEVY_IN_OTHER;
    default:
        return LEVY_IN_OTHER;
    }
}

static int lin_field(levy_tax_in *in, const char *name)
{
    levy_lua_in *li = (levy_lua_in *)in;
    lua_State *L = li->L;
    lin_room(li);
    int k = levy_tax_key_index(li->keys, name);
    if (k >= 0) { /* the pre-interned key: no string lookup */
        /* raw, then through the metatable only when the raw value is nil and there is one:
         * Lua's t[k] */
        lua_pushvalue(L, KEY_UPVALUE(k));
        if (lua_rawget(L, -2) == LUA_TNIL && !li->raw && lua_getmetatable(L, -2)) {
            lua_pop(L, 2);
            lua_pushvalue(L, KEY_UPVALUE(k));
            lua_gettable(L, -2);
        }
    } else if (li->raw) {
        lua_pushstring(L, name);
        lua_rawget(L, -2);
    } else {
        lua_getfield(L, -1, name);
    }
    return lin_type(in);
}

static int lin_item(levy_tax_in *in, long long i)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    lin_room((levy_lua_in *)in);
    lua_rawgeti(L, -1, (lua_Integer)i);
    return lin_type(in);
}

/* field_text: a name that is not a literal, looked up as a string */
static int lin_field_text(levy_tax_in *in, const char *name)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    lin_room((levy_lua_in *)in);
    lua_getfield(L, -1, name);
    return lin_type(in);
}

static long long lin_len(levy_tax_in *in, int raw)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    return raw ? (long long)lua_rawlen(L, -1) : (long long)luaL_len(L, -1);
}

static const char *lin_text(levy_tax_in *in, size_t *len)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    int t = lua_type(L, -1);
    return t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tolstring(L, -1, len) : NULL;
}

static void lin_pop(levy_tax_in *in) { lua_pop(((levy_lua_in *)in)->L, 1); }

static int lin_truth(levy_tax_in *in) { return lua_toboolean(((levy_lua_in *)in)->L, -1); }

/* each: the string-keyed members of the table on top (lua_next; a rule's taxability). */
static int lin_each(levy_tax_in *in,
                    int (*fn)(levy_tax_in *in, const char *key, size_t len, void *arg), void *arg)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    luaL_checkstack(L, 4, "levy.tax: a rule's taxability");
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING && !lua_isnil(L, -1)) {
            size_t n;
            const char *key = lua_tolstring(L, -2, &n);
            int rc = fn(in, key, n, arg);
            if (rc) {
                lua_pop(L, 2);
                return rc;
            }
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int lin_integer(levy_tax_in *in, long long *v)
{
    lua_State *L = ((levy_lua_in *)in)->L;
    if (!lua_isinteger(L, -1))
        return 0;
    *v = (long long)lua_tointeger(L, -1);
    return 1;
}

LEVY_LJMP void levy_lua_raise(void *ud, const char *msg) { luaL_error(ud, "%s", msg); }

void levy_lua_in_init(levy_lua_in *li, lua_State *L)
{
    li->in = (levy_tax_in){lin_type, lin_field, lin_item,    lin_len,        lin_text,
                           lin_pop,  lin_truth, lin_integer, lin_field_text, lin_each};
    li->L = L;
    li->keys = levy_lua_tax_keys(L);
    li->room = 0; /* the first push checks the stack */
    li->raw = 0;
}

/* ------------------------------------------------------------------ Lua tables from C writers */

/* The reader of the C writers (calc.h levy_tax_out) that builds Lua tables: the answer
 * (levy_tax_result_write: the table and the JSON text are shaped by one writer; its arrays
 * carry levy.json's array metatable, they encode as [] when empty) and ctx
 * (levy_tax_ctx_write, plain tables). */
/* The value on top goes into its container: after the key in an object, next in an array. */
static void lua_out_put(levy_lua_out *lo)
{
    if (lo->depth == 0)
        return; /* the result itself stays on the stack */
    if (lo->array[lo->depth - 1])
        lua_rawseti(lo->L, -2, ++lo->count[lo->depth - 1]);
    else
        lua_rawset(lo->L, -3);
}

static LEVY_LJMP void lua_out_open(levy_tax_out *o, int array, int n)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    if (lo->depth == LUA_OUT_DEPTH)
        luaL_error(lo->L, "levy.tax: result nested too deep");
    lua_createtable(lo->L, array ? n : 0, array ? 0 : n);
    if (array && lo->mt && lua_istable(lo->L, lo->mt)) {
        lua_pushvalue(lo->L, lo->mt);
        lua_setmetatable(lo->L, -2);
    }
    lo->array[lo->depth] = (unsigned char)array;
    lo->count[lo->depth] = 0;
    lo->depth++;
}

static void lua_out_close(levy_tax_out *o, int array)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    (void)array;
    lo->depth--;
    lua_out_put(lo);
}

/* Keys are the writer's string literals (calc.h): found by address in the module's cache,
 * pushed as the pre-interned upvalue; a key not in key_names is pushed as a string. */
static void lua_out_key(levy_tax_out *o, const char *k, int first)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    if (first & LEVY_TAX_KEY_TEXT) { /* not a literal: not kept by its address */
        lua_pushstring(lo->L, k);
        return;
    }
    int kk = levy_tax_key_index(lo->keys, k);
    if (kk >= 0)
        lua_pushvalue(lo->L, KEY_UPVALUE(kk));
    else
        lua_pushstring(lo->L, k);
}

static int lua_out_str(levy_tax_out *o, const char *s, size_t n)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    if (n == LEVY_TAX_CSTR)
        lua_pushstring(lo->L, s); /* found by address in Lua's C-string cache */
    else
        lua_pushlstring(lo->L, s, n);
    lua_out_put(lo);
    return 0;
}

static void lua_out_num(levy_tax_out *o, long long v)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    lua_pushinteger(lo->L, (lua_Integer)v);
    lua_out_put(lo);
}

static void lua_out_bool(levy_tax_out *o, int v)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    lua_pushboolean(lo->L, v);
    lua_out_put(lo);
}

static void lua_out_null(levy_tax_out *o)
{
    levy_lua_out *lo = (levy_lua_out *)o;
    lua_pushlightuserdata(lo->L, NULL); /* json.null */
    lua_out_put(lo);
}

/* A reader that leaves what it is written as one Lua value on top of the stack; mt: the stack
 * index of the arrays' metatable, 0 for none. Called inside a levy.tax function (the key
 * upvalues); it raises when out of memory. */
void levy_lua_out_init(levy_lua_out *lo, lua_State *L, int mt)
{
    memset(lo, 0, sizeof *lo);
    lo->o = (levy_tax_out){lua_out_open, lua_out_close, lua_out_key,  lua_out_str,
                           lua_out_num,  lua_out_bool,  lua_out_null, NULL,
                           NULL,         NULL,          NULL};
    lo->L = L;
    lo->keys = levy_lua_tax_keys(L);
    lo->mt = mt;
    luaL_checkstack(L, 2 * LUA_OUT_DEPTH + 4, "levy.tax: a result");
}

/* levy_lua_out_init with levy.json's array metatable for the arrays (pushed below the value). */
void levy_lua_out_begin(levy_lua_out *lo, lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt");
    levy_lua_out_init(lo, L, lua_gettop(L));
}

/* After levy_lua_out_begin and a writer: leaves the value written on top; returns 1. */
int levy_lua_out_end(lua_State *L)
{
    lua_remove(L, -2);
    return 1;
}
