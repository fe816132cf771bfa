import Glibc

/// A pthread mutex guarding one value that test fixtures share across threads.
///
/// A pthread mutex rather than `Synchronization.Mutex` so ThreadSanitizer can see it (COMMON.md).
/// Any thread may call `withLock`; the body must not call back into the same lock (not recursive).
final class FixtureLock<Value>: @unchecked Sendable {
    // Safe because `value` is read and written only inside `withLock`, while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Creates a lock owning `initialValue`.
    init(_ initialValue: Value) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the guarded value and returns its result.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
