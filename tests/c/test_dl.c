/* Libraries loaded on first use (issue 21: idle memory; core/base/dl.c, core/http/curl_dl.c,
 * core/store/pq_dl.c). levy does not link libcurl or libpq: a process that has opened a SQLite
 * store and made its HTTP client maps neither; the first outbound request loads libcurl, the
 * first PostgreSQL URL libpq; a library that cannot be loaded is named with its package.
 * The tests run in this order in one process (the loads are once per process). */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "dl.h"
#include "harness.h"
#include "http/client.h"
#include "http/curl_dl.h"
#include "store/pq_dl.h"
#include "store/store.h"

/* 1 when a file whose name contains `name` is mapped into this process */
static int mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, name))
            found = 1;
    if (f)
        fclose(f);
    return found;
}

static void t_missing(void)
{
    levy_err e = {0};
    CHECK(levy_dl_open("liblevy-no-such-lib.so.7", "a test", "levy-no-such-package", &e) == NULL);
    CHECK_EQ_INT(e.rc, LEVY_EIO);
    CHECK_EQ_STR(e.code, "library_missing");
    CHECK(strstr(e.message, "cannot load liblevy-no-such-lib.so.7 ("));
    CHECK(strstr(e.message, "which a test needs: install the levy-no-such-package package"));
    /* a symbol the library lacks (an older version than levy was built against) */
    void *self = levy_dl_open("libc.so.6", "a test", "libc6", &e);
    CHECK(self != NULL);
    CHECK(levy_dl_sym(self, "libc.so.6", "levy_no_such_function", &e) == NULL);
    CHECK(strstr(e.message, "libc.so.6 has no levy_no_such_function"));
    CHECK(levy_dl_sym(self, "libc.so.6", "strlen", &e) != NULL);
end:;
}

/* A SQLite store and the HTTP client, made as `levy serve` makes them, load neither library. */
static void t_idle_maps_neither(void)
{
    char dir[] = "/tmp/levy-test-dl-XXXXXX", path[64];
    levy_store *st = NULL;
    levy_http_client *c = NULL;
    struct event_base *base = event_base_new();
    levy_err e = {0};
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/levy.db", dir);
    CHECK_EQ_INT(levy_store_open(&st, path, 0, &e), LEVY_OK);
    CHECK_EQ_INT(levy_http_client_new(&c, base, &e), LEVY_OK);
    CHECK_EQ_INT(levy_curl_loaded(), 0);
    CHECK_EQ_INT(levy_pq_loaded(), 0);
    CHECK(!mapped("/libcurl"));
    CHECK(!mapped("/libpq"));
    CHECK(!mapped("/libldap")); /* one of the libraries both pull in */
end:
    levy_http_client_free(c);
    levy_store_close(st);
    event_base_free(base);
    unlink(path);
    rmdir(dir);
}

/* A server on the loop that answers "got N bytes" with a header. */
static void on_server(struct evhttp_request *r, void *arg)
{
    (void)arg;
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_printf(out, "got %zu bytes",
                        evbuffer_get_length(evhttp_request_get_input_buffer(r)));
    evhttp_add_header(evhttp_request_get_output_headers(r), "X-Levy-Test", "yes");
    evhttp_send_reply(r, 201, "Created", out);
    evbuffer_free(out);
}

typedef struct got {
    int done, ok;
    long status;
    char body[64], header[16];
} got;

static void on_done(void *ud, const levy_http_result *res)
{
    got *g = ud;
    g->done = 1;
    g->ok = res->ok;
    g->status = res->status;
    if (res->body)
        snprintf(g->body, sizeof g->body, "%s", res->body);
    for (int i = 0; i < res->nheaders; i++)
        if (strcmp(res->headers[i].name, "x-levy-test") == 0)
            snprintf(g->header, sizeof g->header, "%s", res->headers[i].value);
}

/* The first request loads libcurl, and every kind of option reaches it through the wrappers:
 * longs (timeouts), pointers (URL, headers), functions (the write and header callbacks) and
 * curl_off_t (the body's size). */
