/* Territories with a VAT status of their own (territory.h): the table and its resolution. */
#include "territory.h"

#include <string.h>

#define EU6_1 "Council Directive 2006/112/EC art. 6(1)"
#define EU6_2 "Council Directive 2006/112/EC art. 6(2)"

enum {
    T_MC,
    T_IM,
    T_LI,
    T_BUSINGEN,
    T_NIR,
    T_CANARY,
    T_CEUTA,
    T_MELILLA,
    T_ALAND,
    T_ATHOS,
    T_HELIGOLAND,
    T_LIVIGNO,
    T_CAMPIONE,
    T_GP,
    T_MQ,
    T_GF,
    T_RE,
    T_YT,
    T_PM,
    T_BL,
    T_MF,
    T_JE,
    T_GG,
    T_SJ,
    T_N
};

#define AS(t) LEVY_TERRITORY_TAXED_AS, t, "taxed_as"
#define OUT LEVY_TERRITORY_OUT_OF_SCOPE, NULL, "out_of_scope"

static const levy_territory terr[T_N] = {
    [T_MC] = {"MC", "Monaco", AS("FR"),
              "Monaco is treated as France for VAT: French VAT applies (Council Directive "
              "2006/112/EC art. 7(1); Franco-Monegasque Convention of 18 May 1963; CGI art. 256-0)",
              "country MC, or FR postcodes 98000-98099 (Monaco uses French postcodes 980xx: La "
              "Poste / Monaco Post, UPU addressing guide)"},
    [T_IM] = {"IM", "Isle of Man", AS("GB"),
              "The Isle of Man is treated as the United Kingdom for VAT: UK VAT applies (Value "
              "Added Tax (Isle of Man) Order 1982, SI 1982/1067; UK-Isle of Man Customs and "
              "Excise Agreement 1979)",
              "country IM, or GB postcode area IM (Royal Mail postcode areas)"},
    [T_LI] = {"LI", "Liechtenstein", AS("CH"),
              "Liechtenstein belongs to the Swiss VAT territory: Swiss VAT applies (MWSTG art. 3 "
              "lit. a; VAT treaty Switzerland-Liechtenstein of 28 Nov 1994, SR 0.641.295.142)",
              "country LI"},
    [T_BUSINGEN] = {"DE-BUS", "Büsingen am Hochrhein", AS("CH"),
                    "Büsingen is outside the EU VAT territory (" EU6_2 "(b); UStG §1(2)) and "
                    "inside the Swiss one: Swiss VAT applies (MWSTG art. 3 lit. a, customs "
                    "enclave under the 1964 treaty)",
                    "DE postcode 78266 (Deutsche Post; ibericode/vat-rates exceptions)"},
    [T_NIR] = {"GB-NIR", "Northern Ireland", LEVY_TERRITORY_SPLIT, "GB",
               "goods_eu_rules_services_uk",
               "Northern Ireland: UK VAT at UK rates; for goods the EU VAT rules also apply "
               "(Windsor Framework art. 8; VATA 1994 Sch. 9ZA: XI VAT numbers, intra-EU "
               "acquisitions and dispatches), services follow UK rules only",
               "country XI, or GB postcode area BT (Royal Mail postcode areas)"},
    [T_CANARY] = {"ES-CN", "Canary Islands", OUT,
                  "Outside the EU VAT territory (" EU6_1 "(b); Ley 37/1992 del IVA art. 3): "
                  "no EU VAT; the Canary IGIC (Ley 20/1991) applies instead and is not "
                  "modelled by levy",
                  "country IC, or ES postcodes 35000-35999 (Las Palmas) and 38000-38999 (Santa "
                  "Cruz de Tenerife): Spanish postcodes begin with the INE province number "
                  "(Correos); ibericode/vat-rates exceptions"},
    [T_CEUTA] = {"ES-CE", "Ceuta", OUT,
                 "Outside the EU VAT territory (" EU6_2 "(c); Ley 37/1992 del IVA art. 3): "
                 "no EU VAT; the local IPSI applies instead and is not modelled by levy",
                 "ES postcodes 51000-51999 (province 51, Correos)"},
    [T_MELILLA] = {"ES-ML", "Melilla", OUT,
                   "Outside the EU VAT territory (" EU6_2 "(d); Ley 37/1992 del IVA art. 3): "
                   "no EU VAT; the local IPSI applies instead and is not modelled by levy",
                   "ES postcodes 52000-52999 (province 52, Correos)"},
    [T_ALAND] = {"AX", "Åland Islands", OUT,
                 "Outside the EU VAT territory (" EU6_1 "(d); Protocol 2 to Finland's 1994 "
                 "Act of Accession): no EU VAT or OSS; Finnish VAT applies there as a national "
                 "tax (Act 1266/1995) and is not modelled by levy",
                 "country AX, or FI postcodes 22000-22999 (Posti: Åland postcodes AX-22xxx)"},
    [T_ATHOS] = {"GR-69", "Mount Athos", OUT,
                 "Outside the EU VAT territory (" EU6_1 "(a); Greek VAT Code, Law 2859/2000 "
                 "art. 2): no VAT",
                 "GR postcode 630 86 (Karyes, Mount Athos: ELTA; ibericode/vat-rates "
                 "exceptions)"},
    [T_HELIGOLAND] = {"DE-HGL", "Heligoland", OUT,
                      "Outside the EU VAT territory (" EU6_2 "(a); UStG §1(2)): no VAT",
                      "DE postcode 27498 (Deutsche Post; ibericode/vat-rates exceptions)"},
    [T_LIVIGNO] = {"IT-LIV", "Livigno", OUT,
                   "Outside the EU VAT territory (" EU6_2 "(e); DPR 633/1972 art. 7): no VAT",
                   "IT postcode 23041 (Poste Italiane; ibericode/vat-rates exceptions)"},
    [T_CAMPIONE] = {"IT-CDI", "Campione d'Italia", OUT,
                    "Outside the EU VAT territory (Council Directive 2006/112/EC art. 6 as "
                    "amended by Directive (EU) 2019/475; DPR 633/1972 art. 7): no EU VAT",
                    "IT postcode 22061 (Poste Italiane; ibericode/vat-rates exceptions)"},
    [T_GP] = {"GP", "Guadeloupe", OUT,
              "French overseas department outside the EU VAT territory (" EU6_1 "(c)): the local "
              "VAT of CGI art. 294-296 (8.5 %) applies instead and is not modelled by levy",
              "country GP, or FR postcodes 97100-97199 except 97133 and 97150 (La Poste: "
              "department 971)"},
    [T_MQ] = {"MQ", "Martinique", OUT,
              "French overseas department outside the EU VAT territory (" EU6_1 "(c)): the local "
              "VAT of CGI art. 294-296 (8.5 %) applies instead and is not modelled by levy",
              "country MQ, or FR postcodes 97200-97299 (La Poste: department 972)"},
    [T_GF] = {"GF", "French Guiana", OUT,
              "French overseas department outside the EU VAT territory (" EU6_1 "(c)); VAT is "
              "not applied there (CGI art. 294-1)",
              "country GF, or FR postcodes 97300-97399 (La Poste: department 973)"},
    [T_RE] = {"RE", "Réunion", OUT,
              "French overseas department outside the EU VAT territory (" EU6_1 "(c)): the local "
              "VAT of CGI art. 294-296 (8.5 %) applies instead and is not modelled by levy",
              "country RE, or FR postcodes 97400-97499 (La Poste: department 974)"},
    [T_YT] = {"YT", "Mayotte", OUT,
              "French overseas department outside the EU VAT territory (" EU6_1 "(c)); VAT is "
              "not applied there (CGI art. 294-1)",
              "country YT, or FR postcodes 97600-97699 (La Poste: department 976)"},
    [T_PM] = {"PM", "Saint Pierre and Miquelon", OUT,
              "French overseas collectivity outside the EU (TFEU art. 355(2), Annex II): no EU "
              "VAT",
              "country PM, or FR postcodes 97500-97599 (La Poste: 975)"},
    [T_BL] = {"BL", "Saint Barthélemy", OUT,
              "French overseas collectivity outside the EU since 2012 (TFEU art. 355(2), "
              "Annex II): no EU VAT",
              "country BL, or FR postcode 97133 (La Poste)"},
    [T_MF] = {"MF", "Saint Martin (French part)", OUT,
              "French overseas collectivity outside the EU VAT territory (" EU6_1 "(c)): no VAT "
              "(CGI art. 294)",
              "country MF, or FR postcode 97150 (La Poste)"},
    [T_JE] = {"JE", "Jersey", OUT,
              "Outside the UK and EU VAT territories (" EU6_1 "(e); HMRC VAT Notice 700: the "
              "Channel Islands are outside the UK VAT area): no UK VAT; Jersey GST (Goods and "
              "Services Tax (Jersey) Law 2007) is not modelled by levy",
              "country JE, or GB postcode area JE (Royal Mail postcode areas)"},
    [T_GG] = {"GG", "Guernsey", OUT,
              "Outside the UK and EU VAT territories (" EU6_1 "(e); HMRC VAT Notice 700: the "
              "Channel Islands are outside the UK VAT area): no VAT",
              "country GG, or GB postcode area GY (Guernsey, Alderney, Sark: Royal Mail)"},
    [T_SJ] = {"SJ", "Svalbard and Jan Mayen", OUT,
              "Outside the Norwegian VAT area (merverdiavgiftsloven § 1-2 (2): the VAT area "
              "is the Norwegian mainland and territorial waters, not Svalbard, Jan Mayen or the "
              "dependencies): no Norwegian VAT",
              "country SJ, or NO postcodes 9170-9179 (Svalbard) and 8099 (Jan Mayen) (Posten)"},
};

