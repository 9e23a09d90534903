/* The PostgreSQL store engine (libpq), behind store.h's API (issue 22). See store.h for the
 * value and error mapping. One connection per store, as SQLite has one handle: levy serves
 * from one event loop, so statements never overlap on a connection. Results are fetched
 * whole at the first step; parameters travel as text with their types left to the server,
 * as SQLite's affinity does, except where the server cannot infer one (`? IS NULL`: SQLSTATE
 * 42P18 / 42P08), where integers are sent as int8 and the rest as text (remembered per
 * statement: sent typed at once the next time). Each connection prepares a statement the
 * first time it runs it (in the same round trip) and runs it prepared afterwards, so the
 * server parses and plans it once per connection (pcache_ent: at most PCACHE_MAX, the least
 * recently used DEALLOCATEd; all forgotten with the connection; a plan a migration made stale
 * is prepared again). libpq is loaded by the first connection (store/pq_dl.h, issue 21): a
 * SQLite levy never maps it. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/pq_dl.h"
#include "store_engine.h"

#define MIGRATION_LOCK_KEY "7413370022" /* pg_advisory_lock key of levy's migrations */
#define PENDING_MAX 4                   /* transaction levels sent with the next statement */
#define PCACHE_MAX 128  /* prepared statements kept per connection (least recently used goes) */
#define PDEALLOC_MAX 16 /* evicted statements whose DEALLOCATE waits for an idle connection */

/* A statement prepared on the connection (PQsendPrepare once, then PQsendQueryPrepared):
 * the server parses and plans it once per connection, not at every execution. Keyed by the
 * rewritten SQL and the parameter types it was prepared with ("" when left to the server). */
struct pcache_ent {
    char *key;       /* pgsql "\x01" types ('i' int8, 't' text per parameter; "" untyped) */
    uint64_t hash;   /* of key */
    int64_t used;    /* the connection's tick of its last use (least recently used: evicted) */
    int needs_types; /* untyped, the server could not infer a parameter's type (42P18 / 42P08):
                         sent typed at once; no server statement (name empty) */
    char name[24];   /* levy_s<n>, unique for the connection's life */
};

struct levy_pg {
    PGconn *conn;
    char *url;
    int64_t changes;
    int64_t last_connect; /* monotonic ms of the last (re)connection attempt */
    int readonly;         /* LEVY_STORE_READONLY: every transaction read-only */
    int64_t round_trips;  /* requests that waited for the server (levy_store_round_trips) */
    /* BEGIN / SAVEPOINT levy_<n> not sent yet (levy_pg_begin): they go ahead of the next
     * statement, in the same round trip; a level closed before anything ran sends nothing */
    char pending[PENDING_MAX][32];
    int npending;
    int pending_begin; /* pending[0] is the BEGIN: a transaction is open for the callers */
    /* prepared statements of this connection (forgotten when it is made again) */
    struct pcache_ent cache[PCACHE_MAX];
    int ncache;
    int64_t tick;
    unsigned next_name;
    char dealloc[PDEALLOC_MAX][24]; /* evicted or stale: DEALLOCATEd when the connection is
                                       idle (outside a transaction, where it cannot abort one) */
    int ndealloc;
};

#define RECONNECT_EVERY_MS 1000 /* a blocking connect at most once a second while it fails */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct levy_pgstmt {
    char *sql;   /* as given (one statement) */
    char *pgsql; /* ? → $n */
    int nparams;
    char **vals;
    int *lens;
    unsigned char *isint;
    PGresult *res;
    int row;      /* next row to hand out */
    int cur;      /* the current row (after a step returned ROW) */
    int ran;      /* executed since the last reset */
    int ro;       /* read-only statement */
    int *coltype; /* LEVY_COL_* per column of res (NULL column values aside) */
};

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

