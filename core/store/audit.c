/* The audit log's rows from the host's routes. See audit.h. */
#include "audit.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

/* The person of a row (core migration 0009): the named token's name in the label
 * levy_auth_who_actor made ("<name>'s token", "UI session of <name> <8 hex>"), into out
 * (cap > 64); 0 when the row is not a named token's (out ""). Exact: the labels' two forms
 * are fixed and a name (≤ 64 bytes) is never cut in one (LEVY_ACTOR_MAX 112). The migration's
 * backfill of older rows applies the same rule in SQL. */
int levy_audit_person(const char *actor_kind, const char *actor, char *out, size_t cap)
{
    static const char tail[] = "'s token", head[] = "UI session of ";
    size_t n = actor ? strlen(actor) : 0, tn = sizeof tail - 1, hn = sizeof head - 1, k = 0;
    const char *from = NULL;
    if (cap)
        out[0] = '\0';
    if (!actor_kind || !actor)
        return 0;
    if (strcmp(actor_kind, "named_token") == 0 && n > tn && strcmp(actor + n - tn, tail) == 0) {
        from = actor;
        k = n - tn;
    } else if (strcmp(actor_kind, "ui_session") == 0 && n > hn + 9 &&
               strncmp(actor, head, hn) == 0 && actor[n - 9] == ' ') {
        from = actor + hn;
        k = n - hn - 9;
    }
    if (!from || k >= cap)
        return 0;
    memcpy(out, from, k);
    out[k] = '\0';
    return 1;
}

#define INSERT_SQL                                                                                 \
    "INSERT INTO audit_log(at, actor_kind, actor, action, object_kind, object_id, "                \
    "object_label, changes, request_id, person) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

int levy_audit_insert(levy_store *st, const char *actor_kind, const char *actor, const char *action,
                      const char *object_kind, const char *object_id, const char *label,
                      const char *changes_json, const char *request_id, levy_err *err)
{
    char at[32], person[LEVY_AUDIT_PERSON_MAX];
    int has_person = levy_audit_person(actor_kind, actor, person, sizeof person);
    levy_time_iso(levy_clock_now_ms(), at, sizeof at);
    levy_stmt *s = levy_store_prepare_cached(st, INSERT_SQL, err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    const char *v[10] = {
        at,        actor_kind, actor,        action,     object_kind,
        object_id, label,      changes_json, request_id, has_person ? person : NULL};
    for (int i = 0; i < 10; i++)
        levy_stmt_bind_text_or_null(s, i + 1, v[i]);
    int rc = levy_stmt_step(s, err);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}

levy_wunit *levy_audit_unit(const char *actor_kind, const char *actor, const char *action,
                            const char *object_kind, const char *object_id, const char *label,
                            const char *changes_json, const char *request_id)
{
    char at[32], person[LEVY_AUDIT_PERSON_MAX];
    int has_person = levy_audit_person(actor_kind, actor, person, sizeof person);
    levy_time_iso(levy_clock_now_ms(), at, sizeof at);
    const char *v[10] = {
        at,        actor_kind, actor,        action,     object_kind,
        object_id, label,      changes_json, request_id, has_person ? person : NULL};
    levy_wunit *u = levy_wunit_new(1);
    if (!u)
        return NULL;
    levy_wstep *st = &u->steps[0];
    st->kind = LEVY_WSTEP_SQL;
    st->sql = strdup(INSERT_SQL);
    st->params = calloc(10, sizeof *st->params);
    if (!st->sql || !st->params) {
        levy_wunit_free(u);
        return NULL;
    }
    st->nparams = 10;
    for (int i = 0; i < 10; i++)
        if (v[i] && levy_wparam_text(&st->params[i], v[i], strlen(v[i])) != LEVY_OK) {
            levy_wunit_free(u);
            return NULL;
        }
    return u;
}
