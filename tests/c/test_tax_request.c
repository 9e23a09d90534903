/* Without a Lua state (issues 18 and 21): a /v1/calculate body parsed from its JSON text
 * (core/tax/json_in.c) and read into a levy_tax_request by the one request reader
 * (core/tax/request.c). The refusals and details are those levy answered before the reader
 * moved out of the Lua binding: each expected text below was taken from `levy calc` of the
 * base build (git 15f8808) on the same body ("body is not valid JSON: " + the message, or the
 * answer's details). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json_scan.h"
#include "tax/calc.h"
#include "tax/dec.h"
#include "tax/json_in.h"
#include "tax/request.h"

/* ---- the parser: levy.json.decode's refusals, word for word */

static void t_parse_errors(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"{\"a\":", "unexpected end of input at offset 5"},
        {"{\"a\":1} x", "trailing characters at offset 8"},
        {"{\"a\" 1}", "expected ':' at offset 5"},
        {"{a:1}", "expected a string key at offset 1"},
        {"{\"a\":1,}", "expected a string key at offset 7"},
        {"[1,2", "unterminated array at offset 4"},
        {"{\"a\":\"\\x\"}", "invalid escape at offset 3 (string at offset 5)"},
        {"{\"a\":\"\x01\"}", "control character in string at offset 1 (string at offset 5)"},
        {"{\"a\":tru}", "unexpected character at offset 5"},
        {"{\"a\":-}", "unexpected character at offset 5"},
        {"{\"a\":1,\"a\":2}", "duplicate object key \"a\" at offset 7"},
        {"{\"a\":\"\\ud800\"}", "invalid surrogate pair at offset 7 (string at offset 5)"},
        {"{\"a\":\"\\u0000\"}",
         "\\u0000 is not accepted in strings (offset 7) (string at offset 5)"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' at offset 7"},
        {"{\"a\":[1 2]}", "expected ',' or ']' at offset 8"},
        {"", "unexpected end of input at offset 0"},
    };
    levy_json_doc doc = {0};
    char msg[320];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int rc = levy_json_doc_parse(&doc, cases[k].text, strlen(cases[k].text), msg, sizeof msg);
        CHECK_EQ_INT(rc, -1);
        CHECK_EQ_STR(msg, cases[k].msg);
    }
    /* a repeated key among more than 16 (the key set, not the linear scan) */
    char big[600];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", i, i);
    snprintf(big + n, sizeof big - n, "\"k17\":0}");
    CHECK_EQ_INT(levy_json_doc_parse(&doc, big, strlen(big), msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "duplicate object key \"k17\" at offset 161");
    /* 40 distinct keys: no repeat found */
    n = (size_t)snprintf(big, sizeof big, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(big + n, sizeof big - n, "}");
    CHECK_EQ_INT(levy_json_doc_parse(&doc, big, strlen(big), msg, sizeof msg), 0);
    /* a long repeated key is named by its first 64 bytes */
    const char *lk =
        "{\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":1,"
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":2}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, lk, strlen(lk), msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "duplicate object key "
                      "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" at "
                      "offset 76");
    /* nesting: 200 deep is refused at the 201st bracket */
    char deep[404];
    memset(deep, '[', 201);
    memset(deep + 201, ']', 201);
    CHECK_EQ_INT(levy_json_doc_parse(&doc, deep, 402, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "nesting deeper than 200 at offset 200");
    CHECK_EQ_INT(levy_json_doc_parse(&doc, deep + 1, 400, msg, sizeof msg), 0);
end:
    levy_json_doc_free(&doc);
}

/* The values as levy.json makes them: integers, number literals "\0<literal>", null. */
static void t_values(void)
{
    levy_json_doc doc = {0};
    char msg[320];
    const char *text =
        " {\"i\": -12, \"f\": 1.50, \"e\": 1e3, \"s\": \"a\\u00e9\\\"\", \"t\": true,"
        " \"n\": null, \"a\": [1, {\"x\": []}], \"o\": {}} ";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, text, strlen(text), msg, sizeof msg), 0);
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    levy_tax_in *in = &ji.in;
    long long v = 0;
    size_t len = 0;
    CHECK_EQ_INT(in->type(in), LEVY_IN_TABLE);
    CHECK_EQ_INT(in->len(in, 0), 0); /* an object has no items */
    CHECK_EQ_INT(in->field(in, "i"), LEVY_IN_NUMBER);
    CHECK(in->integer(in, &v));
    CHECK_EQ_INT(v, -12);
    CHECK_EQ_STR(in->text(in, &len), "-12");
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "f"), LEVY_IN_STRING);
    const char *f = in->text(in, &len);
    CHECK_EQ_INT((long long)len, 5);
    CHECK(f[0] == '\0' && memcmp(f + 1, "1.50", 4) == 0);
    CHECK(!in->integer(in, &v));
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "e"), LEVY_IN_STRING); /* 1e3: a literal, not an integer */
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "s"), LEVY_IN_STRING);
    CHECK_EQ_STR(in->text(in, &len), "a\xc3\xa9\"");
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "t"), LEVY_IN_BOOLEAN);
    CHECK(in->truth(in));
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "n"), LEVY_IN_NULL);
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "missing"), LEVY_IN_NIL);
    in->pop(in);
    CHECK_EQ_INT(in->field(in, "a"), LEVY_IN_TABLE);
    CHECK_EQ_INT(in->len(in, 0), 2);
    CHECK_EQ_INT(in->field(in, "x"), LEVY_IN_NIL); /* an array has no fields */
    in->pop(in);
    CHECK_EQ_INT(in->item(in, 0), LEVY_IN_NIL);
    in->pop(in);
    CHECK_EQ_INT(in->item(in, 3), LEVY_IN_NIL);
    in->pop(in);
    CHECK_EQ_INT(in->item(in, 2), LEVY_IN_TABLE);
    CHECK_EQ_INT(in->field(in, "x"), LEVY_IN_TABLE);
    CHECK_EQ_INT(in->len(in, 1), 0);
    in->pop(in);
    in->pop(in);
    in->pop(in);
    CHECK_EQ_INT(ji.top, 0);
