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
#include "tax/build.h"
#include "tax/calc.h"
#include "tax/compile.h"
#include "tax/ctx.h"
#include "tax/dec.h"
#include "tax/engine.h"
#include "tax/info.h"
#include "tax/nexus.h"
#include "tax/rates.h"
#include "tax/territory.h"

int luaopen_levy_tax(lua_State *L);

/* The keys levy.tax reads and writes, pre-interned as upvalues (one list: the enum and the
 * names come from it). */
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
        X(jurisdiction_note), X(tax_code_parent), X(resolution), X(line1), X(issued), X(expires)
#define KEY_ENUM(k) K_##k
#define KEY_NAME(k) #k
enum { TAX_KEYS(KEY_ENUM), K_N };
static const char *const key_names[K_N] = {TAX_KEYS(KEY_NAME)};
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

/* ------------------------------------------------------------------ validation helpers */

/* Reading a request: failures are details of the problem (core/tax/calc.h). */
typedef struct vctx {
    lua_State *L;
    levy_tax_problem *p;
    int line; /* fields starting with '.' are relative to lines[line] */
    /* read_fields (below) */
    int raise;         /* 1: a failure raises (rule tables, ctx read back), 0: a detail */
    const char *label; /* raise: the %s of a field's message (index > 0: its %d) */
    int index;
    const char *prefix;     /* a detail's field name is prefix + the field's name */
    int exponent;           /* the currency's decimals: a decimal field of scale -1 */
    int required;           /* what a check function may ask (an address that must be there) */
    const char *max_amount; /* the largest amount, as the messages name it */
} vctx;

static void vinit(vctx *v, lua_State *L, levy_tax_problem *p)
{
    memset(v, 0, sizeof *v);
    v->L = L;
    v->p = p;
    v->line = -1;
    v->exponent = 4;
    levy_tax_problem_clear(p);
}

static void vfail(vctx *v, const char *field, const char *msg)
{
    levy_tax_problem_add(v->p, v->line, field, msg);
}

static int absent(lua_State *L, int idx)
{
    int t = lua_type(L, idx);
    return t == LUA_TNIL || (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL);
}

