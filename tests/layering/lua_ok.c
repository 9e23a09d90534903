/* Layering probe (tests/layering.cmake): compiles against levy_lua: Lua, its own headers, domain and base. */
#include <lua.h>
#include "config.h"
#include "gen.h"
#include "lctx.h"
#include "lua/gen.h"
#include "lua/sandbox.h"
#include "store/store.h"
#include "tax/rates.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
