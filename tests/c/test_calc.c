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
static const levy_tax_rule tx_dest = {.region = "US-TX",
                                      .sourcing = LEVY_SOURCING_DESTINATION,
                                      .reverse_charge = LEVY_RC_NONE,
                                      .has_calculate = 0,
                                      .ncodes = 2,
                                      .codes = tx_codes,
                                      .ntreat = 2,
                                      .treat = tx_treat};
static const levy_tax_rule tx_origin = {.region = "US-TX",
                                        .sourcing = LEVY_SOURCING_ORIGIN,
                                        .reverse_charge = LEVY_RC_NONE,
                                        .has_calculate = 0,
                                        .ncodes = 2,
                                        .codes = tx_codes,
                                        .ntreat = 2,
                                        .treat = tx_treat};

static const levy_tax_treatment vat_treat[] = {
    {.kind = LEVY_TREAT_ZERO, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_INVALID,
     .text = "rule taxability: unknown treatment 'odd'",
     .below = -1,
     .above = -1},
};
static const levy_tax_code_row vat_codes[] = {{"food_grocery", 0}, {"exempt", 1}, {"training", 2}};
static const levy_tax_rule eu_rc = {.region = "EU",
                                    .sourcing = LEVY_SOURCING_DESTINATION,
                                    .reverse_charge = LEVY_RC_B2B_FOREIGN_SELLER,
                                    .has_calculate = 0,
                                    .ncodes = 3,
                                    .codes = vat_codes,
                                    .ntreat = 3,
                                    .treat = vat_treat};
static const levy_tax_rule ca_simplified = {.region = "CA",
                                            .sourcing = LEVY_SOURCING_DESTINATION,
                                            .reverse_charge = LEVY_RC_B2B_SIMPLIFIED_REGIME,
                                            .has_calculate = 0,
                                            .ncodes = 3,
                                            .codes = vat_codes,
                                            .ntreat = 3,
                                            .treat = vat_treat};
static const levy_tax_rule eu_plain = {.region = "EU",
                                       .sourcing = LEVY_SOURCING_DESTINATION,
                                       .reverse_charge = LEVY_RC_NONE,
                                       .has_calculate = 0,
                                       .ncodes = 3,
                                       .codes = vat_codes,
                                       .ntreat = 3,
                                       .treat = vat_treat};

/* ---- a request builder */
typedef struct fixture {
    levy_tax_request req;
    levy_tax_decision d;
    levy_tax_problem p;
    levy_err err;
    levy_tax_line lines[4];
    levy_tax_line_meta meta[4];
    const levy_tax_rule *rule;  /* the rule every region gets, or NULL */
    int on;                     /* every region subscribed */
    int calls;                  /* calculate callbacks run */
    int64_t set_rate;           /* the callback sets entry 0's rate to this when >= 0 */
    int64_t set_unit_to;        /* the callback sets line 0's entries' unit_to when >= 0 */
    int add_local;              /* the callback adds a named city lease tax and a note */
    const levy_tax_rule *rule2; /* a second region's rule (Canada: CA and CA-QC), or NULL */
    const char *oos[2];         /* regions whose calculate puts every line out of scope (their taxes
                         * removed), as scripts/_lib/foreign_regime.lua does */
    levy_tax_rule ix[2];        /* rule_for's indexed copies (index_rules) */
} fixture;

/* 1: rule_for hands out a copy of the rule with its index (levy_tax_rule_index), as the binding
 * compiles one; 0: the rule as written, which the decision reads by name (t_indexed). */
static int index_rules;

static const levy_tax_rule *with_index(fixture *f, int k, const levy_tax_rule *r)
{
    if (!index_rules)
        return r;
    f->ix[k] = *r;
    levy_tax_rule_index(&f->ix[k]);
    return &f->ix[k];
}

static const levy_tax_rule *rule_for(void *ud, const char *region)
{
    fixture *f = ud;
    if (f->rule2 && strcmp(f->rule2->region, region) == 0)
        return with_index(f, 1, f->rule2);
    return f->rule && strcmp(f->rule->region, region) == 0 ? with_index(f, 0, f->rule) : NULL;
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
    (void)g;
    (void)err;
    f->calls++;
    for (int k = 0; k < 2; k++) {
        if (!f->oos[k] || strcmp(f->oos[k], d->res.group_region[g]) != 0)
            continue;
        for (int i = 0; i < req->nlines; i++) {
            levy_tax_line *l = &req->lines[i];
            for (int e = l->n - 1; e >= 0; e--)
                if (l->e[e].group == g)
                    levy_tax_line_remove(l, e);
            l->reason = LEVY_REASON_OUT_OF_SCOPE;
        }
    }
    if (f->set_rate >= 0 && req->lines[0].n > 0)
        req->lines[0].e[0].rate = f->set_rate;
    for (int e = 0; f->set_unit_to >= 0 && e < req->lines[0].n; e++)
        req->lines[0].e[e].unit_to = f->set_unit_to;
    if (f->add_local) { /* as scripts/_lib/local_tax.lua does through ctx */
        levy_tax_line *l = &req->lines[0];
        levy_tax_entry *en = &l->e[l->n++];
        memset(en, 0, sizeof *en);
        en->name = "CHICAGO";
        en->title = "Chicago Personal Property Lease Transaction Tax";
        en->level = LEVY_LEVEL_CITY;
        en->type = LEVY_TYPE_LEASE;
        en->rate = 15 * LEVY_TAX_RATE_ONE / 100;
        en->fraction = LEVY_TAX_RATE_ONE;
        en->unit_from = en->unit_to = -1;
        l->reason = LEVY_REASON_STANDARD;
        if (levy_tax_decision_add_note(d, "local_tax_uncertain", "ZIP \"60018\" partly") != 0 ||
            levy_tax_decision_add_note(d, "local_tax_uncertain", "ZIP \"60018\" partly") != 0)
            return LEVY_EINVAL;
    }
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
    f->set_unit_to = -1;
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
    f.req.stored =
        (levy_tax_customer_rec){1, 1, 0, 1, tx, NULL, LEVY_CUSTOMER_UNSET, 0, NULL, NULL};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    f.req.stored.regions = ca;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.req.stored =
        (levy_tax_customer_rec){1, 1, 20260101, 0, NULL, NULL, LEVY_CUSTOMER_UNSET, 0, NULL, NULL};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.req.stored.expires = 20261231;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    /* the rule's calculate does not run for an exempt customer */
    CHECK_EQ_INT(f.calls, 0);
    /* issue 20: certificates on file decide (the flag, regions and expiry above do not): a
     * certificate covering the region and the date exempts and names itself; one covering the
     * region but out of its dates taxes with the note exemption_certificate_expired */
    {
        levy_tax_certificate certs[2] = {
            {"cert-ca", "CA-1", 20250101, 20991231, 1, ca},
            {"cert-tx", "TX-9", 20240101, 20241231, 1, tx},
        };
        setup(&f, "USD", "100.00", "general");
        addr(&f.req.ship_to, "US", "TX", "78701");
        f.req.customer_id = "c1";
        f.req.stored =
            (levy_tax_customer_rec){1, 1, 0, 0, NULL, NULL, LEVY_CUSTOMER_UNSET, 2, certs, NULL};
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_STR(tax_of(&f, -1),
                     "8.25"); /* TX's certificate expired; the flag does not count */
        CHECK(f.d.certificate_id == NULL);
        CHECK_EQ_INT(f.d.nrule_notes, 1);
        CHECK_EQ_STR(f.d.rule_note[0].code, LEVY_TAX_NOTE_CERT_EXPIRED);
        CHECK(strstr(f.d.rule_note[0].message, "TX-9 expired on 2024-12-31") != NULL);
        certs[1].expires = 0; /* no expiry: exempt, named */
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_STR(tax_of(&f, -1), "0.00");
        CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
        CHECK(f.d.certificate_id && strcmp(f.d.certificate_id, "cert-tx") == 0);
        CHECK_EQ_INT(f.d.nrule_notes, 0);
        { /* the answer names it among its keys in byte order (as levy.json.encode writes
           * the table): after "date", before "lines" */
            levy_buf jb = {0};
            int rc = levy_tax_result_json(&jb, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src",
                                          NULL);
            int at = jb.data && strstr(jb.data, "\"date\":\"2026-03-01\","
                                                "\"exemption_certificate_id\":\"cert-tx\","
                                                "\"lines\":[") != NULL;
            free(jb.data);
            CHECK_EQ_INT(rc, 0);
            CHECK(at);
        }
        certs[1].issued = 20990101; /* not yet valid: taxed, noted */
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_STR(tax_of(&f, -1), "8.25");
        CHECK(strstr(f.d.rule_note[0].message, "not valid before 2099-01-01") != NULL);
        /* a request that says exempt stays exempt (CONTRACT), no certificate named */
        f.req.customer_exempt = 1;
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_STR(tax_of(&f, -1), "0.00");
        CHECK(f.d.certificate_id == NULL);
        f.req.customer_exempt = 0;
    }
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
    f.req.tax_id = "DE136695976";
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
    CHECK(!levy_tax_id_usable(&f.req, 1, "", NULL, 0) &&
          !levy_tax_id_usable(&f.req, 1, NULL, NULL, 0));
    CHECK_EQ_STR(f.d.tax_id_note, ""); /* no id: nothing to say */
    /* the stored customer's tax id counts too */
    f.req.customer_id = "b";
    f.req.stored = (levy_tax_customer_rec){
        1, 0, 0, 0, NULL, "DE136695976", LEVY_CUSTOMER_UNSET, 0, NULL, NULL};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    /* the rule does not declare it: charged */
    f.rule = &eu_plain;
    f.req.tax_id = "DE136695976";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* zero-rated and exempt lines stay */
    setup(&f, "EUR", "100.00", "food_grocery");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "FR", NULL, "75001");
    f.req.tax_id = "DE136695976";
    f.rule = &eu_rc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_ZERO);
    f.meta[0].tax_code = "exempt";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
