import Synchronization

/// Runs an action once, on the thread that brings its count to zero: "when all of these
/// jobs, spread over several threads, are done".
///
/// Thread-safe: one atomic counter; the action is run by exactly one `countDown()`.
public final class CountdownLatch: Sendable {
    private let remaining: Atomic<Int>
    private let action: @Sendable () -> Void

    /// - Parameters:
    ///   - count: how many `countDown()` calls run the action (at least 1).
    ///   - action: run once, by the last `countDown()`.
    public init(count: Int, action: @escaping @Sendable () -> Void) {
        precondition(count >= 1, "a latch needs a count of at least 1")
        remaining = Atomic(count)
        self.action = action
    }

    /// One of the jobs is done.
    public func countDown() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { action() }
    }
}
