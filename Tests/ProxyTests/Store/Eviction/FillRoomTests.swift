import Foundation
import Testing
@testable import Proxy
@testable import ProxyIO
@testable import ProxySystem

/// `--cache-max-size` holds while a fill runs, not only after it (issue 13 item 1): a fill
/// whose reservation takes the cache over its limit writes nothing until the eviction pass
/// has unlinked the files it displaces. The I/O pool (where passes run) is held with a gate,
/// standing for a slow disk, so the window in which the two could coexist stays open.
@Suite(.serialized) struct FillRoomTests {
    private typealias Gate = IOPoolTests.Gate

    @Test func aFillWritesNothingUntilEvictionHasMadeItsRoom() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let old = PseudoRandomBytes.make(byteCount: 3 << 20, seed: 1301)
        let new = PseudoRandomBytes.make(byteCount: 2 << 20, seed: 1302)
        let oldDigest = upstream.addBlob(old)
        let newDigest = upstream.addBlob(new)
        let limit: Int64 = 4 << 20
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) {
            $0.workers = 1
            $0.cacheMaxSize = limit
            $0.timeouts.upstreamReadStall = .milliseconds(200)
        }
        defer { cistern.stop() }
        let first = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/blobs/\(oldDigest)")
        #expect(first.statusCode == 200 && first.body == old)
        BoundedCacheTests.settle(cistern)
        #expect(cistern.committedBlobDigests() == [oldDigest])

        // Every pool lane busy: the pass the next fill needs cannot run yet.
        let disk = Gate()
        defer { disk.open() }
        let pool = cistern.server.shared.ioPool
        for key in 0..<pool.threadCount { #expect(pool.submit(key: key) { disk.wait(seconds: 30) }) }
        let response = Locked<TestHTTPResponse?>(nil)
        let answeredYet = Locked(false)
        let port = cistern.port
        let client = TestThread.start {
            let fetched = try? TestHTTPClient.fetch(port: port, "/v2/team/app/blobs/\(newDigest)")
            response.withLock { $0 = fetched }
            answeredYet.withLock { $0 = true }
        }
        let cache = cistern.server.shared.cache
        let deadline = ContinuousClock.now + .seconds(10)
        while cache.waitingFillCount == 0, !answeredYet.withLock({ $0 }), ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(5))
        }
        #expect(cache.waitingFillCount == 1, "the fill did not wait for room")
        let during = try await CacheDiskUsage.bytes(cistern.cacheDirectory)
        #expect(during <= limit + limit / 100, "du -sb mid-fill: \(during) bytes, limit \(limit)")
        #expect(try MetricsScrape(port: cistern.port).value("cistern_cache_fills_waiting_for_room") == 1)
        // The wait is the cache's, not the upstream's: a pause longer than the upstream read
        // stall timeout must not fail the fill (the scenario needs time to pass; nothing
        // is synchronised by it).
        TestTime.sleep(.milliseconds(600))

        disk.open()
        client.join()
        let answered = try #require(response.withLock { $0 })
        #expect(answered.statusCode == 200 && answered.isComplete && answered.body == new)
        BoundedCacheTests.settle(cistern)
        #expect(cistern.committedBlobDigests() == [newDigest])
        let after = try await CacheDiskUsage.bytes(cistern.cacheDirectory)
        #expect(after <= limit + limit / 100, "du -sb after: \(after) bytes, limit \(limit)")
        #expect(cache.waitingFillCount == 0)
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/app/blobs/\(newDigest)") == 1)
    }
}
