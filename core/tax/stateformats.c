/* State rate files published by a state's tax department, read by `levy rates import` /
 * `levy rates update` and the loader beside the shipped tables (rates.c dispatches here by
 * the file's header). Supported, with the field lists as the department documents them:
 *
 *  - Washington DOR "Location codes and rate tables" (the quarterly Rates file):
 *    NAME, CODE, STATE, LOCAL, RTA, RATE, EFFECTIVE DATE, EXPIRATION DATE
 *    (dor.wa.gov/taxes-rates/location-codes-and-rate-tables-field-descriptions).
 *  - Washington DOR "ZIP+4 short" file (all 5-digit ZIPs with ZIP+4 low/high ranges):
 *    ZIP, PLUS4_LOW, PLUS4_HIGH, CODE, STATE, LOCAL, TOT_RATE, EFF_START, EFF_END
 *    (dor.wa.gov/taxes-rates/zip-plus-4-short-data-field-descriptions).
 *
 * Column names are matched case-insensitively with spaces and underscores ignored, in any
 * order; rates are decimal fractions (0.065); dates YYYYMMDD, YYYY-MM-DD or M/D/YYYY. A row
 * whose combined rate is not STATE + LOCAL is refused (the DOR defines RATE / TOT_RATE as
 * the combined state and local rate). Texas, Colorado and Arizona: docs/operations.md
 * section 4 says why they are not read (no documented machine-readable layout found). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "rates-internal.h"

#define ROWERR(...) levy_err_set(err, LEVY_EINVAL, "bad_rate_table", __VA_ARGS__)

enum { F_NAME, F_ZIP, F_LO, F_HI, F_CODE, F_STATE, F_LOCAL, F_RTA, F_RATE, F_FROM, F_TO, F_N };

/* Field names as documented, normalised (upper case, no spaces or underscores); each field
 * may have alternatives ("CODE" is "LOCATIONCODE" in some exports). */
static const char *const wa_rates_fields[F_N] = {"NAME",
                                                 NULL,
                                                 NULL,
                                                 NULL,
                                                 "CODE|LOCATIONCODE",
                                                 "STATE",
                                                 "LOCAL",
                                                 "RTA",
                                                 "RATE|COMBINEDRATE",
                                                 "EFFECTIVEDATE",
                                                 "EXPIRATIONDATE"};
static const char *const wa_zip4_fields[F_N] = {
    NULL, "ZIP",     "PLUS4LOW", "PLUS4HIGH", "CODE|LOCATIONCODE", "STATE", "LOCAL",
    NULL, "TOTRATE", "EFFSTART", "EFFEND"};

static void norm(char *d, const char *s, size_t len, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '_' || c == '"' || c == '\t' || c == 0xEF || c == 0xBB || c == 0xBF)
            continue; /* spacing, quotes and a UTF-8 byte-order mark */
        d[o++] = (char)toupper(c);
    }
    d[o] = 0;
}

static int alt_match(const char *alts, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = alts; *p;) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == nl && memcmp(p, name, l) == 0)
            return 1;
        p += l + (bar ? 1 : 0);
    }
    return 0;
}

/* col[f] = index of field f in the header row, -1 when absent. */
static void header_cols(const csv_row *hdr, const char *const *fields, int *col)
{
    for (int f = 0; f < F_N; f++) {
        col[f] = -1;
        if (!fields[f])
            continue;
        for (int i = 0; i < hdr->n && col[f] < 0; i++) {
            char nm[64];
            norm(nm, hdr->f[i], hdr->len[i], sizeof nm);
            if (alt_match(fields[f], nm))
                col[f] = i;
        }
    }
}

static int has_all(const int *col, const char *const *fields)
{
    for (int f = 0; f < F_N; f++)
        if (fields[f] && f != F_RTA && col[f] < 0)
            return 0;
    return 1;
}

int levy_stateformats_detect(const char *first_line)
{
    char line[1024];
    snprintf(line, sizeof line, "%s", first_line);
    csv_row hdr;
    if (levy_rates_csv_split(line, &hdr) < 4)
        return RT_UNKNOWN;
    int col[F_N];
    header_cols(&hdr, wa_zip4_fields, col);
    if (has_all(col, wa_zip4_fields))
        return RT_WA_ZIP4;
    header_cols(&hdr, wa_rates_fields, col);
    if (has_all(col, wa_rates_fields))
        return RT_WA_RATES;
    return RT_UNKNOWN;
}

