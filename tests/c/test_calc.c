/* The tax decision without a Lua state (core/tax/calc.c): sourcing, exemptions, reverse
 * charge, the error table and ranges, on the shipped rate tables with rules written as C
 * structs (what bind_tax.c compiles a rule table into). */
#include <stdlib.h>

#include "harness.h"
#include "json_scan.h"
#include "tax/calc.h"
#include "tax/dec.h"
#include "tax/tax.h"

static levy_rates *R;

/* ---- rules as the binding compiles them */
static const levy_tax_treatment tx_treat[] = {
    {.kind = LEVY_TREAT_FRACTION, .value = 80000000, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
};
static const levy_tax_code_row tx_codes[] = {{"saas", 0}, {"professional_services", 1}};
static const levy_tax_rule tx_dest = {
    "US-TX", LEVY_SOURCING_DESTINATION, LEVY_RC_NONE, 0, 2, tx_codes, 2, tx_treat};
static const levy_tax_rule tx_origin = {
    "US-TX", LEVY_SOURCING_ORIGIN, LEVY_RC_NONE, 0, 2, tx_codes, 2, tx_treat};

static const levy_tax_treatment vat_treat[] = {
    {.kind = LEVY_TREAT_ZERO, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_INVALID,
     .text = "rule taxability: unknown treatment 'odd'",
     .below = -1,
     .above = -1},
};
static const levy_tax_code_row vat_codes[] = {{"food_grocery", 0}, {"exempt", 1}, {"training", 2}};
static const levy_tax_rule eu_rc = {
    "EU", LEVY_SOURCING_DESTINATION, LEVY_RC_B2B_FOREIGN_SELLER, 0, 3, vat_codes, 3, vat_treat};
static const levy_tax_rule eu_plain = {
    "EU", LEVY_SOURCING_DESTINATION, LEVY_RC_NONE, 0, 3, vat_codes, 3, vat_treat};

/* ---- a request builder */
typedef struct fixture {
    levy_tax_request req;
    levy_tax_decision d;
    levy_tax_problem p;
    levy_err err;
    levy_tax_line lines[4];
    levy_tax_line_meta meta[4];
    const levy_tax_rule *rule; /* the rule every region gets, or NULL */
    int on;                    /* every region subscribed */
    int calls;                 /* calculate callbacks run */
    int64_t set_rate;          /* the callback sets entry 0's rate to this when >= 0 */
} fixture;

static const levy_tax_rule *rule_for(void *ud, const char *region)
{
    fixture *f = ud;
    return f->rule && strcmp(f->rule->region, region) == 0 ? f->rule : NULL;
}

static int region_on(void *ud, const char *region, int32_t date)
{
    (void)region;
    (void)date;
    return ((fixture *)ud)->on;
}

static int calculate(void *ud, levy_tax_request *req, levy_tax_decision *d, int g, levy_err *err)
{
    fixture *f = ud;
    (void)d;
    (void)g;
    (void)err;
    f->calls++;
    if (f->set_rate >= 0 && req->lines[0].n > 0)
        req->lines[0].e[0].rate = f->set_rate;
    return LEVY_OK;
}

static void addr(levy_tax_addr *a, const char *country, const char *state, const char *zip)
{
    memset(a, 0, sizeof *a);
    snprintf(a->country, sizeof a->country, "%s", country);
    snprintf(a->state, sizeof a->state, "%s", state ? state : "");
    a->zip = zip;
    a->present = 1;
}

/* One line of `amount` (a decimal string in the currency) with tax code `code`. */
static void setup(fixture *f, const char *currency, const char *amount, const char *code)
{
    memset(f, 0, sizeof *f);
    f->on = 1;
    f->set_rate = -1;
    levy_tax_request *q = &f->req;
    q->rates = R;
    q->date = 20260301;
    snprintf(q->currency, sizeof q->currency, "%s", currency);
    q->exponent = levy_tax_currency_exponent(currency);
    q->nlines = 1;
    q->lines = f->lines;
    q->meta = f->meta;
    levy_tax_dec_parse(amount, strlen(amount), q->exponent, q->exponent, 1, &f->lines[0].amount);
    f->lines[0].qty = LEVY_TAX_QTY_ONE;
    f->meta[0].id = "1";
    f->meta[0].idlen = 1;
    f->meta[0].tax_code = code;
    q->rule_for = rule_for;
    q->region_on = region_on;
    q->calculate = calculate;
    q->ud = f;
}

static int decide(fixture *f) { return levy_tax_decide(&f->req, &f->d, &f->p, &f->err); }

static const char *tax_of(fixture *f, int line)
{
    static char b[48];
    levy_tax_fmt_scaled(b, line < 0 ? f->d.doc.total_tax : f->lines[line].tax, f->req.exponent);
    return b;
}

static void t_open(void)
{
    levy_err err;
    CHECK_EQ_INT(levy_rates_open(&R, "data", NULL, &err), LEVY_OK);
end:;
}

/* Destination sourcing by default; origin (where the rule declares it) for an intrastate US
 * sale taxes at the seller's location; an out-of-state seller keeps destination. */
static void t_sourcing(void)
{
    fixture f;
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    addr(&f.req.seller, "US", "TX", "75097");
    f.rule = &tx_dest;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(f.d.res.region, "US-TX");
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.rule = &tx_origin;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "7.25");
    addr(&f.req.seller, "US", "CA", "92614");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    /* a rule's treatment: saas 80 % taxable in Texas */
    setup(&f, "USD", "100.00", "saas");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_dest;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "6.60");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PARTIAL);
    /* not subscribed: not collecting, no tax */
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.on = 0;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_NOT_COLLECTING);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
end:;
}

