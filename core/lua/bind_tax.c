/* levy.tax: the Lua face of the tax engine (docs/rules.md section 4). Validates and maps the
 * decoded /v1/calculate body, resolves the ship-to with the rate index, applies the region
 * rule's taxability table (and its optional calculate(ctx) in the 'pure' context), computes
 * in C (core/tax/engine.c) and pushes the CONTRACT section 2.5 result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "config.h"
#include "json_scan.h"
#include "lctx.h"
#include "tax/dec.h"
#include "tax/engine.h"
#include "tax/nexus.h"
#include "tax/rates.h"

int luaopen_levy_tax(lua_State *L);

/* ------------------------------------------------------------------ tax codes */

static const struct {
    const char *code, *name, *description;
} tax_codes[] = {
    {"general", "General tangible goods", "Tangible personal property; the default code"},
    {"saas", "Software as a service", "Remotely accessed prewritten software (subscriptions)"},
    {"software_download", "Downloaded software", "Prewritten software delivered electronically"},
    {"digital_goods", "Digital goods", "E-books, music, video and other digital products"},
    {"professional_services", "Professional services",
     "Consulting, legal, accounting and similar personal services"},
    {"training", "Training", "Training and education services, live or online"},
    {"shipping", "Shipping", "Delivery and freight charges billed to the customer"},
    {"clothing", "Clothing", "Clothing and footwear"},
    {"food_grocery", "Groceries", "Food for home consumption"},
    {"exempt", "Exempt", "Non-taxable item (no tax in any region)"},
};

static int builtin_code(const char *c)
{
    for (size_t i = 0; i < LEVY_ARRAY_LEN(tax_codes); i++)
        if (strcmp(tax_codes[i].code, c) == 0)
            return 1;
    return 0;
}

enum {
    K_id,
    K_amount,
    K_taxable_amount,
    K_tax,
    K_taxability_reason,
    K_taxes,
    K_jurisdiction,
    K_level,
    K_type,
    K_percentage,
    K_discount,
    K_quantity,
    K_tax_code,
    K_product_id,
    K_tax_inclusive,
    K_currency,
    K_date,
    K_tax_id,
    K_exempt,
    K_country,
    K_state,
    K_city,
    K_zip_code,
    K_taxability,
    K_default,
    K_index,
    K_unit_amount,
    K_reason,
    K_reverse_charge,
    K_fraction,
    K_unit_from,
    K_unit_to,
    K_region,
    K_lines,
    K_customer,
    K_seller,
    K_ship_to,
    K_N
};
static const char *const key_names[K_N] = {"id", "amount", "taxable_amount", "tax", "taxability_reason", "taxes", "jurisdiction", "level", "type", "percentage", "discount", "quantity", "tax_code", "product_id", "tax_inclusive", "currency", "date", "tax_id", "exempt", "country", "state", "city", "zip_code", "taxability", "default", "index", "unit_amount", "reason", "reverse_charge", "fraction", "unit_from", "unit_to", "region", "lines", "customer", "seller", "ship_to"};
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

typedef struct vctx {
    lua_State *L;
    int details; /* stack index of the details table (pushed by vinit) */
    int n;
    int line; /* fields starting with '.' are relative to lines[line] */
} vctx;

static void set_array_mt(lua_State *L, int idx);

static void vinit(vctx *v, lua_State *L)
{
    v->L = L;
    v->n = 0;
    v->line = -1;
    lua_createtable(L, 0, 0);
    set_array_mt(L, -1);
    v->details = lua_gettop(L);
}

static void vfail(vctx *v, const char *field, const char *msg)
{
    lua_State *L = v->L;
    char fb[96];
    if (v->n >= 50)
        return;
    if (field[0] == '.' && v->line >= 0) { /* built only on failure: the hot path is clean */
        snprintf(fb, sizeof fb, "lines[%d]%s", v->line, field[1] ? field : "");
        field = fb;
    }
    lua_createtable(L, 0, 2);
    lua_pushstring(L, field);
    lua_setfield(L, -2, "field");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_rawseti(L, v->details, ++v->n);
}

/* JSON null (cjson's lightuserdata NULL) counts as absent. */
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
        vfail(v, field, lua_type(L, -1) == LUA_TNUMBER ? "must be a string, not a JSON number"
                                                       : "must be a string");
        lua_pop(L, 1);
        return NULL;
    }
    s = lua_tolstring(L, -1, len);
    lua_pop(L, 1); /* the string stays alive: it is referenced by the table */
    if (s[0] == 0 && *len > 0) { /* levy.json number literal ("\0" prefix) */
        vfail(v, field, "must be a string, not a JSON number");
        return NULL;
    }
    return s;
}

/* A decimal string field -> scaled int64 in *out. limit: the largest |value| accepted
 * (scaled), limit_text: how the message names it. Returns 1 if present and valid, 0 if
 * absent, -1 if invalid (reported on `field`). */
