/* levy.json: a complete JSON codec in C (docs/plugins.md §3). Non-integer numbers travel as
 * "JSON number literals" (strings "\0<literal>"), integers as Lua integers, null as json.null
 * (= cjson.null, a NULL light userdata), arrays carry json.array_mt. Encoding sorts object
 * keys bytewise so equal tables give equal text (fingerprints). */
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "lctx.h"
#include "json_doc.h"

#define ARRAY_MT_KEY "levy.json.array_mt"
#define EMPTY_KEY "levy.json.empty_array"
#define SCRATCH_MT "levy.json.Scratch"

int luaopen_levy_json(lua_State *L);

/* A levy_buf owned by a userdata so a Lua error never leaks it. */
static int scratch_gc(lua_State *L)
{
    levy_buf *b = luaL_checkudata(L, 1, SCRATCH_MT);
    levy_buf_free(b);
    return 0;
}

static levy_buf *push_scratch(lua_State *L)
{
    levy_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    if (luaL_newmetatable(L, SCRATCH_MT)) {
        lua_pushcfunction(L, scratch_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return b;
}

/* ---------------------------------------------------------------- decode */

/* One grammar (issue 18): the text is parsed by levy_json_doc_parse (core/base/json_doc.c, the
 * parse of levy.tax.parse: its values, refusals, messages and offsets) and its nodes are walked
 * into Lua values. A table is created at its final size (the parse knows every table's member
 * count), so no table is rehashed while it fills. */
#define DOC_MT "levy.json.Doc"

/* A parsed doc owned by a userdata, so a Lua error in the walk (out of memory) never leaks it.
 * Each Lua state keeps one in its registry for the next decode (a body's doc is one block of
 * ~5x its text: allocating and freeing it per call cost ~6k instructions of a 1.6 KB invoice's
 * ~100k, malloc consolidating the fast bins Lua's small frees fill). A decode takes it out of
 * the registry and puts it back when done, so a decode reentered from a finalizer the walk ran
 * makes its own, and one a Lua error ended leaves nothing stale; a doc that grew beyond
 * DOC_KEEP bytes is freed before it goes back. */
#define DOC_KEEP (64 * 1024)
static const char DOC_KEY = 0; /* the registry's kept doc: &DOC_KEY */

static int doc_gc(lua_State *L)
{
    levy_json_doc_free(luaL_checkudata(L, 1, DOC_MT));
    return 0;
}

/* [-0, +1] The state's kept doc, taken out of the registry, or a new one. */
static levy_json_doc *take_doc(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &DOC_KEY) == LUA_TUSERDATA) {
        lua_pushnil(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &DOC_KEY);
        return lua_touserdata(L, -1);
    }
    lua_pop(L, 1);
    levy_json_doc *doc = lua_newuserdatauv(L, sizeof *doc, 0);
    memset(doc, 0, sizeof *doc);
    if (luaL_newmetatable(L, DOC_MT)) {
        lua_pushcfunction(L, doc_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return doc;
}

/* Puts the doc at stack index idx back into the registry (emptied when it grew too big). */
static void put_doc(lua_State *L, levy_json_doc *doc, int idx)
{
    if (doc->capnodes * sizeof *doc->nodes + doc->capkids * sizeof *doc->kids + doc->capstrs >
        DOC_KEEP)
        levy_json_doc_free(doc);
    lua_pushvalue(L, idx);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &DOC_KEY);
}

static void push_node(lua_State *L, const levy_json_doc *doc, uint32_t k, int array_mt)
{
    const levy_json_node *n = &doc->nodes[k];
    switch (n->type) {
    case LEVY_JSON_STRING:
        lua_pushlstring(L, doc->strs + n->at, n->n);
        return;
    case LEVY_JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)n->ival);
        return;
    case LEVY_JSON_BOOLEAN:
        lua_pushboolean(L, n->array);
        return;
    case LEVY_JSON_NULL:
        lua_pushlightuserdata(L, NULL);
        return;
    default: /* LEVY_JSON_TABLE; nested at most LEVY_JSON_MAX_DEPTH deep (the parse refuses more) */
        luaL_checkstack(L, 4, "json.decode");
        break;
    }
    const uint32_t *kids = doc->kids + n->at;
    if (n->array) {
        lua_createtable(L, (int)n->n, 0);
        lua_pushvalue(L, array_mt);
        lua_setmetatable(L, -2);
        for (uint32_t i = 0; i < n->n; i++) {
            push_node(L, doc, kids[i], array_mt);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else {
        lua_createtable(L, 0, (int)n->n);
        for (uint32_t i = 0; i < n->n; i++) {
            const levy_json_node *m = &doc->nodes[kids[i]];
            lua_pushlstring(L, doc->strs + m->key, m->klen);
            push_node(L, doc, kids[i], array_mt);
            lua_rawset(L, -3);
        }
    }
}

/* opts.duplicate_keys at index 2 of json.decode / json.peek: "error" (default) | "last";
 * 1 for "last", else 0; raises the caller's error for any other value. Leaves the stack as
 * it found it. */
static int dup_keys_opt(lua_State *L, const char *fn)
{
    int dup_last = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "duplicate_keys");
        const char *dk = lua_tostring(L, -1);
        if (dk && strcmp(dk, "last") == 0)
            dup_last = 1;
        else if (!lua_isnil(L, -1) && !(dk && strcmp(dk, "error") == 0))
            return luaL_error(L, "%s: duplicate_keys must be \"error\" or \"last\"", fn);
        lua_pop(L, 1);
    }
    return dup_last;
}

