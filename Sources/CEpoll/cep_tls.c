/* cep_tls: OpenSSL and zlib glue; see include/cep_tls.h. */
#include "cep_tls.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "cep_tls_internal.h"

struct cep_digest {
    EVP_MD_CTX *md_ctx;
    const EVP_MD *md;
};

cep_tls_ctx *cep_tls_client_ctx_new(const char *ca_file, int verify) {
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c) return NULL;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (verify) {
        int ok = ca_file ? SSL_CTX_load_verify_locations(c, ca_file, NULL) : SSL_CTX_set_default_verify_paths(c);
        if (ok != 1) {
            SSL_CTX_free(c);
            return NULL;
        }
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    }
    cep_tls_ctx *ctx = OPENSSL_zalloc(sizeof *ctx);
    if (!ctx) {
        SSL_CTX_free(c);
        return NULL;
    }
    ctx->ssl_ctx = c;
    return ctx;
}

void cep_tls_ctx_free(cep_tls_ctx *ctx) {
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl_ctx);
    OPENSSL_free(ctx);
}

static int is_ip_literal(const char *host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

cep_tls *cep_tls_new(cep_tls_ctx *ctx, int fd, const char *hostname) {
    SSL *ssl = SSL_new(ctx->ssl_ctx);
    if (!ssl) return NULL;
    int ip = is_ip_literal(hostname);
    if (!ip) SSL_set_tlsext_host_name(ssl, hostname);
    if (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, hostname) : X509_VERIFY_PARAM_set1_host(param, hostname, 0);
        if (ok != 1) {
            SSL_free(ssl);
            return NULL;
        }
    }
    return cep_tls_wrap(ssl, fd, 0);
}

struct cep_tls *cep_tls_wrap(SSL *ssl, int fd, int server) {
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    if (server) SSL_set_accept_state(ssl); else SSL_set_connect_state(ssl);
    cep_tls *t = OPENSSL_zalloc(sizeof *t);
    if (!t) {
        SSL_free(ssl);
        return NULL;
    }
    t->ssl = ssl;
    return t;
}

void cep_tls_free(cep_tls *tls) {
    if (!tls) return;
    SSL_free(tls->ssl);
    OPENSSL_free(tls);
}

static int map_error(cep_tls *tls, int rc) {
    switch (SSL_get_error(tls->ssl, rc)) {
    case SSL_ERROR_WANT_READ: return CEP_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return CEP_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return 0;
    default: return CEP_TLS_ERROR;
    }
}

/* SSL_get_error consults this thread's error queue: an entry left behind
 * by another connection on the same loop thread (one that failed and was
 * closed without its error being read) would turn this connection's
 * harmless WANT_READ into SSL_ERROR_SSL. So every I/O step starts with an
 * empty queue, as nginx (ngx_ssl_clear_error) and h2o do. */
int cep_tls_handshake(cep_tls *tls) {
    ERR_clear_error();
    int rc = SSL_do_handshake(tls->ssl);
    if (rc == 1) return 0;
    int m = map_error(tls, rc);
    return m == 0 ? CEP_TLS_ERROR : m;
}

ssize_t cep_tls_read(cep_tls *tls, void *buf, size_t len) {
    size_t got = 0;
    ERR_clear_error(); /* see cep_tls_handshake */
    int rc = SSL_read_ex(tls->ssl, buf, len, &got);
    if (rc == 1) return (ssize_t)got;
    int err = SSL_get_error(tls->ssl, rc);
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    /* A peer that closes the TCP connection without close_notify: treat as
     * end of stream; the HTTP framing above decides whether it was complete. */
    if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;
    if (err == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return 0;
    }
    return map_error(tls, rc);
}

ssize_t cep_tls_write(cep_tls *tls, const void *buf, size_t len) {
    size_t done = 0;
    ERR_clear_error(); /* see cep_tls_handshake */
    int rc = SSL_write_ex(tls->ssl, buf, len, &done);
    if (rc == 1) return (ssize_t)done;
    int m = map_error(tls, rc);
    return m == 0 ? CEP_TLS_ERROR : m;
}

void cep_tls_last_error(cep_tls *tls, char *buf, size_t cap) {
    if (cap == 0) return;
    buf[0] = '\0';
    if (tls) {
        long v = SSL_get_verify_result(tls->ssl);
        if (v != X509_V_OK) {
            snprintf(buf, cap, "certificate verification failed: %s", X509_verify_cert_error_string(v));
            ERR_clear_error();
            return;
        }
    }
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, buf, cap);
    else snprintf(buf, cap, "TLS connection failed");
    ERR_clear_error();
}

cep_digest *cep_digest_new(int algorithm) {
    const EVP_MD *md = algorithm == 1 ? EVP_sha512() : EVP_sha256();
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return NULL;
    if (EVP_DigestInit_ex(c, md, NULL) != 1) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    cep_digest *d = OPENSSL_zalloc(sizeof *d);
    if (!d) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    d->md_ctx = c;
    d->md = md;
    return d;
}

void cep_digest_update(cep_digest *d, const void *buf, size_t len) { EVP_DigestUpdate(d->md_ctx, buf, len); }

int cep_digest_final(cep_digest *d, uint8_t *out) {
    unsigned int n = 0;
    EVP_DigestFinal_ex(d->md_ctx, out, &n);
    EVP_DigestInit_ex(d->md_ctx, d->md, NULL);
    return (int)n;
}

void cep_digest_free(cep_digest *d) {
    if (!d) return;
    EVP_MD_CTX_free(d->md_ctx);
    OPENSSL_free(d);
}

ssize_t cep_gunzip(const void *in, size_t in_len, void *out, size_t out_cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 32 + MAX_WBITS: accept gzip or zlib headers. */
    if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return -1;
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)out_cap;
    int rc = inflate(&zs, Z_FINISH);
    ssize_t n = (ssize_t)zs.total_out;
    inflateEnd(&zs);
    if (rc == Z_STREAM_END) return n;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) return -2;
    return -1;
}
