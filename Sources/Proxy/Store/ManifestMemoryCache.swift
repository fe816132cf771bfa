import ProxyRegistry
import ProxySystem

/// Committed manifests kept in memory, bounded by their total size: the
/// least recently used are dropped first. Holds manifests committed on disk and
/// manifests whose commit is under way in the background (a failed commit
/// removes its manifest), so dropping one costs a file read, never a fetch.
///
/// Thread-safe: behind a pthread lock; a hit is one dictionary lookup and a
/// counter update under it.
final class ManifestMemoryCache: Sendable {
    private struct Entry {
        var manifest: StoredManifest
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Digest: Entry] = [:]
        var byteCount = 0
        var clock: UInt64 = 0
    }

    let capacityByteCount: Int
    private let state = Locked(State())

    init(capacityByteCount: Int) {
        self.capacityByteCount = capacityByteCount
    }

    func get(_ digest: Digest) -> StoredManifest? {
        state.withLock { state in
            // One hash lookup, and the use is recorded in place (no copy of
            // the entry written back).
            guard let index = state.entries.index(forKey: digest) else { return nil }
            state.clock &+= 1
            state.entries.values[index].lastUse = state.clock
            return state.entries.values[index].manifest
        }
    }

    func put(_ manifest: StoredManifest) {
        let size = Self.cost(of: manifest)
        guard size <= capacityByteCount / 4 else { return }
        // Evicted manifests are freed after the lock is released (freeing megabytes may
        // munmap).
        let evicted = state.withLock { state -> [StoredManifest] in
            state.clock &+= 1
            var evicted: [StoredManifest] = []
            if let old = state.entries.updateValue(Entry(manifest: manifest, lastUse: state.clock), forKey: manifest.digest) {
                state.byteCount -= Self.cost(of: old.manifest)
                evicted.append(old.manifest)
            }
            state.byteCount += size
            if state.byteCount > capacityByteCount {
                // Evict the older half by last use: amortised O(1) per put.
                let sorted = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }
                for (digest, entry) in sorted.prefix(sorted.count / 2) {
                    state.entries[digest] = nil
                    state.byteCount -= Self.cost(of: entry.manifest)
                    evicted.append(entry.manifest)
                }
            }
            return evicted
        }
        _ = evicted
    }

    /// Forgets `digest` (its commit failed).
    func remove(_ digest: Digest) {
        let removed = state.withLock { state -> Entry? in
            guard let old = state.entries.removeValue(forKey: digest) else { return nil }
            state.byteCount -= Self.cost(of: old.manifest)
            return old
        }
        _ = removed  // Freed here, after the lock.
    }

    /// Bytes a manifest counts against the capacity: its bytes and its media type.
    private static func cost(of manifest: StoredManifest) -> Int {
        manifest.bytes.count + manifest.mediaType.utf8.count
    }
}
