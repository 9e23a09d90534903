/* core/lua/pattern.c: the budgeted string.find/match/gmatch/gsub give the standard library's
 * results (differential test on random patterns and subjects), and a backtracking pattern
 * ends with the budget error instead of running for hours out of the count hook's reach. */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "harness.h"
#include "pattern.h"
#include "vm.h"

static levy_vm *mkvm(uint64_t instr, int time_ms)
{
    levy_vm_limits lim = {0, instr, time_ms};
    levy_vm *vm = NULL;
    if (levy_vm_new(&vm, &lim, NULL) != LEVY_OK)
        return NULL;
    lua_State *L = levy_vm_state(vm);
    luaL_openlibs(L);
    lua_register(L, "pfind", levy_pattern_find);
    lua_register(L, "pmatch", levy_pattern_match);
    lua_register(L, "pgmatch", levy_pattern_gmatch);
    lua_register(L, "pgsub", levy_pattern_gsub);
    return vm;
}

static int run(levy_vm *vm, const char *src, levy_err *err)
{
    lua_State *L = levy_vm_state(vm);
    levy_err_clear(err);
    if (luaL_loadbufferx(L, src, strlen(src), "@t.lua", "t") != LUA_OK) {
        levy_vm_err_from_msg(err, "syntax", lua_tostring(L, -1));
        lua_pop(L, 1);
        return LEVY_EINVAL;
    }
    return levy_vm_pcall(vm, 0, 0, err);
}

/* Random patterns built from every construct of the manual (6.4.1), some malformed, on
 * subjects over a small alphabet so that matches are frequent. Results (values and the
 * fact of an error) must be identical. */
static const char *DIFF =
    "local N = ...\n"
    "math.randomseed(20261206)\n"
    "local R = math.random\n"
    "local SUBJ = { 'a', 'b', 'c', ' ', '(', ')', '.', '%', '-', '_', '1', '9', 'A', 'X', '\\0', "
    "'\\n', 'x', '[', ']' }\n"
    "local TOK = { 'a', 'b', 'c', '.', '%a', '%d', '%s', '%w', '%p', '%A', '%l', '%u', '%x', '%g', "
    "'%c', '%%', '%.',\n"
    "  '[ab]', '[^a]', '[a-c]', '[%a_]', '[]a]', '[^]]', '[%]]', '[a-]', '(', ')', '()', '%b()', "
    "'%f[%a]', '%f[%A]',\n"
    "  '%1', '%2', ' ', '\\0', 'x', '[', '%', '%f', '%b' }\n"
    "local Q = { '', '', '', '*', '+', '-', '?' }\n"
    "local function subject()\n"
    "  local t = {} for i = 1, R(0, 14) do t[i] = SUBJ[R(#SUBJ)] end return table.concat(t)\n"
    "end\n"
    "local function pattern()\n"
    "  local t = {}\n"
    "  if R(4) == 1 then t[#t + 1] = '^' end\n"
    "  for i = 1, R(0, 6) do\n"
    "    local k = TOK[R(#TOK)]\n"
    "    t[#t + 1] = k\n"
    "    if #k == 1 and k ~= '(' and k ~= ')' and k ~= '%' or k:sub(1, 1) == '[' or "
    "k:match('^%%[%a]$') then\n"
    "      t[#t + 1] = Q[R(#Q)]\n"
    "    end\n"
    "  end\n"
    "  if R(4) == 1 then t[#t + 1] = '$' end\n"
    "  return table.concat(t)\n"
    "end\n"
    "local function pack(...) return { n = select('#', ...), ... } end\n"
    "local function same(a, b)\n"
    "  if a.n ~= b.n or a[1] ~= b[1] then return false end\n"
    "  if not a[1] then\n" /* both failed: the messages must agree too */
    "    return tostring(a[2]) == tostring(b[2])\n"
    "  end\n"
    "  for i = 2, a.n do if a[i] ~= b[i] then return false end end\n"
    "  return true\n"
    "end\n"
    "local function show(r) local t = {} for i = 1, r.n do t[i] = string.format('%q', "
    "tostring(r[i])) end return table.concat(t, ', ') end\n"
    "local function gm(f, s, p, init)\n"
    "  local out = {} local it = f(s, p, init)\n"
    "  for i = 1, 50 do local r = pack(it()) if r[1] == nil then break end out[#out + 1] = show(r) "
    "end\n"
    "  return table.concat(out, ' | ')\n"
    "end\n"
    "local REPL = { '<%0>', '%1', '[%2]', '%%', 'z', '%', '%x', function(a, b) return b and a .. b "
    "or nil end,\n"
    "  function(a) if a == 'a' then return false end return '#' end, { a = 'A', b = false, c = 7 "
    "}, 5 }\n"
    "local ok_n, errs = 0, 0\n"
    "for i = 1, N do\n"
    "  local s, p = subject(), pattern()\n"
    "  local init = ({ nil, 1, 2, -1, -3, 0, 20, 3 })[R(8)]\n"
    "  local cases = {\n"
    "    { 'find', pack(pcall(string.find, s, p, init)), pack(pcall(pfind, s, p, init)) },\n"
    "    { 'find plain', pack(pcall(string.find, s, p, init, true)), pack(pcall(pfind, s, p, init, "
    "true)) },\n"
    "    { 'match', pack(pcall(string.match, s, p, init)), pack(pcall(pmatch, s, p, init)) },\n"
    "    { 'gmatch', pack(pcall(gm, string.gmatch, s, p, init)), pack(pcall(gm, pgmatch, s, p, "
    "init)) },\n"
    "  }\n"
    "  local rp, maxn = REPL[R(#REPL)], ({ nil, nil, 1, 2, 0 })[R(5)]\n"
    "  cases[#cases + 1] = { 'gsub', pack(pcall(string.gsub, s, p, rp, maxn)), pack(pcall(pgsub, "
    "s, p, rp, maxn)) }\n"
    "  for _, c in ipairs(cases) do\n"
    "    if not same(c[2], c[3]) then\n"
    "      error(string.format('%s(%q, %q, %s): lua %s, levy %s', c[1], s, p, tostring(init), "
    "show(c[2]), show(c[3])))\n"
    "    end\n"
    "    if c[2][1] then ok_n = ok_n + 1 else errs = errs + 1 end\n"
    "  end\n"
    "end\n"
    "assert(ok_n > N and errs > N / 20, 'the generator covers matches and errors: ' .. ok_n .. ' / "
    "' .. errs)\n";