static int opt_decimal(vctx *v, int tbl, int key, const char *field, int max_scale,
                       int scale, int allow_neg, int64_t limit, const char *limit_text,
                       int64_t *out)
{
    lua_State *L = v->L;
    getk(L, tbl, key);
    int t = lua_type(L, -1);
    if (absent(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (t != LUA_TSTRING) {
        vfail(v, field, t == LUA_TNUMBER ? "must be a decimal string (e.g. \"12.34\"), not a JSON number"
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
    int64_t val = 0;
    int rc = levy_tax_dec_parse(s, len, max_scale, scale, 1, &val);
    char msg[160];
    if (rc == -2) {
        snprintf(msg, sizeof msg, "has more than %d decimals", max_scale);
        vfail(v, field, msg);
        return -1;
    }
    if (rc == -3 || (rc == 0 && (val > limit || val < -limit))) {
        snprintf(msg, sizeof msg, "is out of range (at most %s)", limit_text);
        vfail(v, field, msg);
        return -1;
    }
    if (rc) {
        vfail(v, field, "is not a decimal string (digits, optional '-' and '.')");
        return -1;
    }
    if (!allow_neg && val < 0) {
        vfail(v, field, "must not be negative");
        return -1;
    }
    *out = val;
    return 1;
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

typedef struct addr {
    char country[3];
    char state[4];
    const char *city;
    const char *zip;
    int present;
} addr;

static void read_address(vctx *v, int tbl, const char *name, addr *a, int required)
{
    lua_State *L = v->L;
    char f[64];
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
    int t = lua_gettop(L);
    size_t len;
    snprintf(f, sizeof f, "%s.country", name);
    const char *c = opt_string(v, t, K_country, f, &len);
    if (!c)
        vfail(v, f, "is required (ISO 3166 two-letter code)");
    else if (len != 2 || !((c[0] | 32) >= 'a' && (c[0] | 32) <= 'z' && (c[1] | 32) >= 'a' &&
                           (c[1] | 32) <= 'z'))
        vfail(v, f, "must be a two-letter country code");
    else {
        a->country[0] = (char)(c[0] & ~32);
        a->country[1] = (char)(c[1] & ~32);
        a->present = 1;
    }
    snprintf(f, sizeof f, "%s.state", name);
    const char *s = opt_string(v, t, K_state, f, &len);
    int us = strcmp(a->country, "US") == 0, ca = strcmp(a->country, "CA") == 0;
    if (s && len >= 1 && len <= 3) {
        for (size_t i = 0; i < len; i++)
            a->state[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    }
    if (us || ca) {
        if (!s || len == 0)
            vfail(v, f, us ? "is required for US addresses (two-letter code)"
                           : "is required for Canadian addresses (two-letter code)");
        else if (us && !levy_rates_us_state_name(a->state))
            vfail(v, f, "is not a US state code (50 states, DC, PR)");
        else if (ca && !levy_rates_ca_province(a->state))
            vfail(v, f, "is not a Canadian province or territory code");
    }
    snprintf(f, sizeof f, "%s.city", name);
    a->city = opt_string(v, t, K_city, f, &len);
    snprintf(f, sizeof f, "%s.zip_code", name);
    a->zip = opt_string(v, t, K_zip_code, f, &len);
    if (us && required && !a->zip)
        vfail(v, f, "is required for US addresses");
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------ per-call state */

typedef struct line_meta {
    const char *id;
    size_t idlen;
    char idbuf[24];
    const char *tax_code;
    int reason_set;
} line_meta;

typedef struct calc {
    lua_State *L;
    const levy_rates *rates;
    levy_tax_resolution res;
    int32_t date;
    int exponent;
    char currency[4];
    int nlines;
    levy_tax_line *lines;
    line_meta *meta;
    int group_on[2];      /* group subscribed with tax on */
    int group_rule[2];    /* stack index of the group's rule table, 0 = none */
    int group_calc[2];    /* the group's rule defines calculate(ctx) */
    const char *group_file[2];
    int customer_exempt;
    const char *tax_id;
    addr ship_to, seller;
} calc;

/* Buffer of lines reused across calls (upvalue 1): avoids allocation on the hot path. */
typedef struct line_buf {
    int cap;
    int busy; /* claimed by a running tax.calculate (a lease below) */
    levy_tax_line *lines;
    line_meta *meta;
} line_buf;

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
    if (nlines > use->cap) {
        int nc = nlines < 16 ? 16 : nlines;
        levy_tax_line *nl = realloc(use->lines, sizeof *nl * (size_t)nc);
        if (nl)
            use->lines = nl;
        line_meta *nm = nl ? realloc(use->meta, sizeof *nm * (size_t)nc) : NULL;
        if (nm)
            use->meta = nm;
        if (!nl || !nm)
            luaL_error(L, "out of memory");
        use->cap = nc;
    }
    return use;
}

/* ------------------------------------------------------------------ treatments */

static void remove_entry(levy_tax_line *l, int i)
{
    memmove(&l->e[i], &l->e[i + 1], sizeof l->e[0] * (size_t)(l->n - i - 1));
    l->n--;
}

static int level_mask(lua_State *L, int idx)
{
    int mask = 0;
    if (!lua_istable(L, idx))
        return 0;
    lua_Integer n = luaL_len(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        int lv = levy_tax_level_from(lua_tostring(L, -1));
        if (lv >= 0)
            mask |= 1 << lv;
        lua_pop(L, 1);
    }
    return mask;
}

static LEVY_LJMP int64_t rule_decimal(lua_State *L, int tbl, const char *key, int scale,
                                      const char *what)
{
    lua_getfield(L, tbl, key);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    int64_t v = 0;
    if (lua_type(L, -1) != LUA_TSTRING || levy_tax_dec_parse(s, len, scale, scale, 0, &v))
        luaL_error(L, "rule taxability: %s must be a decimal string", what);
    lua_pop(L, 1);
    return v;
}

/* Applies the treatment at stack index t to line li's entries of group g. */
static LEVY_LJMP void apply_treatment(calc *c, int li, int g, int t, int depth)
{
    lua_State *L = c->L;
    levy_tax_line *l = &c->lines[li];
    int reason = LEVY_REASON_STANDARD;
    if (depth > 4)
        luaL_error(L, "rule taxability: thresholds nested too deep");
    t = lua_absindex(L, t);
    if (lua_type(L, t) == LUA_TSTRING) {
        const char *s = lua_tostring(L, t);
        if (strcmp(s, "taxable") == 0) {
            reason = LEVY_REASON_STANDARD;
        } else if (strcmp(s, "exempt") == 0) {
            for (int i = l->n - 1; i >= 0; i--)
                if (l->e[i].group == g)
                    remove_entry(l, i);
            reason = LEVY_REASON_PRODUCT_EXEMPT;
        } else if (strcmp(s, "zero_rated") == 0) {
            for (int i = 0; i < l->n; i++)
                if (l->e[i].group == g)
                    l->e[i].rate = 0;
            reason = LEVY_REASON_ZERO;
        } else if (strcmp(s, "reduced") == 0) {
            goto reduced;
        } else {
            luaL_error(L, "rule taxability: unknown treatment '%s'", s);
        }
        goto out;
    }
    if (!lua_istable(L, t))
        luaL_error(L, "rule taxability: a treatment is a string or a table");
    lua_getfield(L, t, "reduced");
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
    reduced:;
        const char *key = "reduced";
        if (lua_istable(L, t)) {
            lua_getfield(L, t, "reduced");
            if (lua_type(L, -1) == LUA_TSTRING)
                key = lua_tostring(L, -1); /* alive: referenced by the rule table */
            lua_pop(L, 1);
        }
        int64_t rate;
        if (levy_rates_vat_key(&c->res, key, &rate) == 0) {
            for (int i = 0; i < l->n; i++)
                if (l->e[i].group == g)
                    l->e[i].rate = rate;
            reason = LEVY_REASON_REDUCED;
        }
        goto out;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "fraction");
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
        int64_t f = rule_decimal(L, t, "fraction", 8, "fraction");
        if (f > LEVY_TAX_RATE_ONE)
            luaL_error(L, "rule taxability: fraction must be between 0 and 1");
        for (int i = 0; i < l->n; i++)
            if (l->e[i].group == g)
                l->e[i].fraction = f;
        reason = LEVY_REASON_PARTIAL;
        goto out;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "rate");
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
        int64_t pct = rule_decimal(L, t, "rate", 6, "rate"); /* percent * 10^6 = 10^-8 */
        if (pct > LEVY_TAX_MAX_RATE)
            luaL_error(L, "rule taxability: rate must be at most 1000 (percent)");
        getk(L, t, K_level);
        int lv = levy_tax_level_from(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (lv < 0)
            luaL_error(L, "rule taxability: { rate = } needs level = state|county|city|...");
        lua_getfield(L, t, "keep_levels");
        int keep = level_mask(L, -1);
        lua_pop(L, 1);
        int found = 0;
        for (int i = l->n - 1; i >= 0; i--) {
            if (l->e[i].group != g)
                continue;
            if (l->e[i].level == lv) {
                l->e[i].rate = pct;
                found = 1;
            } else if (!(keep >> l->e[i].level & 1)) {
                remove_entry(l, i);
            }
        }
        (void)found;
        reason = LEVY_REASON_REDUCED;
        goto out;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "exempt_levels");
    if (!lua_isnil(L, -1)) {
        int mask = level_mask(L, -1);
        lua_pop(L, 1);
        for (int i = l->n - 1; i >= 0; i--)
            if (l->e[i].group == g && (mask >> l->e[i].level & 1))
                remove_entry(l, i);
        reason = LEVY_REASON_PARTIAL;
        goto out;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "threshold");
    if (!lua_isnil(L, -1)) {
        lua_pop(L, 1);
        int64_t thr;
        lua_getfield(L, t, "threshold");
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        /* read with 6 decimals more than the currency's: a threshold of "109.50" must not
         * fail every JPY document (issue 15 finding 7); thr is in 10^-(exponent + 6) */
        if (lua_type(L, -1) != LUA_TSTRING ||
            levy_tax_dec_parse(s, len, c->exponent + 6, c->exponent + 6, 0, &thr))
            luaL_error(L, "rule taxability: threshold must be a decimal string (at most %d "
                          "decimals in %s)", c->exponent + 6, c->currency);
        lua_pop(L, 1);
        lua_getfield(L, t, "per");
        int per_line = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "line") == 0;
        lua_pop(L, 1);
        /* a credit mirrors the sale it refunds: the price compared is its magnitude (a
         * -150.00 refund of a $150 coat is not "under $110"); |gross| <= 10^12 (validated) */
        int64_t gross = l->amount - l->discount;
        if (gross < 0)
            gross = -gross;
        /* exact, 128-bit: line < threshold <=> gross x 10^6 < thr; unit < threshold <=>
         * gross x 10^6 x 10^6 < thr x qty (<= 10^24 and < 9.3 x 10^18 x 10^15) */
        int below = per_line ? (__int128)gross * 1000000 < (__int128)thr
                             : (__int128)gross * 1000000 * LEVY_TAX_QTY_ONE < (__int128)thr * l->qty;
        lua_getfield(L, t, below ? "below" : "above");
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushliteral(L, "taxable");
        }
        apply_treatment(c, li, g, -1, depth + 1);
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    luaL_error(L, "rule taxability: unknown treatment table");
out:
    if (g == 0 || !c->meta[li].reason_set) {
        l->reason = reason;
        c->meta[li].reason_set = 1;
    }
}

/* ------------------------------------------------------------------ ctx for calculate(ctx) */

static void push_dec(lua_State *L, int64_t v, int scale)
{
    char b[48];
    size_t n = levy_tax_fmt_scaled(b, v, scale);
    lua_pushlstring(L, b, n);
}

static void push_pct(lua_State *L, int64_t rate)
{
    char b[48];
    size_t n = levy_tax_fmt_percent(b, rate);
    lua_pushlstring(L, b, n);
}

static void push_name(lua_State *L, const levy_tax_entry *e)
{
    if (e->suffix) {
        luaL_Buffer B;
        luaL_buffinit(L, &B);
        luaL_addstring(&B, e->name);
        luaL_addstring(&B, e->suffix);
        luaL_pushresult(&B);
    } else {
        lua_pushstring(L, e->name);
    }
}

static void push_address(lua_State *L, const addr *a)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, a->country);
    setk(L, -2, K_country);
    if (a->state[0]) {
        lua_pushstring(L, a->state);
        setk(L, -2, K_state);
    }
    if (a->city) {
        lua_pushstring(L, a->city);
        setk(L, -2, K_city);
    }
    if (a->zip) {
        lua_pushstring(L, a->zip);
        setk(L, -2, K_zip_code);
    }
}

/* ---- result as JSON text (opts.encode = true) ----------------------------------------
 * The same document levy.json.encode writes for the result table (keys in byte order, empty
 * arrays as []), written straight from the C structures: no result table, no key sort. A
 * string that levy.json would treat specially (a leading NUL: a number literal) makes the
 * caller fall back to the table. */
static int js_str(levy_buf *b, const char *s, size_t len)
{
    if (len && s[0] == '\0')
        return -1;
    levy_json_escape(b, s, len);
    return 0;
}

/* Writes `,"k":` (no comma when first); k is one of the fixed result keys (< 32 bytes). */
static void js_key(levy_buf *b, const char *k, int first)
{
    char t[40];
    size_t n = strlen(k), o = 0;
    if (!first)
        t[o++] = ',';
    t[o++] = '"';
    memcpy(t + o, k, n);
    o += n;
    t[o++] = '"';
    t[o++] = ':';
    levy_buf_put(b, t, o);
}

static void js_dec(levy_buf *b, const char *k, int64_t v, int scale, int first)
{
    char t[48];
    js_key(b, k, first);
    t[0] = '"';
    size_t n = levy_tax_fmt_scaled(t + 1, v, scale);
    t[n + 1] = '"';
    levy_buf_put(b, t, n + 2);
}

static void js_cstr(levy_buf *b, const char *k, const char *v, int first)
{
    js_key(b, k, first);
    levy_json_escape(b, v, strlen(v));
}

/* Builds ctx for group g, calls rule.calculate(ctx) in the pure context, reads it back. */
static LEVY_LJMP void run_calculate(calc *c, int g, const char *currency, const char *date_s,
                                    const char *customer_id)
{
    lua_State *L = c->L;
    int rule = c->group_rule[g];
    lua_getfield(L, rule, "calculate");
    int fn = lua_gettop(L);
    lua_createtable(L, 0, 8);
    int ctx = lua_gettop(L);
    lua_pushstring(L, c->res.group_region[g]);
    setk(L, ctx, K_region);
    lua_pushstring(L, date_s);
    setk(L, ctx, K_date);
    lua_pushstring(L, currency);
    setk(L, ctx, K_currency);
    push_address(L, &c->ship_to);
    setk(L, ctx, K_ship_to);
    if (c->seller.present) {
        push_address(L, &c->seller);
        setk(L, ctx, K_seller);
    }
    lua_createtable(L, 0, 3);
    if (customer_id) {
        lua_pushstring(L, customer_id);
        setk(L, -2, K_id);
    }
    if (c->tax_id) {
        lua_pushstring(L, c->tax_id);
        setk(L, -2, K_tax_id);
    }
    lua_pushboolean(L, c->customer_exempt);
    setk(L, -2, K_exempt);
    setk(L, ctx, K_customer);
    lua_createtable(L, c->nlines, 0);
    for (int i = 0; i < c->nlines; i++) {
        levy_tax_line *l = &c->lines[i];
        lua_createtable(L, 0, 12);
        lua_pushlstring(L, c->meta[i].id, c->meta[i].idlen);
        setk(L, -2, K_id);
        lua_pushinteger(L, i + 1);
        setk(L, -2, K_index);
        lua_pushstring(L, c->meta[i].tax_code);
        setk(L, -2, K_tax_code);
        push_dec(L, l->amount - l->discount, c->exponent);
        setk(L, -2, K_amount);
        char qb[48];
        levy_tax_fmt_scaled(qb, l->qty, 6);
        size_t qn = strlen(qb);
        while (qb[qn - 1] == '0')
            qn--;
        if (qb[qn - 1] == '.')
            qn--;
        lua_pushlstring(L, qb, qn);
        setk(L, -2, K_quantity);
        /* unit amount = (amount - discount) / quantity in the currency, exact when it has
         * at most 6 decimals more than the currency, else truncated there with a final
         * sticky 1 (dec.h levy_tax_fmt_ratio), so that a rule comparing it with any amount
         * decides as on the exact value. Formatted from the 128-bit quotient: no narrowing
         * (issue 15: an int64 cast wrapped 100000.00 / 0.000001 to a negative price, and
         * JPY prices came out as "5000." with a trailing dot). */
        {
            static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
            char ub[96];
            int ex = c->exponent;
            size_t un = levy_tax_fmt_ratio(ub, (__int128)(l->amount - l->discount) * LEVY_TAX_QTY_ONE,
                                           (__int128)l->qty * pow10[ex], ex, ex + 6);
            lua_pushlstring(L, ub, un);
        }
        setk(L, -2, K_unit_amount);
        lua_pushboolean(L, l->inclusive);
        setk(L, -2, K_tax_inclusive);
        lua_pushstring(L, levy_tax_reason_name(l->reason));
        setk(L, -2, K_reason);
        lua_pushboolean(L, l->reason == LEVY_REASON_REVERSE_CHARGE);
        setk(L, -2, K_reverse_charge);
        lua_createtable(L, l->n, 0);
        int k = 0;
        for (int e = 0; e < l->n; e++) {
            const levy_tax_entry *en = &l->e[e];
            if (en->group != g)
                continue;
            lua_createtable(L, 0, 7);
            push_name(L, en);
            setk(L, -2, K_jurisdiction);
            lua_pushstring(L, levy_tax_level_name(en->level));
            setk(L, -2, K_level);
            lua_pushstring(L, levy_tax_type_name(en->type));
            setk(L, -2, K_type);
            push_pct(L, en->rate);
            setk(L, -2, K_percentage);
            char fb[32];
            levy_tax_fmt_fraction(fb, en->fraction);
            lua_pushstring(L, fb);
            setk(L, -2, K_fraction);
            if (en->unit_from >= 0) {
                push_dec(L, en->unit_from, c->exponent);
                setk(L, -2, K_unit_from);
            }
            if (en->unit_to >= 0) {
                push_dec(L, en->unit_to, c->exponent);
                setk(L, -2, K_unit_to);
            }
            lua_rawseti(L, -2, ++k);
        }
        setk(L, -2, K_taxes);
        lua_rawseti(L, -2, i + 1);
    }
    setk(L, ctx, K_lines);

    /* call in the pure context, with a traceback */
    levy_lctx *prev = levy_lua_ctx(L);
    levy_lctx pure;
    memset(&pure, 0, sizeof pure);
    if (prev)
        pure = *prev;
    pure.kind = LEVY_CTX_PURE;
    pure.plugin = c->group_file[g];
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
        luaL_error(L, "%s: calculate(ctx) failed: %s", c->group_file[g] ? c->group_file[g] : "rule",
                   msg ? msg : "(error object)");
    }
    /* read back */
    getk(L, ctx, K_lines);
    if (!lua_istable(L, -1))
        luaL_error(L, "calculate(ctx): ctx.lines must stay a table");
    int lines = lua_gettop(L);
    for (int i = 0; i < c->nlines; i++) {
        levy_tax_line *l = &c->lines[i];
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
                remove_entry(l, e);
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
            en->unit_from = en->unit_to = -1;
            getk(L, et, K_jurisdiction);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "calculate(ctx): taxes[%d].jurisdiction must be a string", (int)k);
            en->name = lua_tostring(L, -1); /* kept alive by ctx (on the stack) */
            lua_pop(L, 1);
            getk(L, et, K_level);
            int lv = levy_tax_level_from(lua_tostring(L, -1));
            lua_pop(L, 1);
            getk(L, et, K_type);
            int ty = levy_tax_type_from(lua_tostring(L, -1));
            lua_pop(L, 1);
            if (lv < 0 || ty < 0)
                luaL_error(L, "calculate(ctx): taxes[%d]: bad level or type", (int)k);
            en->level = (uint8_t)lv;
            en->type = (uint8_t)ty;
            en->rate = rule_decimal(L, et, "percentage", 6, "taxes[].percentage");
            getk(L, et, K_fraction);
            int hasf = !lua_isnil(L, -1);
            lua_pop(L, 1);
            en->fraction = hasf ? rule_decimal(L, et, "fraction", 8, "taxes[].fraction")
                                : LEVY_TAX_RATE_ONE;
            if (en->fraction > LEVY_TAX_RATE_ONE)
                luaL_error(L, "calculate(ctx): fraction must be between 0 and 1");
            getk(L, et, K_unit_from);
            int hasfrom = !lua_isnil(L, -1);
            lua_pop(L, 1);
            if (hasfrom)
                en->unit_from = rule_decimal(L, et, "unit_from", c->exponent, "unit_from");
            getk(L, et, K_unit_to);
            int hasto = !lua_isnil(L, -1);
            lua_pop(L, 1);
            if (hasto)
                en->unit_to = rule_decimal(L, et, "unit_to", c->exponent, "unit_to");
            /* a rule's numbers obey the engine's ranges too: a rule bug is an error of the
             * rule (500 + log naming it), never a silently different tax */
            if (en->unit_from > LEVY_TAX_MAX_MINOR || en->unit_to > LEVY_TAX_MAX_MINOR)
                luaL_error(L, "calculate(ctx): taxes[%d]: unit_from/unit_to above %lld minor units",
                           (int)k, LEVY_TAX_MAX_MINOR);
            if (en->rate > LEVY_TAX_MAX_RATE)
                luaL_error(L, "calculate(ctx): taxes[%d].percentage above 1000", (int)k);
            en->zero = (uint8_t)(rcg || l->reason == LEVY_REASON_CUSTOMER_EXEMPT);
            l->n++;
            lua_pop(L, 1);
        }
        if (rcg)
            l->reason = LEVY_REASON_REVERSE_CHARGE;
        lua_pop(L, 2); /* taxes, line */
    }
    /* keep ctx alive (jurisdiction strings) until the result is built: leave it on the stack */
    lua_pop(L, 1); /* lines */
    lua_remove(L, fn);
    if (msgh)
        lua_remove(L, msgh);
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
        on = lua_toboolean(L, -3) && (lua_isnil(L, -2) || lua_toboolean(L, -2));
        if (on && lua_type(L, -1) == LUA_TSTRING) {
            size_t len;
            const char *s = lua_tolstring(L, -1, &len);
            int32_t from;
            if (levy_tax_date_parse(s, len, &from) == 0 && date < from)
                on = 0;
        }
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

