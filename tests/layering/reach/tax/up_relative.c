/* Probe for the include scan of ctest layering (never compiled): a domain file that leaves its
 * layer with a relative include. The scan must refuse it. */
#include "../host/host.h"
