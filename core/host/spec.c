/* levy test [PATH]: runs the Lua specs of plugins (plugins/<name>/spec/<x>_spec.lua).
 *
 * Each spec file gets a generation of its own (role "test", or "sim" for the simulator's
 * plugin) built from the plugins tree the file belongs to, with no rule self-tests and
 * generous budgets (a spec asserts behaviour, never a duration). The generation's store is a
 * temporary database (migrated like levy serve's) that is thrown away at exit; every case
 * runs inside a transaction that is rolled back, so each case starts from the freshly
 * migrated store. levy.http and levy.time.sleep are stubs (core/lua/runtime/spec.lua): no
 * network, no waiting. The master key is a random one for this run. Cases run on the main
 * state in the request context, like a job. Exit 0 when every case passed, 1 otherwise. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "crypto/crypto.h"
#include "config.h"
#include "file.h"
#include "host/host.h"
#include "lua/gen.h"
#include "lua/lctx.h"
#include "log.h"
#include "lua/sandbox.h"
#include "store/store.h"
#include "tax/tax.h"

typedef struct spec_file {
    char path[PATH_MAX]; /* as read from disk */
    char rel[512];       /* "plugins/<plugin>/spec/<file>" (chunk name, output) */
    char plugin[128];
    char plugins_dir[PATH_MAX];
} spec_file;

typedef struct spec_list {
    spec_file *v;
    int n, cap;
} spec_list;

typedef struct spec_run {
    levy_config *cfg;
    char tmp[PATH_MAX];
    levy_store *store[2]; /* [0] role test, [1] role sim (separate: the simulator's tables) */
    levy_rates *rates;
    int cases, failed, files_failed;
} spec_run;

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int add_file(spec_list *l, const char *plugins_dir, const char *plugin, const char *name)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        spec_file *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    spec_file *f = &l->v[l->n];
    /* a name that does not fit is refused, never run under a truncated path */
    int a = snprintf(f->path, sizeof f->path, "%s/%s/spec/%s", plugins_dir, plugin, name);
    int b = snprintf(f->rel, sizeof f->rel, "plugins/%s/spec/%s", plugin, name);
    int c = snprintf(f->plugin, sizeof f->plugin, "%s", plugin);
    int d = snprintf(f->plugins_dir, sizeof f->plugins_dir, "%s", plugins_dir);
    if (a < 0 || (size_t)a >= sizeof f->path || b < 0 || (size_t)b >= sizeof f->rel || c < 0 ||
        (size_t)c >= sizeof f->plugin || d < 0 || (size_t)d >= sizeof f->plugins_dir) {
        fprintf(stderr, "levy test: %s/%s/spec/%s: path too long\n", plugins_dir, plugin, name);
        return -1;
    }
    l->n++;
    return 0;
}

static int keep_spec(void *ud, const char *path, const char *name, const struct stat *st)
{
    (void)ud, (void)path;
    return ends_with(name, "_spec.lua") && st && S_ISREG(st->st_mode);
}

static int keep_plugin(void *ud, const char *path, const char *name, const struct stat *st)
{
    (void)ud, (void)name, (void)st;
    char p[PATH_MAX + 8];
    snprintf(p, sizeof p, "%s/spec", path);
    return is_dir(p);
}

static int add_plugin(spec_list *l, const char *plugins_dir, const char *plugin)
{
    char dir[PATH_MAX + 256];
    snprintf(dir, sizeof dir, "%s/%s/spec", plugins_dir, plugin);
    char **names = NULL; /* sorted (strcmp); a folder that cannot be listed has none */
    size_t n = 0;
    levy_dir_list(dir, keep_spec, NULL, &names, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_file(l, plugins_dir, plugin, names[i]);
    levy_dir_list_free(names);
    return rc;
}

/* Splits "<root>/<plugin>" into root and plugin (in place copies). */
static int split_last(const char *path, char *root, size_t rcap, char *last, size_t lcap)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    char *slash = strrchr(tmp, '/');
    if (!slash) {
        snprintf(root, rcap, ".");
        snprintf(last, lcap, "%s", tmp);
    } else {
        *slash = '\0';
        snprintf(root, rcap, "%s", slash == tmp ? "/" : tmp);
        snprintf(last, lcap, "%s", slash + 1);
    }
    return last[0] ? 0 : -1;
}

/* PATH: a spec file, a plugin's spec/ folder, a plugin folder, or a plugins tree (all of its
 * plugins' specs). Without PATH: the configured plugins tree. */
