import Foundation
import Testing
@testable import ProxyConfig

/// The gate before cached content under `credentials: client` (issue 17 item 3), against a
/// counting fake upstream: each credential gets its own token; a refused credential gets
/// 401/403 on content another cached; concurrent requests of one credential share one HEAD;
/// a known tag is never served stale when the upstream refuses the client.
@Suite struct ClientAccessGateTests {
    static let alice = [("Authorization", TestHTTPClient.basicAuthorization(username: "alice", password: "alice-pw"))]
    static let bob = [("Authorization", TestHTTPClient.basicAuthorization(username: "bob", password: "bob-pw"))]

    static func cistern(_ upstream: FakeUpstream, clock: TestWallClock = TestWallClock()) throws -> CisternInstance {
        try CisternInstance(upstream: URL(string: upstream.baseURL)!, clock: clock) { configuration in
            configuration.upstreams[0].credentials = .client
            configuration.upstreams[0].clientAccessTTL = .seconds(3600)
            configuration.tagTTL = .seconds(60)
        }
    }

    @Test func aTokenUpstreamIssuesEachCredentialItsOwnTokenAndA401ForAnotherIsTheClients() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.enableTokenAuth(FakeUpstream.TokenAuthConfiguration(username: "alice", password: "alice-pw"))
        let blob = PseudoRandomBytes.make(byteCount: 40_000, seed: 1701)
        let digest = upstream.addBlob(blob)
        let cistern = try Self.cistern(upstream)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"

        let pulled = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice)
        #expect(pulled.statusCode == 200 && ContentDigest.of(pulled.body) == digest)
        #expect(cistern.committedBlobDigests() == [digest])
        let aliceTokens = upstream.requests.filter { $0.path == "/token" }
        #expect(aliceTokens.count == 1)
        #expect(aliceTokens.first?.header("Authorization") == Self.alice[0].1)

        for (client, headers) in [("bob", Self.bob), ("anonymous", [])] {
            let refused = try TestHTTPClient.fetch(port: cistern.port, path, headers: headers)
            #expect(refused.statusCode == 401, "\(client)")
            #expect(refused.header("WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
            #expect(ContentDigest.of(refused.body) != digest)
        }
        let tokenRequests = upstream.requests.filter { $0.path == "/token" }
        #expect(tokenRequests.map { $0.header("Authorization") } == [Self.alice[0].1, Self.bob[0].1, nil])
        // Only alice's fill fetched the blob; alice is still served from the cache.
        #expect(upstream.requestCount(method: "GET", path: path) == 1)
        let again = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice)
        #expect(again.statusCode == 200 && ContentDigest.of(again.body) == digest)
    }

    @Test func aCredentialTheUpstreamDeniesGets403OnACachedBlobAndAnotherKeepsItsConfirmation() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(PseudoRandomBytes.make(byteCount: 30_000, seed: 1702))
        let cistern = try Self.cistern(upstream)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"
        #expect(try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice).statusCode == 200)
        #expect(cistern.committedBlobDigests() == [digest])

        upstream.setBehaviour(.status(403), method: "HEAD")
        upstream.clearRecordedRequests()
        let denied = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.bob)
        #expect(denied.statusCode == 403)
        #expect(denied.bodyText.contains("\"DENIED\""))
        #expect(ContentDigest.of(denied.body) != digest)
        #expect(upstream.requestCount(method: "HEAD", path: path) == 1)
        // Remembered for bob: no second HEAD; alice's confirmation still holds: no HEAD at all.
        #expect(try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.bob).statusCode == 403)
        let alice = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice)
        #expect(alice.statusCode == 200 && ContentDigest.of(alice.body) == digest)
        #expect(upstream.requests.count == 1)
    }

    @Test func concurrentRequestsOfOneCredentialShareOneConfirmationHEAD() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(PseudoRandomBytes.make(byteCount: 30_000, seed: 1703))
        let cistern = try Self.cistern(upstream)
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"
        #expect(try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice).statusCode == 200)
        _ = cistern.committedBlobDigests()

        upstream.setBehaviour(.delayBeforeHeaders(.milliseconds(400)), method: "HEAD")
        upstream.clearRecordedRequests()
        let results = Locked<[String]>([])
        let port = cistern.port
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let response = try? TestHTTPClient.fetch(port: port, path, headers: Self.bob)
            results.withLock { $0.append("\(response?.statusCode ?? 0) \(response.map { ContentDigest.of($0.body) } ?? "")") }
        }
        #expect(results.withLock { $0 } == Array(repeating: "200 \(digest)", count: 6))
        #expect(upstream.requests.map { "\($0.method) \($0.path)" } == ["HEAD \(path)"])
    }

    @Test func aKnownTagIsNeverServedStaleWhenTheUpstreamRefusesTheClient() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#.utf8)
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: manifest, mediaType: FixtureMediaType.ociManifest)
        let clock = TestWallClock()
        let cistern = try Self.cistern(upstream, clock: clock)
        defer { cistern.stop() }
        let path = "/v2/team/app/manifests/v1"
        let accept = [("Accept", FixtureMediaType.ociManifest)]
        let first = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice + accept)
        #expect(first.statusCode == 200 && first.header("Docker-Content-Digest") == digest)

        // Past tag_ttl (the confirmation, 1 h, still holds): the revalidation is refused.
        clock.advance(by: .seconds(61))
        upstream.setBehaviour(.status(401), for: .route(.manifest))
        let refused = try TestHTTPClient.fetch(port: cistern.port, path, headers: Self.alice + accept)
        #expect(refused.statusCode == 401)
        #expect(refused.header("Docker-Content-Digest") == nil)
    }
}
