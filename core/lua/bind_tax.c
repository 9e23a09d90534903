/* levy.tax: the Lua face of the tax decision (docs/rules.md section 4). Table <-> struct glue
 * only: reads the decoded /v1/calculate body and its options into a levy_tax_request, hands
 * each rule table's taxability once to the compiler (core/tax/compile.c, through levy_tax_in;
 * cached per rule table: rules are immutable per generation), calls levy_tax_decide
 * (core/tax/calc.c, where sourcing, exemptions, treatments, reverse charge and the error table
 * live), runs a rule's calculate(ctx) in the 'pure' context as the decision's callback, and
 * builds Lua tables from the C writers (the CONTRACT section 2.5 result and ctx in
 * core/tax/calc.c and ctx.c, the other functions' answers in core/tax/info.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "config.h"
#include "json_scan.h"
#include "lctx.h"
#include "tax_stack.h"
#include "tax/build.h"
#include "tax/calc.h"
#include "tax/compile.h"
#include "tax/ctx.h"
#include "tax/dec.h"
#include "tax/engine.h"
#include "tax/info.h"
#include "tax/json_in.h"
#include "tax/keys.h"
#include "tax/nexus.h"
#include "tax/rates.h"
#include "tax/request.h"
#include "tax/territory.h"

/* [-1, +0, -] __gc of the box holding a loaded foreign-seller table (NULL once freed). */
static int foreign_box_gc(lua_State *L)
{
    levy_foreign **box = lua_touserdata(L, 1);
    if (box && *box) {
        levy_foreign_free(*box);
        *box = NULL;
    }
    return 0;
}

/* tax.foreign_thresholds() -> array of {country, threshold, currency, period, scope,
 * effective_from|nil, source} read from <data root>/intl/foreign-seller-thresholds.csv; raises
 * when the file is missing or malformed (the table is shipped data). */
