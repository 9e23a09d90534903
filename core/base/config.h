#ifndef LEVY_CONFIG_H
#define LEVY_CONFIG_H
/* Process configuration: CONTRACT §1 flags and environment (the flag wins), defaults and
 * derived paths. Filled by levy_config_parse (core/base/config.c) for every subcommand. */
#include <stdint.h>

#include "levy.h"

#define LEVY_WEBHOOK_MAX_BODY_DEFAULT ((size_t)8 << 20) /* 8 MiB */
#define LEVY_WEBHOOK_MAX_BODY_MIN ((size_t)64 << 10)    /* 64 KiB */
/* the largest body cap a route may declare (max_body in a plugin's routes), evhttp's own
 * limit (http/server.c) */
#define LEVY_ROUTE_MAX_BODY_CEIL (64u * 1024 * 1024)
/* the upper end is LEVY_ROUTE_MAX_BODY_CEIL */
#define LEVY_WEBHOOK_MAX_BODY_MAX ((size_t)64 << 20)
#define LEVY_TOKEN_MIN 16 /* the API token: 16..512 characters (levy_auth_token_rule) */
#define LEVY_TOKEN_MAX 512
#define LEVY_INBOX_RETENTION_DEFAULT 30 /* days */
#define LEVY_INBOX_RETENTION_MAX 3650
#define LEVY_SCHEDULE_TICK_DEFAULT 60 /* seconds */
#define LEVY_SCHEDULE_TICK_MIN 1
#define LEVY_SCHEDULE_TICK_MAX 3600
#define LEVY_MARKETPLACE_CHUNK_DEFAULT 20000 /* documents */
#define LEVY_MARKETPLACE_CHUNK_MAX 1000000
/* levy.files.remove moves a file to <data>/files/.removed/<dir>/<name> (its ctime = when) and
 * drops those older than this; `levy backup` takes those removed since it began, so a row its
 * database snapshot holds is never without its file (core/host/backup.c) */
#define LEVY_FILES_REMOVED_DIR ".removed"
#define LEVY_FILES_REMOVED_KEEP_S 86400
/* how often the host erases removed files past LEVY_FILES_REMOVED_KEEP_S (core/base/removed.h) */
#define LEVY_FILES_PURGE_EVERY_S 3600

typedef struct levy_config {
    const char *cmd;  /* "serve", "sim", "check", "calc", "demo", "version" */
    const char *role; /* levy.config.role */
    char listen[256];
    char host[200]; /* from listen */
    int port;
    char data_dir[1024];
    char database[1024]; /* --database / LEVY_DATABASE_URL: postgres://…; empty = SQLite */
    char replica_id
        [128]; /* --replica-id / LEVY_REPLICA_ID; empty = hostname:ID (DATA_DIR/replica-id) */
    int data_dir_default; /* neither --data-dir nor LEVY_DATA_DIR: ./levy-data, ./levy-sim-data */
    char plugins_dir[1024];
    char scripts_dir[1024];
    char data_root[1024]; /* the project's data/ (rate tables) */
    char web_dir[1024];
    char public_url[512];
    char api_token[520];        /* empty until loaded; 16..512 chars (host/auth.h rule) */
    const char *api_token_from; /* where api_token came from, for messages ("--api-token"...) */
    char metrics_listen[256];   /* empty = none: a second listener serving GET /metrics only
                                     * (--metrics-listen / LEVY_METRICS_LISTEN) */
    char metrics_host[200];     /* from metrics_listen */
    int metrics_port;
    char metrics_token[520];        /* empty = none; opens GET /metrics only (same rule) */
    const char *metrics_token_from; /* "--metrics-token", "LEVY_METRICS_TOKEN_FILE"... */
    char rillet_url[512];
    int rillet_rate_limit; /* requests per rolling 60 s to Rillet per API key; 0 = no local limit */
    int webhook_tolerance_s;  /* accepted age of X-Rillet-Timestamp (s); 0 = not checked */
    int inbox_retention_days; /* processed webhook bodies kept this long (ids kept always) */
    int schedule_tick_s;      /* period of the connector's checks: sweep, reconciliation, inbox
                              * prune due? (--schedule-tick); their intervals are settings */
    int marketplace_chunk;    /* documents of a marketplace customer's exposure sums counted a
                               * transaction (--marketplace-chunk; rillet report_rows.lua) */
    int watch;
    int rates_update_s; /* levy serve runs `levy rates update` this often (0 = off, default;
                         * --rates-update-every / LEVY_RATES_UPDATE_S) */
    int log_json;
    char tls_cert[1024];
    char tls_key[1024];
    /* sim */
    int64_t sim_seed;
    int64_t sim_invoices;
    int sim_rate_limit;
    /* demo (serve child of `levy demo --auto`) */
    int demo_auto;
    int demo_keep; /* --keep: leave the demo's temporary data dirs when it stops */
    char demo_sim_url[256];
    char demo_api_key[256];
    /* calc */
    int cli_all_regions;
    int calc_lines; /* levy calc --lines: JSON Lines in, one answer per line out */
    const char *calc_file;
    /* restore */
    int force; /* --force: replace an existing database */
    /* rotate-master-key */
    char new_key_file[1024]; /* --new-key-file FILE: Base64 of the new 32-byte key */
    int yes_env;             /* --yes-env: rotate although LEVY_MASTER_KEY is set */
    /* token */
    int token_read_only;    /* --read-only: the token may only GET / HEAD */
    int token_admin;        /* --admin: the token may also create and revoke tokens */
    int token_with_created; /* --with-created: revoke also the live tokens it made */
    char token_name[128];   /* --name NAME of levy token create (checked by core/host/tokens.c) */
    /* limits */
    size_t max_body;         /* 1 MiB */
    size_t webhook_max_body; /* body cap of /webhooks/ routes: 8 MiB (--webhook-max-body) */
    int timeout_s;           /* read/write timeouts */
    int header_deadline_s;   /* whole request (headers + body) deadline: slowloris */
    /* positional arguments after the subcommand (rates import FILE...) */
    int nargs;
    char **args;
} levy_config;

/** Parses argv (after the subcommand) and the environment into c. Returns 0 ok, 2 usage
 * error (message printed to stderr), 1 when --help was printed (exit 0). */
int levy_config_parse(levy_config *c, const char *cmd, int argc, char **argv);
/** Prints usage of cmd (NULL or unknown = the list of commands) to f: the command's synopsis,
 * what it does and the flags it takes. */
void levy_config_usage(const char *cmd, void *file);
/** 1 when cmd is a levy subcommand. */
int levy_config_known_command(const char *cmd);
/** 1 when u is an absolute http(s) base URL: http[s]://host[:port][/path], host a name, IPv4
 * or [IPv6], port 1..65535, no spaces, user info, query or fragment. */
int levy_config_valid_base_url(const char *u);
/** Checks an API token against the rule: LEVY_TOKEN_MIN..LEVY_TOKEN_MAX characters of
 * printable ASCII without spaces (0x21..0x7e), not all one character. @return NULL when it
 * passes, else a static sentence naming the rule it breaks. Used by the flags above and by
 * the host (core/host/auth.c, host.c) wherever a token comes from. */
const char *levy_auth_token_rule(const char *tok, size_t len);
/** Resolves a default shared dir ("plugins", "scripts", "data", "web") into out. */
void levy_config_default_dir(const char *what, char *out, size_t cap);

#endif