int levy_store_pg_conninfo(const char *url, char *out, size_t cap)
{
    if (levy_pq_load(NULL) != LEVY_OK)
        return LEVY_EIO;
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    if (!opts) {
        PQfreemem(msg);
        return LEVY_EINVAL;
    }
    size_t o = 0;
    int rc = LEVY_OK;
    out[0] = 0;
    for (PQconninfoOption *p = opts; p->keyword && rc == LEVY_OK; p++) {
        if (!p->val || !p->val[0] || strcmp(p->keyword, "password") == 0)
            continue;
        /* value as libpq reads it: bare when plain, else in '...' with \ and \' escaped */
        int plain = 1;
        for (const char *c = p->val; *c; c++)
            if (!(isalnum((unsigned char)*c) || strchr("._-/:@,+", *c)))
                plain = 0;
        size_t need = strlen(p->keyword) + 2 * strlen(p->val) + 5;
        if (o + need >= cap) {
            rc = LEVY_EINVAL;
            break;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s%s=", o ? " " : "", p->keyword);
        if (!plain)
            out[o++] = '\'';
        for (const char *c = p->val; *c; c++) {
            if (!plain && (*c == '\'' || *c == '\\'))
                out[o++] = '\\';
            out[o++] = *c;
        }
        if (!plain)
            out[o++] = '\'';
        out[o] = 0;
    }
    PQconninfoFree(opts);
    return rc;
}

char *levy_store_redact_url(const char *url) { return levy_pg_redact_url(url); }

char *levy_pg_redact_url(const char *url)
{
    char *out = malloc(strlen(url) + 8 + 16);
    if (!out)
        return NULL;
    const char *p = strstr(url, "://");
    size_t o = 0;
    if (!p) {
        strcpy(out, url);
        return out;
    }
    p += 3;
    memcpy(out, url, (size_t)(p - url));
    o = (size_t)(p - url);
    const char *at = p, *end = p + strcspn(p, "/?#");
    const char *atp = NULL;
    for (; at < end; at++)
        if (*at == '@')
            atp = at;
    if (atp) {
        const char *colon = memchr(p, ':', (size_t)(atp - p));
        if (colon) {
            memcpy(out + o, p, (size_t)(colon - p));
            o += (size_t)(colon - p);
            memcpy(out + o, ":***", 4);
            o += 4;
            p = atp;
        }
    }
    /* the rest, with password=… in the query masked */
    while (*p) {
        if ((p[-1] == '?' || p[-1] == '&') && strncmp(p, "password=", 9) == 0) {
            memcpy(out + o, "password=***", 12);
            o += 12;
            p += 9;
            while (*p && *p != '&')
                p++;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    return out;
}

/* A failure: what it implies about the store (levy_store_last_failure) and, unless OK, the
 * store's state. */
static void failed(levy_store *st, int state, const char *msg)
{
    st->fail_state = state;
    st->fail_code = 0;
    if (state != LEVY_STORE_STATE_OK)
        levy_store_note_state(st, state, msg);
}

/* The prepared statements are the connection's: a new one (or none) has none of them. */
static void cache_clear(struct levy_pg *pg)
{
    for (int i = 0; i < pg->ncache; i++)
        free(pg->cache[i].key);
    pg->ncache = 0;
    pg->ndealloc = 0;
}

static int connect_now(levy_store *st, levy_err *err)
{
    struct levy_pg *pg = st->pg;
    if (pg->conn)
        PQfinish(pg->conn);
    cache_clear(pg);
    pg->last_connect = mono_ms();
    /* later keywords win: the URL's own connect_timeout / options override these */
    const char *keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
    const char *vals[] = {"5", "levy", "-c lock_timeout=5000 -c statement_timeout=30000", pg->url,
                          NULL};
    pg->conn = PQconnectdbParams(keys, vals, 1);
    if (!pg->conn)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(pg->conn));
        for (char *c = msg; *c; c++)
            if (*c == '\n')
                *c = *(c + 1) ? ' ' : 0;
        failed(st, LEVY_STORE_STATE_UNREACHABLE, msg);
        return levy_err_set(err, LEVY_EBUSY, "unavailable", "cannot connect to %s: %s", st->path,
                            msg);
    }
    PQsetNoticeProcessor(pg->conn, quiet_notice, NULL);
    if (st->busy_budget_ms > 0) { /* levy_store_set_busy_budget, kept across reconnects */
        char sql[64];
        snprintf(sql, sizeof sql, "SET lock_timeout = %d", st->busy_budget_ms);
        PQclear(PQexec(pg->conn, sql));
    }
    if (pg->readonly) {
        PGresult *r = PQexec(pg->conn, "SET default_transaction_read_only = on");
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok)
            return levy_err_set(err, LEVY_EBUSY, "unavailable", "%s: cannot make it read-only",
                                st->path);
    }
    return LEVY_OK;
}

/* The URL's password (user:PASSWORD@ and ?password=), as written, to the logger's secrets: a
 * line that ever carried it (a plugin's error text, a libpq message) is masked. */
static void register_password(const char *url)
{
    char buf[512];
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    size_t hl = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *c = p; c < p + hl; c++)
        if (*c == '@')
            at = c;
    const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    if (colon && (size_t)(at - colon - 1) < sizeof buf) {
        memcpy(buf, colon + 1, (size_t)(at - colon - 1));
        buf[at - colon - 1] = 0;
        levy_log_add_secret(buf);
    }
    for (const char *q = strstr(url, "password="); q; q = strstr(q + 9, "password=")) {
        size_t n = strcspn(q + 9, "&#");
        if ((q[-1] == '?' || q[-1] == '&') && n < sizeof buf) {
            memcpy(buf, q + 9, n);
            buf[n] = 0;
            levy_log_add_secret(buf);
        }
    }
}

int levy_pg_connect(levy_store *st, const char *url, int readonly, levy_err *err)
{
    register_password(url);
    int lrc = levy_pq_load(err);
    if (lrc != LEVY_OK)
        return lrc;
    st->pg = calloc(1, sizeof *st->pg);
    if (!st->pg || !(st->pg->url = strdup(url)))
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    st->pg->readonly = readonly;
    int rc = connect_now(st, err);
    if (rc == LEVY_OK)
        st->state = LEVY_STORE_STATE_OK;
    return rc;
}

