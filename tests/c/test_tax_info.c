/* Without a Lua state: levy.tax's answers besides a calculation (core/tax/info.c), each
 * written once to a levy_tax_out reader, read here as JSON text -- the bytes levy.json.encode
 * writes for the binding's tables (keys in byte order). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json_scan.h"
#include "tax/info.h"
#include "tax/json_in.h"
#include "tax/rates.h"
#include "tax/tax.h"
#include "tax/territory.h"

typedef struct args {
    levy_tax_region_info *regions;
    int n;
    const levy_tax_resolution *res;
    const levy_nexus *nx;
    const levy_tax_problem *p;
} args;

static int w_regions(levy_tax_out *o, void *a)
{
    return levy_tax_regions_write(o, ((args *)a)->regions, ((args *)a)->n);
}
static int w_resolution(levy_tax_out *o, void *a)
{
    return levy_tax_resolution_write(o, NULL, ((args *)a)->res);
}
static int w_rates(levy_tax_out *o, void *a)
{
    (void)a;
    return levy_tax_rates_info_write(o, NULL);
}
static int w_nexus(levy_tax_out *o, void *a) { return levy_tax_nexus_write(o, ((args *)a)->nx); }
static int w_codes(levy_tax_out *o, void *a)
{
    (void)a;
    return levy_tax_codes_write(o);
}
static int w_problem(levy_tax_out *o, void *a) { return levy_tax_problem_write(o, ((args *)a)->p); }

/* Sorted by code in byte order; country from the rule, else the code's first two letters; a
 * region without a rule file or name leaves the key out; none: []. */
static void t_regions(void)
{
    levy_buf b = {0};
    levy_tax_region_info r[4] = {
        {"US-TX", "Texas", NULL, "SALES_TAX", "scripts/us/tx.lua"},
        {"EU", "European Union", "EU", "VAT", "scripts/eu/eu.lua"},
        {"CA-BC", "British Columbia", NULL, "PST", NULL},
        {"X", NULL, NULL, NULL, NULL},
    };
    args a = {.regions = r, .n = 4};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_regions, &a), 0);
    CHECK_EQ_STR(b.data, "[{\"code\":\"CA-BC\",\"country\":\"CA\",\"name\":\"British Columbia\","
                         "\"tax_type\":\"PST\"},"
                         "{\"code\":\"EU\",\"country\":\"EU\",\"name\":\"European Union\","
                         "\"rule\":\"scripts/eu/eu.lua\",\"tax_type\":\"VAT\"},"
                         "{\"code\":\"US-TX\",\"country\":\"US\",\"name\":\"Texas\","
                         "\"rule\":\"scripts/us/tx.lua\",\"tax_type\":\"SALES_TAX\"},"
                         "{\"code\":\"X\",\"country\":\"X\"}]");
    levy_buf_free(&b);
    a.n = 0;
    CHECK_EQ_INT(levy_tax_json_write(&b, w_regions, &a), 0);
    CHECK_EQ_STR(b.data, "[]");
end:
    levy_buf_free(&b);
}

/* A resolution: the rate keys (a key is text, escaped, not a literal) first, the groups'
 * regions, each jurisdiction's head with its group's region, the territory. */
