#ifndef LEVY_TAX_KEYS_H
#define LEVY_TAX_KEYS_H
/* The keys of the C writers and readers (string literals: calc.h, ctx.c, info.c, request.c) by
 * address -> their index in a list of names (core/tax/keys.c). The binding keeps the names
 * pre-interned as Lua strings and pushes one by its index instead of hashing the text on
 * every access (core/lua/bind_tax.c); plain C, tested without Lua (test_tax_build). */
#define LEVY_TAX_KEYS_CACHE 256 /* 2^8: the hash of levy_tax_key_index */

typedef struct levy_tax_keys {
    const char *const *names; /* the list (not owned) */
    int nnames;
    const char *at[LEVY_TAX_KEYS_CACHE]; /* direct-mapped by address, filled on first use */
    short k[LEVY_TAX_KEYS_CACHE];
    int n; /* entries kept: at most LEVY_TAX_KEYS_CACHE / 2, the cache never fills */
} levy_tax_keys;

/* An empty cache over names[0..n). */
void levy_tax_keys_init(levy_tax_keys *c, const char *const *names, int n);
/* The index in names of the text k (-1: not there), found by k's address once it was asked
 * for. Past LEVY_TAX_KEYS_CACHE / 2 addresses a text is looked up by its bytes and not kept:
 * the answer is the same, only slower (the writers use about 100 literals). */
int levy_tax_key_index(levy_tax_keys *c, const char *k);

#endif
