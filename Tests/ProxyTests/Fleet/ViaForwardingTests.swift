import Foundation
import ProxyConfig
import Testing

/// What a Cistern in a tier sends upstream and refuses (issue 18 item 2), against the
/// recording fake upstream: `Via` with its node id appended to the incoming chain,
/// `X-Forwarded-For` kept only from a trusted proxy (and not sent at all when the upstream
/// turns it off), `?ns=` for an upstream that names one; a request whose `Via` names this node
/// is answered 508 before the cache or the upstream sees it; an upstream's 508 is relayed,
/// not retried, and never served stale over.
@Suite struct ViaForwardingTests {
    private static let blobBytes = Array("fleet blob".utf8)

    @Test func upstreamRequestsCarryViaTheTrustedForwardedForChainAndNs() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let trusting = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { configuration in
            configuration.nodeID = "edge-1"
            configuration.trustedProxies = [try! AddressRange(parsing: "127.0.0.0/8", key: "trusted_proxies[0]")]
            configuration.upstreams[0].namespace = "registry.example"
        }
        let response = try await OffPool.fetch(port: trusting.port, "/v2/team/app/blobs/\(digest)",
                                               headers: [("X-Forwarded-For", "10.1.2.3"), ("Via", "1.1 lb")])
        #expect(response.statusCode == 200)
        #expect(response.body == Self.blobBytes)
        let sent = try #require(upstream.requests.last { $0.path.hasSuffix("/blobs/\(digest)") })
        #expect(sent.header("Via") == "1.1 lb, 1.1 edge-1")
        #expect(sent.header("X-Forwarded-For") == "10.1.2.3, 127.0.0.1")
        #expect(sent.query == "ns=registry.example")

        // Not a trusted peer: the client's own X-Forwarded-For is dropped; no Via came in.
        let other = upstream.addBlob(Array("second blob".utf8))
        let untrusting = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.nodeID = "edge-2" }
        #expect(try await OffPool.fetch(port: untrusting.port, "/v2/team/app/blobs/\(other)",
                                        headers: [("X-Forwarded-For", "10.9.9.9")]).statusCode == 200)
        let untrusted = try #require(upstream.requests.last { $0.path.hasSuffix("/blobs/\(other)") })
        #expect(untrusted.header("X-Forwarded-For") == "127.0.0.1")
        #expect(untrusted.header("Via") == "1.1 edge-2")
        #expect(untrusted.query == nil)

        // forward_client_address: false sends no X-Forwarded-For at all.
        let third = upstream.addBlob(Array("third blob".utf8))
        let silent = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.upstreams[0].forwardClientAddress = false }
        #expect(try await OffPool.fetch(port: silent.port, "/v2/team/app/blobs/\(third)").statusCode == 200)
        let quiet = try #require(upstream.requests.last { $0.path.hasSuffix("/blobs/\(third)") })
        #expect(quiet.header("X-Forwarded-For") == nil)
        #expect(quiet.header("Via")?.hasPrefix("1.1 ") == true)
    }

    @Test func aRequestWhoseViaNamesThisNodeGets508BeforeTheCacheOrTheUpstream() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let digest = upstream.addBlob(Self.blobBytes)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.nodeID = "Mirror-A" }
        let target = "/v2/team/app/blobs/\(digest)"
        #expect(try await OffPool.fetch(port: cistern.port, target).statusCode == 200)
        let before = upstream.requests.count

        // Cached or not, a request that already passed this node is a loop: 508, OCI body.
        for (method, via) in [("GET", "1.1 lb, 1.1 mirror-a"), ("HEAD", "HTTP/1.1 Mirror-A (Cistern)"), ("GET", "1.0 x,1.1 mirror-a")] {
            let looped = try await OffPool.fetch(port: cistern.port, method: method, target, headers: [("Via", via)])
            #expect(looped.statusCode == 508, "\(method) \(via)")
            if method == "GET" { #expect(OCIErrorDocument(looped.body)?.codes == ["LOOP_DETECTED"], "\(looped.bodyText)") }
        }
        let uncached = TestSHA256.digest(Array("uncached".utf8))
        let looped = try await OffPool.fetch(port: cistern.port, "/v2/team/app/blobs/\(uncached)", headers: [("Via", "1.1 mirror-a")])
        #expect(looped.statusCode == 508)
        #expect(upstream.requests.count == before)

        // Another node's name (or a prefix of this one's) is no loop.
        let passed = try await OffPool.fetch(port: cistern.port, target, headers: [("Via", "1.1 mirror-ab, 1.1 mirror")])
        #expect(passed.statusCode == 200)
    }

    @Test func anUpstream508IsRelayedOnceAndNeverServedStale() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[]}"#.utf8)
        upstream.addManifest(repository: "ring/app", tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        let digest = upstream.addBlob(Self.blobBytes)
        // TTL 0: every tag request revalidates, so a cached tag would be served stale over a 503.
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .zero }
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/ring/app/manifests/v1").statusCode == 200)

        let loop = FakeUpstream.Behaviour.status(508, body: FakeUpstream.errorBody(code: "LOOP_DETECTED", message: "loop"))
        upstream.setBehaviour(loop)
        let before = upstream.requests.count
        for target in ["/v2/ring/app/manifests/v1", "/v2/ring/app/blobs/\(digest)"] {
            let response = try await OffPool.fetch(port: cistern.port, target)
            #expect(response.statusCode == 508, "\(target): \(response.bodyText)")
            #expect(OCIErrorDocument(response.body)?.codes == ["LOOP_DETECTED"], "\(target): \(response.bodyText)")
        }
        // One upstream request each (the tag's revalidating HEAD, the blob's GET): no retry.
        #expect(upstream.requests.count - before == 2, "\(upstream.requests.dropFirst(before).map(\.target))")
    }
}
