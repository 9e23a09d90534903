/* CLI and environment parsing (CONTRACT §1). */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "config.h"

/* ---- commands and flags: one table, which both the parser and --help read ------------------ */

enum {
    C_SERVE = 1 << 0,
    C_DEMO = 1 << 1,
    C_SIM = 1 << 2,
    C_CALC = 1 << 3,
    C_CHECK = 1 << 4,
    C_TEST = 1 << 5,
    C_VERSION = 1 << 6,
    C_RATES = 1 << 7,
    C_BACKUP = 1 << 8,
    C_RESTORE = 1 << 9,
    C_ROTATE = 1 << 10,
    C_SIGNIN = 1 << 11,
    C_RELOAD = 1 << 12,
    C_FX = 1 << 13,
    C_MIGSTORE = 1 << 14,
    C_TOKEN = 1 << 15,
    C_RECOUNT = 1 << 16,
};
/* CONTRACT §1: the flags common to serve, demo, check and calc are accepted by all four */
#define C_CONTRACT (C_SERVE | C_DEMO | C_CHECK | C_CALC)
#define C_LOADS (C_SERVE | C_DEMO | C_SIM | C_CALC | C_CHECK | C_TEST | C_ROTATE)

typedef struct command {
    const char *name;
    int bit;
    const char *synopsis; /* after "levy NAME" */
    const char *what;     /* one line for levy --help */
    const char *more;     /* the command's own paragraph for levy NAME --help (or NULL) */
} command;

