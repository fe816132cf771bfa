import Foundation
import Glibc
import Testing

/// Disk faults: with a cache directory that is read-only or full, clients
/// still get correct bytes streamed from a bounded memory window, nothing
/// partial is ever committed, and caching resumes once space frees.
/// Uses tmpfs mounts (the tests run as root, as CI does).
@Suite(.serialized) struct UnwritableCacheTests {
    /// A tmpfs of `byteCount` bytes mounted on a fresh directory.
    final class TmpfsMount {
        let path: String
        init(byteCount: Int) throws {
            path = NSTemporaryDirectory() + "cistern-tmpfs-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let status = try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(byteCount)", "tmpfs", path])
            guard status == 0 else { throw MountFailure(message: "mount tmpfs on \(path) failed (\(status)); these tests need root") }
        }
        func remount(readOnly: Bool) throws {
            _ = try Self.run("/bin/mount", ["-o", "remount,\(readOnly ? "ro" : "rw")", path])
        }
        deinit {
            _ = try? Self.run("/bin/umount", ["-l", path])
            try? FileManager.default.removeItem(atPath: path)
        }
        static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        struct MountFailure: Error, CustomStringConvertible { let message: String; var description: String { message } }
    }

    private func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    @Test func aFullCacheStillStreamsCorrectBytesCommitsNothingAndResumesCachingWhenSpaceFrees() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = pseudoRandomBytes(3 * 1024 * 1024, seed: 1)
        let digest = upstream.addBlob(blob)
        let mount = try TmpfsMount(byteCount: 4 * 1024 * 1024)
        // Fill most of the disk so the blob cannot fit.
        let filler = mount.path + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: Data(repeating: 1, count: 3 * 1024 * 1024))
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: URL(fileURLWithPath: mount.path + "/cache"))
        defer { cistern.stop() }

        let first = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/blobs/\(digest)")
        #expect(first.statusCode == 200)
        #expect(first.ending == .complete)
        #expect(TestSHA256.digest(first.body) == digest)
        #expect(cistern.committedBlobDigests().isEmpty)
        #expect(cistern.temporaryFiles().isEmpty)

        // Space frees: the next pull is a fill that commits, then a hit.
        try FileManager.default.removeItem(atPath: filler)
        let second = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/blobs/\(digest)")
        #expect(TestSHA256.digest(second.body) == digest)
        #expect(cistern.committedBlobDigests() == [digest])
        _ = try TestHTTPClient.fetch(port: cistern.port, "/v2/library/data/blobs/\(digest)")
        #expect(upstream.requestCount(method: "GET", path: "/v2/library/data/blobs/\(digest)") == 2)
    }

    @Test func aReadOnlyCacheStreamsFromMemoryToEveryWaiter() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let blob = pseudoRandomBytes(2 * 1024 * 1024, seed: 2)
        let digest = upstream.addBlob(blob)
        upstream.setBehaviour(.throttle(bytesPerSecond: 2 * 1024 * 1024), for: .digest(digest))
        let mount = try TmpfsMount(byteCount: 8 * 1024 * 1024)
        let cacheURL = URL(fileURLWithPath: mount.path + "/cache")
        let cistern = try CisternInstance(upstream: URL(string: upstream.baseURL)!, cacheDirectory: cacheURL)
        defer { cistern.stop() }
        try mount.remount(readOnly: true)

        let results = Locked<[TestHTTPResponse]>([])
        let port = cistern.port
        let threads = (0..<4).map { _ in
            TestThread.start {
                if let response = try? TestHTTPClient.fetch(port: port, "/v2/library/data/blobs/\(digest)") {
                    results.withLock { $0.append(response) }
                }
            }
        }
        threads.forEach { $0.join() }
        let responses = results.snapshot
        #expect(responses.count == 4)
        for response in responses {
            #expect(response.statusCode == 200)
            #expect(response.body.count == blob.count)
            #expect(TestSHA256.digest(response.body) == digest)
        }
        #expect(upstream.requestCount(method: "GET", path: "/v2/library/data/blobs/\(digest)") == 1)
        #expect(cistern.committedBlobDigests().isEmpty)
    }
}
