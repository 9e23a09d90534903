#ifndef LEVY_JOBS_H
#define LEVY_JOBS_H
/* Durable job queue in the store (table `jobs`, created by core migration 0001):
 *   jobs(id TEXT PRIMARY KEY "job_<24 base32>", kind TEXT, key TEXT NULL, payload TEXT (JSON),
 *        state TEXT 'queued'|'running'|'done'|'dead', attempts INTEGER, max_attempts INTEGER,
 *        run_at INTEGER (ms), created_at INTEGER (ms), updated_at INTEGER (ms),
 *        last_error TEXT NULL)
 *   UNIQUE (kind, key) WHERE state = 'queued'   -- de-duplication of pending work
 *   INDEX (state, run_at)
 * Times come from levy_clock_now_ms() (injectable). All calls are synchronous store work
 * and join the caller's open transaction if any (levy_store_begin / store.transaction),
 * else commit on their own. The runner (claiming and running Lua) belongs to the host.
 *
 * Lifecycle: enqueue → queued; claim → running (attempts+1); done → done;
 * retry → queued at run_at (attempts kept; when count_attempt is 0 the claim's increment is
 * undone, e.g. a Retry-After); dead → dead. The runner decides dead-after-max-attempts:
 * a failure with attempts >= max_attempts → levy_jobs_dead. requeue_running (at start) turns
 * every running job back to queued (run_at = now). When a retry or a requeue would collide with
 * a job of the same (kind, key) queued meanwhile (unique index), the newer queued job carries
 * the work: the older one is marked done with last_error "superseded by job_…" and the queued
 * one takes the retry's run_at, error (never NULL: "retry") and attempts: a back-off is not
 * defeated by work queued while the job ran. A queued job with last_error set was put back by
 * a retry or requeue: it is backing off (docs/host.md "Keyed jobs and back-off"). */
#include <stdint.h>

#include "levy.h"
#include "store.h"

#define LEVY_JOB_ID_MAX 40
#define LEVY_JOB_KIND_MAX 128
#define LEVY_JOB_DEFAULT_MAX_ATTEMPTS 8
#define LEVY_JOB_DEFAULT_LEASE_MS (10 * 60 * 1000)

/* PostgreSQL (several levy processes on one queue): a claim holds the job for ms (its lease,
 * jobs.lease_until) in the name of owner (the replica id, jobs.claimed_by); a running job
 * whose lease ran out is claimed again by whichever process claims next, and only such jobs
 * are requeued at start. SQLite ignores both: one process owns the queue and requeues every
 * running job at start (on PostgreSQL also those claimed under this process's own replica id:
 * a previous life of it). ms <= 0: the default (10 minutes). The runner renews its leases
 * while they run (levy_jobs_renew_leases), so only a process that stops renewing (crashed,
 * hung, cut off from the database for a lease) loses its jobs. The replica id must be unique
 * among the processes sharing the database. */
void levy_jobs_set_lease(int64_t ms, const char *owner);
/* PostgreSQL: one statement, no transaction of its own: the running jobs claimed under this
 * process's id whose lease is within its renewal window (at most three quarters of the
 * lease left at now_ms, i.e. renewed or claimed a quarter lease ago or more) get lease_until =
 * now_ms + the lease; the others are left alone. The job runner calls it only when one of its
 * jobs reaches that window (LEVY_JOB_RENEW_FRACTION), not on every pass. SQLite: nothing. */
int levy_jobs_renew_leases(levy_store *st, int64_t now_ms, levy_err *err);
/* The lease set by levy_jobs_set_lease (ms). */
int64_t levy_jobs_lease_ms(void);
/* A lease is renewed once a quarter of it has passed (three quarters still to run). */
#define LEVY_JOB_RENEW_FRACTION 4
/* This process took a new replica id (levy_jobs_set_lease with the new owner, after a clash):
 * the running jobs ids[0..n) it holds whose claim is still under one of the ids it had before
 * (from[0..nfrom), at most 4) become the new owner's, with a fresh lease, in one transaction
 * (a savepoint of the caller's). Without it their claims would no longer be renewed (the
 * renewal is by owner) and, once their lease ran out, any replica — this one included — would
 * claim and run them again while they still run here. A job no longer running, or claimed by
 * another process since, is left alone. *moved: how many moved (may be NULL). */
