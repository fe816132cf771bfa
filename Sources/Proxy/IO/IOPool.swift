import Glibc
import ProxyLoop
import ProxySystem

/// A small fixed pool of threads for blocking disk work — fsync, rename, directory fsync,
/// small record files — so that an event loop never waits for the disk (nginx's
/// `aio threads`): a loop hands a job over and, when it asked for one, gets the result back
/// as a task on its own queue (`EventLoop.execute`).
///
/// Lanes: each thread owns one FIFO lane. A job names a `key`; jobs with equal keys go to
/// the same lane and therefore run one after the other in submission order (two writes of
/// one tag record never overtake each other), and their results reach a loop in that order.
/// Jobs with different keys may run in parallel, in any order.
///
/// Bounded: a lane holds at most `laneCapacity` jobs not yet finished; `submit` refuses
/// (returns false) when the job's lane is full and the caller decides what to give up
/// (a record not persisted, a blob not cached). Jobs are never dropped once accepted:
/// `stop()` runs what is queued, then ends the threads.
///
/// Thread-safe: each lane's queue is behind a pthread lock; the lane's thread is its only
/// consumer. A job runs with no lock held.
public final class IOPool: Sendable {
    /// A unit of blocking work; runs on a pool thread.
    public typealias Job = @Sendable () -> Void

    private final class Lane: Sendable {
        /// `pending` counts jobs queued or taken but not finished (what the bound applies to).
        let state = Locked<(queue: [Job], pending: Int, stopped: Bool)>(([], 0, false))
        let wakeUp = Condition()
        let thread: Locked<pthread_t?> = Locked(nil)
    }

    /// Jobs one lane may hold (queued or running).
    public let laneCapacity: Int
    private let lanes: [Lane]

    /// Starts `threadCount` threads named `name-<i>`.
    /// - Parameters:
    ///   - threadCount: threads (= lanes), at least 1.
    ///   - laneCapacity: most jobs a lane holds before `submit` refuses, at least 1.
    public init(name: String = "cistern-io", threadCount: Int = 2, laneCapacity: Int = 4096) {
        self.laneCapacity = max(1, laneCapacity)
        lanes = (0..<max(1, threadCount)).map { _ in Lane() }
        for (index, lane) in lanes.enumerated() {
            let handle = LoopThread.spawn(name: "\(name)-\(index)") { IOPool.work(lane) }
            lane.thread.withLock { $0 = handle }
        }
    }

    /// A pool dropped without `stop()` (a server that failed to start) lets its threads run
    /// out what is queued and end on their own: they are detached, not joined, because the
    /// last reference may be dropped by one of the pool's own jobs.
    deinit {
        for lane in lanes {
            lane.state.withLock { $0.stopped = true }
            lane.wakeUp.signal()
            if let handle = lane.thread.withLock({ state -> pthread_t? in defer { state = nil }; return state }) {
                pthread_detach(handle)
            }
        }
    }

    /// Number of threads (lanes).
    public var threadCount: Int { lanes.count }

    /// The lane of `key`: equal keys, equal lanes.
    func laneIndex(forKey key: Int) -> Int {
        Int(UInt(bitPattern: key) % UInt(lanes.count))
    }

    /// Queues `job` on the lane of `key`. Any thread.
    /// - Returns: false (and the job is not run) when that lane is full or the pool stopped.
    @discardableResult
    public func submit(key: Int, _ job: @escaping Job) -> Bool {
        let lane = lanes[laneIndex(forKey: key)]
        let accepted = lane.state.withLock { state -> Bool in
            guard !state.stopped, state.pending < laneCapacity else { return false }
            state.queue.append(job)
            state.pending += 1
            return true
        }
        if accepted { lane.wakeUp.signal() }
        return accepted
    }

    /// Runs `work` on the lane of `key`, then `completion(result)` on `loop`'s thread. Any thread.
    /// - Returns: false when the lane is full or the pool stopped: neither closure runs.
    @discardableResult
    public func submit<Result: Sendable>(key: Int, reportingTo loop: EventLoop,
                                         _ work: @escaping @Sendable () -> Result,
                                         completion: @escaping @Sendable (Result) -> Void) -> Bool {
        submit(key: key) {
            let result = work()
            loop.execute { completion(result) }
        }
    }

    /// Runs the jobs already queued, then ends and joins the threads; later `submit`s are
    /// refused. Idempotent. Not from a pool thread.
    public func stop() {
        for lane in lanes {
            lane.state.withLock { $0.stopped = true }
            lane.wakeUp.signal()
        }
        for lane in lanes {
            if let handle = lane.thread.withLock({ state -> pthread_t? in defer { state = nil }; return state }) {
                LoopThread.join(handle)
            }
        }
    }

    /// Blocks until every job accepted before the call has finished (a barrier per lane).
    /// For shutdown and tests; not from a loop thread (it waits for the disk) nor a pool thread.
    public func waitUntilIdle() {
        let done = Condition()
        let remaining = Locked(lanes.count)
        for index in lanes.indices {
            let accepted = submitIgnoringBound(lane: lanes[index]) {
                remaining.withLock { $0 -= 1 }
                done.signal()
            }
            if !accepted { remaining.withLock { $0 -= 1 } }
        }
        done.wait(until: { remaining.withLock { $0 == 0 } })
    }

    /// Queues a barrier job even on a full lane (it does no I/O and holds nothing).
    private func submitIgnoringBound(lane: Lane, _ job: @escaping Job) -> Bool {
        let accepted = lane.state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.queue.append(job)
            state.pending += 1
            return true
        }
        if accepted { lane.wakeUp.signal() }
        return accepted
    }

    private static func work(_ lane: Lane) {
        while true {
            lane.wakeUp.wait(until: { lane.state.withLock { !$0.queue.isEmpty || $0.stopped } })
            let (jobs, stopped) = lane.state.withLock { state -> ([Job], Bool) in
                let taken = state.queue
                state.queue.removeAll(keepingCapacity: true)
                return (taken, state.stopped)
            }
            for job in jobs {
                job()
                lane.state.withLock { $0.pending -= 1 }
            }
            if stopped && lane.state.withLock({ $0.queue.isEmpty }) { return }
        }
    }
}
