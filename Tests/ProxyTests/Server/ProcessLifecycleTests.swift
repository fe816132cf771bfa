import Foundation
import Glibc
import Testing

/// The `cistern` executable as operators run it: SIGTERM shuts it down
/// cleanly, and a `kill -9` in the middle of a fill leaves nothing that a
/// restarted Cistern would serve: the partial file is removed at start-up and
/// the blob is fetched again, verified, and committed.
@Suite(.serialized) struct ProcessLifecycleTests {
    @Test func sigtermShutsTheServerDownCleanly() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-sigterm")
        let cistern = try CisternProcess(upstream: "http://127.0.0.1:9", cache: cache.url)
        let started = ContinuousClock.now
        cistern.child.send(signal: SIGTERM)
        let termination = try await cistern.child.waitUntilExit(timeout: .seconds(10))
        #expect(termination == .exited(0))
        if ProcessInfo.processInfo.environment["CISTERN_SANITIZER"] == nil {
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func killDuringAFillLeavesNothingServableAndTheRestartRefetches() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        var generator = SystemRandomNumberGenerator()
        let blob = (0..<(2 * 1024 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 512 * 1024), for: .digest(digest), times: 1)
        let cache = try TemporaryDirectory(prefix: "cistern-kill9")
        let port = try FreePort.loopback()
        let path = "/v2/library/data/blobs/\(digest)"

        let first = try CisternProcess(upstream: upstream.baseURL, cache: cache.url, port: port)
        // A client reads a quarter of the blob, then the process dies.
        let partial = try TestHTTPClient.fetch(port: port, path, options: .init(stopAfterBodyByteCount: blob.count / 4))
        #expect(partial.statusCode == 200)
        let temporary = cache.url.appendingPathComponent("tmp")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).count == 1)
        first.child.send(signal: SIGKILL)
        _ = try await first.child.waitUntilExit(timeout: .seconds(5))

        let second = try CisternProcess(upstream: upstream.baseURL, cache: cache.url, port: port)
        defer { second.stop() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        let full = try TestHTTPClient.fetch(port: port, path, options: .init(timeout: .seconds(20)))
        #expect(full.statusCode == 200)
        #expect(TestSHA256.digest(full.body) == digest)
        #expect(upstream.requestCount(method: "GET", path: path) == 2)
        let hex = String(digest.dropFirst(7))
        let committed = cache.url.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)")
        #expect(try Data(contentsOf: committed).count == blob.count)
    }
}