/* How an address matches a territory: its own ISO code as the country, a postcode area of a
 * GB postcode (letters then a digit: "BT1 1AA"), or a numeric postcode range. Specific rows
 * come before the ranges that contain them (97133 and 97150 before 971xx). */
enum { M_COUNTRY, M_AREA, M_RANGE };
typedef struct matcher {
    const char *country;
    int how;
    const char *lo, *hi; /* M_AREA: lo = the area letters; M_RANGE: same-length digit strings */
    int t;
} matcher;

static const matcher match[] = {
    {"MC", M_COUNTRY, NULL, NULL, T_MC},          {"FR", M_RANGE, "98000", "98099", T_MC},
    {"IM", M_COUNTRY, NULL, NULL, T_IM},          {"GB", M_AREA, "IM", NULL, T_IM},
    {"LI", M_COUNTRY, NULL, NULL, T_LI},          {"DE", M_RANGE, "78266", "78266", T_BUSINGEN},
    {"XI", M_COUNTRY, NULL, NULL, T_NIR},         {"GB", M_AREA, "BT", NULL, T_NIR},
    {"IC", M_COUNTRY, NULL, NULL, T_CANARY},      {"ES", M_RANGE, "35000", "35999", T_CANARY},
    {"ES", M_RANGE, "38000", "38999", T_CANARY},  {"ES", M_RANGE, "51000", "51999", T_CEUTA},
    {"ES", M_RANGE, "52000", "52999", T_MELILLA}, {"AX", M_COUNTRY, NULL, NULL, T_ALAND},
    {"FI", M_RANGE, "22000", "22999", T_ALAND},   {"GR", M_RANGE, "63086", "63086", T_ATHOS},
    {"EL", M_RANGE, "63086", "63086", T_ATHOS},   {"DE", M_RANGE, "27498", "27498", T_HELIGOLAND},
    {"IT", M_RANGE, "23041", "23041", T_LIVIGNO}, {"IT", M_RANGE, "22061", "22061", T_CAMPIONE},
    {"BL", M_COUNTRY, NULL, NULL, T_BL},          {"FR", M_RANGE, "97133", "97133", T_BL},
    {"MF", M_COUNTRY, NULL, NULL, T_MF},          {"FR", M_RANGE, "97150", "97150", T_MF},
    {"GP", M_COUNTRY, NULL, NULL, T_GP},          {"FR", M_RANGE, "97100", "97199", T_GP},
    {"MQ", M_COUNTRY, NULL, NULL, T_MQ},          {"FR", M_RANGE, "97200", "97299", T_MQ},
    {"GF", M_COUNTRY, NULL, NULL, T_GF},          {"FR", M_RANGE, "97300", "97399", T_GF},
    {"RE", M_COUNTRY, NULL, NULL, T_RE},          {"FR", M_RANGE, "97400", "97499", T_RE},
    {"PM", M_COUNTRY, NULL, NULL, T_PM},          {"FR", M_RANGE, "97500", "97599", T_PM},
    {"YT", M_COUNTRY, NULL, NULL, T_YT},          {"FR", M_RANGE, "97600", "97699", T_YT},
    {"JE", M_COUNTRY, NULL, NULL, T_JE},          {"GB", M_AREA, "JE", NULL, T_JE},
    {"GG", M_COUNTRY, NULL, NULL, T_GG},          {"GB", M_AREA, "GY", NULL, T_GG},
    {"SJ", M_COUNTRY, NULL, NULL, T_SJ},          {"NO", M_RANGE, "9170", "9179", T_SJ},
    {"NO", M_RANGE, "8099", "8099", T_SJ},
};

