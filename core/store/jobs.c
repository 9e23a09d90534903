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
static int64_t lease_ms = LEVY_JOB_DEFAULT_LEASE_MS;
static char lease_owner[128] = "levy";

void levy_jobs_set_lease(int64_t ms, const char *owner)
{
    lease_ms = ms > 0 ? ms : LEVY_JOB_DEFAULT_LEASE_MS;
    if (owner)
        snprintf(lease_owner, sizeof lease_owner, "%s", owner);
}

#define PG(st) (levy_store_engine(st) == LEVY_STORE_POSTGRES)

int64_t levy_jobs_lease_ms(void) { return lease_ms; }

int levy_jobs_renew_leases(levy_store *st, int64_t now_ms, levy_err *err)
{
    if (!PG(st))
        return LEVY_OK;
    /* state='running' is one probe of jobs_state_run_at (running jobs are few: the runners'
     * concurrency); claimed_by and the window are read from those rows */
    levy_stmt *s = levy_store_prepare_cached(st,
                                             "UPDATE jobs SET lease_until=?1 WHERE state='running' "
                                             "AND claimed_by=?2 AND lease_until<=?3",
                                             err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, now_ms + lease_ms);
    levy_stmt_bind_text(s, 2, lease_owner, -1);
    levy_stmt_bind_int64(s, 3, now_ms + lease_ms - lease_ms / LEVY_JOB_RENEW_FRACTION);
    int rc = levy_stmt_step(s, err);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}

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
static levy_stmt *prep(levy_store *st, const char *sql, levy_err *err)
{
    return levy_store_prepare_cached(st, sql, err);
}

static int step_done(levy_store *st, levy_stmt *s, levy_err *err)
{
    int rc = levy_stmt_step(s, err);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}

#define bind_text_or_null levy_stmt_bind_text_or_null

/* Ends a transaction opened by begin: commit on rc == OK, else rollback. */
static int finish(levy_store *st, int rc, levy_err *err)
{
    if (rc == LEVY_OK)
        return levy_store_commit(st, err);
    levy_store_rollback(st, NULL);
    return rc;
}

int levy_jobs_move_claims(levy_store *st, const char *const *from, int nfrom,
                          const char (*ids)[LEVY_JOB_ID_MAX], int n, int64_t now_ms, int *moved,
                          levy_err *err)
{
    if (moved)
        *moved = 0;
    if (n <= 0 || nfrom <= 0)
        return LEVY_OK;
    int rc = levy_store_begin(st, err), count = 0;
    for (int i = 0; rc == LEVY_OK && i < n; i++) {
        levy_stmt *s = levy_store_prepare_cached(
            st,
            "UPDATE jobs SET claimed_by=?1, lease_until=?2 WHERE id=?3 AND state='running' AND "
            "claimed_by IN (?4, ?5, ?6, ?7)",
            err);
        if (!s) {
            rc = err && err->rc ? err->rc : LEVY_EINTERNAL;
            break;
        }
        levy_stmt_bind_text(s, 1, lease_owner, -1);
        levy_stmt_bind_int64(s, 2, now_ms + lease_ms);
        levy_stmt_bind_text(s, 3, ids[i], -1);
        for (int k = 0; k < 4; k++)
            levy_stmt_bind_text_or_null(s, 4 + k, k < nfrom ? from[k] : NULL);
        rc = step_done(st, s, err);
        if (rc == LEVY_OK)
            count += (int)levy_store_changes(st);
    }
    rc = finish(st, rc, err);
    if (moved && rc == LEVY_OK)
        *moved = count;
    return rc;
}

void levy_jobs_notify(void)
{
    if (notify_fn)
        notify_fn(notify_ud);
}

#define ENQ_NOTIFY 0x100 /* call the notify hook (not the writer thread's quiet enqueue) */

int levy_jobs_check(const char *kind, const char *payload_json, levy_err *err)
{
    if (!kind || !*kind || strlen(kind) >= LEVY_JOB_KIND_MAX)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "job kind must be 1..127 bytes");
    if (!payload_json)
        return LEVY_OK;
    return levy_json_validate(payload_json, strlen(payload_json), LEVY_JSON_MAX_DEPTH, err);
}

