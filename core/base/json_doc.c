/* levy's one JSON decoder (json_doc.h): the text into flat nodes -- a recursive descent over
 * json_scan's primitives; a new doc's three arrays in one allocation (issue 21). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_doc.h"
#include "json_scan.h"

#define DUP_LINEAR 16 /* an object's keys checked for repeats one by one up to this many */

typedef struct jp {
    levy_json_doc *doc;
    const char *s;
    size_t len, i;
    int depth;
    int dup_last;  /* a repeated object key: 0 refused, 1 kept (the later member wins) */
    uint32_t *stk; /* members of the open tables (node indexes): stk0, then allocated */
    size_t nstk, capstk;
    levy_buf tmp;
    char msg[320];
    uint32_t stk0[128]; /* last: not cleared (levy_json_doc_parse) */
} jp;

static inline void skip_ws(jp *d)
{
    /* a byte above ' ' is never white space: one test for the common case, no spaces between
     * tokens (issue 21, calc22) */
    if (d->i < d->len && (unsigned char)d->s[d->i] > ' ')
        return;
    while (d->i < d->len) {
        char c = d->s[d->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        d->i++;
    }
}

static int jfail(jp *d, const char *what)
{
    if (!d->msg[0])
        snprintf(d->msg, sizeof d->msg, "%s at offset %zu", what, d->i);
    return -1;
}

/* 1 when p points into the doc's block (the arrays there are not the allocator's own). */
static int in_block(const levy_json_doc *doc, const void *p)
{
    if (!doc || !doc->block)
        return 0;
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)doc->block;
    return a >= b && a < b + doc->block_size;
}

/* Room for need elements of size bytes in *p (cap of them now): 0, or -1 when out of memory.
 * An array in the doc's block (doc may be NULL: none) moves to an allocation of its own. */
static int grow_to(const levy_json_doc *doc, void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : need > 64 ? need : 64;
    while (c < need)
        c *= 2;
    void *q;
    if (*p && in_block(doc, *p)) {
        if ((q = malloc(c * size)) != NULL)
            memcpy(q, *p, *cap * size);
    } else {
        q = realloc(*p, c * size);
    }
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static long new_node_grow(jp *d, int type);

/* A new node; its index, or -1 when out of memory. */
static inline long new_node(jp *d, int type)
{
    levy_json_doc *doc = d->doc;
    if (doc->nnodes >= doc->capnodes)
        return new_node_grow(d, type);
    levy_json_node *n = &doc->nodes[doc->nnodes];
    memset(n, 0, sizeof *n);
    n->type = (uint8_t)type;
    return (long)doc->nnodes++;
}

static long new_node_grow(jp *d, int type)
{
    levy_json_doc *doc = d->doc;
    size_t cap = doc->capnodes;
    if (doc->nnodes == UINT32_MAX - 1 ||
        grow_to(doc, (void **)&doc->nodes, &cap, (size_t)doc->nnodes + 1, sizeof *doc->nodes))
        return jfail(d, "out of memory");
    doc->capnodes = (uint32_t)cap;
    return new_node(d, type);
}

/* Appends s[0..n) and a NUL to the strings; its offset, or -1 when out of memory. */
static inline long put_str(jp *d, const char *s, size_t n, int lead_nul)
{
    levy_json_doc *doc = d->doc;
    size_t need = doc->nstrs + n + 2;
    if (need > doc->capstrs &&
        (need > UINT32_MAX || grow_to(doc, (void **)&doc->strs, &doc->capstrs, need, 1)))
        return jfail(d, "out of memory");
    size_t at = doc->nstrs;
    if (lead_nul)
        doc->strs[doc->nstrs++] = '\0';
    memcpy(doc->strs + doc->nstrs, s, n);
    doc->nstrs += n;
    doc->strs[doc->nstrs++] = '\0';
    return (long)at;
}

static long parse_string_general(jp *d, uint32_t *n);

/* The string token at d->i: its offset in strs and *n its length, or -1. */
static inline __attribute__((always_inline)) long parse_string(jp *d, uint32_t *n)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Issue 21 (calc22): a string of plain bytes (no escape, ASCII) is copied eight bytes at a
     * time while it is scanned, into strs, without a call to find its end and another to copy
     * it (~90 instructions of ~140 a string; a calculation body is ~95 short strings). Only
     * with room in strs for all the rest of the text and a word, so the word that holds the
     * closing quote may be stored whole; its bytes past the string are overwritten by the NUL
     * and the next string. Anything else (an escape, a byte above 0x7e, the text's last eight
     * bytes) goes the general way below, from the string's start: nothing was committed. */
    {
        levy_json_doc *doc = d->doc;
        const char *s = d->s;
        size_t len = d->len, start = d->i + 1, i = start;
        if (doc->capstrs - doc->nstrs >= len - start + 16 && doc->capstrs <= UINT32_MAX) {
            char *dst = doc->strs + doc->nstrs; /* dst[i - start]: the text's s[i] */
            uint64_t x, m = 0;
            for (; i + 8 <= len; i += 8) {
                memcpy(&x, s + i, 8);
                memcpy(dst + (i - start), &x, 8);
                if ((m = levy_json_word_special(x)) != 0)
                    break;
            }
            if (m) {
                i += (size_t)(__builtin_ctzll(m) >> 3);
                if (s[i] == '"') {
                    size_t pl = i - start;
                    long at = (long)doc->nstrs;
                    dst[pl] = '\0';
                    doc->nstrs += pl + 1;
                    d->i = i + 1;
                    *n = (uint32_t)pl;
                    return at;
                }
            }
        }
    }
#endif
    return parse_string_general(d, n);
}

