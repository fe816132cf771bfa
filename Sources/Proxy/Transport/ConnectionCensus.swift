import Synchronization

/// How many client connections are open in the whole process, across every loop: what the
/// drain waits to see fall to zero (``ConnectionContext/beginDraining()`` closes the idle
/// ones; the rest close after their response).
///
/// Any thread: one atomic counter, relaxed (a count read for a decision polled again later).
package final class ConnectionCensus: Sendable {
    private let open = Atomic<Int>(0)

    package init() {}

    /// Client connections open now.
    package var openCount: Int { open.load(ordering: .relaxed) }

    func opened() { open.add(1, ordering: .relaxed) }

    func closed() { open.subtract(1, ordering: .relaxed) }
}
