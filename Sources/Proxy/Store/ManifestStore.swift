import CEpoll
import Glibc
import ProxyIO
import ProxyRegistry
import ProxySystem

/// Content-addressed manifests on disk. A file holds the media type on its
/// first line and the exact manifest bytes after it, so one atomic rename
/// commits both. Only verified manifests are ever written (the caller hashes
/// the bytes it passes to `store`), and a file read back is verified again
/// (manifests are small): one that no longer matches its digest is moved to
/// the quarantine directory, reported, and read as a miss.
public struct ManifestStore: Sendable {
    /// Called (with the digest, the reason and where the file went) when a stored manifest
    /// failed its check on load. Not called under any lock.
    public typealias MovedAsideHandler = @Sendable (Digest, _ reason: String, _ path: String) -> Void

    /// Manifests over this size are refused (OCI distribution spec: registries
    /// should accept at least 4 MiB; we cap what we cache at that).
    public static let maximumByteCount = 4 * 1024 * 1024

    let blobs: BlobStore
    var layout: CacheLayout { blobs.layout }
    /// Recently used manifests in memory, so that manifest hits (the most
    /// frequent small request) cost no file I/O.
    private let memory: ManifestMemoryCache
    private let movedAside: MovedAsideHandler

    public init(blobs: BlobStore, memoryByteCount: Int = 64 * 1024 * 1024, movedAside: @escaping MovedAsideHandler = { _, _, _ in }) {
        self.blobs = blobs
        memory = ManifestMemoryCache(capacityByteCount: memoryByteCount)
        self.movedAside = movedAside
    }

    /// Reads the manifest `digest`, or nil on a miss or an unreadable file.
    public func read(_ digest: Digest) -> StoredManifest? {
        if let cached = memory.get(digest) {
            blobs.index.touch(digest)
            return cached
        }
        guard let manifest = readFromDisk(digest) else { return nil }
        memory.put(manifest)
        blobs.index.touch(digest)
        return manifest
    }

    /// Drops `digest` from memory (it was evicted from disk), so it is read or fetched again.
    public func forgetFromMemory(_ digest: Digest) {
        memory.remove(digest)
    }

    private func readFromDisk(_ digest: Digest) -> StoredManifest? {
        let fd = cep_open_read(layout.manifestPath(digest))
        guard fd >= 0 else { return nil }
        let file = SharedFile(descriptor: fd)
        guard let size = try? file.size(), size > 0, size <= Int64(Self.maximumByteCount + 1024) else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = bytes.withUnsafeMutableBytes { cep_pread(fd, $0.baseAddress, Int(size), 0) }
        guard n == Int(size), let newline = bytes.firstIndex(of: 0x0A) else { return nil }
        let mediaType = String(decoding: bytes[..<newline], as: UTF8.self)
        let manifest = StoredManifest(mediaType: mediaType, bytes: Array(bytes[(newline + 1)...]), digest: digest)
        guard ManifestIdentity.isNamed(manifest.bytes, mediaType: mediaType, by: digest) else {
            let path = blobs.moveAside(layout.manifestPath(digest), name: "manifest-\(digest.hex)")
            movedAside(digest, "bytes do not match the digest", path)
            return nil
        }
        return manifest
    }

    /// Whether the manifest `digest` is stored.
    public func contains(_ digest: Digest) -> Bool {
        memory.get(digest) != nil || cep_stat_size(layout.manifestPath(digest)) >= 0
    }

    /// Stores a verified manifest off the event loop: it is readable from memory at once
    /// (``read(_:)``, ``contains(_:)``), and written, fsync'd and renamed into place on
    /// `pool`. When that fails (or the pool refuses the job) the manifest is forgotten again
    /// and `failed` is called on the pool thread (or the caller's, for a refusal), with no
    /// lock held: the answer already given was correct, it is just not cached.
    public func storeInBackground(_ manifest: StoredManifest, on pool: IOPool,
                                  failed: @escaping @Sendable (SystemError) -> Void) {
        memory.put(manifest)
        let accepted = pool.submit(key: manifest.digest.hashValue) { [self] in
            do throws(SystemError) {
                try write(manifest)
            } catch {
                memory.remove(manifest.digest)
                failed(error)
            }
        }
        if !accepted {
            memory.remove(manifest.digest)
            failed(SystemError(code: EAGAIN, operation: "queue the commit of manifest \(manifest.digest) (I/O queue full)"))
        }
    }

    /// Stores a verified manifest on the calling thread (write to a temporary file, fsync,
    /// rename). Blocks on the disk: not for a loop thread.
    public func store(_ manifest: StoredManifest) throws(SystemError) {
        try write(manifest)
        memory.put(manifest)
    }

    private func write(_ manifest: StoredManifest) throws(SystemError) {
        let (path, file) = try blobs.createTemporary(for: manifest.digest)
        var content = Array(manifest.mediaType.utf8.filter { $0 != 0x0A && $0 != 0x0D })
        content.append(0x0A)
        content.append(contentsOf: manifest.bytes)
        let written = content.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        do {
            _ = try SystemError.check(written, "write \(path)")
            try blobs.commitManifest(temporaryPath: path, file: file, digest: manifest.digest)
        } catch {
            blobs.discard(temporaryPath: path)
            throw error
        }
    }
}
