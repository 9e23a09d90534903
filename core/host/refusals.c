/* Admin-only refusals: which get an audit row of their own. See refusals.h. */
#include "refusals.h"

#include <stdio.h>
#include <string.h>

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static int same_key(const levy_refusal_key *k, const char *kind, const char *actor,
                    const char *route)
{
    /* compared as stored (cut to fit), so an over-long label still finds its key */
    char a[sizeof k->s.actor], ro[sizeof k->s.route], ki[sizeof k->s.kind];
    copy(ki, sizeof ki, kind);
    copy(a, sizeof a, actor);
    copy(ro, sizeof ro, route);
    return strcmp(k->s.kind, ki) == 0 && strcmp(k->s.actor, a) == 0 && strcmp(k->s.route, ro) == 0;
}

int levy_refusals_note(levy_refusals *r, int64_t now_ms, const char *kind, const char *actor,
                       const char *route, const char *what, const char *role)
{
    levy_refusal_key *k = NULL, *free_slot = NULL;
    for (size_t i = 0; i < LEVY_REFUSALS_KEYS; i++) {
        levy_refusal_key *c = &r->keys[i];
        if (!c->window_start_ms) {
            if (!free_slot)
                free_slot = c;
            continue;
        }
        if (same_key(c, kind, actor, route)) {
            k = c;
            break;
        }
    }
    /* a window that has ended with nothing counted is over; one with a count waits for
     * levy_refusals_due (the caller asks first), so here it is over too */
    if (k && now_ms - k->window_start_ms >= LEVY_REFUSALS_WINDOW_MS && k->s.count == 0)
        k->window_start_ms = 0;
    if (k && k->window_start_ms) {
        if (k->shown < LEVY_REFUSALS_SHOWN) {
            k->shown++;
            return 1;
        }
        if (k->s.count == 0)
            k->s.first_ms = now_ms;
        k->s.count++;
        k->s.last_ms = now_ms;
        copy(k->s.role, sizeof k->s.role, role); /* the latest role the token had */
        return 0;
    }
    if (!k)
        k = free_slot;
    if (!k) {
        /* reuse a slot whose window ended with nothing counted */
        for (size_t i = 0; i < LEVY_REFUSALS_KEYS && !k; i++)
            if (r->keys[i].s.count == 0 &&
                now_ms - r->keys[i].window_start_ms >= LEVY_REFUSALS_WINDOW_MS)
                k = &r->keys[i];
    }
    if (!k)
        return 1; /* the table is full of open windows: this refusal is written, never lost */
    memset(k, 0, sizeof *k);
    copy(k->s.kind, sizeof k->s.kind, kind);
    copy(k->s.actor, sizeof k->s.actor, actor);
    copy(k->s.route, sizeof k->s.route, route);
    copy(k->s.what, sizeof k->s.what, what);
    copy(k->s.role, sizeof k->s.role, role);
    k->window_start_ms = now_ms ? now_ms : 1;
    k->shown = 1;
    return 1;
}

size_t levy_refusals_due(levy_refusals *r, int64_t now_ms, levy_refusal_summary *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < LEVY_REFUSALS_KEYS && n < cap; i++) {
        levy_refusal_key *k = &r->keys[i];
        if (!k->window_start_ms || !k->s.count)
            continue;
        if (now_ms >= 0 && now_ms - k->window_start_ms < LEVY_REFUSALS_WINDOW_MS)
            continue;
        out[n++] = k->s;
        k->window_start_ms = 0; /* the next refusal opens a new window with rows of its own */
        k->s.count = 0;
    }
    return n;
}

int64_t levy_refusals_next_due(const levy_refusals *r)
{
    int64_t best = -1;
    for (size_t i = 0; i < LEVY_REFUSALS_KEYS; i++) {
        const levy_refusal_key *k = &r->keys[i];
        if (!k->window_start_ms || !k->s.count)
            continue;
        int64_t end = k->window_start_ms + LEVY_REFUSALS_WINDOW_MS;
        if (best < 0 || end < best)
            best = end;
    }
    return best;
}
