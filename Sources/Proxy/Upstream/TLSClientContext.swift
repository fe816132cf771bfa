import CEpoll

/// An OpenSSL client context for upstream connections: the trust store (the
/// system's, or a CA file) and whether peers are verified at all.
///
/// `@unchecked Sendable`: the context is configured once in `init` and only
/// used afterwards to create sessions (`SSL_new`), which OpenSSL allows from
/// several threads at once.
public final class TLSClientContext: @unchecked Sendable {
    let pointer: OpaquePointer

    /// - Parameters:
    ///   - caFile: PEM bundle to trust instead of the system store.
    ///   - verify: false only when the operator chose `--upstream-insecure`.
    /// - Throws: `UpstreamError.tls` when OpenSSL refuses the trust store.
    public init(caFile: String?, verify: Bool) throws(UpstreamError) {
        guard let pointer = cep_tls_client_ctx_new(caFile, verify ? 1 : 0) else {
            var message = [CChar](repeating: 0, count: 256)
            cep_tls_last_error(nil, &message, message.count)
            throw .tls("cannot set up TLS (\(caFile ?? "system trust store")): " + String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.pointer = pointer
    }

    deinit {
        cep_tls_ctx_free(pointer)
    }
}
