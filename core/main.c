/* levy: the CLI (CONTRACT §1). Subcommands dispatch to the host (core/host). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <lua.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "host/backup.h"
#include "config.h"
#include "host/host.h"
#include "host/migstore.h"
#include "host/auth.h"
#include "host/rotate.h"
#include "host/service.h"
#include "host/tokens.h"
#include "http/curl_dl.h"
#include "tax/tax.h"

static int cmd_version(void)
{
    printf("levy %s\n", LEVY_VERSION);
    printf("%s\n", LUA_RELEASE);
    printf("SQLite %s\n", sqlite3_libversion());
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("libevent %s\n", event_get_version());
    levy_err err = {0};
    if (levy_curl_load(&err) == LEVY_OK) /* loaded on first use (core/http/curl_dl.h) */
        printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
    else
        printf("libcurl: %s\n", err.message);
    return 0;
}

static int run(levy_config *c, const char *cmd, const char *argv0);

int main(int argc, char **argv)
{
    if (argc < 2) {
        levy_config_usage(NULL, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        levy_config_usage(NULL, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0)
        return cmd_version();
    if (!levy_config_known_command(cmd)) {
        /* one line, like every usage error (issue 20 "CLI"), that still says "usage" (CONTRACT
         * section 1: an unknown subcommand prints usage to stderr); the full usage is --help's */
        fprintf(stderr,
                "levy: unknown command '%s' (usage: levy <command> [flags]; see levy --help)\n",
                cmd);
        return 2;
    }
    levy_config cfg;
    int rc = levy_config_parse(&cfg, cmd, argc - 2, argv + 2);
    if (rc == 0)
        rc = run(&cfg, cmd, argv[0]);
    else
        rc = rc == 1 ? 0 : 2;
    free(cfg.args);
    return rc;
}

/* Runs the parsed subcommand; returns the exit code. */
static int run(levy_config *cfg, const char *cmd, const char *argv0)
{
    if (strcmp(cmd, "version") == 0)
        return cmd_version();
    if (strcmp(cmd, "sim") == 0 || strcmp(cmd, "demo") == 0) {
        /* the simulator and its demo data ship in the levy-sim package, not in levy */
        char sim[sizeof cfg->plugins_dir + 32];
        snprintf(sim, sizeof sim, "%s/sim/handler.lua", cfg->plugins_dir);
        if (access(sim, R_OK) != 0) {
            fprintf(stderr,
                    "levy %s: the Rillet simulator is not installed (no %s); install the "
                    "levy-sim package (apt install levy-sim) or pass --plugins DIR with a "
                    "sim/ plugin\n",
                    cmd, sim);
            return 1;
        }
    }
    if (strcmp(cmd, "serve") == 0 || strcmp(cmd, "sim") == 0)
        return levy_host_serve(cfg);
    if (strcmp(cmd, "reload") == 0)
        return levy_service_reload_cli(cfg);
    if (strcmp(cmd, "recount") == 0)
        return levy_service_recount_cli(cfg);
    if (strcmp(cmd, "fx") == 0)
        return levy_service_fx_cli(cfg, cfg->args[1]); /* config.c: "import FILE" checked */
    if (strcmp(cmd, "check") == 0)
        return levy_host_check(cfg);
    if (strcmp(cmd, "signin") == 0)
        return levy_auth_signin_cli(cfg);
    if (strcmp(cmd, "calc") == 0)
        return levy_host_calc(cfg);
    if (strcmp(cmd, "test") == 0)
        return levy_host_test(cfg);
    if (strcmp(cmd, "demo") == 0)
        return levy_host_demo(cfg, argv0);
    if (strcmp(cmd, "rates") == 0) {
        /* levy rates import FILE...: validate, store under DATA_DIR/rates, report rows;
         * levy rates update [SOURCES_FILE]: fetch the configured files, verify, install */
        if (cfg->nargs >= 1 && strcmp(cfg->args[0], "update") == 0)
            return levy_rates_cli_update(cfg->nargs - 1, cfg->args + 1, cfg->data_root,
                                         cfg->data_dir);
        if (cfg->nargs < 2 || strcmp(cfg->args[0], "import") != 0) {
            fprintf(stderr, "usage: levy rates import FILE... [--data-dir DIR]\n"
                            "       levy rates update [SOURCES_FILE] [--data-dir DIR]\n");
            return 2;
        }
        return levy_rates_cli_import(cfg->nargs - 1, cfg->args + 1, cfg->data_root, cfg->data_dir);
    }
    if (strcmp(cmd, "token") == 0)
        return levy_tokens_cli(cfg);
    if (strcmp(cmd, "migrate-store") == 0)
        return levy_migstore_cli(cfg);
    /* levy backup / restore copy DATA_DIR/levy.db: on PostgreSQL they print the pg_dump /
     * pg_restore command for the URL's database instead (issue 22) */
    if ((strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0) && cfg->database[0])
        return levy_backup_pg_refusal(cmd, cfg->database, cfg->nargs > 0 ? cfg->args[0] : NULL);
    if (strcmp(cmd, "rotate-master-key") == 0)
        return levy_rotate_master_key(cfg, levy_host_with_generation);
    if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0) {
        levy_err e;
        levy_err_clear(&e);
        int pages = 0, nfiles = 0, restore = cmd[0] == 'r', lock_fd = -1;
        struct stat dst;
        /* a restore replaces the store: not under a running levy (a backup only reads) */
        if (restore && stat(cfg->data_dir, &dst) == 0 &&
            levy_datadir_lock(cfg->data_dir, &lock_fd, &e) != LEVY_OK) {
            fprintf(stderr, "levy restore: %s; stop it first\n", e.message);
            return 1;
        }
        int rc = restore ? levy_backup_restore(cfg->data_dir, cfg->args[0], cfg->force, &pages,
                                               &nfiles, &e)
                         : levy_backup_run(cfg->data_dir, cfg->args[0], &pages, &nfiles, &e);
        if (lock_fd >= 0)
            close(lock_fd);
        if (rc != LEVY_OK) {
            fprintf(stderr, "levy %s: %s\n", cmd, e.message);
            return 1;
        }
        if (restore) {
            printf("restored %s into %s/levy.db (%d pages, integrity ok) and %d file(s) into "
                   "%s/files (size and SHA-256 checked)\n",
                   cfg->args[0], cfg->data_dir, pages, nfiles, cfg->data_dir);
            char key[1100];
            snprintf(key, sizeof key, "%s/master.key", cfg->data_dir);
            const char *env = getenv("LEVY_MASTER_KEY");
            if ((!env || !*env) && access(key, F_OK) != 0)
                fprintf(stderr,
                        "levy restore: note: %s has no master.key and LEVY_MASTER_KEY is "
                        "unset; stored Rillet secrets open only with the master key of "
                        "the levy that wrote the backup (docs/operations.md)\n",
                        cfg->data_dir);
        } else
            printf("backed up %s/levy.db and %d file(s) from %s/files to %s (%d pages, "
                   "integrity ok)\n",
                   cfg->data_dir, nfiles, cfg->data_dir, cfg->args[0], pages);
        return 0;
    }
    return 2;
}
