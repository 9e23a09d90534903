#ifndef LEVY_TAX_RATES_INTERNAL_H
#define LEVY_TAX_RATES_INTERNAL_H
/* Layout of the rate index (core/tax only). Strings live in one pool, referenced by offset;
 * rates are 10^-8 fractions in int32; dates are yyyymmdd. */
#include <regex.h>

#include "rates.h"

/* What levy_rates_finish's marks found for the few ZIP rows that have any (1,483 of the 41,001
 * shipped: issue 21, idle memory): kept apart from the rows, which point to theirs
 * (zip_row.extra); a row without one reads zx_none's values (rates.c zx: dist_base -1, the
 * rest 0). */
typedef struct zip_extra {
    /* a region named after a district that covers only part of the ZIP (issue 19, partial-ZIP
     * districts; levy_rates_finish, mark_partial_districts): the special rate outside the
     * district, or -1 when the row names none; dist_how says where it came from (DIST_*) */
    int32_t dist_base;
    /* a city (or an Alabama police jurisdiction) covering only part of the ZIP (issue 19,
     * partial-ZIP cities; mark_partial_cities): index + 1 of the row of the ZIP's county outside
     * any city (0 = not flagged), and of the row of the city's police jurisdiction or of the
     * jurisdiction's city (0 = none) */
    uint32_t city_out, city_alt;
    /* the county's name for such a row whose ZIP the crosswalk puts in several counties
     * ("ARAB (COUNTY)", pool offset; 0 = none) */
    uint32_t out_county;
    /* a plain-named region (no district, no partial-ZIP city) the table prices at two special
     * rates in the ZIP's county with the same county and city rates (issue 19, plain-named
     * ZIPs spanning several rates; mark_plain_specials): index + 1 of the region's row at the
     * lowest special rate below this row's (0 = not flagged) */
    uint32_t special_low;
    /* a ZIP of a county-rate state (North Carolina) the crosswalk puts in one county whose
     * usual rate the row does not carry (issue 19, h-addr26; mark_county_decides): index + 1
     * of a row of that county at its usual rate, which is charged (0 = not flagged) */
    uint32_t county_row;
    uint8_t dist_how;
    /* 1 when special_low's gap is wider than a district's cap (DIST_MAX, 2 percentage points: issue 19,
     * wide gaps between a ZIP's candidate rates -- a tribal tax on a county's reservation ZIPs,
     * AZ APACHE 86502's Navajo Nation 6 %): the candidates are listed all the same, with
     * area_kind higher_special_wide / lower_special_wide and a note on the special entry */
    uint8_t special_wide;
} zip_extra;

typedef struct zip_row {
    /* 40 bytes (the two- and one-byte fields last; 60 with the marks of zip_extra in every
     * row, 44 with a 32-bit county_ix: issue 21) */
    uint32_t zip;
    uint32_t name; /* TaxRegionName, upper case */
    int32_t combined, state, county, city, special;
    uint32_t extra; /* index + 1 into levy_rates.extras of the row's marks; 0 = none */
    /* the county of the ZIP (levy_rates_finish, from the HUD ZIP-county crosswalk): index into
     * counties + 1 (0 = not established; the county file is refused past LEVY_RATES_MAX_COUNTIES
     * rows); county_how says how it was established (ZC_*) */
    uint16_t county_ix;
    char st[2];
    uint16_t table; /* index of the table (file set + vintage) the row came from */
    uint8_t county_how;
    /* 1 when the ZIP table wrote a city's tax in the county column and levy split it into the
     * county's own rate and the city's (split_county_column: Alaska's boroughs and cities) */
    uint8_t county_split;
} zip_row;

/* Where a partial-ZIP district's outside special rate came from. */
enum { DIST_NONE = 0, DIST_BY_CITY, DIST_BY_COUNTY };

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

/* zip_row.county_ix is 16 bits: the shipped Census file has 3,220 counties and equivalents */
#define LEVY_RATES_MAX_COUNTIES 65535

/* Census county (or county-equivalent) FIPS code: data/us/census-fips/counties-2017.csv */
typedef struct fips_county {
    uint32_t fips; /* 36029 */
    char st[2];
    uint32_t name, code; /* "ERIE COUNTY" (upper case), "36029" */
    uint32_t bare;       /* the name without " COUNTY" ("ORANGE"): California's (CDTFA) style */
} fips_county;

