import Foundation
import Glibc
import Testing

/// SIGTERM drains (issue 14): `/readyz` turns 503 at once, connections are still accepted
/// for `--drain-delay`, then refused; the download in flight finishes whole and its fill
/// commits; the process exits 0. A second SIGTERM, or `--drain-timeout`, ends it at once.
/// The real `cistern` executable against a throttled fake upstream (a slow fill).
@Suite(.serialized) struct ProcessDrainTests {
    /// A blob the fake upstream sends at `bytesPerSecond`, once.
    private static func slowBlob(_ upstream: FakeUpstream, byteCount: Int, bytesPerSecond: Int) throws -> (bytes: [UInt8], digest: String) {
        let blob = try ProcessProbes.randomBlob(byteCount: byteCount)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: bytesPerSecond), for: .digest(digest), times: 1)
        return (blob, digest)
    }

    /// Starts downloading `path` on its own thread; returns the response and when it ended.
    private static func startDownload(port: UInt16, _ path: String) -> Task<(TestHTTPResponse, ContinuousClock.Instant), any Error> {
        Task {
            try await OffPool.run {
                let response = try TestHTTPClient.fetch(port: port, path, options: .init(timeout: .seconds(40)))
                return (response, ContinuousClock.now)
            }
        }
    }

    @Test func sigtermFinishesTheDownloadInFlightRefusesNewConnectionsAndExitsZero() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        // 8 MiB at 2 MiB/s: about 4 s, well past the 2 s drain delay.
        let (blob, digest) = try Self.slowBlob(upstream, byteCount: 8 << 20, bytesPerSecond: 2 << 20)
        let path = "/v2/library/data/blobs/\(digest)"
        let cache = try TemporaryDirectory(prefix: "cistern-drain")
        let cistern = try CisternProcess(upstream: upstream.baseURL, cache: cache.url,
                                         extraArguments: ["--drain-delay", "2s", "--drain-timeout", "30s"])
        defer { cistern.stop() }
        let port = cistern.port
        #expect(ProcessProbes.readiness(port: port) == 200)
        // A keep-alive connection left idle between requests: the drain closes it.
        let idle = try TestHTTPClient(port: port)
        #expect(try idle.request("GET", "/v2/").statusCode == 200)
        let download = Self.startDownload(port: port, path)
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { upstream.requestCount(method: "GET", path: path) == 1 })

        let signalled = ContinuousClock.now
        cistern.child.send(signal: SIGTERM)
        // Not ready at once, while connections are still accepted (the probe itself is one).
        #expect(await ProcessProbes.eventually(within: .seconds(2)) { ProcessProbes.readiness(port: port) == 503 })
        #expect(ContinuousClock.now - signalled < .seconds(2))
        let idleEnd = idle.readRemaining(timeout: .seconds(3))
        #expect(idleEnd.bytes.isEmpty && idleEnd.ending == .complete, "idle keep-alive connection: \(idleEnd.ending)")
        // Refused once the delay has passed, not before.
        #expect(await ProcessProbes.eventually(within: .seconds(5)) { ProcessProbes.refusesConnections(port: port) })
        let refusedAt = ContinuousClock.now
        #expect(refusedAt - signalled >= .seconds(2))

        let (response, finishedAt) = try await download.value
        #expect(response.statusCode == 200)
        #expect(response.ending == .complete)
        #expect(response.body.count == blob.count)
        #expect(TestSHA256.digest(response.body) == digest)
        #expect(finishedAt > refusedAt, "the download ended before the listener closed: nothing was drained")
        let termination = try await cistern.child.waitUntilExit(timeout: .seconds(20))
        #expect(termination == .exited(0))
        // The fill committed before the exit.
        let hex = String(digest.dropFirst(7))
        let committed = cache.url.appendingPathComponent("blobs/sha256/\(hex.prefix(2))/\(hex)")
        #expect((try? Data(contentsOf: committed))?.count == blob.count)
        let log = ProcessProbes.standardError(cistern)
        #expect(log.contains("draining: /readyz answers 503") && log.contains("drained; stopping"), "\(log)")
    }

    @Test func aSecondSigtermEndsTheDrainAtOnce() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let (blob, digest) = try Self.slowBlob(upstream, byteCount: 8 << 20, bytesPerSecond: 1 << 20)
        let path = "/v2/library/data/blobs/\(digest)"
        let cache = try TemporaryDirectory(prefix: "cistern-drain-twice")
        let cistern = try CisternProcess(upstream: upstream.baseURL, cache: cache.url,
                                         extraArguments: ["--drain-delay", "5s", "--drain-timeout", "30s"])
        defer { cistern.stop() }
        let download = Self.startDownload(port: cistern.port, path)
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { upstream.requestCount(method: "GET", path: path) == 1 })
        cistern.child.send(signal: SIGTERM)
        // The first signal was handled (two pending signals of one kind would merge into one).
        #expect(await ProcessProbes.eventually(within: .seconds(2)) { ProcessProbes.readiness(port: cistern.port) == 503 })
        let second = ContinuousClock.now
        cistern.child.send(signal: SIGTERM)
        let termination = try await cistern.child.waitUntilExit(timeout: .seconds(10))
        #expect(termination == .exited(0))
        #expect(ContinuousClock.now - second < .seconds(3))
        let (response, _) = try await download.value
        #expect(response.ending != .complete && response.body.count < blob.count, "\(response.ending), \(response.body.count) bytes")
        let log = ProcessProbes.standardError(cistern)
        #expect(log.contains("second signal while draining; stopping at once"), "\(log)")
    }

    @Test func theDrainTimeoutCutsWhatIsStillInFlight() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let (blob, digest) = try Self.slowBlob(upstream, byteCount: 8 << 20, bytesPerSecond: 1 << 20)
        let path = "/v2/library/data/blobs/\(digest)"
        let cache = try TemporaryDirectory(prefix: "cistern-drain-timeout")
        let cistern = try CisternProcess(upstream: upstream.baseURL, cache: cache.url,
                                         extraArguments: ["--drain-delay", "0s", "--drain-timeout", "1s"])
        defer { cistern.stop() }
        let download = Self.startDownload(port: cistern.port, path)
        #expect(await ProcessProbes.eventually(within: .seconds(10)) { upstream.requestCount(method: "GET", path: path) == 1 })
        let signalled = ContinuousClock.now
        cistern.child.send(signal: SIGTERM)
        let termination = try await cistern.child.waitUntilExit(timeout: .seconds(10))
        let elapsed = ContinuousClock.now - signalled
        #expect(termination == .exited(0))
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(4), "stopped after \(elapsed)")
        let (response, _) = try await download.value
        #expect(response.ending != .complete && response.body.count < blob.count, "\(response.ending), \(response.body.count) bytes")
        let log = ProcessProbes.standardError(cistern)
        #expect(log.contains("drain_timeout passed; cutting what is still in flight"), "\(log)")
    }

    /// The draining process holds the cache until it exits: a new instance started on the
    /// same cache meanwhile fails naming the PID; once the old one exited, it starts.
    @Test func aNewInstanceOnTheCacheOfADrainingOneFailsNamingItsPID() async throws {
        let cache = try TemporaryDirectory(prefix: "cistern-drain-lock")
        let old = try CisternProcess(upstream: "http://127.0.0.1:9", cache: cache.url,
                                     extraArguments: ["--drain-delay", "5s", "--drain-timeout", "5s"])
        defer { old.stop() }
        old.child.send(signal: SIGTERM)
        #expect(await ProcessProbes.eventually(within: .seconds(2)) { ProcessProbes.readiness(port: old.port) == 503 })

        let new = try await ProcessStartupTests.runCistern([
            "serve", "--listen", "127.0.0.1:\(try FreePort.loopback())", "--cache-dir", cache.url.path,
            "--upstream", "http://127.0.0.1:9",
        ])
        #expect(new.termination == .exited(1))
        #expect(new.standardError.contains(
            "Error: cache directory \(cache.url.path) is in use by process \(old.child.processID) (another Cistern?)"),
            "\(new.standardError)")
        #expect(old.child.isRunning)
        #expect(try await old.child.waitUntilExit(timeout: .seconds(15)) == .exited(0))

        let restarted = try CisternProcess(upstream: "http://127.0.0.1:9", cache: cache.url)
        #expect(ProcessProbes.readiness(port: restarted.port) == 200)
        #expect(restarted.stop() == .exited(0))
    }
}