static void t_resolution(void)
{
    levy_buf b = {0};
    levy_tax_resolution res;
    memset(&res, 0, sizeof res);
    memcpy(res.region, "US-TX", 6);
    res.ngroups = 2;
    memcpy(res.group_region[0], "US-TX", 6);
    memcpy(res.group_region[1], "US-OK", 6);
    res.n = 2;
    res.e[0] = (levy_tax_entry){
        .name = "TEXAS", .group = 0, .level = LEVY_LEVEL_STATE, .rate = 6250000, .code = "48"};
    res.e[1] = (levy_tax_entry){.name = "TULSA",
                                .suffix = " (city)",
                                .group = 1,
                                .level = LEVY_LEVEL_CITY,
                                .rate = 3650000,
                                .title = "Tulsa tax",
                                .note = "why"};
    args a = {.res = &res};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_resolution, &a), 0);
    CHECK_EQ_STR(
        b.data, "{\"rates_source\":\"\",\"region\":\"US-TX\",\"regions\":[\"US-TX\",\"US-OK\"],"
                "\"taxes\":[{\"jurisdiction\":\"TEXAS\",\"level\":\"state\",\"type\":\"SALES_TAX\","
                "\"percentage\":\"6.25\",\"authority_code\":\"48\",\"region\":\"US-TX\"},"
                "{\"jurisdiction\":\"TULSA (city)\",\"level\":\"city\",\"type\":\"SALES_TAX\","
                "\"percentage\":\"3.65\",\"name\":\"Tulsa tax\",\"authority_code\":null,"
                "\"jurisdiction_note\":\"why\",\"region\":\"US-OK\"}]}");
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    memset(&res, 0, sizeof res);
    memcpy(res.region, "FR", 3);
    res.ngroups = 1;
    memcpy(res.group_region[0], "FR", 3);
    res.nkeys = 2;
    res.key[0] = "standard";
    res.key_rate[0] = 20000000;
    res.key[1] = "a \"key\"";
    res.key_rate[1] = 5500000;
    res.territory = levy_territory_find("MC", NULL);
    CHECK(res.territory != NULL);
    CHECK_EQ_INT(levy_tax_json_write(&b, w_resolution, &a), 0);
    CHECK(strncmp(b.data,
                  "{\"rates\":{\"standard\":\"20.00\",\"a \\\"key\\\"\":\"5.50\"},"
                  "\"rates_source\":\"\",\"region\":\"FR\",\"regions\":[\"FR\"],\"taxes\":[],"
                  "\"territory\":{\"code\":\"MC\",\"name\":\"Monaco\",\"reason\":",
                  strlen("{\"rates\":{\"standard\":\"20.00\",\"a \\\"key\\\"\":\"5.50\"},"
                         "\"rates_source\":\"\",\"region\":\"FR\",\"regions\":[\"FR\"],"
                         "\"taxes\":[],\"territory\":{\"code\":\"MC\",\"name\":\"Monaco\","
                         "\"reason\":")) == 0);
    CHECK(strstr(b.data, ",\"tax_country\":\"FR\",\"treatment\":\"taxed_as\"}}") != NULL);
end:
    levy_buf_free(&b);
}

/* No rate index: []. */
static void t_rates_info(void)
{
    levy_buf b = {0};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_rates, NULL), 0);
    CHECK_EQ_STR(b.data, "[]");
end:
    levy_buf_free(&b);
}

/* GET /admin/rates writes a table's source, vintage, path and rows through the members
 * writer, in its own order, from the field table levy.tax.rates_info uses (one shape). */
typedef struct members_args {
    const levy_rates *r;
    const char *const *keys;
    int nkeys, table;
} members_args;
static int w_members(levy_tax_out *o, void *a)
{
    members_args *m = a;
    o->open(o, 0, m->nkeys);
    int rc = levy_tax_rates_table_members_write(o, m->r, m->table, m->keys, m->nkeys, 1);
    o->close(o, 0);
    return rc;
}
static int w_rates_of(levy_tax_out *o, void *a)
{
    return levy_tax_rates_info_write(o, ((members_args *)a)->r);
}

static void t_rates_members(void)
{
    static const char *const admin[] = {"source", "vintage", "path", "rows"};
    static const char *const bad[] = {"source", "nope"};
    levy_buf b = {0}, info = {0};
    levy_rates *r = NULL;
    levy_err err;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open_file(&r, "data/ca/rates.csv", &err), 0);
    members_args m = {r, admin, 4, 0};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_members, &m), 0);
    CHECK_EQ_INT(levy_tax_json_write(&info, w_rates_of, &m), 0);
    CHECK_EQ_STR(b.data, "{\"source\":\"ca-rates\",\"vintage\":\"2025-04-01\",\"path\":\"data/ca/"
                         "rates.csv\",\"rows\":24}");
    CHECK_EQ_STR(info.data, "[{\"path\":\"data/ca/rates.csv\",\"rows\":24,\"source\":\"ca-rates\","
                            "\"vintage\":\"2025-04-01\"}]");
    levy_buf_free(&b);
    m.keys = bad;
    m.nkeys = 2;
    CHECK_EQ_INT(levy_tax_json_write(&b, w_members, &m), -1); /* a key not among them */
    levy_buf_free(&b);
    m.keys = admin;
    m.nkeys = 4;
    m.table = 1;
    CHECK_EQ_INT(levy_tax_json_write(&b, w_members, &m), -1); /* no table 1 */