/* Reads an optional string field; returns NULL if absent; reports a non-string. */
static const char *opt_string(vctx *v, int tbl, int key, const char *field, size_t *len)
{
    lua_State *L = v->L;
    getk(L, tbl, key);
    const char *s = NULL;
    if (absent(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
        vfail(v, field,
              lua_type(L, -1) == LUA_TNUMBER ? "must be a string, not a JSON number"
                                             : "must be a string");
        lua_pop(L, 1);
        return NULL;
    }
    s = lua_tolstring(L, -1, len);
    lua_pop(L, 1);               /* the string stays alive: it is referenced by the table */
    if (s[0] == 0 && *len > 0) { /* levy.json number literal ("\0" prefix) */
        vfail(v, field, "must be a string, not a JSON number");
        return NULL;
    }
    return s;
}

/* A decimal string field -> scaled int64 in *out. limit: the largest |value| accepted
 * (scaled), limit_text: how the message names it. Returns 1 if present and valid, 0 if
 * absent, -1 if invalid (reported on `field`). */
static int opt_decimal(vctx *v, int tbl, int key, const char *field, int max_scale, int scale,
                       int allow_neg, int64_t limit, const char *limit_text, int64_t *out)
{
    lua_State *L = v->L;
    getk(L, tbl, key);
    int t = lua_type(L, -1);
    if (absent(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (t != LUA_TSTRING) {
        vfail(v, field,
              t == LUA_TNUMBER ? "must be a decimal string (e.g. \"12.34\"), not a JSON number"
                               : "must be a decimal string");
        lua_pop(L, 1);
        return -1;
    }
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    lua_pop(L, 1);
    if (len > 0 && s[0] == 0) {
        vfail(v, field, "must be a decimal string (e.g. \"12.34\"), not a JSON number");
        return -1;
    }
    return levy_tax_decimal_field(s, len, v->line, field, max_scale, scale, allow_neg, limit,
                                  limit_text, out, v->p);
}

static int opt_bool(vctx *v, int tbl, int key, const char *field, int dflt)
{
    lua_State *L = v->L;
    getk(L, tbl, key);
    int r = dflt;
    if (!absent(L, -1)) {
        if (lua_type(L, -1) == LUA_TBOOLEAN)
            r = lua_toboolean(L, -1);
        else
            vfail(v, field, "must be true or false");
    }
    lua_pop(L, 1);
    return r;
}

/* ------------------------------------------------------------------ the field reader */

/* One reader of Lua tables into C structs, for the request (its body and options), a rule
 * table when it is compiled and ctx when a rule's calculate(ctx) hands it back: a table of
 * field descriptors, each {key, type, flags, offset, ...}, read in order. A failure is a
 * detail of the problem (v->raise == 0: the request; the name of the detail is v->prefix +
 * the field's name, relative to lines[v->line] when it starts with '.') or raises the field's
 * message (v->raise: a rule's fault; %s in it is v->label). */
enum {
    FT_STR,  /* const char *: a string (report: not a JSON number) */
    FT_BOOL, /* int: true / false (F_LAX: any value, as Lua's truth) */
    FT_DEC,  /* int64_t: a decimal string, scaled by `scale` decimals (-1: the currency's) */
    FT_ENUM, /* int: a name `from` knows (from(NULL) for an absent one) */
    FT_DATE, /* int32_t: YYYY-MM-DD */
    FT_FUNC  /* int: 1 when a function is there */
};
#define F_REQ 1  /* absent is a failure (report: `msg` is the detail) */
#define F_LAX 2  /* a value of another type is as absent (stored records, a rule's names) */
#define F_NEG 4  /* FT_DEC: may be negative */
#define F_FULL 8 /* FT_STR: an empty string is as absent */

struct field;
/* A field's own check, called with the string read (NULL when absent or refused). */
typedef void (*field_check)(vctx *v, const struct field *f, void *out, const char *name,
                            const char *s, size_t len);

typedef struct field {
    unsigned char key, type, flags;
    signed char scale;
    unsigned short at; /* offsetof the value in the struct read */
    const char *name;  /* how a detail names it */
    const char *msg;   /* report: the detail when it is absent (F_REQ); raise: the failure */
    field_check check; /* FT_STR: instead of storing the string */
    int (*from)(const char *); /* FT_ENUM */
    int64_t dflt;              /* FT_DEC, FT_BOOL, FT_ENUM: the value when absent (F_LAX: or bad) */
    int64_t limit;             /* FT_DEC (report): the largest |value|, scaled */
    const char *limit_text;    /* how the messages name it (NULL: v->max_amount) */
} field;

#define AT(type, member) ((unsigned short)offsetof(type, member))
#define OUT(out, f, type) ((type *)((char *)(out) + (f)->at))

static LEVY_LJMP void field_fail(vctx *v, const field *f, const char *name, const char *msg)
{
    if (v->raise) {
        char label[96]; /* formatted only here: with index > 0 the label holds its %d */
        if (v->index > 0)
            snprintf(label, sizeof label, v->label, v->index);
        else
            snprintf(label, sizeof label, "%s", v->label ? v->label : "");
        luaL_error(v->L, f->msg, label);
    }
    vfail(v, name, msg);
}

/* Reads the n fields fs of the table at tbl into out; got[i] (when not NULL): 1 read, 0 absent,
 * -1 refused. */
static LEVY_LJMP void read_fields(vctx *v, int tbl, const field *fs, int n, void *out,
                                  signed char *got)
{
    lua_State *L = v->L;
    tbl = lua_absindex(L, tbl);
    for (int i = 0; i < n; i++) {
        const field *f = &fs[i];
        char nb[64];
        const char *name = f->name;
        if (v->prefix && name) { /* prefix + name, cut to nb (names are short) */
            size_t a = strlen(v->prefix), b = strlen(name);
            a = a < sizeof nb - 1 ? a : sizeof nb - 1;
            b = b < sizeof nb - 1 - a ? b : sizeof nb - 1 - a;
            memcpy(nb, v->prefix, a);
            memcpy(nb + a, name, b);
            nb[a + b] = '\0';
            name = nb;
        }
        int st = 0, lax = f->flags & F_LAX;
        if (f->type == FT_STR && !v->raise && !lax) { /* the request's strings */
            size_t len = 0;
            int before = v->p->ndetails;
            const char *sv = opt_string(v, tbl, f->key, name, &len);
            st = sv ? 1 : v->p->ndetails != before ? -1 : 0;
            if (sv && (f->flags & F_FULL) && !sv[0])
                sv = NULL;
            if (st == 0 && (f->flags & F_REQ))
                vfail(v, name, f->msg);
            if (f->check)
                f->check(v, f, out, name, sv, len);
            else
                *OUT(out, f, const char *) = sv;
        } else if (f->type == FT_DEC && !v->raise) { /* the request's amounts */
            int scale = f->scale < 0 ? v->exponent : f->scale;
            int64_t *o = OUT(out, f, int64_t);
            *o = f->dflt;
            st = opt_decimal(v, tbl, f->key, name, scale, scale, (f->flags & F_NEG) != 0, f->limit,
                             f->limit_text ? f->limit_text : v->max_amount, o);
            if (st == 0 && (f->flags & F_REQ))
                vfail(v, name, f->msg);
        } else if (f->type == FT_BOOL && !lax) {
            *OUT(out, f, int) = opt_bool(v, tbl, f->key, name, (int)f->dflt);
        } else {
            if (v->raise) { /* a rule's tables: through their metatables, as Lua reads them */
                lua_pushvalue(L, KEY_UPVALUE(f->key));
                lua_gettable(L, tbl);
            } else {
                getk(L, tbl, f->key);
            }
            int t = lua_type(L, -1);
            int there = !absent(L, -1);
            size_t len = 0;
            const char *sv = t == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
            if (sv && (f->flags & F_FULL) && !len)
                sv = NULL, there = 0;
            switch (f->type) {
            case FT_STR: /* raise or lax: another type is refused, or as absent */
                if (there && !sv && !lax)
                    field_fail(v, f, name, "must be a string");
                if (!sv && (f->flags & F_REQ) && !lax)
                    field_fail(v, f, name, f->msg);
                if (f->check)
                    f->check(v, f, out, name, sv, len);
                else
                    *OUT(out, f, const char *) = sv;
                break;
            case FT_BOOL: /* lax: Lua's truth */
                *OUT(out, f, int) = t != LUA_TNIL ? lua_toboolean(L, -1) : (int)f->dflt;
                break;
            case FT_DEC: { /* raise: a rule's decimals */
                int scale = f->scale < 0 ? v->exponent : f->scale;
                int64_t *o = OUT(out, f, int64_t);
                *o = f->dflt;
                if (there || (f->flags & F_REQ)) {
                    if (!sv || levy_tax_dec_parse(sv, len, scale, scale, 0, o))
                        field_fail(v, f, name, "must be a decimal string");
                }
                break;
            }
            case FT_ENUM: {
                int e = f->from(sv);
                if (e < 0 && !(f->flags & F_REQ) && (lax || !there))
                    e = (int)f->dflt;
                else if (e < 0)
                    field_fail(v, f, name, "is not a known value");
                *OUT(out, f, int) = e;
                break;
            }
            case FT_DATE: {
                int32_t *o = OUT(out, f, int32_t);
                if (!sv || levy_tax_date_parse(sv, len, o) != 0)
                    *o = 0;
                break;
            }
            case FT_FUNC:
                *OUT(out, f, int) = lua_isfunction(L, -1);
                break;
            }
            st = there;
            lua_pop(L, 1); /* a string read stays alive: the table references it */
        }
        if (got)
            got[i] = (signed char)st;
    }
}

/* ---- the fields of the request and its options */

static void check_country(vctx *v, const field *f, void *out, const char *name, const char *s,
                          size_t len)
{
    (void)f;
    levy_tax_addr_country(out, name, s, len, v->p);
}

static void check_state(vctx *v, const field *f, void *out, const char *name, const char *s,
                        size_t len)
{
    (void)f;
    levy_tax_addr_state(out, name, s, len, v->p);
}

static void check_zip(vctx *v, const field *f, void *out, const char *name, const char *s,
                      size_t len)
{
    (void)f;
    (void)len;
    levy_tax_addr_zip(out, name, s, v->required, v->p);
}

static void check_customer_type(vctx *v, const field *f, void *out, const char *name, const char *s,
                                size_t len)
{
    (void)name;
    (void)len;
    /* the request's type is checked; a stored record's unknown value does not say */
    *OUT(out, f, int) = levy_tax_customer_type_field(s, (f->flags & F_LAX) ? NULL : v->p);
}

static const field address_fields[] = {
    {K_country, FT_STR, .name = ".country", .check = check_country},
    {K_state, FT_STR, .name = ".state", .check = check_state},
    {K_city, FT_STR, .at = AT(levy_tax_addr, city), .name = ".city"},
    {K_zip_code, FT_STR, .name = ".zip_code", .check = check_zip},
    /* address precision: the street line of SST address records (core/tax/boundary.c) */
    {K_line1, FT_STR, F_LAX, .at = AT(levy_tax_addr, line1)},
};

static void read_address(vctx *v, int tbl, const char *name, levy_tax_addr *a, int required)
{
    lua_State *L = v->L;
    memset(a, 0, sizeof *a);
    lua_getfield(L, tbl, name);
    if (absent(L, -1)) {
        if (required)
            vfail(v, name, "is required");
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1)) {
        vfail(v, name, "must be an object");
        lua_pop(L, 1);
        return;
    }
    vctx av = *v;
    av.prefix = name;
    av.required = required;
    read_fields(&av, -1, address_fields, (int)LEVY_ARRAY_LEN(address_fields), a, NULL);
    lua_pop(L, 1);
}

static void check_currency(vctx *v, const field *f, void *out, const char *name, const char *s,
                           size_t len)
{
    (void)f;
    if (s && levy_tax_request_currency(out, s, len) != 0)
        vfail(v, name, "is not a known ISO 4217 currency code");
}

static void check_date(vctx *v, const field *f, void *out, const char *name, const char *s,
                       size_t len)
{
    levy_tax_request *c = out;
    (void)f;
    if (!s)
        c->date = levy_tax_today();
    else if (levy_tax_date_parse(s, len, &c->date) != 0)
        vfail(v, name, "must be a date YYYY-MM-DD");
}

/* the request body's own fields (the addresses, the customer and the lines below) */
static const field request_fields[] = {
    {K_currency, FT_STR, .flags = F_REQ, .name = "currency", .msg = "is required (ISO 4217 code)",
     .check = check_currency},
    {K_date, FT_STR, .name = "date", .check = check_date},
};

static const field customer_fields[] = {
    {K_id, FT_STR, .at = AT(levy_tax_request, customer_id), .name = "customer.id"},
    {K_tax_id, FT_STR, .flags = F_FULL, .at = AT(levy_tax_request, tax_id),
     .name = "customer.tax_id"},
    {K_exempt, FT_BOOL, .at = AT(levy_tax_request, customer_exempt), .name = "customer.exempt"},
    {K_type, FT_STR, .at = AT(levy_tax_request, customer_type), .name = "customer.type",
     .check = check_customer_type},
};

/* a line's amounts (read in this order: levy_tax_check_line takes their outcomes) */
static const field line_fields[] = {
    {K_amount, FT_DEC, .flags = F_REQ | F_NEG, .scale = -1, .at = AT(levy_tax_line, amount),
     .name = ".amount", .msg = "is required (a decimal string)", .limit = LEVY_TAX_MAX_MINOR},
    {K_discount, FT_DEC, .scale = -1, .at = AT(levy_tax_line, discount), .name = ".discount",
     .limit = LEVY_TAX_MAX_MINOR},
    {K_quantity, FT_DEC, .flags = F_NEG, .scale = 6, .at = AT(levy_tax_line, qty),
     .name = ".quantity", .dflt = LEVY_TAX_QTY_ONE, .limit = LEVY_TAX_MAX_QTY,
     .limit_text = "1000000000 with 6 decimals"},
};

/* then the rest of the line */
typedef struct line_rest {
    int inclusive;
    const char *product_id, *tax_code;
} line_rest;

static const field line_rest_fields[] = {
    {K_tax_inclusive, FT_BOOL, .at = AT(line_rest, inclusive), .name = ".tax_inclusive"},
    {K_product_id, FT_STR, .at = AT(line_rest, product_id), .name = ".product_id"},
    {K_tax_code, FT_STR, .at = AT(line_rest, tax_code), .name = ".tax_code"},
};

/* ------------------------------------------------------------------ line memory */

/* Buffer of lines reused across calls (upvalue 1): avoids allocation on the hot path. */
/* The C writers' keys (string literals, calc.h) by address -> key_names index (-1: not
 * there), direct-mapped, filled on first use: lua_out_key pushes the pre-interned upvalue. */
#define KEY_CACHE 256 /* 2^8: the hash in lua_out_key */

typedef struct key_cache {
    const char *at[KEY_CACHE];
    short k[KEY_CACHE];
} key_cache;

typedef struct line_buf {
    int cap;
    int busy; /* claimed by a running tax.calculate (a lease below) */
    levy_tax_line *lines;
    levy_tax_line_meta *meta;
} line_buf;

/* Upvalue 1 of every levy.tax function: the shared line buffer (first: a line_buf * to it is a
 * pointer to this) and the key cache. */
typedef struct tax_upv {
    line_buf lines;
    key_cache keys;
} tax_upv;

static void linebuf_free(line_buf *b)
{
    free(b->lines);
    free(b->meta);
    b->lines = NULL;
    b->meta = NULL;
    b->cap = 0;
}

static int linebuf_gc(lua_State *L)
{
    linebuf_free(lua_touserdata(L, 1));
    return 0;
}

/* One tax.calculate call's hold on line memory: the shared buffer (marked busy while held)
 * or, when a rule's calculate re-enters tax.calculate, memory of its own. It is a
 * to-be-closed value on the call's stack, so every exit releases it -- a return, a
 * validation error, a rule that raises, out of memory -- and __gc = __close makes a second
 * release a no-op (liolib / bind_store style: created in the released state first). */
#define LINES_LEASE_MT "levy.tax.lines"

typedef struct line_lease {
    line_buf *shared; /* the upvalue buffer this call marked busy, or NULL */
    line_buf own;     /* a re-entered call's private lines */
} line_lease;

static int lease_close(lua_State *L)
{
    line_lease *l = luaL_checkudata(L, 1, LINES_LEASE_MT);
    if (l->shared) {
        l->shared->busy = 0;
        l->shared = NULL;
    }
    linebuf_free(&l->own);
    return 0;
}

/* Pushes a to-be-closed lease holding room for nlines lines and returns that room. */
static line_buf *lease_lines(lua_State *L, line_buf *shared, int nlines)
{
    line_lease *l = lua_newuserdatauv(L, sizeof *l, 0);
    memset(l, 0, sizeof *l); /* released state first: nothing to free if we raise below */
    luaL_setmetatable(L, LINES_LEASE_MT);
    lua_toclose(L, -1);
    line_buf *use = &l->own;
    if (!shared->busy) {
        shared->busy = 1;
        l->shared = shared;
        use = shared;
    }
    if (levy_tax_lines_reserve(&use->lines, &use->meta, &use->cap, nlines) != 0)
        luaL_error(L, "out of memory");
    return use;
}

/* ------------------------------------------------------------------ rules: table -> struct */

/* A compiled rule (core/tax/build.h) in a userdata; its uservalue is the rule table (its region
 * string is borrowed; the compiled taxability owns its texts). Cached in the registry table
 * "levy.tax.compiled" (weak keys: rule table -> userdata). */
#define RULE_MT "levy.tax.rule"

typedef levy_tax_rule_build crule; /* core/tax/build.h */

static int crule_gc(lua_State *L)
{
    levy_tax_rule_build_free(lua_touserdata(L, 1));
    return 0;
}

/* The Lua stack as levy_tax_in (core/tax/compile.h): a rule's taxability handed to the
 * compiler value by value, read as Lua reads it. */
typedef struct lua_in {
    levy_tax_in in;
    lua_State *L;
} lua_in;

static int lin_type(levy_tax_in *in)
{
    switch (lua_type(((lua_in *)in)->L, -1)) {
    case LUA_TNIL:
        return LEVY_IN_NIL;
    case LUA_TSTRING:
        return LEVY_IN_STRING;
    case LUA_TNUMBER:
        return LEVY_IN_NUMBER;
    case LUA_TTABLE:
        return LEVY_IN_TABLE;
    default:
        return LEVY_IN_OTHER;
    }
}

static int lin_field(levy_tax_in *in, const char *name)
{
    lua_State *L = ((lua_in *)in)->L;
    luaL_checkstack(L, 4, "levy.tax: rule taxability nested too deep");
    lua_getfield(L, -1, name);
    return lin_type(in);
}

static int lin_item(levy_tax_in *in, long long i)
{
    lua_State *L = ((lua_in *)in)->L;
    luaL_checkstack(L, 4, "levy.tax: rule taxability nested too deep");
    lua_rawgeti(L, -1, (lua_Integer)i);
    return lin_type(in);
}

static long long lin_len(levy_tax_in *in, int raw)
{
    lua_State *L = ((lua_in *)in)->L;
    return raw ? (long long)lua_rawlen(L, -1) : (long long)luaL_len(L, -1);
}

static const char *lin_text(levy_tax_in *in, size_t *len)
{
    lua_State *L = ((lua_in *)in)->L;
    int t = lua_type(L, -1);
    return t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tolstring(L, -1, len) : NULL;
}

static void lin_pop(levy_tax_in *in) { lua_pop(((lua_in *)in)->L, 1); }

/* A rule table's own fields (its taxability is compiled below): names a rule may leave out
 * or misspell are as absent (region "", sourcing destination), except reverse_charge. */
static const field rule_name_fields[] = {
    {K_region, FT_STR, .flags = F_LAX, .at = AT(levy_tax_rule, region)},
    {K_sourcing, FT_ENUM, .flags = F_LAX, .at = AT(levy_tax_rule, sourcing),
     .from = levy_tax_sourcing_from, .dflt = LEVY_SOURCING_DESTINATION},
    {K_reverse_charge, FT_ENUM, .at = AT(levy_tax_rule, reverse_charge),
     .msg = "rule %s: reverse_charge must be \"b2b_foreign_seller\" or \"b2b_simplified_regime\" "
            "(docs/rules.md)",
     .from = levy_tax_reverse_charge_from},
    {K_calculate, FT_FUNC, .at = AT(levy_tax_rule, has_calculate)},
};

/* Pushes the compiled form of the rule table at idx (compiling it on first use). */
static LEVY_LJMP const levy_tax_rule *compiled_rule(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 8, "levy.tax: compiling a rule");
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.tax.compiled") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "levy.tax.compiled");
    }
    int cache = lua_gettop(L);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, cache) == LUA_TUSERDATA) {
        crule *c = lua_touserdata(L, -1);
        lua_pop(L, 2);
        return &c->r;
    }
    lua_pop(L, 1);
    crule *c = lua_newuserdatauv(L, sizeof *c, 1);
    memset(c, 0, sizeof *c); /* nothing to free if we raise below */
    if (luaL_newmetatable(L, RULE_MT)) {
        lua_pushcfunction(L, crule_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    int ci = lua_gettop(L);
    lua_pushvalue(L, idx);
    lua_setiuservalue(L, ci, 1);
    vctx rv = {.L = L, .raise = 1};
    read_fields(&rv, idx, rule_name_fields, 1, &c->r, NULL);
    if (!c->r.region)
        c->r.region = "";
    rv.label = c->r.region;
    read_fields(&rv, idx, rule_name_fields + 1, (int)LEVY_ARRAY_LEN(rule_name_fields) - 1, &c->r,
                NULL);
    if (lua_getfield(L, idx, "taxability") == LUA_TTABLE) { /* each row compiled in C */
        int tx = lua_gettop(L);
        lua_in in = {{lin_type, lin_field, lin_item, lin_len, lin_text, lin_pop}, L};
        lua_pushnil(L);
        while (lua_next(L, tx)) {
            if (lua_type(L, -2) == LUA_TSTRING && !lua_isnil(L, -1)) {
                size_t n;
                const char *code = lua_tolstring(L, -2, &n);
                if (levy_tax_rule_add_code(c, &in.in, code, n) != 0)
                    luaL_error(L, "out of memory"); /* what was built is the userdata's (__gc) */
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, ci);
    lua_rawset(L, cache);
    lua_pop(L, 2); /* userdata (held by the cache), cache */
    return &c->r;
}

/* ------------------------------------------------------------------ Lua tables from C writers */

/* The reader of the C writers (calc.h levy_tax_out) that builds Lua tables: the answer
 * (levy_tax_result_write: the table and the JSON text are shaped by one writer; its arrays
 * carry levy.json's array metatable, they encode as [] when empty) and ctx
 * (levy_tax_ctx_write, plain tables). */
#define LUA_OUT_DEPTH 8

typedef struct lua_out {
    levy_tax_out o;
    lua_State *L;
    key_cache *keys;
    int mt; /* stack index of levy.json's array metatable (nil when levy.json is not loaded) */
    int depth;
    unsigned char array[LUA_OUT_DEPTH];
    int count[LUA_OUT_DEPTH];
} lua_out;

/* The value on top goes into its container: after the key in an object, next in an array. */
static void lua_out_put(lua_out *lo)
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
    lua_out *lo = (lua_out *)o;
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
    lua_out *lo = (lua_out *)o;
    (void)array;
    lo->depth--;
    lua_out_put(lo);
}

/* Keys are the writer's string literals (calc.h): found by address in the module's cache,
 * pushed as the pre-interned upvalue; a key not in key_names is pushed as a string. */
static void lua_out_key(levy_tax_out *o, const char *k, int first)
{
    lua_out *lo = (lua_out *)o;
    key_cache *c = lo->keys;
    if (first & LEVY_TAX_KEY_TEXT) { /* not a literal: not kept by its address */
        lua_pushstring(lo->L, k);
        return;
    }
    unsigned h = (unsigned)(((uint64_t)(uintptr_t)k * 0x9E3779B97F4A7C15ull) >> 56); /* 8 bits */
    while (c->at[h] && c->at[h] != k) /* open addressing: never full (the writers use < 128 keys) */
        h = (h + 1) % KEY_CACHE;
    if (!c->at[h]) { /* first use: look it up by name */
        int kk = -1;
        for (int i = 0; i < K_N && kk < 0; i++)
            if (strcmp(key_names[i], k) == 0)
                kk = i;
        c->at[h] = k;
        c->k[h] = (short)kk;
    }
    if (c->k[h] >= 0)
        lua_pushvalue(lo->L, KEY_UPVALUE(c->k[h]));
    else
        lua_pushstring(lo->L, k);
}

static int lua_out_str(levy_tax_out *o, const char *s, size_t n)
{
    lua_out *lo = (lua_out *)o;
    if (n == LEVY_TAX_CSTR)
        lua_pushstring(lo->L, s); /* found by address in Lua's C-string cache */
    else
        lua_pushlstring(lo->L, s, n);
    lua_out_put(lo);
    return 0;
}

static void lua_out_num(levy_tax_out *o, long long v)
{
    lua_out *lo = (lua_out *)o;
    lua_pushinteger(lo->L, (lua_Integer)v);
    lua_out_put(lo);
}

static void lua_out_bool(levy_tax_out *o, int v)
{
    lua_out *lo = (lua_out *)o;
    lua_pushboolean(lo->L, v);
    lua_out_put(lo);
}

static void lua_out_null(levy_tax_out *o)
{
    lua_out *lo = (lua_out *)o;
    lua_pushlightuserdata(lo->L, NULL); /* json.null */
    lua_out_put(lo);
}

/* A reader that leaves what it is written as one Lua value on top of the stack; mt: the stack
 * index of the arrays' metatable, 0 for none. Called inside a levy.tax function (the key
 * upvalues); it raises when out of memory. */
static void lua_out_init(lua_out *lo, lua_State *L, int mt)
{
    memset(lo, 0, sizeof *lo);
    lo->o = (levy_tax_out){lua_out_open, lua_out_close, lua_out_key, lua_out_str,
                           lua_out_num,  lua_out_bool,  lua_out_null};
    lo->L = L;
    lo->keys = &((tax_upv *)lua_touserdata(L, lua_upvalueindex(1)))->keys;
    lo->mt = mt;
    luaL_checkstack(L, 2 * LUA_OUT_DEPTH + 4, "levy.tax: a result");
}

/* lua_out_init with levy.json's array metatable for the arrays (pushed below the value). */
static void lua_out_begin(lua_out *lo, lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt");
    lua_out_init(lo, L, lua_gettop(L));
}

/* After lua_out_begin and a writer: leaves the value written on top; returns 1. */
static int lua_out_end(lua_State *L)
{
    lua_remove(L, -2);
    return 1;
}

/* ------------------------------------------------------------------ regions / subscription */

static int region_on(lua_State *L, int opts, const char *code, int32_t date)
{
    if (!opts)
        return 0;
    lua_getfield(L, opts, "all_regions");
    int all = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (all)
        return 1;
    lua_getfield(L, opts, "regions");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_getfield(L, -1, code);
    int on = 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "subscribed");
        lua_getfield(L, -2, "tax_calculation");
        lua_getfield(L, -3, "effective_from");
        size_t len = 0;
        const char *from = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
        on = levy_tax_subscription_on(
            lua_toboolean(L, -3), lua_isnil(L, -2) ? -1 : lua_toboolean(L, -2), from, len, date);
        lua_pop(L, 3);
    }
    lua_pop(L, 2);
    return on;
}

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
    int opts; /* stack index of the options table, 0 = none */
    int nslots;
    char region[2][8]; /* the regions whose rule was asked for */
    int rule_idx[2];   /* stack index of the region's rule table, 0 = none */
    const char *file[2];
    const char *date_s;
} call;

