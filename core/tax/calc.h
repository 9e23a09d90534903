#ifndef LEVY_TAX_CALC_H
#define LEVY_TAX_CALC_H
/* The tax decision (docs/rules.md section 4): which jurisdictions, which treatment, whether
 * the customer is exempt or reverse-charged, then the arithmetic of engine.c. Plain C: no
 * Lua, no I/O, no allocation. The caller (core/lua/bind_tax.c, or a C test) fills a
 * levy_tax_request from its own representation, compiles each region's rule to a
 * levy_tax_rule once (rules are immutable per generation) and calls levy_tax_decide. A
 * rule's Lua calculate(ctx) stays a callback the caller supplies. Every string is borrowed:
 * it must outlive the call (the rule's strings: the rule). */
#include "tax/engine.h"
#include "tax/rates.h"
#include "tax/taxid.h"

#define LEVY_TAX_MAX_DETAILS 50   /* validation details kept per request (more are dropped) */
#define LEVY_TAX_MAX_DEPTH 4      /* thresholds nested at most this deep */
#define LEVY_TAX_NOTE_MAX 400     /* bytes of a note's message, with its NUL */
#define LEVY_TAX_NOTE_CODE_MAX 48 /* bytes of a rule note's code, with its NUL */
#define LEVY_TAX_RULE_NOTES 4     /* notes a rule's calculate may add to one answer */

/* ---- errors: the one table of what a decision can answer (code, HTTP status, message) */
enum levy_tax_error {
    LEVY_TAX_ERR_NONE = 0,
    LEVY_TAX_ERR_VALIDATION, /* validation_failed, 422, details name the fields */
    LEVY_TAX_ERR_ADDRESS,    /* the rate index's code (address_unresolved, ...), 422 */
    LEVY_TAX_ERR_RULE,       /* a rule's data or calculate(ctx) failed: 500 (the rule's fault) */
    LEVY_TAX_ERR_N
};
/* The stable code ("validation_failed"), HTTP status and default message of an error. */
const char *levy_tax_error_code(int error);
int levy_tax_error_status(int error);
const char *levy_tax_error_message(int error);

typedef struct levy_tax_detail {
    char field[64];    /* "currency", "lines[2].amount" */
    char message[256]; /* "is required (ISO 4217 code)" */
} levy_tax_detail;

/* What went wrong: error (enum levy_tax_error), its code and message, the details. */
typedef struct levy_tax_problem {
    int error;
    char code[48];
    char message[256];
    int ndetails;
    levy_tax_detail details[LEVY_TAX_MAX_DETAILS];
} levy_tax_problem;

void levy_tax_problem_clear(levy_tax_problem *p);
/* Adds a detail. line >= 0 and a field starting with '.' name a field of lines[line]
 * (".amount" -> "lines[2].amount", "." -> "lines[2]"). Beyond LEVY_TAX_MAX_DETAILS: dropped. */
void levy_tax_problem_add(levy_tax_problem *p, int line, const char *field, const char *message);
/* Sets the error (and code/message: the table's unless code/message are non-NULL). */
void levy_tax_problem_set(levy_tax_problem *p, int error, const char *code, const char *message);

/* ---- compiled rules */
enum levy_tax_sourcing { LEVY_SOURCING_DESTINATION = 0, LEVY_SOURCING_ORIGIN };
enum levy_tax_reverse_charge {
    LEVY_RC_NONE = 0,
    LEVY_RC_B2B_FOREIGN_SELLER,    /* reverse_charge = "b2b_foreign_seller" (docs/rules.md) */
    LEVY_RC_B2B_SIMPLIFIED_REGIME, /* reverse_charge = "b2b_simplified_regime": only when the
                                    * seller is registered under a simplified regime for
                                    * non-residents (req->simplified_regime; Canada: ETA
                                    * Part IX Division II Subdivision E, s. 211.1 ff.) */
    LEVY_RC_B2B_QST_SPECIFIED      /* reverse_charge = "b2b_qst_specified" (Quebec, issue 19): a
                               * seller outside Quebec registered under the QST specified
                               * system (req->qst_specified) does not charge QST to a customer
                               * that gives its QST number (req->qst_number) */
};
/* A Quebec QST number of the regular system (10 digits TQ 4 digits, spaces ignored)? */
int levy_tax_qst_number_valid(const char *s);
/* Rule text -> enum value, or -1 when unknown (NULL -> the default). */
int levy_tax_sourcing_from(const char *s);
int levy_tax_reverse_charge_from(const char *s);

