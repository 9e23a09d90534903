/* Generations across replicas: content hash, store-issued order, heartbeat rows (genreg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto/crypto.h"
#include "host/genreg.h"
#include "hlog.h"

char *levy_genreg_rates_text(const levy_rates *rates)
{
    int n = rates ? levy_rates_ntables(rates) : 0;
    size_t cap = 1, len = 0;
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(rates, i);
        cap += strlen(t->source ? t->source : "") + strlen(t->vintage ? t->vintage : "") + 32;
    }
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        const levy_rates_table *t = levy_rates_table_at(rates, i);
        len += (size_t)snprintf(s + len, cap - len, "%s %s %ld\n", t->source ? t->source : "",
                                t->vintage ? t->vintage : "", t->rows);
    }
    return s;
}

void levy_genreg_hash(levy_gen *g, const levy_rates *rates)
{
    /* the files (tree_hash: paths and contents of plugins/ and scripts/) and the rate tables'
     * source, vintage and row count -- not their paths, which differ per data dir */
    char *rt = levy_genreg_rates_text(rates);
    size_t n = strlen(g->tree_hash) + (rt ? strlen(rt) : 0) + 32;
    char *buf = malloc(n);
    uint8_t md[LEVY_SHA256_LEN];
    if (!buf ||
        levy_crypto_sha256(
            buf, (size_t)snprintf(buf, n, "levy-generation-1\n%s\n%s", g->tree_hash, rt ? rt : ""),
            md, NULL) != LEVY_OK) {
        /* out of memory: the tree alone still names the files */
        snprintf(g->content_hash, sizeof g->content_hash, "%s", g->tree_hash);
    } else {
        levy_crypto_hex(md, sizeof md, g->content_hash);
    }
    free(buf);
    free(rt);
}

static int step_done(levy_store *st, levy_stmt *s, levy_err *err)
{
    int rc = levy_stmt_step(s, err);
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW ? LEVY_OK : rc;
}

/* *seq of hash (0: unknown); *max_seq and *max_hash of the newest content. */
static int read_seqs(levy_store *st, const char *hash, int64_t *seq, int64_t *max_seq,
                     char max_hash[65], levy_err *err)
{
    *seq = *max_seq = 0;
    max_hash[0] = '\0';
    levy_stmt *s = levy_store_prepare_cached(st, "SELECT seq FROM generations WHERE hash = ?", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, hash, -1);
    int rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW)
        *seq = levy_stmt_column_int64(s, 0);
    levy_store_release(st, s);
    if (rc != LEVY_STMT_ROW && rc != LEVY_OK)
        return rc;
    s = levy_store_prepare_cached(st, "SELECT seq, hash FROM generations ORDER BY seq DESC LIMIT 1",
                                  err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    rc = levy_stmt_step(s, err);
    if (rc == LEVY_STMT_ROW) {
        *max_seq = levy_stmt_column_int64(s, 0);
        const char *h = levy_stmt_column_text(s, 1);
        snprintf(max_hash, 65, "%s", h ? h : "");
    }
    levy_store_release(st, s);
    return rc == LEVY_STMT_ROW || rc == LEVY_OK ? LEVY_OK : rc;
}

