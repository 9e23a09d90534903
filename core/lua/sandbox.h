#ifndef LEVY_SANDBOX_H
#define LEVY_SANDBOX_H
/* Sandbox of a generation: opens our allowlisted standard library, runs the embedded host
 * prelude (core/lua/runtime/sandbox.lua) and keeps its API table in the registry under
 * LEVY_SANDBOX_API. Plugin and rule environments, `require` and `load` restrictions are
 * built by the prelude from the helpers here. */
#include "levy.h"
#include "vm.h"

#define LEVY_SANDBOX_API "levy.host.api"
/* `levy test`: a true value under LEVY_SPEC_FLAG in the registry (set by the generation's
 * prepare hook) makes the sandbox run core/lua/runtime/spec.lua after the prelude; its API
 * table (load / count / name / run, see there) is kept under LEVY_SPEC_API. */
#define LEVY_SPEC_FLAG "levy.test"
#define LEVY_SPEC_API "levy.spec.api"

/** Opens the libraries and runs the prelude on vm's main state. */
int levy_sandbox_open(levy_vm *vm, levy_err *err);
/** [-0, +1, -] Pushes the prelude API function `name` (or nil). */
void levy_sandbox_push_api(lua_State *L, const char *name);
/** [-1, +1, m] Replaces the request's fields table on top with the read-only request object
 * handlers get, as the sandbox API's make_req(fields) returns it (without calling it). */
void levy_sandbox_make_req(lua_State *L);
/** [-0, +1, -] Pushes the spec runner's API function `name` (or nil: not a `levy test`
 * generation). */
void levy_sandbox_push_spec(lua_State *L, const char *name);

#endif