void levy_pg_close(levy_store *st)
{
    if (!st->pg)
        return;
    if (st->pg->conn)
        PQfinish(st->pg->conn);
    cache_clear(st->pg);
    if (st->pg->url) {
        memset(st->pg->url, 0, strlen(st->pg->url)); /* it holds the password */
        free(st->pg->url);
    }
    free(st->pg);
    st->pg = NULL;
}

/* Outside a transaction, a lost connection is made again. */
static int ensure_conn(levy_store *st, levy_err *err)
{
    if (st->pg->conn && PQstatus(st->pg->conn) == CONNECTION_OK)
        return LEVY_OK;
    if (st->depth > 0) {
        failed(st, LEVY_STORE_STATE_UNREACHABLE, "connection lost");
        return levy_err_set(err, LEVY_EBUSY, "unavailable",
                            "store %s: connection lost inside a transaction", st->path);
    }
    /* libpq's connect blocks the loop (up to connect_timeout): while the server is away,
     * requests fail at once between attempts */
    int64_t now = mono_ms();
    if (st->pg->last_connect && now - st->pg->last_connect < RECONNECT_EVERY_MS &&
        now >= st->pg->last_connect) {
        failed(st, LEVY_STORE_STATE_UNREACHABLE, "reconnecting");
        return levy_err_set(err, LEVY_EBUSY, "unavailable",
                            "store %s cannot be reached (next attempt within a second)", st->path);
    }
    return connect_now(st, err);
}

int levy_pg_in_transaction(levy_store *st)
{
    if (st->pg->pending_begin)
        return 1;
    if (!st->pg->conn || PQstatus(st->pg->conn) != CONNECTION_OK)
        return 0;
    PGTransactionStatusType t = PQtransactionStatus(st->pg->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* A failed result (or none) → LEVY_E*, noting the store's state. */
static int fail(levy_store *st, PGresult *res, levy_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[400];
    const char *m = res ? PQresultErrorMessage(res) : "";
    if (!m || !*m)
        m = PQerrorMessage(st->pg->conn);
    snprintf(msg, sizeof msg, "%s", m && *m ? m : "no result");
    for (char *c = msg; *c; c++)
        if (*c == '\n')
            *c = *(c + 1) ? ' ' : 0;
    if (PQstatus(st->pg->conn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0) {
        failed(st, LEVY_STORE_STATE_UNREACHABLE, msg);
        return levy_err_set(err, LEVY_EBUSY, "unavailable", "store unavailable: %s", msg);
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0 || strncmp(state, "53", 2) == 0) {
        failed(st, LEVY_STORE_STATE_BUSY, msg);
        return levy_err_set(err, LEVY_EBUSY, "busy", "store busy: %s", msg);
    }
    failed(st, LEVY_STORE_STATE_OK, msg);
    if (strncmp(state, "23", 2) == 0)
        return levy_err_set(err, LEVY_ECONFLICT, "constraint", "%s", msg);
    return levy_err_set(err, LEVY_EINVAL, "sql", "%s", msg);
}

static void ok_again(levy_store *st)
{
    if (st->state != LEVY_STORE_STATE_OK && st->state != LEVY_STORE_STATE_CORRUPT)
        levy_store_note_state(st, LEVY_STORE_STATE_OK, "");
}

/* The pending levels' text, each followed by "; " (empty when none), and forgets them: the
 * caller sends it now. */
static void take_pending(levy_store *st, char *out, size_t cap)
{
    struct levy_pg *pg = st->pg;
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < pg->npending; i++)
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s; ", pg->pending[i]);
    pg->npending = 0;
    pg->pending_begin = 0;
}

int levy_pg_exec(levy_store *st, const char *sql, levy_err *err)
{
    int rc = ensure_conn(st, err);
    if (rc)
        return rc;
    st->pg->round_trips++;
    PGresult *res;
    if (st->pg->npending) { /* the levels not sent yet, in the same simple query */
        char pre[PENDING_MAX * 34 + 1];
        take_pending(st, pre, sizeof pre);
        size_t n = strlen(pre) + strlen(sql) + 1;
        char *q = malloc(n);
        if (!q)
            return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        snprintf(q, n, "%s%s", pre, sql);
        res = PQexec(st->pg->conn, q);
        free(q);
    } else {
        res = PQexec(st->pg->conn, sql);
    }
    ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && t != PGRES_EMPTY_QUERY) {
        rc = fail(st, res, err);
    } else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0 && strncmp(sql, "COMMIT", 6) == 0) {
        rc = levy_err_set(err, LEVY_EINVAL, "sql", "the transaction was aborted");
    } else {
        st->pg->changes = atoll(PQcmdTuples(res));
        ok_again(st);
    }
    PQclear(res);
    return rc;
}

int levy_pg_ping(levy_store *st, levy_err *err)
{
    if (st->depth > 0)
        return LEVY_OK;
    return levy_pg_exec(st, "SELECT 1", err);
}

