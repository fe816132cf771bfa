#if canImport(Glibc)
import Glibc
#endif

/// A joinable POSIX thread running one closure (test support).
///
/// Foundation's `Thread` cannot be joined, and `stop()` of the fake upstream must prove that
/// every thread it started has ended, so this wraps `pthread_create` / `pthread_join` directly.
struct TestThread: Sendable {
    /// The pthread handle; valid until `join()` has returned once.
    let handle: pthread_t

    /// Starts `body` on a new thread. Traps if the system cannot create one (tests cannot
    /// proceed meaningfully without it).
    static func start(_ body: @escaping @Sendable () -> Void) -> TestThread {
        // The box carries the closure through the C start routine's `void *` argument;
        // the retain taken here is released by the thread itself.
        let box = Unmanaged.passRetained(ClosureBox(body)).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { argument in
            let closure = Unmanaged<ClosureBox>.fromOpaque(argument!).takeRetainedValue()
            closure.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return TestThread(handle: handle)
    }

    /// Waits for the thread to end. Call exactly once per thread (POSIX: joining twice is
    /// undefined), and never from the thread itself.
    func join() {
        _ = pthread_join(handle, nil)
    }
}

/// Carries a closure across `pthread_create` (which takes one untyped pointer).
private final class ClosureBox: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
