import Synchronization

/// Whether `/readyz` answers 200: false while the server starts and once it drains
/// (``DrainStateMachine``), true in between.
///
/// Any thread: one atomic flag. Loops read it per `/readyz` request; the thread that
/// starts the server and handles signals writes it.
final class Readiness: Sendable {
    private let ready = Atomic<Bool>(false)

    init() {}

    var isReady: Bool { ready.load(ordering: .acquiring) }

    func set(_ isReady: Bool) { ready.store(isReady, ordering: .releasing) }
}
