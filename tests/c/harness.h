#ifndef LEVY_TEST_HARNESS_H
#define LEVY_TEST_HARNESS_H
/* Tiny table-driven test runner in the spirit of libevent's tinytest.
 *
 *   static void t_parse(void) { CHECK_EQ_INT(1, 1); end:; }
 *   static const levy_test tests[] = { {"parse", t_parse}, {NULL, NULL} };
 *   LEVY_TEST_MAIN(tests)
 *
 * A failed CHECK prints file:line and jumps to the test's `end:` label, where the test
 * frees what it owns. main() runs every test (or those named in argv) and prints the
 * closing line "N passed, N failed", exiting non-zero on any failure.
 *
 * LEVY_TEST_SHARD=i/n (0 <= i < n) runs only shard i of n: the tests whose index among the
 * ones not named "setup" or "teardown" is i modulo n, and "setup" and "teardown" in every
 * shard. The n shards together run every test once. tests/CMakeLists.txt splits the longest
 * valgrind_ units this way so that the two cores share them (suite27); the closing line
 * names the shard and how many tests it left to the others. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct levy_test {
    const char *name;
    void (*fn)(void);
} levy_test;

static int levy_test_failed_;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);             \
            levy_test_failed_ = 1;                                                                 \
            goto end;                                                                              \
        }                                                                                          \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a,    \
                    #b, a_, b_);                                                                   \
            levy_test_failed_ = 1;                                                                 \
            goto end;                                                                              \
        }                                                                                          \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,    \
                    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                               \
            levy_test_failed_ = 1;                                                                 \
            goto end;                                                                              \
        }                                                                                          \
    } while (0)

static inline int levy_test_run(const levy_test *tests, int argc, char **argv)
{
    int passed = 0, failed = 0, shard = 0, nshards = 1, index = 0, others = 0, own = 0;
    const char *sh = getenv("LEVY_TEST_SHARD");
    if (sh && *sh) {
        char *end = NULL;
        shard = (int)strtol(sh, &end, 10);
        nshards = end && *end == '/' ? (int)strtol(end + 1, NULL, 10) : 0;
        if (nshards < 1 || shard < 0 || shard >= nshards) {
            fprintf(stderr, "LEVY_TEST_SHARD=%s: want i/n with 0 <= i < n\n", sh);
            return 2;
        }
    }
    for (const levy_test *t = tests; t->name; t++) {
        if (strcmp(t->name, "setup") != 0 && strcmp(t->name, "teardown") != 0 &&
            index++ % nshards != shard) {
            others++;
            continue;
        }
        if (argc > 1) {
            int want = 0;
            for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], t->name) == 0)
                    want = 1;
            if (!want)
                continue;
        }
        if (strcmp(t->name, "setup") != 0 && strcmp(t->name, "teardown") != 0)
            own++;
        levy_test_failed_ = 0;
        t->fn();
        if (levy_test_failed_) {
            failed++;
            fprintf(stderr, "FAIL %s\n", t->name);
        } else {
            passed++;
            fprintf(stderr, "ok   %s\n", t->name);
        }
    }
    if (nshards > 1) {
        printf("shard %d/%d (%d tests in the other shards): ", shard, nshards, others);
        if (own == 0 && argc <= 1) { /* more shards than tests: a shard that checks nothing */
            printf("no test in this shard\n");
            return 1;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define LEVY_TEST_MAIN(tests)                                                                      \
    int main(int argc, char **argv) { return levy_test_run(tests, argc, argv); }

#endif
