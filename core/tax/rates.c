/* Rate index: loaders for every supported table format, the lookup structures (sorted
 * arrays searched by binary search) and address resolution. Formats: CONTRACT section 5 and
 * data/README.md. Rates are int64 scaled by 10^8 (stored as int32: every rate < 21.47). */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "dec.h"
#include "territory.h"
#include "rates-internal.h"

/* ---------------------------------------------------------------- static facts */

static const struct {
    const char code[3];
    const char fips[3];
    const char *name;
} us_states[] = {
    {"AL", "01", "ALABAMA"},
    {"AK", "02", "ALASKA"},
    {"AZ", "04", "ARIZONA"},
    {"AR", "05", "ARKANSAS"},
    {"CA", "06", "CALIFORNIA"},
    {"CO", "08", "COLORADO"},
    {"CT", "09", "CONNECTICUT"},
    {"DE", "10", "DELAWARE"},
    {"DC", "11", "DISTRICT OF COLUMBIA"},
    {"FL", "12", "FLORIDA"},
    {"GA", "13", "GEORGIA"},
    {"HI", "15", "HAWAII"},
    {"ID", "16", "IDAHO"},
    {"IL", "17", "ILLINOIS"},
    {"IN", "18", "INDIANA"},
    {"IA", "19", "IOWA"},
    {"KS", "20", "KANSAS"},
    {"KY", "21", "KENTUCKY"},
    {"LA", "22", "LOUISIANA"},
    {"ME", "23", "MAINE"},
    {"MD", "24", "MARYLAND"},
    {"MA", "25", "MASSACHUSETTS"},
    {"MI", "26", "MICHIGAN"},
    {"MN", "27", "MINNESOTA"},
    {"MS", "28", "MISSISSIPPI"},
    {"MO", "29", "MISSOURI"},
    {"MT", "30", "MONTANA"},
    {"NE", "31", "NEBRASKA"},
    {"NV", "32", "NEVADA"},
    {"NH", "33", "NEW HAMPSHIRE"},
    {"NJ", "34", "NEW JERSEY"},
    {"NM", "35", "NEW MEXICO"},
    {"NY", "36", "NEW YORK"},
    {"NC", "37", "NORTH CAROLINA"},
    {"ND", "38", "NORTH DAKOTA"},
    {"OH", "39", "OHIO"},
    {"OK", "40", "OKLAHOMA"},
    {"OR", "41", "OREGON"},
    {"PA", "42", "PENNSYLVANIA"},
    {"RI", "44", "RHODE ISLAND"},
    {"SC", "45", "SOUTH CAROLINA"},
    {"SD", "46", "SOUTH DAKOTA"},
    {"TN", "47", "TENNESSEE"},
    {"TX", "48", "TEXAS"},
    {"UT", "49", "UTAH"},
    {"VT", "50", "VERMONT"},
    {"VA", "51", "VIRGINIA"},
    {"WA", "53", "WASHINGTON"},
    {"WV", "54", "WEST VIRGINIA"},
    {"WI", "55", "WISCONSIN"},
    {"WY", "56", "WYOMING"},
    {"PR", "72", "PUERTO RICO"},
};

static const struct {
    const char code[3];
    const char *name;
} eu_members[] = {
    {"AT", "AUSTRIA"},     {"BE", "BELGIUM"},    {"BG", "BULGARIA"}, {"CY", "CYPRUS"},
    {"CZ", "CZECHIA"},     {"DE", "GERMANY"},    {"DK", "DENMARK"},  {"EE", "ESTONIA"},
    {"ES", "SPAIN"},       {"FI", "FINLAND"},    {"FR", "FRANCE"},   {"GR", "GREECE"},
    {"HR", "CROATIA"},     {"HU", "HUNGARY"},    {"IE", "IRELAND"},  {"IT", "ITALY"},
    {"LT", "LITHUANIA"},   {"LU", "LUXEMBOURG"}, {"LV", "LATVIA"},   {"MT", "MALTA"},
    {"NL", "NETHERLANDS"}, {"PL", "POLAND"},     {"PT", "PORTUGAL"}, {"RO", "ROMANIA"},
    {"SE", "SWEDEN"},      {"SI", "SLOVENIA"},   {"SK", "SLOVAKIA"},
};

static const char ca_provinces[] = "AB BC MB NB NL NS NT NU ON PE QC SK YT";

const char *levy_rates_us_state_name(const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(us_states); i++)
        if (strcmp(us_states[i].code, code) == 0)
            return us_states[i].name;
    return NULL;
}

static const char *us_state_from_fips(const char *fips)
{
    for (size_t i = 0; i < LEVY_ARRAY_LEN(us_states); i++)
        if (strcmp(us_states[i].fips, fips) == 0)
            return us_states[i].code;
    return NULL;
}

int levy_rates_ca_province(const char *code)
{
    if (!code || strlen(code) != 2)
        return 0;
    for (size_t i = 0; i + 2 <= sizeof ca_provinces - 1; i += 3)
        if (memcmp(ca_provinces + i, code, 2) == 0)
            return 1;
    return 0;
}

static const char *eu_name(const char *code)
{
    for (size_t i = 0; i < LEVY_ARRAY_LEN(eu_members); i++)
        if (strcmp(eu_members[i].code, code) == 0)
            return eu_members[i].name;
    return NULL;
}

/* ---------------------------------------------------------------- growable arrays */

static int grow(void **p, size_t *cap, size_t need, size_t elsz)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    if (elsz && nc > SIZE_MAX / elsz) /* never a wrapped size */
        return -1;
    void *np = realloc(*p, nc * elsz);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}
#define PUSH(r, arr, n, cap) grow((void **)&(r)->arr, &(r)->cap, (r)->n + 1, sizeof *(r)->arr)

/* Gives back what grow's doubling reserved beyond n elements (levy_rates_finish: the 41,001
 * ZIP rows had room for 65,536). Kept as it is when realloc fails. */
static void fit(void **p, size_t *cap, size_t n, size_t elsz)
{
    if (!*p || n == 0 || n >= *cap)
        return;
    void *np = realloc(*p, n * elsz);
    if (np) {
        *p = np;
        *cap = n;
    }
}
#define FIT(r, arr, n, cap) fit((void **)&(r)->arr, &(r)->cap, (r)->n, sizeof *(r)->arr)

_Static_assert(sizeof(zip_row) == 40, "zip_row: two- and one-byte fields last (rates-internal.h)");

/* A row's marks (rates-internal.h, zip_extra): its own, or zx_none's for the rows without. */
static const zip_extra zx_none = {.dist_base = -1};
static inline const zip_extra *zx(const levy_rates *r, const zip_row *z)
{
    return z->extra ? &r->extras[z->extra - 1] : &zx_none;
}

/* The row's marks to write, made at its first mark. levy_rates_finish reserves one per row
 * before the marks (reserve_extras), so this finds room; the room no row used is given back
 * after them (FIT). */
static zip_extra *zx_set(levy_rates *r, zip_row *z)
{
    if (!z->extra) {
        r->extras[r->nextras] = zx_none;
        z->extra = (uint32_t)++r->nextras;
    }
    return &r->extras[z->extra - 1];
}

/* Drops every row's marks and reserves one per row (capacity never touched is never
 * resident): the marks are all made again. 0, or -1 out of memory (then no row is marked). */
static int reserve_extras(levy_rates *r)
{
    for (size_t i = 0; i < r->nzips; i++)
        r->zips[i].extra = 0;
    r->nextras = 0;
    if (r->extras_cap < r->nzips) {
        free(r->extras);
        r->extras = malloc(sizeof *r->extras * (r->nzips ? r->nzips : 1));
        r->extras_cap = r->extras ? r->nzips : 0;
    }
    return r->extras ? 0 : -1;
}

/* The pool's dedup index while tables load (issue 21, idle RSS): 41,001 ZIP rows name 9,372
 * tax regions, so each name is stored once (445 KB of names -> 111 KB). Open addressing over
 * pool offsets + 1 (0 = empty slot); freed by levy_rates_finish, after which a string is
 * appended without a look-up. Offset 0 is never handed out for a repeat: some fields read 0
 * as "none" (zip_extra.out_county). */
static uint32_t pool_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int pool_index_grow(levy_rates *r)
{
    size_t ncap = r->pool_ix_cap ? r->pool_ix_cap * 2 : 4096;
    uint32_t *nix = calloc(ncap, sizeof *nix);
    if (!nix)
        return -1;
    for (size_t i = 0; i < r->pool_ix_cap; i++) {
        uint32_t o = r->pool_ix[i];
        if (!o)
            continue;
        const char *t = r->pool + o - 1;
        size_t k = pool_hash(t, strlen(t)) & (ncap - 1);
        while (nix[k])
            k = (k + 1) & (ncap - 1);
        nix[k] = o;
    }
    free(r->pool_ix);
    r->pool_ix = nix;
    r->pool_ix_cap = ncap;
    return 0;
}

/* Interns s (len bytes) into the string pool; returns its offset or UINT32_MAX on OOM. The
 * same text added twice while tables load has one offset. */
static uint32_t pool_add(levy_rates *r, const char *s, size_t len)
{
    int indexed = !r->pool_done && memchr(s, 0, len) == NULL;
    size_t slot = 0;
    if (indexed) {
        if ((r->pool_ix_n + 1) * 2 > r->pool_ix_cap && pool_index_grow(r))
            return UINT32_MAX;
        slot = pool_hash(s, len) & (r->pool_ix_cap - 1);
        for (uint32_t o; (o = r->pool_ix[slot]) != 0; slot = (slot + 1) & (r->pool_ix_cap - 1)) {
            const char *t = r->pool + o - 1;
            if (strncmp(t, s, len) == 0 && t[len] == 0)
                return o - 1;
        }
    }
    if (r->pool_len + len + 1 >= UINT32_MAX ||
        grow((void **)&r->pool, &r->pool_cap, r->pool_len + len + 1, 1))
        return UINT32_MAX;
    uint32_t off = (uint32_t)r->pool_len;
    memcpy(r->pool + off, s, len);
    r->pool[off + len] = 0;
    r->pool_len += len + 1;
    if (indexed && off > 0) {
        r->pool_ix[slot] = off + 1;
        r->pool_ix_n++;
    }
    return off;
}

static const char *P(const levy_rates *r, uint32_t off) { return r->pool + off; }

/* ---------------------------------------------------------------- CSV */

/* Splits line (modified in place: quotes removed) into fields. Returns field count or -1. */
static int csv_split(char *line, csv_row *row)
{
    row->n = 0;
    char *p = line;
    for (;;) {
        if (row->n >= (int)LEVY_ARRAY_LEN(row->f))
            return -1;
        char *start = p, *w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == 0)
                    return -1;
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            if (*p != ',' && *p != 0)
                return -1;
        } else {
            while (*p && *p != ',')
                p++;
            w = p;
        }
        row->f[row->n] = start;
        row->len[row->n] = (size_t)(w - start);
        row->n++;
        if (*p == 0) {
            *w = 0;
            break;
        }
        *w = 0;
        p++;
    }
    /* trim spaces */
    for (int i = 0; i < row->n; i++) {
        while (row->len[i] && isspace((unsigned char)row->f[i][0])) {
            row->f[i]++;
            row->len[i]--;
        }
        while (row->len[i] && isspace((unsigned char)row->f[i][row->len[i] - 1]))
            row->f[i][--row->len[i]] = 0;
    }
    return row->n;
}

static int col_index(const csv_row *hdr, const char *name)
{
    for (int i = 0; i < hdr->n; i++)
        if (strcmp(hdr->f[i], name) == 0)
            return i;
    return -1;
}

/* Iterates lines: returns next line (NUL-terminated, CR stripped) or NULL. */
static char *next_line(char **cur)
{
    char *s = *cur;
    if (!s || !*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = 0;
        *cur = nl + 1;
    } else {
        *cur = s + strlen(s);
    }
    size_t l = strlen(s);
    if (l && s[l - 1] == '\r')
        s[l - 1] = 0;
    return s;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s) && *s != ',')
            return 0;
    return 1;
}

#define ROWERR(...) levy_err_set(err, LEVY_EINVAL, "bad_rate_table", __VA_ARGS__)

/* A CSV table being read: its header (columns found by name), then its rows with line numbers
 * for the error messages. The one scaffold of the rate-table loaders. */
typedef struct csv_table {
    const char *path;
    char *cur;
    csv_row hdr;
    int lineno;
} csv_table;

/* Reads the header line and finds names[0..n) in it (col[i] = index); a missing header or
 * column is a bad_rate_table error naming it. */
static int csv_open(csv_table *t, const char *path, char *text, const char *const *names, int n,
                    int *col, levy_err *err)
{
    t->path = path;
    t->cur = text;
    t->lineno = 1;
    char *line = next_line(&t->cur);
    if (!line || csv_split(line, &t->hdr) < 0)
        return ROWERR("%s:1: missing header", path);
    for (int i = 0; i < n; i++)
        if ((col[i] = col_index(&t->hdr, names[i])) < 0)
            return ROWERR("%s:1: missing column %s", path, names[i]);
    return LEVY_OK;
}

/* The next non-blank row, with at least the header's columns: 1, 0 at the end, or an error
 * (< 0, "expected N columns" with the line number). */
static int csv_next(csv_table *t, csv_row *row, levy_err *err)
{
    char *line;
    while ((line = next_line(&t->cur))) {
        t->lineno++;
        if (blank(line))
            continue;
        if (csv_split(line, row) < 0 || row->n < t->hdr.n)
            return ROWERR("%s:%d: expected %d columns", t->path, t->lineno, t->hdr.n);
        return 1;
    }
    return 0;
}

/* After the last row (more = csv_next's last answer): its error, or "no rows", or *rows = n. */
static int csv_done(const csv_table *t, int more, long n, long *rows, levy_err *err)
{
    if (more < 0)
        return more;
    if (n == 0)
        return ROWERR("%s: no rows", t->path);
    *rows = n;
    return LEVY_OK;
}

/* Rate fraction "0.0725" -> 7250000 (10^-8). */
static int parse_frac(const char *s, size_t len, int32_t *out)
{
    int64_t v;
    if (levy_tax_dec_parse(s, len, 8, 8, 0, &v) || v > 2 * LEVY_TAX_RATE_ONE / 10 * 10)
        return -1;
    if (v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}
/* Percent "9.975" -> 9975000 (10^-8 of one). */
static int parse_pct(const char *s, size_t len, int32_t *out)
{
    int64_t v;
    if (levy_tax_dec_parse(s, len, 6, 6, 0, &v) || v > 100 * 1000000LL)
        return -1;
    *out = (int32_t)v;
    return 0;
}
static int parse_date_field(const char *s, size_t len, int32_t *out, int32_t dflt)
{
    if (len == 0) {
        *out = dflt;
        return 0;
    }
    return levy_tax_date_parse(s, len, out);
}

/* The upper case of the Latin letter U+00E0..U+017F cp (Latin-1 Supplement and Latin
 * Extended-A), or cp itself: "ñ" -> "Ñ", "ń" -> "Ń", "ÿ" -> "Ÿ" (U+0178), "ı" -> "I",
 * "ſ" -> "S"; "÷", "ß", "ĸ" and "ŉ" have no single upper-case letter and stay. */
static unsigned latin_upper(unsigned cp)
{
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)
        return cp - 0x20;
    if (cp == 0xFF)
        return 0x178;
    if (cp == 0x131)
        return 'I';
    if (cp == 0x17F)
        return 'S';
    /* pairs: upper case at even code points from U+0100 and U+014A, at odd ones from U+0139 and
     * U+0179 */
    int even_upper = (cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    int odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if ((even_upper && (cp & 1)) || (odd_upper && !(cp & 1)))
        return cp - 1;
    return cp;
}

/* Upper-cases the character at s (n bytes left) into out, UTF-8 aware: ASCII by toupper,
 * U+00E0..U+017F by latin_upper (issue 19: Census names such as "Añasco Municipio"), any other
 * well-formed sequence copied whole, a stray byte as it is. Returns the bytes written (1..4);
 * *used = the bytes of s read. */
static size_t upper_char(const unsigned char *s, size_t n, unsigned char out[4], size_t *used)
{
    unsigned char c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 1;
    for (size_t i = 1; i < len; i++)
        if (i >= n || (s[i] & 0xC0) != 0x80)
            len = 1; /* truncated or ill-formed: the lead byte alone, as before */
    *used = len;
    if (len == 1) {
        out[0] = (unsigned char)toupper(c);
        return 1;
    }
    if (len == 2) {
        unsigned cp = ((unsigned)(c & 0x1F) << 6) | (s[1] & 0x3F), up = latin_upper(cp);
        if (up < 0x80) {
            out[0] = (unsigned char)up;
            return 1;
        }
        out[0] = (unsigned char)(0xC0 | (up >> 6));
        out[1] = (unsigned char)(0x80 | (up & 0x3F));
        return 2;
    }
    memcpy(out, s, len);
    return len;
}

static void upcase(char *d, const char *s, size_t cap)
{
    size_t o = 0, n = strlen(s);
    int sp = 1;
    while (*s && o + 1 < cap) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c)) {
            if (!sp)
                d[o++] = ' ';
            sp = 1;
            s++, n--;
            continue;
        }
        sp = 0;
        unsigned char u[4];
        size_t used, k = upper_char((const unsigned char *)s, n, u, &used);
        if (o + k + 1 > cap)
            break; /* a character is never cut */
        memcpy(d + o, u, k);
        o += k;
        s += used, n -= used;
    }
    while (o && d[o - 1] == ' ')
        o--;
    d[o] = 0;
}

/* The CSV and pool helpers, for the state-file loaders in stateformats.c. */
int levy_rates_csv_split(char *line, csv_row *row) { return csv_split(line, row); }
char *levy_rates_next_line(char **cur) { return next_line(cur); }
int levy_rates_blank_line(const char *s) { return blank(s); }
int levy_rates_parse_frac(const char *s, size_t len, int32_t *out)
{
    return parse_frac(s, len, out);
}
void levy_rates_upcase(char *d, const char *s, size_t cap) { upcase(d, s, cap); }
uint32_t levy_rates_pool_add(levy_rates *r, const char *s, size_t len)
{
    return pool_add(r, s, len);
}
const char *levy_rates_pool(const levy_rates *r, uint32_t off) { return P(r, off); }
void levy_rates_sst_vintage(const char *path, char *out)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *q = strchr(base, 'Q');
    if (q && q - base >= 4 && isdigit((unsigned char)q[1]))
        snprintf(out, 16, "%.4sQ%c", q - 4, q[1]);
    else
        strcpy(out, "unknown");
}
int levy_rates_grow(void **p, size_t *cap, size_t need, size_t elsz)
{
    return grow(p, cap, need, elsz);
}

/* ---------------------------------------------------------------- table registry */

static int add_table(levy_rates *r, const char *source, const char *vintage, const char *path,
                     long rows)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    /* merge files of one source + vintage in one directory (the 52 Avalara files) */
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    for (int i = 0; i < r->ntables; i++) {
        rates_table_rec *t = &r->tables[i];
        if (strcmp(P(r, t->source), source) == 0 && strcmp(P(r, t->vintage), vintage) == 0 &&
            strcmp(P(r, t->dir), dir) == 0) {
            t->rows += rows;
            t->files++;
            t->stale_set = 0;
            return i;
        }
    }
    if (grow((void **)&r->tables, &r->tables_cap, (size_t)r->ntables + 1, sizeof *r->tables))
        return -1;
    rates_table_rec *t = &r->tables[r->ntables];
    t->source = pool_add(r, source, strlen(source));
    t->vintage = pool_add(r, vintage, strlen(vintage));
    t->path = pool_add(r, path, strlen(path));
    t->dir = pool_add(r, dir, strlen(dir));
    if (t->source == UINT32_MAX || t->vintage == UINT32_MAX || t->path == UINT32_MAX ||
        t->dir == UINT32_MAX)
        return -1;
    t->rows = rows;
    t->files = 1;
    t->stale_after = 0;
    t->stale_set = 0;
    return r->ntables++;
}

/* ---------------------------------------------------------------- loaders */

static int load_avalara(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                        levy_err *err)
{
    csv_table tab;
    csv_row row;
    enum { C_ST, C_ZIP, C_NAME, C_COMB, C_STATE, C_COUNTY, C_CITY, C_SPECIAL, C_N };
    static const char *names[C_N] = {"State",
                                     "ZipCode",
                                     "TaxRegionName",
                                     "EstimatedCombinedRate",
                                     "StateRate",
                                     "EstimatedCountyRate",
                                     "EstimatedCityRate",
                                     "EstimatedSpecialRate"};
    int col[C_N];
    int more = csv_open(&tab, path, text, names, C_N, col, err);
    if (more != LEVY_OK)
        return more;
    long n = 0;
    while ((more = csv_next(&tab, &row, err)) > 0) {
        const int lineno = tab.lineno;
        zip_row z;
        memset(&z, 0, sizeof z);
        const char *st = row.f[col[C_ST]];
        if (row.len[col[C_ST]] != 2 || !levy_rates_us_state_name(st))
            return ROWERR("%s:%d: bad State '%s'", path, lineno, st);
        memcpy(z.st, st, 2);
        const char *zs = row.f[col[C_ZIP]];
        size_t zl = row.len[col[C_ZIP]];
        if (zl == 0 || zl > 5)
            return ROWERR("%s:%d: bad ZipCode '%s'", path, lineno, zs);
        uint32_t zip = 0;
        for (size_t i = 0; i < zl; i++) {
            if (!isdigit((unsigned char)zs[i]))
                return ROWERR("%s:%d: bad ZipCode '%s'", path, lineno, zs);
            zip = zip * 10 + (uint32_t)(zs[i] - '0');
        }
        z.zip = zip;
        int32_t *dst[] = {&z.combined, &z.state, &z.county, &z.city, &z.special};
        for (int k = 0; k < 5; k++) {
            int c = col[C_COMB + k];
            if (parse_frac(row.f[c], row.len[c], dst[k]))
                return ROWERR("%s:%d: bad rate %s '%s'", path, lineno, names[C_COMB + k], row.f[c]);
        }
        char nm[128];
        upcase(nm, row.f[col[C_NAME]], sizeof nm);
        z.name = pool_add(r, nm, strlen(nm));
        if (r->nzips >= UINT32_MAX - 1) /* row indices are uint32_t (by_region, city_out...) */
            return ROWERR("%s:%d: too many ZIP rows", path, lineno);
        if (z.name == UINT32_MAX || PUSH(r, zips, nzips, zips_cap))
            return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        r->zips[r->nzips++] = z;
        n++;
    }
    if (more < 0)
        return more;
    if (n == 0)
        return ROWERR("%s: no rows", path);
    /* vintage from the file name: ..._XXYYYYMM.csv */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    strcpy(vintage_out, "unknown");
    if (dot && dot - base >= 6) {
        const char *d = dot - 6;
        int ok = 1;
        for (int i = 0; i < 6; i++)
            ok &= isdigit((unsigned char)d[i]) != 0;
        if (ok)
            snprintf(vintage_out, 16, "%.4s-%.2s", d, d + 4);
    }
    *rows = n;
    return LEVY_OK;
}

