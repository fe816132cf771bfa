import CEpoll

/// An incremental SHA-256 / SHA-512 over OpenSSL's EVP interface, used to
/// verify fills against the digest that names them.
///
/// Confinement: one owner at a time (a fill hashes on its owner loop).
/// Not Sendable.
public final class ContentHasher {
    private let context: OpaquePointer
    public let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = cep_digest_new(algorithm == .sha512 ? 1 : 0) else {
            fatalError("OpenSSL could not create a digest context")
        }
        self.context = context
    }

    deinit {
        cep_digest_free(context)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { cep_digest_update(context, bytes.baseAddress, bytes.count) }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The lower-case hex of the digest of everything hashed so far; resets.
    public func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: 64)
        let n = out.withUnsafeMutableBufferPointer { cep_digest_final(context, $0.baseAddress) }
        return out.withUnsafeBytes { lowerHexText(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(n)))) }
    }

    /// The digest of `bytes` as `algorithm:hex`.
    public static func digestString(of bytes: [UInt8], algorithm: DigestAlgorithm = .sha256) -> String {
        let hasher = ContentHasher(algorithm)
        hasher.update(bytes)
        return (algorithm == .sha512 ? "sha512:" : "sha256:") + hasher.finalizeHex()
    }
}
