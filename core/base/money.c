/* Exact money arithmetic. See money.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "money.h"

/* The one ISO 4217 table of the program (core/tax/dec.c and levy.money use it): the currency
 * codes of List One with a numeric minor unit (checked against the 2026-09 list: 165 codes,
 * exponents equal), plus five codes withdrawn since 2021 that older documents still carry
 * (ANG, BGN, CUC, SLL, ZWL). Funds and metals with minor unit "N.A." (XAU, XDR, XXX...) are
 * not currencies an invoice is taxed in and stay unknown.
 * Codes whose exponent is not 2 (everything else known is 2): */
static const struct {
    char code[4];
    signed char exp;
} nondefault[] = {
    {"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0}, {"KMF", 0},
    {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0}, {"VND", 0}, {"VUV", 0},
    {"XAF", 0}, {"XOF", 0}, {"XPF", 0}, {"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3},
    {"LYD", 3}, {"OMR", 3}, {"TND", 3}, {"CLF", 4}, {"UYW", 4},
};
static const char two[][4] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
    "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE",
    "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
    "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK",
    "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG",
    "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU",
    "UZS", "VED", "VES", "WST", "XAD", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
};

int levy_money_exponent(const char *currency)
{
    if (!currency || strlen(currency) != 3)
        return -1;
    char c[4];
    for (int i = 0; i < 3; i++) {
        if (!isalpha((unsigned char)currency[i]))
            return -1;
        c[i] = (char)toupper((unsigned char)currency[i]);
    }
    c[3] = 0;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(nondefault); i++)
        if (memcmp(nondefault[i].code, c, 3) == 0)
            return nondefault[i].exp;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(two); i++)
        if (memcmp(two[i], c, 3) == 0)
            return 2;
    return -1;
}

int levy_round_parse(const char *name)
{
    if (!name || strcmp(name, "half_up") == 0)
        return LEVY_ROUND_HALF_UP;
    if (strcmp(name, "half_even") == 0)
        return LEVY_ROUND_HALF_EVEN;
    if (strcmp(name, "up") == 0)
        return LEVY_ROUND_UP;
    if (strcmp(name, "down") == 0)
        return LEVY_ROUND_DOWN;
    return -1;
}

const char *levy_round_name(levy_round mode)
{
    switch (mode) {
    case LEVY_ROUND_HALF_UP:
        return "half_up";
    case LEVY_ROUND_HALF_EVEN:
        return "half_even";
    case LEVY_ROUND_UP:
        return "up";
    case LEVY_ROUND_DOWN:
        return "down";
    }
    return "?";
}

/* Strict syntax scan: sets the integer part [ip, ip+il) and fraction [fp, fp+fl). */
typedef struct dec_parts {
    int neg;
    const char *ip, *fp;
    size_t il, fl;
} dec_parts;

static int dec_split(const char *s, dec_parts *p)
{
    if (!s)
        return 0;
    memset(p, 0, sizeof *p);
    if (*s == '-') {
        p->neg = 1;
        s++;
    }
    p->ip = s;
    while (*s >= '0' && *s <= '9')
        s++;
    p->il = (size_t)(s - p->ip);
    if (p->il == 0)
        return 0;
    if (*s == '.') {
        s++;
        p->fp = s;
        while (*s >= '0' && *s <= '9')
            s++;
        p->fl = (size_t)(s - p->fp);
        if (p->fl == 0)
            return 0;
    }
    return *s == 0;
}

int levy_decimal_valid(const char *s, int max_scale)
{
    dec_parts p;
    if (!dec_split(s, &p))
        return 0;
    return max_scale < 0 || p.fl <= (size_t)max_scale;
}

/* value × 10^scale as int64 from parts, scale >= fl required unless extra digits are 0. */
static int dec_to_scaled(const dec_parts *p, int scale, int64_t *out, const char *s, levy_err *err)
{
    size_t fl = p->fl;
    while (fl > (size_t)scale) {
        if (p->fp[fl - 1] != '0')
            return levy_err_set(err, LEVY_EINVAL, "bad_decimal",
                                "'%.40s' has more than %d decimal places", s, scale);
        fl--;
    }
    unsigned __int128 v = 0;
    const unsigned __int128 lim = (unsigned __int128)INT64_MAX + 1;
    for (size_t i = 0; i < p->il; i++) {
        v = v * 10 + (unsigned)(p->ip[i] - '0');
        if (v > lim)
            goto range;
    }
    for (int i = 0; i < scale; i++) {
        v = v * 10 + ((size_t)i < fl ? (unsigned)(p->fp[i] - '0') : 0);
        if (v > lim)
            goto range;
    }
    if (!p->neg && v == lim)
        goto range;
    *out = p->neg ? (int64_t)(-(__int128)v) : (int64_t)v;
    return LEVY_OK;
range:
    return levy_err_set(err, LEVY_ERANGE, "overflow", "'%.40s' is too large", s);
}

