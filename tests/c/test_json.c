/* levy.json codec and the json_scan primitives: round trips, number literals, integers beyond
 * 2^53, floats rejected on encode, depth bomb, strict grammar, string escapes. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "json_scan.h"
#include "lctx.h"
#include "json_doc.h"

int luaopen_levy_json(lua_State *L);

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
    lua_setglobal(L, "json");
    return L;
}

/* Runs a Lua chunk; returns 1 when it ran without error (prints the error otherwise). */
static int run(lua_State *L, const char *code)
{
    if (luaL_dostring(L, code) != LUA_OK) {
        fprintf(stderr, "  lua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

static void t_scan_numbers(void)
{
    const char *ok[] = {"0",   "-0",   "1",    "-1",     "1.5",
                        "1e3", "1E+3", "1e-3", "-0.0e0", "123456789012345678901234567890"};
    const char *bad[] = {"",    "-",   "01",   "1.",  ".5",       "+1", "1e",
                         "1e+", "0x1", "1.5.", "NaN", "Infinity", "1 "};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(ok); i++)
        CHECK(levy_json_number_valid(ok[i], strlen(ok[i])));
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad); i++) {
        if (levy_json_number_valid(bad[i], strlen(bad[i])))
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(!levy_json_number_valid(bad[i], strlen(bad[i])));
    }
    int64_t v;
    CHECK(levy_json_int_literal("9223372036854775807", 19, &v));
    CHECK_EQ_INT(v, INT64_MAX);
    CHECK(levy_json_int_literal("-9223372036854775808", 20, &v));
    CHECK_EQ_INT(v, INT64_MIN);
    CHECK(!levy_json_int_literal("9223372036854775808", 19, &v));
    CHECK(!levy_json_int_literal("1.0", 3, &v));
    CHECK(!levy_json_int_literal("1e2", 3, &v));
end:;
}

static void t_validate(void)
{
    const char *ok[] = {
        "{}", "[]",    " {\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\\ud83d\\ude00\"} ",
        "0",  "\"x\"", "true"};
    const char *bad[] = {"",        "{",   "[1,]", "{\"a\"}",  "{\"a\":1,}", "[1 2]", "\"\\ud800\"",
                         "\"\\x\"", "nul", "[1]x", "\"a\nb\"", "{1:2}",      "[01]"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(ok); i++)
        CHECK_EQ_INT(levy_json_validate(ok[i], strlen(ok[i]), 200, NULL), LEVY_OK);
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad); i++) {
        levy_err e = {0};
        if (levy_json_validate(bad[i], strlen(bad[i]), 200, &e) == LEVY_OK)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK_EQ_INT(levy_json_validate(bad[i], strlen(bad[i]), 200, &e), LEVY_EINVAL);
        CHECK_EQ_STR(e.code, "invalid_json");
    }
    /* depth */
    char deep[1001];
    memset(deep, '[', 1000);
    deep[1000] = 0;
    CHECK_EQ_INT(levy_json_validate(deep, 1000, 200, NULL), LEVY_EINVAL);
end:;
}

static void t_decode_values(void)
{
    lua_State *L = new_state();
    CHECK(run(L,
              "local v = json.decode('{\"a\":1,\"b\":-2,\"c\":9007199254740993,\"d\":1.5,"
              "\"e\":1e3,\"f\":null,\"g\":[true,false],\"h\":\"x\\\\u00e9\",\"i\":[],\"j\":{},"
              "\"k\":99999999999999999999,\"l\":-0}')\n"
              "assert(math.type(v.a) == 'integer' and v.a == 1)\n"
              "assert(v.b == -2 and math.type(v.b) == 'integer')\n"
              "assert(v.c == 9007199254740993 and math.type(v.c) == 'integer')\n"
              "assert(v.d == '\\0' .. '1.5', 'literal')\n"
              "assert(json.decimal(v.d) == '1.5')\n"
              "assert(v.e == '\\0001e3' and json.decimal(v.e) == '1000')\n"
              "assert(v.f == json.null)\n"
              "assert(getmetatable(v.g) == json.array_mt and v.g[1] == true and v.g[2] == false)\n"
              "assert(v.h == 'x\\u{e9}')\n"
              "assert(getmetatable(v.i) == json.array_mt and #v.i == 0)\n"
              "assert(getmetatable(v.j) == nil and next(v.j) == nil)\n"
              "assert(json.is_number(v.k) and json.decimal(v.k) == '99999999999999999999')\n"
              "assert(v.l == 0 and math.type(v.l) == 'integer')\n"
              "assert(json.encode(v.i) == '[]' and json.encode(v.j) == '{}')\n"));
    /* no float anywhere in a decoded tree */
    CHECK(run(
        L, "local function walk(x) if type(x) == 'number' then assert(math.type(x) == 'integer') "
           "elseif type(x) == 'table' then for k, v in pairs(x) do walk(v) end end end\n"
           "walk(json.decode('[1, 2.5, -3e-2, {\"x\": 0.1}, [1e400]]'))"));
end:
    lua_close(L);
}

static void t_decode_errors(void)
{
    lua_State *L = new_state();
    CHECK(run(L,
              "for _, s in ipairs{'', '{', '[1,]', '{\"a\":1,}', 'nul', '[1]x', '\"\\\\u0000\"',"
              " '\"a\\0b\"', '\"\\\\ud800\"', '{\"a\" 1}', '[01]', '[NaN]', '[.5]', '\\'x\\''} do\n"
              "  local v, msg, code = json.decode(s)\n"
              "  assert(v == nil and code == 'invalid_json' and type(msg) == 'string', s)\n"
              "end\n"
              "assert(not pcall(json.decode, nil))"));
    /* depth bomb: 100,000 nested arrays fail cleanly */
    CHECK(run(L, "local v, msg, code = json.decode(string.rep('[', 100000))\n"
                 "assert(v == nil and code == 'invalid_json' and msg:find('deeper'), msg)\n"
                 "local ok = json.decode(string.rep('[', 200) .. string.rep(']', 200))\n"
                 "assert(ok)\n"
                 "assert(json.decode(string.rep('[', 201) .. string.rep(']', 201)) == nil)"));
end:
    lua_close(L);
}

