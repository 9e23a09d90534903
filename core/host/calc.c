/* `levy calc` and `levy demo` (placeholders until wired: see report). */
#include <stdio.h>

#include "host/host.h"

int levy_host_calc(levy_config *cfg)
{
    (void)cfg;
    fprintf(stderr, "levy calc: not implemented yet\n");
    return 1;
}

int levy_host_demo(levy_config *cfg, const char *argv0)
{
    (void)cfg;
    (void)argv0;
    fprintf(stderr, "levy demo: not implemented yet\n");
    return 1;
}
