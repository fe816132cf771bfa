import Testing
@testable import ProxyRegistry
@testable import ProxyUpstream

/// Which credential an upstream exchange presents and where its tokens are kept (issue 17
/// items 3 and 4): the registry's own, or under `credentials: client` the client's, keyed by a
/// SHA-256 fingerprint so that two credentials never share a token and no key holds a password.
@Suite struct UpstreamPresentationTests {
    static let alice = ClientCredential(username: "alice", password: "pw:1")

    @Test func theFingerprintIsTheSHA256OfUserColonPassword() {
        // printf 'alice:pw:1' | sha256sum
        #expect(Self.alice.fingerprint == TestSHA256.hex(TestSHA256.hash(Array("alice:pw:1".utf8))))
        #expect(Self.alice.fingerprint.count == 64)
        #expect(!Self.alice.fingerprint.contains("pw"))
        #expect(ClientCredential(username: "alice", password: "pw:2").fingerprint != Self.alice.fingerprint)
    }

    @Test func aRemoteWithItsOwnCredentialsNeverPresentsTheClients() throws {
        let registry = try UpstreamRegistry(name: "hub", url: "https://registry.example", username: "mirror", password: "m")
        let presented = registry.presentation(for: Self.alice)
        #expect(presented.basicAuthorization == ClientCredential(username: "mirror", password: "m").basicAuthorization)
        #expect(presented.tokenKey("repository:a:pull") == "repository:a:pull")
    }

    @Test func aClientCredentialsRemotePresentsEachClientsOwnUnderItsOwnTokenKey() throws {
        let registry = try UpstreamRegistry(name: "private", url: "https://registry.example", username: nil, password: nil,
                                            takesClientCredentials: true)
        let alice = registry.presentation(for: Self.alice)
        #expect(alice.basicAuthorization == Self.alice.basicAuthorization)
        #expect(alice.tokenKey("repository:a:pull") == "\(Self.alice.fingerprint) repository:a:pull")
        let bob = registry.presentation(for: ClientCredential(username: "bob", password: "pw:1"))
        #expect(bob.tokenKey("repository:a:pull") != alice.tokenKey("repository:a:pull"))
        let anonymous = registry.presentation(for: nil)
        #expect(anonymous.basicAuthorization == nil)
        #expect(anonymous.tokenKey("repository:a:pull") == "anonymous repository:a:pull")
    }

    @Test func aTokenStoredForOneCredentialIsNotFoundForAnother() throws {
        let registry = try UpstreamRegistry(name: "private", url: "https://registry.example", username: nil, password: nil,
                                            takesClientCredentials: true)
        let token = try BearerToken.parse(json: Array(#"{"token":"T-alice","expires_in":300}"#.utf8), now: .now)
        registry.store(token, for: registry.presentation(for: Self.alice).tokenKey("repository:a:pull"))
        #expect(registry.token(for: registry.presentation(for: Self.alice).tokenKey("repository:a:pull"))?.authorizationValue == "Bearer T-alice")
        #expect(registry.token(for: registry.presentation(for: nil).tokenKey("repository:a:pull")) == nil)
        #expect(registry.token(for: registry.presentation(for: ClientCredential(username: "bob", password: "x")).tokenKey("repository:a:pull")) == nil)
    }
}
