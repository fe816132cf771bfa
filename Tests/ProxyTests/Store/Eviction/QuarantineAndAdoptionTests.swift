import CEpoll
import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore
@testable import ProxySystem

/// Two kinds of bytes under the cache directory that the index does not list as content:
/// quarantined files (damaged content kept for inspection), which the limits remove before any
/// cached content, and content files a clean snapshot does not know, which are counted.
struct QuarantineAndAdoptionTests {
    private static func file(_ name: String, bytes: Int64, at seconds: Int64) -> QuarantineSweep.File {
        QuarantineSweep.File(path: "/q/" + name, byteCount: bytes, quarantinedSeconds: seconds)
    }

    @Test func quarantinedFilesGoOldestFirstDownToTheLowWatermarkAndByAge() {
        let files = [Self.file("b", bytes: 300, at: 200), Self.file("a", bytes: 300, at: 100), Self.file("c", bytes: 300, at: 300)]
        let sized = CacheLimits(maximumByteCount: 1000, lowWatermarkPercent: 80)
        // Under the limit: kept, whatever their age.
        #expect(QuarantineSweep.victims(files, limits: sized, usage: 1000, nowSeconds: 400).isEmpty)
        // 1300 over 1000: the oldest until at or under 800.
        #expect(QuarantineSweep.victims(files, limits: sized, usage: 1300, nowSeconds: 400).map(\.path) == ["/q/a", "/q/b"])
        // By age alone: older than 150 s.
        let aged = CacheLimits(maximumAgeNanoseconds: 150_000_000_000)
        #expect(Set(QuarantineSweep.victims(files, limits: aged, usage: 0, nowSeconds: 400).map(\.path)) == ["/q/a", "/q/b"])
    }

    @Test func aPassRemovesQuarantinedFilesBeforeAnyCachedBlob() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-quarantine")
        let blobs = try BlobStore(layout: CacheLayout(root: directory.url.path), index: CacheIndex())
        let kept = try CacheIndexTests.commit([UInt8](repeating: 7, count: 20_000), to: blobs)
        // Damaged content an earlier hit moved aside, as BlobStore names it.
        let damaged = try CacheIndexTests.commit([UInt8](repeating: 8, count: 50_000), to: blobs)
        let quarantined = blobs.moveAside(blobs.layout.blobPath(damaged), name: damaged.hex)
        #expect(quarantined.contains("/quarantine/"))
        blobs.index.remove([damaged], planned: [:])  // as the hit that found it damaged does
        // Usage counts the quarantined file as overhead; the limit needs 10 KB of it back.
        blobs.index.setMeasuredOverhead(CacheFootprint.overheadByteCount(blobs.layout))
        let usage = blobs.index.usageByteCount
        let eviction = CacheEviction(index: blobs.index, limits: CacheLimits(maximumByteCount: usage - 10_000, lowWatermarkPercent: 100),
                                     blobs: blobs, links: RepositoryLinks(layout: blobs.layout), pool: nil)
        let report = eviction.runPass()
        #expect(!FileManager.default.fileExists(atPath: quarantined))
        #expect(report.evictedCount == 0)
        #expect(blobs.index.entry(kept) != nil)
        #expect(FileManager.default.fileExists(atPath: blobs.layout.blobPath(kept)))
    }

    @Test func filesAbsentFromACleanSnapshotAreCountedAfterStart() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-adopt")
        let layout = CacheLayout(root: directory.url.path)
        let blobs = try BlobStore(layout: layout, index: CacheIndex())
        let known = try CacheIndexTests.commit([UInt8](repeating: 1, count: 4000), to: blobs)
        try CacheIndexFile.write(blobs.index.snapshot(), layout: layout)
        CacheIndexFile.setClean(true, layout: layout)
        // Copied in by hand after the clean stop: on disk, not in the snapshot.
        let stranger = try CacheIndexTests.commit([UInt8](repeating: 2, count: 9000), to: blobs)

        let opened = CacheIndex.open(layout)
        #expect(opened.origin == .loaded)
        #expect(opened.index.entry(stranger) == nil)
        let reopened = try BlobStore(layout: layout, index: opened.index)
        let eviction = CacheEviction(index: opened.index, limits: CacheLimits(maximumByteCount: 1 << 30), blobs: reopened,
                                     links: RepositoryLinks(layout: layout), pool: nil)
        let before = opened.index.cachedByteCount
        #expect(eviction.adoptUnindexedFiles() == 1)
        #expect(opened.index.entry(stranger)?.blobByteCount == 9000)
        #expect(opened.index.entry(known)?.blobByteCount == 4000)
        #expect(opened.index.cachedByteCount == before + 9000 + 4)
        // Idempotent: a second walk finds nothing new.
        #expect(eviction.adoptUnindexedFiles() == 0)
    }
}