end:
    levy_json_doc_free(&doc);
}

/* The first parse of a doc puts its three arrays in one block (issue 21, h-json21); a text
 * that outgrows it (a node every 4 bytes, number literals that take more bytes than their
 * text, one table of 2,001 members: more than the parser's stack on the C stack) moves each
 * array out, and the values stay right; the doc parses again and frees clean (valgrind_). */
static void t_block(void)
{
    levy_json_doc doc = {0};
    char msg[320];
    size_t cap = 2001 * 4 + 8, n = 0;
    char *text = malloc(cap);
    CHECK(text != NULL);
    text[n++] = '[';
    for (int i = 0; i < 2001; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s1.5", i ? "," : "");
    text[n++] = ']';
    CHECK_EQ_INT(levy_json_doc_parse(&doc, text, n, msg, sizeof msg), 0);
    CHECK(doc.block != NULL);
    CHECK_EQ_INT(doc.nnodes, 2002);
    CHECK((uintptr_t)doc.nodes - (uintptr_t)doc.block >= doc.block_size); /* moved out */
    CHECK((uintptr_t)doc.strs - (uintptr_t)doc.block >= doc.block_size);
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    size_t len = 0;
    CHECK_EQ_INT(ji.in.len(&ji.in, 1), 2001);
    CHECK_EQ_INT(ji.in.item(&ji.in, 2001), LEVY_IN_STRING);
    const char *v = ji.in.text(&ji.in, &len);
    CHECK(len == 4 && v[0] == '\0' && memcmp(v + 1, "1.5", 3) == 0);
    ji.in.pop(&ji.in);
    const char *small = "{\"a\":[\"x\",{\"b\":2}]}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, small, strlen(small), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(ji.in.field(&ji.in, "a"), LEVY_IN_TABLE);
    CHECK_EQ_INT(ji.in.item(&ji.in, 1), LEVY_IN_STRING);
    CHECK_EQ_STR(ji.in.text(&ji.in, &len), "x");
end:
    free(text);
    levy_json_doc_free(&doc);
}

/* ---- the request reader */

/* Reads body (JSON text) as levy.tax.calculate does; the details as "field: message|...". */
static int read_body(const char *body, levy_tax_request *req, levy_tax_line *lines,
                     levy_tax_line_meta *meta, int cap, levy_tax_problem *p, char *out,
                     size_t outcap, levy_json_doc *doc)
{
    char msg[320];
    if (levy_json_doc_parse(doc, body, strlen(body), msg, sizeof msg) != 0)
        return -1;
    levy_json_in ji;
    levy_json_in_init(&ji, doc);
    levy_tax_problem_clear(p);
    memset(req, 0, sizeof *req);
    levy_tax_request_read_head(req, &ji.in, p);
    int n = levy_tax_request_count_lines(&ji.in, p);
    req->nlines = n < cap ? n : cap;
    req->lines = lines;
    req->meta = meta;
    levy_tax_request_read_lines(req, &ji.in, NULL, NULL, p);
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < p->ndetails && w < outcap; i++)
        w += (size_t)snprintf(out + w, outcap - w, "%s%s: %s", i ? "|" : "", p->details[i].field,
                              p->details[i].message);
    return ji.top; /* 0: every push popped */
}

