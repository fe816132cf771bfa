/// Why a TLS server context could not be built from the configured files.
package enum TLSServerContextError: Error, Equatable, CustomStringConvertible {
    /// The certificate chain file cannot be read or holds no PEM certificate.
    case unusableCertificate(path: String, reason: String)
    /// The key file cannot be read or holds no (unencrypted) PEM private key.
    case unusableKey(path: String, reason: String)
    /// The key is not the private key of the chain's first (leaf) certificate.
    case keyDoesNotMatchCertificate(keyPath: String, certificatePath: String, reason: String)

    /// Which configured file is at fault: `certificate` or `key` (YAML `tls.certificate`,
    /// `tls.key`; flags `--tls-certificate`, `--tls-key`).
    package var faultyFile: String {
        switch self {
        case .unusableCertificate: "certificate"
        case .unusableKey, .keyDoesNotMatchCertificate: "key"
        }
    }

    /// The operator-facing reason, naming the file(s).
    package var description: String {
        switch self {
        case .unusableCertificate(let path, let reason):
            "cannot use certificate chain \(path): \(reason)"
        case .unusableKey(let path, let reason):
            "cannot use private key \(path): \(reason)"
        case .keyDoesNotMatchCertificate(let keyPath, let certificatePath, let reason):
            "private key \(keyPath) does not match the certificate in \(certificatePath) (\(reason))"
        }
    }
}
