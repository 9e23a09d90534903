/* The audit log's rows from the host's routes. See audit.h. */
#include "audit.h"

#include "clock.h"

int levy_audit_insert(levy_store *st, const char *actor_kind, const char *actor, const char *action,
                      const char *object_kind, const char *object_id, const char *label,
                      const char *changes_json, const char *request_id, levy_err *err)
{
    char at[32];
    levy_time_iso(levy_clock_now_ms(), at, sizeof at);
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "INSERT INTO audit_log(at, actor_kind, actor, action, object_kind, object_id, "
        "object_label, changes, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    const char *v[9] = {at,        actor_kind, actor,        action,    object_kind,
                        object_id, label,      changes_json, request_id};
    for (int i = 0; i < 9; i++)
        levy_stmt_bind_text_or_null(s, i + 1, v[i]);
    int rc = levy_stmt_step(s, err);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}