/* json.decode(text[, opts]); opts.duplicate_keys = "error" (default) | "last". */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int dup_last = dup_keys_opt(L, "json.decode");
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY); /* 2 */
    levy_json_doc *doc = take_doc(L);                 /* 3 */
    char msg[320];
    if (levy_json_doc_parse_keys(doc, s, len, dup_last, msg, sizeof msg) != 0) {
        put_doc(L, doc, 3);
        lua_settop(L, 0);
        return levy_lua_fail(L, "invalid_json", msg);
    }
    push_node(L, doc, 0, 2);
    put_doc(L, doc, 3);
    return 1;
}

/* json.peek(text, opts, key1, ..., keyN) (issue 21): the same parse as json.decode (same
 * grammar, same errors, same opts.duplicate_keys; a repeated key's last value wins as in
 * decode's walk), but only the named members of a top-level object become Lua values, so a
 * caller that classifies a body by a few fields pays the parse and not the walk of the whole
 * document into tables (an invoice webhook: ~25 k instructions instead of ~88 k). Returns
 * nil, msg, code for invalid JSON (as decode); false when the text is valid but not an
 * object; else true followed by one value per key: nil when absent, the value as decode
 * gives it for a string, number, boolean or null, and json.nested (a light userdata) for an
 * object or an array, which are not decoded. At most 16 keys. */
static char nested_tag;
static int l_peek(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int dup_last = dup_keys_opt(L, "json.peek");
    int nk = lua_gettop(L) - 2;
    if (nk < 0)
        nk = 0;
    if (nk > 16)
        return luaL_error(L, "json.peek: at most 16 keys");
    const char *keys[16];
    size_t klens[16];
    for (int i = 0; i < nk; i++)
        keys[i] = luaL_checklstring(L, 3 + i, &klens[i]);
    levy_json_doc *doc = take_doc(L);
    int di = lua_gettop(L);
    char msg[320];
    if (levy_json_doc_parse_keys(doc, s, len, dup_last, msg, sizeof msg) != 0) {
        put_doc(L, doc, di);
        lua_settop(L, 0);
        return levy_lua_fail(L, "invalid_json", msg);
    }
    const levy_json_node *top = &doc->nodes[0];
    if (top->type != LEVY_JSON_TABLE || top->array) {
        put_doc(L, doc, di);
        lua_pushboolean(L, 0);
        return 1;
    }
    luaL_checkstack(L, nk + 4, "json.peek");
    lua_pushboolean(L, 1);
    const uint32_t *kids = doc->kids + top->at;
    for (int i = 0; i < nk; i++) {
        int64_t found = -1;
        if ((uint64_t)top->ival & levy_json_key_bit(keys[i], klens[i]))
            for (uint32_t j = 0; j < top->n; j++) {
                const levy_json_node *m = &doc->nodes[kids[j]];
                if (m->klen == klens[i] && memcmp(doc->strs + m->key, keys[i], klens[i]) == 0)
                    found = kids[j]; /* the last one wins, as in decode's walk */
            }
        if (found < 0)
            lua_pushnil(L);
        else if (doc->nodes[found].type == LEVY_JSON_TABLE)
            lua_pushlightuserdata(L, &nested_tag);
        else
            push_node(L, doc, (uint32_t)found, 0); /* a scalar: array_mt unused */
    }
    put_doc(L, doc, di);
    lua_remove(L, di); /* the doc's slot, below the results */
    return nk + 1;
}

