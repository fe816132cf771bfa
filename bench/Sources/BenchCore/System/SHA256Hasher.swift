import CEpoll

/// Incremental SHA-256 (OpenSSL through CEpoll), used to verify bodies and name blobs.
///
/// Confinement: one owner at a time. Not Sendable.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// A fresh context.
    public init() {
        guard let context = cep_digest_new(0) else { fatalError("OpenSSL could not create a SHA-256 context") }
        self.context = context
    }

    deinit { cep_digest_free(context) }

    /// Hashes `bytes`.
    @inline(__always)
    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { cep_digest_update(context, bytes.baseAddress, bytes.count) }
    }

    /// Hashes `bytes`.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The lower-case hex digest of everything hashed so far; resets the context.
    public func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        _ = out.withUnsafeMutableBufferPointer { cep_digest_final(context, $0.baseAddress) }
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in out {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// `sha256:<hex>` of `bytes`.
    public static func digest(of bytes: [UInt8]) -> String {
        let hasher = SHA256Hasher()
        hasher.update(bytes)
        return "sha256:" + hasher.finalizeHex()
    }
}
