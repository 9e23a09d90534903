#ifndef LEVY_DL_H
#define LEVY_DL_H
/* Shared libraries levy loads when it first needs them, not at start (issue 21: an idle levy
 * on SQLite that has made no outbound call maps neither libcurl nor libpq, nor the ~28
 * libraries they pull in: gnutls, krb5, ldap, ...). The shims that use this are
 * core/http/curl_dl.c and core/store/pq_dl.c. */
#include "levy.h"

/* dlopen(soname) with RTLD_NOW | RTLD_LOCAL, never closed. On failure: NULL and err set to
 * LEVY_EIO "library_missing", naming the library, what needs it and the Debian package that
 * ships it, e.g. "cannot load libpq.so.5 (...: cannot open shared object file...), which
 * a PostgreSQL store needs: install the libpq5 package". */
void *levy_dl_open(const char *soname, const char *needed_for, const char *package, levy_err *err);

/* dlsym(lib, name); NULL and err set (LEVY_EIO "library_missing") when the library lacks it
 * (a version older than levy was built against). */
void *levy_dl_sym(void *lib, const char *soname, const char *name, levy_err *err);

/* The shims' parts, over an X-list of the library's functions: X(return type, name,
 * (parameters), (arguments)), V(name, (parameters), (arguments)) for one returning void.
 * LEVY_DL_FIELD(V): a member of the table of pointers (struct { LIST(LEVY_DL_FIELD,
 * LEVY_DL_FIELDV) } F); LEVY_DL_RESOLVE(V): resolves one into F from `lib` (rc, err and the
 * soname SONAME in scope); LEVY_DL_WRAP(V): the function itself, which loads the library
 * (NEED()) and forwards. */
#define LEVY_DL_FIELD(ret, name, params, args) ret(*name) params;
#define LEVY_DL_FIELDV(name, params, args) void(*name) params;
#define LEVY_DL_RESOLVE(ret, name, params, args)                                                   \
    if (rc == LEVY_OK && !(F.name = (__typeof__(F.name))levy_dl_sym(lib, SONAME, #name, err)))     \
        rc = LEVY_EIO;
#define LEVY_DL_RESOLVEV(name, params, args) LEVY_DL_RESOLVE(void, name, params, args)
#define LEVY_DL_WRAP(ret, name, params, args)                                                      \
    ret name params                                                                                \
    {                                                                                              \
        NEED();                                                                                    \
        return F.name args;                                                                        \
    }
#define LEVY_DL_WRAPV(name, params, args)                                                          \
    void name params                                                                               \
    {                                                                                              \
        NEED();                                                                                    \
        F.name args;                                                                               \
    }

#endif
