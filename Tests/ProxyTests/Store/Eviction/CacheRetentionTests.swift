import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry

/// `--cache-max-age` (content not read for that long is removed in the background, on an
/// injected clock) and the uncached bypass when no room can be made for a blob.
@Suite(.serialized) struct CacheRetentionTests {
    @Test func contentNotReadForTheMaximumAgeIsRemovedAndRefetchedOnDemand() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let old = try await ImageBuilder(directory: work.url).image(name: "old", layers: [.file(byteCount: 100_000)], seed: 71)
        let fresh = try await ImageBuilder(directory: work.url).image(name: "fresh", layers: [.file(byteCount: 100_000)], seed: 72)
        try await RegistrySeeder(registry: registry).push(old, repository: "age/old", tag: "v1")
        try await RegistrySeeder(registry: registry).push(fresh, repository: "age/fresh", tag: "v1")
        let clock = TestWallClock()
        let cistern = try CisternInstance(upstream: registry.baseURL, clock: clock) { $0.cacheMaxAge = .seconds(14 * 86_400) }
        try await Skopeo().copy("\(cistern.hostAndPort)/age/old:v1", to: work.appending("pull-old"))
        clock.advance(by: .seconds(10 * 86_400))
        try await Skopeo().copy("\(cistern.hostAndPort)/age/fresh:v1", to: work.appending("pull-fresh"))
        clock.advance(by: .seconds(5 * 86_400))  // old: 15 days unread, fresh: 5 days

        let shared = cistern.server.shared
        shared.ioPool.waitUntilIdle()
        shared.cache.scheduleMaintenance()  // what the background timer queues every few seconds
        for _ in 0..<3 { shared.ioPool.waitUntilIdle() }
        let committed = cistern.committedBlobDigests()
        #expect(!committed.contains(old.layers[0].digest))
        #expect(!committed.contains(old.manifests[0].config.digest))
        #expect(committed.contains(fresh.layers[0].digest))
        #expect(!shared.manifests.contains(try Digest(parsing: old.root.digest)), "the manifest left memory too")
        #expect(!shared.links.isLinked(upstream: "127.0.0.1:\(registry.baseURL.port!)", repository: try RepositoryName(parsing: "age/old"),
                                       digest: try Digest(parsing: old.layers[0].digest)))

        // Pulled again: fetched, verified.
        try await Skopeo().copy("\(cistern.hostAndPort)/age/old:v1", to: work.appending("again"))
        let verified = try await Skopeo.verifyDirectory(work.appending("again"))
        #expect(Set(verified.verifiedDigests) == Set(old.blobs.map(\.digest)))
    }

    @Test func aBlobTheCacheHasNoRoomForStreamsThroughUncached() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(name: "big", layers: [.file(byteCount: 3_000_000)], seed: 73)
        try await RegistrySeeder(registry: registry).push(image, repository: "big/app", tag: "v1")
        let cistern = try CisternInstance(upstream: registry.baseURL) { $0.cacheMaxSize = 1 << 20 }
        let layer = image.layers[0]
        for attempt in 1...2 {
            let response = try TestHTTPClient.fetch(port: cistern.port, "/v2/big/app/blobs/\(layer.digest)", options: .init(timeout: .seconds(30)))
            #expect(response.statusCode == 200)
            #expect(response.body.count == layer.byteCount)
            #expect(ContentDigest.of(response.body) == layer.digest)
            cistern.server.shared.ioPool.waitUntilIdle()
            #expect(!cistern.committedBlobDigests().contains(layer.digest))
            #expect(try MetricsScrape(port: cistern.port).value("cistern_cache_bypassed_fills_total") == Double(attempt))
        }
        #expect(cistern.temporaryFiles().isEmpty)
    }
}
