/* The tax decision (calc.h; docs/rules.md section 4): sourcing, exemptions, treatments,
 * reverse charge and the error table, in plain C. The Lua binding (core/lua/bind_tax.c)
 * only converts tables to these structs and back. */
#include "tax/calc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_scan.h"
#include "tax/dec.h"
#include "tax/territory.h"

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

/* The tax codes: core/tax/codes.c. */

void levy_tax_fallback_note(const levy_tax_decision *d, int g, int k, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "%s has no cited row for tax code '%s' (%s): taxed as its parent '%s'; the "
             "region's law for this product may differ",
             d->res.group_region[g], levy_tax_codes[k].code, levy_tax_codes[k].name,
             levy_tax_codes[k].parent);
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
    if (strcmp(s, "b2b_simplified_regime") == 0)
        return LEVY_RC_B2B_SIMPLIFIED_REGIME;
    if (strcmp(s, "b2b_qst_specified") == 0)
        return LEVY_RC_B2B_QST_SPECIFIED;
    return -1;
}

static const levy_tax_code_row *find_code(const levy_tax_rule *r, const char *code)
{
    /* the first byte before strcmp: called for every line and group (issue 21: ~270 strcmp
     * calls per 10-line /v1/calculate) */
    for (int i = 0; r && i < r->ncodes; i++)
        if (r->codes[i].code[0] == code[0] && strcmp(r->codes[i].code, code) == 0)
            return &r->codes[i];
    return NULL;
}

int levy_tax_rule_knows(const levy_tax_rule *r, const char *code)
{
    return find_code(r, code) != NULL;
}

static int calc_for_lists(const levy_tax_rule *r, const char *code)
{
    for (int k = 0; code && k < r->ncalc_for; k++)
        if (strcmp(r->calc_for[k], code) == 0)
            return 1;
    return 0;
}

/* calculate_for lists code or its parent (by name). */
static int calc_for_names(const levy_tax_rule *r, const char *code)
{
    return calc_for_lists(r, code) || calc_for_lists(r, levy_tax_code_parent(code));
}

/* levy_tax_rule_calc_wanted; by_ix: meta[i].code_ix is set (levy_tax_decide), so an indexed
 * rule answers a built-in code from its index. */
static int calc_wanted(const levy_tax_rule *r, const levy_tax_line_meta *meta, int n, int32_t date,
                       int by_ix, unsigned elections)
{
    if (!r || !r->has_calculate)
        return 0;
    if ((!r->ncalc_for && !r->calc_before && !r->calc_elections) ||
        (r->calc_before && date < r->calc_before) || (r->calc_elections & elections))
        return 1;
    for (int i = 0; i < n; i++) {
        int ci = by_ix && r->indexed ? meta[i].code_ix : -1;
        if (ci >= 0 ? (int)(r->calc_for_codes >> ci & 1) : calc_for_names(r, meta[i].tax_code))
            return 1;
    }
    return 0;
}

int levy_tax_rule_calc_wanted(const levy_tax_rule *r, const levy_tax_line_meta *meta, int n,
                              int32_t date, unsigned elections)
{
    return calc_wanted(r, meta, n, date, 0, elections);
}

/* The elections' names: the settings (plugins/api/validate.lua), opts keys and the values of a
 * rule's calculate_election (issue 19, law24). */
static const char *const election_names[LEVY_TAX_NELECTIONS] = {
    "us_al_ssut",         /* Alabama Simplified Sellers Use Tax, Ala. Code 40-23-191 ff. */
    "us_tx_single_local", /* Texas single local use tax rate, Tex. Tax Code 151.0595 */
};

const char *levy_tax_election_name(int i)
{
    return i >= 0 && i < LEVY_TAX_NELECTIONS ? election_names[i] : NULL;
}

int levy_tax_election_index(const char *name, size_t len)
{
    for (int i = 0; i < LEVY_TAX_NELECTIONS; i++)
        if (strlen(election_names[i]) == len && memcmp(election_names[i], name, len) == 0)
            return i;
    return -1;
}

int levy_tax_rule_treatment(const levy_tax_rule *r, const char *code)
{
    const levy_tax_code_row *row = find_code(r, code);
    const char *parent = row ? NULL : levy_tax_code_parent(code);
    if (parent)
        row = find_code(r, parent);
    if (!row)
        row = find_code(r, "default");
    return row ? row->treatment : -1;
}

/* The decision's questions about a line's code (ci: its levy_tax_codes index, -1 for a code
 * only a rule names): from the rule's index when it has one, else by name. */
static int treatment_of(const levy_tax_rule *r, const char *code, int ci)
{
    return r && r->indexed && ci >= 0 ? r->treat_of[ci] : levy_tax_rule_treatment(r, code);
}

static int rule_knows(const levy_tax_rule *r, const char *code, int ci)
{
    return r && r->indexed && ci >= 0 ? (int)(r->own_row >> ci & 1) : levy_tax_rule_knows(r, code);
}

static int pos_lists(const levy_tax_pos_row *row, const char *code);

void levy_tax_rule_index(levy_tax_rule *r)
{
    r->indexed = 0; /* the answers below by name */
    r->own_row = r->calc_for_codes = 0;
    memset(r->pos_codes, 0, sizeof r->pos_codes);
    for (int k = 0; k < levy_tax_ncodes; k++) {
        const char *c = levy_tax_codes[k].code;
        r->treat_of[k] = levy_tax_rule_treatment(r, c);
        r->own_row |= (uint64_t)(find_code(r, c) != NULL) << k;
        r->calc_for_codes |= (uint64_t)calc_for_names(r, c) << k;
        for (int p = 0; p < r->npos && p < LEVY_TAX_POS_MAX; p++)
            r->pos_codes[p] |= (uint64_t)pos_lists(&r->pos[p], c) << k;
    }
    r->def_treat = levy_tax_rule_treatment(r, "default");
    r->indexed = 1;
}

int levy_tax_rule_at(const levy_tax_rule *r, int t, int32_t date)
{
    /* bounded: a list resolves to its row's treatment or to default, at most a few hops */
    for (int hop = 0; r && t >= 0 && t < r->ntreat && hop < 2 * LEVY_TAX_MAX_DEPTH; hop++) {
        if (r->treat[t].kind != LEVY_TREAT_DATED)
            return t;
        int head = t, found = -1;
        for (int k = head, n = 0; k >= 0 && k < r->ntreat && n < r->ntreat; n++) {
            const levy_tax_treatment *row = &r->treat[k];
            if (row->kind != LEVY_TREAT_DATED)
                break;
            if ((row->from == 0 || date >= row->from) && (row->to == 0 || date <= row->to)) {
                found = row->inner;
                break;
            }
            k = row->next;
        }
        if (found >= 0) {
            t = found;
            continue;
        }
        int def = r->indexed ? r->def_treat : levy_tax_rule_treatment(r, "default");
        if (def == head)
            return -1;
        t = def;
    }
    return t >= 0 && r && t < r->ntreat && r->treat[t].kind == LEVY_TREAT_DATED ? -1 : t;
}

/* ------------------------------------------------------------------ customer */

int levy_tax_customer_type_from(const char *s)
{
    if (!s)
        return LEVY_CUSTOMER_UNSET;
    if (strcmp(s, "business") == 0)
        return LEVY_CUSTOMER_BUSINESS;
    if (strcmp(s, "individual") == 0)
        return LEVY_CUSTOMER_INDIVIDUAL;
    return -1;
}

const char *levy_tax_customer_type_name(int type)
{
    return type == LEVY_CUSTOMER_INDIVIDUAL ? "individual" : "business";
}

/* A tax id given at all (the request's, else the stored customer's, is the one judged). */
static int tax_id_present(const char *tax_id) { return tax_id != NULL && tax_id[0] != '\0'; }

int levy_tax_id_usable(const levy_tax_request *req, int eu, const char *tax_id, char *note,
                       size_t note_size)
{
    if (note && note_size)
        note[0] = '\0';
    if (!tax_id_present(tax_id))
        return 0;
    return levy_taxid_usable(req->ship_to.country, eu, tax_id, req->tax_id_registry, NULL, note,
                             note_size);
}

/* The ISO country of a code as reverse charge compares it ("EL", Greece in VIES numbers, is
 * "GR" in ISO 3166). */
static const char *iso_country(const char *c) { return strcmp(c, "EL") == 0 ? "GR" : c; }

/* Reverse charge "b2b_foreign_seller" (CONTRACT section 2.5 "Seller location"; EU: VAT
 * Directive 2006/112/EC art. 44 and 196): a business customer (a usable tax id) buying from
 * a seller not established in the country of destination accounts for the tax itself. A
 * seller established there charges domestic tax; an unknown seller counts as not
 * established. */
static int b2b_foreign_seller(const levy_tax_request *req, levy_tax_decision *d)
{
    /* issue 19, a tax id is not a word: "N/A", an EIN or "DE12345" is no business customer;
     * the sale is taxed as one to a consumer and the answer says why (d->tax_id_note) */
    if (!levy_tax_id_usable(req, strcmp(d->res.region, "EU") == 0, d->tax_id, d->tax_id_note,
                            sizeof d->tax_id_note))
        return 0;
    if (!req->seller.present || !req->seller.country[0])
        return 1;
    return strcmp(iso_country(req->seller.country), iso_country(req->ship_to.country)) != 0;
}

/* Does group g's declared reverse charge apply (issue 19: reverse charge is not "any business
 * customer abroad")? "b2b_foreign_seller": the test above. "b2b_simplified_regime" (Canada,
 * ETA s. 211.1 "specified supply" / "specified Canadian recipient"): a non-resident registered
 * under the simplified regime does not charge GST/HST to a customer that gives its GST/HST
 * registration number; a normal-regime registrant (req->simplified_regime 0) charges every
 * customer, and then the tax id decides nothing (no tax_id_invalid note). A seller
 * established in the country is never a simplified-regime registrant: it charges. */
/* A Quebec QST registration number of the regular system: 10 digits, "TQ", 4 digits (Revenu
 * Quebec; "1234567890TQ0001"), spaces ignored, letters of either case. A number of the
 * specified system ends "NR" + 4 digits: that registrant is not registered under the regular
 * system and stays a "specified Quebec consumer". */