static int rule_knows_code(lua_State *L, int rule, const char *code)
{
    if (!rule)
        return 0;
    lua_getfield(L, rule, "taxability");
    int known = 0;
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, code);
        known = !lua_isnil(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return known;
}

static const char *const reverse_charge_regions[] = {"EU", "GB", "AU", "NZ", "CH", "NO", "SG"};

/* ------------------------------------------------------------------ tax.calculate */

static void push_error(lua_State *L, const char *code, const char *message, int details)
{
    lua_pushnil(L);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, 422);
    lua_setfield(L, -2, "status");
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    if (details) {
        lua_pushvalue(L, details);
        lua_setfield(L, -2, "details");
    }
}

/* Pushes levy.json's array metatable (registry "levy.json.array_mt", or nil when levy.json
 * is not loaded) so result arrays encode as JSON arrays even when empty. */
static int push_array_mt(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt");
    return lua_gettop(L);
}

static void use_array_mt(lua_State *L, int mt)
{
    if (lua_istable(L, mt)) {
        lua_pushvalue(L, mt);
        lua_setmetatable(L, -2);
    }
}

static void set_array_mt(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, LUA_REGISTRYINDEX, "levy.json.array_mt") == LUA_TTABLE)
        lua_setmetatable(L, idx);
    else
        lua_pop(L, 1);
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

