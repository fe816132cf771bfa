import Foundation
import Testing
@testable import Proxy

/// `--cache-max-size` against the real upstream (Debian's docker-registry) and a real client
/// (skopeo): a cache filled past its limit stays under it (as `du -sb` counts), evicts the
/// least recently read, and every pull afterwards, of evicted images too, verifies.
@Suite(.serialized) struct BoundedCacheTests {
    /// Lets the pool finish what the last requests queued (commits, then the passes they
    /// scheduled, then the removals those queued): a barrier, not a sleep.
    static func settle(_ cistern: CisternInstance) {
        for _ in 0..<3 { cistern.server.shared.ioPool.waitUntilIdle() }
    }

    @Test func aCacheFilledPastItsLimitStaysUnderItAndEveryPullStillVerifies() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        var images: [BuiltImage] = []
        for index in 0..<5 {
            let image = try await ImageBuilder(directory: work.url).image(
                name: "bounded\(index)", layers: [.file(byteCount: 700_000), .file(byteCount: 500_000)], seed: UInt64(40 + index))
            try await RegistrySeeder(registry: registry).push(image, repository: "bounded/app\(index)", tag: "v1")
            images.append(image)
        }
        let limit: Int64 = 4 << 20  // about three of the five 1.2 MB images
        let cistern = try CisternInstance(upstream: registry.baseURL) { $0.cacheMaxSize = limit }

        for (index, image) in images.enumerated() {
            let target = work.appending("pull\(index)")
            try await Skopeo().copy("\(cistern.hostAndPort)/bounded/app\(index):v1", to: target)
            let verified = try await Skopeo.verifyDirectory(target)
            #expect(verified.manifestDigest == image.root.digest)
            Self.settle(cistern)
            let used = try await CacheDiskUsage.bytes(cistern.cacheDirectory)
            #expect(used <= limit + limit / 100, "after pull \(index): du -sb says \(used) bytes, limit \(limit)")
        }
        let evictions = try #require(try MetricsScrape(port: cistern.port).value("cistern_cache_evictions_total"))
        #expect(evictions > 0)
        // The first image was read least recently: its layers are gone.
        let committed = cistern.committedBlobDigests()
        #expect(!committed.contains(images[0].layers[0].digest))
        #expect(committed.contains(images[4].layers[0].digest))

        // Every image again, evicted ones included: refetched, verified, and still under the limit.
        try await registry.resetRequestLog()
        for (index, image) in images.enumerated() {
            let target = work.appending("again\(index)")
            try await Skopeo().copy("\(cistern.hostAndPort)/bounded/app\(index):v1", to: target)
            let verified = try await Skopeo.verifyDirectory(target)
            #expect(verified.manifestDigest == image.root.digest)
            #expect(Set(verified.verifiedDigests) == Set(image.blobs.map(\.digest)))
            Self.settle(cistern)
            let used = try await CacheDiskUsage.bytes(cistern.cacheDirectory)
            #expect(used <= limit + limit / 100, "re-pull \(index): du -sb says \(used) bytes, limit \(limit)")
        }
        #expect(try await registry.requestCount(method: "GET", pathSuffix: "/blobs/\(images[0].layers[0].digest)") == 1)
        #expect(cistern.temporaryFiles().isEmpty)
    }

    @Test func anEvictedBlobStillReachesASlowClientWhole() async throws {
        let work = try TemporaryDirectory()
        let registry = try await RegistryProcess.start()
        let image = try await ImageBuilder(directory: work.url).image(
            name: "slow", layers: [.file(byteCount: 12_000_000), .file(byteCount: 12_000_000)], seed: 51)
        try await RegistrySeeder(registry: registry).push(image, repository: "slow/app", tag: "v1")
        let (first, second) = (image.layers[0], image.layers[1])
        let limit: Int64 = 20 << 20  // one layer fits, not two
        let cistern = try CisternInstance(upstream: registry.baseURL) { $0.cacheMaxSize = limit }
        let port = cistern.port

        let warm = try TestHTTPClient.fetch(port: port, "/v2/slow/app/blobs/\(first.digest)", options: .init(timeout: .seconds(30)))
        #expect(warm.statusCode == 200)
        Self.settle(cistern)
        #expect(cistern.committedBlobDigests().contains(first.digest))

        // A client reading the cached first layer at 2 MB/s through a small receive buffer.
        let slowResult = Locked<TestHTTPResponse?>(nil)
        let reader = TestThread.start {
            guard let client = try? TestHTTPClient(port: port, receiveBufferByteCount: 64 * 1024) else { return }
            let response = try? client.request("GET", "/v2/slow/app/blobs/\(first.digest)",
                                               options: .init(timeout: .seconds(60), readBytesPerSecond: 2_000_000))
            slowResult.withLock { $0 = response }
            client.close()
        }
        let path = cistern.cacheDirectory.appendingPathComponent("blobs/sha256/\(first.digest.dropFirst(7).prefix(2))/\(first.digest.dropFirst(7))").path
        // Wait (bounded) until the hit is under way, then fill the second layer: no room for
        // both, so the first, read least recently, is evicted while the slow client reads it.
        let started = ContinuousClock.now
        while (try MetricsScrape(port: port).value("cistern_client_bytes_sent_total") ?? 0) < Double(first.byteCount + 1_000_000),
              ContinuousClock.now - started < .seconds(10) {
            usleep(10_000)
        }
        let other = try TestHTTPClient.fetch(port: port, "/v2/slow/app/blobs/\(second.digest)", options: .init(timeout: .seconds(30)))
        #expect(other.statusCode == 200)
        #expect(ContentDigest.of(other.body) == second.digest)
        Self.settle(cistern)
        #expect(!FileManager.default.fileExists(atPath: path), "the first layer was evicted")
        let held = try MetricsScrape(port: port).value("cistern_cache_evicted_held_bytes") ?? 0
        #expect(held >= Double(first.byteCount), "its bytes count while the slow client still reads them")

        reader.join()
        let response = try #require(slowResult.withLock { $0 })
        #expect(response.statusCode == 200)
        #expect(response.body.count == first.byteCount)
        #expect(ContentDigest.of(response.body) == first.digest)
        // The last reader closed: nothing is held any more (bounded poll).
        let closed = ContinuousClock.now
        while (try MetricsScrape(port: port).value("cistern_cache_evicted_held_bytes") ?? 0) > 0,
              ContinuousClock.now - closed < .seconds(10) {
            usleep(10_000)
        }
        #expect(try MetricsScrape(port: port).value("cistern_cache_evicted_held_bytes") == 0)

        // The evicted digest is fetched again, whole.
        let again = try TestHTTPClient.fetch(port: port, "/v2/slow/app/blobs/\(first.digest)", options: .init(timeout: .seconds(30)))
        #expect(again.statusCode == 200)
        #expect(ContentDigest.of(again.body) == first.digest)
    }
}