/* Customer exemption (request or stored record, with expiry and regions) and product
 * exemption (the built-in "exempt" code, or a rule's row). */
static void t_exemptions(void)
{
    fixture f;
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.req.customer_exempt = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(f.lines[0].n > 0 && f.lines[0].e[0].zero);
    /* the stored record: exempt, until an expiry, in some regions only */
    static const char *const tx[] = {"US-TX"}, *const ca[] = {"US-CA"};
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.req.customer_id = "c1";
    f.req.stored = (levy_tax_customer_rec){1, 1, 0, 1, tx, NULL, LEVY_CUSTOMER_UNSET};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    f.req.stored.regions = ca;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.req.stored = (levy_tax_customer_rec){1, 1, 20260101, 0, NULL, NULL, LEVY_CUSTOMER_UNSET};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.req.stored.expires = 20261231;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    /* the rule's calculate does not run for an exempt customer */
    CHECK_EQ_INT(f.calls, 0);
    /* product exempt: built-in code without a rule, and a rule's row */
    setup(&f, "USD", "100.00", "exempt");
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
    CHECK_EQ_INT(f.lines[0].n, 0);
    setup(&f, "USD", "100.00", "professional_services");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_dest;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
end:;
}

/* reverse_charge = "b2b_foreign_seller": a foreign seller and a customer tax id reverse-
 * charge (rate kept, amount 0); a domestic seller or no tax id is charged; a rule without
 * the declaration never reverse-charges; exempt and zero-rated lines stay as they are. */