/* opts.encode == true: pushes the result as JSON text (what levy.json.encode writes for the
 * result table) and returns 1. Returns 0 with the stack unchanged when not asked, or when a
 * value needs the table path (a non-integer generation, a string with a leading NUL). The
 * buffer lives in a userdata so that a Lua error (out of memory) cannot leak it. */
static int json_result(lua_State *L, int opts, const calc *c, const levy_tax_doc *doc,
                       int nlines, const char *date_buf, const levy_rates *rates)
{
    lua_getfield(L, opts, "encode");
    int want = lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!want)
        return 0;
    int top = lua_gettop(L);
    lua_getfield(L, opts, "generation");
    int has_gen = !lua_isnil(L, -1);
    if (has_gen && !lua_isinteger(L, -1)) {
        lua_settop(L, top);
        return 0;
    }
    lua_Integer gen = has_gen ? lua_tointeger(L, -1) : 0;
    lua_getfield(L, opts, "calculation_id"); /* top + 2, kept while its text is used */
    levy_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    /* one allocation for a typical answer (about 500 bytes per line) */
    b->cap = 1024 + (size_t)nlines * 640;
    b->data = malloc(b->cap);
    if (!b->data)
        b->cap = 0;
    else
        b->data[0] = '\0';
    if (luaL_newmetatable(L, "levy.tax.jsonbuf")) {
        lua_pushcfunction(L, jsbuf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    int ex = c->exponent, bad = 0;
    char t[48];
    levy_buf_puts(b, "{\"calculation_id\":");
    if (lua_type(L, top + 2) == LUA_TSTRING) {
        size_t n;
        const char *id = lua_tolstring(L, top + 2, &n);
        bad |= js_str(b, id, n);
    } else {
        char id[40];
        new_calc_id(L, id, sizeof id);
        levy_json_escape(b, id, strlen(id));
    }
    js_cstr(b, "currency", c->currency, 0);
    js_cstr(b, "date", date_buf, 0);
    js_key(b, "lines", 0);
    levy_buf_putc(b, '[');
    for (int i = 0; i < nlines; i++) {
        const levy_tax_line *l = &c->lines[i];
        if (i)
            levy_buf_putc(b, ',');
        levy_buf_putc(b, '{');
        js_dec(b, "amount", l->amount, ex, 1);
        if (l->discount)
            js_dec(b, "discount", l->discount, ex, 0);
        js_key(b, "id", 0);
        bad |= js_str(b, c->meta[i].id, c->meta[i].idlen);
        js_dec(b, "tax", l->tax, ex, 0);
        js_cstr(b, "taxability_reason", levy_tax_reason_name(l->reason), 0);
        js_dec(b, "taxable_amount", l->taxable, ex, 0);
        js_key(b, "taxes", 0);
        levy_buf_putc(b, '[');
        int listed = l->reason != LEVY_REASON_NOT_COLLECTING && l->reason != LEVY_REASON_NO_TAX;
        for (int e = 0; listed && e < l->n; e++) {
            const levy_tax_entry *en = &l->e[e];
            if (e)
                levy_buf_putc(b, ',');
            levy_buf_putc(b, '{');
            js_dec(b, "amount", en->amount, ex, 1);
            js_key(b, "jurisdiction", 0);
            if (en->suffix) {
                size_t a = strlen(en->name), s2 = strlen(en->suffix);
                char nb[256];
                if (a + s2 < sizeof nb) {
                    memcpy(nb, en->name, a);
                    memcpy(nb + a, en->suffix, s2);
                    levy_json_escape(b, nb, a + s2);
                } else {
                    bad = 1;
                }
            } else {
                levy_json_escape(b, en->name, strlen(en->name));
            }
            js_cstr(b, "level", levy_tax_level_name(en->level), 0);
            js_key(b, "percentage", 0);
            levy_buf_putc(b, '"');
            levy_buf_put(b, t, levy_tax_fmt_percent(t, en->rate));
            levy_buf_putc(b, '"');
            js_dec(b, "taxable_amount",
                   en->zero ? (l->reason == LEVY_REASON_CUSTOMER_EXEMPT ? 0 : en->taxable)
                            : en->taxable,
                   ex, 0);
            js_cstr(b, "type", levy_tax_type_name(en->type), 0);
            levy_buf_putc(b, '}');
        }
        levy_buf_put(b, "]}", 2);
    }
    levy_buf_putc(b, ']');
    js_cstr(b, "region", c->res.region, 0);
    js_key(b, "rules", 0);
    levy_buf_putc(b, '{');
    if (has_gen) {
        js_key(b, "generation", 1);
        snprintf(t, sizeof t, LUA_INTEGER_FMT, (LUAI_UACINT)gen);
        levy_buf_puts(b, t);
    }
    char src[512];
    levy_rates_describe(rates, &c->res, src, sizeof src);
    js_cstr(b, "rates_source", src, !has_gen);
    if (c->group_file[0])
        js_cstr(b, "region_rule", c->group_file[0], 0);
    levy_buf_putc(b, '}');
    js_dec(b, "total_amount", doc->total_amount, ex, 0);
    js_dec(b, "total_tax", doc->total_tax, ex, 0);
    js_dec(b, "total_taxable", doc->total_taxable, ex, 0);
    levy_buf_putc(b, '}');
    if (bad || b->oom) {
        levy_buf_free(b);
        lua_settop(L, top);
        return 0;
    }
    lua_pushlstring(L, b->data, b->len);
    levy_buf_free(b);
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 1;
}

static int tax_calculate(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    int opts = lua_istable(L, 2) ? 2 : 0;
    lua_settop(L, 2);
    vctx v;
    vinit(&v, L);
    if (!lua_istable(L, 1)) {
        vfail(&v, "body", "must be a JSON object");
        push_error(L, "validation_failed", "request body must be a JSON object", v.details);
        return 2;
    }
    calc c;
    memset(&c, 0, sizeof c);
    c.L = L;
    c.rates = rates;
    size_t len;
    /* currency */
    const char *cur = opt_string(&v, 1, K_currency, "currency", &len);
    c.exponent = -1;
    if (!cur) {
        vfail(&v, "currency", "is required (ISO 4217 code)");
    } else if (len == 3) {
        for (int i = 0; i < 3; i++)
            c.currency[i] = (char)(cur[i] >= 'a' && cur[i] <= 'z' ? cur[i] - 32 : cur[i]);
        c.exponent = levy_tax_currency_exponent(c.currency);
    }
    if (cur && c.exponent < 0)
        vfail(&v, "currency", "is not a known ISO 4217 currency code");
    /* date */
    const char *date_s = opt_string(&v, 1, K_date, "date", &len);
    char date_buf[11];
    if (date_s) {
        if (levy_tax_date_parse(date_s, len, &c.date) != 0)
            vfail(&v, "date", "must be a date YYYY-MM-DD");
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        c.date = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    }
    levy_tax_date_fmt(date_buf, c.date);
    /* customer */
    const char *customer_id = NULL;
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
            customer_id = opt_string(&v, t, K_id, "customer.id", &len);
            c.tax_id = opt_string(&v, t, K_tax_id, "customer.tax_id", &len);
            if (c.tax_id && !c.tax_id[0])
                c.tax_id = NULL;
            c.customer_exempt = opt_bool(&v, t, K_exempt, "customer.exempt", 0);
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
            vctx sv;
            vinit(&sv, L);
            lua_createtable(L, 0, 1);
            lua_pushvalue(L, top);
            lua_setfield(L, -2, "seller");
            read_address(&sv, top + 2, "seller", &c.seller, 0);
            if (sv.n)
                c.seller.present = 0; /* a bad settings address is ignored */
            lua_settop(L, top);
        }
        lua_pop(L, 1); /* strings stay referenced by opts.seller */
    }
    /* rounding */
    int document_rounding = 0;
    if (opts) {
        lua_getfield(L, opts, "rounding");
        if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "document") == 0)
            document_rounding = 1;
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
        lua_Integer n = luaL_len(L, lines_idx);
        if (n <= 0)
            vfail(&v, "lines", "must have at least one line");
        else if (n > LEVY_TAX_MAX_LINES)
            vfail(&v, "lines", "has more than 1000 lines");
        else
            nlines = (int)n;
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
    if (c.exponent >= 0) {
        size_t mn = levy_tax_fmt_scaled(max_amount, LEVY_TAX_MAX_MINOR, c.exponent);
        snprintf(max_amount + mn, sizeof max_amount - mn, " %s", c.currency);
    } else {
        snprintf(max_amount, sizeof max_amount, "%lld minor units", LEVY_TAX_MAX_MINOR);
    }
    for (int i = 0; i < nlines; i++) {
        const char *f;
        v.line = i;
        levy_tax_line *l = &c.lines[i];
        line_meta *m = &c.meta[i];
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
            snprintf(m->idbuf, sizeof m->idbuf, "%lld", (long long)lua_tointeger(L, -1));
            m->id = m->idbuf;
            m->idlen = strlen(m->idbuf);
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            m->id = lua_tolstring(L, -1, &m->idlen);
        } else if (absent(L, -1)) {
            snprintf(m->idbuf, sizeof m->idbuf, "%d", i + 1);
            m->id = m->idbuf;
            m->idlen = strlen(m->idbuf);
        } else {
            f = ".id";
            vfail(&v, f, "must be a string");
        }
        lua_pop(L, 1);
        int ex = c.exponent >= 0 ? c.exponent : 4;
        /* Ranges (dec.h; docs/rules.md "Ranges"): every amount, the amount after discount and
         * the unit price within LEVY_TAX_MAX_MINOR minor units, the quantity within
         * (0, LEVY_TAX_MAX_QTY]. Checked here so that no later step can overflow (issue 15:
         * 100000.00 / 0.000001 used to wrap to a negative unit price). */
        f = ".amount";
        int ra = opt_decimal(&v, lt, K_amount, f, ex, ex, 1, LEVY_TAX_MAX_MINOR, max_amount,
                             &l->amount);
        if (ra == 0)
            vfail(&v, f, "is required (a decimal string)");
        f = ".discount";
        l->discount = 0;
        int rd = opt_decimal(&v, lt, K_discount, f, ex, ex, 0, LEVY_TAX_MAX_MINOR, max_amount,
                             &l->discount);
        f = ".quantity";
        l->qty = LEVY_TAX_QTY_ONE;
        int rq = opt_decimal(&v, lt, K_quantity, f, 6, 6, 1, LEVY_TAX_MAX_QTY,
                             "1000000000 with 6 decimals", &l->qty);
        if (rq == 1 && l->qty < 0)
            vfail(&v, f, "must not be negative");
        else if (rq == 1 && l->qty == 0)
            vfail(&v, f, "must be greater than zero");
        if (ra == 1 && rd >= 0) {
            /* |amount|, discount <= 10^12: the difference cannot overflow */
            int64_t gross = l->amount - l->discount;
            int64_t mag = gross < 0 ? -gross : gross;
            char msg[200];
            if (mag > LEVY_TAX_MAX_MINOR) {
                snprintf(msg, sizeof msg, "makes amount - discount out of range (at most %s)",
                         max_amount);
                vfail(&v, ".discount", msg);
            } else if (rq >= 0 && l->qty > 0 &&
                       (__int128)mag * LEVY_TAX_QTY_ONE > (__int128)LEVY_TAX_MAX_MINOR * l->qty) {
                snprintf(msg, sizeof msg,
                         "divided by the quantity gives a unit price out of range (at most %s)",
                         max_amount);
                vfail(&v, ".amount", msg);
            }
        }
        f = ".tax_inclusive";
        l->inclusive = opt_bool(&v, lt, K_tax_inclusive, f, 0);
        f = ".product_id";
        const char *pid = opt_string(&v, lt, K_product_id, f, &len);
        f = ".tax_code";
        m->tax_code = opt_string(&v, lt, K_tax_code, f, &len);
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
    if (v.n) {
        push_error(L, "validation_failed", "the request is invalid; see details", v.details);
        return 2;
    }
    /* resolve */
    levy_err err;
    levy_err_clear(&err);
    levy_tax_address a = {c.ship_to.country, c.ship_to.state[0] ? c.ship_to.state : NULL,
                          c.ship_to.city, c.ship_to.zip};
    if (levy_rates_resolve(rates, &a, c.date, &c.res, &err) != LEVY_OK) {
        vctx ev;
        vinit(&ev, L);
        vfail(&ev, strstr(err.message, "state") ? "ship_to.state" : "ship_to.zip_code",
              err.message);
        push_error(L, err.code[0] ? err.code : "address_unresolved", err.message, ev.details);
        return 2;
    }
    /* regions, rules, subscription */
    for (int g = 0; g < c.res.ngroups; g++) {
        c.group_on[g] = region_on(L, opts, c.res.group_region[g], c.date);
        c.group_rule[g] = push_rule(L, opts, c.res.group_region[g], &c.group_file[g]);
        if (c.group_rule[g]) {
            lua_getfield(L, c.group_rule[g], "calculate");
            c.group_calc[g] = lua_isfunction(L, -1);
            lua_pop(L, 1);
        }
    }
    /* origin sourcing: an intrastate US sale is taxed at the seller's location */
    if (c.group_rule[0] && c.seller.present && strcmp(c.seller.country, "US") == 0 &&
        strcmp(c.ship_to.country, "US") == 0 && strcmp(c.seller.state, c.ship_to.state) == 0 &&
        c.seller.zip) {
        lua_getfield(L, c.group_rule[0], "sourcing");
        const char *src = lua_tostring(L, -1);
        int origin = src && (strcmp(src, "origin") == 0 || strcmp(src, "origin_intrastate") == 0);
        lua_pop(L, 1);
        if (origin) {
            levy_tax_address sa = {"US", c.seller.state, c.seller.city, c.seller.zip};
            levy_tax_resolution ores;
            levy_err oerr;
            levy_err_clear(&oerr);
            if (levy_rates_resolve(rates, &sa, c.date, &ores, &oerr) == LEVY_OK &&
                strcmp(ores.region, c.res.region) == 0)
                c.res = ores; /* an unknown seller ZIP keeps destination rates */
        }
    }
    /* tax codes: built-in, or named by the region's rule */
    for (int i = 0; i < nlines; i++) {
        const char *tc = c.meta[i].tax_code;
        if (builtin_code(tc) || rule_knows_code(L, c.group_rule[0], tc) ||
            (c.res.ngroups > 1 && rule_knows_code(L, c.group_rule[1], tc)))
            continue;
        char f[64], msg[160];
        snprintf(f, sizeof f, "lines[%d].tax_code", i);
        snprintf(msg, sizeof msg, "unknown tax code '%.100s' (GET /v1/tax-codes)", tc);
        vfail(&v, f, msg);
    }
    if (v.n) {
        push_error(L, "validation_failed", "the request is invalid; see details", v.details);
        return 2;
    }
    /* customer exemption from opts.customers[id] */
    if (!c.customer_exempt && customer_id && opts) {
        lua_getfield(L, opts, "customers");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, customer_id);
            if (lua_istable(L, -1)) {
                int ct = lua_gettop(L);
                getk(L, ct, K_exempt);
                int exm = lua_toboolean(L, -1);
                lua_pop(L, 1);
                lua_getfield(L, ct, "exemption_expires");
                if (exm && lua_type(L, -1) == LUA_TSTRING) {
                    int32_t exp;
                    size_t el;
                    const char *es = lua_tolstring(L, -1, &el);
                    if (levy_tax_date_parse(es, el, &exp) == 0 && c.date > exp)
                        exm = 0;
                }
                lua_pop(L, 1);
                lua_getfield(L, ct, "exempt_regions");
                if (exm && lua_istable(L, -1) && luaL_len(L, -1) > 0) {
                    int cover = 0;
                    lua_Integer nr = luaL_len(L, -1);
                    for (lua_Integer k = 1; k <= nr; k++) {
                        lua_rawgeti(L, -1, k);
                        const char *rg = lua_tostring(L, -1);
                        for (int g = 0; rg && g < c.res.ngroups; g++)
                            cover |= strcmp(rg, c.res.group_region[g]) == 0;
                        lua_pop(L, 1);
                    }
                    exm = cover;
                }
                lua_pop(L, 1);
                c.customer_exempt = exm;
                if (!c.tax_id) {
                    getk(L, ct, K_tax_id);
                    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0)
                        c.tax_id = lua_tostring(L, -1); /* referenced by opts.customers */
                    lua_pop(L, 1);
                }
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    /* reverse charge default: B2B (tax_id) where the seller is not established */
    int rc_region = 0;
    for (size_t k = 0; k < LEVY_ARRAY_LEN(reverse_charge_regions); k++)
        rc_region |= strcmp(c.res.region, reverse_charge_regions[k]) == 0;
    int reverse = rc_region && c.tax_id &&
                  !(c.seller.present && strcmp(c.seller.country, c.ship_to.country) == 0);

    int any_on = 0, any_tax_on = 0;
    for (int g = 0; g < c.res.ngroups; g++) {
        any_on |= c.group_on[g];
        for (int e = 0; e < c.res.n; e++)
            any_tax_on |= c.group_on[g] && c.res.e[e].group == g;
    }
    int calc_groups = 0;
    for (int i = 0; i < nlines; i++) {
        levy_tax_line *l = &c.lines[i];
        l->n = 0;
        for (int e = 0; e < c.res.n; e++)
            if (c.group_on[c.res.e[e].group])
                l->e[l->n++] = c.res.e[e];
        if (!any_on) {
            l->reason = LEVY_REASON_NOT_COLLECTING;
            continue;
        }
        if (!any_tax_on) {
            l->reason = LEVY_REASON_NO_TAX;
            continue;
        }
        if (c.customer_exempt) {
            for (int e = 0; e < l->n; e++)
                l->e[e].zero = 1;
            l->reason = LEVY_REASON_CUSTOMER_EXEMPT;
            continue;
        }
        const char *tc = c.meta[i].tax_code;
        for (int g = 0; g < c.res.ngroups; g++) {
            if (!c.group_on[g])
                continue;
            int rule = c.group_rule[g];
            int pushed = 0;
            if (rule) {
                lua_getfield(L, rule, "taxability");
                if (lua_istable(L, -1)) {
                    lua_getfield(L, -1, tc);
                    if (lua_isnil(L, -1)) {
                        lua_pop(L, 1);
                        lua_getfield(L, -1, "default");
                    }
                    lua_remove(L, -2);
                } else {
                    lua_pop(L, 1);
                    lua_pushnil(L);
                }
                pushed = 1;
            }
            if (!pushed || lua_isnil(L, -1)) {
                if (pushed)
                    lua_pop(L, 1);
                lua_pushstring(L, strcmp(tc, "exempt") == 0 ? "exempt" : "taxable");
            }
            apply_treatment(&c, i, g, -1, 0);
            lua_pop(L, 1);
        }
        if (reverse && !c.group_calc[0] && l->reason != LEVY_REASON_PRODUCT_EXEMPT &&
            l->reason != LEVY_REASON_ZERO && l->n > 0) {
            for (int e = 0; e < l->n; e++)
                l->e[e].zero = 1;
            l->reason = LEVY_REASON_REVERSE_CHARGE;
        }
        calc_groups = 1;
    }
    /* rule.calculate(ctx), per subscribed group whose rule defines it */
    if (calc_groups && !c.customer_exempt) {
        for (int g = 0; g < c.res.ngroups; g++) {
            if (!c.group_on[g] || !c.group_rule[g])
                continue;
            if (c.group_calc[g])
                run_calculate(&c, g, c.currency, date_buf, customer_id);
        }
    }
    /* compute */
    levy_tax_doc doc = {c.exponent, document_rounding, nlines, c.lines, 0, 0, 0, -1};
    levy_err_clear(&err);
    if (levy_tax_compute(&doc, &err) != LEVY_OK) {
        /* the request's values were range-checked above, so this is a value a rule set */
        vctx ev;
        vinit(&ev, L);
        char ef[32];
        snprintf(ef, sizeof ef, "lines[%d]", doc.err_line >= 0 ? doc.err_line : 0);
        vfail(&ev, doc.err_line >= 0 ? ef : "lines", err.message);
        push_error(L, "validation_failed", err.message, ev.details);
        return 2;
    }
    /* result */
    int ex = c.exponent;
    if (opts && json_result(L, opts, &c, &doc, nlines, date_buf, rates)) {
        return 1;
    }
    int amt = push_array_mt(L);
    lua_createtable(L, 0, 10);
    int res = lua_gettop(L);
    if (opts) {
        lua_getfield(L, opts, "calculation_id");
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            char id[40];
            new_calc_id(L, id, sizeof id);
            lua_pushstring(L, id);
        }
    } else {
        char id[40];
        new_calc_id(L, id, sizeof id);
        lua_pushstring(L, id);
    }
    lua_setfield(L, res, "calculation_id");
    lua_pushstring(L, c.currency);
    setk(L, res, K_currency);
    lua_pushstring(L, date_buf);
    setk(L, res, K_date);
    lua_pushstring(L, c.res.region);
    lua_setfield(L, res, "region");
    push_dec(L, doc.total_amount, ex);
    lua_setfield(L, res, "total_amount");
    push_dec(L, doc.total_taxable, ex);
    lua_setfield(L, res, "total_taxable");
    push_dec(L, doc.total_tax, ex);
    lua_setfield(L, res, "total_tax");
    lua_createtable(L, nlines, 0);
    use_array_mt(L, amt);
    for (int i = 0; i < nlines; i++) {
        levy_tax_line *l = &c.lines[i];
        lua_createtable(L, 0, 7);
        lua_pushlstring(L, c.meta[i].id, c.meta[i].idlen);
        setk(L, -2, K_id);
        push_dec(L, l->amount, ex);
        setk(L, -2, K_amount);
        push_dec(L, l->taxable, ex);
        setk(L, -2, K_taxable_amount);
        push_dec(L, l->tax, ex);
        setk(L, -2, K_tax);
        lua_pushstring(L, levy_tax_reason_name(l->reason));
        setk(L, -2, K_taxability_reason);
        if (l->discount) {
            push_dec(L, l->discount, ex);
            setk(L, -2, K_discount);
        }
        int listed = l->reason != LEVY_REASON_NOT_COLLECTING && l->reason != LEVY_REASON_NO_TAX;
        lua_createtable(L, listed ? l->n : 0, 0);
        use_array_mt(L, amt);
        for (int e = 0; listed && e < l->n; e++) {
            const levy_tax_entry *en = &l->e[e];
            lua_createtable(L, 0, 6);
            push_name(L, en);
            setk(L, -2, K_jurisdiction);
            lua_pushstring(L, levy_tax_level_name(en->level));
            setk(L, -2, K_level);
            lua_pushstring(L, levy_tax_type_name(en->type));
            setk(L, -2, K_type);
            push_pct(L, en->rate);
            setk(L, -2, K_percentage);
            push_dec(L, en->zero ? (l->reason == LEVY_REASON_CUSTOMER_EXEMPT ? 0 : en->taxable)
                                 : en->taxable,
                     ex);
            setk(L, -2, K_taxable_amount);
            push_dec(L, en->amount, ex);
            setk(L, -2, K_amount);
            lua_rawseti(L, -2, e + 1);
        }
        setk(L, -2, K_taxes);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, res, "lines");
    lua_createtable(L, 0, 3);
    if (opts) {
        lua_getfield(L, opts, "generation");
        lua_setfield(L, -2, "generation");
    }
    if (c.group_file[0]) {
        lua_pushstring(L, c.group_file[0]);
        lua_setfield(L, -2, "region_rule");
    }
    char src[512];
    levy_rates_describe(rates, &c.res, src, sizeof src);
    lua_pushstring(L, src);
    lua_setfield(L, -2, "rates_source");
    lua_setfield(L, res, "rules");
    return 1;
}

