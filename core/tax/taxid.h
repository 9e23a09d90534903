#ifndef LEVY_TAX_TAXID_H
#define LEVY_TAX_TAXID_H
/* Tax identification numbers (VAT/GST registration numbers): offline check of the format
 * and, where the issuing authority's algorithm is public, the check digit (issue 19, "a tax
 * id is not a word"). Pure C like engine.c: no Lua, no I/O, no allocation. The per-country
 * table, its sources and which countries are format-only are in taxid.c and docs/rules.md. */
#include <stddef.h>

enum levy_taxid_status {
    LEVY_TAXID_VALID = 0,        /* format (and check digit where one exists) correct */
    LEVY_TAXID_INVALID_FORMAT,   /* wrong length, characters, prefix or fixed part */
    LEVY_TAXID_INVALID_CHECKSUM, /* well formed, but the check digit does not match */
    LEVY_TAXID_UNKNOWN_COUNTRY,  /* levy has no format for this country: not judged */
    LEVY_TAXID_N
};

/* Longest normalised id kept (GSTIN 15, Swiss CHE + 9 + suffix stripped, ...). */
#define LEVY_TAXID_MAX 24

typedef struct levy_taxid_result {
    int status;                          /* enum levy_taxid_status */
    int checksum;                        /* 1: a check digit was verified; 0: format only */
    int eu;                              /* an EU member state's VAT number (VIES) */
    char country[3];                     /* ISO 3166 alpha-2 the id was judged for ("GR" for EL) */
    char normalized[LEVY_TAXID_MAX + 1]; /* national part: no prefix, spaces, dots, dashes */
    const char *scheme;                  /* static: e.g. "EU VAT (DE USt-IdNr)", "AU ABN" */
    const char *detail;                  /* static: why it is invalid, or a note ("format only") */
} levy_taxid_result;

/* Checks `id` as a tax id of `country` (ISO 3166 alpha-2, any case; "EL" = Greece; NULL or
 * "" when unknown). Normalises first: upper case; spaces, dots, dashes, slashes dropped; a
 * leading VAT prefix of the country (DE, EL for GR, CHE for CH, ...) and a trailing
 * MVA/MWST/TVA/IVA/VAT suffix (NO, CH) removed. An id whose prefix names another country is
 * judged for that country (out->country says which); the caller decides whether it may be
 * used in `country` (levy_taxid_same_country). Returns out->status. */
int levy_taxid_check(const char *country, const char *id, levy_taxid_result *out);

/* 1 when a tax id of country `id_country` is one of `dest` for VAT purposes: equal codes,
 * EL = GR, Monaco (FR numbers) and the Isle of Man (GB numbers). */
int levy_taxid_same_country(const char *id_country, const char *dest);

/* The latest online registry answer for the number (setting tax_id_online), or NULL. */
typedef struct levy_taxid_registry {
    const char *status;     /* "registered" | "not_registered" */
    const char *source;     /* e.g. "VIES" */
    const char *checked_at; /* ISO 8601 */
    const char *country;    /* ISO code of the number checked */
    const char *number;     /* normalised number checked */
} levy_taxid_registry;

/* The one decision "does this tax id make the customer a business for reverse charge in
 * dest" (asked by core/tax/calc.c levy_tax_id_usable only): 1 when the id is valid and of
 * dest (EL = GR, MC takes FR, IM takes GB) or, with eu set (destination in the EU), of any
 * member state (Implementing Regulation (EU) 282/2011 art. 18(1)(a)); 1 too when levy knows
 * no format for dest and the id names no known country (taken as given); 0 otherwise, and 0
 * when reg says "not_registered" for this very number. On 0, note (when not NULL) gets the
 * answer's note text for tax_id_invalid. out (when not NULL) gets the check. */
int levy_taxid_usable(const char *dest, int eu, const char *id, const levy_taxid_registry *reg,
                      levy_taxid_result *out, char *note, size_t note_size);

/* "valid", "invalid_format", "invalid_checksum", "unknown_country". */
const char *levy_taxid_status_name(int status);

#endif
