#ifndef LEVY_TAX_REQUEST_H
#define LEVY_TAX_REQUEST_H
/* Reading a calculation request and levy.tax's options into C structs (issues 18 and 21),
 * once, against the one reader levy_tax_in (core/tax/compile.h): the same code reads a POST
 * /v1/calculate body parsed from its JSON text (core/tax/json_in.c, no Lua table built) and a
 * Lua table a rule or plugin hands levy.tax.calculate (core/lua/bind_tax.c). Every check of a
 * request's fields, money, dates and ranges, with its detail (field, message), is here or in
 * calc.c (levy_tax_decimal_field, levy_tax_check_line, ...). Plain C, no allocation. */
#include "tax/calc.h"
#include "tax/compile.h"

/* ---- a table of field descriptors, read in order */
enum {
    LEVY_FT_STR,  /* const char *: a string (report: not a JSON number) */
    LEVY_FT_BOOL, /* int: true / false (LEVY_F_LAX: any value, as Lua's truth) */
    LEVY_FT_DEC,  /* int64_t: a decimal string, scaled by `scale` decimals (-1: the currency's) */
    LEVY_FT_ENUM, /* int: a name `from` knows (from(NULL) for an absent one) */
    LEVY_FT_DATE, /* int32_t: YYYY-MM-DD (0 when absent or not a date) */
    LEVY_FT_FUNC  /* int: 1 when a function (LEVY_IN_OTHER) is there */
};
#define LEVY_F_REQ 1  /* absent is a failure (report: `msg` is the detail) */
#define LEVY_F_LAX 2  /* a value of another type is as absent (stored records, a rule's names) */
#define LEVY_F_NEG 4  /* LEVY_FT_DEC: may be negative */
#define LEVY_F_FULL 8 /* LEVY_FT_STR: an empty string is as absent */

typedef struct levy_tax_fields levy_tax_fields;
typedef struct levy_tax_field levy_tax_field;
/* A field's own check, called with the string read (NULL when absent or refused). */
typedef void (*levy_tax_field_check)(levy_tax_fields *v, const levy_tax_field *f, void *out,
                                     const char *name, const char *s, size_t len);

struct levy_tax_field {
    const char *key; /* the member read */
    unsigned char type, flags;
    signed char scale;
    unsigned short at;          /* offsetof the value in the struct read */
    const char *name;           /* how a detail names it */
    const char *msg;            /* report: the detail when absent; raise: the failure */
    levy_tax_field_check check; /* LEVY_FT_STR: instead of storing the string */
    int (*from)(const char *);  /* LEVY_FT_ENUM */
    int64_t dflt;               /* DEC, BOOL, ENUM: the value when absent */
    int64_t limit;              /* DEC (report): the largest |value|, scaled */
    const char *limit_text;     /* how the messages name it (NULL: max_amount) */
};

/* How a table of fields is read: a failure is a detail of p (raise NULL: the request; the
 * detail's name is prefix + the field's name, relative to lines[line] when it starts with
 * '.'), or raise(ud, message) (a rule's fault: the message is the field's msg with label --
 * and index when > 0 -- for its %s; raise does not return). */
struct levy_tax_fields {
    levy_tax_in *in;
    levy_tax_problem *p;
    int line;
    levy_tax_raise_fn raise;
    void *ud;
    const char *label;
    int index;
    const char *prefix;
    int exponent;           /* the currency's decimals: a decimal field of scale -1 */
    int required;           /* what a check may ask (an address that must be there) */
    const char *max_amount; /* the largest amount, as the messages name it */
};

/* v for reading into p (p cleared when clear). */
void levy_tax_fields_init(levy_tax_fields *v, levy_tax_in *in, levy_tax_problem *p);
/* Reads the n fields fs of the table on top of v->in into out; got[i] (when not NULL): 1 read,
 * 0 absent, -1 refused. */
void levy_tax_fields_read(levy_tax_fields *v, const levy_tax_field *fs, int n, void *out,
                          signed char *got);

/* ---- the request */
/* Reads the body's own fields (the value on top of in; not a table: the detail "body"):
 * currency, date (today when absent), customer (an integer id as its text, in req's
 * customer_idbuf), ship_to and ship_from. req is zeroed first but for rates. */
void levy_tax_request_read_head(levy_tax_request *req, levy_tax_in *in, levy_tax_problem *p);
/* Reads member `name` of the table on top of in as an address into a (zeroed first);
 * required: absent is a detail. */
void levy_tax_read_address(levy_tax_in *in, const char *name, levy_tax_addr *a, int required,
                           levy_tax_problem *p);
/* The number of the body's lines (1..LEVY_TAX_MAX_LINES), or 0 with a detail on "lines". */
int levy_tax_request_count_lines(levy_tax_in *in, levy_tax_problem *p);
/* A line's product id -> the tax code stored for it (opts.products), or NULL. */
typedef const char *(*levy_tax_product_fn)(void *ud, const char *product_id);
/* Reads the body's req->nlines lines into req->lines and req->meta (room for them reserved),
 * the ranges checked (levy_tax_check_line); a line without tax_code takes its product's
 * (product may be NULL), else "general". */
void levy_tax_request_read_lines(levy_tax_request *req, levy_tax_in *in,
                                 levy_tax_product_fn product, void *ud, levy_tax_problem *p);

/* ---- levy.tax's options (plugins/api/calc.lua build_opts): read as they are, a value of
 * another type as absent */