end:;
}

/* reverse_charge = "b2b_simplified_regime" (issue 19; Canada, ETA s. 211.1 ff.): only a seller
 * registered under the simplified regime (req.simplified_regime, setting ca_gst_regime) and
 * not established in Canada leaves a customer with a valid GST/HST number uncharged; under the
 * normal regime every customer is charged and the id decides nothing (no note). */
static void t_simplified_regime(void)
{
    fixture f;
    setup(&f, "CAD", "100.00", "saas");
    addr(&f.req.ship_to, "CA", "ON", "M5V 3L9");
    addr(&f.req.seller, "US", "WA", "98101");
    f.req.tax_id = "123456782RT0001";
    f.rule = &ca_simplified;
    /* normal regime (the default): HST 13 % charged to a registrant */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(f.d.res.region, "CA");
    CHECK_EQ_INT(f.d.reverse, 0);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    f.req.tax_id = "N/A"; /* the id decides nothing: no note */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    CHECK_EQ_STR(f.d.tax_id_note, "");
    /* simplified regime, valid BN: not charged, the rate kept with a zero amount */
    f.req.simplified_regime = 1;
    f.req.tax_id = "123456782RT0001";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.reverse, 1);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(f.lines[0].n >= 1 && f.lines[0].e[0].zero);
    /* simplified regime, an invalid number: a consumer sale with the note */
    f.req.tax_id = "123456783RT0001";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.reverse, 0);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    CHECK(strncmp(f.d.tax_id_note, "customer.tax_id is not a valid CA tax id", 40) == 0);
    /* simplified regime, a Quebec QST number (valid by format only) is no GST/HST number */
    f.req.tax_id = "1234567890TQ0001";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.reverse, 0);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    CHECK(strstr(f.d.tax_id_note, "not a GST/HST registration number") != NULL);
    /* simplified regime, no number: charged, nothing to say */
    f.req.tax_id = NULL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    CHECK_EQ_STR(f.d.tax_id_note, "");
    /* a seller established in Canada is never simplified: charged */
    f.req.tax_id = "123456782RT0001";
    addr(&f.req.seller, "CA", "ON", "M5V 3L9");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    CHECK_EQ_STR(tax_of(&f, -1), "13.00");
    /* the flag does not touch a b2b_foreign_seller rule (EU) */
    setup(&f, "EUR", "100.00", "general");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "US", "WA", "98101");
    f.req.tax_id = "DE136695976";
    f.rule = &eu_rc;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    f.req.simplified_regime = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    CHECK_EQ_INT(levy_tax_reverse_charge_from("b2b_simplified_regime"),
                 LEVY_RC_B2B_SIMPLIFIED_REGIME);
    CHECK_EQ_INT(levy_tax_reverse_charge_from("b2b_registered"), -1);
end:;
}

/* Issue 19, a tax id is not a word: where the rule declares reverse charge, an id that is not
 * a valid number of the destination ("N/A", an EIN, "DE12345", a wrong check digit, another
 * country's number) is a consumer sale: charged, with the note tax_id_invalid in the
 * decision and in the JSON answer; a valid id (typed with spaces, of another member state in
 * the EU) reverse-charges with no note; a registry answer "not_registered" for the number
 * makes it unusable; an exempt customer or a rule without the declaration gets no note. */
static void t_tax_id(void)
{
    fixture f;
    levy_buf b = {0};
    static const char *const bad[] = {"N/A",         "12-3456789",  "DE12345",
                                      "DE136695977", "GB980780684", "DE123456789"};
    setup(&f, "EUR", "100.00", "general");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "US", "WA", "98101");
    f.rule = &eu_rc;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f.req.tax_id = bad[i];
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_INT(f.d.reverse, 0);
        CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
        CHECK_EQ_STR(tax_of(&f, -1), "19.00");
        CHECK(strncmp(f.d.tax_id_note, "customer.tax_id is not a valid DE tax id (", 42) == 0);
        CHECK(strstr(f.d.tax_id_note, "taxed as a sale to a consumer") != NULL);
    }
    /* the note in the JSON answer, between lines and region (keys in byte order) */
    f.req.tax_id = "N/A";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    CHECK(b.data && strstr(b.data, "],\"notes\":[{\"code\":\"tax_id_invalid\",\"message\":"
                                   "\"customer.tax_id is not a valid DE tax id (invalid_format"));
    CHECK(strstr(b.data, "taxed as a sale to a consumer\"}],\"region\":\"EU\",") != NULL);
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    /* valid: reverse charge, no note, no notes key */
    static const char *const good[] = {"DE136695976", "de 136.695.976", "136695976",
                                       "FR40303265045"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        f.req.tax_id = good[i];
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_INT(f.d.reverse, 1);
        CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
        CHECK_EQ_STR(tax_of(&f, -1), "0.00");
        CHECK_EQ_STR(f.d.tax_id_note, "");
    }
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    CHECK(b.data && !strstr(b.data, "notes"));
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    /* the registry said not registered for this very number: charged, the note names it */
    levy_taxid_registry reg = {"not_registered", "VIES", "2026-03-01T10:00:00Z", "DE", "136695976"};
    f.req.tax_id = "DE136695976";
    f.req.tax_id_registry = &reg;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(strstr(f.d.tax_id_note, "VIES answered not registered, checked 2026-03-01T10:00:00Z"));
    reg.number = "811569869"; /* an answer about another number changes nothing */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    f.req.tax_id_registry = NULL;
    /* the stored customer's id is judged the same way */
    f.req.tax_id = NULL;
    f.req.customer_id = "b";
    f.req.stored =
        (levy_tax_customer_rec){1, 0, 0, 0, NULL, "N/A", LEVY_CUSTOMER_UNSET, 0, NULL, NULL};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(f.d.tax_id_note[0] != '\0');
    f.req.stored = (levy_tax_customer_rec){0};
    f.req.customer_id = NULL;
    /* no note where the id decides nothing: an exempt customer, a rule without the declaration */
    f.req.tax_id = "N/A";
    f.req.customer_exempt = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    CHECK_EQ_STR(f.d.tax_id_note, "");
    f.req.customer_exempt = 0;
    f.rule = &eu_plain;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK_EQ_STR(f.d.tax_id_note, "");
    /* a destination without a known format takes the id as given (levy_taxid_usable) */
    CHECK(levy_tax_id_usable(&(levy_tax_request){.ship_to = {.country = "BR"}}, 0, "BR-TAXID-1",
                             NULL, 0));
    /* Mexico has one now (issue 19): a placeholder is no RFC, a published RFC is one */
    CHECK(!levy_tax_id_usable(&(levy_tax_request){.ship_to = {.country = "MX"}}, 0, "MX-TAXID-1",
                              NULL, 0));
    CHECK(levy_tax_id_usable(&(levy_tax_request){.ship_to = {.country = "MX"}}, 0, "MAB-930714-8T4",
                             NULL, 0));
end:
    levy_buf_free(&b);
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
    char mt[64];
    /* how messages name the largest amount (without snprintf: issue 21), cut to the buffer */
    setup(&f, "JPY", "100", "general");
    levy_tax_max_amount_text(mt, sizeof mt, &f.req);
    CHECK_EQ_STR(mt, "1000000000000 JPY");
    levy_tax_max_amount_text(mt, 16, &f.req);
    CHECK_EQ_STR(mt, "1000000000000 J");
    levy_tax_max_amount_text(mt, 18, &f.req);
    CHECK_EQ_STR(mt, "1000000000000 JPY");
    f.req.exponent = -1;
    levy_tax_max_amount_text(mt, sizeof mt, &f.req);
    CHECK_EQ_STR(mt, "1000000000000 minor units");
    setup(&f, "USD", "100.00", "general");
    levy_tax_max_amount_text(mt, sizeof mt, &f.req);
    CHECK_EQ_STR(mt, "10000000000.00 USD");
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
    static const levy_tax_rule tx_calc = {.region = "US-TX",
                                          .sourcing = LEVY_SOURCING_DESTINATION,
                                          .reverse_charge = LEVY_RC_NONE,
                                          .has_calculate = 1,
                                          .ncodes = 0,
                                          .codes = NULL,
                                          .ntreat = 0,
                                          .treat = NULL};
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

/* A tax entry's middle (authority_code .. percentage) written once per answer and copied for
 * the next entry with the same parts (issue 21: the JSON reader's tell / again): the bytes are
 * those written without copying (and with decimals as formatted text), whatever room the
 * buffer has when it copies. */
