#ifndef LEVY_TEST_CORE_MIGRATIONS_H
#define LEVY_TEST_CORE_MIGRATIONS_H
/* The number of core migrations levy carries (the .sql files of core/store/migrations,
 * embedded), for test_store and test_store_pg: a new core migration must not need them edited. */
#include <string.h>

#include "embedded.h"

static inline int core_migrations(void)
{
    static const char prefix[] = "core/store/migrations/";
    int n = 0;
    for (const levy_embedded *f = levy_embedded_files; f->path; f++)
        if (strncmp(f->path, prefix, sizeof prefix - 1) == 0 &&
            !strchr(f->path + sizeof prefix - 1, '/'))
            n++;
    return n;
}

#endif
