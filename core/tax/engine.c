/* Tax arithmetic: exact integer math (int64 minor units, 10^-8 rates, __int128 products),
 * half-up rounding per line per jurisdiction, inclusive carve-out with largest-remainder
 * allocation, and document-level rounding. See docs/rules.md sections 3-4. */
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "engine.h"

static const char *const level_names[LEVY_LEVEL_N] = {"country", "state", "province",
                                                      "county",  "city",  "district"};
static const char *const type_names[LEVY_TYPE_N] = {
    "SALES_TAX", "VAT", "GST", "HST", "PST", "QST", "LEASE_TRANSACTION_TAX", "AMUSEMENT_TAX"};
static const char *const reason_names[LEVY_REASON_N] = {
    "standard_rated",  "reduced_rated",  "zero_rated",     "partially_taxable", "product_exempt",
    "customer_exempt", "reverse_charge", "not_collecting", "no_tax_in_region",  "out_of_scope"};

const char *levy_tax_level_name(int level)
{
    return level >= 0 && level < LEVY_LEVEL_N ? level_names[level] : "unknown";
}
const char *levy_tax_type_name(int type)
{
    return type >= 0 && type < LEVY_TYPE_N ? type_names[type] : "unknown";
}
const char *levy_tax_reason_name(int reason)
{
    return reason >= 0 && reason < LEVY_REASON_N ? reason_names[reason] : "unknown";
}

static int find_name(const char *const *names, int n, const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}
int levy_tax_level_from(const char *s) { return find_name(level_names, LEVY_LEVEL_N, s); }
int levy_tax_type_from(const char *s) { return find_name(type_names, LEVY_TYPE_N, s); }
int levy_tax_reason_from(const char *s) { return find_name(reason_names, LEVY_REASON_N, s); }

#define DEN_RATE ((__int128)LEVY_TAX_RATE_ONE)
#define DEN_QTY ((__int128)LEVY_TAX_QTY_ONE)

void levy_tax_allocate(int64_t total, const __int128 *exact, __int128 den, int n, int64_t *out)
{
    if (n <= 0)
        return;
    if (n > LEVY_TAX_MAX_LINES)
        n = LEVY_TAX_MAX_LINES;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        out[i] = (int64_t)levy_tax_floor_div(exact[i], den);
        sum += out[i];
    }
    int64_t k = total - sum;
    uint64_t taken[(LEVY_TAX_MAX_LINES + 63) / 64];
    while (k != 0) {
        /* One round: give one unit (k > 0) to the largest remainders, or take one (k < 0)
         * from the smallest, each index at most once per round; ties: lower index. */
        int64_t rounds = k > 0 ? (k < n ? k : n) : (-k < n ? -k : n);
        memset(taken, 0, sizeof taken);
        for (int64_t r = 0; r < rounds; r++) {
            int best = -1;
            __int128 best_rem = 0;
            for (int i = 0; i < n; i++) {
                if (taken[i / 64] >> (i % 64) & 1)
                    continue;
                __int128 rr = exact[i] - levy_tax_floor_div(exact[i], den) * den;
                if (best < 0 || (k > 0 ? rr > best_rem : rr < best_rem)) {
                    best = i;
                    best_rem = rr;
                }
            }
            taken[best / 64] |= (uint64_t)1 << (best % 64);
            out[best] += k > 0 ? 1 : -1;
        }
        k += k > 0 ? -rounds : rounds;
    }
}

/* Taxable base of an entry at the amount `gross`, scaled by 10^6 (quantity scale):
 * qty x (min(unit, unit_to) - unit_from)+ with caps, the whole amount without. A credit
 * mirrors the sale it refunds: base(-g) = -base(g) under the same caps. */
static __int128 entry_base(const levy_tax_line *l, const levy_tax_entry *e, int64_t gross)
{
    __int128 whole = (__int128)gross * DEN_QTY;
    if (e->unit_from < 0 && e->unit_to < 0)
        return whole;
    if (gross < 0)
        return -entry_base(l, e, -gross);
    __int128 hi = whole;
    if (e->unit_to >= 0) {
        __int128 cap = (__int128)l->qty * e->unit_to;
        if (cap < hi)
            hi = cap;
    }
    __int128 lo = e->unit_from >= 0 ? (__int128)l->qty * e->unit_from : 0;
    __int128 b = hi - lo;
    return b > 0 ? b : 0;
}

