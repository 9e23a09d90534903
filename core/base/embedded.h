#ifndef LEVY_EMBEDDED_H
#define LEVY_EMBEDDED_H
#include <stddef.h>
/* Files compiled into the binary by core/embed.cmake: core/lua/runtime/<name>.lua and
 * core/store/migrations/<NNNN_name>.sql, keyed by their path relative to the source root.
 * The table ends with a {NULL, NULL, 0} row; data is NUL-terminated. */
typedef struct levy_embedded {
    const char *path;
    const char *data;
    size_t len;
} levy_embedded;
extern const levy_embedded levy_embedded_files[];
#endif