enum levy_tax_treat_kind {
    LEVY_TREAT_TAXABLE = 0,
    LEVY_TREAT_EXEMPT,
    LEVY_TREAT_ZERO,          /* "zero_rated" */
    LEVY_TREAT_REDUCED,       /* "reduced" / { reduced = key } */
    LEVY_TREAT_FRACTION,      /* { fraction = "0.80" } */
    LEVY_TREAT_RATE,          /* { rate = "1.00", level =, keep_levels = } */
    LEVY_TREAT_EXEMPT_LEVELS, /* { exempt_levels = {...} } */
    LEVY_TREAT_THRESHOLD,     /* { threshold =, per =, below =, above = } */
    LEVY_TREAT_FOLLOWS,       /* "follows_goods": taxed on the taxable share of the goods by
                               * price (delivery charges; docs/rules.md section 2) */
    LEVY_TREAT_FOLLOWS_ANY,   /* "follows_goods_any": taxed in full where any goods line is */
    LEVY_TREAT_DATED,         /* a dated row { T, from =, to = }: T within [from, to], else
                               * the next row (chain through `next`), else the rule's default */
    LEVY_TREAT_BY_CUSTOMER,   /* { business =, individual = }: by the customer's type */
    LEVY_TREAT_BY_PICKUP,     /* { pickup_offered =, ship_only = }: by the seller's setting
                               * pickup_offered (levy_tax_request.pickup_offered; issue 19) */
    LEVY_TREAT_INVALID        /* raised as a rule error when a line uses it */
};

typedef struct levy_tax_treatment {
    int kind;
    int level;        /* RATE: the level whose rate is replaced */
    unsigned mask;    /* RATE: keep_levels; EXEMPT_LEVELS: the levels removed (1 << level) */
    int64_t value;    /* FRACTION: 10^-8; RATE: percent x 10^6 (= 10^-8) */
    const char *text; /* REDUCED: the rate key; THRESHOLD: the decimal; INVALID: the message */
    size_t text_len;
    int per_line;     /* THRESHOLD: per = "line" (else per unit) */
    int below, above; /* THRESHOLD: treatment indexes in the rule */
    int32_t from, to; /* DATED: YYYYMMDD, inclusive; 0 = open */
    int inner, next;  /* DATED: the row's treatment; the next row of the list (-1: none) */
    int business;     /* BY_CUSTOMER: the treatment index for a business (-1: taxable) */
    int individual;   /* BY_CUSTOMER: the treatment index for an individual (-1: taxable) */
    int pickup;       /* BY_PICKUP: the treatment when the seller offers pick-up (-1: taxable) */
    int ship_only;    /* BY_PICKUP: the treatment when it only ships (-1: taxable) */
} levy_tax_treatment;

typedef struct levy_tax_code_row {
    const char *code; /* a taxability key ("saas", "default", ...) */
    int treatment;    /* index into levy_tax_rule.treat */
} levy_tax_code_row;

#define LEVY_TAX_CALC_FOR_MAX 16 /* tax codes a rule's calculate_for may list */
#define LEVY_TAX_MAX_CODES 64    /* built-in tax codes: one bit each in a uint64_t */

/* A rule's place_of_supply row (issue 19; docs/rules.md section 2, "Place of supply"): for a
 * document dated within [from, to] (0 = open), a line of one of codes (or a refinement of one)
 * not reverse-charged, sold by a seller whose own address resolves to one of seller_regions
 * and lies in another country than the ship-to, is taxed at the seller's place: its entries
 * are the seller's jurisdictions at their rates (the supplier's member state's VAT before
 * 2015-01-01 for electronically supplied services). Strings borrowed from the rule. */
#define LEVY_TAX_POS_MAX 8     /* rows of a rule's place_of_supply */
#define LEVY_TAX_POS_REGIONS 4 /* seller_regions of one row */
typedef struct levy_tax_pos_row {
    int32_t from, to;
    int ncodes;
    const char *codes[LEVY_TAX_CALC_FOR_MAX];
    int nregions;
    const char *regions[LEVY_TAX_POS_REGIONS];
    const char *cite; /* the row's source (the note quotes it), or "" */
    /* codes that stay where they are although their parent is listed (e.g. installation, a
     * refinement of professional_services placed where it is carried out) */
    int nexcept;
    const char *except[LEVY_TAX_CALC_FOR_MAX];
    /* when = "below_threshold": the row applies only for a seller whose setting
     * eu_below_threshold is "yes" (levy_tax_request.below_threshold; the EUR 10,000 of
     * Directive 2006/112/EC art. 59c) */
    int below_threshold;
    /* elsewhere = "out_of_scope": a seller outside seller_regions (or unknown) and outside
     * the ship-to's country makes the listed lines out of scope (art. 45: a US consultant's
     * services to an EU consumer are supplied in the US) */
    int elsewhere_oos;
} levy_tax_pos_row;