static void t_same_as_lua(void)
{
    levy_vm *vm = mkvm((uint64_t)1 << 50, 3600 * 1000);
    levy_err err;
    CHECK(vm);
    lua_State *L = levy_vm_state(vm);
    CHECK_EQ_INT(luaL_loadbufferx(L, DIFF, strlen(DIFF), "@diff.lua", "t"), LUA_OK);
    lua_pushinteger(L, getenv("LEVY_UNDER_VALGRIND") ? 2000 : 30000);
    int rc = levy_vm_pcall(vm, 1, 0, &err);
    if (rc != LEVY_OK)
        fprintf(stderr, "  %s\n", err.message);
    CHECK_EQ_INT(rc, LEVY_OK);
    /* a few fixed cases the generator may miss */
    CHECK_EQ_INT(run(vm,
                     "assert(pfind('hello world', 'o w') == 5)\n"
                     "assert(select(3, pfind('key = value', '(%w+)%s*=%s*(%w+)')) == 'key')\n"
                     "assert(pmatch('  trim  ', '^%s*(.-)%s*$') == 'trim')\n"
                     "assert(pmatch('THE (quick) fox', '%f[%a]%a+%f[%A]') == 'THE')\n"
                     "assert(pmatch('x = [[a]]', '%b[]') == '[[a]]')\n"
                     "assert(pmatch('abcabc', '(abc)%1') == 'abc')\n"
                     "assert(pgsub('hello world', '(%w+)', '<%1>') == '<hello> <world>')\n"
                     "assert(pgsub('abc', '', '-') == '-a-b-c-')\n"
                     "assert(select(2, pgsub('abc', '%w', '%0%0')) == 3)\n"
                     "local t = {} for k, v in pgmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t + 1] = k "
                     ".. v end\n"
                     "assert(table.concat(t, ';') == 'a1;b2')\n"
                     "assert(pmatch(('x'):rep(100000) .. 'y', 'x*y') and pfind('a\\0b', '\\0', 1, "
                     "true) == 2)\n"
                     "assert(not pcall(pfind, 'a', '(()'))\n",
                     &err),
                 LEVY_OK);
end:
    levy_vm_free(vm);
}

/* Backtracking runaways (each would run for hours in the standard library) end with the
 * budget error; the instruction cap trips whatever the machine's speed, and the next call
 * runs normally. */
static void t_runaway_trips_budget(void)
{
    static const char *const RUNAWAYS[] = {
        "local s = ('a'):rep(20000); s:find('.-.-b')",
        "local s = ('a'):rep(20000); pfind(s, '.-.-.-b')",
        "local s = ('a'):rep(20000); pmatch(s, '(a*)*b')",
        "local s = ('a'):rep(20000); pgsub(s, 'a*a*a*b', 'x')",
        "local s = ('a'):rep(20000); for x in pgmatch(s, '.-.-b') do end",
        "local s = ('a'):rep(20000); pcall(pfind, s, '.-.-b'); pfind(s, '.-.-b')",
        "local s = ('a'):rep(1000000); pfind(s, ('a'):rep(500000) .. 'b', 1, true)",
        NULL};
    levy_vm *vm = mkvm(2000000, 3600 * 1000); /* 2 M instructions, no time limit in reach */
    levy_err err;
    CHECK(vm);
    lua_State *L = levy_vm_state(vm);
    lua_getglobal(L, "string");
    lua_pushcfunction(L, levy_pattern_find);
    lua_setfield(L, -2, "find"); /* s:find goes through the string table */
    lua_pop(L, 1);
    for (int i = 0; RUNAWAYS[i]; i++) {
        int rc = run(vm, RUNAWAYS[i], &err);
        if (rc == LEVY_OK || strcmp(err.code, "budget") != 0)
            fprintf(stderr, "  runaway #%d: rc=%d code=%s %s\n", i, rc, err.code, err.message);
        CHECK(rc != LEVY_OK);
        CHECK_EQ_STR(err.code, "budget");
        CHECK_EQ_STR(err.message, "instruction budget exceeded (LEVY_LUA_INSTR)");
        CHECK_EQ_INT(run(vm, "assert(pfind(('a'):rep(100) .. 'b', '.-b') == 1)", &err), LEVY_OK);
    }
end:
    levy_vm_free(vm);
}

static const levy_test tests[] = {
    {"same_as_lua", t_same_as_lua},
    {"runaway_trips_budget", t_runaway_trips_budget},
    {NULL, NULL},
};

LEVY_TEST_MAIN(tests)
