#ifndef LEVY_TEST_WRITER_UNITS_H
#define LEVY_TEST_WRITER_UNITS_H
/* The writer tests' completed units (test_writer on SQLite, test_store_pg on PostgreSQL): a
 * unit's done callback files it here in completion order; wait_done polls the writer's fd. */
#include <poll.h>

#include "store/writer.h"

#define MAXU 600
static levy_wunit *done_units[MAXU];
static int ndone;

static void on_done(levy_wunit *u)
{
    if (ndone < MAXU)
        done_units[ndone++] = u;
    else
        levy_wunit_free(u);
}

static void free_done(void)
{
    for (int i = 0; i < ndone; i++)
        levy_wunit_free(done_units[i]);
    ndone = 0;
}

/* Waits (no deadline but the test's own timeout) until n units completed on w. */
static void wait_done(levy_writer *w, int n)
{
    while (ndone < n) {
        struct pollfd p = {levy_writer_fd(w), POLLIN, 0};
        poll(&p, 1, 1000);
        levy_writer_complete(w);
    }
}

#endif
