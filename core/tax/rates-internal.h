#ifndef LEVY_TAX_RATES_INTERNAL_H
#define LEVY_TAX_RATES_INTERNAL_H
/* Layout of the rate index (core/tax only). Strings live in one pool, referenced by offset;
 * rates are 10^-8 fractions in int32; dates are yyyymmdd. */
#include <regex.h>

#include "rates.h"

typedef struct zip_row {
    uint32_t zip;
    char st[2];
    uint16_t table; /* index of the table (file set + vintage) the row came from */
    uint32_t name;  /* TaxRegionName, upper case */
    int32_t combined, state, county, city, special;
    /* the county of the ZIP (levy_rates_finish, from the HUD ZIP-county crosswalk): index into
     * counties + 1 (0 = not established), and how it was established (ZC_*) */
    uint32_t county_ix;
    uint8_t county_how;
} zip_row;

/* How a ZIP's county was established (issue 19, names that file correctly). */
enum {
    ZC_NONE = 0,
    ZC_ONLY,
    ZC_BY_NAME,
    ZC_BY_REGION,
    ZC_BY_RATE,
    ZC_AMBIGUOUS,
    ZC_RATE_NAMED,  /* the row's county rate is its region's namesake county's */
    ZC_RATE_REGION, /* ... the county of its region's other ZIPs */
    ZC_RATE_ODD     /* the crosswalk's county, whose usual rate differs from the row's */
};

/* Census county (or county-equivalent) FIPS code: data/us/census-fips/counties-2017.csv */
typedef struct fips_county {
    uint32_t fips; /* 36029 */
    char st[2];
    uint32_t name, code; /* "ERIE COUNTY" (upper case), "36029" */
    uint32_t bare;       /* the name without " COUNTY" ("ORANGE"): California's (CDTFA) style */
} fips_county;

/* One (ZIP, county) pair of the ZIP-county crosswalk (data/us/census-fips/zip-county-*.csv) */
typedef struct zip_county {
    uint32_t zip, fips;
    char st[2];
} zip_county;

/* Census place (FIPS 55 code) a US city tax can be filed to: data/us/census-fips/places-2010.csv */
typedef struct fips_place {
    char st[2];
    uint32_t key;      /* place_key of the name without its description ("ST LOUIS") */
    uint32_t code;     /* state + place FIPS, "2965000" */
    uint32_t counties; /* ";"-separated upper-case county names */
} fips_place;

/* State FIPS code: data/us/census-fips/states.csv */
typedef struct fips_state {
    char st[3];
    uint32_t code; /* "36" */
} fips_state;

typedef struct cdtfa_row {
    uint32_t name, county; /* upper case */
    int32_t rate;
    uint8_t is_city;
} cdtfa_row;

typedef struct sst_row {
    char st[3];
    uint16_t table; /* the table (file + vintage) the row came from, for rates_source */
    int32_t rate, from, to;
} sst_row;

typedef struct ca_row {
    char prov[3];
    char region[8];
    uint8_t type, level;
    uint32_t name;
    int32_t rate, from, to;
} ca_row;

typedef struct nat_row {
    char country[3];
    char region[8];
    uint8_t type;
    uint32_t name, key;
    int32_t rate, from, to;
} nat_row;

enum { OVERLAY_ADD = 1, OVERLAY_SET = 2 };
typedef struct overlay_row {
    char st[3];
    uint32_t zfrom, zto;
    uint8_t level, op;
    uint32_t name;
    int32_t rate, from, to;
} overlay_row;

typedef struct eu_exception {
    regex_t re;
    uint32_t name;
    int32_t standard;
} eu_exception;

typedef struct eu_period {
    char country[3];
    int32_t from;
    int nkeys;
    uint32_t key[LEVY_TAX_MAX_VAT_KEYS];
    int32_t rate[LEVY_TAX_MAX_VAT_KEYS];
    uint32_t exc_first, exc_n;
} eu_period;

typedef struct rates_table_rec {
    uint32_t source, vintage, path, dir;
    long rows;
    int files;
} rates_table_rec;

