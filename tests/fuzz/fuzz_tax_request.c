/* libFuzzer: the /v1/calculate request mapper, every shipped rule script, and the engine's
 * arithmetic against an independent oracle (issue 15 findings 6 and 7).
 *
 * Two modes, chosen by the first input byte:
 *  - raw: the rest is JSON decoded with lua-cjson and handed to levy.tax calculate() with all
 *    regions on; any Lua error other than a clean validation result is a finding. The same
 *    text is also read both ways levy reads a body (issue 21): levy.json.decode + the Lua-table
 *    reader, and levy.tax.parse (the body parsed in C, core/tax/json_in.c) + the same reader
 *    over the parsed text; both must refuse alike (the same message) or answer the same bytes
 *    (the same answer, or the same error).
 *  - structured (most inputs): the bytes drive a generator that builds a well-formed request
 *    for a ship-to taken from some rule's self-tests (so every rule file runs, with its
 *    calculate(ctx)), in a currency of every ISO 4217 exponent (0, 2, 3, 4), with amounts,
 *    discounts and quantities from 1 minor unit / 0.000001 to past the accepted ranges,
 *    credits, tax-inclusive lines, document rounding, exempt and B2B customers.
 *
 * Property (every accepted request): the tax is the arithmetic done in arbitrary precision.
 * levy_tax_compute is wrapped (-Wl,--wrap): after the engine ran, the oracle below recomputes
 * every line from the engine's inputs (the jurisdictions, rates, fractions and caps the rules
 * chose) with its own 320-bit integers (overflow aborts), following docs/rules.md sections
 * 3-5, and compares each entry's taxable and amount, each line's tax, taxable and net, and
 * the totals; it parses the request's decimal strings itself and compares them with what the
 * engine was given; it formats its own results and compares them with the response's
 * strings; and for the rules that compare unit prices (TN single article, NY clothing under
 * $110, MA/RI clothing above $175/$250) it checks the decision against the exact unit
 * price. A request refused with 422 must be one the oracle finds out of range (or invalid),
 * and an in-range, valid request must never be refused. */
#include <dirent.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lctx.h"
#include "tax/dec.h"
#include "tax/engine.h"
#include "tax/rates.h"

int luaopen_levy_tax(lua_State *L);
int luaopen_levy_money(lua_State *L);
int luaopen_levy_taxid(lua_State *L);
int luaopen_cjson(lua_State *L);
int luaopen_levy_json(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __real_levy_tax_compute(levy_tax_doc *doc, levy_err *err);
int __wrap_levy_tax_compute(levy_tax_doc *doc, levy_err *err);

static lua_State *L;
static levy_rates *R;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "ORACLE MISMATCH: " __VA_ARGS__);                                          \
        fprintf(stderr, "\n");                                                                     \
        abort();                                                                                   \
    } while (0)

/* ------------------------------------------------------------------ 320-bit integers
 * Sign and magnitude, ten 32-bit limbs, schoolbook operations; an operation whose result
 * needs more than 320 bits aborts (the values here stay below 2^140). */
#define NL 10
typedef struct bn {
    int neg;
    uint32_t d[NL];
} bn;

static bn bn_i(int64_t v)
{
    bn r;
    memset(&r, 0, sizeof r);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    r.neg = v < 0;
    r.d[0] = (uint32_t)u;
    r.d[1] = (uint32_t)(u >> 32);
    return r;
}
static int mag_zero(const bn *a)
{
    for (int i = 0; i < NL; i++)
        if (a->d[i])
            return 0;
    return 1;
}
static int mag_cmp(const bn *a, const bn *b)
{
    for (int i = NL - 1; i >= 0; i--)
        if (a->d[i] != b->d[i])
            return a->d[i] < b->d[i] ? -1 : 1;
    return 0;
}
static bn mag_add(const bn *a, const bn *b)
{
    bn r;
    memset(&r, 0, sizeof r);
    uint64_t c = 0;
    for (int i = 0; i < NL; i++) {
        c += (uint64_t)a->d[i] + b->d[i];
        r.d[i] = (uint32_t)c;
        c >>= 32;
    }
    if (c)
        FAIL("bignum overflow (add)");
    return r;
}
static bn mag_sub(const bn *a, const bn *b) /* |a| >= |b| */
{
    bn r;
    memset(&r, 0, sizeof r);
    int64_t br = 0;
    for (int i = 0; i < NL; i++) {
        int64_t x = (int64_t)a->d[i] - b->d[i] - br;
        br = x < 0;
        r.d[i] = (uint32_t)(x + (br ? ((int64_t)1 << 32) : 0));
    }
    return r;
}
static bn bn_add(bn a, bn b)
{
    bn r;
    if (a.neg == b.neg) {
        r = mag_add(&a, &b);
        r.neg = a.neg;
    } else if (mag_cmp(&a, &b) >= 0) {
        r = mag_sub(&a, &b);
        r.neg = a.neg;
    } else {
        r = mag_sub(&b, &a);
        r.neg = b.neg;
    }
    if (mag_zero(&r))
        r.neg = 0;
    return r;
}
static bn bn_neg(bn a)
{
    if (!mag_zero(&a))
        a.neg = !a.neg;
    return a;
}
static bn bn_sub(bn a, bn b) { return bn_add(a, bn_neg(b)); }
static bn bn_mul(bn a, bn b)
{
    uint64_t t[2 * NL];
    memset(t, 0, sizeof t);
    for (int i = 0; i < NL; i++) {
        uint64_t c = 0;
        for (int j = 0; j < NL; j++) {
            uint64_t x = (uint64_t)a.d[i] * b.d[j] + (t[i + j] & 0xffffffffu) + c;
            t[i + j] = x & 0xffffffffu;
            c = x >> 32;
        }
        t[i + NL] += c;
    }
    bn r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < 2 * NL; i++) {
        if (i < NL)
            r.d[i] = (uint32_t)t[i];
        else if (t[i])
            FAIL("bignum overflow (mul)");
    }
    r.neg = !mag_zero(&r) && (a.neg != b.neg);
    return r;
}
static bn bn_mi(bn a, int64_t v) { return bn_mul(a, bn_i(v)); }
static int bn_cmp(bn a, bn b)
{
    bn d = bn_sub(a, b);
    return mag_zero(&d) ? 0 : d.neg ? -1 : 1;
}
static int bn_sign(bn a) { return mag_zero(&a) ? 0 : a.neg ? -1 : 1; }
static bn bn_abs(bn a)
{
    a.neg = 0;
    return a;
}
/* floor(|a| / |b|) and the remainder, magnitudes, by shift and subtract */
static void mag_divmod(const bn *a, const bn *b, bn *q, bn *r)
{
    if (mag_zero(b))
        FAIL("division by zero");
    memset(q, 0, sizeof *q);
    memset(r, 0, sizeof *r);
    int top = NL - 1;
    while (top > 0 && a->d[top] == 0)
        top--;
    for (int bit = top * 32 + 31; bit >= 0; bit--) {
        uint32_t carry = (a->d[bit / 32] >> (bit % 32)) & 1;
        for (int i = 0; i < NL; i++) {
            uint32_t next = r->d[i] >> 31;
            r->d[i] = (r->d[i] << 1) | carry;
            carry = next;
        }
        if (carry)
            FAIL("bignum overflow (div)");
        if (mag_cmp(r, b) >= 0) {
            *r = mag_sub(r, b);
            q->d[bit / 32] |= (uint32_t)1 << (bit % 32);
        }
    }
}
static bn bn_floordiv(bn a, bn b) /* b > 0 */
{
    bn q, r;
    mag_divmod(&a, &b, &q, &r);
    if (a.neg) {
        if (!mag_zero(&r))
            q = mag_add(&q, &(bn){0, {1}});
        q.neg = !mag_zero(&q);
    }
    return q;
}
/* a / b rounded half away from zero, b > 0 */
static bn bn_round(bn a, bn b)
{
    bn twice = bn_mi(bn_abs(a), 2);
    bn q = bn_floordiv(bn_add(twice, b), bn_mi(b, 2));
    return a.neg ? bn_neg(q) : q;
}
static int64_t bn_to64(bn a)
{
    for (int i = 2; i < NL; i++)
        if (a.d[i])
            FAIL("oracle value beyond int64");
    uint64_t u = (uint64_t)a.d[0] | (uint64_t)a.d[1] << 32;
    if (u > (uint64_t)INT64_MAX)
        FAIL("oracle value beyond int64");
    return a.neg ? -(int64_t)u : (int64_t)u;
}
static bn bn_pow10(int n)
{
    bn r = bn_i(1);
    for (int i = 0; i < n; i++)
        r = bn_mi(r, 10);
    return r;
}
/* strict decimal "-?[0-9]+(\.[0-9]+)?" -> value x 10^scale; 0 ok, -1 syntax, -2 more
 * significant decimals than scale */