/* ---------------------------------------------------------------- encode */

typedef struct enc {
    lua_State *L;
    levy_buf *b;
    int array_mt, empty; /* stack indexes */
    int canonical;       /* number literals as plain decimals (json.encode's opts.canonical) */
    const void *path[LEVY_JSON_MAX_DEPTH + 1]; /* tables on the current path (cycles) */
} enc;

typedef struct keyref {
    const char *s;
    size_t len;
    int is_int;
    lua_Integer n;
} keyref;

static int cmp_key(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

static void enc_value(enc *e, int idx, int depth);
static int plain_decimal(const char *s, size_t len, levy_buf *out);

static int is_literal(const char *s, size_t len)
{
    return len >= 1 && s[0] == '\0' && levy_json_number_valid(s + 1, len - 1);
}

static void enc_string(enc *e, int idx)
{
    size_t len;
    const char *s = lua_tolstring(e->L, idx, &len);
    if (len && s[0] == '\0') {
        if (!is_literal(s, len))
            luaL_error(e->L, "json.encode: invalid JSON number literal");
        if (!e->canonical || !plain_decimal(s + 1, len - 1, e->b))
            levy_buf_put(e->b, s + 1, len - 1);
        return;
    }
    levy_json_escape(e->b, s, len);
}

static void enc_table(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    if (depth >= LEVY_JSON_MAX_DEPTH)
        luaL_error(L, "json.encode: nesting deeper than %d", LEVY_JSON_MAX_DEPTH);
    luaL_checkstack(L, 6, "json.encode");
    if (lua_rawequal(L, idx, e->empty)) {
        levy_buf_puts(e->b, "[]");
        return;
    }
    const void *self = lua_topointer(L, idx);
    for (int i = 0; i < depth; i++)
        if (e->path[i] == self)
            luaL_error(L, "json.encode: cycle in table");
    e->path[depth] = self;

    int is_array = 0;
    lua_Integer n = 0;
    if (lua_getmetatable(L, idx)) {
        is_array = lua_rawequal(L, -1, e->array_mt);
        lua_pop(L, 1);
    }
    /* Count keys; decide sequence vs object. */
    size_t nkeys = 0;
    lua_Integer maxk = 0;
    int all_pos_int = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        nkeys++;
        if (lua_type(L, -1) == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k > maxk)
                maxk = k;
        } else {
            all_pos_int = 0;
        }
    }
    if (is_array) {
        if (!all_pos_int)
            luaL_error(L, "json.encode: array (json.array_mt) with non-integer keys");
        n = maxk;
    } else if (nkeys > 0 && all_pos_int && (lua_Integer)nkeys == maxk) {
        is_array = 1;
        n = maxk;
    }
    if (is_array) {
        levy_buf_putc(e->b, '[');
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                levy_buf_putc(e->b, ',');
            lua_rawgeti(L, idx, i);
            enc_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        levy_buf_putc(e->b, ']');
    } else {
        keyref small[32];
        int top0 = lua_gettop(L);
        keyref *keys =
            nkeys <= LEVY_ARRAY_LEN(small) ? small : lua_newuserdatauv(L, nkeys * sizeof *keys, 0);
        size_t k = 0;
        /* integer keys are written as their decimal string; those strings are kept alive in
         * a side table created on first need */
        int anchor = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            int t = lua_type(L, -1);
            if (k >= nkeys)
                luaL_error(L, "json.encode: table modified during encoding");
            if (t == LUA_TSTRING) {
                keys[k].s = lua_tolstring(L, -1, &keys[k].len);
                if (keys[k].len && keys[k].s[0] == '\0')
                    luaL_error(L, "json.encode: object key starts with NUL");
                keys[k].is_int = 0;
            } else if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
                if (!anchor) {
                    lua_newtable(L);
                    lua_insert(L, -2);
                    anchor = lua_gettop(L) - 1;
                }
                keys[k].n = lua_tointeger(L, -1);
                lua_pushfstring(L, "%I", (LUAI_UACINT)keys[k].n);
                keys[k].s = lua_tolstring(L, -1, &keys[k].len);
                lua_rawseti(L, anchor, (lua_Integer)k + 1);
                keys[k].is_int = 1;
            } else {
                luaL_error(L, "json.encode: table key of type %s", luaL_typename(L, -1));
            }
            k++;
        }
        qsort(keys, k, sizeof *keys, cmp_key);
        /* 1 and "1" are both written "1": never emit a duplicate key */
        for (size_t i = 1; i < k; i++)
            if (cmp_key(&keys[i - 1], &keys[i]) == 0)
                luaL_error(L, "json.encode: two keys write as \"%s\" (an integer and a string)",
                           keys[i].s);
        levy_buf_putc(e->b, '{');
        for (size_t i = 0; i < k; i++) {
            if (i)
                levy_buf_putc(e->b, ',');
            levy_json_escape(e->b, keys[i].s, keys[i].len);
            levy_buf_putc(e->b, ':');
            if (keys[i].is_int)
                lua_pushinteger(L, keys[i].n);
            else
                lua_pushlstring(L, keys[i].s, keys[i].len);
            lua_rawget(L, idx);
            enc_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
        levy_buf_putc(e->b, '}');
        lua_settop(L, top0);
    }
}