static void t_reverse_charge(void)
{
    fixture f;
    setup(&f, "EUR", "100.00", "general");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "FR", NULL, "75001");
    f.req.tax_id = "DE123456789";
    f.rule = &eu_rc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(f.d.res.region, "EU");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(f.lines[0].n == 1 && f.lines[0].e[0].zero && f.lines[0].e[0].rate == 19000000);
    /* an unknown seller counts as not established */
    f.req.seller.present = 0;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    /* domestic seller: charged */
    addr(&f.req.seller, "DE", NULL, "80331");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* foreign seller, no tax id (none, or empty): charged */
    addr(&f.req.seller, "FR", NULL, "75001");
    f.req.tax_id = NULL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    f.req.tax_id = "";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(!levy_tax_id_usable("") && !levy_tax_id_usable(NULL) && levy_tax_id_usable("X1"));
    /* the stored customer's tax id counts too */
    f.req.customer_id = "b";
    f.req.stored = (levy_tax_customer_rec){1, 0, 0, 0, NULL, "DE123456789", LEVY_CUSTOMER_UNSET};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    /* the rule does not declare it: charged */
    f.rule = &eu_plain;
    f.req.tax_id = "DE123456789";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* zero-rated and exempt lines stay */
    setup(&f, "EUR", "100.00", "food_grocery");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "FR", NULL, "75001");
    f.req.tax_id = "DE123456789";
    f.rule = &eu_rc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_ZERO);
    f.meta[0].tax_code = "exempt";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
end:;
}

/* The error table and what each failure answers. */
static void t_errors(void)
{
    fixture f;
    CHECK_EQ_STR(levy_tax_error_code(LEVY_TAX_ERR_VALIDATION), "validation_failed");
    CHECK_EQ_INT(levy_tax_error_status(LEVY_TAX_ERR_VALIDATION), 422);
    CHECK_EQ_INT(levy_tax_error_status(LEVY_TAX_ERR_ADDRESS), 422);
    CHECK_EQ_INT(levy_tax_error_status(LEVY_TAX_ERR_RULE), 500);
    CHECK_EQ_INT(levy_tax_error_status(LEVY_TAX_ERR_N), 500);
    /* unknown tax code: 422 naming the line */
    setup(&f, "USD", "100.00", "no_such_code");
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_EINVAL);
    CHECK_EQ_INT(f.p.error, LEVY_TAX_ERR_VALIDATION);
    CHECK_EQ_STR(f.p.code, "validation_failed");
    CHECK_EQ_INT(f.p.ndetails, 1);
    CHECK_EQ_STR(f.p.details[0].field, "lines[0].tax_code");
    /* a code the region's rule names is known */
    f.meta[0].tax_code = "professional_services";
    f.rule = &tx_dest;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    /* an address the rate index cannot resolve: 422 with the index's code */
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "10001");
    CHECK_EQ_INT(decide(&f), LEVY_EINVAL);
    CHECK_EQ_INT(f.p.error, LEVY_TAX_ERR_ADDRESS);
    CHECK_EQ_STR(f.p.code, "address_unresolved");
    CHECK_EQ_INT(levy_tax_error_status(f.p.error), 422);
    CHECK(f.p.ndetails == 1 && strncmp(f.p.details[0].field, "ship_to.", 8) == 0);
    /* a rule's bad row: a rule error (500) when a line uses it, none before */
    setup(&f, "EUR", "100.00", "general");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    f.rule = &eu_rc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    f.meta[0].tax_code = "training";
    CHECK_EQ_INT(decide(&f), LEVY_EINVAL);
    CHECK_EQ_INT(f.p.error, LEVY_TAX_ERR_RULE);
    CHECK_EQ_STR(f.p.message, "rule taxability: unknown treatment 'odd'");
    /* problem details: capped, line fields prefixed */
    levy_tax_problem_clear(&f.p);
    for (int i = 0; i < LEVY_TAX_MAX_DETAILS + 5; i++)
        levy_tax_problem_add(&f.p, 3, ".amount", "x");
    CHECK_EQ_INT(f.p.ndetails, LEVY_TAX_MAX_DETAILS);
    CHECK_EQ_STR(f.p.details[0].field, "lines[3].amount");
end:;
}

/* Out-of-range inputs: quantity, amount - discount, unit price; a rule's calculate setting a
 * rate beyond 1000 % is refused by the engine as a 422 naming the line. */