static int bn_parse(const char *s, int scale, bn *out)
{
    int neg = 0, frac = -1;
    bn v = bn_i(0);
    const char *p = s;
    if (*p == '-')
        neg = 1, p++;
    if (*p < '0' || *p > '9')
        return -1;
    int nd = 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (frac >= 0 || p[1] == 0)
                return -1;
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        if (++nd > 60)
            return -3; /* far beyond every range: say so without overflowing */
        if (frac >= 0 && frac >= scale) {
            if (*p != '0')
                return -2;
            continue;
        }
        v = bn_add(bn_mi(v, 10), bn_i(*p - '0'));
        if (frac >= 0)
            frac++;
    }
    for (int f = frac < 0 ? 0 : frac; f < scale; f++)
        v = bn_mi(v, 10);
    *out = neg ? bn_neg(v) : v;
    return 0;
}
/* minor units -> decimal string with `ex` decimals (every result fits int64: bn_to64 checks) */
static void bn_fmt(bn v, int ex, char *buf)
{
    int64_t x = bn_to64(v);
    uint64_t m = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    char tmp[64];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (n <= ex)
        tmp[n++] = '0';
    size_t o = 0;
    if (x < 0)
        buf[o++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        buf[o++] = tmp[i];
        if (i == ex && ex > 0)
            buf[o++] = '.';
    }
    buf[o] = 0;
}

/* ------------------------------------------------------------------ the request, as sent */
#define MAXL 8
static struct {
    int active, ex, customer_exempt, nlines;
    char state[4];
    char amount[MAXL][80], discount[MAXL][80], qty[MAXL][80], code[MAXL][32];
    int checked; /* the wrap ran and checked a document */
    /* oracle results kept for the response check */
    int64_t tax[MAXL], taxable[MAXL], eamount[MAXL][LEVY_TAX_MAX_ENTRIES],
        etaxable[MAXL][LEVY_TAX_MAX_ENTRIES];
    int n[MAXL], reason[MAXL], zero[MAXL][LEVY_TAX_MAX_ENTRIES];
    int64_t total_tax, total_taxable, total_amount;
} Q;

/* Largest-remainder split of `total` over exact[i] / den (docs/rules.md section 4): floors,
 * then one unit at a time to the largest remainders (taken from the smallest when the
 * floors exceed the total), each index once per round, ties to the lower index. */
static void oracle_allocate(bn total, const bn *exact, bn den, int n, int64_t *out)
{
    bn sum = bn_i(0), rem[LEVY_TAX_MAX_LINES > LEVY_TAX_MAX_ENTRIES ? 16 : 16];
    for (int i = 0; i < n; i++) {
        bn f = bn_floordiv(exact[i], den);
        out[i] = bn_to64(f);
        rem[i] = bn_sub(exact[i], bn_mul(f, den));
        sum = bn_add(sum, f);
    }
    int64_t k = bn_to64(bn_sub(total, sum));
    while (k != 0) {
        int taken[16] = {0};
        int64_t rounds = k > 0 ? (k < n ? k : n) : (-k < n ? -k : n);
        for (int64_t r = 0; r < rounds; r++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (taken[i])
                    continue;
                if (best < 0 ||
                    (k > 0 ? bn_cmp(rem[i], rem[best]) > 0 : bn_cmp(rem[i], rem[best]) < 0))
                    best = i;
            }
            taken[best] = 1;
            out[best] += k > 0 ? 1 : -1;
        }
        k += k > 0 ? -rounds : rounds;
    }
}

