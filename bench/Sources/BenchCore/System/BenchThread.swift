import Glibc

/// Starts POSIX threads for the harness's loops (origin, static server workers).
public enum BenchThread {
    private final class Box: @unchecked Sendable {
        // @unchecked Sendable: written once before pthread_create, read once by the new thread.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Spawns a thread running `body`; returns its handle for `join`.
    public static func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return thread
    }

    /// Waits for `thread` to end.
    public static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}