/* One attempt: issues the next seq to g's content (insert, or move an existing row up). */
static int issue(levy_store *st, levy_gen *g, const char *rates_text, int known, int64_t next,
                 const char *replica, int64_t now, levy_err *err)
{
    levy_stmt *s;
    if (known) {
        s = levy_store_prepare_cached(
            st, "UPDATE generations SET seq = ?, seq_at_ms = ?, replica = ? WHERE hash = ?", err);
        if (!s)
            return err ? err->rc : LEVY_EINTERNAL;
        levy_stmt_bind_int64(s, 1, next);
        levy_stmt_bind_int64(s, 2, now);
        levy_stmt_bind_text_or_null(s, 3, replica);
        levy_stmt_bind_text(s, 4, g->content_hash, -1);
    } else {
        s = levy_store_prepare_cached(
            st,
            "INSERT INTO generations(hash, seq, tree_sha256, rates, first_loaded_ms, seq_at_ms, "
            "replica) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            err);
        if (!s)
            return err ? err->rc : LEVY_EINTERNAL;
        levy_stmt_bind_text(s, 1, g->content_hash, -1);
        levy_stmt_bind_int64(s, 2, next);
        levy_stmt_bind_text(s, 3, g->tree_hash, -1);
        levy_stmt_bind_text(s, 4, rates_text ? rates_text : "", -1);
        levy_stmt_bind_int64(s, 5, now);
        levy_stmt_bind_text_or_null(s, 6, replica);
    }
    levy_stmt_quiet(s); /* a clash with another replica is retried, not logged */
    return step_done(st, s, err);
}

/* 1 when a live replica other than this one serves a content newer than seq: this process
 * started on older files in the middle of a rollout. */
static int newer_live(levy_store *st, const char *replica, int64_t seq, levy_err *err)
{
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "SELECT count(*) FROM replicas WHERE id <> ? AND last_seen_ms >= ? AND generation_seq > ?",
        err);
    if (!s)
        return 0;
    levy_stmt_bind_text(s, 1, replica ? replica : "", -1);
    levy_stmt_bind_int64(s, 2, levy_clock_now_ms() - (int64_t)LEVY_GENREG_LIVE_S * 1000);
    levy_stmt_bind_int64(s, 3, seq);
    int n = levy_stmt_step(s, err) == LEVY_STMT_ROW ? (int)levy_stmt_column_int64(s, 0) : 0;
    levy_store_release(st, s);
    return n > 0;
}

int levy_genreg_register(levy_store *st, levy_gen *g, const levy_rates *rates, int reload,
                         const char *replica, levy_err *err)
{
    if (!st || !g)
        return LEVY_OK;
    if (!g->content_hash[0])
        levy_genreg_hash(g, rates);
    char *rt = levy_genreg_rates_text(rates);
    int rc = LEVY_OK;
    /* On SQLite the registration's COMMIT does not wait for the disk (a replayable
     * transaction, store.h): it runs on the loop at every reload, where its fdatasync stalled
     * every request for 0.3-40 ms on a busy disk (bench/README.md, h-reload23). Nothing durable
     * can refer to the seq without it: the WAL is one ordered file, so the first commit that
     * waits for the disk after it (a calculation carrying the seq, any connection's) syncs its
     * frames too; a power loss before that loses the row and the process that held the seq in
     * memory alike, and the next start registers again. Not on PostgreSQL: there the server
     * can lose an asynchronous commit while this process lives on with the seq, and another
     * replica could then be issued the same seq. */
    int lazy = levy_store_engine(st) != LEVY_STORE_POSTGRES;
    /* two replicas issuing a seq at once meet on seq's UNIQUE: the loser reads again */
    for (int attempt = 0; attempt < 8; attempt++) {
        int64_t seq = 0, max_seq = 0;
        char max_hash[65];
        if ((rc = lazy ? levy_store_begin_replayable(st, err) : levy_store_begin(st, err)))
            break;
        rc = read_seqs(st, g->content_hash, &seq, &max_seq, max_hash, err);
        /* known content keeps its seq when it is the newest, or at a start while another live
         * replica serves newer content (this one is the stale one of a rollout) */
        if (rc == LEVY_OK && seq > 0 &&
            (seq == max_seq || (!reload && newer_live(st, replica, seq, NULL)))) {
            rc = levy_store_commit(st, err);
            if (rc == LEVY_OK)
                g->seq = seq;
            break;
        }
        if (rc == LEVY_OK)
            rc = issue(st, g, rt, seq > 0, max_seq + 1, replica, levy_clock_now_ms(), err);
        if (rc == LEVY_OK && (rc = levy_store_commit(st, err)) == LEVY_OK) {
            g->seq = max_seq + 1;
            break;
        }
        levy_store_rollback(st, NULL);
        if (!err || strcmp(err->code, "constraint") != 0)
            break; /* only a clash on seq's UNIQUE is retried */
    }
    free(rt);
    if (rc == LEVY_OK)
        hlog(HLOG_INFO, "generation %llu: content %.12s is seq %lld across replicas",
             (unsigned long long)g->id, g->content_hash, (long long)g->seq);
    return rc;
}

