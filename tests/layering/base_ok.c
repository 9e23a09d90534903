/* Layering probe (tests/layering.cmake): compiles against levy_base: the base headers. */
#include "levy.h"
#include "clock.h"
#include "config.h"
#include "embedded.h"
#include "file.h"
#include "hlog.h"
#include "json_doc.h"
#include "json_scan.h"
#include "log.h"
#include "metrics.h"
#include "money.h"

int levy_layering_probe(void);
int levy_layering_probe(void) { return 0; }