/* One (ZIP, county) pair of the ZIP-county crosswalk (data/us/census-fips/zip-county-*.csv):
 * 8 bytes, the ZIP and its state in one key (ZC_KEY: 12 bytes with the state's two letters
 * apart; 52,889 pairs shipped; issue 21, idle memory) */
typedef struct zip_county {
    uint32_t key; /* ZC_KEY(zip, st): ordered as (zip, st) are */
    uint32_t fips;
} zip_county;
/* zip (< 2^17) above the state's two letters, A-Z each in 5 bits */
#define ZC_KEY(zip, st)                                                                            \
    ((uint32_t)(zip) << 10 | (uint32_t)((st)[0] - 'A') << 5 | (uint32_t)((st)[1] - 'A'))

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
    uint32_t uninc; /* a county row: "LOS ANGELES COUNTY (UNINCORPORATED)", its candidate name */
    int32_t rate;
    uint8_t is_city;
    uint16_t table; /* the table (file + vintage) the row came from */
    int32_t from;   /* its effective date (yyyymmdd, the file's vintage; 0 = unknown) */
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

/* add: a jurisdiction; set: the rate of that level; name (issue 19, names that file correctly):
 * the entry of that level at exactly that rate is this jurisdiction (a county-wide district the
 * ZIP table names after a tax region: "GRANDVIEW HEIGHTS (SPECIAL)" is COTA's 1 %); unknown
 * (issue 19, dates outside levy's rate history): levy does not know that level's rate on these
 * dates (the row's effective_to is the last such day): the level gets the row's rate, the one
 * levy knows from the next day, and the answer says so (levy_tax_resolution.history_from) */
enum { OVERLAY_ADD = 1, OVERLAY_SET = 2, OVERLAY_NAME = 3, OVERLAY_UNKNOWN = 4 };
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

/* A CSV row split in place (rates.c csv_split). */
typedef struct csv_row {
    int n;
    char *f[64];
    size_t len[64];
} csv_row;

/* State rate files (core/tax/stateformats.c). A Washington DOR ZIP+4 range -> location code
 * with its state and local rates for one period; a location code's rates and name (the DOR
 * "location codes and rate tables" file). */
typedef struct statez4_row {
    char st[3];
    uint16_t table;
    uint32_t zip;
    uint16_t lo, hi; /* +4 range, inclusive */
    uint32_t code;
    uint32_t name; /* "LOCATION CODE 1726" (pool) until the rate table names it */
    int32_t state, local, from, to;
} statez4_row;

typedef struct stateloc_row {
    char st[3];
    uint16_t table;
    uint32_t code;
    uint32_t name; /* upper case, " (CITY)" removed */
    int32_t state, local, from, to;
} stateloc_row;

typedef struct rates_table_rec {
    uint32_t source, vintage, path, dir;
    long rows;
    int files;
    /* levy_rates_table_stale_after, worked out by levy_rates_finish (stale_set = 1) instead of
     * on every resolution (issue 21: a sscanf of the vintage, or for a WA DOR table a pass
     * over every ZIP+4 and location row, per table of each answer); a load into the table
     * after it clears stale_set */
    int32_t stale_after;
    int stale_set;
} rates_table_rec;

