import Testing
@testable import Proxy
@testable import ProxyConfig

@Suite struct UpstreamConfigurationTests {
    @Test(arguments: [
        ("https://registry-1.docker.io", UpstreamScheme.https, "registry-1.docker.io", UInt16(443)),
        ("http://localhost", .http, "localhost", 80),
        ("https://ghcr.io:8443", .https, "ghcr.io", 8443),
        ("http://127.0.0.1:5001/", .http, "127.0.0.1", 5001),
        ("HTTPS://GHCR.IO", .https, "ghcr.io", 443),
        ("http://[::1]:5000", .http, "::1", 5000),
        ("https://[2001:db8::1]", .https, "2001:db8::1", 443),
    ])
    func parsesSchemeHostAndDefaultOrExplicitPort(url: String, scheme: UpstreamScheme, host: String, port: UInt16) throws {
        let upstream = try UpstreamConfiguration(name: "example", url: url)
        #expect(upstream.scheme == scheme)
        #expect(upstream.host == host)
        #expect(upstream.port == port)
        #expect(upstream.url == url)
    }

    @Test(arguments: [
        ("ftp://registry.example", "scheme must be http or https"),
        ("registry-1.docker.io", "expected scheme://host[:port], e.g. https://registry-1.docker.io"),
        ("https://", "missing host"),
        ("https://:443", "missing host"),
        ("https://host:0", "port must be a number from 1 to 65535"),
        ("https://host:70000", "port must be a number from 1 to 65535"),
        ("https://host:abc", "port must be a number from 1 to 65535"),
        ("https://host:", "port must be a number from 1 to 65535"),
        ("https://host/v2/", "must not have a path, query or fragment (Cistern appends /v2/ itself)"),
        ("https://host?x=1", "must not have a path, query or fragment (Cistern appends /v2/ itself)"),
        ("https://[::1", "unterminated IPv6 literal"),
    ])
    func rejectsBadURLsNamingTheURLKey(url: String, reason: String) {
        #expect(throws: ConfigurationError.invalidValue(key: "url", value: url, reason: reason)) {
            try UpstreamConfiguration(name: "example", url: url)
        }
    }

    /// A URL with credentials is refused, and the error (printed at start-up) does not repeat them.
    @Test func aURLWithCredentialsIsRefusedWithoutRepeatingThem() {
        #expect(throws: ConfigurationError.invalidValue(key: "url", value: "https://host",
                                                        reason: "credentials belong in username / password_file, not in the URL")) {
            try UpstreamConfiguration(name: "example", url: "https://user:pw-secret@host")
        }
    }

    @Test(arguments: ["", "ghcr.io/org", "a b", "host?x", "user@host"])
    func rejectsNamesThatAreNotRegistryHosts(name: String) {
        #expect(throws: ConfigurationError.self) {
            try UpstreamConfiguration(name: name, url: "https://ghcr.io")
        }
    }

    @Test(arguments: [
        ("https://registry-1.docker.io", true),
        ("https://index.docker.io", true),
        ("https://docker.io", true),
        ("https://ghcr.io", false),
        ("https://mirror.docker.io.example", false),
    ])
    func recognisesDockerHubHosts(url: String, isDockerHub: Bool) throws {
        #expect(try UpstreamConfiguration(name: "x", url: url).isDockerHub == isDockerHub)
    }

    @Test(arguments: [
        ("https://registry-1.docker.io", "registry-1.docker.io", "docker.io"),
        ("https://ghcr.io:443", "ghcr.io", "ghcr.io"),
        ("http://127.0.0.1:5001", "127.0.0.1:5001", "127.0.0.1:5001"),
        ("http://[::1]:5000", "[::1]:5000", "[::1]:5000"),
        ("http://registry.example:80", "registry.example", "registry.example"),
    ])
    func authorityOmitsDefaultPortAndDerivedNameMapsDockerHub(url: String, authority: String, derivedName: String) throws {
        let upstream = try UpstreamConfiguration(name: "x", url: url)
        #expect(upstream.authority == authority)
        #expect(upstream.derivedName == derivedName)
    }

    @Test func dockerHubConstantMatchesParsingItsURL() throws {
        let parsed = try UpstreamConfiguration(name: "docker.io", url: "https://registry-1.docker.io")
        #expect(UpstreamConfiguration.dockerHub == parsed)
    }
}

@Suite struct UpstreamConfigurationDescriptionTests {
    @Test func printingAConfigurationNeverShowsThePassword() throws {
        var configuration = Configuration.embeddedDefault
        configuration.upstreams[0].username = "alice"
        configuration.upstreams[0].password = "hunter2-secret"
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), "\(configuration.upstreams[0])", dumped] {
            #expect(!text.contains("hunter2-secret"))
            #expect(text.contains("<redacted>"))
        }
        #expect("\(configuration.upstreams[0])" == "docker.io -> https://registry-1.docker.io username=alice password=<redacted>")
    }
}
