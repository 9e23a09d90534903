/* A rule's taxability compiled into treatments (tax/compile.h). */
#include "tax/compile.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tax/dec.h"
#include "tax/request.h"

/* The treatments a rule names by a string. */
static const struct {
    const char *name;
    int kind;
} named[] = {
    {"taxable", LEVY_TREAT_TAXABLE},       {"exempt", LEVY_TREAT_EXEMPT},
    {"zero_rated", LEVY_TREAT_ZERO},       {"reduced", LEVY_TREAT_REDUCED},
    {"follows_goods", LEVY_TREAT_FOLLOWS}, {"follows_goods_any", LEVY_TREAT_FOLLOWS_ANY},
};

/* The fields of a treatment table, each read into the treatment in its row's order; the
 * first that is not valid makes the treatment LEVY_TREAT_INVALID with its message. */
enum {
    RF_TEXT,   /* text: a string kept with the rule (RF_NUM: a number too, as text) */
    RF_DEC,    /* int64_t at: a decimal string scaled by `scale`, at most `max` */
    RF_LEVEL,  /* int at: a level name (required) */
    RF_LEVELS, /* unsigned at: a list of level names, one bit each (absent: none) */
    RF_PER,    /* int at: 1 for "line" */
    RF_BRANCH  /* int at: a nested treatment's index (absent: -1, taxable) */
};
#define RF_NUM 1

typedef struct row_field {
    const char *key;
    unsigned char type, flags;
    signed char scale;
    unsigned short at; /* offsetof the value in levy_tax_treatment */
    int64_t max;
    const char *bad;     /* the message when the value is not valid */
    const char *too_big; /* RF_DEC: the message above max */
} row_field;

#define AT(member) ((unsigned short)offsetof(levy_tax_treatment, member))

static const row_field reduced_row[] = {{"reduced", RF_TEXT, .flags = 0}};
static const row_field fraction_row[] = {
    {"fraction", RF_DEC, .scale = 8, .at = AT(value), .max = LEVY_TAX_RATE_ONE,
     .bad = "rule taxability: fraction must be a decimal string",
     .too_big = "rule taxability: fraction must be between 0 and 1"}};
static const row_field rate_row[] = {
    /* percent x 10^6 = 10^-8 */
    {"rate", RF_DEC, .scale = 6, .at = AT(value), .max = LEVY_TAX_MAX_RATE,
     .bad = "rule taxability: rate must be a decimal string",
     .too_big = "rule taxability: rate must be at most 1000 (percent)"},
    {"level", RF_LEVEL, .at = AT(level),
     .bad = "rule taxability: { rate = } needs level = state|county|city|..."},
    {"keep_levels", RF_LEVELS, .at = AT(mask)}};
static const row_field levels_row[] = {{"exempt_levels", RF_LEVELS, .at = AT(mask)}};
static const row_field threshold_row[] = {
    {"threshold", RF_TEXT, .flags = RF_NUM}, /* parsed per currency */
    {"per", RF_PER, .at = AT(per_line)},
    {"below", RF_BRANCH, .at = AT(below)},
    {"above", RF_BRANCH, .at = AT(above)}};
static const row_field customer_row[] = {{"business", RF_BRANCH, .at = AT(business)},
                                         {"individual", RF_BRANCH, .at = AT(individual)}};
static const row_field pickup_row[] = {{"pickup_offered", RF_BRANCH, .at = AT(pickup)},
                                       {"ship_only", RF_BRANCH, .at = AT(ship_only)}};

/* The row kinds of a treatment table, tried in this order: the first whose key is there. */
static const struct row_kind {
    const char *key;
    int kind, n;
    const row_field *fields;
} kinds[] = {
    {"reduced", LEVY_TREAT_REDUCED, 1, reduced_row},
    {"fraction", LEVY_TREAT_FRACTION, 1, fraction_row},
    {"rate", LEVY_TREAT_RATE, 3, rate_row},
    {"exempt_levels", LEVY_TREAT_EXEMPT_LEVELS, 1, levels_row},
    {"threshold", LEVY_TREAT_THRESHOLD, 4, threshold_row},
    {"business", LEVY_TREAT_BY_CUSTOMER, 2, customer_row},
    {"individual", LEVY_TREAT_BY_CUSTOMER, 2, customer_row},
    {"pickup_offered", LEVY_TREAT_BY_PICKUP, 2, pickup_row},
    {"ship_only", LEVY_TREAT_BY_PICKUP, 2, pickup_row},
};

