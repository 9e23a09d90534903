/* SST boundary files and local rates (issue 19, "address precision"): the Streamlined Sales
 * Tax boundary file maps ZIP5 ranges (record type Z), ZIP+4 ranges (4) and street address
 * ranges (A) to the jurisdiction codes whose rates apply there (FIPS state, county, place and
 * up to 20 special tax districts); the SST rate file gives each code's rate by date. Together
 * they locate an address more precisely than the ZIP5 table: a ZIP+4 or a street address is
 * answered at its own jurisdictions, and a ZIP5 whose records carry several rates is reported
 * as ambiguous with its candidates. Layout: data/README.md ("SST boundary files"), the SST
 * Governing Board's "Rate and Boundary Files" page and its record layout (the FTA/MTC flat
 * format, ASC X12 TS 158, preceded by the record type and followed by the ZIP ranges). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "rates-internal.h"

#define BND_FIELDS 89 /* published layout; newer files carry a 90th, extra fields are ignored */
#define BND_MAX_FIELDS 128
#define BND_MAX_DIST 20 /* special tax district triplets per record */
/* ZIP5 index entries (a record indexes every ZIP5 of its range): 16M = 128 MiB, well above
 * every member state's files together, refuses a file of whole-range records */
#define BND_MAX_INDEX (16 * 1024 * 1024)
#define PENDING UINT16_MAX

typedef struct bjur { /* one SST rate-file row */
    char st[3], type[3], code[8];
    uint16_t table;
    uint32_t name;    /* pool offset: the Census name (levy_boundary_finish), else the code */
    uint32_t acode;   /* pool offset: authority code ("20", "20091", "2053775", "90001"), 0 none */
    const char *note; /* why the name or code is not established (static), or NULL */
    int32_t rate, from, to;
} bjur;

typedef struct bcode {
    char code[8], type[3];
} bcode;

typedef struct brec { /* one boundary record */
    char st[3], kind; /* 'z', '4', 'a' */
    char county[4], place[8];
    uint16_t table;
    uint8_t nd;
    uint32_t dist;    /* first of nd in codes */
    uint32_t lo, hi;  /* ZIP+4 range as 9 digits (z: the whole ZIP5s) */
    int32_t from, to; /* effective dates */
    uint32_t street;  /* a: pool offset of the street words ("N MAIN ST"), else 0 */
    int64_t alo, ahi; /* a: house number range */
    char oe;          /* a: 'O' odd, 'E' even, 'B' both */
} brec;

typedef struct bidx {
    uint32_t zip, rec;
} bidx;

struct levy_boundary {
    bjur *jur;
    size_t njur, jcap;
    brec *rec;
    size_t nrec, rcap;
    bcode *codes;
    size_t ncodes, ccap;
    bidx *idx;
    size_t nidx, icap;
    char *pool;
    size_t plen, pcap;
};

static struct levy_boundary *bnd(levy_rates *r)
{
    if (!r->bnd)
        r->bnd = calloc(1, sizeof *r->bnd);
    return r->bnd;
}

static uint32_t bpool(struct levy_boundary *b, const char *s)
{
    size_t l = strlen(s);
    if (b->plen == 0) { /* offset 0 is "" */
        if (levy_rates_grow((void **)&b->pool, &b->pcap, 1, 1))
            return UINT32_MAX;
        b->pool[b->plen++] = 0;
    }
    if (levy_rates_grow((void **)&b->pool, &b->pcap, b->plen + l + 1, 1))
        return UINT32_MAX;
    uint32_t off = (uint32_t)b->plen;
    memcpy(b->pool + b->plen, s, l + 1);
    b->plen += l + 1;
    return off;
}

static const char *BP(const struct levy_boundary *b, uint32_t off) { return b->pool + off; }

#define BERR(...) levy_err_set(err, LEVY_EINVAL, "bad_rate_table", __VA_ARGS__)
#define BOOM() levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory")

/* ---------------------------------------------------------------- rates */

