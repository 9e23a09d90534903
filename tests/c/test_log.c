/* Logger: levels, text/json lines, redaction of registered secrets, secret-named keys and
 * bearer tokens — no secret may ever appear in the output. */
#include <stdlib.h>

#include "clock.h"
#include "harness.h"
#include "log.h"

static char *capture(void (*fn)(void))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    levy_log_set_output(f);
    fn();
    levy_log_set_output(NULL);
    fclose(f);
    return buf;
}

static const char *SECRET = "sk_live_9f8e7d6c5b4a3210ZZ";
static const char *TOKEN = "eyJhbGciOiJIUzI1NiJ9.payload.sigXYZW";

static void emit_all(void)
{
    levy_log_field f[] = {
        {"api_key", "plain-but-named-key-1234"},
        {"authorization", "Bearer abcdefghijklmnop"},
        {"note", SECRET},
        {"x", "Header was Bearer "
              "qwertyuiopasdf1234"},
        {"count", "3"},
        {"password", "hunter2hunter2"},
        {"Webhook-Token", "tok"},
        {"embedded", "prefix-sk_live_9f8e7d6c5b4a3210ZZ-suffix"},
        {"nullv", NULL},
        {"spaced", "a b=\"c\""},
    };
    levy_log_write(LEVY_LOG_INFO, "rillet", "sending with key sk_live_9f8e7d6c5b4a3210ZZ now", f,
                   LEVY_ARRAY_LEN(f));
    levy_log(LEVY_LOG_WARN, "core", "auth header: Authorization: Bearer %s", TOKEN);
    levy_log(LEVY_LOG_DEBUG, "core", "debug hidden %s", SECRET);
}

static int64_t fixed(void *ud)
{
    (void)ud;
    return 1785585600123; /* 2026-08-01T12:00:00.123Z */
}

static void t_redaction_text(void)
{
    char *out = NULL;
    levy_clock_set(fixed, NULL);
    levy_log_add_secret(SECRET);
    levy_log_set_format(LEVY_LOG_TEXT);
    levy_log_set_level(LEVY_LOG_INFO);
    out = capture(emit_all);
    CHECK(out != NULL);
    fprintf(stderr, "%s", out);
    CHECK(strstr(out, SECRET) == NULL);
    CHECK(strstr(out, "sk_live") == NULL);
    CHECK(strstr(out, TOKEN) == NULL);
    CHECK(strstr(out, "abcdefghijklmnop") == NULL);
    CHECK(strstr(out, "qwertyuiopasdf1234") == NULL);
    CHECK(strstr(out, "plain-but-named") == NULL);
    CHECK(strstr(out, "hunter2") == NULL);
    CHECK(strstr(out, "debug hidden") == NULL);
    CHECK(strstr(out, "****10ZZ") != NULL); /* last 4 chars kept for long secrets */
    CHECK(strstr(out, "Webhook-Token=****") != NULL);
    CHECK(strstr(out, "count=3") != NULL);
    CHECK(strstr(out, "2026-08-01T12:00:00.123Z INFO  [rillet] sending with key ****10ZZ now") !=
          NULL);
    CHECK(strstr(out, "spaced=\"a b=\\\"c\\\"\"") != NULL);
    CHECK(strstr(out, "nullv=-") != NULL);
end:
    free(out);
    levy_log_clear_secrets();
    levy_clock_set(NULL, NULL);
}

static void t_redaction_json(void)
{
    char *out = NULL;
    levy_clock_set(fixed, NULL);
    levy_log_add_secret(SECRET);
    levy_log_set_format(LEVY_LOG_JSON);
    out = capture(emit_all);
    CHECK(out != NULL);
    CHECK(strstr(out, SECRET) == NULL);
    CHECK(strstr(out, TOKEN) == NULL);
    CHECK(strstr(out, "abcdefghijklmnop") == NULL);
    CHECK(strstr(out,
                 "{\"ts\":\"2026-08-01T12:00:00.123Z\",\"level\":\"info\",\"source\":\"rillet\","
                 "\"msg\":\"sending with key ****10ZZ now\"") != NULL);
    CHECK(strstr(out, "\"nullv\":null") != NULL);
    CHECK(strstr(out, "\"count\":\"3\"") != NULL);
    /* every line is one JSON object */
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_INT(lines, 2);
end:
    free(out);
    levy_log_set_format(LEVY_LOG_TEXT);
    levy_log_clear_secrets();
    levy_clock_set(NULL, NULL);
}

static void t_helpers(void)
{
    char *r = NULL;
    CHECK_EQ_INT(levy_log_level_parse("warn"), LEVY_LOG_WARN);
    CHECK_EQ_INT(levy_log_level_parse("DEBUG"), LEVY_LOG_DEBUG);
    CHECK_EQ_INT(levy_log_level_parse("loud"), -1);
    CHECK_EQ_INT(levy_log_format_parse("json"), LEVY_LOG_JSON);
    CHECK(levy_log_key_is_secret("X-API-KEY"));
    CHECK(levy_log_key_is_secret("client_secret"));
    CHECK(levy_log_key_is_secret("Authorization"));
    CHECK(!levy_log_key_is_secret("invoice_id"));
    levy_log_add_secret("abc"); /* too short: ignored */
    r = levy_log_redact("abc abcd", 0);
    CHECK_EQ_STR(r, "abc abcd");
    free(r);
    levy_log_add_secret("abcd");
    levy_log_add_secret("abcd");
    r = levy_log_redact("xabcdx abcd", 0);
    CHECK_EQ_STR(r, "x****x ****");
    free(r);
    r = levy_log_redact("short", 1);
    CHECK_EQ_STR(r, "****");
    free(r);
    r = levy_log_redact("bearer tiny", 0); /* < 8 chars: not a token */
    CHECK_EQ_STR(r, "bearer tiny");
    free(r);
    r = NULL;
end:
    free(r);
    levy_log_clear_secrets();
}

static const levy_test tests[] = {{"redaction_text", t_redaction_text},
                                  {"redaction_json", t_redaction_json},
                                  {"helpers", t_helpers},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