/* parse_string's general way: a plain string found by levy_json_plain_len, else unescaped. */
static long parse_string_general(jp *d, uint32_t *n)
{
    const char *p = d->s + d->i + 1;
    size_t pl = levy_json_plain_len(p, d->len - d->i - 1);
    if (pl < d->len - d->i - 1 && p[pl] == '"') { /* plain bytes: straight from the text */
        long at = put_str(d, p, pl, 0);
        d->i += pl + 2;
        *n = (uint32_t)pl;
        return at;
    }
    levy_err e;
    size_t used;
    d->tmp.len = 0;
    if (levy_json_unescape(d->s + d->i, d->len - d->i, 1, &d->tmp, &used, &e) != LEVY_OK) {
        snprintf(d->msg, sizeof d->msg, "%s (string at offset %zu)", e.message, d->i);
        return -1;
    }
    if (d->tmp.oom)
        return jfail(d, "out of memory");
    long at = put_str(d, d->tmp.data ? d->tmp.data : "", d->tmp.len, 0);
    d->i += used;
    *n = (uint32_t)d->tmp.len;
    return at;
}

static long parse_value(jp *d);

static int grow_stk(jp *d)
{
    uint32_t *q;
    size_t c = d->capstk * 2;
    if (d->stk == d->stk0) { /* off the C stack */
        if ((q = malloc(c * sizeof *q)) != NULL)
            memcpy(q, d->stk, d->nstk * sizeof *q);
    } else {
        q = realloc(d->stk, c * sizeof *q);
    }
    if (!q)
        return jfail(d, "out of memory");
    d->stk = q;
    d->capstk = c;
    return 0;
}

static inline int push_member(jp *d, uint32_t node)
{
    if (d->nstk >= d->capstk && grow_stk(d))
        return -1;
    d->stk[d->nstk++] = node;
    return 0;
}

/* Moves the members pushed since `first` into the doc's kids, as table t's; an object's
 * filter is bits, its keys' levy_json_key_bit (parse_object_members makes it as it goes). */
