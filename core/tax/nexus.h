#ifndef LEVY_TAX_NEXUS_H
#define LEVY_TAX_NEXUS_H
/* US economic-nexus thresholds: data/us/economic-nexus.csv (columns matched by name:
 * state, sales_threshold, transactions_threshold, combine, period, effective_from, source;
 * optional: marketplace = included|excluded|unknown, marketplace_source = its citation).
 * One row per state and effective date; the reports plugin picks the row in force. */
#include "levy.h"

#define LEVY_NEXUS_FILE "us/economic-nexus.csv" /* relative to the data root */

typedef struct levy_nexus_row {
    char state[3];            /* "CA" */
    char sales[24];           /* decimal string, 2 decimals: "500000.00" */
    long transactions;        /* count threshold, or -1 when there is none */
    char combine[4];          /* "or" / "and" when transactions >= 0, else "" */
    char period[40];          /* one of levy_nexus_periods */
    char effective_from[11];  /* "YYYY-MM-DD", or "" (in force before any recorded change) */
    char *source;             /* provenance text */
    char marketplace[9];      /* "included" / "excluded" / "unknown": do marketplace-facilitated
                                 sales count towards this state's threshold? */
    char *marketplace_source; /* citation of the marketplace rule, or NULL (unknown) */
} levy_nexus_row;

typedef struct levy_nexus {
    levy_nexus_row *rows;
    size_t n;
} levy_nexus;

/* NULL-terminated list of the accepted measurement periods. */
extern const char *const levy_nexus_periods[];

/* Parses CSV text (not modified). path names the file in error messages. On error *out is
 * NULL and err says which line and field are wrong. */
int levy_nexus_parse(levy_nexus **out, const char *path, const char *text, levy_err *err);
/* Reads and parses the file at path. */
int levy_nexus_load(levy_nexus **out, const char *path, levy_err *err);
void levy_nexus_free(levy_nexus *n);

/* One CSV line (RFC 4180 quotes, "" escapes; fields trimmed) split into at most
 * LEVY_CSV_MAXF fields copied into buf. Returns the field count, or -1 when malformed. */
#define LEVY_CSV_MAXF 16
int levy_nexus_split(const char *line, size_t len, char *buf, size_t cap, char *f[LEVY_CSV_MAXF]);

#endif
