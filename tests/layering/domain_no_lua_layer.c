/* Layering probe (tests/layering.cmake): must NOT compile against levy_domain: the Lua layer is above it. */
#include "lua/lctx.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