#define OOM (-2) /* out of memory, through the recursion */

static int compile(levy_tax_rule_build *b, levy_tax_in *in, int depth);

/* Treatment i cannot be applied: msg (a literal, or kept) is raised when a line uses it. */
static void invalid(levy_tax_rule_build *b, int i, const char *msg)
{
    b->treat[i].kind = LEVY_TREAT_INVALID;
    b->treat[i].text = msg;
    b->treat[i].text_len = strlen(msg);
}

/* The levels listed in the table on top (a level name each; others are skipped). */
static unsigned level_mask(levy_tax_in *in)
{
    unsigned mask = 0;
    long long n = in->len(in, 0);
    for (long long k = 1; k <= n; k++) {
        in->item(in, k);
        int lv = levy_tax_level_from(in->text(in, &(size_t){0}));
        if (lv >= 0)
            mask |= 1u << lv;
        in->pop(in);
    }
    return mask;
}

/* Reads field f of the table on top into treatment i: 0, -1 when it made i invalid, OOM. */
static int read_field(levy_tax_rule_build *b, levy_tax_in *in, int i, const row_field *f, int depth)
{
    int ty = in->field(in, f->key), rc = 0;
    size_t len = 0;
    const char *s = ty == LEVY_IN_STRING || (ty == LEVY_IN_NUMBER && (f->flags & RF_NUM))
                        ? in->text(in, &len)
                        : NULL;
    char *at = (char *)&b->treat[i] + f->at;
    switch (f->type) {
    case RF_TEXT:
        if (s) {
            const char *k = levy_tax_rule_keep(b, s, len);
            if (!k) {
                rc = OOM;
                break;
            }
            b->treat[i].text = k;
            b->treat[i].text_len = len;
        }
        break;
    case RF_DEC: {
        int64_t v = 0;
        if (!s || levy_tax_dec_parse(s, len, f->scale, f->scale, 0, &v))
            invalid(b, i, f->bad), rc = -1;
        else if (v > f->max)
            invalid(b, i, f->too_big), rc = -1;
        else
            *(int64_t *)at = v;
        break;
    }
    case RF_LEVEL: {
        int lv = levy_tax_level_from(s);
        if (lv < 0)
            invalid(b, i, f->bad), rc = -1;
        else
            *(int *)at = lv;
        break;
    }
    case RF_LEVELS:
        *(unsigned *)at = ty == LEVY_IN_TABLE ? level_mask(in) : 0;
        break;
    case RF_PER:
        *(int *)at = s && strcmp(s, "line") == 0;
        break;
    case RF_BRANCH: {
        int t = ty == LEVY_IN_NIL ? -1 : compile(b, in, depth + 1);
        if (t == OOM)
            rc = OOM;
        else /* b->treat may have moved */
            *(int *)((char *)&b->treat[i] + f->at) = t;
        break;
    }
    }
    in->pop(in);
    return rc;
}

/* The dated row on top ({ T, from =, to = }) into treatment i: OOM or 0. */
static int dated_row(levy_tax_rule_build *b, levy_tax_in *in, int i, int depth)
{
    int32_t w[2] = {0, 0};
    static const char *const keys[2] = {"from", "to"};
    for (int k = 0; k < 2; k++) {
        int ty = in->field(in, keys[k]);
        if (ty != LEVY_IN_NIL) {
            size_t n = 0;
            const char *ds = ty == LEVY_IN_STRING ? in->text(in, &n) : NULL;
            int32_t dv; /* the one date parser (dec.h): a real calendar day, else -1 */
            w[k] = ds && levy_tax_date_parse(ds, n, &dv) == 0 ? dv : -1;
        }
        in->pop(in);
    }
    if (w[0] < 0 || w[1] < 0 || (w[0] && w[1] && w[0] > w[1])) {
        invalid(b, i, "rule taxability: a dated row needs from/to as YYYY-MM-DD, from <= to");
        return 0;
    }
    in->item(in, 1);
    int inner = compile(b, in, depth + 1);
    in->pop(in);
    if (inner == OOM)
        return OOM;
    levy_tax_treatment *tr = &b->treat[i]; /* b->treat may have moved */
    tr->kind = LEVY_TREAT_DATED;
    tr->from = w[0];
    tr->to = w[1];
    tr->inner = inner;
    tr->next = -1;
    return 0;
}

