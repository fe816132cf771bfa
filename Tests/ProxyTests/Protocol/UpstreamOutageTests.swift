import Foundation
import Testing

/// What clients get while the upstream is unusable (issue 4 item 8.5): cached tags (stale once
/// past the TTL) and cached digests still pull; anything uncached gets a 5xx with an OCI error
/// body, never a 404; a 404 comes only from an upstream that really said 404.
@Suite struct UpstreamOutageTests {
    private static let repository = "down/app"

    @Test func withTheUpstreamStoppedCachedTagsAndDigestsPullAndUncachedOnesGet503NotA404() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-outage")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let builder = ImageBuilder(directory: work.url)
        let cached = try await builder.image(name: "cached", layers: [.file(byteCount: 3000)], seed: 300)
        let uncached = try await builder.image(name: "uncached", layers: [.file(byteCount: 3000)], seed: 301)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(cached, repository: Self.repository, tag: "cached")
        try await seeder.push(uncached, repository: Self.repository, tag: "uncached")
        let tagTTL: Duration = .seconds(60)
        let clock = TestWallClock()
        let cistern = try CisternInstance(upstream: registry.baseURL, clock: clock) { $0.tagTTL = tagTTL }
        let base = "/v2/\(Self.repository)"
        let accept = AcceptVariant.containerd.headers
        let manifest = try #require(cached.manifests.first)
        let layer = try #require(manifest.layers.first)

        // Live upstream: an unknown tag, digest or blob is a 404 because the upstream says so.
        let unknownDigest = TestSHA256.digest(Array("never pushed".utf8))
        for (target, code) in [("\(base)/manifests/never-pushed", "MANIFEST_UNKNOWN"),
                               ("\(base)/manifests/\(unknownDigest)", "MANIFEST_UNKNOWN"),
                               ("\(base)/blobs/\(unknownDigest)", "BLOB_UNKNOWN")] {
            let response = try await OffPool.fetch(port: cistern.port, target, headers: accept)
            #expect(response.statusCode == 404, "\(target)")
            #expect(OCIErrorDocument(response.body)?.codes == [code], "\(target): \(response.bodyText)")
        }

        // Warm the cache: the tag, the manifest by digest, the layer.
        #expect(try await OffPool.fetch(port: cistern.port, "\(base)/manifests/cached", headers: accept).statusCode == 200)
        #expect(try await OffPool.fetch(port: cistern.port, "\(base)/blobs/\(layer.digest)").statusCode == 200)
        registry.stop()

        // Past the TTL (Cistern's clock moved, nobody sleeps) the tag cannot be revalidated:
        // served stale, with max-age=0.
        clock.advance(by: tagTTL)
        for method in ["GET", "HEAD"] {
            let tag = try await OffPool.fetch(port: cistern.port, method: method, "\(base)/manifests/cached", headers: accept)
            #expect(tag.statusCode == 200, "\(method)")
            #expect(tag.header("Docker-Content-Digest") == cached.root.digest, "\(method)")
            #expect(tag.header("Content-Length") == String(cached.root.byteCount), "\(method)")
            #expect(tag.header("Cache-Control") == "max-age=0", "\(method)")
            #expect(tag.body == (method == "GET" ? Array(cached.rootBytes) : []), "\(method)")
        }
        let byDigest = try await OffPool.fetch(port: cistern.port, "\(base)/manifests/\(cached.root.digest)", headers: accept)
        #expect(byDigest.statusCode == 200)
        #expect(byDigest.body == Array(cached.rootBytes))
        let blob = try await OffPool.fetch(port: cistern.port, "\(base)/blobs/\(layer.digest)")
        #expect(blob.statusCode == 200)
        #expect(TestSHA256.digest(blob.body) == layer.digest)

        // Uncached: 503 UPSTREAM_UNAVAILABLE with an OCI body (GET) and the same status (HEAD).
        let uncachedTargets = [
            "\(base)/manifests/uncached",
            "\(base)/manifests/\(uncached.root.digest)",
            "\(base)/blobs/\(try #require(uncached.manifests.first?.layers.first).digest)",
            "\(base)/manifests/never-pushed",
        ]
        for target in uncachedTargets {
            let get = try await OffPool.fetch(port: cistern.port, target, headers: accept)
            #expect(get.statusCode == 503, "\(target)")
            #expect(get.header("Content-Type") == "application/json; charset=utf-8", "\(target)")
            #expect(OCIErrorDocument(get.body)?.codes == ["UPSTREAM_UNAVAILABLE"], "\(target): \(get.bodyText)")
            let head = try await OffPool.fetch(port: cistern.port, method: "HEAD", target, headers: accept)
            #expect(head.statusCode == 503, "HEAD \(target)")
        }
    }

    @Test func aStaleTagIsServedWhileTheUpstreamAnswers503Or429AndAnUncachedTagGetsTheirStatus() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[]}"#.utf8)
        let digest = upstream.addManifest(repository: "busy/app", tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        upstream.addManifest(repository: "busy/app", tag: "v2", bytes: bytes + [0x0A], mediaType: FixtureMediaType.ociManifest)
        // TTL 0: every tag request revalidates, so no waiting is needed to make it stale.
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.tagTTL = .zero }
        #expect(try await OffPool.fetch(port: cistern.port, "/v2/busy/app/manifests/v1").statusCode == 200)

        for (failure, status, code) in [
            (FakeUpstream.Behaviour.status(503, body: FakeUpstream.errorBody(code: "UNAVAILABLE", message: "down")), 503, "UPSTREAM_UNAVAILABLE"),
            (FakeUpstream.Behaviour.tooManyRequests(retryAfterSeconds: 7), 429, "TOOMANYREQUESTS"),
        ] {
            upstream.removeAllBehaviours()
            upstream.setBehaviour(failure, for: .route(.manifest))
            let stale = try await OffPool.fetch(port: cistern.port, "/v2/busy/app/manifests/v1")
            #expect(stale.statusCode == 200, "\(status)")
            #expect(stale.header("Docker-Content-Digest") == digest, "\(status)")
            #expect(stale.body == bytes, "\(status)")
            let refused = try await OffPool.fetch(port: cistern.port, "/v2/busy/app/manifests/v2")
            #expect(refused.statusCode == status)
            #expect(OCIErrorDocument(refused.body)?.codes == [code], "\(refused.bodyText)")
            // The stale request's 429 is remembered: the uncached tag is refused without asking,
            // with the 7 s counted down.
            if status == 429 { #expect((1...7).contains(Int(refused.header("Retry-After") ?? "") ?? 0), "\(refused.header("Retry-After") ?? "none")") }
        }
    }
}
