import Foundation
import Testing

/// Tag freshness against the real registry (issue 4 item 8.4): within `tagTTL` a tag is
/// answered from the cache with no upstream manifest request; after it, one HEAD revalidates,
/// and a GET follows only when the digest changed; a tag moved upstream is seen after the TTL
/// and not before; `Cache-Control: max-age` counts down what is left of the TTL.
///
/// Time: Cistern measures freshness on a `TestWallClock` that only the test moves, so "fresh"
/// and "stale" are exact (no sleeping through a TTL, no margins, nothing skipped when the
/// machine is slow).
@Suite struct TagFreshnessTests {
    private static let tagTTL: Duration = .seconds(60)
    private static let repository = "fresh/app"
    private static let path = "/v2/\(repository)/manifests/moving"

    /// One pull of the tag: what it resolved to and the Cache-Control it carried.
    private struct Pull {
        let digest: String?
        let cacheControl: String?
    }

    private func pull(_ cistern: CisternInstance) async throws -> Pull {
        let response = try await OffPool.fetch(port: cistern.port, Self.path, headers: AcceptVariant.containerd.headers)
        #expect(response.statusCode == 200)
        return Pull(digest: response.header("Docker-Content-Digest"), cacheControl: response.header("Cache-Control"))
    }

    /// Upstream (HEAD, GET) counts on the tag since the last log reset.
    private func tagRequests(_ registry: RegistryProcess) async throws -> (heads: Int, gets: Int) {
        let requests = try await registry.requests().filter { $0.path == Self.path }
        return (requests.count { $0.method == "HEAD" }, requests.count { $0.method == "GET" })
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
        let clock = TestWallClock()
        let cistern = try CisternInstance(upstream: registry.baseURL, clock: clock) { $0.tagTTL = Self.tagTTL }

        // Cold: the HEAD names a digest not cached yet, then one GET; fresh for the whole TTL.
        let cold = try await pull(cistern)
        #expect(cold.digest == first.root.digest)
        #expect(cold.cacheControl == "max-age=60")
        #expect(try await tagRequests(registry) == (heads: 1, gets: 1))

        // Warm within the TTL (up to its last nanosecond): not a single upstream manifest
        // request, and max-age counts down.
        try await registry.resetRequestLog()
        clock.advance(by: .seconds(45))
        let warm = try await pull(cistern)
        #expect(warm.digest == first.root.digest)
        #expect(warm.cacheControl == "max-age=15")
        clock.advance(by: .seconds(15) - .nanoseconds(1))
        #expect(try await pull(cistern).digest == first.root.digest)
        #expect(try await tagRequests(registry) == (heads: 0, gets: 0))

        // At the TTL, digest unchanged: one HEAD, no GET, and fresh again for a whole TTL.
        clock.advance(by: .nanoseconds(1))
        try await registry.resetRequestLog()
        let revalidated = try await pull(cistern)
        #expect(revalidated.digest == first.root.digest)
        #expect(revalidated.cacheControl == "max-age=60")
        #expect(try await tagRequests(registry) == (heads: 1, gets: 0))

        // Moved upstream right after the revalidation: not seen while the tag is fresh. (A
        // plain push: `moveTag` would HEAD the tag on this registry and blur the counts.)
        try await registry.resetRequestLog()
        try await seeder.push(second, repository: Self.repository, tag: "moving")
        clock.advance(by: Self.tagTTL - .seconds(1))
        let early = try await pull(cistern)
        #expect(early.digest == first.root.digest)
        #expect(early.cacheControl == "max-age=1")
        #expect(try await tagRequests(registry) == (heads: 0, gets: 0))

        // Past the TTL: the new digest, by one HEAD and one GET.
        clock.advance(by: .seconds(1))
        try await registry.resetRequestLog()
        let moved = try await pull(cistern)
        #expect(moved.digest == second.root.digest)
        #expect(try await tagRequests(registry) == (heads: 1, gets: 1))

        // And the new answer is fresh again: no upstream request.
        try await registry.resetRequestLog()
        clock.advance(by: .seconds(30))
        let again = try await pull(cistern)
        #expect(again.digest == second.root.digest)
        #expect(again.cacheControl == "max-age=30")
        #expect(try await tagRequests(registry) == (heads: 0, gets: 0))
    }
}
