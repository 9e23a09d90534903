/* Foreign-seller registration thresholds (issues 19/20): the shipped file parses and says what
 * its citations say; a malformed row rejects the whole file with its line number. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tax/foreign.h"

static const levy_foreign_row *find(const levy_foreign *t, const char *cc)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].country, cc) == 0)
            return &t->rows[i];
    return NULL;
}

static void t_shipped(void)
{
    levy_foreign *t = NULL;
    levy_err err;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_foreign_load(&t, "data/" LEVY_FOREIGN_FILE, &err), LEVY_OK);
    CHECK(t != NULL);
    const levy_foreign_row *au = find(t, "AU"), *nz = find(t, "NZ"), *mx = find(t, "MX");
    const levy_foreign_row *ch = find(t, "CH"), *de = find(t, "DE");
    CHECK(au && nz && mx && ch && de);
    CHECK_EQ_STR(au->threshold, "75000.00");
    CHECK_EQ_STR(au->currency, "AUD");
    CHECK_EQ_STR(au->scope, "b2c");
    CHECK_EQ_STR(au->period, "previous_12_months");
    CHECK_EQ_STR(nz->threshold, "60000.00");
    CHECK_EQ_STR(nz->currency, "NZD");
    CHECK_EQ_STR(mx->period, "first_sale");
    CHECK_EQ_STR(mx->threshold, "0.00");
    CHECK_EQ_STR(ch->scope, "worldwide");
    CHECK_EQ_STR(ch->threshold, "100000.00");
    CHECK_EQ_STR(de->period, "first_sale");
    for (size_t i = 0; i < t->n; i++)
        CHECK(t->rows[i].source && strlen(t->rows[i].source) > 20);
end:
    levy_foreign_free(t);
}

static const char *HDR = "country,threshold,currency,period,scope,effective_from,source\n";

static int parse(const char *body, levy_err *err)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", HDR, body);
    levy_foreign *t = NULL;
    levy_err_clear(err);
    int rc = levy_foreign_parse(&t, "t.csv", text, err);
    if (rc == LEVY_OK && !t)
        rc = -100;
    levy_foreign_free(t);
    return rc;
}

static void t_valid(void)
{
    levy_err err;
    levy_foreign *t = NULL;
    levy_err_clear(&err);
    /* columns in another order, a quoted source with a comma, CRLF, a comment, a currency
     * without minor units */
    const char *text = "# c\r\nsource,country,currency,threshold,scope,period,effective_from\r\n"
                       "\"a, \"\"b\"\"\",AU,AUD,75000,b2c,previous_12_months,2017-07-01\r\n"
                       "s,JP,JPY,0,b2c,first_sale,\r\n";
    CHECK_EQ_INT(levy_foreign_parse(&t, "t.csv", text, &err), LEVY_OK);
    CHECK_EQ_INT((int)t->n, 2);
    CHECK_EQ_STR(t->rows[0].source, "a, \"b\"");
    CHECK_EQ_STR(t->rows[0].threshold, "75000.00");
    CHECK_EQ_STR(t->rows[0].effective_from, "2017-07-01");
    CHECK_EQ_STR(t->rows[1].threshold, "0");
    CHECK_EQ_STR(t->rows[1].effective_from, "");
end:
    levy_foreign_free(t);
}

/* Each malformed row is refused, naming its line and what is wrong. */
static void t_malformed(void)
{
    levy_err err;
    CHECK_EQ_INT(parse("au,75000,AUD,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "t.csv:2") && strstr(err.message, "country"));
    CHECK_EQ_INT(parse("AU,75000,AUDX,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "currency") != NULL);
    CHECK_EQ_INT(parse("AU,75000,XXX,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("AU,75k,AUD,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "threshold") != NULL);
    CHECK_EQ_INT(parse("AU,-5,AUD,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("AU,75000.001,AUD,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("JP,1.5,JPY,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL); /* no sen */
    CHECK_EQ_INT(parse("AU,75000,AUD,last_week,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "period") != NULL);
    CHECK_EQ_INT(parse("AU,0,AUD,previous_12_months,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "first_sale") != NULL);
    CHECK_EQ_INT(parse("MX,100,MXN,first_sale,b2c,,s\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("AU,75000,AUD,previous_12_months,consumers,,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "scope") != NULL);
    CHECK_EQ_INT(parse("AU,75000,AUD,previous_12_months,b2c,2017-02-30,s\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "effective_from") != NULL);
    CHECK_EQ_INT(parse("AU,75000,AUD,previous_12_months,b2c,,\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "source") != NULL);
    CHECK_EQ_INT(parse("AU,75000,AUD,previous_12_months,b2c,,s,extra\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "fields") != NULL);
    CHECK_EQ_INT(parse("AU,75000,AUD,previous_12_months,b2c,,\"s\n", &err), LEVY_EINVAL);
    /* a good row then a bad one: the whole file is refused, the bad line named */
    CHECK_EQ_INT(
        parse("AU,75000,AUD,previous_12_months,b2c,,s\nNZ,6O000,NZD,previous_12_months,b2c,,s\n",
              &err),
        LEVY_EINVAL);
    CHECK(strstr(err.message, "t.csv:3") != NULL);
    CHECK_EQ_INT(
        parse("AU,75000,AUD,previous_12_months,b2c,,a\nAU,80000,AUD,previous_12_months,b2c,,b\n",
              &err),
        LEVY_EINVAL); /* duplicate country + date */
    CHECK(strstr(err.message, "duplicate") != NULL);
    CHECK_EQ_INT(
        parse("AU,75000,AUD,previous_12_months,b2c,,a\nAU,80000,AUD,previous_12_months,b2c,"
              "2030-01-01,b\n",
              &err),
        LEVY_OK);
    levy_foreign *t = NULL;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_foreign_parse(&t, "t.csv", "country,threshold\nAU,1\n", &err), LEVY_EINVAL);
    CHECK(t == NULL && strstr(err.message, "header lacks"));
    CHECK_EQ_INT(levy_foreign_parse(&t, "t.csv", "", &err), LEVY_EINVAL);
    CHECK_EQ_INT(levy_foreign_load(&t, "data/intl/no-such-file.csv", &err), LEVY_EIO);
end:;
}

static const levy_test tests[] = {
    {"shipped", t_shipped}, {"valid", t_valid}, {"malformed", t_malformed}, {NULL, NULL}};
LEVY_TEST_MAIN(tests)
