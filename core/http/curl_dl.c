/* libcurl loaded on first use (curl_dl.h). Each curl_* function levy calls is defined here with
 * <curl/curl.h>'s prototype and forwards to the same function of libcurl.so.4; the three
 * variadic ones (curl_easy_setopt, curl_multi_setopt, curl_easy_getinfo) read their one
 * argument by the option's type range, as libcurl itself does (CURLOPTTYPE_*). */
#define CURL_DISABLE_TYPECHECK 1 /* the definitions below are functions, not typecheck macros */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "dl.h"
#include "http/curl_dl.h"

#define SONAME LEVY_CURL_SONAME
#define NEED need

/* The fixed-argument functions (dl.h's X-list form); the variadic ones are written out below. */
#define LEVY_CURL_FIXED(X, V)                                                                      \
    X(CURLcode, curl_global_init, (long flags), (flags))                                           \
    V(curl_global_cleanup, (void), ())                                                             \
    X(char *, curl_version, (void), ())                                                            \
    X(curl_version_info_data *, curl_version_info, (CURLversion v), (v))                           \
    X(CURL *, curl_easy_init, (void), ())                                                          \
    X(CURLcode, curl_easy_perform, (CURL * e), (e))                                                \
    V(curl_easy_cleanup, (CURL * e), (e))                                                          \
    X(const char *, curl_easy_strerror, (CURLcode c), (c))                                         \
    X(struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s))      \
    V(curl_slist_free_all, (struct curl_slist * l), (l))                                           \
    X(CURLM *, curl_multi_init, (void), ())                                                        \
    X(CURLMcode, curl_multi_cleanup, (CURLM * m), (m))                                             \
    X(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * e), (m, e))                             \
    X(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * e), (m, e))                          \
    X(CURLMcode, curl_multi_assign, (CURLM * m, curl_socket_t s, void *p), (m, s, p))              \
    X(CURLMcode, curl_multi_socket_action, (CURLM * m, curl_socket_t s, int ev, int *running),     \
      (m, s, ev, running))                                                                         \
    X(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))
#define LEVY_CURL_FNS(X, V)                                                                        \
    LEVY_CURL_FIXED(X, V)                                                                          \
    X(CURLcode, curl_easy_setopt, (CURL * e, CURLoption o, ...), ())                               \
    X(CURLMcode, curl_multi_setopt, (CURLM * m, CURLMoption o, ...), ())                           \
    X(CURLcode, curl_easy_getinfo, (CURL * e, CURLINFO i, ...), ())

static struct {
    LEVY_CURL_FNS(LEVY_DL_FIELD, LEVY_DL_FIELDV)
} F;
static atomic_int loaded;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

int levy_curl_load(levy_err *err)
{
    if (atomic_load_explicit(&loaded, memory_order_acquire))
        return LEVY_OK;
    int rc = LEVY_OK;
    pthread_mutex_lock(&load_lock);
    if (!atomic_load_explicit(&loaded, memory_order_relaxed)) {
        void *lib = levy_dl_open(SONAME, "an outbound HTTP call (Rillet, rate updates)",
                                 LEVY_CURL_PACKAGE, err);
        if (!lib)
            rc = LEVY_EIO;
        LEVY_CURL_FNS(LEVY_DL_RESOLVE, LEVY_DL_RESOLVEV)
        if (rc == LEVY_OK)
            atomic_store_explicit(&loaded, 1, memory_order_release);
    }
    pthread_mutex_unlock(&load_lock);
    return rc;
}

int levy_curl_loaded(void) { return atomic_load_explicit(&loaded, memory_order_acquire); }

/* Every caller loaded it first (levy_curl_load) and reported a failure: reaching here without
 * the library is a levy bug, said and stopped. */
static void need(void)
{
    if (atomic_load_explicit(&loaded, memory_order_acquire))
        return;
    levy_err err = {0};
    if (levy_curl_load(&err) == LEVY_OK)
        return;
    fprintf(stderr, "levy: %s\n", err.message);
    abort();
}

LEVY_CURL_FIXED(LEVY_DL_WRAP, LEVY_DL_WRAPV)

/* An option's one argument, read by its type range (curl.h: CURLOPTTYPE_LONG 0, OBJECTPOINT
 * 10000, FUNCTIONPOINT 20000, OFF_T 30000, BLOB 40000; CURLMoption has the same ranges). */
#define FORWARD_OPTION(call, o, ap)                                                                \
    do {                                                                                           \
        if ((o) < CURLOPTTYPE_OBJECTPOINT)                                                         \
            rc = call(va_arg(ap, long));                                                           \
        else if ((o) < CURLOPTTYPE_FUNCTIONPOINT)                                                  \
            rc = call(va_arg(ap, void *));                                                         \
        else if ((o) < CURLOPTTYPE_OFF_T)                                                          \
            rc = call(va_arg(ap, void (*)(void)));                                                 \
        else if ((o) < CURLOPTTYPE_BLOB)                                                           \
            rc = call(va_arg(ap, curl_off_t));                                                     \
        else                                                                                       \
            rc = call(va_arg(ap, void *));                                                         \
    } while (0)

CURLcode curl_easy_setopt(CURL *e, CURLoption o, ...)
{
    need();
    CURLcode rc;
    va_list ap;
    va_start(ap, o);
#define EASY_SET(v) F.curl_easy_setopt(e, o, v)
    FORWARD_OPTION(EASY_SET, o, ap);
    va_end(ap);
    return rc;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption o, ...)
{
    need();
    CURLMcode rc;
    va_list ap;
    va_start(ap, o);
#define MULTI_SET(v) F.curl_multi_setopt(m, o, v)
    FORWARD_OPTION(MULTI_SET, o, ap);
    va_end(ap);
    return rc;
}

/* every CURLINFO takes a pointer to where the answer goes */
CURLcode curl_easy_getinfo(CURL *e, CURLINFO i, ...)
{
    need();
    va_list ap;
    va_start(ap, i);
    void *out = va_arg(ap, void *);
    va_end(ap);
    return F.curl_easy_getinfo(e, i, out);
}
