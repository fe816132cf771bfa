import Testing

@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyUpstream

@Suite struct BearerTokenTests {
    static let received = ContinuousClock.now

    static let responses: [(String, String, Duration)] = [
        (#"{"token":"abc","expires_in":300}"#, "abc", .seconds(300)),
        (#"{"access_token":"xyz","expires_in":300}"#, "xyz", .seconds(300)),
        (#"{"token":"t","access_token":"a"}"#, "a", .seconds(60)),
        (#"{"token":"t"}"#, "t", .seconds(60)),
        (#"{"token":"t","expires_in":10}"#, "t", .seconds(60)),
        (#"{"token":"t","expires_in":0}"#, "t", .seconds(60)),
        (#"{"token":"t","expires_in":-5}"#, "t", .seconds(60)),
        (#"{"token":"t","expires_in":1e12}"#, "t", .seconds(86_400)),
        (#"{"token":"t","expires_in":"300"}"#, "t", .seconds(60)),
        (#"{"token":"t","expires_in":299.5}"#, "t", .milliseconds(299_500)),
        (#"{"token":"t","expires_in":null}"#, "t", .seconds(60)),
        (#"{"token":"","access_token":"a"}"#, "a", .seconds(60)),
        (#"{"token":"t","access_token":""}"#, "t", .seconds(60)),
        (#"{"token":"eyJhbGciOiJSUzI1NiJ9.e30.sig-_","issued_at":"2024-01-01T00:00:00Z","refresh_token":"r","expires_in":3600}"#,
         "eyJhbGciOiJSUzI1NiJ9.e30.sig-_", .seconds(3600)),
    ]

    @Test(arguments: responses)
    func decodesTokenAndClampsLifetime(json: String, token: String, lifetime: Duration) throws {
        let parsed = try BearerToken.parse(json: Array(json.utf8), now: Self.received)
        #expect(parsed.token == token)
        #expect(parsed.lifetime == lifetime)
        #expect(parsed.expiresAt == Self.received + lifetime)
        #expect(parsed.authorizationValue == "Bearer " + token)
    }

    static let unusable: [String] = [
        "", "abc", "[]", "null", "{}", "\"token\"",
        #"{"token":""}"#, #"{"token":"a b"}"#, #"{"token":"a\r\nX-Injected: 1"}"#,
        #"{"token":123}"#, #"{"token":"é"}"#, #"{"access_token":"tab\there"}"#,
    ]

    @Test(arguments: unusable)
    func rejectsResponsesWithoutAUsableTokenAsUpstreamError(json: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try BearerToken.parse(json: Array(json.utf8), now: Self.received) }
        #expect(error?.code == .upstreamError)
        #expect(error?.status == 502)
    }

    @Test func usableUntilMarginBeforeExpiry() throws {
        let token = try BearerToken.parse(json: Array(#"{"token":"t","expires_in":300}"#.utf8), now: Self.received)
        #expect(token.isUsable(at: Self.received))
        #expect(token.isUsable(at: Self.received + .seconds(294)))
        #expect(!token.isUsable(at: Self.received + .seconds(295)))
        #expect(!token.isUsable(at: Self.received + .seconds(301)))
        #expect(token.isUsable(at: Self.received + .seconds(299), margin: .zero))
    }
}
