/* CLI and environment parsing (CONTRACT §1). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "config.h"

static const char USAGE[] =
    "usage: levy <command> [flags]\n"
    "\n"
    "commands:\n"
    "  serve              run the sidecar (HTTP API, web UI, webhooks, jobs)\n"
    "  demo [--auto]      start the Rillet simulator and levy with demo data\n"
    "  sim                run only the Rillet simulator\n"
    "  calc [FILE]        one /v1/calculate from FILE or stdin (--all-regions)\n"
    "  check              load every plugin and rule, run every self-test\n"
    "  test [PATH]        run the plugins' Lua specs (plugins/*/spec/*_spec.lua; PATH: a\n"
    "                     spec file, a plugin folder or a plugins tree)\n"
    "  signin             print a one-time sign-in link for the web UI (valid 15 min)\n"
    "  reload             reload plugins and rules of the levy serving on --listen (its\n"
    "                     token: --api-token-file or DIR/api-token); exit 1 if rejected\n"
    "  rates import FILE...  load rate tables into the data dir\n"
    "  rates update [SOURCES_FILE]  fetch, verify and install the official rate files listed\n"
    "                     in SOURCES_FILE (default DATA_DIR/rates-sources.conf)\n"
    "  backup FILE        consistent copy of the data dir's database (safe while serving)\n"
    "  restore FILE       restore a backup into the data dir (--force replaces a database)\n"
    "  rotate-master-key  re-seal stored secrets under a new master key (levy stopped;\n"
    "                     --new-key-file FILE, --yes-env when LEVY_MASTER_KEY is set)\n"
    "  version            print versions\n"
    "\n"
    "flags (env in brackets; the flag wins):\n"
    "  --listen ADDR          [LEVY_LISTEN]      default 127.0.0.1:8080\n"
    "  --data-dir DIR         [LEVY_DATA_DIR]    default ./levy-data\n"
    "  --plugins DIR          [LEVY_PLUGINS]     default: installed plugins/\n"
    "  --scripts DIR          [LEVY_SCRIPTS]     default: installed scripts/\n"
    "  --public-url URL       [LEVY_PUBLIC_URL]  default http://<listen>\n"
    "  --api-token-file FILE  [LEVY_API_TOKEN_FILE] the API token (16-512 printable ASCII,\n"
    "                         no spaces) read from FILE; default: generated into DIR/api-token\n"
    "  --api-token TOKEN      [LEVY_API_TOKEN]   the same inline (visible in ps: prefer the file)\n"
    "  --rillet-url URL       [LEVY_RILLET_URL]  default https://api.rillet.com\n"
    "  --rillet-rate-limit N  [LEVY_RILLET_RATE_LIMIT] requests per 60 s per API key,\n"
    "                         default 60 (Rillet's limit); 0 = none (429s still honoured)\n"
    "  --webhook-tolerance S  [LEVY_WEBHOOK_TOLERANCE_S] oldest X-Rillet-Timestamp accepted,\n"
    "                         in seconds; default 604800 (7 days); 0 = not checked\n"
    "  --webhook-max-body N   [LEVY_WEBHOOK_MAX_BODY] body cap of the webhook intake\n"
    "                         (/webhooks/*) in bytes, 65536..67108864; default 8388608 (8 MiB)\n"
    "  --inbox-retention-days N [LEVY_INBOX_RETENTION_DAYS] days a processed webhook body is\n"
    "                         kept, 0..3650; default 30 (delivery ids are kept for dedup)\n"
    "  --schedule-tick S      [LEVY_SCHEDULE_TICK_S] how often the connector checks whether a\n"
    "                         sweep or reconciliation is due and prunes the inbox, in\n"
    "                         seconds, 1..3600; default 60\n"
    "  --watch                [LEVY_WATCH=1]     reload when plugins/ or scripts/ change\n"
    "  --rates-update-every S [LEVY_RATES_UPDATE_S] run `levy rates update` every S seconds and\n"
    "                         reload when it installed a vintage (0 = off, the default)\n"
    "  --log-format text|json [LEVY_LOG_FORMAT]\n"
    "  --tls-cert FILE --tls-key FILE [LEVY_TLS_CERT, LEVY_TLS_KEY]\n"
    "  sim: --seed N --invoices N --no-rate-limit    calc: --all-regions\n"
    "  -h, --help             this text\n";

void levy_config_usage(const char *cmd, void *file)
{
    FILE *f = file;
    if (cmd)
        fprintf(f, "levy %s: see the flags below\n\n", cmd);
    fputs(USAGE, f);
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

static int parse_listen(levy_config *c)
{
    const char *colon = strrchr(c->listen, ':');
    if (!colon)
        return -1;
    size_t hl = (size_t)(colon - c->listen);
    if (hl >= sizeof c->host)
        return -1;
    memcpy(c->host, c->listen, hl);
    c->host[hl] = '\0';
    if (c->host[0] == '[') { /* [::1]:8080 */
        memmove(c->host, c->host + 1, strlen(c->host));
        char *rb = strchr(c->host, ']');
        if (rb)
            *rb = '\0';
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!end || *end || port < 0 || port > 65535)
        return -1;
    c->port = (int)port;
    return 0;
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

