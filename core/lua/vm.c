/* Generation VMs: capped allocator, instruction budget hook, protected calls. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "hlog.h"
#include "lctx.h"
#include "pool.h"
#include "vm.h"

struct levy_vm {
    lua_State *L;
    size_t used, cap, cap0; /* cap0: the cap it was made with (levy_vm_set_mem_cap) */
    size_t peak, base;      /* high-water mark since the last trim; bytes held after it */
    long fail_after;        /* testing: fail the n-th allocation */
    uint64_t instr_budget;
    int64_t time_ns;
    levy_budget budget; /* for threads without a call */
    /* Threads of finished calls, reset, for the next calls (levy_vm_thread_take / _give):
     * each stays anchored in the registry under its ref; lua_close frees them. */
    lua_State *pool[LEVY_VM_THREAD_POOL];
    int pool_ref[LEVY_VM_THREAD_POOL];
    int npool;
    int generational; /* levy_vm_serving_gc switched the collector */
    /* The idle collector (levy_vm_gc_idle_step, levy_vm_serving_gc): on for a serving
     * generation with the incremental collector; gc_base = bytes held when its last cycle
     * ended; gc_cycle = its steps have a cycle running. */
    int idle_gc, gc_cycle, gc_ended;
    size_t gc_base;
    uint64_t freed;    /* bytes freed by the state since it was made (levy_vm_mem_freed) */
    levy_pool *blocks; /* its small blocks (pool.h); NULL: malloc alone */
    int closing;       /* levy_vm_free: lua_close runs, the pool is unmapped after it */
};

static void *vm_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    levy_vm *vm = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (vm->blocks && ptr && levy_pool_owns(vm->blocks, ptr)) {
            /* lua_close frees every object of the state one by one: a pool block need not go
             * back on its page's free list when the whole region is unmapped right after */
            if (!vm->closing)
                levy_pool_release_block(vm->blocks, ptr);
            else
                levy_pool_drop_block(vm->blocks, ptr);
        } else
            free(ptr);
        vm->used -= old;
        vm->freed += old;
        return NULL;
    }
    if (vm->fail_after > 0 && --vm->fail_after == 0)
        return NULL;
    if (nsize > old && vm->used + (nsize - old) > vm->cap)
        return NULL;
    void *p = vm->blocks ? levy_pool_realloc(vm->blocks, ptr, old, nsize) : realloc(ptr, nsize);
    if (!p)
        return NULL;
    vm->used = vm->used - old + nsize;
    if (vm->used > vm->peak)
        vm->peak = vm->used;
    return p;
}

static int vm_panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    hlog(HLOG_ERROR, "lua panic: %s", msg ? msg : "(non-string error)");
    abort();
    return 0;
}

static levy_budget *budget_of(lua_State *L)
{
    levy_lctx *ctx = levy_lua_ctx(L);
    if (ctx && ctx->call)
        return (levy_budget *)ctx->call; /* first member by contract */
    return &levy_vm_of(L)->budget;
}

/* The time budget counts CPU time of the running thread, not wall time: a call blocked in
 * fsync or descheduled on a loaded machine has not run away, and must not be killed for it
 * (the reload thread's builds are measured on their own thread's clock). */
static _Atomic uint64_t cpu_reads;

uint64_t levy_budget_cpu_reads(void) { return cpu_reads; }

