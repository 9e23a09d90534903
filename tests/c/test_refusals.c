/* Admin-only refusals collapsed per (actor, route) and minute (issue 20 #1, core/host/refusals.h).
 * The bug story: a script hammering an admin route with a full token wrote one access.refused
 * audit row per request. The decision is plain C with the clock given in, so the window's
 * edges are tested exactly here; tests/e2e/reliab/token_roles.py checks the rows and the metric
 * through levy. */
#include <string.h>

#include "harness.h"
#include "host/refusals.h"

#define T0 1765000000000LL

static levy_refusals r;

static int note(int64_t t, const char *actor, const char *route)
{
    return levy_refusals_note(&r, t, "named_token", actor, route, "create or rotate the Sphere key",
                              "full");
}

static void t_first_shown_then_counted(void)
{
    levy_refusal_summary out[4];
    memset(&r, 0, sizeof r);
    for (int i = 0; i < LEVY_REFUSALS_SHOWN; i++)
        CHECK_EQ_INT(note(T0 + i, "Gus's token", "POST /v1/sphere-api-key"), 1);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(note(T0 + 100 + i, "Gus's token", "POST /v1/sphere-api-key"), 0);
    /* another route and another actor have windows of their own */
    CHECK_EQ_INT(note(T0 + 200, "Gus's token", "POST /v1/tokens"), 1);
    CHECK_EQ_INT(note(T0 + 200, "Fred's token", "POST /v1/sphere-api-key"), 1);
    /* nothing due inside the window; due at its end */
    CHECK_EQ_INT(levy_refusals_due(&r, T0 + LEVY_REFUSALS_WINDOW_MS - 1, out, 4), 0);
    CHECK_EQ_INT(levy_refusals_next_due(&r), T0 + LEVY_REFUSALS_WINDOW_MS);
    CHECK_EQ_INT(levy_refusals_due(&r, T0 + LEVY_REFUSALS_WINDOW_MS, out, 4), 1);
    CHECK_EQ_STR(out[0].actor, "Gus's token");
    CHECK_EQ_STR(out[0].route, "POST /v1/sphere-api-key");
    CHECK_EQ_STR(out[0].role, "full");
    CHECK_EQ_INT(out[0].count, 10);
    CHECK_EQ_INT(out[0].first_ms, T0 + 100);
    CHECK_EQ_INT(out[0].last_ms, T0 + 109);
    /* taken off: not due twice, and the next refusal opens a new window with rows again */
    CHECK_EQ_INT(levy_refusals_due(&r, T0 + 10 * LEVY_REFUSALS_WINDOW_MS, out, 4), 0);
    CHECK_EQ_INT(levy_refusals_next_due(&r), -1);
    CHECK_EQ_INT(note(T0 + LEVY_REFUSALS_WINDOW_MS + 5, "Gus's token", "POST /v1/sphere-api-key"),
                 1);
end:;
}

static void t_window_without_count_reopens(void)
{
    levy_refusal_summary out[2];
    memset(&r, 0, sizeof r);
    for (int i = 0; i < LEVY_REFUSALS_SHOWN; i++)
        CHECK_EQ_INT(note(T0, "A", "R"), 1);
    /* the window ended with nothing held back: the next refusal is shown, nothing is due */
    CHECK_EQ_INT(note(T0 + LEVY_REFUSALS_WINDOW_MS, "A", "R"), 1);
    CHECK_EQ_INT(levy_refusals_due(&r, T0 + 5 * LEVY_REFUSALS_WINDOW_MS, out, 2), 0);
end:;
}

static void t_stop_flushes_all(void)
{
    levy_refusal_summary out[2];
    memset(&r, 0, sizeof r);
    for (int i = 0; i < LEVY_REFUSALS_SHOWN + 2; i++)
        note(T0, "A", "R");
    CHECK_EQ_INT(levy_refusals_due(&r, T0 + 1, out, 2), 0);
    CHECK_EQ_INT(levy_refusals_due(&r, -1, out, 2), 1); /* levy stops: every pending count */
    CHECK_EQ_INT(out[0].count, 2);
    CHECK_EQ_INT(levy_refusals_due(&r, -1, out, 2), 0);
end:;
}

static void t_full_table_never_loses(void)
{
    char actor[32];
    levy_refusal_summary out[LEVY_REFUSALS_KEYS];
    memset(&r, 0, sizeof r);
    /* every slot an open window holding a count */
    for (int k = 0; k < LEVY_REFUSALS_KEYS; k++) {
        snprintf(actor, sizeof actor, "a%d", k);
        for (int i = 0; i < LEVY_REFUSALS_SHOWN + 1; i++)
            note(T0, actor, "R");
    }
    /* a new key cannot be tracked: each of its refusals gets a row */
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(note(T0 + 1, "newcomer", "R"), 1);
    CHECK_EQ_INT(levy_refusals_due(&r, -1, out, LEVY_REFUSALS_KEYS), LEVY_REFUSALS_KEYS);
    /* a long label is cut to fit and still finds its key */
    char longa[300];
    memset(longa, 'x', sizeof longa - 1);
    longa[sizeof longa - 1] = 0;
    for (int i = 0; i < LEVY_REFUSALS_SHOWN; i++)
        CHECK_EQ_INT(note(T0, longa, "R"), 1);
    CHECK_EQ_INT(note(T0, longa, "R"), 0);
end:;
}

static const levy_test tests[] = {{"first_shown_then_counted", t_first_shown_then_counted},
                                  {"window_without_count_reopens", t_window_without_count_reopens},
                                  {"stop_flushes_all", t_stop_flushes_all},
                                  {"full_table_never_loses", t_full_table_never_loses},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
