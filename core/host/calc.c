/* `levy calc [FILE]`: one /v1/calculate through the loaded plugins' route, in-process, and
 * `levy demo`: a simulator and a levy on free loopback ports (see host.h). */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <lauxlib.h>

#include "file.h"
#include "json_scan.h"
#include "hlog.h"
#include "host/auth.h"
#include "host/host.h"
#include "tax/tax.h"
#include "lua/sandbox.h"
#include "store/store.h"

typedef struct calc_out {
    int status;
    char *body;
    size_t len;
} calc_out;

static void keep_body(lua_State *co, calc_out *o, int st)
{
    size_t n = 0;
    const levy_buf *cb = luaL_testudata(co, -1, LEVY_BODY_MT); /* a body held in C */
    const char *s = cb ? cb->data : lua_tolstring(co, -1, &n);
    if (cb)
        n = cb->len;
    o->status = st;
    o->body = malloc(n + 1);
    if (o->body) {
        memcpy(o->body, s ? s : "", n);
        o->body[n] = '\0';
        o->len = n;
    }
}

static void calc_finish(levy_call *call, int status, int nres)
{
    calc_out *o = call->ud;
    lua_State *co = call->co;
    levy_err e;
    if (status != LUA_OK) {
        if (levy_lua_is_api_error(co, -1)) {
            lua_State *M = levy_vm_state(call->gen->vm);
            int ref = LUA_NOREF;
            lua_State *T = levy_aux_thread(M, &ref);
            if (!T)
                return;
            levy_sandbox_push_api(T, "render_api_error");
            lua_xmove(co, T, 1);
            if (levy_vm_pcall_on(T, 1, 2, &e) == LEVY_OK) {
                lua_pop(T, 0);
                keep_body(T, o, (int)lua_tointeger(T, -2));
            }
            luaL_unref(M, LUA_REGISTRYINDEX, ref);
        } else {
            levy_call_log_error(call, "calc");
        }
        return;
    }
    int base = lua_gettop(co) - nres + 1;
    int st = nres >= 1 && lua_isinteger(co, base) ? (int)lua_tointeger(co, base) : 500;
    levy_sandbox_push_api(co, "render_body");
    if (nres >= 2)
        lua_pushvalue(co, base + 1);
    else
        lua_pushnil(co);
    if (levy_vm_pcall_on(co, 1, 1, &e) == LEVY_OK)
        keep_body(co, o, st);
}

/* One POST /v1/calculate of body through the current generation's route, in-process; o gets
 * the answer (o->body NULL when none came: an internal error). 0, or -1 when no loaded plugin
 * serves the route or the call could not start. */
static int calc_one(levy_host *h, const char *body, size_t blen, calc_out *o)
{
    levy_config *cfg = h->cfg;
    levy_route_match m;
    int known = 0;
    if (!levy_gen_match(h->current, "POST", "/v1/calculate", &m, &known)) {
        levy_route_match_free(&m);
        fprintf(stderr, "levy calc: no loaded plugin serves POST /v1/calculate\n");
        return -1;
    }
    levy_call *call = levy_call_new(h, h->current, LEVY_CALL_CALC, m.route->plugin, calc_finish, o);
    if (!call) {
        levy_route_match_free(&m);
        return -1;
    }
    lua_State *co = call->co;
    lua_getfield(co, LUA_REGISTRYINDEX, "levy.routes");
    lua_rawgeti(co, -1, m.route->index);
    lua_remove(co, -2);
    levy_route_match_free(&m);
    levy_sandbox_push_api(co, "make_req");
    lua_createtable(co, 0, 9);
    lua_pushstring(co, "POST");
    lua_setfield(co, -2, "method");
    lua_pushstring(co, "/v1/calculate");
    lua_setfield(co, -2, "path");
    lua_pushstring(co, call->id);
    lua_setfield(co, -2, "id");
    lua_newtable(co);
    lua_setfield(co, -2, "params");
    lua_newtable(co);
    lua_setfield(co, -2, "query");
    lua_createtable(co, 0, 2);
    lua_pushstring(co, "application/json");
    lua_setfield(co, -2, "content-type");
    if (cfg->api_token[0]) {
        lua_pushfstring(co, "Bearer %s", cfg->api_token);
        lua_setfield(co, -2, "authorization");
    }
    lua_setfield(co, -2, "headers");
    lua_pushlstring(co, body, blen);
    lua_setfield(co, -2, "body");
    lua_pushstring(co, "cli");
    lua_setfield(co, -2, "remote");
    lua_call(co, 1, 1);
    levy_call_resume(call, 1);
    if (h->calls) /* the handler yielded (outbound HTTP): run the loop until it is done */
        event_base_dispatch(h->base);
    return 0;
}