int levy_boundary_add_rate(levy_rates *r, const char *st, const char *type, const char *code,
                           int32_t rate, int32_t from, int32_t to)
{
    struct levy_boundary *b = bnd(r);
    if (!b || levy_rates_grow((void **)&b->jur, &b->jcap, b->njur + 1, sizeof *b->jur))
        return -1;
    bjur *j = &b->jur[b->njur];
    memset(j, 0, sizeof *j);
    snprintf(j->st, sizeof j->st, "%s", st);
    snprintf(j->type, sizeof j->type, "%s", type);
    snprintf(j->code, sizeof j->code, "%s", code);
    j->rate = rate;
    j->from = from;
    j->to = to;
    j->table = PENDING;
    /* the name a calculation lists: the state's, else the code with its kind (the SST
     * files carry codes, not names); levy_boundary_finish names counties and places from the
     * Census files once they are loaded */
    char name[64];
    const char *stname = levy_rates_us_state_name(st);
    if (strcmp(type, "45") == 0 && stname)
        snprintf(name, sizeof name, "%s", stname);
    else if (strcmp(type, "00") == 0)
        snprintf(name, sizeof name, "%s COUNTY %s", st, code);
    else if (strcmp(type, "01") == 0)
        snprintf(name, sizeof name, "%s PLACE %s", st, code);
    else
        snprintf(name, sizeof name, "%s DISTRICT %s", st, code);
    if ((j->name = bpool(b, name)) == UINT32_MAX)
        return -1;
    b->njur++;
    return 0;
}

void levy_boundary_claim(levy_rates *r, int t)
{
    struct levy_boundary *b = r->bnd;
    if (!b)
        return;
    for (size_t i = 0; i < b->njur; i++)
        if (b->jur[i].table == PENDING)
            b->jur[i].table = (uint16_t)t;
    for (size_t i = 0; i < b->nrec; i++)
        if (b->rec[i].table == PENDING)
            b->rec[i].table = (uint16_t)t;
}

const char *levy_boundary_table_state(const levy_rates *r, int t)
{
    const struct levy_boundary *b = r->bnd;
    for (size_t i = 0; b && i < b->nrec; i++)
        if (b->rec[i].table == t)
            return b->rec[i].st;
    return NULL;
}

/* ---------------------------------------------------------------- boundary file */

static int split(char *line, char **f, size_t *len)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n >= BND_MAX_FIELDS)
            return -1;
        char *s = p;
        while (*p && *p != ',')
            p++;
        f[n] = s;
        len[n] = (size_t)(p - s);
        while (len[n] && isspace((unsigned char)s[len[n] - 1]))
            len[n]--;
        while (len[n] && isspace((unsigned char)f[n][0])) {
            f[n]++;
            len[n]--;
        }
        int end = *p == 0;
        *p = 0;
        f[n][len[n]] = 0;
        n++;
        if (end)
            break;
        p++;
    }
    return n;
}

int levy_boundary_detect(const char *line, size_t len)
{
    if (len >= 3 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF) { /* UTF-8 byte-order mark (seen in VT's files) */
        line += 3;
        len -= 3;
    }
    if (len < 2 || line[1] != ',' || !strchr("zZ4aA", line[0]))
        return 0;
    int commas = 0;
    for (size_t i = 0; i < len; i++)
        commas += line[i] == ',';
    return commas >= BND_FIELDS - 1;
}

/* 1 when s is min to max digits. */
static int digits(const char *s, size_t len, size_t min, size_t max)
{
    return levy_rates_uint(s, len, min, max, NULL) == 0;
}

static uint32_t num(const char *s, size_t len)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (uint32_t)(s[i] - '0');
    return v;
}

static int bdate(const char *s, size_t len, int32_t *out)
{
    if (len != 8 || !digits(s, len, 8, 8))
        return -1;
    char iso[11];
    snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    return levy_tax_date_parse(iso, 10, out);
}

/* Upper-cases s into d keeping letters, digits and single spaces ("N. Main  St" -> "N MAIN
 * ST"). */
static void words(char *d, size_t cap, const char *s)
{
    size_t o = 0;
    int sp = 1;
    for (; *s && o + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c)) {
            d[o++] = (char)toupper(c);
            sp = 0;
        } else if (!sp && c != '.' && c != '\'') {
            d[o++] = ' ';
            sp = 1;
        }
    }
    while (o && d[o - 1] == ' ')
        o--;
    d[o] = 0;
}