static int64_t mono_ns(void)
{
    struct timespec ts;
    cpu_reads++;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void levy_budget_slice_begin(levy_budget *b)
{
    b->slice_start_ns = mono_ns();
    b->slice_wall_ns = wall_ns();
}

void levy_budget_slice_end(levy_budget *b)
{
    if (b->slice_start_ns) {
        int64_t w = wall_ns() - b->slice_wall_ns;
        /* a thread runs at most as long as the wall clock moved: a short slice is charged its
         * wall time, an upper bound of its CPU time within LEVY_VM_SLICE_WALL_NS, as long as
         * the call's short slices stay within LEVY_VM_SLICE_WALL_MAX_NS in all; any other
         * (it may have waited, been descheduled) exactly its CPU time */
        if (w >= 0 && w < LEVY_VM_SLICE_WALL_NS && b->short_ns + w <= LEVY_VM_SLICE_WALL_MAX_NS) {
            b->spent_ns += w;
            b->short_ns += w;
        } else
            b->spent_ns += mono_ns() - b->slice_start_ns;
    }
    b->slice_start_ns = 0;
}

/* The running slice's CPU time has taken the budget past its time limit. Its wall time bounds
 * its CPU time, so the CPU clock is read only once the wall time alone would be past it. */
static int slice_over_time(const levy_budget *b)
{
    if (!b->limit_ns || !b->slice_start_ns)
        return 0;
    int64_t w = wall_ns() - b->slice_wall_ns;
    if (w >= 0 && b->spent_ns + w <= b->limit_ns)
        return 0;
    return b->spent_ns + (mono_ns() - b->slice_start_ns) > b->limit_ns;
}

void levy_budget_scale(levy_budget *b, int instr_factor, int time_factor)
{
    b->limit *= (uint64_t)instr_factor;
    b->limit_ns *= time_factor;
}

const char *levy_budget_message(const levy_budget *b)
{
    switch (b->tripped) {
    case LEVY_BUDGET_INSTR:
        return "instruction budget exceeded (LEVY_LUA_INSTR)";
    case LEVY_BUDGET_TIME:
        return "running-time budget exceeded (LEVY_LUA_TIME_MS)";
    default:
        return NULL;
    }
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    levy_budget *b = budget_of(L);
    if (b->tripped) {
        luaL_error(L, "%s", levy_budget_message(b));
        return;
    }
    b->used += LEVY_VM_HOOK_STEP;
    int over = b->limit && b->used > b->limit ? LEVY_BUDGET_INSTR : 0;
    if (!over && slice_over_time(b))
        over = LEVY_BUDGET_TIME;
    if (over) {
        b->tripped = over;
        /* Re-arm on every instruction so a pcall that swallows the error gets it again. */
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "%s", levy_budget_message(b));
    }
}

int levy_vm_account(lua_State *L, uint64_t steps)
{
    void *ud = NULL;
    levy_lctx *ctx = levy_lua_ctx(L);
    if (!(ctx && ctx->call) && lua_getallocf(L, &ud) != vm_alloc)
        return 0; /* a state levy_vm_new did not make (unit tests of a binding): no budget */
    levy_budget *b = budget_of(L);
    if (!b->tripped) {
        b->used += steps;
        if (b->limit && b->used > b->limit)
            b->tripped = LEVY_BUDGET_INSTR;
        else if (slice_over_time(b))
            b->tripped = LEVY_BUDGET_TIME;
    }
    return b->tripped;
}

int levy_vm_budget_used_permille(lua_State *L)
{
    void *ud = NULL;
    levy_lctx *ctx = levy_lua_ctx(L);
    if (!(ctx && ctx->call) && lua_getallocf(L, &ud) != vm_alloc)
        return 0;
    const levy_budget *b = budget_of(L);
    if (b->tripped)
        return 1000;
    uint64_t best = 0;
    if (b->limit) {
        uint64_t u = b->used >= b->limit ? 1000 : b->used / (b->limit / 1000 ? b->limit / 1000 : 1);
        best = u > 1000 ? 1000 : u;
    }
    if (b->limit_ns > 0) {
        int64_t spent = b->spent_ns + (b->slice_start_ns ? mono_ns() - b->slice_start_ns : 0);
        int64_t per = b->limit_ns / 1000 ? b->limit_ns / 1000 : 1;
        uint64_t t = spent <= 0 ? 0 : (uint64_t)(spent / per);
        if (t > 1000)
            t = 1000;
        if (t > best)
            best = t;
    }
    return (int)best;
}

void levy_vm_charge(lua_State *L, uint64_t steps)
{
    if (!levy_vm_account(L, steps))
        return;
    levy_budget *b = budget_of(L);
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1); /* as the hook: pcall cannot swallow it */
    luaL_error(L, "%s", levy_budget_message(b));
}

void levy_vm_arm(lua_State *L) { lua_sethook(L, budget_hook, LUA_MASKCOUNT, LEVY_VM_HOOK_STEP); }

void levy_vm_budget_reset(levy_vm *vm, lua_State *L, levy_budget *b)
{
    b->used = 0;
    b->tripped = 0;
    b->limit = vm->instr_budget;
    b->limit_ns = vm->time_ns;
    b->spent_ns = 0;
    b->slice_start_ns = 0;
    b->short_ns = 0;
    levy_vm_arm(L);
}

