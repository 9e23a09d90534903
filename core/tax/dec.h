#ifndef LEVY_TAX_DEC_H
#define LEVY_TAX_DEC_H
/* Exact decimal helpers private to the tax area: strict decimal strings <-> scaled int64,
 * ISO 4217 exponents, dates as yyyymmdd integers, percent formatting of 10^-8 rates.
 * No floating point anywhere. (core/base/money.h, when present, is the project-wide API; these
 * are the engine's own fast paths.) */
#include <stddef.h>
#include <stdint.h>

#define LEVY_TAX_RATE_ONE 100000000LL /* rates and fractions are int64 scaled by 10^8 */
#define LEVY_TAX_QTY_ONE 1000000LL    /* quantities are int64 scaled by 10^6 */
/* Ranges the engine accepts (docs/rules.md section 5 "Ranges"; the bounds every 128-bit
 * intermediate of core/tax/engine.c is proven against follow from them):
 *   |amount|, discount, |amount - discount| and the unit price |amount - discount| / quantity
 *   are at most LEVY_TAX_MAX_MINOR minor units of the currency;
 *   0 < quantity <= LEVY_TAX_MAX_QTY (scaled by 10^6: 0.000001 .. 1,000,000,000). */
#define LEVY_TAX_MAX_MINOR 1000000000000LL         /* |amount| limit in minor units (10^12) */
#define LEVY_TAX_MAX_QTY 1000000000000000LL        /* quantity limit scaled by 10^6 (10^9 units) */
#define LEVY_TAX_MAX_RATE (10 * LEVY_TAX_RATE_ONE) /* 1000 %: the largest rate (10^-8 scale) */

/* Parses a strict decimal "-?[0-9]+(\.[0-9]+)?" of length len (no spaces, no '+', no
 * exponent) with at most max_scale significant fractional digits (further digits must be
 * zeros: "12.340" is 12.34, as in core/base/money.h), and returns value * 10^scale in *out
 * (scale >= max_scale). allow_neg = 0 rejects a leading '-'. Returns 0, or -1 on bad syntax,
 * -2 on too many decimals, -3 on overflow (|value * 10^scale| > 9.2e18 / 10). */
int levy_tax_dec_parse(const char *s, size_t len, int max_scale, int scale, int allow_neg,
                       int64_t *out);

/* Minor-unit exponent of an ISO 4217 code (upper case), or -1 if unknown. The table is
 * core/base/money.c's (levy_money_exponent), so levy.tax and levy.money know the same codes. */
int levy_tax_currency_exponent(const char *code);

/* Formats v (scaled by 10^scale) with exactly `scale` decimals; returns length. buf >= 32. */
size_t levy_tax_fmt_scaled(char *buf, int64_t v, int scale);
/* Formats the exact quotient num / den (den > 0) as a decimal string with at least
 * min_scale and at most max_scale decimals (trailing zeros beyond min_scale removed, no
 * trailing '.': 5000 with min_scale 0 is "5000"). When the quotient has more than max_scale
 * decimals, the digits are truncated toward zero at max_scale and a final '1' is appended
 * (max_scale + 1 decimals), so the string lies strictly between the two neighbours of the
 * exact value at max_scale decimals and compares with any decimal of at most max_scale
 * decimals exactly as the exact value does. No narrowing: every |num| / den fits.
 * buf >= 96 bytes; max_scale <= 30. Returns the length. */
size_t levy_tax_fmt_ratio(char *buf, __int128 num, __int128 den, int min_scale, int max_scale);
/* Formats a 10^-8 rate as percent with at least 2 and at most 6 decimals ("6.00", "9.975"). */
size_t levy_tax_fmt_percent(char *buf, int64_t rate);
/* Formats a 10^-8 fraction trimmed ("1", "0.8"). */
size_t levy_tax_fmt_fraction(char *buf, int64_t frac);

/* "YYYY-MM-DD" (exactly, valid calendar date) -> yyyymmdd; returns 0 or -1. */
int levy_tax_date_parse(const char *s, size_t len, int32_t *out);
/* yyyymmdd -> "YYYY-MM-DD" (buf >= 11). */
void levy_tax_date_fmt(char *buf, int32_t d);

/* Rounds num / den half away from zero (den > 0). The caller proves that the quotient fits
 * int64 (engine.c: from the ranges above); levy_tax_round_div_checked checks it instead. */
static inline int64_t levy_tax_round_div(__int128 num, __int128 den)
{
    if (num >= 0)
        return (int64_t)((num + den / 2) / den);
    return -(int64_t)((-num + den / 2) / den);
}
/* Rounds num / den half away from zero (den > 0) into *out; returns 0, or -1 (and leaves
 * *out unchanged) when the result does not fit int64. */
static inline int levy_tax_round_div_checked(__int128 num, __int128 den, int64_t *out)
{
    __int128 q = num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
    if (q > INT64_MAX || q < INT64_MIN)
        return -1;
    *out = (int64_t)q;
    return 0;
}
/* floor(num / den), den > 0 */
static inline __int128 levy_tax_floor_div(__int128 num, __int128 den)
{
    __int128 q = num / den;
    if ((num % den) != 0 && num < 0)
        q--;
    return q;
}

#endif
