#ifndef LEVY_JSON_DOC_H
#define LEVY_JSON_DOC_H
/* levy's one JSON decoder (issue 18): a text parsed into flat nodes, without Lua. levy.json.decode
 * (core/lua/bind_json.c) walks the nodes into Lua values; levy.tax.parse reads them in place
 * through levy_tax_in (core/tax/json_in.h). Values: integers (int64) as integers, any other
 * number as the string "\0<literal>" (levy.json's number literals), null, strings as decoded
 * (valid UTF-8, no NUL), arrays and objects; a repeated object key refused unless asked for;
 * nesting up to LEVY_JSON_MAX_DEPTH. Errors: "<what> at offset N" (the messages levy.json
 * gives its callers and the API's invalid_json answers carry). */
#include <stddef.h>
#include <stdint.h>

/* A node's type; the numbers are levy_tax_in's LEVY_IN_* (core/tax/compile.h), so the tax
 * reader returns them as they are (core/tax/json_in.c checks). */
enum {
    LEVY_JSON_STRING = 1,
    LEVY_JSON_INTEGER = 2,
    LEVY_JSON_TABLE = 3,
    LEVY_JSON_BOOLEAN = 6,
    LEVY_JSON_NULL = 7
};

typedef struct levy_json_node {
    uint8_t type;   /* LEVY_JSON_STRING, INTEGER, BOOLEAN, NULL, TABLE */
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

/* A key's bit in its object's filter (an object node's ival: the OR of its keys' bits), so that
 * looking up a key the object does not have is mostly one test. */
static inline uint64_t levy_json_key_bit(const char *k, size_t n)
{
    unsigned h = (unsigned)n * 31u + (n ? (unsigned char)k[0] * 7u + (unsigned char)k[n - 1] : 0u);
    return 1ull << (h & 63u);
}

#endif