static void t_encode(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L,
        "assert(json.encode({b=1, a='x', c={1,2,3}}) == '{\"a\":\"x\",\"b\":1,\"c\":[1,2,3]}')\n"
        "assert(json.encode(json.empty_array) == '[]')\n"
        "assert(json.encode({}) == '{}')\n"
        "assert(json.encode(json.array{}) == '[]')\n"
        "assert(json.encode(setmetatable({1, nil, 3}, json.array_mt)) == '[1,null,3]')\n"
        "assert(json.encode({percentage=json.number('7.25')}) == '{\"percentage\":7.25}')\n"
        "assert(json.encode(json.null) == 'null')\n"
        "assert(json.encode('a\"b\\\\c\\n/\\1') == '\"a\\\\\"b\\\\\\\\c\\\\n/\\\\u0001\"')\n"
        "assert(json.encode(9007199254740993) == '9007199254740993')\n"
        "assert(json.encode(math.mininteger) == '-9223372036854775808')\n"
        "assert(json.encode({[1]='a', [2]='b', x=1}) == '{\"1\":\"a\",\"2\":\"b\",\"x\":1}')\n"
        "assert(json.encode({[3]='c'}) == '{\"3\":\"c\"}')\n"
        "assert(json.is_number(5) and json.is_number(json.number('1e3')) and not "
        "json.is_number('5') and not json.is_number(1.5))\n"
        "assert(json.number(7) == 7)\n"
        "assert(json.decimal('12') == nil and json.decimal(json.number('-1.5e-2')) == '-0.015')\n"
        "assert(json.decimal(json.number('0.00')) == '0.00' and json.decimal(json.number('2E2')) "
        "== '200')\n"));
    /* raises */
    CHECK(run(
        L, "for _, v in ipairs{1.5, {a=0.1}, {print}, {[true]=1}, {[1.5]=1}, '\\0' .. 'abc', '\\0' "
           ".. '01'} do\n"
           "  assert(not pcall(json.encode, v))\n"
           "end\n"
           "local ok, err = pcall(json.encode, {x=1.5})\n"
           "assert(not ok and err:find('float'), err)\n"
           "local t = {}; t.self = t\n"
           "ok, err = pcall(json.encode, t)\n"
           "assert(not ok and err:find('cycle'), err)\n"
           "local shared = {1}\n"
           "assert(json.encode({a=shared, b=shared}) == '{\"a\":[1],\"b\":[1]}')\n"
           "local deep = {} local cur = deep for i = 1, 300 do cur[1] = {} cur = cur[1] end\n"
           "ok, err = pcall(json.encode, deep)\n"
           "assert(not ok and err:find('deeper'), err)\n"
           "for _, lit in ipairs{'1.2.3', '01', '', ' 1', '1e', '+1', 'abc'} do\n"
           "  assert(not pcall(json.number, lit), lit)\n"
           "end\n"
           "assert(not pcall(json.number, 1.5))\n"
           "assert(not pcall(function() json.empty_array[1] = 1 end))\n"
           "local big, want = {}, {}\n"
           "for i = 1, 40 do big[string.format('k%02d', i)] = i want[#want+1] = "
           "string.format('\"k%02d\":%d', i, i) end\n"
           "big[7] = 'seven' big[100] = 'hundred'\n"
           "table.insert(want, 1, '\"100\":\"hundred\"') table.insert(want, 2, '\"7\":\"seven\"')\n"
           "assert(json.encode(big) == '{' .. table.concat(want, ',') .. '}', json.encode(big))"));
end:
    lua_close(L);
}

/* json.canonical / json.encode(v, {canonical = true}): sorted keys (as always) and every number
 * literal spelled as json.decimal spells it, so equal numbers hash equal (the one canonical
 * encoder: rillet's fingerprints and idempotency keys, the simulator's stored bodies). */
static void t_canonical(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L, "local v = {q=json.number('1.5e2'), r=json.number('-2E-3'), s=json.number('0.5e1'),\n"
           "  t=json.number('7.25'), u=json.number('0.050e1'), w=json.number('1e401'), n=3, "
           "b={z=1, a={}}}\n"
           "local want = "
           "'{\"b\":{\"a\":{},\"z\":1},\"n\":3,\"q\":150,\"r\":-0.002,\"s\":5,\"t\":7.25,\"u\":0."
           "50,\"w\":1e401}'\n"
           "assert(json.canonical(v) == want, json.canonical(v))\n"
           "assert(json.encode(v, {canonical = true}) == want)\n"
           "assert(json.encode(v, {canonical = false}) == json.encode(v))\n"
           "assert(json.encode(v):find('\"q\":1.5e2', 1, true))\n"
           "for _, lit in ipairs{'1.5e2', '-2E-3', '0.5e1', '7.25', '0.050e1', '12e-1', '0e3'} do\n"
           "  assert(json.canonical({x=json.number(lit)}) == '{\"x\":' .. "
           "json.decimal(json.number(lit)) .. '}', lit)\n"
           "end\n"
           "assert(json.decimal(json.number('0e3')) == '0' and json.decimal(json.number('0.05e1')) "
           "== '0.5')\n"
           "assert(not pcall(json.canonical, 1.5) and not pcall(json.encode, {}, 'canonical'))\n"
           "assert(json.canonical(json.empty_array) == '[]' and json.canonical('a\\\\1') == "
           "json.encode('a\\\\1'))"));
end:
    lua_close(L);
}

static void t_round_trip(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L,
        "local s = '{\"amount\":\"12.34\",\"big\":12345678901234567890,\"id\":9007199254740993,"
        "\"items\":[{\"p\":7.25,\"q\":-1e-7,\"z\":0}],\"n\":null,\"t\":true,\"u\":"
        "\"\\\\u00e9\\\\ud83d\\\\ude00\"}'\n"
        "local v = assert(json.decode(s))\n"
        "local out = json.encode(v)\n"
        "assert(out == '{\"amount\":\"12.34\",\"big\":12345678901234567890,\"id\":9007199254740993,"
        "\"items\":[{\"p\":7.25,\"q\":-1e-7,\"z\":0}],\"n\":null,\"t\":true,\"u\":\"\\u{e9}\\u{"
        "1F600}\"}', out)\n"
        "assert(json.encode(json.decode(out)) == out)"));
end:
    lua_close(L);
}

/* ~3 KB invoice JSON: levy.json round-trips it and agrees with plain cjson on its content.
 * The speed comparison with cjson (it used to be asserted: levy.json <= 3x cjson, which a
 * sanitizer build -- levy.json instrumented, the system cjson not -- or a loaded machine can
 * break) is measured by bench/unit_timing.c (json_ratio_pct). */
static void t_perf(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L,
        "local lines = {}\n"
        "for i = 1, 12 do lines[i] = "
        "string.format('{\"id\":\"line_%d\",\"product_id\":\"prod_%08d\","
        "\"description\":\"Subscription seat %d\",\"quantity\":%d,\"unit_price\":\"%d.25\","
        "\"amount\":{\"amount\":\"%d.50\",\"currency\":\"USD\"},\"percentage\":7.25}', i, i, i, i, "
        "i*10, i*100) end\n"
        "local doc = "
        "'{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"invoice_number\":\"INV-00042\","
        "\"customer_id\":\"cus_123\",\"subsidiary_id\":\"sub_1\",\"currency\":\"USD\",\"status\":"
        "\"OPEN\","
        "\"issue_date\":\"2026-08-01\",\"due_date\":\"2026-08-31\",\"updated_at\":\"2026-08-01T12:"
        "00:00Z\","
        "\"ship_to\":{\"line1\":\"1 Main "
        "St\",\"city\":\"Austin\",\"state\":\"TX\",\"postal_code\":\"78701\",\"country\":\"US\"},"
        "\"items\":[' .. table.concat(lines, ',') .. "
        "'],\"total\":{\"amount\":\"1234.56\",\"currency\":\"USD\"}}'\n"
        "local cjson = require 'cjson'\n"
        "local v = assert(json.decode(doc))\n"
        "assert(json.encode(json.decode(json.encode(v))) == json.encode(v))\n"
        "local c = cjson.decode(doc)\n"
        "assert(#v.items == 12 and #c.items == 12 and v.items[12].id == c.items[12].id)\n"
        "assert(v.total.amount == c.total.amount and v.ship_to.postal_code == "
        "c.ship_to.postal_code)\n"));
end:
    lua_close(L);
}

/* Mutation fuzz: random byte edits of a valid document never crash; whatever decodes
 * re-encodes to text that decodes again (and agrees with the C validator). */
