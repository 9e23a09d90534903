#ifndef LEVY_TAX_RATES_H
#define LEVY_TAX_RATES_H
/* The rate index: every shipped (data/) and imported (DATA_DIR/rates/) table, loaded into
 * compact sorted arrays; read-only after levy_rates_open, shared by every generation.
 * Resolution turns a ship-to and a date into a region and its jurisdictions. */
#include "engine.h"
#include "tax.h"

typedef struct levy_tax_address {
    const char *country; /* ISO 3166 alpha-2, upper case */
    const char *state;   /* US state / CA province code, or NULL */
    const char *city;    /* or NULL */
    const char *zip;     /* or NULL */
} levy_tax_address;

/* How precisely a US address was located (issue 19, "address precision"): the best data the
 * resolution used. LEVY_RES_NONE for an address outside the US. */
enum {
    LEVY_RES_NONE = 0,
    LEVY_RES_ZIP5,      /* the ZIP5 table (Avalara), whatever the ZIP+4 or city */
    LEVY_RES_ZIP5_CITY, /* ZIP5 + a city that names its rate (CA: a CDTFA city) */
    LEVY_RES_ZIP4,      /* an SST boundary ZIP+4 record (core/tax/boundary.c) */
    LEVY_RES_ADDRESS    /* an SST boundary address record (street and house number) */
};
const char *levy_rates_precision_name(int precision);

/* The first day (yyyymmdd) a table's vintage ("2026-01-01", "2025-12", "2026Q2") speaks for;
 * 0 when it is not a date. Of two official sources pricing one place, the newer one in effect
 * at the date wins (issue 19). */
int32_t levy_rates_vintage_from(const char *vintage);

/* A ZIP5 that spans several rates (SST boundary records valid at the date): one candidate per
 * distinct set of jurisdictions, with where it applies. Strings are the index's. */
#define LEVY_TAX_MAX_CANDIDATES 8
#define LEVY_TAX_CAND_RANGES 4
typedef struct levy_tax_candidate {
    int64_t rate; /* combined, 10^-8 */
    int nj;
    const char *jur[LEVY_TAX_MAX_ENTRIES];
    const char *code[LEVY_TAX_MAX_ENTRIES]; /* each one's authority code, or NULL */
    int is_default;   /* from a whole-ZIP record: addresses in no listed ZIP+4 range */
    const char *city; /* California: the ship_to.city that selects it (a CDTFA city), or NULL */
    /* a partial-ZIP district (issue 19): the ZIP table's region naming the district this
     * candidate is inside of, or NULL (the candidate outside it) */
    const char *district;
    /* a city covering only part of the ZIP (issue 19): the ZIP-table region this candidate is
     * (a city, a police jurisdiction, or the county outside any city) and its kind
     * ("city", "police_jurisdiction", "outside_cities"), or NULL */
    const char *area, *area_kind;
    int nranges, ranges_all; /* ranges shown (<= LEVY_TAX_CAND_RANGES) and in all */
    uint32_t lo[LEVY_TAX_CAND_RANGES], hi[LEVY_TAX_CAND_RANGES]; /* ZIP+4 as 9 digits */
} levy_tax_candidate;

#define LEVY_TAX_MAX_VAT_KEYS 8

/* Result of a resolution: entries carry group = index into group_region. Group 0 is the
 * primary region (the response's `region`); Canada adds group 1 = "CA-XX" for PST/QST. */
