import ProxyLoop

/// Something on a loop that waits for a fill to progress: a `Waiter`.
public protocol FillObserver: AnyObject {
    /// The fill's phase or written byte count changed (loop thread).
    func fillChanged(_ fill: Fill)
}

/// One loop's observers of fills: which local waiters to wake when a fill
/// publishes progress. One cross-loop wake-up per fill and loop reaches every
/// waiter of that loop.
///
/// Adding and removing an observer take constant time, whatever the number of waiters:
/// every waiter of a cold blob is removed and added again when its response starts, so a
/// list scanned (and copied) per removal made N waiters cost O(N²) — 10,000 waiters on
/// one fill spent seconds there before the last one got its first byte.
///
/// Confinement: loop-confined (owned by a `LoopContext`), but for `init`.
final class FillObservers {
    /// The loop whose observers these are.
    let loop: EventLoop

    private struct WeakObserver {
        weak var observer: FillObserver?
    }

    /// One fill's observers on this loop, keyed by the observer's identity. A class, so a
    /// notification's snapshot of `members` and a removal during it share storage until the
    /// first removal (one copy per notification, not one per removal).
    private final class Entry {
        let fill: Fill
        var members: [ObjectIdentifier: WeakObserver] = [:]

        init(fill: Fill) {
            self.fill = fill
        }
    }

    private var entries: [ObjectIdentifier: Entry] = [:]

    /// Number of fills with observers on this loop.
    var fillCount: Int { entries.count }

    /// Number of observers of `fill` on this loop (observers already freed included until
    /// the fill's next change).
    func observerCount(of fill: Fill) -> Int {
        entries[ObjectIdentifier(fill)]?.members.count ?? 0
    }

    init(loop: EventLoop) {
        self.loop = loop
    }

    func add(_ observer: FillObserver, to fill: Fill) {
        let id = ObjectIdentifier(fill)
        let entry: Entry
        if let existing = entries[id] {
            entry = existing
        } else {
            entry = Entry(fill: fill)
            entries[id] = entry
            fill.addInterest(self)
        }
        entry.members[ObjectIdentifier(observer)] = WeakObserver(observer: observer)
    }

    func remove(_ observer: FillObserver, from fill: Fill) {
        removeFreed(ObjectIdentifier(observer), from: fill)
    }

    /// Forgets an observer by identity; an observer being freed calls it from its `deinit`,
    /// while its address is still its own. Removal only drops that one key, so without this an
    /// entry whose other observers were all freed without leaving would stay, holding its fill
    /// (the descriptor, or the memory window), until a change a finished fill never publishes.
    func removeFreed(_ observer: ObjectIdentifier, from fill: Fill) {
        let id = ObjectIdentifier(fill)
        guard let entry = entries[id] else { return }
        entry.members[observer] = nil
        if entry.members.isEmpty { entries[id] = nil }
    }

    func fillChanged(_ fill: Fill) {
        let id = ObjectIdentifier(fill)
        guard let entry = entries[id] else { return }
        var gone: [ObjectIdentifier] = []
        for (key, weak) in entry.members {
            if let observer = weak.observer {
                observer.fillChanged(fill)
            } else {
                gone.append(key)
            }
        }
        // Drop observers that were freed without unsubscribing.
        guard !gone.isEmpty, let current = entries[id] else { return }
        for key in gone where current.members[key]?.observer == nil {
            current.members[key] = nil
        }
        if current.members.isEmpty { entries[id] = nil }
    }
}
