/* cep_tls: the session and context structs shared by cep_tls.c (client,
 * I/O, digests) and cep_tls_server.c (server contexts and sessions). */
#ifndef CEP_TLS_INTERNAL_H
#define CEP_TLS_INTERNAL_H

#include <openssl/ssl.h>

struct cep_tls_ctx {
    SSL_CTX *ssl_ctx;
};

struct cep_tls {
    SSL *ssl;
};

/* Attaches `ssl` to socket `fd` in the client or server role and wraps it;
 * frees `ssl` and returns NULL on failure. */
struct cep_tls *cep_tls_wrap(SSL *ssl, int fd, int server);

#endif /* CEP_TLS_INTERNAL_H */
