/* What levy.time (core/lua/bind_time.c) needs from the host and the VM, for fuzz targets
 * that load it without either: include once, in the target's one .c file. */
#ifndef LEVY_FUZZ_TIME_STUBS_H
#define LEVY_FUZZ_TIME_STUBS_H

#include <stdlib.h>

#include <lua.h>

#include "host/host.h"

/* levy.time.sleep resumes its call through the host; nothing here sleeps */
void levy_call_resume(levy_call *call, int nargs)
{
    (void)call;
    (void)nargs;
    abort();
}

/* levy.time.budget_used reads the call's budget from the VM (core/lua/vm.c, not linked
   here): the code runs without a budget, so none of it is used */
int levy_vm_budget_used_permille(lua_State *L)
{
    (void)L;
    return 0;
}

int luaopen_levy_time(lua_State *L);

#endif
