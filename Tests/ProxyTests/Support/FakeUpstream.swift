/// A scriptable fake upstream registry for fault-injection tests: an HTTP/1.1 server on
/// 127.0.0.1 answering the distribution spec's pull endpoints from a content table, with
/// faults, throttling, redirects and token or basic auth switched on per test.
///
/// Thread per connection, blocking POSIX sockets, keep-alive. Every request is recorded
/// (`requests`) before it is answered. Configure it from any thread at any time; a change
/// applies to requests whose answer has not been decided yet.
///
/// Lifecycle: `init()` binds 127.0.0.1 on a free port and starts accepting; `stop()` closes
/// the listener and every connection and joins every thread it started. Tests call `stop()`
/// in a `defer`:
/// ```
/// let upstream = try FakeUpstream()
/// defer { upstream.stop() }
/// let digest = upstream.addBlob(Array("hello".utf8))
/// ```
final class FakeUpstream: Sendable {
    /// The TCP port it listens on (127.0.0.1).
    let port: UInt16
    /// How long a connection may sit idle between requests before the fake closes it.
    let idleTimeout: Duration
    /// Content, behaviours, authentication and the request record.
    let state = Locked(FakeUpstreamState())
    /// Sockets and threads; see `Lifecycle`.
    let lifecycle = Locked(Lifecycle())
    private let listener: TestSocket

    /// `http://127.0.0.1:<port>` (no trailing slash).
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Open sockets and running threads, and whether `stop()` has begun.
    struct Lifecycle: Sendable {
        /// Set once by `stop()`; nothing new starts afterwards and sleeping senders give up.
        var isStopping = false
        /// The accept loop's thread, while it runs.
        var acceptThread: TestThread?
        /// Connections whose thread has not closed them yet, by connection index.
        /// Invariant: a socket is closed only by its own thread and only after removal from
        /// here, under the lock, so `stop()` never shuts down a reused descriptor number.
        var openConnections: [Int: TestSocket] = [:]
        /// Connection threads not yet joined, by connection index.
        var connectionThreads: [Int: TestThread] = [:]
        /// Connection indices whose thread has finished its work (joined by the accept loop).
        var finishedConnections: [Int] = []
        /// How many connections were accepted so far (the next connection's index).
        var acceptedConnectionCount = 0
    }

    /// Binds 127.0.0.1 on a free port and starts accepting connections.
    /// - Parameter idleTimeout: how long an idle keep-alive connection stays open.
    /// - Throws: `TestSocketError.system` when the socket cannot be bound.
    init(idleTimeout: Duration = .seconds(30)) throws {
        let (listener, port) = try TestSocket.listenOnLoopback()
        self.listener = listener
        self.port = port
        self.idleTimeout = idleTimeout
        let thread = TestThread.start { [self] in acceptConnections() }
        lifecycle.withLock { $0.acceptThread = thread }
    }

    /// Closes the listener and every connection, and joins every thread. Idempotent; safe
    /// from any thread except the fake's own.
    func stop() {
        let acceptThread: TestThread? = lifecycle.withLock { lifecycle in
            guard !lifecycle.isStopping else { return nil }
            lifecycle.isStopping = true
            defer { lifecycle.acceptThread = nil }
            return lifecycle.acceptThread
        }
        guard let acceptThread else { return }
        listener.shutdownBoth()
        acceptThread.join()
        listener.close()
        // The accept loop has ended, so no connection is added from here on.
        let threads = lifecycle.withLock { lifecycle in
            for socket in lifecycle.openConnections.values { socket.shutdownBoth() }
            defer { lifecycle.connectionThreads = [:] }
            return Array(lifecycle.connectionThreads.values)
        }
        for thread in threads { thread.join() }
    }

    /// Whether `stop()` has begun.
    var isStopping: Bool {
        lifecycle.withLock { $0.isStopping }
    }

    /// How many TCP connections the fake accepted so far (shows connection reuse).
    var acceptedConnectionCount: Int {
        lifecycle.withLock { $0.acceptedConnectionCount }
    }

    /// Sleeps for `duration` in short steps; returns false early when `stop()` begins.
    func pause(_ duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while true {
            if isStopping { return false }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return true }
            TestTime.sleep(min(remaining, .milliseconds(10)))
        }
    }

    private func acceptConnections() {
        while !isStopping {
            reapFinishedConnections()
            let socket: TestSocket?
            do {
                socket = try listener.accept(timeout: .milliseconds(50))
            } catch {
                return  // The listener was shut down by stop() (or broke): stop accepting.
            }
            guard let socket else { continue }
            lifecycle.withLock { lifecycle in
                guard !lifecycle.isStopping else {
                    socket.close()
                    return
                }
                let index = lifecycle.acceptedConnectionCount
                lifecycle.acceptedConnectionCount += 1
                lifecycle.openConnections[index] = socket
                lifecycle.connectionThreads[index] = TestThread.start { [self] in
                    serveConnection(socket, index: index)
                }
            }
        }
    }

    /// Joins the threads of connections that have ended, so a long test does not pile up
    /// finished threads.
    private func reapFinishedConnections() {
        let finished: [TestThread] = lifecycle.withLock { lifecycle in
            defer { lifecycle.finishedConnections.removeAll() }
            return lifecycle.finishedConnections.compactMap { lifecycle.connectionThreads.removeValue(forKey: $0) }
        }
        for thread in finished { thread.join() }
    }

    /// Closes a connection's socket (with an RST when `reset`) and marks its thread finished.
    /// Called once, by the connection's own thread, as its last act.
    func closeConnection(_ socket: TestSocket, index: Int, reset: Bool) {
        lifecycle.withLock { lifecycle in
            lifecycle.openConnections.removeValue(forKey: index)
            if reset { socket.setLingerZero() }
            socket.close()
            lifecycle.finishedConnections.append(index)
        }
    }
}
