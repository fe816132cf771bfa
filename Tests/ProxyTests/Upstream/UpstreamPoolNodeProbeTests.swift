import Foundation
import ProxyConfig
import Testing

/// The `GET /v2/` probe that learns an upstream's node ids before a request with `Via` is
/// routed (issue 18 item 2, ``UpstreamPool/probeNodeIDs(of:nodeID:_:)``). It guards against a
/// ring of Cistern nodes, whose `/v2/` answers at once; an upstream that is silent must not
/// hold such requests for the upstream read timeout, each, when the cache could answer them.
@Suite struct UpstreamPoolNodeProbeTests {
    /// A regional node restarted while its upstream accepts connections but never answers: a
    /// cached blob asked for by an edge (with `Via`) is served after a short wait the first
    /// time, and at once afterwards, as it is without `Via`.
    @Test func aSilentUpstreamHoldsRequestsWithViaBrieflyAndOnlyOnce() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let bytes = Array("cached before the upstream fell silent".utf8)
        let digest = upstream.addBlob(bytes)
        let target = "/v2/team/app/blobs/\(digest)"
        // The manifest that links the blob to the repository, as a pull fetches it first.
        let manifest = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(digest)","size":\#(bytes.count)},"layers":[]}"#.utf8)
        let manifestDigest = upstream.addManifest(repository: "team/app", tag: "1", bytes: manifest, mediaType: "application/vnd.oci.image.manifest.v1+json")
        let cache = try TemporaryDirectory(prefix: "cistern-node-probe")
        let configure: (inout Configuration) -> Void = { $0.nodeID = "regional"; $0.timeouts.upstreamReadStall = .seconds(20) }
        let first = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cache.url, configure: configure)
        #expect(try await OffPool.fetch(port: first.port, "/v2/team/app/manifests/\(manifestDigest)").statusCode == 200)
        #expect(try await OffPool.fetch(port: first.port, target).statusCode == 200)
        first.stop()

        upstream.setBehaviour(.delayBeforeHeaders(.seconds(60)))
        let restarted = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cache.url, configure: configure)
        defer { restarted.stop() }
        let plain = try await OffPool.fetch(port: restarted.port, target)
        #expect(plain.statusCode == 200 && plain.body == bytes, "without Via: \(plain.statusCode)")
        let port = restarted.port
        for (attempt, bound) in [(0, Duration.seconds(5)), (1, .seconds(1)), (2, .seconds(1))] {
            let started = ContinuousClock.now
            let response = try await OffPool.run {
                try TestHTTPClient.fetch(port: port, target, headers: [("Via", "1.1 edge-1")], options: .init(timeout: .seconds(30)))
            }
            let elapsed = ContinuousClock.now - started
            #expect(response.statusCode == 200 && response.body == bytes, "attempt \(attempt): \(response.statusCode)")
            #expect(elapsed < bound, "attempt \(attempt) took \(elapsed)")
        }
    }
}