/* A list of dated rows on top (docs/rules.md section 2), its first row in treatment i: the
 * rows chained through `next`; a row that is not a dated one makes the list that row. */
static int dated_list(levy_tax_rule_build *b, levy_tax_in *in, int i, int depth)
{
    int prev = -1;
    long long n = in->len(in, 1);
    for (long long k = 1; k <= n; k++) {
        int ri = k == 1 ? i : levy_tax_rule_new_treatment(b);
        if (ri < 0)
            return OOM;
        int rc = 0;
        if (in->item(in, k) == LEVY_IN_TABLE)
            rc = dated_row(b, in, ri, depth);
        else
            invalid(b, ri, "rule taxability: a dated row list holds { T, from =, to = } rows");
        in->pop(in);
        if (rc == OOM)
            return OOM;
        if (b->treat[ri].kind != LEVY_TREAT_DATED) {
            if (ri != i)
                b->treat[i] = b->treat[ri];
            return i;
        }
        if (prev >= 0)
            b->treat[prev].next = ri;
        prev = ri;
    }
    return i;
}

/* The treatment on top: a new treatment's index, or OOM. */
static int compile(levy_tax_rule_build *b, levy_tax_in *in, int depth)
{
    int i = levy_tax_rule_new_treatment(b);
    if (i < 0)
        return OOM;
    if (depth > LEVY_TAX_MAX_DEPTH) {
        invalid(b, i, "rule taxability: thresholds nested too deep");
        return i;
    }
    int ty = in->type(in);
    if (ty == LEVY_IN_STRING) { /* one of the named treatments */
        const char *s = in->text(in, &(size_t){0});
        for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
            if (strcmp(s, named[k].name) == 0) {
                b->treat[i].kind = named[k].kind;
                return i;
            }
        int n = snprintf(NULL, 0, "rule taxability: unknown treatment '%s'", s);
        char *msg = malloc((size_t)n + 1);
        if (!msg)
            return OOM;
        snprintf(msg, (size_t)n + 1, "rule taxability: unknown treatment '%s'", s);
        const char *kept = levy_tax_rule_keep(b, msg, (size_t)n);
        free(msg);
        if (!kept)
            return OOM;
        invalid(b, i, kept);
        return i;
    }
    if (ty != LEVY_IN_TABLE) {
        invalid(b, i, "rule taxability: a treatment is a string or a table");
        return i;
    }
    /* dated taxability (docs/rules.md section 2): one row { T, from =, to = } or a list of
     * such rows */
    int dated = in->field(in, "from") != LEVY_IN_NIL;
    in->pop(in);
    dated |= in->field(in, "to") != LEVY_IN_NIL;
    in->pop(in);
    if (dated)
        return dated_row(b, in, i, depth) == OOM ? OOM : i;
    int first = in->item(in, 1);
    in->pop(in);
    if (first == LEVY_IN_TABLE)
        return dated_list(b, in, i, depth);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const struct row_kind *rk = &kinds[k];
        int there = in->field(in, rk->key) != LEVY_IN_NIL;
        in->pop(in);
        if (!there)
            continue;
        b->treat[i].kind = rk->kind;
        for (int f = 0; f < rk->n; f++) {
            int rc = read_field(b, in, i, &rk->fields[f], depth);
            if (rc == OOM)
                return OOM;
            if (rc < 0)
                break;
        }
        return i;
    }
    invalid(b, i, "rule taxability: unknown treatment table");
    return i;
}

int levy_tax_compile_treatment(levy_tax_rule_build *b, levy_tax_in *in)
{
    int t = compile(b, in, 0);
    return t < 0 ? -1 : t;
}

int levy_tax_rule_add_code(levy_tax_rule_build *b, levy_tax_in *in, const char *code, size_t len)
{
    const char *kept = levy_tax_rule_keep(b, code, len);
    int k = kept ? levy_tax_rule_new_code(b) : -1;
    if (k < 0)
        return -1;
    b->codes[k].code = kept;
    int t = compile(b, in, 0);
    if (t < 0)
        return -1;
    b->codes[k].treatment = t;
    return 0;
}