static const command COMMANDS[] = {
    {"serve", C_SERVE, "[flags]", "run the sidecar (HTTP API, web UI, webhooks, jobs)",
     "Runs levy: the HTTP API, the web UI, the webhook intake and the job runner. SIGHUP reloads\n"
     "plugins and rules; SIGINT/SIGTERM drain requests and jobs, then exit 0."},
    {"demo", C_DEMO, "[--auto] [--keep]", "start the Rillet simulator and levy with demo data",
     "Starts a Rillet simulator with demo data and a levy, each on a free loopback port with a\n"
     "fresh data dir under /tmp/levy-demo-*, and prints the levy URL, the simulator URL and the\n"
     "demo Rillet API key. Ctrl-C (or SIGTERM) stops both and removes the data dirs (unless\n"
     "--keep)."},
    {"sim", C_SIM, "[flags]", "run only the Rillet simulator",
     "Runs the Rillet simulator (a stand-in for Rillet API v4, for demos and tests). Its state\n"
     "is kept in the data dir: ./levy-sim-data in the current directory unless --data-dir or\n"
     "LEVY_DATA_DIR names another (levy sim says where at start)."},
    {"calc", C_CALC, "[FILE] [flags]", "one /v1/calculate from FILE or stdin (--all-regions)",
     "One calculation from a /v1/calculate request body in FILE or stdin; prints the response\n"
     "JSON. Reads regions, settings and products from the data dir (read-only) when it exists.\n"
     "With --lines, FILE or stdin holds one request body per line (JSON Lines; blank lines\n"
     "skipped) and each answer is printed on its own line, in order, from one load of the rules.\n"
     "Exit 0 ok, 1 calculation error (JSON error on stdout; with --lines: any line's), 2 usage."},
    {"check", C_CHECK, "[flags]", "load every plugin and rule, run every self-test",
     "Loads every plugin and rule script as a reload would and runs every self-test; one line\n"
     "per file and a summary. Exit 0 all good, 1 any failure."},
    {"test", C_TEST, "[PATH] [flags]", "run the plugins' Lua specs",
     "Runs the plugins' Lua specs (plugins/*/spec/*_spec.lua). PATH: a spec file, a plugin\n"
     "folder or a plugins tree (default: --plugins)."},
    {"signin", C_SIGNIN, "[flags]", "print a one-time sign-in link for the web UI (valid 15 min)",
     NULL},
    {"reload", C_RELOAD, "[flags]",
     "reload plugins and rules of the levy serving on --listen; exit 1 if rejected",
     "Asks the levy serving on --listen (its token: --api-token-file, LEVY_API_TOKEN or\n"
     "DIR/api-token) to reload plugins and rules, waits for the result and prints it. Exit 0\n"
     "when the new generation serves or nothing changed, 1 when the reload was rejected (the\n"
     "old generation keeps serving) or levy cannot be reached. The unit's ExecReload."},
    {"fx", C_FX, "import FILE [flags]",
     "import the ECB's euro reference rates (eurofxref-hist.csv) into the levy serving",
     "Sends FILE, the ECB's euro reference rates as published (eurofxref-hist.csv, unzipped),\n"
     "to the levy serving on --listen (POST /v1/reports/fx-rates; its token as for levy\n"
     "reload) for the EU One-Stop-Shop report, and waits while levy checks every line. Exit 0\n"
     "when the rates are ready, 1 when the file was refused (the line is named) or levy cannot\n"
     "be reached."},
    {"recount", C_RECOUNT, "[flags]",
     "rebuild every kept sum from the documents in the levy serving, and say what was wrong",
     "Asks the levy serving on --listen (its token as for levy reload) to recount every table\n"
     "it keeps from the documents (POST /v1/store/recount: import progress counts, calculation\n"
     "flags, exposure day sums, not-collected and filing sums), waits while it runs (levy keeps\n"
     "serving) and prints what it found wrong and fixed. Run it after a write behind levy's\n"
     "back: a restore of some tables, a manual SQL fix, bench/storeclone.py. Exit 0 when the\n"
     "recount finished (whether or not it fixed anything), 1 when it failed or levy cannot be\n"
     "reached."},
    {"rates", C_RATES, "import FILE... | update [SOURCES_FILE] [flags]",
     "load rate tables (import) or fetch and install the official files (update)",
     "levy rates import FILE...: load rate tables into the data dir, replacing the same\n"
     "source's older vintage. levy rates update [SOURCES_FILE]: fetch, verify and install the\n"
     "official rate files listed in SOURCES_FILE (default DATA_DIR/rates-sources.conf)."},
    {"backup", C_BACKUP, "FILE [flags]",
     "consistent copy of the data dir's database and files (safe while serving)",
     "Writes one SQLite file: a snapshot of the database, then every file under DATA_DIR/files\n"
     "(exemption certificates) with its size and SHA-256. The master key is not in it.\n"
     "With a PostgreSQL store (LEVY_DATABASE_URL) it writes nothing and prints the pg_dump\n"
     "command for that database instead (exit 1)."},
    {"restore", C_RESTORE, "FILE [--force] [flags]",
     "restore a backup into the data dir (levy stopped)",
     "Restores a backup made by levy backup into the data dir: its files (each checked against\n"
     "its size and SHA-256 first) into DATA_DIR/files, then the database. --force replaces an\n"
     "existing database. Refused while a levy serves the data dir. A backup of an older levy\n"
     "(the database only) restores too. With a PostgreSQL store (LEVY_DATABASE_URL) it writes\n"
     "nothing and prints the pg_restore command for that database instead (exit 1)."},
    {"rotate-master-key", C_ROTATE, "[--new-key-file FILE] [--yes-env] [flags]",
     "re-seal stored secrets under a new master key (levy stopped)",
     "Re-seals every stored secret under a new key in one transaction and swaps\n"
     "DATA_DIR/master.key (the previous one kept as master.key.prev). On PostgreSQL\n"
     "(LEVY_DATABASE_URL) every replica must be stopped (refused while another levy is\n"
     "connected to the database); copy the new key to each before starting it."},
    {"migrate-store", C_MIGSTORE, "--from DIR --to URL [--plugins DIR]",
     "copy a SQLite data dir's store into an empty PostgreSQL database (levy stopped)",
     "Copies the store of data dir DIR (DIR/levy.db, read-only; refused while a levy serves\n"
     "DIR) into the PostgreSQL database URL: migrates it to the same schema versions (core and\n"
     "every plugin of DIR from --plugins), copies every table and the files under DIR/files\n"
     "(exemption certificates, into the files table) in one transaction, then checks\n"
     "each table's row count and checksum on both sides and prints them; nothing is committed\n"
     "unless all match. A database that already holds levy data is refused, unless it equals\n"
     "DIR's (\"already copied\", exit 0: a re-run is safe). Sealed secrets are copied sealed:\n"
     "serve the copy with DIR's master key (levy serve --data-dir DIR --database URL). Exit 0\n"
     "copied or already copied, 1 refused or failed, 2 usage."},
    {"token", C_TOKEN,
     "create --name NAME [--admin | --read-only] | list | revoke NAME [--with-created] [flags]",
     "named API tokens: one per person or system, named in the audit log",
     "levy token create --name NAME: makes a token for NAME (a person or a system) and prints\n"
     "it once on stdout: levy keeps only its hash. It opens the API and the web UI like the\n"
     "API token, and the audit log names each change made with it (\"Alice's token\").\n"
     "It is full by default: everything but creating and revoking tokens (403 admin_required).\n"
     "--admin: it may also create and revoke named tokens, as the API token may.\n"
     "--read-only: it (and its web UI sessions) may only read: GET and HEAD; any other\n"
     "method is answered 403 read_only.\n"
     "levy token list: the live tokens with their access, when they were made, by whom and\n"
     "last used.\n"
     "levy token revoke NAME: the token, and every UI session opened with it, is refused from\n"
     "the next request on (a running levy needs no restart); the tokens it made are listed,\n"
     "to review (revoke them too if they should not stay). --with-created: revoke the live\n"
     "tokens it made in the same act (the secrets it set are listed to replace, never\n"
     "changed). Each create and revoke is in the audit log. Exit 0 ok, 1 failed (no store,\n"
     "no such token, name taken), 2 usage."},
    {"version", C_VERSION, "", "print levy's and its libraries' versions", NULL},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

typedef struct flag_doc {
    const char *flag; /* "--listen ADDR" */
    const char *env;  /* "LEVY_LISTEN" or NULL */
    const char *help; /* may hold '\n' */
    int shown;        /* commands whose --help lists it */
    int accepted;     /* commands that accept it (a superset of shown) */
} flag_doc;

static const flag_doc FLAGS[] = {
    {"--listen ADDR", "LEVY_LISTEN", "host:port to serve on; default 127.0.0.1:8080 (sim: :8081)",
     C_SERVE | C_SIM | C_RELOAD | C_FX | C_RECOUNT,
     C_CONTRACT | C_SIM | C_SIGNIN | C_RELOAD | C_FX | C_RECOUNT},
    {"--data-dir DIR", "LEVY_DATA_DIR",
     "the data dir (created 0700); default ./levy-data (sim: ./levy-sim-data)",
     C_SERVE | C_SIM | C_CALC | C_SIGNIN | C_RATES | C_BACKUP | C_RESTORE | C_ROTATE | C_RELOAD |
         C_FX | C_TOKEN | C_RECOUNT,
     C_CONTRACT | C_SIM | C_SIGNIN | C_RATES | C_BACKUP | C_RESTORE | C_ROTATE | C_TEST | C_RELOAD |
         C_FX | C_MIGSTORE | C_TOKEN | C_RECOUNT},
    {"--name NAME", NULL, "the name of the token to create (1-64 bytes; e.g. Alice)", C_TOKEN,
     C_TOKEN},
    {"--read-only", NULL, "the token may only read (GET, HEAD)", C_TOKEN, C_TOKEN},
    {"--admin", NULL, "the token may also create and revoke tokens", C_TOKEN, C_TOKEN},
    {"--with-created", NULL, "revoke: also revoke the live tokens it made", C_TOKEN, C_TOKEN},
    {"--from DIR", NULL, "the data dir whose SQLite store to copy (same as --data-dir)", C_MIGSTORE,
     C_MIGSTORE},
    {"--to URL", NULL, "postgres://...: the target database (same as --database)", C_MIGSTORE,
     C_MIGSTORE},
    {"--database URL", "LEVY_DATABASE_URL",
     "postgres://user:password@host[:port]/db[?sslmode=verify-full...]:\n"
     "keep the store in PostgreSQL (several levy processes may share it);\n"
     "default: SQLite, DIR/levy.db. libpq reads the URL (TLS: sslmode, sslrootcert)",
     C_SERVE | C_CALC | C_TOKEN, C_SERVE | C_CALC | C_MIGSTORE | C_TOKEN},
    {"--replica-id ID", "LEVY_REPLICA_ID",
     "this process's name among those sharing a database (/healthz,\n"
     "levy_replica_info, the jobs it claims); default hostname:ID,\n"
     "ID kept in DATA_DIR/replica-id",
     C_SERVE, C_SERVE},
    {"--plugins DIR", "LEVY_PLUGINS", "the plugins tree; default: the installed plugins/",
     C_LOADS | C_MIGSTORE, C_LOADS | C_MIGSTORE},
    {"--scripts DIR", "LEVY_SCRIPTS", "the rule scripts tree; default: the installed scripts/",
     C_LOADS & ~C_SIM, C_LOADS},
    {"--data DIR", "LEVY_DATA", "the shipped rate data; default: the installed data/",
     C_SERVE | C_CALC | C_CHECK | C_RATES, C_LOADS | C_RATES},
    {"--web DIR", "LEVY_WEB", "the web UI files; default: the installed web/", C_SERVE | C_SIM,
     C_LOADS},
    {"--public-url URL", "LEVY_PUBLIC_URL",
     "http(s)://host[:port][/path]: the base of the webhook URL shown\n"
     "when connecting and of sign-in links; default http://<listen>",
     C_SERVE | C_SIM | C_SIGNIN, C_CONTRACT | C_SIM | C_SIGNIN},
    {"--api-token-file FILE", "LEVY_API_TOKEN_FILE",
     "the API token (16-512 printable ASCII, no spaces) read from\n"
     "FILE; default: generated into DIR/api-token",
     C_SERVE | C_RELOAD | C_FX | C_RECOUNT, C_CONTRACT | C_SIM | C_RELOAD | C_FX | C_RECOUNT},
    {"--api-token TOKEN", "LEVY_API_TOKEN", "the same inline (visible in ps: prefer the file)",
     C_SERVE | C_RELOAD | C_FX | C_RECOUNT, C_CONTRACT | C_SIM | C_RELOAD | C_FX | C_RECOUNT},
    {"--metrics-token-file FILE", "LEVY_METRICS_TOKEN_FILE",
     "a read-only token for GET /metrics only (same rule as the\n"
     "API token, and not the API token), read from FILE; default: none",
     C_SERVE, C_SERVE},
    {"--metrics-token TOKEN", "LEVY_METRICS_TOKEN", "the same inline (prefer the file)", C_SERVE,
     C_SERVE},
    {"--metrics-listen ADDR", "LEVY_METRICS_LISTEN",
     "host:port of a second, plain-HTTP listener that serves\n"
     "GET /metrics only, for a scraper on a private address (no token\n"
     "there unless a metrics token is set); default: none",
     C_SERVE, C_SERVE},
    {"--rillet-url URL", "LEVY_RILLET_URL",
     "http(s) base URL of Rillet's API; default https://api.rillet.com", C_SERVE, C_CONTRACT},
    {"--rillet-rate-limit N", "LEVY_RILLET_RATE_LIMIT",
     "requests per 60 s per API key, default 60 (Rillet's\n"
     "limit); 0 = none (429s still honoured)",
     C_SERVE, C_SERVE},
    {"--webhook-tolerance S", "LEVY_WEBHOOK_TOLERANCE_S",
     "oldest X-Rillet-Timestamp accepted, in seconds;\n"
     "default 604800 (7 days); 0 = not checked",
     C_SERVE, C_SERVE},
    {"--webhook-max-body N", "LEVY_WEBHOOK_MAX_BODY",
     "body cap of the webhook intake (/webhooks/*) in bytes,\n"
     "65536..67108864; default 8388608 (8 MiB)",
     C_SERVE, C_SERVE},
    {"--inbox-retention-days N", "LEVY_INBOX_RETENTION_DAYS",
     "days a processed webhook body is kept, 0..3650;\n"
     "default 30 (delivery ids are kept for dedup)",
     C_SERVE, C_SERVE},
    {"--schedule-tick S", "LEVY_SCHEDULE_TICK_S",
     "how often the connector checks whether a sweep or\n"
     "reconciliation is due and prunes the inbox, 1..3600 s; default 60",
     C_SERVE, C_SERVE},
    {"--marketplace-chunk N", "LEVY_MARKETPLACE_CHUNK",
     "documents of a marketplace customer's exposure sums counted\n"
     "a transaction, 1..1000000; default 20000",
     C_SERVE, C_SERVE},
    {"--rates-update-every S", "LEVY_RATES_UPDATE_S",
     "run `levy rates update` every S seconds and reload when it\n"
     "installed a vintage (0 = off, the default)",
     C_SERVE, C_SERVE},
    {"--watch", "LEVY_WATCH=1", "reload when plugins/ or scripts/ change", C_SERVE | C_SIM,
     C_CONTRACT | C_SIM},
    {"--log-format text|json", "LEVY_LOG_FORMAT", "default text", C_SERVE | C_SIM,
     C_CONTRACT | C_SIM | C_TEST | C_RELOAD | C_FX | C_RECOUNT},
    {"--tls-cert FILE", "LEVY_TLS_CERT", "serve HTTPS directly (with --tls-key)",
     C_SERVE | C_SIM | C_RELOAD | C_FX | C_RECOUNT,
     C_CONTRACT | C_SIM | C_RELOAD | C_FX | C_RECOUNT},
    {"--tls-key FILE", "LEVY_TLS_KEY", "the key of --tls-cert",
     C_SERVE | C_SIM | C_RELOAD | C_FX | C_RECOUNT,
     C_CONTRACT | C_SIM | C_RELOAD | C_FX | C_RECOUNT},
    {"--seed N", NULL, "demo data seed (deterministic), default 1", C_SIM, C_SIM},
    {"--invoices N", NULL, "demo invoices to generate, default 25", C_SIM, C_SIM},
    {"--no-rate-limit", NULL, "switch off the simulated 60-per-60 s rate limit", C_SIM, C_SIM},
    {"--all-regions", NULL, "treat every region as subscribed with tax on", C_CALC, C_CALC},
    {"--lines", NULL, "JSON Lines: one request body per input line, one answer per output line",
     C_CALC, C_CALC},
    {"--auto", NULL, "also connect levy to the simulator and subscribe a few regions", C_DEMO,
     C_DEMO},
    {"--keep", NULL, "keep the temporary data dirs when the demo stops", C_DEMO, C_DEMO},
    {"--force", NULL, "replace an existing database", C_RESTORE, C_RESTORE},
    {"--new-key-file FILE", NULL, "Base64 of the new 32-byte key (default: a random one)", C_ROTATE,
     C_ROTATE},
    {"--yes-env", NULL, "rotate although LEVY_MASTER_KEY is set (the new key is printed)", C_ROTATE,
     C_ROTATE},
};
#define NFLAGS (sizeof FLAGS / sizeof FLAGS[0])

static const command *command_of(const char *cmd)
{
    for (size_t i = 0; cmd && i < NCOMMANDS; i++)
        if (strcmp(COMMANDS[i].name, cmd) == 0)
            return &COMMANDS[i];
    return NULL;
}

int levy_config_known_command(const char *cmd) { return command_of(cmd) != NULL; }

/* 1 when cmd accepts flag name a ("--listen", without a value) */
static int accepts(const command *c, const char *a)
{
    for (size_t i = 0; i < NFLAGS; i++) {
        size_t n = strcspn(FLAGS[i].flag, " ");
        if (strncmp(FLAGS[i].flag, a, n) == 0 && (a[n] == '\0' || a[n] == '='))
            return (FLAGS[i].accepted & c->bit) != 0;
    }
    return 0;
}

/* 1 when cmd uses flag name a (its --help lists it): a value it does not use is not checked */
static int uses(const command *c, const char *a)
{
    for (size_t i = 0; c && i < NFLAGS; i++) {
        size_t n = strcspn(FLAGS[i].flag, " ");
        if (strncmp(FLAGS[i].flag, a, n) == 0 && a[n] == '\0')
            return (FLAGS[i].shown & c->bit) != 0;
    }
    return 0;
}

static void put_indented(FILE *f, const char *text, int col)
{
    for (const char *p = text; *p; p++) {
        fputc(*p, f);
        if (*p == '\n')
            fprintf(f, "%*s", col, "");
    }
}

void levy_config_usage(const char *cmd, void *file)
{
    FILE *f = file;
    const command *c = command_of(cmd);
    if (!c) {
        fputs("usage: levy <command> [flags]\n\ncommands:\n", f);
        for (size_t i = 0; i < NCOMMANDS; i++)
            fprintf(f, "  %-18s %s\n", COMMANDS[i].name, COMMANDS[i].what);
        fputs("\n`levy <command> --help` prints a command's own flags. Every flag can also be "
              "set by\nthe environment variable it names (the flag wins).\n"
              "  -h, --help         this text\n",
              f);
        return;
    }
    fprintf(f, "usage: levy %s%s%s\n\n", c->name, c->synopsis[0] ? " " : "", c->synopsis);
    if (c->more)
        fprintf(f, "%s\n", c->more);
    else
        fprintf(f, "%c%s.\n", c->what[0] - 'a' + 'A', c->what + 1);
    int any = 0;
    for (size_t i = 0; i < NFLAGS; i++) {
        if (!(FLAGS[i].shown & c->bit))
            continue;
        if (!any++)
            fputs("\nflags (environment variable in brackets; the flag wins):\n", f);
        fprintf(f, "  %s", FLAGS[i].flag);
        if (FLAGS[i].env)
            fprintf(f, "  [%s]", FLAGS[i].env);
        fputs("\n      ", f);
        put_indented(f, FLAGS[i].help, 6);
        fputc('\n', f);
    }
    fputs("  -h, --help\n      this text\n", f);
}

/* A usage error: one line on stderr naming the problem and where the help is (exit 2). */
static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "levy %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    const command *c = command_of(cmd);
    const char *syn = c && c->synopsis[0] ? c->synopsis : "";
    fprintf(stderr, " (usage: levy %s%s%s; see levy %s --help)\n", cmd, syn[0] ? " " : "", syn,
            cmd);
    return 2;
}