struct levy_rates {
    zip_row *zips;
    size_t nzips, zips_cap;
    zip_extra *extras; /* the rows' marks (zip_row.extra), made by levy_rates_finish */
    size_t nextras, extras_cap;
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
    size_t *indep, nindep; /* indices of the counties named "<NAME> CITY" (indep_city) */
    zip_county *zc;
    size_t nzc, zc_cap;
    fips_state *stfips;
    size_t nstfips, stfips_cap;
    uint32_t *by_region; /* indices of zips sorted by (state, tax region name) */
    fips_place *places;
    size_t nplaces, places_cap;
    statez4_row *z4;
    size_t nz4, z4_cap;
    stateloc_row *loc;
    size_t nloc, loc_cap;
    rates_table_rec *tables;
    int ntables;
    size_t tables_cap;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *pool_ix; /* pool_add's dedup index while tables load (offset + 1, 0 = empty) */
    size_t pool_ix_cap, pool_ix_n;
    int pool_done;             /* levy_rates_finish ran: the index is gone, strings are appended */
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
    RT_SST_BOUNDARY,
    RT_WA_RATES,
    RT_WA_ZIP4
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
/* Parses a copy of text (NUL-terminated, left as it is) of the file at path into a new index,
 * *out (the caller frees it; NULL on an error). The one "what is this file" read of `levy rates
 * import`, `levy rates update`, import's comparison with the current vintage and the loader's
 * key probe. */
int levy_rates_load_copy(const char *path, const char *text, levy_rates **out,
                         rates_file_info *info, levy_err *err);
void levy_rates_finish(levy_rates *r);

/* rates.c helpers shared with stateformats.c */
int levy_rates_csv_split(char *line, csv_row *row);
char *levy_rates_next_line(char **cur);
int levy_rates_blank_line(const char *s);
int levy_rates_parse_frac(const char *s, size_t len, int32_t *out);
/* s (len bytes) is min to max ASCII digits: 0 and, when out is not NULL, their value in *out
 * (max <= 9 for an exact value); -1 otherwise. The one digit-field reader of the rate files
 * (rates.c, stateformats.c, boundary.c). */
int levy_rates_uint(const char *s, size_t len, size_t min, size_t max, uint32_t *out);
void levy_rates_upcase(char *d, const char *s, size_t cap);
uint32_t levy_rates_pool_add(levy_rates *r, const char *s, size_t len);
const char *levy_rates_pool(const levy_rates *r, uint32_t off);
/* The vintage an SST rate or boundary file names ("MNR2026Q2FEB18.csv" -> "2026Q2"; out holds 16
 * bytes), "unknown" when its name carries none. */
void levy_rates_sst_vintage(const char *path, char *out);
int levy_rates_grow(void **p, size_t *cap, size_t need, size_t elsz);

/* stateformats.c: the state DOR files. detect: RT_WA_* from the header line or RT_UNKNOWN.
 * load: rows into r, vintage (latest effective start), source key; errors name file:line. */
int levy_stateformats_detect(const char *first_line);
const char *levy_stateformats_source(int kind);
void levy_stateformats_finish(levy_rates *r); /* sorts the ZIP+4 ranges */
/* The day after the last EXPIRATION DATE / EFF_END of table i's rows (yyyymmdd); 0 when a
 * row is open-ended. Past it the rows of the file's last period still answer while the file
 * is the newest levy has for the place (levy_stateformats_find's newer_than), with
 * rates_stale; a newer ZIP5 table answers instead. */
int32_t levy_stateformats_stale_after(const levy_rates *r, int table);
int levy_stateformats_load(levy_rates *r, int kind, const char *path, char *text, char *vintage_out,
                           long *rows, char *key, size_t keycap, levy_err *err);
/* Rows of the state files that decide a US address on date: the answer's resolution
 * (LEVY_RES_ZIP4: the +4's range; LEVY_RES_ZIP5: the ZIP's one location code;
 * LEVY_RES_ZIP5_CITY: a location code named as the city) with *state / *local / *name
 * (pool string) / *table filled, 0 when these files do not decide it (no rows for the ZIP, or a
 * ZIP5 whose +4 ranges carry different location codes on that date). plus4 < 0: ZIP5 only.
 * zcounties: the ZIP's counties (bare Census names, "KING"; nzc 0 = unknown), which a city's
 * location code must lie in. newer_than: the vintage start (yyyymmdd) of the ZIP5 table that
 * answers otherwise (0 none): past their last period the files' rows answer only when their
 * vintage is not older; -1: never past their period. */
int levy_stateformats_find(const levy_rates *r, const char *st, uint32_t zip, int plus4,
                           const char *city, const char *const *zcounties, int nzc,
                           int32_t newer_than, int32_t date, int32_t *state, int32_t *local,
                           const char **name, int *table);
/* The location codes ship-to city names in the ZIP's counties (as levy_stateformats_find
 * matches them) when they carry different rates, so the city does not decide: their combined
 * rates and names (up to cap), the count; 0 when the city names one rate or none. */
int levy_stateformats_city_cands(const levy_rates *r, const char *st, const char *city,
                                 const char *const *zcounties, int nzc, int32_t newer_than,
                                 int32_t date, int32_t *rate, const char **name, int cap);
/* The ZIP5 table's region name (a WA ZIP without a decisive city) as a location code of a DOR
 * rate table newer than the ZIP table (vintage start > zip_from): LEVY_RES_ZIP5 with the
 * outputs set, or 0 (a region also named like a county, outside the ZIP's counties, or no such
 * code). */
int levy_stateformats_find_region(const levy_rates *r, const char *st, uint32_t zip,
                                  const char *region, const char *const *zcounties, int nzc,
                                  int32_t zip_from, int32_t date, int32_t *state, int32_t *local,
                                  const char **name, int *table);
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
