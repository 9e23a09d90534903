/* Economic-nexus threshold table: the shipped file parses and says what tax-facts.md says;
 * malformed rows are rejected with their line number. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tax/nexus.h"

static const levy_nexus_row *find(const levy_nexus *nx, const char *st, const char *eff)
{
    for (size_t i = 0; i < nx->n; i++)
        if (strcmp(nx->rows[i].state, st) == 0 && strcmp(nx->rows[i].effective_from, eff) == 0)
            return &nx->rows[i];
    return NULL;
}

static void t_shipped(void)
{
    levy_nexus *nx = NULL;
    levy_err err;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_nexus_load(&nx, "data/" LEVY_NEXUS_FILE, &err), LEVY_OK);
    CHECK(nx != NULL);
    CHECK(nx->n >= 48);
    const levy_nexus_row *ny = find(nx, "NY", ""), *ct = find(nx, "CT", "");
    const levy_nexus_row *ca = find(nx, "CA", ""), *il = find(nx, "IL", "2026-01-01");
    CHECK(ny && ct && ca && il);
    CHECK_EQ_STR(ny->sales, "500000.00");
    CHECK_EQ_INT(ny->transactions, 100);
    CHECK_EQ_STR(ny->combine, "and");
    CHECK_EQ_STR(ny->period, "four_quarters_ny");
    CHECK_EQ_STR(ct->combine, "and");
    CHECK_EQ_INT(ct->transactions, 200);
    CHECK_EQ_STR(ca->sales, "500000.00");
    CHECK_EQ_INT(ca->transactions, -1);
    CHECK_EQ_STR(ca->combine, "");
    CHECK_EQ_INT(il->transactions, -1);
    CHECK(find(nx, "OR", "") == NULL); /* no sales tax */
    for (size_t i = 0; i < nx->n; i++)
        CHECK(nx->rows[i].source && strstr(nx->rows[i].source, "tax-facts.md") != NULL);
end:
    levy_nexus_free(nx);
}

static const char *HDR =
    "state,sales_threshold,transactions_threshold,combine,period,effective_from,source\n";

static int parse(const char *body, levy_err *err)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", HDR, body);
    levy_nexus *nx = NULL;
    levy_err_clear(err);
    int rc = levy_nexus_parse(&nx, "t.csv", text, err);
    if (rc == LEVY_OK && !nx)
        rc = -100;
    levy_nexus_free(nx);
    return rc;
}

static void t_valid(void)
{
    levy_err err;
    levy_nexus *nx = NULL;
    levy_err_clear(&err);
    /* columns in another order, a quoted source with a comma, CRLF, comments */
    const char *text = "# comment\r\nsource,state,period,sales_threshold,combine,"
                       "transactions_threshold,effective_from\r\n"
                       "\"a, \"\"b\"\"\",TX,previous_12_months,500000,,,2019-10-01\r\n"
                       "s,GA,calendar_year_previous_or_current,100000.5,or,200,\r\n";
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", text, &err), LEVY_OK);
    CHECK_EQ_INT((int)nx->n, 2);
    CHECK_EQ_STR(nx->rows[0].source, "a, \"b\"");
    CHECK_EQ_STR(nx->rows[0].sales, "500000.00");
    CHECK_EQ_STR(nx->rows[0].effective_from, "2019-10-01");
    CHECK_EQ_STR(nx->rows[1].sales, "100000.50");
    CHECK_EQ_INT(nx->rows[1].transactions, 200);
    CHECK_EQ_STR(nx->rows[1].combine, "or");
end:
    levy_nexus_free(nx);
}