static int tax_foreign_thresholds(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.tax.foreign_thresholds", LEVY_CTX_LOAD | LEVY_CTX_REQUEST);
    const levy_config *cfg = levy_lua_host(L, LEVY_HOST_CONFIG);
    const char *root = (cfg && cfg->data_root[0]) ? cfg->data_root : "data";
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", root, LEVY_FOREIGN_FILE);
    levy_foreign **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "levy.ForeignBox")) {
        lua_pushcfunction(L, foreign_box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    levy_err err;
    levy_err_clear(&err);
    if (levy_foreign_load(box, path, &err) != LEVY_OK)
        return luaL_error(L, "levy.tax.foreign_thresholds: %s", err.message);
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_foreign_write(&lo.o, *box); /* tax/info.h */
    levy_foreign_free(*box);
    *box = NULL;
    return levy_lua_out_end(L);
}

int luaopen_levy_tax(lua_State *L);

/* ------------------------------------------------------------------ the module's state */

/* Upvalue 1 of every levy.tax function (one per Lua state, i.e. per generation; its __gc frees
 * it): the line memory reused across calls, the key cache and the compiled rules
 * (core/tax/build.h, keys.h). Its user value is a table region -> the rule table compiled for
 * it, which keeps the table alive (and its identity unique) while the cache holds its rule. */
typedef struct tax_upv {
    levy_tax_keys keys; /* first: levy_lua_tax_keys (tax_stack.h) */
    levy_tax_line_pool lines;
    levy_tax_rule_cache rules;
} tax_upv;

static tax_upv *upv(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

static int upv_gc(lua_State *L)
{
    tax_upv *u = lua_touserdata(L, 1);
    levy_tax_line_pool_free(&u->lines);
    levy_tax_rule_cache_free(&u->rules);
    return 0;
}

/* One tax.calculate call's hold on line memory (core/tax/build.h: the shared buffer, or memory
 * of its own when a rule's calculate re-enters tax.calculate) as a to-be-closed value on the
 * call's stack, so every exit releases it -- a return, a validation error, a rule that
 * raises, out of memory -- and __gc = __close makes a second release a no-op (liolib /
 * bind_store style: created in the released state first). */
#define LINES_LEASE_MT "levy.tax.lines"
/* levy_lua_push_mt's registry slots (core/lua/lctx.h) */
static const char lease_mt_key = 0, request_mt_key = 0, body_mt_key = 0;

static int lease_close(lua_State *L)
{
    levy_tax_lease_release(luaL_checkudata(L, 1, LINES_LEASE_MT));
    return 0;
}

/* Pushes a to-be-closed lease holding room for nlines lines and returns that room. */
static levy_tax_lines_mem *lease_lines(lua_State *L, int nlines)
{
    levy_tax_line_lease *l = lua_newuserdatauv(L, sizeof *l, 0);
    memset(l, 0, sizeof *l); /* released state first: nothing to free if we raise below */
    levy_lua_push_mt(L, &lease_mt_key, LINES_LEASE_MT);
    lua_setmetatable(L, -2);
    lua_toclose(L, -1);
    levy_tax_lines_mem *use = levy_tax_lease_take(l, &upv(L)->lines, nlines);
    if (!use)
        luaL_error(L, "out of memory");
    return use;
}

/* ------------------------------------------------------------------ rules: table -> struct */

/* The compiled form of the rule table at idx (core/tax/build.h: one per region, kept for the
 * generation; compiled on first use and when the region's table is another one). */
static LEVY_LJMP const levy_tax_rule *compiled_rule(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "levy.tax: compiling a rule");
    tax_upv *u = upv(L);
    const void *src = lua_topointer(L, idx);
    lua_getfield(L, idx, "region"); /* the key (kept on the stack while used) */
    const char *region = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    const levy_tax_rule *r = levy_tax_rule_cache_get(&u->rules, region, src);
    if (r) {
        lua_pop(L, 1);
        return r;
    }
    levy_tax_rule_entry *e = levy_tax_rule_cache_claim(&u->rules, region, src);
    if (!e)
        luaL_error(L, "out of memory");
    lua_getiuservalue(L, lua_upvalueindex(1), 1); /* the tables compiled: src stays alive */
    lua_pushstring(L, region);
    lua_pushvalue(L, idx);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    levy_lua_in li; /* a raise in the compiler leaves it not ready (freed at the next claim) */
    levy_lua_in_begin(&li, L, idx);
    levy_tax_rule_compile(&e->b, &li.in, levy_lua_raise, L); /* tax/compile.h */
    levy_lua_in_end(&li);
    lua_pop(L, 1); /* region */
    levy_tax_rule_cache_ready(e);
    return &e->b.r;
}

/* ------------------------------------------------------------------ regions / subscription */

/* Pushes the rule table for region (opts.rule if its region matches, else levy.rules[region])
 * or nothing; returns its stack index or 0. Also sets *file from levy.rule_files. */
static int push_rule(lua_State *L, int opts, const char *region, const char **file)
{
    *file = NULL;
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.rule_files");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, region);
        if (lua_type(L, -1) == LUA_TSTRING) {
            *file = lua_tostring(L, -1);
            /* keep the string alive: registry table holds it */
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (opts) {
        lua_getfield(L, opts, "rule");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "region");
            int match = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), region) == 0;
            lua_pop(L, 1);
            if (match)
                return lua_gettop(L);
        }
        lua_pop(L, 1);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.rules");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, region);
        lua_remove(L, -2);
        if (lua_istable(L, -1))
            return lua_gettop(L);
        lua_pop(L, 1);
        return 0;
    }
    lua_pop(L, 1);
    return 0;
}

/* One tax.calculate call: what the decision's callbacks need of the Lua side. */
typedef struct call {
    lua_State *L;
    int opts;                  /* stack index of the options table, 0 = none */
    levy_tax_rule_slots rules; /* handle: stack index of the region's rule table, 0 = none */
    const char *date_s;
} call;

/* levy_tax_rule_fn: the region's rule (opts.rule or levy.rules[region]), compiled once. */
static LEVY_LJMP const levy_tax_rule *call_rule(void *ud, const char *region)
{
    call *k = ud;
    int s = levy_tax_rule_slot_add(&k->rules, region); /* tax/build.h */
    if (s < 0)
        return NULL;
    int idx = push_rule(k->L, k->opts, region, &k->rules.file[s]);
    k->rules.handle[s] = idx;
    return idx ? compiled_rule(k->L, idx) : NULL;
}

