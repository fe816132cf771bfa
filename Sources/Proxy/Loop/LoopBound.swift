/// A loop-confined value carried through a `@Sendable` closure back to its
/// own loop (e.g. a connection captured by a DNS or cross-loop completion).
///
/// `@unchecked Sendable`: `value` may only be read on `loop`'s thread, which
/// `value` checks with a precondition; the wrapper itself is just moved.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let storage: Value

    public init(_ value: Value, loop: EventLoop) {
        loop.assertOnLoop()
        self.storage = value
        self.loop = loop
    }

    /// The value; only on `loop`'s thread.
    public var value: Value {
        loop.assertOnLoop()
        return storage
    }
}
