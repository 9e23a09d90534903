/* Without a Lua state: the arrays a tax decision reads (core/tax/build.c: a compiled rule's
 * treatments and code rows, the request's lines) and the ctx a rule's calculate(ctx) is
 * handed (core/tax/ctx.c), read as JSON. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json_scan.h"
#include "tax/build.h"
#include "tax/ctx.h"

/* Treatments start taxable without branches, keep what was set as the array moves, and the
 * rule's pointers follow the arrays; free empties the rule and may run twice. */
static void t_rule(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 40; i++) {
        int t = levy_tax_rule_new_treatment(&b);
        CHECK_EQ_INT(t, i);
        CHECK_EQ_INT(b.treat[t].kind, LEVY_TREAT_TAXABLE);
        CHECK_EQ_INT(b.treat[t].below, -1);
        CHECK_EQ_INT(b.treat[t].above, -1);
        CHECK_EQ_INT(b.treat[t].business, -1);
        CHECK_EQ_INT(b.treat[t].individual, -1);
        b.treat[t].kind = LEVY_TREAT_FRACTION;
        b.treat[t].value = i;
        int k = levy_tax_rule_new_code(&b);
        CHECK_EQ_INT(k, i);
        CHECK(b.codes[k].code == NULL);
        CHECK_EQ_INT(b.codes[k].treatment, -1);
        b.codes[k].code = "saas";
        b.codes[k].treatment = t;
    }
    CHECK_EQ_INT(b.r.ntreat, 40);
    CHECK_EQ_INT(b.r.ncodes, 40);
    CHECK(b.r.treat == b.treat);
    CHECK(b.r.codes == b.codes);
    CHECK(b.cap_treat >= 40 && b.cap_codes >= 40);
    for (int i = 0; i < 40; i++) {
        CHECK_EQ_INT(b.r.treat[i].kind, LEVY_TREAT_FRACTION);
        CHECK_EQ_INT((int)b.r.treat[i].value, i);
        CHECK_EQ_INT(b.r.codes[i].treatment, i);
    }
    CHECK_EQ_INT(levy_tax_rule_treatment(&b.r, "saas"), 0);
    levy_tax_rule_build_free(&b);
    CHECK(b.r.treat == NULL && b.r.codes == NULL);
    CHECK_EQ_INT(b.r.ntreat, 0);
    CHECK_EQ_INT(b.r.ncodes, 0);
    levy_tax_rule_build_free(&b);
    CHECK_EQ_INT(levy_tax_rule_new_treatment(&b), 0); /* usable again */
    levy_tax_rule_build_free(&b);
end:
    levy_tax_rule_build_free(&b);
}

/* Room for n lines: at least 16, grown to n, contents kept, a smaller n changes nothing. */
static void t_lines(void)
{
    levy_tax_line *lines = NULL;
    levy_tax_line_meta *meta = NULL;
    int cap = 0;
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 1), 0);
    CHECK_EQ_INT(cap, 16);
    CHECK(lines && meta);
    lines[15].amount = 1234;
    meta[15].tax_code = "general";
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 1000), 0);
    CHECK_EQ_INT(cap, 1000);
    CHECK_EQ_INT((int)lines[15].amount, 1234);
    CHECK_EQ_STR(meta[15].tax_code, "general");
    lines[999].amount = 7;
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 10), 0);
    CHECK_EQ_INT(cap, 1000);
    CHECK_EQ_INT((int)lines[999].amount, 7);
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 0), 0);
end:
    free(lines);
    free(meta);
}

typedef struct ctx_args {
    const levy_tax_request *req;
    const levy_tax_decision *d;
    int g;
} ctx_args;

static int write_ctx(levy_tax_out *o, void *arg)
{
    const ctx_args *a = arg;
    return levy_tax_ctx_write(o, a->req, a->d, a->g, "2026-03-01");
}

/* ctx of group 1: the line's amount after discount, its quantity and unit amount, its tax
 * code's family, only group 1's taxes (with the rate index's suffix, own name, authority code
 * -- null when unknown -- and note, fraction and band), the resolution's group 1
 * jurisdictions and its precision, the seller when known, the customer's id, tax id,
 * exemption and type; booleans as booleans, index as a number. */