int levy_money_parse_exp(const char *s, int exponent, int64_t *out, levy_err *err)
{
    dec_parts p;
    if (exponent < 0 || exponent > 18)
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "bad exponent %d", exponent);
    if (!dec_split(s, &p))
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "'%.40s' is not a decimal number",
                            s ? s : "(null)");
    return dec_to_scaled(&p, exponent, out, s, err);
}

int levy_money_parse(const char *s, const char *currency, int64_t *out, levy_err *err)
{
    int e = levy_money_exponent(currency);
    if (e < 0)
        return levy_err_set(err, LEVY_EINVAL, "unknown_currency", "unknown currency '%.8s'",
                            currency ? currency : "(null)");
    return levy_money_parse_exp(s, e, out, err);
}

int levy_money_format_exp(int64_t minor, int exponent, char *buf, size_t cap)
{
    if (exponent < 0 || exponent > 18 || cap < 2)
        return -1;
    char digits[48];
    unsigned __int128 v =
        minor < 0 ? (unsigned __int128)(-(__int128)minor) : (unsigned __int128)minor;
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    while (n <= exponent)
        digits[n++] = '0';
    char tmp[64];
    size_t k = 0;
    if (minor < 0)
        tmp[k++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        tmp[k++] = digits[i];
        if (i == exponent && exponent > 0)
            tmp[k++] = '.';
    }
    if (k + 1 > cap)
        return -1;
    memcpy(buf, tmp, k);
    buf[k] = 0;
    return (int)k;
}

int levy_money_div_round(__int128 num, __int128 den, levy_round mode, int64_t *out, levy_err *err)
{
    if (den == 0)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "division by zero");
    if (den < 0) {
        if (num == ((__int128)1 << 126) * -2 || den == ((__int128)1 << 126) * -2)
            return levy_err_set(err, LEVY_ERANGE, "overflow", "money computation overflows");
        num = -num;
        den = -den;
    }
    int neg = num < 0;
    unsigned __int128 a =
        neg ? (unsigned __int128)0 - (unsigned __int128)num : (unsigned __int128)num;
    unsigned __int128 d = (unsigned __int128)den;
    unsigned __int128 q = a / d, r = a % d;
    int bump = 0;
    if (r) {
        unsigned __int128 twice = r * 2; /* r < d <= 2^127: fits */
        switch (mode) {
        case LEVY_ROUND_HALF_UP:
            bump = twice >= d;
            break;
        case LEVY_ROUND_HALF_EVEN:
            bump = twice > d || (twice == d && (q & 1));
            break;
        case LEVY_ROUND_UP:
            bump = 1;
            break;
        case LEVY_ROUND_DOWN:
            bump = 0;
            break;
        default:
            return levy_err_set(err, LEVY_EINVAL, "invalid", "bad rounding mode");
        }
    }
    q += (unsigned)bump;
    if ((!neg && q > (unsigned __int128)INT64_MAX) || (neg && q > (unsigned __int128)INT64_MAX + 1))
        return levy_err_set(err, LEVY_ERANGE, "overflow", "money computation overflows");
    *out = neg ? (int64_t)(-(__int128)q) : (int64_t)q;
    return LEVY_OK;
}

int levy_money_mul_rate(int64_t amount, levy_rate rate, levy_round mode, int64_t *out,
                        levy_err *err)
{
    return levy_money_div_round((__int128)amount * rate, LEVY_RATE_ONE, mode, out, err);
}

int levy_money_mul_frac(int64_t amount, int64_t num, int64_t den, levy_round mode, int64_t *out,
                        levy_err *err)
{
    return levy_money_div_round((__int128)amount * num, den, mode, out, err);
}

