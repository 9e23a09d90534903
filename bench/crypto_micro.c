/* B8 micro-benchmark (perf-anchors): the two crypto operations on levy's hot paths, one core.
 *   verify: HMAC-SHA256 of a 2 KB webhook body with a 32-byte key, then the constant-time
 *           compare against the expected MAC (what plugins/rillet/webhook.lua does per key);
 *   open:   AES-256-GCM open of a sealed 256-byte secret with its AAD (levy.crypto.open, as
 *           conn.lua does for the API key / signing token on a cache miss).
 * Usage: bench_crypto_micro [SECONDS]   prints "verify_per_s=N open_per_s=N" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    levy_err err = {0};
    uint8_t key[32], body[2048], want[LEVY_SHA256_LEN], mac[LEVY_SHA256_LEN];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = (uint8_t)("{\"id\":\"inv_0123\",\"amount\":\"12.34\"}"[i % 35]);
    if (levy_crypto_hmac_sha256(key, sizeof key, body, sizeof body, want, &err) != LEVY_OK)
        return fprintf(stderr, "hmac: %s\n", err.message), 1;

    uint8_t mk[LEVY_KEY_LEN], secret[256], sealed[256 + LEVY_SEAL_OVERHEAD], pt[256];
    const char *aad = "con_abcdefghijklmnopqrstuvwx:signing_token";
    memset(mk, 0x42, sizeof mk);
    memset(secret, 's', sizeof secret);
    if (levy_crypto_seal(mk, secret, sizeof secret, aad, strlen(aad), sealed, &err) != LEVY_OK)
        return fprintf(stderr, "seal: %s\n", err.message), 1;

    long nv = 0, bad = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 1000; k++, nv++) {
            if (levy_crypto_hmac_sha256(key, sizeof key, body, sizeof body, mac, &err) != LEVY_OK ||
                !levy_crypto_equal(mac, sizeof mac, want, sizeof want))
                bad++;
        }
        t = now() - t0;
    } while (t < secs);
    double verify = (double)nv / t;

    long no = 0;
    size_t pl = 0;
    t0 = now();
    do {
        for (int k = 0; k < 1000; k++, no++)
            if (levy_crypto_open(mk, sealed, sizeof sealed, aad, strlen(aad), pt, &pl, &err) !=
                    LEVY_OK ||
                pl != sizeof secret || pt[0] != 's')
                bad++;
        t = now() - t0;
    } while (t < secs);
    double open = (double)no / t;
    if (bad)
        return fprintf(stderr, "%ld failed operations\n", bad), 1;
    printf("verify_per_s=%.0f open_per_s=%.0f verify_us=%.2f open_us=%.2f\n", verify, open,
           1e6 / verify, 1e6 / open);
    return 0;
}
