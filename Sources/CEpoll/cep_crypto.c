#include "cep_crypto.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

int cep_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len, uint8_t *out) {
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, data_len, out, &n) || n != 32) return -1;
    return 0;
}

int cep_memcmp_const(const void *a, const void *b, size_t len) { return CRYPTO_memcmp(a, b, len); }

int cep_random_bytes(uint8_t *out, size_t len) { return RAND_bytes(out, (int)len) == 1 ? 0 : -1; }

static int cep_aead(int encrypt, const uint8_t *key, const uint8_t *nonce, const void *in, size_t len, uint8_t *out, uint8_t *tag) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return -1;
    int ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1
        && EVP_CipherInit_ex(c, NULL, NULL, key, nonce, encrypt) == 1;
    int n = 0;
    if (ok && len > 0) ok = EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
    if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
    if (ok) ok = EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int cep_aead_seal(const uint8_t *key, const uint8_t *nonce, const void *plain, size_t len, uint8_t *cipher, uint8_t *tag) {
    return cep_aead(1, key, nonce, plain, len, cipher, tag);
}

int cep_aead_open(const uint8_t *key, const uint8_t *nonce, const void *cipher, size_t len, const uint8_t *tag, uint8_t *plain) {
    return cep_aead(0, key, nonce, cipher, len, plain, (uint8_t *)tag);
}

int cep_crypt_verify(const char *password, const char *hash) {
    /* struct crypt_data is about 32 KiB: on the heap, not a pool thread's stack. */
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data) return -ENOMEM;
    const char *result = crypt_r(password, hash, data);
    int answer;
    /* libxcrypt returns a string starting with '*' for an invalid setting. */
    if (!result || result[0] == '*') {
        answer = -EINVAL;
    } else {
        size_t n = strlen(hash);
        answer = strlen(result) == n && CRYPTO_memcmp(result, hash, n) == 0 ? 1 : 0;
    }
    explicit_bzero(data, sizeof *data);
    free(data);
    return answer;
}
