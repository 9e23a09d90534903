/* core/base/file.c: the one whole-file reader (issue 18 "one of each": it replaced seven copies,
 * some of which took a read error — e.g. a directory — for an empty file). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "harness.h"

static char dir[] = "/tmp/levy_test_file_XXXXXX";

static void put(const char *name, const char *data, size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void t_read(void)
{
    char path[256], *out = NULL;
    size_t len = 99;
    levy_err err;
    put("a.txt", "hello\n", 6, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 6);
    CHECK_EQ_STR(out, "hello\n");
    free(out);
    out = NULL;
    put("empty", "", 0, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_STR(out, "");
end:
    free(out);
}

/* larger than the first buffer, with NUL bytes inside: every byte comes back */
static void t_large(void)
{
    size_t n = 200000;
    char path[256], *data = malloc(n), *out = NULL;
    size_t len = 0;
    CHECK(data != NULL);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)(i * 31 % 251);
    put("big.bin", data, n, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, NULL), LEVY_OK);
    CHECK_EQ_INT(len, n);
    CHECK(memcmp(out, data, n) == 0);
    CHECK_EQ_INT(out[n], 0);
end:
    free(out);
    free(data);
}

static void t_limits(void)
{
    char path[256], *out = NULL;
    size_t len = 0;
    levy_err err;
    put("ten", "0123456789", 10, path, sizeof path);
    CHECK_EQ_INT(levy_file_read(path, 10, &out, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 10);
    free(out);
    out = NULL;
    CHECK_EQ_INT(levy_file_read(path, 9, &out, &len, &err), LEVY_EINVAL);
    CHECK_EQ_STR(err.code, "too_large");
    CHECK(out == NULL);
    CHECK(strstr(err.message, "larger than 9 bytes") != NULL);
end:
    free(out);
}

static void t_errors(void)
{
    char path[256], *out = (char *)1;
    size_t len = 0;
    levy_err err;
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_INT(levy_file_read(path, 0, &out, &len, &err), LEVY_ENOTFOUND);
    CHECK_EQ_STR(err.code, "not_found");
    CHECK(out == NULL);
    CHECK(strstr(err.message, path) != NULL);
    /* a directory opens but does not read: an error, not an empty file (gen.c, import.c,
     * calc.c and the sandbox's read_file used to return "" for it) */
    out = (char *)1;
    CHECK_EQ_INT(levy_file_read(dir, 0, &out, &len, &err), LEVY_EIO);
    CHECK_EQ_STR(err.code, "io_error");
    CHECK(out == NULL);
    CHECK(levy_file_read(dir, 0, &out, &len, NULL) == LEVY_EIO); /* err may be NULL */
end:;
}

static void t_into(void)
{
    char path[256], buf[8];
    size_t len = 0;
    levy_err err;
    put("seven", "1234567", 7, path, sizeof path);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_OK);
    CHECK_EQ_INT(len, 7);
    CHECK_EQ_STR(buf, "1234567");
    put("eight", "12345678", 8, path, sizeof path);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_EINVAL);
    CHECK_EQ_STR(err.code, "too_large");
    CHECK_EQ_INT(len, 0);
    for (size_t i = 0; i < sizeof buf; i++)
        CHECK_EQ_INT(buf[i], 0); /* nothing of a secret that did not fit is left behind */
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ_INT(levy_file_read_into(path, buf, sizeof buf, &len, &err), LEVY_ENOTFOUND);
    CHECK_EQ_INT(levy_file_read_into(dir, buf, sizeof buf, &len, &err), LEVY_EIO);
end:;
}

static const levy_test tests[] = {{"read", t_read},     {"large", t_large}, {"limits", t_limits},
                                  {"errors", t_errors}, {"into", t_into},   {NULL, NULL}};

int main(int argc, char **argv)
{
    if (!mkdtemp(dir))
        return 2;
    int rc = levy_test_run(tests, argc, argv);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
