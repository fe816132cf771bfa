import CEpoll
import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore

/// The persisted index: round trip, damage detection and rebuild from the files, and the
/// restart time of a million entries.
struct CacheIndexFileTests {
    static func entries(count: Int, linksPerEntry: Int = 1) -> [Digest: CacheEntry] {
        var entries: [Digest: CacheEntry] = [:]
        entries.reserveCapacity(count)
        for n in 0..<count {
            var hash = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: UInt64(n).littleEndian) { hash.replaceSubrange(0..<8, with: $0) }
            let links = (0..<linksPerEntry).map { RepositoryLink(upstream: "docker.io", repository: "team\(($0 + n) % 500)/app") }
            entries[Digest(algorithm: .sha256, rawHash: hash)] = CacheEntry(
                blobByteCount: Int64(n * 1000), manifestByteCount: n % 7 == 0 ? 900 : nil,
                lastAccessSeconds: 1_800_000_000 + Int64(n), retention: n % 1000 == 0 ? .primary : .cached, links: links)
        }
        return entries
    }

    static func same(_ a: [Digest: CacheEntry], _ b: [Digest: CacheEntry]) -> Bool {
        a.count == b.count && a.allSatisfy { digest, entry in
            guard let other = b[digest] else { return false }
            return other.blobByteCount == entry.blobByteCount && other.manifestByteCount == entry.manifestByteCount
                && other.lastAccessSeconds == entry.lastAccessSeconds && other.retention == entry.retention && other.links == entry.links
        }
    }

    @Test func aSnapshotReadsBackExactly() throws {
        let original = Self.entries(count: 2000, linksPerEntry: 2)
        let decoded = try #require(CacheIndexFile.decode(CacheIndexFile.encode(original)))
        #expect(Self.same(decoded.entries, original))
    }

    @Test func anyDamagedByteMakesTheSnapshotUnusable() {
        let bytes = CacheIndexFile.encode(Self.entries(count: 50))
        for offset in [0, 9, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[offset] ^= 0x40
            #expect(CacheIndexFile.decode(damaged) == nil, "byte \(offset) flipped")
        }
        #expect(CacheIndexFile.decode(Array(bytes.dropLast(10))) == nil)
        #expect(CacheIndexFile.decode([]) == nil)
    }

    @Test func aDamagedOrMissingIndexIsRebuiltFromTheFiles() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-index")
        let layout = CacheLayout(root: directory.url.path)
        let blobs = try BlobStore(layout: layout)
        let manifests = ManifestStore(blobs: blobs)
        var digests: [Digest] = []
        for n in 0..<3 {
            let bytes = [UInt8](repeating: UInt8(n), count: 1000 * (n + 1))
            let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
            let (path, file) = try blobs.createTemporary(for: digest)
            _ = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
            try blobs.commitBlob(temporaryPath: path, file: file, digest: digest)
            digests.append(digest)
        }
        let manifestBytes = Array(#"{"schemaVersion":2}"#.utf8)
        let manifestDigest = try Digest(parsing: ContentHasher.digestString(of: manifestBytes))
        try manifests.store(StoredManifest(mediaType: "application/vnd.oci.image.manifest.v1+json", bytes: manifestBytes, digest: manifestDigest))
        let links = RepositoryLinks(layout: layout)
        links.link(upstream: "docker.io", repository: try RepositoryName(parsing: "library/alpine"), digest: digests[1])

        // No index file at all: built from the files.
        let rebuilt = CacheIndex.open(layout, claim: false)
        #expect(rebuilt.origin == .rebuilt)
        let table = rebuilt.index.snapshot()
        #expect(table.count == 4)
        #expect(table[digests[2]]?.blobByteCount == 3000)
        #expect(table[manifestDigest]?.manifestByteCount == Int64(manifestBytes.count + "application/vnd.oci.image.manifest.v1+json\n".utf8.count))
        #expect(table[digests[1]]?.links == [RepositoryLink(upstream: "docker.io", repository: "library/alpine")])

        // A clean snapshot is taken as it is; a damaged one is rebuilt again.
        try CacheIndexFile.write(table, layout: layout)
        CacheIndexFile.setClean(true, layout: layout)
        #expect(CacheIndex.open(layout, claim: true).origin == .loaded)
        #expect(CacheIndex.open(layout, claim: false).origin == .reconciled)  // the claim removed the marker
        CacheIndexFile.setClean(true, layout: layout)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: CacheIndexFile.path(layout)))
        try handle.seek(toOffset: 20)
        handle.write(Data([0xFF, 0xFF]))
        try handle.close()
        let afterDamage = CacheIndex.open(layout, claim: false)
        #expect(afterDamage.origin == .rebuilt)
        #expect(afterDamage.index.count == 4)
    }

    @Test func aMillionEntriesAreReadyWithinSeconds() throws {
        // bench/cache-index.sh sets CISTERN_INDEX_BENCH_DIR to keep the index for a release run.
        let directory = try TemporaryDirectory(prefix: "cistern-index-1m")
        let kept = ProcessInfo.processInfo.environment["CISTERN_INDEX_BENCH_DIR"]
        let layout = CacheLayout(root: kept ?? directory.url.path)
        let original = Self.entries(count: 1_000_000)
        let writeStart = ContinuousClock.now
        try CacheIndexFile.write(original, layout: layout)
        let writeTime = ContinuousClock.now - writeStart
        CacheIndexFile.setClean(true, layout: layout)
        let fileSize = try FileManager.default.attributesOfItem(atPath: CacheIndexFile.path(layout))[.size] as? Int ?? 0

        let start = ContinuousClock.now
        let opened = CacheIndex.open(layout, claim: false)
        let loadTime = ContinuousClock.now - start
        print("cache index: 1,000,000 entries, \(fileSize / 1_048_576) MiB; written in \(writeTime), ready in \(loadTime) (debug build)")
        #expect(opened.origin == .loaded)
        #expect(opened.index.count == 1_000_000)
        #expect(Self.same(opened.index.snapshot(), original))
        if TimingAssertions.areEnabled {
            #expect(loadTime < .seconds(10), "a restart with a million entries must be ready within seconds")
        }
    }
}
