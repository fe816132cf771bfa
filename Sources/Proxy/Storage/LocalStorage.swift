import CEpoll
import Glibc
import ProxyRegistry
import ProxyStore
import ProxySystem

/// Cistern's own store of pushed images (issue 16 item 3): primary data, never evicted and
/// not counted against the cache's size limit. Blobs and manifests are content-addressed in
/// the cache's layout (``BlobStore`` and ``ManifestStore`` over their own root); what a
/// repository holds is recorded beside them:
///
/// ```
/// <root>/blobs/sha256/<2 hex>/<hex>                        pushed blobs
/// <root>/manifests/sha256/<2 hex>/<hex>                    pushed manifests (media type line + bytes)
/// <root>/repositories/<name>/_blobs/sha256/<hex>           the repository holds this blob (uploaded or mounted)
/// <root>/repositories/<name>/_manifests/sha256/<hex>       the repository holds this manifest
/// <root>/repositories/<name>/_tags/<tag>                   the tag's digest (text)
/// <root>/repositories/<name>/_referrers/<subject hex>/<hex> a manifest whose `subject` is that digest
/// <root>/tmp/upload-<session>                              upload sessions' data (removed at start-up)
/// ```
/// Repository names never have a component starting with `_`, so the `_` directories never
/// collide with a nested repository. Paths are built from validated names, tags and digests
/// only (see ``CacheLayout``).
///
/// Thread-safe: every method is a few syscalls on distinct paths; tag writes are a rename.
/// Methods marked *blocking* (fsync, rename) run on the I/O pool, never on a loop; the
/// look-ups (`stat`, small reads) are as cheap as the cache's own link checks and run on loops.
public final class LocalStorage: Sendable {
    public let root: String
    /// Committed pushed blobs (`openCommittedBlob` serves them with sendfile).
    public let blobs: BlobStore
    public let manifests: ManifestStore
    /// Upload sessions in progress.
    public let uploads: UploadSessions

    /// Opens (creating) the storage directory and removes leftover upload data.
    /// - Throws: `SystemError` when the directory cannot be created.
    public init(directory: String, uploadTimeoutNanoseconds: Int64) throws(SystemError) {
        let layout = CacheLayout(root: directory)
        root = layout.root
        blobs = try BlobStore(layout: layout)
        manifests = ManifestStore(blobs: blobs, memoryByteCount: 8 << 20)
        _ = try SystemError.check(cep_mkdir_p(root + "/repositories"), "mkdir \(root)/repositories")
        uploads = UploadSessions(directory: layout.temporaryDirectory, timeoutNanoseconds: uploadTimeoutNanoseconds)
    }

    private func repository(_ name: RepositoryName) -> String { "\(root)/repositories/\(name.string)" }
    private func blobLink(_ name: RepositoryName, _ digest: Digest) -> (directory: String, file: String) {
        let directory = "\(repository(name))/_blobs/\(digest.pathComponents.algorithm)"
        return (directory, "\(directory)/\(digest.hex)")
    }
    private func manifestLink(_ name: RepositoryName, _ digest: Digest) -> (directory: String, file: String) {
        let directory = "\(repository(name))/_manifests/\(digest.pathComponents.algorithm)"
        return (directory, "\(directory)/\(digest.hex)")
    }
    private func tagPath(_ name: RepositoryName, _ tag: String) -> String { "\(repository(name))/_tags/\(tag)" }

    /// Whether `name` holds the blob `digest` (uploaded or mounted there, and committed).
    public func hasBlob(_ name: RepositoryName, _ digest: Digest) -> Bool {
        cep_stat_size(blobLink(name, digest).file) >= 0 && blobs.blobSize(digest) != nil
    }

    /// Whether `name` holds the manifest `digest`.
    public func hasManifest(_ name: RepositoryName, _ digest: Digest) -> Bool {
        cep_stat_size(manifestLink(name, digest).file) >= 0 && manifests.contains(digest)
    }

    /// Whether any manifest or tag was ever pushed to `name`.
    public func repositoryExists(_ name: RepositoryName) -> Bool {
        access(repository(name), F_OK) == 0
    }

    /// Records that `name` holds the committed blob `digest`. Blocking.
    public func linkBlob(_ name: RepositoryName, _ digest: Digest) throws(SystemError) {
        try Self.createMarker(blobLink(name, digest))
    }

