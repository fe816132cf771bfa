import CEpoll
import Glibc
import ProxySystem
import Synchronization

/// One single-threaded epoll event loop. Cistern runs one per CPU it may use; every
/// connection (client or upstream) lives on exactly one loop for its life.
///
/// Confinement: all mutable state except `inbox`, `wakePending`, `stopRequested` and
/// `ownerThread` (locked or atomic) is
/// touched only on the loop's own thread (`run()`): the handler table, the
/// timer heap and the deferred and next-turn task lists. Other threads talk to a loop only
/// through `execute(_:)` (a locked queue plus an eventfd wake-up) and `stop()`.
///
/// `@unchecked Sendable`: follows from the confinement above; loop-thread-only
/// entry points check it with `assertOnLoop()` in debug builds.
public final class EventLoop: @unchecked Sendable {
    /// Readiness bits of one epoll event.
    public struct Events: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: CEP_EPOLLIN)
        public static let writable = Events(rawValue: CEP_EPOLLOUT)
        public static let error = Events(rawValue: CEP_EPOLLERR)
        public static let hangup = Events(rawValue: CEP_EPOLLHUP)
        public static let readHangup = Events(rawValue: CEP_EPOLLRDHUP)
        /// `EPOLLEXCLUSIVE`: of the loops watching one shared descriptor, a readiness change
        /// wakes one (or a few), not all. Only at `register`; such a registration cannot be
        /// modified (`EPOLL_CTL_MOD` fails with EINVAL), only deregistered.
        public static let exclusive = Events(rawValue: CEP_EPOLLEXCLUSIVE)
    }

    /// Index of this loop (0 ..< workers), for logs and metrics.
    public let index: Int

    private let epollFD: Int32
    private let wakeFD: Int32
    private let wakeRegistration = Registration(slot: UInt32.max, generation: 0)

    // Loop-confined.
    private var handlers: [EventHandler?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [UInt32] = []
    private var timers = TimerHeap()
    private var deferred: [() -> Void] = []
    private var nextTurnTasks: [() -> Void] = []
    private var runningNextTurnTasks: [() -> Void] = []
    private var expiredScratch: [any TimerTarget] = []

    // Shared with other threads.
    /// The thread in `run()` (a `pthread_t`), 0 before it starts and after it returns: a
    /// thread id is reused once its thread ends, so a stale one would let another thread pass
    /// `inLoop`. Atomic because `inLoop` is asked from any thread.
    private let ownerThread = Atomic<UInt>(0)
    private let inbox = Locked<[@Sendable () -> Void]>([])
    private let wakePending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    /// Creates the loop's epoll instance and wake-up eventfd.
    /// - Throws: `SystemError` when the kernel refuses either.
    public init(index: Int) throws(SystemError) {
        self.index = index
        epollFD = try SystemError.check(cep_epoll_create(), "epoll_create1")
        wakeFD = try SystemError.check(cep_eventfd_create(), "eventfd")
        _ = try SystemError.check(cep_epoll_ctl(epollFD, 0, wakeFD, CEP_EPOLLIN, wakeRegistration.packed), "epoll_ctl")
    }

    deinit {
        _ = cep_close(wakeFD)
        _ = cep_close(epollFD)
    }

    // MARK: Confinement

    /// Whether the caller runs on this loop's thread.
    public var inLoop: Bool {
        let owner = ownerThread.load(ordering: .acquiring)
        return owner != 0 && pthread_equal(owner, pthread_self()) != 0
    }

    /// Debug-build check that the caller is on this loop's thread (or that the
    /// loop has not started yet, while it is being set up).
    @inline(__always)
    public func assertOnLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(ownerThread.load(ordering: .relaxed) == 0 || inLoop, "loop-confined state touched off loop \(index)", file: file, line: line)
    }

    // MARK: Registration (loop thread)

    /// Registers `fd` for `events` with `handler`.
    public func register(fd: Int32, events: Events, handler: EventHandler) throws(SystemError) -> Registration {
        assertOnLoop()
        let slot: UInt32
        if let free = freeSlots.popLast() {
            slot = free
            handlers[Int(slot)] = handler
        } else {
            slot = UInt32(handlers.count)
            handlers.append(handler)
            generations.append(0)
        }
        let registration = Registration(slot: slot, generation: generations[Int(slot)])
        let rc = cep_epoll_ctl(epollFD, 0, fd, events.rawValue, registration.packed)
        if rc < 0 {
            release(slot: slot)
            throw SystemError(code: -rc, operation: "epoll_ctl add")
        }
        return registration
    }

    /// Changes the events `fd` is watched for.
    public func modify(fd: Int32, registration: Registration, events: Events) {
        assertOnLoop()
        _ = cep_epoll_ctl(epollFD, 1, fd, events.rawValue, registration.packed)
    }

    /// Stops watching `fd`; pending events for this registration are dropped.
    /// Call before closing the descriptor.
    public func deregister(fd: Int32, registration: Registration) {
        assertOnLoop()
        _ = cep_epoll_ctl(epollFD, 2, fd, 0, 0)
        if Int(registration.slot) < generations.count, generations[Int(registration.slot)] == registration.generation {
            release(slot: registration.slot)
        }
    }

    private func release(slot: UInt32) {
        handlers[Int(slot)] = nil
        generations[Int(slot)] &+= 1
        freeSlots.append(slot)
    }

    // MARK: Tasks and timers

    /// Runs `task` on this loop's thread in a later turn, never within the call. Callable
    /// from any thread; from another thread one eventfd write wakes the loop however many
    /// tasks were queued meanwhile. From the loop's own thread (a fill's progress to the
    /// waiters on the fill's own loop, a cached resolver answer) the task runs at the start
    /// of the next turn, before that turn's events, without the eventfd write and read: that
    /// is where a post from another thread runs too, with the next turn's fresh budgets. (The
    /// end of this turn would not do: by then the writable connections may have spent the
    /// turn's body budget, and every woken waiter would register for `EPOLLOUT` instead of
    /// sending; S6 measured followers slower that way.)
    ///
    /// The inbox has no fixed limit because it is bounded by construction: every
    /// cross-loop post stands for something that is itself bounded, and none
    /// re-posts itself. A fill's progress posts at most one pending wake-up per
    /// (fill, loop) (`FillInterest` coalesces them); a flight answer, a resolver
    /// answer or an upstream HEAD answer is one post per waiting connection
    /// (bounded by the descriptors); an I/O pool result is one post per accepted
    /// job (bounded by the pool's lanes); prefetch posts one per free slot; the
    /// rest are shutdown. Dropping a post instead would strand a waiter, so a
    /// bound here would have to be a refusal at those sources, which they have.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        if inLoop {
            nextTurnTasks.append(task)
            return
        }
        inbox.withLock { $0.append(task) }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            _ = cep_eventfd_signal(wakeFD)
        }
    }

    /// Whether a post from `execute(_:)` is waiting for the loop to drain it (its eventfd
    /// was signalled). Any thread; for tests of which path a task took.
    var wakeUpPending: Bool { wakePending.load(ordering: .acquiring) }

    /// Runs `task` at the end of the current loop turn (loop thread only):
    /// used to batch work and to defer frees past the current event.
    public func deferToEndOfTurn(_ task: @escaping () -> Void) {
        assertOnLoop()
        deferred.append(task)
    }

    /// Arms a timer: `target.timerFired` runs at or after `deadline`
    /// (monotonic ns). Loop thread only.
    public func arm(_ target: any TimerTarget, at deadline: Int64) {
        assertOnLoop()
        timers.insert(deadline: deadline, target: target)
    }

    /// Turns of `run()` so far: a loop-wide budget that restarts each turn (the body bytes
    /// of ``ConnectionContext``) compares it with the turn it last counted in. Loop thread only.
    public private(set) var turn: UInt64 = 0

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        ownerThread.store(pthread_self(), ordering: .releasing)
        var eventBits = [UInt32](repeating: 0, count: 256)
        var eventData = [UInt64](repeating: 0, count: 256)
        while !stopRequested.load(ordering: .acquiring) {
            let timeout = nextTimeoutMilliseconds()
            turn &+= 1
            let count = eventBits.withUnsafeMutableBufferPointer { bits in
                eventData.withUnsafeMutableBufferPointer { data in
                    cep_epoll_wait(epollFD, bits.baseAddress, data.baseAddress, 256, timeout)
                }
            }
            runNextTurnTasks()
            if count > 0 {
                // Two passes, each from a rotating index. First everything but plain
                // writability (new requests, upstream bytes, accepts, errors), then the
                // connections that only wait to write more body: a small request that arrives
                // with streaming clients is answered before this turn's body bytes, not after
                // up to the loop's body budget of them (S5). The rotation: epoll re-queues a
                // level-triggered descriptor behind the others in the order it reported them,
                // so a batch comes back in the same order every turn, and when a per-turn budget
                // runs out part-way through (the connections' body budget), starting at index
                // 0 would serve the same first descriptors every turn and starve the rest.
                let n = Int(count)
                let start = Int(turn % UInt64(n))
                dispatchBatch(eventBits, eventData, count: n, from: start, writableOnly: false)
                dispatchBatch(eventBits, eventData, count: n, from: start, writableOnly: true)
            }
            fireTimers()
            runDeferred()
        }
        // What the last turn queued still runs: a fill's final change must reach its waiters
        // (and the task let go of the fill and the loop) even when it was published as the
        // loop was stopped.
        while !nextTurnTasks.isEmpty || !deferred.isEmpty {
            runNextTurnTasks()
            runDeferred()
        }
        ownerThread.store(0, ordering: .releasing)
    }

    /// Asks the loop to return from `run()` after its current turn. Any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        _ = cep_eventfd_signal(wakeFD)
    }

    /// Dispatches the batch's events that are (`writableOnly`) or are not only `EPOLLOUT`,
    /// in batch order from index `start`, wrapping round.
    private func dispatchBatch(_ bits: [UInt32], _ data: [UInt64], count: Int, from start: Int, writableOnly: Bool) {
        for i in start..<count where (bits[i] == CEP_EPOLLOUT) == writableOnly {
            dispatch(events: bits[i], data: data[i])
        }
        for i in 0..<start where (bits[i] == CEP_EPOLLOUT) == writableOnly {
            dispatch(events: bits[i], data: data[i])
        }
    }

    private func dispatch(events: UInt32, data: UInt64) {
        let registration = Registration(packed: data)
        if registration == wakeRegistration {
            drainInbox()
            return
        }
        let slot = Int(registration.slot)
        guard slot < handlers.count, generations[slot] == registration.generation, let handler = handlers[slot] else {
            return  // stale: the descriptor was deregistered earlier in this turn
        }
        handler.handleEvents(Events(rawValue: events))
    }

    private func drainInbox() {
        _ = cep_eventfd_drain(wakeFD)
        wakePending.store(false, ordering: .releasing)
        let tasks = inbox.withLock { queue -> [@Sendable () -> Void] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for task in tasks { task() }
    }

    private func fireTimers() {
        guard let earliest = timers.earliestDeadline else { return }
        let now = MonotonicClock.now()
        guard earliest <= now else { return }
        timers.popExpired(now: now, into: &expiredScratch)
        for target in expiredScratch { target.timerFired(now: now) }
        expiredScratch.removeAll(keepingCapacity: true)
    }

    /// The tasks queued for this turn; one queued while they run waits for the next turn.
    private func runNextTurnTasks() {
        guard !nextTurnTasks.isEmpty else { return }
        swap(&nextTurnTasks, &runningNextTurnTasks)
        for task in runningNextTurnTasks { task() }
        runningNextTurnTasks.removeAll(keepingCapacity: true)
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let tasks = deferred
            deferred.removeAll(keepingCapacity: true)
            for task in tasks { task() }
        }
    }

    private func nextTimeoutMilliseconds() -> Int32 {
        if !deferred.isEmpty || !nextTurnTasks.isEmpty { return 0 }
        guard let earliest = timers.earliestDeadline else { return 1000 }
        let remaining = earliest - MonotonicClock.now()
        if remaining <= 0 { return 0 }
        // Round up so a timer never fires early and spins.
        return Int32(min(1000, (remaining + 999_999) / 1_000_000))
    }
}
