/* libFuzzer target: the HTTP request gate (core/http/gate.c), the parser every byte from the
 * network meets before evhttp. Properties: never crashes, never reads out of bounds; its
 * verdict (accepted heads, refusal status) is the same whether the bytes arrive at once or
 * split into reads at arbitrary points (the split is taken from the input); once it refuses,
 * it stays refused; a refusal has a status in 400..503 and a code; the bytes it holds for an
 * unfinished head never exceed LEVY_GATE_MAX_HEAD. And the request-target check: whatever
 * it accepts starts with '/', has no empty or dot segment and no encoded '/'. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t held;

static uint64_t cap_of(void *ud, const char *method, const char *path)
{
    (void)ud;
    (void)method;
    return path[1] == 's' ? 16 : 4096;
}

static int hold(void *ud, size_t k)
{
    (void)ud;
    if (held + k > 8192)
        return -1;
    held += k;
    return 0;
}

static const levy_gate_ops OPS = {cap_of, hold};

static void run(const uint8_t *d, size_t n, const uint8_t *splits, size_t nsplits, int *st,
                uint64_t *heads)
{
    levy_gate g;
    levy_gate_init(&g, &OPS, NULL);
    held = 0;
    size_t i = 0, s = 0;
    *st = 0;
    while (i < n) {
        size_t k = nsplits ? (size_t)(splits[s++ % nsplits] % 64) + 1 : n;
        if (k > n - i)
            k = n - i;
        /* a copy of exactly k bytes, so that ASan sees any read past the piece */
        uint8_t *piece = malloc(k);
        if (!piece)
            abort();
        memcpy(piece, d + i, k);
        int r = levy_gate_feed(&g, (const char *)piece, k);
        free(piece);
        if (g.hlen > LEVY_GATE_MAX_HEAD)
            abort();
        if (r != 0) {
            if (g.status < 400 || g.status > 503 || !g.code)
                abort();
            *st = g.status;
            if (levy_gate_feed(&g, "x", 1) != -1) /* final */
                abort();
            break;
        }
        i += k;
    }
    *heads = g.heads;
    levy_gate_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nsplits = data[0] % 8;
    if (size < 1 + nsplits)
        return 0;
    const uint8_t *splits = data + 1, *d = data + 1 + nsplits;
    size_t n = size - 1 - nsplits;
    int st1, st2;
    uint64_t h1, h2;
    run(d, n, NULL, 0, &st1, &h1);
    run(d, n, splits, nsplits, &st2, &h2);
    if (st1 != st2 || h1 != h2) {
        fprintf(stderr, "gate verdict depends on the reads: whole %d/%llu, split %d/%llu\n", st1,
                (unsigned long long)h1, st2, (unsigned long long)h2);
        abort();
    }
    /* the target check on the input as a string */
    char *raw = malloc(n + 1), path[512];
    if (!raw)
        abort();
    memcpy(raw, d, n);
    raw[n] = '\0';
    const char *q = NULL;
    if (!levy_http_target_check(raw, path, sizeof path, &q)) {
        size_t pl = strlen(path);
        if (path[0] != '/' || strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
            strstr(path, "%2F") || strstr(path, "%2f") || (pl > 1 && path[pl - 1] == '/') ||
            (pl >= 2 && strcmp(path + pl - 2, "/.") == 0) ||
            (pl >= 3 && strcmp(path + pl - 3, "/..") == 0))
            abort();
    }
    free(raw);
    return 0;
}