static int again_calls, again_enums; /* copies of a middle (> 50 bytes), of `,"type":"VAT"` */
static void (*json_again_fn)(levy_tax_out *o, size_t from, size_t to);
static void counting_again(levy_tax_out *o, size_t from, size_t to)
{
    if (to - from > 50)
        again_calls++;
    else
        again_enums++;
    json_again_fn(o, from, to);
}

typedef struct answer_arg {
    fixture *f;
    int replay;
} answer_arg;

static int w_answer(levy_tax_out *o, void *arg)
{
    answer_arg *a = arg;
    if (a->replay) {
        json_again_fn = o->again;
        o->again = counting_again;
    } else { /* and the decimals formatted as text (levy_tax_out_dec's general path) */
        o->tell = NULL;
        o->again = NULL;
        o->dec = NULL;
    }
    return levy_tax_result_write(o, &a->f->req, &a->f->d, "calc_1", 6, "2026-03-01", NULL, "src",
                                 NULL);
}

static void t_json_again(void)
{
    fixture f;
    levy_buf want = {0}, got = {0};
    static const char *const codes[4] = {"general", "food_grocery", "general", "food_grocery"};
    for (int set = 0; set < 2; set++) {
        setup(&f, set ? "EUR" : "USD", "100.00", "general");
        if (set) {
            addr(&f.req.ship_to, "DE", NULL, "10115");
            f.rule = &eu_plain; /* food_grocery zero-rated: a middle of its own */
        } else {
            addr(&f.req.ship_to, "US", "TX", "78701");
        }
        f.req.nlines = 4;
        for (int i = 1; i < 4; i++) {
            f.lines[i] = f.lines[0];
            f.meta[i] = f.meta[0];
        }
        for (int i = 0; i < 4; i++)
            f.meta[i].tax_code = codes[i];
        f.meta[1].id = "2", f.meta[2].id = "3", f.meta[3].id = "4";
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        answer_arg plain = {&f, 0}, replay = {&f, 1};
        levy_buf_free(&want);
        CHECK_EQ_INT(levy_tax_json_write(&want, w_answer, &plain), 0);
        /* every room the buffer can have at a copy: from none to the whole answer */
        for (size_t cap = 1; cap <= want.len + 1; cap++) {
            levy_buf_free(&got);
            got.data = malloc(cap);
            CHECK(got.data);
            got.cap = cap;
            got.data[0] = '\0';
            again_calls = again_enums = 0;
            CHECK_EQ_INT(levy_tax_json_write(&got, w_answer, &replay), 0);
            CHECK_EQ_STR(got.data, want.data);
            /* lines 2-4 copy line 1's entries (US) / lines 3-4 copy lines 1-2's (EU) */
            int per_line = f.lines[0].n;
            CHECK_EQ_INT(again_calls, set ? 2 * per_line : 3 * per_line);
            CHECK(per_line >= (set ? 1 : 2));
            /* a taxability_reason or type written before: copied (all but each value's first) */
            unsigned reasons = 0, types = 0;
            int enums = 0;
            for (int i = 0; i < 4; i++) {
                enums += (reasons >> f.lines[i].reason & 1) + f.lines[i].n;
                reasons |= 1u << f.lines[i].reason;
                for (int e = 0; e < f.lines[i].n; e++) {
                    enums -= !(types >> f.lines[i].e[e].type & 1);
                    types |= 1u << f.lines[i].e[e].type;
                }
            }
            CHECK_EQ_INT(again_enums, enums);
            CHECK(enums >= 5);
        }
    }
end:
    levy_buf_free(&want);
    levy_buf_free(&got);
}

/* Local taxes outside sales tax (issue 19): an entry a rule's calculate adds with its own
 * type (LEASE_TRANSACTION_TAX) and name is computed and written like any other, with "name";
 * the rule's notes follow tax_id_invalid in "notes"; levy_tax_decision_add_note checks codes,
 * keeps a repeated note once, cuts a long message on a UTF-8 boundary and holds at most
 * LEVY_TAX_RULE_NOTES. */
