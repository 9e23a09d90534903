/* Signed webhooks: the headers' grammar, freshness and the signature check. See hook.h. */
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "hook.h"

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int is_uuid(const char *s, size_t n)
{
    static const int group[] = {8, 4, 4, 4, 12};
    size_t p = 0;
    for (int g = 0; g < 5; g++) {
        if (g > 0) {
            if (p >= n || s[p] != '-')
                return 0;
            p++;
        }
        for (int i = 0; i < group[g]; i++, p++)
            if (p >= n || !is_hex(s[p]))
                return 0;
    }
    return p == n;
}

static int is_word(const char *s, size_t n)
{
    if (n == 0 || n > LEVY_HOOK_MAX_WORD)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

int levy_hook_timestamp(const char *s, size_t n, int64_t *ms)
{
    /* YYYY-MM-DD T hh:mm:ss: the fixed part (19 characters) */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (n < 20 || n > 40)
        return 0;
    for (size_t i = 0; i < 19; i++) {
        char c = s[i];
        if (shape[i] == 'd'   ? !is_digit(c)
            : shape[i] == 'T' ? (c != 'T' && c != 't')
                              : c != shape[i])
            return 0;
    }
    size_t p = 19;
    if (s[p] == '.') {
        size_t d = 0;
        for (p++; p < n && is_digit(s[p]); p++)
            d++;
        if (d == 0 || d > 9)
            return 0;
    }
    size_t z = n - p; /* the zone */
    if (!(z == 1 && (s[p] == 'Z' || s[p] == 'z')) &&
        !(z == 6 && (s[p] == '+' || s[p] == '-') && is_digit(s[p + 1]) && is_digit(s[p + 2]) &&
          s[p + 3] == ':' && is_digit(s[p + 4]) && is_digit(s[p + 5])))
        return 0;
    /* the calendar, clock and offset ranges and the milliseconds: the one ISO 8601 reader
     * (base/clock.c), which this grammar narrows */
    char buf[48];
    memcpy(buf, s, n);
    buf[n] = 0;
    int64_t v = 0;
    if (levy_time_parse_iso(buf, &v, NULL) != LEVY_OK)
        return 0;
    *ms = v;
    return 1;
}

const char *levy_hook_check(const char *ts, size_t tl, const char *id, size_t il, const char *ent,
                            size_t el, const char *ev, size_t evl, int64_t *ts_ms)
{
    if (!is_uuid(id, il))
        return "X-Rillet-Id must be a UUID (8-4-4-4-12 hex digits)";
    if (!levy_hook_timestamp(ts, tl, ts_ms))
        return "X-Rillet-Timestamp must be an RFC 3339 date-time, e.g. 2026-08-01T12:00:00Z";
    if (!is_word(ent, el))
        return "X-Rillet-Entity must be a word of letters, digits, '_' or '-' (at most 64)";
    if (!is_word(ev, evl))
        return "X-Rillet-Event must be a word of letters, digits, '_' or '-' (at most 64)";
    return NULL;
}

/* floor division of a (possibly negative) number of ms into seconds (Lua's //) */
static int64_t floor_s(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

int levy_hook_fresh(int64_t ts_ms, int64_t now_ms, int64_t tolerance_s, int64_t future_s,
                    int64_t *age_s)
{
    int64_t age_ms = now_ms - ts_ms;
    *age_s = floor_s(age_ms);
    if (tolerance_s <= 0)
        return LEVY_HOOK_FRESH;
    if (age_ms > tolerance_s * 1000)
        return LEVY_HOOK_OLD;
    if (-age_ms > future_s * 1000)
        return LEVY_HOOK_FUTURE;
    return LEVY_HOOK_FRESH;
}

int levy_hook_keys_derive(const char *token, size_t n, levy_hook_keys *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || n > LEVY_HOOK_MAX_KEY)
        return -1;
    size_t m = 0;
    if (levy_b64_decode(token, n, 0, out->key[0], &m, NULL) == LEVY_OK && m > 0)
        out->len[out->n++] = m;
    memcpy(out->key[out->n], token, n);
    out->len[out->n++] = n;
    return 0;
}

#define MAX_CANDIDATES 16

int levy_hook_verify(const uint8_t *const *keys, const size_t *key_lens, int nkeys, int *hit,
                     const char *sig, size_t sl, int max_sigs, const void *msg, size_t msg_len,
                     int *nhmac)
{
    if (nhmac)
        *nhmac = 0;
    uint8_t raw[MAX_CANDIDATES][LEVY_SHA256_LEN + 8];
    size_t rawlen[MAX_CANDIDATES];
    int nraw = 0, parts = 0;
    if (max_sigs > MAX_CANDIDATES)
        max_sigs = MAX_CANDIDATES;
    /* the comma-separated parts (an empty one counts), at most max_sigs of them */
    for (size_t p = 0; p <= sl && parts < max_sigs;) {
        const char *comma = memchr(sig + p, ',', sl - p);
        size_t e = comma ? (size_t)(comma - sig) : sl;
        size_t a = p, b = e;
        parts++;
        while (a < b && is_space(sig[a]))
            a++;
        while (b > a && is_space(sig[b - 1]))
            b--;
        /* a signature decodes to 32 bytes; longer text cannot match (decoded max 35 here) */
        if (b > a && b - a <= 48) {
            size_t m = 0;
            if (levy_b64_decode(sig + a, b - a, 0, raw[nraw], &m, NULL) == LEVY_OK ||
                levy_b64_decode(sig + a, b - a, LEVY_B64_URL, raw[nraw], &m, NULL) == LEVY_OK)
                rawlen[nraw++] = m;
        }
        if (!comma)
            break;
        p = e + 1;
    }
    if (nraw == 0)
        return -1;
    int first = hit && *hit >= 0 && *hit < nkeys ? *hit : 0;
    for (int t = 0; t < nkeys; t++) {
        int k = t == 0 ? first : (t <= first ? t - 1 : t);
        uint8_t mac[LEVY_SHA256_LEN];
        if (levy_crypto_hmac_sha256(keys[k], key_lens[k], msg, msg_len, mac, NULL) != LEVY_OK)
            continue;
        if (nhmac)
            (*nhmac)++;
        int ok = 0;
        for (int i = 0; i < nraw; i++)
            ok |= levy_crypto_equal(raw[i], rawlen[i], mac, sizeof mac);
        if (ok) {
            if (hit)
                *hit = k;
            return k;
        }
    }
    return -1;
}