static int load_cdtfa(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                      levy_err *err)
{
    char *cur = text, *line;
    csv_row hdr, row;
    line = next_line(&cur);
    if (!line || csv_split(line, &hdr) < 0)
        return ROWERR("%s:1: missing header", path);
    int cl = col_index(&hdr, "Location"), cr = col_index(&hdr, "Rate"),
        cc = col_index(&hdr, "County"), ct = col_index(&hdr, "Type");
    if (cl < 0 || cr < 0 || cc < 0 || ct < 0)
        return ROWERR("%s:1: missing column (need Location, Rate, County, Type)", path);
    int lineno = 1;
    long n = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (blank(line))
            continue;
        if (csv_split(line, &row) < 0 || row.n <= ct || row.n <= cc)
            return ROWERR("%s:%d: expected %d columns", path, lineno, hdr.n);
        int is_city = strcmp(row.f[ct], "City") == 0, is_county = strcmp(row.f[ct], "County") == 0;
        if (!is_city && !is_county) {
            n++; /* a notes row (CDTFA's "Please refer to..."): read, not a rate */
            continue;
        }
        cdtfa_row c;
        if (parse_frac(row.f[cr], row.len[cr], &c.rate))
            return ROWERR("%s:%d: bad Rate '%s'", path, lineno, row.f[cr]);
        char nm[128], county[128];
        upcase(nm, row.f[cl], sizeof nm);
        upcase(county, row.f[cc], sizeof county);
        c.name = pool_add(r, nm, strlen(nm));
        c.county = pool_add(r, county, strlen(county));
        c.is_city = (uint8_t)is_city;
        c.uninc = 0;
        if (is_county) {
            char un[160];
            snprintf(un, sizeof un, "%s (UNINCORPORATED)", nm);
            c.uninc = pool_add(r, un, strlen(un));
        }
        if (c.name == UINT32_MAX || c.county == UINT32_MAX || c.uninc == UINT32_MAX ||
            PUSH(r, cdtfa, ncdtfa, cdtfa_cap))
            return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        r->cdtfa[r->ncdtfa++] = c;
        n++;
    }
    if (n == 0)
        return ROWERR("%s: no rows", path);
    /* vintage from "SalesTaxRates1-1-26": M-D-YY */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int m = 0, d = 0, y = 0;
    const char *p = base;
    while (*p && !isdigit((unsigned char)*p))
        p++;
    if (sscanf(p, "%d-%d-%d", &m, &d, &y) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31 &&
        y >= 0 && y < 100)
        snprintf(vintage_out, 16, "20%02d-%02d-%02d", y, m, d);
    else
        strcpy(vintage_out, "unknown");
    *rows = n;
    return LEVY_OK;
}

static int load_sst(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                    char *state_out, levy_err *err)
{
    char *cur = text, *line;
    csv_row row;
    int lineno = 0;
    long n = 0;
    state_out[0] = 0;
    while ((line = next_line(&cur))) {
        lineno++;
        if (blank(line))
            continue;
        if (csv_split(line, &row) != 9)
            return ROWERR("%s:%d: expected 9 columns (SST rate file)", path, lineno);
        if (row.len[0] != 2 || !us_state_from_fips(row.f[0]))
            return ROWERR("%s:%d: bad state FIPS '%s'", path, lineno, row.f[0]);
        if (row.len[1] != 2 || !isdigit((unsigned char)row.f[1][0]))
            return ROWERR("%s:%d: bad jurisdiction type '%s'", path, lineno, row.f[1]);
        int32_t rates[4], from, to;
        for (int k = 0; k < 4; k++)
            if (parse_frac(row.f[3 + k], row.len[3 + k], &rates[k]))
                return ROWERR("%s:%d: bad rate '%s'", path, lineno, row.f[3 + k]);
        for (int k = 0; k < 2; k++) {
            const char *s = row.f[7 + k];
            if (row.len[7 + k] != 8)
                return ROWERR("%s:%d: bad date '%s'", path, lineno, s);
            char iso[11];
            snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
            int32_t dv;
            if (levy_tax_date_parse(iso, 10, &dv))
                return ROWERR("%s:%d: bad date '%s'", path, lineno, s);
            if (k == 0)
                from = dv;
            else
                to = dv;
        }
        const char *st = us_state_from_fips(row.f[0]);
        if (!state_out[0])
            strcpy(state_out, st);
        if (levy_boundary_add_rate(r, st, row.f[1], row.f[2], rates[0], from, to))
            return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        if (strcmp(row.f[1], "45") == 0) {
            if (PUSH(r, sst, nsst, sst_cap))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            sst_row *s = &r->sst[r->nsst++];
            memcpy(s->st, st, 3);
            s->rate = rates[0];
            s->from = from;
            s->to = to;
        }
        n++;
    }
    if (n == 0)
        return ROWERR("%s: no rows", path);
    levy_rates_sst_vintage(path, vintage_out);
    *rows = n;
    return LEVY_OK;
}

static void vintage_max(char *vintage_out, int32_t d)
{
    char iso[11];
    levy_tax_date_fmt(iso, d);
    if (strcmp(vintage_out, "unknown") == 0 || strcmp(iso, vintage_out) > 0)
        snprintf(vintage_out, 16, "%s", iso);
}

/* The columns a Canadian, national and overlay row end with: rate_pct, effective_from,
 * effective_to (empty = open-ended) and the jurisdiction's name (upper-cased into the pool).
 * cols = {rate, from, to, name}. */
static int rate_tail(levy_rates *r, const csv_table *tab, const csv_row *row, const int cols[4],
                     int32_t *rate, int32_t *from, int32_t *to, uint32_t *name, levy_err *err)
{
    const char *path = tab->path;
    int lineno = tab->lineno;
    if (parse_pct(row->f[cols[0]], row->len[cols[0]], rate))
        return ROWERR("%s:%d: bad rate_pct '%s'", path, lineno, row->f[cols[0]]);
    if (parse_date_field(row->f[cols[1]], row->len[cols[1]], from, 0) ||
        parse_date_field(row->f[cols[2]], row->len[cols[2]], to, 99991231) || *from > *to)
        return ROWERR("%s:%d: bad effective dates", path, lineno);
    char nm[128];
    upcase(nm, row->f[cols[3]], sizeof nm);
    if (!nm[0])
        return ROWERR("%s:%d: empty jurisdiction", path, lineno);
    *name = pool_add(r, nm, strlen(nm));
    if (*name == UINT32_MAX)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    return LEVY_OK;
}

/* One row of a table whose rows end with rate_tail (load_ca, load_national, load_overlays):
 * checks it, appends it to its array in r and sets *from to its effective_from. col: the
 * header's columns in the order of the loader's names. */
typedef int (*rate_row_fn)(levy_rates *r, const csv_table *tab, const csv_row *row, const int *col,
                           int32_t *from, levy_err *err);

#define RATE_ROWS_MAX_COLS 16

/* The one row reader of those tables: header, every row through fn, the vintage (the latest
 * effective_from) and the row count. */
static int load_rate_rows(levy_rates *r, const char *path, char *text, const char *const *names,
                          int ncol, rate_row_fn fn, char *vintage_out, long *rows, levy_err *err)
{
    csv_table tab;
    csv_row row;
    int col[RATE_ROWS_MAX_COLS];
    if (ncol > RATE_ROWS_MAX_COLS)
        return levy_err_set(err, LEVY_EINVAL, "bad_rate_table", "too many columns");
    int more = csv_open(&tab, path, text, names, ncol, col, err);
    if (more != LEVY_OK)
        return more;
    long n = 0;
    strcpy(vintage_out, "unknown");
    while ((more = csv_next(&tab, &row, err)) > 0) {
        int32_t from = 0;
        int rc = fn(r, &tab, &row, col, &from, err);
        if (rc != LEVY_OK)
            return rc;
        vintage_max(vintage_out, from);
        n++;
    }
    return csv_done(&tab, more, n, rows, err);
}

static int load_ca_row(levy_rates *r, const csv_table *tab, const csv_row *row, const int *col,
                       int32_t *from, levy_err *err)
{
    const char *path = tab->path;
    const int lineno = tab->lineno;
    ca_row c;
    memset(&c, 0, sizeof c);
    if (!levy_rates_ca_province(row->f[col[0]]))
        return ROWERR("%s:%d: bad province '%s'", path, lineno, row->f[col[0]]);
    memcpy(c.prov, row->f[col[0]], 3);
    const char *reg = row->f[col[1]];
    if (!(strcmp(reg, "CA") == 0 ||
          (strncmp(reg, "CA-", 3) == 0 && levy_rates_ca_province(reg + 3))))
        return ROWERR("%s:%d: bad region '%s'", path, lineno, reg);
    snprintf(c.region, sizeof c.region, "%s", reg);
    int t = levy_tax_type_from(row->f[col[2]]), lv = levy_tax_level_from(row->f[col[3]]);
    if (t < 0 || lv < 0)
        return ROWERR("%s:%d: bad tax_type or level", path, lineno);
    c.type = (uint8_t)t;
    c.level = (uint8_t)lv;
    int trc = rate_tail(r, tab, row, (const int[4]){col[5], col[6], col[7], col[4]}, &c.rate,
                        &c.from, &c.to, &c.name, err);
    if (trc != LEVY_OK)
        return trc;
    if (PUSH(r, ca, nca, ca_cap))
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    r->ca[r->nca++] = c;
    *from = c.from;
    return LEVY_OK;
}

static int load_ca(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                   levy_err *err)
{
    static const char *names[] = {"province",     "region",   "tax_type",       "level",
                                  "jurisdiction", "rate_pct", "effective_from", "effective_to"};
    return load_rate_rows(r, path, text, names, 8, load_ca_row, vintage_out, rows, err);
}

static int load_national_row(levy_rates *r, const csv_table *tab, const csv_row *row,
                             const int *col, int32_t *from, levy_err *err)
{
    const char *path = tab->path;
    const int lineno = tab->lineno;
    nat_row c;
    memset(&c, 0, sizeof c);
    if (row->len[col[0]] != 2 || !isupper((unsigned char)row->f[col[0]][0]) ||
        !isupper((unsigned char)row->f[col[0]][1]))
        return ROWERR("%s:%d: bad country '%s'", path, lineno, row->f[col[0]]);
    memcpy(c.country, row->f[col[0]], 3);
    if (row->len[col[1]] == 0 || row->len[col[1]] >= sizeof c.region)
        return ROWERR("%s:%d: bad region", path, lineno);
    memcpy(c.region, row->f[col[1]], row->len[col[1]] + 1);
    int t = levy_tax_type_from(row->f[col[2]]);
    if (t < 0)
        return ROWERR("%s:%d: bad tax_type '%s'", path, lineno, row->f[col[2]]);
    c.type = (uint8_t)t;
    if (row->len[col[4]] == 0 || row->len[col[4]] > 31)
        return ROWERR("%s:%d: bad rate_key", path, lineno);
    c.key = pool_add(r, row->f[col[4]], row->len[col[4]]);
    int trc = rate_tail(r, tab, row, (const int[4]){col[5], col[6], col[7], col[3]}, &c.rate,
                        &c.from, &c.to, &c.name, err);
    if (trc != LEVY_OK)
        return trc;
    if (c.key == UINT32_MAX || PUSH(r, nat, nnat, nat_cap))
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    r->nat[r->nnat++] = c;
    *from = c.from;
    return LEVY_OK;
}

static int load_national(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                         levy_err *err)
{
    static const char *names[] = {"country",  "region",   "tax_type",       "jurisdiction",
                                  "rate_key", "rate_pct", "effective_from", "effective_to"};
    return load_rate_rows(r, path, text, names, 8, load_national_row, vintage_out, rows, err);
}

/* The day after yyyymmdd d (a valid date). */
static int32_t next_day(int32_t d)
{
    static const int ml[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = (int)(d / 10000), m = (int)(d / 100 % 100), dd = (int)(d % 100);
    int n = ml[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (dd < n)
        return d + 1;
    return m < 12 ? y * 10000 + (m + 1) * 100 + 1 : (y + 1) * 10000 + 101;
}

/* The columns of the overlay table (its error messages name the ZIP columns). */
static const char *const overlay_cols[] = {"state",        "zip_from", "zip_to",   "level",
                                           "jurisdiction", "op",       "rate_pct", "effective_from",
                                           "effective_to", "status"};

static int load_overlays_row(levy_rates *r, const csv_table *tab, const csv_row *row,
                             const int *col, int32_t *from, levy_err *err)
{
    const char *path = tab->path;
    const int lineno = tab->lineno;
    overlay_row o;
    memset(&o, 0, sizeof o);
    if (row->len[col[0]] != 2 || !levy_rates_us_state_name(row->f[col[0]]))
        return ROWERR("%s:%d: bad state '%s'", path, lineno, row->f[col[0]]);
    memcpy(o.st, row->f[col[0]], 3);
    for (int k = 0; k < 2; k++) {
        const char *s = row->f[col[1 + k]];
        if (row->len[col[1 + k]] != 5)
            return ROWERR("%s:%d: bad %s '%s'", path, lineno, overlay_cols[1 + k], s);
        uint32_t z = 0;
        for (int i = 0; i < 5; i++) {
            if (!isdigit((unsigned char)s[i]))
                return ROWERR("%s:%d: bad %s '%s'", path, lineno, overlay_cols[1 + k], s);
            z = z * 10 + (uint32_t)(s[i] - '0');
        }
        if (k == 0)
            o.zfrom = z;
        else
            o.zto = z;
    }
    int lv = levy_tax_level_from(row->f[col[3]]);
    if (lv < 0 || o.zfrom > o.zto)
        return ROWERR("%s:%d: bad level or ZIP range", path, lineno);
    o.level = (uint8_t)lv;
    if (strcmp(row->f[col[5]], "add") == 0)
        o.op = OVERLAY_ADD;
    else if (strcmp(row->f[col[5]], "set") == 0)
        o.op = OVERLAY_SET;
    else if (strcmp(row->f[col[5]], "name") == 0)
        o.op = OVERLAY_NAME;
    else if (strcmp(row->f[col[5]], "unknown") == 0)
        o.op = OVERLAY_UNKNOWN;
    else
        return ROWERR("%s:%d: op must be add, set, name or unknown", path, lineno);
    int trc = rate_tail(r, tab, row, (const int[4]){col[6], col[7], col[8], col[4]}, &o.rate,
                        &o.from, &o.to, &o.name, err);
    if (trc != LEVY_OK)
        return trc;
    if (PUSH(r, ovl, novl, ovl_cap))
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    r->ovl[r->novl++] = o;
    *from = o.from;
    return LEVY_OK;
}

static int load_overlays(levy_rates *r, const char *path, char *text, char *vintage_out, long *rows,
                         levy_err *err)
{
    return load_rate_rows(r, path, text, overlay_cols, 10, load_overlays_row, vintage_out, rows,
                          err);
}

/* ---------------------------------------------------------------- tiny JSON reader */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct jnode {
    int type;
    const char *s; /* STR: unescaped text (in place); NUM: literal */
    size_t len;
    int first, next; /* child list (ARR/OBJ); sibling */
    const char *key; /* member name when inside an object */
} jnode;
typedef struct jparser {
    char *p;
    const char *start;
    jnode *nodes;
    int n, cap;
    int depth;
} jparser;

static void jws(jparser *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
        j->p++;
}

static int jstr(jparser *j, const char **out, size_t *len)
{
    if (*j->p != '"')
        return -1;
    char *r = ++j->p, *w = j->p;
    while (*r != '"') {
        if (*r == 0 || (unsigned char)*r < 0x20)
            return -1;
        if (*r == '\\') {
            r++;
            switch (*r) {
            case '"':
            case '\\':
            case '/':
                *w++ = *r++;
                break;
            case 'n':
                *w++ = '\n';
                r++;
                break;
            case 't':
                *w++ = '\t';
                r++;
                break;
            case 'r':
                *w++ = '\r';
                r++;
                break;
            case 'b':
                *w++ = '\b';
                r++;
                break;
            case 'f':
                *w++ = '\f';
                r++;
                break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 1; i <= 4; i++) {
                    char c = r[i];
                    cp <<= 4;
                    if (c >= '0' && c <= '9')
                        cp |= (unsigned)(c - '0');
                    else if (c >= 'a' && c <= 'f')
                        cp |= (unsigned)(c - 'a' + 10);
                    else if (c >= 'A' && c <= 'F')
                        cp |= (unsigned)(c - 'A' + 10);
                    else
                        return -1;
                }
                r += 5;
                if (cp < 0x80)
                    *w++ = (char)cp;
                else if (cp < 0x800) {
                    *w++ = (char)(0xC0 | cp >> 6);
                    *w++ = (char)(0x80 | (cp & 0x3F));
                } else {
                    *w++ = (char)(0xE0 | cp >> 12);
                    *w++ = (char)(0x80 | (cp >> 6 & 0x3F));
                    *w++ = (char)(0x80 | (cp & 0x3F));
                }
                break;
            }
            default:
                return -1;
            }
        } else {
            *w++ = *r++;
        }
    }
    *out = j->p;
    *len = (size_t)(w - j->p);
    j->p = r + 1;
    *w = 0; /* w <= r: safe, the closing quote is consumed */
    return 0;
}

static int jvalue(jparser *j)
{
    jws(j);
    if (j->n >= j->cap) {
        int nc = j->cap ? j->cap * 2 : 256;
        jnode *nn = realloc(j->nodes, (size_t)nc * sizeof *nn);
        if (!nn)
            return -2;
        j->nodes = nn;
        j->cap = nc;
    }
    int idx = j->n++;
    jnode *nd = &j->nodes[idx];
    memset(nd, 0, sizeof *nd);
    nd->first = nd->next = -1;
    char c = *j->p;
    if (c == '{' || c == '[') {
        if (++j->depth > 32)
            return -1;
        int obj = c == '{';
        j->nodes[idx].type = obj ? J_OBJ : J_ARR;
        j->p++;
        jws(j);
        int prev = -1;
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            j->depth--;
            return idx;
        }
        for (;;) {
            const char *key = NULL;
            size_t kl;
            jws(j);
            if (obj) {
                if (jstr(j, &key, &kl))
                    return -1;
                jws(j);
                if (*j->p++ != ':')
                    return -1;
            }
            int ch = jvalue(j);
            if (ch < 0)
                return ch;
            j->nodes[ch].key = key;
            if (prev < 0)
                j->nodes[idx].first = ch;
            else
                j->nodes[prev].next = ch;
            prev = ch;
            jws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                break;
            }
            return -1;
        }
        j->depth--;
        return idx;
    }
    if (c == '"') {
        const char *s;
        size_t l;
        if (jstr(j, &s, &l))
            return -1;
        j->nodes[idx].type = J_STR;
        j->nodes[idx].s = s;
        j->nodes[idx].len = l;
        return idx;
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        char *s = j->p;
        while (*j->p == '-' || *j->p == '+' || *j->p == '.' || *j->p == 'e' || *j->p == 'E' ||
               isdigit((unsigned char)*j->p))
            j->p++;
        j->nodes[idx].type = J_NUM;
        j->nodes[idx].s = s;
        j->nodes[idx].len = (size_t)(j->p - s);
        return idx;
    }
    if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
        j->nodes[idx].type = J_BOOL;
        j->p += *j->p == 't' ? 4 : 5;
        return idx;
    }
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return idx;
    }
    return -1;
}

static int jget(const jparser *j, int obj, const char *key)
{
    if (obj < 0 || j->nodes[obj].type != J_OBJ)
        return -1;
    for (int c = j->nodes[obj].first; c >= 0; c = j->nodes[c].next)
        if (strcmp(j->nodes[c].key, key) == 0)
            return c;
    return -1;
}

/* Converts the ibericode postcode regex (PCRE-ish: \d) to POSIX ERE, anchored. */
static void to_ere(const char *src, char *dst, size_t cap)
{
    size_t o = 0;
    dst[o++] = '^';
    dst[o++] = '(';
    for (; *src && o + 8 < cap; src++) {
        if (src[0] == '\\' && src[1] == 'd') {
            memcpy(dst + o, "[0-9]", 5);
            o += 5;
            src++;
        } else {
            dst[o++] = *src;
        }
    }
    dst[o++] = ')';
    dst[o++] = '$';
    dst[o] = 0;
}

static int load_ibericode(levy_rates *r, const char *path, char *text, char *vintage_out,
                          long *rows, levy_err *err)
{
    jparser j = {text, text, NULL, 0, 0, 0};
    int rc = LEVY_OK;
    int root = jvalue(&j);
    strcpy(vintage_out, "unknown");
    if (root == -2) {
        rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        goto done;
    }
    if (root < 0) {
        int line = 1;
        for (const char *q = text; q < j.p; q++)
            line += *q == '\n';
        rc = ROWERR("%s:%d: invalid JSON", path, line);
        goto done;
    }
    int items = jget(&j, root, "items");
    if (items < 0 || j.nodes[items].type != J_OBJ) {
        rc = ROWERR("%s: no \"items\" object (ibericode vat-rates format)", path);
        goto done;
    }
    long n = 0;
    for (int cc = j.nodes[items].first; cc >= 0; cc = j.nodes[cc].next) {
        const char *cty = j.nodes[cc].key;
        if (strlen(cty) != 2 || j.nodes[cc].type != J_ARR) {
            rc = ROWERR("%s: item '%s' is not a country with a list of periods", path, cty);
            goto done;
        }
        for (int per = j.nodes[cc].first; per >= 0; per = j.nodes[per].next) {
            int ef = jget(&j, per, "effective_from"), rt = jget(&j, per, "rates");
            if (ef < 0 || rt < 0 || j.nodes[ef].type != J_STR || j.nodes[rt].type != J_OBJ) {
                rc = ROWERR("%s: %s: period without effective_from/rates", path, cty);
                goto done;
            }
            eu_period p;
            memset(&p, 0, sizeof p);
            memcpy(p.country, strcmp(cty, "EL") == 0 ? "GR" : cty, 3);
            if (strcmp(j.nodes[ef].s, "0000-01-01") == 0)
                p.from = 0;
            else if (levy_tax_date_parse(j.nodes[ef].s, j.nodes[ef].len, &p.from)) {
                rc = ROWERR("%s: %s: bad effective_from '%s'", path, cty, j.nodes[ef].s);
                goto done;
            }
            for (int k = j.nodes[rt].first; k >= 0; k = j.nodes[k].next) {
                if (j.nodes[k].type != J_NUM || p.nkeys >= LEVY_TAX_MAX_VAT_KEYS ||
                    parse_pct(j.nodes[k].s, j.nodes[k].len, &p.rate[p.nkeys])) {
                    rc = ROWERR("%s: %s: bad rate '%s'", path, cty, j.nodes[k].key);
                    goto done;
                }
                p.key[p.nkeys] = pool_add(r, j.nodes[k].key, strlen(j.nodes[k].key));
                if (p.key[p.nkeys] == UINT32_MAX) {
                    rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
                    goto done;
                }
                p.nkeys++;
            }
            int ex = jget(&j, per, "exceptions");
            p.exc_first = (uint32_t)r->nexc;
            if (ex >= 0 && j.nodes[ex].type == J_ARR) {
                for (int e = j.nodes[ex].first; e >= 0; e = j.nodes[e].next) {
                    int nm = jget(&j, e, "name"), pc = jget(&j, e, "postcode"),
                        sd = jget(&j, e, "standard");
                    int32_t std;
                    if (nm < 0 || pc < 0 || sd < 0 || j.nodes[pc].type != J_STR ||
                        j.nodes[sd].type != J_NUM ||
                        parse_pct(j.nodes[sd].s, j.nodes[sd].len, &std)) {
                        rc = ROWERR("%s: %s: bad exception", path, cty);
                        goto done;
                    }
                    if (PUSH(r, exc, nexc, exc_cap)) {
                        rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
                        goto done;
                    }
                    eu_exception *x = &r->exc[r->nexc];
                    char ere[512], up[128];
                    to_ere(j.nodes[pc].s, ere, sizeof ere);
                    if (regcomp(&x->re, ere, REG_EXTENDED | REG_NOSUB) != 0) {
                        rc = ROWERR("%s: %s: bad postcode pattern", path, cty);
                        goto done;
                    }
                    r->nexc++;
                    upcase(up, j.nodes[nm].type == J_STR ? j.nodes[nm].s : "?", sizeof up);
                    x->name = pool_add(r, up, strlen(up));
                    x->standard = std;
                }
            }
            p.exc_n = (uint32_t)r->nexc - p.exc_first;
            if (PUSH(r, eu, neu, eu_cap)) {
                rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
                goto done;
            }
            r->eu[r->neu++] = p;
            if (p.from)
                vintage_max(vintage_out, p.from);
            n++;
        }
    }
    *rows = n;
done:
    free(j.nodes);
    return rc;
}

