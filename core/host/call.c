/* Lua calls (coroutines) on a generation (see host.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "hlog.h"
#include "host/host.h"

static uint64_t call_seq;

void levy_call_request_id(char *out, size_t cap)
{
    snprintf(out, cap, "req_%llx", (unsigned long long)++call_seq);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* [-0, +1, m] Creates a thread anchored in the registry; returns (thread, ref). */
static int new_anchored_thread(lua_State *L)
{
    lua_newthread(L);
    lua_pushvalue(L, -1);
    lua_Integer ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushinteger(L, ref);
    return 2;
}

lua_State *levy_aux_thread(lua_State *L, int *ref)
{
    if (!lua_checkstack(L, 4))
        return NULL;
    lua_pushcfunction(L, new_anchored_thread);
    if (lua_pcall(L, 0, 2, 0) != LUA_OK) {
        lua_pop(L, 1); /* the allocation failed: no panic, the caller reports it */
        return NULL;
    }
    lua_State *T = lua_tothread(L, -2);
    *ref = (int)lua_tointeger(L, -1);
    lua_pop(L, 2);
    return T;
}

/* ctx.resume of every call: a binding that parked the coroutine (levy.http.request,
 * levy.time.sleep) resumes it through its context, without knowing the call. */
static void resume_parked(levy_lctx *ctx, int nargs) { levy_call_resume(ctx->call, nargs); }

/* "<kind>_<seq in lower-case hex>" into id (40 bytes: the longest is 4 + 1 + 16): what
 * snprintf("%s_%llx") wrote, without its cost on every request (issue 21). */
static void call_id(char id[40], const char *kind, unsigned long long seq)
{
    size_t n = strlen(kind);
    memcpy(id, kind, n);
    id[n++] = '_';
    char hex[16];
    int k = 0;
    do {
        hex[k++] = "0123456789abcdef"[seq & 15];
        seq >>= 4;
    } while (seq);
    while (k)
        id[n++] = hex[--k];
    id[n] = '\0';
}

levy_call *levy_call_new(levy_host *h, levy_gen *gen, levy_call_kind kind, const char *plugin,
                         levy_call_finish_fn finish, void *ud)
{
    levy_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    lua_State *L = levy_vm_state(gen->vm);
    /* A thread a finished call gave back (reset), else a new one (protected: a full
     * generation fails cleanly) */
    c->co = levy_vm_thread_take(gen->vm, &c->co_ref);
    if (!c->co)
        c->co = levy_aux_thread(L, &c->co_ref);
    if (!c->co) {
        free(c);
        return NULL;
    }
    c->host = h;
    c->gen = gen;
    levy_gen_ref(gen);
    c->kind = kind;
    c->finish = finish;
    c->ud = ud;
    c->started_ms = now_ms();
    call_id(c->id,
            kind == LEVY_CALL_HTTP  ? "req"
            : kind == LEVY_CALL_JOB ? "run"
                                    : "task",
            (unsigned long long)++call_seq);
    size_t pn = plugin ? strlen(plugin) : 0; /* cut to the field, as snprintf did */
    if (pn >= sizeof c->plugin)
        pn = sizeof c->plugin - 1;
    memcpy(c->plugin, plugin ? plugin : "", pn);
    c->plugin[pn] = '\0';
    c->ctx.kind = LEVY_CTX_REQUEST;
    c->ctx.gen = gen;
    c->ctx.call = c;
    c->ctx.plugin = c->plugin;
    c->ctx.co = c->co;
    c->ctx.base = h ? h->base : NULL;
    c->ctx.resume = resume_parked;
    levy_lua_set_ctx(c->co, &c->ctx);
    levy_vm_budget_reset(gen->vm, c->co, &c->budget); /* the clock is read by the slices */
    /* The VM default is 40 M instructions / 80 ms of CPU. Requests keep the 80 ms CPU cap
     * (a runaway handler dies within ~100 ms, as the contract asks) but may run 5x the
     * instructions, since real handlers do more per instruction in C; background work
     * (jobs, schedules, on_start) gets LEVY_VM_BG_FACTOR (10x) of both, as loading does. */
    if (kind == LEVY_CALL_JOB || kind == LEVY_CALL_START || kind == LEVY_CALL_SCHEDULE)
        levy_budget_scale(&c->budget, LEVY_VM_BG_FACTOR, LEVY_VM_BG_FACTOR);
    else
        levy_budget_scale(&c->budget, 5, 1);
    if (h) {
        h->calls++;
        c->next = h->call_head;
        if (h->call_head)
            h->call_head->prev = c;
        h->call_head = c;
    }
    return c;
}

