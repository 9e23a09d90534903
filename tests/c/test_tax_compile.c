/* Without a Lua state: a rule's taxability compiled into treatments (core/tax/compile.c), the
 * values handed through levy_tax_in by a tree of this test's own. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tax/compile.h"
#include "tax/request.h"

/* A value: nil, a string, a number (its text), or a table of named fields and items. */
typedef struct val val;
typedef struct member {
    const char *key; /* NULL: an item (the next index) */
    const val *v;
} member;
struct val {
    int type;
    const char *s;
    int n;
    const member *m;
};

#define S(x) (&(const val){LEVY_IN_STRING, x, 0, NULL})
#define NUM(x) (&(const val){LEVY_IN_NUMBER, x, 0, NULL})
#define BOOL (&(const val){LEVY_IN_OTHER, NULL, 0, NULL})
#define FN (&(const val){LEVY_IN_FUNCTION, NULL, 0, NULL})
#define T(...)                                                                                     \
    (&(const val){LEVY_IN_TABLE, NULL,                                                             \
                  (int)(sizeof((const member[]){__VA_ARGS__}) / sizeof(member)),                   \
                  (const member[]){__VA_ARGS__}})
#define F(k, v)                                                                                    \
    {                                                                                              \
        k, v                                                                                       \
    }
#define I(v)                                                                                       \
    {                                                                                              \
        NULL, v                                                                                    \
    }

static const val nil = {LEVY_IN_NIL, NULL, 0, NULL};

typedef struct tree_in {
    levy_tax_in in;
    const val *stack[32];
    int top;
    int depth_max;
} tree_in;

static const val *top_of(levy_tax_in *in) { return ((tree_in *)in)->stack[((tree_in *)in)->top]; }

static int push(levy_tax_in *in, const val *v)
{
    tree_in *t = (tree_in *)in;
    t->stack[++t->top] = v;
    if (t->top > t->depth_max)
        t->depth_max = t->top;
    return v->type;
}

static int t_type(levy_tax_in *in) { return top_of(in)->type; }

static int t_field(levy_tax_in *in, const char *name)
{
    const val *v = top_of(in);
    for (int i = 0; i < v->n; i++)
        if (v->m[i].key && strcmp(v->m[i].key, name) == 0)
            return push(in, v->m[i].v);
    return push(in, &nil);
}

static int t_item(levy_tax_in *in, long long k)
{
    const val *v = top_of(in);
    long long at = 0;
    for (int i = 0; i < v->n; i++)
        if (!v->m[i].key && ++at == k)
            return push(in, v->m[i].v);
    return push(in, &nil);
}

static long long t_len(levy_tax_in *in, int raw)
{
    (void)raw;
    const val *v = top_of(in);
    long long n = 0;
    for (int i = 0; i < v->n; i++)
        n += !v->m[i].key;
    return n;
}

static const char *t_text(levy_tax_in *in, size_t *len)
{
    const val *v = top_of(in);
    if (v->type != LEVY_IN_STRING && v->type != LEVY_IN_NUMBER)
        return NULL;
    *len = strlen(v->s);
    return v->s;
}

static void t_pop(levy_tax_in *in) { ((tree_in *)in)->top--; }

static int t_each(levy_tax_in *in,
                  int (*fn)(levy_tax_in *in, const char *key, size_t len, void *arg), void *arg)
{
    const val *v = top_of(in);
    for (int i = 0; i < v->n; i++) {
        if (!v->m[i].key || v->m[i].v->type == LEVY_IN_NIL)
            continue;
        push(in, v->m[i].v);
        int rc = fn(in, v->m[i].key, strlen(v->m[i].key), arg);
        t_pop(in);
        if (rc)
            return rc;
    }
    return 0;
}

static void tree_init(tree_in *t, const val *v)
{
    memset(t, 0, sizeof *t);
    t->in = (levy_tax_in){t_type, t_field, t_item, t_len, t_text, t_pop, NULL, NULL, NULL, t_each};
    t->stack[0] = v;
}

/* Compiles v as a rule's treatment; the rule in *b (free it). Its index, or -1. */
static int compile1(levy_tax_rule_build *b, const val *v)
{
    tree_in t;
    tree_init(&t, v);
    int i = levy_tax_compile_treatment(b, &t.in);
    return t.top == 0 ? i : -100; /* what it pushed, it popped */
}