void levy_vm_budget_start(levy_vm *vm, lua_State *L, levy_budget *b)
{
    levy_vm_budget_reset(vm, L, b);
    levy_budget_slice_begin(b);
}

int levy_vm_new(levy_vm **out, const levy_vm_limits *lim, levy_err *err)
{
    *out = NULL;
    levy_vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return levy_err_set(err, LEVY_ENOMEM, "oom", "out of memory");
    vm->cap = vm->cap0 = lim && lim->mem_max ? lim->mem_max : LEVY_VM_DEFAULT_MEM;
    vm->instr_budget = lim && lim->instr_budget ? lim->instr_budget : LEVY_VM_DEFAULT_INSTR;
    vm->time_ns = (int64_t)(lim && lim->time_ms ? lim->time_ms : LEVY_VM_DEFAULT_TIME_MS) * 1000000;
    const char *tm = getenv("LEVY_LUA_TIME_MS"), *ins = getenv("LEVY_LUA_INSTR");
    if (tm && atoi(tm) > 0 && !(lim && lim->time_ms))
        vm->time_ns = (int64_t)atoi(tm) * 1000000;
    if (ins && atoll(ins) > 0 && !(lim && lim->instr_budget))
        vm->instr_budget = (uint64_t)atoll(ins);
    if (getenv("LEVY_UNDER_VALGRIND")) {
        vm->time_ns *= 50;
        vm->instr_budget *= 4;
    }
    /* the region is the state's cap: past it the allocator says no anyway */
    if (!getenv("LEVY_VM_NO_POOL"))
        vm->blocks = levy_pool_new(vm->cap0);
    vm->L = lua_newstate(vm_alloc, vm);
    if (!vm->L) {
        levy_pool_free(vm->blocks);
        free(vm);
        return levy_err_set(err, LEVY_ENOMEM, "oom", "cannot create Lua state");
    }
    lua_atpanic(vm->L, vm_panic);
    levy_lua_set_ctx(vm->L, NULL);
    levy_vm_budget_start(vm, vm->L, &vm->budget);
    *out = vm;
    return LEVY_OK;
}

void levy_vm_free(levy_vm *vm)
{
    if (!vm)
        return;
    vm->closing = 1;
    if (vm->L)
        lua_close(vm->L);
    levy_pool_free(vm->blocks);
    free(vm);
}

lua_State *levy_vm_state(levy_vm *vm) { return vm->L; }

lua_State *levy_vm_thread_take(levy_vm *vm, int *ref)
{
    if (!vm->npool)
        return NULL;
    vm->npool--;
    *ref = vm->pool_ref[vm->npool];
    return vm->pool[vm->npool];
}

int levy_vm_thread_give(levy_vm *vm, lua_State *T, int ref)
{
    if (vm->npool >= LEVY_VM_THREAD_POOL || T == vm->L || lua_status(T) != LUA_OK)
        return 0;
    levy_lua_set_ctx(T, NULL); /* a finalizer run on it before the next call is in no call */
    /* A call that returned normally is at the thread's base already (no active function, so
     * no open upvalue and no pending to-be-closed variable: both close as their function
     * returns): emptying its stack is enough, and the stack keeps the size the call grew it
     * to. lua_resetthread shrank it to its minimum, so the next call grew it again (issue 21:
     * two luaD_growstack reallocations per request, ~2k instructions). Anything else unwinds
     * to the base and closes what is still open (a __close that fails makes it unfit). The
     * hook and the budget are set afresh by the next call's levy_vm_budget_start; the
     * thread's context by levy_lua_set_ctx. */
    lua_Debug ar;
    if (lua_getstack(T, 0, &ar) == 0)
        lua_settop(T, 0);
    else if (lua_resetthread(T) != LUA_OK)
        return 0;
    lua_sethook(T, NULL, 0, 0); /* no budget counts while it waits */
    vm->pool[vm->npool] = T;
    vm->pool_ref[vm->npool] = ref;
    vm->npool++;
    return 1;
}

int levy_vm_thread_pooled(const levy_vm *vm) { return vm->npool; }

int levy_vm_pool_arena(lua_State *L, int arena)
{
    void *ud = NULL;
    if (lua_getallocf(L, &ud) != vm_alloc || !ud || !((levy_vm *)ud)->blocks)
        return 0;
    return levy_pool_set_arena(((levy_vm *)ud)->blocks, arena);
}

