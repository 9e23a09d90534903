#ifndef LEVY_MONEY_H
#define LEVY_MONEY_H
/* Exact money arithmetic: amounts are int64 minor units of a currency (ISO 4217 exponent),
 * rates are int64 fixed-point fractions of one with 8 decimals (levy_rate, 1e-8 of one), and
 * every product goes through a 128-bit intermediate with an explicit rounding mode. No float
 * anywhere. Overflow of int64 → LEVY_ERANGE (code "overflow").
 *
 * Decimal syntax (levy_money_parse, levy_decimal_*): `-?[0-9]+(\.[0-9]+)?` exactly:
 *   accepted  "12.34" "0.5" "-3" "007" "-0.00"
 *   rejected  "" "-" "+1" " 1" "1 " "1e3" ".5" "5." "1.2.3" "1,5" "0x10" "١" (non-ASCII)
 * Scale: at most the currency's exponent; extra decimals are accepted ONLY when they are all
 * zero ("12.340" for USD = 1234, "100.00" for JPY = 100) since the value stays exact;
 * "12.345" for USD → LEVY_EINVAL "bad_decimal". Errors carry code "bad_decimal". */
#include <stdint.h>

#include "levy.h"

/* Rounding modes (of the exact rational result to an integer):
 *   HALF_UP   ties away from zero (default): 2.5→3, -2.5→-3
 *   HALF_EVEN ties to even (banker's):       2.5→2, 3.5→4, -2.5→-2
 *   UP        away from zero:                2.1→3, -2.1→-3
 *   DOWN      toward zero (truncate):        2.9→2, -2.9→-2 */
typedef enum levy_round {
    LEVY_ROUND_HALF_UP = 0,
    LEVY_ROUND_HALF_EVEN = 1,
    LEVY_ROUND_UP = 2,
    LEVY_ROUND_DOWN = 3
} levy_round;

/* Parses "half_up" | "half_even" | "up" | "down"; NULL → HALF_UP. -1 when unknown. */
int levy_round_parse(const char *name);
const char *levy_round_name(levy_round mode);

/* A rate: fraction of one scaled by 10^8 (LEVY_RATE_ONE = 100000000 = 100 %).
 * 9.975 % = 0.09975 = 9975000; 7.25 % = 7250000; 0.048499 = 4849900. */
typedef int64_t levy_rate;
#define LEVY_RATE_SCALE 8
#define LEVY_RATE_ONE INT64_C(100000000)

/* ISO 4217 minor-unit exponent of an alphabetic code (case-insensitive: "usd" ok):
 * 0 (JPY KRW CLP ISK VND XAF XOF XPF UGX PYG RWF KMF GNF BIF DJF VUV...), 2 (most),
 * 3 (KWD BHD OMR JOD TND LYD IQD), 4 (CLF UYW). Returns -1 for unknown codes. */
int levy_money_exponent(const char *currency);

/* Strict decimal → minor units at `exponent` decimals (see syntax above). */
int levy_money_parse_exp(const char *s, int exponent, int64_t *out, levy_err *err);
/* Same with the currency's exponent; unknown currency → LEVY_EINVAL "unknown_currency". */
int levy_money_parse(const char *s, const char *currency, int64_t *out, levy_err *err);

/* Formats minor units with `exponent` decimals: 1234,2 → "12.34"; -5,2 → "-0.05"; 7,0 → "7".
 * buf needs at most 24 bytes (LEVY_MONEY_BUFSZ). Returns the length, or -1 when cap is too
 * small or exponent is outside 0..18. */
#define LEVY_MONEY_BUFSZ 32
int levy_money_format_exp(int64_t minor, int exponent, char *buf, size_t cap);

/* q = round(num / den) with the given mode, exact, 128-bit. den != 0 (LEVY_EINVAL), result
 * must fit int64 (LEVY_ERANGE). Building block of every product below. */
int levy_money_div_round(__int128 num, __int128 den, levy_round mode, int64_t *out, levy_err *err);

/* amount × rate / 10^8, rounded. */
int levy_money_mul_rate(int64_t amount, levy_rate rate, levy_round mode, int64_t *out,
                        levy_err *err);
/* amount × num / den, rounded (e.g. taxable fraction 80/100, allocations). */
int levy_money_mul_frac(int64_t amount, int64_t num, int64_t den, levy_round mode, int64_t *out,
                        levy_err *err);
/* Checked a + b / a - b (LEVY_ERANGE on overflow). */
int levy_money_add(int64_t a, int64_t b, int64_t *out, levy_err *err);
int levy_money_sub(int64_t a, int64_t b, int64_t *out, levy_err *err);

/* Percent strings ↔ levy_rate: "9.975" (percent) → 9975000; at most 6 decimals
 * (LEVY_EINVAL "bad_decimal" otherwise, trailing zeros beyond 6 allowed); negative allowed. */
int levy_rate_parse_percent(const char *s, levy_rate *out, levy_err *err);
/* Fraction strings ↔ levy_rate: "0.09975" → 9975000; at most 8 decimals. */
int levy_rate_parse_fraction(const char *s, levy_rate *out, levy_err *err);
/* levy_rate → shortest percent string: 9975000 → "9.975", 7250000 → "7.25", 0 → "0". */
int levy_rate_format_percent(levy_rate rate, char *buf, size_t cap);

/* A general decimal: value = unscaled / 10^scale, scale 0..18, parsed with the strict
 * syntax. Trailing fraction zeros are kept in scale ("1.50" → 150, 2). max_scale < 0: no
 * limit other than int64 (LEVY_ERANGE when it does not fit). */
typedef struct levy_decimal {
    int64_t unscaled;
    int scale;
} levy_decimal;
int levy_decimal_parse(const char *s, int max_scale, levy_decimal *out, levy_err *err);
/* 1 when s is a strict decimal with at most max_scale decimals (max_scale < 0: any scale,
 * any length — checked syntactically, never overflows). */
int levy_decimal_valid(const char *s, int max_scale);
/* Compares two strict decimal strings of any length/scale: *out = -1/0/1. */
int levy_decimal_cmp(const char *a, const char *b, int *out, levy_err *err);

/* round(amount × percent / 100) where percent is a decimal (any scale ≤ 18 fitting int64):
 * levy.money.percent_of. */
int levy_money_percent_of(int64_t amount, const levy_decimal *percent, levy_round mode,
                          int64_t *out, levy_err *err);

#endif
