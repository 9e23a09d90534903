/* ctx for a rule's calculate(ctx) (tax/ctx.h). */
#include "tax/ctx.h"

#include <string.h>

#include "tax/dec.h"
#include "tax/engine.h"

/* `,"k":"v"` (first: no comma, the object's first key) */
static int put_str(levy_tax_out *o, const char *k, const char *v, int first)
{
    o->key(o, k, first);
    return o->str(o, v, LEVY_TAX_CSTR);
}

static void put_dec(levy_tax_out *o, const char *k, int64_t v, int scale)
{
    char t[48];
    o->key(o, k, 0);
    o->str(o, t, levy_tax_fmt_scaled(t, v, scale));
}

static int put_address(levy_tax_out *o, const char *k, const levy_tax_addr *a)
{
    int bad = 0;
    o->key(o, k, 0);
    o->open(o, 0, 4);
    bad |= put_str(o, "country", a->country, 1);
    if (a->state[0])
        bad |= put_str(o, "state", a->state, 0);
    if (a->city)
        bad |= put_str(o, "city", a->city, 0);
    if (a->zip)
        bad |= put_str(o, "zip_code", a->zip, 0);
    o->close(o, 0);
    return bad;
}

int levy_tax_entry_head_write(levy_tax_out *o, const levy_tax_entry *en, int n)
{
    char t[256];
    int bad = 0;
    o->open(o, 0, n);
    size_t a = strlen(en->name), s = en->suffix ? strlen(en->suffix) : 0;
    o->key(o, "jurisdiction", 1);
    if (a + s < sizeof t) {
        memcpy(t, en->name, a);
        if (s)
            memcpy(t + a, en->suffix, s);
        bad |= o->str(o, t, a + s);
    } else {
        bad |= 1 | o->str(o, en->name, a);
    }
    bad |= put_str(o, "level", levy_tax_level_name(en->level), 0);
    bad |= put_str(o, "type", levy_tax_type_name(en->type), 0);
    o->key(o, "percentage", 0);
    o->str(o, t, levy_tax_fmt_percent(t, en->rate));
    if (en->title)
        bad |= put_str(o, "name", en->title, 0);
    o->key(o, "authority_code", 0);
    if (en->code)
        bad |= o->str(o, en->code, LEVY_TAX_CSTR);
    else
        o->null(o);
    if (en->note)
        bad |= put_str(o, "jurisdiction_note", en->note, 0);
    return bad;
}

/* A tax of group g on a line: its head, share and band. */
static int put_tax(levy_tax_out *o, const levy_tax_entry *en, int exponent)
{
    char t[48];
    int bad = levy_tax_entry_head_write(o, en, 10);
    o->key(o, "fraction", 0);
    o->str(o, t, levy_tax_fmt_fraction(t, en->fraction));
    if (en->unit_from >= 0)
        put_dec(o, "unit_from", en->unit_from, exponent);
    if (en->unit_to >= 0)
        put_dec(o, "unit_to", en->unit_to, exponent);
    o->close(o, 0);
    return bad;
}

/* Issue 19, split ZIPs (scripts/_lib/local_tax.lua): where the SST boundary records list the
 * ZIP's jurisdiction sets without matching the address, each set {percentage, jurisdictions
 * [{jurisdiction, authority_code?}]}. */
/* 1 when the candidates are a partial-ZIP district's inside / outside sets (issue 19,
 * core/tax/rates.c district_candidates), or a plain-named region's two special rates
 * (special_candidates): they say where a district lies within one place, not which places the
 * ZIP spans, so a rule's zip_candidates (scripts/_lib/local_tax.lua: is the ZIP inside a
 * city?) does not get them and its own lists decide. */
static int district_sets(const levy_tax_resolution *res)
{
    for (int c = 0; c < res->ncand; c++)
        if (res->cand[c].district ||
            (res->cand[c].area_kind && strcmp(res->cand[c].area_kind, "higher_special") == 0))
            return 1;
    return 0;
}

static int put_candidates(levy_tax_out *o, const levy_tax_resolution *res)
{
    char t[48];
    int bad = 0;
    o->key(o, "zip_candidates", 0);
    o->open(o, 1, res->ncand);
    for (int c = 0; c < res->ncand; c++) {
        const levy_tax_candidate *cd = &res->cand[c];
        o->open(o, 0, 2);
        o->key(o, "percentage", 1);
        o->str(o, t, levy_tax_fmt_percent(t, cd->rate));
        o->key(o, "jurisdictions", 0);
        o->open(o, 1, cd->nj);
        for (int k = 0; k < cd->nj; k++) {
            o->open(o, 0, 2);
            bad |= put_str(o, "jurisdiction", cd->jur[k], 1);
            if (cd->code[k])
                bad |= put_str(o, "authority_code", cd->code[k], 0);
            o->close(o, 0);
        }
        o->close(o, 1);
        o->close(o, 0);
    }
    o->close(o, 1);
    return bad;
}

