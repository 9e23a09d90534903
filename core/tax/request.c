/* Reading a calculation request and levy.tax's options into C structs through levy_tax_in
 * (request.h): one field-descriptor reader for the request (a failure is a detail), the stored
 * records (read as they are) and a rule's tables (a failure raises through the caller). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tax/dec.h"
#include "tax/request.h"

#define AT(type, member) ((unsigned short)offsetof(type, member))
#define OUT(out, f, type) ((type *)((char *)(out) + (f)->at))
#define NFIELDS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int absent_type(int t) { return t == LEVY_IN_NIL || t == LEVY_IN_NULL; }

void levy_tax_fields_init(levy_tax_fields *v, levy_tax_in *in, levy_tax_problem *p)
{
    memset(v, 0, sizeof *v);
    v->in = in;
    v->p = p;
    v->line = -1;
    v->exponent = 4;
}

static void vfail(levy_tax_fields *v, const char *field, const char *msg)
{
    levy_tax_problem_add(v->p, v->line, field, msg);
}

static void field_fail(levy_tax_fields *v, const levy_tax_field *f, const char *name,
                       const char *msg)
{
    if (v->raise) {
        char label[96], text[320]; /* formatted only here: with index > 0 the label holds %d */
        if (v->index > 0)
            snprintf(label, sizeof label, v->label, v->index);
        else
            snprintf(label, sizeof label, "%s", v->label ? v->label : "");
        snprintf(text, sizeof text, f->msg, label);
        v->raise(v->ud, text); /* does not return */
        return;
    }
    vfail(v, name, msg);
}

/* An optional string member; NULL when absent, a non-string reported. */
static const char *opt_string(levy_tax_fields *v, const char *key, const char *field, size_t *len)
{
    levy_tax_in *in = v->in;
    int t = in->field(in, key);
    if (absent_type(t)) {
        in->pop(in);
        return NULL;
    }
    if (t != LEVY_IN_STRING) {
        vfail(v, field,
              t == LEVY_IN_NUMBER ? "must be a string, not a JSON number" : "must be a string");
        in->pop(in);
        return NULL;
    }
    const char *s = in->text(in, len);
    in->pop(in);                 /* the string stays alive: the table (or the doc) holds it */
    if (s[0] == 0 && *len > 0) { /* levy.json number literal ("\0" prefix) */
        vfail(v, field, "must be a string, not a JSON number");
        return NULL;
    }
    return s;
}

/* A decimal string member -> scaled int64 in *out: 1 present and valid, 0 absent, -1 invalid
 * (reported on `field`). */
static int opt_decimal(levy_tax_fields *v, const char *key, const char *field, int scale,
                       int allow_neg, int64_t limit, const char *limit_text, int64_t *out)
{
    levy_tax_in *in = v->in;
    int t = in->field(in, key);
    if (absent_type(t)) {
        in->pop(in);
        return 0;
    }
    if (t != LEVY_IN_STRING) {
        vfail(v, field,
              t == LEVY_IN_NUMBER ? "must be a decimal string (e.g. \"12.34\"), not a JSON number"
                                  : "must be a decimal string");
        in->pop(in);
        return -1;
    }
    size_t len;
    const char *s = in->text(in, &len);
    in->pop(in);
    if (len > 0 && s[0] == 0) {
        vfail(v, field, "must be a decimal string (e.g. \"12.34\"), not a JSON number");
        return -1;
    }
    return levy_tax_decimal_field(s, len, v->line, field, scale, scale, allow_neg, limit,
                                  limit_text, out, v->p);
}

static int opt_bool(levy_tax_fields *v, const char *key, const char *field, int dflt)
{
    levy_tax_in *in = v->in;
    int t = in->field(in, key), r = dflt;
    if (!absent_type(t)) {
        if (t == LEVY_IN_BOOLEAN)
            r = in->truth(in);
        else
            vfail(v, field, "must be true or false");
    }
    in->pop(in);
    return r;
}