int levy_pg_set_lock_timeout(levy_store *st, int ms, levy_err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms > 0 ? ms : 5000);
    return levy_pg_exec(st, sql, err);
}

int levy_pg_lock_migrations(levy_store *st, int lock, levy_err *err)
{
    if (!lock)
        return levy_pg_exec(st, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", err);
    /* another process's migrations may take longer than any lock budget: wait them out */
    int rc = levy_pg_exec(st, "SET lock_timeout = 0", err);
    if (rc == LEVY_OK)
        rc = levy_pg_exec(st, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", err);
    levy_pg_set_lock_timeout(st, st->busy_budget_ms, NULL);
    return rc;
}

int64_t levy_pg_changes(levy_store *st) { return st->pg->changes; }

int levy_pg_begin(levy_store *st, const char *sql, levy_err *err)
{
    struct levy_pg *pg = st->pg;
    if (pg->npending == PENDING_MAX || strlen(sql) >= sizeof pg->pending[0])
        return levy_pg_exec(st, sql, err); /* sends the others with it */
    if (pg->npending == 0) {
        int rc = ensure_conn(st, err); /* as an exec would: reconnect outside a transaction */
        if (rc)
            return rc;
    }
    if (st->depth == 0)
        pg->pending_begin = 1;
    snprintf(pg->pending[pg->npending++], sizeof pg->pending[0], "%s", sql);
    return LEVY_OK;
}

int levy_pg_end(levy_store *st)
{
    struct levy_pg *pg = st->pg;
    if (!pg->npending)
        return 0;
    if (--pg->npending == 0)
        pg->pending_begin = 0;
    return 1;
}
int64_t levy_pg_round_trips(levy_store *st) { return st->pg->round_trips; }

/* ---- statements ---------------------------------------------------------------------- */

/* SQLite's placeholders → PostgreSQL's: `?NNN` → `$NNN`, `?` → `$(largest so far + 1)`,
 * outside '…' literals, "…" identifiers and comments. Stops at the first `;` outside them
 * (*end: where). Returns the largest index (the parameter count) or -1 on OOM. */
static int rewrite(const char *sql, char **out, const char **end)
{
    /* each `?` becomes `$` + at most 11 characters (an int's decimal form); a `?NNN` no
     * longer than that. Twice the length was not enough: "?, " (3) → "$1000, " (7) from the
     * 1000th parameter on (a batched INSERT of levy migrate-store wrote past the buffer) */
    size_t n = strlen(sql), q = 0;
    for (const char *c = sql; *c; c++)
        q += *c == '?';
    char *o = malloc(n + q * 12 + 2), *w = o;
    if (!o)
        return -1;
    int max = 0;
    const char *p = sql;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"') {
            *w++ = *p++;
            while (*p) {
                if (*p == c && p[1] == c) {
                    *w++ = *p++;
                    *w++ = *p++;
                    continue;
                }
                if (*p == c)
                    break;
                *w++ = *p++;
            }
            if (*p)
                *w++ = *p++;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *w++ = *p++;
        } else if (c == '/' && p[1] == '*') {
            *w++ = *p++;
            *w++ = *p++;
            while (*p && !(*p == '*' && p[1] == '/'))
                *w++ = *p++;
            if (*p) {
                *w++ = *p++;
                *w++ = *p++;
            }
        } else if (c == '?') {
            p++;
            int idx;
            if (isdigit((unsigned char)*p)) {
                idx = (int)strtol(p, (char **)&p, 10);
            } else {
                idx = max + 1;
            }
            if (idx > max)
                max = idx;
            w += sprintf(w, "$%d", idx);
        } else if (c == ';') {
            break;
        } else {
            *w++ = *p++;
        }
    }
    *w = 0;
    if (end)
        *end = p;
    *out = o;
    return max;
}

static int word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

/* Read-only: SELECT/VALUES/SHOW/TABLE/EXPLAIN, or WITH … without a data-modifying verb
 * (looked for as whole words outside literals: rewrite() left them in place). */
static int readonly_sql(const char *sql)
{
    const char *p = sql;
    while (*p && (isspace((unsigned char)*p) || *p == '('))
        p++;
    if (word_at(p, "select") || word_at(p, "values") || word_at(p, "show") || word_at(p, "table") ||
        word_at(p, "explain"))
        return 1;
    if (!word_at(p, "with"))
        return 0;
    char q = 0;
    for (const char *c = p; *c; c++) {
        if (q) {
            if (*c == q)
                q = 0;
            continue;
        }
        if (*c == '\'' || *c == '"') {
            q = *c;
            continue;
        }
        if ((c == p || !isalnum((unsigned char)c[-1])) &&
            (word_at(c, "insert") || word_at(c, "update") || word_at(c, "delete") ||
             word_at(c, "merge")))
            return 0;
    }
    return 1;
}

