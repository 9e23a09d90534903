/* Generations across replicas (core/host/genreg.c, issue 22) on one SQLite store: the content
 * hash, the store-issued order seq (kept at start for known content, the newest at a reload,
 * a rollback by reload newer again) and the heartbeat rows. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "host/genreg.h"
#include "store/store.h"

static char dir[64];

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static levy_store *open_store(void)
{
    snprintf(dir, sizeof dir, "/tmp/levy-genreg-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    char path[128];
    snprintf(path, sizeof path, "%s/levy.db", dir);
    levy_store *st = NULL;
    levy_err e;
    if (levy_store_open(&st, path, 0, &e) != LEVY_OK) {
        fprintf(stderr, "open: %s\n", e.message);
        abort();
    }
    return st;
}

/* A generation as the host has it after a build: only what genreg reads. */
static void gen_of(levy_gen *g, uint64_t id, char tree_char)
{
    memset(g, 0, sizeof *g);
    g->id = id;
    memset(g->tree_hash, tree_char, 64);
    g->tree_hash[64] = 0;
    g->loaded_at_ms = 1000 * (int64_t)id;
}

/* seq of a generation of content tree_char loaded at start (reload 0) or by a reload */
static int64_t load(levy_store *st, char tree_char, int reload, const char *replica)
{
    levy_gen g;
    gen_of(&g, 1, tree_char);
    levy_err e;
    levy_err_clear(&e);
    if (levy_genreg_register(st, &g, NULL, reload, replica, &e) != LEVY_OK) {
        fprintf(stderr, "register: %s\n", e.message);
        return -1;
    }
    return g.seq;
}

static void t_hash(void)
{
    levy_gen a, b, c;
    gen_of(&a, 1, 'a');
    gen_of(&b, 7, 'a');
    gen_of(&c, 1, 'c');
    levy_genreg_hash(&a, NULL);
    levy_genreg_hash(&b, NULL);
    levy_genreg_hash(&c, NULL);
    CHECK_EQ_INT(strlen(a.content_hash), 64);
    /* the same files on another replica (another generation number): the same identity */
    CHECK_EQ_STR(a.content_hash, b.content_hash);
    CHECK(strcmp(a.content_hash, c.content_hash) != 0);
    CHECK(strcmp(a.content_hash, a.tree_hash) != 0);
end:;
}

static void t_order(void)
{
    levy_store *st = open_store();
    levy_err e;
    levy_gen live;
    int64_t now = 0;
    /* two replicas start on content A: one seq */
    CHECK_EQ_INT(load(st, 'a', 0, "r1"), 1);
    CHECK_EQ_INT(load(st, 'a', 0, "r2"), 1);
    /* r1 reloads onto B: newer; r1 is live serving it */
    gen_of(&live, 2, 'b');
    CHECK_EQ_INT(levy_genreg_register(st, &live, NULL, 1, "r1", &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 2);
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &live, now, now, &e), LEVY_OK);
    /* r2 restarted on the old files mid-rollout, r1 live on B: A keeps its seq, not newer */
    CHECK_EQ_INT(load(st, 'a', 0, "r2"), 1);
    /* r2 reloads onto B, the newest already: the same seq */
    CHECK_EQ_INT(load(st, 'b', 1, "r2"), 2);
    /* a rollback by reload (r1 back onto A) is the newest now; r2 following gets the same */
    CHECK_EQ_INT(load(st, 'a', 1, "r1"), 3);
    CHECK_EQ_INT(load(st, 'a', 1, "r2"), 3);
    /* r1 (still heartbeating B's old seq 2) re-reads B's seq: unchanged; A's row moved */
    CHECK_EQ_INT(levy_genreg_refresh(st, &live, &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 2);
    /* new content at a start: newest */
    CHECK_EQ_INT(load(st, 'z', 0, "r3"), 4);
    /* a downgrade by restart with no live replica on newer content (one process, SQLite):
     * the operator's choice is the newest */
    CHECK_EQ_INT(levy_genreg_forget(st, "r1", "n-r1", &e), LEVY_OK);
    CHECK_EQ_INT(load(st, 'b', 0, "r1"), 5);
    /* a replica serving B since before re-reads B's seq on its heartbeat */
    CHECK_EQ_INT(levy_genreg_refresh(st, &live, &e), LEVY_OK);
    CHECK_EQ_INT(live.seq, 5);
end:
    levy_store_close(st);
    rm_tmp();
}

static void t_heartbeat(void)
{
    levy_store *st = open_store();
    levy_genreg_replica *reps = NULL;
    int n = 0;
    levy_err e;
    levy_gen g1, g2;
    gen_of(&g1, 1, 'a');
    gen_of(&g2, 3, 'b');
    int64_t now = 1800000000000;
    CHECK_EQ_INT(levy_genreg_register(st, &g1, NULL, 0, "r1", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_register(st, &g2, NULL, 1, "r2", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &g1, now - 5000, now, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r2", "n-r2", &g2, now - 5000, now - 1000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_beat(st, "r0", "n-r0", &g1, now - 90000, now - 60000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_live(st, now, &reps, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 2); /* r0 last seen a minute ago: not live */
    CHECK_EQ_STR(reps[0].id, "r1");
    CHECK_EQ_STR(reps[0].hash, g1.content_hash);
    CHECK_EQ_INT(reps[0].seq, 1);
    CHECK_EQ_STR(reps[1].id, "r2");
    CHECK_EQ_INT(reps[1].generation, 3);
    CHECK_EQ_INT(reps[1].seq, 2);
    CHECK_EQ_INT(reps[1].last_seen_ms, now - 1000);
    free(reps);
    reps = NULL;
    /* a beat updates the row in place; a graceful stop removes it */
    CHECK_EQ_INT(levy_genreg_beat(st, "r1", "n-r1", &g2, now - 5000, now + 1000, &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_forget(st, "r2", "n-r2", &e), LEVY_OK);
    CHECK_EQ_INT(levy_genreg_live(st, now + 1000, &reps, &n, &e), LEVY_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(reps[0].hash, g2.content_hash);
end:
    free(reps);
    levy_store_close(st);
    rm_tmp();
}

static const levy_test tests[] = {
    {"hash", t_hash}, {"order", t_order}, {"heartbeat", t_heartbeat}, {NULL, NULL}};
LEVY_TEST_MAIN(tests)