const char *levy_stateformats_source(int kind)
{
    return kind == RT_WA_ZIP4 ? "wa-dor-zip4" : kind == RT_WA_RATES ? "wa-dor-rates" : "unknown";
}

/* YYYYMMDD, YYYY-MM-DD or M/D/YYYY -> yyyymmdd; empty -> dflt. */
static int parse_day(const char *s, size_t len, int32_t dflt, int32_t *out)
{
    char iso[40];
    int y, m, d;
    char tail;
    if (len == 0) {
        *out = dflt;
        return 0;
    }
    if (len == 8 && strspn(s, "0123456789") == 8)
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    else if (len == 10 && s[4] == '-')
        snprintf(iso, sizeof iso, "%.10s", s);
    else if (len <= 10 && sscanf(s, "%2d/%2d/%4d%c", &m, &d, &y, &tail) == 3 && y >= 1000 &&
             m >= 1 && m <= 12 && d >= 1 && d <= 31)
        snprintf(iso, sizeof iso, "%04d-%02d-%02d", y, m, d);
    else
        return -1;
    return levy_tax_date_parse(iso, 10, out);
}

/* 1 to maxlen digits. */
static int parse_uint(const char *s, size_t len, size_t maxlen, uint32_t *out)
{
    return levy_rates_uint(s, len, 1, maxlen, out);
}