/* Prints o's answer on one line (an internal error's when there is none): 1 when it is not a
 * 200. */
static int print_answer(const calc_out *o)
{
    if (!o->body) {
        printf("{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}\n");
        return 1;
    }
    fwrite(o->body, 1, o->len, stdout);
    fputc('\n', stdout);
    return o->status != 200;
}

int levy_host_calc(levy_config *cfg)
{
    levy_host hs, *h = &hs;
    memset(h, 0, sizeof h[0]);
    h->cfg = cfg;
    int code = 1;
    levy_gen_errors errs = {0};
    levy_err err;
    levy_err_clear(&err);
    size_t blen = 0;
    char *body = NULL;
    if (levy_file_read(cfg->calc_file, (size_t)128 << 20, &body, &blen, &err) != LEVY_OK) {
        fprintf(stderr, "levy calc: cannot read %s\n", err.message);
        return 2;
    }
    char dbpath[PATH_MAX];
    snprintf(dbpath, sizeof dbpath, "%s/levy.db", cfg->data_dir);
    struct stat st;
    if (cfg->database[0]) { /* the served PostgreSQL store, read-only */
        levy_store *s = NULL;
        if (levy_store_open(&s, cfg->database, LEVY_STORE_READONLY, &err) == LEVY_OK)
            h->store = s;
        else
            fprintf(stderr,
                    "levy calc: the PostgreSQL store is not readable (%s); continuing "
                    "without\n",
                    err.message);
    } else if (stat(dbpath, &st) == 0) {
        levy_store *s = NULL;
        if (levy_store_open(&s, dbpath, LEVY_STORE_READONLY, &err) == LEVY_OK)
            h->store = s;
        else
            fprintf(stderr, "levy calc: data dir store not readable (%s); continuing without\n",
                    err.message);
    }
    h->base = levy_host_event_base_new();
    if (levy_host_build(h, 1, &h->current, &errs, NULL, &err) != LEVY_OK) {
        for (int i = 0; i < errs.n; i++)
            fprintf(stderr, "levy calc: %s:%d: %s\n", errs.v[i].source, errs.v[i].line,
                    errs.v[i].message);
        if (!errs.n)
            fprintf(stderr, "levy calc: %s\n", err.message);
        goto done;
    }
    if (!cfg->calc_lines) {
        calc_out out = {0, NULL, 0};
        if (calc_one(h, body, blen, &out) == 0)
            code = print_answer(&out);
        free(out.body);
        goto done;
    }
    /* --lines: each non-blank line one request, each answer one line (the answers are
     * compact JSON: no newline inside), in input order; exit 1 when any line's was not a 200 */
    code = 0;
    for (size_t at = 0; at < blen;) {
        const char *nl = memchr(body + at, '\n', blen - at);
        size_t end = nl ? (size_t)(nl - body) : blen, len = end - at;
        const char *line = body + at;
        at = end + 1;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        size_t lead = 0;
        while (lead < len && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == len)
            continue;
        calc_out out = {0, NULL, 0};
        if (calc_one(h, line + lead, len - lead, &out) != 0) {
            code = 1;
            break;
        }
        code |= print_answer(&out);
        free(out.body);
        fflush(stdout);
    }
done:
    free(body);
    levy_gen_errors_free(&errs);
    levy_host_release(h);
    return code;
}

/* ---- demo ------------------------------------------------------------------------------ */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* GET path on 127.0.0.1:port (HTTP/1.0); the response (headers + body) into buf. */
static int http_get(int port, const char *path, char *buf, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t n = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        char rq[256];
        int l = snprintf(rq, sizeof rq, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
        if (write(fd, rq, (size_t)l) == l) {
            ssize_t r;
            while (n + 1 < cap && (r = read(fd, buf + n, cap - n - 1)) > 0)
                n += (size_t)r;
        }
    }
    buf[n] = '\0';
    close(fd);
    return (int)n;
}

/* 1 when GET /healthz on port answers 200. */
static int healthy(int port)
{
    char buf[512];
    return http_get(port, "/healthz", buf, sizeof buf) > 12 && strncmp(buf + 9, "200", 3) == 0;
}

/* Starts `exe args...` with extra environment, stdout to a pipe (returned in *out_fd). */
static pid_t spawn(const char *exe, char *const argv[], char *const env_add[], int *out_fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; env_add[i]; i++)
            putenv(env_add[i]);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(exe, argv);
        _exit(127);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