#define MAXL 8
static levy_tax_line L_[MAXL];
static levy_tax_line_meta M_[MAXL];

static void t_bad_requests(void)
{
    static const struct {
        const char *body, *details;
    } cases[] = {
        {"{\"currency\":1,\"lines\":[{\"amount\":2.5,\"id\":1.5}],\"customer\":{\"id\":7}}",
         "currency: must be a string, not a JSON number|ship_to: is required|lines[0].amount: "
         "must be a decimal string (e.g. \"12.34\"), not a JSON number"},
        {"{\"currency\":\"USD\",\"ship_to\":{\"country\":\"US\",\"state\":\"TX\",\"zip_code\":"
         "\"78701\"},\"lines\":[{\"id\":7,\"amount\":\"1.00\"},{\"amount\":\"2.00\"},{\"id\":\"x\","
         "\"amount\":\"3\",\"discount\":\"4\",\"quantity\":\"0\"}]}",
         "lines[2].quantity: must be greater than zero"},
        {"{\"currency\":\"USD\",\"ship_to\":{\"country\":\"US\",\"state\":\"TX\",\"zip_code\":"
         "\"78701\"},\"lines\":{}}",
         "lines: must have at least one line"},
        {"{\"currency\":\"USD\",\"ship_to\":[],\"lines\":[[]]}",
         "ship_to.country: is required (ISO 3166 two-letter code)|lines[0].amount: is required (a "
         "decimal string)"},
        {"{\"currency\":\"USD\",\"ship_to\":{\"country\":\"US\",\"state\":\"TX\",\"zip_code\":"
         "\"78701\"},\"customer\":[],\"lines\":[{\"amount\":\"1.00\",\"tax_inclusive\":\"yes\"}]}",
         "lines[0].tax_inclusive: must be true or false"},
        {"{\"currency\":\"USD\",\"ship_to\":{\"country\":\"US\",\"state\":\"TX\",\"zip_code\":"
         "\"78701\"},\"customer\":{\"id\":\"c1\",\"exempt\":\"true\",\"type\":\"robot\",\"tax_id\":"
         "\"\"},\"lines\":[{\"amount\":\"1.00\"}]}",
         "customer.exempt: must be true or false|customer.type: must be \"business\" or "
         "\"individual\""},
        /* doubts26: the marketplace flags are booleans */
        {"{\"currency\":\"USD\",\"marketplace\":\"yes\",\"ship_to\":{\"country\":\"US\","
         "\"state\":\"TX\",\"zip_code\":\"78701\"},\"lines\":[{\"amount\":\"1.00\","
         "\"marketplace\":1}]}",
         "marketplace: must be true or false|lines[0].marketplace: must be true or false"},
        {"{\"currency\":\"EUR\",\"date\":\"2026-02-30\",\"ship_to\":{\"country\":\"DE\"},"
         "\"ship_from\":{\"country\":\"FR\"},\"customer\":{\"tax_id\":\"DE123456789\"},\"lines\":[{"
         "\"amount\":\"100.00\",\"tax_code\":\"saas\"}]}",
         "date: must be a date YYYY-MM-DD"},
        {"{\"currency\":\"EUR\",\"ship_to\":{\"country\":\"DE\",\"city\":\"Berlin\"},\"ship_from\":"
         "\"FR\",\"lines\":[{\"amount\":\"100.00\"}]}",
         "ship_from: must be an object"},
        {"{\"currency\":\"JPY\",\"ship_to\":{\"country\":\"CA\",\"state\":\"BC\",\"zip_code\":"
         "\"V6B "
         "1A1\"},\"lines\":[{\"amount\":\"100.5\",\"tax_code\":\"saas\"}]}",
         "lines[0].amount: has more than 0 decimals"},
        {"{\"currency\":\"usd\",\"ship_to\":null,\"lines\":[null,1,\"a\",true]}",
         "ship_to: is required|lines[0]: must be an object|lines[1]: must be an object|lines[2]: "
         "must be an object|lines[3]: must be an object"},
        {"{\"currency\":\"XYZ\",\"ship_to\":{\"country\":\"USA\"},\"lines\":[{\"amount\":\"1\","
         "\"id\":true,\"product_id\":5,\"tax_code\":\"\\u0000\"}]}",
         NULL},
    };
    levy_json_doc doc = {0};
    levy_tax_request req;
    static levy_tax_problem p;
    char got[2048];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int rc = read_body(cases[k].body, &req, L_, M_, MAXL, &p, got, sizeof got, &doc);
        if (!cases[k].details) { /* "\u0000": refused by the parser */
            CHECK_EQ_INT(rc, -1);
            continue;
        }
        CHECK_EQ_INT(rc, 0);
        if (strcmp(got, cases[k].details) != 0)
            fprintf(stderr, "  case %zu: %s\n", k, got);
        CHECK_EQ_STR(got, cases[k].details);
    }
