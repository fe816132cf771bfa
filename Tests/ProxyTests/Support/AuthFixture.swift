import Foundation
@testable import ProxyConfig
@testable import ProxyRegistry

/// The client-authentication setting of the auth tests (issue 17): an htpasswd file written
/// by apache2-utils' `htpasswd -B` with two users, a token key file path in the same
/// temporary directory, and the routes: `mycorp/*` to storage (pull anyone, push ci-bot),
/// `team/*` to storage (pull and push for authenticated users), `secret/*` to storage (alice
/// only), everything else to the upstream.
final class AuthFixture {
    static let ciBot = RegistrySeeder.Credentials(username: "ci-bot", password: "ci-bot-secret-4711")
    static let alice = RegistrySeeder.Credentials(username: "alice", password: "alice-secret-0815")

    let directory: TemporaryDirectory
    var htpasswdPath: String { directory.appending("htpasswd").path }
    var tokenKeyPath: String { directory.appending("token.key").path }

    init() async throws {
        directory = try TemporaryDirectory(prefix: "cistern-auth")
        try await ChildProcess.run("/usr/bin/htpasswd", ["-cbB", "-C", "5", htpasswdPath, Self.ciBot.username, Self.ciBot.password], timeout: .seconds(30))
        try await ChildProcess.run("/usr/bin/htpasswd", ["-bB", "-C", "5", htpasswdPath, Self.alice.username, Self.alice.password], timeout: .seconds(30))
    }

    /// Sets `auth:` and the routes on `configuration`; `upstream` is the remote's name.
    func configure(_ configuration: inout Configuration, upstream: String) {
        configuration.auth = AuthConfiguration(htpasswd: htpasswdPath, tokenKeyFile: tokenKeyPath, maxFailedAttempts: 5)
        configuration.storageRegistry = "local"
        configuration.routes = [
            RouteConfiguration(match: "mycorp/*", registry: "local", pull: .anyone, push: .users([Self.ciBot.username])),
            RouteConfiguration(match: "team/*", registry: "local", pull: .authenticated, push: .authenticated),
            RouteConfiguration(match: "secret/*", registry: "local", pull: .users([Self.alice.username]), push: .users([Self.alice.username])),
            RouteConfiguration(match: "*", registry: upstream),
        ]
    }

    /// The same as a YAML file's text, for `cistern serve --config`; the remote is named
    /// after its `host:port`.
    func yaml(upstream url: URL) -> String {
        let upstream = "\(url.host!):\(url.port!)"
        return """
        auth:
          htpasswd: \(htpasswdPath)
          token_key_file: \(tokenKeyPath)
          max_failed_attempts: 5
        registries:
          - name: "\(upstream)"
            url: \(url.absoluteString)
          - name: local
            type: storage
        routes:
          - match: "mycorp/*"
            registry: local
            pull: anyone
            push: [\(Self.ciBot.username)]
          - match: "team/*"
            registry: local
            pull: authenticated
            push: authenticated
          - match: "secret/*"
            registry: local
            pull: [\(Self.alice.username)]
            push: [\(Self.alice.username)]
          - match: "*"
            registry: "\(upstream)"

        """
    }

    /// `Authorization: Basic …` for `credentials`.
    static func basic(_ credentials: RegistrySeeder.Credentials) -> (String, String) {
        ("Authorization", ClientCredential(username: credentials.username, password: credentials.password).basicAuthorization)
    }
}