void levy_tax_fields_read(levy_tax_fields *v, const levy_tax_field *fs, int n, void *out,
                          signed char *got)
{
    levy_tax_in *in = v->in;
    for (int i = 0; i < n; i++) {
        const levy_tax_field *f = &fs[i];
        char nb[64];
        const char *name = f->name;
        if (v->prefix && name) { /* prefix + name, cut to nb (names are short) */
            size_t a = strlen(v->prefix), b = strlen(name);
            a = a < sizeof nb - 1 ? a : sizeof nb - 1;
            b = b < sizeof nb - 1 - a ? b : sizeof nb - 1 - a;
            memcpy(nb, v->prefix, a);
            memcpy(nb + a, name, b);
            nb[a + b] = '\0';
            name = nb;
        }
        int st = 0, lax = f->flags & LEVY_F_LAX;
        if (f->type == LEVY_FT_STR && !v->raise && !lax) { /* the request's strings */
            size_t len = 0;
            int before = v->p->ndetails;
            const char *sv = opt_string(v, f->key, name, &len);
            st = sv ? 1 : v->p->ndetails != before ? -1 : 0;
            if (sv && (f->flags & LEVY_F_FULL) && !sv[0])
                sv = NULL;
            if (st == 0 && (f->flags & LEVY_F_REQ))
                vfail(v, name, f->msg);
            if (f->check)
                f->check(v, f, out, name, sv, len);
            else
                *OUT(out, f, const char *) = sv;
        } else if (f->type == LEVY_FT_DEC && !v->raise) { /* the request's amounts */
            int scale = f->scale < 0 ? v->exponent : f->scale;
            int64_t *o = OUT(out, f, int64_t);
            *o = f->dflt;
            st = opt_decimal(v, f->key, name, scale, (f->flags & LEVY_F_NEG) != 0, f->limit,
                             f->limit_text ? f->limit_text : v->max_amount, o);
            if (st == 0 && (f->flags & LEVY_F_REQ))
                vfail(v, name, f->msg);
        } else if (f->type == LEVY_FT_BOOL && !lax) {
            *OUT(out, f, int) = opt_bool(v, f->key, name, (int)f->dflt);
        } else {
            int t = in->field(in, f->key);
            int there = !absent_type(t);
            size_t len = 0;
            const char *sv = t == LEVY_IN_STRING ? in->text(in, &len) : NULL;
            if (sv && (f->flags & LEVY_F_FULL) && !len)
                sv = NULL, there = 0;
            switch (f->type) {
            case LEVY_FT_STR: /* raise or lax: another type is refused, or as absent */
                if (there && !sv && !lax)
                    field_fail(v, f, name, "must be a string");
                if (!sv && (f->flags & LEVY_F_REQ) && !lax)
                    field_fail(v, f, name, f->msg);
                if (f->check)
                    f->check(v, f, out, name, sv, len);
                else
                    *OUT(out, f, const char *) = sv;
                break;
            case LEVY_FT_BOOL: /* lax: Lua's truth (nil and false are false) */
                *OUT(out, f, int) = t == LEVY_IN_NIL       ? (int)f->dflt
                                    : t == LEVY_IN_BOOLEAN ? in->truth(in)
                                                           : 1;
                break;
            case LEVY_FT_DEC: { /* raise: a rule's decimals */
                int scale = f->scale < 0 ? v->exponent : f->scale;
                int64_t *o = OUT(out, f, int64_t);
                *o = f->dflt;
                if (there || (f->flags & LEVY_F_REQ)) {
                    if (!sv || levy_tax_dec_parse(sv, len, scale, scale, 0, o))
                        field_fail(v, f, name, "must be a decimal string");
                }
                break;
            }
            case LEVY_FT_ENUM: {
                int e = f->from(sv);
                if (e < 0 && !(f->flags & LEVY_F_REQ) && (lax || !there))
                    e = (int)f->dflt;
                else if (e < 0)
                    field_fail(v, f, name, "is not a known value");
                *OUT(out, f, int) = e;
                break;
            }
            case LEVY_FT_DATE: {
                int32_t *o = OUT(out, f, int32_t);
                if (!sv || levy_tax_date_parse(sv, len, o) != 0)
                    *o = 0;
                break;
            }
            case LEVY_FT_FUNC:
                *OUT(out, f, int) = t == LEVY_IN_FUNCTION;
                break;
            }
            st = there;
            in->pop(in); /* a string read stays alive: the table (or the doc) holds it */
        }
        if (got)
            got[i] = (signed char)st;
    }
}

/* ---- the fields of the request */

static void check_country(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                          const char *s, size_t len)
{
    (void)f;
    levy_tax_addr_country(out, name, s, len, v->p);
}

static void check_state(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                        const char *s, size_t len)
{
    (void)f;
    levy_tax_addr_state(out, name, s, len, v->p);
}

static void check_zip(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                      const char *s, size_t len)
{
    (void)f;
    (void)len;
    levy_tax_addr_zip(out, name, s, v->required, v->p);
}

static void check_customer_type(levy_tax_fields *v, const levy_tax_field *f, void *out,
                                const char *name, const char *s, size_t len)
{
    (void)name;
    (void)len;
    /* the request's type is checked; a stored record's unknown value does not say */
    *OUT(out, f, int) = levy_tax_customer_type_field(s, (f->flags & LEVY_F_LAX) ? NULL : v->p);
}

static const levy_tax_field address_fields[] = {
    {"country", LEVY_FT_STR, .name = ".country", .check = check_country},
    {"state", LEVY_FT_STR, .name = ".state", .check = check_state},
    {"city", LEVY_FT_STR, .at = AT(levy_tax_addr, city), .name = ".city"},
    {"zip_code", LEVY_FT_STR, .name = ".zip_code", .check = check_zip},
    /* address precision: the street line of SST address records (core/tax/boundary.c) */
    {"line1", LEVY_FT_STR, LEVY_F_LAX, .at = AT(levy_tax_addr, line1)},
};

static void read_address(levy_tax_fields *v, const char *name, levy_tax_addr *a, int required)
{
    levy_tax_in *in = v->in;
    memset(a, 0, sizeof *a);
    int t = in->field(in, name);
    if (absent_type(t)) {
        if (required)
            vfail(v, name, "is required");
    } else if (t != LEVY_IN_TABLE) {
        vfail(v, name, "must be an object");
    } else {
        levy_tax_fields av = *v;
        av.prefix = name;
        av.required = required;
        levy_tax_fields_read(&av, address_fields, NFIELDS(address_fields), a, NULL);
    }
    in->pop(in);
}