int levy_tax_rule_calc_before(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    b->r.calc_before = 0;
    int type = in->type(in);
    if (type == LEVY_IN_NIL)
        return 0;
    size_t n = 0;
    const char *ds = type == LEVY_IN_STRING ? in->text(in, &n) : NULL;
    int32_t dv;
    if (!ds || levy_tax_date_parse(ds, n, &dv) != 0) {
        snprintf(msg, cap, "rule %s: calculate_before must be a date YYYY-MM-DD", region);
        return -2;
    }
    if (!b->r.has_calculate) {
        snprintf(msg, cap, "rule %s: calculate_before without calculate", region);
        return -2;
    }
    b->r.calc_before = dv;
    return 0;
}

/* marketplace_from (doubts26): a date YYYY-MM-DD, with marketplace_law naming the law */
int levy_tax_rule_marketplace_from(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    b->r.marketplace_from = 0;
    int type = in->type(in);
    if (type == LEVY_IN_NIL) {
        if (b->r.marketplace_law) {
            snprintf(msg, cap, "rule %s: marketplace_law without marketplace_from", region);
            return -2;
        }
        return 0;
    }
    size_t n = 0;
    const char *ds = type == LEVY_IN_STRING ? in->text(in, &n) : NULL;
    int32_t dv;
    if (!ds || levy_tax_date_parse(ds, n, &dv) != 0) {
        snprintf(msg, cap, "rule %s: marketplace_from must be a date YYYY-MM-DD", region);
        return -2;
    }
    if (!b->r.marketplace_law || !b->r.marketplace_law[0]) {
        snprintf(msg, cap, "rule %s: marketplace_from without marketplace_law (its citation)",
                 region);
        return -2;
    }
    b->r.marketplace_from = dv;
    return 0;
}

int levy_tax_rule_calc_election(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    b->r.calc_elections = 0;
    int type = in->type(in);
    if (type == LEVY_IN_NIL)
        return 0;
    size_t n = 0;
    const char *name = type == LEVY_IN_STRING ? in->text(in, &n) : NULL;
    int i = name ? levy_tax_election_index(name, n) : -1;
    if (i < 0) {
        snprintf(msg, cap, "rule %s: calculate_election must be one of", region);
        for (int k = 0; k < LEVY_TAX_NELECTIONS; k++) {
            size_t used = strlen(msg);
            snprintf(msg + used, cap - used, "%s \"%s\"", k ? "," : "", levy_tax_election_name(k));
        }
        return -2;
    }
    if (!b->r.has_calculate) {
        snprintf(msg, cap, "rule %s: calculate_election without calculate", region);
        return -2;
    }
    b->r.calc_elections = 1u << i;
    return 0;
}

int levy_tax_rule_calc_for(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    b->r.ncalc_for = 0;
    int type = in->type(in);
    if (type == LEVY_IN_NIL)
        return 0;
    long long n = type == LEVY_IN_TABLE ? in->len(in, 1) : 0;
    if (n < 1 || n > LEVY_TAX_CALC_FOR_MAX) {
        snprintf(msg, cap, "rule %s: calculate_for must be a list of 1 to %d tax codes", region,
                 LEVY_TAX_CALC_FOR_MAX);
        return -2;
    }
    if (!b->r.has_calculate) {
        snprintf(msg, cap, "rule %s: calculate_for without calculate", region);
        return -2;
    }
    for (long long k = 1; k <= n; k++) {
        size_t len = 0;
        const char *code = in->item(in, k) == LEVY_IN_STRING ? in->text(in, &len) : NULL;
        int known = code && (levy_tax_code_builtin(code) || levy_tax_rule_knows(&b->r, code));
        const char *kept = known ? levy_tax_rule_keep(b, code, len) : NULL;
        if (!code)
            snprintf(msg, cap, "rule %s: calculate_for[%lld] must be a tax code (string)", region,
                     k);
        else if (!known)
            snprintf(msg, cap,
                     "rule %s: calculate_for: unknown tax code '%.100s' (GET /v1/tax-codes or a "
                     "taxability row of the rule)",
                     region, code);
        in->pop(in);
        if (!known)
            return -2;
        if (!kept)
            return -1;
        b->r.calc_for[b->r.ncalc_for++] = kept;
    }
    return 0;
}

