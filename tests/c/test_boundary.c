/* Address precision (issue 19): SST boundary files (core/tax/boundary.c) read beside the SST
 * rate files. Fixtures: tests/fixtures/sst (built to the published layout: a Kansas ZIP with
 * a community improvement district over part of it), and the Minnesota boundary excerpt
 * shipped in data/us/sst-2026q2. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "tax/calc.h"
#include "tax/dec.h"
#include "tax/rates.h"

static levy_rates *R;
static char dir[64];

static int32_t D(const char *s)
{
    int32_t d = 0;
    levy_tax_date_parse(s, strlen(s), &d);
    return d;
}

static int copy(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    int rc = a && b ? 0 : -1;
    char buf[4096];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, a)) > 0)
        rc = fwrite(buf, 1, n, b) == n ? 0 : -1;
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return rc;
}

/* data/ plus the fixture files imported as DATA_DIR/rates/<key>/<name>. */
static levy_rates *rates(void)
{
    if (R)
        return R;
    char p[256];
    snprintf(dir, sizeof dir, "/tmp/levy_bnd_XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    snprintf(p, sizeof p, "%s/rates", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/rates/sst-KS", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/rates/sst-KS/KSR2026Q3JUN01.csv", dir);
    copy("tests/fixtures/sst/KSR2026Q3JUN01.csv", p);
    snprintf(p, sizeof p, "%s/rates/sst-boundary-KS", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/rates/sst-boundary-KS/KSB2026Q3JUN01.csv", dir);
    copy("tests/fixtures/sst/KSB2026Q3JUN01.csv", p);
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_open(&R, "data", dir, &err) != LEVY_OK) {
        fprintf(stderr, "open: %s\n", err.message);
        R = NULL;
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

static int resolve(const char *state, const char *zip, const char *line1, const char *date,
                   levy_tax_resolution *res)
{
    levy_tax_address a = {"US", state, NULL, zip};
    levy_err err;
    levy_err_clear(&err);
    return levy_rates_resolve_street(rates(), &a, line1, D(date), res, &err);
}

static const levy_tax_candidate *cand_at(const levy_tax_resolution *res, int64_t rate)
{
    for (int i = 0; i < res->ncand; i++)
        if (res->cand[i].rate == rate)
            return &res->cand[i];
    return NULL;
}

/* A ZIP5 whose boundary records carry several rates: the ZIP table's answer (10.35 %, the
 * district included) stands, but the resolution says zip5 and lists the candidates. */
static void t_ambiguous_zip5(void)
{
    levy_tax_resolution res;
    CHECK(rates() != NULL);
    CHECK_EQ_INT(resolve("KS", "66210", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_STR(levy_rates_precision_name(res.precision), "zip5");
    CHECK_EQ_INT(total(&res), 10350000);
    CHECK_EQ_STR(res.zip5, "66210");
    CHECK_EQ_INT(res.ncand, 3);
    const levy_tax_candidate *c = cand_at(&res, 9350000); /* the city: the ZIP's default */
    CHECK(c != NULL);
    CHECK(c->is_default);
    CHECK_EQ_INT(c->nj, 3);
    CHECK_EQ_STR(c->jur[0], "KANSAS");
    CHECK_EQ_STR(c->jur[1], "JOHNSON COUNTY");
    CHECK_EQ_STR(c->jur[2], "OVERLAND PARK");
    CHECK_EQ_STR(c->code[1], "20091");
    CHECK_EQ_STR(c->code[2], "2053775");
    c = cand_at(&res, 10350000); /* the district: a ZIP+4 range and an address record */
    CHECK(c != NULL);
    CHECK(!c->is_default);
    CHECK_EQ_INT(c->nj, 4);
    CHECK_EQ_STR(c->jur[3], "KS DISTRICT 90001");
    CHECK_EQ_STR(c->code[3], "90001");
    CHECK_EQ_INT(c->ranges_all, 2);
    char t[24];
    levy_tax_zip4_range(t, c->lo[0], c->hi[0]);
    CHECK_EQ_STR(t, "66210-1000..66210-1099");
    levy_tax_zip4_range(t, c->lo[1], c->hi[1]);
    CHECK_EQ_STR(t, "66210-1050");
    c = cand_at(&res, 7975000); /* unincorporated: county only */
    CHECK(c != NULL);
    CHECK_EQ_INT(c->nj, 2);
    /* the record that ended in 2019 (county 045) is not a candidate today */
    for (int i = 0; i < res.ncand; i++)
        for (int k = 0; k < res.cand[i].nj; k++)
            CHECK(strcmp(res.cand[i].jur[k], "DOUGLAS COUNTY") != 0);
    CHECK(res.ambiguous);
    /* a ZIP+4 in no listed range: still the ZIP5 answer, still ambiguous */
    CHECK_EQ_INT(resolve("KS", "66210-5000", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(res.ncand, 3);
    /* a ZIP with one set of jurisdictions is not ambiguous (its one set stays listed, for
     * rules that ask whether the ZIP lies in a city: _lib/local_tax.lua) */
    CHECK_EQ_INT(resolve("KS", "66211", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK(!res.ambiguous);
    CHECK_EQ_INT(res.ncand, 1);
end:;
}

/* A ZIP+4 inside a range: that record's jurisdictions at the SST rates of the date. */
static void t_zip4(void)
{
    levy_tax_resolution res;
    CHECK(rates() != NULL);
    CHECK_EQ_INT(resolve("KS", "66210-2050", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_INT(res.ncand, 0);
    CHECK_EQ_INT(res.n, 2);
    CHECK_EQ_STR(res.e[0].name, "KANSAS");
    CHECK_EQ_INT(res.e[0].level, LEVY_LEVEL_STATE);
    CHECK_EQ_STR(res.e[1].name, "JOHNSON COUNTY");
    CHECK_EQ_INT(res.e[1].level, LEVY_LEVEL_COUNTY);
    CHECK_EQ_INT(total(&res), 7975000);
    CHECK_EQ_INT(resolve("KS", "662101010", NULL, "2026-03-01", &res), LEVY_OK); /* no dash */
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_INT(res.n, 4);
    CHECK_EQ_INT(res.e[2].level, LEVY_LEVEL_CITY);
    CHECK_EQ_INT(res.e[3].level, LEVY_LEVEL_DISTRICT);
    CHECK_EQ_INT(total(&res), 10350000);
    char src[256];
    levy_rates_describe(rates(), &res, src, sizeof src);
    CHECK(strstr(src, "sst-boundary 2026Q3") != NULL);
    CHECK(strstr(src, "sst 2026Q3") != NULL);
    /* both sides of the district's change on 2027-01-01 (1 % -> 2 %) */
    CHECK_EQ_INT(resolve("KS", "66210-1010", NULL, "2026-12-31", &res), LEVY_OK);
    CHECK_EQ_INT(total(&res), 10350000);
    CHECK_EQ_INT(resolve("KS", "66210-1010", NULL, "2027-01-01", &res), LEVY_OK);
    CHECK_EQ_INT(total(&res), 11350000);
    /* both sides of a record's end: county 045 until 2019-12-31 */
    CHECK_EQ_INT(resolve("KS", "66210-3050", NULL, "2019-12-31", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_STR(res.e[1].name, "DOUGLAS COUNTY");
    CHECK_EQ_INT(total(&res), 7750000);
    CHECK_EQ_INT(resolve("KS", "66210-3050", NULL, "2020-01-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
end:;
}

/* An address record: house number in range on the right side of the street. */
static void t_address(void)
{
    levy_tax_resolution res;
    CHECK(rates() != NULL);
    CHECK_EQ_INT(resolve("KS", "66210", "7302 W. 110th St, Suite 4", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ADDRESS);
    CHECK_EQ_STR(levy_rates_precision_name(res.precision), "address");
    CHECK_EQ_INT(total(&res), 10350000);
    CHECK_EQ_INT(res.ncand, 0);
    /* the odd side, a number out of range, another street: not that record */
    CHECK_EQ_INT(resolve("KS", "66210", "7301 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(resolve("KS", "66210", "7500 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    /* across the street (7400-7498 even: outside the city; 7401-7499 odd: the city) */
    CHECK_EQ_INT(resolve("KS", "66210", "7402 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ADDRESS);
    CHECK_EQ_INT(total(&res), 7975000);
    CHECK_EQ_INT(resolve("KS", "66210", "7403 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ADDRESS);
    CHECK_EQ_INT(total(&res), 9350000);
    CHECK_EQ_INT(resolve("KS", "66210", "7302 W 111th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    /* without its directional the street may be E or W 110th: not taken */
    CHECK_EQ_INT(resolve("KS", "66210", "7302 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    /* no house number */
    CHECK_EQ_INT(resolve("KS", "66210", "W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    /* a ZIP+4 that only address records carry: located when they agree (2500: outside the
     * city), not when they disagree (2600: both sides of Main St share it) */
    CHECK_EQ_INT(resolve("KS", "66210-2500", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_INT(total(&res), 7975000);
    CHECK_EQ_INT(resolve("KS", "66210-2600", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(res.ncand, 3);
    /* an address that matches wins over its ZIP+4 */
    CHECK_EQ_INT(resolve("KS", "66210-2050", "7302 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ADDRESS);
end:;
}

/* Issue 19, names that file correctly: a jurisdiction of the boundary records is named and
 * coded as the Census files write it (state FIPS "20", county "20091" JOHNSON COUNTY, place
 * "2053775" OVERLAND PARK); a special district keeps its SST code, level district, with a
 * note (the SST files give no name); a code the shipped Census files do not list keeps its
 * code-name with a note. */
static void t_names(void)
{
    levy_tax_resolution res;
    CHECK(rates() != NULL);
    CHECK_EQ_INT(resolve("KS", "66210-1010", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_INT(res.n, 4);
    CHECK_EQ_STR(res.e[0].name, "KANSAS");
    CHECK_EQ_STR(res.e[0].code, "20");
    CHECK(res.e[0].note == NULL);
    CHECK_EQ_STR(res.e[1].name, "JOHNSON COUNTY");
    CHECK_EQ_STR(res.e[1].code, "20091");
    CHECK(res.e[1].note == NULL);
    CHECK_EQ_INT(res.e[2].level, LEVY_LEVEL_CITY);
    CHECK_EQ_STR(res.e[2].name, "OVERLAND PARK");
    CHECK_EQ_STR(res.e[2].code, "2053775");
    CHECK(res.e[2].note == NULL);
    CHECK_EQ_INT(res.e[3].level, LEVY_LEVEL_DISTRICT);
    CHECK_EQ_STR(res.e[3].name, "KS DISTRICT 90001");
    CHECK_EQ_STR(res.e[3].code, "90001");
    CHECK(res.e[3].note != NULL && strstr(res.e[3].note, "SST jurisdiction code") != NULL);
    /* Douglas County (20045), in the Census county file, named; an address answer too */
    CHECK_EQ_INT(resolve("KS", "66210-3050", NULL, "2019-12-31", &res), LEVY_OK);
    CHECK_EQ_STR(res.e[1].name, "DOUGLAS COUNTY");
    CHECK_EQ_STR(res.e[1].code, "20045");
    CHECK_EQ_INT(resolve("KS", "66210", "7403 W 110th St", "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ADDRESS);
    CHECK_EQ_STR(res.e[2].name, "OVERLAND PARK");
    CHECK_EQ_STR(res.e[2].code, "2053775");
    /* Minnesota's shipped excerpt: Ramsey County 27123 and Saint Paul 2758000 */
    CHECK_EQ_INT(resolve("MN", "55101-2393", NULL, "2019-01-15", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_STR(res.e[0].code, "27");
    CHECK_EQ_STR(res.e[1].name, "RAMSEY COUNTY");
    CHECK_EQ_STR(res.e[1].code, "27123");
end:;
}

/* Minnesota's published boundary file (first 100 rows, 2016-2019 records) with the shipped
 * MN rate file: ZIP 55101 (Saint Paul) spanned four sets of jurisdictions in January 2019. */
static void t_mn_sample(void)
{
    levy_tax_resolution res;
    levy_rates *mn = NULL;
    levy_err err;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_rates_open_file(&mn, "data/us/sst-2026q2/MNB2026Q2FEB18-first100.csv", &err),
                 LEVY_OK);
    CHECK_EQ_INT(levy_rates_table_at(mn, 0)->rows, 100);
    CHECK_EQ_STR(levy_rates_table_at(mn, 0)->source, "sst-boundary");
    CHECK_EQ_STR(levy_rates_table_at(mn, 0)->vintage, "2026Q2");
    char regions[64];
    levy_rates_table_regions(mn, 0, regions, sizeof regions); /* the Regions page's column */
    CHECK_EQ_STR(regions, "US-MN");
    CHECK(rates() != NULL); /* data/ holds the excerpt and MN's rate file */
    CHECK_EQ_INT(resolve("MN", "55101", NULL, "2019-01-15", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(res.ncand, 4);
    CHECK(cand_at(&res, 7875000) != NULL);                   /* Ramsey County + Saint Paul */
    CHECK_EQ_STR(cand_at(&res, 7875000)->jur[2], "ST PAUL"); /* the Census place, by its code */
    CHECK_EQ_STR(cand_at(&res, 7875000)->code[2], "2758000");
    CHECK(cand_at(&res, 7125000) != NULL); /* Dakota County */
    CHECK(cand_at(&res, 7375000) != NULL); /* Ramsey County only */
    CHECK_EQ_INT(resolve("MN", "55101-2393", NULL, "2019-01-15", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP4);
    CHECK_EQ_INT(total(&res), 7375000);
    CHECK_EQ_INT(resolve("MN", "55101-1610", NULL, "2019-01-15", &res), LEVY_OK);
    CHECK_EQ_INT(total(&res), 7125000);
    /* the excerpt's records ended 2019-03-31: today ZIP 55101 is the ZIP table's */
    CHECK_EQ_INT(resolve("MN", "55101-1610", NULL, "2026-03-01", &res), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    CHECK_EQ_INT(res.ncand, 0);
end:
    levy_rates_free(mn);
}

/* CA with a CDTFA city: zip5_city; outside the US: no precision. */
static void t_other(void)
{
    levy_tax_resolution res;
    levy_err err;
    levy_err_clear(&err);
    CHECK(rates() != NULL);
    levy_tax_address ca = {"US", "CA", "Beverly Hills", "90210"};
    CHECK_EQ_INT(levy_rates_resolve(R, &ca, D("2026-03-01"), &res, &err), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5_CITY);
    levy_tax_address ca2 = {"US", "CA", NULL, "90210-1234"};
    CHECK_EQ_INT(levy_rates_resolve(R, &ca2, D("2026-03-01"), &res, &err), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_ZIP5);
    levy_tax_address de = {"DE", NULL, NULL, "10115"};
    CHECK_EQ_INT(levy_rates_resolve(R, &de, D("2026-03-01"), &res, &err), LEVY_OK);
    CHECK_EQ_INT(res.precision, LEVY_RES_NONE);
    CHECK(levy_rates_precision_name(res.precision) == NULL);
end:;
}

/* Malformed boundary files are refused with file:line. */
static void t_bad_file(void)
{
    char path[128];
    levy_rates *r = NULL;
    levy_err err;
    snprintf(path, sizeof path, "/tmp/levy_bnd_bad_%d_KSB2026Q3JUN01.csv", (int)getpid());
    static const char *bad[] = {
        /* a ZIP+4 range ending before it starts */
        "4,20200101,99991231,,,,,,,,,,,,,,,66210,2000,66210,1000,,20,20,091,,",
        /* dates */
        "Z,2020-01-01,99991231,,,,,,,,,,,,,,,66210,,66210,,,20,20,091,,",
        /* state FIPS */
        "Z,20200101,99991231,,,,,,,,,,,,,,,66210,,66210,,,99,99,091,,",
        /* a ZIP of four digits */
        "Z,20200101,99991231,,,,,,,,,,,,,,,6621,,66210,,,20,20,091,,",
        /* an address record without a street */
        "A,20200101,99991231,1,99,B,,,,,,,,,,66210,,,,,,,20,20,091,,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        /* a good first line, then the bad one padded to 89 fields */
        fputs("Z,20200101,99991231,,,,,,,,,,,,,,,66211,,66211,,,20,20,091,,", f);
        for (int k = 0; k < 63; k++)
            fputc(',', f);
        fputc('\n', f);
        fputs(bad[i], f);
        int commas = 0;
        for (const char *p = bad[i]; *p; p++)
            commas += *p == ',';
        for (int k = commas; k < 88; k++)
            fputc(',', f);
        fputc('\n', f);
        fclose(f);
        levy_err_clear(&err);
        CHECK(levy_rates_open_file(&r, path, &err) != LEVY_OK);
        CHECK(strstr(err.message, ":2:") != NULL);
    }
    /* too few columns: not a boundary file at all when the first line is short; refused with
     * its line when a later line is */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("Z,20200101,99991231,,,,,,,,,,,,,,,66211,,66211,,,20,20,091,,", f);
    for (int k = 0; k < 63; k++)
        fputc(',', f);
    fputs("\nZ,20200101,99991231,,,66210\n", f);
    fclose(f);
    levy_err_clear(&err);
    CHECK(levy_rates_open_file(&r, path, &err) != LEVY_OK);
    CHECK(strstr(err.message, ":2: expected 89 columns") != NULL);
end:
    levy_rates_free(r);
    unlink(path);
}

static void t_free(void)
{
    char p[256];
    levy_rates_free(R);
    R = NULL;
    snprintf(p, sizeof p, "%s/rates/sst-KS/KSR2026Q3JUN01.csv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/rates/sst-boundary-KS/KSB2026Q3JUN01.csv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/rates/sst-KS", dir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/rates/sst-boundary-KS", dir);
    rmdir(p);
    snprintf(p, sizeof p, "%s/rates", dir);
    rmdir(p);
    rmdir(dir);
}

static const levy_test tests[] = {{"ambiguous_zip5", t_ambiguous_zip5},
                                  {"zip4", t_zip4},
                                  {"address", t_address},
                                  {"names", t_names},
                                  {"mn_sample", t_mn_sample},
                                  {"other", t_other},
                                  {"bad_file", t_bad_file},
                                  {"free", t_free},
                                  {NULL, NULL}};

LEVY_TEST_MAIN(tests)
