import Testing
@testable import ProxyUpstream

/// Which proxy a request takes (`EgressRoute`) and `NO_PROXY` matching (`NoProxyList`),
/// by table: Go's `httpproxy` rules, which distribution and containerd follow.
struct EgressRouteTests {
    private static let proxy = EgressProxy(host: "proxy.example", port: 3128)

    @Test(arguments: [
        ("registry.example", 443, "registry.example", true),
        ("a.registry.example", 443, "registry.example", true),
        ("notregistry.example", 443, "registry.example", false),
        ("a.registry.example", 443, ".registry.example", true),
        ("registry.example", 443, ".registry.example", false),
        ("Registry.Example", 443, "registry.EXAMPLE", true),
        ("registry.example", 5000, "registry.example:5000", true),
        ("registry.example", 443, "registry.example:5000", false),
        ("10.1.2.3", 443, "10.0.0.0/8", true),
        ("11.1.2.3", 443, "10.0.0.0/8", false),
        ("192.0.2.7", 443, "192.0.2.7", true),
        ("2001:db8::1", 443, "2001:db8::/32", true),
        ("2001:db9::1", 443, "2001:db8::/32", false),
        ("::1", 8443, "[::1]:8443", true),
        ("anything.example", 443, "*", true),
        ("registry.example", 443, "", false),
        ("registry.example", 443, "other.example, registry.example", true),
        ("10.1.2.3", 443, "10.0.0.0/-1", false),
        ("10.1.2.3", 443, "10.0.0.0/x", false),
    ] as [(String, Int, String, Bool)])
    func noProxyMatchesAsGoDoes(host: String, port: Int, list: String, matches: Bool) {
        #expect(NoProxyList(list).matches(host: host, port: UInt16(port)) == matches, "\(host):\(port) against \(list)")
    }

    @Test func theEnvironmentRouteChoosesByScheme() {
        let https = Origin(useTLS: true, host: "registry-1.docker.io", port: 443)
        let http = Origin(useTLS: false, host: "mirror.internal", port: 5000)
        let route = EgressRoute.environment(http: nil, https: Self.proxy, noProxy: NoProxyList(".internal"))
        #expect(route.proxy(for: https) == Self.proxy)
        #expect(route.proxy(for: http) == nil)  // no HTTP_PROXY set
        let both = EgressRoute.environment(http: Self.proxy, https: Self.proxy, noProxy: NoProxyList(".internal"))
        #expect(both.proxy(for: http) == nil)  // NO_PROXY
        // Loopback is never proxied from the environment (curl and Go agree).
        #expect(both.proxy(for: Origin(useTLS: false, host: "127.0.0.1", port: 5000)) == nil)
        #expect(both.proxy(for: Origin(useTLS: true, host: "localhost", port: 5000)) == nil)
        // An upstream's own proxy is used for every origin, loopback and NO_PROXY included.
        #expect(EgressRoute.fixed(Self.proxy).proxy(for: Origin(useTLS: false, host: "127.0.0.1", port: 5000)) == Self.proxy)
        #expect(EgressRoute.direct.proxy(for: https) == nil)
    }

    @Test func proxyCredentialsBecomeABasicAuthorization() {
        #expect(EgressProxy(host: "p", port: 1, username: "user", password: "pa:ss").authorization == "Basic dXNlcjpwYTpzcw==")
        #expect(EgressProxy(host: "p", port: 1).authorization == nil)
    }
}
