#include <string.h>

#include "clock.h"
#include "dec.h"
#include "money.h"

int levy_tax_dec_parse(const char *s, size_t len, int max_scale, int scale, int allow_neg,
                       int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (len == 0)
        return -1;
    if (s[0] == '-') {
        if (!allow_neg)
            return -1;
        neg = 1;
        i = 1;
    }
    if (i >= len || s[i] < '0' || s[i] > '9')
        return -1;
    int64_t v = 0;
    const int64_t lim = INT64_MAX / 10 / 10;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > lim)
            return -3;
        v = v * 10 + (s[i] - '0');
    }
    int frac = 0;
    if (i < len) {
        if (s[i] != '.')
            return -1;
        i++;
        if (i >= len)
            return -1;
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            if (frac >= max_scale) { /* beyond the scale: only zeros keep the value exact */
                if (s[i] != '0')
                    return -2;
                continue;
            }
            if (v > lim)
                return -3;
            v = v * 10 + (s[i] - '0');
            frac++;
        }
    }
    for (; frac < scale; frac++) {
        if (v > lim)
            return -3;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

int levy_tax_currency_exponent(const char *code)
{
    if (!code || strlen(code) != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return -1;
    if (code[0] == 'U' && code[1] == 'S' && code[2] == 'D')
        return 2; /* hot path */
    /* one table for the whole program: this one used to be a copy that lacked ten codes
     * levy.money knew (XCG, SLL, ZWL, BOV, CHE, CHW, COU, CUC, MXV, USN) */
    return levy_money_exponent(code);
}

/* Two digits at a time from the end of tmp, then copied with the point (issue 21:
 * ~130 amounts and rates per 10-line answer went through a loop of one digit and one test
 * per byte). */
static const char DIGITS2[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                 "31323334353637383940414243444546474849505152535455565758596061"
                                 "62636465666768697071727374757677787980818283848586878889909192"
                                 "939495969798990";

size_t levy_tax_fmt_scaled(char *buf, int64_t v, int scale)
{
    char tmp[48];
    char *e = tmp + sizeof tmp, *p = e;
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, DIGITS2 + 2 * d, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, DIGITS2 + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    while (e - p <= scale) /* at least one digit before the point */
        *--p = '0';
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    /* byte copies: the parts are a few bytes, a memcpy call each cost more */
    const char *dot = scale > 0 ? e - scale : NULL;
    for (; p < e; p++) {
        if (p == dot)
            buf[o++] = '.';
        buf[o++] = *p;
    }
    buf[o] = 0;
    return o;
}

size_t levy_tax_fmt_ratio(char *buf, __int128 num, __int128 den, int min_scale, int max_scale)
{
    size_t o = 0;
    if (num < 0) {
        buf[o++] = '-';
        num = -num; /* |num| < 2^127: callers pass products of int64 values */
    }
    unsigned __int128 q = (unsigned __int128)num / (unsigned __int128)den;
    unsigned __int128 r = (unsigned __int128)num % (unsigned __int128)den;
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(q % 10));
        q /= 10;
    } while (q);
    while (n > 0)
        buf[o++] = tmp[--n];
    size_t dot = o;
    buf[o++] = '.';
    /* long division: r < den, so r * 10 < 10 * den fits for den < 2^123 */
    for (int i = 0; i < max_scale; i++) {
        r *= 10;
        buf[o++] = (char)('0' + (int)(r / (unsigned __int128)den));
        r %= (unsigned __int128)den;
    }
    if (r) {
        buf[o++] = '1'; /* inexact: sticky digit */
    } else {
        while (o > dot + 1 + (size_t)min_scale && buf[o - 1] == '0')
            o--;
        if (o == dot + 1)
            o--; /* no decimals: no '.' */
    }
    buf[o] = 0;
    return o;
}

size_t levy_tax_fmt_percent(char *buf, int64_t rate)
{
    /* percent = rate / 10^6 */
    size_t n = levy_tax_fmt_scaled(buf, rate, 6);
    size_t dot = n - 7;
    while (n > dot + 3 && buf[n - 1] == '0')
        n--;
    buf[n] = 0;
    return n;
}

size_t levy_tax_fmt_fraction(char *buf, int64_t frac)
{
    size_t n = levy_tax_fmt_scaled(buf, frac, 8);
    while (buf[n - 1] == '0')
        n--;
    if (buf[n - 1] == '.')
        n--;
    buf[n] = 0;
    return n;
}

int levy_tax_date_parse(const char *s, size_t len, int32_t *out)
{
    int y, m, d;
    if (!levy_date_parse(s, len, &y, &m, &d))
        return -1;
    *out = y * 10000 + m * 100 + d;
    return 0;
}

void levy_tax_date_fmt(char *buf, int32_t d)
{
    int y = d / 10000, m = d / 100 % 100, dd = d % 100;
    buf[0] = (char)('0' + y / 1000 % 10);
    buf[1] = (char)('0' + y / 100 % 10);
    buf[2] = (char)('0' + y / 10 % 10);
    buf[3] = (char)('0' + y % 10);
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + dd / 10);
    buf[9] = (char)('0' + dd % 10);
    buf[10] = 0;
}
