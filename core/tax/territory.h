#ifndef LEVY_TAX_TERRITORY_H
#define LEVY_TAX_TERRITORY_H
/* Territories whose VAT status differs from the country their address names (issue 19): one
 * table, resolved before rates. A ship-to (country + postal code) may be
 *   - taxed as another country (Monaco -> France, the Isle of Man -> United Kingdom,
 *     Büsingen and Liechtenstein -> Switzerland): the rates and rules of tax_country apply;
 *   - out of scope (the Canary Islands, Ceuta, Melilla, Åland, Mount Athos, Heligoland,
 *     Livigno, Campione d'Italia, the French overseas departments, the Channel Islands): outside
 *     the EU / UK VAT territory, answered as such with its reason (not a 0 % rate);
 *   - Northern Ireland: United Kingdom VAT at UK rates for everything, but goods follow the EU
 *     VAT rules (Windsor Framework), services the UK's: annotated, taxed as GB.
 * Pure C: no Lua, no I/O, no allocation. Postal codes are matched after removing spaces and
 * dashes (and a leading country prefix such as "AX-" or "F-"); each row cites its ranges. */

typedef enum levy_territory_kind {
    LEVY_TERRITORY_TAXED_AS = 1,     /* the VAT of tax_country applies */
    LEVY_TERRITORY_OUT_OF_SCOPE = 2, /* outside the EU / UK VAT territory */
    LEVY_TERRITORY_SPLIT = 3         /* Northern Ireland: goods EU rules, services UK; GB VAT */
} levy_territory_kind;

typedef struct levy_territory {
    const char *code; /* ISO 3166-2 (or 3166-1) code: "ES-CN", "MC", "GB-NIR" */
    const char *name; /* "Canary Islands" */
    levy_territory_kind kind;
    const char *tax_country; /* TAXED_AS / SPLIT: the country whose VAT applies; else NULL */
    const char *treatment;   /* "taxed_as", "out_of_scope", "goods_eu_rules_services_uk" */
    const char *reason;      /* one sentence with its legal basis */
    const char *postal;      /* which addresses match and the source of the ranges */
} levy_territory;

/* The territory of an address: country = ISO 3166-1 alpha-2 as given (any case), zip = its
 * postal code or NULL. NULL when the address is in no listed territory. */
const levy_territory *levy_territory_find(const char *country, const char *zip);

/* Number of table rows and row i (for tests and documentation). */
int levy_territory_count(void);
const levy_territory *levy_territory_at(int i);

#endif