/* One string list of a place_of_supply row (the value on top: codes or seller_regions) into
 * out[0..*n), at most max; each code built-in or a taxability row of the rule (check_codes).
 * 0, -1 out of memory, -2 with msg. */
static int pos_list(levy_tax_rule_build *b, levy_tax_in *in, const char *what, long long row,
                    int check_codes, const char **out, int *n, int max, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    long long len = in->type(in) == LEVY_IN_TABLE ? in->len(in, 1) : 0;
    *n = 0;
    if (len < 1 || len > max) {
        snprintf(msg, cap, "rule %s: place_of_supply[%lld].%s must be a list of 1 to %d strings",
                 region, row, what, max);
        return -2;
    }
    for (long long k = 1; k <= len; k++) {
        size_t sl = 0;
        const char *v = in->item(in, k) == LEVY_IN_STRING ? in->text(in, &sl) : NULL;
        int ok = v && sl > 0 &&
                 (!check_codes || levy_tax_code_builtin(v) || levy_tax_rule_knows(&b->r, v));
        const char *kept = ok ? levy_tax_rule_keep(b, v, sl) : NULL;
        if (!v || !sl)
            snprintf(msg, cap, "rule %s: place_of_supply[%lld].%s[%lld] must be a string", region,
                     row, what, k);
        else if (!ok)
            snprintf(msg, cap,
                     "rule %s: place_of_supply[%lld].%s: unknown tax code '%.100s' (GET "
                     "/v1/tax-codes or a taxability row of the rule)",
                     region, row, what, v);
        in->pop(in);
        if (!ok)
            return -2;
        if (!kept)
            return -1;
        out[(*n)++] = kept;
    }
    return 0;
}

/* A date field of a place_of_supply row (nil: 0). 0, or -2 with msg. */
static int pos_date(levy_tax_rule_build *b, levy_tax_in *in, const char *name, long long row,
                    int32_t *out, char *msg, size_t cap)
{
    *out = 0;
    int type = in->field(in, name);
    size_t n = 0;
    const char *ds = type == LEVY_IN_STRING ? in->text(in, &n) : NULL;
    int bad = type != LEVY_IN_NIL && (!ds || levy_tax_date_parse(ds, n, out) != 0);
    in->pop(in);
    if (bad)
        snprintf(msg, cap, "rule %s: place_of_supply[%lld].%s must be a date YYYY-MM-DD",
                 b->r.region ? b->r.region : "", row, name);
    return bad ? -2 : 0;
}

/* A word field of a place_of_supply row: nil (0) or the one word it may be (1). 0, or -2 with
 * msg. */
static int pos_word(levy_tax_rule_build *b, levy_tax_in *in, const char *name, const char *word,
                    long long row, int *out, char *msg, size_t cap)
{
    *out = 0;
    int type = in->field(in, name);
    size_t n = 0;
    const char *v = type == LEVY_IN_STRING ? in->text(in, &n) : NULL;
    int bad = type != LEVY_IN_NIL && (!v || strcmp(v, word) != 0);
    *out = type != LEVY_IN_NIL && !bad;
    in->pop(in);
    if (bad)
        snprintf(msg, cap, "rule %s: place_of_supply[%lld].%s must be \"%s\"",
                 b->r.region ? b->r.region : "", row, name, word);
    return bad ? -2 : 0;
}

