import Foundation
import Testing

/// A blob the upstream redirects to a storage host (a signed URL) that then answers 403, as an
/// expired signature does (issue 10 item b): the client gets 502 UPSTREAM_ERROR naming the
/// storage host, not 403 DENIED naming the registry, which granted access by redirecting.
@Suite struct RedirectTargetRefusalTests {
    @Test func aStorageHostsRefusalIs502NamingThatHostNotDenied() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let storage = try FakeUpstream()
        defer { storage.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 40_000, seed: 1310)
        let digest = upstream.addBlob(blob)
        storage.addBlob(blob)
        upstream.setBehaviour(.redirect(to: storage), for: .route(.blob))
        // What S3 answers for an expired presigned URL.
        let expired = Array("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>".utf8)
        storage.setBehaviour(.status(403, headers: [TestHeaderField("Content-Type", "application/xml")], body: expired))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        for method in ["GET", "HEAD"] {
            let response = try await OffPool.fetch(port: cistern.port, method: method, path)
            #expect(response.statusCode == 502, "\(method): \(response.bodyText)")
            if method == "GET" {
                #expect(OCIErrorDocument(response.body)?.codes == ["UPSTREAM_ERROR"], "\(response.bodyText)")
                #expect(response.bodyText.contains("storage host 127.0.0.1:\(storage.port)"), "\(response.bodyText)")
                #expect(!response.bodyText.contains("denied access"), "\(response.bodyText)")
            }
        }
        #expect(storage.requestCount(path: path) == 2)
        #expect(cistern.committedBlobDigests().isEmpty)

        // A fresh signature: the same request succeeds.
        storage.removeAllBehaviours()
        let recovered = try await OffPool.fetch(port: cistern.port, path)
        #expect(recovered.statusCode == 200)
        #expect(recovered.body == blob)
    }
}
