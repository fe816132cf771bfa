import Foundation
@testable import ProxyLoop

/// One running event loop on its own thread, for tests of code that reports to a loop;
/// `stop()` (also on deinit) ends and joins it.
final class TestEventLoop: @unchecked Sendable {
    // @unchecked: `thread` is written once in init and read once in stop (joined once).
    let loop: EventLoop
    private var thread: pthread_t?

    init() throws {
        loop = try EventLoop(index: 0)
        let loop = loop
        thread = LoopThread.spawn(name: "test-loop") { loop.run() }
    }

    /// Runs `body` on the loop and waits (at most 10 s) for its result.
    func run<Value: Sendable>(_ body: @escaping @Sendable (@escaping @Sendable (Value) -> Void) -> Void) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let once = Locked(false)
            loop.execute {
                body { value in
                    guard once.withLock({ done in defer { done = true }; return !done }) else { return }
                    continuation.resume(returning: value)
                }
            }
        }
    }

    func stop() {
        guard let thread else { return }
        self.thread = nil
        loop.stop()
        LoopThread.join(thread)
    }

    deinit { stop() }
}
