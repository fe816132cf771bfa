import Foundation
import Testing

/// `X-Request-ID` end to end: the client's id (or Cistern's own) comes back on the response
/// and goes to the upstream with every request made for it, so the upstream's logs name the
/// same request.
@Suite(.serialized) struct RequestIDForwardingTests {
    @Test func theClientsIDGoesUpstreamWithTheBlobAndManifestRequestsAndComesBack() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Array("request id".utf8))
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aa","size":1},"layers":[]}"#.utf8)
        _ = upstream.addManifest(repository: "library/data", tag: "v1", bytes: manifest, mediaType: "application/vnd.oci.image.manifest.v1+json")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        let blob = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/blobs/\(digest)", headers: [("X-Request-ID", "client-blob-1")])
        #expect(blob.statusCode == 200)
        #expect(blob.header("X-Request-ID") == "client-blob-1")
        let tagged = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/manifests/v1", headers: [("X-Request-ID", "client-manifest-2")])
        #expect(tagged.statusCode == 200)
        #expect(tagged.header("X-Request-ID") == "client-manifest-2")
        // Without an id of its own, the client gets Cistern's, which the upstream saw too.
        let tags = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/tags/list")
        let generated = try #require(tags.header("X-Request-ID"))
        #expect(generated.wholeMatch(of: #/[0-9a-f]{16}/#) != nil)

        let recorded = upstream.requests
        let blobRequest = try #require(recorded.first { $0.path == "/v2/library/data/blobs/\(digest)" })
        #expect(blobRequest.header("X-Request-ID") == "client-blob-1")
        #expect(blobRequest.header("X-Forwarded-For") == "127.0.0.1")
        let manifestRequests = recorded.filter { $0.path == "/v2/library/data/manifests/v1" }
        #expect(!manifestRequests.isEmpty)
        #expect(manifestRequests.allSatisfy { $0.header("X-Request-ID") == "client-manifest-2" })
        let tagsRequest = try #require(recorded.first { $0.path.hasPrefix("/v2/library/data/tags/list") })
        #expect(tagsRequest.header("X-Request-ID") == generated)
    }
}