#define LEVY_WEBHOOK_TOLERANCE_MAX 31536000 /* one year */

/* A numeric setting: --flag N or --flag=N, else its variable, else the default set before.
 * Whole decimal numbers in [min, max] only; anything else is a usage error naming the flag or
 * variable and `what` (the range and unit). Exactly one of ival and zval is set. */
typedef struct num_setting {
    const char *flag;
    const char *env;
    const char *what;
    long long min, max;
    int *ival;
    size_t *zval;
} num_setting;

static int parse_num(const num_setting *s, const char *v)
{
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (!end || end == v || *end || n < s->min || n > s->max)
        return -1;
    if (s->ival)
        *s->ival = (int)n;
    else
        *s->zval = (size_t)n;
    return 0;
}

static int exists_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void levy_config_default_dir(const char *what, char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 64];
            snprintf(cand, sizeof cand, "%s/../share/levy/%s", exe, what);
            if (exists_dir(cand)) {
                snprintf(out, cap, "%s", cand);
                return;
            }
        }
    }
    snprintf(out, cap, "%s/%s", LEVY_SOURCE_DIR, what);
}

static void set_from(char *dst, size_t cap, const char *env, const char *def)
{
    const char *v = getenv(env);
    if (v && *v)
        snprintf(dst, cap, "%s", v);
    else if (def)
        snprintf(dst, cap, "%s", def);
}

