import CEpoll
import ProxyRegistry
import ProxySystem

extension CacheIndex {
    /// How the index was obtained at start-up.
    public enum Origin: String, Sendable {
        /// The snapshot of a clean shutdown.
        case loaded
        /// A snapshot without a clean shutdown after it, reconciled with the files.
        case reconciled
        /// No usable snapshot (missing or damaged): built from the files.
        case rebuilt
    }

    /// Opens the index of the cache at `layout` (start-up, before any loop; tools): the
    /// snapshot when the last process shut down cleanly, else a walk of the files keeping
    /// the snapshot's access times. Then removes the clean-shutdown marker when `claim` (the
    /// caller will change the cache; a crash from here on must not pass for clean).
    /// Blocks on the disk.
    public static func open(_ layout: CacheLayout, clock: any WallClock = SystemWallClock(),
                            claim: Bool = true) -> (index: CacheIndex, origin: Origin) {
        let loaded = CacheIndexFile.load(layout)
        let index: CacheIndex
        let origin: Origin
        if let loaded, loaded.clean {
            index = CacheIndex(clock: clock, shards: loaded.shards)
            origin = .loaded
        } else {
            index = CacheIndex(clock: clock, entries: CacheIndexRebuild.rebuild(layout, known: loaded?.entries ?? [:]))
            origin = loaded == nil ? .rebuilt : .reconciled
        }
        if claim { CacheIndexFile.setClean(false, layout: layout) }
        if origin != .loaded { index.markChanged() }
        index.setMeasuredOverhead(CacheFootprint.overheadByteCount(layout))
        return (index, origin)
    }
}
