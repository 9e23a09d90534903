#ifndef LEVY_TAX_JSON_IN_H
#define LEVY_TAX_JSON_IN_H
/* JSON text read through levy_tax_in (core/tax/compile.h), without Lua (issue 21: a POST
 * /v1/calculate body is parsed once in C and read by core/tax/request.c, no Lua table built).
 * The parse is levy's one JSON decoder (core/base/json_doc.h, issue 18): levy.json.decode
 * walks the same nodes, so a reader decides the same on a body and on its decoded table. */
#include <stddef.h>
#include <stdint.h>

#include "json_doc.h"
#include "tax/compile.h"

/* levy_tax_in over a parsed doc; the value on top starts as the doc's root. */
#define LEVY_JSON_IN_DEPTH 64
typedef struct levy_json_in {
    levy_tax_in in;
    const levy_json_doc *doc;
    int top;
    uint32_t stack[LEVY_JSON_IN_DEPTH]; /* node indexes; UINT32_MAX: nil */
    char num[24];                       /* text of an integer */
    /* field's names (string literals) by their address: length and key bit, looked up once per
     * reader (issue 21: a request's lines ask the same 7 names each) */
    struct {
        const char *name;
        uint32_t len;
        uint64_t bit;
    } names[16];
} levy_json_in;
void levy_json_in_init(levy_json_in *ji, const levy_json_doc *doc);

struct levy_tax_out;
/* What plugins/api's build_opts reads of a parsed request (its root an object), written to o
 * (levy.tax.parse's view): {customer = {id?, tax_id?}?, ship_to = {country?}?, lines =
 * [{product_id}...]?} -- the strings only (a value of another type is left out, as build_opts
 * leaves it; customer and ship_to only when objects; a line without a string product_id is
 * not listed, and lines only when one is). Returns 0, or -1 when o refused a string. */
int levy_tax_request_view_write(struct levy_tax_out *o, const levy_json_doc *doc);

#endif