int levy_tax_qst_number_valid(const char *s)
{
    char c[17];
    int n = 0;
    for (; s && *s; s++) {
        if (*s == ' ')
            continue;
        if (n == 16)
            return 0;
        c[n++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
    }
    if (n != 16 || c[10] != 'T' || c[11] != 'Q')
        return 0;
    for (int i = 0; i < 16; i++)
        if ((i < 10 || i > 11) && (c[i] < '0' || c[i] > '9'))
            return 0;
    return 1;
}

/* "b2b_qst_specified" (Quebec, issue 19): a seller outside Quebec registered under the QST
 * specified system collects only from "specified Quebec consumers", persons not registered
 * for QST; a customer that gives its QST registration number is not charged (it
 * self-assesses where its use is not exclusively commercial). A seller established in
 * Quebec, or one registered under the regular system (req->qst_specified 0), charges
 * everyone. An unusable number: a consumer sale with the note qst_number_invalid. */
static int qst_specified_applies(const levy_tax_request *req, levy_tax_decision *d)
{
    /* the request's customer.qst_number, else the one stored on the customer (PUT
     * /v1/customers/{id} or the Rillet data: plugins/api), as the tax id */
    const char *qst = tax_id_present(req->qst_number) ? req->qst_number : NULL;
    if (!qst && req->customer_id && req->stored.found && tax_id_present(req->stored.qst_number))
        qst = req->stored.qst_number;
    if (!req->qst_specified || !qst || d->customer_exempt)
        return 0;
    if (req->seller.present && strcmp(req->seller.country, "CA") == 0 &&
        strcmp(req->seller.state, "QC") == 0)
        return 0;
    char msg[LEVY_TAX_NOTE_MAX];
    if (!levy_tax_qst_number_valid(qst)) {
        snprintf(msg, sizeof msg,
                 "customer.qst_number is not a QST registration number of the regular system "
                 "(10 digits, TQ, 4 digits); QST charged as to a specified Quebec consumer");
        levy_tax_decision_add_note(d, "qst_number_invalid", msg);
        return 0;
    }
    snprintf(msg, sizeof msg,
             "QST not charged: the customer gave its QST registration number and the seller is "
             "registered under the specified system, which collects only from persons not "
             "registered for QST; the customer self-assesses where required");
    levy_tax_decision_add_note(d, "qst_registrant", msg);
    return 1;
}

static int reverse_charge_applies(const levy_tax_request *req, levy_tax_decision *d, int kind)
{
    if (kind == LEVY_RC_B2B_FOREIGN_SELLER)
        return b2b_foreign_seller(req, d);
    if (kind == LEVY_RC_B2B_QST_SPECIFIED)
        return qst_specified_applies(req, d);
    if (kind != LEVY_RC_B2B_SIMPLIFIED_REGIME || !req->simplified_regime ||
        !b2b_foreign_seller(req, d))
        return 0;
    /* the customer must give its GST/HST registration number (a BN, Luhn-checked): a Quebec
     * QST number, valid for levy.taxid by format only, is not one (ETA s. 211.1(2)) */
    levy_taxid_result r;
    if (d->tax_id && levy_taxid_check(req->ship_to.country, d->tax_id, &r) == LEVY_TAXID_VALID &&
        strcmp(r.country, "CA") == 0 && !r.checksum) {
        snprintf(d->tax_id_note, sizeof d->tax_id_note,
                 "customer.tax_id is not a GST/HST registration number (a Quebec QST number?); "
                 "taxed as a sale to a consumer");
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ reading a request */

int levy_tax_decimal_field(const char *s, size_t len, int line, const char *field, int max_scale,
                           int scale, int allow_neg, int64_t limit, const char *limit_text,
                           int64_t *out, levy_tax_problem *p)
{
    int64_t val = 0;
    int rc = levy_tax_dec_parse(s, len, max_scale, scale, 1, &val);
    char msg[160];
    if (rc == -2) {
        snprintf(msg, sizeof msg, "has more than %d decimals", max_scale);
        levy_tax_problem_add(p, line, field, msg);
        return -1;
    }
    if (rc == -3 || (rc == 0 && (val > limit || val < -limit))) {
        snprintf(msg, sizeof msg, "is out of range (at most %s)", limit_text);
        levy_tax_problem_add(p, line, field, msg);
        return -1;
    }
    if (rc) {
        levy_tax_problem_add(p, line, field,
                             "is not a decimal string (digits, optional '-' and '.')");
        return -1;
    }
    if (!allow_neg && val < 0) {
        levy_tax_problem_add(p, line, field, "must not be negative");
        return -1;
    }
    *out = val;
    return 1;
}

void levy_tax_max_amount_text(char *buf, size_t cap, const levy_tax_request *req)
{
    if (req->exponent >= 0) {
        size_t n = levy_tax_fmt_scaled(buf, LEVY_TAX_MAX_MINOR, req->exponent);
        size_t c = strlen(req->currency);
        if (n + 2 + c <= cap) { /* no snprintf: every request reads its lines with this text */
            buf[n] = ' ';
            memcpy(buf + n + 1, req->currency, c + 1);
        } else {
            snprintf(buf + n, cap - n, " %s", req->currency);
        }
    } else {
        snprintf(buf, cap, "%lld minor units", LEVY_TAX_MAX_MINOR);
    }
}

static int alpha2(const char *c)
{
    return ((c[0] | 32) >= 'a' && (c[0] | 32) <= 'z' && (c[1] | 32) >= 'a' && (c[1] | 32) <= 'z');
}

void levy_tax_addr_country(levy_tax_addr *a, const char *field, const char *c, size_t len,
                           levy_tax_problem *p)
{
    if (!c) {
        levy_tax_problem_add(p, -1, field, "is required (ISO 3166 two-letter code)");
    } else if (len != 2 || !alpha2(c)) {
        levy_tax_problem_add(p, -1, field, "must be a two-letter country code");
    } else {
        a->country[0] = (char)(c[0] & ~32);
        a->country[1] = (char)(c[1] & ~32);
        a->present = 1;
    }
}

void levy_tax_addr_state(levy_tax_addr *a, const char *field, const char *s, size_t len,
                         levy_tax_problem *p)
{
    int us = strcmp(a->country, "US") == 0, ca = strcmp(a->country, "CA") == 0;
    if (s && len >= 1 && len <= 3) {
        for (size_t i = 0; i < len; i++)
            a->state[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    }
    if (!us && !ca)
        return;
    if (!s || len == 0)
        levy_tax_problem_add(p, -1, field,
                             us ? "is required for US addresses (two-letter code)"
                                : "is required for Canadian addresses (two-letter code)");
    else if (us && !levy_rates_us_state_name(a->state))
        levy_tax_problem_add(p, -1, field, "is not a US state code (50 states, DC, PR)");
    else if (ca && !levy_rates_ca_province(a->state))
        levy_tax_problem_add(p, -1, field, "is not a Canadian province or territory code");
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

void levy_tax_addr_zip(levy_tax_addr *a, const char *field, const char *zip, int required,
                       levy_tax_problem *p)
{
    a->zip = zip;
    if (strcmp(a->country, "US") == 0 && required && !zip)
        levy_tax_problem_add(p, -1, field, "is required for US addresses");
}

void levy_tax_line_id_number(levy_tax_line_meta *m, long long n)
{
    snprintf(m->idbuf, sizeof m->idbuf, "%lld", n);
    m->id = m->idbuf;
    m->idlen = strlen(m->idbuf);
}

int levy_tax_customer_type_field(const char *s, levy_tax_problem *p)
{
    int t = levy_tax_customer_type_from(s);
    if (t >= 0)
        return t;
    if (p)
        levy_tax_problem_add(p, -1, "customer.type", "must be \"business\" or \"individual\"");
    return LEVY_CUSTOMER_UNSET;
}

int levy_tax_lines_count(long long n, levy_tax_problem *p)
{
    if (n <= 0)
        levy_tax_problem_add(p, -1, "lines", "must have at least one line");
    else if (n > LEVY_TAX_MAX_LINES)
        levy_tax_problem_add(p, -1, "lines", "has more than 1000 lines");
    else
        return (int)n;
    return 0;
}

int levy_tax_subscription_on(int subscribed, int tax_calculation, const char *effective_from,
                             size_t len, int32_t date)
{
    if (!subscribed || tax_calculation == 0)
        return 0;
    int32_t from;
    if (effective_from && levy_tax_date_parse(effective_from, len, &from) == 0 && date < from)
        return 0;
    return 1;
}

int levy_tax_request_currency(levy_tax_request *req, const char *s, size_t len)
{
    req->exponent = -1;
    memset(req->currency, 0, sizeof req->currency);
    if (len != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        req->currency[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    req->exponent = levy_tax_currency_exponent(req->currency);
    return req->exponent < 0 ? -1 : 0;
}

int32_t levy_tax_today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

size_t levy_tax_fmt_quantity(char *buf, int64_t qty)
{
    size_t n = levy_tax_fmt_scaled(buf, qty, 6);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return n;
}

/* Formatted from the 128-bit quotient: no narrowing (issue 15: an int64 cast wrapped
 * 100000.00 / 0.000001 to a negative price, and JPY prices came out as "5000." with a
 * trailing dot). */
size_t levy_tax_fmt_unit_amount(char *buf, const levy_tax_line *l, int exponent)
{
    static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    int ex = exponent < 0 ? 0 : exponent > 6 ? 6 : exponent;
    return levy_tax_fmt_ratio(buf, (__int128)(l->amount - l->discount) * LEVY_TAX_QTY_ONE,
                              (__int128)l->qty * pow10[ex], ex, ex + 6);
}

/* A rule's numbers obey the engine's ranges too: a rule bug is an error of the rule (500 + log
 * naming it), never a silently different tax. */
int levy_tax_entry_check(const levy_tax_entry *en, int k, char *msg, size_t cap)
{
    if (en->fraction < 0 || en->fraction > LEVY_TAX_RATE_ONE)
        snprintf(msg, cap, "calculate(ctx): fraction must be between 0 and 1");
    else if (en->unit_from > LEVY_TAX_MAX_MINOR || en->unit_to > LEVY_TAX_MAX_MINOR)
        snprintf(msg, cap, "calculate(ctx): taxes[%d]: unit_from/unit_to above %lld minor units", k,
                 LEVY_TAX_MAX_MINOR);
    else if (en->rate > LEVY_TAX_MAX_RATE)
        snprintf(msg, cap, "calculate(ctx): taxes[%d].percentage above 1000", k);
    else
        return 0;
    return -1;
}

void levy_tax_line_remove(levy_tax_line *l, int i)
{
    memmove(&l->e[i], &l->e[i + 1], sizeof l->e[0] * (size_t)(l->n - i - 1));
    l->n--;
}

/* 1 when two entries name the same jurisdiction as the answer shows it (name + suffix: a
 * rule's calculate reads it back whole); the very same parts (two unnamed entries too) are. */
static int same_name(const levy_tax_entry *a, const levy_tax_entry *b)
{
    if (a->name == b->name && a->suffix == b->suffix)
        return 1;
    return levy_tax_entry_same_name(a, b);
}

/* The entry of line l in group g that taxes the same jurisdiction as en at a non-zero rate,
 * or NULL. */
static const levy_tax_entry *same_jurisdiction(const levy_tax_line *l, int g,
                                               const levy_tax_entry *en)
{
    for (int k = 0; k < l->n; k++) {
        const levy_tax_entry *o = &l->e[k];
        if (o->group == g && o->level == en->level && o->rate > 0 && same_name(o, en))
            return o;
    }
    return NULL;
}

/* Delivery that follows the goods (docs/rules.md section 2, "Shipping"): line li's entries of
 * group g are taxed on the share of the document's goods lines (every line whose treatment
 * does not itself follow the goods) that the same jurisdiction taxes, by price: fraction =
 * sum(taxable base of the goods line for that jurisdiction) / sum(|amount - discount|), rounded
 * half up to 10^-8 (SSUTA section 317, allocation by sales price). A goods line's taxable base
 * for a jurisdiction is |amount - discount| x its fraction, within its unit window
 * (unit_from/unit_to: quantity x (min(unit, to) - from)+, as the engine computes it), 0 when
 * the jurisdiction does not tax it at a non-zero rate. any = 1: taxed in full when any goods
 * line is taxed there ("follows_goods_any", NY Tax Bulletin ST-838). A jurisdiction with no
 * taxed share is removed. A document without goods (or only zero-priced goods) leaves the
 * delivery taxable: levy cannot see what was shipped. Returns the line's reason. */
static int follow_goods(const levy_tax_request *req, int li, int g, int any)
{
    levy_tax_line *l = &req->lines[li];
    int kept = 0, partial = 0, removed = 0;
    for (int i = l->n - 1; i >= 0; i--) {
        levy_tax_entry *en = &l->e[i];
        if (en->group != g)
            continue;
        /* amounts in 10^-6 minor units: |gross| x 10^6 <= 10^18, unit caps x quantity <= 10^12
         * x 10^15; times a fraction <= 10^8 and summed over <= 1000 lines: < 10^30 */
        __int128 w = 0, taxed = 0;
        for (int j = 0; j < req->nlines; j++) {
            if (j == li || req->meta[j].follows)
                continue;
            const levy_tax_line *gl = &req->lines[j];
            int64_t gross = gl->amount - gl->discount;
            if (gross < 0)
                gross = -gross;
            __int128 g6 = (__int128)gross * LEVY_TAX_QTY_ONE;
            w += g6;
            const levy_tax_entry *o = same_jurisdiction(gl, g, en);
            if (!o)
                continue;
            __int128 hi = g6, lo = 0;
            if (o->unit_to >= 0 && (__int128)o->unit_to * gl->qty < hi)
                hi = (__int128)o->unit_to * gl->qty;
            if (o->unit_from > 0)
                lo = (__int128)o->unit_from * gl->qty;
            if (hi > lo)
                taxed += (hi - lo) * o->fraction;
        }
        if (w == 0) {
            kept++;
            continue;
        }
        int64_t f;
        if (any)
            f = taxed > 0 ? LEVY_TAX_RATE_ONE : 0;
        else
            f = (int64_t)((2 * taxed + w) / (2 * w)); /* taxed / w in 10^-8, half up */
        if (f == 0) {
            levy_tax_line_remove(l, i);
            removed++;
            continue;
        }
        en->fraction = f;
        if (f < LEVY_TAX_RATE_ONE)
            partial++;
        else
            kept++;
    }
    if (!kept && !partial && removed)
        return LEVY_REASON_PRODUCT_EXEMPT;
    return partial || removed ? LEVY_REASON_PARTIAL : LEVY_REASON_STANDARD;
}

/* The follows_goods kind (LEVY_TREAT_FOLLOWS / _ANY) of line i's treatment in group g at the
 * document date, or 0. */
static int follow_kind(const levy_tax_request *req, const levy_tax_decision *d, int i, int g)
{
    const levy_tax_rule *r = d->rule[g];
    if (!r || !d->on[g])
        return 0;
    int t = levy_tax_rule_at(r, treatment_of(r, req->meta[i].tax_code, req->meta[i].code_ix),
                             req->date);
    /* a row by the seller's delivery (pickup_offered / ship_only) may follow the goods in
     * either branch (IL, FL: a mandatory delivery is part of the goods' price) */
    for (int n = 0; t >= 0 && r->treat[t].kind == LEVY_TREAT_BY_PICKUP && n < LEVY_TAX_MAX_DEPTH;
         n++)
        t = levy_tax_rule_at(r, req->pickup_offered ? r->treat[t].pickup : r->treat[t].ship_only,
                             req->date);
    if (t < 0)
        return 0;
    int k = r->treat[t].kind;
    return k == LEVY_TREAT_FOLLOWS || k == LEVY_TREAT_FOLLOWS_ANY ? k : 0;
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
    t = levy_tax_rule_at(r, t, req->date); /* a dated row list: the row at the date */
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
        /* the rates of where the line is taxed (the seller's: place_of_supply) */
        if (levy_rates_vat_key(req->meta[li].pos ? &d->pos_res : &d->res,
                               tr->text ? tr->text : "reduced", &rate) == 0) {
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
    case LEVY_TREAT_FOLLOWS:
    case LEVY_TREAT_FOLLOWS_ANY:
        if (depth > 0)
            return rule_error(p, err,
                              "rule taxability: follows_goods cannot be a threshold's branch");
        reason = follow_goods(req, li, g, kind == LEVY_TREAT_FOLLOWS_ANY);
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
    case LEVY_TREAT_BY_CUSTOMER: {
        /* the treatment for the customer's type (an absent branch is taxable) */
        int next = d->customer_type == LEVY_CUSTOMER_INDIVIDUAL ? tr->individual : tr->business;
        return apply_treatment(req, d, r, next, "", li, g, depth + 1, p, err);
    }
    case LEVY_TREAT_BY_PICKUP: {
        /* the treatment for the seller's delivery (setting pickup_offered): a charge the buyer
         * can avoid by collecting the goods, or a mandatory one (an absent branch is taxable) */
        int next = req->pickup_offered ? tr->pickup : tr->ship_only;
        /* at the same depth: a branch may follow the goods (not a threshold's branch) */
        return apply_treatment(req, d, r, next, "", li, g, depth, p, err);
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
    /* the seller's resolution, its precision (issue 19) included: its rates apply */
    if (levy_rates_resolve_street(req->rates, &sa, s->line1, req->date, &ores, &oerr) == LEVY_OK &&
        strcmp(ores.region, d->res.region) == 0)
        d->res = ores; /* an unknown seller ZIP keeps destination rates */
}

/* 1 when one of regions is a region group of the sale. */
static int covers(const levy_tax_decision *d, int n, const char *const *regions)
{
    for (int k = 0; k < n; k++)
        for (int g = 0; regions[k] && g < d->res.ngroups; g++)
            if (strcmp(regions[k], d->res.group_region[g]) == 0)
                return 1;
    return 0;
}

static void fmt_date(char *out, size_t cap, int32_t v)
{
    snprintf(out, cap, "%04d-%02d-%02d", (int)(v / 10000), (int)(v / 100 % 100), (int)(v % 100));
}

/* Issue 20: the customer's certificates decide. The first one covering a region of the sale
 * and the date exempts it (d->certificate_id); else one covering the region but not the date
 * (expired, or not yet issued) taxes the sale with the note exemption_certificate_expired. */
static void certificates(const levy_tax_request *req, levy_tax_decision *d)
{
    const levy_tax_customer_rec *c = &req->stored;
    const levy_tax_certificate *lapsed = NULL;
    for (int k = 0; k < c->ncerts; k++) {
        const levy_tax_certificate *ct = &c->certs[k];
        if (!covers(d, ct->nregions, ct->regions))
            continue;
        if (req->date >= ct->issued && (!ct->expires || req->date <= ct->expires)) {
            d->customer_exempt = 1;
            d->certificate_id = ct->id;
            return;
        }
        if (!lapsed || (ct->expires && lapsed->expires && ct->expires > lapsed->expires))
            lapsed = ct;
    }
    if (!lapsed)
        return;
    char msg[LEVY_TAX_NOTE_MAX], a[16], b[16];
    fmt_date(a, sizeof a, lapsed->issued);
    fmt_date(b, sizeof b, lapsed->expires);
    const char *num = lapsed->number && lapsed->number[0] ? lapsed->number : lapsed->id;
    if (req->date < lapsed->issued)
        snprintf(msg, sizeof msg,
                 "Exemption certificate %s is not valid before %s; the sale was taxed", num, a);
    else
        snprintf(msg, sizeof msg, "Exemption certificate %s expired on %s; the sale was taxed", num,
                 b);
    levy_tax_decision_add_note(d, LEVY_TAX_NOTE_CERT_EXPIRED, msg);
}

/* The customer's exemption and tax id after the record stored in levy. */
static void customer(const levy_tax_request *req, levy_tax_decision *d)
{
    d->customer_exempt = req->customer_exempt;
    d->tax_id = tax_id_present(req->tax_id) ? req->tax_id : NULL;
    const levy_tax_customer_rec *c = &req->stored;
    if (d->customer_exempt || !req->customer_id || !c->found)
        return;
    if (c->ncerts > 0) {
        certificates(req, d);
        if (!d->tax_id && tax_id_present(c->tax_id))
            d->tax_id = c->tax_id;
        return;
    }
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
    if (!d->tax_id && tax_id_present(c->tax_id))
        d->tax_id = c->tax_id;
}

/* The customer's type: the request's customer.type, else the stored record's, else the org
 * default, else business (what levy's rules assumed before customer types). */
static void customer_type(const levy_tax_request *req, levy_tax_decision *d)
{
    int t = req->customer_type;
    if (t != LEVY_CUSTOMER_BUSINESS && t != LEVY_CUSTOMER_INDIVIDUAL && req->customer_id &&
        req->stored.found)
        t = req->stored.type;
    if (t != LEVY_CUSTOMER_BUSINESS && t != LEVY_CUSTOMER_INDIVIDUAL)
        t = req->org_customer_type;
    d->customer_type =
        t == LEVY_CUSTOMER_INDIVIDUAL ? LEVY_CUSTOMER_INDIVIDUAL : LEVY_CUSTOMER_BUSINESS;
}

/* After a rule's calculate(ctx) (which returns each tax by name): every group-g entry gets
 * the authority code and note of the resolution's jurisdiction of the same name and level
 * (whatever the rule handed back for it); one the rule added itself keeps the authority_code
 * and jurisdiction_note the rule gave it (issue 19, law26: Texas's single local use tax rate,
 * "48"), or is said to be the rule's, with no code (issue 19, names that file correctly). */
#define NOTE_RULE_ADDED "jurisdiction added by the region's rule script: no authority code"
static void restore_codes(const levy_tax_decision *d, levy_tax_request *req, int g)
{
    for (int i = 0; i < req->nlines; i++) {
        levy_tax_line *l = &req->lines[i];
        for (int k = 0; k < l->n; k++) {
            levy_tax_entry *e = &l->e[k];
            if (e->group != g)
                continue;
            const levy_tax_resolution *lr = req->meta[i].pos ? &d->pos_res : &d->res;
            int found = 0;
            for (int r = 0; r < lr->n && !found; r++) {
                const levy_tax_entry *re = &lr->e[r];
                if (re->group == g && re->level == e->level && same_name(re, e)) {
                    e->code = re->code;
                    e->note = re->note;
                    found = 1;
                }
            }
            if (!found && !e->code && !e->note)
                e->note = NOTE_RULE_ADDED;
        }
    }
}

/* Before a delivery line follows the goods again (after calculate): its group-g entries are
 * the resolution's again (every jurisdiction at its rate, in the resolution's order; a
 * reverse-charged line keeps them at zero), the other groups' entries as they are. */
static void refollow_entries(const levy_tax_decision *d, const levy_tax_resolution *lr,
                             levy_tax_line *l, int g)
{
    levy_tax_entry e[LEVY_TAX_MAX_ENTRIES];
    int n = 0, zero = l->reason == LEVY_REASON_REVERSE_CHARGE;
    for (int r = 0; r < lr->n && n < LEVY_TAX_MAX_ENTRIES; r++) {
        const levy_tax_entry *re = &lr->e[r];
        if (!d->on[re->group])
            continue;
        if (re->group == g) {
            e[n] = *re;
            e[n++].zero = (uint8_t)zero;
            continue;
        }
        for (int k = 0; k < l->n; k++)
            if (l->e[k].group == re->group && l->e[k].level == re->level &&
                same_name(&l->e[k], re)) {
                e[n++] = l->e[k];
                break;
            }
    }
    memcpy(l->e, e, sizeof e[0] * (size_t)n);
    l->n = n;
}

/* A seller's election (issue 19, law24: Texas's single local use tax rate, Alabama's SSUT)
 * replaces jurisdictions by one the rule's calculate adds, which the resolution does not hold:
 * when the group's rule runs for the election, a delivery that follows the goods follows those
 * too. Each group-g entry of a goods line at a non-zero rate that line l does not name is
 * appended to l (full fraction, no unit window), once; follow_goods then decides its share. */
static void carry_added(const levy_tax_request *req, int li, int g, levy_tax_line *l)
{
    for (int j = 0; j < req->nlines; j++) {
        if (j == li || req->meta[j].follows)
            continue;
        const levy_tax_line *gl = &req->lines[j];
        for (int k = 0; k < gl->n && l->n < LEVY_TAX_MAX_ENTRIES; k++) {
            const levy_tax_entry *o = &gl->e[k];
            if (o->group != g || o->rate <= 0 || same_jurisdiction(l, g, o))
                continue;
            levy_tax_entry *en = &l->e[l->n++];
            *en = *o;
            en->fraction = LEVY_TAX_RATE_ONE;
            en->unit_from = en->unit_to = -1;
            en->zero = (uint8_t)(l->reason == LEVY_REASON_REVERSE_CHARGE);
        }
    }
}

int levy_tax_decision_add_note(levy_tax_decision *d, const char *code, const char *message)
{
    size_t cl = strlen(code);
    if (cl == 0 || cl >= LEVY_TAX_NOTE_CODE_MAX)
        return -1;
    for (size_t i = 0; i < cl; i++)
        if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
              code[i] == '_'))
            return -1;
    size_t ml = strlen(message);
    if (ml >= LEVY_TAX_NOTE_MAX) { /* cut on a UTF-8 boundary */
        ml = LEVY_TAX_NOTE_MAX - 1;
        while (ml > 0 && ((unsigned char)message[ml] & 0xC0) == 0x80)
            ml--;
    }
    for (int k = 0; k < d->nrule_notes; k++)
        if (strcmp(d->rule_note[k].code, code) == 0 &&
            strncmp(d->rule_note[k].message, message, ml) == 0 &&
            d->rule_note[k].message[ml] == '\0')
            return 0;
    if (d->nrule_notes >= LEVY_TAX_RULE_NOTES)
        return -1;
    memcpy(d->rule_note[d->nrule_notes].code, code, cl + 1);
    memcpy(d->rule_note[d->nrule_notes].message, message, ml);
    d->rule_note[d->nrule_notes].message[ml] = '\0';
    d->nrule_notes++;
    return 0;
}

/* 1 when row lists code or its parent (and does not except the code). */
static int pos_lists(const levy_tax_pos_row *row, const char *code)
{
    const char *parent = levy_tax_code_parent(code);
    /* the first byte before strcmp (issue 21: every line of an EU answer asks) */
    for (int i = 0; i < row->nexcept; i++)
        if (row->except[i][0] == code[0] && strcmp(row->except[i], code) == 0)
            return 0;
    for (int i = 0; i < row->ncodes; i++)
        if ((row->codes[i][0] == code[0] && strcmp(row->codes[i], code) == 0) ||
            (parent && row->codes[i][0] == parent[0] && strcmp(row->codes[i], parent) == 0))
            return 1;
    return 0;
}

/* The first live row of the rule's place_of_supply listing code (ci: its levy_tax_codes
 * index, -1 none), -1 none. */
static int pos_row_for(const levy_tax_decision *d, const char *code, int ci)
{
    const levy_tax_rule *r = d->rule[0];
    int ix = r && r->indexed && ci >= 0;
    /* the live rows only, lowest first */
    for (unsigned live = d->pos_live; live; live &= live - 1) {
        int k = __builtin_ctz(live);
        if (ix ? (int)(r->pos_codes[k] >> ci & 1) : pos_lists(&r->pos[k], code))
            return k;
    }
    return -1;
}

/* Place of supply (issue 19; docs/rules.md section 2, "Place of supply"): the rows of the
 * primary region's place_of_supply in force at the date (and, for a `when = "below_threshold"`
 * row, for a seller below the EU threshold) when the seller is not of the ship-to's country
 * (EL = GR): d->pos_here the rows whose seller_regions hold the seller's own address (its
 * resolution in d->pos_res), d->pos_out the `elsewhere = "out_of_scope"` rows of a seller
 * outside them (or unknown: established abroad, as for reverse charge). d->pos_row the first
 * of pos_here, -1 none. */
static void place_of_supply(const levy_tax_request *req, levy_tax_decision *d)
{
    d->pos_row = -1;
    d->pos_live = d->pos_here = d->pos_out = 0;
    const levy_tax_rule *r = d->rule[0];
    const levy_tax_addr *s = &req->seller;
    int known = s->present && s->country[0];
    if (!r || !r->npos || !d->on[0] || d->res.ngroups != 1 ||
        (known && strcmp(iso_country(s->country), iso_country(req->ship_to.country)) == 0))
        return;
    for (int k = 0; k < r->npos; k++)
        if ((!r->pos[k].from || req->date >= r->pos[k].from) &&
            (!r->pos[k].to || req->date <= r->pos[k].to) &&
            (!r->pos[k].below_threshold || req->below_threshold))
            d->pos_live |= 1u << k;
    /* no line of a code a live row lists: nothing to place (and no resolution of the
     * seller's address, the common case: a foreign seller's SaaS after 2015) */
    int listed = 0;
    for (int i = 0; d->pos_live && i < req->nlines && !listed; i++)
        listed = pos_row_for(d, req->meta[i].tax_code, req->meta[i].code_ix) >= 0;
    if (!listed) {
        d->pos_live = 0;
        return;
    }
    int resolved = 0;
    if (known) {
        levy_tax_address sa = {s->country, s->state[0] ? s->state : NULL, s->city, s->zip};
        levy_err e;
        levy_err_clear(&e);
        resolved = levy_rates_resolve_street(req->rates, &sa, s->line1, req->date, &d->pos_res,
                                             &e) == LEVY_OK &&
                   d->pos_res.ngroups == 1 && d->pos_res.n > 0;
    }
    if (!resolved)
        memset(&d->pos_res, 0, sizeof d->pos_res);
    for (int k = 0; k < r->npos; k++) {
        if (!(d->pos_live & (1u << k)))
            continue;
        int here = 0;
        for (int i = 0; resolved && i < r->pos[k].nregions; i++)
            here |= strcmp(r->pos[k].regions[i], d->pos_res.region) == 0;
        if (here) {
            d->pos_here |= 1u << k;
            if (d->pos_row < 0)
                d->pos_row = k;
        } else if (r->pos[k].elsewhere_oos) {
            d->pos_out |= 1u << k;
        }
    }
}

/* The notes saying which row placed the supply of which lines where (or outside the
 * region's VAT). */
static void pos_note(const levy_tax_request *req, levy_tax_decision *d)
{
    for (int k = 0; k < d->rule[0]->npos; k++) {
        char lines[120] = "", msg[LEVY_TAX_NOTE_MAX];
        size_t w = 0;
        int n = 0, out = 0;
        for (int i = 0; i < req->nlines && w + 32 < sizeof lines; i++)
            if (req->meta[i].pos_by == k) {
                w += (size_t)snprintf(lines + w, sizeof lines - w, "%s%.24s", n++ ? ", " : "",
                                      req->meta[i].id);
                out |= !req->meta[i].pos;
            }
        if (!n)
            continue;
        const levy_tax_pos_row *row = &d->rule[0]->pos[k];
        if (out)
            snprintf(msg, sizeof msg,
                     "%s: line%s %s supplied where the seller is established (%s), outside %s: "
                     "not subject to its tax (out of scope), the place of supply of the "
                     "region's rule (place_of_supply) for this date; %s",
                     d->res.region, n > 1 ? "s" : "", lines,
                     req->seller.present && req->seller.country[0]
                         ? req->seller.country
                         : "unknown: no ship_from or settings address, counted as abroad",
                     d->res.region, row->cite);
        else
            snprintf(msg, sizeof msg,
                     "%s: line%s %s taxed where the seller is established (%s), not in %s: the "
                     "place of supply of the region's rule (place_of_supply) for this date; %s",
                     d->res.region, n > 1 ? "s" : "", lines,
                     d->pos_res.country[0] ? d->pos_res.country : req->seller.country,
                     req->ship_to.country, row->cite);
        levy_tax_decision_add_note(d, LEVY_TAX_NOTE_PLACE_OF_SUPPLY, msg);
    }
}

/* The decision's fields between two members, cleared. */
#define CLEAR_SPAN(d, from, to)                                                                    \
    memset((char *)(d) + offsetof(levy_tax_decision, from), 0,                                     \
           offsetof(levy_tax_decision, to) - offsetof(levy_tax_decision, from))
_Static_assert(offsetof(levy_tax_decision, res) < offsetof(levy_tax_decision, pos_row) &&
                   offsetof(levy_tax_decision, pos_row) < offsetof(levy_tax_decision, pos_res) &&
                   offsetof(levy_tax_decision, pos_res) < offsetof(levy_tax_decision, rule) &&
                   offsetof(levy_tax_decision, rule) < offsetof(levy_tax_decision, rule_note) &&
                   sizeof(levy_tax_decision) - offsetof(levy_tax_decision, rule_note) -
                           sizeof(((levy_tax_decision *)0)->rule_note) <
                       _Alignof(levy_tax_decision), /* rule_note last: padding after it */
               "levy_tax_decide clears the decision around res, pos_res and rule_note");

/* The note on lines sold through a marketplace facilitator (doubts26): collected by the
 * facilitator under the state's law (off), or charged because the state's rule cites no such law
 * in force on the date. */
static void marketplace_note(const levy_tax_request *req, levy_tax_decision *d, int off)
{
    const levy_tax_rule *r0 = d->rule[0];
    const char *region = d->res.group_region[0];
    char msg[LEVY_TAX_NOTE_MAX];
    if (off) {
        char from[11];
        levy_tax_date_fmt(from, r0->marketplace_from);
        snprintf(msg, sizeof msg,
                 "%s: sold through a marketplace facilitator, which collects and remits the tax "
                 "on these lines, not the seller (from %s: %.250s)",
                 region, from, r0->marketplace_law);
        levy_tax_decision_add_note(d, LEVY_TAX_NOTE_MARKETPLACE, msg);
    } else {
        char asked[11];
        levy_tax_date_fmt(asked, req->date);
        snprintf(msg, sizeof msg,
                 "%s: sold through a marketplace facilitator, but levy's rule cites no marketplace "
                 "facilitator law of the state in force on %s; the tax is charged as on the "
                 "seller's own sale (check whether the marketplace collects it)",
                 region, asked);
        levy_tax_decision_add_note(d, LEVY_TAX_NOTE_MARKETPLACE_NOT_MODELLED, msg);
    }
}

int levy_tax_decide(levy_tax_request *req, levy_tax_decision *d, levy_tax_problem *p, levy_err *err)
{
    /* All but its three large parts (issue 21: the whole decision is 9.8 KB, a memset of it
     * was ~4 % of a request's instructions under callgrind): res is cleared by
     * levy_rates_resolve_street first thing, pos_res by place_of_supply before a line can be
     * placed (the only case that reads it), and rule_note[k] is read only below nrule_notes. */
    CLEAR_SPAN(d, pos_row, pos_res);
    CLEAR_SPAN(d, rule, rule_note);
    d->pos_row = -1;
    for (int i = 0; i < req->nlines; i++) {
        req->meta[i].pos = 0, req->meta[i].pos_by = -1;
        req->meta[i].code_ix = levy_tax_code_index(req->meta[i].tax_code);
    }
    levy_tax_problem_clear(p);
    levy_err_clear(err);
    /* resolve */
    levy_err rerr;
    levy_err_clear(&rerr);
    levy_tax_address a = {req->ship_to.country, req->ship_to.state[0] ? req->ship_to.state : NULL,
                          req->ship_to.city, req->ship_to.zip};
    if (levy_rates_resolve_street(req->rates, &a, req->ship_to.line1, req->date, &d->res, &rerr) !=
        LEVY_OK) {
        levy_tax_problem_set(p, LEVY_TAX_ERR_ADDRESS, rerr.code[0] ? rerr.code : NULL,
                             rerr.message);
        levy_tax_problem_add(p, -1,
                             strstr(rerr.message, "state") ? "ship_to.state" : "ship_to.zip_code",
                             rerr.message);
        return levy_err_set(err, LEVY_EINVAL, p->code, "%s", p->message);
    }
    /* a date outside levy's rate history of a jurisdiction (issue 19; overlay op=unknown): the
     * answer carries the rate levy knows from the next day it knows one and says that it does
     * not know that day's */
    if (d->res.history_from) {
        char from[11], asked[11], pct[32], msg[LEVY_TAX_NOTE_MAX];
        levy_tax_date_fmt(from, d->res.history_from);
        levy_tax_date_fmt(asked, req->date);
        levy_tax_fmt_percent(pct, d->res.history_rate);
        snprintf(msg, sizeof msg,
                 "levy does not know the rate of %s (%s) in force on %s: its dated rates of it "
                 "resume on %s; this answer uses the rate levy knows from that day, %s %%, which "
                 "may not be the rate of the day asked for (data/us/overlays.csv)",
                 d->res.history_name ? d->res.history_name : "?",
                 levy_tax_level_name(d->res.history_level), asked, from, pct);
        levy_tax_decision_add_note(d, LEVY_TAX_NOTE_RATE_HISTORY_UNKNOWN, msg);
    }
    /* a date before levy's first national rate of the country (doubts26): no rate, so no tax,
     * and the answer says so rather than answering a silent zero */
    if (d->res.unknown_before) {
        char from[11], asked[11], msg[LEVY_TAX_NOTE_MAX];
        levy_tax_date_fmt(from, d->res.unknown_before);
        levy_tax_date_fmt(asked, req->date);
        snprintf(msg, sizeof msg,
                 "levy does not know the rate of %s in force on %s: its dated rates of it begin "
                 "on %s (data/intl/national.csv); no tax is charged, check the rate of that day",
                 d->res.unknown_before_name ? d->res.unknown_before_name : "?", asked, from);
        levy_tax_decision_add_note(d, LEVY_TAX_NOTE_RATE_HISTORY_UNKNOWN, msg);
    }
    /* territory (issue 19; core/tax/territory.c, resolved by levy_rates_resolve before the
     * rates): a ship-to or seller in a territory taxed as another country (Monaco, Isle of Man,
     * Büsingen) counts as that country for the rules and the reverse-charge comparison. */
    if (d->res.territory && d->res.territory->tax_country)
        memcpy(req->ship_to.country, d->res.territory->tax_country, 3);
    const levy_territory *seller_terr =
        req->seller.present ? levy_territory_find(req->seller.country, req->seller.zip) : NULL;
    if (seller_terr && seller_terr->tax_country)
        memcpy(req->seller.country, seller_terr->tax_country, 3);
    /* regions, rules, subscription */
    for (int g = 0; g < d->res.ngroups; g++) {
        d->on[g] = req->region_on ? req->region_on(req->ud, d->res.group_region[g], req->date) : 0;
        d->rule[g] = req->rule_for ? req->rule_for(req->ud, d->res.group_region[g]) : NULL;
    }
    source(req, d);
    /* tax codes: built-in, or named by the region's rule */
    for (int i = 0; i < req->nlines; i++) {
        const char *tc = req->meta[i].tax_code;
        if (req->meta[i].code_ix >= 0 || levy_tax_rule_knows(d->rule[0], tc) ||
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
    customer_type(req, d);
    int any_on = 0, any_tax_on = 0, rc_on[2] = {0, 0};
    int market_off = 0, market_on = 0; /* marketplace lines the facilitator collects / charged */
    d->reverse = 0;
    for (int g = 0; g < d->res.ngroups; g++) {
        any_on |= d->on[g];
        for (int e = 0; e < d->res.n; e++)
            any_tax_on |= d->on[g] && d->res.e[e].group == g;
        if (d->on[g] && d->rule[g] && d->rule[g]->reverse_charge != LEVY_RC_NONE)
            rc_on[g] = reverse_charge_applies(req, d, d->rule[g]->reverse_charge);
        d->reverse |= rc_on[g];
    }
    /* the place of supply the rule declares for a seller elsewhere in its seller_regions
     * (not for a reverse-charged sale: the business customer accounts for its own VAT) */
    if (!rc_on[0] && !d->customer_exempt)
        place_of_supply(req, d);
    int calc_groups = 0;
    /* lines whose treatment follows the goods are decided after all the others */
    for (int i = 0; i < req->nlines; i++) {
        req->meta[i].follows = 0;
        for (int g = 0; g < d->res.ngroups; g++)
            if (follow_kind(req, d, i, g))
                req->meta[i].follows = 1;
    }
    for (int k = 0; k < 2 * req->nlines; k++) {
        int i = k % req->nlines;
        if (req->meta[i].follows != (k >= req->nlines))
            continue;
        levy_tax_line *l = &req->lines[i];
        l->n = 0;
        int pk = pos_row_for(d, req->meta[i].tax_code, req->meta[i].code_ix);
        req->meta[i].pos_by = pk >= 0 && (d->pos_here | d->pos_out) & (1u << pk) ? pk : -1;
        req->meta[i].pos = req->meta[i].pos_by >= 0 && (d->pos_here & (1u << pk));
        if (req->meta[i].pos_by >= 0 && !req->meta[i].pos) {
            /* supplied where a seller outside the region is established: no tax of it */
            l->reason = LEVY_REASON_OUT_OF_SCOPE;
            continue;
        }
        const levy_tax_resolution *lr = req->meta[i].pos ? &d->pos_res : &d->res;
        for (int e = 0; e < lr->n; e++)
            if (d->on[lr->e[e].group])
                l->e[l->n++] = lr->e[e];
        if (d->res.territory && d->res.territory->kind == LEVY_TERRITORY_OUT_OF_SCOPE) {
            l->reason =
                LEVY_REASON_OUT_OF_SCOPE; /* no VAT of the EU/UK: result.territory says why */
            continue;
        }
        if (!any_on) {
            l->reason = LEVY_REASON_NOT_COLLECTING;
            continue;
        }
        if (!any_tax_on) {
            l->reason = LEVY_REASON_NO_TAX;
            continue;
        }
        /* sold through a marketplace facilitator (doubts26): in a US state whose rule cites its
         * facilitator law in force on the date, the facilitator collects, not the seller */
        if ((req->marketplace || req->meta[i].marketplace) && strcmp(d->res.country, "US") == 0) {
            const levy_tax_rule *r0 = d->rule[0];
            if (r0 && r0->marketplace_from && req->date >= r0->marketplace_from) {
                l->n = 0; /* no entries: the seller charges nothing on it */
                l->reason = LEVY_REASON_NOT_COLLECTING;
                market_off = 1;
                continue;
            }
            market_on = 1;
        }
        if (d->customer_exempt) {
            for (int e = 0; e < l->n; e++)
                l->e[e].zero = 1;
            l->reason = LEVY_REASON_CUSTOMER_EXEMPT;
            continue;
        }
        const char *tc = req->meta[i].tax_code;
        int ci = req->meta[i].code_ix;
        for (int g = 0; g < d->res.ngroups; g++) {
            if (!d->on[g])
                continue;
            const levy_tax_rule *r = d->rule[g];
            int t = r ? treatment_of(r, tc, ci) : -1;
            /* a code of the taxonomy the rule has no row for: its parent's row decides
             * (levy_tax_rule_treatment), and the answer says so */
            const char *use = tc;
            if (r && ci >= 0 && levy_tax_codes[ci].parent && !rule_knows(r, tc, ci)) {
                use = levy_tax_codes[ci].parent;
                d->fallback[g] |= (uint64_t)1 << ci;
            }
            if (apply_treatment(req, d, r, t, use, i, g, 0, p, err) != LEVY_OK)
                return err->rc;
        }
        /* reverse charge where the rule declares it: the lines keep their would-be rate
         * with a zero amount; exempt or zero-rated lines stay as they are */
        if (d->reverse && l->reason != LEVY_REASON_PRODUCT_EXEMPT &&
            l->reason != LEVY_REASON_ZERO) {
            for (int g = 0; g < d->res.ngroups; g++) {
                if (!rc_on[g])
                    continue;
                for (int e = 0; e < l->n; e++)
                    if (l->e[e].group == g)
                        l->e[e].zero = 1;
                l->reason = LEVY_REASON_REVERSE_CHARGE;
            }
        }
        calc_groups = 1;
    }
    if (market_off | market_on)
        marketplace_note(req, d, market_off);
    if (d->pos_here | d->pos_out)
        pos_note(req, d);
    /* the note tax_id_invalid only where the id decided something: lines were taxed and the
     * customer is not exempt */
    if (!calc_groups || d->customer_exempt)
        d->tax_id_note[0] = '\0';
    /* rule.calculate(ctx), per subscribed group whose rule defines it */
    for (int i = 0; i < req->nlines; i++)
        req->meta[i].oos = 0;
    if (calc_groups && !d->customer_exempt && req->calculate) {
        int was[LEVY_TAX_MAX_LINES];
        for (int g = 0; g < d->res.ngroups; g++) {
            /* skipped (and ctx not built) when the rule's calculate_for lists no line's code */
            if (!d->on[g] ||
                !calc_wanted(d->rule[g], req->meta, req->nlines, req->date, 1, req->elections))
                continue;
            for (int i = 0; i < req->nlines; i++)
                was[i] = req->lines[i].reason;
            levy_err cerr;
            levy_err_clear(&cerr);
            if (req->calculate(req->ud, req, d, g, &cerr) != LEVY_OK)
                return rule_error(p, err, cerr.message);
            /* out of scope for this group's tax only (a regime of that tax not yet in force):
             * the other group's taxes of the line, and the next rule's view of it, stay as
             * they were; the line is out of scope when no other group still taxes it (below) */
            for (int i = 0; i < req->nlines; i++)
                if (req->lines[i].reason == LEVY_REASON_OUT_OF_SCOPE &&
                    was[i] != LEVY_REASON_OUT_OF_SCOPE) {
                    req->meta[i].oos |= 1u << g;
                    req->lines[i].reason = was[i];
                }
            restore_codes(d, req, g);
            /* the delivery follows the goods as calculate left them (a clothing exemption
             * of the first $250, a unit cap): its entries' shares are decided again */
            for (int i = 0; i < req->nlines; i++) {
                int k = req->meta[i].follows ? follow_kind(req, d, i, g) : 0;
                if (!k)
                    continue;
                levy_tax_line *l = &req->lines[i];
                refollow_entries(d, req->meta[i].pos ? &d->pos_res : &d->res, l, g);
                if (d->rule[g]->calc_elections & req->elections)
                    carry_added(req, i, g, l);
                int reason = follow_goods(req, i, g, k == LEVY_TREAT_FOLLOWS_ANY);
                if (l->reason != LEVY_REASON_REVERSE_CHARGE && g == 0) /* as apply_treatment */
                    l->reason = reason;
            }
        }
    }
    /* a line some group's rule put out of scope: out of scope unless another group still has
     * taxes on it (e.g. Quebec's QST charged by a foreign seller from 2019 while the GST of
     * its simplified regime starts 2021-07-01) */
    for (int i = 0; i < req->nlines; i++) {
        if (!req->meta[i].oos)
            continue;
        levy_tax_line *l = &req->lines[i];
        int other = 0;
        for (int e = 0; e < l->n; e++)
            other |= !(req->meta[i].oos & (1u << l->e[e].group));
        if (!other)
            l->reason = LEVY_REASON_OUT_OF_SCOPE;
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

/* ------------------------------------------------------------------ the result as JSON */

int levy_tax_line_listed(const levy_tax_line *l)
{
    return l->reason != LEVY_REASON_NOT_COLLECTING && l->reason != LEVY_REASON_NO_TAX;
}

int64_t levy_tax_entry_shown_taxable(const levy_tax_line *l, const levy_tax_entry *en)
{
    return en->zero && l->reason == LEVY_REASON_CUSTOMER_EXEMPT ? 0 : en->taxable;
}

/* The writer's steps, through the reader o (calc.h: levy_tax_out). Keys are string literals:
 * their length goes with them (keyn), decimals go as integers and a scale (dec). */
static int js_str(levy_tax_out *b, const char *s, size_t len) { return b->str(b, s, len); }

static inline void out_keyn(levy_tax_out *o, const char *k, size_t n, int first)
{
    if (o->keyn)
        o->keyn(o, k, n, first);
    else
        o->key(o, k, first);
}

void levy_tax_out_keyn(levy_tax_out *o, const char *k, size_t n, int first)
{
    out_keyn(o, k, n, first);
}

/* v / 10^scale with its trailing fractional zeros dropped down to min_scale digits. */
static inline void dec_trim(int64_t *v, int *scale, int min_scale)
{
    while (*scale - min_scale >= 4 && *v % 10000 == 0) /* a rate's usual 4 zeros: one step */
        *v /= 10000, *scale -= 4;
    while (*scale > min_scale && *v % 10 == 0)
        *v /= 10, --*scale;
}

static inline void out_dec(levy_tax_out *o, int64_t v, int scale, int min_scale)
{
    if (o->dec) {
        o->dec(o, v, scale, min_scale);
        return;
    }
    char t[48];
    dec_trim(&v, &scale, min_scale);
    o->str(o, t, levy_tax_fmt_scaled(t, v, scale));
}

void levy_tax_out_dec(levy_tax_out *o, int64_t v, int scale, int min_scale)
{
    out_dec(o, v, scale, min_scale);
}

#define JS_KEY(b, lit, first) out_keyn((b), "" lit, sizeof(lit) - 1, (first))
#define JS_CSTR(b, lit, v, first)                                                                  \
    do {                                                                                           \
        JS_KEY(b, lit, first);                                                                     \
        (b)->str((b), (v), LEVY_TAX_CSTR);                                                         \
    } while (0)
#define JS_DEC(b, lit, v, scale, first)                                                            \
    do {                                                                                           \
        JS_KEY(b, lit, first);                                                                     \
        out_dec((b), (v), (scale), (scale));                                                       \
    } while (0)

/* Address precision (issue 19): "ambiguous_zip" {candidates, zip} when the ZIP5 spans
 * several rates -- the answer's first key (keys in byte order). */
static void js_ambiguous(levy_tax_out *b, const levy_tax_resolution *res)
{
    char t[48];
    JS_KEY(b, "ambiguous_zip", 1);
    b->open(b, 0, 2);
    JS_KEY(b, "candidates", 1);
    b->open(b, 1, res->ncand);
    for (int c = 0; c < res->ncand; c++) {
        const levy_tax_candidate *cd = &res->cand[c];
        b->open(b, 0, 5 + (cd->city != NULL) + (cd->district != NULL) + 2 * (cd->area != NULL));
        if (cd->area) { /* a partial-ZIP city: the place this candidate is */
            JS_CSTR(b, "area", cd->area, 1);
            JS_CSTR(b, "area_kind", cd->area_kind, 0);
        }
        if (cd->city) /* California: the ship_to.city that picks this candidate */
            JS_CSTR(b, "city", cd->city, !cd->area);
        JS_KEY(b, "default", !cd->city && !cd->area);
        b->boolean(b, cd->is_default);
        if (cd->district) /* a partial-ZIP district: the candidate inside it */
            JS_CSTR(b, "district", cd->district, 0);
        JS_KEY(b, "jurisdictions", 0);
        b->open(b, 1, cd->nj);
        for (int k = 0; k < cd->nj; k++)
            b->str(b, cd->jur[k], LEVY_TAX_CSTR);
        b->close(b, 1);
        JS_KEY(b, "rate", 0);
        out_dec(b, cd->rate, 6, 2); /* levy_tax_fmt_percent */
        JS_KEY(b, "zip4_ranges", 0);
        b->open(b, 1, cd->nranges);
        for (int k = 0; k < cd->nranges; k++) {
            levy_tax_zip4_range(t, cd->lo[k], cd->hi[k]);
            b->str(b, t, strlen(t));
        }
        b->close(b, 1);
        JS_KEY(b, "zip4_ranges_total", 0);
        b->num(b, cd->ranges_all);
        b->close(b, 0);
    }
    b->close(b, 1);
    JS_CSTR(b, "zip", res->zip5, 0);
    b->close(b, 0);
}

void levy_tax_zip4_range(char *buf, uint32_t lo, uint32_t hi)
{
    if (lo == hi)
        snprintf(buf, 24, "%05u-%04u", lo / 10000 % 100000, lo % 10000);
    else
        snprintf(buf, 24, "%05u-%04u..%05u-%04u", lo / 10000 % 100000, lo % 10000,
                 hi / 10000 % 100000, hi % 10000);
}

/* A note {code, message, ...}: tax_id_invalid, a rule's own (2 keys). */
static void js_note(levy_tax_out *b, const char *code, const char *message)
{
    b->open(b, 0, 2);
    JS_CSTR(b, "code", code, 1);
    JS_CSTR(b, "message", message, 0);
    b->close(b, 0);
}

int levy_tax_territory_write(levy_tax_out *b, const struct levy_territory *tr)
{
    int bad = 0;
    JS_KEY(b, "territory", 0);
    b->open(b, 0, 5);
    JS_KEY(b, "code", 1);
    bad |= js_str(b, tr->code, LEVY_TAX_CSTR);
    JS_KEY(b, "name", 0);
    bad |= js_str(b, tr->name, LEVY_TAX_CSTR);
    JS_KEY(b, "reason", 0);
    bad |= js_str(b, tr->reason, LEVY_TAX_CSTR);
    if (tr->tax_country) {
        JS_KEY(b, "tax_country", 0);
        bad |= js_str(b, tr->tax_country, LEVY_TAX_CSTR);
    }
    JS_KEY(b, "treatment", 0);
    bad |= js_str(b, tr->treatment, LEVY_TAX_CSTR);
    b->close(b, 0);
    return bad;
}

/* A tax entry's middle keys (authority_code .. percentage): the same bytes for the same
 * parts. An answer repeats them on every line (each line's entries are the resolution's), so
 * the writer keeps where it wrote the last few (by the parts' addresses, not their text: a
 * miss only writes them again) and has a reader with `again` copy them (issue 21). */
#define ENTRY_SEEN 8
#define ENTRY_SEEN_MAX 512 /* bytes: a longer middle is written each time */
typedef struct entry_seen {
    const char *code, *name, *suffix, *note, *title;
    int64_t rate;
    int level;
    size_t from, to;
} entry_seen;

/* The middle of entry en: replayed from seen[] when one matches, else written (and, when the
 * reader can replay it, kept in seen[*next], round robin). Returns write's bad. */
static int entry_middle(levy_tax_out *b, const levy_tax_entry *en, entry_seen *seen, int *nseen,
                        int *next)
{
    int bad = 0, replay = b->tell && b->again;
    for (int k = 0; replay && k < *nseen; k++) {
        const entry_seen *s = &seen[k];
        if (s->name == en->name && s->rate == en->rate && s->code == en->code &&
            s->suffix == en->suffix && s->note == en->note && s->title == en->title &&
            s->level == en->level) {
            b->again(b, s->from, s->to);
            return 0;
        }
    }
    size_t from = replay ? b->tell(b) : 0;
    /* issue 19: the jurisdiction's code at its authority (FIPS, ISO), null when the data does
     * not establish it - then jurisdiction_note says why */
    JS_KEY(b, "authority_code", 0);
    if (en->code)
        bad |= js_str(b, en->code, LEVY_TAX_CSTR);
    else
        b->null(b);
    JS_KEY(b, "jurisdiction", 0);
    if (en->suffix) {
        size_t a = strlen(en->name), s2 = strlen(en->suffix);
        char nb[256];
        if (a + s2 < sizeof nb) {
            memcpy(nb, en->name, a);
            memcpy(nb + a, en->suffix, s2);
            bad |= js_str(b, nb, a + s2);
        } else {
            bad |= 1 | js_str(b, en->name, a);
        }
    } else {
        bad |= js_str(b, en->name, LEVY_TAX_CSTR);
    }
    if (en->note)
        JS_CSTR(b, "jurisdiction_note", en->note, 0);
    JS_CSTR(b, "level", levy_tax_level_name(en->level), 0);
    if (en->title) /* a tax with its own name (issue 19: local taxes) */
        JS_CSTR(b, "name", en->title, 0);
    JS_KEY(b, "percentage", 0);
    out_dec(b, en->rate, 6, 2); /* levy_tax_fmt_percent */
    size_t to = replay ? b->tell(b) : 0;
    if (!bad && to > from && to - from <= ENTRY_SEEN_MAX) {
        seen[*next] = (entry_seen){en->code, en->name,  en->suffix, en->note, en->title,
                                   en->rate, en->level, from,       to};
        *next = (*next + 1) % ENTRY_SEEN;
        if (*nseen < ENTRY_SEEN)
            ++*nseen;
    }
    return bad;
}

/* `,"k":"name"` for value v of a small enum (a line's taxability_reason, an entry's type; name
 * its static text, k not an object's first key): written once per answer and value, then
 * replayed where the reader can (tell / again; issue 21, each line and entry repeats them). */
typedef struct name_seen {
    size_t from, to;
} name_seen;

static void js_enum(levy_tax_out *b, const char *k, size_t kn, int v, const char *name,
                    name_seen *seen, unsigned *ok, int nv)
{
    int replay = b->tell && b->again && v >= 0 && v < nv;
    if (replay && (*ok >> v & 1)) {
        b->again(b, seen[v].from, seen[v].to);
        return;
    }
    size_t from = replay ? b->tell(b) : 0;
    out_keyn(b, k, kn, 0);
    b->str(b, name, LEVY_TAX_CSTR);
    if (replay) {
        seen[v].from = from;
        seen[v].to = b->tell(b);
        *ok |= 1u << v;
    }
}
#define JS_ENUM(b, lit, v, name, seen, ok)                                                         \
    js_enum((b), "" lit, sizeof(lit) - 1, (v), (name), (seen), (ok),                               \
            (int)(sizeof(seen) / sizeof((seen)[0])))

int levy_tax_result_write(levy_tax_out *b, const levy_tax_request *req, const levy_tax_decision *d,
                          const char *calc_id, size_t calc_id_len, const char *date,
                          const long long *generation, const char *rates_source,
                          const char *region_rule)
{
    name_seen reason_seen[LEVY_REASON_N], type_seen[LEVY_TYPE_N];
    unsigned reason_ok = 0, type_ok = 0;
    _Static_assert(LEVY_REASON_N <= 32 && LEVY_TYPE_N <= 32, "one bit per value in *_ok");
    int ex = req->exponent, bad = 0;
    entry_seen seen[ENTRY_SEEN];
    int nseen = 0, next_seen = 0;
    int amb = d->res.ambiguous && d->res.ncand >= 2;
    b->open(b, 0, 13);
    if (amb)
        js_ambiguous(b, &d->res);
    JS_KEY(b, "calculation_id", !amb);
    bad |= js_str(b, calc_id, calc_id_len);
    JS_CSTR(b, "currency", req->currency, 0);
    JS_CSTR(b, "date", date, 0);
    if (d->certificate_id) /* issue 20: the certificate that exempted the sale */
        JS_CSTR(b, "exemption_certificate_id", d->certificate_id, 0);
    JS_KEY(b, "lines", 0);
    b->open(b, 1, req->nlines);
    for (int i = 0; i < req->nlines; i++) {
        const levy_tax_line *l = &req->lines[i];
        b->open(b, 0, 7);
        JS_DEC(b, "amount", l->amount, ex, 1);
        if (l->discount)
            JS_DEC(b, "discount", l->discount, ex, 0);
        JS_KEY(b, "id", 0);
        bad |= js_str(b, req->meta[i].id, req->meta[i].idlen);
        JS_DEC(b, "tax", l->tax, ex, 0);
        JS_ENUM(b, "taxability_reason", l->reason, levy_tax_reason_name(l->reason), reason_seen,
                &reason_ok);
        JS_DEC(b, "taxable_amount", l->taxable, ex, 0);
        JS_KEY(b, "taxes", 0);
        int listed = levy_tax_line_listed(l);
        b->open(b, 1, listed ? l->n : 0);
        for (int e = 0; listed && e < l->n; e++) {
            const levy_tax_entry *en = &l->e[e];
            b->open(b, 0, 6);
            JS_DEC(b, "amount", en->amount, ex, 1);
            bad |= entry_middle(b, en, seen, &nseen, &next_seen);
            JS_DEC(b, "taxable_amount", levy_tax_entry_shown_taxable(l, en), ex, 0);
            JS_ENUM(b, "type", en->type, levy_tax_type_name(en->type), type_seen, &type_ok);
            b->close(b, 0);
        }
        b->close(b, 1);
        b->close(b, 0);
    }
    b->close(b, 1);
    if (d->tax_id_note[0] || d->fallback[0] || d->fallback[1] ||
        d->nrule_notes) { /* notes: only when any */
        int nn = d->nrule_notes + (d->tax_id_note[0] != 0);
        for (int g = 0; g < 2; g++)
            for (int k = 0; k < levy_tax_ncodes; k++)
                nn += (int)(d->fallback[g] >> k & 1);
        JS_KEY(b, "notes", 0);
        b->open(b, 1, nn);
        if (d->tax_id_note[0])
            js_note(b, LEVY_TAX_NOTE_TAX_ID_INVALID, d->tax_id_note);
        for (int g = 0; g < 2; g++) /* product taxonomy: a parent's row decided */
            for (int k = 0; k < levy_tax_ncodes; k++) {
                if (!(d->fallback[g] >> k & 1))
                    continue;
                char msg[LEVY_TAX_NOTE_MAX];
                levy_tax_fallback_note(d, g, k, msg, sizeof msg);
                b->open(b, 0, 5);
                JS_CSTR(b, "code", LEVY_TAX_NOTE_TAXABILITY_FALLBACK, 1);
                JS_CSTR(b, "message", msg, 0);
                JS_CSTR(b, "parent", levy_tax_codes[k].parent, 0);
                JS_CSTR(b, "region", d->res.group_region[g], 0);
                JS_CSTR(b, "tax_code", levy_tax_codes[k].code, 0);
                b->close(b, 0);
            }
        for (int k = 0; k < d->nrule_notes; k++)
            js_note(b, d->rule_note[k].code, d->rule_note[k].message);
        b->close(b, 1);
    }
    if (d->res.stale_source) { /* issue 19: the rates are older than the date asked for */
        char msg[LEVY_TAX_NOTE_MAX], sa[16];
        int32_t v = d->res.stale_after;
        if (v >= 0 && v <= 99991231) { /* YYYYMMDD: the digits in place (issue 21: no printf) */
            int y = (int)(v / 10000), m = (int)(v / 100 % 100), dd = (int)(v % 100);
            char t[] = {(char)('0' + y / 1000),
                        (char)('0' + y / 100 % 10),
                        (char)('0' + y / 10 % 10),
                        (char)('0' + y % 10),
                        '-',
                        (char)('0' + m / 10),
                        (char)('0' + m % 10),
                        '-',
                        (char)('0' + dd / 10),
                        (char)('0' + dd % 10),
                        '\0'};
            memcpy(sa, t, sizeof t);
        } else {
            snprintf(sa, sizeof sa, "%04d-%02d-%02d", (int)(v / 10000 % 10000),
                     (int)(v / 100 % 100), (int)(v % 100));
        }
        /* the message's pieces appended as snprintf would write them (cut at the buffer's
         * end), ~3k instructions less on every US answer from a table older than the date */
        const char *parts[] = {"the rates come from ",
                               d->res.stale_source,
                               " ",
                               d->res.stale_vintage,
                               ", which levy counts as current for dates before ",
                               sa,
                               "; the date asked for is ",
                               date,
                               ", so newer official rates may apply: bring in the newer file "
                               "(levy rates update or levy rates import)"};
        size_t mn = 0;
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            const char *q = parts[k] ? parts[k] : "(null)";
            size_t ql = strlen(q);
            if (ql > sizeof msg - 1 - mn)
                ql = sizeof msg - 1 - mn;
            memcpy(msg + mn, q, ql);
            mn += ql;
        }
        msg[mn] = '\0';
        JS_KEY(b, "rates_stale", 0);
        b->open(b, 0, 4);
        JS_CSTR(b, "message", msg, 1);
        JS_CSTR(b, "source", d->res.stale_source, 0);
        JS_CSTR(b, "stale_after", sa, 0);
        JS_CSTR(b, "vintage", d->res.stale_vintage, 0);
        b->close(b, 0);
    }
    JS_CSTR(b, "region", d->res.region, 0);
    if (levy_rates_precision_name(d->res.precision))
        JS_CSTR(b, "resolution", levy_rates_precision_name(d->res.precision), 0);
    JS_KEY(b, "rules", 0);
    b->open(b, 0, 3);
    if (generation) {
        JS_KEY(b, "generation", 1);
        b->num(b, *generation);
    }
    JS_CSTR(b, "rates_source", rates_source, !generation);
    if (region_rule)
        JS_CSTR(b, "region_rule", region_rule, 0);
    b->close(b, 0);
    if (d->res.territory)
        bad |= levy_tax_territory_write(b, d->res.territory);
    JS_DEC(b, "total_amount", d->doc.total_amount, ex, 0);
    JS_DEC(b, "total_tax", d->doc.total_tax, ex, 0);
    JS_DEC(b, "total_taxable", d->doc.total_taxable, ex, 0);
    b->close(b, 0);
    return bad ? -1 : 0;
}

/* ---- levy_tax_result_json: the writer's JSON reader */

#define JSON_OUT_DEPTH 16

typedef struct json_out {
    levy_tax_out o;
    levy_buf *b;
    int depth;
    unsigned char array[JSON_OUT_DEPTH]; /* per open container: an array? */
    int count[JSON_OUT_DEPTH];           /* its members so far */
} json_out;

/* A value starts: in an array, after a comma unless it is the first member. */
static void json_member(json_out *j)
{
    if (j->depth > 0 && j->array[j->depth - 1] && j->count[j->depth - 1]++)
        levy_buf_putc(j->b, ',');
}

static void json_open(levy_tax_out *o, int array, int n)
{
    json_out *j = (json_out *)o;
    (void)n;
    json_member(j);
    levy_buf_putc(j->b, array ? '[' : '{');
    if (j->depth < JSON_OUT_DEPTH) {
        j->array[j->depth] = (unsigned char)array;
        j->count[j->depth] = 0;
    }
    j->depth++;
}

static void json_close(levy_tax_out *o, int array)
{
    json_out *j = (json_out *)o;
    j->depth--;
    levy_buf_putc(j->b, array ? ']' : '}');
}

/* Writes `,"k":` (no comma when first); k is one of the fixed result keys (< 32 bytes), or
 * with LEVY_TAX_KEY_TEXT any text, escaped. */
static void json_key(levy_tax_out *o, const char *k, int first)
{
    json_out *j = (json_out *)o;
    char t[40];
    size_t n = strlen(k), p = 0;
    if (first & LEVY_TAX_KEY_TEXT) {
        if (!(first & 1))
            levy_buf_putc(j->b, ',');
        levy_json_escape(j->b, k, n);
        levy_buf_putc(j->b, ':');
        return;
    }
    levy_buf *b = j->b;
    if (!b->oom && b->len + n + 5 <= b->cap) { /* room: written in place (issue 21) */
        char *d = b->data + b->len;
        if (!first)
            d[p++] = ',';
        d[p++] = '"';
        memcpy(d + p, k, n);
        p += n;
        d[p++] = '"';
        d[p++] = ':';
        d[p] = '\0';
        b->len += p;
        return;
    }
    if (!first)
        t[p++] = ',';
    t[p++] = '"';
    memcpy(t + p, k, n);
    p += n;
    t[p++] = '"';
    t[p++] = ':';
    levy_buf_put(b, t, p);
}

/* A string; one with a leading NUL (a levy.json number literal) needs the table path. */
static int json_str(levy_tax_out *o, const char *s, size_t len)
{
    json_out *j = (json_out *)o;
    json_member(j);
    if (len == LEVY_TAX_CSTR)
        len = strlen(s);
    if (len && s[0] == '\0') {
        levy_buf_puts(j->b, "\"\"");
        return -1;
    }
    if (!levy_json_put_plain(j->b, s, len)) /* json_scan.h: a plain string, whole words */
        levy_json_escape(j->b, s, len);
    return 0;
}

/* n (<= 32) bytes without a call: two overlapping moves of the largest size that fits. */
static inline void copy_small(char *d, const char *s, size_t n)
{
    if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, s, 8);
        memcpy(&y, s + n - 8, 8);
        memcpy(d, &x, 8);
        memcpy(d + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(d, &x, 4);
        memcpy(d + n - 4, &y, 4);
    } else if (n) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

/* Appends p[0..n) (n <= 32), in place when b has room. */
static inline void put_small(levy_buf *b, const char *p, size_t n)
{
    if (!b->oom && n < b->cap - b->len) {
        copy_small(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else {
        levy_buf_put(b, p, n);
    }
}

/* A literal key of n bytes: `,"k":` written in place (issue 21, h-json21: no strlen, no
 * bounds per byte); any other key, or no room, as json_key writes it. */
static void json_keyn(levy_tax_out *o, const char *k, size_t n, int first)
{
    json_out *j = (json_out *)o;
    levy_buf *b = j->b;
    if (!(first & LEVY_TAX_KEY_TEXT) && n <= 32 && !b->oom && n + 5 < b->cap - b->len) {
        char *d = b->data + b->len;
        size_t c = !(first & 1); /* the comma */
        d[0] = ',';
        d[c] = '"';
        copy_small(d + c + 1, k, n);
        d[c + 1 + n] = '"';
        d[c + 2 + n] = ':';
        d[c + 3 + n] = '\0';
        b->len += c + 3 + n;
        return;
    }
    json_key(o, k, first);
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                  "31323334353637383940414243444546474849505152535455565758596061"
                                  "62636465666768697071727374757677787980818283848586878889909192"
                                  "93949596979899";

/* The digits of u written backwards ending at e, two per division; the first one's address. */
static inline char *digits_back(char *e, uint64_t u)
{
    while (u >= 100) {
        e -= 2;
        memcpy(e, digit_pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        e -= 2;
        memcpy(e, digit_pairs + 2 * u, 2);
    } else {
        *--e = (char)('0' + u);
    }
    return e;
}

/* A decimal as a JSON string: the bytes levy_tax_fmt_scaled writes (trimmed as calc.h says),
 * formatted backwards in place of the text and its escape scan. */
static void json_dec(levy_tax_out *o, int64_t v, int scale, int min_scale)
{
    json_out *j = (json_out *)o;
    char t[48];
    if (scale < 0 || scale > 18) { /* not an amount or a rate: the general path */
        dec_trim(&v, &scale, min_scale);
        json_str(o, t, levy_tax_fmt_scaled(t, v, scale));
        return;
    }
    json_member(j);
    dec_trim(&v, &scale, min_scale);
    char *e = t + sizeof t, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *--p = '"';
    if (scale > 0) { /* the fractional digits, zeros included, two per division */
        int k = scale;
        for (; k >= 2; k -= 2) {
            p -= 2;
            memcpy(p, digit_pairs + 2 * (u % 100), 2);
            u /= 100;
        }
        if (k) {
            *--p = (char)('0' + u % 10);
            u /= 10;
        }
        *--p = '.';
    }
    p = digits_back(p, u); /* at least one digit before the point */
    if (v < 0)
        *--p = '-';
    *--p = '"';
    put_small(j->b, p, (size_t)(e - p));
}

static void json_bool(levy_tax_out *o, int v)
{
    json_out *j = (json_out *)o;
    json_member(j);
    levy_buf_puts(j->b, v ? "true" : "false");
}

static void json_null(levy_tax_out *o)
{
    json_out *j = (json_out *)o;
    json_member(j);
    levy_buf_puts(j->b, "null");
}

static void json_num(levy_tax_out *o, long long v)
{
    json_out *j = (json_out *)o;
    char t[32], *e = t + sizeof t;
    json_member(j);
    char *p = digits_back(e, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    put_small(j->b, p, (size_t)(e - p));
}

int levy_tax_result_json(levy_buf *b, const levy_tax_request *req, const levy_tax_decision *d,
                         const char *calc_id, size_t calc_id_len, const char *date,
                         const long long *generation, const char *rates_source,
                         const char *region_rule)
{
    json_out j = {.o = levy_tax_json_out, .b = b};
    int bad = levy_tax_result_write(&j.o, req, d, calc_id, calc_id_len, date, generation,
                                    rates_source, region_rule);
    return bad || b->oom || j.depth > JSON_OUT_DEPTH ? -1 : 0;
}

int levy_tax_answer_json(levy_buf *b, const levy_tax_request *req, const levy_tax_decision *d,
                         const char *calc_id, size_t calc_id_len, const char *date,
                         const long long *generation, const char *region_rule)
{
    char src[512];
    levy_rates_describe(req->rates, &d->res, src, sizeof src);
    size_t want = 1024 + (size_t)req->nlines * 640;
    if (!b->data && !b->oom && (b->data = malloc(want)) != NULL) {
        b->cap = want;
        b->data[0] = '\0';
    }
    return levy_tax_result_json(b, req, d, calc_id, calc_id_len, date, generation, src,
                                region_rule);
}

int levy_tax_answer_write(levy_tax_out *o, const levy_tax_request *req, const levy_tax_decision *d,
                          const char *calc_id, size_t calc_id_len, const char *date,
                          const long long *generation, const char *region_rule)
{
    char src[512];
    levy_rates_describe(req->rates, &d->res, src, sizeof src);
    return levy_tax_result_write(o, req, d, calc_id, calc_id_len, date, generation, src,
                                 region_rule);
}

static size_t json_tell(levy_tax_out *o) { return ((json_out *)o)->b->len; }

/* json_again without room: through a copy (the buffer may move when it grows). */
static __attribute__((noinline)) void json_again_grow(levy_buf *b, size_t from, size_t n)
{
    char t[ENTRY_SEEN_MAX];
    while (n) {
        size_t c = n < sizeof t ? n : sizeof t;
        memcpy(t, b->data + from, c);
        levy_buf_put(b, t, c);
        from += c, n -= c;
    }
}

/* The bytes [from, to) written before, appended. */
static void json_again(levy_tax_out *o, size_t from, size_t to)
{
    levy_buf *b = ((json_out *)o)->b;
    size_t n = to - from;
    if (b->oom || to > b->len || from > to)
        return;
    if (n >= b->cap - b->len) {
        json_again_grow(b, from, n);
        return;
    }
    memcpy(b->data + b->len, b->data + from, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* The JSON reader's steps, for another writer (tax/ctx.h: ctx as JSON, in tests). */
const levy_tax_out levy_tax_json_out = {json_open, json_close, json_key,  json_str,
                                        json_num,  json_bool,  json_null, json_keyn,
                                        json_dec,  json_tell,  json_again};

int levy_tax_json_write(levy_buf *b, int (*write)(levy_tax_out *o, void *arg), void *arg)
{
    json_out j = {.o = levy_tax_json_out, .b = b};
    int bad = write(&j.o, arg);
    return bad || b->oom || j.depth > JSON_OUT_DEPTH ? -1 : 0;
}