/* the capped (or whole) base of entry e at the amount g (minor units), scaled by 10^6 */
static bn base_at(const levy_tax_line *l, const levy_tax_entry *e, bn g)
{
    bn whole = bn_mi(g, 1000000);
    if (e->unit_from < 0 && e->unit_to < 0)
        return whole;
    int neg = bn_sign(g) < 0;
    bn hi = bn_abs(whole);
    if (e->unit_to >= 0) {
        bn cap = bn_mi(bn_i(l->qty), e->unit_to);
        if (bn_cmp(cap, hi) < 0)
            hi = cap;
    }
    bn lo = e->unit_from >= 0 ? bn_mi(bn_i(l->qty), e->unit_from) : bn_i(0);
    bn b = bn_sub(hi, lo);
    if (bn_sign(b) < 0)
        b = bn_i(0);
    return neg ? bn_neg(b) : b;
}

static int has_caps(const levy_tax_line *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->e[i].unit_from >= 0 || l->e[i].unit_to >= 0)
            return 1;
    return 0;
}

/* one line, line rounding: fills exp_amount/exp_taxable per entry, net, tax, taxable */
static void oracle_line(const levy_tax_line *l, int64_t *eamt, int64_t *etax, int64_t *net,
                        int64_t *tax, int64_t *taxable)
{
    const bn D6 = bn_i(1000000), D8 = bn_i(100000000);
    bn D14 = bn_mul(D6, D8), D16 = bn_mul(D8, D8), D22 = bn_mul(D6, D16);
    bn gross = bn_sub(bn_i(l->amount), bn_i(l->discount));
    int n = l->n;
    *tax = 0;
    if (!l->inclusive) {
        *net = bn_to64(gross);
        for (int i = 0; i < n; i++) {
            const levy_tax_entry *e = &l->e[i];
            bn b = base_at(l, e, gross);
            etax[i] = bn_to64(bn_round(bn_mi(b, e->fraction), D14));
            eamt[i] = e->zero ? 0 : bn_to64(bn_round(bn_mi(bn_mi(b, e->fraction), e->rate), D22));
            *tax += eamt[i];
        }
    } else if (!has_caps(l)) {
        bn s = bn_i(0);
        int nz = 0;
        for (int i = 0; i < n; i++)
            if (!l->e[i].zero) {
                s = bn_add(s, bn_mi(bn_i(l->e[i].rate), l->e[i].fraction));
                nz += l->e[i].rate > 0 && l->e[i].fraction > 0;
            }
        bn nt = nz ? bn_round(bn_mul(gross, D16), bn_add(D16, s)) : gross;
        *net = bn_to64(nt);
        bn exact[LEVY_TAX_MAX_ENTRIES];
        for (int i = 0; i < n; i++)
            exact[i] = l->e[i].zero ? bn_i(0) : bn_mi(bn_mi(nt, l->e[i].rate), l->e[i].fraction);
        int64_t alloc[LEVY_TAX_MAX_ENTRIES];
        oracle_allocate(bn_sub(gross, nt), exact, D16, n, alloc);
        for (int i = 0; i < n; i++) {
            etax[i] = bn_to64(bn_round(bn_mi(nt, l->e[i].fraction), D8));
            eamt[i] = (l->e[i].zero || !nz) ? 0 : alloc[i];
            *tax += eamt[i];
        }
    } else {
        /* x + tax(x) = |gross|, solved by its defining property: the net n is the half-up
         * rounding of the exact solution x*, i.e. H(n - 1/2) <= G < H(n + 1/2) with
         * H(x) = x + sum of capped_base(x) f r (strictly increasing); checked, not solved */
        int neg = bn_sign(gross) < 0;
        bn G = bn_abs(gross);
        int64_t n0 = l->net < 0 ? -l->net : l->net; /* the engine's answer, to be verified */
        for (int side = -1; side <= 1; side += 2) {
            if (side < 0 && n0 == 0)
                continue;
            bn x6 = bn_i(n0 * 1000000 + side * 500000); /* n -/+ 1/2, scaled by 10^6 */
            bn H = bn_mul(x6, D16);
            for (int i = 0; i < n; i++) {
                const levy_tax_entry *e = &l->e[i];
                if (e->zero)
                    continue;
                bn hi = x6;
                if (e->unit_to >= 0 && bn_cmp(bn_mi(bn_i(l->qty), e->unit_to), hi) < 0)
                    hi = bn_mi(bn_i(l->qty), e->unit_to);
                bn lo = e->unit_from >= 0 ? bn_mi(bn_i(l->qty), e->unit_from) : bn_i(0);
                bn b = bn_sub(hi, lo);
                if (bn_sign(b) > 0)
                    H = bn_add(H, bn_mi(bn_mi(b, e->fraction), e->rate));
            }
            bn target = bn_mul(G, D22);
            if (side < 0 ? bn_cmp(H, target) > 0 : bn_cmp(target, H) >= 0)
                FAIL("inclusive capped net %lld is not the rounded solution for gross %lld",
                     (long long)l->net, (long long)l->amount - l->discount);
        }
        bn nt = bn_i(n0);
        bn exact[LEVY_TAX_MAX_ENTRIES];
        for (int i = 0; i < n; i++) {
            bn b = base_at(l, &l->e[i], nt);
            exact[i] = l->e[i].zero ? bn_i(0) : bn_mi(bn_mi(b, l->e[i].fraction), l->e[i].rate);
            etax[i] = bn_to64(bn_round(bn_mi(b, l->e[i].fraction), D14));
        }
        int64_t alloc[LEVY_TAX_MAX_ENTRIES];
        oracle_allocate(bn_sub(G, nt), exact, D22, n, alloc);
        for (int i = 0; i < n; i++) {
            eamt[i] = l->e[i].zero ? 0 : alloc[i];
            if (neg) {
                eamt[i] = -eamt[i];
                etax[i] = -etax[i];
            }
            *tax += eamt[i];
        }
        *net = neg ? -n0 : n0;
    }
    /* line taxable: the largest taxed entry's (the most negative on a credit) */
    int neg = bn_sign(gross) < 0;
    *taxable = 0;
    for (int i = 0; i < n; i++)
        if (!l->e[i].zero && (neg ? etax[i] < *taxable : etax[i] > *taxable))
            *taxable = etax[i];
}