end:
    levy_json_doc_free(&doc);
}

static void t_good_request(void)
{
    const char *body =
        "{\"currency\":\"usd\",\"date\":\"2026-03-01\",\"customer\":{\"id\":12345,\"exempt\":true,"
        "\"type\":\"individual\",\"tax_id\":\"\"},\"ship_to\":{\"country\":\"us\",\"state\":\"tx\","
        "\"city\":\"Austin\",\"zip_code\":\"78701\",\"line1\":\"1 Main\"},\"lines\":[{\"id\":7,"
        "\"amount\":\"100.00\",\"discount\":\"0.50\",\"quantity\":\"2\",\"tax_code\":\"saas\","
        "\"tax_inclusive\":true,\"marketplace\":true},{\"amount\":\"-3.10\",\"id\":\"b\"}]}";
    levy_json_doc doc = {0};
    levy_tax_request req;
    static levy_tax_problem p;
    char got[512];
    CHECK_EQ_INT(read_body(body, &req, L_, M_, MAXL, &p, got, sizeof got, &doc), 0);
    CHECK_EQ_STR(got, "");
    CHECK_EQ_STR(req.currency, "USD");
    CHECK_EQ_INT(req.exponent, 2);
    CHECK_EQ_INT(req.date, 20260301);
    CHECK_EQ_STR(req.customer_id, "12345");
    CHECK(req.tax_id == NULL); /* "" is as absent */
    CHECK_EQ_INT(req.customer_exempt, 1);
    CHECK_EQ_INT(req.customer_type, LEVY_CUSTOMER_INDIVIDUAL);
    CHECK_EQ_STR(req.ship_to.country, "US");
    CHECK_EQ_STR(req.ship_to.state, "TX");
    CHECK_EQ_STR(req.ship_to.city, "Austin");
    CHECK_EQ_STR(req.ship_to.zip, "78701");
    CHECK_EQ_STR(req.ship_to.line1, "1 Main");
    CHECK_EQ_INT(req.seller.present, 0);
    CHECK_EQ_INT(req.nlines, 2);
    CHECK_EQ_INT(L_[0].amount, 10000);
    CHECK_EQ_INT(L_[0].discount, 50);
    CHECK_EQ_INT(L_[0].qty, 2 * LEVY_TAX_QTY_ONE);
    CHECK_EQ_INT(L_[0].inclusive, 1);
    CHECK_EQ_STR(M_[0].id, "7");
    CHECK_EQ_STR(M_[0].tax_code, "saas");
    CHECK_EQ_INT(L_[1].amount, -310);
    CHECK_EQ_INT(L_[1].qty, LEVY_TAX_QTY_ONE);
    CHECK_EQ_INT((long long)M_[1].idlen, 1);
    CHECK_EQ_STR(M_[1].tax_code, "general");
    CHECK_EQ_INT(req.marketplace, 0); /* absent: the seller's own sale */
    CHECK_EQ_INT(M_[0].marketplace, 1);
    CHECK_EQ_INT(M_[1].marketplace, 0);
end:
    levy_json_doc_free(&doc);
}

