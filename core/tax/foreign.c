/* Foreign-seller registration threshold table loader (see foreign.h). Strict: a malformed
 * row rejects the whole file with its line number, so a typo never silently changes a
 * threshold. The CSV splitter is the US nexus table's (core/tax/nexus.c). */
#include "foreign.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "money.h"
#include "tax/dec.h"
#include "tax/nexus.h"

const char *const levy_foreign_periods[] = {
    "previous_12_months", /* the 12 months ending on the measurement day */
    "first_sale",         /* no threshold: registration from the first taxable sale */
    NULL};

const char *const levy_foreign_scopes[] = {
    "b2c",       /* sales to consumers in the country: a reverse-charged (B2B) sale is left out */
    "all",       /* every sale to the country */
    "worldwide", /* the seller's worldwide turnover: not measurable from levy's documents */
    NULL};

enum {
    COL_COUNTRY,
    COL_THRESHOLD,
    COL_CURRENCY,
    COL_PERIOD,
    COL_SCOPE,
    COL_EFFECTIVE,
    COL_SOURCE,
    COL_N
};
static const char *const col_names[COL_N] = {"country", "threshold",      "currency", "period",
                                             "scope",   "effective_from", "source"};

static int one_of(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static int upper_n(const char *s, size_t n)
{
    if (strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

#define BAD(...) (rc = levy_err_set(err, LEVY_EINVAL, "bad_foreign_threshold_table", __VA_ARGS__))

static int parse_row(levy_foreign_row *r, char *const *f, const int *col, const char *path,
                     int lineno, levy_err *err)
{
    int rc = LEVY_OK;
    const char *cc = f[col[COL_COUNTRY]], *amt = f[col[COL_THRESHOLD]];
    const char *cur = f[col[COL_CURRENCY]], *per = f[col[COL_PERIOD]];
    const char *scope = f[col[COL_SCOPE]], *eff = f[col[COL_EFFECTIVE]], *src = f[col[COL_SOURCE]];
    memset(r, 0, sizeof *r);
    if (!upper_n(cc, 2))
        return BAD("%s:%d: country \"%s\" is not a two-letter ISO code", path, lineno, cc);
    memcpy(r->country, cc, 3);
    int e = upper_n(cur, 3) ? levy_money_exponent(cur) : -1;
    if (e < 0)
        return BAD("%s:%d: currency \"%s\" is not an ISO 4217 code levy knows", path, lineno, cur);
    memcpy(r->currency, cur, 4);
    int64_t minor = -1;
    if (!*amt || amt[0] == '-' || levy_money_parse_exp(amt, e, &minor, NULL) != LEVY_OK ||
        minor < 0)
        return BAD("%s:%d: threshold \"%s\" is not an amount in %s", path, lineno, amt, cur);
    if (levy_money_format_exp(minor, e, r->threshold, sizeof r->threshold) < 0)
        return BAD("%s:%d: threshold \"%s\" is out of range", path, lineno, amt);
    if (!one_of(levy_foreign_periods, per))
        return BAD("%s:%d: unknown period \"%s\"", path, lineno, per);
    snprintf(r->period, sizeof r->period, "%s", per);
    if ((strcmp(per, "first_sale") == 0) != (minor == 0))
        return BAD("%s:%d: period first_sale goes with a threshold of 0 and only with it (got "
                   "%s, \"%s\")",
                   path, lineno, per, amt);
    if (!one_of(levy_foreign_scopes, scope))
        return BAD("%s:%d: unknown scope \"%s\" (b2c, all or worldwide)", path, lineno, scope);
    snprintf(r->scope, sizeof r->scope, "%s", scope);
    if (*eff) {
        int32_t d = 0;
        if (strlen(eff) != 10 || levy_tax_date_parse(eff, 10, &d) != 0)
            return BAD("%s:%d: effective_from \"%s\" is not YYYY-MM-DD", path, lineno, eff);
        memcpy(r->effective_from, eff, 11);
    }
    if (!*src)
        return BAD("%s:%d: source is empty (every threshold needs its citation)", path, lineno);
    r->source = strdup(src);
    if (!r->source)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    return rc;
}

void levy_foreign_free(levy_foreign *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].source);
    free(t->rows);
    free(t);
}

int levy_foreign_parse(levy_foreign **out, const char *path, const char *text, levy_err *err)
{
    int rc = LEVY_OK;
    *out = NULL;
    levy_foreign *t = calloc(1, sizeof *t);
    size_t cap = 0;
    int col[COL_N];
    int have_header = 0, lineno = 0;
    char buf[2048];
    char *f[LEVY_CSV_MAXF];
    if (!t)
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p = nl ? nl + 1 : p + len;
        lineno++;
        if (len && line[len - 1] == '\r')
            len--;
        size_t k = 0;
        while (k < len && isspace((unsigned char)line[k]))
            k++;
        if (k == len || line[k] == '#')
            continue; /* blank lines and comments */
        int nf = levy_nexus_split(line, len, buf, sizeof buf, f);
        if (nf < 0) {
            BAD("%s:%d: malformed CSV line", path, lineno);
            goto done;
        }
        if (!have_header) {
            for (int c = 0; c < COL_N; c++) {
                col[c] = -1;
                for (int i = 0; i < nf; i++)
                    if (strcmp(f[i], col_names[c]) == 0)
                        col[c] = i;
                if (col[c] < 0) {
                    BAD("%s:%d: header lacks column \"%s\"", path, lineno, col_names[c]);
                    goto done;
                }
            }
            have_header = nf;
            continue;
        }
        if (nf != have_header) {
            BAD("%s:%d: %d fields, the header has %d", path, lineno, nf, have_header);
            goto done;
        }
        if (t->n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            levy_foreign_row *nr = realloc(t->rows, ncap * sizeof *nr);
            if (!nr) {
                rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
                goto done;
            }
            t->rows = nr;
            cap = ncap;
        }
        rc = parse_row(&t->rows[t->n], f, col, path, lineno, err);
        if (rc)
            goto done;
        for (size_t i = 0; i < t->n; i++)
            if (strcmp(t->rows[i].country, t->rows[t->n].country) == 0 &&
                strcmp(t->rows[i].effective_from, t->rows[t->n].effective_from) == 0) {
                BAD("%s:%d: duplicate row for %s effective \"%s\"", path, lineno,
                    t->rows[i].country, t->rows[i].effective_from);
                free(t->rows[t->n].source);
                goto done;
            }
        t->n++;
    }
    if (!have_header) {
        BAD("%s: empty file (no header)", path);
        goto done;
    }
    *out = t;
    t = NULL;
done:
    levy_foreign_free(t);
    return rc;
}

int levy_foreign_load(levy_foreign **out, const char *path, levy_err *err)
{
    *out = NULL;
    char *text = NULL;
    size_t size = 0;
    int rc = levy_file_read(path, (size_t)1 << 20, &text, &size, err);
    if (rc == LEVY_ENOTFOUND) /* shipped data: a missing table is an error like any other */
        return levy_err_set(err, LEVY_EIO, "io_error", "%s: No such file or directory", path);
    if (rc != LEVY_OK)
        return rc;
    if (strlen(text) != size)
        rc = levy_err_set(err, LEVY_EINVAL, "bad_foreign_threshold_table",
                          "%s: contains a NUL byte", path);
    else
        rc = levy_foreign_parse(out, path, text, err);
    free(text);
    return rc;
}
