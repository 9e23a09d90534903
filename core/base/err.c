#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "levy.h"

int levy_err_set(levy_err *err, int rc, const char *code, const char *fmt, ...)
{
    if (!err)
        return rc;
    err->rc = rc;
    snprintf(err->code, sizeof err->code, "%s", code ? code : "internal");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return rc;
}

void levy_err_clear(levy_err *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
