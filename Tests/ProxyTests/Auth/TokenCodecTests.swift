import Foundation
import Testing

@testable import ProxyAuth
@testable import ProxyRegistry

/// Cistern's bearer tokens (issue 17 item 1): HS256 JWTs whose claims, signature, expiry and
/// sealed credential are checked by the same key only.
@Suite struct TokenCodecTests {
    private let key = Array(repeating: UInt8(7), count: 32)
    private let access = [TokenAccess(name: "mycorp/app", actions: ["pull", "push"])]

    @Test func anIssuedTokenVerifiesWithItsClaimsUntilItExpires() throws {
        let codec = TokenCodec(key: key)
        let token = codec.issue(user: "alice", access: access, credential: nil, now: 1_000_000, lifetime: 300)
        #expect(token.split(separator: ".").count == 3)
        let verified = try #require(codec.verify(token, now: 1_000_000))
        #expect(verified == TokenCodec.Verified(user: "alice", access: access, credential: nil, expiresAt: 1_000_300))
        #expect(codec.verify(token, now: 1_000_299) != nil)
        #expect(codec.verify(token, now: 1_000_300) == nil, "expired at exp")
        #expect(codec.verify(token, now: 1_000_000 - 61) == nil, "not yet valid beyond the 60 s leeway")
    }

    @Test func theClaimsAreAStandardJWTWithTheDockerAccessArray() throws {
        let token = TokenCodec(key: key).issue(user: nil, access: access, credential: nil, now: 10, lifetime: 5)
        let parts = token.split(separator: ".")
        let header = try #require(Base64URL.decode(parts[0]))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","typ":"JWT"}"#)
        let payload = try #require(Base64URL.decode(parts[1]))
        let claims = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        #expect(claims["iss"] as? String == "cistern" && claims["aud"] as? String == "cistern")
        #expect(claims["sub"] as? String == "" && claims["iat"] as? Int == 10 && claims["exp"] as? Int == 15)
        #expect(claims["cred"] == nil)
        let entries = try #require(claims["access"] as? [[String: Any]])
        #expect(entries.count == 1 && entries[0]["name"] as? String == "mycorp/app" && entries[0]["actions"] as? [String] == ["pull", "push"])
        // The signature is HMAC-SHA-256 over header.payload under the derived signing key.
        let signingKey = AuthCrypto.hmacSHA256(key: key, Array("cistern token signing v1".utf8))
        let expected = AuthCrypto.hmacSHA256(key: signingKey, Array("\(parts[0]).\(parts[1])".utf8))
        #expect(Base64URL.decode(parts[2]) == expected)
    }

    @Test func anotherKeyOrAnAlteredByteIsRefused() throws {
        let token = TokenCodec(key: key).issue(user: "alice", access: access, credential: nil, now: 100, lifetime: 300)
        #expect(TokenCodec(key: Array(repeating: 8, count: 32)).verify(token, now: 100) == nil)
        var parts = token.split(separator: ".").map(String.init)
        // The payload claims another user; the signature no longer matches.
        let forged = Base64URL.encode(Array(#"{"access":[],"aud":"cistern","exp":999,"iat":100,"iss":"cistern","jti":"x","nbf":100,"sub":"root"}"#.utf8))
        parts[1] = forged
        #expect(TokenCodec(key: key).verify(parts.joined(separator: "."), now: 100) == nil)
        // alg none is never accepted.
        let none = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + forged + "."
        #expect(TokenCodec(key: key).verify(none, now: 100) == nil)
        #expect(TokenCodec(key: key).verify("not a token", now: 100) == nil)
    }

    @Test func aSealedCredentialOpensOnlyWithTheSameKeyAndIsNotReadableInTheToken() throws {
        let credential = ClientCredential(username: "bob", password: "s3cret:with:colons")
        let codec = TokenCodec(key: key)
        let token = codec.issue(user: nil, access: access, credential: credential, now: 100, lifetime: 300)
        #expect(!token.contains("s3cret"))
        let payload = try #require(Base64URL.decode(token.split(separator: ".")[1]))
        #expect(!String(decoding: payload, as: UTF8.self).contains("s3cret"))
        let verified = try #require(codec.verify(token, now: 100))
        #expect(verified.credential == credential && verified.user == nil)
        // A fleet node with the same key file opens it.
        #expect(TokenCodec(key: key).verify(token, now: 100)?.credential == credential)
    }

    @Test func sealingIsAuthenticatedEncryption() throws {
        let sealingKey = Array(repeating: UInt8(1), count: 32)
        let sealed = AuthCrypto.seal(Array("user:pass".utf8), key: sealingKey)
        #expect(sealed.count == 12 + 9 + 16)
        #expect(AuthCrypto.open(sealed, key: sealingKey) == Array("user:pass".utf8))
        var altered = sealed
        altered[14] ^= 1
        #expect(AuthCrypto.open(altered, key: sealingKey) == nil)
        #expect(AuthCrypto.open(sealed, key: Array(repeating: 2, count: 32)) == nil)
        #expect(AuthCrypto.seal(Array("user:pass".utf8), key: sealingKey) != sealed, "a fresh nonce each time")
    }

    @Test func scopesParseFromTheTokenRequestQuery() {
        let scopes = TokenAccess.scopes(inQuery: "service=cistern&scope=repository%3Amycorp%2Fapp%3Apull%2Cpush&scope=repository:127.0.0.1:5000/x:pull+repository:b:pull")
        #expect(scopes == [
            TokenAccess(name: "mycorp/app", actions: ["pull", "push"]),
            TokenAccess(name: "127.0.0.1:5000/x", actions: ["pull"]),
            TokenAccess(name: "b", actions: ["pull"]),
        ])
        #expect(TokenAccess(scope: "repository::pull") == nil)
        #expect(TokenAccess(scope: "repository:x") == nil)
    }
}

/// Tokens remembered after their first check (issue 17: a pull must not pay a full
/// verification per request), never past their expiry.
@Suite struct VerifiedTokenCacheTests {
    @Test func aRememberedTokenIsAnsweredUntilItExpiresAndTheCacheIsBounded() {
        var cache = VerifiedTokenCache(capacity: 2)
        let verified = TokenCodec.Verified(user: "alice", access: [], credential: nil, expiresAt: 200)
        cache.remember("a.b.c", verified, now: 100)
        #expect(cache.verified("a.b.c", now: 199) == verified)
        #expect(cache.verified("a.b.c", now: 200) == nil)
        #expect(cache.verified("a.b.d", now: 100) == nil)
        cache.remember("x", TokenCodec.Verified(user: nil, access: [], credential: nil, expiresAt: 150), now: 100)
        // Full: the expired entry goes first.
        cache.remember("y", verified, now: 160)
        #expect(cache.count == 2 && cache.verified("x", now: 100) == nil && cache.verified("a.b.c", now: 160) == verified)
    }
}
