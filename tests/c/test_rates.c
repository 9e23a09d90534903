/* Rate index: loading the shipped tables, ZIP / city / province / VAT lookups by date. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "tax/dec.h"
#include "tax/rates.h"
#include "tax/rates-internal.h"

static levy_rates *R;

static int32_t D(const char *s)
{
    int32_t d = 0;
    levy_tax_date_parse(s, strlen(s), &d);
    return d;
}

static levy_rates *rates(void)
{
    if (!R) {
        levy_err err;
        levy_err_clear(&err);
        if (levy_rates_open(&R, "data", NULL, &err) != LEVY_OK) {
            fprintf(stderr, "open: %s\n", err.message);
            R = NULL;
        }
    }
    return R;
}

static int64_t total(const levy_tax_resolution *res)
{
    int64_t t = 0;
    for (int i = 0; i < res->n; i++)
        t += res->e[i].rate;
    return t;
}

static int resolve(const char *country, const char *state, const char *city, const char *zip,
                   const char *date, levy_tax_resolution *res, levy_err *err)
{
    levy_tax_address a = {country, state, city, zip};
    levy_err_clear(err);
    return levy_rates_resolve(rates(), &a, D(date), res, err);
}

/* Loads every shipped table and checks what was loaded. How long the load takes is not a
 * unit test's business (a <= 300 ms assertion failed on a loaded machine and under ASan,
 * issues 15 and 18): bench/unit_timing.c measures it (rates_load_ms). */
static void t_load(void)
{
    CHECK(rates() != NULL);
    int n = levy_rates_ntables(R), found_avalara = 0;
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(R, i);
        if (strcmp(t->source, "avalara-zip5") == 0) {
            CHECK_EQ_INT(t->rows, 41001);
            CHECK_EQ_STR(t->vintage, "2025-12");
            found_avalara = 1;
        }
    }
    CHECK(found_avalara);
end:;
}

