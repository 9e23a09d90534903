/* Shared libraries loaded on first use (dl.h). */
#include <dlfcn.h>

#include "dl.h"

void *levy_dl_open(const char *soname, const char *needed_for, const char *package, levy_err *err)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        levy_err_set(err, LEVY_EIO, "library_missing",
                     "cannot load %s (%s), which %s needs: install the %s package", soname,
                     why ? why : "not found", needed_for, package);
    }
    return lib;
}

void *levy_dl_sym(void *lib, const char *soname, const char *name, levy_err *err)
{
    dlerror();
    void *f = dlsym(lib, name);
    if (!f)
        levy_err_set(err, LEVY_EIO, "library_missing",
                     "%s has no %s: it is older than the version levy was built against", soname,
                     name);
    return f;
}
