#ifndef LEVY_TAX_STACK_H
#define LEVY_TAX_STACK_H
/* The Lua stack as the tax layer's reader and writer (core/lua/tax_stack.c): levy_tax_in
 * (core/tax/compile.h) over Lua values, the one reader through which core/tax reads a request,
 * levy.tax's options, a rule table and what a rule's calculate(ctx) hands back; levy_tax_out
 * (core/tax/calc.h) building Lua tables from the C writers (the answer, ctx, levy.tax's other
 * answers). Table <-> struct glue only, for core/lua/bind_tax.c: no tax semantics here.
 *
 * The functions that use them are levy.tax's (luaopen_levy_tax): upvalue 1 is the module's
 * state, a userdata whose first member is the levy_tax_keys cache over levy_tax_key_names,
 * and upvalues 2.. hold those names as pre-interned Lua strings (KEY_UPVALUE). */
#include <lauxlib.h>
#include <lua.h>

#include "levy.h"
#include "tax/calc.h"
#include "tax/compile.h"
#include "tax/keys.h"

/* The keys levy.tax reads and writes, pre-interned as upvalues (one list: the enum and the
 * names, levy_tax_key_names, come from it). */
#define TAX_KEYS(X)                                                                                \
    X(id), X(amount), X(taxable_amount), X(tax), X(taxability_reason), X(taxes), X(jurisdiction),  \
        X(level), X(type), X(percentage), X(discount), X(quantity), X(tax_code), X(product_id),    \
        X(tax_inclusive), X(currency), X(date), X(tax_id), X(exempt), X(country), X(state),        \
        X(city), X(zip_code), X(taxability), X(default), X(index), X(unit_amount), X(reason),      \
        X(reverse_charge), X(fraction), X(unit_from), X(unit_to), X(region), X(lines),             \
        X(customer), X(seller), X(ship_to), X(calculation_id), X(notes), X(code), X(message),      \
        X(rules), X(generation), X(rates_source), X(region_rule), X(territory), X(name),           \
        X(tax_country), X(treatment), X(total_amount), X(total_tax), X(total_taxable),             \
        X(sourcing), X(calculate), X(exemption_expires), X(exempt_regions), X(customer_type),      \
        X(status), X(source), X(checked_at), X(number), X(jurisdictions), X(authority_code),       \
        X(jurisdiction_note), X(tax_code_parent), X(resolution), X(line1), X(issued), X(expires),  \
        X(ship_from), X(ca_gst_regime), X(rounding), X(all_regions), X(regions), X(subscribed),    \
        X(tax_calculation), X(effective_from), X(certificates)
#define KEY_ENUM(k) K_##k
#define KEY_NAME(k) #k
enum { TAX_KEYS(KEY_ENUM), K_N };
extern const char *const levy_tax_key_names[K_N];
#define KEY_UPVALUE(k) lua_upvalueindex(2 + (k))

/* Field access with pre-interned key strings held as upvalues of every levy.tax function:
 * no luaS_new lookup per access on the hot path. Raw access (request tables are plain). */
static inline void getk(lua_State *L, int tbl, int k)
{
    tbl = lua_absindex(L, tbl);
    lua_pushvalue(L, KEY_UPVALUE(k));
    lua_rawget(L, tbl);
}
static inline void setk(lua_State *L, int tbl, int k)
{
    tbl = lua_absindex(L, tbl);
    lua_pushvalue(L, KEY_UPVALUE(k));
    lua_insert(L, -2);
    lua_rawset(L, tbl);
}

/* The keys cache of the running levy.tax function (upvalue 1's first member). */
static inline levy_tax_keys *levy_lua_tax_keys(lua_State *L)
{
    return (levy_tax_keys *)lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- levy_tax_in over the Lua stack: the value on top is the reader's top */
typedef struct levy_lua_in {
    levy_tax_in in;
    lua_State *L;
    levy_tax_keys *keys; /* a field name -> its pre-interned key */
    int room;            /* values the reader may still push before it checks the stack */
    int raw; /* 1: field reads raw, a metatable never runs (what a rule's calculate(ctx) left:
              * its metatables must not run outside the pure context); 0: as Lua's t[k] */
} levy_lua_in;

void levy_lua_in_init(levy_lua_in *li, lua_State *L);
/* A reader over the value at idx (pushed on top: pop it with levy_lua_in_end). */
static inline void levy_lua_in_begin(levy_lua_in *li, lua_State *L, int idx)
{
    levy_lua_in_init(li, L);
    lua_pushvalue(L, idx);
}
static inline void levy_lua_in_end(levy_lua_in *li) { lua_pop(li->L, 1); }

/* levy_tax_raise_fn (ud: the lua_State): a rule's fault raised as a Lua error. */
LEVY_LJMP void levy_lua_raise(void *ud, const char *msg);

/* ---- levy_tax_out building Lua tables */
#define LUA_OUT_DEPTH 8

typedef struct levy_lua_out {
    levy_tax_out o;
    lua_State *L;
    levy_tax_keys *keys;
    int mt; /* stack index of levy.json's array metatable (nil when levy.json is not loaded) */
    int depth;
    unsigned char array[LUA_OUT_DEPTH];
    int count[LUA_OUT_DEPTH];
} levy_lua_out;

/* A reader that leaves what it is written as one Lua value on top of the stack; mt: the stack
 * index of the arrays' metatable, 0 for none. It raises when out of memory. */
void levy_lua_out_init(levy_lua_out *lo, lua_State *L, int mt);
/* levy_lua_out_init with levy.json's array metatable for the arrays (pushed below the value). */
void levy_lua_out_begin(levy_lua_out *lo, lua_State *L);
/* After levy_lua_out_begin and a writer: leaves the value written on top; returns 1. */
int levy_lua_out_end(lua_State *L);

#endif
