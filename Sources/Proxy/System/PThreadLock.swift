import Glibc

/// A mutual-exclusion lock over a heap-allocated `pthread_mutex_t`.
///
/// Used for the little state that is shared across event loops (the fill
/// table, the tag index, cross-loop task queues). We use pthread mutexes rather
/// than `Synchronization.Mutex` because Thread Sanitizer on Linux understands
/// them and does not see the futex inside `Mutex`.
///
/// `@unchecked Sendable`: the only stored state is the pointer to the mutex,
/// which is allocated once in `init`, never reassigned, and freed in `deinit`
/// when no thread can hold a reference any more.
public final class PThreadLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held. Keep `body` short: it must never block
    /// on I/O or on another loop.
    @inline(__always)
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A value guarded by a `PThreadLock`.
///
/// `@unchecked Sendable`: `value` is only read or written inside
/// `withLock`, which holds the mutex for the whole access, and `Value` is
/// itself `Sendable`, so whatever `withLock` hands out may cross threads
/// (a non-Sendable value behind a lock would still leak references to
/// unsynchronised state out of the closure).
///
/// Keep `body` free of syscalls, log calls and callbacks into other loops:
/// take what is needed out of the lock and act after releasing it.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = PThreadLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    public func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        try lock.withLock { () throws(E) -> T in try body(&value) }
    }
}
