#ifndef LEVY_HOST_REFUSALS_H
#define LEVY_HOST_REFUSALS_H
/* How often an admin-only refusal gets an audit row of its own (issue 20 #1). A script
 * hammering an admin route with a full token wrote one access.refused row per request, so the
 * Activity page and the store filled with copies. Per (actor, route), the first
 * LEVY_REFUSALS_SHOWN refusals of a window of LEVY_REFUSALS_WINDOW_MS get their row each; the
 * later ones of that window are counted and, once the window has ended, written as one summary
 * row with their count (levy_refusals_due). Nothing here writes: the caller (routes.c
 * admin_refused) writes the rows, and counts every refusal in a metric. Plain C, no I/O, the
 * clock given in: tested by tests/c/test_refusals.c.
 *
 * Never losing the fact: every key's first refusal of a window has its row, and a key that
 * cannot be tracked (the table full of windows still open) gets a row for every refusal. */
#include <stdint.h>
#include <stddef.h>

#define LEVY_REFUSALS_SHOWN 3
#define LEVY_REFUSALS_WINDOW_MS 60000
#define LEVY_REFUSALS_KEYS 128

/** One summary: `count` refusals of `actor` on `route` between first_ms and last_ms (UTC ms)
 * that had no row of their own. The strings are the caller's, copied (cut to fit). */
typedef struct levy_refusal_summary {
    char kind[32];
    char actor[112];
    char route[160];
    char what[96];
    char role[16];
    int64_t count;
    int64_t first_ms, last_ms;
} levy_refusal_summary;

typedef struct levy_refusal_key {
    levy_refusal_summary s;  /* the key (kind, actor, route) and what was held back */
    int64_t window_start_ms; /* 0: free slot */
    int shown;               /* rows written in this window */
} levy_refusal_key;

typedef struct levy_refusals {
    levy_refusal_key keys[LEVY_REFUSALS_KEYS];
} levy_refusals;

/** Notes one refusal at now_ms. @return 1 when it gets an audit row of its own, 0 when it is
 * counted in its key's summary instead. Call levy_refusals_due first, so an ended window's
 * summary is written before the row of a refusal that opens the next. */
int levy_refusals_note(levy_refusals *r, int64_t now_ms, const char *kind, const char *actor,
                       const char *route, const char *what, const char *role);

/** The summaries due at now_ms (their window has ended and they counted at least one
 * refusal), or every pending one when now_ms < 0 (levy stops): up to cap are copied into out
 * and taken off the table (a key whose window ended is freed). @return how many were copied;
 * call again while it returns cap. */
size_t levy_refusals_due(levy_refusals *r, int64_t now_ms, levy_refusal_summary *out, size_t cap);

/** The end of the earliest window that holds a count (ms), or -1 when none does: when to call
 * levy_refusals_due next. */
int64_t levy_refusals_next_due(const levy_refusals *r);

#endif
