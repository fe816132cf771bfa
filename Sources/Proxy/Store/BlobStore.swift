import CEpoll
import Glibc
import ProxyRegistry
import ProxySystem
import Synchronization

/// The content-addressed store of committed blobs and the temporary files of
/// fills in progress.
///
/// Invariant: a file exists at `layout.blobPath(d)` only if its bytes hash to
/// `d` — fills write to a temporary file and `commit` renames it into place
/// only after the caller verified size and digest — or it was changed behind
/// Cistern's back since. The size recorded at commit (``BlobSizeRecords``)
/// catches a file truncated, emptied or replaced later: a hit checks it
/// (`fstat`, which a hit does anyway) and moves such a file aside rather
/// than serving it. Thread-safe: every method is a few syscalls on distinct
/// paths; rename is atomic.
public final class BlobStore: Sendable {
    /// A committed blob looked up for a hit.
    public enum CommittedBlob {
        /// The blob, whole: its descriptor and size in bytes.
        case found(SharedFile, size: Int64)
        /// No committed blob.
        case missing
        /// The file did not match its record and was moved aside (to the path given).
        case movedAside(reason: String, path: String)
    }

    public let layout: CacheLayout
    let sizes: BlobSizeRecords
    /// Sizes, last reads and links of what is committed (eviction reads it; hits update it).
    public let index: CacheIndex
    private let sequence = Atomic<UInt64>(0)
    /// Committed blobs opened for serving hits, with their recorded sizes,
    /// kept open so a hit costs one `fstat` instead of building a path and
    /// `open` + `fstat` + `close`. Bounded by `openFileCapacity`; emptied
    /// whole when full (simple, and refilled by the next hits).
    private let openFiles = Locked<[Digest: (file: SharedFile, size: Int64)]>([:])
    static let openFileCapacity = 64

    /// Creates the directories and removes leftovers of interrupted fills.
    /// - Parameter index: the cache index (``CacheIndexRebuild/open(_:clock:)``); an empty one
    ///   for tests that do not look at it.
    /// - Throws: `SystemError` when the cache directory cannot be created.
    public init(layout: CacheLayout, index: CacheIndex = CacheIndex()) throws(SystemError) {
        self.layout = layout
        self.index = index
        sizes = BlobSizeRecords(layout: layout)
        _ = try SystemError.check(cep_mkdir_p(layout.blobsDirectory), "mkdir \(layout.blobsDirectory)")
        _ = try SystemError.check(cep_mkdir_p(layout.manifestsDirectory), "mkdir \(layout.manifestsDirectory)")
        _ = try SystemError.check(cep_mkdir_p(layout.tagsDirectory), "mkdir \(layout.tagsDirectory)")
        _ = try SystemError.check(cep_mkdir_p(layout.temporaryDirectory), "mkdir \(layout.temporaryDirectory)")
        removeLeftovers()
    }

