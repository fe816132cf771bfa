import Foundation
import Testing
@testable import Proxy
@testable import ProxyIO
@testable import ProxyRegistry

/// Commits run on the I/O pool, not on the loop (issue 12 item 3). Each test holds every
/// pool thread with a job that waits on a gate, which stands for a disk that takes its time
/// to fsync: the loop must keep answering, a verified blob must be answered whole before its
/// commit ends, and a manifest must be answered from memory before it reaches the disk.
@Suite struct BackgroundCommitTests {
    private typealias Gate = IOPoolTests.Gate

    /// Occupies every lane of `pool` until `gate` opens.
    private static func hold(_ pool: IOPool, until gate: Gate) {
        for key in 0..<pool.threadCount { #expect(pool.submit(key: key) { gate.wait(seconds: 30) }) }
    }

    @Test func whileABlobCommitWaitsForTheDiskTheLoopServesAndTheVerifiedBlobIsAnsweredWhole() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = PseudoRandomBytes.make(byteCount: 300_000, seed: 1200)
        let digest = upstream.addBlob(blob)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.workers = 1 }
        defer { cistern.stop() }
        let disk = Gate()
        defer { disk.open() }
        Self.hold(cistern.server.shared.ioPool, until: disk)
        let path = "/v2/team/app/blobs/\(digest)"

        // The verdict comes when the digest verifies, not when the disk is done: the whole
        // body arrives while every I/O thread is still held.
        let first = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(first.statusCode == 200 && first.isComplete && first.body == blob)
        // The one loop is not waiting for the disk: another client is answered meanwhile.
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/v2/").statusCode == 200)
        // Not committed yet, and the fill stays in the table, so a second request joins it
        // and reads the same verified file instead of starting a second fill.
        #expect(cistern.committedBlobDigests(settled: false).isEmpty)
        #expect(cistern.server.shared.fills.count == 1)
        let joined = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(joined.statusCode == 200 && joined.isComplete && joined.body == blob)
        #expect(upstream.requestCount(method: "GET", path: path) == 1)

        disk.open()
        #expect(cistern.committedBlobDigests() == [digest])
        #expect(cistern.server.shared.fills.count == 0)
        let hit = try TestHTTPClient.fetch(port: cistern.port, path)
        #expect(hit.statusCode == 200 && hit.body == blob)
        #expect(upstream.requestCount(method: "GET", path: path) == 1)
    }

    @Test func aManifestIsAnsweredFromMemoryBeforeItsCommitReachesTheDiskAndIsStoredAfter() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(FixtureMediaType.ociManifest)","config":{},"layers":[]}"#.utf8)
        let digest = upstream.addManifest(repository: "team/app", tag: "v1", bytes: bytes, mediaType: FixtureMediaType.ociManifest)
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!) { $0.workers = 1 }
        defer { cistern.stop() }
        let pool = cistern.server.shared.ioPool
        let disk = Gate()
        defer { disk.open() }
        Self.hold(pool, until: disk)
        let file = cistern.server.shared.blobs.layout.manifestPath(try Digest(parsing: digest))

        let byTag = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/manifests/v1")
        #expect(byTag.statusCode == 200 && byTag.body == bytes)
        #expect(byTag.header("Docker-Content-Digest") == digest)
        #expect(!FileManager.default.fileExists(atPath: file), "committed before the answer")
        let byDigest = try TestHTTPClient.fetch(port: cistern.port, "/v2/team/app/manifests/\(digest)")
        #expect(byDigest.statusCode == 200 && byDigest.body == bytes)
        #expect(upstream.requestCount(method: "GET", path: "/v2/team/app/manifests/\(digest)") == 0, "served from memory")

        disk.open()
        pool.waitUntilIdle()
        let stored = try #require(FileManager.default.contents(atPath: file))
        #expect(Array(stored) == Array("\(FixtureMediaType.ociManifest)\n".utf8) + bytes)
    }
}
