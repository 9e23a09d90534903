#ifndef LEVY_CURL_DL_H
#define LEVY_CURL_DL_H
/* libcurl, loaded at the first outbound call (issue 21: idle memory). levy does not link
 * libcurl: core/http/curl_dl.c defines the curl_* functions levy calls (the prototypes of
 * <curl/curl.h>, so the compiler checks them) and forwards each to libcurl.so.4, which it
 * dlopens on the first call of levy_curl_load. Everything that calls libcurl (the client's
 * first request, `levy rates update`, the systemd helpers, `levy --version`) calls
 * levy_curl_load first and reports its error; a curl_* call before a successful load loads
 * it then and, if that fails, prints the error and aborts (a levy bug, not a missing lib). */
#include "levy.h"

#define LEVY_CURL_SONAME "libcurl.so.4"
#define LEVY_CURL_PACKAGE "libcurl4"

/* Loads libcurl.so.4 and resolves its functions (once; safe from any thread). LEVY_OK, or
 * LEVY_EIO "library_missing" with a message naming the library and its Debian package. */
int levy_curl_load(levy_err *err);

/* 1 once libcurl is loaded in this process (tests: an idle levy has not loaded it). */
int levy_curl_loaded(void);

#endif