static void t_local_tax(void)
{
    fixture f;
    levy_buf b = {0};
    static const levy_tax_rule il_calc = {.region = "US-IL",
                                          .sourcing = LEVY_SOURCING_DESTINATION,
                                          .reverse_charge = LEVY_RC_NONE,
                                          .has_calculate = 1,
                                          .ncodes = 0,
                                          .codes = NULL,
                                          .ntreat = 0,
                                          .treat = NULL};
    setup(&f, "USD", "100.00", "saas");
    addr(&f.req.ship_to, "US", "IL", "60601");
    f.rule = &il_calc;
    f.add_local = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "25.25"); /* 10.25 sales tax (no rule table: taxable) + 15 */
    CHECK_EQ_INT(f.d.nrule_notes, 1);
    CHECK_EQ_STR(levy_tax_type_name(LEVY_TYPE_LEASE), "LEASE_TRANSACTION_TAX");
    CHECK_EQ_INT(levy_tax_type_from("LEASE_TRANSACTION_TAX"), LEVY_TYPE_LEASE);
    CHECK_EQ_STR(levy_tax_type_name(LEVY_TYPE_AMUSEMENT), "AMUSEMENT_TAX");
    CHECK_EQ_INT(levy_tax_type_from("AMUSEMENT_TAX"), LEVY_TYPE_AMUSEMENT);
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    /* levied by the City of Chicago: its Census place code (issue 19, names that file) */
    CHECK(strstr(b.data, "{\"amount\":\"15.00\",\"authority_code\":\"1714000\","
                         "\"jurisdiction\":\"CHICAGO\","));
    CHECK(strstr(b.data, "\"level\":\"city\","
                         "\"name\":\"Chicago Personal Property Lease Transaction Tax\","
                         "\"percentage\":\"15.00\",\"taxable_amount\":\"100.00\","
                         "\"type\":\"LEASE_TRANSACTION_TAX\"}"));
    /* the notes end there; then (issue 19) the ZIP table of 2025-12 is past its quarter on
     * 2026-03-01 (rates_stale), then the region */
    CHECK(strstr(b.data, "\"notes\":[{\"code\":\"local_tax_uncertain\",\"message\":\"ZIP "
                         "\\\"60018\\\" partly\"}],\"rates_stale\":{"));
    CHECK(strstr(b.data, "\"vintage\":\"2025-12\"},\"region\":\"US-IL\""));
    { /* the whole rates_stale object, its message as snprintf wrote it before issue 21 */
        char want[1024];
        snprintf(want, sizeof want,
                 "\"rates_stale\":{\"message\":\"the rates come from %s %s, which levy counts "
                 "as current for dates before %s; the date asked for is %s, so newer official "
                 "rates may apply: bring in the newer file (levy rates update or levy rates "
                 "import)\",\"source\":\"%s\",\"stale_after\":\"%s\",\"vintage\":\"%s\"}",
                 "avalara-zip5", "2025-12", "2026-03-01", "2026-03-01", "avalara-zip5",
                 "2026-03-01", "2025-12");
        CHECK(strstr(b.data, want) != NULL);
    }
    /* a sales-tax entry has no name */
    CHECK(strstr(b.data, "\"level\":\"state\",\"percentage\""));
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    /* with a tax_id_invalid note first */
    snprintf(f.d.tax_id_note, sizeof f.d.tax_id_note, "bad id");
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    CHECK(strstr(b.data, "\"notes\":[{\"code\":\"tax_id_invalid\",\"message\":\"bad id\"},"
                         "{\"code\":\"local_tax_uncertain\""));
    /* the note's checks */
    levy_tax_decision d;
    memset(&d, 0, sizeof d);
    CHECK_EQ_INT(levy_tax_decision_add_note(&d, "", "x"), -1);
    CHECK_EQ_INT(levy_tax_decision_add_note(&d, "Bad-Code", "x"), -1);
    char longc[LEVY_TAX_NOTE_CODE_MAX + 1];
    memset(longc, 'a', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    CHECK_EQ_INT(levy_tax_decision_add_note(&d, longc, "x"), -1);
    char longm[LEVY_TAX_NOTE_MAX + 8];
    memset(longm, 'a', sizeof longm - 1);
    longm[sizeof longm - 1] = '\0';
    memcpy(longm + LEVY_TAX_NOTE_MAX - 2, "\xc3\xa9", 2); /* é across the cut */
    CHECK_EQ_INT(levy_tax_decision_add_note(&d, "n0", longm), 0);
    CHECK_EQ_INT((int)strlen(d.rule_note[0].message), LEVY_TAX_NOTE_MAX - 2);
    for (int k = 1; k < LEVY_TAX_RULE_NOTES; k++) {
        char c[8];
        snprintf(c, sizeof c, "n%d", k);
        CHECK_EQ_INT(levy_tax_decision_add_note(&d, c, "m"), 0);
    }
    CHECK_EQ_INT(levy_tax_decision_add_note(&d, "one_more", "m"), -1);
    CHECK_EQ_INT(d.nrule_notes, LEVY_TAX_RULE_NOTES);
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
static const levy_tax_rule ct_rule = {.region = "US-CT",
                                      .sourcing = LEVY_SOURCING_DESTINATION,
                                      .reverse_charge = LEVY_RC_NONE,
                                      .has_calculate = 0,
                                      .ncodes = 3,
                                      .codes = ct_codes,
                                      .ntreat = 7,
                                      .treat = ct_treat};

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
    f.req.stored =
        (levy_tax_customer_rec){1, 0, 0, 0, none, NULL, LEVY_CUSTOMER_BUSINESS, 0, NULL, NULL};
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

/* Delivery that follows the goods (issue 19 "Shipping follows the goods"): shipping of exempt
 * goods is exempt, a mixed shipment is taxed on the taxable share by price, per jurisdiction;
 * "follows_goods_any" taxes it in full when any goods line is taxed. Texas 78701: state 6.25 %,
 * city 1 %, district 1 %. */
static const levy_tax_treatment ship_treat[] = {
    {.kind = LEVY_TREAT_FOLLOWS, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT_LEVELS, .mask = 1u << LEVY_LEVEL_STATE, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_FOLLOWS_ANY, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_THRESHOLD, .text = "50.00", .text_len = 5, .below = 0, .above = -1},
};
static const levy_tax_code_row ship_codes[] = {
    {"shipping", 0}, {"food_grocery", 1}, {"clothing", 2}, {"training", 4}};
static const levy_tax_rule ship_rule = {.region = "US-TX",
                                        .sourcing = LEVY_SOURCING_DESTINATION,
                                        .reverse_charge = LEVY_RC_NONE,
                                        .has_calculate = 0,
                                        .ncodes = 4,
                                        .codes = ship_codes,
                                        .ntreat = 5,
                                        .treat = ship_treat};
static const levy_tax_rule ship_rule_calc = {.region = "US-TX",
                                             .sourcing = LEVY_SOURCING_DESTINATION,
                                             .reverse_charge = LEVY_RC_NONE,
                                             .has_calculate = 1,
                                             .ncodes = 4,
                                             .codes = ship_codes,
                                             .ntreat = 5,
                                             .treat = ship_treat};
static const levy_tax_code_row ship_any_codes[] = {
    {"shipping", 3}, {"food_grocery", 1}, {"clothing", 2}};
static const levy_tax_rule ship_any_rule = {.region = "US-TX",
                                            .sourcing = LEVY_SOURCING_DESTINATION,
                                            .reverse_charge = LEVY_RC_NONE,
                                            .has_calculate = 0,
                                            .ncodes = 3,
                                            .codes = ship_any_codes,
                                            .ntreat = 5,
                                            .treat = ship_treat};

static void add_line(fixture *f, const char *amount, const char *code)
{
    int i = f->req.nlines++;
    levy_tax_dec_parse(amount, strlen(amount), f->req.exponent, f->req.exponent, 1,
                       &f->lines[i].amount);
    f->lines[i].qty = LEVY_TAX_QTY_ONE;
    f->meta[i].id = "n";
    f->meta[i].idlen = 1;
    f->meta[i].tax_code = code;
}

static void ship_setup(fixture *f, const levy_tax_rule *r, const char *goods, const char *code)
{
    setup(f, "USD", goods, code);
    addr(&f->req.ship_to, "US", "TX", "78701");
    f->rule = r;
}

static void t_shipping(void)
{
    fixture f;
    /* taxable goods: the delivery is taxable in full */
    ship_setup(&f, &ship_rule, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.83");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_STANDARD);
    /* exempt goods: the delivery is exempt (not listed) */
    ship_setup(&f, &ship_rule, "100.00", "food_grocery");
    add_line(&f, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.00");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_PRODUCT_EXEMPT);
    CHECK_EQ_INT(f.lines[1].n, 0);
    /* mixed, shipping first: $100 taxable of $400 -> 25 % of $20 = $5.00 taxable, 0.41 */
    ship_setup(&f, &ship_rule, "20.00", "shipping");
    add_line(&f, "100.00", "general");
    add_line(&f, "300.00", "food_grocery");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "0.41");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PARTIAL);
    CHECK_EQ_INT(f.lines[0].taxable, 500);
    CHECK_EQ_STR(tax_of(&f, 1), "8.25");
    CHECK_EQ_STR(tax_of(&f, -1), "8.66");
    /* the same with follows_goods_any: taxed in full */
    f.rule = &ship_any_rule;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "1.65");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_STANDARD);
    /* per jurisdiction: goods exempt from the state level only -> delivery too (2 % of 10) */
    ship_setup(&f, &ship_rule, "100.00", "clothing");
    add_line(&f, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.20");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_PARTIAL);
    CHECK_EQ_INT(f.lines[1].n, 2);
    /* a credit mirrors the sale: -$100 goods and -$10 delivery */
    ship_setup(&f, &ship_rule, "-100.00", "general");
    add_line(&f, "-10.00", "shipping");
    add_line(&f, "-100.00", "food_grocery");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "-0.41");
    /* no goods on the document: levy cannot see what was shipped, the delivery is taxed */
    ship_setup(&f, &ship_rule, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "0.83");
    /* a customer exemption still wins */
    ship_setup(&f, &ship_rule, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    f.req.customer_exempt = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_CUSTOMER_EXEMPT);
    /* the rule's calculate changes the goods: the delivery follows them as left. The state
     * rate of the goods set to 0 -> the delivery's state entry goes (2 % of 10) */
    ship_setup(&f, &ship_rule_calc, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    f.set_rate = 0;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 1);
    CHECK_EQ_STR(tax_of(&f, 1), "0.20");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_PARTIAL);
    CHECK_EQ_INT(f.lines[1].n, 2);
    /* a unit window on the goods ($50 of a $100 item taxed): half the delivery, 0.41 */
    ship_setup(&f, &ship_rule_calc, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    f.set_unit_to = 5000;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "4.13");
    CHECK_EQ_STR(tax_of(&f, 1), "0.41");
    CHECK_EQ_INT(f.lines[1].e[0].fraction, 50000000);
    /* follows_goods as a threshold's branch is a rule error (it needs the other lines) */
    ship_setup(&f, &ship_rule, "10.00", "training");
    CHECK(decide(&f) != LEVY_OK);
    CHECK_EQ_INT(f.p.error, LEVY_TAX_ERR_RULE);
end:;
}

/* Mandatory delivery (issue 19, IL 130.415 / FL 12A-1.045(3)(a)): shipping = { pickup_offered =
 * "exempt", ship_only = "follows_goods" } picks the branch by the seller's setting
 * (req.pickup_offered); the ship_only branch follows the goods like a row of its own, also
 * when the delivery line comes first. Texas 78701 rates. */
static const levy_tax_treatment pick_treat[] = {
    {.kind = LEVY_TREAT_BY_PICKUP, .below = -1, .above = -1, .pickup = 1, .ship_only = 2},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_FOLLOWS, .below = -1, .above = -1},
    /* 3: training = { pickup_offered = "exempt" } (ship_only absent: taxable) */
    {.kind = LEVY_TREAT_BY_PICKUP, .below = -1, .above = -1, .pickup = 1, .ship_only = -1},
};
static const levy_tax_code_row pick_codes[] = {
    {"shipping", 0}, {"food_grocery", 1}, {"training", 3}};
static const levy_tax_rule pick_rule = {.region = "US-TX",
                                        .sourcing = LEVY_SOURCING_DESTINATION,
                                        .reverse_charge = LEVY_RC_NONE,
                                        .has_calculate = 0,
                                        .ncodes = 3,
                                        .codes = pick_codes,
                                        .ntreat = 4,
                                        .treat = pick_treat};

static void t_pickup(void)
{
    fixture f;
    /* ship-only (the default): the delivery of taxable goods is taxed */
    ship_setup(&f, &pick_rule, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.83");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_STANDARD);
    /* pick-up offered: the same delivery is exempt */
    ship_setup(&f, &pick_rule, "100.00", "general");
    add_line(&f, "10.00", "shipping");
    f.req.pickup_offered = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.00");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_PRODUCT_EXEMPT);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    /* ship-only, exempt goods: the delivery follows them, exempt */
    ship_setup(&f, &pick_rule, "100.00", "food_grocery");
    add_line(&f, "10.00", "shipping");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 1), "0.00");
    CHECK_EQ_INT(f.lines[1].reason, LEVY_REASON_PRODUCT_EXEMPT);
    /* ship-only, mixed, the delivery first: decided after the goods, 25 % of $20 -> 0.41 */
    ship_setup(&f, &pick_rule, "20.00", "shipping");
    add_line(&f, "100.00", "general");
    add_line(&f, "300.00", "food_grocery");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "0.41");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PARTIAL);
    /* an absent branch is taxable */
    ship_setup(&f, &pick_rule, "100.00", "training");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "8.25");
    ship_setup(&f, &pick_rule, "100.00", "training");
    f.req.pickup_offered = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, 0), "0.00");
end:;
}

/* Taxability with dates (issue 19): a dated row list picks the row whose window holds the
 * document date; no row: the rule's default row (or the built-in fallback). Texas 78701. */
static const levy_tax_treatment dated_treat[] = {
    {.kind = LEVY_TREAT_DATED, .to = 20250930, .inner = 2, .next = 1, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_DATED, .from = 20251001, .inner = 3, .next = -1, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_EXEMPT, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_FRACTION, .value = 50000000, .below = -1, .above = -1},
    {.kind = LEVY_TREAT_DATED, .from = 20260101, .inner = 3, .next = -1, .below = -1, .above = -1},
};
static const levy_tax_code_row dated_codes[] = {{"saas", 0}, {"training", 4}};
static const levy_tax_rule dated_rule = {.region = "US-TX",
                                         .sourcing = LEVY_SOURCING_DESTINATION,
                                         .reverse_charge = LEVY_RC_NONE,
                                         .has_calculate = 0,
                                         .ncodes = 2,
                                         .codes = dated_codes,
                                         .ntreat = 5,
                                         .treat = dated_treat};
