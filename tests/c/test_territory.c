/* Territory table (core/tax/territory.c, issue 19): each listed territory is found by its own
 * code and by its country + postal code, its neighbours are not, and every row says why. */
#include <string.h>

#include "harness.h"
#include "tax/territory.h"

static const char *code(const char *country, const char *zip)
{
    const levy_territory *t = levy_territory_find(country, zip);
    return t ? t->code : "-";
}

static int kind(const char *country, const char *zip)
{
    const levy_territory *t = levy_territory_find(country, zip);
    return t ? (int)t->kind : 0;
}

static void t_taxed_as(void)
{
    const levy_territory *t = levy_territory_find("MC", NULL);
    CHECK(t != NULL);
    CHECK_EQ_INT(t->kind, LEVY_TERRITORY_TAXED_AS);
    CHECK_EQ_STR(t->tax_country, "FR");
    CHECK_EQ_STR(code("FR", "98000"), "MC"); /* Monaco on a French address */
    CHECK_EQ_STR(code("FR", "75001"), "-");  /* Paris */
    t = levy_territory_find("im", "IM1 1AA");
    CHECK(t != NULL);
    CHECK_EQ_STR(t->tax_country, "GB");
    CHECK_EQ_STR(code("GB", "IM2 4NN"), "IM"); /* Douglas written as a GB address */
    CHECK_EQ_STR(code("GB", "SW1A 1AA"), "-"); /* London */
    t = levy_territory_find("DE", "78266");
    CHECK(t != NULL);
    CHECK_EQ_STR(t->tax_country, "CH"); /* Büsingen: Swiss VAT */
    CHECK_EQ_STR(code("DE", "D-78266"), "DE-BUS");
    CHECK_EQ_STR(code("DE", "78267"), "-"); /* Aach, next door */
    CHECK_EQ_STR(levy_territory_find("LI", "9490")->tax_country, "CH");
end:;
}

static void t_out_of_scope(void)
{
    CHECK_EQ_STR(code("ES", "35001"), "ES-CN"); /* Las Palmas de Gran Canaria */
    CHECK_EQ_STR(code("ES", "38001"), "ES-CN"); /* Santa Cruz de Tenerife */
    CHECK_EQ_STR(code("IC", NULL), "ES-CN");
    CHECK_EQ_STR(code("ES", "36001"), "-"); /* Pontevedra */
    CHECK_EQ_STR(code("ES", "34999"), "-"); /* Palencia */
    CHECK_EQ_STR(code("ES", "28001"), "-"); /* Madrid */
    CHECK_EQ_STR(code("ES", "51001"), "ES-CE");
    CHECK_EQ_STR(code("ES", "52001"), "ES-ML");
    CHECK_EQ_STR(code("FI", "22100"), "AX"); /* Mariehamn */
    CHECK_EQ_STR(code("FI", "AX-22100"), "AX");
    CHECK_EQ_STR(code("AX", "22100"), "AX");
    CHECK_EQ_STR(code("FI", "00100"), "-");      /* Helsinki */
    CHECK_EQ_STR(code("GR", "630 86"), "GR-69"); /* Karyes, Mount Athos */
    CHECK_EQ_STR(code("EL", "63086"), "GR-69");
    CHECK_EQ_STR(code("GR", "63085"), "-");
    CHECK_EQ_STR(code("DE", "27498"), "DE-HGL"); /* Heligoland */
    CHECK_EQ_STR(code("NO", "9170"), "SJ");      /* Longyearbyen, Svalbard */
    CHECK_EQ_STR(code("NO", "8099"), "SJ");      /* Jan Mayen */
    CHECK_EQ_STR(code("SJ", NULL), "SJ");
    CHECK_EQ_STR(code("NO", "9180"), "-"); /* Skjervøy, on the mainland */
    CHECK_EQ_STR(code("NO", "0150"), "-"); /* Oslo */
    CHECK_EQ_INT(kind("NO", "9171"), LEVY_TERRITORY_OUT_OF_SCOPE);
    CHECK_EQ_STR(code("IT", "23041"), "IT-LIV"); /* Livigno */
    CHECK_EQ_STR(code("IT", "22061"), "IT-CDI"); /* Campione d'Italia */
    CHECK_EQ_STR(code("IT", "00100"), "-");
    CHECK_EQ_STR(code("FR", "97110"), "GP"); /* Pointe-à-Pitre */
    CHECK_EQ_STR(code("FR", "97133"), "BL"); /* Saint-Barthélemy inside 971xx */
    CHECK_EQ_STR(code("FR", "97150"), "MF"); /* Saint-Martin inside 971xx */
    CHECK_EQ_STR(code("FR", "97200"), "MQ");
    CHECK_EQ_STR(code("FR", "97300"), "GF");
    CHECK_EQ_STR(code("FR", "97400"), "RE");
    CHECK_EQ_STR(code("FR", "97500"), "PM");
    CHECK_EQ_STR(code("FR", "97600"), "YT");
    CHECK_EQ_STR(code("RE", NULL), "RE");
    CHECK_EQ_STR(code("FR", "97000"), "-");
    CHECK_EQ_STR(code("GB", "JE2 3AB"), "JE"); /* St Helier */
    CHECK_EQ_STR(code("GB", "GY1 1AA"), "GG"); /* St Peter Port */
    CHECK_EQ_STR(code("GG", NULL), "GG");
    CHECK_EQ_INT(kind("ES", "35001"), LEVY_TERRITORY_OUT_OF_SCOPE);
    CHECK_EQ_INT(kind("GB", "JE2 3AB"), LEVY_TERRITORY_OUT_OF_SCOPE);
    CHECK(levy_territory_find("ES", "35001")->tax_country == NULL);
    CHECK_EQ_STR(levy_territory_find("ES", "35001")->treatment, "out_of_scope");
end:;
}

