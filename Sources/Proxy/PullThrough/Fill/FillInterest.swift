import ProxyLoop
import Synchronization

/// One loop's interest in one fill, with the flag that coalesces wake-ups: a loop that
/// has not yet handled the previous notification gets no second one.
///
/// `@unchecked Sendable`: `observers` is only used inside the task run on its own loop;
/// the rest is immutable or atomic.
final class FillInterest: @unchecked Sendable {
    let observers: FillObservers
    private let loop: EventLoop
    private let pending = Atomic<Bool>(false)

    init(observers: FillObservers) {
        self.observers = observers
        loop = observers.loop
    }

    /// Queues one `fillChanged` on the loop unless one is already queued (any thread). On
    /// the fill's own loop (where its upstream connection usually lives) `execute` queues it
    /// for the next turn without an eventfd round.
    func notify(_ fill: Fill) {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.execute { [self] in
            // Clear before reading the fill's state so no change is missed.
            pending.store(false, ordering: .releasing)
            observers.fillChanged(fill)
        }
    }
}
