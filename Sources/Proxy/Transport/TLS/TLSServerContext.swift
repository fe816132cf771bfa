import CEpoll
import ProxySystem

/// The certificate chain and key that clients of a TLS listen address are served, as an
/// OpenSSL server context (TLS 1.2 and 1.3, ALPN `http/1.1`) that ``reload()`` replaces
/// while the server runs.
///
/// A reload builds a fresh context from the files and swaps it in for connections accepted
/// afterwards; connections already open keep the context they started with (each session
/// holds its own reference to it), so nothing in flight is disturbed. A reload whose files
/// are unusable throws and leaves the current context in place.
///
/// `@unchecked Sendable`: `current` is read and replaced only under `lock` (a pointer
/// swap, no syscall inside); `TLSServerCertificate` is immutable; the paths are `let`s.
package final class TLSServerContext: @unchecked Sendable {
    /// The PEM certificate chain file (leaf first, then intermediates).
    package let certificatePath: String
    /// The PEM private key file of the leaf certificate.
    package let keyPath: String
    /// Whether the kernel offers the `tls` upper-layer protocol (kTLS); when it does,
    /// OpenSSL is asked to use it and file bodies go out with `SSL_sendfile`.
    package let kernelOffersKTLS: Bool
    private let lock = PThreadLock()
    private var current: TLSServerCertificate

    /// Loads the chain and key.
    /// - Parameter kernelOffersKTLS: nil = ask the kernel (``TLSServerContext/kernelOffersKTLSNow``).
    /// - Throws: ``TLSServerContextError`` naming the file that is unusable (unreadable, not
    ///   PEM, or a key that is not the certificate's).
    package init(certificatePath: String, keyPath: String, kernelOffersKTLS: Bool? = nil) throws(TLSServerContextError) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.kernelOffersKTLS = kernelOffersKTLS ?? TLSServerContext.kernelOffersKTLSNow
        current = try TLSServerCertificate(certificatePath: certificatePath, keyPath: keyPath,
                                           enableKTLS: self.kernelOffersKTLS)
    }

    /// Loads the certificate chain and key again from the same paths into a new context and,
    /// if they are usable, serves them to every connection accepted from now on; connections
    /// already open keep theirs. Any thread (the lead wires it to SIGHUP).
    /// - Throws: ``TLSServerContextError`` when the files are unusable; the context in use
    ///   is then kept, so a half-written certificate never takes the listener down.
    package func reload() throws(TLSServerContextError) {
        try prepareReload()()
    }

    /// The first half of ``reload()``, for a reload that must be all or nothing (SIGHUP:
    /// `Reloadable`): loads the files into a fresh context without serving it.
    /// - Returns: the swap, to run once the whole reload is accepted (any thread).
    /// - Throws: ``TLSServerContextError`` when the files are unusable; nothing changed.
    package func prepareReload() throws(TLSServerContextError) -> @Sendable () -> Void {
        let fresh = try TLSServerCertificate(certificatePath: certificatePath, keyPath: keyPath, enableKTLS: kernelOffersKTLS)
        return { [self] in
            lock.withLock { current = fresh }
            // The replaced context is freed when its last session ends (OpenSSL counts them).
        }
    }

    /// A server session (accept state) on accepted socket `fd` with the current context,
    /// or nil when OpenSSL cannot allocate one. Any thread.
    func makeSession(fd: Int32) -> OpaquePointer? {
        let certificate = lock.withLock { current }
        return cep_tls_server_new(certificate.pointer, fd)
    }

    /// Whether the running kernel offers kTLS (`tls` in `tcp_available_ulp`, `/sys/module/tls`,
    /// or a `tls` module for this kernel). Reads `/proc` and `/sys`: start-up only.
    package static var kernelOffersKTLSNow: Bool { cep_tls_kernel_offers_ktls() == 1 }
}

/// One loaded certificate chain and key: an OpenSSL server context. Immutable.
///
/// `@unchecked Sendable`: the context is configured once in `init` and afterwards only
/// used to create sessions (`SSL_new`), which OpenSSL allows from several threads at once.
final class TLSServerCertificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(certificatePath: String, keyPath: String, enableKTLS: Bool) throws(TLSServerContextError) {
        var failed: Int32 = 0
        guard let pointer = cep_tls_server_ctx_new(certificatePath, keyPath, enableKTLS ? 1 : 0, &failed) else {
            var message = [CChar](repeating: 0, count: 256)
            cep_tls_last_error(nil, &message, message.count)
            let reason = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch failed {
            case CEP_TLS_BAD_KEY: throw .unusableKey(path: keyPath, reason: reason)
            case CEP_TLS_KEY_MISMATCH:
                throw .keyDoesNotMatchCertificate(keyPath: keyPath, certificatePath: certificatePath, reason: reason)
            default: throw .unusableCertificate(path: certificatePath, reason: reason)
            }
        }
        self.pointer = pointer
    }

    deinit {
        cep_tls_ctx_free(pointer)
    }
}
