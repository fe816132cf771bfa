import CEpoll
import Logging
import Synchronization
import ProxyIO
import ProxyMetrics
import ProxyRegistry
import ProxySystem

/// Keeps the cache within its limits (``CacheLimits``): reserves room for fills, runs
/// eviction passes, and persists the index. Everything that touches the disk runs on the I/O
/// pool (or, with no pool, on the caller's thread: tools and tests, never a loop).
///
/// A pass (``runPass()``): measure the overhead (``CacheFootprint``), plan
/// (``EvictionPolicy``), take the victims out of the index (from then on they count as held
/// bytes while open), then for each victim, on its digest's pool lane (where its commits run,
/// so a removal and a new commit of the same digest never interleave): unlink the blob, then
/// its size record (in that order: a hit that opened the blob still finds the record or sees
/// the file unlinked), the manifest, the repository links, and drop the manifest's memory
/// entry and the open-file table's descriptor. A digest committed again meanwhile is left alone.
///
/// Thread-safe: atomics, and the index's own lock.
public final class CacheEviction: Sendable {
    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var evictedCount = 0
        public var evictedByteCount: Int64 = 0
        public var expiredCount = 0
        /// Usage (bytes) when the pass started and when it ended.
        public var usageBefore: Int64 = 0
        public var usageAfter: Int64 = 0
    }

    public let index: CacheIndex
    public let limits: CacheLimits
    let layout: CacheLayout
    private let policy: EvictionPolicy
    private let pool: IOPool?
    private let blobs: BlobStore
    private let links: RepositoryLinks
    private let forgetManifest: @Sendable (Digest) -> Void
    private let metrics: CacheMetrics?
    private let logger: Logger?
    private let passPending = Atomic<Bool>(false)
    /// Fills waiting for the next pass to start, then end (see ``reserveFill(_:whenRoomIsMade:)``).
    private let roomWaiters = Locked<[@Sendable () -> Void]>([])
    private let fillsWaitingForRoom = Atomic<Int>(0)
    /// Monotonic ns of the last index write.
    private let lastFlush = Atomic<Int64>(0)
    /// Shortest time between two periodic index writes (ns).
    let flushIntervalNanoseconds: Int64
    /// The pool lane passes and index writes run on (one after the other).
    package static let maintenanceKey = 0x6369_7374

    /// - Parameters:
    ///   - forgetManifest: drops a manifest from memory (``ManifestStore/forgetFromMemory(_:)``).
    ///   - flushInterval: shortest time between two periodic index writes.
    public init(index: CacheIndex, limits: CacheLimits, blobs: BlobStore, links: RepositoryLinks, pool: IOPool?,
                metrics: CacheMetrics? = nil, logger: Logger? = nil, flushInterval: Duration = .seconds(30),
                forgetManifest: @escaping @Sendable (Digest) -> Void = { _ in }) {
        self.index = index
        self.limits = limits
        policy = EvictionPolicy(limits: limits)
        layout = blobs.layout
        self.blobs = blobs
        self.links = links
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        self.forgetManifest = forgetManifest
        flushIntervalNanoseconds = MonotonicClock.nanoseconds(flushInterval)
        lastFlush.store(cep_monotonic_ns(), ordering: .relaxed)
        metrics?.setSource { [weak self, index, limits] in
            (index.usageByteCount, limits.maximumByteCount ?? 0, index.held.byteCount, index.contentEntryCount, self?.waitingFillCount ?? 0)
        }
    }

    // MARK: Fills

    /// Room for a fill, as ``reserveFill(_:whenRoomIsMade:)`` grants it.
    public enum FillRoom: Sendable, Equatable {
        /// Reserved (bytes; 0 without a size limit): write at once.
        case granted(Int64)
        /// Reserved (bytes), but the cache is over its limit until a pass frees files: write
        /// nothing before the callback runs.
        case afterPass(Int64)
        /// No room can be made: stream the blob uncached.
        case refused
    }

    /// Reserves room for a fill of `byteCount` bytes (any thread; in-memory only).
    ///
    /// With the reservation usage may go over the limit; then a pass is queued and the fill
    /// must hold its bytes (``FillRoom/afterPass(_:)``) until `whenRoomIsMade` runs (on the
    /// pool's thread, once the pass has unlinked its victims), so the disk never holds the
    /// new blob and the files it displaces at once.
    /// - Returns: the reservation, to hand back to ``release(_:)`` when the fill ends;
    ///   `.refused` (counted in `cistern_cache_bypassed_fills_total`) when even evicting
    ///   every cached entry would not make room.
    public func reserveFill(_ byteCount: Int64, whenRoomIsMade: @escaping @Sendable () -> Void) -> FillRoom {
        guard let maximum = limits.maximumByteCount else { return .granted(0) }
        let room = byteCount + CacheEntry.decimalDigitCount(byteCount)
        guard index.reserve(room, maximumByteCount: maximum) else {
            metrics?.fillBypassed()
            return .refused
        }
        guard index.usageByteCount > maximum, pool != nil else { return .granted(room) }
        roomWaiters.withLock { $0.append(whenRoomIsMade) }
        fillsWaitingForRoom.add(1, ordering: .relaxed)
        if !schedulePass() { wakeRoomWaiters(takeRoomWaiters()) }
        return .afterPass(room)
    }

    /// Fills holding their bytes until a pass makes room (the `cistern_cache_fills_waiting_for_room` gauge).
    public var waitingFillCount: Int { fillsWaitingForRoom.load(ordering: .relaxed) }

    private func takeRoomWaiters() -> [@Sendable () -> Void] {
        roomWaiters.withLock { waiters in defer { waiters = [] }; return waiters }
    }

    private func wakeRoomWaiters(_ waiters: [@Sendable () -> Void]) {
        guard !waiters.isEmpty else { return }
        fillsWaitingForRoom.subtract(waiters.count, ordering: .relaxed)
        for wake in waiters { wake() }
    }

    /// Gives back a reservation (the fill committed, and its entry now counts, or failed).
    public func release(_ reserved: Int64) {
        guard reserved > 0 else { return }
        index.release(reserved)
    }

    /// Queues a pass when usage is over the limit (in-memory check; any thread).
    public func checkLimit() {
        guard let maximum = limits.maximumByteCount, index.usageByteCount > maximum else { return }
        schedulePass()
    }

    // MARK: Passes

    /// Queues a pass on the pool unless one is queued already. Any thread.
    /// - Returns: false when no pass is queued (no pool, or the pool refused the job).
    @discardableResult
    public func schedulePass() -> Bool {
        guard let pool else { return false }
        guard !passPending.exchange(true, ordering: .acquiringAndReleasing) else { return true }
        let accepted = pool.submit(key: Self.maintenanceKey) { [self] in
            passPending.store(false, ordering: .releasing)
            runPass()
        }
        if !accepted { passPending.store(false, ordering: .releasing) }
        return accepted
    }

    /// The periodic work: a pass when usage is over the size limit or `checkAge` (an age
    /// limit is set and its check is due), and an index write when one is due. Queued on the
    /// pool (the maintenance lane). Any thread.
    public func scheduleMaintenance(checkAge: Bool = true) {
        guard let pool else { return maintain(checkAge: checkAge) }
        pool.submit(key: Self.maintenanceKey) { [self] in maintain(checkAge: checkAge) }
    }

    /// Runs the periodic work now, on this thread (the pool's, or a tool's). A pass lists
    /// every entry under the index's lock, so without a reason (over the size limit, or an
    /// age check due) none runs.
    public func maintain(checkAge: Bool = true) {
        let overSize = limits.maximumByteCount.map { index.usageByteCount > $0 } ?? false
        if overSize || (checkAge && limits.maximumAgeNanoseconds != nil) {
            runPass()
        } else if limits.maximumByteCount != nil {
            index.setMeasuredOverhead(CacheFootprint.overheadByteCount(layout))
            checkLimit()
        }
        if cep_monotonic_ns() - lastFlush.load(ordering: .relaxed) >= flushIntervalNanoseconds { flush(clean: false) }
    }

    /// One pass, on this thread (see the type's documentation).
    @discardableResult
    public func runPass() -> Report {
        var report = Report()
        // Fills that reserved before this point are in the usage this pass plans from; they
        // may write once its victims are unlinked. Later ones wait for the next pass.
        let waiters = takeRoomWaiters()
        // Quarantined files (damaged content kept for inspection) are the first to go.
        QuarantineSweep.sweep(layout, limits: limits, usage: index.usageByteCount, nowSeconds: index.nowSeconds, logger: logger)
        if limits.maximumByteCount != nil { index.setMeasuredOverhead(CacheFootprint.overheadByteCount(layout)) }
        report.usageBefore = index.usageByteCount
        let candidates = index.candidates()
        let plan = policy.plan(candidates, usage: report.usageBefore, nowSeconds: index.nowSeconds)
        guard !plan.victims.isEmpty else {
            report.usageAfter = report.usageBefore
            wakeRoomWaiters(waiters)
            return report
        }
        let victims = Set(plan.victims)
        var planned: [Digest: Int64] = [:]
        for candidate in candidates where victims.contains(candidate.digest) { planned[candidate.digest] = candidate.lastAccessSeconds }
        let removed = index.remove(plan.victims, planned: planned)
        // The waiters run when the last victim's files are gone (their removals run on the
        // digests' lanes); the extra count is this loop's own, dropped after it.
        let removals = CountdownLatch(count: removed.count + 1) { [self] in wakeRoomWaiters(waiters) }
        for (digest, entry) in removed {
            report.evictedCount += 1
            report.evictedByteCount += entry.byteCount
            let job: @Sendable () -> Void = { [self] in
                removeFiles(digest, entry: entry)
                removals.countDown()
            }
            if let pool, pool.submit(key: digest.hashValue, job) { continue }
            job()
        }
        removals.countDown()
        report.expiredCount = min(plan.expiredCount, report.evictedCount)
        report.usageAfter = index.usageByteCount
        metrics?.evicted(count: report.evictedCount, byteCount: report.evictedByteCount)
        logger?.info("cache eviction", metadata: [
            "evicted": "\(report.evictedCount)", "bytes": "\(report.evictedByteCount)", "expired": "\(report.expiredCount)",
            "usage_before": "\(report.usageBefore)", "usage_after": "\(report.usageAfter)",
            "limit": "\(limits.maximumByteCount.map(String.init) ?? "none")",
        ])
        return report
    }

    /// Removes the files of an evicted entry, unless the digest was committed again since.
    private func removeFiles(_ digest: Digest, entry: CacheEntry) {
        guard !index.containsContent(digest) else { return }
        if entry.blobByteCount != nil {
            _ = cep_unlink(layout.blobPath(digest))
            blobs.sizes.remove(digest)
            blobs.forgetOpenFile(digest)
        }
        if entry.manifestByteCount != nil { _ = cep_unlink(layout.manifestPath(digest)) }
        forgetManifest(digest)
        for link in entry.links {
            guard let repository = try? RepositoryName(parsing: link.repository) else { continue }
            links.forget(upstream: link.upstream, repository: repository, digest: digest)
        }
    }

    /// Walks the files and counts those the index lacks (after a start from a clean
    /// snapshot: content copied in by hand, or a snapshot older than its files), then
    /// applies the limits. On the pool's maintenance lane, so no pass runs meanwhile.
    /// - Returns: how many digests gained an entry or a file.
    @discardableResult
    public func adoptUnindexedFiles() -> Int {
        var adopted = 0
        for (digest, found) in CacheIndexRebuild.rebuild(layout) where index.adopt(digest, found: found) { adopted += 1 }
        if adopted > 0 {
            logger?.warning("cache files missing from the index were counted", metadata: [
                "digests": "\(adopted)", "usage": "\(index.usageByteCount)",
            ])
            checkLimit()
        }
        return adopted
    }

    /// Queues ``adoptUnindexedFiles()`` on the maintenance lane (server start-up).
    public func scheduleAdoption() {
        guard let pool else { return }
        pool.submit(key: Self.maintenanceKey) { [self] in adoptUnindexedFiles() }
    }

    // MARK: Index persistence

    /// Writes the index when it changed (or always when `clean`, with the clean-shutdown
    /// marker after it). On this thread: the pool's, or the shutdown's after the pool stopped.
    public func flush(clean: Bool) {
        lastFlush.store(cep_monotonic_ns(), ordering: .relaxed)
        if let (entries, generation) = index.snapshotIfChanged() {
            do throws(SystemError) {
                try CacheIndexFile.write(entries, layout: layout)
                index.markPersisted(generation)
            } catch {
                logger?.warning("cache index not written", metadata: ["error": "\(error)"])
                return
            }
        } else if clean, CacheIndexFile.load(layout) == nil {
            try? CacheIndexFile.write(index.snapshot(), layout: layout)
        }
        if clean { CacheIndexFile.setClean(true, layout: layout) }
    }
}