static void t_ranges(void)
{
    fixture f;
    setup(&f, "USD", "100.00", "general");
    f.lines[0].qty = 0;
    levy_tax_check_line(&f.req, 0, 1, 0, 1, "10000000000.00 USD", &f.p);
    CHECK_EQ_INT(f.p.ndetails, 1);
    CHECK_EQ_STR(f.p.details[0].field, "lines[0].quantity");
    CHECK_EQ_STR(f.p.details[0].message, "must be greater than zero");
    levy_tax_problem_clear(&f.p);
    f.lines[0].qty = -LEVY_TAX_QTY_ONE;
    levy_tax_check_line(&f.req, 0, 1, 0, 1, "10000000000.00 USD", &f.p);
    CHECK_EQ_STR(f.p.details[0].message, "must not be negative");
    levy_tax_problem_clear(&f.p);
    f.lines[0].qty = LEVY_TAX_QTY_ONE;
    f.lines[0].amount = -LEVY_TAX_MAX_MINOR;
    f.lines[0].discount = LEVY_TAX_MAX_MINOR;
    levy_tax_check_line(&f.req, 0, 1, 1, 1, "10000000000.00 USD", &f.p);
    CHECK_EQ_INT(f.p.ndetails, 1);
    CHECK_EQ_STR(f.p.details[0].field, "lines[0].discount");
    levy_tax_problem_clear(&f.p);
    f.lines[0].amount = LEVY_TAX_MAX_MINOR;
    f.lines[0].discount = 0;
    f.lines[0].qty = LEVY_TAX_QTY_ONE / 2;
    levy_tax_check_line(&f.req, 0, 1, 0, 1, "10000000000.00 USD", &f.p);
    CHECK_EQ_INT(f.p.ndetails, 1);
    CHECK_EQ_STR(f.p.details[0].field, "lines[0].amount");
    levy_tax_problem_clear(&f.p);
    f.lines[0].qty = LEVY_TAX_QTY_ONE;
    levy_tax_check_line(&f.req, 0, 1, 0, 1, "10000000000.00 USD", &f.p);
    CHECK_EQ_INT(f.p.ndetails, 0);
    /* reading values: amounts, decimals, signs; addresses */
    char max[64];
    int64_t v = 0;
    levy_tax_max_amount_text(max, sizeof max, &f.req);
    CHECK_EQ_STR(max, "10000000000.00 USD");
    levy_tax_problem_clear(&f.p);
    CHECK_EQ_INT(levy_tax_decimal_field("10000000000.00", 14, 0, ".amount", 2, 2, 1,
                                        LEVY_TAX_MAX_MINOR, max, &v, &f.p),
                 1);
    CHECK_EQ_INT(v, LEVY_TAX_MAX_MINOR);
    CHECK_EQ_INT(levy_tax_decimal_field("-10000000000.01", 15, 0, ".amount", 2, 2, 1,
                                        LEVY_TAX_MAX_MINOR, max, &v, &f.p),
                 -1);
    CHECK_EQ_STR(f.p.details[0].message, "is out of range (at most 10000000000.00 USD)");
    CHECK_EQ_INT(levy_tax_decimal_field("99999999999999999999", 20, 1, ".amount", 2, 2, 1,
                                        LEVY_TAX_MAX_MINOR, max, &v, &f.p),
                 -1);
    CHECK_EQ_STR(f.p.details[1].field, "lines[1].amount");
    CHECK_EQ_INT(levy_tax_decimal_field("1.001", 5, 0, ".amount", 2, 2, 1, LEVY_TAX_MAX_MINOR, max,
                                        &v, &f.p),
                 -1);
    CHECK_EQ_STR(f.p.details[2].message, "has more than 2 decimals");
    CHECK_EQ_INT(levy_tax_decimal_field("-1.00", 5, 0, ".discount", 2, 2, 0, LEVY_TAX_MAX_MINOR,
                                        max, &v, &f.p),
                 -1);
    CHECK_EQ_STR(f.p.details[3].message, "must not be negative");
    CHECK_EQ_INT(
        levy_tax_decimal_field("1e5", 3, 0, ".amount", 2, 2, 1, LEVY_TAX_MAX_MINOR, max, &v, &f.p),
        -1);
    CHECK_EQ_INT(f.p.ndetails, 5);
    levy_tax_addr a;
    memset(&a, 0, sizeof a);
    levy_tax_problem_clear(&f.p);
    levy_tax_addr_country(&a, "ship_to.country", "u1", 2, &f.p);
    CHECK(!a.present && f.p.ndetails == 1);
    levy_tax_addr_country(&a, "ship_to.country", "us", 2, &f.p);
    CHECK(a.present && strcmp(a.country, "US") == 0);
    levy_tax_addr_state(&a, "ship_to.state", "zz", 2, &f.p);
    CHECK_EQ_STR(f.p.details[1].message, "is not a US state code (50 states, DC, PR)");
    levy_tax_addr_state(&a, "ship_to.state", "tx", 2, &f.p);
    CHECK(f.p.ndetails == 2 && strcmp(a.state, "TX") == 0);
    /* a calculate callback's rate beyond the engine's range */
    static const levy_tax_rule tx_calc = {
        "US-TX", LEVY_SOURCING_DESTINATION, LEVY_RC_NONE, 1, 0, NULL, 0, NULL};
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_calc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 1);
    f.set_rate = LEVY_TAX_MAX_RATE + 1;
    CHECK_EQ_INT(decide(&f), LEVY_EINVAL);
    CHECK_EQ_INT(f.p.error, LEVY_TAX_ERR_VALIDATION);
    CHECK_EQ_STR(f.p.details[0].field, "lines[0]");