static const levy_tax_code_row dated_def_codes[] = {{"training", 4}, {"default", 2}};
static const levy_tax_rule dated_def_rule = {.region = "US-TX",
                                             .sourcing = LEVY_SOURCING_DESTINATION,
                                             .reverse_charge = LEVY_RC_NONE,
                                             .has_calculate = 0,
                                             .ncodes = 2,
                                             .codes = dated_def_codes,
                                             .ntreat = 5,
                                             .treat = dated_treat};

static void t_dated(void)
{
    fixture f;
    ship_setup(&f, &dated_rule, "100.00", "saas");
    f.req.date = 20250930; /* the last day of the first row */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PRODUCT_EXEMPT);
    f.req.date = 20251001; /* the first day of the second */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "4.13");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_PARTIAL);
    /* a single row: before it, no default row -> the built-in fallback (taxable) */
    ship_setup(&f, &dated_rule, "100.00", "training");
    f.req.date = 20251231;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    f.req.date = 20260101;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "4.13");
    /* ... with a default row: before it, the default (exempt) */
    f.rule = &dated_def_rule;
    f.req.date = 20251231;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK_EQ_INT(levy_tax_rule_at(&dated_def_rule, 4, 20251231), 2);
    CHECK_EQ_INT(levy_tax_rule_at(&dated_def_rule, 4, 20260101), 3);
    CHECK_EQ_INT(levy_tax_rule_at(&dated_def_rule, -1, 20260101), -1);
end:;
}

/* The request's currency and date, and the values handed to calculate(ctx) and read back
 * from it (moved out of core/lua/bind_tax.c, issue 18). */