static int collect(spec_list *l, const char *plugins_dir, const char *path)
{
    char root[PATH_MAX], last[256], hp[PATH_MAX + 300];
    if (!path || !*path)
        path = plugins_dir;
    if (is_file(path)) {
        char specdir[PATH_MAX], plugdir[PATH_MAX], name[256], plugin[256];
        if (!ends_with(path, "_spec.lua") ||
            split_last(path, specdir, sizeof specdir, name, sizeof name) ||
            split_last(specdir, plugdir, sizeof plugdir, last, sizeof last) ||
            strcmp(last, "spec") != 0 ||
            split_last(plugdir, root, sizeof root, plugin, sizeof plugin)) {
            fprintf(stderr, "levy test: %s is not a spec file (plugins/<name>/spec/*_spec.lua)\n",
                    path);
            return -1;
        }
        return add_file(l, root, plugin, name);
    }
    if (!is_dir(path)) {
        fprintf(stderr, "levy test: %s: %s\n", path, strerror(errno ? errno : ENOENT));
        return -1;
    }
    if (split_last(path, root, sizeof root, last, sizeof last) == 0) {
        snprintf(hp, sizeof hp, "%s/handler.lua", path);
        if (strcmp(last, "spec") == 0) { /* plugins/<name>/spec */
            char plugin[256], proot[PATH_MAX];
            if (split_last(root, proot, sizeof proot, plugin, sizeof plugin) == 0) {
                snprintf(hp, sizeof hp, "%s/handler.lua", root);
                if (is_file(hp))
                    return add_plugin(l, proot, plugin);
            }
        } else if (is_file(hp)) { /* plugins/<name> */
            return add_plugin(l, root, last);
        }
    }
    char **names = NULL; /* a plugins tree */
    size_t n = 0;
    levy_dir_list(path, keep_plugin, NULL, &names, &n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_plugin(l, path, names[i]);
    levy_dir_list_free(names);
    return rc;
}

static void mark_spec(levy_vm *vm, void *ud)
{
    (void)ud;
    lua_State *L = levy_vm_state(vm);
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, LEVY_SPEC_FLAG);
}

static int migrate_cb(void *ud, const char *plugin, const char *dir, levy_err *err)
{
    return levy_store_migrate_dir(ud, plugin, dir, err);
}

static levy_store *store_for(spec_run *r, int sim, levy_err *err)
{
    if (r->store[sim])
        return r->store[sim];
    char db[PATH_MAX + 32];
    snprintf(db, sizeof db, "%s/%s.db", r->tmp, sim ? "sim" : "levy");
    if (levy_store_open(&r->store[sim], db, 0, err) != LEVY_OK)
        return NULL;
    return r->store[sim];
}

