/* Layering probe (tests/layering.cmake): must NOT compile against levy_lua: a binding including the host. */
#include "host/host.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
