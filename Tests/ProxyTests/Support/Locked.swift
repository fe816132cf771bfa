#if canImport(Glibc)
import Glibc
#endif

/// A value shared between threads, reachable only while holding a pthread mutex.
///
/// Test support. A pthread mutex rather than `Synchronization.Mutex` so that ThreadSanitizer
/// sees the happens-before edges (it does not model the futex underneath `Mutex`).
///
/// Confinement: any thread. `withLock` must not be re-entered from inside its own body
/// (the mutex is not recursive; re-entry deadlocks).
final class Locked<Value: Sendable>: @unchecked Sendable {
    // Invariant that makes `@unchecked Sendable` sound: `value` is read and written only
    // inside `withLock`, i.e. while `mutex` is held, and `Value` is itself `Sendable`, so
    // whatever `withLock` hands out may cross threads. The mutex lives at a stable heap
    // address (a pthread mutex must never move once initialised).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Wraps `initialValue`; the mutex is a default (non-recursive) pthread mutex.
    init(_ initialValue: Value) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value and returns what it returns.
    /// Keep `body` short and free of blocking I/O: every other thread waits on it.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// A copy of the current value (taken under the lock).
    var snapshot: Value {
        withLock { $0 }
    }
}