int levy_pg_prepare(levy_store *st, const char *sql, levy_stmt *s, const char **tail, levy_err *err)
{
    (void)st;
    struct levy_pgstmt *p = calloc(1, sizeof *p);
    if (!p)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    const char *end = NULL;
    int n = rewrite(sql, &p->pgsql, &end);
    if (n < 0) {
        free(p);
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    }
    if (tail) {
        *tail = *end ? end + 1 : end;
    } else if (*end) { /* the cache's statements are one statement: ignore trailing `;` */
        const char *q = end;
        while (*q == ';' || isspace((unsigned char)*q))
            q++;
        if (*q) {
            free(p->pgsql);
            free(p);
            return levy_err_set(err, LEVY_EINVAL, "sql", "one statement per call");
        }
    }
    const char *q = p->pgsql;
    while (isspace((unsigned char)*q))
        q++;
    if (!*q) {
        free(p->pgsql);
        free(p);
        return levy_err_set(err, LEVY_EINVAL, "sql", "empty SQL");
    }
    p->sql = strndup(sql, (size_t)(end - sql));
    p->nparams = n;
    p->vals = calloc((size_t)n + 1, sizeof *p->vals);
    p->lens = calloc((size_t)n + 1, sizeof *p->lens);
    p->isint = calloc((size_t)n + 1, 1);
    if (!p->sql || !p->vals || !p->lens || !p->isint) {
        s->pg = p;
        levy_pg_stmt_free(s);
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    }
    p->ro = readonly_sql(p->pgsql);
    s->pg = p;
    return LEVY_OK;
}

static void clear_result(struct levy_pgstmt *p)
{
    PQclear(p->res);
    p->res = NULL;
    free(p->coltype);
    p->coltype = NULL;
    p->row = p->cur = 0;
    p->ran = 0;
}

void levy_pg_reset(levy_stmt *s)
{
    struct levy_pgstmt *p = s->pg;
    clear_result(p);
    for (int i = 0; i < p->nparams; i++) {
        free(p->vals[i]);
        p->vals[i] = NULL;
        p->isint[i] = 0;
    }
}

void levy_pg_stmt_free(levy_stmt *s)
{
    struct levy_pgstmt *p = s->pg;
    if (!p)
        return;
    if (p->vals)
        levy_pg_reset(s);
    else
        clear_result(p);
    free(p->vals);
    free(p->lens);
    free(p->isint);
    free(p->sql);
    free(p->pgsql);
    free(p);
    s->pg = NULL;
}

int levy_pg_bind(levy_stmt *s, int i, const char *v, long len, int is_int)
{
    struct levy_pgstmt *p = s->pg;
    if (i < 1 || i > p->nparams)
        return LEVY_OK; /* as SQLite's callers expect of an unused index */
    if (p->ran)
        clear_result(p);
    free(p->vals[i - 1]);
    p->vals[i - 1] = NULL;
    p->isint[i - 1] = (unsigned char)is_int;
    if (!v)
        return LEVY_OK;
    size_t n = len < 0 ? strlen(v) : (size_t)len;
    if (memchr(v, 0, n))
        return levy_err_set(NULL, LEVY_EINVAL, "sql", "NUL in text");
    if (!(p->vals[i - 1] = strndup(v, n)))
        return LEVY_ENOMEM;
    p->lens[i - 1] = (int)n;
    return LEVY_OK;
}

int levy_pg_param_count(levy_stmt *s) { return s->pg->nparams; }
int levy_pg_readonly(levy_stmt *s) { return s->pg->ro; }
const char *levy_pg_sql(levy_stmt *s) { return s->pg->sql; }

/* integral numeric text (sum(bigint) is numeric) that fits an int64 */
static int integral(const char *t)
{
    const char *d = t + (*t == '-');
    size_t n = strlen(d);
    if (n == 0 || n > 18)
        return 0;
    for (; *d; d++)
        if (!isdigit((unsigned char)*d))
            return 0;
    return 1;
}

/* ---- prepared statements of a connection ------------------------------------------------ */

static uint64_t fnv1a(const char *t)
{
    uint64_t h = 1469598103934665603ull;
    for (; *t; t++)
        h = (h ^ (unsigned char)*t) * 1099511628211ull;
    return h;
}

/* The cache's key of the statement sent with these types (NULL: left to the server). */
static char *cache_key(const struct levy_pgstmt *p, const Oid *types)
{
    size_t n = strlen(p->pgsql);
    char *k = malloc(n + (size_t)p->nparams + 2);
    if (!k)
        return NULL;
    memcpy(k, p->pgsql, n);
    k[n++] = 1;
    for (int i = 0; types && i < p->nparams; i++)
        k[n++] = types[i] == 20 ? 'i' : 't';
    k[n] = 0;
    return k;
}

static struct pcache_ent *cache_find(struct levy_pg *pg, const char *key, uint64_t h)
{
    for (int i = 0; i < pg->ncache; i++)
        if (pg->cache[i].hash == h && strcmp(pg->cache[i].key, key) == 0)
            return &pg->cache[i];
    return NULL;
}