static void t_ctx_values(void)
{
    levy_tax_request req;
    memset(&req, 0, sizeof req);
    CHECK_EQ_INT(levy_tax_request_currency(&req, "usd", 3), 0);
    CHECK_EQ_STR(req.currency, "USD");
    CHECK_EQ_INT(req.exponent, 2);
    CHECK_EQ_INT(levy_tax_request_currency(&req, "jPy", 3), 0);
    CHECK_EQ_STR(req.currency, "JPY");
    CHECK_EQ_INT(req.exponent, 0);
    CHECK_EQ_INT(levy_tax_request_currency(&req, "XXQ", 3), -1);
    CHECK_EQ_INT(req.exponent, -1);
    CHECK_EQ_INT(levy_tax_request_currency(&req, "USDX", 4), -1);
    CHECK_EQ_INT(req.exponent, -1);
    CHECK_EQ_INT(levy_tax_request_currency(&req, "", 0), -1);
    int32_t today = levy_tax_today();
    char db[11];
    levy_tax_date_fmt(db, today);
    int32_t back = 0;
    CHECK_EQ_INT(levy_tax_date_parse(db, strlen(db), &back), 0);
    CHECK_EQ_INT(back, today);
    CHECK(today > 20250101 && today < 21000101);

    char b[96];
    CHECK_EQ_INT((int)levy_tax_fmt_quantity(b, LEVY_TAX_QTY_ONE * 2), 1);
    CHECK_EQ_STR(b, "2");
    levy_tax_fmt_quantity(b, 500000);
    CHECK_EQ_STR(b, "0.5");
    levy_tax_fmt_quantity(b, 1);
    CHECK_EQ_STR(b, "0.000001");
    levy_tax_fmt_quantity(b, LEVY_TAX_MAX_QTY);
    CHECK_EQ_STR(b, "1000000000");
    levy_tax_fmt_quantity(b, 10 * LEVY_TAX_QTY_ONE);
    CHECK_EQ_STR(b, "10");

    levy_tax_line l;
    memset(&l, 0, sizeof l);
    l.amount = 1000; /* 10.00 / 3: truncated at 8 decimals, sticky 1 */
    l.qty = 3 * LEVY_TAX_QTY_ONE;
    levy_tax_fmt_unit_amount(b, &l, 2);
    CHECK_EQ_STR(b, "3.333333331");
    l.amount = 1200; /* (12.00 - 2.00) / 4 */
    l.discount = 200;
    l.qty = 4 * LEVY_TAX_QTY_ONE;
    levy_tax_fmt_unit_amount(b, &l, 2);
    CHECK_EQ_STR(b, "2.50");
    l.amount = 5000; /* JPY: no trailing '.' (issue 15) */
    l.discount = 0;
    l.qty = LEVY_TAX_QTY_ONE;
    levy_tax_fmt_unit_amount(b, &l, 0);
    CHECK_EQ_STR(b, "5000");
    l.amount = 10000000; /* 100000.00 / 0.000001: no int64 wrap (issue 15) */
    l.qty = 1;
    levy_tax_fmt_unit_amount(b, &l, 2);
    CHECK_EQ_STR(b, "100000000000.00");

    levy_tax_entry en;
    memset(&en, 0, sizeof en);
    char msg[128];
    en.rate = 8250000;
    en.fraction = LEVY_TAX_RATE_ONE;
    en.unit_from = en.unit_to = -1;
    CHECK_EQ_INT(levy_tax_entry_check(&en, 1, msg, sizeof msg), 0);
    en.rate = LEVY_TAX_MAX_RATE;
    en.unit_from = 0;
    en.unit_to = LEVY_TAX_MAX_MINOR;
    CHECK_EQ_INT(levy_tax_entry_check(&en, 1, msg, sizeof msg), 0);
    en.fraction = LEVY_TAX_RATE_ONE + 1;
    CHECK_EQ_INT(levy_tax_entry_check(&en, 1, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "calculate(ctx): fraction must be between 0 and 1");
    en.fraction = 0;
    en.unit_to = LEVY_TAX_MAX_MINOR + 1;
    CHECK_EQ_INT(levy_tax_entry_check(&en, 2, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg,
                 "calculate(ctx): taxes[2]: unit_from/unit_to above 1000000000000 minor units");
    en.unit_to = -1;
    en.rate = LEVY_TAX_MAX_RATE + 1;
    CHECK_EQ_INT(levy_tax_entry_check(&en, 3, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "calculate(ctx): taxes[3].percentage above 1000");

    /* request checks: the US zip, the line count */
    levy_tax_problem p;
    levy_tax_problem_clear(&p);
    levy_tax_addr a;
    memset(&a, 0, sizeof a);
    levy_tax_addr_country(&a, "ship_to.country", "US", 2, &p);
    levy_tax_addr_zip(&a, "ship_to.zip_code", NULL, 0, &p); /* optional address: no detail */
    CHECK_EQ_INT(p.ndetails, 0);
    levy_tax_addr_zip(&a, "ship_to.zip_code", NULL, 1, &p);
    CHECK_EQ_INT(p.ndetails, 1);
    CHECK_EQ_STR(p.details[0].field, "ship_to.zip_code");
    CHECK_EQ_STR(p.details[0].message, "is required for US addresses");
    levy_tax_addr_zip(&a, "ship_to.zip_code", "78701", 1, &p);
    CHECK(p.ndetails == 1 && strcmp(a.zip, "78701") == 0);
    levy_tax_addr_country(&a, "ship_to.country", "DE", 2, &p);
    levy_tax_addr_zip(&a, "ship_to.zip_code", NULL, 1, &p);
    CHECK_EQ_INT(p.ndetails, 1);
    levy_tax_problem_clear(&p);
    CHECK_EQ_INT(levy_tax_lines_count(1, &p), 1);
    CHECK_EQ_INT(levy_tax_lines_count(LEVY_TAX_MAX_LINES, &p), LEVY_TAX_MAX_LINES);
    CHECK_EQ_INT(p.ndetails, 0);
    CHECK_EQ_INT(levy_tax_lines_count(0, &p), 0);
    CHECK_EQ_STR(p.details[0].message, "must have at least one line");
    CHECK_EQ_INT(levy_tax_lines_count(LEVY_TAX_MAX_LINES + 1, &p), 0);
    CHECK_EQ_STR(p.details[1].field, "lines");
    CHECK_EQ_STR(p.details[1].message, "has more than 1000 lines");

    /* line ids given as numbers, customer.type */
    levy_tax_line_meta m;
    memset(&m, 0, sizeof m);
    levy_tax_line_id_number(&m, 42);
    CHECK(m.id == m.idbuf && m.idlen == 2 && strcmp(m.id, "42") == 0);
    levy_tax_line_id_number(&m, -9223372036854775807LL - 1);
    CHECK_EQ_STR(m.id, "-9223372036854775808");
    CHECK_EQ_INT((int)m.idlen, 20);
    levy_tax_problem_clear(&p);
    CHECK_EQ_INT(levy_tax_customer_type_field(NULL, &p), LEVY_CUSTOMER_UNSET);
    CHECK_EQ_INT(levy_tax_customer_type_field("business", &p), LEVY_CUSTOMER_BUSINESS);
    CHECK_EQ_INT(levy_tax_customer_type_field("individual", &p), LEVY_CUSTOMER_INDIVIDUAL);
    CHECK_EQ_INT(p.ndetails, 0);
    CHECK_EQ_INT(levy_tax_customer_type_field("Business", &p), LEVY_CUSTOMER_UNSET);
    CHECK_EQ_INT(p.ndetails, 1);
    CHECK_EQ_STR(p.details[0].field, "customer.type");
    CHECK_EQ_STR(p.details[0].message, "must be \"business\" or \"individual\"");
    CHECK_EQ_INT(levy_tax_customer_type_field("trade", NULL), LEVY_CUSTOMER_UNSET);
    CHECK_EQ_INT(levy_tax_customer_type_field("business", NULL), LEVY_CUSTOMER_BUSINESS);

    /* a region's subscription */
    CHECK_EQ_INT(levy_tax_subscription_on(1, -1, NULL, 0, 20260101), 1);
    CHECK_EQ_INT(levy_tax_subscription_on(1, 1, NULL, 0, 20260101), 1);
    CHECK_EQ_INT(levy_tax_subscription_on(0, 1, NULL, 0, 20260101), 0);
    CHECK_EQ_INT(levy_tax_subscription_on(1, 0, NULL, 0, 20260101), 0);
    CHECK_EQ_INT(levy_tax_subscription_on(1, -1, "2026-01-01", 10, 20260101), 1);
    CHECK_EQ_INT(levy_tax_subscription_on(1, -1, "2026-01-01", 10, 20251231), 0);
    CHECK_EQ_INT(levy_tax_subscription_on(1, -1, "soon", 4, 20251231), 1);
end:;
}

/* Product taxonomy (issue 19): a refinement the rule has no row for is decided by its
 * parent's row and flagged (the note taxability_fallback); a row of its own wins; the parent
 * also decides the built-in fallback (gift_card -> exempt); no rule, no note. */
static void t_taxonomy(void)
{
    fixture f;
    levy_buf b = {0};
    int k_iaas = levy_tax_code_index("iaas_paas");
    CHECK(levy_tax_ncodes >= 40 && levy_tax_ncodes <= LEVY_TAX_MAX_CODES);
    for (int i = 0; i < levy_tax_ncodes; i++) {
        const char *par = levy_tax_codes[i].parent;
        CHECK(i < 10 ? par == NULL
                     : par && levy_tax_code_parent(par) == NULL && levy_tax_code_index(par) >= 0 &&
                           levy_tax_code_index(par) < 10);
    }
    CHECK_EQ_STR(levy_tax_code_parent("custom_software"), "software_download");
    CHECK_EQ_STR(levy_tax_code_root("general"), "general");
    CHECK_EQ_STR(levy_tax_code_root("hardware"), "general");
    CHECK(levy_tax_code_parent("saas") == NULL && levy_tax_code_parent("nope") == NULL);
    /* no row for iaas_paas: the saas row (80 %), flagged */
    setup(&f, "USD", "100.00", "iaas_paas");
    f.rule = &tx_dest;
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "6.60");
    CHECK(f.d.fallback[0] == (uint64_t)1 << k_iaas && f.d.fallback[1] == 0);
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    CHECK(b.data && strstr(b.data, "\"notes\":[{\"code\":\"taxability_fallback\",\"message\":"
                                   "\"US-TX has no cited row for tax code 'iaas_paas'"));
    CHECK(strstr(b.data, "\"parent\":\"saas\",\"region\":\"US-TX\",\"tax_code\":\"iaas_paas\"}]"));
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    /* the old code itself: no flag, no notes */
    setup(&f, "USD", "100.00", "saas");
    f.rule = &tx_dest;
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "6.60");
    CHECK(f.d.fallback[0] == 0);
    CHECK_EQ_INT(
        levy_tax_result_json(&b, &f.req, &f.d, "calc_1", 6, "2026-03-01", NULL, "src", NULL), 0);
    CHECK(b.data && !strstr(b.data, "\"notes\""));
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    /* data_processing -> professional_services (exempt) */
    setup(&f, "USD", "100.00", "data_processing");
    f.rule = &tx_dest;
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(f.d.fallback[0] == (uint64_t)1 << levy_tax_code_index("data_processing"));
    /* gift_card: the rule has neither its row nor its parent's (exempt) nor a default: the
     * built-in fallback of the parent, exempt */
    setup(&f, "USD", "100.00", "gift_card");
    f.rule = &tx_dest;
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    /* no rule for the region: taxable, nothing to fall back from */
    setup(&f, "USD", "100.00", "iaas_paas");
    addr(&f.req.ship_to, "US", "TX", "78701");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    CHECK(f.d.fallback[0] == 0);
end:
    levy_buf_free(&b);
}

/* A rule's calculate_for (issues 18/21): the callback runs only for a request with a line whose
 * code, or its parent, is listed; a rule without the declaration gets it for every request. */
static void t_calc_for(void)
{
    fixture f;
    static const levy_tax_rule tx_books = {.region = "US-TX",
                                           .sourcing = LEVY_SOURCING_DESTINATION,
                                           .has_calculate = 1,
                                           .ncalc_for = 2,
                                           .calc_for = {"training", "digital_goods"}};
    static const levy_tax_rule tx_always = {
        .region = "US-TX", .sourcing = LEVY_SOURCING_DESTINATION, .has_calculate = 1};
    /* no line listed: not called, the answer as without calculate */
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_books;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 0);
    CHECK_EQ_STR(tax_of(&f, -1), "8.25");
    /* a listed code */
    setup(&f, "USD", "100.00", "training");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_books;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 1);
    /* a code whose parent is listed (digital_books -> digital_goods), as the second line */
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.req.nlines = 2;
    f.lines[1] = f.lines[0];
    f.meta[1] = f.meta[0];
    f.meta[1].id = "2";
    f.meta[1].tax_code = "digital_books";
    f.rule = &tx_books;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 1);
    CHECK_EQ_INT(levy_tax_rule_calc_wanted(&tx_books, f.meta, 1, 20260301, 0), 0);
    CHECK_EQ_INT(levy_tax_rule_calc_wanted(&tx_books, f.meta, 2, 20260301, 0), 1);
    /* no declaration: called for any line */
    setup(&f, "USD", "100.00", "general");
    addr(&f.req.ship_to, "US", "TX", "78701");
    f.rule = &tx_always;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.calls, 1);
    CHECK_EQ_INT(levy_tax_rule_calc_wanted(NULL, f.meta, 1, 20260301, 0), 0);
    /* calculate_before (issue 19: a regime's start for every line): called for any line dated
     * before the day, and by calculate_for from that day on */
    {
        static const levy_tax_rule eu_like = {.region = "US-TX",
                                              .sourcing = LEVY_SOURCING_DESTINATION,
                                              .has_calculate = 1,
                                              .ncalc_for = 1,
                                              .calc_for = {"digital_goods"},
                                              .calc_before = 20030701};
        setup(&f, "USD", "100.00", "general");
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&eu_like, f.meta, 1, 20030630, 0), 1);
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&eu_like, f.meta, 1, 20030701, 0), 0);
        /* alone: only before the day (Canada's regimes: scripts/ca/gst.lua) */
        static const levy_tax_rule ca_like = {.region = "CA",
                                              .sourcing = LEVY_SOURCING_DESTINATION,
                                              .has_calculate = 1,
                                              .calc_before = 20210701};
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&ca_like, f.meta, 1, 20210630, 0), 1);
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&ca_like, f.meta, 1, 20210701, 0), 0);
    }
    /* calculate_election (issue 19, law24: a remote seller's flat-rate option): called when the
     * seller made the election, whatever the lines' codes; alone, only then */
    {
        int ssut = levy_tax_election_index("us_al_ssut", 10);
        CHECK(ssut >= 0);
        CHECK_EQ_STR(levy_tax_election_name(ssut), "us_al_ssut");
        CHECK_EQ_INT(levy_tax_election_index("us_al_ssu", 9), -1);
        CHECK(levy_tax_election_name(LEVY_TAX_NELECTIONS) == NULL);
        levy_tax_rule al_like = {.region = "US-AL",
                                 .sourcing = LEVY_SOURCING_DESTINATION,
                                 .has_calculate = 1,
                                 .ncalc_for = 1,
                                 .calc_for = {"food_grocery"},
                                 .calc_elections = 1u << ssut};
        setup(&f, "USD", "100.00", "general");
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&al_like, f.meta, 1, 20260301, 0), 0);
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&al_like, f.meta, 1, 20260301, 1u << ssut), 1);
        /* another election does not run it */
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&al_like, f.meta, 1, 20260301, ~(1u << ssut)), 0);
        al_like.ncalc_for = 0;
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&al_like, f.meta, 1, 20260301, 0), 0);
        CHECK_EQ_INT(levy_tax_rule_calc_wanted(&al_like, f.meta, 1, 20260301, 1u << ssut), 1);
        /* through the decision: the request's elections */
        addr(&f.req.ship_to, "US", "TX", "78701");
        al_like.region = "US-TX";
        f.rule = &al_like;
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_INT(f.calls, 0);
        setup(&f, "USD", "100.00", "general");
        addr(&f.req.ship_to, "US", "TX", "78701");
        f.rule = &al_like;
        f.req.elections = 1u << ssut;
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_INT(f.calls, 1);
    }
end:;
}

