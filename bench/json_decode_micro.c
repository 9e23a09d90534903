/* Issue 18 micro-benchmark: levy.json.decode of Rillet bodies, one core, counted by callgrind
 * (instructions are repeatable on a shared machine; wall-clock is not):
 *   valgrind --tool=callgrind --toggle-collect=l_decode build/tests/bench_json_decode_micro N
 *   (Ir inside l_decode / N = instructions per decode; bench/README.md "Issue 18")
 * Bodies: "invoice", the ~2 KB invoice of bench/gen_webhooks.py (what a webhook delivery
 * decodes), and "page", a list page of 50 such invoices ({"data":[...],"pagination":...}, what
 * an import decodes). Usage: bench_json_decode_micro [N] [invoice|page|both]; prints the bodies'
 * sizes and a checksum of what was decoded. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "lctx.h"

int luaopen_levy_json(lua_State *L);

static void invoice(levy_buf *b, int i)
{
    char t[512];
    snprintf(t, sizeof t,
             "{\"id\":\"0000be9c-0000-0000-0000-%012x\",\"customer_id\":\"cust_bench\","
             "\"subsidiary_id\":\"sub_bench\",\"invoice_number\":\"BENCH-%06d\","
             "\"invoice_date\":\"2026-03-01\",\"status\":\"OPEN\",\"currency\":\"USD\",\"items\":[",
             i, i);
    levy_buf_puts(b, t);
    for (int k = 0; k < 6; k++) {
        snprintf(t, sizeof t,
                 "%s{\"id\":\"0000be9d-0000-0000-0000-%012x\",\"description\":\"Item %d\","
                 "\"price\":{\"product_id\":\"prod_bench\",\"quantity\":\"1\","
                 "\"amount_per_unit\":\"%d.00\"},\"total_amount\":{\"amount\":\"%d.00\","
                 "\"currency\":\"USD\"}}",
                 k ? "," : "", i * 16 + k, k, 10 + k, 10 + k);
        levy_buf_puts(b, t);
    }
    levy_buf_puts(b, "],\"memo\":\"");
    for (int k = 0; k < 200; k++)
        levy_buf_putc(b, 'x');
    levy_buf_puts(b, "\",\"updated_at\":\"2026-03-01T00:00:00.000Z\"}");
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    const char *which = argc > 2 ? argv[2] : "both";
    levy_buf inv = {0}, page = {0};
    invoice(&inv, 42);
    levy_buf_puts(&page, "{\"data\":[");
    for (int i = 0; i < 50; i++) {
        if (i)
            levy_buf_putc(&page, ',');
        invoice(&page, i);
    }
    levy_buf_puts(&page, "],\"pagination\":{\"next_cursor\":\"c_50\",\"has_more\":true}}");
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "levy.json", luaopen_levy_json, 0);
    lua_getfield(L, -1, "decode");
    int decode = lua_gettop(L);
    long long sum = 0;
    for (int body = 0; body < 2; body++) {
        levy_buf *b = body ? &page : &inv;
        if (strcmp(which, "both") != 0 && strcmp(which, body ? "page" : "invoice") != 0)
            continue;
        lua_pushlstring(L, b->data, b->len);
        int text = lua_gettop(L);
        for (long i = 0; i < n; i++) {
            lua_pushvalue(L, decode);
            lua_pushvalue(L, text);
            lua_call(L, 1, 1);
            if (!lua_istable(L, -1)) {
                fprintf(stderr, "decode failed\n");
                return 1;
            }
            sum += (long long)lua_rawlen(L, -1);
            lua_pop(L, 1);
            if (i % 64 == 63)
                lua_gc(L, LUA_GCCOLLECT);
        }
        printf("%s: %zu bytes\n", body ? "page" : "invoice", b->len);
        lua_pop(L, 1);
    }
    printf("checksum %lld\n", sum);
    lua_close(L);
    levy_buf_free(&inv);
    levy_buf_free(&page);
    return 0;
}
