#ifndef LEVY_H
#define LEVY_H
/* Project-wide basics: the error out-parameter, return codes and markers.
 * Domain code (core/tax, core/crypto, core/store, core/http, core/money) takes a
 * `levy_err *err` (may be NULL) and returns LEVY_OK or a negative LEVY_E* code. */
#include <stddef.h>
#include <stdint.h>

#ifndef LEVY_VERSION
#define LEVY_VERSION "0.0.0"
#endif
/* The commit levy was built from (CMake: git rev-parse --short=12 at configure time, or
 * -DLEVY_COMMIT=; "unknown" outside a git checkout), for levy_build_info. Defined in the
 * generated build/generated/levy_commit.c (core/base/levy_commit.c.in), so that a new
 * commit recompiles that one file instead of every object. */
const char *levy_build_commit(void);

enum {
    LEVY_OK = 0,
    LEVY_EINVAL = -1, /* bad input: maps to 400/422 */
    LEVY_ENOMEM = -2,
    LEVY_EIO = -3,       /* storage or file I/O: 503 */
    LEVY_ENOTFOUND = -4, /* 404 */
    LEVY_ECONFLICT = -5, /* 409 / unique violation */
    LEVY_EBUSY = -6,     /* store busy: 503 + Retry-After */
    LEVY_ECRYPTO = -7,   /* authentication failed (bad tag, bad key) */
    LEVY_ERANGE = -8,    /* overflow of a money or rate computation */
    LEVY_EINTERNAL = -9
};

/* An error: a stable snake_case code ("validation_failed", "bad_decimal"...), a human
 * message, and optionally the field / source location it is about. Fixed buffers: no
 * allocation, safe to fill on OOM paths. */
typedef struct levy_err {
    int rc;
    char code[48];
    char field[96];
    char message[256];
    char source[128]; /* file for Lua errors */
    int line;
} levy_err;

/* Sets err (if non-NULL) and returns rc. printf-style message. */
int levy_err_set(levy_err *err, int rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void levy_err_clear(levy_err *err);

/* Marks a function that may raise a Lua error (longjmp) through its caller. */
#define LEVY_LJMP

#define LEVY_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
