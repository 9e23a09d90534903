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
    b->r.indexed = 0; /* the rule changes: its index (levy_tax_rule_index) is made again */
    int i = b->r.ntreat++;
    memset(&b->treat[i], 0, sizeof b->treat[i]);
    b->treat[i].below = b->treat[i].above = -1;
    b->treat[i].business = b->treat[i].individual = -1;
    b->treat[i].pickup = b->treat[i].ship_only = -1;
    return i;
}

int levy_tax_rule_new_code(levy_tax_rule_build *b)
{
    void *p = b->codes;
    if (grow(&p, b->r.ncodes, &b->cap_codes, sizeof *b->codes))
        return -1;
    b->codes = p;
    b->r.codes = b->codes;
    b->r.indexed = 0;
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
    b->r.indexed = 0;
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

/* ---- line memory */

static void mem_free(levy_tax_lines_mem *m)
{
    free(m->lines);
    free(m->meta);
    memset(m, 0, sizeof *m);
}

levy_tax_lines_mem *levy_tax_lease_take(levy_tax_line_lease *l, levy_tax_line_pool *p, int n)
{
    levy_tax_lines_mem *use = &l->own;
    if (!l->pool && !p->busy) {
        p->busy = 1;
        l->pool = p;
    }
    if (l->pool)
        use = &l->pool->mem;
    if (levy_tax_lines_reserve(&use->lines, &use->meta, &use->cap, n) != 0)
        return NULL;
    return use;
}

void levy_tax_lease_release(levy_tax_line_lease *l)
{
    if (l->pool) {
        l->pool->busy = 0;
        l->pool = NULL;
    }
    mem_free(&l->own);
}

void levy_tax_line_pool_free(levy_tax_line_pool *p) { mem_free(&p->mem); }

/* ---- compiled rules */

static unsigned region_hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The slot of region: its entry's, or the empty one where it goes. */
static int region_slot(const levy_tax_rule_cache *c, const char *region)
{
    int at = (int)(region_hash(region) & (unsigned)(c->nslots - 1));
    while (c->slots[at] && strcmp(c->slots[at]->region, region) != 0)
        at = (at + 1) & (c->nslots - 1);
    return at;
}

const levy_tax_rule *levy_tax_rule_cache_get(const levy_tax_rule_cache *c, const char *region,
                                             const void *src)
{
    if (!c->nslots)
        return NULL;
    const levy_tax_rule_entry *e = c->slots[region_slot(c, region)];
    return e && e->ready && e->src == src ? &e->b.r : NULL;
}

static int cache_grow(levy_tax_rule_cache *c)
{
    int ns = c->nslots ? 2 * c->nslots : 64;
    levy_tax_rule_entry **old = c->slots;
    int nold = c->nslots;
    c->slots = calloc((size_t)ns, sizeof *c->slots);
    if (!c->slots) {
        c->slots = old;
        return -1;
    }
    c->nslots = ns;
    for (int i = 0; i < nold; i++)
        if (old[i])
            c->slots[region_slot(c, old[i]->region)] = old[i];
    free(old);
    return 0;
}

levy_tax_rule_entry *levy_tax_rule_cache_claim(levy_tax_rule_cache *c, const char *region,
                                               const void *src)
{
    if (2 * (c->n + 1) > c->nslots && cache_grow(c) != 0)
        return NULL;
    int at = region_slot(c, region);
    levy_tax_rule_entry *e = c->slots[at];
    if (!e) {
        e = calloc(1, sizeof *e);
        char *r = strdup(region);
        if (!e || !r) {
            free(e);
            free(r);
            return NULL;
        }
        e->region = r;
        c->slots[at] = e;
        c->n++;
    }
    levy_tax_rule_build_free(&e->b);
    memset(&e->b, 0, sizeof e->b);
    e->src = src;
    e->ready = 0;
    return e;
}

void levy_tax_rule_cache_ready(levy_tax_rule_entry *e) { e->ready = 1; }

void levy_tax_rule_cache_free(levy_tax_rule_cache *c)
{
    for (int i = 0; i < c->nslots; i++) {
        if (c->slots[i]) {
            levy_tax_rule_build_free(&c->slots[i]->b);
            free(c->slots[i]->region);
            free(c->slots[i]);
        }
    }
    free(c->slots);
    c->slots = NULL;
    c->nslots = c->n = 0;
}

int levy_tax_rule_slot_add(levy_tax_rule_slots *s, const char *region)
{
    if (s->n == LEVY_TAX_RULE_SLOTS)
        return -1;
    int k = s->n++;
    size_t n = strlen(region); /* cut to the field (not snprintf: once per answer) */
    if (n >= sizeof s->region[k])
        n = sizeof s->region[k] - 1;
    memcpy(s->region[k], region, n);
    s->region[k][n] = '\0';
    s->handle[k] = 0;
    s->file[k] = NULL;
    return k;
}

int levy_tax_rule_slot_of(const levy_tax_rule_slots *s, const char *region)
{
    for (int k = 0; k < s->n; k++)
        if (strcmp(s->region[k], region) == 0)
            return k;
    return 0;
}
