import Foundation
import Testing

/// Repository scoping (issue 4 item 6): content is stored once by digest, but
/// a blob cached through one repository is served for another only after the
/// upstream confirmed, with a HEAD, that the other repository holds it — so
/// content fetched with the mirror's credentials never leaks into a
/// repository the upstream would refuse. Confirmations are remembered.
@Suite struct RepositoryScopingTests {
    @Test func aBlobCachedThroughOneRepositoryIsServedForAnotherOnlyAfterTheUpstreamConfirmsIt() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = Array("layer of a private image".utf8) + Array(repeating: 7, count: 10_000)
        let digest = upstream.addBlob(blob)
        // The upstream holds the blob in team/private and team/public, not in other/repo.
        upstream.setBehaviour(.status(404, headers: [TestHeaderField("Content-Type", "application/json")],
                                      body: Array("{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}".utf8)),
                              for: .path("/v2/other/repo/blobs/\(digest)"))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        let filled = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/private/blobs/\(digest)")
        #expect(filled.statusCode == 200)
        #expect(filled.body == blob)
        #expect(cistern.committedBlobDigests() == [digest])

        // Another repository the upstream refuses: 404, and not one byte of the blob.
        let refused = try TestHTTPClient.fetch(port: cistern.port, "/v2/other/repo/blobs/\(digest)")
        #expect(refused.statusCode == 404)
        #expect(refused.bodyText.contains("BLOB_UNKNOWN"))
        #expect(!refused.body.starts(with: Array("layer of".utf8)))
        #expect(upstream.requestCount(method: "HEAD", path: "/v2/other/repo/blobs/\(digest)") == 1)

        // A repository the upstream confirms: served from the cache (one HEAD, no GET), then remembered.
        for _ in 0..<3 {
            let confirmed = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/public/blobs/\(digest)")
            #expect(confirmed.statusCode == 200)
            #expect(confirmed.body == blob)
        }
        #expect(upstream.requestCount(method: "HEAD", path: "/v2/team/public/blobs/\(digest)") == 1)
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/public/blobs/\(digest)") == 0)
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/private/blobs/\(digest)") == 1)

        // The repository it was fetched through needs no confirmation at all.
        _ = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/private/blobs/\(digest)")
        #expect(upstream.requestCount(method: "HEAD", path: "/v2/team/private/blobs/\(digest)") == 0)
    }
}
