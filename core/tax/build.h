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

/* ---- the line memory of calculations: one shared buffer, reused across calls */

/* Line arrays of cap lines each (zeroed = none). */
typedef struct levy_tax_lines_mem {
    levy_tax_line *lines;
    levy_tax_line_meta *meta;
    int cap;
} levy_tax_lines_mem;

/* The shared buffer (zeroed = empty, not held) and a calculation's hold on line memory: the
 * pool's buffer when it is free, else (a rule's calculate re-entering levy.tax.calculate)
 * memory of the lease's own. A zeroed lease holds nothing; release returns what it holds
 * (the pool's buffer stays for the next call, its own is freed) and may run twice. */
typedef struct levy_tax_line_pool {
    levy_tax_lines_mem mem;
    int busy;
} levy_tax_line_pool;

typedef struct levy_tax_line_lease {
    levy_tax_line_pool *pool; /* the pool whose buffer this lease holds, or NULL */
    levy_tax_lines_mem own;
} levy_tax_line_lease;

/* Takes room for n lines from p into l (a zeroed lease): the lines, or NULL when out of
 * memory (l may then hold the pool's buffer: release it all the same). */
levy_tax_lines_mem *levy_tax_lease_take(levy_tax_line_lease *l, levy_tax_line_pool *p, int n);
void levy_tax_lease_release(levy_tax_line_lease *l);
/* Frees the pool's buffer (a second call does nothing). At the end only: a lease that still
 * holds it keeps a pointer to the pool, which it may release (the flag) but not use. */
void levy_tax_line_pool_free(levy_tax_line_pool *p);

/* ---- the rules one decision asked for */

/* levy_tax_decide asks its caller for the rule of each region group (levy_tax_rule_fn: at most
 * two, the sale's region and a second group's) and later runs the calculate of group g's rule
 * (levy_tax_calculate_fn), by the group's region: a caller keeps here what it found for each
 * region asked (its own handle of the rule: the binding's stack index of the rule table, and
 * the rule's file) to find it again. Zeroed = none asked. */
#define LEVY_TAX_RULE_SLOTS 2
typedef struct levy_tax_rule_slots {
    int n;
    char region[LEVY_TAX_RULE_SLOTS][8]; /* cut to 7 bytes (region codes are shorter) */
    int handle[LEVY_TAX_RULE_SLOTS];     /* the caller's: 0 = no rule */
    const char *file[LEVY_TAX_RULE_SLOTS];
} levy_tax_rule_slots;

/* A new slot for region (handle 0, file NULL): its index, or -1 when every slot is taken. */
int levy_tax_rule_slot_add(levy_tax_rule_slots *s, const char *region);
/* The slot of region, or 0 (the sale's region) when it was not asked. */
int levy_tax_rule_slot_of(const levy_tax_rule_slots *s, const char *region);

/* ---- compiled rules, one per region, kept for the life of a generation */

/* Rules are immutable per generation: each region's rule is compiled once and kept here (in
 * the generation's Lua state, freed with it) under its region and the identity of the table
 * it was compiled from (src: the binding keeps that table alive while its entry holds it, so
 * the identity cannot be reused). Another table for the region (a self-test's or a caller's
 * opts.rule) replaces the entry: at most one compiled rule per region. */
typedef struct levy_tax_rule_entry {
    char *region;
    const void *src;
    int ready; /* compiled whole (0: being compiled, or its compilation failed) */
    levy_tax_rule_build b;
} levy_tax_rule_entry;

typedef struct levy_tax_rule_cache {
    levy_tax_rule_entry **slots; /* open addressing by the region's hash, at most half full */
    int nslots, n;
} levy_tax_rule_cache;

/* The compiled rule of region from src, or NULL when there is none ready. */
const levy_tax_rule *levy_tax_rule_cache_get(const levy_tax_rule_cache *c, const char *region,
                                             const void *src);
/* The region's entry emptied for src (what it held freed; not ready until
 * levy_tax_rule_cache_ready), to compile into; NULL when out of memory. */
levy_tax_rule_entry *levy_tax_rule_cache_claim(levy_tax_rule_cache *c, const char *region,
                                               const void *src);
/* Marks e compiled: levy_tax_rule_cache_get returns it from now on. */
void levy_tax_rule_cache_ready(levy_tax_rule_entry *e);
/* Frees every entry (the cache is empty after it; a second call does nothing). */
void levy_tax_rule_cache_free(levy_tax_rule_cache *c);

#endif