    /// Records that `name` holds the committed manifest `digest`. Blocking.
    public func linkManifest(_ name: RepositoryName, _ digest: Digest) throws(SystemError) {
        try Self.createMarker(manifestLink(name, digest))
    }

    /// Forgets that `name` holds the blob; the blob file stays until `cistern storage gc`.
    /// Returns false when it held none. Blocking.
    public func unlinkBlob(_ name: RepositoryName, _ digest: Digest) -> Bool {
        cep_unlink(blobLink(name, digest).file) == 0
    }

    /// Forgets that `name` holds the manifest, with every tag of `name` naming it. Returns
    /// false when it held none. Blocking.
    public func unlinkManifest(_ name: RepositoryName, _ digest: Digest) -> Bool {
        guard cep_unlink(manifestLink(name, digest).file) == 0 else { return false }
        for tag in tags(name) ?? [] where self.digest(name, tag: tag) == digest { _ = cep_unlink(tagPath(name, tag)) }
        return true
    }

    /// The digest tag `tag` of `name` names, nil when there is no such tag.
    public func digest(_ name: RepositoryName, tag: String) -> Digest? {
        let fd = cep_open_read(tagPath(name, tag))
        guard fd >= 0 else { return nil }
        let file = SharedFile(descriptor: fd)
        var bytes = [UInt8](repeating: 0, count: 200)
        let n = bytes.withUnsafeMutableBytes { cep_pread(file.descriptor, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return try? Digest(parsing: String(decoding: bytes[..<n].prefix { $0 != 0x0A }, as: UTF8.self))
    }

    /// Points `tag` of `name` at `digest` (replacing it atomically). Blocking.
    public func setTag(_ name: RepositoryName, _ tag: String, to digest: Digest) throws(SystemError) {
        let directory = "\(repository(name))/_tags"
        _ = try SystemError.check(cep_mkdir_p(directory), "mkdir \(directory)")
        let path = tagPath(name, tag)
        let temporary = "\(path).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = try SystemError.check(cep_open_create(temporary), "create \(temporary)")
        let file = SharedFile(descriptor: fd)
        let bytes = Array("\(digest.string)\n".utf8)
        let written = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
        do {
            _ = try SystemError.check(written, "write \(temporary)")
            _ = try SystemError.check(cep_fsync(file.descriptor), "fsync \(temporary)")
            _ = try SystemError.check(cep_rename(temporary, path), "rename \(temporary)")
        } catch {
            _ = cep_unlink(temporary)
            throw error
        }
        _ = cep_fsync_dir(directory)
    }

    /// Removes `tag` of `name`; false when there was none. Blocking.
    public func removeTag(_ name: RepositoryName, _ tag: String) -> Bool {
        cep_unlink(tagPath(name, tag)) == 0
    }

    /// The tags of `name` in lexical order (distribution-spec "Listing Tags"); nil when no
    /// manifest was ever pushed to it.
    public func tags(_ name: RepositoryName) -> [String]? {
        guard repositoryExists(name) else { return nil }
        return Self.names(in: "\(repository(name))/_tags").filter { !$0.hasSuffix(".tmp") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Records that manifest `digest` of `name` has `subject` as its subject. Blocking.
    public func addReferrer(_ name: RepositoryName, subject: Digest, _ digest: Digest) throws(SystemError) {
        try Self.createMarker(("\(repository(name))/_referrers/\(subject.hex)", "\(repository(name))/_referrers/\(subject.hex)/\(digest.hex)"))
    }

    /// The manifests of `name` whose subject is `subject` and that `name` still holds.
    public func referrers(_ name: RepositoryName, subject: Digest) -> [Digest] {
        Self.names(in: "\(repository(name))/_referrers/\(subject.hex)").sorted()
            .compactMap { try? Digest(parsing: "\(subject.pathComponents.algorithm):\($0)") }
            .filter { hasManifest(name, $0) }
    }

    private static func createMarker(_ path: (directory: String, file: String)) throws(SystemError) {
        if cep_stat_size(path.file) >= 0 { return }
        _ = try SystemError.check(cep_mkdir_p(path.directory), "mkdir \(path.directory)")
        let fd = cep_open_create(path.file)
        if fd >= 0 {
            _ = cep_fsync(fd)
            _ = cep_close(fd)
            _ = cep_fsync_dir(path.directory)
        } else if cep_stat_size(path.file) < 0 {
            _ = try SystemError.check(fd, "create \(path.file)")
        }
    }

    private static func names(in path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
