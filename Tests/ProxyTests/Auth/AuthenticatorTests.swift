import Foundation
import Testing

@testable import ProxyAuth
@testable import ProxyRegistry
@testable import ProxySystem

/// Access decisions and token grants (issue 17 items 1-3), without sockets: who gets 200, a
/// 401 challenge or 403 DENIED on which route, and what a token request is granted.
@Suite struct AuthenticatorTests {
    static func rule(_ match: String, _ registry: String, kind: RegistryKind, pull: AccessPrincipals, push: AccessPrincipals = .nobody) throws -> RouteTable.Rule {
        RouteTable.Rule(pattern: try RoutePattern(configurationText: match), registry: registry, kind: kind, pull: pull, push: push)
    }

    static func authenticator(clientCredentialRegistries: Set<String> = [], users: [String: String] = [:]) throws -> Authenticator {
        let rules = [
            try rule("mycorp/*", "local", kind: .storage, pull: .anyone, push: .users(["ci-bot"])),
            try rule("team/*", "local", kind: .storage, pull: .authenticated, push: .authenticated),
            try rule("private/*", "private", kind: .remote, pull: .authenticated),
            try rule("*", "docker.io", kind: .remote, pull: .anyone),
        ]
        return Authenticator(key: Array(repeating: 3, count: 32), htpasswd: Htpasswd(hashes: users), htpasswdPath: nil,
                             tokenLifetime: .seconds(300), routes: RouteTable(rules: rules, remoteNames: ["private", "docker.io"]),
                             clientCredentialRegistries: clientCredentialRegistries,
                             limiter: FailedAttemptLimiter(maximumFailures: 2, windowNanoseconds: 60_000_000_000),
                             clock: TestClock(seconds: 1_700_000_000))
    }

    struct TestClock: WallClock {
        let seconds: Int64
        func nanosecondsSinceEpoch() -> Int64 { seconds * 1_000_000_000 }
    }