/* ---------------------------------------------------------------- authority codes */

/* The Census FIPS files of data/us/census-fips/ (issue 19, names that file correctly): not rate
 * tables (no source key, not importable), recognised by their header. */
enum { FIPS_NONE = 0, FIPS_STATES, FIPS_COUNTIES, FIPS_ZIP_COUNTY, FIPS_PLACES };

/* The key a place name is matched by: upper case, "." "-" "," as spaces, "'" dropped, words
 * "SAINT" as "ST", single spaces ("St. Louis" and "SAINT LOUIS" -> "ST LOUIS"). The same rule
 * built data/us/census-fips/places-2010.csv's key column (its README). */
static void place_key(char *d, const char *s, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return;
    while (*s) {
        char w[128];
        size_t n = 0;
        for (; *s; s++) { /* one word */
            unsigned char c = (unsigned char)*s;
            if (c == '.' || c == '-' || c == ',' || isspace(c))
                break;
            if (c != '\'' && n + 1 < sizeof w)
                w[n++] = (char)toupper(c);
        }
        w[n] = 0;
        while (*s && (*s == '.' || *s == '-' || *s == ',' || isspace((unsigned char)*s)))
            s++;
        if (!n)
            continue;
        const char *x = strcmp(w, "SAINT") == 0 ? "ST" : w;
        size_t xl = strlen(x);
        if (o + (o ? 1 : 0) + xl + 1 > cap)
            break;
        if (o)
            d[o++] = ' ';
        memcpy(d + o, x, xl);
        o += xl;
    }
    d[o] = 0;
}

static int detect_fips(const char *text)
{
    if (strncmp(text, "state_fips,state,name", 21) == 0)
        return FIPS_STATES;
    if (strncmp(text, "state,county_fips,name", 22) == 0)
        return FIPS_COUNTIES;
    if (strncmp(text, "zip,state,county_fips", 21) == 0)
        return FIPS_ZIP_COUNTY;
    if (strncmp(text, "state,place_fips,name,type,key,counties", 39) == 0)
        return FIPS_PLACES;
    return FIPS_NONE;
}

int levy_rates_uint(const char *s, size_t len, size_t min, size_t max, uint32_t *out)
{
    if (len < min || len > max)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (uint32_t)(s[i] - '0'); /* wraps past 9 digits: only read when out */
    }
    if (out)
        *out = v;
    return 0;
}

/* Exactly want digits. */
static int digits(const char *s, size_t len, size_t want, uint32_t *out)
{
    return levy_rates_uint(s, len, want, want, out);
}

static int load_fips(levy_rates *r, int kind, const char *path, char *text, levy_err *err)
{
    static const char *hs[][4] = {{"", "", "", ""},
                                  {"state_fips", "state", "name", NULL},
                                  {"state", "county_fips", "name", NULL},
                                  {"zip", "state", "county_fips", NULL},
                                  {"state", "place_fips", "key", "counties"}};
    csv_table tab;
    csv_row row;
    int col[4];
    int more = csv_open(&tab, path, text, hs[kind], kind == FIPS_PLACES ? 4 : 3, col, err);
    if (more != LEVY_OK)
        return more;
    long n = 0;
    while ((more = csv_next(&tab, &row, err)) > 0) {
        const int lineno = tab.lineno;
        const char *a = row.f[col[0]], *b = row.f[col[1]], *c = row.f[col[2]];
        size_t al = row.len[col[0]], bl = row.len[col[1]], cl = row.len[col[2]];
        uint32_t v;
        if (kind == FIPS_PLACES) {
            const char *cs = row.f[col[3]];
            if (al != 2 || digits(b, bl, 7, &v) || cl == 0)
                return ROWERR("%s:%d: bad place row", path, lineno);
            if (PUSH(r, places, nplaces, places_cap))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            fips_place *f = &r->places[r->nplaces];
            char k[128], up[512];
            place_key(k, c, sizeof k);
            upcase(up, cs, sizeof up);
            memcpy(f->st, a, 2);
            f->key = pool_add(r, k, strlen(k));
            f->code = pool_add(r, b, 7);
            f->counties = pool_add(r, up, strlen(up));
            if (f->key == UINT32_MAX || f->code == UINT32_MAX || f->counties == UINT32_MAX)
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            r->nplaces++;
        } else if (kind == FIPS_STATES) {
            if (digits(a, al, 2, &v) || bl != 2)
                return ROWERR("%s:%d: bad state FIPS row", path, lineno);
            if (PUSH(r, stfips, nstfips, stfips_cap))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            fips_state *f = &r->stfips[r->nstfips];
            memcpy(f->st, b, 2);
            f->st[2] = 0;
            if ((f->code = pool_add(r, a, 2)) == UINT32_MAX)
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            r->nstfips++;
        } else if (kind == FIPS_COUNTIES) {
            if (al != 2 || digits(b, bl, 5, &v) || cl == 0)
                return ROWERR("%s:%d: bad county FIPS row", path, lineno);
            if (r->ncounties >= LEVY_RATES_MAX_COUNTIES) /* zip_row.county_ix: 16 bits */
                return ROWERR("%s:%d: more than %d counties", path, lineno,
                              LEVY_RATES_MAX_COUNTIES);
            if (PUSH(r, counties, ncounties, counties_cap))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            fips_county *f = &r->counties[r->ncounties];
            char nm[128];
            upcase(nm, c, sizeof nm);
            f->fips = v;
            memcpy(f->st, a, 2);
            f->name = pool_add(r, nm, strlen(nm));
            f->code = pool_add(r, b, 5);
            size_t nl = strlen(nm);
            f->bare =
                nl > 7 && strcmp(nm + nl - 7, " COUNTY") == 0 ? pool_add(r, nm, nl - 7) : f->name;
            if (f->name == UINT32_MAX || f->code == UINT32_MAX || f->bare == UINT32_MAX)
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            r->ncounties++;
        } else {
            uint32_t zip;
            if (digits(a, al, 5, &zip) || bl != 2 || !isupper((unsigned char)b[0]) ||
                !isupper((unsigned char)b[1]) || digits(c, cl, 5, &v))
                return ROWERR("%s:%d: bad ZIP-county row", path, lineno);
            if (PUSH(r, zc, nzc, zc_cap))
                return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
            zip_county *z = &r->zc[r->nzc++];
            z->key = ZC_KEY(zip, b);
            z->fips = v;
        }
        n++;
    }
    long rows;
    return csv_done(&tab, more, n, &rows, err);
}

/* ---------------------------------------------------------------- file dispatch */

/* Detects a file's kind from its content. Returns RT_* or RT_UNKNOWN. */
static int detect_kind(const char *text)
{
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    if (*p == '{')
        return RT_IBERICODE;
    const char *nl = strchr(p, '\n');
    size_t l = nl ? (size_t)(nl - p) : strlen(p);
    char first[1024];
    snprintf(first, sizeof first, "%.*s", (int)(l < sizeof first - 1 ? l : sizeof first - 1), p);
    if (strstr(first, "ZipCode") && strstr(first, "EstimatedCombinedRate"))
        return RT_AVALARA;
    if (strncmp(first, "Location,", 9) == 0 && strstr(first, "County"))
        return RT_CDTFA;
    if (strncmp(first, "province,", 9) == 0)
        return RT_CA;
    if (strstr(first, "rate_key") && strncmp(first, "country,", 8) == 0)
        return RT_NATIONAL;
    if (strstr(first, "zip_from") && strncmp(first, "state,", 6) == 0)
        return RT_OVERLAY;
    if (levy_boundary_detect(first, strlen(first)))
        return RT_SST_BOUNDARY;
    int sk = levy_stateformats_detect(first); /* state DOR files: core/tax/stateformats.c */
    if (sk != RT_UNKNOWN)
        return sk;
    /* SST rate file: 9 fields, first two are 2-digit codes */
    int commas = 0;
    for (size_t i = 0; i < l; i++)
        commas += first[i] == ',';
    if (commas == 8 && isdigit((unsigned char)first[0]) && isdigit((unsigned char)first[1]) &&
        first[2] == ',')
        return RT_SST;
    return RT_UNKNOWN;
}

static const char *kind_source(int kind)
{
    switch (kind) {
    case RT_AVALARA:
        return "avalara-zip5";
    case RT_CDTFA:
        return "cdtfa";
    case RT_SST:
        return "sst";
    case RT_SST_BOUNDARY:
        return "sst-boundary";
    case RT_IBERICODE:
        return "ibericode-vat";
    case RT_CA:
        return "ca-rates";
    case RT_NATIONAL:
        return "national";
    case RT_OVERLAY:
        return "us-overlays";
    case RT_WA_RATES:
    case RT_WA_ZIP4:
        return levy_stateformats_source(kind);
    default:
        return "unknown";
    }
}

/* The first day a table's vintage speaks for (yyyymmdd): "2026-01-01" (an effective date, CDTFA)
 * itself, "2025-12" (a month, the ZIP table) its first day, "2026Q2" (a quarter, SST) the
 * quarter's first day; 0 when the vintage is not a date. Which of two sources pricing the same
 * place wins at a date: the one with the latest such day on or before it (newer_wins). */
static int32_t vintage_from(const char *v)
{
    int y = 0, m = 0, d = 0, q = 0;
    char c = 0;
    if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &c) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31)
        return y * 10000 + m * 100 + d;
    if (sscanf(v, "%4d-%2d%c", &y, &m, &c) == 2 && m >= 1 && m <= 12)
        return y * 10000 + m * 100 + 1;
    if (sscanf(v, "%4dQ%1d%c", &y, &q, &c) == 2 && q >= 1 && q <= 4)
        return y * 10000 + (q * 3 - 2) * 100 + 1;
    return 0;
}

int32_t levy_rates_vintage_from(const char *vintage) { return vintage_from(vintage); }

int levy_rates_load_text(levy_rates *r, const char *path, char *text, rates_file_info *info,
                         levy_err *err)
{
    int kind = detect_kind(text);
    char vintage[16] = "unknown";
    long rows = 0;
    int rc;
    size_t z0 = r->nzips, s0 = r->nsst, z40 = r->nz4, l0 = r->nloc, c0 = r->ncdtfa;
    memset(info, 0, sizeof *info);
    info->kind = kind;
    /* source key: one per replaceable table */
    switch (kind) {
    case RT_AVALARA: {
        const char *nl = strchr(text, '\n');
        char st[3] = "";
        if (nl && nl[1] && nl[2] && nl[3])
            snprintf(st, sizeof st, "%.2s", nl + 1);
        rc = load_avalara(r, path, text, vintage, &rows, err);
        if (rc == LEVY_OK && r->nzips > z0)
            snprintf(info->key, sizeof info->key, "avalara-zip5-%.2s", r->zips[z0].st);
        (void)st;
        break;
    }
    case RT_CDTFA:
        rc = load_cdtfa(r, path, text, vintage, &rows, err);
        snprintf(info->key, sizeof info->key, "cdtfa");
        break;
    case RT_SST: {
        char st[3];
        rc = load_sst(r, path, text, vintage, &rows, st, err);
        snprintf(info->key, sizeof info->key, "sst-%s", st);
        break;
    }
    case RT_SST_BOUNDARY: {
        char st[3];
        rc = levy_boundary_load(r, path, text, vintage, &rows, st, err);
        snprintf(info->key, sizeof info->key, "sst-boundary-%s", st);
        break;
    }
    case RT_IBERICODE:
        rc = load_ibericode(r, path, text, vintage, &rows, err);
        snprintf(info->key, sizeof info->key, "ibericode-vat");
        break;
    case RT_CA:
        rc = load_ca(r, path, text, vintage, &rows, err);
        snprintf(info->key, sizeof info->key, "ca-rates");
        break;
    case RT_NATIONAL:
        rc = load_national(r, path, text, vintage, &rows, err);
        snprintf(info->key, sizeof info->key, "national");
        break;
    case RT_OVERLAY:
        rc = load_overlays(r, path, text, vintage, &rows, err);
        snprintf(info->key, sizeof info->key, "us-overlays");
        break;
    case RT_WA_RATES:
    case RT_WA_ZIP4:
        rc = levy_stateformats_load(r, kind, path, text, vintage, &rows, info->key,
                                    sizeof info->key, err);
        break;
    default:
        return levy_err_set(err, LEVY_EINVAL, "unsupported_rate_table",
                            "%s: not a supported rate table (Avalara ZIP5, CDTFA, SST rate or "
                            "boundary, Washington DOR rate or ZIP+4 file, ibericode JSON, "
                            "ca/rates.csv, national.csv, overlays.csv)",
                            path);
    }
    if (rc)
        return rc;
    info->rows = rows;
    snprintf(info->vintage, sizeof info->vintage, "%s", vintage);
    int t = add_table(r, kind_source(kind), vintage, path, rows);
    if (t < 0 || t > UINT16_MAX)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    for (size_t i = z0; i < r->nzips; i++) /* rows name their own vintage in rates_source */
        r->zips[i].table = (uint16_t)t;
    for (size_t i = c0; i < r->ncdtfa; i++) { /* and their effective date (vintage_from) */
        r->cdtfa[i].table = (uint16_t)t;
        r->cdtfa[i].from = vintage_from(vintage);
    }
    for (size_t i = s0; i < r->nsst; i++) /* an imported SST file names its own vintage */
        r->sst[i].table = (uint16_t)t;
    levy_boundary_claim(r, t);
    for (size_t i = z40; i < r->nz4; i++)
        r->z4[i].table = (uint16_t)t;
    for (size_t i = l0; i < r->nloc; i++)
        r->loc[i].table = (uint16_t)t;
    info->table = t;
    return LEVY_OK;
}

int levy_rates_load_copy(const char *path, const char *text, levy_rates **out,
                         rates_file_info *info, levy_err *err)
{
    *out = NULL;
    char *copy = strdup(text);
    levy_rates *r = levy_rates_new();
    if (!copy || !r) {
        free(copy);
        levy_rates_free(r);
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    }
    int rc = levy_rates_load_text(r, path, copy, info, err);
    free(copy);
    if (rc != LEVY_OK)
        levy_rates_free(r);
    else
        *out = r;
    return rc;
}

/* ---------------------------------------------------------------- index finalisation */

static int zip_cmp(const void *a, const void *b)
{
    const zip_row *x = a, *y = b;
    if (x->zip != y->zip)
        return x->zip < y->zip ? -1 : 1;
    return memcmp(x->st, y->st, 2);
}
static const levy_rates *cmp_ctx;
static int cdtfa_cmp(const void *a, const void *b)
{
    const cdtfa_row *x = a, *y = b;
    int c = strcmp(P(cmp_ctx, x->name), P(cmp_ctx, y->name));
    if (c)
        return c;
    if (x->is_city != y->is_city)
        return (int)y->is_city - (int)x->is_city;      /* cities first */
    return x->from > y->from ? -1 : x->from < y->from; /* the newest file first */
}

static int county_cmp(const void *a, const void *b)
{
    const fips_county *x = a, *y = b;
    return x->fips < y->fips ? -1 : x->fips > y->fips;
}
static int zc_cmp(const void *a, const void *b)
{
    const zip_county *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->fips < y->fips ? -1 : x->fips > y->fips;
}
static int place_cmp(const void *a, const void *b)
{
    const fips_place *x = a, *y = b;
    int c = memcmp(x->st, y->st, 2);
    return c ? c : strcmp(P(cmp_ctx, x->key), P(cmp_ctx, y->key));
}
static int stfips_cmp(const void *a, const void *b)
{
    return strcmp(((const fips_state *)a)->st, ((const fips_state *)b)->st);
}
typedef struct county_rate {
    uint32_t fips;
    int32_t rate;
} county_rate;
static int county_rate_cmp(const void *a, const void *b)
{
    const county_rate *x = a, *y = b;
    if (x->fips != y->fips)
        return x->fips < y->fips ? -1 : 1;
    return x->rate < y->rate ? -1 : x->rate > y->rate;
}

/* Index (+1) of county fips, 0 if unknown. */
static uint32_t county_index(const levy_rates *r, uint32_t fips)
{
    size_t lo = 0, hi = r->ncounties;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->counties[mid].fips < fips)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->ncounties && r->counties[lo].fips == fips ? (uint32_t)lo + 1 : 0;
}

/* 1 when county name cn ("HENRICO COUNTY") is region name rn ("HENRICO") with the Census's
 * legal/statistical description, or rn itself. */
static int county_named(const char *cn, const char *rn)
{
    static const char *const tails[] = {" COUNTY",      " PARISH",       " BOROUGH",
                                        " CENSUS AREA", " MUNICIPALITY", " CITY AND BOROUGH"};
    size_t rl = strlen(rn);
    if (strncmp(cn, rn, rl) != 0)
        return 0;
    if (cn[rl] == 0)
        return 1;
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++)
        if (strcmp(cn + rl, tails[i]) == 0)
            return 1;
    return 0;
}

/* The crosswalk rows of (zip, st): *first and the count. */
static size_t zc_find(const levy_rates *r, uint32_t zip, const char *st, size_t *first)
{
    size_t lo = 0, hi = r->nzc;
    *first = 0;
    if (zip >= 1u << 17 || !isupper((unsigned char)st[0]) || !isupper((unsigned char)st[1]))
        return 0; /* no row has such a key */
    uint32_t key = ZC_KEY(zip, st);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->zc[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < r->nzc && r->zc[lo + n].key == key)
        n++;
    *first = lo;
    return n;
}

static const levy_rates *region_ctx;
static int region_cmp(const void *a, const void *b)
{
    const zip_row *x = &region_ctx->zips[*(const uint32_t *)a],
                  *y = &region_ctx->zips[*(const uint32_t *)b];
    int c = memcmp(x->st, y->st, 2);
    return c ? c : strcmp(P(region_ctx, x->name), P(region_ctx, y->name));
}

/* The first position in ix (n rows sorted by region_cmp) of tax region (st, name): a lower
 * bound over (state, region name); n when there is none. */
static size_t region_lower(const levy_rates *r, const uint32_t *ix, size_t n, const char *st,
                           const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const zip_row *m = &r->zips[ix[mid]];
        int c = memcmp(m->st, st, 2);
        if (!c)
            c = strcmp(P(r, m->name), name);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first position in ix (n rows sorted by region_cmp) of z's (state, tax region). */
static size_t region_first(const levy_rates *r, const uint32_t *ix, size_t n, const zip_row *z)
{
    return region_lower(r, ix, n, z->st, P(r, z->name));
}

/* The first of the rows of tax region (st, name) in r->by_region (r->nzips when none). */
static size_t region_start(const levy_rates *r, const char *st, const char *name)
{
    return region_lower(r, r->by_region, r->nzips, st, name);
}

/* A ZIP in several counties takes the county of its tax region's other ZIPs when every one of
 * them whose county is established and among the ZIP's counties has the same county. */
static void by_region(levy_rates *r)
{
    const uint32_t *ix = r->by_region;
    const size_t n = r->nzips;
    if (!ix)
        return;
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->county_how != ZC_AMBIGUOUS)
            continue;
        size_t lo = region_first(r, ix, n, z);
        size_t f, nc = zc_find(r, z->zip, z->st, &f);
        uint32_t pick = 0;
        int conflict = 0;
        for (size_t k = lo; k < n && !conflict; k++) {
            const zip_row *m = &r->zips[ix[k]];
            if (memcmp(m->st, z->st, 2) != 0 || strcmp(P(r, m->name), P(r, z->name)) != 0)
                break;
            if (m->county_how != ZC_ONLY && m->county_how != ZC_BY_NAME)
                continue;
            for (size_t c = 0; c < nc; c++)
                if (county_index(r, r->zc[f + c].fips) == m->county_ix) {
                    if (pick && pick != m->county_ix)
                        conflict = 1;
                    pick = m->county_ix;
                }
        }
        if (pick && !conflict) {
            z->county_ix = pick;
            z->county_how = ZC_BY_REGION;
        }
    }
}

/* The crosswalk's county of a ZIP the table gives another county's rate: a ZIP on a county
 * line the table taxes at the rate of the county its tax region is named after ("MILWAUKEE"
 * for Brookfield 53005, which HUD puts in Waukesha County; "LICKING" for 43069 in Franklin's).
 * A county's usual rate is the most frequent county rate of its single-county ZIPs (none on a
 * tie). A row whose county rate is not its county's usual rate takes the county named by its
 * tax region, or else the county of its region's other ZIPs, with that usual rate; failing
 * both it keeps the crosswalk's county with a note. */
