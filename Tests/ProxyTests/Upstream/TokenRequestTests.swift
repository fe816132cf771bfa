import Testing

@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyUpstream

@Suite struct TokenRequestTests {
    struct Expected: Sendable {
        var usesTLS: Bool
        var host: String
        var port: Int
        var target: String
        var hostHeader: String
    }

    static let requests: [(String, String?, [String], Expected)] = [
        ("https://auth.docker.io/token", "registry.docker.io", ["repository:library/alpine:pull"],
         Expected(usesTLS: true, host: "auth.docker.io", port: 443,
                  target: "/token?service=registry.docker.io&scope=repository%3Alibrary%2Falpine%3Apull",
                  hostHeader: "auth.docker.io")),
        ("https://ghcr.io/token", "ghcr.io", ["repository:user/image:pull"],
         Expected(usesTLS: true, host: "ghcr.io", port: 443,
                  target: "/token?service=ghcr.io&scope=repository%3Auser%2Fimage%3Apull", hostHeader: "ghcr.io")),
        ("http://127.0.0.1:5001/auth", "local", [],
         Expected(usesTLS: false, host: "127.0.0.1", port: 5001, target: "/auth?service=local", hostHeader: "127.0.0.1:5001")),
        ("https://x.example/token?account=me", "svc", ["a"],
         Expected(usesTLS: true, host: "x.example", port: 443, target: "/token?account=me&service=svc&scope=a", hostHeader: "x.example")),
        ("https://x.example/token?", nil, ["a"],
         Expected(usesTLS: true, host: "x.example", port: 443, target: "/token?scope=a", hostHeader: "x.example")),
        ("https://x.example", "s", [],
         Expected(usesTLS: true, host: "x.example", port: 443, target: "/?service=s", hostHeader: "x.example")),
        ("https://x.example?a=b", "s", [],
         Expected(usesTLS: true, host: "x.example", port: 443, target: "/?a=b&service=s", hostHeader: "x.example")),
        ("https://x.example/token#frag", nil, [],
         Expected(usesTLS: true, host: "x.example", port: 443, target: "/token", hostHeader: "x.example")),
        ("https://x.example:443/token", nil, ["repository:a:pull", "repository:b:pull,push"],
         Expected(usesTLS: true, host: "x.example", port: 443,
                  target: "/token?scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush", hostHeader: "x.example")),
        ("https://[::1]:8443/token", nil, [],
         Expected(usesTLS: true, host: "::1", port: 8443, target: "/token", hostHeader: "[::1]:8443")),
        ("http://[fe80::1]/t", nil, [],
         Expected(usesTLS: false, host: "fe80::1", port: 80, target: "/t", hostHeader: "[fe80::1]")),
        ("HTTPS://Auth.Example/token", nil, [],
         Expected(usesTLS: true, host: "Auth.Example", port: 443, target: "/token", hostHeader: "Auth.Example")),
    ]

    @Test(arguments: requests)
    func buildsConnectionAndOriginFormTarget(realm: String, service: String?, scopes: [String], expected: Expected) throws {
        let request = try TokenRequest(realm: realm, service: service, scopes: scopes)
        #expect(request.usesTLS == expected.usesTLS)
        #expect(request.host == expected.host)
        #expect(request.port == expected.port)
        #expect(request.target == expected.target)
        #expect(request.hostHeader == expected.hostHeader)
    }

    static let badRealms: [String] = [
        "", "ftp://x/token", "auth.docker.io/token", "//x/token", "https://user:pw@x/token", "https:///token",
        "https://x:0/", "https://x:65536/", "https://x:abc/", "https://x:/", "https://x/to ken",
        "https://x/token\r\nInjected: 1", "https://[::1/token", "https://[::1]x/", "https://[zz]/", "https://ho_st/x",
        "https://é.example/",
    ]

    @Test(arguments: badRealms)
    func rejectsUnusableRealmsAsUpstreamError(realm: String) {
        let error = thrownRegistryError { () throws(RegistryError) in try TokenRequest(realm: realm, service: "s", scopes: ["x"]) }
        #expect(error?.code == .upstreamError)
        #expect(error?.status == 502)
    }

    static let encodings: [(String, String)] = [
        ("repository:library/alpine:pull", "repository%3Alibrary%2Falpine%3Apull"),
        ("a b+c", "a%20b%2Bc"),
        ("é", "%C3%A9"),
        ("AZaz09-._~", "AZaz09-._~"),
        ("&=?#%", "%26%3D%3F%23%25"),
        ("", ""),
    ]

    @Test(arguments: encodings)
    func percentEncodesAllButUnreserved(text: String, encoded: String) {
        #expect(TokenRequest.percentEncoded(text) == encoded)
    }

    @Test func encodedScopeDecodesBackThroughRequestQuery() throws {
        let scope = "repository:library/alpine:pull,push"
        let request = try TokenRequest(realm: "https://x/token", service: nil, scopes: [scope])
        let query = try #require(request.target.split(separator: "?", maxSplits: 1).last)
        #expect(try RequestQuery(raw: query.utf8).value(named: "scope") == scope)
    }
}