/* ------------------------------------------------------------------ other functions */

static int tax_tax_codes(lua_State *L)
{
    lua_createtable(L, (int)LEVY_ARRAY_LEN(tax_codes), 0);
    set_array_mt(L, -1);
    for (size_t i = 0; i < LEVY_ARRAY_LEN(tax_codes); i++) {
        lua_createtable(L, 0, 3);
        lua_pushstring(L, tax_codes[i].code);
        lua_setfield(L, -2, "code");
        lua_pushstring(L, tax_codes[i].name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, tax_codes[i].description);
        lua_setfield(L, -2, "description");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int tax_rates_info(lua_State *L)
{
    const levy_rates *r = levy_lua_host(L, LEVY_HOST_RATES);
    lua_newtable(L);
    set_array_mt(L, -1);
    if (!r)
        return 1;
    int n = levy_rates_ntables(r);
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(r, i);
        lua_createtable(L, 0, 4);
        lua_pushstring(L, t->source);
        lua_setfield(L, -2, "source");
        lua_pushstring(L, t->vintage);
        lua_setfield(L, -2, "vintage");
        lua_pushinteger(L, t->rows);
        lua_setfield(L, -2, "rows");
        lua_pushstring(L, t->path);
        lua_setfield(L, -2, "path");
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int cmp_code(lua_State *L)
{
    lua_getfield(L, 1, "code");
    lua_getfield(L, 2, "code");
    int lt = lua_compare(L, -2, -1, LUA_OPLT);
    lua_pop(L, 2);
    lua_pushboolean(L, lt);
    return 1;
}

static int tax_regions(lua_State *L)
{
    lua_newtable(L);
    set_array_mt(L, -1);
    int out = lua_gettop(L);
    int n = 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.rules");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 1;
    }
    int rules = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "levy.rule_files");
    int files = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, rules)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_istable(L, -1)) {
            int rt = lua_gettop(L);
            const char *code = lua_tostring(L, -2);
            lua_createtable(L, 0, 5);
            lua_pushstring(L, code);
            lua_setfield(L, -2, "code");
            lua_getfield(L, rt, "name");
            lua_setfield(L, -2, "name");
            getk(L, rt, K_country);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_pushlstring(L, code, strlen(code) >= 2 ? 2 : strlen(code));
            }
            setk(L, -2, K_country);
            lua_getfield(L, rt, "tax_type");
            lua_setfield(L, -2, "tax_type");
            if (lua_istable(L, files)) {
                lua_getfield(L, files, code);
                lua_setfield(L, -2, "rule");
            }
            lua_rawseti(L, out, ++n);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    /* sort by code */
    lua_getglobal(L, "table");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "sort");
        if (lua_isfunction(L, -1)) {
            lua_pushvalue(L, out);
            lua_pushcfunction(L, cmp_code);
            lua_call(L, 2, 0);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return 1;
}