static void check_rates(levy_rates *r, county_rate *cr, size_t ncr)
{
    int32_t *usual = malloc(sizeof *usual * r->ncounties);
    const uint32_t *ix = r->by_region;
    const size_t nix = r->nzips;
    if (!usual || !ix) {
        free(usual);
        return;
    }
    for (size_t c = 0; c < r->ncounties; c++)
        usual[c] = -1;
    qsort(cr, ncr, sizeof *cr, county_rate_cmp);
    for (size_t i = 0; i < ncr;) { /* runs of one county, sub-runs of one rate */
        size_t j = i;
        size_t best = 0;
        int32_t rate = -1;
        while (j < ncr && cr[j].fips == cr[i].fips) {
            size_t k = j;
            while (k < ncr && cr[k].fips == cr[j].fips && cr[k].rate == cr[j].rate)
                k++;
            if (k - j > best) {
                best = k - j;
                rate = cr[j].rate;
            } else if (k - j == best) {
                rate = -1;
            }
            j = k;
        }
        uint32_t ci = county_index(r, cr[i].fips);
        if (ci)
            usual[ci - 1] = rate;
        i = j;
    }
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (!z->county_ix || z->county <= 0 || usual[z->county_ix - 1] < 0 ||
            usual[z->county_ix - 1] == z->county)
            continue;
        const char *rn = P(r, z->name);
        uint32_t pick = 0;
        for (size_t c = 0; c < r->ncounties && !pick; c++)
            if (memcmp(r->counties[c].st, z->st, 2) == 0 && usual[c] == z->county &&
                county_named(P(r, r->counties[c].name), rn))
                pick = (uint32_t)c + 1;
        if (pick) {
            z->county_ix = pick;
            z->county_how = ZC_RATE_NAMED;
            continue;
        }
        int conflict = 0;
        for (size_t k = region_first(r, ix, nix, z); k < nix && !conflict; k++) {
            const zip_row *m = &r->zips[ix[k]]; /* the region's other ZIPs */
            if (memcmp(m->st, z->st, 2) != 0 || strcmp(P(r, m->name), rn) != 0)
                break;
            if (m == z || !m->county_ix || m->county_ix == z->county_ix ||
                usual[m->county_ix - 1] != z->county)
                continue;
            if (pick && pick != m->county_ix)
                conflict = 1;
            pick = m->county_ix;
        }
        if (pick && !conflict) {
            z->county_ix = pick;
            z->county_how = ZC_RATE_REGION;
        } else {
            z->county_how = ZC_RATE_ODD;
        }
    }
    free(usual);
}

static int ends_with(const char *s, const char *tail);
static void mark_county_decides(levy_rates *r);
static void mark_partial_districts(levy_rates *r);
static void mark_partial_cities(levy_rates *r);
static void mark_plain_specials(levy_rates *r);
static const char *place_code(const levy_rates *r, const char *st, const char *name,
                              const fips_county *cty);

/* The counties indep_city looks among (issue 21: it scanned all 3,220 counties for each ZIP
 * row it named, ~38,000 instructions, for a few per request). */
static void index_indep_cities(levy_rates *r)
{
    free(r->indep);
    r->indep = NULL;
    r->nindep = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->ncounties; i++)
        n += ends_with(P(r, r->counties[i].name), " CITY");
    if (!n || !(r->indep = malloc(sizeof *r->indep * n)))
        return;
    for (size_t i = 0; i < r->ncounties; i++)
        if (ends_with(P(r, r->counties[i].name), " CITY"))
            r->indep[r->nindep++] = i;
}

/* 1 when region name rn is the name of a county (county-equivalent) of state st. */
static int names_a_county(const levy_rates *r, const char *st, const char *rn)
{
    for (size_t c = 0; c < r->ncounties; c++)
        if (memcmp(r->counties[c].st, st, 2) == 0 && county_named(P(r, r->counties[c].name), rn))
            return 1;
    return 0;
}

/* A city's tax written in the ZIP table's county column (issue 19: Alaska, where boroughs and
 * cities levy their own sales taxes and the table gives "HOMER" 7.85 % all as county tax):
 * where the state levies no sales tax (state rate 0: every local rate is the borough's or the
 * city's own) and the table also prices the county on its own -- rows named after it ("KENAI
 * PENINSULA" for the Kenai Peninsula Borough) without a city rate, all at one county rate -- a
 * row of a single-county ZIP of that county whose region is no county's name, with no city
 * rate and a higher county rate, is split into the county's own rate (3 %) and the rest as its
 * city's (Homer 4.85 %); the combined rate is unchanged. A county the table does not price on
 * its own (a consolidated city and borough, Juneau's 5 %) keeps the whole rate at the county
 * level: the table cannot tell the parts apart there. Where a state levies a sales tax, such a
 * row is a ZIP on a county line instead (Westlake OH 44011 at Cuyahoga's rate: check_rates),
 * not split. */
static void split_county_column(levy_rates *r)
{
    int32_t *own = malloc(sizeof *own * (r->ncounties + 1) * 2);
    if (!own)
        return;
    int32_t *own_state = own + r->ncounties + 1;
    for (size_t c = 0; c <= r->ncounties; c++)
        own[c] = -1;
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        z->county_split = 0;
        if (z->county_how != ZC_ONLY || z->city != 0 || z->county <= 0 ||
            !county_named(P(r, r->counties[z->county_ix - 1].name), P(r, z->name)))
            continue;
        int32_t *o = &own[z->county_ix];
        if (*o == -1) {
            *o = z->county;
            own_state[z->county_ix] = z->state;
        } else if (*o != z->county || own_state[z->county_ix] != z->state) {
            *o = -2; /* the county's own rows disagree: no single county rate */
        }
    }
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->county_how != ZC_ONLY || z->city != 0 || z->state != 0 || own[z->county_ix] <= 0 ||
            z->county <= own[z->county_ix] || own_state[z->county_ix] != 0 ||
            names_a_county(r, z->st, P(r, z->name)))
            continue;
        z->city = z->county - own[z->county_ix];
        z->county = own[z->county_ix];
        z->county_split = 1;
    }
    free(own);
}

/* The county of every ZIP row (issue 19, names that file correctly): the crosswalk's only
 * county of the ZIP; for a ZIP the crosswalk puts in several counties, the one candidate whose
 * single-county ZIPs carry the row's county rate ("by rate"); otherwise none (ambiguous: the
 * county depends on the street address). */
static void assign_counties(levy_rates *r)
{
    if (!r->ncounties || !r->nzc)
        return;
    qsort(r->counties, r->ncounties, sizeof *r->counties, county_cmp);
    qsort(r->zc, r->nzc, sizeof *r->zc, zc_cmp);
    county_rate *cr = malloc(sizeof *cr * (r->nzips ? r->nzips : 1));
    size_t ncr = 0;
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        size_t f, n = zc_find(r, z->zip, z->st, &f);
        z->county_ix = 0;
        z->county_how = n ? ZC_AMBIGUOUS : ZC_NONE;
        if (n == 1 && (z->county_ix = county_index(r, r->zc[f].fips)) != 0)
            z->county_how = ZC_ONLY;
    }
    split_county_column(r);
    for (size_t i = 0; i < r->nzips && cr; i++)
        if (r->zips[i].county_how == ZC_ONLY)
            cr[ncr++] =
                (county_rate){r->counties[r->zips[i].county_ix - 1].fips, r->zips[i].county};
    /* a ZIP in several counties whose tax region is named as one of them ("HENRICO" ->
     * Henrico County) */
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->county_how != ZC_AMBIGUOUS)
            continue;
        size_t f, n = zc_find(r, z->zip, z->st, &f);
        for (size_t k = 0; k < n; k++) {
            uint32_t ix = county_index(r, r->zc[f + k].fips);
            if (ix && county_named(P(r, r->counties[ix - 1].name), P(r, z->name))) {
                z->county_ix = ix;
                z->county_how = ZC_BY_NAME;
                break;
            }
        }
    }
    by_region(r);
    if (!cr)
        return;
    qsort(cr, ncr, sizeof *cr, county_rate_cmp);
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->county_how != ZC_AMBIGUOUS || z->county <= 0)
            continue;
        size_t f, n = zc_find(r, z->zip, z->st, &f);
        uint32_t hit = 0;
        int hits = 0;
        for (size_t k = 0; k < n; k++) {
            county_rate key = {r->zc[f + k].fips, z->county};
            if (bsearch(&key, cr, ncr, sizeof *cr, county_rate_cmp)) {
                hit = r->zc[f + k].fips;
                hits++;
            }
        }
        if (hits == 1 && (z->county_ix = county_index(r, hit)) != 0)
            z->county_how = ZC_BY_RATE;
    }
    check_rates(r, cr, ncr);
    free(cr);
}

static int32_t table_stale_after(const levy_rates *r, int i);

void levy_rates_finish(levy_rates *r)
{
    levy_stateformats_finish(r);
    if (r->nzips)
        qsort(r->zips, r->nzips, sizeof *r->zips, zip_cmp);
    if (r->nstfips)
        qsort(r->stfips, r->nstfips, sizeof *r->stfips, stfips_cmp);
    if (r->nplaces) {
        cmp_ctx = r;
        qsort(r->places, r->nplaces, sizeof *r->places, place_cmp);
        cmp_ctx = NULL;
    }
    free(r->by_region); /* the rows of a tax region: assign_counties, name_city */
    r->by_region = malloc(sizeof *r->by_region * (r->nzips ? r->nzips : 1));
    if (r->by_region) {
        for (size_t i = 0; i < r->nzips; i++)
            r->by_region[i] = (uint32_t)i; /* rows are < UINT32_MAX: load_avalara */
        region_ctx = r;
        qsort(r->by_region, r->nzips, sizeof *r->by_region, region_cmp);
        region_ctx = NULL;
    }
    assign_counties(r);
    index_indep_cities(r);
    if (reserve_extras(r) == 0) { /* out of memory: no row marked, as when by_region failed */
        mark_partial_districts(r);
        mark_partial_cities(r);
        mark_plain_specials(r);
        mark_county_decides(r);
    }
    /* a later file of the same state replaces earlier rows: drop exact (zip, st) dups,
     * keeping the last loaded (qsort is not stable, so tag order via seq) */
    if (r->ncdtfa) {
        cmp_ctx = r;
        qsort(r->cdtfa, r->ncdtfa, sizeof *r->cdtfa, cdtfa_cmp);
        cmp_ctx = NULL;
    }
    levy_boundary_finish(r);
    for (int i = 0; i < r->ntables; i++) {
        r->tables[i].stale_after = table_stale_after(r, i);
        r->tables[i].stale_set = 1;
    }
    free(r->pool_ix);
    r->pool_ix = NULL;
    r->pool_ix_cap = r->pool_ix_n = 0;
    r->pool_done = 1;
    /* the tables stay as they are until the set is freed: no room for rows kept */
    FIT(r, zips, nzips, zips_cap);
    FIT(r, extras, nextras, extras_cap);
    FIT(r, zc, nzc, zc_cap);
    FIT(r, counties, ncounties, counties_cap);
    FIT(r, places, nplaces, places_cap);
    FIT(r, stfips, nstfips, stfips_cap);
    FIT(r, cdtfa, ncdtfa, cdtfa_cap);
    FIT(r, sst, nsst, sst_cap);
    FIT(r, ca, nca, ca_cap);
    FIT(r, nat, nnat, nat_cap);
    FIT(r, ovl, novl, ovl_cap);
    FIT(r, z4, nz4, z4_cap);
    FIT(r, loc, nloc, loc_cap);
    FIT(r, pool, pool_len, pool_cap);
}

levy_rates *levy_rates_new(void) { return calloc(1, sizeof(levy_rates)); }

void levy_rates_free(levy_rates *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nexc; i++)
        regfree(&r->exc[i].re);
    free(r->zips);
    free(r->extras);
    free(r->cdtfa);
    free(r->sst);
    free(r->ca);
    free(r->nat);
    free(r->ovl);
    free(r->z4);
    free(r->loc);
    free(r->eu);
    free(r->exc);
    free(r->by_region);
    free(r->places);
    free(r->counties);
    free(r->indep);
    free(r->zc);
    free(r->stfips);
    free(r->tables);
    free(r->pool);
    free(r->pool_ix);
    levy_boundary_free(r);
    free(r);
}

int levy_rates_open_file(levy_rates **out, const char *path, levy_err *err)
{
    *out = NULL;
    levy_rates *r = levy_rates_new();
    if (!r)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    size_t len;
    char *text = NULL;
    int frc = levy_file_read(path, 0, &text, &len, err);
    if (frc == LEVY_ENOTFOUND) /* a missing table fails the load like any other I/O error */
        frc = levy_err_set(err, LEVY_EIO, "io_error", "%s: No such file or directory", path);
    if (frc != LEVY_OK) {
        levy_rates_free(r);
        return frc;
    }
    rates_file_info info;
    int rc = levy_rates_load_text(r, path, text, &info, err);
    free(text);
    if (rc) {
        levy_rates_free(r);
        return rc;
    }
    levy_rates_finish(r);
    *out = r;
    return LEVY_OK;
}

/* ---------------------------------------------------------------- open: shipped + imported */

typedef struct file_ent {
    char key[32];
    char path[512];
    int imported;
} file_ent;
typedef struct file_list {
    file_ent *v;
    size_t n, cap;
} file_list;

typedef struct scan_ctx {
    file_list *fl;
    int imported;
} scan_ctx;

static int scan_file(void *ud, const char *path, const char *rel, const struct stat *st)
{
    (void)st;
    scan_ctx *c = ud;
    const char *name = strrchr(rel, '/');
    name = name ? name + 1 : rel;
    size_t l = strlen(name);
    if (!((l > 4 && strcmp(name + l - 4, ".csv") == 0) ||
          (l > 5 && strcmp(name + l - 5, ".json") == 0)))
        return LEVY_OK;
    if (grow((void **)&c->fl->v, &c->fl->cap, c->fl->n + 1, sizeof *c->fl->v))
        return LEVY_ENOMEM;
    file_ent *fe = &c->fl->v[c->fl->n++];
    memset(fe, 0, sizeof *fe);
    snprintf(fe->path, sizeof fe->path, "%s", path);
    fe->imported = c->imported;
    return LEVY_OK;
}

/* The *.csv and *.json files below dir (three folder levels at most), in levy_dir_walk's
 * order (each folder's names by strcmp, depth first). A missing imported folder is empty. */
static int scan_dir(const char *dir, file_list *fl, int imported, levy_err *err)
{
    scan_ctx c = {fl, imported};
    int rc = levy_dir_walk(dir, 3, scan_file, &c, err);
    if (rc == LEVY_ENOTFOUND)
        return imported ? LEVY_OK
                        : levy_err_set(err, LEVY_EIO, "io_error", "%s: %s", dir, strerror(ENOENT));
    if (rc == LEVY_ENOMEM)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    return rc;
}

int levy_rates_open(levy_rates **out, const char *data_root, const char *data_dir, levy_err *err)
{
    *out = NULL;
    file_list fl = {NULL, 0, 0};
    levy_rates *r = levy_rates_new();
    int rc = LEVY_OK;
    char *text = NULL;
    if (!r)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    rc = scan_dir(data_root, &fl, 0, err);
    if (rc)
        goto done;
    size_t nshipped = fl.n;
    if (data_dir) {
        char imp[512];
        snprintf(imp, sizeof imp, "%s/rates", data_dir);
        rc = scan_dir(imp, &fl, 1, err);
        if (rc)
            goto done;
    }
    /* Imported files first: each claims its source key; a shipped file whose key an
     * imported file claimed is skipped (the import replaces that source's vintage). */
    char(*claimed)[32] = calloc(fl.n + 1, 32);
    if (!claimed) {
        rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
        goto done;
    }
    size_t nclaimed = 0;
    for (size_t pass = 0; pass < 2 && rc == LEVY_OK; pass++) {
        for (size_t i = pass == 0 ? nshipped : 0; i < (pass == 0 ? fl.n : nshipped); i++) {
            size_t len;
            if ((rc = levy_file_read(fl.v[i].path, 0, &text, &len, err)) != LEVY_OK)
                break;
            int kind = detect_kind(text);
            if (kind == RT_UNKNOWN) { /* READMEs as CSV: not rate tables; the Census FIPS files */
                int fk = pass == 1 ? detect_fips(text) : FIPS_NONE; /* shipped only */
                if (fk != FIPS_NONE)
                    rc = load_fips(r, fk, fl.v[i].path, text, err);
                free(text);
                text = NULL;
                if (rc)
                    break;
                continue;
            }
            /* compute the key without loading: load into a scratch index when needed */
            rates_file_info info;
            char key[32];
            if (pass == 1 && nclaimed > 0) {
                levy_rates *scratch;
                rc = levy_rates_load_copy(fl.v[i].path, text, &scratch, &info, err);
                levy_rates_free(scratch);
                if (rc)
                    break;
                snprintf(key, sizeof key, "%s", info.key);
                int skip = 0;
                for (size_t c = 0; c < nclaimed; c++)
                    skip |= strcmp(claimed[c], key) == 0;
                if (skip) {
                    free(text);
                    text = NULL;
                    continue;
                }
            }
            rc = levy_rates_load_text(r, fl.v[i].path, text, &info, err);
            free(text);
            text = NULL;
            if (rc)
                break;
            if (pass == 0)
                snprintf(claimed[nclaimed++], 32, "%s", info.key);
        }
    }
    free(claimed);
    if (rc)
        goto done;
    levy_rates_finish(r);
    *out = r;
    r = NULL;
done:
    free(text);
    free(fl.v);
    levy_rates_free(r);
    return rc;
}

/* ---------------------------------------------------------------- lookups */

int levy_rates_ntables(const levy_rates *r) { return r->ntables; }

/* Regions whose ZIP or SST state rows come from table i ("US-TX,US-CA..." in order of first
 * sight, each once); "" for a table without such rows. */
void levy_rates_table_regions(const levy_rates *r, int i, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = 0;
    char seen[64][2];
    int nseen = 0;
    size_t nz = r->nzips, ns = r->nsst, n4 = r->nz4; /* ZIP, SST, then state-file rows */
    for (size_t k = 0; k < nz + ns + n4 + r->nloc && nseen < 64; k++) {
        const char *st = k < nz             ? r->zips[k].st
                         : k < nz + ns      ? r->sst[k - nz].st
                         : k < nz + ns + n4 ? r->z4[k - nz - ns].st
                                            : r->loc[k - nz - ns - n4].st;
        int t = k < nz             ? r->zips[k].table
                : k < nz + ns      ? r->sst[k - nz].table
                : k < nz + ns + n4 ? r->z4[k - nz - ns].table
                                   : r->loc[k - nz - ns - n4].table;
        if (t != i)
            continue;
        int dup = 0;
        for (int j = 0; j < nseen && !dup; j++)
            dup = memcmp(seen[j], st, 2) == 0;
        if (dup)
            continue;
        memcpy(seen[nseen++], st, 2);
    }
    const char *bst = nseen ? NULL : levy_boundary_table_state(r, i); /* an SST boundary file */
    if (bst)
        memcpy(seen[nseen++], bst, 2);
    for (int j = 0; j < nseen; j++) {
        int w = snprintf(buf + n, cap > n ? cap - n : 0, "%sUS-%.2s", j ? "," : "", seen[j]);
        if (w < 0 || (size_t)w >= (cap > n ? cap - n : 0))
            break;
        n += (size_t)w;
    }
}

/* The date from which table i counts as stale: for the periodically republished US tables
 * (Avalara ZIP5, CDTFA, SST rate files) one quarter after the start of its vintage
 * ("2025-12" -> 2026-03-01, "2026-01-01" -> 2026-04-01, "2026Q2" -> 2026-07-01), when
 * the states' next quarterly changes take effect; 0 for tables maintained with dated rows
 * (ibericode, ca-rates, national, overlays), which carry their own effective dates. */
static int32_t table_stale_after(const levy_rates *r, int i)
{
    const char *src = P(r, r->tables[i].source), *v = P(r, r->tables[i].vintage);
    if (strncmp(src, "wa-dor-", 7) == 0) /* dated rows that all end: stale after the last */
        return levy_stateformats_stale_after(r, i);
    if (strncmp(src, "avalara-zip5", 12) != 0 && strcmp(src, "cdtfa") != 0 &&
        strncmp(src, "sst", 3) != 0)
        return 0;
    int y = 0, m = 0, d = 1, q = 0;
    char tail = 0;
    if (sscanf(v, "%4dQ%1d%c", &y, &q, &tail) == 2 && q >= 1 && q <= 4)
        m = (q - 1) * 3 + 1;
    else if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 ||
             (d = 1, sscanf(v, "%4d-%2d%c", &y, &m, &tail) == 2))
        ;
    else
        return 0;
    if (y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    m += 3;
    if (m > 12) {
        m -= 12;
        y++;
    }
    return y * 10000 + m * 100 + d;
}

int32_t levy_rates_table_stale_after(const levy_rates *r, int i)
{
    if (i < 0 || i >= r->ntables)
        return 0;
    return r->tables[i].stale_set ? r->tables[i].stale_after : table_stale_after(r, i);
}

const levy_rates_table *levy_rates_table_at(const levy_rates *r, int i)
{
    static _Thread_local levy_rates_table t;
    if (i < 0 || i >= r->ntables)
        return NULL;
    const rates_table_rec *x = &r->tables[i];
    t.source = P(r, x->source);
    t.vintage = P(r, x->vintage);
    t.path = x->files > 1 ? P(r, x->dir) : P(r, x->path);
    t.rows = x->rows;
    return &t;
}

static void use_table(levy_tax_resolution *res, int t)
{
    if (t < 0)
        return;
    for (int i = 0; i < res->ntables; i++)
        if (res->table[i] == t)
            return;
    if (res->ntables < (int)LEVY_ARRAY_LEN(res->table))
        res->table[res->ntables++] = t;
}

static int table_of(const levy_rates *r, const char *source)
{
    for (int i = r->ntables - 1; i >= 0; i--)
        if (strcmp(P(r, r->tables[i].source), source) == 0)
            return i;
    return -1;
}

void levy_rates_describe(const levy_rates *r, const levy_tax_resolution *res, char *buf, size_t cap)
{
    /* "source vintage; source vintage", cut to cap as snprintf cuts (issue 21: not snprintf,
     * once per answer) */
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < res->ntables && o < cap; i++) {
        const rates_table_rec *t = &r->tables[res->table[i]];
        const char *part[4] = {i ? "; " : "", P(r, t->source), " ", P(r, t->vintage)};
        for (int k = 0; k < 4 && o < cap; k++) {
            size_t n = strlen(part[k]);
            size_t fit = n < cap - 1 - o ? n : cap - 1 - o;
            memcpy(buf + o, part[k], fit);
            o += fit;
            buf[o] = '\0';
            if (fit < n)
                return;
        }
    }
}

