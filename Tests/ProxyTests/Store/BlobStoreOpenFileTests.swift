import CEpoll
import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore
@testable import ProxySystem

/// Hits reuse an open descriptor of a committed blob, but never one whose
/// file was removed from the cache directory, nor one whose size is no
/// longer the size recorded at commit (issue 10 item 3).
@Suite struct BlobStoreOpenFileTests {
    private func commit(_ bytes: [UInt8], in store: BlobStore) throws -> Digest {
        let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        let (path, file) = try store.createTemporary(for: digest)
        _ = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        try store.commitBlob(temporaryPath: path, file: file, digest: digest)
        return digest
    }

    private func found(_ blob: BlobStore.CommittedBlob) -> (file: SharedFile, size: Int64)? {
        if case .found(let file, let size) = blob { return (file, size) }
        return nil
    }

    private func isMissing(_ blob: BlobStore.CommittedBlob) -> Bool {
        if case .missing = blob { return true }
        return false
    }

    @Test func aSecondHitReusesTheOpenDescriptorWithTheBlobSize() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let digest = try commit(Array("layer".utf8), in: store)
        let first = try #require(found(store.openCommittedBlob(digest)))
        let second = try #require(found(store.openCommittedBlob(digest)))
        #expect(first.size == 5 && second.size == 5)
        #expect(first.file === second.file)
        #expect(try String(contentsOfFile: store.sizes.path(digest), encoding: .utf8) == "5")
    }

    @Test func aBlobRemovedFromTheDirectoryIsAMissEvenWhileItsDescriptorIsCached() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let digest = try commit(Array("layer".utf8), in: store)
        #expect(found(store.openCommittedBlob(digest)) != nil)
        try FileManager.default.removeItem(atPath: store.layout.blobPath(digest))
        #expect(isMissing(store.openCommittedBlob(digest)))
    }

    @Test func aMissIsNotCached() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let bytes = Array("late".utf8)
        let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        #expect(isMissing(store.openCommittedBlob(digest)))
        _ = try commit(bytes, in: store)
        #expect(found(store.openCommittedBlob(digest))?.size == 4)
    }

    /// How a committed file is changed behind the store's back.
    enum Damage: String, CaseIterable {
        case emptied, halved, replacedLonger
    }

    private func damage(_ path: String, _ damage: Damage, original: [UInt8]) throws {
        switch damage {
        case .emptied: #expect(truncate(path, 0) == 0)
        case .halved: #expect(truncate(path, off_t(original.count / 2)) == 0)
        case .replacedLonger:
            // Replaced by rename, as a careless copy would: a new inode with other bytes.
            let other = path + ".new"
            try Data(original + original).write(to: URL(fileURLWithPath: other))
            #expect(rename(other, path) == 0)
        }
    }

    @Test(arguments: Damage.allCases, [false, true])
    func aFileWhoseSizeChangedSinceCommitIsMovedAsideNotServed(_ damage: Damage, afterRestart: Bool) throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let layout = CacheLayout(root: directory.path)
        var store = try BlobStore(layout: layout)
        let bytes = Array(repeating: UInt8(ascii: "z"), count: 4096)
        let digest = try commit(bytes, in: store)
        #expect(found(store.openCommittedBlob(digest))?.size == 4096)  // descriptor now cached
        try self.damage(layout.blobPath(digest), damage, original: bytes)
        if afterRestart { store = try BlobStore(layout: layout) }

        guard case .movedAside(let reason, let path) = store.openCommittedBlob(digest) else {
            Issue.record("\(damage) blob was not moved aside")
            return
        }
        #expect(reason.contains("recorded 4096"), "\(reason)")
        #expect(path.hasPrefix(layout.quarantineDirectory + "/"))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: layout.blobPath(digest)))
        #expect(!FileManager.default.fileExists(atPath: store.sizes.path(digest)))
        #expect(isMissing(store.openCommittedBlob(digest)))
        // Committed again, it is whole and served.
        _ = try commit(bytes, in: store)
        #expect(found(store.openCommittedBlob(digest))?.size == 4096)
    }

    @Test func aBlobWithoutASizeRecordIsMovedAside() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let digest = try commit(Array("layer".utf8), in: store)
        try FileManager.default.removeItem(atPath: store.sizes.path(digest))
        let restarted = try BlobStore(layout: store.layout)
        guard case .movedAside(let reason, _) = restarted.openCommittedBlob(digest) else {
            Issue.record("blob without a record was served")
            return
        }
        #expect(reason == "no size recorded at commit")
    }
}
