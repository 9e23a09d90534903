/* OpenSSL 3 EVP primitives, Base64, ids, sealing and key files. See crypto.h.
 *
 * OpenSSL's providers on first use (issue 21, h-mem23): the first EVP fetch or RAND_bytes
 * loads openssl.cnf and activates the default provider, which makes about 2 MB more of
 * libcrypto resident (1.4 MB once mapped and relocated, 3.4 MB after). What an idle levy does
 * before it serves (the generation's tree hash, the migrations' checksums, the master key's
 * fingerprint, ids for the rules' self-tests) needs SHA-256 and random bytes only: SHA-256
 * here is OpenSSL's own low-level SHA256_* (the same assembly, no provider, no context
 * allocation; deprecated in OpenSSL 3 but present, hence OPENSSL_SUPPRESS_DEPRECATED in this
 * file alone) and random bytes are the kernel's getrandom(2), the source OpenSSL's DRBG seeds
 * from. HMAC and AES-GCM still go through EVP: the first webhook or sealed value initialises
 * OpenSSL (ossl_up), and a failure there is an error that says so. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "file.h"
#include "log.h"

/* The message names the step and OpenSSL's own reason (an algorithm missing because
 * openssl.cnf activated providers without it reads "...: unsupported"); the queue is emptied. */
static int ossl_fail(levy_err *err, const char *what)
{
    char why[200] = "";
    unsigned long e = ERR_peek_last_error();
    if (e) {
        why[0] = ':', why[1] = ' ';
        ERR_error_string_n(e, why + 2, sizeof why - 2);
    }
    ERR_clear_error();
    return levy_err_set(err, LEVY_EINTERNAL, "crypto", "OpenSSL %s failed%s", what, why);
}

/* OpenSSL's library initialisation with the configuration file (what the first fetch would
 * do implicitly), made explicit so that its failure is reported as such. Once it succeeded,
 * a flag read: HMAC and GCM call it each time. */
static int ossl_up(levy_err *err)
{
    static _Atomic int up;
    if (up)
        return LEVY_OK;
    if (!OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL)) {
        char why[200] = "";
        unsigned long e = ERR_peek_last_error();
        if (e)
            ERR_error_string_n(e, why, sizeof why);
        ERR_clear_error();
        return levy_err_set(err, LEVY_EINTERNAL, "crypto",
                            "OpenSSL could not be initialised%s%s (check OPENSSL_CONF / "
                            "openssl.cnf)",
                            why[0] ? ": " : "", why);
    }
    up = 1;
    return LEVY_OK;
}

/* Ciphers fetched once: with OpenSSL 3 the legacy EVP_aes_256_gcm() looks the
 * implementation up by name in the provider store on every call. Fetched objects live until
 * exit (a lost race would only fetch twice). */
static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
    static EVP_CIPHER *c128, *c192, *c256;
    EVP_CIPHER **slot = key_len == 32   ? &c256
                        : key_len == 16 ? &c128
                        : key_len == 24 ? &c192
                                        : NULL;
    if (!slot)
        return NULL;
    if (!*slot)
        *slot = EVP_CIPHER_fetch(NULL,
                                 key_len == 32   ? "AES-256-GCM"
                                 : key_len == 16 ? "AES-128-GCM"
                                                 : "AES-192-GCM",
                                 NULL);
    return *slot;
}

_Static_assert(sizeof(SHA256_CTX) <= sizeof(levy_sha256_ctx), "levy_sha256_ctx too small");
_Static_assert(_Alignof(SHA256_CTX) <= _Alignof(levy_sha256_ctx), "levy_sha256_ctx misaligned");

void levy_sha256_init(levy_sha256_ctx *c) { SHA256_Init((SHA256_CTX *)(void *)c->opaque); }

void levy_sha256_update(levy_sha256_ctx *c, const void *data, size_t len)
{
    if (len)
        SHA256_Update((SHA256_CTX *)(void *)c->opaque, data, len);
}

void levy_sha256_final(levy_sha256_ctx *c, uint8_t out[LEVY_SHA256_LEN])
{
    SHA256_Final(out, (SHA256_CTX *)(void *)c->opaque);
    OPENSSL_cleanse(c, sizeof *c);
}

