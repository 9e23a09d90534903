/* Size-class pages for a Lua state's small objects (issue 21, idle RSS).
 *
 * glibc gives every block a 8-byte header and rounds it to 16 bytes (32 at least), and the
 * garbage of a generation's build (the rules' self-tests, compiling) lies in the same heap as
 * what lives on, so the pages it leaves half used stay resident after the trim. A Lua state
 * made by levy_vm_new takes its blocks of up to LEVY_POOL_MAX bytes from 4 kB pages of one
 * size class each (sizes in steps of 8, no header), in a region of its own reserved at start
 * (address space only; pages become resident when used). A page whose last block is freed is
 * handed back to the kernel at the next levy_pool_release (after a full collection, at the end
 * of an idle collector cycle), and reused before then. Larger blocks, and small ones once the
 * region is full, come from malloc. One thread at a time, as the state it serves.
 *
 * Two arenas (levy_pool_set_arena): pages of arena 1 hold no block of arena 0 and the other
 * way round. A generation's build copies each rule's self-test cases in arena 1 (sandbox.lua
 * plain_rule): they live until the self-tests ran and are dropped then, and from arena 0 they
 * filled the pages between the rule objects that live on, leaving holes that kept about 140
 * pages resident (issue 21, h-mem23). An emptied page serves either arena next. */
#ifndef LEVY_LUA_POOL_H
#define LEVY_LUA_POOL_H

#include <stddef.h>
#include <stdint.h>

#define LEVY_POOL_MAX 512
#define LEVY_POOL_PAGE 4096

typedef struct levy_pool levy_pool;

/* A pool with room for `bytes` of pages (rounded up to whole pages); NULL if the address space
 * cannot be reserved (the caller then uses malloc alone). */
levy_pool *levy_pool_new(size_t bytes);
/* Unmaps every page: the state's blocks are gone with it (after lua_close). */
void levy_pool_free(levy_pool *p);
/* lua_Alloc semantics for ptr / osize / nsize (nsize > 0): a block of nsize bytes, the old one's
 * bytes copied and the old one freed; NULL (and the old block kept) when there is no memory. */
void *levy_pool_realloc(levy_pool *p, void *ptr, size_t osize, size_t nsize);
/* Frees a block levy_pool_owns. */
void levy_pool_release_block(levy_pool *p, void *ptr);
/* A block freed while the pool is about to be unmapped (lua_close before levy_pool_free): not
 * put back on a free list, only no longer a block for memcheck. */
void levy_pool_drop_block(levy_pool *p, void *ptr);
/* Whether ptr lies in the pool's region (else it came from malloc). */
int levy_pool_owns(const levy_pool *p, const void *ptr);
/* Hands the pages that hold no block back to the kernel (MADV_DONTNEED); returns how many. */
size_t levy_pool_release(levy_pool *p);
/* Blocks come from arena 0 or 1 from now on (pages of one arena hold no block of the other);
 * returns the arena before. */
int levy_pool_set_arena(levy_pool *p, int arena);
/* Pages in use (holding a block) and pages touched but empty, for tests and /metrics. */
size_t levy_pool_pages_used(const levy_pool *p);
size_t levy_pool_pages_empty(const levy_pool *p);

#endif
