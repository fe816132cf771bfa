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
/// syscall), then one dictionary lookup and a store under it. Nothing here touches the disk;
/// ``CacheIndexFile`` persists snapshots on the I/O pool.
///
/// Thread-safe: the table is behind a pthread lock, held for in-memory work only.
public final class CacheIndex: Sendable {
    struct State {
        var entries: [Digest: CacheEntry] = [:]
        /// Bytes of `.cached` entries.
        var cachedByteCount: Int64 = 0
        /// Bytes of `.primary` entries (not counted against the limit).
        var primaryByteCount: Int64 = 0
        var reservedByteCount: Int64 = 0
        /// Entries with a blob or a manifest (not links alone): what `cache stats` counts.
        var contentEntryCount = 0
        /// Overhead as last measured.
        var measuredOverheadByteCount: Int64 = 0
        /// Directories commits may have created since the measurement (an upper bound).
        var overheadAllowanceByteCount: Int64 = 0
        /// Bumped by every change worth persisting.
        var generation: UInt64 = 0
        var persistedGeneration: UInt64 = 0
    }

    /// Directory bytes a commit may add before the next measurement (a new `<2 hex>`
    /// directory under `blobs/` and one under `sizes/`, 4 KiB each on common file systems).
    static let overheadAllowancePerCommit: Int64 = 8192

    let clock: any WallClock
    /// Bytes of evicted files still open for reading.
    public let held = HeldByteCount()
    private let state: Locked<State>

    /// - Parameter entries: a loaded or rebuilt table (``CacheIndexFile``, ``CacheIndexRebuild``).
    public init(clock: any WallClock = SystemWallClock(), entries: [Digest: CacheEntry] = [:]) {
        self.clock = clock
        var initial = State()
        for (_, entry) in entries { Self.add(entry, to: &initial) }
        initial.entries = entries
        state = Locked(initial)
    }

    var nowSeconds: Int64 { clock.nanosecondsSinceEpoch() / 1_000_000_000 }

    private static func add(_ entry: CacheEntry, to state: inout State) {
        if entry.hasContent { state.contentEntryCount += 1 }
        if entry.retention == .cached { state.cachedByteCount += entry.byteCount } else { state.primaryByteCount += entry.byteCount }
    }

    private static func subtract(_ entry: CacheEntry, from state: inout State) {
        if entry.hasContent { state.contentEntryCount -= 1 }
        if entry.retention == .cached { state.cachedByteCount -= entry.byteCount } else { state.primaryByteCount -= entry.byteCount }
    }

    /// Changes the entry of `digest` (creating it), keeping the totals right.
    private func update(_ digest: Digest, now: Int64, _ change: (inout CacheEntry) -> Void) {
        state.withLock { state in
            var entry = state.entries[digest] ?? CacheEntry(lastAccessSeconds: now)
            Self.subtract(entry, from: &state)
            change(&entry)
            Self.add(entry, to: &state)
            state.entries[digest] = entry
            state.generation &+= 1
        }
    }

    // MARK: Hit path

    /// Records a read of `digest` now. Any thread; no syscall, no allocation.
    public func touch(_ digest: Digest) {
        let now = nowSeconds
        state.withLock { state in
            guard let index = state.entries.index(forKey: digest), state.entries.values[index].lastAccessSeconds != now else { return }
            state.entries.values[index].lastAccessSeconds = now
            state.generation &+= 1
        }
    }

    /// The hold shared by the descriptors open on the committed blob `digest` (created on
    /// first use); nil when the index does not know the blob.
    func hold(for digest: Digest) -> FileHold? {
        state.withLock { state -> FileHold? in
            guard let index = state.entries.index(forKey: digest), state.entries.values[index].blobByteCount != nil else { return nil }
            if let hold = state.entries.values[index].hold { return hold }
            let hold = FileHold(byteCount: state.entries.values[index].byteCount, held: held)
            state.entries.values[index].hold = hold
            return hold
        }
    }

    /// A new hold for a fill's temporary file (its size is set when it is committed).
    func newHold() -> FileHold {
        FileHold(byteCount: 0, held: held)
    }

    // MARK: Commits and links

    /// The blob `digest` of `byteCount` bytes was committed; `hold` is its writer's (the fill's).
    public func recordBlob(_ digest: Digest, byteCount: Int64, hold: FileHold? = nil) {
        let now = nowSeconds
        update(digest, now: now) { entry in
            entry.blobByteCount = byteCount
            entry.lastAccessSeconds = now
            if let hold {
                hold.byteCount = entry.byteCount
                entry.hold = hold
            }
        }
        state.withLock { $0.overheadAllowanceByteCount += Self.overheadAllowancePerCommit }
    }