static levy_tax_entry *add_entry(levy_tax_resolution *res, const char *name, const char *suffix,
                                 int level, int type, int64_t rate, int group)
{
    if (res->n >= LEVY_TAX_MAX_ENTRIES)
        return NULL;
    levy_tax_entry *e = &res->e[res->n++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->suffix = suffix;
    e->level = (uint8_t)level;
    e->type = (uint8_t)type;
    e->group = (uint8_t)group;
    e->rate = rate;
    e->fraction = LEVY_TAX_RATE_ONE;
    e->unit_from = e->unit_to = -1;
    return e;
}

/* Notes of a jurisdiction whose name or code the data does not establish (issue 19). */
#define NOTE_COUNTY_BY_RATE                                                                        \
    "the ZIP lies in several counties; this is the one whose rate the ZIP table carries"
#define NOTE_COUNTY_BY_NAME                                                                        \
    "the ZIP lies in several counties; this is the one the ZIP table's tax region is named after"
#define NOTE_COUNTY_BY_REGION                                                                      \
    "the ZIP lies in several counties; this is the county of the other ZIPs of its tax region"
#define NOTE_COUNTY_RATE_NAMED                                                                     \
    "the ZIP table's county rate is that of the county its tax region is named after, not of "     \
    "the county the ZIP-county crosswalk gives this ZIP (a ZIP on their line)"
#define NOTE_COUNTY_RATE_REGION                                                                    \
    "the ZIP table's county rate is that of the county of its tax region's other ZIPs, not of "    \
    "the county the ZIP-county crosswalk gives this ZIP (a ZIP on their line)"
#define NOTE_COUNTY_RATE_ODD                                                                       \
    "the ZIP table's county rate is not this county's usual rate: verify the county of the "       \
    "street address"
#define NOTE_COUNTY_SPLIT                                                                          \
    "the ZIP table gives this county's and the city's tax together as county tax; the county's "   \
    "part is the rate of the table's own rows for the county, the rest is the city's"
#define NOTE_COUNTY_AMBIGUOUS                                                                      \
    "county not established: the ZIP lies in several counties and the ZIP table's county rate "    \
    "does not single one out; the county depends on the street address"
#define NOTE_COUNTY_NONE                                                                           \
    "county not established: the ZIP is not in the shipped ZIP-county crosswalk; the name is "     \
    "the ZIP table's tax region"
static const char NOTE_CITY_NO_CODE[] =
    "city named by the ZIP table's tax region; no Census place of that name (in the ZIP's county) "
    "is shipped, so no code";
#define NOTE_CITY_SHIP_TO                                                                          \
    "city named after ship_to.city (a tax region of the same county with the same city rate); "    \
    "the ZIP table names the ZIP after a neighbouring region"
#define NOTE_CITY_REGION                                                                           \
    "city named by the ZIP table's tax region, coded by the Census place of that name; the ZIP "   \
    "may reach into a neighbouring city or town: ship_to.city decides"
static const char NOTE_CITY_DISTRICT[] =
    "levying city not established: the ZIP table names this local tax after a district, not a "
    "city; give ship_to.city";
#define NOTE_CITY_PREFIX                                                                           \
    "city named after the leading words of the ZIP table's district-named tax region (a region "   \
    "of the same county with the same city rate)"
#define NOTE_CITY_COUNTY_EQ "independent city: its code is its county-equivalent FIPS code"
#define NOTE_SPECIAL                                                                               \
    "special district(s) not named: the ZIP table gives only the total special-district "          \
    "rate of the ZIP, without names or codes"
#define NOTE_SPECIAL_WIDE                                                                          \
    "special rate(s) not named: the ZIP table prices this region at a special rate more than 2 "   \
    "percentage points above its rate on another ZIP of the county (a tax of part of the region, " \
    "such as a tribal nation's on its reservation); whether this address is inside is not in the " \
    "table: ambiguous_zip lists both rates, the ZIP table's is charged"
#define NOTE_CDTFA_DISTRICT                                                                        \
    "district taxes of the city: CDTFA gives their total for the city, without their names or "    \
    "codes"
#define NOTE_CDTFA_CITY "city named by CDTFA; no Census place of that name in its county is shipped"
#define NOTE_WA_LOCATION                                                                           \
    "the WA DOR location code's combined local rate (city, county, transit): the DOR file "        \
    "names no separate authority code"
#define NOTE_CITY_DISTRICT_PLACE                                                                   \
    "city named after the leading words of the ZIP table's district-named tax region: the Census " \
    "place of that name in the ZIP's county"
#define NOTE_CITY_GIVEN_DISTRICT                                                                   \
    "city named by ship_to.city, its city and special rates the ZIP table's for that city in the " \
    "ZIP's county, outside any district: the ZIP table names the ZIP after a district of "         \
    "another place"
#define NOTE_DISTRICT_CITY                                                                         \
    "the ZIP table names this ZIP after a special district that covers only part of it (a "        \
    "community improvement, transportation development or business district): charged at the "     \
    "special rate of the rest of its city, outside the district; give the ZIP+4 or street "        \
    "address of an address inside it (ambiguous_zip)"
#define NOTE_DISTRICT_COUNTY                                                                       \
    "the ZIP table names this ZIP after a special district that covers only part of it (a "        \
    "community improvement, transportation development or business district): charged at the "     \
    "county's area-wide special rate (the lowest of its other places), outside the district; "     \
    "give the ZIP+4 or street address of an address inside it (ambiguous_zip)"
#define NOTE_OVERLAY "levy overlay (data/us/overlays.csv): no authority code recorded"
#define NOTE_OVERLAY_NAMED                                                                         \
    "named by levy's overlay (data/us/overlays.csv, op name: the jurisdiction of that rate in "    \
    "these ZIPs, which the ZIP table names after a tax region or district); no authority code "    \
    "recorded"
#define NOTE_OVERLAY_NAMED_CITY                                                                    \
    "named by levy's overlay (data/us/overlays.csv, op name: the ZIP table names this city's tax " \
    "after a district); the code is the Census place of that name"
#define NOTE_OVERLAY_NAMED_COUNTY                                                                  \
    "named by levy's overlay (data/us/overlays.csv, op name: the ZIP table names this county's "   \
    "tax after another county); the code is the Census FIPS code of the county of that name"

/* State FIPS code ("36") of a USPS state code, or NULL. */
static const char *state_code(const levy_rates *r, const char *st)
{
    if (!r->nstfips) /* no Census files loaded (a data dir of imported tables only) */
        return NULL;
    fips_state key;
    snprintf(key.st, sizeof key.st, "%.2s", st);
    const fips_state *f = bsearch(&key, r->stfips, r->nstfips, sizeof *r->stfips, stfips_cmp);
    return f ? P(r, f->code) : NULL;
}

/* The county of state st named name_upper ("ORANGE" or "ORANGE COUNTY"), or NULL. */
static const fips_county *county_by_name(const levy_rates *r, const char *st,
                                         const char *name_upper)
{
    size_t nl = strlen(name_upper);
    for (size_t i = 0; i < r->ncounties; i++) {
        const fips_county *c = &r->counties[i];
        const char *cn = P(r, c->name);
        if (memcmp(c->st, st, 2) == 0 && strncmp(cn, name_upper, nl) == 0 &&
            (cn[nl] == 0 || strcmp(cn + nl, " COUNTY") == 0))
            return c;
    }
    return NULL;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* 1 when a tax-region name names a district rather than a city (Memphis's "PEABODY HOTEL
 * TOURISM DEVELOPMENT ZONE"). */
static int district_name(const char *n)
{
    static const char *const words[] = {" ZONE",        " DISTRICT",  " AUTHORITY",  " IMPROVEMENT",
                                        " TOURISM",     " TRANSIT",   " CONVENTION", " STADIUM",
                                        " ENHANCEMENT", " EXPOSITION"};
    static const char *const codes[] = {"SP",  "TDZ", "CID", "TDD", "TMD", "TOT",
                                        "BIA", "CTD", "TPA", "MTA", "RTA", "CO"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(n, words[i]))
            return 1;
    for (const char *w = strchr(n, ' '); w; w = strchr(w + 1, ' ')) /* a whole later word */
        for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
            size_t l = strlen(codes[i]);
            if (strncmp(w + 1, codes[i], l) == 0 && (w[1 + l] == ' ' || w[1 + l] == 0))
                return 1;
        }
    return 0;
}

/* Partial-ZIP special districts (issue 19, address precision). A tax region of the ZIP table
 * named after a district that property owners or a city form for a few parcels or streets --
 * Missouri's and Kansas's community improvement (CID) and transportation development (TDD)
 * districts, Illinois's business districts (BD, BDD), Louisiana's economic development
 * districts (EDD), Colorado's metropolitan and local improvement districts -- covers only part
 * of a ZIP: the ZIP table's rate (the district's region's) holds a district most addresses of
 * the ZIP are not in. Area-wide districts (transit, RTA, T-SPLOST, hospital, ambulance,
 * emergency services, a county's "CO SP") are not named so and are not flagged. */
static int partial_district_name(const char *n)
{
    static const char *const words[] = {"COMMUNITY IMPROVEMENT",
                                        "TRANSPORTATION DEVELOPMENT",
                                        "BUSINESS DISTRICT",
                                        "BUSINESS DEVELOPMENT",
                                        "BUSINESS DIST",
                                        "BUS DIST",
                                        "METROPOLITAN DISTRICT",
                                        "DEVELOPMENT ZONE",
                                        "COM DEV"};
    static const char *const codes[] = {"CID", "TDD", "TDZ", "BD", "BDD", "EDD", "LID", "TL"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(n, words[i]))
            return 1;
    for (const char *w = n; (w = strpbrk(w, " /")) != NULL; w++) /* a whole later word */
        for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
            size_t l = strlen(codes[i]);
            if (strncmp(w + 1, codes[i], l) == 0 &&
                (w[1 + l] == ' ' || w[1 + l] == '/' || w[1 + l] == 0))
                return 1;
        }
    return 0;
}

/* A row that names no district at all: its special rate is its place's area-wide one. */
static int plain_row(const levy_rates *r, const zip_row *z)
{
    const char *n = P(r, z->name);
    return !district_name(n) && !partial_district_name(n);
}

/* A county (index, county rate) whose plain rows' lowest special rate a partial-ZIP district
 * of it needs (mark_partial_districts). */
typedef struct dist_county {
    uint32_t county_ix;
    int32_t county, min;
} dist_county;

static int dist_county_cmp(const void *a, const void *b)
{
    const dist_county *x = a, *y = b;
    if (x->county_ix != y->county_ix)
        return x->county_ix < y->county_ix ? -1 : 1;
    return x->county < y->county ? -1 : x->county > y->county;
}

/* The largest district rate levy takes for a partial-ZIP district: the statutes' caps as we
 * read them (IL business district 1 %, 65 ILCS 5/11-74.3-6; KS CID 2 %; MO CID and TDD 1 %;
 * LA EDD 2 %: docs/rules.md section 5); a larger
 * difference means the outside rate found is not this place's, and the row is left alone. */
#define DIST_MAX 2000000

/* For each ZIP row named after a partial-ZIP district (partial_district_name; not California,
 * whose CDTFA mechanism lists its candidates: ca_candidates), the special rate outside the
 * district, from the table's own rows: (1) the region its leading words name ("OVERLAND PARK"
 * for "OVERLAND PARK THE VUE CID SP") with the same county and city rates, a plain name and a
 * lower special rate: that city's special rate; or else (2) the lowest special rate of the
 * plain-named rows of the ZIP's county (the crosswalk's) with the same county rate: the
 * county's area-wide special districts. Flagged (dist_base >= 0) when that rate is below the
 * row's by at most DIST_MAX. */
static void mark_partial_districts(levy_rates *r)
{
    /* the district-named rows, and the counties whose plain rows they need */
    size_t *cand = NULL, ncand = 0, ccap = 0, nkeys = 0;
    dist_county *keys = NULL;
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->special <= 0 || memcmp(z->st, "CA", 2) == 0 || !partial_district_name(P(r, z->name)))
            continue;
        if (grow((void **)&cand, &ccap, ncand + 1, sizeof *cand))
            break;
        cand[ncand++] = i;
    }
    if (ncand && (keys = malloc(sizeof *keys * ncand)) != NULL) {
        for (size_t k = 0; k < ncand; k++) {
            const zip_row *z = &r->zips[cand[k]];
            if (z->county_ix)
                keys[nkeys++] = (dist_county){z->county_ix, z->county, INT32_MAX};
        }
        qsort(keys, nkeys, sizeof *keys, dist_county_cmp);
        size_t u = 0; /* one entry per county and rate */
        for (size_t k = 0; k < nkeys; k++)
            if (!u || dist_county_cmp(&keys[u - 1], &keys[k]) != 0)
                keys[u++] = keys[k];
        nkeys = u;
        for (size_t i = 0; nkeys && i < r->nzips; i++) { /* their lowest plain special rate */
            const zip_row *m = &r->zips[i];
            dist_county key = {m->county_ix, m->county, 0};
            dist_county *hit =
                m->county_ix ? bsearch(&key, keys, nkeys, sizeof *keys, dist_county_cmp) : NULL;
            if (hit && m->special < hit->min && plain_row(r, m))
                hit->min = m->special;
        }
    }
    for (size_t k = 0; k < ncand; k++) {
        zip_row *z = &r->zips[cand[k]];
        int32_t base = -1, base_cap = -1; /* base_cap: the lowest within DIST_MAX */
        int how = DIST_NONE;
        char pre[128];
        snprintf(pre, sizeof pre, "%s", P(r, z->name));
        char *cut;
        while (base < 0 && r->by_region && strpbrk(pre, " /") != NULL) {
            char *sp = strrchr(pre, ' '), *sl = strrchr(pre, '/');
            cut = sp && (!sl || sp > sl) ? sp : sl; /* "WILDWOOD/CROSS" -> "WILDWOOD" */
            *cut = 0;
            while (cut > pre && (cut[-1] == ' ' || cut[-1] == '/'))
                *--cut = 0;
            /* the rows of region (st, pre) */
            size_t lo = region_start(r, z->st, pre);
            for (; lo < r->nzips; lo++) {
                const zip_row *m = &r->zips[r->by_region[lo]];
                if (memcmp(m->st, z->st, 2) != 0 || strcmp(P(r, m->name), pre) != 0)
                    break;
                if (m->county == z->county && m->city == z->city && m->special < z->special &&
                    plain_row(r, m)) {
                    if (base < 0 || m->special < base)
                        base = m->special;
                    if (z->special - m->special <= DIST_MAX &&
                        (base_cap < 0 || m->special < base_cap))
                        base_cap = m->special;
                }
            }
            /* the city's lowest plain rate more than a district's cap below: the district
             * lies in a part of the city under other districts too, layered (downtown Kansas
             * City's "1200 MAIN TL" over the Main Street Rail TDD, 64105 at 3.125 against the
             * city's 0.125 elsewhere and 1.125 downtown): the lowest plain rate of the city
             * within the cap is that part's, when there is one */
            if (base >= 0 && z->special - base > DIST_MAX && base_cap >= 0)
                base = base_cap;
            if (base >= 0)
                how = DIST_BY_CITY;
        }
        if (base < 0 && z->county_ix && keys) { /* the county's lowest plain special rate */
            dist_county key = {z->county_ix, z->county, 0};
            const dist_county *hit = bsearch(&key, keys, nkeys, sizeof *keys, dist_county_cmp);
            if (hit && hit->min != INT32_MAX) {
                base = hit->min;
                how = DIST_BY_COUNTY;
            }
        }
        if (base >= 0 && base < z->special && z->special - base <= DIST_MAX) {
            zip_extra *x = zx_set(r, z);
            x->dist_base = base;
            x->dist_how = (uint8_t)how;
        }
    }
    free(keys);
    free(cand);
}

/* County-rate states (issue 19, h-addr26): states where every local sales tax is a county's
 * (county and county transit taxes; no city or district sales taxes), so the county an
 * address is in decides its rate. North Carolina: "Listed below by county are the total (4.75%
 * State rate plus applicable local and transit rates) sales and use tax rates" (NC DOR, Sales
 * and Use Tax Rates Effective July 1, 2024; ncdor.gov/current-sales-and-use-tax-rates). */
static const char county_rate_states[] = "NC";

/* The rows with no mark, of a county-rate state, whose ZIP the crosswalk puts in one county
 * alone (a single-county ZIP). */
static int county_rate_row(const levy_rates *r, const zip_row *z, uint32_t *county)
{
    if (z->extra || memcmp(z->st, county_rate_states, 2) != 0)
        return 0;
    size_t f, n = zc_find(r, z->zip, z->st, &f);
    if (n != 1)
        return 0;
    *county = county_index(r, r->zc[f].fips);
    return *county != 0;
}

/* For each single-county ZIP of a county-rate state whose (county, city, special) rates are
 * not its county's usual ones -- the ZIP table named it after a neighbouring county's
 * higher-rated region (27312 Pittsboro, Chatham County: "ORANGE CO TR" 7.5 %, Chatham 7 %) --
 * the index + 1 of a row of the county at the usual rates (county_row). A county's usual rates
 * are those of its single-county ZIPs the table names after the county itself ("CHATHAM"), when
 * they agree; with none so named, those most of them carry, at least two and no tie ("STOKES"
 * 27022 at 6.75 % decides Stokes County, whose 27042 and 27046 the table names ROCKINGHAM at 7
 * %, two against two). The rows are sorted by ZIP and a state's ZIPs are one range, so only
 * that range is scanned. */
typedef struct county_set {
    int32_t county, city, special;
    uint32_t n, named, row;
} county_set;

static void mark_county_decides(levy_rates *r)
{
    size_t lo = 0;
    while (lo < r->nzips && memcmp(r->zips[lo].st, county_rate_states, 2) != 0)
        lo++;
    size_t hi = r->nzips;
    while (hi > lo && memcmp(r->zips[hi - 1].st, county_rate_states, 2) != 0)
        hi--;
    if (lo == hi)
        return;
    uint32_t *cty = calloc(hi - lo, sizeof *cty); /* each row's single county, or 0 */
    if (!cty)
        return;
    for (size_t i = lo; i < hi; i++)
        if (!county_rate_row(r, &r->zips[i], &cty[i - lo]))
            cty[i - lo] = 0;
    for (size_t i = lo; i < hi; i++) {
        zip_row *z = &r->zips[i];
        uint32_t c = cty[i - lo];
        if (!c)
            continue;
        county_set set[8]; /* the rate sets of the county's single-county ZIPs */
        size_t ns = 0;
        const char *cn = P(r, r->counties[c - 1].name);
        for (size_t k = lo; k < hi; k++) {
            const zip_row *m = &r->zips[k];
            if (cty[k - lo] != c)
                continue;
            size_t s = 0;
            while (s < ns && !(set[s].county == m->county && set[s].city == m->city &&
                               set[s].special == m->special))
                s++;
            if (s == ns) {
                if (ns == sizeof set / sizeof *set)
                    continue;
                set[ns++] = (county_set){m->county, m->city, m->special, 0, 0, (uint32_t)k + 1};
            }
            set[s].n++;
            if (county_named(cn, P(r, m->name)) && !set[s].named++)
                set[s].row = (uint32_t)k + 1; /* the county's own row answers */
        }
        size_t best = 0, nnamed = 0;
        int tie = 0;
        for (size_t s = 0; s < ns; s++)
            if (set[s].named && nnamed++ == 0)
                best = s;
        if (nnamed == 0) {
            for (size_t s = 1; s < ns; s++) {
                if (set[s].n > set[best].n) {
                    best = s;
                    tie = 0;
                } else if (set[s].n == set[best].n) {
                    tie = 1;
                }
            }
            if (!ns || tie || set[best].n < 2)
                continue;
        } else if (nnamed > 1) {
            continue;
        }
        if (set[best].county == z->county && set[best].city == z->city &&
            set[best].special == z->special)
            continue;
        zx_set(r, z)->county_row = set[best].row;
    }
    free(cty);
}

/* Partial-ZIP cities (issue 19, address precision). The ZIP table gives a ZIP one tax region,
 * and in these states a ZIP named after a city also delivers to the county around it: a
 * town's post office serves the rural routes outside its limits (Oklahoma's and Arizona's
 * towns, Idaho's resort cities, Alabama's cities and their police jurisdictions, Alaska's
 * cities inside or beside a borough), where the city's tax does not apply (an Alabama police
 * jurisdiction's, lower, does). The states where levy lists the candidates
 * (docs/rules.md section 5, "Partial-ZIP cities"). */
static const char partial_city_states[] = "AK AL AZ ID OK";

static int partial_city_state(const char *st)
{
    for (const char *p = partial_city_states; *p; p += p[2] ? 3 : 2)
        if (memcmp(p, st, 2) == 0)
            return 1;
    return 0;
}

/* city_out of a ZIP whose county has no row outside any city: the candidate outside is the
 * row's own state and county components (the city's, and its special rate, dropped). */
#define CITY_OUT_OWN UINT32_MAX

/* The combined rate outside any city of a partial-ZIP city's ZIP row. */
static int32_t city_out_rate(const levy_rates *r, const zip_row *z)
{
    uint32_t out = zx(r, z)->city_out;
    return out == CITY_OUT_OWN ? z->state + z->county : r->zips[out - 1].combined;
}

/* Index + 1 of a row of region name in state st and county county_ix, or 0. */
static uint32_t region_row(const levy_rates *r, const char *st, const char *name,
                           uint32_t county_ix)
{
    size_t lo = region_start(r, st, name);
    for (; lo < r->nzips; lo++) {
        const zip_row *m = &r->zips[r->by_region[lo]];
        if (memcmp(m->st, st, 2) != 0 || strcmp(P(r, m->name), name) != 0)
            break;
        if (m->county_ix == county_ix)
            return (uint32_t)r->by_region[lo] + 1;
    }
    return 0;
}

/* The number of ZIP rows of region name in state st. */
static size_t region_rows(const levy_rates *r, const char *st, const char *name)
{
    size_t lo = region_start(r, st, name), n = 0;
    for (; lo < r->nzips; lo++, n++) {
        const zip_row *m = &r->zips[r->by_region[lo]];
        if (memcmp(m->st, st, 2) != 0 || strcmp(P(r, m->name), name) != 0)
            break;
    }
    return n;
}

/* A town's ZIP: the table names at most this many ZIPs after the place. Its post office
 * delivers to the county around it (rural routes), so the ZIP reaches past the town's limits;
 * a city the table names on more ZIPs has ZIPs inside its limits (downtown Phoenix 85004,
 * Oklahoma City 73102), and which of its ZIPs reach its edge the shipped files cannot say
 * (a ZCTA-to-place relationship file would) -- those are flagged only when the crosswalk puts
 * the ZIP in several counties. */
#define CITY_TOWN_ZIPS 2

/* For each ZIP row of partial_city_states whose region is a place (a city, or an Alabama
 * police jurisdiction "<CITY> PJ") in a county the ZIP table also prices outside any city (a
 * row named after the county with no city rate: "SEQUOYAH", "KENAI PENINSULA"), at a lower
 * combined rate: the index of that county row (city_out), and the city's police jurisdiction
 * or the jurisdiction's city in the same county (city_alt). */
