import Testing

@testable import ProxyRegistry

/// `pull:` / `push:` principals (issue 17 item 2) against each kind of client.
@Suite struct AccessPrincipalsTests {
    @Test func eachPrincipalAllowsItsClients() {
        let anonymous = ClientIdentity.anonymous
        let alice = ClientIdentity(user: "alice")
        let unverified = ClientIdentity(credential: ClientCredential(username: "u", password: "p"))
        let table: [(AccessPrincipals, [Bool])] = [
            (.anyone, [true, true, true]),
            (.authenticated, [false, true, false]),
            (.users(["alice", "bob"]), [false, true, false]),
            (.users(["bob"]), [false, false, false]),
            (.nobody, [false, false, false]),
        ]
        for (principals, expected) in table {
            #expect([anonymous, alice, unverified].map { principals.allows($0) } == expected, "\(principals)")
        }
        // On a credentials: client remote the upstream judges an unverified credential.
        #expect(AccessPrincipals.authenticated.allows(unverified, upstreamChecksCredentials: true))
        #expect(!AccessPrincipals.users(["u"]).allows(unverified, upstreamChecksCredentials: true))
    }

    @Test func configurationTextRoundTrips() {
        #expect(AccessPrincipals(configurationText: "authenticated") == .authenticated)
        #expect(AccessPrincipals(configurationText: "everyone") == nil)
        #expect(AccessPrincipals(userList: ["ci-bot", "alice"])?.description == "[ci-bot, alice]")
        #expect(AccessPrincipals(userList: []) == nil)
        #expect(AccessPrincipals(userList: ["a", "a"]) == nil)
        #expect(ClientIdentity(credential: ClientCredential(username: "u", password: "secret")).description == "credential u:***")
    }
}
