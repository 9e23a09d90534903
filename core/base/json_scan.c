/* JSON text primitives. See json_scan.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

static int buf_grow(levy_buf *b, size_t extra)
{
    if (b->oom)
        return 0;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->data = p;
    b->cap = cap;
    return 1;
}

void levy_buf_put(levy_buf *b, const void *p, size_t n)
{
    if (!buf_grow(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void levy_buf_puts(levy_buf *b, const char *s) { levy_buf_put(b, s, strlen(s)); }

void levy_buf_putc(levy_buf *b, char c)
{
    if (b->len + 1 < b->cap && !b->oom) {
        b->data[b->len++] = c;
        b->data[b->len] = 0;
        return;
    }
    levy_buf_put(b, &c, 1);
}

void levy_buf_free(levy_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

size_t levy_json_number_len(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len)
        return 0;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < len && isdig(s[i]))
            i++;
    else
        return 0;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !isdig(s[i]))
            return 0;
        while (i < len && isdig(s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !isdig(s[i]))
            return 0;
        while (i < len && isdig(s[i]))
            i++;
    }
    return i;
}

int levy_json_number_valid(const char *s, size_t len)
{
    return len > 0 && levy_json_number_len(s, len) == len;
}

int levy_json_int_literal(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (!levy_json_number_valid(s, len))
        return 0;
    if (s[0] == '-')
        neg = 1, i = 1;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (!isdig(s[i]))
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return 0;
        *out = (int64_t)v;
    }
    return 1;
}

size_t levy_utf8_seq(const char *str, size_t len, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t need, dummy;
    unsigned lo = 0x80, hi = 0xbf, c;
    if (!bad)
        bad = &dummy;
    *bad = 1;
    if (len == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 1;
    else if (c == 0xe0)
        need = 2, lo = 0xa0; /* overlong below U+0800 */
    else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
        need = 2;
    else if (c == 0xed)
        need = 2, hi = 0x9f; /* U+D800..U+DFFF: surrogates */
    else if (c == 0xf0)
        need = 3, lo = 0x90; /* overlong below U+10000 */
    else if (c >= 0xf1 && c <= 0xf3)
        need = 3;
    else if (c == 0xf4)
        need = 3, hi = 0x8f; /* above U+10FFFF */
    else
        return 0; /* 0x80..0xc1 (continuation or overlong lead), 0xf5..0xff */
    for (size_t k = 1; k <= need; k++) {
        unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xbf;
        if (k >= len || s[k] < l || s[k] > h) {
            *bad = k;
            return 0;
        }
    }
    return need + 1;
}

int levy_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = levy_utf8_seq(s + i, len - i, NULL);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

/* 1 for a byte written as itself inside a JSON string: printable ASCII but '"' and '\\'. */
static const unsigned char json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

size_t levy_json_plain_len(const char *s, size_t len)
{
    size_t i = 0;
    for (uint64_t x, m; i + 8 <= len; i += 8) {
        memcpy(&x, s + i, 8);
        if ((m = levy_json_word_special(x)) != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* the lowest flagged byte is exact (a borrow or carry of the tests only moves up
             * from a byte that is itself special): the first byte of the word in memory
             * (issue 21, h-json21: no byte loop to find where a key or value ends) */
            return i + (size_t)(__builtin_ctzll(m) >> 3);
#else
            break;
#endif
        }
    }
    while (i < len && json_plain[(unsigned char)s[i]])
        i++;
    return i;
}

void levy_json_escape(levy_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (levy_json_put_plain(b, s, len)) /* json_scan.h: the common case, whole words */
        return;
    if (!buf_grow(b, len + 2))
        return;
    /* the common case (issue 21: ~10 % of a /v1/calculate answer's instructions went here, one
     * test per byte): a string of plain bytes is copied in one piece */
    char *d = b->data + b->len;
    size_t i = 0; /* copied while scanned: no memcpy call for a string of a few bytes */
    /* eight bytes at a time while none needs escaping (issue 21, h-calc21: a byte per table
     * test was ~7 instructions per byte of an answer's strings) */
    for (uint64_t x; i + 8 <= len && (memcpy(&x, s + i, 8), !levy_json_word_special(x)); i += 8)
        memcpy(d + 1 + i, &x, 8);
    while (i < len && json_plain[(unsigned char)s[i]]) {
        d[1 + i] = s[i];
        i++;
    }
    if (i == len) {
        d[0] = '"';
        d[len + 1] = '"';
        d[len + 2] = '\0';
        b->len += len + 2;
        return;
    }
    levy_buf_putc(b, '"');
    size_t run = 0;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c >= 0x80) {
            size_t bad, n = levy_utf8_seq(s + i, len - i, &bad);
            if (n) {
                i += n - 1;
                continue;
            }
            /* never emit invalid UTF-8: each maximal ill-formed subpart becomes U+FFFD */
            levy_buf_put(b, s + run, i - run);
            levy_buf_put(b, "\xef\xbf\xbd", 3);
            i += bad - 1;
            run = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        levy_buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4], u[5] = hex[c & 15],
            u[6] = 0;
            esc = u;
        }
        levy_buf_puts(b, esc);
    }
    levy_buf_put(b, s + run, len - run);
    levy_buf_putc(b, '"');
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const char *s, size_t avail, unsigned *out)
{
    if (avail < 4)
        return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return 0;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 1;
}

static void put_utf8(levy_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    levy_buf_put(b, u, n);
}

