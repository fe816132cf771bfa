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
/// Confinement: loop-confined (owned by a `LoopContext`), but for `init`.
final class FillObservers {
    /// The loop whose observers these are.
    let loop: EventLoop

    private struct WeakObserver {
        weak var observer: FillObserver?
    }

    private var observers: [ObjectIdentifier: (fill: Fill, list: [WeakObserver])] = [:]

    /// Number of fills with observers on this loop.
    var fillCount: Int { observers.count }

    init(loop: EventLoop) {
        self.loop = loop
    }

    func add(_ observer: FillObserver, to fill: Fill) {
        let id = ObjectIdentifier(fill)
        if observers[id] == nil {
            observers[id] = (fill, [])
            fill.addInterest(self)
        }
        observers[id]!.list.append(WeakObserver(observer: observer))
    }

    func remove(_ observer: FillObserver, from fill: Fill) {
        let id = ObjectIdentifier(fill)
        guard var entry = observers[id] else { return }
        entry.list.removeAll { $0.observer == nil || $0.observer === observer }
        observers[id] = entry.list.isEmpty ? nil : entry
    }

    func fillChanged(_ fill: Fill) {
        let id = ObjectIdentifier(fill)
        guard let entry = observers[id] else { return }
        for weak in entry.list {
            weak.observer?.fillChanged(fill)
        }
        // Drop observers that went away or unsubscribed during the calls.
        if var current = observers[id] {
            current.list.removeAll { $0.observer == nil }
            observers[id] = current.list.isEmpty ? nil : current
        }
    }
}