int levy_stateformats_load(levy_rates *r, int kind, const char *path, char *text, char *vintage_out,
                           long *rows, char *key, size_t keycap, levy_err *err)
{
    const char *const *fields = kind == RT_WA_ZIP4 ? wa_zip4_fields : wa_rates_fields;
    char *cur = text, *line = levy_rates_next_line(&cur);
    csv_row hdr, row;
    if (!line || levy_rates_csv_split(line, &hdr) < 0)
        return ROWERR("%s:1: missing header", path);
    int col[F_N];
    header_cols(&hdr, fields, col);
    for (int f = 0; f < F_N; f++)
        if (fields[f] && f != F_RTA && col[f] < 0)
            return ROWERR("%s:1: missing column %.*s", path, (int)strcspn(fields[f], "|"),
                          fields[f]);
    snprintf(key, keycap, "%s", levy_stateformats_source(kind));
    strcpy(vintage_out, "unknown");
    int32_t newest = 0;
    int lineno = 1;
    long n = 0;
    while ((line = levy_rates_next_line(&cur))) {
        lineno++;
        if (levy_rates_blank_line(line))
            continue;
        if (levy_rates_csv_split(line, &row) < 0 || row.n < hdr.n)
            return ROWERR("%s:%d: expected %d columns", path, lineno, hdr.n);
#define FLD(k) row.f[col[k]], row.len[col[k]]
        uint32_t code;
        if (parse_uint(FLD(F_CODE), 6, &code))
            return ROWERR("%s:%d: bad location code '%s'", path, lineno, row.f[col[F_CODE]]);
        int32_t st, loc, tot, rta = 0, from, to;
        if (levy_rates_parse_frac(FLD(F_STATE), &st))
            return ROWERR("%s:%d: bad STATE rate '%s'", path, lineno, row.f[col[F_STATE]]);
        if (levy_rates_parse_frac(FLD(F_LOCAL), &loc))
            return ROWERR("%s:%d: bad LOCAL rate '%s'", path, lineno, row.f[col[F_LOCAL]]);
        if (levy_rates_parse_frac(FLD(F_RATE), &tot))
            return ROWERR("%s:%d: bad combined rate '%s'", path, lineno, row.f[col[F_RATE]]);
        if (col[F_RTA] >= 0 && row.len[col[F_RTA]] && levy_rates_parse_frac(FLD(F_RTA), &rta))
            return ROWERR("%s:%d: bad RTA rate '%s'", path, lineno, row.f[col[F_RTA]]);
        (void)rta; /* included in LOCAL (DOR field description) */
        if ((int64_t)st + loc != tot)
            return ROWERR("%s:%d: combined rate %s is not STATE %s + LOCAL %s", path, lineno,
                          row.f[col[F_RATE]], row.f[col[F_STATE]], row.f[col[F_LOCAL]]);
        if (parse_day(FLD(F_FROM), 0, &from) || parse_day(FLD(F_TO), 99991231, &to) || from > to)
            return ROWERR("%s:%d: bad effective dates '%s'..'%s'", path, lineno, row.f[col[F_FROM]],
                          row.f[col[F_TO]]);
        if (kind == RT_WA_ZIP4) {
            uint32_t zip, lo, hi;
            if (parse_uint(FLD(F_ZIP), 5, &zip) || row.len[col[F_ZIP]] != 5)
                return ROWERR("%s:%d: bad ZIP '%s'", path, lineno, row.f[col[F_ZIP]]);
            if (parse_uint(FLD(F_LO), 4, &lo) || parse_uint(FLD(F_HI), 4, &hi) || lo > hi)
                return ROWERR("%s:%d: bad ZIP+4 range '%s'..'%s'", path, lineno, row.f[col[F_LO]],
                              row.f[col[F_HI]]);
            if (levy_rates_grow((void **)&r->z4, &r->z4_cap, r->nz4 + 1, sizeof *r->z4))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            statez4_row *z = &r->z4[r->nz4++];
            memset(z, 0, sizeof *z);
            memcpy(z->st, "WA", 3);
            if (r->nz4 > 1 && r->z4[r->nz4 - 2].code == code) {
                z->name = r->z4[r->nz4 - 2].name; /* consecutive ranges share a code */
            } else {
                char label[32];
                int ll = snprintf(label, sizeof label, "LOCATION CODE %04u", code);
                if ((z->name = levy_rates_pool_add(r, label, (size_t)ll)) == UINT32_MAX)
                    return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            }
            z->zip = zip;
            z->lo = (uint16_t)lo;
            z->hi = (uint16_t)hi;
            z->code = code;
            z->state = st;
            z->local = loc;
            z->from = from;
            z->to = to;
        } else {
            char nm[128];
            levy_rates_upcase(nm, row.f[col[F_NAME]], sizeof nm);
            size_t l = strlen(nm);
            if (l > 7 && strcmp(nm + l - 7, " (CITY)") == 0)
                nm[l -= 7] = 0;
            if (!l)
                return ROWERR("%s:%d: empty NAME", path, lineno);
            uint32_t name = levy_rates_pool_add(r, nm, l);
            if (name == UINT32_MAX ||
                levy_rates_grow((void **)&r->loc, &r->loc_cap, r->nloc + 1, sizeof *r->loc))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            stateloc_row *c = &r->loc[r->nloc++];
            memset(c, 0, sizeof *c);
            memcpy(c->st, "WA", 3);
            c->code = code;
            c->name = name;
            c->state = st;
            c->local = loc;
            c->from = from;
            c->to = to;
        }
#undef FLD
        if (from > newest)
            newest = from;
        n++;
    }
    if (n == 0)
        return ROWERR("%s: no rows", path);
    levy_tax_date_fmt(vintage_out, newest);
    *rows = n;
    return LEVY_OK;
}