typedef struct levy_tax_rule {
    const char *region; /* "US-TX" */
    int sourcing;       /* enum levy_tax_sourcing */
    int reverse_charge; /* enum levy_tax_reverse_charge */
    int has_calculate;  /* the caller's calculate callback runs for this rule */
    int ncodes;
    const levy_tax_code_row *codes;
    int ntreat;
    const levy_tax_treatment *treat;
    /* calculate_for (docs/rules.md section 3): 0 = calculate runs for every request; else only
     * for a request with a line whose code, or its parent, is one of these (borrowed) */
    int ncalc_for;
    const char *calc_for[LEVY_TAX_CALC_FOR_MAX];
    /* calculate_before (issue 19): calculate runs for every request dated before this day
     * (YYYYMMDD; 0 = none), and from it only as calculate_for says (none: never): a regime's
     * start that concerns every line */
    int32_t calc_before;
    /* marketplace_from / marketplace_law (doubts26; docs/rules.md "Marketplace sales"): from
     * this day (YYYYMMDD; 0 = the rule cites no such law) a US state's marketplace facilitator
     * collects the tax on sales made through it, not the seller; the law, as cited (borrowed) */
    int32_t marketplace_from;
    const char *marketplace_law;
    /* calculate_election (issue 19, law24): calculate also runs for a request whose seller has
     * made this election (bit i: levy_tax_election_name(i); 0 = none), and, with neither
     * calculate_for nor calculate_before, only then: a remote seller's flat-rate option */
    unsigned calc_elections;
    /* place_of_supply (issue 19): rows placing a supply at the seller's address */
    int npos;
    levy_tax_pos_row pos[LEVY_TAX_POS_MAX];
    /* The index levy_tax_rule_index makes once the rule is whole (levy_tax_rule_compile's last
     * step; issue 21): what the decision asks of a line's code, by the code's levy_tax_codes
     * index k, without a scan of the rows by name. indexed 0 (a rule built by hand, or one
     * being compiled): the decision scans by name, with the same answers. */
    int indexed;
    int treat_of[LEVY_TAX_MAX_CODES]; /* levy_tax_rule_treatment of code k */
    uint64_t own_row;                 /* bit k: the taxability has a row of its own for code k */
    uint64_t calc_for_codes;          /* bit k: calculate_for lists code k or its parent */
    uint64_t pos_codes[LEVY_TAX_POS_MAX]; /* bit k: place_of_supply row lists code k (or its
                                           * parent, and does not except it) */
    int def_treat;                        /* levy_tax_rule_treatment of "default" */
} levy_tax_rule;

/* Makes r's index (above) from its rows, calculate_for and place_of_supply, and sets indexed:
 * after the last change to them (an index of a rule changed later answers from the old rows). */
void levy_tax_rule_index(levy_tax_rule *r);

/* The treatment index of code (its row, else its parent's row (levy_tax_code_parent), else
 * the "default" row), or -1 (then: an "exempt" root -> exempt, anything else taxable). */
int levy_tax_rule_treatment(const levy_tax_rule *r, const char *code);
/* Treatment t at date (YYYYMMDD): a dated row list resolves to the treatment of the row
 * whose window holds the date, else to the rule's "default" row (when that is not the same
 * list), else -1 (the built-in fallback); any other treatment is returned as is. */
int levy_tax_rule_at(const levy_tax_rule *r, int t, int32_t date);
struct levy_tax_line_meta;
/* 1 when the rule's calculate(ctx) is to run for lines[0..n) (meta: their codes): it has one,
 * and it declares no calculate_for or a line's code or parent is listed there (or the date is
 * before its calculate_before, or the seller's elections hold its calculate_election). */
int levy_tax_rule_calc_wanted(const levy_tax_rule *r, const struct levy_tax_line_meta *meta, int n,
                              int32_t date, unsigned elections);

/* A remote seller's elections of a state's simplified collection (issue 19, law24; docs/rules.md
 * section 2, "Remote sellers' flat-rate options"): the organisation settings of these names
 * ("yes"/"no"), bit i of levy_tax_request.elections. */
#define LEVY_TAX_NELECTIONS 2
/* The name of election i (0 <= i < LEVY_TAX_NELECTIONS), else NULL. */
const char *levy_tax_election_name(int i);
/* The index of the election named name (len bytes), else -1. */
int levy_tax_election_index(const char *name, size_t len);
/* 1 when the rule's taxability names code. */
int levy_tax_rule_knows(const levy_tax_rule *r, const char *code);

/* The product tax codes (GET /v1/tax-codes; core/tax/codes.c, the one list: issue 19
 * "Product taxonomy"). parent: NULL for the ten roots of CONTRACT section 2.4, else the root
 * whose row a rule without a row for the code applies (with the note taxability_fallback). */
