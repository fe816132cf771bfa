import Testing
@testable import Proxy
@testable import ProxyUpstream

/// Redirect targets (RFC 9110 section 10.2.2 `Location`, a URI reference per RFC 3986):
/// resolved against the origin that answered, and refused when they could not be a URI,
/// since the path goes verbatim into the next request line.
@Suite struct OriginTests {
    private let registry = Origin(useTLS: true, host: "registry.example", port: 443)

    @Test(arguments: [
        ("/v2/a/blobs/x?sig=1", "https://registry.example", "/v2/a/blobs/x?sig=1"),
        ("/v2/a/blobs/x#part", "https://registry.example", "/v2/a/blobs/x"),
        ("https://cdn.example/blob?token=a%20b", "https://cdn.example", "/blob?token=a%20b"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000", "/"),
        ("//cdn.example:8443/b", "https://cdn.example:8443", "/b"),
        ("https://CDN.Example/b#frag", "https://cdn.example", "/b"),
        ("HTTPS://cdn.example/b", "https://cdn.example", "/b"),
        // Relative paths merge with the redirected request's directory (RFC 3986 section 5.2.3).
        ("other/blobs/y?x=1", "https://registry.example", "/v2/a/blobs/other/blobs/y?x=1"),
        ("y#f", "https://registry.example", "/v2/a/blobs/y"),
    ])
    func resolvesLocations(_ location: String, _ origin: String, _ pathAndQuery: String) throws {
        let resolved = try #require(registry.resolve(location: location, basePath: "/v2/a/blobs/x?token=1"))
        #expect(resolved.origin.description == origin)
        #expect(resolved.pathAndQuery == pathAndQuery)
    }

    @Test(arguments: [
        "/v2/x/blobs/y HTTP/1.1\tX-Injected: 1",
        "/v2/x/blobs/y\r\nX-Injected: 1",
        "https://cdn.example/a b",
        "/v2/caf\u{E9}",
        "/v2/x\u{7F}",
        "",
        "ftp://cdn.example/b",
        "https://user@cdn.example/b",
        "https://cdn.example:0/b",
        "../secret",
        "a/./b",
        "mailto:someone",
    ])
    func refusesLocationsThatAreNoURI(_ location: String) {
        #expect(registry.resolve(location: location) == nil)
    }
}