end:
    levy_buf_free(&b);
    levy_buf_free(&info);
    levy_rates_free(r);
}

/* A state with a transaction count says how the two combine; one without leaves both out;
 * effective_from and marketplace_source only when known. */
static void t_nexus(void)
{
    levy_buf b = {0};
    levy_nexus_row rows[2] = {
        {.state = "CA",
         .sales = "500000.00",
         .transactions = -1,
         .period = "previous_or_current_calendar_year",
         .source = "CA src",
         .marketplace = "included",
         .marketplace_source = "CA mp"},
        {.state = "NY",
         .sales = "500000.00",
         .transactions = 100,
         .combine = "and",
         .period = "preceding_four_quarters",
         .effective_from = "2019-06-24",
         .source = "NY src",
         .marketplace = "unknown"},
    };
    levy_nexus nx = {rows, 2};
    args a = {.nx = &nx};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_nexus, &a), 0);
    CHECK_EQ_STR(b.data,
                 "[{\"marketplace\":\"included\",\"marketplace_source\":\"CA mp\","
                 "\"period\":\"previous_or_current_calendar_year\","
                 "\"sales_threshold\":\"500000.00\",\"source\":\"CA src\",\"state\":\"CA\"},"
                 "{\"combine\":\"and\",\"effective_from\":\"2019-06-24\","
                 "\"marketplace\":\"unknown\",\"period\":\"preceding_four_quarters\","
                 "\"sales_threshold\":\"500000.00\",\"source\":\"NY src\",\"state\":\"NY\","
                 "\"transactions_threshold\":100}]");
end:
    levy_buf_free(&b);
}

/* Every code of the one list; a root has no parent, a refinement names its root. */
static void t_codes(void)
{
    levy_buf b = {0};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_codes, NULL), 0);
    CHECK(strncmp(b.data, "[{\"code\":\"general\",\"description\":", 33) == 0);
    int n = 0;
    for (const char *s = b.data; (s = strstr(s, "{\"code\":")) != NULL; s++)
        n++;
    CHECK_EQ_INT(n, levy_tax_ncodes);
    for (int i = 0; i < levy_tax_ncodes; i++) {
        char want[128];
        if (!levy_tax_codes[i].parent)
            continue;
        snprintf(want, sizeof want, "\"name\":\"%s\",\"parent\":\"%s\"}", levy_tax_codes[i].name,
                 levy_tax_codes[i].parent);
        CHECK(strstr(b.data, want) != NULL);
    }
end:
    levy_buf_free(&b);
}

/* A problem: its code, details when any, message and the table's HTTP status. */
static void t_problem(void)
{
    levy_buf b = {0};
    levy_tax_problem p;
    levy_tax_problem_clear(&p);
    levy_tax_problem_add(&p, 1, ".amount", "is required (a decimal string)");
    levy_tax_problem_add(&p, -1, "currency", "is required (ISO 4217 code)");
    levy_tax_problem_set(&p, LEVY_TAX_ERR_VALIDATION, NULL, NULL);
    args a = {.p = &p};
    CHECK_EQ_INT(levy_tax_json_write(&b, w_problem, &a), 0);
    CHECK_EQ_STR(b.data, "{\"code\":\"validation_failed\",\"details\":["
                         "{\"field\":\"lines[1].amount\",\"message\":\"is required (a decimal "
                         "string)\"},"
                         "{\"field\":\"currency\",\"message\":\"is required (ISO 4217 code)\"}],"
                         "\"message\":\"the request is invalid; see details\",\"status\":422}");
    levy_buf_free(&b);
    memset(&b, 0, sizeof b);
    levy_tax_problem_clear(&p);
    levy_tax_problem_set(&p, LEVY_TAX_ERR_ADDRESS, "address_unresolved", "no rates for ZZ");
    CHECK_EQ_INT(levy_tax_json_write(&b, w_problem, &a), 0);
    CHECK_EQ_STR(b.data, "{\"code\":\"address_unresolved\",\"message\":\"no rates for ZZ\","
                         "\"status\":422}");
end:
    levy_buf_free(&b);
}

