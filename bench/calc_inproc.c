/* In-process tax benchmark: rate-table load time and RSS, then calculations per second for
 * a 10-line US invoice at three levels: engine only, resolve + engine, and the full
 * levy.tax calculate() binding (validation, rule treatment, result table).
 * Usage: bench_calc_inproc [DATA_ROOT] [SECONDS] [lua|growth]
 * growth: only levy.tax calculate() for 1, 10, 100 and 1000 lines (bench/growth.sh). */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lctx.h"
#include "tax/dec.h"
#include "tax/engine.h"
#include "tax/rates.h"

int luaopen_levy_tax(lua_State *L);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static const char *bench_lua =
    "local reqs = {}\n"
    "local function mk(nl)\n"
    "  local lines = {}\n"
    "  for i = 1, nl do lines[i] = {id=tostring(i), amount=tostring(100 + i) .. '.25', "
    "quantity='2', tax_code=(i % 3 == 0) and 'saas' or 'general', discount='1.00'} end\n"
    "  reqs[nl] = {currency='USD', date='2026-03-01', customer={id='c1'}, ship_to={line1='1 Main', "
    "city='Austin', state='TX', zip_code='78701', country='US'}, lines=lines}\n"
    "  return reqs[nl]\n"
    "end\n"
    "local opts = {regions={['US-TX']={subscribed=true, tax_calculation=true}}, "
    "calculation_id='calc_bench', generation=1}\n"
    "local calc = tax.calculate\n"
    "return function(n, nl) nl = nl or 10; local req = reqs[nl] or mk(nl); local r for i = 1, n do "
    "r = calc(req, opts) end return r.total_tax end\n";

/* Calls the benchmark function in batches of `batch` for `secs`; returns calculations/s. */
static double run_lua(lua_State *L, int fn, int nlines, int batch, double secs)
{
    long n = 0;
    double s = now(), e;
    do {
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
        lua_pushinteger(L, batch);
        lua_pushinteger(L, nlines);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            return -1;
        }
        lua_pop(L, 1);
        n += batch;
        e = now();
    } while (e - s < secs);
    return (double)n / (e - s);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "data";
    double secs = argc > 2 ? atof(argv[2]) : 1.0;
    levy_rates *r = NULL;
    levy_err err;
    long rss0 = rss_kb();
    double t0 = now();
    if (levy_rates_open(&r, root, NULL, &err) != LEVY_OK) {
        fprintf(stderr, "rates: %s\n", err.message);
        return 1;
    }
    double t1 = now();
    long rss1 = rss_kb();
    printf("rates load: %.1f ms, +%ld KB RSS\n", (t1 - t0) * 1e3, rss1 - rss0);

    int growth = argc > 3 && strcmp(argv[3], "growth") == 0;
    int only_lua = growth || (argc > 3 && strcmp(argv[3], "lua") == 0);
    if (only_lua)
        goto lua;
    /* 1. engine only */
    levy_tax_line lines[10];
    levy_tax_address a = {"US", "TX", "Austin", "78701"};
    levy_tax_resolution res;
    int32_t date = 20260301;
    if (levy_rates_resolve(r, &a, date, &res, &err) != LEVY_OK)
        return 1;
    long n = 0;
    double s = now(), e;
    int64_t sink = 0;
    do {
        for (int k = 0; k < 1000; k++) {
            for (int i = 0; i < 10; i++) {
                lines[i].amount = 10025 + i * 100;
                lines[i].discount = 100;
                lines[i].qty = 2 * LEVY_TAX_QTY_ONE;
                lines[i].inclusive = 0;
                lines[i].n = res.n;
                memcpy(lines[i].e, res.e, sizeof res.e[0] * (size_t)res.n);
            }
            levy_tax_doc d = {2, 0, 10, lines, 0, 0, 0, -1};
            levy_tax_compute(&d, &err);
            sink += d.total_tax;
        }
        n += 1000;
        e = now();
    } while (e - s < secs);
    printf("engine only (10 lines): %.0f calc/s, %.2f us/calc (sink %lld)\n", n / (e - s),
           (e - s) / n * 1e6, (long long)sink);

    /* 2. resolve + engine */
    n = 0;
    s = now();
    do {
        for (int k = 0; k < 1000; k++) {
            levy_rates_resolve(r, &a, date, &res, &err);
            for (int i = 0; i < 10; i++) {
                lines[i].amount = 10025 + i * 100;
                lines[i].discount = 100;
                lines[i].qty = 2 * LEVY_TAX_QTY_ONE;
                lines[i].inclusive = 0;
                lines[i].n = res.n;
                memcpy(lines[i].e, res.e, sizeof res.e[0] * (size_t)res.n);
            }
            levy_tax_doc d = {2, 0, 10, lines, 0, 0, 0, -1};
            levy_tax_compute(&d, &err);
        }
        n += 1000;
        e = now();
    } while (e - s < secs);
    printf("resolve + engine (10 lines): %.0f calc/s, %.2f us/calc\n", n / (e - s),
           (e - s) / n * 1e6);

    /* 3. full binding */
