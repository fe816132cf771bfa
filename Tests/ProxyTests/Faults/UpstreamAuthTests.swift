import Foundation
import Testing

/// What Cistern sends upstream on behalf of its clients (issue 6, item 2): a bearer token
/// fetched once and reused (Docker "Token Authentication Specification"), never the client's
/// own Authorization, its own User-Agent and the client's address in X-Forwarded-For; and a
/// blob redirected to a CDN host is fetched there without the upstream's Authorization.
@Suite struct UpstreamAuthTests {
    static let clientAuthorization = "Bearer client-secret-never-forwarded"

    @Test func oneTokenServesSeveralBlobGetsAndTheClientsAuthorizationIsNeverForwarded() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth()
        let blobs = (0..<3).map { PseudoRandomBytes.make(byteCount: 20_000 + $0, seed: 1200 + UInt64($0)) }
        let digests = blobs.map { upstream.addBlob($0) }
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }

        for digest in digests {
            let response = try TestHTTPClient.fetch(
                port: cistern.port, "/v2/team/app/blobs/\(digest)", headers: [("Authorization", Self.clientAuthorization)])
            #expect(response.statusCode == 200 && response.isComplete)
            #expect(ContentDigest.of(response.body) == digest)
        }

        #expect(upstream.tokenRequestCount == 1)
        #expect(cistern.committedBlobDigests() == Set(digests))
        let recorded = upstream.requests
        #expect(!recorded.isEmpty)
        for request in recorded {
            #expect(request.header("Authorization") != Self.clientAuthorization, "\(request.target) carried the client's credentials")
            let userAgent = request.header("User-Agent") ?? "none"
            #expect(userAgent.hasPrefix("cistern/"), "\(request.target) was sent with User-Agent \(userAgent)")
        }
        // Each blob: one refused attempt at most (the first, before the token), then one
        // authorised GET that carried the token and the client's address.
        let authorisedGets = recorded.filter {
            $0.path.contains("/blobs/") && $0.header("Authorization")?.hasPrefix("Bearer fake-token-") == true
        }
        #expect(authorisedGets.count == 3)
        #expect(authorisedGets.allSatisfy { $0.header("X-Forwarded-For") == "127.0.0.1" })
        #expect(recorded.filter { $0.path.contains("/blobs/") }.count == 4)
    }

    @Test func aBlobRedirectedToACDNIsFetchedThereWithoutTheUpstreamsAuthorizationAndCommitted() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let cdn = try FakeUpstream()
        defer { cdn.stop() }
        upstream.enableTokenAuth()
        let blob = PseudoRandomBytes.make(byteCount: 150_000, seed: 1210)
        let digest = upstream.addBlob(blob)
        cdn.addBlob(blob)
        upstream.setBehaviour(.redirect(to: cdn), for: .route(.blob))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let response = try TestHTTPClient.fetch(port: cistern.port, path, headers: [("Authorization", Self.clientAuthorization)])
        #expect(response.statusCode == 200)
        #expect(response.isComplete)
        #expect(response.header("Location") == nil)
        #expect(ContentDigest.of(response.body) == digest)
        #expect(cistern.committedBlobDigests() == [digest])

        // The upstream saw the token; the CDN saw no Authorization at all.
        #expect(upstream.tokenRequestCount == 1)
        #expect(upstream.requests.contains { $0.path == path && $0.header("Authorization")?.hasPrefix("Bearer fake-token-") == true })
        let cdnRequests = cdn.requests
        #expect(cdnRequests.count == 1)
        #expect(cdnRequests.first?.path == path)
        #expect(cdnRequests.first?.header("Authorization") == nil)
        #expect(cdnRequests.first?.header("User-Agent")?.hasPrefix("cistern/") == true)

        // The blob is now a hit: neither host is asked again.
        upstream.clearRecordedRequests()
        cdn.clearRecordedRequests()
        let hit = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(hit.statusCode == 200 && ContentDigest.of(hit.body) == digest)
        #expect(upstream.requests.isEmpty && cdn.requests.isEmpty)
    }
}
