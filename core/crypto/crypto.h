#ifndef LEVY_CRYPTO_H
#define LEVY_CRYPTO_H
/* Cryptographic primitives over OpenSSL 3 (EVP only). Never includes lua.h.
 * Error codes: LEVY_EINVAL "bad_base64" / "invalid", LEVY_ECRYPTO "bad_ciphertext",
 * LEVY_EIO "io" (key files), LEVY_EINTERNAL "crypto" (OpenSSL failure). */
#include <stddef.h>
#include <stdint.h>

#include "levy.h"

#define LEVY_SHA256_LEN 32
#define LEVY_KEY_LEN 32 /* AES-256 master key */
#define LEVY_GCM_NONCE_LEN 12
#define LEVY_GCM_TAG_LEN 16
#define LEVY_SEAL_VERSION 1 /* leading key-version byte of sealed blobs */
/* Raw sealed length for a plaintext of n bytes: version ‖ nonce ‖ ciphertext ‖ tag. */
#define LEVY_SEAL_OVERHEAD (1 + LEVY_GCM_NONCE_LEN + LEVY_GCM_TAG_LEN)

/* SHA-256 without OpenSSL's providers (crypto.c: an idle levy hashes its files before it
 * serves and should not pay for them); never fails. */
int levy_crypto_sha256(const void *data, size_t len, uint8_t out[LEVY_SHA256_LEN], levy_err *err);
/* The same, fed in pieces; final wipes the context. */
typedef struct levy_sha256_ctx {
    _Alignas(16) unsigned char opaque[128];
} levy_sha256_ctx;
void levy_sha256_init(levy_sha256_ctx *c);
void levy_sha256_update(levy_sha256_ctx *c, const void *data, size_t len);
void levy_sha256_final(levy_sha256_ctx *c, uint8_t out[LEVY_SHA256_LEN]);
int levy_crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                            uint8_t out[LEVY_SHA256_LEN], levy_err *err);
/* Constant-time equality (CRYPTO_memcmp); different lengths → 0 (length is not secret). */
int levy_crypto_equal(const void *a, size_t a_len, const void *b, size_t b_len);
/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void levy_crypto_hex(const void *data, size_t n, char *out);

/* Base64. flags: LEVY_B64_URL (alphabet -_ instead of +/), LEVY_B64_NOPAD (no '=').
 * levy_b64_encoded_len(n, flags) bytes + 1 NUL are needed for encode.
 * Decode is strict: only the alphabet of `flags` (std or url), padding optional but when
 * present must be correct, no whitespace, non-zero trailing bits rejected, a length ≡ 1
 * mod 4 rejected. out needs levy_b64_decoded_max(len) bytes. *out_len = bytes written. */
#define LEVY_B64_URL 1
#define LEVY_B64_NOPAD 2
size_t levy_b64_encoded_len(size_t n, int flags);
size_t levy_b64_decoded_max(size_t len);
size_t levy_b64_encode(const void *data, size_t n, int flags, char *out);
int levy_b64_decode(const char *s, size_t len, int flags, uint8_t *out, size_t *out_len,
                    levy_err *err);

/* n bytes from the kernel's CSPRNG, getrandom(2) (LEVY_EINTERNAL on failure). */
int levy_crypto_random(void *buf, size_t n, levy_err *err);
/* prefix ‖ 24 chars of lower-case RFC 4648 base32 (a-z2-7) from 15 random bytes (120 bits).
 * out needs strlen(prefix) + 25 bytes; cap checked (LEVY_EINVAL). */
#define LEVY_ID_RANDOM_CHARS 24
int levy_crypto_id(const char *prefix, char *out, size_t cap, levy_err *err);

/* AES-256-GCM with a random 12-byte nonce. out = version(1) ‖ nonce(12) ‖ ct(n) ‖ tag(16);
 * out must hold n + LEVY_SEAL_OVERHEAD bytes. aad may be NULL when aad_len == 0. */
int levy_crypto_seal(const uint8_t key[LEVY_KEY_LEN], const void *pt, size_t n, const void *aad,
                     size_t aad_len, uint8_t *out, levy_err *err);
/* Inverse: checks version byte, length, tag. pt_out needs len - LEVY_SEAL_OVERHEAD bytes;
 * any tampering (version, nonce, ct, tag, aad) → LEVY_ECRYPTO "bad_ciphertext". */
int levy_crypto_open(const uint8_t key[LEVY_KEY_LEN], const uint8_t *in, size_t len,
                     const void *aad, size_t aad_len, uint8_t *pt_out, size_t *pt_len,
                     levy_err *err);
/* Low-level GCM with a caller nonce (test vectors). tag_out / tag: 16 bytes. */
int levy_crypto_gcm_encrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                            size_t nonce_len, const void *aad, size_t aad_len, const void *pt,
                            size_t n, uint8_t *ct_out, uint8_t tag_out[LEVY_GCM_TAG_LEN],
                            levy_err *err);
int levy_crypto_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                            size_t nonce_len, const void *aad, size_t aad_len, const void *ct,
                            size_t n, const uint8_t tag[LEVY_GCM_TAG_LEN], uint8_t *pt_out,
                            levy_err *err);

/* Master key: standard Base64 (padded or not) of exactly 32 bytes, from env LEVY_MASTER_KEY
 * if set (and non-empty), else DIR/master.key (read; or created with O_CREAT|O_EXCL, mode
 * 0600, containing the Base64 text and a newline). The key text is registered with
 * levy_log_add_secret. A bad env value or file → LEVY_EINVAL "bad_master_key"; I/O →
 * LEVY_EIO. */
int levy_crypto_master_key_load(const char *data_dir, uint8_t key[LEVY_KEY_LEN], levy_err *err);

/* The process master key used by levy.crypto.seal/open (set by the host after
 * levy_crypto_master_key_load; NULL clears). levy_crypto_master_key() → NULL when unset. */
void levy_crypto_set_master_key(const uint8_t key[LEVY_KEY_LEN]);
const uint8_t *levy_crypto_master_key(void);

/* API token: env_value if non-NULL and non-empty (used as is, *created = 0), else
 * DIR/api-token (read and trimmed; or created O_EXCL 0600 from 32 random bytes as unpadded
 * base64url, 43 chars, *created = 1). Registered with levy_log_add_secret. out needs >= 64
 * bytes; longer tokens → LEVY_EINVAL. created may be NULL. */
int levy_crypto_token_load(const char *data_dir, const char *env_value, char *out, size_t cap,
                           int *created, levy_err *err);

#endif