end:;
}

/* The result as JSON text, without a Lua state; a leading NUL (a levy.json number literal)
 * asks for the table path. */
static void t_json(void)
{
    fixture f;
    levy_buf b = {0};
    long long gen = 7;
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", &gen, "src",
                                      "scripts/us/tx.lua"),
                 0);
    CHECK(b.data && strstr(b.data, "{\"calculation_id\":\"calc_1\",\"currency\":\"USD\""));
    CHECK(strstr(b.data, "\"rules\":{\"generation\":7,\"rates_source\":\"src\","
                         "\"region_rule\":\"scripts/us/tx.lua\"},\"total_amount\":\"100.00\","
                         "\"total_tax\":\"8.25\",\"total_taxable\":\"100.00\"}"));
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    CHECK_EQ_INT(levy_tax_result_json(&b, &f.req, &f.d, "\0x", 2, "2026-03-01", NULL, "src", NULL),
                 -1);
end:
    levy_buf_free(&b);
}

/* Customer type (issue 19, business vs personal use): { business =, individual = } picks the
 * treatment by the customer's type: the request's, else the stored record's, else the org
 * default, else business (levy's rules before customer types assumed business use). An
 * absent branch is taxable; a branch may be any treatment (a threshold here). */
static const levy_tax_treatment ct_treat[] = {
    /* 0: saas = { business = { rate = "1.00", level = "state" }, individual = "taxable" } */
    {.kind = LEVY_TREAT_BY_CUSTOMER, .below = -1, .above = -1, .business = 1, .individual = 2},
    {.kind = LEVY_TREAT_RATE,
     .level = LEVY_LEVEL_STATE,
     .value = 1000000,
     .below = -1,
     .above = -1,
     .business = -1,
     .individual = -1},
    {.kind = LEVY_TREAT_TAXABLE, .below = -1, .above = -1, .business = -1, .individual = -1},
    /* 3: training = { business = "exempt" } (individual absent: taxable) */
    {.kind = LEVY_TREAT_BY_CUSTOMER, .below = -1, .above = -1, .business = 4, .individual = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1, .business = -1, .individual = -1},
    /* 5: digital_goods = { individual = { threshold = "50.00", below = "exempt" } } */
    {.kind = LEVY_TREAT_BY_CUSTOMER, .below = -1, .above = -1, .business = -1, .individual = 6},
    {.kind = LEVY_TREAT_THRESHOLD,
     .text = "50.00",
     .text_len = 5,
     .per_line = 1,
     .below = 4,
     .above = -1,
     .business = -1,
     .individual = -1},
};
static const levy_tax_code_row ct_codes[] = {{"saas", 0}, {"training", 3}, {"digital_goods", 5}};
static const levy_tax_rule ct_rule = {
    "US-CT", LEVY_SOURCING_DESTINATION, LEVY_RC_NONE, 0, 3, ct_codes, 7, ct_treat};