/* Prints text with every line indented under a FAIL line. */
static void print_indented(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        printf("      %.*s\n", len, p);
        if (!nl)
            break;
        p = nl + 1;
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Builds the file's generation and runs its cases. */
static void run_file(spec_run *r, const spec_file *f)
{
    int sim = strcmp(f->plugin, "sim") == 0;
    levy_err err;
    levy_err_clear(&err);
    levy_store *st = store_for(r, sim, &err);
    if (!st) {
        printf("FAIL  %s: temporary store: %s\n", f->rel, err.message);
        r->files_failed++;
        return;
    }
    levy_gen_opts o;
    memset(&o, 0, sizeof o);
    o.plugins_dir = f->plugins_dir;
    o.scripts_dir = r->cfg->scripts_dir;
    o.role = sim ? "sim" : "test";
    o.id = 1;
    o.config = r->cfg;
    o.store = st;
    o.rates = sim ? NULL : r->rates;
    o.limits.instr_budget = LEVY_VM_DEFAULT_INSTR * 25;
    o.limits.time_ms = 600000; /* behaviour, not duration: the machine may be busy */
    o.migrate = migrate_cb;
    o.migrate_ud = st;
    o.prepare = mark_spec;
    levy_gen_errors errs = {0};
    levy_gen *g = NULL;
    if (levy_gen_build(&g, &o, &errs, NULL, &err) != LEVY_OK) {
        printf("FAIL  %s: the plugins did not load (%s)\n", f->rel, err.message);
        for (int i = 0; i < errs.n; i++)
            printf("      %s:%d: %s\n", errs.v[i].source, errs.v[i].line, errs.v[i].message);
        levy_gen_errors_free(&errs);
        r->files_failed++;
        return;
    }
    levy_gen_errors_free(&errs);
    size_t len = 0;
    char *src = read_all(f->path, &len);
    if (!src) {
        printf("FAIL  %s: cannot read: %s\n", f->rel, strerror(errno));
        r->files_failed++;
        levy_gen_unref(g);
        return;
    }
    lua_State *L = levy_vm_state(g->vm);
    levy_lctx ctx = {.kind = LEVY_CTX_REQUEST, .gen = g, .call = NULL, .plugin = f->plugin};
    levy_lua_set_ctx(L, &ctx);
    levy_sandbox_push_spec(L, "load");
    lua_pushstring(L, f->plugin);
    lua_pushstring(L, f->rel);
    lua_pushlstring(L, src, len);
    free(src);
    levy_err_clear(&err);
    int n = 0;
    if (levy_vm_pcall(g->vm, 3, 1, &err) != LEVY_OK) {
        if (err.line > 0)
            printf("FAIL  %s:%d: %s\n", err.source[0] ? err.source : f->rel, err.line, err.message);
        else
            printf("FAIL  %s: %s\n", f->rel, err.message);
        r->files_failed++;
    } else {
        n = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (n == 0) {
            printf("FAIL  %s: no cases (it(...) inside the file)\n", f->rel);
            r->files_failed++;
        }
    }
    for (int i = 1; i <= n; i++) {
        char name[512] = "?";
        int line = 0;
        levy_sandbox_push_spec(L, "name");
        lua_pushinteger(L, i);
        if (levy_vm_pcall(g->vm, 1, 1, NULL) == LEVY_OK) {
            if (lua_isstring(L, -1))
                snprintf(name, sizeof name, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        levy_sandbox_push_spec(L, "line");
        lua_pushinteger(L, i);
        if (levy_vm_pcall(g->vm, 1, 1, NULL) == LEVY_OK) {
            line = (int)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        levy_err_clear(&err);
        int began = levy_store_begin(st, &err) == LEVY_OK;
        levy_sandbox_push_spec(L, "run");
        lua_pushinteger(L, i);
        levy_err_clear(&err);
        int rc = levy_vm_pcall(g->vm, 1, 2, &err);
        int ok = rc == LEVY_OK && lua_toboolean(L, -2);
        char msg[4096];
        if (rc != LEVY_OK)
            snprintf(msg, sizeof msg, "%s", err.message);
        else
            snprintf(msg, sizeof msg, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
        if (rc == LEVY_OK)
            lua_pop(L, 2);
        while (began && levy_store_depth(st) > 0)
            levy_store_rollback(st, NULL);
        r->cases++;
        if (ok) {
            printf("ok    %s: %s\n", f->rel, name);
        } else {
            r->failed++;
            printf("FAIL  %s:%d: %s\n", f->rel, line, name);
            print_indented(msg);
        }
    }
    levy_lua_set_ctx(L, NULL);
    levy_gen_unref(g);
}

static void remove_tmp(const char *dir)
{
    static const char *const names[] = {"levy.db",    "levy.db-wal", "levy.db-shm", "sim.db",
                                        "sim.db-wal", "sim.db-shm",  NULL};
    char p[PATH_MAX + 32];
    for (const char *const *n = names; *n; n++) {
        snprintf(p, sizeof p, "%s/%s", dir, *n);
        unlink(p);
    }
    rmdir(dir);
}

int levy_host_test(levy_config *cfg)
{
    spec_list l = {0};
    const char *path = cfg->nargs ? cfg->args[0] : NULL;
    if (collect(&l, cfg->plugins_dir, path) != 0) {
        free(l.v);
        return 1;
    }
    if (l.n == 0) {
        fprintf(stderr, "levy test: no spec files (plugins/<name>/spec/*_spec.lua) under %s\n",
                path ? path : cfg->plugins_dir);
        free(l.v);
        return 1;
    }
    /* the code under test logs what it would in production; only WARN and above reach
     * stderr here (a warning is worth seeing, an INFO line per stubbed answer is noise) */
    levy_log_set_level(LEVY_LOG_WARN);
    spec_run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    const char *tmpdir = getenv("TMPDIR");
    snprintf(r.tmp, sizeof r.tmp, "%s/levy-test-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(r.tmp)) {
        fprintf(stderr, "levy test: cannot create a temporary directory %s: %s\n", r.tmp,
                strerror(errno));
        free(l.v);
        return 1;
    }
    /* a master key for this run only (levy.crypto.seal / open in the code under test) */
    uint8_t key[LEVY_KEY_LEN];
    levy_err err;
    levy_err_clear(&err);
    if (levy_crypto_random(key, sizeof key, &err) == LEVY_OK)
        levy_crypto_set_master_key(key);
    memset(key, 0, sizeof key);
    /* the shipped rate tables (data/), so code under test may call levy.tax */
    if (cfg->data_root[0] && levy_rates_open(&r.rates, cfg->data_root, NULL, &err) != LEVY_OK) {
        printf("note  no rate tables (%s): levy.tax has no rates in these specs\n", err.message);
        r.rates = NULL;
    }
    for (int i = 0; i < l.n; i++)
        run_file(&r, &l.v[i]);
    printf("%d spec file(s), %d case(s): %d passed, %d failed%s\n", l.n, r.cases,
           r.cases - r.failed, r.failed + r.files_failed,
           r.files_failed ? " (counting files that did not load)" : "");
    for (int s = 0; s < 2; s++)
        levy_store_close(r.store[s]);
    levy_crypto_set_master_key(NULL);
    levy_rates_free(r.rates);
    remove_tmp(r.tmp);
    free(l.v);
    return r.failed || r.files_failed ? 1 : 0;
}
