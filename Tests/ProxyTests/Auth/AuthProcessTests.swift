import Foundation
import Glibc
import Testing

/// `cistern serve --config` with `auth:` as a process (issue 17 items 2, 4): SIGHUP reads
/// the htpasswd file again (a user added takes effect, no restart), and the whole log, access
/// lines at debug level included, never shows a password, a Basic value or a token.
@Suite(.serialized) struct AuthProcessTests {
    private static func tokenText(_ response: TestHTTPResponse) throws -> String {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return try #require(json["token"] as? String)
    }

    @Test func sighupReadsTheHtpasswdFileAgainAndNoCredentialOrTokenIsLogged() async throws {
        let auth = try await AuthFixture()
        let registry = try await RegistryProcess.start()
        let work = try TemporaryDirectory(prefix: "cistern-auth-process")
        let configFile = work.appending("cistern.yaml")
        try Data(auth.yaml(upstream: registry.baseURL).utf8).write(to: configFile)
        let cistern = try CisternProcess(upstream: registry.baseURL.absoluteString, cache: work.appending("cache"),
                                         extraArguments: ["--config", configFile.path, "--access-log", "--log-level", "debug"])
        defer { cistern.stop() }
        let port = cistern.port
        var secrets = [AuthFixture.ciBot.password, AuthFixture.alice.password]

        let image = try await ImageBuilder(directory: work.url).image(name: "logged", layers: [.file(byteCount: 20_000)], seed: 1731)
        try await Skopeo.push(image, to: "127.0.0.1:\(port)/mycorp/app:v1", credentials: AuthFixture.ciBot)
        let wrong = RegistrySeeder.Credentials(username: AuthFixture.ciBot.username, password: "wrong-horse-battery")
        secrets.append(wrong.password)
        await #expect(throws: ChildProcess.Failure.self) {
            try await Skopeo.push(image, to: "127.0.0.1:\(port)/mycorp/app:v2", credentials: wrong)
        }
        try await Skopeo().copy("127.0.0.1:\(port)/mycorp/app:v1", to: work.appending("pulled"))

        let tokenPath = "/token?service=cistern&scope=repository:team/app:pull&account=alice"
        let token = try Self.tokenText(try await OffPool.fetch(port: port, tokenPath, headers: [AuthFixture.basic(AuthFixture.alice)]))
        secrets += [token, AuthFixture.basic(AuthFixture.alice).1, AuthFixture.basic(AuthFixture.ciBot).1]
        // A token in the query (some scripts do that) is redacted from the access log.
        _ = try await OffPool.fetch(port: port, "/v2/team/app/tags/list?access_token=\(token)", headers: [("Authorization", "Bearer \(token)")])

        // carol does not exist yet; after she is added and SIGHUP, she gets her token.
        let carol = RegistrySeeder.Credentials(username: "carol", password: "carol-secret-2342")
        secrets.append(carol.password)
        #expect(try await OffPool.fetch(port: port, tokenPath, headers: [AuthFixture.basic(carol)]).statusCode == 401)
        try await ChildProcess.run("/usr/bin/htpasswd", ["-bB", "-C", "5", auth.htpasswdPath, carol.username, carol.password], timeout: .seconds(30))
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { ProcessProbes.standardError(cistern).contains("htpasswd reloaded") })
        let carolsToken = try await OffPool.fetch(port: port, tokenPath, headers: [AuthFixture.basic(carol)])
        #expect(carolsToken.statusCode == 200)
        secrets.append(try Self.tokenText(carolsToken))

        // A file with a non-bcrypt line: the reload is refused naming it, the running users stay.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: auth.htpasswdPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("dave:$apr1$salt1234$abcdefghijklmnopqrstuv\n".utf8))
        try handle.close()
        cistern.child.send(signal: SIGHUP)
        #expect(await ProcessProbes.eventually(within: .seconds(10)) {
            ProcessProbes.standardError(cistern).contains("configuration reload refused")
        })
        let refusal = ProcessProbes.standardError(cistern).split(separator: "\n").first { $0.contains("configuration reload refused") }
        #expect(refusal?.contains("auth.htpasswd") == true && refusal?.contains("line 4") == true, "\(refusal ?? "")")
        let afterRefusal = try await OffPool.fetch(port: port, tokenPath, headers: [AuthFixture.basic(carol)])
        #expect(afterRefusal.statusCode == 200)
        secrets.append(try Self.tokenText(afterRefusal))

        cistern.stop()
        let log = ProcessProbes.standardError(cistern)
        #expect(log.contains("/token?service=cistern"), "the access log has the token requests")
        #expect(log.contains("access_token=REDACTED"))
        for secret in secrets {
            #expect(!log.contains(secret), "the log shows a secret")
        }
        #expect(!log.lowercased().contains("authorization: "))
    }

    /// Start-up refuses unusable auth files, naming the key, the file and the line.
    @Test func startupRefusesANonBcryptEntryAMissingFileAndAnUnreadableKey() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-auth-startup")
        let htpasswd = work.appending("htpasswd")
        try Data("ci-bot:\(try HtpasswdFile.bcrypt("pw"))\nold:$apr1$salt1234$abcdefghijklmnopqrstuv\n".utf8).write(to: htpasswd)
        let keyDirectory = work.appending("keys")
        try FileManager.default.createDirectory(at: keyDirectory, withIntermediateDirectories: true)
        try Data("too short\n".utf8).write(to: keyDirectory.appendingPathComponent("short.key"))
        let cases: [(yaml: String, message: String)] = [
            ("auth: {htpasswd: \(htpasswd.path)}\n",
             "auth.htpasswd: invalid value \"\(htpasswd.path)\": line 2: the hash of old is not bcrypt (write it with htpasswd -B)"),
            ("auth: {htpasswd: \(work.appending("missing").path)}\n",
             "auth.htpasswd: invalid value \"\(work.appending("missing").path)\": cannot read the file: No such file or directory"),
            ("auth: {token_key_file: \(keyDirectory.appendingPathComponent("short.key").path)}\n",
             "auth.token_key_file: invalid value \"\(keyDirectory.appendingPathComponent("short.key").path)\": expected at least 32 bytes as base64"),
        ]
        for (index, entry) in cases.enumerated() {
            let configFile = work.appending("cistern-\(index).yaml")
            try Data(entry.yaml.utf8).write(to: configFile)
            #expect {
                _ = try CisternProcess(upstream: "http://127.0.0.1:9", cache: work.appending("cache-\(index)"),
                                       extraArguments: ["--config", configFile.path], startTimeout: .seconds(10))
            } throws: { error in
                "\(error)".contains(entry.message)
            }
        }
    }
}