typedef struct levy_tax_code_info {
    const char *code, *name, *description, *parent;
} levy_tax_code_info;
extern const levy_tax_code_info levy_tax_codes[];
extern const int levy_tax_ncodes;
int levy_tax_code_builtin(const char *code);
/* The index of code in levy_tax_codes, or -1. */
int levy_tax_code_index(const char *code);
/* code's parent (NULL for a root or an unknown code). */
const char *levy_tax_code_parent(const char *code);
/* code's root: its parent, or code itself (a root, or a code only a rule names). */
const char *levy_tax_code_root(const char *code);
/* The note an answer carries for each (region, code) whose rule had no row of its own for the
 * code and applied its parent's row (levy_tax_decision.fallback). */
#define LEVY_TAX_NOTE_TAXABILITY_FALLBACK "taxability_fallback"

/* ---- customer type (issue 19: business vs personal use; docs/rules.md "Customer type") */
enum levy_tax_customer_type {
    LEVY_CUSTOMER_UNSET = 0, /* not said: the next source decides (request, stored, default) */
    LEVY_CUSTOMER_BUSINESS,
    LEVY_CUSTOMER_INDIVIDUAL
};
/* "business" / "individual" -> the enum value; NULL -> LEVY_CUSTOMER_UNSET; else -1. */
int levy_tax_customer_type_from(const char *s);
/* The enum value -> "business" / "individual" (UNSET: "business", the default). */
const char *levy_tax_customer_type_name(int type);

/* ---- request and decision */
typedef struct levy_tax_addr {
    char country[3]; /* ISO 3166 upper case; "" when absent */
    char state[4];   /* upper case, "" when absent */
    const char *city, *zip;
    const char *line1; /* street line, or NULL (SST address records: core/tax/boundary.c) */
    int present;
} levy_tax_addr;

/* Per-line data beside the engine's levy_tax_line (same index). */
typedef struct levy_tax_line_meta {
    const char *id;
    size_t idlen;
    char idbuf[24];
    const char *tax_code; /* never NULL after the request is read ("general") */
    int reason_set;
    int follows;     /* set by levy_tax_decide: the line's treatment follows the goods (decided
                  * after every other line's treatment) */
    unsigned oos;    /* bit g: group g's calculate(ctx) put the line out of scope (issue 19: a
                   * foreign-seller regime not yet in force for that tax only) */
    int pos;         /* set by levy_tax_decide: the rule's place_of_supply placed the line at the
                   * seller's address (levy_tax_decision.pos_res) */
    int pos_by;      /* the row of place_of_supply that decided the line (placed or out of
                   * scope), -1 none */
    int code_ix;     /* set by levy_tax_decide: tax_code's index in levy_tax_codes, -1 when it is
                   * a code only a rule names (looked up once per line: issue 21) */
    int marketplace; /* lines[].marketplace: sold through a marketplace facilitator (doubts26) */
} levy_tax_line_meta;

/* An exemption certificate on file for the customer (issue 20; plugins/api, table
 * api_certificates): it exempts sales into any of its regions dated in [issued, expires]. */
typedef struct levy_tax_certificate {
    const char *id;     /* never NULL */
    const char *number; /* the certificate's own number, NULL when none */
    int32_t issued;     /* YYYYMMDD */
    int32_t expires;    /* YYYYMMDD, 0 = no expiry */
    int nregions;
    const char *const *regions;
} levy_tax_certificate;

/* The customer record stored in levy (opts.customers[id] in the binding). */
typedef struct levy_tax_customer_rec {
    int found;
    int exempt;
    int32_t expires; /* YYYYMMDD, 0 = no expiry */
    int nregions;    /* exempt only in these regions when > 0 */
    const char *const *regions;
    const char *tax_id; /* NULL or non-empty */
    int type;           /* enum levy_tax_customer_type (UNSET: the record does not say) */
    /* Certificates on file (issue 20). When ncerts > 0 they alone decide the exemption (the
     * exempt flag, regions and expiry above do not): exempt while one of them covers a region
     * of the sale and the date; a covering one out of its dates taxes the sale and leaves the
     * note exemption_certificate_expired. */
    int ncerts;
    const levy_tax_certificate *certs;
    const char *qst_number; /* NULL or the stored Quebec QST number (issue 19) */
} levy_tax_customer_rec;

typedef struct levy_tax_request levy_tax_request;
typedef struct levy_tax_decision levy_tax_decision;

/* The rule's calculate(ctx) for region group g: reads and rewrites the lines of group g.
 * Returns LEVY_OK, or an error with err->message (a rule error, 500). It may also longjmp
 * (a Lua error): levy_tax_decide holds no resource across it. */
typedef int (*levy_tax_calculate_fn)(void *ud, levy_tax_request *req, levy_tax_decision *d, int g,
                                     levy_err *err);
/* The compiled rule of a region, or NULL. */
typedef const levy_tax_rule *(*levy_tax_rule_fn)(void *ud, const char *region);
/* 1 when the region is subscribed with tax calculation on, on date. */
typedef int (*levy_tax_region_on_fn)(void *ud, const char *region, int32_t date);