#define INVALID_WITH(b, i, msg)                                                                    \
    do {                                                                                           \
        CHECK_EQ_INT((b).treat[i].kind, LEVY_TREAT_INVALID);                                       \
        CHECK_EQ_STR((b).treat[i].text, msg);                                                      \
        CHECK_EQ_INT((long long)(b).treat[i].text_len, (long long)strlen(msg));                    \
    } while (0)

/* The named treatments, and a name levy does not know: invalid with its message. */
static void t_named(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    static const char *const names[] = {"taxable", "exempt",        "zero_rated",
                                        "reduced", "follows_goods", "follows_goods_any"};
    static const int want[] = {LEVY_TREAT_TAXABLE, LEVY_TREAT_EXEMPT,  LEVY_TREAT_ZERO,
                               LEVY_TREAT_REDUCED, LEVY_TREAT_FOLLOWS, LEVY_TREAT_FOLLOWS_ANY};
    for (int k = 0; k < 6; k++) {
        int i = compile1(&b, S(names[k]));
        CHECK_EQ_INT(i, k);
        CHECK_EQ_INT(b.treat[i].kind, want[k]);
    }
    int i = compile1(&b, S("taxed"));
    INVALID_WITH(b, i, "rule taxability: unknown treatment 'taxed'");
    i = compile1(&b, NUM("1"));
    INVALID_WITH(b, i, "rule taxability: a treatment is a string or a table");
    i = compile1(&b, BOOL);
    INVALID_WITH(b, i, "rule taxability: a treatment is a string or a table");
    i = compile1(&b, T(F("taxed", S("x"))));
    INVALID_WITH(b, i, "rule taxability: unknown treatment table");
end:
    levy_tax_rule_build_free(&b);
}