static int same_key(const levy_tax_entry *a, const levy_tax_entry *b)
{
    char x[300], y[300];
    snprintf(x, sizeof x, "%s%s", a->name ? a->name : "", a->suffix ? a->suffix : "");
    snprintf(y, sizeof y, "%s%s", b->name ? b->name : "", b->suffix ? b->suffix : "");
    return a->name && b->name && strcmp(x, y) == 0 && a->level == b->level && a->type == b->type &&
           a->rate == b->rate && a->fraction == b->fraction && a->unit_from == b->unit_from &&
           a->unit_to == b->unit_to;
}

/* the request's own view of the unit price: |amount - discount| / qty compared with cap
 * (minor units): -1, 0, 1 */
static int unit_cmp(const levy_tax_line *l, int64_t cap)
{
    bn g = bn_abs(bn_sub(bn_i(l->amount), bn_i(l->discount)));
    return bn_cmp(bn_mi(g, 1000000), bn_mi(bn_i(cap), l->qty));
}

static int find_entry(const levy_tax_line *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (l->e[i].name && strcmp(l->e[i].name, name) == 0)
            return i;
    return -1;
}

/* the decisions of the rules that compare unit prices, against the exact unit price; a
 * credit is decided as the sale it refunds (its magnitude) */
static void oracle_rules(const levy_tax_line *l, int li)
{
    const char *code = Q.code[li];
    int64_t p10 = 1;
    for (int i = 0; i < Q.ex; i++)
        p10 *= 10;
    if (Q.customer_exempt || l->reason == LEVY_REASON_NOT_COLLECTING ||
        l->reason == LEVY_REASON_NO_TAX || l->reason == LEVY_REASON_REVERSE_CHARGE)
        return;
    if (strcmp(Q.state, "TN") == 0 && (!strcmp(code, "general") || !strcmp(code, "clothing")) &&
        l->reason != LEVY_REASON_PRODUCT_EXEMPT && l->n > 0) {
        int sa = find_entry(l, "TENNESSEE SINGLE ARTICLE");
        if ((sa >= 0) != (unit_cmp(l, 1600 * p10) > 0))
            FAIL("TN line %d: single-article entry %s but unit price vs 1600 is %d", li,
                 sa >= 0 ? "present" : "absent", unit_cmp(l, 1600 * p10));
        for (int i = 0; i < l->n; i++)
            if (l->e[i].level != LEVY_LEVEL_STATE && l->e[i].unit_to != 1600 * p10)
                FAIL("TN line %d: local entry without the 1600 cap", li);
    }
    if (strcmp(Q.state, "NY") == 0 && !strcmp(code, "clothing")) {
        int has_state = 0;
        for (int i = 0; i < l->n; i++)
            has_state |= l->e[i].level == LEVY_LEVEL_STATE;
        int below = unit_cmp(l, 110 * p10) < 0;
        if (below && has_state)
            FAIL("NY clothing line %d: unit price under 110 but the state taxes it", li);
        if (!below && l->reason == LEVY_REASON_PRODUCT_EXEMPT)
            FAIL("NY clothing line %d: unit price not under 110 but exempt", li);
    }
    if ((strcmp(Q.state, "MA") == 0 || strcmp(Q.state, "RI") == 0) && !strcmp(code, "clothing")) {
        int64_t cap = (strcmp(Q.state, "MA") == 0 ? 175 : 250) * p10;
        int above = unit_cmp(l, cap) > 0;
        if (!above && l->n > 0)
            FAIL("%s clothing line %d: unit price <= %lld but taxed", Q.state, li, (long long)cap);
        for (int i = 0; above && i < l->n; i++)
            if (l->e[i].unit_from != cap)
                FAIL("%s clothing line %d: entry without unit_from %lld", Q.state, li,
                     (long long)cap);
    }
}

