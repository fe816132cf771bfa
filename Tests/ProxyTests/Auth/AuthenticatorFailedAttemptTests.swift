import Foundation
import Testing

@testable import ProxyAuth
@testable import ProxyRegistry
@testable import ProxySystem

/// Failed attempts where a `credentials: client` remote exists (issue 17 item 2): a
/// credential no htpasswd user has may be an upstream's and is passed on uncounted, but a
/// wrong password for an htpasswd user is a guess at that user's password, and counts.
@Suite struct AuthenticatorFailedAttemptTests {
    /// A token for a `credentials: client` scope names its htpasswd user in `sub` only when the
    /// password was right, so each wrong one must count, or an address guesses without limit.
    @Test func aWrongPasswordOfAnHtpasswdUserCountsEvenForACredentialsClientScope() async throws {
        let auth = try AuthenticatorTests.authenticator(clientCredentialRegistries: ["private"],
                                                        users: ["ci-bot": try HtpasswdFile.bcrypt("pw")])
        defer { auth.verifier.stop() }
        let loop = try TestEventLoop()
        let eventLoop = loop.loop
        func token(_ query: String, _ password: String) async throws -> Authenticator.TokenAnswer {
            let authorization = ClientCredential(username: "ci-bot", password: password).basicAuthorization
            return try await loop.run { done in
                auth.issueToken(query: query, authorization: authorization, address: "10.4.4.4", reportingTo: eventLoop, completion: done)
            }
        }
        // The limiter closes after two failures (``AuthenticatorTests/authenticator``).
        _ = try await token("scope=repository:private/app:pull", "guess-1")
        _ = try await token("service=cistern", "guess-2")
        guard case .limited = try await token("scope=repository:private/app:pull", "pw") else {
            Issue.record("two wrong passwords for ci-bot were not counted")
            return
        }
        // A direct Basic on the credentials: client route counts the same way.
        let direct: Authenticator.Outcome = try await loop.run { done in
            auth.authenticate(ClientCredential(username: "ci-bot", password: "pw").basicAuthorization, rule: auth.routes.rules[2],
                              address: "10.4.4.4", reportingTo: eventLoop, completion: done)
        }
        guard case .limited = direct else { Issue.record("\(direct)"); return }
    }

    /// A credential of no htpasswd user stays uncounted there: the upstream judges it.
    @Test func anUnknownUserForACredentialsClientScopeIsNotCounted() async throws {
        let auth = try AuthenticatorTests.authenticator(clientCredentialRegistries: ["private"],
                                                        users: ["ci-bot": try HtpasswdFile.bcrypt("pw")])
        defer { auth.verifier.stop() }
        let loop = try TestEventLoop()
        let eventLoop = loop.loop
        for attempt in 0..<4 {
            let authorization = ClientCredential(username: "upstream-user", password: "pw\(attempt)").basicAuthorization
            let answer: Authenticator.TokenAnswer = try await loop.run { done in
                auth.issueToken(query: "scope=repository:private/app:pull", authorization: authorization, address: "10.5.5.5",
                                reportingTo: eventLoop, completion: done)
            }
            guard case .issued = answer else { Issue.record("attempt \(attempt): \(answer)"); return }
        }
    }
}