int levy_jobs_move_claims(levy_store *st, const char *const *from, int nfrom,
                          const char (*ids)[LEVY_JOB_ID_MAX], int n, int64_t now_ms, int *moved,
                          levy_err *err);

/* A claimed job. payload and key are malloc'd (free with levy_job_free / levy_jobs_free). */
typedef struct levy_job {
    char id[LEVY_JOB_ID_MAX];
    char kind[LEVY_JOB_KIND_MAX];
    char *key;     /* NULL when none */
    char *payload; /* JSON text */
    int attempts;  /* including this run */
    int max_attempts;
    int64_t run_at;
    int64_t created_at;
} levy_job;

void levy_job_free(levy_job *job);          /* frees key/payload, not the struct */
void levy_jobs_free(levy_job *jobs, int n); /* levy_job_free on each */

/* Enqueues (kind non-empty < 128 bytes; payload_json valid JSON, NULL → "{}";
 * max_attempts <= 0 → LEVY_JOB_DEFAULT_MAX_ATTEMPTS). With a key and an existing queued job
 * of the same (kind, key): its payload and max_attempts are replaced, run_at becomes
 * min(old, new) unless it is backing off (last_error set by a retry: run_at and attempts
 * kept), and its id is returned. One INSERT … ON CONFLICT on both engines: concurrent
 * enqueues of one key (several processes on PostgreSQL) leave one queued row. id_out gets
 * the job id. Calls the notify hook on success. */
int levy_jobs_enqueue(levy_store *st, const char *kind, const char *key, const char *payload_json,
                      int64_t run_at_ms, int max_attempts, char id_out[LEVY_JOB_ID_MAX],
                      levy_err *err);
/* The same with flags: LEVY_JOB_SKIP_BACKOFF pulls a queued job of the key forward to run_at
 * even while it is backing off (attempts kept): a user's explicit "do it now" (the Rillet
 * connection's Sync now / Import), never new work arriving on its own. */
#define LEVY_JOB_SKIP_BACKOFF 1
/* LEVY_JOB_KEEP_PAYLOAD: a queued job of the key keeps its own payload (the enqueue only asks
 * for one more run; its run_at moves as above). Scheduled work that must not overwrite what a
 * user's queued request asked for (the schedule tick's sweep vs a queued Sync now). */
#define LEVY_JOB_KEEP_PAYLOAD 2
int levy_jobs_enqueue_flags(levy_store *st, const char *kind, const char *key,
                            const char *payload_json, int64_t run_at_ms, int max_attempts,
                            int flags, char id_out[LEVY_JOB_ID_MAX], levy_err *err);
/* The same without the notify hook, for a thread other than the loop's (the writer thread,
 * writer.h): the loop calls levy_jobs_notify once the unit is complete. */
int levy_jobs_enqueue_quiet(levy_store *st, const char *kind, const char *key,
                            const char *payload_json, int64_t run_at_ms, int max_attempts,
                            char id_out[LEVY_JOB_ID_MAX], levy_err *err);
/* The checks an enqueue makes of its arguments before touching the store (kind non-empty and
 * < 128 bytes, payload_json valid JSON or NULL): LEVY_OK, or LEVY_EINVAL with err set. The
 * writer thread runs them in a unit whose keyed job it enqueues later, once for the group
 * (writer.c deferred_jobs), so a bad step still fails its own unit only. */
int levy_jobs_check(const char *kind, const char *payload_json, levy_err *err);
/* Calls the notify hook (levy_jobs_set_notify), if any. */
void levy_jobs_notify(void);

/* Claims up to limit due jobs (state queued, run_at <= now_ms; kind NULL = any kind) in
 * run_at, then created_at order, marking them running with attempts+1, in one transaction.
 * out must hold limit entries; *n = number claimed (caller frees with levy_jobs_free). */
int levy_jobs_claim(levy_store *st, const char *kind, int64_t now_ms, int limit, levy_job *out,
                    int *n, levy_err *err);

/* Terminal / retry transitions of a running job (LEVY_ENOTFOUND if id is not running). */
int levy_jobs_done(levy_store *st, const char *id, levy_err *err);
int levy_jobs_retry(levy_store *st, const char *id, int64_t run_at_ms, const char *error_text,
                    int count_attempt, levy_err *err);
int levy_jobs_dead(levy_store *st, const char *id, const char *error_text, levy_err *err);

