#ifndef LEVY_VM_H
#define LEVY_VM_H
/* A Lua VM for one generation: a fresh lua_State with a byte-capped allocator, our own
 * linit list (sandbox.c), an instruction budget enforced by a count hook that re-arms so
 * pcall cannot swallow it, and one protected-call helper with a traceback message handler.
 *
 * Budgets: each call owns a levy_budget. A thread whose levy_lctx has a non-NULL `call`
 * uses the levy_budget that MUST be the first member of that call struct; any other
 * thread uses the VM's own budget (load and self-tests, at LEVY_VM_BG_FACTOR times the
 * limits: levy_vm_pcall_bg). */
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "levy.h"

typedef struct levy_budget {
    uint64_t used;          /* instructions executed so far (in hook steps) */
    uint64_t limit;         /* 0 = unlimited */
    int64_t spent_ns;       /* running time of finished slices (yields excluded) */
    int64_t slice_start_ns; /* the thread's CPU clock at the running slice's start, 0 = none */
    int64_t slice_wall_ns;  /* CLOCK_MONOTONIC at the running slice's start */
    int64_t short_ns;       /* wall time charged for short slices (LEVY_VM_SLICE_WALL_NS) */
    int64_t limit_ns;       /* running-time cap, 0 = unlimited */
    int tripped; /* LEVY_BUDGET_INSTR / _TIME once exceeded: every further instruction raises */
} levy_budget;

typedef struct levy_vm_limits {
    size_t mem_max;        /* bytes for the whole state; 0 = LEVY_VM_DEFAULT_MEM */
    uint64_t instr_budget; /* per call; 0 = LEVY_VM_DEFAULT_INSTR */
    int time_ms;           /* per call running time; 0 = LEVY_VM_DEFAULT_TIME_MS */
} levy_vm_limits;

#define LEVY_VM_DEFAULT_MEM ((size_t)64 << 20)
#define LEVY_VM_DEFAULT_INSTR ((uint64_t)40000000)
#define LEVY_VM_DEFAULT_TIME_MS 80 /* x50 when LEVY_UNDER_VALGRIND is set */
#define LEVY_VM_HOOK_STEP 1000
/* The time budget counts the thread's CPU time; reading it is a system call (no vDSO), the
 * wall clock is not. A running slice reads the CPU clock at its start; one that ends within
 * this much wall time is charged its wall time (at least its CPU time, at most this much
 * more) without reading it again, a longer one its CPU time; the hook reads it only once the
 * slice's wall time could have reached the budget (levy_budget_slice_end, budget_hook). */
#define LEVY_VM_SLICE_WALL_NS 100000
/* A call is charged wall time for short slices up to this much in all (then every slice reads
 * the CPU clock at its end too): a call parked and resumed many times (a job's pages of
 * outbound HTTP) on a loaded machine, descheduled inside its short slices, is charged at most
 * this much more than its CPU time (2.5 % of the 80 ms request budget). */
#define LEVY_VM_SLICE_WALL_MAX_NS 2000000
/* Background work runs under this many times the VM's instruction and running-time budgets:
 * jobs, schedules and on_start (core/host/call.c), and building a generation (executing each
 * plugin's and rule script's top-level chunk, the self-tests; levy_vm_pcall_bg). The one
 * definition of the factor. */
#define LEVY_VM_BG_FACTOR 10
/* levy_budget.tripped: which limit a call exceeded */
#define LEVY_BUDGET_INSTR 1
#define LEVY_BUDGET_TIME 2
/* A state that grew this much above what it held after the last trim is collected and the
 * freed pages handed back to the OS when a call ends (levy_vm_trim). */
#define LEVY_VM_TRIM_BYTES ((size_t)16 << 20)
/* With LEVY_LUA_GC=generational, a serving generation's collector is generational with a minor
 * collection each time the heap grew this many per cent (levy_vm_serving_gc; issue 21,
 * bench/README.md "coroutines reused, the GC's steps"). The default incremental collector no
 * longer needs it: see LEVY_VM_GC_IDLE_AT below. */
#define LEVY_VM_GC_MINOR 2
/* The incremental collector of a serving generation (issue 21, bench/README.md "the idle
 * collector"): its cycles are run by the event loop when nothing else is ready
 * (levy_vm_gc_idle_step), one begun once the heap is LEVY_VM_GC_IDLE_AT % of what it held
 * after the last; the automatic collector, run by allocations inside calls, begins one only at
 * LEVY_VM_GC_PAUSE % (Lua's default 200) and takes smaller steps than Lua's (one per
 * 2^STEPSIZE = 8 KB allocated, as Lua's; each 2^STEPSIZE / 16 * STEPMUL = 10,240 units of work,
 * ~10,000 objects swept or slots marked, where Lua's 100 gives 51,200), so a loop that never
 * idles still collects in time. STEPMUL 1 / STEPSIZE 14 (1,024 units per 16 KB) was too slow
 * for a saturated loop: at c=50 the EU and mixed body sets' p99 rose from ~7 ms to 30-50 ms and
 * their rate fell 9-19 % (a heap that outgrew the collector, then long collections); Lua's
 * 100 / 13 brought back the open loop's 80 %-of-max tail (p99 34 ms vs the peer's 11). 20 / 13:
 * c=50 euvat 20.7k req/s p99 5.3 ms, mixed 18.6k p99 5.6 ms (bench/README.md "the idle
 * collector's automatic steps"). The idle collector begins
 * earlier than Lua's pause so that its cycles end before the automatic one would begin: under
 * the soak's mix, beginning at 200 % with the pause at 300 held a Lua heap of 2.5-6.4 MB and
 * RSS +8 % over the last 90 s, against 1.9-3.9 MB with Lua's collector alone. */
