/* Size-class pages for a Lua state's small objects: see pool.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <valgrind/memcheck.h>

#include "pool.h"

/* ASan as GCC says it (__SANITIZE_ADDRESS__) and as clang says it (the fuzz targets) */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif

#if defined(POOL_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#define POOL_POISON(a, n) ASAN_POISON_MEMORY_REGION((a), (n))
#define POOL_UNPOISON(a, n) ASAN_UNPOISON_MEMORY_REGION((a), (n))
/* LeakSanitizer looks for pointers in the heap, stacks and globals, not in an mmap'd region:
 * without this, a malloc'd block reachable only from a Lua object in the pool (a large string,
 * a table's array) reads as a leak. */
#define POOL_ROOT(a, n) __lsan_register_root_region((a), (n))
#define POOL_UNROOT(a, n) __lsan_unregister_root_region((a), (n))
#else
#define POOL_POISON(a, n) ((void)(a), (void)(n))
#define POOL_UNPOISON(a, n) ((void)(a), (void)(n))
#define POOL_ROOT(a, n) ((void)(a), (void)(n))
#define POOL_UNROOT(a, n) ((void)(a), (void)(n))
#endif

/* Memcheck and ASan see each block as a heap block of its own: an access to a freed block or
 * past a block's end is reported as with malloc. The free list's link (a block's first 8
 * bytes) is opened only while it is read or written. */
#define BLOCK_ALLOC(b, sz)                                                                         \
    do {                                                                                           \
        POOL_UNPOISON((b), (sz));                                                                  \
        VALGRIND_MALLOCLIKE_BLOCK((b), (sz), 0, 0);                                                \
    } while (0)
#define BLOCK_FREE(b, sz)                                                                          \
    do {                                                                                           \
        VALGRIND_FREELIKE_BLOCK((b), 0);                                                           \
        POOL_POISON((b), (sz));                                                                    \
    } while (0)
#define LINK_OPEN(b)                                                                               \
    do {                                                                                           \
        POOL_UNPOISON((b), sizeof(void *));                                                        \
        VALGRIND_MAKE_MEM_DEFINED((b), sizeof(void *));                                            \
    } while (0)
#define LINK_CLOSE(b)                                                                              \
    do {                                                                                           \
        VALGRIND_MAKE_MEM_NOACCESS((b), sizeof(void *));                                           \
        POOL_POISON((b), sizeof(void *));                                                          \
    } while (0)

#define NCLS (LEVY_POOL_MAX / 8) /* class k: blocks of (k + 1) * 8 bytes */

enum { PAGE_PARTIAL = 1, PAGE_FULL, PAGE_DIRTY, PAGE_CLEAN };

typedef struct {
    void *free;      /* the page's freed blocks, linked through their first 8 bytes */
    uint16_t used;   /* blocks held */
    uint16_t carved; /* blocks handed out from the page's untouched tail so far */
    uint8_t cls, state, arena;
    uint32_t next, prev; /* page number + 1 (0: none): its class's partial list, or an empty list */
} page_meta;

struct levy_pool {
    char *base;
    size_t npages, top; /* pages reserved; pages ever handed out (the rest never touched) */
    page_meta *meta;
    size_t meta_bytes;
    uint32_t partial[2][NCLS]; /* pages of each arena and class with a free block (page + 1) */
    int arena;                 /* the arena new blocks come from (levy_pool_set_arena) */
    uint32_t dirty, clean;     /* empty pages: still resident / handed back to the kernel */
    size_t used_pages, empty_pages;
    uint16_t nblk[NCLS];
};

