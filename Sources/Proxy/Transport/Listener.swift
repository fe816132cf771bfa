import CEpoll
import Glibc
import ProxyLoop
import ProxySystem

/// One loop's watch on the process's shared listening socket (see `ListenSocket`: one
/// socket, registered by every loop with `EPOLLEXCLUSIVE`). Accepts in batches and hands
/// each connection to a `ClientConnection` on the same loop. The socket is the server's:
/// `close()` only stops this loop watching it.
///
/// When the process runs out of file descriptors, accepting pauses for
/// 100 ms instead of spinning on a listener that stays readable.
/// Confinement: loop-confined.
package final class Listener: EventHandler, TimerTarget {
    let fd: Int32
    private let context: ConnectionContext
    private var registration: Registration?
    private var paused = false
    /// Accepts per readiness event: the listener comes round once per pass over the loop's
    /// ready connections, which with 10,000 waiters streaming one fill is many turns.
    private static let batch = 512
    private static let pauseNanoseconds: Int64 = 100_000_000

    package init(fd: Int32, context: ConnectionContext) {
        self.fd = fd
        self.context = context
    }

    package func start() throws(SystemError) {
        registration = try context.loop.register(fd: fd, events: [.readable, .exclusive], handler: self)
    }

    package func handleEvents(_ events: EventLoop.Events) {
        var peer = [CChar](repeating: 0, count: 64)
        for _ in 0..<Listener.batch {
            let client = cep_tcp_accept(fd, &peer, peer.count)
            if client >= 0 {
                let address = String(decoding: peer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let connection = ClientConnection(fd: client, peer: address, context: context, handler: context.makeHandler())
                do {
                    try connection.start()
                    context.openConnections[ObjectIdentifier(connection)] = connection
                } catch {
                    _ = cep_close(client)
                }
                continue
            }
            if client == -EAGAIN { return }
            if client == -EMFILE || client == -ENFILE || client == -ENOBUFS || client == -ENOMEM {
                context.logger.warning("out of file descriptors; pausing accept for 100 ms")
                pause()
            }
            return
        }
    }

    /// An exclusive registration cannot be modified, so pausing deregisters and resuming
    /// registers again.
    private func pause() {
        guard let registration, !paused else { return }
        paused = true
        context.loop.deregister(fd: fd, registration: registration)
        self.registration = nil
        context.loop.arm(self, at: MonotonicClock.now() + Listener.pauseNanoseconds)
    }

    package func timerFired(now: Int64) {
        guard paused else { return }
        paused = false
        do {
            try start()
        } catch {
            context.logger.error("cannot watch the listening socket again", metadata: ["error": "\(error)"])
        }
    }

    /// Stops this loop watching the socket (the server closes it once every loop stopped).
    package func close() {
        paused = false
        if let registration {
            context.loop.deregister(fd: fd, registration: registration)
            self.registration = nil
        }
    }
}