static int call_slot(const call *k, const char *region)
{
    for (int s = 0; s < k->nslots; s++)
        if (strcmp(k->region[s], region) == 0)
            return s;
    return 0;
}

/* levy_tax_rule_fn: the region's rule (opts.rule or levy.rules[region]), compiled once. */
static LEVY_LJMP const levy_tax_rule *call_rule(void *ud, const char *region)
{
    call *k = ud;
    if (k->nslots == 2)
        return NULL;
    int s = k->nslots++;
    snprintf(k->region[s], sizeof k->region[s], "%s", region);
    k->rule_idx[s] = push_rule(k->L, k->opts, region, &k->file[s]);
    return k->rule_idx[s] ? compiled_rule(k->L, k->rule_idx[s]) : NULL;
}

/* levy_tax_region_on_fn: opts.all_regions, or opts.regions[region] subscribed on date. */
static int call_region_on(void *ud, const char *region, int32_t date)
{
    call *k = ud;
    return region_on(k->L, k->opts, region, date);
}

/* A tax of ctx.lines[i].taxes as calculate(ctx) hands it back (a failure is the rule's: it
 * raises, naming the tax). */
typedef struct ctx_tax {
    const char *name, *title;
    int level, type;
    int64_t rate, fraction, unit_from, unit_to;
} ctx_tax;

