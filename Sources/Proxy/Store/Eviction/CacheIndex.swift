import Synchronization
import ProxyRegistry
import ProxySystem
/// Everything the cache holds, by digest, with sizes, last access times and links: what
/// eviction, `cistern cache stats` and the limits read instead of walking the directory.
///
/// Usage (bytes counted against `--cache-max-size`) = the `.cached` entries' bytes + overhead
/// (directories, tag records, the index file, temporary files: measured by
/// ``CacheFootprint`` and, between measurements, over-estimated per commit) + room reserved
/// by fills in progress + bytes of evicted files still open (``HeldByteCount``).
///
/// Recording a read (``touch(_:)``) is the hit path: a clock read outside the lock (vDSO, no
/// syscall), then one dictionary lookup and a store under one shard's lock. Nothing here
/// touches the disk; ``CacheIndexFile`` persists snapshots on the I/O pool.
///
/// Thread-safe: the table is split into ``shardCount`` shards by digest, each behind its own
/// pthread lock, so that walking it (an eviction pass, an index write: a million entries)
/// holds one shard at a time and a hit waits at most for one shard's share of the walk. The
/// totals sit behind their own lock, taken after a shard's (never the other way round), and
/// the change generation is an atomic. Every lock is held for in-memory work only.
public final class CacheIndex: Sendable {
    struct Shard {
        var entries: [Digest: CacheEntry] = [:]
    }

    struct Totals {
        /// Bytes of `.cached` entries.
        var cachedByteCount: Int64 = 0
        /// Bytes of `.primary` entries (not counted against the limit).
        var primaryByteCount: Int64 = 0
        var reservedByteCount: Int64 = 0
        /// Entries with a blob or a manifest (not links alone): what `cache stats` counts.
        var contentEntryCount = 0
        var entryCount = 0
        /// Overhead as last measured.
        var measuredOverheadByteCount: Int64 = 0
        /// Directories commits may have created since the measurement (an upper bound).
        var overheadAllowanceByteCount: Int64 = 0
    }

    /// Shards of the table (a power of two).
    static let shardCount = 64

    /// Directory bytes a commit may add before the next measurement (a new `<2 hex>`
    /// directory under `blobs/` and one under `sizes/`, 4 KiB each on common file systems).
    static let overheadAllowancePerCommit: Int64 = 8192

    let clock: any WallClock
    /// Bytes of evicted files still open for reading.
    public let held = HeldByteCount()
    private let shards: [Locked<Shard>]
    private let totals: Locked<Totals>
    /// Bumped by every change worth persisting.
    private let generation = Atomic<UInt64>(0)
    private let persistedGeneration = Atomic<UInt64>(0)

    /// - Parameter entries: a rebuilt table (``CacheIndexRebuild``), or none.
    public convenience init(clock: any WallClock = SystemWallClock(), entries: [Digest: CacheEntry] = [:]) {
        var shards = [[Digest: CacheEntry]](repeating: [:], count: Self.shardCount)
        // Digests spread evenly over the shards: room for each one's share up front.
        let share = entries.count / Self.shardCount + entries.count / (Self.shardCount * 8) + 16
        for index in shards.indices { shards[index].reserveCapacity(share) }
        for (digest, entry) in entries { shards[Self.shardIndex(digest)][digest] = entry }
        self.init(clock: clock, shards: shards)
    }

    /// - Parameter shards: ``shardCount`` tables, each holding the digests of its
    ///   ``shardIndex(_:)`` (as ``CacheIndexFile`` loads them: each entry inserted once).
    public init(clock: any WallClock = SystemWallClock(), shards: [[Digest: CacheEntry]]) {
        precondition(shards.count == Self.shardCount, "a cache index has \(Self.shardCount) shards")
        self.clock = clock
        var initialTotals = Totals()
        for shard in shards {
            for entry in shard.values { Self.add(entry, to: &initialTotals) }
        }
        self.shards = shards.map { Locked(Shard(entries: $0)) }
        totals = Locked(initialTotals)
    }

    var nowSeconds: Int64 { clock.nanosecondsSinceEpoch() / 1_000_000_000 }

    /// The shard of `digest`: from its first two hex digits, which are uniform for any hash.
    static func shardIndex(_ digest: Digest) -> Int {
        var iterator = digest.hex.utf8.makeIterator()
        let first = Int(iterator.next() ?? 0), second = Int(iterator.next() ?? 0)
        return (first &* 31 &+ second) & (shardCount - 1)
    }

    private func shard(_ digest: Digest) -> Locked<Shard> { shards[Self.shardIndex(digest)] }

    private static func add(_ entry: CacheEntry, to totals: inout Totals) {
        totals.entryCount += 1
        if entry.hasContent { totals.contentEntryCount += 1 }
        if entry.retention == .cached { totals.cachedByteCount += entry.byteCount } else { totals.primaryByteCount += entry.byteCount }
    }

    private static func subtract(_ entry: CacheEntry, from totals: inout Totals) {
        totals.entryCount -= 1
        if entry.hasContent { totals.contentEntryCount -= 1 }
        if entry.retention == .cached { totals.cachedByteCount -= entry.byteCount } else { totals.primaryByteCount -= entry.byteCount }
    }

