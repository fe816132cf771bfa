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
/** Offers ALPN protocols (wire format: length-prefixed names) on a client
 *  session before its handshake. 0 on success, -1 on failure. */
int cep_tls_set_alpn(cep_tls *tls, const unsigned char *protocols, size_t len);

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

/* Server side (client connections on a TLS listen address). */

/** What cep_tls_server_ctx_new could not use. */
#define CEP_TLS_BAD_CERTIFICATE 1
#define CEP_TLS_BAD_KEY 2
#define CEP_TLS_KEY_MISMATCH 3

/** A server context: the certificate chain in `chain_file` (PEM: the leaf
 *  first, then any intermediates) and its private key in `key_file` (PEM,
 *  unencrypted); TLS 1.2 and 1.3 only, ALPN `http/1.1` (a client offering
 *  ALPN without it gets no_application_protocol, RFC 7301 section 3.2), no
 *  renegotiation, buffers released while idle. `enable_ktls` asks OpenSSL to
 *  hand record encryption to the kernel (SSL_OP_ENABLE_KTLS) where it can.
 *  NULL on failure, with `*failed` set to CEP_TLS_BAD_CERTIFICATE,
 *  CEP_TLS_BAD_KEY or CEP_TLS_KEY_MISMATCH and the reason left for
 *  cep_tls_last_error(NULL, ...). */
cep_tls_ctx *cep_tls_server_ctx_new(const char *chain_file, const char *key_file, int enable_ktls, int *failed);
/** A server session on accepted socket `fd` (accept state; the handshake
 *  runs in cep_tls_handshake). The session holds its own reference to the
 *  context, so the context may be freed while sessions live. NULL on failure. */
cep_tls *cep_tls_server_new(cep_tls_ctx *ctx, int fd);
/** Decrypted bytes OpenSSL holds that the socket will not signal again. */
int cep_tls_pending(cep_tls *tls);
/** Sends close_notify once, without waiting for the peer's (non-blocking,
 *  errors ignored): the polite end of a connection about to be closed. */
void cep_tls_close_notify(cep_tls *tls);
/** 1 when the session's records are sent by the kernel (kTLS), else 0.
 *  Meaningful once the handshake is done. */
int cep_tls_ktls_send(cep_tls *tls);
/** SSL_sendfile of `len` bytes of `file_fd` at `offset` on a kTLS session:
 *  > 0 bytes sent, CEP_TLS_WANT_WRITE, or CEP_TLS_ERROR. */
ssize_t cep_tls_sendfile(cep_tls *tls, int file_fd, int64_t offset, size_t len);
/** 1 when the running kernel offers the `tls` upper-layer protocol (loaded,
 *  built in, or a loadable module for this kernel), else 0. */
int cep_tls_kernel_offers_ktls(void);
/** The negotiated protocol version (0x0303 TLS 1.2, 0x0304 TLS 1.3). */
int cep_tls_version(cep_tls *tls);
/** Copies the ALPN protocol selected (NUL-terminated, "" when none). */
void cep_tls_alpn(cep_tls *tls, char *buf, size_t cap);
/** Writes the SHA-256 of the peer's (leaf) certificate to `out` (32 bytes);
 *  returns 0, or -1 when there is no peer certificate. */
int cep_tls_peer_certificate_sha256(cep_tls *tls, uint8_t *out);
/** Number of certificates the peer sent (leaf plus intermediates), 0 when none. */
int cep_tls_peer_chain_length(cep_tls *tls);

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