static void t_fuzz(void)
{
    lua_State *L = new_state();
    int n = getenv("LEVY_UNDER_VALGRIND") ? 300 : 20000;
    lua_pushinteger(L, n);
    lua_setglobal(L, "N");
    CHECK(run(L, "local base = "
                 "'{\"a\":[1,-2.5e3,\"x\\\\u00e9\\\\n\",null,true,{\"b\":{}}],\"c\":"
                 "\"\\\\ud83d\\\\ude00\",\"d\":12345678901234567890}'\n"
                 "assert(json.decode(base), 'base decodes')\n"
                 "local alphabet = '{}[]\",:0123456789-+.eE \\\\/untrfalsx\\0'\n"
                 "local seed = 12345\n"
                 "local function rnd(m) seed = (seed * 1103515245 + 12345) % 2147483648 return "
                 "seed % m + 1 end\n"
                 "local okc = 0\n"
                 "for i = 1, N do\n"
                 "  local s = base\n"
                 "  for k = 1, rnd(4) do\n"
                 "    local p = rnd(#s) local c = alphabet:sub(rnd(#alphabet), 1)\n"
                 "    local op = rnd(3)\n"
                 "    if op == 1 then s = s:sub(1, p - 1) .. c .. s:sub(p + 1)\n"
                 "    elseif op == 2 then s = s:sub(1, p - 1) .. c .. s:sub(p)\n"
                 "    else s = s:sub(1, p - 1) .. s:sub(p + 1) end\n"
                 "  end\n"
                 "  local v, msg, code = json.decode(s)\n"
                 "  if v == nil then assert(code == 'invalid_json' and type(msg) == 'string')\n"
                 "  else okc = okc + 1\n"
                 "    local out = json.encode(v)\n"
                 "    assert(json.decode(out), out)\n"
                 "    assert(json.encode(json.decode(out)) == out, out)\n"
                 "  end\n"
                 "end\n"
                 "OKC = okc\n"));
    lua_getglobal(L, "OKC");
    fprintf(stderr, "  fuzz: %d mutations, %lld still valid JSON\n", n,
            (long long)lua_tointeger(L, -1));
    CHECK(lua_tointeger(L, -1) > 0 && lua_tointeger(L, -1) < n);
end:
    lua_close(L);
}

/* Issue 15 #16: ill-formed UTF-8 is refused by the decoder and never emitted by the encoder. */
static void t_utf8(void)
{
    static const struct {
        const char *s;
        size_t n, seq, bad;
    } cases[] = {
        {"A", 1, 1, 0},
        {"\xc3\xa9", 2, 2, 0},         /* é */
        {"\xe2\x82\xac", 3, 3, 0},     /* € */
        {"\xf0\x9f\x98\x80", 4, 4, 0}, /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", 4, 4, 0}, /* U+10FFFF */
        {"\xef\xbf\xbf", 3, 3, 0},     /* U+FFFF (a noncharacter, but well-formed) */
        {"\xc0\xaf", 2, 0, 1},         /* overlong '/' */
        {"\xc1\xbf", 2, 0, 1},         /* overlong */
        {"\xe0\x80\xaf", 3, 0, 1},     /* overlong 3-byte */
        {"\xf0\x80\x80\xaf", 4, 0, 1}, /* overlong 4-byte */
        {"\xed\xa0\x80", 3, 0, 1},     /* U+D800 (surrogate) */
        {"\xed\xbf\xbf", 3, 0, 1},     /* U+DFFF */
        {"\xf4\x90\x80\x80", 4, 0, 1}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0, 1}, /* lead byte above F4 */
        {"\xff", 1, 0, 1},
        {"\x80", 1, 0, 1},      /* stray continuation */
        {"\xe2\x82", 2, 0, 2},  /* truncated at the end */
        {"\xe2\x82x", 3, 0, 2}, /* truncated by an ASCII byte */
        {"\xf0\x9f\x98", 3, 0, 3},
        {"\xc3", 1, 0, 1},
    };
    lua_State *L = new_state();
    for (size_t i = 0; i < LEVY_ARRAY_LEN(cases); i++) {
        size_t bad = 99, n = levy_utf8_seq(cases[i].s, cases[i].n, &bad);
        if (n != cases[i].seq || (n == 0 && bad != cases[i].bad))
            fprintf(stderr, "  case %zu: seq %zu bad %zu\n", i, n, bad);
        CHECK_EQ_INT(n, cases[i].seq);
        if (!n)
            CHECK_EQ_INT(bad, cases[i].bad);
        /* the validator and the decoder agree */
        char doc[32];
        size_t dl = 0;
        doc[dl++] = '"';
        memcpy(doc + dl, cases[i].s, cases[i].n), dl += cases[i].n;
        doc[dl++] = '"';
        levy_err e = {0};
        int vr = levy_json_validate(doc, dl, 200, &e);
        CHECK_EQ_INT(vr, cases[i].seq == cases[i].n ? LEVY_OK : LEVY_EINVAL);
    }
    static const char *bad_docs[] = {
        "{\"description\":\"caf\xc3\"}",
        "{\"description\":\"\xc0\xaf\"}",
        "{\"description\":\"\xed\xa0\x80\"}",
        "{\"description\":\"\xf4\x90\x80\x80\"}",
        "{\"description\":\"\xe2\x82\"}",
        "{\"k\xff\":1}",
        "[\"\\ud800\"]",
        "[\"\\udc00\"]",
        "[\"\\ud800\\u0041\"]",
        "[\"\\ud800x\"]",
    };
    lua_newtable(L);
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad_docs); i++) {
        lua_pushstring(L, bad_docs[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setglobal(L, "BAD");
    CHECK(run(L, "for i, s in ipairs(BAD) do\n"
                 "  local v, msg, code = json.decode(s)\n"
                 "  assert(v == nil and code == 'invalid_json', 'accepted #' .. i)\n"
                 "  assert(msg:find('UTF%-8') or msg:find('surrogate'), msg)\n"
                 "  assert(utf8.len(msg), 'the message itself is valid UTF-8: ' .. msg)\n"
                 "end\n"
                 "assert(json.decode('\"caf\\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9f\\x98\\x80\"') == "
                 "'caf\\u{e9} \\u{20ac} \\u{1f600}')\n"));
    /* encoding: ill-formed input becomes U+FFFD, the output is valid UTF-8 and decodes */
    CHECK(run(L, "local out = json.encode({['k\\xff'] = "
                 "'a\\xc3\\xa9b\\xc0\\xafc\\xe2\\x82\\xed\\xa0\\x80'})\n"
                 "assert(utf8.len(out), out)\n"
                 "assert(out == "
                 "'{\"k\\u{fffd}\":\"a\\u{e9}b\\u{fffd}\\u{fffd}c\\u{fffd}\\u{fffd}\\u{fffd}\\u{"
                 "fffd}\"}', out)\n"
                 "assert(json.decode(out))\n"
                 "assert(json.encode('\\xf0\\x9f\\x98') == '\"\\u{fffd}\"')\n"
                 "assert(json.encode('ok \\u{10ffff}') == '\"ok \\u{10ffff}\"')\n"));
end:
    lua_close(L);
}

/* Issue 15 #16: a repeated object key is refused unless the caller asks for last-wins. */
static void t_duplicate_keys(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L, "local s = '{\"lines\":[{\"id\":\"1\",\"amount\":\"1.00\",\"amount\":\"1000.00\"}]}'\n"
           "local v, msg, code = json.decode(s)\n"
           "assert(v == nil and code == 'invalid_json', 'duplicate accepted')\n"
           "assert(msg:find('duplicate object key \"amount\"', 1, true), msg)\n"
           "v, msg, code = json.decode(s, { duplicate_keys = 'error' })\n"
           "assert(v == nil and code == 'invalid_json')\n"
           "v = assert(json.decode(s, { duplicate_keys = 'last' }))\n"
           "assert(v.lines[1].amount == '1000.00')\n"
           "assert(json.decode('{\"a\":null,\"a\":1}') == nil, 'null then value')\n"
           "assert(json.decode('{\"a\":1,\"\\\\u0061\":2}') == nil, 'same key, escaped')\n"
           "assert(json.decode('{\"a\":{\"a\":1},\"b\":{\"a\":2}}'), 'same key in two objects')\n"
           "assert(json.decode('[{\"a\":1},{\"a\":2}]'), 'same key in array elements')\n"
           "assert(not pcall(json.decode, '{}', { duplicate_keys = 'first' }))\n"
           "assert(not pcall(json.decode, '{}', 5))\n"
           "local ok, err = pcall(json.encode, {[1] = 'a', ['1'] = 'b'})\n"
           "assert(not ok and err:find('two keys'), err)\n"));
end:
    lua_close(L);
}

