/* Crypto: RFC 4231 HMAC vectors, SHA-256, NIST GCM, seal/open tamper, Base64, ids, key files,
 * and the Rillet webhook vector (docs rillet-api.md §4.5); what initialises OpenSSL. */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/hook.h"
#include "harness.h"
#include "log.h"

/* Every initialisation of OpenSSL's library (its configuration, providers, the DRBG) goes
 * through OPENSSL_init_crypto, which libcrypto calls through its PLT: this definition in the
 * test executable comes first, counts the calls and forwards them. */
static int ossl_inits;
int OPENSSL_init_crypto(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
{
    static int (*real)(uint64_t, const OPENSSL_INIT_SETTINGS *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "OPENSSL_init_crypto");
    ossl_inits++;
    return real ? real(opts, settings) : 0;
}

static int unhex(const char *h, uint8_t *out)
{
    int n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static void t_hmac_rfc4231(void)
{
    struct {
        const char *key, *data, *mac;
    } v[] = {
        {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
         "ddddddddddd",
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {"0102030405060708090a0b0c0d0e0f10111213141516171819",
         "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdc"
         "dcdcdcdcdcd",
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        /* case 6: 131-byte key */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d20486173682"
         "04b6579204669727374",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (size_t i = 0; i < LEVY_ARRAY_LEN(v); i++) {
        uint8_t key[200], data[200], mac[32];
        char hex[65];
        int kl = unhex(v[i].key, key), dl = unhex(v[i].data, data);
        CHECK_EQ_INT(levy_crypto_hmac_sha256(key, (size_t)kl, data, (size_t)dl, mac, NULL),
                     LEVY_OK);
        levy_crypto_hex(mac, 32, hex);
        CHECK_EQ_STR(hex, v[i].mac);
    }
end:;
}

/* What levy does before it serves (hash files, draw ids and random bytes) leaves OpenSSL
 * uninitialised: its providers cost about 2 MB of resident libcrypto (issue 21). The first
 * HMAC initialises it. First in the table: no test before it has used OpenSSL. */
static void t_no_openssl_init(void)
{
    uint8_t d[32], buf[600], mac[32];
    char id[64];
    levy_sha256_ctx c;
    int before = ossl_inits;
    CHECK_EQ_INT(levy_crypto_sha256("abc", 3, d, NULL), LEVY_OK);
    levy_sha256_init(&c);
    levy_sha256_update(&c, "ab", 2);
    levy_sha256_final(&c, d);
    CHECK_EQ_INT(levy_crypto_random(buf, sizeof buf, NULL), LEVY_OK);
    CHECK_EQ_INT(levy_crypto_id("calc_", id, sizeof id, NULL), LEVY_OK);
    CHECK_EQ_INT(ossl_inits, before);
    CHECK_EQ_INT(levy_crypto_hmac_sha256("key", 3, "msg", 3, mac, NULL), LEVY_OK);
    CHECK(ossl_inits > before);
end:;
}

/* OpenSSL that cannot give HMAC (an openssl.cnf activating only the null provider): the first
 * HMAC and the first seal are errors naming OpenSSL's reason, and what a start needs (SHA-256,
 * random bytes, ids) still works. OpenSSL reads its configuration once per process, so the
 * checks run in a child: this executable again, with OPENSSL_CONF set, running this test alone
 * (readlink of /proc/self/exe gives the test's own path under valgrind too). */
static void ossl_unavailable_child(void)
{
    uint8_t mac[32], key[LEVY_KEY_LEN] = {1}, out[64];
    char id[64], hex[65];
    levy_err err;
    levy_err_clear(&err);
    CHECK(levy_crypto_hmac_sha256("key", 3, "msg", 3, mac, &err) != LEVY_OK);
    CHECK_EQ_STR(err.code, "crypto");
    CHECK(strstr(err.message, "OpenSSL") && strstr(err.message, "unsupported"));
    levy_err_clear(&err);
    CHECK(levy_crypto_seal(key, "x", 1, NULL, 0, out, &err) != LEVY_OK);
    CHECK(strstr(err.message, "OpenSSL") && strstr(err.message, "unsupported"));
    CHECK_EQ_INT(levy_crypto_sha256("abc", 3, mac, NULL), LEVY_OK);
    levy_crypto_hex(mac, 32, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_EQ_INT(levy_crypto_id("calc_", id, sizeof id, NULL), LEVY_OK);
end:;
}

static void t_ossl_unavailable(void)
{
    char conf[] = "/tmp/levy_ossl_null_XXXXXX";
    int fd = -1;
    if (getenv("LEVY_TEST_OSSL_CHILD")) {
        ossl_unavailable_child();
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    CHECK(n > 0);
    self[n] = 0;
    CHECK((fd = mkstemp(conf)) >= 0);
    static const char cnf[] = "openssl_conf = oi\n[oi]\nproviders = ps\n[ps]\nnull = ns\n"
                              "[ns]\nactivate = 1\n";
    CHECK(write(fd, cnf, sizeof cnf - 1) == (ssize_t)(sizeof cnf - 1));
    close(fd);
    fd = -1;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        setenv("OPENSSL_CONF", conf, 1);
        setenv("LEVY_TEST_OSSL_CHILD", "1", 1);
        execl(self, self, "ossl_unavailable", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
end:
    if (fd >= 0)
        close(fd);
    unlink(conf);
}

/* The streaming SHA-256 (the generation's tree hash) against FIPS 180-2's vectors, fed in
 * uneven pieces across the 64-byte blocks. */
static void t_sha256_stream(void)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t d[32];
    char hex[65];
    levy_sha256_ctx c;
    levy_sha256_init(&c);
    for (size_t i = 0, step = 1; i < strlen(m); i += step, step = step * 3 % 17 + 1)
        levy_sha256_update(&c, m + i, step < strlen(m) - i ? step : strlen(m) - i);
    levy_sha256_final(&c, d);
    levy_crypto_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char a[1000];
    memset(a, 'a', sizeof a);
    levy_sha256_init(&c);
    for (int i = 0; i < 1000; i++)
        levy_sha256_update(&c, a, sizeof a);
    levy_sha256_update(&c, a, 0);
    levy_sha256_final(&c, d);
    levy_crypto_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
end:;
}

static void t_sha256(void)
{
    uint8_t d[32];
    char hex[65];
    levy_crypto_sha256("abc", 3, d, NULL);
    levy_crypto_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    levy_crypto_sha256("", 0, d, NULL);
    levy_crypto_hex(d, 32, hex);
    CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(levy_crypto_equal("abc", 3, "abc", 3));
    CHECK(!levy_crypto_equal("abc", 3, "abd", 3));
    CHECK(!levy_crypto_equal("abc", 3, "abcd", 4));
end:;
}

static void t_gcm_nist(void)
{
    /* NIST GCM test case 16 (AES-256, 60-byte pt, 20-byte AAD, 96-bit IV) */
    uint8_t key[32], iv[12], pt[64], aad[20], ct[64], tag[16], want_ct[64], want_tag[16], back[64];
    unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", key);
    unhex("cafebabefacedbaddecaf888", iv);
    int n = unhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c9595680953"
                  "2fcf0e2449a6b525b16aedf5aa0de657ba637b39",
                  pt);
    unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad);
    unhex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
          "56828838c5f61e6393ba7a0abcc9f662",
          want_ct);
    unhex("76fc6ece0f4e1768cddf8853bb2d551b", want_tag);
    CHECK_EQ_INT(n, 60);
    CHECK_EQ_INT(levy_crypto_gcm_encrypt(key, 32, iv, 12, aad, 20, pt, 60, ct, tag, NULL), LEVY_OK);
    CHECK(memcmp(ct, want_ct, 60) == 0);
    CHECK(memcmp(tag, want_tag, 16) == 0);
    CHECK_EQ_INT(levy_crypto_gcm_decrypt(key, 32, iv, 12, aad, 20, ct, 60, tag, back, NULL),
                 LEVY_OK);
    CHECK(memcmp(back, pt, 60) == 0);
    /* NIST test case 13: empty everything, zero key */
    uint8_t zk[32] = {0}, ziv[12] = {0};
    CHECK_EQ_INT(levy_crypto_gcm_encrypt(zk, 32, ziv, 12, NULL, 0, NULL, 0, NULL, tag, NULL),
                 LEVY_OK);
    unhex("530f8afbc74536b9a963b4f1c4cb738b", want_tag);
    CHECK(memcmp(tag, want_tag, 16) == 0);
end:;
}

static void t_seal_tamper(void)
{
    uint8_t key[32], out[64 + LEVY_SEAL_OVERHEAD], pt[64];
    size_t n = 0;
    levy_err e = {0};
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    const char *msg = "rillet api key secret";
    size_t ml = strlen(msg), sl = ml + LEVY_SEAL_OVERHEAD;
    CHECK_EQ_INT(levy_crypto_seal(key, msg, ml, "conn:1", 6, out, NULL), LEVY_OK);
    CHECK_EQ_INT(out[0], LEVY_SEAL_VERSION);
    CHECK_EQ_INT(levy_crypto_open(key, out, sl, "conn:1", 6, pt, &n, NULL), LEVY_OK);
    CHECK_EQ_INT(n, ml);
    CHECK(memcmp(pt, msg, ml) == 0);
    /* flip each region: version, nonce, ciphertext, tag; wrong aad; wrong key; truncated */
    size_t pos[] = {0, 1, 1 + LEVY_GCM_NONCE_LEN, sl - 1};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(pos); i++) {
        out[pos[i]] ^= 1;
        CHECK_EQ_INT(levy_crypto_open(key, out, sl, "conn:1", 6, pt, &n, &e), LEVY_ECRYPTO);
        CHECK_EQ_STR(e.code, "bad_ciphertext");
        out[pos[i]] ^= 1;
    }
    CHECK_EQ_INT(levy_crypto_open(key, out, sl, "conn:2", 6, pt, &n, &e), LEVY_ECRYPTO);
    CHECK_EQ_INT(levy_crypto_open(key, out, sl, NULL, 0, pt, &n, &e), LEVY_ECRYPTO);
    CHECK_EQ_INT(levy_crypto_open(key, out, sl - 1, "conn:1", 6, pt, &n, &e), LEVY_ECRYPTO);
    CHECK_EQ_INT(levy_crypto_open(key, out, 5, "conn:1", 6, pt, &n, &e), LEVY_ECRYPTO);
    key[0] ^= 1;
    CHECK_EQ_INT(levy_crypto_open(key, out, sl, "conn:1", 6, pt, &n, &e), LEVY_ECRYPTO);
    key[0] ^= 1;
    /* two seals of the same text differ (random nonce) */
    uint8_t out2[64 + LEVY_SEAL_OVERHEAD];
    levy_crypto_seal(key, msg, ml, "conn:1", 6, out2, NULL);
    CHECK(memcmp(out, out2, sl) != 0);
end:;
}

static void t_base64(void)
{
    char enc[64];
    uint8_t dec[64];
    size_t n;
    struct {
        const char *in, *std;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(v); i++) {
        size_t l = strlen(v[i].in);
        levy_b64_encode(v[i].in, l, 0, enc);
        CHECK_EQ_STR(enc, v[i].std);
        CHECK_EQ_INT(levy_b64_encoded_len(l, 0), strlen(v[i].std));
        CHECK_EQ_INT(levy_b64_decode(enc, strlen(enc), 0, dec, &n, NULL), LEVY_OK);
        CHECK_EQ_INT(n, l);
        CHECK(memcmp(dec, v[i].in, l) == 0);
        levy_b64_encode(v[i].in, l, LEVY_B64_NOPAD, enc); /* unpadded decodes too */
        CHECK_EQ_INT(levy_b64_encoded_len(l, LEVY_B64_NOPAD), strlen(enc));
        CHECK_EQ_INT(levy_b64_decode(enc, strlen(enc), 0, dec, &n, NULL), LEVY_OK);
        CHECK_EQ_INT(n, l);
    }
    uint8_t raw[3] = {0xfb, 0xff, 0xfe};
    levy_b64_encode(raw, 3, 0, enc);
    CHECK_EQ_STR(enc, "+//+");
    levy_b64_encode(raw, 3, LEVY_B64_URL, enc);
    CHECK_EQ_STR(enc, "-__-");
    CHECK_EQ_INT(levy_b64_decode("-__-", 4, 0, dec, &n, NULL), LEVY_EINVAL);
    CHECK_EQ_INT(levy_b64_decode("+//+", 4, LEVY_B64_URL, dec, &n, NULL), LEVY_EINVAL);
    const char *bad[] = {"Zg=",   "Z",    "Zh==",  "Zm9v\n", "Zm 9v",
                         "Zg===", "=Zg=", "Zm9v=", "Z===",   "Zm8=Zm8="};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad); i++) {
        levy_err e = {0};
        int rc = levy_b64_decode(bad[i], strlen(bad[i]), 0, dec, &n, &e);
        if (rc != LEVY_EINVAL)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK_EQ_INT(rc, LEVY_EINVAL);
        CHECK_EQ_STR(e.code, "bad_base64");
    }
end:;
}

static void t_ids_random(void)
{
    char a[64], b[64];
    CHECK_EQ_INT(levy_crypto_id("job_", a, sizeof a, NULL), LEVY_OK);
    CHECK_EQ_INT(strlen(a), 4 + 24);
    CHECK(strncmp(a, "job_", 4) == 0);
    for (const char *p = a + 4; *p; p++)
        CHECK((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7'));
    levy_crypto_id("job_", b, sizeof b, NULL);
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(levy_crypto_id("job_", a, 10, NULL), LEVY_EINVAL);
    uint8_t r1[16] = {0}, r2[16] = {0};
    levy_crypto_random(r1, 16, NULL);
    levy_crypto_random(r2, 16, NULL);
    CHECK(memcmp(r1, r2, 16) != 0);
end:;
}

/* Ids come from a per-thread pool of random bytes (issue 21): many ids in a row are all
 * different (past several refills), and a forked child does not hand out the parent's next
 * ids (the pool is refilled in the child). */
static void t_ids_pool(void)
{
    enum { N = 1000 };
    char(*ids)[40] = calloc(N, sizeof *ids);
    int fd[2] = {-1, -1};
    CHECK(ids != NULL);
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(levy_crypto_id("x_", ids[i], sizeof ids[i], NULL), LEVY_OK);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            CHECK(strcmp(ids[i], ids[j]) != 0);
    CHECK(pipe(fd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c[40] = {0};
        free(ids); /* the child's own copy (valgrind checks the child too) */
        levy_crypto_id("x_", c, sizeof c, NULL);
        _exit(write(fd[1], c, sizeof c) == (ssize_t)sizeof c ? 0 : 1);
    }
    char child[40] = {0}, mine[40];
    CHECK(read(fd[0], child, sizeof child) == (ssize_t)sizeof child);
    levy_crypto_id("x_", mine, sizeof mine, NULL);
    CHECK(strncmp(child, "x_", 2) == 0 && strcmp(child, mine) != 0);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
end:
    if (fd[0] >= 0)
        close(fd[0]);
    if (fd[1] >= 0)
        close(fd[1]);
    free(ids);
}

static void t_rillet_vector(void)
{
    const char *token = "bGV2eS1leGFtcGxlLXdlYmhvb2stdG9rZW4tMDAwMQ==";
    const char *msg = "2026-08-01T12:00:00Z.5b0c1f2e-8a4d-4c6b-9e1f-2a3b4c5d6e7f.INVOICE.UPDATED."
                      "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}";
    const char *msg2 = "2026-08-01T12:00:00Z.5b0c1f2e-8a4d-4c6b-9e1f-2a3b4c5d6e7f."
                       "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}";
    uint8_t key[64], mac[32];
    size_t kl;
    char b64[64];
    CHECK_EQ_INT(levy_b64_decode(token, strlen(token), 0, key, &kl, NULL), LEVY_OK);
    CHECK_EQ_INT(kl, strlen("levy-example-webhook-token-0001"));
    CHECK(memcmp(key, "levy-example-webhook-token-0001", kl) == 0);
    levy_crypto_hmac_sha256(key, kl, msg, strlen(msg), mac, NULL);
    levy_b64_encode(mac, 32, 0, b64);
    CHECK_EQ_STR(b64, "kGreLHB5wbWQg6lavS9faIWSal7nlELQ0JuuIBNDIH0=");
    levy_crypto_hmac_sha256(token, strlen(token), msg, strlen(msg), mac, NULL);
    levy_b64_encode(mac, 32, 0, b64);
    CHECK_EQ_STR(b64, "pK3P6dszfJHr7D7crZ9mnFZzTHiPcWjkQPTuJdonqac=");
    levy_crypto_hmac_sha256(key, kl, msg2, strlen(msg2), mac, NULL);
    levy_b64_encode(mac, 32, 0, b64);
    CHECK_EQ_STR(b64, "CVV2rZ6bcO7MSXRGjITZsmW2psJyHA4MHAR/V2MMs1g=");
end:;
}

static void t_key_files(void)
{
    char dir[] = "/tmp/levy-crypto-XXXXXX", path[256];
    uint8_t k1[32], k2[32];
    char tok1[64], tok2[64];
    int created = -1;
    struct stat sb;
    levy_err e = {0};
    CHECK(mkdtemp(dir) != NULL);
    unsetenv("LEVY_MASTER_KEY");
    CHECK_EQ_INT(levy_crypto_master_key_load(dir, k1, &e), LEVY_OK);
    snprintf(path, sizeof path, "%s/master.key", dir);
    CHECK_EQ_INT(stat(path, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(levy_crypto_master_key_load(dir, k2, &e), LEVY_OK);
    CHECK(memcmp(k1, k2, 32) == 0);
    /* env wins */
    setenv("LEVY_MASTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
    CHECK_EQ_INT(levy_crypto_master_key_load(dir, k2, &e), LEVY_OK);
    CHECK_EQ_INT(k2[31], 31);
    setenv("LEVY_MASTER_KEY", "c2hvcnQ=", 1);
    CHECK_EQ_INT(levy_crypto_master_key_load(dir, k2, &e), LEVY_EINVAL);
    CHECK_EQ_STR(e.code, "bad_master_key");
    unsetenv("LEVY_MASTER_KEY");
    CHECK_EQ_INT(levy_crypto_token_load(dir, NULL, tok1, sizeof tok1, &created, &e), LEVY_OK);
    CHECK_EQ_INT(created, 1);
    CHECK_EQ_INT(strlen(tok1), 43);
    snprintf(path, sizeof path, "%s/api-token", dir);
    CHECK_EQ_INT(stat(path, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(levy_crypto_token_load(dir, NULL, tok2, sizeof tok2, &created, &e), LEVY_OK);
    CHECK_EQ_INT(created, 0);
    CHECK_EQ_STR(tok1, tok2);
    CHECK_EQ_INT(levy_crypto_token_load(dir, "from-env-token", tok2, sizeof tok2, &created, &e),
                 LEVY_OK);
    CHECK_EQ_STR(tok2, "from-env-token");
    /* the token is now a registered secret */
    char *r = levy_log_redact(tok1, 0);
    CHECK(r && strstr(r, tok1) == NULL);
    free(r);
end:
    snprintf(path, sizeof path, "%s/master.key", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/api-token", dir);
    unlink(path);
    rmdir(dir);
    levy_log_clear_secrets();
}

/* levy_crypto_hmac_sha256 is OpenSSL's EVP_MAC HMAC on a context kept between calls: compare it
 * with a one-shot EVP_Q_mac for every key length around the 64-byte block (0, 1, 63, 64, 65, 200)
 * and message lengths 0..4100, and check the same context gives the same MAC twice. */
static void t_hmac_vs_openssl(void)
{
    uint8_t key[200], msg[4100];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 13 + 1);
    static const size_t kls[] = {0, 1, 31, 32, 63, 64, 65, 128, 200};
    static const size_t mls[] = {0, 1, 55, 56, 64, 119, 2048, 4100};
    for (size_t a = 0; a < LEVY_ARRAY_LEN(kls); a++)
        for (size_t b = 0; b < LEVY_ARRAY_LEN(mls); b++) {
            uint8_t mine[32], ref[32], again[32];
            size_t n = 0;
            static const uint8_t empty[1];
            CHECK_EQ_INT(levy_crypto_hmac_sha256(key, kls[a], msg, mls[b], mine, NULL), LEVY_OK);
            CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, kls[a] ? key : empty, kls[a],
                            mls[b] ? msg : empty, mls[b], ref, sizeof ref, &n) != NULL);
            CHECK_EQ_INT((int)n, 32);
            CHECK(memcmp(mine, ref, 32) == 0);
            CHECK_EQ_INT(levy_crypto_hmac_sha256(key, kls[a], msg, mls[b], again, NULL), LEVY_OK);
            CHECK(memcmp(mine, again, 32) == 0);
        }
end:;
}

/* The context kept between calls re-uses the keyed state only for the very same key: keys that
 * alternate, differ in one byte, are a prefix of the last one, or change in the same buffer
 * each get their own MAC. */
static void t_hmac_key_changes(void)
{
    uint8_t a[32], msg[300], mine[32], ref[32];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i + 1);
    memset(msg, 'm', sizeof msg);
    static const struct {
        int flip;
        size_t len;
    } steps[] = {
        {-1, 32}, {5, 32}, {5, 32}, {-1, 31}, {-1, 32}, {31, 32}, {31, 32}, {-1, 32}, {0, 0},
    };
    for (size_t k = 0; k < LEVY_ARRAY_LEN(steps); k++) {
        if (steps[k].flip >= 0)
            a[steps[k].flip] ^= 0x80; /* in place: the same buffer holds another key */
        size_t n = 0;
        static const uint8_t empty[1];
        CHECK_EQ_INT(levy_crypto_hmac_sha256(a, steps[k].len, msg, sizeof msg, mine, NULL),
                     LEVY_OK);
        CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, steps[k].len ? a : empty, steps[k].len,
                        msg, sizeof msg, ref, sizeof ref, &n) != NULL);
        CHECK(memcmp(mine, ref, 32) == 0);
    }
end:;
}

/* core/crypto/hook.c: the signed headers' grammar (issue 21: one implementation for the fast
 * path and the Lua intake) */
static void t_hook_check(void)
{
    const char *id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    int64_t ms = 0;
#define HC(ts, i, e, v)                                                                            \
    levy_hook_check(ts, strlen(ts), i, strlen(i), e, strlen(e), v, strlen(v), &ms)
    CHECK(HC("2026-08-01T12:00:00Z", id, "INVOICE", "INVOICE_UPDATED") == NULL);
    CHECK_EQ_INT(ms, 1785585600000LL);
    CHECK(HC("2026-08-01T14:00:00.123+02:00", id, "credit-memo", "x") == NULL);
    CHECK_EQ_INT(ms, 1785585600123LL);
    CHECK(HC("2026-08-01t12:00:00.999999999z", id, "A", "B") == NULL);
    CHECK_EQ_INT(ms, 1785585600999LL);
    const char *bad_ids[] = {
        "123Z.0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5bd9cb469fa16570867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950e0",     "0f8fad5b-d9cb-469f-a165-70867728950",
        "g f8fad5b-d9cb-469f-a165-70867728950e",     ""};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad_ids); i++) {
        const char *m = HC("2026-08-01T12:00:00Z", bad_ids[i], "A", "B");
        CHECK(m && strstr(m, "UUID"));
    }
    const char *bad_ts[] = {
        "2026-08-01 12:00:00Z",     "2026-08-01T12:00:00",    "2026-08-01T12:00Z",
        "2026-08-01T12:00:00+0000", "2026-08-01T12:00:00.Z",  "2026-08-01T12:00:00.1234567890Z",
        "2026-02-30T10:00:00Z",     "2026-13-01T10:00:00Z",   "2026-12-06T24:00:00Z",
        "2026-12-06T10:60:00Z",     "2026-12-06T10:00:60Z",   "2026-12-06T10:00:00+24:00",
        "+2026-12-06T10:00:00Z",    "2026-12-06T10:00:00,5Z", "1785585600",
        "2026-08-01T12:00:00ZZ"};
    for (size_t i = 0; i < LEVY_ARRAY_LEN(bad_ts); i++) {
        const char *m = HC(bad_ts[i], id, "A", "B");
        CHECK(m && strstr(m, "RFC 3339"));
    }
    CHECK(HC("2026-08-01T12:00:00Z", id, "A.B", "C") != NULL);
    CHECK(HC("2026-08-01T12:00:00Z", id, "A", "") != NULL);
    char w65[66];
    memset(w65, 'A', 65);
    w65[65] = 0;
    CHECK(HC("2026-08-01T12:00:00Z", id, w65, "B") != NULL);
    w65[64] = 0;
    CHECK(HC("2026-08-01T12:00:00Z", id, w65, "B") == NULL);
#undef HC
end:;
}

static void t_hook_fresh(void)
{
    int64_t age = 0, now = 1785585600000LL;
    CHECK_EQ_INT(levy_hook_fresh(now - 8 * 86400000LL, now, 604800, 300, &age), LEVY_HOOK_OLD);
    CHECK_EQ_INT(age, 8 * 86400);
    CHECK_EQ_INT(levy_hook_fresh(now - 604800000LL, now, 604800, 300, &age), LEVY_HOOK_FRESH);
    CHECK_EQ_INT(levy_hook_fresh(now + 301000, now, 604800, 300, &age), LEVY_HOOK_FUTURE);
    CHECK_EQ_INT(age, -301);
    CHECK_EQ_INT(levy_hook_fresh(now + 1500, now, 604800, 300, &age), LEVY_HOOK_FRESH);
    CHECK_EQ_INT(age, -2);                                                /* floor, as Lua's // */
    CHECK_EQ_INT(levy_hook_fresh(0, now, 0, 300, &age), LEVY_HOOK_FRESH); /* 0: not checked */
end:;
}

static void hook_sign(const uint8_t *key, size_t kl, const char *msg, char out[64])
{
    uint8_t mac[32];
    levy_crypto_hmac_sha256(key, kl, msg, strlen(msg), mac, NULL);
    levy_b64_encode(mac, 32, 0, out);
}

static void t_hook_verify(void)
{
    const char *token = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; /* Base64 */
    levy_hook_keys k;
    CHECK_EQ_INT(levy_hook_keys_derive(token, strlen(token), &k), 0);
    CHECK_EQ_INT(k.n, 2);
    CHECK_EQ_INT(k.len[0], 32);
    CHECK(memcmp(k.key[0], "0123456789abcdef0123456789abcdef", 32) == 0);
    CHECK_EQ_INT(k.len[1], strlen(token));
    levy_hook_keys t;
    CHECK_EQ_INT(levy_hook_keys_derive("whsec plain text!", 17, &t), 0);
    CHECK_EQ_INT(t.n, 1);
    CHECK_EQ_INT(levy_hook_keys_derive("", 0, &t), -1);
    const char *msg = "2026-08-01T12:00:00Z.id.INVOICE.CREATED.{}";
    const uint8_t *kp[2] = {k.key[0], k.key[1]};
    char by_text[64], by_dec[64], other[64], sig[1024];
    hook_sign(k.key[1], k.len[1], msg, by_text);
    hook_sign(k.key[0], k.len[0], msg, by_dec);
    hook_sign((const uint8_t *)"nope", 4, msg, other);
    int hit = 0, nh = 0;
    CHECK_EQ_INT(
        levy_hook_verify(kp, k.len, 2, &hit, by_text, strlen(by_text), 10, msg, strlen(msg), &nh),
        1);
    CHECK_EQ_INT(nh, 2);
    CHECK_EQ_INT(hit, 1);
    CHECK_EQ_INT(
        levy_hook_verify(kp, k.len, 2, &hit, by_text, strlen(by_text), 10, msg, strlen(msg), &nh),
        1);
    CHECK_EQ_INT(nh, 1); /* the key that verified last is tried first */
    CHECK_EQ_INT(
        levy_hook_verify(kp, k.len, 2, &hit, by_dec, strlen(by_dec), 10, msg, strlen(msg), &nh), 0);
    CHECK_EQ_INT(nh, 2);
    CHECK_EQ_INT(
        levy_hook_verify(kp, k.len, 2, &hit, other, strlen(other), 10, msg, strlen(msg), &nh), -1);
    CHECK_EQ_INT(nh, 2); /* a refusal hashes with every key */
    /* several, spaces, URL-safe */
    char url[64];
    snprintf(url, sizeof url, "%s", by_dec);
    for (char *c = url; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    snprintf(sig, sizeof sig, " %s ,\t%s ", other, url);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, sig, strlen(sig), 10, msg, strlen(msg), NULL),
                 0);
    /* at most max_sigs parts (an empty part counts): the good one 11th is not looked at */
    sig[0] = 0;
    for (int i = 0; i < 10; i++)
        strcat(strcat(sig, other), ",");
    strcat(sig, by_dec);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, sig, strlen(sig), 10, msg, strlen(msg), NULL),
                 -1);
    snprintf(sig, sizeof sig, ",,,,,,,,,%s", by_dec);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, sig, strlen(sig), 10, msg, strlen(msg), NULL),
                 0);
    snprintf(sig, sizeof sig, ",,,,,,,,,,%s", by_dec);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, sig, strlen(sig), 10, msg, strlen(msg), NULL),
                 -1);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, " , ,", 4, 10, msg, strlen(msg), NULL), -1);
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, by_dec, strlen(by_dec) - 4, 10, msg,
                                  strlen(msg), NULL),
                 -1);
    /* another message */
    CHECK_EQ_INT(levy_hook_verify(kp, k.len, 2, NULL, by_dec, strlen(by_dec), 10, msg,
                                  strlen(msg) - 1, NULL),
                 -1);
end:;
}

static const levy_test tests[] = {{"no_openssl_init", t_no_openssl_init},
                                  {"sha256_stream", t_sha256_stream},
                                  {"ossl_unavailable", t_ossl_unavailable},
                                  {"ids_pool", t_ids_pool},
                                  {"hmac_vs_openssl", t_hmac_vs_openssl},
                                  {"hmac_key_changes", t_hmac_key_changes},
                                  {"hmac_rfc4231", t_hmac_rfc4231},
                                  {"sha256", t_sha256},
                                  {"gcm_nist", t_gcm_nist},
                                  {"seal_tamper", t_seal_tamper},
                                  {"base64", t_base64},
                                  {"ids_random", t_ids_random},
                                  {"rillet_vector", t_rillet_vector},
                                  {"key_files", t_key_files},
                                  {"hook_check", t_hook_check},
                                  {"hook_fresh", t_hook_fresh},
                                  {"hook_verify", t_hook_verify},
                                  {NULL, NULL}};
LEVY_TEST_MAIN(tests)
