/* Durable job queue over the store. See jobs.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "jobs.h"
#include "json_scan.h"

static void (*notify_fn)(void *);
static void *notify_ud;

void levy_jobs_set_notify(void (*fn)(void *ud), void *ud)
{
    notify_fn = fn;
    notify_ud = ud;
}

void levy_job_free(levy_job *job)
{
    if (!job)
        return;
    free(job->key);
    free(job->payload);
    job->key = job->payload = NULL;
}

void levy_jobs_free(levy_job *jobs, int n)
{
    for (int i = 0; i < n; i++)
        levy_job_free(&jobs[i]);
}

int64_t levy_jobs_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint64_t random)
{
    if (max_ms <= 0 || base_ms <= 0)
        return 0;
    if (attempt < 0)
        attempt = 0;
    int64_t cap = max_ms;
    if (attempt < 62 && base_ms <= (max_ms >> attempt))
        cap = base_ms << attempt;
    /* uniform in [0, cap]: multiply-shift of a 64-bit random value */
    return (int64_t)(((unsigned __int128)random * (uint64_t)(cap + 1)) >> 64);
}

/* Prepared (cached) statement helpers. */
static sqlite3_stmt *prep(levy_store *st, const char *sql, levy_err *err)
{
    return levy_store_prepare_cached(st, sql, err);
}