void levy_tax_read_address(levy_tax_in *in, const char *name, levy_tax_addr *a, int required,
                           levy_tax_problem *p)
{
    levy_tax_fields v;
    levy_tax_fields_init(&v, in, p);
    read_address(&v, name, a, required);
}

static void check_currency(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                           const char *s, size_t len)
{
    (void)f;
    if (s && levy_tax_request_currency(out, s, len) != 0)
        vfail(v, name, "is not a known ISO 4217 currency code");
}

static void check_date(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                       const char *s, size_t len)
{
    levy_tax_request *c = out;
    (void)f;
    if (!s)
        c->date = levy_tax_today();
    else if (levy_tax_date_parse(s, len, &c->date) != 0)
        vfail(v, name, "must be a date YYYY-MM-DD");
}

/* the request body's own fields (the addresses, the customer and the lines below) */
static const levy_tax_field request_fields[] = {
    {"currency", LEVY_FT_STR, .flags = LEVY_F_REQ, .name = "currency",
     .msg = "is required (ISO 4217 code)", .check = check_currency},
    {"date", LEVY_FT_STR, .name = "date", .check = check_date},
    {"marketplace", LEVY_FT_BOOL, .at = AT(levy_tax_request, marketplace), .name = "marketplace"},
};

static const levy_tax_field customer_fields[] = {
    {"id", LEVY_FT_STR, .at = AT(levy_tax_request, customer_id), .name = "customer.id"},
    {"tax_id", LEVY_FT_STR, .flags = LEVY_F_FULL, .at = AT(levy_tax_request, tax_id),
     .name = "customer.tax_id"},
    {"qst_number", LEVY_FT_STR, .flags = LEVY_F_FULL, .at = AT(levy_tax_request, qst_number),
     .name = "customer.qst_number"},
    {"exempt", LEVY_FT_BOOL, .at = AT(levy_tax_request, customer_exempt),
     .name = "customer.exempt"},
    {"type", LEVY_FT_STR, .at = AT(levy_tax_request, customer_type), .name = "customer.type",
     .check = check_customer_type},
};

void levy_tax_request_read_head(levy_tax_request *req, levy_tax_in *in, levy_tax_problem *p)
{
    const levy_rates *rates = req->rates;
    memset(req, 0, sizeof *req);
    req->rates = rates;
    req->exponent = -1;
    levy_tax_fields v;
    levy_tax_fields_init(&v, in, p);
    levy_tax_fields_read(&v, request_fields, NFIELDS(request_fields), req, NULL);
    int t = in->field(in, "customer");
    if (!absent_type(t)) {
        if (t != LEVY_IN_TABLE) {
            vfail(&v, "customer", "must be an object");
        } else {
            const levy_tax_field *cf = customer_fields;
            int n = NFIELDS(customer_fields);
            long long id;
            in->field(in, "id");
            if (in->integer && in->integer(in, &id)) { /* an integer id: its text */
                snprintf(req->customer_idbuf, sizeof req->customer_idbuf, "%lld", id);
                req->customer_id = req->customer_idbuf;
                cf++, n--;
            }
            in->pop(in);
            levy_tax_fields_read(&v, cf, n, req, NULL);
        }
    }
    in->pop(in);
    read_address(&v, "ship_to", &req->ship_to, 1);
    read_address(&v, "ship_from", &req->seller, 0);
}

int levy_tax_request_count_lines(levy_tax_in *in, levy_tax_problem *p)
{
    int t = in->field(in, "lines"), n = 0;
    if (absent_type(t))
        levy_tax_problem_add(p, -1, "lines", "is required (a non-empty array)");
    else if (t != LEVY_IN_TABLE)
        levy_tax_problem_add(p, -1, "lines", "must be an array");
    else
        n = levy_tax_lines_count(in->len(in, 0), p);
    in->pop(in);
    return n;
}

/* a line's amounts (read in this order: levy_tax_check_line takes their outcomes) */
static const levy_tax_field line_fields[] = {
    {"amount", LEVY_FT_DEC, .flags = LEVY_F_REQ | LEVY_F_NEG, .scale = -1,
     .at = AT(levy_tax_line, amount), .name = ".amount", .msg = "is required (a decimal string)",
     .limit = LEVY_TAX_MAX_MINOR},
    {"discount", LEVY_FT_DEC, .scale = -1, .at = AT(levy_tax_line, discount), .name = ".discount",
     .limit = LEVY_TAX_MAX_MINOR},
    {"quantity", LEVY_FT_DEC, .flags = LEVY_F_NEG, .scale = 6, .at = AT(levy_tax_line, qty),
     .name = ".quantity", .dflt = LEVY_TAX_QTY_ONE, .limit = LEVY_TAX_MAX_QTY,
     .limit_text = "1000000000 with 6 decimals"},
};