int levy_crypto_sha256(const void *data, size_t len, uint8_t out[LEVY_SHA256_LEN], levy_err *err)
{
    (void)err; /* the low-level functions cannot fail */
    levy_sha256_ctx c;
    levy_sha256_init(&c);
    levy_sha256_update(&c, data, len);
    levy_sha256_final(&c, out);
    return LEVY_OK;
}

/* HMAC-SHA256 through OpenSSL's EVP_MAC. One context bound to SHA-256 is made once and
 * re-keyed by each call (setting the digest by name, or allocating a context per call, cost
 * more than the MAC of a 2 KB webhook body). The same key as the previous call (a connection's
 * webhook secret, verifying delivery after delivery) re-uses the keyed state instead of
 * deriving it again; the key copy kept for that comparison is cleansed when replaced. The
 * mutex makes it safe from the reload thread too (uncontended: the event loop). */
static pthread_mutex_t hmac_mu = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC_CTX *hmac_ctx;
static uint8_t *hmac_key;
static size_t hmac_key_len;

static EVP_MAC_CTX *hmac_context(void)
{
    if (!hmac_ctx) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac); /* the context holds its own reference */
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                               OSSL_PARAM_construct_end()};
        if (c && !EVP_MAC_CTX_set_params(c, params)) {
            EVP_MAC_CTX_free(c);
            c = NULL;
        }
        hmac_ctx = c;
    }
    return hmac_ctx;
}

/* Keys ctx with key, or re-initialises it when key is the one it holds. */
static int hmac_key_ctx(EVP_MAC_CTX *ctx, const void *key, size_t key_len)
{
    if (hmac_key && key_len == hmac_key_len && CRYPTO_memcmp(key, hmac_key, key_len) == 0)
        return EVP_MAC_init(ctx, NULL, 0, NULL);
    static const uint8_t none[1];
    OPENSSL_clear_free(hmac_key, hmac_key_len);
    hmac_key = NULL;
    /* an empty key is valid HMAC input; OpenSSL wants a non-NULL pointer for it */
    if (!EVP_MAC_init(ctx, key_len ? key : none, key_len, NULL))
        return 0;
    hmac_key = OPENSSL_malloc(key_len ? key_len : 1);
    if (hmac_key) {
        memcpy(hmac_key, key_len ? key : none, key_len);
        hmac_key_len = key_len;
    }
    return 1;
}

int levy_crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                            uint8_t out[LEVY_SHA256_LEN], levy_err *err)
{
    size_t n = 0;
    int rc = ossl_up(err);
    if (rc)
        return rc;
    pthread_mutex_lock(&hmac_mu);
    EVP_MAC_CTX *ctx = hmac_context();
    int ok = ctx && hmac_key_ctx(ctx, key, key_len) &&
             (!msg_len || EVP_MAC_update(ctx, msg, msg_len)) &&
             EVP_MAC_final(ctx, out, &n, LEVY_SHA256_LEN) && n == LEVY_SHA256_LEN;
    pthread_mutex_unlock(&hmac_mu);
    return ok ? LEVY_OK : ossl_fail(err, "HMAC-SHA256");
}

int levy_crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len)
        return 0;
    if (a_len == 0)
        return 1;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}

