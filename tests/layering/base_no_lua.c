/* Layering probe (tests/layering.cmake): must NOT compile against levy_base: base has no Lua include path. */
#include <lua.h>

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
