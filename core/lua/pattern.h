#ifndef LEVY_PATTERN_H
#define LEVY_PATTERN_H
/* string.find / match / gmatch / gsub with Lua 5.4's pattern semantics, whose matching work is
 * charged to the running call's budget (levy_vm_charge): a backtracking pattern ends with the
 * budget error instead of running in C, out of the count hook's reach, for hours. Installed
 * over the string library by the sandbox prelude (core/lua/runtime/sandbox.lua). */
#include <lua.h>

int levy_pattern_find(lua_State *L);
int levy_pattern_match(lua_State *L);
int levy_pattern_gmatch(lua_State *L);
int levy_pattern_gsub(lua_State *L);

#endif