/* then the rest of the line */
typedef struct line_rest {
    int inclusive, marketplace;
    const char *product_id, *tax_code;
} line_rest;

static const levy_tax_field line_rest_fields[] = {
    {"tax_inclusive", LEVY_FT_BOOL, .at = AT(line_rest, inclusive), .name = ".tax_inclusive"},
    {"product_id", LEVY_FT_STR, .at = AT(line_rest, product_id), .name = ".product_id"},
    {"tax_code", LEVY_FT_STR, .at = AT(line_rest, tax_code), .name = ".tax_code"},
    {"marketplace", LEVY_FT_BOOL, .at = AT(line_rest, marketplace), .name = ".marketplace"},
};

void levy_tax_request_read_lines(levy_tax_request *req, levy_tax_in *in,
                                 levy_tax_product_fn product, void *ud, levy_tax_problem *p)
{
    levy_tax_fields v;
    levy_tax_fields_init(&v, in, p);
    /* the largest amount, as the messages name it: "10000000000.00 USD" */
    char max_amount[64];
    levy_tax_max_amount_text(max_amount, sizeof max_amount, req);
    v.max_amount = max_amount;
    v.exponent = req->exponent >= 0 ? req->exponent : 4;
    in->field(in, "lines");
    for (int i = 0; i < req->nlines; i++) {
        v.line = i;
        levy_tax_line *l = &req->lines[i];
        levy_tax_line_meta *m = &req->meta[i];
        memset(m, 0, sizeof *m);
        l->n = 0;
        l->reason = LEVY_REASON_STANDARD;
        if (in->item(in, i + 1) != LEVY_IN_TABLE) {
            vfail(&v, ".", "must be an object");
            in->pop(in);
            continue;
        }
        /* id: string, or an integer turned into one */
        int t = in->field(in, "id");
        long long id;
        if (t == LEVY_IN_NUMBER && in->integer(in, &id))
            levy_tax_line_id_number(m, id);
        else if (t == LEVY_IN_STRING)
            m->id = in->text(in, &m->idlen);
        else if (absent_type(t))
            levy_tax_line_id_number(m, i + 1); /* its position */
        else
            vfail(&v, ".id", "must be a string");
        in->pop(in);
        /* Ranges (dec.h; docs/rules.md "Ranges"): every amount, the amount after discount and
         * the unit price within LEVY_TAX_MAX_MINOR minor units, the quantity within
         * (0, LEVY_TAX_MAX_QTY]. Checked here so that no later step can overflow (issue 15:
         * 100000.00 / 0.000001 used to wrap to a negative unit price). */
        signed char got[NFIELDS(line_fields)];
        levy_tax_fields_read(&v, line_fields, NFIELDS(line_fields), l, got);
        levy_tax_check_line(req, i, got[0], got[1], got[2], max_amount, p);
        line_rest rest = {0};
        levy_tax_fields_read(&v, line_rest_fields, NFIELDS(line_rest_fields), &rest, NULL);
        l->inclusive = rest.inclusive;
        m->marketplace = rest.marketplace;
        m->tax_code = rest.tax_code;
        if (!m->tax_code && rest.product_id && product)
            m->tax_code = product(ud, rest.product_id);
        if (!m->tax_code)
            m->tax_code = "general";
        in->pop(in);
    }
    in->pop(in);
}

/* ---- levy.tax's options: the stored customer record and the registry's answer, what
 * plugins/api wrote, read as it is (a value of another type is as absent) */
static const levy_tax_field stored_fields[] = {
    {"exempt", LEVY_FT_BOOL, .flags = LEVY_F_LAX, .at = AT(levy_tax_customer_rec, exempt)},
    {"exemption_expires", LEVY_FT_DATE, .flags = LEVY_F_LAX,
     .at = AT(levy_tax_customer_rec, expires)},
    {"tax_id", LEVY_FT_STR, .flags = LEVY_F_LAX | LEVY_F_FULL,
     .at = AT(levy_tax_customer_rec, tax_id)},
    {"customer_type", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_tax_customer_rec, type),
     .check = check_customer_type},
    {"qst_number", LEVY_FT_STR, .flags = LEVY_F_LAX | LEVY_F_FULL,
     .at = AT(levy_tax_customer_rec, qst_number)},
};

static const levy_tax_field registry_fields[] = {
    {"status", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_taxid_registry, status)},
    {"source", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_taxid_registry, source)},
    {"checked_at", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_taxid_registry, checked_at)},
    {"country", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_taxid_registry, country)},
    {"number", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_taxid_registry, number)},
};

/* A certificate's own fields (lax, as the stored record's): one without an id or issue date
 * is skipped. */
static const levy_tax_field cert_fields[] = {
    {"id", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_tax_certificate, id)},
    {"number", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_tax_certificate, number)},
    {"issued", LEVY_FT_DATE, .flags = LEVY_F_LAX, .at = AT(levy_tax_certificate, issued)},
    {"expires", LEVY_FT_DATE, .flags = LEVY_F_LAX, .at = AT(levy_tax_certificate, expires)},
};