/* Forgets an entry; its server statement (if any, and if dealloc) is DEALLOCATEd later. */
static void cache_drop(struct levy_pg *pg, struct pcache_ent *e, int dealloc)
{
    if (dealloc && e->name[0] && pg->ndealloc < PDEALLOC_MAX)
        memcpy(pg->dealloc[pg->ndealloc++], e->name, sizeof e->name);
    /* (no room: the statement stays on the server until the connection ends; names are never
     * reused, so it cannot be mistaken for another) */
    free(e->key);
    *e = pg->cache[--pg->ncache];
}

/* A new entry for key (taken over), named; the least recently used one goes when the cache
 * is full. NULL (key freed): no room now (too many DEALLOCATEs waiting) — sent unnamed. */
static struct pcache_ent *cache_add(struct levy_pg *pg, char *key, uint64_t h)
{
    if (pg->ncache == PCACHE_MAX) {
        struct pcache_ent *lru = &pg->cache[0];
        for (int i = 1; i < pg->ncache; i++)
            if (pg->cache[i].used < lru->used)
                lru = &pg->cache[i];
        if (lru->name[0] && pg->ndealloc == PDEALLOC_MAX) {
            free(key);
            return NULL;
        }
        cache_drop(pg, lru, 1);
    }
    struct pcache_ent *e = &pg->cache[pg->ncache++];
    memset(e, 0, sizeof *e);
    e->key = key;
    e->hash = h;
    snprintf(e->name, sizeof e->name, "levy_s%u", ++pg->next_name);
    return e;
}

/* ---- one round trip: levels, savepoint, prepare, statement ------------------------------ */

enum { OP_SYNC, OP_CMD, OP_PREPARE, OP_EXEC };
struct op {
    int kind;
    const char *text; /* OP_CMD: a statement without parameters */
};
#define OPS_MAX (2 * PDEALLOC_MAX + PENDING_MAX + 6)

/* The connection is beyond use (a pipeline that could not be left): dropped, so the next use
 * outside a transaction connects again and one inside fails as "connection lost". */
static void drop_conn(levy_store *st)
{
    PQfinish(st->pg->conn);
    st->pg->conn = NULL;
    cache_clear(st->pg);
    failed(st, LEVY_STORE_STATE_UNREACHABLE, "connection lost");
}

/* ops sent together (libpq pipeline mode) and answered in one round trip. res[i]: op i's
 * result (NULL for a sync, or where none came: a broken connection); the server skips what
 * follows a failed op up to the next sync (PGRES_PIPELINE_ABORTED). OP_PREPARE prepares the
 * statement as name with types, OP_EXEC runs it: prepared as name, or unnamed (name NULL). */
static void pipeline(levy_stmt *s, const char *name, const Oid *types, const struct op *ops, int n,
                     PGresult **res)
{
    struct levy_pgstmt *p = s->pg;
    levy_store *st = s->st;
    PGconn *c = st->pg->conn;
    for (int i = 0; i < n; i++)
        res[i] = NULL;
    if (!PQenterPipelineMode(c))
        return;
    int sent = 1;
    for (int i = 0; i < n && sent; i++) {
        switch (ops[i].kind) {
        case OP_SYNC:
            sent = PQpipelineSync(c);
            break;
        case OP_CMD:
            sent = PQsendQueryParams(c, ops[i].text, 0, NULL, NULL, NULL, NULL, 0);
            break;
        case OP_PREPARE:
            sent = PQsendPrepare(c, name, p->pgsql, p->nparams, types);
            break;
        default:
            sent = name ? PQsendQueryPrepared(c, name, p->nparams, (const char *const *)p->vals,
                                              p->lens, NULL, 0)
                        : PQsendQueryParams(c, p->pgsql, p->nparams, types,
                                            (const char *const *)p->vals, p->lens, NULL, 0);
        }
    }
    for (int i = 0; i < n && sent; i++) {
        PGresult *r = PQgetResult(c), *x;
        if (!r)
            break;
        if (ops[i].kind == OP_SYNC) { /* PGRES_PIPELINE_SYNC: no NULL after it */
            PQclear(r);
            continue;
        }
        while ((x = PQgetResult(c))) /* each query's results end with a NULL */
            PQclear(x);
        res[i] = r;
    }
    if (!PQexitPipelineMode(c)) {
        /* results left (a send failed half-way): take what is there, then give up on it */
        for (int k = 0; k < 16 && PQpipelineStatus(c) != PQ_PIPELINE_OFF; k++) {
            PGresult *x = PQgetResult(c);
            PQclear(x);
            if (!x && PQexitPipelineMode(c))
                break;
        }
        if (PQpipelineStatus(c) != PQ_PIPELINE_OFF) {
            for (int i = 0; i < n; i++) {
                PQclear(res[i]);
                res[i] = NULL;
            }
            drop_conn(st);
        }
    }
}

static int good(PGresult *r)
{
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK || t == PGRES_EMPTY_QUERY;
}

static int sqlstate_is(PGresult *r, const char *code)
{
    const char *c = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return c && strcmp(c, code) == 0;
}

