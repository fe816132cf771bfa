import BenchCore
import Testing

/// The counting origin, started in-process on a free port.
@Suite struct OriginServerTests {
    private static let layerBytes: Int64 = 200_000

    private func withOrigin(_ body: (UInt16, RegistryFixture, Guarded<OriginCounters>) throws -> Void) throws {
        let fixture = RegistryFixture(layers: RegistryFixture.layers(sizes: [Self.layerBytes, 3000]))
        let counters = Guarded(OriginCounters())
        let server = try BenchHTTPServer(port: 0) {
            OriginResponder(fixture: fixture, defaultRateBytesPerSecond: 0, counters: counters)
        }
        server.start()
        defer { server.stop() }
        try body(server.port, fixture, counters)
    }

    @Test func aBlobGetIsCountedWithItsBodyBytes() throws {
        try withOrigin { port, fixture, counters in
            let layer = fixture.layers[0]
            let response = try BlockingHTTP.request(port: port, path: "/v2/bench/r0k/blobs/\(layer.digest)")
            #expect(response.status == 200)
            #expect(SHA256Hasher.digest(of: response.body) == layer.digest)
            #expect(settled(Self.layerBytes) { counters.withLock { $0[layer.digest].bodyByteCount } } == Self.layerBytes)
            let count = counters.withLock { $0[layer.digest] }
            #expect(count.getCount == 1)
            #expect(count.headCount == 0)
        }
    }

    @Test func headAndRangeAreCountedApart() throws {
        try withOrigin { port, fixture, counters in
            let layer = fixture.layers[1]
            let head = try BlockingHTTP.request(port: port, path: "/v2/a/b/blobs/\(layer.digest)", method: "HEAD")
            #expect(head.status == 200)
            #expect(head.head.contains("Content-Length: 3000"))
            #expect(head.body.isEmpty)
            // BlockingHTTP sends no Range; a ranged request goes through the load generator.
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/a/b/blobs/\(layer.digest)", range: "bytes=-1000",
                                                                   expectedDigest: layer.digest(of: 2000..<3000))],
                                connections: 1, mode: .closed(requestsPerConnection: 1))
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.succeeded == 1)
            #expect(result.statusCounts[206] == 1)
            #expect(settled(Int64(1000)) { counters.withLock { $0[layer.digest].bodyByteCount } } == 1000)
            let count = counters.withLock { $0[layer.digest] }
            #expect(count.headCount == 1)
            #expect(count.getCount == 1)
            #expect(count.rangeCount == 1)
        }
    }

    @Test func statsEndpointReportsTheSameCounters() throws {
        try withOrigin { port, fixture, counters in
            _ = try BlockingHTTP.request(port: port, path: "/v2/x/manifests/latest")
            _ = try BlockingHTTP.request(port: port, path: "/v2/x/blobs/sha256:0000")
            _ = settled(Int64(fixture.manifestBytes.count)) { counters.withLock { $0[fixture.manifestDigest].bodyByteCount } }
            let stats = try BlockingHTTP.request(port: port, path: "/stats")
            let parsed = try #require(OriginCounters.parse(text: stats.text))
            let manifest = parsed[fixture.manifestDigest]
            #expect(manifest.getCount == 1)
            #expect(manifest.bodyByteCount == Int64(fixture.manifestBytes.count))
            #expect(parsed["sha256:0000"].getCount == 1)  // a 404 is still a request for it
            #expect(parsed.requestCount == 3)
            #expect(counters.withLock { $0.requestCount } == 3)
        }
    }

    @Test func manifestByTagAndByDigestAreTheSameBytes() throws {
        try withOrigin { port, fixture, _ in
            let byTag = try BlockingHTTP.request(port: port, path: "/v2/x/manifests/latest")
            let byDigest = try BlockingHTTP.request(port: port, path: "/v2/x/manifests/\(fixture.manifestDigest)")
            #expect(byTag.body == fixture.manifestBytes)
            #expect(byDigest.body == fixture.manifestBytes)
            #expect(byTag.head.contains("Docker-Content-Digest: \(fixture.manifestDigest)"))
        }
    }
}