struct levy_rates {
    zip_row *zips;
    size_t nzips, zips_cap;
    cdtfa_row *cdtfa;
    size_t ncdtfa, cdtfa_cap;
    sst_row *sst;
    size_t nsst, sst_cap;
    ca_row *ca;
    size_t nca, ca_cap;
    nat_row *nat;
    size_t nnat, nat_cap;
    overlay_row *ovl;
    size_t novl, ovl_cap;
    eu_period *eu;
    size_t neu, eu_cap;
    eu_exception *exc;
    size_t nexc, exc_cap;
    fips_county *counties;
    size_t ncounties, counties_cap;
    zip_county *zc;
    size_t nzc, zc_cap;
    fips_state *stfips;
    size_t nstfips, stfips_cap;
    size_t *by_region; /* indices of zips sorted by (state, tax region name) */
    fips_place *places;
    size_t nplaces, places_cap;
    rates_table_rec *tables;
    int ntables;
    size_t tables_cap;
    char *pool;
    size_t pool_len, pool_cap;
    struct levy_boundary *bnd; /* SST boundary records + local rate rows (boundary.c) */
};

enum {
    RT_UNKNOWN = 0,
    RT_AVALARA,
    RT_CDTFA,
    RT_SST,
    RT_IBERICODE,
    RT_CA,
    RT_NATIONAL,
    RT_OVERLAY,
    RT_SST_BOUNDARY
};

typedef struct rates_file_info {
    int kind;
    char key[32]; /* replaceable source key: "avalara-zip5-CA", "cdtfa", "sst-MN"... */
    char vintage[16];
    long rows;
    int table;
} rates_file_info;

levy_rates *levy_rates_new(void);
/* Parses text (modified in place) of the file at path into r. */
int levy_rates_load_text(levy_rates *r, const char *path, char *text, rates_file_info *info,
                         levy_err *err);
void levy_rates_finish(levy_rates *r);
/* Validates file and installs it as DATA_DIR/rates/<key>/<name> (the new vintage written
 * before the older one is removed); prints rows read / changed. 0 on success. */
int levy_rates_install(const char *file, const char *data_root, const char *data_dir);

/* ---- rates.c helpers for boundary.c */
const char *levy_rates_state_from_fips(const char *fips); /* "27" -> "MN", or NULL */
const char *levy_rates_state_fips(const char *code);      /* "MN" -> "27", or NULL */
levy_tax_entry *levy_rates_add_entry(levy_tax_resolution *res, const char *name, const char *suffix,
                                     int level, int type, int64_t rate, int group);
void levy_rates_use_table(levy_tax_resolution *res, int t);
/* Census name of an SST boundary county (NULL when the shipped file does not list it). */
const char *levy_rates_county_name(const levy_rates *r, const char *code5); /* "20091" */

/* ---- SST boundary files and local rates (core/tax/boundary.c) */
/* 1 if line (the file's first line) is an SST boundary record: record type z/4/a, >= 89 fields. */
int levy_boundary_detect(const char *line, size_t len);
/* Loads an SST boundary file (text modified in place); vintage "2026Q2" from the file name,
 * state_out the USPS code of its records. */
int levy_boundary_load(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                       char *state_out, levy_err *err);
/* One row of an SST rate file (every jurisdiction type), for the boundary records' codes. */
int levy_boundary_add_rate(levy_rates *r, const char *st, const char *type, const char *code,
                           int32_t rate, int32_t from, int32_t to);
/* Rows loaded since the last claim belong to table t. */
void levy_boundary_claim(levy_rates *r, int t);
/* The state (USPS code) of boundary table t's records, or NULL when t is not one. */
const char *levy_boundary_table_state(const levy_rates *r, int t);
void levy_boundary_finish(levy_rates *r);
void levy_boundary_free(levy_rates *r);
/* Refines a US resolution (st, zip5, optional +4 / street line) with the boundary records
 * valid at date: sets res->precision (zip4/address when a record matched: the entries are
 * replaced by that record's jurisdictions at the SST rates) and an ambiguous ZIP5's
 * candidates. Returns 1 when it replaced the entries. */
int levy_boundary_resolve(const levy_rates *r, const char *st, const levy_tax_address *a,
                          const char *line1, int32_t date, levy_tax_resolution *res);

#endif
