/* Economic-nexus threshold table loader (see nexus.h). Strict: a malformed row rejects the
 * whole file with its line number, so a typo never silently changes a threshold. */
#include "nexus.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "money.h"
#include "tax/dec.h"

const char *const levy_nexus_periods[] = {
    "calendar_year_previous_or_current", /* either the previous or the current calendar year */
    "calendar_year_previous",            /* the previous calendar year only */
    "previous_12_months",                /* the 12 months ending on the measurement date */
    "twelve_months_ending_sep30",        /* the 12 months ending on the last 30 September (CT) */
    "four_quarters_ny",                  /* the preceding four NY sales-tax quarters (Mar-May...) */
    NULL};

enum {
    COL_STATE,
    COL_SALES,
    COL_TXNS,
    COL_COMBINE,
    COL_PERIOD,
    COL_EFFECTIVE,
    COL_SOURCE,
    COL_REQUIRED, /* the columns before this one are required */
    COL_MARKETPLACE = COL_REQUIRED,
    COL_MARKETPLACE_SOURCE,
    COL_N
};
static const char *const col_names[COL_N] = {"state",   "sales_threshold", "transactions_threshold",
                                             "combine", "period",          "effective_from",
                                             "source",  "marketplace",     "marketplace_source"};

/* Splits one line into fields (RFC 4180 quotes, "" escapes) copied into buf. Returns the
 * field count, or -1 on a malformed quote / too many fields. (Also the foreign-seller
 * threshold table's splitter: core/tax/foreign.c.) */
int levy_nexus_split(const char *line, size_t len, char *buf, size_t cap, char *f[LEVY_CSV_MAXF])
{
    size_t i = 0, w = 0;
    int n = 0;
    for (;;) {
        if (n >= LEVY_CSV_MAXF || w >= cap)
            return -1;
        f[n++] = buf + w;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        if (w + 1 >= cap)
                            return -1;
                        buf[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (w + 1 >= cap)
                    return -1;
                buf[w++] = line[i++];
            }
            if (i < len && line[i] != ',')
                return -1;
        } else {
            while (i < len && line[i] != ',') {
                if (w + 1 >= cap)
                    return -1;
                buf[w++] = line[i++];
            }
        }
        buf[w++] = 0;
        if (i >= len)
            break;
        i++; /* the comma */
    }
    for (int k = 0; k < n; k++) { /* trim */
        char *s = f[k];
        while (isspace((unsigned char)*s))
            s++;
        size_t l = strlen(s);
        while (l && isspace((unsigned char)s[l - 1]))
            s[--l] = 0;
        f[k] = s;
    }
    return n;
}

static int is_state(const char *s)
{
    return strlen(s) == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]);
}

static int known_period(const char *s)
{
    for (int i = 0; levy_nexus_periods[i]; i++)
        if (strcmp(levy_nexus_periods[i], s) == 0)
            return 1;
    return 0;
}

#define BAD(...) (rc = levy_err_set(err, LEVY_EINVAL, "bad_nexus_table", __VA_ARGS__))