static void mark_partial_cities(levy_rates *r)
{
    if (!r->ncounties || !r->by_region)
        return;
    uint32_t *out = calloc(r->ncounties + 1, sizeof *out); /* per county: its lowest row */
    if (!out)
        return;
    for (size_t i = 0; i < r->nzips; i++) {
        const zip_row *z = &r->zips[i];
        if (!z->county_ix || z->city != 0 || !partial_city_state(z->st) || !plain_row(r, z) ||
            ends_with(P(r, z->name), " PJ"))
            continue;
        uint32_t *o = &out[z->county_ix];
        if (!*o || r->zips[*o - 1].combined > z->combined)
            *o = (uint32_t)i + 1;
    }
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (zx(r, z)->dist_base >= 0 || !plain_row(r, z) || !partial_city_state(z->st) ||
            (z->county_ix && out[z->county_ix] == i + 1))
            continue;
        const char *n = P(r, z->name);
        size_t zf;
        if (zc_find(r, z->zip, z->st, &zf) < 2 && region_rows(r, z->st, n) > CITY_TOWN_ZIPS)
            continue; /* a city's ZIP in one county: maybe wholly inside it */
        if (!z->county_ix || !out[z->county_ix]) {
            /* no row outside cities in the county (or a ZIP of several counties, none
             * established): the row's own state and county components */
            if (z->county_how != ZC_AMBIGUOUS && !z->county_ix)
                continue; /* a ZIP the crosswalk does not list (a PO box) */
            if (z->city > 0 || (ends_with(n, " PJ") && z->special > 0))
                zx_set(r, z)->city_out = CITY_OUT_OWN;
            if (zx(r, z)->city_out && !z->county_ix && z->county > 0) {
                char cn[160];
                int l = snprintf(cn, sizeof cn, "%s (COUNTY)", n);
                uint32_t off = l > 0 && (size_t)l < sizeof cn ? pool_add(r, cn, (size_t)l) : 0;
                zx_set(r, z)->out_county = off == UINT32_MAX ? 0 : off;
            }
            continue;
        }
        const zip_row *u = &r->zips[out[z->county_ix] - 1];
        if (z->combined <= u->combined || z->state != u->state)
            continue;
        /* a place: a city rate, or (Alaska: a city's tax in the county column, "HOMER") a
         * higher county rate under a name that is no county's */
        if (z->city <= 0 && (z->county <= u->county || county_by_name(r, z->st, n)))
            continue;
        zx_set(r, z)->city_out = out[z->county_ix];
    }
    free(out);
    /* Alabama: a city and its police jurisdiction ("ARAB" and "ARAB PJ") in one county */
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        const char *n = P(r, z->name);
        size_t nl = strlen(n);
        if (!zx(r, z)->city_out || nl < 4 || nl >= 128)
            continue;
        char other[128];
        if (strcmp(n + nl - 3, " PJ") == 0) {
            memcpy(other, n, nl - 3);
            other[nl - 3] = 0;
        } else if (nl + 3 < sizeof other) {
            memcpy(other, n, nl);
            memcpy(other + nl, " PJ", 4);
        } else
            continue;
        uint32_t a = region_row(r, z->st, other, z->county_ix);
        if (a && a != i + 1 && r->zips[a - 1].combined != z->combined &&
            r->zips[a - 1].combined > city_out_rate(r, z))
            zx_set(r, z)->city_alt = a;
    }
}

/* The police-jurisdiction row's city name ("ARAB" for "ARAB PJ") in buf, else the name. */
static const char *pj_city(const char *n, char *buf, size_t cap)
{
    size_t nl = strlen(n);
    if (nl > 3 && nl < cap && strcmp(n + nl - 3, " PJ") == 0) {
        memcpy(buf, n, nl - 3);
        buf[nl - 3] = 0;
        return buf;
    }
    return n;
}

/* Plain-named ZIPs spanning several rates (issue 19, address precision). A region whose name
 * names no district (and is no partial-ZIP city) that the ZIP table prices at two special
 * rates in one county, with the same state, county and city rates (MO 63011 ELLISVILLE 3.25 %
 * special against 1.25 % on the region's other ZIPs; IL LOMBARD 1.75 against 0.75 %): the
 * higher rate is a special district covering part of the region -- this ZIP's part, or all of
 * it, the table cannot say which. The row keeps its rate (charged, unlike a partial-ZIP
 * district's, whose name says it covers a few parcels) and lists the region's lower rate as
 * the other candidate. Not California (CDTFA's candidates), not a row already flagged as a
 * partial-ZIP district or city. Marks special_low: the index + 1 of the region's row at the
 * lowest special rate below the row's among the rows sharing a county with it (a ZIP's
 * county: the one levy established, or any the crosswalk lists for the ZIP). */
/* The counties of a ZIP row (counties + 1): its established county, and those the crosswalk
 * lists for its ZIP; returns how many were written to ix (at most cap). */
static size_t zip_counties(const levy_rates *r, const zip_row *z, uint32_t *ix, size_t cap)
{
    size_t n = 0, f, nz = zc_find(r, z->zip, z->st, &f);
    if (z->county_ix && n < cap)
        ix[n++] = z->county_ix;
    for (size_t k = 0; k < nz && n < cap; k++) {
        uint32_t c = county_index(r, r->zc[f + k].fips);
        if (c && c != z->county_ix)
            ix[n++] = c;
    }
    return n;
}

/* Do two ZIP rows share a county (zip_counties)? */
static int zips_share_county(const levy_rates *r, const zip_row *a, const zip_row *b)
{
    uint32_t x[8], y[8];
    size_t nx = zip_counties(r, a, x, 8), ny = zip_counties(r, b, y, 8);
    for (size_t i = 0; i < nx; i++)
        for (size_t k = 0; k < ny; k++)
            if (x[i] == y[k])
                return 1;
    return 0;
}

/* A region named after tribal land ("NAVAJO NATION", "... RESERVATION", "... PUEBLO ..."). */
static int tribal_name(const char *n)
{
    static const char *const words[] = {"NATION", "RESERVATION", "PUEBLO",
                                        "TRIBAL", "TRIBE",       "INDIAN"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        const char *p = strstr(n, words[i]);
        size_t wl = strlen(words[i]);
        /* a whole word ("NATIONAL" is not) */
        if (p && (p == n || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0'))
            return 1;
    }
    return 0;
}

static void mark_plain_specials(levy_rates *r)
{
    if (!r->by_region)
        return;
    for (size_t i = 0; i < r->nzips; i++) {
        zip_row *z = &r->zips[i];
        if (z->special <= 0 || zx(r, z)->dist_base >= 0 || zx(r, z)->city_out ||
            memcmp(z->st, "CA", 2) == 0 || !plain_row(r, z))
            continue;
        const char *n = P(r, z->name);
        uint32_t low = 0;
        for (size_t lo = region_start(r, z->st, n); lo < r->nzips; lo++) {
            const zip_row *m = &r->zips[r->by_region[lo]];
            if (memcmp(m->st, z->st, 2) != 0 || strcmp(P(r, m->name), n) != 0)
                break;
            if (m->state == z->state && m->county == z->county && zips_share_county(r, z, m) &&
                m->city == z->city && m->special < z->special &&
                (!low || m->special < r->zips[low - 1].special))
                low = (uint32_t)r->by_region[lo] + 1;
        }
        /* a region named after tribal land (UT "NAVAJO NATION" 84512 at 12.35 %, AZ "PASCUA
         * PUEBLO YAQUI RESERVATION" 85746) whose own rows agree: the county's plain rows of the
         * same shape around it (UT "SAN JUAN" 6.35 %), when more than a district's cap lower */
        for (int pass = 0; pass < 2 && !low && tribal_name(n); pass++) {
            uint32_t cix[8];
            size_t nc = zip_counties(r, z, cix, 8);
            for (size_t c = 0; c < nc && c < 8; c++) {
                const char *bare = P(r, r->counties[cix[c] - 1].bare);
                for (size_t lo = region_start(r, z->st, bare); lo < r->nzips; lo++) {
                    const zip_row *m = &r->zips[r->by_region[lo]];
                    if (memcmp(m->st, z->st, 2) != 0 || strcmp(P(r, m->name), bare) != 0)
                        break;
                    /* the same shape; failing that (pass 1: NM "NAVAJO NATION RESERVATION"
                     * 87420 at 10.875 % = state 4.875 + the Navajo Nation's 6 %, no county
                     * rate; 24 N.N.C. ch. 6, Navajo Tax Commission "Sales Tax": 6 % on all
                     * retail sales within the Nation) a tribal row with neither county nor
                     * city rate against the county's row off the Nation ("SAN JUAN" 6.5 %:
                     * state + county) */
                    int shape = pass == 0 ? m->county == z->county
                                          : z->county == 0 && m->county > 0 && z->city == 0;
                    if (m->state == z->state && shape && m->city == z->city && plain_row(r, m) &&
                        zx(r, m)->dist_base < 0 && !zx(r, m)->city_out &&
                        z->special - m->special > DIST_MAX && zips_share_county(r, z, m) &&
                        (!low || m->special < r->zips[low - 1].special))
                        low = (uint32_t)r->by_region[lo] + 1;
                }
            }
        }
        /* a gap above the districts' caps (DIST_MAX) is no sub-area district of the region but
         * a tax of another kind on part of it -- a tribal tax on a county's reservation ZIPs (AZ
         * APACHE 86502: the Navajo Nation's 6 %), a row of another shape: still two candidate
         * rates the table cannot choose between, listed as such (special_wide) */
        if (low) {
            zip_extra *x = zx_set(r, z);
            x->special_low = low;
            x->special_wide = z->special - r->zips[low - 1].special > DIST_MAX;
        }
    }
}

/* A partial-ZIP city's ZIP with ship_to.city naming another place of the ZIP's county that the
 * ZIP table prices (its rows in that county agree): the address is there, not in the ZIP's
 * city (the postal name of every address of the ZIP is its post office's, so naming the ZIP's
 * own city, or the city of its police jurisdiction, says nothing). Returns that row or NULL. */
static const zip_row *city_row_decides(const levy_rates *r, const zip_row *row,
                                       const char *city_upper)
{
    char own[128];
    if (!city_upper[0] || !r->by_region ||
        strcmp(pj_city(P(r, row->name), own, sizeof own), city_upper) == 0 ||
        strcmp(P(r, row->name), city_upper) == 0)
        return NULL;
    /* the ZIP's counties: its own, or (a ZIP of several) the crosswalk's */
    uint32_t cix[8];
    int ncix = 0;
    if (row->county_ix)
        cix[ncix++] = row->county_ix;
    else {
        size_t f, n = zc_find(r, row->zip, row->st, &f);
        for (size_t k = 0; k < n && ncix < 8; k++) {
            uint32_t ix = county_index(r, r->zc[f + k].fips);
            if (ix)
                cix[ncix++] = ix;
        }
    }
    size_t lo = region_start(r, row->st, city_upper);
    const zip_row *pick = NULL;
    for (; lo < r->nzips; lo++) {
        const zip_row *m = &r->zips[r->by_region[lo]];
        if (memcmp(m->st, row->st, 2) != 0 || strcmp(P(r, m->name), city_upper) != 0)
            break;
        int in = 0;
        for (int k = 0; k < ncix && !in; k++)
            in = m->county_ix == cix[k];
        if (!in && !m->county_ix) { /* that place's ZIP lies in several counties too */
            size_t f, n = zc_find(r, m->zip, m->st, &f);
            for (size_t j = 0; j < n && !in; j++)
                for (int k = 0; k < ncix && !in; k++)
                    in = county_index(r, r->zc[f + j].fips) == cix[k];
        }
        if (!in)
            continue;
        if (!plain_row(r, m) || zx(r, m)->dist_base >= 0)
            return NULL;
        /* every row of that place in the ZIP's counties says the same */
        if (pick &&
            (m->combined != pick->combined || m->state != pick->state ||
             m->county != pick->county || m->city != pick->city || m->special != pick->special))
            return NULL;
        pick = m;
    }
    return pick;
}

/* One candidate from a ZIP-table row of the ZIP's county: its combined rate (exact: the
 * table's own sum) and its jurisdictions named as resolve_us names them. */
static void city_cand(const levy_rates *r, const zip_row *z, const fips_county *cty,
                      const char *ccounty, const char *kind, int own_county, levy_tax_candidate *c)
{
    memset(c, 0, sizeof *c);
    c->rate = own_county ? (int64_t)z->state + z->county : z->combined;
    c->area = !own_county ? P(r, z->name)
              : cty       ? P(r, cty->name)
              : ccounty   ? ccounty
                          : P(r, z->name);
    c->area_kind = kind;
    char st[3] = {z->st[0], z->st[1], 0};
    if (z->state > 0) {
        c->code[c->nj] = state_code(r, z->st);
        c->jur[c->nj++] = levy_rates_us_state_name(st);
    }
    if (z->county > 0 && (cty || ccounty)) {
        c->code[c->nj] = cty ? P(r, cty->code) : NULL;
        c->jur[c->nj++] = cty ? P(r, cty->name) : ccounty;
    }
    if (own_county)
        return;
    /* the place: its city rate, or (Alaska) its tax in the county column of a row that names
     * no county ("HOMER" 7.85 % in the Kenai Peninsula Borough) */
    if (z->city > 0 || (z->county > 0 && !(cty && county_named(P(r, cty->name), P(r, z->name))))) {
        c->code[c->nj] = z->city > 0 ? place_code(r, z->st, P(r, z->name), cty) : NULL;
        c->jur[c->nj++] = P(r, z->name);
    }
    if (z->special > 0 && !(c->nj && strcmp(c->jur[c->nj - 1], P(r, z->name)) == 0)) {
        c->code[c->nj] = NULL; /* a special rate: the region's (a police jurisdiction's) */
        c->jur[c->nj++] = P(r, z->name);
    }
}

/* A ZIP whose region is a partial-ZIP city (mark_partial_cities): the candidates, the ZIP
 * table's answer first (default: charged), then the police jurisdiction (Alabama) and the
 * county outside any city. */
static void city_candidates(const levy_rates *r, const zip_row *row, levy_tax_resolution *res)
{
    const fips_county *cty = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
    const char *n = P(r, row->name);
    size_t nl = strlen(n);
    int pj = nl > 3 && strcmp(n + nl - 3, " PJ") == 0;
    /* a ZIP of several counties: the county named as the answer names it ("ARAB (COUNTY)") */
    const zip_extra *x = zx(r, row);
    const char *cc = x->out_county ? P(r, x->out_county) : NULL;
    int k = 0;
    city_cand(r, row, cty, cc, pj ? "police_jurisdiction" : "city", 0, &res->cand[k]);
    res->cand[k++].is_default = 1;
    if (x->city_alt)
        city_cand(r, &r->zips[x->city_alt - 1], cty, cc, pj ? "city" : "police_jurisdiction", 0,
                  &res->cand[k++]);
    if (x->city_out == CITY_OUT_OWN)
        city_cand(r, row, cty, cc, "outside_cities", 1, &res->cand[k++]);
    else
        city_cand(r, &r->zips[x->city_out - 1], cty, cc, "outside_cities", 0, &res->cand[k++]);
    res->ncand = res->ncand_all = k;
    res->ambiguous = 1;
    snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(row->zip % 100000));
}

/* A plain-named ZIP spanning several rates (mark_plain_specials): the ZIP table's answer
 * (default: charged) and the region's lower special rate, each an exact sum of the table's
 * components, `area` the region and `area_kind` which of its rates. */
static void special_candidates(const levy_rates *r, const zip_row *row, levy_tax_resolution *res)
{
    const fips_county *cty = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
    const zip_extra *x = zx(r, row);
    int w = x->special_wide; /* a gap wider than a district's cap: said by the kinds */
    city_cand(r, row, cty, NULL, w ? "higher_special_wide" : "higher_special", 0, &res->cand[0]);
    res->cand[0].is_default = 1;
    city_cand(r, &r->zips[x->special_low - 1], cty, NULL,
              w ? "lower_special_wide" : "lower_special", 0, &res->cand[1]);
    res->ncand = res->ncand_all = 2;
    res->ambiguous = 1;
    snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(row->zip % 100000));
}

/* The independent city (a county-equivalent "<NAME> CITY": Virginia's, Baltimore, St. Louis,
 * Carson City) of state st that region name rn names ("RICHMOND", "RICHMOND CITY"), or NULL. */
static const fips_county *indep_city(const levy_rates *r, const char *st, const char *rn)
{
    size_t rl = strlen(rn);
    size_t n = r->indep ? r->nindep : r->ncounties; /* all of them when the index is missing */
    for (size_t k = 0; k < n; k++) {
        const fips_county *c = &r->counties[r->indep ? r->indep[k] : k];
        const char *cn = P(r, c->name);
        if (memcmp(c->st, st, 2) == 0 && ends_with(cn, " CITY") && strncmp(cn, rn, rl) == 0 &&
            (cn[rl] == 0 || strcmp(cn + rl, " CITY") == 0))
            return c;
    }
    return NULL;
}

/* A ZIP row of tax region name_upper in row's state and county (when row's is known) with
 * row's city rate, or NULL. */
static const zip_row *same_city_region(const levy_rates *r, const zip_row *row,
                                       const char *name_upper)
{
    if (!r->by_region)
        return NULL;
    size_t lo = region_start(r, row->st, name_upper); /* the first row of (state, name) */
    for (; lo < r->nzips; lo++) {
        const zip_row *z = &r->zips[r->by_region[lo]];
        if (memcmp(z->st, row->st, 2) != 0 || strcmp(P(r, z->name), name_upper) != 0)
            break;
        /* the same county when the ZIP's is known (a PO-box ZIP the crosswalk lacks: any) */
        if (z->city == row->city && (!row->county_ix || z->county_ix == row->county_ix))
            return z;
    }
    return NULL;
}

/* The FIPS place code ("2965000") of the Census place named name (a city tax's name) in state
 * st and, when the ZIP's county is known, in that county; NULL when none or several differ. */
static const char *place_code(const levy_rates *r, const char *st, const char *name,
                              const fips_county *cty)
{
    char k[128];
    place_key(k, name, sizeof k);
    size_t lo = 0, hi = r->nplaces;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const fips_place *m = &r->places[mid];
        int c = memcmp(m->st, st, 2);
        if (!c)
            c = strcmp(P(r, m->key), k);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const char *code = NULL;
    for (; lo < r->nplaces; lo++) {
        const fips_place *m = &r->places[lo];
        if (memcmp(m->st, st, 2) != 0 || strcmp(P(r, m->key), k) != 0)
            break;
        if (cty) { /* the county among the place's ("ERIE COUNTY;NIAGARA COUNTY") */
            const char *cs = P(r, m->counties), *cn = P(r, cty->name), *hit = cs;
            size_t cl = strlen(cn);
            int in = 0;
            while (!in && (hit = strstr(hit, cn)) != NULL) {
                in = (hit == cs || hit[-1] == ';') && (hit[cl] == 0 || hit[cl] == ';');
                hit += cl;
            }
            if (!in)
                continue;
        }
        if (code && strcmp(code, P(r, m->code)) != 0)
            return NULL; /* a town and a village of one name: not established */
        code = P(r, m->code);
    }
    return code;
}

/* e names the tax region name, or the independent city it is ("ST. LOUIS" -> St. Louis city,
 * 29510: one name and code for the city's tax whichever way it was found). */
static void name_as_city(const levy_rates *r, const zip_row *row, levy_tax_entry *e,
                         const char *name, const char *note)
{
    const fips_county *ic = indep_city(r, row->st, name);
    e->name = ic ? P(r, ic->name) : name;
    e->code = ic ? P(r, ic->code) : NULL;
    e->note = note;
}

/* Names the city component of a ZIP row: the independent city that is the ZIP's
 * county-equivalent, the ship-to's city when it is a tax region of the same county at the same
 * city rate, else the table's region with a note. */
static void name_city(const levy_rates *r, const zip_row *row, const fips_county *cty,
                      const char *city_upper, levy_tax_entry *e)
{
    const char *rname = P(r, row->name);
    /* a region named as an independent city of the state ("RICHMOND" -> Richmond city, a
     * county-equivalent), even where the crosswalk puts the ZIP in a neighbour */
    const fips_county *ic = indep_city(r, row->st, rname);
    if (!ic && cty && ends_with(P(r, cty->name), " CITY") && memcmp(row->st, "VA", 2) == 0)
        ic = cty; /* Virginia's local tax is the county's or the independent city's (Va. Code
                   * 58.1-605/606): a city rate there is the ZIP's independent city's */
    if (ic) {
        e->name = P(r, ic->name);
        e->code = P(r, ic->code);
        e->note = NOTE_CITY_COUNTY_EQ;
        return;
    }
    if (city_upper && city_upper[0] && strcmp(city_upper, rname) != 0) {
        const zip_row *z = same_city_region(r, row, city_upper);
        if (z) {
            name_as_city(r, row, e, P(r, z->name), NOTE_CITY_SHIP_TO);
            return;
        }
    }
    if (district_name(rname)) {
        /* "EL PASO CTD TRANSIT", "SACRAMENTO TMD ZONE 1": the longest leading words that are a
         * tax region of the same county at the same city rate name the city */
        char pre[128];
        snprintf(pre, sizeof pre, "%s", rname);
        char *sp;
        while ((sp = strrchr(pre, ' ')) != NULL) {
            *sp = 0;
            const fips_county *pc = ends_with(pre, " CITY") ? indep_city(r, row->st, pre) : NULL;
            if (pc) { /* "ALEXANDRIA CITY CO SP" */
                e->name = P(r, pc->name);
                e->code = P(r, pc->code);
                e->note = NOTE_CITY_COUNTY_EQ;
                return;
            }
            const zip_row *z = same_city_region(r, row, pre);
            if (z) {
                name_as_city(r, row, e, P(r, z->name), NOTE_CITY_PREFIX);
                return;
            }
        }
        e->note = NOTE_CITY_DISTRICT;
        return;
    }
    e->note = NOTE_CITY_NO_CODE;
}

/* The CDTFA row named name_upper: a city (want_city) or a county's unincorporated area
 * ("LOS ANGELES COUNTY"), of the newest file in effect at date (the oldest file when none is
 * yet); NULL if none. */
static const cdtfa_row *cdtfa_lookup(const levy_rates *r, const char *name_upper, int want_city,
                                     int32_t date)
{
    size_t lo = 0, hi = r->ncdtfa;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(P(r, r->cdtfa[mid].name), name_upper);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const cdtfa_row *oldest = NULL;
    for (; lo < r->ncdtfa && strcmp(P(r, r->cdtfa[lo].name), name_upper) == 0; lo++)
        if (r->cdtfa[lo].is_city == (want_city != 0)) {
            if (r->cdtfa[lo].from <= date)
                return &r->cdtfa[lo];
            oldest = &r->cdtfa[lo];
        }
    return oldest;
}

