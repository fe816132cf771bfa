import CEpoll

/// TLS on the listen address (YAML `tls: {certificate, key}`, flags `--tls-certificate`
/// and `--tls-key`): when set, the address speaks only TLS (1.2 and 1.3, ALPN `http/1.1`).
public struct TLSListenerConfiguration: Sendable, Equatable {
    /// PEM file with the server certificate first, then any intermediate certificates
    /// (the chain clients need to reach their trusted root). YAML `tls.certificate`.
    public var certificate: String
    /// PEM file with the certificate's private key, unencrypted. YAML `tls.key`.
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// Loads the pair as the server will, to fail at start-up rather than at the first client.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under `tls.certificate`
    ///   (unreadable, no PEM certificate) or `tls.key` (unreadable, no PEM key, or not the
    ///   certificate's key).
    func validate() throws {
        var failed: Int32 = 0
        guard let context = cep_tls_server_ctx_new(certificate, key, 0, &failed) else {
            var message = [CChar](repeating: 0, count: 256)
            cep_tls_last_error(nil, &message, message.count)
            let reason = String(decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch failed {
            case CEP_TLS_BAD_KEY:
                throw ConfigurationError.invalidValue(key: "tls.key", value: key, reason: "not a usable PEM private key: \(Self.readability(of: key) ?? reason)")
            case CEP_TLS_KEY_MISMATCH:
                throw ConfigurationError.invalidValue(key: "tls.key", value: key, reason: "does not match the certificate in \(certificate)")
            default:
                throw ConfigurationError.invalidValue(
                    key: "tls.certificate", value: certificate, reason: "not a usable PEM certificate chain: \(Self.readability(of: certificate) ?? reason)")
            }
        }
        cep_tls_ctx_free(context)
    }

    /// Why `path` cannot be read (`strerror` text), or nil when it can.
    private static func readability(of path: String) -> String? {
        do {
            _ = try ConfigurationFile.readText(atPath: path)
            return nil
        } catch {
            return "cannot read: \(error.reason)"
        }
    }
}
