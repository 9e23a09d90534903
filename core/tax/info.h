#ifndef LEVY_TAX_INFO_H
#define LEVY_TAX_INFO_H
/* What levy.tax answers besides a calculation (docs/rules.md section 4, docs/plugins.md
 * "levy.tax"): the regions levy has rules for, an address resolved to its jurisdictions, the
 * rate tables loaded, the US nexus thresholds, the product tax codes and a problem. Each is
 * shaped once here and written to a levy_tax_out reader (calc.h), as levy_tax_result_write
 * writes the answer: the binding builds its Lua tables from it (core/lua/bind_tax.c), a test
 * reads it as JSON text (levy_tax_json_write; tests/c/test_tax_info.c). Plain C, no
 * allocation. Each returns 0, or -1 when the reader refused a string. */
#include "tax/calc.h"
#include "tax/nexus.h"
#include "tax/foreign.h"

/* A region levy has a rule for: levy.rules[code] and levy.rule_files[code]. Borrowed. */
typedef struct levy_tax_region_info {
    const char *code;     /* "US-TX" */
    const char *name;     /* the rule's name */
    const char *country;  /* the rule's country; NULL: the code's first two letters */
    const char *tax_type; /* "SALES_TAX", "VAT", ... (NULL: left out) */
    const char *rule;     /* the rule's file ("us/tx.lua"), NULL when unknown */
} levy_tax_region_info;

/* Sorts r by code (byte order) and writes [{code, country, name, rule?, tax_type}]. */
int levy_tax_regions_write(levy_tax_out *o, levy_tax_region_info *r, int n);

/* An address resolved by levy_rates_resolve: {rates?, rates_source, region, regions [group
 * regions], taxes [{jurisdiction, level, type, percentage, name?, authority_code (null when
 * unknown), jurisdiction_note?, region}], territory?}; rates: {key: percentage} of the
 * resolution's rate keys (VAT), only when it has any. */
int levy_tax_resolution_write(levy_tax_out *o, const levy_rates *rates,
                              const levy_tax_resolution *res);

/* levy.tax.resolve(address, date): member "address" of the table on top of in read as a
 * required address (details on "address.country", ...; core/tax/request.c), date (NULL: today;
 * else YYYY-MM-DD, len bytes) checked, then the address resolved by the rate index into res.
 * 0, or -1 with p set: a validation problem ("invalid address", its details), or the rate
 * index's refusal (LEVY_TAX_ERR_ADDRESS with its code, address_unresolved ...). */
struct levy_tax_in;
int levy_tax_resolve_in(const levy_rates *rates, struct levy_tax_in *in, const char *date,
                        size_t len, levy_tax_resolution *res, levy_tax_problem *p);

/* The rate tables loaded (rates NULL: none): [{path, rows, source, vintage}]. */
int levy_tax_rates_info_write(levy_tax_out *o, const levy_rates *rates);

/* The members of rate table i that levy_tax_rates_info_write writes ("path", "rows",
 * "source", "vintage": one field table), those named by keys in that order, into an object
 * o has open (first: none written in it yet). GET /admin/rates (core/host/routes.c) writes
 * them in its own order and adds its members. Returns 0, or -1 (no table i, a key not among
 * them, a string refused). */
int levy_tax_rates_table_members_write(levy_tax_out *o, const levy_rates *rates, int i,
                                       const char *const *keys, int nkeys, int first);

/* The nexus thresholds: [{combine?, effective_from?, marketplace, marketplace_source?,
 * period, sales_threshold, source, state, transactions_threshold?}] (combine and
 * transactions_threshold only for a state with a transaction count). */
int levy_tax_nexus_write(levy_tax_out *o, const levy_nexus *nx);
/* The foreign-seller thresholds: [{country, currency, effective_from?, period, scope, source,
 * threshold}] (core/tax/foreign.h). */
int levy_tax_foreign_write(levy_tax_out *o, const levy_foreign *t);

/* The product tax codes (levy_tax_codes): [{code, description, name, parent?}]. */
int levy_tax_codes_write(levy_tax_out *o);

/* A problem as levy.tax returns it: {code, details? [{field, message}], message, status}. */
int levy_tax_problem_write(levy_tax_out *o, const levy_tax_problem *p);

#endif
