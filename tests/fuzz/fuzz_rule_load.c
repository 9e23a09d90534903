/* libFuzzer target: a rule file (scripts/<dir>/<name>.lua) through the real loader, as a
 * reload or `levy check` loads it: levy_gen_build (core/lua/gen.c) -> a fresh VM with the
 * byte cap and instruction/time budget of core/lua/vm.c -> the sandbox (core/lua/sandbox.c +
 * runtime/sandbox.lua: rule environment, restricted require, load_rule, validate_rule,
 * publish_rules) -> the rule's self-tests over the real rate tables (data/) and levy.tax;
 * then, as a request would after the reload, the rule is run once more on the built
 * generation, and the generation is freed (lua_close: finalizers). Whatever guards the loader
 * gains (no __gc, rule tables copied to plain data, no levy.store/crypto/http for rules, no
 * capability without a context) are exercised as they are: nothing of the loader is copied.
 *
 * Input: first byte < 0x80: the whole input is the rule source. First byte >= 0x80
 * (structured mode): the rest picks mutations inserted into a valid rule (modelled on
 * scripts/sg/sg.lua): __gc finalizers, metatables on the taxability table and on the rule,
 * require of levy.store/crypto/http at load, in metamethods, in calculate and in finalizers,
 * coroutines kept from load time, string metatable access, load/dofile/io/os, huge tables,
 * deep recursion, error objects with metamethods, to-be-closed variables.
 *
 * Properties:
 *  - the build returns (budget enforced everywhere, finalizers included): libFuzzer -timeout;
 *  - after the build no context is left on the generation's state, and every generation built
 *    is freed after its last unref (levy_gen_live_count() back to 0);
 *  - host state untouched by a load: open file descriptors, a canary file next to scripts/,
 *    the master key (unset), levy's metrics;
 *  - structured mode: no mutation ever observes a capability escape: a probe raises an error
 *    "FUZZ-ESCAPE ..." when require of levy.store/crypto/http succeeds or a forbidden global
 *    (io, dofile, loadfile, package, debug, os.execute/remove/getenv...) is reachable; that
 *    text must appear in no load error, no log line, no request-time error;
 *  - no crash, leak or undefined behaviour (ASan with stack-use-after-return, UBSan, LSan).
 * LEVY_FUZZ_SKIP=escape turns the escape check off and LEVY_FUZZ_SKIP=gc leaves the looping
 * finalizers out of the structured mode (to look for other failures on code that still has
 * issue 15 findings 3 and 2). LEVY_FUZZ_DUMP=1 prints each rule source and the outcome. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "crypto/crypto.h"
#include "gen.h"
#include "config.h"
#include "metrics.h"
#include "lctx.h"
#include "log.h"
#include "sandbox.h"
#include "tax/tax.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* stack-use-after-return: a context pointer into a finished C frame kept by a Lua thread */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }

static char tmpdir[PATH_MAX], plugins[PATH_MAX + 16], scripts[PATH_MAX + 16],
    rule_path[PATH_MAX + 32], canary[PATH_MAX + 16];
static levy_config CFG;
static levy_rates *rates;
static FILE *logf;
static int skip_escape, skip_gc, dump;
static char *metrics0;

#define CANARY_TEXT "the rule loader must not touch this file\n"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_rule_load: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void put_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
        die("cannot write", path);
}