int levy_json_unescape(const char *s, size_t len, int reject_nul, levy_buf *out, size_t *used,
                       levy_err *err)
{
    size_t i = 1, run;
    if (len == 0 || s[0] != '"')
        return levy_err_set(err, LEVY_EINVAL, "invalid_json", "expected a string");
    run = i;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            levy_buf_put(out, s + run, i - run);
            *used = i + 1;
            return LEVY_OK;
        }
        if (c < 0x20) {
            if (c == 0 && !reject_nul) {
                i++;
                continue;
            }
            return levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                "control character in string at offset %zu", i);
        }
        if (c >= 0x80) {
            size_t n = levy_utf8_seq(s + i, len - i, NULL);
            if (!n)
                return levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                    "invalid UTF-8 in string at offset %zu", i);
            i += n;
            continue;
        }
        if (c != '\\') {
            i++;
            continue;
        }
        levy_buf_put(out, s + run, i - run);
        if (i + 1 >= len)
            break;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"':
            levy_buf_putc(out, '"');
            break;
        case '\\':
            levy_buf_putc(out, '\\');
            break;
        case '/':
            levy_buf_putc(out, '/');
            break;
        case 'b':
            levy_buf_putc(out, '\b');
            break;
        case 'f':
            levy_buf_putc(out, '\f');
            break;
        case 'n':
            levy_buf_putc(out, '\n');
            break;
        case 'r':
            levy_buf_putc(out, '\r');
            break;
        case 't':
            levy_buf_putc(out, '\t');
            break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(s + i, len - i, &cp))
                goto bad_escape;
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (i + 6 > len || s[i] != '\\' || s[i + 1] != 'u' ||
                    !hex4(s + i + 2, len - i - 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                        "invalid surrogate pair at offset %zu", i);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                    "lone surrogate at offset %zu", i);
            } else if (cp == 0 && reject_nul) {
                return levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                    "\\u0000 is not accepted in strings (offset %zu)", i);
            }
            put_utf8(out, cp);
            break;
        }
        default:
            goto bad_escape;
        }
        run = i;
    }
    return levy_err_set(err, LEVY_EINVAL, "invalid_json", "unterminated string");
bad_escape:
    return levy_err_set(err, LEVY_EINVAL, "invalid_json", "invalid escape at offset %zu", i);
}

/* Iterative validator: a stack of container kinds bounded by max_depth. */
int levy_json_validate(const char *s, size_t len, int max_depth, levy_err *err)
{
    char stack[LEVY_JSON_MAX_DEPTH + 1];
    int depth = 0, rc = LEVY_OK;
    size_t i = 0;
    levy_buf tmp = {0};
    if (max_depth > LEVY_JSON_MAX_DEPTH)
        max_depth = LEVY_JSON_MAX_DEPTH;
    enum { VALUE, AFTER_VALUE, KEY_OR_END, VALUE_OR_END, KEY } want = VALUE;
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (want == AFTER_VALUE) {
            if (depth == 0) {
                if (i != len)
                    goto bad;
                goto done;
            }
            if (i >= len)
                goto bad;
            if (s[i] == ',') {
                i++;
                want = stack[depth - 1] == '{' ? KEY : VALUE;
                continue;
            }
            if ((s[i] == ']' && stack[depth - 1] == '[') ||
                (s[i] == '}' && stack[depth - 1] == '{')) {
                i++;
                depth--;
                continue;
            }
            goto bad;
        }
        if (i >= len)
            goto bad;
        if (want == KEY_OR_END || want == VALUE_OR_END) {
            if (s[i] == (want == KEY_OR_END ? '}' : ']')) {
                i++;
                depth--;
                want = AFTER_VALUE;
                continue;
            }
            want = want == KEY_OR_END ? KEY : VALUE;
        }
        if (want == KEY) {
            size_t used;
            tmp.len = 0;
            if (s[i] != '"' || levy_json_unescape(s + i, len - i, 0, &tmp, &used, NULL) != LEVY_OK)
                goto bad;
            i += used;
            while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
                i++;
            if (i >= len || s[i] != ':')
                goto bad;
            i++;
            want = VALUE;
            continue;
        }
        /* VALUE */
        char c = s[i];
        if (c == '{' || c == '[') {
            if (depth >= max_depth) {
                rc = levy_err_set(err, LEVY_EINVAL, "invalid_json",
                                  "nesting deeper than %d at offset %zu", max_depth, i);
                goto done;
            }
            stack[depth++] = c;
            i++;
            want = c == '{' ? KEY_OR_END : VALUE_OR_END;
            continue;
        }
        if (c == '"') {
            size_t used;
            tmp.len = 0;
            if (levy_json_unescape(s + i, len - i, 0, &tmp, &used, NULL) != LEVY_OK)
                goto bad;
            i += used;
        } else if (c == 't' && len - i >= 4 && memcmp(s + i, "true", 4) == 0) {
            i += 4;
        } else if (c == 'f' && len - i >= 5 && memcmp(s + i, "false", 5) == 0) {
            i += 5;
        } else if (c == 'n' && len - i >= 4 && memcmp(s + i, "null", 4) == 0) {
            i += 4;
        } else {
            size_t n = levy_json_number_len(s + i, len - i);
            if (!n)
                goto bad;
            i += n;
        }
        want = AFTER_VALUE;
    }
bad:
    rc = levy_err_set(err, LEVY_EINVAL, "invalid_json", "invalid JSON at offset %zu", i);
done:
    levy_buf_free(&tmp);
    return rc;
}