/* host:port, host a name, an IPv4 address or [IPv6]; port 0..65535 (0: the system picks).
 * host (cap bytes) and *port_out are set on success. A host of digits and dots only must be a
 * dotted-quad IPv4 address and one in brackets an IPv6 address (inet_pton): getaddrinfo would
 * take 127.0.0 as 127.0.0.0 and try 999.1.1.1 as a name, after the data dir was created. */
static int parse_listen(const char *listen, char *host, size_t cap, int *port_out)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -1;
    size_t hl = (size_t)(colon - listen);
    if (hl == 0 || hl >= cap)
        return -1;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (host[0] == '[') { /* [::1]:8080 */
        if (host[hl - 1] != ']' || hl < 3)
            return -1;
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            return -1;
    } else {
        int numeric = 1;
        for (const char *q = host; *q; q++) {
            if (!isalnum((unsigned char)*q) && *q != '-' && *q != '.')
                return -1;
            if (!isdigit((unsigned char)*q) && *q != '.')
                numeric = 0;
        }
        struct in_addr a4;
        if (numeric && inet_pton(AF_INET, host, &a4) != 1)
            return -1;
    }
    const char *ps = colon + 1;
    if (!*ps || strlen(ps) > 5)
        return -1;
    for (const char *q = ps; *q; q++)
        if (!isdigit((unsigned char)*q))
            return -1;
    long port = strtol(ps, NULL, 10);
    if (port > 65535)
        return -1;
    *port_out = (int)port;
    return 0;
}