struct levy_tax_request {
    const levy_rates *rates;
    int32_t date;     /* YYYYMMDD */
    int exponent;     /* the currency's minor-unit exponent */
    char currency[4]; /* ISO 4217 */
    levy_tax_addr ship_to;
    levy_tax_addr seller;    /* ship_from, else the settings address; present = 0: unknown */
    const char *customer_id; /* NULL when none */
    char customer_idbuf[24]; /* the text of an integer customer.id */
    const char *tax_id;      /* NULL or non-empty (request's customer.tax_id) */
    int customer_exempt;     /* request's customer.exempt */
    int marketplace;         /* request's marketplace: every line sold through a marketplace
                              * facilitator (doubts26; a line's own lines[].marketplace too) */
    int customer_type;       /* request's customer.type (enum levy_tax_customer_type) */
    int org_customer_type;   /* the org's default (UNSET: business, levy's rules before) */
    levy_tax_customer_rec stored;
    int document_rounding;
    int nlines;
    levy_tax_line *lines; /* in: amounts, quantities, inclusive; out: entries and amounts */
    levy_tax_line_meta *meta;
    levy_tax_rule_fn rule_for;
    levy_tax_region_on_fn region_on;
    levy_tax_calculate_fn calculate; /* NULL: rules' calculate are not run */
    void *ud;
    /* The latest online registry answer for the customer's number (setting tax_id_online,
     * plugins/api/calc.lua opts.tax_id_registry), NULL when none: "not_registered" for this
     * very number makes the id unusable (levy_tax_id_usable). */
    const levy_taxid_registry *tax_id_registry;
    /* The seller is registered under the simplified regime for non-residents where a rule
     * declares reverse_charge = "b2b_simplified_regime" (setting ca_gst_regime =
     * "simplified", plugins/api/calc.lua opts.ca_gst_regime); 0: the normal regime, it
     * charges every customer. */
    int simplified_regime;
    /* The seller is registered for QST under the specified registration system for suppliers
     * outside Quebec (setting qc_qst_regime = "specified", opts.qc_qst_regime); 0: the regular
     * system, it charges every customer. */
    int qst_specified;
    const char *qst_number; /* NULL or the request's customer.qst_number (issue 19) */
    /* The seller, established in one EU member state, stays below the EUR 10,000 of
     * cross-border B2C supplies of Directive 2006/112/EC art. 59c (before 2021-07-01 art.
     * 58(2)) and charges its own member state's VAT (setting eu_below_threshold = "yes",
     * opts.eu_below_threshold); 0: the customer's member state's (the default). */
    int below_threshold;
    /* The seller lets customers collect the goods (setting pickup_offered = "yes",
     * opts.pickup_offered), so a separately stated delivery charge is one the buyer can avoid;
     * 0: it only ships (the default), delivery is mandatory (IL 86 Ill. Adm. Code 130.415,
     * FL Rule 12A-1.045(3)(a); docs/rules.md section 2 "Shipping"). */
    int pickup_offered;
    /* The seller's elections of a state's simplified collection (settings us_al_ssut,
     * us_tx_single_local = "yes", opts of the same names): bit i = levy_tax_election_name(i).
     * A rule sees them as ctx.seller_elections and declares calculate_election to run. */
    unsigned elections;
};

struct levy_tax_decision {
    levy_tax_resolution res; /* region, groups and jurisdictions (after sourcing) */
    /* the seller's own resolution when a row of the rule's place_of_supply applies to the
     * sale (pos_row >= 0; -1 none): the lines it places (levy_tax_line_meta.pos) take its
     * jurisdictions */
    int pos_row;
    unsigned pos_live; /* bit k: row k of place_of_supply holds at the date (and threshold) */
    unsigned pos_here; /* bit k: ... and the seller is in its seller_regions (placed there) */
    unsigned pos_out;  /* bit k: ... and the seller is elsewhere, the row's lines out of scope */
    levy_tax_resolution pos_res;
    const levy_tax_rule *rule[2];
    int on[2];
    int customer_exempt; /* after the stored record */
    /* the id of the certificate that exempted the sale (issue 20), NULL when none did */
    const char *certificate_id;
    const char *tax_id; /* after the stored record */
    int customer_type;  /* BUSINESS or INDIVIDUAL: request, else stored record, else default */
    int reverse;        /* the sale is reverse-charged (B2B, foreign seller) where declared */
    levy_tax_doc doc;   /* totals */
    /* "" or the message of the answer's note tax_id_invalid: a rule declares reverse charge,
     * the customer gave a tax id, and it is not usable (levy_tax_id_usable), so the sale was
     * taxed as a sale to a consumer. The result lists it as notes[{code, message}]. */
    char tax_id_note[LEVY_TAX_NOTE_MAX];
    /* Per group, one bit per levy_tax_codes index: a line of that code was decided by its
     * parent's row because the group's rule has no row for the code (the note
     * taxability_fallback; levy_tax_fallback_note). */
    uint64_t fallback[2];
    /* Notes a rule's calculate(ctx) left in ctx.notes (issue 19: e.g. local_tax_uncertain, a
     * ZIP partly inside a city whose own tax was not charged), listed after tax_id_invalid;
     * levy_tax_decision_add_note. */
    int nrule_notes;
    struct {
        char code[LEVY_TAX_NOTE_CODE_MAX];
        char message[LEVY_TAX_NOTE_MAX];
    } rule_note[LEVY_TAX_RULE_NOTES];
};

