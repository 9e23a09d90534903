#ifndef LEVY_TAX_COMPILE_H
#define LEVY_TAX_COMPILE_H
/* Compiling a rule's taxability (docs/rules.md section 2) into a levy_tax_rule, once per rule
 * and generation (core/tax/compile.c): each treatment a row kind of one table, as the binding's
 * field reader reads fields. Plain C: the values come through levy_tax_in from the caller's
 * own representation (core/lua/bind_tax.c: the Lua stack; tests/c/test_tax_compile.c: a tree
 * of its own). What the decision cannot apply becomes LEVY_TREAT_INVALID with the message it
 * raises when a line uses it: an unused bad row is no error. */
#include "tax/build.h"

/* The kinds of value levy_tax_in hands. */
enum levy_tax_in_type {
    LEVY_IN_NIL = 0,
    LEVY_IN_STRING,
    LEVY_IN_NUMBER,
    LEVY_IN_TABLE,
    LEVY_IN_OTHER,    /* a userdata, a thread... */
    LEVY_IN_FUNCTION, /* a Lua function (a rule's calculate) */
    LEVY_IN_BOOLEAN,  /* true / false (truth) */
    LEVY_IN_NULL      /* JSON null (levy.json's json.null): a request reads it as absent */
};

/* A stack of the caller's values; every step reads the value on top. The one reader of a
 * caller's values: a rule's taxability (this file), the /v1/calculate request and levy.tax's
 * options (core/tax/request.c); implemented over the Lua stack (core/lua/bind_tax.c), over
 * parsed JSON text (core/tax/json_in.c) and over a C test's own tree. field and item push a
 * value (pop removes it); the compiler pops what it pushed. A step may longjmp (a Lua error):
 * the compiler holds nothing but the rule being built across one. */
typedef struct levy_tax_in levy_tax_in;
struct levy_tax_in {
    /* The type of the value on top. */
    int (*type)(levy_tax_in *in);
    /* Pushes top[name] of the table on top, as the caller's language reads it; its type. name
     * is a string literal: a reader may know it by its address (field_text for another). */
    int (*field)(levy_tax_in *in, const char *name);
    /* Pushes top[i] (i >= 1) of the table on top, read raw; its type. */
    int (*item)(levy_tax_in *in, long long i);
    /* The length of the table on top: raw (a border of its array part) or as the language's
     * length operator. */
    long long (*len)(levy_tax_in *in, int raw);
    /* The text of the value on top: a string's, a number's as the language writes it (1000,
     * 1000.0); NULL for another type. Valid until it is popped. */
    const char *(*text)(levy_tax_in *in, size_t *len);
    void (*pop)(levy_tax_in *in);
    /* 1 when the value on top is true (a boolean); may be NULL where no reader asks it (the
     * compiler does not). */
    int (*truth)(levy_tax_in *in);
    /* 1 when the value on top is an integer number (a JSON integer, a Lua integer), *v its
     * value; may be NULL where no reader asks it. */
    int (*integer)(levy_tax_in *in, long long *v);
    /* field for a name that is not a string literal (a region code); may be NULL where no
     * reader asks it. */
    int (*field_text)(levy_tax_in *in, const char *name);
    /* Calls fn for each member of the table on top whose key is a string and whose value is
     * not nil, in the table's own order, with the value pushed on top (fn leaves the stack as
     * it found it); stops at fn's first non-zero return and returns it, else 0. May be NULL
     * where no reader asks it (only levy_tax_rule_compile does: a rule's taxability). */
    int (*each)(levy_tax_in *in, int (*fn)(levy_tax_in *in, const char *key, size_t len, void *arg),
                void *arg);
};

/* Raises msg as the caller's error (a Lua error): does not return. */
typedef void (*levy_tax_raise_fn)(void *ud, const char *msg);

/* Adds the row of code (len bytes, kept with the rule) to b, its treatment the value on top of
 * in, compiled. 0, or -1 when out of memory (b stays whole: free it). */
int levy_tax_rule_add_code(levy_tax_rule_build *b, levy_tax_in *in, const char *code, size_t len);

/* Reads the rule's calculate_for (the value on top of in: nil, or a list of tax codes, each
 * built-in or a taxability row of the rule: read the taxability first) into b->r. 0; -1 when
 * out of memory; -2 when it is not such a list, with the message (naming the rule and the
 * code) in msg. */
int levy_tax_rule_calc_for(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap);
/* The rule's `calculate_before` on top (nil, or "YYYY-MM-DD"; docs/rules.md section 3): 0, -2
 * with msg (not a date; without calculate). */
int levy_tax_rule_calc_before(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap);
/* The rule's `marketplace_from` (nil, or "YYYY-MM-DD" with `marketplace_law`, doubts26): 0, -2
 * with msg (not a date; without its law; a law without a date). */
int levy_tax_rule_marketplace_from(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap);
/* The rule's `calculate_election` on top (nil, or an election's name, levy_tax_election_name;
 * docs/rules.md section 2, "Remote sellers' flat-rate options"): 0, -2 with msg (an unknown
 * name; without calculate). */
int levy_tax_rule_calc_election(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap);
/* The rule's `place_of_supply` on top (nil, or a list of rows { "supplier", from =, to =,
 * codes = {...}, seller_regions = {...}, cite = }; docs/rules.md section 2, "Place of supply";
 * read the taxability first): 0; -1 out of memory; -2 with msg naming the row and field. */
int levy_tax_rule_place_of_supply(levy_tax_rule_build *b, levy_tax_in *in, char *msg, size_t cap);

/* Compiles the rule table on top of in (in->each needed) into b (zeroed, or emptied by
 * levy_tax_rule_cache_claim): its own fields (levy_tax_read_rule_names, core/tax/request.c:
 * region, sourcing, reverse_charge, calculate), each taxability row (levy_tax_rule_add_code;
 * a taxability that is not a table: none), calculate_for (after the taxability: it may name
 * its rows), calculate_before, place_of_supply, then the rule's index of the built-in codes
 * (levy_tax_rule_index, calc.h). What the rule table itself gets wrong, and out of memory
 * ("out of memory"), is raised through raise(ud, message); b then holds what was compiled so
 * far (free it). Returns when b->r is whole. */
void levy_tax_rule_compile(levy_tax_rule_build *b, levy_tax_in *in, levy_tax_raise_fn raise,
                           void *ud);

/* Compiles the treatment on top of in into b; its index, or -1 when out of memory. */
int levy_tax_compile_treatment(levy_tax_rule_build *b, levy_tax_in *in);

#endif
