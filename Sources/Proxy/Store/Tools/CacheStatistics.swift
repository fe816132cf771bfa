import ProxyRegistry
/// `cistern cache stats`: what the cache holds, from its index (the snapshot, or the files
/// when the snapshot may be behind). Read-only; allowed while a server runs.
public struct CacheStatistics: Sendable, Equatable {
    /// One repository's share.
    public struct Repository: Sendable, Equatable {
        public var upstream: String
        public var repository: String
        /// Digests linked to the repository.
        public var entryCount: Int
        /// Their bytes (content shared with other repositories counts in each).
        public var byteCount: Int64
    }

    /// Digests with a stored blob or manifest (links to content not fetched yet are left out).
    public var entryCount: Int
    /// Digests with a stored blob, and with a stored manifest: a digest stored both ways (a
    /// manifest also fetched through `/blobs/`) counts in each, so the two may sum above
    /// ``entryCount``.
    public var blobCount: Int
    public var manifestCount: Int
    /// Bytes of content files (blobs, size records, manifests).
    public var contentByteCount: Int64
    /// Directories, tag records, the index and other files (see ``CacheFootprint``).
    public var overheadByteCount: Int64
    /// Bytes of primary data (never evicted, not counted against the limit).
    public var primaryByteCount: Int64
    /// Wall-clock seconds of the least recent read, nil for an empty cache.
    public var oldestAccessSeconds: Int64?
    /// Repositories by bytes, largest first.
    public var topRepositories: [Repository]

    /// Statistics of `entries` (an index table) with `overheadByteCount` bytes of overhead.
    /// - Parameter top: how many repositories to list.
    public init(entries: [Digest: CacheEntry], overheadByteCount: Int64, top: Int = 10) {
        entryCount = 0
        blobCount = 0
        manifestCount = 0
        contentByteCount = 0
        primaryByteCount = 0
        self.overheadByteCount = overheadByteCount
        oldestAccessSeconds = nil
        var repositories: [RepositoryLink: Repository] = [:]
        for entry in entries.values {
            if entry.hasContent { entryCount += 1 }
            if entry.blobByteCount != nil { blobCount += 1 }
            if entry.manifestByteCount != nil { manifestCount += 1 }
            if entry.retention == .primary {
                primaryByteCount += entry.byteCount
            } else {
                contentByteCount += entry.byteCount
            }
            if entry.hasContent {
                oldestAccessSeconds = min(oldestAccessSeconds ?? entry.lastAccessSeconds, entry.lastAccessSeconds)
            }
            for link in entry.links {
                var repository = repositories[link] ?? Repository(upstream: link.upstream, repository: link.repository,
                                                                  entryCount: 0, byteCount: 0)
                repository.entryCount += 1
                repository.byteCount += entry.byteCount
                repositories[link] = repository
            }
        }
        topRepositories = Array(repositories.values.sorted {
            $0.byteCount != $1.byteCount ? $0.byteCount > $1.byteCount : ($0.upstream, $0.repository) < ($1.upstream, $1.repository)
        }.prefix(top))
    }

    /// Bytes counted against `--cache-max-size`.
    public var countedByteCount: Int64 { contentByteCount + overheadByteCount }
}