/* Quebec QST numbers of the regular system (issue 19, reverse_charge = "b2b_qst_specified"):
 * 10 digits, TQ, 4 digits; spaces and lower case accepted; NR (specified system) is not one */
static void t_qst_number(void)
{
    CHECK_EQ_INT(levy_tax_qst_number_valid("1234567890TQ0001"), 1);
    CHECK_EQ_INT(levy_tax_qst_number_valid("1234567890 tq 0001"), 1);
    CHECK_EQ_INT(levy_tax_qst_number_valid("1234567890NR0001"), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid("123456789TQ0001"), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid("1234567890TQ00012"), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid("12345678X0TQ0001"), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid("123456782RT0001"), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid(""), 0);
    CHECK_EQ_INT(levy_tax_qst_number_valid(NULL), 0);
    CHECK_EQ_INT(levy_tax_reverse_charge_from("b2b_qst_specified"), LEVY_RC_B2B_QST_SPECIFIED);
end:;
}

/* A foreign-seller regime not yet in force for one tax of a line (issue 19): Quebec's QST
 * from 2019, the GST/HST of non-residents from 2021-07-01. One region's calculate putting the
 * line out of scope removes only its own taxes; the line stays taxed by the other region (its
 * reason as before), and is out of scope only when no region's tax is left. */
static void t_oos_per_group(void)
{
    fixture f;
    static const levy_tax_rule ca = {
        .region = "CA", .sourcing = LEVY_SOURCING_DESTINATION, .has_calculate = 1};
    static const levy_tax_rule qc = {
        .region = "CA-QC", .sourcing = LEVY_SOURCING_DESTINATION, .has_calculate = 1};
    const char *cases[3][2] = {{"CA-QC", NULL}, {"CA", NULL}, {"CA", "CA-QC"}};
    const char *want[3] = {"5.00", "9.98", "0.00"};
    int reason[3] = {LEVY_REASON_STANDARD, LEVY_REASON_STANDARD, LEVY_REASON_OUT_OF_SCOPE};
    for (int c = 0; c < 3; c++) {
        setup(&f, "CAD", "100.00", "saas");
        addr(&f.req.ship_to, "CA", "QC", "H2Y 1C6");
        f.rule = &ca;
        f.rule2 = &qc;
        f.oos[0] = cases[c][0];
        f.oos[1] = cases[c][1];
        CHECK_EQ_INT(decide(&f), LEVY_OK);
        CHECK_EQ_INT(f.calls, 2);
        CHECK_EQ_STR(tax_of(&f, -1), want[c]);
        CHECK_EQ_INT(f.lines[0].reason, reason[c]);
    }
end:;
}

/* Issue 19: the QST number stored on the customer (opts.customers[id].qst_number) decides as
 * the request's customer.qst_number does, for a request naming that customer; the request's
 * own number wins; without a customer id the stored record is not read. */
static int has_note(const levy_tax_decision *d, const char *code)
{
    for (int i = 0; i < d->nrule_notes; i++)
        if (strcmp(d->rule_note[i].code, code) == 0)
            return 1;
    return 0;
}

static void t_qst_stored(void)
{
    fixture f;
    static const levy_tax_rule ca = {
        .region = "CA", .sourcing = LEVY_SOURCING_DESTINATION, .has_calculate = 1};
    static const levy_tax_rule qc = {.region = "CA-QC",
                                     .sourcing = LEVY_SOURCING_DESTINATION,
                                     .reverse_charge = LEVY_RC_B2B_QST_SPECIFIED,
                                     .has_calculate = 1};
    setup(&f, "CAD", "100.00", "saas");
    addr(&f.req.ship_to, "CA", "QC", "H2Y 1C6");
    addr(&f.req.seller, "US", "WA", "98101");
    f.rule = &ca;
    f.rule2 = &qc;
    f.req.qst_specified = 1;
    f.req.customer_id = "b2b-qc";
    f.req.stored = (levy_tax_customer_rec){
        1, 0, 0, 0, NULL, NULL, LEVY_CUSTOMER_UNSET, 0, NULL, "1234567890TQ0001"};
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "5.00");
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    CHECK(has_note(&f.d, "qst_registrant"));
    /* the request's own number wins over the stored one */
    f.req.qst_number = "N/A";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "14.98");
    CHECK(has_note(&f.d, "qst_number_invalid"));
    /* no customer id: the stored record is not this request's customer */
    f.req.qst_number = NULL;
    f.req.customer_id = NULL;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "14.98");
    CHECK(!has_note(&f.d, "qst_registrant"));
    /* a stored NR number is no registration of the regular system */
    f.req.customer_id = "b2b-qc";
    f.req.stored.qst_number = "NR00012345";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "14.98");
    CHECK(has_note(&f.d, "qst_number_invalid"));
end:;
}

/* Every decision test again with the rules indexed as levy_tax_rule_compile leaves them (issue
 * 21: the treatment, own row, place_of_supply and calculate_for of a built-in code from the
 * index): the same answers as by name. */
static void t_indexed(void);

static void t_free(void)
{
    levy_rates_free(R);
    R = NULL;
}

/* ---- the JSON reader's fast steps (issue 21, h-json21) against the general ones */
typedef struct fast_case {
    int fast; /* 1: levy_tax_out_keyn / _dec; 0: key / str of the formatted text */
} fast_case;

static const char *const fast_keys[] = {"",
                                        "a",
                                        "id",
                                        "tax",
                                        "rate",
                                        "level",
                                        "amount",
                                        "currency",
                                        "taxability_reason",
                                        "exemption_certificate_id",
                                        "a_key_of_thirty_two_bytes_long_",
                                        "a_key_of_thirty_three_bytes_long_"};
static const int64_t fast_values[] = {0,
                                      1,
                                      -1,
                                      5,
                                      -5,
                                      9,
                                      10,
                                      -10,
                                      99,
                                      100,
                                      101,
                                      1234,
                                      -1234,
                                      100000,
                                      6250000,
                                      8250000,
                                      10000000,
                                      -6250000,
                                      123456789,
                                      1000000000,
                                      INT64_MAX,
                                      INT64_MIN,
                                      INT64_MIN + 1,
                                      999999999999999999LL,
                                      -100000000000000000LL};

/* The same object, written once with the fast steps and once with the general ones. */
static int w_fast(levy_tax_out *o, void *arg)
{
    const fast_case *fc = arg;
    int first = 1;
    o->open(o, 0, 0);
    for (size_t k = 0; k < LEVY_ARRAY_LEN(fast_keys); k++) {
        if (fc->fast)
            levy_tax_out_keyn(o, fast_keys[k], strlen(fast_keys[k]), first);
        else
            o->key(o, fast_keys[k], first);
        first = 0;
        o->open(o, 1, 0);
        for (size_t v = 0; v < LEVY_ARRAY_LEN(fast_values); v++)
            for (int scale = 0; scale <= 20; scale++)
                for (int min = 0; min <= scale; min += 1 + scale / 3) {
                    if (fc->fast) {
                        levy_tax_out_dec(o, fast_values[v], scale, min);
                    } else { /* levy_tax_fmt_scaled, trailing fractional zeros dropped */
                        char t[64];
                        size_t n = levy_tax_fmt_scaled(t, fast_values[v], scale);
                        int sc = scale;
                        for (; sc > min && t[n - 1] == '0'; sc--)
                            n--;
                        if (scale > 0 && sc == 0) /* no fractional digit left: no point */
                            n--;
                        o->str(o, t, n);
                    }
                }
        for (size_t v = 0; v < LEVY_ARRAY_LEN(fast_values); v++)
            o->num(o, fast_values[v]);
        o->close(o, 1);
    }
    o->close(o, 0);
    return 0;
}

/* A rate written through dec at (6, 2): levy_tax_fmt_percent's text. */
static int w_percent(levy_tax_out *o, void *arg)
{
    levy_tax_out_dec(o, *(const int64_t *)arg, 6, 2);
    return 0;
}

static void t_json_fast(void)
{
    levy_buf a = {0}, b = {0}, p = {0};
    fast_case f = {1}, g = {0};
    CHECK_EQ_INT(levy_tax_json_write(&a, w_fast, &f), 0);
    CHECK_EQ_INT(levy_tax_json_write(&b, w_fast, &g), 0);
    CHECK_EQ_INT(a.len, b.len);
    CHECK_EQ_STR(a.data, b.data);
    CHECK(strstr(a.data, "\"amount\":[\"0\",\"0\",\"0.0\",\"0\",\"0.0\",\"0.00\",") != NULL);
    CHECK(strstr(a.data, ",\"-9223372036854775808\",\"-922337203685477580.8\",") != NULL);
    CHECK(strstr(a.data, "9223372036854775807,-9223372036854775808,-9223372036854775807,") != NULL);
    for (size_t v = 0; v < LEVY_ARRAY_LEN(fast_values); v++) {
        char want[64];
        want[0] = '"';
        size_t n = levy_tax_fmt_percent(want + 1, fast_values[v]);
        want[n + 1] = '"';
        want[n + 2] = '\0';
        p.len = 0;
        CHECK_EQ_INT(levy_tax_json_write(&p, w_percent, (void *)&fast_values[v]), 0);
        CHECK_EQ_STR(p.data, want);
    }
end:
    free(a.data);
    free(b.data);
    free(p.data);
}

