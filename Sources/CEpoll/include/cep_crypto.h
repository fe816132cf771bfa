/* Keyed cryptography for client authentication (issue 17): HMAC-SHA-256 (JWT HS256,
 * RFC 7518 section 3.2), AES-256-GCM sealing (NIST SP 800-38D), random bytes, and bcrypt
 * verification through libcrypt's crypt_r. Mechanism only: keys, nonces and buffers come
 * from the caller; nothing is kept between calls. Every function is thread-safe. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** HMAC-SHA-256 of data under key; writes 32 bytes to out. 0, or -1 on failure. */
int cep_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len, uint8_t *out);

/** Constant-time comparison of len bytes: 0 when equal, non-zero otherwise. */
int cep_memcmp_const(const void *a, const void *b, size_t len);

/** len cryptographically strong random bytes into out (OpenSSL RAND_bytes). 0, or -1. */
int cep_random_bytes(uint8_t *out, size_t len);

/** AES-256-GCM: encrypts len bytes of plain under the 32-byte key and 12-byte nonce into
 *  cipher (len bytes) and writes the 16-byte tag. 0, or -1 on failure. */
int cep_aead_seal(const uint8_t *key, const uint8_t *nonce, const void *plain, size_t len, uint8_t *cipher, uint8_t *tag);

/** AES-256-GCM: decrypts len bytes of cipher into plain when the 16-byte tag authenticates
 *  them. 0, or -1 when the tag does not match (plain's bytes are then meaningless). */
int cep_aead_open(const uint8_t *key, const uint8_t *nonce, const void *cipher, size_t len, const uint8_t *tag, uint8_t *plain);

/** Whether password hashes to hash (a crypt(3) setting such as bcrypt's $2y$...) with
 *  crypt_r: 1 match, 0 mismatch, -EINVAL for a hash libcrypt refuses, -ENOMEM.
 *  CPU-heavy by design (bcrypt): never call on an event loop. */
int cep_crypt_verify(const char *password, const char *hash);

#ifdef __cplusplus
}
#endif
