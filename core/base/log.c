/* Redacting line logger. See log.h. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "json_scan.h"
#include "log.h"

static levy_log_level g_level = LEVY_LOG_INFO;
static levy_log_format g_format = LEVY_LOG_TEXT;
static FILE *g_out;
static char **g_secrets;
static size_t g_nsecrets;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"debug", "info", "warn", "error", "off"};

void levy_log_set_level(levy_log_level level) { g_level = level; }
levy_log_level levy_log_get_level(void) { return g_level; }
void levy_log_set_format(levy_log_format fmt) { g_format = fmt; }
void levy_log_set_output(FILE *f) { g_out = f; }

int levy_log_level_parse(const char *name)
{
    for (int i = 0; name && i <= LEVY_LOG_OFF; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    if (name && strcasecmp(name, "warning") == 0)
        return LEVY_LOG_WARN;
    return -1;
}

const char *levy_log_level_name(levy_log_level level)
{
    return (unsigned)level <= LEVY_LOG_OFF ? level_names[level] : "?";
}

int levy_log_format_parse(const char *name)
{
    if (name && strcasecmp(name, "text") == 0)
        return LEVY_LOG_TEXT;
    if (name && strcasecmp(name, "json") == 0)
        return LEVY_LOG_JSON;
    return -1;
}

void levy_log_add_secret(const char *s)
{
    if (!s || strlen(s) < 4)
        return;
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_nsecrets; i++)
        if (strcmp(g_secrets[i], s) == 0)
            goto done;
    char **n = realloc(g_secrets, (g_nsecrets + 1) * sizeof *n);
    if (!n)
        goto done;
    g_secrets = n;
    if ((g_secrets[g_nsecrets] = strdup(s)) != NULL)
        g_nsecrets++;
done:
    pthread_mutex_unlock(&g_mu);
}

void levy_log_clear_secrets(void)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < g_nsecrets; i++)
        free(g_secrets[i]);
    free(g_secrets);
    g_secrets = NULL;
    g_nsecrets = 0;
    pthread_mutex_unlock(&g_mu);
}

int levy_log_key_is_secret(const char *key)
{
    static const char *parts[] = {"key",    "token",     "secret",    "password",
                                  "passwd", "signature", "credential"};
    if (!key)
        return 0;
    if (strcasecmp(key, "authorization") == 0 || strcasecmp(key, "cookie") == 0 ||
        strcasecmp(key, "set-cookie") == 0)
        return 1;
    for (size_t i = 0; i < LEVY_ARRAY_LEN(parts); i++)
        if (strcasestr(key, parts[i]))
            return 1;
    return 0;
}

/* Appends the mask of a secret of length n ending at s+n: "****" + last 4 chars when the
 * secret is long enough that 4 chars reveal little (>= 12), else "****". */
static void put_mask(levy_buf *b, const char *s, size_t n)
{
    levy_buf_puts(b, "****");
    if (n >= 12)
        levy_buf_put(b, s + n - 4, 4);
}

static int is_token_char(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' ||
           c == '=';
}

/* Caller holds g_mu. */
static char *redact_locked(const char *s, int mask_all)
{
    levy_buf b = {0};
    size_t n = strlen(s);
    if (mask_all) {
        if (n)
            put_mask(&b, s, n);
        else
            levy_buf_puts(&b, "");
        return b.oom ? (levy_buf_free(&b), NULL) : b.data;
    }
    size_t i = 0;
    while (i < n) {
        /* longest registered secret at i */
        size_t best = 0;
        for (size_t k = 0; k < g_nsecrets; k++) {
            size_t l = strlen(g_secrets[k]);
            if (l > best && l <= n - i && memcmp(s + i, g_secrets[k], l) == 0)
                best = l;
        }
        if (best) {
            put_mask(&b, s + i, best);
            i += best;
            continue;
        }
        /* "Bearer x" / "Basic x" (case-insensitive), at a word start */
        size_t kw = 0;
        if ((i == 0 || !isalnum((unsigned char)s[i - 1]))) {
            if (n - i > 7 && strncasecmp(s + i, "bearer ", 7) == 0)
                kw = 7;
            else if (n - i > 6 && strncasecmp(s + i, "basic ", 6) == 0)
                kw = 6;
        }
        if (kw) {
            size_t j = i + kw;
            while (j < n && s[j] == ' ')
                j++;
            size_t t = j;
            while (t < n && is_token_char((unsigned char)s[t]))
                t++;
            if (t - j >= 8) {
                levy_buf_put(&b, s + i, kw);
                put_mask(&b, s + j, t - j);
                i = t;
                continue;
            }
        }
        levy_buf_putc(&b, s[i]);
        i++;
    }
    if (!b.data)
        levy_buf_puts(&b, "");
    if (b.oom) {
        levy_buf_free(&b);
        return NULL;
    }
    return b.data;
}