/* The stored records of levy.tax's options, read as they are (another type: absent). */
static void t_options(void)
{
    const char *rec = "{\"exempt\":1,\"exemption_expires\":\"2027-01-31\",\"tax_id\":\"\","
                      "\"customer_type\":\"robot\",\"exempt_regions\":[\"US-TX\",5,\"US-CA\"],"
                      "\"certificates\":[{\"id\":\"c1\",\"issued\":\"2026-01-01\",\"regions\":"
                      "[\"US-NY\",null]},{\"id\":\"c2\"},7]}";
    levy_json_doc doc = {0};
    char msg[320];
    CHECK_EQ_INT(levy_json_doc_parse(&doc, rec, strlen(rec), msg, sizeof msg), 0);
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    levy_tax_customer_rec r;
    memset(&r, 0, sizeof r);
    const char *regions[4], *cregions[4];
    levy_tax_certificate certs[4];
    levy_tax_read_customer_rec(&ji.in, &r, regions, 4, certs, 4, cregions, 4);
    CHECK_EQ_INT(ji.top, 0);
    CHECK_EQ_INT(r.found, 1);
    CHECK_EQ_INT(r.exempt, 1); /* Lua's truth: 1 is true */
    CHECK_EQ_INT(r.expires, 20270131);
    CHECK(r.tax_id == NULL);
    CHECK_EQ_INT(r.type, LEVY_CUSTOMER_UNSET);
    CHECK_EQ_INT(r.nregions, 3);
    CHECK_EQ_STR(r.regions[0], "US-TX");
    CHECK(r.regions[1] == NULL);
    CHECK_EQ_INT(r.ncerts, 1); /* c2 has no issue date */
    CHECK_EQ_STR(r.certs[0].id, "c1");
    CHECK_EQ_INT(r.certs[0].issued, 20260101);
    CHECK_EQ_INT(r.certs[0].nregions, 1);
    CHECK_EQ_STR(r.certs[0].regions[0], "US-NY");
end:
    levy_json_doc_free(&doc);
}

/* Which regions a calculation may tax (opts.all_regions, else opts.regions[code] subscribed,
 * tax calculation not off, on or after effective_from) and levy.tax's switches. */
