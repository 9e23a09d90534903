#ifndef LEVY_TAX_CTX_H
#define LEVY_TAX_CTX_H
/* What a rule's calculate(ctx) is handed (docs/rules.md section 4), shaped once in plain C
 * (core/tax/ctx.c) and written to a levy_tax_out reader (calc.h): the binding builds the Lua
 * table from it (core/lua/bind_tax.c, run_calculate), a test reads it as JSON. */
#include "tax/calc.h"

/* ctx for the rule of group g of decision d: {region, date, currency, ship_to, seller?,
 * customer {id?, tax_id?, exempt, type}, lines [{id, index, tax_code, tax_code_parent, amount
 * (after discount), quantity, unit_amount, tax_inclusive, reason, reverse_charge, taxes [group
 * g's: {jurisdiction, level, type, percentage, name?, authority_code (null when unknown),
 * jurisdiction_note?, fraction, unit_from?, unit_to?}]}], jurisdictions [the resolution's
 * group g entries: {jurisdiction, level, type, percentage, name?, authority_code,
 * jurisdiction_note?}], resolution?, zip_candidates? (group 0 only, not a partial-ZIP
 * district's sets: [{percentage, jurisdictions [{jurisdiction, authority_code?}]}])}. date: the request's, YYYY-MM-DD.
 * Returns 0, or -1 when o refused a string. */
int levy_tax_ctx_write(levy_tax_out *o, const levy_tax_request *req, const levy_tax_decision *d,
                       int g, const char *date);

/* A jurisdiction's head: an object (room for n members) with its name (with the rate index's
 * suffix; a name of 256 bytes or more is written without it, and -1 returned), level, type,
 * percentage, its own name when it has one (issue 19: local taxes), authority_code (null when
 * not established) and jurisdiction_note; left open for the caller's members (ctx's taxes and
 * jurisdictions, levy.tax.resolve's taxes: core/tax/info.c). Returns 0 or -1. */
int levy_tax_entry_head_write(levy_tax_out *o, const levy_tax_entry *en, int n);

#endif