#define LEVY_VM_GC_IDLE_AT 150
#define LEVY_VM_GC_PAUSE 200
#define LEVY_VM_GC_STEPMUL 20
#define LEVY_VM_GC_STEPSIZE 13
/* One idle step (levy_vm_gc_idle_step): 2^14 / 16 * 1 = 1,024 units of work, ~0.5 M
 * instructions at most, what a request arriving during it waits for. */
#define LEVY_VM_GC_IDLE_STEPMUL 1
#define LEVY_VM_GC_IDLE_STEPSIZE 14
/* An allocation above glibc's small bins and tcache (1,032 bytes) and below its mmap threshold */
#define LEVY_VM_GC_MERGE_BYTES 4096
/* Threads of finished calls kept for reuse per VM (levy_vm_thread_give). */
#define LEVY_VM_THREAD_POOL 16

typedef struct levy_vm levy_vm;

/** The error text for a tripped budget (names the limit and its setting); NULL if not tripped. */
const char *levy_budget_message(const levy_budget *b);

/** Creates a VM (state with no libraries open yet). @return LEVY_OK or LEVY_ENOMEM. */
int levy_vm_new(levy_vm **out, const levy_vm_limits *lim, levy_err *err);
/** Closes the state and frees the VM. NULL is a no-op. */
void levy_vm_free(levy_vm *vm);
lua_State *levy_vm_state(levy_vm *vm);
/** After a call: when the state's high-water mark is LEVY_VM_TRIM_BYTES above what it held
 * after the last trim (a request that went near the memory cap: a huge table, deep
 * recursion), runs a full collection and malloc_trim(0) so RSS returns to its baseline.
 * Returns 1 when it trimmed. glibc keeps freed heap memory otherwise. */
int levy_vm_trim(levy_vm *vm);
/** A full collection and malloc_trim(0) now (levy_vm_trim does it past its threshold; the
 * host once before serving, after the build's self-tests and table loading). */
void levy_vm_collect(levy_vm *vm);
/** Once a generation is built (loaded, self-tested): the incremental collector's serving
 * parameters (LEVY_VM_GC_PAUSE / _STEPMUL / _STEPSIZE), a full collection, and the idle
 * collector on (levy_vm_call_ended, levy_vm_gc_idle_step); with the environment's
 * LEVY_LUA_GC=generational instead, the collector switched to generational mode (minor
 * collections at LEVY_VM_GC_MINOR %) for the calls it serves. Loading keeps Lua's defaults. */
void levy_vm_serving_gc(levy_vm *vm);
/** After each call of a serving generation (incremental collector): anchors a new live
 * object as the newest in the collector's list (bounds the unbudgeted part of the sweep), and
 * says whether the idle collector has work (levy_vm_gc_idle_wanted). 0 in generational mode
 * or while loading. Never raises. */
int levy_vm_call_ended(levy_vm *vm);
/** 1 when the idle collector has work: a cycle its steps began is running, or the heap is
 * LEVY_VM_GC_IDLE_AT % of what it held when the last ended. */
int levy_vm_gc_idle_wanted(const levy_vm *vm);
/** One small collector step when levy_vm_gc_idle_wanted (for the loop's idle moments);
 * returns 1 when more is wanted (call again when idle), 0 when the cycle ended or there is
 * nothing to do. Runs finalizers like any step: not inside a call's resume. */
int levy_vm_gc_idle_step(levy_vm *vm);
/** The VM that owns thread L (through the allocator's userdata). */
levy_vm *levy_vm_of(lua_State *L);
/** A thread a finished call gave back (levy_vm_thread_give), reset, anchored in the registry
 * under *ref, with no context and no hook: the caller sets both (levy_lua_set_ctx,
 * levy_vm_budget_start) and luaL_unrefs it or gives it back when done. NULL when the pool is
 * empty (then make one: lua_newthread). Reusing a thread saves its allocation, and the GC's
 * sweep its free: issue 21, one thread per request was ~5 % of the objects a GC cycle frees. */
