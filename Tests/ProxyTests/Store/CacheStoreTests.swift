import CEpoll
import Foundation
import Testing
@testable import Proxy
@testable import ProxyRegistry
@testable import ProxyStore
@testable import ProxySystem

/// The cache's commit rules, without sockets: only verified content is ever
/// at a committed path, temporary files of interrupted fills are removed at
/// start-up, and tag records and repository links survive a restart.
@Suite struct CacheStoreTests {
    private func digest(of bytes: [UInt8]) throws -> Digest {
        try Digest(parsing: ContentHasher.digestString(of: bytes))
    }

    @Test func leftoversOfInterruptedFillsAreRemovedAtStartUp() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-store")
        let layout = CacheLayout(root: directory.path)
        let store = try BlobStore(layout: layout)
        let blob = Array("partial".utf8)
        let (path, _) = try store.createTemporary(for: try digest(of: blob))
        #expect(FileManager.default.fileExists(atPath: path))
        // A new process on the same directory (as after kill -9).
        let restarted = try BlobStore(layout: layout)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: layout.temporaryDirectory).isEmpty)
        #expect(restarted.removeLeftovers() == 0)
    }

    @Test func aBlobIsVisibleOnlyAfterItsCommitAndADiscardLeavesNothing() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-store")
        let store = try BlobStore(layout: CacheLayout(root: directory.path))
        let blob = Array("layer bytes".utf8)
        let blobDigest = try digest(of: blob)
        let (path, file) = try store.createTemporary(for: blobDigest)
        _ = blob.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        #expect(store.blobSize(blobDigest) == nil)
        #expect(store.openBlob(blobDigest) == nil)
        try store.commitBlob(temporaryPath: path, file: file, digest: blobDigest)
        #expect(store.blobSize(blobDigest) == Int64(blob.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.layout.blobPath(blobDigest))) == Data(blob))
        #expect(!FileManager.default.fileExists(atPath: path))

        let other = Array("never verified".utf8)
        let otherDigest = try digest(of: other)
        let (otherPath, _) = try store.createTemporary(for: otherDigest)
        store.discard(temporaryPath: otherPath)
        #expect(store.blobSize(otherDigest) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.layout.temporaryDirectory).isEmpty)
    }

    @Test func manifestsRoundTripByteForByteWithTheirMediaType() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-store")
        let store = ManifestStore(blobs: try BlobStore(layout: CacheLayout(root: directory.path)))
        let bytes = Array("{\"schemaVersion\":2,\n \"layers\":[]}\n".utf8)
        let manifest = StoredManifest(mediaType: MediaType.ociManifest, bytes: bytes, digest: try digest(of: bytes))
        #expect(store.read(manifest.digest) == nil)
        try store.store(manifest)
        #expect(store.read(manifest.digest) == manifest)
        #expect(store.contains(manifest.digest))
    }

    @Test func aManifestFileAlteredOnDiskIsMovedAsideReportedAndReadAsAMiss() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-store")
        let blobs = try BlobStore(layout: CacheLayout(root: directory.path))
        let bytes = Array("{\"schemaVersion\":2,\"layers\":[]}".utf8)
        let manifest = StoredManifest(mediaType: MediaType.ociManifest, bytes: bytes, digest: try digest(of: bytes))
        try ManifestStore(blobs: blobs).store(manifest)
        // One byte changed, same length.
        let path = blobs.layout.manifestPath(manifest.digest)
        var onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
        onDisk[onDisk.count - 2] = UInt8(ascii: "}")
        try onDisk.write(to: URL(fileURLWithPath: path))

        let reports = Locked<[(Digest, String, String)]>([])
        // A new store (as after a restart): nothing in memory, the file is read back.
        let restarted = ManifestStore(blobs: blobs) { digest, reason, path in reports.withLock { $0.append((digest, reason, path)) } }
        #expect(restarted.read(manifest.digest) == nil)
        let report = try #require(reports.withLock { $0.first })
        #expect(report.0 == manifest.digest)
        #expect(report.1 == "bytes do not match the digest")
        #expect(report.2.hasPrefix(blobs.layout.quarantineDirectory + "/"))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(restarted.read(manifest.digest) == nil)
        #expect(reports.withLock { $0.count } == 1)
    }

    @Test func tagRecordsAndRepositoryLinksSurviveARestart() throws {
        let directory = try TemporaryDirectory(prefix: "cistern-store")
        let layout = CacheLayout(root: directory.path)
        _ = try BlobStore(layout: layout)
        let repository = try RepositoryName(parsing: "library/alpine")
        let key = TagKey(upstream: "docker.io", repository: repository, tag: "3.20", acceptKey: "application/vnd.oci.image.index.v1+json")
        let manifestDigest = try digest(of: Array("m".utf8))
        let record = TagRecord(digest: manifestDigest, mediaType: MediaType.ociIndex, confirmedAtNanoseconds: 1_700_000_000_000_000_000)
        TagIndex(layout: layout).update(record, for: key)
        RepositoryLinks(layout: layout).link(upstream: "docker.io", repository: repository, digest: manifestDigest)

        let tags = TagIndex(layout: layout)
        #expect(tags.record(for: key) == record)
        var otherAccept = key
        otherAccept.acceptKey = "application/vnd.docker.distribution.manifest.v2+json"
        #expect(tags.record(for: otherAccept) == nil)
        let links = RepositoryLinks(layout: layout)
        #expect(links.isLinked(upstream: "docker.io", repository: repository, digest: manifestDigest))
        #expect(!links.isLinked(upstream: "ghcr.io", repository: repository, digest: manifestDigest))
        #expect(!links.isLinked(upstream: "docker.io", repository: try RepositoryName(parsing: "private/app"), digest: manifestDigest))
    }
}