levy_vm *levy_vm_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

size_t levy_vm_mem_used(const levy_vm *vm) { return vm->used; }
uint64_t levy_vm_mem_freed(const levy_vm *vm) { return vm->freed; }

/* Lua 5.4.4 (Debian 12) leaves the collector's debt as it was when it enters generational
 * mode or ends a full collection in it (a bug of 5.4.4, fixed in 5.4.5): after the switch from
 * incremental mode that debt is the incremental pause's, so no minor collection ran until the
 * heap had doubled, and then a major one did (measured: the heap grew 2.8 kB a request for
 * ~1,000 requests, then one request paid 11 M instructions). An explicit step of size 0 in
 * generational mode is a minor collection that sets the debt for the next one (lgc.c genstep,
 * setminordebt); in incremental mode nothing needs it. */
static void gen_debt(levy_vm *vm)
{
    if (vm->generational)
        lua_gc(vm->L, LUA_GCSTEP, 0);
}

void levy_vm_collect(levy_vm *vm)
{
    lua_gc(vm->L, LUA_GCCOLLECT, 0);
    gen_debt(vm);
    if (vm->blocks)
        levy_pool_release(vm->blocks);
    malloc_trim(0);
    vm->base = vm->peak = vm->used;
    vm->gc_cycle = 0; /* a full collection ends any cycle the idle steps had begun */
    vm->gc_ended = 0;
    vm->gc_base = vm->used;
}

void levy_vm_serving_gc(levy_vm *vm)
{
    /* Entering generational mode is itself a full collection (lgc.c entergen: it ends the
     * running cycle, marks everything and frees what is dead): everything
     * that survives it (the plugins, rules and rate tables) is old from then on, and a minor
     * collection visits only what was made since the previous one (a few dozen requests'
     * garbage), so no single request pays for a whole cycle's sweep. A major collection
     * comes when the heap has doubled since the last one (Lua's default), which requests
     * whose objects die young do not cause; levy_vm_trim still collects fully after a call
     * that grew the heap by LEVY_VM_TRIM_BYTES. */
    /* Opt-in (LEVY_LUA_GC=generational): under the soak's mixed traffic (webhooks, lists,
     * reports) more objects live long enough to wait for a major collection (Lua heap 4.5-5.5
     * MB against 2.5-3.3 incremental, RSS +4.2 % over the last 90 s of a 3-minute soak against
     * +0.3 %: bench/README "coroutines reused, the GC's steps"), and a major is one unbudgeted
     * step whose cost there was not measured; the incremental collector stays the default. */
    const char *mode = getenv("LEVY_LUA_GC");
    if (!mode || strcmp(mode, "generational") != 0) {
        /* Incremental, its work moved to the loop's idle moments (levy_vm_gc_idle_step): set
         * before the collection, whose end sets the first pause from them. */
        lua_gc(vm->L, LUA_GCINC, LEVY_VM_GC_PAUSE, LEVY_VM_GC_STEPMUL, LEVY_VM_GC_STEPSIZE);
        lua_gc(vm->L, LUA_GCCOLLECT, 0); /* what was made while loading, before serving */
        vm->idle_gc = 1;
        vm->gc_cycle = 0;
        vm->gc_base = vm->used;
        return;
    }
    lua_gc(vm->L, LUA_GCGEN, LEVY_VM_GC_MINOR, 0);
    vm->generational = 1;
    gen_debt(vm);
}

/* A fresh empty table anchored in the registry, the newest object in the collector's list
 * (lua_pcall'ed: making it may fail for memory). */
static const char sentinel_key = 0;
static int make_sentinel(lua_State *L)
{
    lua_createtable(L, 0, 0);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &sentinel_key);
    return 0;
}

int levy_vm_call_ended(levy_vm *vm)
{
    if (!vm->idle_gc)
        return 0;
    /* Lua 5.4's incremental collector, when its mark phase ends, frees without any budget
     * every dead object from the head of its object list (the newest) up to the first live
     * one (lgc.c entersweep -> sweeptolive): the garbage of every request since the cycle
     * began, ~12,000 objects and 5-8 M instructions in one step. A new live object after each
     * call bounds that run to what was made since the last call ended; the rest of the sweep
     * goes in budgeted steps. */
    lua_pushcfunction(vm->L, make_sentinel);
    if (lua_pcall(vm->L, 0, 0, 0) != LUA_OK)
        lua_pop(vm->L, 1);
    return levy_vm_gc_idle_wanted(vm);
}