int __wrap_levy_tax_compute(levy_tax_doc *d, levy_err *err)
{
    int rc = __real_levy_tax_compute(d, err);
    if (!Q.active || rc != LEVY_OK)
        return rc;
    if (d->nlines != Q.nlines)
        FAIL("%d lines computed, %d sent", d->nlines, Q.nlines);
    /* 1. the engine was given what the request says (parsed here independently) */
    for (int i = 0; i < d->nlines; i++) {
        const levy_tax_line *l = &d->lines[i];
        bn a, ds = bn_i(0), q = bn_i(1000000);
        if (bn_parse(Q.amount[i], Q.ex, &a) ||
            (Q.discount[i][0] && bn_parse(Q.discount[i], Q.ex, &ds)) ||
            (Q.qty[i][0] && bn_parse(Q.qty[i], 6, &q)))
            FAIL("line %d: levy accepted a value the oracle cannot parse", i);
        if (bn_cmp(a, bn_i(l->amount)) || bn_cmp(ds, bn_i(l->discount)) || bn_cmp(q, bn_i(l->qty)))
            FAIL("line %d: parsed %lld/%lld/%lld from '%s'/'%s'/'%s'", i, (long long)l->amount,
                 (long long)l->discount, (long long)l->qty, Q.amount[i], Q.discount[i], Q.qty[i]);
        oracle_rules(l, i);
    }
    /* 2. line rounding arithmetic */
    int64_t tot_tax = 0, tot_taxable = 0, tot_amount = 0;
    int64_t eamt[MAXL][LEVY_TAX_MAX_ENTRIES], etax[MAXL][LEVY_TAX_MAX_ENTRIES];
    int64_t ltax[MAXL], ltaxable[MAXL];
    for (int i = 0; i < d->nlines; i++) {
        const levy_tax_line *l = &d->lines[i];
        int64_t net;
        oracle_line(l, eamt[i], etax[i], &net, &ltax[i], &ltaxable[i]);
        if (net != l->net)
            FAIL("line %d: net %lld, oracle %lld", i, (long long)l->net, (long long)net);
        if (l->inclusive && net + ltax[i] != l->amount - l->discount && l->n > 0)
            FAIL("line %d: inclusive net + tax != gross", i);
    }
    /* 3. document rounding: per jurisdiction key over the exclusive lines, rounded once on
     * the sum of the exact amounts, allocated back by largest remainder */
    if (d->document_rounding && d->nlines > 1) {
        int done[MAXL][LEVY_TAX_MAX_ENTRIES];
        memset(done, 0, sizeof done);
        bn D22 = bn_pow10(22);
        for (int li = 0; li < d->nlines; li++) {
            const levy_tax_line *l = &d->lines[li];
            if (l->inclusive)
                continue;
            for (int ei = 0; ei < l->n; ei++) {
                if (done[li][ei] || l->e[ei].zero)
                    continue;
                bn exact[MAXL], sum = bn_i(0);
                int who[MAXL], slot[MAXL], m = 0;
                for (int lj = li; lj < d->nlines; lj++) {
                    const levy_tax_line *o = &d->lines[lj];
                    if (o->inclusive)
                        continue;
                    for (int ej = 0; ej < o->n; ej++) {
                        if (done[lj][ej] || o->e[ej].zero || !same_key(&l->e[ei], &o->e[ej]))
                            continue;
                        done[lj][ej] = 1;
                        bn g = bn_sub(bn_i(o->amount), bn_i(o->discount));
                        exact[m] = bn_mi(bn_mi(base_at(o, &o->e[ej], g), o->e[ej].fraction),
                                         o->e[ej].rate);
                        sum = bn_add(sum, exact[m]);
                        who[m] = lj;
                        slot[m++] = ej;
                        break;
                    }
                }
                int64_t alloc[MAXL];
                oracle_allocate(bn_round(sum, D22), exact, D22, m, alloc);
                for (int k = 0; k < m; k++) {
                    ltax[who[k]] += alloc[k] - eamt[who[k]][slot[k]];
                    eamt[who[k]][slot[k]] = alloc[k];
                }
            }
        }
    }
    /* 4. compare every entry, line and total */
    for (int i = 0; i < d->nlines; i++) {
        const levy_tax_line *l = &d->lines[i];
        for (int e = 0; e < l->n; e++) {
            if (l->e[e].amount != eamt[i][e] || l->e[e].taxable != etax[i][e])
                FAIL("line %d entry %d (%s rate %lld fraction %lld caps %lld..%lld zero %d, "
                     "inclusive %d, doc %d): "
                     "amount %lld taxable %lld, oracle %lld %lld",
                     i, e, l->e[e].name, (long long)l->e[e].rate, (long long)l->e[e].fraction,
                     (long long)l->e[e].unit_from, (long long)l->e[e].unit_to, l->e[e].zero,
                     l->inclusive, d->document_rounding, (long long)l->e[e].amount,
                     (long long)l->e[e].taxable, (long long)eamt[i][e], (long long)etax[i][e]);
            Q.eamount[i][e] = eamt[i][e];
            Q.etaxable[i][e] = etax[i][e];
            Q.zero[i][e] = l->e[e].zero;
        }
        if (l->tax != ltax[i] || l->taxable != ltaxable[i])
            FAIL("line %d: tax %lld taxable %lld, oracle %lld %lld", i, (long long)l->tax,
                 (long long)l->taxable, (long long)ltax[i], (long long)ltaxable[i]);
        Q.tax[i] = ltax[i];
        Q.taxable[i] = ltaxable[i];
        Q.n[i] = l->n;
        Q.reason[i] = l->reason;
        tot_tax += ltax[i];
        tot_taxable += ltaxable[i];
        tot_amount += l->amount - l->discount;
    }
    if (d->total_tax != tot_tax || d->total_taxable != tot_taxable || d->total_amount != tot_amount)
        FAIL("totals %lld/%lld/%lld, oracle %lld/%lld/%lld", (long long)d->total_tax,
             (long long)d->total_taxable, (long long)d->total_amount, (long long)tot_tax,
             (long long)tot_taxable, (long long)tot_amount);
    Q.total_tax = tot_tax;
    Q.total_taxable = tot_taxable;
    Q.total_amount = tot_amount;
    Q.checked = 1;
    return rc;
}

/* ------------------------------------------------------------------ Lua side */

/* oracle_begin(ex, state, customer_exempt, lines): the request as sent */
static int l_begin(lua_State *Ls)
{
    memset(&Q, 0, sizeof Q);
    Q.ex = (int)luaL_checkinteger(Ls, 1);
    snprintf(Q.state, sizeof Q.state, "%s", luaL_checkstring(Ls, 2));
    Q.customer_exempt = lua_toboolean(Ls, 3);
    Q.nlines = (int)luaL_len(Ls, 4);
    if (Q.nlines > MAXL)
        return luaL_error(Ls, "too many lines");
    for (int i = 0; i < Q.nlines; i++) {
        lua_rawgeti(Ls, 4, i + 1);
        lua_getfield(Ls, -1, "amount");
        snprintf(Q.amount[i], sizeof Q.amount[i], "%s", luaL_optstring(Ls, -1, ""));
        lua_getfield(Ls, -2, "discount");
        snprintf(Q.discount[i], sizeof Q.discount[i], "%s", luaL_optstring(Ls, -1, ""));
        lua_getfield(Ls, -3, "quantity");
        snprintf(Q.qty[i], sizeof Q.qty[i], "%s", luaL_optstring(Ls, -1, ""));
        lua_getfield(Ls, -4, "tax_code");
        snprintf(Q.code[i], sizeof Q.code[i], "%s", luaL_optstring(Ls, -1, "general"));
        lua_pop(Ls, 5);
    }
    Q.active = 1;
    return 0;
}