/* A listen host that is a name must resolve: refused at parse time (exit 2, one line) rather
 * than when the socket is bound, after the data dir and its master key were created. An
 * address (IPv4, IPv6) is not looked up. NULL when it resolves, else the resolver's reason. */
static const char *listen_unresolved(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1)
        return NULL;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (res)
        freeaddrinfo(res);
    return rc == 0 ? NULL : gai_strerror(rc);
}

const char *levy_auth_token_rule(const char *tok, size_t len)
{
    if (len < LEVY_TOKEN_MIN)
        return "must be at least 16 characters";
    if (len > LEVY_TOKEN_MAX)
        return "must be at most 512 characters";
    int same = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tok[i];
        if (c < 0x21 || c > 0x7e)
            return "must be printable ASCII without spaces";
        same &= tok[i] == tok[0];
    }
    if (same)
        return "must not be one character repeated";
    return NULL;
}

/* Reads a token from path into dst (cap LEVY_TOKEN_MAX + 8): the whole file, minus trailing
 * CR/LF. Returns NULL ok, else a static reason. */
static const char *read_token_file(char *dst, const char *path, int *too_long)
{
    char buf[LEVY_TOKEN_MAX + 4];
    size_t n = 0;
    int rc = levy_file_read_into(path, buf, sizeof buf, &n, NULL);
    if (rc != LEVY_OK && rc != LEVY_EINVAL)
        return "cannot be read";
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    *too_long = rc == LEVY_EINVAL || n > LEVY_TOKEN_MAX;
    if (!*too_long)
        memcpy(dst, buf, n + 1);
    memset(buf, 0, sizeof buf);
    return NULL;
}

/* Where a token comes from: its flag, its file flag, its variable, its file variable. */
typedef struct token_source {
    const char *what;             /* "API token", "metrics token" */
    const char *flag, *file_flag; /* "--api-token", "--api-token-file" */
    const char *env, *env_file;   /* "LEVY_API_TOKEN", "LEVY_API_TOKEN_FILE" */
    char *dst;                    /* LEVY_TOKEN_MAX + 8 bytes */
    const char **from;
} token_source;

/* A token from (in this order) the flag, the file flag, the variable, the file variable;
 * none = empty (the API token is then generated into DATA_DIR/api-token by serve). Enforces
 * the rule of levy_auth_token_rule: 16..512 printable ASCII characters, no spaces, not one
 * character repeated (a longer token used to be cut at 127 characters, a 1-character one
 * accepted). Returns 0 ok, else 2 with a message naming the flag or variable and the rule. */
static int resolve_token(const token_source *t, const char *cmd, const char *flag, const char *file)
{
    const char *env = getenv(t->env), *env_file = getenv(t->env_file);
    if (env && !*env)
        env = NULL;
    if (env_file && !*env_file)
        env_file = NULL;
    if (flag && file)
        return usage_error(cmd, "give %s or %s, not both", t->flag, t->file_flag);
    if (!flag && !file && env && env_file) {
        fprintf(stderr, "levy %s: set %s or %s, not both\n", cmd, t->env, t->env_file);
        return 2;
    }
    const char *inline_v = flag ? flag : file ? NULL : env;
    const char *path = flag ? NULL : file ? file : env ? NULL : env_file;
    *t->from = flag ? t->flag : file ? t->file_flag : env ? t->env : env_file ? t->env_file : NULL;
    t->dst[0] = '\0';
    if (!*t->from)
        return 0;
    int too_long = 0;
    if (inline_v) {
        too_long = strlen(inline_v) > LEVY_TOKEN_MAX;
        if (!too_long)
            snprintf(t->dst, LEVY_TOKEN_MAX + 8, "%s", inline_v);
    } else {
        const char *why = read_token_file(t->dst, path, &too_long);
        if (why) {
            fprintf(stderr, "levy %s: %s: %s %s\n", cmd, *t->from, path, why);
            return 2;
        }
    }
    const char *rule =
        too_long ? "must be at most 512 characters" : levy_auth_token_rule(t->dst, strlen(t->dst));
    if (rule) {
        memset(t->dst, 0, LEVY_TOKEN_MAX + 8);
        fprintf(stderr,
                "levy %s: the %s from %s%s%s %s (16-512 printable ASCII "
                "characters, no spaces, not one character repeated)\n",
                cmd, t->what, *t->from, path ? " " : "", path ? path : "", rule);
        return 2;
    }
    return 0;
}

/* 1 when u is an absolute http(s) URL levy can use as a base: scheme http or https, "://", a
 * host (name, IPv4 or [IPv6]) with an optional :port 1..65535, an optional path; no spaces,
 * no user info, query or fragment. */
