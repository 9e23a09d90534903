#ifndef LEVY_TAX_JSON_IN_H
#define LEVY_TAX_JSON_IN_H
/* JSON text read through levy_tax_in (core/tax/compile.h), without Lua (issue 21: a POST
 * /v1/calculate body is parsed once in C and read by core/tax/request.c, no Lua table built).
 * The values are what levy.json's decoder (core/lua/bind_json.c) makes of the same text, so
 * that a reader decides the same on both: integers as integer numbers, other numbers as the
 * strings "\0<literal>" (levy.json's number literals), null as LEVY_IN_NULL, a repeated object
 * key refused; the error messages are the decoder's, word for word and offset for offset. */
#include <stddef.h>
#include <stdint.h>

#include "tax/compile.h"

typedef struct levy_json_node {
    uint8_t type;   /* LEVY_IN_STRING, NUMBER (an integer), BOOLEAN, NULL, TABLE */
    uint8_t array;  /* TABLE: 1 an array, 0 an object; BOOLEAN: its value */
    uint32_t n;     /* STRING: bytes; TABLE: members */
    uint32_t at;    /* STRING: offset in strs (NUL-terminated); TABLE: first member in kids */
    uint32_t key;   /* a member of an object: its key's offset in strs */
    uint32_t klen;  /* and length */
    long long ival; /* NUMBER: its value; an object: the filter of its keys */
} levy_json_node;

/* A parsed text: the nodes (node 0 is the value), the members of each table (indexes into
 * nodes, contiguous per table) and the strings. Zero-init is empty; free with
 * levy_json_doc_free. */
typedef struct levy_json_doc {
    levy_json_node *nodes;
    uint32_t nnodes, capnodes;
    uint32_t *kids;
    uint32_t nkids, capkids;
    char *strs;
    size_t nstrs, capstrs;
    /* the first parse's nodes, kids and strs in one allocation (issue 21: one malloc and one
     * free per request body instead of three); an array that outgrows it moves out */
    void *block;
    size_t block_size;
} levy_json_doc;

/* Parses text[0..len) into doc (emptied first). 0, or -1 with levy.json.decode's message in
 * msg ("unexpected character at offset 3"). */
int levy_json_doc_parse(levy_json_doc *doc, const char *text, size_t len, char *msg, size_t cap);
/* The same; dup_last = 1 keeps a repeated object key as another member (levy.json.decode's
 * duplicate_keys = "last": its walk sets the members in order, so the later value wins). */
int levy_json_doc_parse_keys(levy_json_doc *doc, const char *text, size_t len, int dup_last,
                             char *msg, size_t cap);
void levy_json_doc_free(levy_json_doc *doc);

/* levy_tax_in over a parsed doc; the value on top starts as the doc's root. */
#define LEVY_JSON_IN_DEPTH 64
typedef struct levy_json_in {
    levy_tax_in in;
    const levy_json_doc *doc;
    int top;
    uint32_t stack[LEVY_JSON_IN_DEPTH]; /* node indexes; UINT32_MAX: nil */
    char num[24];                       /* text of an integer */
} levy_json_in;
void levy_json_in_init(levy_json_in *ji, const levy_json_doc *doc);

struct levy_tax_out;
/* What plugins/api's build_opts reads of a parsed request (its root an object), written to o
 * (levy.tax.parse's view): {customer = {id?, tax_id?}?, ship_to = {country?}?, lines =
 * [{product_id}...]?} -- the strings only (a value of another type is left out, as build_opts
 * leaves it; customer and ship_to only when objects; a line without a string product_id is
 * not listed). Returns 0, or -1 when o refused a string. */
int levy_tax_request_view_write(struct levy_tax_out *o, const levy_json_doc *doc);

#endif
