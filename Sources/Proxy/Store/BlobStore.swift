import CEpoll
import Glibc
import Synchronization

/// The content-addressed store of committed blobs and the temporary files of
/// fills in progress.
///
/// Invariant: a file exists at `layout.blobPath(d)` only if its bytes hash to
/// `d` — fills write to a temporary file and `commit` renames it into place
/// only after the caller verified size and digest. Thread-safe: every method
/// is a few syscalls on distinct paths; rename is atomic.
public final class BlobStore: Sendable {
    public let layout: CacheLayout
    private let sequence = Atomic<UInt64>(0)
    /// Committed blobs opened for serving hits, kept open so a hit costs one
    /// `fstat` instead of building a path and `open` + `fstat` + `close`.
    /// Bounded by `openFileCapacity`; emptied whole when full (simple, and
    /// refilled by the next hits).
    private let openFiles = Locked<[Digest: SharedFile]>([:])
    static let openFileCapacity = 64

    /// Creates the directories and removes leftovers of interrupted fills.
    /// - Throws: `SystemError` when the cache directory cannot be created.
    public init(layout: CacheLayout) throws(SystemError) {
        self.layout = layout
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

    /// Opens the committed blob `digest` for serving a hit, with its size in
    /// bytes, or returns nil on a miss. The descriptor may be shared with
    /// other hits (`sendfile` never uses the file offset). A cached
    /// descriptor whose file was unlinked meanwhile (link count 0: removed
    /// by an operator) is dropped, so a hit never outlives the file.
    public func openCommittedBlob(_ digest: Digest) -> (file: SharedFile, size: Int64)? {
        if let file = openFiles.withLock({ $0[digest] }) {
            var status = stat()
            if fstat(file.descriptor, &status) == 0, status.st_nlink > 0 {
                return (file, Int64(status.st_size))
            }
            openFiles.withLock { _ = $0.removeValue(forKey: digest) }
        }
        guard let file = openBlob(digest), let size = try? file.size() else { return nil }
        openFiles.withLock { files in
            if files.count >= Self.openFileCapacity { files.removeAll(keepingCapacity: true) }
            files[digest] = file
        }
        return (file, size)
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
        return (path, SharedFile(descriptor: fd))
    }

    /// Makes a verified temporary file the committed blob: fsync the data,
    /// rename into place, fsync the directory.
    public func commitBlob(temporaryPath: String, file: SharedFile, digest: Digest) throws(SystemError) {
        try commit(temporaryPath: temporaryPath, file: file, directory: layout.blobDirectory(digest), path: layout.blobPath(digest))
    }

    /// Same as `commitBlob` for a manifest file.
    public func commitManifest(temporaryPath: String, file: SharedFile, digest: Digest) throws(SystemError) {
        try commit(temporaryPath: temporaryPath, file: file, directory: layout.manifestDirectory(digest), path: layout.manifestPath(digest))
    }

    private func commit(temporaryPath: String, file: SharedFile, directory: String, path: String) throws(SystemError) {
        _ = try SystemError.check(cep_fsync(file.descriptor), "fsync \(temporaryPath)")
        _ = try SystemError.check(cep_mkdir_p(directory), "mkdir \(directory)")
        _ = try SystemError.check(cep_rename(temporaryPath, path), "rename \(temporaryPath)")
        _ = cep_fsync_dir(directory)
    }

    /// Deletes a temporary file (failed or abandoned fill).
    public func discard(temporaryPath: String) {
        _ = cep_unlink(temporaryPath)
    }
}
