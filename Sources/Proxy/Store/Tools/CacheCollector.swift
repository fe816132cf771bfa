import ProxySystem
/// `cistern cache gc`: applies the size and age limits to a stopped cache, as a running
/// server's eviction would (same policy, same removal steps), then writes its index with the
/// clean-shutdown marker. The caller holds the ``CacheDirectoryLock``. Blocks on the disk.
public enum CacheCollector {
    /// What `gc` found and did.
    public struct Outcome: Sendable {
        public var origin: CacheIndex.Origin
        public var report: CacheEviction.Report
        public var entryCount: Int
    }

    /// Applies `limits` to the cache at `layout`.
    /// - Throws: `SystemError` when the cache directory cannot be prepared.
    public static func collect(_ layout: CacheLayout, limits: CacheLimits, clock: any WallClock = SystemWallClock()) throws -> Outcome {
        let opened = CacheIndex.open(layout, clock: clock)
        let blobs = try BlobStore(layout: layout, index: opened.index)
        let links = RepositoryLinks(layout: layout, index: opened.index)
        let eviction = CacheEviction(index: opened.index, limits: limits, blobs: blobs, links: links, pool: nil)
        let report = eviction.runPass()
        eviction.flush(clean: true)
        return Outcome(origin: opened.origin, report: report, entryCount: opened.index.count)
    }
}
