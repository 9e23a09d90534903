#ifndef LEVY_TAX_FOREIGN_H
#define LEVY_TAX_FOREIGN_H
/* Registration thresholds for a foreign (non-resident) seller, per country (issues 19/20):
 * data/intl/foreign-seller-thresholds.csv, columns matched by name: country, threshold,
 * currency, period, scope, effective_from, source. One row per country and effective date;
 * the reports plugin (exposure.lua) picks the row in force. Strict like the US table
 * (core/tax/nexus.c): a malformed row rejects the whole file with its line number. */
#include "levy.h"

#define LEVY_FOREIGN_FILE "intl/foreign-seller-thresholds.csv" /* relative to the data root */

typedef struct levy_foreign_row {
    char country[3];         /* ISO 3166 alpha-2: "AU" */
    char threshold[32];      /* decimal string in the currency's exponent: "75000.00"; "0.00"
                                (or "0" for a currency without minor units): the first sale */
    char currency[4];        /* ISO 4217: "AUD" */
    char period[24];         /* one of levy_foreign_periods */
    char scope[12];          /* one of levy_foreign_scopes */
    char effective_from[11]; /* "YYYY-MM-DD", or "" (in force before any recorded change) */
    char *source;            /* citation */
} levy_foreign_row;

typedef struct levy_foreign {
    levy_foreign_row *rows;
    size_t n;
} levy_foreign;

/* NULL-terminated lists of the accepted values. */
extern const char *const levy_foreign_periods[];
extern const char *const levy_foreign_scopes[];

/* Parses CSV text (not modified); path names the file in error messages. On error *out is NULL
 * and err names the line and field. */
int levy_foreign_parse(levy_foreign **out, const char *path, const char *text, levy_err *err);
/* Reads and parses the file at path. */
int levy_foreign_load(levy_foreign **out, const char *path, levy_err *err);
void levy_foreign_free(levy_foreign *f);

#endif
