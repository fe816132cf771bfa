import Foundation
import ProxyRegistry

/// Cistern's bearer tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA-256 (JWS HS256,
/// RFC 7515, RFC 7518 section 3.2) under a key derived from `auth.token_key_file`, so every
/// node of a fleet sharing that file accepts every other's tokens.
///
/// Claims: `iss` and `aud` `cistern`, `sub` (the htpasswd user, "" when anonymous), `iat`,
/// `nbf`, `exp` (seconds since the epoch), `jti`, the Docker token spec's `access` array and,
/// for a `credentials: client` remote, `cred`: the client's own credential sealed with
/// AES-256-GCM under a second derived key (readable by no one but a fleet node).
/// Pure value; any thread.
package struct TokenCodec: Sendable {
    /// The issuer and audience of every token (the `service` of the challenge).
    package static let service = "cistern"
    private let signingKey: [UInt8]
    private let sealingKey: [UInt8]

    /// - Parameter key: the shared secret (at least 32 bytes); the signing and sealing keys
    ///   are derived from it with HMAC-SHA-256 over distinct labels.
    package init(key: [UInt8]) {
        signingKey = AuthCrypto.hmacSHA256(key: key, Array("cistern token signing v1".utf8))
        sealingKey = AuthCrypto.hmacSHA256(key: key, Array("cistern credential sealing v1".utf8))
    }

    /// What a verified token says.
    package struct Verified: Sendable, Equatable {
        /// The htpasswd user; nil for an anonymous token.
        package var user: String?
        /// The `access` claim: what the token grants.
        package var access: [TokenAccess]
        /// The sealed client credential, opened.
        package var credential: ClientCredential?
        /// Expiry, seconds since the epoch.
        package var expiresAt: Int64
    }

    private struct Claims: Codable {
        var iss: String
        var aud: String
        var sub: String
        var iat: Int64
        var nbf: Int64
        var exp: Int64
        var jti: String
        var access: [TokenAccess]
        var cred: String?
    }

    private static let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// A signed token.
    /// - Parameters:
    ///   - now: seconds since the epoch (`iat`, `nbf`).
    ///   - lifetime: seconds until `exp`.
    package func issue(user: String?, access: [TokenAccess], credential: ClientCredential?, now: Int64, lifetime: Int64) -> String {
        let sealed = credential.map { Base64URL.encode(AuthCrypto.seal(Array("\($0.username):\($0.password)".utf8), key: sealingKey)) }
        let claims = Claims(iss: Self.service, aud: Self.service, sub: user ?? "", iat: now, nbf: now, exp: now + lifetime,
                            jti: Base64URL.encode(AuthCrypto.randomBytes(12)), access: access, cred: sealed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = Base64URL.encode(Array((try? encoder.encode(claims)) ?? Data()))
        let input = Self.header + "." + payload
        return input + "." + Base64URL.encode(AuthCrypto.hmacSHA256(key: signingKey, Array(input.utf8)))
    }

    /// The claims of `token` when its signature is this key's, its header says HS256, its
    /// issuer and audience are Cistern's and `now` (seconds) lies in `[nbf - 60, exp)`; the
    /// 60 seconds of leeway cover clocks of fleet nodes that differ slightly.
    package func verify(_ token: some StringProtocol, now: Int64) -> Verified? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]) else { return nil }
        let input = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard AuthCrypto.constantTimeEqual(signature, AuthCrypto.hmacSHA256(key: signingKey, input)) else { return nil }
        guard let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
              header["alg"] as? String == "HS256",
              let claims = try? JSONDecoder().decode(Claims.self, from: Data(payloadBytes)),
              claims.iss == Self.service, claims.aud == Self.service, now < claims.exp, now >= claims.nbf - 60
        else { return nil }
        var credential: ClientCredential?
        if let sealed = claims.cred {
            guard let bytes = Base64URL.decode(sealed), let plain = AuthCrypto.open(bytes, key: sealingKey),
                  let pair = String(validating: plain, as: UTF8.self), let colon = pair.firstIndex(of: ":") else { return nil }
            credential = ClientCredential(username: String(pair[..<colon]), password: String(pair[pair.index(after: colon)...]))
        }
        return Verified(user: claims.sub.isEmpty ? nil : claims.sub, access: claims.access, credential: credential, expiresAt: claims.exp)
    }
}