int levy_vm_gc_idle_wanted(const levy_vm *vm)
{
    return vm->idle_gc &&
           ((vm->gc_cycle && !vm->gc_ended) || vm->used >= vm->gc_base / 100 * LEVY_VM_GC_IDLE_AT);
}

/* The end of a collector cycle, seen by the idle collector: LUA_GCSTEP says when its own step
 * ended one, but a cycle may end in an automatic step inside a call, and a step in the pause
 * begins the next cycle at once. So when its steps begin, it drops a table with a finalizer:
 * the cycle that is marking then finds it dead and finalizes it once its sweep is done (one made
 * during a sweep waits for the next cycle: one cycle more). */
static int canary_gc(lua_State *L)
{
    levy_vm *vm = levy_vm_of(L);
    vm->gc_ended = 1;
    vm->gc_base = vm->used;
    return 0;
}

static int make_canary(lua_State *L)
{
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, canary_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    return 0;
}

int levy_vm_gc_idle_step(levy_vm *vm)
{
    if (vm->gc_cycle && vm->gc_ended)
        vm->gc_cycle = 0; /* the cycle ended (canary_gc), maybe in a call's step */
    if (!levy_vm_gc_idle_wanted(vm))
        return 0;
    if (!vm->gc_cycle) {
        vm->gc_cycle = 1;
        vm->gc_ended = 0;
        lua_pushcfunction(vm->L, make_canary);
        if (lua_pcall(vm->L, 0, 0, 0) != LUA_OK) {
            lua_pop(vm->L, 1);
            vm->gc_cycle = 0; /* no memory for it: the automatic collector alone */
            return 0;
        }
    }
    /* One basic step: (2^STEPSIZE / 16) * STEPMUL units of work (lgc.c incstep), then the
     * automatic collector waits for 2^STEPSIZE more bytes. In the pause it begins a cycle. */
    uint64_t freed = vm->freed;
    /* the idle step is small (LEVY_VM_GC_IDLE_STEPMUL / _STEPSIZE: a request that arrives
     * during it waits for it), the automatic one inside calls larger (vm.h); 0 keeps the pause */
    lua_gc(vm->L, LUA_GCINC, 0, LEVY_VM_GC_IDLE_STEPMUL, LEVY_VM_GC_IDLE_STEPSIZE);
    lua_gc(vm->L, LUA_GCSTEP, 0);
    lua_gc(vm->L, LUA_GCINC, 0, LEVY_VM_GC_STEPMUL, LEVY_VM_GC_STEPSIZE);
    if (vm->freed != freed) {
        /* glibc keeps small freed chunks in its fast bins and merges them all (malloc_consolidate)
         * on the next allocation of 1 kB or more: after a sweep step that is the next request's
         * (measured: ~100 k instructions in each of the requests after a cycle's sweep). A
         * large allocation here merges them now, in the idle moment; volatile, so that the
         * compiler keeps the pair. */
        void *volatile p = malloc(LEVY_VM_GC_MERGE_BYTES);
        free(p);
    }
    if (vm->gc_ended) {
        vm->gc_cycle = 0;
        if (vm->blocks) /* the cycle's sweep emptied pages: back to the kernel, in the idle moment */
            levy_pool_release(vm->blocks);
        return 0;
    }
    return 1;
}

int levy_vm_trim(levy_vm *vm)
{
    if (vm->base == 0)
        vm->base = vm->used;
    if (vm->peak <= vm->base + LEVY_VM_TRIM_BYTES)
        return 0;
    size_t peak = vm->peak, base = vm->base;
    levy_vm_collect(vm);
    hlog(HLOG_DEBUG, "lua state grew to %zu kB (held %zu kB before): collected, %zu kB held now",
         peak >> 10, base >> 10, vm->used >> 10);
    return 1;
}
uint64_t levy_vm_instr_budget(const levy_vm *vm) { return vm->instr_budget; }
void levy_vm_fail_after(levy_vm *vm, long n) { vm->fail_after = n; }
void levy_vm_set_mem_cap(levy_vm *vm, size_t cap) { vm->cap = cap ? cap : vm->cap0; }