static const field ctx_tax_fields[] = {
    {K_jurisdiction, FT_STR, .flags = F_REQ, .at = AT(ctx_tax, name),
     .msg = "%s.jurisdiction must be a string"},
    {K_name, FT_STR, .at = AT(ctx_tax, title), .msg = "%s.name must be a string"},
    {K_level, FT_ENUM, .flags = F_REQ, .at = AT(ctx_tax, level), .msg = "%s: bad level or type",
     .from = levy_tax_level_from, .dflt = -1},
    {K_type, FT_ENUM, .flags = F_REQ, .at = AT(ctx_tax, type), .msg = "%s: bad level or type",
     .from = levy_tax_type_from, .dflt = -1},
    {K_percentage, FT_DEC, .flags = F_REQ, .scale = 6, .at = AT(ctx_tax, rate),
     .msg = "rule taxability: taxes[].percentage must be a decimal string"},
    {K_fraction, FT_DEC, .scale = 8, .at = AT(ctx_tax, fraction),
     .msg = "rule taxability: taxes[].fraction must be a decimal string",
     .dflt = LEVY_TAX_RATE_ONE},
    {K_unit_from, FT_DEC, .scale = -1, .at = AT(ctx_tax, unit_from),
     .msg = "rule taxability: unit_from must be a decimal string", .dflt = -1},
    {K_unit_to, FT_DEC, .scale = -1, .at = AT(ctx_tax, unit_to),
     .msg = "rule taxability: unit_to must be a decimal string", .dflt = -1},
};

