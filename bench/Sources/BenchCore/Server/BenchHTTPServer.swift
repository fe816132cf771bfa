import CEpoll
import Glibc
import Synchronization

/// A small HTTP/1.1 keep-alive server on its own epoll loops: the counting origin and the
/// ceiling (sendfile) server are this plus a `BenchResponder`.
///
/// `workers` threads each own a listener on the same port (SO_REUSEPORT), a `Poller` and
/// their connections; nothing is shared between them except the stop flag.
///
/// `@unchecked Sendable`: after `init` only `stopRequested` (atomic) and `threads` (touched
/// by `start`/`stop` on the owner's thread) change.
public final class BenchHTTPServer: @unchecked Sendable {
    /// The port clients connect to.
    public let port: UInt16

    private let listenFDs: [Int32]
    private let makeResponder: @Sendable () -> BenchResponder
    private let stopRequested = Atomic<Bool>(false)
    private var threads: [pthread_t] = []

    /// Binds `workers` listeners on `host:port` (port 0 = any free port).
    /// - Throws: `BenchError.system` when a socket cannot be bound.
    public init(host: String = "127.0.0.1", port: UInt16, workers: Int = 1,
                makeResponder: @escaping @Sendable () -> BenchResponder) throws {
        var fds: [Int32] = []
        var boundPort = port
        for _ in 0..<max(1, workers) {
            let fd = cep_tcp_listen(host, boundPort, 4096, 1)
            guard fd >= 0 else {
                fds.forEach { _ = cep_close($0) }
                throw BenchError.system("listen on \(host):\(boundPort)", -fd)
            }
            if boundPort == 0 { boundPort = UInt16(cep_socket_local_port(fd)) }
            fds.append(fd)
        }
        listenFDs = fds
        self.port = boundPort
        self.makeResponder = makeResponder
    }

    /// Starts the worker threads.
    public func start() {
        for fd in listenFDs {
            let make = makeResponder
            let stop: @Sendable () -> Bool = { [unowned self] in self.stopRequested.load(ordering: .relaxed) }
            threads.append(BenchThread.spawn {
                cep_ignore_sigpipe()
                ServerWorker(listenFD: fd, responder: make(), shouldStop: stop).run()
            })
        }
    }

    /// Runs until stopped, on the calling thread plus `workers - 1` more.
    public func runForever() {
        start()
        threads.forEach(BenchThread.join)
    }

    /// Stops the workers and closes the listeners. Idempotent.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        threads.forEach(BenchThread.join)
        threads.removeAll()
        for fd in listenFDs { _ = cep_close(fd) }
    }
}
