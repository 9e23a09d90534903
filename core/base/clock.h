#ifndef LEVY_CLOCK_H
#define LEVY_CLOCK_H
/* Wall clock with a test hook, and pure UTC calendar helpers (no locale, no timegm, no TZ).
 * Used by levy.time, the job queue, logs and the store (applied_at, created_at). */
#include <stddef.h>
#include <stdint.h>

#include "levy.h"

/* Milliseconds since the Unix epoch (CLOCK_REALTIME), or the injected clock's value. */
int64_t levy_clock_now_ms(void);
/* Injects a clock (fn(ud) returns ms); fn NULL restores the real clock. */
void levy_clock_set(int64_t (*fn)(void *ud), void *ud);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), and back.
 * Valid for years -9999..9999. */
int64_t levy_days_from_civil(int64_t y, int m, int d);
void levy_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 1 if y-m-d is a real calendar date (leap years handled). */
int levy_date_is_valid(int64_t y, int m, int d);
/* The one date parser: s[0..len) is exactly "YYYY-MM-DD" (ASCII digits, a real calendar date,
 * years 0000..9999) → 1 with *y *m *d set, else 0. Not NUL-terminated: len says where it ends
 * (levy_time_parse_* and levy_tax_date_parse are built on it). */
int levy_date_parse(const char *s, size_t len, int *y, int *m, int *d);

/* Formatting (UTC). Buffers of LEVY_TIME_BUFSZ are always large enough; returns the length
 * or -1 when cap is too small / ms outside years 0000..9999.
 *   levy_time_iso     "2026-08-01T12:00:00Z"
 *   levy_time_iso_ms  "2026-08-01T12:00:00.123Z"
 *   levy_time_date    "2026-08-01" */
#define LEVY_TIME_BUFSZ 32
int levy_time_iso(int64_t ms, char *buf, size_t cap);
int levy_time_iso_ms(int64_t ms, char *buf, size_t cap);
int levy_time_date(int64_t ms, char *buf, size_t cap);

/* Parses an RFC 3339 / ISO 8601 timestamp: YYYY-MM-DD('T'|'t'|' ')hh:mm[:ss[.fff...]]
 * (Z|z|±hh:mm|±hhmm), or a bare date YYYY-MM-DD (midnight UTC). Fractional seconds are
 * truncated to ms; leap second 60 rejected; invalid dates rejected. LEVY_EINVAL "bad_time". */
int levy_time_parse_iso(const char *s, int64_t *ms, levy_err *err);
/* Parses a strict "YYYY-MM-DD" date into days since the epoch. LEVY_EINVAL "bad_date". */
int levy_time_parse_date(const char *s, int64_t *days, levy_err *err);

#endif