/* The message of the note taxability_fallback for group g and code index k into buf. */
void levy_tax_fallback_note(const levy_tax_decision *d, int g, int k, char *buf, size_t cap);

/* Adds a rule's note to d (code [a-z0-9_], 1..LEVY_TAX_NOTE_CODE_MAX-1 bytes; the message is
 * cut at LEVY_TAX_NOTE_MAX-1 bytes on a UTF-8 boundary); the same code and message twice is
 * kept once. 0, or -1 for a bad code or when LEVY_TAX_RULE_NOTES are there already. */
int levy_tax_decision_add_note(levy_tax_decision *d, const char *code, const char *message);

/* ---- reading a request: the checks on values (the caller checks their types) */
/* A decimal string field -> *out scaled by 10^scale, at most max_scale decimals, |value| <=
 * limit (limit_text names it in the message), negative only when allow_neg. Returns 1, or -1
 * with a detail on field (of lines[line] when line >= 0 and field starts with '.'). */
int levy_tax_decimal_field(const char *s, size_t len, int line, const char *field, int max_scale,
                           int scale, int allow_neg, int64_t limit, const char *limit_text,
                           int64_t *out, levy_tax_problem *p);
/* How messages name the largest amount: "10000000000.00 USD" (minor units without currency). */
void levy_tax_max_amount_text(char *buf, size_t cap, const levy_tax_request *req);
/* An address's country (c: NULL when absent; upper-cased, two letters) and state (upper-cased;
 * required and checked for US and CA), details on field. */
void levy_tax_addr_country(levy_tax_addr *a, const char *field, const char *c, size_t len,
                           levy_tax_problem *p);
void levy_tax_addr_state(levy_tax_addr *a, const char *field, const char *s, size_t len,
                         levy_tax_problem *p);

/* Checks the cross-field ranges of line i after its fields were read (quantity > 0,
 * amount - discount and the unit price within LEVY_TAX_MAX_MINOR; docs/rules.md "Ranges"),
 * adding details to p. ra/rd/rq: 1 when amount/discount/quantity were read valid, 0 when
 * absent, -1 when invalid. max_amount: how the messages name the largest amount. */
void levy_tax_check_line(const levy_tax_request *req, int i, int ra, int rd, int rq,
                         const char *max_amount, levy_tax_problem *p);

/* An address's zip code (NULL when absent): required for a US address when the address is. */
void levy_tax_addr_zip(levy_tax_addr *a, const char *field, const char *zip, int required,
                       levy_tax_problem *p);
/* A line id given as a number (or, absent, the line's 1-based position): its decimal text in
 * m->idbuf, m->id and m->idlen set. */
void levy_tax_line_id_number(levy_tax_line_meta *m, long long n);
/* customer.type in a request (NULL: absent -> LEVY_CUSTOMER_UNSET); another value reads as
 * unset and is a detail on "customer.type" when p is given (p NULL: a stored customer's type or
 * the org default, where an unknown value means the record does not say). */
int levy_tax_customer_type_field(const char *s, levy_tax_problem *p);
/* The number of request lines (the array's length): 1..LEVY_TAX_MAX_LINES, else 0 with a
 * detail on "lines". */
int levy_tax_lines_count(long long n, levy_tax_problem *p);
/* Whether a region's subscription (plugins/api regions row) turns its tax calculation on at
 * date: subscribed, tax_calculation not false (-1: absent), and date not before
 * effective_from (NULL, or not a date: no start). */
int levy_tax_subscription_on(int subscribed, int tax_calculation, const char *effective_from,
                             size_t len, int32_t date);
/* The request's currency from its code (any case): req->currency upper-cased and
 * req->exponent set. Returns 0, or -1 (exponent -1) when it is not a known ISO 4217 code. */
int levy_tax_request_currency(levy_tax_request *req, const char *s, size_t len);
/* Today (UTC) as YYYYMMDD: the date of a request that names none. */
int32_t levy_tax_today(void);

