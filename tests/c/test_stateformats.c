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

/* The source of an answer: "wa-dor-rates" or not (src of resolve), and rates_stale's. */
#define FROM_DOR(src) (strstr(src, "wa-dor-rates") != NULL)

/* The DOR rate table of 2026Q2 ships (data/us/wa-dor-2026q2, the fixture's rows): a WA city
 * named as a location code is charged the DOR's rate from its EFFECTIVE DATE; past its
 * EXPIRATION DATE it is still the newest table levy has for WA, so it still answers, with
 * rates_stale; then the same file imported, and the ZIP+4 short file. */
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

    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    int found = 0;
    for (int i = 0; i < levy_rates_ntables(r); i++) {
        const levy_rates_table *t = levy_rates_table_at(r, i);
        if (strcmp(t->source, "wa-dor-rates") == 0) {
            CHECK_EQ_INT(t->rows, 407);
            CHECK_EQ_STR(t->vintage, "2026-04-01");
            CHECK(strstr(t->path, "us/wa-dor-2026q2") != NULL); /* shipped, loaded by default */
            /* stale the day after its rows end (Regions page, GET /admin/rates) */
            CHECK_EQ_INT(levy_rates_table_stale_after(r, i), 20260701);
            char regs[64];
            levy_rates_table_regions(r, i, regs, sizeof regs);
            CHECK_EQ_STR(regs, "US-WA");
            found = 1;
        }
    }
    CHECK(found);
    /* before its EFFECTIVE DATE: Seattle 98101 from the Dec-2025 ZIP5 table (10.35 %) */
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-03-31", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10350000);
    CHECK(strstr(src, "avalara-zip5") != NULL && !FROM_DOR(src));
    /* the city names location code 1726: Seattle's 2026Q2 rate, split state + local */
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10550000);
    CHECK_EQ_INT(res.n, 2);
    CHECK_EQ_STR(res.e[0].name, "WASHINGTON");
    CHECK_EQ_INT(res.e[0].rate, 6500000);
    CHECK_EQ_STR(res.e[1].name, "SEATTLE");
    CHECK_EQ_INT(res.e[1].rate, 4050000);
    CHECK(strstr(src, "wa-dor-rates 2026-04-01") != NULL);
    CHECK(res.stale_source == NULL);
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-06-30", &res, src, sizeof src), 0);
    CHECK(FROM_DOR(src) && res.stale_source == NULL);
    /* past its EXPIRATION DATE: still the newest WA table (the ZIP table is of 2025-12), so
     * its last quarter answers and says it is stale */
    const char *late[] = {"2026-07-01", "2026-12-07", "2027-03-01"};
    for (size_t i = 0; i < sizeof late / sizeof *late; i++) {
        CHECK_EQ_INT(resolve(r, "Seattle", "98101", late[i], &res, src, sizeof src), 0);
        CHECK_EQ_INT(total(&res), 10550000);
        CHECK(FROM_DOR(src));
        CHECK(res.stale_source != NULL && strcmp(res.stale_source, "wa-dor-rates") == 0);
        CHECK_EQ_STR(res.stale_vintage, "2026-04-01");
        CHECK_EQ_INT(res.stale_after, 20260701);
    }
    levy_rates_free(r);
    r = NULL;

    char *files[] = {FIX "wa-rates-2026q2.csv"};
    fflush(stdout);
    CHECK_EQ_INT(levy_rates_cli_import(1, files, "data", ddir), 0);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    found = 0;
    for (int i = 0; i < levy_rates_ntables(r); i++) {
        const levy_rates_table *t = levy_rates_table_at(r, i);
        if (strcmp(t->source, "wa-dor-rates") == 0) { /* the import replaced the shipped one */
            CHECK(strstr(t->path, "us/wa-dor-2026q2") == NULL);
            CHECK_EQ_INT(t->rows, 407);
            found++;
        }
    }
    CHECK_EQ_INT(found, 1);
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10550000);
    CHECK(strstr(src, "wa-dor-rates 2026-04-01") != NULL);
    /* a city the DOR names with its RTA suffix (Renton's codes are "RENTON RTA") */
    CHECK_EQ_INT(resolve(r, "Renton", "98056", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10500000);
    CHECK_EQ_STR(res.e[1].name, "RENTON RTA");

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
    /* past EFF_END the ZIP+4 ranges still answer, named by the (equally expired) rate table,
     * with rates_stale: the same rule as the rate table's */
    CHECK_EQ_INT(resolve(r, NULL, "98056-1234", "2026-08-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10500000);
    CHECK_EQ_STR(res.e[1].name, "RENTON RTA");
    CHECK(res.stale_source != NULL && strncmp(res.stale_source, "wa-dor-", 7) == 0);
    CHECK_EQ_INT(res.stale_after, 20260701);
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

/* Which location code a ship-to city names (shipped table, 2026-05-01): the DOR's names
 * carry an RTA suffix or a county ("BELLEVUE RTA", "AUBURN/KING RTA", "AUBURN/PIERCE"); the
 * code must lie in one of the ZIP's counties (HUD crosswalk); a city with codes of different
 * rates in the ZIP's counties, or a city of another county, is left to the ZIP table. */
static void t_wa_cities(void)
{
    levy_rates *r = NULL;
    levy_err err;
    levy_tax_resolution res;
    char src[256];
    static const struct {
        const char *city, *zip;
        int64_t rate; /* 0: not answered from the DOR table */
        const char *name;
    } cases[] = {
        {"Bellevue", "98004", 10300000, "BELLEVUE RTA"},     /* 1704 */
        {"Auburn", "98001", 10400000, "AUBURN/KING RTA"},    /* 1702; 98001 King only */
        {"Bothell", "98012", 10500000, "BOTHELL/SNOHOMISH"}, /* 3120; 98012 Snohomish only */
        /* King and Snohomish: 10.3 or 10.5, not decided (nor is the ZIP table's region,
         * "BOTHELL/SNOHOMISH SPECIAL TAX DIST", a location code) */
        {"Bothell", "98011", 0, NULL},
        {"Milton", "98354", 0, NULL}, /* King and Pierce: 10.3 or 10.1, not decided */
        /* a Clark County city named for a King County ZIP: not Vancouver's code, but the ZIP's
         * own region (the ZIP table's SEATTLE) at the newer table's rate, t_wa_region */
        {"Vancouver", "98101", 10550000, "SEATTLE"},
        {"Coulee City", "99115", 8200000, "COULEE"}, /* 1301, transcribed without " CITY" */
        {"kirkland", "98033", 10400000, "KIRKLAND"},
        {"Redmond", "98052", 10400000, "REDMOND RTA"},
    };
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", NULL, &err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_EQ_INT(resolve(r, cases[i].city, cases[i].zip, "2026-05-01", &res, src, sizeof src),
                     0);
        int ok = cases[i].rate ? FROM_DOR(src) && total(&res) == cases[i].rate && res.n == 2 &&
                                     strcmp(res.e[1].name, cases[i].name) == 0
                               : !FROM_DOR(src) && strstr(src, "avalara-zip5") != NULL;
        if (!ok)
            fprintf(stderr, "  case %s %s: %lld from %s\n", cases[i].city, cases[i].zip,
                    (long long)total(&res), src);
        CHECK(ok);
    }
    /* a city the DOR prices at two rates in the ZIP's counties is not picked but said:
     * ambiguous_zip lists the answer charged (the ZIP table's) and both codes */
    CHECK_EQ_INT(resolve(r, "Bothell", "98011", "2026-05-01", &res, src, sizeof src), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "98011");
    CHECK_EQ_INT(res.ncand, 3);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, total(&res));
    CHECK_EQ_STR(res.cand[1].jur[0], "WASHINGTON");
    CHECK_EQ_STR(res.cand[1].jur[1], "BOTHELL/KING");
    CHECK_EQ_INT(res.cand[1].rate, 10300000);
    CHECK_EQ_STR(res.cand[2].jur[1], "BOTHELL/SNOHOMISH");
    CHECK_EQ_INT(res.cand[2].rate, 10500000);
    CHECK_EQ_INT(resolve(r, "Milton", "98354", "2026-05-01", &res, src, sizeof src), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.ncand, 3);
    /* a city of one code is decided, nothing listed */
    CHECK_EQ_INT(resolve(r, "Bothell", "98012", "2026-05-01", &res, src, sizeof src), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
end:
    levy_rates_free(r);
}

/* A WA ZIP without a city that decides (shipped tables): the ZIP table's own region, when it is
 * a location code of the newer DOR table, is charged at the DOR's rate from its EFFECTIVE
 * DATE (resolution zip5, as CDTFA's newer city rate in California); a region named after a
 * county alone takes "<X> COUNTY"; a region named like a county and a city, a county only
 * with an RTA code, or a code outside the ZIP's counties is left to the ZIP table. */
static void t_wa_region(void)
{
    levy_rates *r = NULL;
    levy_err err;
    levy_tax_resolution res;
    char src[256];
    static const struct {
        const char *zip, *date;
        int64_t rate; /* 0: the ZIP table's answer */
        const char *name;
    } cases[] = {
        {"98101", "2026-05-01", 10550000, "SEATTLE"},         /* ZIP table 10.35 */
        {"98101", "2026-03-31", 0, NULL},                     /* before the DOR quarter */
        {"98320", "2026-05-01", 9500000, "JEFFERSON COUNTY"}, /* "JEFFERSON" 9.2 */
        {"98601", "2026-05-01", 8000000, "CLARK COUNTY"},     /* "CLARK" 7.8 */
        {"99003", "2026-05-01", 0, NULL}, /* "SPOKANE": the county's 8.1 or the city's 9.1? */
        {"98013", "2026-05-01", 0, NULL}, /* "KING" 8.8: no non-RTA King County code */
        {"98901", "2026-05-01", 0, NULL}, /* "KITTITAS", a Yakima County ZIP */
    };
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", NULL, &err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_EQ_INT(resolve(r, NULL, cases[i].zip, cases[i].date, &res, src, sizeof src), 0);
        int ok = cases[i].rate ? FROM_DOR(src) && total(&res) == cases[i].rate &&
                                     res.precision == LEVY_RES_ZIP5 && res.n == 2 &&
                                     strcmp(res.e[1].name, cases[i].name) == 0
                               : !FROM_DOR(src) && strstr(src, "avalara-zip5") != NULL;
        if (!ok)
            fprintf(stderr, "  case %s %s: %lld from %s\n", cases[i].zip, cases[i].date,
                    (long long)total(&res), src);
        CHECK(ok);
    }
    /* past the quarter: still the DOR's rate, stale */
    CHECK_EQ_INT(resolve(r, NULL, "98320", "2026-12-07", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 9500000);
    CHECK(res.stale_source != NULL && strcmp(res.stale_source, "wa-dor-rates") == 0);
end:
    levy_rates_free(r);
}

/* Past its EXPIRATION DATE the DOR table answers only while it is the newest table for WA:
 * a ZIP table of a later vintage (here a made-up WA file of 2026-09 with one ZIP, at a rate
 * no source gave: it only has to differ) answers from its own vintage on; before that date
 * and inside the DOR quarter the DOR rows still answer. */
static void t_wa_newer_zip_table(void)
{
    char dir[] = "/tmp/levy_sf_newer_XXXXXX";
    char ddir[300], path[300];
    levy_rates *r = NULL;
    levy_err err;
    levy_tax_resolution res;
    char src[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ddir, sizeof ddir, "%s/data", dir);
    snprintf(path, sizeof path, "%s/TAXRATES_ZIP5_WA202609.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,"
          "EstimatedCityRate,EstimatedSpecialRate\n"
          "WA,98101,SEATTLE,0.106500,0.065000,0,0.0415,0\n",
          f);
    fclose(f);
    char *files[] = {path};
    fflush(stdout);
    CHECK_EQ_INT(levy_rates_cli_import(1, files, "data", ddir), 0);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10550000); /* the DOR quarter */
    CHECK(FROM_DOR(src));
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-10-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10650000); /* the newer ZIP table, current: not stale */
    CHECK(!FROM_DOR(src) && res.stale_source == NULL);
    /* the newer table is newer for every date past the DOR quarter, even before its own
     * vintage month (levy has nothing dated for July-August 2026 either way) */
    CHECK_EQ_INT(resolve(r, "Seattle", "98101", "2026-07-15", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10650000);
    /* without a city, the ZIP table's region is not taken to the DOR table either: the ZIP
     * table is the newer one (2026-09 against 2026-04-01) */
    CHECK_EQ_INT(resolve(r, NULL, "98101", "2026-05-01", &res, src, sizeof src), 0);
    CHECK_EQ_INT(total(&res), 10650000);
    CHECK(!FROM_DOR(src));
end:
    levy_rates_free(r);
    cleanup(dir);
}

static const levy_test tests[] = {
    {"wa_import", t_wa_import},     {"wa_cities", t_wa_cities},
    {"wa_region", t_wa_region},     {"wa_newer_zip_table", t_wa_newer_zip_table},
    {"wa_bad_rows", t_wa_bad_rows}, {NULL, NULL}};

LEVY_TEST_MAIN(tests)