/* reuse: the call returned normally (LUA_OK) within its budget, so its thread may serve the
 * next call (levy_vm_thread_give decides whether it is fit); 0 after an error, a budget trip,
 * out of memory or a start that failed: such a thread is dropped for the GC. */
static void call_free(levy_call *c, int reuse)
{
    levy_host *h = c->host;
    if (h) {
        h->calls--;
        if (c->prev)
            c->prev->next = c->next;
        else if (h->call_head == c)
            h->call_head = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    lua_State *L = levy_vm_state(c->gen->vm);
    levy_lua_set_ctx(c->co, NULL);
    if (!(reuse && !c->budget.tripped && levy_vm_thread_give(c->gen->vm, c->co, c->co_ref)))
        luaL_unref(L, LUA_REGISTRYINDEX, c->co_ref);
    if (!levy_vm_trim(c->gen->vm) && levy_vm_call_ended(c->gen->vm) && h && c->gen == h->current)
        levy_host_gc_idle(h);
    levy_gen_unref(c->gen);
    free(c);
}

const char *levy_call_error_text(lua_State *co, int idx, char *buf, size_t cap)
{
    const char *msg = lua_tostring(co, idx);
    if (msg)
        return msg;
    if (lua_istable(co, idx)) {
        /* an API error (levy.http.error, a busy or failing store...): status, code, message;
         * raw reads only, so no metamethod of plugin code runs here */
        int t = lua_absindex(co, idx);
        if (!lua_checkstack(co, 3)) {
            snprintf(buf, cap, "(error object is a table value)");
            return buf;
        }
        lua_pushstring(co, "status");
        lua_rawget(co, t);
        lua_pushstring(co, "code");
        lua_rawget(co, t);
        lua_pushstring(co, "message");
        lua_rawget(co, t);
        const char *code = lua_type(co, -2) == LUA_TSTRING ? lua_tostring(co, -2) : NULL;
        const char *text = lua_type(co, -1) == LUA_TSTRING ? lua_tostring(co, -1) : NULL;
        if (code || text) {
            if (lua_isinteger(co, -3))
                snprintf(buf, cap, "%lld %s: %s", (long long)lua_tointeger(co, -3),
                         code ? code : "error", text ? text : "");
            else
                snprintf(buf, cap, "%s: %s", code ? code : "error", text ? text : "");
            lua_pop(co, 3);
            return buf;
        }
        lua_pop(co, 3);
    }
    snprintf(buf, cap, "(error object is a %s value)", luaL_typename(co, idx));
    return buf;
}

void levy_call_log_error(levy_call *c, const char *what)
{
    lua_State *co = c->co;
    char buf[400];
    const char *msg = levy_call_error_text(co, -1, buf, sizeof buf);
    if (c->budget.tripped)
        msg = levy_budget_message(&c->budget);
    char tb[4096];
    int rc = levy_vm_traceback(levy_vm_state(c->gen->vm), co, msg, tb, sizeof tb);
    hlog_src(HLOG_ERROR, c->plugin[0] ? c->plugin : "core", "%s %s failed: %s%s", what, c->id, tb,
             rc ? " (no traceback: the Lua memory is full)" : "");
}

void levy_call_fail(levy_call *c)
{
    if (c->finish)
        c->finish(c, LUA_ERRMEM, 0);
    call_free(c, 0);
}

void levy_call_resume(levy_call *c, int nargs)
{
    int nres = 0;
    c->ctx.waiting = 0;
    levy_budget_slice_begin(&c->budget);
    int st = lua_resume(c->co, NULL, nargs, &nres);
    levy_budget_slice_end(&c->budget);
    if (st == LUA_YIELD) {
        if (c->ctx.waiting)
            return; /* parked (outbound HTTP, a timer); resumed through ctx.resume */
        lua_pop(c->co, nres);
        lua_pushstring(c->co, "coroutine.yield outside a coroutine of the handler");
        st = LUA_ERRRUN;
        nres = 0;
    }
    if (c->finish)
        c->finish(c, st, st == LUA_OK ? nres : 0);
    call_free(c, st == LUA_OK);
}