void levy_tax_read_registry(levy_tax_in *in, levy_taxid_registry *reg)
{
    levy_tax_problem p;
    levy_tax_fields v;
    p.ndetails = 0;
    levy_tax_fields_init(&v, in, &p);
    levy_tax_fields_read(&v, registry_fields, NFIELDS(registry_fields), reg, NULL);
}

/* certificates = { {id, number, issued, expires, regions = {...}}, ... } (plugins/api/db.lua
 * customer_opts) of the record on top of in. */
static void read_certs(levy_tax_fields *v, levy_tax_customer_rec *r, levy_tax_certificate *certs,
                       int max_certs, const char **pool_regions, int max_pool)
{
    levy_tax_in *in = v->in;
    if (in->field(in, "certificates") != LEVY_IN_TABLE) {
        in->pop(in);
        return;
    }
    long long n = in->len(in, 1);
    int nc = 0, pool = 0;
    for (long long k = 1; k <= n && nc < max_certs; k++) {
        if (in->item(in, k) == LEVY_IN_TABLE) {
            levy_tax_certificate *c = &certs[nc];
            memset(c, 0, sizeof *c);
            levy_tax_fields_read(v, cert_fields, NFIELDS(cert_fields), c, NULL);
            c->regions = pool_regions + pool;
            if (in->field(in, "regions") == LEVY_IN_TABLE) {
                long long nr = in->len(in, 1);
                for (long long q = 1; q <= nr && pool < max_pool; q++) {
                    size_t len;
                    if (in->item(in, q) == LEVY_IN_STRING) {
                        pool_regions[pool++] = in->text(in, &len);
                        c->nregions++;
                    }
                    in->pop(in);
                }
            }
            in->pop(in);
            if (c->id && c->issued)
                nc++;
        }
        in->pop(in);
    }
    in->pop(in);
    r->ncerts = nc;
    r->certs = certs;
}

void levy_tax_read_customer_rec(levy_tax_in *in, levy_tax_customer_rec *r, const char **regions,
                                int max_regions, levy_tax_certificate *certs, int max_certs,
                                const char **cert_regions, int max_cert_regions)
{
    levy_tax_problem p;
    levy_tax_fields v;
    p.ndetails = 0;
    levy_tax_fields_init(&v, in, &p);
    r->found = 1;
    levy_tax_fields_read(&v, stored_fields, NFIELDS(stored_fields), r, NULL);
    if (in->field(in, "exempt_regions") == LEVY_IN_TABLE) {
        long long nr = in->len(in, 0);
        if (nr > max_regions)
            nr = max_regions;
        for (long long k = 1; k <= nr; k++) {
            size_t len;
            regions[k - 1] = in->item(in, k) == LEVY_IN_STRING ? in->text(in, &len) : NULL;
            in->pop(in);
        }
        r->nregions = nr > 0 ? (int)nr : 0;
        r->regions = regions;
    }
    in->pop(in);
    read_certs(&v, r, certs, max_certs, cert_regions, max_cert_regions);
}

void levy_tax_read_opts_records(levy_tax_in *in, levy_tax_request *req, levy_tax_opts_buf *ob)
{
    if (req->customer_id) {
        if (in->field(in, "customers") == LEVY_IN_TABLE) {
            if (in->field_text(in, req->customer_id) == LEVY_IN_TABLE)
                levy_tax_read_customer_rec(in, &req->stored, ob->regions, LEVY_TAX_OPTS_REGIONS,
                                           ob->certs, LEVY_TAX_OPTS_CERTS, ob->cert_regions,
                                           LEVY_TAX_OPTS_CERT_REGIONS);
            in->pop(in); /* customers[id] */
        }
        in->pop(in); /* customers */
    }
    if (in->field(in, "tax_id_registry") == LEVY_IN_TABLE) {
        memset(&ob->reg, 0, sizeof ob->reg);
        levy_tax_read_registry(in, &ob->reg);
        req->tax_id_registry = &ob->reg;
    }
    in->pop(in);
}

void levy_tax_read_opts_seller(levy_tax_in *in, levy_tax_request *req)
{
    if (req->seller.present)
        return;
    int t = in->field(in, "seller");
    in->pop(in);
    if (t != LEVY_IN_TABLE)
        return;
    levy_tax_problem sp;
    sp.ndetails = 0;
    levy_tax_read_address(in, "seller", &req->seller, 0, &sp);
    if (sp.ndetails)
        req->seller.present = 0;
}

int levy_tax_read_opts(levy_tax_in *in, levy_tax_request *req, levy_tax_opts_buf *ob, char *msg,
                       size_t cap)
{
    levy_tax_read_opts_seller(in, req);
    if (levy_tax_read_options(in, req, msg, cap) != 0)
        return -1;
    levy_tax_read_opts_records(in, req, ob);
    return 0;
}

/* ---- a rule's tables: a failure is the rule's fault and raises */

