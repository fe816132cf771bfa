import Foundation
import Testing
@testable import Proxy

/// Commits run on the I/O pool, not on the loop (issue 12 item 3). Each test holds every
/// pool thread with a job that waits on a gate, which stands for a disk that takes its time
/// to fsync: the loop must keep answering, a blob's last byte must wait for its commit (and
/// then arrive), and a manifest must be answered from memory before it reaches the disk.
@Suite struct BackgroundCommitTests {
    private typealias Gate = IOPoolTests.Gate

    /// Occupies every lane of `pool` until `gate` opens.
    private static func hold(_ pool: IOPool, until gate: Gate) {
        for key in 0..<pool.threadCount { #expect(pool.submit(key: key) { gate.wait(seconds: 30) }) }
    }

    @Test func whileABlobCommitWaitsForTheDiskTheLoopServesAndTheLastByteWaitsForTheCommit() throws {
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

        let client = try TestHTTPClient(port: cistern.port)
        try client.send("GET", path, headers: [("Connection", "close")])
        let head = client.readResponse(options: .init(timeout: .seconds(10), stopAfterBodyByteCount: blob.count - 1))
        #expect(head.statusCode == 200)
        #expect(head.header("Content-Length") == String(blob.count))
        #expect(head.body == Array(blob.dropLast()))

        // The one loop is not waiting for the disk: another client is answered meanwhile.
        #expect(try TestHTTPClient.fetch(port: cistern.port, "/v2/").statusCode == 200)
        // The last byte waits for the commit (a bounded window: with the commit on the loop
        // it arrived at once), and the fill stays in the table so nobody starts a second one.
        let held = client.readRemaining(timeout: .milliseconds(300))
        #expect(held.bytes.isEmpty && held.ending == .timedOut, "\(held.bytes.count) bytes, \(held.ending)")
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.server.shared.fills.count == 1)
        let joiner = try TestHTTPClient(port: cistern.port)
        try joiner.send("GET", path)

        disk.open()
        let rest = client.readRemaining(timeout: .seconds(10))
        #expect(rest.bytes == [blob[blob.count - 1]] && rest.ending == .complete, "\(rest.bytes.count) bytes, \(rest.ending)")
        let joined = joiner.readResponse(options: .init(timeout: .seconds(10)))
        #expect(joined.statusCode == 200 && joined.isComplete && joined.body == blob)
        #expect(cistern.committedBlobDigests() == [digest])
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
