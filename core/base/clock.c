/* Wall clock with an injectable source and pure UTC calendar arithmetic. See clock.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static int64_t (*clock_fn)(void *);
static void *clock_ud;

int64_t levy_clock_now_ms(void)
{
    if (clock_fn)
        return clock_fn(clock_ud);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void levy_clock_set(int64_t (*fn)(void *ud), void *ud)
{
    clock_fn = fn;
    clock_ud = ud;
}

/* http://howardhinnant.github.io/date_algorithms.html */
int64_t levy_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void levy_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int levy_date_is_valid(int64_t y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < -9999 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#define MS_MIN (INT64_C(-62167219200000)) /* 0000-01-01T00:00:00Z */
#define MS_MAX (INT64_C(253402300799999)) /* 9999-12-31T23:59:59.999Z */

static int split(int64_t ms, int64_t *y, int *mo, int *d, int *h, int *mi, int *s, int *frac)
{
    if (ms < MS_MIN || ms > MS_MAX)
        return -1;
    int64_t days = floordiv(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    levy_civil_from_days(days, y, mo, d);
    *h = (int)(rem / 3600000);
    *mi = (int)(rem / 60000 % 60);
    *s = (int)(rem / 1000 % 60);
    *frac = (int)(rem % 1000);
    return 0;
}

static int fmt(int64_t ms, int kind, char *buf, size_t cap)
{
    int64_t y;
    int mo, d, h, mi, s, f;
    if (split(ms, &y, &mo, &d, &h, &mi, &s, &f) < 0)
        return -1;
    int n;
    if (kind == 0)
        n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, mo, d, h, mi, s);
    else if (kind == 1)
        n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, mo, d, h, mi, s, f);
    else
        n = snprintf(buf, cap, "%04d-%02d-%02d", (int)y, mo, d);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int levy_time_iso(int64_t ms, char *buf, size_t cap) { return fmt(ms, 0, buf, cap); }
int levy_time_iso_ms(int64_t ms, char *buf, size_t cap) { return fmt(ms, 1, buf, cap); }
int levy_time_date(int64_t ms, char *buf, size_t cap) { return fmt(ms, 2, buf, cap); }

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int levy_date_parse(const char *s, size_t len, int *y, int *m, int *d)
{
    return len == 10 && digits(s, 4, y) && s[4] == '-' && digits(s + 5, 2, m) && s[7] == '-' &&
           digits(s + 8, 2, d) && levy_date_is_valid(*y, *m, *d);
}

int levy_time_parse_date(const char *s, int64_t *days, levy_err *err)
{
    int y, m, d;
    if (!s || !levy_date_parse(s, strlen(s), &y, &m, &d))
        return levy_err_set(err, LEVY_EINVAL, "bad_date", "'%.40s' is not a YYYY-MM-DD date",
                            s ? s : "(null)");
    *days = levy_days_from_civil(y, m, d);
    return LEVY_OK;
}

int levy_time_parse_iso(const char *s, int64_t *ms, levy_err *err)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
    const char *p = s;
    if (!s || strlen(s) < 10 || !levy_date_parse(s, 10, &y, &mo, &d))
        goto bad;
    p = s + 10;
    if (*p == 0)
        goto ok;
    if (*p != 'T' && *p != 't' && *p != ' ')
        goto bad;
    p++;
    if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi))
        goto bad;
    p += 5;
    if (*p == ':') {
        if (!digits(p + 1, 2, &sec))
            goto bad;
        p += 3;
        if (*p == '.' || *p == ',') {
            p++;
            int n = 0;
            while (*p >= '0' && *p <= '9') {
                if (n < 3)
                    frac = frac * 10 + (*p - '0');
                n++, p++;
            }
            if (n == 0)
                goto bad;
            for (int i = n; i < 3; i++)
                frac *= 10;
        }
    }
    if (h > 23 || mi > 59 || sec > 59)
        goto bad;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(p, 2, &oh))
            goto bad;
        p += 2;
        if (*p == ':')
            p++;
        if (!digits(p, 2, &om))
            goto bad;
        p += 2;
        if (oh > 23 || om > 59)
            goto bad;
        off = sign * (oh * 60 + om);
    } else {
        goto bad;
    }
    if (*p != 0)
        goto bad;
ok:
    *ms = levy_days_from_civil(y, mo, d) * 86400000 +
          ((int64_t)h * 3600 + mi * 60 + sec - (int64_t)off * 60) * 1000 + frac;
    return LEVY_OK;
bad:
    return levy_err_set(err, LEVY_EINVAL, "bad_time", "'%.60s' is not an ISO 8601 timestamp",
                        s ? s : "(null)");
}
