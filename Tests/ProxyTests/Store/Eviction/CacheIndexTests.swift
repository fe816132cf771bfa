import CEpoll
import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore
@testable import ProxySystem

/// The in-memory index through the store: hits record their time, reservations refuse what
/// cannot fit, and an evicted file's bytes count until its last reader closes.
struct CacheIndexTests {
    /// Commits `bytes` as a blob of `blobs` and returns its digest.
    static func commit(_ bytes: [UInt8], to blobs: BlobStore) throws -> Digest {
        let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        let (path, file) = try blobs.createTemporary(for: digest)
        _ = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        try blobs.commitBlob(temporaryPath: path, file: file, digest: digest)
        return digest
    }

    @Test func aHitRecordsItsTimeSoTheBlobReadLastIsEvictedLast() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-index-lru")
        let clock = TestWallClock()
        let blobs = try BlobStore(layout: CacheLayout(root: directory.url.path), index: CacheIndex(clock: clock))
        let first = try Self.commit([UInt8](repeating: 1, count: 1000), to: blobs)
        clock.advance(by: .seconds(60))
        let second = try Self.commit([UInt8](repeating: 2, count: 1000), to: blobs)
        clock.advance(by: .seconds(60))
        guard case .found = blobs.openCommittedBlob(first) else { Issue.record("no hit"); return }
        #expect(blobs.index.entry(first)?.lastAccessSeconds == clock.nanosecondsSinceEpoch() / 1_000_000_000)

        // Room for one of the two: the one fetched later but not read since goes.
        let links = RepositoryLinks(layout: blobs.layout)
        blobs.index.setMeasuredOverhead(CacheFootprint.overheadByteCount(blobs.layout))
        let usage = blobs.index.usageByteCount  // directories and two entries of 1000 + 4 bytes
        let eviction = CacheEviction(index: blobs.index, limits: CacheLimits(maximumByteCount: usage - 500, lowWatermarkPercent: 100),
                                     blobs: blobs, links: links, pool: nil)
        let report = eviction.runPass()
        #expect(report.evictedCount == 1)
        #expect(blobs.index.entry(second) == nil)
        #expect(blobs.index.entry(first) != nil)
        #expect(blobs.blobSize(second) == nil)
        #expect(blobs.sizes.recordedSize(second) == nil)
    }

    @Test func anEvictedFileCountsUntilItsLastReaderCloses() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-index-held")
        let blobs = try BlobStore(layout: CacheLayout(root: directory.url.path))
        let digest = try Self.commit([UInt8](repeating: 7, count: 5000), to: blobs)
        var reader: SharedFile?
        if case .found(let file, _) = blobs.openCommittedBlob(digest) { reader = file }
        #expect(reader != nil)
        let eviction = CacheEviction(index: blobs.index, limits: CacheLimits(maximumByteCount: 1),
                                     blobs: blobs, links: RepositoryLinks(layout: blobs.layout), pool: nil)
        eviction.runPass()
        #expect(blobs.blobSize(digest) == nil)
        #expect(blobs.index.held.byteCount == 5004)  // 5000 bytes and the 4-byte size record
        // The reader still reads every byte from its descriptor.
        var buffer = [UInt8](repeating: 0, count: 5000)
        let count = buffer.withUnsafeMutableBytes { cep_pread(reader!.descriptor, $0.baseAddress, $0.count, 0) }
        #expect(count == 5000 && buffer.allSatisfy { $0 == 7 })
        reader = nil
        #expect(blobs.index.held.byteCount == 0)
        // And no room can be made while bytes are held beyond the limit.
        #expect(blobs.index.reserve(10, maximumByteCount: 5) == false)
    }

    /// A fill's reservation is given back in the step in which its blob starts to count: an
    /// eviction pass reading usage in between would otherwise see the blob twice and evict
    /// for room the cache has (seen: concurrent fills over the limit emptied the cache).
    @Test func aCommittedBlobReplacesItsReservationInOneStep() throws {
        let index = CacheIndex()
        let digest = try Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        #expect(index.reserve(1000, maximumByteCount: 10_000))
        #expect(index.usageByteCount == 1000)
        index.recordBlob(digest, byteCount: 996, releasing: 1000)
        // 996 bytes and their 3-byte size record; the allowance for new directories aside.
        #expect(index.cachedByteCount == 999)
        #expect(index.usageByteCount == 999 + CacheIndex.overheadAllowancePerCommit)
    }
}
