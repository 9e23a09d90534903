#ifndef LEVY_TAX_BUILD_H
#define LEVY_TAX_BUILD_H
/* The memory a caller of levy_tax_decide fills (core/tax/build.c): a compiled rule's growing
 * arrays while it is compiled, and the request's line arrays. Plain C, no Lua: the binding
 * (core/lua/bind_tax.c) reads tables into them; tests/c/test_tax_build.c tests them. */
#include "tax/calc.h"

/* A compiled rule being built: r.codes and r.treat point into the arrays below (they move as
 * they grow: hold indexes, not pointers, while building); kept: the texts it owns (its codes,
 * treatments' texts and messages: levy_tax_rule_keep). Zeroed = empty. */
typedef struct levy_tax_rule_build {
    levy_tax_rule r;
    levy_tax_code_row *codes;
    levy_tax_treatment *treat;
    int cap_codes, cap_treat;
    char **kept;
    int nkept, cap_kept;
} levy_tax_rule_build;

/* A new treatment: LEVY_TREAT_TAXABLE (zeroed) without branches (below, above, business,
 * individual = -1); its index, or -1 when out of memory (the rule is unchanged). */
int levy_tax_rule_new_treatment(levy_tax_rule_build *b);
/* A new code row (code NULL, treatment -1): its index, or -1 when out of memory. */
int levy_tax_rule_new_code(levy_tax_rule_build *b);
/* A copy of the len bytes at s (NUL-terminated) owned by the rule until it is freed, or NULL
 * when out of memory. */
const char *levy_tax_rule_keep(levy_tax_rule_build *b, const char *s, size_t len);
/* Frees the arrays and the texts kept; the rule is empty after it (a second call does
 * nothing). */
void levy_tax_rule_build_free(levy_tax_rule_build *b);

/* Room for n lines in *lines and *meta (of *cap each, grown to at least 16, contents kept):
 * 0, or -1 when out of memory (what was there stays, *cap unchanged). */
int levy_tax_lines_reserve(levy_tax_line **lines, levy_tax_line_meta **meta, int *cap, int n);

#endif
