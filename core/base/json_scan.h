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
#include <string.h>

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
/* Nonzero when one of the eight bytes of x is not held as itself in a JSON string: below 0x20,
 * 0x7f or above, '"' or '\\' (the word-at-a-time tests of "Bit Twiddling Hacks": a byte below n;
 * above n, exact for n < 128; a zero byte of x ^ c). levy_json_word4_special: the same for the
 * four bytes of a 32-bit x. */
#define LEVY_JSON_ONES UINT64_C(0x0101010101010101)
static inline uint64_t levy_json_word_special(uint64_t x)
{
    const uint64_t ones = LEVY_JSON_ONES, high = ones * 0x80;
    uint64_t below = (x - ones * 0x20) & ~x;
    uint64_t above = (x + ones * (127 - 0x7e)) | x;
    uint64_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint64_t eq = ((q - ones) & ~q) | ((bs - ones) & ~bs);
    return (below | above | eq) & high;
}
static inline uint32_t levy_json_word4_special(uint32_t x)
{
    const uint32_t ones = 0x01010101u, high = ones * 0x80;
    uint32_t below = (x - ones * 0x20) & ~x;
    uint32_t above = (x + ones * (127 - 0x7e)) | x;
    uint32_t q = x ^ (ones * '"'), bs = x ^ (ones * '\\');
    uint32_t eq = ((q - ones) & ~q) | ((bs - ones) & ~bs);
    return (below | above | eq) & high;
}

/* The fast path of levy_json_escape (issue 21, h-json21: an answer's ~230 strings are nearly
 * all plain): when every byte of s[0..len) is held as itself and b has room, appends the
 * quoted string and returns 1; else writes nothing and returns 0 (the caller escapes). Whole
 * words, the last one overlapping the one before (no byte loop for a tail): a string of 8 or
 * more bytes in 8-byte words, of 4 to 7 in two overlapping 4-byte words, shorter ones byte by
 * byte. */
static inline int levy_json_put_plain(levy_buf *b, const char *s, size_t len)
{
    if (b->oom || len + 3 > b->cap - b->len) /* the quotes and the NUL */
        return 0;
    char *d = b->data + b->len + 1;
    if (len >= 8) {
        uint64_t x, last;
        memcpy(&last, s + len - 8, 8);
        if (levy_json_word_special(last))
            return 0;
        for (size_t i = 0; i + 8 < len; i += 8) {
            memcpy(&x, s + i, 8);
            if (levy_json_word_special(x))
                return 0;
            memcpy(d + i, &x, 8);
        }
        memcpy(d + len - 8, &last, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        if (levy_json_word4_special(x) || levy_json_word4_special(y))
            return 0;
        memcpy(d, &x, 4);
        memcpy(d + len - 4, &y, 4);
    } else {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                return 0;
            d[i] = (char)c;
        }
    }
    d[-1] = '"';
    d[len] = '"';
    d[len + 1] = '\0';
    b->len += len + 2;
    return 1;
}

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
