/* State rate files (core/tax/stateformats.c): the Washington DOR rate table and ZIP+4 short
 * file, built to the DOR's published field lists (tests/fixtures/stateformats/), imported as
 * `levy rates import` does and answering a calculation's address; malformed rows refused
 * with their line number. */
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "tax/dec.h"
#include "tax/rates.h"
#include "tax/tax.h"

#define FIX "tests/fixtures/stateformats/"

static int32_t D(const char *s)
{
    int32_t d = 0;
    levy_tax_date_parse(s, strlen(s), &d);
    return d;
}

static int64_t total(const levy_tax_resolution *res)
{
    int64_t t = 0;
    for (int i = 0; i < res->n; i++)
        t += res->e[i].rate;
    return t;
}

/* rm -r of the temporary data dir (two levels: rates/<key>/<file>) */
static void cleanup(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", dir);
}

static int resolve(levy_rates *r, const char *city, const char *zip, const char *date,
                   levy_tax_resolution *res, char *src, size_t cap)
{
    levy_tax_address a = {"US", "WA", city, zip};
    levy_err err;
    levy_err_clear(&err);
    int rc = levy_rates_resolve(r, &a, D(date), res, &err);
    if (rc == 0 && src)
        levy_rates_describe(r, res, src, cap);
    return rc;
}