static int line_has_caps(const levy_tax_line *l)
{
    for (int i = 0; i < l->n; i++)
        if (l->e[i].unit_from >= 0 || l->e[i].unit_to >= 0)
            return 1;
    return 0;
}

/* Exact tax of a line at the net x (scaled by 10^6), scaled by 10^22: sum over the taxing
 * entries of capped base x fraction x rate. */
static __int128 tax_at(const levy_tax_line *l, __int128 x)
{
    __int128 t = 0;
    for (int i = 0; i < l->n; i++) {
        const levy_tax_entry *e = &l->e[i];
        if (e->zero)
            continue;
        __int128 hi = x, lo = 0;
        if (e->unit_to >= 0 && (__int128)l->qty * e->unit_to < hi)
            hi = (__int128)l->qty * e->unit_to;
        if (e->unit_from >= 0)
            lo = (__int128)l->qty * e->unit_from;
        if (hi > lo)
            t += (hi - lo) * e->fraction * e->rate;
    }
    return t;
}

/* Inclusive line with unit caps, gross >= 0. tax(net) is piecewise linear and increasing,
 * with breakpoints at qty x unit_from and qty x unit_to; gross(net) = net + tax(net). Finds
 * the segment holding the gross, solves net exactly there, rounds it half up to the minor
 * unit; tax = gross - net is split by largest remainder over each entry's exact amount at
 * that net. All in the 10^22 scale of tax_at (10^6 quantity x 10^8 fraction x 10^8 rate). */
