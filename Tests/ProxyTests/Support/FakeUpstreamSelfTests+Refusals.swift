import Foundation
import Testing

/// Denied repositories at the token endpoint, closing before an answer, cursor pagination.
extension FakeUpstreamSelfTests {
    @Test("a denied repository's scope is left out of the token, which the registry then refuses")
    func deniedRepositoryToken() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.enableTokenAuth(.init(deniedRepositories: ["private/app"]))
        let target = "/token?service=fake-registry&scope=repository%3Aprivate%2Fapp%3Apull&scope=repository%3Apublic%2Fapp%3Apull"
        let issued = try TestHTTPClient.fetch(port: upstream.port, target)
        #expect(issued.statusCode == 200)
        let bearer = [("Authorization", "Bearer \(try Self.token(from: issued))")]
        let denied = try TestHTTPClient.fetch(port: upstream.port, "/v2/private/app/blobs/\(digest)", headers: bearer)
        #expect(denied.statusCode == 401)
        #expect(denied.header("WWW-Authenticate")?.hasSuffix(#",error="insufficient_scope""#) == true)
        let allowed = try TestHTTPClient.fetch(port: upstream.port, "/v2/public/app/blobs/\(digest)", headers: bearer)
        #expect(allowed.statusCode == 200 && allowed.body == Self.blobBytes)
    }

    @Test("closeBeforeAnswer reads the request and closes the connection without a byte")
    func closeBeforeAnswer() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        upstream.setBehaviour(.closeBeforeAnswer, for: .route(.blob), times: 1)
        let closed = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(closed.statusCode == nil && closed.body.isEmpty, "\(closed.ending)")
        #expect(upstream.requestCount(path: "/v2/a/blobs/\(digest)") == 1)
        let answered = try TestHTTPClient.fetch(port: upstream.port, "/v2/a/blobs/\(digest)")
        #expect(answered.statusCode == 200 && answered.body == Self.blobBytes)
    }

    @Test("opaque-cursor pagination links the next page with next_page, absolute or relative")
    func opaqueCursorPaging() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        for tag in ["a", "b", "c"] {
            upstream.addManifest(repository: "r/app", tag: tag, bytes: Array("{}".utf8), mediaType: FixtureMediaType.ociManifest)
        }
        upstream.setTagListPaging(.opaqueCursor(base: upstream.baseURL))
        let first = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/app/tags/list?n=2")
        #expect(first.bodyText.contains(#"["a","b"]"#), "\(first.bodyText)")
        let link = try #require(first.header("Link"))
        let prefix = "<\(upstream.baseURL)/v2/r/app/tags/list?n=2&next_page=pg1."
        #expect(link.hasPrefix(prefix) && link.hasSuffix(#">; rel="next""#), "\(link)")
        let next = String(link.dropFirst(1 + upstream.baseURL.count).prefix { $0 != ">" })
        let second = try TestHTTPClient.fetch(port: upstream.port, next)
        #expect(second.bodyText.contains(#"["c"]"#), "\(second.bodyText)")
        #expect(second.header("Link") == nil)
        // `last` means nothing in this mode; an unreadable cursor starts from the beginning.
        #expect(try TestHTTPClient.fetch(port: upstream.port, "/v2/r/app/tags/list?n=2&last=b").bodyText.contains(#"["a","b"]"#))
        upstream.setTagListPaging(.opaqueCursor(base: ""))
        let relative = try TestHTTPClient.fetch(port: upstream.port, "/v2/r/app/tags/list?n=2&next_page=junk")
        #expect(relative.header("Link")?.hasPrefix("</v2/r/app/tags/list?n=2&next_page=pg1.") == true)
    }
}