static void t_ctx(void)
{
    levy_tax_request req;
    levy_tax_decision d;
    levy_tax_line line;
    levy_tax_line_meta meta;
    levy_buf b = {0};
    memset(&req, 0, sizeof req);
    memset(&d, 0, sizeof d);
    memset(&line, 0, sizeof line);
    memset(&meta, 0, sizeof meta);
    memcpy(req.currency, "USD", 4);
    req.exponent = 2;
    memcpy(req.ship_to.country, "US", 3);
    memcpy(req.ship_to.state, "TX", 3);
    req.ship_to.zip = "78701";
    req.ship_to.present = 1;
    memcpy(req.seller.country, "DE", 3);
    req.seller.city = "Berlin";
    req.seller.present = 1;
    req.customer_id = "c1";
    req.nlines = 1;
    req.lines = &line;
    req.meta = &meta;
    meta.id = "L1";
    meta.idlen = 2;
    meta.tax_code = "saas";
    line.amount = 10050; /* 100.50 */
    line.discount = 50;
    line.qty = 2000000; /* 2 */
    line.inclusive = 1;
    line.reason = LEVY_REASON_STANDARD;
    line.n = 2;
    line.e[0] = (levy_tax_entry){.name = "TEXAS", .group = 0, .rate = 6250000};
    line.e[1] = (levy_tax_entry){.name = "AUSTIN",
                                 .suffix = " MTA",
                                 .group = 1,
                                 .level = LEVY_LEVEL_CITY,
                                 .type = LEVY_TYPE_SALES_TAX,
                                 .rate = 1000000,
                                 .fraction = 80000000,
                                 .unit_from = 1000,
                                 .unit_to = -1,
                                 .code = "4805000",
                                 .title = "Austin MTA tax"};
    d.res.n = 2;
    d.res.e[0] = line.e[0];
    d.res.e[1] = (levy_tax_entry){.name = "AUSTIN",
                                  .group = 1,
                                  .level = LEVY_LEVEL_CITY,
                                  .type = LEVY_TYPE_SALES_TAX,
                                  .rate = 2000000,
                                  .note = "why"};
    d.res.precision = LEVY_RES_ZIP4;
    memcpy(d.res.group_region[1], "US-TX", 6);
    d.tax_id = "DE136695976";
    d.customer_exempt = 0;
    d.customer_type = LEVY_CUSTOMER_INDIVIDUAL;
    ctx_args a = {&req, &d, 1};
    CHECK_EQ_INT(levy_tax_json_write(&b, write_ctx, &a), 0);
    CHECK_EQ_STR(
        b.data,
        "{\"region\":\"US-TX\",\"date\":\"2026-03-01\",\"currency\":\"USD\","
        "\"ship_to\":{\"country\":\"US\",\"state\":\"TX\",\"zip_code\":\"78701\"},"
        "\"seller\":{\"country\":\"DE\",\"city\":\"Berlin\"},"
        "\"customer\":{\"id\":\"c1\",\"tax_id\":\"DE136695976\",\"exempt\":false,"
        "\"type\":\"individual\"},"
        "\"lines\":[{\"id\":\"L1\",\"index\":1,\"tax_code\":\"saas\",\"tax_code_parent\":\"saas\","
        "\"amount\":\"100.00\","
        "\"quantity\":\"2\",\"unit_amount\":\"50.00\",\"tax_inclusive\":true,"
        "\"reason\":\"standard_rated\",\"reverse_charge\":false,"
        "\"taxes\":[{\"jurisdiction\":\"AUSTIN MTA\",\"level\":\"city\",\"type\":\"SALES_TAX\","
        "\"percentage\":\"1.00\",\"name\":\"Austin MTA tax\",\"authority_code\":\"4805000\","
        "\"fraction\":\"0.8\",\"unit_from\":\"10.00\"}]}],"
        "\"jurisdictions\":[{\"jurisdiction\":\"AUSTIN\",\"level\":\"city\",\"type\":\"SALES_TAX\","
        "\"percentage\":\"2.00\",\"authority_code\":null,\"jurisdiction_note\":\"why\"}],"
        "\"resolution\":\"zip4\"}");
end:
    levy_buf_free(&b);
}

static const levy_test tests[] = {
    {"rule", t_rule}, {"lines", t_lines}, {"ctx", t_ctx}, {NULL, NULL}};

LEVY_TEST_MAIN(tests)