    /// Removes every file in the temporary directory: fills that were
    /// interrupted by a crash or a kill. Returns how many were removed.
    @discardableResult
    public func removeLeftovers() -> Int {
        guard let dir = opendir(layout.temporaryDirectory) else { return 0 }
        defer { closedir(dir) }
        var removed = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if cep_unlink(layout.temporaryDirectory + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    /// Opens the committed blob `digest` for serving, or returns nil on a miss.
    public func openBlob(_ digest: Digest) -> SharedFile? {
        let fd = cep_open_read(layout.blobPath(digest))
        return fd >= 0 ? SharedFile(descriptor: fd) : nil
    }

    /// Opens the committed blob `digest` for serving a hit. The descriptor
    /// may be shared with other hits (`sendfile` never uses the file offset).
    /// A cached descriptor whose file was unlinked meanwhile (link count 0:
    /// removed by an operator) is dropped, so a hit never outlives the file.
    /// A file whose size is not the one recorded at commit (or that has no
    /// record) is moved to the quarantine directory and reported as such.
    public func openCommittedBlob(_ digest: Digest) -> CommittedBlob {
        if let open = openFiles.withLock({ $0[digest] }) {
            var status = stat()
            if fstat(open.file.descriptor, &status) == 0, status.st_nlink > 0 {
                if Int64(status.st_size) == open.size {
                    index.touch(digest)
                    return .found(open.file, size: open.size)
                }
                forgetOpenFile(digest)
                return moveAside(digest, reason: "size \(status.st_size) bytes, recorded \(open.size) at commit")
            }
            forgetOpenFile(digest)
        }
        let fd = cep_open_read(layout.blobPath(digest))
        guard fd >= 0 else { return .missing }
        let file = SharedFile(descriptor: fd, hold: index.hold(for: digest))
        guard let size = try? file.size() else { return .missing }
        guard let recorded = sizes.recordedSize(digest) else {
            // Evicted between the open and the record's read (the blob is unlinked first):
            // a miss, not damage.
            var status = stat()
            if fstat(fd, &status) == 0, status.st_nlink == 0 { return .missing }
            return moveAside(digest, reason: "no size recorded at commit")
        }
        guard recorded == size else {
            return moveAside(digest, reason: "size \(size) bytes, recorded \(recorded) at commit")
        }
        // The dropped descriptors are closed (SharedFile.deinit) after the lock is released.
        let dropped = openFiles.withLock { files -> [Digest: (file: SharedFile, size: Int64)] in
            var dropped: [Digest: (file: SharedFile, size: Int64)] = [:]
            if files.count >= Self.openFileCapacity { swap(&dropped, &files) }
            files[digest] = (file, size)
            return dropped
        }
        _ = dropped
        index.touch(digest)
        return .found(file, size: size)
    }

    /// Drops `digest` from the open-file table; its descriptor is closed (when no hit still
    /// uses it) after the lock is released, never under it.
    func forgetOpenFile(_ digest: Digest) {
        let removed = openFiles.withLock { $0.removeValue(forKey: digest) }
        _ = removed
    }

    /// Moves the committed blob `digest` to the quarantine directory and drops its record.
    private func moveAside(_ digest: Digest, reason: String) -> CommittedBlob {
        let path = moveAside(layout.blobPath(digest), name: digest.hex)
        sizes.remove(digest)
        return .movedAside(reason: reason, path: path)
    }

    /// Renames the file at `path` into the quarantine directory under a unique name.
    /// - Returns: the new path (the old one if the rename failed; then the file is removed).
    func moveAside(_ path: String, name: String) -> String {
        let n = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let target = "\(layout.quarantineDirectory)/\(name).\(cep_realtime_ns()).\(n)"
        if cep_mkdir_p(layout.quarantineDirectory) == 0, cep_rename(path, target) == 0 { return target }
        _ = cep_unlink(path)
        return path
    }

    /// Size of the committed blob `digest`, or nil on a miss.
    public func blobSize(_ digest: Digest) -> Int64? {
        let size = cep_stat_size(layout.blobPath(digest))
        return size >= 0 ? size : nil
    }

    /// Creates a new temporary file for a fill of `digest`.
    /// - Returns: its path and the open descriptor (read/write).
    public func createTemporary(for digest: Digest) throws(SystemError) -> (path: String, file: SharedFile) {
        let n = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let path = layout.temporaryPath(digest, sequence: n)
        let fd = try SystemError.check(cep_open_create(path), "create \(path)")
        return (path, SharedFile(descriptor: fd, hold: index.newHold()))
    }

    /// Makes a verified temporary file the committed blob: fsync the data,
    /// rename into place, fsync the directory.
    /// The blob's size is recorded first (``BlobSizeRecords``).
    /// - Parameter reserved: room reserved for the fill, released as the blob starts to count.
    public func commitBlob(temporaryPath: String, file: SharedFile, digest: Digest, releasing reserved: Int64 = 0) throws(SystemError) {
        let n = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let size = try file.size()
        try sizes.record(size, for: digest, temporaryPath: "\(layout.temporaryDirectory)/\(digest.hex).\(n).size")
        try commit(temporaryPath: temporaryPath, file: file, directory: layout.blobDirectory(digest), path: layout.blobPath(digest))
        index.recordBlob(digest, byteCount: size, hold: file.hold, releasing: reserved)
    }

    /// Same as `commitBlob` for a manifest file.
    public func commitManifest(temporaryPath: String, file: SharedFile, digest: Digest) throws(SystemError) {
        let size = try file.size()
        try commit(temporaryPath: temporaryPath, file: file, directory: layout.manifestDirectory(digest), path: layout.manifestPath(digest))
        index.recordManifest(digest, byteCount: size)
    }

    private func commit(temporaryPath: String, file: SharedFile, directory: String, path: String) throws(SystemError) {
        _ = try SystemError.check(cep_fsync(file.descriptor), "fsync \(temporaryPath)")
        _ = try SystemError.check(cep_mkdir_p(directory), "mkdir \(directory)")
        _ = try SystemError.check(cep_rename(temporaryPath, path), "rename \(temporaryPath)")
        _ = cep_fsync_dir(directory)
    }

    /// The next number for a unique temporary name.
    func sequenceNumber() -> UInt64 {
        sequence.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Deletes a temporary file (failed or abandoned fill).
    public func discard(temporaryPath: String) {
        _ = cep_unlink(temporaryPath)
    }
}
