/* The tax decision (calc.h; docs/rules.md section 4): sourcing, exemptions, treatments,
 * reverse charge and the error table, in plain C. The Lua binding (core/lua/bind_tax.c)
 * only converts tables to these structs and back. */
#include "tax/calc.h"

#include <stdio.h>
#include <string.h>

#include "tax/dec.h"

/* ------------------------------------------------------------------ errors */

static const struct {
    const char *code;
    int status;
    const char *message;
} errors[LEVY_TAX_ERR_N] = {
    [LEVY_TAX_ERR_NONE] = {"", 200, ""},
    [LEVY_TAX_ERR_VALIDATION] = {"validation_failed", 422, "the request is invalid; see details"},
    [LEVY_TAX_ERR_ADDRESS] = {"address_unresolved", 422,
                              "the ship-to address could not be resolved"},
    [LEVY_TAX_ERR_RULE] = {"rule_error", 500, "the region's rule failed"},
};

const char *levy_tax_error_code(int e)
{
    return e > 0 && e < LEVY_TAX_ERR_N ? errors[e].code : "internal";
}

int levy_tax_error_status(int e) { return e > 0 && e < LEVY_TAX_ERR_N ? errors[e].status : 500; }

const char *levy_tax_error_message(int e)
{
    return e > 0 && e < LEVY_TAX_ERR_N ? errors[e].message : "internal error";
}

void levy_tax_problem_clear(levy_tax_problem *p)
{
    p->error = LEVY_TAX_ERR_NONE;
    p->code[0] = p->message[0] = '\0';
    p->ndetails = 0;
}

void levy_tax_problem_add(levy_tax_problem *p, int line, const char *field, const char *message)
{
    if (p->ndetails >= LEVY_TAX_MAX_DETAILS)
        return;
    levy_tax_detail *d = &p->details[p->ndetails++];
    if (field[0] == '.' && line >= 0)
        snprintf(d->field, sizeof d->field, "lines[%d]%s", line, field[1] ? field : "");
    else
        snprintf(d->field, sizeof d->field, "%s", field);
    snprintf(d->message, sizeof d->message, "%s", message);
}

void levy_tax_problem_set(levy_tax_problem *p, int error, const char *code, const char *message)
{
    p->error = error;
    snprintf(p->code, sizeof p->code, "%s", code ? code : levy_tax_error_code(error));
    snprintf(p->message, sizeof p->message, "%s",
             message ? message : levy_tax_error_message(error));
}

/* A rule error: p and err say the same (the binding raises it: a 500 naming the rule). */
static int rule_error(levy_tax_problem *p, levy_err *err, const char *msg)
{
    levy_tax_problem_set(p, LEVY_TAX_ERR_RULE, NULL, msg);
    return levy_err_set(err, LEVY_EINVAL, "rule_error", "%s", msg);
}

/* ------------------------------------------------------------------ tax codes */