/* Each row kind: its fields, and the message of the first that is not valid. */
static void t_kinds(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    int i = compile1(&b, T(F("reduced", S("super_reduced"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_REDUCED);
    CHECK_EQ_STR(b.treat[i].text, "super_reduced");
    i = compile1(&b, T(F("reduced", BOOL)));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_REDUCED);
    CHECK(b.treat[i].text == NULL); /* the default key "reduced" */
    i = compile1(&b, T(F("fraction", S("0.8"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_FRACTION);
    CHECK_EQ_INT(b.treat[i].value, 80000000);
    i = compile1(&b, T(F("fraction", S("1.5"))));
    INVALID_WITH(b, i, "rule taxability: fraction must be between 0 and 1");
    i = compile1(&b, T(F("fraction", NUM("0.5"))));
    INVALID_WITH(b, i, "rule taxability: fraction must be a decimal string");
    i = compile1(&b, T(F("rate", S("1.25")), F("level", S("city")),
                       F("keep_levels", T(I(S("state")), I(S("nonsense")), I(S("county"))))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_RATE);
    CHECK_EQ_INT(b.treat[i].value, 1250000);
    CHECK_EQ_INT(b.treat[i].level, LEVY_LEVEL_CITY);
    CHECK_EQ_INT(b.treat[i].mask, (1u << LEVY_LEVEL_STATE) | (1u << LEVY_LEVEL_COUNTY));
    i = compile1(&b, T(F("rate", S("x")), F("level", S("city"))));
    INVALID_WITH(b, i, "rule taxability: rate must be a decimal string");
    i = compile1(&b, T(F("rate", S("1000.01")), F("level", S("city"))));
    INVALID_WITH(b, i, "rule taxability: rate must be at most 1000 (percent)");
    i = compile1(&b, T(F("rate", S("1")), F("level", S("planet"))));
    INVALID_WITH(b, i, "rule taxability: { rate = } needs level = state|county|city|...");
    i = compile1(&b, T(F("rate", S("1")), F("level", NUM("1"))));
    INVALID_WITH(b, i, "rule taxability: { rate = } needs level = state|county|city|...");
    i = compile1(&b, T(F("exempt_levels", T(I(S("city")), I(NUM("2"))))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_EXEMPT_LEVELS);
    CHECK_EQ_INT(b.treat[i].mask, 1u << LEVY_LEVEL_CITY);
    i = compile1(&b, T(F("exempt_levels", S("city"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_EXEMPT_LEVELS);
    CHECK_EQ_INT(b.treat[i].mask, 0);
    /* a by-customer table: its branches (absent: -1, taxable) */
    i = compile1(&b, T(F("individual", S("exempt"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_BY_CUSTOMER);
    CHECK_EQ_INT(b.treat[i].business, -1);
    CHECK_EQ_INT(b.treat[b.treat[i].individual].kind, LEVY_TREAT_EXEMPT);
    /* a delivery table (issue 19, setting pickup_offered): its branches (absent: -1) */
    i = compile1(&b, T(F("pickup_offered", S("exempt")), F("ship_only", S("follows_goods"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_BY_PICKUP);
    CHECK_EQ_INT(b.treat[b.treat[i].pickup].kind, LEVY_TREAT_EXEMPT);
    CHECK_EQ_INT(b.treat[b.treat[i].ship_only].kind, LEVY_TREAT_FOLLOWS);
    i = compile1(&b, T(F("ship_only", S("taxable"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_BY_PICKUP);
    CHECK_EQ_INT(b.treat[i].pickup, -1);
    /* the first kind whose key is there wins: reduced before rate */
    i = compile1(&b, T(F("rate", S("1")), F("reduced", S("k"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_REDUCED);
end:
    levy_tax_rule_build_free(&b);
}

/* A threshold: its text (a number as text, kept), per line, both branches nested, and
 * nesting beyond LEVY_TAX_MAX_DEPTH is invalid where it goes too deep. */
static void t_threshold(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    int i = compile1(&b, T(F("threshold", NUM("110")), F("per", S("line")), F("below", S("exempt")),
                           F("above", T(F("fraction", S("0.5"))))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_THRESHOLD);
    CHECK_EQ_STR(b.treat[i].text, "110");
    CHECK_EQ_INT((int)b.treat[i].text_len, 3);
    CHECK_EQ_INT(b.treat[i].per_line, 1);
    CHECK_EQ_INT(b.treat[b.treat[i].below].kind, LEVY_TREAT_EXEMPT);
    CHECK_EQ_INT(b.treat[b.treat[i].above].kind, LEVY_TREAT_FRACTION);
    i = compile1(&b, T(F("threshold", S("110.00")), F("per", S("unit"))));
    CHECK_EQ_INT(b.treat[i].per_line, 0);
    CHECK_EQ_INT(b.treat[i].below, -1);
    CHECK_EQ_INT(b.treat[i].above, -1);
    /* six deep: the sixth (depth 5) is too deep */
    const val *d4 = T(F("threshold", S("1")), F("below", S("exempt")));
    const val *d3 = T(F("threshold", S("1")), F("below", d4));
    const val *d2 = T(F("threshold", S("1")), F("below", d3));
    const val *d1 = T(F("threshold", S("1")), F("below", d2));
    const val *deep = T(F("threshold", S("1")), F("below", d1));
    i = compile1(&b, deep);
    int t = i;
    for (int d = 0; d < 5; d++) {
        CHECK_EQ_INT(b.treat[t].kind, LEVY_TREAT_THRESHOLD);
        t = b.treat[t].below;
    }
    INVALID_WITH(b, t, "rule taxability: thresholds nested too deep");
end:
    levy_tax_rule_build_free(&b);
}

/* Dated rows: one row, a list chained through next, bad dates and a row of another kind. */
static void t_dated(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    int i = compile1(&b, T(I(S("exempt")), F("from", S("2026-01-01"))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_DATED);
    CHECK_EQ_INT(b.treat[i].from, 20260101);
    CHECK_EQ_INT(b.treat[i].to, 0);
    CHECK_EQ_INT(b.treat[i].next, -1);
    CHECK_EQ_INT(b.treat[b.treat[i].inner].kind, LEVY_TREAT_EXEMPT);
    i = compile1(&b, T(I(T(I(S("exempt")), F("to", S("2025-12-31")))),
                       I(T(I(T(F("fraction", S("0.5")))), F("from", S("2026-01-01"))))));
    CHECK_EQ_INT(b.treat[i].kind, LEVY_TREAT_DATED);
    CHECK_EQ_INT(b.treat[i].to, 20251231);
    int n = b.treat[i].next;
    CHECK(n > i);
    CHECK_EQ_INT(b.treat[n].kind, LEVY_TREAT_DATED);
    CHECK_EQ_INT(b.treat[n].from, 20260101);
    CHECK_EQ_INT(b.treat[n].next, -1);
    CHECK_EQ_INT(b.treat[b.treat[n].inner].kind, LEVY_TREAT_FRACTION);
    CHECK_EQ_INT(levy_tax_rule_at(&b.r, i, 20251231), b.treat[i].inner);
    CHECK_EQ_INT(levy_tax_rule_at(&b.r, i, 20260102), b.treat[n].inner);
    i = compile1(&b, T(I(S("exempt")), F("from", S("2026-02-30"))));
    INVALID_WITH(b, i, "rule taxability: a dated row needs from/to as YYYY-MM-DD, from <= to");
    i = compile1(&b, T(I(S("exempt")), F("from", S("2026-02-01")), F("to", S("2026-01-01"))));
    INVALID_WITH(b, i, "rule taxability: a dated row needs from/to as YYYY-MM-DD, from <= to");
    i = compile1(&b, T(I(S("exempt")), F("to", NUM("20260101"))));
    INVALID_WITH(b, i, "rule taxability: a dated row needs from/to as YYYY-MM-DD, from <= to");
    /* a list whose second row is not a row: the list is that row's failure */
    i = compile1(&b, T(I(T(I(S("exempt")), F("to", S("2025-12-31")))), I(S("exempt"))));
    INVALID_WITH(b, i, "rule taxability: a dated row list holds { T, from =, to = } rows");
end:
    levy_tax_rule_build_free(&b);
}

/* Code rows: the code and every text are the rule's own copies (the caller's may go). */
static void t_codes(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    char code[16], key[16];
    strcpy(code, "saas");
    strcpy(key, "reduced_b");
    tree_in t;
    tree_init(&t, T(F("reduced", S(key))));
    CHECK_EQ_INT(levy_tax_rule_add_code(&b, &t.in, code, 4), 0);
    tree_init(&t, S("exempt"));
    CHECK_EQ_INT(levy_tax_rule_add_code(&b, &t.in, "default", 7), 0);
    memset(code, 'x', sizeof code - 1);
    CHECK_EQ_INT(b.r.ncodes, 2);
    CHECK_EQ_STR(b.r.codes[0].code, "saas");
    CHECK(b.r.codes[0].code != code);
    CHECK_EQ_STR(b.r.treat[b.r.codes[0].treatment].text, "reduced_b");
    CHECK(b.r.treat[b.r.codes[0].treatment].text != key);
    CHECK_EQ_INT(levy_tax_rule_treatment(&b.r, "saas"), b.r.codes[0].treatment);
    CHECK_EQ_INT(b.r.treat[levy_tax_rule_treatment(&b.r, "ebooks")].kind, LEVY_TREAT_EXEMPT);
    levy_tax_rule_build_free(&b);
    CHECK_EQ_INT(b.nkept, 0);
    CHECK(b.kept == NULL);
end:
    levy_tax_rule_build_free(&b);
}

/* calculate_for: built-in codes and the rule's own rows kept with the rule; anything else (an
 * unknown code, a non-string, not a list, too long a list, no calculate) refused with the rule
 * and the code named; nil leaves it undeclared. */
static void t_calc_for(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    char msg[256] = "";
    tree_in t;
    b.r.region = "EU";
    b.r.has_calculate = 1;
    tree_init(&t, S("taxable"));
    CHECK_EQ_INT(levy_tax_rule_add_code(&b, &t.in, "ebook_own", 9), 0);
    tree_init(&t, &nil);
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), 0);
    CHECK_EQ_INT(b.r.ncalc_for, 0);
    tree_init(&t, T(I(S("digital_books")), I(S("ebook_own"))));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), 0);
    CHECK_EQ_INT(t.top, 0);
    CHECK_EQ_INT(b.r.ncalc_for, 2);
    CHECK_EQ_STR(b.r.calc_for[0], "digital_books");
    CHECK_EQ_STR(b.r.calc_for[1], "ebook_own");
    tree_init(&t, T(I(S("digital_books")), I(S("digital_bookz"))));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), -2);
    CHECK_EQ_INT(t.top, 0);
    CHECK_EQ_STR(msg, "rule EU: calculate_for: unknown tax code 'digital_bookz' (GET "
                      "/v1/tax-codes or a taxability row of the rule)");
    tree_init(&t, T(I(NUM("1"))));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), -2);
    CHECK_EQ_STR(msg, "rule EU: calculate_for[1] must be a tax code (string)");
    tree_init(&t, S("digital_books"));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), -2);
    CHECK_EQ_STR(msg, "rule EU: calculate_for must be a list of 1 to 16 tax codes");
    tree_init(&t, T(F("x", S("saas"))));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), -2);
    b.r.has_calculate = 0;
    tree_init(&t, T(I(S("saas"))));
    CHECK_EQ_INT(levy_tax_rule_calc_for(&b, &t.in, msg, sizeof msg), -2);
    CHECK_EQ_STR(msg, "rule EU: calculate_for without calculate");
end:
    levy_tax_rule_build_free(&b);
}

/* A rule's fault raised: back to the test with the message. */
static jmp_buf raised_at;
static char raised[300];
static void raise_here(void *ud, const char *msg)
{
    (void)ud;
    snprintf(raised, sizeof raised, "%s", msg);
    longjmp(raised_at, 1);
}

/* Compiles rule v into *b (emptied first) as the binding does; "" or what it raised. */
static const char *compile_rule(levy_tax_rule_build *b, const val *v)
{
    static tree_in t;
    levy_tax_rule_build_free(b);
    tree_init(&t, v);
    raised[0] = '\0';
    if (setjmp(raised_at) == 0) {
        levy_tax_rule_compile(b, &t.in, raise_here, NULL);
        if (t.top != 0)
            return "stack";
    }
    return raised;
}

/* A whole rule table (the binding's tax.check_rule and first use): its own fields, every
 * taxability row (members of another key type or nil skipped by the reader), calculate_for
 * naming a row of its own, calculate_before; each thing the rule gets wrong raised, naming
 * the rule. */
static void t_rule_compile(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    CHECK_EQ_STR(
        compile_rule(
            &b,
            T(F("region", S("CA-QC")), F("sourcing", S("origin")),
              F("reverse_charge", S("b2b_qst_specified")),
              F("taxability", T(F("default", S("taxable")), F("saas", S("exempt")), F("x", &nil),
                                F("ebook_own", T(F("fraction", S("0.5")))), I(S("not a row")))),
              F("calculate", FN), F("calculate_for", T(I(S("ebook_own")), I(S("saas")))),
              F("calculate_before", S("2026-07-01")))),
        "");
    CHECK_EQ_STR(b.r.region, "CA-QC");
    CHECK_EQ_INT(b.r.sourcing, LEVY_SOURCING_ORIGIN);
    CHECK_EQ_INT(b.r.reverse_charge, LEVY_RC_B2B_QST_SPECIFIED);
    CHECK_EQ_INT(b.r.has_calculate, 1);
    CHECK_EQ_INT(b.r.ncodes, 3);
    CHECK_EQ_INT(b.r.treat[levy_tax_rule_treatment(&b.r, "saas")].kind, LEVY_TREAT_EXEMPT);
    CHECK_EQ_INT(b.r.treat[levy_tax_rule_treatment(&b.r, "ebook_own")].kind, LEVY_TREAT_FRACTION);
    CHECK_EQ_INT(b.r.ncalc_for, 2);
    CHECK_EQ_STR(b.r.calc_for[0], "ebook_own");
    CHECK_EQ_INT(b.r.calc_before, 20260701);
    /* the whole rule indexed (issue 21): a built-in code's row, its parent's or default's */
    CHECK(b.r.indexed);
    int k_saas = levy_tax_code_index("saas"), k_biz = levy_tax_code_index("saas_business");
    CHECK_EQ_INT(b.r.treat_of[k_saas], levy_tax_rule_treatment(&b.r, "saas"));
    CHECK_EQ_INT(b.r.treat_of[k_biz], levy_tax_rule_treatment(&b.r, "saas"));
    CHECK_EQ_INT(b.r.treat_of[levy_tax_code_index("general")],
                 levy_tax_rule_treatment(&b.r, "default"));
    CHECK_EQ_INT(b.r.def_treat, levy_tax_rule_treatment(&b.r, "default"));
    CHECK(b.r.own_row == (uint64_t)1 << k_saas);
    CHECK(b.r.calc_for_codes == ((uint64_t)1 << k_saas | (uint64_t)1 << k_biz |
                                 (uint64_t)1 << levy_tax_code_index("saas_personal") |
                                 (uint64_t)1 << levy_tax_code_index("iaas_paas")));
    /* a row added afterwards: the index is made again before it is used */
    CHECK(levy_tax_rule_new_code(&b) >= 0);
    CHECK(!b.r.indexed);
    b.r.ncodes--;
    /* the least rule: no region (""), destination, no taxability, no calculate */
    CHECK_EQ_STR(compile_rule(&b, T(F("taxability", S("none")))), "");
    CHECK_EQ_STR(b.r.region, "");
    CHECK_EQ_INT(b.r.sourcing, LEVY_SOURCING_DESTINATION);
    CHECK_EQ_INT(b.r.ncodes, 0);
    CHECK_EQ_INT(b.r.has_calculate, 0);
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("reverse_charge", S("b2b")))),
                 "rule EU: reverse_charge must be \"b2b_foreign_seller\", "
                 "\"b2b_simplified_regime\" or \"b2b_qst_specified\" (docs/rules.md)");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("calculate", FN),
                                    F("calculate_for", T(I(S("ebook_own")))))),
                 "rule EU: calculate_for: unknown tax code 'ebook_own' (GET /v1/tax-codes or a "
                 "taxability row of the rule)");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("calculate_for", T(I(S("saas")))))),
                 "rule EU: calculate_for without calculate");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("calculate", FN),
                                    F("calculate_before", S("2026-13-01")))),
                 "rule EU: calculate_before must be a date YYYY-MM-DD");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("calculate_before", S("2026-01-01")))),
                 "rule EU: calculate_before without calculate");
    /* marketplace_from / marketplace_law (doubts26): a date, with the law it cites */
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-TX")), F("marketplace_from", S("2019-10-01")),
                                    F("marketplace_law", S("Tex. Tax Code 151.0242")))),
                 "");
    CHECK_EQ_INT(b.r.marketplace_from, 20191001);
    CHECK_EQ_STR(b.r.marketplace_law, "Tex. Tax Code 151.0242");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("US-TX")), F("marketplace_from", S("2019-10-01")))),
        "rule US-TX: marketplace_from without marketplace_law (its citation)");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-TX")), F("marketplace_from", S("2019-13-01")),
                                    F("marketplace_law", S("x")))),
                 "rule US-TX: marketplace_from must be a date YYYY-MM-DD");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-TX")), F("marketplace_law", S("x")))),
                 "rule US-TX: marketplace_law without marketplace_from");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-TX")))), "");
    CHECK_EQ_INT(b.r.marketplace_from, 0);
    /* calculate_election (issue 19, law24): an election's name, with calculate */
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-AL")), F("calculate", FN),
                                    F("calculate_election", S("us_al_ssut")))),
                 "");
    CHECK(b.r.calc_elections == 1u << levy_tax_election_index("us_al_ssut", 10));
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("US-AL")), F("calculate", FN),
                                    F("calculate_election", S("ssut")))),
                 "rule US-AL: calculate_election must be one of \"us_al_ssut\", "
                 "\"us_tx_single_local\"");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("US-AL")), F("calculate_election", S("us_al_ssut")))),
        "rule US-AL: calculate_election without calculate");
    /* place_of_supply (issue 19): rows of "supplier", dates, codes (a row of the rule's own or
     * built-in), seller_regions, cite */
    CHECK_EQ_STR(
        compile_rule(&b,
                     T(F("region", S("EU")), F("taxability", T(F("ebook_own", S("taxable")))),
                       F("place_of_supply", T(I(T(I(S("supplier")), F("to", S("2014-12-31")),
                                                  F("codes", T(I(S("saas")), I(S("ebook_own")))),
                                                  F("seller_regions", T(I(S("EU")), I(S("GB")))),
                                                  F("cite", S("art. 45")))))))),
        "");
    CHECK_EQ_INT(b.r.npos, 1);
    CHECK_EQ_INT(b.r.pos[0].from, 0);
    CHECK_EQ_INT(b.r.pos[0].to, 20141231);
    CHECK_EQ_INT(b.r.pos[0].ncodes, 2);
    CHECK_EQ_STR(b.r.pos[0].codes[1], "ebook_own");
    CHECK_EQ_INT(b.r.pos[0].nregions, 2);
    CHECK_EQ_STR(b.r.pos[0].regions[1], "GB");
    CHECK_EQ_STR(b.r.pos[0].cite, "art. 45");
    const val *good_codes = T(I(S("saas"))), *good_regions = T(I(S("EU")));
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")), F("place_of_supply", S("x")))),
                 "rule EU: place_of_supply must be a list of 1 to 8 rows");
    /* except, when = "below_threshold", elsewhere = "out_of_scope" (issue 19, lawintl) */
    CHECK_EQ_STR(
        compile_rule(
            &b,
            T(F("region", S("EU")),
              F("place_of_supply",
                T(I(T(I(S("supplier")), F("codes", T(I(S("professional_services")))),
                      F("except", T(I(S("installation")))), F("when", S("below_threshold")),
                      F("elsewhere", S("out_of_scope")), F("seller_regions", good_regions))))))),
        "");
    CHECK_EQ_INT(b.r.pos[0].nexcept, 1);
    CHECK_EQ_STR(b.r.pos[0].except[0], "installation");
    CHECK_EQ_INT(b.r.pos[0].below_threshold, 1);
    CHECK_EQ_INT(b.r.pos[0].elsewhere_oos, 1);
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply",
                             T(I(T(I(S("supplier")), F("codes", good_codes), F("when", S("always")),
                                   F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1].when must be \"below_threshold\"");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply", T(I(T(I(S("supplier")), F("codes", good_codes),
                                                      F("elsewhere", S("exempt")),
                                                      F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1].elsewhere must be \"out_of_scope\"");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply", T(I(T(I(S("supplier")), F("codes", good_codes),
                                                      F("except", T(I(S("saaz")))),
                                                      F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1].except: unknown tax code 'saaz' (GET /v1/tax-codes "
        "or a taxability row of the rule)");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply", T(I(T(I(S("customer")), F("codes", good_codes),
                                                      F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1][1] must be \"supplier\"");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply",
                             T(I(T(I(S("supplier")), F("to", S("2014-13-01")),
                                   F("codes", good_codes), F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1].to must be a date YYYY-MM-DD");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")),
                                    F("place_of_supply",
                                      T(I(T(I(S("supplier")), F("from", S("2015-01-01")),
                                            F("to", S("2014-12-31")), F("codes", good_codes),
                                            F("seller_regions", good_regions))))))),
                 "rule EU: place_of_supply[1]: from is after to");
    CHECK_EQ_STR(
        compile_rule(&b, T(F("region", S("EU")),
                           F("place_of_supply", T(I(T(I(S("supplier")), F("codes", T(I(S("saaz")))),
                                                      F("seller_regions", good_regions))))))),
        "rule EU: place_of_supply[1].codes: unknown tax code 'saaz' (GET /v1/tax-codes "
        "or a taxability row of the rule)");
    CHECK_EQ_STR(compile_rule(&b, T(F("region", S("EU")),
                                    F("place_of_supply",
                                      T(I(T(I(S("supplier")), F("codes", good_codes))))))),
                 "rule EU: place_of_supply[1].seller_regions must be a list of 1 to 4 strings");
end:
    levy_tax_rule_build_free(&b);
}

static const levy_test tests[] = {{"named", t_named},
                                  {"kinds", t_kinds},
                                  {"threshold", t_threshold},
                                  {"dated", t_dated},
                                  {"codes", t_codes},
                                  {"calc_for", t_calc_for},
                                  {"rule_compile", t_rule_compile},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
