/* Probe for the include scan of ctest layering (never compiled): the host may reach down,
 * by directory or relatively. The scan must accept it. */
#include "../tax/calc.h"
#include "lua/gen.h"
