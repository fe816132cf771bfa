import Testing
@testable import ProxyConfig

/// `credentials: client` and `client_access_ttl` on a remote registry (issue 17 item 3):
/// their defaults, the names they give the token endpoint, their round trip through
/// `--print-config`, and start-up errors that name the key.
@Suite struct ClientCredentialsConfigurationTests {
    private static func load(_ remote: String) throws -> Configuration {
        try Configuration.load(yaml: """
            registries:
              - name: private.example
                url: https://private.example
            \(remote)
              - name: docker.io
                url: https://registry-1.docker.io
            """)
    }

    @Test func aRemoteTakesItsOwnCredentialsByDefaultAndSixtySecondsOfConfirmation() throws {
        let configuration = try Self.load("")
        #expect(configuration.upstreams.map(\.credentials) == [.configured, .configured])
        #expect(configuration.upstreams[0].clientAccessTTL == .seconds(60))
        #expect(configuration.clientCredentialRegistryNames.isEmpty)
    }

    @Test func credentialsClientNamesTheRegistryAndTakesItsTTL() throws {
        let configuration = try Self.load("    credentials: client\n    client_access_ttl: 15s")
        #expect(configuration.upstreams.map(\.credentials) == [.client, .configured])
        #expect(configuration.upstreams[0].clientAccessTTL == .seconds(15))
        #expect(configuration.clientCredentialRegistryNames == ["private.example"])
    }

    @Test func printConfigWritesBothKeysAndReadsThemBack() throws {
        let configuration = try Self.load("    credentials: client\n    client_access_ttl: 2m")
        let text = configuration.yamlText
        #expect(text.contains("    credentials: client\n    client_access_ttl: "), "\(text)")
        let reread = try Configuration.load(yaml: text)
        #expect(reread.upstreams == configuration.upstreams)
    }

    @Test(arguments: [
        ("    credentials: everyone", "registries[0].credentials", "everyone", "expected configured or client"),
        ("    credentials: client\n    username: mirror", "registries[0].credentials", "client",
         "a remote that presents each client's own credentials takes no username or password_file of its own"),
        ("    client_access_ttl: 30s", "registries[0].client_access_ttl", "30s",
         "only a remote with credentials: client confirms each client's access"),
        ("    credentials: client\n    client_access_ttl: soon", "registries[0].client_access_ttl", "soon",
         "expected a duration such as 250ms, 30s, 2m, 1h, 14d (bare number = seconds)"),
    ])
    func aContradictionOrBadValueFailsNamingTheKey(remote: String, key: String, value: String, reason: String) throws {
        #expect(throws: ConfigurationError.invalidValue(key: key, value: value, reason: reason)) {
            try Self.load(remote)
        }
    }

    @Test func changingEitherKeyNeedsARestart() throws {
        let running = try Self.load("")
        let new = try Self.load("    credentials: client")
        #expect(running.reloadChanges(to: new).map(\.key) == ["upstreams"])
        #expect(running.reloadChanges(to: new).map(\.effect) == [.restartOnly])
    }
}
