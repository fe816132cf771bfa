/*
 * cep_tls: OpenSSL client sessions over non-blocking sockets, message
 * digests and gzip inflation. Mechanism only; every call either completes,
 * reports that it wants the socket readable/writable, or fails with a
 * message the caller can log.
 */
#ifndef CEP_TLS_H
#define CEP_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CEP_TLS_WANT_READ (-2)
#define CEP_TLS_WANT_WRITE (-3)
#define CEP_TLS_ERROR (-1)

typedef struct cep_tls_ctx cep_tls_ctx;
typedef struct cep_tls cep_tls;

/** A client context: TLS 1.2+, peer verification against `ca_file` (PEM) or,
 *  when NULL, the system store; `verify` 0 disables verification (only by an
 *  operator's explicit choice). NULL on failure (see cep_tls_last_error). */
cep_tls_ctx *cep_tls_client_ctx_new(const char *ca_file, int verify);
void cep_tls_ctx_free(cep_tls_ctx *ctx);

/** A session on connected socket `fd` for `hostname`: sets SNI (unless the
 *  name is an IP literal) and, when verifying, checks the certificate's names
 *  (or IP) against it. NULL on failure. */
cep_tls *cep_tls_new(cep_tls_ctx *ctx, int fd, const char *hostname);
void cep_tls_free(cep_tls *tls);

/* cep_tls_handshake, _read and _write first clear the calling thread's
 * OpenSSL error queue, so a stale error of another session on the same
 * thread can never be reported as this session's. */
/** Drives the handshake: 0 done, CEP_TLS_WANT_READ/WRITE, CEP_TLS_ERROR. */
int cep_tls_handshake(cep_tls *tls);
/** > 0 bytes read; 0 the peer closed (close_notify or EOF);
 *  CEP_TLS_WANT_READ/WRITE; CEP_TLS_ERROR. */
ssize_t cep_tls_read(cep_tls *tls, void *buf, size_t len);
/** > 0 bytes written; CEP_TLS_WANT_READ/WRITE; CEP_TLS_ERROR. */
ssize_t cep_tls_write(cep_tls *tls, const void *buf, size_t len);
/** Copies the most recent OpenSSL error of this thread (or the verification
 *  result) into buf as text and clears the thread's error queue. */
void cep_tls_last_error(cep_tls *tls, char *buf, size_t cap);

/* Message digests (SHA-256, SHA-512), incremental. */
typedef struct cep_digest cep_digest;
/** algorithm: 0 SHA-256, 1 SHA-512. NULL on failure. */
cep_digest *cep_digest_new(int algorithm);
void cep_digest_update(cep_digest *d, const void *buf, size_t len);
/** Writes the digest (32 or 64 bytes) and returns its length; the context
 *  is reset for reuse with the same algorithm. */
int cep_digest_final(cep_digest *d, uint8_t *out);
void cep_digest_free(cep_digest *d);

/* gzip/zlib inflation of a whole in-memory body (manifests only). Returns the
 * inflated length, -2 when it would exceed out_cap, -1 on corrupt input. */
ssize_t cep_gunzip(const void *in, size_t in_len, void *out, size_t out_cap);

#ifdef __cplusplus
}
#endif

#endif /* CEP_TLS_H */