static int close_table(jp *d, uint32_t t, size_t first, uint64_t bits)
{
    levy_json_doc *doc = d->doc;
    size_t n = d->nstk - first, cap = doc->capkids;
    if ((size_t)doc->nkids + n > UINT32_MAX ||
        grow_to(doc, (void **)&doc->kids, &cap, (size_t)doc->nkids + n, sizeof *doc->kids))
        return jfail(d, "out of memory");
    doc->capkids = (uint32_t)cap;
    if (n)
        memcpy(doc->kids + doc->nkids, d->stk + first, n * sizeof *d->stk);
    doc->nodes[t].at = doc->nkids;
    doc->nodes[t].n = (uint32_t)n;
    if (!doc->nodes[t].array)
        doc->nodes[t].ival = (long long)bits;
    doc->nkids += (uint32_t)n;
    d->nstk = first;
    return 0;
}

static long parse_array(jp *d)
{
    long t = new_node(d, LEVY_JSON_TABLE);
    if (t < 0)
        return -1;
    d->doc->nodes[t].array = 1;
    size_t first = d->nstk;
    d->i++;
    skip_ws(d);
    if (d->i < d->len && d->s[d->i] == ']') {
        d->i++;
        return close_table(d, (uint32_t)t, first, 0) ? -1 : t;
    }
    for (;;) {
        long v = parse_value(d);
        if (v < 0 || push_member(d, (uint32_t)v))
            return -1;
        skip_ws(d);
        if (d->i >= d->len)
            return jfail(d, "unterminated array");
        char c = d->s[d->i++];
        if (c == ']')
            return close_table(d, (uint32_t)t, first, 0) ? -1 : t;
        if (c != ',') {
            d->i--;
            return jfail(d, "expected ',' or ']'");
        }
    }
}

/* The keys of an object with more than DUP_LINEAR members: open addressing over (offset + 1,
 * length) pairs. */
typedef struct keyset {
    uint32_t *slot; /* 2 per entry */
    size_t cap, n;
} keyset;

static size_t key_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

/* 1 when the key is there already, else adds it (0); -1 when out of memory. */
static int keyset_add(keyset *ks, const char *strs, uint32_t off, uint32_t len)
{
    if ((ks->n + 1) * 2 > ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 64;
        uint32_t *ns = calloc(cap * 2, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t k = 0; k < ks->cap; k++) {
            if (!ks->slot[2 * k])
                continue;
            size_t h = key_hash(strs + ks->slot[2 * k] - 1, ks->slot[2 * k + 1]) & (cap - 1);
            while (ns[2 * h])
                h = (h + 1) & (cap - 1);
            ns[2 * h] = ks->slot[2 * k];
            ns[2 * h + 1] = ks->slot[2 * k + 1];
        }
        free(ks->slot);
        ks->slot = ns;
        ks->cap = cap;
    }
    size_t h = key_hash(strs + off, len) & (ks->cap - 1);
    while (ks->slot[2 * h]) {
        if (ks->slot[2 * h + 1] == len && memcmp(strs + ks->slot[2 * h] - 1, strs + off, len) == 0)
            return 1;
        h = (h + 1) & (ks->cap - 1);
    }
    ks->slot[2 * h] = off + 1;
    ks->slot[2 * h + 1] = len;
    ks->n++;
    return 0;
}

