import Testing

@testable import ProxyConfig
@testable import ProxyRegistry

/// The `auth:` section and the principals that need it (issue 17): YAML keys, defaults,
/// errors naming the key, and `--print-config` round trips.
@Suite struct AuthConfigurationTests {
    @Test func theAuthSectionAndUserListsLoadAndPrintBack() throws {
        let loaded = try Configuration.load(yaml: """
            auth:
              htpasswd: /etc/cistern/htpasswd
              token_ttl: 2m
            registries:
              - name: local
                type: storage
            routes:
              - match: "mycorp/*"
                registry: local
                pull: authenticated
                push: [ci-bot, "alice"]
              - match: "*"
                registry: docker.io

            """)
        #expect(loaded.auth == AuthConfiguration(htpasswd: "/etc/cistern/htpasswd", tokenTTL: .seconds(120)))
        #expect(loaded.routes[0].pull == .authenticated && loaded.routes[0].push == .users(["ci-bot", "alice"]))
        #expect(loaded.effectiveTokenKeyFile == "./cistern-data/token.key")
        #expect(loaded.clientCredentialRegistryNames.isEmpty)
        let printed = loaded.yamlText
        #expect(printed.contains("auth:\n  htpasswd: \"/etc/cistern/htpasswd\"\n  token_key_file: ~"))
        #expect(printed.contains("    push: [\"ci-bot\", \"alice\"]"))
        #expect(try Configuration.load(yaml: printed) == loaded)
        #expect(Configuration.embeddedDefault.auth == nil)
        #expect(!Configuration.embeddedDefault.yamlText.contains("auth:"))
    }

    @Test func badSettingsAreNamedByKey() throws {
        let storage = "registries: [{name: local, type: storage}]\n"
        let cases: [(String, ConfigurationError)] = [
            ("auth: {token_ttl: 0s}\n", .invalidValue(key: "auth.token_ttl", value: "0s", reason: "must be at least 1s and at most 24h")),
            ("auth: {token_ttl: 500ms}\n", .invalidValue(key: "auth.token_ttl", value: "500ms", reason: "must be at least 1s and at most 24h")),
            ("auth: {max_failed_attempts: 0}\n", .invalidValue(key: "auth.max_failed_attempts", value: "0", reason: "must be at least 1")),
            ("auth: {htpasswd: x, colour: blue}\n", .unknownKey(key: "auth.colour")),
            (storage + "routes: [{match: 'a/*', registry: local, push: authenticated}]\n",
             .invalidValue(key: "routes[0].push", value: "authenticated", reason: "needs client authentication: add an auth: section")),
            (storage + "auth: {token_ttl: 1m}\nroutes: [{match: 'a/*', registry: local, push: [bob]}]\n",
             .invalidValue(key: "routes[0].push", value: "[bob]", reason: "names users but auth.htpasswd is not set")),
            (storage + "routes: [{match: 'a/*', registry: local, pull: everyone}]\n",
             .invalidValue(key: "routes[0].pull", value: "everyone", reason: "expected anyone, authenticated, nobody or a list of users")),
            (storage + "routes: [{match: 'a/*', registry: local, pull: [bob, bob]}]\n",
             .invalidValue(key: "routes[0].pull", value: "(list)", reason: "expected a list of distinct user names")),
        ]
        for (yaml, expected) in cases {
            #expect(throws: expected, "\(yaml)") { try Configuration.load(yaml: yaml) }
        }
    }
}