int levy_genreg_refresh(levy_store *st, levy_gen *g, levy_err *err)
{
    if (!st || !g || g->seq <= 0)
        return LEVY_OK;
    levy_stmt *s = levy_store_prepare_cached(st, "SELECT seq FROM generations WHERE hash = ?", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, g->content_hash, -1);
    int rc = levy_stmt_step(s, err);
    int64_t seq = rc == LEVY_STMT_ROW ? levy_stmt_column_int64(s, 0) : 0;
    levy_store_release(st, s);
    if (rc != LEVY_STMT_ROW && rc != LEVY_OK)
        return rc;
    if (seq > 0 && seq != g->seq) {
        hlog(HLOG_INFO,
             "generation %llu: content %.12s is seq %lld now (was %lld): another replica "
             "reloaded onto it",
             (unsigned long long)g->id, g->content_hash, (long long)seq, (long long)g->seq);
        g->seq = seq;
    }
    return LEVY_OK;
}

int levy_genreg_beat(levy_store *st, const char *replica, const char *nonce, const levy_gen *g,
                     int64_t started_ms, int64_t now_ms, levy_err *err)
{
    if (!st || !g)
        return LEVY_OK;
    /* PostgreSQL: the session that writes the row, so a process starting under this id can
     * tell a live writer from a dead previous life (levy_genreg_clash) */
    levy_stmt *s = levy_store_prepare_cached(
        st,
        levy_store_engine(st) == LEVY_STORE_POSTGRES
            ? "INSERT INTO replicas(id, generation, generation_hash, generation_seq, "
              "loaded_at_ms, started_ms, last_seen_ms, version, nonce, session) VALUES (?1, ?2, "
              "?3, ?4, ?5, ?6, ?7, ?8, ?9, (SELECT pid || '@' || extract(epoch FROM "
              "backend_start)::text FROM pg_stat_activity WHERE pid = pg_backend_pid())) "
              "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, "
              "generation_hash = excluded.generation_hash, generation_seq = "
              "excluded.generation_seq, loaded_at_ms = excluded.loaded_at_ms, started_ms = "
              "excluded.started_ms, last_seen_ms = excluded.last_seen_ms, version = "
              "excluded.version, nonce = excluded.nonce, session = excluded.session"
            : "INSERT INTO replicas(id, generation, generation_hash, generation_seq, "
              "loaded_at_ms, started_ms, last_seen_ms, version, nonce, session) VALUES (?1, ?2, "
              "?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL) "
              "ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, "
              "generation_hash = excluded.generation_hash, generation_seq = "
              "excluded.generation_seq, loaded_at_ms = excluded.loaded_at_ms, started_ms = "
              "excluded.started_ms, last_seen_ms = excluded.last_seen_ms, version = "
              "excluded.version, nonce = excluded.nonce, session = excluded.session",
        err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, replica, -1);
    levy_stmt_bind_int64(s, 2, (int64_t)g->id);
    levy_stmt_bind_text(s, 3, g->content_hash, -1);
    if (g->seq > 0)
        levy_stmt_bind_int64(s, 4, g->seq);
    else
        levy_stmt_bind_null(s, 4);
    levy_stmt_bind_int64(s, 5, g->loaded_at_ms);
    levy_stmt_bind_int64(s, 6, started_ms);
    levy_stmt_bind_int64(s, 7, now_ms);
    levy_stmt_bind_text(s, 8, LEVY_VERSION, -1);
    levy_stmt_bind_text(s, 9, nonce ? nonce : "", -1);
    return step_done(st, s, err);
}

