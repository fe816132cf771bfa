/// Something registered with an `EventLoop` for readiness events on a file
/// descriptor: a listener, a client connection, an upstream connection.
///
/// Confinement: called only on the thread of the loop it is registered with.
public protocol EventHandler: AnyObject {
    /// The descriptor became ready; `events` holds `EPOLLIN`/`EPOLLOUT`/
    /// `EPOLLERR`/`EPOLLHUP`/`EPOLLRDHUP` bits as `EventLoop.Events`.
    func handleEvents(_ events: EventLoop.Events)
}

/// Something that wants to be called back at a deadline (timeouts).
///
/// The loop keeps only a weak reference, so a closed connection never lingers
/// until its deadline. Deadlines are lazy: `timerFired` re-checks the target's
/// real deadline and re-arms when activity moved it later, so activity never
/// touches the heap.
public protocol TimerTarget: AnyObject {
    /// Called on the loop thread at or after the armed deadline.
    /// - Parameter now: `MonotonicClock.now()` at the time of the call (ns).
    func timerFired(now: Int64)
}

/// A registration of a descriptor with a loop: a slot in the loop's handler
/// table plus a generation, both packed into `epoll_data` so that events for a
/// descriptor that was closed (and whose number was reused) in the same loop
/// turn are recognised as stale and dropped.
public struct Registration: Equatable, Sendable {
    let slot: UInt32
    let generation: UInt32

    var packed: UInt64 { UInt64(generation) << 32 | UInt64(slot) }

    init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    init(packed: UInt64) {
        slot = UInt32(truncatingIfNeeded: packed)
        generation = UInt32(truncatingIfNeeded: packed >> 32)
    }
}