static int parse_row(levy_nexus_row *r, char *const *f, const int *col, const char *path,
                     int lineno, levy_err *err)
{
    int rc = LEVY_OK;
    const char *st = f[col[COL_STATE]], *sales = f[col[COL_SALES]], *tx = f[col[COL_TXNS]];
    const char *comb = f[col[COL_COMBINE]], *per = f[col[COL_PERIOD]];
    const char *eff = f[col[COL_EFFECTIVE]], *src = f[col[COL_SOURCE]];
    memset(r, 0, sizeof *r);
    if (!is_state(st))
        return BAD("%s:%d: state \"%s\" is not a two-letter code", path, lineno, st);
    memcpy(r->state, st, 3);
    int64_t minor = 0;
    if (!*sales || levy_money_parse_exp(sales, 2, &minor, NULL) != LEVY_OK || minor <= 0)
        return BAD("%s:%d: sales_threshold \"%s\" is not a positive amount", path, lineno, sales);
    if (levy_money_format_exp(minor, 2, r->sales, sizeof r->sales) < 0)
        return BAD("%s:%d: sales_threshold \"%s\" is out of range", path, lineno, sales);
    r->transactions = -1;
    if (*tx) {
        char *end = NULL;
        errno = 0;
        long v = strtol(tx, &end, 10);
        if (!isdigit((unsigned char)tx[0]) || *end || errno || v <= 0)
            return BAD("%s:%d: transactions_threshold \"%s\" is not a positive integer", path,
                       lineno, tx);
        r->transactions = v;
        if (strcmp(comb, "or") != 0 && strcmp(comb, "and") != 0)
            return BAD("%s:%d: combine must be \"or\" or \"and\" when there is a transactions "
                       "threshold (got \"%s\")",
                       path, lineno, comb);
        memcpy(r->combine, comb, strlen(comb) + 1);
    } else if (*comb) {
        return BAD("%s:%d: combine \"%s\" without a transactions_threshold", path, lineno, comb);
    }
    if (!known_period(per))
        return BAD("%s:%d: unknown period \"%s\"", path, lineno, per);
    snprintf(r->period, sizeof r->period, "%s", per);
    if (*eff) {
        int32_t d = 0;
        if (strlen(eff) != 10 || levy_tax_date_parse(eff, 10, &d) != 0)
            return BAD("%s:%d: effective_from \"%s\" is not YYYY-MM-DD", path, lineno, eff);
        memcpy(r->effective_from, eff, 11);
    }
    if (!*src)
        return BAD("%s:%d: source is empty (every threshold needs its provenance)", path, lineno);
    /* Marketplace-facilitated sales (issue 20): optional columns; without them (or with an
     * empty cell) the rule is "unknown", which the report counts and flags. */
    const char *mk = col[COL_MARKETPLACE] >= 0 ? f[col[COL_MARKETPLACE]] : "";
    const char *msrc = col[COL_MARKETPLACE_SOURCE] >= 0 ? f[col[COL_MARKETPLACE_SOURCE]] : "";
    if (!*mk)
        mk = "unknown";
    if (strcmp(mk, "included") != 0 && strcmp(mk, "excluded") != 0 && strcmp(mk, "unknown") != 0)
        return BAD("%s:%d: marketplace must be included, excluded or unknown (got \"%s\")", path,
                   lineno, mk);
    if (strcmp(mk, "unknown") != 0 && !*msrc)
        return BAD("%s:%d: marketplace \"%s\" without a marketplace_source (cite the rule)", path,
                   lineno, mk);
    snprintf(r->marketplace, sizeof r->marketplace, "%s", mk);
    r->source = strdup(src);
    r->marketplace_source = *msrc ? strdup(msrc) : NULL;
    if (!r->source || (*msrc && !r->marketplace_source)) {
        free(r->source);
        free(r->marketplace_source);
        r->source = r->marketplace_source = NULL;
        return levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
    }
    return rc;
}

void levy_nexus_free(levy_nexus *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        free(n->rows[i].source);
        free(n->rows[i].marketplace_source);
    }
    free(n->rows);
    free(n);
}

int levy_nexus_parse(levy_nexus **out, const char *path, const char *text, levy_err *err)
{
    int rc = LEVY_OK;
    *out = NULL;
    levy_nexus *nx = calloc(1, sizeof *nx);
    size_t cap = 0;
    int col[COL_N];
    int have_header = 0, lineno = 0;
    char buf[2048];
    char *f[LEVY_CSV_MAXF];
    if (!nx)
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
                if (col[c] < 0 && c < COL_REQUIRED) {
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
        if (nx->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            levy_nexus_row *nr = realloc(nx->rows, ncap * sizeof *nr);
            if (!nr) {
                rc = levy_err_set(err, LEVY_ENOMEM, "out_of_memory", "out of memory");
                goto done;
            }
            nx->rows = nr;
            cap = ncap;
        }
        rc = parse_row(&nx->rows[nx->n], f, col, path, lineno, err);
        if (rc)
            goto done;
        for (size_t i = 0; i < nx->n; i++)
            if (strcmp(nx->rows[i].state, nx->rows[nx->n].state) == 0 &&
                strcmp(nx->rows[i].effective_from, nx->rows[nx->n].effective_from) == 0) {
                BAD("%s:%d: duplicate row for %s effective \"%s\"", path, lineno, nx->rows[i].state,
                    nx->rows[i].effective_from);
                free(nx->rows[nx->n].source);
                free(nx->rows[nx->n].marketplace_source);
                goto done;
            }
        nx->n++;
    }
    if (!have_header) {
        BAD("%s: empty file (no header)", path);
        goto done;
    }
    *out = nx;
    nx = NULL;
done:
    levy_nexus_free(nx);
    return rc;
}

int levy_nexus_load(levy_nexus **out, const char *path, levy_err *err)
{
    *out = NULL;
    char *text = NULL;
    size_t size = 0;
    int rc = levy_file_read(path, (size_t)1 << 20, &text, &size, err);
    if (rc == LEVY_ENOTFOUND) /* a missing table fails the load like any other I/O error */
        return levy_err_set(err, LEVY_EIO, "io_error", "%s: No such file or directory", path);
    if (rc != LEVY_OK)
        return rc;
    if (strlen(text) != size)
        rc = levy_err_set(err, LEVY_EINVAL, "bad_nexus_table", "%s: contains a NUL byte", path);
    else
        rc = levy_nexus_parse(out, path, text, err);
    free(text);
    return rc;
}
