/* JSON text read through levy_tax_in without Lua (json_in.h): the reader over the nodes of
 * levy's one JSON decoder (core/base/json_doc.c), and the view plugins/api reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "tax/calc.h"
#include "tax/json_in.h"

#define NIL_NODE UINT32_MAX

/* the reader returns a node's type as levy_tax_in's */
_Static_assert((int)LEVY_JSON_STRING == (int)LEVY_IN_STRING &&
                   (int)LEVY_JSON_INTEGER == (int)LEVY_IN_NUMBER &&
                   (int)LEVY_JSON_TABLE == (int)LEVY_IN_TABLE &&
                   (int)LEVY_JSON_BOOLEAN == (int)LEVY_IN_BOOLEAN &&
                   (int)LEVY_JSON_NULL == (int)LEVY_IN_NULL,
               "json_doc.h's node types are levy_tax_in's");

/* ---- the reader */

static const levy_json_node *jtop(levy_tax_in *in)
{
    levy_json_in *ji = (levy_json_in *)in;
    uint32_t k = ji->stack[ji->top];
    return k == NIL_NODE ? NULL : &ji->doc->nodes[k];
}

static int jpush(levy_tax_in *in, uint32_t k)
{
    levy_json_in *ji = (levy_json_in *)in;
    if (ji->top < LEVY_JSON_IN_DEPTH - 1)
        ji->top++;
    ji->stack[ji->top] = k;
    return k == NIL_NODE ? LEVY_IN_NIL : ji->doc->nodes[k].type;
}

static int j_type(levy_tax_in *in)
{
    const levy_json_node *n = jtop(in);
    return n ? n->type : LEVY_IN_NIL;
}

/* top[name] of the object on top: name's len bytes, bit its levy_json_key_bit. */
static inline __attribute__((always_inline)) int field_of(levy_tax_in *in, const char *name,
                                                          size_t len, uint64_t bit)
{
    const levy_json_node *t = jtop(in);
    const levy_json_doc *doc = ((levy_json_in *)in)->doc;
    if (t && t->type == LEVY_IN_TABLE && !t->array && t->n) {
        if (!((uint64_t)t->ival & bit))
            return jpush(in, NIL_NODE); /* not among the object's keys */
        for (uint32_t k = 0; k < t->n; k++) {
            uint32_t m = doc->kids[t->at + k];
            const char *key = doc->strs + doc->nodes[m].key;
            if (doc->nodes[m].klen == len && key[0] == name[0] && memcmp(key, name, len) == 0)
                return jpush(in, m);
        }
    }
    return jpush(in, NIL_NODE);
}

/* field_text: any name (a region code in a buffer of the caller's) */
static int j_field_text(levy_tax_in *in, const char *name)
{
    size_t len = strlen(name);
    return field_of(in, name, len, levy_json_key_bit(name, len));
}

/* field: a string literal, its length and key bit kept by its address */
static int j_field(levy_tax_in *in, const char *name)
{
    levy_json_in *ji = (levy_json_in *)in;
    size_t h = ((uintptr_t)name >> 3) % (sizeof ji->names / sizeof ji->names[0]);
    if (ji->names[h].name != name) {
        size_t len = strlen(name);
        ji->names[h].name = name;
        ji->names[h].len = (uint32_t)len;
        ji->names[h].bit = levy_json_key_bit(name, len);
    }
    return field_of(in, name, ji->names[h].len, ji->names[h].bit);
}

static int j_item(levy_tax_in *in, long long i)
{
    const levy_json_node *t = jtop(in);
    const levy_json_doc *doc = ((levy_json_in *)in)->doc;
    if (t && t->type == LEVY_IN_TABLE && t->array && i >= 1 && i <= (long long)t->n)
        return jpush(in, doc->kids[t->at + (uint32_t)(i - 1)]);
    return jpush(in, NIL_NODE);
}

static long long j_len(levy_tax_in *in, int raw)
{
    (void)raw;
    const levy_json_node *t = jtop(in);
    return t && t->type == LEVY_IN_TABLE && t->array ? (long long)t->n : 0;
}