/* The stored customer record (opts.customers[id], the table on top of in) into r: exempt,
 * exemption_expires, tax_id, customer_type, exempt_regions (the first max_regions, into
 * regions) and certificates (into certs / cert_regions). */
void levy_tax_read_customer_rec(levy_tax_in *in, levy_tax_customer_rec *r, const char **regions,
                                int max_regions, levy_tax_certificate *certs, int max_certs,
                                const char **cert_regions, int max_cert_regions);
/* The latest registry answer (opts.tax_id_registry, the table on top of in) into reg. */
void levy_tax_read_registry(levy_tax_in *in, levy_taxid_registry *reg);

/* What levy_tax_read_opts_records reads into (its strings stay the options'): the first
 * LEVY_TAX_OPTS_REGIONS exempt_regions (more than levy has regions), the first
 * LEVY_TAX_OPTS_CERTS certificates (issue 20) and their regions from one pool, the registry's
 * answer. About 14 KB: meant for the caller's C stack (no allocation per call). */
#define LEVY_TAX_OPTS_REGIONS 256
#define LEVY_TAX_OPTS_CERTS 64
#define LEVY_TAX_OPTS_CERT_REGIONS 1024
typedef struct levy_tax_opts_buf {
    const char *regions[LEVY_TAX_OPTS_REGIONS];
    levy_tax_certificate certs[LEVY_TAX_OPTS_CERTS];
    const char *cert_regions[LEVY_TAX_OPTS_CERT_REGIONS];
    levy_taxid_registry reg;
} levy_tax_opts_buf;
/* The records of opts (on top of in) for req: the customer record stored in levy,
 * customers[req->customer_id] (when req names a customer and it is a table), into req->stored,
 * and the registry's latest answer, tax_id_registry (setting tax_id_online; a table), as
 * req->tax_id_registry. Read as they are: a value of another type is as absent. */
void levy_tax_read_opts_records(levy_tax_in *in, levy_tax_request *req, levy_tax_opts_buf *ob);
/* The seller of a request that names none (no ship_from, req->seller not present): the
 * settings address opts.seller (opts on top of in) when it is a table; one with a detail
 * (levy_tax_read_address) is ignored (req->seller.present stays 0). */
void levy_tax_read_opts_seller(levy_tax_in *in, levy_tax_request *req);
/* All of levy.tax's options (on top of in) a request takes, after its head was read
 * (levy_tax_request_read_head): the seller (levy_tax_read_opts_seller), the switches
 * (levy_tax_read_options) and the records (levy_tax_read_opts_records, into ob). 0, or -1
 * with the caller's error in msg (a switch levy does not know; the records are not read). */
int levy_tax_read_opts(levy_tax_in *in, levy_tax_request *req, levy_tax_opts_buf *ob, char *msg,
                       size_t cap);

/* The switches of opts (on top of in) into req: ca_gst_regime ("simplified" / "normal"),
 * rounding ("document"), customer_type (the org's default). 0, or -1 with the caller's error
 * in msg (a ca_gst_regime levy does not know). */
int levy_tax_read_options(levy_tax_in *in, levy_tax_request *req, char *msg, size_t cap);
/* Whether region code is on at date by opts (on top of in): all_regions, or regions[code]
 * subscribed with tax calculation on from its effective_from (levy_tax_subscription_on). */
int levy_tax_read_region_on(levy_tax_in *in, const char *code, int32_t date);

/* ---- a rule's tables: a failure is the rule's fault, raised */
/* A rule table's own fields (on top of in; its taxability: compile.h): region (absent: ""),
 * sourcing (unknown: destination), reverse_charge (unknown: raised), has_calculate. */
void levy_tax_read_rule_names(levy_tax_in *in, levy_tax_rule *r, levy_tax_raise_fn raise, void *ud);
/* What a rule's calculate(ctx) left in ctx.lines (ctx on top of in) for group g, read back
 * into req's lines: each line's reason and reverse_charge, its taxes replacing group g's
 * entries (their ranges checked: levy_tax_entry_check). The entries' strings stay ctx's. */
void levy_tax_read_ctx_lines(levy_tax_in *in, levy_tax_request *req, int g, levy_tax_raise_fn raise,
                             void *ud);
/* ctx.notes = { {code = "local_tax_uncertain", message = "..."}, ... } that a rule's
 * calculate left (ctx on top of in; issue 19: what the answer must say, e.g. a ZIP partly
 * inside a city whose own tax levy did not charge), copied into d (levy_tax_decision_add_note:
 * listed in the answer's notes after tax_id_invalid). Absent: none. Not a table, an entry not a
 * table, a code not [a-z0-9_] of 1..LEVY_TAX_NOTE_CODE_MAX-1 bytes, a message not a string or
 * more than LEVY_TAX_RULE_NOTES notes: raised (file names the rule; NULL: "rule"). A caller
 * whose tables may carry metatables refuses one on ctx.notes itself (the same message). */
void levy_tax_read_ctx_notes(levy_tax_in *in, levy_tax_decision *d, const char *file,
                             levy_tax_raise_fn raise, void *ud);
/* The message levy_tax_read_ctx_notes raises for a ctx.notes that is not a plain table. */
#define LEVY_TAX_CTX_NOTES_PLAIN "%s: calculate(ctx): ctx.notes must be a plain table"

#endif
