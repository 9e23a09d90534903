#ifndef LEVY_TAX_ENGINE_H
#define LEVY_TAX_ENGINE_H
/* The tax arithmetic (docs/rules.md section 3-4): pure C, no Lua, no I/O, no allocation.
 * The caller fills a document of lines, each with its jurisdiction entries (rate, taxable
 * fraction, optional unit caps); levy_tax_compute fills every amount. */
#include "levy.h"

#define LEVY_TAX_MAX_ENTRIES 12
#define LEVY_TAX_MAX_LINES 1000

enum levy_tax_level {
    LEVY_LEVEL_COUNTRY = 0,
    LEVY_LEVEL_STATE,
    LEVY_LEVEL_PROVINCE,
    LEVY_LEVEL_COUNTY,
    LEVY_LEVEL_CITY,
    LEVY_LEVEL_DISTRICT,
    LEVY_LEVEL_N
};
enum levy_tax_type {
    LEVY_TYPE_SALES_TAX = 0,
    LEVY_TYPE_VAT,
    LEVY_TYPE_GST,
    LEVY_TYPE_HST,
    LEVY_TYPE_PST,
    LEVY_TYPE_QST,
    /* a local tax outside sales tax, collected by the lessor (issue 19: Chicago's Personal
     * Property Lease Transaction Tax on cloud software); added by a rule's calculate only */
    LEVY_TYPE_LEASE,
    /* a city amusement tax on electronically delivered amusements (issue 19: Chicago's
     * Amusement Tax on streaming, Ruling #5); added by a rule's calculate only */
    LEVY_TYPE_AMUSEMENT,
    LEVY_TYPE_N
};
enum levy_tax_reason {
    LEVY_REASON_STANDARD = 0,
    LEVY_REASON_REDUCED,
    LEVY_REASON_ZERO,
    LEVY_REASON_PARTIAL,
    LEVY_REASON_PRODUCT_EXEMPT,
    LEVY_REASON_CUSTOMER_EXEMPT,
    LEVY_REASON_REVERSE_CHARGE,
    LEVY_REASON_NOT_COLLECTING,
    LEVY_REASON_NO_TAX,
    LEVY_REASON_OUT_OF_SCOPE, /* ship-to in a territory outside the VAT area (territory.h) */
    LEVY_REASON_N
};

const char *levy_tax_level_name(int level);
const char *levy_tax_type_name(int type);
const char *levy_tax_reason_name(int reason);
/* Name -> enum value, or -1. */
int levy_tax_level_from(const char *s);
int levy_tax_type_from(const char *s);
int levy_tax_reason_from(const char *s);

/* One jurisdiction on one line. Rates and fractions are int64 scaled by 10^8
 * (7.25 % = 7250000; fraction 1 = 100000000). Unit caps are minor units, -1 = none. */
typedef struct levy_tax_entry {
    const char *name;   /* jurisdiction, e.g. "CALIFORNIA" (borrowed) */
    const char *suffix; /* appended to name when non-NULL (borrowed), e.g. " DISTRICT" */
    const char *title;  /* the tax's own name when it has one (borrowed; a rule's calculate
                         * sets it: "Chicago Personal Property Lease Transaction Tax"), or NULL */
    /* the jurisdiction's code at its authority (issue 19 "names that file correctly"): a US
     * state's FIPS ("36"), a county's FIPS ("36029"), a country's or province's ISO code; NULL
     * when the data does not establish it, and then note says why (borrowed) */
    const char *code;
    const char *note; /* NULL, or why the name or code is uncertain (borrowed, static) */
    uint8_t level, type;
    uint8_t group; /* caller's region group index */
    uint8_t zero;  /* listed with its would-be rate, amount forced to 0 */
    int64_t rate;
    int64_t fraction;
    int64_t unit_from, unit_to;
    /* out */
    int64_t taxable; /* minor units */
    int64_t amount;  /* minor units */
} levy_tax_entry;

typedef struct levy_tax_line {
    int64_t amount;   /* minor units, before discount */
    int64_t discount; /* minor units */
    int64_t qty;      /* scaled by 10^6, > 0 */
    int inclusive;
    int reason;
    int n;
    levy_tax_entry e[LEVY_TAX_MAX_ENTRIES];
    /* out */
    int64_t net;     /* amount - discount, less the tax when inclusive */
    int64_t taxable; /* largest entry taxable (0 without entries) */
    int64_t tax;     /* sum of entry amounts */
} levy_tax_line;

typedef struct levy_tax_doc {
    int exponent;          /* currency minor-unit exponent (informational) */
    int document_rounding; /* rounding = "document" */
    int nlines;
    levy_tax_line *lines;
    /* out */
    int64_t total_amount;  /* sum of (amount - discount) */
    int64_t total_taxable; /* sum of line taxable */
    int64_t total_tax;     /* sum of line tax */
    int err_line;          /* on error: the 0-based index of the offending line, or -1 */
} levy_tax_doc;

/* Computes every entry, line and total. Every input is checked against the ranges of
 * tax/dec.h first (LEVY_ERANGE "amount_too_large" for an amount, amount - discount, unit
 * price or unit cap beyond LEVY_TAX_MAX_MINOR minor units; LEVY_EINVAL for a quantity
 * outside (0, LEVY_TAX_MAX_QTY], a rate outside [0, 1000 %] or a
 * fraction outside [0, 1]) and doc->err_line names the line; nothing is computed then. */
int levy_tax_compute(levy_tax_doc *doc, levy_err *err);

/* 1 when two entries name the same jurisdiction as the answer shows it: name + suffix
 * compared whole (an entry read back from a rule's calculate carries the joined name, one
 * from the rate index the parts); 0 when either has no name. */
int levy_tax_entry_same_name(const levy_tax_entry *a, const levy_tax_entry *b);

/* Splits total over n shares proportional to exact[i] / den (largest remainder): out[i]
 * are integers summing to total, each floor or ceil of exact[i]/den when total equals the
 * rounded sum. Exposed for tests. */
void levy_tax_allocate(int64_t total, const __int128 *exact, __int128 den, int n, int64_t *out);

#endif
