/* Layering probe (tests/layering.cmake): must NOT compile against levy_domain: tax (or store, http) including host/. */
#include "host/host.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
