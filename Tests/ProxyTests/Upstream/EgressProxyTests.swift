import Foundation
import Testing
@testable import Proxy
@testable import ProxyConfig

/// Upstream requests through an HTTP proxy (issue 14 item 4), against the real registry and a
/// real forward proxy on loopback (`ForwardProxy`). The registry is named `registry.invalid`,
/// a name only the proxy can resolve, so a pull that succeeds went through it.
@Suite(.serialized) struct EgressProxyTests {
    private static let proxyUser = "egress"
    private static let proxyPassword = "s3cret:with%colon"

    private static var proxyAuthorization: String {
        "Basic " + Data("\(proxyUser):\(proxyPassword)".utf8).base64EncodedString()
    }

    @Test func aTLSUpstreamIsPulledThroughTheProxysConnectTunnelWithTheProxysCredentials() async throws {
        let work = try TemporaryDirectory()
        var options = RegistryProcess.Options()
        options.transport = .tls
        options.certificateNames = "DNS:registry.invalid, IP:127.0.0.1, DNS:localhost"
        let registry = try await RegistryProcess.start(options)
        let image = try await ImageBuilder(directory: work.url).image(name: "egress", layers: [.file(byteCount: 300_000)], seed: 31)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "1.0")
        let authority = try #require(registry.certificateAuthority)
        let proxy = try ForwardProxy(hosts: ["registry.invalid": "127.0.0.1"], requiredAuthorization: Self.proxyAuthorization)
        defer { proxy.stop() }
        let origin = "registry.invalid:\(registry.port)"
        let cistern = try CisternInstance(upstreams: [(origin, "https://\(origin)")]) { configuration in
            configuration.upstreams[0].caFile = authority.caCertificateURL.path
            // As YAML `proxy:` writes it: the password's `:` and `%` percent-encoded.
            configuration.upstreams[0].proxy = try! EgressProxySetting.parse(
                "http://\(Self.proxyUser):s3cret%3Awith%25colon@127.0.0.1:\(proxy.port)", key: "proxy")
        }
        defer { cistern.stop() }

        let target = work.appending("pulled")
        try await Skopeo().copy("\(cistern.hostAndPort)/team/app:1.0", to: target)
        #expect(try await Skopeo.verifyDirectory(target).manifestDigest == image.root.digest)
        let requests = proxy.requests
        #expect(!requests.isEmpty)
        for request in requests {
            // Only tunnels: the registry's requests and credentials travel inside TLS.
            #expect(request.line == "CONNECT \(origin) HTTP/1.1")
            #expect(request.proxyAuthorization == Self.proxyAuthorization)
        }
    }

    @Test func wrongProxyCredentialsAreReportedAsTheProxysRefusal() async throws {
        let proxy = try ForwardProxy(hosts: ["registry.invalid": "127.0.0.1"], requiredAuthorization: Self.proxyAuthorization)
        defer { proxy.stop() }
        let cistern = try CisternInstance(upstreams: [("registry.invalid", "https://registry.invalid")]) { configuration in
            configuration.upstreams[0].proxy = .proxy(EgressProxyURL(host: "127.0.0.1", port: proxy.port, username: "egress", password: "wrong"))
        }
        defer { cistern.stop() }
        let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/manifests/1.0")
        #expect([502, 503, 504].contains(response.statusCode ?? 0))
        #expect(String(decoding: response.body, as: UTF8.self).contains("CONNECT answered 407"), "\(String(decoding: response.body, as: UTF8.self))")
        #expect(proxy.requests.map(\.line) == ["CONNECT registry.invalid:443 HTTP/1.1"])
    }

    @Test func thePlainUpstreamFollowsHTTPProxyFromTheEnvironmentAndNoProxyBypassesIt() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "egress-env", layers: [.file(byteCount: 200_000)], seed: 32)
        try await RegistrySeeder(registry: registry).push(image, repository: "team/app", tag: "1.0")
        let layer = try #require(image.layers.first)
        let proxy = try ForwardProxy(hosts: ["registry.invalid": "127.0.0.1"])
        defer { proxy.stop() }
        let upstream = "http://registry.invalid:\(registry.port)"
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.lowercased().hasSuffix("_proxy") }
        environment["HTTP_PROXY"] = "127.0.0.1:\(proxy.port)"
        environment["NO_PROXY"] = "example.com,.internal"

        let proxied = try CisternProcess(upstream: upstream, cache: work.appending("cache-a"), environment: environment)
        let blob = try TestHTTPClient.fetch(port: proxied.port, "/v2/team/app/blobs/\(layer.digest)")
        #expect(blob.statusCode == 200)
        #expect(TestSHA256.digest(blob.body) == layer.digest)
        #expect(proxy.requests.map(\.line) == ["GET \(upstream)/v2/team/app/blobs/\(layer.digest) HTTP/1.1"])
        proxied.stop()

        // Named in NO_PROXY: straight to a host nobody can resolve, so it fails, unproxied.
        environment["NO_PROXY"] = "example.com, registry.invalid"
        let direct = try CisternProcess(upstream: upstream, cache: work.appending("cache-b"), extraArguments: ["--upstream-connect-timeout", "3s"],
                                        environment: environment)
        let refused = try TestHTTPClient.fetch(port: direct.port, "/v2/team/app/blobs/\(layer.digest)")
        #expect((refused.statusCode ?? 0) >= 500)
        #expect(proxy.requests.count == 1)
        direct.stop()
    }
}
