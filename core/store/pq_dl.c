/* libpq loaded on first use (pq_dl.h): each PQ* function pg.c calls, with <libpq-fe.h>'s
 * prototype, forwarding to the same function of libpq.so.5. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "dl.h"
#include "store/pq_dl.h"

#define SONAME LEVY_PQ_SONAME
#define NEED need

/* dl.h's X-list form */
#define LEVY_PQ_FNS(X, V)                                                                          \
    X(PGconn *, PQconnectdbParams, (const char *const *k, const char *const *v, int expand),       \
      (k, v, expand))                                                                              \
    V(PQfinish, (PGconn * c), (c))                                                                 \
    X(ConnStatusType, PQstatus, (const PGconn *c), (c))                                            \
    X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *c), (c))                        \
    X(char *, PQerrorMessage, (const PGconn *c), (c))                                              \
    X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * c, PQnoticeProcessor p, void *arg),       \
      (c, p, arg))                                                                                 \
    X(PQconninfoOption *, PQconninfoParse, (const char *s, char **msg), (s, msg))                  \
    V(PQconninfoFree, (PQconninfoOption * o), (o))                                                 \
    V(PQfreemem, (void *p), (p))                                                                   \
    X(PGresult *, PQexec, (PGconn * c, const char *q), (c, q))                                     \
    X(int, PQsendQueryParams,                                                                      \
      (PGconn * c, const char *q, int n, const Oid *types, const char *const *vals,                \
       const int *lens, const int *fmts, int rfmt),                                                \
      (c, q, n, types, vals, lens, fmts, rfmt))                                                    \
    X(int, PQsendPrepare, (PGconn * c, const char *name, const char *q, int n, const Oid *types),  \
      (c, name, q, n, types))                                                                      \
    X(int, PQsendQueryPrepared,                                                                    \
      (PGconn * c, const char *name, int n, const char *const *vals, const int *lens,              \
       const int *fmts, int rfmt),                                                                 \
      (c, name, n, vals, lens, fmts, rfmt))                                                        \
    X(PGresult *, PQgetResult, (PGconn * c), (c))                                                  \
    X(int, PQenterPipelineMode, (PGconn * c), (c))                                                 \
    X(int, PQexitPipelineMode, (PGconn * c), (c))                                                  \
    X(int, PQpipelineSync, (PGconn * c), (c))                                                      \
    X(PGpipelineStatus, PQpipelineStatus, (const PGconn *c), (c))                                  \
    V(PQclear, (PGresult * r), (r))                                                                \
    X(ExecStatusType, PQresultStatus, (const PGresult *r), (r))                                    \
    X(char *, PQresultErrorMessage, (const PGresult *r), (r))                                      \
    X(char *, PQresultErrorField, (const PGresult *r, int code), (r, code))                        \
    X(int, PQntuples, (const PGresult *r), (r))                                                    \
    X(int, PQnfields, (const PGresult *r), (r))                                                    \
    X(char *, PQfname, (const PGresult *r, int i), (r, i))                                         \
    X(Oid, PQftype, (const PGresult *r, int i), (r, i))                                            \
    X(char *, PQgetvalue, (const PGresult *r, int row, int i), (r, row, i))                        \
    X(int, PQgetlength, (const PGresult *r, int row, int i), (r, row, i))                          \
    X(int, PQgetisnull, (const PGresult *r, int row, int i), (r, row, i))                          \
    X(char *, PQcmdStatus, (PGresult * r), (r))                                                    \
    X(char *, PQcmdTuples, (PGresult * r), (r))

static struct {
    LEVY_PQ_FNS(LEVY_DL_FIELD, LEVY_DL_FIELDV)
} F;
static atomic_int loaded;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int levy_pq_load(levy_err *err)
{
    if (atomic_load_explicit(&loaded, memory_order_acquire))
        return LEVY_OK;
    int rc = LEVY_OK;
    pthread_mutex_lock(&load_lock);
    if (!atomic_load_explicit(&loaded, memory_order_relaxed)) {
        void *lib = levy_dl_open(SONAME, "a PostgreSQL store", LEVY_PQ_PACKAGE, err);
        if (!lib)
            rc = LEVY_EIO;
        LEVY_PQ_FNS(LEVY_DL_RESOLVE, LEVY_DL_RESOLVEV)
        if (rc == LEVY_OK)
            atomic_store_explicit(&loaded, 1, memory_order_release);
    }
    pthread_mutex_unlock(&load_lock);
    return rc;
}

int levy_pq_loaded(void) { return atomic_load_explicit(&loaded, memory_order_acquire); }

/* pg.c loads it at its entry points and reports a failure: reaching here without the library
 * is a levy bug, said and stopped. */
static void need(void)
{
    if (atomic_load_explicit(&loaded, memory_order_acquire))
        return;
    levy_err err = {0};
    if (levy_pq_load(&err) == LEVY_OK)
        return;
    fprintf(stderr, "levy: %s\n", err.message);
    abort();
}

LEVY_PQ_FNS(LEVY_DL_WRAP, LEVY_DL_WRAPV)