static void ct_setup(fixture *f, const char *amount, const char *code)
{
    setup(f, "USD", amount, code);
    addr(&f->req.ship_to, "US", "CT", "06103");
    f->rule = &ct_rule;
}

static void t_customer_type(void)
{
    fixture f;
    static const char *const none[] = {NULL};
    CHECK_EQ_INT(levy_tax_customer_type_from("business"), LEVY_CUSTOMER_BUSINESS);
    CHECK_EQ_INT(levy_tax_customer_type_from("individual"), LEVY_CUSTOMER_INDIVIDUAL);
    CHECK_EQ_INT(levy_tax_customer_type_from(NULL), LEVY_CUSTOMER_UNSET);
    CHECK_EQ_INT(levy_tax_customer_type_from("consumer"), -1);
    CHECK_EQ_STR(levy_tax_customer_type_name(LEVY_CUSTOMER_INDIVIDUAL), "individual");
    CHECK_EQ_STR(levy_tax_customer_type_name(LEVY_CUSTOMER_UNSET), "business");
    /* nothing said: business (1 % state rate) */
    ct_setup(&f, "100.00", "saas");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.customer_type, LEVY_CUSTOMER_BUSINESS);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REDUCED);
    CHECK_EQ_STR(tax_of(&f, -1), "1.00");
    /* the request says individual: the general rate */
    f.req.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.customer_type, LEVY_CUSTOMER_INDIVIDUAL);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    CHECK_EQ_STR(tax_of(&f, -1), "6.35");
    /* the org default individual; the request's business wins over it */
    f.req.customer_type = LEVY_CUSTOMER_UNSET;
    f.req.org_customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "6.35");
    f.req.customer_type = LEVY_CUSTOMER_BUSINESS;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "1.00");
    /* the stored record's type wins over the default, the request's over the record */
    f.req.customer_type = LEVY_CUSTOMER_UNSET;
    f.req.customer_id = "c1";
    f.req.stored = (levy_tax_customer_rec){1, 0, 0, 0, none, NULL, LEVY_CUSTOMER_BUSINESS};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "1.00");
    f.req.org_customer_type = LEVY_CUSTOMER_UNSET;
    f.req.stored.type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "6.35");
    f.req.customer_type = LEVY_CUSTOMER_BUSINESS;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "1.00");
    /* a record that is not found does not count */
    f.req.customer_type = LEVY_CUSTOMER_UNSET;
    f.req.stored.found = 0;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "1.00");
    /* an absent branch is taxable */
    ct_setup(&f, "100.00", "training");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    f.req.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    CHECK_EQ_STR(tax_of(&f, -1), "6.35");
    /* a branch nesting a threshold */
    ct_setup(&f, "40.00", "digital_goods");
    f.req.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
    ct_setup(&f, "60.00", "digital_goods");
    f.req.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "3.81");
    f.req.customer_type = LEVY_CUSTOMER_BUSINESS;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "3.81");
    /* an exempt customer stays exempt whatever the type */
    ct_setup(&f, "100.00", "saas");
    f.req.customer_exempt = 1;
    f.req.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
end:;
}

static void t_free(void)
{
    levy_rates_free(R);
    R = NULL;
}

static const levy_test tests[] = {{"open", t_open},
                                  {"sourcing", t_sourcing},
                                  {"exemptions", t_exemptions},
                                  {"reverse_charge", t_reverse_charge},
                                  {"errors", t_errors},
                                  {"ranges", t_ranges},
                                  {"json", t_json},
                                  {"customer_type", t_customer_type},
                                  {"free", t_free},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