/* levy_tax_region_on_fn: opts.all_regions, or opts.regions[region] subscribed on date. */
static int call_region_on(void *ud, const char *region, int32_t date)
{
    call *k = ud;
    if (!k->opts)
        return 0;
    levy_lua_in li;
    levy_lua_in_begin(&li, k->L, k->opts);
    int on = levy_tax_read_region_on(&li.in, region, date); /* tax/request.h */
    levy_lua_in_end(&li);
    return on;
}

/* The decision's calculate callback (levy_tax_calculate_fn): builds ctx for group g, calls
 * rule.calculate(ctx) in the pure context and reads the lines back. A failure raises. */
static LEVY_LJMP int run_calculate(void *ud, levy_tax_request *req, levy_tax_decision *d, int g,
                                   levy_err *err)
{
    call *cl = ud;
    lua_State *L = cl->L;
    int s = levy_tax_rule_slot_of(&cl->rules, d->res.group_region[g]);
    int rule = cl->rules.handle[s];
    const char *file = cl->rules.file[s];
    (void)err;
    lua_getfield(L, rule, "calculate");
    int fn = lua_gettop(L);
    levy_lua_out lo;
    levy_lua_out_init(&lo, L, 0);                     /* ctx's arrays are plain tables */
    levy_tax_ctx_write(&lo.o, req, d, g, cl->date_s); /* tax/ctx.h; the Lua reader takes all */
    int ctx = lua_gettop(L);
    /* call in the pure context, with a traceback */
    levy_lctx *prev = levy_lua_ctx(L);
    levy_lctx pure;
    memset(&pure, 0, sizeof pure);
    if (prev)
        pure = *prev;
    pure.kind = LEVY_CTX_PURE;
    pure.plugin = file;
    lua_getglobal(L, "debug");
    int have_tb = 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "traceback");
        lua_remove(L, -2);
        have_tb = lua_isfunction(L, -1);
        if (!have_tb)
            lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }
    int msgh = 0;
    if (have_tb) {
        lua_insert(L, fn);
        msgh = fn;
        fn++;
        ctx++;
    }
    lua_pushvalue(L, fn);
    lua_pushvalue(L, ctx);
    levy_lua_set_ctx(L, &pure);
    int rc = lua_pcall(L, 1, 0, msgh);
    levy_lua_set_ctx(L, prev);
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        luaL_error(L, "%s: calculate(ctx) failed: %s", file ? file : "rule",
                   msg ? msg : "(error object)");
    }
    /* read back (tax/request.h) */
    levy_lua_in li;
    levy_lua_in_begin(&li, L, ctx);
    li.raw = 1; /* what the rule left is read raw: a metatable it set must not run outside the
                 * pure context (a line's __index, its taxes' __len) */
    levy_tax_read_ctx_lines(&li.in, req, g, levy_lua_raise, L);
    getk(L, ctx, K_notes); /* ctx.notes: a plain table (a metatable's code runs outside the
                            * pure context), read by levy_tax_read_ctx_notes */
    if (lua_istable(L, -1) && lua_getmetatable(L, -1))
        luaL_error(L, LEVY_TAX_CTX_NOTES_PLAIN, file ? file : "rule");
    lua_pop(L, 1);
    levy_tax_read_ctx_notes(&li.in, d, file, levy_lua_raise, L);
    levy_lua_in_end(&li);
    /* keep ctx alive (jurisdiction strings) until the result is built: leave it on the stack */
    lua_remove(L, fn);
    if (msgh)
        lua_remove(L, msgh);
    return LEVY_OK;
}

/* ------------------------------------------------------------------ tax.calculate */

/* Pushes nil and the error table {status, code, message, details} of a problem. */
static void push_problem(lua_State *L, const levy_tax_problem *p)
{
    lua_pushnil(L);
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_problem_write(&lo.o, p); /* tax/info.h */
    levy_lua_out_end(L);
}

