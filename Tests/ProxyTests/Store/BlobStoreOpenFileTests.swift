import CEpoll
import Foundation
import Testing
@testable import Proxy

/// Hits reuse an open descriptor of a committed blob, but never one whose
/// file was removed from the cache directory.
@Suite struct BlobStoreOpenFileTests {
    private func commit(_ bytes: [UInt8], in store: BlobStore) throws -> Digest {
        let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        let (path, file) = try store.createTemporary(for: digest)
        _ = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        try store.commitBlob(temporaryPath: path, file: file, digest: digest)
        return digest
    }

    @Test func aSecondHitReusesTheOpenDescriptorWithTheBlobSize() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let digest = try commit(Array("layer".utf8), in: store)
        let first = try #require(store.openCommittedBlob(digest))
        let second = try #require(store.openCommittedBlob(digest))
        #expect(first.size == 5 && second.size == 5)
        #expect(first.file === second.file)
    }

    @Test func aBlobRemovedFromTheDirectoryIsAMissEvenWhileItsDescriptorIsCached() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let digest = try commit(Array("layer".utf8), in: store)
        #expect(store.openCommittedBlob(digest) != nil)
        try FileManager.default.removeItem(atPath: store.layout.blobPath(digest))
        #expect(store.openCommittedBlob(digest) == nil)
    }

    @Test func aMissIsNotCached() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-open-blob")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let bytes = Array("late".utf8)
        let digest = try Digest(parsing: ContentHasher.digestString(of: bytes))
        #expect(store.openCommittedBlob(digest) == nil)
        _ = try commit(bytes, in: store)
        #expect(store.openCommittedBlob(digest)?.size == 4)
    }
}
