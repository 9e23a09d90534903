/* The preloaded module list (see modules.h). Only modules that exist on this branch. */
#include <string.h>

#include "modules.h"

int luaopen_cjson_safe(lua_State *L); /* liblua5.4-cjson */

const levy_module levy_modules[] = {
    {"levy.json", luaopen_levy_json},
    {"levy.money", luaopen_levy_money},
    {"levy.crypto", luaopen_levy_crypto},
    {"levy.store", luaopen_levy_store},
    {"levy.jobs", luaopen_levy_jobs},
    {"levy.log", luaopen_levy_log},
    {"levy.time", luaopen_levy_time},
    {"levy.http", luaopen_levy_http},
    {"levy.metrics", luaopen_levy_metrics},
    {"levy.config", luaopen_levy_config},
    {"levy.tax", luaopen_levy_tax},
    {"levy.taxid", luaopen_levy_taxid}, /* core/lua/bind_taxid.c (issue 19) */
    {"levy.files", luaopen_levy_files}, /* core/lua/bind_files.c (issue 20) */
    {"cjson.safe", luaopen_cjson_safe},
    {NULL, NULL},
};

lua_CFunction levy_modules_find(const char *name)
{
    for (const levy_module *m = levy_modules; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m->open;
    return NULL;
}
