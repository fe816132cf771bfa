/// The prefetcher's bounded, de-duplicated work list: jobs wait in arrival order until
/// a slot frees; a key (a digest) already waiting or running is not taken twice; a full
/// queue refuses the newest job. Pure value; the `Prefetcher` keeps it behind its lock.
///
/// Invariants: `waiting.count <= capacity`; `running <= concurrency`; every key of
/// `waiting` and of the running jobs is in `keys`, and nothing else.
struct PrefetchQueue<Key: Hashable, Job> {
    /// What `enqueue` did.
    enum Admission: Equatable {
        case queued
        /// The key is already waiting or running.
        case duplicate
        /// The queue is full: the job was dropped.
        case dropped
    }

    let capacity: Int
    let concurrency: Int
    private var waiting: [(key: Key, job: Job)] = []
    /// Index of the first waiting job (a ring-less queue: compacted as it drains).
    private var head = 0
    private var keys: Set<Key> = []
    private(set) var running = 0

    init(capacity: Int, concurrency: Int) {
        self.capacity = max(1, capacity)
        self.concurrency = max(1, concurrency)
    }

    /// Jobs waiting for a slot.
    var waitingCount: Int { waiting.count - head }

    mutating func enqueue(_ job: Job, key: Key) -> Admission {
        guard !keys.contains(key) else { return .duplicate }
        guard waitingCount < capacity else { return .dropped }
        keys.insert(key)
        waiting.append((key, job))
        return .queued
    }

    /// The next job when a slot is free (the slot is taken), else nil.
    mutating func takeNext() -> (key: Key, job: Job)? {
        guard running < concurrency, head < waiting.count else { return nil }
        let next = waiting[head]
        head += 1
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        running += 1
        return next
    }

    /// The job with `key` ended: its slot and key are free again.
    mutating func finished(_ key: Key) {
        precondition(running > 0, "a prefetch job finished that never ran")
        running -= 1
        keys.remove(key)
    }
}
extension PrefetchQueue: Sendable where Key: Sendable, Job: Sendable {}