/* Issue 21: json.peek reads a few top-level members through decode's parse. Hostile texts
 * (truncated, escaped quotes and escaped keys, repeated keys, huge numbers, ill-formed UTF-8,
 * the key inside a string or a nested object) give what decode gives for those members; then
 * a differential fuzz: mutated invoice bodies, peek and decode agree on every text. */
static void t_peek(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L,
        "local LEN = { duplicate_keys = 'last' }\n"
        "local ok, a, b, c = json.peek('{\"id\":\"x\",\"sub\":\"s1\",\"items\":[1]}', nil, 'id', "
        "'sub', 'items')\n"
        "assert(ok == true and a == 'x' and b == 's1' and c == json.nested, 'plain')\n"
        "assert(json.nested ~= json.null)\n"
        "ok, a = json.peek('{\"id\":\"x\"', nil, 'id'); assert(ok == nil and a:find('offset'), "
        "'truncated')\n"
        "ok, a = json.peek('{\"id\":\"x\\\\\"', nil, 'id'); assert(ok == nil, 'truncated after an "
        "escape')\n"
        "ok, a = json.peek('{\"id\":\"a\\\\\"b\",\"sub\":1}', nil, 'id', 'sub')\n"
        "assert(ok and a == 'a\"b', 'escaped quote in a value')\n"
        "ok, a = json.peek('{\"x\":\"\\\\\"id\\\\\":\\\\\"no\",\"y\":{\"id\":\"nested\"}}', nil, "
        "'id')\n"
        "assert(ok == true and a == nil, 'the key in a string or a nested object is not a "
        "member')\n"
        "ok, a = json.peek('{\"\\\\u0069d\":\"esc\"}', nil, 'id'); assert(ok and a == 'esc', "
        "'escaped key')\n"
        "ok, a, c = json.peek('{\"id\":\"1\",\"id\":\"2\"}', nil, 'id'); assert(ok == nil and c == "
        "'invalid_json', 'repeat refused')\n"
        "ok, a = json.peek('{\"id\":\"1\",\"q\":0,\"id\":\"2\"}', LEN, 'id'); assert(ok and a == "
        "'2', 'last wins')\n"
        "ok, a = json.peek('{\"id\":null,\"id\":{\"k\":1}}', LEN, 'id'); assert(ok and a == "
        "json.nested, 'last wins, nested')\n"
        "ok, a = json.peek('{\"id\":{\"k\":1},\"id\":null}', LEN, 'id'); assert(ok and a == "
        "json.null, 'last wins, null')\n"
        "ok, a, b = json.peek('{\"n\":123456789012345678901234567890,\"m\":-9223372036854775808}', "
        "nil, 'n', 'm')\n"
        "assert(ok and a == '\\0' .. '123456789012345678901234567890' and b == math.mininteger, "
        "'huge numbers')\n"
        "ok, a = json.peek('{\"id\":\"\\xff\"}', nil, 'id'); assert(ok == nil, 'ill-formed UTF-8 "
        "value')\n"
        "ok, a = json.peek('{\"\\xc0\\xaf\":1}', nil, 'id'); assert(ok == nil, 'overlong key')\n"
        "ok, a = json.peek('{\"id\":\"\\\\ud800\"}', nil, 'id'); assert(ok == nil, 'lone "
        "surrogate')\n"
        "ok, a = json.peek('{\"id\":\"x\"} x', nil, 'id'); assert(ok == nil, 'trailing bytes')\n"
        "assert(json.peek('[1,2]', nil, 'id') == false and json.peek('\"s\"', nil) == false, 'not "
        "an object')\n"
        "ok, a, b = json.peek('{\"t\":true,\"f\":false}', nil, 't', 'f'); assert(ok and a == true "
        "and b == false)\n"
        "assert(select('#', json.peek('{}', nil, 'a', 'b', 'c')) == 4)\n"
        "assert(not pcall(json.peek, '{}', { duplicate_keys = 'first' }, 'a'))\n"
        "assert(not pcall(json.peek, '{}', nil, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "
        "16, 17))\n"
        /* differential: mutated texts */
        "local base = "
        "'{\"id\":\"inv_1\",\"subsidiary_id\":\"sub_\\\\\"q\",\"items\":[{\"id\":\"l1\",'\n"
        "  .. '\"price\":{\"amount\":\"1.00\"}}],\"memo\":\"\\\\u00e9\\\\ud83d\\\\ude00 "
        "x\",\"total\":12.50,\"n\":1e400,\"z\":null}'\n"
        "assert(json.decode(base), 'base decodes')\n"
        "local alphabet = { '\"', '\\\\', '{', '}', '[', ']', ':', ',', 'i', 'd', '\\xff', "
        "'\\xc3', '0', 'u', ' ', 'n' }\n"
        "math.randomseed(21)\n"
        "local keys = { 'id', 'subsidiary_id', 'items', 'memo', 'total', 'n', 'z', 'absent' }\n"
        "local agreed, objects = 0, 0\n"
        "for i = 1, 20000 do\n"
        "  local t = base\n"
        "  for _ = 1, math.random(1, 3) do\n"
        "    local p, r = math.random(1, #t), math.random(1, 4)\n"
        "    if r == 1 then t = t:sub(1, p)\n"
        "    elseif r == 2 then t = t:sub(1, p - 1) .. t:sub(p + 1)\n"
        "    elseif r == 3 then t = t:sub(1, p - 1) .. alphabet[math.random(#alphabet)] .. "
        "t:sub(p)\n"
        "    else t = t:sub(1, p - 1) .. t:sub(p, p + math.random(0, 20)):rep(2) .. t:sub(p + 21) "
        "end\n"
        "  end\n"
        "  for _, o in ipairs({ LEN, false }) do\n"
        "    local opts = o or nil\n"
        "    local v, vmsg = json.decode(t, opts)\n"
        "    local r = table.pack(json.peek(t, opts, table.unpack(keys)))\n"
        "    if v == nil then assert(r[1] == nil and r[2] == vmsg, 'error differs: ' .. t)\n"
        "    elseif type(v) ~= 'table' or getmetatable(v) == json.array_mt then\n"
        "      assert(r[1] == false and r.n == 1, 'not an object: ' .. t)\n"
        "    else\n"
        "      objects = objects + 1\n"
        "      assert(r[1] == true and r.n == #keys + 1, t)\n"
        "      for k, key in ipairs(keys) do\n"
        "        local want = v[key]\n"
        "        if type(want) == 'table' then want = json.nested end\n"
        "        assert(r[k + 1] == want, 'member ' .. key .. ' differs: ' .. t)\n"
        "      end\n"
        "    end\n"
        "    agreed = agreed + 1\n"
        "  end\n"
        "end\n"
        "assert(agreed == 40000 and objects > 1000, objects)\n"));