static const levy_tax_field rule_name_fields[] = {
    {"region", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_tax_rule, region)},
    {"sourcing", LEVY_FT_ENUM, .flags = LEVY_F_LAX, .at = AT(levy_tax_rule, sourcing),
     .from = levy_tax_sourcing_from, .dflt = LEVY_SOURCING_DESTINATION},
    {"reverse_charge", LEVY_FT_ENUM, .at = AT(levy_tax_rule, reverse_charge),
     .msg = "rule %s: reverse_charge must be \"b2b_foreign_seller\", \"b2b_simplified_regime\" "
            "or \"b2b_qst_specified\" (docs/rules.md)",
     .from = levy_tax_reverse_charge_from},
    {"calculate", LEVY_FT_FUNC, .at = AT(levy_tax_rule, has_calculate)},
    {"marketplace_law", LEVY_FT_STR, .flags = LEVY_F_LAX, .at = AT(levy_tax_rule, marketplace_law)},
};

static void raise_init(levy_tax_fields *v, levy_tax_in *in, levy_tax_raise_fn raise, void *ud)
{
    levy_tax_fields_init(v, in, NULL);
    v->raise = raise;
    v->ud = ud;
}

void levy_tax_read_rule_names(levy_tax_in *in, levy_tax_rule *r, levy_tax_raise_fn raise, void *ud)
{
    levy_tax_fields v;
    raise_init(&v, in, raise, ud);
    levy_tax_fields_read(&v, rule_name_fields, 1, r, NULL);
    if (!r->region)
        r->region = "";
    v.label = r->region;
    levy_tax_fields_read(&v, rule_name_fields + 1, NFIELDS(rule_name_fields) - 1, r, NULL);
}

/* A tax of ctx.lines[i].taxes as calculate(ctx) hands it back. */
typedef struct ctx_tax {
    const char *name, *title;
    const char *code, *note; /* authority_code, jurisdiction_note: NULL when absent or null */
    int level, type;
    int64_t rate, fraction, unit_from, unit_to;
} ctx_tax;

/* A rule's authority_code (issue 19, law26: a jurisdiction the rule adds, which the
 * resolution does not hold, names its code at its authority, e.g. Texas's single local use
 * tax rate, remitted to the Comptroller: "48"): 1 to 16 characters, A-Z, 0-9 or '-'. */
static void ctx_code_check(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                           const char *s, size_t len)
{
    int ok = s == NULL || (len >= 1 && len <= 16);
    for (size_t i = 0; ok && s && i < len; i++)
        ok = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-';
    if (!ok)
        field_fail(v, f, name, f->msg);
    *OUT(out, f, const char *) = s;
}

/* A rule's jurisdiction_note: a non-empty string of at most 512 bytes. */
static void ctx_note_check(levy_tax_fields *v, const levy_tax_field *f, void *out, const char *name,
                           const char *s, size_t len)
{
    if (s && (len == 0 || len > 512 || strlen(s) != len))
        field_fail(v, f, name, f->msg);
    *OUT(out, f, const char *) = s;
}

static const levy_tax_field ctx_tax_fields[] = {
    {"jurisdiction", LEVY_FT_STR, .flags = LEVY_F_REQ, .at = AT(ctx_tax, name),
     .msg = "%s.jurisdiction must be a string"},
    {"name", LEVY_FT_STR, .at = AT(ctx_tax, title), .msg = "%s.name must be a string"},
    {"authority_code", LEVY_FT_STR, .at = AT(ctx_tax, code), .check = ctx_code_check,
     .msg = "%s.authority_code must be a string of 1 to 16 characters A-Z, 0-9 or '-'"},
    {"jurisdiction_note", LEVY_FT_STR, .at = AT(ctx_tax, note), .check = ctx_note_check,
     .msg = "%s.jurisdiction_note must be a string of 1 to 512 bytes"},
    {"level", LEVY_FT_ENUM, .flags = LEVY_F_REQ, .at = AT(ctx_tax, level),
     .msg = "%s: bad level or type", .from = levy_tax_level_from, .dflt = -1},
    {"type", LEVY_FT_ENUM, .flags = LEVY_F_REQ, .at = AT(ctx_tax, type),
     .msg = "%s: bad level or type", .from = levy_tax_type_from, .dflt = -1},
    {"percentage", LEVY_FT_DEC, .flags = LEVY_F_REQ, .scale = 6, .at = AT(ctx_tax, rate),
     .msg = "rule taxability: taxes[].percentage must be a decimal string"},
    {"fraction", LEVY_FT_DEC, .scale = 8, .at = AT(ctx_tax, fraction),
     .msg = "rule taxability: taxes[].fraction must be a decimal string",
     .dflt = LEVY_TAX_RATE_ONE},
    {"unit_from", LEVY_FT_DEC, .scale = -1, .at = AT(ctx_tax, unit_from),
     .msg = "rule taxability: unit_from must be a decimal string", .dflt = -1},
    {"unit_to", LEVY_FT_DEC, .scale = -1, .at = AT(ctx_tax, unit_to),
     .msg = "rule taxability: unit_to must be a decimal string", .dflt = -1},
};

#define RAISEF(v, ...)                                                                             \
    do {                                                                                           \
        char m_[320];                                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                      \
        (v)->raise((v)->ud, m_);                                                                   \
    } while (0)