int levy_genreg_clash(levy_store *st, const char *replica, const char *nonce, int beaten,
                      levy_err *err)
{
    if (!st)
        return 0;
    levy_stmt *s = levy_store_prepare_cached(
        st,
        levy_store_engine(st) == LEVY_STORE_POSTGRES
            ? "SELECT r.nonce, EXISTS (SELECT 1 FROM pg_stat_activity a WHERE r.session = "
              "a.pid || '@' || extract(epoch FROM a.backend_start)::text AND a.pid <> "
              "pg_backend_pid()) FROM replicas r WHERE r.id = ?"
            : "SELECT nonce, 0 FROM replicas WHERE id = ?",
        err);
    if (!s)
        return -(err && err->rc ? err->rc : LEVY_EINTERNAL);
    levy_stmt_bind_text(s, 1, replica, -1);
    int rc = levy_stmt_step(s, err), clash = 0;
    if (rc == LEVY_STMT_ROW) {
        const char *theirs = levy_stmt_column_text(s, 0);
        int foreign = theirs && theirs[0] && strcmp(theirs, nonce) != 0;
        /* after our own beat only a live process can have written another nonce; before it,
         * the row may be our previous life's: a clash only while its session is connected */
        clash = foreign && (beaten || levy_stmt_column_int64(s, 1) != 0);
        rc = LEVY_OK;
    }
    levy_store_release(st, s);
    return rc == LEVY_OK ? clash : -(rc ? rc : LEVY_EINTERNAL);
}

int levy_genreg_forget(levy_store *st, const char *replica, const char *nonce, levy_err *err)
{
    if (!st)
        return LEVY_OK;
    /* only our own row: another live process under this id keeps its heartbeat */
    levy_stmt *s = levy_store_prepare_cached(
        st, "DELETE FROM replicas WHERE id = ? AND (nonce IS NULL OR nonce = ?)", err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_text(s, 1, replica, -1);
    levy_stmt_bind_text(s, 2, nonce ? nonce : "", -1);
    return step_done(st, s, err);
}

int levy_genreg_live(levy_store *st, int64_t now_ms, levy_genreg_replica **out, int *n,
                     levy_err *err)
{
    *out = NULL;
    *n = 0;
    if (!st)
        return LEVY_OK;
    levy_stmt *s = levy_store_prepare_cached(
        st,
        "SELECT id, generation, generation_hash, generation_seq, loaded_at_ms, started_ms, "
        "last_seen_ms, version FROM replicas WHERE last_seen_ms >= ? ORDER BY id",
        err);
    if (!s)
        return err ? err->rc : LEVY_EINTERNAL;
    levy_stmt_bind_int64(s, 1, now_ms - (int64_t)LEVY_GENREG_LIVE_S * 1000);
    levy_genreg_replica *v = NULL;
    int cnt = 0, cap = 0, rc;
    while ((rc = levy_stmt_step(s, err)) == LEVY_STMT_ROW) {
        if (cnt == cap) {
            int nc = cap ? cap * 2 : 8;
            levy_genreg_replica *nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                rc = levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        levy_genreg_replica *r = &v[cnt++];
        memset(r, 0, sizeof *r);
        const char *t = levy_stmt_column_text(s, 0);
        snprintf(r->id, sizeof r->id, "%s", t ? t : "");
        r->generation = (uint64_t)levy_stmt_column_int64(s, 1);
        t = levy_stmt_column_text(s, 2);
        snprintf(r->hash, sizeof r->hash, "%s", t ? t : "");
        r->seq = levy_stmt_column_int64(s, 3);
        r->loaded_at_ms = levy_stmt_column_int64(s, 4);
        r->started_ms = levy_stmt_column_int64(s, 5);
        r->last_seen_ms = levy_stmt_column_int64(s, 6);
        t = levy_stmt_column_text(s, 7);
        snprintf(r->version, sizeof r->version, "%s", t ? t : "");
    }
    levy_store_release(st, s);
    if (rc != LEVY_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *n = cnt;
    return LEVY_OK;
}