/* An operator's retry of a job that gave up (state dead; POST /admin/jobs/{id}/retry): it is
 * queued again now with fresh attempts (0 of its max_attempts), keeping its id, kind, key,
 * payload and created_at; its last_error keeps what it died of, prefixed "retried by hand
 * after N attempts: " (a later failure replaces it). On PostgreSQL its stale lease is cleared.
 * When a job of the same (kind, key) is queued meanwhile (the unique index), that one carries
 * the work: it is pulled forward to now (an operator's "do it now") and the dead one is marked
 * done with last_error "superseded by job_…". queued_out (may be NULL) gets the id of the
 * queued job that carries the work. LEVY_ENOTFOUND: no job has this id; LEVY_ECONFLICT: the
 * job is not dead (err's message names its state). One transaction (a savepoint of the
 * caller's); the caller calls levy_jobs_notify after it commits. */
int levy_jobs_revive(levy_store *st, const char *id, char queued_out[LEVY_JOB_ID_MAX],
                     levy_err *err);
/* The same for every dead job whose updated_at (when it gave up) is >= since_ms, of one kind
 * (NULL: any kind), in one transaction. *n (may be NULL) = how many were retried. */
int levy_jobs_revive_all(levy_store *st, const char *kind, int64_t since_ms, int *n, levy_err *err);

/* Crash recovery at start: every running job → queued now. *n (may be NULL) = count. */
int levy_jobs_requeue_running(levy_store *st, int *n, levy_err *err);

/* Earliest run_at among queued jobs: *ms, returns LEVY_OK; LEVY_ENOTFOUND (err untouched)
 * when the queue is empty. */
int levy_jobs_next_run_at(levy_store *st, int64_t *ms, levy_err *err);

/* Earliest time a claim of any kind could find a job: the earliest run_at among queued jobs
 * and, on PostgreSQL, the earliest lease_until among running ones (a dead runner's job is
 * claimed again when its lease ends). One statement, no transaction (the job runner's idle
 * poll: nothing due, no BEGIN and no claims). *ms, LEVY_OK; LEVY_ENOTFOUND (err untouched)
 * when nothing is queued or running. */
int levy_jobs_next_due(levy_store *st, int64_t *ms, levy_err *err);

/* Calls fn(ud, kind, state, n) for each (kind, state) of the queue with n jobs in it (the
 * levy_jobs gauge of /metrics). Failures are returned, never recorded as the store's state. */
typedef void (*levy_jobs_count_fn)(void *ud, const char *kind, const char *state, int64_t n);
int levy_jobs_counts(levy_store *st, levy_jobs_count_fn fn, void *ud, levy_err *err);
/* Calls fn(ud, kind, "queued", age_ms) for each kind with a queued job: age_ms = now_ms minus
 * the creation time of its oldest queued job (levy_jobs_oldest_queued_age_seconds). */
int levy_jobs_oldest_queued(levy_store *st, int64_t now_ms, levy_jobs_count_fn fn, void *ud,
                            levy_err *err);

/* Full-jitter exponential backoff: uniform in [0, min(max_ms, base_ms * 2^attempt)] drawn
 * from `random` (a uniformly random 64-bit value supplied by the caller). Never overflows. */
int64_t levy_jobs_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint64_t random);

/* Called synchronously after every successful enqueue, possibly while the caller's
 * transaction is still open (the job becomes visible at its commit): the hook must only
 * schedule work (e.g. event_active on the runner's timer event), never claim jobs itself.
 * NULL clears. */
void levy_jobs_set_notify(void (*fn)(void *ud), void *ud);

/* Lua outcome markers (core/lua/bind_jobs.c). A job handler may return the value of
 * jobs.retry(delay_ms, why) or jobs.dead(why): a table with metatable registered as
 * LEVY_JOB_OUTCOME_MT:
 *   { action = "retry", delay_ms = <integer >= 0>, why = <string|nil>, count = <boolean> }
 *   { action = "dead", why = <string|nil> }
 * `count` is false when jobs.retry is given an explicit delay (Retry-After style: not counted
 * as a failure), i.e. the runner calls levy_jobs_retry(..., count_attempt = 0); without a
 * delay_ms (nil) the runner applies its backoff and count = true. The runner recognises the
 * marker by comparing the value's metatable with luaL_getmetatable(L, LEVY_JOB_OUTCOME_MT)
 * (registered by luaopen_levy_jobs) and then reads the plain fields. */
#define LEVY_JOB_OUTCOME_MT "levy.JobOutcome"

#endif