static int is_alpha(char c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Upper case letters and digits of zip into out (at most cap - 1). For a country other than
 * GB, a leading letter prefix ("AX-22100", "F-98000", "D 78266") is dropped. */
static void normalise(const char *country, const char *zip, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = zip; *p && n + 1 < cap; p++) {
        char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        if (is_alpha(ch) || is_digit(ch))
            out[n++] = ch;
    }
    out[n] = '\0';
    if (strcmp(country, "GB") != 0) {
        size_t k = 0;
        while (k < n && is_alpha(out[k]))
            k++;
        if (k > 0 && k <= 2 && k < n)
            memmove(out, out + k, n - k + 1);
    }
}

const levy_territory *levy_territory_find(const char *country, const char *zip)
{
    if (!country || strlen(country) != 2)
        return NULL;
    char cc[3] = {country[0], country[1], '\0'};
    for (int i = 0; i < 2; i++)
        if (cc[i] >= 'a' && cc[i] <= 'z')
            cc[i] = (char)(cc[i] - 32);
    char z[24];
    size_t zl = 0;
    int normalised = 0;
    for (size_t i = 0; i < sizeof match / sizeof match[0]; i++) {
        const matcher *m = &match[i];
        if (m->country[0] != cc[0] || m->country[1] != cc[1])
            continue; /* most addresses (US, CA, DE...) end here: no postcode work */
        if (m->how == M_COUNTRY)
            return &terr[m->t];
        if (!normalised) {
            z[0] = '\0';
            if (zip)
                normalise(cc, zip, z, sizeof z);
            zl = strlen(z);
            normalised = 1;
        }
        if (m->how == M_AREA) {
            size_t al = strlen(m->lo);
            if (zl > al && strncmp(z, m->lo, al) == 0 && is_digit(z[al]))
                return &terr[m->t];
            continue;
        }
        size_t rl = strlen(m->lo);
        if (zl != rl)
            continue;
        int digits = 1;
        for (size_t k = 0; k < zl; k++)
            digits &= is_digit(z[k]);
        if (digits && strcmp(z, m->lo) >= 0 && strcmp(z, m->hi) <= 0)
            return &terr[m->t];
    }
    return NULL;
}

int levy_territory_count(void) { return T_N; }

const levy_territory *levy_territory_at(int i) { return i >= 0 && i < T_N ? &terr[i] : NULL; }
