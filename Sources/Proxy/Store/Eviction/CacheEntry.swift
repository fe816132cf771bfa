import ProxySystem
/// A repository of an upstream known to hold a digest (see ``RepositoryLinks``), as the index
/// keeps it so that evicting the digest also removes its links.
public struct RepositoryLink: Hashable, Sendable {
    /// The upstream's configured name (`links/<upstream>/…`).
    public var upstream: String
    /// The repository as the upstream knows it.
    public var repository: String

    public init(upstream: String, repository: String) {
        self.upstream = upstream
        self.repository = repository
    }
}

/// What the cache holds for one digest: a blob, a manifest (a digest may be both), the
/// repositories linked to it and when it was last read.
///
/// Bytes (what `du -sb` counts for it): the blob file plus its size record (the decimal
/// size, ``BlobSizeRecords``), plus the manifest file (media type line and bytes). Link
/// markers are empty files and count nothing; their directories are overhead.
public struct CacheEntry: Sendable {
    /// Size of the committed blob file; nil when no blob is stored.
    public var blobByteCount: Int64?
    /// Size of the committed manifest file; nil when no manifest is stored.
    public var manifestByteCount: Int64?
    /// Wall-clock seconds since the Unix epoch of the last read (or the commit).
    public var lastAccessSeconds: Int64
    public var retention: Retention
    public var links: [RepositoryLink]
    /// The descriptors open on the blob file, while any are (see ``FileHold``).
    weak var hold: FileHold?

    public init(blobByteCount: Int64? = nil, manifestByteCount: Int64? = nil, lastAccessSeconds: Int64,
                retention: Retention = .cached, links: [RepositoryLink] = []) {
        self.blobByteCount = blobByteCount
        self.manifestByteCount = manifestByteCount
        self.lastAccessSeconds = lastAccessSeconds
        self.retention = retention
        self.links = links
    }

    /// Whether a blob or a manifest is stored (an entry may hold links alone).
    public var hasContent: Bool { blobByteCount != nil || manifestByteCount != nil }

    /// Bytes the entry's files take (see the type's documentation).
    public var byteCount: Int64 {
        var total: Int64 = manifestByteCount ?? 0
        if let blob = blobByteCount { total += blob + Self.decimalDigitCount(blob) }
        return total
    }

    /// Length of `value` written in decimal (the size record's file size).
    static func decimalDigitCount(_ value: Int64) -> Int64 {
        var digits: Int64 = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }
}