    /// The manifest `digest` was committed in a file of `byteCount` bytes.
    public func recordManifest(_ digest: Digest, byteCount: Int64) {
        let now = nowSeconds
        update(digest, now: now) { entry in
            entry.manifestByteCount = byteCount
            entry.lastAccessSeconds = now
        }
        state.withLock { $0.overheadAllowanceByteCount += Self.overheadAllowancePerCommit / 2 }
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
        state.withLock { state in
            var entry = state.entries[digest] ?? CacheEntry(lastAccessSeconds: found.lastAccessSeconds)
            var changed = state.entries[digest] == nil && (found.blobByteCount != nil || found.manifestByteCount != nil)
            Self.subtract(entry, from: &state)
            if entry.blobByteCount == nil, let blob = found.blobByteCount { entry.blobByteCount = blob; changed = true }
            if entry.manifestByteCount == nil, let manifest = found.manifestByteCount { entry.manifestByteCount = manifest; changed = true }
            for link in found.links where !entry.links.contains(link) { entry.links.append(link); changed = true }
            Self.add(entry, to: &state)
            guard changed else { return false }
            state.entries[digest] = entry
            state.generation &+= 1
            return true
        }
    }

    /// Whether a blob or manifest of `digest` is recorded.
    public func containsContent(_ digest: Digest) -> Bool {
        state.withLock { state in
            guard let entry = state.entries[digest] else { return false }
            return entry.blobByteCount != nil || entry.manifestByteCount != nil
        }
    }

    /// The entry of `digest`, if any.
    public func entry(_ digest: Digest) -> CacheEntry? {
        state.withLock { $0.entries[digest] }
    }

    // MARK: Space

    /// Bytes counted against the limit now (see the type's documentation).
    public var usageByteCount: Int64 {
        let counted = state.withLock { s in s.cachedByteCount + s.measuredOverheadByteCount + s.overheadAllowanceByteCount + s.reservedByteCount }
        return counted + held.byteCount
    }

    /// Bytes of `.cached` entries (files only).
    public var cachedByteCount: Int64 { state.withLock { $0.cachedByteCount } }

    /// Number of entries (links alone included).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Number of digests with a blob or manifest stored (`cistern_cache_entries`, `cache stats`).
    public var contentEntryCount: Int { state.withLock { $0.contentEntryCount } }

    /// Reserves room for a fill of `byteCount` bytes under `maximumByteCount`.
    /// - Returns: false when even evicting every cached entry would not make room (the
    ///   rest is overhead, reservations and files being read): the fill goes uncached.
    ///   True reserves the bytes; the caller starts an eviction pass when usage is over.
    public func reserve(_ byteCount: Int64, maximumByteCount: Int64) -> Bool {
        let held = held.byteCount
        return state.withLock { s in
            let fixed = s.measuredOverheadByteCount + s.overheadAllowanceByteCount + s.reservedByteCount + held
            guard fixed + byteCount <= maximumByteCount else { return false }
            s.reservedByteCount += byteCount
            return true
        }
    }

    /// Returns room taken by ``reserve(_:maximumByteCount:)``.
    public func release(_ byteCount: Int64) {
        state.withLock { $0.reservedByteCount -= byteCount }
    }

    /// Replaces the overhead estimate with a measurement (bytes).
    public func setMeasuredOverhead(_ byteCount: Int64) {
        state.withLock { state in
            state.measuredOverheadByteCount = byteCount
            state.overheadAllowanceByteCount = 0
        }
    }

    // MARK: Eviction

    /// Every entry as the eviction policy sees it.
    public func candidates() -> [EvictionPolicy.Candidate] {
        state.withLock { state in
            state.entries.map { EvictionPolicy.Candidate(digest: $0.key, byteCount: $0.value.byteCount,
                                                         lastAccessSeconds: $0.value.lastAccessSeconds, retention: $0.value.retention) }
        }
    }

    /// Removes the entries of `victims` not read since `planned` (their last access when the
    /// plan was made), marks their open files as held, and returns what was removed.
    public func remove(_ victims: [Digest], planned: [Digest: Int64]) -> [(digest: Digest, entry: CacheEntry)] {
        state.withLock { state in
            var removed: [(digest: Digest, entry: CacheEntry)] = []
            for digest in victims {
                guard let entry = state.entries[digest], entry.retention == .cached else { continue }
                if let seen = planned[digest], entry.lastAccessSeconds > seen { continue }
                state.entries[digest] = nil
                Self.subtract(entry, from: &state)
                entry.hold?.markEvicted()
                removed.append((digest, entry))
            }
            if !removed.isEmpty { state.generation &+= 1 }
            return removed
        }
    }

    // MARK: Persistence

    /// The entries to persist and their generation, or nil when nothing changed since the
    /// last ``markPersisted(_:)``.
    func snapshotIfChanged() -> (entries: [Digest: CacheEntry], generation: UInt64)? {
        state.withLock { state in
            state.generation == state.persistedGeneration ? nil : (state.entries, state.generation)
        }
    }

    /// Every entry (for statistics and shutdown).
    public func snapshot() -> [Digest: CacheEntry] {
        state.withLock { $0.entries }
    }

    /// Marks the table as changed, so the next flush writes it (after a rebuild).
    func markChanged() {
        state.withLock { $0.generation &+= 1 }
    }

    /// The snapshot of `generation` is on disk.
    func markPersisted(_ generation: UInt64) {
        state.withLock { state in state.persistedGeneration = max(state.persistedGeneration, generation) }
    }
}
