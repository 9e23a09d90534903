#ifndef LEVY_LOG_H
#define LEVY_LOG_H
/* Process logger: one line per event on stderr (or a set FILE*), `text` or `json` format,
 * with redaction applied to every line before it is written:
 *   - every registered secret (levy_log_add_secret) is replaced wherever it occurs, by
 *     "****" followed by at most its last 4 characters (none when the secret is < 12 chars);
 *   - values of fields whose key contains "key", "token", "secret", "password" or equals
 *     "authorization" / "cookie" (case-insensitive) are masked the same way;
 *   - "Bearer <x>" / "Basic <x>" in any message or value becomes "Bearer ****<last4>".
 * text:  2026-08-01T12:00:00.123Z INFO  [plugin] message key=value key2="v w"
 * json:  {"ts":"2026-08-01T12:00:00.123Z","level":"info","msg":"...","key":"value",...}
 * Single-threaded use by the event loop; a mutex makes concurrent writers safe anyway. */
#include <stdio.h>

#include "levy.h"

typedef enum levy_log_level {
    LEVY_LOG_DEBUG = 0,
    LEVY_LOG_INFO = 1,
    LEVY_LOG_WARN = 2,
    LEVY_LOG_ERROR = 3,
    LEVY_LOG_OFF = 4
} levy_log_level;

typedef enum levy_log_format { LEVY_LOG_TEXT = 0, LEVY_LOG_JSON = 1 } levy_log_format;

/* A (key, value) field; value NULL is written as null / key=-. */
typedef struct levy_log_field {
    const char *key;
    const char *value;
} levy_log_field;

/* Configuration (defaults: INFO, TEXT, stderr). */
void levy_log_set_level(levy_log_level level);
levy_log_level levy_log_get_level(void);
void levy_log_set_format(levy_log_format fmt);
/* Output stream (NULL → stderr). For tests. */
void levy_log_set_output(FILE *f);
/* "debug"/"info"/"warn"/"error"/"off" → level, -1 if unknown; and back. */
int levy_log_level_parse(const char *name);
const char *levy_log_level_name(levy_log_level level);
/* "text"/"json" → format, -1 if unknown. */
int levy_log_format_parse(const char *name);

/* Registers a secret (copied) to mask in every future line. Strings shorter than 4 bytes
 * are ignored (masking them would garble logs). Duplicates are ignored. */
void levy_log_add_secret(const char *s);
/* Frees the registered secrets (at exit; tests). */
void levy_log_clear_secrets(void);

/* Writes one line if level >= the configured level. `source` is the plugin / component
 * ("core", "store", a plugin name; may be NULL); fields may be NULL when nfields == 0. */
void levy_log_write(levy_log_level level, const char *source, const char *msg,
                    const levy_log_field *fields, size_t nfields);
/* printf-style convenience without fields. */
void levy_log(levy_log_level level, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Applies redaction (secrets and bearer patterns; masks everything when mask_all) to s and
 * returns a malloc'd string (NULL on OOM). Exposed for tests and the HTTP access log. */
char *levy_log_redact(const char *s, int mask_all);
/* 1 when a field key names a secret (see above). */
int levy_log_key_is_secret(const char *key);

#endif