end:
    lua_close(L);
}

/* Issue 21: the decoder once moved members into their table 16 at a time (sized tables);
 * since issue 18 a table is created at its parsed size and the parse finds repeats one by one
 * up to 16 keys, then in a hash set: objects and arrays of every size around that boundary
 * decode to the same values, a repeat of any key is found, last-wins holds across it. */
static void t_decode_chunks(void)
{
    lua_State *L = new_state();
    CHECK(run(
        L,
        "for n = 0, 40 do\n"
        "  local keys, vals = {}, {}\n"
        "  for i = 1, n do keys[i] = string.format('\"k%d\":%d', i, i); vals[i] = tostring(i) end\n"
        "  local o = assert(json.decode('{' .. table.concat(keys, ',') .. '}'))\n"
        "  local a = assert(json.decode('[' .. table.concat(vals, ',') .. ']'))\n"
        "  local c = 0\n"
        "  for k, v in pairs(o) do c = c + 1; assert(k == 'k' .. v, k) end\n"
        "  assert(c == n, 'object of ' .. n)\n"
        "  assert(#a == n and getmetatable(a) == json.array_mt, 'array of ' .. n)\n"
        "  for i = 1, n do assert(a[i] == i) end\n"
        "  assert(json.encode(a) == '[' .. table.concat(vals, ',') .. ']')\n"
        "  for d = 1, n do\n"
        "    local t = {}\n"
        "    for i = 1, n do t[i] = keys[i] end\n"
        "    t[#t + 1] = string.format('\"k%d\":0', d)\n"
        "    local s = '{' .. table.concat(t, ',') .. '}'\n"
        "    local v, msg = json.decode(s)\n"
        "    assert(v == nil and msg:find('duplicate object key \"k' .. d .. '\"', 1, true), s)\n"
        "    v = assert(json.decode(s, { duplicate_keys = 'last' }))\n"
        "    assert(v['k' .. d] == 0)\n"
        "  end\n"
        "end\n"
        "local v = assert(json.decode('{\"a\":[' .. string.rep('{\"x\":[1,2],\"y\":{}},', 40) .. "
        "'[]]}'))\n"
        "assert(#v.a == 41 and v.a[40].x[2] == 2 and next(v.a[40].y) == nil and #v.a[41] == 0)\n"
        "local e = assert(json.decode([[{\"\\u00e9\":\"caf\\u00e9\",\"b\":\"x\\\"y\"}]]))\n"
        "assert(e['\\u{e9}'] == 'caf\\u{e9}' and e.b == 'x\"y')\n"));
end:
    lua_close(L);
}

/* Issue 18: levy.json.decode and levy_json_doc_parse (core/base/json_doc.c, levy.tax.parse's
 * parse) read one grammar: fed the same texts -- the cases above, the fuzz seeds, adversarial
 * shapes (depth, duplicates, NULs, ill-formed UTF-8, huge numbers, big inputs) and random
 * mutations -- both accept with the same values or both refuse with the same message. */
