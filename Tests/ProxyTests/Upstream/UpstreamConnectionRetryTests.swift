import Foundation
import Testing

@testable import Proxy

/// When a request on a pooled upstream connection is sent again (issue 10 item e): only when
/// the peer closed or reset that connection before answering (it dropped the idle connection
/// as Cistern reused it), never after a read timeout, which a second connection would only
/// wait out a second time.
///
/// One worker, so both requests run on one loop and the second finds the first's connection
/// in that loop's pool; tag TTL 0, so the second pull of a tag revalidates it upstream.
@Suite struct UpstreamConnectionRetryTests {
    static let readTimeout = Duration.seconds(1)
    static let repository = "pooled/app"
    static let path = "/v2/\(repository)/manifests/v1"

    private static func start(_ upstream: FakeUpstream) throws -> (CisternInstance, [UInt8]) {
        let manifest = Array(#"{"schemaVersion":2,"layers":[]}"#.utf8)
        upstream.addManifest(repository: repository, tag: "v1", bytes: manifest, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.workers = 1
            $0.tagTTL = .zero
            $0.timeouts.upstreamReadStall = readTimeout
        }
        return (cistern, manifest)
    }

    @Test func anUpstreamThatGoesQuietCostsOneReadTimeoutNotTwo() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let (cistern, manifest) = try Self.start(upstream)
        defer { cistern.stop() }
        let first = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        #expect(first.statusCode == 200 && first.body == manifest)
        #expect(upstream.acceptedConnectionCount == 1)

        // The revalidating HEAD goes out on the pooled connection and is never answered.
        upstream.setBehaviour(.delayBeforeHeaders(.seconds(10)), for: .path(Self.path), method: "HEAD")
        let sent = ContinuousClock.now
        let revalidated = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        let elapsed = ContinuousClock.now - sent

        // The upstream timed out (504 allows the stale tag): served stale after one timeout.
        #expect(revalidated.statusCode == 200 && revalidated.body == manifest)
        #expect(try MetricsScrape(port: cistern.port).value("cistern_stale_served_total") == 1)
        // The first request's HEAD (a tag is asked with HEAD first), then the revalidation's.
        #expect(upstream.requestCount(method: "HEAD", path: Self.path) == 2)
        #expect(upstream.acceptedConnectionCount == 1)
        #expect(elapsed >= Self.readTimeout)
        if TimingAssertions.areEnabled {
            #expect(elapsed < Self.readTimeout * 1.5, "took \(elapsed) with a read timeout of \(Self.readTimeout)")
        }
    }

    @Test func aPooledConnectionThePeerClosedIsRetriedOnceOnAFreshOne() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let (cistern, manifest) = try Self.start(upstream)
        defer { cistern.stop() }
        let first = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        #expect(first.statusCode == 200 && first.body == manifest)
        #expect(upstream.acceptedConnectionCount == 1)

        // The pooled connection is closed as the request arrives; the retry is answered.
        upstream.setBehaviour(.closeBeforeAnswer, for: .path(Self.path), method: "HEAD", times: 1)
        let revalidated = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        #expect(revalidated.statusCode == 200 && revalidated.body == manifest)
        #expect(try MetricsScrape(port: cistern.port).value("cistern_stale_served_total") == 0)
        // The first request's HEAD, then the revalidation's twice (closed, retried).
        #expect(upstream.requestCount(method: "HEAD", path: Self.path) == 3)
        #expect(upstream.acceptedConnectionCount == 2)
    }
}