#define RUN_TYPED 1 /* send it again with types */
#define RUN_AGAIN 2 /* its prepared form was stale or gone: prepare it again */

/* The statement, under a savepoint when sp (a statement inside a transaction keeps its own
 * savepoint, so a caught error — a constraint — leaves the transaction usable as on SQLite),
 * prepared on the connection the first time: the transaction levels not sent yet, the
 * savepoint, the prepare, the statement and the savepoint's release go in one round trip,
 * with the DEALLOCATEs of evicted statements ahead when the connection is idle. LEVY_OK with
 * *out its result, RUN_TYPED when it should be sent again with types, RUN_AGAIN when again
 * as it is (may_retry; nothing left behind either way), else LEVY_E* (the savepoint rolled
 * back). */
static int run(levy_stmt *s, Oid *types, int sp, int may_retry, PGresult **out, levy_err *err)
{
    struct levy_pgstmt *p = s->pg;
    levy_store *st = s->st;
    struct levy_pg *pg = st->pg;
    *out = NULL;
    char *key = cache_key(p, types);
    if (!key)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    uint64_t h = fnv1a(key);
    struct pcache_ent *e = cache_find(pg, key, h);
    if (e && e->needs_types && !types) {
        free(key);
        e->used = ++pg->tick;
        return RUN_TYPED; /* known: the server cannot infer a parameter's type */
    }
    int prep = 0;
    if (e)
        free(key);
    else if ((e = cache_add(pg, key, h)))
        prep = 1;
    if (e)
        e->used = ++pg->tick;
    char name[24] = "";
    if (e)
        memcpy(name, e->name, sizeof name);

    struct op ops[OPS_MAX];
    int n = 0, ndl = 0;
    char dlsql[PDEALLOC_MAX][40];
    if (pg->ndealloc && !pg->npending && PQtransactionStatus(pg->conn) == PQTRANS_IDLE) {
        for (; ndl < pg->ndealloc; ndl++) { /* each alone: a failure does not skip the rest */
            snprintf(dlsql[ndl], sizeof dlsql[ndl], "DEALLOCATE %s", pg->dealloc[ndl]);
            ops[n++] = (struct op){OP_CMD, dlsql[ndl]};
            ops[n++] = (struct op){OP_SYNC, NULL};
        }
    }
    /* the transaction levels not sent yet go first (levy_pg_begin) */
    int lv = n, npre = pg->npending;
    char pre[PENDING_MAX][32];
    memcpy(pre, pg->pending, sizeof pre);
    pg->npending = 0;
    pg->pending_begin = 0;
    for (int i = 0; i < npre; i++)
        ops[n++] = (struct op){OP_CMD, pre[i]};
    int isp = -1, iprep = -1, irel = -1;
    if (sp) {
        isp = n;
        ops[n++] = (struct op){OP_CMD, "SAVEPOINT levy_stmt"};
    }
    if (prep) {
        iprep = n;
        ops[n++] = (struct op){OP_PREPARE, NULL};
    }
    int iexec = n;
    ops[n++] = (struct op){OP_EXEC, NULL};
    if (sp) {
        irel = n;
        ops[n++] = (struct op){OP_CMD, "RELEASE SAVEPOINT levy_stmt"};
    }
    ops[n++] = (struct op){OP_SYNC, NULL};

    PGresult *res[OPS_MAX];
    pg->round_trips++;
    pipeline(s, e ? name : NULL, types, ops, n, res);
    if (!pg->conn) /* dropped, with its statements */
        return levy_err_set(err, LEVY_EBUSY, "unavailable",
                            "store %s: connection lost inside a transaction", st->path);
    if (ndl) { /* answered (done, or there was no such statement): not sent again */
        int keep = 0;
        for (int i = 0; i < ndl; i++)
            if (!res[2 * i] || PQresultStatus(res[2 * i]) == PGRES_PIPELINE_ABORTED)
                memmove(pg->dealloc[keep++], pg->dealloc[i], sizeof pg->dealloc[0]);
        pg->ndealloc = keep;
    }
    int rc = LEVY_OK;
    int bad = -1; /* the failed level or savepoint: nothing to roll back to */
    for (int i = lv; i < lv + npre && bad < 0; i++)
        if (!good(res[i]))
            bad = i;
    if (bad < 0 && sp && !good(res[isp]))
        bad = isp;
    if (bad >= 0) {
        if (prep && e) /* its prepare was skipped */
            cache_drop(pg, e, 0);
        rc = fail(st, res[bad], err);
    } else if (prep && !good(res[iprep])) { /* the prepare failed: the statement's failure */
        if (!types && (sqlstate_is(res[iprep], "42P18") || sqlstate_is(res[iprep], "42P08")) && e) {
            e->needs_types = 1; /* indeterminate or ambiguous type: run again with types */
            e->name[0] = 0;
            rc = RUN_TYPED;
        } else {
            if (e)
                cache_drop(pg, e, 0);
            rc = fail(st, res[iprep], err);
        }
    } else if (!good(res[iexec])) {
        PGresult *r = res[iexec];
        if (!types && (sqlstate_is(r, "42P18") || sqlstate_is(r, "42P08"))) {
            rc = RUN_TYPED; /* (unnamed) indeterminate or ambiguous type: run again with types */
        } else if (e && may_retry && (sqlstate_is(r, "0A000") || sqlstate_is(r, "26000"))) {
            /* "cached plan must not change result type" (a migration altered a table it
             * reads, here or in another process) or the statement is gone: prepared again */
            cache_drop(pg, e, sqlstate_is(r, "0A000"));
            rc = RUN_AGAIN;
        } else {
            rc = fail(st, r, err);
        }
    } else if (sp && !good(res[irel])) {
        rc = fail(st, res[irel], err);
    } else {
        *out = res[iexec];
        res[iexec] = NULL;
    }
    for (int i = 0; i < n; i++)
        PQclear(res[i]);
    if (rc != LEVY_OK && bad < 0 && sp) {
        /* the transaction as it was before the statement, usable again: one round trip */
        int again = rc == RUN_TYPED || rc == RUN_AGAIN;
        if (PQstatus(pg->conn) == CONNECTION_OK &&
            levy_pg_exec(st, "ROLLBACK TO SAVEPOINT levy_stmt; RELEASE SAVEPOINT levy_stmt",
                         again ? err : NULL) != LEVY_OK &&
            again)
            rc = err ? err->rc : LEVY_EBUSY;
    }
    return rc;
}

