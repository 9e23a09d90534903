/* levy's own sd_notify sender (core/host/service.c, issue 21: no libsystemd): the datagram
 * reaches the socket $NOTIFY_SOCKET names, a path or an abstract "@name"; nothing is sent
 * without it; the watchdog's WATCHDOG_USEC / WATCHDOG_PID read as sd_watchdog_enabled(3) does;
 * and levy_service_ready sends READY=1 with its STATUS and the first WATCHDOG=1. The
 * real systemd's side is ctest reliab_systemd_real. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "host/service.h"
#include "host/starting.h"
#include "store/store.h"

/* a datagram socket bound at name ('@' first: abstract); -1 on failure */
static int listener(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    if (fd >= 0 &&
        bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* the next datagram, or "" after 10 s */
static void next_msg(int fd, char *out, size_t cap)
{
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
}

static void t_notify(void)
{
    char dir[] = "/tmp/levy-test-notify-XXXXXX", path[80], abs[64], msg[256];
    int fd = -1, afd = -1;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/notify", dir);
    unsetenv("NOTIFY_SOCKET");
    CHECK_EQ_INT(levy_service_notify("READY=1"), 0); /* not under systemd: nothing sent */
    CHECK((fd = listener(path)) >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    CHECK_EQ_INT(levy_service_notify("READY=1\nSTATUS=serving"), 1);
    next_msg(fd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "READY=1\nSTATUS=serving");
    snprintf(abs, sizeof abs, "@levy-test-notify-%ld", (long)getpid());
    CHECK((afd = listener(abs)) >= 0);
    setenv("NOTIFY_SOCKET", abs, 1);
    CHECK_EQ_INT(levy_service_notify("WATCHDOG=1"), 1);
    next_msg(afd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "WATCHDOG=1");
    setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    CHECK(levy_service_notify("READY=1") < 0);
    setenv("NOTIFY_SOCKET", "/nonexistent/levy/notify", 1);
    CHECK(levy_service_notify("READY=1") < 0);
end:
    unsetenv("NOTIFY_SOCKET");
    if (fd >= 0)
        close(fd);
    if (afd >= 0)
        close(afd);
    unlink(path);
    rmdir(dir);
}

static void t_watchdog_env(void)
{
    uint64_t us = 1;
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    CHECK_EQ_INT(levy_service_watchdog_usec(&us), 0);
    CHECK_EQ_INT(us, 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK_EQ_INT(levy_service_watchdog_usec(&us), 1);
    CHECK_EQ_INT(us, 30000000);
    setenv("WATCHDOG_PID", pid, 1);
    CHECK_EQ_INT(levy_service_watchdog_usec(&us), 1);
    CHECK_EQ_INT(us, 30000000);
    setenv("WATCHDOG_PID", "1", 1); /* meant for another process */
    CHECK_EQ_INT(levy_service_watchdog_usec(&us), 0);
    unsetenv("WATCHDOG_PID");
    const char *bad[] = {"0", "-5", "30s", "", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("WATCHDOG_USEC", bad[i], 1);
        CHECK_EQ_INT(levy_service_watchdog_usec(&us), 0);
        CHECK_EQ_INT(us, 0);
    }
end:
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
}

/* READY=1 with the status, then the watchdog's first WATCHDOG=1 at once and the next from the
 * loop's timer (half of WATCHDOG_USEC). */
static void t_ready_and_watchdog(void)
{
    char dir[] = "/tmp/levy-test-notify-XXXXXX", path[80], msg[256];
    struct event_base *base = event_base_new();
    int fd = -1;
    CHECK(base && mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/notify", dir);
    CHECK((fd = listener(path)) >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "200000", 1);
    levy_service_ready(base, "serving, generation 1");
    next_msg(fd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "READY=1\nSTATUS=serving, generation 1");
    next_msg(fd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "WATCHDOG=1");
    event_base_loop(base, EVLOOP_ONCE); /* the timer, 100 ms on */
    next_msg(fd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "WATCHDOG=1");
    levy_service_stopping(3);
    next_msg(fd, msg, sizeof msg);
    CHECK_EQ_STR(msg, "STOPPING=1\nSTATUS=stopping: draining 3 in-flight calls");
end:
    levy_service_close();
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    if (fd >= 0)
        close(fd);
    unlink(path);
    rmdir(dir);
    if (base)
        event_base_free(base);
}

/* The start's state (host/starting.c) as the store's migrations drive it: "starting" before,
 * "migrating" naming the plugin, step and progress while one runs, "failed" with the error
 * and the migration that failed; the messages of the other requests' 503 and Retry-After. */
static void t_start_state(void)
{
    levy_store *st = NULL;
    levy_err e = {0};
    levy_buf j = {0};
    levy_start_view v;
    char msg[300];
    unsetenv("NOTIFY_SOCKET");
    levy_start_begin();
    levy_start_view_get(&v);
    levy_start_health_json(&v, &j);
    CHECK_EQ_STR(j.data, "{\"status\":\"starting\",\"version\":\"" LEVY_VERSION "\"}");
    CHECK_EQ_INT(levy_start_retry_after(&v), 1);
    levy_start_message(&v, msg, sizeof msg);
    CHECK_EQ_STR(msg, "levy is starting (opening the store, loading plugins and rules); retry "
                      "shortly");
    CHECK_EQ_INT(levy_store_open(&st, ":memory:", 0, &e), LEVY_OK);
    levy_start_view_get(&v); /* the core migrations ran: each done, so starting again */
    CHECK_EQ_INT(v.phase, LEVY_START_STARTING);
    CHECK_EQ_INT(v.has_migration, 0);
    /* the second of two migrations fails: the state names it, 1 of 2 done */
    levy_migration_file files[2] = {
        {"0001_one.sql", "CREATE TABLE demo_one(x);", 25},
        {"0002_two.sql", "INSERT INTO demo_missing VALUES (1);", 36},
    };
    CHECK(levy_store_migrate_files(st, "demo", files, 2, &e) != LEVY_OK);
    CHECK_EQ_STR(e.code, "migration_failed");
    levy_start_view_get(&v);
    CHECK_EQ_INT(v.phase, LEVY_START_MIGRATING);
    levy_buf_free(&j);
    memset(&j, 0, sizeof j);
    levy_start_health_json(&v, &j);
    CHECK_EQ_STR(j.data, "{\"status\":\"migrating\",\"version\":\"" LEVY_VERSION
                         "\",\"migration\":{\"plugin\":\"demo\",\"step\":\"0002_two.sql\","
                         "\"done\":1,\"total\":2}}");
    CHECK_EQ_INT(levy_start_retry_after(&v), 5);
    levy_start_message(&v, msg, sizeof msg);
    CHECK_EQ_STR(msg, "levy is applying store migrations (2 of 2); retry shortly");
    levy_start_fail("migration_failed");
    levy_start_view_get(&v);
    levy_buf_free(&j);
    memset(&j, 0, sizeof j);
    levy_start_health_json(&v, &j);
    CHECK_EQ_STR(j.data, "{\"status\":\"failed\",\"version\":\"" LEVY_VERSION
                         "\",\"error\":\"migration_failed\",\"migration\":{\"plugin\":\"demo\","
                         "\"step\":\"0002_two.sql\",\"done\":1,\"total\":2}}");
    levy_start_message(&v, msg, sizeof msg);
    CHECK_EQ_STR(msg, "levy could not start (migration_failed: demo migration) and is stopping; "
                      "see its log");
    /* a later migration (a reload's) does not turn a failed start back */
    levy_migration_file ok[1] = {{"0001_one.sql", "CREATE TABLE demo_b(x);", 23}};
    CHECK_EQ_INT(levy_store_migrate_files(st, "demo_b", ok, 1, &e), LEVY_OK);
    levy_start_view_get(&v);
    CHECK_EQ_INT(v.phase, LEVY_START_FAILED);
end:
    levy_store_set_migration_observer(NULL, NULL);
    levy_buf_free(&j);
    if (st)
        levy_store_close(st);
}

static const levy_test tests[] = {
    {"notify", t_notify},
    {"watchdog_env", t_watchdog_env},
    {"ready_and_watchdog", t_ready_and_watchdog},
    {"start_state", t_start_state},
    {NULL, NULL},
};
LEVY_TEST_MAIN(tests)