static int32_t day_after(int32_t d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = d / 10000, m = d / 100 % 100, day = d % 100;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int last = mdays[m - 1] + (m == 2 && leap);
    if (++day > last) {
        day = 1;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return y * 10000 + m * 100 + day;
}

/* Does a row of table t (from..to) answer on date? In its period; or, past the table's last
 * period (date on or after levy_rates_table_stale_after), a row of that last period when the
 * table is the newest levy has for the place: its vintage (latest EFFECTIVE DATE / EFF_START)
 * is not older than newer_than, the vintage of the ZIP table that would answer instead
 * (docs/rules.md section 5, "Rates older than the date asked for": the answer then carries
 * rates_stale). newer_than < 0: expired rows never answer. */
typedef struct on_ctx {
    int32_t newer_than;
    int table;  /* the last table asked about, -1 none */
    int stale;  /* its answer: 1 when its last period's rows answer past their end */
    int32_t sa; /* its stale_after */
} on_ctx;

static int row_on(const levy_rates *r, on_ctx *o, int t, int32_t from, int32_t to, int32_t date)
{
    if (date < from)
        return 0;
    if (date <= to)
        return 1;
    if (o->newer_than < 0)
        return 0;
    if (o->table != t) {
        const levy_rates_table *tb = levy_rates_table_at(r, t);
        o->table = t;
        o->sa = levy_rates_table_stale_after(r, t);
        o->stale = tb && o->sa && levy_rates_vintage_from(tb->vintage) >= o->newer_than;
    }
    return o->stale && date >= o->sa && day_after(to) == o->sa;
}

/* The location code's name on date (rate table), or NULL. */
static const stateloc_row *loc_of(const levy_rates *r, on_ctx *o, const char *st, uint32_t code,
                                  int32_t date)
{
    for (size_t i = 0; i < r->nloc; i++) {
        const stateloc_row *c = &r->loc[i];
        if (c->code == code && memcmp(c->st, st, 2) == 0 &&
            row_on(r, o, c->table, c->from, c->to, date))
            return c;
    }
    return NULL;
}

static int z4_cmp(const void *a, const void *b)
{
    const statez4_row *x = a, *y = b;
    if (x->zip != y->zip)
        return x->zip < y->zip ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->from < y->from ? -1 : x->from > y->from;
}

void levy_stateformats_finish(levy_rates *r)
{
    if (r->nz4)
        qsort(r->z4, r->nz4, sizeof *r->z4, z4_cmp);
}

/* The city a location code's NAME stands for, and the county a "CITY/COUNTY" name gives: the
 * DOR names a city's codes "BELLEVUE RTA" (inside the Sound Transit district, whose tax LOCAL
 * includes), "AUBURN/KING RTA" and "AUBURN/PIERCE" (a city in two counties, one code per
 * county). city gets "BELLEVUE" / "AUBURN", county "" / "KING". */
static void loc_city(const char *name, char *city, size_t ccap, char *county, size_t kcap)
{
    size_t l = strlen(name);
    if (l > 4 && strcmp(name + l - 4, " RTA") == 0)
        l -= 4;
    const char *slash = memchr(name, '/', l);
    size_t cl = slash ? (size_t)(slash - name) : l;
    snprintf(city, ccap, "%.*s", (int)cl, name);
    if (slash)
        snprintf(county, kcap, "%.*s", (int)(l - cl - 1), slash + 1);
    else
        county[0] = 0;
}

/* The county of a location code: the DOR numbers a county's codes nn00..nn99 and names nn00
 * after the county ("KING COUNTY RTA", "ADAMS COUNTY"): "KING", or "" when no such row. */
static void loc_county(const levy_rates *r, on_ctx *o, const stateloc_row *c, int32_t date,
                       char *out, size_t cap)
{
    const stateloc_row *k = loc_of(r, o, c->st, c->code / 100 * 100, date);
    out[0] = 0;
    if (!k)
        return;
    const char *n = levy_rates_pool(r, k->name);
    size_t l = strlen(n);
    if (l > 4 && strcmp(n + l - 4, " RTA") == 0)
        l -= 4;
    if (l > 7 && memcmp(n + l - 7, " COUNTY", 7) == 0)
        snprintf(out, cap, "%.*s", (int)(l - 7), n);
}

static int in_list(const char *s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* The location codes a ship-to city names (loc_city): "COULEE CITY" also matches a code
 * named "COULEE" (a transcription that dropped " CITY" from every name). A code must lie in
 * one of the ZIP's counties of the ZIP-county crosswalk (its "/KING" name's county, else its
 * nn00 row's; a ZIP the crosswalk does not list refutes nothing). Up to cap in out; returns
 * how many matched. */
static int city_codes(const levy_rates *r, on_ctx *o, const char *st, const char *city,
                      const char *const *zcounties, int nzc, int32_t date, const stateloc_row **out,
                      int cap)
{
    if (!r->nloc || !city || !city[0])
        return 0;
    char up[128], alt[128];
    levy_rates_upcase(up, city, sizeof up);
    size_t ul = strlen(up);
    snprintf(alt, sizeof alt, "%.*s",
             ul > 5 && strcmp(up + ul - 5, " CITY") == 0 ? (int)(ul - 5) : 0, up);
    int n = 0;
    for (size_t i = 0; i < r->nloc; i++) {
        const stateloc_row *c = &r->loc[i];
        if (memcmp(c->st, st, 2) != 0 || !row_on(r, o, c->table, c->from, c->to, date))
            continue;
        char cname[128], qual[64], cty[64];
        loc_city(levy_rates_pool(r, c->name), cname, sizeof cname, qual, sizeof qual);
        if (strcmp(cname, up) != 0 && !(alt[0] && strcmp(cname, alt) == 0))
            continue;
        if (nzc > 0) {
            if (qual[0]) {
                if (!in_list(qual, zcounties, nzc))
                    continue;
            } else {
                loc_county(r, o, c, date, cty, sizeof cty);
                if (cty[0] && !in_list(cty, zcounties, nzc))
                    continue; /* a city of another county: not this ZIP's */
            }
        }
        if (n < cap)
            out[n] = c;
        n++;
    }
    return n;
}

int levy_stateformats_find(const levy_rates *r, const char *st, uint32_t zip, int plus4,
                           const char *city, const char *const *zcounties, int nzc,
                           int32_t newer_than, int32_t date, int32_t *state, int32_t *local,
                           const char **name, int *table)
{
    on_ctx o = {newer_than, -1, 0, 0};
    const statez4_row *hit = NULL;
    int differ = 0;
    size_t lo = 0, hi = r->nz4;
    while (lo < hi) { /* first row of the ZIP (sorted by levy_stateformats_finish) */
        size_t mid = (lo + hi) / 2;
        if (r->z4[mid].zip < zip)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < r->nz4 && r->z4[i].zip == zip; i++) {
        const statez4_row *z = &r->z4[i];
        if (memcmp(z->st, st, 2) != 0 || !row_on(r, &o, z->table, z->from, z->to, date))
            continue;
        if (plus4 >= 0) {
            if (plus4 < z->lo || plus4 > z->hi)
                continue;
            hit = z; /* the range holding the ZIP+4 */
            differ = 0;
            break;
        }
        if (hit && hit->code != z->code)
            differ = 1; /* a ZIP5 split between location codes: not decided here */
        if (!hit)
            hit = z;
    }
    if (hit && !differ) {
        const stateloc_row *c = loc_of(r, &o, st, hit->code, date);
        *state = hit->state;
        *local = hit->local;
        *table = hit->table;
        *name = levy_rates_pool(r, c ? c->name : hit->name);
        return plus4 >= 0 ? LEVY_RES_ZIP4 : LEVY_RES_ZIP5; /* the answer's resolution */
    }
    /* No ZIP+4 file row: a city whose name is a location code's city (city_codes), as the
     * CDTFA city rows are used for California; a city with codes at different rates in the
     * ZIP's counties is not decided here */
    const stateloc_row *m[8];
    int nm = city_codes(r, &o, st, city, zcounties, nzc, date, m, 8);
    if (nm == 0)
        return 0;
    for (int i = 1; i < nm && i < 8; i++)
        if (m[i]->state != m[0]->state || m[i]->local != m[0]->local)
            return 0;
    *state = m[0]->state;
    *local = m[0]->local;
    *table = m[0]->table;
    *name = levy_rates_pool(r, m[0]->name);
    return LEVY_RES_ZIP5_CITY;
}

int levy_stateformats_city_cands(const levy_rates *r, const char *st, const char *city,
                                 const char *const *zcounties, int nzc, int32_t newer_than,
                                 int32_t date, int32_t *rate, const char **name, int cap)
{
    on_ctx o = {newer_than, -1, 0, 0};
    const stateloc_row *m[8];
    int nm = city_codes(r, &o, st, city, zcounties, nzc, date, m, 8), n = 0, differ = 0;
    for (int i = 0; i < nm && i < 8; i++) {
        differ |= m[i]->state + m[i]->local != m[0]->state + m[0]->local;
        if (n < cap) {
            rate[n] = m[i]->state + m[i]->local;
            name[n++] = levy_rates_pool(r, m[i]->name);
        }
    }
    return differ ? n : 0;
}

/* The ZIP table's own region for a WA ZIP without a decisive city (issue 19, which vintage
 * wins): where the ZIP5 table names the ZIP after a place that is a location code of a newer
 * DOR rate table (98101 "SEATTLE"), that table's rate of the place is the ZIP's default from
 * its EFFECTIVE DATE, as CDTFA's newer city rate is in California; a region named after a
 * county alone ("KITSAP": the county's unincorporated area) takes the code named "<X> COUNTY"
 * (not an "<X> COUNTY RTA" code: the ZIP table's "KING" 8.8 % and "PIERCE" 8.1 % are the
 * areas outside the transit district, which the rate table names no code of). Not for a
 * region named like a county and a city ("SPOKANE": the county's area or the city, the ZIP
 * table does not say which), nor a code outside the ZIP's counties (98901 "KITTITAS", a
 * Yakima County ZIP). Returns LEVY_RES_ZIP5 with the outputs set, or 0. */
int levy_stateformats_find_region(const levy_rates *r, const char *st, uint32_t zip,
                                  const char *region, const char *const *zcounties, int nzc,
                                  int32_t zip_from, int32_t date, int32_t *state, int32_t *local,
                                  const char **name, int *table)
{
    if (!r->nloc || !region || !region[0])
        return 0;
    on_ctx o = {zip_from, -1, 0, 0};
    char county[160];
    snprintf(county, sizeof county, "%s COUNTY", region);
    size_t kl = strlen(county);
    const stateloc_row *area = NULL;
    int county_named = 0;
    for (size_t i = 0; i < r->nloc; i++) {
        const stateloc_row *c = &r->loc[i];
        const char *n = levy_rates_pool(r, c->name);
        if (memcmp(c->st, st, 2) != 0 || strncmp(n, county, kl) != 0 ||
            (n[kl] != 0 && strcmp(n + kl, " RTA") != 0))
            continue;
        county_named = 1;
        if (n[kl] == 0 && !area && row_on(r, &o, c->table, c->from, c->to, date))
            area = c;
    }
    int t;
    int how = 0;
    if (county_named) {
        char cty[64];
        int32_t s0, l0;
        const char *n0;
        int t0;
        if (levy_stateformats_find(r, st, zip, -1, region, zcounties, nzc, zip_from, date, &s0, &l0,
                                   &n0, &t0) == LEVY_RES_ZIP5_CITY)
            return 0; /* also a city's name: which of the two, the ZIP table does not say */
        if (!area)
            return 0;
        loc_county(r, &o, area, date, cty, sizeof cty);
        if (nzc > 0 && !in_list(cty, zcounties, nzc))
            return 0;
        *state = area->state;
        *local = area->local;
        *name = levy_rates_pool(r, area->name);
        t = area->table;
        how = LEVY_RES_ZIP5_CITY;
    } else {
        how = levy_stateformats_find(r, st, zip, -1, region, zcounties, nzc, zip_from, date, state,
                                     local, name, &t);
    }
    if (how != LEVY_RES_ZIP5_CITY)
        return 0; /* a ZIP+4 file's answer would have come first: only the name match here */
    const levy_rates_table *tb = levy_rates_table_at(r, t);
    if (!tb || levy_rates_vintage_from(tb->vintage) <= zip_from)
        return 0; /* not newer than the ZIP table: the ZIP table's own rate stands */
    *table = t;
    return LEVY_RES_ZIP5;
}

int32_t levy_stateformats_stale_after(const levy_rates *r, int table)
{
    int32_t last = 0;
    for (size_t i = 0; i < r->nz4 + r->nloc; i++) {
        int t = i < r->nz4 ? r->z4[i].table : r->loc[i - r->nz4].table;
        int32_t to = i < r->nz4 ? r->z4[i].to : r->loc[i - r->nz4].to;
        if (t != table)
            continue;
        if (to >= 99991231)
            return 0;
        if (to > last)
            last = to;
    }
    return last ? day_after(last) : 0;
}