    /// Replaces `old` (nil: none) by `new` (nil: removed) in the totals. Called with a shard's
    /// lock held: the totals lock is always taken after a shard's.
    private func account(replacing old: CacheEntry?, with new: CacheEntry?, releasing reserved: Int64 = 0) {
        totals.withLock { totals in
            if let old { Self.subtract(old, from: &totals) }
            if let new { Self.add(new, to: &totals) }
            totals.reservedByteCount -= reserved
        }
    }

    private func changed() {
        generation.add(1, ordering: .relaxed)
    }

    /// Changes the entry of `digest` (creating it), keeping the totals right.
    private func update(_ digest: Digest, now: Int64, releasing reserved: Int64 = 0, _ change: (inout CacheEntry) -> Void) {
        shard(digest).withLock { shard in
            let old = shard.entries[digest]
            var entry = old ?? CacheEntry(lastAccessSeconds: now)
            change(&entry)
            account(replacing: old, with: entry, releasing: reserved)
            shard.entries[digest] = entry
        }
        changed()
    }

    // MARK: Hit path

    /// Records a read of `digest` now. Any thread; no syscall, no allocation.
    public func touch(_ digest: Digest) {
        let now = nowSeconds
        let touched = shard(digest).withLock { shard -> Bool in
            guard let index = shard.entries.index(forKey: digest), shard.entries.values[index].lastAccessSeconds != now else { return false }
            shard.entries.values[index].lastAccessSeconds = now
            return true
        }
        if touched { changed() }
    }

    /// The hold shared by the descriptors open on the committed blob `digest` (created on
    /// first use); nil when the index does not know the blob.
    func hold(for digest: Digest) -> FileHold? {
        shard(digest).withLock { shard -> FileHold? in
            guard let index = shard.entries.index(forKey: digest), shard.entries.values[index].blobByteCount != nil else { return nil }
            if let hold = shard.entries.values[index].hold { return hold }
            let hold = FileHold(byteCount: shard.entries.values[index].byteCount, held: held)
            shard.entries.values[index].hold = hold
            return hold
        }
    }

    /// A new hold for a fill's temporary file (its size is set when it is committed).
    func newHold() -> FileHold {
        FileHold(byteCount: 0, held: held)
    }

    // MARK: Commits and links

    /// The blob `digest` of `byteCount` bytes was committed; `hold` is its writer's (the fill's).
    /// - Parameter reserved: the fill's reservation (``reserve(_:maximumByteCount:)``), given
    ///   back in the same step in which the entry starts to count, so that a pass never
    ///   counts the blob twice (once reserved, once cached) and evicts for room it has.
    public func recordBlob(_ digest: Digest, byteCount: Int64, hold: FileHold? = nil, releasing reserved: Int64 = 0) {
        let now = nowSeconds
        update(digest, now: now, releasing: reserved) { entry in
            entry.blobByteCount = byteCount
            entry.lastAccessSeconds = now
            if let hold {
                hold.byteCount = entry.byteCount
                entry.hold = hold
            }
        }
        totals.withLock { $0.overheadAllowanceByteCount += Self.overheadAllowancePerCommit }
    }

    /// The manifest `digest` was committed in a file of `byteCount` bytes.
    public func recordManifest(_ digest: Digest, byteCount: Int64) {
        let now = nowSeconds
        update(digest, now: now) { entry in
            entry.manifestByteCount = byteCount
            entry.lastAccessSeconds = now
        }
        totals.withLock { $0.overheadAllowanceByteCount += Self.overheadAllowancePerCommit / 2 }
    }

    /// `repository` of `upstream` holds `digest` (its marker file is being written).
    public func addLink(_ digest: Digest, upstream: String, repository: String) {
        let link = RepositoryLink(upstream: upstream, repository: repository)
        update(digest, now: nowSeconds) { entry in
            if !entry.links.contains(link) { entry.links.append(link) }
        }
    }

    /// Counts files found on disk that the index lacks: `found` is the entry a walk built for
    /// `digest`; whatever of it (blob, manifest, links) is not recorded yet is added, with the
    /// walk's access time for a new entry. One short lock per call: a walk adopts a million
    /// entries without stalling a hit for long.
    /// - Returns: whether anything was added.
    @discardableResult
    public func adopt(_ digest: Digest, found: CacheEntry) -> Bool {
        let adopted = shard(digest).withLock { shard -> Bool in
            let old = shard.entries[digest]
            var entry = old ?? CacheEntry(lastAccessSeconds: found.lastAccessSeconds)
            var changed = old == nil && found.hasContent
            if entry.blobByteCount == nil, let blob = found.blobByteCount { entry.blobByteCount = blob; changed = true }
            if entry.manifestByteCount == nil, let manifest = found.manifestByteCount { entry.manifestByteCount = manifest; changed = true }
            for link in found.links where !entry.links.contains(link) { entry.links.append(link); changed = true }
            guard changed else { return false }
            account(replacing: old, with: entry)
            shard.entries[digest] = entry
            return true
        }
        if adopted { changed() }
        return adopted
    }