const levy_tax_code_info levy_tax_codes[] = {
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
const int levy_tax_ncodes = (int)LEVY_ARRAY_LEN(levy_tax_codes);

int levy_tax_code_builtin(const char *c)
{
    for (int i = 0; i < levy_tax_ncodes; i++)
        if (strcmp(levy_tax_codes[i].code, c) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ rules */

int levy_tax_sourcing_from(const char *s)
{
    if (!s || strcmp(s, "destination") == 0)
        return LEVY_SOURCING_DESTINATION;
    if (strcmp(s, "origin") == 0 || strcmp(s, "origin_intrastate") == 0)
        return LEVY_SOURCING_ORIGIN;
    return -1;
}

int levy_tax_reverse_charge_from(const char *s)
{
    if (!s)
        return LEVY_RC_NONE;
    if (strcmp(s, "b2b_foreign_seller") == 0)
        return LEVY_RC_B2B_FOREIGN_SELLER;
    return -1;
}

static const levy_tax_code_row *find_code(const levy_tax_rule *r, const char *code)
{
    for (int i = 0; r && i < r->ncodes; i++)
        if (strcmp(r->codes[i].code, code) == 0)
            return &r->codes[i];
    return NULL;
}

int levy_tax_rule_knows(const levy_tax_rule *r, const char *code)
{
    return find_code(r, code) != NULL;
}

int levy_tax_rule_treatment(const levy_tax_rule *r, const char *code)
{
    const levy_tax_code_row *row = find_code(r, code);
    if (!row)
        row = find_code(r, "default");
    return row ? row->treatment : -1;
}

/* ------------------------------------------------------------------ customer */

int levy_tax_id_usable(const char *tax_id)
{
    /* today: present and non-empty; the place where tax-id validation (core/tax/taxid.c)
     * decides whether a customer counts as a business */
    return tax_id != NULL && tax_id[0] != '\0';
}

/* The ISO country of a code as reverse charge compares it ("EL", Greece in VIES numbers, is
 * "GR" in ISO 3166). */
static const char *iso_country(const char *c) { return strcmp(c, "EL") == 0 ? "GR" : c; }

/* Reverse charge "b2b_foreign_seller" (CONTRACT section 2.5 "Seller location"; EU: VAT
 * Directive 2006/112/EC art. 44 and 196): a business customer (a usable tax id) buying from
 * a seller not established in the country of destination accounts for the tax itself. A
 * seller established there charges domestic tax; an unknown seller counts as not
 * established. */
static int b2b_foreign_seller(const levy_tax_request *req, const char *tax_id)
{
    if (!levy_tax_id_usable(tax_id))
        return 0;
    if (!req->seller.present || !req->seller.country[0])
        return 1;
    return strcmp(iso_country(req->seller.country), iso_country(req->ship_to.country)) != 0;
}

/* ------------------------------------------------------------------ line checks */

void levy_tax_check_line(const levy_tax_request *req, int i, int ra, int rd, int rq,
                         const char *max_amount, levy_tax_problem *p)
{
    const levy_tax_line *l = &req->lines[i];
    if (rq == 1 && l->qty < 0)
        levy_tax_problem_add(p, i, ".quantity", "must not be negative");
    else if (rq == 1 && l->qty == 0)
        levy_tax_problem_add(p, i, ".quantity", "must be greater than zero");
    if (ra == 1 && rd >= 0) {
        /* |amount|, discount <= 10^12: the difference cannot overflow */
        int64_t gross = l->amount - l->discount;
        int64_t mag = gross < 0 ? -gross : gross;
        char msg[200];
        if (mag > LEVY_TAX_MAX_MINOR) {
            snprintf(msg, sizeof msg, "makes amount - discount out of range (at most %s)",
                     max_amount);
            levy_tax_problem_add(p, i, ".discount", msg);
        } else if (rq >= 0 && l->qty > 0 &&
                   (__int128)mag * LEVY_TAX_QTY_ONE > (__int128)LEVY_TAX_MAX_MINOR * l->qty) {
            snprintf(msg, sizeof msg,
                     "divided by the quantity gives a unit price out of range (at most %s)",
                     max_amount);
            levy_tax_problem_add(p, i, ".amount", msg);
        }
    }
}

/* ------------------------------------------------------------------ treatments */

void levy_tax_line_remove(levy_tax_line *l, int i)
{
    memmove(&l->e[i], &l->e[i + 1], sizeof l->e[0] * (size_t)(l->n - i - 1));
    l->n--;
}

/* Applies treatment t (an index into rule r, -1: the built-in fallback for code) to line li's
 * entries of group g. Returns LEVY_OK or a rule error. */
static int apply_treatment(const levy_tax_request *req, const levy_tax_decision *d,
                           const levy_tax_rule *r, int t, const char *code, int li, int g,
                           int depth, levy_tax_problem *p, levy_err *err)
{
    levy_tax_line *l = &req->lines[li];
    int reason = LEVY_REASON_STANDARD;
    int kind;
    const levy_tax_treatment *tr = NULL;
    if (depth > LEVY_TAX_MAX_DEPTH)
        return rule_error(p, err, "rule taxability: thresholds nested too deep");
    if (t < 0) {
        kind = strcmp(code, "exempt") == 0 ? LEVY_TREAT_EXEMPT : LEVY_TREAT_TAXABLE;
    } else {
        tr = &r->treat[t];
        kind = tr->kind;
    }
    switch (kind) {
    case LEVY_TREAT_TAXABLE:
        break;
    case LEVY_TREAT_EXEMPT:
        for (int i = l->n - 1; i >= 0; i--)
            if (l->e[i].group == g)
                levy_tax_line_remove(l, i);
        reason = LEVY_REASON_PRODUCT_EXEMPT;
        break;
    case LEVY_TREAT_ZERO:
        for (int i = 0; i < l->n; i++)
            if (l->e[i].group == g)
                l->e[i].rate = 0;
        reason = LEVY_REASON_ZERO;
        break;
    case LEVY_TREAT_REDUCED: {
        int64_t rate;
        if (levy_rates_vat_key(&d->res, tr->text ? tr->text : "reduced", &rate) == 0) {
            for (int i = 0; i < l->n; i++)
                if (l->e[i].group == g)
                    l->e[i].rate = rate;
            reason = LEVY_REASON_REDUCED;
        }
        break;
    }
    case LEVY_TREAT_FRACTION:
        for (int i = 0; i < l->n; i++)
            if (l->e[i].group == g)
                l->e[i].fraction = tr->value;
        reason = LEVY_REASON_PARTIAL;
        break;
    case LEVY_TREAT_RATE:
        for (int i = l->n - 1; i >= 0; i--) {
            if (l->e[i].group != g)
                continue;
            if (l->e[i].level == tr->level)
                l->e[i].rate = tr->value;
            else if (!(tr->mask >> l->e[i].level & 1))
                levy_tax_line_remove(l, i);
        }
        reason = LEVY_REASON_REDUCED;
        break;
    case LEVY_TREAT_EXEMPT_LEVELS:
        for (int i = l->n - 1; i >= 0; i--)
            if (l->e[i].group == g && (tr->mask >> l->e[i].level & 1))
                levy_tax_line_remove(l, i);
        reason = LEVY_REASON_PARTIAL;
        break;
    case LEVY_TREAT_THRESHOLD: {
        /* read with 6 decimals more than the currency's: a threshold of "109.50" must not
         * fail every JPY document (issue 15 finding 7); thr is in 10^-(exponent + 6) */
        int64_t thr;
        int sc = req->exponent + 6;
        if (!tr->text || levy_tax_dec_parse(tr->text, tr->text_len, sc, sc, 0, &thr)) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "rule taxability: threshold must be a decimal string (at most %d "
                     "decimals in %s)",
                     sc, req->currency);
            return rule_error(p, err, msg);
        }
        /* a credit mirrors the sale it refunds: the price compared is its magnitude (a
         * -150.00 refund of a $150 coat is not "under $110"); |gross| <= 10^12 (validated) */
        int64_t gross = l->amount - l->discount;
        if (gross < 0)
            gross = -gross;
        /* exact, 128-bit: line < threshold <=> gross x 10^6 < thr; unit < threshold <=>
         * gross x 10^6 x 10^6 < thr x qty (<= 10^24 and < 9.3 x 10^18 x 10^15) */
        int below = tr->per_line
                        ? (__int128)gross * 1000000 < (__int128)thr
                        : (__int128)gross * 1000000 * LEVY_TAX_QTY_ONE < (__int128)thr * l->qty;
        int next = below ? tr->below : tr->above;
        /* an absent branch is "taxable" (code "" never means exempt) */
        return apply_treatment(req, d, r, next, "", li, g, depth + 1, p, err);
    }
    default:
        return rule_error(p, err, tr->text ? tr->text : "rule taxability: unknown treatment table");
    }
    if (g == 0 || !req->meta[li].reason_set) {
        l->reason = reason;
        req->meta[li].reason_set = 1;
    }
    return LEVY_OK;
}

/* ------------------------------------------------------------------ the decision */

/* origin sourcing: an intrastate US sale is taxed at the seller's location */
static void source(const levy_tax_request *req, levy_tax_decision *d)
{
    const levy_tax_addr *s = &req->seller, *t = &req->ship_to;
    if (!d->rule[0] || d->rule[0]->sourcing != LEVY_SOURCING_ORIGIN || !s->present ||
        strcmp(s->country, "US") != 0 || strcmp(t->country, "US") != 0 ||
        strcmp(s->state, t->state) != 0 || !s->zip)
        return;
    levy_tax_address sa = {"US", s->state, s->city, s->zip};
    levy_tax_resolution ores;
    levy_err oerr;
    levy_err_clear(&oerr);
    if (levy_rates_resolve(req->rates, &sa, req->date, &ores, &oerr) == LEVY_OK &&
        strcmp(ores.region, d->res.region) == 0)
        d->res = ores; /* an unknown seller ZIP keeps destination rates */
}

/* The customer's exemption and tax id after the record stored in levy. */
static void customer(const levy_tax_request *req, levy_tax_decision *d)
{
    d->customer_exempt = req->customer_exempt;
    d->tax_id = levy_tax_id_usable(req->tax_id) ? req->tax_id : NULL;
    const levy_tax_customer_rec *c = &req->stored;
    if (d->customer_exempt || !req->customer_id || !c->found)
        return;
    int exm = c->exempt;
    if (exm && c->expires && req->date > c->expires)
        exm = 0;
    if (exm && c->nregions > 0) {
        int cover = 0;
        for (int k = 0; k < c->nregions; k++)
            for (int g = 0; c->regions[k] && g < d->res.ngroups; g++)
                cover |= strcmp(c->regions[k], d->res.group_region[g]) == 0;
        exm = cover;
    }
    d->customer_exempt = exm;
    if (!d->tax_id && levy_tax_id_usable(c->tax_id))
        d->tax_id = c->tax_id;
}

int levy_tax_decide(levy_tax_request *req, levy_tax_decision *d, levy_tax_problem *p, levy_err *err)
{
    memset(d, 0, sizeof *d);
    levy_tax_problem_clear(p);
    levy_err_clear(err);
    /* resolve */
    levy_err rerr;
    levy_err_clear(&rerr);
    levy_tax_address a = {req->ship_to.country, req->ship_to.state[0] ? req->ship_to.state : NULL,
                          req->ship_to.city, req->ship_to.zip};
    if (levy_rates_resolve(req->rates, &a, req->date, &d->res, &rerr) != LEVY_OK) {
        levy_tax_problem_set(p, LEVY_TAX_ERR_ADDRESS, rerr.code[0] ? rerr.code : NULL,
                             rerr.message);
        levy_tax_problem_add(p, -1,
                             strstr(rerr.message, "state") ? "ship_to.state" : "ship_to.zip_code",
                             rerr.message);
        return levy_err_set(err, LEVY_EINVAL, p->code, "%s", p->message);
    }
    /* regions, rules, subscription */
    for (int g = 0; g < d->res.ngroups; g++) {
        d->on[g] = req->region_on ? req->region_on(req->ud, d->res.group_region[g], req->date) : 0;
        d->rule[g] = req->rule_for ? req->rule_for(req->ud, d->res.group_region[g]) : NULL;
    }
    source(req, d);
    /* tax codes: built-in, or named by the region's rule */
    for (int i = 0; i < req->nlines; i++) {
        const char *tc = req->meta[i].tax_code;
        if (levy_tax_code_builtin(tc) || levy_tax_rule_knows(d->rule[0], tc) ||
            (d->res.ngroups > 1 && levy_tax_rule_knows(d->rule[1], tc)))
            continue;
        char f[64], msg[160];
        snprintf(f, sizeof f, "lines[%d].tax_code", i);
        snprintf(msg, sizeof msg, "unknown tax code '%.100s' (GET /v1/tax-codes)", tc);
        levy_tax_problem_add(p, -1, f, msg);
    }
    if (p->ndetails) {
        levy_tax_problem_set(p, LEVY_TAX_ERR_VALIDATION, NULL, NULL);
        return levy_err_set(err, LEVY_EINVAL, p->code, "%s", p->message);
    }
    customer(req, d);
    int any_on = 0, any_tax_on = 0, rc_any = 0;
    for (int g = 0; g < d->res.ngroups; g++) {
        any_on |= d->on[g];
        for (int e = 0; e < d->res.n; e++)
            any_tax_on |= d->on[g] && d->res.e[e].group == g;
        rc_any |=
            d->on[g] && d->rule[g] && d->rule[g]->reverse_charge == LEVY_RC_B2B_FOREIGN_SELLER;
    }
    d->reverse = rc_any && b2b_foreign_seller(req, d->tax_id);
    int calc_groups = 0;
    for (int i = 0; i < req->nlines; i++) {
        levy_tax_line *l = &req->lines[i];
        l->n = 0;
        for (int e = 0; e < d->res.n; e++)
            if (d->on[d->res.e[e].group])
                l->e[l->n++] = d->res.e[e];
        if (!any_on) {
            l->reason = LEVY_REASON_NOT_COLLECTING;
            continue;
        }
        if (!any_tax_on) {
            l->reason = LEVY_REASON_NO_TAX;
            continue;
        }
        if (d->customer_exempt) {
            for (int e = 0; e < l->n; e++)
                l->e[e].zero = 1;
            l->reason = LEVY_REASON_CUSTOMER_EXEMPT;
            continue;
        }
        const char *tc = req->meta[i].tax_code;
        for (int g = 0; g < d->res.ngroups; g++) {
            if (!d->on[g])
                continue;
            const levy_tax_rule *r = d->rule[g];
            int t = r ? levy_tax_rule_treatment(r, tc) : -1;
            if (apply_treatment(req, d, r, t, tc, i, g, 0, p, err) != LEVY_OK)
                return err->rc;
        }
        /* reverse charge where the rule declares it: the lines keep their would-be rate
         * with a zero amount; exempt or zero-rated lines stay as they are */
        if (d->reverse && l->reason != LEVY_REASON_PRODUCT_EXEMPT &&
            l->reason != LEVY_REASON_ZERO) {
            for (int g = 0; g < d->res.ngroups; g++) {
                if (!d->on[g] || !d->rule[g] ||
                    d->rule[g]->reverse_charge != LEVY_RC_B2B_FOREIGN_SELLER)
                    continue;
                for (int e = 0; e < l->n; e++)
                    if (l->e[e].group == g)
                        l->e[e].zero = 1;
                l->reason = LEVY_REASON_REVERSE_CHARGE;
            }
        }
        calc_groups = 1;
    }
    /* rule.calculate(ctx), per subscribed group whose rule defines it */
    if (calc_groups && !d->customer_exempt && req->calculate) {
        for (int g = 0; g < d->res.ngroups; g++) {
            if (!d->on[g] || !d->rule[g] || !d->rule[g]->has_calculate)
                continue;
            levy_err cerr;
            levy_err_clear(&cerr);
            if (req->calculate(req->ud, req, d, g, &cerr) != LEVY_OK)
                return rule_error(p, err, cerr.message);
        }
    }
    /* compute */
    d->doc =
        (levy_tax_doc){req->exponent, req->document_rounding, req->nlines, req->lines, 0, 0, 0, -1};
    levy_err cerr;
    levy_err_clear(&cerr);
    if (levy_tax_compute(&d->doc, &cerr) != LEVY_OK) {
        /* the request's values were range-checked, so this is a value a rule set */
        char ef[32];
        snprintf(ef, sizeof ef, "lines[%d]", d->doc.err_line >= 0 ? d->doc.err_line : 0);
        levy_tax_problem_set(p, LEVY_TAX_ERR_VALIDATION, NULL, cerr.message);
        levy_tax_problem_add(p, -1, d->doc.err_line >= 0 ? ef : "lines", cerr.message);
        return levy_err_set(err, LEVY_EINVAL, p->code, "%s", p->message);
    }
    return LEVY_OK;
}