levy_pool *levy_pool_new(size_t bytes)
{
    size_t npages = (bytes + LEVY_POOL_PAGE - 1) / LEVY_POOL_PAGE;
    if (npages == 0 || npages >= UINT32_MAX)
        return NULL;
    levy_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->npages = npages;
    p->meta_bytes = npages * sizeof(page_meta);
    /* address space only: the kernel gives a page when it is first written */
    void *base = mmap(NULL, npages * LEVY_POOL_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *meta = mmap(NULL, p->meta_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED || meta == MAP_FAILED) {
        if (base != MAP_FAILED)
            munmap(base, npages * LEVY_POOL_PAGE);
        if (meta != MAP_FAILED)
            munmap(meta, p->meta_bytes);
        free(p);
        return NULL;
    }
    p->base = base;
    p->meta = meta;
    for (unsigned k = 0; k < NCLS; k++)
        p->nblk[k] = (uint16_t)(LEVY_POOL_PAGE / ((k + 1) * 8));
    VALGRIND_MAKE_MEM_NOACCESS(p->base, npages * LEVY_POOL_PAGE);
    POOL_POISON(p->base, npages * LEVY_POOL_PAGE);
    POOL_ROOT(p->base, npages * LEVY_POOL_PAGE);
    return p;
}

void levy_pool_free(levy_pool *p)
{
    if (!p)
        return;
    POOL_UNROOT(p->base, p->npages * LEVY_POOL_PAGE);
    POOL_UNPOISON(p->base, p->npages * LEVY_POOL_PAGE);
    munmap(p->base, p->npages * LEVY_POOL_PAGE);
    munmap(p->meta, p->meta_bytes);
    free(p);
}

int levy_pool_owns(const levy_pool *p, const void *ptr)
{
    return (uintptr_t)ptr - (uintptr_t)p->base < p->npages * LEVY_POOL_PAGE;
}

static void partial_push(levy_pool *p, uint32_t n, page_meta *m)
{
    m->prev = 0;
    m->next = p->partial[m->arena][m->cls];
    if (m->next)
        p->meta[m->next - 1].prev = n;
    p->partial[m->arena][m->cls] = n;
    m->state = PAGE_PARTIAL;
}

static void partial_unlink(levy_pool *p, page_meta *m)
{
    if (m->prev)
        p->meta[m->prev - 1].next = m->next;
    else
        p->partial[m->arena][m->cls] = m->next;
    if (m->next)
        p->meta[m->next - 1].prev = m->prev;
    m->next = m->prev = 0;
}

/* An empty page for class k (page number + 1), 0 if the region is full. */
static uint32_t take_page(levy_pool *p, unsigned k)
{
    uint32_t n;
    if (p->dirty) {
        n = p->dirty;
        p->dirty = p->meta[n - 1].next;
        p->empty_pages--;
    } else if (p->clean) {
        n = p->clean;
        p->clean = p->meta[n - 1].next;
        p->empty_pages--;
    } else if (p->top < p->npages) {
        n = (uint32_t)++p->top;
    } else {
        return 0;
    }
    page_meta *m = &p->meta[n - 1];
    m->free = NULL;
    m->used = m->carved = 0;
    m->cls = (uint8_t)k;
    m->arena = (uint8_t)p->arena;
    partial_push(p, n, m);
    p->used_pages++;
    return n;
}

static void *pool_alloc(levy_pool *p, unsigned k)
{
    uint32_t n = p->partial[p->arena][k];
    if (!n && !(n = take_page(p, k)))
        return NULL;
    page_meta *m = &p->meta[n - 1];
    size_t sz = (size_t)(k + 1) * 8;
    char *b;
    if (m->free) {
        b = m->free;
        LINK_OPEN(b);
        m->free = *(void **)b;
        LINK_CLOSE(b);
    } else {
        b = p->base + (size_t)(n - 1) * LEVY_POOL_PAGE + (size_t)m->carved * sz;
        m->carved++;
    }
    if (++m->used == p->nblk[k]) {
        partial_unlink(p, m);
        m->state = PAGE_FULL;
    }
    BLOCK_ALLOC(b, sz);
    return b;
}

void levy_pool_release_block(levy_pool *p, void *ptr)
{
    size_t i = (size_t)((char *)ptr - p->base) / LEVY_POOL_PAGE;
    page_meta *m = &p->meta[i];
    BLOCK_FREE(ptr, (size_t)(m->cls + 1) * 8);
    LINK_OPEN(ptr);
    *(void **)ptr = m->free;
    LINK_CLOSE(ptr);
    m->free = ptr;
    if (m->state == PAGE_FULL)
        partial_push(p, (uint32_t)i + 1, m);
    if (--m->used == 0) {
        partial_unlink(p, m);
        m->state = PAGE_DIRTY;
        m->next = p->dirty;
        p->dirty = (uint32_t)i + 1;
        p->used_pages--;
        p->empty_pages++;
    }
}

void levy_pool_drop_block(levy_pool *p, void *ptr)
{
    (void)p;
    VALGRIND_FREELIKE_BLOCK(ptr, 0); /* memcheck's view only: the region goes as a whole */
}

void *levy_pool_realloc(levy_pool *p, void *ptr, size_t osize, size_t nsize)
{
    int in = ptr && levy_pool_owns(p, ptr);
    size_t keep = ptr ? (osize < nsize ? osize : nsize) : 0;
    if (nsize <= LEVY_POOL_MAX) {
        unsigned k = (unsigned)((nsize - 1) >> 3);
        if (in && p->meta[((char *)ptr - p->base) / LEVY_POOL_PAGE].cls == k)
            return ptr;
        void *b = pool_alloc(p, k);
        if (b) {
            if (ptr) {
                memcpy(b, ptr, keep);
                if (in)
                    levy_pool_release_block(p, ptr);
                else
                    free(ptr);
            }
            return b;
        }
        if (in && nsize < osize)
            return ptr; /* the region is full: a shrunk block may stay where it is */
    }
    if (in) {
        void *b = malloc(nsize);
        if (!b)
            return NULL;
        memcpy(b, ptr, keep);
        levy_pool_release_block(p, ptr);
        return b;
    }
    return realloc(ptr, nsize);
}

size_t levy_pool_release(levy_pool *p)
{
    size_t n = 0;
    while (p->dirty) {
        uint32_t pg = p->dirty;
        page_meta *m = &p->meta[pg - 1];
        p->dirty = m->next;
        madvise(p->base + (size_t)(pg - 1) * LEVY_POOL_PAGE, LEVY_POOL_PAGE, MADV_DONTNEED);
        m->state = PAGE_CLEAN;
        m->next = p->clean;
        p->clean = pg;
        n++;
    }
    return n;
}

int levy_pool_set_arena(levy_pool *p, int arena)
{
    int was = p->arena;
    p->arena = arena ? 1 : 0;
    return was;
}

size_t levy_pool_pages_used(const levy_pool *p) { return p->used_pages; }
size_t levy_pool_pages_empty(const levy_pool *p) { return p->empty_pages; }