static void t_region_on_options(void)
{
    const char *opts =
        "{\"regions\":{\"US-TX\":{\"subscribed\":true},\"US-CA\":{\"subscribed\":true,"
        "\"tax_calculation\":false},\"EU\":{\"subscribed\":true,\"effective_from\":"
        "\"2026-04-01\"},\"GB\":{\"subscribed\":false},\"AU\":true},\"ca_gst_regime\":"
        "\"simplified\",\"qc_qst_regime\":\"specified\",\"rounding\":\"document\","
        "\"customer_type\":\"individual\"}";
    levy_json_doc doc = {0};
    char msg[320];
    CHECK_EQ_INT(levy_json_doc_parse(&doc, opts, strlen(opts), msg, sizeof msg), 0);
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "US-TX", 20260301), 1);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "US-CA", 20260301), 0);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "EU", 20260331), 0);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "EU", 20260401), 1);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "GB", 20260301), 0);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "AU", 20260301), 0);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "US-NY", 20260301), 0);
    CHECK_EQ_INT(ji.top, 0);
    levy_tax_request req;
    memset(&req, 0, sizeof req);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), 0);
    CHECK_EQ_INT(req.simplified_regime, 1);
    CHECK_EQ_INT(req.qst_specified, 1);
    CHECK_EQ_INT(req.document_rounding, 1);
    CHECK_EQ_INT(req.org_customer_type, LEVY_CUSTOMER_INDIVIDUAL);
    CHECK_EQ_INT(ji.top, 0);
    const char *all = "{\"all_regions\":true,\"ca_gst_regime\":\"special\"}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, all, strlen(all), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(levy_tax_read_region_on(&ji.in, "US-NY", 20260301), 1);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg,
                 "levy.tax.calculate: opts.ca_gst_regime must be \"simplified\" or \"normal\"");
    CHECK_EQ_INT(ji.top, 0);
    /* the QST registration reads the same way: its default word sets nothing, a number or
     * another word is refused naming both words (one reader, read_regime, for both settings) */
    const char *dflt = "{\"ca_gst_regime\":\"normal\",\"qc_qst_regime\":\"regular\"}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, dflt, strlen(dflt), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    memset(&req, 0, sizeof req);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), 0);
    CHECK_EQ_INT(req.simplified_regime, 0);
    CHECK_EQ_INT(req.qst_specified, 0);
    CHECK_EQ_INT(ji.top, 0);
    const char *qbad[] = {"{\"ca_gst_regime\":\"simplified\",\"qc_qst_regime\":\"simplified\"}",
                          "{\"qc_qst_regime\":1}"};
    for (size_t i = 0; i < sizeof qbad / sizeof *qbad; i++) {
        CHECK_EQ_INT(levy_json_doc_parse(&doc, qbad[i], strlen(qbad[i]), msg, sizeof msg), 0);
        levy_json_in_init(&ji, &doc);
        CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), -1);
        CHECK_EQ_STR(msg, "levy.tax.calculate: opts.qc_qst_regime must be \"specified\" or "
                          "\"regular\"");
        CHECK_EQ_INT(ji.top, 0);
    }
    /* the EU threshold (issue 19, lawintl): "yes" sets below_threshold, "no" leaves it, another
     * value is refused naming both words */
    const char *thr = "{\"eu_below_threshold\":\"yes\"}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, thr, strlen(thr), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    memset(&req, 0, sizeof req);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), 0);
    CHECK_EQ_INT(req.below_threshold, 1);
    CHECK_EQ_INT(ji.top, 0);
    const char *thr_no = "{\"eu_below_threshold\":\"no\"}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, thr_no, strlen(thr_no), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    memset(&req, 0, sizeof req);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), 0);
    CHECK_EQ_INT(req.below_threshold, 0);
    const char *thr_bad = "{\"eu_below_threshold\":true}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, thr_bad, strlen(thr_bad), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(levy_tax_read_options(&ji.in, &req, msg, sizeof msg), -1);
    CHECK_EQ_STR(msg, "levy.tax.calculate: opts.eu_below_threshold must be \"yes\" or \"no\"");
    CHECK_EQ_INT(ji.top, 0);
    /* all of them at once: a switch levy does not know refuses before the records are read */
    static levy_tax_opts_buf ob;
    memset(&req, 0, sizeof req);
    const char *bad = "{\"ca_gst_regime\":\"special\",\"tax_id_registry\":{\"status\":\"x\"}}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, bad, strlen(bad), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(levy_tax_read_opts(&ji.in, &req, &ob, msg, sizeof msg), -1);
    CHECK(req.tax_id_registry == NULL);
    const char *good = "{\"rounding\":\"document\",\"tax_id_registry\":{\"status\":"
                       "\"registered\"},\"seller\":{\"country\":\"FR\"}}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, good, strlen(good), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    CHECK_EQ_INT(levy_tax_read_opts(&ji.in, &req, &ob, msg, sizeof msg), 0);
    CHECK_EQ_INT(req.document_rounding, 1);
    CHECK(req.tax_id_registry == &ob.reg);
    CHECK_EQ_STR(ob.reg.status, "registered");
    CHECK_EQ_STR(req.seller.country, "FR");
    CHECK_EQ_INT(ji.top, 0);
end:
    levy_json_doc_free(&doc);
}

/* A rule's fault raised: back to the test with the message. */
static jmp_buf raised_at;
static char raised[512];
static void raise_here(void *ud, const char *msg)
{
    (void)ud;
    snprintf(raised, sizeof raised, "%s", msg);
    longjmp(raised_at, 1);
}

static void read_notes(levy_json_in *ji, levy_tax_decision *d, const char *file)
{
    if (setjmp(raised_at) == 0)
        levy_tax_read_ctx_notes(&ji->in, d, file, raise_here, NULL);
}

/* ctx.notes a rule's calculate(ctx) left (issue 19), copied into the decision; what a rule
 * gets wrong raised with its message (the texts levy raised from the binding before). */