int levy_pg_step(levy_stmt *s, levy_err *err)
{
    struct levy_pgstmt *p = s->pg;
    levy_store *st = s->st;
    if (!p->ran) {
        int rc = ensure_conn(st, err);
        if (rc)
            return rc;
        int sp = st->depth > 0;
        PGresult *res = NULL;
        Oid *types = NULL;
        for (int tries = 0;; tries++) {
            rc = run(s, types, sp, tries < 2, &res, err);
            if (rc == RUN_TYPED) {
                if (!(types = calloc((size_t)p->nparams + 1, sizeof *types))) {
                    rc = levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
                    break;
                }
                for (int i = 0; i < p->nparams; i++)
                    types[i] = p->isint[i] ? 20 /* int8 */ : 25 /* text */;
            } else if (rc != RUN_AGAIN) {
                break;
            }
        }
        free(types);
        if (rc != LEVY_OK) {
            PQclear(res);
            return rc;
        }
        p->res = res;
        p->ran = 1;
        p->row = 0;
        st->pg->changes = PQresultStatus(res) == PGRES_COMMAND_OK ? atoll(PQcmdTuples(res)) : 0;
        int nc = PQnfields(res);
        p->coltype = calloc((size_t)nc + 1, sizeof *p->coltype);
        if (!p->coltype)
            return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
        for (int i = 0; i < nc; i++) {
            Oid t = PQftype(res, i);
            p->coltype[i] =
                t == 20 || t == 21 || t == 23 || t == 26 || t == 16 ? LEVY_COL_INT : LEVY_COL_TEXT;
            if (t == 1700) /* numeric: an integer when every value is one */
                p->coltype[i] = -1;
        }
        if (st->depth == 0)
            ok_again(st);
    }
    if (p->row < PQntuples(p->res)) {
        p->cur = p->row++;
        return LEVY_STMT_ROW;
    }
    return LEVY_OK;
}

int levy_pg_column_count(levy_stmt *s) { return s->pg->res ? PQnfields(s->pg->res) : 0; }

const char *levy_pg_column_name(levy_stmt *s, int i)
{
    return s->pg->res ? PQfname(s->pg->res, i) : NULL;
}

int levy_pg_column_type(levy_stmt *s, int i)
{
    struct levy_pgstmt *p = s->pg;
    if (!p->res || i < 0 || i >= PQnfields(p->res) || PQgetisnull(p->res, p->cur, i))
        return LEVY_COL_NULL;
    if (p->coltype[i] == -1)
        return integral(PQgetvalue(p->res, p->cur, i)) ? LEVY_COL_INT : LEVY_COL_TEXT;
    return p->coltype[i];
}

const char *levy_pg_column_text(levy_stmt *s, int i)
{
    struct levy_pgstmt *p = s->pg;
    if (!p->res || i < 0 || i >= PQnfields(p->res) || PQgetisnull(p->res, p->cur, i))
        return NULL;
    const char *v = PQgetvalue(p->res, p->cur, i);
    if (PQftype(p->res, i) == 16) /* bool → 1/0, as SQLite stores it */
        return v[0] == 't' ? "1" : "0";
    return v;
}

size_t levy_pg_column_bytes(levy_stmt *s, int i)
{
    struct levy_pgstmt *p = s->pg;
    if (!p->res || i < 0 || i >= PQnfields(p->res) || PQgetisnull(p->res, p->cur, i))
        return 0;
    if (PQftype(p->res, i) == 16)
        return 1;
    return (size_t)PQgetlength(p->res, p->cur, i);
}