lua:;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (getenv("BENCH_GCGEN"))
        lua_gc(L, LUA_GCGEN, 0, 0);
    levy_lua_set_ctx(L, NULL);
    levy_lua_set_host(L, LEVY_HOST_RATES, r);
    luaL_requiref(L, "levy.tax", luaopen_levy_tax, 0);
    lua_setglobal(L, "tax");
    if (luaL_dostring(L,
                      "return { ['US-TX'] = { region='US-TX', name='Texas', tax_type='SALES_TAX', "
                      "taxability = { default='taxable', saas={fraction='0.80'} } } }") != LUA_OK)
        return 1;
    lua_setfield(L, LUA_REGISTRYINDEX, "levy.rules");
    if (luaL_dostring(L, bench_lua) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        return 1;
    }
    int fn = luaL_ref(L, LUA_REGISTRYINDEX);
    if (growth) {
        static const int sizes[] = {1, 10, 100, 1000};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            int nl = sizes[i];
            if (run_lua(L, fn, nl, nl >= 100 ? 10 : 100, 0.2) < 0) /* warm-up */
                return 1;
            double c = run_lua(L, fn, nl, nl >= 100 ? 10 : 100, secs);
            if (c < 0)
                return 1;
            printf("growth: levy.tax calculate() %d lines: %.0f calc/s, %.2f us/calc\n", nl, c,
                   1e6 / c);
        }
        lua_close(L);
        levy_rates_free(r);
        return 0;
    }
    n = 0;
    s = now();
    const char *total = "";
    do {
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
        lua_pushinteger(L, 1000);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            return 1;
        }
        total = lua_tostring(L, -1);
        lua_pop(L, 1);
        n += 1000;
        e = now();
    } while (e - s < secs);
    printf("levy.tax calculate() (10 lines, TX, SaaS rule): %.0f calc/s, %.2f us/calc\n",
           n / (e - s), (e - s) / n * 1e6);
    double c100 = run_lua(L, fn, 100, 100, secs);
    if (c100 < 0)
        return 1;
    printf("levy.tax calculate() (100 lines, TX, SaaS rule): %.0f calc/s, %.2f us/calc\n", c100,
           1e6 / c100);
    /* 4. same with a rule that defines calculate(ctx) (ctx built and read back) */
    if (luaL_dostring(L,
                      "return { ['US-TX'] = { region='US-TX', name='Texas', tax_type='SALES_TAX', "
                      "taxability = { default='taxable', saas={fraction='0.80'} }, "
                      "calculate = function(ctx) end } }") != LUA_OK)
        return 1;
    lua_setfield(L, LUA_REGISTRYINDEX, "levy.rules");
    n = 0;
    s = now();
    do {
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
        lua_pushinteger(L, 1000);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            return 1;
        }
        lua_pop(L, 1);
        n += 1000;
        e = now();
    } while (e - s < secs);
    printf("levy.tax calculate() with a rule calculate(ctx): %.0f calc/s, %.2f us/calc\n",
           n / (e - s), (e - s) / n * 1e6);
    (void)total;
    lua_close(L);
    levy_rates_free(r);
    return 0;
}