/* The decision's calculate callback (levy_tax_calculate_fn): builds ctx for group g, calls
 * rule.calculate(ctx) in the pure context and reads the lines back. A failure raises. */
/* ctx.notes = { {code = "local_tax_uncertain", message = "..."}, ... } that a rule's calculate
 * left (issue 19: what the answer must say, e.g. a ZIP partly inside a city whose own tax
 * levy did not charge): copied into the decision (levy_tax_decision_add_note), listed in the
 * answer's `notes` after tax_id_invalid. Codes are [a-z0-9_], 1-47 bytes. */
static void read_rule_notes(lua_State *L, int ctx, levy_tax_decision *d, const char *file)
{
    getk(L, ctx, K_notes);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1) || lua_getmetatable(L, -1))
        luaL_error(L, "%s: calculate(ctx): ctx.notes must be a plain table", file ? file : "rule");
    int nt = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, nt);
    for (lua_Integer k = 1; k <= n; k++) {
        lua_rawgeti(L, nt, k);
        int et = lua_gettop(L);
        if (!lua_istable(L, et))
            luaL_error(L, "calculate(ctx): ctx.notes[%d] must be a table", (int)k);
        getk(L, et, K_code);
        getk(L, et, K_message);
        const char *code = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!code || !msg || levy_tax_decision_add_note(d, code, msg) != 0)
            luaL_error(L,
                       "calculate(ctx): ctx.notes[%d] needs code ([a-z0-9_], at most %d bytes) "
                       "and message (a string); at most %d notes",
                       (int)k, LEVY_TAX_NOTE_CODE_MAX - 1, LEVY_TAX_RULE_NOTES);
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
}