int levy_boundary_load(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                       char *state_out, levy_err *err)
{
    struct levy_boundary *b = bnd(r);
    if (!b)
        return BOOM();
    char *cur = text;
    if ((unsigned char)cur[0] == 0xEF && (unsigned char)cur[1] == 0xBB &&
        (unsigned char)cur[2] == 0xBF)
        cur += 3;
    char *f[BND_MAX_FIELDS];
    size_t len[BND_MAX_FIELDS];
    long n = 0;
    int lineno = 0;
    state_out[0] = 0;
    while (cur && *cur) {
        char *line = cur, *nl = strchr(cur, '\n');
        if (nl) {
            *nl = 0;
            cur = nl + 1;
        } else {
            cur = NULL;
        }
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = 0;
        int blank = 1;
        for (size_t i = 0; i < ll && blank; i++)
            blank = isspace((unsigned char)line[i]) || line[i] == ',';
        if (blank)
            continue;
        int nf = split(line, f, len);
        if (nf < BND_FIELDS)
            return BERR("%s:%d: expected %d columns (SST boundary file)", path, lineno, BND_FIELDS);
        char kind = (char)tolower((unsigned char)f[0][0]);
        if (len[0] != 1 || !strchr("z4a", kind))
            return BERR("%s:%d: bad record type '%s' (Z, 4 or A)", path, lineno, f[0]);
        brec x;
        memset(&x, 0, sizeof x);
        x.kind = kind;
        x.table = PENDING;
        if (bdate(f[1], len[1], &x.from) || bdate(f[2], len[2], &x.to) || x.to < x.from)
            return BERR("%s:%d: bad effective dates '%s'..'%s'", path, lineno, f[1], f[2]);
        if (kind == 'a') {
            /* fields 4-17: address range, odd/even, street, secondary, city, ZIP, +4 */
            if (!digits(f[15], len[15], 5, 5) || !digits(f[16], len[16], 0, 4) ||
                !digits(f[3], len[3], 1, 10) || !digits(f[4], len[4], 1, 10) || len[7] == 0)
                return BERR("%s:%d: bad address record (house numbers, street, ZIP)", path, lineno);
            uint32_t z = num(f[15], len[15]);
            uint32_t p4 = len[16] ? num(f[16], len[16]) : 0;
            x.lo = z * 10000 + p4;
            x.hi = len[16] ? x.lo : z * 10000 + 9999;
            x.alo = num(f[3], len[3]);
            x.ahi = num(f[4], len[4]);
            x.oe = (char)toupper((unsigned char)(len[5] ? f[5][0] : 'B'));
            if (x.alo > x.ahi || !strchr("OEB", x.oe))
                return BERR("%s:%d: bad address range", path, lineno);
            char st[128], w[128];
            snprintf(st, sizeof st, "%s %s %s %s", f[6], f[7], f[8], f[9]);
            words(w, sizeof w, st);
            if ((x.street = bpool(b, w)) == UINT32_MAX)
                return BOOM();
        } else {
            /* fields 18-21: ZIP5 low, +4 low, ZIP5 high, +4 high (+4 written without its
             * leading zeros in some files: "1" = 0001) */
            if (!digits(f[17], len[17], 5, 5) || !digits(f[19], len[19], 5, 5))
                return BERR("%s:%d: bad ZIP range '%s'..'%s'", path, lineno, f[17], f[19]);
            uint32_t plo = 0, phi = 9999;
            if (kind == '4') {
                if (!digits(f[18], len[18], 1, 4) || !digits(f[20], len[20], 1, 4))
                    return BERR("%s:%d: bad ZIP+4 range '%s'..'%s'", path, lineno, f[18], f[20]);
                plo = num(f[18], len[18]);
                phi = num(f[20], len[20]);
            }
            x.lo = num(f[17], len[17]) * 10000 + plo;
            x.hi = num(f[19], len[19]) * 10000 + phi;
            if (x.hi < x.lo)
                return BERR("%s:%d: ZIP range ends before it starts", path, lineno);
        }
        /* fields 23-27: FIPS state, state indicator, county, place, place class */
        const char *st = len[22] == 2 ? levy_rates_state_from_fips(f[22]) : NULL;
        if (!st)
            return BERR("%s:%d: bad state FIPS '%s'", path, lineno, f[22]);
        if (!state_out[0])
            snprintf(state_out, 3, "%s", st);
        else if (strcmp(state_out, st) != 0)
            return BERR("%s:%d: state %s in a file of state %s", path, lineno, st, state_out);
        memcpy(x.st, st, 3);
        if (!digits(f[24], len[24], 0, 3) || (len[24] && len[24] != 3))
            return BERR("%s:%d: bad county FIPS '%s'", path, lineno, f[24]);
        if (len[25] >= sizeof x.place)
            return BERR("%s:%d: bad place code '%s'", path, lineno, f[25]);
        memcpy(x.county, f[24], len[24] + 1);
        memcpy(x.place, f[25], len[25] + 1);
        /* fields 30-89: (code source, special tax district code, type of taxing authority);
         * type 45 (a state-level alternate id, e.g. WA's location codes) is not a district */
        x.dist = (uint32_t)b->ncodes;
        for (int k = 0; k < BND_MAX_DIST && 29 + 3 * k + 2 < nf; k++) {
            const char *code = f[30 + 3 * k], *type = f[31 + 3 * k];
            size_t cl = len[30 + 3 * k], tl = len[31 + 3 * k];
            if (cl == 0)
                continue;
            if (cl >= sizeof b->codes[0].code || tl > 2)
                return BERR("%s:%d: bad special district '%s' type '%s'", path, lineno, code, type);
            if (strcmp(type, "45") == 0)
                continue;
            if (levy_rates_grow((void **)&b->codes, &b->ccap, b->ncodes + 1, sizeof *b->codes))
                return BOOM();
            bcode *c = &b->codes[b->ncodes++];
            memcpy(c->code, code, cl + 1);
            memcpy(c->type, type, tl + 1);
            x.nd++;
        }
        uint32_t z0 = x.lo / 10000, z1 = x.hi / 10000;
        if (b->nidx + (z1 - z0) + 1 > BND_MAX_INDEX)
            return BERR("%s:%d: too many ZIP5s in the boundary records (over %d)", path, lineno,
                        BND_MAX_INDEX);
        if (levy_rates_grow((void **)&b->rec, &b->rcap, b->nrec + 1, sizeof *b->rec) ||
            levy_rates_grow((void **)&b->idx, &b->icap, b->nidx + (z1 - z0) + 1, sizeof *b->idx))
            return BOOM();
        for (uint32_t z = z0; z <= z1; z++)
            b->idx[b->nidx++] = (bidx){z, (uint32_t)b->nrec};
        b->rec[b->nrec++] = x;
        n++;
    }
    if (n == 0)
        return BERR("%s: no rows", path);
    levy_rates_sst_vintage(path, vintage_out);
    *rows = n;
    return LEVY_OK;
}

