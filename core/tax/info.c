/* levy.tax's other answers, written once to a levy_tax_out reader (tax/info.h). */
#include "tax/info.h"

#include <stdlib.h>
#include <string.h>

#include "tax/ctx.h"
#include "tax/dec.h"

/* `"k":"v"` (first: the object's first key) */
static int put_str(levy_tax_out *o, const char *k, const char *v, int first)
{
    o->key(o, k, first);
    return o->str(o, v, LEVY_TAX_CSTR);
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

int levy_tax_rates_info_write(levy_tax_out *o, const levy_rates *rates)
{
    int bad = 0, n = rates ? levy_rates_ntables(rates) : 0;
    o->open(o, 1, n);
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(rates, i);
        o->open(o, 0, 4);
        bad |= put_str(o, "path", t->path, 1);
        o->key(o, "rows", 0);
        o->num(o, (long long)t->rows);
        bad |= put_str(o, "source", t->source, 0);
        bad |= put_str(o, "vintage", t->vintage, 0);
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad ? -1 : 0;
}

int levy_tax_nexus_write(levy_tax_out *o, const levy_nexus *nx)
{
    int bad = 0;
    o->open(o, 1, (int)nx->n);
    for (size_t i = 0; i < nx->n; i++) {
        const levy_nexus_row *r = &nx->rows[i];
        int counted = r->transactions >= 0; /* a transaction count: combined by and / or */
        o->open(o, 0, 9);
        if (counted)
            bad |= put_str(o, "combine", r->combine, 1);
        if (r->effective_from[0])
            bad |= put_str(o, "effective_from", r->effective_from, !counted);
        bad |= put_str(o, "marketplace", r->marketplace, !counted && !r->effective_from[0]);
        if (r->marketplace_source)
            bad |= put_str(o, "marketplace_source", r->marketplace_source, 0);
        bad |= put_str(o, "period", r->period, 0);
        bad |= put_str(o, "sales_threshold", r->sales, 0);
        bad |= put_str(o, "source", r->source, 0);
        bad |= put_str(o, "state", r->state, 0);
        if (counted) {
            o->key(o, "transactions_threshold", 0);
            o->num(o, (long long)r->transactions);
        }
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad ? -1 : 0;
}

int levy_tax_codes_write(levy_tax_out *o)
{
    int bad = 0;
    o->open(o, 1, levy_tax_ncodes);
    for (int i = 0; i < levy_tax_ncodes; i++) {
        const levy_tax_code_info *c = &levy_tax_codes[i];
        o->open(o, 0, 4);
        bad |= put_str(o, "code", c->code, 1);
        bad |= put_str(o, "description", c->description, 0);
        bad |= put_str(o, "name", c->name, 0);
        if (c->parent) /* absent for the ten roots */
            bad |= put_str(o, "parent", c->parent, 0);
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad ? -1 : 0;
}

int levy_tax_problem_write(levy_tax_out *o, const levy_tax_problem *p)
{
    int bad = 0;
    o->open(o, 0, 4);
    bad |= put_str(o, "code", p->code, 1);
    if (p->ndetails) {
        o->key(o, "details", 0);
        o->open(o, 1, p->ndetails);
        for (int i = 0; i < p->ndetails; i++) {
            o->open(o, 0, 2);
            bad |= put_str(o, "field", p->details[i].field, 1);
            bad |= put_str(o, "message", p->details[i].message, 0);
            o->close(o, 0);
        }
        o->close(o, 1);
    }
    bad |= put_str(o, "message", p->message, 0);
    o->key(o, "status", 0);
    o->num(o, levy_tax_error_status(p->error));
    o->close(o, 0);
    return bad ? -1 : 0;
}