static int enqueue(levy_store *st, const char *kind, const char *key, const char *payload_json,
                   int64_t run_at_ms, int max_attempts, char id_out[LEVY_JOB_ID_MAX], int flags,
                   levy_err *err)
{
    int rc;
    if ((rc = levy_jobs_check(kind, payload_json, err)))
        return rc;
    if (!payload_json)
        payload_json = "{}";
    if (max_attempts <= 0)
        max_attempts = LEVY_JOB_DEFAULT_MAX_ATTEMPTS;
    int64_t now = levy_clock_now_ms();
    if ((rc = levy_crypto_id("job_", id_out, LEVY_JOB_ID_MAX, err)))
        return rc;
    /* PostgreSQL inside a transaction: the one statement below already runs under a savepoint
     * of its own (pg.c: a failure leaves the transaction as it was), so a level of ours would
     * only add a SAVEPOINT and a RELEASE — two more round trips for each delivery's job in a
     * group of the writer thread */
    int own = !(PG(st) && levy_store_depth(st) > 0);
    if (own && (rc = levy_store_begin(st, err)))
        return rc;
    /* One statement on both engines: two processes enqueueing the same key at once meet on
     * the unique index jobs_queued_key (the second waits for the first and updates its row)
     * instead of both reading "none queued" and both inserting. On a conflict the queued job
     * keeps its id; its run_at moves earlier only when no retry of the runner set it (a job
     * backing off, last_error set, keeps its back-off: new work does not defeat it), unless
     * the caller asks for it (LEVY_JOB_SKIP_BACKOFF: a user's explicit "now"); its payload is
     * replaced unless the caller asks to keep it (LEVY_JOB_KEEP_PAYLOAD). */
    levy_stmt *s =
        prep(st,
             "INSERT INTO jobs(id, kind, key, payload, state, attempts, max_attempts, run_at, "
             "created_at, updated_at) VALUES (?1,?2,?3,?4,'queued',0,?5,?6,?7,?7) "
             "ON CONFLICT (kind, key) WHERE state = 'queued' AND key IS NOT NULL DO UPDATE SET "
             "payload=CASE WHEN ?9 = 1 THEN jobs.payload ELSE excluded.payload END, "
             "max_attempts=excluded.max_attempts, "
             "updated_at=excluded.updated_at, run_at=CASE WHEN (jobs.last_error IS NULL OR "
             "?8 = 1) AND excluded.run_at < jobs.run_at THEN excluded.run_at ELSE jobs.run_at END "
             "RETURNING id",
             err);
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    levy_stmt_bind_text(s, 1, id_out, -1);
    levy_stmt_bind_text(s, 2, kind, -1);
    bind_text_or_null(s, 3, key);
    levy_stmt_bind_text(s, 4, payload_json, -1);
    levy_stmt_bind_int64(s, 5, max_attempts);
    levy_stmt_bind_int64(s, 6, run_at_ms);
    levy_stmt_bind_int64(s, 7, now);
    levy_stmt_bind_int64(s, 8, (flags & LEVY_JOB_SKIP_BACKOFF) ? 1 : 0);
    levy_stmt_bind_int64(s, 9, (flags & LEVY_JOB_KEEP_PAYLOAD) ? 1 : 0);
    rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW) {
        snprintf(id_out, LEVY_JOB_ID_MAX, "%s", levy_stmt_column_text(s, 0));
        rc = LEVY_OK;
    } else if (rc == LEVY_OK) {
        rc = levy_err_set(err, LEVY_EINTERNAL, "internal", "jobs: enqueue returned no id");
    }
    levy_store_release(st, s);
done:
    if (own)
        rc = finish(st, rc, err);
    if (rc == LEVY_OK && (flags & ENQ_NOTIFY) && notify_fn)
        notify_fn(notify_ud);
    return rc;
}

int levy_jobs_enqueue(levy_store *st, const char *kind, const char *key, const char *payload_json,
                      int64_t run_at_ms, int max_attempts, char id_out[LEVY_JOB_ID_MAX],
                      levy_err *err)
{
    return enqueue(st, kind, key, payload_json, run_at_ms, max_attempts, id_out, ENQ_NOTIFY, err);
}