/* Reads the API token from path into c->api_token: the whole file, minus trailing CR/LF.
 * Returns NULL ok, else a static reason. */
static const char *read_token_file(levy_config *c, const char *path, int *too_long)
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
        memcpy(c->api_token, buf, n + 1);
    memset(buf, 0, sizeof buf);
    return NULL;
}

/* The API token from (in this order) --api-token, --api-token-file, LEVY_API_TOKEN,
 * LEVY_API_TOKEN_FILE; none = generated into DATA_DIR/api-token by serve. Enforces the rule
 * of levy_auth_token_rule: 16..512 printable ASCII characters, no spaces, not one character
 * repeated (a longer token used to be cut at 127 characters, a 1-character one accepted).
 * Returns 0 ok, else 2 with a message naming the flag or variable and the rule. */
static int resolve_token(levy_config *c, const char *cmd, const char *flag, const char *file)
{
    const char *env = getenv("LEVY_API_TOKEN"), *env_file = getenv("LEVY_API_TOKEN_FILE");
    if (env && !*env)
        env = NULL;
    if (env_file && !*env_file)
        env_file = NULL;
    if (flag && file) {
        fprintf(stderr, "levy %s: give --api-token or --api-token-file, not both\n", cmd);
        return 2;
    }
    if (!flag && !file && env && env_file) {
        fprintf(stderr, "levy %s: set LEVY_API_TOKEN or LEVY_API_TOKEN_FILE, not both\n", cmd);
        return 2;
    }
    const char *inline_v = flag ? flag : file ? NULL : env;
    const char *path = flag ? NULL : file ? file : env ? NULL : env_file;
    c->api_token_from = flag       ? "--api-token"
                        : file     ? "--api-token-file"
                        : env      ? "LEVY_API_TOKEN"
                        : env_file ? "LEVY_API_TOKEN_FILE"
                                   : NULL;
    c->api_token[0] = '\0';
    if (!c->api_token_from)
        return 0;
    int too_long = 0;
    if (inline_v) {
        too_long = strlen(inline_v) > LEVY_TOKEN_MAX;
        if (!too_long)
            snprintf(c->api_token, sizeof c->api_token, "%s", inline_v);
    } else {
        const char *why = read_token_file(c, path, &too_long);
        if (why) {
            fprintf(stderr, "levy %s: %s: %s %s\n", cmd, c->api_token_from, path, why);
            return 2;
        }
    }
    const char *rule = too_long ? "must be at most 512 characters"
                                : levy_auth_token_rule(c->api_token, strlen(c->api_token));
    if (rule) {
        memset(c->api_token, 0, sizeof c->api_token);
        fprintf(stderr,
                "levy %s: the API token from %s%s%s %s (16-512 printable ASCII "
                "characters, no spaces, not one character repeated)\n",
                cmd, c->api_token_from, path ? " " : "", path ? path : "", rule);
        return 2;
    }
    return 0;
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
    c->rillet_rate_limit = 60;
    c->webhook_tolerance_s = 604800;
    c->webhook_max_body = LEVY_WEBHOOK_MAX_BODY_DEFAULT;
    c->inbox_retention_days = LEVY_INBOX_RETENTION_DEFAULT;
    c->schedule_tick_s = LEVY_SCHEDULE_TICK_DEFAULT;
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

    struct {
        const char *flag;
        char *dst;
        size_t cap;
    } sflags[] = {
        {"--listen", c->listen, sizeof c->listen},
        {"--data-dir", c->data_dir, sizeof c->data_dir},
        {"--plugins", c->plugins_dir, sizeof c->plugins_dir},
        {"--scripts", c->scripts_dir, sizeof c->scripts_dir},
        {"--public-url", c->public_url, sizeof c->public_url},
        {"--rillet-url", c->rillet_url, sizeof c->rillet_url},
        {"--tls-cert", c->tls_cert, sizeof c->tls_cert},
        {"--tls-key", c->tls_key, sizeof c->tls_key},
        {"--data", c->data_root, sizeof c->data_root},
        {"--web", c->web_dir, sizeof c->web_dir},
    };
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            levy_config_usage(cmd, stdout);
            return 1;
        }
        int done = 0;
        for (size_t k = 0; k < sizeof sflags / sizeof sflags[0]; k++) {
            size_t fl = strlen(sflags[k].flag);
            if (strncmp(a, sflags[k].flag, fl) == 0 && (a[fl] == '\0' || a[fl] == '=')) {
                const char *v = a[fl] == '=' ? a + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v) {
                    fprintf(stderr, "levy %s: %s needs a value\n\n", cmd, sflags[k].flag);
                    levy_config_usage(cmd, stderr);
                    return 2;
                }
                snprintf(sflags[k].dst, sflags[k].cap, "%s", v);
                done = 1;
                break;
            }
        }
        for (size_t k = 0; k < nnums && !done; k++) {
            size_t fl = strlen(nums[k].flag);
            if (strncmp(a, nums[k].flag, fl) != 0 || (a[fl] != '\0' && a[fl] != '='))
                continue;
            const char *v = a[fl] == '=' ? a + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || parse_num(&nums[k], v) != 0) {
                fprintf(stderr, "levy %s: %s needs %s\n\n", cmd, nums[k].flag, nums[k].what);
                levy_config_usage(cmd, stderr);
                return 2;
            }
            done = 1;
        }
        if (done)
            continue;
        int tokf = strncmp(a, "--api-token", 11) == 0 && (a[11] == '\0' || a[11] == '=');
        int file = strncmp(a, "--api-token-file", 16) == 0 && (a[16] == '\0' || a[16] == '=');
        if (tokf || file) {
            size_t fl = file ? 16 : 11;
            char *v = a[fl] == '=' ? argv[i] + fl + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "levy %s: %s needs a value\n\n", cmd,
                        file ? "--api-token-file" : "--api-token");
                levy_config_usage(cmd, stderr);
                return 2;
            }
            if (file) {
                tok_file = v;
            } else {
                /* keep a copy and blank the argument, so that ps shows it for as short a
                 * time as possible (it is visible until here: prefer --api-token-file) */
                free(tok_flag);
                tok_flag = strdup(v);
                memset(v, '*', strlen(v));
            }
            continue;
        }
        if (strcmp(a, "--watch") == 0) {
            c->watch = 1;
        } else if (strcmp(a, "--log-format") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
                fprintf(stderr, "levy %s: --log-format must be text or json\n\n", cmd);
                levy_config_usage(cmd, stderr);
                return 2;
            }
            c->log_json = strcmp(v, "json") == 0;
        } else if (sim && (strcmp(a, "--seed") == 0 || strcmp(a, "--invoices") == 0) &&
                   i + 1 < argc) {
            char *end = NULL;
            long long v = strtoll(argv[i + 1], &end, 10);
            if (!end || *end || v < 0) {
                fprintf(stderr, "levy %s: %s needs a non-negative integer\n\n", cmd, a);
                levy_config_usage(cmd, stderr);
                return 2;
            }
            if (strcmp(a, "--seed") == 0)
                c->sim_seed = v;
            else
                c->sim_invoices = v;
            i++;
        } else if (sim && strcmp(a, "--no-rate-limit") == 0) {
            c->sim_rate_limit = 0;
        } else if (strcmp(cmd, "calc") == 0 && strcmp(a, "--all-regions") == 0) {
            c->cli_all_regions = 1;
        } else if (strcmp(cmd, "restore") == 0 && strcmp(a, "--force") == 0) {
            c->force = 1;
        } else if (strcmp(cmd, "rotate-master-key") == 0 && strcmp(a, "--yes-env") == 0) {
            c->yes_env = 1;
        } else if (strcmp(cmd, "rotate-master-key") == 0 && strcmp(a, "--new-key-file") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "levy %s: --new-key-file needs a value\n\n", cmd);
                levy_config_usage(cmd, stderr);
                return 2;
            }
            snprintf(c->new_key_file, sizeof c->new_key_file, "%s", argv[++i]);
        } else if (strcmp(cmd, "demo") == 0 && strcmp(a, "--auto") == 0) {
            c->demo_auto = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "levy %s: unknown flag %s\n\n", cmd, a);
            levy_config_usage(cmd, stderr);
            return 2;
        } else {
            c->args[c->nargs++] = argv[i];
        }
    }
    if (strcmp(cmd, "calc") == 0) {
        if (c->nargs > 1) {
            fprintf(stderr, "levy calc: at most one FILE\n\n");
            levy_config_usage(cmd, stderr);
            return 2;
        }
        c->calc_file = c->nargs ? c->args[0] : NULL;
    } else if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0) {
        if (c->nargs != 1) {
            fprintf(stderr, "levy %s: needs exactly one FILE\n\n", cmd);
            levy_config_usage(cmd, stderr);
            return 2;
        }
    } else if (strcmp(cmd, "test") == 0) {
        if (c->nargs > 1) {
            fprintf(stderr, "levy test: at most one PATH\n\n");
            levy_config_usage(cmd, stderr);
            return 2;
        }
    } else if (c->nargs && strcmp(cmd, "rates") != 0) {
        fprintf(stderr, "levy %s: unexpected argument %s\n\n", cmd, c->args[0]);
        levy_config_usage(cmd, stderr);
        return 2;
    }
    int trc = resolve_token(c, cmd, tok_flag, tok_file);
    if (tok_flag) {
        memset(tok_flag, 0, strlen(tok_flag));
        free(tok_flag);
    }
    if (trc != 0)
        return trc;
    if (parse_listen(c) != 0) {
        fprintf(stderr, "levy %s: bad --listen address '%s' (want host:port)\n\n", cmd, c->listen);
        levy_config_usage(cmd, stderr);
        return 2;
    }
    if ((c->tls_cert[0] != 0) != (c->tls_key[0] != 0)) {
        fprintf(stderr, "levy %s: --tls-cert and --tls-key go together\n\n", cmd);
        levy_config_usage(cmd, stderr);
        return 2;
    }
    if (!c->public_url[0])
        snprintf(c->public_url, sizeof c->public_url, "%s://%s", c->tls_cert[0] ? "https" : "http",
                 c->listen);
    return 0;
}