void levy_crypto_hex(const void *data, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t levy_b64_encoded_len(size_t n, int flags)
{
    if (flags & LEVY_B64_NOPAD)
        return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    return (n + 2) / 3 * 4;
}

size_t levy_b64_decoded_max(size_t len) { return len / 4 * 3 + 3; }

size_t levy_b64_encode(const void *data, size_t n, int flags, char *out)
{
    const char *al = (flags & LEVY_B64_URL) ? b64_url : b64_std;
    const uint8_t *p = data;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        out[o++] = al[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        if (!(flags & LEVY_B64_NOPAD))
            out[o++] = '=', out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        if (!(flags & LEVY_B64_NOPAD))
            out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

static int b64_val(char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int levy_b64_decode(const char *s, size_t len, int flags, uint8_t *out, size_t *out_len,
                    levy_err *err)
{
    int url = flags & LEVY_B64_URL;
    size_t pad = 0;
    if (len % 4 == 0 && len >= 2) {
        if (s[len - 1] == '=')
            pad++;
        if (s[len - 2] == '=')
            pad++;
    }
    size_t n = len - pad;
    if (n % 4 == 1)
        goto bad;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(s[i], url);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical trailing bits */
        goto bad;
    if (pad && (n % 4) + pad != 4)
        goto bad;
    *out_len = o;
    return LEVY_OK;
bad:
    return levy_err_set(err, LEVY_EINVAL, "bad_base64", "invalid Base64 input");
}

/* getrandom(2) with no flags blocks only until the kernel's pool is first seeded (early at
 * boot) and then always delivers; a read of more than 256 bytes may be cut short by a signal,
 * hence the loop. */
int levy_crypto_random(void *buf, size_t n, levy_err *err)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return levy_err_set(err, LEVY_EINTERNAL, "crypto", "getrandom failed: %s",
                                got < 0 ? strerror(errno) : "no bytes");
        p += got;
        n -= (size_t)got;
    }
    return LEVY_OK;
}

/* The random bytes of ids, drawn 16 ids at a time (issue 21: one RAND_bytes call cost ~7k
 * instructions, 2 % of a POST /v1/calculate, for 15 bytes; one getrandom call is a system
 * call). Per thread (a
 * generation is built on its own thread and its self-tests make ids); a byte handed out is
 * wiped from the pool; a forked child empties its pool before it draws (an atfork handler:
 * the pool is the parent's otherwise, and two processes would hand out the same ids; the
 * forking thread is the child's only one). Keys and nonces never come from here. */
#define ID_POOL 240
static _Thread_local struct {
    uint8_t b[ID_POOL];
    size_t left; /* unused bytes at the end of b */
} id_pool;

static void id_pool_forked(void)
{
    OPENSSL_cleanse(id_pool.b, ID_POOL);
    id_pool.left = 0;
}

static pthread_once_t id_pool_once = PTHREAD_ONCE_INIT;
static void id_pool_init(void) { pthread_atfork(NULL, NULL, id_pool_forked); }

static int id_bytes(uint8_t r[15], levy_err *err)
{
    pthread_once(&id_pool_once, id_pool_init);
    if (id_pool.left < 15) {
        int rc = levy_crypto_random(id_pool.b, ID_POOL, err);
        if (rc) {
            id_pool_forked();
            return rc;
        }
        id_pool.left = ID_POOL;
    }
    uint8_t *at = id_pool.b + ID_POOL - id_pool.left;
    memcpy(r, at, 15);
    OPENSSL_cleanse(at, 15);
    id_pool.left -= 15;
    return LEVY_OK;
}

int levy_crypto_id(const char *prefix, char *out, size_t cap, levy_err *err)
{
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint8_t r[15];
    size_t pl = strlen(prefix);
    if (cap < pl + LEVY_ID_RANDOM_CHARS + 1)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "id buffer too small");
    int rc = id_bytes(r, err);
    if (rc)
        return rc;
    memcpy(out, prefix, pl);
    for (int g = 0; g < 3; g++) { /* 3 groups of 5 bytes → 8 chars */
        uint64_t v = 0;
        for (int k = 0; k < 5; k++)
            v = v << 8 | r[g * 5 + k];
        for (int k = 0; k < 8; k++)
            out[pl + (size_t)g * 8 + (size_t)k] = b32[(v >> (35 - 5 * k)) & 31];
    }
    out[pl + LEVY_ID_RANDOM_CHARS] = 0;
    return LEVY_OK;
}

static int gcm(int enc, const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
               const void *aad, size_t aad_len, const void *in, size_t n, uint8_t *out,
               uint8_t *tag, levy_err *err)
{
    int rc = LEVY_OK, len = 0;
    if (key_len != 32 && key_len != 16 && key_len != 24)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "bad AES key length %zu", key_len);
    if ((rc = ossl_up(err)) != LEVY_OK)
        return rc;
    const EVP_CIPHER *c = gcm_cipher(key_len);
    if (!c)
        return ossl_fail(err, "GCM fetch");
    if (n > INT32_MAX || aad_len > INT32_MAX || nonce_len == 0 || nonce_len > 64)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "input too large");
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return levy_err_set(err, LEVY_ENOMEM, "nomem", "out of memory");
    if (!EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)nonce_len, NULL) ||
        !EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc)) {
        rc = ossl_fail(err, "GCM init");
        goto done;
    }
    if (aad_len && !EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aad_len)) {
        rc = ossl_fail(err, "GCM aad");
        goto done;
    }
    if (n && !EVP_CipherUpdate(ctx, out, &len, in, (int)n)) {
        rc = ossl_fail(err, "GCM update");
        goto done;
    }
    if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, LEVY_GCM_TAG_LEN, tag)) {
        rc = ossl_fail(err, "GCM set tag");
        goto done;
    }
    if (EVP_CipherFinal_ex(ctx, out + (n ? (size_t)len : 0), &len) != 1) {
        rc = enc ? ossl_fail(err, "GCM final")
                 : levy_err_set(err, LEVY_ECRYPTO, "bad_ciphertext", "authentication failed");
        goto done;
    }
    if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, LEVY_GCM_TAG_LEN, tag))
        rc = ossl_fail(err, "GCM get tag");
done:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int levy_crypto_gcm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                            size_t nonce_len, const void *aad, size_t aad_len, const void *pt,
                            size_t n, uint8_t *ct_out, uint8_t tag_out[LEVY_GCM_TAG_LEN],
                            levy_err *err)
{
    return gcm(1, key, key_len, nonce, nonce_len, aad, aad_len, pt, n, ct_out, tag_out, err);
}

int levy_crypto_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                            size_t nonce_len, const void *aad, size_t aad_len, const void *ct,
                            size_t n, const uint8_t tag[LEVY_GCM_TAG_LEN], uint8_t *pt_out,
                            levy_err *err)
{
    uint8_t t[LEVY_GCM_TAG_LEN];
    memcpy(t, tag, sizeof t);
    return gcm(0, key, key_len, nonce, nonce_len, aad, aad_len, ct, n, pt_out, t, err);
}

int levy_crypto_seal(const uint8_t key[LEVY_KEY_LEN], const void *pt, size_t n, const void *aad,
                     size_t aad_len, uint8_t *out, levy_err *err)
{
    out[0] = LEVY_SEAL_VERSION;
    int rc = levy_crypto_random(out + 1, LEVY_GCM_NONCE_LEN, err);
    if (rc)
        return rc;
    return gcm(1, key, LEVY_KEY_LEN, out + 1, LEVY_GCM_NONCE_LEN, aad, aad_len, pt, n,
               out + 1 + LEVY_GCM_NONCE_LEN, out + 1 + LEVY_GCM_NONCE_LEN + n, err);
}

int levy_crypto_open(const uint8_t key[LEVY_KEY_LEN], const uint8_t *in, size_t len,
                     const void *aad, size_t aad_len, uint8_t *pt_out, size_t *pt_len,
                     levy_err *err)
{
    if (len < LEVY_SEAL_OVERHEAD || in[0] != LEVY_SEAL_VERSION)
        return levy_err_set(err, LEVY_ECRYPTO, "bad_ciphertext", "not a sealed value");
    size_t n = len - LEVY_SEAL_OVERHEAD;
    int rc = levy_crypto_gcm_decrypt(key, LEVY_KEY_LEN, in + 1, LEVY_GCM_NONCE_LEN, aad, aad_len,
                                     in + 1 + LEVY_GCM_NONCE_LEN, n,
                                     in + 1 + LEVY_GCM_NONCE_LEN + n, pt_out, err);
    if (rc) {
        memset(pt_out, 0, n);
        return rc;
    }
    *pt_len = n;
    return LEVY_OK;
}

/* Reads a small text file (≤ cap-1 bytes), trimming trailing whitespace. */
static int read_small(const char *path, char *buf, size_t cap, levy_err *err)
{
    size_t n = 0;
    int rc = levy_file_read_into(path, buf, cap, &n, err);
    if (rc != LEVY_OK)
        return rc;
    while (n &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = 0;
    return LEVY_OK;
}

/* Creates path exclusively with mode 0600 and writes text + "\n". LEVY_ECONFLICT if it
 * already exists (a concurrent creator won: re-read). */
static int write_excl(const char *path, const char *text, levy_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? LEVY_ECONFLICT
                               : levy_err_set(err, LEVY_EIO, "io", "cannot create %s: %s", path,
                                              strerror(errno));
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok) {
        unlink(path);
        return levy_err_set(err, LEVY_EIO, "io", "cannot write %s: %s", path, strerror(saved));
    }
    return LEVY_OK;
}