void levy_vm_err_from_msg(levy_err *err, const char *code, const char *msg)
{
    if (!err)
        return;
    if (!msg)
        msg = "(error object is not a string)";
    int rc = strcmp(code, "oom") == 0 ? LEVY_ENOMEM : LEVY_EINVAL;
    levy_err_set(err, rc, code, "%s", msg);
    /* "path:line: text" (chunk names start with '@' stripped by Lua, or [string "..."]) */
    const char *c1 = strchr(msg, ':');
    if (c1 && c1 != msg && msg[0] != '[') {
        char *end = NULL;
        long line = strtol(c1 + 1, &end, 10);
        if (end && end != c1 + 1 && *end == ':') {
            size_t n = (size_t)(c1 - msg);
            if (n >= sizeof err->source)
                n = sizeof err->source - 1;
            memcpy(err->source, msg, n);
            err->source[n] = '\0';
            err->line = (int)line;
            const char *text = end + 1;
            while (*text == ' ')
                text++;
            snprintf(err->message, sizeof err->message, "%s", text);
        }
    }
}

/* [-2, +1, m] luaL_traceback of the coroutine (argument 1, a light userdata) with the message
 * (argument 2, a light userdata). */
static int traceback_cf(lua_State *L)
{
    luaL_traceback(L, lua_touserdata(L, 1), lua_touserdata(L, 2), 0);
    return 1;
}

int levy_vm_traceback(lua_State *L, lua_State *co, const char *msg, char *out, size_t cap)
{
    int rc = -1;
    if (lua_checkstack(L, 3)) {
        lua_pushcfunction(L, traceback_cf);
        lua_pushlightuserdata(L, co);
        lua_pushlightuserdata(L, (void *)msg);
        if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
            snprintf(out, cap, "%s", lua_tostring(L, -1));
            rc = 0;
        }
        lua_pop(L, 1);
    }
    if (rc)
        snprintf(out, cap, "%s", msg ? msg : "?");
    return rc;
}

/* [-1, +1, m] Message handler: normalise the error to a string and append a traceback.
 * The original message is kept as the first line so callers can split file:line. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        if (levy_lua_is_api_error(L, 1))
            return 1; /* keep API errors intact for the caller */
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int levy_vm_pcall_on(lua_State *L, int nargs, int nres, levy_err *err)
{
    int base = lua_gettop(L) - nargs; /* function index */
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    if (st == LUA_OK)
        return LEVY_OK;
    const char *code = st == LUA_ERRMEM ? "oom" : "lua_error";
    levy_budget *b = budget_of(L);
    if (b->tripped)
        code = "budget";
    const char *full = lua_tostring(L, -1);
    if (full) {
        /* first line = message; the rest is the traceback (log only) */
        const char *nl = strchr(full, '\n');
        size_t n = nl ? (size_t)(nl - full) : strlen(full);
        char first[512];
        if (n >= sizeof first)
            n = sizeof first - 1;
        memcpy(first, full, n);
        first[n] = '\0';
        if (strcmp(code, "budget") == 0)
            snprintf(first, sizeof first, "%s", levy_budget_message(b));
        levy_vm_err_from_msg(err, code, first);
        hlog(HLOG_DEBUG, "lua error: %s", full);
    } else if (levy_lua_is_api_error(L, -1)) {
        lua_getfield(L, -1, "message");
        levy_vm_err_from_msg(err, "api_error", lua_tostring(L, -1));
        lua_pop(L, 1);
    } else {
        levy_vm_err_from_msg(err, code, NULL);
    }
    lua_pop(L, 1);
    if (b->tripped && L == levy_vm_state(levy_vm_of(L))) {
        b->tripped = 0;
        levy_vm_arm(L);
    }
    return err ? (err->rc ? err->rc : LEVY_EINVAL) : LEVY_EINVAL;
}

int levy_vm_pcall(levy_vm *vm, int nargs, int nres, levy_err *err)
{
    levy_vm_budget_start(vm, vm->L, &vm->budget);
    return levy_vm_pcall_on(vm->L, nargs, nres, err);
}

int levy_vm_pcall_bg(levy_vm *vm, int nargs, int nres, levy_err *err)
{
    levy_vm_budget_start(vm, vm->L, &vm->budget);
    levy_budget_scale(&vm->budget, LEVY_VM_BG_FACTOR, LEVY_VM_BG_FACTOR);
    return levy_vm_pcall_on(vm->L, nargs, nres, err);
}
