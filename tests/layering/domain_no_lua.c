/* Layering probe (tests/layering.cmake): must NOT compile against levy_domain: tax, store, crypto and http have no Lua include path. */
#include <lua.h>

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
