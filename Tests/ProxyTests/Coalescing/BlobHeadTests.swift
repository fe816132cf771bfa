import Foundation
import Testing

/// `HEAD /v2/<name>/blobs/<digest>` (distribution spec end-2, "Checking if content exists"):
/// never downloads a body. Uncached, Cistern asks the upstream with a HEAD; cached, it
/// answers from the store alone. Both answers carry Content-Length and Docker-Content-Digest.
@Suite struct BlobHeadTests {
    @Test func headOnAnUncachedBlobMakesOneUpstreamHeadAndNoGetAndOnACachedBlobNoUpstreamRequest() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 300_000, seed: 701)
        let digest = upstream.addBlob(blob)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let uncached = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", path)
        #expect(uncached.statusCode == 200)
        #expect(uncached.isComplete)
        #expect(uncached.header("Content-Length") == "300000")
        #expect(uncached.header("Docker-Content-Digest") == digest)
        #expect(uncached.body.isEmpty)
        #expect(upstream.requestCount(method: "HEAD", path: path) == 1)
        #expect(upstream.requestCount(method: "GET", path: path) == 0)
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.temporaryFiles().isEmpty)

        let get = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(get.statusCode == 200 && ContentDigest.of(get.body) == digest)
        #expect(cistern.committedBlobDigests() == [digest])

        upstream.clearRecordedRequests()
        let cached = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", path)
        #expect(cached.statusCode == 200)
        #expect(cached.isComplete)
        #expect(cached.header("Content-Length") == "300000")
        #expect(cached.header("Docker-Content-Digest") == digest)
        #expect(cached.body.isEmpty)
        #expect(upstream.requests.isEmpty)
    }

    /// An upstream HEAD 404 is confirmed with a one-byte ranged GET (some registry proxies
    /// answer HEAD 404 where GET works), never with a whole-body GET.
    @Test func headOnABlobTheUpstreamDoesNotHaveIsA404BlobUnknownAfterOneRangedGet() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let path = "/v2/team/app/blobs/\(digest)"

        let response = try TestHTTPClient.fetch(port: cistern.port, method: "HEAD", path)
        #expect(response.statusCode == 404)
        #expect(response.isComplete)
        #expect(upstream.requestCount(method: "HEAD", path: path) == 1)
        let gets = upstream.requests.filter { $0.method == "GET" && $0.path == path }
        #expect(gets.map { $0.header("Range") } == ["bytes=0-0"])
        #expect(cistern.committedBlobDigests().isEmpty)
    }
}
