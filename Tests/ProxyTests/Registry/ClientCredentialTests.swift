import Testing

@testable import ProxyRegistry

@Suite struct ClientCredentialTests {
    /// RFC 7617 section 2's own example: `Aladdin:open sesame`.
    @Test func parsesTheRFCExample() throws {
        let credential = try #require(ClientCredential(basicAuthorization: "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="))
        #expect(credential.username == "Aladdin")
        #expect(credential.password == "open sesame")
        #expect(credential.basicAuthorization == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    }

    @Test func schemeIsCaseInsensitiveAndPasswordKeepsColons() throws {
        let value = ClientCredential(username: "ci-bot", password: "a:b:c").basicAuthorization
        let credential = try #require(ClientCredential(basicAuthorization: "bAsIc " + value.dropFirst(6)))
        #expect(credential == ClientCredential(username: "ci-bot", password: "a:b:c"))
    }

    @Test(arguments: ["Bearer abc", "Basic", "Basic !!!", "Basic dXNlcg==", "Basic OnNlY3JldA=="])
    func refusesWhatIsNotAUserPasswordPair(value: String) {
        // dXNlcg== is "user" (no colon); OnNlY3JldA== is ":secret" (empty user name).
        #expect(ClientCredential(basicAuthorization: value) == nil)
    }

    @Test func descriptionHidesThePassword() {
        let credential = ClientCredential(username: "alice", password: "hunter2")
        #expect("\(credential)" == "alice:***")
        #expect(!String(describing: credential).contains("hunter2"))
    }
}
