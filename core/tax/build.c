/* Growing the arrays a tax decision reads (tax/build.h). */
#include "tax/build.h"

#include <stdlib.h>
#include <string.h>

/* Room for one more of n elements of size in *p of *cap (doubled when full, 16 at first). */
static int grow(void **p, int n, int *cap, size_t size)
{
    if (n < *cap)
        return 0;
    int nc = *cap ? 2 * *cap : 16;
    void *np = realloc(*p, size * (size_t)nc);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

int levy_tax_rule_new_treatment(levy_tax_rule_build *b)
{
    void *p = b->treat;
    if (grow(&p, b->r.ntreat, &b->cap_treat, sizeof *b->treat))
        return -1;
    b->treat = p;
    b->r.treat = b->treat;
    int i = b->r.ntreat++;
    memset(&b->treat[i], 0, sizeof b->treat[i]);
    b->treat[i].below = b->treat[i].above = -1;
    b->treat[i].business = b->treat[i].individual = -1;
    return i;
}

int levy_tax_rule_new_code(levy_tax_rule_build *b)
{
    void *p = b->codes;
    if (grow(&p, b->r.ncodes, &b->cap_codes, sizeof *b->codes))
        return -1;
    b->codes = p;
    b->r.codes = b->codes;
    int k = b->r.ncodes++;
    b->codes[k].code = NULL;
    b->codes[k].treatment = -1;
    return k;
}

const char *levy_tax_rule_keep(levy_tax_rule_build *b, const char *s, size_t len)
{
    void *p = b->kept;
    if (grow(&p, b->nkept, &b->cap_kept, sizeof *b->kept))
        return NULL;
    b->kept = p;
    char *k = malloc(len + 1);
    if (!k)
        return NULL;
    memcpy(k, s, len);
    k[len] = '\0';
    b->kept[b->nkept++] = k;
    return k;
}

void levy_tax_rule_build_free(levy_tax_rule_build *b)
{
    for (int i = 0; i < b->nkept; i++)
        free(b->kept[i]);
    free(b->kept);
    b->kept = NULL;
    b->nkept = b->cap_kept = 0;
    free(b->codes);
    free(b->treat);
    b->codes = NULL;
    b->treat = NULL;
    b->r.codes = NULL;
    b->r.treat = NULL;
    b->r.ncodes = b->r.ntreat = 0;
    b->cap_codes = b->cap_treat = 0;
}

int levy_tax_lines_reserve(levy_tax_line **lines, levy_tax_line_meta **meta, int *cap, int n)
{
    if (n <= *cap)
        return 0;
    int nc = n < 16 ? 16 : n;
    levy_tax_line *nl = realloc(*lines, sizeof *nl * (size_t)nc);
    if (!nl)
        return -1;
    *lines = nl;
    levy_tax_line_meta *nm = realloc(*meta, sizeof *nm * (size_t)nc);
    if (!nm)
        return -1;
    *meta = nm;
    *cap = nc;
    return 0;
}
