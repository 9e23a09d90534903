/* Without a Lua state: the arrays a tax decision reads (core/tax/build.c: a compiled rule's
 * treatments and code rows, the request's lines) and the ctx a rule's calculate(ctx) is
 * handed (core/tax/ctx.c), read as JSON. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json_scan.h"
#include "tax/build.h"
#include "tax/ctx.h"
#include "tax/keys.h"

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

/* The line memory of calculations (what bind_tax.c's lease holds): the first lease takes
 * the pool's buffer, one taken while it is held (a rule's calculate re-entering
 * tax.calculate) gets memory of its own, release gives the buffer back (its lines kept for
 * the next call) and frees its own, and a second release changes nothing. */
static void t_lease(void)
{
    levy_tax_line_pool pool;
    memset(&pool, 0, sizeof pool);
    levy_tax_line_lease a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    levy_tax_lines_mem *ma = levy_tax_lease_take(&a, &pool, 20);
    CHECK(ma == &pool.mem && pool.busy && ma->cap >= 20);
    ma->lines[19].amount = 19;
    levy_tax_lines_mem *mb = levy_tax_lease_take(&b, &pool, 3); /* re-entered */
    CHECK(mb == &b.own && mb != ma && mb->cap >= 16 && mb->lines && mb->meta);
    levy_tax_lease_release(&b);
    CHECK(b.own.lines == NULL && b.own.cap == 0 && pool.busy); /* the outer one still holds */
    levy_tax_lease_release(&a);
    CHECK(!pool.busy && a.pool == NULL);
    levy_tax_lease_release(&a); /* a second release: nothing */
    CHECK(!pool.busy && pool.mem.cap >= 20);
    levy_tax_lines_mem *mc = levy_tax_lease_take(&c, &pool, 10); /* the same buffer again */
    CHECK(mc == &pool.mem && mc->lines[19].amount == 19);
    levy_tax_lease_release(&c);
end:
    levy_tax_lease_release(&b);
    levy_tax_lease_release(&a);
    levy_tax_lease_release(&c);
    levy_tax_line_pool_free(&pool);
    levy_tax_line_pool_free(&pool);
}

/* Compiled rules, one per region for a generation: found by region and source table; another
 * source for the region replaces the entry (what it held freed); an entry claimed but never
 * made ready (its compilation raised) is not found; the table grows past its first size. */
static void t_rule_cache(void)
{
    levy_tax_rule_cache c;
    memset(&c, 0, sizeof c);
    int t1 = 1, t2 = 2;
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t1) == NULL);
    levy_tax_rule_entry *e = levy_tax_rule_cache_claim(&c, "US-TX", &t1);
    CHECK(e != NULL);
    CHECK(levy_tax_rule_new_code(&e->b) == 0);
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t1) == NULL); /* not ready */
    levy_tax_rule_cache_ready(e);
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t1) == &e->b.r);
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t2) == NULL); /* another table */
    CHECK(levy_tax_rule_cache_get(&c, "US-CA", &t1) == NULL);
    levy_tax_rule_entry *e2 = levy_tax_rule_cache_claim(&c, "US-TX", &t2); /* replaces */
    CHECK(e2 == e && e2->b.r.ncodes == 0 && e2->b.codes == NULL && !e2->ready);
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t1) == NULL);
    levy_tax_rule_cache_ready(e2);
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t2) == &e2->b.r);
    char region[16];
    for (int i = 0; i < 200; i++) { /* past the first 64 slots */
        snprintf(region, sizeof region, "R-%d", i);
        levy_tax_rule_entry *x = levy_tax_rule_cache_claim(&c, region, &t1);
        CHECK(x != NULL && levy_tax_rule_new_treatment(&x->b) == 0);
        levy_tax_rule_cache_ready(x);
    }
    CHECK_EQ_INT(c.n, 201);
    for (int i = 0; i < 200; i++) {
        snprintf(region, sizeof region, "R-%d", i);
        const levy_tax_rule *r = levy_tax_rule_cache_get(&c, region, &t1);
        CHECK(r != NULL && r->ntreat == 1);
    }
    CHECK(levy_tax_rule_cache_get(&c, "US-TX", &t2) != NULL);
    levy_tax_rule_cache_free(&c);
    CHECK(c.n == 0 && levy_tax_rule_cache_get(&c, "US-TX", &t2) == NULL);
end:
    levy_tax_rule_cache_free(&c);
}

/* Keys by address: a listed text is found by its index whatever its address (a literal, a
 * copy), an unlisted one is -1, and past the cache's half the answers stay right. */
static void t_keys(void)
{
    static const char *const names[] = {"id", "amount", "tax"};
    levy_tax_keys *k = calloc(1, sizeof *k);
    CHECK(k != NULL);
    levy_tax_keys_init(k, names, 3);
    CHECK_EQ_INT(levy_tax_key_index(k, "amount"), 1);
    CHECK_EQ_INT(levy_tax_key_index(k, "amount"), 1); /* the second time by address */
    char copy[8] = "tax";
    CHECK_EQ_INT(levy_tax_key_index(k, copy), 2);
    CHECK_EQ_INT(levy_tax_key_index(k, "nope"), -1);
    static char many[300][8];
    for (int i = 0; i < 300; i++) {
        snprintf(many[i], sizeof many[i], i % 3 == 0 ? "id" : "x%d", i);
        CHECK_EQ_INT(levy_tax_key_index(k, many[i]), i % 3 == 0 ? 0 : -1);
    }
    CHECK(k->n <= LEVY_TAX_KEYS_CACHE / 2);
    for (int i = 0; i < 300; i++)
        CHECK_EQ_INT(levy_tax_key_index(k, many[i]), i % 3 == 0 ? 0 : -1);
    CHECK_EQ_INT(levy_tax_key_index(k, names[0]), 0);
end:
    free(k);
}

/* The rules one decision asked for: at most two regions, each found again by its region (an
 * unknown one: the sale's, slot 0), a region longer than the field cut to 7 bytes. */
static void t_rule_slots(void)
{
    levy_tax_rule_slots s;
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(levy_tax_rule_slot_of(&s, "US-TX"), 0);
    CHECK_EQ_INT(levy_tax_rule_slot_add(&s, "CA"), 0);
    s.handle[0] = 5;
    s.file[0] = "scripts/ca/ca.lua";
    CHECK_EQ_INT(levy_tax_rule_slot_add(&s, "CA-QC-LONGER"), 1);
    CHECK_EQ_STR(s.region[1], "CA-QC-L");
    CHECK_EQ_INT(s.handle[1], 0);
    CHECK(s.file[1] == NULL);
    CHECK_EQ_INT(levy_tax_rule_slot_add(&s, "EU"), -1); /* full */
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(levy_tax_rule_slot_of(&s, "CA"), 0);
    CHECK_EQ_INT(levy_tax_rule_slot_of(&s, "CA-QC-L"), 1);
    CHECK_EQ_INT(levy_tax_rule_slot_of(&s, "EU"), 0);
    CHECK_EQ_INT(s.handle[levy_tax_rule_slot_of(&s, "CA")], 5);
end:;
}

static const levy_test tests[] = {{"rule", t_rule},
                                  {"lines", t_lines},
                                  {"ctx", t_ctx},
                                  {"lease", t_lease},
                                  {"rule_cache", t_rule_cache},
                                  {"keys", t_keys},
                                  {"rule_slots", t_rule_slots},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
