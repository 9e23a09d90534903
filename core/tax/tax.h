#ifndef LEVY_TAX_H
#define LEVY_TAX_H
/* Facade of the tax area used by the host (core/main.c, core/lua). The engine and rate
 * index live in core/tax/; their Lua binding is luaopen_levy_tax (core/lua/bind_tax.c),
 * which finds the rate index with levy_lua_host(L, LEVY_HOST_RATES) and the current rules
 * in the registry table "levy.rules" ({[region] = rule table}) and "levy.rule_files"
 * ({[region] = "scripts/us/ca.lua"}), both filled by the host's loader. */
#include "levy.h"

typedef struct levy_rates levy_rates;

/* Loads the shipped rate tables under data_root (the project's data/ directory) and any
 * newer vintages imported into data_dir (may be NULL). On success *out owns the index. */
int levy_rates_open(levy_rates **out, const char *data_root, const char *data_dir, levy_err *err);
void levy_rates_free(levy_rates *r);

/* `levy rates import FILE...`: loads each file into data_dir, prints rows read / changed.
 * Returns the process exit code (0 ok, 1 failure). */
int levy_rates_cli_import(int nfiles, char **files, const char *data_root, const char *data_dir);
/* levy rates update [SOURCES_FILE]: fetch, verify and install the configured rate files
 * (core/tax/update.c). Exit code 0, or 1 when a source failed (its vintage in use stays). */
int levy_rates_cli_update(int nargs, char **args, const char *data_root, const char *data_dir);

#endif