lua_State *levy_vm_thread_take(levy_vm *vm, int *ref);
/** [-0, +0, -] Offers thread T (anchored under ref) of a call that has ended for reuse: kept
 * (1; the caller must not unref it) when the pool has room and T is fit, i.e. its status is
 * LUA_OK (it returned normally: not dead of an error, not suspended) and it is at its base
 * (no function active) or lua_resetthread closes it cleanly; else 0 and the caller unrefs it.
 * The caller decides first whether the call may be reused at all (not after a budget trip, an
 * out-of-memory or a failed start). Its stack is emptied (a thread at its base keeps the
 * stack's size: the GC's traversal shrinks a stack much larger than its use), its context and
 * hook cleared. Thread identity is therefore not per
 * call: `coroutine.running()` may return the same thread in a later call. */
int levy_vm_thread_give(levy_vm *vm, lua_State *T, int ref);
/** The state's small blocks come from its pool's arena 0 or 1 from now on (pool.h); returns
 * the arena before (0 for a state without a pool). */
int levy_vm_pool_arena(lua_State *L, int arena);
/** Threads in the pool now (tests). */
int levy_vm_thread_pooled(const levy_vm *vm);
/** Bytes currently allocated by the state. */
size_t levy_vm_mem_used(const levy_vm *vm);
/** Bytes of objects the state freed since it was made (tests: what one step freed). */
uint64_t levy_vm_mem_freed(const levy_vm *vm);
uint64_t levy_vm_instr_budget(const levy_vm *vm);
/** Testing hook: the n-th allocation from now fails (0 = off). */
void levy_vm_fail_after(levy_vm *vm, long n);
/** Testing hook: the VM's memory cap in bytes from now on (0 = the one it was made with). */
void levy_vm_set_mem_cap(levy_vm *vm, size_t cap);

/** Starts a fresh budget (limit from the VM) and arms the hook on thread L. */
void levy_vm_budget_start(levy_vm *vm, lua_State *L, levy_budget *b);
/** The same without starting a slice (a call's budget: its slices are marked around each
 * lua_resume). */
void levy_vm_budget_reset(levy_vm *vm, lua_State *L, levy_budget *b);
/** Marks the start / end of a running slice of a call (around lua_resume). */
void levy_budget_slice_begin(levy_budget *b);
void levy_budget_slice_end(levy_budget *b);
/** Tests: how many times this process read a thread's CPU clock for budgets (a system call,
 * no vDSO, on Linux). */
uint64_t levy_budget_cpu_reads(void);
/** Multiplies the call's limits (jobs get a larger budget than requests). */
void levy_budget_scale(levy_budget *b, int instr_factor, int time_factor);
/** [-0, +0, v] Charges `steps` units of work done in C (pattern matching) to the budget of
 * thread L, as if that many instructions had run; raises the budget error (and re-arms the
 * hook like budget_hook) when a limit is exceeded, or was already. */
LEVY_LJMP void levy_vm_charge(lua_State *L, uint64_t steps);
/** [-0, +0, -] The same accounting without raising, for callbacks that must not longjmp
 * (SQLite's progress handler): returns the tripped limit (LEVY_BUDGET_*), 0 while within. */
int levy_vm_account(lua_State *L, uint64_t steps);
/* How far the running call (or, without one, the thread's VM budget) is into its budget, in
 * per mille (0..1000): the larger of its instruction and running-time shares; 1000 once
 * tripped; 0 for a state levy_vm_new did not make or without limits. Lets a handler that
 * works through a long list stop early and hand back a cursor (docs/plugins.md levy.time). */
int levy_vm_budget_used_permille(lua_State *L);
/** Installs the budget hook on thread L (new coroutines). */
void levy_vm_arm(lua_State *L);

/** [-(nargs+1), +(nres|0), -] Calls the function below the nargs arguments on the VM's
 * main state under the VM budget (reset for this call) with a traceback message handler.
 * On failure nothing is left on the stack and err gets code "lua_error" (or "budget" /
 * "oom"), message = the error text, source/line = the first "file:line:" of the message;
 * the full traceback is logged. */
int levy_vm_pcall(levy_vm *vm, int nargs, int nres, levy_err *err);
/** levy_vm_pcall under the background budget (LEVY_VM_BG_FACTOR times the VM's limits):
 * loading plugins and rule scripts and running their self-tests, at start and at reload. */
int levy_vm_pcall_bg(levy_vm *vm, int nargs, int nres, levy_err *err);
/** Same on any thread L of the VM, keeping whatever budget L's context designates. */
int levy_vm_pcall_on(lua_State *L, int nargs, int nres, levy_err *err);

/** Fills err from a Lua error message "chunk:line: text" (source/line split out). */
void levy_vm_err_from_msg(levy_err *err, const char *code, const char *msg);

/** [-0, +0, -] Writes a traceback of co (a dead or suspended coroutine) with msg into out (cut at
 * cap-1 bytes). Built under lua_pcall on L: a coroutine that died of LUA_ERRMEM still holds
 * what filled the VM (an errored coroutine's stack is not unwound), so the text may not be
 * buildable; then out is msg alone and -1 is returned (an unprotected luaL_traceback was a
 * Lua panic: abort() of the whole server). 0 otherwise. */
int levy_vm_traceback(lua_State *L, lua_State *co, const char *msg, char *out, size_t cap);

#endif
