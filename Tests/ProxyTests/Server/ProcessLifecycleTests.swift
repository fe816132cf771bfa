import Foundation
import Glibc
import Testing

/// The `cistern` executable as operators run it: SIGTERM shuts it down
/// cleanly, and a `kill -9` in the middle of a fill leaves nothing that a
/// restarted Cistern would serve: the partial file is removed at start-up and
/// the blob is fetched again, verified, and committed.
@Suite(.serialized) struct ProcessLifecycleTests {
    /// The `cistern` executable built next to this test bundle.
    static var executablePath: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the bundle is `<build>/debug/cisternPackageTests.xctest` (a file).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("cistern").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("cistern").path
    }

    private func startCistern(upstream: String, cache: URL, port: UInt16) throws -> ChildProcess {
        try ChildProcess(executablePath: Self.executablePath, arguments: [
            "serve", "--listen", "127.0.0.1:\(port)", "--upstream", upstream, "--cache-dir", cache.path,
            "--workers", "2", "--no-access-log",
        ])
    }

    private func waitUntilServing(port: UInt16) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let response = try? TestHTTPClient.fetch(port: port, "/healthz", options: .init(timeout: .seconds(1))),
               response.statusCode == 200 { return }
            usleep(50_000)
        }
        Issue.record("cistern did not start serving on \(port)")
    }

    @Test func sigtermShutsTheServerDownCleanly() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-sigterm")
        let port = try FreePort.loopback()
        let cistern = try startCistern(upstream: "http://127.0.0.1:9", cache: cache.url, port: port)
        try waitUntilServing(port: port)
        let started = ContinuousClock.now
        cistern.send(signal: SIGTERM)
        let termination = try await cistern.waitUntilExit(timeout: .seconds(10))
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

        let first = try startCistern(upstream: upstream.baseURL, cache: cache.url, port: port)
        try waitUntilServing(port: port)
        // A client reads a quarter of the blob, then the process dies.
        let partial = try TestHTTPClient.fetch(port: port, path, options: .init(stopAfterBodyByteCount: blob.count / 4))
        #expect(partial.statusCode == 200)
        let temporary = cache.url.appendingPathComponent("tmp")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).count == 1)
        first.send(signal: SIGKILL)
        _ = try await first.waitUntilExit(timeout: .seconds(5))

        let second = try startCistern(upstream: upstream.baseURL, cache: cache.url, port: port)
        defer { _ = second.stop() }
        try waitUntilServing(port: port)
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