int levy_tax_ctx_write(levy_tax_out *o, const levy_tax_request *req, const levy_tax_decision *d,
                       int g, const char *date)
{
    int bad = 0, ex = req->exponent;
    char t[96];
    o->open(o, 0, 11);
    o->key(o, "region", 1);
    bad |= o->str(o, d->res.group_region[g], strlen(d->res.group_region[g]));
    bad |= put_str(o, "date", date, 0);
    bad |= put_str(o, "currency", req->currency, 0);
    bad |= put_address(o, "ship_to", &req->ship_to);
    if (req->seller.present)
        bad |= put_address(o, "seller", &req->seller);
    if (req->elections) {
        /* the seller's elections (issue 19, law24): { us_al_ssut = true, ... } */
        o->key(o, "seller_elections", 0);
        o->open(o, 0, LEVY_TAX_NELECTIONS);
        int first = 1;
        for (int i = 0; i < LEVY_TAX_NELECTIONS; i++)
            if (req->elections >> i & 1u) {
                o->key(o, levy_tax_election_name(i), first);
                o->boolean(o, 1);
                first = 0;
            }
        o->close(o, 0);
    }
    o->key(o, "customer", 0);
    o->open(o, 0, 4);
    if (req->customer_id)
        bad |= put_str(o, "id", req->customer_id, 1);
    if (d->tax_id)
        bad |= put_str(o, "tax_id", d->tax_id, !req->customer_id);
    o->key(o, "exempt", !req->customer_id && !d->tax_id);
    o->boolean(o, d->customer_exempt);
    bad |= put_str(o, "type", levy_tax_customer_type_name(d->customer_type), 0);
    o->close(o, 0);
    o->key(o, "lines", 0);
    o->open(o, 1, req->nlines);
    for (int i = 0; i < req->nlines; i++) {
        const levy_tax_line *l = &req->lines[i];
        o->open(o, 0, 13);
        o->key(o, "id", 1);
        bad |= o->str(o, req->meta[i].id, req->meta[i].idlen);
        o->key(o, "index", 0);
        o->num(o, i + 1);
        bad |= put_str(o, "tax_code", req->meta[i].tax_code, 0);
        /* its family: the root of the product taxonomy (issue 19, core/tax/codes.c) */
        bad |= put_str(o, "tax_code_parent", levy_tax_code_root(req->meta[i].tax_code), 0);
        put_dec(o, "amount", l->amount - l->discount, ex);
        o->key(o, "quantity", 0);
        o->str(o, t, levy_tax_fmt_quantity(t, l->qty));
        o->key(o, "unit_amount", 0);
        o->str(o, t, levy_tax_fmt_unit_amount(t, l, ex));
        o->key(o, "tax_inclusive", 0);
        o->boolean(o, l->inclusive);
        bad |= put_str(o, "reason", levy_tax_reason_name(l->reason), 0);
        o->key(o, "reverse_charge", 0);
        o->boolean(o, l->reason == LEVY_REASON_REVERSE_CHARGE);
        o->key(o, "taxes", 0);
        o->open(o, 1, l->n);
        for (int e = 0; e < l->n; e++)
            if (l->e[e].group == g)
                bad |= put_tax(o, &l->e[e], ex);
        o->close(o, 1);
        o->close(o, 0);
    }
    o->close(o, 1);
    /* every jurisdiction of the group's resolution at its rate, whatever the lines' treatments
     * removed (a local tax that reaches what the state exempts takes its rate from here:
     * scripts/_lib/local_tax.lua, Denver's city tax on SaaS) */
    int nj = 0;
    for (int e = 0; e < d->res.n; e++)
        nj += d->res.e[e].group == g;
    o->key(o, "jurisdictions", 0);
    o->open(o, 1, nj);
    for (int e = 0; e < d->res.n; e++)
        if (d->res.e[e].group == g) {
            bad |= levy_tax_entry_head_write(o, &d->res.e[e], 7);
            o->close(o, 0);
        }
    o->close(o, 1);
    const char *prec = levy_rates_precision_name(d->res.precision);
    if (prec) /* issue 19: how precisely the address resolved */
        bad |= put_str(o, "resolution", prec, 0);
    if (g == 0 && d->res.ncand > 0 && !district_sets(&d->res))
        bad |= put_candidates(o, &d->res);
    o->close(o, 0);
    return bad ? -1 : 0;
}
