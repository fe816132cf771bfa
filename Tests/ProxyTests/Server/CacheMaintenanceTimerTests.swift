import Foundation
import Testing
@testable import Proxy
@testable import ProxySystem

/// The server's own maintenance timer applies `--cache-max-age` with nobody calling
/// `scheduleMaintenance` by hand: a blob not read for longer than the age leaves the cache
/// while the server runs, and the next request fetches it again.
@Suite struct CacheMaintenanceTimerTests {
    @Test func theRunningServerRemovesContentPastTheMaximumAgeOnItsOwn() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 50_000, seed: 77)
        let digest = upstream.addBlob(blob)
        let clock = TestWallClock()
        // 20 ms ticks: an age check every 12 ticks, about every 240 ms.
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, clock: clock,
                                          cacheMaintenanceInterval: .milliseconds(20)) { $0.cacheMaxAge = .seconds(14 * 86_400) }
        defer { cistern.stop() }
        let path = "/v2/team/app/blobs/\(digest)"
        #expect(try TestHTTPClient.fetch(port: cistern.port, path).body == blob)
        #expect(cistern.committedBlobDigests() == [digest])

        clock.advance(by: .seconds(15 * 86_400))
        let deadline = ContinuousClock.now + .seconds(10)
        while cistern.committedBlobDigests(settled: false).contains(digest), ContinuousClock.now < deadline {
            TestTime.sleep(.milliseconds(20))
        }
        #expect(cistern.committedBlobDigests(settled: false).isEmpty, "the timer never removed the expired blob")
        #expect(try MetricsScrape(port: cistern.port).value("cistern_cache_evictions_total") == 1)

        #expect(try TestHTTPClient.fetch(port: cistern.port, path).body == blob)
        #expect(upstream.requestCount(method: "GET", path: path) == 2)
    }
}
