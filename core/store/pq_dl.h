#ifndef LEVY_PQ_DL_H
#define LEVY_PQ_DL_H
/* libpq, loaded when a store is PostgreSQL (issue 21: idle memory; a SQLite deployment never
 * maps libpq nor the libraries it pulls in: ldap, krb5, gssapi, sasl2, gnutls...). levy does
 * not link libpq: core/store/pq_dl.c defines the PQ* functions pg.c calls (the prototypes of
 * <libpq-fe.h>) and forwards each to libpq.so.5, dlopened by levy_pq_load, which pg.c's
 * entry points (levy_pg_connect, levy_store_pg_conninfo) call first. */
#include "levy.h"

#define LEVY_PQ_SONAME "libpq.so.5"
#define LEVY_PQ_PACKAGE "libpq5"

/* Loads libpq.so.5 and resolves its functions (once; safe from any thread). LEVY_OK, or
 * LEVY_EIO "library_missing" with a message naming the library and its Debian package. */
int levy_pq_load(levy_err *err);

/* 1 once libpq is loaded in this process (tests: a SQLite levy never loads it). */
int levy_pq_loaded(void);

#endif
