/* Layering probe (tests/layering.cmake): must NOT link against levy_base alone: base does not
 * link OpenSSL (crypto is the domain layer's).
 * undefined: OPENSSL_cleanse */
#include <openssl/crypto.h>

int main(void)
{
    char b[4] = "abc";
    OPENSSL_cleanse(b, sizeof b);
    return b[0];
}
