/* Layering probe (tests/layering.cmake): compiles against levy_host: every layer. */
#include "host/host.h"
#include "host/rotate.h"
#include "http/server.h"
#include "lua/sandbox.h"
#include "store/jobs.h"
#include "tax/tax.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