typedef struct levy_tax_resolution {
    char region[8];
    char country[3];
    int ngroups;
    char group_region[2][8];
    /* the territory of the ship-to (core/tax/territory.h), resolved first; NULL if none. Taxed
     * as another country: country/region are that country's. Out of scope: region = the
     * territory's code, no groups' entries (n = 0). */
    const struct levy_territory *territory;
    int n;
    levy_tax_entry e[LEVY_TAX_MAX_ENTRIES];
    /* VAT/GST countries: named rates at the date ("standard", "reduced", "reduced1"...) */
    int nkeys;
    const char *key[LEVY_TAX_MAX_VAT_KEYS];
    int64_t key_rate[LEVY_TAX_MAX_VAT_KEYS];
    /* tables used (indices into the table list), for rules.rates_source */
    int ntables;
    int table[6];
    /* address precision (US): LEVY_RES_*; the jurisdiction sets of a ZIP5 that the SST
     * boundary records list when none matched the address (ncand, ncand_all = all the distinct
     * sets found; ambiguous when their rates differ) */
    int precision;
    char zip5[6];
    int ncand, ncand_all;
    int ambiguous; /* the candidates' rates differ: the answer's ambiguous_zip */
    levy_tax_candidate cand[LEVY_TAX_MAX_CANDIDATES];
    /* issue 19: the first table the answer used whose vintage the date asked for is past
     * (date on or after levy_rates_table_stale_after: a newer official file may have other
     * rates), its source and vintage and that date; stale_source NULL when none */
    const char *stale_source, *stale_vintage;
    int32_t stale_after;
    /* issue 19: levy does not know a jurisdiction's rate on the date asked for (an overlay row
     * op=unknown, data/us/overlays.csv): the next day it knows it (yyyymmdd; 0 when none), that
     * jurisdiction and level, and the rate the answer used (the one known from that day) */
    int32_t history_from;
    const char *history_name;
    int history_level;
    int64_t history_rate;
    /* a national rate table (data/intl/national.csv) with no standard rate of the country in
     * force on the date asked for, which is before the first one levy has: that first day
     * (yyyymmdd; 0 otherwise) and its jurisdiction. No tax is charged (levy knows no rate);
     * the answer says why instead of a silent zero (issue 19, doubts26) */
    int32_t unknown_before;
    const char *unknown_before_name;
} levy_tax_resolution;

typedef struct levy_rates_table {
    const char *source;  /* "avalara-zip5", "cdtfa", "sst", "ibericode-vat", "ca-rates"... */
    const char *vintage; /* "2025-12", "2026-01-01", "2026Q2"... */
    const char *path;    /* file or directory it came from */
    long rows;
} levy_rates_table;

/* Resolves address at date (yyyymmdd): first its territory (territory.h: Monaco -> FR, the
 * Canary Islands -> out of scope ...), then the rates of the country that applies. Errors (err->code): "address_unresolved" (unknown or
 * mismatched US ZIP, unknown province) -> LEVY_ENOTFOUND. A country without rate data
 * resolves to region = country code with no entries. */
int levy_rates_resolve(const levy_rates *r, const levy_tax_address *a, int32_t date,
                       levy_tax_resolution *out, levy_err *err);

/* levy_rates_resolve with the street line ("2000 Main St", or NULL), which SST boundary
 * address records match (core/tax/boundary.c). */
int levy_rates_resolve_street(const levy_rates *r, const levy_tax_address *a, const char *line1,
                              int32_t date, levy_tax_resolution *out, levy_err *err);

/* Named VAT/GST rate of a resolution ("reduced" = the first reduced rate); 0 if found. */
int levy_rates_vat_key(const levy_tax_resolution *res, const char *key, int64_t *rate);

int levy_rates_ntables(const levy_rates *r);
const levy_rates_table *levy_rates_table_at(const levy_rates *r, int i);
/* Regions whose ZIP rows come from table i, comma-separated ("US-TX"); "" if none. */
void levy_rates_table_regions(const levy_rates *r, int i, char *buf, size_t cap);
/* yyyymmdd from which table i is stale (one quarter after its vintage starts, for the
 * periodically republished US tables); 0 when it does not go stale by age. */
int32_t levy_rates_table_stale_after(const levy_rates *r, int i);
/* "source vintage" of table i into buf. */
void levy_rates_describe(const levy_rates *r, const levy_tax_resolution *res, char *buf,
                         size_t cap);

/* Name of a US state / DC / PR code in upper case ("CALIFORNIA"), or NULL if unknown. */
const char *levy_rates_us_state_name(const char *code);
/* 1 if code is a Canadian province/territory code. */
int levy_rates_ca_province(const char *code);

/* Loads one table file into a fresh index (for import validation and tests). */
int levy_rates_open_file(levy_rates **out, const char *path, levy_err *err);

#endif
