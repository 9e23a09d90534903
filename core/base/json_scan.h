#ifndef LEVY_JSON_SCAN_H
#define LEVY_JSON_SCAN_H
/* JSON text primitives shared by levy.json (core/lua/bind_json.c) and C callers:
 * number-literal grammar, integer conversion, string escaping/unescaping, a growable buffer
 * and a validator. levy.json is a complete C codec over these (it does not go through
 * lua-cjson, whose Debian build decodes every number as a float): non-integer numbers
 * travel in Lua as "JSON number literals" = strings "\0<literal>" (e.g. "\0" "1.5").
 * Never includes lua.h. */
#include <stddef.h>
#include <stdint.h>

#include "levy.h"

#define LEVY_JSON_MAX_DEPTH 200

/* Growable byte buffer (NUL-terminated after every append). Zero-init is an empty buffer. */
typedef struct levy_buf {
    char *data;
    size_t len, cap;
    int oom; /* sticky: set when an allocation failed; later appends are no-ops */
} levy_buf;
void levy_buf_put(levy_buf *b, const void *p, size_t n);
void levy_buf_puts(levy_buf *b, const char *s);
void levy_buf_putc(levy_buf *b, char c);
void levy_buf_free(levy_buf *b);

/* Length of the JSON number token starting at s (grammar of RFC 8259:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), 0 when s does not start with one. */
size_t levy_json_number_len(const char *s, size_t len);
/* 1 when s[0..len) is exactly one JSON number literal. */
int levy_json_number_valid(const char *s, size_t len);
/* 1 when the literal is an integer (no '.', no exponent) that fits int64; *out = value. */
int levy_json_int_literal(const char *s, size_t len, int64_t *out);

/* UTF-8 (RFC 3629): length (1..4) of the well-formed sequence at s[0], or 0 when s does not
 * start with one (overlong forms, surrogates U+D800..U+DFFF, > U+10FFFF, truncated, stray
 * continuation bytes); then *bad (may be NULL) = length of the maximal ill-formed subpart
 * (≥ 1), i.e. how many bytes one U+FFFD replaces. */
size_t levy_utf8_seq(const char *s, size_t len, size_t *bad);
/* 1 when s[0..len) is entirely well-formed UTF-8. */
int levy_utf8_valid(const char *s, size_t len);

/* Appends s[0..len) as a quoted JSON string ("/" is not escaped; control characters as
 * \uXXXX; well-formed UTF-8 passed through; every ill-formed UTF-8 subpart replaced by
 * U+FFFD, so the output is always valid UTF-8). */
void levy_json_escape(levy_buf *b, const char *s, size_t len);
/* The number of leading bytes of s that a JSON string holds as themselves (printable ASCII
 * but '"' and '\\'): no escape, no UTF-8 check needed. */
size_t levy_json_plain_len(const char *s, size_t len);
/* Decodes the string token starting at the opening quote s[0]=='"'. Appends the unescaped
 * bytes to out (\uXXXX incl. surrogate pairs → UTF-8), *used = bytes consumed including both
 * quotes. Rejects raw control characters, ill-formed UTF-8 (levy_utf8_seq), bad escapes,
 * lone surrogates, unterminated strings, and (reject_nul) any NUL (raw or \u0000), so the
 * output is always valid UTF-8. LEVY_EINVAL "invalid_json". */
int levy_json_unescape(const char *s, size_t len, int reject_nul, levy_buf *out, size_t *used,
                       levy_err *err);

/* Validates a complete JSON text (one value, surrounding whitespace allowed, depth ≤ max_depth).
 * LEVY_EINVAL "invalid_json" with "… at offset N" in the message. */
int levy_json_validate(const char *s, size_t len, int max_depth, levy_err *err);

#endif