int levy_tax_rule_place_of_supply(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap)
{
    const char *region = b->r.region ? b->r.region : "";
    b->r.npos = 0;
    int type = in->type(in);
    if (type == LEVY_IN_NIL)
        return 0;
    long long n = type == LEVY_IN_TABLE ? in->len(in, 1) : 0;
    if (n < 1 || n > LEVY_TAX_POS_MAX) {
        snprintf(msg, cap, "rule %s: place_of_supply must be a list of 1 to %d rows", region,
                 LEVY_TAX_POS_MAX);
        return -2;
    }
    for (long long k = 1; k <= n; k++) {
        levy_tax_pos_row *pr = &b->r.pos[k - 1];
        memset(pr, 0, sizeof *pr);
        int rc = 0;
        if (in->item(in, k) != LEVY_IN_TABLE) {
            snprintf(msg, cap, "rule %s: place_of_supply[%lld] must be a table", region, k);
            rc = -2;
        }
        if (!rc) { /* the place: only "supplier" (the seller's establishment) today */
            size_t sl = 0;
            const char *pl = in->item(in, 1) == LEVY_IN_STRING ? in->text(in, &sl) : NULL;
            if (!pl || strcmp(pl, "supplier") != 0) {
                snprintf(msg, cap, "rule %s: place_of_supply[%lld][1] must be \"supplier\"", region,
                         k);
                rc = -2;
            }
            in->pop(in);
        }
        if (!rc)
            rc = pos_date(b, in, "from", k, &pr->from, msg, cap);
        if (!rc)
            rc = pos_date(b, in, "to", k, &pr->to, msg, cap);
        if (!rc && pr->from && pr->to && pr->from > pr->to) {
            snprintf(msg, cap, "rule %s: place_of_supply[%lld]: from is after to", region, k);
            rc = -2;
        }
        if (!rc) {
            in->field(in, "codes");
            rc = pos_list(b, in, "codes", k, 1, pr->codes, &pr->ncodes, LEVY_TAX_CALC_FOR_MAX, msg,
                          cap);
            in->pop(in);
        }
        if (!rc) {
            in->field(in, "seller_regions");
            rc = pos_list(b, in, "seller_regions", k, 0, pr->regions, &pr->nregions,
                          LEVY_TAX_POS_REGIONS, msg, cap);
            in->pop(in);
        }
        if (!rc) { /* except: nil, or codes that stay although their parent is listed */
            if (in->field(in, "except") != LEVY_IN_NIL)
                rc = pos_list(b, in, "except", k, 1, pr->except, &pr->nexcept,
                              LEVY_TAX_CALC_FOR_MAX, msg, cap);
            in->pop(in);
        }
        if (!rc)
            rc = pos_word(b, in, "when", "below_threshold", k, &pr->below_threshold, msg, cap);
        if (!rc)
            rc = pos_word(b, in, "elsewhere", "out_of_scope", k, &pr->elsewhere_oos, msg, cap);
        if (!rc) {
            size_t cl = 0;
            const char *c = in->field(in, "cite") == LEVY_IN_STRING ? in->text(in, &cl) : NULL;
            pr->cite = levy_tax_rule_keep(b, c ? c : "", c ? cl : 0);
            in->pop(in);
            if (!pr->cite)
                rc = -1;
        }
        in->pop(in);
        if (rc)
            return rc;
        b->r.npos = (int)k;
    }
    return 0;
}

/* levy_tax_in's each over a taxability: one row per member. */
static int add_row(levy_tax_in *in, const char *key, size_t len, void *b)
{
    return levy_tax_rule_add_code(b, in, key, len) != 0;
}

void levy_tax_rule_compile(levy_tax_rule_build *b, levy_tax_in *in, levy_tax_raise_fn raise,
                           void *ud)
{
    char msg[256];
    levy_tax_read_rule_names(in, &b->r, raise, ud); /* a bad reverse_charge raises */
    int oom = in->field(in, "taxability") == LEVY_IN_TABLE && in->each(in, add_row, b) != 0;
    in->pop(in);
    if (oom)
        raise(ud, "out of memory");
    in->field(in, "calculate_for");
    int rc = levy_tax_rule_calc_for(b, in, msg, sizeof msg);
    in->pop(in);
    if (rc == -1)
        raise(ud, "out of memory");
    if (rc == -2)
        raise(ud, msg);
    in->field(in, "calculate_before");
    rc = levy_tax_rule_calc_before(b, in, msg, sizeof msg);
    in->pop(in);
    if (rc != 0)
        raise(ud, msg);
    in->field(in, "marketplace_from");
    rc = levy_tax_rule_marketplace_from(b, in, msg, sizeof msg);
    in->pop(in);
    if (rc != 0)
        raise(ud, msg);
    in->field(in, "calculate_election");
    rc = levy_tax_rule_calc_election(b, in, msg, sizeof msg);
    in->pop(in);
    if (rc != 0)
        raise(ud, msg);
    in->field(in, "place_of_supply");
    rc = levy_tax_rule_place_of_supply(b, in, msg, sizeof msg);
    in->pop(in);
    if (rc == -1)
        raise(ud, "out of memory");
    if (rc == -2)
        raise(ud, msg);
    /* the rule is whole: what each request asks of a line's code, looked up once here
     * (issue 21: the rows by name per line and per question were ~5 % of an EU answer) */
    levy_tax_rule_index(&b->r);
}
