/* levy.tax's other answers, written once to a levy_tax_out reader (tax/info.h). */
#include "tax/info.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tax/ctx.h"
#include "tax/dec.h"
#include "tax/request.h"

/* `"k":"v"` (first: the object's first key) */
static int put_str(levy_tax_out *o, const char *k, const char *v, int first)
{
    o->key(o, k, first);
    return o->str(o, v, LEVY_TAX_CSTR);
}

/* The members of a record, written in this order (keys in byte order), as the binding's field
 * reader reads them: a string (NULL: left out), a char array, a number. */
enum {
    OF_STR,   /* const char *at */
    OF_CHARS, /* char at[] (OF_OPT: "" left out) */
    OF_LONG   /* long at (OF_OPT: a negative one left out) */
};
#define OF_OPT 1

typedef struct out_field {
    const char *key;
    unsigned char type, flags;
    unsigned short at; /* offsetof the member */
} out_field;

/* The member f of the record at rec into an open object (*first: none written yet; cleared
 * when it is written). Returns -1 when o refused a string. */
static int put_member(levy_tax_out *o, const void *rec, const out_field *f, int *first)
{
    const char *at = (const char *)rec + f->at;
    if (f->type == OF_LONG) {
        long v = *(const long *)at;
        if (v < 0 && (f->flags & OF_OPT))
            return 0;
        o->key(o, f->key, *first);
        o->num(o, (long long)v);
        *first = 0;
        return 0;
    }
    const char *v = f->type == OF_STR ? *(const char *const *)at : at;
    if (!v || (!v[0] && (f->flags & OF_OPT)))
        return 0;
    int bad = put_str(o, f->key, v, *first);
    *first = 0;
    return bad;
}

/* An object of the n members fs of the record at rec. */
static int put_record(levy_tax_out *o, const void *rec, const out_field *fs, int n)
{
    int bad = 0, first = 1;
    o->open(o, 0, n);
    for (int i = 0; i < n; i++)
        bad |= put_member(o, rec, &fs[i], &first);
    o->close(o, 0);
    return bad;
}

/* An array of the n records of size at rec, each an object of fs. */
static int put_records(levy_tax_out *o, const void *rec, size_t size, int n, const out_field *fs,
                       int nf)
{
    int bad = 0;
    o->open(o, 1, n);
    for (int i = 0; i < n; i++)
        bad |= put_record(o, (const char *)rec + size * (size_t)i, fs, nf);
    o->close(o, 1);
    return bad ? -1 : 0;
}

#define OF(type, key, t, flags, member)                                                            \
    {                                                                                              \
        key, t, flags, (unsigned short)offsetof(type, member)                                      \
    }

static int by_code(const void *a, const void *b)
{
    return strcmp(((const levy_tax_region_info *)a)->code, ((const levy_tax_region_info *)b)->code);
}