/* The DOR rate table (407 location codes of 2026Q2) and the ZIP+4 short file, imported. */
static void t_wa_import(void)
{
    char dir[] = "/tmp/levy_sf_XXXXXX";
    char ddir[300];
    levy_rates *r = NULL;
    levy_err err;
    levy_tax_resolution res;
    char src[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ddir, sizeof ddir, "%s/data", dir);

    /* before: Seattle 98101 from the Dec-2025 ZIP5 table (10.35 %) */
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10350000);
    CHECK(strstr(src, "avalara-zip5") != NULL);
    levy_rates_free(r);
    r = NULL;

    char *files[] = {FIX "wa-rates-2026q2.csv"};
    fflush(stdout);
    CHECK_EQ_INT(levy_rates_cli_import(1, files, "data", ddir), 0);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    int found = 0;
    for (int i = 0; i < levy_rates_ntables(r); i++) {
        const levy_rates_table *t = levy_rates_table_at(r, i);
        if (strcmp(t->source, "wa-dor-rates") == 0) {
            CHECK_EQ_INT(t->rows, 407);
            CHECK_EQ_STR(t->vintage, "2026-04-01");
            /* stale the day after its rows end (Regions page, GET /admin/rates) */
            CHECK_EQ_INT(levy_rates_table_stale_after(r, i), 20260701);
            char regs[64];
            levy_rates_table_regions(r, i, regs, sizeof regs);
            CHECK_EQ_STR(regs, "US-WA");
            found = 1;
        }
    }
    CHECK(found);
    /* the city names location code 1726: Seattle's 2026Q2 rate, split state + local */
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10550000);
    CHECK_EQ_INT(res.n, 2);
    CHECK_EQ_STR(res.e[0].name, "WASHINGTON");
    CHECK_EQ_INT(res.e[0].rate, 6500000);
    CHECK_EQ_STR(res.e[1].name, "SEATTLE");
    CHECK_EQ_INT(res.e[1].rate, 4050000);
    CHECK(strstr(src, "wa-dor-rates 2026-04-01") != NULL);
    /* outside the rows' period the ZIP5 table answers again */
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-07-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10350000);
    /* a city that is no location code's name (Renton's codes are "RENTON RTA"...) */
    CHECK_EQ_INT(resolve(r, "Renton", "98056", "2026-05-01", &res, src, sizeof src), 0);
    CHECK(strstr(src, "wa-dor-rates") == NULL);

    /* the ZIP+4 file: the range holding the +4 decides, named by the rate table */
    char *zfiles[] = {FIX "wa-zip4-short-sample.csv"};
    CHECK_EQ_INT(levy_rates_cli_import(1, zfiles, "data", ddir), 0);
    levy_rates_free(r);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    CHECK_EQ_INT(resolve(r, NULL, "98056-1234", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10500000);
    CHECK_EQ_STR(res.e[1].name, "RENTON RTA");
    CHECK(strstr(src, "wa-dor-zip4 2026-04-01") != NULL);
    CHECK_EQ_INT(resolve(r, NULL, "980566000", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10300000);
    CHECK_EQ_STR(res.e[1].name, "NEWCASTLE");
    /* ZIP5 98056 spans two location codes: not decided by the ZIP+4 file */
    CHECK_EQ_INT(resolve(r, NULL, "98056", "2026-05-01", &res, src, sizeof src), 0);
    CHECK(strstr(src, "wa-dor-zip4") == NULL);
    /* ZIP5 98101 lies in one location code: decided */
    CHECK_EQ_INT(resolve(r, NULL, "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10550000);
    /* another state is untouched */
    levy_tax_address tx = {"US", "TX", NULL, "78701"};
    CHECK_EQ_INT(levy_rates_resolve(r, &tx, D("2026-05-01"), &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8250000);
end:
    levy_rates_free(r);
    cleanup(dir);
}

/* Each malformed row is refused with file:line and what is wrong. */
static void t_wa_bad_rows(void)
{
    static const char rates_hdr[] =
        "NAME,CODE,STATE,LOCAL,RTA,RATE,EFFECTIVE DATE,EXPIRATION DATE\n";
    static const char z4_hdr[] =
        "ZIP,PLUS4_LOW,PLUS4_HIGH,CODE,STATE,LOCAL,TOT_RATE,EFF_START,EFF_END\n";
    static const struct {
        const char *hdr, *rows, *want;
    } cases[] = {
        {rates_hdr,
         "SEATTLE,1726,0.065,0.0405,0,0.1055,20260401,20260630\n"
         "TACOMA,2717,0.065,0.039,0,0.1055,20260401,20260630\n",
         ":3: combined rate 0.1055 is not STATE 0.065 + LOCAL 0.039"},
        {rates_hdr, "SEATTLE,17x6,0.065,0.0405,0,0.1055,20260401,20260630\n",
         ":2: bad location code '17x6'"},
        {rates_hdr, "\nSEATTLE,1726,0.065,0.0405,0,0.1055,20261301,20260630\n",
         ":3: bad effective dates"},
        {rates_hdr, "SEATTLE,1726,0.065,0.0405,0,0.1055,20260701,20260630\n",
         ":2: bad effective dates"},
        {rates_hdr, "SEATTLE,1726,6.5%,0.0405,0,0.1055,20260401,20260630\n",
         ":2: bad STATE rate '6.5%'"},
        {rates_hdr, ",1726,0.065,0.0405,0,0.1055,20260401,20260630\n", ":2: empty NAME"},
        {rates_hdr, "SEATTLE,1726,0.065\n", ":2: expected 8 columns"},
        {rates_hdr, "", ": no rows"},
        {z4_hdr,
         "98101,0001,9999,1726,0.065,0.0405,0.1055,20260401,20260630\n"
         "9810,0001,9999,1726,0.065,0.0405,0.1055,20260401,20260630\n",
         ":3: bad ZIP '9810'"},
        {z4_hdr, "98101,5000,4999,1726,0.065,0.0405,0.1055,20260401,20260630\n",
         ":2: bad ZIP+4 range '5000'..'4999'"},
        {"ZIP,PLUS4_LOW,PLUS4_HIGH,CODE,STATE,LOCAL,TOT_RATE,EFF_START\n",
         "98101,0001,9999,1726,0.065,0.0405,0.1055,20260401\n", "not a supported rate table"},
    };
    char dir[] = "/tmp/levy_sf_rows_XXXXXX";
    char path[256] = "";
    levy_rates *r = NULL;
    levy_err err;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/Rates.csv", dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        fputs(cases[i].hdr, f);
        fputs(cases[i].rows, f);
        fclose(f);
        levy_err_clear(&err);
        CHECK(levy_rates_open_file(&r, path, &err) != 0);
        if (!strstr(err.message, cases[i].want))
            fprintf(stderr, "  case %zu: '%s' lacks '%s'\n", i, err.message, cases[i].want);
        CHECK(strstr(err.message, cases[i].want) != NULL);
        levy_rates_free(r);
        r = NULL;
    }
    /* the header is matched by name, in any order and case, quoted or not */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("\"Rate\",\"Location Code\",\"Name\",\"State\",\"Local\",\"Effective Date\","
          "\"Expiration Date\"\n"
          "0.1055,1726,\"Seattle (City)\",0.065,0.0405,4/1/2026,6/30/2026\n",
          f);
    fclose(f);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open_file(&r, path, &err), 0);
    levy_tax_resolution res;
    CHECK_EQ_INT(resolve(r, "seattle", "98101", "2026-06-30", &res, NULL, 0), 0);
    CHECK_EQ_INT(total(&res), 10550000);
end:
    levy_rates_free(r);
    unlink(path);
    rmdir(dir);
}

static const levy_test tests[] = {
    {"wa_import", t_wa_import}, {"wa_bad_rows", t_wa_bad_rows}, {NULL, NULL}};

LEVY_TEST_MAIN(tests)