static int decode_key(const char *text, uint8_t key[LEVY_KEY_LEN], const char *from, levy_err *err)
{
    uint8_t buf[64];
    size_t n = 0, len = strlen(text);
    if (len > 64 || levy_b64_decode(text, len, 0, buf, &n, NULL) != LEVY_OK || n != LEVY_KEY_LEN) {
        OPENSSL_cleanse(buf, sizeof buf);
        return levy_err_set(err, LEVY_EINVAL, "bad_master_key",
                            "%s must be the Base64 of exactly 32 bytes", from);
    }
    memcpy(key, buf, LEVY_KEY_LEN);
    OPENSSL_cleanse(buf, sizeof buf);
    return LEVY_OK;
}

int levy_crypto_master_key_load(const char *data_dir, uint8_t key[LEVY_KEY_LEN], levy_err *err)
{
    char path[4096], text[128];
    int rc;
    const char *env = getenv("LEVY_MASTER_KEY");
    if (env && *env) {
        levy_log_add_secret(env);
        return decode_key(env, key, "LEVY_MASTER_KEY", err);
    }
    if (snprintf(path, sizeof path, "%s/master.key", data_dir) >= (int)sizeof path)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "data dir path too long");
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = read_small(path, text, sizeof text, err);
        if (rc == LEVY_OK) {
            levy_log_add_secret(text);
            rc = decode_key(text, key, path, err);
            goto done;
        }
        if (rc != LEVY_ENOTFOUND)
            goto done;
        uint8_t raw[LEVY_KEY_LEN];
        if ((rc = levy_crypto_random(raw, sizeof raw, err)) != LEVY_OK)
            goto done;
        levy_b64_encode(raw, sizeof raw, 0, text);
        OPENSSL_cleanse(raw, sizeof raw);
        rc = write_excl(path, text, err);
        if (rc == LEVY_ECONFLICT)
            continue;
        if (rc == LEVY_OK) {
            levy_log_add_secret(text);
            rc = decode_key(text, key, path, err);
        }
        goto done;
    }
    rc = levy_err_set(err, LEVY_EIO, "io", "cannot create %s", path);
done:
    OPENSSL_cleanse(text, sizeof text);
    return rc;
}

static uint8_t g_master[LEVY_KEY_LEN];
static int g_master_set;

void levy_crypto_set_master_key(const uint8_t key[LEVY_KEY_LEN])
{
    if (key)
        memcpy(g_master, key, LEVY_KEY_LEN);
    else
        OPENSSL_cleanse(g_master, sizeof g_master);
    g_master_set = key != NULL;
}

const uint8_t *levy_crypto_master_key(void) { return g_master_set ? g_master : NULL; }

int levy_crypto_token_load(const char *data_dir, const char *env_value, char *out, size_t cap,
                           int *created, levy_err *err)
{
    char path[4096], text[600]; /* tokens up to 512 characters (host/auth.h) */
    int rc;
    if (created)
        *created = 0;
    if (env_value && *env_value) {
        if (strlen(env_value) + 1 > cap)
            return levy_err_set(err, LEVY_EINVAL, "invalid", "API token too long");
        strcpy(out, env_value);
        levy_log_add_secret(out);
        return LEVY_OK;
    }
    if (snprintf(path, sizeof path, "%s/api-token", data_dir) >= (int)sizeof path)
        return levy_err_set(err, LEVY_EINVAL, "invalid", "data dir path too long");
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = read_small(path, text, sizeof text, err);
        if (rc == LEVY_OK) {
            if (!*text) {
                rc = levy_err_set(err, LEVY_EINVAL, "invalid", "%s is empty", path);
                goto done;
            }
            break;
        }
        if (rc != LEVY_ENOTFOUND)
            goto done;
        uint8_t raw[32];
        if ((rc = levy_crypto_random(raw, sizeof raw, err)) != LEVY_OK)
            goto done;
        levy_b64_encode(raw, sizeof raw, LEVY_B64_URL | LEVY_B64_NOPAD, text);
        OPENSSL_cleanse(raw, sizeof raw);
        rc = write_excl(path, text, err);
        if (rc == LEVY_ECONFLICT)
            continue;
        if (rc != LEVY_OK)
            goto done;
        if (created)
            *created = 1;
        break;
    }
    if (rc != LEVY_OK)
        goto done;
    if (strlen(text) + 1 > cap) {
        rc = levy_err_set(err, LEVY_EINVAL, "invalid", "API token too long");
        goto done;
    }
    strcpy(out, text);
    levy_log_add_secret(out);
done:
    OPENSSL_cleanse(text, sizeof text);
    return rc;
}