/* place_of_supply (issue 19; docs/rules.md section 2, "Place of supply"): before its `to` a
 * listed line sold by a seller of another country of a listed region takes the seller's
 * jurisdictions (the supplier's member state), with the note place_of_supply; from the next
 * day, for a seller outside the listed regions, for a reverse-charged sale, for another code
 * or a seller of the ship-to's own country, nothing changes. */
static const levy_tax_rule eu_pos = {.region = "EU",
                                     .sourcing = LEVY_SOURCING_DESTINATION,
                                     .reverse_charge = LEVY_RC_B2B_FOREIGN_SELLER,
                                     .ncodes = 3,
                                     .codes = vat_codes,
                                     .ntreat = 3,
                                     .treat = vat_treat,
                                     .npos = 1,
                                     .pos = {{.to = 20141231,
                                              .ncodes = 1,
                                              .codes = {"digital_goods"},
                                              .nregions = 2,
                                              .regions = {"EU", "GB"},
                                              .cite = "art. 45"}}};

/* place_of_supply rows of issue 19 (lawintl): `when = "below_threshold"` (only for a seller
 * whose setting eu_below_threshold is "yes": req.below_threshold), `except` (a refinement that
 * stays at the destination though its parent is listed) and `elsewhere = "out_of_scope"` (a
 * seller outside seller_regions, or unknown: the line out of scope, no tax). */
static const levy_tax_rule eu_pos2 = {.region = "EU",
                                      .sourcing = LEVY_SOURCING_DESTINATION,
                                      .reverse_charge = LEVY_RC_B2B_FOREIGN_SELLER,
                                      .ncodes = 3,
                                      .codes = vat_codes,
                                      .ntreat = 3,
                                      .treat = vat_treat,
                                      .npos = 2,
                                      .pos = {{.from = 20190101,
                                               .ncodes = 1,
                                               .codes = {"saas"},
                                               .nregions = 1,
                                               .regions = {"EU"},
                                               .cite = "art. 59c",
                                               .below_threshold = 1},
                                              {.ncodes = 1,
                                               .codes = {"professional_services"},
                                               .nexcept = 1,
                                               .except = {"installation"},
                                               .nregions = 1,
                                               .regions = {"EU"},
                                               .cite = "art. 45",
                                               .elsewhere_oos = 1}}};

static void t_place_of_supply_rows(void)
{
    fixture f;
    setup(&f, "EUR", "100.00", "saas");
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "FR", NULL, "75001");
    f.rule = &eu_pos2;
    /* the threshold row: not for a seller over it (the default) */
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(!has_note(&f.d, "place_of_supply"));
    /* below it: the seller's member state from its from date, not the day before */
    f.req.below_threshold = 1;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "20.00");
    CHECK(strstr(f.d.rule_note[0].message, "art. 59c") != NULL);
    f.req.date = 20181231;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* art. 45: a French consultant's services at the French rate */
    f.req.date = 20260301;
    f.meta[0].tax_code = "it_consulting";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(f.lines[0].e[0].name, "FRANCE");
    CHECK_EQ_STR(tax_of(&f, -1), "20.00");
    CHECK_EQ_INT(f.meta[0].pos_by, 1);
    /* the excepted refinement stays at the destination */
    f.meta[0].tax_code = "installation";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK_EQ_INT(f.meta[0].pos_by, -1);
    /* a US consultant: out of scope, no jurisdictions, a note naming the row */
    f.meta[0].tax_code = "professional_services";
    addr(&f.req.seller, "US", "WA", "98101");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_OUT_OF_SCOPE);
    CHECK_EQ_INT(f.lines[0].n, 0);
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(has_note(&f.d, "place_of_supply"));
    CHECK(strstr(f.d.rule_note[0].message, "outside EU") != NULL);
    /* an unknown seller counts as abroad */
    f.req.seller.present = 0;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_OUT_OF_SCOPE);
    /* a German seller (the ship-to's country): domestic VAT */
    addr(&f.req.seller, "DE", NULL, "80331");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* a business customer of the US seller: reverse charge, not out of scope */
    addr(&f.req.seller, "US", "WA", "98101");
    f.req.tax_id = "DE136695976";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
end:;
}

static void t_place_of_supply(void)
{
    fixture f;
    setup(&f, "EUR", "100.00", "digital_books"); /* a refinement of the listed digital_goods */
    f.req.date = 20141231;
    addr(&f.req.ship_to, "DE", NULL, "10115");
    addr(&f.req.seller, "FR", NULL, "75001");
    f.rule = &eu_pos;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(f.d.res.region, "EU");
    CHECK_EQ_INT(f.d.pos_row, 0);
    CHECK(f.meta[0].pos);
    CHECK_EQ_INT(f.lines[0].n, 1);
    CHECK_EQ_STR(f.lines[0].e[0].name, "FRANCE");
    CHECK_EQ_STR(tax_of(&f, -1), "20.00");
    CHECK(has_note(&f.d, "place_of_supply"));
    CHECK(strstr(f.d.rule_note[0].message, "(FR), not in DE") != NULL);
    CHECK(strstr(f.d.rule_note[0].message, "art. 45") != NULL);
    /* the day after: the customer's member state */
    f.req.date = 20150101;
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.pos_row, -1);
    CHECK_EQ_STR(f.lines[0].e[0].name, "GERMANY");
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(!has_note(&f.d, "place_of_supply"));
    /* a seller of a region not listed (the US): the customer's member state */
    f.req.date = 20141231;
    addr(&f.req.seller, "US", "WA", "98101");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(!has_note(&f.d, "place_of_supply"));
    /* a listed region other than the ship-to's (GB, an EU member before 2021): GB's 20 % */
    addr(&f.req.seller, "GB", NULL, "SW1A 2AA");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "20.00");
    CHECK(has_note(&f.d, "place_of_supply"));
    /* a business customer with a valid VAT number: reverse charge at the customer's rate */
    addr(&f.req.seller, "FR", NULL, "75001");
    f.req.tax_id = "DE136695976";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_REVERSE_CHARGE);
    CHECK_EQ_STR(f.lines[0].e[0].name, "GERMANY");
    CHECK_EQ_STR(tax_of(&f, -1), "0.00");
    CHECK(!has_note(&f.d, "place_of_supply"));
    /* a code the row does not list: the customer's member state */
    f.req.tax_id = NULL;
    f.meta[0].tax_code = "general";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    CHECK(!f.meta[0].pos);
    /* a seller in the ship-to's own country: nothing to place */
    f.meta[0].tax_code = "digital_goods";
    addr(&f.req.seller, "DE", NULL, "80331");
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.d.pos_row, -1);
    CHECK_EQ_STR(tax_of(&f, -1), "19.00");
    /* a zero-rated code listed: the treatment applies at the seller's place */
    addr(&f.req.seller, "FR", NULL, "75001");
    f.meta[0].tax_code = "food_grocery";
    CHECK_EQ_INT(decide(&f), LEVY_OK);
    CHECK_EQ_INT(f.lines[0].reason, LEVY_REASON_ZERO);
end:;
}

static const levy_test tests[] = {{"open", t_open},
                                  {"sourcing", t_sourcing},
                                  {"exemptions", t_exemptions},
                                  {"reverse_charge", t_reverse_charge},
                                  {"place_of_supply", t_place_of_supply},
                                  {"place_of_supply_rows", t_place_of_supply_rows},
                                  {"simplified_regime", t_simplified_regime},
                                  {"qst_number", t_qst_number},
                                  {"qst_stored", t_qst_stored},
                                  {"oos_per_group", t_oos_per_group},
                                  {"tax_id", t_tax_id},
                                  {"errors", t_errors},
                                  {"ranges", t_ranges},
                                  {"json", t_json},
                                  {"json_again", t_json_again},
                                  {"local_tax", t_local_tax},
                                  {"customer_type", t_customer_type},
                                  {"shipping", t_shipping},
                                  {"pickup", t_pickup},
                                  {"dated", t_dated},
                                  {"calc_for", t_calc_for},
                                  {"ctx_values", t_ctx_values},
                                  {"taxonomy", t_taxonomy},
                                  {"indexed", t_indexed},
                                  {"free", t_free},
                                  {"json_fast", t_json_fast},
                                  {NULL, NULL}};

static void t_indexed(void)
{
    /* a compiled rule's index answers as the rows by name, for every built-in code */
    static const levy_tax_rule *const rules[] = {&tx_dest, &eu_rc, &ca_simplified};
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        levy_tax_rule r = *rules[k];
        levy_tax_rule_index(&r);
        CHECK(r.indexed);
        for (int c = 0; c < levy_tax_ncodes; c++)
            CHECK_EQ_INT(r.treat_of[c], levy_tax_rule_treatment(rules[k], levy_tax_codes[c].code));
    }
    /* and the decisions: each test above once more, on indexed rules */
    index_rules = 1;
    int failed = 0;
    for (const levy_test *t = tests; t->fn != t_indexed; t++) {
        if (t->fn == t_open)
            continue;
        levy_test_failed_ = 0;
        t->fn();
        if (levy_test_failed_)
            fprintf(stderr, "  (indexed rules) %s failed\n", t->name);
        failed |= levy_test_failed_;
    }
    levy_test_failed_ = failed;
    index_rules = 0;
end:;
}

LEVY_TEST_MAIN(tests)