/* 1 when every line is in the documented ranges (dec.h), by the oracle's own arithmetic */
static int in_range(void)
{
    bn M = bn_i(LEVY_TAX_MAX_MINOR);
    for (int i = 0; i < Q.nlines; i++) {
        bn a, ds = bn_i(0), q = bn_i(1000000);
        if (bn_parse(Q.amount[i], Q.ex, &a) ||
            (Q.discount[i][0] && bn_parse(Q.discount[i], Q.ex, &ds)) ||
            (Q.qty[i][0] && bn_parse(Q.qty[i], 6, &q)))
            return 0;
        bn g = bn_abs(bn_sub(a, ds));
        if (bn_cmp(bn_abs(a), M) > 0 || bn_sign(ds) < 0 || bn_cmp(ds, M) > 0 || bn_cmp(g, M) > 0 ||
            bn_sign(q) <= 0 || bn_cmp(q, bn_i(LEVY_TAX_MAX_QTY)) > 0 ||
            bn_cmp(bn_mi(g, 1000000), bn_mul(M, q)) > 0)
            return 0;
    }
    return 1;
}

static void expect_str(lua_State *Ls, int t, const char *k, int64_t v, const char *what, int i)
{
    char want[128];
    bn_fmt(bn_i(v), Q.ex, want);
    lua_getfield(Ls, t, k);
    const char *got = lua_tostring(Ls, -1);
    if (!got || strcmp(got, want) != 0)
        FAIL("%s %d: %s is '%s', oracle '%s'", what, i, k, got ? got : "(nil)", want);
    lua_pop(Ls, 1);
}

/* LEVY_FUZZ_STATS=1: at exit, how many accepted requests were checked per currency
 * exponent and per US state (shows that every exponent went through every rule) */
static long stat_ok[5], stat_refused, stat_state[26 * 26];
static void print_stats(void)
{
    fprintf(stderr, "oracle: accepted by exponent 0:%ld 2:%ld 3:%ld 4:%ld, refused %ld; states:",
            stat_ok[0], stat_ok[2], stat_ok[3], stat_ok[4], stat_refused);
    for (int i = 0; i < 26 * 26; i++)
        if (stat_state[i])
            fprintf(stderr, " %c%c:%ld", 'A' + i / 26, 'A' + i % 26, stat_state[i]);
    fprintf(stderr, "\n");
}

/* oracle_end(result | nil, err): the response against the oracle */
static int l_end(lua_State *Ls)
{
    if (!Q.active)
        return 0;
    Q.active = 0;
    static int stats = -1;
    if (stats < 0 && (stats = getenv("LEVY_FUZZ_STATS") != NULL))
        atexit(print_stats);
    if (lua_isnil(Ls, 1))
        stat_refused++;
    else {
        stat_ok[Q.ex]++;
        if (Q.state[0] >= 'A' && Q.state[0] <= 'Z' && Q.state[1] >= 'A' && Q.state[1] <= 'Z')
            stat_state[(Q.state[0] - 'A') * 26 + Q.state[1] - 'A']++;
    }
    if (lua_isnil(Ls, 1)) {
        lua_getfield(Ls, 2, "code");
        const char *code = lua_tostring(Ls, -1);
        if (code && strcmp(code, "validation_failed") == 0 && in_range() && !Q.checked) {
            /* a valid, in-range request may still be refused for another field (address,
             * tax code, currency): only an amount/quantity field is a finding */
            lua_getfield(Ls, 2, "details");
            int n = lua_istable(Ls, -1) ? (int)luaL_len(Ls, -1) : 0;
            for (int k = 1; k <= n; k++) {
                lua_rawgeti(Ls, -1, k);
                lua_getfield(Ls, -1, "field");
                const char *f = lua_tostring(Ls, -1);
                if (f && (strstr(f, ".amount") || strstr(f, ".discount") || strstr(f, ".quantity")))
                    FAIL("in-range request refused on %s", f);
                lua_pop(Ls, 2);
            }
        }
        return 0;
    }
    if (!Q.checked)
        FAIL("a result without a computation");
    if (!in_range())
        FAIL("an out-of-range request was accepted");
    int r = 1;
    expect_str(Ls, r, "total_tax", Q.total_tax, "document", 0);
    expect_str(Ls, r, "total_taxable", Q.total_taxable, "document", 0);
    expect_str(Ls, r, "total_amount", Q.total_amount, "document", 0);
    lua_getfield(Ls, r, "lines");
    int lines = lua_gettop(Ls);
    for (int i = 0; i < Q.nlines; i++) {
        lua_rawgeti(Ls, lines, i + 1);
        int lt = lua_gettop(Ls);
        expect_str(Ls, lt, "tax", Q.tax[i], "line", i);
        expect_str(Ls, lt, "taxable_amount", Q.taxable[i], "line", i);
        lua_getfield(Ls, lt, "amount");
        if (strcmp(lua_tostring(Ls, -1), Q.amount[i]) != 0) {
            bn a;
            char want[128];
            bn_parse(Q.amount[i], Q.ex, &a);
            bn_fmt(a, Q.ex, want);
            if (strcmp(lua_tostring(Ls, -1), want) != 0)
                FAIL("line %d: amount '%s', sent '%s'", i, lua_tostring(Ls, -1), Q.amount[i]);
        }
        lua_pop(Ls, 1);
        lua_getfield(Ls, lt, "taxes");
        int tt = lua_gettop(Ls);
        int listed = Q.reason[i] != LEVY_REASON_NOT_COLLECTING && Q.reason[i] != LEVY_REASON_NO_TAX;
        if ((int)luaL_len(Ls, tt) != (listed ? Q.n[i] : 0))
            FAIL("line %d: %d taxes listed, %d computed", i, (int)luaL_len(Ls, tt), Q.n[i]);
        for (int e = 0; listed && e < Q.n[i]; e++) {
            lua_rawgeti(Ls, tt, e + 1);
            expect_str(Ls, lua_gettop(Ls), "amount", Q.eamount[i][e], "entry", e);
            int64_t tx =
                Q.zero[i][e] && Q.reason[i] == LEVY_REASON_CUSTOMER_EXEMPT ? 0 : Q.etaxable[i][e];
            expect_str(Ls, lua_gettop(Ls), "taxable_amount", tx, "entry", e);
            lua_pop(Ls, 1);
        }
        lua_pop(Ls, 2);
    }
    lua_pop(Ls, 1);
    return 0;
}