static const char *j_text(levy_tax_in *in, size_t *len)
{
    levy_json_in *ji = (levy_json_in *)in;
    const levy_json_node *n = jtop(in);
    if (n && n->type == LEVY_IN_STRING) {
        *len = n->n;
        return ji->doc->strs + n->at;
    }
    if (n && n->type == LEVY_IN_NUMBER) { /* as Lua writes an integer */
        int w = snprintf(ji->num, sizeof ji->num, "%lld", n->ival);
        *len = (size_t)w;
        return ji->num;
    }
    return NULL;
}

static void j_pop(levy_tax_in *in)
{
    levy_json_in *ji = (levy_json_in *)in;
    if (ji->top > 0)
        ji->top--;
}

static int j_truth(levy_tax_in *in)
{
    const levy_json_node *n = jtop(in);
    return n && n->type == LEVY_IN_BOOLEAN && n->array;
}

static int j_integer(levy_tax_in *in, long long *v)
{
    const levy_json_node *n = jtop(in);
    if (!n || n->type != LEVY_IN_NUMBER)
        return 0;
    *v = n->ival;
    return 1;
}

static int j_each(levy_tax_in *in,
                  int (*fn)(levy_tax_in *in, const char *key, size_t len, void *arg), void *arg)
{
    const levy_json_node *t = jtop(in);
    const levy_json_doc *doc = ((levy_json_in *)in)->doc;
    if (!t || t->type != LEVY_IN_TABLE || t->array)
        return 0;
    for (uint32_t k = 0; k < t->n; k++) {
        uint32_t m = doc->kids[t->at + k];
        jpush(in, m);
        int rc = fn(in, doc->strs + doc->nodes[m].key, doc->nodes[m].klen, arg);
        j_pop(in);
        if (rc)
            return rc;
    }
    return 0;
}

void levy_json_in_init(levy_json_in *ji, const levy_json_doc *doc)
{
    memset(ji, 0, sizeof *ji);
    ji->in = (levy_tax_in){j_type, j_field, j_item,    j_len,        j_text,
                           j_pop,  j_truth, j_integer, j_field_text, j_each};
    ji->doc = doc;
    ji->stack[0] = doc->nnodes ? 0 : NIL_NODE;
}

int levy_tax_request_view_write(levy_tax_out *o, const levy_json_doc *doc)
{
    levy_json_in ji;
    levy_json_in_init(&ji, doc);
    levy_tax_in *in = &ji.in;
    static const char *const objs[2] = {"customer", "ship_to"};
    static const char *const keys[2][2] = {{"id", "tax_id"}, {"country", NULL}};
    int bad = 0, first = 1;
    size_t n;
    o->open(o, 0, 3);
    for (int i = 0; i < 2; i++) {
        if (in->field(in, objs[i]) == LEVY_IN_TABLE && !doc->nodes[ji.stack[ji.top]].array) {
            o->key(o, objs[i], first);
            first = 0;
            o->open(o, 0, 2);
            int kfirst = 1;
            for (int k = 0; k < 2 && keys[i][k]; k++) {
                if (in->field(in, keys[i][k]) == LEVY_IN_STRING) {
                    const char *v = in->text(in, &n);
                    o->key(o, keys[i][k], kfirst);
                    kfirst = 0;
                    bad |= o->str(o, v, n);
                }
                in->pop(in);
            }
            o->close(o, 0);
        }
        in->pop(in);
    }
    if (in->field(in, "lines") == LEVY_IN_TABLE) {
        /* the array only when a line names a product (issue 21: most bodies name none, and
         * build_opts reads nothing else of the lines) */
        long long nl = in->len(in, 1);
        int opened = 0;
        for (long long i = 1; i <= nl; i++) {
            if (in->item(in, i) == LEVY_IN_TABLE) {
                if (in->field(in, "product_id") == LEVY_IN_STRING) {
                    const char *v = in->text(in, &n);
                    if (!opened) {
                        o->key(o, "lines", first);
                        o->open(o, 1, 0);
                        opened = 1;
                    }
                    o->open(o, 0, 1);
                    o->key(o, "product_id", 1);
                    bad |= o->str(o, v, n);
                    o->close(o, 0);
                }
                in->pop(in);
            }
            in->pop(in);
        }
        if (opened)
            o->close(o, 1);
    }
    in->pop(in);
    o->close(o, 0);
    return bad ? -1 : 0;
}