static void t_first_request_loads_curl(void)
{
    struct event_base *base = event_base_new();
    struct evhttp *srv = evhttp_new(base);
    levy_http_client *c = NULL;
    levy_err e = {0};
    got g = {0};
    CHECK(base && srv);
    evhttp_set_gencb(srv, on_server, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
    CHECK(bs != NULL);
    struct sockaddr_storage ss;
    ev_socklen_t sl = sizeof ss;
    CHECK_EQ_INT(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x",
             ntohs(((struct sockaddr_in *)&ss)->sin_port));
    CHECK_EQ_INT(levy_http_client_new(&c, base, &e), LEVY_OK);
    CHECK_EQ_INT(levy_curl_loaded(), 0);
    const char *hdrs[] = {"Content-Type: text/plain", NULL};
    levy_http_request req = {.method = "POST",
                             .url = url,
                             .headers = hdrs,
                             .body = "twelve bytes",
                             .body_len = 12,
                             .timeout_ms = 60000};
    CHECK_EQ_INT(levy_http_client_request(c, &req, on_done, &g, &e), LEVY_OK);
    CHECK_EQ_INT(levy_curl_loaded(), 1);
    CHECK(mapped("/libcurl"));
    for (int i = 0; i < 100000 && !g.done; i++)
        event_base_loop(base, EVLOOP_ONCE);
    CHECK(g.done);
    CHECK(g.ok);
    CHECK_EQ_INT(g.status, 201);
    CHECK_EQ_STR(g.body, "got 12 bytes");
    CHECK_EQ_STR(g.header, "yes");
    CHECK_EQ_INT(levy_pq_loaded(), 0); /* libcurl brings its own dependencies, not libpq */
end:
    levy_http_client_free(c);
    if (srv)
        evhttp_free(srv);
    if (base)
        event_base_free(base);
}

static size_t count_bytes(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    *(size_t *)ud += size * n;
    return size * n;
}

/* The easy API through the wrappers on a file: a curl_off_t option (the offset to resume from)
 * arrives as the number given, and the answer's size comes back through curl_easy_getinfo. */
static void t_off_t_option(void)
{
    char path[] = "/tmp/levy-test-dl-file-XXXXXX", url[80];
    int fd = mkstemp(path);
    CURL *h = NULL;
    CHECK(fd >= 0);
    char block[1000];
    memset(block, 'x', sizeof block);
    CHECK_EQ_INT(write(fd, block, sizeof block), (long)sizeof block);
    close(fd);
    snprintf(url, sizeof url, "file://%s", path);
    size_t n = 0;
    h = curl_easy_init();
    CHECK(h != NULL);
    CHECK_EQ_INT(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
    CHECK_EQ_INT(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_bytes), CURLE_OK);
    CHECK_EQ_INT(curl_easy_setopt(h, CURLOPT_WRITEDATA, &n), CURLE_OK);
    CHECK_EQ_INT(curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)400), CURLE_OK);
    CHECK_EQ_INT(curl_easy_perform(h), CURLE_OK);
    CHECK_EQ_INT(n, 600);
    curl_off_t size = 0;
    CHECK_EQ_INT(curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &size), CURLE_OK);
    CHECK_EQ_INT(size, 600);
end:
    if (h)
        curl_easy_cleanup(h);
    unlink(path);
}

/* A PostgreSQL URL's parameters (levy backup's pg_dump command) load libpq, no server needed. */
static void t_conninfo_loads_libpq(void)
{
    char ci[512];
    CHECK_EQ_INT(levy_pq_loaded(), 0);
    CHECK(!mapped("/libpq"));
    CHECK_EQ_INT(levy_store_pg_conninfo("postgres://levy:pw@db.internal:5433/levy", ci, sizeof ci),
                 LEVY_OK);
    CHECK_EQ_STR(ci, "user=levy dbname=levy host=db.internal port=5433");
    CHECK_EQ_INT(levy_pq_loaded(), 1);
    CHECK(mapped("/libpq"));
end:;
}

static const levy_test tests[] = {
    {"missing", t_missing},
    {"idle_maps_neither", t_idle_maps_neither},
    {"first_request_loads_curl", t_first_request_loads_curl},
    {"off_t_option", t_off_t_option},
    {"conninfo_loads_libpq", t_conninfo_loads_libpq},
    {NULL, NULL},
};
LEVY_TEST_MAIN(tests)