static void t_ctx_notes(void)
{
    static const struct {
        const char *ctx, *raised;
        int n;
    } cases[] = {
        {"{\"lines\":[]}", NULL, 0},
        {"{\"notes\":[{\"code\":\"local_tax_uncertain\",\"message\":\"partly in Chicago\"},"
         "{\"code\":\"local_tax_uncertain\",\"message\":\"partly in Chicago\"},{\"code\":\"b\","
         "\"message\":\"two\",\"x\":1}]}",
         NULL, 2},
        {"{\"notes\":[]}", NULL, 0},
        {"{\"notes\":\"x\"}", "us/il.lua: calculate(ctx): ctx.notes must be a plain table", 0},
        {"{\"notes\":[{\"code\":\"a\",\"message\":\"m\"},7]}",
         "calculate(ctx): ctx.notes[2] must be a table", 0},
        {"{\"notes\":[{\"code\":\"Bad-Code\",\"message\":\"m\"}]}",
         "calculate(ctx): ctx.notes[1] needs code ([a-z0-9_], at most 47 bytes) and message (a "
         "string); at most 4 notes",
         0},
        {"{\"notes\":[{\"code\":\"a\",\"message\":5}]}",
         "calculate(ctx): ctx.notes[1] needs code ([a-z0-9_], at most 47 bytes) and message (a "
         "string); at most 4 notes",
         0},
        {"{\"notes\":[{\"code\":\"a\",\"message\":\"1\"},{\"code\":\"b\",\"message\":\"2\"},"
         "{\"code\":\"c\",\"message\":\"3\"},{\"code\":\"d\",\"message\":\"4\"},{\"code\":\"e\","
         "\"message\":\"5\"}]}",
         "calculate(ctx): ctx.notes[5] needs code ([a-z0-9_], at most 47 bytes) and message (a "
         "string); at most 4 notes",
         0},
    };
    levy_json_doc doc = {0};
    static levy_tax_decision d;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char msg[320];
        CHECK_EQ_INT(levy_json_doc_parse(&doc, cases[k].ctx, strlen(cases[k].ctx), msg, sizeof msg),
                     0);
        levy_json_in ji;
        levy_json_in_init(&ji, &doc);
        memset(&d, 0, sizeof d);
        raised[0] = '\0';
        read_notes(&ji, &d, k == 3 ? "us/il.lua" : NULL);
        if (strcmp(raised, cases[k].raised ? cases[k].raised : "") != 0)
            fprintf(stderr, "  case %zu: %s\n", k, raised);
        CHECK_EQ_STR(raised, cases[k].raised ? cases[k].raised : "");
        if (cases[k].raised)
            continue;
        CHECK_EQ_INT(ji.top, 0);
        CHECK_EQ_INT(d.nrule_notes, cases[k].n);
        if (k == 1) { /* the same note twice kept once */
            CHECK_EQ_STR(d.rule_note[0].code, "local_tax_uncertain");
            CHECK_EQ_STR(d.rule_note[0].message, "partly in Chicago");
            CHECK_EQ_STR(d.rule_note[1].code, "b");
        }
    }
end:
    levy_json_doc_free(&doc);
}

/* levy.tax's options around a request (plugins/api/calc.lua build_opts): the stored record of
 * the request's customer (customers[id]: an integer id by its text) and the registry's answer;
 * the settings address as the seller of a request without ship_from, a bad one ignored. */
static void t_opts_records(void)
{
    const char *opts =
        "{\"customers\":{\"12345\":{\"exempt\":true,\"exempt_regions\":[\"US-TX\"],\"tax_id\":"
        "\"DE123\"},\"c2\":7},\"tax_id_registry\":{\"number\":\"DE123\",\"status\":"
        "\"not_registered\"},\"seller\":{\"country\":\"us\",\"state\":\"tx\",\"zip_code\":"
        "\"78701\",\"city\":\"Austin\"}}";
    levy_json_doc doc = {0};
    char msg[320];
    CHECK_EQ_INT(levy_json_doc_parse(&doc, opts, strlen(opts), msg, sizeof msg), 0);
    levy_json_in ji;
    levy_json_in_init(&ji, &doc);
    static levy_tax_opts_buf ob;
    levy_tax_request req;
    memset(&req, 0, sizeof req);
    req.customer_id = "12345";
    levy_tax_read_opts_records(&ji.in, &req, &ob);
    CHECK_EQ_INT(ji.top, 0);
    CHECK_EQ_INT(req.stored.found, 1);
    CHECK_EQ_INT(req.stored.exempt, 1);
    CHECK_EQ_INT(req.stored.nregions, 1);
    CHECK_EQ_STR(req.stored.regions[0], "US-TX");
    CHECK_EQ_STR(req.stored.tax_id, "DE123");
    CHECK(req.tax_id_registry == &ob.reg);
    CHECK_EQ_STR(ob.reg.number, "DE123");
    memset(&req, 0, sizeof req); /* a record of another type, no customer: as absent */
    req.customer_id = "c2";
    levy_tax_read_opts_records(&ji.in, &req, &ob);
    CHECK_EQ_INT(req.stored.found, 0);
    memset(&req, 0, sizeof req);
    levy_tax_read_opts_records(&ji.in, &req, &ob);
    CHECK_EQ_INT(req.stored.found, 0);
    CHECK(req.tax_id_registry == &ob.reg);
    CHECK_EQ_INT(ji.top, 0);
    /* the seller: the settings address when the request names none */
    levy_tax_read_opts_seller(&ji.in, &req);
    CHECK_EQ_INT(ji.top, 0);
    CHECK_EQ_INT(req.seller.present, 1);
    CHECK_EQ_STR(req.seller.country, "US");
    CHECK_EQ_STR(req.seller.state, "TX");
    CHECK_EQ_STR(req.seller.zip, "78701");
    strcpy(req.seller.country, "FR"); /* a ship_from read: kept */
    levy_tax_read_opts_seller(&ji.in, &req);
    CHECK_EQ_STR(req.seller.country, "FR");
    const char *bad = "{\"seller\":{\"country\":\"US\",\"state\":\"ZZ\"}}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, bad, strlen(bad), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    memset(&req, 0, sizeof req);
    levy_tax_read_opts_seller(&ji.in, &req);
    CHECK_EQ_INT(req.seller.present, 0);
    const char *none = "{\"seller\":\"US\"}";
    CHECK_EQ_INT(levy_json_doc_parse(&doc, none, strlen(none), msg, sizeof msg), 0);
    levy_json_in_init(&ji, &doc);
    memset(&req, 0, sizeof req);
    levy_tax_read_opts_seller(&ji.in, &req);
    CHECK_EQ_INT(req.seller.present, 0);
    CHECK_EQ_INT(ji.top, 0);
end:
    levy_json_doc_free(&doc);
}