int levy_money_add(int64_t a, int64_t b, int64_t *out, levy_err *err)
{
    if (__builtin_add_overflow(a, b, out))
        return levy_err_set(err, LEVY_ERANGE, "overflow", "amount overflows");
    return LEVY_OK;
}

int levy_money_sub(int64_t a, int64_t b, int64_t *out, levy_err *err)
{
    if (__builtin_sub_overflow(a, b, out))
        return levy_err_set(err, LEVY_ERANGE, "overflow", "amount overflows");
    return LEVY_OK;
}

int levy_rate_parse_percent(const char *s, levy_rate *out, levy_err *err)
{
    return levy_money_parse_exp(s, LEVY_RATE_SCALE - 2, out, err);
}

int levy_rate_parse_fraction(const char *s, levy_rate *out, levy_err *err)
{
    return levy_money_parse_exp(s, LEVY_RATE_SCALE, out, err);
}

int levy_rate_format_percent(levy_rate rate, char *buf, size_t cap)
{
    char tmp[LEVY_MONEY_BUFSZ];
    int n = levy_money_format_exp(rate, LEVY_RATE_SCALE - 2, tmp, sizeof tmp);
    if (n < 0)
        return -1;
    while (tmp[n - 1] == '0')
        tmp[--n] = 0;
    if (tmp[n - 1] == '.')
        tmp[--n] = 0;
    if (strcmp(tmp, "-0") == 0)
        n = (int)strlen(strcpy(tmp, "0"));
    if ((size_t)n + 1 > cap)
        return -1;
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int levy_decimal_parse(const char *s, int max_scale, levy_decimal *out, levy_err *err)
{
    dec_parts p;
    if (!dec_split(s, &p))
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "'%.40s' is not a decimal number",
                            s ? s : "(null)");
    if ((max_scale >= 0 && p.fl > (size_t)max_scale) || p.fl > 18)
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "'%.40s' has too many decimal places",
                            s);
    int rc = dec_to_scaled(&p, (int)p.fl, &out->unscaled, s, err);
    if (rc)
        return rc;
    out->scale = (int)p.fl;
    return LEVY_OK;
}

int levy_decimal_cmp(const char *a, const char *b, int *out, levy_err *err)
{
    dec_parts x, y;
    if (!dec_split(a, &x) || !dec_split(b, &y))
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "not a decimal number");
    /* strip leading zeros of integer parts, trailing zeros of fractions */
    while (x.il > 1 && x.ip[0] == '0')
        x.ip++, x.il--;
    while (y.il > 1 && y.ip[0] == '0')
        y.ip++, y.il--;
    while (x.fl && x.fp[x.fl - 1] == '0')
        x.fl--;
    while (y.fl && y.fp[y.fl - 1] == '0')
        y.fl--;
    int xz = x.il == 1 && x.ip[0] == '0' && x.fl == 0;
    int yz = y.il == 1 && y.ip[0] == '0' && y.fl == 0;
    if (xz)
        x.neg = 0;
    if (yz)
        y.neg = 0;
    if (x.neg != y.neg) {
        *out = x.neg ? -1 : 1;
        return LEVY_OK;
    }
    int mag;
    if (x.il != y.il)
        mag = x.il < y.il ? -1 : 1;
    else {
        int c = memcmp(x.ip, y.ip, x.il);
        if (c == 0) {
            size_t n = x.fl > y.fl ? x.fl : y.fl;
            for (size_t i = 0; i < n && c == 0; i++) {
                char dx = i < x.fl ? x.fp[i] : '0', dy = i < y.fl ? y.fp[i] : '0';
                c = dx - dy;
            }
        }
        mag = c < 0 ? -1 : c > 0;
    }
    *out = x.neg ? -mag : mag;
    return LEVY_OK;
}

int levy_money_percent_of(int64_t amount, const levy_decimal *percent, levy_round mode,
                          int64_t *out, levy_err *err)
{
    if (percent->scale < 0 || percent->scale > 18)
        return levy_err_set(err, LEVY_EINVAL, "bad_decimal", "bad percent scale");
    __int128 den = 100;
    for (int i = 0; i < percent->scale; i++)
        den *= 10;
    /* |amount × unscaled| < 2^126: fits. */
    return levy_money_div_round((__int128)amount * percent->unscaled, den, mode, out, err);
}