static void enc_value(enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    char num[32];
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        levy_buf_puts(e->b, "null");
        break;
    case LUA_TBOOLEAN:
        levy_buf_puts(e->b, lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TNUMBER:
        if (!lua_isinteger(L, idx))
            luaL_error(L, "json.encode: floats are not accepted (use an integer, a decimal "
                          "string or json.number)");
        snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
        levy_buf_puts(e->b, num);
        break;
    case LUA_TSTRING:
        enc_string(e, idx);
        break;
    case LUA_TTABLE:
        enc_table(e, idx, depth);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            levy_buf_puts(e->b, "null");
            break;
        }
        /* fallthrough */
    default:
        luaL_error(L, "json.encode: cannot encode a %s", luaL_typename(L, idx));
    }
    if (e->b->oom)
        luaL_error(L, "json.encode: out of memory");
}

/* json.encode(v[, opts]): object keys are always sorted bytewise and nothing is spaced, so one
 * value has one text; opts.canonical = true also writes every number literal as a plain
 * decimal (json.decimal's spelling: "1e3" → 1000), so equal numbers hash equal (fingerprints,
 * idempotency keys, the simulator's stored bodies). */
static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    int canonical = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "canonical");
        canonical = lua_toboolean(L, -1);
    }
    lua_settop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY); /* 2 */
    lua_getfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);    /* 3 */
    enc e = {.L = L, .array_mt = 2, .empty = 3, .canonical = canonical};
    e.b = push_scratch(L); /* 4 */
    enc_value(&e, 1, 0);
    lua_pushlstring(L, e.b->data ? e.b->data : "", e.b->len);
    levy_buf_free(e.b);
    return 1;
}

/* ---------------------------------------------------------------- helpers */

/* json.canonical(v) = json.encode(v, {canonical = true}). */
static int l_canonical(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "canonical");
    return l_encode(L);
}

static int l_number(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TNUMBER) {
        levy_lua_no_float(L, 1, "json.number");
        lua_settop(L, 1);
        return 1;
    }
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (!levy_json_number_valid(s, len))
        return luaL_error(L, "json.number: '%s' is not a JSON number literal", s);
    lua_pushlstring(L, "", 1); /* one NUL byte */
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    return 1;
}

static int l_is_number(lua_State *L)
{
    int t = lua_type(L, 1);
    if (t == LUA_TNUMBER) {
        lua_pushboolean(L, lua_isinteger(L, 1));
        return 1;
    }
    size_t len;
    const char *s = t == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    lua_pushboolean(L, s && is_literal(s, len));
    return 1;
}

/* Writes the number literal s[0..len) (without its "\0", valid JSON number grammar) as a plain
 * decimal (exponent expanded, redundant leading zeros of the integer part dropped: "1.5e2" →
 * "150", "0.5e1" → "5"). Returns 0 without writing when the exponent is absurd (|exp| > 400)
 * or the mantissa has more than 512 digits. The one place json.decimal and the canonical
 * encoding (json.encode(v, {canonical = true})) spell a number. */