static void t_northern_ireland(void)
{
    const levy_territory *t = levy_territory_find("GB", "BT1 1AA"); /* Belfast */
    CHECK(t != NULL);
    CHECK_EQ_STR(t->code, "GB-NIR");
    CHECK_EQ_INT(t->kind, LEVY_TERRITORY_SPLIT);
    CHECK_EQ_STR(t->tax_country, "GB");
    CHECK_EQ_STR(t->treatment, "goods_eu_rules_services_uk");
    CHECK_EQ_STR(code("XI", NULL), "GB-NIR");
    CHECK_EQ_STR(code("GB", "bt48 6aa"), "GB-NIR");
    CHECK_EQ_STR(code("GB", "B1 1AA"), "-");   /* Birmingham: area B, not BT */
    CHECK_EQ_STR(code("IE", "D02 X285"), "-"); /* Dublin */
end:;
}

static void t_not_territories(void)
{
    CHECK(levy_territory_find("US", "35001") == NULL); /* a US ZIP is not Spanish */
    CHECK(levy_territory_find("DE", NULL) == NULL);
    CHECK(levy_territory_find("DE", "") == NULL);
    CHECK(levy_territory_find("ES", "3500") == NULL);   /* too short */
    CHECK(levy_territory_find("ES", "350011") == NULL); /* too long */
    CHECK(levy_territory_find("ES", "35O01") == NULL);  /* letter O */
    CHECK(levy_territory_find(NULL, "35001") == NULL);
    CHECK(levy_territory_find("E", "35001") == NULL);
    CHECK(levy_territory_find("ESP", "35001") == NULL);
end:;
}

static void t_every_row_cited(void)
{
    CHECK(levy_territory_count() >= 20);
    for (int i = 0; i < levy_territory_count(); i++) {
        const levy_territory *t = levy_territory_at(i);
        CHECK(t != NULL && t->code && t->name && t->reason && t->postal && t->treatment);
        CHECK(strlen(t->reason) > 40);
        CHECK(strchr(t->reason, '(') != NULL); /* a legal basis in parentheses */
        CHECK((t->kind == LEVY_TERRITORY_OUT_OF_SCOPE) == (t->tax_country == NULL));
        /* a territory with an ISO 3166-1 code is found by that code as the country */
        if (strlen(t->code) == 2)
            CHECK(levy_territory_find(t->code, NULL) == t);
    }
    CHECK(levy_territory_at(-1) == NULL);
    CHECK(levy_territory_at(levy_territory_count()) == NULL);
end:;
}

static const levy_test tests[] = {{"taxed_as", t_taxed_as},
                                  {"out_of_scope", t_out_of_scope},
                                  {"northern_ireland", t_northern_ireland},
                                  {"not_territories", t_not_territories},
                                  {"every_row_cited", t_every_row_cited},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
