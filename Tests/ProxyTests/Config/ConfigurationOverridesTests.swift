import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

/// Writes `contents` to a new file in a fresh temporary directory and returns its path.
private func writeTemporaryFile(_ contents: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("cistern-overrides-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("secret").path
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct ConfigurationOverridesTests {
    @Test func noOverridesReturnTheBaseUnchanged() throws {
        let base = try Configuration.load(yaml: "workers: 2\nupstreams:\n  - url: https://ghcr.io\n")
        #expect(try ConfigurationOverrides().applied(to: base) == base)
    }

    @Test func flagsWinOverFileAndFileWinsOverDefaults() throws {
        let file = try Configuration.load(yaml: "listen: 127.0.0.1:6000\nworkers: 2\ntag_ttl: 5m\n")
        var overrides = ConfigurationOverrides()
        overrides.listen = ListenAddress(host: "127.0.0.1", port: 7000)
        overrides.tagTTL = .seconds(10)
        let configuration = try overrides.applied(to: file)
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 7000))  // flag
        #expect(configuration.tagTTL == .seconds(10))  // flag
        #expect(configuration.workers == 2)  // file
        #expect(configuration.cacheDirectory == "./cistern-data")  // default
    }

    @Test func everyScalarFlagReplacesItsField() throws {
        var overrides = ConfigurationOverrides()
        overrides.workers = 6
        overrides.cacheDirectory = "/srv/cistern"
        overrides.prefetch = true
        overrides.prefetchPlatform = "linux/arm64"
        overrides.prefetchConcurrency = 2
        overrides.logLevel = .trace
        overrides.accessLog = false
        overrides.requestHeadTimeout = .seconds(1)
        overrides.idleKeepAliveTimeout = .seconds(2)
        overrides.clientWriteStallTimeout = .seconds(3)
        overrides.upstreamConnectTimeout = .seconds(4)
        overrides.upstreamReadStallTimeout = .seconds(5)
        overrides.upstreamMinimumRate = 0
        let configuration = try overrides.applied(to: .embeddedDefault)
        #expect(configuration.workers == 6)
        #expect(configuration.cacheDirectory == "/srv/cistern")
        #expect(configuration.prefetch == true)
        #expect(configuration.prefetchPlatform == "linux/arm64")
        #expect(configuration.prefetchConcurrency == 2)
        #expect(configuration.logLevel == .trace)
        #expect(configuration.accessLog == false)
        #expect(configuration.timeouts == Timeouts(
            requestHead: .seconds(1), idleKeepAlive: .seconds(2), clientWriteStall: .seconds(3),
            upstreamConnect: .seconds(4), upstreamReadStall: .seconds(5),
            upstreamMinimumRate: 0, upstreamMinimumRateWindow: .seconds(30)))
    }

    @Test func noPrefetchFlagTurnsOffPrefetchFromTheFile() throws {
        let file = try Configuration.load(yaml: "prefetch: true\n")
        var overrides = ConfigurationOverrides()
        overrides.prefetch = false
        #expect(try overrides.applied(to: file).prefetch == false)
    }

    @Test func upstreamFlagReplacesTheDefaultAndDerivesItsName() throws {
        var overrides = ConfigurationOverrides()
        overrides.upstreamURL = "http://127.0.0.1:5001"
        let configuration = try overrides.applied(to: .embeddedDefault)
        #expect(configuration.upstreams.map(\.name) == ["127.0.0.1:5001"])
        #expect(configuration.upstreams.map(\.port) == [5001])
        #expect(configuration.defaultUpstream == "127.0.0.1:5001")
    }

    @Test func upstreamFlagForDockerHubKeepsTheNameDockerIOAndItsCredentials() throws {
        let passwordPath = try writeTemporaryFile("token\n")
        let file = try Configuration.load(yaml: """
            upstreams:
              - url: https://registry-1.docker.io
                username: alice
                password_file: \(passwordPath)
            """)
        var overrides = ConfigurationOverrides()
        overrides.upstreamURL = "https://registry-1.docker.io:443/"
        let upstream = try #require(try overrides.applied(to: file).upstreams.first)
        #expect(upstream.name == "docker.io")
        #expect(upstream.url == "https://registry-1.docker.io:443/")
        #expect(upstream.username == "alice")
        #expect(upstream.password == "token")
    }

    @Test func upstreamFlagForAnotherHostDropsTheReplacedCredentials() throws {
        let passwordPath = try writeTemporaryFile("token")
        let file = try Configuration.load(yaml: """
            upstreams:
              - url: https://registry-1.docker.io
                username: alice
                password_file: \(passwordPath)
                ca_file: /etc/hub-ca.pem
            """)
        var overrides = ConfigurationOverrides()
        overrides.upstreamURL = "https://mirror.example"
        let upstream = try #require(try overrides.applied(to: file).upstreams.first)
        #expect(upstream.name == "mirror.example")
        #expect(upstream.username == nil)
        #expect(upstream.password == nil)
        #expect(upstream.caFile == nil)
    }

    @Test func upstreamFlagNamingAnotherConfiguredUpstreamLeavesOneEntryOfThatName() throws {
        let file = try Configuration.load(yaml: """
            default_upstream: docker.io
            upstreams:
              - url: https://registry-1.docker.io
              - url: https://ghcr.io
              - url: https://quay.io
            """)
        var overrides = ConfigurationOverrides()
        overrides.upstreamURL = "https://ghcr.io"
        let configuration = try overrides.applied(to: file)
        #expect(configuration.upstreams.map(\.name) == ["ghcr.io", "quay.io"])
        #expect(configuration.defaultUpstream == "ghcr.io")
    }

    @Test func upstreamCredentialFlagsApplyToTheDefaultUpstream() throws {
        let passwordPath = try writeTemporaryFile("pa ss\r\n")
        var overrides = ConfigurationOverrides()
        overrides.upstreamUsername = "bob"
        overrides.upstreamPasswordFile = passwordPath
        overrides.upstreamInsecureSkipTLSVerify = true
        let upstream = try #require(try overrides.applied(to: .embeddedDefault).upstreams.first)
        #expect(upstream.name == "docker.io")
        #expect(upstream.username == "bob")
        #expect(upstream.password == "pa ss")
        #expect(upstream.insecureSkipTLSVerify == true)
    }

    @Test func badUpstreamFlagIsReportedUnderTheFlagName() {
        var overrides = ConfigurationOverrides()
        overrides.upstreamURL = "registry.example"
        #expect(throws: ConfigurationError.invalidValue(
            key: "--upstream", value: "registry.example",
            reason: "expected scheme://host[:port], e.g. https://registry-1.docker.io")
        ) {
            try overrides.applied(to: .embeddedDefault)
        }
    }

    @Test func unreadablePasswordFileFlagIsReportedUnderTheFlagName() {
        var overrides = ConfigurationOverrides()
        overrides.upstreamUsername = "bob"
        overrides.upstreamPasswordFile = "/nonexistent/secret"
        #expect(throws: ConfigurationError.invalidValue(
            key: "--upstream-password-file", value: "/nonexistent/secret", reason: "cannot read: No such file or directory")
        ) {
            try overrides.applied(to: .embeddedDefault)
        }
    }

    @Test func mergedResultIsValidatedAndAFlagsValueIsReportedUnderTheFlag() {
        var overrides = ConfigurationOverrides()
        overrides.workers = -1
        #expect(throws: ConfigurationError.invalidValue(key: "--workers", value: "-1", reason: "must be 0 (one per CPU) or more")) {
            try overrides.applied(to: .embeddedDefault)
        }
        overrides = ConfigurationOverrides()
        overrides.tagTTL = .zero - .seconds(1)
        #expect(throws: ConfigurationError.invalidValue(key: "--tag-ttl", value: "-1s", reason: "must not be negative")) {
            try overrides.applied(to: .embeddedDefault)
        }
    }

    @Test func aValueFromTheFileKeepsItsKeyWhenOtherFlagsAreGiven() {
        var base = Configuration.embeddedDefault
        base.workers = -1
        var overrides = ConfigurationOverrides()
        overrides.tagTTL = .seconds(5)
        #expect(throws: ConfigurationError.invalidValue(key: "workers", value: "-1", reason: "must be 0 (one per CPU) or more")) {
            try overrides.applied(to: base)
        }
    }

    @Test func aUserNameWithoutAPasswordIsReportedUnderItsFlag() {
        var overrides = ConfigurationOverrides()
        overrides.upstreamUsername = "bob"
        #expect(throws: ConfigurationError.invalidValue(
            key: "--upstream-username", value: "bob", reason: "a user name needs a password (--upstream-password-file)")
        ) {
            try overrides.applied(to: .embeddedDefault)
        }
    }
}