static int same_value(lua_State *L, int idx, const levy_json_doc *doc, uint32_t k)
{
    const levy_json_node *n = &doc->nodes[k];
    idx = lua_absindex(L, idx);
    size_t len;
    const char *s;
    switch (n->type) {
    case LEVY_JSON_STRING:
        if (lua_type(L, idx) != LUA_TSTRING)
            return 0;
        s = lua_tolstring(L, idx, &len);
        return len == n->n && memcmp(s, doc->strs + n->at, len) == 0;
    case LEVY_JSON_INTEGER:
        return lua_isinteger(L, idx) && lua_tointeger(L, idx) == (lua_Integer)n->ival;
    case LEVY_JSON_BOOLEAN:
        return lua_type(L, idx) == LUA_TBOOLEAN && lua_toboolean(L, idx) == (n->array != 0);
    case LEVY_JSON_NULL:
        return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
    case LEVY_JSON_TABLE: {
        if (lua_type(L, idx) != LUA_TTABLE)
            return 0;
        luaL_checkstack(L, 4, "same_value");
        int has_mt = lua_getmetatable(L, idx), is_arr = 0;
        if (has_mt) {
            lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt");
            is_arr = lua_rawequal(L, -1, -2);
            lua_pop(L, 2);
        }
        if (has_mt != n->array || is_arr != n->array)
            return 0;
        uint32_t count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            count++;
        }
        if (count != n->n)
            return 0;
        for (uint32_t i = 0; i < n->n; i++) {
            uint32_t m = doc->kids[n->at + i];
            if (n->array)
                lua_rawgeti(L, idx, (lua_Integer)i + 1);
            else {
                lua_pushlstring(L, doc->strs + doc->nodes[m].key, doc->nodes[m].klen);
                lua_rawget(L, idx);
            }
            int ok = same_value(L, -1, doc, m);
            lua_pop(L, 1);
            if (!ok)
                return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* 1 when the two decoders agree on text[0..len) (prints the first few disagreements). */
static int decoders_agree(lua_State *L, const char *text, size_t len)
{
    static int shown;
    levy_json_doc doc = {0};
    char msg[320] = "";
    int prc = levy_json_doc_parse(&doc, text, len, msg, sizeof msg);
    lua_getglobal(L, "json");
    lua_getfield(L, -1, "decode");
    lua_pushlstring(L, text, len);
    lua_call(L, 1, 2);
    int ok;
    if (lua_isnil(L, -2))
        ok = prc != 0 && lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), msg) == 0;
    else
        ok = prc == 0 && same_value(L, -2, &doc, 0);
    if (!ok && shown++ < 5)
        fprintf(stderr, "  disagree on %.*s%s: parse %d '%s', decode '%s'\n",
                (int)(len > 120 ? 120 : len), text, len > 120 ? "..." : "", prc, msg,
                lua_isnil(L, -2) ? lua_tostring(L, -1) : "(a value)");
    lua_pop(L, 3);
    levy_json_doc_free(&doc);
    return ok;
}

static int agree_str(lua_State *L, const char *s) { return decoders_agree(L, s, strlen(s)); }

static void t_decoders_agree(void)
{
    lua_State *L = new_state();
    static const char *const texts[] = {
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "[1,]",
        "{\"a\":1,}",
        "nul",
        "nulL",
        "tru",
        "fals",
        "[1]x",
        "\"\\u0000\"",
        "\"a\\0b\"",
        "\"\\ud800\"",
        "{\"a\" 1}",
        "[01]",
        "[NaN]",
        "[.5]",
        "'x'",
        "{\"a\":1,\"b\":-2,\"c\":9007199254740993,\"d\":1.5,\"e\":1e3,\"f\":null,\"g\":[true,"
        "false],\"h\":\"x\\u00e9\",\"i\":[],\"j\":{},\"k\":99999999999999999999,\"l\":-0}",
        "[1, 2.5, -3e-2, {\"x\": 0.1}, [1e400]]",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "-9223372036854775809",
        "-0",
        "-0.0",
        "0e0",
        "1E+3",
        "-",
        "1.",
        "1e",
        "+1",
        "\"",
        "\"abc",
        "\"\\\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\ud83d\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "{\"\":1}",
        "{\"\":1,\"\":2}",
        "{\"a\":null,\"a\":1}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
        "[{\"a\":1},{\"a\":2}]",
        "{\"lines\":[{\"id\":\"1\",\"amount\":\"1.00\",\"amount\":"
        "\"1000.00\"}]}",
        "{\"description\":\"caf\xc3\"}",
        "{\"description\":\"\xc0\xaf\"}",
        "{\"description\":\"\xed\xa0\x80\"}",
        "{\"description\":\"\xf4\x90\x80\x80\"}",
        "{\"k\xff\":1}",
        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
        "\"a\nb\"",
        "\"tab\there\"",
        "{1:2}",
        "{\"a\":}",
        "{,}",
        "[,1]",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "[1",
        "[\"x\"",
        " \t\r\n[ \t\r\n1 \t\r\n] \t\r\n",
        "\f1",
        "true",
        "false",
        "null",
        "[true,false,null]",
        "{\"x\":truex}",
        "\xef\xbb\xbf{}",
        "{\"k\":\"" /* a key of 70 bytes, repeated: the message cuts it at 64 */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1,"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":2}",
        "[1.00000000000000000000000000000000000000000000000000000000000000000000000001]",
        "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\\\"}",
        "[\"\\u00e9\", \"\\u20AC\"]",
    };
    int bad = 0, total = 0;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(texts); i++, total++)
        bad += !agree_str(L, texts[i]);
    /* NUL bytes: inside a string, between tokens, after the value */
    static const struct {
        const char *s;
        size_t n;
    } nuls[] = {{"\"a\0b\"", 5}, {"[1,\0 2]", 7}, {"{}\0", 3}, {"\0", 1}, {"{\"a\0\":1}", 8}};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(nuls); i++, total++)
        bad += !decoders_agree(L, nuls[i].s, nuls[i].n);
    /* depth: 199..201 nested arrays and objects, and a bomb */
    for (int d = 199; d <= 201; d++) {
        char *t = malloc((size_t)d * 8 + 8);
        size_t n = 0;
        for (int k = 0; k < d; k++)
            memcpy(t + n, k % 2 ? "{\"a\":" : "[", k % 2 ? 5 : 1), n += k % 2 ? 5 : 1;
        for (int k = d - 1; k >= 0; k--)
            t[n++] = k % 2 ? '}' : ']';
        bad += !decoders_agree(L, t, n), total++;
        bad += !decoders_agree(L, t, n - 1), total++; /* one closer short */
        free(t);
    }
    char *bomb = malloc(100000);
    memset(bomb, '[', 100000);
    bad += !decoders_agree(L, bomb, 100000), total++;
    free(bomb);
    /* objects and arrays around the decoder's chunk of 16, with a repeat of each key */
    for (int n = 0; n <= 40; n++) {
        levy_buf o = {0}, a = {0};
        levy_buf_putc(&o, '{');
        levy_buf_putc(&a, '[');
        for (int i = 1; i <= n; i++) {
            char kv[48];
            snprintf(kv, sizeof kv, "%s\"k%d\":%d", i > 1 ? "," : "", i, i);
            levy_buf_puts(&o, kv);
            snprintf(kv, sizeof kv, "%s\"v%d\"", i > 1 ? "," : "", i);
            levy_buf_puts(&a, kv);
        }
        size_t open = o.len;
        levy_buf_putc(&o, '}');
        levy_buf_putc(&a, ']');
        bad += !decoders_agree(L, o.data, o.len), total++;
        bad += !decoders_agree(L, a.data, a.len), total++;
        for (int d = 1; d <= n; d++) {
            char kv[48];
            o.len = open;
            snprintf(kv, sizeof kv, ",\"k%d\":0}", d);
            levy_buf_puts(&o, kv);
            bad += !decoders_agree(L, o.data, o.len), total++;
        }
        levy_buf_free(&o);
        levy_buf_free(&a);
    }
    /* big inputs: 200,000 members, a 1 MB string, a 4,000-digit number */
    levy_buf big = {0};
    levy_buf_putc(&big, '[');
    for (int i = 0; i < 200000; i++)
        levy_buf_puts(&big, i ? ",{\"n\":-12.5e-3,\"s\":\"\\u00e9x\"}" : "{\"n\":1,\"s\":\"\"}");
    levy_buf_putc(&big, ']');
    bad += !decoders_agree(L, big.data, big.len), total++;
    big.len = 0;
    levy_buf_putc(&big, '"');
    for (int i = 0; i < 1 << 20; i++)
        levy_buf_putc(&big, (char)('a' + i % 26));
    levy_buf_putc(&big, '"');
    bad += !decoders_agree(L, big.data, big.len), total++;
    big.len = 0;
    levy_buf_puts(&big, "[-1");
    for (int i = 0; i < 4000; i++)
        levy_buf_putc(&big, (char)('0' + i % 10));
    levy_buf_puts(&big, "e-99]");
    bad += !decoders_agree(L, big.data, big.len), total++;
    levy_buf_free(&big);
    /* the fuzz seeds of both codecs' targets, each and every prefix of each */
    static const char *const seed_dirs[] = {"tests/fuzz/seeds/fuzz_json_codec",
                                            "tests/fuzz/seeds/fuzz_tax_request"};
    int seeds = 0;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(seed_dirs); i++) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "ls %s", seed_dirs[i]);
        FILE *ls = popen(cmd, "r");
        char name[200];
        while (ls && fgets(name, sizeof name, ls)) {
            name[strcspn(name, "\n")] = 0;
            char path[600];
            snprintf(path, sizeof path, "%s/%s", seed_dirs[i], name);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            char *t = malloc(1 << 16);
            size_t n = fread(t, 1, 1 << 16, f);
            fclose(f);
            seeds++;
            for (size_t p = 0; p <= n; p++, total++)
                bad += !decoders_agree(L, t, p);
            free(t);
        }
        if (ls)
            pclose(ls);
    }
    CHECK(seeds >= 10);
    /* random edits of a document with every kind of value */
    static const char base[] =
        "{\"a\":[1,-2.5e3,\"x\\u00e9\\n\",null,true,{\"b\":{}}],\"c\":\"\\ud83d\\ude00\","
        "\"d\":12345678901234567890,\"e\":{\"e\":[[],{}],\"f\":\"caf\xc3\xa9\"},\"\":0}";
    static const char alphabet[] = "{}[]\",:0123456789-+.eE \\/untrfalsx\0\xc3\xa9\xff";
    unsigned seed = 12345;
    int rounds = getenv("LEVY_UNDER_VALGRIND") ? 500 : 30000;
    for (int r = 0; r < rounds; r++, total++) {
        char s[sizeof base + 8];
        size_t n = sizeof base - 1;
        memcpy(s, base, n);
        int edits = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
        for (int k = 0; k < edits && n > 0; k++) {
            size_t p = ((seed = seed * 1103515245u + 12345u) >> 16) % n;
            char c = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof alphabet - 1)];
            int op = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 3;
            if (op == 0)
                s[p] = c;
            else if (op == 1 && n < sizeof s - 1) {
                memmove(s + p + 1, s + p, n - p);
                s[p] = c, n++;
            } else {
                memmove(s + p, s + p + 1, n - p - 1);
                n--;
            }
        }
        bad += !decoders_agree(L, s, n);
    }
    fprintf(stderr, "  decoders agree: %d texts (%d seeds), %d disagreements\n", total, seeds, bad);
    CHECK_EQ_INT(bad, 0);
end:
    lua_close(L);
}

/* Issue 18: json.decode reuses one parsed doc per Lua state; a finalizer the walk runs (a GC
 * step inside it) that decodes another big text gets a doc of its own: both values come out
 * whole (sharing the doc, the inner parse overwrote the nodes the outer walk had still to
 * read). */