static int plain_decimal(const char *s, size_t len, levy_buf *out)
{
    const char *epos = memchr(s, 'e', len);
    if (!epos)
        epos = memchr(s, 'E', len);
    if (!epos) {
        levy_buf_put(out, s, len);
        return 1;
    }
    long ex = strtol(epos + 1, NULL, 10);
    if (ex > 400 || ex < -400)
        return 0;
    /* digits of the mantissa without the point, and the position of the point */
    int neg = s[0] == '-';
    const char *m = s + neg;
    char digs[600];
    size_t nd = 0;
    long point = -1;
    for (const char *c = m; c < epos; c++) {
        if (*c == '.')
            point = (long)nd;
        else if (nd < 512)
            digs[nd++] = *c;
        else
            return 0;
    }
    if (point < 0)
        point = (long)nd;
    point += ex;
    size_t at = out->len; /* where this number starts in out */
    if (neg)
        levy_buf_putc(out, '-');
    if (point <= 0) {
        levy_buf_puts(out, "0.");
        for (long i = 0; i < -point; i++)
            levy_buf_putc(out, '0');
        levy_buf_put(out, digs, nd);
    } else if ((size_t)point >= nd) {
        levy_buf_put(out, digs, nd);
        for (long i = (long)nd; i < point; i++)
            levy_buf_putc(out, '0');
    } else {
        levy_buf_put(out, digs, (size_t)point);
        levy_buf_putc(out, '.');
        levy_buf_put(out, digs + point, nd - (size_t)point);
    }
    if (out->oom)
        return 1;
    /* strip redundant leading zeros of the integer part ("00.5" → "0.5", "0100" → "100") */
    char *q = out->data + at + neg;
    size_t qlen = out->len - at - (size_t)neg, skip = 0;
    while (skip + 1 < qlen && q[skip] == '0' && q[skip + 1] != '.')
        skip++;
    if (skip) {
        memmove(q, q + skip, qlen - skip);
        out->len -= skip;
    }
    return 1;
}

/* The literal as a plain decimal string (exponent expanded), or nil when not a number or
 * when the exponent is absurd (|exp| > 400). */
static int l_decimal(lua_State *L)
{
    int t = lua_type(L, 1);
    if (t == LUA_TNUMBER) {
        if (!lua_isinteger(L, 1))
            return luaL_error(L, "json.decimal: floats are not accepted");
        lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, 1));
        return 1;
    }
    size_t len;
    const char *s = t == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    if (!s || !is_literal(s, len)) {
        luaL_pushfail(L);
        return 1;
    }
    levy_buf *b = push_scratch(L);
    if (!plain_decimal(s + 1, len - 1, b) || b->oom) {
        levy_buf_free(b);
        luaL_pushfail(L);
        return 1;
    }
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    levy_buf_free(b);
    return 1;
}

static int l_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
    lua_setmetatable(L, 1);
    return 1;
}

static int empty_newindex(lua_State *L) { return luaL_error(L, "json.empty_array is read-only"); }

static const luaL_Reg json_funcs[] = {
    {"decode", l_decode}, {"encode", l_encode},       {"canonical", l_canonical},
    {"number", l_number}, {"is_number", l_is_number}, {"decimal", l_decimal},
    {"array", l_array},   {"peek", l_peek},           {NULL, NULL}};

int luaopen_levy_json(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "levy.json.array");
        lua_setfield(L, -2, "__name");
        lua_setfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
        lua_newtable(L); /* empty_array: read-only empty table */
        lua_createtable(L, 0, 3);
        lua_pushcfunction(L, empty_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushliteral(L, "levy.json.empty_array");
        lua_setfield(L, -2, "__name");
        lua_pushliteral(L, "locked");
        lua_setfield(L, -2, "__metatable");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);
    } else {
        lua_pop(L, 1);
    }
    luaL_newlib(L, json_funcs);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushlightuserdata(L, &nested_tag);
    lua_setfield(L, -2, "nested");
    lua_getfield(L, LUA_REGISTRYINDEX, ARRAY_MT_KEY);
    lua_setfield(L, -2, "array_mt");
    lua_getfield(L, LUA_REGISTRYINDEX, EMPTY_KEY);
    lua_setfield(L, -2, "empty_array");
    return 1;
}
