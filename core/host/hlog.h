#ifndef LEVY_HLOG_H
#define LEVY_HLOG_H
/* Host logging: the base logger (core/log.h) when present on this branch, else a plain
 * stderr fallback with the same call shape. Only host files include this. */
#if __has_include("log.h")
#include "log.h"
#define LEVY_HAVE_LOG 1
#define HLOG_DEBUG LEVY_LOG_DEBUG
#define HLOG_INFO LEVY_LOG_INFO
#define HLOG_WARN LEVY_LOG_WARN
#define HLOG_ERROR LEVY_LOG_ERROR
#define hlog(level, ...) levy_log(level, "core", __VA_ARGS__)
#define hlog_src(level, src, ...) levy_log(level, src, __VA_ARGS__)
#else
#include <stdio.h>
#define HLOG_DEBUG 0
#define HLOG_INFO 1
#define HLOG_WARN 2
#define HLOG_ERROR 3
#define hlog(level, ...) \
    do { if ((level) >= 1) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define hlog_src(level, src, ...) hlog(level, __VA_ARGS__)
#endif
#endif
