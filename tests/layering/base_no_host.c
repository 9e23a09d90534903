/* Layering probe (tests/layering.cmake): must NOT compile against levy_base: base cannot see the host. */
#include "host/host.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
