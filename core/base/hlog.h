#ifndef LEVY_HLOG_H
#define LEVY_HLOG_H
/* Host logging shorthands over the base logger (core/base/log.h). */
#include "log.h"
#define HLOG_DEBUG LEVY_LOG_DEBUG
#define HLOG_INFO LEVY_LOG_INFO
#define HLOG_WARN LEVY_LOG_WARN
#define HLOG_ERROR LEVY_LOG_ERROR
#define hlog(level, ...) levy_log(level, "core", __VA_ARGS__)
#define hlog_src(level, src, ...) levy_log(level, src, __VA_ARGS__)
#endif