static const cdtfa_row *cdtfa_find(const levy_rates *r, const char *city_upper, int32_t date)
{
    return cdtfa_lookup(r, city_upper, 1, date);
}

/* The unincorporated area of the CDTFA county named bare ("LOS ANGELES"), or NULL. */
static const cdtfa_row *cdtfa_county(const levy_rates *r, const char *bare, int32_t date)
{
    char k[160];
    snprintf(k, sizeof k, "%s COUNTY", bare);
    return cdtfa_lookup(r, k, 0, date);
}

/* 1 when the official file of table tnew, which prices a place the older table told prices
 * too, speaks for date: it took effect on or before date and after told's vintage (issue 19:
 * CDTFA's 2026-01-01 rates over the December 2025 ZIP table from 2026-01-01 on, the ZIP
 * table's before). */
static int newer_wins(const levy_rates *r, int tnew, int told, int32_t date)
{
    if (tnew < 0 || tnew >= r->ntables || told < 0 || told >= r->ntables)
        return 0;
    int32_t fn = vintage_from(P(r, r->tables[tnew].vintage)),
            fo = vintage_from(P(r, r->tables[told].vintage));
    return fn && fn <= date && fn > fo;
}

/* California (issue 19, address precision): the counties a ZIP lies in, as CDTFA names them
 * ("LOS ANGELES"), from the HUD ZIP-county crosswalk; at most cap, the count returned. */
static int ca_zip_counties(const levy_rates *r, uint32_t zip, const char **out, int cap)
{
    size_t f, n = zc_find(r, zip, "CA", &f);
    int k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        uint32_t ix = county_index(r, r->zc[f + i].fips);
        if (ix)
            out[k++] = P(r, r->counties[ix - 1].bare);
    }
    return k;
}

/* 1 when the CDTFA city cd may lie in the ZIP: its CDTFA county or one of its Census place's
 * counties is a county of the ZIP (or the crosswalk does not list the ZIP: not refuted). */
static int ca_city_fits(const levy_rates *r, const cdtfa_row *cd, const char **cty, int ncty)
{
    if (ncty == 0)
        return 1;
    char k[128];
    place_key(k, P(r, cd->name), sizeof k);
    for (int i = 0; i < ncty; i++) {
        if (strcmp(cty[i], P(r, cd->county)) == 0)
            return 1;
        for (size_t p = 0; p < r->nplaces; p++) { /* a city in two counties (places-2010) */
            const fips_place *m = &r->places[p];
            if (memcmp(m->st, "CA", 2) != 0 || strcmp(P(r, m->key), k) != 0)
                continue;
            char cn[160];
            snprintf(cn, sizeof cn, "%s COUNTY", cty[i]);
            const char *cs = P(r, m->counties), *hit = cs;
            size_t cl = strlen(cn);
            while ((hit = strstr(hit, cn)) != NULL) {
                if ((hit == cs || hit[-1] == ';') && (hit[cl] == 0 || hit[cl] == ';'))
                    return 1;
                hit += cl;
            }
        }
    }
    return 0;
}

/* Adds a California candidate (a CDTFA city or a county's unincorporated area) unless the
 * same one is listed. */
static void ca_add_cand(const levy_rates *r, levy_tax_resolution *res, const char *stcode,
                        const cdtfa_row *cd)
{
    const char *name = cd->is_city ? P(r, cd->name) : P(r, cd->uninc);
    for (int c = 0; c < res->ncand; c++)
        if (res->cand[c].nj == 3 && strcmp(res->cand[c].jur[2], name) == 0 &&
            res->cand[c].rate == cd->rate)
            return;
    res->ncand_all++;
    if (res->ncand == LEVY_TAX_MAX_CANDIDATES)
        return;
    levy_tax_candidate *nc = &res->cand[res->ncand++];
    memset(nc, 0, sizeof *nc);
    nc->rate = cd->rate;
    const fips_county *cc = county_by_name(r, "CA", P(r, cd->county));
    nc->jur[0] = "CALIFORNIA";
    nc->code[0] = stcode;
    nc->jur[1] = P(r, cd->county);
    nc->code[1] = cc ? P(r, cc->code) : NULL;
    nc->jur[2] = name;
    nc->code[2] = cd->is_city ? place_code(r, "CA", name, cc) : NULL;
    nc->nj = 3;
    nc->city = cd->is_city ? name : NULL;
}

/* California ZIPs that span several cities or district taxes (issue 19, address precision).
 * The shipped files have no ZIP-to-city table, so a ZIP is listed as spanning several rates
 * only where they show it: the crosswalk puts it in several counties; its ZIP-table tax region
 * is not a CDTFA city (a district, "WEST HOLLYWOOD TOURISM IMPROVEMENT DISTRICT", or a county
 * area, "KERN"); the CDTFA rate of the city it names differs from the ZIP row's (the ZIP table
 * took the rate of another part of the ZIP: 90016 "CULVER CITY" 10.5 within Los Angeles); or
 * ship_to.city names a CDTFA city outside the ZIP's counties (given); or the city the region
 * names lies outside the ZIP's counties (elsewhere). Candidates: the ZIP
 * table's answer (default, what levy charges: res->e), the CDTFA city the region names (or
 * its leading words), the given city, and the unincorporated area of each of the ZIP's
 * counties, each at its CDTFA rate. ship_to.city then picks the city's rate. */
static void ca_candidates(const levy_rates *r, const zip_row *row, uint32_t zip, const char *stcode,
                          const cdtfa_row *given, int32_t date, levy_tax_resolution *res)
{
    const char *rname = P(r, row->name);
    const char *cty[8];
    int ncty = ca_zip_counties(r, zip, cty, 8);
    const cdtfa_row *named = cdtfa_find(r, rname, date), *area = NULL;
    int exact = named != NULL;
    if (!named) { /* "LONG BEACH TOURISM BIA" -> LONG BEACH; "SAN DIEGO CO LOCAL TAX SL" and
                   * "KERN" -> that county's unincorporated area */
        char pre[128];
        snprintf(pre, sizeof pre, "%s", rname);
        area = cdtfa_county(r, pre, date);
        char *sp;
        while (!area && !named && (sp = strrchr(pre, ' ')) != NULL) {
            int county_word = strcmp(sp + 1, "CO") == 0 || strcmp(sp + 1, "COUNTY") == 0;
            *sp = 0;
            if (county_word)
                area = cdtfa_county(r, pre, date);
            else
                named = cdtfa_find(r, pre, date);
        }
    }
    if (exact && named->rate != row->combined) { /* "SAN BERNARDINO" at the county's rate: the
                                                   * county's unincorporated area, not the city */
        const cdtfa_row *u = cdtfa_county(r, rname, date);
        if (u && u->rate == row->combined) {
            named = NULL;
            area = u;
        }
    }
    /* the city the region names lies in none of the ZIP's counties (94301 "MENLO PARK", of
     * San Mateo County, for a ZIP the crosswalk puts in Santa Clara County alone): the row
     * carries a neighbouring city's rate and levy cannot tell which of the ZIP's places the
     * address is in -- said in the answer (the ZIP's counties' areas listed), not picked */
    int elsewhere = named && !ca_city_fits(r, named, cty, ncty);
    int spans = ncty > 1 || !exact || (named && named->rate != row->combined) || given || elsewhere;
    if (!spans)
        return;
    snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(zip % 100000));
    /* the ZIP table's answer: its jurisdictions as listed (one name each) */
    levy_tax_candidate *c0 = &res->cand[0];
    memset(c0, 0, sizeof *c0);
    c0->is_default = 1;
    for (int k = 0; k < res->n; k++) {
        if (res->e[k].rate <= 0)
            continue;
        c0->rate += res->e[k].rate;
        if (c0->nj && strcmp(c0->jur[c0->nj - 1], res->e[k].name) == 0)
            continue;
        c0->code[c0->nj] = res->e[k].code;
        c0->jur[c0->nj++] = res->e[k].name;
    }
    res->ncand = res->ncand_all = 1;
    if (named)
        ca_add_cand(r, res, stcode, named);
    if (given)
        ca_add_cand(r, res, stcode, given);
    if (area)
        ca_add_cand(r, res, stcode, area);
    for (int i = 0; i < ncty; i++) {
        const cdtfa_row *u = cdtfa_county(r, cty[i], date);
        if (u)
            ca_add_cand(r, res, stcode, u);
    }
    for (int c = 1; c < res->ncand; c++)
        res->ambiguous |= res->cand[c].rate != res->cand[0].rate;
}

/* A partial-ZIP district's ZIP with ship_to.city naming another place (issue 19): the address is
 * then outside the district, which lies inside its own city, and the ZIP table's rows of the
 * named place in the ZIP's county (same county rate: plain rows at their special rate, or
 * district-named ones at their rate outside the district) give its city and special rates when
 * they agree. Returns 1 when that decided the answer (city entry ce and special entry sp set). */
static int district_city_decides(const levy_rates *r, const zip_row *row, const char *city_upper,
                                 levy_tax_entry *ce, levy_tax_entry *sp, levy_tax_resolution *res)
{
    const char *rname = P(r, row->name);
    size_t cl = strlen(city_upper);
    if (!cl || !r->by_region || strcmp(rname, city_upper) == 0 ||
        (strncmp(rname, city_upper, cl) == 0 && (rname[cl] == ' ' || rname[cl] == '/')))
        return 0; /* the district's own city: inside or outside, the city cannot say */
    size_t lo = region_start(r, row->st, city_upper);
    int found = 0;
    int32_t city = 0, special = 0;
    const char *pname = NULL; /* the place's own region name, when it has a plain row */
    for (; lo < r->nzips; lo++) {
        const zip_row *m = &r->zips[r->by_region[lo]];
        const char *mn = P(r, m->name);
        if (memcmp(m->st, row->st, 2) != 0 || strncmp(mn, city_upper, cl) != 0)
            break;
        if (mn[cl] != 0 && mn[cl] != ' ' && mn[cl] != '/')
            continue; /* "CHESTERFIELDS" */
        if (m->county_ix != row->county_ix || m->county != row->county)
            continue;
        int32_t s;
        if (mn[cl] == 0 && plain_row(r, m)) {
            s = m->special;
            pname = mn;
        } else if (zx(r, m)->dist_base >= 0)
            s = zx(r, m)->dist_base;
        else
            continue;
        if (found && (m->city != city || s != special))
            return 0; /* the place's rows disagree: not decided */
        found = 1;
        city = m->city;
        special = s;
    }
    if (!found || city <= 0)
        return 0;
    const fips_county *cty = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
    const char *code = place_code(r, row->st, city_upper, cty), *name = pname;
    for (size_t p = 0; code && !name && p < r->nplaces; p++)
        if (strcmp(P(r, r->places[p].code), code) == 0)
            name = P(r, r->places[p].key);
    if (!name)
        return 0;
    int64_t slack =
        (int64_t)row->combined - ((int64_t)row->state + row->county + row->city + row->special);
    ce->name = name;
    ce->code = code;
    ce->rate = city;
    ce->note = NOTE_CITY_GIVEN_DISTRICT;
    sp->name = name;
    sp->rate = special + slack > 0 ? special + slack : 0;
    sp->note = NOTE_SPECIAL;
    res->precision = LEVY_RES_ZIP5_CITY;
    return 1;
}

/* A ZIP whose ZIP-table region is a partial-ZIP district (mark_partial_districts): two
 * candidates, outside the district (default: what levy charges) and inside it (the ZIP
 * table's rate), their rates exact sums of the table's components; the special entry charged
 * at the rate outside. Outside is the default because such a district covers a few parcels
 * (a shopping centre, a hotel, a business street) of a ZIP of thousands of addresses: most
 * addresses of the ZIP are outside it (docs/rules.md section 5, "Partial-ZIP districts"). */
static void district_candidates(const levy_rates *r, const zip_row *row, levy_tax_entry *sp,
                                levy_tax_resolution *res)
{
    int64_t dist = (int64_t)row->special - zx(r, row)->dist_base;
    snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(row->zip % 100000));
    /* the city the district lies in, when the table has no region of its own: the Census
     * place of the ZIP's county that the region's leading words name ("CHESTERFIELD") */
    const fips_county *cty = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
    for (int k = 0; k < res->n; k++) {
        levy_tax_entry *e = &res->e[k];
        if (e->level != LEVY_LEVEL_CITY || e->note != NOTE_CITY_DISTRICT)
            continue;
        char pre[128], key[128];
        snprintf(pre, sizeof pre, "%s", P(r, row->name));
        char *cut;
        const char *code = NULL;
        while (!code && (cut = strpbrk(pre, " /")) != NULL) {
            char *last = strrchr(pre, ' '), *sl = strrchr(pre, '/');
            *(sl && sl > last ? sl : last) = 0;
            code = place_code(r, row->st, pre, cty);
            (void)cut;
        }
        if (!code)
            break;
        place_key(key, pre, sizeof key);
        for (size_t p = 0; p < r->nplaces; p++)
            if (strcmp(P(r, r->places[p].code), code) == 0) {
                e->name = P(r, r->places[p].key);
                e->code = code;
                e->note = NOTE_CITY_DISTRICT_PLACE;
                break;
            }
        break;
    }
    levy_tax_candidate *out = &res->cand[0], *in = &res->cand[1];
    memset(out, 0, sizeof *out);
    memset(in, 0, sizeof *in);
    out->is_default = 1;
    in->district = P(r, row->name);
    const char *place = NULL; /* the city (or else county) the district lies in */
    for (int k = 0; k < res->n; k++) {
        const levy_tax_entry *e = &res->e[k];
        if (e->rate <= 0)
            continue;
        in->rate += e->rate;
        if (!in->nj || strcmp(in->jur[in->nj - 1], e->name) != 0) {
            in->code[in->nj] = e->code;
            in->jur[in->nj++] = e->name;
        }
        const char *name = e == sp && place ? place : e->name;
        int64_t rate = e == sp ? e->rate - dist : e->rate;
        if (rate <= 0)
            continue;
        out->rate += rate;
        if (!out->nj || strcmp(out->jur[out->nj - 1], name) != 0) {
            out->code[out->nj] = e == sp ? NULL : e->code;
            out->jur[out->nj++] = name;
        }
        if (e == sp)
            continue;
        if (e->level == LEVY_LEVEL_CITY || (!place && e->level == LEVY_LEVEL_COUNTY))
            place = e->name;
    }
    res->ncand = res->ncand_all = 2;
    res->ambiguous = 1;
    /* charged: the rate outside the district, under the name of the place it belongs to */
    sp->rate -= dist;
    if (place)
        sp->name = place;
    sp->note = zx(r, row)->dist_how == DIST_BY_CITY ? NOTE_DISTRICT_CITY : NOTE_DISTRICT_COUNTY;
}

static int resolve_us(const levy_rates *r, const levy_tax_address *a, const char *line1,
                      int32_t date, levy_tax_resolution *res, levy_err *err)
{
    const char *st = a->state;
    const char *stname = levy_rates_us_state_name(st);
    if (!stname)
        return levy_err_set(err, LEVY_ENOTFOUND, "address_unresolved", "unknown US state '%s'",
                            st ? st : "");
    snprintf(res->region, sizeof res->region, "US-%s", st);
    snprintf(res->group_region[0], 8, "%s", res->region);
    res->ngroups = 1;
    const char *stcode = state_code(r, st);
    /* ZIP5 or ZIP+4 ("92614-1234" or "926141234") */
    const char *z = a->zip ? a->zip : "";
    size_t zl = strlen(z);
    int ok = zl == 5 || (zl == 10 && z[5] == '-') || zl == 9;
    for (size_t i = 0; ok && i < zl; i++)
        ok = (i == 5 && zl == 10) ? 1 : isdigit((unsigned char)z[i]) != 0;
    if (!ok)
        return levy_err_set(err, LEVY_ENOTFOUND, "address_unresolved",
                            "zip_code '%s' is not a US ZIP or ZIP+4", z);
    uint32_t zip = 0;
    for (int i = 0; i < 5; i++)
        zip = zip * 10 + (uint32_t)(z[i] - '0');
    size_t lo = 0, hi = r->nzips;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->zips[mid].zip < zip)
            lo = mid + 1;
        else
            hi = mid;
    }
    const zip_row *row = NULL;
    int any = 0;
    for (size_t i = lo; i < r->nzips && r->zips[i].zip == zip; i++) {
        any = 1;
        if (memcmp(r->zips[i].st, st, 2) == 0)
            row = &r->zips[i];
    }
    /* a ship-to city naming DOR location codes of different rates in the ZIP's counties (WA
     * Bothell 98011: BOTHELL/KING 10.3, BOTHELL/SNOHOMISH 10.5): listed, not picked */
    int32_t wa_rate[4];
    const char *wa_name[4];
    int wa_n = 0;
    /* a state's own DOR files decide before the ZIP5 table; the only state files read are
     * Washington's (levy_stateformats_load writes every row as WA), so another state's
     * address skips the crosswalk and row scans below */
    if ((r->nz4 || r->nloc) && memcmp(st, "WA", 2) == 0) {
        int plus4 = -1;
        if (zl > 5) {
            const char *p4 = z + (zl == 10 ? 6 : 5);
            plus4 = (p4[0] - '0') * 1000 + (p4[1] - '0') * 100 + (p4[2] - '0') * 10 + (p4[3] - '0');
        }
        int32_t srate, lrate;
        const char *lname;
        int t;
        /* the ZIP's counties (a location code named as the city must lie in one), and the
         * ZIP table's vintage (an expired DOR table answers while it is not older) */
        const char *zc[8];
        int nzc = 0;
        size_t zf, nz = zc_find(r, zip, st, &zf);
        for (size_t k = 0; k < nz && nzc < 8; k++) {
            uint32_t ci = county_index(r, r->zc[zf + k].fips);
            if (ci)
                zc[nzc++] = P(r, r->counties[ci - 1].bare);
        }
        int32_t zfrom = row ? levy_rates_vintage_from(P(r, r->tables[row->table].vintage)) : 0;
        int how = levy_stateformats_find(r, st, zip, plus4, a->city, zc, nzc, zfrom, date, &srate,
                                         &lrate, &lname, &t);
        if (!how && a->city && a->city[0])
            wa_n = levy_stateformats_city_cands(r, st, a->city, zc, nzc, zfrom, date, wa_rate,
                                                wa_name, 4);
        if (!how && row) /* the ZIP table's own region, at a newer DOR table's rate */
            how = levy_stateformats_find_region(r, st, zip, P(r, row->name), zc, nzc, zfrom, date,
                                                &srate, &lrate, &lname, &t);
        if (how) {
            use_table(res, t);
            res->precision = how; /* LEVY_RES_ZIP4, _ZIP5 (one location code) or _ZIP5_CITY */
            levy_tax_entry *e =
                add_entry(res, stname, NULL, LEVY_LEVEL_STATE, LEVY_TYPE_SALES_TAX, srate, 0);
            e->code = stcode;
            e = add_entry(res, lname, NULL, LEVY_LEVEL_CITY, LEVY_TYPE_SALES_TAX, lrate, 0);
            e->note = NOTE_WA_LOCATION; /* the DOR's location code, not a Census code */
            goto overlays;
        }
    }
    if (!row)
        return levy_err_set(err, LEVY_ENOTFOUND, "address_unresolved",
                            any ? "ZIP %.5s is not in state %s" : "ZIP %.5s is unknown", z, st);
    use_table(res, row->table);
    res->precision = LEVY_RES_ZIP5;
    const char *rname = P(r, row->name);
    const cdtfa_row *cd = NULL, *given = NULL;
    int is_ca = strcmp(st, "CA") == 0 && r->ncdtfa, older_city = 0;
    if (is_ca) {
        char city[128];
        if (a->city && a->city[0]) {
            upcase(city, a->city, sizeof city);
            cd = cdtfa_find(r, city, date);
        }
        if (cd) { /* a city outside the ZIP's counties does not pick the rate: listed instead */
            const char *cty[8];
            int ncty = ca_zip_counties(r, zip, cty, 8);
            if (!ca_city_fits(r, cd, cty, ncty)) {
                given = cd;
                cd = NULL;
            }
        }
        /* the ZIP table's region names a CDTFA city (not the county area at the county's
         * rate): two official sources price it, and where they differ the newer one in effect
         * at the date wins (newer_wins: CDTFA's file from its effective date, the ZIP table
         * before) -- for the ZIP's default answer, and for a ship_to.city naming that city */
        const cdtfa_row *own = cdtfa_find(r, rname, date), *ownc = cdtfa_county(r, rname, date);
        int own_differs =
            own && own->rate != row->combined && !(ownc && ownc->rate == row->combined);
        int own_newer = own_differs && newer_wins(r, own->table, row->table, date);
        int by_vintage = 0;
        if (cd && cd == own && own_differs && !own_newer) {
            older_city = 1; /* the ZIP table's rate for the city, before CDTFA's file */
            cd = NULL;
        } else if (!cd && own_newer) {
            cd = own;
            by_vintage = 1;
        }
        if (cd && cd->rate >= 7250000) {
            use_table(res, cd->table);
            res->precision = by_vintage ? LEVY_RES_ZIP5 : LEVY_RES_ZIP5_CITY;
            const char *cname = P(r, cd->name), *county = P(r, cd->county);
            const fips_county *cc = county_by_name(r, "CA", county);
            levy_tax_entry *e =
                add_entry(res, stname, NULL, LEVY_LEVEL_STATE, LEVY_TYPE_SALES_TAX, 6000000, 0);
            e->code = stcode;
            e = add_entry(res, county, NULL, LEVY_LEVEL_COUNTY, LEVY_TYPE_SALES_TAX, 250000, 0);
            e->code = cc ? P(r, cc->code) : NULL;
            e->note = cc ? NULL : NOTE_COUNTY_NONE;
            if (cd->rate > 7250000) {
                e = add_entry(res, cname, " DISTRICT TAX", LEVY_LEVEL_DISTRICT, LEVY_TYPE_SALES_TAX,
                              cd->rate - 7250000, 0);
                e->note = NOTE_CDTFA_DISTRICT;
            }
            e = add_entry(res, cname, NULL, LEVY_LEVEL_CITY, LEVY_TYPE_SALES_TAX, 1000000, 0);
            e->code = place_code(r, "CA", cname, cc); /* the Census place CDTFA's city is */
            e->note = e->code ? NULL : NOTE_CDTFA_CITY;
            if (by_vintage) { /* the ZIP's other candidates, this one the default */
                ca_candidates(r, row, zip, stcode, given, date, res);
                if (res->ncand)
                    res->cand[0].city = cname; /* the ship_to.city that picks it too */
            }
            goto overlays;
        }
        /* county name for the ZIP's own region: the county of the CDTFA city it names, unless
         * the region is a county's unincorporated area at that area's rate ("SAN JOAQUIN" 95220
         * at San Joaquin County's 7.75 %, not the city of San Joaquin's 7.975 % in Fresno
         * County): then that county, whose rate the row carries */
        cd = own && ownc && ownc->rate == row->combined && own->rate != row->combined ? ownc : own;
        if (older_city)
            res->precision = LEVY_RES_ZIP5_CITY;
    }
    /* a partial-ZIP city (issue 19): ship_to.city naming another place of the county that
     * the table prices decides; otherwise the candidates are listed below */
    int city_decided = 0;
    /* so does it for a region the table prices at two rates wider apart than a district's cap
     * (special_wide: a tribal nation's tax on part of a county) */
    if ((zx(r, row)->city_out || zx(r, row)->special_wide) && !is_ca && a->city && a->city[0]) {
        char city[128];
        upcase(city, a->city, sizeof city);
        const zip_row *pick = city_row_decides(r, row, city);
        if (pick) {
            row = pick;
            rname = P(r, row->name);
            res->precision = LEVY_RES_ZIP5_CITY;
            city_decided = 1;
        }
    }
    /* a county-rate state's single-county ZIP named after another county's region: the
     * county's usual rates (mark_county_decides), the ZIP table's listed */
    const zip_row *table_row = NULL;
    if (zx(r, row)->county_row && !is_ca && !city_decided) {
        table_row = row;
        row = &r->zips[zx(r, row)->county_row - 1];
        rname = P(r, row->name);
    }
    {
        int64_t comps = (int64_t)row->state + row->county + row->city + row->special;
        int64_t special = row->special + (row->combined - comps); /* rounding slack */
        /* names and codes (issue 19): the state's FIPS; the county of the ZIP from the
         * crosswalk (assign_counties), not the tax region's name; the city as name_city says;
         * special districts, which the table does not name, with a note */
        const fips_county *cty = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
        levy_tax_entry *e =
            add_entry(res, stname, NULL, LEVY_LEVEL_STATE, LEVY_TYPE_SALES_TAX, row->state, 0);
        e->code = stcode;
        if (cd) {
            const fips_county *cc = county_by_name(r, "CA", P(r, cd->county));
            e = add_entry(res, P(r, cd->county), NULL, LEVY_LEVEL_COUNTY, LEVY_TYPE_SALES_TAX,
                          row->county, 0);
            e->code = cc ? P(r, cc->code) : NULL;
            e->note = cc ? NULL : NOTE_COUNTY_NONE;
        } else if (cty) { /* California's counties as CDTFA names them ("ORANGE") */
            e = add_entry(res, P(r, strcmp(st, "CA") == 0 ? cty->bare : cty->name), NULL,
                          LEVY_LEVEL_COUNTY, LEVY_TYPE_SALES_TAX, row->county, 0);
            e->code = P(r, cty->code);
            static const char *const how[] = {[ZC_BY_RATE] = NOTE_COUNTY_BY_RATE,
                                              [ZC_BY_NAME] = NOTE_COUNTY_BY_NAME,
                                              [ZC_BY_REGION] = NOTE_COUNTY_BY_REGION,
                                              [ZC_RATE_NAMED] = NOTE_COUNTY_RATE_NAMED,
                                              [ZC_RATE_REGION] = NOTE_COUNTY_RATE_REGION,
                                              [ZC_RATE_ODD] = NOTE_COUNTY_RATE_ODD};
            e->note = row->county_how < sizeof how / sizeof *how ? how[row->county_how] : NULL;
            if (row->county_split && !e->note)
                e->note = NOTE_COUNTY_SPLIT;
        } else {
            e = add_entry(res, rname, " (COUNTY)", LEVY_LEVEL_COUNTY, LEVY_TYPE_SALES_TAX,
                          row->county, 0);
            e->note = row->county_how == ZC_AMBIGUOUS ? NOTE_COUNTY_AMBIGUOUS : NOTE_COUNTY_NONE;
        }
        e = add_entry(res, rname, NULL, LEVY_LEVEL_CITY, LEVY_TYPE_SALES_TAX, row->city, 0);
        if (row->city > 0) {
            char city[128];
            if (a->city && a->city[0])
                upcase(city, a->city, sizeof city);
            name_city(r, row, cty, a->city && a->city[0] ? city : NULL, e);
            /* the Census place of that name (in the ZIP's county): its FIPS place code */
            const char *pc =
                e->code || e->note == NOTE_CITY_DISTRICT ? NULL : place_code(r, st, e->name, cty);
            if (pc) {
                e->code = pc;
                if (e->note == NOTE_CITY_NO_CODE) /* confirmed by ship_to.city, or a caution */
                    e->note =
                        a->city && a->city[0] && strcmp(city, rname) == 0 ? NULL : NOTE_CITY_REGION;
            }
        }
        e = add_entry(res, rname, " (SPECIAL)", LEVY_LEVEL_DISTRICT, LEVY_TYPE_SALES_TAX,
                      special > 0 ? special : 0, 0);
        e->note = zx(r, row)->special_wide ? NOTE_SPECIAL_WIDE : NOTE_SPECIAL;
        if (is_ca && !older_city)
            ca_candidates(r, row, zip, stcode, given, date, res);
        else if (zx(r, row)->dist_base >= 0 && e) {
            levy_tax_entry *ce = NULL;
            for (int k = 0; k < res->n; k++)
                if (res->e[k].level == LEVY_LEVEL_CITY)
                    ce = &res->e[k];
            char city[128] = "";
            if (a->city && a->city[0])
                upcase(city, a->city, sizeof city);
            if (!ce || !city[0] || !district_city_decides(r, row, city, ce, e, res))
                district_candidates(r, row, e, res);
        } else if (zx(r, row)->city_out && !city_decided)
            city_candidates(r, row, res);
        else if (zx(r, row)->special_low)
            special_candidates(r, row, res);
        if (table_row && res->ncand == 0) {
            const fips_county *tc = row->county_ix ? &r->counties[row->county_ix - 1] : NULL;
            const fips_county *oc =
                table_row->county_ix ? &r->counties[table_row->county_ix - 1] : NULL;
            city_cand(r, row, tc, NULL, "zip_county", 0, &res->cand[0]);
            res->cand[0].area = tc ? P(r, tc->name) : rname;
            res->cand[0].is_default = 1;
            city_cand(r, table_row, oc, NULL, "zip_table_region", 0, &res->cand[1]);
            res->ncand = res->ncand_all = 2;
            res->ambiguous = res->cand[0].rate != res->cand[1].rate;
            snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(zip % 100000));
        }
    }
