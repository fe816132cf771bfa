import Foundation
import CEpoll

/// The keyed cryptography of client authentication over the CEpoll shim (OpenSSL, libcrypt):
/// the one Swift file that turns its return codes into values. Any thread; pure functions.
package enum AuthCrypto {
    /// HMAC-SHA-256 (RFC 2104) of `data` under `key`: 32 bytes.
    package static func hmacSHA256(key: [UInt8], _ data: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: 32)
        let result = key.withUnsafeBytes { k in
            bytes.withUnsafeBytes { d in cep_hmac_sha256(k.baseAddress, k.count, d.baseAddress, d.count, &out) }
        }
        precondition(result == 0, "HMAC-SHA-256 failed")
        return out
    }

    /// SHA-256 of `data`: 32 bytes (a fingerprint, e.g. of a credential kept in memory).
    package static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(data)
        guard let digest = cep_digest_new(0) else { preconditionFailure("SHA-256 unavailable") }
        defer { cep_digest_free(digest) }
        bytes.withUnsafeBytes { cep_digest_update(digest, $0.baseAddress, $0.count) }
        var out = [UInt8](repeating: 0, count: 32)
        _ = cep_digest_final(digest, &out)
        return out
    }

    /// Whether `a` and `b` are equal, in time that depends only on their length.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in cep_memcmp_const(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// `count` cryptographically strong random bytes.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        precondition(cep_random_bytes(&out, count) == 0, "RAND_bytes failed")
        return out
    }

    /// AES-256-GCM (NIST SP 800-38D) under a 32-byte key with a fresh random 96-bit nonce:
    /// `nonce (12) ‖ ciphertext ‖ tag (16)`.
    package static func seal(_ plain: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(key.count == 32)
        let nonce = randomBytes(12)
        var cipher = [UInt8](repeating: 0, count: plain.count)
        var tag = [UInt8](repeating: 0, count: 16)
        let result = plain.withUnsafeBytes { cep_aead_seal(key, nonce, $0.baseAddress, plain.count, &cipher, &tag) }
        precondition(result == 0, "AES-256-GCM seal failed")
        return nonce + cipher + tag
    }

    /// Opens what ``seal(_:key:)`` made; nil when it is too short or does not authenticate
    /// (another key, altered bytes).
    package static func open(_ sealed: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard key.count == 32, sealed.count >= 28 else { return nil }
        let nonce = Array(sealed[0..<12])
        let cipher = Array(sealed[12..<(sealed.count - 16)])
        let tag = Array(sealed[(sealed.count - 16)...])
        var plain = [UInt8](repeating: 0, count: cipher.count)
        let result = cipher.withUnsafeBytes { cep_aead_open(key, nonce, $0.baseAddress, cipher.count, tag, &plain) }
        return result == 0 ? plain : nil
    }

    /// What libcrypt's `crypt_r` says of `password` against a crypt(3) `hash`.
    package enum CryptVerdict: Sendable, Equatable {
        case match, mismatch, unsupportedHash
    }

    /// Hashes `password` with `hash`'s setting and compares (bcrypt: tens of milliseconds of
    /// CPU by design). Never on an event loop.
    package static func cryptVerify(password: String, hash: String) -> CryptVerdict {
        switch cep_crypt_verify(password, hash) {
        case 1: .match
        case 0: .mismatch
        default: .unsupportedHash
        }
    }
}