/* ---- the values handed to a rule's calculate(ctx) and read back from it */
/* A quantity (scaled by 10^6) without trailing zeros: "2", "0.5". Returns the length. */
size_t levy_tax_fmt_quantity(char *buf, int64_t qty);
/* A line's unit amount, (amount - discount) / quantity in the currency (exponent): exact when
 * it has at most 6 decimals more than the currency, else truncated there with a final sticky 1
 * (dec.h levy_tax_fmt_ratio), so that a rule comparing it decides as on the exact value.
 * buf holds at least 96 bytes. Returns the length. */
size_t levy_tax_fmt_unit_amount(char *buf, const levy_tax_line *l, int exponent);
/* The ranges a tax entry a rule returned (taxes[k], 1-based) must obey, as the engine's own:
 * fraction within [0, 1], unit_from/unit_to within LEVY_TAX_MAX_MINOR, percentage at most
 * 1000. Returns 0, or -1 with the message (naming calculate(ctx)) in msg. */
int levy_tax_entry_check(const levy_tax_entry *en, int k, char *msg, size_t cap);

/* Removes entry i of a line (the entries after it move down). */
void levy_tax_line_remove(levy_tax_line *l, int i);

/* "The customer has a usable tax id" for reverse charge into req->ship_to.country: the one
 * place reverse charge asks it. Present (non-empty) and, by levy_taxid_usable
 * (core/tax/taxid.c; issue 19, a tax id is not a word), a well-formed number with a correct
 * check digit of the destination (eu: the sale's region is "EU", where a number of any member
 * state counts), not answered "not_registered" by req->tax_id_registry; a destination levy
 * knows no format for takes the id as given. On 0 for a present id, note (when not NULL)
 * gets the message of the note tax_id_invalid. */
int levy_tax_id_usable(const levy_tax_request *req, int eu, const char *tax_id, char *note,
                       size_t note_size);
/* The note code an answer carries when levy_tax_id_usable said no. */
#define LEVY_TAX_NOTE_TAX_ID_INVALID "tax_id_invalid"
/* The note of a sale a certificate covers by region but not by date (issue 20): taxed. */
#define LEVY_TAX_NOTE_CERT_EXPIRED "exemption_certificate_expired"
/* issue 19: a rule's place_of_supply placed lines at the seller's address */
#define LEVY_TAX_NOTE_PLACE_OF_SUPPLY "place_of_supply"
/* levy does not know a jurisdiction's rate on the date asked for (data/us/overlays.csv op
 * unknown): the answer uses the rate levy knows from the next day it knows one, and says so
 * (issue 19) */
#define LEVY_TAX_NOTE_RATE_HISTORY_UNKNOWN "rate_history_unknown"

/* lines sold through a marketplace facilitator (request marketplace / lines[].marketplace,
 * doubts26): in a US state whose rule cites its marketplace facilitator law in force on the
 * date, the facilitator collects (the lines answer not_collecting); else the tax is charged
 * and the second note says the rule cites no such law for that day */
#define LEVY_TAX_NOTE_MARKETPLACE "marketplace_facilitator"
#define LEVY_TAX_NOTE_MARKETPLACE_NOT_MODELLED "marketplace_not_modelled"

/* The decision: resolves the ship-to (origin sourcing where the rule declares it), checks
 * the tax codes, applies the customer's exemption, each line's treatment, reverse charge
 * where the rule declares it, the rules' calculate, then levy_tax_compute. Returns LEVY_OK,
 * or an error with p filled (p->error: enum levy_tax_error; its status from the table). */
int levy_tax_decide(levy_tax_request *req, levy_tax_decision *d, levy_tax_problem *p,
                    levy_err *err);

/* ---- the result */
/* 0 for a line whose taxes are not listed (not_collecting, no_tax_in_region). */
int levy_tax_line_listed(const levy_tax_line *l);
/* The taxable amount an entry shows: 0 on a customer-exempt line, else its taxable. */
int64_t levy_tax_entry_shown_taxable(const levy_tax_line *l, const levy_tax_entry *en);

/* Where the answer goes: levy_tax_result_write shapes it once and hands it to one of two
 * readers -- JSON text (levy_tax_result_json below) or levy.tax's result table
 * (core/lua/bind_tax.c) -- so a field it gains reaches both. The calls nest as JSON does:
 * open (an object, or an array when `array`, with room for n members), key (in an object,
 * before each value; k is a string literal, a reader may know it by its address; first: the
 * object's first key), a value (str, num, boolean, null or a nested open ... close), close. str
 * returns -1 for a string the reader cannot carry. */
typedef struct levy_tax_out levy_tax_out;
/* key's first may carry this bit: k is not a string literal (a rate key of the rate index), a
 * reader must not know it by its address. */
#define LEVY_TAX_KEY_TEXT 2
/* str's n for a NUL-terminated string (a name from a table, a field of the request): a reader
 * may find it by its address (Lua's C-string cache) instead of hashing its bytes. */
