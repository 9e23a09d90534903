/* What levy.time (core/lua/bind_time.c) needs from the VM, for fuzz targets
 * that load it without either: include once, in the target's one .c file. */
#ifndef LEVY_FUZZ_TIME_STUBS_H
#define LEVY_FUZZ_TIME_STUBS_H

#include <lua.h>

/* levy.time.sleep parks only a call whose context the host gave a resume callback
   (levy_lctx.resume); the contexts here have none, and nothing here sleeps */

/* levy.time.budget_used reads the call's budget from the VM (core/lua/vm.c, not linked
   here): the code runs without a budget, so none of it is used */
int levy_vm_budget_used_permille(lua_State *L)
{
    (void)L;
    return 0;
}

int luaopen_levy_time(lua_State *L);

#endif