int levy_config_valid_base_url(const char *u)
{
    const char *p;
    if (strncmp(u, "https://", 8) == 0)
        p = u + 8;
    else if (strncmp(u, "http://", 7) == 0)
        p = u + 7;
    else
        return 0;
    for (const char *q = u; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f || *q == '?' || *q == '#' || *q == '@' ||
            *q == '\\')
            return 0;
    size_t hl;
    if (*p == '[') {
        const char *rb = strchr(p, ']');
        if (!rb || rb == p + 1)
            return 0;
        for (const char *q = p + 1; q < rb; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
                return 0;
        hl = (size_t)(rb - p) + 1;
    } else {
        hl = strcspn(p, ":/");
        if (hl == 0)
            return 0;
        for (size_t i = 0; i < hl; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.')
                return 0;
        if (p[0] == '.' || p[0] == '-')
            return 0;
    }
    p += hl;
    if (*p == ':') {
        char *end = NULL;
        if (!isdigit((unsigned char)p[1]))
            return 0;
        long port = strtol(p + 1, &end, 10);
        if (port < 1 || port > 65535 || (*end && *end != '/'))
            return 0;
        p = end;
    }
    return *p == '\0' || *p == '/';
}

int levy_config_parse(levy_config *c, const char *cmd, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->role = strcmp(cmd, "sim") == 0                 ? "sim"
              : strcmp(cmd, "check") == 0             ? "check"
              : strcmp(cmd, "test") == 0              ? "test"
              : strcmp(cmd, "calc") == 0              ? "calc"
              : strcmp(cmd, "rotate-master-key") == 0 ? "check"
                                                      : "serve";
    int sim = strcmp(cmd, "sim") == 0;
    set_from(c->listen, sizeof c->listen, "LEVY_LISTEN", sim ? "127.0.0.1:8081" : "127.0.0.1:8080");
    set_from(c->metrics_listen, sizeof c->metrics_listen, "LEVY_METRICS_LISTEN", NULL);
    set_from(c->data_dir, sizeof c->data_dir, "LEVY_DATA_DIR",
             sim ? "./levy-sim-data" : "./levy-data");
    char def[1024];
    levy_config_default_dir("plugins", def, sizeof def);
    set_from(c->plugins_dir, sizeof c->plugins_dir, "LEVY_PLUGINS", def);
    levy_config_default_dir("scripts", def, sizeof def);
    set_from(c->scripts_dir, sizeof c->scripts_dir, "LEVY_SCRIPTS", def);
    levy_config_default_dir("data", def, sizeof def);
    set_from(c->data_root, sizeof c->data_root, "LEVY_DATA", def);
    levy_config_default_dir("web", def, sizeof def);
    set_from(c->web_dir, sizeof c->web_dir, "LEVY_WEB", def);
    set_from(c->public_url, sizeof c->public_url, "LEVY_PUBLIC_URL", NULL);
    set_from(c->rillet_url, sizeof c->rillet_url, "LEVY_RILLET_URL", "https://api.rillet.com");
    set_from(c->database, sizeof c->database, "LEVY_DATABASE_URL", NULL);
    set_from(c->replica_id, sizeof c->replica_id, "LEVY_REPLICA_ID", NULL);
    c->rillet_rate_limit = 60;
    c->webhook_tolerance_s = 604800;
    c->webhook_max_body = LEVY_WEBHOOK_MAX_BODY_DEFAULT;
    c->inbox_retention_days = LEVY_INBOX_RETENTION_DEFAULT;
    c->schedule_tick_s = LEVY_SCHEDULE_TICK_DEFAULT;
    c->marketplace_chunk = LEVY_MARKETPLACE_CHUNK_DEFAULT;
    const num_setting nums[] = {
        {"--rillet-rate-limit", "LEVY_RILLET_RATE_LIMIT", "an integer 0..100000", 0, 100000,
         &c->rillet_rate_limit, NULL},
        {"--webhook-tolerance", "LEVY_WEBHOOK_TOLERANCE_S", "an integer 0..31536000 (seconds)", 0,
         LEVY_WEBHOOK_TOLERANCE_MAX, &c->webhook_tolerance_s, NULL},
        {"--webhook-max-body", "LEVY_WEBHOOK_MAX_BODY", "a number of bytes 65536..67108864",
         (long long)LEVY_WEBHOOK_MAX_BODY_MIN, (long long)LEVY_WEBHOOK_MAX_BODY_MAX, NULL,
         &c->webhook_max_body},
        {"--inbox-retention-days", "LEVY_INBOX_RETENTION_DAYS", "an integer 0..3650 (days)", 0,
         LEVY_INBOX_RETENTION_MAX, &c->inbox_retention_days, NULL},
        {"--schedule-tick", "LEVY_SCHEDULE_TICK_S", "an integer 1..3600 (seconds)",
         LEVY_SCHEDULE_TICK_MIN, LEVY_SCHEDULE_TICK_MAX, &c->schedule_tick_s, NULL},
        {"--marketplace-chunk", "LEVY_MARKETPLACE_CHUNK", "an integer 1..1000000 (documents)", 1,
         LEVY_MARKETPLACE_CHUNK_MAX, &c->marketplace_chunk, NULL},
        {"--rates-update-every", "LEVY_RATES_UPDATE_S", "an integer 0..31622400 (seconds, 0 = off)",
         0, 31622400, &c->rates_update_s, NULL},
    };
    const size_t nnums = sizeof nums / sizeof nums[0];
    for (size_t k = 0; k < nnums; k++) {
        const char *v = getenv(nums[k].env);
        if (v && *v && parse_num(&nums[k], v) != 0) {
            fprintf(stderr, "levy %s: %s must be %s\n", cmd, nums[k].env, nums[k].what);
            return 2;
        }
    }
    const char *w = getenv("LEVY_WATCH");
    c->watch = w && strcmp(w, "1") == 0;
    const char *lf = getenv("LEVY_LOG_FORMAT");
    c->log_json = lf && strcmp(lf, "json") == 0;
    set_from(c->tls_cert, sizeof c->tls_cert, "LEVY_TLS_CERT", NULL);
    set_from(c->tls_key, sizeof c->tls_key, "LEVY_TLS_KEY", NULL);
    c->sim_seed = 1;
    c->sim_invoices = 25;
    c->sim_rate_limit = 1;
    const char *da = getenv("LEVY_DEMO_AUTO");
    c->demo_auto = da && strcmp(da, "1") == 0;
    set_from(c->demo_sim_url, sizeof c->demo_sim_url, "LEVY_DEMO_SIM_URL", NULL);
    set_from(c->demo_api_key, sizeof c->demo_api_key, "LEVY_DEMO_API_KEY", NULL);
    c->max_body = (size_t)1 << 20;
    c->timeout_s = 30;
    c->header_deadline_s = 10;
    const char *dl = getenv("LEVY_HTTP_DEADLINE_S"); /* whole-request deadline (tests) */
    if (dl && atoi(dl) > 0)
        c->header_deadline_s = atoi(dl);
    c->args = calloc((size_t)argc + 1, sizeof *c->args);
    char *tok_flag = NULL;       /* --api-token value (copy) */
    const char *tok_file = NULL; /* --api-token-file value */
    char *mtok_flag = NULL;      /* --metrics-token value (copy) */
    const char *mtok_file = NULL;
    int listen_flag = 0, public_flag = 0, rillet_flag = 0, data_dir_flag = 0, mlisten_flag = 0;
    const command *me = command_of(cmd);
    int rc = 0;

    struct {
        const char *flag;
        char *dst;
        size_t cap;
        int *given;
    } sflags[] = {
        {"--listen", c->listen, sizeof c->listen, &listen_flag},
        {"--metrics-listen", c->metrics_listen, sizeof c->metrics_listen, &mlisten_flag},
        {"--data-dir", c->data_dir, sizeof c->data_dir, &data_dir_flag},
        {"--database", c->database, sizeof c->database, NULL},
        {"--from", c->data_dir, sizeof c->data_dir, &data_dir_flag},
        {"--to", c->database, sizeof c->database, NULL},
        {"--replica-id", c->replica_id, sizeof c->replica_id, NULL},
        {"--plugins", c->plugins_dir, sizeof c->plugins_dir, NULL},
        {"--scripts", c->scripts_dir, sizeof c->scripts_dir, NULL},
        {"--public-url", c->public_url, sizeof c->public_url, &public_flag},
        {"--rillet-url", c->rillet_url, sizeof c->rillet_url, &rillet_flag},
        {"--tls-cert", c->tls_cert, sizeof c->tls_cert, NULL},
        {"--tls-key", c->tls_key, sizeof c->tls_key, NULL},
        {"--data", c->data_root, sizeof c->data_root, NULL},
        {"--web", c->web_dir, sizeof c->web_dir, NULL},
        {"--log-format", NULL, 0, NULL},
        {"--new-key-file", c->new_key_file, sizeof c->new_key_file, NULL},
        {"--name", c->token_name, sizeof c->token_name, NULL},
        {"--seed", NULL, 0, NULL},
        {"--invoices", NULL, 0, NULL},
    };
    for (int i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            levy_config_usage(cmd, stdout);
            rc = 1;
            break;
        }
        if (a[0] == '-' && a[1] != '\0' && strcmp(a, "-") != 0 && me && !accepts(me, a)) {
            rc = usage_error(cmd, "unknown flag %.*s", (int)strcspn(a, "="), a);
            break;
        }
        int done = 0;
        for (size_t k = 0; k < sizeof sflags / sizeof sflags[0]; k++) {
            size_t fl = strlen(sflags[k].flag);
            if (strncmp(a, sflags[k].flag, fl) != 0 || (a[fl] != '\0' && a[fl] != '='))
                continue;
            const char *v = a[fl] == '=' ? a + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
            done = 1;
            if (!v) {
                rc = usage_error(cmd, "%s needs a value", sflags[k].flag);
                break;
            }
            if (sflags[k].dst) {
                if (strlen(v) >= sflags[k].cap) {
                    rc = usage_error(cmd, "%s is too long (at most %zu characters)", sflags[k].flag,
                                     sflags[k].cap - 1);
                    break;
                }
                snprintf(sflags[k].dst, sflags[k].cap, "%s", v);
                if (sflags[k].given)
                    *sflags[k].given = 1;
            } else if (strcmp(sflags[k].flag, "--log-format") == 0) {
                if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
                    rc = usage_error(cmd, "--log-format must be text or json");
                    break;
                }
                c->log_json = strcmp(v, "json") == 0;
            } else { /* --seed, --invoices */
                char *end = NULL;
                long long n = strtoll(v, &end, 10);
                if (!end || end == v || *end || n < 0) {
                    rc = usage_error(cmd, "%s needs a non-negative integer", sflags[k].flag);
                    break;
                }
                if (strcmp(sflags[k].flag, "--seed") == 0)
                    c->sim_seed = n;
                else
                    c->sim_invoices = n;
            }
            break;
        }
        for (size_t k = 0; k < nnums && !done && rc == 0; k++) {
            size_t fl = strlen(nums[k].flag);
            if (strncmp(a, nums[k].flag, fl) != 0 || (a[fl] != '\0' && a[fl] != '='))
                continue;
            const char *v = a[fl] == '=' ? a + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_num(&nums[k], v) != 0)
                rc = usage_error(cmd, "%s needs %s", nums[k].flag, nums[k].what);
            done = 1;
        }
        if (done || rc)
            continue;
        static const char *const tokflags[] = {"--api-token", "--api-token-file", "--metrics-token",
                                               "--metrics-token-file"};
        int tk = -1;
        for (int k = 0; k < 4; k++) {
            size_t fl = strlen(tokflags[k]);
            if (strncmp(a, tokflags[k], fl) == 0 && (a[fl] == '\0' || a[fl] == '='))
                tk = k;
        }
        if (tk >= 0) {
            size_t fl = strlen(tokflags[tk]);
            char *v = a[fl] == '=' ? argv[i] + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                rc = usage_error(cmd, "%s needs a value", tokflags[tk]);
                break;
            }
            if (tk == 1) {
                tok_file = v;
            } else if (tk == 3) {
                mtok_file = v;
            } else {
                /* keep a copy and blank the argument, so that ps shows it for as short a
                 * time as possible (it is visible until here: prefer the -file flag) */
                char **keep = tk == 0 ? &tok_flag : &mtok_flag;
                free(*keep);
                *keep = strdup(v);
                memset(v, '*', strlen(v));
            }
            continue;
        }
        if (strcmp(a, "--watch") == 0) {
            c->watch = 1;
        } else if (strcmp(a, "--no-rate-limit") == 0) {
            c->sim_rate_limit = 0;
        } else if (strcmp(a, "--all-regions") == 0) {
            c->cli_all_regions = 1;
        } else if (strcmp(a, "--lines") == 0) {
            c->calc_lines = 1;
        } else if (strcmp(a, "--force") == 0) {
            c->force = 1;
        } else if (strcmp(a, "--yes-env") == 0) {
            c->yes_env = 1;
        } else if (strcmp(a, "--auto") == 0) {
            c->demo_auto = 1;
        } else if (strcmp(a, "--keep") == 0) {
            c->demo_keep = 1;
        } else if (strcmp(a, "--read-only") == 0) {
            c->token_read_only = 1;
        } else if (strcmp(a, "--admin") == 0) {
            c->token_admin = 1;
        } else if (strcmp(a, "--with-created") == 0) {
            c->token_with_created = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = usage_error(cmd, "unknown flag %s", a); /* a flag of the table not handled */
        } else {
            c->args[c->nargs++] = argv[i];
        }
    }
    if (rc == 0 && strcmp(cmd, "calc") == 0) {
        if (c->nargs > 1)
            rc = usage_error(cmd, "at most one FILE");
        c->calc_file = c->nargs ? c->args[0] : NULL;
    } else if (rc == 0 && (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0)) {
        if (c->nargs != 1)
            rc = usage_error(cmd, "needs exactly one FILE");
    } else if (rc == 0 && strcmp(cmd, "test") == 0) {
        if (c->nargs > 1)
            rc = usage_error(cmd, "at most one PATH");
    } else if (rc == 0 && strcmp(cmd, "fx") == 0) {
        if (c->nargs != 2 || strcmp(c->args[0], "import") != 0)
            rc = usage_error(cmd, "needs: import FILE");
    } else if (rc == 0 && strcmp(cmd, "rates") == 0) {
        if (c->nargs >= 1 && strcmp(c->args[0], "update") == 0) {
            if (c->nargs > 2)
                rc = usage_error(cmd, "update takes at most one SOURCES_FILE");
        } else if (c->nargs < 2 || strcmp(c->args[0], "import") != 0) {
            rc = usage_error(cmd, "needs: import FILE... or update [SOURCES_FILE]");
        }
    } else if (rc == 0 && c->nargs && strcmp(cmd, "token") != 0) {
        rc = usage_error(cmd, "unexpected argument %s", c->args[0]);
    }
    token_source api = {"API token",           "--api-token", "--api-token-file", "LEVY_API_TOKEN",
                        "LEVY_API_TOKEN_FILE", c->api_token,  &c->api_token_from};
    token_source met = {"metrics token",       "--metrics-token",         "--metrics-token-file",
                        "LEVY_METRICS_TOKEN",  "LEVY_METRICS_TOKEN_FILE", c->metrics_token,
                        &c->metrics_token_from};
    if (rc == 0)
        rc = resolve_token(&api, cmd, tok_flag, tok_file);
    if (rc == 0)
        rc = resolve_token(&met, cmd, mtok_flag, mtok_file);
    for (int k = 0; k < 2; k++) {
        char *t = k ? mtok_flag : tok_flag;
        if (t) {
            memset(t, 0, strlen(t));
            free(t);
        }
    }
    if (rc != 0)
        return rc;
    if (c->metrics_token[0] && c->api_token[0] && strcmp(c->metrics_token, c->api_token) == 0)
        return usage_error(cmd,
                           "the metrics token (%s) must not be the API token (%s): it "
                           "opens GET /metrics only",
                           c->metrics_token_from, c->api_token_from);
    if (parse_listen(c->listen, c->host, sizeof c->host, &c->port) != 0)
        return usage_error(cmd, "bad %s address '%s' (want host:port, port 0..65535)",
                           listen_flag ? "--listen" : "LEVY_LISTEN", c->listen);
    const char *why = uses(me, "--listen") ? listen_unresolved(c->host) : NULL;
    if (why)
        return usage_error(cmd, "%s host '%s' does not resolve (%s)",
                           listen_flag ? "--listen" : "LEVY_LISTEN", c->host, why);
    if (c->metrics_listen[0] && uses(me, "--metrics-listen")) {
        const char *mname = mlisten_flag ? "--metrics-listen" : "LEVY_METRICS_LISTEN";
        if (parse_listen(c->metrics_listen, c->metrics_host, sizeof c->metrics_host,
                         &c->metrics_port) != 0)
            return usage_error(cmd, "bad %s address '%s' (want host:port, port 0..65535)", mname,
                               c->metrics_listen);
        const char *mwhy = listen_unresolved(c->metrics_host);
        if (mwhy)
            return usage_error(cmd, "%s host '%s' does not resolve (%s)", mname, c->metrics_host,
                               mwhy);
        if (c->metrics_port != 0 && c->metrics_port == c->port &&
            strcmp(c->metrics_host, c->host) == 0)
            return usage_error(cmd, "%s '%s' is the --listen address: give /metrics its own port",
                               mname, c->metrics_listen);
    } else {
        c->metrics_listen[0] = '\0';
    }
    if ((c->tls_cert[0] != 0) != (c->tls_key[0] != 0))
        return usage_error(cmd, "--tls-cert and --tls-key go together");
    if (c->public_url[0] && uses(me, "--public-url") && !levy_config_valid_base_url(c->public_url))
        return usage_error(cmd,
                           "%s '%s' is not an http(s) URL (want https://host[:port][/path], no "
                           "query or user info)",
                           public_flag ? "--public-url" : "LEVY_PUBLIC_URL", c->public_url);
    if (uses(me, "--rillet-url") && !levy_config_valid_base_url(c->rillet_url))
        return usage_error(cmd,
                           "%s '%s' is not an http(s) URL (want https://host[:port][/path], no "
                           "query or user info)",
                           rillet_flag ? "--rillet-url" : "LEVY_RILLET_URL", c->rillet_url);
    if (c->database[0] && uses(me, "--database") && strncmp(c->database, "postgres://", 11) != 0 &&
        strncmp(c->database, "postgresql://", 13) != 0)
        return usage_error(cmd, "--database / LEVY_DATABASE_URL must be a postgres:// or "
                                "postgresql:// URL (SQLite needs none: DIR/levy.db)");
    for (const char *r = c->replica_id; *r; r++)
        if ((unsigned char)*r <= ' ' || *r == '"' || *r == '\\' || (unsigned char)*r >= 127)
            return usage_error(cmd, "--replica-id: printable ASCII without spaces, quotes or "
                                    "backslashes");
    c->data_dir_default = !data_dir_flag && !(getenv("LEVY_DATA_DIR") && *getenv("LEVY_DATA_DIR"));
    if (!c->public_url[0])
        snprintf(c->public_url, sizeof c->public_url, "%s://%s", c->tls_cert[0] ? "https" : "http",
                 c->listen);
    return 0;
}