static void t_invalid(void)
{
    levy_err err;
    const char *P = ",calendar_year_previous,,src\n";
    char b[256];
    snprintf(b, sizeof b, "ca,100000,,%s", P);
    CHECK_EQ_INT(parse(b, &err), LEVY_EINVAL); /* lower-case state */
    CHECK(strstr(err.message, "t.csv:2") != NULL);
    snprintf(b, sizeof b, "CA,1e5,,%s", P);
    CHECK_EQ_INT(parse(b, &err), LEVY_EINVAL); /* not a decimal */
    snprintf(b, sizeof b, "CA,100000.001,,%s", P);
    CHECK_EQ_INT(parse(b, &err), LEVY_EINVAL); /* sub-cent */
    snprintf(b, sizeof b, "CA,0,,%s", P);
    CHECK_EQ_INT(parse(b, &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,200,,calendar_year_previous,,src\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "combine") != NULL);
    CHECK_EQ_INT(parse("CA,100000,200,xor,calendar_year_previous,,src\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,,or,calendar_year_previous,,src\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,-5,or,calendar_year_previous,,src\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,,,last_week,,src\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "period") != NULL);
    CHECK_EQ_INT(parse("CA,100000,,,calendar_year_previous,2026-02-30,src\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,,,calendar_year_previous,,\n", &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "source") != NULL);
    CHECK_EQ_INT(parse("CA,100000,,,calendar_year_previous,,src,extra\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(parse("CA,100000,,,calendar_year_previous,,\"src\n", &err), LEVY_EINVAL);
    CHECK_EQ_INT(
        parse("CA,100000,,,calendar_year_previous,,a\nCA,200000,,,calendar_year_previous,,b\n",
              &err),
        LEVY_EINVAL); /* duplicate state + date */
    CHECK(strstr(err.message, "t.csv:3") != NULL);
    CHECK_EQ_INT(parse("CA,100000,,,calendar_year_previous,,a\nCA,200000,,,calendar_year_previous,"
                       "2026-01-01,b\n",
                       &err),
                 LEVY_OK);
    levy_nexus *nx = NULL;
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", "state,sales_threshold\nCA,1\n", &err),
                 LEVY_EINVAL);
    CHECK(nx == NULL);
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", "", &err), LEVY_EINVAL);
    CHECK_EQ_INT(levy_nexus_load(&nx, "data/us/no-such-file.csv", &err), LEVY_EIO);
end:;
}

/* The marketplace rule (issue 20): optional columns; a cited included/excluded, unknown when
 * absent or empty; an unknown value or a rule without its citation is rejected. The shipped
 * file cites every state it says includes or excludes. */
static void t_marketplace(void)
{
    static const char *MH = "state,sales_threshold,transactions_threshold,combine,period,"
                            "effective_from,source,marketplace,marketplace_source\n";
    char text[1024];
    levy_err err;
    levy_nexus *nx = NULL;
    snprintf(text, sizeof text, "%s%s", MH,
             "AL,250000,,,calendar_year_previous,,s,excluded,cite\n"
             "CA,500000,,,calendar_year_previous,,s,,\n"
             "TX,500000,,,calendar_year_previous,,s,included,\"a, b\"\n");
    levy_err_clear(&err);
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", text, &err), LEVY_OK);
    CHECK_EQ_INT((long)nx->n, 3);
    CHECK_EQ_STR(nx->rows[0].marketplace, "excluded");
    CHECK_EQ_STR(nx->rows[0].marketplace_source, "cite");
    CHECK_EQ_STR(nx->rows[1].marketplace, "unknown");
    CHECK(nx->rows[1].marketplace_source == NULL);
    CHECK_EQ_STR(nx->rows[2].marketplace, "included");
    CHECK_EQ_STR(nx->rows[2].marketplace_source, "a, b");
    levy_nexus_free(nx);
    nx = NULL;
    snprintf(text, sizeof text, "%s%s", MH, "AL,250000,,,calendar_year_previous,,s,sometimes,c\n");
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", text, &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "marketplace") != NULL);
    snprintf(text, sizeof text, "%s%s", MH, "AL,250000,,,calendar_year_previous,,s,excluded,\n");
    CHECK_EQ_INT(levy_nexus_parse(&nx, "t.csv", text, &err), LEVY_EINVAL);
    CHECK(strstr(err.message, "marketplace_source") != NULL);
    CHECK(nx == NULL);
    CHECK_EQ_INT(levy_nexus_load(&nx, "data/us/economic-nexus.csv", &err), LEVY_OK);
    for (size_t i = 0; nx && i < nx->n; i++) {
        CHECK(strcmp(nx->rows[i].marketplace, "unknown") == 0 ||
              (nx->rows[i].marketplace_source && *nx->rows[i].marketplace_source));
        if (strcmp(nx->rows[i].state, "AL") == 0)
            CHECK_EQ_STR(nx->rows[i].marketplace, "excluded");
        /* issue 19 (marketplace rule, more states): Colorado excludes marketplace sales from a
         * seller's own threshold (HB19-1240), Texas counts them (34 TAC 3.286: gross revenue) */
        if (strcmp(nx->rows[i].state, "CO") == 0) {
            CHECK_EQ_STR(nx->rows[i].marketplace, "excluded");
            CHECK(strstr(nx->rows[i].marketplace_source, "HB19-1240") != NULL);
        }
        if (strcmp(nx->rows[i].state, "TX") == 0) {
            CHECK_EQ_STR(nx->rows[i].marketplace, "included");
            CHECK(strstr(nx->rows[i].marketplace_source, "3.286") != NULL);
        }
    }
end:
    levy_nexus_free(nx);
}

static const levy_test tests[] = {{"shipped", t_shipped},
                                  {"valid", t_valid},
                                  {"invalid", t_invalid},
                                  {"marketplace", t_marketplace},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