/* A validation problem found while reading (p->ndetails > 0): pushes it, returns 2. */
static int push_invalid(lua_State *L, levy_tax_problem *p, const char *message)
{
    levy_tax_problem_set(p, LEVY_TAX_ERR_VALIDATION, NULL, message);
    push_problem(L, p);
    return 2;
}

/* Ids come from the one generator (levy_crypto_id, as levy.crypto.id("calc_") in plugins);
 * the CSPRNG cannot fail after start-up, and an id must never repeat, so a failure raises. */
static LEVY_LJMP void new_calc_id(lua_State *L, char *id, size_t n)
{
    levy_err err;
    if (levy_crypto_id("calc_", id, n, &err) != LEVY_OK)
        luaL_error(L, "levy.tax: %s", err.message);
}

static int jsbuf_gc(lua_State *L)
{
    levy_buf_free(lua_touserdata(L, 1));
    return 0;
}

/* Pushes the answer (CONTRACT section 2.5) and returns 1: opts.encode == true, its JSON
 * text (what levy.json.encode writes for the table); opts.encode == "body", the same bytes as
 * a LEVY_BODY_MT userdata (lctx.h: no Lua string of them is made); else -- or when a value
 * needs the table
 * (a generation that is not an integer, a string with a leading NUL) -- the table. Both come
 * from levy_tax_result_write (core/tax/calc.c). The text's buffer lives in a userdata so
 * that a Lua error (out of memory) cannot leak it. */