static long parse_object_members(jp *d, long t, size_t first, keyset *ks)
{
    levy_json_doc *doc = d->doc;
    uint64_t bits = 0; /* the keys' levy_json_key_bit so far */
    for (;;) {
        skip_ws(d);
        if (d->i >= d->len || d->s[d->i] != '"')
            return jfail(d, "expected a string key");
        size_t key_at = d->i;
        uint32_t klen;
        long koff = parse_string(d, &klen);
        if (koff < 0)
            return -1;
        /* a repeated key is refused unless dup_last */
        size_t n = d->nstk - first;
        int dup = 0;
        uint64_t bit = levy_json_key_bit(doc->strs + koff, klen);
        int seen = (bits & bit) != 0; /* 0: no key before has this one's bit, so none equals it */
        bits |= bit;
        if (d->dup_last) {
            /* kept: levy.json.decode's walk sets the members in order, the later one wins */
        } else if (n < DUP_LINEAR) {
            if (!seen)
                n = 0;
            for (size_t k = first; k < first + n && !dup; k++) {
                const levy_json_node *m = &doc->nodes[d->stk[k]];
                dup = m->klen == klen && memcmp(doc->strs + m->key, doc->strs + koff, klen) == 0;
            }
        } else {
            if (n == DUP_LINEAR) /* the first DUP_LINEAR keys into the set */
                for (size_t k = first; k < d->nstk; k++) {
                    const levy_json_node *m = &doc->nodes[d->stk[k]];
                    if (keyset_add(ks, doc->strs, m->key, m->klen) < 0)
                        return jfail(d, "out of memory");
                }
            int r = keyset_add(ks, doc->strs, (uint32_t)koff, klen);
            if (r < 0)
                return jfail(d, "out of memory");
            dup = r;
        }
        if (dup) {
            const char *k = doc->strs + koff;
            snprintf(d->msg, sizeof d->msg, "duplicate object key \"%.*s%s\" at offset %zu",
                     (int)(klen > 64 ? 64 : klen), k, klen > 64 ? "..." : "", key_at);
            return -1;
        }
        skip_ws(d);
        if (d->i >= d->len || d->s[d->i] != ':')
            return jfail(d, "expected ':'");
        d->i++;
        long v = parse_value(d);
        if (v < 0 || push_member(d, (uint32_t)v))
            return -1;
        doc->nodes[v].key = (uint32_t)koff;
        doc->nodes[v].klen = klen;
        skip_ws(d);
        if (d->i >= d->len)
            return jfail(d, "unterminated object");
        char c = d->s[d->i++];
        if (c == '}')
            return close_table(d, (uint32_t)t, first, bits) ? -1 : t;
        if (c != ',') {
            d->i--;
            return jfail(d, "expected ',' or '}'");
        }
    }
}

static long parse_object(jp *d)
{
    long t = new_node(d, LEVY_JSON_TABLE);
    if (t < 0)
        return -1;
    size_t first = d->nstk;
    d->i++;
    skip_ws(d);
    if (d->i < d->len && d->s[d->i] == '}') {
        d->i++;
        return close_table(d, (uint32_t)t, first, 0) ? -1 : t;
    }
    keyset ks = {0};
    long r = parse_object_members(d, t, first, &ks);
    free(ks.slot);
    return r;
}

static long parse_value(jp *d)
{
    skip_ws(d);
    if (d->i >= d->len)
        return jfail(d, "unexpected end of input");
    const char *p = d->s + d->i;
    size_t rest = d->len - d->i;
    long v;
    switch (*p) {
    case '{':
    case '[':
        if (d->depth >= LEVY_JSON_MAX_DEPTH)
            return jfail(d, "nesting deeper than 200");
        d->depth++;
        v = *p == '{' ? parse_object(d) : parse_array(d);
        d->depth--;
        return v;
    case '"': {
        uint32_t n;
        v = new_node(d, LEVY_JSON_STRING);
        long at = v < 0 ? -1 : parse_string(d, &n);
        if (at < 0)
            return -1;
        d->doc->nodes[v].at = (uint32_t)at;
        d->doc->nodes[v].n = n;
        return v;
    }
    case 't':
    case 'f':
        if ((*p == 't' && rest >= 4 && memcmp(p, "true", 4) == 0) ||
            (*p == 'f' && rest >= 5 && memcmp(p, "false", 5) == 0)) {
            v = new_node(d, LEVY_JSON_BOOLEAN);
            if (v < 0)
                return -1;
            d->doc->nodes[v].array = *p == 't';
            d->i += *p == 't' ? 4 : 5;
            return v;
        }
        break;
    case 'n':
        if (rest >= 4 && memcmp(p, "null", 4) == 0) {
            v = new_node(d, LEVY_JSON_NULL);
            d->i += 4;
            return v;
        }
        break;
    default: {
        size_t n = levy_json_number_len(p, rest);
        if (!n)
            break;
        int64_t iv;
        if (levy_json_int_literal(p, n, &iv)) {
            v = new_node(d, LEVY_JSON_INTEGER);
            if (v < 0)
                return -1;
            d->doc->nodes[v].ival = (long long)iv;
        } else { /* levy.json's number literal: the string "\0<literal>" */
            v = new_node(d, LEVY_JSON_STRING);
            long at = v < 0 ? -1 : put_str(d, p, n, 1);
            if (at < 0)
                return -1;
            d->doc->nodes[v].at = (uint32_t)at;
            d->doc->nodes[v].n = (uint32_t)n + 1;
        }
        d->i += n;
        return v;
    }
    }
    return jfail(d, "unexpected character");
}