static const char *driver =
    "local cjson, tax, money, taxid, rule_paths, begin, finish, json = ...\n"
    "package.loaded['levy.money'] = money\n"
    "package.loaded['levy.taxid'] = taxid\n" /* rules may require it (sandbox.lua RULE_MODULES) */
    "package.loaded['levy.tax'] = tax\n"
    "local dirs = {}\n"
    "for _, p in ipairs(rule_paths) do dirs[p:match('^(.*)/[^/]*$')] = true end\n"
    "local pp = {}\n"
    "for d in pairs(dirs) do pp[#pp + 1] = d .. '/?.lua' end\n"
    /* require "_lib.<name>" -> scripts/_lib/<name>.lua, as the host resolves it */
    "pp[#pp + 1] = 'scripts/?.lua'\n"
    "table.sort(pp)\n"
    "package.path = table.concat(pp, ';')\n"
    /* every rule file, registered as the host does */
    "local rules, files, addrs, sellers, codes = {}, {}, {}, {}, {}\n"
    "local seen = {}\n"
    "local function key(a) local k = {} for _, f in ipairs({'country','state','city','zip_code'}) "
    "do k[#k+1] = tostring(a[f]) end return table.concat(k, '|') end\n"
    "for _, p in ipairs(rule_paths) do\n"
    "  local rule = assert(loadfile(p))()\n"
    "  rules[rule.region] = rule; files[rule.region] = p\n"
    "  for c in pairs(rule.taxability or {}) do if c ~= 'default' then codes[c] = true end end\n"
    "  for _, st in ipairs(rule.selftest or {}) do\n"
    "    local r = st.request or {}\n"
    "    if type(r.ship_to) == 'table' and not seen[key(r.ship_to)] then seen[key(r.ship_to)] = "
    "true; addrs[#addrs + 1] = r.ship_to end\n"
    "    if type(r.ship_from) == 'table' then sellers[#sellers + 1] = r.ship_from end\n"
    "    for _, l in ipairs(r.lines or {}) do if type(l.tax_code) == 'string' then "
    "codes[l.tax_code] = true end end\n"
    "  end\n"
    "end\n"
    "for _, t in ipairs(tax.tax_codes()) do codes[t.code] = true end\n"
    "local codelist = {} for c in pairs(codes) do codelist[#codelist + 1] = c end "
    "table.sort(codelist)\n"
    "table.sort(addrs, function(a, b) return key(a) < key(b) end)\n"
    "local reg = debug.getregistry()\n"
    "reg['levy.rules'] = rules; reg['levy.rule_files'] = files\n"
    "local CURRENCIES = { {'USD', 2}, {'JPY', 0}, {'KWD', 3}, {'BHD', 3}, {'CLF', 4}, {'EUR', 2}, "
    "{'KRW', 0},\n"
    "  {'CAD', 2}, {'GBP', 2}, {'ISK', 0}, {'OMR', 3}, {'UYW', 4}, {'XCG', 2}, {'CHF', 2} }\n"
    "local DATES = { '2025-12-15', '2024-02-29', '2024-03-01', '2026-03-01', '2025-01-31', "
    "'2026-10-01' }\n"
    /* one body, two readers: the same refusal, or the same answer's bytes */
    "local function both(s, rounding)\n"
    "  local t, terr = json.decode(s)\n"
    "  local p, view = tax.parse(s)\n"
    "  if t == nil or p == nil then\n"
    "    assert(t == nil and p == nil and terr == view, 'parse: ' .. tostring(terr) .. ' / ' .. "
    "tostring(view))\n"
    "    return\n"
    "  end\n"
    "  assert((view ~= false) == (type(t) == 'table' and getmetatable(t) == nil and t[1] == nil), "
    "'view')\n"
    "  if not view then return end\n"
    "  local function run(req)\n"
    "    local r, err = tax.calculate(req, {all_regions = true, rounding = rounding, encode = "
    "true, "
    "calculation_id = 'calc_fuzz'})\n"
    "    if r == nil then return 'E' .. json.encode(err) end\n"
    "    return type(r) == 'string' and r or json.encode(r)\n"
    "  end\n"
    "  local a, b = run(t), run(p)\n"
    "  assert(a == b, 'table and parsed text answer differently:\\n' .. a .. '\\n' .. b)\n"
    "end\n"
    "local function raw(s)\n"
    "  both(s, (#s % 2 == 0) and 'document' or 'line')\n"
    "  local ok, body = pcall(cjson.decode, s)\n"
    "  if not ok then return end\n"
    "  local r, err = tax.calculate(body, {all_regions=true, rounding=(#s % 2 == 0) and 'document' "
    "or 'line'})\n"
    "  if r then assert(type(r.total_tax) == 'string') else assert(err.status == 422) end\n"
    "end\n"
    /* a byte reader: b() in 0..255, 0 when the input is used up */
    "local function structured(s)\n"
    "  local pos = 1\n"
    "  local function b() local v = s:byte(pos) or 0; pos = pos + 1; return v end\n"
    "  local function pick(t) return t[b() % #t + 1] end\n"
    "  local function digits(n) local o = {} for i = 1, n do o[i] = tostring(b() % 10) end return "
    "table.concat(o) end\n"
    "  local cur = pick(CURRENCIES)\n"
    "  local ex = cur[2]\n"
    /* an amount: integer part of 0..14 digits (10^12 minor units is the limit), the
     * currency's decimals (sometimes fewer, or trailing zeros beyond) */
    "  local function amount(neg_ok)\n"
    "    local mode = b() % 8\n"
    "    local ip\n"
    "    if mode == 0 then ip = '0'\n"
    "    elseif mode == 1 then ip = '1' .. digits(12 - ex + b() % 3)\n"
    "    elseif mode == 2 then ip = '9' .. digits(11 - ex)\n"
    "    else ip = tostring(1 + b() % 9) .. digits(b() % 8) end\n"
    "    local s = ip\n"
    "    local nd = b() % 4 == 0 and (b() % (ex + 1)) or ex\n"
    "    if nd > 0 then s = s .. '.' .. digits(nd) end\n"
    "    if b() % 16 == 0 then s = s .. '000' end\n"
    "    if neg_ok and b() % 6 == 0 then s = '-' .. s end\n"
    "    return s\n"
    "  end\n"
    "  local function quantity()\n"
    "    local mode = b() % 8\n"
    "    if mode == 0 then return nil end\n"
    "    if mode == 1 then return '0.' .. string.rep('0', b() % 6) .. tostring(1 + b() % 9) end\n"
    "    if mode == 2 then return '1' .. digits(b() % 11) end\n"
    "    if mode == 3 then return tostring(1 + b() % 9) .. '.' .. digits(1 + b() % 6) end\n"
    "    return tostring(1 + b() % 12)\n"
    "  end\n"
    "  local ship = pick(addrs)\n"
    "  local body = { currency = (b() % 8 == 0) and cur[1]:lower() or cur[1], date = pick(DATES), "
    "ship_to = ship, lines = {} }\n"
    "  if b() % 8 == 0 and #sellers > 0 then body.ship_from = pick(sellers) end\n"
    "  local cm = b() % 8\n"
    "  if cm == 0 then body.customer = { id = 'c1', exempt = true }\n"
    /* issue 19: valid and invalid ids (reverse charge, or charged with the note tax_id_invalid) */
    "  elseif cm == 1 then body.customer = { id = 'c2', tax_id = pick({'DE123456789', "
    "'DE136695976', 'N/A', 'GB980780684', 'FR40303265045', 'CHE-116.281.710 MWST'}) } end\n"
    "  local nl = 1 + b() % 4\n"
    "  for i = 1, nl do\n"
    "    local l = { id = tostring(i), amount = amount(true), tax_code = pick(codelist) }\n"
    "    l.quantity = quantity()\n"
    "    if b() % 4 == 0 then l.discount = amount(false) end\n"
    "    if b() % 4 == 0 then l.tax_inclusive = true end\n"
    "    body.lines[i] = l\n"
    "  end\n"
    "  local state = ship.country == 'US' and ship.state or ''\n"
    "  begin(ex, state, body.customer and body.customer.exempt, body.lines)\n"
    "  local rounding = (b() % 2 == 0) and 'document' or 'line'\n"
    "  local r, err = tax.calculate(body, {all_regions = true, rounding = rounding})\n"
    "  if not r then assert(type(err) == 'table' and err.status == 422, tostring(err and "
    "err.message)) end\n"
    "  finish(r, err)\n"
    /* the answer as JSON text (core/tax/calc.c's JSON reader: its whole-word strings, literal
     * keys and decimals written from minor units, issue 21) is levy.json.encode of the table
     * (the Lua reader), byte for byte */
    "  if r then\n"
    "    local text = assert(tax.calculate(body, {all_regions = true, rounding = rounding, "
    "calculation_id = r.calculation_id, encode = true}))\n"
    "    local want = json.encode(r)\n"
    "    assert(text == want, 'JSON text and table differ:\\n' .. text .. '\\n' .. want)\n"
    "  end\n"
    "end\n"
    "return function(s)\n"
    "  if #s > 0 and s:byte(1) % 8 == 0 then return raw(s:sub(2)) end\n"
    "  return structured(s:sub(2))\n"
    "end\n";

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pushes the sorted list of scripts/<dir>/<file>.lua not starting with '_' */
static void push_rule_paths(lua_State *Ls)
{
    char *paths[256];
    int n = 0;
    DIR *top = opendir("scripts");
    if (!top)
        abort();
    struct dirent *de;
    while ((de = readdir(top))) {
        /* scripts/_lib holds helpers a rule requires, not rules */
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        char dir[512];
        snprintf(dir, sizeof dir, "scripts/%s", de->d_name);
        DIR *sub = opendir(dir);
        if (!sub)
            continue;
        struct dirent *f;
        while ((f = readdir(sub)) && n < 256) {
            size_t len = strlen(f->d_name);
            if (f->d_name[0] == '_' || f->d_name[0] == '.' || len < 5 ||
                strcmp(f->d_name + len - 4, ".lua") != 0)
                continue;
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", dir, f->d_name);
            paths[n++] = strdup(p);
        }
        closedir(sub);
    }
    closedir(top);
    qsort(paths, (size_t)n, sizeof paths[0], cmp_str);
    lua_createtable(Ls, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushstring(Ls, paths[i]);
        lua_rawseti(Ls, -2, i + 1);
        free(paths[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L) {
        levy_err err;
        if (levy_rates_open(&R, "data", NULL, &err) != LEVY_OK)
            abort();
        L = luaL_newstate();
        luaL_openlibs(L);
        levy_lua_set_ctx(L, NULL);
        levy_lua_set_host(L, LEVY_HOST_RATES, R);
        if (luaL_loadstring(L, driver) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            abort();
        }
        luaopen_cjson(L);
        luaopen_levy_tax(L);
        luaopen_levy_money(L);
        luaopen_levy_taxid(L);
        push_rule_paths(L);
        lua_pushcfunction(L, l_begin);
        lua_pushcfunction(L, l_end);
        luaopen_levy_json(L);
        if (lua_pcall(L, 8, 1, 0) != LUA_OK) {
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
            abort();
        }
        lua_setglobal(L, "fuzz_one");
    }
    lua_getglobal(L, "fuzz_one");
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        abort();
    }
    Q.active = 0;
    lua_gc(L, LUA_GCSTEP, 0);
    static long runs;
    if (++runs % 2000 == 0 && getenv("LEVY_FUZZ_STATS"))
        fprintf(stderr, "lua heap after %ld runs: %d KB\n", runs, lua_gc(L, LUA_GCCOUNT, 0));
    return 0;
}