void levy_tax_read_ctx_lines(levy_tax_in *in, levy_tax_request *req, int g, levy_tax_raise_fn raise,
                             void *ud)
{
    levy_tax_fields v;
    raise_init(&v, in, raise, ud);
    if (in->field(in, "lines") != LEVY_IN_TABLE)
        RAISEF(&v, "calculate(ctx): ctx.lines must stay a table");
    for (int i = 0; i < req->nlines; i++) {
        levy_tax_line *l = &req->lines[i];
        if (in->item(in, i + 1) != LEVY_IN_TABLE)
            RAISEF(&v, "calculate(ctx): ctx.lines[%d] must stay a table", i + 1);
        /* ctx.lines[i].reverse_charge is the line's: true when another group's tax was
         * reverse-charged (Canada: the GST/HST by the simplified regime, the QST by the
         * specified system, each on its own). It zeroes this group's taxes only when this
         * group's were, or when the rule turned it on (issue 19) */
        int rc_line = l->reason == LEVY_REASON_REVERSE_CHARGE, rc_group = 0;
        for (int e = 0; e < l->n; e++)
            rc_group |= l->e[e].group == g && l->e[e].zero;
        if (in->field(in, "reason") == LEVY_IN_STRING) {
            size_t len;
            const char *s = in->text(in, &len);
            int r = levy_tax_reason_from(s);
            if (r < 0)
                RAISEF(&v, "calculate(ctx): unknown reason '%s'", s);
            l->reason = r;
        }
        in->pop(in);
        int t = in->field(in, "reverse_charge"); /* Lua's truth */
        int rcg = t == LEVY_IN_NIL ? 0 : t == LEVY_IN_BOOLEAN ? in->truth(in) : 1;
        in->pop(in);
        /* drop this group's entries and re-read them */
        for (int e = l->n - 1; e >= 0; e--)
            if (l->e[e].group == g)
                levy_tax_line_remove(l, e);
        if (in->field(in, "taxes") != LEVY_IN_TABLE)
            RAISEF(&v, "calculate(ctx): ctx.lines[%d].taxes must be a table", i + 1);
        long long nt = in->len(in, 1); /* raw: a rule's __len never runs here */
        for (long long k = 1; k <= nt; k++) {
            if (in->item(in, k) != LEVY_IN_TABLE)
                RAISEF(&v, "calculate(ctx): taxes[%d] must be a table", (int)k);
            if (l->n >= LEVY_TAX_MAX_ENTRIES)
                RAISEF(&v, "calculate(ctx): more than %d taxes on a line", LEVY_TAX_MAX_ENTRIES);
            levy_tax_entry *en = &l->e[l->n];
            memset(en, 0, sizeof *en);
            en->group = (uint8_t)g;
            levy_tax_fields tv = v;
            tv.label = "calculate(ctx): taxes[%d]";
            tv.index = (int)k;
            tv.exponent = req->exponent;
            ctx_tax ct;
            levy_tax_fields_read(&tv, ctx_tax_fields, NFIELDS(ctx_tax_fields), &ct, NULL);
            en->name = ct.name;   /* kept alive by ctx (the caller's) */
            en->title = ct.title; /* NULL when absent (issue 19: a local tax's own name) */
            en->code = ct.code;   /* the rule's, for a jurisdiction it adds: restore_codes */
            en->note = ct.note;
            en->level = (uint8_t)ct.level;
            en->type = (uint8_t)ct.type;
            en->rate = ct.rate;
            en->fraction = ct.fraction;
            en->unit_from = ct.unit_from;
            en->unit_to = ct.unit_to;
            char why[128];
            if (levy_tax_entry_check(en, (int)k, why, sizeof why) != 0)
                RAISEF(&v, "%s", why); /* the rule's ranges (calc.h) */
            en->zero = (uint8_t)((rcg && (rc_group || !rc_line)) ||
                                 l->reason == LEVY_REASON_CUSTOMER_EXEMPT);
            l->n++;
            in->pop(in);
        }
        if (rcg)
            l->reason = LEVY_REASON_REVERSE_CHARGE;
        in->pop(in); /* taxes */
        in->pop(in); /* the line */
    }
    in->pop(in); /* lines */
}

void levy_tax_read_ctx_notes(levy_tax_in *in, levy_tax_decision *d, const char *file,
                             levy_tax_raise_fn raise, void *ud)
{
    levy_tax_fields v;
    raise_init(&v, in, raise, ud);
    int t = in->field(in, "notes");
    if (t == LEVY_IN_NIL) {
        in->pop(in);
        return;
    }
    if (t != LEVY_IN_TABLE)
        RAISEF(&v, LEVY_TAX_CTX_NOTES_PLAIN, file ? file : "rule");
    long long n = in->len(in, 1);
    for (long long k = 1; k <= n; k++) {
        if (in->item(in, k) != LEVY_IN_TABLE)
            RAISEF(&v, "calculate(ctx): ctx.notes[%d] must be a table", (int)k);
        size_t len = 0;
        char code[LEVY_TAX_NOTE_CODE_MAX]; /* a copy: the text lasts until it is popped */
        const char *s = in->field(in, "code") == LEVY_IN_STRING ? in->text(in, &len) : NULL;
        size_t cl = s ? strnlen(s, sizeof code) : sizeof code; /* as C reads it: to a NUL */
        int ok = cl < sizeof code;
        if (ok) {
            memcpy(code, s, cl);
            code[cl] = '\0';
        }
        in->pop(in);
        s = in->field(in, "message") == LEVY_IN_STRING ? in->text(in, &len) : NULL;
        if (!ok || !s || levy_tax_decision_add_note(d, code, s) != 0)
            RAISEF(&v,
                   "calculate(ctx): ctx.notes[%d] needs code ([a-z0-9_], at most %d bytes) "
                   "and message (a string); at most %d notes",
                   (int)k, LEVY_TAX_NOTE_CODE_MAX - 1, LEVY_TAX_RULE_NOTES);
        in->pop(in); /* message */
        in->pop(in); /* notes[k] */
    }
    in->pop(in); /* notes */
}