#define LEVY_TAX_CSTR ((size_t)-1)
struct levy_tax_out {
    void (*open)(levy_tax_out *o, int array, int n);
    void (*close)(levy_tax_out *o, int array);
    void (*key)(levy_tax_out *o, const char *k, int first);
    int (*str)(levy_tax_out *o, const char *s, size_t n);
    void (*num)(levy_tax_out *o, long long v);
    void (*boolean)(levy_tax_out *o, int v);
    void (*null)(levy_tax_out *o); /* JSON null (levy.json's json.null in a Lua table) */
    /* Optional (NULL: the writer calls key / str instead; levy_tax_out_keyn, _dec below).
     * keyn: key with its length n (k a string literal). dec: the decimal string of v scaled
     * by 10^scale (levy_tax_fmt_scaled), trailing fractional zeros dropped down to min_scale
     * digits (levy_tax_fmt_percent is scale 6, min_scale 2). The JSON reader writes both
     * straight into its buffer: no strlen, no escape scan, no text to copy (issue 21). */
    void (*keyn)(levy_tax_out *o, const char *k, size_t n, int first);
    void (*dec)(levy_tax_out *o, int64_t v, int scale, int min_scale);
    /* Optional, both or neither (NULL: the writer writes every value). tell: where the output
     * stands, as an offset of the reader's own; again: appends once more what it received
     * between two tells of the same answer, at the same nesting (the writer replays a tax
     * entry's authority code, jurisdiction, note, level, name and percentage when an earlier
     * entry of the answer had the very same ones: issue 21, the JSON reader copies the bytes). */
    size_t (*tell)(levy_tax_out *o);
    void (*again)(levy_tax_out *o, size_t from, size_t to);
};
/* A key through o's keyn, or its key when it has none. */
void levy_tax_out_keyn(levy_tax_out *o, const char *k, size_t n, int first);
/* A decimal value through o's dec, or as the string levy_tax_fmt_scaled writes (trailing
 * fractional zeros down to min_scale digits dropped) through its str when it has none. */
void levy_tax_out_dec(levy_tax_out *o, int64_t v, int scale, int min_scale);

/* Writes the result (CONTRACT section 2.5) to o, object keys in byte order.
 * generation: NULL when none; region_rule: NULL when none. Returns 0, or -1 when a string
 * could not be carried (o's str refused it, or a jurisdiction name of 256 bytes or more). */
int levy_tax_result_write(levy_tax_out *o, const levy_tax_request *req, const levy_tax_decision *d,
                          const char *calc_id, size_t calc_id_len, const char *date,
                          const long long *generation, const char *rates_source,
                          const char *region_rule);

/* `"territory": {code, name, reason, tax_country?, treatment}` (issue 19), not the object's
 * first key: the answer's and levy.tax.resolve's. Returns 0, or -1 (a string refused). */
int levy_tax_territory_write(levy_tax_out *o, const struct levy_territory *tr);

struct levy_buf;
/* "55101-0002..55101-1609" (or "55101-0002" when lo == hi) of a ZIP+4 range held as 9 digits;
 * buf >= 24 bytes. */
void levy_tax_zip4_range(char *buf, uint32_t lo, uint32_t hi);
/* Appends the result as JSON text to b (levy_tax_result_write): the bytes levy.json.encode
 * writes for the binding's result table (keys in byte order, empty arrays as []). Returns 0,
 * or -1 when b ran out of memory or a string needs the table path (a leading NUL: a
 * levy.json number literal; a jurisdiction name of 256 bytes or more). */
int levy_tax_result_json(struct levy_buf *b, const levy_tax_request *req,
                         const levy_tax_decision *d, const char *calc_id, size_t calc_id_len,
                         const char *date, const long long *generation, const char *rates_source,
                         const char *region_rule);

/* The answer as levy.tax.calculate gives it: levy_tax_result_json / levy_tax_result_write with
 * the rate source described from the decision's resolution (levy_rates_describe); the JSON
 * text's buffer, when b has none yet, is allocated once for a typical answer (about 500 bytes
 * a line). Same returns. */
int levy_tax_answer_json(struct levy_buf *b, const levy_tax_request *req,
                         const levy_tax_decision *d, const char *calc_id, size_t calc_id_len,
                         const char *date, const long long *generation, const char *region_rule);
int levy_tax_answer_write(levy_tax_out *o, const levy_tax_request *req, const levy_tax_decision *d,
                          const char *calc_id, size_t calc_id_len, const char *date,
                          const long long *generation, const char *region_rule);
/* The JSON reader's steps (a json_out needs its state: use levy_tax_json_write), and any
 * writer's output as JSON text appended to b: 0, or -1 (write's -1, out of memory). */
extern const levy_tax_out levy_tax_json_out;
int levy_tax_json_write(struct levy_buf *b, int (*write)(levy_tax_out *o, void *arg), void *arg);

#endif
