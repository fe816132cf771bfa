import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

/// Writes `contents` to a new file in a fresh temporary directory and returns its path.
private func writeTemporaryFile(_ contents: String, name: String = "file") throws -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("cistern-config-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct ConfigurationYAMLTests {
    @Test func everyKeyIsReadIntoTheConfiguration() throws {
        let passwordPath = try writeTemporaryFile("hunter2\n")
        let yaml = """
            listen: 127.0.0.1:5050
            workers: 3
            cache_dir: /var/lib/cistern
            default_upstream: ghcr.io
            upstreams:
              - name: docker.io
                url: https://registry-1.docker.io
                username: alice
                password_file: \(passwordPath)
                insecure_skip_tls_verify: false
                ca_file: /etc/cistern/hub-ca.pem
              - name: ghcr.io
                url: https://ghcr.io
                insecure_skip_tls_verify: true
            timeouts: { request_head: 5s, idle_keep_alive: 2m, client_write_stall: 45s, upstream_connect: 1500ms, upstream_read_stall: 20s, upstream_minimum_rate: 2048, upstream_minimum_rate_window: 1m }
            tag_ttl: 0
            prefetch: true
            prefetch_platform: linux/arm64/v8
            prefetch_concurrency: 8
            log_level: debug
            access_log: false
            """
        let configuration = try Configuration.load(yaml: yaml)

        var hub = try UpstreamConfiguration(name: "docker.io", url: "https://registry-1.docker.io")
        hub.username = "alice"
        hub.password = "hunter2"
        hub.passwordFile = passwordPath
        hub.caFile = "/etc/cistern/hub-ca.pem"
        let ghcr = try UpstreamConfiguration(name: "ghcr.io", url: "https://ghcr.io", insecureSkipTLSVerify: true)
        let expected = Configuration(
            listen: ListenAddress(host: "127.0.0.1", port: 5050),
            workers: 3,
            cacheDirectory: "/var/lib/cistern",
            upstreams: [hub, ghcr],
            defaultUpstream: "ghcr.io",
            timeouts: Timeouts(
                requestHead: .seconds(5), idleKeepAlive: .seconds(120), clientWriteStall: .seconds(45),
                upstreamConnect: .milliseconds(1500), upstreamReadStall: .seconds(20),
                upstreamMinimumRate: 2048, upstreamMinimumRateWindow: .seconds(60)),
            tagTTL: .zero,
            prefetch: true,
            prefetchPlatform: "linux/arm64/v8",
            prefetchConcurrency: 8,
            logLevel: .debug,
            accessLog: false)
        #expect(configuration == expected)
    }

    @Test func emptyDocumentYieldsTheEmbeddedDefault() throws {
        #expect(try Configuration.load(yaml: "") == Configuration.embeddedDefault)
        #expect(try Configuration.load(yaml: "# only a comment\n") == Configuration.embeddedDefault)
    }

    @Test func embeddedDefaultHasTheDocumentedValues() {
        let configuration = Configuration.embeddedDefault
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 5000))
        #expect(configuration.cacheDirectory == "./cistern-data")
        #expect(configuration.upstreams.map(\.name) == ["docker.io"])
        #expect(configuration.upstreams.map(\.url) == ["https://registry-1.docker.io"])
        #expect(configuration.defaultUpstream == "docker.io")
        #expect(configuration.tagTTL == .seconds(60))
        #expect(configuration.timeouts == Timeouts(
            requestHead: .seconds(30), idleKeepAlive: .seconds(60), clientWriteStall: .seconds(60),
            upstreamConnect: .seconds(10), upstreamReadStall: .seconds(30),
            upstreamMinimumRate: 1024, upstreamMinimumRateWindow: .seconds(30)))
        #expect(configuration.prefetch == false)
        #expect(configuration.prefetchPlatform == "linux/amd64")
        #expect(configuration.prefetchConcurrency == 4)
        #expect(configuration.logLevel == .info)
        #expect(configuration.accessLog == true)
        #expect(throws: Never.self) { try configuration.validate() }
    }

    @Test func absentKeysKeepTheBaseValues() throws {
        let configuration = try Configuration.load(yaml: "workers: 2\n")
        var expected = Configuration.embeddedDefault
        expected.workers = 2
        #expect(configuration == expected)
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("2m", .seconds(120)),
        ("1h", .seconds(3600)), ("45", .seconds(45)), ("\"90\"", .seconds(90)),
    ])
    func durationsAcceptUnitsAndBareSeconds(text: String, expected: Duration) throws {
        #expect(try Configuration.load(yaml: "tag_ttl: \(text)").tagTTL == expected)
    }

    @Test func malformedDurationNamesItsKeyPath() {
        #expect(throws: ConfigurationError.invalidValue(
            key: "timeouts.upstream_connect", value: "10 sec",
            reason: "expected a duration such as 250ms, 30s, 2m, 1h, 14d (bare number = seconds)")
        ) {
            try Configuration.load(yaml: "timeouts:\n  upstream_connect: 10 sec\n")
        }
    }

    @Test(arguments: [
        ("listne: 0.0.0.0:5000", "listne"),
        ("timeouts: { request_haed: 5s }", "timeouts.request_haed"),
        ("upstreams:\n  - url: https://ghcr.io\n    pasword_file: /x\n", "upstreams[0].pasword_file"),
    ])
    func unknownKeysAreRejectedWithTheirPath(yaml: String, key: String) {
        #expect(throws: ConfigurationError.unknownKey(key: key)) {
            try Configuration.load(yaml: yaml)
        }
    }

    @Test func duplicateKeysAreRejected() {
        #expect(throws: ConfigurationError.duplicateKey(key: "workers")) {
            try Configuration.load(yaml: "workers: 1\nworkers: 2\n")
        }
    }

    @Test(arguments: ["s3cret\n", "s3cret\r\n", "s3cret\n\n", "s3cret"])
    func passwordFileIsReadWithoutTrailingLineBreaks(contents: String) throws {
        let path = try writeTemporaryFile(contents)
        let yaml = "upstreams:\n  - url: https://ghcr.io\n    username: bob\n    password_file: \(path)\n"
        let upstream = try #require(try Configuration.load(yaml: yaml).upstreams.first)
        #expect(upstream.username == "bob")
        #expect(upstream.password == "s3cret")
    }

    @Test func unreadablePasswordFileNamesItsKeyPath() {
        let yaml = "upstreams:\n  - url: https://ghcr.io\n    username: bob\n    password_file: /nonexistent/cistern-password\n"
        #expect(throws: ConfigurationError.invalidValue(
            key: "upstreams[0].password_file", value: "/nonexistent/cistern-password",
            reason: "cannot read: No such file or directory")
        ) {
            try Configuration.load(yaml: yaml)
        }
    }

    @Test func emptyPasswordFileIsRejected() throws {
        let path = try writeTemporaryFile("\n")
        let yaml = "upstreams:\n  - url: https://ghcr.io\n    username: bob\n    password_file: \(path)\n"
        #expect(throws: ConfigurationError.invalidValue(key: "upstreams[0].password_file", value: path, reason: "file is empty")) {
            try Configuration.load(yaml: yaml)
        }
    }

    @Test func upstreamWithoutURLIsMissingKey() {
        let yaml = "upstreams:\n  - url: https://ghcr.io\n  - name: quay.io\n"
        #expect(throws: ConfigurationError.missingKey(key: "upstreams[1].url")) {
            try Configuration.load(yaml: yaml)
        }
    }

    @Test func badUpstreamURLNamesItsKeyPath() {
        #expect(throws: ConfigurationError.invalidValue(
            key: "upstreams[0].url", value: "ftp://ghcr.io", reason: "scheme must be http or https")
        ) {
            try Configuration.load(yaml: "upstreams:\n  - url: ftp://ghcr.io\n")
        }
    }

    @Test func upstreamNamesAreDerivedFromTheURLWhenAbsent() throws {
        let yaml = """
            upstreams:
              - url: https://registry-1.docker.io
              - url: https://ghcr.io
              - url: http://127.0.0.1:5001
            """
        let configuration = try Configuration.load(yaml: yaml)
        #expect(configuration.upstreams.map(\.name) == ["docker.io", "ghcr.io", "127.0.0.1:5001"])
        #expect(configuration.defaultUpstream == "docker.io")
    }

    @Test func defaultUpstreamFallsBackToTheFirstListedWhenBaseDefaultIsGone() throws {
        let configuration = try Configuration.load(yaml: "upstreams:\n  - url: https://quay.io\n  - url: https://ghcr.io\n")
        #expect(configuration.defaultUpstream == "quay.io")
    }

    @Test func defaultUpstreamNamingNoUpstreamIsRejected() {
        #expect(throws: ConfigurationError.invalidValue(
            key: "default_upstream", value: "quay.io", reason: "names no upstream (configured: docker.io)")
        ) {
            try Configuration.load(yaml: "default_upstream: quay.io\n")
        }
    }

    @Test(arguments: [
        ("workers: many", "workers"),
        ("prefetch: maybe", "prefetch"),
        ("access_log: [1]", "access_log"),
        ("listen: 0.0.0.0", "listen"),
        ("log_level: verbose", "log_level"),
        ("prefetch_concurrency: 2.5", "prefetch_concurrency"),
        ("cache_dir: { a: b }", "cache_dir"),
        ("upstreams: docker.io", "upstreams"),
    ])
    func wronglyTypedValuesNameTheirKey(yaml: String, key: String) {
        #expect {
            try Configuration.load(yaml: yaml)
        } throws: { error in
            guard case .invalidValue(let reportedKey, _, _) = error as? ConfigurationError else { return false }
            return reportedKey == key
        }
    }

    @Test func malformedYAMLIsReportedAsSuch() {
        #expect {
            try Configuration.load(yaml: "listen: [unclosed\n")
        } throws: { error in
            guard case .malformedYAML = error as? ConfigurationError else { return false }
            return true
        }
    }

    @Test func nullValueKeepsTheBaseButQuotedEmptyStringIsAValue() throws {
        #expect(try Configuration.load(yaml: "cache_dir:\n").cacheDirectory == "./cistern-data")
        #expect(throws: ConfigurationError.invalidValue(key: "cache_dir", value: "", reason: "must not be empty")) {
            try Configuration.load(yaml: "cache_dir: \"\"\n")
        }
    }

    @Test func loadFileReadsTheNamedFile() throws {
        let path = try writeTemporaryFile("listen: :6000\nlog_level: warn\n", name: "cistern.yaml")
        let configuration = try Configuration.load(file: path)
        #expect(configuration.listen == ListenAddress(host: "0.0.0.0", port: 6000))
        #expect(configuration.logLevel == .warning)
    }

    @Test func loadFileReportsAMissingFile() {
        #expect(throws: ConfigurationError.unreadableConfigurationFile(
            path: "/nonexistent/cistern.yaml", reason: "No such file or directory")
        ) {
            try Configuration.load(file: "/nonexistent/cistern.yaml")
        }
    }
}