static void t_zip(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("US", "TX", "Austin", "78701", "2026-03-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "US-TX");
    CHECK_EQ_INT(total(&res), 8250000);
    CHECK_EQ_STR(res.e[0].name, "TEXAS");
    CHECK_EQ_INT(res.e[0].rate, 6250000);
    /* ZIP+4, both spellings */
    CHECK_EQ_INT(resolve("US", "TX", NULL, "78701-1234", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8250000);
    CHECK_EQ_INT(resolve("US", "TX", NULL, "787011234", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8250000);
    CHECK_EQ_INT(resolve("US", "IL", "Chicago", "60601", "2025-12-15", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 10250000);
    CHECK_EQ_INT(resolve("US", "NY", "New York", "10001", "2025-12-15", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8875000);
    CHECK_EQ_INT(resolve("US", "WA", "Seattle", "98101", "2025-12-15", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 10350000);
    /* UT components do not add up: the slack goes to the special component */
    CHECK_EQ_INT(resolve("US", "UT", NULL, "84101", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8450000);
    /* no tax */
    CHECK_EQ_INT(resolve("US", "OR", NULL, "97201", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.n, 0);
    /* DC + PR */
    CHECK_EQ_INT(resolve("US", "DC", NULL, "20001", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6000000);
    CHECK_EQ_STR(res.e[0].name, "DISTRICT OF COLUMBIA");
    CHECK_EQ_INT(resolve("US", "DC", NULL, "20001", "2026-10-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7000000); /* overlay, marked verify */
    CHECK_EQ_INT(resolve("US", "PR", NULL, "00901", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "US-PR");
    CHECK_EQ_INT(total(&res), 11500000);
end:;
}

static void t_zip_two_states(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* 10509 is in the CT and NY files: the address's state picks the row */
    CHECK_EQ_INT(resolve("US", "NY", NULL, "10509", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "US-NY");
    CHECK_EQ_STR(res.e[0].name, "NEW YORK");
    CHECK_EQ_INT(total(&res), 8375000);
    CHECK_EQ_INT(resolve("US", "CT", NULL, "10509", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "US-CT");
    CHECK_EQ_STR(res.e[0].name, "CONNECTICUT");
    CHECK_EQ_INT(total(&res), 6350000);
    /* 03579: Maine taxes, New Hampshire does not */
    CHECK_EQ_INT(resolve("US", "NH", NULL, "03579", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.n, 0);
    CHECK_EQ_INT(resolve("US", "ME", NULL, "03579", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 5500000);
    /* in neither listed state */
    CHECK(resolve("US", "TX", NULL, "10509", "2026-01-01", &res, &err) != 0);
    CHECK_EQ_STR(err.code, "address_unresolved");
end:;
}

static void t_unknown_zip(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("US", "CA", "Irvine", "00000", "2026-01-01", &res, &err), LEVY_ENOTFOUND);
    CHECK_EQ_STR(err.code, "address_unresolved");
    CHECK(resolve("US", "CA", NULL, "9261", "2026-01-01", &res, &err) != 0);
    CHECK(resolve("US", "CA", NULL, "92614-12", "2026-01-01", &res, &err) != 0);
    CHECK(resolve("US", "CA", NULL, NULL, "2026-01-01", &res, &err) != 0);
end:;
}

static void t_cdtfa(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* Irvine: 6.00 / 0.25 (ORANGE) / 0.50 district / 1.00 local */
    CHECK_EQ_INT(resolve("US", "CA", "Irvine", "92614", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.n, 4);
    CHECK_EQ_STR(res.e[0].name, "CALIFORNIA");
    CHECK_EQ_INT(res.e[0].rate, 6000000);
    CHECK_EQ_STR(res.e[1].name, "ORANGE");
    CHECK_EQ_INT(res.e[1].level, LEVY_LEVEL_COUNTY);
    CHECK_EQ_INT(res.e[1].rate, 250000);
    CHECK_EQ_INT(res.e[2].rate, 500000);
    CHECK_EQ_INT(res.e[2].level, LEVY_LEVEL_DISTRICT);
    CHECK_EQ_INT(res.e[3].rate, 1000000);
    /* 92615 is labelled HUNTINGTON BEACH in the ZIP table; the city wins */
    CHECK_EQ_INT(resolve("US", "CA", "irvine", "92615", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7750000);
    /* Beverly Hills 9.75 (CDTFA) beats the ZIP row's West Hollywood 10.5 */
    CHECK_EQ_INT(resolve("US", "CA", "Beverly Hills", "90210", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9750000);
    CHECK_EQ_STR(res.e[1].name, "LOS ANGELES");
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90210", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 10500000);
    /* unknown city: the ZIP row */
    CHECK_EQ_INT(resolve("US", "CA", "Nowhere", "92614", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7750000);
end:;
}

static void t_overlays(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("US", "NC", "Charlotte", "28202", "2026-06-30", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7250000);
    CHECK_EQ_INT(resolve("US", "NC", "Charlotte", "28202", "2026-07-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8250000);
    CHECK_EQ_INT(resolve("US", "TN", "Nashville", "37201", "2025-01-31", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9250000);
    CHECK_EQ_INT(resolve("US", "TN", "Nashville", "37201", "2025-02-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9750000);
    /* op unknown (issue 19): days levy has no rate for get the rate known from the next day it
     * has one, and the resolution says which day that is (the note rate_history_unknown) */
    CHECK_EQ_INT(resolve("US", "CT", "Hartford", "06103", "1989-12-31", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8000000);
    CHECK_EQ_INT(res.history_from, 19900101); /* the day after 1989-12-31: a new year */
    CHECK_EQ_STR(res.history_name, "CONNECTICUT");
    CHECK_EQ_INT(res.history_level, LEVY_LEVEL_STATE);
    CHECK_EQ_INT(res.history_rate, 8000000);
    CHECK_EQ_INT(resolve("US", "CT", "Hartford", "06103", "1990-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8000000);
    CHECK_EQ_INT(res.history_from, 0);
    CHECK_EQ_INT(resolve("US", "CT", "Hartford", "06103", "1991-10-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6000000);
    CHECK_EQ_INT(resolve("US", "DC", "Washington", "20001", "1994-02-28", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 5750000);
    CHECK_EQ_INT(res.history_from, 19950101);
    CHECK_EQ_INT(resolve("US", "DC", "Washington", "56901", "1981-06-30", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6000000);
    CHECK_EQ_INT(res.history_from, 19820101);
    CHECK_EQ_INT(resolve("US", "DC", "Washington", "20001", "1993-09-30", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6000000);
    CHECK_EQ_INT(res.history_from, 0);
    CHECK_EQ_INT(resolve("US", "CT", "Hartford", "06103", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.history_from, 0);
    /* op name (issue 19, names that file correctly): a county-wide district the ZIP table names
     * after a tax region gets its own name; the rate stays the table's */
    static const struct {
        const char *st, *city, *zip, *name, *not_name;
        int64_t rate, total;
    } named[] = {
        {"OH", "Columbus", "43215", "CENTRAL OHIO TRANSIT AUTHORITY", "GRANDVIEW", 1000000,
         8000000},
        {"OH", "Toledo", "43604", "TOLEDO AREA REGIONAL TRANSIT AUTHORITY", NULL, 500000, 7750000},
        {"NY", "Carmel", "10512", "METROPOLITAN COMMUTER TRANSPORTATION DISTRICT", "SOMERS", 375000,
         8375000},
        {"NY", "New York", "10001", "METROPOLITAN COMMUTER TRANSPORTATION DISTRICT", NULL, 375000,
         8875000},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        CHECK_EQ_INT(
            resolve("US", named[i].st, named[i].city, named[i].zip, "2026-03-01", &res, &err), 0);
        CHECK_EQ_INT(total(&res), named[i].total);
        int found = 0;
        for (int k = 0; k < res.n; k++) {
            if (res.e[k].level != LEVY_LEVEL_DISTRICT)
                continue;
            CHECK_EQ_STR(res.e[k].name, named[i].name);
            CHECK(res.e[k].suffix == NULL);
            CHECK_EQ_INT(res.e[k].rate, named[i].rate);
            CHECK(res.e[k].note != NULL && strstr(res.e[k].note, "overlays.csv") != NULL);
            found = 1;
        }
        CHECK(found);
    }
    /* a city tax the table names after a district: Memphis 38103 (no ship_to.city), the Census
     * place's code */
    CHECK_EQ_INT(resolve("US", "TN", NULL, "38103", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9750000);
    {
        int city = 0;
        for (int k = 0; k < res.n; k++)
            if (res.e[k].level == LEVY_LEVEL_CITY) {
                CHECK_EQ_STR(res.e[k].name, "MEMPHIS");
                CHECK(res.e[k].code && strcmp(res.e[k].code, "4748000") == 0);
                city = 1;
            }
        CHECK(city);
    }
    /* New York City's 4.5 %: its Census place code; Staten Island's ZIPs, which the table names
     * "RICHMOND" after the county, are the city's too */
    static const char *const nyc[] = {"10001", "10301", "11201"};
    for (size_t i = 0; i < sizeof nyc / sizeof *nyc; i++) {
        CHECK_EQ_INT(resolve("US", "NY", NULL, nyc[i], "2026-03-01", &res, &err), 0);
        int city = 0;
        for (int k = 0; k < res.n; k++)
            if (res.e[k].level == LEVY_LEVEL_CITY) {
                CHECK_EQ_STR(res.e[k].name, "NEW YORK CITY");
                CHECK(res.e[k].code && strcmp(res.e[k].code, "3651000") == 0);
                city = 1;
            }
        CHECK(city);
    }
    /* a district of another rate in the same ZIP range keeps its name: NC's, untouched */
    CHECK_EQ_INT(resolve("US", "NC", "Charlotte", "28202", "2026-03-01", &res, &err), 0);
    for (int k = 0; k < res.n; k++)
        CHECK(strcmp(res.e[k].name, "METROPOLITAN COMMUTER TRANSPORTATION DISTRICT") != 0);
end:;
}

static void t_sst(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* MN state rate 6.875 from the SST file (since 2009-07-01) */
    CHECK_EQ_INT(resolve("US", "MN", NULL, "55401", "2026-04-01", &res, &err), 0);
    CHECK_EQ_STR(res.e[0].name, "MINNESOTA");
    CHECK_EQ_INT(res.e[0].rate, 6875000);
    char src[256];
    levy_rates_describe(R, &res, src, sizeof src);
    CHECK(strstr(src, "sst 2026Q2") != NULL);
end:;
}

/* California ZIPs that span several cities or district taxes (issue 19, address precision):
 * the candidates come from CDTFA's city and county rates, the ZIP-county crosswalk and the ZIP
 * table's tax-region name; ship_to.city picks a city that lies in the ZIP's counties. */
static const levy_tax_candidate *cand_named(const levy_tax_resolution *res, const char *jur2)
{
    for (int c = 0; c < res->ncand; c++)
        if (res->cand[c].nj == 3 && strcmp(res->cand[c].jur[2], jur2) == 0 &&
            !res->cand[c].is_default)
            return &res->cand[c];
    return NULL;
}

/* A CA ZIP whose ZIP-table region is a city of a county the ZIP is not in (HUD crosswalk):
 * 94301 (Palo Alto, Santa Clara County) is named MENLO PARK (San Mateo County, 9.375 %), 95816
 * (Sacramento) WEST SACRAMENTO (Yolo County, 9.25 %). levy charges the table's rate but says it
 * cannot tell (ambiguous_zip, with the ZIP's county's unincorporated rate); a city of the ZIP's
 * county given in the address decides (issue 19, a neighbouring city's rate). */
static void t_ca_region_elsewhere(void)
{
    levy_tax_resolution res;
    levy_err err;
    const levy_tax_candidate *c;
    CHECK_EQ_INT(resolve("US", "CA", NULL, "94301", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 9375000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "94301");
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 9375000);
    CHECK((c = cand_named(&res, "SANTA CLARA COUNTY (UNINCORPORATED)")) != NULL);
    CHECK_EQ_INT(c->rate, 9125000);
    CHECK_EQ_INT(resolve("US", "CA", "Palo Alto", "94301", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 9125000);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(resolve("US", "CA", NULL, "95816", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9250000);
    CHECK(res.ambiguous);
    CHECK((c = cand_named(&res, "SACRAMENTO COUNTY (UNINCORPORATED)")) != NULL);
    CHECK_EQ_INT(c->rate, 7750000);
    CHECK_EQ_INT(resolve("US", "CA", "Sacramento", "95816", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 8750000);
    CHECK(!res.ambiguous);
    /* a region that is a city of the ZIP's own county: nothing to say (92614 Irvine) */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "92614", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7750000);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
end:;
}

static void t_ca_candidates(void)
{
    levy_tax_resolution res;
    levy_err err;
    const levy_tax_candidate *c;
    /* 90016: the ZIP table (2025-12) names it CULVER CITY at 10.5; CDTFA's file of 2026-01-01
     * has Culver City at 10.75 and the rest of the ZIP (Los Angeles) at the county's 9.75.
     * Before CDTFA's date the ZIP table's rate is the default (issue 19, which vintage wins) */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90016", "2025-12-15", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 10500000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "90016");
    CHECK(res.ncand >= 3);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 10500000);
    CHECK((c = cand_named(&res, "CULVER CITY")) != NULL);
    CHECK_EQ_INT(c->rate, 10750000);
    CHECK_EQ_STR(c->city, "CULVER CITY");
    CHECK_EQ_STR(c->jur[1], "LOS ANGELES");
    CHECK_EQ_STR(c->code[1], "06037");
    /* ... the city given: the ZIP table's rate for it, before CDTFA's file */
    CHECK_EQ_INT(resolve("US", "CA", "Culver City", "90016", "2025-12-31", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 10500000);
    CHECK(!res.ambiguous);
    /* on and after 2026-01-01 CDTFA's newer rate is the default, the old one not listed */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90016", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 10750000);
    CHECK(res.ambiguous);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 10750000);
    CHECK_EQ_STR(res.cand[0].jur[2], "CULVER CITY");
    for (int k = 0; k < res.ncand; k++)
        CHECK(res.cand[k].rate != 10500000);
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90016", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 10750000);
    CHECK((c = cand_named(&res, "LOS ANGELES COUNTY (UNINCORPORATED)")) != NULL);
    CHECK_EQ_INT(c->rate, 9750000);
    CHECK(c->city == NULL);
    /* the city decides */
    CHECK_EQ_INT(resolve("US", "CA", "Culver City", "90016", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 10750000);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    CHECK_EQ_INT(resolve("US", "CA", "Los Angeles", "90016", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9750000);
    CHECK(!res.ambiguous);
    /* a city outside the ZIP's county does not pick the rate: listed beside the others */
    CHECK_EQ_INT(resolve("US", "CA", "Oakland", "90016", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 10750000); /* the default: CDTFA's Culver City at the date */
    CHECK(res.ambiguous);
    CHECK((c = cand_named(&res, "OAKLAND")) != NULL);
    CHECK_EQ_STR(c->jur[1], "ALAMEDA");
    /* 90210 is named after a district (WEST HOLLYWOOD TOURISM IMPROVEMENT DISTRICT) */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90210", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK((c = cand_named(&res, "WEST HOLLYWOOD")) != NULL);
    CHECK_EQ_INT(c->rate, 10500000);
    /* 94505 lies in Alameda and Contra Costa counties (the crosswalk) */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "94505", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK((c = cand_named(&res, "CONTRA COSTA COUNTY (UNINCORPORATED)")) != NULL);
    CHECK_EQ_INT(c->rate, 8750000);
    /* one county, a city at its CDTFA rate: one rate, nothing listed */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "90001", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    /* "SAN BERNARDINO" at the county's 7.75 is the county's unincorporated area, not the city
     * (8.75): not ambiguous */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "92256", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
end:;
}

/* A ZIP whose ZIP-table region is a district covering only part of it (issue 19): candidates
 * outside (default, charged) and inside the district, rates exact sums of the components. */
static void t_partial_districts(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* MO 63005 "CHESTERFIELD BLUE VALLEY COMMUNITY IMPROVEMENT DISTRICT SP": 4.225 + 2.263 +
     * 1.0 + special 2.625; St. Louis County's lowest plain special rate is 1.25 */
    CHECK_EQ_INT(resolve("US", "MO", NULL, "63005", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 8738000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "63005");
    CHECK_EQ_INT(res.ncand, 2);
    CHECK(res.cand[0].is_default);
    CHECK(res.cand[0].district == NULL);
    CHECK_EQ_INT(res.cand[0].rate, 8738000);
    CHECK(!res.cand[1].is_default);
    CHECK_EQ_INT(res.cand[1].rate, 10113000);
    CHECK_EQ_STR(res.cand[1].district,
                 "CHESTERFIELD BLUE VALLEY COMMUNITY IMPROVEMENT DISTRICT SP");
    /* the city entry: the Census place the region's leading words name */
    int city = -1;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_CITY)
            city = k;
    CHECK(city >= 0);
    CHECK_EQ_STR(res.e[city].name, "CHESTERFIELD");
    CHECK_EQ_STR(res.e[city].code, "2913600");
    /* ship_to.city naming the district's own city cannot say inside or outside */
    CHECK_EQ_INT(resolve("US", "MO", "Chesterfield", "63005", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 8738000);
    /* another place decides: 63017's region is Town and Country's TDD (9.488; 8.988 outside);
     * Chesterfield's rates in St. Louis County come from 63005's row outside its district --
     * 8.738, the city's published rate for 63017 (chesterfield.mo.us/tax-information.html) */
    CHECK_EQ_INT(resolve("US", "MO", NULL, "63017", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 8988000);
    CHECK_EQ_INT(resolve("US", "MO", "Chesterfield", "63017", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 8738000);
    /* KS 66204 "OVERLAND PARK THE VUE CID SP": the rest of Overland Park (its own region, same
     * county and city rates) has no special rate */
    CHECK_EQ_INT(resolve("US", "KS", NULL, "66204", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 9350000);
    CHECK_EQ_INT(res.cand[0].rate, 9350000);
    CHECK_EQ_INT(res.cand[1].rate, 10350000);
    /* IL 60436 "JOLIET RT53 LARAWAY BD SP": Joliet's special 0.75, the business district 1.0 */
    CHECK_EQ_INT(resolve("US", "IL", NULL, "60436", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 8750000);
    CHECK_EQ_INT(res.cand[1].rate, 9750000);
    /* MO 64105, 64106 "KANSAS CITY 1200 MAIN TL" (the 1200 Main/South Loop TDD, a downtown
     * block) at special 3.125: Kansas City's lowest plain special rate in Jackson County (0.125,
     * the zoo district) is more than a district's cap below -- downtown's districts are
     * layered -- so the outside rate is Kansas City's lowest plain special within the cap:
     * 1.125 (the zoo's 0.125 + the Main Street Rail TDD's 1 %, 64102), 9.975 in all */
    const char *const kc[] = {"64105", "64106"};
    for (size_t i = 0; i < sizeof kc / sizeof *kc; i++) {
        CHECK_EQ_INT(resolve("US", "MO", NULL, kc[i], "2026-03-01", &res, &err), 0);
        CHECK(res.ambiguous);
        CHECK_EQ_INT(res.ncand, 2);
        CHECK_EQ_INT(total(&res), 9975000);
        CHECK(res.cand[0].is_default);
        CHECK_EQ_INT(res.cand[0].rate, 9975000);
        CHECK_EQ_INT(res.cand[1].rate, 11975000);
        CHECK_EQ_STR(res.cand[1].district, "KANSAS CITY 1200 MAIN TL");
    }
    /* area-wide districts are not flagged: Chicago's MPEA (60601), El Paso's transit (79901),
     * a county T-SPLOST (31901), an ordinary city (63038 ELLISVILLE at its lower rate), a
     * regional transit authority (80106) */
    const char *const whole[][2] = {
        {"IL", "60601"}, {"TX", "79901"}, {"GA", "31901"}, {"MO", "63038"}, {"CO", "80106"}};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        CHECK_EQ_INT(resolve("US", whole[i][0], NULL, whole[i][1], "2026-03-01", &res, &err), 0);
        CHECK(!res.ambiguous);
        CHECK_EQ_INT(res.ncand, 0);
    }
end:;
}

/* County-rate states (issue 19, h-addr26): in North Carolina every local sales tax is a
 * county's, so the county the crosswalk puts a ZIP in decides its rate; the ZIP table names
 * some single-county ZIPs after a neighbouring county's higher-rated region. NC DOR, Sales and
 * Use Tax Rates Effective July 1, 2024: Chatham 7 %, Watauga 6.75 %, Orange 7.5 %. */
static void t_county_decides(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* 27312 Pittsboro (Chatham County only): the table's "ORANGE CO TR" 7.5 %, Chatham's 7 % */
    CHECK_EQ_INT(resolve("US", "NC", NULL, "27312", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 7000000);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.ncand, 2);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 7000000);
    CHECK_EQ_STR(res.cand[0].area_kind, "zip_county");
    CHECK_EQ_STR(res.cand[0].jur[1], "CHATHAM COUNTY");
    CHECK_EQ_INT(res.cand[1].rate, 7500000);
    CHECK_EQ_STR(res.cand[1].area, "ORANGE CO TR");
    CHECK_EQ_STR(res.cand[1].area_kind, "zip_table_region");
    /* 28607 Boone (Watauga County only): the table's "WILKES" 7 %, Watauga's 6.75 % */
    CHECK_EQ_INT(resolve("US", "NC", "Boone", "28607", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6750000);
    int county = -1;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_COUNTY)
            county = k;
    CHECK(county >= 0);
    CHECK_EQ_STR(res.e[county].name, "WATAUGA COUNTY");
    /* a ZIP at its county's rate: nothing to say (27006 Bermuda Run, Davie 6.75 %) */
    CHECK_EQ_INT(resolve("US", "NC", NULL, "27006", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 6750000);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    /* other states are untouched: 27312's kind does not reach a county-line ZIP of Missouri */
    CHECK_EQ_INT(resolve("US", "MO", NULL, "63038", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
end:;
}

/* Partial-ZIP cities (issue 19): a ZIP named after a city in AK, AL, AZ, ID, OK also reaches
 * the county around the city; the ZIP table's answer stays charged (default) and the
 * candidates list the place outside any city (and, in Alabama, the police jurisdiction). */
static void t_partial_cities(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* OK 74955 SALLISAW: 4.5 + Sequoyah County 1.417 + city 4.0; outside the city 5.917 (the
     * county has no row of its own in the table: the row's state and county components) */
    CHECK_EQ_INT(resolve("US", "OK", NULL, "74955", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 9917000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "74955");
    CHECK_EQ_INT(res.ncand, 2);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 9917000);
    CHECK_EQ_STR(res.cand[0].area, "SALLISAW");
    CHECK_EQ_STR(res.cand[0].area_kind, "city");
    CHECK(!res.cand[1].is_default);
    CHECK_EQ_INT(res.cand[1].rate, 5917000);
    CHECK_EQ_STR(res.cand[1].area_kind, "outside_cities");
    CHECK_EQ_STR(res.cand[1].area, "SEQUOYAH COUNTY");
    CHECK_EQ_INT(res.cand[1].nj, 2);
    CHECK_EQ_STR(res.cand[1].jur[1], "SEQUOYAH COUNTY");
    CHECK_EQ_STR(res.cand[1].code[1], "40135");
    /* the ZIP's own city does not decide (every address of the ZIP is mailed as Sallisaw) */
    CHECK_EQ_INT(resolve("US", "OK", "Sallisaw", "74955", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 9917000);
    /* ID 83340 KETCHUM (resort city 2 %): Blaine County's own row (6 %) outside the city;
     * ship_to.city naming another place of the county the table prices decides: Sun Valley */
    CHECK_EQ_INT(resolve("US", "ID", NULL, "83340", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 8000000);
    CHECK_EQ_INT(res.cand[1].rate, 6000000);
    CHECK_EQ_STR(res.cand[1].area, "BLAINE");
    CHECK_EQ_INT(resolve("US", "ID", "Sun Valley", "83340", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 9000000);
    /* AL 35087 "ARAB PJ" (Arab's police jurisdiction, 10 %): the city (35016's ARAB, 12.5 %)
     * and outside both (7.5 %) */
    CHECK_EQ_INT(resolve("US", "AL", NULL, "35087", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 10000000);
    CHECK_EQ_INT(res.ncand, 3);
    CHECK_EQ_STR(res.cand[0].area_kind, "police_jurisdiction");
    CHECK_EQ_STR(res.cand[1].area_kind, "city");
    CHECK_EQ_INT(res.cand[1].rate, 12500000);
    CHECK_EQ_STR(res.cand[2].area_kind, "outside_cities");
    CHECK_EQ_INT(res.cand[2].rate, 7500000);
    /* a ZIP of four counties (35016 ARAB): Albertville, a place of one of them, decides */
    CHECK_EQ_INT(resolve("US", "AL", "Albertville", "35016", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 10000000);
    /* AK 99603 HOMER (its tax in the table's county column): the borough's 3 % outside */
    CHECK_EQ_INT(resolve("US", "AK", NULL, "99603", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.cand[0].rate, 7850000);
    CHECK_EQ_INT(res.cand[1].rate, 3000000);
    CHECK_EQ_STR(res.cand[1].area, "KENAI PENINSULA");
    /* not flagged: a county's own row (ID 83702 ADA: no city tax; OK 73950 BEAVER), another
     * state's city (MO 63038 ELLISVILLE) */
    /* nor a big city's ZIP in one county (the table names many ZIPs after it: downtown
     * Phoenix, Oklahoma City, Birmingham are wholly inside) */
    const char *const whole[][2] = {{"ID", "83702"}, {"MO", "63038"}, {"OK", "73950"},
                                    {"AZ", "85004"}, {"OK", "73102"}, {"AL", "35203"}};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        CHECK_EQ_INT(resolve("US", whole[i][0], NULL, whole[i][1], "2026-03-01", &res, &err), 0);
        CHECK(!res.ambiguous);
        CHECK_EQ_INT(res.ncand, 0);
    }
    /* a place of another county named by ship_to.city does not decide */
    CHECK_EQ_INT(resolve("US", "OK", "Tulsa", "74955", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 9917000);
end:;
}

/* Plain-named ZIPs spanning several rates (issue 19): a region without a district in its name
 * that the table prices at two special rates in a county it shares, with the same state, county
 * and city rates; the ZIP at the higher rate keeps it (default, charged) and lists the region's
 * lower rate. */
static void t_plain_specials(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* MO 63011 ELLISVILLE: 4.225 + 2.263 + 1.25 + special 3.25 = 10.988; 63038 ELLISVILLE
     * special 1.25 = 8.988 */
    CHECK_EQ_INT(resolve("US", "MO", NULL, "63011", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 10988000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "63011");
    CHECK_EQ_INT(res.ncand, 2);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 10988000);
    CHECK_EQ_STR(res.cand[0].area, "ELLISVILLE");
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special");
    CHECK(!res.cand[1].is_default);
    CHECK_EQ_INT(res.cand[1].rate, 8988000);
    CHECK_EQ_STR(res.cand[1].area_kind, "lower_special");
    /* ship_to.city naming the region itself does not decide: every address of it says so */
    CHECK_EQ_INT(resolve("US", "MO", "Ellisville", "63011", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 10988000);
    /* IL 60137 LOMBARD: 9 % (special 1.75), the region's 60515 at 8 % (0.75) */
    CHECK_EQ_INT(resolve("US", "IL", NULL, "60137", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 9000000);
    CHECK_EQ_INT(res.cand[1].rate, 8000000);
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special");
    /* not flagged: the region's ZIP at its lower rate (63038, 60515); NM 87022, whose row puts
     * the whole rate in the special column (no state rate: not the same shape) */
    const char *const whole[][2] = {{"MO", "63038"}, {"IL", "60515"}, {"NM", "87022"}};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
        CHECK_EQ_INT(resolve("US", whole[i][0], NULL, whole[i][1], "2026-03-01", &res, &err), 0);
        CHECK(!res.ambiguous);
        CHECK_EQ_INT(res.ncand, 0);
    }
end:;
}

/* The special entry of res, or NULL. */
static const levy_tax_entry *special_entry(const levy_tax_resolution *res)
{
    for (int i = 0; i < res->n; i++)
        if (res->e[i].level == LEVY_LEVEL_DISTRICT)
            return &res->e[i];
    return NULL;
}

/* Wide gaps between a ZIP's candidate rates (issue 19): a plain-named region the table prices
 * at two special rates more than 2 percentage points apart (above a district's cap: a tribal
 * nation's tax on part of a county) is flagged too, the table's rate still charged, the kinds
 * and the special entry's note saying the gap is wide; ship_to.city naming another place of
 * the county the table prices decides. */
static void t_wide_specials(void)
{
    levy_tax_resolution res;
    levy_err err;
    /* AZ 86502 APACHE (Chambers, on the Navajo Nation's edge): 5.6 + 0.5 + special 6 = 12.1;
     * the county's other ZIPs (85920 APACHE) 6.1 */
    CHECK_EQ_INT(resolve("US", "AZ", NULL, "86502", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(total(&res), 12100000);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.zip5, "86502");
    CHECK_EQ_INT(res.ncand, 2);
    CHECK(res.cand[0].is_default);
    CHECK_EQ_INT(res.cand[0].rate, 12100000);
    CHECK_EQ_STR(res.cand[0].area, "APACHE");
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special_wide");
    CHECK(!res.cand[1].is_default);
    CHECK_EQ_INT(res.cand[1].rate, 6100000);
    CHECK_EQ_STR(res.cand[1].area_kind, "lower_special_wide");
    const levy_tax_entry *sp = special_entry(&res);
    CHECK(sp != NULL && sp->rate == 6000000);
    CHECK(sp->note != NULL && strstr(sp->note, "more than 2 percentage points") != NULL);
    /* NAVAJO 86031 (12.43 against the county's 6.43); MO 64111 KANSAS CITY (3.125 against the
     * city's 0.125 special: a gap of 3 points) */
    CHECK_EQ_INT(resolve("US", "AZ", NULL, "86031", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.cand[1].rate, 6430000);
    CHECK_EQ_INT(resolve("US", "MO", NULL, "64111", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special_wide");
    /* tribal land the table names as its own region, all its rows at one rate: the county's
     * own rows of the same shape around it (UT 84512 NAVAJO NATION, Bluff: 4.8499 + 1.5 + the
     * Navajo Nation's 6 = 12.35 against SAN JUAN 6.35; NV 89431 RENO SPARKS INDIAN COLONY, a
     * Sparks ZIP: 16.89 against WASHOE 8.265) */
    CHECK_EQ_INT(resolve("US", "UT", NULL, "84512", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 12350000);
    CHECK_EQ_STR(res.cand[0].area, "NAVAJO NATION");
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special_wide");
    CHECK_EQ_INT(res.cand[1].rate, 6350000);
    CHECK_EQ_STR(res.cand[1].area, "SAN JUAN");
    CHECK_EQ_INT(resolve("US", "NV", NULL, "89431", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.cand[1].rate, 8265000);
    /* NM's Navajo Nation rows carry no county rate beside the Nation's 6 % (87420 Shiprock:
     * 4.875 + 6 = 10.875): flagged against the county's row off the Nation (SAN JUAN 6.5 %:
     * state + county), the table's rate still charged; the same-shape comparison comes first
     * (SC 29730 CATAWBA INDIAN RESERVATION keeps its 7 % candidate) */
    CHECK_EQ_INT(resolve("US", "NM", NULL, "87420", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 10875000);
    CHECK_EQ_STR(res.cand[0].area, "NAVAJO NATION RESERVATION");
    CHECK_EQ_STR(res.cand[0].area_kind, "higher_special_wide");
    CHECK_EQ_INT(res.cand[1].rate, 6500000);
    CHECK_EQ_STR(res.cand[1].area, "SAN JUAN");
    CHECK_EQ_STR(res.cand[1].area_kind, "lower_special_wide");
    CHECK_EQ_INT(resolve("US", "SC", NULL, "29730", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.cand[1].rate, 7000000);
    /* a tribal nation's tax the table adds on top of state and county where the nation's law
     * puts it in their stead (NY 13461 VERNON, 13054 ONEIDA INDIAN RESERVATION: 4 + 4.75 + the
     * Oneida Indian Nation's 8.75 = 17.5; Settlement Agreement 2013-05-16): overlays.csv sets
     * it to 0, so Oneida County's 8.75 is charged and no higher_special candidate is left */
    static const char *const oneida[] = {"13461", "13476", "13054", "13162"};
    for (size_t i = 0; i < sizeof oneida / sizeof *oneida; i++) {
        CHECK_EQ_INT(resolve("US", "NY", NULL, oneida[i], "2026-03-01", &res, &err), 0);
        CHECK_EQ_INT(total(&res), 8750000);
        CHECK(!res.ambiguous);
        CHECK_EQ_INT(res.ncand, 0);
        CHECK(special_entry(&res) == NULL);
    }
    /* Oneida (city) 13421: 4 + 4 + 4 + 8 = 20 in the table, 8 in NY Pub 718 */
    CHECK_EQ_INT(resolve("US", "NY", "Oneida", "13421", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8000000);
    /* and its 4 % county tax is Madison County's (op name at county level: the county's FIPS) */
    int madison = 0;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_COUNTY) {
            CHECK_EQ_STR(res.e[k].name, "MADISON COUNTY");
            CHECK_EQ_STR(res.e[k].code, "36053");
            madison = 1;
        }
    CHECK(madison);
    /* Nassau County ZIPs the table prices as New York City (11021 Great Neck, 11096 Inwood,
     * 11581 Valley Stream; HUD crosswalk: Nassau only): Nassau's 8.625 % (Pub 718), the county
     * tax NASSAU COUNTY 36059 and no city tax; Yonkers 10704, which the table names NEW YORK
     * CITY, names its 4.5 % YONKERS 3684000 (overlays.csv; bench/name_checks.py found them) */
    static const char *const nassau[] = {"11021", "11096", "11581"};
    for (size_t i = 0; i < sizeof nassau / sizeof *nassau; i++) {
        CHECK_EQ_INT(resolve("US", "NY", NULL, nassau[i], "2026-03-01", &res, &err), 0);
        CHECK_EQ_INT(total(&res), 8625000);
        int county = 0;
        for (int k = 0; k < res.n; k++) {
            CHECK(res.e[k].level != LEVY_LEVEL_CITY);
            if (res.e[k].level == LEVY_LEVEL_COUNTY) {
                CHECK_EQ_STR(res.e[k].name, "NASSAU COUNTY");
                CHECK_EQ_STR(res.e[k].code, "36059");
                county = 1;
            }
        }
        CHECK(county);
    }
    CHECK_EQ_INT(resolve("US", "NY", NULL, "10704", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 8875000);
    int yonkers = 0;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_CITY) {
            CHECK_EQ_STR(res.e[k].name, "YONKERS");
            CHECK_EQ_STR(res.e[k].code, "3684000");
            yonkers = 1;
        }
    CHECK(yonkers);
    /* a ZIP-table region named as a county's unincorporated area that is also a CDTFA city of
     * another county ("SAN JOAQUIN" 95220 Acampo at San Joaquin County's 7.75 %; the city of San
     * Joaquin is in Fresno County at 7.975 %): the county is SAN JOAQUIN 06077, not FRESNO */
    CHECK_EQ_INT(resolve("US", "CA", NULL, "95220", "2026-03-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 7750000);
    int sj = 0;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_COUNTY) {
            CHECK_EQ_STR(res.e[k].name, "SAN JOAQUIN");
            CHECK_EQ_STR(res.e[k].code, "06077");
            sj = 1;
        }
    CHECK(sj);
    /* a tribal region whose gap is within a district's cap is not flagged here (AZ 85256 SALT
     * RIVER RESERVATION 8.05 against MARICOPA's 6.3: 1.75 points) */
    CHECK_EQ_INT(resolve("US", "AZ", NULL, "85256", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    /* the region's own name does not decide; another place of the county does (St. Johns,
     * Apache County: 9.1 %, zip5_city) */
    CHECK_EQ_INT(resolve("US", "AZ", "Apache", "86502", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 12100000);
    CHECK_EQ_INT(resolve("US", "AZ", "St. Johns", "86502", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 0);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    CHECK_EQ_INT(total(&res), 9100000);
    /* a place of another county does not (Tucson, Pima County) */
    CHECK_EQ_INT(resolve("US", "AZ", "Tucson", "86502", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(total(&res), 12100000);
    /* not flagged: the county's ZIP at its lower rate (85920) */
    CHECK_EQ_INT(resolve("US", "AZ", NULL, "85920", "2026-03-01", &res, &err), 0);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(total(&res), 6100000);
end:;
}

/* The entry of a level in res, or NULL. */
static const levy_tax_entry *at_level(const levy_tax_resolution *res, int level)
{
    for (int i = 0; i < res->n; i++)
        if (res->e[i].level == level)
            return &res->e[i];
    return NULL;
}

/* Alaska (issue 19): no state sales tax, boroughs and cities levy their own; the ZIP table
 * gives a city's tax inside a borough as county tax ("HOMER" 7.85 %). Where the table prices
 * the borough on its own ("KENAI PENINSULA" 3 %), the answer names the borough at its rate and
 * the city at the rest; a consolidated city and borough stays whole at the county level. */
static void t_alaska(void)
{
    levy_tax_resolution res;
    levy_err err;
    const levy_tax_entry *e;
    const struct {
        const char *zip, *county, *code, *city, *place;
        int64_t county_rate, city_rate;
    } cases[] = {
        {"99603", "KENAI PENINSULA BOROUGH", "02122", "HOMER", "0233140", 3000000, 4850000},
        {"99664", "KENAI PENINSULA BOROUGH", "02122", "SEWARD", "0268560", 3000000, 4000000},
        {"99669", "KENAI PENINSULA BOROUGH", "02122", "SOLDOTNA", "0271640", 3000000, 3000000},
        {"99901", "KETCHIKAN GATEWAY BOROUGH", "02130", "SAXMAN", "0267570", 2500000, 4000000},
        {"99556", "KENAI PENINSULA BOROUGH", "02122", NULL, NULL, 3000000, 0},
        {"99801", "JUNEAU CITY AND BOROUGH", "02110", NULL, NULL, 5000000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_EQ_INT(resolve("US", "AK", NULL, cases[i].zip, "2026-03-01", &res, &err), 0);
        CHECK_EQ_INT(total(&res), cases[i].county_rate + cases[i].city_rate);
        CHECK((e = at_level(&res, LEVY_LEVEL_COUNTY)) != NULL);
        CHECK_EQ_STR(e->name, cases[i].county);
        CHECK(e->suffix == NULL);
        CHECK_EQ_STR(e->code, cases[i].code);
        CHECK_EQ_INT(e->rate, cases[i].county_rate);
        e = at_level(&res, LEVY_LEVEL_CITY);
        if (!cases[i].city) {
            CHECK(e == NULL || e->rate == 0);
            continue;
        }
        CHECK(e != NULL);
        CHECK_EQ_STR(e->name, cases[i].city);
        CHECK_EQ_INT(e->rate, cases[i].city_rate);
        CHECK_EQ_STR(e->code, cases[i].place); /* the Census place (FIPS 55) */
    }
    /* Homer's candidates: the city (borough + city) and the borough outside any city */
    CHECK_EQ_INT(resolve("US", "AK", NULL, "99603", "2026-03-01", &res, &err), 0);
    CHECK(res.ambiguous);
    CHECK_EQ_INT(res.ncand, 2);
    CHECK_EQ_STR(res.cand[0].area, "HOMER");
    CHECK_EQ_INT(res.cand[0].rate, 7850000);
    CHECK_EQ_STR(res.cand[1].area_kind, "outside_cities");
    CHECK_EQ_INT(res.cand[1].rate, 3000000);
    CHECK_EQ_INT(res.cand[0].nj, 2);
    CHECK_EQ_STR(res.cand[0].jur[0], "KENAI PENINSULA BOROUGH");
    CHECK_EQ_STR(res.cand[0].jur[1], "HOMER");
    CHECK_EQ_STR(res.cand[0].code[1], "0233140");
    CHECK_EQ_STR(res.cand[1].jur[res.cand[1].nj - 1], "KENAI PENINSULA BOROUGH");
    /* the county entry says how its part was told apart */
    CHECK((e = at_level(&res, LEVY_LEVEL_COUNTY)) != NULL && e->note != NULL);
    CHECK(strstr(e->note, "together") != NULL);
end:;
}

static void t_vintage_from(void)
{
    CHECK_EQ_INT(levy_rates_vintage_from("2026-01-01"), 20260101);
    CHECK_EQ_INT(levy_rates_vintage_from("2025-12"), 20251201);
    CHECK_EQ_INT(levy_rates_vintage_from("2026Q2"), 20260401);
    CHECK_EQ_INT(levy_rates_vintage_from("unknown"), 0);
    CHECK_EQ_INT(levy_rates_vintage_from("2026-13"), 0);
end:;
}

static void t_canada(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("CA", "NS", NULL, NULL, "2025-03-31", &res, &err), 0);
    CHECK_EQ_INT(res.n, 1);
    CHECK_EQ_INT(res.e[0].rate, 15000000);
    CHECK_EQ_INT(res.e[0].type, LEVY_TYPE_HST);
    CHECK_EQ_INT(resolve("CA", "NS", NULL, NULL, "2025-04-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 14000000);
    CHECK_EQ_INT(resolve("CA", "QC", NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.n, 2);
    CHECK_EQ_STR(res.group_region[0], "CA");
    CHECK_EQ_STR(res.group_region[1], "CA-QC");
    CHECK_EQ_INT(res.e[0].type, LEVY_TYPE_GST);
    CHECK_EQ_INT(res.e[1].type, LEVY_TYPE_QST);
    CHECK_EQ_INT(res.e[1].rate, 9975000);
    CHECK_EQ_INT(res.e[1].group, 1);
    CHECK_EQ_INT(resolve("CA", "BC", NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 12000000);
    CHECK_EQ_INT(resolve("CA", "ON", NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(total(&res), 13000000);
    CHECK(resolve("CA", "XX", NULL, NULL, "2026-01-01", &res, &err) != 0);
end:;
}

static void t_eu(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("DE", NULL, NULL, "10115", "2020-12-31", &res, &err), 0);
    CHECK_EQ_STR(res.region, "EU");
    CHECK_EQ_STR(res.e[0].name, "GERMANY");
    CHECK_EQ_INT(res.e[0].rate, 16000000);
    CHECK_EQ_INT(resolve("DE", NULL, NULL, "10115", "2021-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 19000000);
    int64_t red = 0;
    CHECK_EQ_INT(levy_rates_vat_key(&res, "reduced", &red), 0);
    CHECK_EQ_INT(red, 7000000);
    CHECK_EQ_INT(resolve("RO", NULL, NULL, NULL, "2025-07-31", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 19000000);
    CHECK_EQ_INT(resolve("RO", NULL, NULL, NULL, "2025-08-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 21000000);
    CHECK_EQ_INT(resolve("FI", NULL, NULL, NULL, "2025-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 25500000);
    /* Canary Islands by postcode */
    CHECK_EQ_INT(resolve("ES", NULL, NULL, "35001", "2025-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 0);
    CHECK_EQ_INT(resolve("ES", NULL, NULL, "28001", "2025-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 21000000);
    /* Portugal's autonomous regions by postcode, written as Portugal writes it ("9000-001":
     * spaces and dashes ignored, issue 19): Madeira 22 %, the Azores 18 % then 16 % from
     * 2021-07-01 (levy's period in the ibericode file, data/README.md); mainland 23 % */
    CHECK_EQ_INT(resolve("PT", NULL, NULL, "9000-001", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.e[0].name, "MADEIRA");
    CHECK_EQ_INT(res.e[0].rate, 22000000);
    CHECK_EQ_INT(resolve("PT", NULL, NULL, "9500-001", "2021-06-30", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 18000000);
    CHECK_EQ_INT(resolve("PT", NULL, NULL, "9500 001", "2021-07-01", &res, &err), 0);
    CHECK_EQ_STR(res.e[0].name, "AZORES");
    CHECK_EQ_INT(res.e[0].rate, 16000000);
    CHECK_EQ_INT(resolve("PT", NULL, NULL, "1000-001", "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 23000000);
    /* AT: "reduced" is reduced1 */
    CHECK_EQ_INT(resolve("AT", NULL, NULL, NULL, "2025-01-01", &res, &err), 0);
    CHECK_EQ_INT(levy_rates_vat_key(&res, "reduced", &red), 0);
    CHECK_EQ_INT(red, 10000000);
end:;
}

static void t_national(void)
{
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("GB", NULL, NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "GB");
    CHECK_EQ_INT(res.e[0].rate, 20000000);
    CHECK_EQ_INT(resolve("CH", NULL, NULL, NULL, "2023-12-31", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 7700000);
    CHECK_EQ_INT(resolve("CH", NULL, NULL, NULL, "2024-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 8100000);
    CHECK_EQ_INT(resolve("SG", NULL, NULL, NULL, "2023-06-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 8000000);
    CHECK_EQ_INT(res.e[0].type, LEVY_TYPE_GST);
    CHECK_EQ_INT(resolve("JP", NULL, NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 10000000);
    int64_t red;
    CHECK_EQ_INT(levy_rates_vat_key(&res, "reduced", &red), 0);
    CHECK_EQ_INT(red, 8000000);
    /* a country without data: its own region, no entries (was MX until MX got rates) */
    CHECK_EQ_INT(resolve("BR", NULL, NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "BR");
    CHECK_EQ_INT(res.n, 0);
    CHECK_EQ_INT(res.unknown_before, 0); /* no data at all: not "before" anything */
    /* a date before the country's first standard rate (doubts26): no entry, and the resolution
     * names that first day (the note rate_history_unknown); Norway 23 % from 1995-01-01 */
    CHECK_EQ_INT(resolve("NO", NULL, NULL, NULL, "1994-12-31", &res, &err), 0);
    CHECK_EQ_INT(res.n, 0);
    CHECK_EQ_INT(res.unknown_before, 19950101);
    CHECK_EQ_STR(res.unknown_before_name, "NORWAY");
    CHECK_EQ_INT(resolve("NO", NULL, NULL, NULL, "1995-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 23000000);
    CHECK_EQ_INT(res.unknown_before, 0);
    CHECK_EQ_INT(resolve("NO", NULL, NULL, NULL, "2000-12-31", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 23000000);
    CHECK_EQ_INT(resolve("NO", NULL, NULL, NULL, "2001-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 24000000);
    /* digital-services countries (issue 19): dated rows, both sides of a change */
    CHECK_EQ_INT(resolve("MX", NULL, NULL, NULL, "2009-12-31", &res, &err), 0);
    CHECK_EQ_STR(res.region, "MX");
    CHECK_EQ_INT(res.e[0].rate, 15000000);
    CHECK_EQ_INT(resolve("MX", NULL, NULL, NULL, "2010-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 16000000);
    CHECK_EQ_INT(resolve("IL", NULL, NULL, NULL, "2024-12-31", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 17000000);
    CHECK_EQ_INT(resolve("IL", NULL, NULL, NULL, "2025-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 18000000);
    CHECK_EQ_INT(resolve("NG", NULL, NULL, NULL, "2026-01-01", &res, &err), 0);
    CHECK_EQ_INT(res.e[0].rate, 7500000);
    /* territories first: Monaco is France, the Canary Islands have no EU VAT */
    CHECK_EQ_INT(resolve("MC", NULL, NULL, "98000", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "EU");
    CHECK_EQ_STR(res.country, "FR");
    CHECK_EQ_INT(res.e[0].rate, 20000000);
    CHECK(res.territory != NULL);
    CHECK_EQ_INT(resolve("ES", NULL, NULL, "35001", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "ES-CN");
    CHECK_EQ_INT(res.n, 0);
    CHECK(res.territory != NULL);
    CHECK_EQ_INT(resolve("ES", NULL, NULL, "28001", "2026-01-01", &res, &err), 0);
    CHECK_EQ_STR(res.region, "EU");
    CHECK(res.territory == NULL);
end:;
}

static void t_bad_table(void)
{
    char dir[] = "/tmp/levy_rates_test_XXXXXX";
    levy_rates *r = NULL;
    levy_err err;
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/TAXRATES_ZIP5_XX202601.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,"
          "EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n"
          "TX,78701,AUSTIN,0.082500,0.062500,0,0.01,0.01,0\n"
          "TX,7870A,AUSTIN,0.082500,0.062500,0,0.01,0.01,0\n",
          f);
    fclose(f);
    levy_err_clear(&err);
    CHECK(levy_rates_open_file(&r, path, &err) != 0);
    CHECK(strstr(err.message, ":3:") != NULL);
    /* an SST boundary file is a table of its own now (issue 19, core/tax/boundary.c;
     * tests/c/test_boundary.c) */
    CHECK(levy_rates_open_file(&r, "data/us/sst-2026q2/MNB2026Q2FEB18-first100.csv", &err) == 0);
end:
    levy_rates_free(r);
    unlink(path);
    rmdir(dir);
}

/* The row checks shared by the Canadian, national and overlay loaders (csv_open / csv_next /
 * rate_tail in rates.c): each bad row is refused with its line number (blank lines counted). */
static void t_bad_rows(void)
{
    static const char ca_hdr[] =
        "province,region,tax_type,level,jurisdiction,rate_pct,effective_from,effective_to,source\n";
    static const char nat_hdr[] = "country,region,tax_type,jurisdiction,rate_key,rate_pct,"
                                  "effective_from,effective_to,source\n";
    static const struct {
        const char *hdr, *rows, *want;
    } cases[] = {
        {ca_hdr,
         "AB,CA,GST,country,CANADA,5,2008-01-01,,x\n\nAB,CA,GST,country,CANADA,5x,2008-01-01,,x\n",
         ":4: bad rate_pct '5x'"},
        {ca_hdr, "AB,CA,GST,country,CANADA,5,2008-01-01,2007-01-01,x\n", ":2: bad effective dates"},
        {ca_hdr, "AB,CA,GST,country,,5,2008-01-01,,x\n", ":2: empty jurisdiction"},
        {ca_hdr, "AB,CA,GST,country,CANADA,5\n", ":2: expected 9 columns"},
        {"province,region,tax_type,level,jurisdiction,effective_from,effective_to\n",
         "AB,CA,GST,country,CANADA,2008-01-01,\n", ":1: missing column rate_pct"},
        {nat_hdr,
         "GB,GB,VAT,UNITED "
         "KINGDOM,standard,20,2011-01-04,,x\nGB,GB,VAT,UK,standard,20,2011-02-30,,x\n",
         ":3: bad effective dates"},
        {nat_hdr, "GB,GB,VAT,,standard,20,2011-01-04,,x\n", ":2: empty jurisdiction"},
        {nat_hdr, "\n\nGB,GB,VAT,UK,standard,-,2011-01-04,,x\n", ":4: bad rate_pct '-'"},
        {nat_hdr, "", ": no rows"},
    };
    char dir[] = "/tmp/levy_rates_rows_XXXXXX";
    char path[256] = "";
    levy_rates *r = NULL;
    levy_err err;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/table.csv", dir);
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
        CHECK_EQ_STR(err.code, "bad_rate_table");
        levy_rates_free(r);
        r = NULL;
    }
end:
    levy_rates_free(r);
    unlink(path);
    rmdir(dir);
}

/* A ZIP row's county index is 16 bits (rates-internal.h zip_row.county_ix): a county file
 * with more rows than it can number is refused, not wrapped onto other counties. */
static void t_counties_cap(void)
{
    char dir[] = "/tmp/levy_rates_cty_XXXXXX";
    char path[256] = "";
    levy_rates *r = NULL;
    levy_err err;
    FILE *f = NULL;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/counties.csv", dir);
    for (int n = LEVY_RATES_MAX_COUNTIES; n <= LEVY_RATES_MAX_COUNTIES + 1; n++) {
        CHECK((f = fopen(path, "w")) != NULL);
        fputs("state,county_fips,name\n", f);
        for (int i = 0; i < n; i++) /* 5-digit codes, not real ones */
            fprintf(f, "AL,%05d,County %d\n", i, i);
        fclose(f);
        f = NULL;
        levy_err_clear(&err);
        int rc = levy_rates_open(&r, dir, NULL, &err);
        if (n == LEVY_RATES_MAX_COUNTIES) {
            CHECK_EQ_INT(rc, LEVY_OK);
            CHECK_EQ_INT(r->ncounties, LEVY_RATES_MAX_COUNTIES);
        } else {
            CHECK(rc != LEVY_OK);
            CHECK(strstr(err.message, "more than 65535 counties") != NULL);
        }
        levy_rates_free(r);
        r = NULL;
    }
end:
    if (f)
        fclose(f);
    levy_rates_free(r);
    unlink(path);
    rmdir(dir);
}

static void t_import(void)
{
    char dir[] = "/tmp/levy_rates_imp_XXXXXX";
    levy_rates *r = NULL;
    levy_err err;
    CHECK(mkdtemp(dir) != NULL);
    char src[256], ddir[256];
    snprintf(src, sizeof src, "%s/TAXRATES_ZIP5_TX202603.csv", dir);
    snprintf(ddir, sizeof ddir, "%s/data", dir);
    FILE *f = fopen(src, "w");
    CHECK(f != NULL);
    fputs("StateRate,State,ZipCode,TaxRegionName,EstimatedCombinedRate,EstimatedCountyRate,"
          "EstimatedCityRate,EstimatedSpecialRate\n"
          "0.062500,TX,78701,AUSTIN,0.090000,0,0.01,0.0175\n",
          f);
    fclose(f);
    char *files[] = {src};
    fflush(stdout);
    CHECK_EQ_INT(levy_rates_cli_import(1, files, "data", ddir), 0);
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open(&r, "data", ddir, &err), 0);
    levy_tax_address a = {"US", "TX", NULL, "78701"};
    levy_tax_resolution res;
    CHECK_EQ_INT(levy_rates_resolve(r, &a, D("2026-04-01"), &res, &err), 0);
    CHECK_EQ_INT(total(&res), 9000000);
    /* the imported TX file replaced the shipped one: another TX ZIP is now unknown */
    levy_tax_address b = {"US", "TX", NULL, "75201"};
    CHECK(levy_rates_resolve(r, &b, D("2026-04-01"), &res, &err) != 0);
    /* other states still come from the shipped tables */
    levy_tax_address c = {"US", "CA", "Irvine", "92614"};
    CHECK_EQ_INT(levy_rates_resolve(r, &c, D("2026-04-01"), &res, &err), 0);
    /* a newer vintage of the same source replaces the older import */
    {
        char src2[256], old_dst[512], new_dst[512];
        snprintf(src2, sizeof src2, "%s/TAXRATES_ZIP5_TX202606.csv", dir);
        FILE *g = fopen(src2, "w");
        CHECK(g != NULL);
        fputs("State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,"
              "EstimatedCityRate,EstimatedSpecialRate\n"
              "TX,78701,AUSTIN,0.085000,0.062500,0,0.01,0.0125\n"
              "TX,75201,DALLAS,0.082500,0.062500,0,0.01,0.01\n",
              g);
        fclose(g);
        char *files2[] = {src2};
        CHECK_EQ_INT(levy_rates_cli_import(1, files2, "data", ddir), 0);
        snprintf(old_dst, sizeof old_dst, "%s/rates/avalara-zip5-TX/TAXRATES_ZIP5_TX202603.csv",
                 ddir);
        snprintf(new_dst, sizeof new_dst, "%s/rates/avalara-zip5-TX/TAXRATES_ZIP5_TX202606.csv",
                 ddir);
        CHECK(access(old_dst, F_OK) != 0);
        CHECK(access(new_dst, F_OK) == 0);
        levy_rates *r2 = NULL;
        CHECK_EQ_INT(levy_rates_open(&r2, "data", ddir, &err), 0);
        int ok = levy_rates_resolve(r2, &a, D("2026-07-01"), &res, &err) == 0 &&
                 total(&res) == 8500000 &&
                 levy_rates_resolve(r2, &b, D("2026-07-01"), &res, &err) == 0;
        int found = 0;
        for (int i = 0; i < levy_rates_ntables(r2); i++)
            found |= strcmp(levy_rates_table_at(r2, i)->vintage, "2026-06") == 0;
        levy_rates_free(r2);
        CHECK(ok);
        CHECK(found);
    }
    /* a malformed file is refused */
    f = fopen(src, "w");
    CHECK(f != NULL);
    fputs("State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,"
          "EstimatedCityRate,EstimatedSpecialRate\nTX,78701,AUSTIN,abc,0,0,0,0\n",
          f);
    fclose(f);
    CHECK_EQ_INT(levy_rates_cli_import(1, files, "data", ddir), 1);
end:
    levy_rates_free(r);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cleanup failed\n");
    }
}

/* issue 19: the regions a table serves and when it goes stale (GET /admin/rates, the Regions
 * page): the shipped Avalara table serves every state and is stale one quarter after its
 * 2025-12 vintage; the SST files name their states and go stale after their quarter; tables
 * with dated rows do not go stale by age. */
static void t_table_info(void)
{
    CHECK(rates() != NULL);
    int n = levy_rates_ntables(R), seen_zip = 0, seen_sst = 0, seen_nat = 0;
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(R, i);
        char src[32];
        snprintf(src, sizeof src, "%s", t->source);
        char regs[512];
        levy_rates_table_regions(R, i, regs, sizeof regs);
        int32_t sa = levy_rates_table_stale_after(R, i);
        if (strcmp(src, "avalara-zip5") == 0) {
            CHECK(strstr(regs, "US-TX") != NULL && strstr(regs, "US-CA") != NULL);
            CHECK_EQ_INT(sa, 20260301);
            seen_zip = 1;
        } else if (strcmp(src, "sst") == 0) {
            CHECK(strstr(regs, "US-MN") != NULL && strstr(regs, "US-WI") != NULL &&
                  strstr(regs, "US-GA") != NULL && strstr(regs, "US-TX") == NULL);
            CHECK_EQ_INT(sa, 20260701);
            seen_sst = 1;
        } else if (strcmp(src, "national") == 0) {
            CHECK_EQ_STR(regs, "");
            CHECK_EQ_INT(sa, 0);
            seen_nat = 1;
        }
    }
    CHECK(seen_zip && seen_sst && seen_nat);
end:;
}

/* Names are upper-cased UTF-8 aware (Latin-1 Supplement and Latin Extended-A): the Census
 * names Puerto Rico's municipios "Añasco Municipio", "Mayagüez Municipio" (they were
 * "AñASCO MUNICIPIO": toupper byte by byte), and a character is never cut at the buffer's end. */
static void t_utf8_names(void)
{
    char d[64];
    levy_rates_upcase(d, "Añasco  Municipio ", sizeof d);
    CHECK_EQ_STR(d, "AÑASCO MUNICIPIO");
    levy_rates_upcase(d, "Mayagüez Río Grande Peñuelas Canóvanas", sizeof d);
    CHECK_EQ_STR(d, "MAYAGÜEZ RÍO GRANDE PEÑUELAS CANÓVANAS");
    levy_rates_upcase(d, "Łódź Ńeść ÿ àþ ı ſ", sizeof d);
    CHECK_EQ_STR(d, "ŁÓDŹ ŃEŚĆ Ÿ ÀÞ I S");
    /* no single upper-case letter, other scripts, a stray byte: as they are */
    levy_rates_upcase(d, "straße ÷ ĸ 日本 \xff", sizeof d);
    CHECK_EQ_STR(d, "STRAßE ÷ ĸ 日本 \xff");
    levy_rates_upcase(d, "aé", 3); /* "A" + 2 bytes + NUL does not fit: the é is left out */
    CHECK_EQ_STR(d, "A");
    levy_rates_upcase(d, "a\xc3", sizeof d); /* a truncated sequence: the byte as it is */
    CHECK_EQ_STR(d, "A\xc3");
    CHECK(rates() != NULL);
    CHECK_EQ_STR(levy_rates_county_name(R, "72011"), "AÑASCO MUNICIPIO");
    CHECK_EQ_STR(levy_rates_county_name(R, "72097"), "MAYAGÜEZ MUNICIPIO");
    CHECK_EQ_STR(levy_rates_county_name(R, "35013"), "DOÑA ANA COUNTY");
    levy_tax_resolution res;
    levy_err err;
    CHECK_EQ_INT(resolve("US", "PR", NULL, "00610", "2026-03-01", &res, &err), 0);
    int county = 0;
    for (int k = 0; k < res.n; k++)
        if (res.e[k].level == LEVY_LEVEL_COUNTY) {
            CHECK_EQ_STR(res.e[k].name, "AÑASCO MUNICIPIO");
            CHECK_EQ_STR(res.e[k].code, "72011");
            county = 1;
        }
    CHECK(county);
end:;
}

static void t_free(void)
{
    levy_rates_free(R);
    R = NULL;
}

static const levy_test tests[] = {{"load", t_load},
                                  {"counties_cap", t_counties_cap},
                                  {"zip", t_zip},
                                  {"zip_two_states", t_zip_two_states},
                                  {"unknown_zip", t_unknown_zip},
                                  {"cdtfa", t_cdtfa},
                                  {"ca_candidates", t_ca_candidates},
                                  {"ca_region_elsewhere", t_ca_region_elsewhere},
                                  {"partial_districts", t_partial_districts},
                                  {"county_decides", t_county_decides},
                                  {"partial_cities", t_partial_cities},
                                  {"plain_specials", t_plain_specials},
                                  {"wide_specials", t_wide_specials},
                                  {"alaska", t_alaska},
                                  {"vintage_from", t_vintage_from},
                                  {"overlays", t_overlays},
                                  {"sst", t_sst},
                                  {"canada", t_canada},
                                  {"eu", t_eu},
                                  {"national", t_national},
                                  {"bad_table", t_bad_table},
                                  {"bad_rows", t_bad_rows},
                                  {"import", t_import},
                                  {"table_info", t_table_info},
                                  {"utf8_names", t_utf8_names},
                                  {"free", t_free},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