static void inclusive_capped(levy_tax_line *l, int64_t gross)
{
    const __int128 den = DEN_QTY * DEN_RATE * DEN_RATE;
    const __int128 unit = DEN_RATE * DEN_RATE; /* 1 of x (10^-6 minor) in the 10^22 scale */
    const __int128 xmax = (__int128)gross * DEN_QTY;
    const __int128 target = (__int128)gross * den;
    __int128 pts[2 * LEVY_TAX_MAX_ENTRIES + 1];
    int np = 0;
    for (int i = 0; i < l->n; i++) {
        const levy_tax_entry *e = &l->e[i];
        if (e->zero)
            continue;
        int64_t c[2] = {e->unit_from, e->unit_to};
        for (int k = 0; k < 2; k++) {
            if (c[k] < 0)
                continue;
            __int128 p = (__int128)l->qty * c[k];
            if (p > 0 && p < xmax)
                pts[np++] = p;
        }
    }
    pts[np++] = xmax;            /* gross(xmax) >= gross: the net is never above the gross */
    for (int i = 1; i < np; i++) /* insertion sort, at most 25 points */
        for (int j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
            __int128 t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    __int128 lo = 0, hi = xmax;
    for (int i = 0; i < np; i++) {
        if (pts[i] * unit + tax_at(l, pts[i]) >= target) {
            hi = pts[i];
            break;
        }
        lo = pts[i];
    }
    /* on [lo, hi] tax is linear: tax_at(lo) + slope x (x - lo), slope = sum of f x r of the
     * entries whose window covers the segment */
    __int128 slope = 0;
    for (int i = 0; i < l->n; i++) {
        const levy_tax_entry *e = &l->e[i];
        if (e->zero)
            continue;
        __int128 elo = e->unit_from >= 0 ? (__int128)l->qty * e->unit_from : 0;
        if (elo <= lo && (e->unit_to < 0 || (__int128)l->qty * e->unit_to >= hi))
            slope += (__int128)e->fraction * e->rate;
    }
    /* x (unit + slope) = target - tax_at(lo) + slope x lo; net = x / 10^6, half up */
    __int128 num = target - tax_at(l, lo) + slope * lo;
    int64_t net = levy_tax_round_div(num, (unit + slope) * DEN_QTY);
    __int128 exact[LEVY_TAX_MAX_ENTRIES] = {0};
    int64_t alloc[LEVY_TAX_MAX_ENTRIES];
    for (int i = 0; i < l->n; i++) {
        levy_tax_entry *e = &l->e[i];
        __int128 base = entry_base(l, e, net);
        e->taxable = levy_tax_round_div(base * e->fraction, DEN_QTY * DEN_RATE);
        exact[i] = e->zero ? 0 : base * e->fraction * e->rate;
    }
    levy_tax_allocate(gross - net, exact, den, l->n, alloc);
    l->net = net;
    for (int i = 0; i < l->n; i++) {
        levy_tax_entry *e = &l->e[i];
        e->amount = e->zero ? 0 : alloc[i];
        l->tax += e->amount;
        if (!e->zero && e->taxable > l->taxable)
            l->taxable = e->taxable;
    }
}

/* The ranges every line must be in before anything is computed (tax/dec.h). They bound
 * every intermediate below; with M = LEVY_TAX_MAX_MINOR = 10^12, Q = LEVY_TAX_MAX_QTY =
 * 10^15, rate r <= 10^9 (1000 %), fraction f <= 10^8, n <= 12 entries, 1000 lines
 * (__int128 holds 1.7e38, int64 9.2e18):
 *   gross = amount - discount: |gross| <= M (checked), so |gross| x 10^6 <= 10^18;
 *   a capped base <= |gross| x 10^6 <= 10^18 (entry_base: min(whole, ...) - lo, >= 0);
 *   qty x cap <= Q x M = 10^27 (compared, never multiplied by a rate);
 *   base x f x r <= 10^18 x 10^17 = 10^35; a line's tax_at <= 12 x 10^35;
 *   inclusive_capped: target = |gross| x 10^22 <= 10^34, slope <= 12 x 10^17,
 *     slope x lo <= 1.2 x 10^36, (unit + slope) x 10^6 <= 1.3 x 10^24;
 *   document_round: a sum over 1000 lines of one entry each <= 10^38 < 1.7 x 10^38;
 *   fast path: |gross| < 9 x 10^9, r <= 10^9: |gross x r| < 9 x 10^18 fits int64;
 *   every rounded result (an entry's taxable or amount) <= 10 x M in magnitude, a line's
 *     tax <= 12 x 10 x M, a document's totals <= 1000 x that = 1.2 x 10^17: int64. */
static int check_line(const levy_tax_line *l, levy_err *err)
{
    if (l->amount > LEVY_TAX_MAX_MINOR || l->amount < -LEVY_TAX_MAX_MINOR ||
        l->discount > LEVY_TAX_MAX_MINOR || l->discount < -LEVY_TAX_MAX_MINOR)
        return levy_err_set(err, LEVY_ERANGE, "amount_too_large",
                            "amount or discount out of range (10^12 minor units)");
    int64_t gross = l->amount - l->discount; /* both within 10^12: no overflow */
    if (gross > LEVY_TAX_MAX_MINOR || gross < -LEVY_TAX_MAX_MINOR)
        return levy_err_set(err, LEVY_ERANGE, "amount_too_large",
                            "amount - discount out of range (10^12 minor units)");
    if (l->qty <= 0 || l->qty > LEVY_TAX_MAX_QTY)
        return levy_err_set(err, LEVY_EINVAL, "bad_quantity",
                            "quantity must be above 0 and at most 1000000000");
    /* unit price |gross| / qty <= M, i.e. |gross| x 10^6 <= M x qty (both below 10^28) */
    if ((__int128)(gross < 0 ? -gross : gross) * DEN_QTY > (__int128)LEVY_TAX_MAX_MINOR * l->qty)
        return levy_err_set(err, LEVY_ERANGE, "amount_too_large",
                            "unit price (amount / quantity) out of range (10^12 minor units)");
    if (l->n < 0 || l->n > LEVY_TAX_MAX_ENTRIES)
        return levy_err_set(err, LEVY_EINVAL, "too_many_taxes", "too many tax entries on a line");
    for (int i = 0; i < l->n; i++) {
        const levy_tax_entry *e = &l->e[i];
        if (e->rate < 0 || e->rate > LEVY_TAX_MAX_RATE || e->fraction < 0 ||
            e->fraction > LEVY_TAX_RATE_ONE)
            return levy_err_set(err, LEVY_EINVAL, "bad_rate", "rate or fraction out of range");
        if (e->unit_from > LEVY_TAX_MAX_MINOR || e->unit_to > LEVY_TAX_MAX_MINOR ||
            e->unit_from < -1 || e->unit_to < -1)
            return levy_err_set(err, LEVY_ERANGE, "amount_too_large", "unit cap out of range");
    }
    return LEVY_OK;
}

static void compute_line(levy_tax_line *l)
{
    int64_t gross = l->amount - l->discount;
    l->tax = 0;
    l->taxable = 0;
    if (l->inclusive && line_has_caps(l)) {
        /* a credit mirrors the sale it refunds: solve for |gross|, then negate */
        inclusive_capped(l, gross < 0 ? -gross : gross);
        if (gross < 0) {
            l->net = -l->net;
            l->tax = -l->tax;
            l->taxable = 0;
            for (int i = 0; i < l->n; i++) {
                levy_tax_entry *e = &l->e[i];
                e->amount = -e->amount;
                e->taxable = -e->taxable;
                if (!e->zero && e->taxable < l->taxable)
                    l->taxable = e->taxable;
            }
        }
        return;
    }
    if (l->inclusive) {
        __int128 s = 0;
        __int128 exact[LEVY_TAX_MAX_ENTRIES] = {0};
        for (int i = 0; i < l->n; i++)
            if (!l->e[i].zero)
                s += (__int128)l->e[i].rate * l->e[i].fraction;
        const __int128 one = DEN_RATE * DEN_RATE;
        int64_t net = levy_tax_round_div((__int128)gross * one, one + s);
        int64_t tax = gross - net;
        for (int i = 0; i < l->n; i++)
            exact[i] = l->e[i].zero ? 0 : (__int128)net * l->e[i].rate * l->e[i].fraction;
        int64_t alloc[LEVY_TAX_MAX_ENTRIES];
        int nz = 0;
        for (int i = 0; i < l->n; i++)
            nz += !l->e[i].zero && l->e[i].rate > 0 && l->e[i].fraction > 0;
        if (nz == 0) {
            net = gross;
            tax = 0;
        }
        levy_tax_allocate(tax, exact, one, l->n, alloc);
        for (int i = 0; i < l->n; i++) {
            levy_tax_entry *e = &l->e[i];
            e->taxable = levy_tax_round_div((__int128)net * e->fraction, DEN_RATE);
            e->amount = (nz == 0 || e->zero) ? 0 : alloc[i];
            l->tax += e->amount;
            /* a credit's line taxable is its most negative entry's, as on exclusive lines
             * (found by the fuzz oracle, issue 15: an inclusive credit answered 0.00) */
            if (!e->zero && (gross >= 0 ? e->taxable > l->taxable : e->taxable < l->taxable))
                l->taxable = e->taxable;
        }
        l->net = net;
        return;
    }
    l->net = gross;
    for (int i = 0; i < l->n; i++) {
        levy_tax_entry *e = &l->e[i];
        if (e->fraction == LEVY_TAX_RATE_ONE && e->unit_from < 0 && e->unit_to < 0 &&
            gross < 9000000000LL && gross > -9000000000LL) {
            /* fast path, exact in int64: |gross * rate| < 9e9 * 1e9 */
            e->taxable = gross;
            int64_t num = gross * e->rate;
            e->amount = e->zero    ? 0
                        : num >= 0 ? (num + LEVY_TAX_RATE_ONE / 2) / LEVY_TAX_RATE_ONE
                                   : -((-num + LEVY_TAX_RATE_ONE / 2) / LEVY_TAX_RATE_ONE);
            l->tax += e->amount;
            if (!e->zero && (gross >= 0 ? e->taxable > l->taxable : e->taxable < l->taxable))
                l->taxable = e->taxable;
            continue;
        }
        __int128 base = entry_base(l, e, gross);
        e->taxable = levy_tax_round_div(base * e->fraction, DEN_QTY * DEN_RATE);
        e->amount = e->zero ? 0
                            : levy_tax_round_div(base * e->fraction * e->rate,
                                                 DEN_QTY * DEN_RATE * DEN_RATE);
        l->tax += e->amount;
        if (!e->zero && e->taxable > l->taxable)
            l->taxable = e->taxable;
    }
    if (gross < 0) { /* credits: taxable is the most negative */
        l->taxable = 0;
        for (int i = 0; i < l->n; i++)
            if (!l->e[i].zero && l->e[i].taxable < l->taxable)
                l->taxable = l->e[i].taxable;
    }
}

/* The i-th byte of an entry's shown name (name, then suffix), or 0 past its end. */
static char shown_at(const levy_tax_entry *e, size_t i, size_t nlen)
{
    if (i < nlen)
        return e->name[i];
    return e->suffix ? e->suffix[i - nlen] : '\0';
}

int levy_tax_entry_same_name(const levy_tax_entry *a, const levy_tax_entry *b)
{
    if (!a->name || !b->name)
        return 0;
    size_t na = strlen(a->name), nb = strlen(b->name);
    size_t la = na + (a->suffix ? strlen(a->suffix) : 0);
    size_t lb = nb + (b->suffix ? strlen(b->suffix) : 0);
    if (la != lb)
        return 0;
    for (size_t i = 0; i < la; i++)
        if (shown_at(a, i, na) != shown_at(b, i, nb))
            return 0;
    return 1;
}

static int same_key(const levy_tax_entry *a, const levy_tax_entry *b)
{
    return a->level == b->level && a->type == b->type && a->rate == b->rate &&
           a->fraction == b->fraction && a->unit_from == b->unit_from && a->unit_to == b->unit_to &&
           levy_tax_entry_same_name(a, b);
}

/* Document rounding: each distinct jurisdiction (name, level, type, rate, fraction) is
 * rounded once on the sum of its exact amounts over the exclusive lines, then allocated
 * back to the lines by largest remainder. Inclusive lines keep their per-line carve-out. */
static int document_round(levy_tax_doc *d, levy_err *err)
{
    int n = d->nlines;
    __int128 *exact = malloc(sizeof(__int128) * (size_t)n);
    int64_t *alloc = malloc(sizeof(int64_t) * (size_t)n);
    int *slot = malloc(sizeof(int) * (size_t)n);
    unsigned char *done = calloc((size_t)n * LEVY_TAX_MAX_ENTRIES, 1);
    int rc = LEVY_OK;
    if (!exact || !alloc || !slot || !done) {
        rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        goto done;
    }
    const __int128 den = DEN_QTY * DEN_RATE * DEN_RATE;
    for (int li = 0; li < n; li++) {
        levy_tax_line *l = &d->lines[li];
        if (l->inclusive)
            continue;
        for (int ei = 0; ei < l->n; ei++) {
            if (done[li * LEVY_TAX_MAX_ENTRIES + ei] || l->e[ei].zero)
                continue;
            const levy_tax_entry *key = &l->e[ei];
            __int128 sum = 0;
            for (int lj = 0; lj < n; lj++) {
                levy_tax_line *m = &d->lines[lj];
                slot[lj] = -1;
                exact[lj] = 0;
                if (m->inclusive || lj < li)
                    continue;
                for (int ej = 0; ej < m->n; ej++) {
                    if (done[lj * LEVY_TAX_MAX_ENTRIES + ej] || m->e[ej].zero ||
                        !same_key(key, &m->e[ej]))
                        continue;
                    slot[lj] = ej;
                    done[lj * LEVY_TAX_MAX_ENTRIES + ej] = 1;
                    exact[lj] = entry_base(m, &m->e[ej], m->amount - m->discount) *
                                m->e[ej].fraction * m->e[ej].rate;
                    sum += exact[lj];
                    break;
                }
            }
            int64_t total = levy_tax_round_div(sum, den);
            levy_tax_allocate(total, exact + li, den, n - li, alloc + li);
            for (int lj = li; lj < n; lj++) {
                if (slot[lj] < 0)
                    continue;
                levy_tax_line *m = &d->lines[lj];
                m->tax += alloc[lj] - m->e[slot[lj]].amount;
                m->e[slot[lj]].amount = alloc[lj];
            }
        }
    }
done:
    free(exact);
    free(alloc);
    free(slot);
    free(done);
    return rc;
}

int levy_tax_compute(levy_tax_doc *d, levy_err *err)
{
    d->err_line = -1;
    if (d->nlines < 0 || d->nlines > LEVY_TAX_MAX_LINES)
        return levy_err_set(err, LEVY_EINVAL, "too_many_lines", "at most %d lines",
                            LEVY_TAX_MAX_LINES);
    for (int i = 0; i < d->nlines; i++) {
        int rc = check_line(&d->lines[i], err);
        if (rc) {
            d->err_line = i;
            return rc;
        }
    }
    for (int i = 0; i < d->nlines; i++)
        compute_line(&d->lines[i]);
    if (d->document_rounding && d->nlines > 1) {
        int rc = document_round(d, err);
        if (rc)
            return rc;
    }
    d->total_amount = d->total_taxable = d->total_tax = 0;
    for (int i = 0; i < d->nlines; i++) {
        d->total_amount += d->lines[i].amount - d->lines[i].discount;
        d->total_taxable += d->lines[i].taxable;
        d->total_tax += d->lines[i].tax;
    }
    return LEVY_OK;
}