static int tax_resolve(lua_State *L)
{
    const levy_rates *rates = levy_lua_host(L, LEVY_HOST_RATES);
    if (!rates)
        return luaL_error(L, "levy.tax: the rate index is not loaded");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    vctx v;
    vinit(&v, L);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "address");
    addr a;
    read_address(&v, lua_gettop(L), "address", &a, 1);
    int32_t date;
    if (lua_isnoneornil(L, 2)) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        date = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
    } else {
        size_t len;
        const char *s = luaL_checklstring(L, 2, &len);
        if (levy_tax_date_parse(s, len, &date) != 0)
            vfail(&v, "date", "must be a date YYYY-MM-DD");
    }
    if (v.n) {
        push_error(L, "validation_failed", "invalid address", v.details);
        return 2;
    }
    levy_tax_address ta = {a.country, a.state[0] ? a.state : NULL, a.city, a.zip};
    levy_tax_resolution res;
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_resolve(rates, &ta, date, &res, &err) != LEVY_OK) {
        push_error(L, err.code, err.message, 0);
        return 2;
    }
    lua_createtable(L, 0, 4);
    lua_pushstring(L, res.region);
    lua_setfield(L, -2, "region");
    lua_createtable(L, res.ngroups, 0);
    for (int g = 0; g < res.ngroups; g++) {
        lua_pushstring(L, res.group_region[g]);
        lua_rawseti(L, -2, g + 1);
    }
    lua_setfield(L, -2, "regions");
    lua_createtable(L, res.n, 0);
    set_array_mt(L, -1);
    for (int i = 0; i < res.n; i++) {
        const levy_tax_entry *e = &res.e[i];
        lua_createtable(L, 0, 5);
        push_name(L, e);
        setk(L, -2, K_jurisdiction);
        lua_pushstring(L, levy_tax_level_name(e->level));
        setk(L, -2, K_level);
        lua_pushstring(L, levy_tax_type_name(e->type));
        setk(L, -2, K_type);
        push_pct(L, e->rate);
        setk(L, -2, K_percentage);
        lua_pushstring(L, res.group_region[e->group]);
        lua_setfield(L, -2, "region");
        lua_rawseti(L, -2, i + 1);
    }
    setk(L, -2, K_taxes);
    if (res.nkeys) {
        lua_createtable(L, 0, res.nkeys);
        for (int k = 0; k < res.nkeys; k++) {
            push_pct(L, res.key_rate[k]);
            lua_setfield(L, -2, res.key[k]);
        }
        lua_setfield(L, -2, "rates");
    }
    char src[512];
    levy_rates_describe(rates, &res, src, sizeof src);
    lua_pushstring(L, src);
    lua_setfield(L, -2, "rates_source");
    return 1;
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
 * combine|nil, period, effective_from|nil, source} read from <data root>/us/economic-nexus.csv;
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
    levy_nexus *nx = *box;
    lua_createtable(L, (int)nx->n, 0);
    set_array_mt(L, -1);
    for (size_t i = 0; i < nx->n; i++) {
        const levy_nexus_row *r = &nx->rows[i];
        lua_createtable(L, 0, 7);
        lua_pushstring(L, r->state);
        lua_setfield(L, -2, "state");
        lua_pushstring(L, r->sales);
        lua_setfield(L, -2, "sales_threshold");
        if (r->transactions >= 0) {
            lua_pushinteger(L, (lua_Integer)r->transactions);
            lua_setfield(L, -2, "transactions_threshold");
            lua_pushstring(L, r->combine);
            lua_setfield(L, -2, "combine");
        }
        lua_pushstring(L, r->period);
        lua_setfield(L, -2, "period");
        if (r->effective_from[0]) {
            lua_pushstring(L, r->effective_from);
            lua_setfield(L, -2, "effective_from");
        }
        lua_pushstring(L, r->source);
        lua_setfield(L, -2, "source");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    levy_nexus_free(nx);
    *box = NULL;
    return 1;
}

int luaopen_levy_tax(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"calculate", tax_calculate}, {"regions", tax_regions},   {"tax_codes", tax_tax_codes},
        {"rates_info", tax_rates_info}, {"resolve", tax_resolve},
        {"nexus_thresholds", tax_nexus_thresholds}, {NULL, NULL}};
    lua_createtable(L, 0, (int)LEVY_ARRAY_LEN(funcs));
    if (luaL_newmetatable(L, LINES_LEASE_MT)) {
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, lease_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    /* shared line buffer as upvalue, freed by its __gc */
    line_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, linebuf_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    for (int k = 0; k < K_N; k++)
        lua_pushstring(L, key_names[k]);
    luaL_setfuncs(L, funcs, 1 + K_N);
    return 1;
}