static int step_done(levy_store *st, sqlite3_stmt *s, levy_err *err)
{
    int rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? LEVY_OK : levy_store_rc(st, rc, err);
    levy_store_release(st, s);
    return out;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Ends a transaction opened by begin: commit on rc == OK, else rollback. */
static int finish(levy_store *st, int rc, levy_err *err)
{
    if (rc == LEVY_OK)
        return levy_store_commit(st, err);
    levy_store_rollback(st, NULL);
    return rc;
}

void levy_jobs_notify(void)
{
    if (notify_fn)
        notify_fn(notify_ud);
}

static int enqueue(levy_store *st, const char *kind, const char *key, const char *payload_json,
                   int64_t run_at_ms, int max_attempts, char id_out[LEVY_JOB_ID_MAX], int notify,
                   levy_err *err)
{
    int rc;
    if (!kind || !*kind || strlen(kind) >= LEVY_JOB_KIND_MAX)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "job kind must be 1..127 bytes");
    if (!payload_json)
        payload_json = "{}";
    if ((rc = levy_json_validate(payload_json, strlen(payload_json), LEVY_JSON_MAX_DEPTH, err)))
        return rc;
    if (max_attempts <= 0)
        max_attempts = LEVY_JOB_DEFAULT_MAX_ATTEMPTS;
    int64_t now = levy_clock_now_ms();
    if ((rc = levy_store_begin(st, err)))
        return rc;
    sqlite3_stmt *s;
    if (key) {
        s = prep(st, "SELECT id, run_at FROM jobs WHERE kind=? AND key=? AND state='queued'", err);
        if (!s) {
            rc = err ? err->rc : LEVY_EINTERNAL;
            goto done;
        }
        sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
        int src = sqlite3_step(s);
        if (src == SQLITE_ROW) {
            snprintf(id_out, LEVY_JOB_ID_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
            int64_t old = sqlite3_column_int64(s, 1);
            levy_store_release(st, s);
            s = prep(st,
                     "UPDATE jobs SET payload=?, run_at=?, max_attempts=?, updated_at=? "
                     "WHERE id=?",
                     err);
            if (!s) {
                rc = err ? err->rc : LEVY_EINTERNAL;
                goto done;
            }
            sqlite3_bind_text(s, 1, payload_json, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 2, old < run_at_ms ? old : run_at_ms);
            sqlite3_bind_int(s, 3, max_attempts);
            sqlite3_bind_int64(s, 4, now);
            sqlite3_bind_text(s, 5, id_out, -1, SQLITE_STATIC);
            rc = step_done(st, s, err);
            goto done;
        }
        levy_store_release(st, s);
        if (src != SQLITE_DONE) {
            rc = levy_store_rc(st, src, err);
            goto done;
        }
    }
    if ((rc = levy_crypto_id("job_", id_out, LEVY_JOB_ID_MAX, err)))
        goto done;
    s = prep(st,
             "INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, "
             "created_at, updated_at) VALUES (?,?,?,?,'queued',0,?,?,?,?)",
             err);
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    sqlite3_bind_text(s, 1, id_out, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, key);
    sqlite3_bind_text(s, 4, payload_json, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 5, max_attempts);
    sqlite3_bind_int64(s, 6, run_at_ms);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_bind_int64(s, 8, now);
    rc = step_done(st, s, err);
done:
    rc = finish(st, rc, err);
    if (rc == LEVY_OK && notify && notify_fn)
        notify_fn(notify_ud);
    return rc;
}

int levy_jobs_enqueue(levy_store *st, const char *kind, const char *key, const char *payload_json,
                      int64_t run_at_ms, int max_attempts, char id_out[LEVY_JOB_ID_MAX],
                      levy_err *err)
{
    return enqueue(st, kind, key, payload_json, run_at_ms, max_attempts, id_out, 1, err);
}

int levy_jobs_enqueue_quiet(levy_store *st, const char *kind, const char *key,
                            const char *payload_json, int64_t run_at_ms, int max_attempts,
                            char id_out[LEVY_JOB_ID_MAX], levy_err *err)
{
    return enqueue(st, kind, key, payload_json, run_at_ms, max_attempts, id_out, 0, err);
}

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

int levy_jobs_claim(levy_store *st, const char *kind, int64_t now_ms, int limit, levy_job *out,
                    int *n, levy_err *err)
{
    int rc, got = 0;
    *n = 0;
    if (limit <= 0)
        return LEVY_OK;
    if ((rc = levy_store_begin(st, err)))
        return rc;
    int64_t now = levy_clock_now_ms();
    /* by kind: index jobs_kind_state_run_at gives the order without scanning other kinds */
    sqlite3_stmt *s = prep(st,
                           kind ? "SELECT id, kind, key, payload, attempts, max_attempts, run_at, "
                                  "created_at FROM jobs WHERE kind=?2 AND state='queued' AND "
                                  "run_at<=?1 ORDER BY run_at, created_at, rowid LIMIT ?3"
                                : "SELECT id, kind, key, payload, attempts, max_attempts, run_at, "
                                  "created_at FROM jobs WHERE state='queued' AND run_at<=?1 AND "
                                  "?2 IS NULL ORDER BY run_at, created_at, rowid LIMIT ?3",
                           err);
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    sqlite3_bind_int64(s, 1, now_ms);
    bind_text_or_null(s, 2, kind);
    sqlite3_bind_int(s, 3, limit);
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        levy_job *j = &out[got];
        memset(j, 0, sizeof *j);
        snprintf(j->id, sizeof j->id, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(j->kind, sizeof j->kind, "%s", (const char *)sqlite3_column_text(s, 1));
        j->key = dup_col(s, 2);
        j->payload = dup_col(s, 3);
        j->attempts = sqlite3_column_int(s, 4) + 1;
        j->max_attempts = sqlite3_column_int(s, 5);
        j->run_at = sqlite3_column_int64(s, 6);
        j->created_at = sqlite3_column_int64(s, 7);
        got++;
        if (!j->payload || (sqlite3_column_type(s, 2) != SQLITE_NULL && !j->key)) {
            levy_store_release(st, s);
            rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            goto done;
        }
    }
    levy_store_release(st, s);
    if (src != SQLITE_DONE) {
        rc = levy_store_rc(st, src, err);
        goto done;
    }
    for (int i = 0; i < got; i++) {
        s = prep(st,
                 "UPDATE jobs SET state='running', attempts=attempts+1, updated_at=? WHERE id=?",
                 err);
        if (!s) {
            rc = err ? err->rc : LEVY_EINTERNAL;
            goto done;
        }
        sqlite3_bind_int64(s, 1, now);
        sqlite3_bind_text(s, 2, out[i].id, -1, SQLITE_STATIC);
        if ((rc = step_done(st, s, err)))
            goto done;
    }
done:
    rc = finish(st, rc, err);
    if (rc) {
        levy_jobs_free(out, got);
        got = 0;
    }
    *n = got;
    return rc;
}

/* UPDATE … WHERE id=? AND state='running'; LEVY_ENOTFOUND when nothing changed. */
static int transition(levy_store *st, const char *sql, const char *id, int64_t run_at,
                      const char *error_text, levy_err *err)
{
    sqlite3_stmt *s = prep(st, sql, err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    sqlite3_bind_int64(s, 1, levy_clock_now_ms());
    bind_text_or_null(s, 2, error_text);
    sqlite3_bind_int64(s, 3, run_at);
    sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
    int rc = step_done(st, s, err);
    if (rc == LEVY_OK && sqlite3_changes(levy_store_db(st)) == 0)
        rc = levy_err_set(err, LEVY_ENOTFOUND, "not_found", "job %.40s is not running", id);
    return rc;
}

int levy_jobs_done(levy_store *st, const char *id, levy_err *err)
{
    return transition(st,
                      "UPDATE jobs SET state='done', updated_at=?1, last_error=coalesce(?2, "
                      "last_error), run_at=run_at+0*?3 WHERE id=?4 AND state='running'",
                      id, 0, NULL, err);
}

int levy_jobs_dead(levy_store *st, const char *id, const char *error_text, levy_err *err)
{
    return transition(st,
                      "UPDATE jobs SET state='dead', updated_at=?1, last_error=?2, "
                      "run_at=run_at+0*?3 WHERE id=?4 AND state='running'",
                      id, 0, error_text, err);
}

/* A running job whose (kind, key) has a queued successor: mark it done (superseded) and pull
 * the successor's run_at forward to run_at. */
static int supersede(levy_store *st, const char *id, int64_t run_at, levy_err *err)
{
    sqlite3_stmt *s = prep(st,
                           "SELECT q.id FROM jobs r JOIN jobs q ON q.kind=r.kind AND q.key=r.key "
                           "AND q.state='queued' WHERE r.id=?",
                           err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    char qid[LEVY_JOB_ID_MAX] = "";
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        snprintf(qid, sizeof qid, "%s", (const char *)sqlite3_column_text(s, 0));
    levy_store_release(st, s);
    if (src != SQLITE_ROW)
        return levy_store_rc(st, src == SQLITE_DONE ? SQLITE_CONSTRAINT : src, err);
    char why[96];
    snprintf(why, sizeof why, "superseded by %s", qid);
    int rc = transition(st,
                        "UPDATE jobs SET state='done', updated_at=?1, last_error=?2, "
                        "run_at=run_at+0*?3 WHERE id=?4 AND state='running'",
                        id, 0, why, err);
    if (rc)
        return rc;
    s = prep(st, "UPDATE jobs SET run_at=min(run_at, ?) WHERE id=?", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    sqlite3_bind_int64(s, 1, run_at);
    sqlite3_bind_text(s, 2, qid, -1, SQLITE_STATIC);
    return step_done(st, s, err);
}

int levy_jobs_retry(levy_store *st, const char *id, int64_t run_at_ms, const char *error_text,
                    int count_attempt, levy_err *err)
{
    int rc = levy_store_begin(st, err);
    if (rc)
        return rc;
    rc = transition(st,
                    count_attempt ? "UPDATE jobs SET state='queued', updated_at=?1, last_error=?2, "
                                    "run_at=?3 WHERE id=?4 AND state='running'"
                                  : "UPDATE jobs SET state='queued', updated_at=?1, last_error=?2, "
                                    "run_at=?3, attempts=max(attempts-1,0) WHERE id=?4 AND "
                                    "state='running'",
                    id, run_at_ms, error_text, err);
    if (rc == LEVY_ECONFLICT)
        rc = supersede(st, id, run_at_ms, err);
    return finish(st, rc, err);
}

int levy_jobs_requeue_running(levy_store *st, int *n, levy_err *err)
{
    int rc = levy_store_begin(st, err), count = 0;
    if (rc)
        return rc;
    int64_t now = levy_clock_now_ms();
    sqlite3_stmt *s = prep(st, "SELECT id FROM jobs WHERE state='running' ORDER BY rowid", err);
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    char(*ids)[LEVY_JOB_ID_MAX] = NULL;
    int cap = 0, src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            void *nb = realloc(ids, (size_t)cap * sizeof *ids);
            if (!nb) {
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                break;
            }
            ids = nb;
        }
        snprintf(ids[count++], LEVY_JOB_ID_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
    }
    levy_store_release(st, s);
    if (rc == LEVY_OK && src != SQLITE_DONE)
        rc = levy_store_rc(st, src, err);
    for (int i = 0; rc == LEVY_OK && i < count; i++) {
        rc = transition(st,
                        "UPDATE jobs SET state='queued', updated_at=?1, "
                        "last_error=coalesce(?2, last_error), run_at=?3 WHERE id=?4 AND "
                        "state='running'",
                        ids[i], now, "interrupted (requeued at start)", err);
        if (rc == LEVY_ECONFLICT)
            rc = supersede(st, ids[i], now, err);
    }
    free(ids);
done:
    rc = finish(st, rc, err);
    if (n)
        *n = rc == LEVY_OK ? count : 0;
    return rc;
}

int levy_jobs_next_run_at(levy_store *st, int64_t *ms, levy_err *err)
{
    sqlite3_stmt *s = prep(st, "SELECT min(run_at) FROM jobs WHERE state='queued'", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    int src = sqlite3_step(s), rc;
    if (src == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
            rc = LEVY_ENOTFOUND;
        } else {
            *ms = sqlite3_column_int64(s, 0);
            rc = LEVY_OK;
        }
    } else {
        rc = levy_store_rc(st, src, err);
    }
    levy_store_release(st, s);
    return rc;
}

int levy_jobs_counts(levy_store *st, levy_jobs_count_fn fn, void *ud, levy_err *err)
{
    /* its own statement on the connection, not a cached one: a scrape must not record a
     * store failure (levy_store_rc) or hold a statement another caller expects idle */
    sqlite3 *db = levy_store_db(st);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state", -1,
                           &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return levy_err_set(err, LEVY_EIO, "store", "jobs: %s", sqlite3_errmsg(db));
    }
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        const char *state = (const char *)sqlite3_column_text(s, 1);
        if (kind && state)
            fn(ud, kind, state, sqlite3_column_int64(s, 2));
    }
    sqlite3_finalize(s);
    return src == SQLITE_DONE
               ? LEVY_OK
               : levy_err_set(err, LEVY_EIO, "store", "jobs: %s", sqlite3_errmsg(db));
}

int levy_jobs_oldest_queued(levy_store *st, int64_t now_ms, levy_jobs_count_fn fn, void *ud,
                            levy_err *err)
{
    /* its own statement, as levy_jobs_counts; jobs_kind_state serves the GROUP BY */
    sqlite3 *db = levy_store_db(st);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT kind, min(created_at) FROM jobs WHERE state = 'queued' "
                           "GROUP BY kind",
                           -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return levy_err_set(err, LEVY_EIO, "store", "jobs: %s", sqlite3_errmsg(db));
    }
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        int64_t age = now_ms - sqlite3_column_int64(s, 1);
        if (kind)
            fn(ud, kind, "queued", age > 0 ? age : 0);
    }
    sqlite3_finalize(s);
    return src == SQLITE_DONE
               ? LEVY_OK
               : levy_err_set(err, LEVY_EIO, "store", "jobs: %s", sqlite3_errmsg(db));
}
