import Foundation
import ProxyLoop
import ProxySystem

/// Runs `body` on `loop` (in its own turn) and blocks the calling thread until it returns,
/// at most 10 s; nil when it did not. For tests that inspect loop-confined state from outside.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) -> T? {
    let result = Locked<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    loop.execute {
        let value = body()
        result.withLock { $0 = value }
        done.signal()
    }
    guard done.wait(timeout: .now() + 10) == .success else { return nil }
    return result.withLock { $0 }
}

/// Runs a new loop on its own thread for the duration of `body`, then stops and joins it.
func withRunningLoop(_ body: (EventLoop) throws -> Void) throws {
    let loop = try EventLoop(index: 0)
    let thread = LoopThread.spawn(name: "test-loop") { loop.run() }
    defer {
        loop.stop()
        LoopThread.join(thread)
    }
    try body(loop)
}