    @Test func decisionsFollowThePrincipalsAndTheTokenGrants() throws {
        let auth = try Self.authenticator()
        let app = try RepositoryName(parsing: "mycorp/app")
        let storage = auth.routes.rules[0]
        let anonymous = RequestAuthentication.anonymous
        let ciBot = RequestAuthentication(identity: ClientIdentity(user: "ci-bot"))
        let alice = RequestAuthentication(identity: ClientIdentity(user: "alice"))
        #expect(auth.decide(anonymous, rule: storage, name: app, action: .pull) == .allowed)
        #expect(auth.decide(anonymous, rule: storage, name: app, action: .push) == .challenge(scope: "repository:mycorp/app:pull,push"))
        #expect(auth.decide(alice, rule: storage, name: app, action: .push) == .denied)
        #expect(auth.decide(ciBot, rule: storage, name: app, action: .push) == .allowed)
        #expect(auth.decide(ciBot, rule: storage, name: app, action: .delete) == .allowed)
        // A token bounds what its holder does: without push on this repository, a new token helps.
        var pullOnly = ciBot
        pullOnly.tokenAccess = [TokenAccess(name: "mycorp/app", actions: ["pull"])]
        #expect(auth.decide(pullOnly, rule: storage, name: app, action: .pull) == .allowed)
        #expect(auth.decide(pullOnly, rule: storage, name: app, action: .push) == .challenge(scope: "repository:mycorp/app:pull,push"))
        #expect(auth.decide(pullOnly, rule: storage, name: try RepositoryName(parsing: "mycorp/other"), action: .pull)
                == .challenge(scope: "repository:mycorp/other:pull"))
        // An unverified credential counts as authenticated only where the upstream checks it.
        let stranger = RequestAuthentication(identity: ClientIdentity(credential: ClientCredential(username: "x", password: "y")))
        let team = auth.routes.rules[1]
        #expect(auth.decide(stranger, rule: team, name: try RepositoryName(parsing: "team/a"), action: .pull) == .denied)
        let withClientCredentials = try Self.authenticator(clientCredentialRegistries: ["private"])
        #expect(withClientCredentials.decide(stranger, rule: withClientCredentials.routes.rules[2], name: try RepositoryName(parsing: "private/a"),
                                             action: .pull) == .allowed)
        #expect(auth.decide(stranger, rule: auth.routes.rules[2], name: try RepositoryName(parsing: "private/a"), action: .pull) == .denied)
    }

    @Test func routeUsersTheHtpasswdFileLacksAreListed() throws {
        let auth = try Self.authenticator(users: ["alice": try HtpasswdFile.bcrypt("pw")])
        defer { auth.verifier.stop() }
        #expect(auth.routeUsersMissingFromHtpasswd() == ["ci-bot"])
        auth.verifier.replace(Htpasswd(hashes: ["alice": "x", "ci-bot": "y"]))
        #expect(auth.routeUsersMissingFromHtpasswd().isEmpty)
    }

    @Test func anAnonymousTokenCarriesWhatAnyoneMayAndAUserTokenItsOwnGrants() async throws {
        let hash = try HtpasswdFile.bcrypt("pw")
        let auth = try Self.authenticator(users: ["ci-bot": hash, "alice": hash])
        defer { auth.verifier.stop() }
        let loop = try TestEventLoop()
        func token(_ query: String, _ authorization: String?) async throws -> Authenticator.TokenAnswer {
            let eventLoop = loop.loop
            return try await loop.run { done in auth.issueToken(query: query, authorization: authorization, address: "10.1.1.1", reportingTo: eventLoop, completion: done) }
        }
        func access(_ answer: Authenticator.TokenAnswer) throws -> [TokenAccess] {
            guard case .issued(let body) = answer else { throw CancellationError() }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["expires_in"] as? Int == 300 && json["issued_at"] as? String == "2023-11-14T22:13:20Z")
            #expect(json["token"] as? String == json["access_token"] as? String)
            let token = try #require(json["token"] as? String)
            return try #require(auth.codec.verify(token, now: auth.nowSeconds)).access
        }
        let query = "service=cistern&scope=repository:mycorp/app:pull,push&scope=repository:team/a:pull&scope=repository:library/x:pull,push"
        #expect(try access(try await token(query, nil)) == [
            TokenAccess(name: "mycorp/app", actions: ["pull"]), TokenAccess(name: "library/x", actions: ["pull"]),
        ])
        let ciBot = ClientCredential(username: "ci-bot", password: "pw").basicAuthorization
        #expect(try access(try await token(query, ciBot)) == [
            TokenAccess(name: "mycorp/app", actions: ["pull", "push"]), TokenAccess(name: "team/a", actions: ["pull"]),
            TokenAccess(name: "library/x", actions: ["pull"]),
        ])
        // Wrong passwords: 401, and after two failures the address is limited.
        let wrong = ClientCredential(username: "ci-bot", password: "nope").basicAuthorization
        #expect(try await token(query, wrong) == .refused)
        #expect(try await token(query, ClientCredential(username: "nobody", password: "pw").basicAuthorization) == .refused)
        guard case .limited(let seconds) = try await token(query, ciBot) else { Issue.record("not limited"); return }
        #expect(seconds > 0 && seconds <= 60)
    }

    @Test func anUnknownCredentialIsSealedForACredentialsClientRemoteOnly() async throws {
        let auth = try Self.authenticator(clientCredentialRegistries: ["private"])
        defer { auth.verifier.stop() }
        let loop = try TestEventLoop()
        let credential = ClientCredential(username: "upstream-user", password: "upstream-pw")
        let eventLoop = loop.loop
        let answer: Authenticator.TokenAnswer = try await loop.run { done in
            auth.issueToken(query: "scope=repository:private/app:pull", authorization: credential.basicAuthorization, address: "10.2.2.2",
                            reportingTo: eventLoop, completion: done)
        }
        guard case .issued(let body) = answer else { Issue.record("\(answer)"); return }
        #expect(!body.contains("upstream-pw"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let issuedToken = try #require(json["token"] as? String)
        let verified = try #require(auth.codec.verify(issuedToken, now: auth.nowSeconds))
        #expect(verified.user == nil && verified.credential == credential)
        #expect(verified.access == [TokenAccess(name: "private/app", actions: ["pull"])])
        // The request carrying it has the credential for that route, and only there.
        let token = "Bearer " + (json["token"] as! String)
        let outcome: Authenticator.Outcome = try await loop.run { done in
            auth.authenticate(token, rule: auth.routes.rules[2], address: "10.2.2.2", reportingTo: eventLoop, completion: done)
        }
        #expect(outcome == .authenticated(RequestAuthentication(identity: ClientIdentity(credential: credential), tokenAccess: verified.access)))
        let elsewhere: Authenticator.Outcome = try await loop.run { done in
            auth.authenticate(token, rule: auth.routes.rules[0], address: "10.2.2.2", reportingTo: eventLoop, completion: done)
        }
        #expect(elsewhere == .authenticated(RequestAuthentication(identity: .anonymous, tokenAccess: verified.access)))
        // Without such a scope, the same credential is refused.
        let refused: Authenticator.TokenAnswer = try await loop.run { done in
            auth.issueToken(query: "scope=repository:mycorp/app:pull", authorization: credential.basicAuthorization, address: "10.2.2.2",
                            reportingTo: eventLoop, completion: done)
        }
        #expect(refused == .refused)
    }

    /// `docker login` asks for a token without a scope: an upstream's credential passes it when
    /// a `credentials: client` remote exists (only that upstream can judge it), not otherwise.
    @Test func aLoginWithAnUpstreamCredentialPassesOnlyWhenARemoteTakesClientCredentials() async throws {
        let loop = try TestEventLoop()
        let eventLoop = loop.loop
        let credential = ClientCredential(username: "upstream-user", password: "upstream-pw")
        for (registries, issued) in [(Set(["private"]), true), (Set<String>(), false)] {
            let auth = try Self.authenticator(clientCredentialRegistries: registries)
            defer { auth.verifier.stop() }
            let answer: Authenticator.TokenAnswer = try await loop.run { done in
                auth.issueToken(query: "service=cistern&account=upstream-user", authorization: credential.basicAuthorization,
                                address: "10.3.3.3", reportingTo: eventLoop, completion: done)
            }
            if case .issued = answer { #expect(issued) } else { #expect(!issued && answer == .refused) }
        }
    }
}
