import Dispatch
import Foundation
import Testing

/// `cistern_fill_waiters`: the clients answered from a fill in progress, counted while the
/// fill runs and back to zero once their responses ended.
@Suite(.serialized) struct FillWaiterMetricsTests {
    @Test func twoClientsOfAStalledFillAreCountedUntilTheirResponsesEnd() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = [UInt8](repeating: 0x5A, count: 256 * 1024)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.stall(afterBodyByteCount: 64 * 1024, duration: .milliseconds(1500)), for: .digest(digest))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!)
        defer { cistern.stop() }
        let path = "/v2/library/data/blobs/\(digest)"
        let port = cistern.port

        let bodies = Locked<[[UInt8]]>([])
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                if let response = try? TestHTTPClient.fetch(port: port, path) { bodies.withLock { $0.append(response.body) } }
            }
        }
        var waiters = 0.0
        let deadline = ContinuousClock.now + .seconds(5)
        while waiters < 2, ContinuousClock.now < deadline {
            waiters = try MetricsScrape(port: cistern.port).value("cistern_fill_waiters") ?? -1
            if waiters < 2 { TestTime.sleep(.milliseconds(10)) }
        }
        #expect(waiters == 2)
        #expect(try MetricsScrape(port: cistern.port).value("cistern_fills_in_flight") == 1)

        #expect(group.wait(timeout: .now() + 20) == .success)
        #expect(bodies.withLock { $0 } == [blob, blob])
        #expect(try MetricsScrape(port: cistern.port).value("cistern_fill_waiters") == 0)
    }
}