static int jur_cmp(const void *a, const void *c)
{
    const bjur *x = a, *y = c;
    int k = strcmp(x->st, y->st);
    if (!k)
        k = strcmp(x->code, y->code);
    if (!k)
        k = strcmp(x->type, y->type);
    if (!k)
        k = x->from < y->from ? -1 : x->from > y->from;
    return k;
}

static int idx_cmp(const void *a, const void *c)
{
    const bidx *x = a, *y = c;
    if (x->zip != y->zip)
        return x->zip < y->zip ? -1 : 1;
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* Notes of SST jurisdictions whose name the shipped data does not give (issue 19). */
static const char NOTE_SST_COUNTY[] =
    "county named by its FIPS code: not in the shipped Census county file (data/us/census-fips)";
static const char NOTE_SST_PLACE[] =
    "place named by its FIPS code: the shipped Census place file (data/us/census-fips) lists "
    "only the places the ZIP table's city regions name, not this one";
static const char NOTE_SST_PLACE_CODE[] =
    "place code of the SST boundary file is not a 5-digit FIPS place code: no authority code";
static const char NOTE_SST_DISTRICT[] =
    "special taxing district: its authority code is its SST jurisdiction code; the SST rate "
    "and boundary files do not name it";

/* Names and authority codes of the rate rows (issue 19, names that file correctly): the
 * state's FIPS ("20"); a county's state + county FIPS ("20091") and Census name; a place's
 * state + place FIPS ("2053775", as data/us/census-fips writes it) and Census name; a special
 * district its SST jurisdiction code, level district, with a note (no names in SST files). */
typedef struct place_ref {
    const char *code, *name;
} place_ref;

static int place_ref_cmp(const void *a, const void *c)
{
    return strcmp(((const place_ref *)a)->code, ((const place_ref *)c)->code);
}

static void name_jurs(levy_rates *r, struct levy_boundary *b)
{
    /* the Census places by code (data/us/census-fips/places-2010.csv; a code may be listed as
     * both a place and a county subdivision, under one name) */
    place_ref *pl = r->nplaces ? malloc(r->nplaces * sizeof *pl) : NULL;
    size_t npl = 0;
    for (size_t i = 0; pl && i < r->nplaces; i++)
        pl[npl++] = (place_ref){r->pool + r->places[i].code, r->pool + r->places[i].key};
    if (npl)
        qsort(pl, npl, sizeof *pl, place_ref_cmp);
    for (size_t i = 0; i < b->njur; i++) {
        bjur *j = &b->jur[i];
        const char *fips = levy_rates_state_fips(j->st);
        char code[16];
        const char *name = NULL;
        j->note = NULL;
        j->acode = 0;
        code[0] = 0;
        if (!fips)
            continue;
        if (strcmp(j->type, "45") == 0) {
            snprintf(code, sizeof code, "%s", fips);
        } else if (strcmp(j->type, "00") == 0) {
            snprintf(code, sizeof code, "%s%s", fips, j->code);
            name = strlen(j->code) == 3 ? levy_rates_county_name(r, code) : NULL;
            j->note = name ? NULL : NOTE_SST_COUNTY;
        } else if (strcmp(j->type, "01") == 0) {
            if (strlen(j->code) == 5 && digits(j->code, 5, 5, 5)) {
                snprintf(code, sizeof code, "%s%s", fips, j->code);
                place_ref key = {code, NULL};
                const place_ref *m = npl ? bsearch(&key, pl, npl, sizeof *pl, place_ref_cmp) : NULL;
                name = m ? m->name : NULL;
                j->note = name ? NULL : NOTE_SST_PLACE;
            } else {
                j->note = NOTE_SST_PLACE_CODE;
            }
        } else {
            snprintf(code, sizeof code, "%s", j->code);
            j->note = NOTE_SST_DISTRICT;
        }
        if (name) {
            uint32_t off = bpool(b, name);
            if (off != UINT32_MAX)
                j->name = off;
        }
        if (code[0]) {
            uint32_t off = bpool(b, code);
            if (off != UINT32_MAX)
                j->acode = off;
        }
    }
    free(pl);
}

void levy_boundary_finish(levy_rates *r)
{
    struct levy_boundary *b = r->bnd;
    if (!b)
        return;
    name_jurs(r, b);
    if (b->njur)
        qsort(b->jur, b->njur, sizeof *b->jur, jur_cmp);
    if (b->nidx)
        qsort(b->idx, b->nidx, sizeof *b->idx, idx_cmp);
}

void levy_boundary_free(levy_rates *r)
{
    struct levy_boundary *b = r->bnd;
    if (!b)
        return;
    free(b->jur);
    free(b->rec);
    free(b->codes);
    free(b->idx);
    free(b->pool);
    free(b);
    r->bnd = NULL;
}

/* ---------------------------------------------------------------- resolution */

/* The rate row of (st, code) at date; type "" = any type but state/county/place. */
static const bjur *jur_find(const struct levy_boundary *b, const char *st, const char *type,
                            const char *code, int32_t date)
{
    size_t lo = 0, hi = b->njur;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const bjur *j = &b->jur[mid];
        int k = strcmp(j->st, st);
        if (!k)
            k = strcmp(j->code, code);
        if (k < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const bjur *any = NULL;
    for (size_t i = lo;
         i < b->njur && strcmp(b->jur[i].st, st) == 0 && strcmp(b->jur[i].code, code) == 0; i++) {
        const bjur *j = &b->jur[i];
        if (date < j->from || date > j->to)
            continue;
        if (strcmp(j->type, type) == 0)
            return j;
        if (!any && strcmp(j->type, "45") != 0 && strcmp(j->type, "00") != 0 &&
            strcmp(j->type, "01") != 0)
            any = j;
    }
    return any;
}

typedef struct bset {
    int n;
    const bjur *j[LEVY_TAX_MAX_ENTRIES];
    uint8_t level[LEVY_TAX_MAX_ENTRIES];
    int64_t rate;
} bset;

/* The jurisdictions of record x at date with their rate rows; -1 without the state's rate. */
static int rec_set(const struct levy_boundary *b, const brec *x, const char *fips, int32_t date,
                   bset *s)
{
    memset(s, 0, sizeof *s);
    const bjur *j = jur_find(b, x->st, "45", fips, date);
    if (!j)
        return -1;
    s->j[s->n] = j;
    s->level[s->n++] = LEVY_LEVEL_STATE;
    if (x->county[0] && (j = jur_find(b, x->st, "00", x->county, date))) {
        s->j[s->n] = j;
        s->level[s->n++] = LEVY_LEVEL_COUNTY;
    }
    if (x->place[0] && (j = jur_find(b, x->st, "01", x->place, date))) {
        s->j[s->n] = j;
        s->level[s->n++] = LEVY_LEVEL_CITY;
    }
    for (uint32_t k = 0; k < x->nd && s->n < LEVY_TAX_MAX_ENTRIES; k++) {
        const bcode *c = &b->codes[x->dist + k];
        if ((j = jur_find(b, x->st, c->type, c->code, date))) {
            int dup = 0;
            for (int i = 0; i < s->n; i++)
                dup |= s->j[i] == j;
            if (!dup) {
                s->j[s->n] = j;
                s->level[s->n++] = LEVY_LEVEL_DISTRICT;
            }
        }
    }
    for (int i = 0; i < s->n; i++)
        s->rate += s->j[i]->rate;
    return 0;
}

static int same_set(const bset *a, const levy_tax_candidate *c, const struct levy_boundary *b)
{
    if (a->n != c->nj)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (BP(b, a->j[i]->name) != c->jur[i])
            return 0;
    return 1;
}

/* House number and street words of line1 ("1200 N. Main St Apt 4" -> 1200, "N MAIN ST APT
 * 4"); -1 without a leading number. */
static int64_t street_of(const char *line1, char *w, size_t cap)
{
    const char *p = line1;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t h = 0;
    while (isdigit((unsigned char)*p) && h < 10000000000LL)
        h = h * 10 + (*p++ - '0');
    words(w, cap, p);
    return h;
}

/* 1 if the words of `want` appear in `have` as a run of whole words. */
static int has_words(const char *have, const char *want)
{
    size_t wl = strlen(want);
    if (!wl)
        return 1;
    for (const char *p = have; (p = strstr(p, want)); p++)
        if ((p == have || p[-1] == ' ') && (p[wl] == 0 || p[wl] == ' '))
            return 1;
    return 0;
}

static int address_match(const struct levy_boundary *b, const brec *x, int64_t house,
                         const char *street)
{
    if (house < x->alo || house > x->ahi)
        return 0;
    if ((x->oe == 'O' && house % 2 == 0) || (x->oe == 'E' && house % 2 == 1))
        return 0;
    /* the record's whole street ("W 110TH ST": directional, name, suffix) as words of the
     * line; a line without the directional is not taken ("110th St" may be E or W 110th,
     * which can lie in different jurisdictions): it stays a ZIP+4 / ZIP5 answer */
    return has_words(street, BP(b, x->street));
}

static void put_entries(levy_tax_resolution *res, const struct levy_boundary *b, const bset *s)
{
    res->n = 0;
    for (int i = 0; i < s->n && res->n < LEVY_TAX_MAX_ENTRIES; i++) {
        if (s->j[i]->rate <= 0)
            continue;
        levy_tax_entry *e = levy_rates_add_entry(res, BP(b, s->j[i]->name), NULL, s->level[i],
                                                 LEVY_TYPE_SALES_TAX, s->j[i]->rate, 0);
        if (e) {
            e->code = s->j[i]->acode ? BP(b, s->j[i]->acode) : NULL;
            e->note = s->j[i]->note;
        }
    }
}

int levy_boundary_resolve(const levy_rates *r, const char *st, const levy_tax_address *a,
                          const char *line1, int32_t date, levy_tax_resolution *res)
{
    const struct levy_boundary *b = r->bnd;
    const char *z = a->zip;
    if (!b || !b->nidx || !z)
        return 0;
    uint32_t zip = num(z, 5);
    int p4 = -1;
    size_t zl = strlen(z);
    if (zl == 10)
        p4 = (int)num(z + 6, 4);
    else if (zl == 9)
        p4 = (int)num(z + 5, 4);
    size_t lo = 0, hi = b->nidx;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->idx[mid].zip < zip)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == b->nidx || b->idx[lo].zip != zip) /* no boundary record for this ZIP */
        return 0;
    const char *fips = levy_rates_state_fips(st);
    if (!fips)
        return 0;
    /* the ZIP table's guesses at the ZIP's areas (rates.c: a partial-ZIP district's or city's
     * candidates, a plain-named region's two special rates) give way to the boundary records,
     * which list the ZIP's own sets below */
    if (res->ncand && (res->cand[0].area || res->cand[0].district)) {
        res->ncand = res->ncand_all = 0;
        res->ambiguous = 0;
    }
    char street[128];
    int64_t house = line1 ? street_of(line1, street, sizeof street) : -1;
    const brec *exact = NULL, *a4 = NULL; /* a4: an address record carrying the ZIP+4 */
    int exact_kind = 0, a4_conflict = 0;
    bset a4set;
    uint32_t want = p4 >= 0 ? zip * 10000 + (uint32_t)p4 : 0;
    int nrec = 0;
    for (size_t i = lo; i < b->nidx && b->idx[i].zip == zip; i++) {
        const brec *x = &b->rec[b->idx[i].rec];
        if (strcmp(x->st, st) != 0 || date < x->from || date > x->to)
            continue;
        nrec++;
        bset s;
        if (rec_set(b, x, fips, date, &s))
            continue;
        if (x->kind == 'a' && house >= 0 && address_match(b, x, house, street)) {
            if (exact_kind != LEVY_RES_ADDRESS || x->ahi - x->alo < exact->ahi - exact->alo) {
                exact = x;
                exact_kind = LEVY_RES_ADDRESS;
            }
        } else if (x->kind == '4' && p4 >= 0 && want >= x->lo && want <= x->hi &&
                   exact_kind != LEVY_RES_ADDRESS) {
            if (!exact || x->hi - x->lo < exact->hi - exact->lo) {
                exact = x;
                exact_kind = LEVY_RES_ZIP4;
            }
        }
        /* states whose boundary file lists addresses (A records, each with its ZIP+4) and no
         * ZIP+4 ranges: a ZIP+4 is located when every address record carrying it agrees */
        if (x->kind == 'a' && p4 >= 0 && x->lo == x->hi && x->lo == want) {
            if (!a4) {
                a4 = x;
                a4set = s;
            } else if (a4set.n != s.n || memcmp(a4set.j, s.j, sizeof s.j[0] * (size_t)s.n) != 0) {
                a4_conflict = 1;
            }
        }
        /* the ZIP's candidate sets: one per distinct list of jurisdictions */
        int c = 0;
        while (c < res->ncand && !same_set(&s, &res->cand[c], b))
            c++;
        if (c == res->ncand) {
            res->ncand_all++;
            if (res->ncand == LEVY_TAX_MAX_CANDIDATES)
                continue;
            levy_tax_candidate *nc = &res->cand[res->ncand++];
            memset(nc, 0, sizeof *nc);
            nc->rate = s.rate;
            for (int k = 0; k < s.n; k++) {
                nc->code[nc->nj] = s.j[k]->acode ? BP(b, s.j[k]->acode) : NULL;
                nc->jur[nc->nj++] = BP(b, s.j[k]->name);
            }
        }
        levy_tax_candidate *cc = &res->cand[c];
        if (x->kind == 'z') {
            cc->is_default = 1;
        } else {
            uint32_t rlo = x->lo < zip * 10000 ? zip * 10000 : x->lo;
            uint32_t rhi = x->hi > zip * 10000 + 9999 ? zip * 10000 + 9999 : x->hi;
            if (cc->nranges < LEVY_TAX_CAND_RANGES) {
                cc->lo[cc->nranges] = rlo;
                cc->hi[cc->nranges++] = rhi;
            }
            cc->ranges_all++;
        }
    }
    if (!exact && a4 && !a4_conflict) {
        exact = a4;
        exact_kind = LEVY_RES_ZIP4;
    }
    snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(zip % 100000));
    int ambiguous = 0;
    for (int c = 1; c < res->ncand; c++)
        ambiguous |= res->cand[c].rate != res->cand[0].rate;
    /* the candidates stay listed (for rules: a city line through a ZIP at equal rates, e.g.
     * a city's own tax outside sales tax, _lib/local_tax.lua) unless a record matched; the
     * answer shows them as ambiguous_zip only when their rates differ */
    res->ambiguous = ambiguous && !exact;
    if (exact)
        res->ncand = res->ncand_all = 0;
    if (!exact)
        return 0;
    bset s;
    rec_set(b, exact, fips, date, &s);
    put_entries(res, b, &s);
    res->precision = exact_kind;
    levy_rates_use_table(res, exact->table);
    levy_rates_use_table(res, s.j[0]->table);
    (void)nrec;
    return 1;
}