void levy_json_doc_free(levy_json_doc *doc)
{
    if (!in_block(doc, doc->nodes))
        free(doc->nodes);
    if (!in_block(doc, doc->kids))
        free(doc->kids);
    if (!in_block(doc, doc->strs))
        free(doc->strs);
    free(doc->block);
    memset(doc, 0, sizeof *doc);
}

int levy_json_doc_parse(levy_json_doc *doc, const char *text, size_t len, char *msg, size_t cap)
{
    return levy_json_doc_parse_keys(doc, text, len, 0, msg, cap);
}

int levy_json_doc_parse_keys(levy_json_doc *doc, const char *text, size_t len, int dup_last,
                             char *msg, size_t cap)
{
    doc->nnodes = doc->nkids = 0;
    doc->nstrs = 0;
    jp d;
    memset(&d, 0, offsetof(jp, stk0));
    d.doc = doc;
    d.s = text;
    d.len = len;
    d.dup_last = dup_last;
    d.stk = d.stk0;
    d.capstk = sizeof d.stk0 / sizeof d.stk0[0];
    /* room for a typical body at once (a node per ~10 bytes of text, every string's bytes):
     * on a new doc one block for the three arrays, instead of three allocations or a chain
     * of doublings */
    size_t nn = len / 10 + 16, ns = len + 64;
    if (!doc->nodes && !doc->kids && !doc->strs && !doc->block && nn <= UINT32_MAX) {
        size_t nb = nn * sizeof *doc->nodes, kb = nn * sizeof *doc->kids;
        char *blk = malloc(nb + kb + ns);
        if (blk) {
            doc->block = blk;
            doc->block_size = nb + kb + ns;
            doc->nodes = (levy_json_node *)(void *)blk;
            doc->capnodes = (uint32_t)nn;
            doc->kids = (uint32_t *)(void *)(blk + nb);
            doc->capkids = (uint32_t)nn;
            doc->strs = blk + nb + kb;
            doc->capstrs = ns;
        }
    }
    size_t room = doc->capnodes;
    if (grow_to(doc, (void **)&doc->nodes, &room, nn, sizeof *doc->nodes) == 0)
        doc->capnodes = (uint32_t)room;
    room = doc->capkids;
    if (grow_to(doc, (void **)&doc->kids, &room, nn, sizeof *doc->kids) == 0)
        doc->capkids = (uint32_t)room;
    grow_to(doc, (void **)&doc->strs, &doc->capstrs, ns, 1);
    long root = parse_value(&d);
    if (root >= 0) {
        skip_ws(&d);
        if (d.i != d.len)
            root = jfail(&d, "trailing characters");
    }
    if (d.stk != d.stk0)
        free(d.stk);
    levy_buf_free(&d.tmp);
    if (root < 0) {
        if (msg && cap)
            snprintf(msg, cap, "%s", d.msg);
        return -1;
    }
    return 0;
}
