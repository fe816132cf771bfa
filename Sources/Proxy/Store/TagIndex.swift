import CEpoll
import ProxyIO
import ProxyRegistry
import ProxySystem

/// What a tag pointed to the last time the upstream was asked.
public struct TagRecord: Sendable, Equatable {
    public var digest: Digest
    public var mediaType: String
    /// Wall-clock time of the last confirmation by the upstream, ns since the
    /// Unix epoch (wall clock so that freshness survives restarts).
    public var confirmedAtNanoseconds: Int64

    public init(digest: Digest, mediaType: String, confirmedAtNanoseconds: Int64) {
        self.digest = digest
        self.mediaType = mediaType
        self.confirmedAtNanoseconds = confirmedAtNanoseconds
    }
}

/// The key of a tag record: which upstream, repository and tag, and the
/// normalised set of media types the client accepts (two clients accepting
/// different sets may legitimately get different manifests for one tag).
public struct TagKey: Hashable, Sendable {
    public var upstream: String
    public var repository: RepositoryName
    public var tag: String
    public var acceptKey: String

    public init(upstream: String, repository: RepositoryName, tag: String, acceptKey: String) {
        self.upstream = upstream
        self.repository = repository
        self.tag = tag
        self.acceptKey = acceptKey
    }
}

/// Tag -> manifest digest records, in memory and persisted under
/// `<cache>/tags` so that a restarted Cistern still knows its tags (and can
/// serve them stale when the upstream is down).
///
/// Thread-safe: the in-memory map is behind a pthread lock; disk records are
/// written to a temporary name and renamed (atomic, last writer wins), on the
/// I/O pool when there is one: writes of one record run in order on one lane.
public final class TagIndex: Sendable {
    private let layout: CacheLayout
    private let records = Locked<[TagKey: TagRecord]>([:])
    private let pool: IOPool?

    /// - Parameter pool: where records are written; nil writes them on the caller's thread
    ///   (tests and tools, never a loop).
    public init(layout: CacheLayout, pool: IOPool? = nil) {
        self.layout = layout
        self.pool = pool
    }

    /// The record for `key`, from memory or disk.
    public func record(for key: TagKey) -> TagRecord? {
        if let cached = records.withLock({ $0[key] }) { return cached }
        guard let loaded = load(key) else { return nil }
        records.withLock { $0[key] = loaded }
        return loaded
    }

    /// Stores `record` for `key`: in memory at once, on disk in the background. A record
    /// the pool refuses (its queue is full) is kept in memory only: after a restart the tag
    /// is fetched again.
    public func update(_ record: TagRecord, for key: TagKey) {
        records.withLock { $0[key] = record }
        guard let pool else { return persist(record, for: key) }
        pool.submit(key: path(for: key).file.hashValue) { [self] in persist(record, for: key) }
    }

    private func path(for key: TagKey) -> (directory: String, file: String) {
        let directory = layout.tagDirectory(upstream: key.upstream, repository: key.repository)
        let acceptHash = String(ContentHasher.digestString(of: Array(key.acceptKey.utf8)).dropFirst(7).prefix(16))
        return (directory, "\(directory)/\(key.tag)@\(acceptHash)")
    }

    private func load(_ key: TagKey) -> TagRecord? {
        let fd = cep_open_read(path(for: key).file)
        guard fd >= 0 else { return nil }
        let file = SharedFile(descriptor: fd)
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { cep_pread(file.descriptor, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let lines = buffer[..<n].split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3, let digest = try? Digest(parsing: lines[0]), let confirmed = Int64(lines[2]) else { return nil }
        return TagRecord(digest: digest, mediaType: lines[1], confirmedAtNanoseconds: confirmed)
    }

    private func persist(_ record: TagRecord, for key: TagKey) {
        let (directory, file) = path(for: key)
        guard cep_mkdir_p(directory) == 0 else { return }
        let temporary = file + ".tmp"
        _ = cep_unlink(temporary)
        let fd = cep_open_create(temporary)
        guard fd >= 0 else { return }
        let handle = SharedFile(descriptor: fd)
        let text = "\(record.digest.string)\n\(record.mediaType)\n\(record.confirmedAtNanoseconds)\n"
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { cep_pwrite_all(handle.descriptor, $0.baseAddress, $0.count, 0) }
        if written == bytes.count {
            _ = cep_rename(temporary, file)
        } else {
            _ = cep_unlink(temporary)
        }
    }
}