    /// Whether a blob or manifest of `digest` is recorded.
    public func containsContent(_ digest: Digest) -> Bool {
        shard(digest).withLock { $0.entries[digest]?.hasContent ?? false }
    }

    /// The entry of `digest`, if any.
    public func entry(_ digest: Digest) -> CacheEntry? {
        shard(digest).withLock { $0.entries[digest] }
    }

    // MARK: Space

    /// Bytes counted against the limit now (see the type's documentation).
    public var usageByteCount: Int64 {
        let counted = totals.withLock { t in t.cachedByteCount + t.measuredOverheadByteCount + t.overheadAllowanceByteCount + t.reservedByteCount }
        return counted + held.byteCount
    }

    /// Bytes of `.cached` entries (files only).
    public var cachedByteCount: Int64 { totals.withLock { $0.cachedByteCount } }

    /// Number of entries (links alone included).
    public var count: Int { totals.withLock { $0.entryCount } }

    /// Number of digests with a blob or manifest stored (`cistern_cache_entries`, `cache stats`).
    public var contentEntryCount: Int { totals.withLock { $0.contentEntryCount } }

    /// Reserves room for a fill of `byteCount` bytes under `maximumByteCount`.
    /// - Returns: false when even evicting every cached entry would not make room (the
    ///   rest is overhead, reservations and files being read): the fill goes uncached.
    ///   True reserves the bytes; the caller starts an eviction pass when usage is over.
    public func reserve(_ byteCount: Int64, maximumByteCount: Int64) -> Bool {
        let held = held.byteCount
        return totals.withLock { t in
            let fixed = t.measuredOverheadByteCount + t.overheadAllowanceByteCount + t.reservedByteCount + held
            guard fixed + byteCount <= maximumByteCount else { return false }
            t.reservedByteCount += byteCount
            return true
        }
    }

    /// Returns room taken by ``reserve(_:maximumByteCount:)``.
    public func release(_ byteCount: Int64) {
        totals.withLock { $0.reservedByteCount -= byteCount }
    }

    /// Replaces the overhead estimate with a measurement (bytes).
    public func setMeasuredOverhead(_ byteCount: Int64) {
        totals.withLock { t in
            t.measuredOverheadByteCount = byteCount
            t.overheadAllowanceByteCount = 0
        }
    }

    // MARK: Eviction

    /// Every entry as the eviction policy sees it (one shard locked at a time).
    public func candidates() -> [EvictionPolicy.Candidate] {
        var candidates: [EvictionPolicy.Candidate] = []
        candidates.reserveCapacity(count)
        for shard in shards {
            shard.withLock { shard in
                for (digest, entry) in shard.entries {
                    candidates.append(EvictionPolicy.Candidate(digest: digest, byteCount: entry.byteCount,
                                                               lastAccessSeconds: entry.lastAccessSeconds, retention: entry.retention))
                }
            }
        }
        return candidates
    }

    /// Removes the entries of `victims` not read since `planned` (their last access when the
    /// plan was made), marks their open files as held, and returns what was removed.
    public func remove(_ victims: [Digest], planned: [Digest: Int64]) -> [(digest: Digest, entry: CacheEntry)] {
        var removed: [(digest: Digest, entry: CacheEntry)] = []
        for digest in victims {
            let taken = shard(digest).withLock { shard -> CacheEntry? in
                guard let entry = shard.entries[digest], entry.retention == .cached else { return nil }
                if let seen = planned[digest], entry.lastAccessSeconds > seen { return nil }
                shard.entries[digest] = nil
                account(replacing: entry, with: nil)
                return entry
            }
            guard let taken else { continue }
            taken.hold?.markEvicted()
            removed.append((digest, taken))
        }
        if !removed.isEmpty { changed() }
        return removed
    }

    // MARK: Persistence

    /// The entries to persist and their generation, or nil when nothing changed since the
    /// last ``markPersisted(_:)``. Copies one shard at a time (each copy under its own lock,
    /// so the hit path never pays for copying a table a snapshot still shares).
    func snapshotIfChanged() -> (entries: [Digest: CacheEntry], generation: UInt64)? {
        let current = generation.load(ordering: .acquiring)
        guard current != persistedGeneration.load(ordering: .acquiring) else { return nil }
        return (snapshot(), current)
    }

    /// Every entry (for statistics and shutdown), one shard locked at a time.
    public func snapshot() -> [Digest: CacheEntry] {
        var all: [Digest: CacheEntry] = [:]
        all.reserveCapacity(count)
        for shard in shards {
            shard.withLock { shard in
                for (digest, entry) in shard.entries { all[digest] = entry }
            }
        }
        return all
    }

    /// Marks the table as changed, so the next flush writes it (after a rebuild).
    func markChanged() {
        changed()
    }

    /// The snapshot of `generation` is on disk.
    func markPersisted(_ generation: UInt64) {
        var seen = persistedGeneration.load(ordering: .relaxed)
        while seen < generation {
            let (exchanged, original) = persistedGeneration.compareExchange(expected: seen, desired: generation, ordering: .acquiringAndReleasing)
            if exchanged { return }
            seen = original
        }
    }
}