char *levy_log_redact(const char *s, int mask_all)
{
    pthread_mutex_lock(&g_mu);
    char *r = redact_locked(s ? s : "", mask_all);
    pthread_mutex_unlock(&g_mu);
    return r;
}

static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '"' || *s == '=' || *s == '\\' || *s == 0x7f)
            return 1;
    return 0;
}

static void put_text_value(levy_buf *b, const char *v)
{
    if (needs_quotes(v))
        levy_json_escape(b, v, strlen(v));
    else
        levy_buf_puts(b, v);
}

static void put_text_msg(levy_buf *b, const char *v)
{
    /* messages stay readable but never break the one-line framing */
    for (; *v; v++) {
        if (*v == '\n')
            levy_buf_puts(b, "\\n");
        else if (*v == '\r')
            levy_buf_puts(b, "\\r");
        else if ((unsigned char)*v < ' ')
            levy_buf_putc(b, ' ');
        else
            levy_buf_putc(b, *v);
    }
}

void levy_log_write(levy_log_level level, const char *source, const char *msg,
                    const levy_log_field *fields, size_t nfields)
{
    if (level < g_level || level >= LEVY_LOG_OFF)
        return;
    char ts[LEVY_TIME_BUFSZ];
    if (levy_time_iso_ms(levy_clock_now_ms(), ts, sizeof ts) < 0)
        strcpy(ts, "-");
    levy_buf b = {0};
    pthread_mutex_lock(&g_mu);
    char *m = redact_locked(msg ? msg : "", 0);
    if (g_format == LEVY_LOG_JSON) {
        levy_buf_puts(&b, "{\"ts\":\"");
        levy_buf_puts(&b, ts);
        levy_buf_puts(&b, "\",\"level\":\"");
        levy_buf_puts(&b, level_names[level]);
        levy_buf_puts(&b, "\"");
        if (source) {
            levy_buf_puts(&b, ",\"source\":");
            levy_json_escape(&b, source, strlen(source));
        }
        levy_buf_puts(&b, ",\"msg\":");
        if (m)
            levy_json_escape(&b, m, strlen(m));
        else
            levy_buf_puts(&b, "\"\"");
    } else {
        char lv[8];
        snprintf(lv, sizeof lv, "%-5s", level_names[level]);
        for (char *c = lv; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        levy_buf_puts(&b, ts);
        levy_buf_putc(&b, ' ');
        levy_buf_puts(&b, lv);
        if (source) {
            levy_buf_puts(&b, " [");
            put_text_msg(&b, source);
            levy_buf_putc(&b, ']');
        }
        levy_buf_putc(&b, ' ');
        if (m)
            put_text_msg(&b, m);
    }
    free(m);
    for (size_t i = 0; i < nfields; i++) {
        const char *k = fields[i].key ? fields[i].key : "?";
        char *v =
            fields[i].value ? redact_locked(fields[i].value, levy_log_key_is_secret(k)) : NULL;
        if (g_format == LEVY_LOG_JSON) {
            levy_buf_putc(&b, ',');
            levy_json_escape(&b, k, strlen(k));
            levy_buf_putc(&b, ':');
            if (v)
                levy_json_escape(&b, v, strlen(v));
            else
                levy_buf_puts(&b, "null");
        } else {
            levy_buf_putc(&b, ' ');
            put_text_value(&b, k);
            levy_buf_putc(&b, '=');
            if (v)
                put_text_value(&b, v);
            else
                levy_buf_putc(&b, '-');
        }
        free(v);
    }
    if (g_format == LEVY_LOG_JSON)
        levy_buf_putc(&b, '}');
    levy_buf_putc(&b, '\n');
    if (!b.oom) {
        FILE *out = g_out ? g_out : stderr;
        fwrite(b.data, 1, b.len, out);
        fflush(out);
    }
    pthread_mutex_unlock(&g_mu);
    levy_buf_free(&b);
}

void levy_log(levy_log_level level, const char *source, const char *fmt, ...)
{
    if (level < g_level || level >= LEVY_LOG_OFF)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    levy_log_write(level, source, buf, NULL, 0);
}