/* Copies the source tree's file `from` (up to 1 MiB) to `to`; a missing `from` is skipped. */
static void copy_file(const char *from, const char *to)
{
    static char buf[1 << 20];
    FILE *f = fopen(from, "rb");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    put_file(to, buf, n);
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0] && system(cmd) != 0)
        fprintf(stderr, "fuzz_rule_load: could not remove %s\n", tmpdir);
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static char *metrics_now(void)
{
    char *text = NULL;
    size_t len = 0;
    if (levy_metrics_render(&text, &len, NULL) != LEVY_OK)
        return NULL;
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *src = getenv("LEVY_SOURCE");
    if (!src)
        src = "."; /* run_reliab_fuzz.sh sets LEVY_SOURCE */
    const char *sk = getenv("LEVY_FUZZ_SKIP");
    skip_escape = sk && strstr(sk, "escape");
    skip_gc = sk && strstr(sk, "gc");
    dump = getenv("LEVY_FUZZ_DUMP") != NULL;
    snprintf(tmpdir, sizeof tmpdir, "%s/levy-fuzz-rule-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        die("mkdtemp", strerror(errno));
    atexit(rm_tmp);
    snprintf(plugins, sizeof plugins, "%s/plugins", tmpdir);
    snprintf(scripts, sizeof scripts, "%s/scripts", tmpdir);
    mkdir(plugins, 0700);
    mkdir(scripts, 0700);
    char dir[PATH_MAX + 32], helper[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/sg", scripts);
    mkdir(dir, 0700);
    /* a helper the rule may require (rules resolve only _helpers of their folder) */
    snprintf(helper, sizeof helper, "%s/_fuzzhelper.lua", dir);
    static const char H[] = "return { SAAS = 'taxable', rate = function(x) return x end }\n";
    put_file(helper, H, sizeof H - 1);
    /* and the US rules' shared helper, so that real rules from scripts/us/ load as seeds, and
     * an empty shared helper folder (scripts/_lib/) */
    char from[PATH_MAX + 64], to[PATH_MAX + 64];
    snprintf(from, sizeof from, "%s/scripts/us/_common.lua", src);
    snprintf(to, sizeof to, "%s/_common.lua", dir);
    copy_file(from, to);
    snprintf(to, sizeof to, "%s/_lib", scripts);
    mkdir(to, 0700);
    snprintf(rule_path, sizeof rule_path, "%s/fuzz.lua", dir);
    snprintf(canary, sizeof canary, "%s/canary.txt", tmpdir);
    put_file(canary, CANARY_TEXT, sizeof CANARY_TEXT - 1);
    char a_data[PATH_MAX + 16], a_root[PATH_MAX + 16];
    snprintf(a_data, sizeof a_data, "%s/data", tmpdir);
    snprintf(a_root, sizeof a_root, "%s/data", src);
    char *args[] = {"--data-dir", a_data,   "--plugins", plugins, "--scripts",
                    scripts,      "--data", a_root,      NULL};
    if (levy_config_parse(&CFG, "check", (int)(sizeof args / sizeof args[0]) - 1, args) != 0)
        die("levy_config_parse", NULL);
    levy_err err;
    levy_err_clear(&err);
    if (levy_rates_open(&rates, a_root, NULL, &err) != LEVY_OK)
        die("rates", err.message);
    /* log lines (levy.log of a rule, core warnings) go to a file the escape check reads */
    logf = tmpfile();
    if (!logf)
        die("tmpfile", strerror(errno));
    levy_log_set_output(logf);
    levy_log_set_level(LEVY_LOG_DEBUG);
    metrics0 = metrics_now();
    return 0;
}

/* ---- structured mode ------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->n + l + 1 > b->cap) {
        size_t cap = (b->n + l + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p)
            die("out of memory", NULL);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

/* Raises FUZZ-ESCAPE when a capability a rule must not have is reachable from here. */
#define PROBE(where)                                                                               \
    " do for _, m in ipairs({'levy.store', 'levy.crypto', 'levy.http'}) do"                        \
    " local ok, v = pcall(require, m)"                                                             \
    " if ok and v ~= nil then error('FUZZ-ESCAPE require ' .. m .. ' " where "', 0) end end"       \
    " for _, g in ipairs({'io', 'dofile', 'loadfile', 'package', 'debug'}) do"                     \
    " local okg, vg = pcall(function() return _ENV[g] end)"                                        \
    " if okg and vg ~= nil then error('FUZZ-ESCAPE global ' .. g .. ' " where "', 0) end end"      \
    " local oko, vo = pcall(function() return os end) if oko and type(vo) == 'table' then"         \
    " for _, f in ipairs({'execute', 'remove', 'rename', 'getenv', 'exit', 'tmpname'}) do"         \
    " if vo[f] ~= nil then error('FUZZ-ESCAPE os.' .. f .. ' " where "', 0) end end end end "

static const char *const TOP[] = {
    /* 0 */ PROBE("at load"),
    /* 1 */ "setmetatable({}, {__gc = function() while true do end end})\n",
    /* 2 */
    "setmetatable({}, {__gc = function() " PROBE(
        "in __gc") " end}); if G'collectgarbage' then G'collectgarbage'() end\n",
    /* 3 */
    "if G'coroutine' then KEPT = G'coroutine'.wrap(function() while true do " PROBE(
        "in a load-time coroutine") " G'coroutine'.yield() end end) end\n",
    /* 4 */ "pcall(function() local mt = getmetatable('') if mt then mt.__index = {} end end)\n",
    /* 5 */ "pcall(function() getmetatable('').__index.upper = nil end)\n",
    /* 6 */
    "pcall(G'load' or error, 'return 1'); pcall(G'load' or error, string.dump or 'x'); "
    "pcall(G'dofile' or error, '/etc/passwd'); pcall(G'require' or error, 'os')\n",
    /* 7 */ "pcall(function() local t = {} for i = 1, 1 << 22 do t[i] = i end end)\n",
    /* 8 */ "do local function f(n) return f(n + 1) + 1 end pcall(f, 1) end\n",
    /* 9 */ "pcall(string.rep, 'x', 1 << 40)\n",
    /* 10 */ "pcall(error, setmetatable({}, {__tostring = function() while true do end end}))\n",
    /* 11 */
    "do local x <close> = setmetatable({}, {__close = function() " PROBE(
        "in __close") " end}) end\n",
    /* 12 */
    "do local cg = G'collectgarbage' if cg then cg('collect'); cg('step', 1 << 20); pcall(cg, "
    "'incremental') end end\n",
    /* 13 */
    "for i = 1, 64 do setmetatable({}, {__gc = function() local t = {} for j = 1, 1000 do t[j] = "
    "{} end end}) end\n",
    /* 14 */
    "pcall(setmetatable, _ENV, {__index = function(_, k) " PROBE("in an _ENV __index") " end})\n",
    /* 15 */
    "do local C = G'coroutine' if C then local co = C.create(function() " PROBE(
        "in a coroutine at load") " C.yield() end) C.resume(co) end end\n",
    /* 16 */ "do local t = {} for i = 1, 1 << 22 do t[i] = i end end\n",
    /* 17 */ "do local function f(n) return f(n + 1) + 1 end f(1) end\n",
};

/* how the taxability table is wrapped */
static const char *const TAXMT[] = {
    /* 0 */ "",
    /* 1 */
    "TAX = setmetatable(TAX, {__index = function(t, k) " PROBE(
        "in taxability __index") " return nil end})\n",
    /* 2 */
    "TAX = setmetatable(TAX, {__pairs = function(t) " PROBE(
        "in taxability __pairs") " return next, t, nil end})\n",
    /* 3 */ "TAX = setmetatable(TAX, {__index = function(t, k) while true do end end})\n",
    /* 4 */
    "TAX = setmetatable(TAX, {__gc = function() " PROBE(
        "in taxability __gc") " end, __len = function() return 1 << 40 end})\n",
    /* 5 */
    "TAX.saas = setmetatable({ fraction = '0.80' }, {__index = function(t, k) " PROBE(
        "in a treatment __index") " end})\n",
    /* 6 */ "TAX = setmetatable({}, {__index = TAX, __newindex = function() end})\n",
};

/* inside rule.calculate(ctx) */
static const char *const CALC[] = {
    /* 0 */ "",
    /* 1 */ PROBE("in calculate"),
    /* 2 */ "if KEPT then KEPT() end\n",
    /* 3 */
    "setmetatable({}, {__gc = function() " PROBE("in a finalizer made by calculate") " end})\n",
    /* 4 */ "setmetatable(ctx, {__index = function() " PROBE("in ctx __index") " end})\n",
    /* 5 */ "while true do end\n",
    /* 6 */
    "for _, line in ipairs(ctx.lines) do setmetatable(line, {__index = function() " PROBE(
        "in a line __index") " end}) end\n",
    /* 7 */
    "error(setmetatable({}, {__tostring = function() " PROBE(
        "in the __tostring of an error") " return 'x' end}))\n",
    /* 8 */
    "ctx.lines[1] = setmetatable({}, {__index = function() " PROBE("in a replaced line") " end})\n",
};

/* the rule table itself */
static const char *const RULEMT[] = {
    /* 0 */ "",
    /* 1 */
    "RULE = setmetatable(RULE, {__index = function(t, k) " PROBE(
        "in the __index of the rule") " end})\n",
    /* 2 */ "RULE = setmetatable({}, {__index = RULE})\n",
    /* 3 */
    "RULE.region = setmetatable({}, {__tostring = function() return 'SG' end, __concat = "
    "function() " PROBE("in region __concat") " end})\n",
    /* 4 */
    "RULE.selftest[1].expect = setmetatable({}, {__index = function() " PROBE(
        "in expect __index") " end, __pairs = function(t) " PROBE("in expect __pairs") " return "
                                                                                       "next, {}, "
                                                                                       "nil "
                                                                                       "end})\n",
};

static const char TEMPLATE_HEAD[] =
    "-- fuzz_rule_load structured mode (modelled on scripts/sg/sg.lua)\n"
    "local helper = require '_fuzzhelper'\n"
    "local function G(n) local ok, v = pcall(function() return _ENV[n] end) if ok then return v "
    "end end\n"
    "local KEPT\n";

static const char TEMPLATE_TAX[] =
    "local TAX = { default = 'taxable', general = 'taxable', saas = helper.SAAS,\n"
    "  food_grocery = 'taxable', exempt = 'exempt' }\n";

static const char TEMPLATE_RULE[] =
    "local RULE = {\n"
    "  region = 'SG', name = 'Singapore', tax_type = 'GST', sourcing = 'destination',\n"
    "  taxability = TAX,\n"
    "  calculate = function(ctx)\n"
    "    CALC_HERE\n"
    "    local customer = ctx.customer\n"
    "    if customer and type(customer.tax_id) == 'string' and customer.tax_id ~= '' then\n"
    "      for _, line in ipairs(ctx.lines) do line.reverse_charge = true; line.reason = "
    "'reverse_charge' end\n"
    "    end\n"
    "  end,\n"
    "  selftest = {\n"
    "    { name = 'standard rate',\n"
    "      request = { currency = 'SGD', date = '2026-03-01',\n"
    "        ship_to = { line1 = '1 Main Street', city = 'Singapore', zip_code = '018989', country "
    "= 'SG' },\n"
    "        lines = { { id = '1', amount = '100.00', quantity = '1', tax_code = 'general' } } },\n"
    "      expect = { total_tax = '9.00' } },\n"
    "    { name = 'reverse charge',\n"
    "      request = { currency = 'SGD', date = '2026-03-01',\n"
    "        ship_to = { line1 = '1 Main Street', city = 'Singapore', zip_code = '018989', country "
    "= 'SG' },\n"
    "        customer = { id = 'b', tax_id = 'M90312345A', exempt = false },\n"
    "        lines = { { id = '1', amount = '100.00', quantity = '1', tax_code = 'saas' } } },\n"
    "      expect = { total_tax = '0.00' } },\n"
    "    { name = 'a code the table does not list: the default',\n"
    "      request = { currency = 'SGD', date = '2026-03-01',\n"
    "        ship_to = { line1 = '1 Main Street', city = 'Singapore', zip_code = '018989', country "
    "= 'SG' },\n"
    "        lines = { { id = '1', amount = '100.00', quantity = '1', tax_code = 'digital_goods' } "
    "} },\n"
    "      expect = { total_tax = '9.00' } },\n"
    "  },\n"
    "}\n";

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int gc_loop_top(size_t i) { return i == 1; }

/* Builds a rule from the mutation bytes. */
static char *structured(const uint8_t *d, size_t n)
{
    sbuf top = {0}, taxmt = {0}, calc = {0}, rulemt = {0};
    sb_add(&top, "");
    sb_add(&taxmt, "");
    sb_add(&calc, "");
    sb_add(&rulemt, "");
    for (size_t i = 0; i + 1 < n && i < 16; i += 2) {
        uint8_t where = d[i] % 4, what = d[i + 1];
        switch (where) {
        case 0:
            if (skip_gc && gc_loop_top(what % NELEM(TOP)))
                break;
            sb_add(&top, TOP[what % NELEM(TOP)]);
            break;
        case 1:
            if (skip_gc && what % NELEM(TAXMT) == 3)
                break;
            sb_add(&taxmt, TAXMT[what % NELEM(TAXMT)]);
            break;
        case 2:
            sb_add(&calc, CALC[what % NELEM(CALC)]);
            break;
        default:
            sb_add(&rulemt, RULEMT[what % NELEM(RULEMT)]);
            break;
        }
    }
    sbuf out = {0};
    sb_add(&out, TEMPLATE_HEAD);
    sb_add(&out, top.p);
    sb_add(&out, TEMPLATE_TAX);
    sb_add(&out, taxmt.p);
    const char *mark = strstr(TEMPLATE_RULE, "CALC_HERE");
    char *head = strndup(TEMPLATE_RULE, (size_t)(mark - TEMPLATE_RULE));
    sb_add(&out, head);
    free(head);
    sb_add(&out, calc.p);
    sb_add(&out, mark + strlen("CALC_HERE"));
    sb_add(&out, rulemt.p);
    sb_add(&out, "return RULE\n");
    free(top.p);
    free(taxmt.p);
    free(calc.p);
    free(rulemt.p);
    return out.p;
}

/* ---- one load ------------------------------------------------------------------------- */

static void check_escape(const char *where, const char *text, const char *src)
{
    if (!skip_escape && text && strstr(text, "FUZZ-ESCAPE")) {
        fprintf(stderr,
                "fuzz_rule_load: a rule reached a capability it must not have (%s): %s\n"
                "--- rule ---\n%s\n---\n",
                where, text, src);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int structured_mode = data[0] >= 0x80;
    char *src;
    size_t len;
    if (structured_mode) {
        src = structured(data + 1, size - 1);
        len = strlen(src);
    } else {
        src = malloc(size + 1); /* NUL-terminated for the reports; the file gets size bytes */
        if (!src)
            return 0;
        memcpy(src, data, size);
        src[size] = '\0';
        len = size;
    }
    put_file(rule_path, src, len);
    int fds0 = count_fds();
    fflush(logf);
    long log0 = ftell(logf);

    levy_gen_opts o;
    memset(&o, 0, sizeof o);
    o.plugins_dir = plugins;
    o.scripts_dir = scripts;
    o.role = "serve";
    o.id = 1;
    o.config = &CFG;
    o.rates = rates;
    o.run_selftests = 1;
    levy_gen_errors errs = {0};
    levy_err err;
    levy_err_clear(&err);
    levy_gen *g = NULL;
    int nself = 0;
    int rc = levy_gen_build(&g, &o, &errs, &nself, &err);
    if (rc == LEVY_OK && !g)
        die("levy_gen_build returned OK without a generation", NULL);
    if (rc != LEVY_OK && g)
        die("levy_gen_build failed but returned a generation", NULL);
    char reqerr[600] = "";
    if (g) {
        lua_State *L = levy_vm_state(g->vm);
        if (levy_lua_ctx(L) != NULL)
            die("the loader left a context set on the generation's state", src);
        /* the rule at request time, after the build returned: its self-tests through
         * levy.tax, on the main state under a request context as a handler's call would */
        levy_lctx req = {.kind = LEVY_CTX_REQUEST, .gen = g, .call = NULL, .plugin = "fuzz"};
        levy_lua_set_ctx(L, &req);
        levy_sandbox_push_api(L, "rule_regions");
        if (levy_vm_pcall(g->vm, 0, 1, NULL) == LEVY_OK) {
            int nr = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
            for (int i = 1; i <= nr; i++) {
                levy_sandbox_push_api(L, "selftest");
                lua_rawgeti(L, -2, i);
                levy_err e;
                levy_err_clear(&e);
                if (levy_vm_pcall(g->vm, 1, 0, &e) != LEVY_OK)
                    snprintf(reqerr, sizeof reqerr, "%s", e.message);
            }
            lua_pop(L, 1);
        }
        levy_lua_set_ctx(L, NULL);
        levy_gen_unref(g);
    }
    if (levy_gen_live_count() != 0)
        die("a generation outlived its last reference", NULL);
    if (dump) {
        fprintf(stderr, "--- rule (%s) ---\n%s\n--- %s, %d self-test(s) ---\n",
                structured_mode ? "structured" : "raw", src, g ? "loaded" : "rejected", nself);
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "%s:%d: %s\n", errs.v[i].source, errs.v[i].line, errs.v[i].message);
        if (reqerr[0])
            fprintf(stderr, "at request time: %s\n", reqerr);
    }
    if (structured_mode) {
        for (int i = 0; i < errs.n; i++)
            check_escape("load error", errs.v[i].message, src);
        check_escape("load", err.message, src);
        check_escape("request time", reqerr, src);
        fflush(logf);
        long log1 = ftell(logf);
        if (log1 > log0) {
            size_t n = (size_t)(log1 - log0);
            char *text = malloc(n + 1);
            if (text && fseek(logf, log0, SEEK_SET) == 0 && fread(text, 1, n, logf) == n) {
                text[n] = '\0';
                check_escape("log", text, src);
            }
            free(text);
            fseek(logf, 0, SEEK_END);
        }
    }
    if (ftell(logf) > (64 << 20)) { /* keep the log file small over a long run */
        if (ftruncate(fileno(logf), 0) != 0)
            die("ftruncate", strerror(errno));
        rewind(logf);
    }
    levy_gen_errors_free(&errs);
    /* host state a rule must not change */
    if (count_fds() != fds0)
        die("a load leaked or closed a file descriptor", src);
    char buf[sizeof CANARY_TEXT + 8];
    FILE *cf = fopen(canary, "rb");
    size_t cn = cf ? fread(buf, 1, sizeof buf, cf) : 0;
    if (cf)
        fclose(cf);
    if (cn != sizeof CANARY_TEXT - 1 || memcmp(buf, CANARY_TEXT, cn) != 0)
        die("a load changed a file outside scripts/", src);
    if (levy_crypto_master_key() != NULL)
        die("a load set the master key", src);
    char *m = metrics_now();
    if ((m == NULL) != (metrics0 == NULL) || (m && strcmp(m, metrics0) != 0)) {
        fprintf(stderr, "--- metrics before ---\n%s\n--- after ---\n%s\n", metrics0 ? metrics0 : "",
                m ? m : "");
        die("a load changed levy's metrics", src);
    }
    free(m);
    free(src);
    return 0;
}
