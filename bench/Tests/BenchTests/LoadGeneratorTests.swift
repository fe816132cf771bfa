import BenchCore
import Testing

/// The load generator against the in-process origin: counts, verification, open loop.
@Suite struct LoadGeneratorTests {
    private func withOrigin(_ body: (UInt16, RegistryFixture, Guarded<OriginCounters>) throws -> Void) throws {
        let fixture = RegistryFixture(layers: RegistryFixture.layers(sizes: [100_000]))
        let counters = Guarded(OriginCounters())
        let server = try BenchHTTPServer(port: 0) {
            OriginResponder(fixture: fixture, defaultRateBytesPerSecond: 0, counters: counters)
        }
        server.start()
        defer { server.stop() }
        try body(server.port, fixture, counters)
    }

    @Test func closedLoopSendsEveryRequestAndVerifiesEveryBody() throws {
        try withOrigin { port, fixture, counters in
            let layer = fixture.layers[0]
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/bench/r0k/blobs/\(layer.digest)", expectedDigest: layer.digest)],
                                connections: 4, mode: .closed(requestsPerConnection: 3))
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.succeeded == 12)
            #expect(result.failed == 0 && result.digestMismatches == 0 && !result.capped)
            #expect(result.bodyByteCount == 12 * 100_000)
            #expect(LatencySummary(result.ttlb).count == 12)
            #expect(settled(Int64(12 * 100_000)) { counters.withLock { $0[layer.digest].bodyByteCount } } == 12 * 100_000)
            #expect(counters.withLock { $0[layer.digest].getCount } == 12)
        }
    }

    @Test func aWrongDigestIsAMismatchNotASuccess() throws {
        try withOrigin { port, fixture, _ in
            let layer = fixture.layers[0]
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/x/blobs/\(layer.digest)", expectedDigest: fixture.manifestDigest)],
                                connections: 2, mode: .closed(requestsPerConnection: 1))
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.digestMismatches == 2)
            #expect(result.succeeded == 0)
        }
    }

    @Test func notFoundCountsAsFailed() throws {
        try withOrigin { port, _, _ in
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/x/blobs/sha256:00")], connections: 1,
                                mode: .closed(requestsPerConnection: 2))
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.failed == 2)
            #expect(result.statusCounts[404] == 2)
        }
    }

    @Test func openLoopIssuesRateTimesDurationRequests() throws {
        try withOrigin { port, _, counters in
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/")], connections: 4, mode: .open(requestsPerSecond: 200))
            plan.durationNs = 250_000_000
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.succeeded == 50)
            #expect(counters.withLock { $0.requestCount } == 50)
        }
    }

    @Test func anAbortingLeaderIsNotMeasuredAndTheOthersComplete() throws {
        try withOrigin { port, fixture, _ in
            let layer = fixture.layers[0]
            var plan = LoadPlan(port: port, requests: [LoadRequest(path: "/v2/x/blobs/\(layer.digest)", expectedDigest: layer.digest)],
                                connections: 3, mode: .closed(requestsPerConnection: 1))
            plan.leader = .abortAfter(fraction: 0.1)
            plan.timeCapNs = 10_000_000_000
            let result = try LoadGenerator(plan: plan).run()
            #expect(result.succeeded == 2)
            #expect(result.failed == 0)
        }
    }

    @Test func theTimeCapEndsARunAgainstASilentServer() throws {
        // A listener that never answers: the request stays unfinished and the run is capped.
        let silent = try BenchHTTPServer(port: 0) { SilentResponder() }
        defer { silent.stop() }  // never started: the kernel accepts, nobody reads
        var plan = LoadPlan(port: silent.port, requests: [LoadRequest(path: "/v2/")], connections: 2, mode: .closed(requestsPerConnection: 1))
        plan.timeCapNs = 200_000_000
        let result = try LoadGenerator(plan: plan).run()
        #expect(result.capped)
        #expect(result.unfinished == 2)
        #expect(result.succeeded == 0)
    }
}

private final class SilentResponder: BenchResponder {
    func respond(to request: BenchRequest) -> BenchResponse { BenchResponse(status: 200, body: .none(contentLength: 0)) }
    func sentBody(byteCount: Int64, key: String) {}
}
