/* Keys by address (tax/keys.h). */
#include "tax/keys.h"

#include <stdint.h>
#include <string.h>

void levy_tax_keys_init(levy_tax_keys *c, const char *const *names, int n)
{
    memset(c, 0, sizeof *c);
    c->names = names;
    c->nnames = n;
}

static int key_scan(const levy_tax_keys *c, const char *k)
{
    for (int i = 0; i < c->nnames; i++)
        if (strcmp(c->names[i], k) == 0)
            return i;
    return -1;
}

int levy_tax_key_index(levy_tax_keys *c, const char *k)
{
    unsigned h = (unsigned)(((uint64_t)(uintptr_t)k * 0x9E3779B97F4A7C15ull) >> 56); /* 8 bits */
    while (c->at[h] && c->at[h] != k)
        h = (h + 1) % LEVY_TAX_KEYS_CACHE;
    if (c->at[h])
        return c->k[h];
    int kk = key_scan(c, k);
    if (c->n < LEVY_TAX_KEYS_CACHE / 2) {
        c->at[h] = k;
        c->k[h] = (short)kk;
        c->n++;
    }
    return kk;
}
