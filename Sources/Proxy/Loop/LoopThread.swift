import CEpoll
import Glibc

/// Starts a named POSIX thread running `body`; the loops and the resolver run
/// on these.
package enum LoopThread {
    private final class Box: @unchecked Sendable {
        // @unchecked Sendable: written once before pthread_create, read once by the new thread.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Spawns the thread; returns its handle for `join`.
    package static func spawn(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            // SIGINT/SIGTERM belong to the main thread's signalfd: a loop or
            // resolver thread must never take them (default action: exit).
            cep_block_signals()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return thread
    }

    package static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}

extension LoopThread {
    /// Spawns a detached helper thread (the resolver) that is never joined.
    package static func spawnDetached(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = spawn(name: name, body)
        pthread_detach(thread)
    }
}