static LEVY_LJMP int run_calculate(void *ud, levy_tax_request *req, levy_tax_decision *d, int g,
                                   levy_err *err)
{
    call *cl = ud;
    lua_State *L = cl->L;
    int s = call_slot(cl, d->res.group_region[g]);
    int rule = cl->rule_idx[s];
    (void)err;
    lua_getfield(L, rule, "calculate");
    int fn = lua_gettop(L);
    lua_out lo;
    lua_out_init(&lo, L, 0);                          /* ctx's arrays are plain tables */
    levy_tax_ctx_write(&lo.o, req, d, g, cl->date_s); /* tax/ctx.h; the Lua reader takes all */
    int ctx = lua_gettop(L);
    /* call in the pure context, with a traceback */
    levy_lctx *prev = levy_lua_ctx(L);
    levy_lctx pure;
    memset(&pure, 0, sizeof pure);
    if (prev)
        pure = *prev;
    pure.kind = LEVY_CTX_PURE;
    pure.plugin = cl->file[s];
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
        luaL_error(L, "%s: calculate(ctx) failed: %s", cl->file[s] ? cl->file[s] : "rule",
                   msg ? msg : "(error object)");
    }
    /* read back */
    getk(L, ctx, K_lines);
    if (!lua_istable(L, -1))
        luaL_error(L, "calculate(ctx): ctx.lines must stay a table");
    int lines = lua_gettop(L);
    for (int i = 0; i < req->nlines; i++) {
        levy_tax_line *l = &req->lines[i];
        lua_rawgeti(L, lines, i + 1);
        if (!lua_istable(L, -1))
            luaL_error(L, "calculate(ctx): ctx.lines[%d] must stay a table", i + 1);
        int lt = lua_gettop(L);
        getk(L, lt, K_reason);
        if (lua_type(L, -1) == LUA_TSTRING) {
            int r = levy_tax_reason_from(lua_tostring(L, -1));
            if (r < 0)
                luaL_error(L, "calculate(ctx): unknown reason '%s'", lua_tostring(L, -1));
            l->reason = r;
        }
        lua_pop(L, 1);
        getk(L, lt, K_reverse_charge);
        int rcg = lua_toboolean(L, -1);
        lua_pop(L, 1);
        /* drop this group's entries and re-read them */
        for (int e = l->n - 1; e >= 0; e--)
            if (l->e[e].group == g)
                levy_tax_line_remove(l, e);
        getk(L, lt, K_taxes);
        if (!lua_istable(L, -1))
            luaL_error(L, "calculate(ctx): ctx.lines[%d].taxes must be a table", i + 1);
        int tt = lua_gettop(L);
        lua_Integer nt = luaL_len(L, tt);
        for (lua_Integer k = 1; k <= nt; k++) {
            lua_rawgeti(L, tt, k);
            int et = lua_gettop(L);
            if (!lua_istable(L, et))
                luaL_error(L, "calculate(ctx): taxes[%d] must be a table", (int)k);
            if (l->n >= LEVY_TAX_MAX_ENTRIES)
                luaL_error(L, "calculate(ctx): more than %d taxes on a line", LEVY_TAX_MAX_ENTRIES);
            levy_tax_entry *en = &l->e[l->n];
            memset(en, 0, sizeof *en);
            en->group = (uint8_t)g;
            vctx tv = {.L = L,
                       .raise = 1,
                       .label = "calculate(ctx): taxes[%d]",
                       .index = (int)k,
                       .exponent = req->exponent};
            ctx_tax ct;
            read_fields(&tv, et, ctx_tax_fields, (int)LEVY_ARRAY_LEN(ctx_tax_fields), &ct, NULL);
            en->name = ct.name;   /* kept alive by ctx (on the stack) */
            en->title = ct.title; /* NULL when absent (issue 19: a local tax's own name) */
            en->level = (uint8_t)ct.level;
            en->type = (uint8_t)ct.type;
            en->rate = ct.rate;
            en->fraction = ct.fraction;
            en->unit_from = ct.unit_from;
            en->unit_to = ct.unit_to;
            char why[128];
            if (levy_tax_entry_check(en, (int)k, why, sizeof why) != 0)
                luaL_error(L, "%s", why); /* the rule's ranges (calc.h) */
            en->zero = (uint8_t)(rcg || l->reason == LEVY_REASON_CUSTOMER_EXEMPT);
            l->n++;
            lua_pop(L, 1);
        }
        if (rcg)
            l->reason = LEVY_REASON_REVERSE_CHARGE;
        lua_pop(L, 2); /* taxes, line */
    }
    lua_pop(L, 1); /* lines */
    read_rule_notes(L, ctx, d, cl->file[s]);
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
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_problem_write(&lo.o, p); /* tax/info.h */
    lua_out_end(L);
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
    char src[512];
    levy_rates_describe(req->rates, &d->res, src, sizeof src);
    if (want_text && (int_gen || !has_gen)) {
        levy_buf *b = lua_newuserdatauv(L, sizeof *b, 0); /* top + 4 */
        memset(b, 0, sizeof *b);
        /* one allocation for a typical answer (about 500 bytes per line) */
        b->cap = 1024 + (size_t)req->nlines * 640;
        b->data = malloc(b->cap);
        if (!b->data)
            b->cap = 0;
        else
            b->data[0] = '\0';
        if (luaL_newmetatable(L, LEVY_BODY_MT)) {
            lua_pushcfunction(L, jsbuf_gc);
            lua_setfield(L, -2, "__gc");
        }
        lua_setmetatable(L, -2);
        if (levy_tax_result_json(b, req, d, id, idn, date_buf, int_gen ? &gen : NULL, src,
                                 k->file[0]) == 0) {
            if (want_body && !b->oom) { /* the userdata itself */
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
    lua_out lo;
    lua_out_init(&lo, L, top + 4);
    /* -1 only for a jurisdiction name of 256 bytes or more, written without its suffix */
    (void)levy_tax_result_write(&lo.o, req, d, id, idn, date_buf, int_gen ? &gen : NULL, src,
                                k->file[0]);
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

/* The customer record stored in levy and the registry's answer: what plugins/api wrote, read
 * as it is (a value of another type is as absent). */
static const field stored_fields[] = {
    {K_exempt, FT_BOOL, .flags = F_LAX, .at = AT(levy_tax_customer_rec, exempt)},
    {K_exemption_expires, FT_DATE, .flags = F_LAX, .at = AT(levy_tax_customer_rec, expires)},
    {K_tax_id, FT_STR, .flags = F_LAX | F_FULL, .at = AT(levy_tax_customer_rec, tax_id)},
    {K_customer_type, FT_STR, .flags = F_LAX, .at = AT(levy_tax_customer_rec, type),
     .check = check_customer_type},
};

static const field registry_fields[] = {
    {K_status, FT_STR, .flags = F_LAX, .at = AT(levy_taxid_registry, status)},
    {K_source, FT_STR, .flags = F_LAX, .at = AT(levy_taxid_registry, source)},
    {K_checked_at, FT_STR, .flags = F_LAX, .at = AT(levy_taxid_registry, checked_at)},
    {K_country, FT_STR, .flags = F_LAX, .at = AT(levy_taxid_registry, country)},
    {K_number, FT_STR, .flags = F_LAX, .at = AT(levy_taxid_registry, number)},
};

/* The customer record stored in levy, opts.customers[req->customer_id] (plugins/api/calc.lua):
 * exempt, exemption_expires, exempt_regions, tax_id. Its strings stay referenced by opts.
 * exempt_regions: the first MAX_EXEMPT_REGIONS entries (more than levy has regions). */
#define MAX_EXEMPT_REGIONS 256
/* certificates (issue 20): the first MAX_CERTS, their regions from one pool */
#define MAX_CERTS 64
#define MAX_CERT_REGIONS 1024

typedef struct cert_buf {
    levy_tax_certificate certs[MAX_CERTS];
    const char *regions[MAX_CERT_REGIONS];
} cert_buf;

/* A certificate's own fields (lax, as the stored record's): one without an id or issue date
 * is skipped. */
static const field cert_fields[] = {
    {K_id, FT_STR, .flags = F_LAX, .at = AT(levy_tax_certificate, id)},
    {K_number, FT_STR, .flags = F_LAX, .at = AT(levy_tax_certificate, number)},
    {K_issued, FT_DATE, .flags = F_LAX, .at = AT(levy_tax_certificate, issued)},
    {K_expires, FT_DATE, .flags = F_LAX, .at = AT(levy_tax_certificate, expires)},
};

/* opts.customers[id].certificates = { {id, number, issued, expires, regions = {...}}, ... }
 * (plugins/api/db.lua customer_opts), read with cert_fields. Strings stay referenced by opts. */
static void read_certs(lua_State *L, int ct, levy_tax_customer_rec *r, cert_buf *cb)
{
    lua_getfield(L, ct, "certificates");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    int lt = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, lt);
    int nc = 0, pool = 0;
    vctx cv;
    vinit(&cv, L, &(levy_tax_problem){0});
    for (lua_Integer k = 1; k <= n && nc < MAX_CERTS; k++) {
        lua_rawgeti(L, lt, k);
        int et = lua_gettop(L);
        if (lua_istable(L, et)) {
            levy_tax_certificate *c = &cb->certs[nc];
            memset(c, 0, sizeof *c);
            read_fields(&cv, et, cert_fields, (int)LEVY_ARRAY_LEN(cert_fields), c, NULL);
            lua_getfield(L, et, "regions");
            c->regions = cb->regions + pool;
            if (lua_istable(L, -1)) {
                lua_Integer nr = (lua_Integer)lua_rawlen(L, -1);
                for (lua_Integer q = 1; q <= nr && pool < MAX_CERT_REGIONS; q++) {
                    lua_rawgeti(L, -1, q);
                    if (lua_type(L, -1) == LUA_TSTRING) {
                        cb->regions[pool++] = lua_tostring(L, -1);
                        c->nregions++;
                    }
                    lua_pop(L, 1);
                }
            }
            lua_pop(L, 1);
            if (c->id && c->issued)
                nc++;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    r->ncerts = nc;
    r->certs = cb->certs;
}

static void read_customer(lua_State *L, int opts, levy_tax_request *c, const char **regions,
                          cert_buf *cb)
{
    if (!c->customer_id || !opts)
        return;
    lua_getfield(L, opts, "customers");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, c->customer_id);
        if (lua_istable(L, -1)) {
            int ct = lua_gettop(L);
            levy_tax_customer_rec *r = &c->stored;
            r->found = 1;
            vctx sv;
            vinit(&sv, L, &(levy_tax_problem){0});
            read_fields(&sv, ct, stored_fields, (int)LEVY_ARRAY_LEN(stored_fields), r, NULL);
            lua_getfield(L, ct, "exempt_regions");
            if (lua_istable(L, -1)) {
                lua_Integer nr = luaL_len(L, -1);
                if (nr > MAX_EXEMPT_REGIONS)
                    nr = MAX_EXEMPT_REGIONS;
                for (lua_Integer k = 1; k <= nr; k++) {
                    lua_rawgeti(L, -1, k);
                    regions[k - 1] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
                    lua_pop(L, 1);
                }
                r->nregions = nr > 0 ? (int)nr : 0;
                r->regions = regions;
            }
            lua_pop(L, 1);
            read_certs(L, ct, r, cb);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* opts.tax_id_registry (plugins/api/calc.lua, setting tax_id_online): the latest online
 * registry answer {status, source, checked_at, country, number} for the customer's number,
 * into *reg; NULL when none. Its strings stay referenced by opts. */
static const levy_taxid_registry *read_registry(lua_State *L, int opts, levy_taxid_registry *reg)
{
    if (!opts)
        return NULL;
    const levy_taxid_registry *out = NULL;
    lua_getfield(L, opts, "tax_id_registry");
    if (lua_istable(L, -1)) {
        vctx rv;
        vinit(&rv, L, &(levy_tax_problem){0});
        read_fields(&rv, -1, registry_fields, (int)LEVY_ARRAY_LEN(registry_fields), reg, NULL);
        out = reg;
    }
    lua_pop(L, 1);
    return out;
}

static int tax_calculate(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    int opts = lua_istable(L, 2) ? 2 : 0;
    lua_settop(L, 2);
    levy_tax_problem p;
    vctx v;
    vinit(&v, L, &p);
    if (!lua_istable(L, 1)) {
        vfail(&v, "body", "must be a JSON object");
        return push_invalid(L, &p, "request body must be a JSON object");
    }
    levy_tax_request c;
    memset(&c, 0, sizeof c);
    c.rates = rates;
    c.exponent = -1;
    read_fields(&v, 1, request_fields, (int)LEVY_ARRAY_LEN(request_fields), &c, NULL);
    char date_buf[11];
    levy_tax_date_fmt(date_buf, c.date);
    /* customer */
    lua_getfield(L, 1, "customer");
    if (!absent(L, -1)) {
        if (!lua_istable(L, -1)) {
            vfail(&v, "customer", "must be an object");
        } else {
            int t = lua_gettop(L);
            getk(L, t, K_id);
            if (lua_isinteger(L, -1)) {
                lua_tostring(L, -1);
                setk(L, t, K_id); /* normalise an integer id to its string */
            } else {
                lua_pop(L, 1);
            }
            read_fields(&v, t, customer_fields, (int)LEVY_ARRAY_LEN(customer_fields), &c, NULL);
        }
    }
    lua_pop(L, 1);
    /* addresses */
    read_address(&v, 1, "ship_to", &c.ship_to, 1);
    read_address(&v, 1, "ship_from", &c.seller, 0);
    if (!c.seller.present && opts) {
        lua_getfield(L, opts, "seller");
        if (lua_istable(L, -1)) {
            int top = lua_gettop(L);
            int before = p.ndetails;
            lua_createtable(L, 0, 1);
            lua_pushvalue(L, top);
            lua_setfield(L, -2, "seller");
            read_address(&v, top + 1, "seller", &c.seller, 0);
            if (p.ndetails != before) {
                c.seller.present = 0; /* a bad settings address is ignored */
                p.ndetails = before;
            }
            lua_settop(L, top);
        }
        lua_pop(L, 1); /* strings stay referenced by opts.seller */
    }
    /* the seller's GST/HST regime in Canada (setting ca_gst_regime, docs/rules.md section 2):
     * "simplified" or "normal" (the default); anything else is the caller's error */
    if (opts) {
        lua_getfield(L, opts, "ca_gst_regime");
        if (!lua_isnil(L, -1)) {
            const char *reg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            if (reg && strcmp(reg, "simplified") == 0)
                c.simplified_regime = 1;
            else if (!reg || strcmp(reg, "normal") != 0)
                return luaL_error(L, "levy.tax.calculate: opts.ca_gst_regime must be "
                                     "\"simplified\" or \"normal\"");
        }
        lua_pop(L, 1);
    }
    /* rounding */
    if (opts) {
        lua_getfield(L, opts, "rounding");
        if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "document") == 0)
            c.document_rounding = 1;
        lua_pop(L, 1);
    }
    /* lines */
    lua_getfield(L, 1, "lines");
    int lines_idx = lua_gettop(L);
    int nlines = 0;
    if (absent(L, lines_idx)) {
        vfail(&v, "lines", "is required (a non-empty array)");
    } else if (!lua_istable(L, lines_idx)) {
        vfail(&v, "lines", "must be an array");
    } else {
        nlines = levy_tax_lines_count((long long)luaL_len(L, lines_idx), &p);
    }
    /* line buffer (upvalue), grown as needed, released by the lease on every exit */
    line_buf *use = lease_lines(L, lua_touserdata(L, lua_upvalueindex(1)), nlines);
    c.lines = use->lines;
    c.meta = use->meta;
    c.nlines = nlines;
    int products = 0;
    if (opts) {
        lua_getfield(L, opts, "products");
        if (lua_istable(L, -1))
            products = lua_gettop(L);
        else
            lua_pop(L, 1);
    }
    /* the largest amount, as the messages name it: "10000000000.00 USD" */
    char max_amount[64];
    levy_tax_max_amount_text(max_amount, sizeof max_amount, &c);
    v.max_amount = max_amount;
    v.exponent = c.exponent >= 0 ? c.exponent : 4;
    for (int i = 0; i < nlines; i++) {
        const char *f;
        v.line = i;
        levy_tax_line *l = &c.lines[i];
        levy_tax_line_meta *m = &c.meta[i];
        memset(m, 0, sizeof *m);
        l->n = 0;
        l->reason = LEVY_REASON_STANDARD;
        lua_rawgeti(L, lines_idx, i + 1);
        int lt = lua_gettop(L);
        if (!lua_istable(L, lt)) {
            f = ".";
            vfail(&v, f, "must be an object");
            lua_pop(L, 1);
            continue;
        }
        /* id: string, or an integer turned into one */
        getk(L, lt, K_id);
        if (lua_isinteger(L, -1)) {
            levy_tax_line_id_number(m, (long long)lua_tointeger(L, -1));
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            m->id = lua_tolstring(L, -1, &m->idlen);
        } else if (absent(L, -1)) {
            levy_tax_line_id_number(m, i + 1); /* its position */
        } else {
            f = ".id";
            vfail(&v, f, "must be a string");
        }
        lua_pop(L, 1);
        /* Ranges (dec.h; docs/rules.md "Ranges"): every amount, the amount after discount and
         * the unit price within LEVY_TAX_MAX_MINOR minor units, the quantity within
         * (0, LEVY_TAX_MAX_QTY]. Checked here so that no later step can overflow (issue 15:
         * 100000.00 / 0.000001 used to wrap to a negative unit price). */
        signed char got[LEVY_ARRAY_LEN(line_fields)];
        read_fields(&v, lt, line_fields, (int)LEVY_ARRAY_LEN(line_fields), l, got);
        levy_tax_check_line(&c, i, got[0], got[1], got[2], max_amount, &p);
        line_rest rest;
        read_fields(&v, lt, line_rest_fields, (int)LEVY_ARRAY_LEN(line_rest_fields), &rest, NULL);
        l->inclusive = rest.inclusive;
        m->tax_code = rest.tax_code;
        const char *pid = rest.product_id;
        if (!m->tax_code && pid && products) {
            lua_getfield(L, products, pid);
            if (lua_type(L, -1) == LUA_TSTRING)
                m->tax_code = lua_tostring(L, -1); /* referenced by opts.products */
            lua_pop(L, 1);
        }
        if (!m->tax_code)
            m->tax_code = "general";
        lua_pop(L, 1);
    }
    v.line = -1;
    if (p.ndetails)
        return push_invalid(L, &p, NULL);
    const char *regions[MAX_EXEMPT_REGIONS];
    cert_buf cb;
    read_customer(L, opts, &c, regions, &cb);
    if (opts) {
        /* the org's default customer type (settings.default_customer_type, plugins/api) */
        lua_getfield(L, opts, "customer_type");
        c.org_customer_type = levy_tax_customer_type_field(lua_tostring(L, -1), NULL);
        lua_pop(L, 1);
    }
    levy_taxid_registry reg;
    c.tax_id_registry = read_registry(L, opts, &reg);
    /* decide */
    call k = {L, opts, 0, {"", ""}, {0, 0}, {NULL, NULL}, date_buf};
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
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_codes_write(&lo.o); /* tax/info.h */
    return lua_out_end(L);
}

static int tax_rates_info(lua_State *L)
{
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_rates_info_write(&lo.o, levy_lua_host(L, LEVY_HOST_RATES));
    return lua_out_end(L);
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
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_regions_write(&lo.o, r, k);
    return lua_out_end(L);
}

static int tax_resolve(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    levy_tax_problem p;
    vctx v;
    vinit(&v, L, &p);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "address");
    levy_tax_addr a;
    read_address(&v, lua_gettop(L), "address", &a, 1);
    int32_t date;
    if (lua_isnoneornil(L, 2)) {
        date = levy_tax_today();
    } else {
        size_t len;
        const char *s = luaL_checklstring(L, 2, &len);
        if (levy_tax_date_parse(s, len, &date) != 0)
            vfail(&v, "date", "must be a date YYYY-MM-DD");
    }
    if (p.ndetails)
        return push_invalid(L, &p, "invalid address");
    levy_tax_address ta = {a.country, a.state[0] ? a.state : NULL, a.city, a.zip};
    levy_tax_resolution res;
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_resolve(rates, &ta, date, &res, &err) != LEVY_OK) {
        levy_tax_problem_set(&p, LEVY_TAX_ERR_ADDRESS, err.code, err.message);
        push_problem(L, &p);
        return 2;
    }
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_resolution_write(&lo.o, rates, &res); /* tax/info.h */
    return lua_out_end(L);
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
    lua_out lo;
    lua_out_begin(&lo, L);
    levy_tax_nexus_write(&lo.o, *box); /* tax/info.h */
    levy_nexus_free(*box);
    *box = NULL;
    return lua_out_end(L);
}

int luaopen_levy_tax(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"calculate", tax_calculate},
                                     {"regions", tax_regions},
                                     {"tax_codes", tax_tax_codes},
                                     {"rates_info", tax_rates_info},
                                     {"resolve", tax_resolve},
                                     {"nexus_thresholds", tax_nexus_thresholds},
                                     {NULL, NULL}};
    lua_createtable(L, 0, (int)LEVY_ARRAY_LEN(funcs));
    if (luaL_newmetatable(L, LINES_LEASE_MT)) {
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    /* shared line buffer as upvalue, freed by its __gc */
    tax_upv *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, linebuf_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    luaL_checkstack(L, K_N + 4, "levy.tax: the key upvalues"); /* more than LUA_MINSTACK */
    for (int k = 0; k < K_N; k++)
        lua_pushstring(L, key_names[k]);
    luaL_setfuncs(L, funcs, 1 + K_N);
    return 1;
}