static volatile sig_atomic_t demo_stop;
static void on_demo_signal(int sig)
{
    (void)sig;
    demo_stop = 1;
}

/* Reads what the child printed so far (non-blocking) and appends it to buf. */
static void drain(int fd, char *buf, size_t cap)
{
    size_t n = strlen(buf);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - n - 1)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : (errno == ENOENT ? 0 : -1);
}

/* The demo's temporary data dirs go when it stops (Ctrl-C, SIGTERM, a child's failure),
 * unless --keep: says which, on stderr. */
static void demo_cleanup(const levy_config *cfg, const char *dir)
{
    if (cfg->demo_keep) {
        fprintf(stderr, "levy demo: kept the data in %s (--keep)\n", dir);
        return;
    }
    if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "levy demo: could not remove all of %s: %s\n", dir, strerror(errno));
    else
        fprintf(stderr, "levy demo: removed %s\n", dir);
}

int levy_host_demo(levy_config *cfg, const char *argv0)
{
    char exe[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el <= 0) {
        snprintf(exe, sizeof exe, "%s", argv0);
    } else {
        exe[el] = '\0';
    }
    char tmpl[] = "/tmp/levy-demo-XXXXXX";
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "levy demo: cannot create a temp dir: %s\n", strerror(errno));
        return 1;
    }
    int sim_port = free_port(), levy_port = free_port();
    while (levy_port == sim_port)
        levy_port = free_port();
    char sim_listen[64], levy_listen[64], sim_dir[PATH_MAX], levy_dir[PATH_MAX], sim_url[128];
    snprintf(sim_listen, sizeof sim_listen, "127.0.0.1:%d", sim_port);
    snprintf(levy_listen, sizeof levy_listen, "127.0.0.1:%d", levy_port);
    snprintf(sim_dir, sizeof sim_dir, "%s/sim", tmpl);
    snprintf(levy_dir, sizeof levy_dir, "%s/levy", tmpl);
    snprintf(sim_url, sizeof sim_url, "http://%s", sim_listen);
    char *sim_argv[] = {exe,     "sim",       "--listen",       sim_listen, "--data-dir",
                        sim_dir, "--plugins", cfg->plugins_dir, NULL};
    char *no_env[] = {NULL};
    signal(SIGINT, on_demo_signal);
    signal(SIGTERM, on_demo_signal);
    int sim_fd = -1, levy_fd = -1;
    pid_t sim = spawn(exe, sim_argv, no_env, &sim_fd);
    char sim_out[8192] = "", levy_out[8192] = "";
    int ok = 0;
    for (int i = 0; i < 200 && !demo_stop; i++) {
        if (healthy(sim_port)) {
            ok = 1;
            break;
        }
        usleep(50000);
    }
    if (!ok) {
        if (!demo_stop)
            fprintf(stderr, "levy demo: the simulator did not come up\n");
        kill(sim, SIGTERM);
        waitpid(sim, NULL, 0);
        close(sim_fd);
        demo_cleanup(cfg, tmpl);
        return demo_stop ? 0 : 1;
    }
    /* the demo Rillet API key: from the simulator's GET /_sim/info ({"api_key": ...}),
     * else from its on_start banner ("API key: <key>") */
    char api_key[256] = "";
    static char info[16384];
    for (int i = 0; i < 50 && !api_key[0] && !demo_stop; i++) {
        if (http_get(sim_port, "/_sim/info", info, sizeof info) > 0) {
            const char *k = strstr(info, "\"api_key\"");
            if (k && (k = strchr(k + 9, '"'))) {
                k++;
                size_t n = strcspn(k, "\"");
                snprintf(api_key, sizeof api_key, "%.*s", (int)n, k);
            }
        }
        if (!api_key[0])
            usleep(100000);
    }
    drain(sim_fd, sim_out, sizeof sim_out);
    if (!api_key[0]) {
        const char *k = strstr(sim_out, "API key:");
        if (k) {
            k += 8;
            while (*k == ' ')
                k++;
            size_t n = strcspn(k, " \r\n\t");
            snprintf(api_key, sizeof api_key, "%.*s", (int)n, k);
        }
    }
    char env_rillet[300], env_auto[32], env_sim[200], env_key[300];
    snprintf(env_rillet, sizeof env_rillet, "LEVY_RILLET_URL=%s", sim_url);
    snprintf(env_auto, sizeof env_auto, "LEVY_DEMO_AUTO=%d", cfg->demo_auto ? 1 : 0);
    snprintf(env_sim, sizeof env_sim, "LEVY_DEMO_SIM_URL=%s", sim_url);
    snprintf(env_key, sizeof env_key, "LEVY_DEMO_API_KEY=%s", api_key);
    char *levy_env[] = {env_rillet, env_auto, env_sim, env_key, NULL};
    char *levy_argv[] = {exe,          "serve",          "--listen",  levy_listen,
                         "--data-dir", levy_dir,         "--plugins", cfg->plugins_dir,
                         "--scripts",  cfg->scripts_dir, "--web",     cfg->web_dir,
                         NULL};
    pid_t lv = spawn(exe, levy_argv, levy_env, &levy_fd);
    ok = 0;
    for (int i = 0; i < 200 && !demo_stop; i++) {
        if (healthy(levy_port)) {
            ok = 1;
            break;
        }
        usleep(50000);
    }
    /* a one-time sign-in code (issue 15, finding 12): the long-lived API token never
     * enters a URL, where it would stay in the browser's history and session files */
    char code[LEVY_SIGNIN_CODE_LEN + 1] = "";
    if (ok) {
        levy_err cerr;
        levy_err_clear(&cerr);
        if (levy_auth_signin_new(levy_dir, LEVY_SIGNIN_TTL_S, code, sizeof code, &cerr) !=
            LEVY_OK) {
            fprintf(stderr, "levy demo: no sign-in code: %s\n", cerr.message);
            ok = 0;
        }
    }
    if (!ok) {
        if (!demo_stop)
            fprintf(stderr, "levy demo: levy did not come up\n");
        demo_stop = 1;
    } else {
        printf("levy:       http://127.0.0.1:%d/#signin=%s\n", levy_port, code);
        printf("            (a one-time sign-in link, valid 15 min; another: levy signin "
               "--data-dir %s)\n",
               levy_dir);
        printf("simulator:  %s\n", sim_url);
        if (api_key[0])
            printf("Rillet API key (demo): %s\n", api_key);
        else
            printf("simulator said:\n%s", sim_out);
        printf("data:       %s (Ctrl-C stops both and %s)\n\n", tmpl,
               cfg->demo_keep ? "keeps it (--keep)" : "removes it; --keep keeps it");
        if (cfg->demo_auto)
            printf("next: open the levy URL. levy is connecting to the simulator and subscribing a "
                   "few\n"
                   "      regions by itself; taxed invoices appear under Invoices within seconds. "
                   "Edit an\n"
                   "      invoice in the simulator's page and watch its tax change in both UIs.\n");
        else
            printf("next: open the levy URL, then Integrations -> Rillet -> Connect: paste the "
                   "demo key,\n"
                   "      pick a subsidiary, create the webhook on the simulator's Webhooks page "
                   "with the\n"
                   "      URL levy shows, paste its signing token. Then switch regions on under "
                   "Regions.\n"
                   "      (`levy demo --auto` does all of this for you.)\n");
        fflush(stdout);
    }
    while (!demo_stop) {
        int stv;
        /* keep the children's stdout pipes flowing; pass on what levy's plugins print (the
         * --auto connect banner), minus the start-up lines already summarised above */
        drain(levy_fd, levy_out, sizeof levy_out);
        char *line = levy_out, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            if (strncmp(line, "levy serve listening", 20) != 0 &&
                strncmp(line, "API token", 9) != 0 && strncmp(line, "Sign in:", 8) != 0 && line[0])
                printf("%s\n", line);
            line = nl + 1;
        }
        fflush(stdout);
        /* keep a partial last line for the next round; a full buffer without a newline is
         * dropped so the pipe never backs up into the child */
        if (line == levy_out && strlen(levy_out) + 1 >= sizeof levy_out)
            levy_out[0] = '\0';
        else /* line lies inside levy_out: a forward copy by index, not an overlapping
              * memmove (fortified, glibc's __memcpy_chk: a false overlap under valgrind) */
            for (size_t i = 0, k = (size_t)(line - levy_out); i == 0 || levy_out[i - 1]; i++)
                levy_out[i] = levy_out[i + k];
        char scratch[4096] = "";
        drain(sim_fd, scratch, sizeof scratch);
        if (waitpid(sim, &stv, WNOHANG) == sim || waitpid(lv, &stv, WNOHANG) == lv) {
            fprintf(stderr, "levy demo: a child exited; stopping\n");
            break;
        }
        usleep(100000);
    }
    kill(lv, SIGTERM);
    kill(sim, SIGTERM);
    waitpid(lv, NULL, 0);
    waitpid(sim, NULL, 0);
    close(sim_fd);
    close(levy_fd);
    demo_cleanup(cfg, tmpl);
    return 0;
}
