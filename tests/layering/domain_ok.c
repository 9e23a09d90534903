/* Layering probe (tests/layering.cmake): compiles against levy_domain: its own headers and base. */
#include "config.h"
#include "crypto/crypto.h"
#include "http/client.h"
#include "http/gate.h"
#include "http/server.h"
#include "store/jobs.h"
#include "store/store.h"
#include "tax/engine.h"
#include "tax/nexus.h"
#include "tax/rates.h"
#include "tax/tax.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
