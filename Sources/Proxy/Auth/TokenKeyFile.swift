import Foundation
import Glibc
import ProxyConfig

/// The secret bearer tokens are signed with (`auth.token_key_file`): 32 random bytes as one
/// line of base64, created owner-only (0600) when the file does not exist. Every node of a
/// fleet must read the same file (copy it, or put it on shared storage) so that a token one
/// node issued is accepted by the others. Read once at start-up, off the loops.
package enum TokenKeyFile {
    /// Bytes of a new key.
    static let keyByteCount = 32

    /// The key in `path`, creating the file with a new key when it does not exist.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under
    ///   `auth.token_key_file` when the file cannot be created or read, or holds fewer than
    ///   32 bytes of base64.
    package static func loadOrCreate(path: String) throws -> [UInt8] {
        func refuse(_ reason: String) -> ConfigurationError {
            ConfigurationError.invalidValue(key: "auth.token_key_file", value: path, reason: reason)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            let text = Array((Data(AuthCrypto.randomBytes(keyByteCount)).base64EncodedString() + "\n").utf8)
            let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == text.count, synced == 0 else {
                unlink(path)
                throw refuse("cannot write a new key: \(String(cString: strerror(errno)))")
            }
        } else if errno != EEXIST {
            throw refuse("cannot create the file: \(String(cString: strerror(errno)))")
        }
        let text: String
        do {
            text = try ConfigurationFile.readText(atPath: path)
        } catch {
            throw refuse("cannot read the file: \(error.reason)")
        }
        guard let key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count >= keyByteCount else {
            throw refuse("expected at least \(keyByteCount) bytes as base64 (delete the file to have a new key made)")
        }
        return Array(key)
    }
}
