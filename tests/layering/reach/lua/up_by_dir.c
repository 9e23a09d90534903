/* Probe for the include scan of ctest layering (never compiled): a binding that names a
 * directory of the host layer. The scan must refuse it. */
#include "host/host.h"
