/* libFuzzer: the engine's decimal parser / formatter and date parser. Round-trip property:
 * a value that parses formats back to a string that parses to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tax/dec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int scale = data[0] % 9;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    int64_t v;
    if (levy_tax_dec_parse(s, len, scale, scale, 1, &v) == 0) {
        char buf[48];
        size_t n = levy_tax_fmt_scaled(buf, v, scale);
        int64_t w;
        if (levy_tax_dec_parse(buf, n, scale, scale, 1, &w) != 0 || w != v)
            abort();
        if (v >= 0 && v <= 100 * 1000000LL && scale == 6) {
            levy_tax_fmt_percent(buf, v * 100 / 100);
        }
    }
    int32_t d;
    if (levy_tax_date_parse(s, len, &d) == 0) {
        char b[11];
        levy_tax_date_fmt(b, d);
        if (memcmp(b, s, 10) != 0)
            abort();
    }
    char code[4] = {0};
    memcpy(code, s, len < 3 ? len : 3);
    (void)levy_tax_currency_exponent(code);
    return 0;
}
