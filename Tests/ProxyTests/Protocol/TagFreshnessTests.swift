import Foundation
import Testing

/// Tag freshness against the real registry (issue 4 item 8.4): within `tagTTL` a tag is
/// answered from the cache with no upstream manifest request; after it, one HEAD revalidates,
/// and a GET follows only when the digest changed; a tag moved upstream is seen after the TTL
/// and not before.
///
/// Timing: the TTL is 1 s. "Fresh" and "stale" are asserted only where the clock makes them
/// certain (a request that ended less than the TTL after the confirming request was sent is
/// fresh; one sent at least the TTL after the confirming answer arrived is stale), and the
/// fresh side is skipped under sanitizers (`CISTERN_SANITIZER`), which run far slower.
@Suite struct TagFreshnessTests {
    private static let tagTTL: Duration = .seconds(1)
    /// Added to the TTL before a request that must find the tag stale (clock granularity,
    /// wall clock in Cistern against the monotonic clock here).
    private static let staleMargin: Duration = .milliseconds(150)
    private static let repository = "fresh/app"
    private static let path = "/v2/\(repository)/manifests/moving"

    /// One pull of the tag: what it resolved to and when it was sent and answered.
    private struct Pull {
        let digest: String?
        let sent: ContinuousClock.Instant
        let received: ContinuousClock.Instant
    }

    private static var freshnessIsAsserted: Bool {
        ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil
    }

    private func pull(_ cistern: CisternInstance) async throws -> Pull {
        let sent = ContinuousClock.now
        let response = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        #expect(response.statusCode == 200)
        return Pull(digest: response.header("Docker-Content-Digest"), sent: sent, received: ContinuousClock.now)
    }

    /// Upstream (HEAD, GET) counts on the tag since the last log reset.
    private func tagRequests(_ registry: RegistryProcess) async throws -> (heads: Int, gets: Int) {
        let requests = try await registry.requests().filter { $0.path == Self.path }
        return (requests.count { $0.method == "HEAD" }, requests.count { $0.method == "GET" })
    }

    /// Sleeps until `Self.tagTTL` (plus margin) after `confirmation` was answered.
    private func waitUntilStale(after confirmation: Pull) async throws {
        try await Task.sleep(until: confirmation.received + Self.tagTTL + Self.staleMargin, clock: .continuous)
    }

    @Test func aMovedTagIsSeenAfterTheTTLAndNotBeforeAndAnUnchangedOneIsRevalidatedByHeadAlone() async throws {
        let work = try TemporaryDirectory(prefix: "cistern-freshness")
        let registry = try await RegistryProcess.start(SeededRegistry.registryOptions)
        let builder = ImageBuilder(directory: work.url)
        let first = try await builder.image(name: "first", layers: [.file(byteCount: 2048)], seed: 200)
        let second = try await builder.image(name: "second", layers: [.file(byteCount: 2048)], seed: 201)
        let seeder = RegistrySeeder(registry: registry)
        try await seeder.push(first, repository: Self.repository, tag: "moving")
        try await registry.resetRequestLog()
        let cistern = try CisternInstance(upstream: registry.baseURL) { $0.tagTTL = Self.tagTTL }

        // Cold: one GET, no HEAD.
        let cold = try await pull(cistern)
        #expect(cold.digest == first.root.digest)
        #expect(try await tagRequests(registry) == (heads: 0, gets: 1))

        // Warm within the TTL: not a single upstream manifest request.
        try await registry.resetRequestLog()
        var warm: [Pull] = []
        for _ in 1...3 { warm.append(try await pull(cistern)) }
        #expect(warm.map(\.digest) == Array(repeating: first.root.digest, count: 3))
        if Self.freshnessIsAsserted, warm[2].received - cold.sent < Self.tagTTL {
            #expect(try await tagRequests(registry) == (heads: 0, gets: 0))
        }

        // Past the TTL, digest unchanged: one HEAD, no GET.
        try await waitUntilStale(after: warm[2])
        try await registry.resetRequestLog()
        let revalidated = try await pull(cistern)
        #expect(revalidated.digest == first.root.digest)
        #expect(try await tagRequests(registry) == (heads: 1, gets: 0))

        // Moved upstream right after the revalidation: not seen while the tag is fresh. (A
        // plain push: `moveTag` would HEAD the tag on this registry and blur the counts.)
        try await registry.resetRequestLog()
        try await seeder.push(second, repository: Self.repository, tag: "moving")
        let early = try await pull(cistern)
        if Self.freshnessIsAsserted, early.received - revalidated.sent < Self.tagTTL {
            #expect(early.digest == first.root.digest)
            #expect(try await tagRequests(registry) == (heads: 0, gets: 0))
        }

        // Past the TTL: the new digest, by one HEAD and one GET (only a HEAD if a slow
        // machine let the early pull find the tag stale and fetch the new digest already).
        try await waitUntilStale(after: early)
        try await registry.resetRequestLog()
        let moved = try await pull(cistern)
        #expect(moved.digest == second.root.digest)
        let expectedGets = early.digest == first.root.digest ? 1 : 0
        #expect(try await tagRequests(registry) == (heads: 1, gets: expectedGets))

        // And the new answer is fresh again: no upstream request.
        try await registry.resetRequestLog()
        let again = try await pull(cistern)
        #expect(again.digest == second.root.digest)
        if Self.freshnessIsAsserted, again.received - moved.sent < Self.tagTTL {
            #expect(try await tagRequests(registry) == (heads: 0, gets: 0))
        }
    }
}
