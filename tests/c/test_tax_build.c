/* The arrays a tax decision reads, grown without a Lua state (core/tax/build.c): a compiled
 * rule's treatments and code rows, the request's lines. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tax/build.h"

/* Treatments start taxable without branches, keep what was set as the array moves, and the
 * rule's pointers follow the arrays; free empties the rule and may run twice. */
static void t_rule(void)
{
    levy_tax_rule_build b;
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 40; i++) {
        int t = levy_tax_rule_new_treatment(&b);
        CHECK_EQ_INT(t, i);
        CHECK_EQ_INT(b.treat[t].kind, LEVY_TREAT_TAXABLE);
        CHECK_EQ_INT(b.treat[t].below, -1);
        CHECK_EQ_INT(b.treat[t].above, -1);
        CHECK_EQ_INT(b.treat[t].business, -1);
        CHECK_EQ_INT(b.treat[t].individual, -1);
        b.treat[t].kind = LEVY_TREAT_FRACTION;
        b.treat[t].value = i;
        int k = levy_tax_rule_new_code(&b);
        CHECK_EQ_INT(k, i);
        CHECK(b.codes[k].code == NULL);
        CHECK_EQ_INT(b.codes[k].treatment, -1);
        b.codes[k].code = "saas";
        b.codes[k].treatment = t;
    }
    CHECK_EQ_INT(b.r.ntreat, 40);
    CHECK_EQ_INT(b.r.ncodes, 40);
    CHECK(b.r.treat == b.treat);
    CHECK(b.r.codes == b.codes);
    CHECK(b.cap_treat >= 40 && b.cap_codes >= 40);
    for (int i = 0; i < 40; i++) {
        CHECK_EQ_INT(b.r.treat[i].kind, LEVY_TREAT_FRACTION);
        CHECK_EQ_INT((int)b.r.treat[i].value, i);
        CHECK_EQ_INT(b.r.codes[i].treatment, i);
    }
    CHECK_EQ_INT(levy_tax_rule_treatment(&b.r, "saas"), 0);
    levy_tax_rule_build_free(&b);
    CHECK(b.r.treat == NULL && b.r.codes == NULL);
    CHECK_EQ_INT(b.r.ntreat, 0);
    CHECK_EQ_INT(b.r.ncodes, 0);
    levy_tax_rule_build_free(&b);
    CHECK_EQ_INT(levy_tax_rule_new_treatment(&b), 0); /* usable again */
    levy_tax_rule_build_free(&b);
end:
    levy_tax_rule_build_free(&b);
}

/* Room for n lines: at least 16, grown to n, contents kept, a smaller n changes nothing. */
static void t_lines(void)
{
    levy_tax_line *lines = NULL;
    levy_tax_line_meta *meta = NULL;
    int cap = 0;
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 1), 0);
    CHECK_EQ_INT(cap, 16);
    CHECK(lines && meta);
    lines[15].amount = 1234;
    meta[15].tax_code = "general";
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 1000), 0);
    CHECK_EQ_INT(cap, 1000);
    CHECK_EQ_INT((int)lines[15].amount, 1234);
    CHECK_EQ_STR(meta[15].tax_code, "general");
    lines[999].amount = 7;
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 10), 0);
    CHECK_EQ_INT(cap, 1000);
    CHECK_EQ_INT((int)lines[999].amount, 7);
    CHECK_EQ_INT(levy_tax_lines_reserve(&lines, &meta, &cap, 0), 0);
end:
    free(lines);
    free(meta);
}

static const levy_test tests[] = {{"rule", t_rule}, {"lines", t_lines}, {NULL, NULL}};

LEVY_TEST_MAIN(tests)