static void t_decode_reentry(void)
{
    lua_State *L = new_state();
    CHECK(run(L, "local function text(sign)\n"
                 "  local parts = {}\n"
                 "  for i = 1, 20000 do parts[i] = string.format('{\"k\":%d,\"s\":\"s%d\"}', "
                 "sign * i, sign * i) end\n"
                 "  return '[' .. table.concat(parts, ',') .. ']'\n"
                 "end\n"
                 "local outer, other = text(1), text(-1)\n"
                 "local function check(v, sign)\n"
                 "  assert(#v == 20000)\n"
                 "  for i = 1, 20000 do\n"
                 "    assert(v[i].k == sign * i and v[i].s == 's' .. sign * i, i)\n"
                 "  end\n"
                 "end\n"
                 "local inner, during = 0, 0\n"
                 "IN = false\n"
                 "local mt = {__gc = function()\n"
                 "  check(assert(json.decode(other)), -1)\n"
                 "  inner = inner + 1\n"
                 "  if IN then during = during + 1 end\n"
                 "end}\n"
                 "for round = 1, 4 do\n"
                 "  for i = 1, 2 do setmetatable({}, mt) end\n"
                 "  IN = true\n"
                 "  local v = assert(json.decode(outer))\n"
                 "  IN = false\n"
                 "  check(v, 1)\n"
                 "  assert(json.decode('[1]')[1] == 1)\n"
                 "end\n"
                 "collectgarbage()\n"
                 "assert(inner == 8, inner)\n"
                 "assert(during > 0, 'no finalizer ran inside a decode')\n"));
end:
    lua_close(L);
}

/* levy_json_escape and levy_json_plain_len test eight bytes at a time (issue 21): every byte
 * value at every place of strings around the word size, among varied plain bytes (the edges
 * ' ', '!', '#', '[', ']', '~'), gives what one byte at a time gives. */
static void t_escape_words(void)
{
    static const char plain[] = " !#[]~aZ09{}/";
    const size_t lens[] = {1, 7, 8, 9, 15, 16, 17, 24, 33};
    int bad = 0;
    for (size_t li = 0; li < LEVY_ARRAY_LEN(lens); li++) {
        size_t len = lens[li];
        for (size_t p = 0; p < len; p++) {
            for (int c = 0; c < 256; c++) {
                char s[40], want[64];
                for (size_t k = 0; k < len; k++)
                    s[k] = plain[(k * 5 + li) % (sizeof plain - 1)];
                s[p] = (char)c;
                const char *esc = NULL;
                char u[8];
                switch (c) {
                case '"':
                    esc = "\\\"";
                    break;
                case '\\':
                    esc = "\\\\";
                    break;
                case '\n':
                    esc = "\\n";
                    break;
                case '\r':
                    esc = "\\r";
                    break;
                case '\t':
                    esc = "\\t";
                    break;
                case '\b':
                    esc = "\\b";
                    break;
                case '\f':
                    esc = "\\f";
                    break;
                default:
                    if (c >= 0x80)
                        esc = "\xef\xbf\xbd"; /* a lone byte of 0x80 or above is ill-formed */
                    else if (c < 0x20 || c == 0x7f)
                        snprintf(u, sizeof u, "\\u%04x", c), esc = u;
                }
                int plain_c = esc == NULL;
                snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)p, s,
                         esc ? esc : (char[]){(char)c, 0}, (int)(len - p - 1), s + p + 1);
                levy_buf b = {0};
                levy_json_escape(&b, s, len);
                size_t pl = levy_json_plain_len(s, len);
                if (!b.data || strcmp(b.data, want) != 0 || b.len != strlen(want) ||
                    pl != (plain_c ? len : p)) {
                    if (bad++ < 5)
                        fprintf(
                            stderr,
                            "  escape len %zu byte 0x%02x at %zu: got %s (plain %zu), want %s\n",
                            len, c, p, b.data ? b.data : "(null)", pl, want);
                }
                free(b.data);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
end:;
}

/* The reference escaping, one byte at a time (what levy_json_escape's header promises):
 * '"' '\\' \n \r \t \b \f as two-byte escapes, other controls and 0x7f as \u00XX, well-formed
 * UTF-8 (U+2028/2029 included) as itself, each maximal ill-formed subpart as U+FFFD. */
static void ref_escape(levy_buf *b, const char *s, size_t len)
{
    levy_buf_putc(b, '"');
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        char u[8];
        if (c >= 0x80) {
            size_t bad, n = levy_utf8_seq(s + i, len - i, &bad);
            if (n) {
                levy_buf_put(b, s + i, n);
                i += n;
            } else {
                levy_buf_put(b, "\xef\xbf\xbd", 3);
                i += bad;
            }
            continue;
        }
        const char *e = NULL;
        switch (c) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        case '\b':
            e = "\\b";
            break;
        case '\f':
            e = "\\f";
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                snprintf(u, sizeof u, "\\u%04x", c), e = u;
        }
        if (e)
            levy_buf_puts(b, e);
        else
            levy_buf_putc(b, (char)c);
        i++;
    }
    levy_buf_putc(b, '"');
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* levy_json_escape with its whole-word fast path (issue 21, h-json21: levy_json_put_plain)
 * against the reference on adversarial strings -- runs of plain bytes of every length around
 * 4 and 8 with controls, quotes, backslashes, NUL, 0x7f, U+2028/2029, other well-formed UTF-8,
 * truncated, overlong, surrogate and stray bytes among them, long plain strings with one
 * special byte anywhere -- appended to buffers whose room ends just before, at and after what
 * the string needs (the in-place path and the growing one). */