static int push_result(lua_State *L, int opts, const levy_tax_request *req,
                       const levy_tax_decision *d, const call *k, const char *date_buf)
{
    int top = lua_gettop(L);
    if (opts) {
        lua_getfield(L, opts, "encode");         /* top + 1 */
        lua_getfield(L, opts, "generation");     /* top + 2 */
        lua_getfield(L, opts, "calculation_id"); /* top + 3, kept while its text is used */
    } else {
        lua_settop(L, top + 3);
    }
    int want_body =
        lua_type(L, top + 1) == LUA_TSTRING && strcmp(lua_tostring(L, top + 1), "body") == 0;
    int want_text =
        want_body || (lua_type(L, top + 1) == LUA_TBOOLEAN && lua_toboolean(L, top + 1));
    int has_gen = !lua_isnil(L, top + 2), int_gen = lua_isinteger(L, top + 2);
    long long gen = int_gen ? (long long)lua_tointeger(L, top + 2) : 0;
    const char *id;
    size_t idn;
    char idb[40];
    if (lua_type(L, top + 3) == LUA_TSTRING) {
        id = lua_tolstring(L, top + 3, &idn);
    } else {
        new_calc_id(L, idb, sizeof idb);
        id = idb;
        idn = strlen(idb);
    }
    if (want_text && (int_gen || !has_gen)) {
        levy_buf *b = lua_newuserdatauv(L, sizeof *b, 0); /* top + 4 */
        memset(b, 0, sizeof *b);
        if (!levy_lua_push_mt(L, &body_mt_key, LEVY_BODY_MT)) {
            lua_pop(L, 1);
            luaL_newmetatable(L, LEVY_BODY_MT);
            lua_pushcfunction(L, jsbuf_gc);
            lua_setfield(L, -2, "__gc");
        }
        lua_setmetatable(L, -2);
        if (levy_tax_answer_json(b, req, d, id, idn, date_buf, int_gen ? &gen : NULL,
                                 k->rules.file[0]) == 0) { /* tax/calc.h */
            if (want_body && !b->oom) {                    /* the userdata itself */
                lua_replace(L, top + 1);
                lua_settop(L, top + 1);
                return 1;
            }
            lua_pushlstring(L, b->data, b->len);
            levy_buf_free(b);
            lua_replace(L, top + 1);
            lua_settop(L, top + 1);
            return 1;
        }
        levy_buf_free(b);
        lua_settop(L, top + 3);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt"); /* top + 4 */
    levy_lua_out lo;
    levy_lua_out_init(&lo, L, top + 4);
    /* -1 only for a jurisdiction name of 256 bytes or more, written without its suffix */
    (void)levy_tax_answer_write(&lo.o, req, d, id, idn, date_buf, int_gen ? &gen : NULL,
                                k->rules.file[0]);
    if (has_gen && !int_gen) { /* rules.generation as given */
        lua_getfield(L, -1, "rules");
        lua_pushvalue(L, top + 2);
        lua_setfield(L, -2, "generation");
        lua_pop(L, 1);
    }
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 1;
}

/* levy_tax_product_fn: opts.products[product_id] (a string there), referenced by opts. */
typedef struct products_at {
    lua_State *L;
    int idx; /* opts.products */
} products_at;

static const char *opts_product(void *ud, const char *pid)
{
    products_at *pa = ud;
    const char *code = NULL;
    if (lua_getfield(pa->L, pa->idx, pid) == LUA_TSTRING)
        code = lua_tostring(pa->L, -1);
    lua_pop(pa->L, 1);
    return code;
}

/* ---- a request parsed from its JSON text (issue 21): tax.parse(text) */
#define REQUEST_MT "levy.tax.request"

static int request_gc(lua_State *L)
{
    levy_json_doc *doc = luaL_checkudata(L, 1, REQUEST_MT);
    levy_json_doc_free(doc);
    return 0;
}

/* tax.parse(text) -> request, view | nil, message: the JSON text parsed in C once (the same
 * values and refusals as levy.json.decode, its message word for word), for tax.calculate.
 * view: what plugins/api's build_opts reads of a request -- {customer = {id, tax_id},
 * ship_to = {country}, lines = {{product_id}...}}, the strings only (a value of another
 * type is left out, as build_opts leaves it) -- or false when the text is not an object. */
/* tax.check_rule(rule): compiles the rule table as a calculation would (cached), raising what
 * the rule table itself gets wrong (calculate_for); the loader calls it for every rule. */
static int tax_check_rule(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    compiled_rule(L, 1);
    return 0;
}

static int tax_parse(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    levy_json_doc *doc = lua_newuserdatauv(L, sizeof *doc, 0);
    memset(doc, 0, sizeof *doc);
    levy_lua_push_mt(L, &request_mt_key, REQUEST_MT);
    lua_setmetatable(L, -2);
    char msg[320];
    if (levy_json_doc_parse(doc, s, len, msg, sizeof msg) != 0) {
        levy_json_doc_free(doc);
        luaL_pushfail(L);
        lua_pushstring(L, msg);
        return 2;
    }
    const levy_json_node *root = &doc->nodes[0];
    if (root->type != LEVY_IN_TABLE || root->array) {
        lua_pushboolean(L, 0);
        return 2;
    }
    levy_lua_out lo;
    levy_lua_out_init(&lo, L, 0);                     /* plain tables */
    if (levy_tax_request_view_write(&lo.o, doc) != 0) /* tax/json_in.h */
        return luaL_error(L, "out of memory");
    return 2;
}

/* tax.calculate(request, opts): request a table (a rule's, a plugin's, levy.json's) or a
 * tax.parse result; both read by core/tax/request.c, the first through the Lua stack, the
 * second from the parsed text. */
static int tax_calculate(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    int opts = lua_istable(L, 2) ? 2 : 0;
    lua_settop(L, 2);
    levy_tax_problem p;
    levy_tax_problem_clear(&p);
    levy_json_doc *doc = levy_lua_testudata(L, 1, &request_mt_key, REQUEST_MT);
    if (!doc && !lua_istable(L, 1)) {
        levy_tax_problem_add(&p, -1, "body", "must be a JSON object");
        return push_invalid(L, &p, "request body must be a JSON object");
    }
    /* the reader of the request: the parsed text, or the table */
    levy_json_in ji;
    levy_lua_in li;
    levy_tax_in *in;
    if (doc) {
        levy_json_in_init(&ji, doc);
        in = &ji.in;
    } else {
        lua_getfield(L, 1, "customer"); /* an integer customer.id becomes its string */
        if (lua_istable(L, -1)) {
            getk(L, -1, K_id);
            if (lua_isinteger(L, -1)) {
                lua_tostring(L, -1);
                setk(L, -2, K_id);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
        levy_lua_in_begin(&li, L, 1); /* the table stays on top while it is read */
        in = &li.in;
    }
    levy_tax_request c;
    c.rates = rates;
    levy_tax_request_read_head(&c, in, &p);
    char date_buf[11];
    levy_tax_date_fmt(date_buf, c.date);
    levy_tax_opts_buf ob; /* the records' pointers (on the C stack: no allocation per call) */
    if (opts) {           /* seller, switches, records (tax/request.h); their strings stay opts' */
        char why[128];
        levy_lua_in oi;
        levy_lua_in_begin(&oi, L, opts);
        int bad = levy_tax_read_opts(&oi.in, &c, &ob, why, sizeof why);
        levy_lua_in_end(&oi);
        if (bad)
            return luaL_error(L, "%s", why);
    }
    int nlines = levy_tax_request_count_lines(in, &p);
    if (!doc)
        lua_pop(L, 1); /* the table read: below the lease, read again from its index */
    /* line buffer (upvalue), grown as needed, released by the lease on every exit */
    levy_tax_lines_mem *use = lease_lines(L, nlines);
    c.lines = use->lines;
    c.meta = use->meta;
    c.nlines = nlines;
    int products = 0;
    if (opts) {
        lua_getfield(L, opts, "products");
        if (lua_istable(L, -1))
            products = lua_gettop(L);
    }
    if (!doc)
        levy_lua_in_begin(&li, L, 1);
    products_at pa = {L, products};
    levy_tax_request_read_lines(&c, in, products ? opts_product : NULL, &pa, &p);
    if (!doc)
        levy_lua_in_end(&li);
    if (p.ndetails)
        return push_invalid(L, &p, NULL);
    /* decide */
    call k = {L, opts, {0}, date_buf};
    c.rule_for = call_rule;
    c.region_on = call_region_on;
    c.calculate = run_calculate;
    c.ud = &k;
    levy_tax_decision d;
    levy_err err;
    if (levy_tax_decide(&c, &d, &p, &err) != LEVY_OK) {
        if (p.error == LEVY_TAX_ERR_RULE)
            return luaL_error(L, "%s", p.message); /* the rule's fault: a 500 naming it */
        push_problem(L, &p);
        return 2;
    }
    return push_result(L, opts, &c, &d, &k, date_buf);
}

/* ------------------------------------------------------------------ other functions */

static int tax_tax_codes(lua_State *L)
{
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_codes_write(&lo.o); /* tax/info.h */
    return levy_lua_out_end(L);
}

static int tax_rates_info(lua_State *L)
{
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_rates_info_write(&lo.o, levy_lua_host(L, LEVY_HOST_RATES));
    return levy_lua_out_end(L);
}

/* The regions levy has rules for: levy.rules and levy.rule_files handed to
 * levy_tax_regions_write (sorted and shaped there) in a userdata the GC frees. */
static int tax_regions(lua_State *L)
{
    int n = 0;
    lua_settop(L, 0);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.rules") != LUA_TTABLE)
        n = -1;
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.rule_files"); /* 2 */
    for (lua_pushnil(L); n >= 0 && lua_next(L, 1); lua_pop(L, 1))
        n++;
    levy_tax_region_info *r = lua_newuserdatauv(L, sizeof *r * (size_t)(n > 0 ? n : 1), 0); /* 3 */
    int k = 0;
    for (lua_pushnil(L); n > 0 && lua_next(L, 1); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_istable(L, -1) || k == n)
            continue;
        /* strings borrowed: the rule tables and levy.rule_files hold them */
        const char *code = lua_tostring(L, -2);
        r[k] = (levy_tax_region_info){.code = code};
        static const char *const keys[3] = {"name", "country", "tax_type"};
        const char **at[3] = {&r[k].name, &r[k].country, &r[k].tax_type};
        for (int f = 0; f < 3; f++) {
            if (lua_getfield(L, -1, keys[f]) == LUA_TSTRING)
                *at[f] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
        if (lua_istable(L, 2) && lua_getfield(L, 2, code) == LUA_TSTRING)
            r[k].rule = lua_tostring(L, -1);
        if (lua_istable(L, 2))
            lua_pop(L, 1);
        k++;
    }
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_regions_write(&lo.o, r, k);
    return levy_lua_out_end(L);
}

/* tax.resolve(address[, date]): checked and resolved by levy_tax_resolve_in (tax/info.h), the
 * address read as member "address" of a table made for it (details name "address.*"). */
static int tax_resolve(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    size_t len = 0;
    const char *date = lua_isnoneornil(L, 2) ? NULL : luaL_checklstring(L, 2, &len);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "address");
    levy_tax_problem p;
    levy_tax_resolution res;
    levy_lua_in li;
    levy_lua_in_begin(&li, L, -1);
    int rc = levy_tax_resolve_in(rates, &li.in, date, len, &res, &p);
    levy_lua_in_end(&li);
    if (rc != 0) {
        push_problem(L, &p);
        return 2;
    }
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_resolution_write(&lo.o, rates, &res); /* tax/info.h */
    return levy_lua_out_end(L);
}

/* [-1, +0, -] __gc of the box holding a loaded nexus table (NULL once freed). */
static int nexus_box_gc(lua_State *L)
{
    levy_nexus **box = lua_touserdata(L, 1);
    if (box && *box) {
        levy_nexus_free(*box);
        *box = NULL;
    }
    return 0;
}

/* tax.nexus_thresholds() -> array of {state, sales_threshold, transactions_threshold|nil,
 * combine|nil, period, effective_from|nil, source, marketplace, marketplace_source|nil} read from <data root>/us/economic-nexus.csv;
 * raises when the file is missing or malformed (the table is shipped data). */
static int tax_nexus_thresholds(lua_State *L)
{
    levy_lua_check_ctx(L, "levy.tax.nexus_thresholds", LEVY_CTX_LOAD | LEVY_CTX_REQUEST);
    const levy_config *cfg = levy_lua_host(L, LEVY_HOST_CONFIG);
    const char *root = (cfg && cfg->data_root[0]) ? cfg->data_root : "data";
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", root, LEVY_NEXUS_FILE);
    /* A userdata owns the loaded table while the Lua rows are built, so an out-of-memory
     * error raised in between cannot leak it (STYLE rule 6). */
    levy_nexus **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "levy.NexusBox")) {
        lua_pushcfunction(L, nexus_box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    levy_err err;
    levy_err_clear(&err);
    if (levy_nexus_load(box, path, &err) != LEVY_OK)
        return luaL_error(L, "levy.tax.nexus_thresholds: %s", err.message);
    levy_lua_out lo;
    levy_lua_out_begin(&lo, L);
    levy_tax_nexus_write(&lo.o, *box); /* tax/info.h */
    levy_nexus_free(*box);
    *box = NULL;
    return levy_lua_out_end(L);
}

int luaopen_levy_tax(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"calculate", tax_calculate},
                                     {"parse", tax_parse},
                                     {"check_rule", tax_check_rule},
                                     {"regions", tax_regions},
                                     {"tax_codes", tax_tax_codes},
                                     {"rates_info", tax_rates_info},
                                     {"resolve", tax_resolve},
                                     {"nexus_thresholds", tax_nexus_thresholds},
                                     {"foreign_thresholds", tax_foreign_thresholds},
                                     {NULL, NULL}};
    lua_createtable(L, 0, (int)LEVY_ARRAY_LEN(funcs));
    if (luaL_newmetatable(L, REQUEST_MT)) {
        lua_pushcfunction(L, request_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, LINES_LEASE_MT)) {
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    /* the module's state as upvalue 1, freed by its __gc */
    tax_upv *b = lua_newuserdatauv(L, sizeof *b, 1);
    memset(b, 0, sizeof *b);
    levy_tax_keys_init(&b->keys, levy_tax_key_names, K_N);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, upv_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_newtable(L); /* region -> the rule table compiled for it */
    lua_setiuservalue(L, -2, 1);
    luaL_checkstack(L, K_N + 4, "levy.tax: the key upvalues"); /* more than LUA_MINSTACK */
    for (int k = 0; k < K_N; k++)
        lua_pushstring(L, levy_tax_key_names[k]);
    luaL_setfuncs(L, funcs, 1 + K_N);
    return 1;
}