/* ---- levy.tax's options: the switches */

/* Lua's truth of the value on top: nil and false are false. */
static int truth_of(levy_tax_in *in, int t)
{
    return t == LEVY_IN_NIL ? 0 : t == LEVY_IN_BOOLEAN ? in->truth(in) : 1;
}

/* A seller's registration setting of two words, opts[key]: nil or `other` (the default) leave
 * *flag alone, `word` sets it; anything else is the caller's error, naming both words. */
static int read_regime(levy_tax_in *in, const char *key, const char *word, const char *other,
                       int *flag, char *msg, size_t cap)
{
    size_t len;
    int t = in->field(in, key);
    if (t != LEVY_IN_NIL) {
        const char *reg = t == LEVY_IN_STRING ? in->text(in, &len) : NULL;
        if (reg && strcmp(reg, word) == 0) {
            *flag = 1;
        } else if (!reg || strcmp(reg, other) != 0) {
            in->pop(in);
            snprintf(msg, cap, "levy.tax.calculate: opts.%s must be \"%s\" or \"%s\"", key, word,
                     other);
            return -1;
        }
    }
    in->pop(in);
    return 0;
}

int levy_tax_read_options(levy_tax_in *in, levy_tax_request *req, char *msg, size_t cap)
{
    size_t len;
    int t;
    /* the seller's GST/HST regime in Canada (setting ca_gst_regime, docs/rules.md section 2):
     * "simplified" or "normal" (the default); the seller's QST registration (setting
     * qc_qst_regime): "specified" or "regular" (the default) */
    if (read_regime(in, "ca_gst_regime", "simplified", "normal", &req->simplified_regime, msg,
                    cap) != 0 ||
        read_regime(in, "qc_qst_regime", "specified", "regular", &req->qst_specified, msg, cap) !=
            0 ||
        /* the seller below the EU's EUR 10,000 cross-border threshold (setting
         * eu_below_threshold, docs/rules.md section 2 "Place of supply"): "yes" or "no" */
        read_regime(in, "eu_below_threshold", "yes", "no", &req->below_threshold, msg, cap) != 0 ||
        /* the seller lets customers collect the goods (setting pickup_offered, docs/rules.md
         * section 2 "Shipping"): "yes" or "no" (the default: it only ships) */
        read_regime(in, "pickup_offered", "yes", "no", &req->pickup_offered, msg, cap) != 0)
        return -1;
    /* a remote seller's elections of a state's simplified collection (settings us_al_ssut,
     * us_tx_single_local; docs/rules.md section 2, "Remote sellers' flat-rate options") */
    for (int i = 0; i < LEVY_TAX_NELECTIONS; i++) {
        int on = 0;
        if (read_regime(in, levy_tax_election_name(i), "yes", "no", &on, msg, cap) != 0)
            return -1;
        if (on)
            req->elections |= 1u << i;
    }
    if (in->field(in, "rounding") == LEVY_IN_STRING && strcmp(in->text(in, &len), "document") == 0)
        req->document_rounding = 1;
    in->pop(in);
    /* the org's default customer type (settings.default_customer_type, plugins/api) */
    t = in->field(in, "customer_type");
    req->org_customer_type = levy_tax_customer_type_field(
        t == LEVY_IN_STRING || t == LEVY_IN_NUMBER ? in->text(in, &len) : NULL, NULL);
    in->pop(in);
    return 0;
}

int levy_tax_read_region_on(levy_tax_in *in, const char *code, int32_t date)
{
    int on = 0;
    int all = truth_of(in, in->field(in, "all_regions"));
    in->pop(in);
    if (all)
        return 1;
    if (in->field(in, "regions") == LEVY_IN_TABLE) {
        if (in->field_text(in, code) == LEVY_IN_TABLE) {
            int sub = truth_of(in, in->field(in, "subscribed"));
            in->pop(in);
            int t = in->field(in, "tax_calculation");
            int calc = t == LEVY_IN_NIL ? -1 : truth_of(in, t);
            in->pop(in);
            size_t len = 0;
            const char *from =
                in->field(in, "effective_from") == LEVY_IN_STRING ? in->text(in, &len) : NULL;
            on = levy_tax_subscription_on(sub, calc, from, len, date);
            in->pop(in);
        }
        in->pop(in); /* regions[code] */
    }
    in->pop(in); /* regions */
    return on;
}
