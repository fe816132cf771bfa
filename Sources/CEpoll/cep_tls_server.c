/* cep_tls_server: OpenSSL server contexts and sessions for client
 * connections on a TLS listen address; see include/cep_tls.h. */
#include "cep_tls.h"
#include "cep_tls_internal.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The one protocol we speak, in ALPN wire format (length-prefixed). */
static const unsigned char alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

/* RFC 7301 section 3.2: a client that offers ALPN without a protocol we speak
 * gets a fatal no_application_protocol alert; one that offers no ALPN at all
 * is served HTTP/1.1 (the callback is not called). */
static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, alpn_http11, sizeof alpn_http11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

static EVP_PKEY *read_key(const char *key_file) {
    BIO *bio = BIO_new_file(key_file, "r");
    if (!bio) return NULL;
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return key;
}

cep_tls_ctx *cep_tls_server_ctx_new(const char *chain_file, const char *key_file, int enable_ktls, int *failed) {
    ERR_clear_error();
    *failed = 0;
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c) return NULL;
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    /* Partial writes and a moving buffer: a file chunk re-read into the loop's
     * shared buffer after WANT_WRITE is the same bytes at another address. */
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
#ifdef SSL_OP_ENABLE_KTLS
    if (enable_ktls) options |= SSL_OP_ENABLE_KTLS;
#else
    (void)enable_ktls;
#endif
    SSL_CTX_set_options(c, options);
    SSL_CTX_set_alpn_select_cb(c, select_alpn, NULL);
    if (SSL_CTX_use_certificate_chain_file(c, chain_file) != 1) {
        *failed = CEP_TLS_BAD_CERTIFICATE;
        SSL_CTX_free(c);
        return NULL;
    }
    EVP_PKEY *key = read_key(key_file);
    if (!key) {
        *failed = CEP_TLS_BAD_KEY;
        SSL_CTX_free(c);
        return NULL;
    }
    int used = SSL_CTX_use_PrivateKey(c, key);
    EVP_PKEY_free(key);
    if (used != 1 || SSL_CTX_check_private_key(c) != 1) {
        *failed = CEP_TLS_KEY_MISMATCH;
        SSL_CTX_free(c);
        return NULL;
    }
    cep_tls_ctx *ctx = OPENSSL_zalloc(sizeof *ctx);
    if (!ctx) {
        SSL_CTX_free(c);
        return NULL;
    }
    ctx->ssl_ctx = c;
    return ctx;
}

cep_tls *cep_tls_server_new(cep_tls_ctx *ctx, int fd) {
    SSL *ssl = SSL_new(ctx->ssl_ctx);
    if (!ssl) return NULL;
    return cep_tls_wrap(ssl, fd, 1);
}

int cep_tls_set_alpn(cep_tls *tls, const unsigned char *protocols, size_t len) {
    /* SSL_set_alpn_protos returns 0 on success (unlike most of OpenSSL). */
    return SSL_set_alpn_protos(tls->ssl, protocols, (unsigned int)len) == 0 ? 0 : -1;
}

int cep_tls_pending(cep_tls *tls) { return SSL_pending(tls->ssl); }

void cep_tls_close_notify(cep_tls *tls) {
    ERR_clear_error();
    if (SSL_is_init_finished(tls->ssl)) SSL_shutdown(tls->ssl);
    ERR_clear_error();
}

int cep_tls_ktls_send(cep_tls *tls) {
#ifdef SSL_OP_ENABLE_KTLS
    return BIO_get_ktls_send(SSL_get_wbio(tls->ssl)) ? 1 : 0;
#else
    (void)tls;
    return 0;
#endif
}

ssize_t cep_tls_sendfile(cep_tls *tls, int file_fd, int64_t offset, size_t len) {
#ifdef SSL_OP_ENABLE_KTLS
    ERR_clear_error(); /* see cep_tls_handshake */
    ossl_ssize_t n = SSL_sendfile(tls->ssl, file_fd, (off_t)offset, len, 0);
    if (n > 0) return (ssize_t)n;
    int err = SSL_get_error(tls->ssl, (int)n);
    if (err == SSL_ERROR_WANT_WRITE) return CEP_TLS_WANT_WRITE;
    return CEP_TLS_ERROR;
#else
    (void)tls;
    (void)file_fd;
    (void)offset;
    (void)len;
    return CEP_TLS_ERROR;
#endif
}

static int path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

int cep_tls_kernel_offers_ktls(void) {
    /* Loaded (or built in): listed as an available upper-layer protocol. */
    char ulps[256] = {0};
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
    if (f) {
        size_t n = fread(ulps, 1, sizeof ulps - 1, f);
        fclose(f);
        ulps[n] = '\0';
        for (char *word = strtok(ulps, " \n"); word; word = strtok(NULL, " \n"))
            if (strcmp(word, "tls") == 0) return 1;
    }
    if (path_exists("/sys/module/tls")) return 1;
    /* Not loaded yet, but a module the kernel loads on the first TCP_ULP "tls". */
    struct utsname u;
    if (uname(&u) != 0) return 0;
    char path[512];
    static const char *const suffixes[] = {"", ".xz", ".zst", ".gz"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "/lib/modules/%s/kernel/net/tls/tls.ko%s", u.release, suffixes[i]);
        if (path_exists(path)) return 1;
    }
    return 0;
}

int cep_tls_version(cep_tls *tls) { return SSL_version(tls->ssl); }

void cep_tls_alpn(cep_tls *tls, char *buf, size_t cap) {
    if (cap == 0) return;
    const unsigned char *data = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(tls->ssl, &data, &len);
    if (len >= cap) len = (unsigned int)cap - 1;
    if (len) memcpy(buf, data, len);
    buf[len] = '\0';
}

int cep_tls_peer_certificate_sha256(cep_tls *tls, uint8_t *out) {
    X509 *peer = SSL_get1_peer_certificate(tls->ssl);
    if (!peer) return -1;
    unsigned int n = 0;
    int ok = X509_digest(peer, EVP_sha256(), out, &n);
    X509_free(peer);
    return ok == 1 && n == 32 ? 0 : -1;
}

int cep_tls_peer_chain_length(cep_tls *tls) {
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(tls->ssl);
    return chain ? sk_X509_num(chain) : 0;
}