static void t_escape_fast(void)
{
    static const char *const pieces[] = {"\"",
                                         "\\",
                                         "\n",
                                         "\r",
                                         "\t",
                                         "\b",
                                         "\f",
                                         "\x01",
                                         "\x1f",
                                         "\x7f",
                                         "/",
                                         "~",
                                         " ",
                                         "\xe2\x80\xa8",
                                         "\xe2\x80\xa9",
                                         "\xc3\xa9",
                                         "\xf0\x9f\x98\x80",
                                         "\xe2\x82",
                                         "\x80",
                                         "\xc0\xaf",
                                         "\xed\xa0\x80",
                                         "\xf4\x90\x80\x80",
                                         "\xff",
                                         "\xf0\x9f\x98"};
    static const char plain[] = "abcXYZ019 !#[]{}~-._/";
    int bad = 0;
    size_t cases = 0;
    for (int round = 0; round < 6000; round++) {
        char s[5000];
        size_t len = 0;
        int kind = round % 4;
        if (kind == 3) { /* long: plain bytes and at most one special piece */
            size_t want = 100 + (size_t)(rng() % 4800);
            while (len < want)
                s[len++] = plain[rng() % (sizeof plain - 1)];
            if (rng() % 2) {
                const char *p = pieces[rng() % LEVY_ARRAY_LEN(pieces)];
                size_t at = (size_t)(rng() % (len - 4)), pl = strlen(p);
                memcpy(s + at, p, pl);
            }
        } else { /* short: runs of 0..12 plain bytes between pieces (kind 0: none) */
            int npieces = kind == 0 ? 0 : 1 + (int)(rng() % 3);
            for (int k = 0; k <= npieces; k++) {
                size_t run = (size_t)(rng() % 13);
                while (run--)
                    s[len++] = plain[rng() % (sizeof plain - 1)];
                if (k < npieces) {
                    const char *p = rng() % 9 == 0 ? "\0" : pieces[rng() % LEVY_ARRAY_LEN(pieces)];
                    size_t pl = p[0] ? strlen(p) : 1;
                    memcpy(s + len, p, pl);
                    len += pl;
                }
            }
        }
        levy_buf want = {0};
        ref_escape(&want, s, len);
        for (int room = -2; room <= 2; room++) { /* the buffer's room around the need */
            levy_buf b = {0};
            size_t pre = (size_t)(rng() % 5), cap = (size_t)((long)(pre + len + 3) + room);
            if (room < 2) { /* 2: an empty buffer */
                b.data = malloc(cap);
                b.cap = cap;
                memset(b.data, 'p', pre);
                b.len = pre;
                b.data[pre] = '\0';
            } else {
                pre = 0;
            }
            levy_json_escape(&b, s, len);
            cases++;
            if (b.oom || b.len != pre + want.len ||
                memcmp(b.data + pre, want.data, want.len) != 0 || b.data[b.len] != '\0') {
                if (bad++ < 5)
                    fprintf(stderr, "  escape of %zu bytes (room %d): got %.*s, want %s\n", len,
                            room, (int)(b.len > 200 ? 200 : b.len), b.data ? b.data : "",
                            want.data);
            }
            free(b.data);
        }
        free(want.data);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(cases == 6000 * 5);
end:;
}

/* Issue 21 (calc22): levy_json_doc_parse copies a plain string eight bytes at a time while it
 * scans it, storing the word that holds the closing quote whole, and falls back to the general
 * way from the string's start on anything else. Every string length 0-24 with, at every place,
 * nothing special or one of an escape, a UTF-8 letter, 0x7f, a raw control byte (refused);
 * followed by 0-11 bytes of text, so the closing quote falls in the text's last eight bytes or
 * not; two strings in a row, so a word stored past the first must not spoil the second. Each
 * parsed value is compared with the string built by hand, NUL-terminated. Then objects whose
 * keys share a key filter bit (the duplicate check skips keys whose bit was not seen). */
static void t_doc_string_words(void)
{
    static const struct {
        const char *text, *value; /* in JSON, and decoded; text NULL: a plain 'a' */
        int refused;
    } sp[] = {{NULL, NULL, 0},     {"\\\"", "\"", 0},          {"\\\\", "\\", 0},
              {"\\n", "\n", 0},    {"\\u00e9", "\xc3\xa9", 0}, {"\xc3\xa9", "\xc3\xa9", 0},
              {"\x7f", "\x7f", 0}, {"\x01", NULL, 1},          {"\\/", "/", 0}};
    int bad = 0, cases = 0;
    for (size_t k = 0; k < sizeof sp / sizeof sp[0]; k++)
        for (int len = 0; len <= 24; len++)
            for (int at = 0; at <= (sp[k].text ? len : 0); at++)
                for (int tail = 0; tail <= 11; tail++) {
                    char text[160], want[80], want2[80];
                    size_t t = 0, w = 0;
                    text[t++] = '[';
                    text[t++] = '"';
                    for (int i = 0; i <= len; i++) {
                        if (i == at && sp[k].text) {
                            t += (size_t)sprintf(text + t, "%s", sp[k].text);
                            if (sp[k].value)
                                w += (size_t)sprintf(want + w, "%s", sp[k].value);
                        }
                        if (i < len) {
                            text[t++] = (char)('a' + i % 26);
                            want[w++] = (char)('a' + i % 26);
                        }
                    }
                    want[w] = '\0';
                    text[t++] = '"';
                    /* a second string: "zz..." of tail bytes (a ',' and quotes make tail >= 3) */
                    size_t w2 = 0;
                    if (tail >= 3) {
                        text[t++] = ',';
                        text[t++] = '"';
                        for (int i = 0; i < tail - 3; i++)
                            want2[w2++] = text[t++] = 'z';
                        text[t++] = '"';
                    } else {
                        for (int i = 0; i < tail; i++)
                            text[t++] = ' ';
                    }
                    want2[w2] = '\0';
                    text[t++] = ']';
                    char *exact = malloc(t); /* no byte past the text to read */
                    memcpy(exact, text, t);
                    levy_json_doc doc = {0};
                    char msg[320];
                    int rc = levy_json_doc_parse(&doc, exact, t, msg, sizeof msg);
                    int ok;
                    if (sp[k].refused) {
                        ok = rc != 0;
                    } else {
                        const levy_json_node *a = rc ? NULL : &doc.nodes[0];
                        ok = a && a->n == (tail >= 3 ? 2u : 1u);
                        for (uint32_t e = 0; ok && e < a->n; e++) {
                            const levy_json_node *v = &doc.nodes[doc.kids[a->at + e]];
                            const char *exp = e ? want2 : want;
                            ok = v->type == LEVY_JSON_STRING && v->n == strlen(exp) &&
                                 memcmp(doc.strs + v->at, exp, v->n) == 0 &&
                                 doc.strs[v->at + v->n] == '\0';
                        }
                    }
                    if (!ok && bad++ < 5)
                        fprintf(stderr, "  doc string %.*s: rc %d %s\n", (int)t, exact, rc,
                                rc ? msg : "");
                    levy_json_doc_free(&doc);
                    free(exact);
                    cases++;
                }
    CHECK_EQ_INT(bad, 0);
    CHECK(cases > 3000);
    /* keys with one filter bit (same length, first and last byte) are told apart, and a
     * repeat is refused however many keys sharing its bit or not came between */
    static const struct {
        const char *text;
        int ok;
    } objs[] = {
        {"{\"axb\":1,\"ayb\":2,\"azb\":3}", 1},
        {"{\"axb\":1,\"ayb\":2,\"axb\":3}", 0},
        {"{\"axb\":1,\"q\":2,\"rr\":3,\"ayb\":4,\"ayb\":5}", 0},
        {"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
         "\"j\":10,\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"a\":18}",
         0},
        {"{\"\":1,\"x\":2,\"\":3}", 0},
        {"{\"\":1,\"x\":2}", 1}};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        levy_json_doc doc = {0};
        char msg[320];
        int rc = levy_json_doc_parse(&doc, objs[i].text, strlen(objs[i].text), msg, sizeof msg);
        CHECK_EQ_INT(rc == 0, objs[i].ok);
        if (!objs[i].ok)
            CHECK(strstr(msg, "duplicate object key") != NULL);
        if (rc == 0) { /* the filter has every key's bit */
            const levy_json_node *o = &doc.nodes[0];
            uint64_t bits = 0;
            for (uint32_t m = 0; m < o->n; m++) {
                const levy_json_node *v = &doc.nodes[doc.kids[o->at + m]];
                bits |= levy_json_key_bit(doc.strs + v->key, v->klen);
            }
            CHECK((uint64_t)o->ival == bits);
        }
        levy_json_doc_free(&doc);
    }
end:;
}

static const levy_test tests[] = {{"scan_numbers", t_scan_numbers},
                                  {"validate", t_validate},
                                  {"decode_values", t_decode_values},
                                  {"decode_errors", t_decode_errors},
                                  {"encode", t_encode},
                                  {"canonical", t_canonical},
                                  {"round_trip", t_round_trip},
                                  {"perf", t_perf},
                                  {"fuzz", t_fuzz},
                                  {"utf8", t_utf8},
                                  {"duplicate_keys", t_duplicate_keys},
                                  {"peek", t_peek},
                                  {"decode_chunks", t_decode_chunks},
                                  {"decoders_agree", t_decoders_agree},
                                  {"decode_reentry", t_decode_reentry},
                                  {"escape_words", t_escape_words},
                                  {"escape_fast", t_escape_fast},
                                  {"doc_string_words", t_doc_string_words},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