int levy_jobs_enqueue_flags(levy_store *st, const char *kind, const char *key,
                            const char *payload_json, int64_t run_at_ms, int max_attempts,
                            int flags, char id_out[LEVY_JOB_ID_MAX], levy_err *err)
{
    return enqueue(st, kind, key, payload_json, run_at_ms, max_attempts, id_out,
                   ENQ_NOTIFY | (flags & (LEVY_JOB_SKIP_BACKOFF | LEVY_JOB_KEEP_PAYLOAD)), err);
}

int levy_jobs_enqueue_quiet(levy_store *st, const char *kind, const char *key,
                            const char *payload_json, int64_t run_at_ms, int max_attempts,
                            char id_out[LEVY_JOB_ID_MAX], levy_err *err)
{
    return enqueue(st, kind, key, payload_json, run_at_ms, max_attempts, id_out, 0, err);
}

static char *dup_col(levy_stmt *s, int i)
{
    const char *t = levy_stmt_column_text(s, i);
    return t ? strdup(t) : NULL;
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
    /* PostgreSQL: several levy processes claim from one queue. FOR UPDATE SKIP LOCKED hands
     * each row to one of them; a running job whose lease ran out (its runner died) is claimed
     * again. */
    const char *sql;
    if (PG(st))
        sql = kind ? "SELECT id, kind, key, payload, attempts, max_attempts, run_at, created_at "
                     "FROM jobs WHERE kind=?2 AND ((state='queued' AND run_at<=?1) OR "
                     "(state='running' AND lease_until<?1)) ORDER BY run_at, created_at, rowid "
                     "LIMIT ?3 FOR UPDATE SKIP LOCKED"
                   : "SELECT id, kind, key, payload, attempts, max_attempts, run_at, created_at "
                     "FROM jobs WHERE ((state='queued' AND run_at<=?1) OR (state='running' AND "
                     "lease_until<?1)) AND ?2::text IS NULL ORDER BY run_at, created_at, rowid "
                     "LIMIT ?3 FOR UPDATE SKIP LOCKED";
    else
        /* by kind: index jobs_kind_state_run_at gives the order without scanning other kinds */
        sql = kind ? "SELECT id, kind, key, payload, attempts, max_attempts, run_at, "
                     "created_at FROM jobs WHERE kind=?2 AND state='queued' AND "
                     "run_at<=?1 ORDER BY run_at, created_at, rowid LIMIT ?3"
                   : "SELECT id, kind, key, payload, attempts, max_attempts, run_at, "
                     "created_at FROM jobs WHERE state='queued' AND run_at<=?1 AND "
                     "?2 IS NULL ORDER BY run_at, created_at, rowid LIMIT ?3";
    levy_stmt *s = prep(st, sql, err);
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    levy_stmt_bind_int64(s, 1, now_ms);
    bind_text_or_null(s, 2, kind);
    levy_stmt_bind_int64(s, 3, limit);
    int src;
    while ((src = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        levy_job *j = &out[got];
        memset(j, 0, sizeof *j);
        snprintf(j->id, sizeof j->id, "%s", levy_stmt_column_text(s, 0));
        snprintf(j->kind, sizeof j->kind, "%s", levy_stmt_column_text(s, 1));
        j->key = dup_col(s, 2);
        j->payload = dup_col(s, 3);
        j->attempts = (int)levy_stmt_column_int64(s, 4) + 1;
        j->max_attempts = (int)levy_stmt_column_int64(s, 5);
        j->run_at = levy_stmt_column_int64(s, 6);
        j->created_at = levy_stmt_column_int64(s, 7);
        got++;
        if (!j->payload || (levy_stmt_column_type(s, 2) != LEVY_COL_NULL && !j->key)) {
            levy_store_release(st, s);
            rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
            goto done;
        }
    }
    levy_store_release(st, s);
    if (src != LEVY_OK) {
        rc = src;
        goto done;
    }
    for (int i = 0; i < got; i++) {
        s = prep(st,
                 PG(st) ? "UPDATE jobs SET state='running', attempts=attempts+1, updated_at=?1, "
                          "lease_until=?3, claimed_by=?4 WHERE id=?2"
                        : "UPDATE jobs SET state='running', attempts=attempts+1, updated_at=? "
                          "WHERE id=?",
                 err);
        if (!s) {
            rc = err ? err->rc : LEVY_EINTERNAL;
            goto done;
        }
        levy_stmt_bind_int64(s, 1, now);
        levy_stmt_bind_text(s, 2, out[i].id, -1);
        if (PG(st)) {
            levy_stmt_bind_int64(s, 3, now + lease_ms);
            levy_stmt_bind_text(s, 4, lease_owner, -1);
        }
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
    levy_stmt *s = prep(st, sql, err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, levy_clock_now_ms());
    bind_text_or_null(s, 2, error_text);
    levy_stmt_bind_int64(s, 3, run_at);
    levy_stmt_bind_text(s, 4, id, -1);
    int rc = step_done(st, s, err);
    if (rc == LEVY_OK && levy_store_changes(st) == 0)
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

/* A running job whose (kind, key) has a queued successor (enqueued while it ran): mark it
 * done (superseded) and hand its retry to the successor, which carries the work from now on:
 * the retry's run_at (the runner's back-off: new work queued meanwhile does not defeat it),
 * its error (so later enqueues leave that back-off alone) and its attempts (with
 * count_attempt 0 the claim's increment undone, as in levy_jobs_retry). */
static int supersede(levy_store *st, const char *id, int64_t run_at, const char *error_text,
                     int count_attempt, levy_err *err)
{
    levy_stmt *s = prep(st,
                        "SELECT q.id, r.attempts FROM jobs r JOIN jobs q ON q.kind=r.kind AND "
                        "q.key=r.key AND q.state='queued' WHERE r.id=?",
                        err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, id, -1);
    char qid[LEVY_JOB_ID_MAX] = "";
    int64_t attempts = 0;
    int src = levy_stmt_step(s, err);
    if (src == LEVY_STMT_ROW) {
        snprintf(qid, sizeof qid, "%s", levy_stmt_column_text(s, 0));
        attempts = levy_stmt_column_int64(s, 1);
    }
    levy_store_release(st, s);
    if (src == LEVY_OK)
        return levy_err_set(err, LEVY_ECONFLICT, "constraint", "job %.40s: no queued successor",
                            id);
    if (src != LEVY_STMT_ROW)
        return src;
    if (!count_attempt && attempts > 0)
        attempts--;
    char why[96];
    snprintf(why, sizeof why, "superseded by %s", qid);
    int rc = transition(st,
                        "UPDATE jobs SET state='done', updated_at=?1, last_error=?2, "
                        "run_at=run_at+0*?3 WHERE id=?4 AND state='running'",
                        id, 0, why, err);
    if (rc)
        return rc;
    s = prep(st, "UPDATE jobs SET run_at=?1, last_error=?2, attempts=?3, updated_at=?4 WHERE id=?5",
             err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, run_at);
    levy_stmt_bind_text(s, 2, error_text ? error_text : "retry", -1);
    levy_stmt_bind_int64(s, 3, attempts);
    levy_stmt_bind_int64(s, 4, levy_clock_now_ms());
    levy_stmt_bind_text(s, 5, qid, -1);
    return step_done(st, s, err);
}

int levy_jobs_retry(levy_store *st, const char *id, int64_t run_at_ms, const char *error_text,
                    int count_attempt, levy_err *err)
{
    int rc = levy_store_begin(st, err);
    if (rc)
        return rc;
    rc = transition(st,
                    count_attempt ? "UPDATE jobs SET state='queued', updated_at=?1, "
                                    "last_error=coalesce(?2, 'retry'), run_at=?3 WHERE id=?4 AND "
                                    "state='running'"
                                  : "UPDATE jobs SET state='queued', updated_at=?1, "
                                    "last_error=coalesce(?2, 'retry'), run_at=?3, "
                                    "attempts=CASE WHEN attempts>0 THEN attempts-1 ELSE 0 END "
                                    "WHERE id=?4 AND state='running'",
                    id, run_at_ms, error_text, err);
    if (rc == LEVY_ECONFLICT)
        rc = supersede(st, id, run_at_ms, error_text, count_attempt, err);
    return finish(st, rc, err);
}

/* levy_jobs_revive inside the caller's transaction. */
/* The job ids statement s selects (column 0), read to the end into *ids (malloc'd, the
 * caller frees it, also on an error) and *count, s released: the ids are changed after the
 * read, never while a statement over the jobs table is open. */
static int collect_ids(levy_store *st, levy_stmt *s, char (**ids)[LEVY_JOB_ID_MAX], int *count,
                       levy_err *err)
{
    int cap = 0, src, rc = LEVY_OK;
    while ((src = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            void *nb = realloc(*ids, (size_t)cap * sizeof **ids);
            if (!nb) {
                rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                break;
            }
            *ids = nb;
        }
        snprintf((*ids)[(*count)++], LEVY_JOB_ID_MAX, "%s", levy_stmt_column_text(s, 0));
    }
    levy_store_release(st, s);
    if (rc == LEVY_OK && src != LEVY_OK)
        rc = src;
    return rc;
}

static int revive_one(levy_store *st, const char *id, int64_t now, char queued[LEVY_JOB_ID_MAX],
                      levy_err *err)
{
    /* the queued job of the same (kind, key), if any, is looked up first: an UPDATE that hit
     * the unique index would abort the transaction on PostgreSQL */
    levy_stmt *s = prep(st,
                        "SELECT r.state, r.attempts, r.last_error, (SELECT q.id FROM jobs q WHERE "
                        "q.kind=r.kind AND q.key=r.key AND q.state='queued' AND q.id<>r.id) "
                        "FROM jobs r WHERE r.id=?1",
                        err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, id, -1);
    char state[16] = "", qid[LEVY_JOB_ID_MAX] = "";
    char *last = NULL;
    int64_t attempts = 0;
    int src = levy_stmt_step(s, err);
    if (src == LEVY_STMT_ROW) {
        const char *t = levy_stmt_column_text(s, 0);
        snprintf(state, sizeof state, "%s", t ? t : "");
        attempts = levy_stmt_column_int64(s, 1);
        t = levy_stmt_column_text(s, 2);
        last = strdup(t ? t : "no error recorded");
        t = levy_stmt_column_text(s, 3);
        snprintf(qid, sizeof qid, "%s", t ? t : "");
    }
    levy_store_release(st, s);
    if (src == LEVY_OK)
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no job %.40s", id);
    if (src != LEVY_STMT_ROW)
        return src;
    if (!last)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    if (strcmp(state, "dead") != 0) {
        free(last);
        return levy_err_set(err, LEVY_ECONFLICT, "conflict",
                            "job %.40s is %s, not dead: only a job that gave up can be retried", id,
                            state);
    }
    int rc;
    if (qid[0]) {
        /* the queued job carries the work from now on; the dead one is done */
        char why[96];
        snprintf(why, sizeof why, "superseded by %s", qid);
        s = prep(st, "UPDATE jobs SET state='done', updated_at=?1, last_error=?2 WHERE id=?3", err);
        if (!s) {
            free(last);
            return err ? err->rc : LEVY_EINTERNAL;
        }
        levy_stmt_bind_int64(s, 1, now);
        levy_stmt_bind_text(s, 2, why, -1);
        levy_stmt_bind_text(s, 3, id, -1);
        rc = step_done(st, s, err);
        if (rc == LEVY_OK) {
            s = prep(st,
                     "UPDATE jobs SET run_at=CASE WHEN run_at>?1 THEN ?1 ELSE run_at END, "
                     "updated_at=?1 WHERE id=?2 AND state='queued'",
                     err);
            if (!s) {
                rc = err ? err->rc : LEVY_EINTERNAL;
            } else {
                levy_stmt_bind_int64(s, 1, now);
                levy_stmt_bind_text(s, 2, qid, -1);
                rc = step_done(st, s, err);
            }
        }
    } else {
        size_t cap = strlen(last) + 64;
        char *note = malloc(cap);
        if (!note) {
            free(last);
            return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        }
        snprintf(note, cap, "retried by hand after %lld attempts: %s", (long long)attempts, last);
        s = prep(st,
                 PG(st) ? "UPDATE jobs SET state='queued', attempts=0, run_at=?1, updated_at=?1, "
                          "last_error=?2, lease_until=NULL, claimed_by=NULL WHERE id=?3 AND "
                          "state='dead'"
                        : "UPDATE jobs SET state='queued', attempts=0, run_at=?1, updated_at=?1, "
                          "last_error=?2 WHERE id=?3 AND state='dead'",
                 err);
        if (!s) {
            rc = err ? err->rc : LEVY_EINTERNAL;
        } else {
            levy_stmt_bind_int64(s, 1, now);
            levy_stmt_bind_text(s, 2, note, -1);
            levy_stmt_bind_text(s, 3, id, -1);
            rc = step_done(st, s, err);
            if (rc == LEVY_OK && levy_store_changes(st) == 0)
                rc = levy_err_set(err, LEVY_ECONFLICT, "conflict",
                                  "job %.40s changed while being retried", id);
        }
        free(note);
        snprintf(qid, sizeof qid, "%s", id);
    }
    free(last);
    if (rc == LEVY_OK && queued)
        snprintf(queued, LEVY_JOB_ID_MAX, "%s", qid);
    return rc;
}

int levy_jobs_revive(levy_store *st, const char *id, char queued_out[LEVY_JOB_ID_MAX],
                     levy_err *err)
{
    if (queued_out)
        queued_out[0] = '\0';
    if (!id || !id[0] || strlen(id) >= LEVY_JOB_ID_MAX)
        return levy_err_set(err, LEVY_ENOTFOUND, "not_found", "no job %.40s", id ? id : "");
    int rc = levy_store_begin(st, err);
    if (rc)
        return rc;
    rc = revive_one(st, id, levy_clock_now_ms(), queued_out, err);
    return finish(st, rc, err);
}

int levy_jobs_revive_all(levy_store *st, const char *kind, int64_t since_ms, int *n, levy_err *err)
{
    int rc = levy_store_begin(st, err), count = 0;
    if (n)
        *n = 0;
    if (rc)
        return rc;
    int64_t now = levy_clock_now_ms();
    levy_stmt *s = prep(st,
                        "SELECT id FROM jobs WHERE state='dead' AND updated_at>=?1 AND "
                        "(CAST(?2 AS TEXT) IS NULL OR kind=?2) ORDER BY updated_at, id",
                        err);
    if (!s)
        return finish(st, err ? err->rc : LEVY_EINTERNAL, err);
    levy_stmt_bind_int64(s, 1, since_ms);
    bind_text_or_null(s, 2, kind);
    char(*ids)[LEVY_JOB_ID_MAX] = NULL;
    rc = collect_ids(st, s, &ids, &count, err);
    for (int i = 0; rc == LEVY_OK && i < count; i++)
        rc = revive_one(st, ids[i], now, NULL, err);
    free(ids);
    rc = finish(st, rc, err);
    if (n && rc == LEVY_OK)
        *n = count;
    return rc;
}

int levy_jobs_requeue_running(levy_store *st, int *n, levy_err *err)
{
    int rc = levy_store_begin(st, err), count = 0;
    if (rc)
        return rc;
    int64_t now = levy_clock_now_ms();
    /* PostgreSQL: the other levy processes' running jobs are theirs: only jobs whose lease
     * ran out (their runner died) are requeued */
    levy_stmt *s = prep(st,
                        PG(st) ? "SELECT id FROM jobs WHERE state='running' AND "
                                 "(lease_until IS NULL OR lease_until<?1 OR claimed_by=?2) "
                                 "ORDER BY rowid"
                               : "SELECT id FROM jobs WHERE state='running' ORDER BY rowid",
                        err);
    if (s && PG(st)) {
        levy_stmt_bind_int64(s, 1, now);
        levy_stmt_bind_text(s, 2, lease_owner, -1); /* this replica's previous life */
    }
    if (!s) {
        rc = err ? err->rc : LEVY_EINTERNAL;
        goto done;
    }
    char(*ids)[LEVY_JOB_ID_MAX] = NULL;
    rc = collect_ids(st, s, &ids, &count, err);
    for (int i = 0; rc == LEVY_OK && i < count; i++) {
        rc = transition(st,
                        "UPDATE jobs SET state='queued', updated_at=?1, "
                        "last_error=coalesce(?2, last_error), run_at=?3 WHERE id=?4 AND "
                        "state='running'",
                        ids[i], now, "interrupted (requeued at start)", err);
        if (rc == LEVY_ECONFLICT)
            rc = supersede(st, ids[i], now, "interrupted (requeued at start)", 1, err);
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
    levy_stmt *s = prep(st, "SELECT min(run_at) FROM jobs WHERE state='queued'", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    int src = levy_stmt_step(s, err), rc;
    if (src == LEVY_STMT_ROW) {
        if (levy_stmt_column_type(s, 0) == LEVY_COL_NULL) {
            rc = LEVY_ENOTFOUND;
        } else {
            *ms = levy_stmt_column_int64(s, 0);
            rc = LEVY_OK;
        }
    } else {
        rc = src;
    }
    levy_store_release(st, s);
    return rc;
}

int levy_jobs_next_due(levy_store *st, int64_t *ms, levy_err *err)
{
    /* each min() is one probe of jobs_state_run_at (state, run_at); running jobs are few (the
     * runners' concurrency), so their lease_until is read from the rows. PostgreSQL's
     * least() skips NULLs; SQLite claims never take a running job (one process, requeued at
     * its start) */
    levy_stmt *s =
        prep(st,
             PG(st) ? "SELECT least((SELECT min(run_at) FROM jobs WHERE state='queued'), "
                      "(SELECT min(lease_until) FROM jobs WHERE state='running'))"
                    : "SELECT min(run_at) FROM jobs WHERE state='queued'",
             err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    int src = levy_stmt_step(s, err), rc;
    if (src == LEVY_STMT_ROW)
        rc = levy_stmt_column_type(s, 0) == LEVY_COL_NULL ? LEVY_ENOTFOUND : LEVY_OK;
    else
        rc = src == LEVY_OK ? LEVY_ENOTFOUND : src;
    if (rc == LEVY_OK)
        *ms = levy_stmt_column_int64(s, 0);
    levy_store_release(st, s);
    return rc;
}

int levy_jobs_counts(levy_store *st, levy_jobs_count_fn fn, void *ud, levy_err *err)
{
    /* its own statement on the connection, not a cached one: a scrape must not record a
     * store failure (levy_store_rc) or hold a statement another caller expects idle */
    levy_stmt *s = NULL;
    levy_err e;
    levy_err_clear(&e);
    if (levy_store_prepare(st, "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state", &s,
                           NULL, &e) != LEVY_OK)
        return levy_err_set(err, LEVY_EIO, "store", "jobs: %s", e.message);
    levy_stmt_quiet(s);
    int src;
    while ((src = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
        const char *kind = levy_stmt_column_text(s, 0);
        const char *state = levy_stmt_column_text(s, 1);
        if (kind && state)
            fn(ud, kind, state, levy_stmt_column_int64(s, 2));
    }
    levy_stmt_finalize(s);
    return src == LEVY_OK ? LEVY_OK : levy_err_set(err, LEVY_EIO, "store", "jobs: %s", e.message);
}

int levy_jobs_oldest_queued(levy_store *st, int64_t now_ms, levy_jobs_count_fn fn, void *ud,
                            levy_err *err)
{
    /* its own statement, as levy_jobs_counts; jobs_kind_state serves the GROUP BY */
    levy_stmt *s = NULL;
    levy_err e;
    levy_err_clear(&e);
    if (levy_store_prepare(st,
                           "SELECT kind, min(created_at) FROM jobs WHERE state = 'queued' "
                           "GROUP BY kind",
                           &s, NULL, &e) != LEVY_OK)
        return levy_err_set(err, LEVY_EIO, "store", "jobs: %s", e.message);
    levy_stmt_quiet(s);
    int src;
    while ((src = levy_stmt_step(s, &e)) == LEVY_STMT_ROW) {
        const char *kind = levy_stmt_column_text(s, 0);
        int64_t age = now_ms - levy_stmt_column_int64(s, 1);
        if (kind)
            fn(ud, kind, "queued", age > 0 ? age : 0);
    }
    levy_stmt_finalize(s);
    return src == LEVY_OK ? LEVY_OK : levy_err_set(err, LEVY_EIO, "store", "jobs: %s", e.message);
}