/* levy.tax.resolve's checks and refusals (tax.resolve in the binding): the address as a
 * required address ("address.*" details), the date, then the rate index's answer. */
static int resolve(const levy_rates *R, const char *arg, const char *date, levy_tax_resolution *res,
                   levy_tax_problem *p, char *got, size_t cap)
{
    levy_json_doc doc = {0};
    char msg[320];
    if (levy_json_doc_parse(&doc, arg, strlen(arg), msg, sizeof msg) != 0)
        return -9;
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    int rc = levy_tax_resolve_in(R, &ji.in, date, date ? strlen(date) : 0, res, p);
    size_t w = (size_t)snprintf(got, cap, "%s/%s", rc ? p->code : "", rc ? p->message : "");
    for (int i = 0; rc && i < p->ndetails && w < cap; i++)
        w += (size_t)snprintf(got + w, cap - w, "|%s: %s", p->details[i].field,
                              p->details[i].message);
    if (ji.top != 0)
        rc = -8;
    levy_json_doc_free(&doc);
    return rc;
}

static void t_resolve_in(void)
{
    levy_rates *R = NULL;
    levy_err err;
    static levy_tax_resolution res;
    static levy_tax_problem p;
    char got[1024];
    CHECK(levy_rates_open(&R, "data", NULL, &err) == LEVY_OK);
    CHECK_EQ_INT(resolve(R,
                         "{\"address\":{\"country\":\"US\",\"state\":\"CA\",\"city\":"
                         "\"Beverly Hills\",\"zip_code\":\"90210\"}}",
                         "2026-01-01", &res, &p, got, sizeof got),
                 0);
    CHECK_EQ_STR(res.region, "US-CA");
    CHECK(res.n > 1);
    CHECK_EQ_INT(resolve(R, "{\"address\":{\"country\":\"AT\"}}", NULL, &res, &p, got, sizeof got),
                 0);                /* no date: today */
    CHECK_EQ_STR(res.region, "EU"); /* Austria: the EU rule */
    CHECK_EQ_STR(res.group_region[0], "EU");
    CHECK_EQ_INT(resolve(R,
                         "{\"address\":{\"country\":\"US\",\"state\":\"CA\",\"zip_code\":"
                         "\"00000\"}}",
                         "2026-01-01", &res, &p, got, sizeof got),
                 -1);
    CHECK_EQ_INT(p.error, LEVY_TAX_ERR_ADDRESS);
    CHECK(strncmp(got, "address_unresolved/", 19) == 0);
    CHECK_EQ_INT(
        resolve(R, "{\"address\":{\"state\":\"TX\"}}", "2026-02-30", &res, &p, got, sizeof got),
        -1);
    CHECK_EQ_INT(p.error, LEVY_TAX_ERR_VALIDATION);
    CHECK_EQ_INT(levy_tax_error_status(p.error), 422);
    CHECK_EQ_STR(got, "validation_failed/invalid address|address.country: is required (ISO 3166 "
                      "two-letter code)|date: must be a date YYYY-MM-DD");
    CHECK_EQ_INT(resolve(R, "{}", "2026-01-01", &res, &p, got, sizeof got), -1);
    CHECK_EQ_STR(got, "validation_failed/invalid address|address: is required");
end:
    levy_rates_free(R);
}

static const levy_test tests[] = {{"regions", t_regions},
                                  {"resolution", t_resolution},
                                  {"rates_info", t_rates_info},
                                  {"rates_members", t_rates_members},
                                  {"nexus", t_nexus},
                                  {"codes", t_codes},
                                  {"problem", t_problem},
                                  {"resolve_in", t_resolve_in},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