overlays:
    if (wa_n >= 2 && res->ncand == 0) { /* the answer charged (default) and the city's codes */
        snprintf(res->zip5, sizeof res->zip5, "%05u", (unsigned)(zip % 100000));
        levy_tax_candidate *c0 = &res->cand[0];
        memset(c0, 0, sizeof *c0);
        c0->is_default = 1;
        for (int k = 0; k < res->n && c0->nj < LEVY_TAX_MAX_ENTRIES; k++) {
            if (res->e[k].rate <= 0)
                continue;
            c0->rate += res->e[k].rate;
            c0->code[c0->nj] = res->e[k].code;
            c0->jur[c0->nj++] = res->e[k].name;
        }
        res->ncand = res->ncand_all = 1;
        for (int k = 0; k < wa_n && res->ncand < LEVY_TAX_MAX_CANDIDATES; k++) {
            levy_tax_candidate *c = &res->cand[res->ncand++];
            memset(c, 0, sizeof *c);
            c->rate = wa_rate[k];
            c->jur[0] = stname;
            c->code[0] = stcode;
            c->jur[1] = wa_name[k];
            c->nj = 2;
            res->ncand_all++;
            res->ambiguous |= c->rate != c0->rate;
        }
    }
    /* SST boundary records (core/tax/boundary.c): a ZIP+4 or street address answered at its
     * own jurisdictions (the official files replace the ZIP table, its SST state row and the
     * overlays), an ambiguous ZIP5's candidates listed */
    if (levy_boundary_resolve(r, st, a, line1, date, res))
        return LEVY_OK;
    /* SST state-level history (effective-dated): replaces the state component */
    for (size_t i = 0; i < r->nsst; i++) {
        const sst_row *s = &r->sst[i];
        if (memcmp(s->st, st, 2) == 0 && date >= s->from && date <= s->to) {
            res->e[0].rate = s->rate;
            use_table(res, s->table);
            break;
        }
    }
    int special_dropped = 0; /* an overlay set the ZIP's special rate to 0 */
    for (size_t i = 0; i < r->novl; i++) {
        const overlay_row *o = &r->ovl[i];
        if (memcmp(o->st, st, 2) != 0 || zip < o->zfrom || zip > o->zto || date < o->from ||
            date > o->to)
            continue;
        if (o->op == OVERLAY_NAME) { /* names, changes no rate */
            for (int k = 0; k < res->n; k++)
                if (res->e[k].level == o->level && res->e[k].rate == o->rate) {
                    res->e[k].name = P(r, o->name);
                    res->e[k].suffix = NULL;
                    res->e[k].note = NOTE_OVERLAY_NAMED;
                    res->e[k].code = NULL;
                    if (o->level == LEVY_LEVEL_COUNTY) { /* the county of that name's FIPS */
                        const fips_county *c = county_by_name(r, st, P(r, o->name));
                        res->e[k].code = c ? P(r, c->code) : NULL;
                        if (c)
                            res->e[k].note = NOTE_OVERLAY_NAMED_COUNTY;
                    }
                    if (o->level == LEVY_LEVEL_CITY) { /* its Census place, one of that name */
                        const char *nm = P(r, o->name);
                        res->e[k].code = place_code(r, st, nm, NULL);
                        size_t nl = strlen(nm);
                        if (!res->e[k].code && nl > 5 && nl < 128 &&
                            strcmp(nm + nl - 5, " CITY") ==
                                0) { /* "NEW YORK CITY": New York city */
                            char bare[128];
                            memcpy(bare, nm, nl - 5);
                            bare[nl - 5] = 0;
                            res->e[k].code = place_code(r, st, bare, NULL);
                        }
                        res->e[k].note =
                            res->e[k].code ? NOTE_OVERLAY_NAMED_CITY : NOTE_OVERLAY_NAMED;
                    }
                }
            continue;
        }
        use_table(res, table_of(r, "us-overlays"));
        if (o->op == OVERLAY_UNKNOWN && !res->history_from) {
            res->history_from = next_day(o->to);
            res->history_name = P(r, o->name);
            res->history_level = o->level;
            res->history_rate = o->rate;
        }
        if (o->op == OVERLAY_ADD) {
            levy_tax_entry *e =
                add_entry(res, P(r, o->name), NULL, o->level, LEVY_TYPE_SALES_TAX, o->rate, 0);
            if (e)
                e->note = NOTE_OVERLAY;
        } else {
            int done = 0;
            for (int k = 0; k < res->n; k++)
                if (res->e[k].level == o->level) {
                    res->e[k].rate = o->rate;
                    special_dropped |= o->level == LEVY_LEVEL_DISTRICT && o->rate == 0;
                    done = 1;
                    break;
                }
            if (!done) {
                levy_tax_entry *e =
                    add_entry(res, P(r, o->name), NULL, o->level, LEVY_TYPE_SALES_TAX, o->rate, 0);
                if (e)
                    e->note = NOTE_OVERLAY;
            }
        }
    }
    /* a special rate the overlays say no seller collects (set to 0 at district level: the
     * Oneida Indian Nation's own tax in the NY ZIP table, data/us/overlays.csv) is not a
     * candidate either: the higher_special candidate that priced it goes, and one rate left
     * is no ambiguity */
    if (special_dropped && res->ambiguous) {
        int w = 0;
        for (int c = 0; c < res->ncand; c++)
            if (!res->cand[c].area_kind || strncmp(res->cand[c].area_kind, "higher_special", 14))
                res->cand[w++] = res->cand[c];
        res->ncand_all -= res->ncand - w;
        res->ncand = w;
        res->ambiguous = 0;
        for (int c = 1; c < res->ncand; c++)
            res->ambiguous |= res->cand[c].rate != res->cand[0].rate;
        if (!res->ambiguous)
            res->ncand = res->ncand_all = 0;
    }
    /* drop zero components */
    int w = 0;
    for (int k = 0; k < res->n; k++)
        if (res->e[k].rate > 0)
            res->e[w++] = res->e[k];
    res->n = w;
    return LEVY_OK;
}

static int resolve_ca(const levy_rates *r, const levy_tax_address *a, int32_t date,
                      levy_tax_resolution *res, levy_err *err)
{
    if (!levy_rates_ca_province(a->state))
        return levy_err_set(err, LEVY_ENOTFOUND, "address_unresolved",
                            "unknown Canadian province '%s'", a->state ? a->state : "");
    snprintf(res->region, sizeof res->region, "CA");
    snprintf(res->group_region[0], 8, "CA");
    res->ngroups = 1;
    for (size_t i = 0; i < r->nca; i++) {
        const ca_row *c = &r->ca[i];
        if (strcmp(c->prov, a->state) != 0 || date < c->from || date > c->to)
            continue;
        int g = 0;
        if (strcmp(c->region, "CA") != 0) {
            snprintf(res->group_region[1], 8, "%s", c->region);
            res->ngroups = 2;
            g = 1;
        }
        levy_tax_entry *e = add_entry(res, P(r, c->name), NULL, c->level, c->type, c->rate, g);
        if (e) /* ISO 3166: the country, or the province's subdivision code */
            e->code = c->level == LEVY_LEVEL_COUNTRY ? "CA" : c->prov;
        use_table(res, table_of(r, "ca-rates"));
    }
    /* GST/HST first, provincial second */
    for (int i = 1; i < res->n; i++)
        for (int k = i; k > 0 && res->e[k - 1].group > res->e[k].group; k--) {
            levy_tax_entry t = res->e[k];
            res->e[k] = res->e[k - 1];
            res->e[k - 1] = t;
        }
    return LEVY_OK;
}

static void resolve_eu(const levy_rates *r, const levy_tax_address *a, int32_t date,
                       const char *cname, levy_tax_resolution *res)
{
    snprintf(res->region, sizeof res->region, "EU");
    snprintf(res->group_region[0], 8, "EU");
    res->ngroups = 1;
    const eu_period *best = NULL;
    for (size_t i = 0; i < r->neu; i++) {
        const eu_period *p = &r->eu[i];
        /* the first byte before strcmp: ~170 periods scanned per EU answer (issue 21) */
        if (p->country[0] == res->country[0] && strcmp(p->country, res->country) == 0 &&
            p->from <= date && (!best || p->from > best->from))
            best = p;
    }
    if (!best)
        return;
    use_table(res, table_of(r, "ibericode-vat"));
    int64_t std = -1;
    for (int k = 0; k < best->nkeys; k++) {
        if (res->nkeys < LEVY_TAX_MAX_VAT_KEYS) {
            res->key[res->nkeys] = P(r, best->key[k]);
            res->key_rate[res->nkeys++] = best->rate[k];
        }
        if (strcmp(P(r, best->key[k]), "standard") == 0)
            std = best->rate[k];
    }
    const char *name = cname, *suffix = NULL;
    if (a->zip && a->zip[0]) {
        /* the postcode as the patterns write it: digits and letters only (Portugal writes
         * "9000-001", the pattern is 9[0-4]\d{2,}; as core/tax/territory.c, spaces and dashes
         * are ignored) */
        char pc[32];
        size_t n = 0;
        for (const char *c = a->zip; *c && n + 1 < sizeof pc; c++)
            if (*c != ' ' && *c != '-')
                pc[n++] = *c;
        pc[n] = 0;
        for (uint32_t x = 0; x < best->exc_n; x++) {
            const eu_exception *ex = &r->exc[best->exc_first + x];
            if (regexec(&ex->re, pc, 0, NULL, 0) == 0) {
                std = ex->standard;
                name = P(r, ex->name);
                res->nkeys = 0; /* territory: only its standard rate is known */
                break;
            }
        }
    }
    if (std >= 0) {
        levy_tax_entry *e = add_entry(res, name, suffix, LEVY_LEVEL_COUNTRY, LEVY_TYPE_VAT, std, 0);
        if (e)
            e->code = best->country; /* ISO 3166 alpha-2 */
    }
}

static void resolve_national(const levy_rates *r, int32_t date, levy_tax_resolution *res)
{
    snprintf(res->region, sizeof res->region, "%s", res->country);
    snprintf(res->group_region[0], 8, "%s", res->country);
    res->ngroups = 1;
    int32_t first = 0; /* the first day of the country's first standard rate */
    const char *first_name = NULL;
    int std_on = 0;
    for (size_t i = 0; i < r->nnat; i++) {
        const nat_row *n = &r->nat[i];
        if (strcmp(n->country, res->country) != 0)
            continue;
        if (strcmp(P(r, n->key), "standard") == 0 && (!first || n->from < first)) {
            first = n->from;
            first_name = P(r, n->name);
        }
        if (date < n->from || date > n->to)
            continue;
        std_on |= strcmp(P(r, n->key), "standard") == 0;
        use_table(res, table_of(r, "national"));
        snprintf(res->region, sizeof res->region, "%s", n->region);
        snprintf(res->group_region[0], 8, "%s", n->region);
        const char *key = P(r, n->key);
        if (res->nkeys < LEVY_TAX_MAX_VAT_KEYS) {
            res->key[res->nkeys] = key;
            res->key_rate[res->nkeys++] = n->rate;
        }
        if (strcmp(key, "standard") == 0) {
            levy_tax_entry *e =
                add_entry(res, P(r, n->name), NULL, LEVY_LEVEL_COUNTRY, n->type, n->rate, 0);
            if (e)
                e->code = n->country; /* ISO 3166 alpha-2 */
        }
    }
    if (!std_on && first && date < first) {
        res->unknown_before = first;
        res->unknown_before_name = first_name;
    }
}

int levy_rates_resolve(const levy_rates *r, const levy_tax_address *a, int32_t date,
                       levy_tax_resolution *res, levy_err *err)
{
    return levy_rates_resolve_street(r, a, NULL, date, res, err);
}

static int resolve_any(const levy_rates *r, const levy_tax_address *a, const char *line1,
                       int32_t date, levy_tax_resolution *res, levy_err *err);

int levy_rates_resolve_street(const levy_rates *r, const levy_tax_address *a, const char *line1,
                              int32_t date, levy_tax_resolution *res, levy_err *err)
{
    int rc = resolve_any(r, a, line1, date, res, err);
    /* a table that speaks for dates before the one asked for (issue 19): the answer says so */
    for (int i = 0; rc == LEVY_OK && i < res->ntables; i++) {
        int32_t sa = levy_rates_table_stale_after(r, res->table[i]);
        if (sa && date >= sa) {
            const levy_rates_table *t = levy_rates_table_at(r, res->table[i]);
            res->stale_source = t->source;
            res->stale_vintage = t->vintage;
            res->stale_after = sa;
            break;
        }
    }
    return rc;
}

static int resolve_any(const levy_rates *r, const levy_tax_address *a, const char *line1,
                       int32_t date, levy_tax_resolution *res, levy_err *err)
{
    memset(res, 0, sizeof *res);
    const char *c = a->country ? a->country : "";
    if (strlen(c) != 2)
        return levy_err_set(err, LEVY_EINVAL, "validation_failed", "country must be 2 letters");
    /* territories before rates (issue 19): one table, core/tax/territory.c */
    const levy_territory *terr = levy_territory_find(c, a->zip);
    if (terr && terr->kind == LEVY_TERRITORY_OUT_OF_SCOPE) {
        snprintf(res->country, sizeof res->country, "%s", c);
        snprintf(res->region, sizeof res->region, "%s", terr->code);
        snprintf(res->group_region[0], 8, "%s", terr->code);
        res->ngroups = 1;
        res->territory = terr;
        return LEVY_OK;
    }
    if (terr)
        c = terr->tax_country;
    snprintf(res->country, sizeof res->country, "%s", c);
    res->territory = terr; /* kept by every resolver below (they do not clear res) */
    if (strcmp(c, "US") == 0)
        return resolve_us(r, a, line1, date, res, err);
    if (strcmp(c, "PR") == 0) {
        levy_tax_address b = *a;
        b.country = "US";
        b.state = "PR";
        int rc = resolve_us(r, &b, line1, date, res, err);
        snprintf(res->country, sizeof res->country, "US");
        return rc;
    }
    if (strcmp(c, "CA") == 0)
        return resolve_ca(r, a, date, res, err);
    if (strcmp(c, "EL") == 0)
        snprintf(res->country, sizeof res->country, "GR");
    const char *eu = eu_name(res->country);
    if (eu) {
        resolve_eu(r, a, date, eu, res);
        return LEVY_OK;
    }
    resolve_national(r, date, res);
    return LEVY_OK;
}

int levy_rates_vat_key(const levy_tax_resolution *res, const char *key, int64_t *rate)
{
    int want_reduced = strcmp(key, "reduced") == 0;
    for (int i = 0; i < res->nkeys; i++)
        if (strcmp(res->key[i], key) == 0) {
            *rate = res->key_rate[i];
            return 0;
        }
    if (want_reduced) /* "reduced" = the first reduced rate: reduced1 where numbered */
        for (int i = 0; i < res->nkeys; i++)
            if (strcmp(res->key[i], "reduced1") == 0) {
                *rate = res->key_rate[i];
                return 0;
            }
    return -1;
}

/* ---------------------------------------------------------------- for core/tax/boundary.c */

const char *levy_rates_state_from_fips(const char *fips) { return us_state_from_fips(fips); }

const char *levy_rates_state_fips(const char *code)
{
    for (size_t i = 0; i < LEVY_ARRAY_LEN(us_states); i++)
        if (strcmp(us_states[i].code, code) == 0)
            return us_states[i].fips;
    return NULL;
}

/* The Census county of FIPS code5 ("20091"): its name ("JOHNSON COUNTY"), or NULL when the
 * shipped county file (data/us/census-fips) does not list it. */
const char *levy_rates_county_name(const levy_rates *r, const char *code5)
{
    uint32_t v;
    if (digits(code5, strlen(code5), 5, &v))
        return NULL;
    uint32_t ix = county_index(r, v);
    return ix ? P(r, r->counties[ix - 1].name) : NULL;
}

levy_tax_entry *levy_rates_add_entry(levy_tax_resolution *res, const char *name, const char *suffix,
                                     int level, int type, int64_t rate, int group)
{
    return add_entry(res, name, suffix, level, type, rate, group);
}

void levy_rates_use_table(levy_tax_resolution *res, int t) { use_table(res, t); }

const char *levy_rates_precision_name(int precision)
{
    switch (precision) {
    case LEVY_RES_ZIP5:
        return "zip5";
    case LEVY_RES_ZIP5_CITY:
        return "zip5_city";
    case LEVY_RES_ZIP4:
        return "zip4";
    case LEVY_RES_ADDRESS:
        return "address";
    default:
        return NULL;
    }
}