int levy_tax_regions_write(levy_tax_out *o, levy_tax_region_info *r, int n)
{
    int bad = 0;
    if (n > 1)
        qsort(r, (size_t)n, sizeof *r, by_code);
    o->open(o, 1, n);
    for (int i = 0; i < n; i++) {
        o->open(o, 0, 5);
        bad |= put_str(o, "code", r[i].code, 1);
        o->key(o, "country", 0);
        if (r[i].country) {
            bad |= o->str(o, r[i].country, LEVY_TAX_CSTR);
        } else { /* the code's country: "US" of "US-TX" */
            size_t len = strlen(r[i].code);
            bad |= o->str(o, r[i].code, len < 2 ? len : 2);
        }
        if (r[i].name)
            bad |= put_str(o, "name", r[i].name, 0);
        if (r[i].rule)
            bad |= put_str(o, "rule", r[i].rule, 0);
        if (r[i].tax_type)
            bad |= put_str(o, "tax_type", r[i].tax_type, 0);
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad ? -1 : 0;
}

int levy_tax_resolution_write(levy_tax_out *o, const levy_rates *rates,
                              const levy_tax_resolution *res)
{
    char t[512];
    int bad = 0;
    o->open(o, 0, 6);
    if (res->nkeys) { /* the rate keys of a VAT country: {standard = "20.00", ...} */
        o->key(o, "rates", 1);
        o->open(o, 0, res->nkeys);
        for (int k = 0; k < res->nkeys; k++) {
            o->key(o, res->key[k], (k == 0) | LEVY_TAX_KEY_TEXT);
            o->str(o, t, levy_tax_fmt_percent(t, res->key_rate[k]));
        }
        o->close(o, 0);
    }
    levy_rates_describe(rates, res, t, sizeof t);
    o->key(o, "rates_source", !res->nkeys);
    bad |= o->str(o, t, strlen(t));
    bad |= put_str(o, "region", res->region, 0);
    o->key(o, "regions", 0);
    o->open(o, 1, res->ngroups);
    for (int g = 0; g < res->ngroups; g++)
        bad |= o->str(o, res->group_region[g], strlen(res->group_region[g]));
    o->close(o, 1);
    o->key(o, "taxes", 0);
    o->open(o, 1, res->n);
    for (int i = 0; i < res->n; i++) {
        const levy_tax_entry *e = &res->e[i];
        bad |= levy_tax_entry_head_write(o, e, 8);
        o->key(o, "region", 0);
        bad |= o->str(o, res->group_region[e->group], strlen(res->group_region[e->group]));
        o->close(o, 0);
    }
    o->close(o, 1);
    if (res->territory)
        bad |= levy_tax_territory_write(o, res->territory);
    o->close(o, 0);
    return bad ? -1 : 0;
}

static const out_field table_fields[] = {
    OF(levy_rates_table, "path", OF_STR, 0, path),
    OF(levy_rates_table, "rows", OF_LONG, 0, rows),
    OF(levy_rates_table, "source", OF_STR, 0, source),
    OF(levy_rates_table, "vintage", OF_STR, 0, vintage),
};

int levy_tax_rates_info_write(levy_tax_out *o, const levy_rates *rates)
{
    int bad = 0, n = rates ? levy_rates_ntables(rates) : 0;
    o->open(o, 1, n);
    for (int i = 0; i < n; i++)
        bad |= put_record(o, levy_rates_table_at(rates, i), table_fields,
                          (int)(sizeof table_fields / sizeof table_fields[0]));
    o->close(o, 1);
    return bad ? -1 : 0;
}

int levy_tax_rates_table_members_write(levy_tax_out *o, const levy_rates *rates, int i,
                                       const char *const *keys, int nkeys, int first)
{
    const levy_rates_table *t = rates ? levy_rates_table_at(rates, i) : NULL;
    if (!t)
        return -1;
    int bad = 0;
    for (int k = 0; k < nkeys; k++) {
        const out_field *f = NULL;
        for (size_t j = 0; j < sizeof table_fields / sizeof table_fields[0]; j++)
            if (strcmp(table_fields[j].key, keys[k]) == 0)
                f = &table_fields[j];
        if (!f)
            return -1;
        bad |= put_member(o, t, f, &first);
    }
    return bad ? -1 : 0;
}

/* combine and transactions_threshold only for a state with a transaction count (combine is ""
 * and the count -1 without one: core/tax/nexus.c) */
static const out_field nexus_fields[] = {
    OF(levy_nexus_row, "combine", OF_CHARS, OF_OPT, combine),
    OF(levy_nexus_row, "effective_from", OF_CHARS, OF_OPT, effective_from),
    OF(levy_nexus_row, "marketplace", OF_CHARS, 0, marketplace),
    OF(levy_nexus_row, "marketplace_source", OF_STR, 0, marketplace_source),
    OF(levy_nexus_row, "period", OF_CHARS, 0, period),
    OF(levy_nexus_row, "sales_threshold", OF_CHARS, 0, sales),
    OF(levy_nexus_row, "source", OF_STR, 0, source),
    OF(levy_nexus_row, "state", OF_CHARS, 0, state),
    OF(levy_nexus_row, "transactions_threshold", OF_LONG, OF_OPT, transactions),
};

int levy_tax_nexus_write(levy_tax_out *o, const levy_nexus *nx)
{
    return put_records(o, nx->rows, sizeof *nx->rows, (int)nx->n, nexus_fields,
                       (int)(sizeof nexus_fields / sizeof nexus_fields[0]));
}

static const out_field foreign_fields[] = {
    OF(levy_foreign_row, "country", OF_CHARS, 0, country),
    OF(levy_foreign_row, "currency", OF_CHARS, 0, currency),
    OF(levy_foreign_row, "effective_from", OF_CHARS, OF_OPT, effective_from),
    OF(levy_foreign_row, "period", OF_CHARS, 0, period),
    OF(levy_foreign_row, "scope", OF_CHARS, 0, scope),
    OF(levy_foreign_row, "source", OF_STR, 0, source),
    OF(levy_foreign_row, "threshold", OF_CHARS, 0, threshold),
};

int levy_tax_foreign_write(levy_tax_out *o, const levy_foreign *t)
{
    return put_records(o, t->rows, sizeof *t->rows, (int)t->n, foreign_fields,
                       (int)(sizeof foreign_fields / sizeof foreign_fields[0]));
}

/* parent: absent for the ten roots */
static const out_field code_fields[] = {
    OF(levy_tax_code_info, "code", OF_STR, 0, code),
    OF(levy_tax_code_info, "description", OF_STR, 0, description),
    OF(levy_tax_code_info, "name", OF_STR, 0, name),
    OF(levy_tax_code_info, "parent", OF_STR, 0, parent),
};

int levy_tax_codes_write(levy_tax_out *o)
{
    return put_records(o, levy_tax_codes, sizeof *levy_tax_codes, levy_tax_ncodes, code_fields,
                       (int)(sizeof code_fields / sizeof code_fields[0]));
}

static const out_field detail_fields[] = {
    OF(levy_tax_detail, "field", OF_CHARS, 0, field),
    OF(levy_tax_detail, "message", OF_CHARS, 0, message),
};

int levy_tax_problem_write(levy_tax_out *o, const levy_tax_problem *p)
{
    int bad = 0;
    o->open(o, 0, 4);
    bad |= put_str(o, "code", p->code, 1);
    if (p->ndetails) {
        o->key(o, "details", 0);
        bad |= put_records(o, p->details, sizeof *p->details, p->ndetails, detail_fields, 2);
    }
    bad |= put_str(o, "message", p->message, 0);
    o->key(o, "status", 0);
    o->num(o, levy_tax_error_status(p->error));
    o->close(o, 0);
    return bad ? -1 : 0;
}

int levy_tax_resolve_in(const levy_rates *rates, levy_tax_in *in, const char *date, size_t len,
                        levy_tax_resolution *res, levy_tax_problem *p)
{
    levy_tax_problem_clear(p);
    levy_tax_addr a;
    levy_tax_read_address(in, "address", &a, 1, p);
    int32_t day = 0;
    if (!date)
        day = levy_tax_today();
    else if (levy_tax_date_parse(date, len, &day) != 0)
        levy_tax_problem_add(p, -1, "date", "must be a date YYYY-MM-DD");
    if (p->ndetails) {
        levy_tax_problem_set(p, LEVY_TAX_ERR_VALIDATION, NULL, "invalid address");
        return -1;
    }
    levy_tax_address ta = {a.country, a.state[0] ? a.state : NULL, a.city, a.zip};
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_resolve(rates, &ta, day, res, &err) != LEVY_OK) {
        levy_tax_problem_set(p, LEVY_TAX_ERR_ADDRESS, err.code, err.message);
        return -1;
    }
    return 0;
}