/* levy.tax.parse's view of a request (what plugins/api's build_opts reads), written as JSON:
 * the strings only, customer and ship_to only when objects, lines without a string
 * product_id left out, nothing else of the body. */
static int view_write(levy_tax_out *o, void *doc) { return levy_tax_request_view_write(o, doc); }

static void t_view(void)
{
    static const struct {
        const char *body, *view;
    } v[] = {
        {"{\"customer\":{\"id\":\"c1\",\"tax_id\":5,\"x\":\"y\"},\"ship_to\":[],"
         "\"lines\":[{\"product_id\":\"p1\"},{\"x\":1},7,{\"product_id\":\"p\\u00e9\"}],"
         "\"currency\":\"USD\"}",
         "{\"customer\":{\"id\":\"c1\"},\"lines\":[{\"product_id\":\"p1\"},"
         "{\"product_id\":\"p\u00e9\"}]}"},
        {"{\"ship_to\":{\"country\":\"US\",\"state\":\"TX\"},\"customer\":{\"tax_id\":\"DE1\"}}",
         "{\"customer\":{\"tax_id\":\"DE1\"},\"ship_to\":{\"country\":\"US\"}}"},
        {"{\"lines\":{}}", "{}"},
        {"{\"lines\":[{\"x\":1},{\"product_id\":2}],\"ship_to\":{}}", "{\"ship_to\":{}}"},
        {"{\"lines\":[{\"x\":1},{\"product_id\":\"a\"}]}", "{\"lines\":[{\"product_id\":\"a\"}]}"},
        {"{}", "{}"},
    };
    levy_json_doc doc;
    memset(&doc, 0, sizeof doc);
    levy_buf b = {0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char msg[320];
        CHECK(levy_json_doc_parse(&doc, v[i].body, strlen(v[i].body), msg, sizeof msg) == 0);
        b.len = 0;
        CHECK(levy_tax_json_write(&b, view_write, &doc) == 0);
        if (strcmp(b.data, v[i].view) != 0)
            fprintf(stderr, "  view %zu: %s\n", i, b.data);
        CHECK(strcmp(b.data, v[i].view) == 0);
    }
end:
    levy_json_doc_free(&doc);
    levy_buf_free(&b);
}

static const levy_test tests[] = {{"parse_errors", t_parse_errors},
                                  {"values", t_values},
                                  {"block", t_block},
                                  {"bad_requests", t_bad_requests},
                                  {"good_request", t_good_request},
                                  {"options", t_options},
                                  {"opts_records", t_opts_records},
                                  {"ctx_notes", t_ctx_notes},
                                  {"region_on_options", t_region_on_options},
                                  {"view", t_view},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
