import Foundation
import Testing

@testable import ProxyAuth
@testable import ProxyConfig
@testable import ProxyRegistry
@testable import ProxySystem

/// htpasswd files (issue 17 item 2): bcrypt entries as `htpasswd -B` writes them, checked with
/// libcrypt's crypt_r; other hashes refused naming the file and line.
@Suite struct HtpasswdTests {
    /// `htpasswd -nbB user password`'s line (apache2-utils).
    static func entry(_ user: String, _ password: String) async throws -> String {
        let result = try await ChildProcess.run("/usr/bin/htpasswd", ["-nbB", "-C", "5", user, password], timeout: .seconds(30))
        return String(decoding: result.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func bcryptEntriesFromHtpasswdVerifyTheirPasswordOnly() async throws {
        let alice = try await Self.entry("alice", "correct horse")
        #expect(alice.hasPrefix("alice:$2y$05$"))
        // bob's entry is libcrypt's own $2b$ form.
        let users = try Htpasswd(text: "# team\n\(alice)\n\nbob:\(try HtpasswdFile.bcrypt("b0b"))\r\n", path: "/etc/h")
        #expect(Set(users.hashes.keys) == ["alice", "bob"])
        #expect(AuthCrypto.cryptVerify(password: "correct horse", hash: users.hashes["alice"]!) == .match)
        #expect(AuthCrypto.cryptVerify(password: "correct horsE", hash: users.hashes["alice"]!) == .mismatch)
        #expect(AuthCrypto.cryptVerify(password: "b0b", hash: users.hashes["bob"]!) == .match)
        #expect(AuthCrypto.cryptVerify(password: "b0b", hash: "$2y$05$tooshort") == .unsupportedHash)
    }

    @Test func nonBcryptEntriesAreRefusedNamingTheFileAndLine() throws {
        let md5 = "carol:$apr1$abcdefgh$0123456789abcdefghijkl"
        #expect(throws: ConfigurationError.invalidValue(key: "auth.htpasswd", value: "/etc/h",
                                                        reason: "line 3: the hash of carol is not bcrypt (write it with htpasswd -B)")) {
            try Htpasswd(text: "# users\n\n\(md5)\n", path: "/etc/h")
        }
        #expect(throws: ConfigurationError.invalidValue(key: "auth.htpasswd", value: "/etc/h", reason: "line 1: expected user:hash")) {
            try Htpasswd(text: "justaname\n", path: "/etc/h")
        }
        #expect(throws: ConfigurationError.self) { try Htpasswd(text: "dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", path: "/etc/h") }
        #expect(throws: ConfigurationError.invalidValue(key: "auth.htpasswd", value: "/nonexistent/htpasswd",
                                                        reason: "cannot read the file: No such file or directory")) {
            try Htpasswd.read(path: "/nonexistent/htpasswd")
        }
    }

    @Test func theVerifierRemembersAVerifiedCredentialAndForgetsItOnReload() async throws {
        let users = try Htpasswd(text: try await Self.entry("alice", "pw"), path: "h")
        let verifier = CredentialVerifier(htpasswd: users, limiter: FailedAttemptLimiter(maximumFailures: 3, windowNanoseconds: 1_000_000_000))
        let loop = try TestEventLoop()
        func verify(_ credential: ClientCredential) async throws -> CredentialVerifier.Verdict {
            let eventLoop = loop.loop
            return try await loop.run { done in verifier.verify(credential, address: "10.0.0.1", now: MonotonicClock.now(), reportingTo: eventLoop, completion: done) }
        }
        let credential = ClientCredential(username: "alice", password: "pw")
        #expect(try await verify(ClientCredential(username: "alice", password: "wrong")) == .wrongPassword)
        #expect(try await verify(ClientCredential(username: "mallory", password: "pw")) == .unknownUser)
        #expect(try await verify(credential) == .valid(user: "alice"))
        // With the bcrypt pool stopped, the remembered credential is still answered (from
        // memory), while one needing bcrypt cannot be.
        verifier.stop()
        #expect(try await verify(credential) == .valid(user: "alice"))
        #expect(try await verify(ClientCredential(username: "alice", password: "wrong")) == .busy)
        verifier.replace(Htpasswd(hashes: [:]))
        #expect(try await verify(credential) == .unknownUser, "a removed user is forgotten at once")
    }

    /// The breaker's burst: 40 distinct wrong passwords for one user sent at once from one
    /// address, with `max_failed_attempts: 3`. Before checks in flight counted, every one
    /// passed the limit check (failures were counted only after bcrypt) and ran bcrypt.
    @Test func aBurstOfGuessesRunsAtMostTheLimitOfBcryptChecks() async throws {
        let users = try Htpasswd(text: try await Self.entry("alice", "pw"), path: "h")
        let verifier = CredentialVerifier(htpasswd: users, limiter: FailedAttemptLimiter(maximumFailures: 3, windowNanoseconds: 60_000_000_000))
        defer { verifier.stop() }
        let loop = try TestEventLoop()
        let eventLoop = loop.loop
        let verdicts = try await loop.run { (done: @escaping @Sendable ([CredentialVerifier.Verdict]) -> Void) in
            let collected = Locked<[CredentialVerifier.Verdict]>([])
            for guess in 0..<40 {
                verifier.verify(ClientCredential(username: "alice", password: "guess-\(guess)"), address: "10.0.0.1",
                                now: MonotonicClock.now(), reportingTo: eventLoop) { verdict in
                    let all = collected.withLock { $0.append(verdict); return $0 }
                    if all.count == 40 { done(all) }
                }
            }
        }
        #expect(verdicts.filter { $0 == .wrongPassword }.count == 3)
        #expect(verdicts.filter { if case .limited = $0 { true } else { false } }.count == 37)
        // The right password is refused too while the address is closed.
        let right = try await loop.run { done in
            verifier.verify(ClientCredential(username: "alice", password: "pw"), address: "10.0.0.1", now: MonotonicClock.now(),
                            reportingTo: eventLoop, completion: done)
        }
        #expect(right != .valid(user: "alice"))
    }
}

